"""The Callback base class and CallbackList, which calls a list of callbacks in order."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

Logs = dict[str, Any]


class Callback:
    """Base class: override the hooks you need; ``self.model`` and ``self.params`` are set."""

    def __init__(self) -> None:
        self.model: Any = None
        self.params: dict[str, Any] = {}

    def set_model(self, model: Any) -> None:
        """Called by ``fit`` before training."""
        self.model = model

    def set_params(self, params: dict[str, Any]) -> None:
        """Called by ``fit`` before training with the run's parameters."""
        self.params = params

    def on_train_begin(self, logs: Logs | None = None) -> None:
        """Before the first epoch."""

    def on_train_end(self, logs: Logs | None = None) -> None:
        """After the last epoch, after an early stop, and after an interruption (Ctrl-C)."""

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        """At the start of each epoch."""

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        """After each epoch's batches and validation; ``logs`` holds the epoch's results."""

    def on_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        """Before each training batch."""

    def on_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        """After each training batch (after the optimizer step, if one was taken)."""


def _overrides(cb: Callback, hook: str) -> bool:
    # a hook set on the instance (LambdaCallback) counts as well as one defined by a subclass
    return hook in vars(cb) or getattr(type(cb), hook, None) is not getattr(Callback, hook)


class CallbackList:
    """Calls a list of callbacks in order; batch hooks only on those that define them."""

    def __init__(self, callbacks: Iterable[Callback], model: Any, params: dict[str, Any]) -> None:
        self.callbacks = list(callbacks)
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(
                    f"callbacks must be nn.callbacks.Callback instances, got {type(cb).__name__}"
                )
            cb.set_model(model)
            cb.set_params(params)
        self._batch_begin = [cb for cb in self.callbacks if _overrides(cb, "on_batch_begin")]
        self._batch_end = [cb for cb in self.callbacks if _overrides(cb, "on_batch_end")]

    @property
    def wants_batches(self) -> bool:
        """Whether any callback has a batch hook (so ``fit`` builds batch logs)."""
        return bool(self._batch_begin or self._batch_end)

    def on_train_begin(self, logs: Logs | None = None) -> None:
        for cb in self.callbacks:
            cb.on_train_begin(logs)

    def on_train_end(self, logs: Logs | None = None) -> None:
        for cb in self.callbacks:
            cb.on_train_end(logs)

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        for cb in self.callbacks:
            cb.on_epoch_begin(epoch, logs)

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        for cb in self.callbacks:
            cb.on_epoch_end(epoch, logs)

    def on_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        for cb in self._batch_begin:
            cb.on_batch_begin(batch, logs)

    def on_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        for cb in self._batch_end:
            cb.on_batch_end(batch, logs)
