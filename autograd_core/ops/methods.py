"""The operator and method surface shared by Tensor and Dual, routed through the op table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import numpy_api
from .core import _raw
from .elementwise import (
    abs,
    add,
    astype,
    clip,
    cos,
    divide,
    elu,
    exp,
    leaky_relu,
    log,
    log1p,
    multiply,
    negative,
    power,
    relu,
    sigmoid,
    sin,
    softplus,
    sqrt,
    subtract,
    tanh,
)
from .elementwise import round as _round
from .linalg import dot, matmul
from .reductions import (
    argmax,
    argmin,
    cumsum,
    log_softmax,
    logsumexp,
    max,
    mean,
    min,
    prod,
    softmax,
    std,
    sum,
    trace,
    var,
)
from .shape import (
    broadcast_to,
    diagonal,
    expand_dims,
    getitem,
    repeat,
    reshape,
    sort,
    squeeze,
    swapaxes,
    transpose,
)


def normalize_index(index: Any) -> Any:
    """Turn Tensors and lists inside an index into NumPy arrays, so it can be stored and reused."""
    if isinstance(index, tuple):
        return tuple(normalize_index(i) for i in index)
    if isinstance(index, ArrayMethods):
        return _raw(index)
    if isinstance(index, list):
        return np.asarray(index)
    return index


class ArrayMethods:
    """Operators and NumPy-named methods, all routed through the op table."""

    __slots__ = ()
    # NumPy's functions route to the op table (ndarray + Tensor still ends in Tensor.__radd__)
    __array_ufunc__ = numpy_api.array_ufunc
    __array_function__ = numpy_api.array_function

    def __add__(self, other: Any) -> Any: return add(self, other)
    def __radd__(self, other: Any) -> Any: return add(other, self)
    def __sub__(self, other: Any) -> Any: return subtract(self, other)
    def __rsub__(self, other: Any) -> Any: return subtract(other, self)
    def __mul__(self, other: Any) -> Any: return multiply(self, other)
    def __rmul__(self, other: Any) -> Any: return multiply(other, self)
    def __truediv__(self, other: Any) -> Any: return divide(self, other)
    def __rtruediv__(self, other: Any) -> Any: return divide(other, self)
    def __pow__(self, other: Any) -> Any: return power(self, other)
    def __rpow__(self, other: Any) -> Any: return power(other, self)
    def __matmul__(self, other: Any) -> Any: return matmul(self, other)
    def __rmatmul__(self, other: Any) -> Any: return matmul(other, self)
    def __neg__(self) -> Any: return negative(self)
    def __pos__(self) -> Any: return self
    def __abs__(self) -> Any: return abs(self)
    def __getitem__(self, index: Any) -> Any: return getitem(self, index=normalize_index(index))

    def exp(self) -> Any: return exp(self)
    def log(self) -> Any: return log(self)
    def log1p(self) -> Any: return log1p(self)
    def sqrt(self) -> Any: return sqrt(self)
    def abs(self) -> Any: return abs(self)
    def sin(self) -> Any: return sin(self)
    def cos(self) -> Any: return cos(self)
    def tanh(self) -> Any: return tanh(self)
    def sigmoid(self) -> Any: return sigmoid(self)
    def relu(self) -> Any: return relu(self)
    def leaky_relu(self, alpha: float = 0.01) -> Any: return leaky_relu(self, alpha=alpha)
    def elu(self, alpha: float = 1.0) -> Any: return elu(self, alpha=alpha)
    def softplus(self) -> Any: return softplus(self)
    def clip(self, a_min: Any = None, a_max: Any = None) -> Any:
        return clip(self, a_min=a_min, a_max=a_max)
    def astype(self, dtype: Any) -> Any: return astype(self, dtype=np.dtype(dtype))
    def round(self, decimals: int = 0) -> Any: return _round(self, decimals)
    def __round__(self, ndigits: int | None = None) -> Any: return _round(self, ndigits or 0)

    def sum(self, axis: Any = None, keepdims: bool = False) -> Any:
        return sum(self, axis=axis, keepdims=keepdims)
    def mean(self, axis: Any = None, keepdims: bool = False) -> Any:
        return mean(self, axis=axis, keepdims=keepdims)
    def max(self, axis: Any = None, keepdims: bool = False) -> Any:
        return max(self, axis=axis, keepdims=keepdims)
    def min(self, axis: Any = None, keepdims: bool = False) -> Any:
        return min(self, axis=axis, keepdims=keepdims)
    def var(self, axis: Any = None, ddof: int = 0, keepdims: bool = False) -> Any:
        return var(self, axis=axis, ddof=ddof, keepdims=keepdims)
    def std(self, axis: Any = None, ddof: int = 0, keepdims: bool = False) -> Any:
        return std(self, axis=axis, ddof=ddof, keepdims=keepdims)
    def logsumexp(self, axis: Any = None, keepdims: bool = False) -> Any:
        return logsumexp(self, axis=axis, keepdims=keepdims)
    def softmax(self, axis: int = -1) -> Any: return softmax(self, axis=axis)
    def prod(self, axis: Any = None, keepdims: bool = False) -> Any:
        return prod(self, axis=axis, keepdims=keepdims)
    def cumsum(self, axis: int | None = None) -> Any: return cumsum(self, axis)
    def argmax(self, axis: int | None = None, keepdims: bool = False) -> Any:
        return argmax(self, axis, keepdims)
    def argmin(self, axis: int | None = None, keepdims: bool = False) -> Any:
        return argmin(self, axis, keepdims)
    def trace(self, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
        return trace(self, offset, axis1, axis2)
    def diagonal(self, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
        return diagonal(self, offset, axis1, axis2)
    def dot(self, other: Any) -> Any: return dot(self, other)
    def log_softmax(self, axis: int = -1) -> Any: return log_softmax(self, axis=axis)

    def reshape(self, *shape: Any) -> Any: return reshape(self, *shape)
    def transpose(self, *axes: Any) -> Any:
        if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))):
            axes = axes[0]
        return transpose(self, axes or None)
    def swapaxes(self, axis1: int, axis2: int) -> Any: return swapaxes(self, axis1, axis2)
    def expand_dims(self, axis: Any) -> Any: return expand_dims(self, axis)
    def squeeze(self, axis: Any = None) -> Any: return squeeze(self, axis)
    def broadcast_to(self, shape: Sequence[int]) -> Any: return broadcast_to(self, shape)
    def flatten(self) -> Any: return reshape(self, -1)
    def repeat(self, repeats: Any, axis: int | None = None) -> Any:
        return repeat(self, repeats, axis)
    def sort(self, axis: int | None = -1) -> Any:
        """A sorted copy (NumPy's ndarray.sort sorts in place; a graph node cannot)."""
        return sort(self, axis)

    @property
    def T(self) -> Any:  # noqa: N802 - NumPy's name
        return transpose(self)
