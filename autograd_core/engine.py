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
            _refuse_freed(node)
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

    Every node comes before the inputs it consumes (``_graph``'s order, reversed).
    """
    return _graph(root, _NO_STOPS)[0][::-1]


def _graph(root: Tensor, stops: Any) -> tuple[list[Tensor], dict[Tensor, int]]:
    """The nodes backward visits, each listed after its inputs, and each one's place in the list.

    A depth-first walk with an explicit stack lists a node once all its inputs are listed
    (post-order); read backwards, the list puts every consumer before its inputs, so a node's
    cotangent is complete when its turn comes. One walk, and no consumer counts. It does not go
    past leaves or nodes in ``stops``, and it refuses a graph already freed or gone stale before
    any rule runs (so a failed call adds nothing to any ``.grad``).
    """
    place: dict[Tensor, int] = {}  # -1 while a node's inputs are being listed, then its place
    post: list[Tensor] = []
    stack = [root]
    pop, push = stack.pop, stack.append
    while stack:
        node = pop()
        state = place.get(node)
        if state is None:
            if node._op is None or node in stops:  # nothing to wait for: list it now
                place[node] = len(post)
                post.append(node)
                continue
            if node._freed:
                _refuse_freed(node)
            place[node] = -1  # come back to it once its inputs are listed
            push(node)
            for p in reversed(node._parents):  # so the first input is listed first
                if p._requires_grad and p not in place:
                    push(p)
        elif state < 0:  # second visit: every input is listed now
            place[node] = len(post)
            post.append(node)
        # else: pushed by two consumers, and listed already
    return post, place


def _refuse_freed(node: Tensor) -> None:
    if node._freed is not True:  # a leaf it recorded was updated in place since
        raise RuntimeError(f"backward: {node._freed} {STALE}")
    raise RuntimeError(
        f"backward: the graph through {node._op.name} was already used by a backward "
        "pass and freed; call backward(retain_graph=True) the first time to go through "
        "it again, or recompute the forward pass"
    )


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
    graph = _graph(root, _NO_STOPS)
    seed = _seed(root, grad, create_graph)
    _run(graph, seed, None, _NO_STOPS, retain_graph or create_graph, create_graph,
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
    _run(_graph(root, stops), seed, found, stops, True, create_graph, False)
    return [found.get(t) for t in inputs]


def _run(graph: tuple[list[Tensor], dict[Tensor, int]], seed: Any,
         found: dict[Tensor, Any] | None, stops: Any, retain_graph: bool, create_graph: bool,
         retain_grads: bool) -> None:
    """Push ``seed`` back from the root: into each leaf's ``.grad``, or ``found`` for stops."""
    gc_was_enabled = gc.isenabled()
    gc.disable()  # backward makes no cycles; a collection would only rescan the whole graph
    try:
        with enable_grad() if create_graph else no_grad():
            _walk(*graph, seed, found, stops, retain_graph, create_graph, retain_grads)
    finally:
        if gc_was_enabled:
            gc.enable()
        if not retain_graph:
            release_unheld()  # arrays this pass was the last to need are writeable again


def _walk(post: list[Tensor], place: dict[Tensor, int], seed: Any,
          found: dict[Tensor, Any] | None, stops: Any, retain_graph: bool, create_graph: bool,
          retain_grads: bool) -> None:
    """Each node in turn, consumers first: its cotangent is complete, so push it to its inputs.

    Cotangents live in a list by the node's place in ``post``, so passing one on costs one
    dict lookup (the input's place), and a chain of a million nodes costs per node what a
    short one does.
    """
    anomaly = STATE.anomaly
    ndarray = np.ndarray
    n = len(post)
    cots: list[Any] = [None] * n
    cots[n - 1] = seed  # the root is listed last
    # cotangents that are arrays this pass allocated, so further terms add in place
    owned = bytearray(n)
    for k in range(n - 1, -1, -1):
        node, g = post[k], cots[k]
        cots[k] = None  # freed as soon as it has been pushed on
        op = node._op
        if op is None or (found is not None and node in stops):
            if g is None:
                continue
            if found is None:
                _deposit(node, g, bool(owned[k]), create_graph)
            elif node in stops:
                found[node] = g
            continue
        if not retain_graph:
            node._freed = True
        if g is None:  # reached only through inputs whose rules give no gradient
            continue
        if retain_grads or node._retain:
            _deposit(node, g, False, create_graph)
        params = node._params or _NO_PARAMS
        parents = node._parents
        if create_graph:  # rules see Tensors, so the backward pass is itself recorded
            out, xs = node, parents
        elif len(parents) == 2:  # spelled out: a comprehension costs a frame per node
            out, xs = node._data, (parents[0]._data, parents[1]._data)
        elif len(parents) == 1:
            out, xs = node._data, (parents[0]._data,)
        else:
            out, xs = node._data, [p._data for p in parents]
        adds = None if create_graph else op.adds
        vjps, variadic = op.vjps, op.variadic
        for i, p in enumerate(parents):
            if not p._requires_grad:
                continue
            j = place[p]
            if adds is not None and adds[i] is not None:
                # into the input's own buffer, in place: no dense array per use (getitem)
                buffer = cots[j]
                if buffer is None or not owned[j]:
                    buffer = cots[j] = _buffer_for(p, buffer)
                    owned[j] = True
                adds[i](buffer, g, out, *xs, **params)
                if anomaly:
                    _check_cotangent(node, i, g)
                continue
            if variadic:
                c = vjps(g, out, *xs, argnum=i, **params)
            else:
                rule = vjps[i]
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
            prev = cots[j]
            if prev is None:
                cots[j] = c
                # a rule's own result is a fresh buffer; g passed on, or a view of it, is shared
                owned[j] = (type(c) is ndarray and c is not g and c.base is None
                            and not create_graph)
            elif owned[j]:
                prev += c
            else:
                total = prev + c
                cots[j] = total
                owned[j] = type(total) is ndarray and not create_graph  # 0-d sums: NumPy scalars


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
