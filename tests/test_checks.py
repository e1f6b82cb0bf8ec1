"""checks.py: the messages students see, the plain-data .npz format, and running cases with replayed helpers."""
from __future__ import annotations

import collections
import copy
import re
import zipfile

import numpy as np
import pytest

from dnnkit import checks
from dnnkit.checks import check_function, compare, part_name


def _forward_result(rng, dims, m):
    """An (AL, caches) pair shaped like L_model_forward's result, built here (not by the reference)."""
    A = rng.standard_normal((dims[0], m))
    caches = []
    for l in range(1, len(dims)):
        W = rng.standard_normal((dims[l], dims[l - 1]))
        b = rng.standard_normal((dims[l], 1))
        Z = W @ A + b
        caches.append(((A, W, b), Z))
        A = np.maximum(Z, 0) if l < len(dims) - 1 else 1 / (1 + np.exp(-Z))
    return A, caches


# ------------------------------------------------------------------ naming of parts of a result


def test_wrong_W2_in_L_model_forward_caches_is_named():
    rng = np.random.default_rng(0)
    expected = _forward_result(rng, [4, 3, 2, 1], 5)
    got = copy.deepcopy(expected)
    got[1][1][0][1][0, 0] += 1.0  # caches[1] is layer 2's cache; [0][1] is its linear cache's W
    problems = compare(got, expected, "L_model_forward")
    assert len(problems) == 1, problems
    assert problems[0].startswith("result[1][1][0][1] (W2): ")


@pytest.mark.parametrize("l", [0, 1, 2])
def test_L_model_forward_cache_parts_are_named_by_layer(l):
    assert part_name("L_model_forward", (1, l, 0, 0)) == f"result[1][{l}][0][0] (A{l})"
    assert part_name("L_model_forward", (1, l, 0, 1)) == f"result[1][{l}][0][1] (W{l + 1})"
    assert part_name("L_model_forward", (1, l, 0, 2)) == f"result[1][{l}][0][2] (b{l + 1})"
    assert part_name("L_model_forward", (1, l, 1)) == f"result[1][{l}][1] (Z{l + 1})"


def test_top_level_and_other_functions_parts_are_named():
    assert part_name("L_model_forward", (0,)) == "result[0] (AL)"
    assert part_name("L_model_forward", (1,)) == "result[1] (caches)"
    assert part_name("linear_backward", (2,)) == "result[2] (db)"
    assert part_name("linear_forward", (1, 1)) == "result[1][1] (linear cache: W)"
    assert part_name("linear_activation_forward", (1, 1)) == "result[1][1] (activation cache: Z)"
    assert part_name("linear_activation_forward", (1, 0, 2)) == "result[1][0][2] (linear cache: b)"
    assert part_name("L_model_backward", ("dW1",)) == "result['dW1']"


def test_every_wrong_part_of_a_forward_result_is_named_in_the_message():
    rng = np.random.default_rng(1)
    expected = _forward_result(rng, [3, 2, 1], 2)
    got = copy.deepcopy(expected)
    got[1][0][1][0, 0] += 1.0  # Z1
    got[1][1][0][0][1, 1] -= 2.0  # A1 as held by layer 2's cache
    problems = compare(got, expected, "L_model_forward")
    assert len(problems) == 2
    assert problems[0].startswith("result[1][0][1] (Z1): ")
    assert problems[1].startswith("result[1][1][0][0] (A1): ")


# ------------------------------------------------------------------ shape, dtype, non-finite, values


def test_shape_mismatch_names_both_shapes():
    (problem,) = compare(np.zeros(3), np.zeros((3, 1)), "linear_backward", path=(2,))
    assert problem.startswith("result[2] (db): ")
    assert "(3,)" in problem and "(3, 1)" in problem


@pytest.mark.parametrize("got_dtype", [np.int64, np.float32])
def test_dtype_mismatch_names_both_dtypes(got_dtype):
    expected = np.array([[1.0, 2.0]])
    (problem,) = compare(expected.astype(got_dtype), expected)
    assert np.dtype(got_dtype).name in problem and "float64" in problem


def test_int_expected_float_got_is_a_dtype_problem():
    (problem,) = compare(np.array([1.0, 2.0]), np.array([1, 2], dtype=np.int64))
    assert "float64" in problem and "int64" in problem


def test_nan_and_inf_reported_with_count_and_first_index():
    expected = np.ones((2, 3))
    got = expected.copy()
    got[0, 2] = np.nan
    got[1, 0] = np.inf
    got[1, 2] = -np.inf
    (problem,) = compare(got, expected)
    assert "3 NaN/Inf" in problem
    assert "(0, 2)" in problem


def test_value_mismatch_reveal_shows_index_error_and_values():
    expected = np.array([[0.1, 0.123456789], [0.3, 0.4]])
    got = expected.copy()
    got[0, 1] = 0.75
    got[1, 1] = 0.45
    (problem,) = compare(got, expected, reveal=True)
    assert "2 of 4 values differ" in problem
    assert "first at index (0, 1)" in problem
    largest = float(np.max(np.abs(got - expected)))
    assert f"{largest:.3g}" in problem
    assert "0.75" in problem and "0.123456789" in problem


def test_value_mismatch_hidden_leaks_no_expected_value():
    expected = np.array([[0.1, 0.123456789], [0.3, 0.4]])
    got = expected.copy()
    got[0, 1] = 0.75
    (problem,) = compare(got, expected, reveal=False)
    assert problem == "result: values differ from the expected ones"  # no index, count or error size
    assert "error" not in problem  # an error's size would give away the size of a hidden value
    for value in expected.ravel():
        assert repr(value) not in problem
        assert repr(float(value)) not in problem
    assert "123456" not in problem
    assert "0.75" not in problem  # the student's own value is not needed either


def test_hidden_messages_carry_nothing_the_student_chose():
    class Leak0_0982857(Exception):
        pass

    leaky_type = type("Leak0_0982857", (), {})
    expected = (np.zeros((3, 1)), {"dW1": np.zeros((2, 2))})
    for got in [(leaky_type(), {"dW1": np.zeros((2, 2))}),
                (np.zeros((0, 374090597, 0)), {"dW1": np.zeros((2, 2))}),
                (np.zeros((3, 1)), {"dW1": np.zeros((2, 2)), "leak_0.0982857": 1.0}),
                (np.zeros((3, 1)), {"dW1": np.full((2, 2), np.nan)}),
                [np.zeros((3, 1))] * 5]:
        for problem in compare(got, expected, "L_model_backward", reveal=False):
            assert "0982857" not in problem and "374090597" not in problem and "Leak" not in problem, problem


def test_scalar_value_mismatch_hidden_leaks_nothing():
    (problem,) = compare(np.float64(0.9876543), 0.5432109, function_name="compute_cost", reveal=False)
    assert "5432109" not in problem and "0.543" not in problem
    (problem,) = compare(0.0, 0.5432109, function_name="compute_cost", reveal=False)  # zeros: error == value
    assert "543" not in problem
    (problem,) = compare("relu", "sigmoid", reveal=False)
    assert "sigmoid" not in problem


def test_values_within_tolerance_pass():
    expected = np.linspace(-1, 1, 6).reshape(2, 3)
    assert compare(expected * (1 + 1e-9), expected) == []


# ------------------------------------------------------------------ structure


def test_tuple_of_two_expected_got_three():
    (problem,) = compare((np.zeros(1), np.zeros(1), np.zeros(1)), (np.zeros(1), np.zeros(1)), "linear_forward")
    assert "expected 2 values, got 3" in problem


def test_tuple_of_two_expected_got_array():
    (problem,) = compare(np.zeros((2, 3)), (np.zeros(1), np.zeros(1)), "linear_forward")
    assert "tuple of 2" in problem and "array of shape (2, 3)" in problem


def test_dict_missing_and_extra_keys():
    expected = {"dW1": np.zeros((2, 2)), "db1": np.zeros((2, 1))}
    got = {"dW1": np.zeros((2, 2)), "db": np.zeros((2, 1))}
    problems = compare(got, expected, "L_model_backward")
    assert any("missing keys ['db1']" in p for p in problems), problems
    assert any("unexpected keys ['db']" in p for p in problems), problems
    assert len(problems) == 2


def test_dict_expected_got_tuple():
    (problem,) = compare((1.0,), {"W1": np.zeros(1)})
    assert "dict" in problem and "tuple of 1" in problem


def test_dict_wrong_value_names_the_key():
    expected = {"W1": np.zeros((2, 2)), "b1": np.zeros((2, 1))}
    got = copy.deepcopy(expected)
    got["b1"][1, 0] = 1.0
    (problem,) = compare(got, expected, "update_parameters")
    assert problem.startswith("result['b1']: ")


@pytest.mark.parametrize("got", [0.25, np.array(0.25), np.float64(0.25)], ids=["float", "0-d", "np.float64"])
@pytest.mark.parametrize("expected", [0.25, np.array(0.25), np.float64(0.25)], ids=["float", "0-d", "np.float64"])
def test_scalar_forms_are_interchangeable(got, expected):
    assert compare(got, expected, "compute_cost") == []
    assert compare(got + 0.5, expected, "compute_cost") != []


def test_tuple_and_list_are_interchangeable():
    expected = (np.ones(2), [np.zeros(1), 3.0])
    assert compare([np.ones(2), (np.zeros(1), 3.0)], expected) == []
    assert compare(list(expected), expected) == []
    assert compare([np.ones(2), (np.zeros(1), 4.0)], expected) != []


# ------------------------------------------------------------------ check_function


def _case(name, args, expected):
    return {"name": name, "args": args, "expected": expected, "deps": {}}


def test_check_function_not_implemented():
    def stub(x):
        raise NotImplementedError()

    with pytest.raises(AssertionError, match="not implemented") as info:
        check_function(stub, "linear_forward", [_case("m=1", (1.0,), 1.0)])
    assert "linear_forward" in str(info.value)


def test_check_function_other_exception_names_case_and_type():
    def broken(x):
        raise ValueError("shapes (3,1) and (4,2) not aligned")

    with pytest.raises(AssertionError) as info:
        check_function(broken, "linear_forward", [_case("ok", (1.0,), 1.0), _case("non-square", (2.0,), 2.0)])
    message = str(info.value)
    assert "linear_forward" in message and "case 'ok'" in message and "ValueError" in message


def test_check_function_names_the_first_failing_case():
    def double(x):
        return 2 * x if x < 2 else 0.0

    cases = [_case("small", (1.0,), 2.0), _case("large", (3.0,), 6.0)]
    with pytest.raises(AssertionError) as info:
        check_function(double, "compute_cost", cases)
    assert "case 'large'" in str(info.value) and "case 'small'" not in str(info.value)
    assert check_function(lambda x: 2 * x, "compute_cost", cases) == 2


def test_check_function_rejects_non_callable():
    with pytest.raises(AssertionError, match="not a function"):
        check_function(None, "linear_forward", [_case("m=1", (1.0,), 1.0)])


# ------------------------------------------------------------------ plain data


def _assert_same_plain(a, b):
    assert type(a) is type(b), (a, b)
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, (tuple, list)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _assert_same_plain(x, y)
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            _assert_same_plain(a[k], b[k])
    elif isinstance(a, np.generic):
        assert a.dtype == b.dtype and a == b
    else:
        assert a == b


PLAIN = {
    "zeta": (np.arange(6.0).reshape(2, 3), [1, 2.5, "relu", None, True], ()),
    "alpha": {"nested": [(np.float64(0.1), np.int64(7), np.float32(1.5)), []], "empty": {}},
    "int_array": np.array([[1, 0, 1]], dtype=np.int64),
    "zero_d": np.array(3.25),
    "fortran": np.asfortranarray(np.arange(12.0).reshape(3, 4)),
    "bool": np.array([True, False]),
    "big": 2**40,
    "tiny": 1e-300,
}


def test_plain_round_trip_preserves_values_and_types(tmp_path):
    path = tmp_path / "data.npz"
    checks.save_plain(path, PLAIN, meta={"k": [1, "x"]})
    obj, meta = checks.load_plain(path)
    _assert_same_plain(obj, PLAIN)
    assert meta == {"k": [1, "x"]}
    assert type(obj["zeta"]) is tuple and type(obj["zeta"][1]) is list
    assert type(obj["alpha"]["nested"][0][0]) is np.float64
    assert type(obj["zeta"][1][0]) is int and type(obj["zeta"][1][1]) is float
    assert type(obj["zeta"][1][4]) is bool
    assert isinstance(obj["zero_d"], np.ndarray) and obj["zero_d"].shape == ()
    assert list(obj) == list(PLAIN)  # key order kept


def test_plain_without_meta(tmp_path):
    checks.save_plain(tmp_path / "x.npz", [1.5])
    assert checks.load_plain(tmp_path / "x.npz") == ([1.5], None)


def test_plain_files_are_byte_identical(tmp_path):
    checks.save_plain(tmp_path / "a.npz", PLAIN, meta={"v": 1})
    checks.save_plain(tmp_path / "b.npz", copy.deepcopy(PLAIN), meta={"v": 1})
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    checks.save_plain(tmp_path / "c.npz", PLAIN, meta={"v": 2})
    assert (tmp_path / "a.npz").read_bytes() != (tmp_path / "c.npz").read_bytes()


@pytest.mark.parametrize("bad", [
    np.array([{"a": 1}, None], dtype=object),
    {"x": [1, np.array([1.0, "s"], dtype=object)]},
    object(),
    (1, {2, 3}),
    {1: np.zeros(1)},
    b"bytes",
], ids=["object array", "nested object array", "object", "set", "int key", "bytes"])
def test_non_plain_data_is_rejected(tmp_path, bad):
    with pytest.raises(TypeError):
        checks.save_plain(tmp_path / "bad.npz", bad)
    assert not (tmp_path / "bad.npz").exists()


def test_string_keys_of_any_str_class_are_plain_and_come_back_as_str():
    """A dict keyed by numpy strings (e.g. names taken from an array) is graded on its values, as the visible
    test's comparison treats it, whether it is a dict or a subclass."""
    for grads in ({np.str_("dW1"): np.ones(2)}, collections.OrderedDict({np.str_("dW1"): np.ones(2)})):
        back = checks.unpack_plain(checks.pack_plain(grads))
        assert list(back) == ["dW1"] and type(next(iter(back))) is str and back["dW1"].tolist() == [1.0, 1.0]


def test_pickled_object_array_is_never_loaded(tmp_path):
    path = tmp_path / "evil.npz"
    layout = np.array('{"t": "array", "i": 0}')
    np.savez(path, __layout__=layout, a0=np.array([{"payload": 1}, None], dtype=object))
    with zipfile.ZipFile(path) as archive:  # the file really holds a pickle
        assert b"payload" in archive.read("a0.npy")
    with pytest.raises(ValueError, match="allow_pickle"):
        checks.load_plain(path)


# ------------------------------------------------------------------ digest


def test_digest_equal_for_equal_values_in_different_objects():
    a = np.arange(12.0).reshape(3, 4)
    items = [a, 1, "x", {"k": (2.0, None)}]
    assert checks.digest(items) == checks.digest(list(items))
    assert checks.digest(items) == checks.digest(copy.deepcopy(items))
    assert checks.digest(a) == checks.digest(a.copy())
    assert checks.digest(a) == checks.digest(np.asfortranarray(a))
    assert checks.digest(a.T) == checks.digest(np.ascontiguousarray(a.T))


def test_digest_differs_with_dtype_shape_value_and_structure():
    a = np.arange(12.0).reshape(3, 4)
    base = checks.digest(a)
    assert checks.digest(a.astype(np.float32)) != base
    assert checks.digest(a.view(np.int64)) != base  # same bytes, other dtype
    assert checks.digest(a.reshape(4, 3)) != base  # same bytes, other shape
    assert checks.digest(a.reshape(12)) != base
    b = a.copy()
    b[2, 3] += 1e-12
    assert checks.digest(b) != base
    assert checks.digest([a]) != checks.digest((a,))
    assert checks.digest(1) != checks.digest(1.0)


# ------------------------------------------------------------------ recording and replaying helpers

HELPERS_SRC = '''
import numpy as np

def helper(x, scale=2.0):
    return x * scale

def student(x):
    first = helper(x)
    first += 1000.0          # mutates what the helper returned: must not spoil a replayed table
    second = helper(x, scale=2.0)
    return second + 1.0

def raiser(x):
    helper(x)
    raise RuntimeError("boom")
'''

BROKEN_HELPER_SRC = '''
def helper(x, scale=2.0):
    return x * 100.0
'''


def _namespace():
    namespace: dict = {}
    exec(HELPERS_SRC, namespace)
    return namespace


def _broken_helper():
    namespace: dict = {}
    exec(BROKEN_HELPER_SRC, namespace)
    return namespace["helper"]


def call_key(helper: str, function, args, kwargs) -> str:
    """The key of a call in a replay table, as record_calls and run_case compute it."""
    return checks.values_key(checks.bound_arguments(helper, function, args, kwargs))


def test_call_key_positional_equals_keyword():
    ns = _namespace()
    helper, x = ns["helper"], np.array([1.0, 2.0])
    key = call_key("helper", helper, (x,), {})
    assert call_key("helper", helper, (), {"x": x}) == key
    assert call_key("helper", helper, (x, 2.0), {}) == key
    assert call_key("helper", helper, (x,), {"scale": 2.0}) == key
    assert call_key("helper", helper, (x.copy(),), {}) == key
    assert call_key("helper", helper, (x,), {"scale": 3.0}) != key
    assert call_key("helper", helper, (x + 1,), {}) != key


def test_a_course_helper_is_bound_to_the_course_names_not_the_students():
    """A student who renamed linear_forward's parameters still matches a keyword call the course way."""
    def own(a_prev, weights, bias):  # the student's names
        raise AssertionError("not called")

    A, W, b = np.ones((2, 3)), np.ones((1, 2)), np.zeros((1, 1))
    key = call_key("linear_forward", own, (A, W, b), {})
    assert call_key("linear_forward", own, (A,), {"W": W, "b": b}) == key
    assert call_key("linear_forward", None, (A, W), {"b": b}) == key  # no helper of the student's at all
    assert call_key("linear_forward", own, (A, W), {"bias": b}) == ""  # not a call of the course's helper
    assert call_key("linear_forward", own, (A, W, object()), {}) == ""  # not plain data


def test_record_calls_records_the_helper_calls():
    ns = _namespace()
    x = np.array([1.0, 2.0, 3.0])
    result, deps = checks.record_calls(ns["student"], (x,), ("helper", "not_there"))
    np.testing.assert_array_equal(result, x * 2.0 + 1.0)
    assert list(deps) == ["helper"]
    assert len(deps["helper"]) == 2
    for key, passed, out in deps["helper"]:
        assert key == call_key("helper", ns["helper"], (x,), {})
        np.testing.assert_array_equal(passed[0], x) and passed[1] == 2.0  # the arguments, bound
        np.testing.assert_array_equal(out, x * 2.0)  # the copy recorded, not the one mutated afterwards
    assert ns["helper"].__name__ == "helper" and ns["helper"](1.0) == 2.0  # namespace restored
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])  # args not mutated


def _recorded_case(ns, x, tmp_path=None):
    expected, deps = checks.record_calls(ns["student"], (x,), ("helper",))
    case = {"name": "recorded", "args": (x,), "expected": expected, "deps": deps}
    if tmp_path is not None:  # as the case is shipped: through a plain-data file
        checks.save_plain(tmp_path / "case.npz", [case])
        case = checks.load_plain(tmp_path / "case.npz")[0][0]
    return case


@pytest.mark.parametrize("through_file", [False, True])
def test_run_case_replays_a_broken_helper(tmp_path, through_file):
    ns = _namespace()
    x = np.array([1.0, 2.0, 3.0])
    case = _recorded_case(ns, x, tmp_path if through_file else None)
    broken = _broken_helper()
    ns["helper"] = broken
    np.testing.assert_array_equal(ns["student"](x), x * 100.0 + 1.0)  # really broken without replay
    got = checks.run_case(ns["student"], case)
    np.testing.assert_array_equal(got, x * 2.0 + 1.0)
    assert ns["helper"] is broken
    assert checks.check_function(ns["student"], "student", [case]) == 1


def test_run_case_restores_namespace_when_the_function_raises():
    ns = _namespace()
    x = np.array([1.0])
    case = _recorded_case(ns, x)
    broken = _broken_helper()
    ns["helper"] = broken
    with pytest.raises(RuntimeError, match="boom"):
        checks.run_case(ns["raiser"], case)
    assert ns["helper"] is broken
    with pytest.raises(AssertionError, match="RuntimeError"):
        checks.check_function(ns["raiser"], "raiser", [case])
    assert ns["helper"] is broken


def test_run_case_falls_through_for_unrecorded_arguments():
    ns = _namespace()
    case = _recorded_case(ns, np.array([1.0, 2.0]))
    ns["helper"] = _broken_helper()
    other = np.array([5.0, 7.0])
    got = checks.run_case(ns["student"], dict(case, args=(other,)))
    np.testing.assert_array_equal(got, other * 100.0 + 1.0)


def test_unrecorded_call_to_an_unwritten_helper_is_named_as_such():
    ns = _namespace()
    case = _recorded_case(ns, np.array([1.0, 2.0]))
    stub: dict = {}
    exec("def helper(x, scale=2.0):\n    raise NotImplementedError()\n", stub)
    ns["helper"] = stub["helper"]
    with pytest.raises(AssertionError) as info:
        checks.check_function(ns["student"], "student", [dict(case, args=(np.array([5.0, 7.0]),))])
    message = str(info.value)
    assert "UnexpectedCall" in message and "helper" in message and "never passes" in message
    assert "not implemented yet (it still raises" not in message  # not blamed on the function itself


def test_run_case_does_not_mutate_the_case():
    ns = _namespace()
    x = np.array([1.0, 2.0])
    case = _recorded_case(ns, x)
    before = copy.deepcopy(case)
    checks.run_case(ns["student"], case)
    checks.run_case(ns["student"], case)
    assert checks.digest(case) == checks.digest(before)


def _sealed(case):
    """The case as the grader's sandbox gets it: arguments and sealed calls, nothing else."""
    return {"name": case["name"], "args": case["args"], "calls": checks.sealed_calls(case["deps"])}


@pytest.mark.parametrize("through_file", [False, True])
def test_sealed_calls_replay_like_the_open_table(tmp_path, through_file):
    ns = _namespace()
    x = np.array([1.0, 2.0, 3.0])
    sealed = _sealed(_recorded_case(ns, x))
    if through_file:  # as the sandbox gets it: a level file of plain data
        checks.save_plain(tmp_path / "level.npz", [sealed])
        sealed = checks.load_plain(tmp_path / "level.npz")[0][0]
    ns["helper"] = _broken_helper()
    np.testing.assert_array_equal(checks.run_case(ns["student"], sealed), x * 2.0 + 1.0)
    other = np.array([5.0, 7.0])  # unrecorded arguments: the student's own helper answers
    np.testing.assert_array_equal(checks.run_case(ns["student"], dict(sealed, args=(other,))), other * 100.0 + 1.0)


def test_sealed_calls_hold_neither_the_arguments_nor_the_answers():
    """What the sandbox gets for a recorded call: an id and bytes that are not the answer, and that open to the
    answer only with the key of the exact arguments."""
    ns = _namespace()
    x = np.array([0.125, 0.25, 0.5])
    case = _recorded_case(ns, x)
    sealed = checks.sealed_calls(case["deps"])["helper"]
    key, passed, output = case["deps"]["helper"][0]
    call_id, raw = sealed["ids"][0], sealed["data"][:sealed["ends"][0]].tobytes()
    assert call_id != key and key not in call_id
    assert x.tobytes() not in raw and output.tobytes() not in raw  # neither the argument nor the answer in clear
    assert output.tobytes() in checks.pack_plain(output)  # (what sealing hides is really there unsealed)
    answers = checks._Answers(sealed, sealed=True)
    index, opened = answers.answer(key)
    np.testing.assert_array_equal(opened, output)
    assert answers.answer(checks.digest([x + 1e-12, 2.0])) is None


def test_the_call_log_names_each_call_and_the_arguments_of_unmatched_ones():
    ns = _namespace()
    x = np.array([1.0, 2.0])
    case = _recorded_case(ns, x)
    calls = []
    checks.run_case(ns["student"], case, calls=calls)
    assert [(c["helper"], c["hit"], c["depth"], c["args"]) for c in calls] == [("helper", 0, 0, None),
                                                                                ("helper", 0, 0, None)]
    calls = []
    other = np.array([5.0, 7.0])
    checks.run_case(ns["student"], dict(case, args=(other,)), calls=calls)
    assert [c["hit"] for c in calls] == [None, None]
    np.testing.assert_array_equal(calls[0]["args"][0], other)
    assert calls[0]["args"][1] == 2.0


def test_pack_plain_round_trips_plain_data():
    value = {"a": (np.arange(6.0).reshape(2, 3), [1, 2.5, None, "text", True]), "b": np.float64(0.25),
             "c": np.array([], dtype=np.int64), "d": np.array("ab")}
    again = checks.unpack_plain(checks.pack_plain(value))
    assert checks.digest(again) == checks.digest(value)


@pytest.mark.parametrize("data", [
    b"",  # too short
    (10**9).to_bytes(8, "little") + b"{}",  # a header longer than the data
    checks.pack_plain(np.zeros(4))[:-1],  # an array past the end
    checks.pack_plain(np.zeros(4)) + b"x",  # bytes after the last array
    (lambda h: len(h).to_bytes(8, "little") + h)(
        b'{"layout": {"t": "array", "i": 0}, "arrays": [["|O", [1]]]}') + bytes(8),  # an object array
    (lambda h: len(h).to_bytes(8, "little") + h)(
        b'{"layout": {"t": "array", "i": 0}, "arrays": [["<f8", [100000000000]]]}') + bytes(8),  # a huge shape
    (lambda h: len(h).to_bytes(8, "little") + h)(b'{"layout": ' + b"[" * 300000 + b"]" * 300000 + b', "arrays": []}'),
])
def test_unpack_plain_refuses_what_is_not_packed_plain_data(data):
    with pytest.raises((ValueError, RecursionError, TypeError, KeyError)):
        checks.unpack_plain(data)


# ------------------------------------------------------------------ arguments changed in place (update_parameters)

# the course's update_parameters written as many real solutions of the old course write it: right values, but
# the caller's dict (first) or its arrays (second) updated in place
IN_PLACE = {
    "dict": '''
def update_parameters(params, grads, learning_rate):
    L = len(params) // 2
    for l in range(1, L + 1):
        params["W" + str(l)] = params["W" + str(l)] - learning_rate * grads["dW" + str(l)]
        params["b" + str(l)] = params["b" + str(l)] - learning_rate * grads["db" + str(l)]
    return params
''',
    "arrays": '''
def update_parameters(params, grads, learning_rate):
    parameters = dict(params)
    for l in range(1, len(parameters) // 2 + 1):
        parameters["W" + str(l)] -= learning_rate * grads["dW" + str(l)]
        parameters["b" + str(l)] -= learning_rate * grads["db" + str(l)]
    return parameters
''',
}
DEEP_COPY = '''
def update_parameters(params, grads, learning_rate):
    parameters = copy.deepcopy(params)
    for l in range(1, len(parameters) // 2 + 1):
        parameters["W" + str(l)] = parameters["W" + str(l)] - learning_rate * grads["dW" + str(l)]
        parameters["b" + str(l)] = parameters["b" + str(l)] - learning_rate * grads["db" + str(l)]
    return parameters
'''


def _update_parameters(source):
    namespace = {"np": np, "copy": copy}
    exec(source, namespace)
    return namespace["update_parameters"]


def _public_update_cases():
    from conftest import REPO

    return checks.load_plain(REPO / "release" / "step_by_step" / "public_cases.npz")[0]["update_parameters"]


def test_run_case_tells_whether_the_call_changed_its_arguments():
    def mutates(d, x):
        d["a"] = d["a"] + 1
        return 0.0

    def mutates_array(d, x):
        x += 1
        return 0.0

    def mutates_then_raises(d, x):
        d.clear()
        raise KeyError("a")

    case = _case("one", ({"a": np.zeros(2)}, np.ones(3)), 0.0)
    before = copy.deepcopy(case)
    for function, expected in ((mutates, True), (mutates_array, True), (lambda d, x: 0.0, False)):
        changes = []
        assert checks.run_case(function, case, changes) == 0.0
        assert changes == [expected], function
    changes = []
    with pytest.raises(KeyError):
        checks.run_case(mutates_then_raises, case, changes)
    assert changes == [True]
    assert checks.digest(case) == checks.digest(before)  # the case itself is never touched
    assert checks.run_case(mutates, case) == 0.0  # without a list, nothing is watched


@pytest.mark.parametrize("how", list(IN_PLACE))
def test_the_visible_test_reports_an_update_in_place_without_failing_it(how, tmp_path, capsys):
    from conftest import REPO

    public = str(REPO / "release" / "step_by_step" / "public_cases.npz")
    checks.check_public("update_parameters", _update_parameters(IN_PLACE[how]), path=public)
    printed = capsys.readouterr().out.splitlines()
    assert printed == ["update_parameters: all 2 public cases pass", checks.input_change_note("update_parameters")]
    assert "copy.deepcopy(params)" in printed[1]
    # a copy first: no note
    checks.check_public("update_parameters", _update_parameters(DEEP_COPY), path=public)
    assert capsys.readouterr().out.splitlines() == ["update_parameters: all 2 public cases pass"]
    # the hidden check passes it too, and says nothing (the visible test in the same cell has said it)
    assert check_function(_update_parameters(IN_PLACE[how]), "update_parameters", _public_update_cases(),
                          reveal=False) == len(_public_update_cases())
    assert capsys.readouterr().out == ""


def test_a_wrong_update_in_place_gets_the_note_in_its_failure():
    from dnnkit.mistakes import BY_NAME

    wrong = _update_parameters(IN_PLACE["dict"].replace("learning_rate * grads", "grads"))
    with pytest.raises(AssertionError) as info:
        check_function(wrong, "update_parameters", _public_update_cases())
    lines = str(info.value).splitlines()
    assert lines[0].startswith("update_parameters, case '2 layers, learning rate 0.1'")
    mistake = BY_NAME["learning_rate_ignored"]  # still named, after the note
    assert lines[-3:] == [checks.input_change_note("update_parameters"), f"Diagnosis: {mistake.says}.",
                          f"How to fix it: {mistake.fix}."]


def test_other_functions_changing_their_arguments_get_no_note():
    def compute_cost(AL, Y):
        AL[...] = 0.5
        return 0.25

    changes = []
    checks.run_case(compute_cost, _case("m=2", (np.ones((1, 2)), np.ones((1, 2))), 0.25), changes)
    assert changes == [True] and checks.input_change_note("compute_cost") == ""
    assert checks.evaluate(compute_cost, "compute_cost", [_case("m=2", (np.ones((1, 2)), np.ones((1, 2))), 0.25)]) \
        == ("", "")  # passed, and no note


# ------------------------------------------------------------------ what a failing check shows a student


NUMPY_TEXT = ("np.float64(", "np.float32(", "np.int64(", "np.str_(", "np.bool_(", "array(",
              "Max absolute difference", "Max relative difference")


def _numpy_text(message: str) -> list[str]:
    return [text for text in NUMPY_TEXT if text in message]


@pytest.mark.parametrize("reveal", [True, False], ids=["public", "hidden"])
def test_no_message_shows_numpy_reprs_or_numpy_text(reveal):
    """numpy 2 shows a float as np.float64(0.19...), and assert_allclose adds its own 'Max absolute
    difference' lines: a message shows plain numbers in the course's words only."""
    floats = np.array([[0.1, 0.123456789], [0.3, 0.4]])
    wrong = floats.copy()
    wrong[0, 1] = 0.75
    pairs = [
        (wrong, floats), (np.float64(-0.7535057835222059), np.float64(0.7535057835222059)),
        (np.array(0.25), 0.5), (np.float64(0.25), np.array(0.5)),
        (np.array([[1, 2]], dtype=np.int64), np.array([[1, 3]], dtype=np.int64)),
        (np.array([True, False]), np.array([True, True])),
        ({"W1": wrong, np.str_("extra"): 1.0}, {"W1": floats, "b1": floats}),
        (np.str_("relu"), "sigmoid"), (np.float64(0.5), "sigmoid"), (np.zeros((40, 40)), None),
        ((np.zeros(2), np.float32(1.5)), (np.zeros(2), np.float64(1.5))),
    ]
    for got, expected in pairs:
        problems = compare(got, expected, "L_model_backward", reveal=reveal)
        assert problems, (got, expected)
        for problem in problems:
            assert _numpy_text(problem) == [], problem
            assert "\n" not in problem
    (problem,) = compare(wrong, floats, reveal=True)
    assert problem.endswith("there got 0.75, expected 0.123456789")  # as Python shows the numbers
    (problem,) = compare(np.array([[1, 2]], dtype=np.int64), np.array([[1, 3]], dtype=np.int64), reveal=True)
    assert problem.endswith("there got 2, expected 3")


def _released(assignment: str = "step_by_step"):
    """The dnn_checks module students get, and the path of their public cases."""
    import importlib.util

    from conftest import REPO

    spec = importlib.util.spec_from_file_location(f"released_dnn_checks_{assignment}",
                                                  REPO / "release" / assignment / "dnn_checks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module, str(REPO / "release" / assignment / "public_cases.npz")


def test_no_visible_or_hidden_test_of_a_catalogued_mistake_shows_numpy_text():
    """Every catalogued mistake, made in the reference solution: the visible test's message (released
    dnn_checks, public cases) and the hidden check's (fixed hidden set) show no numpy repr or numpy text."""
    from conftest import REPO
    from dnnkit.cases import assignment_of
    from dnnkit.course import Course
    from dnnkit.mistakes import CATALOG
    from dnnkit.refcache import load_verified
    from dnnkit.solutions import load_solutions

    hidden = {a: load_verified(Course(REPO), a) for a in ("step_by_step", "application")}
    shown = []
    for mistake in CATALOG:
        assignment = assignment_of(mistake.function)
        function = load_solutions(Course(REPO), assignment, edits={mistake.function: mistake.apply})[mistake.function]
        released, public = _released(assignment)
        with pytest.raises(AssertionError) as visible:
            released.check_public(mistake.function, function, path=public)
        with pytest.raises(AssertionError) as hidden_check:
            check_function(function, mistake.function, hidden[assignment][mistake.function], reveal=False)
        shown += [(mistake.name, text) for text in (str(visible.value), str(hidden_check.value))
                  if _numpy_text(text)]
    assert shown == []


def _frames(error: BaseException) -> list[str]:
    names, tb = [], error.__traceback__
    while tb is not None:
        names.append(tb.tb_frame.f_code.co_name)
        tb = tb.tb_next
    return names


def _stub(*args):
    raise NotImplementedError()


def _raises(*args):
    raise ValueError("shapes (3,1) and (4,2) not aligned")


@pytest.mark.parametrize("function", [_stub, _raises, lambda *args: (np.zeros((2, 2)), None), None],
                         ids=["stub", "raises", "wrong", "not a function"])
def test_a_failing_visible_test_raises_one_short_unchained_error(function):
    """The failure is raised by check_public itself (its innermost frame), with nothing chained (no 'During
    handling of the above exception'), and IPython is told to show its message alone."""
    released, public = _released()
    with pytest.raises(AssertionError) as info:
        released.check_public("linear_forward", function, path=public)
    error = info.value
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)
    assert _frames(error)[-1] == "check_public"
    message = str(error)
    assert message.startswith("linear_forward")
    assert error._render_traceback_() == f"AssertionError: {message}".split("\n")


def test_a_failing_hidden_test_raises_one_short_unchained_error():
    from dnnkit.hidden import check_hidden

    with pytest.raises(AssertionError) as info:
        check_hidden("linear_forward", _stub)
    error = info.value
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)
    assert _frames(error)[-1] == "check_hidden"
    assert error._render_traceback_() == [f"AssertionError: {error}"]
    assert str(error) == "linear_forward is not implemented yet (it still raises NotImplementedError)"


# ------------------------------------------------------------------ isolation when a function skips a helper


@pytest.mark.parametrize("function,helper,mistake", [("L_model_backward", "linear_backward", "db_wrong_axis"),
                                                     ("L_model_forward", "linear_forward", "missing_bias")])
def test_a_function_calling_a_broken_lower_helper_itself_passes(function, helper, mistake):
    """A right L_model_backward that calls the student's own, wrong linear_backward (not through
    linear_activation_backward) passes its visible test and the hidden check: the helper answers as the
    reference did, so its bug costs only its own points (as under dnnkit grade)."""
    from conftest import REPO
    from dnnkit.course import Course
    from dnnkit.hidden import check_hidden
    from dnnkit.mistakes import BY_NAME
    from dnnkit.solutions import load_solutions
    from grading_support import CALLS_THE_LOWEST_HELPER

    namespace = load_solutions(Course(REPO), "step_by_step", edits={helper: BY_NAME[mistake].apply})
    exec(CALLS_THE_LOWEST_HELPER[function], namespace)
    released, public = _released()
    with pytest.raises(AssertionError, match=re.escape(f"Diagnosis: {BY_NAME[mistake].says}")):
        released.check_public(helper, namespace[helper], path=public)  # the helper is wrong ...
    released.check_public(function, namespace[function], path=public)  # ... the function calling it is not
    check_hidden(function, namespace[function])


def test_public_cases_are_decoded_once_per_file_version_and_never_shared(tmp_path, monkeypatch, capsys):
    """The visible tests read the public cases about twenty times per notebook: decoded once while the file
    stays the same, read again when it changes, and every caller gets its own copy."""
    path = tmp_path / "public_cases.npz"
    cases = {"double": [{"name": "one", "args": [np.array([1.0, 2.0])], "expected": np.array([2.0, 4.0])}]}
    checks.save_plain(path, cases)
    reads = []
    real = checks.load_plain
    monkeypatch.setattr(checks, "load_plain", lambda p: reads.append(p) or real(p))

    def doubles_and_spoils(x):
        result = 2 * x
        x[:] = 99.0  # changes its argument: the next caller must still see the file's values
        return result

    for _ in range(3):
        checks.check_public("double", doubles_and_spoils, path=str(path))
        args = checks.public_args("double", path=str(path))
        np.testing.assert_array_equal(args[0], [1.0, 2.0])
        args[0][:] = -1.0
    assert len(reads) == 1
    capsys.readouterr()

    cases["double"][0]["expected"] = np.array([3.0, 6.0])  # a new release of the file
    checks.save_plain(path, cases)
    with pytest.raises(AssertionError, match="double"):
        checks.check_public("double", doubles_and_spoils, path=str(path))
    assert len(reads) == 2
