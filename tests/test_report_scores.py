"""Every score of a term agrees, and the report explains every lost point: `dnnkit grade` on three submissions
(ada on time, then graded by hand in formgrader: one grade lowered, extra credit on another; ben late with a
mistake; cleo late with every function right), nbgrader's "zero" late penalty; then `dnnkit report`, `nbgrader
export`, the feedback pages and both LMS files (dnnkit/lms.py) are compared with each other and with the gradebook."""
from __future__ import annotations

import csv
import html
import os
import re
import subprocess
import sys

import pytest

from dnnkit.cases import FUNCTIONS, grade_id
from dnnkit.gradebook import open_gradebook
from dnnkit.nbgrader_cli import nbgrader
from grading_support import dnnkit_grade, grading_course, submit
from test_report import Tables

pytestmark = pytest.mark.slow

ASSIGNMENT = "step_by_step"
NAMES = FUNCTIONS[ASSIGNMENT]
DUE = "2026-12-01 23:59:00"
SUBMITTED = {"ada": "2026-12-01 12:00:00", "ben": "2026-12-02 02:05:00", "cleo": "2026-12-03 00:00:30"}
LOWERED, EXTRA = ("update_parameters", 4.0), ("compute_cost", 1.0)  # ada's grades given by hand


@pytest.fixture(scope="module")
def term(tmp_path_factory):
    course = grading_course(tmp_path_factory.mktemp("scores") / "course")
    root = course.root
    with open(root / "nbgrader_config.py", "a") as config:
        config.write("\nc.LateSubmissionPlugin.penalty_method = 'zero'\n")
    nbgrader(root, "db", "assignment", "add", ASSIGNMENT, f"--duedate={DUE} UTC")
    submit(course, "ada")
    submit(course, "ben", answers={"linear_forward": "def linear_forward(A, W, b):\n    Z = np.dot(W, A)\n"
                                                     "    return Z, (A, W, b)\n"})
    submit(course, "cleo")
    for student, when in SUBMITTED.items():
        (root / "submitted" / student / ASSIGNMENT / "timestamp.txt").write_text(f"{when}.000000 UTC")
    done = dnnkit_grade(course, ASSIGNMENT)
    assert done.returncode == 0, done.stderr[-3000:]
    with open_gradebook(root) as gb:  # the instructor in formgrader
        gb.find_grade(grade_id(LOWERED[0]), ASSIGNMENT, ASSIGNMENT, "ada").manual_score = LOWERED[1]
        gb.find_grade(grade_id(EXTRA[0]), ASSIGNMENT, ASSIGNMENT, "ada").extra_credit = EXTRA[1]
        gb.db.commit()
    env = {**os.environ, "DNNKIT_COURSE_ROOT": str(root)}
    report = subprocess.run([sys.executable, "-m", "dnnkit.cli", "report", ASSIGNMENT], env=env, capture_output=True,
                            text=True)
    assert report.returncode == 0, report.stderr
    nbgrader(root, "export", "--to", "export.csv")
    nbgrader(root, "export", "--exporter=dnnkit.lms.CanvasExport", "--to", "canvas.csv")
    nbgrader(root, "export", "--exporter=dnnkit.lms.MoodleExport", "--to", "moodle.csv")
    nbgrader(root, "generate_feedback", ASSIGNMENT, "--force")
    with open(root / "export.csv", newline="") as handle:
        exported = {row["student_id"]: row for row in csv.DictReader(handle)}
    with open_gradebook(root) as gb:
        grades = {s: {g.name[len("test_"):]: (g.score, g.max_score, g.auto_score, g.manual_score, g.extra_credit)
                      for g in gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, s).grades} for s in SUBMITTED}
    page = (root / "autograded" / f"report-{ASSIGNMENT}.html").read_text()
    return root, exported, grades, page


def test_the_scenario_is_what_nbgrader_recorded(term):
    """The control: nbgrader's own export sees both late penalties and the grades given by hand."""
    _, exported, grades, _ = term
    assert float(exported["cleo"]["raw_score"]) == 120 and float(exported["cleo"]["score"]) == 0
    assert float(exported["ben"]["raw_score"]) == 110 and float(exported["ben"]["late_submission_penalty"]) == 110
    assert float(exported["ada"]["raw_score"]) == 120 - 6 + 1 and float(exported["ada"]["score"]) == 115
    assert grades["ada"][LOWERED[0]][2:4] == (10.0, 4.0)


def test_the_report_explains_every_lost_point(term):
    _, exported, grades, page = term
    rows = {row[0]: row for row in Tables(page).table(["student", "raw score", "points lost by function"])}
    assert set(rows) == set(SUBMITTED)  # each lost points, was late or was graded by hand
    for student, (_, raw, lost, by_hand, late, score) in rows.items():
        ex = exported[student]
        assert raw == f"{float(ex['raw_score']):g} / {float(ex['max_score']):g}", student
        assert score == f"{float(ex['score']):g} / {float(ex['max_score']):g}", student
        # the autograded functions' losses, as the gradebook has them (hand-graded ones are explained apart)
        losses = {n: top - got for n, (got, top, _, manual, extra) in grades[student].items()
                  if got < top and manual is None and not extra}
        listed = {name: float(points) for names, points in re.findall(r"([\w, ]+): −([\d.]+) \(", lost)
                  for name in names.split(", ")}
        assert set(listed) == set(losses), (student, lost)
        assert sum(losses.values()) == pytest.approx(sum(float(p) for p in re.findall(r": −([\d.]+) \(", lost)))
        penalty = float(ex["late_submission_penalty"])
        assert late.startswith(f"−{penalty:g}: submitted") if penalty else late == "", (student, late)
    assert rows["ben"][2] == "linear_forward: −10 (failed: missing_bias)"
    assert rows["cleo"][2] == "" and rows["cleo"][4] == f"−120: submitted 1 d 1 min after the due date ({DUE})"
    assert rows["ben"][4] == f"−110: submitted 2 h 6 min after the due date ({DUE})"
    hand = {LOWERED[0]: f"{LOWERED[0]}: 4 / 10 by hand (the autograder gave 10)",
            EXTRA[0]: f"{EXTRA[0]}: +1 extra credit"}
    assert rows["ada"][3] == "".join(hand[n] for n in NAMES if n in hand), rows["ada"][3]
    # the students table marks the functions graded by hand
    marks = {row[0]: row[3:-1] for row in Tables(page).table(["student", "score", "status"])}
    assert [m.endswith("✎") for m in marks["ada"]] == [n in (LOWERED[0], EXTRA[0]) for n in NAMES]


def test_feedback_and_lms_files_agree_with_nbgrader_export(term):
    root, exported, _, _ = term
    for student, ex in exported.items():
        page = html.unescape((root / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text())
        heading = re.search(r"<h4>step_by_step \(Score: ([\d.]+) / ([\d.]+)\)</h4>", page)
        assert heading and float(heading[1]) == float(ex["score"]), (student, heading and heading[0])
        penalty = float(ex["late_submission_penalty"])
        assert (f"Late submission penalty (Score: -{penalty}" in page) == (penalty > 0), student
    with open(root / "canvas.csv", newline="") as handle:
        header, points, *canvas = list(csv.reader(handle))
    assert header[5:] == [ASSIGNMENT] and float(points[5]) == 120
    assert {row[3]: float(row[5]) for row in canvas} == {s: float(ex["score"]) for s, ex in exported.items()}
    with open(root / "moodle.csv", newline="") as handle:
        _, *moodle = list(csv.reader(handle))
    assert {row[0]: float(row[4]) for row in moodle} == {s: float(ex["score"]) for s, ex in exported.items()}
