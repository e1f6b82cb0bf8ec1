"""The supervisor: runs one submission's runner in the sandbox and takes what it reports, in order.

The runner (runner.py) executes the notebook, then calls the graded functions level by level
(dnnkit.cases.grading_levels) on the public and hidden inputs, and reports what they return as plain data
through a pipe (channel.py). The supervisor accepts each report only in its phase, hands a level's inputs over
only once the levels before it are final, and restarts the runner past a hung or dead cell or function (a
bounded number of times), so functions already checked keep their result. It decides no score: judge.py does,
from the `Outcome` returned here.
"""
from __future__ import annotations

import base64
import io
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.parse
import zipfile
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import nbformat

from .. import checks
from ..cases import FUNCTIONS
from ..course import Course
from ..shipped import localized_checks, released_language
from . import cgroup, leftovers
from .cgroup import SandboxCgroup
from .channel import Channel
from .intake import take_in
from .records import Status, Verdict
from .released import known_versions
from .sandbox import GRADER, RELEASE, WORK, Limits, OwnUid, UidLease, command, prepare_work_folder, unsandboxed_command
from .settings import Timeouts
from .syscalls import open_filter

PACKAGE = Path(__file__).resolve().parent
MAX_RESULT_BYTES = 64 * 1024**2


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
    cell_outputs: dict[int, dict] = field(default_factory=dict)  # cell index: its "cell end" event
    functions_done: set[str] = field(default_factory=set)  # functions whose result was taken (once, final)
    results: dict[str, object] = field(default_factory=dict)  # function: decoded results (None: unreadable)
    cell_faults: dict[int, Fault] = field(default_factory=dict)
    function_faults: dict[str, Fault] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=lambda: {"kernel_start": 0.0, "execution": 0.0})
    done: bool = False  # the last attempt reported the end of its plan
    step: tuple = ("startup", None)  # where the runner is: ("cell", index), ("function", name), ...
    first_event: float | None = None

    def final(self) -> set[str]:
        """The functions whose verdict can no longer change."""
        return self.functions_done | set(self.function_faults)

    def not_run(self, names, reason: Fault) -> None:
        for name in names:
            if name not in self.functions_done:
                self.function_faults.setdefault(name, reason)


@dataclass
class Outcome:
    """What a SandboxRun hands the judge for one submission (plain data: it may come back from Dask)."""
    student: str
    status: Status
    flags: list[str]
    notebook: nbformat.NotebookNode | None  # the notebook that ran (as intake repaired it), or None
    state: RunState | None = None  # None when nothing could run


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


def _decode_result(text):
    """A function's results as the runner reported them (base64 of a save_plain file), or None if they are not
    a string, too large, or not plain data."""
    if not isinstance(text, str) or len(text) > MAX_RESULT_BYTES * 4 // 3 + 4:
        return None
    try:
        data = base64.b64decode(text, validate=True)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:  # refuse zip bombs before numpy expands anything
            if sum(info.file_size for info in archive.infolist()) > MAX_RESULT_BYTES:
                return None
        value, _ = checks.load_plain(io.BytesIO(data))
        return value
    except (Exception, RecursionError):
        return None


class Trace:
    """What the grader made of every line a runner sent, as JSON lines in $DNNKIT_GRADE_TRACE/<student>.jsonl
    when that variable names a folder (tests use it to see an attack reach its target); else nothing."""

    MAX_LINES = 20000

    def __init__(self, student: str):
        folder = os.environ.get("DNNKIT_GRADE_TRACE")
        self.handle = None
        if folder and student:
            self.handle = open(Path(folder) / f"{urllib.parse.quote(student, safe='')}.jsonl", "a")
        self.lines = 0

    def __call__(self, event: dict, taken: str) -> None:
        if self.handle is None or self.lines >= self.MAX_LINES:
            return
        self.lines += 1
        shown = {k: (v if isinstance(v, (int, float, bool)) or v is None else str(v)[:300])
                 for k, v in list(event.items())[:8] if k not in ("result", "outputs")}
        self.handle.write(json.dumps({"event": shown, "taken": taken}) + "\n")

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()


class SandboxRun:
    """The untrusted half: runs submissions of one assignment in the sandbox and reports what came out.

    Gets each submission's inputs but never the expected outputs, so it can run on another machine (Dask)
    unchanged. Picklable; thread-safe (each submission gets its own folders and process).

    The order it keeps is what makes the reference code safe to hand over: the cells run with no grading data
    at all (their outputs are the only ones kept), then the functions level by level, and a level's inputs and
    the reference code of its helpers are written into the sandbox only once every function of the levels
    before it has its result taken (read once, never again) or its fault recorded. A runner that reports a
    phase over early only fixes its own results early; nothing it says hands over a level out of order."""

    def __init__(self, course: Course, assignment: str, limits: Limits, timeouts: Timeouts, sandboxed: bool):
        self.assignment = assignment
        self.limits, self.timeouts, self.sandboxed = limits, timeouts, sandboxed
        self.release = course.release(assignment)
        self.language = released_language(course, assignment)  # the visible tests in the sandbox speak it
        self.datasets = course.datasets if course.datasets.is_dir() else None
        self.master = nbformat.read(course.notebook(assignment, "release"), as_version=4)
        self.released = known_versions(course.root, assignment, self.master)  # every released cell version
        self.prewarm = True
        self._local, self._lock, self._boxes = threading.local(), threading.Lock(), {}
        leftovers.begin()

    def execute(self, student: str, folder: Path, inputs: list[dict]) -> Outcome:
        """Intake and sandboxed run of one submission on its `inputs` (see sandbox_inputs): plain data for
        Grader.finish."""
        intake = take_in(Path(folder), self.assignment, self.master, self.released)
        outcome = Outcome(student, intake.status, list(intake.flags), intake.notebook)
        if intake.notebook is not None:
            outcome.state, run_flags = self.run(intake.notebook, inputs, student)
            outcome.flags += run_flags
        return outcome

    # -- running ------------------------------------------------------------------------------------------

    def _prepare(self, scratch: Path, uid: int) -> tuple[Path, Path]:
        """scratch/grader (read-only inside: runner, plan, then each level's inputs) and, without the sandbox
        only, scratch/work (inside the sandbox the working folder is a tmpfs)."""
        grader, work = scratch / "grader", scratch / "work"
        grader.mkdir()
        grader.chmod(0o755)
        shutil.copy(PACKAGE / "runner.py", grader / "runner.py")
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

    @staticmethod
    def _write_atomically(source: Path, target: Path) -> None:
        """Copy `source` into the read-only folder under a temporary name, then rename: the runner, which starts
        reading as soon as the name exists, never sees half a file."""
        shutil.copy(source, target.with_suffix(".tmp"))
        os.replace(target.with_suffix(".tmp"), target)

    def _new_box(self) -> Box:
        """A fresh sandbox for one submission: its folders and a runner already loading."""
        holder = tempfile.TemporaryDirectory(prefix=leftovers.scratch_prefix())
        lease = UidLease() if self.sandboxed else OwnUid()
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
        self._kill(box.process)
        for item in box.grader.iterdir():
            if item.is_dir() and not item.is_symlink():  # whatever a runner without the sandbox made there
                shutil.rmtree(item)
            elif item.name not in ("runner.py", "dnn_checks.py"):
                item.unlink()
        shutil.rmtree(box.work, ignore_errors=True)
        if not self.sandboxed:
            prepare_work_folder(box.work, box.lease.uid)
        box.process, box.channel = self._start(box.grader, box.work, box.lease.uid, box.group)

    def _grouped(self) -> bool:
        """Whether each sandbox gets a cgroup of its own (memory and processes bounded as a whole)."""
        return self.sandboxed and cgroup.available() is None

    def _take_box(self) -> Box:
        """This thread's warm spare sandbox if it has one (never shared between students), else a new one."""
        box = getattr(self._local, "spare", None)
        self._local.spare = None
        return box or self._new_box()

    def _drop_box(self, box: Box) -> None:
        self._kill(box.process)  # with its pid namespace: no process of that user id is left
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
        state = {k: v for k, v in self.__dict__.items() if k not in ("_local", "_lock", "_boxes")}
        return {**state, "prewarm": False}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._local, self._lock, self._boxes = threading.local(), threading.Lock(), {}
        leftovers.begin()

    @staticmethod
    def _kill(process: subprocess.Popen) -> None:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()

    def _attempt(self, box: Box, levels: list[tuple[int, list[str]]], hand_over, state: RunState,
                 deadline: float, trace) -> Fault | None:
        """Follow one runner process until it finishes (None), dies, overruns its time or the submission's,
        or says too much (that Fault). Every event is checked: the process runs the student's code, which can
        write anything."""
        process, channel = box.process, box.channel
        pending = list(levels)  # levels not handed over yet, in order
        current: list[str] | None = None  # the functions of the level handed over and not yet final
        current_level = None
        step, started, cells_done = ("startup", None), time.monotonic(), False

        def next_level():
            nonlocal current, current_level
            if pending:
                current_level, names = pending.pop(0)
                current = list(names)
                hand_over(current_level)
            else:
                current = current_level = None

        while True:
            event = channel.get(timeout=0.02)
            now = time.monotonic()
            if event is not None:
                state.first_event = state.first_event or now  # the runner is up: Python, IPython and numpy loaded
                kind, phase, index, name = event.get("e"), event.get("phase"), event.get("i"), event.get("name")
                taken = "ignored"
                if kind == "cell" and not cells_done and type(index) is int:  # none after cells_done
                    if phase == "start":
                        step, started, taken = ("cell", index), now, "cell started"
                    elif phase == "end" and isinstance(event.get("outputs", []), list):
                        state.cell_outputs[index] = event
                        step, started, taken = ("between", None), now, "cell outputs kept"
                elif kind == "cells_done" and not cells_done:
                    cells_done = True
                    next_level()
                    step, started, taken = ("between", None), now, f"cells over; level {current_level} handed over"
                elif kind == "function" and current is not None and isinstance(name, str) and name in current:
                    if phase == "start":
                        step, started, taken = ("function", name), now, "function started"
                    elif phase == "end":
                        state.results[name] = _decode_result(event.get("result"))  # taken once, final
                        state.functions_done.add(name)
                        current.remove(name)
                        step, started, taken = ("between", None), now, "result taken"
                        if not current:
                            next_level()
                            taken += f"; level {current_level} handed over" if current else "; all levels over"
                elif kind == "level_done" and current is not None and event.get("level") == current_level:
                    for missing in current:  # said it was done without reporting them: final, 0 points
                        state.function_faults[missing] = Fault.DID_NOT_REPORT
                    next_level()
                    taken = f"level over; level {current_level} handed over" if current else "all levels over"
                elif kind == "done" and cells_done and current is None and not pending:
                    state.done, taken = True, "run over"
                trace(event, taken)
                continue
            state.step = step
            if channel.overflowed:
                trace({"e": "channel"}, f"over {channel.max_total} bytes: process killed")
                self._kill(process)
                return Fault.REPORTED_TOO_MUCH
            if process.poll() is not None and (channel.drained() or now - started > 1.0):
                return None if state.done else Fault.DIED
            if now > deadline:
                self._kill(process)
                return Fault.OUT_OF_TIME
            limit = {"cell": self.timeouts.cell_seconds, "function": self.timeouts.function_seconds}.get(
                step[0], self.timeouts.startup_seconds)
            if now - started > limit:
                self._kill(process)
                return Fault.TIMED_OUT

    def run(self, nb: nbformat.NotebookNode, inputs: list[dict], student: str = "") -> tuple[RunState, list[str]]:
        """Run the notebook's code cells, then its functions level by level on `inputs`, in the sandbox,
        restarting past faults (at most limits.restarts times, within timeouts.submission_seconds in all)."""
        trace = Trace(student)
        names = FUNCTIONS[self.assignment]
        cells = [{"index": i, "source": c.source} for i, c in enumerate(nb.cells) if c.cell_type == "code"]
        state = RunState()
        flags: list[str] = []
        deadline = time.monotonic() + self.timeouts.submission_seconds
        box = self._take_box()
        grader, scratch = box.grader, box.scratch
        try:
            for level, level_inputs in enumerate(inputs):  # outside the sandbox until handed over
                checks.save_plain(scratch / f"level-{level}.npz", level_inputs)

            def hand_over(level: int) -> None:
                trace({"e": "hand over", "level": level}, f"level-{level}.npz written")
                self._write_atomically(scratch / f"level-{level}.npz", grader / f"level-{level}.npz")

            for attempt in range(self.limits.restarts + 1):
                state.done, state.cell_outputs = False, {}
                final = state.final()
                levels = [(k, [n for n in level if n not in final]) for k, level in enumerate(inputs)]
                levels = [(k, remaining) for k, remaining in levels if remaining]
                plan = {"cells": cells, "skip_cells": sorted(state.cell_faults), "levels": levels,
                        "line_chars": self.limits.output_line_chars, "cell_chars": self.limits.output_cell_chars}
                launched = time.monotonic()
                if attempt:  # a fresh process and folders after a fault; the first process was started warm
                    self._restart(box)
                (grader / "plan.tmp").write_text(json.dumps(plan))
                os.replace(grader / "plan.tmp", grader / "plan.json")
                ended = self._attempt(box, levels, hand_over, state, deadline, trace)
                trace({"e": "attempt", "n": attempt}, f"ended: {ended or 'finished'}; {box.channel.skipped} lines not JSON objects")
                first, state.first_event = state.first_event, None
                state.timings["kernel_start"] += (first or time.monotonic()) - launched
                state.timings["execution"] += time.monotonic() - (first or time.monotonic())
                self._kill(box.process)
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
            self._local.spare = self._new_box()
        return state, flags
