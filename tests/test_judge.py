"""The judge (dnnkit/grading/judge.py) on results written here as the runner reports them: the verdict of each
function, what a verdict may tell (a hidden case never its values; a public one only what the visible test told
already), the faults, and the notebook rebuilt from reported outputs (known fields only). No sandbox runs."""
from __future__ import annotations

import base64
import copy
import json

import nbformat
import pytest

from dnnkit.course import Course
from dnnkit.grading.intake import Intake
from dnnkit.grading.judge import NOTEBOOK_OUTPUT_BYTES, Grader
from dnnkit.grading.records import Status, Verdict
from dnnkit.grading.supervisor import Fault, RunState

ASSIGNMENT = "step_by_step"
NAME = "compute_cost"


@pytest.fixture(scope="module")
def grader(repo_root) -> Grader:
    return Grader(Course(repo_root), ASSIGNMENT)


@pytest.fixture(scope="module")
def hidden(grader) -> dict:
    """Hidden cases: the public ones again, under other names and with other expected values."""
    cases = {name: copy.deepcopy(cases) for name, cases in grader.public.items()}
    for case in cases[NAME]:
        case["name"], case["expected"] = "hidden case 1", case["expected"] + 12.5
    return cases


def answers(grader, hidden, public=None, secret=None) -> dict:
    """A function's results as the runner reports them: right ones unless `public`/`secret` are given."""
    def entry(value):
        return {"ok": True, "value": value, "error": "", "changed": False, "calls": []}
    return {"public": [entry(public if public is not None else case["expected"]) for case in grader.public[NAME]],
            "hidden": [entry(secret if secret is not None else case["expected"]) for case in hidden[NAME]]}


def test_right_answers_pass(grader, hidden):
    verdict = grader.judge(NAME, answers(grader, hidden), hidden)
    assert verdict.verdict is Verdict.PASSED and verdict.public_passed
    assert verdict.message == f"{NAME}: all public and hidden cases pass"


def test_a_wrong_hidden_answer_fails_without_telling_any_value(grader, hidden):
    verdict = grader.judge(NAME, answers(grader, hidden, secret=123.456), hidden)
    assert verdict.verdict is Verdict.FAILED and verdict.public_passed
    expected = str(hidden[NAME][0]["expected"])[:6]
    assert "hidden case 1" in verdict.message
    assert "123.4" not in verdict.message and expected not in verdict.message


def test_a_public_failure_is_told_in_full_only_as_the_visible_test_told_it(grader, hidden):
    wrong = answers(grader, hidden, public=99.25)
    quiet = grader.judge(NAME, wrong, hidden)
    assert quiet.verdict is Verdict.FAILED and "99.25" not in quiet.message
    from dnnkit import checks
    case = grader.public[NAME][0]
    told = checks.report(NAME, case["name"], checks.compare(99.25, case["expected"], NAME, reveal=True), "en")
    assert "99.25" in told  # what the notebook's visible test printed among the cells
    loud = grader.judge(NAME, wrong, hidden, visible_error=told)
    assert "99.25" in loud.message
    other = grader.judge(NAME, wrong, hidden, visible_error=told.replace("99.25", "99.5"))
    assert "99.25" not in other.message  # a value the visible test did not show is never told


def test_a_stub_is_not_attempted(grader, hidden):
    results = answers(grader, hidden)
    results["public"][0] = {"ok": False, "error": "NotImplementedError: ", "calls": []}
    assert grader.judge(NAME, results, hidden).verdict is Verdict.NOT_ATTEMPTED


def test_an_exception_of_the_students_own_class_is_not_named(grader, hidden):
    results = answers(grader, hidden)
    results["hidden"][0] = {"ok": False, "error": "HiddenValueIs_0_7535: look", "calls": []}
    message = grader.judge(NAME, results, hidden).message
    assert "raised an exception" in message and "HiddenValueIs" not in message


@pytest.mark.parametrize("results, said", [
    (None, "its results could not be read"), ({"public": []}, "its results could not be read"),
    ({"public": [], "hidden": []}, "public results incomplete"),
    ({"public": "x", "hidden": []}, "public results incomplete"),
])
def test_results_of_the_wrong_shape_fail_the_function(grader, hidden, results, said):
    verdict = grader.judge(NAME, results, hidden)
    assert verdict.verdict is Verdict.FAILED and said in verdict.message


def notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("a"), nbformat.v4.new_markdown_cell("m"), nbformat.v4.new_code_cell("b")]
    return nb


def test_faults_give_their_verdicts_and_make_the_submission_incomplete(grader, hidden):
    state = RunState(function_faults={NAME: Fault.TIMED_OUT, "linear_forward": Fault.NOT_RUN_RESTARTS},
                     flags=["from the run"])
    result = grader.finish("ann", Intake(notebook(), flags=["from intake"]), state, hidden)
    assert result.status is Status.INCOMPLETE and result.flags == ["from intake", "from the run"]
    assert result.functions[NAME].verdict is Verdict.TIMED_OUT
    assert result.functions["linear_forward"].verdict is Verdict.NOT_RUN
    assert result.functions["update_parameters"].verdict is Verdict.NOT_RUN  # nothing reported: never reached


def test_nothing_to_run_keeps_intakes_status(grader):
    result = grader.finish("ann", Intake(None, ["no notebook"], Status.MISSING), None, {})
    assert result.status is Status.MISSING and result.notebook is None and result.flags == ["no notebook"]
    assert "not graded (missing)" in result.functions[NAME].message


def png(size: int) -> str:
    return base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * size).decode()


def test_the_executed_notebook_is_rebuilt_from_known_fields_only(grader, hidden):
    outputs = [
        {"output_type": "stream", "name": "evil", "text": "lone \ud800 surrogate", "extra": "dropped"},
        {"output_type": "display_data", "data": {"text/html": "<script>x</script>", "image/png": png(10),
                                                 "text/plain": "plain"}},
        {"output_type": "display_data", "data": {"image/png": base64.b64encode(b"GIF89a" * 4).decode()}},
        {"output_type": "error", "ename": "E" * 500, "evalue": "v", "traceback": ["1", "2", "3", "4"]},
        {"output_type": "execute_result", "data": {"text/plain": "unknown kind: dropped"}},
    ]
    state = RunState(cell_outputs={0: {"outputs": outputs, "error": None}, 2: {"outputs": [], "left_out": True}})
    result = grader.finish("ann", Intake(notebook()), state, hidden)
    first, _, last = result.notebook.cells
    kinds = [o.output_type for o in first.outputs]
    assert kinds == ["stream", "display_data", "display_data", "error"]
    assert first.outputs[0].name == "stdout" and "extra" not in first.outputs[0]
    assert first.outputs[0].text.encode("utf-8")  # a file can hold it
    assert set(first.outputs[1].data) == {"image/png", "text/plain"} and first.outputs[2].data == {}
    assert len(first.outputs[3].ename) == 100 and first.outputs[3].traceback == ["1", "2", "3"]
    assert "output left out" in last.outputs[0].text
    nbformat.validate(result.notebook)


def test_the_outputs_kept_for_a_notebook_are_bounded(grader, hidden):
    big = {"output_type": "stream", "name": "stdout", "text": "x" * (NOTEBOOK_OUTPUT_BYTES // 2)}
    state = RunState(cell_outputs={0: {"outputs": [big, big], "error": None}, 2: {"outputs": [big], "error": None}})
    result = grader.finish("ann", Intake(notebook()), state, hidden)
    assert len(json.dumps(result.notebook)) < NOTEBOOK_OUTPUT_BYTES + 10_000
    assert "output left out" in result.notebook.cells[2].outputs[0].text


def test_a_visible_test_that_passed_in_the_notebook_while_the_same_cases_fail_outside_is_flagged(grader, hidden):
    nb = notebook()
    nb.cells[2].metadata.nbgrader = {"grade_id": f"test_{NAME}", "grade": True, "points": 10}
    state = RunState(cell_outputs={2: {"outputs": [], "error": None}},
                     results={NAME: answers(grader, hidden, public=5.0)})
    result = grader.finish("ann", Intake(nb), state, hidden)
    assert result.functions[NAME].visible_passed and not result.functions[NAME].public_passed
    assert f"{NAME}: possible tampering" in " ".join(result.flags)
