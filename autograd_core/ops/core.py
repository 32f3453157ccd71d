"""The op table: every primitive's forward, reverse (VJP) and forward (JVP) rules, side by side.

Rule arguments have fixed names everywhere in this file:

    g        the cotangent of the output (the output's shape)
    out      the forward result
    x, y     the inputs, in order
    dx, dy   the tangent of one input; a JVP rule is linear in it
    **params the op's non-differentiable keyword arguments (axis, keepdims, shape, ...)

A primitive lists one VJP rule and one JVP rule per input, in input order, or None for an input
that is not differentiable. The engine calls only the rules of inputs that need them. A
primitive linear in its one input (reshape, transpose, sum, getitem...) says ``jvp=LINEAR``
instead: its JVP is the op itself applied to the tangent. An axis-taking primitive passes
``normalize=along_axes()`` so that its rules only ever see non-negative axes.

Rules are written with operators, the methods NumPy arrays and Tensors share (``.sum``,
``.reshape``, ``.T``) and the ops of this table, so that one rule runs on plain arrays (an
ordinary backward pass, no graph) and on Tensors (``backward(create_graph=True)``, which
records the backward pass so that gradients of gradients work).

Broadcasting is undone in one place: a VJP rule may return a cotangent of the broadcast
shape and the engine sums it back to the input's shape; a JVP rule may return a tangent of
the input's shape and the forward engine broadcasts it to the output's shape.

Every op is polymorphic: Tensors in give a Tensor out (recorded for reverse mode), Duals in
give a Dual out (forward mode), and plain numbers or arrays give a plain NumPy result.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

Rule = Callable[..., Any]


# ---- the primitive and its dispatch ----

# type -> (priority, handler). tensor.py registers Tensor and dual.py registers Dual; an op's
# arguments go to the handler of highest priority (Dual over Tensor, so forward mode can run
# over a recorded graph), or straight to NumPy when none is registered.
_HANDLERS: dict[type, tuple[int, Callable[..., Any]] | None] = {}


def register_handler(cls: type, priority: int, handler: Callable[..., Any]) -> None:
    """Route ops whose arguments include instances of ``cls`` (or subclasses) to ``handler``."""
    _HANDLERS.clear()  # drop cached subclass lookups
    _REGISTERED[cls] = (priority, handler)


_REGISTERED: dict[type, tuple[int, Callable[..., Any]]] = {}
_UNSEEN: Any = object()


def _handler_for(cls: type) -> tuple[int, Callable[..., Any]] | None:
    try:
        return _HANDLERS[cls]
    except KeyError:
        found = None
        for base in cls.__mro__:
            if base in _REGISTERED:
                found = _REGISTERED[base]
                break
        _HANDLERS[cls] = found
        return found


class Op:
    """A primitive: a NumPy forward plus one VJP and one JVP rule per input."""

    __slots__ = ("name", "forward", "vjps", "jvps", "variadic", "normalize", "adds", "pre")

    def __init__(
        self,
        name: str,
        forward: Callable[..., Any],
        vjp: Sequence[Rule | None] | Rule,
        jvp: Sequence[Rule | None] | Rule,
        variadic: bool = False,
        normalize: Callable[..., dict[str, Any]] | None = None,
        add: Sequence[Rule | None] | None = None,
        pre: Rule | None = None,
    ) -> None:
        self.name = name
        self.forward = forward
        # params -> params, run once per call before any handler: rules see only its output
        self.normalize = normalize
        # variadic ops (concatenate) have one rule taking ``argnum``, the input's position
        self.vjps = vjp if variadic else tuple(vjp)
        self.jvps = jvp if variadic else tuple(jvp)
        self.variadic = variadic
        # optional, per input: ``add(buffer, g, out, *xs, **params)`` adds the input's
        # cotangent into ``buffer`` in place; the engine uses it instead of the VJP rule when it
        # owns the input's cotangent buffer and records no graph (see ``primitive``)
        self.adds = None if add is None else tuple(add)
        # optional: ``pre(g, out, *xs, **params)``, the first step of every input's VJP, run
        # once per node; the rules in ``vjps`` then receive its result as ``g``. The engine
        # adds ``into=g`` when g is a buffer it owns, which pre may overwrite
        self.pre = pre

    def vjp_rule(self, i: int) -> Rule | None:
        """The whole reverse rule for input ``i`` (``pre`` included; ``None`` when that input is
        not differentiable)."""
        rule = self.vjps[i] if not self.variadic else \
            lambda *a, **p: self.vjps(*a, argnum=i, **p)
        pre = self.pre
        if pre is None or rule is None:
            return rule
        return lambda g, out, *xs, **p: rule(pre(g, out, *xs, **p), out, *xs, **p)

    def jvp_rule(self, i: int) -> Rule | None:
        """The forward rule for input ``i`` (``None`` when that input is not differentiable)."""
        if self.variadic:
            return lambda *a, **p: self.jvps(*a, argnum=i, **p)
        return self.jvps[i]

    def __call__(self, *args: Any, **params: Any) -> Any:
        if self.normalize is not None:
            params = self.normalize(self, args, params)
        best = None
        for a in args:
            h = _HANDLERS.get(type(a), _UNSEEN)
            if h is _UNSEEN:
                h = _handler_for(type(a))
            if h is not None and (best is None or h[0] > best[0]):
                best = h
        if best is None:
            return self.forward(*args, **params)
        return best[1](self, args, params)

    def __repr__(self) -> str:
        return f"<primitive {self.name}>"


OPS: dict[str, Op] = {}


def primitive(
    name: str,
    forward: Callable[..., Any],
    vjp: Sequence[Rule | None] | Rule,
    jvp: Sequence[Rule | None] | Rule,
    variadic: bool = False,
    normalize: Callable[..., dict[str, Any]] | None = None,
    add: Sequence[Rule | None] | None = None,
    pre: Rule | None = None,
) -> Op:
    """Declare a primitive and add it to the op table.

    ``normalize(op, args, params) -> params`` (optional, e.g. ``along_axes``) rewrites the
    params once per call, so the rules see one canonical form (non-negative axes).

    ``add`` (optional, one rule or None per input) is a second form of the VJP for ops whose
    cotangent is mostly zeros (``getitem``): ``add(buffer, g, out, x, ..., **params)`` adds
    input i's cotangent into ``buffer``, an array of that input's shape and dtype, in place.
    A plain backward pass uses it, so T slices of one array cost T slice-sized additions into
    one buffer, not T dense arrays; ``backward(create_graph=True)`` uses the VJP rule, which
    records. The two must agree; the op-table tests check both.

    ``pre`` (optional) is the step every input's VJP starts with, for fused ops: ``linear``
    with an activation multiplies g by the activation's slope once per node, not once per
    input. Its rules in ``vjp`` take the result of ``pre(g, out, *xs, **params)`` as ``g``;
    ``Op.vjp_rule(i)`` gives the whole rule. When the backward pass owns g (a buffer no one
    else reads) it calls ``pre(g, out, *xs, into=g, **params)``: pre may write its result
    into ``into`` and return it, so the memory peak holds one cotangent fewer.
    """
    if add is not None and variadic:
        raise ValueError(f"primitive {name!r}: add= rules are per input, not for variadic ops")
    if name in OPS:
        raise ValueError(f"primitive {name!r} is already in the op table")
    if jvp is LINEAR:
        jvp = (_tangent_through(name),)
    if pre is not None and (variadic or add is not None):
        raise ValueError(f"primitive {name!r}: pre= is for fixed-arity ops without add= rules")
    op = Op(name, forward, vjp, jvp, variadic, normalize, add, pre)
    OPS[name] = op
    return op


class _Linear:
    """``jvp=LINEAR``: the op is linear in its one input, so its forward rule is the op itself
    applied to the tangent, ``op(dx, **params)`` (HIPS autograd's ``def_linear``, JAX's
    ``deflinear``). Then the rule cannot drift from the forward computation."""

    def __repr__(self) -> str:
        return "LINEAR"


LINEAR: Any = _Linear()


def _tangent_through(name: str) -> Rule:
    def jvp(dx: Any, out: Any, x: Any, **params: Any) -> Any:
        return OPS[name](dx, **params)

    jvp.__name__ = f"{name}_jvp"
    jvp.__qualname__ = f"linear {name}: {name}(dx)"
    return jvp


# ---- helpers shared by the rules ----


def _raw(a: Any) -> Any:
    """The plain NumPy value behind a Tensor, a Dual's primal, or an array (for masks)."""
    while hasattr(a, "primal"):
        a = a.primal
    if type(a) is np.ndarray:
        return a
    inner = getattr(a, "_data", None)  # a Tensor's array, read internally: not handed out
    return inner if type(inner) is np.ndarray else np.asarray(a)


def float64_if_python(value: Any, arr: np.ndarray, kinds: str = "iu") -> np.ndarray:
    """``arr`` made from ``value``: Python numbers and lists default to float64, arrays keep
    their dtype (NumPy alone would make Python ints int64)."""
    if arr.dtype.kind in kinds and not isinstance(value, (np.ndarray, np.generic)):
        return arr.astype(np.float64)
    return arr


# ---- axes: negative axes become positions in one place ----


def normalize_axis(axis: Any, ndim: int, op: str = "axis") -> Any:
    """``axis`` (None, an int or a sequence of ints, negatives counting from the end) with
    every entry in ``0..ndim-1``: an int stays an int, a sequence becomes a tuple.

    Out-of-range and repeated axes raise ``numpy.exceptions.AxisError`` naming ``op``.
    """
    if axis is None:
        return None
    single = isinstance(axis, (int, np.integer))
    try:
        items = [int(axis)] if single else [int(a) for a in axis]
    except TypeError:
        raise TypeError(f"{op}: axis must be None, an int or a sequence of ints, got "
                        f"{axis!r}") from None
    out = []
    for a in items:
        if not -ndim <= a < ndim:
            raise np.exceptions.AxisError(
                f"{op}: axis {a} is out of bounds for an array of {ndim} dimensions")
        out.append(a % ndim)
    if len(set(out)) != len(out):
        raise np.exceptions.AxisError(f"{op}: repeated axis in {tuple(items)}")
    return out[0] if single else tuple(out)


def along_axes(key: str = "axis") -> Callable[..., dict[str, Any]]:
    """A ``normalize`` for ``primitive``: ``params[key]`` made non-negative against the
    first input's number of dimensions (``normalize_axis``)."""

    def normalize(op: Op, args: Sequence[Any], params: dict[str, Any]) -> dict[str, Any]:
        if key not in params:
            return params
        axis = params[key]
        if axis is None or (type(axis) is int and axis >= 0):
            return params  # the common case, already canonical: no copy
        return {**params, key: normalize_axis(axis, len(_shape(args[0])), op.name)}

    return normalize


def weak_scalar(value: Any, like: np.dtype | None) -> np.ndarray | None:
    """``value`` as a 0-d array of the float dtype ``like`` when it is a scalar met beside a
    floating-point tensor (a Python number, a NumPy scalar or a 0-d array, not a bool), else
    None: scalars never upcast float32 data, whatever their own dtype."""
    if like is None or like.kind != "f":
        return None
    kind = type(value)
    if kind is float or kind is int:
        return np.asarray(value, dtype=like)
    if isinstance(value, (np.generic, np.ndarray)) and value.ndim == 0 \
            and value.dtype.kind in "iuf":
        return np.asarray(value, dtype=like)
    return None


def _axes(axis: int | Sequence[int] | None, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (int, np.integer)):
        axis = (axis,)
    return tuple(int(a) % ndim if ndim else int(a) for a in axis)


def _kept_shape(shape: tuple[int, ...], axis: Any) -> tuple[int, ...]:
    """``shape`` with the reduced axes set to 1: where a reduction's output broadcasts back."""
    axes = _axes(axis, len(shape))
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _count(shape: tuple[int, ...], axis: Any) -> int:
    axes = _axes(axis, len(shape))
    return math.prod(shape[i] for i in axes)


def _result_float_dtype(a: Any) -> np.dtype:
    """The floating-point dtype ``a`` computes in: its own, or float64 for ints and bools."""
    dt = np.result_type(_raw(a))
    return dt if dt.kind == "f" else np.dtype(np.float64)


def _mask(condition: Any, like: Any) -> np.ndarray:
    """A 0/1 array in the float dtype of ``like``: multiplies a cotangent without upcasting."""
    return np.asarray(condition, dtype=_result_float_dtype(like))


def _shape(x: Any) -> tuple[int, ...]:
    shape = getattr(x, "shape", None)  # a Tensor's own: np.shape would go through dispatch
    return tuple(np.shape(x) if shape is None else shape)
