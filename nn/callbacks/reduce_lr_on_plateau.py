"""ReduceLROnPlateau: lower the learning rate when a monitored value stalls."""

from __future__ import annotations

from .base import Callback, Logs
from .monitor import Monitor, model_optimizer


class ReduceLROnPlateau(Callback):
    """Multiply ``lr`` by ``factor`` when ``monitor`` has not improved for ``patience`` epochs.

    After a reduction, ``cooldown`` epochs pass before watching resumes; ``lr`` never goes
    below ``min_lr``. ``min_delta`` is the smallest change that counts as an improvement.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        factor: float = 0.1,
        patience: int = 10,
        *,
        verbose: int = 0,
        mode: str = "auto",
        min_delta: float = 1e-4,
        cooldown: int = 0,
        min_lr: float = 0.0,
    ) -> None:
        super().__init__()
        if not 0 < factor < 1:
            raise ValueError(f"ReduceLROnPlateau: factor must be in (0, 1), got {factor}")
        if patience < 0 or cooldown < 0 or min_lr < 0:
            raise ValueError(
                "ReduceLROnPlateau: patience, cooldown and min_lr must be >= 0, got "
                f"{patience}, {cooldown}, {min_lr}"
            )
        self._watch = Monitor("ReduceLROnPlateau", monitor, mode, min_delta)
        self.monitor = monitor
        self.factor = float(factor)
        self.patience = int(patience)
        self.verbose = verbose
        self.cooldown = int(cooldown)
        self.min_lr = float(min_lr)
        self._reset()

    def _reset(self) -> None:
        self.best = self._watch.initial()
        self.wait = 0
        self.cooldown_counter = 0

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self._reset()

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        current = self._watch.value(logs)
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self._watch.improved(current, self.best):
            self.best = current
            self.wait = 0
            return
        if self.cooldown_counter > 0:
            return
        self.wait += 1
        if self.wait < self.patience:
            return
        opt = model_optimizer("ReduceLROnPlateau", self.model)
        if opt.lr > self.min_lr:
            new_lr = max(opt.lr * self.factor, self.min_lr)
            if self.verbose:
                print(f"Epoch {epoch + 1}: ReduceLROnPlateau reducing the learning rate "
                      f"to {new_lr:g}")
            opt.lr = new_lr
            self.cooldown_counter = self.cooldown
            self.wait = 0
