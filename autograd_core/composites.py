"""Marking composites: the nodes a function such as a loss builds, so a graph can draw them
as one box (``autograd_core.viz.draw(..., collapse=True)``) and expand them on request.

    @composite("binary_crossentropy")
    def bce(y_true, y_pred): ...            # every call tags the nodes it creates

    out = mark_composite(out, inputs=(x,), name="Dense")   # or tag after the fact

The tags live outside the Tensor, weakly and by identity (as anomaly origins do), so marking
costs the graph nothing and goes away with it. A node belongs to the innermost composite that
made it; composites called inside another one are nested in it.

Marking is lazy: a call records only its boundary (the output, the inputs' ids and the name),
a few microseconds whatever the size of the graph; the nodes in between are found when a
graph is drawn (``composite_of``), so a training loop that never draws pays nothing more.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from .tensor import Tensor

F = TypeVar("F", bound=Callable[..., Any])


class Composite:
    """One call of a marked function: its name, its output and the composite it ran inside."""

    __slots__ = ("name", "parent", "_output", "_stop", "__weakref__")

    def __init__(self, name: str, output: Tensor, stop: frozenset[int] = frozenset()) -> None:
        self.name = name
        self.parent: Composite | None = None
        # until resolved, the composite waits in _PENDING; if its output goes first, so does it
        key = id(self)
        self._output = weakref.ref(output, lambda _: _PENDING.pop(key, None))
        # ids of the inputs: safe to keep, since every tensor the walk can meet is an ancestor
        # of the output, alive while it is, and made while the inputs were alive
        self._stop = stop

    @property
    def output(self) -> Tensor | None:
        """The tensor the composite returned (None once it has been freed)."""
        return self._output()

    def chain(self) -> list[Composite]:
        """This composite and the ones around it, innermost first."""
        out, c = [], self
        while c is not None:
            out.append(c)
            c = c.parent
        return out

    def __repr__(self) -> str:
        return f"<composite {self.name!r}>"


class _Tags:
    """Tensor -> Composite, weakly and by identity (a Tensor's == is elementwise)."""

    def __init__(self) -> None:
        self._by_id: dict[int, tuple[weakref.ref[Tensor], Composite]] = {}

    def set(self, t: Tensor, c: Composite) -> None:
        key = id(t)
        self._by_id[key] = (weakref.ref(t, lambda _, key=key: self._by_id.pop(key, None)), c)

    def get(self, t: Tensor) -> Composite | None:
        entry = self._by_id.get(id(t))
        return entry[1] if entry is not None and entry[0]() is t else None


_TAGS = _Tags()


# composites marked but not yet walked, in the order they were made (inner ones first)
_PENDING: dict[int, Composite] = {}


def _resolve() -> None:
    """Walk every pending composite, oldest first, tagging the nodes between its boundary."""
    while _PENDING:
        try:
            key = next(iter(_PENDING))
        except (StopIteration, RuntimeError):  # emptied or changed by another thread
            continue
        c = _PENDING.pop(key, None)
        out = None if c is None else c.output
        if out is not None:
            _walk(c, out)


def _walk(c: Composite, out: Tensor) -> None:
    stop = c._stop
    seen: set[int] = set()
    stack = [out]
    while stack:
        t = stack.pop()
        if id(t) in seen or id(t) in stop or t.is_leaf:
            continue
        seen.add(id(t))
        inner = _TAGS.get(t)
        if inner is None:
            _TAGS.set(t, c)
        else:  # made by a composite called inside this one: nest it
            top = inner.chain()[-1]
            if top is not c:
                top.parent = c
        stack.extend(t.parents)


def composite_of(t: Tensor) -> Composite | None:
    """The innermost composite that created ``t``, or None."""
    if _PENDING:
        _resolve()
    return _TAGS.get(t)


def _tensors_in(value: Any, found: list[Tensor], depth: int = 0) -> None:
    if isinstance(value, Tensor):
        found.append(value)
    elif depth < 3 and isinstance(value, (list, tuple)):
        for v in value:
            _tensors_in(v, found, depth + 1)
    elif depth < 3 and isinstance(value, dict):
        for v in value.values():
            _tensors_in(v, found, depth + 1)


def mark_composite(output: Any, inputs: Iterable[Any], name: str) -> Any:
    """Tag the nodes between ``inputs`` and ``output`` as one composite called ``name``.

    The walk goes back from the output (a Tensor, or a list or tuple of them) and stops at the
    inputs and at leaves, so pass every non-leaf tensor the computation read. It happens when a
    graph is drawn, not here: marking records only the boundary. Returns ``output`` unchanged.
    """
    if not isinstance(name, str):
        raise TypeError(f"mark_composite: name must be a str, got {type(name).__name__}")
    outs: list[Tensor] = []
    _tensors_in(output, outs)
    given: list[Tensor] = []
    _tensors_in(list(inputs) if not isinstance(inputs, Tensor) else [inputs], given)
    stop = frozenset(id(t) for t in given)
    for out in outs:
        if out.is_leaf or id(out) in stop:
            continue
        c = Composite(name, out, stop)
        _PENDING[id(c)] = c
    return output


def composite(name: str) -> Callable[[F], F]:
    """Decorator: each call of the function tags the nodes it builds as composite ``name``."""
    if not isinstance(name, str):
        raise TypeError(
            f"composite: name must be a str, got {type(name).__name__} "
            "(write @composite(\"name\"), with the name)"
        )

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            out = fn(*args, **kwargs)
            return mark_composite(out, [*args, *kwargs.values()], name)

        return wrapper  # type: ignore[return-value]

    return decorate


__all__ = ["Composite", "composite", "composite_of", "mark_composite"]
