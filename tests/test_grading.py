"""Plain nbgrader grading end to end: a correct submission scores full, an unchanged stub scores zero, and
each typical mistake costs exactly its function's points and is named in the feedback; feedback shows no
hidden test. Graded in the course shared_courses.py grades with plain `nbgrader autograde`."""
from __future__ import annotations

import contextlib

import nbformat
import pytest

from dnnkit.cases import FUNCTIONS
from dnnkit.gradebook import function_scores
from dnnkit.mistakes import CATALOG
from dnnkit.submissions import solved_notebook, write_submission
from grading_support import CALLS_THE_LOWEST_HELPER, rounds

pytestmark = pytest.mark.slow
POINTS = 10


def _assignment(function_name):
    return next(a for a, names in FUNCTIONS.items() if function_name in names)


@contextlib.contextmanager
def nbgrader_submissions(course):
    """Every catalogued mistake (a few per submission, never two in one function), plus a correct submission and
    an unchanged stub, for the course shared_courses.py grades with plain `nbgrader autograde`."""
    for assignment in FUNCTIONS:
        write_submission(course, assignment, "correct", solved_notebook(course, assignment))
        write_submission(course, assignment, "stub")
    for assignment in FUNCTIONS:
        for i, group in enumerate(rounds(FUNCTIONS[assignment])):
            write_submission(course, assignment, f"round-{i}", solved_notebook(course, assignment, group))
    warns = solved_notebook(course, "step_by_step")  # a correct answer that prints a warning on stderr
    for cell in warns.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "linear_forward":
            cell.source = cell.source.replace("    Z = np.dot(W, A) + b", "    import warnings\n"
                                              "    warnings.simplefilter('always')  # in the test cell too\n"
                                              "    warnings.warn('a warning printed on stderr', UserWarning)\n"
                                              "    Z = np.dot(W, A) + b")
            assert "warnings.warn" in cell.source
    write_submission(course, "step_by_step", "warns", warns)
    # a wrong linear_backward, called directly by a right L_model_backward (and linear_forward by L_model_forward)
    skips = solved_notebook(course, "step_by_step", ("db_wrong_axis",))
    for cell in skips.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in CALLS_THE_LOWEST_HELPER:
            cell.source = CALLS_THE_LOWEST_HELPER[gid]
    write_submission(course, "step_by_step", "skips-a-helper", skips)
    yield {}


@pytest.fixture(scope="module")
def graded(nbgrader_graded, course_datasets):
    """{assignment: {student: {function: points, "total": points}}} as the shared course's gradebook holds them."""
    return {assignment: function_scores(nbgrader_graded.course.root, assignment) for assignment in FUNCTIONS}


@pytest.fixture(scope="module")
def course_root(nbgrader_graded):
    return nbgrader_graded.course.root


@pytest.mark.parametrize("assignment", list(FUNCTIONS))
def test_correct_submission_scores_full(graded, assignment):
    row = graded[assignment]["correct"]
    assert row == {**{name: POINTS for name in FUNCTIONS[assignment]}, "total": POINTS * len(FUNCTIONS[assignment])}


def test_a_warning_on_stderr_does_not_zero_a_grade_cell(graded, course_root):
    assert graded["step_by_step"]["warns"]["total"] == POINTS * len(FUNCTIONS["step_by_step"])
    notebook = nbformat.read(course_root / "autograded" / "warns" / "step_by_step" / "step_by_step.ipynb", 4)
    stderr = [o.get("text", "") for c in notebook.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "stream" and o.get("name") == "stderr"]
    assert not any("a warning printed on stderr" in text for text in stderr)  # IgnorePattern removed it


def test_a_broken_helper_costs_only_its_points_when_a_function_calls_it_itself(graded):
    """L_model_backward calls the student's wrong linear_backward itself, not through linear_activation_backward:
    the hidden (and visible) tests replay the reference's linear_backward for it, so only linear_backward loses
    its points, as under dnnkit grade."""
    names = FUNCTIONS["step_by_step"]
    assert graded["step_by_step"]["skips-a-helper"] == {
        **{name: 0 if name == "linear_backward" else POINTS for name in names}, "total": POINTS * (len(names) - 1)}


@pytest.mark.parametrize("assignment", list(FUNCTIONS))
def test_unchanged_stub_scores_zero(graded, assignment):
    assert graded[assignment]["stub"]["total"] == 0


def _round_of(mistake) -> str:
    assignment = _assignment(mistake.function)
    return next(f"round-{i}" for i, group in enumerate(rounds(FUNCTIONS[assignment])) if mistake.name in group)


@pytest.mark.parametrize("mistake", CATALOG, ids=[m.name for m in CATALOG])
def test_a_mistake_costs_only_its_function(graded, mistake):
    assignment = _assignment(mistake.function)
    student = _round_of(mistake)
    made = {m.function for m in CATALOG if m.name in next(g for g in rounds(FUNCTIONS[assignment]) if mistake.name in g)}
    row = graded[assignment][student]
    assert row[mistake.function] == 0
    assert {name: row[name] for name in FUNCTIONS[assignment] if name not in made} == {
        name: POINTS for name in FUNCTIONS[assignment] if name not in made}


@pytest.mark.parametrize("mistake", CATALOG, ids=[m.name for m in CATALOG])
def test_the_feedback_names_the_mistake_and_its_fix(graded, course_root, mistake):
    import html

    assignment = _assignment(mistake.function)
    page = (course_root / "feedback" / _round_of(mistake) / assignment / f"{assignment}.html").read_text()
    assert f"Diagnosis: {mistake.says}." in html.unescape(page)
    assert f"How to fix it: {mistake.fix}." in html.unescape(page)


def test_feedback_shows_no_hidden_test(graded, course_root, nbgrader_graded):
    pages = [course_root / "feedback" / student / assignment / f"{assignment}.html" for assignment in FUNCTIONS
             for student in nbgrader_graded.students(__name__, assignment)]
    assert all(page.is_file() for page in pages)
    # correct + stub per assignment, the rounds of mistakes, warns, skips-a-helper
    assert len(pages) == 2 * len(FUNCTIONS) + sum(len(rounds(names)) for names in FUNCTIONS.values()) + 2
    failing = (course_root / "feedback" / _round_of(CATALOG[0]) / "step_by_step" / "step_by_step.html").read_text()
    assert f"{CATALOG[0].function}, case" in failing  # the student is told which function and case failed
    for page in pages:
        html = page.read_text()
        for leak in ("check_hidden", "BEGIN HIDDEN", "dnnkit.hidden", "references/", "hidden.py",
                     "Traceback (most recent"):
            assert leak not in html, f"{page} shows {leak!r}"
