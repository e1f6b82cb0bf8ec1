"""An untouched stub says in one line what to do (dnn_checks' custom exception handler in a notebook kernel), and
still counts as not attempted: under plain nbgrader (0 points), `dnnkit grade` (its judge) and `dnnkit check`."""
from __future__ import annotations

import contextlib
import linecache
import re
import shutil
import sys

import nbformat
import pytest
from nbclient import NotebookClient

from conftest import REPO
from dnnkit import checks
from dnnkit.cases import FUNCTIONS
from dnnkit.cli import main
from dnnkit.gradebook import open_gradebook
from dnnkit.submissions import write_submission
from grading_support import read_grades

ASSIGNMENT = "step_by_step"
NAMES = FUNCTIONS[ASSIGNMENT]
STUB = "    # YOUR CODE HERE\n    raise NotImplementedError()\n"


def _traceback_of(source: str, call: str):
    """The traceback of running `source` then `call`, with `source` in linecache as IPython keeps a cell's."""
    filename = f"<cell-{abs(hash(source))}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {}
    exec(compile(source, filename, "exec"), namespace)
    try:
        eval(call, namespace)
    except NotImplementedError:
        return sys.exc_info()[2]
    raise AssertionError("no NotImplementedError")


def test_the_stub_line_is_told_in_one_line_naming_its_function():
    tb = _traceback_of("def linear_forward(A, W, b):\n" + STUB, "linear_forward(1, 2, 3)")
    message = checks.stub_message(tb, "en")
    assert "\n" not in message
    assert message.startswith("NotImplementedError: linear_forward is still the exercise's stub")
    assert "raise NotImplementedError()" in message
    # reached through another function: the stub is named, not its caller
    tb = _traceback_of("def inner():\n" + STUB + "def outer():\n    return inner()\n", "outer()")
    assert checks.stub_message(tb, "en").startswith("NotImplementedError: inner is still")
    zh = checks.stub_message(tb, "zh")
    assert "inner" in zh and re.search(r"[\u4e00-\u9fff]", zh) and "\n" not in zh
    assert checks.stub_message(tb, "en+zh").count("\n") == 1


def test_any_other_not_implemented_error_keeps_its_traceback():
    tb = _traceback_of("def mine():\n    raise NotImplementedError('later')\n", "mine()")
    assert checks.stub_message(tb, "en") is None
    tb = _traceback_of("def mine():\n    raise NotImplementedError\n", "mine()")
    assert checks.stub_message(tb, "en") is None


def test_nothing_is_installed_outside_a_notebook_kernel():
    assert checks.explain_untouched_stubs() is False  # pytest: no IPython shell at all


def _example_cells(nb) -> dict[str, nbformat.NotebookNode]:
    """{function: the first code cell after its solution cell} (the example that calls it)."""
    found, pending = {}, None
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution") and gid in NAMES:
            pending = gid
        elif pending and cell.cell_type == "code":
            found[pending], pending = cell, None
    return found


def _errors(cell) -> list[dict]:
    return [o for o in cell.get("outputs", []) if o.output_type == "error"]


@pytest.mark.slow
def test_the_untouched_release_shows_one_line_per_stub_in_a_kernel(tmp_path):
    """Every cell of the release run in a real kernel, as JupyterLab's Run All (errors allowed): each example
    cell that calls an untouched exercise says in one line what to do; the test cells still fail."""
    folder = tmp_path / ASSIGNMENT
    shutil.copytree(REPO / "release" / ASSIGNMENT, folder)
    nb = nbformat.read(folder / f"{ASSIGNMENT}.ipynb", as_version=4)
    NotebookClient(nb, timeout=120, allow_errors=True, resources={"metadata": {"path": str(folder)}}).execute()
    examples = _example_cells(nb)
    assert set(examples) >= set(NAMES) - {"numeric_gradient", "gradient_difference"}, sorted(examples)
    for name, cell in examples.items():
        errors = _errors(cell)
        assert len(errors) == 1 and errors[0].ename == "NotImplementedError", (name, cell.outputs)
        (line,) = errors[0].traceback  # one line, nothing else
        assert re.fullmatch(r"NotImplementedError: \w+ is still the exercise's stub: write your code in its cell in "
                            r"place of `raise NotImplementedError\(\)`, run that cell, then run this one again", line)
    tests = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id", "").startswith("test_")]
    assert len(tests) == len(NAMES)
    for cell in tests:
        (error,) = _errors(cell)
        assert error.ename == "AssertionError" and "is not implemented yet" in error.evalue, cell.outputs


SHARED_FEEDBACK = ()  # no feedback page is read here


@contextlib.contextmanager
def _untouched(course):
    """Student "untouched" hands in the release as it came."""
    write_submission(course, ASSIGNMENT, "untouched")
    yield {}


# in both courses shared_courses.py grades: by `dnnkit grade`, by plain `nbgrader autograde`
dnnkit_submissions = nbgrader_submissions = _untouched


@pytest.fixture(scope="module")
def untouched(dnnkit_graded, nbgrader_graded):
    graded = dnnkit_graded.run("grade-step_by_step")
    assert graded.returncode == 0, graded.stderr[-3000:]
    return dnnkit_graded.course, nbgrader_graded.course.root


@pytest.mark.slow
def test_plain_nbgrader_scores_untouched_stubs_zero_and_shows_one_line(untouched):
    _, plain = untouched
    with open_gradebook(plain) as gb:
        notebook = gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, "untouched")
        scores = {g.name: g.score for g in notebook.grades}
    assert scores == {f"test_{name}": 0.0 for name in NAMES}
    nb = nbformat.read(plain / "autograded" / "untouched" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    for name, cell in _example_cells(nb).items():
        (error,) = _errors(cell)
        assert len(error.traceback) == 1 and error.traceback[0].startswith(f"NotImplementedError: {name} is still"), \
            (name, error.traceback)


@pytest.mark.slow
def test_dnnkit_grade_and_check_call_untouched_stubs_not_attempted(untouched, capsys, monkeypatch):
    course, _ = untouched
    row = read_grades(course)["untouched"]
    assert row["not_attempted"].split(" | ") == list(NAMES) and float(row["score"]) == 0, row
    monkeypatch.setenv("DNNKIT_COURSE_ROOT", str(course.root))
    notebook = course.root / "submitted" / "untouched" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    assert main(["check", ASSIGNMENT, str(notebook)]) == 0
    out = capsys.readouterr().out
    for name in NAMES:
        assert re.search(rf"^  {name} +0/10  not attempted$", out, re.M), out
