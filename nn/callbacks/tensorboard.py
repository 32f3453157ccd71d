"""TensorBoard: training written as TensorBoard event files, with Keras's tags and layout.

    model.fit(X, y, epochs=20, validation_split=0.2,
              callbacks=[nn.callbacks.TensorBoard(log_dir="logs", histogram_freq=1)])
    # then: tensorboard --logdir logs

Under ``log_dir`` (as Keras): ``train/`` holds ``epoch_loss``, ``epoch_<metric>`` and
``epoch_learning_rate`` per epoch (step = epoch, from 0), ``batch_loss`` per batch when
``update_freq`` is ``"batch"`` or an int n (every n-th batch; step = batches trained so far,
from 1), weight and gradient histograms (``<parameter>/histogram``, ``<parameter>/gradient``)
every ``histogram_freq`` epochs, and the model's summary as text (``write_graph``);
``validation/`` holds the validation values under the same ``epoch_*`` tags and
``evaluation_<name>_vs_iterations`` (step = batches trained so far).

The event files are written by tensorboardX, an optional extra
(``pip install autograd-core[tensorboard]``); TensorFlow is not needed.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from .base import Callback, Logs

_EXTRA = "pip install autograd-core[tensorboard]"


def _summary_writer() -> Any:
    try:
        from tensorboardX import SummaryWriter
    except ImportError as e:
        raise ImportError(
            f"nn.callbacks.TensorBoard writes event files with tensorboardX, an optional extra: "
            f"{_EXTRA}"
        ) from e
    return SummaryWriter


def _check_update_freq(update_freq: Any) -> str | int:
    if update_freq in ("epoch", "batch"):
        return update_freq
    if isinstance(update_freq, (int, np.integer)) and not isinstance(update_freq, bool) \
            and update_freq >= 1:
        return int(update_freq)
    raise ValueError(f"TensorBoard: update_freq must be 'epoch', 'batch' or a positive int, "
                     f"got {update_freq!r}")


class TensorBoard(Callback):
    """Writes losses, metrics, the learning rate, histograms and the model summary for
    TensorBoard, with Keras's arguments (``tensorboard --logdir <log_dir>`` shows them).

    - ``histogram_freq``: every how many epochs to write weight and gradient histograms
      (0: never). The gradients are those of the epoch's last optimizer step.
    - ``write_graph``: write the model's ``summary()`` table as text (a TensorFlow graph has
      no meaning here; the computation graph is drawn by ``autograd_core.viz``).
    - ``write_steps_per_second``: also write the training speed (``epoch_steps_per_second``).
    - ``update_freq``: ``"epoch"``, ``"batch"`` or n, for the batch-level scalars.
    - ``write_images``, ``profile_batch``, ``embeddings_freq``, ``embeddings_metadata``
      are Keras's and only accepted at their defaults (nothing here writes those).
    """

    def __init__(self, log_dir: str | os.PathLike = "logs", histogram_freq: int = 0,
                 write_graph: bool = True, write_images: bool = False,
                 write_steps_per_second: bool = False, update_freq: str | int = "epoch",
                 profile_batch: int = 0, embeddings_freq: int = 0,
                 embeddings_metadata: Any = None) -> None:
        super().__init__()
        self._SummaryWriter = _summary_writer()  # fail now, not after the first epoch
        if isinstance(histogram_freq, bool) or not isinstance(histogram_freq, (int, np.integer)) \
                or histogram_freq < 0:
            raise ValueError(f"TensorBoard: histogram_freq must be an int >= 0, "
                             f"got {histogram_freq!r}")
        unsupported = {"write_images": (write_images, False), "profile_batch":
                       (profile_batch, 0), "embeddings_freq": (embeddings_freq, 0),
                       "embeddings_metadata": (embeddings_metadata, None)}
        for name, (value, default) in unsupported.items():
            if value != default and not (name == "profile_batch" and value in (None, (0, 0))):
                raise ValueError(f"TensorBoard: {name}={value!r} is not supported (Keras "
                                 f"profiles TensorFlow and writes images of kernels and "
                                 f"embeddings; leave {name} at {default!r})")
        self.log_dir = Path(log_dir)
        self.histogram_freq = int(histogram_freq)
        self.write_graph = bool(write_graph)
        self.write_steps_per_second = bool(write_steps_per_second)
        self.update_freq = _check_update_freq(update_freq)
        self._writers: dict[str, Any] = {}
        self._global_batch = 0
        self._epoch = 0
        self._gradients: dict[str, np.ndarray] = {}
        self._wrapped: Any = None
        self._counting = False
        self._epoch_start = 0.0

    # ---- writers ----

    def _writer(self, which: str) -> Any:
        """The writer of ``log_dir/train`` or ``log_dir/validation``, made on first use."""
        if which not in self._writers:
            self._writers[which] = self._SummaryWriter(str(self.log_dir / which))
        return self._writers[which]

    def _close(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    # ---- hooks ----

    def set_params(self, params: dict[str, Any]) -> None:
        super().set_params(params)
        # the batch hooks exist only when needed, so an epoch-level TensorBoard costs nothing
        # per batch (CallbackList calls only the hooks a callback has)
        self._counting = self.update_freq != "epoch" or bool(self.histogram_freq)
        if self._counting:
            self.on_batch_begin = self._batch_begin  # type: ignore[method-assign]
            self.on_batch_end = self._batch_end  # type: ignore[method-assign]

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self._global_batch = 0
        if self.write_graph and self.model is not None and hasattr(self.model, "summary"):
            text = self.model.summary(print_fn=None)
            # four spaces make a Markdown code block, so TensorBoard keeps the columns
            body = "\n".join("    " + line for line in text.splitlines())
            self._writer("train").add_text("model_summary", body, global_step=0)

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        self._epoch = epoch
        self._gradients = {}
        self._epoch_start = time.perf_counter()

    def _histogram_epoch(self) -> bool:
        return bool(self.histogram_freq) and self._epoch % self.histogram_freq == 0

    def _batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        self._global_batch += 1
        last = batch == self.params.get("steps", 0) - 1
        optimizer = getattr(self.model, "optimizer", None)
        if last and self._histogram_epoch() and optimizer is not None:
            self._capture_gradients(optimizer)

    def _capture_gradients(self, optimizer: Any) -> None:
        """Copy the gradients the optimizer applies in this batch's step (fit clears them
        right after the step, before any callback could read them)."""
        names = {id(p): name for name, p in self.model.named_parameters()}
        step = optimizer.step

        def recording_step(*args: Any, **kwargs: Any) -> Any:
            self._gradients = {names[id(p)]: np.array(p.grad) for p in optimizer.params
                               if p.grad is not None and id(p) in names}
            return step(*args, **kwargs)

        optimizer.step = recording_step
        self._wrapped = optimizer

    def _unwrap(self) -> None:
        if self._wrapped is not None:
            vars(self._wrapped).pop("step", None)  # the class's step shows through again
            self._wrapped = None

    def _batch_end(self, batch: int, logs: Logs | None = None) -> None:
        self._unwrap()
        if self.update_freq == "epoch":
            return
        every = 1 if self.update_freq == "batch" else self.update_freq
        if self._global_batch % every == 0:
            writer = self._writer("train")
            for key, value in (logs or {}).items():
                if key not in ("batch", "size"):
                    writer.add_scalar(f"batch_{key}", float(value), self._global_batch)

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        self._unwrap()
        if not self._counting:  # no batch hook counted them: the epoch ran its steps
            self._global_batch += int(self.params.get("steps", 1))
        logs = dict(logs or {})
        train = self._writer("train")
        for key, value in logs.items():
            if key.startswith("val_"):
                continue
            tag = "epoch_learning_rate" if key == "lr" else f"epoch_{key}"
            train.add_scalar(tag, float(value), epoch)
        if self.write_steps_per_second:
            seconds = max(time.perf_counter() - self._epoch_start, 1e-9)
            train.add_scalar("epoch_steps_per_second", self.params.get("steps", 0) / seconds,
                             epoch)
        validation = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
        if validation:
            val = self._writer("validation")
            for key, value in validation.items():
                val.add_scalar(f"epoch_{key}", float(value), epoch)
                val.add_scalar(f"evaluation_{key}_vs_iterations", float(value),
                               self._global_batch)
            val.flush()
        if self._histogram_epoch():
            for name, p in self.model.named_parameters():
                train.add_histogram(f"{name}/histogram", np.asarray(p.data), epoch)
            for name, g in self._gradients.items():
                train.add_histogram(f"{name}/gradient", g, epoch)
        train.flush()

    def on_train_end(self, logs: Logs | None = None) -> None:
        self._unwrap()
        self._close()
