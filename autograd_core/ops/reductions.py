"""Reductions along axes: sum, mean, max, min, logsumexp, softmax and their kin."""

from __future__ import annotations

from typing import Any

import numpy as np

from .core import LINEAR, _axes, _count, _kept_shape, _mask, _raw, _shape, along_axes, primitive
from .elementwise import abs as _abs
from .elementwise import exp, sqrt, where
from .shape import broadcast_to, diagonal, flip, reshape, transpose

# ---- reductions ----

def _sum_vjp(g: Any, out: Any, x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    return broadcast_to(g.reshape(_kept_shape(x.shape, axis)), x.shape)


sum = primitive(  # noqa: A001
    "sum", lambda x, axis=None, keepdims=False: np.add.reduce(x, axis=axis, keepdims=keepdims),
    vjp=(_sum_vjp,),
    jvp=LINEAR,
    normalize=along_axes(),
)


def _mean_vjp(g: Any, out: Any, x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    # divide the small cotangent before broadcasting it, not after
    return broadcast_to(g.reshape(_kept_shape(x.shape, axis)) / _count(x.shape, axis), x.shape)


# a primitive rather than sum / n: every loss ends in a mean, and this saves a node
mean_p = primitive(
    "mean", lambda x, axis=None, keepdims=False:
        np.add.reduce(x, axis=axis, keepdims=keepdims) / _count(np.shape(x), axis),
    vjp=(_mean_vjp,),
    jvp=LINEAR,
    normalize=along_axes(),
)


def _argmax_share(x: Any, out: Any, axis: Any) -> np.ndarray:
    """Where x attains its max (or min) along ``axis``, 1/(number of ties); 0 elsewhere."""
    hit = _raw(x) == _raw(out).reshape(_kept_shape(x.shape, axis))
    return _mask(hit / hit.sum(axis=axis, keepdims=True), out)


def _extremum_vjp(g: Any, out: Any, x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    return g.reshape(_kept_shape(x.shape, axis)) * _argmax_share(x, out, axis)


def _extremum_jvp(dx: Any, out: Any, x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    return (dx * _argmax_share(x, out, axis)).sum(axis=axis, keepdims=keepdims)


max = primitive(  # noqa: A001
    "max", lambda x, axis=None, keepdims=False: np.max(x, axis=axis, keepdims=keepdims),
    vjp=(_extremum_vjp,),
    jvp=(_extremum_jvp,),
    normalize=along_axes(),
)
min = primitive(  # noqa: A001
    "min", lambda x, axis=None, keepdims=False: np.min(x, axis=axis, keepdims=keepdims),
    vjp=(_extremum_vjp,),
    jvp=(_extremum_jvp,),
    normalize=along_axes(),
)


def _logsumexp(x: np.ndarray, axis: Any = None, keepdims: bool = False) -> np.ndarray:
    x = np.asarray(x)
    # initial=-inf: an empty slice has max -inf and logsumexp -inf, as log(0) says
    m = np.maximum.reduce(x, axis=axis, keepdims=True, initial=-np.inf)
    if not np.isfinite(m).all():
        m = np.where(np.isfinite(m), m, 0)  # a slice of all -inf must not give nan
    # shift by the max so exp cannot overflow
    if x.size:
        s = np.log(np.add.reduce(np.exp(x - m), axis=axis, keepdims=True)) + m
    else:  # log(0) of an empty slice is -inf, not a warning (errstate costs microseconds)
        with np.errstate(divide="ignore"):
            s = np.log(np.add.reduce(np.exp(x - m), axis=axis, keepdims=True)) + m
    if keepdims:
        return s
    return s.reshape(()) if axis is None else np.squeeze(s, axis=axis)


def _lse_weights(x: Any, out: Any, axis: Any) -> Any:
    """softmax(x) along ``axis``, recovered from the forward result as exp(x - out)."""
    return exp(x - out.reshape(_kept_shape(x.shape, axis)))


logsumexp = primitive(
    "logsumexp", _logsumexp,
    vjp=(lambda g, out, x, axis=None, keepdims=False:
         g.reshape(_kept_shape(x.shape, axis)) * _lse_weights(x, out, axis),),
    jvp=(lambda dx, out, x, axis=None, keepdims=False:
         (dx * _lse_weights(x, out, axis)).sum(axis=axis, keepdims=keepdims),),
    normalize=along_axes(),
)


def _softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    # shift by the max so exp cannot overflow (initial=-inf: an empty axis gives an empty result)
    e = np.exp(x - np.maximum.reduce(x, axis=axis, keepdims=True, initial=-np.inf))
    return e / np.add.reduce(e, axis=axis, keepdims=True)


softmax = primitive(
    "softmax", _softmax,
    vjp=(lambda g, out, x, axis=-1: out * (g - (g * out).sum(axis=axis, keepdims=True)),),
    jvp=(lambda dx, out, x, axis=-1: out * dx - out * (out * dx).sum(axis=axis, keepdims=True),),
    normalize=along_axes(),
)
log_softmax = primitive(
    "log_softmax", lambda x, axis=-1: x - _logsumexp(x, axis=axis, keepdims=True),
    vjp=(lambda g, out, x, axis=-1: g - exp(out) * g.sum(axis=axis, keepdims=True),),
    jvp=(lambda dx, out, x, axis=-1: dx - (exp(out) * dx).sum(axis=axis, keepdims=True),),
    normalize=along_axes(),
)



def _softmax_xent(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    return -np.sum(y * (x - _logsumexp(x, axis=axis, keepdims=True)), axis=axis)


def _xent_vjp_x(g: Any, out: Any, x: Any, y: Any, axis: int = -1) -> Any:
    g = g.reshape(_kept_shape(x.shape, axis))
    return g * (softmax(x, axis=axis) * y.sum(axis=axis, keepdims=True) - y)


# softmax cross-entropy fused into one node: -sum(y * log_softmax(x)) along axis, per sample
softmax_cross_entropy_p = primitive(
    "softmax_cross_entropy", _softmax_xent,
    vjp=(_xent_vjp_x,
         lambda g, out, x, y, axis=-1:
         -g.reshape(_kept_shape(x.shape, axis)) * log_softmax(x, axis=axis)),
    jvp=(lambda dx, out, x, y, axis=-1:
         (dx * (softmax(x, axis=axis) * y.sum(axis=axis, keepdims=True) - y)).sum(axis=axis),
         lambda dy, out, x, y, axis=-1: -(dy * log_softmax(x, axis=axis)).sum(axis=axis)),
    normalize=along_axes(),
)


# ---- composites ----


def softmax_cross_entropy(logits: Any, targets: Any, axis: int = -1) -> Any:
    """Per-sample cross-entropy of ``targets`` (probabilities or one-hot) and softmax(logits)."""
    return softmax_cross_entropy_p(logits, targets, axis=axis)


def mean(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Arithmetic mean over ``axis``."""
    return mean_p(x, axis=axis, keepdims=keepdims)


def var(x: Any, axis: Any = None, ddof: int = 0, keepdims: bool = False) -> Any:
    """Variance over ``axis`` (``ddof=1`` for the unbiased estimate)."""
    d = x - mean(x, axis=axis, keepdims=True)
    return sum(d * d, axis=axis, keepdims=keepdims) / (_count(_shape(x), axis) - ddof)


def std(x: Any, axis: Any = None, ddof: int = 0, keepdims: bool = False) -> Any:
    """Standard deviation over ``axis``."""
    return sqrt(var(x, axis=axis, ddof=ddof, keepdims=keepdims))


# ---- reductions: prod, cumsum, argmax, argmin, norm (issue 13) ----


def _others_product(x: Any, out: Any, axis: Any) -> Any:
    """For each element of x, the product of the other elements reduced with it."""
    if (_raw(x) != 0).all():
        return out.reshape(_kept_shape(x.shape, axis)) / x
    # a zero: divide nothing; multiply the n elements of each group n times, each time with
    # one of them replaced by 1 (n^2 work, only on inputs that hold a zero)
    axes = _axes(axis, x.ndim)
    keep = [i for i in range(x.ndim) if i not in axes]
    moved = transpose(x, [*keep, *axes])
    lead = tuple(x.shape[i] for i in keep)
    n = _count(x.shape, axis)
    flat = reshape(moved, (*lead, 1, n))
    others = prod_p(where(np.eye(n, dtype=bool), 1, broadcast_to(flat, (*lead, n, n))),
                    axis=-1, keepdims=False)
    back = reshape(others, moved.shape)
    return transpose(back, np.argsort([*keep, *axes]))


prod_p = primitive(
    "prod", lambda x, axis=None, keepdims=False: np.multiply.reduce(
        x, axis=axis, keepdims=keepdims),
    vjp=(lambda g, out, x, axis=None, keepdims=False:
         g.reshape(_kept_shape(x.shape, axis)) * _others_product(x, out, axis),),
    jvp=(lambda dx, out, x, axis=None, keepdims=False:
         (dx * _others_product(x, out, axis)).sum(axis=axis, keepdims=keepdims),),
)

# linear; the reverse of a running sum is the running sum from the other end
cumsum_p = primitive(
    "cumsum", lambda x, axis: np.cumsum(x, axis=axis),
    vjp=(lambda g, out, x, axis: flip(cumsum_p(flip(g, axis), axis=axis), axis),),
    jvp=(lambda dx, out, x, axis: cumsum_p(dx, axis=axis),),
)

# integer results: no derivative to carry, in either mode
argmax_p = primitive(
    "argmax", lambda x, axis=None, keepdims=False: np.argmax(x, axis=axis, keepdims=keepdims),
    vjp=(None,), jvp=(None,),
)
argmin_p = primitive(
    "argmin", lambda x, axis=None, keepdims=False: np.argmin(x, axis=axis, keepdims=keepdims),
    vjp=(None,), jvp=(None,),
)


def prod(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Product over ``axis`` (all axes when None)."""
    return prod_p(x, axis=_axis_param(axis), keepdims=bool(keepdims))


def _axis_param(axis: Any) -> Any:
    if axis is None or isinstance(axis, (int, np.integer)):
        return None if axis is None else int(axis)
    return tuple(int(a) for a in axis)


def cumsum(x: Any, axis: int | None = None) -> Any:
    """Running sum along ``axis`` (of the flattened array when None)."""
    if axis is None:
        return cumsum_p(reshape(x, -1), axis=0)
    return cumsum_p(x, axis=int(axis))


def argmax(x: Any, axis: int | None = None, keepdims: bool = False) -> np.ndarray:
    """Index of the largest value along ``axis`` (of the flattened array when None)."""
    return argmax_p(x, axis=None if axis is None else int(axis), keepdims=bool(keepdims))


def argmin(x: Any, axis: int | None = None, keepdims: bool = False) -> np.ndarray:
    """Index of the smallest value along ``axis`` (of the flattened array when None)."""
    return argmin_p(x, axis=None if axis is None else int(axis), keepdims=bool(keepdims))


def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:  # noqa: A002
    """Vector or Frobenius norm, as ``np.linalg.norm`` (ord None, 'fro', 1, 2, inf, -inf, p).

    The 2-norm is sqrt(sum(x^2)); its gradient at x = 0 is undefined (nan), as in NumPy's
    formula. Matrix norms other than Frobenius (ord 1, 2, inf, 'nuc' over two axes) are not
    provided."""
    shape = _shape(x)
    axes = _axes(axis, len(shape)) if axis is not None else tuple(range(len(shape)))
    matrix = axis is not None and not isinstance(axis, (int, np.integer)) and len(axes) == 2
    if axis is None and len(shape) == 2 and ord not in (None, "fro"):
        matrix = True
    if matrix and ord not in (None, "fro"):
        raise ValueError(f"norm: matrix norm ord={ord!r} is not supported (only None or 'fro');"
                         f" shape {shape}, axis {axis}")
    if not matrix and axis is not None and len(axes) > 1:
        raise ValueError(f"norm: axis {axis} names more than 2 axes (shape {shape})")
    if ord == "fro" and not matrix and axis is not None:
        raise ValueError(f"norm: ord='fro' needs 2 axes, got axis {axis}")
    red = axis if axis is not None else None
    if ord in (None, "fro", 2):
        return sqrt(sum(x * x, axis=red, keepdims=keepdims))
    a = _abs(x)
    if ord == np.inf:
        return max(a, axis=red, keepdims=keepdims)
    if ord == -np.inf:
        return min(a, axis=red, keepdims=keepdims)
    if ord == 1:
        return sum(a, axis=red, keepdims=keepdims)
    if isinstance(ord, (int, float, np.number)) and ord != 0:
        return sum(a ** ord, axis=red, keepdims=keepdims) ** (1.0 / ord)
    raise ValueError(f"norm: ord={ord!r} is not supported for a vector norm (shape {shape})")


def trace(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    """Sum of the diagonal of the (axis1, axis2) planes (as ``np.trace``)."""
    return sum(diagonal(x, offset, axis1, axis2), axis=-1)
