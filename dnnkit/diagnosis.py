"""What each catalogued mistake (dnnkit.mistakes) returns: the reference solution with that one mistake made,
run on the same inputs as the student's function. Grader side only (it runs the solutions)."""
from __future__ import annotations

import copy

from . import checks
from .cases import FUNCTIONS
from .course import Course
from .mistakes import for_function
from .solutions import load_solutions


def mistaken_solutions(course: Course, assignment: str) -> dict[str, dict]:
    """{mistake name: namespace of the reference solutions with that mistake made} for `assignment`."""
    return {m.name: load_solutions(course, assignment, edits={m.function: m.apply})
            for name in FUNCTIONS[assignment] for m in for_function(name)}


def mistake_outcomes(mistaken: dict[str, dict], function_name: str, args: tuple) -> list[dict]:
    """[{"name", "says", "fix", "outcome"}] of every catalogued mistake of `function_name` on `args`."""
    return [{"name": m.name, "says": m.says, "fix": m.fix,
             "outcome": checks.outcome(mistaken[m.name][function_name], *copy.deepcopy(args))}
            for m in for_function(function_name)]
