"""Helpers for tests of `dnnkit grade`: a throw-away course, submissions made from the reference answers
with chosen edits, and the grades CSV read back."""
from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

from conftest import make_course_copy
from dnnkit.cases import DEPENDENCIES, FUNCTIONS
from dnnkit.course import Course
from dnnkit.mistakes import BY_NAME, for_function
from dnnkit.nbgrader_cli import nbgrader
from dnnkit.submissions import solved_notebook, write_submission


# The run's base temporary folder, shared by every pytest-xdist worker (conftest.py sets it): what is made once per
# run goes there. None outside pytest: then each course is made from scratch.
RUN_BASE: Path | None = None


def built_once(folder: Path, build) -> Path:
    """`folder`, made by `build(folder)` in whichever process comes first; the others wait on a lock beside it and
    reuse it. A build that failed fails every process that needs it, with the builder's error."""
    import fcntl
    import traceback

    import pytest

    folder.parent.mkdir(parents=True, exist_ok=True)
    done, failed = folder.with_name(folder.name + ".done"), folder.with_name(folder.name + ".failed")
    with open(folder.with_name(folder.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if failed.exists():
            pytest.fail(f"{folder.name} could not be built (by another worker):\n{failed.read_text()}")
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            try:
                build(folder)
            except BaseException:
                failed.write_text(traceback.format_exc()[-5000:])
                raise
            done.touch()
    return folder


def _make_template(folder: Path, assignments: tuple) -> None:
    make_course_copy(folder)
    for assignment in assignments:
        nbgrader(folder, "generate_assignment", assignment, "--force")


def grading_course(root: Path, datasets: Path | None = None, assignments=("step_by_step",)) -> Course:
    """A course copy with its gradebook set up by nbgrader generate_assignment (a copy of a template made once
    per run: the gradebook's URL follows the copy's nbgrader_config.py, so each copy has its own)."""
    assignments = tuple(assignments)
    if os.environ.get("DNNKIT_DB_URL") or RUN_BASE is None:  # a gradebook server's records stay on the server
        _make_template(root, assignments)
    else:
        template = RUN_BASE / ("course-template-" + "-".join(assignments))
        shutil.copytree(built_once(template, lambda folder: _make_template(folder, assignments)), root)
    if datasets is not None:
        for name in ("train_catvnoncat.h5", "test_catvnoncat.h5"):
            (root / "datasets" / name).write_bytes((datasets / name).read_bytes())
    return Course(root)


def submit(course: Course, student: str, assignment: str = "step_by_step", answers: dict[str, str] | None = None,
           transform=None) -> Path:
    """A correct submission, with solution cells replaced by `answers` {function: code} and the notebook then
    passed through `transform(nb)` (which may edit it in place or return a new one)."""
    nb = solved_notebook(course, assignment)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if answers and gid in answers:
            cell.source = answers[gid]
    if transform is not None:
        nb = transform(nb) or nb
    return write_submission(course, assignment, student, nb)


def answer(course: Course, function: str, assignment: str = "step_by_step", before: str = "", after: str = "",
           replace: tuple[str, str] | None = None) -> str:
    """The reference answer of `function` with code added before/after it, or one text replaced."""
    nb = solved_notebook(course, assignment)
    source = next(c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == function)
    if replace:
        assert replace[0] in source, f"{replace[0]!r} not in {function}'s answer"
        source = source.replace(*replace)
    return f"{before}\n{source}\n{after}".strip("\n") + "\n"


def dnnkit_grade(course: Course, assignment: str = "step_by_step", *args: str, timeout: float = 900,
                 env: dict[str, str] | None = None):
    """Run `dnnkit grade` as an instructor would (with `env` added to the environment); returns the completed
    process."""
    env = {**os.environ, "DNNKIT_COURSE_ROOT": str(course.root), **(env or {})}
    return subprocess.run([sys.executable, "-m", "dnnkit.cli", "grade", assignment, *args], env=env,
                          capture_output=True, text=True, timeout=timeout)


def read_grades(course: Course, assignment: str = "step_by_step") -> dict[str, dict[str, str]]:
    with open(course.root / "autograded" / f"grades-{assignment}.csv", newline="") as handle:
        return {row["student_id"]: row for row in csv.DictReader(handle)}


def scores(row: dict[str, str], functions) -> dict[str, float]:
    return {name: float(row[name]) for name in functions}


def feedback_html(course: Course, student: str, assignment: str = "step_by_step") -> str:
    nbgrader(course.root, "generate_feedback", assignment, "--student", student, "--force")
    return (course.root / "feedback" / student / assignment / f"{assignment}.html").read_text()


def feedback_pages(course: Course, assignment: str = "step_by_step") -> dict[str, str]:
    """{student: feedback page} for every graded submission, from one `nbgrader generate_feedback` (each
    command costs nbgrader's start-up again)."""
    nbgrader(course.root, "generate_feedback", assignment, "--force")
    return {page.parent.parent.name: page.read_text()
            for page in (course.root / "feedback").glob(f"*/{assignment}/{assignment}.html")}


def executed_notebook(course: Course, student: str, assignment: str = "step_by_step"):
    return nbformat.read(course.root / "autograded" / student / assignment / f"{assignment}.ipynb", 4)


STEP_NAMES = FUNCTIONS["step_by_step"]

# L_model_forward and L_model_backward as many students write them: right, but calling the layer's lowest helper
# (linear_forward, linear_backward) themselves, the activation and its derivative applied by hand, instead of
# going through linear_activation_forward / linear_activation_backward
CALLS_THE_LOWEST_HELPER = {
    "L_model_forward": '''
def L_model_forward(X, parameters):
    caches = []
    A = X
    L = len(parameters) // 2
    for l in range(1, L + 1):
        Z, linear_cache = linear_forward(A, parameters["W" + str(l)], parameters["b" + str(l)])
        A, activation_cache = relu(Z) if l < L else sigmoid(Z)
        caches.append((linear_cache, activation_cache))
    return A, caches
''',
    "L_model_backward": '''
def L_model_backward(AL, Y, caches):
    grads = {}
    L = len(caches)
    Y = Y.reshape(AL.shape)
    dA = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
    for l in range(L, 0, -1):
        linear_cache, activation_cache = caches[l - 1]
        dZ = sigmoid_backward(dA, activation_cache) if l == L else relu_backward(dA, activation_cache)
        dA, grads["dW" + str(l)], grads["db" + str(l)] = linear_backward(dZ, linear_cache)
        grads["dA" + str(l - 1)] = dA
    return grads
''',
}


def lose(*functions, names=STEP_NAMES) -> dict[str, float]:
    """Expected scores: 10 points for every function, 0 for the ones named."""
    return {name: 0.0 if name in functions else 10.0 for name in names}


def expect_row(row: dict[str, str], lost=(), status: str = "graded", flag: str | None = None,
               names=STEP_NAMES) -> None:
    """A CSV row's exact scores and status, and either no flag at all or one containing `flag`."""
    assert scores(row, names) == lose(*lost, names=names)
    assert row["status"] == status
    if flag is None:
        assert row["flags"] == ""
    else:
        assert flag in row["flags"]


def result_record(course: Course, student: str, assignment: str = "step_by_step") -> dict:
    """The grader-only result record `dnnkit grade` wrote for one submission, as JSON."""
    from dnnkit.grading.records import record_path

    return json.loads(record_path(course.root, assignment, student).read_text())


def grader_lines(nb, function: str) -> list[str]:
    """The `[grader]` verdict texts in the graded cell of `function` (a stream when it passed, the traceback of
    an error output when it did not)."""
    from dnnkit.cases import grade_id

    texts = []
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id(function):
            for output in cell.get("outputs", []):
                text = output.get("text", "") if output.output_type == "stream" else "\n".join(
                    output.get("traceback", [])) if output.output_type == "error" else ""
                if "[grader]" in text:
                    texts.append(text)
    return texts


def _calls(function: str) -> set[str]:
    """The graded functions `function` calls, directly or through others."""
    found: set[str] = set()
    for helper in DEPENDENCIES.get(function, ()):
        found |= {helper} | _calls(helper)
    return found


def rounds(functions) -> list[tuple[str, ...]]:
    """The catalog's mistakes of `functions` grouped so that each group can be made in one submission and each
    of its mistakes still shows as if made alone in a correct solution: no two mistakes of one function, and
    none in a function that another function of the group calls (a visible test runs a helper the reference
    never called with the student's own helper, which would then be wrong too)."""
    groups: list[list[str]] = []
    for function in functions:
        for mistake in (m for m in for_function(function) if m.edits):  # only an edit can be made
            for group in groups:
                others = {BY_NAME[name].function for name in group}
                if all(function != other and function not in _calls(other) and other not in _calls(function)
                       for other in others):
                    group.append(mistake.name)
                    break
            else:
                groups.append([mistake.name])
    return [tuple(g) for g in groups]
