"""The command line's guards: every user input checked in one place, before any work.

- argparse types (``positive_int``, ``positive_number``, ``seed``, ``max_nodes``) whose
  messages name the value; argparse adds the option's name;
- ``check_output_folder``: ``--out`` is created and written into (then cleaned) before
  training, so a read-only folder or a path under a file fails at once, not after the run;
- ``check_sizes``: a model or a generated dataset too large for this machine's memory is
  refused before anything is allocated;
- ``check_model_dataset``: ``--model cnn`` wants images, ``--model lstm`` sequences;
- ``check_config``: each field of a ``model.json`` read by ``graph``, named in the message;
- ``NonFiniteGuard``: stops ``fit`` at the first batch whose loss is NaN or infinite and
  keeps the weights of the last epoch that ended finite, so that no NaN weights are saved.

Each failure is a ``UsageError``: one line on stderr, exit status 2.
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .callbacks import Callback

__all__ = ["MODEL_DATASETS", "NonFiniteGuard", "UsageError", "check_config",
           "check_model_dataset", "check_sizes", "max_nodes",
           "positive_int", "positive_number", "check_output_folder", "seed"]

# the smallest graph autograd_core.viz.draw accepts (it refuses max_nodes < 3)
MIN_MAX_NODES = 3


class UsageError(Exception):
    """A mistake in what the user asked for: reported in one line, exit status 2."""

    def __init__(self, message: str, where: str = "autograd-core") -> None:
        super().__init__(message)
        self.where = where  # the (sub)command that complains


# ---- argparse types ----


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None


def positive_int(text: str) -> int:
    """An integer > 0."""
    value = _integer(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be > 0")
    return value


def positive_number(text: str) -> float:
    """A finite number > 0 (``inf`` and ``nan`` are refused, as 0 and negatives are)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} must be a finite number > 0")
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be > 0")
    return value


def seed(text: str) -> int:
    """An integer >= 0 (NumPy's generators take no negative seed)."""
    value = _integer(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be an integer >= 0")
    return value


def max_nodes(text: str) -> int:
    """The largest graph drawn in full: at least 3 nodes."""
    value = _integer(text)
    if value < MIN_MAX_NODES:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least {MIN_MAX_NODES}")
    return value


positive_int.__name__ = "positive integer"  # argparse names the type in some messages
positive_number.__name__ = "positive number"
seed.__name__ = "seed"
max_nodes.__name__ = "max nodes"


# ---- output folders ----


def check_output_folder(folder: Path, option: str = "--out") -> None:
    """Check that ``folder`` can be created and written into, before any work is done.

    The folders created for the test are removed again, so a run that fails later (bad
    data, Ctrl-C) leaves nothing behind; the run creates them when it writes its files.
    """
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{option} {folder} is a file, not a folder")
    missing = []
    parent = folder
    while not parent.exists() and parent != parent.parent:
        missing.append(parent)
        parent = parent.parent
    if parent.exists() and not parent.is_dir():
        raise UsageError(f"{option} {folder}: {parent} is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".write-test-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise UsageError(f"{option} {folder}: cannot write into this folder: "
                         f"{e.strerror or e}") from None
    finally:
        for created in missing:  # deepest first
            try:
                created.rmdir()
            except OSError:
                break


# ---- sizes ----


def _memory_bytes() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def _bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if n < 1000 or unit == "PB":
            return f"{n:.3g} {unit}"
        n /= 1000
    return f"{n:.3g} PB"  # unreachable


# training keeps about four copies of the weights (weights, gradients, Adam's two moments)
_COPIES = 4


def check_sizes(sizes: Sequence[int], what: str, itemsize: int = 4,
                samples: int | None = None, features: int = 2,
                memory: int | None = None) -> None:
    """Refuse layer sizes (named ``what``) or a generated dataset of ``samples`` rows that
    cannot fit in this machine's memory."""
    memory = _memory_bytes() if memory is None else memory
    if memory is None:
        return
    params = sum(int(a) * int(b) + int(b) for a, b in zip(sizes[:-1], sizes[1:]))
    need = params * itemsize * _COPIES
    if need > memory:
        raise UsageError(f"{what}: a model of sizes {list(sizes)} has {params:.3g} parameters "
                         f"and needs about {_bytes(need)} to train; this machine has "
                         f"{_bytes(memory)}; choose smaller layers")
    if samples is not None:
        # the data, its split, its standardised copy and its float32 copy
        need = int(samples) * features * 8 * 4
        if need > memory:
            raise UsageError(f"--samples {samples}: the data set would need about "
                             f"{_bytes(need)}; this machine has {_bytes(memory)}")


# ---- the model and the dataset ----

# the datasets each model of `train --model` reads (mlp reads every dataset, flattened)
MODEL_DATASETS: dict[str, tuple[str, ...]] = {
    "cnn": ("digits", "fashion_mnist"),  # images (N, H, W, 1)
    "lstm": ("adding",),  # sequences (N, T, F)
}


def check_model_dataset(model: str, dataset: str) -> None:
    """Refuse a model that cannot read the dataset's samples (a CNN on 2-D points)."""
    fits = MODEL_DATASETS.get(model)
    if fits is not None and dataset not in fits:
        kind = "an image" if model == "cnn" else "a sequence"
        raise UsageError(f"--model {model} needs {kind} dataset ({', '.join(fits)}); "
                         f"{dataset!r} is not one (use --model mlp for it)",
                         where="autograd-core train")


# ---- model.json ----


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_config(config: Mapping[str, Any], path: Path, activations: Sequence[str],
                 losses: Sequence[str]) -> None:
    """Check each field of a ``model.json`` that ``graph`` uses; the message names it."""

    def bad(key: str, wanted: str) -> UsageError:
        shown = repr(config[key]) if key in config else "missing"
        return UsageError(f"{path}: {key!r} must be {wanted}, got {shown}")

    for key in ("input_dim", "output_dim", "graph_batch"):
        if not (_is_int(config.get(key)) and config[key] > 0):
            raise bad(key, "an integer > 0")
    hidden = config.get("hidden")
    if not (isinstance(hidden, list) and all(_is_int(h) and h > 0 for h in hidden)):
        raise bad("hidden", "a list of integers > 0")
    if config.get("activation") not in activations:
        raise bad("activation", f"one of {', '.join(activations)}")
    if config.get("output_activation") is not None and \
            config["output_activation"] not in activations:
        raise bad("output_activation", f"null or one of {', '.join(activations)}")
    if config.get("dtype", "float32") not in ("float32", "float64"):
        raise bad("dtype", "'float32' or 'float64'")
    if config.get("loss") not in losses:
        raise bad("loss", f"one of {', '.join(losses)}")
    dataset = config.get("dataset")
    if not isinstance(dataset, dict) or not isinstance(dataset.get("name"), str):
        raise bad("dataset", 'an object with a "name"')
    if not (_is_int(dataset.get("seed", 0)) and dataset.get("seed", 0) >= 0):
        raise UsageError(f"{path}: dataset 'seed' must be an integer >= 0, got "
                         f"{dataset.get('seed')!r}")
    samples = dataset.get("samples")
    if samples is not None and not (_is_int(samples) and samples > 0):
        raise UsageError(f"{path}: dataset 'samples' must be null or an integer > 0, got "
                         f"{samples!r}")
    if not isinstance(dataset.get("fashion_mnist_path") or "", str):
        raise UsageError(f"{path}: dataset 'fashion_mnist_path' must be null or a path")
    model = config.get("model", "mlp")  # runs of older versions trained MLPs only
    if model not in ("mlp", *MODEL_DATASETS):
        raise bad("model", f"one of mlp, {', '.join(MODEL_DATASETS)}")
    if model != "mlp":
        shape = config.get("input_shape")
        if not (isinstance(shape, list) and shape and all(_is_int(d) and d > 0 for d in shape)):
            raise bad("input_shape", "a list of integers > 0")
        if model == "lstm" and not hidden:
            raise bad("hidden", "a list of integers > 0 (the first is the LSTM's units)")
    for key, width in (("scaler", config["input_dim"]), ("target_scaler", 1)):
        if config.get(key) is None and (key == "target_scaler" or model != "mlp"):
            continue  # images are scaled by their maximum, sequences are read as they are
        _check_scaler(config.get(key), width, lambda wanted, k=key: bad(k, wanted))
    check_sizes([config["input_dim"], *hidden, config["output_dim"]], f"{path}: 'hidden'",
                itemsize=8 if config.get("dtype") == "float64" else 4)


def _check_scaler(state: Any, width: int, bad: Any) -> None:
    wanted = (f'an object {{"mean": [...], "scale": [...]}} of {width} finite numbers each '
              "(scale > 0)")
    if not isinstance(state, dict):
        raise bad(wanted)
    try:
        mean = np.asarray(state["mean"], dtype=np.float64)
        scale = np.asarray(state["scale"], dtype=np.float64)
    except (KeyError, TypeError, ValueError):
        raise bad(wanted) from None
    if (mean.shape != (width,) or scale.shape != (width,) or not np.isfinite(mean).all()
            or not np.isfinite(scale).all() or not (scale > 0).all()):
        raise bad(wanted)


# ---- training that goes wrong ----


class NonFiniteGuard(Callback):
    """Stop ``fit`` at the first batch whose loss is not finite, and keep a copy of the
    weights of the last epoch that ended with finite loss and weights."""

    def __init__(self) -> None:
        super().__init__()
        self.epoch = 0
        self.failure: str | None = None  # what went wrong, once it did
        self.good_weights: list[np.ndarray] | None = None
        self.good_epoch: int | None = None

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.epoch = epoch

    def on_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        loss = (logs or {}).get("loss")
        if self.failure is None and loss is not None and not math.isfinite(loss):
            self.failure = f"the loss became {loss} in epoch {self.epoch + 1} (batch {batch + 1})"
            self.model.stop_training = True

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self.failure is not None:
            return
        weights = [p.data for p in self.model.parameters()]
        if not all(np.isfinite(w).all() for w in weights):
            self.failure = f"the weights became non-finite in epoch {epoch + 1}"
            self.model.stop_training = True
            return
        self.good_weights = [w.copy() for w in weights]
        self.good_epoch = epoch

    def restore(self) -> bool:
        """Put back the last finite weights; False when no epoch ended finite."""
        if self.good_weights is None:
            return False
        for p, w in zip(self.model.parameters(), self.good_weights):
            p.data[...] = w
        return True
