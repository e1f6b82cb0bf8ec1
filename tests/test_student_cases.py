"""Per-student hidden cases: drawn from the course secret and the student id, the same on every regrade,
different between students, computed on the grader's side; a submission that hard-codes another student's
answers passes for that student only, under `dnnkit grade` and under plain `nbgrader autograde`."""
from __future__ import annotations

import stat

import numpy as np
import pytest

from conftest import make_course_copy
from dnnkit import DnnkitError, checks
from dnnkit.cases import FUNCTIONS
from dnnkit.course import Course
from dnnkit.gradebook import function_scores
from dnnkit.hidden import student_of
from dnnkit.nbgrader_cli import nbgrader
from dnnkit.secret import SECRET_FILE, course_secret, student_seed
from dnnkit.solutions import load_solutions
from dnnkit.student_cases import StudentCases
from grading_support import answer, dnnkit_grade, grading_course, read_grades, submit


@pytest.fixture()
def course(tmp_path, monkeypatch):
    monkeypatch.delenv("DNNKIT_COURSE_SECRET", raising=False)
    return Course(make_course_copy(tmp_path / "course", with_release=False))


def _inputs(cases: dict) -> str:
    return checks.digest({name: [c["args"] for c in cs] for name, cs in cases.items()})


def test_the_secret_is_made_once_readable_by_its_owner_only(course):
    secret = course_secret(course.root)
    path = course.root / SECRET_FILE
    assert len(secret) >= 32 and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert course_secret(course.root) == secret  # not remade


def test_a_short_secret_is_refused_with_the_file_and_the_fix(course):
    (course.root / SECRET_FILE).parent.mkdir()
    (course.root / SECRET_FILE).write_text("short\n")
    with pytest.raises(DnnkitError, match=r"course-secret: the course secret is too short.*backup"):
        course_secret(course.root)


def test_the_environment_overrides_the_file(course, monkeypatch):
    monkeypatch.setenv("DNNKIT_COURSE_SECRET", "x" * 40)
    assert course_secret(course.root) == b"x" * 40
    assert not (course.root / SECRET_FILE).exists()


def test_seeds_depend_on_secret_assignment_and_student():
    seeds = {student_seed(s, a, st) for s in (b"a" * 32, b"b" * 32) for a in FUNCTIONS for st in ("ann", "bob")}
    assert len(seeds) == 2 * len(FUNCTIONS) * 2


@pytest.mark.parametrize("assignment", list(FUNCTIONS))
def test_same_student_same_cases_other_student_other_numbers(course, assignment):
    builder = StudentCases(course, assignment)
    ann, ann_again, bob = builder.for_student("ann"), StudentCases(course, assignment).for_student("ann"), \
        builder.for_student("bob")
    assert checks.digest(ann) == checks.digest(ann_again)
    assert _inputs(ann) != _inputs(bob)
    for name in FUNCTIONS[assignment]:
        assert [c["name"] for c in ann[name]] == [c["name"] for c in bob[name]]  # same cases, other numbers
        for a, b in zip(ann[name], bob[name]):
            shapes = lambda case: [np.shape(x) for x in case["args"] if isinstance(x, np.ndarray)]  # noqa: E731
            assert shapes(a) == shapes(b)


@pytest.mark.parametrize("assignment", list(FUNCTIONS))
def test_expected_outputs_are_the_reference_solutions_own(course, assignment):
    """Recomputed here by calling the reference functions directly (no recording, no replay)."""
    reference = load_solutions(course, assignment)
    cases = StudentCases(course, assignment).for_student("ann")
    for name in FUNCTIONS[assignment]:
        for case in cases[name]:
            assert not checks.compare(reference[name](*case["args"]), case["expected"], name), (name, case["name"])


def test_a_new_secret_gives_new_cases(course, monkeypatch):
    first = StudentCases(course, "step_by_step").for_student("ann")
    monkeypatch.setenv("DNNKIT_COURSE_SECRET", "another secret of enough length, 0123456789")
    assert _inputs(StudentCases(course, "step_by_step").for_student("ann")) != _inputs(first)


def test_student_of_reads_the_autograded_folder(tmp_path):
    (tmp_path / "autograded" / "ann" / "step_by_step").mkdir(parents=True)
    assert student_of(tmp_path, "step_by_step", str(tmp_path / "autograded" / "ann" / "step_by_step")) == "ann"
    assert student_of(tmp_path, "application", str(tmp_path / "autograded" / "ann" / "step_by_step")) is None
    assert student_of(tmp_path, "step_by_step", str(tmp_path / "source" / "step_by_step")) is None


# --- copying: hard-coded answers of one student's cases pass for that student only ------------------------

COPIER = '''
import numpy as np
from dnn_checks import digest
ANSWERS = {answers!r}

def linear_forward(A, W, b):
    """Looks the answer up instead of computing it."""
    Z = np.array(ANSWERS.get(digest([A, W, b]), np.zeros((W.shape[0], A.shape[1])).tolist()))
    return Z, (A, W, b)
'''


def _copier(course: Course, victim: str) -> str:
    """A linear_forward that knows the answers of the public cases and of `victim`'s hidden cases."""
    public, _ = checks.load_plain(course.release("step_by_step") / "public_cases.npz")
    hidden = StudentCases(course, "step_by_step").for_student(victim)
    answers = {checks.digest(list(c["args"])): c["expected"][0].tolist()
               for c in public["linear_forward"] + hidden["linear_forward"]}
    return COPIER.format(answers=answers)


@pytest.fixture(scope="module")
def copied(tmp_path_factory):
    course = grading_course(tmp_path_factory.mktemp("copy") / "course")
    code = _copier(course, "ann")
    assert "dnn_checks" in code and answer(course, "linear_forward") not in code
    for student in ("ann", "bob"):  # both hand in ann's answers
        submit(course, student, answers={"linear_forward": code})
    return course


def test_dnnkit_grade_passes_the_copied_answers_only_for_their_owner(copied):
    done = dnnkit_grade(copied)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = read_grades(copied)
    assert float(rows["ann"]["linear_forward"]) == 10
    assert float(rows["bob"]["linear_forward"]) == 0


@pytest.mark.slow
def test_nbgrader_autograde_draws_the_same_per_student_cases(copied):
    nbgrader(copied.root, "autograde", "step_by_step", "--force")
    table = function_scores(copied.root, "step_by_step")
    assert table["ann"]["linear_forward"] == 10
    assert table["bob"]["linear_forward"] == 0
