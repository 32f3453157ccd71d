"""Shape and indexing primitives: reshape, transpose, broadcast, getitem, concatenate."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .core import LINEAR, _shape, along_axes, primitive

# ---- shape and indexing ----

reshape_p = primitive(
    "reshape", lambda x, shape: np.reshape(x, shape),
    vjp=(lambda g, out, x, shape: g.reshape(x.shape),),
    jvp=LINEAR,
)
transpose_p = primitive(
    "transpose", lambda x, axes=None: np.transpose(x, axes),
    vjp=(lambda g, out, x, axes=None:
         g.transpose(None if axes is None else tuple(np.argsort(axes))),),
    jvp=LINEAR,
    normalize=along_axes("axes"),
)
broadcast_to_p = primitive(
    "broadcast_to", lambda x, shape: np.broadcast_to(x, shape),
    vjp=(lambda g, out, x, shape: g,),  # the engine sums the cotangent back to x's shape
    jvp=LINEAR,
)


def _has_int_array(index: Any) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return any(isinstance(p, np.ndarray) and p.dtype.kind in "iu" for p in parts)


def _scatter_add(g: np.ndarray, shape: tuple[int, ...], index: Any) -> np.ndarray:
    """Zeros of ``shape`` with ``g`` added at ``index``; repeated indices accumulate."""
    g = np.asarray(g)
    z = np.zeros(shape, dtype=g.dtype)
    if _has_int_array(index):
        np.add.at(z, index, g)
    else:  # slices, integers and masks never select an element twice
        z[index] = g
    return z


# getitem and scatter_add are each other's reverse: together they give gradients of any order
getitem = primitive(
    "getitem", lambda x, index: x[index],
    vjp=(lambda g, out, x, index: scatter_add(g, shape=x.shape, index=index),),
    jvp=LINEAR,
)
scatter_add = primitive(
    "scatter_add", _scatter_add,
    vjp=(lambda g, out, x, shape, index: g[index],),
    jvp=LINEAR,
)


def _concat_slice(xs: Sequence[Any], argnum: int, axis: int) -> tuple[slice, ...]:
    ax = axis % len(xs[0].shape)
    start = int(np.sum([x.shape[ax] for x in xs[:argnum]], dtype=int))
    return (slice(None),) * ax + (slice(start, start + xs[argnum].shape[ax]),)


def _concatenate(*xs: np.ndarray, axis: int = 0) -> np.ndarray:
    return np.concatenate(xs, axis=axis)


concatenate_p = primitive(
    "concatenate", _concatenate,
    vjp=lambda g, out, *xs, argnum, axis=0: g[_concat_slice(xs, argnum, axis)],
    jvp=lambda dx, out, *xs, argnum, axis=0:
        scatter_add(dx, shape=out.shape, index=_concat_slice(xs, argnum, axis)),
    variadic=True,
    normalize=along_axes(),
)


# ---- composites ----


def reshape(x: Any, *shape: Any) -> Any:
    """``x`` with a new shape of the same size (one entry may be -1)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return reshape_p(x, shape=tuple(int(n) for n in shape))


def transpose(x: Any, axes: Sequence[int] | None = None) -> Any:
    """Permute axes (reverse them when ``axes`` is None)."""
    return transpose_p(x, axes=None if axes is None else tuple(int(a) for a in axes))


def swapaxes(x: Any, axis1: int, axis2: int) -> Any:
    """Exchange two axes."""
    order = list(range(len(_shape(x))))
    order[axis1], order[axis2] = order[axis2], order[axis1]
    return transpose(x, order)


def expand_dims(x: Any, axis: int | Sequence[int]) -> Any:
    """Insert axes of length 1 at ``axis``."""
    return reshape(x, np.expand_dims(np.empty(_shape(x), dtype=bool), axis).shape)


def squeeze(x: Any, axis: int | Sequence[int] | None = None) -> Any:
    """Remove axes of length 1 (only ``axis`` when given)."""
    try:
        shape = np.squeeze(np.empty(_shape(x), dtype=bool), axis).shape
    except ValueError as e:
        raise ValueError(f"squeeze: {e} (shape {_shape(x)})") from None
    return reshape(x, shape)


def broadcast_to(x: Any, shape: Sequence[int]) -> Any:
    """``x`` repeated along broadcast axes to ``shape``."""
    return broadcast_to_p(x, shape=tuple(int(n) for n in shape))


def concatenate(xs: Sequence[Any], axis: int = 0) -> Any:
    """Join a sequence along an existing axis."""
    xs = tuple(xs)
    if not xs:
        raise ValueError("concatenate: needs at least one input")
    return concatenate_p(*xs, axis=axis)


def stack(xs: Sequence[Any], axis: int = 0) -> Any:
    """Join a sequence along a new axis."""
    xs = tuple(xs)
    if not xs:
        raise ValueError("stack: needs at least one input")
    shapes = {_shape(x) for x in xs}
    if len(shapes) > 1:
        raise ValueError(f"stack: all inputs must have the same shape, got {sorted(shapes)}")
    return concatenate([expand_dims(x, axis) for x in xs], axis=axis)


def split(x: Any, indices_or_sections: int | Sequence[int], axis: int = 0) -> list[Any]:
    """Split into pieces along ``axis``: n equal sections, or at the given indices."""
    shape = _shape(x)
    ax = axis % len(shape)
    n = shape[ax]
    if isinstance(indices_or_sections, (int, np.integer)):
        k = int(indices_or_sections)
        if k <= 0 or n % k:
            raise ValueError(
                f"split: axis {axis} of length {n} does not split into {k} equal parts"
            )
        bounds = list(range(0, n + 1, n // k))
    else:
        bounds = [0, *[int(i) for i in indices_or_sections], n]
    lead = (slice(None),) * ax
    return [getitem(x, index=lead + (slice(a, b),)) for a, b in zip(bounds[:-1], bounds[1:])]
