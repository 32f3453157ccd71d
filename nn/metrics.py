"""Metrics for ``compile(metrics=...)``: accumulated over the batches of an epoch.

A metric's ``update(y_true, y_pred)`` takes NumPy arrays, ``result()`` gives the value so far
and ``reset()`` starts again (at every epoch). Targets are aligned with the outputs by the
losses' rule (``nn.losses.align_targets``). Metrics are not weighted by sample_weight or
class_weight (Keras's ``metrics=``; only the loss is). A new metric is one subclass of
``Metric`` (or ``MeanMetric``) and needs nothing private.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import numpy as np

import autograd_core as ag

from .losses import align_targets
from .registry import lookup

__all__ = ["METRICS", "Accuracy", "FunctionMetric", "MeanMetric", "Metric", "R2Score",
           "RootMeanSquaredError", "get_metric"]


# ---- metrics ----
#
# A metric accumulates over the batches of an epoch: ``update(y_true, y_pred)`` with NumPy
# arrays, ``result()`` for the value so far, ``reset()`` between epochs. Metrics are not
# weighted by sample_weight or class_weight (Keras's ``metrics=``; only the loss is).


def _aligned(name: str, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """y_true in y_pred's shape, by the losses' rule (a trailing axis of 1 may differ)."""
    return align_targets(f"metric {name}", y_true, y_pred.shape)


def _binary_hits(y_true: np.ndarray, y_pred: np.ndarray, threshold: float) -> np.ndarray:
    # y_true > 0.5 reads both 0/1 and -1/1 labels
    return (y_pred > threshold) == (_aligned("binary_accuracy", y_true, y_pred) > 0.5)


def _categorical_hits(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"metric categorical_accuracy: y_true has shape {y_true.shape} but y_pred has shape "
            f"{y_pred.shape}; one-hot targets must have y_pred's shape (integer labels: "
            "sparse_categorical_accuracy)"
        )
    return np.argmax(y_true, axis=-1) == np.argmax(y_pred, axis=-1)


def _sparse_hits(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    labels_shape = y_pred.shape[:-1]
    if y_true.shape == labels_shape + (1,):
        y_true = y_true.reshape(labels_shape)
    if y_true.shape != labels_shape:
        raise ValueError(
            f"metric sparse_categorical_accuracy: y_true has shape {y_true.shape} but y_pred "
            f"has shape {y_pred.shape}; integer labels must have shape {labels_shape}"
        )
    return np.rint(y_true).astype(np.int64) == np.argmax(y_pred, axis=-1)


def _accuracy_kind(y_true: np.ndarray, y_pred: np.ndarray) -> str:
    """Keras's reading of "accuracy": one output column is binary; labels one rank short
    of the outputs (or with a last axis of 1) are sparse; otherwise one-hot categorical."""
    if y_pred.ndim == 0:
        raise ValueError("metric accuracy: y_pred is a scalar; it needs a samples axis")
    if y_pred.ndim == 1 or y_pred.shape[-1] == 1:
        return "binary"
    if y_true.shape == y_pred.shape:
        return "categorical"
    return "sparse"


class Metric:
    """A metric accumulated over batches: ``update`` per batch, ``result`` for the epoch."""

    name = "metric"

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget everything seen (called at the start of every epoch)."""

    def update(self, y_true: np.ndarray, y_pred: np.ndarray) -> None:
        """Add one batch of targets and outputs (NumPy arrays)."""
        raise NotImplementedError

    def result(self) -> float:
        """The metric over everything seen since ``reset`` (NaN before any update)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


class MeanMetric(Metric):
    """The mean of ``fn(y_true, y_pred)``, an array of per-element values, over all batches."""

    def __init__(self, name: str, fn: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> None:
        self.name = name
        self.fn = fn
        super().__init__()

    def reset(self) -> None:
        self._total = 0.0
        self._count = 0

    def update(self, y_true: np.ndarray, y_pred: np.ndarray) -> None:
        values = np.asarray(self.fn(y_true, y_pred))
        self._total += float(np.sum(values, dtype=np.float64))
        self._count += values.size

    def result(self) -> float:
        return self._total / self._count if self._count else math.nan


class Accuracy(MeanMetric):
    """Fraction of correct predictions.

    ``kind``: "binary" (output > ``threshold``, against labels 0/1 or -1/1), "categorical"
    (argmax of one-hot targets), "sparse" (integer labels) or "auto", which picks one from
    the shapes of the first batch as Keras does (see ``_accuracy_kind``). ``threshold`` is
    0.5 for probabilities; ``compile`` makes it 0 when the outputs are logits or scores.
    """

    _KINDS = ("auto", "binary", "categorical", "sparse")

    def __init__(self, name: str = "accuracy", kind: str = "auto", threshold: float = 0.5
                 ) -> None:
        if kind not in self._KINDS:
            raise ValueError(f"Accuracy: kind must be one of {self._KINDS}, got {kind!r}")
        self.kind = kind
        self.threshold = float(threshold)
        super().__init__(name, self._hits)

    def _hits(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        kind = self.kind if self.kind != "auto" else _accuracy_kind(y_true, y_pred)
        if kind == "binary":
            return _binary_hits(y_true, y_pred, self.threshold)
        if kind == "categorical":
            return _categorical_hits(y_true, y_pred)
        return _sparse_hits(y_true, y_pred)


def _absolute_error(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    return np.abs(y_pred - _aligned("mae", y_true, y_pred))


def _squared_error(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    d = y_pred - _aligned("mse", y_true, y_pred)
    return d * d


class RootMeanSquaredError(MeanMetric):
    """sqrt of the mean squared error over everything seen (not a mean of batch RMSEs)."""

    def __init__(self, name: str = "rmse") -> None:
        super().__init__(name, _squared_error)

    def result(self) -> float:
        return math.sqrt(super().result())


class R2Score(Metric):
    """Coefficient of determination 1 - SS_res / SS_tot, per output column, then averaged
    (scikit-learn's ``r2_score`` with ``multioutput="uniform_average"``).

    Accumulated exactly over batches (running means and sums of squares merged per batch).
    A column with constant targets scores 1 if predicted exactly and 0 otherwise, as in
    scikit-learn.
    """

    def __init__(self, name: str = "r2") -> None:
        self.name = name
        super().__init__()

    def reset(self) -> None:
        self._n = 0
        self._mean: np.ndarray | float = 0.0
        self._m2: np.ndarray | float = 0.0  # sum of squared deviations from the mean
        self._ss_res: np.ndarray | float = 0.0

    def update(self, y_true: np.ndarray, y_pred: np.ndarray) -> None:
        t = _aligned("r2", y_true, y_pred).astype(np.float64)
        p = y_pred.astype(np.float64)
        t = t.reshape(len(t), -1) if t.ndim else t.reshape(1, 1)
        p = p.reshape(t.shape)
        n_b = len(t)
        if n_b == 0:
            return
        mean_b = t.mean(axis=0)
        m2_b = ((t - mean_b) ** 2).sum(axis=0)
        n = self._n + n_b
        delta = mean_b - self._mean
        # Chan et al.'s merge of two groups' means and sums of squares
        self._m2 = self._m2 + m2_b + delta * delta * self._n * n_b / n
        self._mean = self._mean + delta * n_b / n
        self._ss_res = self._ss_res + ((t - p) ** 2).sum(axis=0)
        self._n = n

    def result(self) -> float:
        if self._n == 0:
            return math.nan
        ss_tot = np.atleast_1d(self._m2)
        ss_res = np.atleast_1d(self._ss_res)
        constant = ss_tot == 0
        scores = np.where(constant, np.where(ss_res == 0, 1.0, 0.0),
                          1.0 - ss_res / np.where(constant, 1.0, ss_tot))
        return float(scores.mean())


class FunctionMetric(Metric):
    """A metric from a function ``fn(y_true, y_pred)`` returning a number or per-sample values.

    A number counts once per sample of the batch, so the epoch value is the sample-weighted
    mean of the batch values.
    """

    def __init__(self, fn: Callable[..., Any], name: str | None = None) -> None:
        self.fn = fn
        self.name = name or _callable_name(fn)
        super().__init__()

    def reset(self) -> None:
        self._total = 0.0
        self._count = 0

    def update(self, y_true: np.ndarray, y_pred: np.ndarray) -> None:
        value = self.fn(y_true, y_pred)
        value = np.asarray(value.data if isinstance(value, ag.Tensor) else value,
                           dtype=np.float64)
        if value.ndim == 0:
            n = len(y_pred) if np.ndim(y_pred) else 1
            self._total += float(value) * n
            self._count += n
        else:
            self._total += float(value.sum())
            self._count += value.size

    def result(self) -> float:
        return self._total / self._count if self._count else math.nan


def _accuracy(kind: str) -> Callable[[str, float], Metric]:
    return lambda name, threshold: Accuracy(name, kind, threshold)


# name -> factory(name, threshold)
METRICS: dict[str, Callable[[str, float], Metric]] = {
    "accuracy": _accuracy("auto"),
    "acc": _accuracy("auto"),
    "binary_accuracy": _accuracy("binary"),
    "categorical_accuracy": _accuracy("categorical"),
    "sparse_categorical_accuracy": _accuracy("sparse"),
    "mae": lambda name, _: MeanMetric(name, _absolute_error),
    "mean_absolute_error": lambda name, _: MeanMetric(name, _absolute_error),
    "mse": lambda name, _: MeanMetric(name, _squared_error),
    "mean_squared_error": lambda name, _: MeanMetric(name, _squared_error),
    "rmse": lambda name, _: RootMeanSquaredError(name),
    "root_mean_squared_error": lambda name, _: RootMeanSquaredError(name),
    "r2": lambda name, _: R2Score(name),
    "r2_score": lambda name, _: R2Score(name),
}


def get_metric(identifier: str | Metric | Callable[..., Any], threshold: float = 0.5) -> Metric:
    """A fresh Metric from a name (``"accuracy"``, ``"mae"``, ...), a Metric or a function.

    ``threshold`` is the decision threshold of binary accuracy (0.5 for probabilities).
    """
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, str):
        return lookup("metric", METRICS, identifier)(identifier, threshold)
    if callable(identifier):
        return FunctionMetric(identifier)
    raise TypeError(f"a metric must be a name, a Metric or a callable, got {identifier!r}")



def _callable_name(fn: Any) -> str:
    while isinstance(fn, functools.partial):
        fn = fn.func
    return getattr(fn, "__name__", None) or type(fn).__name__
