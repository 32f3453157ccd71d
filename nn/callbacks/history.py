"""History: the callback that records every epoch's logs; ``fit`` returns it."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from ..files import atomic_write
from .base import Callback
from .monitor import resolve_mode


def _json_number(v: float) -> float | None:
    return v if math.isfinite(v) else None


class History(Callback):
    """What ``fit`` returns: per-epoch values and how training ended.

    - ``history``: {"loss": [...], metric: [...], "val_loss": [...], "val_<metric>": [...],
      "lr": [...]}, one value per completed epoch;
    - ``epoch``: the epoch numbers (0-based; they start at ``initial_epoch``);
    - ``params``: epochs, steps (batches per epoch), batch_size, samples, metrics (log keys)...;
    - ``stopped_early``: a callback set ``model.stop_training`` (EarlyStopping, TerminateOnNaN),
      and ``stopped_epoch`` the epoch it happened in;
    - ``interrupted``: training was stopped by Ctrl-C (KeyboardInterrupt); the epoch that was
      running is not in ``history``, but the model keeps every step taken.
    """

    def __init__(self) -> None:
        super().__init__()
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []
        self.stopped_early = False
        self.stopped_epoch: int | None = None
        self.interrupted = False

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        done = len(self.epoch)
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            # a key that appears late is padded with NaN, so every list stays epoch-aligned
            self.history.setdefault(key, [math.nan] * done).append(float(value))
        for values in self.history.values():
            if len(values) == done:
                values.append(math.nan)

    def best(self, monitor: str = "val_loss", mode: str = "auto") -> tuple[int, float]:
        """(epoch, value) of the best value of ``monitor`` ("min", "max" or "auto")."""
        if monitor not in self.history:
            raise KeyError(f"History: no {monitor!r}; recorded: {', '.join(self.history)}")
        values = np.asarray(self.history[monitor], dtype=np.float64)
        pick = np.nanargmin if resolve_mode("History.best", monitor, mode) == "min" \
            else np.nanargmax
        i = int(pick(values))
        return self.epoch[i], float(values[i])

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (non-finite values become None)."""
        return {
            "history": {k: [_json_number(v) for v in vs] for k, vs in self.history.items()},
            "epoch": list(self.epoch),
            "params": dict(self.params),
            "stopped_early": self.stopped_early,
            "stopped_epoch": self.stopped_epoch,
            "interrupted": self.interrupted,
        }

    def to_json(self, path: str | os.PathLike | None = None) -> str:
        """The JSON text of ``to_dict()``; also written to ``path`` when given."""
        text = json.dumps(self.to_dict(), indent=2, allow_nan=False)
        if path is not None:
            atomic_write(path, text + "\n")
        return text

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> History:
        """Rebuild a History from ``to_dict()`` output (None becomes NaN)."""
        h = cls()
        h.history = {k: [math.nan if v is None else float(v) for v in vs]
                     for k, vs in data.get("history", {}).items()}
        h.epoch = [int(e) for e in data.get("epoch", [])]
        h.params = dict(data.get("params", {}))
        h.stopped_early = bool(data.get("stopped_early", False))
        h.stopped_epoch = data.get("stopped_epoch")
        h.interrupted = bool(data.get("interrupted", False))
        return h

    @classmethod
    def from_json(cls, path: str | os.PathLike) -> History:
        """Read a History written by ``to_json(path)``."""
        return cls.from_dict(json.loads(Path(path).read_text()))

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        """Jupyter's display: the learning curves (PNG), or a table of the last values when
        matplotlib is missing."""
        from ..display import history_mimebundle

        return history_mimebundle(self)

    def __repr__(self) -> str:
        ended = (" (interrupted)" if self.interrupted else
                 " (stopped early)" if self.stopped_early else "")
        return f"History({len(self.epoch)} epochs: {', '.join(self.history)}){ended}"
