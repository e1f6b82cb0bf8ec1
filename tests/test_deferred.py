"""The application's helpers defer dA_prev (source/application/deferred.py): a DeferredProduct acts as the array
np.dot(W.T, dZ), is computed only when used, and training with the application's helpers gives exactly what the
step_by_step solutions give, dA0 included when asked for."""
from __future__ import annotations

import copy
import importlib.util
import pickle
import sys

import numpy as np
import pytest

from dnnkit import DnnkitError, shipped
from dnnkit.course import Course
from dnnkit.solutions import load_solutions

from conftest import REPO

COURSE = Course(REPO)


def _deferred_module():
    spec = importlib.util.spec_from_file_location("deferred_under_test", REPO / "source/application/deferred.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # so that pickle finds the class
    spec.loader.exec_module(module)
    return module


DeferredProduct = _deferred_module().DeferredProduct


@pytest.fixture(scope="module")
def plain() -> dict:
    return load_solutions(COURSE, "step_by_step")


@pytest.fixture(scope="module")
def app() -> dict:
    """The application's namespace: its solutions and the helpers it imports from dnn_app_utils.py."""
    return load_solutions(COURSE, "application")


def _operands(seed=0, n=4, n_prev=6, m=5):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, n_prev)), rng.standard_normal((n, m))


def test_it_is_the_product_and_is_computed_only_when_used():
    W, dZ = _operands()
    d = DeferredProduct(W, dZ)
    assert d.shape == (6, 5) and d.ndim == 2 and d.size == 30 and d.dtype == np.float64 and len(d) == 6
    assert not d.computed  # asking for the shape does not compute it
    assert np.array_equal(np.asarray(d), np.dot(W.T, dZ))
    assert d.computed and type(np.asarray(d)) is np.ndarray


def test_it_acts_as_the_array():
    W, dZ = _operands(1)
    expected = np.dot(W.T, dZ)
    d = DeferredProduct(W, dZ)
    for got, want in [(d + 1, expected + 1), (2 * d, 2 * expected), (-d, -expected), (d * d, expected * expected),
                      (d @ np.ones(5), expected @ np.ones(5)), (np.exp(d), np.exp(expected)),
                      (np.sum(d, axis=1, keepdims=True), np.sum(expected, axis=1, keepdims=True)),
                      (d.T, expected.T), (d.sum(), expected.sum()), (d[2], expected[2]), (d[:, 1:3], expected[:, 1:3]),
                      (d > 0, expected > 0), (np.where(d > 0, d, 0), np.where(expected > 0, expected, 0)),
                      (np.array(list(d)), expected), (d.reshape(-1), expected.reshape(-1))]:
        assert type(got) is not DeferredProduct
        assert np.array_equal(got, want)
    assert repr(d) == repr(expected) and str(d) == str(expected) and f"{d}" == f"{expected}"
    np.testing.assert_array_equal(d, expected)
    with pytest.raises(ValueError, match="ambiguous"):
        bool(d)


def test_copies_and_later_updates_do_not_change_it():
    W, dZ = _operands(2)
    expected = np.dot(W.T, dZ)
    d = DeferredProduct(W, dZ)
    W -= 1.0  # an in-place parameter update after the backward step
    dZ[:] = 0
    copied = np.array(d, copy=True)
    copied[0, 0] = 1e9
    assert np.array_equal(d, expected)
    restored = pickle.loads(pickle.dumps(DeferredProduct(*_operands(2))))
    assert np.array_equal(restored, expected) and np.array_equal(copy.deepcopy(d), expected)
    d += 1  # in place, like an array: `d` is now the plain array
    assert np.array_equal(d, expected + 1)


def test_application_backward_defers_dA0_and_equals_the_plain_solutions(app, plain):
    rng = np.random.default_rng(7)
    dims, m = [6, 5, 4, 1], 8
    params = {}
    for l in range(1, len(dims)):
        params[f"W{l}"] = rng.standard_normal((dims[l], dims[l - 1]))
        params[f"b{l}"] = rng.standard_normal((dims[l], 1))
    X, Y = rng.standard_normal((dims[0], m)), (rng.random((1, m)) > 0.5).astype(float)
    AL, caches = app["L_model_forward"](X, params)
    grads = app["L_model_backward"](AL, Y, caches)
    assert type(grads["dA0"]).__name__ == "DeferredProduct" and not grads["dA0"].computed
    plain_AL, plain_caches = plain["L_model_forward"](X, params)
    plain_grads = plain["L_model_backward"](plain_AL, Y, plain_caches)
    assert set(grads) == set(plain_grads) == {"dA0", "dA1", "dA2", "dW1", "dW2", "dW3", "db1", "db2", "db3"}
    for key, value in plain_grads.items():
        assert type(value) is np.ndarray
        assert np.array_equal(np.asarray(grads[key]), value), key


def test_application_training_equals_training_with_the_plain_solutions(app, plain):
    """Both of the application's models, a few steps on small random data: the same parameters and costs to the
    last bit as the same loops written with step_by_step's (eager) functions."""
    rng = np.random.default_rng(11)
    X, Y = rng.random((30, 12)), (rng.random((1, 12)) > 0.5).astype(float)

    def plain_two_layer(iterations):
        p = plain["initialize_parameters"](30, 4, 1)
        costs = []
        for _ in range(iterations):
            A1, c1 = plain["linear_activation_forward"](X, p["W1"], p["b1"], "relu")
            A2, c2 = plain["linear_activation_forward"](A1, p["W2"], p["b2"], "sigmoid")
            costs.append(plain["compute_cost"](A2, Y))
            dA2 = -(np.divide(Y, A2) - np.divide(1 - Y, 1 - A2))
            g = {}
            dA1, g["dW2"], g["db2"] = plain["linear_activation_backward"](dA2, c2, "sigmoid")
            dA0, g["dW1"], g["db1"] = plain["linear_activation_backward"](dA1, c1, "relu")
            p = plain["update_parameters"](p, g, 0.0075)
        return p, costs[::100]

    params, costs = app["two_layer_model"](X, Y, (30, 4, 1), num_iterations=150)
    want_params, want_costs = plain_two_layer(150)
    assert costs == want_costs
    for key in want_params:
        assert np.array_equal(params[key], want_params[key]), key

    np.random.seed(1)
    p = app["initialize_parameters_deep_scaled"]([30, 5, 3, 1])
    for _ in range(150):
        AL, caches = plain["L_model_forward"](X, p)
        p = plain["update_parameters"](p, plain["L_model_backward"](AL, Y, caches), 0.0075)
    params, _ = app["L_layer_model"](X, Y, [30, 5, 3, 1], num_iterations=150)
    for key in p:
        assert np.array_equal(params[key], p[key]), key


def test_the_generator_stops_when_the_solution_line_it_replaces_is_gone(monkeypatch):
    monkeypatch.setattr(shipped, "APP_UTILS_EDITS",
                        (("linear_backward", "dA_prev = W.T @ dZ", "dA_prev = DeferredProduct(W, dZ)"),))
    with pytest.raises(DnnkitError, match=r"step_by_step\.ipynb: the solution of linear_backward .*APP_UTILS_EDITS"):
        shipped.shipped_files(COURSE)


def test_the_application_helpers_say_so():
    utils = (REPO / "source/application/dnn_app_utils.py").read_text()
    assert utils.count("DeferredProduct(W, dZ)") == 1 and "np.dot(W.T, dZ)" not in utils
    notebook = (REPO / "source/application/application.ipynb").read_text()
    assert "DeferredProduct" in notebook
