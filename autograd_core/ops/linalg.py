"""Linear algebra primitives: matmul, the fused dense layer (with its activation), einsum."""

from __future__ import annotations

import builtins
import math
import string
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .core import Rule, _mask, _raw, primitive
from .elementwise import _elu, _sigmoid, elu, leaky_relu, multiply, relu, sigmoid, tanh, where
from .shape import reshape, transpose

# ---- linear algebra ----


def _matmul(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim == 0 or y.ndim == 0:
        raise ValueError(f"shapes {x.shape} and {y.shape}: matmul needs at least 1-d inputs")
    k1, k2 = x.shape[-1], y.shape[-2] if y.ndim > 1 else y.shape[0]
    if k1 != k2:
        raise ValueError(f"shapes {x.shape} and {y.shape} are not aligned ({k1} != {k2})")
    return np.matmul(x, y)


def _matmul_vjp_x(g: Any, out: Any, x: Any, y: Any) -> Any:
    if y.ndim == 1:  # out[..., i] = sum_k x[..., i, k] y[k]
        return g[..., None] * y
    if x.ndim == 1:  # out[..., j] = sum_k x[k] y[..., k, j]
        return (y @ g[..., None])[..., 0]
    return g @ y.swapaxes(-1, -2)


def _matmul_vjp_y(g: Any, out: Any, x: Any, y: Any) -> Any:
    if y.ndim == 1:  # the sum over x's rows and batch: one matmul, no broadcast product
        if x.ndim == 1:
            return g * x
        return (g[..., None] * x).reshape(-1, x.shape[-1]).sum(0) if x.ndim > 2 else g @ x
    if x.ndim == 1:
        return x[:, None] * g[..., None, :]
    return x.swapaxes(-1, -2) @ g


matmul = primitive(
    "matmul", _matmul,
    vjp=(_matmul_vjp_x, _matmul_vjp_y),
    jvp=(lambda dx, out, x, y: dx @ y,
         lambda dy, out, x, y: x @ dy),
)


# ---- the dense layer fused into one node: activation(x @ w + b) ----

# activations whose slope can be read from their output alone, so the fused node keeps only
# its output and never the pre-activation z (for elu and leaky_relu when alpha >= 0: then
# out > 0 exactly where z > 0)
FUSED_ACTIVATIONS = ("relu", "leaky_relu", "elu", "sigmoid", "tanh")


def _activate(z: np.ndarray, activation: str | None, alpha: float | None) -> np.ndarray:
    """The activation's forward, on z that the fused forward owns (in place where it can);
    the same floats as the activation's own primitive."""
    if activation is None:
        return z
    if activation == "relu":
        return np.maximum(z, 0, out=z)
    if activation == "tanh":
        return np.tanh(z, out=z)
    if activation == "sigmoid":
        return _sigmoid(z)
    if activation == "elu":
        return _elu(z, alpha)
    return np.where(z > 0, z, z * alpha)  # leaky_relu


def _through_activation(g: Any, out: Any, activation: str | None, alpha: float | None) -> Any:
    """``g`` times the activation's slope at z, read from ``out``: each expression is the one
    its own primitive's rule uses, so the fused gradients equal the unfused ones exactly."""
    if activation is None:
        return g
    if activation == "relu":
        return g * (_raw(out) > 0)
    if activation == "tanh":
        return g * (1 - out * out)
    if activation == "sigmoid":
        return g * out * (1 - out)
    if activation == "elu":  # below 0, d/dz alpha*(e^z - 1) = out + alpha
        return where(_raw(out) > 0, g, g * (out + alpha))
    return g * _mask(np.where(_raw(out) > 0, 1.0, alpha), out)  # leaky_relu


def _linear(x: np.ndarray, w: np.ndarray, b: np.ndarray, activation: str | None = None,
            alpha: float | None = None) -> np.ndarray:
    # .shape of arrays directly: np.shape goes through NumPy's function dispatch
    sx = x.shape if type(x) is np.ndarray else np.shape(x)
    sw = w.shape if type(w) is np.ndarray else np.shape(w)
    if len(sw) != 2 or sx[-1:] != sw[:1]:
        raise ValueError(
            f"linear: x of shape {sx} and weight of shape {sw} do not fit: "
            "expected x (..., n) and weight (n, m)"
        )
    out = np.matmul(x, w)
    out += b  # in place: the fused layer skips one temporary
    return _activate(out, activation, alpha)


def _linear_pre(g: Any, out: Any, x: Any, w: Any, b: Any, activation: str | None = None,
                alpha: float | None = None, into: np.ndarray | None = None) -> Any:
    """The cotangent of z = x @ w + b, which all three rules start from: computed once.

    ``into`` is g itself when the backward pass owns it: relu, tanh and sigmoid then multiply
    their slope into it in place (the same floats), so the peak holds one array fewer."""
    if into is None or activation not in ("relu", "tanh", "sigmoid"):
        return _through_activation(g, out, activation, alpha)
    if activation == "relu":
        return np.multiply(into, out > 0, out=into)
    if activation == "tanh":
        return np.multiply(into, 1 - out * out, out=into)
    np.multiply(into, out, out=into)  # sigmoid: (g * out) * (1 - out), in that order
    return np.multiply(into, 1 - out, out=into)


# the rules below receive gz, the cotangent of z (``pre`` of the primitive)
def _linear_vjp_x(gz: Any, out: Any, x: Any, w: Any, b: Any, activation: str | None = None,
                  alpha: float | None = None) -> Any:
    return gz @ w.T


def _linear_vjp_w(gz: Any, out: Any, x: Any, w: Any, b: Any, activation: str | None = None,
                  alpha: float | None = None) -> Any:
    if x.ndim == 2:
        return x.T @ gz
    # every leading axis of x is a sample: fold them into one matmul
    return x.reshape(-1, w.shape[0]).T @ gz.reshape(-1, w.shape[1])


def _linear_vjp_b(gz: Any, out: Any, x: Any, w: Any, b: Any, activation: str | None = None,
                  alpha: float | None = None) -> Any:
    if gz.ndim > 1 and b.shape == gz.shape[-1:]:  # the usual bias (m,): sum the samples here
        return gz.sum(axis=tuple(range(gz.ndim - 1)))
    return gz  # a bias of another broadcastable shape: the engine sums it back


def _linear_jvp(tangent_of_z: Callable[..., Any]) -> Rule:
    def jvp(d: Any, out: Any, x: Any, w: Any, b: Any, activation: str | None = None,
            alpha: float | None = None) -> Any:
        return _through_activation(tangent_of_z(d, x, w), out, activation, alpha)
    return jvp


# x (..., n), w (n, m), b (m,); ``activation`` (one of FUSED_ACTIVATIONS) is optional
linear_p = primitive(
    "linear", _linear,
    vjp=(_linear_vjp_x, _linear_vjp_w, _linear_vjp_b),
    pre=_linear_pre,
    jvp=(_linear_jvp(lambda dx, x, w: dx @ w),
         _linear_jvp(lambda dw, x, w: x @ dw),
         _linear_jvp(lambda db, x, w: db)),
)


# ---- composites ----

_DEFAULT_ALPHA = {"elu": 1.0, "leaky_relu": 0.01}  # as ag.elu and ag.leaky_relu


def linear(x: Any, w: Any, b: Any = None, activation: str | None = None,
           alpha: float | None = None) -> Any:
    """The dense layer ``activation(x @ w + b)`` as one node (``b`` and ``activation``
    optional; ``alpha`` for elu and leaky_relu)."""
    if activation is not None and activation not in FUSED_ACTIVATIONS:
        raise ValueError(f"linear: activation must be None or one of {FUSED_ACTIVATIONS}, "
                         f"got {activation!r}")
    if activation not in _DEFAULT_ALPHA:
        if alpha is not None:
            raise ValueError(f"linear: alpha is for elu and leaky_relu, not {activation!r}")
    else:
        alpha = _DEFAULT_ALPHA[activation] if alpha is None else float(alpha)
        if not alpha >= 0:
            raise ValueError(
                f"linear: activation {activation!r} with alpha={alpha}: the fused rule reads "
                "the slope from the output, which needs alpha >= 0; apply "
                f"ag.{activation}(linear(x, w, b), alpha) instead"
            )
    if b is None:  # no fused form without a bias: two nodes
        out = matmul(x, w)
        if activation is None:
            return out
        act = {"relu": relu, "leaky_relu": leaky_relu, "elu": elu, "sigmoid": sigmoid,
               "tanh": tanh}[activation]
        return act(out) if alpha is None else act(out, alpha=alpha)
    if activation is None:
        return linear_p(x, w, b)
    if alpha is None:
        return linear_p(x, w, b, activation=activation)
    return linear_p(x, w, b, activation=activation, alpha=alpha)


# ---- linear algebra: einsum and the products built on matmul (issue 13) ----

_LETTERS = string.ascii_letters


def _einsum_vjp(g: Any, out: Any, *xs: Any, argnum: int, subscripts: str) -> Any:
    """The cotangent of operand ``argnum``: einsum of g with the other operands."""
    ins, o = subscripts.split("->")
    ins = ins.split(",")
    target, shape = ins[argnum], np.shape(_raw(xs[argnum]))
    dtype = _raw(g).dtype
    operands = [g] + [x for j, x in enumerate(xs) if j != argnum]
    terms = [o] + [t for j, t in enumerate(ins) if j != argnum]
    free = iter(c for c in _LETTERS if c not in subscripts)
    wanted = ""
    for pos, c in enumerate(target):
        if c in wanted:  # a repeated letter reads a diagonal: the cotangent goes back onto it
            fresh = next(free)
            operands.append(np.eye(shape[pos], dtype=dtype))
            terms.append(c + fresh)
            c = fresh
        wanted += c
    present = set("".join(terms))
    for pos, c in enumerate(wanted):
        if c not in present:  # summed over in x alone: every element gets the same cotangent
            operands.append(np.ones(shape[pos], dtype=dtype))
            terms.append(c)
    return einsum_p(*operands, subscripts=",".join(terms) + "->" + wanted)


def _einsum_jvp(dx: Any, out: Any, *xs: Any, argnum: int, subscripts: str) -> Any:
    return einsum_p(*[dx if j == argnum else x for j, x in enumerate(xs)], subscripts=subscripts)


# subscripts are explicit, without ellipsis: the composite einsum() writes them out
einsum_p = primitive(
    "einsum", lambda *xs, subscripts: np.asarray(np.einsum(subscripts, *xs, optimize=True)),
    vjp=_einsum_vjp,
    jvp=_einsum_jvp,
    variadic=True,
)


def _einsum_subscripts(subscripts: str, shapes: list[tuple[int, ...]]) -> str:
    """``subscripts`` in explicit form, each '...' replaced by letters of its own."""
    s = subscripts.replace(" ", "")
    lhs, explicit, out = s.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum: subscripts {subscripts!r} name {len(terms)} operands but "
                         f"{len(shapes)} were given")
    spare = [c for c in _LETTERS if c not in s]
    ell_ndim = 0
    for t, shape in zip(terms, shapes):
        if "..." in t:
            ell_ndim = builtins.max(ell_ndim, len(shape) - (len(t) - 3))
    ell = "".join(spare[:ell_ndim])
    written = []
    for i, (t, shape) in enumerate(zip(terms, shapes)):
        if "..." in t:
            k = len(shape) - (len(t) - 3)
            t = t.replace("...", ell[ell_ndim - k:] if k > 0 else "")
        if len(t) != len(shape) or not t.isalpha() and t:
            raise ValueError(f"einsum: operand {i} has shape {shape} but its subscripts "
                             f"{terms[i]!r} name {len(t)} axes")
        written.append(t)
    if explicit:
        out = out.replace("...", ell)
    else:  # NumPy's implicit output: the broadcast axes, then the letters seen once, sorted
        counts = Counter("".join(terms).replace(".", ""))
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1))
    return ",".join(written) + "->" + out


def einsum(subscripts: str, *operands: Any) -> Any:
    """Einstein summation, as ``np.einsum`` (explicit or implicit output, '...' allowed)."""
    shapes = [np.shape(_raw(x)) for x in operands]
    spec = _einsum_subscripts(subscripts, shapes)
    ins, out = spec.split("->")
    seen: dict[str, tuple[int, int]] = {}
    for i, (term, shape) in enumerate(zip(ins.split(","), shapes)):
        for c, n in zip(term, shape):
            if c in seen and n != seen[c][0] and 1 not in (n, seen[c][0]):
                shown = ", ".join(str(s) for s in shapes)
                raise ValueError(f"einsum: axis {c!r} has size {seen[c][0]} in operand "
                                 f"{seen[c][1]} but {n} in operand {i} (subscripts "
                                 f"{subscripts!r}, shapes {shown})")
            seen.setdefault(c, (n, i))
    unknown = set(out) - set(ins)
    if unknown:
        raise ValueError(f"einsum: output axes {sorted(unknown)} appear in no operand "
                         f"(subscripts {subscripts!r})")
    return einsum_p(*operands, subscripts=spec)


def _axis_list(op: str, axes: Any, ndim: int) -> list[int]:
    axes = [axes] if isinstance(axes, (int, np.integer)) else list(axes)
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"{op}: axis {a} is out of range for {ndim} dimensions")
    return [int(a) % ndim for a in axes]


def tensordot(x: Any, y: Any, axes: int | Sequence[Any] = 2) -> Any:
    """Sum products over ``axes`` of x and y (as ``np.tensordot``), as one matmul."""
    sx, sy = np.shape(_raw(x)), np.shape(_raw(y))
    if isinstance(axes, (int, np.integer)):
        if not 0 <= axes <= builtins.min(len(sx), len(sy)):
            raise ValueError(f"tensordot: axes={axes} does not fit shapes {sx} and {sy}")
        ax, ay = list(range(len(sx) - axes, len(sx))), list(range(axes))
    else:
        ax, ay = _axis_list("tensordot", axes[0], len(sx)), _axis_list("tensordot", axes[1],
                                                                         len(sy))
    if [sx[a] for a in ax] != [sy[a] for a in ay]:
        raise ValueError(f"tensordot: shapes {sx} and {sy} do not match on axes {ax} and {ay} "
                         f"({[sx[a] for a in ax]} != {[sy[a] for a in ay]})")
    fx = [i for i in range(len(sx)) if i not in ax]
    fy = [i for i in range(len(sy)) if i not in ay]
    k = math.prod(sx[a] for a in ax)
    a = reshape(transpose(x, fx + ax), (math.prod(sx[i] for i in fx), k))
    b = reshape(transpose(y, ay + fy), (k, math.prod(sy[i] for i in fy)))
    return reshape(matmul(a, b), tuple(sx[i] for i in fx) + tuple(sy[i] for i in fy))


def dot(x: Any, y: Any) -> Any:
    """NumPy's dot: a product for scalars, matmul up to 2-d, else sum over x's last axis and
    y's second-to-last."""
    sx, sy = np.shape(_raw(x)), np.shape(_raw(y))
    if not sx or not sy:
        return multiply(x, y)
    k = sy[0] if len(sy) == 1 else sy[-2]
    if sx[-1] != k:
        raise ValueError(f"dot: shapes {sx} and {sy} are not aligned ({sx[-1]} != {k})")
    if len(sx) <= 2 and len(sy) <= 2:
        return matmul(x, y)
    return tensordot(x, y, axes=([-1], [0 if len(sy) == 1 else -2]))


def outer(x: Any, y: Any) -> Any:
    """Outer product of the flattened x and y."""
    return multiply(reshape(x, (-1, 1)), reshape(y, (1, -1)))
