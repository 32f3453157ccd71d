"""ProgbarLogger: the progress display of ``fit``, an ordinary callback that fit adds itself.

``verbose=1`` on a terminal: a tqdm bar per epoch with the running loss; ``verbose=2``, or
``verbose=1`` elsewhere: one line per epoch; ``verbose=0``: nothing (fit adds no
ProgbarLogger then).
"""

from __future__ import annotations

import sys
import time
from typing import Any

from .base import Callback, Logs


def format_logs(logs: dict[str, float]) -> str:
    """``"loss: 0.1234 - accuracy: 0.9000 - lr: 0.001"``."""
    return " - ".join(f"{k}: {v:.3g}" if k == "lr" else f"{k}: {v:.4f}" for k, v in logs.items())


def _is_terminal() -> bool:
    try:
        return sys.stdout.isatty() and sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced or closed streams
        return False


class ProgbarLogger(Callback):
    """Shows training progress: a bar per epoch on a terminal, else one line per epoch."""

    _REFRESH = 0.2  # seconds between postfix updates: formatting every batch costs time

    def __init__(self, verbose: int = 1) -> None:
        super().__init__()
        self.verbose = verbose
        self._tqdm: Any = None
        self._bar: Any = None

    def set_params(self, params: dict[str, Any]) -> None:
        super().set_params(params)
        self._tqdm = None
        if self.verbose == 1 and _is_terminal():
            try:
                from tqdm import tqdm
            except ImportError:  # a dependency, but stay usable without it
                tqdm = None
            self._tqdm = tqdm
        if self._tqdm is not None:
            # the batch hook exists only for the bar, so a line-per-epoch fit pays nothing
            self.on_batch_end = self._bar_batch_end  # type: ignore[method-assign]

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        self._start = time.perf_counter()
        self._seen, self._loss, self._last = 0, 0.0, 0.0
        if self._tqdm is not None:
            self._bar = self._tqdm(total=self.params.get("steps"),
                                   desc=f"Epoch {epoch + 1}/{self.params.get('epochs')}",
                                   unit="batch", leave=True, dynamic_ncols=True)

    def _bar_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        if self._bar is None:
            return
        logs = logs or {}
        n = logs.get("size", 1)
        self._seen += n
        self._loss += logs.get("loss", 0.0) * n
        self._bar.update(1)
        now = time.perf_counter()
        if now - self._last > self._REFRESH:
            self._last = now
            self._bar.set_postfix({"loss": f"{self._loss / self._seen:.4f}"}, refresh=False)

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        logs = logs or {}
        seconds = time.perf_counter() - self._start
        if self._bar is not None:
            self._bar.set_postfix_str(format_logs(logs), refresh=True)
            self._bar.close()
            self._bar = None
        else:
            print(f"Epoch {epoch + 1}/{self.params.get('epochs')} - {self.params.get('steps')} "
                  f"steps - {seconds:.2f}s - {format_logs(logs)}", flush=True)

    def on_train_end(self, logs: Logs | None = None) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
