"""The trainer (Keras 3's ``Trainer``): compile, fit, evaluate, predict, mixed into Module.

    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"],
                  from_logits=True, lr=1e-3)
    history = model.fit(X, y, epochs=30, batch_size=32, validation_split=0.2)
    model.evaluate(X_test, y_test)         # {"loss": 0.08, "accuracy": 0.97}
    model.predict(X_test)                  # np.ndarray, eval mode, no graph

``fit``, ``evaluate``, ``predict`` and ``nn.lr_find`` run the same three steps, which a model
may override: ``train_step(batch)``, ``test_step(batch)`` and ``predict_step(batch)``, each
on a batch ``(x, y, sample_weight)`` from ``nn.data.EpochIterator``. A step computes the loss
with ``compute_loss`` (the compiled loss plus ``self.losses``) and adds the batch to the
running loss and metrics with ``compute_metrics``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

import autograd_core as ag

from . import checks, data, multi_io
from .callbacks import Callback, CallbackList, History, ProgbarLogger
from .callbacks.progbar import format_logs
from .compile_utils import CompileLoss, CompileMetrics, CompileOptimizer
from .interrupt import Abort, InterruptGuard
from .seeding import make_rng

__all__ = ["Trainer"]


def _outputs(out: Any) -> Any:
    """The model's output(s) as arrays: a list or dict of them for several outputs."""
    if isinstance(out, dict):
        return {k: _outputs(v) for k, v in out.items()}
    if isinstance(out, list):
        return [_outputs(v) for v in out]
    return out.data if isinstance(out, ag.Tensor) else np.asarray(out)


def _concatenate(parts: list[Any]) -> Any:
    """The batches' outputs joined along the samples axis, output by output."""
    first = parts[0]
    if len(parts) == 1:
        return first
    if isinstance(first, dict):
        return {k: np.concatenate([p[k] for p in parts]) for k in first}
    if isinstance(first, list):
        return [np.concatenate([p[i] for p in parts]) for i in range(len(first))]
    return np.concatenate(parts)


def _positive_int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"fit: {what} must be a positive integer, got {value!r}")
    return int(value)


class _Accumulation:
    """Gradient accumulation in fit: which batch ends a group of k, and its rescaling."""

    def __init__(self, k: int, steps: int, class_weight: Any) -> None:
        self.k, self.steps, self.class_weight = k, steps, class_weight
        self.step_now, self.rescale = True, 1.0

    def at(self, batch: int) -> None:
        # the last group of an epoch may hold fewer than k batches: its summed gradients are
        # rescaled so the step uses their mean, as a full group's does
        in_group = batch % self.k + 1
        self.step_now = in_group == self.k or batch == self.steps - 1
        self.rescale = self.k / in_group if self.step_now else 1.0


class Trainer:
    """Keras's training methods; Module inherits them, so every model has them."""

    # declared here: compile and fit set nothing else on a model
    compiled: bool = False
    optimizer: Any = None  # the optimizer fit uses (built by compile when it can)
    loss: Any = None  # the loss given to compile
    compiled_loss: CompileLoss | None = None
    compiled_metrics: CompileMetrics | None = None
    stop_training: bool = False  # set by a callback to end fit after the current batch
    history: History | None = None  # the History of the last fit
    _compiled_optimizer: CompileOptimizer | None = None
    _accumulation: _Accumulation | None = None  # set while fit runs

    def compile(self, optimizer: Any = "adam", loss: Any = None, metrics: Any = None, *,
                from_logits: bool | None = None, loss_weights: Any = None,
                **optimizer_kwargs: Any) -> None:
        """Choose the optimizer, loss and metrics that ``fit`` and ``evaluate`` use.

        - ``optimizer``: a name (``"sgd"``, ``"adam"``, ...) built with ``optimizer_kwargs``
          (``lr=...``, ``momentum=...``) on the trainable parameters when they exist (at the
          first ``fit`` for layers that wait for their input), an ``Optimizer`` (one created
          without parameters gets the model's), or a callable ``f(params, **optimizer_kwargs)
          -> Optimizer`` such as ``nn.SGD``.
        - ``loss``: a name from ``nn.losses`` or ``loss(y_true, y_pred, sample_weight=None,
          class_weight=None) -> 0-d Tensor``. ``from_logits`` is passed to the cross-entropies
          (and makes binary accuracy threshold at 0 instead of 0.5).
        - ``metrics``: names (accuracy, binary_accuracy, categorical_accuracy,
          sparse_categorical_accuracy, mae, mse, rmse, r2), ``nn.metrics.Metric`` objects or
          functions ``f(y_true, y_pred) -> number``.
        - A functional model with several outputs takes a loss per output (a dict keyed by
          output name, or a list), ``loss_weights`` to weight them, and metrics per output
          (a dict or list; one list applies to every output): see ``nn.multi_io``.
        """
        binder = CompileOptimizer(optimizer, optimizer_kwargs)
        if multi_io.multi_output(self, loss):
            compiled_loss = multi_io.MultiLoss(self, loss, from_logits, loss_weights)
            self.compiled_metrics = multi_io.MultiMetrics(compiled_loss, metrics)
        else:
            if loss_weights is not None:
                raise ValueError("compile: loss_weights weight the losses of several outputs; "
                                 "this model has one")
            compiled_loss = CompileLoss(loss, from_logits)
            self.compiled_metrics = CompileMetrics(metrics, compiled_loss.threshold)
        self.compiled_loss, self.loss, self._compiled_optimizer = compiled_loss, loss, binder
        self.compiled, self.stop_training, self.history = True, False, None
        self.optimizer = binder.optimizer
        checks.check_loss_and_model(self, compiled_loss)
        # the optimizer exists now if the weights do; otherwise fit() builds it
        if not self._unbuilt() and self.trainable_parameters():
            self.optimizer = binder.get(self)

    def _require_compiled(self, caller: str) -> None:
        if not self.compiled:
            raise RuntimeError(f"{caller}: the model is not compiled; call "
                               "model.compile(optimizer=..., loss=...) first")

    # ---- the steps ----

    def compute_loss(self, x: Any = None, y: Any = None, y_pred: Any = None,
                     sample_weight: Any = None) -> ag.Tensor:
        """The compiled loss of (y, y_pred) plus ``self.losses`` (regularization), 0-d."""
        accumulation = self._accumulation
        class_weight = None if accumulation is None else accumulation.class_weight
        loss = self.compiled_loss(y, y_pred, sample_weight, class_weight)
        for term in self.losses:
            loss = loss + term
        return loss

    def compute_metrics(self, x: Any, y: Any, y_pred: Any, sample_weight: Any = None,
                        loss: float = math.nan) -> None:
        """Add a batch's loss value and outputs to the running loss and metrics."""
        self.compiled_metrics.update_state(y, _outputs(y_pred), loss, len(x))

    def train_step(self, batch: tuple[Any, Any, Any]) -> dict[str, float]:
        """Forward, loss, backward, optimizer step on ``(x, y, sample_weight)``; the batch's
        logs ``{"loss": ...}``. With ``accumulate_steps=k`` the step comes every k batches."""
        x, y, sample_weight = batch
        y_pred = self(x)
        loss = self.compute_loss(x, y, y_pred, sample_weight)
        value = loss.item()  # .item(), not .data: no read-only loan of a live graph's array
        acc = self._accumulation
        (loss if acc is None or acc.k == 1 else loss * (1.0 / acc.k)).backward()
        if acc is None or acc.step_now:
            opt = self.optimizer
            if acc is not None and acc.rescale != 1.0:
                for p in opt.params:
                    if p.grad is not None:
                        p.grad = p.grad * np.asarray(acc.rescale, dtype=p.grad.dtype)
            opt.step()
            opt.zero_grad()
        self.compute_metrics(x, y, y_pred, sample_weight, value)
        return {"loss": value}

    def test_step(self, batch: tuple[Any, Any, Any]) -> dict[str, float]:
        """Forward and loss on ``(x, y, sample_weight)`` (evaluate runs it in eval mode,
        without a graph); the batch's logs."""
        x, y, sample_weight = batch
        y_pred = self(x)
        value = self.compute_loss(x, y, y_pred, sample_weight).item()
        self.compute_metrics(x, y, y_pred, sample_weight, value)
        return {"loss": value}

    def predict_step(self, batch: tuple[Any, Any, Any]) -> np.ndarray:
        """The outputs for the batch's x, as an array."""
        return _outputs(self(batch[0]))

    # ---- fit, evaluate, predict ----

    def _ensure_built(self, X: np.ndarray) -> None:
        """Build layers that wait for their input by running one sample (no graph)."""
        if self._unbuilt() and len(X):
            with ag.no_grad(), self.mode(training=False):
                self(X[:1])

    def _dtype(self) -> np.dtype | None:
        params = self.parameters()
        return params[0].dtype if params else None

    def fit(self, X: Any, y: Any, epochs: int = 1, batch_size: int | None = 32,
            validation_split: float = 0.0, validation_data: Any = None, shuffle: bool = True,
            class_weight: Any = None, sample_weight: Any = None, accumulate_steps: int = 1,
            callbacks: Iterable[Callback] | None = None, verbose: int = 1, seed: Any = None,
            initial_epoch: int = 0, check_inputs: bool = True) -> History:
        """Train for ``epochs`` epochs; returns an ``nn.History``.

        - ``batch_size``: None (or at least the number of samples) is full-batch gradient
          descent, 1 stochastic, anything else mini-batch.
        - ``validation_split``: the last fraction of the samples, taken before shuffling, is
          held out (Keras); ``validation_data=(X_val, y_val[, sample_weight_val])`` overrides it.
        - ``shuffle``: a new order every epoch, drawn from ``seed`` (None: ``nn.set_seed``'s
          rule, key ``"fit"``) and the epoch's number, so that resuming a saved model with
          ``initial_epoch`` repeats a straight run's orders.
        - ``class_weight`` ({class: weight}) and ``sample_weight`` weight the training loss.
        - ``accumulate_steps=k``: gradients of k batches add up (each loss scaled by 1/k)
          before one optimizer step.
        - The loss includes ``self.losses`` (regularization). ``callbacks``: see
          ``nn.callbacks``.
        - ``verbose``: 0 silent, 1 a progress bar on a terminal (one line per epoch
          otherwise), 2 one line per epoch.
        - Ctrl-C stops after the current batch and returns the History so far, with
          ``interrupted=True``; the model keeps every step taken.
        - ``check_inputs``: refuse NaN, infinity and non-numbers in the data, and targets
          outside the loss's range, naming the first bad row (False: skip these checks).
        """
        self._require_compiled("fit")
        if verbose not in (0, 1, 2):
            raise ValueError(f"fit: verbose must be 0, 1 or 2, got {verbose!r}")
        if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 0:
            raise ValueError(f"fit: epochs must be an integer >= 0, got {epochs!r}")
        if not 0 <= initial_epoch <= epochs:
            raise ValueError(f"fit: initial_epoch must be in [0, epochs={epochs}], "
                             f"got {initial_epoch}")
        k = _positive_int(accumulate_steps, "accumulate_steps")
        if class_weight is not None and not hasattr(class_weight, "items"):
            raise TypeError(f"fit: class_weight must be a dict {{class: weight}}, "
                            f"got {type(class_weight).__name__}")
        self.compiled_loss.check_weights(sample_weight, class_weight)
        X, y = multi_io.structure_inputs(self, X), multi_io.structure_targets(self, y)
        if isinstance(validation_data, (tuple, list)) and len(validation_data) in (2, 3):
            validation_data = (multi_io.structure_inputs(self, validation_data[0]),
                               multi_io.structure_targets(self, validation_data[1]),
                               *validation_data[2:])
        arrays = data.prepare_arrays(X, y, sample_weight, caller="fit", check=check_inputs)
        self._ensure_built(arrays[0])
        (Xt, yt, wt), val = data.split_validation_data(validation_data, validation_split,
                                                       arrays, "fit", check_inputs)
        if check_inputs:
            checks.check_data_for_loss(self, arrays[1], "fit")
            if validation_data is not None:
                checks.check_data_for_loss(self, val[1], "fit", "y_val")
        # converted after the split, so that only the training part is copied
        Xt, yt = data.cast_arrays(Xt, yt, self._dtype())
        if val is not None:
            val = (*data.cast_arrays(val[0], val[1], self._dtype()), val[2])
        size = data.check_batch_size(batch_size, len(Xt))
        # epoch e's order comes from (key, e) alone, so that a model saved after epoch 2 and
        # fitted again with initial_epoch=2 sees the orders a straight run would have seen
        order_key = int(make_rng(seed, "fit").integers(2**63))
        epoch_iterator = data.EpochIterator(Xt, yt, wt, size, shuffle,
                                            np.random.default_rng(order_key))
        optimizer = self.optimizer = self._compiled_optimizer.get(self)
        history = History()
        keys = ["loss", *self.compiled_metrics.names]
        keys += [f"val_{key}" for key in keys] if val is not None else []
        params = {
            "epochs": int(epochs), "initial_epoch": int(initial_epoch),
            "steps": len(epoch_iterator), "batch_size": size, "samples": len(Xt),
            "validation_samples": 0 if val is None else len(val[0]), "accumulate_steps": k,
            "shuffle": bool(shuffle), "verbose": verbose, "metrics": [*keys, "lr"],
        }
        shown = [ProgbarLogger(verbose)] if verbose else []
        callback_list = CallbackList([*shown, *(callbacks or []), history], self, params)
        self.stop_training, self.history = False, history
        self._accumulation = _Accumulation(k, len(epoch_iterator), class_weight)
        guard = InterruptGuard()
        optimizer.zero_grad()  # gradients left by code before fit must not leak in
        last_logs: dict[str, float] | None = None
        callback_list.on_train_begin()
        try:
            with guard, self.mode(training=True):
                for epoch in range(int(initial_epoch), int(epochs)):
                    if shuffle:
                        epoch_iterator.rng = np.random.default_rng([order_key, epoch])
                    logs = self._fit_epoch(epoch, epoch_iterator, val, callback_list, guard)
                    if logs is None or guard.requested:  # Ctrl-C during the epoch
                        history.interrupted = True
                        break
                    last_logs = logs
                    if self.stop_training:
                        history.stopped_early, history.stopped_epoch = True, epoch
                        break
        except Abort:
            raise
        except KeyboardInterrupt:  # raised from a callback or hook: end as after Ctrl-C
            history.interrupted = True
        finally:
            self._accumulation = None
            # nothing half-accumulated outlives fit (a stop in the middle of a group)
            optimizer.zero_grad()
            for cb in shown:
                cb.on_train_end()
        callback_list.on_train_end(last_logs)
        return history

    def _fit_epoch(self, epoch: int, batches: data.EpochIterator, val: tuple | None,
                   callbacks: CallbackList, guard: InterruptGuard) -> dict[str, float] | None:
        """Train one epoch; its logs, or None when Ctrl-C asked to stop."""
        callbacks.on_epoch_begin(epoch)
        self.train()
        self.compiled_metrics.reset_state()
        accumulation, batch_logs = self._accumulation, callbacks.wants_batches
        for b, batch in enumerate(batches):
            if batch_logs:
                callbacks.on_batch_begin(b, {"batch": b, "size": len(batch[0])})
            accumulation.at(b)
            logs = self.train_step(batch)
            if batch_logs:
                callbacks.on_batch_end(b, {"batch": b, "size": len(batch[0]), **logs})
            if guard.requested:
                return None
            if self.stop_training:
                break
        logs = self.compiled_metrics.result()
        if val is not None:
            val_logs = self._evaluate_arrays(val, max(len(val[0]), 1))
            logs.update({f"val_{key}": v for key, v in val_logs.items()})
        logs["lr"] = self.optimizer.lr
        callbacks.on_epoch_end(epoch, logs)
        return logs

    def _evaluate_arrays(self, arrays: tuple, batch_size: int) -> dict[str, float]:
        """Loss and metrics on prepared arrays, in eval mode, without a graph, with a fresh
        tracker (fit's running metrics are left alone)."""
        training_metrics = self.compiled_metrics
        self.compiled_metrics = training_metrics.fresh()
        try:
            with ag.no_grad(), self.mode(training=False):
                for batch in data.EpochIterator(*arrays, batch_size=batch_size):
                    self.test_step(batch)
            return self.compiled_metrics.result()
        finally:
            self.compiled_metrics = training_metrics

    def evaluate(self, X: Any, y: Any, batch_size: int | None = None, sample_weight: Any = None,
                 verbose: int = 0, check_inputs: bool = True) -> dict[str, float]:
        """Loss (with ``self.losses``) and metrics on (X, y), in eval mode:
        ``{"loss": ..., "accuracy": ...}``. ``batch_size=None`` runs one batch.
        ``check_inputs``: as in ``fit``."""
        self._require_compiled("evaluate")
        self.compiled_loss.check_weights(sample_weight, None)
        X = multi_io.structure_inputs(self, X, "evaluate")
        y = multi_io.structure_targets(self, y, "evaluate")
        X, y, w = data.prepare_arrays(X, y, sample_weight, caller="evaluate",
                                      check=check_inputs)
        if check_inputs:
            checks.check_data_for_loss(self, y, "evaluate")
        self._ensure_built(X)
        X, y = data.cast_arrays(X, y, self._dtype())
        logs = self._evaluate_arrays((X, y, w), data.check_batch_size(batch_size, len(X)))
        if verbose:
            print(format_logs(logs))
        return logs

    def predict(self, X: Any, batch_size: int | None = None, check_inputs: bool = True) -> Any:
        """The outputs for X as a NumPy array (a list or dict of them for several outputs),
        in eval mode and without recording a graph (``check_inputs``: refuse NaN, infinity and
        non-numbers in X, as ``fit``)."""
        X = multi_io.structure_inputs(self, X, "predict")
        X, _, _ = data.prepare_arrays(X, caller="predict", check=check_inputs)
        self._ensure_built(X)
        X, _ = data.cast_arrays(X, None, self._dtype())
        batches = data.EpochIterator(X, batch_size=data.check_batch_size(batch_size, len(X)))
        with ag.no_grad(), self.mode(training=False):
            parts = [self.predict_step(batch) for batch in batches]
        return _concatenate(parts)
