"""Grading without the sandbox (`dnnkit check` for a learner without bubblewrap or root; `dnnkit grade
--unsafe-no-sandbox` from an unprivileged account) restarts the runner past a hung cell like the sandbox does.

Without the sandbox the grader folder is writable to the runner, whose Python wrote grader/__pycache__/ when it
imported dnn_checks; the restart, which empties that folder, then failed on the directory (IsADirectoryError)
and the notebook got a grader error instead of its restart (shown on d02d340 with --unsafe-no-sandbox)."""
from __future__ import annotations

import pytest

from dnnkit.cli import main
from dnnkit.commands import check
from grading_support import answer, grading_course, submit

pytestmark = pytest.mark.slow


def test_a_hung_cell_is_skipped_and_the_other_functions_keep_their_points(tmp_path, monkeypatch, capsys):
    course = grading_course(tmp_path / "course")
    with open(course.root / "nbgrader_config.py", "a") as config:
        config.write("\nc.DnnkitGrade.cell_seconds = 3\n")
    notebook = submit(course, "hangs", answers={"L_model_backward": answer(
        course, "L_model_backward", after="import time\ntime.sleep(10**6)")})
    monkeypatch.setenv("DNNKIT_COURSE_ROOT", str(course.root))
    monkeypatch.setattr(check, "bubblewrap", lambda: None)  # a learner's machine without bubblewrap
    assert main(["check", "step_by_step", str(notebook)]) == 0
    out = capsys.readouterr().out
    lines = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.startswith("  ")
             and len(line.split()) >= 2}
    assert "not sandboxed" in out.splitlines()[0]
    assert lines["L_model_backward"][0] == "0/10"
    assert all(lines[name][0] == "10/10" for name in ("linear_forward", "linear_backward", "numeric_gradient"))
    assert "timed out; the notebook was run again without it" in out and "total: 110/120" in out
