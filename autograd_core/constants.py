"""What a number or NumPy array met beside a Tensor becomes: a constant Tensor (a leaf).

A Python number beside a float tensor becomes a read-only 0-d constant Tensor in the
tensor's dtype, one per (dtype, value), shared by every op that meets the number: making a
Tensor costs more than the rest of a small op, and a long chain of ops on numbers then holds
no extra object per op. Such a constant is marked by its ``_params`` being ``SHARED``: the
renderer draws it once per use (``graph_layout.Graph``) and the Tensor setters refuse to
change it. Zero (0.0 and -0.0 are one dict key) and nan (never equal to itself) get a private
constant per use, as do arrays, NumPy scalars and numbers beside integer tensors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from . import ops
from .guard import foreign_guard

if TYPE_CHECKING:
    from .tensor import Tensor

SHARED: dict[str, Any] = {}  # the ``_params`` of a shared constant: a mark, never filled

# tensor.py binds how a leaf node is made and how data is converted (``bind``), so that this
# module needs no import of tensor.py, which imports it
_node: Callable[..., Tensor]
_as_array: Callable[..., np.ndarray]


def bind(node: Callable[..., Tensor], as_array: Callable[..., np.ndarray]) -> None:
    """Called once by tensor.py: its node constructor and data conversion."""
    global _node, _as_array
    _node, _as_array = node, as_array


_CONSTANTS: dict[np.dtype, dict[float, Tensor]] = {}  # by dtype, then value


def shared(value: float, like: np.dtype) -> Tensor:
    """The constant Tensor of the Python number ``value`` beside a tensor of float dtype."""
    by_value = _CONSTANTS.get(like)
    if by_value is None:
        by_value = _CONSTANTS[like] = {}
    t = by_value.get(value)
    if t is None:
        arr = np.asarray(value, dtype=like)  # as NumPy does with Python scalars: no upcast
        arr.flags.writeable = False
        if not value or value != value:
            return _node(arr, False, None, (), None)
        t = _node(arr, False, None, (), SHARED)
        if len(by_value) >= 1024:  # a loop over many distinct numbers: start again
            by_value.clear()
        by_value[value] = t
    return t


def constant(value: Any, like: np.dtype | None) -> Tensor:
    """Wrap a number or array met beside a Tensor; scalars take the tensor's float dtype."""
    kind = type(value)
    if kind is float or kind is int:  # bool is not int here, by design of type()
        if like is not None and like.kind == "f":
            by_value = _CONSTANTS.get(like)
            if by_value is not None:
                t = by_value.get(value)
                if t is not None:
                    return t
            return shared(value, like)
        arr = _as_array(value, copy=False)
    elif kind is np.ndarray and value.ndim:
        # arrays keep their dtype and promote as NumPy says; the user holds this one, so it
        # gets the array's shared guard when an op records it
        t = _node(value, False, None, (), None)
        t._guard = foreign_guard(value)
        return t
    else:
        arr = ops.weak_scalar(value, like)  # NumPy scalars and 0-d arrays: no upcast either
        if arr is None:
            arr = _as_array(value, copy=False)
    return _node(arr, False, None, (), None)


def refuse_if_shared(t: Tensor, what: str) -> None:
    """Raise if ``t`` is a shared constant: changing it would change every op that met it."""
    if t._params is SHARED:
        raise RuntimeError(
            f"cannot {what} the constant {t._data.item()!r}: every op that met this Python "
            "number shares it; make a Tensor of your own instead"
        )
