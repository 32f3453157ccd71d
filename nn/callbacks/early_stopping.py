"""EarlyStopping: stop when a monitored value stops improving."""

from __future__ import annotations

import numpy as np

from .base import Callback, Logs
from .monitor import Monitor


class EarlyStopping(Callback):
    """Stop training when ``monitor`` has not improved for ``patience`` epochs.

    An improvement is a change of more than ``min_delta`` in the right direction (``mode``:
    "min", "max", or "auto", which maximizes accuracies and r2 and minimizes the rest).
    ``baseline``: the value to beat; training stops if it is not beaten within ``patience``
    epochs. Epochs before ``start_from_epoch`` are not watched.

    ``restore_best_weights=True`` puts back the weights of the best epoch when training ends,
    whether this callback stopped it or the last epoch was reached (or it was interrupted).
    Keras restores only when it stopped training itself; restoring in every case means that
    the weights after fit are always those of the best epoch seen.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        *,
        min_delta: float = 0.0,
        patience: int = 0,
        verbose: int = 0,
        mode: str = "auto",
        baseline: float | None = None,
        restore_best_weights: bool = False,
        start_from_epoch: int = 0,
    ) -> None:
        super().__init__()
        if patience < 0:
            raise ValueError(f"EarlyStopping: patience must be >= 0, got {patience}")
        self._watch = Monitor("EarlyStopping", monitor, mode, min_delta)
        self.monitor = monitor
        self.patience = int(patience)
        self.verbose = verbose
        self.baseline = baseline
        self.restore_best_weights = bool(restore_best_weights)
        self.start_from_epoch = int(start_from_epoch)
        self._reset()

    def _reset(self) -> None:
        self.wait = 0
        self.stopped_epoch = 0
        self.best = self._watch.initial() if self.baseline is None else float(self.baseline)
        self.best_epoch: int | None = None
        self.best_weights: dict[str, np.ndarray] | None = None

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self._reset()

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        current = self._watch.value(logs)
        if epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            # as Keras: until something improves, the first watched epoch counts as the best
            self.best_weights = self.model.state_dict()
            self.best_epoch = epoch
        self.wait += 1
        if self._watch.improved(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.state_dict()
            self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True
            if self.verbose:
                print(f"Epoch {epoch + 1}: early stopping ({self.monitor} did not improve "
                      f"for {self.wait} epochs)")

    def on_train_end(self, logs: Logs | None = None) -> None:
        if self.restore_best_weights and self.best_weights is not None:
            self.model.load_state_dict(self.best_weights)
            if self.verbose:
                print(f"Restoring model weights from the end of the best epoch: "
                      f"{self.best_epoch + 1}.")
