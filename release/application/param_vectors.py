"""Given code for the gradient check: a network's parameters (or their gradients) as one column vector.

Nothing to write here. The vector lists W1, b1, W2, b2, ..., WL, bL in that order, whatever the order of
the dict's keys, each array flattened row by row (numpy's default C order). With n the total number of
parameters, every vector here has shape (n, 1).
"""
import math

import numpy as np


def _layout(parameters):
    """[(name, shape), ...] in vector order: W1, b1, ..., WL, bL, with L = len(parameters) // 2."""
    L = len(parameters) // 2
    layout = []
    for l in range(1, L + 1):
        for name in ("W" + str(l), "b" + str(l)):
            if name not in parameters:
                raise KeyError(f"parameters has no {name!r}: expected the keys W1, b1, ..., W{L}, b{L}")
            layout.append((name, np.shape(parameters[name])))
    return layout


def parameters_to_vector(parameters):
    """parameters -- dict "W1", "b1", ..., "WL", "bL". Returns theta, (n, 1): a new array of all of them."""
    pieces = [np.asarray(parameters[name], dtype=float).reshape(-1, 1) for name, _ in _layout(parameters)]
    return np.concatenate(pieces, axis=0)


def vector_to_parameters(theta, like):
    """Inverse of parameters_to_vector.

    theta -- (n, 1) (or (n,)); like -- a parameters dict that gives the keys and shapes.
    Returns a new dict with the keys of `like`, in its order, each array of the shape it has in `like`.
    """
    values = np.asarray(theta, dtype=float).reshape(-1)
    layout = _layout(like)
    n = sum(math.prod(shape) for _, shape in layout)
    if values.size != n:
        raise ValueError(f"theta has {values.size} values, the parameters have {n}")
    arrays, start = {}, 0
    for name, shape in layout:
        size = math.prod(shape)
        arrays[name] = values[start:start + size].reshape(shape).copy()
        start += size
    return {name: arrays[name] for name in like}


def gradients_to_vector(grads, parameters):
    """grads -- dict from L_model_backward (its dA keys are ignored); parameters -- the matching parameters.

    Returns grad, (n, 1): dW1, db1, ..., dWL, dbL in the order of parameters_to_vector.
    """
    pieces = []
    for name, shape in _layout(parameters):
        key = "d" + name
        if key not in grads:
            raise KeyError(f"grads has no {key!r}")
        value = np.asarray(grads[key], dtype=float)
        if value.size != math.prod(shape):
            raise ValueError(f"grads[{key!r}] has shape {value.shape}, but {name} has shape {shape}")
        pieces.append(value.reshape(-1, 1))
    return np.concatenate(pieces, axis=0)


def vector_labels(parameters):
    """The name of every entry of parameters_to_vector(parameters): ["W1[0, 0]", "W1[0, 1]", ..., "bL[0, 0]"]."""
    return [f"{name}[{', '.join(str(i) for i in index)}]"
            for name, shape in _layout(parameters) for index in np.ndindex(*shape)]
