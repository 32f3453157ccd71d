"""Functional transforms: grad, value_and_grad, vjp, jvp, jacobian, hessian (JAX's names).

Each takes a function and returns a function (or, for vjp and jvp, evaluates at a point). They
accept floats, arrays or Tensors and return NumPy arrays, so ``grad(f)(3.0)`` is ``array(6.)``.

Nesting: a transform called on plain values is the outermost one and hands back NumPy. A
transform whose inputs are tracked by an enclosing one (a Tensor that requires grad, or a Dual)
hands back values of that kind instead, so the enclosing transform can go on differentiating:

- reverse inside reverse (``grad(grad(f))``): each level makes its own input node on top of
  the enclosing one's Tensor, pulls cotangents back to that node only (no ``.grad`` is
  touched) and records that backward pass (``create_graph``) whenever something outside the
  level is tracked, so the result is a Tensor carrying its own graph.
- reverse inside forward (``jvp(grad(f), ...)``, ``jacobian(grad(f), mode="fwd")``): grad
  receives Duals. It runs f on ``Dual(input node, tangent)`` and pulls back both the primal
  and the tangent of the output: the pullback of the tangent is the derivative of the
  gradient along the tangent (mixed partials commute), so the result is a Dual.
- forward inside reverse (``grad`` of a function that calls ``jvp``) is a Dual over Tensors.

Limitation: nested forward levels are all ``Dual``s, not tagged per level, so a function given
to an inner ``jvp`` must take the outer level's Duals as arguments, not close over them.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import ops
from .dual import Dual
from .engine import count_consumers, pullback
from .modes import enable_grad
from .tensor import Tensor

Argnums = int | Sequence[int]

# The leaves transforms make for their inputs (by id; Tensor's == is elementwise, so no sets),
# and those of the transforms still running f. A finished level's leaf is a constant to its
# enclosing levels; a running level's leaf, or a user's, makes the result worth a graph.
_LEVEL_LEAVES: weakref.WeakValueDictionary[int, Tensor] = weakref.WeakValueDictionary()
_RUNNING: list[set[int]] = []


def _is_foreign(leaf: Tensor) -> bool:
    """Whether a tracked leaf belongs to the user or to an enclosing transform still running."""
    if _LEVEL_LEAVES.get(id(leaf)) is not leaf:
        return True
    return any(id(leaf) in ids for ids in _RUNNING)


# ---- values: what an enclosing transform tracks, and what goes back to the caller ----


def _tracked(v: Any) -> bool:
    """Whether an enclosing reverse-mode transform (or user) records operations on ``v``."""
    if isinstance(v, Tensor):
        return v.requires_grad
    if isinstance(v, Dual):
        return _tracked(v.primal) or _tracked(v.tangent)
    return False


def _export(v: Any, keep: bool) -> Any:
    """Tensors stay Tensors for an enclosing transform; otherwise plain (copied) NumPy."""
    if isinstance(v, Dual):
        return Dual(_export(v.primal, keep), _export(v.tangent, keep))
    if keep and isinstance(v, Tensor):
        return v
    return np.array(ops._raw(v))


def _argnums(name: str, argnums: Argnums, nargs: int) -> tuple[int, ...]:
    nums = (argnums,) if isinstance(argnums, (int, np.integer)) else tuple(argnums)
    if not nums or not all(isinstance(i, (int, np.integer)) for i in nums):
        raise TypeError(f"{name}: argnums must be an int or a tuple of ints, got {argnums!r}")
    out = []
    for i in nums:
        if not -nargs <= i < nargs:
            raise ValueError(
                f"{name}: argnums {argnums!r} refers to argument {i}, but f was called with "
                f"{nargs} positional argument(s)"
            )
        out.append(int(i) % nargs)
    if len(set(out)) != len(out):
        raise ValueError(f"{name}: argnums {argnums!r} repeats an argument")
    return tuple(out)


def _float_input(name: str, i: int, v: Any) -> np.ndarray:
    arr = ops.float64_if_python(v, np.asarray(v))
    if arr.dtype.kind != "f":
        raise TypeError(
            f"{name}: argument {i} has dtype {arr.dtype} (shape {arr.shape}); only "
            "floating-point inputs can be differentiated"
        )
    return arr


def _input_node(name: str, i: int, v: Any) -> Tensor:
    """This level's input: a new leaf, or a node on top of a Tensor an enclosing level tracks."""
    if isinstance(v, Dual):
        raise TypeError(
            f"{name}: argument {i} is a Dual of a Dual; reverse mode under two forward levels "
            "is not supported (use reverse-over-reverse, e.g. jacobian(..., mode='rev'))"
        )
    if isinstance(v, Tensor) and v.requires_grad:
        # the pullback stops at this node; the enclosing graph still reaches v through it
        return ops.reshape_p(v, shape=v.shape)
    leaf = Tensor(_float_input(name, i, v.data if isinstance(v, Tensor) else v),
                  requires_grad=True)
    _LEVEL_LEAVES[id(leaf)] = leaf
    return leaf


def _split(v: Any) -> tuple[Any, Any]:
    return (v.primal, v.tangent) if isinstance(v, Dual) else (v, None)


def _check_output(name: str, out: Any) -> None:
    raw = out
    while isinstance(raw, Dual):
        raw = raw.primal
    if not isinstance(raw, (Tensor, np.ndarray, np.generic, int, float)) or isinstance(raw, bool):
        raise TypeError(
            f"{name}: f must return one array, Tensor or number, got {type(out).__name__}"
        )
    dt = ops._raw(raw).dtype
    if dt.kind != "f":
        raise TypeError(f"{name}: f returned dtype {dt}; only floating-point outputs have "
                        "derivatives")


# ---- the reverse pass from one output to this level's input nodes ----


class _Pullback:
    """Pulls cotangents of ``out`` back to ``nodes``, any number of times, touching no ``.grad``.

    Unlike ``Tensor.backward`` it stops at ``nodes`` (which may be interior nodes of an enclosing
    graph), keeps the graph, and returns the cotangents instead of accumulating them. It also
    notes whether ``out`` depends on a leaf outside this level (a Tensor f closes over).
    """

    def __init__(self, out: Any, nodes: Sequence[Tensor]) -> None:
        self.out = out
        self.nodes = list(nodes)
        self.foreign = False
        if isinstance(out, Tensor) and out.requires_grad:
            stops = set(self.nodes)
            self.foreign = any(n._op is None and n not in stops and _is_foreign(n)
                               for n in count_consumers(out, stops))

    def __call__(self, g: Any, create_graph: bool) -> list[Any]:
        """The cotangent of each input node for the output cotangent ``g`` (zeros if no path)."""
        cots = pullback(self.out, self.nodes, g, create_graph)
        return [np.zeros_like(n.data) if c is None else c for n, c in zip(self.nodes, cots)]


class _Trace:
    """f run once on this level's input nodes, ready to pull output cotangents back to them."""

    def __init__(self, name: str, f: Callable[..., Any], args: Sequence[Any],
                 argnums: tuple[int, ...]) -> None:
        self.name = name
        call = list(args)
        self.nodes: list[Tensor] = []
        with enable_grad():
            for i in argnums:
                primal, tangent = _split(args[i])
                node = _input_node(name, i, primal)
                self.nodes.append(node)
                call[i] = node if tangent is None else Dual(node, tangent)
            _RUNNING.append({id(n) for n in self.nodes})
            try:
                out = f(*call)
            finally:
                _RUNNING.pop()
        _check_output(name, out)
        self.out = out
        self.primal, self.tangent = _split(out)
        self._primal_pb = _Pullback(self.primal, self.nodes)
        self._tangent_pb = _Pullback(self.tangent, self.nodes) if self.tangent is not None \
            else None
        self.keep = any(_tracked(a) for a in args) or self._primal_pb.foreign or (
            self._tangent_pb is not None and self._tangent_pb.foreign)
        self.has_tangent = any(isinstance(a, Dual) for a in args) or self.tangent is not None

    @property
    def out_shape(self) -> tuple[int, ...]:
        return tuple(np.shape(ops._raw(self.primal)))

    @property
    def out_dtype(self) -> np.dtype:
        return ops._raw(self.primal).dtype

    def pull(self, g: Any) -> list[Any]:
        """The cotangent of each differentiated argument for the output cotangent ``g``."""
        create = self.keep or _tracked(g)
        g0, g1 = _split(g)
        cots = self._primal_pb(g0, create)
        if not (self.has_tangent or g1 is not None):
            return cots
        # the tangent of J^T g along the inputs' tangents is the pullback of the output tangent
        tans = self._tangent_pb(g0, create) if self._tangent_pb is not None \
            else [np.zeros_like(n.data) for n in self.nodes]
        if g1 is not None:
            tans = [t + c for t, c in zip(tans, self._primal_pb(g1, create))]
        return [Dual(c, t) for c, t in zip(cots, tans)]


def _named(f: Callable[..., Any], transform: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = functools.wraps(f)(fn)
    fn.__name__ = f"{transform}({getattr(f, '__name__', 'f')})"
    fn.__qualname__ = fn.__name__
    fn.__doc__ = f"{transform} of {getattr(f, '__name__', 'f')}."
    fn.__wrapped__ = f  # type: ignore[attr-defined]
    return fn


# ---- the transforms ----


def value_and_grad(f: Callable[..., Any], argnums: Argnums = 0) -> Callable[..., Any]:
    """A function returning ``(f(*args), gradient)``; a tuple of gradients for tuple argnums."""

    def value_and_grad_f(*args: Any) -> tuple[Any, Any]:
        return _value_and_grad("value_and_grad", f, argnums, args)

    return _named(f, "value_and_grad", value_and_grad_f)


def grad(f: Callable[..., Any], argnums: Argnums = 0) -> Callable[..., Any]:
    """A function returning the gradient of the scalar ``f`` with respect to ``args[argnums]``."""

    def grad_f(*args: Any) -> Any:
        return _value_and_grad("grad", f, argnums, args)[1]

    return _named(f, "grad", grad_f)


def _value_and_grad(name: str, f: Callable[..., Any], argnums: Argnums,
                    args: Sequence[Any]) -> tuple[Any, Any]:
    nums = _argnums(name, argnums, len(args))
    trace = _Trace(name, f, args, nums)
    if int(np.prod(trace.out_shape)) != 1:
        raise ValueError(
            f"{name}: f must return a scalar, got an output of shape {trace.out_shape}; "
            "reduce it (e.g. .sum() or .mean()) or use jacobian / vjp for non-scalar outputs"
        )
    grads = [_export(c, trace.keep) for c in trace.pull(np.ones(trace.out_shape,
                                                                 trace.out_dtype))]
    value = _export(trace.out, trace.keep)
    return value, grads[0] if isinstance(argnums, (int, np.integer)) else tuple(grads)


def vjp(f: Callable[..., Any], *primals: Any) -> tuple[Any, Callable[[Any], tuple[Any, ...]]]:
    """``(f(*primals), vjp_fn)``: ``vjp_fn(cotangent)`` gives one cotangent per primal."""
    if not primals:
        raise TypeError("vjp: needs at least one primal")
    trace = _Trace("vjp", f, primals, tuple(range(len(primals))))
    out_shape, out_dtype = trace.out_shape, trace.out_dtype

    def vjp_fn(cotangent: Any) -> tuple[Any, ...]:
        """The cotangent of each primal for the output cotangent ``cotangent``."""
        c0 = _split(cotangent)[0]
        if tuple(np.shape(ops._raw(c0))) != out_shape:
            raise ValueError(
                f"vjp: cotangent of shape {np.shape(ops._raw(c0))} does not match the output's "
                f"shape {out_shape}"
            )
        if not isinstance(cotangent, (Tensor, Dual)):
            cotangent = np.asarray(cotangent, dtype=out_dtype)
        keep = trace.keep or _tracked(cotangent)
        return tuple(_export(c, keep) for c in trace.pull(cotangent))

    return _export(trace.out, trace.keep), vjp_fn


def _as_tuple(name: str, what: str, v: Any) -> tuple[Any, ...]:
    if not isinstance(v, (tuple, list)):
        raise TypeError(
            f"{name}: {what} must be a tuple or list with one entry per argument of f, "
            f"got {type(v).__name__} (write ({what[:-1]},) for a single argument)"
        )
    return tuple(v)


def _tangent_for(name: str, i: int, primal: Any, tangent: Any) -> Any:
    pshape = tuple(np.shape(ops._raw(primal)))
    tshape = tuple(np.shape(ops._raw(_split(tangent)[0])))
    if pshape != tshape:
        raise ValueError(
            f"{name}: tangent {i} has shape {tshape} but primal {i} has shape {pshape}"
        )
    if isinstance(tangent, (Tensor, Dual)):
        return tangent
    return np.asarray(tangent, dtype=_float_input(name, i, ops._raw(primal)).dtype)


def _lift_primal(v: Any) -> Any:
    """A Tensor nobody tracks is just its data; tracked Tensors and Duals stay as they are."""
    if isinstance(v, Tensor) and not v.requires_grad:
        return v.data
    if isinstance(v, (Tensor, Dual)):
        return v
    return ops.float64_if_python(v, np.asarray(v), kinds="iub")


def jvp(f: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any]
        ) -> tuple[Any, Any]:
    """``(f(*primals), J @ tangents)``, computed in one pass on dual numbers."""
    primals = _as_tuple("jvp", "primals", primals)
    tangents = _as_tuple("jvp", "tangents", tangents)
    if len(primals) != len(tangents):
        raise ValueError(
            f"jvp: got {len(primals)} primal(s) but {len(tangents)} tangent(s); "
            "give one tangent per primal"
        )
    args = []
    for i, (p, t) in enumerate(zip(primals, tangents)):
        p = _lift_primal(p)
        args.append(Dual(p, _tangent_for("jvp", i, p, t)))
    out, tangent_out = _push(f, args, "jvp")
    keep = any(_tracked(a) for a in args) or _tracked(out) or _tracked(tangent_out)
    return _export(out, keep), _export(tangent_out, keep)


def _push(f: Callable[..., Any], args: Sequence[Any], name: str) -> tuple[Any, Any]:
    """f on Duals: the primal and tangent of its output (a zero tangent if f ignores them)."""
    with enable_grad():
        out = f(*args)
    _check_output(name, out)
    if isinstance(out, Dual):
        return out.primal, out.tangent
    return out, np.zeros(np.shape(ops._raw(out)), ops._raw(out).dtype)


def jacobian(f: Callable[..., Any], argnums: Argnums = 0, mode: str = "rev"
             ) -> Callable[..., Any]:
    """A function returning the Jacobian of f, of shape ``out.shape + in.shape``.

    ``mode="rev"`` pulls back one basis cotangent per output element; ``mode="fwd"`` pushes one
    basis tangent per input element through dual numbers. Tuple argnums give a tuple.
    """
    if mode not in ("rev", "fwd"):
        raise ValueError(f"jacobian: mode must be 'rev' or 'fwd', got {mode!r}")

    def jacobian_f(*args: Any) -> Any:
        nums = _argnums("jacobian", argnums, len(args))
        jacs = (_jac_rev if mode == "rev" else _jac_fwd)(f, args, nums)
        return jacs[0] if isinstance(argnums, (int, np.integer)) else tuple(jacs)

    return _named(f, f"jacobian[{mode}]", jacobian_f)


def _basis(shape: tuple[int, ...], dtype: np.dtype, k: int) -> np.ndarray:
    e = np.zeros(int(np.prod(shape)), dtype=dtype)
    e[k] = 1
    return e.reshape(shape)


def _assemble(pieces: list[Any], lead: tuple[int, ...], shape: tuple[int, ...], dtype: Any,
              axis: int, keep: bool) -> Any:
    """Stack per-element results into the Jacobian, differentiably when a level encloses us."""
    if not pieces:
        return np.zeros(shape, dtype=dtype)
    if keep or any(isinstance(p, (Tensor, Dual)) for p in pieces):
        return _export(ops.reshape(ops.stack(pieces, axis=axis), shape), keep)
    return np.stack([np.asarray(p) for p in pieces], axis=axis).reshape(shape)


def _jac_rev(f: Callable[..., Any], args: Sequence[Any], nums: tuple[int, ...]) -> list[Any]:
    trace = _Trace("jacobian", f, args, nums)
    oshape, odtype = trace.out_shape, trace.out_dtype
    rows = [[_export(c, trace.keep) for c in trace.pull(_basis(oshape, odtype, k))]
            for k in range(int(np.prod(oshape)))]
    jacs = []
    for j, node in enumerate(trace.nodes):
        pieces = [row[j] for row in rows]
        jacs.append(_assemble(pieces, oshape, oshape + node.shape, node.dtype, 0, trace.keep))
    return jacs


def _jac_fwd(f: Callable[..., Any], args: Sequence[Any], nums: tuple[int, ...]) -> list[Any]:
    # every Dual already among the arguments belongs to an enclosing level: wrap it in this
    # level's Dual (zero tangent) so the two levels' tangents never mix
    base = [Dual(a, None) if isinstance(a, Dual) else a for a in args]
    jacs = []
    for j in nums:
        primal = _lift_primal(args[j])
        dtype = _float_input("jacobian", j, ops._raw(primal)).dtype
        ishape = tuple(np.shape(ops._raw(primal)))
        columns, oshape, keep = [], None, _tracked(primal)
        for k in range(int(np.prod(ishape))):
            call = list(base)
            call[j] = Dual(primal, _basis(ishape, dtype, k))
            out, tangent = _push(f, call, "jacobian")
            oshape = tuple(np.shape(ops._raw(out)))
            keep = keep or any(_tracked(a) for a in args) or _tracked(out) or _tracked(tangent)
            columns.append(tangent)
        if oshape is None:  # an empty input: evaluate once for the output's shape
            out, _ = _push(f, base, "jacobian")
            oshape = tuple(np.shape(ops._raw(out)))
        jacs.append(_assemble(columns, oshape, oshape + ishape, dtype, -1, keep))
    return jacs


def hessian(f: Callable[..., Any], argnums: Argnums = 0) -> Callable[..., Any]:
    """A function returning the Hessian of the scalar f, of shape ``in.shape + in.shape``.

    Forward over reverse (the Jacobian of the gradient, one dual-number pass per input
    element), as ``jax.hessian``; reverse over reverse when an enclosing ``jvp`` already
    passes Duals in. Tuple argnums give the blocks ``H[i][j]`` as nested tuples.
    """

    def hessian_f(*args: Any) -> Any:
        nums = _argnums("hessian", argnums, len(args))
        mode = "rev" if any(isinstance(a, Dual) for a in args) else "fwd"
        if isinstance(argnums, (int, np.integer)):
            return jacobian(grad(f, nums[0]), nums[0], mode=mode)(*args)
        return tuple(tuple(jacobian(grad(f, i), j, mode=mode)(*args) for j in nums)
                     for i in nums)

    return _named(f, "hessian", hessian_f)


__all__ = ["grad", "hessian", "jacobian", "jvp", "value_and_grad", "vjp"]
