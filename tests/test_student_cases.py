"""Per-submission hidden cases: drawn from the course secret, the student id and the submission's digest, the
same on every regrade of a submission, different between students and between one student's submissions,
computed on the grader's side; a submission that hard-codes the answers of hidden cases that leaked from an
earlier grading run passes for nobody, under `dnnkit grade` and under plain `nbgrader autograde`."""
from __future__ import annotations

import contextlib
import stat

import numpy as np
import pytest

from conftest import make_course_copy
from dnnkit import DnnkitError, checks
from dnnkit.cases import FUNCTIONS
from dnnkit.course import Course
from dnnkit.gradebook import function_scores
from dnnkit.grading.records import submission_digest
from dnnkit.hidden import student_of
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


def test_seeds_depend_on_secret_assignment_student_and_submission():
    seeds = {student_seed(s, a, st, sub) for s in (b"a" * 32, b"b" * 32) for a in FUNCTIONS for st in ("ann", "bob")
             for sub in ("", "1" * 64, "2" * 64)}
    assert len(seeds) == 2 * len(FUNCTIONS) * 2 * 3


@pytest.mark.parametrize("assignment", list(FUNCTIONS))
def test_same_submission_same_cases_another_one_other_numbers(course, assignment):
    builder = StudentCases(course, assignment)
    first = "1" * 64  # digests of two submissions
    ann, ann_again = builder.for_student("ann", first), StudentCases(course, assignment).for_student("ann", first)
    bob, ann_later = builder.for_student("bob", first), builder.for_student("ann", "2" * 64)
    assert checks.digest(ann) == checks.digest(ann_again)
    assert _inputs(ann) != _inputs(bob) and _inputs(ann) != _inputs(ann_later)
    for name in FUNCTIONS[assignment]:
        for other in (bob, ann_later):
            assert [c["name"] for c in ann[name]] == [c["name"] for c in other[name]]  # same cases, other numbers
            for a, b in zip(ann[name], other[name]):
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


# --- leaked hidden cases: hard-coded answers of one grading run's cases pass in no later one ---------------------

COPIER = '''
import numpy as np
from dnn_checks import digest
ANSWERS = {answers!r}

def linear_forward(A, W, b):
    """Looks the answer up instead of computing it."""
    Z = np.array(ANSWERS.get(digest([A, W, b]), np.zeros((W.shape[0], A.shape[1])).tolist()))
    return Z, (A, W, b)
'''


def _copier(course: Course, leaked: dict) -> str:
    """A linear_forward that knows the answers of the public cases and of the `leaked` hidden cases."""
    public, _ = checks.load_plain(course.release("step_by_step") / "public_cases.npz")
    answers = {checks.digest(list(c["args"])): c["expected"][0].tolist()
               for c in public["linear_forward"] + leaked["linear_forward"]}
    return COPIER.format(answers=answers)


def _hand_in_copies(course: Course):
    """ann's first submission was graded and its hidden cases leaked (kernel state outlives a sandbox: a later
    run can read what an earlier one held). ann hands in a linear_forward that hard-codes their answers, and so
    does bob. Returns the leaked cases and that code."""
    first = submit(course, "ann").parent
    leaked = StudentCases(course, "step_by_step").for_student("ann", submission_digest(first))
    code = _copier(course, leaked)
    for student in ("ann", "bob"):  # ann hands in again, bob copies
        submit(course, student, answers={"linear_forward": code})
    return leaked, code


@pytest.fixture(scope="module")
def copied(tmp_path_factory):
    course = grading_course(tmp_path_factory.mktemp("copy") / "course")
    leaked, code = _hand_in_copies(course)
    assert "dnn_checks" in code and answer(course, "linear_forward") not in code
    reference = load_solutions(course, "step_by_step")
    exec(code.replace("from dnn_checks import", "from dnnkit.checks import"), reference)
    # the attack is real: on the leaked cases themselves the copier gets every answer right
    failed, _ = checks.evaluate(reference["linear_forward"], "linear_forward", leaked["linear_forward"], reveal=False)
    assert failed == "" and len(leaked["linear_forward"]) >= 3
    return course


SHARED_FEEDBACK = ()  # no feedback page is read here


@contextlib.contextmanager
def nbgrader_submissions(course):
    """The same copies, for the course shared_courses.py grades with plain `nbgrader autograde`."""
    _hand_in_copies(course)
    yield {}


def test_dnnkit_grade_passes_leaked_answers_for_nobody(copied):
    done = dnnkit_grade(copied)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = read_grades(copied)
    assert float(rows["ann"]["linear_forward"]) == 0
    assert float(rows["bob"]["linear_forward"]) == 0
    assert float(rows["ann"]["linear_backward"]) == 10  # the rest of the submission is graded as usual


@pytest.mark.slow
def test_nbgrader_autograde_draws_the_same_per_submission_cases(nbgrader_graded):
    table = function_scores(nbgrader_graded.course.root, "step_by_step")
    assert table["ann"]["linear_forward"] == 0
    assert table["bob"]["linear_forward"] == 0
    assert table["ann"]["linear_backward"] == 10
