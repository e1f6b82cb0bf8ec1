"""The supervisor's own account of a run (dnnkit/grading/supervisor.py), without a sandbox: which event it takes
when (`SandboxRun.take`, `Progress`), what a sandbox is handed (`sandbox_inputs`), and how a function's result is
read (`_decode_result`). The runner's events are written here with protocol.line, as the runner writes them."""
from __future__ import annotations

import base64
import json
import threading

import numpy as np
import pytest

from dnnkit import checks
from dnnkit.cases import FUNCTIONS, grading_levels
from dnnkit.grading import protocol
from dnnkit.grading.settings import Timeouts
from dnnkit.grading.supervisor import (MAX_OUTPUT_BYTES, MAX_RESULT_BYTES, Fault, Progress, RunState, SandboxRun,
                                       _decode_result, sandbox_inputs)

CELLS = [0, 2, 5]
LEVELS = [(0, ["f", "g"]), (1, ["h"])]


def event(kind: str, **fields) -> dict:
    return json.loads(protocol.line(kind, **fields))


class Run:
    """One run of the plan above, fed event by event; what was handed over, and what the supervisor said."""

    def __init__(self, handed_over: bool = False):
        self.state, self.handed, self.said = RunState(handed_over=handed_over), [], []
        self.progress, self.now = Progress(CELLS, LEVELS, 0.0), 0.0

    def send(self, kind: str, size: int = 100, at: float | None = None, **fields) -> str:
        self.now = self.now + 1.0 if at is None else at
        said = SandboxRun.take(event(kind, **fields), size, self.progress, self.handed.append, self.state, self.now)
        self.said.append(said)
        return said


def cell_end(run: Run, index: int, text: str = "hi\n", **extra):
    outputs = [{"output_type": "stream", "name": "stdout", "text": text}]
    return run.send(protocol.CELL, phase=protocol.END, index=index, outputs=outputs, error=None, **extra)


def result(value) -> str:
    return base64.b64encode(checks.pack_plain(value)).decode("ascii")


def test_a_whole_plan_in_order_hands_each_level_over_once_its_predecessors_are_final():
    run = Run()
    assert run.send(protocol.READY) == "runner ready; cells started"
    for index in CELLS:
        assert cell_end(run, index) == "cell over; outputs kept"
    assert run.handed == []  # no grading data while the cells run
    run.send(protocol.CELLS_DONE)
    assert run.handed == [0] and run.state.handed_over
    run.send(protocol.FUNCTION, phase=protocol.END, name="f", result=result({"public": [], "hidden": []}))
    assert run.handed == [0]  # g is not final yet
    run.send(protocol.FUNCTION, phase=protocol.END, name="g", result=result({"public": [], "hidden": []}))
    assert run.handed == [0, 1]
    run.send(protocol.FUNCTION, phase=protocol.END, name="h", result=result({"public": [], "hidden": []}))
    assert run.send(protocol.DONE) == "run over" and run.state.done
    assert set(run.state.results) == {"f", "g", "h"} and set(run.state.cell_outputs) == set(CELLS)


@pytest.mark.parametrize("kind, fields", [
    (protocol.CELL, {"phase": protocol.START, "index": 0}),  # a start: never the runner's word
    (protocol.FUNCTION, {"phase": protocol.END, "name": "f"}),  # a function before its level
    (protocol.LEVEL_DONE, {"level": 0}),
    (protocol.DONE, {}),
    ("noise", {}),
])
def test_an_event_out_of_its_place_in_the_plan_is_ignored_and_moves_nothing(kind, fields):
    run = Run()
    run.send(protocol.READY, at=1.0)
    before = (run.progress.step, run.progress.since)
    assert run.send(kind, at=9.0, **fields) == "ignored"
    assert (run.progress.step, run.progress.since) == before and run.handed == []


def test_time_is_the_supervisors_a_repeated_event_never_restarts_a_clock():
    run = Run()
    run.send(protocol.READY, at=1.0)
    cell_end(run, 0, at=2.0)
    assert run.progress.step == ("cell", 2) and run.progress.since == 2.0
    assert cell_end(run, 0, at=3.0) == "ignored"  # the same cell again: too late, not a new start
    assert run.progress.since == 2.0
    assert cell_end(run, 5, at=4.0) == "cell over; outputs kept"  # a later cell: the skipped one is over too
    assert run.progress.step == ("cells over", None) and 2 not in run.state.cell_outputs
    assert run.progress.limit(Timeouts(cell_seconds=7)) == 7


def test_a_result_is_taken_once_and_a_level_said_done_early_costs_its_unreported_functions():
    run = Run()
    run.send(protocol.READY)
    run.send(protocol.CELLS_DONE)  # the runner may skip its cells: they are then over, without outputs
    run.send(protocol.FUNCTION, phase=protocol.END, name="f", result=result({"first": 1}))
    assert run.send(protocol.FUNCTION, phase=protocol.END, name="f", result=result({"second": 2})) == "ignored"
    assert run.state.results["f"] == {"first": 1}
    run.send(protocol.LEVEL_DONE, level=0)
    assert run.state.function_faults == {"g": Fault.DID_NOT_REPORT} and run.handed == [0, 1]
    assert run.progress.step == ("function", "h") and run.progress.limit(Timeouts(function_seconds=3)) == 3


def test_no_cell_output_is_kept_from_a_run_after_a_hand_over():
    run = Run(handed_over=True)  # an earlier run of this submission was handed a level: kernel state outlives it
    run.send(protocol.READY)
    assert cell_end(run, 0, text="what the page cache held\n").startswith("cell over; outputs not kept")
    assert run.state.cell_outputs == {}


def test_the_cell_outputs_kept_for_a_submission_are_bounded():
    run = Run()
    run.send(protocol.READY)
    cell_end(run, 0, size=MAX_OUTPUT_BYTES - 10)
    cell_end(run, 2, size=100)  # over the bound: the cell is marked, its outputs left out
    assert run.state.cell_outputs[0]["outputs"] and not run.state.cell_outputs[0]["left_out"]
    assert run.state.cell_outputs[2] == {"outputs": [], "error": None, "left_out": True}


@pytest.mark.parametrize("text", [None, 7, "not base64!", base64.b64encode(b"junk").decode(),
                                  "A" * (MAX_RESULT_BYTES * 4 // 3 + 8)])
def test_a_result_that_is_not_plain_data_within_its_bounds_is_read_as_none(text):
    assert _decode_result(text) is None


def test_a_result_of_plain_data_is_read_back():
    value = {"public": [{"ok": True, "value": np.arange(3.0)}], "hidden": []}
    decoded = _decode_result(result(value))
    assert np.array_equal(decoded["public"][0]["value"], np.arange(3.0))


def test_a_sandbox_is_handed_inputs_only_level_by_level():
    assignment = "step_by_step"
    hidden = {name: [{"name": f"{name} hidden 0", "args": [np.ones(2)], "expected": "EXPECTED-" + name,
                      "deps": {}}] for name in FUNCTIONS[assignment]}
    public = {name: [{"name": "p", "args": [], "calls": []}] for name in FUNCTIONS[assignment]}
    inputs = sandbox_inputs(assignment, public, hidden)
    assert [sorted(level) for level in inputs] == [sorted(names) for names in grading_levels(assignment)]
    text = repr(inputs)
    assert "EXPECTED-" not in text and "expected" not in text  # landed: the cases given here carry both
    assert all(set(case) == {"name", "args", "calls"} for level in inputs for function in level.values()
               for case in function["hidden"])


def test_a_warm_spare_sandbox_is_started_only_for_a_submission_still_to_come(monkeypatch):
    """batch.py says how many submissions are to start (to_start); a run started next takes a waiting spare, and
    a finished run starts a spare only while more submissions are to come than spares wait (each spare costs a
    Python start-up with numpy and IPython)."""
    from dnnkit.grading.supervisor import SandboxRun

    run = SandboxRun.__new__(SandboxRun)
    run._lock, run._boxes, run._spares, run._warming = threading.Lock(), {}, [], 0
    made = []
    monkeypatch.setattr(run, "_new_box", lambda: made.append(f"box{len(made)}") or made[-1], raising=False)
    run.to_start = 3
    took = [run._take_box()]  # the first submission: no spare yet
    run._warm_spare()  # its run is over: two more to come
    run._warm_spare()  # a second finished run: one spare per submission to come, at most
    took.append(run._take_box())
    took.append(run._take_box())
    run._warm_spare()
    run._warm_spare()  # nothing more to come
    assert sorted(took) == made == ["box0", "box1", "box2"] and run._spares == []  # none left over
    run.to_start = None  # not told (dnnkit check, a cluster): a spare after every run, as before
    run._warm_spare()
    assert run._spares == ["box3"]


def test_a_sandbox_process_is_killed_once_its_pid_is_never_signalled_after_it_was_reaped(monkeypatch, tmp_path):
    """`run` kills each attempt's process and `_drop_box` kills the box again: a process already killed and
    reaped is not signalled a second time (its pid, then its process group's number, may belong to another
    process by then); the next attempt's process is killed as its own."""
    import os
    import signal
    import subprocess

    from dnnkit.grading.channel import Channel
    from dnnkit.grading.supervisor import Box

    signalled = []
    real_killpg = os.killpg
    monkeypatch.setattr(os, "killpg", lambda pgid, sig: signalled.append(pgid) or real_killpg(pgid, sig))

    def started():
        process = subprocess.Popen(["sleep", "30"], stdout=subprocess.PIPE, start_new_session=True)
        return process, Channel(process.stdout)

    box = Box(None, None, tmp_path, tmp_path, tmp_path, *started(), None)
    first = box.process
    box.kill()
    box.kill()  # as _drop_box does after the attempt's own kill
    assert signalled == [first.pid] and first.returncode == -signal.SIGKILL
    box.process, box.channel = started()  # a restart
    box.kill()
    box.kill()
    assert signalled == [first.pid, box.process.pid] and box.process.returncode == -signal.SIGKILL
