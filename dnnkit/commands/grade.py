"""`dnnkit grade ASSIGNMENT`: grade submissions in the sandbox, scores decided outside it; record them in the
nbgrader gradebook, write autograded/ notebooks and autograded/grades-ASSIGNMENT.csv. Resumable."""
from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import shutil
import sys
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor
from concurrent.futures import wait as futures_wait
from pathlib import Path

import nbformat
from tqdm import tqdm

from .. import DnnkitError, cgroup
from ..cases import FUNCTIONS
from ..course import Course
from ..gradebook import course_config, record_scores
from ..intake import candidates, read_limited
from ..sanitize import sanitize_notebook
from ..names import csv_cell, id_problem, one_line, shown, suggested_id
from ..grading import FunctionResult, Grader, SubmissionResult, Timeouts
from ..student_cases import StudentCases
from ..sandbox import Limits, bubblewrap

RESULT_FILE = "dnnkit-result.json"


def add_arguments(parser) -> None:
    parser.add_argument("assignment", choices=list(FUNCTIONS))
    parser.add_argument("--student", action="append", default=[], metavar="ID",
                        help="grade only this student (repeatable); a named student without a submission gets "
                             "status 'missing'")
    parser.add_argument("--force", action="store_true", help="regrade submissions already graded")
    parser.add_argument("--unsafe-no-sandbox", action="store_true",
                        help="run student code without bubblewrap (only where it is unavailable; unsafe)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, metavar="N",
                        help="submissions graded at once on this machine (default: the number of cores)")
    parser.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                        help="send the sandboxed runs to this Dask cluster; scores are still decided here")


def settings(root: Path) -> tuple[Limits, Timeouts]:
    """Limits and timeouts from nbgrader_config.py's c.DnnkitGrade section (defaults where absent)."""
    section = course_config(root).get("DnnkitGrade", {})
    limits = Limits(**{k: int(section[k]) for k in Limits.__dataclass_fields__ if k in section})
    timeouts = Timeouts(**{k: float(section[k]) for k in Timeouts.__dataclass_fields__ if k in section})
    return limits, timeouts


def submission_digest(folder: Path) -> str:
    """sha256 over the submission's notebook files (names and bytes): a changed submission is regraded.
    Links, FIFOs and oversized files are not read (see dnnkit.intake)."""
    h = hashlib.sha256()
    if folder.is_dir() and not folder.is_symlink():
        for path in candidates(folder):
            data = read_limited(path)
            h.update(os.fsencode(path.name) + b"\0" + (data if data is not None else b"<too large>") + b"\0")
    return h.hexdigest()


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def result_record(result: SubmissionResult, digest: str) -> dict:
    return {"student": result.student, "assignment": result.assignment, "status": result.status,
            "grader_error": any(flag.startswith("grader error") for flag in result.flags),
            "flags": result.flags, "submission_sha256": digest, "score": result.score, "max_score": result.max_score,
            "functions": {n: {"score": f.score, "max_score": f.max_score, "verdict": f.verdict, "message": f.message,
                              "visible_passed": f.visible_passed, "diagnosis": f.diagnosis}
                          for n, f in result.functions.items()}}


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


def diagnoses(functions: dict) -> list[str]:
    """"function: mistake" for every function ({name: diagnosis or None}) whose answers match a catalogued
    mistake."""
    return [f"{name}: {found['mistake']}" for name, found in functions.items() if found]


def write_outputs(course: Course, result: SubmissionResult, digest: str) -> None:
    """autograded/<student>/<assignment>/: the executed notebook, the released files, then the gradebook,
    and last the result record that marks the submission as done (so a killed run redoes it)."""
    folder = course.root / "autograded" / result.student / result.assignment
    folder.mkdir(parents=True, exist_ok=True)
    if result.notebook is not None:
        for item in course.release(result.assignment).iterdir():
            if item.is_file() and item.suffix != ".ipynb":
                shutil.copy(item, folder / item.name)
        result.flags.extend(sanitize_notebook(result.notebook))  # the student's markup, inert for the instructor
        nbformat.write(result.notebook, folder / f"{result.assignment}.ipynb")
        record_scores(course.root, result.assignment, result.student,
                      {f"test_{n}": f.score for n, f in result.functions.items()})
    _atomic_write(folder / RESULT_FILE, json.dumps(result_record(result, digest), indent=1))


def refusal(student: str, problem: str) -> str:
    """What to do about a refused student id (one line, the id shown inert)."""
    better = suggested_id(student)
    return (f"{problem}; rename it" + (f" (e.g. to '{better}')" if better else
                                        " (letters, digits and _ - . @ + only)") + " and grade again")


def csv_rows(course: Course, assignment: str, refused: dict[str, str]) -> list[tuple[str, list[str]]]:
    """[(student id, row)] from every result record of the assignment and every refused id {id: problem};
    text cells neutralized for spreadsheets, numbers as numbers."""
    names = list(FUNCTIONS[assignment])
    rows = []
    for path in (course.root / "autograded").glob(f"*/{assignment}/{RESULT_FILE}"):
        student = path.parent.parent.name
        if id_problem(student) or student in refused:  # a folder left by an older dnnkit: never read
            continue
        record = json.loads(path.read_text())
        found = diagnoses({n: f.get("diagnosis") for n, f in record["functions"].items()})
        rows.append((student, [csv_cell(record["student"]), *[f"{record['functions'][n]['score']:g}" for n in names],
                               f"{record['score']:g}", f"{record['max_score']:g}", csv_cell(record["status"]),
                               csv_cell(" | ".join(record["flags"])), csv_cell(" | ".join(found))]))
    top = sum(FunctionResult(n).max_score for n in names)
    for student, problem in refused.items():
        flag = f"refused: the folder submitted/{shown(student)} is not a usable student id: {refusal(student, problem)}"
        rows.append((student, [csv_cell(shown(student)), *["0"] * len(names), "0", f"{top:g}", "refused",
                               csv_cell(flag), ""]))
    return sorted(rows, key=lambda row: row[0])


def write_csv(course: Course, assignment: str, refused: dict[str, str] | None = None) -> Path:
    """autograded/grades-ASSIGNMENT.csv from every result record of the assignment, and a `refused` row for
    every refused student id ({id: problem}; default: those of the folders in submitted/)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["student_id", *FUNCTIONS[assignment], "score", "max_score", "status", "flags", "diagnoses"])
    refused = refused_ids(course, assignment) if refused is None else refused
    writer.writerows(row for _, row in csv_rows(course, assignment, refused))
    return write_kit_file(course.root / "autograded", f"grades-{assignment}.csv", buffer.getvalue())


def already_graded(course: Course, assignment: str, student: str, digest: str) -> bool:
    """Finished before, on the same submission, and not by a grader error (those are tried again)."""
    path = course.root / "autograded" / student / assignment / RESULT_FILE
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return False
    return record.get("submission_sha256") == digest and not record.get("grader_error")


def submitted_ids(course: Course, assignment: str) -> list[str]:
    """The names of the folders submitted/*/ that hold an entry ASSIGNMENT (undecodable bytes as os.fsdecode
    keeps them): every entry gets a row, a file or a link where the folder should be is reported, not skipped."""
    submitted = course.root / "submitted"
    return sorted(p.parent.name for p in submitted.glob(f"*/{assignment}") if p.parent.is_dir())


def students_to_grade(course: Course, assignment: str, named: list[str]) -> list[str]:
    return sorted(set(named)) if named else submitted_ids(course, assignment)


def refused_ids(course: Course, assignment: str, students=None) -> dict[str, str]:
    """{student id: why it is refused} among `students` (default: every folder in submitted/)."""
    students = submitted_ids(course, assignment) if students is None else students
    return {student: problem for student in students if (problem := id_problem(student))}


def print_traceback() -> None:
    """The current exception's traceback on stderr, each line inert (it may quote a student's file name)."""
    print("\n".join(one_line(line) for line in traceback.format_exc().splitlines()), file=sys.stderr)


def run(args) -> int:
    course = Course()
    assignment = args.assignment
    if not args.unsafe_no_sandbox and bubblewrap() is None:
        raise DnnkitError("bubblewrap is not installed, so student code cannot be sandboxed; "
                          "`apt-get install bubblewrap`, or pass --unsafe-no-sandbox to grade without it")
    if args.unsafe_no_sandbox:
        print("dnnkit grade: WARNING: --unsafe-no-sandbox: student code runs with your permissions", file=sys.stderr)
    elif cgroup.available() is not None:
        print(f"dnnkit grade: warning: memory is limited per process only: {cgroup.available()}", file=sys.stderr)
    if not course.notebook(assignment, "release").is_file():
        raise DnnkitError(f"release/{assignment}/{assignment}.ipynb is missing; run `dnnkit release {assignment}`")
    limits, timeouts = settings(course.root)
    grader = Grader(course, assignment, limits, timeouts, sandboxed=not args.unsafe_no_sandbox)
    hidden = StudentCases(course, assignment)
    students = students_to_grade(course, assignment, args.student)
    # a folder name that could act as markup, a formula, a control sequence or a path, or that collides with
    # the kit's own files, never reaches the gradebook or autograded/: it gets a `refused` row and one line
    refused = refused_ids(course, assignment, students)
    for student, problem in refused.items():
        print(one_line(f"dnnkit grade: refused a submission folder '{shown(student)}': {refusal(student, problem)}"),
              file=sys.stderr)
    students = [student for student in students if student not in refused]
    refused |= refused_ids(course, assignment)  # the CSV lists the whole class's, also under --student
    todo = []
    for student in students:
        folder = course.root / "submitted" / student / assignment
        try:
            digest = submission_digest(folder)
        except OSError as err:  # unreadable: graded as far as it can be, like any broken submission
            digest = f"unreadable: {type(err).__name__}"
        if not args.force and already_graded(course, assignment, student, digest):
            print(one_line(f"{shown(student)}: already graded (use --force to regrade)"))
        else:
            todo.append((student, folder, digest))
    broke = failed = 0
    split = {"start-up": process_age(), "drawing cases": 0.0, "kernel_start": 0.0, "execution": 0.0,
             "checking": 0.0, "writing": 0.0}
    with contextlib.closing(grader.runner), executor(args) as pool, tqdm(
            total=len(todo), unit="submission", desc=f"grading {assignment}", file=sys.stderr,
            disable=not todo) as bar:
        running: dict = {}  # future: (student, digest, hidden cases)
        queue = iter(todo)
        while True:
            # this thread draws each student's hidden cases (the expected outputs never leave it) and keeps
            # a few submissions queued per worker; it is also the one gradebook and CSV writer
            for student, folder, digest in queue:
                drawn = time.monotonic()
                cases = hidden.for_student(student)
                split["drawing cases"] += time.monotonic() - drawn
                running[pool.submit(grader.runner.execute, student, folder, grader.inputs(cases))] = (
                    student, digest, cases)
                if len(running) >= pool.window:
                    break
            if not running:
                break
            for future in pool.done(running):
                student, digest, cases = running.pop(future)
                result, error = collect(grader, assignment, student, future, cases, split)
                broke += error
                written = time.monotonic()
                try:
                    write_outputs(course, result, digest)
                except Exception as err:  # still a row for this student, and the batch goes on
                    broke += 1
                    print_traceback()
                    result.flags.append(f"grader error: could not write the results: {type(err).__name__}: {err}")
                    result.notebook = None
                    write_outputs(course, result, digest)
                write_csv(course, assignment, refused)
                split["writing"] += time.monotonic() - written
                failed += result.status != "graded"
                bar.update()
                bar.set_postfix(running=len(running), not_graded=failed)
                found = diagnoses({n: f.diagnosis for n, f in result.functions.items()})
                bar.write(one_line(f"{shown(student)}: {result.score:g}/{result.max_score:g} {result.status}"
                                   + (f" — {'; '.join(result.flags)}" if result.flags else "")
                                   + (f" — mistakes found: {', '.join(found)}" if found else "")), file=sys.stdout)
    csv_path = write_csv(course, assignment, refused)
    if csv_path.name != f"grades-{assignment}.csv":
        print(f"dnnkit grade: warning: autograded/grades-{assignment}.csv is a folder (left by an older dnnkit "
              f"that took a student id of that name); the grades went to {csv_path.name}; remove that folder",
              file=sys.stderr)
    print(f"{csv_path.relative_to(course.root)}: {len(students)} submission(s)"
          + (f", {len(refused)} refused (status `refused` in the CSV, with the reason)" if refused else ""))
    print("time split (s; kernel start and execution summed over parallel runs): "
          + ", ".join(f"{k.replace('_', ' ')} {v:.2f}" for k, v in split.items()))
    return 1 if broke else 0


def process_age() -> float:
    """Seconds since this process started (interpreter and imports included)."""
    try:
        ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return max(0.0, uptime - ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return 0.0


def collect(grader: Grader, assignment: str, student: str, future, cases: dict, split: dict):
    """(result, 1 if the grader itself failed else 0) of one finished sandboxed run."""
    try:
        outcome = future.result()
        for key, value in ((outcome.get("state") or {}).get("timings") or {}).items():
            split[key] += value
        checked = time.monotonic()
        result = grader.finish(outcome, cases)
        split["checking"] += time.monotonic() - checked
        return result, 0
    except Exception as err:  # the grader's own fault: record it, keep going, exit non-zero
        result = SubmissionResult(student, assignment, status="incomplete",
                                  flags=[f"grader error: {type(err).__name__}: {err}"])
        result.functions = {n: FunctionResult(n) for n in FUNCTIONS[assignment]}
        print_traceback()
        return result, 1


@contextlib.contextmanager
def executor(args):
    """Where the sandboxed runs happen: local threads (each drives its own sandbox process) or Dask."""
    if args.scheduler:
        from distributed import Client

        with Client(args.scheduler) as client:
            yield DaskPool(client)
    else:
        with ThreadPoolExecutor(max_workers=max(1, args.workers)) as pool:
            yield LocalPool(pool, max(1, args.workers))


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
