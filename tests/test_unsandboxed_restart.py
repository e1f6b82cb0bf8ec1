"""Grading without the sandbox (--unsafe-no-sandbox, and so `dnnkit check` for a learner without root) restarts
the runner past a hung cell like the sandbox does.

Without the sandbox the grader folder is writable to the runner, whose Python wrote grader/__pycache__/ when it
imported dnn_checks; the restart, which empties that folder, then failed on the directory (IsADirectoryError)
and the submission got a grader error instead of its restart."""
from __future__ import annotations

import pytest

from grading_support import STEP_NAMES, answer, dnnkit_grade, expect_row, grading_course, read_grades, submit

pytestmark = pytest.mark.slow


def test_a_hung_cell_is_skipped_and_the_other_functions_keep_their_points(tmp_path):
    course = grading_course(tmp_path / "course")
    with open(course.root / "nbgrader_config.py", "a") as config:
        config.write("\nc.DnnkitGrade.cell_seconds = 3\n")
    submit(course, "hangs", answers={"L_model_backward": answer(
        course, "L_model_backward", after="import time\ntime.sleep(10**6)")})
    done = dnnkit_grade(course, "step_by_step", "--unsafe-no-sandbox", "--workers", "1")
    assert done.returncode == 0, done.stderr[-2000:]
    row = read_grades(course)["hangs"]
    assert row["status"] != "error", row["flags"]  # today: a grader error, IsADirectoryError on __pycache__
    expect_row(row, ("L_model_backward",), "incomplete", "timed out; the notebook was run again without it",
               names=STEP_NAMES)
