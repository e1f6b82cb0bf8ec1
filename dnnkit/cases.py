"""The inputs every graded function is checked on: public cases (released) and hidden cases (grader only).

Inputs are drawn from fixed seeds; inputs that are themselves forward results (the caches the backward
functions take) are computed with the reference solution, so each function is graded on correct inputs.
"""
import numpy as np

FUNCTIONS = {
    "step_by_step": (
        "initialize_parameters", "initialize_parameters_deep", "linear_forward", "linear_activation_forward",
        "L_model_forward", "compute_cost", "linear_backward", "linear_activation_backward",
        "L_model_backward", "update_parameters", "numeric_gradient", "gradient_difference",
    ),
    "application": ("two_layer_model", "L_layer_model"),
}

# L_model_backward must start from dAL and the cached Z (the course's generic path): on these cases AL is not
# sigmoid of the cached Z, so the shortcut dZ = AL - Y gives other numbers.
AL_NOT_FROM_CACHES = "AL not computed from these caches"

# Graded helpers a function calls directly.
DEPENDENCIES = {
    "linear_activation_forward": ("linear_forward",),
    "L_model_forward": ("linear_activation_forward",),
    "linear_activation_backward": ("linear_backward",),
    "L_model_backward": ("linear_activation_backward",),
    "numeric_gradient": ("L_model_forward", "compute_cost"),
}

# Lower graded helpers that students' functions often call themselves, skipping the helper in between
# (L_model_backward running sigmoid_backward or relu_backward and then linear_backward, instead of calling
# linear_activation_backward): their calls inside the helper in between are recorded too, and replayed like the
# direct ones. Not numeric_gradient's: its 2n forward passes are replayed whole (recording every layer of each
# would double the reference files and the time to draw a student's cases).
SKIPPED_TO = {
    "L_model_forward": ("linear_forward",),
    "L_model_backward": ("linear_backward",),
}


def replayed_helpers(function_name: str) -> tuple[str, ...]:
    """The graded helpers whose calls a case of `function_name` records and replays (checks.record_calls,
    checks.run_case): SKIPPED_TO's and DEPENDENCIES'."""
    return (*SKIPPED_TO.get(function_name, ()), *DEPENDENCIES.get(function_name, ()))


def assignment_of(function_name: str) -> str:
    for assignment, names in FUNCTIONS.items():
        if function_name in names:
            return assignment
    raise KeyError(f"{function_name} is not a graded function")


def _parameters(rng, dims) -> dict:
    """Random parameters for layer sizes `dims`: W scaled by 1/sqrt(n_prev), b non-zero."""
    params = {}
    for l in range(1, len(dims)):
        params[f"W{l}"] = rng.standard_normal((dims[l], dims[l - 1])) / np.sqrt(dims[l - 1])
        params[f"b{l}"] = rng.standard_normal((dims[l], 1)) * 0.5
    return params


def _gradients(rng, params: dict) -> dict:
    """Random gradients {dW1, db1, ...} of the shapes of `params`."""
    return {k.replace("W", "dW").replace("b", "db"): rng.standard_normal(v.shape) for k, v in params.items()}


def _labels(rng, m, all_same=None):
    if all_same is not None:
        return np.full((1, m), all_same, dtype=np.int64)
    y = rng.integers(0, 2, size=(1, m), dtype=np.int64)
    if m > 1:  # both classes present
        y[0, 0], y[0, -1] = 1, 0
    return y


def _linear(rng, n_prev, n, m):
    return (rng.standard_normal((n_prev, m)), rng.standard_normal((n, n_prev)), rng.standard_normal((n, 1)))


def _gradient_check(rng, dims, m, epsilon=None):
    """(parameters, X, Y[, epsilon]) for numeric_gradient: keep the net tiny, each case records 2n forward passes
    (n = number of parameters). An epsilon much larger than the default makes a one-sided difference visible."""
    X = rng.standard_normal((dims[0], m))
    args = (_parameters(rng, dims), X, _labels(rng, m))
    return args if epsilon is None else (*args, epsilon)


def _gradient_pair(rng, n, kind):
    """(grad, grad_approx), both (n, 1): grad_approx "close" to grad (relative noise 1e-3), "one off" (one
    entry moved by 1), "opposite" (-grad) or "unrelated" (drawn on its own)."""
    grad = rng.standard_normal((n, 1))
    if kind == "close":
        return grad, grad * (1 + 1e-3 * rng.standard_normal((n, 1)))
    if kind == "one off":
        approx = grad.copy()
        approx[rng.integers(0, n), 0] += 1.0
        return grad, approx
    if kind == "opposite":
        return grad, -grad
    if kind == "unrelated":
        return grad, rng.standard_normal((n, 1))
    raise ValueError(kind)


def step_by_step_inputs(ref: dict, hidden: bool, seed: int | None = None) -> dict[str, list[tuple[str, tuple]]]:
    """{function: [(case name, args), ...]}; `ref` is the reference namespace (for forward caches).

    `seed` (hidden cases only) draws another set of numbers of the same shapes: one per student."""
    rng = np.random.default_rng((20261126 if seed is None else seed) if hidden else 1)
    if not hidden:
        A_prev, W, b = _linear(rng, 3, 1, 2)
        X = rng.standard_normal((5, 4))
        fwd_params = _parameters(rng, [5, 4, 3, 1])
        dZ = rng.standard_normal((3, 4))
        lin_cache = _linear(rng, 5, 3, 4)
        act_dA = rng.standard_normal((1, 2))
        _, act_cache = ref["linear_activation_forward"](*_linear(rng, 3, 1, 2), "relu")
        bw_X, bw_params = rng.standard_normal((4, 2)), _parameters(rng, [4, 3, 1])
        AL, caches = ref["L_model_forward"](bw_X, bw_params)
        other_AL = rng.uniform(0.05, 0.95, AL.shape)
        up_params = _parameters(rng, [3, 2, 1])
        up_grads = _gradients(rng, up_params)
        cases = {
            "initialize_parameters": [("n_x=3, n_h=2, n_y=1", (3, 2, 1))],
            "initialize_parameters_deep": [("layer_dims=[5, 4, 3]", ([5, 4, 3],))],
            "linear_forward": [("3 inputs, 1 unit, m=2", (A_prev, W, b))],
            "linear_activation_forward": [("sigmoid, m=2", (A_prev, W, b, "sigmoid")),
                                          ("relu, m=2", (A_prev, W, b, "relu"))],
            "L_model_forward": [("3 layers [5, 4, 3, 1], m=4", (X, fwd_params))],
            "compute_cost": [("m=4", (rng.uniform(0.05, 0.95, (1, 4)), _labels(rng, 4)))],
            "linear_backward": [("5 inputs, 3 units, m=4", (dZ, lin_cache))],
            "linear_activation_backward": [("sigmoid, m=2", (act_dA, act_cache, "sigmoid")),
                                           ("relu, m=2", (act_dA, act_cache, "relu"))],
            "L_model_backward": [("2 layers [4, 3, 1], m=2", (AL, _labels(rng, 2), caches)),
                                 (AL_NOT_FROM_CACHES, (other_AL, _labels(rng, 2), caches))],
            "update_parameters": [("2 layers, learning rate 0.1", (up_params, up_grads, 0.1))],
            # drawn last, after every case above, so that adding them left the earlier cases' numbers unchanged
            "numeric_gradient": [("2 layers [3, 2, 1], m=3, epsilon=1e-4", _gradient_check(rng, [3, 2, 1], 3, 1e-4))],
            "gradient_difference": [("n=11, grad_approx close to grad", _gradient_pair(rng, 11, "close"))],
        }
        # drawn after all of the above: a deeper network, where the layers' numbers and gradients cannot be taken
        # for one another (on two layers, "the output layer's dA" and "the dA of the layer above" are the same)
        deep_X, deep_params = rng.standard_normal((5, 3)), _parameters(rng, [5, 4, 3, 1])
        deep_AL, deep_caches = ref["L_model_forward"](deep_X, deep_params)
        cases["L_model_backward"].append(("3 layers [5, 4, 3, 1], m=3", (deep_AL, _labels(rng, 3), deep_caches)))
        deep_update = _parameters(rng, [4, 3, 2, 1])
        deep_grads = _gradients(rng, deep_update)
        cases["update_parameters"].append(("3 layers, learning rate 0.05", (deep_update, deep_grads, 0.05)))
        return cases

    def forward_case(dims, m):
        return rng.standard_normal((dims[0], m)), _parameters(rng, dims)

    def backward_case(dims, m, all_same=None, other_AL=False):
        X, params = forward_case(dims, m)
        AL, caches = ref["L_model_forward"](X, params)
        if other_AL:
            AL = rng.uniform(0.05, 0.95, AL.shape)
        return AL, _labels(rng, m, all_same), caches

    def activation_backward_case(n_prev, n, m, activation):
        _, cache = ref["linear_activation_forward"](*_linear(rng, n_prev, n, m), activation)
        return rng.standard_normal((n, m)), cache, activation

    def update_case(dims, lr):
        params = _parameters(rng, dims)
        grads = {}
        for l in range(1, len(dims)):
            grads[f"dA{l - 1}"] = rng.standard_normal((dims[l - 1], 3))
            grads[f"dW{l}"] = rng.standard_normal(params[f"W{l}"].shape)
            grads[f"db{l}"] = rng.standard_normal(params[f"b{l}"].shape)
        return params, grads, lr

    return {
        "initialize_parameters": [("single units", (1, 1, 1)), ("non-square", (7, 4, 2)),
                                  ("wide input", (20, 7, 1))],
        "initialize_parameters_deep": [("one layer [1, 1]", ([1, 1],)), ("one layer [3, 1]", ([3, 1],)),
                                       ("one hidden layer", ([4, 6, 1],)),
                                       ("deep (5 layers)", ([6, 5, 4, 3, 2, 1],)),
                                       ("non-square layers", ([10, 20, 7, 5, 1],))],
        "linear_forward": [("m=1", _linear(rng, 4, 3, 1)), ("non-square", _linear(rng, 5, 2, 7)),
                           ("more units than inputs", _linear(rng, 2, 6, 3))],
        "linear_activation_forward": [("sigmoid, m=1", (*_linear(rng, 4, 3, 1), "sigmoid")),
                                      ("relu, non-square", (*_linear(rng, 5, 4, 6), "relu")),
                                      ("sigmoid, wide", (*_linear(rng, 2, 6, 3), "sigmoid")),
                                      ("relu, m=1", (*_linear(rng, 3, 5, 1), "relu"))],
        "L_model_forward": [("one hidden layer", forward_case([4, 3, 1], 5)),
                            ("m=1", forward_case([6, 4, 1], 1)),
                            ("deep (6 layers)", forward_case([8, 7, 6, 5, 4, 3, 1], 3)),
                            ("output layer only", forward_case([5, 1], 4)),
                            ("non-square layers", forward_case([3, 9, 2, 1], 6))],
        "compute_cost": [("m=1", (rng.uniform(0.05, 0.95, (1, 1)), _labels(rng, 1))),
                         ("m=10", (rng.uniform(0.05, 0.95, (1, 10)), _labels(rng, 10))),
                         ("all labels 0", (rng.uniform(0.05, 0.95, (1, 5)), _labels(rng, 5, 0))),
                         ("all labels 1", (rng.uniform(0.05, 0.95, (1, 5)), _labels(rng, 5, 1)))],
        "linear_backward": [("m=1", (rng.standard_normal((3, 1)), _linear(rng, 4, 3, 1))),
                            ("non-square", (rng.standard_normal((2, 7)), _linear(rng, 5, 2, 7))),
                            ("one unit", (rng.standard_normal((1, 4)), _linear(rng, 6, 1, 4))),
                            ("more units than inputs", (rng.standard_normal((5, 3)), _linear(rng, 2, 5, 3)))],
        "linear_activation_backward": [("relu, m=1", activation_backward_case(4, 3, 1, "relu")),
                                       ("sigmoid, non-square", activation_backward_case(5, 2, 6, "sigmoid")),
                                       ("relu, wide", activation_backward_case(2, 6, 4, "relu")),
                                       ("sigmoid, m=1", activation_backward_case(3, 1, 1, "sigmoid"))],
        "L_model_backward": [("one hidden layer", backward_case([3, 5, 1], 6)),
                             ("m=1", backward_case([4, 3, 1], 1)),
                             ("deep (6 layers)", backward_case([7, 6, 5, 4, 3, 2, 1], 4)),
                             ("output layer only", backward_case([5, 1], 4)),
                             ("all labels 1", backward_case([4, 3, 1], 3, all_same=1)),
                             (AL_NOT_FROM_CACHES, backward_case([3, 4, 2, 1], 5, other_AL=True))],
        "update_parameters": [("3 layers, learning rate 0.01", update_case([4, 3, 2, 1], 0.01)),
                              ("5 layers, learning rate 1.2", update_case([6, 5, 4, 3, 2, 1], 1.2)),
                              ("one layer, learning rate 0.5", update_case([3, 1], 0.5)),
                              ("one hidden layer, learning rate 0.05", update_case([5, 8, 1], 0.05))],
        # drawn last (see the public cases); n = 21, 6, 29 and 19 parameters
        "numeric_gradient": [("one hidden layer", _gradient_check(rng, [3, 4, 1], 5)),
                             ("output layer only, epsilon=1e-4", _gradient_check(rng, [5, 1], 4, 1e-4)),
                             ("deeper (4 layers), epsilon=1e-5", _gradient_check(rng, [3, 3, 2, 2, 1], 4, 1e-5)),
                             ("m=1", _gradient_check(rng, [4, 3, 1], 1))],
        "gradient_difference": [("n=30, grad_approx close to grad", _gradient_pair(rng, 30, "close")),
                                ("one entry off", _gradient_pair(rng, 20, "one off")),
                                ("opposite vectors", _gradient_pair(rng, 7, "opposite")),
                                ("n=1", _gradient_pair(rng, 1, "unrelated"))],
    }


def application_inputs(ref: dict, hidden: bool, seed: int | None = None) -> dict[str, list[tuple[str, tuple]]]:
    """Small training problems: (X, Y, layers_dims, learning_rate, num_iterations, print_cost)."""
    rng = np.random.default_rng((777 if seed is None else seed) if hidden else 2)

    def problem(n_x, m, dims, lr, iterations):
        X = rng.uniform(0, 1, (n_x, m))
        w = rng.standard_normal((1, n_x))
        Y = (w @ (X - 0.5) > 0).astype(np.int64)  # learnable labels
        return X, Y, dims, lr, iterations, False

    if not hidden:
        return {
            "two_layer_model": [("(6, 4, 1), 301 iterations", problem(6, 8, (6, 4, 1), 0.1, 301))],
            "L_layer_model": [("[6, 5, 3, 1], 301 iterations", problem(6, 8, [6, 5, 3, 1], 0.1, 301))],
        }
    return {
        "two_layer_model": [("(10, 5, 1), learning rate 0.05", problem(10, 15, (10, 5, 1), 0.05, 201)),
                            ("m=1, learning rate 0.3", problem(3, 1, (3, 7, 1), 0.3, 101))],
        "L_layer_model": [("[10, 6, 4, 1], learning rate 0.05", problem(10, 12, [10, 6, 4, 1], 0.05, 201)),
                          ("deep (5 layers)", problem(5, 9, [5, 6, 5, 4, 3, 1], 0.2, 101)),
                          ("output layer only", problem(8, 6, [8, 1], 0.5, 101))],
    }


INPUTS = {"step_by_step": step_by_step_inputs, "application": application_inputs}


# Functions whose hidden inputs the reference computes (the caches the backward functions take): the function
# taking them is graded on a later level than the one computing them.
INPUTS_FROM = {
    "linear_activation_backward": ("linear_activation_forward",),
    "L_model_backward": ("L_model_forward",),
}


def grading_levels(assignment: str) -> list[tuple[str, ...]]:
    """The graded functions of `assignment` in the order the sandbox gets them: a function is on a later level
    than every graded function it calls and every one whose reference computed its inputs, so no level holds
    anything computed from the reference of a function not yet final."""
    names = FUNCTIONS[assignment]
    level: dict[str, int] = {}

    def of(name: str) -> int:
        if name not in level:
            before = [b for b in (*DEPENDENCIES.get(name, ()), *INPUTS_FROM.get(name, ())) if b in names]
            level[name] = 1 + max(map(of, before)) if before else 0
        return level[name]

    return [tuple(n for n in names if of(n) == k) for k in range(1 + max(map(of, names)))]


def grade_id(function_name: str) -> str:
    """The nbgrader grade id of the locked test cell that grades `function_name`."""
    return f"test_{function_name}"


def function_of(cell_grade_id) -> str | None:
    """The graded function whose test cell has this grade id, or None."""
    if isinstance(cell_grade_id, str) and cell_grade_id.startswith("test_"):
        name = cell_grade_id[len("test_"):]
        if any(name in names for names in FUNCTIONS.values()):
            return name
    return None
