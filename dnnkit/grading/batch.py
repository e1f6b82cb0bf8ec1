"""A batch of submissions of one assignment: which to grade (new, changed, or graded against another release or
other references), a concurrent.futures executor that runs pipeline.grade_one on each, then the grades CSV."""
from __future__ import annotations

import contextlib
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field

from tqdm import tqdm

from .. import DnnkitError
from ..course import Course
from ..gradebook import has_assignment, roster
from ..names import one_line, shown
from . import cgroup, cluster
from .grades_csv import refused_ids, submitted_ids, write_csv
from .pipeline import Grading, Submission, grade_one, print_traceback
from .records import Provenance, SubmissionResult, file_digest, read_record, submission_digest
from .sandbox import bubblewrap, rootless, rootless_problem, rootless_warning
from .settings import read_settings
from .supervisor import SandboxRun


@dataclass
class Plan:
    """What one `dnnkit grade` run does."""
    todo: list[Submission] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)  # the whole class's refused ids
    regraded: dict[str, str] = field(default_factory=dict)  # student: what changed since the last grade
    unchanged: list[str] = field(default_factory=list)


def plan(course: Course, assignment: str, named: list[str], force: bool) -> Plan:
    """Which submissions to grade: new ones, changed ones, ones graded against another release or other
    references (said why), ones the grader failed on; all of them with `force`."""
    students = sorted(set(named)) if named else submitted_ids(course, assignment)
    result = Plan(refused=refused_ids(course, assignment, students))
    for student, problem in result.refused.items():
        print(one_line(f"dnnkit grade: refused a submission folder '{shown(student, refused=True)}': {problem}"),
              file=sys.stderr)
    release = file_digest(course.release(assignment))
    references = file_digest(course.reference_file(assignment))
    for student in students:
        if student in result.refused:
            continue
        folder = course.root / "submitted" / student / assignment
        try:
            digest = submission_digest(folder)
        except OSError as err:  # unreadable: graded as far as it can be, like any broken submission
            digest = f"unreadable: {type(err).__name__}"
        now = Provenance(digest, release, references)
        try:
            old = read_record(course.root, assignment, student)
        except ValueError:
            old = None
        if old is not None and not force and not old.grader_error:
            changed = now.changed_since(old.provenance)
            if changed is None:
                result.unchanged.append(student)
                continue
            if changed != "submission":
                result.regraded[student] = Provenance.CHANGES[changed]
        result.todo.append(Submission(student, folder, now))
    if named:  # the CSV lists the whole class's refused ids, also under --student
        result.refused |= refused_ids(course, assignment)
    return result


def summary_line(result: SubmissionResult) -> str:
    """The terminal line of one graded submission: nbgrader's final score, then anything to look at."""
    found = [f"{n}: {f.diagnosis['mistake']}" for n, f in result.functions.items() if f.diagnosis]
    late = (f" (raw {result.raw_score:g}, late penalty {result.late_submission_penalty:g})"
            if result.late_submission_penalty else "")
    return one_line(f"{shown(result.student)}: {result.score:g}/{result.max_score:g}{late} {result.status}"
                    + (f" — {'; '.join(result.flags)}" if result.flags else "")
                    + (f" — not attempted: {', '.join(result.not_attempted)}" if result.not_attempted else "")
                    + (f" — mistakes found: {', '.join(found)}" if found else ""))


def grade(course: Course, assignment: str, named: list[str], force: bool, sandboxed: bool, workers: int,
          scheduler: str | None) -> int:
    """Grade the batch; 0, or 1 when the grader itself failed on a submission (each still has its row)."""
    check_sandbox(sandboxed, scheduler)
    if not course.notebook(assignment, "release").is_file():
        raise DnnkitError(f"release/{assignment}/{assignment}.ipynb is missing; run `dnnkit release {assignment}`")
    limits, timeouts = read_settings(course.root)
    if not has_assignment(course.root, assignment):
        raise DnnkitError(f"the gradebook has no assignment {assignment!r}; run `dnnkit release {assignment}` "
                          "(nbgrader generate_assignment) first")
    sandbox = SandboxRun(course, assignment, limits, timeouts, sandboxed)
    grading = Grading.open(course, assignment, sandbox)
    work = plan(course, assignment, named, force)
    for student in work.unchanged:
        print(one_line(f"{shown(student)}: already graded (use --force to regrade)"))
    if work.regraded:
        print(f"dnnkit grade: grading {len(work.regraded)} submission(s) again: "
              f"{'; '.join(sorted(set(work.regraded.values())))} since they were graded")
    known = roster(course.root)
    broke = 0
    with contextlib.closing(sandbox), executors(scheduler, workers, course.root, sandboxed) as (threads, remote):
        grading.remote = remote
        grading.slots = None if remote else threading.BoundedSemaphore(max(1, workers))
        sandbox.to_start = len(work.todo)  # a warm spare sandbox for each submission to come, none beyond
        runs = [threads.submit(grade_one, submission, grading) for submission in work.todo]
        with tqdm(total=len(runs), unit="submission", desc=f"grading {assignment}", file=sys.stderr,
                  disable=not runs) as bar:
            for run in as_completed(runs):
                try:
                    result = run.result()
                except Exception:  # not even a record could be written (the next run grades it again)
                    print_traceback()
                    broke += 1
                    continue
                broke += result.grader_error
                bar.update()
                bar.write(summary_line(result), file=sys.stdout)
    csv_path = write_csv(course, assignment, work.refused)
    if csv_path.name != f"grades-{assignment}.csv":
        print(f"dnnkit grade: warning: autograded/grades-{assignment}.csv is a folder (left by an older dnnkit "
              f"that took a student id of that name); the grades went to {csv_path.name}; remove that folder",
              file=sys.stderr)
    unknown = sorted({submission.student for submission in work.todo} - known)
    if unknown and known:
        print(one_line(f"dnnkit grade: warning: {len(unknown)} student(s) not in the gradebook's roster were "
                       f"added to it, as nbgrader autograde does: {', '.join(shown(s) for s in unknown)}"),
              file=sys.stderr)
    print(f"{csv_path.relative_to(course.root)}: {len(work.todo) + len(work.unchanged)} submission(s)"
          + (f", {len(work.refused)} refused (status `refused` in the CSV, with the reason)" if work.refused else ""))
    if work.todo:
        print(f"feedback: `nbgrader generate_feedback {assignment} --force` writes it for every graded submission "
              "(again for those graded again)")
    return 1 if broke else 0


def check_sandbox(sandboxed: bool, scheduler: str | None) -> None:
    """Refuse what cannot be sandboxed as asked (one line each); warn of what the sandbox lacks here."""
    if sandboxed and bubblewrap() is None:
        raise DnnkitError("bubblewrap is not installed, so student code cannot be sandboxed; "
                          "`apt-get install bubblewrap`, or pass --unsafe-no-sandbox to grade without it")
    if not sandboxed and os.geteuid() == 0:
        raise DnnkitError("--unsafe-no-sandbox as root would run student code as root; grade in the sandbox "
                          "(without the flag), or from an unprivileged account such as the course's")
    if scheduler:
        cluster.check_address(scheduler)  # before anything is read or drawn
    local = sandboxed and not scheduler and rootless()  # the sandboxes run here, without root
    if local and rootless_problem() is not None:
        raise DnnkitError(f"no sandbox for this account: {rootless_problem()}")
    if not sandboxed:
        print("dnnkit grade: WARNING: --unsafe-no-sandbox: student code runs with your permissions", file=sys.stderr)
    elif local:
        print(rootless_warning(cgroup.available()), file=sys.stderr)
    elif cgroup.available() is not None:
        print(f"dnnkit grade: warning: memory is limited per process only: {cgroup.available()}", file=sys.stderr)


@contextlib.contextmanager
def executors(scheduler: str | None, workers: int, root, sandboxed: bool = True):
    """(threads that run grade_one, where their sandboxed runs go): twice `workers` threads, sandboxes here; or one
    thread per cluster thread, with distributed's executor (a run whose worker dies is retried on another)."""
    if not scheduler:
        with ThreadPoolExecutor(max_workers=2 * max(1, workers)) as threads:
            yield threads, None
        return
    with cluster.connect(scheduler, root) as client:
        if not sandboxed:
            cluster.refuse_root_workers(client)
        slots = max(1, sum(client.nthreads().values()))
        with ThreadPoolExecutor(max_workers=slots) as threads, client.get_executor(pure=False, retries=3) as remote:
            yield threads, remote
