"""Held-out set: about a third of the wrong functions, covering every class, kept apart from the development set
(real_mistakes.py) so that the diagnosis engine can be measured on code its author has not looked at. Do not
read these while building the engine; tests/test_corpus.py reports how many get a diagnosis."""
from __future__ import annotations

from . import mistake
from . import sources as S

WRONG = [
    # --- 1 ------------------------------------------------------------------------------------------------------
    mistake("init_b2_shape_typed_in", "initialize_parameters", 1,
            "b2 is made with the shape (1, 1) typed in instead of (n_y, 1).", S.ALI_ASGAR + " ; " + S.MARCOS, """
        def initialize_parameters(n_x, n_h, n_y):
            np.random.seed(1)
            W1 = np.random.randn(n_h, n_x) * 0.01
            b1 = np.zeros((n_h, 1))
            W2 = np.random.randn(n_y, n_h) * 0.01
            b2 = np.zeros((1, 1))
            parameters = {"W1": W1,
                          "b1": b1,
                          "W2": W2,
                          "b2": b2}
            return parameters
        """),
    mistake("fwd_output_layer_W3_typed_in", "L_model_forward", 1,
            "The output layer is written as W3 and b3, the notebook's three-layer example, so any other depth uses "
            "the wrong (or a missing) layer; use W + str(L).", S.ANWAR, """
        def L_model_forward(X, parameters):
            caches = []
            A = X
            L = len(parameters) // 2
            for l in range(1, L):
                A_prev = A
                A, cache = linear_activation_forward(A_prev, parameters['W' + str(l)], parameters['b' + str(l)], "relu")
                caches.append(cache)
            AL, cache = linear_activation_forward(A, parameters['W3'], parameters['b3'], "sigmoid")
            caches.append(cache)
            return AL, caches
        """),
    mistake("fwd_output_fed_from_loop_only_variable", "L_model_forward", 1,
            "The output layer is fed A_temp, a variable that only the loop sets (it starts as an empty list), so "
            "with no hidden layer (L = 1) the output layer gets [] instead of X.", S.KIM6LE, """
        def L_model_forward(X, parameters):
            caches = []
            A = X
            A_temp = []
            L = len(parameters) // 2
            for l in range(1, L):
                A_prev = A
                A, cache = linear_activation_forward(A_prev, parameters['W' + str(l)], parameters['b' + str(l)], "relu")
                caches.append(cache)
                A_temp = A
            AL, cache = linear_activation_forward(A_temp, parameters['W' + str(L)], parameters['b' + str(L)], "sigmoid")
            caches.append(cache)
            return AL, caches
        """),

    # --- 2 ------------------------------------------------------------------------------------------------------
    mistake("bwd_old_key_numbering_counting_down", "L_model_backward", 2,
            "The keys follow the old numbering: the dA_prev that layer l returns is stored as dA{l}, so the dict "
            "has dA1 ... dAL instead of dA0 ... dA{L-1}.", S.SOTERO + " (the same numbering in 17 repositories read)",
            """
        def L_model_backward(AL, Y, caches):
            grads = {}
            L = len(caches)
            Y = Y.reshape(AL.shape)
            dA = -(Y / AL - (1 - Y) / (1 - AL))
            layer = L
            activation = "sigmoid"
            while layer >= 1:
                dA_prev, dW, db = linear_activation_backward(dA, caches[layer - 1], activation)
                grads[f"dA{layer}"] = dA_prev
                grads[f"dW{layer}"] = dW
                grads[f"db{layer}"] = db
                dA = dA_prev
                activation = "relu"
                layer -= 1
            return grads
        """),
    mistake("bwd_AL_passed_for_dAL", "L_model_backward", 2,
            "The output layer is given AL where dAL belongs (dAL is computed and never used); the keys also use the "
            "old numbering.", S.GKARMAKAR, """
        def L_model_backward(AL, Y, caches):
            grads = {}
            L = len(caches)
            Y = Y.reshape(AL.shape)
            dAL = - (np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
            current_cache = caches[L - 1]
            grads["dA" + str(L)], grads["dW" + str(L)], grads["db" + str(L)] = linear_activation_backward(AL, current_cache, activation="sigmoid")
            for l in reversed(range(L - 1)):
                current_cache = caches[l]
                dA_prev, dW, db = linear_activation_backward(grads["dA" + str(l + 2)], current_cache, activation="relu")
                grads["dA" + str(l + 1)] = dA_prev
                grads["dW" + str(l + 1)] = dW
                grads["db" + str(l + 1)] = db
            return grads
        """),
    mistake("bwd_output_gradient_reused_as_stale_variable", "L_model_backward", 2,
            "Every hidden layer is given dA_prev_temp as the output layer left it: the variable is not updated in "
            "the loop, so each layer gets the output layer's gradient instead of the one from the layer above.",
            S.ABDALLAHNU, """
        def L_model_backward(AL, Y, caches):
            grads = {}
            L = len(caches)
            Y = Y.reshape(AL.shape)
            dAL = -Y/AL + (1 - Y)/(1 - AL)
            current_cache = caches[L-1]
            dA_prev_temp, dW_temp, db_temp = linear_activation_backward(dAL, current_cache, 'sigmoid')
            grads['dA' + str(L-1)] = dA_prev_temp
            grads['dW' + str(L)] = dW_temp
            grads['db' + str(L)] = db_temp
            for l in reversed(range(L-1)):
                current_cache = caches[l]
                grads['dA' + str(l)], grads['dW' + str(l+1)], grads['db' + str(l+1)] = linear_activation_backward(dA_prev_temp, current_cache, 'relu')
            return grads
        """),
    mistake("bwd_cache_off_by_one", "L_model_backward", 2,
            "Hidden layer l + 1 is handed caches[l + 1] (the cache of the layer above) instead of caches[l], and "
            "dAL instead of the dA the layer above returned.", S.SUVRALIPI, """
        def L_model_backward(AL, Y, caches):
            grads = {}
            L = len(caches)
            Y = Y.reshape(AL.shape)
            dAL = - (np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
            current_cache = caches[-1]
            grads["dA" + str(L - 1)], grads["dW" + str(L)], grads["db" + str(L)] = linear_activation_backward(dAL, current_cache, activation="sigmoid")
            for l in reversed(range(L - 1)):
                current_cache = caches[l + 1]
                dA_prev_temp, dW_temp, db_temp = linear_activation_backward(dAL, current_cache, activation="relu")
                grads["dA" + str(l)] = dA_prev_temp
                grads["dW" + str(l + 1)] = dW_temp
                grads["db" + str(l + 1)] = db_temp
            return grads
        """),
    mistake("bwd_fixed_cache_and_same_dA", "L_model_backward", 2,
            "Every hidden layer gets caches[L-2] and grads['dA' + str(L-1)]: the last hidden layer's cache and the "
            "output layer's gradient, whatever its own number; right only with one hidden layer.", S.AZUTSHI, """
        def L_model_backward(AL, Y, caches):
            grads = {}
            L = len(caches)
            Y = Y.reshape(AL.shape)
            dAL = - (np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
            current_cache = caches[L - 1]
            grads["dA" + str(L - 1)], grads["dW" + str(L)], grads["db" + str(L)] = linear_activation_backward(dAL, current_cache, activation="sigmoid")
            for l in reversed(range(L - 1)):
                current_cache = caches[L - 2]
                dA_prev_temp, dW_temp, db_temp = linear_activation_backward(grads["dA" + str(L - 1)], current_cache, activation="relu")
                grads["dA" + str(l)] = dA_prev_temp
                grads["dW" + str(l + 1)] = dW_temp
                grads["db" + str(l + 1)] = db_temp
            return grads
        """),
    mistake("bwd_new_then_old_numbering", "L_model_backward", 2,
            "The output layer's gradient is stored as dA{L-1} (new numbering) but the loop reads dA{l+2} (old "
            "numbering), a key that was never written.", S.DEVDIVYANSH, """
        def L_model_backward(AL, Y, caches):
            grads = {}
            L = len(caches)
            Y = Y.reshape(AL.shape)
            dAL = - (np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
            current_cache = caches[-1]
            dA_prev_temp, dW_temp, db_temp = linear_activation_backward(dAL, current_cache, activation="sigmoid")
            grads["dA" + str(L - 1)] = dA_prev_temp
            grads["dW" + str(L)] = dW_temp
            grads["db" + str(L)] = db_temp
            for l in reversed(range(L - 1)):
                current_cache = caches[l]
                dA_prev_temp, dW_temp, db_temp = linear_activation_backward(grads["dA" + str(l + 2)], current_cache, activation="relu")
                grads["dA" + str(l + 1)] = dA_prev_temp
                grads["dW" + str(l + 1)] = dW_temp
                grads["db" + str(l + 1)] = db_temp
            return grads
        """),
    mistake("bwd_indexes_caches_list_for_cache_parts", "L_model_backward", 2,
            "In the loop the parts of the layer's cache are taken as caches[1] and caches[0] (whole layers' caches) "
            "instead of current_cache[1] and current_cache[0].", S.BARAVNI, """
        def L_model_backward(AL, Y, caches):
            grads = {}
            L = len(caches)
            Y = Y.reshape(AL.shape)
            dAL = - (np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
            current_cache = caches[-1]
            grads["dA" + str(L)], grads["dW" + str(L)], grads["db" + str(L)] = linear_backward(sigmoid_backward(dAL, current_cache[1]), current_cache[0])
            for l in reversed(range(L - 1)):
                current_cache = caches[l]
                dA_prev_temp, dW_temp, db_temp = linear_backward(sigmoid_backward(dAL, caches[1]), caches[0])
                grads["dA" + str(l + 1)] = dA_prev_temp
                grads["dW" + str(l + 1)] = dW_temp
                grads["db" + str(l + 1)] = db_temp
            return grads
        """),
    mistake("bwd_result_tuple_stored_under_each_key", "L_model_backward", 2,
            "For the output layer the whole (dA_prev, dW, db) tuple is stored under each of dA, dW and db, and every "
            "layer goes through sigmoid_backward with dAL.", S.HSAYER, """
        def L_model_backward(AL, Y, caches):
            grads = {}
            L = len(caches)
            Y = Y.reshape(AL.shape)
            dAL = - (np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
            current_cache = caches[-1]
            result = linear_backward(sigmoid_backward(dAL, current_cache[1]), current_cache[0])
            grads["dA" + str(L)] = result
            grads["dW" + str(L)] = result
            grads["db" + str(L)] = result
            for l in reversed(range(L - 1)):
                current_cache = caches[l]
                dA_prev_temp, dW_temp, db_temp = linear_backward(sigmoid_backward(dAL, current_cache[1]), current_cache[0])
                grads['dA' + str(l + 1)] = dA_prev_temp
                grads['dW' + str(l + 1)] = dW_temp
                grads['db' + str(l + 1)] = db_temp
            return grads
        """),

    # --- 3 ------------------------------------------------------------------------------------------------------
    mistake("fwd_caches_assigned_not_appended", "L_model_forward", 3,
            "caches is assigned the layer's cache (caches = ...) instead of having it appended, so only the output "
            "layer's cache, a tuple of two, is returned.", S.YANHAO, """
        def L_model_forward(X, parameters):
            caches = []
            A = X
            L = len(parameters) // 2
            for l in range(1, L):
                A_prev = A
                A, caches = linear_activation_forward(A_prev, parameters['W' + str(l)], parameters['b' + str(l)], 'relu')
            AL, caches = linear_activation_forward(A, parameters['W' + str(L)], parameters['b' + str(L)], 'sigmoid')
            return AL, caches
        """),
    mistake("laf_misspelt_linear_forward", "linear_activation_forward", 3,
            "linear_forward is misspelt (linear_forwar), a name that does not exist.", S.HOANGNT, """
        def linear_activation_forward(A_prev, W, b, activation):
            if activation == "sigmoid":
                Z, linear_cache = linear_forwar(A_prev, W, b)
                A, activation_cache = sigmoid(Z)
            elif activation == "relu":
                Z, linear_cache = linear_forwar(A_prev, W, b)
                A, activation_cache = relu(Z)
            cache = (linear_cache, activation_cache)
            return A, cache
        """),

    # --- 4 ------------------------------------------------------------------------------------------------------
    mistake("lab_pair_to_linear_backward", "linear_activation_backward", 4,
            "linear_backward is given cache, the whole (linear_cache, activation_cache) pair, instead of "
            "linear_cache, so it cannot unpack A_prev, W and b from it.",
            S.ASH1605 + " (the same pair handed to linear_backward, there in L_model_backward)", """
        def linear_activation_backward(dA, cache, activation):
            linear_cache, activation_cache = cache
            if activation == "relu":
                dZ = relu_backward(dA, activation_cache)
            elif activation == "sigmoid":
                dZ = sigmoid_backward(dA, activation_cache)
            dA_prev, dW, db = linear_backward(dZ, cache)
            return dA_prev, dW, db
        """),

    # --- 5 ------------------------------------------------------------------------------------------------------
    mistake("lb_db_sum_times_one_over_m", "linear_backward", 5,
            "db = (1/m) * np.sum(dZ) sums over units and examples alike: one number instead of one value per unit.",
            S.ALIBAHERI, """
        def linear_backward(dZ, cache):
            A_prev, W, b = cache
            m = A_prev.shape[1]
            dW = (1/m) * np.dot(dZ, A_prev.T)
            db = (1/m) * np.sum(dZ)
            dA_prev = np.dot(W.T, dZ)
            return dA_prev, dW, db
        """),
    mistake("lb_db_row_of_totals", "linear_backward", 5,
            "db is built as a row of n copies of the total of dZ, shape (1, n), instead of each unit's own sum over "
            "the examples as an (n, 1) column.", S.RAY950611, """
        def linear_backward(dZ, cache):
            A_prev, W, b = cache
            m = A_prev.shape[1]
            dW = np.matmul(dZ, np.transpose(A_prev)) / m
            db = np.array([np.ones(len(dZ)) * np.sum(dZ) / m])
            dA_prev = np.matmul(np.transpose(W), dZ)
            return dA_prev, dW, db
        """),
    mistake("lb_db_over_examples_axis_0", "linear_backward", 5,
            "db sums dZ over axis 0 (the units) instead of axis 1 (the examples), giving a (1, m) row instead of an "
            "(n, 1) column.", S.FORUM_LINEAR_BACKWARD, """
        def linear_backward(dZ, cache):
            A_prev, W, b = cache
            m = A_prev.shape[1]
            dW = 1/m * np.dot(dZ, A_prev.T)
            db = 1/m * np.sum(dZ, axis=0, keepdims=True)
            dA_prev = np.dot(W.T, dZ)
            return dA_prev, dW, db
        """),

    # --- 6 ------------------------------------------------------------------------------------------------------
    mistake("cost_two_terms_to_np_sum_untransposed", "compute_cost", 6,
            "Both terms are passed to np.sum as separate arguments (the second is read as the axis), and the dot "
            "products are taken without transposing, so they do not even line up.", S.RUDRA, """
        def compute_cost(AL, Y):
            m = Y.shape[1]
            cost = -(np.sum(np.dot(Y, np.log(AL)), np.dot(1 - Y, np.log(1 - AL)))) / m
            cost = np.squeeze(cost)
            return cost
        """),
    mistake("cost_mean_with_one_minus_log_AL", "compute_cost", 6,
            "The second term is (1 - Y)(1 - log(AL)) instead of (1 - Y) log(1 - AL).", S.OYAVUZJR, """
        def compute_cost(AL, Y):
            m = Y.shape[1]
            cost = -np.mean((Y * np.log(AL)) + ((1 - Y) * (1 - np.log(AL))))
            cost = np.squeeze(cost)
            return cost
        """),
    mistake("cost_log_AL_in_both_terms", "compute_cost", 6,
            "The second term takes log(AL) where log(1 - AL) belongs.", S.MARCOS, """
        def compute_cost(AL, Y):
            m = Y.shape[1]
            cost = -np.sum(np.multiply(Y, np.log(AL)) + np.multiply(np.ones(Y.shape) - Y, np.log(AL))) / m
            cost = np.squeeze(cost)
            return cost
        """),

    # --- 7 ------------------------------------------------------------------------------------------------------
    mistake("upd_skips_first_layer", "update_parameters", 7,
            "The loop runs l over range(1, L) and updates layer l + 1, so layer 1 is never updated.", S.ANUGYA, """
        def update_parameters(params, grads, learning_rate):
            parameters = {name: np.copy(value) for name, value in params.items()}
            L = len(parameters) // 2
            for l in range(1, L):
                parameters["W" + str(l+1)] = parameters["W" + str(l+1)] - learning_rate*grads["dW" + str(l+1)]
                parameters["b" + str(l+1)] = parameters["b" + str(l+1)] - learning_rate*grads["db" + str(l+1)]
            return parameters
        """),
    mistake("upd_assignment_instead_of_minus", "update_parameters", 7,
            "A typed '=' where '-' belongs: each W and b is replaced by learning_rate * gradient instead of having "
            "it subtracted.", S.PRADHY, """
        def update_parameters(params, grads, learning_rate):
            parameters = copy.deepcopy(params)
            L = len(parameters) // 2
            for l in range(L):
                parameters["W" + str(l+1)] = parameters['W' + str(l+1)] = learning_rate * grads['dW' + str(l+1)]
                parameters["b" + str(l+1)] = parameters['b' + str(l+1)] = learning_rate * grads['db' + str(l+1)]
            return parameters
        """),
    mistake("upd_L_counts_every_key", "update_parameters", 7,
            "L = len(parameters) counts W and b keys alike (twice the number of layers), so the loop asks for "
            "layers that do not exist.", S.SDSOURAV, """
        def update_parameters(params, grads, learning_rate):
            parameters = params.copy()
            L = len(parameters)
            for l in range(L):
                parameters["W" + str(l + 1)] = parameters["W" + str(l + 1)] - learning_rate * grads["dW" + str(l + 1)]
                parameters["b" + str(l + 1)] = parameters["b" + str(l + 1)] - learning_rate * grads["db" + str(l + 1)]
            return parameters
        """),
]
