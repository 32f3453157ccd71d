"""Input recipes for every primitive of the op table, written once against a source of
random choices, so that the checker (a NumPy Generator) and the property tests (Hypothesis)
draw from the same domains. No Hypothesis needed here.

A source offers ``integers(lo, hi)`` (inclusive), ``booleans()``, ``sampled_from(options)`` and
``permutation(items)``; the helpers ``draw_shape``, ``draw_broadcastable_shapes``,
``draw_array``, ``draw_axis``, ``mixed_signs`` and ``draw_index`` build on those. Every axis
drawn is negative or not at random, so the property tests cover negative and mixed axes.
An op's recipe in ``OP_INPUTS`` is a function ``recipe(src) -> (args, params)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

Recipe = Callable[[Any], tuple[list, dict]]


# ---- a source of random choices without Hypothesis ----


class RngSource:
    """Random choices from a NumPy Generator: deterministic for a seed, no Hypothesis needed."""

    def __init__(self, rng: np.random.Generator | int | None = None) -> None:
        self._rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)

    def draw(self, strategy: Any) -> Any:
        """Hypothesis strategies cannot be sampled without Hypothesis."""
        raise TypeError(
            f"RngSource cannot draw from {strategy!r}: pass shapes as tuples, not strategies"
        )

    def integers(self, lo: int, hi: int) -> int:
        """An integer in [lo, hi]."""
        return int(self._rng.integers(lo, hi, endpoint=True))

    def booleans(self) -> bool:
        """True or False."""
        return bool(self._rng.integers(2))

    def sampled_from(self, options: Sequence[Any]) -> Any:
        """One of ``options``."""
        options = list(options)
        return options[int(self._rng.integers(len(options)))]

    def permutation(self, items: Sequence[Any]) -> list[Any]:
        """``items`` in a random order."""
        items = list(items)
        return [items[i] for i in self._rng.permutation(len(items))]


# ---- shapes, arrays, axes and indices, written once against a source ----

# A domain turns standard normal samples into values where an op is smooth.
DOMAINS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "real": lambda z: z,
    "positive": lambda z: np.abs(z) + 0.2,
    "nonzero": lambda z: z + np.where(z >= 0, 0.2, -0.2),  # away from the kink at 0
    "above_minus_one": lambda z: np.abs(z) - 0.5,
    "large": lambda z: z * 1e4,
    "open_unit": lambda z: 0.9 * np.tanh(z),  # inside (-1, 1): arcsin, arccos
    "bounded": lambda z: 1.2 * np.tanh(z),  # inside (-pi/2, pi/2): tan
    # k + 0.1 .. k + 0.3: away from the jumps of floor and ceil (k) and of round (k + 1/2)
    "off_integers": lambda z: np.round(2 * z) + 0.2 + 0.1 * np.tanh(z),
}


def draw_shape(src: Any, min_dims: int = 0, max_dims: int = 3, min_side: int = 1,
               max_side: int = 4) -> tuple[int, ...]:
    """A shape with ``min_dims..max_dims`` axes of length ``min_side..max_side``."""
    ndim = src.integers(min_dims, max_dims)
    return tuple(src.integers(min_side, max_side) for _ in range(ndim))


def draw_broadcastable_shapes(src: Any, n: int = 2, min_dims: int = 0, max_dims: int = 3,
                              max_side: int = 4) -> tuple[tuple[int, ...], ...]:
    """``n`` shapes that broadcast together (some axes set to 1, some leading axes dropped)."""
    base = draw_shape(src, min_dims, max_dims, 1, max_side)
    out = []
    for _ in range(n):
        drop = src.integers(0, len(base))
        out.append(tuple(1 if src.booleans() else s for s in base[drop:]))
    return tuple(out)


def draw_array(src: Any, shape: Any = None, domain: str = "real", dtype: Any = np.float64
               ) -> np.ndarray:
    """An array of ``shape`` (drawn when None) with values in ``domain`` (see ``DOMAINS``)."""
    if domain not in DOMAINS:
        raise KeyError(f"draw_array: unknown domain {domain!r}; known: {sorted(DOMAINS)}")
    if shape is None:
        shape = draw_shape(src)
    elif not isinstance(shape, tuple):
        shape = src.draw(shape)
    # values come from one drawn seed: shrinking works on the shape, not on every float
    z = np.random.default_rng(src.integers(0, 2**32 - 1)).standard_normal(shape)
    return np.asarray(DOMAINS[domain](z), dtype=dtype)


def draw_axis(src: Any, ndim: int) -> Any:
    """None, one axis (possibly negative) or a tuple of distinct axes of an ``ndim``-d array."""
    if ndim == 0:
        return None
    kind = src.sampled_from(["none", "int", "tuple"])
    if kind == "none":
        return None
    if kind == "int":
        return src.integers(-ndim, ndim - 1)
    return mixed_signs(src, src.permutation(range(ndim))[:src.integers(1, ndim)], ndim)


def mixed_signs(src: Any, axes: Sequence[int], ndim: int) -> tuple[int, ...]:
    """``axes`` with each one, at random, counted from the end instead (``a - ndim``)."""
    return tuple(a - ndim if src.booleans() else a for a in axes)


def draw_index(src: Any, shape: tuple[int, ...]) -> Any:
    """An index into ``shape``: integers and slices, integer arrays (with repeats) or a mask."""
    if not shape:
        return ()
    kind = src.sampled_from(["basic", "ints", "mask"])
    if kind == "mask":
        return np.asarray([src.booleans() for _ in range(shape[0])])
    if kind == "ints":
        return np.asarray([src.integers(-shape[0], shape[0] - 1)
                           for _ in range(src.integers(1, 6))])
    parts: list[Any] = []
    for n in shape:
        if src.booleans():
            parts.append(src.integers(-n, n - 1))
        else:
            bound = [None, *range(n + 1)]
            parts.append(slice(src.sampled_from(bound), src.sampled_from(bound),
                               src.sampled_from([None, 1, 2, -1])))
    return tuple(parts)


# ---- inputs for each primitive: recipe(src) -> (args, params) ----


def _unary(domain: str, **params: Sequence[Any]) -> Recipe:
    def recipe(src: Any) -> tuple[list, dict]:
        x = draw_array(src, domain=domain)
        return [x], {k: src.sampled_from(options) for k, options in params.items()}
    return recipe


def _binary(dx: str, dy: str) -> Recipe:
    def recipe(src: Any) -> tuple[list, dict]:
        sx, sy = draw_broadcastable_shapes(src, 2)
        return [draw_array(src, sx, dx), draw_array(src, sy, dy)], {}
    return recipe


def _reduction(src: Any) -> tuple[list, dict]:
    x = draw_array(src)
    return [x], {"axis": draw_axis(src, x.ndim), "keepdims": src.booleans()}


def _along_axis(src: Any) -> tuple[list, dict]:
    x = draw_array(src, draw_shape(src, 1, 3))
    return [x], {"axis": src.integers(-x.ndim, x.ndim - 1)}


def _softmax_cross_entropy(src: Any) -> tuple[list, dict]:
    x = draw_array(src, draw_shape(src, 1, 3))
    targets = np.abs(draw_array(src, x.shape))  # soft targets: any non-negative weights
    return [x, targets], {"axis": src.integers(-x.ndim, x.ndim - 1)}


def _matmul(src: Any) -> tuple[list, dict]:
    n, k, m = src.integers(1, 4), src.integers(1, 4), src.integers(1, 4)
    bx, by = draw_broadcastable_shapes(src, 2, max_dims=2, max_side=3)
    kind = src.sampled_from(["vv", "vm", "mv", "mm", "batched"])
    sx, sy = {"vv": ((k,), (k,)), "vm": ((k,), (k, m)), "mv": ((n, k), (k,)),
              "mm": ((n, k), (k, m)), "batched": (bx + (n, k), by + (k, m))}[kind]
    return [draw_array(src, sx), draw_array(src, sy)], {}


def _linear(src: Any) -> tuple[list, dict]:
    n, m = src.integers(1, 4), src.integers(1, 4)
    lead = draw_shape(src, 0, 2, 1, 3)
    x, w, b = draw_array(src, lead + (n,)), draw_array(src, (n, m)), draw_array(src, (m,))
    activation = src.sampled_from([None, "relu", "leaky_relu", "elu", "sigmoid", "tanh"])
    params: dict[str, Any] = {} if activation is None else {"activation": activation}
    if activation in ("relu", "leaky_relu", "elu"):
        if np.min(np.abs(x @ w + b)) < 1e-2:  # rare: a kink within reach of the differences
            params["activation"] = "tanh"
        elif activation != "relu":
            params["alpha"] = src.sampled_from([0.2, 1.0] if activation == "elu" else [0.01, 0.2])
    return [x, w, b], params


def _power(src: Any) -> tuple[list, dict]:
    sx, sy = draw_broadcastable_shapes(src, 2)
    return [draw_array(src, sx, "positive"), draw_array(src, sy)], {}


def _clip(src: Any) -> tuple[list, dict]:
    x = draw_array(src)
    x = x + np.where(np.abs(np.abs(x) - 0.5) < 0.1, 0.25, 0.0)  # away from the bounds
    return [x], {"a_min": -0.5, "a_max": 0.5}


def _where(src: Any) -> tuple[list, dict]:
    sc, sx, sy = draw_broadcastable_shapes(src, 3)
    cond = draw_array(src, sc) > 0
    return [draw_array(src, sx), draw_array(src, sy)], {"condition": cond}


def _reshape(src: Any) -> tuple[list, dict]:
    x = draw_array(src)
    dims = [d for d in x.shape if d > 1]
    shape = tuple(src.permutation(dims)) + src.sampled_from([(), (1,)])
    return [x], {"shape": shape if math.prod(shape) == x.size else (x.size,)}


def _transpose(src: Any) -> tuple[list, dict]:
    x = draw_array(src)
    axes = mixed_signs(src, src.permutation(range(x.ndim)), x.ndim) if src.booleans() else None
    return [x], {"axes": axes}


def _broadcast_to(src: Any) -> tuple[list, dict]:
    sx, sy = draw_broadcastable_shapes(src, 2)
    return [draw_array(src, sx)], {"shape": np.broadcast_shapes(sx, sy)}


def _getitem(src: Any) -> tuple[list, dict]:
    x = draw_array(src, draw_shape(src, 1, 3))
    return [x], {"index": draw_index(src, x.shape)}


def _scatter_add(src: Any) -> tuple[list, dict]:
    shape = draw_shape(src, 1, 3)
    index = draw_index(src, shape)
    g = draw_array(src, np.empty(shape)[index].shape)
    return [g], {"shape": shape, "index": index}


def _concatenate(src: Any) -> tuple[list, dict]:
    base = draw_shape(src, 1, 3)
    axis = src.integers(0, len(base) - 1)
    parts = []
    for _ in range(src.integers(1, 3)):
        shape = list(base)
        shape[axis] = src.integers(1, 3)
        parts.append(draw_array(src, tuple(shape)))
    return parts, {"axis": axis - len(base) if src.booleans() else axis}


def _hard_sigmoid(src: Any) -> tuple[list, dict]:
    x = 2 * draw_array(src)
    x = x + np.where(np.abs(np.abs(x) - 3) < 0.1, 0.25, 0.0)  # away from the kinks at +-3
    return [x], {}


def _prod(src: Any) -> tuple[list, dict]:
    x = draw_array(src)
    if x.size > 1 and src.booleans():  # a zero: the product of the others, not out / x
        x.flat[src.integers(0, x.size - 1)] = 0.0
    return [x], {"axis": draw_axis(src, x.ndim), "keepdims": src.booleans()}


def _arg_extremum(src: Any) -> tuple[list, dict]:
    x = draw_array(src, draw_shape(src, 1, 3))  # continuous draws never tie
    axis = src.integers(-x.ndim, x.ndim - 1) if src.booleans() else None
    return [x], {"axis": axis, "keepdims": src.booleans()}


def _flip(src: Any) -> tuple[list, dict]:
    x = draw_array(src)
    return [x], {"axis": draw_axis(src, x.ndim)}


def _pad(src: Any) -> tuple[list, dict]:
    x = draw_array(src)
    widths = tuple((src.integers(0, 2), src.integers(0, 2)) for _ in range(x.ndim))
    return [x], {"pad_width": widths, "constant_values": src.sampled_from([0.0, -1.5])}


# (subscripts, letter sizes): matmul, batched, diagonals, traces, outer products, 3 operands
_EINSUM_CASES = ["ij,jk->ik", "i,i->", "ij->ji", "ii->i", "ii->", "bij,bjk->bik", "i,j->ij",
                 "ijk->", "ij,jk->i", "ij,jk,kl->il", "iij,jk->ik", "ij,ij->ij", "i->"]


def _einsum(src: Any) -> tuple[list, dict]:
    spec = src.sampled_from(_EINSUM_CASES)
    sizes = {c: src.integers(1, 3) for c in sorted(set(spec) - set(",->"))}
    terms = spec.split("->")[0].split(",")
    return [draw_array(src, tuple(sizes[c] for c in t)) for t in terms], {"subscripts": spec}


def _window_params(src: Any) -> tuple[tuple[int, ...], dict]:
    """An input shape (N, *spatial, C) and window, strides and dilation that fit it."""
    nd = src.integers(1, 2)
    window = tuple(src.integers(1, 3) for _ in range(nd))
    strides = tuple(src.integers(1, 2) for _ in range(nd))
    dilation = tuple(src.integers(1, 2) for _ in range(nd))
    spatial = tuple((k - 1) * d + 1 + src.integers(0, 3) for k, d in zip(window, dilation))
    shape = (src.integers(1, 2), *spatial, src.integers(1, 2))
    return shape, {"window": window, "strides": strides, "dilation": dilation}


def _windows(src: Any) -> tuple[list, dict]:
    shape, params = _window_params(src)
    return [draw_array(src, shape)], params


def _window_sum(src: Any) -> tuple[list, dict]:
    shape, params = _window_params(src)
    out = tuple((n - (k - 1) * d - 1) // s + 1 for n, k, s, d in zip(
        shape[1:-1], params["window"], params["strides"], params["dilation"]))
    g = draw_array(src, (shape[0], *out, *params["window"], shape[-1]))
    return [g], {"shape": shape, **params}


def _conv_params(src: Any) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...], dict]:
    """Input, kernel and output shapes of a convolution that fits, and its params."""
    shape, params = _window_params(src)
    kernel = (*params["window"], shape[-1], src.integers(1, 2))
    out = tuple((n - (k - 1) * d - 1) // s + 1 for n, k, s, d in zip(
        shape[1:-1], params["window"], params["strides"], params["dilation"]))
    return shape, kernel, (shape[0], *out, kernel[-1]), params


def _conv(src: Any) -> tuple[list, dict]:
    x, k, _, params = _conv_params(src)
    return [draw_array(src, x), draw_array(src, k)], {
        "strides": params["strides"], "dilation": params["dilation"],
        "activation": src.sampled_from([None, "relu"])}


def _conv_bias(src: Any) -> tuple[list, dict]:
    x, k, _, params = _conv_params(src)
    return [draw_array(src, x), draw_array(src, k), draw_array(src, k[-1:])], {
        "strides": params["strides"], "dilation": params["dilation"],
        "activation": src.sampled_from([None, "relu"])}


def _conv_input_grad(src: Any) -> tuple[list, dict]:
    x, k, out, params = _conv_params(src)
    return [draw_array(src, out), draw_array(src, k)], {
        "shape": x, "strides": params["strides"], "dilation": params["dilation"]}


def _conv_kernel_grad(src: Any) -> tuple[list, dict]:
    x, _, out, params = _conv_params(src)
    return [draw_array(src, x), draw_array(src, out)], params


def _max_pool(src: Any) -> tuple[list, dict]:
    shape, params = _window_params(src)
    strides = tuple(src.integers(1, 3) for _ in params["window"])  # overlapping, tiling, gaps
    return [draw_array(src, shape)], {"window": params["window"], "strides": strides}


OP_INPUTS: dict[str, Recipe] = {
    "add": _binary("real", "real"),
    "subtract": _binary("real", "real"),
    "multiply": _binary("real", "real"),
    "divide": _binary("real", "nonzero"),
    "negative": _unary("real"),
    "power": _power,
    "maximum": _binary("real", "real"),  # continuous draws never tie
    "minimum": _binary("real", "real"),
    "exp": _unary("real"),
    "log": _unary("positive"),
    "log1p": _unary("above_minus_one"),
    "sqrt": _unary("positive"),
    "abs": _unary("nonzero"),
    "sin": _unary("real"),
    "cos": _unary("real"),
    "tanh": _unary("real"),
    "sigmoid": _unary("real"),
    "softplus": _unary("real"),
    "relu": _unary("nonzero"),
    "leaky_relu": _unary("nonzero", alpha=[0.01, 0.2]),
    "elu": _unary("nonzero", alpha=[1.0, 0.5]),
    "clip": _clip,
    "where": _where,
    "astype": _unary("real", dtype=[np.dtype(np.float64)]),
    "matmul": _matmul,
    "linear": _linear,
    "sum": _reduction,
    "mean": _reduction,
    "max": _reduction,
    "min": _reduction,
    "logsumexp": _reduction,
    "softmax": _along_axis,
    "log_softmax": _along_axis,
    "softmax_cross_entropy": _softmax_cross_entropy,
    "reshape": _reshape,
    "transpose": _transpose,
    "broadcast_to": _broadcast_to,
    "getitem": _getitem,
    "scatter_add": _scatter_add,
    "concatenate": _concatenate,
    # ---- issue 13: elementwise functions and activations ----
    "tan": _unary("bounded"),
    "arcsin": _unary("open_unit"),
    "arccos": _unary("open_unit"),
    "arctan": _unary("real"),
    "sinh": _unary("real"),
    "cosh": _unary("real"),
    "square": _unary("real"),
    "reciprocal": _unary("nonzero"),
    "log2": _unary("positive"),
    "log10": _unary("positive"),
    "erf": _unary("real"),
    "sign": _unary("nonzero"),
    "floor": _unary("off_integers"),
    "ceil": _unary("off_integers"),
    "round": _unary("off_integers", decimals=[0]),
    "gelu": _unary("real", approximate=[False, True]),
    "silu": _unary("real"),
    "selu": _unary("nonzero"),
    "softsign": _unary("nonzero"),
    "hard_sigmoid": _hard_sigmoid,
    # ---- issue 13: reductions, shape and linear algebra ----
    "prod": _prod,
    "cumsum": _along_axis,
    "argmax": _arg_extremum,
    "argmin": _arg_extremum,
    "flip": _flip,
    "pad": _pad,
    "einsum": _einsum,
    # ---- issue 13: convolution ----
    "windows": _windows,
    "window_sum": _window_sum,
    "max_pool": _max_pool,
    "conv": _conv,
    "conv_bias": _conv_bias,
    "conv_input_grad": _conv_input_grad,
    "conv_kernel_grad": _conv_kernel_grad,
}


def _recipe(name: str) -> Recipe:
    if name not in OP_INPUTS:
        raise KeyError(
            f"no input recipe for primitive {name!r}; add one to autograd_core.op_inputs.OP_INPUTS"
        )
    return OP_INPUTS[name]


def sample_op_inputs(name: str, rng: np.random.Generator | int | None = None
                     ) -> tuple[list, dict]:
    """One deterministic ``(args, params)`` for the primitive ``name`` (no Hypothesis needed)."""
    return _recipe(name)(RngSource(rng))
