"""Reverse mode: one walk of the graph in topological order, one memoized cotangent per node."""

from __future__ import annotations

import gc
from typing import Any

import numpy as np

from . import tensor
from .guard import release_unheld
from .modes import STATE, AnomalyError, detect_anomaly, enable_grad, no_grad, origin
from .tensor import _NO_PARAMS, Tensor, _constant

__all__ = ["AnomalyError", "backward", "count_consumers", "detect_anomaly", "pullback",
           "topological_order", "unbroadcast"]

_NO_STOPS: frozenset[Tensor] = frozenset()
STALE = ("before it was updated in place (an optimizer step, an in-place operator under "
         "no_grad() or a .data assignment); recompute the forward pass")


def count_consumers(root: Tensor, stops: Any = _NO_STOPS) -> dict[Tensor, int]:
    """For each node reachable from ``root`` through inputs that require grad, its out-edges.

    The walk does not go past nodes in ``stops``. A plain stack, no recursion, so a chain of a
    million nodes is fine.
    """
    pending = {root: 0}
    stack = [root]
    while stack:
        node = stack.pop()
        if node._op is None or node in stops:
            continue
        if node._freed:
            if node._freed is not True:  # a leaf it recorded was updated in place since
                raise RuntimeError(f"backward: {node._freed} {STALE}")
            raise RuntimeError(
                f"backward: the graph through {node._op.name} was already used by a backward "
                "pass and freed; call backward(retain_graph=True) the first time to go through "
                "it again, or recompute the forward pass"
            )
        for p in node._parents:
            if p._requires_grad:
                if p in pending:
                    pending[p] += 1
                else:
                    pending[p] = 1
                    stack.append(p)
    return pending


def topological_order(root: Tensor) -> list[Tensor]:
    """Nodes reachable from ``root`` through inputs that require grad, ``root`` first.

    Kahn's algorithm: a node comes after every node that consumes it.
    """
    pending = count_consumers(root)
    order, ready = [], [root]
    while ready:
        node = ready.pop()
        order.append(node)
        for p in node._parents:
            if p._requires_grad:
                pending[p] -= 1
                if not pending[p]:
                    ready.append(p)
    return order


def unbroadcast(c: Any, shape: tuple[int, ...], op: str = "", index: int | None = None) -> Any:
    """Sum a cotangent back to ``shape``: undoes broadcasting, the one place that does.

    A cotangent whose shape broadcasting cannot have made from ``shape`` is a wrong rule, not
    something to reshape: it raises, naming ``op`` and the input ``index`` when given.
    """
    lead = len(c.shape) - len(shape)
    if lead < 0 or any(n != m and n != 1 for n, m in zip(shape, c.shape[lead:])):
        who = f"the backward rule of {op} for input {index}" if op else "a backward rule"
        raise ValueError(
            f"{who} gave a cotangent of shape {tuple(c.shape)}, which broadcasting cannot have "
            f"made from the input's shape {tuple(shape)}; the rule is wrong"
        )
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and c.shape[lead + i] != 1
    )
    if axes:
        c = np.add.reduce(c, axis=axes) if type(c) is np.ndarray else c.sum(axis=axes)
    return c if c.shape == shape else c.reshape(shape)  # only puts back kept axes of length 1


def _seed(root: Tensor, grad: Any, create_graph: bool) -> Any:
    if grad is None:
        if root._data.size != 1:
            raise RuntimeError(
                f"backward: output of shape {root.shape} is not a scalar; pass grad=, an array "
                f"of shape {root.shape} holding d(loss)/d(output) (ones for a plain sum)"
            )
        seed = np.ones_like(root._data)
    else:
        raw = grad._data if isinstance(grad, Tensor) else np.asarray(grad, dtype=root.dtype)
        if raw.shape != root.shape:
            raise ValueError(
                f"backward: grad has shape {raw.shape} but the output has shape {root.shape}"
            )
        seed = grad if isinstance(grad, Tensor) and create_graph else raw.astype(root.dtype)
    if create_graph and not isinstance(seed, Tensor):
        seed = _constant(seed, None)
    return seed


def _check_cotangent(node: Tensor, parent_index: int, c: Any) -> None:
    raw = c._data if isinstance(c, Tensor) else c
    if np.all(np.isfinite(raw)):
        return
    bad = "nan" if np.isnan(raw).any() else "inf"
    shapes = ", ".join(str(p.shape) for p in node._parents)
    raise AnomalyError(
        f"the backward rule of {node._op.name} produced {bad} in the cotangent of its input "
        f"{parent_index} (input shapes {shapes})\n  created at {origin(node) or '<unknown>'}"
    )


def backward(
    root: Tensor,
    grad: Any = None,
    retain_graph: bool = False,
    create_graph: bool = False,
    retain_grads: bool = False,
) -> None:
    """Accumulate d(root)/d(leaf) into ``.grad`` of every leaf that requires grad."""
    if not root._requires_grad:
        raise RuntimeError(
            "backward: this tensor does not require grad (no input had requires_grad=True, "
            "or it was computed under no_grad())"
        )
    pending = count_consumers(root)
    seed = _seed(root, grad, create_graph)
    _run(root, pending, seed, None, _NO_STOPS, retain_graph or create_graph, create_graph,
         retain_grads)


def pullback(root: Tensor, inputs: list[Tensor], g: Any, create_graph: bool = False
             ) -> list[Any]:
    """Cotangents of ``inputs`` for the cotangent ``g`` of ``root``; no ``.grad`` is touched.

    ``inputs`` may be interior nodes: the walk stops at them. An input that ``root`` does not
    depend on gets None. The graph is kept, so the same pullback can run again.
    """
    if not isinstance(root, Tensor) or not root._requires_grad:
        return [None] * len(inputs)
    stops = set(inputs)
    if create_graph:
        seed = g if isinstance(g, Tensor) else _constant(np.asarray(g), None)
    else:
        seed = np.asarray(g._data if isinstance(g, Tensor) else g)
    found: dict[Tensor, Any] = {}
    _run(root, count_consumers(root, stops), seed, found, stops, True, create_graph, False)
    return [found.get(t) for t in inputs]


def _run(root: Tensor, pending: dict[Tensor, int], seed: Any, found: dict[Tensor, Any] | None,
         stops: Any, retain_graph: bool, create_graph: bool, retain_grads: bool) -> None:
    """Push ``seed`` back from ``root``: into each leaf's ``.grad``, or into ``found`` for stops."""
    gc_was_enabled = gc.isenabled()
    gc.disable()  # backward makes no cycles; a collection would only rescan the whole graph
    try:
        with enable_grad() if create_graph else no_grad():
            _kahn(root, pending, seed, found, stops, retain_graph, create_graph, retain_grads)
    finally:
        if gc_was_enabled:
            gc.enable()


def _kahn(root: Tensor, pending: dict[Tensor, int], seed: Any, found: dict[Tensor, Any] | None,
          stops: Any, retain_graph: bool, create_graph: bool, retain_grads: bool) -> None:
    """Kahn's algorithm: a node is processed once every consumer has pushed its cotangent."""
    anomaly = STATE.anomaly
    cots: dict[Tensor, Any] = {root: seed}
    # nodes whose cotangent is an array this pass allocated, so further terms add in place
    owned: set[Tensor] = set()
    ready = [root]
    ndarray = np.ndarray
    try:
        _walk(root, pending, cots, owned, ready, found, stops, retain_graph, create_graph,
              retain_grads, anomaly, ndarray)
    finally:
        if not retain_graph:
            release_unheld()  # arrays this pass was the last to need are writeable again


def _walk(root: Tensor, pending: dict[Tensor, int], cots: dict[Tensor, Any], owned: set[Tensor],
          ready: list[Tensor], found: dict[Tensor, Any] | None, stops: Any,
          retain_graph: bool, create_graph: bool, retain_grads: bool, anomaly: bool,
          ndarray: type) -> None:
    while ready:
        node = ready.pop()
        g = cots.pop(node, None)
        op = node._op
        if op is None or node in stops:
            if g is None:
                continue
            if found is None:
                _deposit(node, g, node in owned, create_graph)
            elif node in stops:
                found[node] = g
            continue
        parents = node._parents
        if g is None:  # reached only through inputs whose rules give no gradient
            for p in parents:
                if p._requires_grad:
                    pending[p] -= 1
                    if not pending[p]:
                        ready.append(p)
            if not retain_graph:
                node._freed = True
            continue
        if retain_grads or node._retain:
            _deposit(node, g, False, create_graph)
        params = node._params or _NO_PARAMS
        if create_graph:  # rules see Tensors, so the backward pass is itself recorded
            out, xs = node, parents
        elif len(parents) == 2:  # spelled out: a comprehension costs a frame per node
            out, xs = node._data, (parents[0]._data, parents[1]._data)
        elif len(parents) == 1:
            out, xs = node._data, (parents[0]._data,)
        else:
            out, xs = node._data, [p._data for p in parents]
        if op.pre is not None:  # the step all of this node's rules share, done once
            if node in owned:  # g is this pass's own buffer: pre may write into it
                g = op.pre(g, out, *xs, into=g, **params)
            else:
                g = op.pre(g, out, *xs, **params)
        adds = None if create_graph else op.adds
        for i, p in enumerate(parents):
            if not p._requires_grad:
                continue
            left = pending[p] - 1
            pending[p] = left
            if not left:
                ready.append(p)
            if adds is not None and adds[i] is not None:
                # into the input's own buffer, in place: no dense array per use (getitem)
                buffer = cots.get(p)
                if buffer is None or p not in owned:
                    buffer = cots[p] = _buffer_for(p, buffer)
                    owned.add(p)
                adds[i](buffer, g, out, *xs, **params)
                if anomaly:
                    _check_cotangent(node, i, g)
                continue
            if op.variadic:
                c = op.vjps(g, out, *xs, argnum=i, **params)
            else:
                rule = op.vjps[i]
                if rule is None:
                    continue
                c = rule(g, out, *xs, **params)
            data = p._data
            if c.shape != data.shape:
                c = unbroadcast(c, data.shape, op.name, i)
            if c.dtype is not data.dtype and c.dtype != data.dtype:
                c = c.astype(data.dtype)
            if anomaly:
                _check_cotangent(node, i, c)
            prev = cots.get(p)
            if prev is None:
                cots[p] = c
                # a rule's own result is a fresh buffer; g passed on, or a view of it, is shared
                if type(c) is ndarray and c is not g and c.base is None and not create_graph:
                    owned.add(p)
            elif p in owned:
                prev += c
            else:
                total = prev + c
                cots[p] = total
                if type(total) is ndarray and not create_graph:  # 0-d sums are NumPy scalars
                    owned.add(p)
        if not retain_graph:
            node._freed = True


def _buffer_for(p: Tensor, prev: Any) -> np.ndarray:
    """A cotangent buffer of ``p``'s shape that this pass owns, holding ``prev`` if any."""
    buffer = np.zeros(p._data.shape, dtype=p._data.dtype)
    if prev is not None:
        buffer += prev
    return buffer


def _deposit(t: Tensor, g: Any, fresh: bool, create_graph: bool) -> None:
    if create_graph:
        t.grad = g if t.grad is None else t.grad + g
    elif t.grad is None:
        # a shared buffer is copied so that editing one .grad in place never changes another
        t.grad = g if fresh else np.array(g)
    else:
        t.grad = np.asarray(t.grad + g)


tensor._ENGINE = backward
