"""Comparisons that tell a student what is wrong, and the plain-data case files they run on.

Shipped to students as ``dnn_checks.py`` (standard library and numpy only; ``dnnkit release`` writes in the
students' texts and the course's language) and used unchanged by the grader, so a visible test and a grade never
disagree. A case is ``{"name": str, "args": tuple, "expected": object, "deps": {helper: [[key, args, out], ...]}}``:
the graded helpers' calls the reference made on it, replayed while a student's function runs (``run_case``), so a
bug in one function costs only that function's points.
"""
import contextlib
import copy
import functools
import hashlib
import importlib
import inspect
import json
import math
import numbers
import os
import re
import zipfile

import numpy as np

RTOL = 1e-6
ATOL = 1e-9
MAX_PROBLEMS = 5

# The messages' language: "en", "zh" or "en+zh" (each English line, then its Chinese). `dnnkit release` writes the
# course's into dnn_checks.py, with the catalogued mistakes' Chinese in MISTAKE_ZH ({mistake: {"says", "fix"}}) and
# the students' texts (texts.STUDENT) in place of the import below; the grader passes its language explicitly.
LANGUAGE = "en"
MISTAKE_ZH: dict = {}

# {key: (English, Chinese)}: the kit's catalog of fixed texts (dnnkit/texts.py)
MESSAGES: dict = {
    'problems': ('{function}, {label}: {count} problem(s)', '{function}，{label}：{count} 个问题'),
    'more': ('  ... and {more} more', '  ……另有 {more} 个'),
    'raised': ('{function}, {label}: raised {error}', '{function}，{label}：抛出了 {error}'),
    'case': ("case '{case}'", "用例 '{case}'"),
    'public case': ("public case '{case}'", "公开用例 '{case}'"),
    'hidden case': ("hidden case '{case}'", "隐藏用例 '{case}'"),
    'not a function': ('{function} is not a function (got {kind})', '{function} 不是函数（得到的是 {kind}）'),
    'not implemented': ('{function} is not implemented yet (it still raises NotImplementedError)', '{function} 还没有实现（它仍然抛出 NotImplementedError）'),
    'all pass': ('{function}: all {count} public cases pass', '{function}：全部 {count} 个公开用例通过'),
    'diagnosis': ('Diagnosis: {says}.', '诊断：{says}。'),
    'how to fix': ('How to fix it: {fix}.', '改正方法：{fix}。'),
    'changed params': ('Note: update_parameters changed the params dict it was given (in place); it should return a new dict and leave params as it was: start from parameters = copy.deepcopy(params) and update that copy', '注意：update_parameters 就地修改了传给它的 params 字典；它应当返回一个新字典，并让 params 保持原样：从 parameters = copy.deepcopy(params) 开始，然后更新这个副本'),
    'holds itself': ("{function}'s result holds itself (a list appended to itself)", '{function} 的结果包含它自己（一个列表被添加进了它自己）'),
    'expected sequence': ('{where}: expected a {container} of {count} values, got {got}', '{where}：应为含 {count} 个值的 {container}，得到的是{got}'),
    'expected sequence hidden': ('{where}: expected a {container} of {count} values, got something else', '{where}：应为含 {count} 个值的 {container}，得到的是别的东西'),
    'wrong length': ('{where}: expected {count} values, got {length}', '{where}：应有 {count} 个值，得到 {length} 个'),
    'wrong length hidden': ('{where}: expected {count} values, got a different number', '{where}：应有 {count} 个值，得到的个数不同'),
    'expected dict': ('{where}: expected a dict with keys {keys}, got {got}', '{where}：应为键为 {keys} 的 dict，得到的是{got}'),
    'expected dict hidden': ('{where}: expected a dict with keys {keys}, got something else', '{where}：应为键为 {keys} 的 dict，得到的是别的东西'),
    'missing keys': ('{where}: missing keys {keys}', '{where}：缺少键 {keys}'),
    'unexpected keys': ('{where}: unexpected keys {keys}', '{where}：多出了键 {keys}'),
    'unexpected keys hidden': ('{where}: has unexpected keys', '{where}：有多余的键'),
    'expected text': ('{where}: expected {expected}, got {got}', '{where}：应为 {expected}，得到的是 {got}'),
    'wrong value hidden': ('{where}: wrong value', '{where}：值不对'),
    'expected array': ('{where}: expected an array of shape {shape} of {dtype}, got {got}', '{where}：应为形状为 {shape}、dtype 为 {dtype} 的数组，得到的是{got}'),
    'expected array hidden': ('{where}: expected an array of shape {shape} of {dtype}, got something else', '{where}：应为形状为 {shape}、dtype 为 {dtype} 的数组，得到的是别的东西'),
    'not an array': ('{where}: cannot be read as an array ({error})', '{where}：无法当作数组读取（{error}）'),
    'not an array hidden': ('{where}: cannot be read as an array', '{where}：无法当作数组读取'),
    'object array hidden': ('{where}: expected numbers, got an array of Python objects', '{where}：应为数值，得到的是由 Python 对象组成的数组'),
    'shape': ('{where}: shape {shape}, expected {expected}', '{where}：形状为 {shape}，应为 {expected}'),
    'wrong shape hidden': ('{where}: wrong shape', '{where}：形状不对'),
    'dtype': ('{where}: dtype {dtype}, expected {expected}', '{where}：dtype 为 {dtype}，应为 {expected}'),
    'wrong dtype hidden': ('{where}: wrong dtype (expected {expected})', '{where}：dtype 不对（应为 {expected}）'),
    'not finite': ('{where}: {count} NaN/Inf value(s), the first at index {first}', '{where}：有 {count} 个 NaN/Inf 值，第一个在下标 {first}'),
    'not finite hidden': ('{where}: has NaN or Inf values', '{where}：含有 NaN 或 Inf 值'),
    'values differ hidden': ('{where}: values differ from the expected ones', '{where}：数值与期望值不同'),
    'values differ': ('{where}: {count} of {size} values differ; first at index {first}, largest absolute error {largest}; there got {got}, expected {expected}', '{where}：{size} 个值中有 {count} 个不同；第一个在下标 {first}，最大绝对误差为 {largest}；该处得到 {got}，应为 {expected}'),
    'linear cache part': ('linear cache: {name}', '线性缓存：{name}'),
    'linear cache': ('linear cache', '线性缓存'),
    'activation cache part': ('activation cache: {name}', '激活缓存：{name}'),
    'layer cache': ("layer {layer}'s cache", '第 {layer} 层的缓存'),
    'layer linear cache': ("layer {layer}'s linear cache", '第 {layer} 层的线性缓存'),
    'an array': ('an array of shape {shape}', '形状为 {shape} 的数组'),
    'a sequence': ('a {kind} of {count}', '含 {count} 个元素的 {kind}'),
    'a value': ('a {kind}', '一个 {kind}'),
    'more keys': (', ... ({more} more)', '，……（另有 {more} 个）'),
    'stub function': ("NotImplementedError: {function} is still the exercise's stub: write your code in its cell in place of `raise NotImplementedError()`, run that cell, then run this one again", 'NotImplementedError：{function} 仍是练习的初始代码：在它的单元格里用你的代码替换 `raise NotImplementedError()`，运行那个单元格，再重新运行这一个'),
    'stub cell': ("NotImplementedError: this cell is still the exercise's stub: write your code in place of `raise NotImplementedError()`, then run it again", 'NotImplementedError：这个单元格仍是练习的初始代码：用你的代码替换 `raise NotImplementedError()`，然后重新运行'),
}


def say(key: str, language: str | None = None, zh: dict | None = None, **fields) -> str:
    """MESSAGES[key] in `language` (None: LANGUAGE), filled in with `fields` (`zh`: those that differ in the
    Chinese); in "en+zh", the English line and then the Chinese one."""
    english, chinese = MESSAGES[key]
    language = language or LANGUAGE
    lines = []
    if language != "zh":
        lines.append(english.format(**fields))
    if language != "en":
        lines.append(chinese.format(**{**fields, **(zh or {})}))
    return "\n".join(lines)


def term(key: str, language: str | None = None, **fields) -> str:
    """MESSAGES[key], a heading, label or word, in `language`: in "en+zh" as "English / Chinese"."""
    return say(key, language, **fields).replace("\n", " / ")


def labelled(key: str, language: str | None, case: str, kind: str = "case", zh: dict | None = None, **fields
             ) -> str:
    """say(key) with its {label} naming case `case` (`kind`: "case", "public case" or "hidden case")."""
    english, chinese = (text.format(case=case) for text in MESSAGES[kind])
    return say(key, language, zh={**(zh or {}), "label": chinese}, label=english, **fields)


# Plain data: nested tuples / lists / dicts of arrays, numbers, strings and None, stored in an .npz file
# (a zip of .npy arrays plus one JSON layout), loaded with allow_pickle=False so loading never runs code.


def flatten(obj, arrays: list) -> object:
    """The JSON layout of `obj`; every array or number is appended to `arrays` and named by its index."""
    # arrays first, then the other concrete classes: this walk runs on every recorded or replayed helper call,
    # and the abstract number classes cost more than the rest of it
    if isinstance(obj, np.ndarray):
        kind, array = "array", np.array(obj, copy=True)
    elif isinstance(obj, (tuple, list)):
        return {"t": "tuple" if isinstance(obj, tuple) else "list", "v": [flatten(x, arrays) for x in obj]}
    elif isinstance(obj, dict):
        if not all(isinstance(k, str) for k in obj):
            raise TypeError("dict keys must be strings to be plain data")
        return {"t": "dict", "v": [[str(k), flatten(v, arrays)] for k, v in obj.items()]}
    elif obj is None:
        return {"t": "none"}
    elif isinstance(obj, str):
        return {"t": "str", "v": str(obj)}
    elif isinstance(obj, (bool, np.bool_)):
        kind, array = "bool", np.array(bool(obj))
    elif isinstance(obj, np.generic):
        kind, array = "scalar", np.array(obj, copy=True)
    elif isinstance(obj, numbers.Integral):
        kind, array = "int", np.array(int(obj), dtype=np.int64)
    elif isinstance(obj, numbers.Real):
        kind, array = "float", np.array(float(obj), dtype=np.float64)
    else:
        raise TypeError(f"{type(obj).__name__} is not plain data")
    if array.dtype.hasobject:
        raise TypeError("arrays of Python objects are not plain data")
    arrays.append(array)
    return {"t": kind, "i": len(arrays) - 1}


PYTHON_SCALARS = {"bool": bool, "int": int, "float": float}


def unflatten(layout, arrays) -> object:
    """Inverse of `flatten`: `arrays` is indexable by the integers the layout names."""
    kind = layout["t"]
    if kind == "none":
        return None
    if kind == "str":
        return layout["v"]
    if kind in PYTHON_SCALARS:
        return PYTHON_SCALARS[kind](arrays[layout["i"]][()])
    if kind in ("array", "scalar"):
        array = np.array(arrays[layout["i"]])
        return array if kind == "array" else array[()]
    if kind in ("tuple", "list"):
        items = [unflatten(x, arrays) for x in layout["v"]]
        return tuple(items) if kind == "tuple" else items
    if kind == "dict":
        return {k: unflatten(v, arrays) for k, v in layout["v"]}
    raise ValueError(f"unknown layout entry {kind!r}")


def save_plain(path, obj, meta: dict | None = None) -> None:
    """Write `obj` to an .npz file, atomically; its bytes depend only on `obj` and `meta` (fixed zip timestamps)."""
    arrays: list = []
    members = {"__layout__": np.array(json.dumps(flatten(obj, arrays), sort_keys=True))}
    if meta is not None:
        members["__meta__"] = np.array(json.dumps(meta, sort_keys=True))
    members.update({f"a{i}": a for i, a in enumerate(arrays)})
    tmp = f"{path}.tmp"
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as archive:
        for name, array in members.items():
            with archive.open(zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0)), "w") as handle:
                np.lib.format.write_array(handle, array, allow_pickle=False)
    os.replace(tmp, path)


def load_plain(path) -> tuple[object, dict | None]:
    """Read a file written by `save_plain`: returns (obj, meta)."""
    with np.load(path, allow_pickle=False) as npz:
        arrays = {int(k[1:]): npz[k] for k in npz.files if k.startswith("a")}
        layout = json.loads(str(npz["__layout__"]))
        meta = json.loads(str(npz["__meta__"])) if "__meta__" in npz.files else None
    return unflatten(layout, arrays), meta


def digest(obj) -> str:
    """sha256 of plain data: equal for equal values (type, shape, dtype and bytes), whatever object holds them."""
    arrays: list = []
    layout = flatten(obj, arrays)
    h = hashlib.sha256(json.dumps(layout, sort_keys=True).encode())
    for a in arrays:
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()


# Plain data as one byte string without a zip around it (a function's results on their way out of the sandbox, a
# sealed helper answer): 8 bytes of header length, a JSON header (the layout and each array's dtype and shape),
# then the arrays' bytes. Reading it checks every size against the data before anything is allocated, so bytes
# from the student's process cost the grader no more memory than `limits` allow.
PACKED_KINDS = "biufcUS"  # numbers, bools and text; never objects or structured records
PACK_LIMITS = {"header_bytes": 4 * 1024**2, "containers": 200_000, "items": 400_000, "data_bytes": 64 * 1024**2}


def pack_plain(obj) -> bytes:
    """`obj` (plain data, see `flatten`) as bytes `unpack_plain` reads."""
    arrays: list = []
    layout = flatten(obj, arrays)
    header = json.dumps({"layout": layout, "arrays": [[a.dtype.str, list(a.shape)] for a in arrays]}).encode()
    return b"".join([len(header).to_bytes(8, "little"), header, *(np.ascontiguousarray(a).tobytes() for a in arrays)])


def unpack_plain(data: bytes, limits: dict | None = None) -> object:
    """The plain data `pack_plain` wrote; ValueError for anything else or anything over `limits` (default
    PACK_LIMITS): header size, its containers and items counted before it is parsed, and the arrays' bytes."""
    limits = {**PACK_LIMITS, **(limits or {})}
    if len(data) < 8:
        raise ValueError("too short")
    size = int.from_bytes(data[:8], "little")
    if size > min(limits["header_bytes"], len(data) - 8):
        raise ValueError("header too large")
    text = bytes(data[8:8 + size])
    if (text.count(b"[") + text.count(b"{") > limits["containers"] or text.count(b",") > limits["items"]
            or len(data) - 8 - size > limits["data_bytes"]):
        raise ValueError("too many parts")
    header = json.loads(text)
    if not isinstance(header, dict) or not isinstance(header.get("arrays"), list):
        raise ValueError("not a packed header")
    arrays, offset = [], 8 + size
    for dtype_text, shape in header["arrays"]:
        dtype = np.dtype(str(dtype_text))
        if dtype.kind not in PACKED_KINDS or dtype.hasobject or not isinstance(shape, list) or len(shape) > 32 or \
                not all(type(n) is int and n >= 0 for n in shape):
            raise ValueError("not a plain array")
        count = math.prod(shape)
        length = count * dtype.itemsize
        if length < 0 or offset + length > len(data):
            raise ValueError("array past the end of the data")
        arrays.append(np.frombuffer(data, dtype=dtype, count=count, offset=offset).reshape(shape))
        offset += length
    if offset != len(data):
        raise ValueError("data past the last array")
    return unflatten(header["layout"], arrays)


# Running a function on a case, with its helpers recorded (reference) or replayed (student). A call with exactly
# the recorded arguments gets the recorded answer; any other goes to the student's own helper; every call is
# logged so that a wrong answer can be explained by the calls that led to it. The sandbox gets only
# `sealed_calls`: each answer encrypted with a key derived from its call's arguments (docs/threat-model.md).

# The course's parameter names of the graded helpers whose calls are recorded: a call is bound to them (so
# positional and keyword arguments are the same call), whatever names the student's own helper has.
HELPER_PARAMETERS = {
    "linear_forward": ("A", "W", "b"),
    "linear_activation_forward": ("A_prev", "W", "b", "activation"),
    "L_model_forward": ("X", "parameters"),
    "compute_cost": ("AL", "Y"),
    "linear_backward": ("dZ", "cache"),
    "linear_activation_backward": ("dA", "cache", "activation"),
}


@functools.lru_cache(maxsize=256)
def _signature(function) -> inspect.Signature:
    return inspect.signature(function)


@functools.lru_cache(maxsize=None)
def _course_signature(helper: str) -> inspect.Signature:
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    return inspect.Signature([inspect.Parameter(name, kind) for name in HELPER_PARAMETERS[helper]])


def bound_arguments(helper: str, function, args, kwargs) -> list | None:
    """A call's arguments in parameter order: bound to the course's names of `helper`, or for another helper to
    the signature of `function` (defaults applied); None when they cannot be bound."""
    try:
        if helper in HELPER_PARAMETERS:
            return list(_course_signature(helper).bind(*args, **kwargs).arguments.values())
        bound = _signature(function).bind(*args, **kwargs)
        bound.apply_defaults()
        return list(bound.arguments.values())
    except (TypeError, ValueError):
        return None


def values_key(values) -> str:
    """digest(values), or '' when they are None or not plain data (an object, a dict that holds itself)."""
    try:
        return digest(values) if values is not None else ""
    except Exception:
        return ""


def copied(obj):
    """A deep copy of `obj`: plain containers and arrays directly (far quicker), anything else by copy.deepcopy."""
    kind = type(obj)
    if kind is np.ndarray:
        return obj.copy(order="K")
    if kind is tuple or kind is list:
        return kind(copied(x) for x in obj)
    if kind is dict:
        return {k: copied(v) for k, v in obj.items()}
    if obj is None or kind in (str, int, float, bool):
        return obj
    return copy.deepcopy(obj)


class UnexpectedCall(Exception):
    """A helper was called with arguments the reference never used, and could not answer itself."""


@contextlib.contextmanager
def _swapped(namespace: dict, wrappers: dict):
    """Put `wrappers` into `namespace` for the duration; names that were absent are removed again."""
    missing = object()
    saved = {name: namespace.get(name, missing) for name in wrappers}
    namespace.update(wrappers)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is missing:
                namespace.pop(name, None)
            else:
                namespace[name] = value


def record_calls(function, args, dep_names) -> tuple[object, dict]:
    """Call `function(*args)` and record every call it makes to the helpers `dep_names`: (result, deps), deps
    {helper: [[key, arguments, output], ...]} in call order (key: values_key of the bound arguments)."""
    namespace = function.__globals__
    deps: dict = {name: [] for name in dep_names if name in namespace}

    def recorder(name, original):
        def wrapper(*a, **kw):
            values = bound_arguments(name, original, a, kw)
            key, passed = values_key(values), copied(values)
            out = original(*a, **kw)
            deps[name].append([key, passed, copied(out)])
            return out
        return wrapper

    with _swapped(namespace, {n: recorder(n, namespace[n]) for n in deps}):
        result = function(*copied(args))
    return result, deps


def _derived(purpose: str, key: str) -> bytes:
    return hashlib.sha256(f"dnnkit {purpose}\0{key}".encode()).digest()


def _keystream(key: str, size: int) -> np.ndarray:
    return np.frombuffer(hashlib.shake_256(_derived("answer key", key)).digest(size), np.uint8)


def sealed_calls(deps: dict) -> dict:
    """The recorded calls as the sandbox gets them, without arguments: {helper: {"ids": [call id, ...], "ends":
    int64 end of each sealed answer in "data", "data": uint8, the sealed answers one after the other}}. A call's
    id and the key that opens its answer derive from its key by different hashes: the table gives neither the
    arguments nor the answers."""
    sealed = {}
    for helper, entries in deps.items():
        boxes = []
        for key, _, output in entries:
            data = np.frombuffer(pack_plain(output), np.uint8)
            boxes.append(data ^ _keystream(key, data.size))
        sealed[helper] = {"ids": [_derived("call id", key).hex() for key, _, _ in entries],
                          "ends": np.cumsum([box.size for box in boxes], dtype=np.int64),
                          "data": np.concatenate(boxes) if boxes else np.zeros(0, np.uint8)}
    return sealed


class _Answers:
    """The recorded calls of one helper on one case, open (a case's "deps" entry) or sealed (`sealed_calls`)."""

    def __init__(self, entries, sealed: bool):
        self.sealed = sealed
        self.entries = entries
        ids = entries["ids"] if sealed else [entry[0] for entry in entries]
        self.index = {call_id: i for i, call_id in reversed(list(enumerate(ids)))}  # a repeated id: its first

    def answer(self, key: str):
        """(index of the recorded call, its output) for a call with this key, or None."""
        if not key:
            return None
        i = self.index.get(_derived("call id", key).hex() if self.sealed else key)
        if i is None:
            return None
        if not self.sealed:
            return i, copied(self.entries[i][2])
        ends = self.entries["ends"]
        sealed = np.asarray(self.entries["data"][int(ends[i - 1]) if i else 0:int(ends[i])], np.uint8)
        return i, unpack_plain((sealed ^ _keystream(key, sealed.size)).tobytes())


def run_case(function, case: dict, changes: list | None = None, calls: list | None = None):
    """Call `function` on a copy of the case's arguments, its calls of graded helpers answered from the case's
    recorded calls ("deps", or "calls" sealed); a call that was not recorded goes to the student's own helper.

    `changes`, a list, gets one bool once the call is over: whether it changed its arguments in place. `calls`, a
    list, gets one {"helper", "hit", "depth", "args", "unbound"} per helper call in order: "hit" the index of the
    recorded call it matched (None: then "args" holds its arguments, or "unbound" is True when they could not be
    bound), "depth" 0 for calls by `function` itself; calls of PROVIDED_HELPERS are logged with "provided" True."""
    args = copied(case["args"])
    before = values_key(args) if changes is not None else ""
    depth = [0]

    def deeper(own, a, kw):
        depth[0] += 1
        try:
            return own(*a, **kw)
        finally:
            depth[0] -= 1

    def replayer(name, own, answers: _Answers):
        def wrapper(*a, **kw):
            values = bound_arguments(name, own, a, kw)
            found = answers.answer(values_key(values))
            if calls is not None:
                passed = None if found is not None else values
                calls.append({"helper": name, "hit": None if found is None else found[0], "depth": depth[0],
                              "args": passed, "unbound": found is None and passed is None})
            if found is not None:
                return found[1]
            never = f"it called {name} with arguments the reference solution never passes to it, and {name} is"
            if own is None:
                raise UnexpectedCall(f"{never} not defined")
            try:
                return deeper(own, a, kw)
            except NotImplementedError:
                raise UnexpectedCall(f"{never} not implemented yet") from None
        return wrapper

    def logger(name, own):
        def wrapper(*a, **kw):
            calls.append({"helper": name, "hit": None, "depth": depth[0], "args": [*a, *kw.values()],
                          "unbound": False, "provided": True})
            return deeper(own, a, kw)
        return wrapper

    try:
        namespace = getattr(function, "__globals__", {})
        sealed = "calls" in case
        # a helper the student never defined is replayed too: its absence costs only its own points
        wrappers = {name: replayer(name, namespace.get(name), _Answers(table, sealed))
                    for name, table in (case["calls"] if sealed else case.get("deps", {})).items()}
        if calls is not None:  # the provided helpers' calls are logged too (never answered): what was passed to them
            wrappers.update({name: logger(name, namespace[name]) for name in PROVIDED_HELPERS
                             if callable(namespace.get(name)) and name not in wrappers})
        with _swapped(namespace, wrappers):
            return function(*args)
    finally:
        if changes is not None:
            changes.append(bool(before) and values_key(args) != before)


# Functions that must leave the arguments they are given as they were, and the one line that says so when they
# do not: a note, never a lost point (the result is checked as usual).
KEEPS_ITS_INPUTS = {"update_parameters": "changed params"}  # {function: its note's key in MESSAGES}


def input_change_note(function_name: str, language: str | None = None) -> str:
    """The note for `function_name` changing its arguments in place ('' for a function allowed to)."""
    key = KEEPS_ITS_INPUTS.get(function_name)
    return say(key, language) if key else ""


# Naming the parts of what a function returns, so a message can say "caches[1][0][1] (W2)".

RETURNS = {
    "linear_forward": ("Z", "cache"),
    "linear_activation_forward": ("A", "cache"),
    "L_model_forward": ("AL", "caches"),
    "linear_backward": ("dA_prev", "dW", "db"),
    "linear_activation_backward": ("dA_prev", "dW", "db"),
    "two_layer_model": ("parameters", "costs"),
    "L_layer_model": ("parameters", "costs"),
}


def _meaning(function_name: str, path: tuple, language: str = "en") -> str:
    """What the part at `path` of `function_name`'s result is, in the course's names ('' if nothing to add)."""
    linear = ("A_prev", "W", "b")
    if function_name == "linear_forward" and len(path) == 2 and path[0] == 1:
        return say("linear cache part", language, name=linear[path[1]]) if path[1] < 3 else ""
    if function_name == "linear_activation_forward" and len(path) >= 2 and path[0] == 1:
        if path[1:] == (1,):
            return say("activation cache part", language, name="Z")
        if path[1] == 0 and len(path) == 3 and path[2] < 3:
            return say("linear cache part", language, name=linear[path[2]])
        return say("linear cache", language) if path[1:] == (0,) else ""
    if function_name == "L_model_forward" and len(path) >= 2 and path[0] == 1 and isinstance(path[1], int):
        layer, rest = path[1] + 1, path[2:]
        if rest == ():
            return say("layer cache", language, layer=layer)
        if rest == (1,):
            return f"Z{layer}"
        if rest == (0,):
            return say("layer linear cache", language, layer=layer)
        if len(rest) == 2 and rest[0] == 0 and rest[1] < 3:
            return (f"A{layer - 1}", f"W{layer}", f"b{layer}")[rest[1]]
    names = RETURNS.get(function_name)
    if names and len(path) == 1 and isinstance(path[0], int) and path[0] < len(names):
        return names[path[0]]
    return ""


def part_name(function_name: str, path: tuple, language: str = "en") -> str:
    """`result[1][0][1] (W2)`-style name of a part of a function's return value (`language`: "en" or "zh")."""
    text = "result" + "".join(f"[{p!r}]" for p in path)
    meaning = _meaning(function_name, path, language)
    if not meaning:
        return text
    return f"{text}（{meaning}）" if language == "zh" else f"{text} ({meaning})"


def _describe_type(value, language: str = "en") -> str:
    """What `value` is, in `language` ("en" or "zh"): "an array of shape (3, 1)", "a list of 2", "a float"."""
    if isinstance(value, np.ndarray):
        return say("an array", language, shape=value.shape)
    if isinstance(value, (tuple, list)):
        return say("a sequence", language, kind=type(value).__name__, count=len(value))
    return say("a value", language, kind=type(value).__name__)


def _described(value) -> dict:
    """The `got` field of a problem: `value` described in English, and {"zh": ...} in Chinese."""
    return {"got": _describe_type(value), "zh": {"got": _describe_type(value, "zh")}}


def compare(got, expected, function_name: str = "", path: tuple = (), reveal: bool = True,
            language: str | None = None) -> list[str]:
    """Every difference between `got` and `expected`, as sentences in `language` (None: LANGUAGE).

    reveal=False (hidden cases) uses a fixed vocabulary (MESSAGES' "... hidden" texts): which part differs and
    how, never a value, size, index, key or type name taken from the student's result or a hidden value, so that
    neither a hidden value nor anything the student's code chose can travel through the message."""
    where, where_zh = part_name(function_name, path), part_name(function_name, path, "zh")

    def problem(key: str, zh: dict | None = None, **fields) -> str:
        return say(key, language, zh={"where": where_zh, **(zh or {})}, where=where, **fields)

    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return [problem("expected dict", keys=sorted(expected), **_described(got)) if reveal
                    else problem("expected dict hidden", keys=sorted(expected))]
        problems = []
        missing = [k for k in expected if k not in got]
        extra = [k for k in got if k not in expected]
        if missing:
            problems.append(problem("missing keys", keys=missing))
        if extra:
            problems.append(problem("unexpected keys", keys=_listed(extra), zh={"keys": _listed(extra, "zh")})
                            if reveal else problem("unexpected keys hidden"))
        for key in expected:
            if key in got:
                problems += compare(got[key], expected[key], function_name, path + (key,), reveal, language)
        return problems
    if isinstance(expected, (tuple, list)):
        container, count = type(expected).__name__, len(expected)
        if not isinstance(got, (tuple, list)):
            return [problem("expected sequence", container=container, count=count, **_described(got)) if reveal
                    else problem("expected sequence hidden", container=container, count=count)]
        if len(got) != len(expected):
            return [problem("wrong length", count=count, length=len(got)) if reveal
                    else problem("wrong length hidden", count=count)]
        return [p for i, (g, e) in enumerate(zip(got, expected))
                for p in compare(g, e, function_name, path + (i,), reveal, language)]
    if isinstance(expected, str) or expected is None:
        if not (got is None if expected is None else isinstance(got, str) and got == expected):
            return [problem("expected text", expected=repr(expected), got=_shown(got),
                            zh={"got": _shown(got, "zh")}) if reveal else problem("wrong value hidden")]
        return []
    return _compare_arrays(got, expected, problem, reveal)


def _compare_arrays(got, expected, problem, reveal) -> list[str]:
    expected = np.asarray(expected)
    if isinstance(got, (tuple, list, dict, str)) or got is None:
        return [problem("expected array", shape=expected.shape, dtype=expected.dtype, **_described(got)) if reveal
                else problem("expected array hidden", shape=expected.shape, dtype=expected.dtype)]
    try:
        got_array = np.asarray(got)
    except Exception as err:  # an object numpy cannot convert
        return [problem("not an array", error=type(err).__name__) if reveal else problem("not an array hidden")]
    if got_array.dtype.hasobject:
        return [problem("object array hidden")]
    if got_array.shape != expected.shape:
        return [problem("shape", shape=got_array.shape, expected=expected.shape) if reveal
                else problem("wrong shape hidden")]
    if got_array.dtype.kind != expected.dtype.kind or (
            expected.dtype.kind == "f" and got_array.dtype != expected.dtype):
        return [problem("dtype", dtype=got_array.dtype, expected=expected.dtype) if reveal
                else problem("wrong dtype hidden", expected=expected.dtype)]
    bad = ~np.isfinite(got_array) if got_array.dtype.kind in "fc" else np.zeros(got_array.shape, bool)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        return [problem("not finite", count=int(bad.sum()), first=first) if reveal
                else problem("not finite hidden")]
    try:
        np.testing.assert_allclose(got_array, expected, rtol=RTOL, atol=ATOL)
        return []
    except AssertionError:  # numpy's own text is not shown: the sentence below says it in the course's words
        pass
    if not reveal:  # an error's size or index would carry values out (for example when got is all zeros)
        return [problem("values differ hidden")]
    mismatch = ~np.isclose(got_array, expected, rtol=RTOL, atol=ATOL)
    first = tuple(int(i) for i in np.argwhere(mismatch)[0]) if mismatch.ndim else ()
    largest = float(np.max(np.abs(got_array.astype(float) - expected.astype(float))))
    return [problem("values differ", count=int(mismatch.sum()), size=mismatch.size, first=first,
                    largest=f"{largest:.3g}", got=_shown(got_array[first]), expected=_shown(expected[first]),
                    zh={"got": _shown(got_array[first], "zh"), "expected": _shown(expected[first], "zh")})]


SHOWN_CHARS = 80  # a string or key from a result is shown up to this length
SHOWN_KEYS = 5  # and at most this many keys of a dict


def _shown(value, language: str = "en") -> str:
    """`value` (anything a student's function returned) as a message shows it: short, on one line, a numpy scalar
    as the Python number it holds (numpy 2 would show np.float64(0.1234) for 0.1234)."""
    value = value.item() if isinstance(value, np.generic) else value
    if value is None or isinstance(value, numbers.Number):
        return repr(value)
    if isinstance(value, str):
        text = repr(value)
        return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "..."
    return _describe_type(value, language)


def _listed(keys, language: str = "en") -> str:
    """Keys a student's dict has and should not, as a list that reads like Python's, at most SHOWN_KEYS of them."""
    shown = ", ".join(_shown(k, language) for k in keys[:SHOWN_KEYS])
    more = len(keys) - SHOWN_KEYS
    return f"[{shown}{say('more keys', language, more=more) if more > 0 else ''}]"


def report(function_name: str, case_name: str, problems: list[str], language: str | None = None,
           kind: str = "case") -> str:
    """What failed on one case: a line naming it (`kind`: "case", "public case" or "hidden case") and its
    problems, at most MAX_PROBLEMS of them."""
    shown = problems[:MAX_PROBLEMS]
    more = len(problems) - len(shown)
    lines = [labelled("problems", language, case_name, kind=kind, function=function_name, count=len(problems))]
    lines += ["  - " + p.replace("\n", "\n    ") for p in shown]  # in en+zh, its Chinese line under it
    if more:
        lines.append(say("more", language, more=more))
    return "\n".join(lines)


# Diagnosis: every case carries what each catalogued mistake of its function returns on it; a wrong answer
# that returns the same as one mistake on every case is that mistake (docs/diagnosis.md).


def raised(err: BaseException, limit: int = 2000) -> str:
    """"ExceptionType: message", the message cut at `limit` characters: the one form in which a catalogued
    mistake's exception and a student's are stored and compared."""
    return f"{type(err).__name__}: {str(err)[:limit]}"


# Where an error can be raised that is not the student's: the helpers the course provides (activations.py, ...)
# and numpy. A failure raised there is told as raised there, called from the student's function.
PROVIDED_HELPERS = ("sigmoid", "relu", "sigmoid_backward", "relu_backward", "parameters_to_vector",
                    "vector_to_parameters", "gradients_to_vector")


def raised_inside(err: BaseException) -> str:
    """The provided helper ("relu_backward", ...) or "numpy" in which `err` was raised, or '' when it was raised
    in the student's own code (or anywhere else)."""
    frame = err.__traceback__
    if frame is None:
        return ""
    while frame.tb_next is not None:
        frame = frame.tb_next
    code = frame.tb_frame.f_code
    provided_file = os.path.basename(code.co_filename) in ("activations.py", "param_vectors.py")
    if code.co_name in PROVIDED_HELPERS and provided_file:
        return code.co_name
    parts = code.co_filename.replace("\\", "/").split("/")
    return "numpy" if "numpy" in parts[:-1] else ""


def outcome(function, *args) -> dict:
    """{"value": what the call returns} or {"raises": raised(the exception)}."""
    try:
        return {"value": function(*args)}
    except Exception as err:
        return {"raises": raised(err)}


def _same(got: dict, predicted: dict, function_name: str) -> bool:
    if "raises" in predicted:
        return got.get("raises") == predicted["raises"]
    return "value" in got and not compare(got["value"], predicted.get("value"), function_name, reveal=False)


def diagnose(function_name: str, cases: list, outcomes: list) -> dict | None:
    """The catalogued mistake that explains `outcomes` (one per case, as `evaluate` collects them): the first
    whose recorded outcome equals the function's on every case, else the first that dnn_behaviour's `explain`
    recognises by what the function did. {"mistake", "says", "fix", "fields"}, or None."""
    tables = [{m["name"]: m for m in case.get("mistakes", [])} for case in cases]
    for name in tables[0] if tables else ():
        if all(name in table and "outcome" in table[name] and _same(got, table[name]["outcome"], function_name)
               for table, got in zip(tables, outcomes)):
            entry = tables[0][name]
            return {"mistake": name, "says": entry["says"], "fix": entry["fix"], "fields": {}}
    behaviour = _behaviour()
    found = behaviour.explain(function_name, cases, outcomes, _failed(function_name)) if behaviour else None
    entry = next((table[found[0]] for table in tables if found and found[0] in table), None)
    if entry is None:
        return None
    name, fields = found
    return {"mistake": name, "says": filled(entry["says"], fields), "fix": filled(entry["fix"], fields),
            "fields": {key: str(value) for key, value in fields.items()}}


def _failed(function_name: str):
    def failed(case: dict, got: dict) -> bool:
        return "raises" in got or bool(compared(got.get("value"), case["expected"], function_name, False))
    return failed


def compared(got, expected, function_name: str, reveal: bool, language: str | None = None) -> list[str]:
    """`compare`, for a result that may hold itself (a list appended to itself): then that is the problem."""
    try:
        return compare(got, expected, function_name, reveal=reveal, language=language)
    except RecursionError:
        return [say("holds itself", language, function=function_name)]


def _behaviour():
    """dnn_behaviour (dnnkit.behaviour in the grader), or None where it is missing: then no diagnosis by
    behaviour, and nothing else changes."""
    try:  # dnnkit.behaviour as dnnkit.checks; as dnn_checks, dnn_behaviour.py beside it
        return importlib.import_module(f"{__package__}.behaviour" if __package__ else "dnn_behaviour")
    except ImportError:
        return None


def filled(text: str, fields: dict) -> str:
    """`text` with each {name} of `fields` replaced by its value (other braces, as in dA{L-1}, are left alone)."""
    return re.sub(r"\{(\w+)\}", lambda found: str(fields[found[1]]) if found[1] in fields else found[0], text)


def diagnosis_text(diagnosis: dict | None, language: str | None = None, chinese: dict | None = None) -> str:
    """The diagnosis and its fix in `language` (None: LANGUAGE), the Chinese looked up by its mistake's id in
    `chinese` (None: MISTAKE_ZH) and filled in with the diagnosis' fields."""
    if diagnosis is None:
        return ""
    zh = (MISTAKE_ZH if chinese is None else chinese).get(diagnosis.get("mistake"), diagnosis)
    fields = diagnosis.get("fields") or {}
    return "\n".join((say("diagnosis", language, zh={"says": filled(zh["says"], fields)}, says=diagnosis["says"]),
                      say("how to fix", language, zh={"fix": filled(zh["fix"], fields)}, fix=diagnosis["fix"])))


def evaluate(function, function_name: str, cases: list, reveal: bool = True, language: str | None = None
             ) -> tuple[str, str]:
    """Run `function` on every case: (failure, note). `failure` names the first case it gets wrong, with the note
    and the catalogued mistake it makes ('' when every case is right); `note` is input_change_note's when it
    changed its arguments ('' otherwise). Raises nothing for what the function does."""
    if not callable(function):
        return say("not a function", language, function=function_name, kind=type(function).__name__), ""
    outcomes, first_failure, changes = [], None, []
    for case in cases:
        calls: list = []
        try:
            got = {"value": run_case(function, case, changes, calls)}
        except NotImplementedError:
            return say("not implemented", language, function=function_name), ""
        except Exception as err:
            got = {"raises": raised(err), "inside": raised_inside(err)}
        got["calls"] = calls
        outcomes.append(got)
        if first_failure is None and "raises" in got:
            first_failure = labelled("raised", language, case["name"], function=function_name, error=got["raises"])
        elif first_failure is None:
            problems = compared(got["value"], case["expected"], function_name, reveal, language)
            if problems:
                first_failure = report(function_name, case["name"], problems, language)
    note = input_change_note(function_name, language) if any(changes) else ""
    if first_failure is None:
        return "", note
    advice = diagnosis_text(diagnose(function_name, cases, outcomes), language)
    return "\n".join(text for text in (first_failure, note, advice) if text), note


def failure(message: str) -> AssertionError:
    """The AssertionError a failing check raises, raised with nothing chained. IPython shows it as
    `AssertionError: message` alone in any traceback mode (through `_render_traceback_`), no frames of this file."""
    error = AssertionError(message)
    error._render_traceback_ = functools.partial(str.split, f"AssertionError: {message}", "\n")
    return error


def check_function(function, function_name: str, cases: list, reveal: bool = True) -> int:
    """`evaluate`, raising its failure when there is one: the number of cases passed."""
    failed, _ = evaluate(function, function_name, cases, reveal)
    if failed:
        raise failure(failed) from None
    return len(cases)


def check_public(function_name: str, function, path: str = "public_cases.npz") -> None:
    """Visible test: run `function` on the released public cases and print a one-line verdict (and the note, when
    it changed its arguments). A wrong answer raises its failure from here, with no exception chained to it."""
    cases = _public_cases(path)
    if function_name not in cases:
        raise KeyError(f"{path} has no cases for {function_name}")
    failed, note = evaluate(function, function_name, copy.deepcopy(cases[function_name]))
    if failed:
        raise failure(failed) from None
    print(say("all pass", function=function_name, count=len(cases[function_name])))
    if note:
        print(note)


def public_args(function_name: str, index: int = 0, path: str = "public_cases.npz") -> tuple:
    """The arguments of public case `index` of `function_name`, to try a function on by hand."""
    return copy.deepcopy(_public_cases(path)[function_name][index]["args"])


def _public_cases(path) -> dict:
    """The public cases in `path`, decoded once per process while the file stays the same (a notebook's visible
    tests read them about twenty times). Callers copy what they use."""
    status = os.stat(path)
    return _decoded_cases(os.path.abspath(path), (status.st_ino, status.st_size, status.st_mtime_ns))


@functools.lru_cache(maxsize=4)
def _decoded_cases(path: str, version: tuple) -> dict:
    return load_plain(path)[0]


# An untouched stub, in a notebook kernel: IPython shows the NotImplementedError of an exercise's stub line as one
# line saying what to do; the error is still raised, and any other NotImplementedError keeps its traceback
# (docs/feedback-pages.md).

STUB_LINE = "raise NotImplementedError()"


def stub_message(tb, language: str | None = None) -> str | None:
    """What to do, when traceback `tb` ends at an exercise's untouched stub line (IPython keeps each cell's
    source in linecache); None for any other NotImplementedError."""
    import linecache

    while tb.tb_next is not None:
        tb = tb.tb_next
    code = tb.tb_frame.f_code
    if linecache.getline(code.co_filename, tb.tb_lineno).strip() != STUB_LINE:
        return None
    if code.co_name == "<module>":
        return say("stub cell", language)
    return say("stub function", language, function=code.co_name)


def _show_stub(shell, etype, value, tb, tb_offset=None):
    """IPython's custom exception handler for NotImplementedError (set_custom_exc): the stub's one line through
    `_render_traceback_`; any other NotImplementedError as IPython shows it."""
    message = stub_message(tb)
    if message is not None:
        value._render_traceback_ = functools.partial(str.split, message, "\n")
    shell.showtraceback((etype, value, tb), tb_offset=tb_offset)


def explain_untouched_stubs() -> bool:
    """Install `_show_stub` in the running notebook kernel, if there is one: whether it was installed."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None or getattr(shell, "kernel", None) is None:
        return False
    shell.set_custom_exc((NotImplementedError,), _show_stub)
    return True


explain_untouched_stubs()
