"""The command line's datasets: loading, the 80/20 split and scaling, shared by ``train``
and ``graph`` so that ``graph`` sees what ``train`` saw.

An MLP reads flat, standardised features; a CNN reads images (N, H, W, 1) divided by their
maximum (16 for digits, 255 for Fashion-MNIST); an LSTM reads the sequences as they are."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import datasets
from .cli_checks import UsageError
from .data import StandardScaler, random_subset, train_test_split

__all__ = ["DATASETS", "Data", "prepare_data"]


Loader = Callable[[int | None, int], tuple[np.ndarray, np.ndarray]]


def _generated(make: Callable[..., tuple[np.ndarray, np.ndarray]], default_n: int,
               **kwargs: Any) -> Loader:
    return lambda n, seed: make(n or default_n, seed=seed, **kwargs)


def _xor(n: int | None, seed: int) -> tuple[np.ndarray, np.ndarray]:
    return datasets.xor(n_repeats=max(1, (n or 400) // 4), noise=0.15, seed=seed, shuffle=True)


# the adding problem's sequence length: long enough to need memory, short enough to train fast
ADDING_TIMESTEPS = 20


def _adding(n: int | None, seed: int) -> tuple[np.ndarray, np.ndarray]:
    X, y = datasets.adding_problem(n or 1000, timesteps=ADDING_TIMESTEPS, seed=seed)
    return X, y[:, 0]


def _bundled(load: Callable[[], tuple[np.ndarray, np.ndarray]]) -> Loader:
    def loader(n: int | None, seed: int) -> tuple[np.ndarray, np.ndarray]:
        X, y = load()
        if n is not None and n < len(X):  # a random subset, the same one for the same seed
            X, y = random_subset(X, y, n=n, seed=seed)
        return X, y

    return loader


# name -> (loader(samples or None, seed), task); fashion_mnist is read apart (its own split)
DATASETS: dict[str, tuple[Loader | None, str]] = {
    "moons": (_generated(datasets.moons, 1000, noise=0.2), "classification"),
    "circles": (_generated(datasets.circles, 1000, noise=0.1, factor=0.5), "classification"),
    "spirals": (_generated(datasets.spirals, 900, n_classes=3, noise=0.03), "classification"),
    "xor": (_xor, "classification"),
    "blobs": (_generated(datasets.blobs, 600, centers=3, cluster_std=1.5), "classification"),
    "iris": (_bundled(datasets.load_iris), "classification"),
    "breast_cancer": (_bundled(datasets.load_breast_cancer), "classification"),
    "digits": (_bundled(datasets.load_digits), "classification"),
    "diabetes": (_bundled(datasets.load_diabetes), "regression"),
    "fashion_mnist": (None, "classification"),
    "adding": (_adding, "regression"),  # sequences (N, 20, 2): the adding problem
}

# image datasets as (N, H, W, 1) for a CNN, and the maximum that scales them into [0, 1]
IMAGES: dict[str, tuple[Loader | None, float]] = {
    "digits": (_bundled(lambda: datasets.load_digits(as_images=True)), 16.0),
    "fashion_mnist": (None, 255.0),
}


class Data:
    """A dataset split and standardised for training: what `train` and `graph` share."""

    def __init__(self, X_train: np.ndarray, X_test: np.ndarray, y_train: np.ndarray,
                 y_test: np.ndarray, scaler: StandardScaler | None, task: str,
                 target_scaler: StandardScaler | None = None) -> None:
        self.X_train, self.X_test, self.y_train, self.y_test = X_train, X_test, y_train, y_test
        self.scaler = scaler  # None: images divided by their maximum, or raw sequences
        self.task = task
        self.target_scaler = target_scaler  # regression targets are standardised too

    @property
    def n_classes(self) -> int:
        return int(max(self.y_train.max(), self.y_test.max())) + 1


def _fashion_mnist(path: str | None, n: int | None, seed: int,
                   images: bool = False) -> tuple[np.ndarray, ...]:
    (X_train, y_train), (X_test, y_test) = datasets.load_fashion_mnist(path, as_images=images)
    X_train, X_test = X_train / 255.0, X_test / 255.0
    if not images:
        X_train, X_test = X_train.reshape(len(X_train), -1), X_test.reshape(len(X_test), -1)
    if n is not None and n < len(X_train):
        X_train, y_train = random_subset(X_train, y_train, n=n, seed=seed)
    return X_train, X_test, y_train.astype(np.int64), y_test.astype(np.int64)


def _scaler(X: np.ndarray, state: dict[str, Any] | None) -> StandardScaler:
    scaler = StandardScaler()
    if state is None:
        return scaler.fit(X)
    scaler.mean_ = np.asarray(state["mean"], dtype=np.float64)
    scaler.scale_ = np.asarray(state["scale"], dtype=np.float64)
    return scaler


def prepare_data(dataset: str, seed: int = 0, samples: int | None = None,
                 fashion_mnist_path: str | None = None,
                 scaler_state: dict[str, Any] | None = None,
                 target_scaler_state: dict[str, Any] | None = None,
                 model: str = "mlp") -> Data:
    """Load ``dataset`` for ``model``, split it 80/20 (Fashion-MNIST: its own test set) and
    scale it: standardised features for ``mlp``, images divided by their maximum for
    ``cnn``, raw sequences for ``lstm``; regression targets are standardised for every
    model, so one learning rate suits every dataset.

    The same arguments give the same arrays, so ``graph`` sees what ``train`` saw; saved
    scaler states (``{"mean", "scale"}``) scale by them instead of refitting.
    """
    if dataset not in DATASETS:
        raise UsageError(f"unknown dataset {dataset!r}; choose from {', '.join(DATASETS)}")
    loader, task = DATASETS[dataset]
    if model == "cnn":
        loader = IMAGES[dataset][0]
    try:
        if loader is None:
            X_train, X_test, y_train, y_test = _fashion_mnist(
                fashion_mnist_path, samples, seed, images=model == "cnn")
        else:
            X, y = loader(samples, seed)
            if model == "cnn":
                X = X / IMAGES[dataset][1]
            elif model == "mlp":
                X = X.reshape(len(X), -1)
            stratify = y if task == "classification" else None
            X_train, X_test, y_train, y_test = train_test_split(
                X, y, test_size=0.2, seed=seed, stratify=stratify)
    except (OSError, ImportError, ValueError) as e:
        # a missing file, a missing extra, a damaged download: the user's to fix
        raise UsageError(f"cannot load dataset {dataset!r}: {e}") from e
    scaler = None
    if model == "mlp":
        scaler = _scaler(X_train, scaler_state)
        X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    if task == "classification":
        return Data(X_train, X_test, y_train, y_test, scaler, task)
    target = _scaler(y_train[:, None], target_scaler_state)
    y_train = target.transform(y_train[:, None])[:, 0]
    y_test = target.transform(y_test[:, None])[:, 0]
    return Data(X_train, X_test, y_train, y_test, scaler, task, target)


def _state(scaler: StandardScaler | None) -> dict[str, list[float]] | None:
    if scaler is None:
        return None
    return {"mean": scaler.mean_.tolist(), "scale": scaler.scale_.tolist()}
