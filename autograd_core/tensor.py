"""Tensor: a node of the computation graph, holding its data and the edge that produced it."""

from __future__ import annotations

import os
import traceback
import weakref
from collections.abc import Iterator, Sequence
from contextlib import ContextDecorator
from typing import Any

import numpy as np

from . import display, ops
from .ops import ArrayMethods, Op

_ALLOWED_KINDS = "biuf"  # bool, signed and unsigned integers, floats


class _GradMode:
    enabled = True
    anomaly = False


class no_grad(ContextDecorator):  # noqa: N801 - PyTorch's name
    """Context manager and decorator: ops inside record no graph."""

    def __enter__(self) -> None:
        self._prev = _GradMode.enabled
        _GradMode.enabled = False

    def __exit__(self, *exc: Any) -> None:
        _GradMode.enabled = self._prev


class enable_grad(ContextDecorator):  # noqa: N801
    """Context manager and decorator: ops inside record a graph, even within ``no_grad``."""

    def __enter__(self) -> None:
        self._prev = _GradMode.enabled
        _GradMode.enabled = True

    def __exit__(self, *exc: Any) -> None:
        _GradMode.enabled = self._prev


def is_grad_enabled() -> bool:
    """Whether ops currently record a graph."""
    return _GradMode.enabled


def _as_array(data: Any, dtype: Any = None, copy: bool = True) -> np.ndarray:
    if isinstance(data, Tensor):
        data = data.data
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
        args = (other, self) if reflected else (self, other)
        if type(other) is Tensor or type(other) in _PLAIN:
            return _apply(op, args, _NO_PARAMS)
        return op(*args)  # a Dual, a Tensor subclass, a list: the full dispatch

    method.__name__ = f"__{'r' if reflected else ''}{op.name}__"
    return method


class Tensor(ArrayMethods):
    """An n-d array (0-d for scalars) that records the operation that produced it."""

    __slots__ = (
        "data", "grad", "_requires_grad", "name",
        "_op", "_parents", "_params", "_retain", "_freed", "__weakref__",
    )

    def __init__(
        self,
        data: Any,
        requires_grad: bool = False,
        dtype: Any = None,
        name: str | None = None,
    ) -> None:
        self.data = _as_array(data, dtype)
        _check_requires_grad(self.data, requires_grad)
        self.grad: Any = None
        self._requires_grad = bool(requires_grad)
        self.name = name
        self._op: Op | None = None
        self._parents: tuple[Tensor, ...] = ()
        self._params: dict[str, Any] | None = None
        self._retain = False
        self._freed = False

    __hash__ = object.__hash__  # == is elementwise, so identity is the hash

    # ---- attributes ----

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
        _check_requires_grad(self.data, value)
        self._requires_grad = bool(value)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

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
        from .engine import backward

        backward(self, grad, retain_graph=retain_graph, create_graph=create_graph,
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
        return _node(self.data, False, None, (), None)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place on a leaf and return it."""
        self.requires_grad = requires_grad
        return self

    # ---- conversion ----

    def item(self) -> Any:
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item: tensor of shape {self.shape} has {self.size} elements, not 1")
        return self.data.item()

    def numpy(self) -> np.ndarray:
        """The data as a NumPy array (shared, not copied)."""
        return self.data

    def tolist(self) -> Any:
        """The data as nested Python lists."""
        return self.data.tolist()

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self.data if dtype is None else self.data.astype(dtype, copy=False)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ValueError(
                f"the truth value of a tensor of shape {self.shape} is ambiguous; "
                "use .any() or .all() on .data"
            )
        return bool(self.data)

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __iter__(self) -> Iterator[Tensor]:
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self.data)))

    def __setitem__(self, index: Any, value: Any) -> None:
        raise TypeError(
            "Tensor does not support item assignment: it would rewrite a recorded graph. "
            "Build a new tensor (where, concatenate, scatter) or, for a leaf, assign to .data"
        )

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="Tensor(")
        extra = ""
        if self.data.dtype != np.float64:
            extra += f", dtype={self.data.dtype}"
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

    # comparisons give boolean tensors and carry no gradient
    def __lt__(self, other: Any) -> Tensor: return _compare(np.less, self, other)
    def __le__(self, other: Any) -> Tensor: return _compare(np.less_equal, self, other)
    def __gt__(self, other: Any) -> Tensor: return _compare(np.greater, self, other)
    def __ge__(self, other: Any) -> Tensor: return _compare(np.greater_equal, self, other)
    def __eq__(self, other: Any) -> Tensor: return _compare(np.equal, self, other)  # type: ignore[override]
    def __ne__(self, other: Any) -> Tensor: return _compare(np.not_equal, self, other)  # type: ignore[override]


def _compare(fn: Any, a: Any, b: Any) -> Tensor:
    return _node(np.asarray(fn(ops._raw(a), ops._raw(b))), False, None, (), None)


# ---- recording an op ----

_new = object.__new__


def _node(
    data: np.ndarray,
    requires_grad: bool,
    op: Op | None,
    parents: tuple[Tensor, ...],
    params: dict[str, Any] | None,
) -> Tensor:
    t = _new(Tensor)
    t.data = data
    t.grad = None
    t._requires_grad = requires_grad
    t.name = None
    t._op = op
    t._parents = parents
    t._params = params
    t._retain = False
    t._freed = False
    return t


def _constant(value: Any, like: np.dtype | None) -> Tensor:
    """Wrap a number or array met beside a Tensor; Python numbers take the tensor's float dtype."""
    kind = type(value)
    if kind is float or kind is int:  # bool is not int here, by design of type()
        if like is not None and like.kind == "f":
            arr = np.asarray(value, dtype=like)  # as NumPy does with Python scalars: no upcast
        else:
            arr = _as_array(value, copy=False)
    elif kind is np.ndarray:
        arr = value
    else:
        arr = _as_array(value, copy=False)
    return _node(arr, False, None, (), None)


def _with_constants(args: tuple[Any, ...]) -> tuple[Tensor, ...]:
    if len(args) == 2:  # the common case: a Tensor and a number, either way round
        a, b = args
        if isinstance(a, Tensor):
            return a, b if isinstance(b, Tensor) else _constant(b, a.data.dtype)
        if isinstance(b, Tensor):
            return _constant(a, b.data.dtype), b
    like = None
    for a in args:
        if isinstance(a, Tensor):
            like = a.data.dtype
            if like.kind == "f":
                break
    return tuple(a if isinstance(a, Tensor) else _constant(a, like) for a in args)


def _apply(op: Op, args: tuple[Any, ...], params: dict[str, Any]) -> Tensor:
    """Run ``op`` on Tensors (and constants) and record the edge if any input requires grad."""
    parents = args
    for a in args:
        if not isinstance(a, Tensor):
            parents = _with_constants(args)
            break
    try:
        if len(parents) == 1:
            out = op.forward(parents[0].data, **params)
        elif len(parents) == 2:
            out = op.forward(parents[0].data, parents[1].data, **params)
        else:
            out = op.forward(*[p.data for p in parents], **params)
    except (ValueError, IndexError, TypeError) as e:
        shapes = ", ".join(str(p.data.shape) for p in parents)
        raise type(e)(f"{op.name}: {e} (input shapes {shapes})") from None
    if type(out) is not np.ndarray:
        out = np.asarray(out)
    node = None
    if _GradMode.enabled:
        for p in parents:
            if p._requires_grad:
                node = _node(out, True, op, parents, params or None)
                break
    if node is None:
        node = _node(out, False, None, (), None)
    if _GradMode.anomaly:
        _ORIGINS[node] = _user_frame()
        _check_forward_values(op, parents, out, _ORIGINS[node])
    return node


ops.register_handler(Tensor, 1, _apply)


# ---- anomaly detection ----

class _Origins:
    """Tensor -> str, weakly and by identity: WeakKeyDictionary compares keys with ==, and a
    Tensor's == is elementwise (ambiguous for non-scalars, False for nan)."""

    def __init__(self) -> None:
        self._by_id: dict[int, tuple[weakref.ref[Tensor], str]] = {}

    def __setitem__(self, t: Tensor, where: str) -> None:
        key = id(t)
        self._by_id[key] = (weakref.ref(t, lambda _, key=key: self._by_id.pop(key, None)), where)

    def __getitem__(self, t: Tensor) -> str:
        where = self.get(t)
        if where is None:
            raise KeyError(t)
        return where

    def get(self, t: Tensor) -> str | None:
        entry = self._by_id.get(id(t))
        return entry[1] if entry is not None and entry[0]() is t else None


# where each op was called from, recorded only in detect_anomaly() mode
_ORIGINS = _Origins()


def origin(t: Tensor) -> str | None:
    """Where in the user's code ``t`` was created (recorded only under detect_anomaly())."""
    return _ORIGINS.get(t)


def _user_frame() -> str:
    """The innermost frame outside this package: where the user's code called the op."""
    pkg = os.path.dirname(os.path.abspath(__file__))
    for frame in reversed(traceback.extract_stack()):
        if not os.path.abspath(frame.filename).startswith(pkg):
            return f'File "{frame.filename}", line {frame.lineno}, in {frame.name}: {frame.line}'
    return "<unknown>"


def _check_forward_values(op: Op, parents: Sequence[Tensor], out: np.ndarray, where: str) -> None:
    if out.dtype.kind == "f" and not np.all(np.isfinite(out)):
        from .engine import AnomalyError

        bad = "nan" if np.isnan(out).any() else "inf"
        shapes = ", ".join(str(p.shape) for p in parents)
        raise AnomalyError(
            f"{op.name} produced {bad} in its forward output (input shapes {shapes})\n"
            f"  created at {where}"
        )


# ---- constructors ----


def tensor(
    data: Any, requires_grad: bool = False, dtype: Any = None, name: str | None = None
) -> Tensor:
    """Make a leaf Tensor (same as ``Tensor(...)``)."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, name=name)


def _shape_arg(shape: tuple[Any, ...]) -> tuple[int, ...]:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(n) for n in shape)


def zeros(*shape: Any, dtype: Any = np.float64, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros: ``zeros(2, 3)`` or ``zeros((2, 3))``."""
    return Tensor(np.zeros(_shape_arg(shape), dtype=dtype), requires_grad=requires_grad)


def ones(*shape: Any, dtype: Any = np.float64, requires_grad: bool = False) -> Tensor:
    """A tensor of ones: ``ones(2, 3)`` or ``ones((2, 3))``."""
    return Tensor(np.ones(_shape_arg(shape), dtype=dtype), requires_grad=requires_grad)


def zeros_like(t: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros with the shape (and dtype, unless given) of ``t``."""
    return Tensor(np.zeros_like(ops._raw(t), dtype=dtype), requires_grad=requires_grad)


def ones_like(t: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones with the shape (and dtype, unless given) of ``t``."""
    return Tensor(np.ones_like(ops._raw(t), dtype=dtype), requires_grad=requires_grad)


def _random_args(name: str, shape: tuple[Any, ...], rng: Any, seed: Any
                 ) -> tuple[tuple[int, ...], np.random.Generator]:
    """The shape and generator of randn/rand: a Generator may also come last among the sizes."""
    if shape and isinstance(shape[-1], np.random.Generator):
        shape, rng = shape[:-1], shape[-1] if rng is None else rng
    if rng is not None and seed is not None:
        raise TypeError(f"{name}: give rng or seed, not both")
    rng = seed if rng is None else rng
    if not (rng is None or isinstance(rng, (np.random.Generator, int, np.integer))):
        raise TypeError(f"{name}: rng must be a np.random.Generator or an int seed, got {rng!r}")
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    return _shape_arg(shape), gen


def randn(
    *shape: Any,
    rng: np.random.Generator | int | None = None,
    seed: int | None = None,
    dtype: Any = np.float64,
    requires_grad: bool = False,
) -> Tensor:
    """Standard normal samples: ``randn(2, 3, rng=np.random.default_rng(0))`` or ``seed=0``."""
    shape, gen = _random_args("randn", shape, rng, seed)
    data = gen.standard_normal(shape).astype(dtype, copy=False)
    return Tensor(data, requires_grad=requires_grad)


def rand(
    *shape: Any,
    rng: np.random.Generator | int | None = None,
    seed: int | None = None,
    dtype: Any = np.float64,
    requires_grad: bool = False,
) -> Tensor:
    """Uniform samples on [0, 1): ``rand(2, 3, rng=np.random.default_rng(0))`` or ``seed=0``."""
    shape, gen = _random_args("rand", shape, rng, seed)
    data = gen.random(shape).astype(dtype, copy=False)
    return Tensor(data, requires_grad=requires_grad)
