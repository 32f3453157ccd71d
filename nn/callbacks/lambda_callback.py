"""LambdaCallback: a callback made of plain functions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .base import Callback


class LambdaCallback(Callback):
    """A callback from plain functions: ``LambdaCallback(on_epoch_end=lambda epoch, logs: ...)``.

    Each argument takes the hook's arguments: ``(logs)`` for the train hooks, ``(epoch,
    logs)`` and ``(batch, logs)`` for the others.
    """

    _HOOKS = ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
              "on_batch_begin", "on_batch_end")

    def __init__(self, **hooks: Callable[..., Any]) -> None:
        super().__init__()
        unknown = set(hooks) - set(self._HOOKS)
        if unknown:
            raise TypeError(f"LambdaCallback: unknown hooks {sorted(unknown)}; known: "
                            f"{', '.join(self._HOOKS)}")
        for name, fn in hooks.items():
            if fn is not None:
                setattr(self, name, fn)
