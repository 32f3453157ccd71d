"""Keras-style training: compile, fit, evaluate, predict; metrics; History; weights files.

    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"],
                  from_logits=True, lr=1e-3)
    history = model.fit(X, y, epochs=30, batch_size=32, validation_split=0.2)
    model.evaluate(X_test, y_test)         # {"loss": 0.08, "accuracy": 0.97}
    model.predict(X_test)                  # np.ndarray, eval mode, no graph

``fit`` runs the loop one writes by hand (forward, loss, backward, optimizer step) and adds
only what is cheap per batch: the data are converted to the model's dtype once per call,
each batch is a NumPy slice, and metrics are computed on the outputs' arrays, with no graph.
The ``Module`` methods of the same names call the functions here.
"""

from __future__ import annotations

import copy
import functools
import inspect
import json
import math
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

import autograd_core as ag

from . import io, losses
from .callbacks import Callback, CallbackList
from .io import atomic_write
from .module import LoadResult, Module
from .optim import OPTIMIZERS, Optimizer, get_optimizer
from .seeding import make_rng

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


# ---- metrics ----
#
# A metric accumulates over the batches of an epoch: ``update(y_true, y_pred)`` with NumPy
# arrays, ``result()`` for the value so far, ``reset()`` between epochs. Metrics are not
# weighted by sample_weight or class_weight (Keras's ``metrics=``; only the loss is).


def _aligned(name: str, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """y_true in y_pred's shape; a trailing axis of length 1 may differ (as in the losses)."""
    if y_true.shape == y_pred.shape:
        return y_true
    if y_true.shape + (1,) == y_pred.shape or y_true.shape == y_pred.shape + (1,):
        return y_true.reshape(y_pred.shape)
    raise ValueError(
        f"metric {name}: y_true has shape {y_true.shape} but y_pred has shape {y_pred.shape}; "
        "they must match (a trailing axis of length 1 may differ)"
    )


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
        key = identifier.lower()
        if key not in METRICS:
            raise ValueError(f"unknown metric {identifier!r}; known: {', '.join(METRICS)}")
        return METRICS[key](identifier, threshold)
    if callable(identifier):
        return FunctionMetric(identifier)
    raise TypeError(f"a metric must be a name, a Metric or a callable, got {identifier!r}")


def _callable_name(fn: Any) -> str:
    while isinstance(fn, functools.partial):
        fn = fn.func
    return getattr(fn, "__name__", None) or type(fn).__name__


# ---- compile ----


def _accepts(fn: Callable[..., Any], name: str) -> bool:
    """Whether ``fn`` takes the keyword argument ``name`` (directly or through **kwargs)."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return True
    return name in params or any(p.kind == p.VAR_KEYWORD for p in params.values())


class _Compiled:
    """What ``compile`` stored: the loss, the metrics to make, and how to build the optimizer."""

    def __init__(self, optimizer: Any, optimizer_kwargs: dict[str, Any], loss: Any,
                 metrics: Sequence[Any] | None, from_logits: bool | None) -> None:
        self.loss, self.loss_name, self.from_logits = _resolve_loss(loss, from_logits)
        base = self.loss.func if isinstance(self.loss, functools.partial) else self.loss
        # outputs are scores, not probabilities: binary accuracy thresholds at 0
        scores = self.from_logits or base in (losses.hinge, losses.perceptron)
        self.threshold = 0.0 if scores else 0.5
        self._takes_sw = _accepts(self.loss, "sample_weight")
        self._takes_cw = _accepts(self.loss, "class_weight")
        self.metric_specs = self._check_metrics(metrics)
        self.optimizer_spec = optimizer
        self.optimizer_kwargs = optimizer_kwargs
        self._optimizer: Optimizer | None = optimizer if isinstance(optimizer, Optimizer) else None
        self._built_on: list[int] = []

    def _check_metrics(self, metrics: Sequence[Any] | None) -> list[Any]:
        if metrics is None:
            return []
        if isinstance(metrics, (str, Metric)) or callable(metrics):
            metrics = [metrics]
        specs = list(metrics)
        names = [m.name for m in self.new_metrics(specs)]
        taken = {"loss", "lr"}
        for name in names:
            if name in taken:
                raise ValueError(f"compile: metric name {name!r} is used twice (or is reserved); "
                                 f"metric names: {names}")
            taken.add(name)
        return specs

    def new_metrics(self, specs: Sequence[Any] | None = None) -> list[Metric]:
        """Fresh metric objects; a Metric given to compile is copied, so that training and
        validation each accumulate their own."""
        made = []
        for spec in self.metric_specs if specs is None else specs:
            metric = copy.copy(spec) if isinstance(spec, Metric) else get_metric(spec,
                                                                                 self.threshold)
            metric.reset()
            made.append(metric)
        return made

    def loss_value(self, y_true: Any, y_pred: Any, sample_weight: Any, class_weight: Any
                   ) -> ag.Tensor:
        """The compiled loss as a 0-d Tensor (a per-sample result is averaged)."""
        kwargs = {}
        if sample_weight is not None:
            kwargs["sample_weight"] = sample_weight
        if class_weight is not None:
            kwargs["class_weight"] = class_weight
        loss = self.loss(y_true, y_pred, **kwargs)
        if not isinstance(loss, ag.Tensor):
            raise TypeError(
                f"the loss {self.loss_name} returned {type(loss).__name__}, not a Tensor; "
                "compute it with autograd_core operations on y_pred so gradients can flow"
            )
        return loss if loss.ndim == 0 else ag.mean(loss)

    def check_weights(self, sample_weight: Any, class_weight: Any) -> None:
        if sample_weight is not None and not self._takes_sw:
            raise TypeError(f"the loss {self.loss_name} does not take sample_weight")
        if class_weight is not None and not self._takes_cw:
            raise TypeError(f"the loss {self.loss_name} does not take class_weight")

    def optimizer(self, model: Module) -> Optimizer:
        """The optimizer, built on the model's trainable parameters on first need."""
        if self._optimizer is not None and not self._built_on:
            return self._optimizer  # given as an instance: used as is
        params = model.trainable_parameters()
        ids = [id(p) for p in params]
        if self._optimizer is None or ids != self._built_on:
            # first use, or the model has gained parameters since: build on the current ones
            if not params:
                raise ValueError(
                    f"compile: the model ({type(model).__name__}) has no trainable parameters "
                    "to optimize"
                )
            spec = self.optimizer_spec
            if isinstance(spec, str):
                self._optimizer = get_optimizer(spec, params, **self.optimizer_kwargs)
            else:
                self._optimizer = spec(params, **self.optimizer_kwargs)
            self._built_on = ids
        object.__setattr__(model, "optimizer", self._optimizer)
        return self._optimizer


def _resolve_loss(loss: Any, from_logits: bool | None) -> tuple[Callable[..., Any], str, bool]:
    """(loss function with from_logits bound, its name, whether it takes logits)."""
    if loss is None:
        raise ValueError(
            f"compile: a loss is required, e.g. loss='mse'; known names: "
            f"{', '.join(losses.LOSSES)}, or a callable loss(y_true, y_pred, sample_weight=None, "
            "class_weight=None)"
        )
    fn = losses.get_loss(loss)
    name = loss if isinstance(loss, str) else _callable_name(loss)
    if from_logits is not None:
        if not _accepts(fn, "from_logits"):
            raise ValueError(f"compile: from_logits was given, but the loss {name} does not "
                             "take it (only the cross-entropies do)")
        fn = functools.partial(fn, from_logits=bool(from_logits))
        return fn, name, bool(from_logits)
    bound = fn.keywords.get("from_logits") if isinstance(fn, functools.partial) else None
    logits = bound if bound is not None else getattr(fn, "from_logits", False)
    return fn, name, bool(logits)


def compile_model(
    model: Module,
    optimizer: str | Optimizer | Callable[..., Optimizer] = "adam",
    loss: str | Callable[..., Any] | None = None,
    metrics: Sequence[str | Metric | Callable[..., Any]] | None = None,
    *,
    from_logits: bool | None = None,
    **optimizer_kwargs: Any,
) -> None:
    """Configure ``model`` for ``fit``/``evaluate``; see ``Module.compile``."""
    if isinstance(optimizer, Optimizer):
        if optimizer_kwargs:
            raise TypeError(
                f"compile: optimizer arguments {sorted(optimizer_kwargs)} were given with an "
                "optimizer object; set them when creating it"
            )
    elif isinstance(optimizer, str):
        if optimizer.lower() not in OPTIMIZERS:
            raise ValueError(f"compile: unknown optimizer {optimizer!r}; known: "
                             f"{', '.join(OPTIMIZERS)}")
    elif not callable(optimizer):
        raise TypeError(
            "compile: optimizer must be a name, an Optimizer, or a callable that builds one "
            f"from the parameters, got {optimizer!r}"
        )
    config = _Compiled(optimizer, optimizer_kwargs, loss, metrics, from_logits)
    object.__setattr__(model, "_compiled", config)
    object.__setattr__(model, "stop_training", False)
    object.__setattr__(model, "history", None)
    # the optimizer exists now if the weights do; otherwise fit() builds it
    object.__setattr__(model, "optimizer", config._optimizer)
    if config._optimizer is None and not model._unbuilt() and model.trainable_parameters():
        config.optimizer(model)


def _compiled(model: Module, caller: str) -> _Compiled:
    config = vars(model).get("_compiled")
    if config is None:
        raise RuntimeError(
            f"{caller}: the model is not compiled; call model.compile(optimizer=..., loss=...) "
            "first"
        )
    return config


# ---- data ----


def _array(value: Any, what: str) -> np.ndarray:
    array = np.asarray(value.data if isinstance(value, ag.Tensor) else value)
    if array.ndim == 0:
        raise ValueError(f"{what} must have a samples axis (the first), got a scalar")
    return array


def _model_dtype(model: Module) -> np.dtype | None:
    params = model.parameters()
    return params[0].dtype if params else None


def _as_inputs(X: Any, dtype: np.dtype | None) -> np.ndarray:
    X = _array(X, "X")
    # converted once here, so that no batch is cast again inside the layers
    if dtype is not None and X.dtype != dtype:
        X = X.astype(dtype)
    return X


def _as_targets(y: Any, dtype: np.dtype | None) -> np.ndarray:
    y = _array(y, "y")
    if dtype is not None and y.dtype.kind == "f" and y.dtype != dtype:
        y = y.astype(dtype)  # float targets as the outputs; integer labels stay integers
    return y


def _check_lengths(**arrays: np.ndarray | None) -> int:
    lengths = {name: len(a) for name, a in arrays.items() if a is not None}
    if len(set(lengths.values())) > 1:
        described = ", ".join(f"{name} has {n}" for name, n in lengths.items())
        raise ValueError(f"inconsistent numbers of samples: {described}")
    return next(iter(lengths.values()))


@contextmanager
def _eval_mode(model: Module) -> Iterator[None]:
    modules = model.modules()
    modes = [m.training for m in modules]
    model.eval()
    try:
        yield
    finally:
        for m, mode in zip(modules, modes):
            object.__setattr__(m, "training", mode)


def _ensure_built(model: Module, X: np.ndarray) -> None:
    """Build layers that wait for their input width by running one sample (no graph)."""
    if model._unbuilt() and len(X):
        with ag.no_grad(), _eval_mode(model):
            model(X[:1])


def _has_regularization(model: Module) -> bool:
    return any(m._regularizers or vars(m).get("_added_losses") for m in model.modules())


def _check_batch_size(batch_size: Any, n: int) -> int:
    if batch_size is None:
        return max(n, 1)
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
            or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int or None, got {batch_size!r}")
    return min(int(batch_size), max(n, 1))


def _outputs(out: Any) -> np.ndarray:
    return out.data if isinstance(out, ag.Tensor) else np.asarray(out)


# ---- evaluate and predict ----


def _evaluate_arrays(model: Module, config: _Compiled, X: np.ndarray, y: np.ndarray,
                     w: np.ndarray | None, batch_size: int) -> dict[str, float]:
    """Loss and metrics on prepared arrays, in eval mode and without a graph."""
    metrics = config.new_metrics()
    n = len(X)
    total = 0.0
    with ag.no_grad(), _eval_mode(model):
        # the penalty does not change during evaluation: add it once
        penalty = float(model.regularization_loss().data) if _has_regularization(model) else 0.0
        for start in range(0, n, batch_size):
            sl = slice(start, start + batch_size)
            out = model(X[sl])
            wb = None if w is None else w[sl]
            loss = config.loss_value(y[sl], out, wb, None)
            total += float(loss.data) * len(X[sl])
            out_data = _outputs(out)
            for m in metrics:
                m.update(y[sl], out_data)
    logs = {"loss": total / n + penalty if n else math.nan}
    logs.update({m.name: m.result() for m in metrics})
    return logs


def evaluate(model: Module, X: Any, y: Any, batch_size: int | None = None,
             sample_weight: Any = None, verbose: int = 0) -> dict[str, float]:
    """{"loss": ..., metric: ...} on (X, y); see ``Module.evaluate``."""
    config = _compiled(model, "evaluate")
    config.check_weights(sample_weight, None)
    _ensure_built(model, _array(X, "X"))
    dtype = _model_dtype(model)
    X, y = _as_inputs(X, dtype), _as_targets(y, dtype)
    w = None if sample_weight is None else _array(sample_weight, "sample_weight")
    n = _check_lengths(X=X, y=y, sample_weight=w)
    if n == 0:
        raise ValueError("evaluate: X has no samples")
    logs = _evaluate_arrays(model, config, X, y, w, _check_batch_size(batch_size, n))
    if verbose:
        print(_format_logs(logs))
    return logs


def predict(model: Module, X: Any, batch_size: int | None = None) -> np.ndarray:
    """The model's outputs for X as an array (eval mode, no graph); see ``Module.predict``."""
    X = _array(X, "X")
    _ensure_built(model, X)
    X = _as_inputs(X, _model_dtype(model))
    n = len(X)
    size = _check_batch_size(batch_size, n)
    with ag.no_grad(), _eval_mode(model):
        if size >= n:
            return _outputs(model(X))
        parts = [_outputs(model(X[s:s + size])) for s in range(0, n, size)]
    return np.concatenate(parts)


# ---- History ----


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
        from .callbacks import _resolve_mode

        if monitor not in self.history:
            raise KeyError(f"History: no {monitor!r}; recorded: {', '.join(self.history)}")
        values = np.asarray(self.history[monitor], dtype=np.float64)
        pick = np.nanargmin if _resolve_mode("History.best", monitor, mode) == "min" \
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

    def __repr__(self) -> str:
        ended = (" (interrupted)" if self.interrupted else
                 " (stopped early)" if self.stopped_early else "")
        return f"History({len(self.epoch)} epochs: {', '.join(self.history)}){ended}"


# ---- progress ----


def _format_logs(logs: dict[str, float]) -> str:
    parts = []
    for k, v in logs.items():
        parts.append(f"{k}: {v:.3g}" if k == "lr" else f"{k}: {v:.4f}")
    return " - ".join(parts)


def _is_terminal() -> bool:
    try:
        return sys.stdout.isatty() and sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced or closed streams
        return False


class _Progress:
    """A tqdm bar per epoch (verbose=1 on a terminal), one line per epoch (verbose=2, or
    verbose=1 elsewhere), or nothing (verbose=0)."""

    _REFRESH = 0.2  # seconds between postfix updates: formatting every batch costs time

    def __init__(self, verbose: int, epochs: int, steps: int) -> None:
        self.epochs, self.steps = epochs, steps
        self.mode = None if not verbose else "line"
        self._tqdm = None
        if verbose == 1 and _is_terminal():
            try:
                from tqdm import tqdm
            except ImportError:  # a dependency, but stay usable without it
                tqdm = None
            if tqdm is not None:
                self.mode, self._tqdm = "bar", tqdm
        self._bar: Any = None
        self._last = 0.0

    def epoch_begin(self, epoch: int) -> None:
        self._start = time.perf_counter()
        if self.mode == "bar":
            self._bar = self._tqdm(total=self.steps, desc=f"Epoch {epoch + 1}/{self.epochs}",
                                   unit="batch", leave=True, dynamic_ncols=True)
            self._last = 0.0

    def batch_end(self, batch: int, logs: Callable[[], dict[str, float]]) -> None:
        if self._bar is None:
            return
        self._bar.update(1)
        now = time.perf_counter()
        if now - self._last > self._REFRESH:
            self._last = now
            self._bar.set_postfix({k: f"{v:.4f}" for k, v in logs().items()}, refresh=False)

    def epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        seconds = time.perf_counter() - self._start
        if self._bar is not None:
            self._bar.set_postfix_str(_format_logs(logs), refresh=True)
            self._bar.close()
            self._bar = None
        elif self.mode == "line":
            print(f"Epoch {epoch + 1}/{self.epochs} - {self.steps} steps - {seconds:.2f}s - "
                  f"{_format_logs(logs)}", flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


# ---- Ctrl-C ----


class _Abort(KeyboardInterrupt):
    """A second Ctrl-C: stop at once, without finishing the batch."""


class _InterruptGuard:
    """While active, a first Ctrl-C asks fit to stop after the current batch; a second one
    raises at once. Only installed in the main thread over Python's default handler."""

    def __init__(self) -> None:
        self.requested = False
        self._previous: Any = None

    def __enter__(self) -> _InterruptGuard:
        if (threading.current_thread() is threading.main_thread()
                and signal.getsignal(signal.SIGINT) is signal.default_int_handler):
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        if self.requested:
            raise _Abort()
        self.requested = True
        print("\nInterrupted: stopping after this batch (Ctrl-C again stops at once)",
              file=sys.stderr, flush=True)

    def __exit__(self, *exc: Any) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None


# ---- fit ----


class _Running:
    """Loss (sample-weighted mean of batch losses, as Keras) and metrics over an epoch."""

    def __init__(self, metrics: list[Metric]) -> None:
        self.metrics = metrics
        self.reset()

    def reset(self) -> None:
        self.total = 0.0
        self.count = 0
        for m in self.metrics:
            m.reset()

    def update(self, loss: float, n: int, y_true: np.ndarray, y_pred: np.ndarray) -> None:
        self.total += loss * n
        self.count += n
        for m in self.metrics:
            m.update(y_true, y_pred)

    def logs(self) -> dict[str, float]:
        logs = {"loss": self.total / self.count if self.count else math.nan}
        logs.update({m.name: m.result() for m in self.metrics})
        return logs


def _validation(validation_data: Any, validation_split: float, X: np.ndarray, y: np.ndarray,
                w: np.ndarray | None) -> tuple[tuple, tuple | None]:
    """(training arrays, validation arrays or None), each (X, y, sample_weight)."""
    if not 0 <= validation_split < 1:
        raise ValueError(f"fit: validation_split must be in [0, 1), got {validation_split}")
    if validation_data is not None:  # as Keras, it takes precedence over validation_split
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
            raise ValueError(
                "fit: validation_data must be a tuple (X_val, y_val) or (X_val, y_val, "
                f"sample_weight_val), got {type(validation_data).__name__}"
                + (f" of length {len(validation_data)}"
                   if isinstance(validation_data, (tuple, list)) else "")
            )
        Xv, yv, *rest = validation_data
        wv = rest[0] if rest else None
        return (X, y, w), (Xv, yv, wv)
    if validation_split > 0:
        # Keras: the last fraction of the samples, taken before any shuffling
        split_at = math.floor(len(X) * (1 - validation_split))
        if split_at == 0 or split_at == len(X):
            raise ValueError(
                f"fit: validation_split={validation_split} of {len(X)} samples leaves "
                f"{split_at} for training and {len(X) - split_at} for validation; both must "
                "be at least 1"
            )
        cut = lambda a: (None, None) if a is None else (a[:split_at], a[split_at:])
        (Xt, Xv), (yt, yv), (wt, wv) = cut(X), cut(y), cut(w)
        return (Xt, yt, wt), (Xv, yv, wv)
    return (X, y, w), None


def _positive_int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"fit: {what} must be a positive integer, got {value!r}")
    return int(value)


class _Fit:
    """One call of fit: the prepared data, the loop and its bookkeeping."""

    def __init__(self, model: Module, config: _Compiled, X: np.ndarray, y: np.ndarray,
                 w: np.ndarray | None, val: tuple | None, epochs: int, initial_epoch: int,
                 batch_size: int, shuffle: bool, class_weight: Any, accumulate_steps: int,
                 callbacks: list[Callback], verbose: int, seed: Any) -> None:
        self.model, self.config = model, config
        self.X, self.y, self.w, self.val = X, y, w, val
        self.n = len(X)
        self.epochs, self.initial_epoch = epochs, initial_epoch
        self.batch_size = batch_size
        self.steps = math.ceil(self.n / batch_size)
        self.shuffle = shuffle
        self.class_weight = class_weight
        self.k = accumulate_steps
        self.rng = make_rng(seed, "fit")
        self.optimizer = config.optimizer(model)
        self.regularized = _has_regularization(model)
        self.running = _Running(config.new_metrics())
        self.history = History()
        self.guard = _InterruptGuard()
        metric_names = [m.name for m in self.running.metrics]
        log_keys = ["loss", *metric_names]
        if val is not None:
            log_keys += [f"val_{k}" for k in log_keys]
        self.params = {
            "epochs": epochs, "initial_epoch": initial_epoch, "steps": self.steps,
            "batch_size": batch_size, "samples": self.n,
            "validation_samples": 0 if val is None else len(val[0]),
            "accumulate_steps": accumulate_steps, "shuffle": bool(shuffle),
            "verbose": verbose, "metrics": [*log_keys, "lr"],
        }
        self.callbacks = CallbackList([*callbacks, self.history], model, self.params)
        self.progress = _Progress(verbose, epochs, self.steps)

    def run(self) -> History:
        model, history = self.model, self.history
        object.__setattr__(model, "stop_training", False)
        object.__setattr__(model, "optimizer", self.optimizer)
        object.__setattr__(model, "history", history)
        modes = [(m, m.training) for m in model.modules()]
        self.optimizer.zero_grad()  # gradients left by code before fit must not leak in
        self.callbacks.on_train_begin()
        last_logs: dict[str, float] | None = None
        try:
            with self.guard:
                for epoch in range(self.initial_epoch, self.epochs):
                    logs = self._epoch(epoch)
                    if logs is None:  # Ctrl-C during the epoch
                        history.interrupted = True
                        break
                    last_logs = logs
                    if self.guard.requested:  # Ctrl-C during validation or a callback
                        history.interrupted = True
                        break
                    if model.stop_training:
                        history.stopped_early = True
                        history.stopped_epoch = epoch
                        break
        except _Abort:
            raise
        except KeyboardInterrupt:  # raised from a callback or hook: end as after Ctrl-C
            history.interrupted = True
        finally:
            self.progress.close()
            for m, mode in modes:
                object.__setattr__(m, "training", mode)
            # nothing half-accumulated outlives fit (a stop in the middle of a group)
            self.optimizer.zero_grad()
        self.callbacks.on_train_end(last_logs)
        return history

    def _epoch(self, epoch: int) -> dict[str, float] | None:
        """Train one epoch; its logs, or None when Ctrl-C asked to stop."""
        model, running, callbacks = self.model, self.running, self.callbacks
        callbacks.on_epoch_begin(epoch)
        model.train()
        running.reset()
        self.progress.epoch_begin(epoch)
        X, y, w, bs, k, steps = self.X, self.y, self.w, self.batch_size, self.k, self.steps
        order = self.rng.permutation(self.n) if self.shuffle else None
        batch_logs = callbacks.wants_batches
        for b in range(steps):
            start = b * bs
            idx = slice(start, start + bs) if order is None else order[start:start + bs]
            xb, yb = X[idx], y[idx]
            wb = None if w is None else w[idx]
            if batch_logs:
                callbacks.on_batch_begin(b, {"batch": b, "size": len(xb)})
            # the last group of an epoch may hold fewer than k batches: its summed gradients
            # are rescaled so the step uses their mean, as a full group's does
            in_group = b % k + 1
            last = in_group == k or b == steps - 1
            loss, out = self._train_batch(xb, yb, wb, last, k / in_group if last else 1.0)
            running.update(loss, len(xb), yb, out)
            if batch_logs:
                callbacks.on_batch_end(b, {"batch": b, "size": len(xb), "loss": loss})
            self.progress.batch_end(b, running.logs)
            if self.guard.requested:
                return None
            if model.stop_training:
                break
        logs = running.logs()
        if self.val is not None:
            Xv, yv, wv = self.val
            val_logs = _evaluate_arrays(model, self.config, Xv, yv, wv, max(len(Xv), 1))
            logs.update({f"val_{key}": v for key, v in val_logs.items()})
        logs["lr"] = self.optimizer.lr
        self.progress.epoch_end(epoch, logs)
        callbacks.on_epoch_end(epoch, logs)
        return logs

    def _train_batch(self, xb: np.ndarray, yb: np.ndarray, wb: np.ndarray | None,
                     step: bool, rescale: float) -> tuple[float, np.ndarray]:
        """Forward, loss, backward; the optimizer step when ``step``. (loss, outputs)."""
        model, opt = self.model, self.optimizer
        out = model(xb)
        loss = self.config.loss_value(yb, out, wb, self.class_weight)
        if self.regularized:
            loss = loss + model.regularization_loss()
        value = float(loss.data)
        (loss if self.k == 1 else loss * (1.0 / self.k)).backward()
        if step:
            if rescale != 1.0:
                for p in opt.params:
                    if p.grad is not None:
                        p.grad = p.grad * np.asarray(rescale, dtype=p.grad.dtype)
            opt.step()
            opt.zero_grad()
        return value, _outputs(out)


def fit(
    model: Module,
    X: Any,
    y: Any,
    epochs: int = 1,
    batch_size: int | None = 32,
    validation_split: float = 0.0,
    validation_data: Any = None,
    shuffle: bool = True,
    class_weight: dict[Any, float] | None = None,
    sample_weight: Any = None,
    accumulate_steps: int = 1,
    callbacks: Iterable[Callback] | None = None,
    verbose: int = 1,
    seed: Any = None,
    initial_epoch: int = 0,
) -> History:
    """Train ``model`` on (X, y); see ``Module.fit``."""
    config = _compiled(model, "fit")
    if verbose not in (0, 1, 2):
        raise ValueError(f"fit: verbose must be 0, 1 or 2, got {verbose!r}")
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 0:
        raise ValueError(f"fit: epochs must be an integer >= 0, got {epochs!r}")
    if not 0 <= initial_epoch <= epochs:
        raise ValueError(f"fit: initial_epoch must be in [0, epochs={epochs}], "
                         f"got {initial_epoch}")
    accumulate_steps = _positive_int(accumulate_steps, "accumulate_steps")
    if class_weight is not None and not hasattr(class_weight, "items"):
        raise TypeError(f"fit: class_weight must be a dict {{class: weight}}, "
                        f"got {type(class_weight).__name__}")
    config.check_weights(sample_weight, class_weight)
    X, y = _array(X, "X"), _array(y, "y")
    w = None if sample_weight is None else _array(sample_weight, "sample_weight")
    if _check_lengths(X=X, y=y, sample_weight=w) == 0:
        raise ValueError("fit: X has no samples")
    _ensure_built(model, X)
    dtype = _model_dtype(model)
    (Xt, yt, wt), val = _validation(validation_data, validation_split, X, y, w)
    # converted after the split, so that only the training part is copied
    Xt, yt = _as_inputs(Xt, dtype), _as_targets(yt, dtype)
    if val is not None:
        Xv, yv = _as_inputs(val[0], dtype), _as_targets(val[1], dtype)
        wv = None if val[2] is None else _array(val[2], "validation sample_weight")
        if _check_lengths(X_val=Xv, y_val=yv, sample_weight_val=wv) == 0:
            raise ValueError("fit: the validation data have no samples")
        val = (Xv, yv, wv)
    run = _Fit(model, config, Xt, yt, wt, val, int(epochs), int(initial_epoch),
               _check_batch_size(batch_size, len(Xt)), shuffle, class_weight,
               accumulate_steps, list(callbacks or []), verbose, seed)
    return run.run()


# ---- weights files ----


def _architecture(model: Module) -> str:
    try:
        return model.summary(print_fn=None)
    except Exception:  # a summary is a courtesy in the file; never a reason not to save
        return repr(model)


def _require_built(model: Module, caller: str) -> None:
    unbuilt = model._unbuilt()
    if unbuilt:
        path, m = unbuilt[0]
        raise ValueError(
            f"{caller}: layer {path or '(root)'!r} ({type(m).__name__}) is not built, so its "
            "weights do not exist yet; give it input_dim=..., or call the model on a batch first"
        )


def _natural(name: str) -> list[Any]:
    """Sort key that puts ``layers.2`` before ``layers.10``."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in name.split(".")]


def save_weights(model: Module, path: str | os.PathLike) -> None:
    """Write every parameter (name, shape, dtype, values) and the model's summary, atomically."""
    _require_built(model, "save_weights")
    state = {name: p.data for name, p in model.named_parameters()}
    metadata = {"model_class": type(model).__name__, "architecture": _architecture(model)}
    io.save_state(path, state, metadata)


def load_weights(model: Module, path: str | os.PathLike, strict: bool = True) -> LoadResult:
    """Load a ``save_weights`` file, checking every name and shape before changing anything."""
    _require_built(model, "load_weights")
    state, metadata = io.load_state(path)
    expected = {name: (p.shape, None) for name, p in model.named_parameters()}
    # the file's order is not kept by the reader: the model's order, then the rest by name,
    # so that errors list names the same way every time
    state = {**{k: state[k] for k in expected if k in state},
             **{k: state[k] for k in sorted(state, key=_natural) if k not in expected}}
    try:
        io.validate_state(expected, state, source=path, strict=strict)
    except io.StateMismatchError as e:
        saved = metadata.get("architecture")
        message = str(e)
        if saved:
            message += "\nThe file was saved from this model:\n" + saved
        raise io.StateMismatchError(message, e.missing, e.unexpected, e.mismatched) from None
    # values are cast to each parameter's dtype, as load_state_dict does
    return model.load_state_dict(state, strict=strict)
