"""Section 6 of step_by_step, gradient checking: the reference numeric_gradient agrees with the reference
backward propagation and catches a broken one, param_vectors round-trips, the cases are tiny and drawn per
student, and every catalogued mistake of the two new functions shows on the cases."""
from __future__ import annotations

import copy
import itertools
import subprocess
import sys

import numpy as np
import pytest

from dnnkit import checks
from dnnkit.cases import DEPENDENCIES, FUNCTIONS, INPUTS
from dnnkit.course import Course
from dnnkit.mistakes import BY_NAME, for_function
from dnnkit.refcache import build_cases
from dnnkit.solutions import load_solutions

from conftest import REPO
from test_gradients import _network  # the same small random networks

COURSE = Course(REPO)
NEW = ("numeric_gradient", "gradient_difference")


@pytest.fixture(scope="module")
def ref() -> dict:
    return load_solutions(COURSE, "step_by_step")


@pytest.fixture(scope="module")
def cases(ref) -> dict:
    return {"public": build_cases(ref, "step_by_step", hidden=False),
            "hidden": build_cases(ref, "step_by_step", hidden=True)}


NETWORKS = {
    "one hidden layer [3, 4, 1], m=5": (1, [3, 4, 1], 5),
    "m=1 [4, 3, 1]": (2, [4, 3, 1], 1),
    "output layer only [5, 1], m=4": (3, [5, 1], 4),
    "deeper [4, 3, 3, 2, 1], m=6": (4, [4, 3, 3, 2, 1], 6),
    "wide hidden layer [2, 8, 1], m=3": (5, [2, 8, 1], 3),
}


def _far_from_relu_kinks(ref, X, params, margin=1e-4):
    """No hidden pre-activation within `margin` of 0, where a nudge could cross the ReLU kink."""
    _, caches = ref["L_model_forward"](X, params)
    return all(np.min(np.abs(cache[1])) > margin for cache in caches[:-1])


def _backward_vector(ref, X, Y, params):
    AL, caches = ref["L_model_forward"](X, params)
    return ref["gradients_to_vector"](ref["L_model_backward"](AL, Y, caches), params), caches


@pytest.mark.parametrize("net", list(NETWORKS))
def test_numeric_gradient_agrees_with_L_model_backward(ref, net):
    X, Y, params = _network(*NETWORKS[net])
    assert _far_from_relu_kinks(ref, X, params)
    before = copy.deepcopy(params)
    grad, _ = _backward_vector(ref, X, Y, params)
    grad_approx = ref["numeric_gradient"](params, X, Y)
    n = sum(v.size for v in params.values())
    assert grad_approx.shape == grad.shape == (n, 1)
    difference = ref["gradient_difference"](grad, grad_approx)
    assert type(difference) is float
    assert difference < 1e-7, f"{net}: difference {difference:.3g}"
    for name in params:  # the parameters are left as they were
        np.testing.assert_array_equal(params[name], before[name])


@pytest.mark.parametrize("net", list(NETWORKS)[:3])
def test_numeric_gradient_is_the_central_difference_entry_by_entry(ref, net):
    """Computed here without param_vectors, by nudging each array of the dict in place: same numbers, same order."""
    X, Y, params = _network(*NETWORKS[net])
    epsilon = 1e-5
    expected = []
    for l in range(1, len(params) // 2 + 1):
        for p in ("W", "b"):
            array = params[f"{p}{l}"]
            for index in np.ndindex(array.shape):
                old = array[index]
                array[index] = old + epsilon
                plus = ref["compute_cost"](ref["L_model_forward"](X, params)[0], Y)
                array[index] = old - epsilon
                minus = ref["compute_cost"](ref["L_model_forward"](X, params)[0], Y)
                array[index] = old
                expected.append((plus - minus) / (2 * epsilon))
    got = ref["numeric_gradient"](params, X, Y, epsilon)
    np.testing.assert_allclose(got, np.array(expected).reshape(-1, 1), rtol=1e-6, atol=1e-9)


def _without_1_over_m(grads, m):
    return {k: v * m if k.startswith("dW") else v for k, v in grads.items()}


def _db_wrong_sign(grads, m):
    last = max(int(k[2:]) for k in grads if k.startswith("db"))
    return {k: -v if k == f"db{last}" else v for k, v in grads.items()}


def _dW1_zero(grads, m):
    return {k: np.zeros_like(v) if k == "dW1" else v for k, v in grads.items()}


@pytest.mark.parametrize("break_grads", [_without_1_over_m, _db_wrong_sign, _dW1_zero])
@pytest.mark.parametrize("net", ["one hidden layer [3, 4, 1], m=5", "deeper [4, 3, 3, 2, 1], m=6"])
def test_a_broken_backward_is_caught(ref, net, break_grads):
    X, Y, params = _network(*NETWORKS[net])
    AL, caches = ref["L_model_forward"](X, params)
    grads = break_grads(copy.deepcopy(ref["L_model_backward"](AL, Y, caches)), X.shape[1])
    grad = ref["gradients_to_vector"](grads, params)
    difference = ref["gradient_difference"](grad, ref["numeric_gradient"](params, X, Y))
    assert difference > 1e-3, f"{break_grads.__name__} on {net}: difference only {difference:.3g}"


def test_gradient_difference_known_values(ref):
    diff = ref["gradient_difference"]
    g = np.array([[3.0], [4.0]])
    assert diff(g, np.array([[3.0], [0.0]])) == pytest.approx(4 / 8, rel=1e-15)  # |(0, 4)| / (5 + 3)
    assert diff(g, g.copy()) == 0.0
    assert diff(g, -g) == pytest.approx(1.0, rel=1e-15)
    assert diff(g, 2 * g) == pytest.approx(5 / 15, rel=1e-15)
    assert type(diff(g, -g)) is float


# ----------------------------------------------------------------------------------------------------------
# param_vectors.py
# ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dims", [[3, 2, 1], [5, 1], [4, 3, 3, 2, 1]])
def test_param_vectors_round_trip(ref, dims):
    _, _, params = _network(7, dims, 2)
    L = len(dims) - 1
    theta = ref["parameters_to_vector"](params)
    order = [f"{p}{l}" for l in range(1, L + 1) for p in ("W", "b")]
    assert theta.shape == (sum(params[k].size for k in order), 1)
    np.testing.assert_array_equal(theta.ravel(), np.concatenate([params[k].ravel() for k in order]))
    # the vector order is W1, b1, ..., whatever the dict's order; the dict keeps the order of `like`
    like = {k: params[k] for k in reversed(order)}
    np.testing.assert_array_equal(ref["parameters_to_vector"](like), theta)
    back = ref["vector_to_parameters"](theta, like)
    assert list(back) == list(like)
    for k in order:
        assert back[k].shape == params[k].shape
        np.testing.assert_array_equal(back[k], params[k])
        assert not np.shares_memory(back[k], theta)
    theta_flat = ref["vector_to_parameters"](theta.ravel(), params)
    np.testing.assert_array_equal(ref["parameters_to_vector"](theta_flat), theta)
    with pytest.raises(ValueError):
        ref["vector_to_parameters"](theta[:-1], params)
    labels = ref["vector_labels"](params)
    assert len(labels) == theta.shape[0] and labels[0] == "W1[0, 0]" and labels[-1] == f"b{L}[0, 0]"
    assert len(set(labels)) == len(labels)


def test_gradients_to_vector_ignores_dA_and_follows_the_parameter_order(ref):
    X, Y, params = _network(8, [4, 3, 2, 1], 3)
    AL, caches = ref["L_model_forward"](X, params)
    grads = ref["L_model_backward"](AL, Y, caches)
    assert any(k.startswith("dA") for k in grads)
    grad = ref["gradients_to_vector"](grads, params)
    as_params = {k[1:]: v for k, v in grads.items() if not k.startswith("dA")}
    np.testing.assert_array_equal(grad, ref["parameters_to_vector"](as_params))
    assert grad.shape == ref["parameters_to_vector"](params).shape
    with pytest.raises(ValueError):
        ref["gradients_to_vector"]({**grads, "db1": np.zeros((1, 5))}, params)  # db1 is (3, 1)


# ----------------------------------------------------------------------------------------------------------
# The cases and the catalogued mistakes
# ----------------------------------------------------------------------------------------------------------


def test_the_new_functions_are_graded_last_with_their_dependencies():
    assert FUNCTIONS["step_by_step"][-2:] == NEW
    assert DEPENDENCIES["numeric_gradient"] == ("L_model_forward", "compute_cost")


def test_numeric_gradient_cases_are_tiny_and_cover_the_shapes(cases):
    names = []
    for group in ("public", "hidden"):
        for case in cases[group]["numeric_gradient"]:
            params = case["args"][0]
            n = sum(v.size for v in params.values())
            assert n <= 40, (case["name"], n)
            assert len(case["deps"]["L_model_forward"]) == 2 * n
            names.append((group, case["name"], len(params) // 2, case["args"][1].shape[1]))
    assert len([n for n in names if n[0] == "public"]) == 1
    hidden = [n for n in names if n[0] == "hidden"]
    assert 3 <= len(hidden) <= 4
    layers = {n[2] for n in hidden}
    assert 1 in layers and 2 in layers and max(layers) >= 3  # output layer only, one hidden layer, deeper
    assert any(n[3] == 1 for n in hidden)  # m=1
    assert 3 <= len(cases["hidden"]["gradient_difference"]) <= 4
    assert len(cases["public"]["gradient_difference"]) == 1


def test_hidden_cases_of_the_new_functions_are_drawn_per_student(ref):
    fixed = INPUTS["step_by_step"](ref, True)
    other = INPUTS["step_by_step"](ref, True, seed=12345)
    for name in NEW:
        assert [c[0] for c in fixed[name]] == [c[0] for c in other[name]]
        for (_, a), (_, b) in zip(fixed[name], other[name]):
            assert checks.digest(a) != checks.digest(b)
            shapes = lambda args: [np.shape(x) for x in args if not isinstance(x, dict)]  # noqa: E731
            assert shapes(a) == shapes(b)


def test_numeric_gradient_costs_only_its_own_points(ref, cases):
    """While numeric_gradient runs on a case, L_model_forward and compute_cost answer from the recordings: a
    solution whose L_model_forward and compute_cost are broken still gets numeric_gradient right."""
    broken = load_solutions(COURSE, "step_by_step", edits={
        "L_model_forward": BY_NAME["relu_on_output"].apply,
        "compute_cost": BY_NAME["cost_without_minus"].apply})
    for group in ("public", "hidden"):
        for case in cases[group]["numeric_gradient"]:
            got = checks.run_case(broken["numeric_gradient"], case)
            assert checks.compare(got, case["expected"], "numeric_gradient") == [], case["name"]
    # without the replay the broken helpers do show (so the check above can fail)
    case = cases["public"]["numeric_gradient"][0]
    with np.errstate(all="ignore"):  # a relu output layer can give log(0)
        direct = broken["numeric_gradient"](*copy.deepcopy(case["args"]))
    assert checks.compare(direct, case["expected"], "numeric_gradient")


@pytest.mark.parametrize("function", NEW)
def test_catalogued_mistakes_show_on_the_cases_and_differ_from_each_other(ref, cases, function):
    mistakes = for_function(function)
    assert len(mistakes) >= 2
    outputs = {}
    for mistake in mistakes:
        namespace = load_solutions(COURSE, "step_by_step", edits={function: mistake.apply})
        outputs[mistake.name] = {}
        for group in ("public", "hidden"):
            got = [checks.run_case(namespace[function], case) for case in cases[group][function]]
            wrong = [bool(checks.compare(g, c["expected"], function)) for g, c in zip(got, cases[group][function])]
            assert any(wrong), f"{mistake.name}: no {group} case tells it from the correct answer"
            outputs[mistake.name][group] = got
    for a, b in itertools.combinations(outputs, 2):
        differ = [bool(checks.compare(x, y, function))
                  for group in ("public", "hidden") for x, y in zip(outputs[a][group], outputs[b][group])]
        assert any(differ), f"{a} and {b} return the same on every case"


def test_application_helpers_import_and_check_gradients():
    """dnn_app_utils.py (step_by_step's solutions, numeric_gradient included) imports next to the shipped
    param_vectors.py and its gradient check passes there."""
    code = (
        "import numpy as np\n"
        "import dnn_app_utils as u\n"
        "rng = np.random.default_rng(3)\n"
        "X, Y = rng.standard_normal((3, 4)), np.array([[1, 0, 1, 0]])\n"
        "p = {'W1': rng.standard_normal((2, 3)), 'b1': rng.standard_normal((2, 1)),\n"
        "     'W2': rng.standard_normal((1, 2)), 'b2': rng.standard_normal((1, 1))}\n"
        "AL, caches = u.L_model_forward(X, p)\n"
        "g = u.gradients_to_vector(u.L_model_backward(AL, Y, caches), p)\n"
        "print(u.gradient_difference(g, u.numeric_gradient(p, X, Y)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO / "source" / "application", capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert float(out.stdout) < 1e-7
