"""Grades for Canvas and Moodle (dnnkit/lms.py, nbgrader export plugins), run as an instructor runs them
(`nbgrader export --exporter=...`, or the exporter named in nbgrader_config.py), on a gradebook filled through
nbgrader's API: a late submission whose penalty takes everything, grades given by hand (one lower, one with extra
credit), a student without a submission, names a spreadsheet would run or a CSV must quote (no comma: nbgrader's
own CSV does not quote one). Every score agrees
with `nbgrader export`'s own CSV; the columns are the ones each platform's import reads."""
from __future__ import annotations

import csv
import datetime
import os
import subprocess
import sys
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

COURSE_ID = "lms-course"
# assignment: {grade cell: points}
ASSIGNMENTS = {"a1": {"c1": 10.0, "c2": 20.0}, "a2": {"c1": 5.0}}
# student: (first, last, email, lms user id)
STUDENTS = {"ada": ("Ada", "Lovelace", "ada@uni.example", "1001"),
            "ben": ("Ben", "O'Neil \"Jr\"", "ben@uni.example", ""),
            "cleo": ("=HYPERLINK(\"x\")", "Smith", "", "1003"),
            "dan": ("Dan", "Nosub", "dan@uni.example", "1004")}
# (assignment, student): ({cell: (auto, manual or None, extra credit)}, late penalty); dan submits nothing
SUBMISSIONS = {("a1", "ada"): ({"c1": (10, None, 0), "c2": (20, None, 0)}, 0.0),
               ("a2", "ada"): ({"c1": (2.5, None, 0)}, 0.0),
               ("a1", "ben"): ({"c1": (10, None, 0), "c2": (15, None, 0)}, 25.0),  # late: "zero" takes it all
               ("a2", "ben"): ({"c1": (5, None, 0)}, 1.5),                      # late, a partial penalty
               ("a1", "cleo"): ({"c1": (10, 4.0, 0), "c2": (20, None, 0)}, 0.0),  # lowered by hand
               ("a2", "cleo"): ({"c1": (5, 5.0, 1.0)}, 0.0)}                     # extra credit


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("lms")
    due = datetime.datetime(2026, 12, 1, 23, 59)
    scripts = str(Path(sys.executable).parent)  # nbgrader runs `alembic` from PATH when it makes a gradebook
    if scripts not in os.environ["PATH"].split(os.pathsep):
        os.environ["PATH"] = scripts + os.pathsep + os.environ["PATH"]
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", COURSE_ID) as gb:
        for name, cells in ASSIGNMENTS.items():
            gb.add_assignment(name, duedate=due)
            gb.add_notebook(name, name)
            for cell, points in cells.items():
                gb.add_grade_cell(cell, name, name, max_score=points, cell_type="code")
        for student, (first, last, email, lms) in STUDENTS.items():
            gb.add_student(student, first_name=first, last_name=last, email=email, lms_user_id=lms or None)
        for (name, student), (grades, penalty) in SUBMISSIONS.items():
            submission = gb.add_submission(name, student, timestamp=due + datetime.timedelta(hours=penalty > 0))
            notebook = submission.notebooks[0]
            notebook.late_submission_penalty = penalty
            for grade in notebook.grades:
                grade.auto_score, grade.manual_score, grade.extra_credit = grades[grade.name]
        gb.db.commit()
    return root


CONFIG = "c = get_config()\nc.CourseDirectory.course_id = {course!r}\nc.CourseDirectory.db_url = {url!r}\n"


def export(root: Path, *args: str, config: str = "") -> subprocess.CompletedProcess:
    """`nbgrader export ARGS` in the course, its nbgrader_config.py holding `config` besides the course's own."""
    (root / "nbgrader_config.py").write_text(CONFIG.format(course=COURSE_ID, url=f"sqlite:///{root / 'gradebook.db'}")
                                             + config + "\n")
    return subprocess.run([sys.executable, "-m", "nbgrader", "export", *args], cwd=root, capture_output=True,
                          text=True, env={**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"})


def rows(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


@pytest.fixture(scope="module")
def exported(course) -> dict[tuple[str, str], dict[str, str]]:
    """`nbgrader export`'s own CSV: {(assignment, student): row}."""
    done = export(course, "--to", "nbgrader.csv")
    assert done.returncode == 0, done.stderr[-2000:]
    with open(course / "nbgrader.csv", newline="") as handle:
        return {(row["assignment"], row["student_id"]): row for row in csv.DictReader(handle)}


def test_the_gradebook_holds_what_the_scenario_says(exported):
    """The control: nbgrader itself sees the late penalties, the grades given by hand and the missing submission."""
    assert float(exported["a1", "ben"]["raw_score"]) == 25 and float(exported["a1", "ben"]["score"]) == 0
    assert float(exported["a2", "ben"]["score"]) == 3.5
    assert float(exported["a1", "cleo"]["raw_score"]) == 24 and float(exported["a2", "cleo"]["raw_score"]) == 6
    assert exported["a1", "dan"]["timestamp"] == "" and float(exported["a1", "dan"]["score"]) == 0


def test_canvas_file_agrees_with_nbgrader_export(course, exported):
    done = export(course, "--exporter=dnnkit.lms.CanvasExport", "--to", "canvas.csv",
                  config="c.CanvasExport.assignment_ids = {'a1': 4711}")
    assert done.returncode == 0, done.stderr[-2000:]
    header, points, *students = rows(course / "canvas.csv")
    assert header == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "a1 (4711)", "a2"]
    assert points[0] == "Points Possible" and points[1:5] == ["", "", "", ""]
    assert [float(p) for p in points[5:]] == [float(exported[a, "ada"]["max_score"]) for a in ("a1", "a2")]
    by_login = {row[3]: row for row in students}
    assert set(by_login) == set(STUDENTS)
    for student, (first, last, _, lms) in STUDENTS.items():
        row = by_login[student]
        assert [float(row[5]), float(row[6])] == [float(exported[a, student]["score"]) for a in ("a1", "a2")], student
        assert row[1] == lms and row[4] == ""
    assert by_login["ben"][0] == "O'Neil \"Jr\", Ben"  # a comma and quotes inside: quoted, read back whole
    assert by_login["ada"][0] == "Lovelace, Ada"


def test_moodle_file_agrees_with_nbgrader_export(course, exported):
    done = export(course, "--exporter=dnnkit.lms.MoodleExport", "--to", "moodle.csv")
    assert done.returncode == 0, done.stderr[-2000:]
    header, *students = rows(course / "moodle.csv")
    assert header == ["Username", "Email address", "First name", "Last name", "a1", "a2"]
    by_user = {row[0]: row for row in students}
    assert set(by_user) == set(STUDENTS)
    for student, (_, _, email, _) in STUDENTS.items():
        assert [float(v) for v in by_user[student][4:]] == [float(exported[a, student]["score"]) for a in ("a1", "a2")]
        assert by_user[student][1] == email
    assert by_user["cleo"][2] == "'=HYPERLINK(\"x\")"  # a spreadsheet shows it as text, never runs it


def test_moodle_file_can_be_scaled_to_100(course, exported):
    done = export(course, "--exporter=dnnkit.lms.MoodleExport", "--to", "moodle100.csv", "--MoodleExport.scale_to=100")
    assert done.returncode == 0, done.stderr[-2000:]
    _, *students = rows(course / "moodle100.csv")
    for row in students:
        for column, assignment in ((4, "a1"), (5, "a2")):
            ex = exported[assignment, row[0]]
            assert float(row[column]) == pytest.approx(100 * float(ex["score"]) / float(ex["max_score"]), abs=1e-6)


def test_the_exporter_named_in_nbgrader_config_and_the_selection_flags(course, exported):
    done = export(course, "--to", "selected.csv", "--assignment=['a2']", "--student=['ben','dan']",
                  config="c.ExportApp.plugin_class = 'dnnkit.lms.CanvasExport'")
    assert done.returncode == 0, done.stderr[-2000:]
    header, _, *students = rows(course / "selected.csv")
    assert header[5:] == ["a2"] and sorted(row[3] for row in students) == ["ben", "dan"]
    assert {row[3]: float(row[5]) for row in students} == {s: float(exported["a2", s]["score"]) for s in ("ben", "dan")}


@pytest.mark.parametrize("args, config, named", [
    (["--assignment=['a9']"], "", "no assignment 'a9' in the gradebook; choose among a1, a2"),
    (["--student=['zed']"], "", "no student 'zed' in the gradebook"),
    ([], "c.CanvasExport.assignment_ids = {'a3': 1}", "c.CanvasExport.assignment_ids names 'a3'"),
])
def test_a_name_not_in_the_gradebook_is_one_line_and_no_file(course, args, config, named):
    target = course / "bad.csv"
    target.unlink(missing_ok=True)
    done = export(course, "--exporter=dnnkit.lms.CanvasExport", "--to", str(target), *args, config=config)
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if "ERROR" in line]
    assert len(errors) == 1 and named in errors[0], done.stderr[-2000:]
    assert "Traceback" not in done.stderr and not target.exists()
