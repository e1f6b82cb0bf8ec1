"""The supervisor: runs one submission's notebook (as intake repaired it) in the sandbox and takes what its runner
reports, in order.

The runner (runner.py) executes the notebook, then calls the graded functions level by level
(dnnkit.cases.grading_levels) on the public and hidden inputs, and reports what they return as plain data
through a pipe (channel.py), in the events of protocol.py. The supervisor accepts each report only in its phase,
hands a level's inputs over only once the levels before it are final, and restarts the runner past a hung or
dead cell or function (a bounded number of times), so functions already checked keep their result. It decides
no score: judge.py does, from the `RunState` returned here.

Time is the supervisor's alone: which cell or function is running and since when is decided here, from the
plan and from its own clock, never from what the runner says; every limit is checked after every event however
fast events arrive, and a runner that says too much (lines, bytes, events) is stopped. Cell outputs are kept
only from runs that had not yet been handed any grading data: a run after a restart could print what an earlier
one received (kernel state outlives a process), so its outputs are never shown.
"""
from __future__ import annotations

import base64
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
    functions_done: set[str] = field(default_factory=set)  # functions whose result was taken (once, final)
    results: dict[str, object] = field(default_factory=dict)  # function: decoded results (None: unreadable)
    cell_faults: dict[int, Fault] = field(default_factory=dict)
    function_faults: dict[str, Fault] = field(default_factory=dict)
    done: bool = False  # the last attempt reported the end of its plan
    step: tuple = ("startup", None)  # where the runner is: ("cell", index), ("function", name), ...
    handed_over: bool = False  # a level's inputs were given to some run: no cell output is taken from then on
    output_bytes: int = 0  # the size of the cell events kept (bounded by MAX_OUTPUT_BYTES)
    flags: list[str] = field(default_factory=list)  # what went wrong, for the instructor

    def final(self) -> set[str]:
        """The functions whose verdict can no longer change."""
        return self.functions_done | set(self.function_faults)

    def not_run(self, names, reason: Fault) -> None:
        for name in names:
            if name not in self.functions_done:
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


def _inputs_only(cases: list) -> list:
    """Cases as the sandbox gets them: arguments and the recorded helper calls sealed (checks.sealed_calls: an
    answer opens only for the call that was recorded), no expected output, no reference code."""
    return [{"name": case["name"], "args": case["args"], "calls": checks.sealed_calls(case.get("deps", {}))}
            for case in cases]


def sandbox_inputs(assignment: str, public: dict, hidden: dict) -> list[dict]:
    """One {function: {"public": cases, "hidden": cases}} per grading level, in order (`public`: already as
    _inputs_only made them): the inputs only, never an expected output, a mistake's outcome or reference code."""
    return [{name: {"public": public[name], "hidden": _inputs_only(hidden[name])} for name in level}
            for level in grading_levels(assignment)]


def _write_atomically(target: Path, data: bytes) -> None:
    """Write under a temporary name, then rename: the runner, which reads a file as soon as its name exists, never
    sees half of it."""
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
    """What the grader made of every line a runner sent, as JSON lines in $DNNKIT_GRADE_TRACE/<student>.jsonl
    when that variable names a folder (tests use it to see an attack reach its target); else nothing."""

    MAX_LINES = 20000

    def __init__(self, student: str):
        folder = os.environ.get("DNNKIT_GRADE_TRACE")
        self.handle, self.handed_to = None, None
        if folder and student:
            name = urllib.parse.quote(student, safe='')
            self.handle = open(Path(folder) / f"{name}.jsonl", "a")
            self.handed_to = Path(folder) / f"{name}.handed"  # a copy of every file handed into the sandbox
            self.handed_to.mkdir(exist_ok=True)
        self.lines = 0

    def handed(self, path: Path) -> None:
        """Keep a copy of `path`, a file just handed into the sandbox (tests read every byte a sandbox got)."""
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
    """Where one run of the runner is in its plan, and since when, by the supervisor's clock: startup, then each
    cell in order, then each function of each level in order, then finishing. A runner's event can only move it
    forward (a cell or function ended that comes later in the plan), never back or in place, so no event resets,
    extends or postpones a limit."""

    def __init__(self, cells: list[int], levels: list[tuple[int, list[str]]], now: float):
        self.cells, self.pending = list(cells), list(levels)
        self.cell_pos = 0  # the next cell expected to end
        self.level: int | None = None
        self.functions: list[str] = []  # the current level's functions not yet ended, in plan order
        self.step: tuple = ("startup", None)
        self.since = now

    def _at(self, step: tuple, now: float) -> None:
        self.step, self.since = step, now

    def started(self, now: float) -> None:
        self._at(("cell", self.cells[0]) if self.cells else ("cells over", None), now)

    def cell_ended(self, index: int, now: float) -> bool:
        """Whether `index` is a cell still to come (those before it then count as over, without outputs)."""
        if self.step[0] not in ("startup", "cell") or index not in self.cells[self.cell_pos:]:
            return False
        self.cell_pos = self.cells.index(index) + 1
        following = self.cells[self.cell_pos:]
        self._at(("cell", following[0]) if following else ("cells over", None), now)
        return True

    def cells_over(self, now: float) -> bool:
        if self.step[0] not in ("startup", "cell", "cells over"):
            return False
        self.cell_pos = len(self.cells)
        return True

    def next_level(self, now: float) -> int | None:
        """Move to the next level (None: none left, the run is finishing); its number."""
        if self.pending:
            self.level, names = self.pending.pop(0)
            self.functions = list(names)
            self._at(("function", self.functions[0]), now)
        else:
            self.level, self.functions = None, []
            self._at(("finishing", None), now)
        return self.level

    def function_ended(self, name: str, now: float) -> bool:
        """Whether `name` is a function of the current level not yet ended (taken once)."""
        if self.step[0] != "function" or name not in self.functions:
            return False
        self.functions.remove(name)
        if self.functions:
            self._at(("function", self.functions[0]), now)
        return True

    def level_over(self) -> bool:
        return not self.functions

    def limit(self, timeouts: Timeouts) -> float:
        return {"startup": timeouts.startup_seconds, "function": timeouts.function_seconds}.get(
            self.step[0], timeouts.cell_seconds)


class SandboxRun:
    """The untrusted half: runs submissions of one assignment in the sandbox and reports what came out.

    `inputs`, called on the grader's side, leaves the expected outputs there; `run` gets the notebook and those
    inputs only, so it can run on another machine (Dask) unchanged. Picklable; thread-safe (each submission gets
    its own folders and process).

    No reference code ever enters the sandbox: a graded helper that a function calls is answered from the
    case's recorded calls, sealed so that an answer opens only for the call a correct function makes on this
    student's inputs (checks.sealed_calls). The cells run with no grading data at all (their outputs, from runs
    before any hand-over, are the only ones kept), then the functions level by level; a level's inputs are
    written into the sandbox only once every function of the levels before it has its result taken (read once,
    never again) or its fault recorded. A runner that reports a phase over early only fixes its own results
    early; nothing it says hands over a level out of order."""

    def __init__(self, course: Course, assignment: str, limits: Limits, timeouts: Timeouts, sandboxed: bool):
        self.assignment = assignment
        self.limits, self.timeouts, self.sandboxed = limits, timeouts, sandboxed
        self.release = course.release(assignment)
        self.language = released_language(course, assignment)  # the visible tests in the sandbox speak it
        self.datasets = course.datasets if course.datasets.is_dir() else None
        public, _ = checks.load_plain(self.release / "public_cases.npz")
        self.public = {name: _inputs_only(cases) for name, cases in public.items()}  # no expected output
        self.prewarm = True
        self.to_start: int | None = None  # submissions not yet started (batch.py sets it): no spare beyond them
        self._lock, self._boxes, self._spares, self._warming = threading.Lock(), {}, [], 0
        leftovers.begin()

    def inputs(self, hidden_cases: dict) -> list[dict]:
        """What the sandbox gets for a submission graded on `hidden_cases` (called on the grader's side: the
        expected outputs are left here)."""
        return sandbox_inputs(self.assignment, self.public, hidden_cases)

    # -- running ------------------------------------------------------------------------------------------

    def _prepare(self, scratch: Path, uid: int) -> tuple[Path, Path]:
        """scratch/grader (read-only inside: runner, plan, then each level's inputs) and, without the sandbox
        only, scratch/work (inside the sandbox the working folder is a tmpfs)."""
        grader, work = scratch / "grader", scratch / "work"
        grader.mkdir()
        grader.chmod(0o755)
        for name in SHIPPED:
            shutil.copy(PACKAGE / name, grader / name)
        (grader / "dnn_checks.py").write_text(localized_checks(self.language))
        if not self.sandboxed:
            prepare_work_folder(work, uid)
            if self.datasets is not None:
                (scratch / "datasets").symlink_to(self.datasets)
        return grader, work

    def _start(self, grader: Path, work: Path, uid: int, group: SandboxCgroup | None = None
               ) -> tuple[subprocess.Popen, Channel]:
        """Start a runner; it loads Python, IPython and numpy, then waits for plan.json (written by `run`)."""
        inside = (GRADER, WORK, RELEASE) if self.sandboxed else (str(grader), str(work), str(self.release))
        # -B: -E ignores PYTHONDONTWRITEBYTECODE, and without the sandbox the grader folder is writable
        argv = ["python", "-E", "-s", "-B", f"{inside[0]}/runner.py", *inside]
        env = {"NBGRADER_EXECUTION": "autograde"}
        if not self.sandboxed:
            process = subprocess.Popen(unsandboxed_command(argv, self.limits), stdin=subprocess.DEVNULL,
                                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True,
                                       env={**os.environ, **env})
            return process, Channel(process.stdout)
        seccomp_fd = open_filter()
        try:
            full = command(argv, grader, self.release, self.limits, uid, seccomp_fd, env=env, datasets=self.datasets)
            full = group.wrap(full) if group is not None else full
            process = subprocess.Popen(full, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                       stderr=subprocess.DEVNULL, start_new_session=True, pass_fds=(seccomp_fd,))
        finally:
            os.close(seccomp_fd)
        return process, Channel(process.stdout)

    def _new_box(self) -> Box:
        """A fresh sandbox for one submission: its folders and a runner already loading."""
        holder = tempfile.TemporaryDirectory(prefix=leftovers.scratch_prefix(), dir=leftovers.folder())
        lease = sandbox_lease() if self.sandboxed else OwnUid()
        scratch = Path(holder.name)
        grader, work = self._prepare(scratch, lease.uid)
        group = (SandboxCgroup(self.limits.memory_bytes, self.limits.processes, leftovers.token())
                 if self._grouped() else None)
        process, channel = self._start(grader, work, lease.uid, group)
        box = Box(holder, lease, scratch, grader, work, process, channel, group)
        with self._lock:
            self._boxes[id(box)] = box
        return box

    def _restart(self, box: Box) -> None:
        """A fresh process with empty folders: nothing a previous run left can be read by the next, and no
        level's inputs are there until handed over again."""
        self._kill(box.process, box.channel)
        for item in box.grader.iterdir():
            if item.is_dir() and not item.is_symlink():  # whatever a runner without the sandbox made there
                shutil.rmtree(item)
            elif item.name not in (*SHIPPED, "dnn_checks.py"):
                item.unlink()
        shutil.rmtree(box.work, ignore_errors=True)
        if not self.sandboxed:
            prepare_work_folder(box.work, box.lease.uid)
        box.process, box.channel = self._start(box.grader, box.work, box.lease.uid, box.group)

    def _grouped(self) -> bool:
        """Whether each sandbox gets a cgroup of its own (memory and processes bounded as a whole)."""
        return self.sandboxed and cgroup.available() is None

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
        self._kill(box.process, box.channel)  # with its pid namespace: no process of that user id is left
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

    def __getstate__(self):  # sent to Dask workers: no live processes, no spares there
        state = {k: v for k, v in self.__dict__.items() if k not in ("_lock", "_boxes", "_spares", "_warming")}
        return {**state, "prewarm": False}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._lock, self._boxes, self._spares, self._warming = threading.Lock(), {}, [], 0
        leftovers.begin()

    @staticmethod
    def _kill(process: subprocess.Popen, channel: Channel | None = None) -> None:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()
        if channel is not None:
            channel.stop()

    def _attempt(self, box: Box, cells: list[int], levels: list[tuple[int, list[str]]], hand_over, state: RunState,
                 deadline: float, trace) -> Fault | None:
        """Follow one runner process until it finishes (None), dies, overruns its time or the submission's,
        or says too much (that Fault). Every event is checked: the process runs the student's code, which can
        write anything. Where the run is and since when is this loop's own account (Progress), kept by its own
        clock: an event can move it forward only, to the next step of the plan, and the time checks follow every
        event."""
        process, channel = box.process, box.channel
        progress = Progress(cells, levels, time.monotonic())
        events, died = 0, None
        while True:
            got = channel.get(timeout=0.02)
            now = time.monotonic()
            if got is not None:
                event, size = got
                events += 1
                trace(event, self.take(event, size, progress, hand_over, state, now))
            state.step = progress.step
            if channel.overflowed or events > MAX_EVENTS:
                trace({protocol.KIND: "channel"}, f"over {channel.max_total} bytes, {channel.max_lines} lines or "
                                                  f"{MAX_EVENTS} events: process killed")
                self._kill(process, channel)
                return Fault.REPORTED_TOO_MUCH
            if process.poll() is not None:
                died = died or now  # what it said before it died is still taken (its children may hold the pipe)
                if channel.drained() or now - died > DRAIN_SECONDS:
                    return None if state.done else Fault.DIED
            if now > deadline:
                self._kill(process, channel)
                return Fault.OUT_OF_TIME
            if now - progress.since > progress.limit(self.timeouts):
                self._kill(process, channel)
                return Fault.TIMED_OUT

    @staticmethod
    def take(event: dict, size: int, progress: "Progress", hand_over, state: RunState, now: float) -> str:
        """Take one event the runner sent, if it is the one the plan expects now (`hand_over(level)` writes a
        level's inputs into the sandbox); what was made of it, in words (the trace's)."""
        kind, phase = event.get(protocol.KIND), event.get(protocol.PHASE)
        index, name = event.get(protocol.INDEX), event.get(protocol.NAME)
        if kind == protocol.READY and progress.step[0] == "startup":
            progress.started(now)
            return "runner ready; cells started"
        if kind == protocol.CELL and phase == protocol.END and type(index) is int and progress.cell_ended(index, now):
            if state.handed_over:
                return "cell over; outputs not kept: grading data was handed over before this run"
            outputs = event.get(protocol.OUTPUTS, [])
            if not isinstance(outputs, list) or state.output_bytes + size > MAX_OUTPUT_BYTES:
                event = {protocol.ERROR: None}
                size = 0
            state.output_bytes += size
            state.cell_outputs[index] = {"outputs": outputs if size else [], "error": event.get(protocol.ERROR),
                                         "left_out": not size}
            return "cell over; outputs kept"
        if kind == protocol.CELLS_DONE and progress.cells_over(now):
            level = progress.next_level(now)
            if level is not None:
                hand_over(level)
                state.handed_over = True
            return f"cells over; level {level} handed over"
        if kind == protocol.FUNCTION and phase == protocol.END and isinstance(name, str) \
                and progress.function_ended(name, now):
            state.results[name] = _decode_result(event.get(protocol.RESULT))  # taken once, final
            state.functions_done.add(name)
            taken = "result taken"
            if progress.level_over():
                level = progress.next_level(now)
                if level is not None:
                    hand_over(level)
                taken += f"; level {level} handed over" if level is not None else "; all levels over"
            return taken
        if kind == protocol.LEVEL_DONE and event.get(protocol.LEVEL) == progress.level and progress.level is not None:
            for missing in progress.functions:  # said it was done without reporting them: final, 0 points
                state.function_faults[missing] = Fault.DID_NOT_REPORT
            level = progress.next_level(now)
            if level is not None:
                hand_over(level)
            return f"level over; level {level} handed over" if level is not None else "level over; all levels over"
        if kind == protocol.DONE and progress.step[0] == "finishing":
            state.done = True
            return "run over"
        return "ignored"

    def run(self, student: str, nb: nbformat.NotebookNode, inputs: list[dict]) -> RunState:
        """Run the notebook's code cells, then its functions level by level on `inputs` (see `inputs`),
        in the sandbox, restarting past faults (at most limits.restarts times, within timeouts.submission_seconds
        in all). Plain data in and out: on a cluster this runs on a Dask worker."""
        trace = Trace(student)
        names = FUNCTIONS[self.assignment]
        cells = [{"index": i, "source": c.source} for i, c in enumerate(nb.cells) if c.cell_type == "code"]
        state = RunState()
        flags = state.flags
        deadline = time.monotonic() + self.timeouts.submission_seconds
        box = self._take_box()
        grader, scratch = box.grader, box.scratch
        try:
            for level, level_inputs in enumerate(inputs):  # outside the sandbox until handed over
                checks.save_plain(scratch / protocol.level_file(level), level_inputs)

            def hand_over(level: int) -> None:
                name = protocol.level_file(level)
                trace({protocol.KIND: "hand over", protocol.LEVEL: level}, f"{name} written")
                _write_atomically(grader / name, (scratch / name).read_bytes())
                trace.handed(grader / name)

            for attempt in range(self.limits.restarts + 1):
                state.done = False
                if not state.handed_over:  # a fresh run of the cells: its outputs replace the last one's
                    state.cell_outputs, state.output_bytes = {}, 0
                final = state.final()
                levels = [(k, [n for n in level if n not in final]) for k, level in enumerate(inputs)]
                levels = [(k, remaining) for k, remaining in levels if remaining]
                plan = {"cells": cells, "skip_cells": sorted(state.cell_faults), "levels": levels}
                if attempt:  # a fresh process and folders after a fault; the first process was started warm
                    self._restart(box)
                _write_atomically(grader / protocol.PLAN, json.dumps(plan).encode())
                for handed in sorted(grader.iterdir()):
                    if handed.is_file():
                        trace.handed(handed)
                running = [cell["index"] for cell in cells if cell["index"] not in state.cell_faults]
                ended = self._attempt(box, running, levels, hand_over, state, deadline, trace)
                trace({protocol.KIND: "attempt", "n": attempt},
                      f"ended: {ended or 'finished'}; {box.channel.skipped} lines skipped")
                self._kill(box.process, box.channel)
                if ended is None:
                    for name in names:
                        if name not in state.final():
                            state.function_faults[name] = Fault.DID_NOT_REPORT
                            flags.append(f"{name}: no result was reported although the run finished")
                    break
                kind, where = state.step
                if ended is Fault.OUT_OF_TIME:
                    flags.append(f"the submission used up its {self.timeouts.submission_seconds:g} s "
                                 "(c.DnnkitGrade.submission_seconds); the functions not yet checked were not run")
                    state.not_run(names, Fault.NOT_RUN_OUT_OF_TIME)
                    break
                if kind == "cell" and isinstance(where, int) and where not in state.cell_faults:
                    state.cell_faults[where] = ended
                    flags.append(f"cell {where} {ended}; the notebook was run again without it")
                elif kind == "function" and where in names and where not in state.function_faults:
                    state.function_faults[where] = ended
                    flags.append(f"{where}: the process {ended} while it ran on the grader's cases")
                else:
                    flags.append(f"the notebook's process {ended} outside any cell or function; "
                                 "the functions not yet checked could not run")
                    state.not_run(names, ended)
                    break
                if attempt == self.limits.restarts:
                    flags.append(f"the process was started {attempt + 1} times (c.DnnkitGrade.restarts is "
                                 f"{self.limits.restarts}); the functions not yet checked were not run")
                    state.not_run(names, Fault.NOT_RUN_RESTARTS)
        finally:
            self._drop_box(box)
            trace.close()
        if self.prewarm:  # start the next submission's sandbox now, while the grader judges this one
            self._warm_spare()
        return state
