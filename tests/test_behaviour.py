"""Diagnosis by behaviour (issue 22): a mistake is recognised by what the function does (its calls to the course's
helpers, its results' structure, its outputs on other sizes), with sentences in English and Chinese; real
students' code (tests/corpus) gets a diagnosis that names its cause; correct code never gets one; a message
never points into code the student did not write."""
from __future__ import annotations

import copy
import re

import pytest

from behaviour_cases import REPRODUCTIONS
from conftest import REPO
from corpus import real_correct, real_mistakes
from dnnkit import behaviour, checks, refcache
from dnnkit.course import Course
from dnnkit.mistakes import BEHAVIOURS, BY_NAME, RECOGNISED, for_function
from dnnkit.solutions import load_solutions

# The mistake each wrong function of the corpus's development set is diagnosed as, checked by hand against its
# "wrong" sentence (the held-out set is not read here: see test_held_out_real_code_is_diagnosed).
DEVELOPMENT = {
    "init_output_size_typed_in": "init_output_size_typed_in",
    "init_W1_shape_swapped": "init_W_transposed",
    "deep_init_rows_of_layer_one": "init_rows_of_layer_one",
    "fwd_weights_W1_W2_by_name": "fwd_weights_of_another_layer",
    "fwd_loop_variable_after_loop": "fwd_loop_variable_after_loop",
    "fwd_loop_variable_after_loop_insert": "fwd_loop_variable_after_loop",
    "bwd_old_key_numbering": "grads_numbered_by_layer",
    "bwd_old_key_numbering_helpers_direct": "grads_numbered_by_layer",
    "bwd_dAL_to_every_hidden_layer": "bwd_dAL_to_hidden_layer",
    "bwd_sigmoid_for_every_layer_old_keys": "grads_numbered_by_layer",  # and dAL to the hidden layers
    "bwd_fixed_cache_1_sigmoid_old_keys": "grads_numbered_by_layer",  # and caches[1] typed in
    "bwd_hidden_layers_sigmoid_with_dAL": "bwd_dAL_to_hidden_layer",
    "bwd_same_dA_for_every_hidden_layer": "bwd_gradient_of_the_layer_above_again",
    "bwd_stores_undefined_dA_prev": "name_never_set",
    "bwd_relu_backward_with_dAL_old_keys": "bwd_dAL_to_hidden_layer",
    "bwd_fixed_cache_1_sigmoid": "bwd_cache_of_another_layer",
    "bwd_cache_L_minus_2_for_every_hidden": "bwd_cache_of_another_layer",
    "bwd_output_layer_skips_sigmoid": "bwd_pair_to_linear_backward",
    "bwd_caches_1_and_0_typed_in": "bwd_cache_of_another_layer",
    "bwd_whole_caches_list_passed": "bwd_whole_caches_list",
    "bwd_reads_dA_before_storing_it": "bwd_reads_a_key_not_yet_stored",
    "bwd_last_cache_for_every_layer": "bwd_cache_of_another_layer",
    "bwd_lower_case_keys": "bwd_lower_case_keys",
    "fwd_appends_A_not_cache": "fwd_caches_hold_A",
    "fwd_caches_never_filled": "fwd_caches_empty",
    "fwd_no_caches_and_loop_variable": "fwd_caches_empty",
    "laf_linear_cache_replaced_by_Z": "laf_linear_cache_is_Z",
    "laf_relu_branch_misses_arguments": "call_with_wrong_arguments",
    "lab_linear_backward_never_called": "lab_linear_backward_not_called",
    "lab_pair_to_linear_backward_in_one_branch": "lab_pair_to_linear_backward",
    "lb_db_sum_without_axis": "db_summed_to_a_number",
    "lb_db_sum_method_without_axis": "db_summed_to_a_number",
    "lb_db_squeezed": "db_without_keepdims",
    "lb_db_keepdims_without_axis": "db_summed_to_a_number",
    "lb_db_total_reshaped": "db_summed_to_a_number",
    "lb_dA_prev_scaled": "db_summed_to_a_number",  # and dA_prev scaled
    "lb_dW_elementwise": "lb_elementwise_product",
    "cost_second_term_as_axis": "cost_second_term_as_axis",
    "cost_minus_one_over_m_scales_one_term": "cost_one_term_scaled",
    "cost_one_minus_log": "cost_one_minus_log",
    "cost_only_first_term": "cost_without_1_minus_y",
    "upd_loop_stops_before_last_layer": "last_layer_not_updated",
    "upd_W_updated_with_db": "upd_W_with_db",
    "upd_nested_loop": "upd_nested_loop",
    "upd_grads_keys_without_d": "upd_grads_keys_without_d",
    "upd_lower_case_keys": "upd_key_case",
}


@pytest.fixture(scope="module")
def reference():
    return load_solutions(Course(REPO), "step_by_step")


@pytest.fixture(scope="module")
def cases():
    public, _ = checks.load_plain(REPO / "release" / "step_by_step" / "public_cases.npz")
    return {"public": public, "hidden": refcache.load_verified(Course(REPO), "step_by_step")}


def defined(code: str, function: str, reference: dict):
    """`code` run in a copy of the reference namespace (its other graded functions the reference's)."""
    namespace = dict(reference)
    exec(compile(code, "<student cell>", "exec"), namespace)
    return namespace[function]


def diagnosed(function, name: str, cases: list) -> dict | None:
    """What checks.diagnose makes of `function` on `cases`, from the outcomes evaluate collects."""
    outcomes = []
    for case in copy.deepcopy(cases):
        calls: list = []
        try:
            outcomes.append({"value": checks.run_case(function, case, None, calls), "calls": calls})
        except Exception as err:
            outcomes.append({"raises": checks.raised(err), "inside": checks.raised_inside(err), "calls": calls})
    return checks.diagnose(name, cases, outcomes)


def messages(function, name: str, cases: dict) -> dict[str, str]:
    """The visible test's message (public cases) and the hidden check's (reference cases)."""
    return {"public": checks.evaluate(function, name, copy.deepcopy(cases["public"][name]))[0],
            "hidden": checks.evaluate(function, name, copy.deepcopy(cases["hidden"][name]), reveal=False)[0]}


# -- the catalogue ----------------------------------------------------------------------------------------------

def test_every_behaviour_entry_has_both_languages_with_the_same_fields():
    for mistake in BEHAVIOURS:
        says, fix = mistake.zh
        assert mistake.says and mistake.fix and says and fix and not mistake.says.endswith("."), mistake.name
        for english, chinese in ((mistake.says, says), (mistake.fix, fix)):
            assert set(re.findall(r"\{(\w+)\}", english)) == set(re.findall(r"\{(\w+)\}", chinese)), mistake.name


def test_the_rules_name_only_catalogued_mistakes_of_their_function():
    import inspect

    source = inspect.getsource(behaviour)
    named = set(re.findall(r'"([a-zA-Z_0-9]+)", \{', source)) | set(re.findall(r'\("([a-zA-Z_0-9]+)", \{\}\)', source))
    named -= {"deps"}
    assert named <= set(BY_NAME), named - set(BY_NAME)
    assert set(RECOGNISED) == set(behaviour.ALL) == set(behaviour.RULES)
    for function, rules in behaviour.RULES.items():
        assert rules and all(m.name in BY_NAME for m in for_function(function))


# -- each mistake, reproduced ------------------------------------------------------------------------------------

@pytest.mark.parametrize("mistake", sorted(REPRODUCTIONS))
def test_a_reproduction_is_diagnosed_as_its_mistake(mistake, reference, cases):
    function_name, code = REPRODUCTIONS[mistake]
    mistake = mistake.split("#")[0]
    function = defined(code, function_name, reference)
    found = diagnosed(function, function_name, cases["public"][function_name] + cases["hidden"][function_name])
    assert found is not None and found["mistake"] == mistake, found
    told = messages(function, function_name, cases)
    text = BY_NAME[mistake]
    shown = [line for kind in ("public", "hidden") for line in told[kind].splitlines() if line.startswith("Diagnosis")]
    assert shown and all(line.startswith("Diagnosis: " + text.says.split("{")[0]) for line in shown), shown


@pytest.mark.parametrize("entry", real_mistakes.WRONG, ids=[e["id"] for e in real_mistakes.WRONG])
def test_real_code_is_diagnosed_as_its_cause(entry, reference, cases):
    function = defined(entry["code"], entry["function"], reference)
    name = entry["function"]
    found = diagnosed(function, name, cases["public"][name] + cases["hidden"][name])
    assert found is not None and found["mistake"] == DEVELOPMENT[entry["id"]], (entry["wrong"], found)


def test_at_least_four_in_five_real_wrong_functions_get_a_diagnosis(reference, cases):
    named = 0
    for entry in real_mistakes.WRONG:
        told = messages(defined(entry["code"], entry["function"], reference), entry["function"], cases)
        named += any("Diagnosis: " in text for text in told.values())
    assert named >= 0.8 * len(real_mistakes.WRONG)


@pytest.mark.parametrize("entry", real_correct.CORRECT, ids=[e["id"] for e in real_correct.CORRECT])
def test_correct_real_style_code_gets_no_diagnosis(entry, reference, cases):
    name = entry["function"]
    function = defined(entry["code"], name, reference)
    assert diagnosed(function, name, cases["public"][name] + cases["hidden"][name]) is None
    assert messages(function, name, cases) == {"public": "", "hidden": ""}


def test_a_right_helper_call_in_another_order_is_not_blamed(reference, cases):
    """A correct L_model_backward that walks the layers with a while loop and stores the keys in another order."""
    code = '''
def L_model_backward(AL, Y, caches):
    grads = {}
    L = len(caches)
    dA = -(np.divide(Y.reshape(AL.shape), AL) - np.divide(1 - Y.reshape(AL.shape), 1 - AL))
    l, activation = L, "sigmoid"
    while l >= 1:
        dA, dW, db = linear_activation_backward(dA, caches[l - 1], activation)
        grads["db" + str(l)], grads["dW" + str(l)], grads["dA" + str(l - 1)] = db, dW, dA
        l, activation = l - 1, "relu"
    return grads
'''
    function = defined(code, "L_model_backward", reference)
    assert messages(function, "L_model_backward", cases) == {"public": "", "hidden": ""}


# -- no message points into code the student did not write ----------------------------------------------------

def test_an_error_inside_a_provided_helper_is_told_as_the_call_that_caused_it(reference, cases):
    """L_model_backward handing a hidden layer dAL: relu_backward raises inside the course's activations.py; the
    student reads which layer got which gradient, not only the IndexError from relu_backward."""
    entry = next(e for e in real_mistakes.WRONG if e["id"] == "bwd_relu_backward_with_dAL_old_keys")
    told = messages(defined(entry["code"], "L_model_backward", reference), "L_model_backward", cases)
    assert "raised IndexError" in told["public"]  # landed: the error comes from inside relu_backward
    for text in told.values():
        assert "Diagnosis: hidden layer 1 is given dAL" in text


def test_a_gradient_of_another_layer_is_named_by_its_layer(reference, cases):
    """The call log of a 4-layer case where layer 1 is given dA3 (neither dAL nor the layer above's): read from
    the reference's own calls, with that one call changed."""
    case = next(c for c in cases["hidden"]["L_model_backward"] if len(c["args"][2]) >= 4)
    L = len(case["args"][2])
    recorded = [args for _, args, _ in case["deps"]["linear_activation_backward"]]
    calls = [{"helper": "linear_activation_backward", "hit": k, "depth": 0, "args": None} for k in range(L - 1)]
    calls.append({"helper": "linear_activation_backward", "hit": None, "depth": 0,
                  "args": [recorded[1][0], recorded[L - 1][1], "relu"]})  # layer 1 given dA{L-1}
    found = checks.diagnose("L_model_backward", [case], [{"value": {}, "calls": calls}])
    assert found["mistake"] == "bwd_gradient_of_another_layer" and found["fields"] == {"layer": "1", "given": str(L - 1)}


def test_where_an_error_was_raised_is_one_of_a_fixed_few(reference):
    def inside(code: str, function: str, *args) -> str:
        try:
            defined(code, function, reference)(*args)
        except Exception as err:
            return checks.raised_inside(err)
        raise AssertionError("it did not raise")

    import numpy as np

    assert inside("def f(x):\n    return relu_backward(x, (1, 2))\n", "f", np.ones((2, 2))) == "relu_backward"
    assert inside("def f(x):\n    return np.sum(x, x)\n", "f", np.ones((2, 2))) == "numpy"
    assert inside("def f(x):\n    return x['key']\n", "f", {}) == ""  # the student's own line
