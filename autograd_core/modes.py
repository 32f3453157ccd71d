"""Grad mode, anomaly mode and origin recording: per thread, as in PyTorch.

Each thread starts with grad mode on and anomaly mode off; ``no_grad()`` in one thread (or
backward's own internal one) never changes what another thread records. tensor.py and
engine.py both read the state from here, so neither needs to import the other for it.
"""

from __future__ import annotations

import os
import threading
import traceback
import weakref
from collections.abc import Iterator
from contextlib import ContextDecorator, contextmanager
from typing import Any

import numpy as np


class _State(threading.local):
    """The calling thread's modes; class attributes are each new thread's defaults."""

    enabled = True  # ops record a graph
    anomaly = False  # detect_anomaly(): check values and record where each op was called


STATE = _State()


# One entry per mode context (no_grad, detect_anomaly...) open in any thread. While it is empty
# every thread is at the defaults, so the op path skips the thread-local lookup (the common
# case: training code outside any context). list.append and list.pop are atomic, so threads
# need no lock (a lock costs a microsecond here, on every no_grad and every backward).
ALTERED: list[None] = []


class _SetGrad(ContextDecorator):
    """Set this thread's grad mode inside the block and restore it on the way out.

    The previous values are kept per thread, in a stack, because one instance used as a
    decorator is shared by every call of the function, from any thread and recursively.
    """

    _value = True

    def __init__(self) -> None:
        self._prev: dict[int, list[bool]] = {}

    def __enter__(self) -> None:
        self._prev.setdefault(threading.get_ident(), []).append(STATE.enabled)
        ALTERED.append(None)
        STATE.enabled = self._value

    def __exit__(self, *exc: Any) -> None:
        key = threading.get_ident()
        stack = self._prev[key]
        STATE.enabled = stack.pop()
        ALTERED.pop()
        if not stack:
            del self._prev[key]


class no_grad(_SetGrad):  # noqa: N801 - PyTorch's name
    """Context manager and decorator: ops inside record no graph (in this thread)."""

    _value = False


class enable_grad(_SetGrad):  # noqa: N801 - PyTorch's name
    """Context manager and decorator: ops inside record a graph, even within ``no_grad``."""

    _value = True


def is_grad_enabled() -> bool:
    """Whether ops called from this thread record a graph."""
    return STATE.enabled


class AnomalyError(FloatingPointError):
    """Raised in ``detect_anomaly()`` mode at the first op that produces NaN or inf."""


def note_forward(op: str, parents: Any, out: np.ndarray, node: Any) -> None:
    """In ``detect_anomaly()`` mode: record where ``node`` was made and check its values."""
    ORIGINS[node] = user_frame()
    check_forward_values(op, parents, out, ORIGINS[node])


def check_forward_values(op: str, parents: Any, out: np.ndarray, where: str) -> None:
    """In ``detect_anomaly()`` mode: raise if ``op``'s forward output holds NaN or inf."""
    if out.dtype.kind == "f" and not np.all(np.isfinite(out)):
        bad = "nan" if np.isnan(out).any() else "inf"
        shapes = ", ".join(str(p.shape) for p in parents)
        raise AnomalyError(
            f"{op} produced {bad} in its forward output (input shapes {shapes})\n"
            f"  created at {where}"
        )


@contextmanager
def detect_anomaly() -> Iterator[None]:
    """Raise at the first op whose forward output or backward cotangent holds NaN or inf."""
    prev = STATE.anomaly
    ALTERED.append(None)
    STATE.anomaly = True
    try:
        yield
    finally:
        STATE.anomaly = prev
        ALTERED.pop()


# ---- where each op was called from, recorded only in detect_anomaly() mode ----


class _Origins:
    """Tensor -> str, weakly and by identity: WeakKeyDictionary compares keys with ==, and a
    Tensor's == is elementwise (ambiguous for non-scalars, False for nan)."""

    def __init__(self) -> None:
        self._by_id: dict[int, tuple[weakref.ref[Any], str]] = {}

    def __setitem__(self, t: Any, where: str) -> None:
        key = id(t)
        self._by_id[key] = (weakref.ref(t, lambda _, key=key: self._by_id.pop(key, None)), where)

    def __getitem__(self, t: Any) -> str:
        where = self.get(t)
        if where is None:
            raise KeyError(t)
        return where

    def get(self, t: Any) -> str | None:
        entry = self._by_id.get(id(t))
        return entry[1] if entry is not None and entry[0]() is t else None


ORIGINS = _Origins()


def origin(t: Any) -> str | None:
    """Where in the user's code ``t`` was created (recorded only under detect_anomaly())."""
    return ORIGINS.get(t)


_PACKAGE = os.path.dirname(os.path.abspath(__file__))


def user_frame() -> str:
    """The innermost frame outside this package: where the user's code called the op."""
    for frame in reversed(traceback.extract_stack()):
        if not os.path.abspath(frame.filename).startswith(_PACKAGE):
            return f'File "{frame.filename}", line {frame.lineno}, in {frame.name}: {frame.line}'
    return "<unknown>"
