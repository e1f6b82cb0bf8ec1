"""An update_parameters that changes the caller's parameters in place (as many solutions of the course's older
version do) is told so, under `dnnkit grade` as in the visible test, and loses no point for it; one that deep
copies them with `copy.deepcopy` runs without importing copy itself (the setup cell does)."""
from __future__ import annotations

import contextlib
import html

import pytest

from dnnkit.checks import input_change_note
from dnnkit.mistakes import BY_NAME
from grading_support import answer, executed_notebook, expect_row, grader_lines, read_grades, result_record, submit

pytestmark = pytest.mark.slow

TEMPLATE_COPY = "parameters = {name: np.copy(value) for name, value in params.items()}"
NOTE = input_change_note("update_parameters")


SHARED_FEEDBACK = ("in-place",)  # the one feedback page read here


@contextlib.contextmanager
def dnnkit_submissions(course):
    """For the course shared_courses.py grades with `dnnkit grade`."""
    in_place = answer(course, "update_parameters", replace=(TEMPLATE_COPY, "parameters = params"))
    submit(course, "in-place", answers={"update_parameters": in_place})
    submit(course, "in-place-arrays", answers={"update_parameters": answer(
        course, "update_parameters", replace=(TEMPLATE_COPY, "parameters = dict(params)")).replace(
        '] = parameters["W" + str(l)] - learning_rate', '] -= learning_rate').replace(
        '] = parameters["b" + str(l)] - learning_rate', '] -= learning_rate')})
    submit(course, "in-place-wrong", answers={"update_parameters": in_place.replace("- learning_rate * grads",
                                                                                   "- grads")})
    submit(course, "deep-copy", answers={"update_parameters": answer(
        course, "update_parameters", replace=(TEMPLATE_COPY, "parameters = copy.deepcopy(params)"))})
    yield {}


@pytest.fixture(scope="module")
def graded(dnnkit_graded):
    done = dnnkit_graded.run("grade-step_by_step")
    assert done.returncode == 0, done.stderr[-3000:]
    return dnnkit_graded.course, read_grades(dnnkit_graded.course)


def _visible_output(nb) -> str:
    """What the visible test of update_parameters printed in the executed notebook (before the verdict)."""
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_update_parameters")
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream" and "[grader]" not in
                   o.get("text", ""))


@pytest.mark.parametrize("student", ["in-place", "in-place-arrays"])
def test_an_update_in_place_is_reported_and_keeps_its_points(graded, dnnkit_graded, student):
    course, rows = graded
    expect_row(rows[student])  # full points, no flag
    function = result_record(course, student)["functions"]["update_parameters"]
    assert function["verdict"] == "passed" and function["diagnosis"] is None
    assert function["message"] == f"update_parameters: all public and hidden cases pass\n{NOTE}"
    nb = executed_notebook(course, student)
    assert grader_lines(nb, "update_parameters") == [f"[grader] 10/10: update_parameters: all public and hidden "
                                                     f"cases pass\n{NOTE}\n"]
    assert _visible_output(nb) == f"update_parameters: all 2 public cases pass\n{NOTE}\n"
    if student == "in-place":
        assert NOTE in html.unescape(dnnkit_graded.feedback(student))


def test_a_wrong_update_in_place_gets_the_note_with_its_diagnosis(graded):
    course, rows = graded
    expect_row(rows["in-place-wrong"], lost=("update_parameters",))
    function = result_record(course, "in-place-wrong")["functions"]["update_parameters"]
    assert function["verdict"] == "failed" and function["message"].endswith(f"\n{NOTE}")
    assert function["diagnosis"]["mistake"] == "learning_rate_ignored"
    [line] = grader_lines(executed_notebook(course, "in-place-wrong"), "update_parameters")
    assert NOTE in line and f"Diagnosis: {BY_NAME['learning_rate_ignored'].says}." in line


def test_a_deep_copy_needs_no_import_and_gets_no_note(graded):
    course, rows = graded
    expect_row(rows["deep-copy"])
    assert result_record(course, "deep-copy")["functions"]["update_parameters"]["message"] == (
        "update_parameters: all public and hidden cases pass")
    assert _visible_output(executed_notebook(course, "deep-copy")) == "update_parameters: all 2 public cases pass\n"
