"""ModelCheckpoint: save the weights at the end of every epoch (or of the best ones)."""

from __future__ import annotations

import os

from ..files import make_parents
from .base import Callback, Logs
from .monitor import Monitor


class ModelCheckpoint(Callback):
    """Save the weights (``model.save_weights``, atomic) at the end of every epoch.

    ``filepath`` may hold format fields filled from the epoch (1-based) and the logs:
    ``"ckpt-{epoch:02d}-{val_loss:.3f}.safetensors"``. With ``save_best_only``, the file is
    written only when ``monitor`` improves on the best value so far (``mode`` as in
    EarlyStopping; ``initial_value_threshold`` is the value to beat first). Missing folders
    are created. ``path=`` is accepted as another name for ``filepath``.
    """

    def __init__(
        self,
        filepath: str | os.PathLike | None = None,
        monitor: str = "val_loss",
        *,
        verbose: int = 0,
        save_best_only: bool = False,
        mode: str = "auto",
        initial_value_threshold: float | None = None,
        path: str | os.PathLike | None = None,
    ) -> None:
        super().__init__()
        if (filepath is None) == (path is None):
            raise TypeError("ModelCheckpoint: give the file path once (filepath=... or path=...)")
        self.filepath = os.fspath(filepath if filepath is not None else path)
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = bool(save_best_only)
        self._watch = Monitor("ModelCheckpoint", monitor, mode, 0.0)
        self.best = (self._watch.initial() if initial_value_threshold is None
                     else float(initial_value_threshold))
        self.best_epoch: int | None = None
        self.last_saved: str | None = None

    def _path(self, epoch: int, logs: Logs) -> str:
        try:
            return self.filepath.format(epoch=epoch + 1, **logs)
        except KeyError as e:
            raise ValueError(
                f"ModelCheckpoint: filepath {self.filepath!r} uses {{{e.args[0]}}}, which is not "
                f"in the logs (available: epoch, {', '.join(logs)})"
            ) from None

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        logs = logs or {}
        if self.save_best_only:
            current = self._watch.value(logs)
            if not self._watch.improved(current, self.best):
                return
            if self.verbose:
                print(f"Epoch {epoch + 1}: {self.monitor} improved from {self.best:.5f} to "
                      f"{current:.5f}, saving the weights")
            self.best = current
            self.best_epoch = epoch
        path = self._path(epoch, logs)
        make_parents(path)
        self.model.save_weights(path)
        self.last_saved = path
        if self.verbose and not self.save_best_only:
            print(f"Epoch {epoch + 1}: saving the weights to {path}")
