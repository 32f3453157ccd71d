"""Shape and indexing primitives: reshape, transpose, broadcast, getitem, concatenate."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .core import LINEAR, _raw, _shape, along_axes, primitive
from .elementwise import where

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
    # a loop, not any(<generator>): this runs once per slice in every backward pass
    for p in index if isinstance(index, tuple) else (index,):
        if isinstance(p, np.ndarray) and p.dtype.kind in "iu":
            return True
    return False


def _scatter_add(g: np.ndarray, shape: tuple[int, ...], index: Any) -> np.ndarray:
    """Zeros of ``shape`` with ``g`` added at ``index``; repeated indices accumulate."""
    g = np.asarray(g)
    z = np.zeros(shape, dtype=g.dtype)
    if _has_int_array(index):
        np.add.at(z, index, g)
    else:  # slices, integers and masks never select an element twice
        z[index] = g
    return z


def _add_at(buffer: np.ndarray, g: Any, out: Any, x: Any, index: Any) -> None:
    """Add ``g`` into ``buffer[index]`` in place; repeated indices accumulate (``np.add.at``)."""
    if _has_int_array(index):
        np.add.at(buffer, index, g)
    else:  # slices, integers and masks never select an element twice
        buffer[index] += g


# getitem and scatter_add are each other's reverse: together they give gradients of any order.
# A plain backward pass adds each slice's cotangent into the input's buffer instead (add=).
getitem = primitive(
    "getitem", lambda x, index: x[index],
    vjp=(lambda g, out, x, index: scatter_add(g, shape=x.shape, index=index),),
    jvp=LINEAR,
    add=(_add_at,),
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


# ---- shape and indexing: flip, pad and their composites (issue 13) ----


def _flip_axes(axis: Any, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"flip: axis {a} is out of range for an array of {ndim} dimensions")
    return tuple(int(a) % ndim for a in axes)


# its own reverse: flipping twice is the identity
flip_p = primitive(
    "flip", lambda x, axis=None: np.flip(x, _flip_axes(axis, np.ndim(x))),
    vjp=(lambda g, out, x, axis=None: flip_p(g, axis=axis),),
    jvp=(lambda dx, out, x, axis=None: flip_p(dx, axis=axis),),
)


def _pad(x: np.ndarray, pad_width: tuple[tuple[int, int], ...], constant_values: float = 0
         ) -> np.ndarray:
    x = np.asarray(x)
    if not pad_width:  # a 0-d array: nothing to pad (np.pad rejects the empty width)
        return x.copy()
    return np.pad(x, pad_width, constant_values=constant_values)  # keeps x's dtype


def _unpad(g: Any, pad_width: tuple[tuple[int, int], ...]) -> Any:
    return g[tuple(slice(a, g.shape[i] - b) for i, (a, b) in enumerate(pad_width))]


# the padding is a constant: its tangent is zero, so the JVP pads the tangent with zeros
pad_p = primitive(
    "pad", _pad,
    vjp=(lambda g, out, x, pad_width, constant_values=0: _unpad(g, pad_width),),
    jvp=(lambda dx, out, x, pad_width, constant_values=0: pad_p(dx, pad_width=pad_width),),
)


def flip(x: Any, axis: int | Sequence[int] | None = None) -> Any:
    """Reverse the order of elements along ``axis`` (all axes when None)."""
    if axis is not None and not isinstance(axis, (int, np.integer)):
        axis = tuple(int(a) for a in axis)
    return flip_p(x, axis=axis)


def _pad_widths(pad_width: Any, ndim: int) -> tuple[tuple[int, int], ...]:
    """NumPy's pad_width forms (n, (before, after), or one pair per axis) as one pair per axis."""
    try:
        widths = np.broadcast_to(np.asarray(pad_width, dtype=int).reshape(
            (-1, 2) if np.ndim(pad_width) == 2 else (-1,) if np.ndim(pad_width) == 1 else ()),
            (ndim, 2))
    except ValueError:
        raise ValueError(f"pad: pad_width {pad_width!r} does not fit an array of {ndim} "
                         "dimensions (give n, (before, after), or one pair per axis)") from None
    if (widths < 0).any():
        raise ValueError(f"pad: pad_width {pad_width!r} has a negative size")
    return tuple((int(a), int(b)) for a, b in widths)


def pad(x: Any, pad_width: Any, mode: str = "constant", constant_values: float = 0) -> Any:
    """Pad with a constant (NumPy's ``np.pad`` in ``"constant"`` mode)."""
    if mode != "constant":
        raise ValueError(f"pad: only mode='constant' is supported, got mode={mode!r}")
    widths = _pad_widths(pad_width, len(_shape(x)))
    return pad_p(x, pad_width=widths, constant_values=float(constant_values))


def _axis_of(op: str, axis: int, ndim: int) -> int:
    if not -ndim <= axis < ndim:
        raise ValueError(f"{op}: axis {axis} is out of range for an array of {ndim} dimensions")
    return int(axis) % ndim


def tile(x: Any, reps: int | Sequence[int]) -> Any:
    """``x`` repeated ``reps`` times along each axis, as ``np.tile``."""
    reps = (int(reps),) if isinstance(reps, (int, np.integer)) else tuple(int(r) for r in reps)
    shape = _shape(x)
    d = max(len(reps), len(shape))
    shape, reps = (1,) * (d - len(shape)) + shape, (1,) * (d - len(reps)) + reps
    # (1, n0, 1, n1, ...) broadcast to (r0, n0, r1, n1, ...): the copies sit before each axis
    inter = tuple(v for n in shape for v in (1, n))
    big = tuple(v for r, n in zip(reps, shape) for v in (r, n))
    out = broadcast_to(reshape(x, inter), big)
    return reshape(out, tuple(r * n for r, n in zip(reps, shape)))


def repeat(x: Any, repeats: int | Sequence[int], axis: int | None = None) -> Any:
    """Repeat each element ``repeats`` times along ``axis`` (flattened when None)."""
    if axis is None:
        x, axis = reshape(x, -1), 0
    shape = _shape(x)
    ax = _axis_of("repeat", axis, len(shape))
    try:
        picks = np.repeat(np.arange(shape[ax]), repeats)
    except ValueError:
        raise ValueError(f"repeat: repeats {repeats!r} do not fit axis {axis} of length "
                         f"{shape[ax]} (shape {shape})") from None
    return getitem(x, index=(slice(None),) * ax + (picks,))


def _along_axis_index(indices: np.ndarray, axis: int) -> tuple[np.ndarray, ...]:
    """The full integer index that picks ``indices`` along ``axis`` (np.take_along_axis's)."""
    grids = np.ogrid[tuple(slice(n) for n in indices.shape)]
    return tuple(indices if i == axis else grids[i] for i in range(indices.ndim))


def take_along_axis(x: Any, indices: Any, axis: int | None) -> Any:
    """Pick values along ``axis`` at ``indices`` (as ``np.take_along_axis``)."""
    indices = _raw(indices)
    if indices.dtype.kind not in "iu":
        raise TypeError(f"take_along_axis: indices must be integers, got {indices.dtype}")
    if axis is None:
        x, axis = reshape(x, -1), 0
    shape = _shape(x)
    if indices.ndim != len(shape):
        raise ValueError(f"take_along_axis: indices of shape {indices.shape} and x of shape "
                         f"{shape} must have the same number of dimensions")
    ax = _axis_of("take_along_axis", axis, len(shape))
    target = tuple(n if i == ax else m for i, (n, m) in enumerate(zip(indices.shape, shape)))
    try:
        indices = np.broadcast_to(indices, np.broadcast_shapes(indices.shape, target))
    except ValueError:
        raise ValueError(f"take_along_axis: indices of shape {indices.shape} do not broadcast "
                         f"against x of shape {shape} off axis {axis}") from None
    if indices.shape != target:  # x broadcasts to the indices' shape off the axis
        x = broadcast_to(x, tuple(n if i == ax else m for i, (n, m) in
                                  enumerate(zip(shape, indices.shape))))
    return getitem(x, index=_along_axis_index(indices, ax))


def sort(x: Any, axis: int | None = -1) -> Any:
    """Sorted copy along ``axis`` (flattened when None); the gradient follows each element."""
    if axis is None:
        x, axis = reshape(x, -1), 0
    order = np.argsort(_raw(x), axis=axis, kind="stable")
    return take_along_axis(x, order, axis)


def diagonal(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    """The diagonal of the (axis1, axis2) planes, on the last axis (as ``np.diagonal``)."""
    shape = _shape(x)
    if len(shape) < 2:
        raise ValueError(f"diagonal: needs at least 2 dimensions, got shape {shape}")
    a1, a2 = _axis_of("diagonal", axis1, len(shape)), _axis_of("diagonal", axis2, len(shape))
    if a1 == a2:
        raise ValueError(f"diagonal: axis1 and axis2 are the same axis ({axis1}, {axis2})")
    rest = [i for i in range(len(shape)) if i not in (a1, a2)]
    moved = transpose(x, [*rest, a1, a2])
    n1, n2 = shape[a1], shape[a2]
    rows = np.arange(max(0, -offset), min(n1, n2 - offset)) if -n1 < offset < n2 else \
        np.arange(0)
    return getitem(moved, index=(Ellipsis, rows, rows + offset))


def _triangle(op: str, x: Any, k: int, lower: bool) -> Any:
    shape = _shape(x)
    if len(shape) < 2:
        raise ValueError(f"{op}: needs at least 2 dimensions, got shape {shape}")
    keep = np.tri(shape[-2], shape[-1], k, dtype=bool)
    return where(keep if lower else ~np.tri(shape[-2], shape[-1], k - 1, dtype=bool), x, 0)


def tril(x: Any, k: int = 0) -> Any:
    """Zero the elements above the ``k``-th diagonal of the last two axes."""
    return _triangle("tril", x, k, lower=True)


def triu(x: Any, k: int = 0) -> Any:
    """Zero the elements below the ``k``-th diagonal of the last two axes."""
    return _triangle("triu", x, k, lower=False)
