"""The trainer: compile, fit, evaluate, predict (temporary delegation to nn.train)."""

from __future__ import annotations

import os
from typing import Any

import numpy as np


class Trainer:
    """Keras's training methods, mixed into Module."""

    # ---- weights files and Keras-style training (the logic is in nn.train) ----

    def save_weights(self, path: str | os.PathLike) -> None:
        """Write the weights (names, shapes, dtypes, values) and this model's ``summary()`` to
        a safetensors file, atomically: a crash leaves the old file or the new one."""
        from . import train

        train.save_weights(self, path)

    def load_weights(self, path: str | os.PathLike, strict: bool = True) -> Any:
        """Load a ``save_weights`` file. Every name and shape is checked before any weight
        changes; a mismatch raises ``nn.io.StateMismatchError`` naming the parameter and both
        shapes, and a foreign, truncated or pickled file ``nn.io.WeightsFileError``. Values are
        cast to each parameter's dtype; ``strict=False`` loads the names that match."""
        from . import train

        return train.load_weights(self, path, strict=strict)

    def compile(
        self,
        optimizer: Any = "adam",
        loss: Any = None,
        metrics: Any = None,
        *,
        from_logits: bool | None = None,
        **optimizer_kwargs: Any,
    ) -> None:
        """Choose the optimizer, loss and metrics that ``fit`` and ``evaluate`` use.

        - ``optimizer``: a name (``"sgd"``, ``"adam"``, ...) built with ``optimizer_kwargs``
          (``lr=...``, ``momentum=...``) on the trainable parameters when they exist (at the
          first ``fit`` for layers that wait for their input), an ``Optimizer``, or a callable
          ``f(params, **optimizer_kwargs) -> Optimizer`` such as ``nn.SGD``.
        - ``loss``: a name from ``nn.losses`` or ``loss(y_true, y_pred, sample_weight=None,
          class_weight=None) -> 0-d Tensor``. ``from_logits`` is passed to the cross-entropies
          (and makes binary accuracy threshold at 0 instead of 0.5).
        - ``metrics``: names (accuracy, binary_accuracy, categorical_accuracy,
          sparse_categorical_accuracy, mae, mse, rmse, r2), ``nn.train.Metric`` objects or
          functions ``f(y_true, y_pred) -> number``.
        """
        from . import train

        train.compile_model(self, optimizer, loss, metrics, from_logits=from_logits,
                            **optimizer_kwargs)

    def fit(
        self,
        X: Any,
        y: Any,
        epochs: int = 1,
        batch_size: int | None = 32,
        validation_split: float = 0.0,
        validation_data: Any = None,
        shuffle: bool = True,
        class_weight: Any = None,
        sample_weight: Any = None,
        accumulate_steps: int = 1,
        callbacks: Any = None,
        verbose: int = 1,
        seed: Any = None,
        initial_epoch: int = 0,
    ) -> Any:
        """Train for ``epochs`` epochs; returns an ``nn.History``.

        - ``batch_size``: None (or at least the number of samples) is full-batch gradient
          descent, 1 stochastic, anything else mini-batch.
        - ``validation_split``: the last fraction of the samples, taken before shuffling, is
          held out (Keras); ``validation_data=(X_val, y_val[, sample_weight_val])`` overrides it.
        - ``shuffle``: a new order every epoch, drawn from ``seed`` (None: from the generator
          that ``nn.set_seed`` resets).
        - ``class_weight`` ({class: weight}) and ``sample_weight`` weight the training loss.
        - ``accumulate_steps=k``: gradients of k batches add up (each loss scaled by 1/k)
          before one optimizer step.
        - The loss includes ``regularization_loss()``. ``callbacks``: see ``nn.callbacks``.
        - ``verbose``: 0 silent, 1 a progress bar on a terminal (one line per epoch
          otherwise), 2 one line per epoch.
        - Ctrl-C stops after the current batch and returns the History so far, with
          ``interrupted=True``; the model keeps every step taken.
        """
        from . import train

        return train.fit(
            self, X, y, epochs=epochs, batch_size=batch_size, validation_split=validation_split,
            validation_data=validation_data, shuffle=shuffle, class_weight=class_weight,
            sample_weight=sample_weight, accumulate_steps=accumulate_steps, callbacks=callbacks,
            verbose=verbose, seed=seed, initial_epoch=initial_epoch,
        )

    def evaluate(self, X: Any, y: Any, batch_size: int | None = None, sample_weight: Any = None,
                 verbose: int = 0) -> dict[str, float]:
        """Loss (with the regularization penalty) and metrics on (X, y), in eval mode:
        ``{"loss": ..., "accuracy": ...}``. ``batch_size=None`` runs one batch."""
        from . import train

        return train.evaluate(self, X, y, batch_size=batch_size, sample_weight=sample_weight,
                              verbose=verbose)

    def predict(self, X: Any, batch_size: int | None = None) -> np.ndarray:
        """The outputs for X as a NumPy array, in eval mode and without recording a graph."""
        from . import train

        return train.predict(self, X, batch_size=batch_size)
