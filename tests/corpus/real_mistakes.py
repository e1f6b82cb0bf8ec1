"""Development set: wrong functions as real students wrote them (our own reproductions; see sources.py for where
each mistake was seen and docs/real-mistakes.md for the classes). The diagnosis engine may be built looking at
these; held_out.py is kept apart to measure it."""
from __future__ import annotations

from . import mistake
from . import sources as S

WRONG = [
    # --- 1: code that fits only the notebook's own example ------------------------------------------------------
    mistake("init_output_size_typed_in", "initialize_parameters", 1,
            "The output layer's size is typed in as 1 instead of n_y, so W2 and b2 have the wrong shape whenever "
            "n_y is not 1.", S.KASHMALCH, """
        def initialize_parameters(n_x, n_h, n_y):
            np.random.seed(1)
            W1 = np.random.randn(n_h, n_x) * 0.01
            b1 = np.zeros((n_h, 1))
            W2 = np.random.randn(1, n_h) * 0.01   # output layer has one unit
            b2 = np.zeros((1, 1))
            return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
        """),
    mistake("init_W1_shape_swapped", "initialize_parameters", 1,
            "W1 is drawn with shape (n_x, n_h), the transpose of (n_h, n_x): rows must be the layer's own units.",
            S.OYAVUZJR, """
        def initialize_parameters(n_x, n_h, n_y):
            np.random.seed(1)
            W1 = np.random.randn(n_x, n_h) * 0.01
            W2 = np.random.randn(n_y, n_h) * 0.01
            b1 = np.zeros((n_h, 1))
            b2 = np.zeros((n_y, 1))
            parameters = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
            return parameters
        """),
    mistake("deep_init_rows_of_layer_one", "initialize_parameters_deep", 1,
            "Every W gets layer_dims[1] rows (the number 1 typed for the loop's l), so only W1 has the right shape.",
            S.MEETDOSHI + " (that student also wrote the keys in lower case)", """
        def initialize_parameters_deep(layer_dims):
            np.random.seed(3)
            parameters = {}
            L = len(layer_dims) - 1
            for l in range(1, L + 1):
                parameters["W" + str(l)] = np.random.randn(layer_dims[1], layer_dims[l - 1]) * 0.01
                parameters["b" + str(l)] = np.zeros((layer_dims[l], 1))
            return parameters
        """),
    mistake("fwd_weights_W1_W2_by_name", "L_model_forward", 1,
            "Every hidden layer uses W1 and b1 and the output layer W2 and b2, written by name, so only a network "
            "with exactly one hidden layer works; use parameters['W' + str(l)].", S.ZAHORECZ + " ; " + S.ADEM_ILHAN,
            """
        def L_model_forward(X, parameters):
            caches = []
            A = X
            L = len(parameters) // 2
            for l in range(1, L):
                A_prev = A
                A, cache = linear_activation_forward(A_prev, parameters['W1'], parameters['b1'], "relu")
                caches.append(cache)
            AL, cache = linear_activation_forward(A, parameters['W2'], parameters['b2'], "sigmoid")
            caches.append(cache)
            return AL, caches
        """),
    mistake("fwd_loop_variable_after_loop", "L_model_forward", 1,
            "The output layer is looked up with the loop variable (l + 1) after the loop, which does not exist when "
            "there is no hidden layer (L = 1); use L.", S.MANISHJAIN + " ; " + S.RAHULPANT, """
        def L_model_forward(X, parameters):
            caches = []
            A = X
            L = len(parameters) // 2                  # number of layers in the neural network
            for l in range(1, L):
                A_prev = A
                A, cache = linear_activation_forward(A_prev, parameters[f"W{l}"], parameters[f"b{l}"], activation="relu")
                caches.append(cache)
            # output layer is the one after the last hidden layer
            AL, cache = linear_activation_forward(A, parameters[f"W{l + 1}"], parameters[f"b{l + 1}"], activation="sigmoid")
            caches.append(cache)
            return AL, caches
        """),
    mistake("fwd_loop_variable_after_loop_insert", "L_model_forward", 1,
            "After the loop the output layer's weights and its place in caches are taken from the loop variable l, "
            "which is never set when L = 1.", S.MANISHJAIN, """
        def L_model_forward(X, parameters):
            caches = []
            A = X
            L = len(parameters) // 2
            for l in range(1, L):
                A_prev = A
                A, cache = linear_activation_forward(A_prev, parameters['W' + str(l)], parameters['b' + str(l)], activation="relu")
                caches.insert(l - 1, cache)
            AL, cache = linear_activation_forward(A, parameters['W' + str(l + 1)], parameters['b' + str(l + 1)], activation="sigmoid")
            caches.insert(l, cache)
            return AL, caches
        """),

    # --- 2: L_model_backward feeding a layer the wrong gradient or cache ----------------------------------------
    mistake("bwd_old_key_numbering", "L_model_backward", 2,
            "Each layer's dA_prev is stored as grads['dA' + str(l)] with l the layer's own number (dA1 ... dAL, an "
            "older version of the course) instead of the number of the layer it belongs to (dA0 ... dA{L-1}).",
            S.SOTERO + " ; " + S.MITUVINCI + " (and 15 more of the repositories read)", """
        def L_model_backward(AL, Y, caches):
            grads = {}
            L = len(caches)
            Y = Y.reshape(AL.shape)
            dAL = - (np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
            current_cache = caches[L - 1]
            grads["dA" + str(L)], grads["dW" + str(L)], grads["db" + str(L)] = linear_activation_backward(dAL, current_cache, activation="sigmoid")
            for l in reversed(range(L - 1)):
                current_cache = caches[l]
                dA_prev_temp, dW_temp, db_temp = linear_activation_backward(grads["dA" + str(l + 2)], current_cache, activation="relu")
                grads["dA" + str(l + 1)] = dA_prev_temp
                grads["dW" + str(l + 1)] = dW_temp
                grads["db" + str(l + 1)] = db_temp
            return grads
        """),
    mistake("bwd_old_key_numbering_helpers_direct", "L_model_backward", 2,
            "The gradients are right but stored under the old key numbering: layer l's dA_prev goes to "
            "grads['dA' + str(l)] instead of grads['dA' + str(l - 1)].", S.IAAYUSH, """
        def L_model_backward(AL, Y, caches):
            grads = {}
            L = len(caches)
            Y = Y.reshape(AL.shape)
            dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
            linear_cache, activation_cache = caches[L - 1]
            dZ = sigmoid_backward(dAL, activation_cache)
            grads["dA" + str(L)], grads["dW" + str(L)], grads["db" + str(L)] = linear_backward(dZ, linear_cache)
            for l in reversed(range(L - 1)):
                linear_cache, activation_cache = caches[l]
                dZ = relu_backward(grads["dA" + str(l + 2)], activation_cache)
                grads["dA" + str(l + 1)], grads["dW" + str(l + 1)], grads["db" + str(l + 1)] = linear_backward(dZ, linear_cache)
            return grads
        """),
    mistake("bwd_dAL_to_every_hidden_layer", "L_model_backward", 2,
            "Every hidden layer is given dAL, the output layer's gradient, instead of the dA the layer above "
            "returned (and the hidden layers' dA keys are numbered one too high).", S.TOSMAHDESS, """
        def L_model_backward(AL, Y, caches):
            grads = {}
            L = len(caches)
            Y = Y.reshape(AL.shape)
            dAL = - (np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
            current_cache = caches[-1]
            grads["dA" + str(L - 1)], grads["dW" + str(L)], grads["db" + str(L)] = linear_activation_backward(dAL, current_cache, activation="sigmoid")
            for l in reversed(range(L - 1)):
                current_cache = caches[l]
                dA_prev_temp, dW_temp, db_temp = linear_activation_backward(dAL, current_cache, activation="relu")
                grads["dA" + str(l + 1)] = dA_prev_temp
                grads["dW" + str(l + 1)] = dW_temp
                grads["db" + str(l + 1)] = db_temp
            return grads
        """),
    mistake("bwd_sigmoid_for_every_layer_old_keys", "L_model_backward", 2,
            "Every layer is run back through sigmoid_backward with dAL, though the hidden layers are ReLU and take "
            "the dA of the layer above; the dA keys use the old numbering too.", S.AK121297, """
        def L_model_backward(AL, Y, caches):
            grads = {}
            L = len(caches)
            Y = Y.reshape(AL.shape)
            dAL = - (np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
            current_cache = caches[-1]
            grads["dA" + str(L)], grads["dW" + str(L)], grads["db" + str(L)] = linear_backward(sigmoid_backward(dAL, current_cache[1]), current_cache[0])
            for l in reversed(range(L - 1)):
                current_cache = caches[l]
                dA_prev_temp, dW_temp, db_temp = linear_backward(sigmoid_backward(dAL, current_cache[1]), current_cache[0])
                grads["dA" + str(l + 1)] = dA_prev_temp
                grads["dW" + str(l + 1)] = dW_temp
                grads["db" + str(l + 1)] = db_temp
            return grads
        """),
    mistake("bwd_fixed_cache_1_sigmoid_old_keys", "L_model_backward", 2,
            "Every hidden layer is handed caches[1] (a number typed in) with dAL and sigmoid, so each gets layer 2's "
            "cache and the output gradient; the dA keys use the old numbering.", S.OYWW710, """
        def L_model_backward(AL, Y, caches):
            grads = {}
            L = len(caches)
            Y = Y.reshape(AL.shape)
            dAL = - (np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
            current_cache = caches[-1]
            grads["dA" + str(L)], grads["dW" + str(L)], grads["db" + str(L)] = linear_backward(sigmoid_backward(dAL, current_cache[1]), current_cache[0])
            for l in reversed(range(L - 1)):
                current_cache = caches[1]
                dA_prev_temp, dW_temp, db_temp = linear_backward(sigmoid_backward(dAL, current_cache[1]), current_cache[0])
                grads["dA" + str(l + 1)] = dA_prev_temp
                grads["dW" + str(l + 1)] = dW_temp
                grads["db" + str(l + 1)] = db_temp
            return grads
        """),
    mistake("bwd_hidden_layers_sigmoid_with_dAL", "L_model_backward", 2,
            "The hidden layers are computed with sigmoid_backward and dAL, the output layer's gradient, instead of "
            "relu and the dA the layer above returned.", S.ASHISH265, """
        def L_model_backward(AL, Y, caches):
            grads = {}
            L = len(caches)
            Y = Y.reshape(AL.shape)
            dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
            current_cache = caches[-1]
            linear_cache, activation_cache = current_cache
            grads["dA" + str(L - 1)], grads["dW" + str(L)], grads["db" + str(L)] = linear_backward(sigmoid_backward(dAL, activation_cache), linear_cache)
            for l in reversed(range(L - 1)):
                linear_cache, activation_cache = caches[l]
                dA_prev_temp, dW_temp, db_temp = linear_backward(sigmoid_backward(dAL, activation_cache), linear_cache)
                grads["dA" + str(l)] = dA_prev_temp
                grads["dW" + str(l + 1)] = dW_temp
                grads["db" + str(l + 1)] = db_temp
            return grads
        """),
    mistake("bwd_same_dA_for_every_hidden_layer", "L_model_backward", 2,
            "Every hidden layer is given grads['dA' + str(L-1)], the gradient the output layer returned, instead of "
            "the one the layer just above returned; right only with one hidden layer.", S.DINOGI, """
        def L_model_backward(AL, Y, caches):
            grads = {}
            L = len(caches) # the number of layers
            Y = Y.reshape(AL.shape)
            dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
            current_cache = caches[L - 1]
            grads["dA" + str(L - 1)], grads["dW" + str(L)], grads["db" + str(L)] = linear_activation_backward(dAL, current_cache, activation='sigmoid')
            for l in reversed(range(L - 1)):
                current_cache = caches[l]
                dA_prev_temp, dW_temp, db_temp = linear_activation_backward(grads["dA" + str(L - 1)], current_cache, activation='relu')
                grads["dA" + str(l)] = dA_prev_temp
                grads["dW" + str(l + 1)] = dW_temp
                grads["db" + str(l + 1)] = db_temp
            return grads
        """),
    mistake("bwd_stores_undefined_dA_prev", "L_model_backward", 2,
            "The loop stores dA_prev, a name never set in the function, instead of dA_prev_temp that "
            "linear_activation_backward just returned.", S.EXJUSTICE, """
        def L_model_backward(AL, Y, caches):
            grads = {}
            L = len(caches)
            Y = Y.reshape(AL.shape)
            dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
            current_cache = caches[-1]
            grads["dA" + str(L - 1)], grads["dW" + str(L)], grads["db" + str(L)] = linear_activation_backward(dAL, current_cache, activation='sigmoid')
            for l in reversed(range(L - 1)):
                current_cache = caches[l]
                dA_prev_temp, dW_temp, db_temp = linear_activation_backward(grads["dA" + str(l + 1)], current_cache, activation='relu')
                grads["dA" + str(l)] = dA_prev
                grads["dW" + str(l + 1)] = dW_temp
                grads["db" + str(l + 1)] = db_temp
            return grads
        """),
    mistake("bwd_relu_backward_with_dAL_old_keys", "L_model_backward", 2,
            "The hidden layers run relu_backward on dAL, the output layer's gradient, which does not even have their "
            "shape; each needs the dA the layer above returned (keys also in the old numbering).", S.STEPHEN_CHOI, """
        def L_model_backward(AL, Y, caches):
            grads = {}
            L = len(caches)
            Y = Y.reshape(AL.shape)
            dAL = - (np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
            current_cache = caches[-1]
            grads["dA" + str(L)], grads["dW" + str(L)], grads["db" + str(L)] = linear_backward(sigmoid_backward(dAL, current_cache[1]), current_cache[0])
            for l in reversed(range(L - 1)):
                current_cache = caches[l]
                dA_prev_temp, dW_temp, db_temp = linear_backward(relu_backward(dAL, current_cache[1]), current_cache[0])
                grads["dA" + str(l + 1)] = dA_prev_temp
                grads["dW" + str(l + 1)] = dW_temp
                grads["db" + str(l + 1)] = db_temp
            return grads
        """),
    mistake("bwd_fixed_cache_1_sigmoid", "L_model_backward", 2,
            "Every hidden layer gets caches[1], sigmoid and dAL, so layer 1 is computed from layer 2's cache and the "
            "output gradient.", S.VIGNAAN, """
        def L_model_backward(AL, Y, caches):
            grads = {}
            L = len(caches)
            Y = Y.reshape(AL.shape)
            dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
            current_cache = caches[-1]
            grads["dA" + str(L-1)], grads["dW" + str(L)], grads["db" + str(L)] = linear_backward(sigmoid_backward(dAL, current_cache[1]), current_cache[0])
            for l in reversed(range(L-1)):
                current_cache = caches[1]
                dA_prev_temp, dW_temp, db_temp = linear_backward(sigmoid_backward(dAL, current_cache[1]), current_cache[0])
                grads["dA" + str(l)] = dA_prev_temp
                grads["dW" + str(l + 1)] = dW_temp
                grads["db" + str(l + 1)] = db_temp
            return grads
        """),
    mistake("bwd_cache_L_minus_2_for_every_hidden", "L_model_backward", 2,
            "Every hidden layer is handed caches[L-2], the last hidden layer's cache, instead of its own caches[l]; "
            "right only with one hidden layer.", S.MZ_MAKOS, """
        def L_model_backward(AL, Y, caches):
            grads = {}
            L = len(caches)
            Y = Y.reshape(AL.shape)
            dAL = - (np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
            current_cache = caches[L - 1]
            dA_prev_temp, dW_temp, db_temp = linear_activation_backward(dAL, current_cache, activation="sigmoid")
            grads["dA" + str(L - 1)] = dA_prev_temp
            grads["dW" + str(L)] = dW_temp
            grads["db" + str(L)] = db_temp
            for l in reversed(range(L - 1)):
                current_cache = caches[L - 2]
                dA_prev_temp, dW_temp, db_temp = linear_activation_backward(grads["dA" + str(l + 1)], current_cache, activation="relu")
                grads["dA" + str(l)] = dA_prev_temp
                grads["dW" + str(l + 1)] = dW_temp
                grads["db" + str(l + 1)] = db_temp
            return grads
        """),
    mistake("bwd_output_layer_skips_sigmoid", "L_model_backward", 2,
            "The output layer calls linear_backward directly with dAL / m and the whole (linear, activation) cache "
            "pair: sigmoid_backward is skipped and linear_backward cannot unpack the pair.", S.ASH1605, """
        def L_model_backward(AL, Y, caches):
            grads = {}
            L = len(caches)
            Y = Y.reshape(AL.shape)
            m = AL.shape[1]
            dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL)) / m
            current_cache = caches[L - 1]
            dA_prev_temp, dW_temp, db_temp = linear_backward(dAL, current_cache)
            grads["dA" + str(L - 1)] = dA_prev_temp
            grads["dW" + str(L)] = dW_temp
            grads["db" + str(L)] = db_temp
            for l in reversed(range(L - 1)):
                current_cache = caches[l]
                dA_prev_temp, dW_temp, db_temp = linear_activation_backward(grads["dA" + str(l + 1)], current_cache, activation="relu")
                grads["dA" + str(l)] = dA_prev_temp
                grads["dW" + str(l + 1)] = dW_temp
                grads["db" + str(l + 1)] = db_temp
            return grads
        """),
    mistake("bwd_caches_1_and_0_typed_in", "L_model_backward", 2,
            "The output layer uses caches[1] and every hidden layer caches[0], numbers typed in for the notebook's "
            "two-layer example, so deeper networks get the wrong caches.", S.CHRISPHAM, """
        def L_model_backward(AL, Y, caches):
            grads = {}
            L = len(caches)
            Y = Y.reshape(AL.shape)
            dAL = - (np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
            dA_prev_temp, dW_temp, db_temp = linear_activation_backward(dAL, caches[1], "sigmoid")
            grads["dA" + str(L - 1)] = dA_prev_temp
            grads["dW" + str(L)] = dW_temp
            grads["db" + str(L)] = db_temp
            for l in reversed(range(L - 1)):
                dA_prev_temp, dW_temp, db_temp = linear_activation_backward(dA_prev_temp, caches[0], "relu")
                grads["dA" + str(l)] = dA_prev_temp
                grads["dW" + str(l + 1)] = dW_temp
                grads["db" + str(l + 1)] = db_temp
            return grads
        """),
    mistake("bwd_whole_caches_list_passed", "L_model_backward", 2,
            "The whole caches list is passed to linear_activation_backward instead of one layer's cache caches[l], "
            "and every layer is given sigmoid.", S.FRANKSHI, """
        def L_model_backward(AL, Y, caches):
            grads = {}
            L = len(caches)
            Y = Y.reshape(AL.shape)
            dAL = - (np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
            dA_prev_temp, dW_temp, db_temp = linear_activation_backward(dAL, caches, 'sigmoid')
            grads["dA" + str(L - 1)] = dA_prev_temp
            grads["dW" + str(L)] = dW_temp
            grads["db" + str(L)] = db_temp
            for l in reversed(range(L - 1)):
                dA_prev_temp, dW_temp, db_temp = linear_activation_backward(grads["dA" + str(l)], caches, 'sigmoid')
                grads["dA" + str(l)] = dA_prev_temp
                grads["dW" + str(l + 1)] = dW_temp
                grads["db" + str(l + 1)] = db_temp
            return grads
        """),
    mistake("bwd_reads_dA_before_storing_it", "L_model_backward", 2,
            "The output layer's gradient is stored as dA{L} (old numbering) but the loop reads grads['dA' + str(l)], "
            "a key not written yet; the two numberings are mixed.", S.HAMNA, """
        def L_model_backward(AL, Y, caches):
            grads = {}
            L = len(caches)
            Y = Y.reshape(AL.shape)
            dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
            current_cache = caches[L - 1]
            grads["dA" + str(L)], grads["dW" + str(L)], grads["db" + str(L)] = linear_activation_backward(dAL, current_cache, activation="sigmoid")
            for l in reversed(range(L - 1)):
                current_cache = caches[l]
                dA_prev_temp, dW_temp, db_temp = linear_activation_backward(grads["dA" + str(l)], current_cache, activation="relu")
                grads["dA" + str(l)] = dA_prev_temp
                grads["dW" + str(l + 1)] = dW_temp
                grads["db" + str(l + 1)] = db_temp
            return grads
        """),
    mistake("bwd_last_cache_for_every_layer", "L_model_backward", 2,
            "Every hidden layer is given caches[L-1], the output layer's cache, and dAL, instead of its own cache "
            "and the dA from the layer above.", S.ADRI101, """
        def L_model_backward(AL, Y, caches):
            grads = {}
            L = len(caches)
            Y = Y.reshape(AL.shape)
            dAL = - (np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
            current_cache = caches[L - 1]
            grads["dA" + str(L - 1)], grads["dW" + str(L)], grads["db" + str(L)] = linear_activation_backward(dAL, current_cache, activation="sigmoid")
            for l in reversed(range(L - 1)):
                current_cache = caches[L - 1]
                dA_prev_temp, dW_temp, db_temp = linear_activation_backward(dAL, current_cache, activation="relu")
                grads["dA" + str(l)] = dA_prev_temp
                grads["dW" + str(l + 1)] = dW_temp
                grads["db" + str(l + 1)] = db_temp
            return grads
        """),
    mistake("bwd_lower_case_keys", "L_model_backward", 2,
            "The gradients are stored under lower-case keys (da1, dw2, ...) that nothing else reads; the course's "
            "keys are dA, dW and db, and the loop overwrites da{l+1} instead of storing da{l}.", S.MEETDOSHI, """
        def L_model_backward(AL, Y, caches):
            grads = {}
            L = len(caches)
            Y = Y.reshape(AL.shape)
            dal = - (np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
            current_cache = caches[-1]
            grads["da" + str(L - 1)], grads["dw" + str(L)], grads["db" + str(L)] = linear_activation_backward(dal, current_cache, activation="sigmoid")
            for l in reversed(range(L - 1)):
                current_cache = caches[l]
                da_prev, dw, db = linear_activation_backward(grads["da" + str(l + 1)], current_cache, activation="relu")
                grads["da" + str(l + 1)] = da_prev
                grads["dw" + str(l + 1)] = dw
                grads["db" + str(l + 1)] = db
            return grads
        """),

    # --- 3: caches in the forward pass --------------------------------------------------------------------------
    mistake("fwd_appends_A_not_cache", "L_model_forward", 3,
            "caches gets each layer's activation A appended instead of the cache linear_activation_forward returned, "
            "so the backward pass has no (linear_cache, activation_cache) to work with.", S.ADHM989, """
        def L_model_forward(X, parameters):
            caches = []
            A = X
            L = len(parameters) // 2
            for l in range(1, L):
                A_prev = A
                A, cache = linear_activation_forward(A_prev, parameters["W" + str(l)], parameters["b" + str(l)], "relu")
                caches.append(A)
            AL, cache = linear_activation_forward(A, parameters["W" + str(L)], parameters["b" + str(L)], "sigmoid")
            caches.append(AL)
            return AL, caches
        """),
    mistake("fwd_caches_never_filled", "L_model_forward", 3,
            "The caches are never appended, so the list comes back empty.", S.ANKITTAXAK, """
        def L_model_forward(X, parameters):
            caches = []
            A = X
            L = len(parameters) // 2
            for l in range(1, L):
                A_prev = A
                A, cache = linear_activation_forward(A_prev, parameters["W" + str(l)], parameters["b" + str(l)], activation="relu")
            AL, cache = linear_activation_forward(A, parameters["W" + str(L)], parameters["b" + str(L)], activation="sigmoid")
            return AL, caches
        """),
    mistake("fwd_no_caches_and_loop_variable", "L_model_forward", 3,
            "No cache is ever appended, and the output layer is looked up with the loop variable l + 1, which is not "
            "set when there is no hidden layer.", S.MARCOS, """
        def L_model_forward(X, parameters):
            caches = []
            A = X
            L = len(parameters) // 2
            for l in range(1, L):
                A_prev = A
                A, cache = linear_activation_forward(A_prev, parameters['W%s' % l], parameters['b%s' % l], 'relu')
            AL, cache = linear_activation_forward(A, parameters['W%s' % (l + 1)], parameters['b%s' % (l + 1)], 'sigmoid')
            return AL, caches
        """),
    mistake("laf_linear_cache_replaced_by_Z", "linear_activation_forward", 3,
            "linear_forward is not called: Z is computed by hand and also stored as the linear cache, so the cache "
            "holds Z where (A_prev, W, b) belongs.", S.SUPERALEX, """
        def linear_activation_forward(A_prev, W, b, activation):
            if activation == "sigmoid":
                Z = np.dot(W, A_prev) + b
                linear_cache = Z
                A, activation_cache = sigmoid(Z)
            elif activation == "relu":
                Z = np.dot(W, A_prev) + b
                linear_cache = Z
                A, activation_cache = relu(Z)
            cache = (linear_cache, activation_cache)
            return A, cache
        """),
    mistake("laf_relu_branch_misses_arguments", "linear_activation_forward", 3,
            "The relu branch calls linear_forward(A_prev) without W and b.", S.ARUNMUNAGALA, """
        def linear_activation_forward(A_prev, W, b, activation):
            if activation == "sigmoid":
                Z, linear_cache = linear_forward(A_prev, W, b)
                A, activation_cache = sigmoid(Z)
            elif activation == "relu":
                Z, linear_cache = linear_forward(A_prev)
                A, activation_cache = relu(Z)
            cache = (linear_cache, activation_cache)
            return A, cache
        """),

    # --- 4: linear_activation_backward --------------------------------------------------------------------------
    mistake("lab_linear_backward_never_called", "linear_activation_backward", 4,
            "dZ is computed but linear_backward is never called, so dA_prev, dW and db are returned without ever "
            "being set.", S.AKANKSHYA, """
        def linear_activation_backward(dA, cache, activation):
            linear_cache, activation_cache = cache
            if activation == "relu":
                dZ = relu_backward(dA, activation_cache)
            elif activation == "sigmoid":
                dZ = sigmoid_backward(dA, activation_cache)
            return dA_prev, dW, db
        """),
    mistake("lab_pair_to_linear_backward_in_one_branch", "linear_activation_backward", 4,
            "The sigmoid branch passes the whole (linear_cache, activation_cache) pair to linear_backward instead of "
            "linear_cache, so it cannot be unpacked into A_prev, W, b.",
            S.ASH1605 + " (the same pair handed to linear_backward, there in L_model_backward)", """
        def linear_activation_backward(dA, cache, activation):
            linear_cache, activation_cache = cache
            if activation == "relu":
                dZ = relu_backward(dA, activation_cache)
                dA_prev, dW, db = linear_backward(dZ, linear_cache)
            elif activation == "sigmoid":
                dZ = sigmoid_backward(dA, activation_cache)
                dA_prev, dW, db = linear_backward(dZ, cache)
            return dA_prev, dW, db
        """),

    # --- 5: db and dW forms -------------------------------------------------------------------------------------
    mistake("lb_db_sum_without_axis", "linear_backward", 5,
            "db is np.sum(dZ) / m without an axis: one number summed over units and examples, not a column with one "
            "value per unit.", S.TITONMOY, """
        def linear_backward(dZ, cache):
            A_prev, W, b = cache
            m = A_prev.shape[1]
            dA_prev = np.dot(np.transpose(W), dZ)
            dW = np.dot(dZ, np.transpose(A_prev)) / m
            db = np.sum(dZ) / m
            return dA_prev, dW, db
        """),
    mistake("lb_db_sum_method_without_axis", "linear_backward", 5,
            "db is dZ.sum() / m, the total of every entry, instead of a sum over the examples (axis=1) kept as an "
            "(n, 1) column.", S.OYAVUZJR, """
        def linear_backward(dZ, cache):
            A_prev, W, b = cache
            m = A_prev.shape[1]
            dW = (1/m)*np.dot(dZ, A_prev.T)
            db = (1/m)*dZ.sum()
            dA_prev = np.dot(W.T, dZ)
            return dA_prev, dW, db
        """),
    mistake("lb_db_squeezed", "linear_backward", 5,
            "db is summed correctly and then squeezed, so it has shape (n,) (or () for one unit) instead of (n, 1) "
            "like b.", S.AKANKSHYA + " ; " + S.AQEELALTAF, """
        def linear_backward(dZ, cache):
            A_prev, W, b = cache
            m = A_prev.shape[1]
            dW = np.dot(dZ, cache[0].T) / m
            db = np.squeeze(np.sum(dZ, axis=1, keepdims=True)) / m
            dA_prev = np.dot(cache[1].T, dZ)
            return dA_prev, dW, db
        """),
    mistake("lb_db_keepdims_without_axis", "linear_backward", 5,
            "db = np.sum(dZ, keepdims=True) / m has keepdims but no axis, so it sums everything into a (1, 1) "
            "array.", S.BISHNUMURMU, """
        def linear_backward(dZ, cache):
            A_prev, W, b = cache
            m = A_prev.shape[1]
            dW = (1 / m) * np.dot(dZ, A_prev.T)
            db = (1 / m) * np.sum(dZ, keepdims=True)
            dA_prev = np.dot(W.T, dZ)
            return dA_prev, dW, db
        """),
    mistake("lb_db_total_reshaped", "linear_backward", 5,
            "db is the total of dZ over everything, reshaped to (1, 1), instead of one sum per unit over the "
            "examples.", S.RUDRA, """
        def linear_backward(dZ, cache):
            A_prev, W, b = cache
            m = A_prev.shape[1]
            dW = (np.dot(dZ, A_prev.T)) / m
            db = (np.sum(dZ) / m).reshape(1, 1)
            dA_prev = np.dot(W.T, dZ)
            return dA_prev, dW, db
        """),
    mistake("lb_dA_prev_scaled", "linear_backward", 5,
            "dA_prev is divided by m (and doubled) although only dW and db are averaged over the examples, and db "
            "is summed without an axis.", S.ANIKETT, """
        def linear_backward(dZ, cache):
            A_prev, W, b = cache
            m = A_prev.shape[1]
            dW = np.dot(dZ, A_prev.T) / m
            db = np.sum(dZ) / m
            dA_prev = (np.dot(W.T, dZ) / m) * 2
            return dA_prev, dW, db
        """),
    mistake("lb_dW_elementwise", "linear_backward", 5,
            "dW and dA_prev use the elementwise np.multiply where a matrix product is needed (dW = dZ . A_prev.T / m, "
            "dA_prev = W.T . dZ), and db sums over the wrong axis.", S.FORUM_LINEAR_BACKWARD, """
        def linear_backward(dZ, cache):
            A_prev, W, b = cache
            m = A_prev.shape[1]
            dW = 1/m * np.multiply(A_prev.T, dZ)
            db = 1/m * np.sum(dZ, axis=0, keepdims=True)
            dA_prev = np.multiply(dZ, W.T)
            return dA_prev, dW, db
        """),

    # --- 6: cost ------------------------------------------------------------------------------------------------
    mistake("cost_second_term_as_axis", "compute_cost", 6,
            "np.sum(a, b) is given the two terms as two arguments, so numpy reads the second term as the axis "
            "argument instead of adding it.", S.CODELOOP, """
        def compute_cost(AL, Y):
            m = Y.shape[1]
            cost = (-1 / m) * np.sum(np.dot(Y, np.log(AL).T), np.dot(1 - Y, np.log(1 - AL).T))
            cost = np.squeeze(cost)
            return cost
        """),
    mistake("cost_minus_one_over_m_scales_one_term", "compute_cost", 6,
            "A misplaced parenthesis makes -1/m multiply only the first term; the (1 - Y) log(1 - AL) term is added "
            "unscaled and with the wrong sign.", S.SABDULLAHJ, """
        def compute_cost(AL, Y):
            m = Y.shape[1]
            cost = -1/m * (np.dot(Y, np.log(AL).T)) + np.dot(1 - Y, np.log(1 - AL).T)
            cost = np.squeeze(cost)
            return cost
        """),
    mistake("cost_one_minus_log", "compute_cost", 6,
            "The second term uses 1 - log(1 - AL) instead of log(1 - AL).", S.LIANGUANG, """
        def compute_cost(AL, Y):
            m = Y.shape[1]
            cost = -1/m * np.sum(np.multiply(Y, np.log(AL)) + np.multiply(1 - Y, 1 - np.log(1 - AL)))
            cost = np.squeeze(cost)
            return cost
        """),
    mistake("cost_only_first_term", "compute_cost", 6,
            "The (1 - Y) log(1 - AL) term is left out, so the examples with label 0 add nothing to the cost.",
            S.ASABOVICI, """
        def compute_cost(AL, Y):
            m = Y.shape[1]
            cost = -1/m * np.sum(np.multiply(np.log(AL), Y))
            cost = np.squeeze(cost)
            return cost
        """),

    # --- 7: update ----------------------------------------------------------------------------------------------
    mistake("upd_loop_stops_before_last_layer", "update_parameters", 7,
            "range(1, L) stops before layer L, so the output layer's W and b are never updated.",
            S.ADHM989 + " ; " + S.TITONMOY, """
        def update_parameters(params, grads, learning_rate):
            parameters = {name: np.copy(value) for name, value in params.items()}
            L = len(parameters) // 2
            for i in range(1, L):
                parameters["W" + str(i)] = parameters["W" + str(i)] - learning_rate * grads["dW" + str(i)]
                parameters["b" + str(i)] = parameters["b" + str(i)] - learning_rate * grads["db" + str(i)]
            return parameters
        """),
    mistake("upd_W_updated_with_db", "update_parameters", 7,
            "The second line updates W again with db instead of updating b, so b is never changed and W gets the "
            "wrong step.", S.LULULU, """
        def update_parameters(params, grads, learning_rate):
            parameters = copy.deepcopy(params)
            L = len(parameters) // 2
            for l in range(L):
                parameters["W" + str(l + 1)] -= learning_rate * grads["dW" + str(l + 1)]
                parameters["W" + str(l + 1)] -= learning_rate * grads["db" + str(l + 1)]
            return parameters
        """),
    mistake("upd_nested_loop", "update_parameters", 7,
            "The update is inside a second loop over the layers, so every layer takes L gradient steps instead of "
            "one.", S.FTM1997, """
        def update_parameters(params, grads, learning_rate):
            parameters = params.copy()
            L = len(parameters) // 2
            for l in range(L):
                for l in range(L):
                    parameters["W" + str(l + 1)] = parameters["W" + str(l + 1)] - learning_rate * grads["dW" + str(l + 1)]
                    parameters["b" + str(l + 1)] = parameters["b" + str(l + 1)] - learning_rate * grads["db" + str(l + 1)]
            return parameters
        """),
    mistake("upd_grads_keys_without_d", "update_parameters", 7,
            "The gradients are looked up as grads['W1'] and grads['b1'], keys the grads dict does not have; they "
            "are grads['dW1'] and grads['db1'].", S.RUDRA, """
        def update_parameters(params, grads, learning_rate):
            parameters = copy.deepcopy(params)
            L = len(parameters) // 2
            for l in range(L):
                parameters["W" + str(l + 1)] = parameters["W" + str(l + 1)] - (learning_rate * grads["W" + str(l + 1)])
                parameters["b" + str(l + 1)] = parameters["b" + str(l + 1)] - (learning_rate * grads["b" + str(l + 1)])
            return parameters
        """),
    mistake("upd_lower_case_keys", "update_parameters", 7,
            "The parameters are looked up as 'w1', 'w2' (lower case); the keys are 'W1', 'W2'.", S.MEETDOSHI, """
        def update_parameters(params, grads, learning_rate):
            parameters = copy.deepcopy(params)
            L = len(parameters) // 2
            for l in range(L):
                parameters["w" + str(l + 1)] = parameters["w" + str(l + 1)] - learning_rate * grads["dw" + str(l + 1)]
                parameters["b" + str(l + 1)] = parameters["b" + str(l + 1)] - learning_rate * grads["db" + str(l + 1)]
            return parameters
        """),
]
