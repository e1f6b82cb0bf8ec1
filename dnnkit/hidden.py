"""What a hidden test cell calls while nbgrader grades: check one function on the grader-only cases.

Under `nbgrader autograde` the cases are the student's own, drawn for their submission as `dnnkit grade` draws
them; elsewhere (validating source/) the fixed hidden set in references/. Helpers are replayed as in the visible
test, and messages never name a hidden input or value (docs/grading-path.md).
"""
import functools
import os
from pathlib import Path

from . import checks
from .cases import assignment_of
from .course import Course
from .grading.records import submission_digest
from .refcache import load_verified
from .student_cases import StudentCases


class GraderSetupError(RuntimeError):
    """The grader's reference files are missing, stale or damaged: fix them and grade again."""


def student_of(root: Path, assignment: str, folder: str | None = None) -> str | None:
    """The student whose autograded copy is being run in `folder` (default: the working folder), or None."""
    try:
        parts = Path(folder or os.getcwd()).resolve().relative_to(root / "autograded").parts
    except ValueError:
        return None
    return parts[0] if len(parts) == 2 and parts[1] == assignment else None


@functools.lru_cache(maxsize=None)
def _cases(root: str, assignment: str, student: str | None) -> dict:
    course = Course(root)
    if student is None:
        return load_verified(course, assignment)
    submission = submission_digest(course.root / "submitted" / student / assignment)
    return StudentCases(course, assignment).for_student(student, submission)


def check_hidden(function_name: str, function) -> None:
    """Raise AssertionError unless `function` is right on every hidden case of `function_name`."""
    course = Course()
    assignment = assignment_of(function_name)
    try:
        cases = _cases(str(course.root), assignment, student_of(course.root, assignment))
    except Exception as err:
        raise GraderSetupError(f"GRADER SETUP ERROR, not the student's: {err}") from None
    failed, _ = checks.evaluate(function, function_name, cases[function_name], reveal=False)
    if failed:  # raised here, with nothing chained: the student sees the message alone (checks.failure)
        raise checks.failure(failed) from None
    print(f"{function_name}: all {len(cases[function_name])} hidden cases pass")
