"""Watching a logged value: what counts as better ('min'/'max'), and the model's optimizer.

Shared by EarlyStopping, ModelCheckpoint, ReduceLROnPlateau and History.best; a callback
of your own may use ``Monitor`` too."""

from __future__ import annotations

import math
from typing import Any

from .base import Logs

# names whose larger values are better; everything else (losses, errors) is minimized
_MAXIMIZED = ("acc", "r2")


def resolve_mode(owner: str, monitor: str, mode: str) -> str:
    """"min" or "max" for ``monitor``; "auto" maximizes accuracies and r2."""
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"{owner}: mode must be 'auto', 'min' or 'max', got {mode!r}")
    if mode != "auto":
        return mode
    base = monitor[4:] if monitor.startswith("val_") else monitor
    return "max" if any(key in base for key in _MAXIMIZED) else "min"


class Monitor:
    """The logged value a callback watches, and what counts as an improvement on the best."""

    def __init__(self, owner: str, monitor: str, mode: str, min_delta: float) -> None:
        self.owner = owner
        self.monitor = monitor
        self.mode = resolve_mode(owner, monitor, mode)
        self.min_delta = abs(float(min_delta))

    def initial(self) -> float:
        return math.inf if self.mode == "min" else -math.inf

    def value(self, logs: Logs | None) -> float:
        logs = logs or {}
        if self.monitor not in logs:
            available = ", ".join(logs) or "none"
            hint = ""
            if self.monitor.startswith("val_"):
                hint = " (val_ values need validation_split or validation_data)"
            raise ValueError(
                f"{self.owner}: monitor {self.monitor!r} is not in the epoch logs; "
                f"available: {available}{hint}"
            )
        return float(logs[self.monitor])

    def improved(self, current: float, best: float) -> bool:
        if math.isnan(current):
            return False
        if self.mode == "min":
            return current < best - self.min_delta
        return current > best + self.min_delta


def model_optimizer(owner: str, model: Any) -> Any:
    """The compiled model's optimizer, or an error naming ``owner``."""
    opt = getattr(model, "optimizer", None)
    if opt is None:
        raise RuntimeError(f"{owner}: the model has no optimizer; compile() it and use fit()")
    return opt
