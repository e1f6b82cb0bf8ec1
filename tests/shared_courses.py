"""The two graded courses the end-to-end modules share, each built once per test run.

Grading costs seconds per submission and per command (a kernel or a sandbox each; nbgrader's start-up each), so
the modules that need submissions graded with the course's own settings put them into one shared course instead
of grading a batch each:

- `dnnkit_graded` (the fixture is in conftest.py): graded by `dnnkit grade` (step_by_step; application too when
  the course's data files are there), each runner's lines traced ($DNNKIT_GRADE_TRACE), step_by_step graded a
  second time (which must resume and change nothing), then one `nbgrader generate_feedback` per assignment and
  one `dnnkit report step_by_step`;
- `nbgrader_graded`: graded by plain `nbgrader autograde`, then `nbgrader generate_feedback`.

A module takes part by defining `dnnkit_submissions(course)` or `nbgrader_submissions(course)`: a context manager
that writes its students' submissions (names of its own: two modules never share a student) and yields a dict
of facts it may fill in once the course is graded (test_hostile: whether anything reached its listeners);
`SHARED_FEEDBACK`, if the module sets it, names the students whose feedback pages it reads (default: all). The
modules taking part are the ones whose selected tests use the fixture, so a module run alone grades only its own
submissions. Whichever pytest-xdist worker needs a course first builds it under a file lock in the run's base
temporary folder; the others wait for it and read it. Tests only read a shared course: a test that must grade
again, or with other settings, copies it or grades a course of its own. docs/tests.md lists who takes part.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import shared_datasets
from dnnkit.course import Course
from dnnkit.nbgrader_cli import nbgrader
from grading_support import built_once, dnnkit_grade, grading_course

ASSIGNMENTS = ("step_by_step", "application")


@dataclass
class Run:
    """A command's outcome as the builder saw it (the fields of subprocess.CompletedProcess the tests read)."""
    returncode: int
    stdout: str
    stderr: str
    seconds: float


@dataclass
class GradedCourse:
    course: Course
    folder: Path
    facts: dict

    @property
    def trace(self) -> Path:
        """$DNNKIT_GRADE_TRACE of the step_by_step run: <student>.jsonl per runner."""
        return self.folder / "trace"

    def run(self, name: str) -> Run:
        """A command the builder ran: 'grade-step_by_step', 'grade-step_by_step-again', 'grade-application',
        'autograde-<assignment>', 'report-step_by_step'."""
        return Run(**json.loads((self.folder / "runs" / f"{name}.json").read_text()))

    def students(self, module: str, assignment: str = "step_by_step") -> list[str]:
        """The students `module` submitted for `assignment`."""
        return self.facts["modules"][module]["students"].get(assignment, [])

    def everyone(self, assignment: str = "step_by_step") -> list[str]:
        return sorted(s for module in self.facts["modules"].values() for s in module["students"].get(assignment, []))

    def facts_of(self, module: str) -> dict:
        return self.facts["modules"][module]["facts"]

    def feedback(self, student: str, assignment: str = "step_by_step") -> str:
        """The feedback page `nbgrader generate_feedback` made for `student`."""
        return (self.course.root / "feedback" / student / assignment / f"{assignment}.html").read_text()

    def raw(self, name: str) -> bytes:
        """A file the builder kept: 'grades-step_by_step.csv' as the first run wrote it, and as the second."""
        return (self.folder / "kept" / name).read_bytes()


def _submitted(course: Course) -> set[tuple[str, str]]:
    return {(path.parent.name, path.name) for path in (course.root / "submitted").glob("*/*")}


def _contribute(course: Course, modules, hook: str, stack: contextlib.ExitStack) -> dict:
    """Each module's submissions written by its `hook`; {module: {"students": {assignment: [...]}, "facts": {}}}."""
    made = {}
    for module in modules:
        before = _submitted(course)
        facts = stack.enter_context(getattr(module, hook)(course))
        new = _submitted(course) - before
        assert new, f"{module.__name__}.{hook} submitted nothing"
        students: dict[str, list[str]] = {}
        for student, assignment in sorted(new):
            students.setdefault(assignment, []).append(student)
        feedback = getattr(module, "SHARED_FEEDBACK", None)  # the students whose feedback the module reads
        made[module.__name__] = {"students": students, "facts": facts,
                                 "feedback": sorted({s for s, _ in new} if feedback is None else feedback)}
    return made


def _feedback(folder: Path, course: Course, assignment: str, made: dict) -> None:
    """`nbgrader generate_feedback` for the students whose modules read their pages (each page costs time)."""
    wanted = {s for module in made.values() for s in module["feedback"]}
    others = sorted({s for module in made.values() for s in module["students"].get(assignment, [])} - wanted)
    _keep(folder, f"feedback-{assignment}", nbgrader, course.root, "generate_feedback", assignment, "--force",
          f"--CourseDirectory.student_id_exclude={','.join(others)}")


def _keep(folder: Path, name: str, command, *args, **kwargs) -> None:
    """Run `command(*args, **kwargs)` and keep what it returned (and how long it took) as runs/<name>.json."""
    started = time.monotonic()
    done = command(*args, **kwargs)
    (folder / "runs").mkdir(exist_ok=True)
    (folder / "runs" / f"{name}.json").write_text(json.dumps(
        {"returncode": done.returncode, "stdout": done.stdout, "stderr": done.stderr,
         "seconds": round(time.monotonic() - started, 1)}))


def _graded_assignments(course: Course) -> list[str]:
    """The assignments with submissions; the application only with the course's data files (its tests skip
    without them)."""
    return [a for a in ASSIGNMENTS if any((course.root / "submitted").glob(f"*/{a}"))
            and (a != "application" or shared_datasets() is not None)]


def _build_dnnkit_graded(folder: Path, modules) -> None:
    course = grading_course(folder / "course", shared_datasets(), assignments=ASSIGNMENTS)
    (folder / "trace").mkdir()
    (folder / "kept").mkdir()
    with contextlib.ExitStack() as stack:
        made = _contribute(course, modules, "dnnkit_submissions", stack)
        for assignment in _graded_assignments(course):
            env = {"DNNKIT_GRADE_TRACE": str(folder / "trace")} if assignment == "step_by_step" else {}
            # a third sandbox beside the two cores' worth: several submissions wait out timeouts (on purpose)
            _keep(folder, f"grade-{assignment}", dnnkit_grade, course, assignment, "--workers", "3", env=env)
            csv = course.root / "autograded" / f"grades-{assignment}.csv"
            if assignment == "step_by_step" and csv.is_file():
                shutil.copy(csv, folder / "kept" / csv.name)
                _keep(folder, "grade-step_by_step-again", dnnkit_grade, course, assignment)
                shutil.copy(csv, folder / "kept" / f"{csv.stem}-again.csv")
            _feedback(folder, course, assignment, made)
        if (course.root / "autograded" / "grades-step_by_step.csv").is_file():
            _keep(folder, "report-step_by_step", subprocess.run,
                  [sys.executable, "-m", "dnnkit.cli", "report", "step_by_step"], capture_output=True, text=True,
                  env={**os.environ, "DNNKIT_COURSE_ROOT": str(course.root)})
    (folder / "facts.json").write_text(json.dumps({"modules": made}))


def _build_nbgrader_graded(folder: Path, modules) -> None:
    course = grading_course(folder / "course", shared_datasets(), assignments=ASSIGNMENTS)
    with contextlib.ExitStack() as stack:
        made = _contribute(course, modules, "nbgrader_submissions", stack)
        for assignment in _graded_assignments(course):
            _keep(folder, f"autograde-{assignment}", nbgrader, course.root, "autograde", assignment, "--force")
            _feedback(folder, course, assignment, made)
    (folder / "facts.json").write_text(json.dumps({"modules": made}))


BUILDS = {"dnnkit_graded": ("dnnkit_submissions", _build_dnnkit_graded),
          "nbgrader_graded": ("nbgrader_submissions", _build_nbgrader_graded)}


def shared(request, run_base: Path, fixture: str) -> GradedCourse:
    """The course of `fixture` (conftest.py's fixtures of these names), built once per run in `run_base` with the
    submissions of every selected module that uses the fixture and defines its hook."""
    hook, build = BUILDS[fixture]
    modules = {item.module.__name__: item.module for item in request.session.items
               if fixture in getattr(item, "fixturenames", ()) and hasattr(item.module, hook)}
    if not modules:
        pytest.fail(f"no selected module defines {hook}() for the {fixture} course")
    names = sorted(modules)
    folder = run_base / f"{fixture}-{hashlib.sha256(' '.join(names).encode()).hexdigest()[:10]}"
    built_once(folder, lambda folder: build(folder, [modules[name] for name in names]))
    return GradedCourse(Course(folder / "course"), folder, json.loads((folder / "facts.json").read_text()))
