"""What each catalogued mistake (dnnkit.mistakes) returns: the reference solution with that one mistake made,
run on the same inputs as the student's function. Grader side only (it runs the solutions)."""
import copy

from . import checks
from .cases import FUNCTIONS
from .course import Course
from .mistakes import for_function
from .solutions import reference_answers


def mistaken_solutions(course: Course, assignment: str, reference: dict) -> dict[str, dict]:
    """{mistake name: namespace of the reference solutions with that mistake made} for `assignment`.

    Each is a copy of the reference namespace with the mistaken function's cell run again, edited: the
    function then calls the reference helpers, like a student's function checked with its helpers isolated."""
    notebook = course.notebook(assignment)
    cells = reference_answers(course, assignment)
    mistaken = {}
    for name in FUNCTIONS[assignment]:
        for mistake in (m for m in for_function(name) if m.edits):
            namespace = dict(reference)
            exec(compile(mistake.apply(cells[name]), f"{notebook} ({mistake.name})", "exec"), namespace)
            mistaken[mistake.name] = namespace
    return mistaken


def mistake_outcomes(mistaken: dict[str, dict], function_name: str, args: tuple) -> list[dict]:
    """[{"name", "says", "fix", "outcome"}] of every catalogued mistake of `function_name` on `args`; a mistake
    recognised by behaviour only (dnnkit.behaviour) has no "outcome"."""
    return [{"name": m.name, "says": m.says, "fix": m.fix,
             **({"outcome": checks.outcome(mistaken[m.name][function_name], *copy.deepcopy(args))} if m.edits else {})}
            for m in for_function(function_name)]
