"""The supervisor: runs one submission's notebook (as intake repaired it) in the sandbox, takes what its runner
(runner.py) reports through channel.py, in order and by its own clock, and restarts the runner past a hung or
dead cell or function. It decides no score: judge.py does, from the `RunState` returned here. The rules it keeps
are in docs/grading-path.md and docs/threat-model.md ("Against a student").
"""
from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import nbformat

from .. import checks
from ..cases import FUNCTIONS, grading_levels
from ..course import Course
from ..shipped import localized_checks, released_language
from . import cgroup, leftovers, protocol
from .cgroup import SandboxCgroup
from .channel import Channel
from .records import Verdict
from .sandbox import (GRADER, RELEASE, WORK, Limits, OwnUid, UidLease, command, lease as sandbox_lease,
                      prepare_work_folder, unsandboxed_command)
from .settings import Timeouts
from .syscalls import open_filter

PACKAGE = Path(__file__).resolve().parent
MAX_RESULT_BYTES = 8 * 1024**2  # one function's results on all its cases (a few kilobytes when honest)
MAX_EVENTS = 20_000  # events taken from one run of the runner
DRAIN_SECONDS = 2.0  # after the runner's death, how long what it wrote is still read
MAX_OUTPUT_BYTES = 6 * 1024**2  # cell events kept for one submission (LimitOutput keeps far less)
SHIPPED = ("runner.py", "protocol.py")  # copied into every sandbox's grader folder, with dnn_checks.py


class Fault(StrEnum):
    """How a runner process, a cell or a function went wrong."""
    TIMED_OUT = "timed out"
    DIED = "died"
    REPORTED_TOO_MUCH = "reported too much"
    OUT_OF_TIME = "ran out of time"  # the submission's total time (c.DnnkitGrade.submission_seconds)
    DID_NOT_REPORT = "did not report"
    NOT_RUN_OUT_OF_TIME = "not run: the submission's time was used up"
    NOT_RUN_RESTARTS = "not run: too many restarts"
    NOT_RUN_OUTSIDE = "not run: the process failed outside any cell or function"

    @property
    def verdict(self) -> Verdict:
        """What a function that met this fault is given."""
        if self.value.startswith("not run"):
            return Verdict.NOT_RUN
        return Verdict.TIMED_OUT if self is Fault.TIMED_OUT else Verdict.CRASHED


@dataclass
class RunState:
    """What the supervisor has taken from one submission's runs (across restarts)."""
    cell_outputs: dict[int, dict] = field(default_factory=dict)  # cell index: its "cell end" event (see handed_over)
    results: dict[str, object] = field(default_factory=dict)  # function: decoded results (None: unreadable), final
    cell_faults: dict[int, Fault] = field(default_factory=dict)
    function_faults: dict[str, Fault] = field(default_factory=dict)
    done: bool = False  # the last attempt reported the end of its plan
    step: tuple = ("startup", None)  # where the runner is: ("cell", index), ("function", name), ...
    handed_over: bool = False  # a level's inputs were given to some run: no cell output is taken from then on
    output_bytes: int = 0  # the size of the cell events kept (bounded by MAX_OUTPUT_BYTES)
    flags: list[str] = field(default_factory=list)  # what went wrong, for the instructor

    def final(self) -> set[str]:
        """The functions whose verdict can no longer change."""
        return set(self.results) | set(self.function_faults)

    def not_run(self, names, reason: Fault) -> None:
        for name in names:
            if name not in self.results:
                self.function_faults.setdefault(name, reason)


@dataclass
class Box:
    """One sandbox: its folders, its user id, its cgroup and its running process."""
    holder: tempfile.TemporaryDirectory
    lease: UidLease | OwnUid
    scratch: Path
    grader: Path  # read-only inside: runner, plan, then each level's inputs
    work: Path
    process: subprocess.Popen
    channel: Channel
    group: SandboxCgroup | None
    killed: subprocess.Popen | None = None  # the process last killed and reaped: its pid may be another's now

    def kill(self) -> None:
        """Kill the process with its session (and pid namespace: no process of that user id is left), once."""
        if self.killed is not self.process:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            self.killed = self.process
        self.channel.stop()


def _inputs_only(cases: list) -> list:
    """Cases as the sandbox gets them: arguments and the sealed recorded helper calls (checks.sealed_calls)."""
    return [{"name": case["name"], "args": case["args"], "calls": checks.sealed_calls(case.get("deps", {}))}
            for case in cases]


def sandbox_inputs(assignment: str, public: dict, hidden: dict) -> list[dict]:
    """One {function: {"public": cases, "hidden": cases}} per grading level, in order (`public`: already as
    _inputs_only made them): no expected output, mistake's outcome or reference code."""
    return [{name: {"public": public[name], "hidden": _inputs_only(hidden[name])} for name in level}
            for level in grading_levels(assignment)]


def _write_atomically(target: Path, data: bytes) -> None:
    """Write, then rename: the runner, which reads a file once its name exists, never sees half of it."""
    target.with_suffix(".tmp").write_bytes(data)
    os.replace(target.with_suffix(".tmp"), target)


def _decode_result(text):
    """A function's results as the runner reported them (base64 of checks.pack_plain), or None if they are not a
    string, too large, or not plain data within checks.PACK_LIMITS (sizes checked before anything is built)."""
    if not isinstance(text, str) or len(text) > MAX_RESULT_BYTES * 4 // 3 + 4:
        return None
    try:
        return checks.unpack_plain(base64.b64decode(text, validate=True))
    except (Exception, RecursionError):
        return None


class Trace:
    """When $DNNKIT_GRADE_TRACE names a folder, what the grader made of every line a runner sent, as JSON lines
    in <student>.jsonl, and a copy of every file handed into the sandbox in <student>.handed/ (tests see attacks
    reach their target with them); else nothing."""

    MAX_LINES = 20000

    def __init__(self, student: str):
        folder = os.environ.get("DNNKIT_GRADE_TRACE")
        self.handle, self.handed_to, self.lines = None, None, 0
        if folder and student:
            name = urllib.parse.quote(student, safe='')
            self.handle = open(Path(folder) / f"{name}.jsonl", "a")
            self.handed_to = Path(folder) / f"{name}.handed"
            self.handed_to.mkdir(exist_ok=True)

    def handed(self, path: Path) -> None:
        if self.handed_to is not None:
            count = len(list(self.handed_to.iterdir()))
            shutil.copy(path, self.handed_to / f"{count:03d}-{path.name}")

    def __call__(self, event: dict, taken: str) -> None:
        if self.handle is None or self.lines >= self.MAX_LINES:
            return
        self.lines += 1
        shown = {k: (v if isinstance(v, (int, float, bool)) or v is None else str(v)[:300])
                 for k, v in list(event.items())[:8] if k not in (protocol.RESULT, protocol.OUTPUTS)}
        self.handle.write(json.dumps({"event": shown, "taken": taken}) + "\n")

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()


class Progress:
    """Where one run of the runner is in its plan, and since when, by the supervisor's clock: startup, each cell
    in order, each function of each level, then finishing. An event can only move it forward, never back or in
    place, so no event resets, extends or postpones a limit."""

    def __init__(self, cells: list[int], levels: list[tuple[int, list[str]]], now: float):
        self.cells, self.pending = list(cells), list(levels)  # the cells and levels still to come
        self.level: int | None = None
        self.functions: list[str] = []  # the current level's functions not yet ended, in plan order
        self.step: tuple = ("startup", None)
        self.since = now

    def _at(self, step: tuple, now: float) -> None:
        self.step, self.since = step, now

    def next_cell(self, now: float) -> None:
        self._at(("cell", self.cells[0]) if self.cells else ("cells over", None), now)

    def cell_ended(self, index: int, now: float) -> bool:
        """Whether `index` is a cell still to come (those before it then count as over, without outputs)."""
        if self.step[0] not in ("startup", "cell") or index not in self.cells:
            return False
        del self.cells[:self.cells.index(index) + 1]
        self.next_cell(now)
        return True

    def next_level(self, now: float) -> int | None:
        """Move to the next level, whose inputs are then due; None: all levels are over."""
        if not self.pending:
            self.level, self.functions = None, []
            self._at(("finishing", None), now)
            return None
        self.level, names = self.pending.pop(0)
        self.functions = list(names)
        self._at(("function", self.functions[0]), now)
        return self.level

    def function_ended(self, name: str, now: float) -> bool:
        """Whether `name` is a function of the current level not yet ended (taken once)."""
        if self.step[0] != "function" or name not in self.functions:
            return False
        self.functions.remove(name)
        if self.functions:
            self._at(("function", self.functions[0]), now)
        return True

    def limit(self, timeouts: Timeouts) -> float:
        return {"startup": timeouts.startup_seconds, "function": timeouts.function_seconds}.get(
            self.step[0], timeouts.cell_seconds)


class SandboxRun:
    """The untrusted half: runs submissions of one assignment in the sandbox and reports what came out. `inputs`
    runs on the grader's side; `run` gets plain data only, so it can run on a Dask worker unchanged. Picklable;
    thread-safe (each submission gets its own folders and process)."""

    def __init__(self, course: Course, assignment: str, limits: Limits, timeouts: Timeouts, sandboxed: bool):
        self.assignment = assignment
        self.limits, self.timeouts, self.sandboxed = limits, timeouts, sandboxed
        self.release = course.release(assignment)
        self.language = released_language(course, assignment)  # the visible tests in the sandbox speak it
        self.checks_text = localized_checks(self.language)  # dnn_checks.py of every sandbox, and of every restart
        self.datasets = course.datasets if course.datasets.is_dir() else None
        public, _ = checks.load_plain(self.release / "public_cases.npz")
        self.public = {name: _inputs_only(cases) for name, cases in public.items()}  # no expected output
        self.prewarm = True
        self.to_start: int | None = None  # submissions not yet started (batch.py sets it): no spare beyond them
        self._fresh()

    def _fresh(self) -> None:
        self._lock, self._boxes, self._spares, self._warming = threading.Lock(), {}, [], 0
        leftovers.begin()

    def __getstate__(self):  # sent to Dask workers: no live processes, no spares there
        state = {k: v for k, v in self.__dict__.items() if k not in ("_lock", "_boxes", "_spares", "_warming")}
        return {**state, "prewarm": False}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._fresh()

    def inputs(self, hidden_cases: dict) -> list[dict]:
        """What the sandbox gets for a submission graded on `hidden_cases` (the expected outputs stay here)."""
        return sandbox_inputs(self.assignment, self.public, hidden_cases)

    def _prepare(self, scratch: Path, uid: int) -> tuple[Path, Path]:
        """scratch/grader (read-only inside: the runner, then its plan) and, without the sandbox only, scratch/work
        (inside, the working folder is a tmpfs), both made anew: nothing a previous run left there stays."""
        grader, work = scratch / "grader", scratch / "work"
        for folder in (grader, work):
            shutil.rmtree(folder, ignore_errors=True)
        grader.mkdir()
        grader.chmod(0o755)
        for name in SHIPPED:
            shutil.copy(PACKAGE / name, grader / name)
        (grader / "dnn_checks.py").write_text(self.checks_text)
        if not self.sandboxed:
            prepare_work_folder(work, uid)
        return grader, work

    def _start(self, grader: Path, work: Path, uid: int, group: SandboxCgroup | None
               ) -> tuple[subprocess.Popen, Channel]:
        """Start a runner; it loads Python, IPython and numpy, then waits for plan.json (written by `run`)."""
        inside = (GRADER, WORK, RELEASE) if self.sandboxed else (str(grader), str(work), str(self.release))
        # -B: -E ignores PYTHONDONTWRITEBYTECODE, and without the sandbox the grader folder is writable
        argv = ["python", "-E", "-s", "-B", f"{inside[0]}/runner.py", *inside]
        env = {"NBGRADER_EXECUTION": "autograde"}
        fds = (open_filter(),) if self.sandboxed else ()
        try:
            if not self.sandboxed:
                argv, env = unsandboxed_command(argv, self.limits), {**os.environ, **env}
            else:  # bubblewrap sets the environment inside
                argv, env = command(argv, grader, self.release, self.limits, uid, fds[0], env=env,
                                    datasets=self.datasets), None
                argv = group.wrap(argv) if group is not None else argv
            process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                       stderr=subprocess.DEVNULL, start_new_session=True, pass_fds=fds, env=env)
        finally:
            for fd in fds:
                os.close(fd)
        return process, Channel(process.stdout)

    def _new_box(self) -> Box:
        """A fresh sandbox for one submission: its folders and a runner already loading."""
        holder = tempfile.TemporaryDirectory(prefix=leftovers.scratch_prefix(), dir=leftovers.folder())
        lease = sandbox_lease() if self.sandboxed else OwnUid()
        scratch = Path(holder.name)
        grader, work = self._prepare(scratch, lease.uid)
        if not self.sandboxed and self.datasets is not None:
            (scratch / "datasets").symlink_to(self.datasets)
        group = None
        if self.sandboxed and cgroup.available() is None:  # memory and processes bounded as a whole
            group = SandboxCgroup(self.limits.memory_bytes, self.limits.processes, leftovers.token())
        box = Box(holder, lease, scratch, grader, work, *self._start(grader, work, lease.uid, group), group)
        with self._lock:
            self._boxes[id(box)] = box
        return box

    def _take_box(self) -> Box:
        """A warm spare sandbox if one is waiting (each serves one submission, never a second), else a new one."""
        with self._lock:
            if self.to_start is not None:
                self.to_start -= 1
            box = self._spares.pop() if self._spares else None
        return box or self._new_box()

    def _warm_spare(self) -> None:
        """Start a sandbox for a submission still to come, unless enough are waiting or starting already."""
        with self._lock:
            if self.to_start is not None and self.to_start <= len(self._spares) + self._warming:
                return
            self._warming += 1
        try:
            box = self._new_box()
        finally:
            with self._lock:
                self._warming -= 1
        with self._lock:
            self._spares.append(box)

    def _drop_box(self, box: Box) -> None:
        box.kill()
        if box.group is not None:
            box.group.remove()
        box.holder.cleanup()
        box.lease.release()
        with self._lock:
            self._boxes.pop(id(box), None)

    def close(self) -> None:
        """Stop every spare sandbox still waiting for a submission (call once all runs are done)."""
        with self._lock:
            boxes = list(self._boxes.values())
        for box in boxes:
            self._drop_box(box)

    def _attempt(self, box: Box, cells: list[int], levels: list[tuple[int, list[str]]], hand_over, state: RunState,
                 deadline: float, trace) -> Fault | None:
        """Follow one runner process until it finishes (None), dies, overruns its time or the submission's, or
        says too much (that Fault; `run` kills it at once). Every event is checked (the process runs the
        student's code, which can write anything), and the time checks follow every event."""
        progress = Progress(cells, levels, time.monotonic())
        events, died = 0, None
        while True:
            got = box.channel.get(timeout=0.02)
            now = time.monotonic()
            if got is not None:
                event, size = got
                events += 1
                trace(event, self.take(event, size, progress, hand_over, state, now))
            state.step = progress.step
            if box.channel.overflowed or events > MAX_EVENTS:
                trace({protocol.KIND: "channel"}, f"over {box.channel.max_total} bytes, {box.channel.max_lines} "
                                                  f"lines or {MAX_EVENTS} events: process killed")
                return Fault.REPORTED_TOO_MUCH
            if box.process.poll() is not None:
                died = died or now  # what it said before it died is still taken (its children may hold the pipe)
                if box.channel.drained() or now - died > DRAIN_SECONDS:
                    return None if state.done else Fault.DIED
            if now > deadline:
                return Fault.OUT_OF_TIME
            if now - progress.since > progress.limit(self.timeouts):
                return Fault.TIMED_OUT

    @staticmethod
    def take(event: dict, size: int, progress: Progress, hand_over, state: RunState, now: float) -> str:
        """Take one event the runner sent, if it is the one the plan expects now (`hand_over(level)` writes a
        level's inputs into the sandbox); what was made of it, in words (the trace's)."""
        kind, phase = event.get(protocol.KIND), event.get(protocol.PHASE)
        index, name = event.get(protocol.INDEX), event.get(protocol.NAME)

        def hand_over_next() -> str:
            if (level := progress.next_level(now)) is None:
                return "all levels over"
            hand_over(level)
            state.handed_over = True
            return f"level {level} handed over"

        if kind == protocol.READY and progress.step[0] == "startup":
            progress.next_cell(now)
            return "runner ready; cells started"
        if kind == protocol.CELL and phase == protocol.END and type(index) is int and progress.cell_ended(index, now):
            if state.handed_over:
                return "cell over; outputs not kept: grading data was handed over before this run"
            outputs = event.get(protocol.OUTPUTS, [])
            if not isinstance(outputs, list) or state.output_bytes + size > MAX_OUTPUT_BYTES:
                event, size = {protocol.ERROR: None}, 0
            state.output_bytes += size
            state.cell_outputs[index] = {"outputs": outputs if size else [], "error": event.get(protocol.ERROR),
                                         "left_out": not size}
            return "cell over; outputs kept"
        if kind == protocol.CELLS_DONE and progress.step[0] in ("startup", "cell", "cells over"):
            return "cells over; " + hand_over_next()
        if kind == protocol.FUNCTION and phase == protocol.END and isinstance(name, str) \
                and progress.function_ended(name, now):
            state.results[name] = _decode_result(event.get(protocol.RESULT))  # taken once, final
            if progress.functions:
                return "result taken"
            return "result taken; " + hand_over_next()
        if kind == protocol.LEVEL_DONE and event.get(protocol.LEVEL) == progress.level and progress.level is not None:
            for missing in progress.functions:  # said it was done without reporting them: final, 0 points
                state.function_faults[missing] = Fault.DID_NOT_REPORT
            return "level over; " + hand_over_next()
        if kind == protocol.DONE and progress.step[0] == "finishing":
            state.done = True
            return "run over"
        return "ignored"

    def run(self, student: str, nb: nbformat.NotebookNode, inputs: list[dict]) -> RunState:
        """Run the notebook's code cells, then its functions level by level on `inputs` (see `inputs`), in the
        sandbox, restarting past faults (at most limits.restarts times, within timeouts.submission_seconds in
        all). Plain data in and out: on a cluster this runs on a Dask worker."""
        trace = Trace(student)
        names = FUNCTIONS[self.assignment]
        cells = [{"index": i, "source": c.source} for i, c in enumerate(nb.cells) if c.cell_type == "code"]
        state = RunState()
        deadline = time.monotonic() + self.timeouts.submission_seconds
        box = self._take_box()
        try:
            for level, level_inputs in enumerate(inputs):  # outside the sandbox until handed over
                checks.save_plain(box.scratch / protocol.level_file(level), level_inputs)

            def hand_over(level: int) -> None:
                name = protocol.level_file(level)
                trace({protocol.KIND: "hand over", protocol.LEVEL: level}, f"{name} written")
                _write_atomically(box.grader / name, (box.scratch / name).read_bytes())
                trace.handed(box.grader / name)

            for attempt in range(self.limits.restarts + 1):
                state.done = False
                if not state.handed_over:  # a fresh run of the cells: its outputs replace the last one's
                    state.cell_outputs, state.output_bytes = {}, 0
                final = state.final()
                levels = [(k, rest) for k, level in enumerate(inputs) if (rest := [n for n in level if n not in final])]
                if attempt:  # a fresh process and folders after a fault (no level's inputs until handed over again)
                    box.grader, box.work = self._prepare(box.scratch, box.lease.uid)
                    box.process, box.channel = self._start(box.grader, box.work, box.lease.uid, box.group)
                plan = {"cells": cells, "skip_cells": sorted(state.cell_faults), "levels": levels}
                _write_atomically(box.grader / protocol.PLAN, json.dumps(plan).encode())
                for handed in sorted(box.grader.iterdir()):
                    if handed.is_file():
                        trace.handed(handed)
                running = [cell["index"] for cell in cells if cell["index"] not in state.cell_faults]
                ended = self._attempt(box, running, levels, hand_over, state, deadline, trace)
                box.kill()
                trace({protocol.KIND: "attempt", "n": attempt},
                      f"ended: {ended or 'finished'}; {box.channel.skipped} lines skipped")
                if self._stop_after(ended, attempt, state, names):
                    break
        finally:
            self._drop_box(box)
            trace.close()
        if self.prewarm:  # start the next submission's sandbox now, while the grader judges this one
            self._warm_spare()
        return state

    def _stop_after(self, ended: Fault | None, attempt: int, state: RunState, names: list[str]) -> bool:
        """Record how an attempt ended (`ended`: its fault, None: finished) in `state`; whether to stop."""
        if ended is None:
            for name in names:
                if name not in state.final():
                    state.function_faults[name] = Fault.DID_NOT_REPORT
                    state.flags.append(f"{name}: no result was reported although the run finished")
            return True
        if ended is Fault.OUT_OF_TIME:
            state.flags.append(f"the submission used up its {self.timeouts.submission_seconds:g} s "
                               "(c.DnnkitGrade.submission_seconds); the functions not yet checked were not run")
            state.not_run(names, Fault.NOT_RUN_OUT_OF_TIME)
            return True
        kind, where = state.step
        if kind == "cell" and isinstance(where, int) and where not in state.cell_faults:
            state.cell_faults[where] = ended
            state.flags.append(f"cell {where} {ended}; the notebook was run again without it")
        elif kind == "function" and where in names and where not in state.function_faults:
            state.function_faults[where] = ended
            state.flags.append(f"{where}: the process {ended} while it ran on the grader's cases")
        else:
            state.flags.append(f"the notebook's process {ended} outside any cell or function; "
                               "the functions not yet checked could not run")
            state.not_run(names, Fault.NOT_RUN_OUTSIDE)
            return True
        if attempt == self.limits.restarts:
            state.flags.append(f"the process was started {attempt + 1} times (c.DnnkitGrade.restarts is "
                               f"{self.limits.restarts}); the functions not yet checked were not run")
            state.not_run(names, Fault.NOT_RUN_RESTARTS)
        return False
