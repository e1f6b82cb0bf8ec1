"""A whole term through nbgrader's own machinery: release over the exchange, two students fetch and submit
(each with its own HOME, one after the due date), collect, `dnnkit grade`, a manual grade in the gradebook,
a re-release with new points and a fixed typo, `dnnkit grade` again, feedback, export. Every score in every
output is compared with `nbgrader export`, and the late penalty with plain `nbgrader autograde`'s."""
from __future__ import annotations

import csv
import datetime
import html
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from dnnkit.cases import FUNCTIONS, grade_id
from dnnkit.gradebook import open_gradebook
from dnnkit.grading.records import RECORDS
from dnnkit.nbgrader_cli import nbgrader
from dnnkit.submissions import solved_notebook, write_submission
from grading_support import dnnkit_grade, grading_course, read_grades

pytestmark = pytest.mark.slow

ASSIGNMENT = "step_by_step"
NAMES = FUNCTIONS[ASSIGNMENT]
COURSE_ID = "dnn-forward-backward"
NEW_POINTS = {"compute_cost": 15.0, "linear_forward": 2.5}  # after the re-release
TYPO = ("forward", "forwards")  # a word in a locked markdown cell the instructor changes


def student_env(home: Path, user: str, exchange: Path) -> dict:
    return {**os.environ, "HOME": str(home), "USER": user, "LOGNAME": user, "JUPYTER_CONFIG_DIR": str(home / ".jupyter"),
            "JUPYTER_DATA_DIR": str(home / ".local/share/jupyter"), "PWD": str(home)}


def student_nbgrader(home: Path, user: str, exchange: Path, *args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args, f"--Exchange.root={exchange}",
                           f"--CourseDirectory.course_id={COURSE_ID}"], cwd=home,
                          env=student_env(home, user, exchange), capture_output=True, text=True)
    assert done.returncode == 0, (args, done.stderr[-2000:])


def export(root: Path) -> dict[str, dict[str, str]]:
    target = root / "autograded" / "export.csv"
    nbgrader(root, "export", "--to", str(target))
    with open(target, newline="") as handle:
        return {row["student_id"]: row for row in csv.DictReader(handle) if row["assignment"] == ASSIGNMENT}


def gradebook_cells(root: Path, student: str) -> dict[str, tuple[float, float, bool]]:
    """{function: (score, max score, needs manual grade)} as the gradebook holds them."""
    with open_gradebook(root) as gb:
        notebook = gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, student)
        return {g.name[len("test_"):]: (g.score, g.max_score, g.needs_manual_grade) for g in notebook.grades}


def agree(root: Path, students) -> dict[str, dict[str, str]]:
    """dnnkit's CSV and `nbgrader export` agree for every student (scores, penalty, timestamp); the CSV's
    per-function points are the gradebook's. Returns the CSV rows."""
    rows, exported = read_grades_of(root), export(root)
    for student in students:
        row, ex = rows[student], exported[student]
        for key in ("raw_score", "late_submission_penalty", "score", "max_score"):
            assert float(row[key]) == pytest.approx(float(ex[key])), (student, key, row[key], ex[key])
        assert row["timestamp"] == ex["timestamp"], student
        cells = gradebook_cells(root, student)
        assert {n: float(row[n]) for n in NAMES} == {n: cells[n][0] for n in NAMES}, student
    return rows


def read_grades_of(root: Path):
    with open(root / "autograded" / f"grades-{ASSIGNMENT}.csv", newline="") as handle:
        return {row["student_id"]: row for row in csv.DictReader(handle)}


def set_points_and_typo(course) -> None:
    """The instructor's edits in source/: new points for two graded cells, a word changed in a locked
    markdown cell."""
    path = course.notebook(ASSIGNMENT, "source")
    nb = nbformat.read(path, as_version=4)
    changed = False
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        for name, points in NEW_POINTS.items():
            if meta.get("grade_id") == grade_id(name):
                meta["points"] = points
        if cell.cell_type == "markdown" and not changed and TYPO[0] in cell.source and meta.get("locked"):
            cell.source, changed = cell.source.replace(TYPO[0], TYPO[1], 1), True
    assert changed, "no locked markdown cell to edit"
    nbformat.write(nb, path)


@pytest.fixture(scope="module")
def term(tmp_path_factory):
    base = tmp_path_factory.mktemp("term")
    course = grading_course(base / "course")
    root, exchange = course.root, base / "exchange"
    exchange.mkdir()
    exchange.chmod(0o777)
    with open(root / "nbgrader_config.py", "a") as config:
        config.write(f"\nc.Exchange.root = {str(exchange)!r}\nc.LateSubmissionPlugin.penalty_method = 'zero'\n")
    for student in ("ada", "ben"):
        nbgrader(root, "db", "student", "add", student)
    nbgrader(root, "release_assignment", ASSIGNMENT, "--force")
    homes = {}
    for student, mistakes in (("ada", ()), ("ben", ("missing_bias",))):
        home = homes[student] = base / f"home-{student}"
        home.mkdir()
        student_nbgrader(home, student, exchange, "fetch_assignment", ASSIGNMENT)
        fetched = home / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        received = nbformat.read(fetched, as_version=4)
        answered = solved_notebook(course, ASSIGNMENT, mistakes)
        for mine, theirs in zip(received.cells, answered.cells):  # the student answers in the fetched copy
            if mine.metadata.get("nbgrader", {}).get("solution"):
                mine.source = theirs.source
        nbformat.write(received, fetched)
        if student == "ada":
            student_nbgrader(home, student, exchange, "submit", ASSIGNMENT, f"--student={student}")
            time.sleep(1.5)
            due = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=0.5)
            nbgrader(root, "db", "assignment", "add", ASSIGNMENT, f"--duedate={due.strftime('%Y-%m-%d %H:%M:%S.%f')} UTC")
            time.sleep(1.0)
        else:  # after the due date
            student_nbgrader(home, student, exchange, "submit", ASSIGNMENT, f"--student={student}")
    nbgrader(root, "collect", ASSIGNMENT)
    write_submission(course, ASSIGNMENT, "zed", solved_notebook(course, ASSIGNMENT))  # not on the roster
    # plain nbgrader autograde on a copy, for its late penalties
    plain = base / "plain"
    shutil.copytree(root, plain)
    (plain / "nbgrader_config.py").write_text((root / "nbgrader_config.py").read_text())
    nbgrader(plain, "autograde", ASSIGNMENT, "--force")
    first = dnnkit_grade(course, ASSIGNMENT, "--workers", "2")
    return course, first, export(plain), homes


def test_collected_submissions_keep_their_timestamps_and_the_late_one_is_penalized(term):
    course, first, plain, _ = term
    assert first.returncode == 0, first.stderr[-3000:]
    rows = agree(course.root, ["ada", "ben", "zed"])
    assert rows["ada"]["timestamp"] and rows["ben"]["timestamp"]
    assert float(rows["ada"]["late_submission_penalty"]) == 0 and float(rows["ada"]["score"]) == 120
    # ben is late: nbgrader's "zero" penalty takes everything he earned (110: linear_forward lost)
    assert float(rows["ben"]["raw_score"]) == 110 and float(rows["ben"]["score"]) == 0
    assert "linear_forward: missing_bias" in rows["ben"]["diagnoses"]
    for student in ("ada", "ben"):
        assert float(rows[student]["late_submission_penalty"]) == float(plain[student]["late_submission_penalty"])
    assert re.search(r"^ben: 0/120 \(raw 110, late penalty 110\) graded", first.stdout, re.M), first.stdout


def test_a_student_not_on_the_roster_is_graded_and_named_once(term):
    course, first, _, _ = term
    warnings = [line for line in first.stderr.splitlines() if "not in the gradebook's roster" in line]
    assert len(warnings) == 1 and "zed" in warnings[0] and "ada" not in warnings[0]
    assert float(read_grades(course)["zed"]["score"]) == 120


def test_nothing_grader_internal_is_in_autograded_or_feedback(term):
    course, _, _, _ = term
    nbgrader(course.root, "generate_feedback", ASSIGNMENT, "--force")
    for folder in ("autograded", "feedback"):
        names = {p.name for p in (course.root / folder).rglob("*") if p.is_file()}
        assert not {n for n in names if n.endswith(".json")}, (folder, names)
    assert (course.root / RECORDS / ASSIGNMENT / "ada.json").is_file()


def test_a_manual_grade_and_a_rerelease_go_through_nbgrader(term):
    course, _, _, homes = term
    root = course.root
    with open_gradebook(root) as gb:  # the instructor overrides a grade in formgrader
        grade = gb.find_grade(grade_id("update_parameters"), ASSIGNMENT, ASSIGNMENT, "ada")
        grade.manual_score = 4.0
        gb.db.commit()
    set_points_and_typo(course)
    release = subprocess.run([sys.executable, "-m", "dnnkit.cli", "release", ASSIGNMENT], capture_output=True,
                             text=True, env={**os.environ, "DNNKIT_COURSE_ROOT": str(root)})
    assert release.returncode == 0, release.stderr[-2000:]
    again = dnnkit_grade(course, ASSIGNMENT)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "grading 3 submission(s) again: the release (notebook, points or helper files) changed" in again.stdout
    rows = agree(root, ["ada", "ben", "zed"])
    for student in ("ada", "ben", "zed"):  # what the instructor changed is not the student's doing
        assert "edited" not in rows[student]["flags"] and "metadata changed" not in rows[student]["flags"], rows[student]
    top = 120 - 20 + sum(NEW_POINTS.values())
    cells = gradebook_cells(root, "ada")
    assert cells["compute_cost"] == (15.0, 15.0, False) and cells["linear_forward"] == (2.5, 2.5, False)
    assert cells["update_parameters"] == (4.0, 10.0, True)  # the manual grade stands and still asks for review
    assert float(rows["ada"]["raw_score"]) == top - 6 and float(rows["ada"]["max_score"]) == top
    assert float(rows["zed"]["score"]) == top
    assert re.search(rf"^ada: {top - 6:g}/{top:g} graded", again.stdout, re.M), again.stdout
    # the feedback says the same, the new points included
    nbgrader(root, "generate_feedback", ASSIGNMENT, "--force")
    page = html.unescape((root / "feedback" / "zed" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text())
    assert "[grader] 15/15" in page and "[grader] 2.5/2.5" in page
    assert re.search(rf"Score: {top:g}(\.0)? / {top:g}(\.0)?", page), re.findall(r"Score: [^<]*", page)[:3]
    # a student who changes a locked cell is still flagged
    nb = nbformat.read(root / "submitted" / "zed" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    markdown = next(c for c in nb.cells if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("locked"))
    markdown.source += "\nmine now"
    nbformat.write(nb, root / "submitted" / "zed" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    third = dnnkit_grade(course, ASSIGNMENT, "--student", "zed")
    assert "was edited; restored" in read_grades_of(root)["zed"]["flags"], third.stdout


def test_the_report_shows_the_gradebook_scores(term):
    course, _, _, _ = term
    done = subprocess.run([sys.executable, "-m", "dnnkit.cli", "report", ASSIGNMENT], capture_output=True, text=True,
                          env={**os.environ, "DNNKIT_COURSE_ROOT": str(course.root)})
    assert done.returncode == 0, done.stderr
    page = (course.root / "autograded" / f"report-{ASSIGNMENT}.html").read_text()
    exported = export(course.root)
    for student in ("ada", "ben", "zed"):
        shown = float(exported[student]["score"])
        assert re.search(rf"<tr><td>{student}</td><td>{shown:g} / {float(exported[student]['max_score']):g}</td>",
                         page), student
