"""Correct functions in the styles real students write them (our own code; `seen` names a repository whose
correct version uses the style, or says the style is a variation we added): loops in either direction, list and
dict comprehensions, np.multiply or *, A.T or np.transpose, np.dot, np.matmul or @, keepdims before or after
axis, copy.deepcopy or a plain copy. None of them may ever get a diagnosis."""
from __future__ import annotations

from . import solution
from . import sources as S

VARIATION = "a variation of the styles seen, written for the corpus (not traced to one repository)"

CORRECT = [
    # --- initialize_parameters ----------------------------------------------------------------------------------
    solution("init_plain", "initialize_parameters", S.STYLE_SHAPE_VARIABLES, """
        def initialize_parameters(n_x, n_h, n_y):
            np.random.seed(1)
            W1 = np.random.randn(n_h, n_x) * 0.01
            b1 = np.zeros(shape=(n_h, 1))
            W2 = np.random.randn(n_y, n_h) * 0.01
            b2 = np.zeros(shape=(n_y, 1))
            parameters = {"W1": W1,
                          "b1": b1,
                          "W2": W2,
                          "b2": b2}
            return parameters
        """),
    solution("init_dict_literal", "initialize_parameters", VARIATION, """
        def initialize_parameters(n_x, n_h, n_y):
            np.random.seed(1)
            # W before b for each layer: the zeros do not use the random generator
            return {
                "W1": 0.01 * np.random.randn(n_h, n_x),
                "b1": np.zeros((n_h, 1)),
                "W2": 0.01 * np.random.randn(n_y, n_h),
                "b2": np.zeros((n_y, 1)),
            }
        """),
    solution("init_loop_over_sizes", "initialize_parameters", S.STYLE_FSTRING, """
        def initialize_parameters(n_x, n_h, n_y):
            np.random.seed(1)
            sizes = [n_x, n_h, n_y]
            parameters = {}
            for l in range(1, 3):
                parameters[f"W{l}"] = np.random.randn(sizes[l], sizes[l - 1]) * 0.01
                parameters[f"b{l}"] = np.zeros((sizes[l], 1))
            return parameters
        """),

    # --- initialize_parameters_deep -----------------------------------------------------------------------------
    solution("deep_init_loop", "initialize_parameters_deep", S.STYLE_SHAPE_VARIABLES, """
        def initialize_parameters_deep(layer_dims):
            np.random.seed(3)
            parameters = {}
            L = len(layer_dims)            # number of layers in the network, input included
            for l in range(1, L):
                parameters['W' + str(l)] = np.random.randn(layer_dims[l], layer_dims[l - 1]) * 0.01
                parameters['b' + str(l)] = np.zeros((layer_dims[l], 1))
            return parameters
        """),
    solution("deep_init_zip_fstring", "initialize_parameters_deep", S.STYLE_FSTRING, """
        def initialize_parameters_deep(layer_dims):
            np.random.seed(3)
            parameters = {}
            for l, (n_prev, n) in enumerate(zip(layer_dims[:-1], layer_dims[1:]), start=1):
                parameters[f"W{l}"] = np.random.randn(n, n_prev) * 0.01
                parameters[f"b{l}"] = np.zeros((n, 1))
            return parameters
        """),
    solution("deep_init_comprehensions", "initialize_parameters_deep", VARIATION, """
        def initialize_parameters_deep(layer_dims):
            np.random.seed(3)
            L = len(layer_dims) - 1
            # all the W first, then the b (zeros draw nothing, so the random numbers are the same)
            weights = {"W" + str(l): np.random.randn(layer_dims[l], layer_dims[l - 1]) * 0.01 for l in range(1, L + 1)}
            biases = {"b" + str(l): np.zeros((layer_dims[l], 1)) for l in range(1, L + 1)}
            parameters = {}
            for l in range(1, L + 1):
                parameters["W" + str(l)] = weights["W" + str(l)]
                parameters["b" + str(l)] = biases["b" + str(l)]
            return parameters
        """),

    # --- linear_forward -----------------------------------------------------------------------------------------
    solution("lf_dot", "linear_forward", S.STYLE_ONE_OVER_M, """
        def linear_forward(A, W, b):
            Z = np.dot(W, A) + b
            cache = (A, W, b)
            return Z, cache
        """),
    solution("lf_at_operator", "linear_forward", S.STYLE_AT_OPERATOR, """
        def linear_forward(A, W, b):
            Z = W @ A + b
            return Z, (A, W, b)
        """),
    solution("lf_matmul", "linear_forward", S.STYLE_MATMUL, """
        def linear_forward(A, W, b):
            Z = np.matmul(W, A) + b   # b is broadcast over the m columns
            cache = (A, W, b)
            return Z, cache
        """),

    # --- linear_activation_forward ------------------------------------------------------------------------------
    solution("laf_if_elif", "linear_activation_forward", S.STYLE_ONE_OVER_M, """
        def linear_activation_forward(A_prev, W, b, activation):
            if activation == "sigmoid":
                Z, linear_cache = linear_forward(A_prev, W, b)
                A, activation_cache = sigmoid(Z)
            elif activation == "relu":
                Z, linear_cache = linear_forward(A_prev, W, b)
                A, activation_cache = relu(Z)
            cache = (linear_cache, activation_cache)
            return A, cache
        """),
    solution("laf_linear_once", "linear_activation_forward", VARIATION, """
        def linear_activation_forward(A_prev, W, b, activation):
            Z, linear_cache = linear_forward(A_prev, W, b)
            if activation == "relu":
                A, activation_cache = relu(Z)
            else:
                A, activation_cache = sigmoid(Z)
            return A, (linear_cache, activation_cache)
        """),
    solution("laf_function_table", "linear_activation_forward", VARIATION, """
        def linear_activation_forward(A_prev, W, b, activation):
            activations = {"sigmoid": sigmoid, "relu": relu}
            Z, linear_cache = linear_forward(A_prev, W, b)
            A, activation_cache = activations[activation](Z)
            cache = (linear_cache, activation_cache)
            return A, cache
        """),

    # --- L_model_forward ----------------------------------------------------------------------------------------
    solution("fwd_course_loop", "L_model_forward", S.STYLE_ONE_OVER_M, """
        def L_model_forward(X, parameters):
            caches = []
            A = X
            L = len(parameters) // 2                  # number of layers in the neural network
            for l in range(1, L):
                A_prev = A
                A, cache = linear_activation_forward(A_prev, parameters['W' + str(l)], parameters['b' + str(l)], activation="relu")
                caches.append(cache)
            AL, cache = linear_activation_forward(A, parameters['W' + str(L)], parameters['b' + str(L)], activation="sigmoid")
            caches.append(cache)
            return AL, caches
        """),
    solution("fwd_one_loop_activation_switch", "L_model_forward", VARIATION, """
        def L_model_forward(X, parameters):
            caches = []
            A = X
            L = len(parameters) // 2
            for l in range(1, L + 1):
                activation = "sigmoid" if l == L else "relu"
                A, cache = linear_activation_forward(A, parameters[f"W{l}"], parameters[f"b{l}"], activation)
                caches.append(cache)
            AL = A
            return AL, caches
        """),
    solution("fwd_percent_format", "L_model_forward", S.STYLE_PERCENT_FORMAT, """
        def L_model_forward(X, parameters):
            caches = []
            A = X
            L = len(parameters) // 2
            for l in range(L - 1):
                A, cache = linear_activation_forward(A, parameters["W%d" % (l + 1)], parameters["b%d" % (l + 1)], "relu")
                caches.append(cache)
            AL, cache = linear_activation_forward(A, parameters["W%d" % L], parameters["b%d" % L], "sigmoid")
            caches.append(cache)
            return AL, caches
        """),

    # --- compute_cost -------------------------------------------------------------------------------------------
    solution("cost_multiply_sum", "compute_cost", S.STYLE_ONE_OVER_M, """
        def compute_cost(AL, Y):
            m = Y.shape[1]
            cost = -1 / m * np.sum(np.multiply(Y, np.log(AL)) + np.multiply(1 - Y, np.log(1 - AL)))
            cost = np.squeeze(cost)
            return cost
        """),
    solution("cost_dot_transposed", "compute_cost", S.STYLE_DOT_COST, """
        def compute_cost(AL, Y):
            m = Y.shape[1]
            cost = (-1. / m) * (np.dot(Y, np.log(AL).T) + np.dot(1 - Y, np.log(1 - AL).T))
            cost = np.squeeze(cost)      # [[17]] becomes 17
            return cost
        """),
    solution("cost_star_and_mean", "compute_cost", VARIATION, """
        def compute_cost(AL, Y):
            m = Y.shape[1]
            losses = -(Y * np.log(AL) + (1 - Y) * np.log(1 - AL))
            cost = np.mean(losses)
            cost = np.squeeze(cost)
            return cost
        """),
    solution("cost_at_operator", "compute_cost", S.STYLE_AT_OPERATOR, """
        def compute_cost(AL, Y):
            m = Y.shape[1]
            logprobs = Y @ np.log(AL).T + (1 - Y) @ np.log(1 - AL).T
            cost = -logprobs / m
            cost = np.squeeze(cost)
            return cost
        """),

    # --- linear_backward ----------------------------------------------------------------------------------------
    solution("lb_dot_T", "linear_backward", S.STYLE_ONE_OVER_M, """
        def linear_backward(dZ, cache):
            A_prev, W, b = cache
            m = A_prev.shape[1]
            dW = 1 / m * np.dot(dZ, A_prev.T)
            db = 1 / m * np.sum(dZ, axis=1, keepdims=True)
            dA_prev = np.dot(W.T, dZ)
            return dA_prev, dW, db
        """),
    solution("lb_transpose_keepdims_first", "linear_backward", S.STYLE_NP_TRANSPOSE + " ; " + S.STYLE_KEEPDIMS_FIRST, """
        def linear_backward(dZ, cache):
            A_prev, W, b = cache
            m = A_prev.shape[1]
            dW = np.dot(dZ, np.transpose(A_prev)) / m
            db = np.sum(dZ, keepdims=True, axis=1) / m
            dA_prev = np.dot(np.transpose(W), dZ)
            return dA_prev, dW, db
        """),
    solution("lb_at_and_sum_method", "linear_backward", S.STYLE_AT_OPERATOR + " ; " + S.STYLE_SUM_METHOD, """
        def linear_backward(dZ, cache):
            A_prev, W, b = cache
            m = A_prev.shape[1]
            dW = (dZ @ A_prev.T) / m
            db = dZ.sum(axis=1, keepdims=True) / m
            dA_prev = W.T @ dZ
            return dA_prev, dW, db
        """),
    solution("lb_matmul_mean", "linear_backward", S.STYLE_MATMUL, """
        def linear_backward(dZ, cache):
            A_prev, W, b = cache
            m = A_prev.shape[1]
            dW = np.matmul(dZ, A_prev.T) / m
            db = np.mean(dZ, axis=1, keepdims=True)    # the sum over the examples divided by m
            dA_prev = np.matmul(W.T, dZ)
            return dA_prev, dW, db
        """),
    solution("lb_cache_indexing", "linear_backward", S.STYLE_KEEPDIMS_FIRST, """
        def linear_backward(dZ, cache):
            A_prev, W, b = cache
            m = A_prev.shape[1]
            dW = (1. / m) * np.dot(dZ, cache[0].T)
            db = (1. / m) * np.sum(dZ, axis=1).reshape(b.shape)
            dA_prev = np.dot(cache[1].T, dZ)
            return dA_prev, dW, db
        """),

    # --- linear_activation_backward -----------------------------------------------------------------------------
    solution("lab_if_elif", "linear_activation_backward", S.STYLE_ONE_OVER_M, """
        def linear_activation_backward(dA, cache, activation):
            linear_cache, activation_cache = cache
            if activation == "relu":
                dZ = relu_backward(dA, activation_cache)
                dA_prev, dW, db = linear_backward(dZ, linear_cache)
            elif activation == "sigmoid":
                dZ = sigmoid_backward(dA, activation_cache)
                dA_prev, dW, db = linear_backward(dZ, linear_cache)
            return dA_prev, dW, db
        """),
    solution("lab_function_table", "linear_activation_backward", VARIATION, """
        def linear_activation_backward(dA, cache, activation):
            linear_cache, activation_cache = cache
            backward = {"relu": relu_backward, "sigmoid": sigmoid_backward}[activation]
            dZ = backward(dA, activation_cache)
            return linear_backward(dZ, linear_cache)
        """),

    # --- L_model_backward ---------------------------------------------------------------------------------------
    solution("bwd_course_loop", "L_model_backward", S.STYLE_ONE_OVER_M, """
        def L_model_backward(AL, Y, caches):
            grads = {}
            L = len(caches) # the number of layers
            Y = Y.reshape(AL.shape) # after this line, Y is the same shape as AL
            dAL = - (np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
            current_cache = caches[L - 1]
            dA_prev_temp, dW_temp, db_temp = linear_activation_backward(dAL, current_cache, "sigmoid")
            grads["dA" + str(L - 1)] = dA_prev_temp
            grads["dW" + str(L)] = dW_temp
            grads["db" + str(L)] = db_temp
            for l in reversed(range(L - 1)):
                current_cache = caches[l]
                dA_prev_temp, dW_temp, db_temp = linear_activation_backward(grads["dA" + str(l + 1)], current_cache, "relu")
                grads["dA" + str(l)] = dA_prev_temp
                grads["dW" + str(l + 1)] = dW_temp
                grads["db" + str(l + 1)] = db_temp
            return grads
        """),
    solution("bwd_helpers_direct", "L_model_backward", S.STYLE_HELPERS_DIRECT + " ; " + S.STYLE_LAST_CACHE_MINUS_ONE, """
        def L_model_backward(AL, Y, caches):
            grads = {}
            L = len(caches)
            Y = Y.reshape(AL.shape)
            dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
            current_cache = caches[-1]
            grads["dA" + str(L - 1)], grads["dW" + str(L)], grads["db" + str(L)] = linear_backward(sigmoid_backward(dAL, current_cache[1]), current_cache[0])
            for l in reversed(range(L - 1)):
                current_cache = caches[l]
                dA_prev_temp, dW_temp, db_temp = linear_backward(relu_backward(grads["dA" + str(l + 1)], current_cache[1]), current_cache[0])
                grads["dA" + str(l)] = dA_prev_temp
                grads["dW" + str(l + 1)] = dW_temp
                grads["db" + str(l + 1)] = db_temp
            return grads
        """),
    solution("bwd_counting_down_plain_division", "L_model_backward", S.STYLE_PLAIN_DIVISION, """
        def L_model_backward(AL, Y, caches):
            grads = {}
            L = len(caches)
            Y = Y.reshape(AL.shape)
            dA = -(Y / AL) + (1 - Y) / (1 - AL)
            for l in range(L, 0, -1):            # layer L first, then down to layer 1
                activation = "sigmoid" if l == L else "relu"
                dA, dW, db = linear_activation_backward(dA, caches[l - 1], activation)
                grads["dA" + str(l - 1)] = dA
                grads["dW" + str(l)] = dW
                grads["db" + str(l)] = db
            return grads
        """),
    solution("bwd_while_fstrings", "L_model_backward", S.STYLE_FSTRING, """
        def L_model_backward(AL, Y, caches):
            grads = {}
            L = len(caches)
            Y = Y.reshape(AL.shape)
            dAL = np.divide(1 - Y, 1 - AL) - np.divide(Y, AL)
            grads[f"dA{L - 1}"], grads[f"dW{L}"], grads[f"db{L}"] = linear_activation_backward(dAL, caches[L - 1], "sigmoid")
            l = L - 1
            while l > 0:
                grads[f"dA{l - 1}"], grads[f"dW{l}"], grads[f"db{l}"] = linear_activation_backward(grads[f"dA{l}"], caches[l - 1], "relu")
                l -= 1
            return grads
        """),

    # --- update_parameters --------------------------------------------------------------------------------------
    solution("upd_deepcopy", "update_parameters", S.STYLE_DEEPCOPY, """
        def update_parameters(params, grads, learning_rate):
            parameters = copy.deepcopy(params)
            L = len(parameters) // 2 # number of layers in the neural network
            for l in range(L):
                parameters["W" + str(l + 1)] = parameters["W" + str(l + 1)] - learning_rate * grads["dW" + str(l + 1)]
                parameters["b" + str(l + 1)] = parameters["b" + str(l + 1)] - learning_rate * grads["db" + str(l + 1)]
            return parameters
        """),
    solution("upd_dict_comprehension", "update_parameters", VARIATION, """
        def update_parameters(params, grads, learning_rate):
            # every key is W<l> or b<l>, and its gradient is d + the same key
            parameters = {key: value - learning_rate * grads["d" + key] for key, value in params.items()}
            return parameters
        """),
    solution("upd_shallow_copy_one_to_L", "update_parameters", S.STYLE_DICT_COPY, """
        def update_parameters(params, grads, learning_rate):
            parameters = params.copy()
            L = len(parameters) // 2
            for l in range(1, L + 1):
                parameters[f"W{l}"] = parameters[f"W{l}"] - learning_rate * grads[f"dW{l}"]
                parameters[f"b{l}"] = parameters[f"b{l}"] - learning_rate * grads[f"db{l}"]
            return parameters
        """),
    solution("upd_kit_scaffold_counting_down", "update_parameters", VARIATION, """
        def update_parameters(params, grads, learning_rate):
            parameters = {name: np.copy(value) for name, value in params.items()}
            L = len(parameters) // 2
            for l in range(L, 0, -1):
                parameters["W" + str(l)] -= learning_rate * grads["dW" + str(l)]
                parameters["b" + str(l)] -= learning_rate * grads["db" + str(l)]
            return parameters
        """),
    # The older course's own style: updates the dict it was given. Right values, and the checks add a note (not a
    # lost point) that params was changed in place.
    solution("upd_in_place_old_course", "update_parameters", S.STYLE_IN_PLACE, """
        def update_parameters(params, grads, learning_rate):
            L = len(params) // 2
            for l in range(L):
                params["W" + str(l+1)] = params["W" + str(l+1)] - learning_rate * grads["dW" + str(l+1)]
                params["b" + str(l+1)] = params["b" + str(l+1)] - learning_rate * grads["db" + str(l+1)]
            return params
        """),
]
