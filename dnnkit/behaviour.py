"""How a graded function went wrong, told from what it did rather than from the text of its code
(docs/diagnosis.md).

Shipped to students as ``dnn_behaviour.py`` (stdlib and numpy only) and used unchanged by the grader, so a visible
test and a grade name the same mistake. A rule's fields come from the case and the reference only, never from the
student's values, so that a diagnosis of a hidden case carries nothing out of the sandbox.
"""
from __future__ import annotations

import re
from collections import Counter

import numpy as np

RTOL, ATOL = 1e-6, 1e-9
_NONE = object()


# -- comparing plain data ----------------------------------------------------------------------------------------

def same(a, b) -> bool:
    """Equal plain data: the same structure, and numbers equal within the checks' tolerance."""
    if isinstance(a, dict) or isinstance(b, dict):
        return isinstance(a, dict) and isinstance(b, dict) and set(a) == set(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        return (isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and len(a) == len(b)
                and all(same(x, y) for x, y in zip(a, b)))
    if a is None or b is None or isinstance(a, str) or isinstance(b, str):
        return type(a) is type(b) and a == b
    x, y = _numbers(a), _numbers(b)
    return x is not None and y is not None and x.shape == y.shape and bool(np.allclose(x, y, RTOL, ATOL))


def same_values(a, b) -> bool:
    """The same numbers in the same order, whatever the shapes."""
    x, y = _numbers(a), _numbers(b)
    return x is not None and y is not None and x.size == y.size and bool(np.allclose(x.ravel(), y.ravel(), RTOL, ATOL))


def _numbers(value):
    if isinstance(value, (dict, list, tuple, str)) or value is None:
        return None
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return None
    return array if np.all(np.isfinite(array)) else None


def find(value, named):
    """The name of the first of `named` ((name, value) pairs) that `value` equals."""
    return next((name for name, other in named if other is not None and same(value, other)), None)


def part(value, key):
    """value[key], or _NONE where it has no such part."""
    try:
        return value[key]
    except (KeyError, IndexError, TypeError, ValueError):
        return _NONE


# -- the evidence of one case ------------------------------------------------------------------------------------

class Evidence:
    """One failing case (its args, expected result and the reference's calls, `deps`) and what the function did on
    it: its value or the exception it raised (and the provided helper it was raised in), and its calls to the graded
    helpers (run_case's log)."""

    def __init__(self, case: dict, outcome: dict):
        self.args, self.expected = case["args"], case["expected"]
        self.deps = case.get("deps", {}) or {}
        self.raised = "raises" in outcome
        self.value = _NONE if self.raised else outcome.get("value")
        self.error = str(outcome.get("raises", ""))
        self.inside = str(outcome.get("inside", "") or "")
        self.calls = [c for c in outcome.get("calls") or [] if isinstance(c, dict) and c.get("depth", 0) == 0]

    @property
    def error_type(self) -> str:
        return self.error.split(":", 1)[0] if self.raised else ""

    def made(self, helper: str) -> list[dict]:
        """The calls the function itself made to `helper`, in order."""
        return [c for c in self.calls if c.get("helper") == helper]

    def recorded(self, helper: str) -> list[tuple]:
        """(arguments, answer) of the calls the reference made to `helper`, in order."""
        return [(entry[1], entry[2]) for entry in self.deps.get(helper, []) if len(entry) == 3]


RULES: dict[str, list] = {}


def rule(*functions: str):
    """Register a rule for `functions`; rules are tried in the order they are written."""
    def register(check):
        for function in functions:
            RULES.setdefault(function, []).append(check)
        return check
    return register


def explain(function_name: str, cases: list, outcomes: list, failed) -> tuple[str, dict] | None:
    """The mistake that explains the most failing cases (`failed(case, outcome)` tells one, by the checks' own
    comparison), and its fields where it was first found: each counts once per case; ties go to the one found
    first. A mistake of GENERAL is chosen only when no other is found. None when no rule explains any case."""
    votes: dict[str, list] = {}  # mistake: [cases it explains, its fields], in the order first found
    for case, outcome in zip(cases, outcomes):
        if not failed(case, outcome):
            continue
        evidence, seen = Evidence(case, outcome), set()
        for check in RULES.get(function_name, ()):
            try:
                found = check(evidence)
            except Exception:  # a rule never breaks a check: what it cannot read, it does not explain
                found = None
            for mistake, fields in ([found] if isinstance(found, tuple) else found or []):
                if mistake not in seen:
                    seen.add(mistake)
                    votes.setdefault(mistake, [0, fields])[0] += 1
    specific = {name: vote for name, vote in votes.items() if name not in GENERAL} or votes
    if not specific:
        return None
    name = max(specific, key=lambda n: specific[n][0])  # the first found of equals
    return name, specific[name][1]


GENERAL = ("raised_in_a_provided_helper", "name_never_set")


# -- the activations' derivatives (the course's relu_backward and sigmoid_backward) ---------------------------

def _dZ(activation: str, dA, Z):
    """dA * g'(Z), as relu_backward or sigmoid_backward computes it (with numpy's broadcasting), or None."""
    try:
        dA, Z = np.asarray(dA, dtype=float), np.asarray(Z, dtype=float)
        if activation == "relu":
            return dA * (Z > 0).astype(float)
        s = 1 / (1 + np.exp(-Z))
        return dA * (s * (1 - s))
    except ValueError:
        return None


# -- initialize_parameters, initialize_parameters_deep ---------------------------------------------------------

@rule("initialize_parameters", "initialize_parameters_deep")
def init_layer_missing(e: Evidence):
    last = len(e.expected) // 2
    if isinstance(e.value, dict) and {k for k in e.expected if k not in e.value} == {f"W{last}", f"b{last}"}:
        return "last_layer_not_initialized", {"layer": last}
    return None


@rule("initialize_parameters_deep")
def init_loop_too_far(e: Evidence):
    if e.error_type == "IndexError" and not e.inside:
        return "init_loop_too_far", {}
    if isinstance(e.value, dict) and {f"W{len(e.expected) // 2 + 1}", "W0"} & set(e.value):
        return "init_layer_numbers_off", {}
    return None


@rule("initialize_parameters", "initialize_parameters_deep")
def init_draws(e: Evidence):
    """Right shapes and scale, zero biases, other numbers: the draws are not the course's (seed, order)."""
    if not isinstance(e.value, dict) or set(e.value) != set(e.expected) or \
            not all(np.shape(e.value[k]) == np.shape(e.expected[k]) for k in e.expected):
        return None
    weights = [k for k in e.expected if k.startswith("W")]
    if all(same(e.value[k], e.expected[k]) for k in e.expected if k.startswith("b")) and \
            any(not same(e.value[k], e.expected[k]) for k in weights) and \
            all(np.max(np.abs(np.asarray(e.value[k], dtype=float))) < 0.1 for k in weights):
        return "init_other_draws", {}
    return None


@rule("initialize_parameters", "initialize_parameters_deep")
def init_shapes(e: Evidence):
    if not isinstance(e.value, dict):
        return None
    for name in sorted(e.expected, key=lambda k: (int(k[1:]), k[0])):
        got, want = part(e.value, name), np.asarray(e.expected[name])
        if got is _NONE or _numbers(got) is None:
            continue
        shape = np.shape(got)
        if shape == want.shape:
            continue
        if name.startswith("W") and shape == want.shape[::-1]:
            return "init_W_transposed", {"name": name, "shape": want.shape}
        if e.args and isinstance(e.args[0], list):  # the deep version: layer_dims
            if name.startswith("W") and len(shape) == 2 and shape[0] == e.args[0][1] != want.shape[0]:
                return "init_rows_of_layer_one", {"name": name, "shape": want.shape}
        elif name in ("W2", "b2") and len(shape) == 2 and shape[0] == 1 != want.shape[0]:
            return "init_output_size_typed_in", {"name": name, "shape": want.shape}
        return "init_wrong_shape", {"name": name, "shape": want.shape}
    return None


# -- linear_activation_forward, L_model_forward ------------------------------------------------------------

@rule("linear_activation_forward")
def laf_linear_forward_arguments(e: Evidence):
    """A call of linear_forward whose arguments could not be bound to its parameters."""
    if any(c.get("hit") is None and c.get("args") is None and c.get("unbound") for c in e.made("linear_forward")):
        return "call_with_wrong_arguments", {"helper": "linear_forward", "parameters": "A_prev, W, b"}
    return None


@rule("linear_activation_forward")
def laf_cache_layout(e: Evidence):
    got_cache, want_cache = part(e.value, 1), part(e.expected, 1)
    if got_cache is _NONE or want_cache is _NONE or same(got_cache, want_cache):
        return None
    (A_prev, W, b), Z = want_cache
    A = part(e.expected, 0)
    if isinstance(got_cache, (tuple, list)) and len(got_cache) == 2:
        first, second = got_cache
        if same(first, Z) and same(second, Z):
            return "laf_linear_cache_is_Z", {}
        if same(first, (A_prev, W, b)) and same(second, A):
            return "cache_holds_A", {}
        if same(first, Z) and same(second, (A_prev, W, b)):
            return "cache_order_swapped", {}
    if same(got_cache, Z) or same(got_cache, (A_prev, W, b)):
        return "laf_cache_one_part", {}
    if same(got_cache, (A_prev, W, b, Z)):  # `same` takes a list for a tuple
        return "laf_cache_flat", {}
    return None


def _forward_names(e: Evidence):
    """What L_model_forward's reference computed on this case: L, and the layers' A (A[0] = X) and Z."""
    X, _ = e.args
    layers = list(enumerate(e.recorded("linear_activation_forward"), start=1))
    A = {0: X} | {l: answer[0] for l, (_, answer) in layers}
    return len(layers), A, {l: answer[1][1] for l, (_, answer) in layers}


@rule("L_model_forward")
def fwd_layer_count(e: Evidence):
    """The loop's range written as numbers: as many layers whatever the network, or a layer it does not have."""
    L, _, _ = _forward_names(e)
    missing = re.search(r"'[Wb](\d{1,2})'", e.error) if e.error_type == "KeyError" else None
    calls = e.made("linear_activation_forward")
    made = len(calls) or len(e.made("linear_forward"))
    if missing and int(missing[1]) == L + 1 and made == L:  # L = len(parameters) runs on into layer L + 1, and so
        return [("fwd_L_counts_the_keys", {"layers": L}),  # may layer numbers written in: each counts
                ("fwd_layers_written_in", {})]
    if (missing and int(missing[1]) > L) or (calls and not e.raised and len(calls) != L):
        return "fwd_layers_written_in", {}
    return None


@rule("L_model_forward")
def fwd_calls(e: Evidence):
    """A call of linear_activation_forward (or linear_forward) with the wrong input, weights or activation."""
    parameters = e.args[1]
    L, A, Z = _forward_names(e)
    helper = "linear_activation_forward" if e.made("linear_activation_forward") else "linear_forward"
    weights = [(f"W{j}", parameters.get(f"W{j}")) for j in range(1, L + 1)]
    for layer, call in enumerate(e.made(helper), start=1):
        if call.get("hit") is not None or layer > L:
            continue
        if call.get("args") is None:
            if call.get("unbound"):
                return "call_with_wrong_arguments", {"helper": helper, "parameters": "A_prev, W, b, activation"}
            continue
        A_prev, W, b = call["args"][:3]
        if len(call["args"]) == 4 and call["args"][3] == "sigmoid" and layer < L and same(W, parameters[f"W{L}"]):
            return "fwd_output_layer_inside_the_loop", {"layer": layer}
        if not same(W, parameters[f"W{layer}"]):
            given = find(W, weights)
            if given:
                return "fwd_weights_of_another_layer", {"layer": layer, "given": given, "right": f"W{layer}"}
        if not same(A_prev, A[layer - 1]):
            if layer > 1 and same(A_prev, Z[layer - 1]):
                return "Z_fed_forward", {"layer": layer, "previous": layer - 1}
            if layer > 1 and same(A_prev, A[layer - 2]):
                return "fwd_stale_A", {"layer": layer, "previous": layer - 1}
            if layer == 1 and L == 1:
                return "fwd_output_layer_not_given_X", {}
        if helper == "linear_activation_forward" and len(call["args"]) == 4:
            activation, right = call["args"][3], "sigmoid" if layer == L else "relu"
            if activation in ("relu", "sigmoid") and activation != right:
                return ("relu_on_output" if layer == L else "fwd_sigmoid_on_hidden"), {"layer": layer}
    return None


@rule("L_model_forward")
def fwd_loop_variable(e: Evidence):
    """No hidden layer (the output layer only): the loop never runs, and a name it sets is read afterwards."""
    X, parameters = e.args
    if len(parameters) // 2 == 1 and e.error_type in ("NameError", "UnboundLocalError"):
        return "fwd_loop_variable_after_loop", {}
    return None


@rule("L_model_forward")
def fwd_caches(e: Evidence):
    L, A, _ = _forward_names(e)
    caches = part(e.value, 1)
    if not isinstance(caches, (list, tuple)) or not same(part(e.value, 0), part(e.expected, 0)):
        return None
    if len(caches) == 0:
        return "fwd_caches_empty", {"layers": L}
    if isinstance(caches, tuple) and same(caches, e.expected[1][-1]):  # caches = cache, the last layer's
        return "fwd_caches_assigned", {"layers": L}
    if L > 1 and len(caches) == L - 1 and all(same(c, w) for c, w in zip(caches, e.expected[1])):
        return "fwd_output_cache_missing", {"layer": L, "before": L - 1}
    if L > 1 and len(caches) == 1:
        return "fwd_caches_assigned", {"layers": L}
    if len(caches) == L and all(same(c, A[l]) for l, c in enumerate(caches, start=1)):
        return "fwd_caches_hold_A", {}
    if isinstance(caches, list) and len(caches) == 2 * L and all(
            same(caches[2 * i], linear) and same(caches[2 * i + 1], activation)
            for i, (linear, activation) in enumerate(e.expected[1])):
        return "fwd_caches_extended", {}
    return None


@rule("L_model_forward")
def fwd_caches_hold_themselves(e: Evidence):
    caches = part(e.value, 1)
    if (isinstance(caches, list) and any(c is caches for c in caches)) or e.error_type == "RecursionError":
        return "fwd_caches_appended_to_itself", {}
    return None


# -- compute_cost -------------------------------------------------------------------------------------------

@rule("compute_cost")
def cost_sum_with_two_terms(e: Evidence):
    if e.error_type == "TypeError" and e.inside == "numpy" and ("integer" in e.error or "axis" in e.error):
        return "cost_second_term_as_axis", {}
    if e.error_type == "ValueError" and "not aligned" in e.error and not e.inside:
        return "cost_dot_of_two_rows", {}
    if e.value is not _NONE and not isinstance(e.value, (tuple, list, dict, str)):
        try:
            if not np.all(np.isfinite(np.asarray(e.value, dtype=float))):
                return "cost_not_finite", {}
        except (TypeError, ValueError):
            pass
    return None


@rule("compute_cost")
@np.errstate(all="ignore")
def cost_formula(e: Evidence):
    AL, Y = (np.asarray(a, dtype=float) for a in e.args)
    if isinstance(e.value, tuple):
        return "cost_is_a_tuple", {}
    got = _numbers(e.value)
    if got is None or got.size != 1:
        return None
    if got.shape != np.shape(e.expected) and same_values(got, e.expected):
        return "cost_not_squeezed", {}
    m = Y.shape[1]
    first, second = np.sum(Y * np.log(AL)), np.sum((1 - Y) * np.log(1 - AL))
    other = np.sum((1 - Y) * (1 - np.log(1 - AL)))
    right = -(first + second) / m
    whole = -(np.sum(Y) * np.sum(np.log(AL)) + np.sum(1 - Y) * np.sum(np.log(1 - AL))) / m
    candidates = [(mistake, {}, value) for mistake, value in (
        ("cost_without_1_minus_y", -first / m), ("cost_without_1_over_m", -(first + second)),
        ("cost_without_minus", (first + second) / m), ("cost_one_term_scaled", -first / m + second),
        ("cost_one_term_scaled", -first / m - second), ("cost_one_minus_log", -(first + other) / m),
        ("cost_log10", right / np.log(10)), ("cost_second_term_sign", -(first - second) / m),
        ("cost_broadcast_outer", whole))]
    seconds = {"log(AL)": np.sum((1 - Y) * np.log(AL)), "1 - log(AL)": np.sum((1 - Y) * (1 - np.log(AL))),
               "log(1 - AL) without the factor (1 - Y)": np.sum(np.log(1 - AL)),
               "Y where 1 - Y belongs": np.sum(Y * np.log(1 - AL))}
    candidates += [("cost_second_term_wrong", {"what": what}, -(first + term) / m) for what, term in seconds.items()]
    value = float(got.ravel()[0])
    return [(mistake, fields) for mistake, fields, candidate in candidates  # a case can fit several
            if not np.isclose(candidate, right, RTOL, ATOL) and np.isclose(value, candidate, RTOL, ATOL)]


# -- linear_backward, linear_activation_backward --------------------------------------------------------------

@rule("linear_backward")
def lb_products(e: Evidence):
    if e.error_type == "ValueError" and "not aligned" in e.error:
        return "lb_missing_transpose", {}
    if e.error_type == "ValueError" and "broadcast" in e.error:
        return "lb_elementwise_product", {}
    return None


@rule("linear_backward")
def lb_parts(e: Evidence):
    dZ, (A_prev, W, b) = e.args
    dZ = np.asarray(dZ, dtype=float)
    m = dZ.shape[1]
    want_dA, want_dW, want_db = e.expected
    if not isinstance(e.value, (tuple, list)) or len(e.value) != 3:
        return None
    dA_prev, dW, db = e.value
    found = []
    A_prev, W = np.asarray(A_prev, dtype=float), np.asarray(W, dtype=float)
    for k in {dZ.shape[0], A_prev.shape[0]} - {m}:
        if same(dW, np.asarray(want_dW) * m / k) or same(db, np.asarray(want_db) * m / k):
            found.append(("lb_m_from_the_wrong_axis", {}))
    if not same(dW, want_dW) and same(dW, np.transpose(want_dW)) and np.shape(want_dW)[0] != np.shape(want_dW)[1]:
        found.append(("dW_transposed", {}))
    if not same(dW, want_dW) and A_prev.shape[0] == m and same(dW, np.dot(dZ, A_prev) / m):
        found.append(("lb_missing_transpose", {}))
    if not same(dA_prev, want_dA) and W.shape[0] == W.shape[1] and same(dA_prev, np.dot(W, dZ)):
        found.append(("lb_missing_transpose", {}))
    if not same(db, want_db):
        if same(db, dZ / m):
            found.append(("db_not_summed", {}))
        if same_values(db, want_db):
            found.append(("db_without_keepdims", {}))
        total = np.sum(want_db)
        values = _numbers(db)
        if np.shape(want_db)[0] > 1 and values is not None and values.size and \
                np.allclose(values, total, RTOL, ATOL) and not np.allclose(np.ravel(want_db), total, RTOL, ATOL):
            found.append(("db_summed_to_a_number", {}))  # one total, alone or repeated
        if same_values(db, np.sum(dZ, axis=0) / m):
            found.append(("db_wrong_axis", {}))
        if same(db, want_db * m):
            found.append(("db_without_1_over_m", {}))
    if not same(dW, want_dW) and same(dW, want_dW * m):
        found.append(("dW_without_1_over_m", {}))
    if not same(dA_prev, want_dA) and same_values(np.asarray(dA_prev, dtype=float) * m, want_dA):
        found.append(("dA_prev_with_1_over_m", {}))
    return found


@rule("linear_activation_backward")
def lab_calls(e: Evidence):
    dA, cache, activation = e.args
    linear_cache, Z = cache
    calls = e.made("linear_backward")
    if not calls:
        if e.error_type in ("NameError", "UnboundLocalError") or same(part(e.value, 0), _dZ(activation, dA, Z)):
            return "lab_linear_backward_not_called", {}
        return None
    for call in calls:
        if call.get("hit") is not None or call.get("args") is None:
            continue
        dZ, given = call["args"][:2]
        if same(given, cache):
            return "lab_pair_to_linear_backward", {}
        if same(given, linear_cache):
            if same(dZ, dA):
                return "derivative_skipped", {}
            other = "sigmoid" if activation == "relu" else "relu"
            if same(dZ, _dZ(other, dA, Z)):
                return "derivatives_swapped", {"activation": activation}
    return None


# -- L_model_backward ---------------------------------------------------------------------------------------

DERIVATIVES = {"relu_backward": "relu", "sigmoid_backward": "sigmoid"}
# the helpers whose calls bwd_calls reads, with their parameters
PARAMETERS = {"linear_activation_backward": "dA, cache, activation", "linear_backward": "dZ, cache",
              "relu_backward": "dA, cache", "sigmoid_backward": "dA, cache"}


class _Backward:
    """What L_model_backward's reference computed on one case, by layer (1 ... L)."""

    def __init__(self, e: Evidence):
        AL, Y, caches = e.args
        self.AL, self.caches, self.L = np.asarray(AL, dtype=float), caches, len(caches)
        Y = np.asarray(Y, dtype=float).reshape(self.AL.shape)
        layers = e.recorded("linear_activation_backward")
        self.dA = {self.L - i: args[0] for i, (args, _) in enumerate(layers)}  # what each layer is given
        self.dAL = self.dA.get(self.L)
        AL = self.AL
        self.wrong_dAL = [  # (the mistake, the dA it hands the output layer)
            (("bwd_AL_for_dAL", {}), AL), (("bwd_dZ_shortcut_as_dAL", {}), AL - Y),
            (("bwd_dAL_one_term_sign", {}), -(Y / AL) - (1 - Y) / (1 - AL)),
            (("bwd_dAL_one_term_sign", {}), Y / AL + (1 - Y) / (1 - AL)),
            (("dAL_wrong_sign", {}), Y / AL - (1 - Y) / (1 - AL)),
            (("bwd_dAL_over_m", {}), None if self.dAL is None else np.asarray(self.dAL) / AL.shape[1])]

    def activation(self, layer: int) -> str:
        return "sigmoid" if layer == self.L else "relu"

    def layer_of(self, given, part=None) -> int | None:
        """The layer whose cache (or its part 0, the linear cache, or 1, Z) `given` is."""
        return next((j for j, cache in enumerate(self.caches, start=1)
                     if same(given, cache if part is None else cache[part])), None)

    def cache(self, layer: int, given, part=None):
        """Why `given` is not `layer`'s cache (or its part): (mistake, fields) or None."""
        found = self.layer_of(given, part)
        if found is not None and found != layer:
            return "bwd_cache_of_another_layer", {"layer": layer, "given": found - 1, "right": layer - 1}
        if found is None and part is None and same(given, list(self.caches)):
            return "bwd_whole_caches_list", {"layer": layer}
        return None

    def gradient(self, layer: int, given):
        """Why `given`, handed to `layer` as its dA, is not dA{layer}: (mistake, fields) or None."""
        if same(given, self.dA.get(layer)):
            return None
        if layer < self.L and same(given, self.dAL):
            return "bwd_dAL_to_hidden_layer", {"layer": layer, "above": layer + 1}
        if layer < self.L - 1 and same(given, self.dA.get(layer + 1)):
            return "bwd_gradient_of_the_layer_above_again", {"layer": layer, "above": layer + 1}
        other = next((j for j in range(1, self.L + 1) if j != layer and same(given, self.dA[j])), None)
        if other is not None:
            return "bwd_gradient_of_another_layer", {"layer": layer, "given": other}
        return find(given, self.wrong_dAL) if layer == self.L else None

    def activation_mistake(self, layer: int, activation) -> tuple | None:
        if activation in ("relu", "sigmoid") and activation != self.activation(layer):
            return ("relu_backward_on_output", {"layer": layer}) if layer == self.L else \
                ("bwd_sigmoid_for_hidden_layer", {"layer": layer})
        return None

    def dZ_mistake(self, layer: int, dZ) -> tuple | None:
        """Why `dZ`, handed to linear_backward for `layer`, is not that layer's dZ (made from which dA, through
        which derivative)."""
        Z = self.caches[layer - 1][1]
        dAs = [self.dA[j] for j in range(self.L, 0, -1)] + [dA for _, dA in self.wrong_dAL]
        dAs = [dA for dA in dAs if dA is not None]
        right = self.activation(layer)
        for activation in (right, "sigmoid" if right == "relu" else "relu"):
            for given in dAs:
                if same(dZ, _dZ(activation, given, Z)):
                    return self.gradient(layer, given) or self.activation_mistake(layer, activation)
        if any(same(dZ, given) for given in dAs):
            return "bwd_derivative_skipped", {"layer": layer}
        return None


@rule("L_model_backward")
def bwd_calls(e: Evidence):
    """The first call, in the order the function made them, that hands a layer the wrong gradient, cache or
    activation: of linear_activation_backward, or of relu_backward, sigmoid_backward and linear_backward by a
    function that does that layer's work itself. The k-th call of a helper is taken to be for layer L - k."""
    model = _Backward(e)
    if model.dAL is None:
        return None
    current, derivative = model.L, False  # the layer being worked on; whether its derivative was taken
    for call in e.calls:
        helper = call.get("helper")
        if helper not in PARAMETERS:
            continue
        if helper in DERIVATIVES:  # a layer's work done by hand: its derivative, then linear_backward
            if derivative:
                current -= 1
            layer, derivative = current, True
        else:
            layer, current, derivative = current, current - 1, False
        if layer < 1:
            continue
        args = call.get("args")
        if call.get("hit") is not None:  # the very call the reference makes for some layer: for this one?
            hit = model.L - call["hit"]
            if hit != layer:
                return "bwd_cache_of_another_layer", {"layer": layer, "given": hit - 1, "right": layer - 1}
            continue
        if args is None:
            if call.get("unbound"):
                return "call_with_wrong_arguments", {"helper": helper, "parameters": PARAMETERS[helper]}
            continue
        if helper == "linear_activation_backward" and len(args) >= 3:
            dA, cache, activation = args[:3]
            found = (model.cache(layer, cache) or model.gradient(layer, dA)
                     or model.activation_mistake(layer, activation))
        elif helper in DERIVATIVES and len(args) >= 2:
            dA, Z = args[:2]
            found = (model.cache(layer, Z, part=1) or model.gradient(layer, dA)
                     or model.activation_mistake(layer, DERIVATIVES[helper]))
            if found is None and model.layer_of(Z, part=1) is None:
                found = "bwd_not_the_activation_cache", {"layer": layer, "helper": helper}
        elif helper == "linear_backward" and len(args) >= 2:
            dZ, cache = args[:2]
            if model.layer_of(cache) is not None:
                return "bwd_pair_to_linear_backward", {"layer": layer}
            found = model.cache(layer, cache, part=0) or model.dZ_mistake(model.layer_of(cache, 0) or layer, dZ)
        else:
            found = None
        if found is not None:
            return found
    return None


@rule("L_model_backward")
def bwd_keys(e: Evidence):
    if not isinstance(e.value, dict):
        if e.error_type == "KeyError" and re.search(r"'d[AWb]\d+'", e.error):
            return "bwd_reads_a_key_not_yet_stored", {}
        return None
    expected, got = set(e.expected), set(e.value)
    if expected == got:
        return None
    L = len(e.args[2])
    if {k.lower() for k in got} == {k.lower() for k in expected}:
        return "bwd_lower_case_keys", {}
    shifted = {f"dA{l}" for l in range(1, L + 1)} | {k for k in expected if not k.startswith("dA")}
    if got == shifted or (f"dA{L}" in got and "dA0" not in got):
        return "grads_numbered_by_layer", {"last": L}
    return None


# -- update_parameters ------------------------------------------------------------------------------------------

@rule("update_parameters")
def upd_keys(e: Evidence):
    found = re.search(r"'([A-Za-z]+)(\d{1,2})'", e.error) if e.error_type == "KeyError" else None
    if not found:
        return None
    letters, number, layers = found[1], int(found[2]), len(e.args[0]) // 2
    if letters in ("W", "b", "dW", "db") and number == 0:
        return "upd_loop_from_zero", {}
    if letters in ("W", "b", "dW", "db") and number > layers:
        return "upd_loop_too_far", {"layers": layers}
    if letters in ("W", "b"):
        return "upd_grads_keys_without_d", {"key": letters + str(number), "right": "d" + letters + str(number)}
    if letters in ("w", "dw", "B", "dB"):
        return "upd_key_case", {}
    return None


@rule("update_parameters")
def upd_steps(e: Evidence):
    params, grads, rate = e.args
    if not isinstance(e.value, dict):
        return None
    L = len(params) // 2
    untouched, steps = set(), Counter()  # layers with W or b unchanged; {steps taken: parameters that took them}
    for l in range(1, L + 1):
        for name in (f"W{l}", f"b{l}"):
            got, old, grad = part(e.value, name), params[name], grads["d" + name]
            if got is _NONE:
                continue
            if same(got, old):
                untouched.add(l)
            steps.update(count for count in range(2, L + 2) if same(got, old - count * rate * grad))
            if name.startswith("W") and same(got, old - rate * grad - rate * grads[f"db{l}"]):
                return "upd_W_with_db", {"layer": l}
            if name.startswith("W") and same(got, old + rate * grad):
                return "upd_sign", {}
            if name.startswith("b") and same(got, old - rate * grads[f"dW{l}"]):
                return "upd_b_with_dW", {"layer": l}
            if same(got, rate * grad) or same(got, -rate * grad):
                return "upd_replaced_by_the_step", {"name": name}
    untouched_b = [l for l in range(1, L + 1) if same(part(e.value, f"b{l}"), params[f"b{l}"])
                   and not same(params[f"b{l}"], params[f"b{l}"] - rate * grads[f"db{l}"])]
    untouched_W = [l for l in range(1, L + 1) if same(part(e.value, f"W{l}"), params[f"W{l}"])]
    if L == 1 and untouched_W == [1] and untouched_b == [1]:  # one layer: not updated, however it came about
        return [("upd_nothing_updated", {}), ("upd_first_layer_skipped", {}), ("last_layer_not_updated", {"layer": 1})]
    if len(untouched_W) == L and len(untouched_b) == L:
        return "upd_nothing_updated", {}
    if L > 1 and untouched_W == [1] and untouched_b == [1]:
        return "upd_first_layer_skipped", {}
    if len(untouched_b) == L and not untouched_W:
        return "upd_b_not_updated", {}
    if len(untouched_W) == L and not untouched_b:
        return "upd_W_not_updated", {}
    if L == 2 and untouched == {2}:  # with two layers, both read the same: each case counts for both
        return [("last_layer_not_updated", {"layer": L}), ("upd_first_layer_only", {})]
    if untouched == {L}:
        return "last_layer_not_updated", {"layer": L}
    if L > 1 and untouched == set(range(2, L + 1)):
        return "upd_first_layer_only", {}
    if L > 1 and 2 * L in steps.values():
        return "upd_nested_loop", {"layers": L}
    return None


# -- any function -----------------------------------------------------------------------------------------------

ALL = ("linear_forward", "linear_activation_forward", "L_model_forward", "compute_cost", "linear_backward",
       "linear_activation_backward", "L_model_backward", "update_parameters", "initialize_parameters",
       "initialize_parameters_deep")


@rule(*ALL)
def unset_name(e: Evidence):
    """A name read that nothing set: misspelt, or set in another function or branch."""
    if e.error_type in ("NameError", "UnboundLocalError") and not e.inside:
        return "name_never_set", {}
    return None


@rule(*ALL)
def raised_in_a_provided_helper(e: Evidence):
    """An exception raised inside a helper the course provides (or numpy): the student's function handed it
    something it cannot use."""
    if e.raised and e.inside:
        return "raised_in_a_provided_helper", {"helper": e.inside}
    return None
