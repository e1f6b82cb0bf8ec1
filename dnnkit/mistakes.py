"""A catalog of typical student mistakes, each a text edit of one graded function's reference solution.

Used to build demo submissions and to test that each mistake costs exactly its function's points.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mistake:
    name: str
    function: str
    description: str
    edits: tuple[tuple[str, str], ...]  # (exact text in the solution cell, what the student wrote instead)

    def apply(self, source: str) -> str:
        for old, new in self.edits:
            if source.count(old) != 1:
                raise ValueError(f"mistake {self.name!r}: {old!r} occurs {source.count(old)} times in "
                                 f"{self.function}'s solution, expected once")
            source = source.replace(old, new)
        return source


CATALOG = (
    Mistake("weights_not_small", "initialize_parameters", "W1 drawn without the 0.01 scale",
            (("np.random.randn(n_h, n_x) * 0.01", "np.random.randn(n_h, n_x)"),)),
    Mistake("last_layer_not_initialized", "initialize_parameters_deep", "the loop stops before layer L",
            (("range(1, L + 1)", "range(1, L)"),)),
    Mistake("missing_bias", "linear_forward", "Z computed without + b",
            (("Z = np.dot(W, A) + b", "Z = np.dot(W, A)"),)),
    Mistake("cache_holds_A", "linear_activation_forward", "the activation cache holds A instead of Z",
            (("\n    cache = (linear_cache, activation_cache)", "\n    cache = (linear_cache, A)"),)),
    Mistake("activations_swapped", "linear_activation_forward", "sigmoid and relu swapped",
            (('A, activation_cache = sigmoid(Z)', 'A, activation_cache = relu(Z)'),
             ('A, activation_cache = relu(Z)\n    else', 'A, activation_cache = sigmoid(Z)\n    else'))),
    Mistake("relu_on_output", "L_model_forward", "relu used on the output layer",
            (('parameters["b" + str(L)], "sigmoid")', 'parameters["b" + str(L)], "relu")'),)),
    Mistake("cost_without_1_minus_y", "compute_cost", "the (1 - Y) log(1 - AL) term left out",
            (("-np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)) / m", "-np.sum(Y * np.log(AL)) / m"),)),
    Mistake("cost_without_1_over_m", "compute_cost", "the cost summed, not averaged",
            (("np.log(1 - AL)) / m", "np.log(1 - AL))"),)),
    Mistake("db_wrong_axis", "linear_backward", "db summed over axis 0 instead of the examples' axis",
            (("np.sum(dZ, axis=1, keepdims=True)", "np.sum(dZ, axis=0, keepdims=True)"),)),
    Mistake("db_without_keepdims", "linear_backward", "db summed without keepdims",
            (("np.sum(dZ, axis=1, keepdims=True)", "np.sum(dZ, axis=1)"),)),
    Mistake("dW_without_1_over_m", "linear_backward", "dW without 1/m",
            (("dW = np.dot(dZ, A_prev.T) / m", "dW = np.dot(dZ, A_prev.T)"),)),
    Mistake("dA_prev_with_1_over_m", "linear_backward", "1/m applied to dA_prev",
            (("dA_prev = np.dot(W.T, dZ)", "dA_prev = np.dot(W.T, dZ) / m"),)),
    Mistake("derivatives_swapped", "linear_activation_backward", "relu_backward and sigmoid_backward swapped",
            (("dZ = relu_backward(dA, activation_cache)", "dZ = sigmoid_backward(dA, activation_cache)"),
             ("dZ = sigmoid_backward(dA, activation_cache)\n    else", "dZ = relu_backward(dA, activation_cache)\n    else"))),
    Mistake("dAL_wrong_sign", "L_model_backward", "dAL with the wrong sign",
            (("dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))",
              "dAL = np.divide(Y, AL) - np.divide(1 - Y, 1 - AL)"),)),
    Mistake("learning_rate_ignored", "update_parameters", "the step taken without the learning rate",
            (('- learning_rate * grads["dW" + str(l)]', '- grads["dW" + str(l)]'),
             ('- learning_rate * grads["db" + str(l)]', '- grads["db" + str(l)]'))),
    Mistake("last_layer_not_updated", "update_parameters", "the loop stops before layer L",
            (("range(1, L + 1)", "range(1, L)"),)),
    Mistake("two_layer_fixed_learning_rate", "two_layer_model", "the learning_rate argument ignored",
            (("update_parameters(parameters, grads, learning_rate)", "update_parameters(parameters, grads, 0.0075)"),)),
    Mistake("cost_recorded_every_iteration", "L_layer_model", "the cost recorded at every iteration",
            (("if i % 100 == 0:\n            costs.append(cost)", "costs.append(cost)"),)),
)

BY_NAME = {m.name: m for m in CATALOG}
