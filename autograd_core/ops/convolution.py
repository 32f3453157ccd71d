"""Convolution and pooling, channels-last like Keras: x is (N, *spatial, C).

Design. One linear primitive does the window bookkeeping: ``windows`` turns x (N, *spatial,
C) into its sliding windows (N, *out, *window, C), a strided view of x (``as_strided``: no
copy; a one-channel x is copied window-major instead, see ``_window_major``); its reverse is
its transpose ``window_sum`` ("col2im"), which adds each window's cotangent back where the
window was read, one vectorised slice-add per kernel offset (KH*KW of them, never one per
pixel). ``windows`` and ``window_sum`` are each other's reverse, as getitem and scatter_add
are, so gradients of every order work.

Convolution is a primitive of its own, ``conv`` (``conv_bias`` with the bias added in the same
node): forward, im2col (windows reshaped to (rows, KH*KW*C_in)) times the kernel reshaped to
(KH*KW*C_in, C_out), one BLAS call per chunk of the batch, the im2col buffer built at most
``_CHUNK`` elements at a time and dropped at once. Its reverse rules are its two transposes,
``conv_input_grad`` (cotangent times kernel, then col2im) and ``conv_kernel_grad`` (im2col
rebuilt, transposed, times the cotangent), and the three are bilinear, each one's rules made of
the other two (as matmul's rules are matmuls), so every order of derivative works and the
op-table tests check all three. Composed from windows -> reshape -> matmul instead, the graph
would hold the im2col buffer, KH*KW times the input (3.5 MiB of the LeNet step's 12 MiB), until
backward; rebuilding it in reverse costs one copy, about a tenth of the step.

    max pool pad with -inf -> ``max_pool``: a running np.maximum over strided slices, one
             spatial axis after the other (ties share the gradient, as ``max`` does); its
             reverse writes each window offset's share of the cotangent in place
    avg pool windows -> mean over the window axes; with "same" padding, sum / the number of
             real (unpadded) elements in each window, as Keras does. When the windows tile the
             input (strides == pool_size, the usual case) a reshape to (N, OH, KH, OW, KW, C)
             replaces the windows primitive: the same values, and a reverse with no scatter.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .core import _raw, _shape, primitive
from .elementwise import divide
from .reductions import mean as _mean
from .reductions import sum as _sum
from .shape import getitem, pad, reshape

# ---- the sliding-window primitive and its transpose ----


def _out_sizes(spatial: Sequence[int], window: Sequence[int], strides: Sequence[int],
               dilation: Sequence[int]) -> tuple[int, ...]:
    return tuple((n - (k - 1) * d - 1) // s + 1
                 for n, k, s, d in zip(spatial, window, strides, dilation))


def _windows(x: np.ndarray, window: tuple[int, ...], strides: tuple[int, ...],
             dilation: tuple[int, ...]) -> np.ndarray:
    x = np.asarray(x)
    nd = len(window)
    out = _out_sizes(x.shape[1:1 + nd], window, strides, dilation)
    if min(out, default=1) < 1:
        raise ValueError(f"windows: window {window} (dilation {dilation}) does not fit the "
                         f"spatial size {x.shape[1:1 + nd]}")
    if x.shape[-1] == 1:
        return _window_major(x, out, window, strides, dilation)
    st = x.strides
    return as_strided(
        x, shape=(x.shape[0], *out, *window, x.shape[-1]),
        strides=(st[0], *(st[1 + i] * s for i, s in enumerate(strides)),
                 *(st[1 + i] * d for i, d in enumerate(dilation)), st[-1]),
        writeable=False,  # a view of x: writing through it would change x
    )


def _window_major(x: np.ndarray, out: tuple[int, ...], window: tuple[int, ...],
                  strides: tuple[int, ...], dilation: tuple[int, ...]) -> np.ndarray:
    """The windows of a one-channel x, copied window-major, into (*window, N, *out) memory,
    and seen as (N, *out, *window, 1). The im2col reshape of that is then a free view (a
    Fortran-ordered matrix BLAS takes as it is), where a copy of the (N, *out, *window) view
    would move KW floats at a time: 6x faster for a first convolution layer on grey images."""
    nd = len(window)
    st = x.strides
    view = as_strided(x, shape=(*window, x.shape[0], *out),
                      strides=(*(st[1 + i] * d for i, d in enumerate(dilation)), st[0],
                               *(st[1 + i] * s for i, s in enumerate(strides))))
    buf = np.ascontiguousarray(view)  # one copy call: rows of OW floats, no loop in Python
    order = (nd, *range(nd + 1, 2 * nd + 1), *range(nd))
    return buf.transpose(order)[..., None]


def _offset_slices(out: Sequence[int], window: Sequence[int], strides: Sequence[int],
                   dilation: Sequence[int]) -> tuple[tuple[tuple[int, ...], tuple[slice, ...]],
                                                     ...]:
    """Per kernel offset, where it reads x for every output position at once (cached: a
    convolution in chunks of the batch asks again for every chunk)."""
    return _slices(tuple(out), tuple(window), tuple(strides), tuple(dilation))


@functools.lru_cache(maxsize=256)
def _slices(out: tuple[int, ...], window: tuple[int, ...], strides: tuple[int, ...],
            dilation: tuple[int, ...]) -> tuple[tuple[tuple[int, ...], tuple[slice, ...]], ...]:
    return tuple((offset, tuple(slice(o * d, o * d + s * (n - 1) + 1, s)
                                for o, n, s, d in zip(offset, out, strides, dilation)))
                 for offset in np.ndindex(*window))


def _window_sum(g: np.ndarray, shape: tuple[int, ...], window: tuple[int, ...],
                strides: tuple[int, ...], dilation: tuple[int, ...]) -> np.ndarray:
    g = np.asarray(g)
    nd = len(window)
    out = g.shape[1:1 + nd]
    # batch next to the channels, (*window, *out, N, C) and (*spatial, N, C): each offset's
    # add then runs over long contiguous rows, not C floats at a time (2x faster)
    gt = np.ascontiguousarray(np.moveaxis(g, 0, -2).transpose(
        *range(nd, 2 * nd), *range(nd), 2 * nd, 2 * nd + 1))
    z = np.zeros((*shape[1:1 + nd], shape[0], shape[-1]), dtype=g.dtype)
    for offset, at in _offset_slices(out, window, strides, dilation):  # one add per offset
        z[at] += gt[offset]
    return np.ascontiguousarray(np.moveaxis(z, -2, 0))


windows_p = primitive(
    "windows", _windows,
    vjp=(lambda g, out, x, window, strides, dilation:
         window_sum_p(g, shape=x.shape, window=window, strides=strides, dilation=dilation),),
    jvp=(lambda dx, out, x, window, strides, dilation:
         windows_p(dx, window=window, strides=strides, dilation=dilation),),
)
window_sum_p = primitive(
    "window_sum", _window_sum,
    vjp=(lambda g, out, x, shape, window, strides, dilation:
         windows_p(g, window=window, strides=strides, dilation=dilation),),
    jvp=(lambda dx, out, x, shape, window, strides, dilation:
         window_sum_p(dx, shape=shape, window=window, strides=strides, dilation=dilation),),
)




# ---- convolution: one primitive and its two transposes ----

# im2col is built this many elements at a time (1 MiB of float32): a batch is convolved in
# chunks, so the buffer never grows with the batch and is never kept for the reverse pass
_CHUNK = 1 << 17


def _chunks(n: int, per_item: int) -> list[slice]:
    step = max(1, _CHUNK // max(per_item, 1))
    return [slice(a, min(a + step, n)) for a in range(0, n, step)]


def _cols(x: np.ndarray, window: tuple[int, ...], strides: tuple[int, ...],
          dilation: tuple[int, ...]) -> np.ndarray:
    """im2col: one row per output position, (N * prod(out), prod(window) * C)."""
    w = _windows(x, window, strides, dilation)
    return w.reshape(math.prod(w.shape[:1 + len(window)]), -1)


def _conv_forward(x: np.ndarray, k: np.ndarray, b: np.ndarray | None = None, *,
                  strides: tuple[int, ...], dilation: tuple[int, ...],
                  activation: str | None = None) -> np.ndarray:
    x, k = np.asarray(x), np.asarray(k)
    nd = k.ndim - 2
    window = k.shape[:nd]
    out = _out_sizes(x.shape[1:1 + nd], window, strides, dilation)
    if min(out, default=1) < 1:
        raise ValueError(f"conv: kernel {window} (dilation {dilation}) does not fit the "
                         f"spatial size {x.shape[1:1 + nd]}")
    k2 = k.reshape(-1, k.shape[-1])
    dtype = np.result_type(x, k) if b is None else np.result_type(x, k, b)
    result = np.empty((x.shape[0], *out, k.shape[-1]), dtype=dtype)
    for sl in _chunks(x.shape[0], math.prod(out) * k2.shape[0]):
        np.matmul(_cols(x[sl], window, strides, dilation), k2,
                  out=result[sl].reshape(-1, k.shape[-1]))
    if b is not None:
        result += b  # in place: the bias costs no array of its own
    if activation == "relu":  # in place too: the graph keeps only the activated output
        np.maximum(result, 0, out=result)
    return result


def _rows(d: np.ndarray, sl: slice, relu_out: np.ndarray | None) -> np.ndarray:
    """Chunk ``sl`` of the cotangent d as rows (positions, C_out); zero where a fused relu's
    output ``relu_out`` is 0, chunk by chunk, so no gated copy of the whole d is made."""
    rows = d[sl].reshape(-1, d.shape[-1])
    return rows if relu_out is None else rows * (relu_out[sl].reshape(rows.shape) > 0)


def _conv_input_grad(d: np.ndarray, k: np.ndarray, shape: tuple[int, ...],
                     strides: tuple[int, ...], dilation: tuple[int, ...],
                     relu_out: np.ndarray | None = None) -> np.ndarray:
    d, k = np.asarray(d), np.asarray(k)
    nd = k.ndim - 2
    window, c_in = k.shape[:nd], k.shape[-2]
    kt = k.reshape(-1, k.shape[-1]).T
    result = np.empty(shape, dtype=np.result_type(d, k))
    for sl in _chunks(shape[0], math.prod(d.shape[1:-1]) * kt.shape[1]):
        rows = _rows(d, sl, relu_out) @ kt  # each window's cotangent, then col2im
        n = rows.shape[0] // math.prod(d.shape[1:-1])
        result[sl] = _window_sum(rows.reshape(n, *d.shape[1:-1], *window, c_in),
                                 (n, *shape[1:]), window, strides, dilation)
    return result


def _conv_kernel_grad(x: np.ndarray, d: np.ndarray, window: tuple[int, ...],
                      strides: tuple[int, ...], dilation: tuple[int, ...],
                      relu_out: np.ndarray | None = None) -> np.ndarray:
    x, d = np.asarray(x), np.asarray(d)
    total = np.zeros((math.prod(window) * x.shape[-1], d.shape[-1]), np.result_type(x, d))
    for sl in _chunks(x.shape[0], math.prod(d.shape[1:-1]) * total.shape[0]):
        total += _cols(x[sl], window, strides, dilation).T @ _rows(d, sl, relu_out)
    return total.reshape(*window, x.shape[-1], d.shape[-1])


# conv(x, k) is bilinear and so are its two transposes; each one's rules are the other two,
# as matmul's are matmuls, so every order of derivative works. Here d is a cotangent of the
# convolution's output (N, *out, C_out), k a kernel (*window, C_in, C_out), x an input, and
# b an optional bias (C_out,) added in the same node (conv_bias), as ``linear`` does. With
# activation="relu" the node also applies relu, and its rules first zero the cotangent where
# the output is 0: then the graph keeps one array per layer, not the convolution's and relu's.


def _gate(g: Any, out: Any, activation: str | None) -> Any:
    return g if activation is None else g * (_raw(out) > 0)


def _relu_out(g: Any, out: Any, activation: str | None) -> Any:
    """The output to gate by, chunk by chunk, in a plain backward pass with a fused relu."""
    return out if activation is not None and type(g) is np.ndarray else None


def _conv_vjp_x(g: Any, out: Any, x: Any, k: Any, *b: Any, strides: tuple[int, ...],
                dilation: tuple[int, ...], activation: str | None = None) -> Any:
    relu_out = _relu_out(g, out, activation)
    if relu_out is not None:  # the same value as below, without a gated copy of g
        return _conv_input_grad(g, k, x.shape, strides, dilation, relu_out)
    return conv_input_grad_p(_gate(g, out, activation), k, shape=x.shape, strides=strides,
                             dilation=dilation)


def _conv_vjp_k(g: Any, out: Any, x: Any, k: Any, *b: Any, strides: tuple[int, ...],
                dilation: tuple[int, ...], activation: str | None = None) -> Any:
    relu_out = _relu_out(g, out, activation)
    if relu_out is not None:
        return _conv_kernel_grad(x, g, k.shape[:-2], strides, dilation, relu_out)
    return conv_kernel_grad_p(x, _gate(g, out, activation), window=k.shape[:-2],
                              strides=strides, dilation=dilation)


def _conv_vjp_b(g: Any, out: Any, x: Any, k: Any, b: Any, strides: tuple[int, ...],
                dilation: tuple[int, ...], activation: str | None = None) -> Any:
    if type(g) is not np.ndarray:
        return _gate(g, out, activation).reshape(-1, g.shape[-1]).sum(axis=0)
    relu_out = _relu_out(g, out, activation)
    total = np.zeros(g.shape[-1], g.dtype)
    for sl in _chunks(g.shape[0], g[:1].size):  # a BLAS product with ones: 18x faster than
        rows = _rows(g, sl, relu_out)          # sum(axis=0) over the rows
        total += np.ones(rows.shape[0], rows.dtype) @ rows
    return total


def _conv_jvp(x: Any, k: Any, out: Any, strides: tuple[int, ...], dilation: tuple[int, ...],
              activation: str | None) -> Any:
    """conv is linear in each input: the tangent is the convolution of the tangent, gated."""
    return _gate(conv_p(x, k, strides=strides, dilation=dilation), out, activation)


conv_p = primitive(
    "conv", _conv_forward,
    vjp=(_conv_vjp_x, _conv_vjp_k),
    jvp=(lambda dx, out, x, k, strides, dilation, activation=None:
         _conv_jvp(dx, k, out, strides, dilation, activation),
         lambda dk, out, x, k, strides, dilation, activation=None:
         _conv_jvp(x, dk, out, strides, dilation, activation)),
)
conv_bias_p = primitive(
    "conv_bias", _conv_forward,
    vjp=(_conv_vjp_x, _conv_vjp_k, _conv_vjp_b),
    jvp=(lambda dx, out, x, k, b, strides, dilation, activation=None:
         _conv_jvp(dx, k, out, strides, dilation, activation),
         lambda dk, out, x, k, b, strides, dilation, activation=None:
         _conv_jvp(x, dk, out, strides, dilation, activation),
         lambda db, out, x, k, b, strides, dilation, activation=None:
         _gate(db, out, activation)),
)
conv_input_grad_p = primitive(
    "conv_input_grad", _conv_input_grad,
    vjp=(lambda g, out, d, k, shape, strides, dilation:
         conv_p(g, k, strides=strides, dilation=dilation),
         lambda g, out, d, k, shape, strides, dilation:
         conv_kernel_grad_p(g, d, window=k.shape[:-2], strides=strides, dilation=dilation)),
    jvp=(lambda dd, out, d, k, shape, strides, dilation:
         conv_input_grad_p(dd, k, shape=shape, strides=strides, dilation=dilation),
         lambda dk, out, d, k, shape, strides, dilation:
         conv_input_grad_p(d, dk, shape=shape, strides=strides, dilation=dilation)),
)
conv_kernel_grad_p = primitive(
    "conv_kernel_grad", _conv_kernel_grad,
    vjp=(lambda g, out, x, d, window, strides, dilation:
         conv_input_grad_p(d, g, shape=x.shape, strides=strides, dilation=dilation),
         lambda g, out, x, d, window, strides, dilation:
         conv_p(x, g, strides=strides, dilation=dilation)),
    jvp=(lambda dx, out, x, d, window, strides, dilation:
         conv_kernel_grad_p(dx, d, window=window, strides=strides, dilation=dilation),
         lambda dd, out, x, d, window, strides, dilation:
         conv_kernel_grad_p(x, dd, window=window, strides=strides, dilation=dilation)),
)


# ---- max pooling: one primitive, one elementwise pass per window offset ----


def _offsets(x: Any, out: tuple[int, ...], window: tuple[int, ...], strides: tuple[int, ...]
             ) -> list[tuple[slice, ...]]:
    """Per window offset, the slice of x it reads for every output position at once."""
    ones = (1,) * len(window)
    return [(slice(None), *at) for _, at in _offset_slices(out, window, strides, ones)]


def _max_pool(x: np.ndarray, window: tuple[int, ...], strides: tuple[int, ...]) -> np.ndarray:
    # a box's max is separable: a running np.maximum over the window's offsets along one
    # spatial axis, then the next. Elementwise passes over long contiguous rows, 15x faster
    # than np.max over the window axes of a 6-d view (NaN propagates in both)
    result = np.asarray(x)
    for i, (k, st) in enumerate(zip(window, strides)):
        n = (result.shape[1 + i] - k) // st + 1
        lead = (slice(None),) * (1 + i)
        at = [result[(*lead, slice(j, j + st * (n - 1) + 1, st))] for j in range(k)]
        reduced = np.maximum(at[0], at[1]) if k > 1 else np.array(at[0])
        for more in at[2:]:
            np.maximum(reduced, more, out=reduced)
        result = reduced
    return result


def _max_hits(x: Any, out: Any, window: tuple[int, ...], strides: tuple[int, ...]
              ) -> tuple[list[tuple[slice, ...]], list[np.ndarray], np.ndarray]:
    """Per window offset, its slice of x and where it holds its window's max; and the share
    of the cotangent each holder receives: 1, or 1/k for a k-way tie (as ``max`` splits)."""
    xr, o = _raw(x), _raw(out)
    at = _offsets(xr, o.shape[1:-1], window, strides)
    hits = [xr[sl] == o for sl in at]
    count = hits[0].astype(o.dtype)
    for hit in hits[1:]:  # in place: a reduce over the list would stack it first
        count += hit
    np.maximum(count, 1, out=count)  # a NaN max is hit nowhere; its gradient is 0
    return at, hits, np.reciprocal(count, out=count)


def _max_pool_vjp(g: Any, out: Any, x: Any, window: tuple[int, ...],
                  strides: tuple[int, ...]) -> Any:
    at, hits, share = _max_hits(x, out, window, strides)
    if type(g) is np.ndarray:  # the usual backward: write each offset's part in place
        shape = _shape(x)
        tiles = all(s >= k for s, k in zip(strides, window))  # no two offsets meet
        covered = tiles and strides == window and all(  # and every element is in a window
            o * s == n for o, s, n in zip(_shape(out)[1:-1], strides, shape[1:-1]))
        dx = np.empty(shape, g.dtype) if covered else np.zeros(shape, g.dtype)
        gs = g * share
        for sl, hit in zip(at, hits):
            if tiles:
                np.multiply(gs, hit, out=dx[sl])
            else:
                dx[sl] += gs * hit
        return dx
    # recording the backward pass (create_graph): the same sum as ops, through window_sum
    nd = len(window)
    stacked = np.stack([hit * share for hit in hits], axis=-2).reshape(
        *_shape(g)[:-1], *window, _shape(g)[-1])
    spread = reshape(g, (*_shape(g)[:-1], *(1,) * nd, _shape(g)[-1])) * stacked
    return window_sum_p(spread, shape=_shape(x), window=window, strides=strides,
                        dilation=(1,) * nd)


def _max_pool_jvp(dx: Any, out: Any, x: Any, window: tuple[int, ...],
                  strides: tuple[int, ...]) -> Any:
    at, hits, share = _max_hits(x, out, window, strides)
    total = None
    for sl, hit in zip(at, hits):
        term = dx[sl] * hit
        total = term if total is None else total + term
    return total * share


max_pool_p = primitive(
    "max_pool", _max_pool,
    vjp=(_max_pool_vjp,),
    jvp=(_max_pool_jvp,),
)


# ---- arguments: sizes, strides and Keras's padding ----


def _ints(op: str, name: str, value: Any, nd: int) -> tuple[int, ...]:
    """An int or a tuple of ``nd`` positive ints, as a tuple."""
    vals = (value,) * nd if isinstance(value, (int, np.integer)) else tuple(value)
    if len(vals) != nd or not all(isinstance(v, (int, np.integer)) and v >= 1 for v in vals):
        raise ValueError(f"{op}: {name} must be a positive int or a tuple of {nd} positive "
                         f"ints, got {value!r}")
    return tuple(int(v) for v in vals)


def _padding(op: str, padding: Any, spatial: Sequence[int], window: Sequence[int],
             strides: Sequence[int], dilation: Sequence[int]) -> tuple[tuple[int, int], ...]:
    """(before, after) per spatial axis for "valid", "same" (Keras's rule) or explicit sizes."""
    nd = len(spatial)
    if isinstance(padding, str):
        mode = padding.lower()
        if mode == "valid":
            return ((0, 0),) * nd
        if mode == "same":  # output ceil(n / s); the odd pixel goes on the right / bottom
            pads = []
            for n, k, s, d in zip(spatial, window, strides, dilation):
                total = max((math.ceil(n / s) - 1) * s + (k - 1) * d + 1 - n, 0)
                pads.append((total // 2, total - total // 2))
            return tuple(pads)
        raise ValueError(f"{op}: padding must be 'valid', 'same' or sizes, got {padding!r}")
    if isinstance(padding, (int, np.integer)):
        parts: list[Any] = [int(padding)] * nd
    else:
        parts = list(padding)
        if nd == 1 and len(parts) == 2 and all(isinstance(p, (int, np.integer)) for p in parts):
            parts = [tuple(parts)]  # conv1d: (left, right)
    try:
        pairs = tuple((int(p), int(p)) if isinstance(p, (int, np.integer))
                      else (int(p[0]), int(p[1])) for p in parts)
    except (TypeError, IndexError):
        pairs = ()
    if len(pairs) != nd or any(len(p) != 2 or min(p) < 0 for p in pairs):
        raise ValueError(f"{op}: padding {padding!r} must be 'valid', 'same', an int, or one "
                         f"int or (before, after) pair per spatial axis ({nd})")
    return pairs


def _check_input(op: str, x: Any, nd: int, layout: str) -> tuple[int, ...]:
    sx = _shape(x)
    if len(sx) != nd + 2:
        raise ValueError(f"{op}: x must have {nd + 2} dimensions {layout}, got shape {sx}")
    return sx


def _check_fits(op: str, sx: tuple[int, ...], pads: Any, window: Sequence[int],
                dilation: Sequence[int], what: str) -> None:
    nd = len(window)
    for i, (n, (a, b), k, d) in enumerate(zip(sx[1:1 + nd], pads, window, dilation)):
        if (k - 1) * d + 1 > n + a + b:
            raise ValueError(f"{op}: {what} {tuple(window)} (dilation {tuple(dilation)}) is "
                             f"larger than the padded input along spatial axis {i} ({n} + "
                             f"{a + b} padding; x {sx})")


# ---- convolution ----


def _conv(op: str, nd: int, layout: str, x: Any, kernel: Any, stride: Any, padding: Any,
          dilation: Any, bias: Any, activation: str | None) -> Any:
    sx = _check_input(op, x, nd, layout)
    sk = _shape(kernel)
    if len(sk) != nd + 2:
        raise ValueError(f"{op}: kernel must have {nd + 2} dimensions (*kernel_size, C_in, "
                         f"C_out), got shape {sk}")
    if sx[-1] != sk[-2]:
        raise ValueError(f"{op}: input has {sx[-1]} channels but kernel expects {sk[-2]} "
                         f"(x {sx}, kernel {sk})")
    window = tuple(sk[:nd])
    strides = _ints(op, "stride", stride, nd)
    dil = _ints(op, "dilation", dilation, nd)
    pads = _padding(op, padding, sx[1:1 + nd], window, strides, dil)
    _check_fits(op, sx, pads, window, dil, "kernel")
    if any(a or b for a, b in pads):
        x = pad(x, ((0, 0), *pads, (0, 0)))
    if activation not in (None, "relu"):
        raise ValueError(f"{op}: activation must be None or 'relu' (fused into the "
                         f"convolution's node), got {activation!r}; apply others after it")
    if bias is None:
        return conv_p(x, kernel, strides=strides, dilation=dil, activation=activation)
    if _shape(bias) != (sk[-1],):
        raise ValueError(f"{op}: bias must have shape ({sk[-1]},), one value per output "
                         f"channel, got shape {_shape(bias)} (kernel {sk})")
    return conv_bias_p(x, kernel, bias, strides=strides, dilation=dil, activation=activation)


def conv1d(x: Any, kernel: Any, stride: int | Sequence[int] = 1, padding: Any = "valid",
           dilation: int | Sequence[int] = 1, bias: Any = None,
           activation: str | None = None) -> Any:
    """1-d convolution (cross-correlation, as Keras): x (N, L, C_in), kernel (K, C_in, C_out);
    an optional bias (C_out,) and activation ("relu") are applied in the same node."""
    return _conv("conv1d", 1, "(N, L, C_in)", x, kernel, stride, padding, dilation, bias,
                 activation)


def conv2d(x: Any, kernel: Any, stride: int | Sequence[int] = 1, padding: Any = "valid",
           dilation: int | Sequence[int] = 1, bias: Any = None,
           activation: str | None = None) -> Any:
    """2-d convolution, channels-last: x (N, H, W, C_in), kernel (KH, KW, C_in, C_out); an
    optional bias (C_out,) and activation ("relu") are applied in the same node."""
    return _conv("conv2d", 2, "(N, H, W, C_in)", x, kernel, stride, padding, dilation, bias,
                 activation)


# ---- pooling ----


def _pool(op: str, nd: int, layout: str, x: Any, pool_size: Any, strides: Any, padding: Any,
          kind: str) -> Any:
    sx = _check_input(op, x, nd, layout)
    window = _ints(op, "pool_size", pool_size, nd)
    steps = window if strides is None else _ints(op, "strides", strides, nd)
    if not isinstance(padding, str) or padding.lower() not in ("valid", "same"):
        raise ValueError(f"{op}: padding must be 'valid' or 'same', got {padding!r}")
    ones = (1,) * nd
    pads = _padding(op, padding, sx[1:1 + nd], window, steps, ones)
    _check_fits(op, sx, pads, window, ones, "pool_size")
    padded = any(a or b for a, b in pads)
    if padded:
        # -inf never wins a max, so padding never receives a gradient; the average pads with
        # 0 and divides by the number of real elements below, as Keras does
        dtype = _raw(x).dtype
        low = (-np.inf if dtype.kind == "f" else np.iinfo(dtype).min) if kind == "max" else 0
        x = pad(x, ((0, 0), *pads, (0, 0)), constant_values=low)
    if kind == "max":
        return max_pool_p(x, window=window, strides=steps)
    views, axes = _pool_windows(x, window, steps)
    if not padded:
        return _mean(views, axis=axes)
    real = np.pad(np.ones((1, *sx[1:1 + nd], 1)), ((0, 0), *pads, (0, 0)))
    counts = _windows(real, window, steps, ones).sum(axis=tuple(range(1 + nd, 1 + 2 * nd)))
    total = _sum(views, axis=axes)
    return divide(total, counts.astype(_raw(total).dtype))


def _pool_windows(x: Any, window: tuple[int, ...], steps: tuple[int, ...]
                  ) -> tuple[Any, tuple[int, ...]]:
    """The pooling windows of x and the axes to reduce over them.

    Windows that tile the input (strides == pool_size, the usual case) come from a reshape,
    (N, OH, KH, OW, KW, C): a view of contiguous memory that reduces fast and whose reverse is
    a reshape too. Overlapping or gapped windows come from the sliding-window primitive.
    """
    nd = len(window)
    sx = _shape(x)
    if steps != window:
        views = windows_p(x, window=window, strides=steps, dilation=(1,) * nd)
        return views, tuple(range(1 + nd, 1 + 2 * nd))
    out = tuple(n // k for n, k in zip(sx[1:1 + nd], window))
    if any(o * k != n for o, k, n in zip(out, window, sx[1:1 + nd])):  # drop the ragged edge
        x = getitem(x, index=(slice(None), *(slice(0, o * k) for o, k in zip(out, window))))
    split = tuple(v for o, k in zip(out, window) for v in (o, k))
    return reshape(x, (sx[0], *split, sx[-1])), tuple(2 + 2 * i for i in range(nd))


def max_pool1d(x: Any, pool_size: int | Sequence[int] = 2, strides: Any = None,
               padding: str = "valid") -> Any:
    """Max over windows of ``pool_size`` along L: x (N, L, C); strides default to pool_size."""
    return _pool("max_pool1d", 1, "(N, L, C)", x, pool_size, strides, padding, "max")


def max_pool2d(x: Any, pool_size: int | Sequence[int] = 2, strides: Any = None,
               padding: str = "valid") -> Any:
    """Max over (pool_h, pool_w) windows: x (N, H, W, C); strides default to pool_size."""
    return _pool("max_pool2d", 2, "(N, H, W, C)", x, pool_size, strides, padding, "max")


def avg_pool1d(x: Any, pool_size: int | Sequence[int] = 2, strides: Any = None,
               padding: str = "valid") -> Any:
    """Mean over windows of ``pool_size`` along L: x (N, L, C); strides default to pool_size."""
    return _pool("avg_pool1d", 1, "(N, L, C)", x, pool_size, strides, padding, "avg")


def avg_pool2d(x: Any, pool_size: int | Sequence[int] = 2, strides: Any = None,
               padding: str = "valid") -> Any:
    """Mean over (pool_h, pool_w) windows: x (N, H, W, C); strides default to pool_size."""
    return _pool("avg_pool2d", 2, "(N, H, W, C)", x, pool_size, strides, padding, "avg")
