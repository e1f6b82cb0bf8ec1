"""dA_prev = W.T @ dZ, computed the first time it is used.

Given to students: nothing to write here. In this assignment `linear_backward` (dnn_app_utils.py) returns
dA_prev as a DeferredProduct. Training never uses dA0, the gradient with respect to the images: a
(12288, m) product that would cost about a third of every training step. A DeferredProduct behaves as the
array np.dot(W.T, dZ): numpy functions, operators, indexing, .shape, .T, printing. It computes the product
when first needed (with the W and dZ it was given) and keeps it, so the values are the ones
np.dot(W.T, dZ) gives. isinstance(x, np.ndarray) is False for it; np.asarray(x) gives the plain array.
"""
import numpy as np
from numpy.lib.mixins import NDArrayOperatorsMixin


class DeferredProduct(NDArrayOperatorsMixin):
    """np.dot(W.T, dZ), computed on first use. W -- (n, n_prev); dZ -- (n, m); the product is (n_prev, m)."""

    def __init__(self, W, dZ):
        # copies: an in-place update of W after the backward step must not change this gradient
        self._W, self._dZ = np.array(W, copy=True), np.array(dZ, copy=True)
        self._value = None

    @property
    def value(self):
        """The product as a plain numpy array (computed now if it was not yet)."""
        if self._value is None:
            self._value = np.dot(self._W.T, self._dZ)
            self._W = self._dZ = None
        return self._value

    @property
    def computed(self):
        return self._value is not None

    @property
    def shape(self):
        return self.value.shape if self.computed else (self._W.shape[1], self._dZ.shape[1])

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return int(np.prod(self.shape))

    @property
    def dtype(self):
        return self.value.dtype if self.computed else np.result_type(self._W, self._dZ)

    def __array__(self, dtype=None, copy=None):
        value = self.value if dtype is None else self.value.astype(dtype, copy=False)
        return value.copy() if copy else value

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        def plain(x):
            return x.value if isinstance(x, DeferredProduct) else x

        if "out" in kwargs:
            kwargs["out"] = tuple(plain(x) for x in kwargs["out"])
        return getattr(ufunc, method)(*(plain(x) for x in inputs), **kwargs)

    def __getattr__(self, name):
        # everything else an array has (.T, .sum, .reshape, ...) is the computed array's
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.value, name)

    def __getitem__(self, key):
        return self.value[key]

    def __setitem__(self, key, item):
        self.value[key] = item

    def __len__(self):
        return self.shape[0]

    def __iter__(self):
        return iter(self.value)

    def __bool__(self):
        return bool(self.value)

    def __repr__(self):
        return repr(self.value)

    def __str__(self):
        return str(self.value)
