"""What a student reads when a test fails: in JupyterLab (a visible test's error is its message alone, a few lines,
no traceback), and under `dnnkit grade` (a public case's failure told in full in the `[grader]` line, as the
visible test told it; nothing more when the function answers otherwise while it is graded); and a broken helper
that a right function calls itself costs only the helper's points."""
from __future__ import annotations

import re
import shutil

import pytest
from nbclient import NotebookClient

from conftest import REPO
from dnnkit.cases import grade_id
from dnnkit.course import Course
from dnnkit.mistakes import BY_NAME
from dnnkit.submissions import solved_notebook
from grading_support import (CALLS_THE_LOWEST_HELPER, answer, dnnkit_grade, executed_notebook, expect_row,
                             grader_lines, grading_course, read_grades, result_record, submit)

# the diagnosis of a function that reads a name nothing sets (dnnkit/behaviour.py's unset_name)
UNSET_NAME = (f"Diagnosis: {BY_NAME['name_never_set'].says}.\n"
              f"How to fix it: {BY_NAME['name_never_set'].fix}.")

pytestmark = pytest.mark.slow

ANSI = re.compile(r"\x1b\[[0-9;]*m")
# The most lines a failing visible test may show: its message (the case and its problem, the diagnosis, the fix)
# and nothing else. Before, JupyterLab showed 19 to 44 lines of traceback through dnn_checks.py for these.
MAX_LINES = 4
NUMPY_TEXT = ("np.float64(", "Max absolute difference", "Max relative difference")

# answers with a failing visible test, each of another kind
WRONG = {
    "initialize_parameters_deep": ("replace", ("    return parameters", '    parameters["extra"] = 1\n'
                                               "    return parameters")),  # a key too many
    "linear_activation_forward": ("source", "def linear_activation_forward(A_prev, W, b, activation):\n"
                                            "    # YOUR CODE HERE\n    raise NotImplementedError()\n"),  # the stub
    "update_parameters": ("source", "def update_parameters(params, grads, learning_rate):\n"
                                    "    return paramz\n"),  # raises NameError
}


def _student_notebook(course: Course):
    """step_by_step solved, with a catalogued mistake in linear_forward and linear_backward and the WRONG answers."""
    nb = solved_notebook(course, "step_by_step", ("missing_bias", "db_wrong_axis"))
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in WRONG:
            how, what = WRONG[gid]
            cell.source = what if how == "source" else answer(course, gid, replace=what)
    return nb


def _visible_test_errors(nb) -> dict[str, list[str]]:
    """{function: the lines its failing visible test cell shows} (ANSI colours removed)."""
    shown = {}
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        for output in cell.get("outputs", []):
            if gid.startswith("test_") and output.output_type == "error":
                shown[gid[len("test_"):]] = ANSI.sub("", "\n".join(output.traceback)).splitlines()
    return shown


@pytest.mark.parametrize("xmode", [None, "Minimal"], ids=["JupyterLab default (Context)", "Minimal (autograding)"])
def test_a_failing_visible_test_shows_its_message_alone(tmp_path, xmode):
    """The release notebook with five wrong answers, run with nbclient in a kernel as JupyterLab starts it
    (IPython's default traceback mode, Context) and as nbgrader's autograding does (Minimal): each failing visible
    test shows at most MAX_LINES lines, all of them its message: no traceback, no frame of dnn_checks.py, no
    chained 'During handling of the above exception', no numpy repr."""
    for item in (REPO / "release" / "step_by_step").iterdir():
        if item.is_file() and item.suffix != ".ipynb":
            shutil.copy(item, tmp_path / item.name)
    nb = _student_notebook(Course(REPO))
    extra = [] if xmode is None else [f"--InteractiveShell.xmode={xmode}"]
    NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True, extra_arguments=extra,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    shown = _visible_test_errors(nb)
    assert sorted(shown) == sorted(["linear_forward", "linear_backward", *WRONG])
    for function, lines in shown.items():
        text = "\n".join(lines)
        assert 1 <= len(lines) <= MAX_LINES, text
        assert lines[0].startswith(f"AssertionError: {function}"), text
        for leak in ("During handling", "Traceback", "dnn_checks", "check_public(", "-->", *NUMPY_TEXT):
            assert leak not in text, (leak, text)
    assert shown["linear_activation_forward"] == [
        "AssertionError: linear_activation_forward is not implemented yet (it still raises NotImplementedError)"]
    assert shown["update_parameters"] == ["AssertionError: update_parameters, case '2 layers, learning rate 0.1': "
                                          "raised NameError: name 'paramz' is not defined", *UNSET_NAME.split("\n")]
    assert shown["initialize_parameters_deep"][1] == "  - result: unexpected keys ['extra']"
    assert "there got 0.33652817496345866, expected 0.6306606716189846" in shown["linear_forward"][1]


# --- under dnnkit grade -----------------------------------------------------------------------------------

IN_A_LEVEL = """
import sys as _sys


def _graded_in_a_level():
    \"\"\"True while the grader's runner calls the functions level by level (its hidden inputs are there).\"\"\"
    frame = _sys._getframe()
    while frame is not None:
        if frame.f_code.co_name == "call_level":
            return True
        frame = frame.f_back
    return False
"""

SECRET = "8675309"  # what a two-faced function sends only while graded, for the verdict to carry out


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = grading_course(tmp_path_factory.mktemp("messages") / "course")
    # told in full: the visible tests in the notebook failed with the same texts
    submit(course, "shown", answers={
        "initialize_parameters_deep": answer(course, "initialize_parameters_deep", replace=WRONG[
            "initialize_parameters_deep"][1]),
        "update_parameters": WRONG["update_parameters"][1],
        "linear_forward": answer(course, "linear_forward", replace=("Z = np.dot(W, A) + b", "Z = np.dot(W, A)")),
        "compute_cost": "def compute_cost(AL, Y):\n    raise ValueError('the first line\\nthe second line')\n",
    })
    # two-faced: wrong in the notebook's visible tests, and otherwise wrong while graded
    submit(course, "two-faced", answers={
        "initialize_parameters_deep": answer(course, "initialize_parameters_deep", before=IN_A_LEVEL, replace=(
            "    return parameters", f'    parameters["leak-{SECRET}" if _graded_in_a_level() else "extra"] = 1\n'
                                     "    return parameters")),
        "update_parameters": "def update_parameters(params, grads, learning_rate):\n"
                             f"    raise NameError('leak-{SECRET}' if _graded_in_a_level() else 'paramz')\n",
        "linear_forward": answer(course, "linear_forward", replace=(
            "Z = np.dot(W, A) + b", f"Z = np.dot(W, A) + ({SECRET}.0 if _graded_in_a_level() else 0.0)")),
    })
    # a wrong linear_backward that a right L_model_backward calls itself
    submit(course, "skips-a-helper", answers={
        "linear_backward": answer(course, "linear_backward", replace=("np.sum(dZ, axis=1, keepdims=True)",
                                                                      "np.sum(dZ, axis=0, keepdims=True)")),
        **CALLS_THE_LOWEST_HELPER})
    done = dnnkit_grade(course)
    assert done.returncode == 0, done.stderr[-3000:]
    return course, read_grades(course)


def _verdict(course, student: str, function: str) -> str:
    """The `[grader]` line of `function` in the executed notebook (it holds the result record's message)."""
    [line] = grader_lines(executed_notebook(course, student), function)
    assert result_record(course, student)["functions"][function]["message"] in line
    return line


def test_a_public_failure_is_told_as_the_visible_test_told_it(graded):
    course, rows = graded
    expect_row(rows["shown"], lost=("initialize_parameters_deep", "update_parameters", "linear_forward",
                                    "compute_cost"))
    case = {name: f"public case '{case}'" for name, case in (
        ("initialize_parameters_deep", "layer_dims=[5, 4, 3]"), ("update_parameters", "2 layers, learning rate 0.1"),
        ("linear_forward", "3 inputs, 1 unit, m=2"), ("compute_cost", "m=4"))}
    lines = {name: _verdict(course, "shown", name) for name in case}
    assert lines["initialize_parameters_deep"].startswith(
        f"[grader] 0/10: initialize_parameters_deep, {case['initialize_parameters_deep']}: 1 problem(s)\n"
        "  - result: unexpected keys ['extra']")
    assert lines["update_parameters"] == (f"[grader] 0/10: update_parameters: {case['update_parameters']}: raised "
                                          "NameError: name 'paramz' is not defined\n" + UNSET_NAME)
    assert ("  - result[0] (Z): 2 of 2 values differ; first at index (0, 0), largest absolute error 0.294; there got "
            "0.33652817496345866, expected 0.6306606716189846\n") in lines["linear_forward"]
    assert "Diagnosis: Z is computed without the bias" in lines["linear_forward"]
    # an exception's message: its first line only
    assert lines["compute_cost"] == (f"[grader] 0/10: compute_cost: {case['compute_cost']}: raised ValueError: "
                                     "the first line")
    for line in lines.values():
        assert not [text for text in NUMPY_TEXT if text in line], line


def test_a_function_that_answers_otherwise_while_graded_gets_the_hidden_wording(graded):
    """Its public cases ran in a level, where its code could read that level's hidden inputs: what it answered
    there is told in the fixed vocabulary only (what the visible test showed is another text)."""
    course, rows = graded
    expect_row(rows["two-faced"], lost=("initialize_parameters_deep", "update_parameters", "linear_forward"))
    lines = {name: _verdict(course, "two-faced", name)
             for name in ("initialize_parameters_deep", "update_parameters", "linear_forward")}
    assert lines["update_parameters"] == ("[grader] 0/10: update_parameters: public case '2 layers, learning rate "
                                          "0.1': raised NameError\n" + UNSET_NAME)
    assert lines["initialize_parameters_deep"] == ("[grader] 0/10: initialize_parameters_deep, public case "
                                                   "'layer_dims=[5, 4, 3]': 1 problem(s)\n  - result: has unexpected "
                                                   "keys")
    assert lines["linear_forward"] == ("[grader] 0/10: linear_forward, public case '3 inputs, 1 unit, m=2': "
                                       "1 problem(s)\n  - result[0] (Z): values differ from the expected ones")
    record = result_record(course, "two-faced")
    assert [name for name, function in record["functions"].items() if SECRET in function["message"]] == []
    # landed: the visible tests in the notebook did fail, with their own texts
    nb = executed_notebook(course, "two-faced")
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id("update_parameters"))
    assert "raised NameError: paramz\n" in "".join(o.get("text", "") for o in cell.outputs)


def test_a_broken_helper_costs_only_its_points_when_a_function_calls_it_itself(graded):
    course, rows = graded
    expect_row(rows["skips-a-helper"], lost=("linear_backward",))
    assert result_record(course, "skips-a-helper")["functions"]["linear_backward"]["diagnosis"]["mistake"] == \
        "db_wrong_axis"
