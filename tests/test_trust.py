"""Trust by design (issue 21): what a sandbox holds is worth nothing elsewhere, the supervisor alone keeps time,
and nothing a runner sends costs the grader more than its bounds.

Processes on one machine share kernel state that no sandbox separates (tests/covert.py: flock on shared
read-only files, the page cache), so these attacks carry data between sandboxes graded at the same time and
from one run to a later one; each test shows the data arriving and then being of no use. The time and memory
attacks are shown to land on the design before this one (commit d02d340: a flood of events kept the clock from
being read, a repeated "start" reset it, one deep line cost the grader gigabytes) by the notes in each test.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import nbformat
import numpy as np
import pytest

from covert import CHANNELS
from dnnkit import checks
from dnnkit.cases import FUNCTIONS
from dnnkit.grading.records import submission_digest
from dnnkit.solutions import reference_answers
from dnnkit.student_cases import StudentCases
from grading_support import (answer, dnnkit_grade, executed_notebook, feedback_pages, grading_course, read_grades,
                             scores, submit)
from test_hostile import PROBE, cells

pytestmark = pytest.mark.slow

ASSIGNMENT = "step_by_step"
NAMES = FUNCTIONS[ASSIGNMENT]
GRADER = "/sandbox/grader"
LEVEL0 = f"{GRADER}/level-0.npz"
SETTINGS = """
c.DnnkitGrade.cell_seconds = 5
c.DnnkitGrade.function_seconds = 10
c.DnnkitGrade.submission_seconds = 90
c.DnnkitGrade.restarts = 4
"""
QUIET_FILE = ("nbgrader", "docs", "source", "user_guide", "images", "formgrader.gif")  # see covert.cache_send


def _forget_page_cache() -> None:
    """Drop the quiet file's pages, so that nothing an earlier test run left there is read."""
    import nbgrader

    path = Path(nbgrader.__file__).parent.joinpath(*QUIET_FILE[1:])
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def _trace(folder: Path, student: str) -> list[dict]:
    path = folder / f"{quote(student, safe='')}.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _probes(folder: Path, student: str) -> list[dict]:
    return [entry["event"] for entry in _trace(folder, student) if entry["event"].get("e") == "probe"]


def _course(tmp_path_factory, name: str):
    course = grading_course(tmp_path_factory.mktemp(name) / "course")
    with open(course.root / "nbgrader_config.py", "a") as handle:
        handle.write(SETTINGS)
    return course


def _grade(course, trace: Path, *students: str, timeout: float = 600):
    args = [arg for student in students for arg in ("--student", student)]
    done = dnnkit_grade(course, ASSIGNMENT, *args, "--workers", "2", timeout=timeout,
                        env={"DNNKIT_GRADE_TRACE": str(trace)})
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def _body(course, function: str, first_line: str) -> str:
    """The reference answer of `function` with `first_line` run first inside it."""
    source = answer(course, function)
    head, rest = source.split(":\n", 1)
    return f"{head}:\n    {first_line}\n{rest}"


# -- nothing in a sandbox is worth carrying out -----------------------------------------------------------------

# A (a correct submission but for what its last function does first): while graded, it gathers every piece of code
# it can find in what the grader handed in, and sends it to whoever listens, through flock.
SENDER = CHANNELS + PROBE + """
import glob as _glob
import dnn_checks as _checks

def _strings(value, found):
    if isinstance(value, str):
        found.append(value)
    elif isinstance(value, dict):
        for item in value.values():
            _strings(item, found)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _strings(item, found)
    return found

def _exfiltrate():
    if globals().get("_SENT") or not _os.path.exists("/sandbox/grader/level-0.npz"):
        return
    globals()["_SENT"] = True
    found = []
    for path in sorted(_glob.glob("/sandbox/grader/level-*.npz")):
        _strings(_checks.load_plain(path)[0], found)
    code = [text for text in found if "def " in text]
    payload = _json.dumps({"code": code, "strings": len(found)}).encode()
    probe(role="sender", code=len(code), strings=len(found), sent=flock_send(payload))
"""

# B: three functions of the first level are stubs that, while graded, wait for A's code and answer with it.
RECEIVER = CHANNELS + PROBE + """
import numpy as _np
_BORROWED = {}

def _borrowed(name):
    if not _os.path.exists("/sandbox/grader/level-0.npz"):
        raise NotImplementedError()  # in the notebook's own cells: an untouched stub
    if "payload" not in _BORROWED:
        data = flock_receive(seconds=8.0)
        try:
            _BORROWED["payload"] = _json.loads(data) if data else {}
        except ValueError:
            _BORROWED["payload"] = {}
        for code in _BORROWED["payload"].get("code", []):
            try:
                exec(code, _BORROWED)
            except Exception:
                pass
        probe(role="receiver", received=len(data), code=len(_BORROWED["payload"].get("code", [])),
              usable=",".join(sorted(k for k in ("linear_forward", "compute_cost", "linear_backward") if k in _BORROWED)))
    if not callable(_BORROWED.get(name)):
        raise NotImplementedError()
    return _BORROWED[name]
"""
BORROWING = {
    "linear_forward": "def linear_forward(A, W, b):\n    return _borrowed('linear_forward')(A, W, b)\n",
    "compute_cost": "def compute_cost(AL, Y):\n    return _borrowed('compute_cost')(AL, Y)\n",
    "linear_backward": "def linear_backward(dZ, cache):\n    return _borrowed('linear_backward')(dZ, cache)\n",
}

# C: linear_forward, while graded, leaves its first hidden input in the page cache and hangs: the grader restarts
# the notebook, and a cell near the top prints what the page cache holds.
LEAVE_AND_HANG = CHANNELS + PROBE + """
def _leave_and_hang():
    if not _os.path.exists("/sandbox/grader/level-0.npz"):
        return
    import numpy as _np
    import dnn_checks as _checks
    inputs, _ = _checks.load_plain("/sandbox/grader/level-0.npz")
    value = _np.float64(_np.ravel(inputs["linear_forward"]["hidden"][0]["args"][0])[0])
    cache_send(value.tobytes())
    probe(role="left", value=value.tobytes().hex())
    while True:
        pass
"""
PRINT_WHAT_IS_LEFT = CHANNELS + PROBE + """
import uuid as _uuid
_left = cache_receive()
_run = _uuid.uuid4().hex
print("RUN", _run, "FOUND IN THE PAGE CACHE:", _left.hex() if _left else None)
probe(role="reader", run=_run, found=_left.hex() if _left else "")
"""

# D: linear_forward, while graded, leaves its first hidden input in the page cache and goes on (a right answer).
LEAVE = CHANNELS + PROBE + """
def _leave():
    if globals().get("_LEFT") or not _os.path.exists("/sandbox/grader/level-0.npz"):
        return
    globals()["_LEFT"] = True
    import numpy as _np
    import dnn_checks as _checks
    inputs, _ = _checks.load_plain("/sandbox/grader/level-0.npz")
    value = _np.float64(_np.ravel(inputs["linear_forward"]["hidden"][0]["args"][0])[0])
    cache_send(value.tobytes())
    probe(role="left", value=value.tobytes().hex())
"""


def _until_read_back(attack, trace: Path, student: str):
    """`attack()` (a student's gradings that leave a hidden input in the page cache and read it back), run again,
    up to three times, until its last reader read back what was left, so that its landing is shown: another test
    building a Python view meanwhile (it reads every file of the environment) fills the quiet file's pages and
    wipes what was left. Returns what the last `attack()` returned."""
    for _ in range(3):
        _forget_page_cache()
        (trace / f"{quote(student, safe='')}.jsonl").unlink(missing_ok=True)
        result = attack()
        probes = _probes(trace, student)
        left = [p["value"] for p in probes if p.get("role") == "left"]
        if left and [p["found"] for p in probes if p.get("role") == "reader"][-1:] == left:
            break
    return result


@pytest.fixture(scope="module")
def carried(tmp_path_factory):
    """Grading runs on one course: A and B at the same time; then C (restarted); then D twice, a later run."""
    course = _course(tmp_path_factory, "carried")
    trace = tmp_path_factory.mktemp("carried-trace")
    submit(course, "a-sender", answers={"numeric_gradient": _body(course, "numeric_gradient", "_exfiltrate()")},
           transform=cells(imports=[SENDER]))
    submit(course, "b-receiver", answers=BORROWING, transform=cells(imports=[RECEIVER]))
    _grade(course, trace, "a-sender", "b-receiver")

    def restarted():
        submit(course, "c-restarted", answers={"linear_forward": _body(course, "linear_forward", "_leave_and_hang()")},
               transform=cells(imports=[LEAVE_AND_HANG, PRINT_WHAT_IS_LEFT]))
        _grade(course, trace, "c-restarted")
    _until_read_back(restarted, trace, "c-restarted")

    def later():
        first = submit(course, "d-later", answers={"linear_forward": _body(course, "linear_forward", "_leave()")},
                       transform=cells(imports=[LEAVE])).parent
        first_digest = submission_digest(first)
        _grade(course, trace, "d-later")
        written = _code_cells(first / f"{ASSIGNMENT}.ipynb")
        submit(course, "d-later", transform=cells(imports=[PRINT_WHAT_IS_LEFT]))  # handed in again: reads what was left
        _grade(course, trace, "d-later")
        return (first_digest, submission_digest(first)), written
    digests, written = _until_read_back(later, trace, "d-later")
    for notebook in course.root.glob(f"submitted/*/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"):
        written |= _code_cells(notebook)
    return course, trace, digests, written | _code_cells(course.notebook(ASSIGNMENT, "release"))


def _code_cells(notebook: Path) -> set[str]:
    return {cell.source.strip() for cell in nbformat.read(notebook, 4).cells if cell.cell_type == "code"}


def _first_hidden_value(course, student: str, digest: str) -> str:
    cases = StudentCases(course, ASSIGNMENT).for_student(student, digest)
    return np.float64(np.ravel(cases["linear_forward"][0]["args"][0])[0]).tobytes().hex()


def test_colluding_sandboxes_graded_at_the_same_time_carry_nothing_usable(carried):
    course, trace, _, _ = carried
    sender = [p for p in _probes(trace, "a-sender") if p.get("role") == "sender"]
    receiver = [p for p in _probes(trace, "b-receiver") if p.get("role") == "receiver"]
    # landed: A gathered what it was handed and B received it, through flock, while both were graded
    assert len(sender) == 1 and int(sender[0]["strings"]) > 0 and int(sender[0]["sent"]) > 0
    assert len(receiver) == 1 and int(receiver[0]["received"]) > 0
    # ... but it held no code (before this design, A's last level held the reference code of linear_forward,
    # compute_cost and linear_backward, and B's stubs answered with it for 30 points)
    assert sender[0]["code"] == 0 and receiver[0]["code"] == 0 and receiver[0]["usable"] == ""
    rows = read_grades(course)
    assert {name: float(rows["b-receiver"][name]) for name in BORROWING} == dict.fromkeys(BORROWING, 0.0)
    assert scores(rows["a-sender"], NAMES) == dict.fromkeys(NAMES, 10.0)


def test_no_sandbox_is_handed_reference_code(carried):
    """Every file handed into every sandbox above (runner, checks, plan, each level's inputs), read byte for byte
    and as plain data, holds no line of any reference solution that the released notebook does not hold too."""
    course, trace, _, written = carried
    released = course.notebook(ASSIGNMENT, "release").read_text()
    lines = {line.strip() for code in reference_answers(course, ASSIGNMENT).values() for line in code.splitlines()}
    lines = {line for line in lines if len(line) >= 12 and not line.startswith("#") and line not in released}
    assert len(lines) > 40  # the solutions' own lines: what a stub would need
    handed = sorted(path for folder in trace.glob("*.handed") for path in folder.iterdir())
    assert {path.name.split("-", 1)[1] for path in handed} >= {"runner.py", "dnn_checks.py", "plan.json",
                                                                 "level-0.npz", "level-3.npz"}
    for path in handed:
        if path.name.endswith("-plan.json"):  # the plan: cells students wrote (or released), and numbers
            plan = json.loads(path.read_text())
            assert [cell["source"][:200] for cell in plan.pop("cells") if cell["source"].strip() not in written] == []
            path = path.with_name(path.name + ".rest")
            path.write_text(json.dumps(plan))
        raw = path.read_bytes()
        texts = [raw.decode("utf-8", "replace"), raw.decode("utf-32-le", "replace")]
        if path.suffix == ".npz":
            texts += [text for text in _all_strings(checks.load_plain(path)[0])]
        for line in lines:
            assert not any(line in text for text in texts), (path.name, line)


def _all_strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        return [text for item in value for text in _all_strings(item)]
    return []


def test_what_a_restarted_run_prints_never_reaches_the_student(carried):
    course, trace, _, _ = carried
    student = "c-restarted"
    digest = submission_digest(course.root / "submitted" / student / ASSIGNMENT)
    hidden = _first_hidden_value(course, student, digest)
    left = [p["value"] for p in _probes(trace, student) if p.get("role") == "left"]
    readers = [p for p in _probes(trace, student) if p.get("role") == "reader"]
    # landed: the function left its hidden input in the page cache, and the run after the restart read it back
    assert left == [hidden]
    assert len(readers) >= 2 and readers[0]["found"] != hidden and readers[-1]["found"] == hidden
    # ... but what a student sees comes from the run before any hidden input was handed over
    shown = json.dumps(executed_notebook(course, student)) + feedback_pages(course).get(student, "")
    assert readers[0]["run"] in shown
    assert hidden not in shown and all(reader["run"] not in shown for reader in readers[1:])
    row = read_grades(course)[student]
    assert float(row["linear_forward"]) == 0 and float(row["linear_backward"]) == 10  # the rest is graded


def test_hidden_inputs_left_by_an_earlier_run_are_worthless_in_a_later_one(carried):
    course, trace, (first, second), _ = carried
    student = "d-later"
    left = [p["value"] for p in _probes(trace, student) if p.get("role") == "left"]
    readers = [p for p in _probes(trace, student) if p.get("role") == "reader"]
    # landed: the second submission's notebook read what the first one's grading left, before any hand-over,
    # so the student sees it in their feedback
    assert left == [_first_hidden_value(course, student, first)]
    assert [reader["found"] for reader in readers] == left
    assert left[0] in json.dumps(executed_notebook(course, student))
    # ... but a new submission gets new hidden inputs: answers written for the leaked ones fail
    # (before this design, every submission of a student got the same: tests/test_student_cases.py)
    assert first != second and _first_hidden_value(course, student, second) != left[0]


def test_another_student_s_hidden_inputs_are_worthless(carried):
    course, _, _, _ = carried
    digest = "3" * 64
    ann, bob = (StudentCases(course, ASSIGNMENT).for_student(name, digest) for name in ("ann", "bob"))
    for name in NAMES:
        for a, b in zip(ann[name], bob[name]):
            arrays = [(x, y) for x, y in zip(a["args"], b["args"])
                      if isinstance(x, np.ndarray) and x.dtype.kind == "f" and x.size > 1]  # labels may agree
            assert all(not np.allclose(x, y) for x, y in arrays), (name, a["name"])


# -- the supervisor alone keeps time ----------------------------------------------------------------------------

FLOOD = """
import os, time
for _ in range(3):  # four processes, each writing ten tiny well-formed lines a millisecond, without end
    if os.fork() == 0:
        break
while True:
    os.write(1, b'{"e": "noise"}\\n' * 10)
    time.sleep(0.001)
"""
RESTART_THE_CELL_CLOCK = """
import json, os, time
while True:  # "this cell has just started", for every cell, twice a second
    for i in range(200):
        os.write(1, (json.dumps({"e": "cell", "i": i, "phase": "start"}) + "\\n").encode())
    time.sleep(0.5)
"""
RESTART_THE_FUNCTION_CLOCK = """
import json as _json, os as _os, time as _time
def _stall():
    if not _os.path.exists("/sandbox/grader/level-0.npz"):
        return
    while True:  # "linear_backward has just started", twice a second
        _os.write(1, (_json.dumps({"e": "function", "name": "linear_backward", "phase": "start"}) + "\\n").encode())
        _time.sleep(0.5)
"""


@pytest.fixture(scope="module")
def clocked(tmp_path_factory):
    course = _course(tmp_path_factory, "clocked")
    trace = tmp_path_factory.mktemp("clocked-trace")
    submit(course, "e-flood", transform=cells(end=[FLOOD]))
    submit(course, "f-cell-clock", transform=cells(end=[RESTART_THE_CELL_CLOCK]))
    submit(course, "g-function-clock", answers={"linear_backward": _body(course, "linear_backward", "_stall()")},
           transform=cells(imports=[RESTART_THE_FUNCTION_CLOCK]))
    # before this design, the first never ended (a line within every 20 ms kept the clock from being read),
    # and the other two ran until submission_seconds, losing every function not yet graded
    _grade(course, trace, "e-flood", "f-cell-clock", "g-function-clock", timeout=400)
    return course, trace, read_grades(course)


def test_a_cell_whose_processes_write_without_pause_still_ends_at_its_limit(clocked):
    """Before this design its lines kept the clock from being read (it ended by chance, when the four writers
    all paused for 20 ms, or at submission_seconds); now it ends at the first limit it meets: the cell's time or
    the events a run may send."""
    _, trace, rows = clocked
    row = rows["e-flood"]
    assert scores(row, NAMES) == dict.fromkeys(NAMES, 10.0), row["flags"]  # the rest of the batch went on
    assert row["status"] == "incomplete" and "submission_seconds" not in row["flags"]
    assert ("timed out; the notebook was run again without it" in row["flags"]
            or "reported too much; the notebook was run again without it" in row["flags"])
    noise = [e for e in _trace(trace, "e-flood") if e["event"].get("e") == "noise"]
    assert len(noise) > 1000  # landed: the lines reached the supervisor


def test_a_cell_that_restarts_its_clock_still_ends_at_its_limit(clocked):
    _, trace, rows = clocked
    row = rows["f-cell-clock"]
    assert scores(row, NAMES) == dict.fromkeys(NAMES, 10.0), row["flags"]
    assert row["status"] == "incomplete" and "timed out; the notebook was run again without it" in row["flags"]
    assert "submission_seconds" not in row["flags"]
    starts = [e["taken"] for e in _trace(trace, "f-cell-clock") if e["event"].get("e") == "cell"
              and e["event"].get("phase") == "start"]
    assert len(starts) > 200 and set(starts) == {"ignored"}  # landed: said, and not taken


def test_a_function_that_restarts_its_clock_still_ends_at_its_limit(clocked):
    _, trace, rows = clocked
    row = rows["g-function-clock"]
    lost = dict.fromkeys(NAMES, 10.0) | {"linear_backward": 0.0}
    assert scores(row, NAMES) == lost, row["flags"]
    assert "linear_backward: the process timed out" in row["flags"] and "submission_seconds" not in row["flags"]
    starts = [e["taken"] for e in _trace(trace, "g-function-clock") if e["event"].get("e") == "function"
              and e["event"].get("name") == "linear_backward" and e["event"].get("phase") == "start"]
    assert len(starts) > 5 and set(starts) == {"ignored"}  # landed: said, and not taken


# -- the grader's own memory and time are bounded ---------------------------------------------------------------

DEEP_LINES = """
import os
line = b'{"e": "noise", "x": [' + b"[]," * (30 * 1024**2) + b'[]]}\\n'  # 90 MB, under the old 96 MB line bound
for _ in range(2):
    os.write(1, line)
"""
MANY_NEWLINES = """
import os
chunk = b"\\n" * (1 << 20)
for _ in range(200):  # 200 million empty lines, under the 256 MB stream bound
    os.write(1, chunk)
"""


def _grader_peak_rss(course, trace: Path, student: str) -> int:
    """Grade `student` in a process of its own; the largest resident set of it and its children, in bytes."""
    code = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    env = {**os.environ, "DNNKIT_COURSE_ROOT": str(course.root), "DNNKIT_GRADE_TRACE": str(trace)}
    done = subprocess.run([sys.executable, "-c", code, sys.executable, "-m", "dnnkit.cli", "grade", ASSIGNMENT,
                           "--student", student], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return int(done.stdout.split()[-1]) * 1024


@pytest.fixture(scope="module")
def bounded(tmp_path_factory):
    course = _course(tmp_path_factory, "bounded")
    trace = tmp_path_factory.mktemp("bounded-trace")
    submit(course, "h-deep-lines", transform=cells(end=[DEEP_LINES]))
    submit(course, "i-many-newlines", transform=cells(end=[MANY_NEWLINES]))
    submit(course, "j-control")
    peaks = {student: _grader_peak_rss(course, trace, student)
             for student in ("j-control", "h-deep-lines", "i-many-newlines")}
    return course, trace, peaks, read_grades(course)


def test_deep_lines_cost_the_grader_no_more_memory_than_a_clean_submission(bounded):
    """Before this design, each 90 MB line of empty lists was parsed into 30 million lists: about 2 GB in the
    grader, outside every limit of the sandbox."""
    _, trace, peaks, rows = bounded
    assert peaks["h-deep-lines"] < peaks["j-control"] + 256 * 1024**2, peaks
    assert scores(rows["h-deep-lines"], NAMES) == dict.fromkeys(NAMES, 10.0)
    ended = [e["taken"] for e in _trace(trace, "h-deep-lines") if e["event"].get("e") == "attempt"]
    assert ended and "0 lines skipped" not in ended[0]  # landed: the lines arrived, and were not parsed


def test_very_many_tiny_lines_are_cut_off(bounded):
    """Before this design, the grader read and split every one of 200 million empty lines (4.4 s of its CPU more
    than a clean submission's, measured on d02d340, for each run of the notebook up to the restarts' count, and
    without end for a writer slower than the stream bound). Now the run stops at the line bound and the notebook
    runs again without the cell."""
    _, trace, _, rows = bounded
    row = rows["i-many-newlines"]
    assert scores(row, NAMES) == dict.fromkeys(NAMES, 10.0)
    assert "reported too much; the notebook was run again without it" in row["flags"]
    taken = [e["taken"] for e in _trace(trace, "i-many-newlines") if e["event"].get("e") == "channel"]
    assert taken and "lines" in taken[0] and taken[0].endswith("process killed")
