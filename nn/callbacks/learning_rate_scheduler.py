"""LearningRateScheduler: set the learning rate at the start of every epoch."""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from typing import Any

from ..schedules import Schedule
from .base import Callback, Logs
from .monitor import model_optimizer


def _takes_two_arguments(fn: Callable[..., Any]) -> bool:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):  # some builtins have no signature: use Keras's form
        return True
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in params)


class LearningRateScheduler(Callback):
    """Set the optimizer's ``lr`` at the start of every epoch from ``schedule``.

    ``schedule`` is a function ``(epoch, lr) -> new lr`` (Keras's form; a function of the
    epoch alone works too) or an ``nn.schedules`` object, called with the epoch (0-based).
    """

    def __init__(self, schedule: Schedule | Callable[..., float], verbose: int = 0) -> None:
        super().__init__()
        if not callable(schedule):
            raise TypeError(f"LearningRateScheduler: schedule must be callable, got {schedule!r}")
        self.schedule = schedule
        self.verbose = verbose
        self._two = not isinstance(schedule, Schedule) and _takes_two_arguments(schedule)

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        opt = model_optimizer("LearningRateScheduler", self.model)
        lr = self.schedule(epoch, opt.lr) if self._two else self.schedule(epoch)
        try:
            lr = float(lr)
        except (TypeError, ValueError):
            raise TypeError(
                f"LearningRateScheduler: the schedule returned {lr!r} for epoch {epoch}, "
                "not a number"
            ) from None
        if not (lr >= 0 and math.isfinite(lr)):
            raise ValueError(
                f"LearningRateScheduler: the schedule returned lr={lr} for epoch {epoch}; "
                "it must be finite and >= 0"
            )
        opt.lr = lr
        if self.verbose:
            print(f"Epoch {epoch + 1}: LearningRateScheduler setting the learning rate to {lr:g}")
