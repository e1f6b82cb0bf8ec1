"""The result record and what is made of it (dnnkit/grading/records.py, grades_csv.py): its JSON read back as it
was written, and refused when its shape is wrong or its file is not a plain one; the digests that decide "grade
again"; the CSV row; and the grades CSV as an nbgrader export plugin, the same from `nbgrader export` as from
`dnnkit grade`."""
from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import pytest

from dnnkit.cases import FUNCTIONS
from dnnkit.grading.records import (MAX_RECORD_BYTES, FunctionResult, Provenance, Status, SubmissionResult, Verdict,
                                    read_json, read_record, submission_digest, write_record)

ASSIGNMENT = "step_by_step"
GRADES_CSV = "dnnkit.grading.grades_csv.GradesCsv"


def result(student: str = "ann") -> SubmissionResult:
    functions = {name: FunctionResult(name, Verdict.PASSED, "fine", True, True, None, 10.0, 10.0)
                 for name in FUNCTIONS[ASSIGNMENT]}
    functions["compute_cost"] = FunctionResult("compute_cost", Verdict.FAILED, "wrong", False, False,
                                               {"mistake": "cost_without_1_over_m", "says": "s", "fix": "f"}, 0, 10)
    return SubmissionResult(student, ASSIGNMENT, Status.GRADED, ["=flag"], functions,
                            provenance=Provenance("a" * 64, "b" * 64, "c" * 64), timestamp="2026-12-01 10:00:00",
                            raw_score=110.0, late_submission_penalty=5.0, max_score=120.0)


def test_a_record_reads_back_as_it_was_written(tmp_path):
    written = result()
    write_record(tmp_path, written)
    assert read_record(tmp_path, ASSIGNMENT, "ann") == written
    assert written.score == 105.0 and written.not_attempted == []


@pytest.mark.parametrize("change, why", [
    (lambda d: d.update(status="great"), "unknown status"),
    (lambda d: d.update(flags="one flag"), "flags is not a list"),
    (lambda d: d.update(raw_score=float("nan")), "raw_score is not a finite number"),
    (lambda d: d["functions"]["compute_cost"].update(verdict="maybe"), "compute_cost.verdict is unknown"),
    (lambda d: d.update(student="bob"), "its student id is not the name of its file"),
    (lambda d: d.update(assignment="application"), "its assignment is not"),
])
def test_a_record_of_the_wrong_shape_is_refused_saying_why(tmp_path, change, why):
    path = write_record(tmp_path, result())
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match=why):
        read_record(tmp_path, ASSIGNMENT, "ann")


def test_only_a_plain_file_of_bounded_size_is_read(tmp_path):
    (tmp_path / "target.json").write_text("{}")
    (tmp_path / "link.json").symlink_to(tmp_path / "target.json")
    os.mkfifo(tmp_path / "fifo.json")
    (tmp_path / "big.json").write_text(" " * (MAX_RECORD_BYTES + 1))
    assert read_json(tmp_path / "target.json") == {}
    for name, why in (("link.json", "symbolic link"), ("fifo.json", "not a regular file"), ("big.json", "larger")):
        with pytest.raises(ValueError, match=why):
            read_json(tmp_path / name)


def test_the_first_digest_that_changed_says_why_a_submission_is_graded_again():
    old = Provenance("s", "r", "c")
    assert Provenance("s", "r", "c").changed_since(old) is None
    assert Provenance("s", "r2", "c2").changed_since(old) == "release"
    assert Provenance("s2", "r2", "c").changed_since(old) == "submission"


def test_the_submission_digest_follows_the_notebooks_and_timestamp_and_nothing_else(tmp_path):
    folder = tmp_path / "sub"
    folder.mkdir()
    (folder / f"{ASSIGNMENT}.ipynb").write_text("{}")
    first = submission_digest(folder)
    (folder / "notes.txt").write_text("not a notebook")
    (folder / "other.ipynb").symlink_to(tmp_path / "elsewhere.ipynb")
    os.mkfifo(folder / "pipe.ipynb")
    assert submission_digest(folder) == first  # never read, never blocked on
    (folder / "timestamp.txt").write_text("2026-12-01 10:00:00")
    second = submission_digest(folder)
    (folder / f"{ASSIGNMENT}.ipynb").write_text("{ }")
    assert len({first, second, submission_digest(folder)}) == 3


def test_the_csv_row_has_numbers_as_numbers_and_no_cell_a_spreadsheet_would_run():
    row = result().csv_row()
    header = SubmissionResult.csv_header(ASSIGNMENT)
    cells = dict(zip(header, row))
    assert len(row) == len(header) and cells["compute_cost"] == "0" and cells["score"] == "105"
    assert cells["flags"] == "'=flag" and cells["diagnoses"] == "compute_cost: cost_without_1_over_m"


@pytest.mark.slow
def test_the_grades_csv_is_an_nbgrader_export_plugin(tmp_path):
    from dnnkit.grading.grades_csv import write_csv
    from grading_support import grading_course

    course = grading_course(tmp_path / "course")
    for student in ("ann", "bob"):
        write_record(course.root, result(student))
        (course.root / "submitted" / student / ASSIGNMENT).mkdir(parents=True)
    (course.root / "submitted" / "=cmd" / ASSIGNMENT).mkdir(parents=True)
    ours = write_csv(course, ASSIGNMENT).read_text()
    env = {**os.environ, "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"]}
    done = subprocess.run([sys.executable, "-m", "nbgrader", "export", f"--exporter={GRADES_CSV}",
                           "--assignment", ASSIGNMENT, "--to", str(tmp_path / "out.csv")], cwd=course.root, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / "out.csv").read_text() == ours
    rows = list(csv.DictReader(io.StringIO(ours)))
    assert [r["student_id"] for r in rows] == ["'=cmd", "ann", "bob"] and rows[0]["status"] == "refused"
    # scores are the gradebook's (no submission there: 0), the rest the record's
    assert rows[1]["score"] == "0" and rows[1]["diagnoses"] == "compute_cost: cost_without_1_over_m"
    named = write_csv(course, ASSIGNMENT, {"=named": "a --student name dnnkit grade refused"}).read_text()
    assert [r["student_id"] for r in csv.DictReader(io.StringIO(named))] == ["'=cmd", "'=named", "ann", "bob"]
    both = subprocess.run([sys.executable, "-m", "nbgrader", "export", f"--exporter={GRADES_CSV}"], cwd=course.root,
                          env=env, capture_output=True, text=True, timeout=300)
    assert both.returncode == 1 and "exactly one --assignment" in both.stderr
