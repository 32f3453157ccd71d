"""Arrays a live graph holds are read-only, so an in-place edit cannot change a gradient.

A recorded op keeps references to the arrays its rules will read at backward time: its inputs
and its output. Editing one of them in place between forward and backward (``w.data -= 1``,
``a[:] = 100`` on a NumPy constant, ``y.numpy()[:] = 0``) would silently change the gradient.
So while a graph that can still be backpropagated holds an array the user can reach, the
array's NumPy ``writeable`` flag is off, and NumPy itself refuses the edit at the user's line.
The flag comes back once no live graph holds the array: when backward frees the graph (or the
graph is dropped and collected), or when the array's owner is updated the sanctioned way
(``Tensor.writable_data``, ``assign_``, ``.data =``, ``-=`` under ``no_grad``): that retires
the guard, marking every live holder stale, so a later backward through it raises instead.

A ``Guard`` belongs to one array and lists weakly the recorded nodes holding it; a node is
live until backward frees it or it is collected. Each backward pass that frees a graph sweeps
the active guards; the getter of ``Tensor.data`` checks its own guard too (for a graph
dropped without backward). The cost is one weak reference per use of a
leaf or NumPy constant by a recorded op, and nothing for intermediate results until the user
asks for their data.
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np


class Guard:
    """Keeps ``array`` read-only while any node in ``holders`` is live."""

    __slots__ = ("array", "holders", "active", "foreign", "limit", "__weakref__")

    def __init__(self, array: np.ndarray, foreign: bool = False) -> None:
        self.array = array
        self.holders: list[weakref.ref[Any]] = []
        self.active = False  # True while this guard has the array's writeable flag off
        self.foreign = foreign  # a NumPy array the user passed: released when nodes die too
        self.limit = 64  # prune dead holders when the list reaches this: amortized O(1)

    def hold(self, node: Any, callback: Any = None) -> None:
        """``node`` reads the array at backward time: keep it read-only until it is freed."""
        if not self.active:
            self._protect()
        if len(self.holders) >= self.limit:  # graphs dropped without backward leave dead refs
            self.live()
            self.limit = max(64, 2 * len(self.holders))
        self.holders.append(weakref.ref(node, callback))

    def _protect(self) -> None:
        arr = self.array
        if arr.flags.writeable:
            arr.flags.writeable = False
            self.active = True
            ACTIVE.add(self)
            if len(ACTIVE) >= _SWEEP.limit:  # graphs dropped without backward: amortized O(1)
                release_unheld()
                _SWEEP.limit = max(256, 2 * len(ACTIVE))
        # else: read-only already (a broadcast view, the user's choice): nothing to restore

    def live(self) -> bool:
        """Whether a live node still holds the array (holders freed or collected are dropped)."""
        kept = []
        for ref in self.holders:
            node = ref()
            if node is not None and not node._freed:
                kept.append(ref)
        self.holders = kept
        return bool(kept)

    def retire(self, what: str) -> None:
        """A sanctioned update of the array: every live holder becomes stale, the flag comes back.

        A stale node keeps its edges but its ``_freed`` slot holds ``"<op> recorded <what>"``:
        a backward pass that reaches it raises with that text instead of reading new values.
        Arrays that only stale nodes held (the kept graph's NumPy constants) are released too.
        """
        for ref in self.holders:
            node = ref()
            if node is not None and not node._freed:
                node._freed = f"{node._op.name} recorded {what}"
        self.holders = []
        release_unheld()  # this array, and others only the now stale nodes held

    def release(self) -> None:
        """Give the array back its writeable flag if no live node holds it any more."""
        if self.active and not self.live():
            try:
                self.array.flags.writeable = True
            except ValueError:  # a view whose base became read-only meanwhile: leave it
                pass
            self.active = False
            ACTIVE.discard(self)


# every guard that has its array's flag off; backward sweeps them when it frees a graph, and
# so does a guard joining when the set has doubled since the last sweep (forward passes whose
# graphs are dropped without backward would otherwise keep every input array alive here)
ACTIVE: set[Guard] = set()


class _SWEEP:  # noqa: N801 - a namespace
    limit = 256

# NumPy arrays met as constants, by id: two ops using one user array share one guard. An
# entry lives while its guard is active (the array is kept alive by it, so the id is unique).
_FOREIGN: dict[int, Guard] = {}


def foreign_guard(arr: np.ndarray) -> Guard:
    """The shared guard of a NumPy array the user passed to an op."""
    g = _FOREIGN.get(id(arr))
    if g is None or g.array is not arr:
        g = _FOREIGN[id(arr)] = Guard(arr, foreign=True)
    return g


def hold_foreign(g: Guard, node: Any) -> None:
    """Hold a user's NumPy array for ``node``; released when ``node`` is freed or collected."""
    ref = weakref.ref(g)

    def collected(_: Any) -> None:
        guard = ref()
        if guard is not None:
            release_foreign(guard)

    g.hold(node, collected)


def release_foreign(g: Guard) -> None:
    """Release a foreign guard and forget it once the array is writeable again."""
    g.release()
    if not g.active and _FOREIGN.get(id(g.array)) is g:
        del _FOREIGN[id(g.array)]


def release_unheld() -> None:
    """After a backward pass: give back every array no live node holds any more."""
    for g in list(ACTIVE):
        if g.foreign:
            release_foreign(g)
        else:
            g.release()
