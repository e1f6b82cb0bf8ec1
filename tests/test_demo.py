"""`dnnkit demo` (`make demo`) never touches a real course: it grades its demo students in demo/, a course folder
of its own with its own gradebook, and `make clean-demo` (`dnnkit demo --clean`) removes only that folder."""
from __future__ import annotations

import csv
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, make_course_copy
from dnnkit.cases import FUNCTIONS
from dnnkit.commands.demo import DEMO_STUDENTS, MARKER
from dnnkit.gradebook import open_gradebook
from dnnkit.nbgrader_cli import nbgrader
from grading_support import dnnkit_grade, grading_course, submit

# what a term of a real course holds (and the folders the course is made of): the demo must leave all of it as is
TERM = ("gradebook.db", "submitted", "autograded", "feedback", "release", "references", "source", "datasets",
        "nbgrader_config.py")
UNREACHABLE_DB = "postgresql://nobody@127.0.0.1:9/no-such-gradebook"  # a server gradebook the demo must not use


def tree_hashes(root: Path, names=TERM) -> dict[str, str]:
    """{path from `root`: sha256 of its bytes (or where a link points)} for every file under `names`."""
    hashes = {}
    for name in names:
        top = root / name
        paths = [top] if top.is_file() or top.is_symlink() else sorted(top.rglob("*")) if top.is_dir() else []
        for path in paths:
            if path.is_symlink():
                hashes[path.relative_to(root).as_posix()] = "link to " + os.readlink(path)
            elif path.is_file():
                hashes[path.relative_to(root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashes


def gradebook_contents(root: Path) -> dict:
    """What nbgrader's gradebook of the course at `root` holds: students, assignments, and every submission's
    timestamp and grades (auto and manual scores per grade cell)."""
    with open_gradebook(root) as gb:
        submissions = {}
        for assignment in gb.assignments:
            for submission in gb.assignment_submissions(assignment.name):
                grades = sorted((notebook.name, grade.name, grade.auto_score, grade.manual_score)
                                for notebook in submission.notebooks for grade in notebook.grades)
                submissions[(submission.student.id, assignment.name)] = (str(submission.timestamp), grades)
        return {"students": sorted(student.id for student in gb.students),
                "assignments": sorted(assignment.name for assignment in gb.assignments),
                "submissions": submissions}


def dnnkit_demo(root: Path, *args: str, timeout: float = 1800, env: dict[str, str] | None = None):
    """Run `dnnkit demo ARGS` for the course at `root` (DNNKIT_COURSE_ROOT), as `make demo` does."""
    env = {**os.environ, "DNNKIT_COURSE_ROOT": str(root), **(env or {})}
    return subprocess.run([sys.executable, "-m", "dnnkit.cli", "demo", *args], cwd=root, env=env,
                          capture_output=True, text=True, timeout=timeout)


def make_clean_demo(root: Path, venv: Path):
    """Run the repository's `make clean-demo` for the course at `root`, with `venv`/bin/dnnkit running this
    checkout's dnnkit (what the Makefile's own virtualenv would run)."""
    (venv / "bin").mkdir(parents=True, exist_ok=True)
    script = venv / "bin" / "dnnkit"
    script.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m dnnkit.cli "$@"\n')
    script.chmod(0o755)
    (venv / "bin" / ".installed").touch()  # newer than requirements*.txt: make installs nothing
    env = {**os.environ, "DNNKIT_COURSE_ROOT": str(root),
           "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run(["make", "--no-print-directory", "-C", str(REPO), "clean-demo", f"VENV={venv}"],
                          env=env, capture_output=True, text=True, timeout=300)


def term_course(root: Path) -> Path:
    """A course copy holding a term's data as files (no grading needed): gradebook, submitted/, autograded/,
    feedback/, an export in the course root."""
    make_course_copy(root, with_release=False)
    (root / "gradebook.db").write_bytes(b"a real term's gradebook")
    for folder in ("submitted", "autograded", "feedback"):
        (root / folder / "ada" / "step_by_step").mkdir(parents=True)
        (root / folder / "ada" / "step_by_step" / "step_by_step.ipynb").write_text(f"ada's work, {folder}")
    (root / "autograded" / "grades-step_by_step.csv").write_text("student_id,score\nada,120\n")
    (root / "grades.csv").write_text("ada's exported grades\n")
    return root


def demo_folder(root: Path, marked: bool) -> Path:
    """A demo/ in the course at `root` holding a gradebook and a submission; with the demo's marker if `marked`."""
    demo = root / "demo"
    (demo / "submitted" / "demo-ada").mkdir(parents=True)
    (demo / "gradebook.db").write_bytes(b"some gradebook")
    if marked:
        (demo / MARKER).write_text("made by dnnkit demo\n")
    return demo


def dnnkit_here(root: Path, monkeypatch, capsys, *argv: str) -> tuple[int, str, str]:
    """Run `dnnkit ARGV` in this process for the course at `root`: (exit status, stdout, stderr)."""
    from dnnkit.cli import main

    monkeypatch.setenv("DNNKIT_COURSE_ROOT", str(root))
    capsys.readouterr()
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_clean_demo_removes_the_demo_folder_and_nothing_else(tmp_path, monkeypatch, capsys):
    root = term_course(tmp_path / "course")
    demo = demo_folder(root, marked=True)
    before = tree_hashes(root, TERM + ("grades.csv",))
    done = make_clean_demo(root, tmp_path / "venv")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "demo/: removed" in done.stdout
    assert not os.path.lexists(demo)
    assert tree_hashes(root, TERM + ("grades.csv",)) == before
    status, out, _ = dnnkit_here(root, monkeypatch, capsys, "demo", "--clean")
    assert status == 0 and "demo/: not there, nothing to remove" in out
    assert tree_hashes(root, TERM + ("grades.csv",)) == before


@pytest.mark.parametrize("kind", ["unmarked folder", "link to a marked folder", "file"])
def test_a_demo_folder_the_demo_did_not_make_is_refused(tmp_path, monkeypatch, capsys, kind):
    """By `dnnkit demo --clean` and `dnnkit demo` (and, once, by `make clean-demo`), with one line saying why."""
    root = term_course(tmp_path / "course")
    if kind == "unmarked folder":
        demo_folder(root, marked=False)
    elif kind == "link to a marked folder":
        (root / "demo").symlink_to(demo_folder(tmp_path / "elsewhere", marked=True))
    else:
        (root / "demo").write_text("someone's notes")
    before = tree_hashes(root, TERM + ("grades.csv", "demo")) | tree_hashes(tmp_path, ("elsewhere",))
    runs = [dnnkit_here(root, monkeypatch, capsys, "demo", *args) for args in (("--clean",), ())]
    if kind == "unmarked folder":
        done = make_clean_demo(root, tmp_path / "venv")
        runs.append((done.returncode, done.stdout, done.stderr))
    for status, _, err in runs:
        assert status != 0
        errors = err.strip().splitlines()
        assert errors[0] == (f"dnnkit demo: error: demo/ was not made by `dnnkit demo` (it has no demo/{MARKER}), "
                             "so the demo neither uses nor removes it; move it out of the course folder first"), err
        assert tree_hashes(root, TERM + ("grades.csv", "demo")) | tree_hashes(tmp_path, ("elsewhere",)) == before


def test_every_run_starts_from_a_new_demo_folder(tmp_path):
    """The previous demo/ goes first; the new one is a course of its own (it fails here at once, in its
    `dnnkit data`, because the course's datasets/ holds only one of the two files)."""
    root = term_course(tmp_path / "course")
    (root / "datasets" / "train_catvnoncat.h5").write_bytes(b"not HDF5")
    stale = demo_folder(root, marked=True) / "submitted" / "demo-ada" / "stale.ipynb"
    stale.write_text("last run's")
    before = tree_hashes(root, TERM + ("grades.csv",))
    done = dnnkit_demo(root, timeout=300)
    assert done.returncode != 0
    assert "test_catvnoncat.h5: missing while train_catvnoncat.h5 is present" in done.stderr
    demo = root / "demo"
    assert not stale.exists() and (demo / MARKER).is_file()
    assert (demo / "datasets" / "train_catvnoncat.h5").read_bytes() == b"not HDF5"
    assert tree_hashes(demo, ("nbgrader_config.py", "source", "references")) == \
        tree_hashes(root, ("nbgrader_config.py", "source", "references"))
    assert tree_hashes(root, TERM + ("grades.csv",)) == before


def demo_grades(demo: Path) -> dict[str, dict[str, dict[str, str]]]:
    """{assignment: {student: row}} of the demo's autograded/grades-ASSIGNMENT.csv files."""
    tables = {}
    for assignment in FUNCTIONS:
        with open(demo / "autograded" / f"grades-{assignment}.csv", newline="") as handle:
            tables[assignment] = {row["student_id"]: row for row in csv.DictReader(handle)}
    return tables


def check_demo_outputs(demo: Path, course_datasets: Path) -> None:
    """demo/ holds the demo's graded outputs, its six students in its own gradebook, the course's data files."""
    book = gradebook_contents(demo)
    assert book["students"] == sorted(DEMO_STUDENTS)
    assert book["assignments"] == sorted(FUNCTIONS)
    assert len(book["submissions"]) == len(DEMO_STUDENTS) * len(FUNCTIONS)
    for assignment in FUNCTIONS:
        for student in DEMO_STUDENTS:
            assert (demo / "autograded" / student / assignment / f"{assignment}.ipynb").is_file()
            assert (demo / "feedback" / student / assignment / f"{assignment}.html").is_file()
        assert (demo / "autograded" / f"report-{assignment}.html").is_file()
    grades = demo_grades(demo)
    for assignment, rows in grades.items():
        assert set(rows) == set(DEMO_STUDENTS)
        assert rows["demo-ada"]["score"] == rows["demo-ada"]["max_score"]  # the correct one
        assert float(rows["demo-dan"]["score"]) == 0  # the untouched stub
    with open(demo / "autograded" / "grades.csv", newline="") as handle:
        exported = list(csv.DictReader(handle))
    assert sorted({row["student_id"] for row in exported}) == sorted(DEMO_STUDENTS)
    for name in ("train_catvnoncat.h5", "test_catvnoncat.h5"):
        assert (demo / "datasets" / name).read_bytes() == (course_datasets / name).read_bytes()


@pytest.mark.slow
def test_demo_grades_in_its_own_folder_and_leaves_a_graded_course_as_it_was(tmp_path_factory, course_datasets):
    course = grading_course(tmp_path_factory.mktemp("demo") / "course", course_datasets)
    submit(course, "ada")
    graded = dnnkit_grade(course, "step_by_step", "--student", "ada")
    assert graded.returncode == 0, graded.stderr[-3000:]
    nbgrader(course.root, "generate_feedback", "step_by_step", "--student", "ada", "--force")
    root = course.root
    files, book = tree_hashes(root), gradebook_contents(root)
    assert book["students"] == ["ada"] and ("ada", "step_by_step") in book["submissions"]
    assert {"submitted/ada/step_by_step/step_by_step.ipynb", "autograded/ada/step_by_step/step_by_step.ipynb",
            "autograded/grades-step_by_step.csv", "feedback/ada/step_by_step/step_by_step.html"} <= set(files)

    done = dnnkit_demo(root, env={"DNNKIT_DB_URL": UNREACHABLE_DB})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert done.stdout.count("DNNKIT_DB_URL is set: the demo ignores it") == 1
    assert f"The demo's outputs, in {root / 'demo'}" in done.stdout

    assert tree_hashes(root) == files
    assert gradebook_contents(root) == book
    assert not (root / "grades.csv").exists()
    check_demo_outputs(root / "demo", course_datasets)
