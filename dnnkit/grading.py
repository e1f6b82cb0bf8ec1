"""Grading one submission: run it in the sandbox, then decide every score outside it.

The sandboxed runner (dnnkit/runner.py) executes the notebook and calls each graded function on the public and
hidden inputs, writing what they return as plain data. Here, in the trusted process, those files are loaded
with allow_pickle=False, compared with the reference outputs (dnnkit.checks, the code students' visible tests
use) and turned into scores. A hung or dead process costs the cell or function it was in; the runner is then
started again without it, so functions already checked keep their result.
"""
from __future__ import annotations

import base64
import builtins
import io
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from . import checks
from .cases import DEPENDENCIES, FUNCTIONS
from .course import Course
from .intake import take_in
from .solutions import reference_answers
from .sandbox import GRADER, OUT, RELEASE, WORK, Limits, UidLease, command, prepare_work_folder, unsandboxed_command

PACKAGE = Path(__file__).resolve().parent
MAX_EVENTS_BYTES = 64 * 1024**2
MAX_RESULT_BYTES = 64 * 1024**2
NOTEBOOK_OUTPUT_BYTES = 1536 * 1024  # all outputs kept in one autograded notebook


@dataclass(frozen=True)
class Timeouts:
    cell_seconds: float = 10.0
    function_seconds: float = 20.0
    startup_seconds: float = 60.0


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
    reference code of those (earlier exercises, already graded), so that a bug in one costs only its points."""
    answers = reference_answers(course, "step_by_step")
    activations = (course.source("step_by_step") / "activations.py").read_text()
    given = [activations, (course.source("step_by_step") / "param_vectors.py").read_text()]
    helpers = {}
    for name in FUNCTIONS[assignment]:
        needed = _helpers_needed(name)
        if needed:
            helpers[name] = {"names": needed, "code": "\n\n".join(given + [answers[h] for h in needed])}
    return helpers


def sandbox_inputs(assignment: str, public: dict, hidden: dict, helpers: dict) -> dict:
    """{function: {"public": cases, "hidden": cases, "helpers": {"names", "code"}}} for the runner: the
    inputs only, never an expected output or a mistake's outcome."""
    inputs = {}
    for name in FUNCTIONS[assignment]:
        inputs[name] = {"public": _inputs_only(public[name]), "hidden": _inputs_only(hidden[name])}
        if name in helpers:
            inputs[name]["helpers"] = helpers[name]
    return inputs


def _open_regular(path: Path):
    """A binary file object for `path` if it is a regular file and not a link (the runner's folder is the
    student's to write: it could hold a link to a host file or a FIFO), else None."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        return None
    return os.fdopen(fd, "rb")


def _folder_bytes(folder: Path) -> int:
    try:
        return sum(e.stat(follow_symlinks=False).st_size for e in os.scandir(folder))
    except OSError:
        return 0


def _read_events(path: Path, offset: int) -> tuple[list[dict], int]:
    """New complete lines of the runner's event log since `offset` (lines that are not JSON objects are
    skipped, whatever they hold)."""
    if offset >= MAX_EVENTS_BYTES:
        return [], offset
    handle = _open_regular(path)
    if handle is None:
        return [], offset
    with handle:
        handle.seek(offset)
        chunk = handle.read(MAX_EVENTS_BYTES - offset)
    end = chunk.rfind(b"\n") + 1
    events = []
    for line in chunk[:end].splitlines():
        try:
            event = json.loads(line)
        except (ValueError, RecursionError):
            continue
        if isinstance(event, dict):
            events.append(event)
    return events, offset + end


def _load_result(path: Path):
    """A function's results file, or None if it is missing, not a regular file, too large, or not plain data."""
    handle = _open_regular(path)
    if handle is None:
        return None
    with handle:
        data = handle.read(MAX_RESULT_BYTES + 1)
    if len(data) > MAX_RESULT_BYTES:
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:  # refuse zip bombs before numpy expands anything
            if sum(info.file_size for info in archive.infolist()) > MAX_RESULT_BYTES:
                return None
        value, _ = checks.load_plain(io.BytesIO(data))
        return value
    except (Exception, RecursionError):
        return None


class SandboxRun:
    """The untrusted half: runs submissions of one assignment in the sandbox and reports what came out.

    Gets each submission's inputs but never the expected outputs, so it can run on another machine (Dask)
    unchanged. Picklable; thread-safe (each submission gets its own folders and process)."""

    def __init__(self, course: Course, assignment: str, limits: Limits, timeouts: Timeouts, sandboxed: bool):
        self.assignment = assignment
        self.limits, self.timeouts, self.sandboxed = limits, timeouts, sandboxed
        self.release = course.release(assignment)
        self.datasets = course.datasets if course.datasets.is_dir() else None
        self.master = nbformat.read(course.notebook(assignment, "release"), as_version=4)
        self.prewarm = True
        self._local, self._lock, self._boxes = threading.local(), threading.Lock(), {}

    def execute(self, student: str, folder: Path, inputs: dict) -> dict:
        """Intake and sandboxed run of one submission on its `inputs` (see sandbox_inputs): plain data for
        Grader.finish."""
        intake = take_in(Path(folder), self.assignment, self.master)
        outcome = {"student": student, "flags": list(intake.flags), "status": intake.status,
                   "notebook": intake.notebook, "state": None}
        if intake.notebook is not None:
            state, run_flags = self.run(intake.notebook, inputs)
            outcome["state"], outcome["flags"] = state, outcome["flags"] + run_flags
        return outcome

    # -- running ------------------------------------------------------------------------------------------

    def _prepare(self, scratch: Path, uid: int) -> tuple[Path, Path, Path]:
        """scratch/grader (read-only inside: runner, plan, then inputs), scratch/out (the runner's reports) and,
        without the sandbox only, scratch/work (inside the sandbox the working folder is a tmpfs)."""
        grader, work, out = scratch / "grader", scratch / "work", scratch / "out"
        grader.mkdir()
        shutil.copy(PACKAGE / "runner.py", grader / "runner.py")
        shutil.copy(PACKAGE / "checks.py", grader / "dnn_checks.py")
        prepare_work_folder(out, uid)
        if not self.sandboxed:
            prepare_work_folder(work, uid)
            if self.datasets is not None:
                (scratch / "datasets").symlink_to(self.datasets)
        return grader, work, out

    def _inside(self, grader: Path, work: Path, out: Path) -> dict:
        if self.sandboxed:
            return {"grader": GRADER, "work": WORK, "out": OUT, "release": RELEASE}
        return {"grader": str(grader), "work": str(work), "out": str(out), "release": str(self.release)}

    def _start(self, grader: Path, work: Path, out: Path, uid: int) -> subprocess.Popen:
        """Start a runner; it loads Python, IPython and numpy, then waits for its plan (see _send_plan)."""
        inside = self._inside(grader, work, out)
        argv = [sys.executable, "-E", "-s", f"{inside['grader']}/runner.py", f"{inside['grader']}/plan.json",
                inside["out"], inside["work"], inside["release"]]
        env = {"NBGRADER_EXECUTION": "autograde"}
        if self.sandboxed:
            binds = {str(self.datasets): "/sandbox/datasets"} if self.datasets is not None else {}
            full = command(argv, out, grader, self.release, self.limits, uid, env=env, extra_ro_binds=binds)
            run_env = None
        else:
            full, run_env = unsandboxed_command(argv, self.limits), {**os.environ, **env}
        return subprocess.Popen(full, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True, env=run_env)

    def _send_plan(self, grader: Path, work: Path, out: Path, plan: dict) -> None:
        inside = self._inside(grader, work, out)
        plan = {**plan, "inputs": f"{inside['grader']}/inputs.npz", "work": inside["work"]}
        (grader / "plan.tmp").write_text(json.dumps(plan))
        os.replace(grader / "plan.tmp", grader / "plan.json")

    def _new_box(self) -> dict:
        """A fresh sandbox for one submission: its folders and a runner already loading."""
        holder = tempfile.TemporaryDirectory(prefix="dnnkit-grade-")
        lease = UidLease()
        scratch = Path(holder.name)
        grader, work, out = self._prepare(scratch, lease.uid)
        box = {"holder": holder, "lease": lease, "scratch": scratch, "grader": grader, "work": work, "out": out,
               "process": self._start(grader, work, out, lease.uid)}
        with self._lock:
            self._boxes[id(box)] = box
        return box

    def _reset(self, box: dict) -> None:
        """Empty the folders a previous run could write, so nothing it left can be read by the next."""
        for folder in (box["out"], box["work"]):
            shutil.rmtree(folder, ignore_errors=True)
        prepare_work_folder(box["out"], box["lease"].uid)
        if not self.sandboxed:
            prepare_work_folder(box["work"], box["lease"].uid)

    def _take_box(self) -> dict:
        """This thread's warm spare sandbox if it has one (never shared between students), else a new one."""
        box = getattr(self._local, "spare", None)
        self._local.spare = None
        return box or self._new_box()

    def _drop_box(self, box: dict) -> None:
        self._kill(box["process"])  # with its pid namespace: no process of that user id is left
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

    def _attempt(self, process, out: Path, hand_over, state) -> str:
        """Follow one runner process until it finishes, dies or overruns its time or disk space.

        Returns "finished", "died", "timed out" or "ran out of disk space". Every event is checked: the
        process runs the student's code, which can write anything into `out`."""
        names = set(FUNCTIONS[self.assignment])
        step, started, offset, cells_done = ("startup", None), time.monotonic(), 0, False
        next_disk_check = time.monotonic()
        while True:
            events, offset = _read_events(out / "events.jsonl", offset)
            if events and "first_event" not in state:
                state["first_event"] = time.monotonic()  # the runner is up: Python, IPython and numpy loaded
            for event in events:
                kind, phase, index, name = event.get("e"), event.get("phase"), event.get("i"), event.get("name")
                if kind == "cell" and not cells_done and type(index) is int:  # none after cells_done: see runner
                    if phase == "start":
                        step, started = ("cell", index), time.monotonic()
                    elif phase == "end" and isinstance(event.get("outputs", []), list):
                        state["cell_outputs"][index] = event
                        step, started = ("between", None), time.monotonic()
                elif kind == "cells_done" and not cells_done:
                    cells_done = True
                    hand_over()
                    step, started = ("between", None), time.monotonic()
                elif kind == "function" and cells_done and isinstance(name, str) and name in names:
                    if phase == "start":
                        step, started = ("function", name), time.monotonic()
                    elif phase == "end":
                        state["functions_done"].add(name)
                        step, started = ("between", None), time.monotonic()
                elif kind == "done" and cells_done:
                    state["done"] = True
            state["step"] = step
            limit = {"cell": self.timeouts.cell_seconds, "function": self.timeouts.function_seconds}.get(
                step[0], self.timeouts.startup_seconds)
            if process.poll() is not None:
                events, offset = _read_events(out / "events.jsonl", offset)
                if events:
                    continue
                return "finished" if state.get("done") else "died"
            if time.monotonic() - started > limit:
                self._kill(process)
                return "timed out"
            if time.monotonic() >= next_disk_check:
                next_disk_check = time.monotonic() + 0.5
                if _folder_bytes(out) > self.limits.work_bytes:
                    self._kill(process)
                    return "ran out of disk space"
            time.sleep(0.02)

    def run(self, nb: nbformat.NotebookNode, inputs: dict) -> tuple[dict, list[str]]:
        """Run the notebook's code cells, then its functions on `inputs`, in the sandbox, restarting past
        faults."""
        names = FUNCTIONS[self.assignment]
        cells = [{"index": i, "source": c.source} for i, c in enumerate(nb.cells) if c.cell_type == "code"]
        state = {"cell_outputs": {}, "functions_done": set(), "cell_faults": {}, "function_faults": {},
                 "results": {}}
        flags: list[str] = []
        box = self._take_box()
        scratch, grader, work, out = box["scratch"], box["grader"], box["work"], box["out"]
        try:
            checks.save_plain(scratch / "inputs.npz", inputs)  # outside the sandbox until handed over

            def hand_over():  # atomically: the runner starts reading as soon as the name exists
                shutil.copy(scratch / "inputs.npz", grader / "inputs.tmp")
                os.replace(grader / "inputs.tmp", grader / "inputs.npz")

            for attempt in range(len(cells) + len(names) + 2):
                state["done"], state["cell_outputs"] = False, {}
                plan = {"cells": cells, "skip_cells": sorted(state["cell_faults"]), "functions": list(names),
                        "skip_functions": sorted(state["functions_done"] | set(state["function_faults"]))}
                launched = time.monotonic()
                if attempt:  # a fresh process and folders after a fault; the first process was started warm
                    (grader / "inputs.npz").unlink(missing_ok=True)
                    self._reset(box)
                    box["process"] = self._start(grader, work, out, box["lease"].uid)
                self._send_plan(grader, work, out, plan)
                process = box["process"]
                ended = self._attempt(process, out, hand_over, state)
                timings = state.setdefault("timings", {"kernel_start": 0.0, "execution": 0.0})
                first = state.pop("first_event", None)
                timings["kernel_start"] += (first or time.monotonic()) - launched
                timings["execution"] += time.monotonic() - (first or time.monotonic())
                self._kill(process)
                for name in names:  # keep what finished; nothing the process wrote survives into the next run
                    if name in state["functions_done"] and name not in state["results"]:
                        state["results"][name] = _load_result(out / f"{name}.npz")
                if ended == "finished":
                    for name in names:
                        if name not in state["functions_done"] and name not in state["function_faults"]:
                            state["function_faults"][name] = "did not report"
                            flags.append(f"{name}: no result was reported although the run finished")
                    break
                kind, where = state["step"]
                if kind == "cell" and isinstance(where, int) and where not in state["cell_faults"]:
                    state["cell_faults"][where] = ended
                    flags.append(f"cell {where} {ended}; the notebook was run again without it")
                elif kind == "function" and where in names and where not in state["function_faults"]:
                    state["function_faults"][where] = ended
                    flags.append(f"{where}: the process {ended} while it ran on the grader's cases")
                else:
                    flags.append(f"the notebook's process {ended} outside any cell or function; "
                                 "the functions not yet checked could not run")
                    for name in names:
                        if name not in state["functions_done"]:
                            state["function_faults"].setdefault(name, ended)
                    break
        finally:
            self._drop_box(box)
        if self.prewarm:  # start the next submission's sandbox now, while the grader judges this one
            self._local.spare = self._new_box()
        return state, flags


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
                f = result.functions[name]
                f.verdict = "timed out" if state["function_faults"][name] == "timed out" else "crashed"
                f.message = f"{name}: the process {state['function_faults'][name]} while it ran (0 points)"
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
