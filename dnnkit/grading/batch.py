"""A batch of submissions of one assignment, from submitted/ to the gradebook: which to grade (new, changed,
or graded against another release or other references), sandboxed runs in parallel (threads here, or a Dask
cluster), and in this one thread the judging, nbgrader's autograde pass, the records and the grades CSV."""
from __future__ import annotations

import contextlib
import csv
import io
import os
import sys
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor
from concurrent.futures import wait as futures_wait
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from .. import DnnkitError
from ..cases import FUNCTIONS
from ..course import Course
from ..gradebook import has_assignment, roster, submission_scores
from ..names import id_problem, id_problems, one_line, shown
from ..sanitize import sanitize_notebook
from ..student_cases import StudentCases
from . import cgroup, cluster
from .intake import submission_digest
from .judge import Grader
from .nbgrader_pipeline import NbgraderPass
from .records import (FunctionResult, Provenance, Status, SubmissionResult, file_digest, read_record,
                      recorded_students, write_record)
from .sandbox import bubblewrap, rootless, rootless_problem, rootless_warning
from .settings import read_settings

ROOT_WITHOUT_SANDBOX = ("--unsafe-no-sandbox as root would run student code as root; grade in the sandbox "
                        "(without the flag), or from an unprivileged account such as the course's")


def submitted_ids(course: Course, assignment: str) -> list[str]:
    """The names of the folders submitted/*/ that hold an entry ASSIGNMENT (undecodable bytes as os.fsdecode
    keeps them): every entry gets a row, a file or a link where the folder should be is reported, not skipped."""
    return sorted(p.parent.name for p in (course.root / "submitted").glob(f"*/{assignment}") if p.parent.is_dir())


def refused_ids(course: Course, assignment: str, students=None) -> dict[str, str]:
    """{student id: why it is refused and what to do} among `students` (default: every folder in submitted/),
    each checked alone and beside the class's other folders and the gradebook's roster (dnnkit.names)."""
    everyone = submitted_ids(course, assignment)
    students = everyone if students is None else students
    problems = id_problems({*everyone, *students}, roster(course.root))
    return {student: problems[student] for student in students if student in problems}


@dataclass
class Plan:
    """What one `dnnkit grade` run does."""
    todo: list[tuple[str, Path, Provenance]] = field(default_factory=list)
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
        result.todo.append((student, folder, now))
    result.refused |= refused_ids(course, assignment)  # the CSV lists the whole class's, also under --student
    return result


def csv_text(course: Course, assignment: str, refused: dict[str, str]) -> str:
    """The grades CSV: one row per record (scores as the gradebook holds them now, manual grades and late
    penalties included) and one `refused` row per refused id."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(SubmissionResult.csv_header(assignment))
    students = [s for s in recorded_students(course.root, assignment) if not id_problem(s) and s not in refused]
    results = {}
    for student in students:
        try:
            results[student] = read_record(course.root, assignment, student)
        except ValueError as err:
            print(one_line(f"dnnkit grade: warning: the record of {shown(student)} is unreadable ({err}); "
                           "left out of the CSV"), file=sys.stderr)
    names = FUNCTIONS[assignment]
    for student, problem in refused.items():  # never graded: zero points out of the assignment's
        results[student] = SubmissionResult(student, assignment, Status.REFUSED, functions={
            n: FunctionResult(n) for n in names})
        results[student].flags.append(f"refused: the folder submitted/{shown(student, refused=True)} is not a "
                                      f"usable student id: {problem}")
    graded = [student for student in results if student not in refused]
    table = submission_scores(course.root, assignment, [*graded, None]) if results else {}
    for student, result in results.items():
        if (scores := table.get(None if student in refused else student)) is not None:
            result.apply(scores)
    rows = [(student, result.csv_row(shown(student, refused=True) if student in refused else None))
            for student, result in results.items()]
    writer.writerows(row for _, row in sorted(rows, key=lambda row: row[0]))
    return buffer.getvalue()


def write_csv(course: Course, assignment: str, refused: dict[str, str] | None = None) -> Path:
    """autograded/grades-ASSIGNMENT.csv (see csv_text; `refused` default: the folders in submitted/)."""
    refused = refused_ids(course, assignment) if refused is None else refused
    return write_kit_file(course.root / "autograded", f"grades-{assignment}.csv",
                          csv_text(course, assignment, refused))


def write_kit_file(folder: Path, name: str, text: str) -> Path:
    """Write `text` as folder/name (a file of the kit's own, like the grades CSV or the report) atomically,
    through a hidden temporary file (no student id begins with '.'). Where a folder holds that name (left by an
    older dnnkit that took any folder name for a student id), the file goes to "stem-1.suffix" (or -2, ...)
    instead; the caller says so. Returns where it was written."""
    folder.mkdir(exist_ok=True)
    stem, dot, suffix = name.rpartition(".")
    target, n = folder / name, 0
    while target.is_dir() and not target.is_symlink():
        n += 1
        target = folder / f"{stem}-{n}{dot}{suffix}"
    tmp = folder / f".{target.name}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o666)
    with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace", newline="") as handle:
        handle.write(text)
    os.replace(tmp, target)
    return target


def print_traceback() -> None:
    """The current exception's traceback on stderr, each line inert (it may quote a student's file name)."""
    print("\n".join(one_line(line) for line in traceback.format_exc().splitlines()), file=sys.stderr)


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
    if sandboxed and bubblewrap() is None:
        raise DnnkitError("bubblewrap is not installed, so student code cannot be sandboxed; "
                          "`apt-get install bubblewrap`, or pass --unsafe-no-sandbox to grade without it")
    if not sandboxed and os.geteuid() == 0:
        raise DnnkitError(ROOT_WITHOUT_SANDBOX)
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
    if not course.notebook(assignment, "release").is_file():
        raise DnnkitError(f"release/{assignment}/{assignment}.ipynb is missing; run `dnnkit release {assignment}`")
    limits, timeouts = read_settings(course.root)
    if not has_assignment(course.root, assignment):
        raise DnnkitError(f"the gradebook has no assignment {assignment!r}; run `dnnkit release {assignment}` "
                          "(nbgrader generate_assignment) first")
    grader = Grader(course, assignment, limits, timeouts, sandboxed=sandboxed)
    nbgrader_pass = NbgraderPass(course.root, assignment)
    hidden = StudentCases(course, assignment)
    work = plan(course, assignment, named, force)
    for student in work.unchanged:
        print(one_line(f"{shown(student)}: already graded (use --force to regrade)"))
    if work.regraded:
        reasons = sorted(set(work.regraded.values()))
        print(f"dnnkit grade: grading {len(work.regraded)} submission(s) again: {'; '.join(reasons)} since they "
              "were graded")
    known = roster(course.root)
    broke = failed = 0
    split = {"start-up": process_age(), "drawing cases": 0.0, "kernel_start": 0.0, "execution": 0.0,
             "checking": 0.0, "writing": 0.0}
    with contextlib.closing(grader.runner), executor(scheduler, workers, course.root, sandboxed) as pool, tqdm(
            total=len(work.todo), unit="submission", desc=f"grading {assignment}", file=sys.stderr,
            disable=not work.todo) as bar:
        running: dict = {}  # future: (student, folder, provenance, hidden cases)
        queue = iter(work.todo)
        while True:
            # this thread draws each student's hidden cases (the expected outputs never leave it) and keeps
            # a few submissions queued per worker; it is also the one gradebook and record writer
            for student, folder, provenance in queue:
                drawn = time.monotonic()
                cases = hidden.for_student(student, provenance.submission)
                split["drawing cases"] += time.monotonic() - drawn
                running[pool.submit(grader.runner.execute, student, folder, grader.inputs(cases))] = (
                    student, folder, provenance, cases)
                if len(running) >= pool.window:
                    break
            if not running:
                break
            for future in pool.done(running):
                student, folder, provenance, cases = running.pop(future)
                result, error = judged(grader, assignment, student, future, cases, split)
                result.provenance = provenance
                written = time.monotonic()
                broke += error + record(course, nbgrader_pass, result, folder, grader.runner.master)
                split["writing"] += time.monotonic() - written
                failed += result.status is not Status.GRADED
                bar.update()
                bar.set_postfix(running=len(running), not_graded=failed)
                bar.write(summary_line(result), file=sys.stdout)
    csv_path = write_csv(course, assignment, work.refused)
    if csv_path.name != f"grades-{assignment}.csv":
        print(f"dnnkit grade: warning: autograded/grades-{assignment}.csv is a folder (left by an older dnnkit "
              f"that took a student id of that name); the grades went to {csv_path.name}; remove that folder",
              file=sys.stderr)
    unknown = sorted({student for student, _, _ in work.todo} - known)
    if unknown and known:
        print(one_line(f"dnnkit grade: warning: {len(unknown)} student(s) not in the gradebook's roster were "
                       f"added to it, as nbgrader autograde does: {', '.join(shown(s) for s in unknown)}"),
              file=sys.stderr)
    print(f"{csv_path.relative_to(course.root)}: {len(work.todo) + len(work.unchanged)} submission(s)"
          + (f", {len(work.refused)} refused (status `refused` in the CSV, with the reason)" if work.refused else ""))
    if work.todo:
        print(f"feedback: `nbgrader generate_feedback {assignment} --force` writes it for every graded submission "
              "(again for those graded again)")
    print("time split (s; kernel start and execution summed over parallel runs): "
          + ", ".join(f"{k.replace('_', ' ')} {v:.2f}" for k, v in split.items()))
    return 1 if broke else 0


def record(course: Course, nbgrader_pass: NbgraderPass, result: SubmissionResult, folder: Path, master) -> int:
    """nbgrader's autograde pass, then the record that marks the submission as done (so a killed run redoes
    it); 1 when the grader itself failed (the submission still gets its record, flagged)."""
    try:
        if result.notebook is not None:
            result.flags.extend(sanitize_notebook(result.notebook))  # flags for the instructor; nbgrader's pass
            # runs the same sanitizer again on everything it writes
        if result.status is not Status.MISSING:
            nbgrader_pass.run(result, folder, master)
        else:
            nbgrader_pass.read_back(result)
        write_record(course.root, result)
        return 0
    except Exception as err:  # still a record for this student, and the batch goes on
        print_traceback()
        result.add_grader_error(f"could not record the grade: {type(err).__name__}: {err}")
        result.notebook = None
        write_record(course.root, result)
        return 1


def process_age() -> float:
    """Seconds since this process started (interpreter and imports included)."""
    try:
        ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return max(0.0, uptime - ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return 0.0


def judged(grader: Grader, assignment: str, student: str, future, cases: dict, split: dict):
    """(the verdicts on one finished sandboxed run, 1 if the grader itself failed else 0)."""
    try:
        outcome = future.result()
        for key, value in (outcome.state.timings if outcome.state else {}).items():
            split[key] += value
        checked = time.monotonic()
        result = grader.finish(outcome, cases)
        split["checking"] += time.monotonic() - checked
        return result, 0
    except Exception as err:  # the grader's own fault: record it, keep going, exit non-zero
        result = SubmissionResult(student, assignment, status=Status.INCOMPLETE)
        result.add_grader_error(f"{type(err).__name__}: {err}")
        result.functions = {n: FunctionResult(n) for n in FUNCTIONS[assignment]}
        print_traceback()
        return result, 1


@contextlib.contextmanager
def executor(scheduler: str | None, workers: int, root: Path, sandboxed: bool = True):
    """Where the sandboxed runs happen: local threads (each drives its own sandbox process) or a Dask cluster
    that shows the course's TLS certificate (cluster.py)."""
    if scheduler:
        with cluster.connect(scheduler, root) as client:
            if not sandboxed:
                cluster.refuse_root_workers(client)
            yield DaskPool(client)
    else:
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            yield LocalPool(pool, max(1, workers))


class LocalPool:
    """Threads on this machine; `window` submissions are queued at most (two per worker)."""

    def __init__(self, pool: ThreadPoolExecutor, workers: int):
        self.pool, self.window = pool, 2 * workers

    def submit(self, function, *args):
        return self.pool.submit(function, *args)

    @staticmethod
    def done(futures) -> set:
        """Wait until at least one of `futures` is done; those that are."""
        return futures_wait(list(futures), return_when=FIRST_COMPLETED).done


class DaskPool:
    """The same on a Dask cluster: tasks retried on another worker if theirs dies."""

    def __init__(self, client):
        self.client = client
        self.window = 2 * max(1, sum(client.nthreads().values()))

    def submit(self, function, *args):
        return self.client.submit(function, *args, pure=False, retries=3)

    @staticmethod
    def done(futures) -> set:
        from distributed import wait

        return wait(list(futures), return_when="FIRST_COMPLETED").done
