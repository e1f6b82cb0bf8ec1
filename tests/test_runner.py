"""The runner (dnnkit/grading/runner.py) as the supervisor sees it, without the sandbox: started as the supervisor
starts it, in a grader folder holding what the supervisor copies there (runner.py, protocol.py, dnn_checks.py), it
says it is ready, runs the plan's cells, waits for each level's inputs and reports every function's results in
protocol.py's events; what it sends of an output is bounded by protocol.TEXT_CHARS (a bound on what crosses the
pipe, not what is kept). Its pure helpers are tested directly."""
from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from dnnkit import checks
from dnnkit.grading import protocol
from dnnkit.grading.supervisor import PACKAGE, SHIPPED, _inputs_only, sandbox_inputs
from dnnkit.shipped import localized_checks

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def runner():
    """runner.py imported as the sandbox imports it: beside its protocol.py."""
    sys.path.insert(0, str(PACKAGE))
    try:
        import runner as module
        yield module
    finally:
        sys.path.remove(str(PACKAGE))
        sys.modules.pop("runner", None)


def test_what_an_output_sends_is_bounded_by_the_protocol(runner):
    small = "x" * 100
    assert runner._sent(small) == small
    cut = runner._sent("y" * (protocol.TEXT_CHARS * 3))
    assert cut.startswith("y" * protocol.TEXT_CHARS) and len(cut) < protocol.TEXT_CHARS + 50


def test_a_cells_outputs_keep_their_kinds_and_rich_data_is_bounded(runner):
    rich = [SimpleNamespace(data={"text/plain": "z" * (protocol.TEXT_CHARS + 10), "image/png": "iVBOR" + "A" * 100,
                                  "application/x-big": 7})] * 7
    captured = SimpleNamespace(stdout="out\n", stderr="", outputs=rich)
    outputs = runner._outputs(captured, {"ename": "ValueError", "evalue": "bad"})
    assert [o["output_type"] for o in outputs] == ["stream"] + ["display_data"] * 5 + ["error"]
    data = outputs[1]["data"]
    assert set(data) == {"text/plain", "image/png"} and len(data["text/plain"]) < protocol.TEXT_CHARS + 50
    assert outputs[-1]["traceback"] == ["ValueError: bad"]


def start(tmp_path: Path, cells: list[str]) -> tuple[subprocess.Popen, Path]:
    grader, work, release = tmp_path / "grader", tmp_path / "work", REPO / "release" / "step_by_step"
    grader.mkdir()
    for name in SHIPPED:
        shutil.copy(PACKAGE / name, grader / name)
    (grader / "dnn_checks.py").write_text(localized_checks("en"))
    process = subprocess.Popen([sys.executable, "-E", "-s", "-B", str(grader / "runner.py"), str(grader), str(work),
                                str(release)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    plan = {"cells": [{"index": i, "source": source} for i, source in enumerate(cells)], "skip_cells": [1],
            "levels": [[0, ["linear_forward"]]]}
    (grader / "plan.tmp").write_text(json.dumps(plan))
    (grader / "plan.tmp").rename(grader / protocol.PLAN)
    return process, grader


def events(process: subprocess.Popen, until: str) -> list[dict]:
    seen = []
    for line in process.stdout:
        seen.append(json.loads(line))
        if seen[-1][protocol.KIND] == until:
            return seen
    raise AssertionError(f"the runner ended before {until}: {seen}")


def test_a_run_follows_the_plan_in_protocol_events(tmp_path):
    cells = ["import numpy as np\nprint('hello')", "print('skipped')",
             "def linear_forward(A, W, b):\n    return np.dot(W, A) + b, (A, W, b)", "print('x' * 300000)"]
    process, grader = start(tmp_path, cells)
    try:
        said = events(process, protocol.CELLS_DONE)
        assert said[0] == {protocol.KIND: protocol.READY}
        ends = [e for e in said if e[protocol.KIND] == protocol.CELL and e[protocol.PHASE] == protocol.END]
        assert [e[protocol.INDEX] for e in ends] == [0, 2, 3]  # the plan's skipped cell never ran
        assert ends[0][protocol.OUTPUTS][0]["text"] == "hello\n"
        assert len(ends[2][protocol.OUTPUTS][0]["text"]) < protocol.TEXT_CHARS + 50  # cut for the pipe only
        time.sleep(0.3)
        assert process.poll() is None  # it waits for the level's inputs, which only the grader writes
        public, _ = checks.load_plain(REPO / "release" / "step_by_step" / "public_cases.npz")
        inputs = sandbox_inputs("step_by_step", {n: _inputs_only(c) for n, c in public.items()},
                                {n: [] for n in public})
        checks.save_plain(grader / "level.tmp.npz", {"linear_forward": inputs[0]["linear_forward"]})
        (grader / "level.tmp.npz").rename(grader / protocol.level_file(0))
        said = events(process, protocol.DONE)
    finally:
        process.kill()
        process.wait()
    [ended] = [e for e in said if e[protocol.KIND] == protocol.FUNCTION and e[protocol.PHASE] == protocol.END]
    results = checks.unpack_plain(base64.b64decode(ended[protocol.RESULT]))
    assert ended[protocol.NAME] == "linear_forward" and results["hidden"] == []
    assert results["public"] and all(case["ok"] for case in results["public"])
    assert [e[protocol.KIND] for e in said[-2:]] == [protocol.LEVEL_DONE, protocol.DONE]


def test_the_helper_calls_reach_the_judge_as_run_case_logged_them(runner, monkeypatch):
    """runner._calls_reported packs a case's call log into three parts (a table of ints, the helpers' names, the
    arguments of the first unmatched calls); judge._calls gives back run_case's log, and nothing for a log in any
    other form."""
    from dnnkit.grading import judge

    monkeypatch.setitem(sys.modules, "dnn_checks", checks)
    W = checks.copied([[1.0, 2.0]])
    logged = [{"helper": "linear_forward", "hit": 0, "depth": 0, "args": None, "unbound": False},
              {"helper": "relu", "hit": None, "depth": 1, "args": [W], "unbound": False, "provided": True},
              {"helper": "linear_forward", "hit": None, "depth": 0, "args": None, "unbound": True}]
    logged += [{"helper": "sigmoid", "hit": None, "depth": 0, "args": [i], "unbound": False, "provided": True}
               for i in range(protocol.MAX_CALLS)]
    reported = checks.unpack_plain(checks.pack_plain(runner._calls_reported(logged)))
    got = judge._calls({"calls": reported})
    assert len(got) == protocol.MAX_CALLS
    expected = [dict(call, provided=call.get("provided", False)) for call in logged[:protocol.MAX_CALLS]]
    for call in expected[protocol.MAX_MISSED + 1:]:  # the first MAX_MISSED unmatched calls keep their arguments
        call["args"] = None
    assert got == expected
    rows = reported["rows"].copy()
    rows[0, 0] = 7  # a helper index past the names
    for bad in ([["relu", -1, 0, None, False, True]], {**reported, "rows": rows},
                {**reported, "rows": rows.astype(float)}, {**reported, "helpers": [1]}):
        assert judge._calls({"calls": bad}) == []
