"""The catalogue of typical mistakes in the graded functions: what each does (`says`) and how to fix it (`fix`),
in English and in Chinese (`zh`; dnnkit.checks looks the Chinese up by the mistake's name, so the cases store the
English only).

A CATALOG entry is an edit of one function's reference solution (what a student writes instead): dnnkit.diagnosis
runs every edited variant, and the demo and the tests make their mistakes with the same edits. A BEHAVIOURS entry
has no edit: dnnkit/behaviour.py recognises it by what the function does (docs/diagnosis.md).
"""
from __future__ import annotations

from dataclasses import dataclass

from .behaviour import ALL as RECOGNISED


@dataclass(frozen=True)
class Mistake:
    name: str
    function: str
    says: str  # what is wrong, as the feedback says it
    fix: str  # what to change
    zh: tuple[str, str]  # says and fix in Chinese: the same code, names and numbers as the English
    edits: tuple[tuple[str, str], ...] = ()  # (exact text in the solution cell, what the student wrote instead)

    def apply(self, source: str) -> str:
        for old, new in self.edits:
            if source.count(old) != 1:
                raise ValueError(f"mistake {self.name!r}: {old!r} occurs {source.count(old)} times in "
                                 f"{self.function}'s solution, expected once")
            source = source.replace(old, new)
        return source


CATALOG = (
    # initialization
    Mistake("weights_not_small", "initialize_parameters", "the weights are drawn from N(0, 1) without the 0.01 scale",
            "multiply np.random.randn(...) by 0.01 for W1 and W2",
            ("权重取自 N(0, 1)，没有乘以 0.01 的缩放因子", "对 W1 和 W2，把 np.random.randn(...) 乘以 0.01"),
            (("np.random.randn(n_h, n_x) * 0.01", "np.random.randn(n_h, n_x)"),
             ("np.random.randn(n_y, n_h) * 0.01", "np.random.randn(n_y, n_h)"))),
    Mistake("last_layer_not_initialized", "initialize_parameters_deep",
            "the loop stops before the last layer, so W and b of layer L are missing",
            "loop over l = 1 ... L, i.e. range(1, L + 1) with L = len(layer_dims) - 1",
            ("循环在最后一层之前就停止了，所以缺少第 L 层的 W 和 b", "让 l 取遍 1 ... L，即 range(1, L + 1)，其中 L = len(layer_dims) - 1"),
            (("range(1, L + 1)", "range(1, L)"),)),
    Mistake("deep_weights_not_small", "initialize_parameters_deep",
            "the weights are drawn from N(0, 1) without the 0.01 scale",
            "multiply np.random.randn(layer_dims[l], layer_dims[l - 1]) by 0.01 for every W",
            ("权重取自 N(0, 1)，没有乘以 0.01 的缩放因子", "对每个 W，把 np.random.randn(layer_dims[l], layer_dims[l - 1]) 乘以 0.01"),
            (("np.random.randn(layer_dims[l], layer_dims[l - 1]) * 0.01",
              "np.random.randn(layer_dims[l], layer_dims[l - 1])"),)),
    # forward
    Mistake("missing_bias", "linear_forward", "Z is computed without the bias: the + b is missing",
            "Z = np.dot(W, A) + b",
            ("计算 Z 时没有加偏置：缺少 + b", "Z = np.dot(W, A) + b"),
            (("Z = np.dot(W, A) + b", "Z = np.dot(W, A)"),)),
    Mistake("elementwise_product", "linear_forward",
            "W * A is an elementwise product (it fails or broadcasts), not the matrix product W A",
            "use np.dot(W, A) (or W @ A) for the matrix product",
            ("W * A 是逐元素相乘（会出错或触发广播），而不是矩阵乘积 W A", "用 np.dot(W, A)（或 W @ A）计算矩阵乘积"),
            (("Z = np.dot(W, A) + b", "Z = W * A + b"),)),
    Mistake("cache_holds_A", "linear_activation_forward", "the activation cache holds A instead of Z",
            "keep the activation cache that sigmoid(Z) or relu(Z) returns (it is Z): cache = (linear_cache, "
            "activation_cache)",
            ("激活缓存保存的是 A 而不是 Z", "保留 sigmoid(Z) 或 relu(Z) 返回的激活缓存（它就是 Z）：cache = (linear_cache, activation_cache)"),
            (("\n    cache = (linear_cache, activation_cache)", "\n    cache = (linear_cache, A)"),)),
    Mistake("cache_order_swapped", "linear_activation_forward",
            "the cache is (activation_cache, linear_cache): the two parts are in the wrong order",
            "return cache = (linear_cache, activation_cache); the backward functions unpack it in that order",
            ("缓存是 (activation_cache, linear_cache)：两个部分的顺序反了",
             "返回 cache = (linear_cache, activation_cache)；反向传播的函数按这个顺序把它拆开"),
            (("\n    cache = (linear_cache, activation_cache)", "\n    cache = (activation_cache, linear_cache)"),)),
    Mistake("activations_swapped", "linear_activation_forward",
            "sigmoid and relu are swapped: 'sigmoid' applies relu and 'relu' applies sigmoid",
            'call sigmoid(Z) when activation == "sigmoid" and relu(Z) when activation == "relu"',
            ("sigmoid 和 relu 互换了：'sigmoid' 用的是 relu，'relu' 用的是 sigmoid",
             '当 activation == "sigmoid" 时调用 sigmoid(Z)，当 activation == "relu" 时调用 relu(Z)'),
            (('A, activation_cache = sigmoid(Z)', 'A, activation_cache = relu(Z)'),
             ('A, activation_cache = relu(Z)\n    else', 'A, activation_cache = sigmoid(Z)\n    else'))),
    Mistake("relu_on_output", "L_model_forward", "the output layer uses relu, so AL is not a probability",
            'use "sigmoid" for layer L and "relu" only for layers 1 ... L-1',
            ("输出层用了 relu，所以 AL 不是一个概率", '第 L 层用 "sigmoid"，只有第 1 ... L-1 层用 "relu"'),
            (('parameters["b" + str(L)], "sigmoid")', 'parameters["b" + str(L)], "relu")'),)),
    Mistake("Z_fed_forward", "L_model_forward",
            "each hidden layer passes its Z on to the next layer instead of its activation A",
            "feed the next layer the A that linear_activation_forward returns, not the Z kept in its cache",
            ("每个隐藏层把它的 Z 而不是激活值 A 传给下一层", "把 linear_activation_forward 返回的 A 传给下一层，而不是它缓存中的 Z"),
            (('"relu")\n        caches.append(cache)',
              '"relu")\n        caches.append(cache)\n        A = cache[1]'),)),
    # cost
    Mistake("cost_without_1_minus_y", "compute_cost",
            "the cost leaves out the (1 - Y) log(1 - AL) term, so it ignores the non-cat examples",
            "cost = -(1/m) * sum(Y log(AL) + (1 - Y) log(1 - AL))",
            ("代价漏掉了 (1 - Y) log(1 - AL) 这一项，所以它忽略了非猫的样本", "cost = -(1/m) * sum(Y log(AL) + (1 - Y) log(1 - AL))"),
            (("-np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)) / m", "-np.sum(Y * np.log(AL)) / m"),)),
    Mistake("cost_without_1_over_m", "compute_cost",
            "the cost is summed over the examples, not averaged: the 1/m is missing",
            "divide the sum by m, the number of examples (Y.shape[1])",
            ("代价是对样本求和，而不是求平均：缺少 1/m", "把和除以 m，即样本数（Y.shape[1]）"),
            (("np.log(1 - AL)) / m", "np.log(1 - AL))"),)),
    Mistake("cost_without_minus", "compute_cost",
            "the cost has the wrong sign: the minus in front of the sum is missing (a cost is never negative)",
            "cost = -(1/m) * sum(...): log of a probability is negative, the minus makes the cost positive",
            ("代价的符号错了：求和前面的负号丢了（代价从不为负）", "cost = -(1/m) * sum(...)：概率的对数是负的，负号让代价变为正数"),
            (("cost = -np.sum(", "cost = np.sum("),)),
    # backward, linear part
    Mistake("db_wrong_axis", "linear_backward", "db is summed over axis 0 (the units) instead of axis 1 (the examples)",
            "db = np.sum(dZ, axis=1, keepdims=True) / m",
            ("db 是沿 axis 0（单元）而不是 axis 1（样本）求和的", "db = np.sum(dZ, axis=1, keepdims=True) / m"),
            (("np.sum(dZ, axis=1, keepdims=True)", "np.sum(dZ, axis=0, keepdims=True)"),)),
    Mistake("db_without_keepdims", "linear_backward", "db has the right values but has lost its column: it is not an "
            "(n, 1) array like b (summed without keepdims=True, or squeezed afterwards)",
            "db = np.sum(dZ, axis=1, keepdims=True) / m, and leave it as it is",
            ("db 的数值对，但丢掉了列的形状：它不是像 b 那样的 (n, 1) 数组（求和时没有用 keepdims=True，或事后被 squeeze 了）",
             "db = np.sum(dZ, axis=1, keepdims=True) / m，之后不要再改变它的形状"),
            (("np.sum(dZ, axis=1, keepdims=True)", "np.sum(dZ, axis=1)"),)),
    Mistake("db_summed_to_a_number", "linear_backward", "db is one number, the sum of dZ over units and examples alike "
            "(np.sum without an axis), not one value per unit",
            "sum over the examples only and keep the column: db = np.sum(dZ, axis=1, keepdims=True) / m",
            ("db 是不带 axis 的 np.sum(dZ)：对单元和样本一起求和得到的一个数，而不是每个单元一个值",
             "只对样本求和并保留列的形状：db = np.sum(dZ, axis=1, keepdims=True) / m"),
            (("np.sum(dZ, axis=1, keepdims=True)", "np.sum(dZ)"),)),
    Mistake("dW_without_1_over_m", "linear_backward",
            "dW is summed over the examples, not averaged: the 1/m is missing",
            "dW = np.dot(dZ, A_prev.T) / m",
            ("dW 是对样本求和，而不是求平均：缺少 1/m", "dW = np.dot(dZ, A_prev.T) / m"),
            (("dW = np.dot(dZ, A_prev.T) / m", "dW = np.dot(dZ, A_prev.T)"),)),
    Mistake("db_without_1_over_m", "linear_backward",
            "db is summed over the examples, not averaged: the 1/m is missing",
            "db = np.sum(dZ, axis=1, keepdims=True) / m",
            ("db 是对样本求和，而不是求平均：缺少 1/m", "db = np.sum(dZ, axis=1, keepdims=True) / m"),
            (("db = np.sum(dZ, axis=1, keepdims=True) / m", "db = np.sum(dZ, axis=1, keepdims=True)"),)),
    Mistake("dA_prev_with_1_over_m", "linear_backward", "dA_prev is divided by m; the 1/m belongs to dW and db only",
            "dA_prev = np.dot(W.T, dZ), no division: each example's gradient flows back on its own",
            ("dA_prev 被除以了 m；1/m 只属于 dW 和 db", "dA_prev = np.dot(W.T, dZ)，不做除法：每个样本的梯度各自反向传回"),
            (("dA_prev = np.dot(W.T, dZ)", "dA_prev = np.dot(W.T, dZ) / m"),)),
    Mistake("W_not_transposed", "linear_backward",
            "dA_prev uses W where W transposed is needed (it fails, or has the wrong values on square layers)",
            "dA_prev = np.dot(W.T, dZ): W is (n[l], n[l-1]), dZ is (n[l], m)",
            ("dA_prev 在需要 W 的转置的地方用了 W（会出错，或者在方阵的层上得到错误的值）",
             "dA_prev = np.dot(W.T, dZ)：W 的形状是 (n[l], n[l-1])，dZ 的形状是 (n[l], m)"),
            (("dA_prev = np.dot(W.T, dZ)", "dA_prev = np.dot(W, dZ)"),)),
    # backward, through the activation
    Mistake("derivatives_swapped", "linear_activation_backward", "relu_backward and sigmoid_backward are swapped",
            'use relu_backward when activation == "relu" and sigmoid_backward when activation == "sigmoid"',
            ("relu_backward 和 sigmoid_backward 互换了",
             '当 activation == "relu" 时用 relu_backward，当 activation == "sigmoid" 时用 sigmoid_backward'),
            (("dZ = relu_backward(dA, activation_cache)", "dZ = sigmoid_backward(dA, activation_cache)"),
             ("dZ = sigmoid_backward(dA, activation_cache)\n    else",
              "dZ = relu_backward(dA, activation_cache)\n    else"))),
    Mistake("derivative_skipped", "linear_activation_backward",
            "dZ is set to dA: the activation's derivative g'(Z) is skipped",
            "dZ = relu_backward(dA, activation_cache) or sigmoid_backward(dA, activation_cache)",
            ("dZ 被设成了 dA：跳过了激活函数的导数 g'(Z)",
             "dZ = relu_backward(dA, activation_cache) 或 sigmoid_backward(dA, activation_cache)"),
            (("dZ = relu_backward(dA, activation_cache)", "dZ = dA"),
             ("dZ = sigmoid_backward(dA, activation_cache)", "dZ = dA"))),
    # backward, the whole network
    Mistake("dAL_wrong_sign", "L_model_backward", "dAL has the wrong sign",
            "dAL = -(Y / AL - (1 - Y) / (1 - AL))",
            ("dAL 的符号错了", "dAL = -(Y / AL - (1 - Y) / (1 - AL))"),
            (("dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))",
              "dAL = np.divide(Y, AL) - np.divide(1 - Y, 1 - AL)"),)),
    Mistake("dZL_shortcut", "L_model_backward", "the output layer uses the shortcut dZ = AL - Y instead of dAL through "
            "sigmoid_backward; the shortcut is only right when AL is exactly sigmoid of the cached Z",
            "start from dAL = -(Y / AL - (1 - Y) / (1 - AL)) and call linear_activation_backward(dAL, caches[L - 1], "
            '"sigmoid")',
            ("输出层用了捷径 dZ = AL - Y，而不是让 dAL 经过 sigmoid_backward；只有当 AL 恰好是缓存中 Z 的 sigmoid 时，这条捷径才是对的",
             '从 dAL = -(Y / AL - (1 - Y) / (1 - AL)) 开始，并调用 linear_activation_backward(dAL, caches[L - 1], "sigmoid")'),
            (('dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))\n'
              '    dA_prev, dW, db = linear_activation_backward(dAL, caches[L - 1], "sigmoid")',
              'dZL = AL - Y\n    dA_prev, dW, db = linear_backward(dZL, caches[L - 1][0])'),)),
    Mistake("relu_backward_on_output", "L_model_backward",
            "the output layer goes back through relu's derivative, but it ran a sigmoid forward",
            'call linear_activation_backward(dAL, caches[L - 1], "sigmoid") for layer L; "relu" only for layers L-1 '
            "... 1",
            ("输出层反向传播时用的是 relu 的导数，但它的前向传播用的是 sigmoid",
             '对第 L 层调用 linear_activation_backward(dAL, caches[L - 1], "sigmoid")；只有第 L-1 ... 1 层用 "relu"'),
            (('linear_activation_backward(dAL, caches[L - 1], "sigmoid")',
              'linear_activation_backward(dAL, caches[L - 1], "relu")'),)),
    Mistake("grads_numbered_by_layer", "L_model_backward", 'grads["dA" + str(l)] holds layer l\'s dA_prev, so the keys '
            "run dA1 ... dAL (the numbering of an older version of the course) instead of dA0 ... dA{L-1}",
            'store layer l\'s dA_prev as grads["dA" + str(l - 1)]: the keys are dA0 ... dA{L-1}, dW1 ... dWL and db1 '
            "... dbL",
            ('grads["dA" + str(l)] 保存的是第 l 层的 dA_prev，所以键是 dA1 ... dAL（本课程旧版本的编号），而不是 dA0 ... dA{L-1}',
             '把第 l 层的 dA_prev 存为 grads["dA" + str(l - 1)]：键是 dA0 ... dA{L-1}、dW1 ... dWL 和 db1 ... dbL'),
            (('grads["dA" + str(L - 1)], grads["dW" + str(L)]', 'grads["dA" + str(L)], grads["dW" + str(L)]'),
             ('linear_activation_backward(grads["dA" + str(l)], caches[l - 1], "relu")',
              'linear_activation_backward(grads["dA" + str(l + 1)], caches[l - 1], "relu")'),
             ('grads["dA" + str(l - 1)], grads["dW" + str(l)]', 'grads["dA" + str(l)], grads["dW" + str(l)]'))),
    # update
    Mistake("learning_rate_ignored", "update_parameters", "the step is taken without the learning rate",
            "W = W - learning_rate * dW and b = b - learning_rate * db",
            ("更新的这一步没有乘以学习率", "W = W - learning_rate * dW 和 b = b - learning_rate * db"),
            (('- learning_rate * grads["dW" + str(l)]', '- grads["dW" + str(l)]'),
             ('- learning_rate * grads["db" + str(l)]', '- grads["db" + str(l)]'))),
    Mistake("last_layer_not_updated", "update_parameters",
            "the loop stops before the last layer, so W and b of layer L are never updated",
            "loop over l = 1 ... L, i.e. range(1, L + 1) with L = len(parameters) // 2",
            ("循环在最后一层之前就停止了，所以第 L 层的 W 和 b 从未被更新", "让 l 取遍 1 ... L，即 range(1, L + 1)，其中 L = len(parameters) // 2"),
            (("range(1, L + 1)", "range(1, L)"),)),
    # gradient checking
    Mistake("one_sided_difference", "numeric_gradient", "the numeric gradient is the one-sided difference (J(theta + "
            "epsilon) - J(theta)) / epsilon, whose error grows with epsilon, instead of the central difference",
            "compute J_minus at theta with epsilon subtracted from entry i, and take (J_plus - J_minus) / (2 * "
            "epsilon)",
            ("数值梯度用的是单侧差分 (J(theta + epsilon) - J(theta)) / epsilon，它的误差随 epsilon 增大，而不是中心差分",
             "在第 i 个分量减去 epsilon 的 theta 处计算 J_minus，并取 (J_plus - J_minus) / (2 * epsilon)"),
            (("        theta_minus = np.copy(theta)\n"
              "        theta_minus[i] = theta_minus[i] - epsilon\n"
              "        AL_minus, _ = L_model_forward(X, vector_to_parameters(theta_minus, parameters))\n"
              "        J_minus = compute_cost(AL_minus, Y)\n"
              "        grad_approx[i] = (J_plus - J_minus) / (2 * epsilon)",
              "        AL, _ = L_model_forward(X, parameters)\n"
              "        J = compute_cost(AL, Y)\n"
              "        grad_approx[i] = (J_plus - J) / epsilon"),)),
    Mistake("difference_over_epsilon", "numeric_gradient", "the central difference J_plus - J_minus is divided by "
            "epsilon instead of 2 * epsilon, so every entry is twice the gradient",
            "the two costs are 2 * epsilon apart: grad_approx[i] = (J_plus - J_minus) / (2 * epsilon)",
            ("中心差分 J_plus - J_minus 除以的是 epsilon 而不是 2 * epsilon，所以每个分量都是梯度的两倍",
             "两个代价相隔 2 * epsilon：grad_approx[i] = (J_plus - J_minus) / (2 * epsilon)"),
            (("(J_plus - J_minus) / (2 * epsilon)", "(J_plus - J_minus) / epsilon"),)),
    Mistake("theta_not_copied", "numeric_gradient", "theta is nudged in place (theta_plus = theta without a copy), so "
            "J_minus is taken back at theta itself and every entry comes out about half the gradient",
            "start each nudge from a copy: theta_plus = np.copy(theta) and theta_minus = np.copy(theta)",
            ("theta 被就地改动了（theta_plus = theta，没有复制），所以 J_minus 又是在 theta 本身处计算的，每个分量都约为梯度的一半",
             "每次微调都从一个副本开始：theta_plus = np.copy(theta)，theta_minus = np.copy(theta)"),
            (("theta_plus = np.copy(theta)", "theta_plus = theta"),
             ("theta_minus = np.copy(theta)", "theta_minus = theta"))),
    Mistake("difference_not_normalized", "gradient_difference", "the difference is the plain norm ||grad - "
            "grad_approx||, not divided by ||grad|| + ||grad_approx||, so it depends on how large the gradients are",
            "divide by np.linalg.norm(grad) + np.linalg.norm(grad_approx)",
            ("差值是普通的范数 ||grad - grad_approx||，没有除以 ||grad|| + ||grad_approx||，所以它取决于梯度有多大",
             "除以 np.linalg.norm(grad) + np.linalg.norm(grad_approx)"),
            (("difference = numerator / denominator", "difference = numerator"),)),
    Mistake("normalized_by_grad_only", "gradient_difference",
            "the difference is divided by ||grad|| alone instead of ||grad|| + ||grad_approx||",
            "denominator = np.linalg.norm(grad) + np.linalg.norm(grad_approx)",
            ("差值只除以了 ||grad||，而不是 ||grad|| + ||grad_approx||",
             "denominator = np.linalg.norm(grad) + np.linalg.norm(grad_approx)"),
            (("denominator = np.linalg.norm(grad) + np.linalg.norm(grad_approx)",
              "denominator = np.linalg.norm(grad)"),)),
    # application
    Mistake("two_layer_fixed_learning_rate", "two_layer_model",
            "the learning_rate argument is ignored (a fixed number is used)",
            "pass the learning_rate argument to update_parameters",
            ("参数 learning_rate 被忽略了（用的是一个固定的数）", "把参数 learning_rate 传给 update_parameters"),
            (("update_parameters(parameters, grads, learning_rate)", "update_parameters(parameters, grads, 0.0075)"),)),
    Mistake("cost_recorded_every_iteration", "L_layer_model",
            "the cost is recorded at every iteration instead of every 100th",
            "append the cost to costs only when i % 100 == 0",
            ("每次迭代都记录了代价，而不是每 100 次迭代记录一次", "只在 i % 100 == 0 时把代价加入 costs"),
            (("if i % 100 == 0:\n            costs.append(cost)", "costs.append(cost)"),)),
    Mistake("deep_weights_times_0_01", "L_layer_model", "the deep model starts from weights scaled by 0.01 "
            "(initialize_parameters_deep), which makes the signal vanish through the layers, so training barely moves",
            "initialize with initialize_parameters_deep_scaled(layers_dims) (W scaled by 1/sqrt(n[l-1]))",
            ("深层模型的初始权重乘以了 0.01（initialize_parameters_deep），这会让信号在层与层之间逐渐消失，所以训练几乎没有进展",
             "用 initialize_parameters_deep_scaled(layers_dims) 初始化（W 乘以 1/sqrt(n[l-1])）"),
            (("parameters = initialize_parameters_deep_scaled(layers_dims)",
              "parameters = initialize_parameters_deep(layers_dims)"),)),
)

# Recognised by behaviour (dnnkit/behaviour.py): in a sentence, {name} stands for a value the rule found on the
# case (a layer number, a parameter's name, an expected shape), the same in both languages.
BEHAVIOURS = (
    Mistake("init_W_transposed", "*init*", "{name} has its two sizes swapped: its shape should be {shape}, rows for "
            "this layer's units and columns for the layer before",
            "draw {name} with np.random.randn(units of this layer, units of the layer before)",
            ("{name} 的两个维度反了：它的形状应为 {shape}，行对应本层的单元，列对应前一层的单元", "用 np.random.randn(本层单元数, 前一层单元数) 生成 {name}")),
    Mistake("init_output_size_typed_in", "initialize_parameters",
            "the output layer's size is written as the number 1 instead of n_y: {name} should have shape {shape}",
            "use n_y for the output layer's size: W2 = np.random.randn(n_y, n_h) * 0.01, b2 = np.zeros((n_y, 1))",
            ("输出层的大小被写成了数字 1，而不是 n_y：{name} 的形状应为 {shape}",
             "输出层的大小用 n_y：W2 = np.random.randn(n_y, n_h) * 0.01，b2 = np.zeros((n_y, 1))")),
    Mistake("init_rows_of_layer_one", "initialize_parameters_deep", "{name} has layer_dims[1] rows (1 written where "
            "the loop's l belongs), so only W1 gets its right shape; {name} should have shape {shape}",
            "draw W{{l}} with np.random.randn(layer_dims[l], layer_dims[l - 1]) * 0.01, l the loop's variable",
            ("{name} 有 layer_dims[1] 行（该写循环变量 l 的地方写成了 1），所以只有 W1 的形状是对的；{name} 的形状应为 {shape}",
             "用 np.random.randn(layer_dims[l], layer_dims[l - 1]) * 0.01 生成 W{{l}}，其中 l 是循环变量")),
    Mistake("init_wrong_shape", "*init*", "{name} has the wrong shape: it should be {shape}",
            "W of layer l has shape (units of layer l, units of layer l - 1), b of layer l (units of layer l, 1)",
            ("{name} 的形状不对：应为 {shape}", "第 l 层的 W 形状为 (第 l 层单元数, 第 l - 1 层单元数)，b 为 (第 l 层单元数, 1)")),
    Mistake("call_with_wrong_arguments", "*",
            "{helper} is called with arguments it does not take: it takes ({parameters})",
            "pass {helper} exactly ({parameters}), in that order or by those names",
            ("调用 {helper} 时传入了它不接受的参数：它的参数是 ({parameters})", "调用 {helper} 时正好传入 ({parameters})，按这个顺序或用这些参数名")),
    Mistake("laf_linear_cache_is_Z", "linear_activation_forward", "the linear cache holds Z, where linear_forward's "
            "cache (A_prev, W, b) belongs (linear_forward is not called, or its cache is replaced)",
            "Z, linear_cache = linear_forward(A_prev, W, b), and cache = (linear_cache, activation_cache)",
            ("线性缓存里存的是 Z，而这里应是 linear_forward 返回的缓存 (A_prev, W, b)（没有调用 linear_forward，或它的缓存被替换了）",
             "Z, linear_cache = linear_forward(A_prev, W, b)，并且 cache = (linear_cache, activation_cache)")),
    Mistake("laf_cache_one_part", "linear_activation_forward",
            "the cache is only one of its two parts: it must be the pair (linear_cache, activation_cache)",
            "cache = (linear_cache, activation_cache): linear_forward's cache and the activation's",
            ("缓存只是它两个部分中的一个：它必须是 (linear_cache, activation_cache) 这一对",
             "cache = (linear_cache, activation_cache)：linear_forward 的缓存和激活函数的缓存")),
    Mistake("fwd_weights_of_another_layer", "L_model_forward", "layer {layer} is given {given} where {right} belongs: "
            "the layer's number is written as a number (or the loop's count is off), so only the notebook's own "
            "example works",
            'take layer l\'s parameters as parameters["W" + str(l)] and parameters["b" + str(l)], with l the loop\'s '
            "variable, and the output layer's with L = len(parameters) // 2",
            ("第 {layer} 层拿到的是 {given}，这里应是 {right}：层号被写成了固定的数字（或者循环计数差了一），所以只有笔记本里的例子能通过",
             '用 parameters["W" + str(l)] 和 parameters["b" + str(l)] 取第 l 层的参数（l 是循环变量），输出层用 L = len(parameters) // 2')),
    Mistake("fwd_stale_A", "L_model_forward", "layer {layer} is given A_prev, the input layer {previous} had, instead "
            "of A, the activation layer {previous} returned",
            "feed each layer the A that the layer before returned (the output layer too: linear_activation_forward(A, "
            "...), not A_prev)",
            ("第 {layer} 层拿到的是 A_prev，即第 {previous} 层的输入，而不是第 {previous} 层返回的激活值 A",
             "把前一层返回的 A 传给下一层（输出层也一样：linear_activation_forward(A, ...)，而不是 A_prev）")),
    Mistake("fwd_sigmoid_on_hidden", "L_model_forward",
            'hidden layer {layer} uses "sigmoid"; the hidden layers are relu, only the output layer is sigmoid',
            'call linear_activation_forward(..., "relu") for layers 1 ... L-1 and "sigmoid" for layer L only',
            ('隐藏层 {layer} 用了 "sigmoid"；隐藏层用 relu，只有输出层用 sigmoid',
             '第 1 ... L-1 层调用 linear_activation_forward(..., "relu")，只有第 L 层用 "sigmoid"')),
    Mistake("fwd_loop_variable_after_loop", "L_model_forward", "with no hidden layer (L = 1) the loop never runs, and "
            "the output layer then reads the loop's variable (or a name the loop sets), which does not exist",
            'after the loop, use L itself: linear_activation_forward(A, parameters["W" + str(L)], parameters["b" + '
            'str(L)], "sigmoid")',
            ("没有隐藏层时（L = 1）循环一次也不运行，而输出层随后读取了循环变量（或循环里才赋值的名字），它并不存在",
             '在循环之后直接用 L：linear_activation_forward(A, parameters["W" + str(L)], parameters["b" + str(L)], "sigmoid")')),
    Mistake("fwd_caches_empty", "L_model_forward",
            "caches comes back empty: the cache of each layer is never appended to it",
            "after each call of linear_activation_forward, caches.append(cache), for the output layer too",
            ("caches 返回时是空的：每一层的缓存都没有被添加进去", "每次调用 linear_activation_forward 之后执行 caches.append(cache)，输出层也一样")),
    Mistake("fwd_caches_assigned", "L_model_forward", "caches holds one cache instead of {layers}: each layer's cache "
            "replaces the list (caches = cache) or the last one alone is kept",
            "start from caches = [] and caches.append(cache) after every layer's call",
            ("caches 里只有一个缓存，而不是 {layers} 个：每一层的缓存替换了整个列表（caches = cache），或者只保留了最后一个",
             "从 caches = [] 开始，每一层调用之后执行 caches.append(cache)")),
    Mistake("fwd_caches_hold_A", "L_model_forward",
            "caches holds each layer's activation A instead of the cache linear_activation_forward returned",
            "append the second value linear_activation_forward returns: A, cache = ...; caches.append(cache)",
            ("caches 里存的是每一层的激活值 A，而不是 linear_activation_forward 返回的缓存",
             "添加 linear_activation_forward 返回的第二个值：A, cache = ...；caches.append(cache)")),
    Mistake("fwd_output_cache_missing", "L_model_forward",
            "the output layer's cache is not appended: caches ends at layer {before}",
            "caches.append(cache) after the output layer's call too",
            ("输出层的缓存没有被添加：caches 在第 {before} 层就结束了", "输出层调用之后也要执行 caches.append(cache)")),
    Mistake("cost_second_term_as_axis", "compute_cost", "np.sum(a, b) is given the two terms as two arguments, so "
            "numpy takes the second one for the axis instead of adding it",
            "add the two terms first: np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL))",
            ("np.sum(a, b) 把两项作为两个参数传入，numpy 会把第二项当成 axis，而不是把它加上",
             "先把两项相加：np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL))")),
    Mistake("cost_is_a_tuple", "compute_cost",
            "the cost comes back as a tuple, not one number (a comma after the expression, or two values returned)",
            "return the cost alone: cost = np.squeeze(cost); return cost",
            ("代价返回的是一个元组，而不是一个数（表达式后面多了逗号，或返回了两个值）", "只返回代价：cost = np.squeeze(cost)；return cost")),
    Mistake("cost_one_term_scaled", "compute_cost",
            "-1/m multiplies only the first term: the (1 - Y) log(1 - AL) term is outside the parentheses",
            "put both terms inside: cost = -(1/m) * np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL))",
            ("-1/m 只乘了第一项：(1 - Y) log(1 - AL) 这一项在括号外面",
             "把两项都放进括号：cost = -(1/m) * np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL))")),
    Mistake("cost_one_minus_log", "compute_cost", "the second term uses 1 - log(1 - AL) where log(1 - AL) belongs",
            "the second term is (1 - Y) * np.log(1 - AL)",
            ("第二项用的是 1 - log(1 - AL)，这里应是 log(1 - AL)", "第二项是 (1 - Y) * np.log(1 - AL)")),
    Mistake("lb_missing_transpose", "linear_backward",
            "a matrix product is missing its transpose: dW needs A_prev transposed and dA_prev needs W transposed",
            "dW = np.dot(dZ, A_prev.T) / m and dA_prev = np.dot(W.T, dZ)",
            ("矩阵乘积缺少转置：dW 需要 A_prev 的转置，dA_prev 需要 W 的转置", "dW = np.dot(dZ, A_prev.T) / m，dA_prev = np.dot(W.T, dZ)")),
    Mistake("lb_elementwise_product", "linear_backward",
            "a product is written elementwise (* or np.multiply) where a matrix product is needed",
            "use np.dot: dW = np.dot(dZ, A_prev.T) / m and dA_prev = np.dot(W.T, dZ)",
            ("该用矩阵乘积的地方写成了逐元素相乘（* 或 np.multiply）", "用 np.dot：dW = np.dot(dZ, A_prev.T) / m，dA_prev = np.dot(W.T, dZ)")),
    Mistake("lab_linear_backward_not_called", "linear_activation_backward",
            "dZ is computed but linear_backward is never called with it, so dA_prev, dW and db are never computed",
            "after dZ, call dA_prev, dW, db = linear_backward(dZ, linear_cache) in both branches",
            ("算出了 dZ，却从没有用它调用 linear_backward，所以 dA_prev、dW 和 db 都没有算出来",
             "算出 dZ 之后，在两个分支里都调用 dA_prev, dW, db = linear_backward(dZ, linear_cache)")),
    Mistake("lab_pair_to_linear_backward", "linear_activation_backward", "linear_backward is given the whole cache, "
            "the pair (linear_cache, activation_cache), instead of linear_cache",
            "unpack it first: linear_cache, activation_cache = cache; then linear_backward(dZ, linear_cache)",
            ("linear_backward 拿到的是整个缓存，即 (linear_cache, activation_cache) 这一对，而不是 linear_cache",
             "先拆开：linear_cache, activation_cache = cache；然后调用 linear_backward(dZ, linear_cache)")),
    Mistake("bwd_dAL_to_hidden_layer", "L_model_backward", "hidden layer {layer} is given dAL, the output layer's "
            "gradient, instead of dA{layer}, the dA_prev that layer {above} returned",
            'give each layer the dA that the layer above returned: grads["dA" + str(l)] for layer l, stored by the '
            "layer above",
            ("隐藏层 {layer} 拿到的是输出层的梯度 dAL，而不是第 {above} 层返回的 dA_prev，即 dA{layer}",
             '把上一层返回的 dA 交给每一层：第 l 层用 grads["dA" + str(l)]，它由上一层存入')),
    Mistake("bwd_gradient_of_the_layer_above_again", "L_model_backward", "layer {layer} is given dA{above}, the "
            "gradient that layer {above} was given, instead of dA{layer}, the dA_prev that layer {above} returned",
            "give each layer the dA_prev that the layer above returned, not the dA it was given",
            ("第 {layer} 层拿到的是 dA{above}，也就是第 {above} 层拿到的梯度，而不是第 {above} 层返回的 dA_prev，即 dA{layer}",
             "把上一层返回的 dA_prev 交给每一层，而不是上一层拿到的 dA")),
    Mistake("bwd_gradient_of_another_layer", "L_model_backward", "layer {layer} is given dA{given}, another layer's "
            "gradient, instead of dA{layer}: the dA keys' numbering is off",
            'layer l takes grads["dA" + str(l)], which layer l + 1 stored as its dA_prev',
            ("第 {layer} 层拿到的是另一层的梯度 dA{given}，而不是 dA{layer}：dA 键的编号错位了",
             '第 l 层用 grads["dA" + str(l)]，它是第 l + 1 层存入的 dA_prev')),
    Mistake("bwd_AL_for_dAL", "L_model_backward",
            "the output layer is given AL itself where dAL, the derivative of the cost with respect to AL, belongs",
            "dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL)), then linear_activation_backward(dAL, ...)",
            ("输出层拿到的是 AL 本身，而这里应是代价对 AL 的导数 dAL",
             "dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))，然后调用 linear_activation_backward(dAL, ...)")),
    Mistake("bwd_dZ_shortcut_as_dAL", "L_model_backward",
            "the output layer is given AL - Y as its dA: that is dZ of the output layer (after sigmoid), not dAL",
            "give the output layer dAL = -(Y / AL - (1 - Y) / (1 - AL)); sigmoid_backward turns it into dZ",
            ("输出层拿到的 dA 是 AL - Y：这是输出层（经过 sigmoid 之后）的 dZ，而不是 dAL",
             "把 dAL = -(Y / AL - (1 - Y) / (1 - AL)) 交给输出层；sigmoid_backward 会把它变成 dZ")),
    Mistake("bwd_dAL_one_term_sign", "L_model_backward", "one of the two terms of dAL has the wrong sign",
            "dAL = -(Y / AL - (1 - Y) / (1 - AL)): the minus applies to both terms",
            ("dAL 的两项中有一项的符号错了", "dAL = -(Y / AL - (1 - Y) / (1 - AL))：负号作用于两项")),
    Mistake("bwd_dAL_over_m", "L_model_backward",
            "dAL is divided by m; the 1/m belongs to dW and db only, which linear_backward averages",
            "dAL = -(Y / AL - (1 - Y) / (1 - AL)), without / m",
            ("dAL 被除以了 m；1/m 只属于 dW 和 db，由 linear_backward 求平均", "dAL = -(Y / AL - (1 - Y) / (1 - AL))，不要除以 m")),
    Mistake("bwd_sigmoid_for_hidden_layer", "L_model_backward",
            'hidden layer {layer} goes back through "sigmoid", but it ran relu forward',
            'use "relu" for layers L-1 ... 1 and "sigmoid" for the output layer only',
            ('隐藏层 {layer} 反向传播时用了 "sigmoid"，但它的前向传播用的是 relu', '第 L-1 ... 1 层用 "relu"，只有输出层用 "sigmoid"')),
    Mistake("bwd_whole_caches_list", "L_model_backward",
            "layer {layer} is given the whole caches list instead of its own cache",
            "give layer l its own cache, caches[l - 1]",
            ("第 {layer} 层拿到的是整个 caches 列表，而不是它自己的缓存", "把第 l 层自己的缓存 caches[l - 1] 交给它")),
    Mistake("bwd_cache_of_another_layer", "L_model_backward", "layer {layer} is given caches[{given}], another layer's "
            "cache, instead of its own caches[{right}] (an index written as a number, or counted from the wrong end)",
            "layer l's cache is caches[l - 1]: the output layer's is caches[L - 1], then caches[l] in the loop "
            "reversed(range(L - 1))",
            ("第 {layer} 层拿到的是另一层的缓存 caches[{given}]，而不是它自己的 caches[{right}]（下标写成了固定数字，或从错误的一端数起）",
             "第 l 层的缓存是 caches[l - 1]：输出层用 caches[L - 1]，在循环 reversed(range(L - 1)) 中用 caches[l]")),
    Mistake("bwd_not_the_activation_cache", "L_model_backward", "{helper} for layer {layer} is given something other "
            "than Z{layer}, the layer's activation cache, as its cache",
            "pass {helper} the second part of the layer's cache: linear_cache, activation_cache = caches[l - 1]",
            ("第 {layer} 层的 {helper} 拿到的缓存不是该层的激活缓存 Z{layer}",
             "把该层缓存的第二部分交给 {helper}：linear_cache, activation_cache = caches[l - 1]")),
    Mistake("bwd_pair_to_linear_backward", "L_model_backward", "linear_backward is given layer {layer}'s whole cache, "
            "the pair (linear_cache, activation_cache), instead of its linear_cache",
            "call linear_activation_backward(dA, caches[l - 1], activation), or unpack the pair before linear_backward",
            ("linear_backward 拿到的是第 {layer} 层的整个缓存，即 (linear_cache, activation_cache) 这一对，而不是它的 linear_cache",
             "调用 linear_activation_backward(dA, caches[l - 1], activation)，或者先拆开这一对再调用 linear_backward")),
    Mistake("bwd_derivative_skipped", "L_model_backward",
            "layer {layer}'s dZ is its dA: the activation's derivative is skipped",
            "dZ = relu_backward(dA, activation_cache) (sigmoid_backward for the output layer) before linear_backward, "
            "or call linear_activation_backward",
            ("第 {layer} 层的 dZ 就是它的 dA：跳过了激活函数的导数",
             "在 linear_backward 之前先算 dZ = relu_backward(dA, activation_cache)（输出层用 sigmoid_backward），"
             "或者调用 linear_activation_backward")),
    Mistake("bwd_reads_a_key_not_yet_stored", "L_model_backward", "a dA key is read before any layer stored it: the "
            "keys are written with one numbering and read with another",
            'store layer l\'s dA_prev as grads["dA" + str(l - 1)] and read layer l\'s dA as grads["dA" + str(l)]',
            ("在任何一层存入之前就读取了某个 dA 键：写入键时用的编号和读取时用的编号不一样",
             '把第 l 层的 dA_prev 存为 grads["dA" + str(l - 1)]，读取第 l 层的 dA 时用 grads["dA" + str(l)]')),
    Mistake("bwd_lower_case_keys", "L_model_backward",
            "the gradients are stored under lower-case keys (da, dw), which update_parameters does not read",
            "use the course's keys: dA0 ... dA{L-1}, dW1 ... dWL, db1 ... dbL",
            ("梯度存在了小写的键下（da、dw），update_parameters 不会读取它们", "用课程规定的键：dA0 ... dA{L-1}、dW1 ... dWL、db1 ... dbL")),
    Mistake("upd_grads_keys_without_d", "update_parameters", "the gradients are read as grads['{key}'], a key grads "
            "does not have; the gradient of {key} is grads['{right}']",
            'W of layer l moves by learning_rate * grads["dW" + str(l)], b by learning_rate * grads["db" + str(l)]',
            ("梯度是按 grads['{key}'] 读取的，而 grads 没有这个键；{key} 的梯度是 grads['{right}']",
             'W 按 learning_rate * grads["dW" + str(l)] 更新，b 按 learning_rate * grads["db" + str(l)] 更新')),
    Mistake("upd_key_case", "update_parameters",
            "a key is written in the wrong case (w1, dw1): the keys are W1, b1 and dW1, db1",
            'use parameters["W" + str(l)], grads["dW" + str(l)] and the same for b',
            ("有一个键的大小写写错了（w1、dw1）：键是 W1、b1 以及 dW1、db1", '用 parameters["W" + str(l)]、grads["dW" + str(l)]，b 也一样')),
    Mistake("upd_W_with_db", "update_parameters",
            "W{layer} is stepped again with db{layer} instead of b{layer} being updated with it",
            'the second line updates b: parameters["b" + str(l)] -= learning_rate * grads["db" + str(l)]',
            ("W{layer} 又用 db{layer} 更新了一次，而本应用它更新 b{layer}",
             '第二行更新的是 b：parameters["b" + str(l)] -= learning_rate * grads["db" + str(l)]')),
    Mistake("upd_sign", "update_parameters", "the parameters move up the gradient (+) instead of down (-)",
            "W = W - learning_rate * dW and b = b - learning_rate * db",
            ("参数沿着梯度方向（+）移动，而不是反方向（-）", "W = W - learning_rate * dW，b = b - learning_rate * db")),
    Mistake("upd_nested_loop", "update_parameters",
            "every layer takes {layers} steps instead of one: the update sits inside a second loop over the layers",
            "one loop over the layers, one step for each",
            ("每一层走了 {layers} 步，而不是一步：更新语句放在了第二层关于各层的循环里", "对各层只循环一次，每层只走一步")),
    Mistake("init_loop_too_far", "initialize_parameters_deep",
            "the loop runs past the last layer: it reads a size layer_dims does not have",
            "with L = len(layer_dims) - 1 layers, loop for l in range(1, L + 1)",
            ("循环越过了最后一层：它读取了 layer_dims 中并不存在的大小", "网络有 L = len(layer_dims) - 1 层，循环用 for l in range(1, L + 1)")),
    Mistake("init_layer_numbers_off", "initialize_parameters_deep",
            "the parameters are numbered from the wrong layer: the keys must run W1, b1 ... WL, bL",
            'name layer l\'s parameters "W" + str(l) and "b" + str(l), for l = 1 ... L',
            ("参数的编号从错误的层开始：键必须是 W1、b1 ... WL、bL", '第 l 层的参数命名为 "W" + str(l) 和 "b" + str(l)，l = 1 ... L')),
    Mistake("laf_cache_flat", "linear_activation_forward",
            "the cache is flat, (A_prev, W, b, Z): it must be the pair (linear_cache, activation_cache)",
            "cache = (linear_cache, activation_cache), with linear_cache = (A_prev, W, b)",
            ("缓存是扁平的 (A_prev, W, b, Z)：它必须是 (linear_cache, activation_cache) 这一对",
             "cache = (linear_cache, activation_cache)，其中 linear_cache = (A_prev, W, b)")),
    Mistake("fwd_output_layer_inside_the_loop", "L_model_forward",
            "the output layer's sigmoid step runs inside the loop: layer {layer} is given the output layer's weights",
            "move the output layer's call out of the loop: after the loop, linear_activation_forward(A, W{{L}}, "
            'b{{L}}, "sigmoid")',
            ("输出层的 sigmoid 步骤放在了循环里面：第 {layer} 层拿到的是输出层的权重",
             '把输出层的调用移出循环：在循环之后调用 linear_activation_forward(A, W{{L}}, b{{L}}, "sigmoid")')),
    Mistake("fwd_layers_written_in", "L_model_forward", "the layers are numbered by hand (a number written where L or "
            "the loop's variable belongs), so only a network the size of the notebook's example works",
            "L = len(parameters) // 2; loop for l in range(1, L) over the hidden layers, then the output layer with "
            'parameters["W" + str(L)] and parameters["b" + str(L)]',
            ("层是手工编号的（该写 L 或循环变量的地方写了数字），所以只有和笔记本例子一样大的网络才能通过",
             'L = len(parameters) // 2；用 for l in range(1, L) 循环各隐藏层，'
             '然后用 parameters["W" + str(L)] 和 parameters["b" + str(L)] 计算输出层')),
    Mistake("fwd_caches_extended", "L_model_forward", "caches holds each cache's two parts one after the other (caches "
            "+ cache, or extend): each layer's cache must be one item, the pair",
            "caches.append(cache), which adds the pair as one item",
            ("caches 里把每个缓存的两个部分依次放了进去（caches + cache 或 extend）：每一层的缓存必须是一项，即这一对",
             "用 caches.append(cache)，它把这一对作为一项加入")),
    Mistake("fwd_caches_appended_to_itself", "L_model_forward",
            "caches is appended to itself (caches.append(caches)), so it holds itself instead of the layers' caches",
            "append each layer's cache: caches.append(cache)",
            ("caches 被添加进了它自己（caches.append(caches)），所以它包含的是它自己，而不是各层的缓存", "添加每一层的缓存：caches.append(cache)")),
    Mistake("cost_not_squeezed", "compute_cost", "the cost has the right value but is an array, not one number",
            "cost = np.squeeze(cost) before returning it",
            ("代价的数值对，但它是一个数组，而不是一个数", "返回之前执行 cost = np.squeeze(cost)")),
    Mistake("cost_log10", "compute_cost", "the cost uses the base-10 logarithm; the cross-entropy uses the natural one",
            "np.log, not np.log10",
            ("代价用的是以 10 为底的对数；交叉熵用的是自然对数", "用 np.log，而不是 np.log10")),
    Mistake("lb_m_from_the_wrong_axis", "linear_backward",
            "m is taken from the wrong axis: it counts the units, not the examples",
            "m = A_prev.shape[1] (or dZ.shape[1]): the examples are the columns",
            ("m 取自错误的轴：它数的是单元，而不是样本", "m = A_prev.shape[1]（或 dZ.shape[1]）：样本是列")),
    Mistake("dW_transposed", "linear_backward", "dW is transposed: it must have W's shape (units, inputs)",
            "dW = np.dot(dZ, A_prev.T) / m",
            ("dW 被转置了：它必须和 W 的形状一样（单元数, 输入数）", "dW = np.dot(dZ, A_prev.T) / m")),
    Mistake("db_not_summed", "linear_backward",
            "db is dZ / m, not summed over the examples: one value per unit and example instead of per unit",
            "db = np.sum(dZ, axis=1, keepdims=True) / m",
            ("db 是 dZ / m，没有对样本求和：得到的是每个单元每个样本一个值，而不是每个单元一个值", "db = np.sum(dZ, axis=1, keepdims=True) / m")),
    Mistake("upd_loop_from_zero", "update_parameters",
            "the loop starts at layer 0: there is no W0 or b0, the layers are numbered from 1",
            "for l in range(1, L + 1), or use l + 1 in the keys with range(L)",
            ("循环从第 0 层开始：不存在 W0 或 b0，层从 1 开始编号", "用 for l in range(1, L + 1)，或者配合 range(L) 在键里用 l + 1")),
    Mistake("upd_loop_too_far", "update_parameters",
            "the loop runs past the last layer: L counts the keys (W and b), so it is twice the {layers} layers",
            "L = len(parameters) // 2",
            ("循环越过了最后一层：L 数的是键（W 和 b），所以它是 {layers} 层的两倍", "L = len(parameters) // 2")),
    Mistake("upd_first_layer_only", "update_parameters",
            "only layer 1 is updated: the update is not in a loop over the layers (or the loop stops after the first)",
            "loop over l = 1 ... L and update W and b of each layer",
            ("只有第 1 层被更新了：更新语句不在关于各层的循环里（或者循环在第一层之后就停了）", "对 l = 1 ... L 循环，更新每一层的 W 和 b")),
    Mistake("init_other_draws", "*init*", "the weights have the right shapes and scale but other numbers: the seed is "
            "not set first, or the weights are drawn in another order",
            "keep np.random.seed(...) as the template has it, then draw W1, W2, ... in the layers' order, each right "
            "after the other",
            ("权重的形状和尺度都对，但数值不同：没有先设定随机种子，或者权重的抽取顺序不对", "保留模板中的 np.random.seed(...)，然后按层的顺序依次抽取 W1、W2、……")),
    Mistake("fwd_L_counts_the_keys", "L_model_forward", "L counts the keys of parameters (W and b), twice the {layers} "
            "layers, so the loop runs into a layer the network does not have",
            "L = len(parameters) // 2",
            ("L 数的是 parameters 的键（W 和 b），是 {layers} 层的两倍，所以循环跑进了网络中并不存在的层", "L = len(parameters) // 2")),
    Mistake("cost_dot_of_two_rows", "compute_cost",
            "np.dot multiplies two (1, m) rows, which cannot be multiplied: one of them must be transposed",
            "np.dot(Y, np.log(AL).T), or multiply elementwise and sum: np.sum(Y * np.log(AL))",
            ("np.dot 乘的是两个 (1, m) 的行向量，它们不能相乘：其中一个必须转置", "np.dot(Y, np.log(AL).T)，或者逐元素相乘再求和：np.sum(Y * np.log(AL))")),
    Mistake("cost_not_finite", "compute_cost",
            "the cost is NaN or infinite: a logarithm of 0 (log(Y) or log(1 - Y) where AL belongs)",
            "take the logarithms of the predictions: np.log(AL) and np.log(1 - AL)",
            ("代价是 NaN 或无穷大：对 0 取了对数（在该用 AL 的地方用了 log(Y) 或 log(1 - Y)）", "对预测值取对数：np.log(AL) 和 np.log(1 - AL)")),
    Mistake("cost_second_term_sign", "compute_cost", "the (1 - Y) log(1 - AL) term is subtracted instead of added",
            "cost = -(1/m) * np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL))",
            ("(1 - Y) log(1 - AL) 这一项被减去了，而不是加上", "cost = -(1/m) * np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL))")),
    Mistake("cost_broadcast_outer", "compute_cost", "a (1, m) row is multiplied by an (m, 1) column elementwise, so "
            "numpy broadcasts them into an (m, m) table and every label meets every prediction",
            "multiply Y and np.log(AL) as they are, both (1, m): Y * np.log(AL), without .T",
            ("一个 (1, m) 的行与一个 (m, 1) 的列逐元素相乘，numpy 把它们广播成 (m, m) 的表，每个标签都和每个预测相乘",
             "Y 和 np.log(AL) 都是 (1, m)，直接相乘：Y * np.log(AL)，不要 .T")),
    Mistake("upd_b_with_dW", "update_parameters", "b{layer} is stepped with dW{layer} instead of db{layer}",
            'parameters["b" + str(l)] -= learning_rate * grads["db" + str(l)]',
            ("b{layer} 用 dW{layer} 更新了，而不是 db{layer}",
             'parameters["b" + str(l)] -= learning_rate * grads["db" + str(l)]')),
    Mistake("upd_nothing_updated", "update_parameters",
            "the parameters come back unchanged: the steps are taken on something that is not returned",
            "update the dict you return: parameters = copy.deepcopy(params), update parameters, return parameters",
            ("返回的参数没有任何变化：更新作用在了一个没有被返回的对象上",
             "更新你返回的那个字典：parameters = copy.deepcopy(params)，更新 parameters，然后 return parameters")),
    Mistake("upd_b_not_updated", "update_parameters",
            "the biases are never updated: only the W of each layer takes its step",
            'also parameters["b" + str(l)] -= learning_rate * grads["db" + str(l)] in the loop',
            ("偏置从未被更新：每一层只有 W 走了一步", '在循环中也执行 parameters["b" + str(l)] -= learning_rate * grads["db" + str(l)]')),
    Mistake("upd_W_not_updated", "update_parameters",
            "the weights are never updated: only the b of each layer takes its step",
            'also parameters["W" + str(l)] -= learning_rate * grads["dW" + str(l)] in the loop',
            ("权重从未被更新：每一层只有 b 走了一步", '在循环中也执行 parameters["W" + str(l)] -= learning_rate * grads["dW" + str(l)]')),
    Mistake("fwd_output_layer_not_given_X", "L_model_forward",
            "with no hidden layer (L = 1) the output layer is not given X: it gets a variable that only the loop sets",
            "feed the output layer A, which starts as X (A = X before the loop) and which the loop updates",
            ("没有隐藏层时（L = 1），输出层拿到的不是 X：它拿到的是一个只有循环才会赋值的变量", "把 A 交给输出层：A 在循环之前是 X（A = X），由循环更新")),
    Mistake("cost_second_term_wrong", "compute_cost", "the second term is not (1 - Y) log(1 - AL): it has {what}",
            "the second term is (1 - Y) * np.log(1 - AL): the log of the probability of the label 0",
            ("第二项不是 (1 - Y) log(1 - AL)：它用的是 {what}", "第二项是 (1 - Y) * np.log(1 - AL)：标签为 0 的概率的对数")),
    Mistake("upd_replaced_by_the_step", "update_parameters",
            "{name} is replaced by the step learning_rate * d{name} (an = where - belongs) instead of moving by it",
            'parameters["W" + str(l)] = parameters["W" + str(l)] - learning_rate * grads["dW" + str(l)], and so for b',
            ("{name} 被步长 learning_rate * d{name} 替换了（该写 - 的地方写成了 =），而不是减去它",
             'parameters["W" + str(l)] = parameters["W" + str(l)] - learning_rate * grads["dW" + str(l)]，b 也一样')),
    Mistake("upd_first_layer_skipped", "update_parameters", "layer 1 is never updated: the loop starts one layer late",
            "loop over l = 1 ... L: range(1, L + 1), or range(L) with l + 1 in the keys",
            ("第 1 层从未被更新：循环晚了一层才开始", "让 l 取遍 1 ... L：range(1, L + 1)，或者用 range(L) 并在键里用 l + 1")),
    Mistake("name_never_set", "*", "the function reads a name that nothing sets before it (NameError): misspelt, or "
            "set only in another function or another branch",
            "use the name the value was stored under (for example the variable that the call just before returned)",
            ("函数读取了一个在此之前没有被赋值的名字（NameError）：拼错了，或者只在另一个函数或另一个分支里赋过值", "使用存放这个值的那个名字（例如前一次调用刚刚返回的那个变量）")),
    Mistake("raised_in_a_provided_helper", "*", "the error happens inside {helper}, which the course provides: your "
            "function hands it something it cannot use (look at the arguments of that call)",
            "print the shapes of what your function passes to {helper}, and compare them with what {helper} expects",
            ("错误发生在课程提供的 {helper} 里面：你的函数传给它的东西它无法使用（检查那次调用的参数）", "打印你的函数传给 {helper} 的参数的形状，并与 {helper} 所要求的进行比较")),
)

BY_NAME = {m.name: m for m in CATALOG + BEHAVIOURS}


def chinese() -> dict[str, dict[str, str]]:
    """{mistake: {"says", "fix"}} in Chinese: what dnn_checks.MISTAKE_ZH holds in a Chinese release."""
    return {m.name: {"says": m.zh[0], "fix": m.zh[1]} for m in CATALOG + BEHAVIOURS}


def for_function(function: str) -> tuple[Mistake, ...]:
    """The catalog's mistakes of `function`: its edits, then those recognised by behaviour (function "*": any
    graded function; "*init*": both initializations)."""
    behaviours = tuple(m for m in BEHAVIOURS if m.function == function
                       or (m.function == "*" and function in RECOGNISED)
                       or (m.function == "*init*" and function.startswith("initialize_parameters")))
    return tuple(m for m in CATALOG if m.function == function) + behaviours

