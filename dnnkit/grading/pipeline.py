"""One submission from submitted/ to the gradebook, `grade_one`: take in (intake.py) -> run sandboxed
(supervisor.py) -> judge (judge.py) -> nbgrader pass (nbgrader_pipeline.py) -> record (records.py); and `Grading`,
what the submissions of one run share (docs/grading-path.md says which steps take turns, and why).
"""
from __future__ import annotations

import contextlib
import sys
import threading
import traceback
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path

from ..cases import FUNCTIONS
from ..course import Course
from ..names import one_line
from ..sanitize import sanitize_notebook
from ..student_cases import StudentCases
from .intake import Release, take_in
from .judge import Grader
from .nbgrader_pipeline import NbgraderPass
from .records import FunctionResult, Provenance, Status, SubmissionResult, write_record
from .supervisor import RunState, SandboxRun


@dataclass(frozen=True)
class Submission:
    """One submission to grade: whose, where, and the digests of what its grade will depend on."""
    student: str
    folder: Path
    provenance: Provenance = field(default_factory=Provenance)


@dataclass
class Grading:
    """What the submissions of one run share: the release, the hidden cases' source, the sandbox, the judge,
    nbgrader's pass, and where sandboxed runs go (`remote`: a Dask executor; None: the calling thread)."""
    course: Course
    assignment: str
    release: Release
    cases: StudentCases
    sandbox: SandboxRun
    judge: Grader
    nbgrader_pass: NbgraderPass
    remote: Executor | None = None
    references: threading.Lock = field(default_factory=threading.Lock)  # drawing and judging, one at a time
    gradebook: threading.Lock = field(default_factory=threading.Lock)  # nbgrader's pass and the record, likewise
    slots: threading.Semaphore | None = None  # how many sandboxes may run here at once (None: no bound)

    @classmethod
    def open(cls, course: Course, assignment: str, sandbox: SandboxRun) -> "Grading":
        return cls(course, assignment, Release.of(course, assignment), StudentCases(course, assignment), sandbox,
                   Grader(course, assignment), NbgraderPass(course.root, assignment))

    def run_sandboxed(self, student: str, notebook, hidden: dict) -> RunState:
        """Run `notebook` in a sandbox, here or on the cluster, on its hidden cases' inputs only."""
        inputs = self.sandbox.inputs(hidden)  # the expected outputs stay in this process
        if self.remote is None:
            with self.slots or contextlib.nullcontext():
                return self.sandbox.run(student, notebook, inputs)
        return self.remote.submit(self.sandbox.run, student, notebook, inputs).result()


def grade_one(submission: Submission, grading: Grading) -> SubmissionResult:
    """Grade one submission and record it; a fault of the grader's own is recorded too (result.grader_error), and
    the batch goes on."""
    student = submission.student
    try:
        taken = take_in(submission.folder, grading.release)
        with grading.references:
            hidden = grading.cases.for_student(student, submission.provenance.submission)
        ran = None if taken.notebook is None else grading.run_sandboxed(student, taken.notebook, hidden)
        with grading.references:
            result = grading.judge.finish(student, taken, ran, hidden)
    except Exception as err:
        print_traceback()
        result = SubmissionResult(student, grading.assignment, Status.INCOMPLETE,
                                  functions={n: FunctionResult(n) for n in FUNCTIONS[grading.assignment]})
        result.add_grader_error(f"{type(err).__name__}: {err}")
    result.provenance = submission.provenance
    with grading.gradebook:
        nbgrader_pass(result, submission.folder, grading)
        write_record(grading.course.root, result)  # last: a run killed before this grades the submission again
    result.notebook = None  # in autograded/ now; a batch's results stay small
    return result


def nbgrader_pass(result: SubmissionResult, folder: Path, grading: Grading) -> None:
    """nbgrader's autograde pass writes the verdicts into the gradebook, which then gives the scores back."""
    try:
        if result.notebook is not None:
            result.flags.extend(sanitize_notebook(result.notebook))  # flags for the instructor; nbgrader's pass
            # runs the same sanitizer again on everything it writes
        if result.status is Status.MISSING:
            grading.nbgrader_pass.read_back(result)
        else:
            grading.nbgrader_pass.run(result, folder, grading.release.notebook)
    except Exception as err:  # still a record for this student
        print_traceback()
        result.add_grader_error(f"could not record the grade: {type(err).__name__}: {err}")
        result.notebook = None


def print_traceback() -> None:
    """The current exception's traceback on stderr, each line inert (it may quote a student's file name)."""
    print("\n".join(one_line(line) for line in traceback.format_exc().splitlines()), file=sys.stderr)
