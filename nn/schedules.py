"""Learning-rate schedules, usable with any optimizer or on their own.

A schedule is a function of the epoch (or of the step, if you call ``step()`` per batch):
``schedule(epoch) -> lr``. Built on an optimizer, it also drives it: the constructor sets
``opt.lr = schedule(0)`` and each ``schedule.step()`` advances the epoch and sets
``opt.lr = schedule(epoch)``. Built on a number, ``step()`` only advances and returns the lr.

    opt = SGD(model.parameters(), lr=0.1)
    sched = CosineDecay(opt, total_epochs=50)
    for epoch in range(50):
        train_one_epoch(model, opt)
        sched.step()
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from .optim import Optimizer


class Schedule:
    """Base class: ``__call__(epoch)`` gives the lr; ``step()`` moves to the next epoch."""

    def __init__(self, initial: float | Optimizer) -> None:
        if isinstance(initial, Optimizer):
            self.optimizer: Optimizer | None = initial
            self.initial_lr = initial.lr
        else:
            self.optimizer = None
            self.initial_lr = float(initial)
        if not self.initial_lr > 0:
            raise ValueError(f"{type(self).__name__}: initial learning rate must be > 0, "
                             f"got {self.initial_lr}")
        self.epoch = 0

    def _start(self) -> None:
        if self.optimizer is not None:
            self.optimizer.lr = self(0)

    def __call__(self, epoch: int) -> float:
        raise NotImplementedError

    def step(self) -> float:
        """Advance one epoch; set (and return) the new learning rate."""
        self.epoch += 1
        lr = self(self.epoch)
        if self.optimizer is not None:
            self.optimizer.lr = lr
        return lr

    def state_dict(self) -> dict[str, Any]:
        """The epoch counter and initial lr."""
        return {"epoch": self.epoch, "initial_lr": self.initial_lr}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the epoch counter (and set the optimizer's lr to match)."""
        self.epoch = int(state["epoch"])
        self.initial_lr = float(state["initial_lr"])
        if self.optimizer is not None:
            self.optimizer.lr = self(self.epoch)


def _positive(name: str, what: str, value: Any) -> Any:
    if not value > 0:
        raise ValueError(f"{name}: {what} must be > 0, got {value}")
    return value


class StepDecay(Schedule):
    """lr = initial_lr * gamma ** (epoch // step_size)  (PyTorch's StepLR)."""

    def __init__(self, initial: float | Optimizer, step_size: int, gamma: float = 0.1) -> None:
        super().__init__(initial)
        self.step_size = int(_positive("StepDecay", "step_size", step_size))
        self.gamma = float(_positive("StepDecay", "gamma", gamma))
        self._start()

    def __call__(self, epoch: int) -> float:
        return self.initial_lr * self.gamma ** (int(epoch) // self.step_size)


class ExponentialDecay(Schedule):
    """lr = initial_lr * gamma ** epoch  (PyTorch's ExponentialLR)."""

    def __init__(self, initial: float | Optimizer, gamma: float) -> None:
        super().__init__(initial)
        self.gamma = float(_positive("ExponentialDecay", "gamma", gamma))
        self._start()

    def __call__(self, epoch: int) -> float:
        return self.initial_lr * self.gamma ** int(epoch)


class CosineDecay(Schedule):
    """lr = min_lr + (initial_lr - min_lr) * (1 + cos(pi * epoch / total_epochs)) / 2,
    held at min_lr after ``total_epochs`` (PyTorch's CosineAnnealingLR, without restarts)."""

    def __init__(self, initial: float | Optimizer, total_epochs: int, min_lr: float = 0.0) -> None:
        super().__init__(initial)
        self.total_epochs = int(_positive("CosineDecay", "total_epochs", total_epochs))
        if not 0 <= min_lr <= self.initial_lr:
            raise ValueError(f"CosineDecay: min_lr must be in [0, {self.initial_lr}], got {min_lr}")
        self.min_lr = float(min_lr)
        self._start()

    def __call__(self, epoch: int) -> float:
        e = min(int(epoch), self.total_epochs)
        cos = (1 + math.cos(math.pi * e / self.total_epochs)) / 2
        return self.min_lr + (self.initial_lr - self.min_lr) * cos


class WarmUp(Schedule):
    """Linear warm-up from ``start_factor * initial_lr`` to ``initial_lr`` over
    ``warmup_epochs``, then ``after(epoch - warmup_epochs)`` (or ``initial_lr`` if None).

        lr = initial_lr * (start_factor + (1 - start_factor) * epoch / warmup_epochs)
    """

    def __init__(
        self,
        initial: float | Optimizer,
        warmup_epochs: int,
        after: Schedule | Callable[[int], float] | None = None,
        start_factor: float = 0.1,
    ) -> None:
        super().__init__(initial)
        self.warmup_epochs = int(_positive("WarmUp", "warmup_epochs", warmup_epochs))
        if not 0 < start_factor <= 1:
            raise ValueError(f"WarmUp: start_factor must be in (0, 1], got {start_factor}")
        self.start_factor = float(start_factor)
        self.after = after
        self._start()

    def __call__(self, epoch: int) -> float:
        e = int(epoch)
        if e < self.warmup_epochs:
            frac = self.start_factor + (1 - self.start_factor) * e / self.warmup_epochs
            return self.initial_lr * frac
        if self.after is None:
            return self.initial_lr
        return float(self.after(e - self.warmup_epochs))
