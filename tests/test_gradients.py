"""The reference solutions are right: their gradients are checked against numeric derivatives (central
differences), never against another copy of the solution."""
from __future__ import annotations

import copy
import importlib.util
import math

import numpy as np
import pytest

from dnnkit.course import Course
from dnnkit.solutions import load_solutions

from conftest import REPO

EPS = 1e-6
TOL = 1e-6


@pytest.fixture(scope="module")
def ref() -> dict:
    return load_solutions(Course(REPO), "step_by_step")


@pytest.fixture(scope="module")
def activations():
    """source/step_by_step/activations.py, loaded under a private name (kept out of sys.modules so that
    load_solutions of another assignment never picks it up)."""
    path = REPO / "source" / "step_by_step" / "activations.py"
    spec = importlib.util.spec_from_file_location("_test_gradients_activations", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def numeric_gradient(f, x: np.ndarray, eps: float = EPS) -> np.ndarray:
    """Central-difference gradient of the scalar function f() with respect to the array x (changed in place,
    then restored)."""
    grad = np.zeros_like(x, dtype=float)
    for index in np.ndindex(x.shape):
        old = x[index]
        x[index] = old + eps
        plus = float(f())
        x[index] = old - eps
        minus = float(f())
        x[index] = old
        grad[index] = (plus - minus) / (2 * eps)
    return grad


def relative_error(analytic, numeric) -> float:
    analytic, numeric = np.asarray(analytic, float), np.asarray(numeric, float)
    assert analytic.shape == numeric.shape, (analytic.shape, numeric.shape)
    denominator = np.linalg.norm(analytic) + np.linalg.norm(numeric)
    return float(np.linalg.norm(analytic - numeric) / denominator) if denominator else 0.0


def assert_gradient(name, analytic, numeric, tol=TOL):
    err = relative_error(analytic, numeric)
    assert err < tol, f"{name}: relative error {err:.3g} between the analytic and numeric gradient"


def _network(seed, dims, m):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((dims[0], m))
    params = {}
    for l in range(1, len(dims)):
        params[f"W{l}"] = rng.standard_normal((dims[l], dims[l - 1])) / np.sqrt(dims[l - 1])
        params[f"b{l}"] = rng.standard_normal((dims[l], 1)) * 0.3
    Y = rng.integers(0, 2, size=(1, m)).astype(float)
    if m > 1:
        Y[0, 0], Y[0, 1] = 1.0, 0.0
    return X, Y, params


def _pre_activations(X, params):
    """Every layer's Z, computed here from the definition (ReLU hidden layers, sigmoid output)."""
    L = len(params) // 2
    A, Zs = X, []
    for l in range(1, L + 1):
        Z = params[f"W{l}"] @ A + params[f"b{l}"]
        Zs.append(Z)
        A = np.maximum(Z, 0) if l < L else 1 / (1 + np.exp(-Z))
    return Zs


NETWORKS = {
    "3 layers [5, 4, 3, 1], m=6": (11, [5, 4, 3, 1], 6),
    "deep (6 layers), m=4": (12, [6, 5, 5, 4, 3, 2, 1], 4),
    "m=1": (13, [4, 3, 2, 1], 1),
    "one hidden layer, m=3": (14, [3, 5, 1], 3),
}


@pytest.mark.parametrize("net", list(NETWORKS))
def test_L_model_backward_matches_numeric_gradients(ref, net):
    seed, dims, m = NETWORKS[net]
    X, Y, params = _network(seed, dims, m)
    L = len(dims) - 1
    # numeric derivatives are only valid away from the ReLU kinks
    assert min(np.min(np.abs(Z)) for Z in _pre_activations(X, params)[:-1]) > 1e-3

    def cost():
        AL, _ = ref["L_model_forward"](X, params)
        return ref["compute_cost"](AL, Y)

    AL, caches = ref["L_model_forward"](X, params)
    assert len(caches) == L
    grads = ref["L_model_backward"](AL, Y, caches)
    assert set(grads) == ({f"dA{l}" for l in range(L)} | {f"dW{l}" for l in range(1, L + 1)}
                          | {f"db{l}" for l in range(1, L + 1)})

    for l in range(1, L + 1):
        for p in ("W", "b"):
            assert grads[f"d{p}{l}"].shape == params[f"{p}{l}"].shape
            assert_gradient(f"d{p}{l}", grads[f"d{p}{l}"], numeric_gradient(cost, params[f"{p}{l}"]))

    # The course's dA_prev (here dA0) is the derivative of the SUM of the per-example losses, i.e. of m * J:
    # dAL = -(Y / AL - (1 - Y) / (1 - AL)) has no 1/m, and only dW, db divide by m.
    assert_gradient("dA0", grads["dA0"], numeric_gradient(lambda: m * cost(), X))
    # and so is every dA_l: the derivative of m * J with respect to layer l's activations A_l
    for l in range(1, L):
        A_l = caches[l][0][0].copy()  # A_l as the next layer's linear cache holds it
        W, b = params[f"W{l + 1}"], params[f"b{l + 1}"]

        def rest_cost(A_l=A_l, l=l):  # J as a function of A_l (changed in place by numeric_gradient)
            A = A_l
            for k in range(l + 1, L + 1):
                Z = params[f"W{k}"] @ A + params[f"b{k}"]
                A = np.maximum(Z, 0) if k < L else 1 / (1 + np.exp(-Z))
            return -np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A))  # sum of losses = m * J

        assert W.shape[1] == A_l.shape[0] and b.shape[0] == W.shape[0]
        assert_gradient(f"dA{l}", grads[f"dA{l}"], numeric_gradient(rest_cost, A_l))


def test_the_gradient_check_can_fail(ref):
    """A gradient off by the 1/m factor (or a sign) is caught by the check used above."""
    X, Y, params = _network(11, [5, 4, 3, 1], 6)
    AL, caches = ref["L_model_forward"](X, params)
    grads = ref["L_model_backward"](AL, Y, caches)

    def cost():
        return ref["compute_cost"](ref["L_model_forward"](X, params)[0], Y)

    numeric = numeric_gradient(cost, params["W2"])
    with pytest.raises(AssertionError):
        assert_gradient("dW2 * m", grads["dW2"] * 6, numeric)
    with pytest.raises(AssertionError):
        assert_gradient("dA0 without m", grads["dA0"], numeric_gradient(cost, X))


@pytest.mark.parametrize("n_prev, n, m", [(5, 3, 4), (2, 6, 1), (4, 1, 3)])
def test_linear_backward_matches_numeric_gradients(ref, n_prev, n, m):
    rng = np.random.default_rng(n_prev * 100 + n * 10 + m)
    A, W, b = rng.standard_normal((n_prev, m)), rng.standard_normal((n, n_prev)), rng.standard_normal((n, 1))
    G = rng.standard_normal((n, m))

    def f():  # a scalar function whose gradient with respect to Z is G
        Z, _ = ref["linear_forward"](A, W, b)
        return np.sum(G * Z)

    Z, cache = ref["linear_forward"](A, W, b)
    dA_prev, dW, db = ref["linear_backward"](G, cache)
    assert (dA_prev.shape, dW.shape, db.shape) == (A.shape, W.shape, b.shape)
    # dW = (1/m) dZ A^T and db = (1/m) sum(dZ) are the derivatives of f / m; dA_prev = W^T dZ that of f
    assert_gradient("dW", dW, numeric_gradient(lambda: f() / m, W))
    assert_gradient("db", db, numeric_gradient(lambda: f() / m, b))
    assert_gradient("dA_prev", dA_prev, numeric_gradient(f, A))


@pytest.mark.parametrize("activation", ["sigmoid", "relu"])
def test_linear_activation_backward_matches_numeric_gradients(ref, activation):
    rng = np.random.default_rng(5)
    A, W, b = rng.standard_normal((4, 3)), rng.standard_normal((2, 4)), rng.standard_normal((2, 1))
    G = rng.standard_normal((2, 3))
    assert np.min(np.abs(W @ A + b)) > 1e-3

    def f():
        out, _ = ref["linear_activation_forward"](A, W, b, activation)
        return np.sum(G * out)

    _, cache = ref["linear_activation_forward"](A, W, b, activation)
    dA_prev, dW, db = ref["linear_activation_backward"](G, cache, activation)
    assert_gradient("dW", dW, numeric_gradient(lambda: f() / 3, W))
    assert_gradient("db", db, numeric_gradient(lambda: f() / 3, b))
    assert_gradient("dA_prev", dA_prev, numeric_gradient(f, A))


def test_sigmoid_backward_matches_numeric_derivative(activations):
    rng = np.random.default_rng(21)
    Z = rng.standard_normal((3, 5)) * 3
    dA = rng.standard_normal((3, 5))
    A, cache = activations.sigmoid(Z)
    np.testing.assert_allclose(A, 1 / (1 + np.exp(-Z)), rtol=1e-12)
    dZ = activations.sigmoid_backward(dA, cache)
    numeric = numeric_gradient(lambda: np.sum(dA * activations.sigmoid(Z)[0]), Z)
    assert_gradient("sigmoid dZ", dZ, numeric)


def test_relu_backward_matches_numeric_derivative(activations):
    rng = np.random.default_rng(22)
    Z = rng.standard_normal((4, 6))
    Z[np.abs(Z) < 0.05] = 0.5  # away from the kink at 0
    Z[0, 0], Z[0, 1] = -1.0, 1.0  # both sides present
    dA = rng.standard_normal((4, 6))
    dA_before = dA.copy()
    A, cache = activations.relu(Z)
    np.testing.assert_array_equal(A, np.where(Z > 0, Z, 0.0))
    dZ = activations.relu_backward(dA, cache)
    numeric = numeric_gradient(lambda: np.sum(dA * activations.relu(Z)[0]), Z)
    assert_gradient("relu dZ", dZ, numeric)
    np.testing.assert_array_equal(dA, dA_before)  # dA is not modified


def test_relu_backward_is_zero_at_zero(activations):
    dZ = activations.relu_backward(np.array([[2.0, 3.0, 4.0]]), np.array([[-1.0, 0.0, 1.0]]))
    np.testing.assert_array_equal(dZ, [[0.0, 0.0, 4.0]])


@pytest.mark.parametrize("m", [1, 7])
def test_compute_cost_matches_an_explicit_loop(ref, m):
    rng = np.random.default_rng(30 + m)
    AL = rng.uniform(0.01, 0.99, (1, m))
    Y = rng.integers(0, 2, size=(1, m))
    total = 0.0
    for i in range(m):
        a, y = float(AL[0, i]), int(Y[0, i])
        total += -math.log(a) if y == 1 else -math.log1p(-a)
    cost = ref["compute_cost"](AL, Y)
    assert np.shape(cost) == ()
    assert math.isclose(float(cost), total / m, rel_tol=1e-12)


def test_compute_cost_known_values(ref):
    # a perfect-ish prediction costs ~0; a coin flip costs log 2 per example
    assert math.isclose(float(ref["compute_cost"](np.full((1, 4), 0.5), np.array([[1, 0, 1, 0]]))),
                        math.log(2), rel_tol=1e-12)
    assert float(ref["compute_cost"](np.array([[1 - 1e-12, 1e-12]]), np.array([[1, 0]]))) < 1e-11


def test_compute_cost_is_the_derivative_source_of_dAL(ref):
    """d(m * J)/dAL = -(Y/AL - (1-Y)/(1-AL)): checked numerically on compute_cost itself."""
    rng = np.random.default_rng(40)
    AL = rng.uniform(0.1, 0.9, (1, 5))
    Y = np.array([[1, 0, 0, 1, 1]])
    numeric = numeric_gradient(lambda: 5 * ref["compute_cost"](AL, Y), AL)
    assert_gradient("dAL", -(Y / AL - (1 - Y) / (1 - AL)), numeric)


@pytest.mark.parametrize("dims, lr", [([4, 3, 2, 1], 0.1), ([3, 1], 1.5)])
def test_update_parameters(ref, dims, lr):
    rng = np.random.default_rng(50 + len(dims))
    params = {}
    grads = {}
    for l in range(1, len(dims)):
        params[f"W{l}"] = rng.standard_normal((dims[l], dims[l - 1]))
        params[f"b{l}"] = rng.standard_normal((dims[l], 1))
        grads[f"dW{l}"] = rng.standard_normal((dims[l], dims[l - 1]))
        grads[f"db{l}"] = rng.standard_normal((dims[l], 1))
        grads[f"dA{l - 1}"] = rng.standard_normal((dims[l - 1], 2))
    params_before, grads_before = copy.deepcopy(params), copy.deepcopy(grads)

    new = ref["update_parameters"](params, grads, lr)

    assert list(new) == list(params)
    for name, value in params_before.items():
        expected = np.empty_like(value)
        for index in np.ndindex(value.shape):
            expected[index] = value[index] - lr * grads_before["d" + name][index]
        np.testing.assert_allclose(new[name], expected, rtol=1e-12, atol=1e-15)
    for name in params:  # inputs untouched
        np.testing.assert_array_equal(params[name], params_before[name])
    for name in grads:
        np.testing.assert_array_equal(grads[name], grads_before[name])
    assert new is not params
    for name in new:  # the result shares no memory with the input
        new[name] += 1.0
        np.testing.assert_array_equal(params[name], params_before[name])
