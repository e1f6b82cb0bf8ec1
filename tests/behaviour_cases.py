"""Our own reproductions of mistakes the behaviour rules (dnnkit/behaviour.py) recognise, each written the way
students write the function (not as an edit of the reference solution): {mistake: (function, cell source)}; a
second reproduction of one mistake is keyed "mistake#2".
Where the real-mistakes corpus (tests/corpus) holds no example of a mistake, it is here."""
from __future__ import annotations

import textwrap


def _cell(code: str) -> str:
    return textwrap.dedent(code).strip("\n") + "\n"


_BACKWARD = '''
def L_model_backward(AL, Y, caches):
    grads = {{}}
    L = len(caches)
    Y = Y.reshape(AL.shape)
    dAL = {dAL}
    current_cache = caches[L - 1]
    grads["dA" + str(L - 1)], grads["dW" + str(L)], grads["db" + str(L)] = linear_activation_backward({first}, current_cache, "sigmoid")
    for l in reversed(range(L - 1)):
        current_cache = caches[l]
        dA_prev_temp, dW_temp, db_temp = linear_activation_backward({hidden}, current_cache, {activation})
        grads["dA" + str(l)] = dA_prev_temp
        grads["dW" + str(l + 1)] = dW_temp
        grads["db" + str(l + 1)] = db_temp
    return grads
'''
_RIGHT_DAL = "- (np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))"


def _backward(dAL=_RIGHT_DAL, first="dAL", hidden='grads["dA" + str(l + 1)]', activation='"relu"') -> str:
    return _cell(_BACKWARD.format(dAL=dAL, first=first, hidden=hidden, activation=activation))


_FORWARD = '''
def L_model_forward(X, parameters):
    caches = []
    A = X
    L = len(parameters) // 2
    for l in range(1, L):
        A_prev = A
        A, cache = linear_activation_forward(A_prev, parameters["W" + str(l)], parameters["b" + str(l)], {hidden})
        {store}
    AL, cache = linear_activation_forward({last_input}, parameters["W" + str(L)], parameters["b" + str(L)], "sigmoid")
    {store_last}
    return AL, caches
'''


def _forward(hidden='"relu"', store="caches.append(cache)", last_input="A", store_last="caches.append(cache)") -> str:
    return _cell(_FORWARD.format(hidden=hidden, store=store, last_input=last_input, store_last=store_last))


_LINEAR_BACKWARD = '''
def linear_backward(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    dW = {dW}
    db = {db}
    dA_prev = {dA_prev}
    return dA_prev, dW, db
'''


def _linear_backward(dW="1 / m * np.dot(dZ, A_prev.T)", db="1 / m * np.sum(dZ, axis=1, keepdims=True)",
                     dA_prev="np.dot(W.T, dZ)") -> str:
    return _cell(_LINEAR_BACKWARD.format(dW=dW, db=db, dA_prev=dA_prev))


_UPDATE = '''
def update_parameters(params, grads, learning_rate):
    parameters = copy.deepcopy(params)
    L = len(parameters) // 2
    for l in range(L):
        parameters["W" + str(l + 1)] = {W}
        parameters["b" + str(l + 1)] = {b}
    return parameters
'''


def _update(W='parameters["W" + str(l + 1)] - learning_rate * grads["dW" + str(l + 1)]',
            b='parameters["b" + str(l + 1)] - learning_rate * grads["db" + str(l + 1)]') -> str:
    return _cell(_UPDATE.format(W=W, b=b))


_COST = '''
def compute_cost(AL, Y):
    m = Y.shape[1]
    cost = {cost}
    {after}
    return cost
'''


def _cost(cost: str, after: str = "cost = np.squeeze(cost)") -> str:
    return _cell(_COST.format(cost=cost, after=after))


REPRODUCTIONS = {
    "fwd_layers_written_in": ("L_model_forward", _cell('''
        def L_model_forward(X, parameters):
            caches = []
            A = X
            L = len(parameters) // 2
            for l in range(1, L):
                A, cache = linear_activation_forward(A, parameters["W" + str(l)], parameters["b" + str(l)], "relu")
                caches.append(cache)
            AL, cache = linear_activation_forward(A, parameters["W4"], parameters["b4"], "sigmoid")
            caches.append(cache)
            return AL, caches
        ''')),
    "upd_first_layer_skipped": ("update_parameters", _cell('''
        def update_parameters(params, grads, learning_rate):
            parameters = copy.deepcopy(params)
            L = len(parameters) // 2
            for l in range(2, L + 1):
                parameters["W%d" % l] = parameters["W%d" % l] - learning_rate * grads["dW%d" % l]
                parameters["b%d" % l] = parameters["b%d" % l] - learning_rate * grads["db%d" % l]
            return parameters
        ''')),
    "fwd_output_layer_not_given_X": ("L_model_forward", _cell('''
        def L_model_forward(X, parameters):
            caches = []
            L = len(parameters) // 2
            A = None
            for l in range(1, L):
                A, cache = linear_activation_forward(X if l == 1 else A, parameters["W" + str(l)], parameters["b" + str(l)], "relu")
                caches.append(cache)
            AL, cache = linear_activation_forward(A, parameters["W" + str(L)], parameters["b" + str(L)], "sigmoid")
            caches.append(cache)
            return AL, caches
        ''')),
    "cost_second_term_wrong": ("compute_cost", _cost("-np.sum(Y * np.log(AL) + (1 - Y) * np.log(AL)) / m")),
    "upd_replaced_by_the_step": ("update_parameters", _update(W='learning_rate * grads["dW" + str(l + 1)]')),
    "init_other_draws": ("initialize_parameters", _cell('''
        def initialize_parameters(n_x, n_h, n_y):
            np.random.seed(1)
            W2 = np.random.randn(n_y, n_h) * 0.01
            W1 = np.random.randn(n_h, n_x) * 0.01
            return {"W1": W1, "b1": np.zeros((n_h, 1)), "W2": W2, "b2": np.zeros((n_y, 1))}
        ''')),
    "fwd_L_counts_the_keys": ("L_model_forward", _cell('''
        def L_model_forward(X, parameters):
            caches = []
            A = X
            L = len(parameters)
            for l in range(1, L):
                A, cache = linear_activation_forward(A, parameters["W" + str(l)], parameters["b" + str(l)], "relu")
                caches.append(cache)
            AL, cache = linear_activation_forward(A, parameters["W" + str(L)], parameters["b" + str(L)], "sigmoid")
            caches.append(cache)
            return AL, caches
        ''')),
    "cost_dot_of_two_rows": ("compute_cost", _cost("-(np.dot(Y, np.log(AL)) + np.dot(1 - Y, np.log(1 - AL))) / m")),
    "cost_not_finite": ("compute_cost", _cost("-np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - Y)) / m")),
    "cost_second_term_sign": ("compute_cost", _cost("-np.sum(Y * np.log(AL) - (1 - Y) * np.log(1 - AL)) / m")),
    "cost_broadcast_outer": ("compute_cost", _cost("-np.sum(Y * np.log(AL).T + (1 - Y) * np.log(1 - AL).T) / m")),
    "upd_b_with_dW": ("update_parameters", _update(
        b='parameters["b" + str(l + 1)] - learning_rate * grads["dW" + str(l + 1)]')),
    "upd_nothing_updated": ("update_parameters", _cell('''
        def update_parameters(params, grads, learning_rate):
            parameters = copy.deepcopy(params)
            L = len(parameters) // 2
            for l in range(1, L + 1):
                W = parameters["W" + str(l)] - learning_rate * grads["dW" + str(l)]
                b = parameters["b" + str(l)] - learning_rate * grads["db" + str(l)]
            return parameters
        ''')),
    "upd_b_not_updated": ("update_parameters", _update(b='parameters["b" + str(l + 1)]')),
    "init_loop_too_far": ("initialize_parameters_deep", _cell('''
        def initialize_parameters_deep(layer_dims):
            np.random.seed(3)
            parameters = {}
            L = len(layer_dims)
            for l in range(1, L + 1):
                parameters["W" + str(l)] = np.random.randn(layer_dims[l], layer_dims[l - 1]) * 0.01
                parameters["b" + str(l)] = np.zeros((layer_dims[l], 1))
            return parameters
        ''')),
    "laf_cache_flat": ("linear_activation_forward", _cell('''
        def linear_activation_forward(A_prev, W, b, activation):
            Z = np.dot(W, A_prev) + b
            A = sigmoid(Z)[0] if activation == "sigmoid" else relu(Z)[0]
            return A, (A_prev, W, b, Z)
        ''')),
    "fwd_output_layer_inside_the_loop": ("L_model_forward", _cell('''
        def L_model_forward(X, parameters):
            caches = []
            A = X
            L = len(parameters) // 2
            for l in range(1, L):
                A, cache = linear_activation_forward(A, parameters["W" + str(l)], parameters["b" + str(l)], "relu")
                caches.append(cache)
                AL, cache = linear_activation_forward(A, parameters["W" + str(L)], parameters["b" + str(L)], "sigmoid")
                caches.append(cache)
            return AL, caches
        ''')),
    "fwd_layers_written_in#2": ("L_model_forward", _cell('''
        def L_model_forward(X, parameters):
            caches = []
            A = X
            for l in range(1, 3):  # the notebook's example has three layers
                A, cache = linear_activation_forward(A, parameters["W" + str(l)], parameters["b" + str(l)], "relu")
                caches.append(cache)
            AL, cache = linear_activation_forward(A, parameters["W3"], parameters["b3"], "sigmoid")
            caches.append(cache)
            return AL, caches
        ''')),
    "fwd_caches_extended": ("L_model_forward", _forward(store="caches += cache", store_last="caches += cache")),
    "fwd_caches_appended_to_itself": ("L_model_forward", _forward(store="caches.append(caches)",
                                                                  store_last="caches.append(cache)")),
    "cost_not_squeezed": ("compute_cost", _cost("-(np.dot(Y, np.log(AL).T) + np.dot(1 - Y, np.log(1 - AL).T)) / m",
                                                after="cost = cost")),
    "cost_log10": ("compute_cost", _cost("-np.sum(Y * np.log10(AL) + (1 - Y) * np.log10(1 - AL)) / m")),
    "lb_m_from_the_wrong_axis": ("linear_backward", _linear_backward(
        dW="np.dot(dZ, A_prev.T) / dZ.shape[0]", db="np.sum(dZ, axis=1, keepdims=True) / dZ.shape[0]")),
    "dW_transposed": ("linear_backward", _linear_backward(dW="np.dot(A_prev, dZ.T) / m")),
    "db_not_summed": ("linear_backward", _linear_backward(db="dZ / m")),
    "upd_loop_from_zero": ("update_parameters", _cell('''
        def update_parameters(params, grads, learning_rate):
            parameters = copy.deepcopy(params)
            for l in range(len(parameters) // 2):
                parameters["W" + str(l)] -= learning_rate * grads["dW" + str(l)]
                parameters["b" + str(l)] -= learning_rate * grads["db" + str(l)]
            return parameters
        ''')),
    "upd_loop_too_far": ("update_parameters", _cell('''
        def update_parameters(params, grads, learning_rate):
            parameters = copy.deepcopy(params)
            for l in range(1, len(parameters) + 1):
                parameters["W" + str(l)] -= learning_rate * grads["dW" + str(l)]
                parameters["b" + str(l)] -= learning_rate * grads["db" + str(l)]
            return parameters
        ''')),
    "upd_first_layer_only": ("update_parameters", _cell('''
        def update_parameters(params, grads, learning_rate):
            parameters = copy.deepcopy(params)
            parameters["W1"] = parameters["W1"] - learning_rate * grads["dW1"]
            parameters["b1"] = parameters["b1"] - learning_rate * grads["db1"]
            return parameters
        ''')),
    "init_wrong_shape": ("initialize_parameters_deep", _cell('''
        def initialize_parameters_deep(layer_dims):
            np.random.seed(3)
            parameters = {}
            for l in range(1, len(layer_dims)):
                parameters["W" + str(l)] = np.random.randn(layer_dims[l], layer_dims[l - 1]) * 0.01
                parameters["b" + str(l)] = np.zeros((layer_dims[l], layer_dims[l - 1]))
            return parameters
        ''')),
    "last_layer_not_initialized": ("initialize_parameters_deep", _cell('''
        def initialize_parameters_deep(layer_dims):
            np.random.seed(3)
            parameters = {}
            L = len(layer_dims)
            for l in range(1, L - 1):
                parameters['W%d' % l] = np.random.randn(layer_dims[l], layer_dims[l - 1]) * 0.01
                parameters['b%d' % l] = np.zeros((layer_dims[l], 1))
            return parameters
        ''')),
    "cache_holds_A": ("linear_activation_forward", _cell('''
        def linear_activation_forward(A_prev, W, b, activation):
            Z, linear_cache = linear_forward(A_prev, W, b)
            A = sigmoid(Z)[0] if activation == "sigmoid" else relu(Z)[0]
            return A, (linear_cache, A)
        ''')),
    "cache_order_swapped": ("linear_activation_forward", _cell('''
        def linear_activation_forward(A_prev, W, b, activation):
            Z, linear_cache = linear_forward(A_prev, W, b)
            if activation == "sigmoid":
                A, activation_cache = sigmoid(Z)
            else:
                A, activation_cache = relu(Z)
            return A, (activation_cache, linear_cache)
        ''')),
    "laf_cache_one_part": ("linear_activation_forward", _cell('''
        def linear_activation_forward(A_prev, W, b, activation):
            Z, linear_cache = linear_forward(A_prev, W, b)
            if activation == "sigmoid":
                A, activation_cache = sigmoid(Z)
            else:
                A, activation_cache = relu(Z)
            cache = linear_cache
            return A, cache
        ''')),
    "relu_on_output": ("L_model_forward", _cell('''
        def L_model_forward(X, parameters):
            caches = []
            A = X
            L = len(parameters) // 2
            for l in range(1, L + 1):
                A, cache = linear_activation_forward(A, parameters["W" + str(l)], parameters["b" + str(l)], "relu")
                caches.append(cache)
            return A, caches
        ''')),
    "fwd_sigmoid_on_hidden": ("L_model_forward", _forward(hidden='"sigmoid"')),
    "fwd_stale_A": ("L_model_forward", _forward(last_input="A_prev")),
    "Z_fed_forward": ("L_model_forward", _forward(store="caches.append(cache)\n        A = cache[1]")),
    "fwd_caches_assigned": ("L_model_forward", _forward(store="caches = [cache]", store_last="caches = [cache]")),
    "fwd_output_cache_missing": ("L_model_forward", _forward(store_last="pass")),
    "cost_without_1_over_m": ("compute_cost", _cost("-np.sum(np.multiply(Y, np.log(AL)) + np.multiply(1 - Y, np.log(1 - AL)))")),
    "cost_without_minus": ("compute_cost", _cost("(1. / m) * (np.dot(Y, np.log(AL).T) + np.dot(1 - Y, np.log(1 - AL).T))")),
    "cost_is_a_tuple": ("compute_cost", _cost("-np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)) / m,",
                                              after="cost = cost")),
    "db_wrong_axis": ("linear_backward", _linear_backward(db="np.sum(dZ, axis=0, keepdims=True) / m")),
    "db_without_1_over_m": ("linear_backward", _linear_backward(db="np.sum(dZ, axis=1, keepdims=True)")),
    "dW_without_1_over_m": ("linear_backward", _linear_backward(dW="np.dot(dZ, A_prev.T)")),
    "dA_prev_with_1_over_m": ("linear_backward", _linear_backward(dA_prev="np.dot(W.T, dZ) / m")),
    "lb_missing_transpose": ("linear_backward", _linear_backward(dW="np.dot(dZ, A_prev) / m")),
    "derivative_skipped": ("linear_activation_backward", _cell('''
        def linear_activation_backward(dA, cache, activation):
            linear_cache, activation_cache = cache
            dA_prev, dW, db = linear_backward(dA, linear_cache)
            return dA_prev, dW, db
        ''')),
    "derivatives_swapped": ("linear_activation_backward", _cell('''
        def linear_activation_backward(dA, cache, activation):
            linear_cache, activation_cache = cache
            if activation == "relu":
                dZ = sigmoid_backward(dA, activation_cache)
            else:
                dZ = relu_backward(dA, activation_cache)
            return linear_backward(dZ, linear_cache)
        ''')),
    "bwd_AL_for_dAL": ("L_model_backward", _backward(first="AL")),
    "bwd_dZ_shortcut_as_dAL": ("L_model_backward", _backward(dAL="AL - Y")),
    "bwd_dAL_one_term_sign": ("L_model_backward", _backward(dAL="- np.divide(Y, AL) - np.divide(1 - Y, 1 - AL)")),
    "dAL_wrong_sign": ("L_model_backward", _backward(dAL="np.divide(Y, AL) - np.divide(1 - Y, 1 - AL)")),
    "bwd_dAL_over_m": ("L_model_backward", _backward(dAL=_RIGHT_DAL + " / AL.shape[1]")),
    "bwd_sigmoid_for_hidden_layer": ("L_model_backward", _backward(activation='"sigmoid"')),
    "relu_backward_on_output": ("L_model_backward", _cell('''
        def L_model_backward(AL, Y, caches):
            grads = {}
            L = len(caches)
            Y = Y.reshape(AL.shape)
            dA = - (np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
            for l in reversed(range(1, L + 1)):
                dA_prev, dW, db = linear_activation_backward(dA, caches[l - 1], "relu")
                grads["dA" + str(l - 1)], grads["dW" + str(l)], grads["db" + str(l)] = dA_prev, dW, db
                dA = dA_prev
            return grads
        ''')),
    "bwd_derivative_skipped": ("L_model_backward", _cell('''
        def L_model_backward(AL, Y, caches):
            grads = {}
            L = len(caches)
            Y = Y.reshape(AL.shape)
            dA = - (np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
            for l in reversed(range(L)):
                linear_cache, activation_cache = caches[l]
                if l == L - 1:
                    dZ = sigmoid_backward(dA, activation_cache)
                else:
                    dZ = dA
                dA, grads["dW" + str(l + 1)], grads["db" + str(l + 1)] = linear_backward(dZ, linear_cache)
                grads["dA" + str(l)] = dA
            return grads
        ''')),
    "call_with_wrong_arguments": ("L_model_backward", _backward(first="dAL, AL")),
    "bwd_not_the_activation_cache": ("L_model_backward", _cell('''
        def L_model_backward(AL, Y, caches):
            grads = {}
            L = len(caches)
            Y = Y.reshape(AL.shape)
            dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
            grads["dA" + str(L - 1)], grads["dW" + str(L)], grads["db" + str(L)] = linear_activation_backward(dAL, caches[L - 1], "sigmoid")
            for l in reversed(range(L - 1)):
                linear_cache, activation_cache = caches[l]
                dZ = relu_backward(grads["dA" + str(l + 1)], linear_cache[0])  # A_prev where Z belongs
                grads["dA" + str(l)], grads["dW" + str(l + 1)], grads["db" + str(l + 1)] = linear_backward(dZ, linear_cache)
            return grads
        ''')),
    "raised_in_a_provided_helper": ("linear_activation_backward", _cell('''
        def linear_activation_backward(dA, cache, activation):
            linear_cache, activation_cache = cache
            if activation == "relu":
                dZ = relu_backward(dA, linear_cache)
            else:
                dZ = sigmoid_backward(dA, activation_cache)
            return linear_backward(dZ, linear_cache)
        ''')),
    "upd_sign": ("update_parameters", _update(
        W='parameters["W" + str(l + 1)] + learning_rate * grads["dW" + str(l + 1)]',
        b='parameters["b" + str(l + 1)] + learning_rate * grads["db" + str(l + 1)]')),
}
