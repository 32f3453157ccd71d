"""What ``viz.draw`` shows of a graph: the walk, composites drawn as one box, repeated blocks
folded into one node, and the cut that keeps the nodes nearest the output.

A *block* is the stretch between two bottlenecks: tensors every path from the input side to
the output side goes through (in topological order, no edge jumps over one). A chain of ops
is a row of one-op blocks; ``z = sin(z) * 0.5 + z`` is a row of three-op blocks with a skip
connection inside each. Consecutive blocks of the same structure (ops, and which input each
op reads) fold into one node that says what it stands for.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .composites import Composite, composite_of
from .constants import SHARED
from .tensor import Tensor

_MAX_PERIOD = 4  # longest repeated pattern of blocks collapsed as one (linear -> sigmoid is 2)
_MIN_RUN = 3  # collapsing fewer ops than this saves nothing worth the lost detail


class Graph:
    """The graph under ``root`` as parallel lists indexed by topological position."""

    def __init__(self, root: Tensor, names: dict[int, str]) -> None:
        index: dict[int, int] = {}  # id(tensor) -> position; ids are stable while order holds them
        order: list[Tensor] = []
        entered: set[int] = set()
        # a constant that ops share (a Python number) is drawn once per use, as if each op had
        # its own: (id(consumer), argument number) -> its position for that use
        uses: dict[tuple[int, int], int] = {}
        stack: list[Any] = [root]
        while stack:
            node = stack[-1]
            if type(node) is tuple:  # one use of a shared constant
                stack.pop()
                uses[node[1:]] = len(order)
                order.append(node[0])
                continue
            key = id(node)
            if key in index:
                stack.pop()
            elif key in entered:  # second visit: every input is placed, so place this one
                stack.pop()
                index[key] = len(order)
                order.append(node)
            else:
                entered.add(key)
                # reversed, so that the first input is placed first and gets the lower id
                for k in reversed(range(len(node.parents))):
                    p = node.parents[k]
                    if p._params is SHARED:
                        stack.append((p, key, k))
                    elif id(p) not in index:
                        stack.append(p)
        self.tensors = order
        self.root = len(order) - 1
        self.ops = [t.op for t in order]  # the producing primitive's name, None for a leaf
        self.parents = [tuple([uses[id(t), k] if p._params is SHARED else index[id(p)]
                               for k, p in enumerate(t.parents)]) if t.parents else ()
                        for t in order]
        self.consumers: list[list[int]] = [[] for _ in order]
        for i, ps in enumerate(self.parents):
            if len(ps) == 1 or len(ps) == 2 and ps[0] != ps[1]:
                for j in ps:
                    self.consumers[j].append(i)
            else:
                for j in dict.fromkeys(ps):
                    self.consumers[j].append(i)
        self.names = [names.get(id(t), t.name) for t in order] if names else \
            [t.name for t in order]

    def is_leaf(self, i: int) -> bool:
        return self.ops[i] is None

    def cost(self, i: int) -> int:
        """Drawn nodes for tensor ``i``: its record, plus the op node that produced it."""
        return 1 if self.is_leaf(i) else 2


class Group:
    """Tensors drawn as one node: a folded run of repeated blocks, or a collapsed composite."""

    def __init__(self, members: list[int], absorbed: list[int], gid: str) -> None:
        self.members = members  # tensor positions, input side first; the last is the output
        self.absorbed = absorbed  # unnamed leaves that feed only this group (constants mostly)
        self.id = gid

    def saving(self) -> int:
        return 2 * len(self.members) + len(self.absorbed) - 1


class Run(Group):
    """Consecutive blocks repeating one pattern."""

    def __init__(self, members: list[int], pattern: tuple[str, ...], reps: int,
                 absorbed: list[int]) -> None:
        super().__init__(members, absorbed, f"r{members[-1]}")
        self.pattern = pattern
        self.reps = reps


class Box(Group):
    """A collapsed composite (a loss, an activation built from several ops)."""

    def __init__(self, members: list[int], absorbed: list[int], comp: Composite) -> None:
        super().__init__(members, absorbed, f"c{members[-1]}")
        self.name = comp.name


def _absorbed(g: Graph, members: list[int]) -> list[int]:
    inside = set(members)
    return sorted({j for i in members for j in g.parents[i]
                   if g.is_leaf(j) and not g.names[j] and inside.issuperset(g.consumers[j])})


# ---- composites ----


def boxes(g: Graph, collapse: bool | str | Iterable[str] | None) -> list[Box]:
    """One Box per marked composite to collapse, outermost wins; the root may be inside."""
    if not collapse:
        return []
    wanted = None if collapse is True else {collapse} if isinstance(collapse, str) \
        else set(collapse)
    members: dict[int, list[int]] = {}
    comps: dict[int, Composite] = {}
    for i, t in enumerate(g.tensors):
        if g.is_leaf(i):
            continue
        inner = composite_of(t)
        chosen = None
        for c in (inner.chain() if inner is not None else []):
            if wanted is None or c.name in wanted:
                chosen = c  # keep going: the outermost collapsed one holds the others
        if chosen is not None:
            members.setdefault(id(chosen), []).append(i)
            comps[id(chosen)] = chosen
    out = []
    for key, ms in members.items():
        named = [i for i in ms[:-1] if g.names[i]]
        if named:  # a tensor the user named inside the box stays visible: cut the box there
            ms = [i for i in ms if i > named[-1]]
        if len(ms) >= 2 or ms and ms[-1] == g.root:
            out.append(Box(ms, _absorbed(g, ms), comps[key]))
    return out


# ---- repeated blocks ----


def _blocks(g: Graph, grouped: dict[int, Group]) -> list[tuple[int, list[int]]]:
    """(entry, members) of each block, in order; entry is the previous bottleneck or -1."""
    inner = [i for i, op in enumerate(g.ops) if op is not None]
    rank = {i: k for k, i in enumerate(inner)}
    if inner and g.parents[inner[0]] and g.is_leaf(g.parents[inner[0]][0]):
        rank[g.parents[inner[0]][0]] = -1  # the graph's input: a skip from it is a jump too
    jumps = [0] * (len(inner) + 1)
    for i in inner:
        for j in g.parents[i]:
            if j in rank and rank[i] - rank[j] > 1:
                jumps[rank[j] + 1] += 1
                jumps[rank[i]] -= 1
    blocks, current, covered, entry = [], [], 0, -1
    for k, i in enumerate(inner):
        covered += jumps[k]
        if covered == 0 and not current and not grouped:
            blocks.append((entry, [i]))  # a one-op block, as in every chain
            entry = i
            continue
        current.append(i)
        # a grouped composite is never cut in the middle
        if covered == 0 and (i not in grouped or grouped[i].members[-1] == i):
            blocks.append((entry, current))
            entry, current = i, []
    return blocks


def _signature(g: Graph, entry: int, members: list[int], grouped: dict[int, Group]) -> Any:
    """What a block computes, without which tensors it holds: ops and where inputs come from."""
    if entry < 0 and g.parents[members[0]]:
        entry = g.parents[members[0]][0]  # the first block's input is the graph's input
    if len(members) == 1 and not grouped:  # one op, as in every chain: the quick way
        i = members[0]
        if g.names[i] or i == g.root:
            return ("unique", i)
        return ((g.ops[i], tuple("in" if j == entry else "leaf" for j in g.parents[i])),)
    local = {i: k for k, i in enumerate(members)}
    sig = []
    for i in members:
        if g.names[i] or i == g.root:
            return ("unique", i)  # named tensors and the output are always drawn
        box = grouped.get(i)
        what = g.ops[i] if box is None else f"[{box.name}]"
        refs = tuple("in" if j == entry else local[j] if j in local else "leaf"
                     for j in g.parents[i])
        sig.append((what, refs))
    return tuple(sig)


def _labels(g: Graph, members: list[int], grouped: dict[int, Group]) -> list[str]:
    out: list[str] = []
    last = None
    for i in members:
        box = grouped.get(i)
        if box is None:
            out.append(str(g.ops[i]))
        elif box is not last:
            out.append(box.name)
        last = box
    return out


def runs(g: Graph, grouped: dict[int, Group]) -> list[Run]:
    """Stretches of consecutive blocks repeating a pattern of up to _MAX_PERIOD blocks."""
    blocks = _blocks(g, grouped)
    sigs = [_signature(g, e, ms, grouped) for e, ms in blocks]
    before = [0]  # ops in the blocks before block k
    for _, ms in blocks:
        before.append(before[-1] + len(ms))
    found, i, n = [], 0, len(blocks)
    while i < n:
        best, period = 0, 1
        for p in range(1, min(_MAX_PERIOD, (n - i) // 2) + 1):
            k = i + p
            while k < n and sigs[k] == sigs[k - p] and sigs[k][0] != "unique":
                k += 1
            cover = (k - i) // p * p
            if cover // p >= 2 and before[i + cover] - before[i] >= _MIN_RUN and cover > best:
                best, period = cover, p
        if best:
            members = [m for _, ms in blocks[i:i + best] for m in ms]
            pattern = tuple(x for _, ms in blocks[i:i + period] for x in _labels(g, ms, grouped))
            found.append(Run(members, pattern, best // period, _absorbed(g, members)))
            i += best
        else:
            i += 1
    return found


# ---- the layout ----


class Layout:
    """Which tensors are drawn, which are grouped (boxes, runs) and which are left out."""

    def __init__(self, g: Graph, max_nodes: int | None, collapse: Any) -> None:
        n = len(g.tensors)
        self.group_of: list[Group | None] = [None] * n
        self.shown = [True] * n
        self.hidden_count = 0
        for box in boxes(g, collapse):
            for i in box.members + box.absorbed:
                self.group_of[i] = box
        total = n + sum(op is not None for op in g.ops)  # a record per tensor, an oval per op
        if any(b is not None for b in self.group_of):
            total = sum(g.cost(i) for i in range(n) if self.group_of[i] is None)
            total += len({id(b) for b in self.group_of if b is not None})
        if max_nodes is None or total <= max_nodes:
            return
        grouped = {i: b for i, b in enumerate(self.group_of) if b is not None}
        # longest runs first: they buy the most room for the least lost detail
        for run in sorted(runs(g, grouped), key=lambda r: (-r.saving(), r.members[0])):
            if total <= max_nodes:
                break
            inside = {id(grouped[i]): grouped[i] for i in run.members if i in grouped}
            before = sum(g.cost(i) for i in run.members + run.absorbed if i not in grouped)
            total -= before + len(inside) - 1
            for i in run.members + run.absorbed:
                self.group_of[i] = run
            for box in inside.values():  # a box inside a run goes in whole, constants too
                for i in box.members + box.absorbed:
                    self.group_of[i] = run
        if total > max_nodes:
            self._truncate(g, max_nodes - 1)  # one node is kept to say what was left out

    def unit(self, i: int) -> Any:
        """The drawn thing standing for tensor ``i``: itself, its group, or None when hidden."""
        if not self.shown[i]:
            return None
        group = self.group_of[i]
        return i if group is None else group

    def _truncate(self, g: Graph, budget: int) -> None:
        """Keep what is nearest the output, breadth first, within ``budget`` drawn nodes."""
        kept: set[int] = set()  # tensor positions whose unit is kept
        queued: set[Any] = set()  # group ids and tensor positions already in the queue
        queue, head, used = [g.root], 0, 0
        while head < len(queue):
            i = queue[head]
            head += 1
            group = self.group_of[i]
            members = group.members + group.absorbed if group is not None else [i]
            cost = 1 if group is not None else g.cost(i)
            if used + cost > budget:
                break
            used += cost
            kept.update(members)
            for m in members:
                for j in g.parents[m]:
                    key = j if self.group_of[j] is None else self.group_of[j].id
                    if key not in queued and j not in kept:
                        queued.add(key)
                        queue.append(j)
        for i in range(len(g.tensors)):
            if i not in kept:
                self.shown[i] = False
                self.hidden_count += 1
