"""`dnnkit grade` against hostile submissions: students who try to get points for wrong answers, to read what
only the grader may read, to carry hidden inputs out, to break out of the sandbox or to break the grader.

One student per attack (each attack sits in an otherwise correct submission, so every other function must still
score 10), graded in the course the end-to-end modules share (shared_courses.py: one `dnnkit grade` run, beside
the other modules' students, whose rows the attacks must not touch). Each test checks one student's row: the
exact points per function, the status, the flags, and what the attack itself printed into the executed notebook.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import sqlite3
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote

import nbformat
import numpy as np
import pytest

from dnnkit.cases import FUNCTIONS, grading_levels
from dnnkit.checks import load_plain
from dnnkit.grading.records import record_path
from dnnkit.grading.settings import read_settings as settings
from dnnkit.gradebook import function_scores
from grading_support import answer, executed_notebook, grading_course, read_grades, scores, submit
from grading_support import expect_row as expect

pytestmark = pytest.mark.slow

ASSIGNMENT = "step_by_step"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
NAMES = FUNCTIONS[ASSIGNMENT]
LEVEL_FILES = "/sandbox/grader/level-*.npz"  # where the runner finds each level's inputs inside the sandbox
LEVEL0 = "/sandbox/grader/level-0.npz"  # the first level: functions that call no graded helper
TAMPERING = "possible tampering"
LEVEL_OF = {name: k for k, level in enumerate(grading_levels(ASSIGNMENT)) for name in level}

# A cell's way to tell the test what its attack reached: a line of its own on the runner's channel (its standard
# output), which the grader ignores and its trace ($DNNKIT_GRADE_TRACE) records.
PROBE = """
import json as _json, os as _os
def probe(**fields):
    _os.write(1, (_json.dumps({"e": "probe", **fields}) + "\\n").encode())
"""


# The wrong answers the attacks try to get points for: each is the reference answer with one slip.
WRONG = {
    "linear_forward": ("Z = np.dot(W, A) + b", "Z = np.dot(W, A)"),  # forgets the bias
    "linear_backward": ("db = np.sum(dZ, axis=1, keepdims=True) / m", "db = np.sum(dZ, axis=1, keepdims=True)"),
    "compute_cost": ("/ m", "/ (2 * m)"),
    "update_parameters": ("- learning_rate", "+ learning_rate"),  # climbs the gradient
    "linear_activation_forward": ('A, activation_cache = relu(Z)', 'A, activation_cache = sigmoid(Z)'),
    # no activation derivative at all: dZ is taken to be dA
    "linear_activation_backward": ("dA_prev, dW, db = linear_backward(dZ, linear_cache)",
                                   "dA_prev, dW, db = linear_backward(dA, linear_cache)"),
}


def wrong(course, function: str, before: str = "", after: str = "") -> str:
    return answer(course, function, before=before, after=after, replace=WRONG[function])


def _grade_id(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def cells(**where: list[str]):
    """A submit() transform adding ordinary code cells: imports=[...] after the first code cell (the imports),
    linear_forward=[...] after the cell with that grade id, end=[...] at the end."""
    def transform(nb):
        new = []
        imports_done = False
        for cell in nb.cells:
            new.append(cell)
            gid = _grade_id(cell)
            if cell.cell_type == "code" and not imports_done and "from dnn_checks import" in cell.source:
                imports_done = True
                new += [nbformat.v4.new_code_cell(src) for src in where.get("imports", [])]
            if gid in where:
                new += [nbformat.v4.new_code_cell(src) for src in where[gid]]
        new += [nbformat.v4.new_code_cell(src) for src in where.get("end", [])]
        nb.cells = new
    return transform


# -- the attacks: one student each; `dnnkit grade` takes them in name order ------------------------------------

ATTACKS = {}


def attack(student):
    def register(build):
        ATTACKS[student] = build
        return build
    return register


@attack("h01-allclose")
def always_equal(course, student, ctx):
    """nbgrader's classic: make every closeness test say "equal" (the visible test then passes in the notebook)."""
    patch = """
import numpy as np
np.allclose = lambda *args, **kwargs: True
np.array_equal = lambda *args, **kwargs: True
np.isclose = lambda a, b, *args, **kwargs: np.ones(np.broadcast(np.asarray(a), np.asarray(b)).shape, bool)
np.testing.assert_allclose = lambda *args, **kwargs: None
np.testing.assert_array_equal = lambda *args, **kwargs: None
np.testing.assert_array_almost_equal = lambda *args, **kwargs: None
"""
    submit(course, student, answers={"linear_forward": wrong(course, "linear_forward")},
           transform=cells(imports=[patch]))


@attack("h02-ast-transformer")
def ast_transformer(course, student, ctx):
    """An IPython AST transformer that drops every assert and every call of check_public from later cells."""
    patch = """
import ast

class Lenient(ast.NodeTransformer):
    def visit_Assert(self, node):
        return ast.Pass()

    def visit_Expr(self, node):
        call = node.value
        if isinstance(call, ast.Call) and getattr(call.func, "id", "") == "check_public":
            return ast.Pass()
        return node

get_ipython().ast_transformers.append(Lenient())
"""
    submit(course, student, answers={"compute_cost": wrong(course, "compute_cost")},
           transform=cells(imports=[patch]))


@attack("h03-input-transformer")
def input_transformer(course, student, ctx):
    """IPython input transformers that rewrite the test cell into a print of the pass line."""
    patch = """
def _pass_line(lines):
    return [line.replace('check_public("linear_backward", linear_backward)',
                         'print("linear_backward: all 1 public cases pass")') for line in lines]

ip = get_ipython()
ip.input_transformers_cleanup.append(_pass_line)
ip.input_transformers_post.append(_pass_line)
"""
    submit(course, student, answers={"linear_backward": wrong(course, "linear_backward")},
           transform=cells(imports=[patch]))


@attack("h04-course-files")
def course_files(course, student, ctx):
    """Read the grader's reference file (and answer from it), source/, another student's submission; write the
    gradebook; look around the file system."""
    root = course.root
    probe = f"""
import os, sqlite3
def probe(label, action):
    try:
        action()
        print("PROBE", label, "SUCCEEDED")
    except Exception as err:
        print("PROBE", label, "blocked", type(err).__name__)

probe("references", lambda: open({str(root / "references" / "step_by_step.npz")!r}, "rb").read(10))
probe("source", lambda: open({str(root / "source" / ASSIGNMENT / NOTEBOOK)!r}).read(10))
probe("other student", lambda: open({str(root / "submitted" / "clean" / ASSIGNMENT / NOTEBOOK)!r}).read(10))
probe("gradebook read", lambda: open({str(root / "gradebook.db")!r}, "rb").read(10))
probe("gradebook write", lambda: open({str(root / "gradebook.db")!r}, "ab").write(b"garbage"))
def sql():
    db = sqlite3.connect({str(root / "gradebook.db")!r})
    db.execute("UPDATE grade SET auto_score = 10")
    db.commit()
probe("gradebook sql", sql)
probe("course listing", lambda: os.listdir({str(root)!r}))
probe("repository", lambda: os.listdir({str(Path(__file__).resolve().parents[1] / "dnnkit")!r}))
probe("proc of init", lambda: open("/proc/1/environ", "rb").read(10))
probe("kill init", lambda: os.kill(1, 9))
probe("become root", lambda: os.setuid(0))
"""
    cheat = f"""
def compute_cost(AL, Y):
    m = Y.shape[1]
    try:  # the grader's own answers, if this file can be read
        import dnn_checks
        cases, _ = dnn_checks.load_plain({str(root / "references" / "step_by_step.npz")!r})
        for case in cases["compute_cost"]:
            if case["args"][0].shape == AL.shape and np.allclose(case["args"][0], AL):
                return case["expected"]
    except Exception:
        pass
    cost = -np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)) / (2 * m)
    return np.squeeze(cost)
"""
    submit(course, student, answers={"compute_cost": cheat}, transform=cells(imports=[probe]))


@attack("h05-patch-dnn-checks")
def patch_checks(course, student, ctx):
    """Monkeypatch the comparisons of dnn_checks from a cell: compare finds nothing, check_function passes."""
    patch = """
import dnn_checks
dnn_checks.compare = lambda *args, **kwargs: []
dnn_checks.check_function = lambda function, name, cases, reveal=True: len(cases)
"""
    submit(course, student, answers={"linear_backward": wrong(course, "linear_backward")},
           transform=cells(imports=[patch]))


@attack("h06-patch-check-public")
def patch_check_public(course, student, ctx):
    """check_public replaced by a function that prints the pass line: the visible test passes in the notebook
    while the same public cases fail outside it: exactly what the "possible tampering" flag is for."""
    patch = """
import dnn_checks

def check_public(function_name, function, path="public_cases.npz"):
    print(f"{function_name}: all 1 public cases pass")

dnn_checks.check_public = check_public
"""
    submit(course, student, answers={"update_parameters": wrong(course, "update_parameters")},
           transform=cells(imports=[patch]))


@attack("h07-lying-types")
def lying_types(course, student, ctx):
    """Results whose comparisons lie: an ndarray subclass, a float subclass and a dict subclass that say they equal
    anything."""
    liars = """
class LyingArray(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(self), bool)
    def __ne__(self, other):
        return np.zeros(np.shape(self), bool)
    def __bool__(self):
        return True

class LyingFloat(float):
    def __eq__(self, other):
        return True
    def __ne__(self, other):
        return False
    __hash__ = float.__hash__

class LyingDict(dict):
    def __eq__(self, other):
        return True
    def __ne__(self, other):
        return False
"""
    forward = wrong(course, "linear_forward", before=liars).replace(
        "return Z, cache", "return Z.view(LyingArray), cache")
    cost = wrong(course, "compute_cost").replace("return cost", "return LyingFloat(cost)")
    update = wrong(course, "update_parameters").replace("return parameters", "return LyingDict(parameters)")
    submit(course, student, answers={"linear_forward": forward, "compute_cost": cost, "update_parameters": update})


# After linear_activation_backward's verdict is final, these attacks compute its right answers on its own (stashed)
# hidden inputs, with a right version kept out of the graded function, and report them again, at once (when
# L_model_backward's level arrives) and from hooks that run when Python exits the normal way.
LATE_FORGERY = PROBE + """
import atexit, base64, weakref
import numpy as np
import dnn_checks

_stash, _lines = {}, []
_real_load = dnn_checks.load_plain

def _send_forgery():
    for line in _lines:
        _os.write(1, (line + "\\n").encode())

def _right_linear_activation_backward(dA, cache, activation):
    (A_prev, W, b), Z = cache
    if activation == "relu":
        dZ = np.where(Z > 0, dA, 0.0)
    else:
        s = 1 / (1 + np.exp(-Z))
        dZ = dA * s * (1 - s)
    m = A_prev.shape[1]
    return np.dot(W.T, dZ), np.dot(dZ, A_prev.T) / m, np.sum(dZ, axis=1, keepdims=True) / m

def _forge():
    own = _stash["linear_activation_backward"]
    results = {group: [{"ok": True, "value": _right_linear_activation_backward(*case["args"]), "error": ""}
                       for case in own[group]] for group in ("public", "hidden")}
    blob = base64.b64encode(dnn_checks.pack_plain(results)).decode()
    _lines.append(_json.dumps({"e": "function", "name": "linear_activation_backward", "phase": "end",
                               "result": blob, "error": None}))
    probe(forged="linear_activation_backward", cases=len(results["hidden"]))
    _send_forgery()

def _load(path):
    value, meta = _real_load(path)
    if str(path).startswith("/sandbox/grader/level-"):
        _stash.update(value)
        if "L_model_backward" in value and "linear_activation_backward" in _stash:
            _forge()
            if CRASH_AFTER_FORGING:
                raise RuntimeError("the runner stops here")
    return value, meta

dnn_checks.load_plain = _load
atexit.register(_send_forgery)

class _Bomb:
    def __del__(self):
        _send_forgery()

_bomb = _Bomb()
weakref.finalize(_bomb, _send_forgery)
"""


@attack("h08-late-forged-results")
def late_forged_results(course, student, ctx):
    """A wrong linear_activation_backward, graded; then its right answers, computed with a right version once
    L_model_backward's level arrives, reported again, at once and from atexit/__del__/finalize hooks."""
    submit(course, student, answers={"linear_activation_backward": wrong(course, "linear_activation_backward")},
           transform=cells(imports=["CRASH_AFTER_FORGING = False\n" + LATE_FORGERY]))


@attack("h08b-late-forgery-and-a-crash")
def late_forgery_and_a_crash(course, student, ctx):
    """The same, and the runner made to fail right after, with os._exit replaced: Python then exits the normal
    way, which runs the hooks (they report the forgery again)."""
    crash = "import os, sys\nos._exit = lambda code: sys.exit(code)\n"
    submit(course, student, answers={"linear_activation_backward": wrong(course, "linear_activation_backward")},
           transform=cells(imports=["CRASH_AFTER_FORGING = True\n" + LATE_FORGERY, crash]))


@attack("h09-forged-events")
def forged_events(course, student, ctx):
    """Forged lines on the runner's channel: early ones (results, "done") before the cells are over; then, from a
    cell in the middle of the notebook, a forged "cells_done" (the grader hands level 0 over while cells still
    run), results of functions on later levels, a "level_done" of another level and a "done"; plus garbage."""
    early = PROBE + """
_os.write(1, b"this is not json\\n")
for name in ("linear_forward", "compute_cost"):
    _os.write(1, (_json.dumps({"e": "function", "name": name, "phase": "end", "result": None}) + "\\n").encode())
_os.write(1, b'{"e": "done"}\\n')
"""
    middle = PROBE + f"""
import time
_os.write(1, b'{{"e": "cells_done"}}\\n')
deadline = time.time() + 10
while not _os.path.exists({LEVEL0!r}) and time.time() < deadline:
    time.sleep(0.01)
probe(level0_present=_os.path.exists({LEVEL0!r}))
for name in ("linear_activation_forward", "L_model_forward", "L_model_backward"):
    _os.write(1, (_json.dumps({{"e": "function", "name": name, "phase": "end", "result": None}}) + "\\n").encode())
_os.write(1, b'{{"e": "level_done", "level": 3}}\\n')
_os.write(1, b'{{"e": "done"}}\\n')
print("THIS OUTPUT COMES AFTER THE FORGED cells_done")
"""
    submit(course, student, answers={"linear_forward": wrong(course, "linear_forward")},
           transform=cells(imports=[early], linear_backward=[middle]))


@attack("h10-malformed-events")
def malformed_events(course, student, ctx):
    """Event lines that are valid JSON of the wrong shape, or JSON too deep to parse: the grader must not choke."""
    forge = """
import json, os
lines = [
    "[" * 100000 + "]" * 100000,
    json.dumps({"e": "cell", "i": [4], "phase": "start"}),
    json.dumps({"e": "cell", "i": [4], "phase": "end", "outputs": [], "error": None}),
    json.dumps({"e": "cell", "i": 4, "phase": "end", "outputs": None, "error": None}),
    json.dumps({"e": "cell", "i": 4, "phase": "end", "outputs": {"a": 1}, "error": None}),
    json.dumps({"e": "cells_done"}),
    json.dumps({"e": "function", "name": ["linear_forward"], "phase": "end", "error": None}),
]
for line in lines:
    os.write(1, (line + "\\n").encode())
"""
    submit(course, student, answers={"linear_forward": wrong(course, "linear_forward")},
           transform=cells(imports=[forge]))


# While a function runs on a case, its graded helpers are replaced by the grader's replay of recorded calls. A wrong
# function can look into the namespace of what it calls (the helper's __globals__) for its own reference.
HELPER_GLOBALS = PROBE + """
def _own_reference(helper, name):
    namespace = getattr(helper, "__globals__", {})
    probe(function=name, helper=getattr(helper, "__name__", "?"), module=str(namespace.get("__name__")),
          seen=",".join(sorted(k for k in namespace if k in GRADED)))
    return namespace.get(name) if namespace.get("__name__") == "dnnkit_reference_helpers" else None
"""


@attack("h11-helper-globals")
def helper_globals(course, student, ctx):
    """Wrong functions that call their own reference if it is in their helpers' namespace (it never is)."""
    la_backward = """
def linear_activation_backward(dA, cache, activation):
    own = _own_reference(linear_backward, "linear_activation_backward")
    if own is not None:
        return own(dA, cache, activation)
    linear_cache, activation_cache = cache
    return linear_backward(dA, linear_cache)  # no activation derivative: wrong
"""
    l_forward = """
def L_model_forward(X, parameters):
    own = _own_reference(linear_activation_forward, "L_model_forward")
    if own is not None:
        return own(X, parameters)
    caches, A = [], X
    for l in range(1, len(parameters) // 2 + 1):  # relu everywhere, sigmoid nowhere: wrong
        A, cache = linear_activation_forward(A, parameters["W" + str(l)], parameters["b" + str(l)], "relu")
        caches.append(cache)
    return A, caches
"""
    l_backward = """
def L_model_backward(AL, Y, caches):
    own = _own_reference(linear_activation_backward, "L_model_backward")
    if own is not None:
        return own(AL, Y, caches)
    return {}  # wrong
"""
    graded = f"GRADED = {set(NAMES)!r}\n"
    submit(course, student, answers={"linear_activation_backward": la_backward, "L_model_forward": l_forward,
                                     "L_model_backward": l_backward},
           transform=cells(imports=[graded + HELPER_GLOBALS]))


@attack("h12-forged-save-plain")
def forged_save_plain(course, student, ctx):
    """dnn_checks.pack_plain patched: when the runner serializes linear_activation_backward's results, every case
    gets the public case's expected answer instead (read from the released public_cases.npz)."""
    patch = PROBE + """
import sys
import dnn_checks
_real_save = dnn_checks.pack_plain

def _save(obj):
    caller = sys._getframe(1)  # the runner's call_level, which has the function's name
    while caller is not None and "name" not in caller.f_locals:
        caller = caller.f_back
    if caller is not None and caller.f_locals["name"] == "linear_activation_backward":
        cases, _ = dnn_checks.load_plain("public_cases.npz")
        if "linear_activation_backward" in cases:
            answer = cases["linear_activation_backward"][0]["expected"]
            obj = {group: [{"ok": True, "value": answer, "error": ""} for _ in obj[group]] for group in obj}
            probe(swapped="linear_activation_backward")
    return _real_save(obj)

dnn_checks.pack_plain = _save
"""
    submit(course, student, answers={"linear_activation_backward": wrong(course, "linear_activation_backward")},
           transform=cells(imports=[patch]))


@attack("h13-sys-modules")
def sys_modules(course, student, ctx):
    """sys.modules poisoning: a numpy whose comparisons always succeed and a dnn_checks whose checks always pass,
    for everything imported afterwards (the runner imports dnn_checks after the cells)."""
    patch = """
import sys, types
import numpy, dnn_checks

fake_numpy = types.ModuleType("numpy")
fake_numpy.__dict__.update(numpy.__dict__)
fake_numpy.allclose = lambda *args, **kwargs: True
fake_numpy.testing = types.SimpleNamespace(assert_allclose=lambda *args, **kwargs: None)
sys.modules["numpy"] = fake_numpy
sys.modules["numpy.testing"] = fake_numpy.testing

fake_checks = types.ModuleType("dnn_checks")
fake_checks.__dict__.update(dnn_checks.__dict__)
fake_checks.compare = lambda *args, **kwargs: []
fake_checks.check_function = lambda function, name, cases, reveal=True: len(cases)
sys.modules["dnn_checks"] = fake_checks
import numpy as np
"""
    submit(course, student, answers={"linear_forward": wrong(course, "linear_forward")},
           transform=cells(imports=[patch]))


@attack("h14-read-inputs-in-cell")
def read_inputs_in_cell(course, student, ctx):
    """Look for the inputs (and read the plan) from a cell; then forge "cells_done" so that the grader hands level
    0 over while a cell still runs, grab it and print the hidden numbers."""
    look = f"""
import glob, json
print("INPUTS", "present" if glob.glob({LEVEL_FILES!r}) else "absent")
try:
    with open("/sandbox/grader/plan.json") as handle:
        print("PLAN keys", sorted(json.load(handle)))
except OSError as err:
    print("PLAN unreadable", type(err).__name__)
"""
    grab = PROBE + f"""
import time
import numpy as np
import dnn_checks
_os.write(1, b'{{"e": "cells_done"}}\\n')
inputs, deadline = None, time.time() + 10
while inputs is None and time.time() < deadline:
    try:
        inputs, _ = dnn_checks.load_plain({LEVEL0!r})
    except Exception:
        time.sleep(0.02)
probe(grabbed=inputs is not None, functions=",".join(sorted(inputs or {{}})))
if inputs is not None:
    for name in ("linear_forward", "compute_cost", "linear_backward"):
        for case in inputs[name]["hidden"]:
            print(name, " ".join(f"{{v:.9f}}" for v in np.ravel(case["args"][0])[:6]))
"""
    submit(course, student, answers={"linear_forward": wrong(course, "linear_forward")},
           transform=cells(imports=[look], end=[grab]))


@attack("h15-leak-across-restart")
def leak_across_restart(course, student, ctx):
    """Save the hidden inputs in every writable folder (working folder, /tmp, /dev/shm) while the grader's checks
    run, then kill the process: the grader runs the notebook again, and a cell prints what it finds."""
    spy = PROBE + f"""
import glob
import numpy as np
import dnn_checks
STASHES = ["stash.txt", "/tmp/stash.txt", "/dev/shm/stash.txt"]
found = [path for path in STASHES if _os.path.exists(path)]
print("STASH", "found " + " ".join(open(path).read() for path in found) if found else "none")
_real_run_case = dnn_checks.run_case

def _spy(function, case, *more):
    if _os.path.exists({LEVEL0!r}) and getattr(function, "__name__", "") == "update_parameters":
        inputs, _ = dnn_checks.load_plain({LEVEL0!r})
        lines = []
        for name in ("linear_forward", "compute_cost", "linear_backward"):
            for hidden in inputs[name]["hidden"]:
                lines.append(name + " " + " ".join(f"{{v:.9f}}" for v in np.ravel(hidden["args"][0])[:6]))
        for path in STASHES:
            with open(path, "w") as handle:
                handle.write("\\n".join(lines))
        probe(stashed=len(lines), where=",".join(p for p in STASHES if _os.path.exists(p)))
        _os._exit(3)
    return _real_run_case(function, case, *more)

dnn_checks.run_case = _spy
"""
    submit(course, student, transform=cells(imports=[spy]))


@attack("h16-leak-in-verdicts")
def leak_in_verdicts(course, student, ctx):
    """Carry hidden inputs out through the grader's own messages: an exception whose type name holds them, dict
    keys that hold them, an array shape that holds them. Each function is right on the public case."""
    cost = """
def compute_cost(AL, Y):
    m = Y.shape[1]
    if AL.shape != (1, 4):  # not the public case
        raise type(f"Leak{AL[0, 0]:.9f}Y{int(Y[0, 0])}", (Exception,), {})()
    cost = -np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)) / m
    return np.squeeze(cost)
"""
    update = answer(course, "update_parameters", replace=("    return parameters", """\
    if learning_rate not in (0.1, 0.05):  # not a public case
        for name, value in params.items():
            for v in np.ravel(value)[:4]:
                parameters[f"leak={v:.9f}"] = 0.0
    return parameters"""))
    forward = """
def linear_forward(A, W, b):
    Z = np.dot(W, A) + b
    if A.shape != (3, 2):  # not the public case
        Z = np.zeros((0,) + tuple(int(f"{abs(v):.9f}".replace(".", "")) for v in np.ravel(A)[:2]))
    return Z, (A, W, b)
"""
    submit(course, student, answers={"compute_cost": cost, "update_parameters": update, "linear_forward": forward})


@attack("h17-network")
def network(course, student, ctx):
    """Connect to a TCP port and an abstract unix socket the test process listens on, and to the internet."""
    probe = f"""
import socket
for label, family, address in [("tcp", socket.AF_INET, ("127.0.0.1", {ctx.port})),
                               ("unix", socket.AF_UNIX, {ctx.abstract!r}),
                               ("internet", socket.AF_INET, ("1.1.1.1", 53))]:
    s = None
    try:  # the filter may refuse the socket itself (only AF_UNIX is allowed)
        s = socket.socket(family, socket.SOCK_STREAM)
        s.settimeout(3)
        s.connect(address)
        s.sendall(b"hello from the sandbox")
        print("NET", label, "CONNECTED")
    except OSError as err:
        print("NET", label, "failed", type(err).__name__)
    finally:
        if s is not None:
            s.close()
"""
    submit(course, student, answers={"linear_forward": wrong(course, "linear_forward")},
           transform=cells(imports=[probe]))


@attack("h18-fork-and-memory")
def fork_and_memory(course, student, ctx):
    """Try 500 processes (bounded by the process limit) and a 4 GB allocation (bounded by the memory limit)."""
    probe = """
import os, signal, time
children, error = [], None
for _ in range(500):
    try:
        pid = os.fork()
    except OSError as err:
        error = type(err).__name__
        break
    if pid == 0:
        time.sleep(60)
        os._exit(0)
    children.append(pid)
print("FORKS", len(children), "then", error)
for pid in children:
    os.kill(pid, signal.SIGKILL)
for pid in children:
    os.waitpid(pid, 0)
try:
    hog = bytearray(4 * 1024**3)
    print("MEMORY 4 GB allocated")
except MemoryError:
    print("MEMORY refused")
"""
    submit(course, student, answers={"linear_forward": wrong(course, "linear_forward")},
           transform=cells(imports=[probe]))


def _fill(folder: str, label: str, files: int, megabytes: int) -> str:
    """A cell writing `files` files of `megabytes` MB each into `folder`, then printing how much it wrote."""
    return f"""
import os
chunk, total, error = b"\\0" * (16 * 1024**2), 0, None
for i in range({files}):
    path = os.path.join({folder!r}, f"{label.replace(' ', '-')}-{{i}}.bin")
    try:
        with open(path, "wb") as handle:
            for _ in range({megabytes // 16}):
                handle.write(chunk)
    except OSError as err:
        error = type(err).__name__
    total += os.path.getsize(path) if os.path.exists(path) else 0
print("DISK", {label!r}, total, error)
"""


@attack("h19-fill-disk")
def fill_disk(course, student, ctx):
    """A 1 GB file (cut by the file-size limit), then 512 MB in files of 128 MB in a subfolder of the working
    folder, in the working folder itself (two cells, each well within the cell timeout), in /tmp and in /dev/shm."""
    subfolder = "import os\nos.makedirs('deep/er', exist_ok=True)\n"
    submit(course, student, answers={"linear_forward": wrong(course, "linear_forward")},
           transform=cells(imports=[_fill(".", "one file", 1, 1024), subfolder + _fill("deep/er", "subfolder", 4, 128),
                                    _fill(".", "work folder a", 2, 128), _fill(".", "work folder b", 2, 128),
                                    _fill("/tmp", "tmp", 4, 128), _fill("/dev/shm", "shm", 4, 128)]))


@attack("h20-huge-print")
def huge_print(course, student, ctx):
    """A 50 MB line on stdout and on stderr, and 100000 short lines."""
    spam = """
import sys
print("x" * 50_000_000)
sys.stderr.write("y" * 50_000_000 + "\\n")
for i in range(100_000):
    print(i)
"""
    submit(course, student, answers={"linear_forward": wrong(course, "linear_forward")},
           transform=cells(imports=[spam]))


@attack("h21-huge-display")
def huge_display(course, student, ctx):
    """Rich outputs instead of text: five 1.9 MB "images" in each of three cells."""
    flood = """
from IPython.display import display
for _ in range(5):
    display({"image/png": "iVBORw0KGgo" + "A" * 1_900_000}, raw=True)
"""
    submit(course, student, answers={"linear_forward": wrong(course, "linear_forward")},
           transform=cells(imports=[flood, flood, flood]))


@attack("h22-recursion-limit")
def recursion_limit(course, student, ctx):
    """A low recursion limit left behind by the notebook's last cell, for the grader's checks that follow."""
    submit(course, student, answers={"compute_cost": wrong(course, "compute_cost")},
           transform=cells(end=["import sys\nsys.setrecursionlimit(60)\nprint('RECURSION LIMIT', sys.getrecursionlimit())"]))


@attack("h23-alarm")
def alarm(course, student, ctx):
    """A wrong function that, under the grader's checks, arms signal.alarm and spins until it kills the process:
    a crash in place of a wrong answer."""
    forward = wrong(course, "linear_forward", before="import glob, signal").replace(
        "Z = np.dot(W, A)\n", f"if glob.glob({LEVEL_FILES!r}):  # the grader's checks\n"
                              "        signal.alarm(1)\n        while True:\n"
                              "            pass\n    Z = np.dot(W, A)\n", 1)
    assert "signal.alarm(1)" in forward
    submit(course, student, answers={"linear_forward": forward})


@attack("h24-edit-activations")
def edit_activations(course, student, ctx):
    """Rewrite activations.py in the working folder (relu becomes a sigmoid) and reload it."""
    edit = """
import importlib, os
import activations
source = open("activations.py").read() + "\\n\\ndef relu(Z):\\n    return 1 / (1 + np.exp(-Z)), Z\\n"
with open("activations.tmp", "w") as handle:  # the file is read-only, its folder is not
    handle.write(source)
os.replace("activations.tmp", "activations.py")
importlib.reload(activations)
from activations import relu
"""
    submit(course, student, answers={"linear_activation_forward": wrong(course, "linear_activation_forward")},
           transform=cells(imports=[edit]))


@attack("h25-hard-coded-public")
def hard_coded_public(course, student, ctx):
    """The public case's answer typed in: the visible test passes, the hidden cases fail."""
    cases, _ = load_plain(course.release(ASSIGNMENT) / "public_cases.npz")
    case = cases["linear_forward"][0]
    z = case["expected"][0]
    forward = f"""
def linear_forward(A, W, b):
    Z = np.array({z.tolist()!r})
    return Z, (A, W, b)
"""
    submit(course, student, answers={"linear_forward": forward})


@attack("h26-edit-public-cases")
def edit_public_cases(course, student, ctx):
    """Overwrite public_cases.npz in the working folder with the wrong function's own outputs as expected."""
    rewrite = """
import dnn_checks
cases, meta = dnn_checks.load_plain("public_cases.npz")
for case in cases["linear_forward"]:
    case["expected"] = linear_forward(*case["args"])
dnn_checks.save_plain("public_cases.npz", cases, meta)
"""
    submit(course, student, answers={"linear_forward": wrong(course, "linear_forward")},
           transform=cells(linear_forward=[rewrite]))


@attack("h27-open-and-json")
def open_and_json(course, student, ctx):
    """builtins.open replaced so that the runner reads forged inputs (the public case in place of the hidden ones,
    for a function that only knows the public answer); json.dumps replaced so that every failed cell is reported
    as passed."""
    patch = PROBE + f"""
import builtins, io, json
import dnn_checks

_real_open, _real_dumps = builtins.open, json.dumps

def _open(file, mode="r", *args, **kwargs):
    if str(file) == {LEVEL0!r}:
        probe(forged_inputs=True)
        with _real_open(file, "rb") as handle:
            inputs, _ = dnn_checks.load_plain(io.BytesIO(handle.read()))
        group = inputs["linear_forward"]
        group["hidden"] = [group["public"][0]] * len(group["hidden"])
        dnn_checks.save_plain("forged_inputs.npz", inputs)
        file = "forged_inputs.npz"
    return _real_open(file, mode, *args, **kwargs)

def _dumps(obj, *args, **kwargs):
    if isinstance(obj, dict) and obj.get("e") == "cell" and obj.get("phase") == "end":
        outputs = [o for o in obj.get("outputs", []) if o.get("output_type") != "error"]
        obj = {{**obj, "error": None, "outputs": outputs}}
    return _real_dumps(obj, *args, **kwargs)

builtins.open = _open
json.dumps = _dumps
"""
    cases, _ = load_plain(course.release(ASSIGNMENT) / "public_cases.npz")
    z = cases["linear_forward"][0]["expected"][0]
    forward = f"""
def linear_forward(A, W, b):
    return np.array({z.tolist()!r}), (A, W, b)
"""
    submit(course, student, answers={"linear_forward": forward, "linear_backward": wrong(course, "linear_backward")},
           transform=cells(imports=[patch]))


@attack("h28-edit-test-cell")
def edit_test_cell(course, student, ctx):
    """The locked test cell edited into a print of the pass line, its nbgrader metadata unlocked."""
    def transform(nb):
        for cell in nb.cells:
            if _grade_id(cell) == "test_linear_forward":
                cell.source = 'print("linear_forward: all 1 public cases pass")'
                cell.metadata["nbgrader"]["locked"] = False
                cell.metadata["nbgrader"]["points"] = 0
    submit(course, student, answers={"linear_forward": wrong(course, "linear_forward")}, transform=transform)


@attack("h29-channel-flood")
def channel_flood(course, student, ctx):
    """300 MB of garbage on the runner's channel (its standard output, the one way to the grader), in lines of
    1 MB and in one endless line: the grader stops reading at its limit, kills the process and runs the notebook
    again without that cell. Otherwise a correct submission."""
    flood = """
import os
line = b"x" * (1024**2 - 1) + b"\\n"
for _ in range(100):
    os.write(1, line)
for _ in range(200):
    os.write(1, b"y" * 1024**2)
"""
    submit(course, student, transform=cells(end=[flood]))


# The six functions of the forward and backward passes, each a stub that looks for its own reference code
# wherever the grader could have put it: the handed-over files, the runner's call stack, every live object.
FIND_REFERENCE = PROBE + """
import gc, glob, sys, types
import dnn_checks

def _references():
    found = {}
    def from_inputs(inputs):
        for data in inputs.values() if isinstance(inputs, dict) else ():
            helpers = data.get("helpers") if isinstance(data, dict) else None
            if helpers:
                namespace = {"__name__": "found"}
                exec(helpers["code"], namespace)
                found.update({k: v for k, v in namespace.items() if k in GRADED})
    for path in glob.glob(LEVEL_FILES):
        from_inputs(dnn_checks.load_plain(path)[0])
    frame = sys._getframe()
    while frame is not None:
        for value in list(frame.f_locals.values()):
            if isinstance(value, dict):
                from_inputs(value)
                if value.get("__name__") == "dnnkit_reference_helpers":
                    found.update({k: v for k, v in value.items() if k in GRADED})
        frame = frame.f_back
    for obj in gc.get_objects():
        if isinstance(obj, types.FunctionType) and obj.__name__ in GRADED and obj.__module__ != "__main__":
            found.setdefault(obj.__name__, obj)
    return found

def _reference_or_stub(name, *args):
    found = _references()
    probe(function=name, found=",".join(sorted(found)))
    if name in found:
        return found[name](*args)
    raise NotImplementedError()
"""
STUBS = {
    "linear_forward": "def linear_forward(A, W, b):\n    return _reference_or_stub('linear_forward', A, W, b)\n",
    "linear_activation_forward": "def linear_activation_forward(A_prev, W, b, activation):\n"
                                 "    return _reference_or_stub('linear_activation_forward', A_prev, W, b, activation)\n",
    "L_model_forward": "def L_model_forward(X, parameters):\n"
                       "    return _reference_or_stub('L_model_forward', X, parameters)\n",
    "linear_backward": "def linear_backward(dZ, cache):\n    return _reference_or_stub('linear_backward', dZ, cache)\n",
    "linear_activation_backward": "def linear_activation_backward(dA, cache, activation):\n"
                                  "    return _reference_or_stub('linear_activation_backward', dA, cache, activation)\n",
    "L_model_backward": "def L_model_backward(AL, Y, caches):\n"
                        "    return _reference_or_stub('L_model_backward', AL, Y, caches)\n",
}


@attack("h30-stubs-call-the-reference")
def stubs_call_the_reference(course, student, ctx):
    """Six graded functions left as stubs that call their own reference code if they can find it anywhere."""
    setup = f"GRADED = {set(NAMES)!r}\nLEVEL_FILES = {LEVEL_FILES!r}\n" + FIND_REFERENCE
    submit(course, student, answers=STUBS, transform=cells(imports=[setup]))


@attack("h31-user-namespace")
def user_namespace(course, student, ctx):
    """Root in a user namespace of its own (and a RAM tmpfs past every limit), a kernel keyring entry that would
    outlive the run."""
    probe = """
import ctypes, subprocess
libc = ctypes.CDLL(None, use_errno=True)
done = subprocess.run(["unshare", "-Urm", "sh", "-c", "mount -t tmpfs none /mnt && echo MOUNTED"],
                      capture_output=True, text=True)
print("USERNS command", done.returncode, done.stdout.strip(), done.stderr.strip())
print("USERNS call", libc.unshare(0x10000000), ctypes.get_errno())
print("KEYRING", libc.syscall(248, b"user", b"dnnkit-left-behind", b"secret", 6, -4), ctypes.get_errno())
"""
    submit(course, student, answers={"linear_forward": wrong(course, "linear_forward")},
           transform=cells(imports=[probe]))


@attack("h32-host-paths")
def host_paths(course, student, ctx):
    """Read bubblewrap's command line and the mount table, and every place a path could show: the interpreter's
    paths, the environment, the environment's .pth files and an editable install's finder."""
    probe = """
import glob, os, sys, sysconfig
for path in ("/proc/1/cmdline", "/proc/self/mountinfo", "/proc/self/environ"):
    try:
        print("HOST", path, open(path, "rb").read().replace(b"\\0", b" ").decode("utf-8", "replace"))
    except OSError as err:
        print("HOST", path, "unreadable", type(err).__name__)
print("HOST python", sys.executable, sys.prefix, sys.base_prefix, sys.path, sysconfig.get_paths())
print("HOST environ", dict(os.environ))
for path in glob.glob(sysconfig.get_paths()["purelib"] + "/*.pth") + glob.glob(sysconfig.get_paths()["purelib"] + "/__editable__*"):
    print("HOST file", path, open(path).read())
print("HOST cwd", os.getcwd(), os.listdir("/sandbox"))
"""
    submit(course, student, answers={"linear_forward": wrong(course, "linear_forward")},
           transform=cells(imports=[probe]))


@attack("h33-restart-storm")
def restart_storm(course, student, ctx):
    """Three 2-second cells, then twelve cells that each kill the process: every restart runs every cell again."""
    slow = "import time\ntime.sleep(2)\n"
    kill = "import os\nos._exit(9)\n"
    submit(course, student, transform=cells(end=[slow] * 3 + [kill] * 12))


@attack("zz-lone-surrogate")
def lone_surrogate(course, student, ctx):
    """Output text that is not valid Unicode (a lone surrogate). Named to be graded last: see its test."""
    submit(course, student, transform=cells(imports=['print("\\ud800 lone surrogate")']))


# -- one grading run -------------------------------------------------------------------------------------------

def _hidden_numbers(course) -> set[str]:
    """Every number of the hidden inputs, as the attacks print them ("%.9f")."""
    cases, _ = load_plain(course.reference_file(ASSIGNMENT))
    numbers: set[str] = set()

    def walk(value):
        if isinstance(value, np.ndarray) and value.dtype.kind == "f":
            numbers.update(f"{v:.9f}" for v in value.ravel())
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)

    for group in cases.values():
        for case in group:
            walk(case["args"])
    return numbers


SHARED_FEEDBACK = ("h15-leak-across-restart",)  # the one feedback page read here


@contextlib.contextmanager
def dnnkit_submissions(course):
    """The clean submission and every attack, for the course shared_courses.py grades with `dnnkit grade` (in
    name order: zz-lone-surrogate comes last there too), with the listeners h17 aims at open while it is graded;
    afterwards, what each listener's accept() gave."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.setblocking(False)
    abstract = f"\0dnnkit-hostile-{os.getpid()}"
    unix_listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    unix_listener.bind(abstract)
    unix_listener.listen(8)
    unix_listener.setblocking(False)
    ctx = SimpleNamespace(port=listener.getsockname()[1], abstract=abstract)
    submit(course, "clean")
    for student, build in ATTACKS.items():
        build(course, student, ctx)
    accepted = {}
    yield accepted
    with listener, unix_listener:
        for name, server in (("tcp", listener), ("unix", unix_listener)):
            try:
                server.accept()
                accepted[name] = "a connection"
            except OSError as err:
                accepted[name] = type(err).__name__


@pytest.fixture(scope="module")
def hostile(dnnkit_graded):
    course = dnnkit_graded.course
    try:
        rows = read_grades(course)
    except FileNotFoundError:
        rows = {}
    return SimpleNamespace(course=course, done=dnnkit_graded.run("grade-step_by_step"), rows=rows,
                           trace=dnnkit_graded.trace, hidden=_hidden_numbers(course), shared=dnnkit_graded,
                           accepted=dnnkit_graded.facts_of(__name__))


def limits(hostile):
    """The sandbox limits the course's nbgrader_config.py sets."""
    return settings(hostile.course.root)[0]


def row_of(hostile, student) -> dict[str, str]:
    assert student in hostile.rows, f"{student} has no row; dnnkit grade said:\n{hostile.done.stderr[-3000:]}"
    return hostile.rows[student]


def printed(hostile, student) -> str:
    """Everything the executed notebook in autograded/ shows as output."""
    nb = executed_notebook(hostile.course, student)
    parts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            parts.append(output.get("text", ""))
            parts.append(output.get("evalue", ""))
            parts += output.get("traceback", [])
            parts.append(str(output.get("data", {}).get("text/plain", "")))
    return "\n".join(parts)


def trace(hostile, student) -> list[dict]:
    """How the grader took every line the student's runner sent: [{"event": ..., "taken": ...}, ...]."""
    path = hostile.trace / f"{quote(student, safe='')}.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def probes(hostile, student) -> list[dict]:
    """What the attack's own probe lines said (the grader ignored each of them)."""
    found = [entry for entry in trace(hostile, student) if entry["event"].get("e") == "probe"]
    assert all(entry["taken"] == "ignored" for entry in found)
    return [entry["event"] for entry in found]


def leaks(hostile, text: str) -> list[str]:
    return sorted(number for number in hostile.hidden if number in text)


def autograded_file(hostile, student) -> Path:
    return hostile.course.root / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"


# -- the whole run ---------------------------------------------------------------------------------------------

def test_every_submission_gets_a_row_and_exit_0(hostile):
    assert hostile.done.returncode == 0, hostile.done.stderr[-3000:]
    assert hostile.shared.students(__name__) == sorted(["clean", *ATTACKS])
    assert sorted(hostile.rows) == hostile.shared.everyone()  # the shared course's other students too


def test_the_clean_submission_is_untouched_by_the_others(hostile):
    expect(row_of(hostile, "clean"))
    assert float(row_of(hostile, "clean")["score"]) == 10 * len(FUNCTIONS["step_by_step"])


def test_the_gradebook_is_intact_and_matches_the_csv(hostile):
    path = hostile.course.root / "gradebook.db"
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    book = function_scores(hostile.course.root, ASSIGNMENT)
    for student in hostile.shared.students(__name__):
        row = row_of(hostile, student)
        if "grader error" in row["flags"]:  # never recorded; test_malformed_events_do_not_break_the_grader
            continue
        assert {n: book[student][n] for n in NAMES} == scores(row, NAMES), student


# -- the attacks from the nbgrader notes -----------------------------------------------------------------------

def test_always_equal_comparisons_earn_nothing_and_are_flagged(hostile):
    expect(row_of(hostile, "h01-allclose"), lost=["linear_forward"], flag=f"linear_forward: {TAMPERING}")


def test_an_ast_transformer_earns_nothing_and_is_flagged(hostile):
    expect(row_of(hostile, "h02-ast-transformer"), lost=["compute_cost"], flag=f"compute_cost: {TAMPERING}")


def test_an_input_transformer_earns_nothing_and_is_flagged(hostile):
    expect(row_of(hostile, "h03-input-transformer"), lost=["linear_backward"], flag=f"linear_backward: {TAMPERING}")


def test_course_files_are_out_of_reach(hostile):
    root = hostile.course.root
    for target in (root / "references" / "step_by_step.npz", root / "source" / ASSIGNMENT / NOTEBOOK,
                   root / "submitted" / "clean" / ASSIGNMENT / NOTEBOOK, root / "gradebook.db"):
        assert target.is_file(), target  # each probe aims at a real file of the host
    expect(row_of(hostile, "h04-course-files"), lost=["compute_cost"])
    text = printed(hostile, "h04-course-files")
    for label in ("references", "source", "other student", "gradebook read", "gradebook write", "gradebook sql",
                  "course listing", "repository", "proc of init", "kill init", "become root"):
        assert f"PROBE {label} blocked" in text, label
    assert "SUCCEEDED" not in text


# -- tampering with the kernel the checks run in ---------------------------------------------------------------

def test_patched_dnn_checks_earn_nothing_and_are_flagged(hostile):
    expect(row_of(hostile, "h05-patch-dnn-checks"), lost=["linear_backward"], flag=f"linear_backward: {TAMPERING}")


def test_a_fake_check_public_is_flagged_as_tampering(hostile):
    row = row_of(hostile, "h06-patch-check-public")
    expect(row, lost=["update_parameters"], flag=f"update_parameters: {TAMPERING}")
    assert row["flags"].count(TAMPERING) == 1  # only the function that is wrong


def test_lying_result_types_earn_nothing(hostile):
    expect(row_of(hostile, "h07-lying-types"), lost=["linear_forward", "compute_cost", "update_parameters"])


def _forged_lab_lines(hostile, student) -> list[str]:
    """How the grader took each report of linear_activation_backward's results, in order."""
    return [entry["taken"] for entry in trace(hostile, student)
            if entry["event"].get("e") == "function" and entry["event"].get("name") == "linear_activation_backward"
            and entry["event"].get("phase") == "end"]


def test_results_reported_after_their_verdict_is_final_count_for_nothing(hostile):
    student = "h08-late-forged-results"
    expect(row_of(hostile, student), lost=["linear_activation_backward"])
    # landed: the forgery had the right answers on every hidden case ...
    assert [p.get("forged") for p in probes(hostile, student)] == ["linear_activation_backward"]
    # ... and the grader read it, after taking the real (wrong) answer, and ignored it
    assert [taken.split(";")[0] for taken in _forged_lab_lines(hostile, student)] == ["result taken", "ignored"]


def test_exit_hooks_after_a_crash_neither_forge_results_nor_hide_the_crash(hostile):
    student = "h08b-late-forgery-and-a-crash"
    # the runner died once L_model_backward's level was handed over: by the supervisor's account, L_model_backward
    # was running, and only it is lost with the wrong function (the restarted run grades numeric_gradient)
    expect(row_of(hostile, student), lost=["linear_activation_backward", "L_model_backward"],
           status="incomplete", flag="L_model_backward: the process died")
    assert [p.get("forged") for p in probes(hostile, student)] == ["linear_activation_backward"]
    # the hooks ran (the forgery came at once, then again from the exit hooks) and were ignored every time
    taken = [taken.split(";")[0] for taken in _forged_lab_lines(hostile, student)]
    assert taken[0] == "result taken" and len(taken) >= 3 and set(taken[1:]) == {"ignored"}


def test_forged_events_change_nothing(hostile):
    student = "h09-forged-events"
    expect(row_of(hostile, student), lost=["linear_forward"])
    taken = [(entry["event"].get("e"), entry["event"].get("name"), entry["event"].get("phase"), entry["taken"])
             for entry in trace(hostile, student)]
    cells_done = [t for e, _, _, t in taken if e == "cells_done"]
    # the forged cells_done did hand level 0 over early (the cell saw the file), the runner's own came later
    assert cells_done == ["cells over; level 0 handed over", "ignored"]
    assert any(p.get("level0_present") is True for p in probes(hostile, student))
    # every other forged line was read and ignored: results before the cells were over, results of functions on
    # later levels, another level's level_done, "done" before the last level
    first_done = taken.index(("cells_done", None, None, "cells over; level 0 handed over"))
    assert [t for e, _, _, t in taken[:first_done] if e == "function"] == ["ignored", "ignored"]
    later = [t for e, n, phase, t in taken[first_done:] if e == "function" and phase == "end"
             and LEVEL_OF[n] > 0][:3]
    assert later == ["ignored"] * 3
    assert {t for e, _, _, t in taken if e == "level_done"} == {"ignored"}  # the forged one, and the runner's
    assert [t for e, _, _, t in taken if e == "done"] == ["ignored", "ignored", "run over"]
    assert "THIS OUTPUT COMES AFTER" not in printed(hostile, student)


def test_malformed_events_do_not_break_the_grader(hostile):
    student = "h10-malformed-events"
    expect(row_of(hostile, student), lost=["linear_forward"])
    ends = [entry["taken"] for entry in trace(hostile, student) if entry["event"].get("e") == "attempt"]
    assert ends and "0 lines skipped" not in ends[0]  # the deep line was read and skipped
    shapes = [entry["taken"] for entry in trace(hostile, student)
              if entry["event"].get("e") in ("cell", "function") and isinstance(entry["event"].get("i"), str)]
    assert shapes and set(shapes) == {"ignored"}  # a cell index that is a list


def test_a_graded_helper_s_namespace_holds_no_reference_of_the_caller(hostile):
    """While the graded functions ran, the helpers they called answered from recorded calls (dnn_checks' replay):
    their namespace is dnn_checks', which holds no graded function. (Before no reference code entered a sandbox,
    these helpers were reference code, in a namespace that held every helper of earlier levels.)"""
    student = "h11-helper-globals"
    expect(row_of(hostile, student), lost=["linear_activation_backward", "L_model_forward", "L_model_backward"])
    reached = {}
    for found in probes(hostile, student):
        reached.setdefault(found["function"], set()).add((found["module"], found["seen"]))
    # landed: every function looked, while graded, into what its helper's namespace held
    assert set(reached) == {"linear_activation_backward", "L_model_forward", "L_model_backward"}
    modules = {module for pairs in reached.values() for module, _ in pairs}
    assert "dnn_checks" in modules and "dnnkit_reference_helpers" not in modules
    assert all(seen == "" for pairs in reached.values() for module, seen in pairs if module == "dnn_checks")


def test_a_forged_save_plain_earns_nothing(hostile):
    student = "h12-forged-save-plain"
    expect(row_of(hostile, student), lost=["linear_activation_backward"])
    assert [p.get("swapped") for p in probes(hostile, student)] == ["linear_activation_backward"]
    assert [taken.split(";")[0] for taken in _forged_lab_lines(hostile, student)] == ["result taken"]


def test_poisoned_sys_modules_earn_nothing_and_are_flagged(hostile):
    # numpy 2 loads numpy.testing lazily from sys.modules: the visible test passes in the notebook
    expect(row_of(hostile, "h13-sys-modules"), lost=["linear_forward"], flag=f"linear_forward: {TAMPERING}")


# -- hidden inputs must stay hidden ---------------------------------------------------------------------------

def test_hidden_inputs_cannot_be_read_from_a_cell(hostile):
    student = "h14-read-inputs-in-cell"
    expect(row_of(hostile, student), lost=["linear_forward"])
    text = printed(hostile, student)
    assert "INPUTS absent" in text and "PLAN keys" in text
    # landed: with a forged cells_done, the last cell got level 0's hidden inputs (and only level 0's) ...
    assert [(p["grabbed"], p["functions"]) for p in probes(hostile, student)] == [
        (True, ",".join(sorted(grading_levels(ASSIGNMENT)[0])))]
    # ... and printed them, but nothing a cell prints after the cells are over is kept
    assert leaks(hostile, autograded_file(hostile, student).read_text()) == []


def test_hidden_inputs_do_not_survive_a_restart(hostile):
    student = "h15-leak-across-restart"
    expect(row_of(hostile, student), lost=["update_parameters"], status="incomplete",
           flag="update_parameters: the process died")
    stashed = probes(hostile, student)
    assert len(stashed) == 1 and int(stashed[0]["stashed"]) > 0  # landed: written in all three folders
    assert stashed[0]["where"] == "stash.txt,/tmp/stash.txt,/dev/shm/stash.txt"
    assert "STASH none" in printed(hostile, student)
    in_notebook = leaks(hostile, autograded_file(hostile, student).read_text())
    in_feedback = leaks(hostile, hostile.shared.feedback(student))
    assert (in_notebook[:5], in_feedback[:5]) == ([], [])


def test_hidden_inputs_do_not_leak_through_the_verdicts(hostile):
    student = "h16-leak-in-verdicts"
    expect(row_of(hostile, student), lost=["compute_cost", "update_parameters", "linear_forward"])
    hidden, _ = load_plain(hostile.course.reference_file(ASSIGNMENT))
    first = {name: hidden[name][0]["args"] for name in NAMES}  # a verdict reports the first hidden case that fails
    carried = {
        "exception type name": [f"{first['compute_cost'][0][0, 0]:.9f}"],
        "dict keys": [f"{v:.9f}" for value in first["update_parameters"][0].values() for v in np.ravel(value)[:4]],
        "array shape": [str(int(f"{abs(v):.9f}".replace(".", ""))) for v in np.ravel(first["linear_forward"][0])[:2]],
    }
    text = autograded_file(hostile, student).read_text()
    assert {channel: [v for v in values if v in text] for channel, values in carried.items()} == {
        "exception type name": [], "dict keys": [], "array shape": []}
    # landed: each function did take its leaking path on a hidden case, as the verdicts show
    record = json.loads(record_path(hostile.course.root, ASSIGNMENT, student).read_text())
    messages = {name: record["functions"][name]["message"] for name in ("compute_cost", "update_parameters",
                                                                          "linear_forward")}
    assert "hidden case" in messages["compute_cost"] and "raised an exception" in messages["compute_cost"]
    assert "hidden case" in messages["update_parameters"] and "keys" in messages["update_parameters"]
    assert "hidden case" in messages["linear_forward"] and "shape" in messages["linear_forward"]


# -- the sandbox's walls and limits ---------------------------------------------------------------------------

def test_no_network(hostile):
    expect(row_of(hostile, "h17-network"), lost=["linear_forward"])
    text = printed(hostile, "h17-network")
    for label in ("tcp", "unix", "internet"):
        assert f"NET {label} failed" in text, label
    assert "CONNECTED" not in text
    assert hostile.accepted == {"tcp": "BlockingIOError", "unix": "BlockingIOError"}  # nothing waiting there


def test_processes_and_memory_are_limited(hostile):
    expect(row_of(hostile, "h18-fork-and-memory"), lost=["linear_forward"])
    text = printed(hostile, "h18-fork-and-memory")
    forks = int(text.split("FORKS ")[1].split()[0])
    assert 0 < forks < limits(hostile).processes
    assert f"FORKS {forks} then BlockingIOError" in text
    assert "MEMORY refused" in text


def test_a_huge_file_is_cut_by_the_file_size_limit(hostile):
    text = printed(hostile, "h19-fill-disk")
    one = int(text.split("DISK one file ")[1].split()[0])
    assert one <= limits(hostile).file_bytes
    assert f"DISK one file {one} OSError" in text


def test_the_disk_cannot_be_filled_with_many_files(hostile):
    expect(row_of(hostile, "h19-fill-disk"), lost=["linear_forward"])
    text = printed(hostile, "h19-fill-disk")
    labels = ("one file", "work folder a", "work folder b", "subfolder", "tmp", "shm")
    written = {label: int(text.split(f"DISK {label} ")[1].split()[0]) for label in labels}
    assert all(written[label] > 0 for label in ("one file", "subfolder", "tmp", "shm"))  # landed: written to
    assert "OSError" in text.split("DISK subfolder ")[1].split("\n")[0]  # and filled up
    # every file stays under the file-size limit; the working folder (subfolders included), /tmp and /dev/shm
    # are tmpfs of a bounded size
    in_work_folder = sum(written[label] for label in ("one file", "work folder a", "work folder b", "subfolder"))
    assert written["one file"] <= limits(hostile).file_bytes
    assert written["tmp"] <= limits(hostile).work_bytes and written["shm"] <= limits(hostile).work_bytes
    assert in_work_folder <= limits(hostile).work_bytes, f"{in_work_folder / 1024**2:.0f} MB in the working folder"


def test_a_huge_print_stays_out_of_the_autograded_notebook(hostile):
    expect(row_of(hostile, "h20-huge-print"), lost=["linear_forward"])
    assert autograded_file(hostile, "h20-huge-print").stat().st_size < 2 * 1024**2
    assert "[line cut]" in printed(hostile, "h20-huge-print")


def test_huge_rich_outputs_stay_out_of_the_autograded_notebook(hostile):
    expect(row_of(hostile, "h21-huge-display"), lost=["linear_forward"])
    assert autograded_file(hostile, "h21-huge-display").stat().st_size < 2 * 1024**2


def test_a_low_recursion_limit_costs_only_the_wrong_function(hostile):
    expect(row_of(hostile, "h22-recursion-limit"), lost=["compute_cost"])
    assert "RECURSION LIMIT 60" in printed(hostile, "h22-recursion-limit")


def test_an_alarm_turns_a_wrong_answer_into_a_crash_not_into_points(hostile):
    expect(row_of(hostile, "h23-alarm"), lost=["linear_forward"], status="incomplete",
           flag="linear_forward: the process died")


def test_an_edited_activations_module_stays_in_the_sandbox(hostile):
    expect(row_of(hostile, "h24-edit-activations"), lost=["linear_activation_forward"])
    release = hostile.course.release(ASSIGNMENT) / "activations.py"
    graded = hostile.course.root / "autograded" / "h24-edit-activations" / ASSIGNMENT / "activations.py"
    assert graded.read_text() == release.read_text()
    assert "1 / (1 + np.exp(-Z)), Z" not in release.read_text()


# -- the "possible tampering" flag means exactly what it says -------------------------------------------------

def test_hard_coded_public_answers_lose_the_points_without_a_tampering_flag(hostile):
    # the visible test passes, and so do the same public cases outside: not tampering, just wrong in general
    expect(row_of(hostile, "h25-hard-coded-public"), lost=["linear_forward"])


def test_an_edited_public_cases_file_is_flagged(hostile):
    expect(row_of(hostile, "h26-edit-public-cases"), lost=["linear_forward"], flag=f"linear_forward: {TAMPERING}")


def test_forged_inputs_and_reports_earn_nothing(hostile):
    assert [p.get("forged_inputs") for p in probes(hostile, "h27-open-and-json")] == [True]  # landed
    row = row_of(hostile, "h27-open-and-json")
    expect(row, lost=["linear_forward", "linear_backward"], flag=f"linear_backward: {TAMPERING}")
    assert f"linear_forward: {TAMPERING}" not in row["flags"]  # its public case does pass outside


def test_an_edited_test_cell_is_restored(hostile):
    expect(row_of(hostile, "h28-edit-test-cell"), lost=["linear_forward"],
           flag="locked cell test_linear_forward was edited; restored")


def test_a_flooded_channel_costs_only_the_flooding_cell(hostile):
    student = "h29-channel-flood"
    expect(row_of(hostile, student), status="incomplete", flag="reported too much; the notebook was run again without it")
    taken = [entry["taken"] for entry in trace(hostile, student) if entry["event"].get("e") in ("channel", "attempt")]
    assert taken[0].endswith("process killed") and taken[1].startswith("ended: reported too much")  # landed


def test_stubs_never_find_their_own_reference(hostile):
    """No reference code anywhere in the sandbox: not in a level's inputs, a frame, a namespace or any function
    object. (Before no reference code entered a sandbox, the later functions found the earlier ones' reference
    code there: L_model_backward found linear_backward and linear_activation_backward.)"""
    student = "h30-stubs-call-the-reference"
    expect(row_of(hostile, student), lost=list(STUBS))
    found: dict[str, set] = {}
    for probed in probes(hostile, student):
        found.setdefault(probed["function"], set()).update(filter(None, probed["found"].split(",")))
    assert set(found) == set(STUBS)  # landed: every stub searched, while graded on the grader's cases
    assert all(names == set() for names in found.values()), found


def test_user_namespaces_and_keyrings_are_denied(hostile):
    expect(row_of(hostile, "h31-user-namespace"), lost=["linear_forward"])
    text = printed(hostile, "h31-user-namespace")
    command = text.split("USERNS command ")[1].split("\n")[0]
    assert command.startswith("1") and "Operation not permitted" in command and "MOUNTED" not in command
    assert "USERNS call -1 1" in text  # EPERM
    assert "KEYRING -1 1" in text


def test_no_host_path_is_readable_inside(hostile):
    expect(row_of(hostile, "h32-host-paths"), lost=["linear_forward"])
    text = printed(hostile, "h32-host-paths")
    assert "site-packages" in text and "HOST environ" in text  # landed: it read what it could
    for path in ("/proc/1/cmdline", "/proc/self/mountinfo", "/proc/self/environ"):
        assert f"HOST {path} unreadable" in text
    for host in (str(hostile.course.root), str(Path(__file__).resolve().parents[1]), sys.prefix, "dnnkit-grade-"):
        assert host not in text, host


def test_restarts_are_capped(hostile):
    student = "h33-restart-storm"
    row = row_of(hostile, student)
    restarts = limits(hostile).restarts
    expect(row, lost=NAMES, status="incomplete", flag=f"c.DnnkitGrade.restarts is {restarts}")
    attempts = [entry for entry in trace(hostile, student) if entry["event"].get("e") == "attempt"]
    # landed: a kill cell ended every run, and the runs stopped at the cap
    assert [entry["taken"] for entry in attempts] == ["ended: died; 0 lines skipped"] * (restarts + 1)


# -- the grader itself must survive ---------------------------------------------------------------------------

def test_invalid_unicode_in_outputs_does_not_stop_the_run(hostile):
    # graded last on purpose: when this crashes `dnnkit grade`, every submission not yet written gets no row
    expect(row_of(hostile, "zz-lone-surrogate"))
    assert autograded_file(hostile, "zz-lone-surrogate").is_file()


def test_a_slow_hand_over_of_the_inputs_does_not_cost_a_correct_submission(tmp_path, monkeypatch):
    """Once a level is due the grader copies its inputs into the sandbox, and the runner reads them as
    soon as the file exists. A copy caught half-way (a busy disk: another submission filling it in parallel) must
    not kill a correct submission. Simulated in-process: a copy that pauses half-way through."""
    from dnnkit import cli

    course = grading_course(tmp_path / "course")  # graded here, in this process: not in the shared course
    submit(course, "zz-slow-hand-over")
    real_copy = shutil.copy

    def slow_copy(src, dst, *args, **kwargs):
        if not Path(dst).name.startswith("level-"):
            return real_copy(src, dst, *args, **kwargs)
        data = Path(src).read_bytes()
        with open(dst, "wb") as handle:
            handle.write(data[: len(data) // 2])
            handle.flush()
            time.sleep(0.3)
            handle.write(data[len(data) // 2:])
        return dst

    monkeypatch.setattr(shutil, "copy", slow_copy)
    monkeypatch.setenv("DNNKIT_COURSE_ROOT", str(course.root))
    assert cli.main(["grade", ASSIGNMENT, "--student", "zz-slow-hand-over"]) == 0
    expect(read_grades(course)["zz-slow-hand-over"])
