"""What a hidden test cell calls while nbgrader grades: check one function on the grader-only cases.

Messages name the case, the part of the result and the kind of error, never a hidden input or value.
"""
from __future__ import annotations

import functools

from . import checks
from .cases import assignment_of
from .course import Course
from .refcache import load_verified


class GraderSetupError(RuntimeError):
    """The grader's reference files are missing, stale or damaged: fix them and grade again."""


@functools.lru_cache(maxsize=None)
def _cases(root: str, assignment: str) -> dict:
    return load_verified(Course(root), assignment)


def check_hidden(function_name: str, function) -> None:
    """Raise AssertionError unless `function` is right on every hidden case of `function_name`."""
    course = Course()
    try:
        cases = _cases(str(course.root), assignment_of(function_name))
    except Exception as err:
        raise GraderSetupError(f"GRADER SETUP ERROR, not the student's: {err}") from None
    passed = checks.check_function(function, function_name, cases[function_name], reveal=False)
    print(f"{function_name}: all {passed} hidden cases pass")
