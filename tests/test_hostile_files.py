"""`dnnkit grade` against hostile files beside the notebook: links to the instructor's files, a link to a folder,
files with hostile names, a subfolder, and a `timestamp.txt` that is a FIFO, a link, garbage, several GB or a
folder.

Each attack is first shown to land: the same submissions in a second course copy go through plain `nbgrader
autograde` and `generate_feedback`, which copy the extra files (the secret behind a link included) into
autograded/ and feedback/, or crash on the timestamp. Then it is shown to fail under `dnnkit grade` (one run for
every student): only the notebook and a timestamp that parses reach nbgrader (nbgrader_pipeline.NbgraderPass).
"""
from __future__ import annotations

import hashlib
import os
import re
import stat
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import pytest
from nbgrader.utils import parse_utc

from dnnkit.cases import FUNCTIONS
from dnnkit.gradebook import open_gradebook
from dnnkit.grading.records import RECORDS
from dnnkit.nbgrader_cli import nbgrader
from grading_support import dnnkit_grade, expect_row, grading_course, read_grades, result_record, submit

pytestmark = pytest.mark.slow

ASSIGNMENT = "step_by_step"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
FULL = 10.0 * len(FUNCTIONS[ASSIGNMENT])
SECRET = "instructor-only-" + hashlib.sha256(b"dnnkit hostile files").hexdigest()[:24]
DUE = "2020-01-01 00:00:00 UTC"
LATE = "2024-06-01 12:00:00 UTC"  # the control: a valid timestamp after the due date
HUGE = 8 * 1024**3  # a sparse file: no block of it is ever written
SCRIPT_NAME = "<img src=x onerror=alert(1)>.html"
FORMULA_NAME = "=cmd|'-C calc'!A0.csv"  # a spreadsheet formula, should the name reach a CSV
GARBAGE = "=cmd|'-C calc'!A0 the night before, honest"
NOT_REGULAR = "timestamp.txt is not a regular file; graded as submitted on time"
NOT_A_DATE = "timestamp.txt is not a date nbgrader can read; graded as submitted on time"


def _files(folder: Path, outside: Path) -> None:
    """Beside the notebook: links to a secret outside the course and to the gradebook (relative, so each
    course's link points at its own), a link to a folder outside, hostile file names, a subfolder."""
    (folder / "notes.txt").symlink_to(outside / "secret.txt")
    (folder / "grades.db").symlink_to(Path("..", "..", "..", "gradebook.db"))
    (folder / "linked").symlink_to(outside / "private", target_is_directory=True)
    (folder / SCRIPT_NAME).write_text("<script>alert(document.cookie)</script>\n")
    (folder / FORMULA_NAME).write_text("=cmd|'/C calc'!A0\n")
    (folder / "extra").mkdir()
    (folder / "extra" / "data.txt").write_text("a subfolder's file\n")


def _sparse(path: Path) -> None:
    with open(path, "wb") as handle:
        handle.truncate(HUGE)


# student: what it puts into its submission folder besides a correct notebook (outside: the instructor's folder)
TIMESTAMPS = {
    "ts-fifo": lambda path, outside: os.mkfifo(path),
    "ts-link": lambda path, outside: path.symlink_to(outside / "secret.txt"),
    "ts-garbage": lambda path, outside: path.write_text(GARBAGE + "\n"),
    "ts-huge": lambda path, outside: _sparse(path),
    "ts-dir": lambda path, outside: path.mkdir(),
}
FLAG = {"ts-fifo": NOT_REGULAR, "ts-link": NOT_REGULAR, "ts-dir": NOT_REGULAR, "ts-garbage": NOT_A_DATE,
        "ts-huge": NOT_A_DATE}
PLAIN = ["files", *(s for s in TIMESTAMPS if s != "ts-huge")]  # plain nbgrader would copy GBs of ts-huge


def build(course, outside: Path, students) -> None:
    for student in students:
        folder = submit(course, student).parent
        if student == "files":
            _files(folder, outside)
        elif student == "late":
            (folder / "timestamp.txt").write_text(LATE + "\n")
        else:
            TIMESTAMPS[student](folder / "timestamp.txt", outside)


def snapshot(folder: Path) -> dict:
    """Every entry under `folder`, not followed: type, size, mtime, link target, and the bytes of small files."""
    found = {}
    for path in sorted(folder.rglob("*")):
        st = path.lstat()
        content = None
        if stat.S_ISREG(st.st_mode) and st.st_size < 2**20:
            content = hashlib.sha256(path.read_bytes()).hexdigest()
        found[str(path.relative_to(folder))] = (stat.S_IFMT(st.st_mode), st.st_size, st.st_mtime_ns,
                                                os.readlink(path) if path.is_symlink() else None, content)
    return found


def _plain_run(root: Path):
    """Plain `nbgrader autograde` (every student at once), then `generate_feedback`; a hang is reported, not
    waited for."""
    try:
        done = subprocess.run([sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT, "--force"], cwd=root,
                              capture_output=True, text=True, timeout=240)
    except subprocess.TimeoutExpired:
        return None
    feedback = subprocess.run([sys.executable, "-m", "nbgrader", "generate_feedback", ASSIGNMENT, "--force"],
                              cwd=root, capture_output=True, text=True, timeout=240)
    assert feedback.returncode == 0, feedback.stderr[-2000:]
    return done


def _huge_probe(folder: Path):
    """nbgrader's own timestamp reader on the huge file, in a process limited to 1 GB of address space."""
    code = ("import resource, sys\nfrom nbgrader.coursedir import CourseDirectory\n"
            "resource.setrlimit(resource.RLIMIT_AS, (2**30, 2**30))\n"
            "CourseDirectory().get_existing_timestamp(sys.argv[1])\n")
    return subprocess.run([sys.executable, "-c", code, str(folder)], capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile-files")
    outside = base / "instructor"  # the instructor's own files, outside both courses
    (outside / "private").mkdir(parents=True)
    (outside / "secret.txt").write_text(SECRET + "\n")
    (outside / "private" / "exam.txt").write_text(SECRET + "\n")
    course = grading_course(base / "course")
    plain = grading_course(tmp_path_factory.mktemp("hostile-files-plain") / "course")
    with open(course.root / "nbgrader_config.py", "a") as config:
        config.write("\nc.LateSubmissionPlugin.penalty_method = 'zero'\n")
    with open_gradebook(course.root) as gb:
        gb.update_or_create_assignment(ASSIGNMENT, duedate=parse_utc(DUE))
    build(course, outside, ["files", *TIMESTAMPS, "late"])
    build(plain, outside, PLAIN)
    submitted = snapshot(course.root / "submitted")
    with ThreadPoolExecutor(2) as pool:  # plain nbgrader beside dnnkit grade
        plain_done = pool.submit(_plain_run, plain.root)
        huge = pool.submit(_huge_probe, course.root / "submitted" / "ts-huge" / ASSIGNMENT)
        done = dnnkit_grade(course, ASSIGNMENT, "--workers", "2")
        nbgrader(course.root, "generate_feedback", ASSIGNMENT, "--force")
        plain_done, huge = plain_done.result(), huge.result()
    return SimpleNamespace(course=course, root=course.root, plain=plain.root, outside=outside, done=done,
                           rows=read_grades(course), plain_done=plain_done, huge=huge, submitted=submitted)


def names(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def nbgrader_files(root: Path, *extra: str) -> set[str]:
    """What nbgrader itself writes into autograded/<student>/<assignment>/: the notebook and the release's
    helper files from source/."""
    helpers = {p.name for p in (root / "source" / ASSIGNMENT).iterdir() if p.suffix != ".ipynb"}
    assert helpers, "source/ has no helper file"
    return helpers | {NOTEBOOK, *extra}


def plain_failure(graded, student) -> str:
    """Plain nbgrader's error output (its whole run), after checking it failed on `student`."""
    assert graded.plain_done is not None, "plain nbgrader autograde hung"
    assert graded.plain_done.returncode != 0
    assert f"error processing assignment '{ASSIGNMENT}' for student '{student}'" in graded.plain_done.stderr
    assert not (graded.plain / "autograded" / student / ASSIGNMENT).exists()
    return graded.plain_done.stderr


def read_grades_plain(graded) -> dict[str, float]:
    """{student: score} as plain nbgrader's gradebook holds them."""
    with open_gradebook(graded.plain) as gb:
        return {s.student.id: s.score for s in gb.assignment_submissions(ASSIGNMENT)}


def terminal_line(graded, student) -> str:
    lines = [line for line in graded.done.stdout.splitlines() if line.startswith(f"{student}: ")]
    assert len(lines) == 1, graded.done.stdout
    return lines[0]


def every_text(*folders: Path) -> list[tuple[Path, bytes]]:
    """(path, bytes) of every file under `folders`, links followed (a link left there would show its target)."""
    return [(p, p.read_bytes()) for folder in folders for p in folder.rglob("*") if p.is_file()]


# -- the whole run ---------------------------------------------------------------------------------------------

def test_dnnkit_grade_finishes_and_grades_everyone(graded):
    assert graded.done.returncode == 0, graded.done.stderr[-3000:]
    assert sorted(graded.rows) == sorted(["files", *TIMESTAMPS, "late"])
    assert not any((graded.root / ".dnnkit" / "stage").iterdir())  # the staging folders are gone


def test_the_submissions_are_untouched(graded):
    assert snapshot(graded.root / "submitted") == graded.submitted
    assert (graded.outside / "secret.txt").read_text() == SECRET + "\n"


def test_the_secret_appears_nowhere_the_grader_writes(graded):
    root = graded.root
    targets = [root / "autograded", root / "feedback", root / RECORDS, root / "gradebook.db"]
    assert all(t.exists() for t in targets)
    for path, data in every_text(*targets[:3]) + [(targets[3], targets[3].read_bytes())]:
        assert SECRET.encode() not in data, path
    assert SECRET not in graded.done.stdout + graded.done.stderr
    for folder in targets[:2]:
        assert not [p for p in folder.rglob("*") if p.is_symlink()], folder


# -- only the notebook reaches nbgrader ------------------------------------------------------------------------

def test_plain_nbgrader_copies_every_extra_file_and_the_secret_behind_a_link(graded):
    """Landing: plain nbgrader copies each file (a link's target), the subfolder and the gradebook into
    autograded/ and feedback/; it does not enter a link to a folder (os.walk lists it, never follows it)."""
    copied = {"notes.txt", "grades.db", SCRIPT_NAME, FORMULA_NAME, "extra", "extra/data.txt"}
    assert (graded.plain / "submitted" / "files" / ASSIGNMENT / "linked" / "exam.txt").read_text() == SECRET + "\n"
    for folder, own in (("autograded", NOTEBOOK), ("feedback", f"{ASSIGNMENT}.html")):
        where = graded.plain / folder / "files" / ASSIGNMENT
        assert names(where) == nbgrader_files(graded.plain) - {NOTEBOOK} | {own} | copied, folder
        assert (where / "notes.txt").read_text() == SECRET + "\n"
        assert not (where / "notes.txt").is_symlink()
        assert (where / "grades.db").read_bytes().startswith(b"SQLite format 3\0")
        assert (where / "extra" / "data.txt").is_file()
    assert read_grades_plain(graded)["files"] == FULL


def test_dnnkit_grade_hands_nbgrader_only_the_notebook(graded):
    root = graded.root
    assert names(root / "autograded" / "files" / ASSIGNMENT) == nbgrader_files(root)
    assert names(root / "feedback" / "files" / ASSIGNMENT) == (nbgrader_files(root) - {NOTEBOOK}
                                                                  | {f"{ASSIGNMENT}.html"})
    row = graded.rows["files"]
    expect_row(row)
    assert float(row["score"]) == FULL and row["timestamp"] == ""


# -- a hostile timestamp.txt -----------------------------------------------------------------------------------

def test_a_valid_late_timestamp_is_penalized(graded):
    """The control: the timestamp is read, and a late one costs everything (penalty method "zero")."""
    row = graded.rows["late"]
    expect_row(row)
    assert row["timestamp"].startswith("2024-06-01 12:00:00"), row["timestamp"]
    assert (float(row["raw_score"]), float(row["late_submission_penalty"]), float(row["score"])) == (FULL, FULL, 0)
    assert names(graded.root / "autograded" / "late" / ASSIGNMENT) == nbgrader_files(graded.root, "timestamp.txt")
    assert re.search(rf"^late: 0/{FULL:g} \(raw {FULL:g}, late penalty {FULL:g}\) graded$", graded.done.stdout,
                     re.M), graded.done.stdout


def test_plain_nbgrader_fails_on_a_fifo_before_it_can_block(graded):
    """Landing: nbgrader 0.9 copies the submission's files before it reads timestamp.txt, and shutil refuses
    to copy a named pipe, so it fails (it would block opening the FIFO otherwise)."""
    path = graded.plain / "submitted" / "ts-fifo" / ASSIGNMENT / "timestamp.txt"
    assert stat.S_ISFIFO(path.lstat().st_mode)
    assert f"`{path}` is a named pipe" in plain_failure(graded, "ts-fifo")


def test_plain_nbgrader_reads_a_linked_secret_and_prints_it(graded):
    """Landing: nbgrader follows the link, reads the secret as a date and prints it in its error."""
    assert f"Unknown string format: {SECRET}" in plain_failure(graded, "ts-link")


def test_plain_nbgrader_fails_on_a_garbage_timestamp(graded):
    assert f"Unknown string format: {GARBAGE}" in plain_failure(graded, "ts-garbage")


def test_plain_nbgrader_fails_on_a_timestamp_folder(graded):
    path = graded.plain / "submitted" / "ts-dir" / ASSIGNMENT / "timestamp.txt"
    assert f"IsADirectoryError: [Errno 21] Is a directory: '{path}'" in plain_failure(graded, "ts-dir")


def test_plain_nbgrader_reads_a_huge_timestamp_whole(graded):
    """Landing (nbgrader's own reader only: its autograde would first copy the GBs): it reads the whole file
    into memory, and runs out of a 1 GB address space."""
    huge = (graded.root / "submitted" / "ts-huge" / ASSIGNMENT / "timestamp.txt").stat()
    assert huge.st_size == HUGE and huge.st_blocks * 512 < 2**20  # sparse: never written
    assert graded.huge.returncode != 0 and "MemoryError" in graded.huge.stderr, graded.huge.stderr[-2000:]


@pytest.mark.parametrize("student", list(TIMESTAMPS))
def test_a_hostile_timestamp_is_flagged_and_graded_as_on_time(graded, student):
    row = graded.rows[student]
    expect_row(row, flag=FLAG[student])
    assert row["timestamp"] == ""
    assert (float(row["raw_score"]), float(row["late_submission_penalty"]), float(row["score"])) == (FULL, 0, FULL)
    assert FLAG[student] in result_record(graded.course, student)["flags"]
    assert terminal_line(graded, student) == f"{student}: {FULL:g}/{FULL:g} graded — {FLAG[student]}"
    assert names(graded.root / "autograded" / student / ASSIGNMENT) == nbgrader_files(graded.root)
    with open_gradebook(graded.root) as gb:
        assert gb.find_submission(ASSIGNMENT, student).timestamp is None
