"""`dnnkit check ASSIGNMENT [NOTEBOOK]`: grade a self-learner's notebook (default: the copy `dnnkit study` made) on
`dnnkit grade`'s own path (intake, SandboxRun, Grader) with hidden cases drawn for the learner, and print per
graded function its points, the failing case, the diagnosis and the fix, then the total (docs/self-study.md).
Nothing is recorded; exit 0 whatever the score, 2 for bad input."""
from __future__ import annotations

import contextlib
import shutil
import sys
import tempfile
from pathlib import Path

from .. import DnnkitError
from ..checks import MESSAGES, say, term
from ..cases import FUNCTIONS, grade_id
from ..course import Course
from ..grading.intake import Release, take_in
from ..grading.judge import Grader
from ..grading.records import Verdict
from ..grading.sandbox import bubblewrap, rootless, rootless_problem
from ..grading.settings import read_settings
from ..grading.supervisor import SandboxRun
from ..grading.syscalls import compiled
from ..names import one_line, shown
from ..shipped import released_language
from ..student_cases import StudentCases
from .study import STUDY

LEARNER = "self-study"  # the id the learner's hidden cases are drawn for (the same numbers on every check)


def header(assignment: str, notebook: str, problem: str | None, language: str = "en") -> str:
    """The first line (in "en+zh" two): the notebook checked and whether in the sandbox (`problem`: None, or the
    catalog key of why not)."""
    how = MESSAGES["sandboxed" if problem is None else "not sandboxed"]
    return say("check header", language, zh={"how": how[1]}, assignment=assignment, notebook=shown(notebook),
               how=how[0])


def sandbox_warning(problem: str, language: str = "en") -> str:
    """The warning that the notebook runs without the sandbox, and why (a catalog key)."""
    return say("no sandbox", language, zh={"problem": MESSAGES[problem][1]}, problem=MESSAGES[problem][0])


def add_arguments(parser) -> None:
    parser.add_argument("assignment", choices=list(FUNCTIONS))
    parser.add_argument("notebook", nargs="?", metavar="NOTEBOOK",
                        help=f"the notebook to check (default: {STUDY}/ASSIGNMENT/ASSIGNMENT.ipynb)")


def run(args) -> int:
    course = Course()
    notebook = find_notebook(course, args.assignment, args.notebook)
    limits, timeouts = read_settings(course.root)
    language = released_language(course, args.assignment)  # the grader's (Grader.language)
    problem = sandbox_problem()
    if problem is not None:
        print(sandbox_warning(problem, language), file=sys.stderr)
    print(header(args.assignment, course.relative(notebook), problem, language), flush=True)
    release, judge = Release.of(course, args.assignment), Grader(course, args.assignment)
    sandbox = SandboxRun(course, args.assignment, limits, timeouts, sandboxed=problem is None)
    sandbox.prewarm = False  # one notebook: no spare sandbox to start for the next
    with contextlib.closing(sandbox):
        cases = StudentCases(course, args.assignment).for_student(LEARNER)
        with tempfile.TemporaryDirectory(prefix="dnnkit-check-") as scratch:
            folder = Path(scratch) / args.assignment  # the notebook alone, named as the grader expects it
            folder.mkdir()
            shutil.copyfile(notebook, folder / f"{args.assignment}.ipynb")
            taken = take_in(folder, release)
        ran = None if taken.notebook is None else sandbox.run(LEARNER, taken.notebook, sandbox.inputs(cases))
        result = judge.finish(LEARNER, taken, ran, cases)
    for line in report(result, points(release.notebook, args.assignment), judge.language):
        print(line)
    return 0


def find_notebook(course: Course, assignment: str, given: str | None) -> Path:
    """The notebook to check; DnnkitError (one line naming it and the fix) when it is not a file."""
    if given is None:
        path = course.root / STUDY / assignment / f"{assignment}.ipynb"
        fix = (f"run `dnnkit study` first (it copies the assignments into {STUDY}/), or name your notebook: "
               f"`dnnkit check {assignment} NOTEBOOK`")
    else:
        path = Path(given)
        fix = f"give the path of your {assignment} notebook (default: {STUDY}/{assignment}/{assignment}.ipynb)"
    if not path.is_file():
        what = "not a file" if path.exists() else "no such notebook"
        raise DnnkitError(f"{shown(course.relative(path))}: {what}; {fix}")
    return path


def sandbox_problem() -> str | None:
    """Why the bubblewrap sandbox of `dnnkit grade` cannot run here (its catalog key), or None when it can."""
    if bubblewrap() is None:
        return "no bubblewrap"
    if rootless() and rootless_problem() is not None:
        return "no user namespaces"
    try:
        compiled()
    except DnnkitError:
        return "needs seccomp"
    return None


def points(master, assignment: str) -> dict[str, float]:
    """{function: the points of its graded test cell}, from the release notebook's nbgrader metadata."""
    metas = [cell.get("metadata", {}).get("nbgrader", {}) for cell in master.cells]
    found = {meta.get("grade_id"): float(meta.get("points", 0) or 0) for meta in metas if meta.get("grade")}
    return {name: found.get(grade_id(name), 0.0) for name in FUNCTIONS[assignment]}


def report(result, worth: dict[str, float], language: str = "en") -> list[str]:
    """The lines printed, in `language`: per function its points and verdict (and for one that failed, the
    feedback: case, diagnosis, fix), the grader's notes, the total. Each made inert (one_line): it holds what
    the notebook produced."""
    width = max(len(name) for name in worth)
    score_width = max(len(f"{top:g}/{top:g}") for top in worth.values())
    lines, total = [], 0.0
    for name, top in worth.items():
        function = result.functions[name]
        got = top if function.verdict is Verdict.PASSED else 0.0
        total += got
        verdict = term(f"verdict {function.verdict}", language)
        lines.append(f"  {name:<{width}}  {f'{got:g}/{top:g}':>{score_width}}  {verdict}")
        if function.verdict not in (Verdict.PASSED, Verdict.NOT_ATTEMPTED):  # a stub says all in its verdict
            lines += [f"      {text}" for text in function.feedback_in(language).splitlines() if text.strip()]
    lines += [f"  {term('note', language)}: {flag}" for flag in result.flags]
    lines.append(f"{term('total', language)}: {total:g}/{sum(worth.values()):g}")
    return [one_line(line) for line in lines]
