"""Tensor: a node of the computation graph, holding its data and the edge that produced it."""

from __future__ import annotations

import copy
import weakref
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from . import constants, display, ops
from .constants import constant as _constant  # engine.py imports it from here
from .constants import refuse_if_shared
from .guard import Guard, hold_foreign
from .modes import (  # no_grad, enable_grad, is_grad_enabled: still importable from here
    ALTERED,
    STATE,
    enable_grad,  # noqa: F401
    is_grad_enabled,  # noqa: F401
    no_grad,  # noqa: F401
    note_forward,
)
from .ops import ArrayMethods, Op

_ALLOWED_KINDS = "biuf"  # bool, signed and unsigned integers, floats

# engine.py registers its backward here on import, so this module needs no import of the engine
# (which imports this one): Tensor.backward calls it
_ENGINE: Callable[..., None] | None = None


def _as_array(data: Any, dtype: Any = None, copy: bool = True) -> np.ndarray:
    if type(data) is float and dtype is None:  # the scalar parameters of a micrograd-style net
        return np.array(data)
    if isinstance(data, Tensor):
        data = data._data
    try:
        arr = np.array(data, dtype=dtype, copy=copy) if copy else np.asarray(data, dtype=dtype)
    except (TypeError, ValueError) as e:
        kind = type(data).__name__
        raise TypeError(f"Tensor: cannot make numeric data from {kind}: {e}") from None
    if arr.dtype.kind not in _ALLOWED_KINDS:
        raise TypeError(
            f"Tensor: data of dtype {arr.dtype} is not supported; "
            "use booleans, integers or floats"
        )
    return arr if dtype is not None else ops.float64_if_python(data, arr)


def _check_requires_grad(data: np.ndarray, requires_grad: bool) -> None:
    if requires_grad and data.dtype.kind != "f":
        raise TypeError(
            f"Tensor: only floating-point tensors can require grad, got dtype {data.dtype}; "
            "pass dtype=np.float64 (or float32)"
        )


_PLAIN = frozenset({float, int, np.ndarray, np.float64, np.float32})
_NO_PARAMS: dict[str, Any] = {}


def _fast(op: Op, reflected: bool = False) -> Any:
    """An operator method that goes straight to recording when ``other`` is a Tensor or plain."""

    def method(self: Tensor, other: Any) -> Any:
        if type(other) is Tensor or type(other) in _PLAIN:
            return _binary(op, other, self, _NO_PARAMS) if reflected else \
                _binary(op, self, other, _NO_PARAMS)
        return op(other, self) if reflected else op(self, other)  # a Dual, a list...

    method.__name__ = f"__{'r' if reflected else ''}{op.name}__"
    return method


def _fast_unary(op: Op) -> Any:
    """A method for an op of one Tensor and no params: straight to recording, no dispatch."""

    def method(self: Tensor) -> Tensor:
        try:
            out = op.forward(self._data)
        except (ValueError, IndexError, TypeError) as e:
            raise _named(e, op, (self,)) from None
        if type(out) is not np.ndarray:
            out = np.asarray(out)
        if self._requires_grad and (not ALTERED or STATE.enabled):
            return _record(op, (self,), out, _NO_PARAMS)
        return _unrecorded(op, (self,), out)

    method.__name__ = method.__qualname__ = op.name
    return method


def _fits(shape: tuple[int, ...], into: tuple[int, ...]) -> bool:
    """Whether a value of ``shape`` broadcasts into an array of shape ``into``."""
    try:
        return np.broadcast_shapes(shape, into) == into
    except ValueError:
        return False


def _in_place(ufunc: Any) -> Any:
    """An augmented assignment: in place on a leaf under ``no_grad()``, else a new tensor."""

    def method(self: Tensor, other: Any) -> Any:
        if self._op is not None or not ALTERED or STATE.enabled:  # recording: rebind
            return NotImplemented
        if not (isinstance(other, Tensor) or type(other) in _PLAIN or type(other) is bool):
            return NotImplemented
        raw = other._data if isinstance(other, Tensor) else np.asarray(other)
        if not _fits(raw.shape, self.shape):
            raise ValueError(f"{ufunc.__name__} in place: cannot broadcast a value of shape "
                             f"{raw.shape} into {self._described()}")
        ufunc(self.writable_data(), raw, out=self._data, casting="same_kind")
        return self

    method.__name__ = f"__i{ufunc.__name__}__"
    return method


class Tensor(ArrayMethods):
    """An n-d array (0-d for scalars) that records the operation that produced it."""

    __slots__ = (
        "_data", "grad", "_requires_grad", "name",
        "_op", "_parents", "_params", "_retain", "_freed", "_guard", "__weakref__",
    )

    def __init__(
        self,
        data: Any,
        requires_grad: bool = False,
        dtype: Any = None,
        name: str | None = None,
    ) -> None:
        self._data = _as_array(data, dtype)
        _check_requires_grad(self._data, requires_grad)
        self.grad: Any = None
        self._requires_grad = bool(requires_grad)
        self.name = name
        self._op: Op | None = None
        self._parents: tuple[Tensor, ...] = ()
        self._params: dict[str, Any] | None = None
        self._retain = False
        self._freed = False
        self._guard: Guard | bool | None = False  # a leaf: guarded when an op records it

    __hash__ = object.__hash__  # == is elementwise, so identity is the hash

    # ---- attributes ----

    @property
    def data(self) -> np.ndarray:
        """The values, a NumPy array (read-only while a graph that still needs it is live)."""
        g = self._guard
        if g is None:
            if self._op is not None and not self._freed:
                _lend(self)  # an output the graph still reads: the user may not edit it now
        elif g is not False and g.active:
            g.release()  # the graphs that held it may be gone: give the flag back if so
        return self._data

    @data.setter
    def data(self, value: np.ndarray) -> None:
        if value is self._data:  # ``t.data -= x`` assigns back the array it edited in place
            return
        refuse_if_shared(self, "assign .data of")
        if self._op is not None and not self._freed:
            raise RuntimeError(
                f"cannot assign .data of a tensor made by {self._op.name} before its graph is "
                "backpropagated: the backward pass reads it; assign after backward, or build "
                "a new tensor"
            )
        g = self._guard
        if g:  # a sanctioned update: graphs that recorded the old values become stale
            g.retire(self._described())
        self._data = value
        self._guard = False if self._op is None else None

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if self._op is not None:
            raise RuntimeError(
                f"requires_grad can only be changed on a leaf tensor; this one was made by "
                f"{self._op.name} (use .detach() to get a leaf)"
            )
        refuse_if_shared(self, "set requires_grad on")
        _check_requires_grad(self._data, value)
        self._requires_grad = bool(value)

    @property
    def shape(self) -> tuple[int, ...]:
        return self._data.shape

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def size(self) -> int:
        return self._data.size

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def is_leaf(self) -> bool:
        return self._op is None

    @property
    def op(self) -> str | None:
        """The name of the primitive that produced this tensor, or None for a leaf."""
        return None if self._op is None else self._op.name

    @property
    def parents(self) -> tuple[Tensor, ...]:
        return self._parents

    @property
    def params(self) -> dict[str, Any]:
        """The producing op's non-differentiable arguments (axis, shape, index, ...)."""
        return dict(self._params or {})

    # ---- autograd ----

    def backward(
        self,
        grad: Any = None,
        retain_graph: bool = False,
        create_graph: bool = False,
        retain_grads: bool = False,
    ) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (``grad`` seeds non-scalars)."""
        if _ENGINE is None:
            raise RuntimeError("backward: import autograd_core (the package) to load the engine")
        _ENGINE(self, grad, retain_graph=retain_graph, create_graph=create_graph,
                retain_grads=retain_grads)

    def retain_grad(self) -> Tensor:
        """Keep this intermediate tensor's ``.grad`` after backward."""
        self._retain = True
        return self

    def zero_grad(self) -> None:
        """Reset ``.grad`` to None."""
        self.grad = None

    def detach(self) -> Tensor:
        """A leaf sharing this tensor's data, cut from the graph."""
        if self._op is not None and not self._freed:
            _lend(self)  # the detached tensor shares an array the graph still reads
        elif self._guard is False:
            self._guard = Guard(self._data)  # one guard per array, shared with the copy
        t = _node(self._data, False, None, (), None)
        t._guard = self._guard or False
        return t

    def writable_data(self) -> np.ndarray:
        """The array of a leaf, writeable for an in-place update now (optimizers use this).

        Every live graph that recorded the array becomes stale: a backward pass through it
        raises instead of reading the new values. The update must follow at once.
        """
        if self._op is not None and not self._freed:
            raise RuntimeError(
                f"cannot update in place a tensor made by {self._op.name} before its graph is "
                "backpropagated: the backward pass reads it; update leaves (parameters) only"
            )
        refuse_if_shared(self, "update in place")
        g = self._guard
        if g and g.active:
            g.retire(self._described())
        return self._data

    def assign_(self, value: Any) -> Tensor:
        """Overwrite a leaf's values in place with ``value`` (broadcast to its shape)."""
        raw = value._data if isinstance(value, Tensor) else np.asarray(value)
        if not _fits(raw.shape, self.shape):
            raise ValueError(f"assign_: cannot write a value of shape {raw.shape} into "
                             f"{self._described()}")
        np.copyto(self.writable_data(), raw, casting="same_kind")
        return self

    def _described(self) -> str:
        """How errors name this tensor: ``kernel 'dense.kernel'``, or by its shape."""
        if self.name:
            path, _, last = self.name.rpartition(".")
            return f"{last if path else 'tensor'} {self.name!r}"
        return f"a tensor of shape {self.shape}"

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place on a leaf and return it."""
        self.requires_grad = requires_grad
        return self

    # ---- conversion ----

    def item(self) -> Any:
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise ValueError(f"item: tensor of shape {self.shape} has {self.size} elements, not 1")
        return self._data.item()

    def numpy(self) -> np.ndarray:
        """The data as a NumPy array (shared, not copied; read-only while a graph needs it)."""
        return self.data

    def tolist(self) -> Any:
        """The data as nested Python lists."""
        return self._data.tolist()

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self.data if dtype is None else self.data.astype(dtype, copy=False)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise ValueError(
                f"the truth value of a tensor of shape {self.shape} is ambiguous; "
                "use .any() or .all() on .data"
            )
        return bool(self._data)

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self._data)

    def __iter__(self) -> Iterator[Tensor]:
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self._data)))

    def __setitem__(self, index: Any, value: Any) -> None:
        raise TypeError(
            "Tensor does not support item assignment: it would rewrite a recorded graph. "
            "Build a new tensor (where, concatenate, scatter) or, for a leaf, assign to .data"
        )

    # ---- copying and pickling: leaves only, as in PyTorch ----

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        self._refuse_copy("pickled")
        return (_leaf, (self._data, self._requires_grad, self.name, self.grad))

    def __copy__(self) -> Tensor:
        self._refuse_copy("copied")
        return _leaf(self._data, self._requires_grad, self.name, self.grad)

    def __deepcopy__(self, memo: dict[int, Any]) -> Tensor:
        self._refuse_copy("deep-copied")
        grad = None if self.grad is None else copy.deepcopy(self.grad, memo)
        t = _leaf(self._data.copy(), self._requires_grad, self.name, grad)
        memo[id(self)] = t
        return t

    def _refuse_copy(self, what: str) -> None:
        # a graph is Python objects all the way down (ops, rules, parents): copying it would
        # recurse once per node and the copy could never be backpropagated anyway
        if self._op is not None:
            raise RuntimeError(
                f"only leaf tensors (made by the user, not by an op) can be {what}; this one "
                f"was made by {self._op.name}; use t.detach() (its value, without the graph)"
            )

    def __repr__(self) -> str:
        body = np.array2string(self._data, separator=", ", prefix="Tensor(")
        extra = ""
        if self._data.dtype != np.float64:
            extra += f", dtype={self._data.dtype}"
        if self._op is not None:
            extra += f", op={self._op.name}"
        elif self._requires_grad:
            extra += ", requires_grad=True"
        if self.name:
            extra += f", name={self.name!r}"
        return f"Tensor({body}{extra})"

    def _repr_html_(self) -> str: return display.tensor_html(self)  # Jupyter's rich display

    # the hottest operators skip the op's type dispatch when the other side is plain
    __add__ = _fast(ops.add)
    __radd__ = _fast(ops.add, reflected=True)
    __sub__ = _fast(ops.subtract)
    __rsub__ = _fast(ops.subtract, reflected=True)
    __mul__ = _fast(ops.multiply)
    __rmul__ = _fast(ops.multiply, reflected=True)
    __truediv__ = _fast(ops.divide)
    __rtruediv__ = _fast(ops.divide, reflected=True)
    __matmul__ = _fast(ops.matmul)
    __pow__ = _fast(ops.power)

    __neg__ = _fast_unary(ops.negative)
    exp, log, tanh = _fast_unary(ops.exp), _fast_unary(ops.log), _fast_unary(ops.tanh)
    sigmoid, relu = _fast_unary(ops.sigmoid), _fast_unary(ops.relu)

    # under no_grad() a leaf is updated in place (PyTorch's ``w -= lr * w.grad``); otherwise
    # NotImplemented makes Python rebind the name to a new tensor, ``w = w - x``
    __iadd__ = _in_place(np.add)
    __isub__ = _in_place(np.subtract)
    __imul__ = _in_place(np.multiply)
    __itruediv__ = _in_place(np.true_divide)

    # comparisons give boolean tensors and carry no gradient
    def __lt__(self, other: Any) -> Tensor: return _compare(np.less, self, other)
    def __le__(self, other: Any) -> Tensor: return _compare(np.less_equal, self, other)
    def __gt__(self, other: Any) -> Tensor: return _compare(np.greater, self, other)
    def __ge__(self, other: Any) -> Tensor: return _compare(np.greater_equal, self, other)
    def __eq__(self, other: Any) -> Tensor: return _compare(np.equal, self, other)  # type: ignore[override]
    def __ne__(self, other: Any) -> Tensor: return _compare(np.not_equal, self, other)  # type: ignore[override]


def _compare(fn: Any, a: Any, b: Any) -> Tensor:
    return _node(np.asarray(fn(ops._raw(a), ops._raw(b))), False, None, (), None)


def _leaf(data: np.ndarray, requires_grad: bool, name: str | None, grad: Any) -> Tensor:
    """Rebuild a leaf (for pickle and deepcopy)."""
    t = Tensor(data, requires_grad=requires_grad, name=name)
    t.grad = grad
    return t


# ---- recording an op ----

_new = object.__new__
_ref = weakref.ref


def _node(
    data: np.ndarray,
    requires_grad: bool,
    op: Op | None,
    parents: tuple[Tensor, ...],
    params: dict[str, Any] | None,
) -> Tensor:
    t = _new(Tensor)
    t._data = data
    t.grad = None
    t._requires_grad = requires_grad
    t.name = None
    t._op = op
    t._parents = parents
    t._params = params
    t._retain = False
    t._freed = False
    t._guard = None  # an op's output or a private constant: nobody else holds the array
    return t


constants.bind(_node, _as_array)  # constants.py makes its Tensors with these


def _with_constants(args: tuple[Any, ...]) -> tuple[Tensor, ...]:
    like = None
    for a in args:
        if isinstance(a, Tensor):
            like = a._data.dtype
            if like.kind == "f":
                break
    return tuple(a if isinstance(a, Tensor) else _constant(a, like) for a in args)


def _binary(op: Op, a: Any, b: Any, params: dict[str, Any]) -> Tensor:
    """``_apply`` for two arguments (most ops), spelled out: a Tensor, and a Tensor or not."""
    if not isinstance(b, Tensor):
        b = _constant(b, a._data.dtype)
    elif not isinstance(a, Tensor):
        a = _constant(a, b._data.dtype)
    try:
        out = op.forward(a._data, b._data, **params) if params else \
            op.forward(a._data, b._data)
    except (ValueError, IndexError, TypeError) as e:
        raise _named(e, op, (a, b)) from None
    if type(out) is not np.ndarray:
        out = np.asarray(out)
    if not ((a._requires_grad or b._requires_grad) and (not ALTERED or STATE.enabled)):
        return _unrecorded(op, (a, b), out)
    # _record, inlined on the hottest path: the call alone is 1% of the scalar MLP's work
    node = _new(Tensor)
    node._data = out
    node.grad = None
    node._requires_grad = True
    node.name = None
    node._op = op
    node._parents = parents = (a, b)
    node._params = params or None
    node._retain = False
    node._freed = False
    node._guard = None
    for q in parents:
        g = q._guard
        if g is not None:
            if g and g.active and len(g.holders) < g.limit and not g.foreign:
                g.holders.append(_ref(node))
            else:
                _hold(q, node)
    if ALTERED and STATE.anomaly:
        note_forward(op.name, parents, out, node)
    return node


def _apply(op: Op, args: tuple[Any, ...], params: dict[str, Any]) -> Tensor:
    """Run ``op`` on Tensors (and constants) and record the edge if any input requires grad."""
    if len(args) == 2:
        return _binary(op, args[0], args[1], params)
    parents = args
    for a in args:
        if not isinstance(a, Tensor):
            parents = _with_constants(args)
            break
    try:
        if len(parents) == 1:
            x = parents[0]._data
            out = op.forward(x, **params) if params else op.forward(x)
        else:
            out = op.forward(*[p._data for p in parents], **params)
    except (ValueError, IndexError, TypeError) as e:
        raise _named(e, op, parents) from None
    if type(out) is not np.ndarray:
        out = np.asarray(out)
    for p in parents:
        if p._requires_grad:
            if not ALTERED or STATE.enabled:
                return _record(op, parents, out, params)
            break
    return _unrecorded(op, parents, out)


def _named(e: Exception, op: Op, parents: Sequence[Tensor]) -> Exception:
    shapes = ", ".join(str(p._data.shape) for p in parents)
    return type(e)(f"{op.name}: {e} (input shapes {shapes})")


def _record(op: Op, parents: tuple[Tensor, ...], out: np.ndarray, params: dict[str, Any]
            ) -> Tensor:
    """The output node of ``op``, holding its edge; its leaves and arrays become read-only."""
    node = _new(Tensor)  # _node, inlined: this runs once per recorded op
    node._data = out
    node.grad = None
    node._requires_grad = True
    node.name = None
    node._op = op
    node._parents = parents
    node._params = params or None
    node._retain = False
    node._freed = False
    node._guard = None
    for q in parents:  # leaves and NumPy constants: read-only while node lives
        g = q._guard
        if g is not None:
            if g and g.active and len(g.holders) < g.limit and not g.foreign:
                g.holders.append(_ref(node))  # the common case, inline
            else:
                _hold(q, node)
    if ALTERED and STATE.anomaly:
        note_forward(op.name, parents, out, node)
    return node


def _unrecorded(op: Op, parents: tuple[Tensor, ...], out: np.ndarray) -> Tensor:
    node = _node(out, False, None, (), None)
    if ALTERED and STATE.anomaly:
        note_forward(op.name, parents, out, node)
    return node


def _hold(t: Tensor, node: Tensor) -> None:
    """``node`` will read ``t``'s array at backward time: make it read-only until then."""
    g = t._guard
    if g is False:
        g = t._guard = Guard(t._data)
    if g.foreign:
        hold_foreign(g, node)
    else:
        g.hold(node)


def _lend(t: Tensor) -> None:
    """Hand out the array of a live graph's node read-only (data, numpy(), detach())."""
    g = t._guard
    if g is None:
        g = t._guard = Guard(t._data)
        g.hold(t)
    elif not g.active:
        g.hold(t)


ops.register_handler(Tensor, 1, _apply)

