"""The catalog of typical mistakes in the graded functions: one entry per mistake.

Each entry is a text edit of one function's reference solution (what a student writes instead), what the
mistake does (`says`) and how to fix it (`fix`), and both in Chinese (`zh`, shown in a course whose language
is zh or en+zh: dnnkit.checks looks them up by the mistake's name, so the cases store the English only). The kit runs every mistaken variant on the same inputs as
the student's function (dnnkit.diagnosis); when a failing answer returns what a variant returns, the feedback
names that mistake. The same edits build the demo submissions and the tests' injected mistakes.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mistake:
    name: str
    function: str
    says: str  # what is wrong, as the feedback says it
    fix: str  # what to change
    edits: tuple[tuple[str, str], ...]  # (exact text in the solution cell, what the student wrote instead)
    zh: tuple[str, str] = ("", "")  # says and fix in Chinese: the same code, names and numbers as the English

    def apply(self, source: str) -> str:
        for old, new in self.edits:
            if source.count(old) != 1:
                raise ValueError(f"mistake {self.name!r}: {old!r} occurs {source.count(old)} times in "
                                 f"{self.function}'s solution, expected once")
            source = source.replace(old, new)
        return source


CATALOG = (
    # initialization
    Mistake("weights_not_small", "initialize_parameters",
            "the weights are drawn from N(0, 1) without the 0.01 scale",
            "multiply np.random.randn(...) by 0.01 for W1 and W2",
            (("np.random.randn(n_h, n_x) * 0.01", "np.random.randn(n_h, n_x)"),
             ("np.random.randn(n_y, n_h) * 0.01", "np.random.randn(n_y, n_h)")),
            zh=('权重取自 N(0, 1)，没有乘以 0.01 的缩放因子',
                '对 W1 和 W2，把 np.random.randn(...) 乘以 0.01')),
    Mistake("last_layer_not_initialized", "initialize_parameters_deep",
            "the loop stops before the last layer, so W and b of layer L are missing",
            "loop over l = 1 ... L, i.e. range(1, L + 1) with L = len(layer_dims) - 1",
            (("range(1, L + 1)", "range(1, L)"),),
            zh=('循环在最后一层之前就停止了，所以缺少第 L 层的 W 和 b',
                '让 l 取遍 1 ... L，即 range(1, L + 1)，其中 L = len(layer_dims) - 1')),
    Mistake("deep_weights_not_small", "initialize_parameters_deep",
            "the weights are drawn from N(0, 1) without the 0.01 scale",
            "multiply np.random.randn(layer_dims[l], layer_dims[l - 1]) by 0.01 for every W",
            (("np.random.randn(layer_dims[l], layer_dims[l - 1]) * 0.01",
              "np.random.randn(layer_dims[l], layer_dims[l - 1])"),),
            zh=('权重取自 N(0, 1)，没有乘以 0.01 的缩放因子',
                '对每个 W，把 np.random.randn(layer_dims[l], layer_dims[l - 1]) 乘以 0.01')),
    # forward
    Mistake("missing_bias", "linear_forward",
            "Z is computed without the bias: the + b is missing",
            "Z = np.dot(W, A) + b",
            (("Z = np.dot(W, A) + b", "Z = np.dot(W, A)"),),
            zh=('计算 Z 时没有加偏置：缺少 + b',
                'Z = np.dot(W, A) + b')),
    Mistake("elementwise_product", "linear_forward",
            "W * A is an elementwise product (it fails or broadcasts), not the matrix product W A",
            "use np.dot(W, A) (or W @ A) for the matrix product",
            (("Z = np.dot(W, A) + b", "Z = W * A + b"),),
            zh=('W * A 是逐元素相乘（会出错或触发广播），而不是矩阵乘积 W A',
                '用 np.dot(W, A)（或 W @ A）计算矩阵乘积')),
    Mistake("cache_holds_A", "linear_activation_forward",
            "the activation cache holds A instead of Z",
            "keep the activation cache that sigmoid(Z) or relu(Z) returns (it is Z): cache = (linear_cache, activation_cache)",
            (("\n    cache = (linear_cache, activation_cache)", "\n    cache = (linear_cache, A)"),),
            zh=('激活缓存保存的是 A 而不是 Z',
                '保留 sigmoid(Z) 或 relu(Z) 返回的激活缓存（它就是 Z）：cache = (linear_cache, activation_cache)')),
    Mistake("cache_order_swapped", "linear_activation_forward",
            "the cache is (activation_cache, linear_cache): the two parts are in the wrong order",
            "return cache = (linear_cache, activation_cache); the backward functions unpack it in that order",
            (("\n    cache = (linear_cache, activation_cache)", "\n    cache = (activation_cache, linear_cache)"),),
            zh=('缓存是 (activation_cache, linear_cache)：两个部分的顺序反了',
                '返回 cache = (linear_cache, activation_cache)；反向传播的函数按这个顺序把它拆开')),
    Mistake("activations_swapped", "linear_activation_forward",
            "sigmoid and relu are swapped: 'sigmoid' applies relu and 'relu' applies sigmoid",
            'call sigmoid(Z) when activation == "sigmoid" and relu(Z) when activation == "relu"',
            (('A, activation_cache = sigmoid(Z)', 'A, activation_cache = relu(Z)'),
             ('A, activation_cache = relu(Z)\n    else', 'A, activation_cache = sigmoid(Z)\n    else')),
            zh=("sigmoid 和 relu 互换了：'sigmoid' 用的是 relu，'relu' 用的是 sigmoid",
                '当 activation == "sigmoid" 时调用 sigmoid(Z)，当 activation == "relu" 时调用 relu(Z)')),
    Mistake("relu_on_output", "L_model_forward",
            "the output layer uses relu, so AL is not a probability",
            'use "sigmoid" for layer L and "relu" only for layers 1 ... L-1',
            (('parameters["b" + str(L)], "sigmoid")', 'parameters["b" + str(L)], "relu")'),),
            zh=('输出层用了 relu，所以 AL 不是一个概率',
                '第 L 层用 "sigmoid"，只有第 1 ... L-1 层用 "relu"')),
    Mistake("Z_fed_forward", "L_model_forward",
            "each hidden layer passes its Z on to the next layer instead of its activation A",
            "feed the next layer the A that linear_activation_forward returns, not the Z kept in its cache",
            (('"relu")\n        caches.append(cache)', '"relu")\n        caches.append(cache)\n        A = cache[1]'),),
            zh=('每个隐藏层把它的 Z 而不是激活值 A 传给下一层',
                '把 linear_activation_forward 返回的 A 传给下一层，而不是它缓存中的 Z')),
    # cost
    Mistake("cost_without_1_minus_y", "compute_cost",
            "the cost leaves out the (1 - Y) log(1 - AL) term, so it ignores the non-cat examples",
            "cost = -(1/m) * sum(Y log(AL) + (1 - Y) log(1 - AL))",
            (("-np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)) / m", "-np.sum(Y * np.log(AL)) / m"),),
            zh=('代价漏掉了 (1 - Y) log(1 - AL) 这一项，所以它忽略了非猫的样本',
                'cost = -(1/m) * sum(Y log(AL) + (1 - Y) log(1 - AL))')),
    Mistake("cost_without_1_over_m", "compute_cost",
            "the cost is summed over the examples, not averaged: the 1/m is missing",
            "divide the sum by m, the number of examples (Y.shape[1])",
            (("np.log(1 - AL)) / m", "np.log(1 - AL))"),),
            zh=('代价是对样本求和，而不是求平均：缺少 1/m',
                '把和除以 m，即样本数（Y.shape[1]）')),
    Mistake("cost_without_minus", "compute_cost",
            "the cost has the wrong sign: the minus in front of the sum is missing (a cost is never negative)",
            "cost = -(1/m) * sum(...): log of a probability is negative, the minus makes the cost positive",
            (("cost = -np.sum(", "cost = np.sum("),),
            zh=('代价的符号错了：求和前面的负号丢了（代价从不为负）',
                'cost = -(1/m) * sum(...)：概率的对数是负的，负号让代价变为正数')),
    # backward, linear part
    Mistake("db_wrong_axis", "linear_backward",
            "db is summed over axis 0 (the units) instead of axis 1 (the examples)",
            "db = np.sum(dZ, axis=1, keepdims=True) / m",
            (("np.sum(dZ, axis=1, keepdims=True)", "np.sum(dZ, axis=0, keepdims=True)"),),
            zh=('db 是沿 axis 0（单元）而不是 axis 1（样本）求和的',
                'db = np.sum(dZ, axis=1, keepdims=True) / m')),
    Mistake("db_without_keepdims", "linear_backward",
            "db is summed without keepdims=True, so it has shape (n,) instead of (n, 1) like b",
            "db = np.sum(dZ, axis=1, keepdims=True) / m",
            (("np.sum(dZ, axis=1, keepdims=True)", "np.sum(dZ, axis=1)"),),
            zh=('db 求和时没有用 keepdims=True，所以它的形状是 (n,)，而不是和 b 一样的 (n, 1)',
                'db = np.sum(dZ, axis=1, keepdims=True) / m')),
    Mistake("db_summed_to_a_number", "linear_backward",
            "db is np.sum(dZ) without an axis: one number summed over units and examples alike, not one value "
            "per unit",
            "sum over the examples only and keep the column: db = np.sum(dZ, axis=1, keepdims=True) / m",
            (("np.sum(dZ, axis=1, keepdims=True)", "np.sum(dZ)"),),
            zh=('db 是不带 axis 的 np.sum(dZ)：对单元和样本一起求和得到的一个数，而不是每个单元一个值',
                '只对样本求和并保留列的形状：db = np.sum(dZ, axis=1, keepdims=True) / m')),
    Mistake("dW_without_1_over_m", "linear_backward",
            "dW is summed over the examples, not averaged: the 1/m is missing",
            "dW = np.dot(dZ, A_prev.T) / m",
            (("dW = np.dot(dZ, A_prev.T) / m", "dW = np.dot(dZ, A_prev.T)"),),
            zh=('dW 是对样本求和，而不是求平均：缺少 1/m',
                'dW = np.dot(dZ, A_prev.T) / m')),
    Mistake("db_without_1_over_m", "linear_backward",
            "db is summed over the examples, not averaged: the 1/m is missing",
            "db = np.sum(dZ, axis=1, keepdims=True) / m",
            (("db = np.sum(dZ, axis=1, keepdims=True) / m", "db = np.sum(dZ, axis=1, keepdims=True)"),),
            zh=('db 是对样本求和，而不是求平均：缺少 1/m',
                'db = np.sum(dZ, axis=1, keepdims=True) / m')),
    Mistake("dA_prev_with_1_over_m", "linear_backward",
            "dA_prev is divided by m; the 1/m belongs to dW and db only",
            "dA_prev = np.dot(W.T, dZ), no division: each example's gradient flows back on its own",
            (("dA_prev = np.dot(W.T, dZ)", "dA_prev = np.dot(W.T, dZ) / m"),),
            zh=('dA_prev 被除以了 m；1/m 只属于 dW 和 db',
                'dA_prev = np.dot(W.T, dZ)，不做除法：每个样本的梯度各自反向传回')),
    Mistake("W_not_transposed", "linear_backward",
            "dA_prev uses W where W transposed is needed (it fails, or has the wrong values on square layers)",
            "dA_prev = np.dot(W.T, dZ): W is (n[l], n[l-1]), dZ is (n[l], m)",
            (("dA_prev = np.dot(W.T, dZ)", "dA_prev = np.dot(W, dZ)"),),
            zh=('dA_prev 在需要 W 的转置的地方用了 W（会出错，或者在方阵的层上得到错误的值）',
                'dA_prev = np.dot(W.T, dZ)：W 的形状是 (n[l], n[l-1])，dZ 的形状是 (n[l], m)')),
    # backward, through the activation
    Mistake("derivatives_swapped", "linear_activation_backward",
            "relu_backward and sigmoid_backward are swapped",
            'use relu_backward when activation == "relu" and sigmoid_backward when activation == "sigmoid"',
            (("dZ = relu_backward(dA, activation_cache)", "dZ = sigmoid_backward(dA, activation_cache)"),
             ("dZ = sigmoid_backward(dA, activation_cache)\n    else", "dZ = relu_backward(dA, activation_cache)\n    else")),
            zh=('relu_backward 和 sigmoid_backward 互换了',
                '当 activation == "relu" 时用 relu_backward，当 activation == "sigmoid" 时用 sigmoid_backward')),
    Mistake("derivative_skipped", "linear_activation_backward",
            "dZ is set to dA: the activation's derivative g'(Z) is skipped",
            "dZ = relu_backward(dA, activation_cache) or sigmoid_backward(dA, activation_cache)",
            (("dZ = relu_backward(dA, activation_cache)", "dZ = dA"),
             ("dZ = sigmoid_backward(dA, activation_cache)", "dZ = dA")),
            zh=("dZ 被设成了 dA：跳过了激活函数的导数 g'(Z)",
                'dZ = relu_backward(dA, activation_cache) 或 sigmoid_backward(dA, activation_cache)')),
    # backward, the whole network
    Mistake("dAL_wrong_sign", "L_model_backward",
            "dAL has the wrong sign",
            "dAL = -(Y / AL - (1 - Y) / (1 - AL))",
            (("dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))",
              "dAL = np.divide(Y, AL) - np.divide(1 - Y, 1 - AL)"),),
            zh=('dAL 的符号错了',
                'dAL = -(Y / AL - (1 - Y) / (1 - AL))')),
    Mistake("dZL_shortcut", "L_model_backward",
            "the output layer uses the shortcut dZ = AL - Y instead of dAL through sigmoid_backward; the shortcut "
            "is only right when AL is exactly sigmoid of the cached Z",
            'start from dAL = -(Y / AL - (1 - Y) / (1 - AL)) and call linear_activation_backward(dAL, caches[L - 1], "sigmoid")',
            (('dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))\n'
              '    dA_prev, dW, db = linear_activation_backward(dAL, caches[L - 1], "sigmoid")',
              'dZL = AL - Y\n    dA_prev, dW, db = linear_backward(dZL, caches[L - 1][0])'),),
            zh=('输出层用了捷径 dZ = AL - Y，而不是让 dAL 经过 sigmoid_backward；只有当 AL 恰好是缓存中 Z 的 sigmoid 时，这条捷径才是对的',
                '从 dAL = -(Y / AL - (1 - Y) / (1 - AL)) 开始，并调用 linear_activation_backward(dAL, caches[L - 1], "sigmoid")')),
    Mistake("relu_backward_on_output", "L_model_backward",
            "the output layer goes back through relu's derivative, but it ran a sigmoid forward",
            'call linear_activation_backward(dAL, caches[L - 1], "sigmoid") for layer L; "relu" only for layers '
            "L-1 ... 1",
            (('linear_activation_backward(dAL, caches[L - 1], "sigmoid")',
              'linear_activation_backward(dAL, caches[L - 1], "relu")'),),
            zh=('输出层反向传播时用的是 relu 的导数，但它的前向传播用的是 sigmoid',
                '对第 L 层调用 linear_activation_backward(dAL, caches[L - 1], "sigmoid")；只有第 L-1 ... 1 层用 "relu"')),
    Mistake("grads_numbered_by_layer", "L_model_backward",
            'grads["dA" + str(l)] holds layer l\'s dA_prev, so the keys run dA1 ... dAL (the numbering of an older '
            "version of the course) instead of dA0 ... dA{L-1}",
            'store layer l\'s dA_prev as grads["dA" + str(l - 1)]: the keys are dA0 ... dA{L-1}, dW1 ... dWL and '
            "db1 ... dbL",
            (('grads["dA" + str(L - 1)], grads["dW" + str(L)]', 'grads["dA" + str(L)], grads["dW" + str(L)]'),
             ('linear_activation_backward(grads["dA" + str(l)], caches[l - 1], "relu")',
              'linear_activation_backward(grads["dA" + str(l + 1)], caches[l - 1], "relu")'),
             ('grads["dA" + str(l - 1)], grads["dW" + str(l)]', 'grads["dA" + str(l)], grads["dW" + str(l)]')),
            zh=('grads["dA" + str(l)] 保存的是第 l 层的 dA_prev，所以键是 dA1 ... dAL（本课程旧版本的编号），而不是 dA0 ... dA{L-1}',
                '把第 l 层的 dA_prev 存为 grads["dA" + str(l - 1)]：键是 dA0 ... dA{L-1}、dW1 ... dWL 和 db1 ... dbL')),
    # update
    Mistake("learning_rate_ignored", "update_parameters",
            "the step is taken without the learning rate",
            "W = W - learning_rate * dW and b = b - learning_rate * db",
            (('- learning_rate * grads["dW" + str(l)]', '- grads["dW" + str(l)]'),
             ('- learning_rate * grads["db" + str(l)]', '- grads["db" + str(l)]')),
            zh=('更新的这一步没有乘以学习率',
                'W = W - learning_rate * dW 和 b = b - learning_rate * db')),
    Mistake("last_layer_not_updated", "update_parameters",
            "the loop stops before the last layer, so W and b of layer L are never updated",
            "loop over l = 1 ... L, i.e. range(1, L + 1) with L = len(parameters) // 2",
            (("range(1, L + 1)", "range(1, L)"),),
            zh=('循环在最后一层之前就停止了，所以第 L 层的 W 和 b 从未被更新',
                '让 l 取遍 1 ... L，即 range(1, L + 1)，其中 L = len(parameters) // 2')),
    # gradient checking
    Mistake("one_sided_difference", "numeric_gradient",
            "the numeric gradient is the one-sided difference (J(theta + epsilon) - J(theta)) / epsilon, whose error "
            "grows with epsilon, instead of the central difference",
            "compute J_minus at theta with epsilon subtracted from entry i, and take (J_plus - J_minus) / (2 * epsilon)",
            (("        theta_minus = np.copy(theta)\n"
              "        theta_minus[i] = theta_minus[i] - epsilon\n"
              "        AL_minus, _ = L_model_forward(X, vector_to_parameters(theta_minus, parameters))\n"
              "        J_minus = compute_cost(AL_minus, Y)\n"
              "        grad_approx[i] = (J_plus - J_minus) / (2 * epsilon)",
              "        AL, _ = L_model_forward(X, parameters)\n"
              "        J = compute_cost(AL, Y)\n"
              "        grad_approx[i] = (J_plus - J) / epsilon"),),
            zh=('数值梯度用的是单侧差分 (J(theta + epsilon) - J(theta)) / epsilon，它的误差随 epsilon 增大，而不是中心差分',
                '在第 i 个分量减去 epsilon 的 theta 处计算 J_minus，并取 (J_plus - J_minus) / (2 * epsilon)')),
    Mistake("difference_over_epsilon", "numeric_gradient",
            "the central difference J_plus - J_minus is divided by epsilon instead of 2 * epsilon, so every entry is "
            "twice the gradient",
            "the two costs are 2 * epsilon apart: grad_approx[i] = (J_plus - J_minus) / (2 * epsilon)",
            (("(J_plus - J_minus) / (2 * epsilon)", "(J_plus - J_minus) / epsilon"),),
            zh=('中心差分 J_plus - J_minus 除以的是 epsilon 而不是 2 * epsilon，所以每个分量都是梯度的两倍',
                '两个代价相隔 2 * epsilon：grad_approx[i] = (J_plus - J_minus) / (2 * epsilon)')),
    Mistake("theta_not_copied", "numeric_gradient",
            "theta is nudged in place (theta_plus = theta without a copy), so J_minus is taken back at theta itself "
            "and every entry comes out about half the gradient",
            "start each nudge from a copy: theta_plus = np.copy(theta) and theta_minus = np.copy(theta)",
            (("theta_plus = np.copy(theta)", "theta_plus = theta"),
             ("theta_minus = np.copy(theta)", "theta_minus = theta")),
            zh=('theta 被就地改动了（theta_plus = theta，没有复制），所以 J_minus 又是在 theta 本身处计算的，每个分量都约为梯度的一半',
                '每次微调都从一个副本开始：theta_plus = np.copy(theta)，theta_minus = np.copy(theta)')),
    Mistake("difference_not_normalized", "gradient_difference",
            "the difference is the plain norm ||grad - grad_approx||, not divided by ||grad|| + ||grad_approx||, so it "
            "depends on how large the gradients are",
            "divide by np.linalg.norm(grad) + np.linalg.norm(grad_approx)",
            (("difference = numerator / denominator", "difference = numerator"),),
            zh=('差值是普通的范数 ||grad - grad_approx||，没有除以 ||grad|| + ||grad_approx||，所以它取决于梯度有多大',
                '除以 np.linalg.norm(grad) + np.linalg.norm(grad_approx)')),
    Mistake("normalized_by_grad_only", "gradient_difference",
            "the difference is divided by ||grad|| alone instead of ||grad|| + ||grad_approx||",
            "denominator = np.linalg.norm(grad) + np.linalg.norm(grad_approx)",
            (("denominator = np.linalg.norm(grad) + np.linalg.norm(grad_approx)",
              "denominator = np.linalg.norm(grad)"),),
            zh=('差值只除以了 ||grad||，而不是 ||grad|| + ||grad_approx||',
                'denominator = np.linalg.norm(grad) + np.linalg.norm(grad_approx)')),
    # application
    Mistake("two_layer_fixed_learning_rate", "two_layer_model",
            "the learning_rate argument is ignored (a fixed number is used)",
            "pass the learning_rate argument to update_parameters",
            (("update_parameters(parameters, grads, learning_rate)", "update_parameters(parameters, grads, 0.0075)"),),
            zh=('参数 learning_rate 被忽略了（用的是一个固定的数）',
                '把参数 learning_rate 传给 update_parameters')),
    Mistake("cost_recorded_every_iteration", "L_layer_model",
            "the cost is recorded at every iteration instead of every 100th",
            "append the cost to costs only when i % 100 == 0",
            (("if i % 100 == 0:\n            costs.append(cost)", "costs.append(cost)"),),
            zh=('每次迭代都记录了代价，而不是每 100 次迭代记录一次',
                '只在 i % 100 == 0 时把代价加入 costs')),
    Mistake("deep_weights_times_0_01", "L_layer_model",
            "the deep model starts from weights scaled by 0.01 (initialize_parameters_deep), which makes the "
            "signal vanish through the layers, so training barely moves",
            "initialize with initialize_parameters_deep_scaled(layers_dims) (W scaled by 1/sqrt(n[l-1]))",
            (("parameters = initialize_parameters_deep_scaled(layers_dims)",
              "parameters = initialize_parameters_deep(layers_dims)"),),
            zh=('深层模型的初始权重乘以了 0.01（initialize_parameters_deep），这会让信号在层与层之间逐渐消失，所以训练几乎没有进展',
                '用 initialize_parameters_deep_scaled(layers_dims) 初始化（W 乘以 1/sqrt(n[l-1])）')),
)

BY_NAME = {m.name: m for m in CATALOG}


def chinese() -> dict[str, dict[str, str]]:
    """{mistake: {"says", "fix"}} in Chinese: what dnn_checks.MISTAKE_ZH holds in a Chinese release."""
    return {m.name: {"says": m.zh[0], "fix": m.zh[1]} for m in CATALOG}


def for_function(function: str) -> tuple[Mistake, ...]:
    return tuple(m for m in CATALOG if m.function == function)


def _calls(function: str) -> set[str]:
    """The graded functions `function` calls, directly or through others."""
    from .cases import DEPENDENCIES

    found: set[str] = set()
    for helper in DEPENDENCIES.get(function, ()):
        found |= {helper} | _calls(helper)
    return found


def rounds(functions) -> list[tuple[str, ...]]:
    """The catalog's mistakes of `functions` grouped so that each group can be made in one submission and each
    of its mistakes still shows as if made alone in a correct solution: no two mistakes of one function, and
    none in a function that another function of the group calls (a visible test runs a helper the reference
    never called with the student's own helper, which would then be wrong too)."""
    groups: list[list[str]] = []
    for function in functions:
        for mistake in for_function(function):
            for group in groups:
                others = {BY_NAME[name].function for name in group}
                if all(function != other and function not in _calls(other) and other not in _calls(function)
                       for other in others):
                    group.append(mistake.name)
                    break
            else:
                groups.append([mistake.name])
    return [tuple(g) for g in groups]
