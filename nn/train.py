"""Where ``compile``, ``fit``, ``evaluate``, ``predict``, the metrics and History used to live.

They moved (see the README's "Where things moved"): the training methods to ``nn.trainer``
(``Trainer``, which ``Module`` inherits), the metrics to ``nn.metrics``, History to
``nn.callbacks``, weights files to ``nn.saving``. The old names still work from here, and
the functions take the model as their first argument, as before.
"""

from __future__ import annotations

from typing import Any

from .callbacks import History
from .metrics import (
    METRICS,
    Accuracy,
    FunctionMetric,
    MeanMetric,
    Metric,
    R2Score,
    RootMeanSquaredError,
    get_metric,
)
from .saving import load_weights, save_weights
from .trainer import Trainer

__all__ = [
    "METRICS",
    "Accuracy",
    "FunctionMetric",
    "History",
    "MeanMetric",
    "Metric",
    "R2Score",
    "RootMeanSquaredError",
    "compile_model",
    "evaluate",
    "fit",
    "get_metric",
    "load_weights",
    "predict",
    "save_weights",
]


def compile_model(model: Trainer, *args: Any, **kwargs: Any) -> None:
    """``model.compile(...)``."""
    return model.compile(*args, **kwargs)


def fit(model: Trainer, *args: Any, **kwargs: Any) -> History:
    """``model.fit(...)``."""
    return model.fit(*args, **kwargs)


def evaluate(model: Trainer, *args: Any, **kwargs: Any) -> dict[str, float]:
    """``model.evaluate(...)``."""
    return model.evaluate(*args, **kwargs)


def predict(model: Trainer, *args: Any, **kwargs: Any) -> Any:
    """``model.predict(...)``."""
    return model.predict(*args, **kwargs)
