"""Grading one submission: run it in the sandbox, then decide every score outside it.

The sandboxed runner (dnnkit/runner.py) executes the notebook, then calls the graded functions level by level
(dnnkit.cases.grading_levels) on the public and hidden inputs, and reports what they return as plain data
through a pipe (dnnkit.channel). Here, in the trusted process, those results are loaded with
allow_pickle=False, compared with the reference outputs (dnnkit.checks, the code students' visible tests use)
and turned into scores. A hung or dead process costs the cell or function it was in; the runner is then
started again without it (a bounded number of times), so functions already checked keep their result.
"""
from __future__ import annotations

import base64
import builtins
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from . import cgroup, checks
from .cgroup import SandboxCgroup
from .cases import DEPENDENCIES, FUNCTIONS, grading_levels
from .channel import Channel
from .course import Course
from .intake import take_in
from .solutions import reference_answers
from .sandbox import GRADER, RELEASE, WORK, Limits, UidLease, command, prepare_work_folder, unsandboxed_command
from .syscalls import open_filter

PACKAGE = Path(__file__).resolve().parent
MAX_RESULT_BYTES = 64 * 1024**2
NOTEBOOK_OUTPUT_BYTES = 1536 * 1024  # all outputs kept in one autograded notebook


@dataclass(frozen=True)
class Timeouts:
    cell_seconds: float = 10.0
    function_seconds: float = 20.0
    startup_seconds: float = 60.0
    submission_seconds: float = 180.0  # everything one submission may take, restarts included


@dataclass
class FunctionResult:
    name: str
    score: float = 0.0
    max_score: float = 10.0
    verdict: str = "not run"  # passed / failed / not run / timed out / crashed
    message: str = ""
    visible_passed: bool | None = None  # did its visible test cell pass inside the notebook?
    public_passed: bool = False  # do the same public cases pass when checked outside?
    diagnosis: dict | None = None  # the catalogued mistake its answers match: {"mistake", "says", "fix"}

    @property
    def feedback(self) -> str:
        """The verdict line, then the diagnosis and its fix when a catalogued mistake matched."""
        advice = checks.diagnosis_text(self.diagnosis)
        return self.message + ("\n" + advice if advice else "")


@dataclass
class SubmissionResult:
    student: str
    assignment: str
    status: str = "graded"
    flags: list[str] = field(default_factory=list)
    functions: dict[str, FunctionResult] = field(default_factory=dict)
    notebook: nbformat.NotebookNode | None = None

    @property
    def score(self) -> float:
        return sum(f.score for f in self.functions.values())

    @property
    def max_score(self) -> float:
        return sum(f.max_score for f in self.functions.values())


def _inputs_only(cases: list) -> list:
    """Cases as the sandbox gets them: arguments, no expected output and no recorded helper results."""
    return [{"name": case["name"], "args": case["args"]} for case in cases]


def _helpers_needed(name: str) -> list[str]:
    """The graded helpers `name` calls, with the ones they call in turn."""
    needed: list[str] = []
    for helper in DEPENDENCIES.get(name, ()):
        needed += [h for h in [*_helpers_needed(helper), helper] if h not in needed]
    return needed


def reference_helpers(course: Course, assignment: str) -> dict:
    """{function: {"names", "code"}} for the functions of `assignment` that call other graded functions: the
    reference code of those, so that a bug in one costs only its points. They sit on earlier grading levels
    (dnnkit.cases.grading_levels): the sandbox gets this code only once their verdicts are final."""
    answers = reference_answers(course, "step_by_step")
    activations = (course.source("step_by_step") / "activations.py").read_text()
    given = [activations, (course.source("step_by_step") / "param_vectors.py").read_text()]
    helpers = {}
    for name in FUNCTIONS[assignment]:
        needed = _helpers_needed(name)
        if needed:
            helpers[name] = {"names": needed, "code": "\n\n".join(given + [answers[h] for h in needed])}
    return helpers


def sandbox_inputs(assignment: str, public: dict, hidden: dict, helpers: dict) -> list[dict]:
    """One {function: {"public": cases, "hidden": cases, "helpers": {"names", "code"}}} per grading level, in
    order: the inputs only, never an expected output or a mistake's outcome."""
    levels = []
    for level in grading_levels(assignment):
        inputs = {}
        for name in level:
            inputs[name] = {"public": _inputs_only(public[name]), "hidden": _inputs_only(hidden[name])}
            if name in helpers:
                inputs[name]["helpers"] = helpers[name]
        levels.append(inputs)
    return levels


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
        self.datasets = course.datasets if course.datasets.is_dir() else None
        self.master = nbformat.read(course.notebook(assignment, "release"), as_version=4)
        self.prewarm = True
        self._local, self._lock, self._boxes = threading.local(), threading.Lock(), {}

    def execute(self, student: str, folder: Path, inputs: list[dict]) -> dict:
        """Intake and sandboxed run of one submission on its `inputs` (see sandbox_inputs): plain data for
        Grader.finish."""
        intake = take_in(Path(folder), self.assignment, self.master)
        outcome = {"student": student, "flags": list(intake.flags), "status": intake.status,
                   "notebook": intake.notebook, "state": None}
        if intake.notebook is not None:
            state, run_flags = self.run(intake.notebook, inputs, student)
            outcome["state"], outcome["flags"] = state, outcome["flags"] + run_flags
        return outcome

    # -- running ------------------------------------------------------------------------------------------

    def _prepare(self, scratch: Path, uid: int) -> tuple[Path, Path]:
        """scratch/grader (read-only inside: runner, plan, then each level's inputs) and, without the sandbox
        only, scratch/work (inside the sandbox the working folder is a tmpfs)."""
        grader, work = scratch / "grader", scratch / "work"
        grader.mkdir()
        grader.chmod(0o755)
        shutil.copy(PACKAGE / "runner.py", grader / "runner.py")
        shutil.copy(PACKAGE / "checks.py", grader / "dnn_checks.py")
        if not self.sandboxed:
            prepare_work_folder(work, uid)
            if self.datasets is not None:
                (scratch / "datasets").symlink_to(self.datasets)
        return grader, work

    def _start(self, grader: Path, work: Path, uid: int, group: SandboxCgroup | None = None
               ) -> tuple[subprocess.Popen, Channel]:
        """Start a runner; it loads Python, IPython and numpy, then waits for plan.json (written by `run`)."""
        inside = (GRADER, WORK, RELEASE) if self.sandboxed else (str(grader), str(work), str(self.release))
        argv = ["python", "-E", "-s", f"{inside[0]}/runner.py", *inside]
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

    def _new_box(self) -> dict:
        """A fresh sandbox for one submission: its folders and a runner already loading."""
        holder = tempfile.TemporaryDirectory(prefix="dnnkit-grade-")
        lease = UidLease()
        scratch = Path(holder.name)
        grader, work = self._prepare(scratch, lease.uid)
        group = SandboxCgroup(self.limits.memory_bytes, self.limits.processes) if self._grouped() else None
        process, channel = self._start(grader, work, lease.uid, group)
        box = {"holder": holder, "lease": lease, "scratch": scratch, "grader": grader, "work": work,
               "process": process, "channel": channel, "group": group}
        with self._lock:
            self._boxes[id(box)] = box
        return box

    def _restart(self, box: dict) -> None:
        """A fresh process with empty folders: nothing a previous run left can be read by the next, and no
        level's inputs are there until handed over again."""
        self._kill(box["process"])
        for item in box["grader"].iterdir():
            if item.name not in ("runner.py", "dnn_checks.py"):
                item.unlink()
        shutil.rmtree(box["work"], ignore_errors=True)
        if not self.sandboxed:
            prepare_work_folder(box["work"], box["lease"].uid)
        box["process"], box["channel"] = self._start(box["grader"], box["work"], box["lease"].uid, box["group"])

    def _grouped(self) -> bool:
        """Whether each sandbox gets a cgroup of its own (memory and processes bounded as a whole)."""
        return self.sandboxed and cgroup.available() is None

    def _take_box(self) -> dict:
        """This thread's warm spare sandbox if it has one (never shared between students), else a new one."""
        box = getattr(self._local, "spare", None)
        self._local.spare = None
        return box or self._new_box()

    def _drop_box(self, box: dict) -> None:
        self._kill(box["process"])  # with its pid namespace: no process of that user id is left
        if box["group"] is not None:
            box["group"].remove()
        box["holder"].cleanup()
        box["lease"].release()
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

    @staticmethod
    def _kill(process: subprocess.Popen) -> None:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()

    def _attempt(self, box: dict, levels: list[tuple[int, list[str]]], hand_over, state: dict,
                 deadline: float, trace) -> str:
        """Follow one runner process until it finishes, dies, overruns its time or says too much.

        Returns "finished", "died", "timed out", "ran out of time" (the submission's total) or "reported too
        much". Every event is checked: the process runs the student's code, which can write anything."""
        process, channel = box["process"], box["channel"]
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
                state.setdefault("first_event", now)  # the runner is up: Python, IPython and numpy loaded
                kind, phase, index, name = event.get("e"), event.get("phase"), event.get("i"), event.get("name")
                taken = "ignored"
                if kind == "cell" and not cells_done and type(index) is int:  # none after cells_done
                    if phase == "start":
                        step, started, taken = ("cell", index), now, "cell started"
                    elif phase == "end" and isinstance(event.get("outputs", []), list):
                        state["cell_outputs"][index] = event
                        step, started, taken = ("between", None), now, "cell outputs kept"
                elif kind == "cells_done" and not cells_done:
                    cells_done = True
                    next_level()
                    step, started, taken = ("between", None), now, f"cells over; level {current_level} handed over"
                elif kind == "function" and current is not None and isinstance(name, str) and name in current:
                    if phase == "start":
                        step, started, taken = ("function", name), now, "function started"
                    elif phase == "end":
                        state["results"][name] = _decode_result(event.get("result"))  # taken once, final
                        state["functions_done"].add(name)
                        current.remove(name)
                        step, started, taken = ("between", None), now, "result taken"
                        if not current:
                            next_level()
                            taken += f"; level {current_level} handed over" if current else "; all levels over"
                elif kind == "level_done" and current is not None and event.get("level") == current_level:
                    for missing in current:  # said it was done without reporting them: final, 0 points
                        state["function_faults"][missing] = "did not report"
                    next_level()
                    taken = f"level over; level {current_level} handed over" if current else "all levels over"
                elif kind == "done" and cells_done and current is None and not pending:
                    state["done"], taken = True, "run over"
                trace(event, taken)
                continue
            state["step"] = step
            if channel.overflowed:
                trace({"e": "channel"}, f"over {channel.max_total} bytes: process killed")
                self._kill(process)
                return "reported too much"
            if process.poll() is not None and (channel.drained() or now - started > 1.0):
                return "finished" if state.get("done") else "died"
            if now > deadline:
                self._kill(process)
                return "ran out of time"
            limit = {"cell": self.timeouts.cell_seconds, "function": self.timeouts.function_seconds}.get(
                step[0], self.timeouts.startup_seconds)
            if now - started > limit:
                self._kill(process)
                return "timed out"

    def run(self, nb: nbformat.NotebookNode, inputs: list[dict], student: str = "") -> tuple[dict, list[str]]:
        """Run the notebook's code cells, then its functions level by level on `inputs`, in the sandbox,
        restarting past faults (at most limits.restarts times, within timeouts.submission_seconds in all)."""
        trace = Trace(student)
        names = FUNCTIONS[self.assignment]
        cells = [{"index": i, "source": c.source} for i, c in enumerate(nb.cells) if c.cell_type == "code"]
        state = {"cell_outputs": {}, "functions_done": set(), "cell_faults": {}, "function_faults": {},
                 "results": {}, "timings": {"kernel_start": 0.0, "execution": 0.0}}
        flags: list[str] = []
        deadline = time.monotonic() + self.timeouts.submission_seconds
        box = self._take_box()
        grader, scratch = box["grader"], box["scratch"]
        try:
            for level, level_inputs in enumerate(inputs):  # outside the sandbox until handed over
                checks.save_plain(scratch / f"level-{level}.npz", level_inputs)

            def hand_over(level: int) -> None:
                trace({"e": "hand over", "level": level}, f"level-{level}.npz written")
                self._write_atomically(scratch / f"level-{level}.npz", grader / f"level-{level}.npz")

            for attempt in range(self.limits.restarts + 1):
                state["done"], state["cell_outputs"] = False, {}
                final = state["functions_done"] | set(state["function_faults"])
                levels = [(k, [n for n in level if n not in final]) for k, level in enumerate(inputs)]
                levels = [(k, remaining) for k, remaining in levels if remaining]
                plan = {"cells": cells, "skip_cells": sorted(state["cell_faults"]), "levels": levels}
                launched = time.monotonic()
                if attempt:  # a fresh process and folders after a fault; the first process was started warm
                    self._restart(box)
                (grader / "plan.tmp").write_text(json.dumps(plan))
                os.replace(grader / "plan.tmp", grader / "plan.json")
                ended = self._attempt(box, levels, hand_over, state, deadline, trace)
                trace({"e": "attempt", "n": attempt}, f"ended: {ended}; {box['channel'].skipped} lines not JSON objects")
                first = state.pop("first_event", None)
                state["timings"]["kernel_start"] += (first or time.monotonic()) - launched
                state["timings"]["execution"] += time.monotonic() - (first or time.monotonic())
                self._kill(box["process"])
                if ended == "finished":
                    for name in names:
                        if name not in state["functions_done"] and name not in state["function_faults"]:
                            state["function_faults"][name] = "did not report"
                            flags.append(f"{name}: no result was reported although the run finished")
                    break
                kind, where = state["step"]
                if ended == "ran out of time":
                    flags.append(f"the submission used up its {self.timeouts.submission_seconds:g} s "
                                 "(c.DnnkitGrade.submission_seconds); the functions not yet checked were not run")
                    self._not_run(state, names, "not run: the submission's time was used up")
                    break
                if kind == "cell" and isinstance(where, int) and where not in state["cell_faults"]:
                    state["cell_faults"][where] = ended
                    flags.append(f"cell {where} {ended}; the notebook was run again without it")
                elif kind == "function" and where in names and where not in state["function_faults"]:
                    state["function_faults"][where] = ended
                    flags.append(f"{where}: the process {ended} while it ran on the grader's cases")
                else:
                    flags.append(f"the notebook's process {ended} outside any cell or function; "
                                 "the functions not yet checked could not run")
                    self._not_run(state, names, ended)
                    break
                if attempt == self.limits.restarts:
                    flags.append(f"the process was started {attempt + 1} times (c.DnnkitGrade.restarts is "
                                 f"{self.limits.restarts}); the functions not yet checked were not run")
                    self._not_run(state, names, "not run: too many restarts")
        finally:
            self._drop_box(box)
            trace.close()
        if self.prewarm:  # start the next submission's sandbox now, while the grader judges this one
            self._local.spare = self._new_box()
        return state, flags

    @staticmethod
    def _not_run(state: dict, names, reason: str) -> None:
        for name in names:
            if name not in state["functions_done"]:
                state["function_faults"].setdefault(name, reason)


class Grader:
    """The trusted half: decides the scores from what a SandboxRun reported, outside the sandbox."""

    def __init__(self, course: Course, assignment: str, limits: Limits = Limits(), timeouts: Timeouts = Timeouts(),
                 sandboxed: bool = True, points: float = 10.0):
        self.assignment, self.limits, self.points = assignment, limits, points
        self.public, _ = checks.load_plain(course.release(assignment) / "public_cases.npz")
        self.helpers = reference_helpers(course, assignment)
        self.runner = SandboxRun(course, assignment, limits, timeouts, sandboxed)

    def inputs(self, hidden_cases: dict) -> dict:
        """What the sandbox gets for a submission graded on `hidden_cases`."""
        return sandbox_inputs(self.assignment, self.public, hidden_cases, self.helpers)

    def judge(self, name: str, results, hidden_cases: dict) -> FunctionResult:
        """Compare one function's returned values with the reference outputs: the grade, and the catalogued
        mistake its answers match."""
        verdict = FunctionResult(name, max_score=self.points)
        if not isinstance(results, dict) or set(results) != {"public", "hidden"}:
            verdict.verdict, verdict.message = "failed", "its results could not be read"
            return verdict
        all_cases, outcomes, failure = [], [], None
        for group, expected_cases in (("public", self.public[name]), ("hidden", hidden_cases[name])):
            got_cases = results[group]
            if not isinstance(got_cases, list) or len(got_cases) != len(expected_cases):
                verdict.verdict, verdict.message = "failed", f"{name}: {group} results incomplete"
                return verdict
            for case, got in zip(expected_cases, got_cases):
                label = f"{group} case '{case['name']}'" if group == "public" else f"hidden case '{case['name']}'"
                all_cases.append(case)
                if not isinstance(got, dict) or got.get("ok") is not True:
                    error = str(got.get("error", "")) if isinstance(got, dict) else ""
                    outcomes.append({"raises": error})
                    kind = error.split(":")[0]
                    # only a built-in exception's name: the message, and a class the student named, are theirs
                    builtin = getattr(builtins, kind, None)
                    kind = kind if isinstance(builtin, type) and issubclass(builtin, BaseException) else "an exception"
                    if kind == "NotImplementedError":
                        verdict.verdict = "failed"
                        verdict.message = f"{name}: not implemented (still raises NotImplementedError)"
                        return verdict
                    failure = failure or f"{name}: {label}: raised {kind}"
                    continue
                outcomes.append({"value": got.get("value")})
                # no values in the verdict: it reaches the feedback, and a value could carry hidden inputs out
                problems = checks.compare(got.get("value"), case["expected"], name, reveal=False)
                if problems and failure is None:
                    failure = checks.report(name, case["name"], problems).replace(f"case '{case['name']}'", label, 1)
            if group == "public":
                verdict.public_passed = failure is None
        if failure is not None:
            verdict.verdict, verdict.message = "failed", failure
            verdict.diagnosis = checks.diagnose(name, all_cases, outcomes)
            return verdict
        verdict.score, verdict.verdict, verdict.public_passed = self.points, "passed", True
        verdict.message = f"{name}: all public and hidden cases pass"
        return verdict

    def finish(self, outcome: dict, hidden_cases: dict) -> SubmissionResult:
        """The grade of one submission from its SandboxRun outcome and the hidden cases it ran on."""
        result = SubmissionResult(outcome["student"], self.assignment, flags=list(outcome["flags"]))
        names = FUNCTIONS[self.assignment]
        result.functions = {n: FunctionResult(n, max_score=self.points) for n in names}
        nb, state = outcome["notebook"], outcome["state"]
        if nb is None or state is None:
            result.status = outcome["status"] if outcome["status"] != "graded" else "incomplete"
            for f in result.functions.values():
                f.message = f"{f.name}: not graded ({result.status})"
            return result
        for name in names:
            if name in state["function_faults"]:
                f, fault = result.functions[name], state["function_faults"][name]
                if fault.startswith("not run"):
                    f.verdict, f.message = "not run", f"{name}: {fault} (0 points)"
                else:
                    f.verdict = "timed out" if fault == "timed out" else "crashed"
                    f.message = f"{name}: the process {fault} while it ran (0 points)"
                result.status = "incomplete"
            elif name in state["results"]:
                result.functions[name] = self.judge(name, state["results"][name], hidden_cases)
        if state["cell_faults"]:
            result.status = "incomplete"
        self._visible_results(nb, state, result)
        result.notebook = self._executed_notebook(nb, state, result)
        return result

    def _visible_results(self, nb, state, result) -> None:
        for i, cell in enumerate(nb.cells):
            gid = cell.metadata.get("nbgrader", {}).get("grade_id", "")
            name = gid[len("test_"):] if gid.startswith("test_") else None
            if name in result.functions and i in state["cell_outputs"]:
                function = result.functions[name]
                function.visible_passed = state["cell_outputs"][i].get("error") is None
                if function.visible_passed and not function.public_passed and function.verdict == "failed":
                    result.flags.append(f"{name}: possible tampering: its visible test passed in the notebook, "
                                        "but the same public cases fail when checked outside it")

    def _executed_notebook(self, nb, state, result) -> nbformat.NotebookNode:
        executed = nbformat.from_dict(json.loads(json.dumps(nb)))
        count = 0
        budget = NOTEBOOK_OUTPUT_BYTES
        for i, cell in enumerate(executed.cells):
            if cell.cell_type != "code":
                continue
            cell.outputs = []
            event = state["cell_outputs"].get(i)
            if i in state["cell_faults"]:
                cell.outputs.append(nbformat.v4.new_output(
                    "error", ename="CellFault", evalue=f"this cell {state['cell_faults'][i]}; it was skipped",
                    traceback=[f"CellFault: this cell {state['cell_faults'][i]}; it was skipped"]))
            elif event:
                count += 1
                cell.execution_count = count
                outputs = event.get("outputs", [])
                for output in outputs[:10] if isinstance(outputs, list) else []:
                    try:
                        content = _content(output, self.limits.output_line_chars, self.limits.output_cell_chars)
                        size = len(json.dumps(content))
                        if budget - size < 0:
                            content = {"name": "stdout", "text": "[grader] output left out: the notebook's outputs "
                                       "are over the size the grader keeps\n"}
                            output = {"output_type": "stream"}
                            size = 0
                        budget -= size
                        cell.outputs.append(nbformat.v4.output_from_msg(
                            {"header": {"msg_type": output["output_type"]}, "content": content}))
                    except Exception:
                        continue
            gid = cell.metadata.get("nbgrader", {}).get("grade_id", "")
            if gid.startswith("test_") and gid[5:] in result.functions:
                verdict = result.functions[gid[5:]]
                cell.outputs.append(nbformat.v4.new_output(
                    "stream", name="stdout",
                    text=f"[grader] {verdict.score:g}/{verdict.max_score:g}: {verdict.feedback}\n"))
        return executed


def clip(text, line_chars: int = 2000, cell_chars: int = 20000) -> str:
    """Output as the grader keeps it: valid UTF-8, each line and the whole text cut to a size (the runner's
    own cut is done inside the sandbox and so is not trusted)."""
    text = str(text)[: cell_chars * 2].encode("utf-8", errors="replace").decode("utf-8")
    lines = [ln if len(ln) <= line_chars else ln[:line_chars] + " …[line cut]" for ln in text.split("\n")]
    text = "\n".join(lines)
    return text if len(text) <= cell_chars else text[:cell_chars] + "\n…[output cut]\n"


def _is_image(kind: str, value: str) -> bool:
    """Base64 text of a real PNG or JPEG picture, under 2 MB."""
    if len(value) > 2_000_000:
        return False
    try:
        head = base64.b64decode(value[:64], validate=False)
    except ValueError:
        return False
    return head.startswith(b"\x89PNG\r\n\x1a\n") if kind == "image/png" else head.startswith(b"\xff\xd8\xff")


def _content(output: dict, line_chars: int, cell_chars: int) -> dict:
    """The content of one output the runner reported, rebuilt from known fields only and cut to size."""
    kind = output.get("output_type")
    if kind == "stream":
        name = output.get("name") if output.get("name") in ("stdout", "stderr") else "stdout"
        return {"name": name, "text": clip(output.get("text", ""), line_chars, cell_chars)}
    if kind == "error":
        return {"ename": clip(output.get("ename", ""), 100, 100),
                "evalue": clip(output.get("evalue", ""), line_chars, line_chars),
                "traceback": [clip(t, line_chars, line_chars) for t in list(output.get("traceback", []))[:3]]}
    if kind != "display_data":
        raise ValueError(kind)
    data = {}
    for key, value in dict(output.get("data", {})).items():
        if key in ("image/png", "image/jpeg") and isinstance(value, str) and _is_image(key, value):
            data[key] = value
        elif key == "text/plain":
            data[key] = clip(value, line_chars, cell_chars)
    return {"data": data, "metadata": {}}
