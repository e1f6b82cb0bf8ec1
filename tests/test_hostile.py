"""`dnnkit grade` against hostile submissions: students who try to get points for wrong answers, to read what
only the grader may read, to carry hidden inputs out, to break out of the sandbox or to break the grader.

One course, one student per attack (each attack sits in an otherwise correct submission, so every other
function must still score 10), one `dnnkit grade` run. Each test checks one student's row: the exact points per
function, the status, the flags, and what the attack itself printed into the executed notebook.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import time
from pathlib import Path
from types import SimpleNamespace

import nbformat
import numpy as np
import pytest

from dnnkit.cases import FUNCTIONS
from dnnkit.checks import load_plain
from dnnkit.commands.grade import settings
from dnnkit.gradebook import function_scores
from grading_support import (answer, dnnkit_grade, executed_notebook, feedback_html, grading_course, lose,
                             read_grades, scores, submit)
from grading_support import expect_row as expect

pytestmark = pytest.mark.slow

ASSIGNMENT = "step_by_step"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
NAMES = FUNCTIONS[ASSIGNMENT]
INPUTS = "/sandbox/grader/inputs.npz"  # where the runner finds the hidden inputs inside the sandbox
TAMPERING = "possible tampering"


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


# The answer of linear_activation_backward is exactly what its helper linear_backward returned when the reference
# solution ran: the replay table of every case holds it. These attacks take it from there.
FORGE_FROM_INPUTS = """
def _forged(inputs):
    name = "linear_activation_backward"
    return {group: [{"ok": True, "value": case["deps"]["linear_backward"][0][1], "error": ""}
                    for case in inputs[name][group]] for group in ("public", "hidden")}
"""


# Hooks that run when Python exits the normal way: forged results (from the replay tables) and forged events.
EXIT_HOOKS = FORGE_FROM_INPUTS + f"""
import atexit, json, os, weakref
import dnn_checks

def _forge_everything():
    try:
        inputs, _ = dnn_checks.load_plain({INPUTS!r})
        dnn_checks.save_plain(".dnnkit-out/linear_activation_backward.npz", _forged(inputs))
        with open(".dnnkit-out/events.jsonl", "a") as events:
            events.write(json.dumps({{"e": "function", "name": "linear_activation_backward", "phase": "end"}}) + "\\n")
            events.write(json.dumps({{"e": "done"}}) + "\\n")
    except Exception:
        pass

atexit.register(_forge_everything)

class _Bomb:
    def __del__(self):
        _forge_everything()

_bomb = _Bomb()
weakref.finalize(_bomb, _forge_everything)
"""


@attack("h08-atexit-hooks")
def exit_hooks(course, student, ctx):
    """atexit, __del__ and weakref.finalize hooks that write a forged results file and forged events."""
    submit(course, student, answers={"linear_activation_backward": wrong(course, "linear_activation_backward")},
           transform=cells(imports=[EXIT_HOOKS]))


@attack("h08b-atexit-after-a-crash")
def exit_hooks_after_a_crash(course, student, ctx):
    """The same hooks, and the runner made to fail once the inputs are handed over: Python then exits the normal
    way, which runs the hooks (the runner's os._exit is never reached)."""
    crash = f"""
import dnn_checks
_real_load = dnn_checks.load_plain

def _load(path):
    if str(path) == {INPUTS!r}:
        dnn_checks.load_plain = _real_load  # for the hooks
        raise RuntimeError("the runner stops here")
    return _real_load(path)

dnn_checks.load_plain = _load
"""
    submit(course, student, answers={"linear_activation_backward": wrong(course, "linear_activation_backward")},
           transform=cells(imports=[EXIT_HOOKS, crash]))


@attack("h09-forged-events")
def forged_events(course, student, ctx):
    """Forged lines in events.jsonl: early ones (before the cells are done), then a forged "cells_done", forged
    "function end" for every function and a forged "done", plus garbage."""
    early = """
import json
with open(".dnnkit-out/events.jsonl", "a") as events:
    events.write("this is not json\\n")
    for name in ("linear_forward", "compute_cost"):
        events.write(json.dumps({"e": "function", "name": name, "phase": "end", "error": None}) + "\\n")
    events.write(json.dumps({"e": "done"}) + "\\n")
"""
    late = f"""
import json
with open(".dnnkit-out/events.jsonl", "a") as events:
    events.write(json.dumps({{"e": "cells_done"}}) + "\\n")
    for name in {list(NAMES)!r}:
        events.write(json.dumps({{"e": "function", "name": name, "phase": "start"}}) + "\\n")
        events.write(json.dumps({{"e": "function", "name": name, "phase": "end", "error": None}}) + "\\n")
    events.write(json.dumps({{"e": "done"}}) + "\\n")
"""
    submit(course, student, answers={"linear_forward": wrong(course, "linear_forward")},
           transform=cells(imports=[early], end=[late]))


@attack("h10-malformed-events")
def malformed_events(course, student, ctx):
    """Event lines that are valid JSON of the wrong shape, or JSON too deep to parse: the grader must not choke."""
    forge = """
import json
lines = [
    "[" * 100000 + "]" * 100000,
    json.dumps({"e": "cell", "i": [4], "phase": "start"}),
    json.dumps({"e": "cell", "i": [4], "phase": "end", "outputs": [], "error": None}),
    json.dumps({"e": "cell", "i": 4, "phase": "end", "outputs": None, "error": None}),
    json.dumps({"e": "cell", "i": 4, "phase": "end", "outputs": {"a": 1}, "error": None}),
    json.dumps({"e": "cells_done"}),
    json.dumps({"e": "function", "name": ["linear_forward"], "phase": "end", "error": None}),
]
with open(".dnnkit-out/events.jsonl", "a") as events:
    for line in lines:
        events.write(line + "\\n")
"""
    submit(course, student, answers={"linear_forward": wrong(course, "linear_forward")},
           transform=cells(imports=[forge]))


REPLAY_TABLE = """
import copy

def _recorded(helper):
    \"\"\"What the grader recorded for `helper` (in call order) if it is a replayed helper, else None.\"\"\"
    for cell in getattr(helper, "__closure__", None) or ():
        try:
            value = cell.cell_contents
        except ValueError:
            continue
        if isinstance(value, dict) and value:
            return [copy.deepcopy(out) for out in value.values()]
    return None
"""


@attack("h11-replay-table")
def replay_table(course, student, ctx):
    """While a function runs on a case, its graded helpers answer from the reference's recorded results. A wrong
    function can read that table from the helper's closure and return the reference's own results."""
    la_backward = """
def linear_activation_backward(dA, cache, activation):
    linear_cache, activation_cache = cache
    recorded = _recorded(linear_backward)
    if recorded:
        return recorded[0]
    return linear_backward(dA, linear_cache)  # no activation derivative: wrong
"""
    l_forward = """
def L_model_forward(X, parameters):
    recorded = _recorded(linear_activation_forward)
    if recorded:
        return recorded[-1][0], [cache for _, cache in recorded]
    caches, A = [], X
    for l in range(1, len(parameters) // 2 + 1):  # relu everywhere, sigmoid nowhere: wrong
        A, cache = linear_activation_forward(A, parameters["W" + str(l)], parameters["b" + str(l)], "relu")
        caches.append(cache)
    return A, caches
"""
    l_backward = """
def L_model_backward(AL, Y, caches):
    grads, L = {}, len(caches)
    recorded = _recorded(linear_activation_backward)
    if recorded:
        for l, (dA_prev, dW, db) in zip([L] + list(range(L - 1, 0, -1)), recorded):
            grads["dA" + str(l - 1)], grads["dW" + str(l)], grads["db" + str(l)] = dA_prev, dW, db
    return grads  # never computes dAL nor runs the loop itself: wrong
"""
    submit(course, student, answers={"linear_activation_backward": la_backward, "L_model_forward": l_forward,
                                     "L_model_backward": l_backward},
           transform=cells(imports=[REPLAY_TABLE]))


@attack("h12-forged-save-plain")
def forged_save_plain(course, student, ctx):
    """dnn_checks.save_plain patched: when the runner saves linear_activation_backward's results, it saves the
    answers taken from the replay tables of the hidden inputs instead."""
    patch = FORGE_FROM_INPUTS + f"""
import dnn_checks
_real_save = dnn_checks.save_plain

def _save(path, obj, meta=None):
    if str(path).endswith("linear_activation_backward.npz"):
        inputs, _ = dnn_checks.load_plain({INPUTS!r})
        obj = _forged(inputs)
    return _real_save(path, obj, meta)

dnn_checks.save_plain = _save
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
    """Read the hidden inputs (and the plan) from a cell; then forge "cells_done" so that the grader hands the
    inputs over while a cell still runs, and print them."""
    look = f"""
import json, os
print("INPUTS", "present" if os.path.exists({INPUTS!r}) else "absent")
try:
    with open("/sandbox/grader/plan.json") as handle:
        print("PLAN keys", sorted(json.load(handle)))
except OSError as err:
    print("PLAN unreadable", type(err).__name__)
"""
    grab = f"""
import json, os, time
import numpy as np
import dnn_checks
with open(".dnnkit-out/events.jsonl", "a") as events:
    events.write(json.dumps({{"e": "cells_done"}}) + "\\n")
inputs, deadline = None, time.time() + 5
while inputs is None and time.time() < deadline:
    try:
        inputs, _ = dnn_checks.load_plain({INPUTS!r})
    except Exception:
        time.sleep(0.02)
print("GRABBED", inputs is not None)
if inputs is not None:
    for name in ("linear_forward", "compute_cost", "L_model_forward"):
        for case in inputs[name]["hidden"]:
            print(name, " ".join(f"{{v:.9f}}" for v in np.ravel(case["args"][0])[:6]))
"""
    submit(course, student, answers={"linear_forward": wrong(course, "linear_forward")},
           transform=cells(imports=[look], end=[grab]))


@attack("h15-leak-across-restart")
def leak_across_restart(course, student, ctx):
    """Save the hidden inputs in the working folder while the grader's checks run, then kill the process: the
    grader runs the notebook again in the same working folder, and a cell prints what was saved."""
    spy = f"""
import os
import numpy as np
import dnn_checks
if os.path.exists("stash.txt"):
    print(open("stash.txt").read())
else:
    _real_run_case = dnn_checks.run_case

    def _spy(function, case, *more):
        if os.path.exists({INPUTS!r}) and getattr(function, "__name__", "") == "update_parameters":
            inputs, _ = dnn_checks.load_plain({INPUTS!r})
            lines = []
            for name in ("linear_forward", "compute_cost", "L_model_forward"):
                for hidden in inputs[name]["hidden"]:
                    lines.append(name + " " + " ".join(f"{{v:.9f}}" for v in np.ravel(hidden["args"][0])[:6]))
            with open("stash.txt", "w") as handle:
                handle.write("\\n".join(lines))
            os._exit(3)
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
    if learning_rate != 0.1:  # not the public case
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
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(3)
    try:
        s.connect(address)
        s.sendall(b"hello from the sandbox")
        print("NET", label, "CONNECTED")
    except OSError as err:
        print("NET", label, "failed", type(err).__name__)
    finally:
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
    """A 1 GB file (cut by the file-size limit), then 512 MB in files of 128 MB in the working folder (two cells,
    each well within the cell timeout) and in /tmp."""
    submit(course, student, answers={"linear_forward": wrong(course, "linear_forward")},
           transform=cells(imports=[_fill(".", "one file", 1, 1024), _fill(".", "work folder a", 2, 128),
                                    _fill(".", "work folder b", 2, 128), _fill("/tmp", "tmp", 4, 128)]))


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
           transform=cells(end=["import sys\nsys.setrecursionlimit(60)"]))


@attack("h23-alarm")
def alarm(course, student, ctx):
    """A wrong function that, under the grader's checks, arms signal.alarm and spins until it kills the process:
    a crash in place of a wrong answer."""
    forward = wrong(course, "linear_forward", before="import os, signal").replace(
        "Z = np.dot(W, A)\n", f"if os.path.exists({INPUTS!r}):  # the grader's checks\n"
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
    patch = f"""
import builtins, io, json
import dnn_checks

_real_open, _real_dumps = builtins.open, json.dumps

def _open(file, mode="r", *args, **kwargs):
    if str(file) == {INPUTS!r}:
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


@attack("h29-symlinked-events")
def symlinked_events(course, student, ctx):
    """Replace the event log by a symbolic link to a file outside the sandbox, which the grader (root) then reads
    in its place: here the student's own submitted notebook, whose metadata holds forged event lines. (A link to
    /proc/kmsg, a regular file whose read blocks, would hang the grader for good: not tried here.)"""
    own_notebook = course.root / "submitted" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    relink = f"""
import os
os.remove(".dnnkit-out/events.jsonl")
os.symlink({str(own_notebook)!r}, ".dnnkit-out/events.jsonl")
"""

    def transform(nb):
        cells(imports=[relink])(nb)
        nb.metadata["forged_events"] = "PLACEHOLDER"

    path = submit(course, student, answers={"linear_forward": wrong(course, "linear_forward")}, transform=transform)
    events = [{"e": "cell", "i": 4, "phase": "end", "error": None,
               "outputs": [{"output_type": "stream", "name": "stdout", "text": "FORGED FROM A HOST FILE\n"}]},
              {"e": "cells_done"}]
    for name in NAMES:
        events += [{"e": "function", "name": name, "phase": "start"},
                   {"e": "function", "name": name, "phase": "end", "error": None}]
    events.append({"e": "done"})
    lines = "\n,\n".join(json.dumps(event) for event in events)  # one event a line, as the grader reads them
    text = path.read_text()
    assert text.count('"PLACEHOLDER"') == 1
    path.write_text(text.replace('"PLACEHOLDER"', f"[\n{lines}\n]"))
    assert nbformat.read(path, 4).metadata["forged_events"][0]["e"] == "cell"


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


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    course = grading_course(tmp_path_factory.mktemp("hostile") / "course")
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
    started = time.monotonic()
    done = dnnkit_grade(course)
    elapsed = time.monotonic() - started
    print(f"dnnkit grade: {elapsed:.0f} s for {len(ATTACKS) + 1} submissions")
    try:
        rows = read_grades(course)
    except FileNotFoundError:
        rows = {}
    yield SimpleNamespace(course=course, done=done, rows=rows, elapsed=elapsed, listener=listener,
                          unix_listener=unix_listener, hidden=_hidden_numbers(course))
    listener.close()
    unix_listener.close()


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


def leaks(hostile, text: str) -> list[str]:
    return sorted(number for number in hostile.hidden if number in text)


def autograded_file(hostile, student) -> Path:
    return hostile.course.root / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"


# -- the whole run ---------------------------------------------------------------------------------------------

def test_every_submission_gets_a_row_and_exit_0(hostile):
    assert hostile.done.returncode == 0, hostile.done.stderr[-3000:]
    assert sorted(hostile.rows) == sorted(["clean", *ATTACKS])


def test_the_clean_submission_is_untouched_by_the_others(hostile):
    expect(row_of(hostile, "clean"))
    assert float(row_of(hostile, "clean")["score"]) == 10 * len(FUNCTIONS["step_by_step"])


def test_the_gradebook_is_intact_and_matches_the_csv(hostile):
    path = hostile.course.root / "gradebook.db"
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    book = function_scores(hostile.course.root, ASSIGNMENT)
    for student, row in hostile.rows.items():
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


def test_exit_hooks_cannot_forge_results(hostile):
    expect(row_of(hostile, "h08-atexit-hooks"), lost=["linear_activation_backward"])


def test_exit_hooks_after_a_crash_neither_forge_results_nor_hide_the_crash(hostile):
    # no function ran: the forged results must not count, and the row must not say "graded" without a flag
    row = row_of(hostile, "h08b-atexit-after-a-crash")
    assert (row["linear_activation_backward"], row["status"]) == ("0", "incomplete")
    assert row["flags"] != ""


def test_forged_events_change_nothing(hostile):
    expect(row_of(hostile, "h09-forged-events"), lost=["linear_forward"])


def test_malformed_events_do_not_break_the_grader(hostile):
    expect(row_of(hostile, "h10-malformed-events"), lost=["linear_forward"])


def test_the_replay_table_does_not_give_the_answers_away(hostile):
    row = row_of(hostile, "h11-replay-table")
    assert scores(row, NAMES) == lose("linear_activation_backward", "L_model_forward", "L_model_backward")
    assert row["status"] == "graded"


def test_a_forged_save_plain_earns_nothing(hostile):
    row = row_of(hostile, "h12-forged-save-plain")
    assert scores(row, NAMES) == lose("linear_activation_backward")
    assert row["status"] == "graded"


def test_poisoned_sys_modules_earn_nothing_and_are_flagged(hostile):
    # numpy 2 loads numpy.testing lazily from sys.modules: the visible test passes in the notebook
    expect(row_of(hostile, "h13-sys-modules"), lost=["linear_forward"], flag=f"linear_forward: {TAMPERING}")


# -- hidden inputs must stay hidden ---------------------------------------------------------------------------

def test_hidden_inputs_cannot_be_read_from_a_cell(hostile):
    student = "h14-read-inputs-in-cell"
    expect(row_of(hostile, student), lost=["linear_forward"])
    text = printed(hostile, student)
    assert "INPUTS absent" in text
    assert leaks(hostile, autograded_file(hostile, student).read_text()) == []


def test_hidden_inputs_do_not_survive_a_restart(hostile):
    student = "h15-leak-across-restart"
    expect(row_of(hostile, student), lost=["update_parameters"], status="incomplete",
           flag="update_parameters: the process died")
    in_notebook = leaks(hostile, autograded_file(hostile, student).read_text())
    in_feedback = leaks(hostile, feedback_html(hostile.course, student))
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


# -- the sandbox's walls and limits ---------------------------------------------------------------------------

def test_no_network(hostile):
    expect(row_of(hostile, "h17-network"), lost=["linear_forward"])
    text = printed(hostile, "h17-network")
    for label in ("tcp", "unix", "internet"):
        assert f"NET {label} failed" in text, label
    assert "CONNECTED" not in text
    for listener in (hostile.listener, hostile.unix_listener):
        with pytest.raises(BlockingIOError):
            listener.accept()


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
    written = {label: int(text.split(f"DISK {label} ")[1].split()[0])
               for label in ("one file", "work folder a", "work folder b", "tmp")}
    # every file stays under the file-size limit, and the working folder and /tmp are tmpfs of a bounded size
    in_work_folder = written["one file"] + written["work folder a"] + written["work folder b"]
    assert written["one file"] <= limits(hostile).file_bytes
    assert written["tmp"] <= limits(hostile).work_bytes
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
    row = row_of(hostile, "h27-open-and-json")
    expect(row, lost=["linear_forward", "linear_backward"], flag=f"linear_backward: {TAMPERING}")
    assert f"linear_forward: {TAMPERING}" not in row["flags"]  # its public case does pass outside


def test_an_edited_test_cell_is_restored(hostile):
    expect(row_of(hostile, "h28-edit-test-cell"), lost=["linear_forward"],
           flag="locked cell test_linear_forward was edited; restored")


def test_the_grader_does_not_follow_links_out_of_the_sandbox(hostile):
    # the scores are the run's own (the results files are real); the status depends on how the link is refused
    student = "h29-symlinked-events"
    assert scores(row_of(hostile, student), NAMES) == lose("linear_forward")
    assert "FORGED FROM A HOST FILE" not in printed(hostile, student)


# -- the grader itself must survive ---------------------------------------------------------------------------

def test_invalid_unicode_in_outputs_does_not_stop_the_run(hostile):
    # graded last on purpose: when this crashes `dnnkit grade`, every submission not yet written gets no row
    expect(row_of(hostile, "zz-lone-surrogate"))
    assert autograded_file(hostile, "zz-lone-surrogate").is_file()


def test_a_slow_hand_over_of_the_inputs_does_not_cost_a_correct_submission(hostile, monkeypatch):
    """Once the cells are done the grader copies the hidden inputs into the sandbox, and the runner reads them as
    soon as the file exists. A copy caught half-way (a busy disk: another submission filling it in parallel) must
    not kill a correct submission. Simulated in-process: a copy that pauses half-way through."""
    from dnnkit import cli

    course = hostile.course
    submit(course, "zz-slow-hand-over")
    real_copy = shutil.copy

    def slow_copy(src, dst, *args, **kwargs):
        if Path(dst).name != "inputs.npz":
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
