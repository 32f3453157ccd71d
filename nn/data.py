"""Data handling: splitting, scaling, one-hot encoding and mini-batches.

The one data pipeline of ``nn``: ``fit``, ``evaluate``, ``predict``, ``lr_find`` and the
helpers below all check lengths, split off validation data, shuffle and batch here
(``EpochIterator``, Keras 3's name). Everything takes NumPy arrays (or anything
``np.asarray`` accepts, Tensors included) and indexes samples along the first axis. Random
choices follow ``nn.seeding`` (``seed=None``: reproducible after ``nn.set_seed``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from .checks import check_numeric, position
from .seeding import Seed, make_rng

__all__ = [
    "EpochIterator",
    "StandardScaler",
    "batches",
    "check_batch_size",
    "check_consistent_length",
    "n_batches",
    "one_hot",
    "prepare_arrays",
    "random_subset",
    "split_validation",
    "split_validation_data",
    "standardize",
    "train_test_split",
]


def _rng(seed: Seed, key: str) -> np.random.Generator:
    # a Generator comes back unchanged, so a loop can pass one for every epoch; None follows
    # nn.set_seed (see nn.seeding), under the consumer's own key
    return make_rng(seed, key)


def _as_array(x: Any, name: str) -> np.ndarray:
    array = np.asarray(x)
    if array.ndim == 0:
        raise ValueError(f"{name} must have a samples axis (first axis), got a scalar")
    return array


def _maybe_array(x: Any, name: str) -> np.ndarray | None:
    return None if x is None else _as_array(x, name)


def check_consistent_length(**arrays: Any) -> int:
    """Return the common number of samples of the named arrays (None is skipped), or raise."""
    lengths = {name: len(a) for name, a in arrays.items() if a is not None}
    if len(set(lengths.values())) > 1:
        described = ", ".join(f"{name} has {n}" for name, n in lengths.items())
        raise ValueError(f"inconsistent numbers of samples: {described}")
    return next(iter(lengths.values()), 0)


# ---- splitting ----


def _test_count(n: int, test_size: float) -> int:
    if isinstance(test_size, (bool, np.bool_)):
        raise TypeError(f"test_size must be a fraction or a count, got {test_size!r}")
    if isinstance(test_size, (int, np.integer)):
        n_test = int(test_size)
    elif 0.0 < test_size < 1.0:
        n_test = math.ceil(test_size * n)  # as scikit-learn: the test set rounds up
    else:
        raise ValueError(f"test_size must be in (0, 1) or a count, got {test_size}")
    if not 0 < n_test < n:
        raise ValueError(
            f"test_size={test_size} leaves {n - n_test} training and {n_test} test "
            f"samples out of {n}; both must be at least 1"
        )
    return n_test


def _stratified_test_indices(
    labels: np.ndarray, n_test: int, rng: np.random.Generator
) -> np.ndarray:
    # axis=0 treats each row of one-hot or multi-column labels as one class
    classes, codes, counts = np.unique(labels, axis=0, return_inverse=True, return_counts=True)
    codes = codes.reshape(-1)
    if counts.min() < 2:
        lonely = classes[counts.argmin()].tolist()
        raise ValueError(
            f"stratify: class {lonely!r} has only 1 sample, so it cannot appear in "
            f"both the training and the test set"
        )
    # largest-remainder rounding keeps every class's share and the exact total n_test
    exact = counts * n_test / len(labels)
    per_class = np.floor(exact).astype(int)
    short = n_test - per_class.sum()
    per_class[np.argsort(-(exact - per_class), kind="stable")[:short]] += 1
    picked = [rng.permutation(np.flatnonzero(codes == c))[:k] for c, k in enumerate(per_class)]
    return np.concatenate(picked)


def train_test_split(
    X: Any,
    y: Any = None,
    test_size: float = 0.2,
    seed: Seed = None,
    stratify: Any = None,
    shuffle: bool = True,
) -> tuple[np.ndarray, ...]:
    """Split into X_train, X_test, y_train, y_test (just X_train, X_test when y is None).

    ``test_size`` is a fraction (rounded up, as scikit-learn) or a count. ``stratify`` gives
    labels whose class proportions both parts keep; it needs ``shuffle=True``.
    """
    X = _as_array(X, "X")
    y = _maybe_array(y, "y")
    labels = _maybe_array(stratify, "stratify")
    n = check_consistent_length(X=X, y=y, stratify=labels)
    n_test = _test_count(n, test_size)
    rng = _rng(seed, "train_test_split")
    if labels is not None:
        if not shuffle:
            raise ValueError(
                "stratify needs shuffle=True: a stratified split picks samples per class at random"
            )
        test = _stratified_test_indices(labels, n_test, rng)
        is_test = np.zeros(n, dtype=bool)
        is_test[test] = True
        train, test = rng.permutation(np.flatnonzero(~is_test)), rng.permutation(test)
    else:
        order = rng.permutation(n) if shuffle else np.arange(n)
        train, test = order[: n - n_test], order[n - n_test :]
    if y is None:
        return X[train], X[test]
    return X[train], X[test], y[train], y[test]


def random_subset(*arrays: Any, n: int, seed: Seed = None) -> tuple[np.ndarray, ...]:
    """``n`` samples drawn without replacement (the same ones for the same seed), in their
    original order, from each array."""
    converted = [_as_array(a, f"array {i}") for i, a in enumerate(arrays)]
    total = check_consistent_length(**{f"array {i}": a for i, a in enumerate(converted)})
    keep = np.sort(_rng(seed, "random_subset").permutation(total)[:n])
    return tuple(a[keep] for a in converted)


def split_validation(*arrays: Any, fraction: float, what: str = "validation fraction"
                     ) -> tuple[tuple, tuple]:
    """Split off the last `fraction` of samples, unshuffled, as Keras's validation_split does.

    Returns ``(train, validation)``, two tuples holding each array's part (None stays None).
    ``what`` names the argument in errors.
    """
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"{what} must be in (0, 1), got {fraction}")
    converted = [_maybe_array(a, f"array {i}") for i, a in enumerate(arrays)]
    n = check_consistent_length(**{f"array {i}": a for i, a in enumerate(converted)})
    split_at = math.floor(n * (1.0 - fraction))
    if split_at == 0 or split_at == n:
        raise ValueError(
            f"{what}={fraction} of {n} samples leaves "
            f"{split_at} for training and {n - split_at} for validation; "
            f"both must be at least 1"
        )
    train = tuple(None if a is None else a[:split_at] for a in converted)
    val = tuple(None if a is None else a[split_at:] for a in converted)
    return train, val


# ---- scaling and encoding ----


class StandardScaler:
    """Centre each feature at mean 0 and scale it to standard deviation 1 (constant ones: 1).

    As scikit-learn's: NaN (a missing value) is ignored when fitting and stays NaN in
    ``transform``; infinity is refused, and so is a feature with no value at all.
    """

    def __init__(self) -> None:
        self.mean_: np.ndarray | None = None
        self.scale_: np.ndarray | None = None

    @staticmethod
    def _float(X: Any) -> np.ndarray:
        X = _as_array(X, "X")
        # keep float32 data float32, as the engine does; everything else computes in float64
        return X if X.dtype in (np.float32, np.float64) else X.astype(np.float64)

    def _check(self, X: np.ndarray, caller: str) -> None:
        if self.mean_ is None:
            raise RuntimeError(f"StandardScaler.{caller}: not fitted yet; call fit(X) first")
        if X.shape[1:] != self.mean_.shape:
            raise ValueError(
                f"StandardScaler.{caller}: fitted on samples of shape "
                f"{self.mean_.shape}, got samples of shape {X.shape[1:]}"
            )

    def fit(self, X: Any) -> StandardScaler:
        """Learn each feature's mean and standard deviation from X."""
        X = self._float(X)
        if len(X) == 0:
            raise ValueError("StandardScaler.fit: X has no samples")
        infinite = np.isinf(X)
        if infinite.any():
            index = np.unravel_index(int(np.argmax(infinite.reshape(-1))), X.shape)
            raise ValueError(
                f"StandardScaler.fit: X has {X[index]} at {position(index)}; NaN is ignored "
                "as a missing value, infinity is not; replace it"
            )
        missing = np.isnan(X)
        if missing.any():
            empty = missing.all(axis=0)
            if empty.any():
                feature = tuple(int(i) for i in np.argwhere(empty)[0])
                shown = f"column {feature[0]}" if len(feature) == 1 else f"feature {feature}"
                raise ValueError(f"StandardScaler.fit: {shown} of X is NaN in every sample; "
                                 "drop it or fill it in")
            mean, std = np.nanmean(X, axis=0), np.nanstd(X, axis=0)
        else:
            mean, std = X.mean(axis=0), X.std(axis=0)
        # a constant column's std is 0 or rounding noise around 0: leave it unscaled
        tiny = 10 * np.finfo(X.dtype).eps * np.maximum(np.abs(mean), 1.0)
        self.mean_ = mean
        self.scale_ = np.where(std > tiny, std, 1.0).astype(X.dtype)
        return self

    def transform(self, X: Any) -> np.ndarray:
        """Standardize X with the fitted statistics."""
        X = self._float(X)
        self._check(X, "transform")
        return (X - self.mean_) / self.scale_

    def fit_transform(self, X: Any) -> np.ndarray:
        """Fit on X, then standardize it."""
        return self.fit(X).transform(X)

    def inverse_transform(self, X: Any) -> np.ndarray:
        """Undo transform: back to the original units."""
        X = self._float(X)
        self._check(X, "inverse_transform")
        return X * self.scale_ + self.mean_


def standardize(X: Any, *others: Any) -> np.ndarray | tuple[np.ndarray, ...]:
    """Standardize X, and any further arrays with X's statistics (fit on training data only)."""
    scaler = StandardScaler().fit(X)
    if not others:
        return scaler.transform(X)
    return (scaler.transform(X), *(scaler.transform(o) for o in others))


def one_hot(y: Any, num_classes: int | None = None, dtype: Any = np.float64) -> np.ndarray:
    """Integer labels of any shape -> one-hot rows of shape y.shape + (num_classes,)."""
    y = np.asarray(y)
    if y.dtype.kind not in "biuf":
        raise TypeError(f"one_hot: labels must be integers, got dtype {y.dtype}")
    if y.dtype.kind == "f" and not np.all(y == np.round(y)):
        raise ValueError("one_hot: labels must be whole numbers, got fractional values")
    labels = y.astype(np.int64)
    if labels.size and labels.min() < 0:
        raise ValueError(f"one_hot: labels must be >= 0, found {labels.min()}")
    top = int(labels.max()) + 1 if labels.size else 0
    if num_classes is None:
        num_classes = top
    elif top > num_classes:
        raise ValueError(f"one_hot: label {top - 1} does not fit num_classes={num_classes}")
    out = np.zeros(labels.shape + (num_classes,), dtype=dtype)
    np.put_along_axis(out, labels[..., None], 1, axis=-1)
    return out


# ---- the training pipeline: arrays, validation data, batches ----


def prepare_arrays(X: Any, y: Any = None, sample_weight: Any = None, *, caller: str = "fit",
                   check: bool = True, names: tuple[str, str, str] = ("X", "y", "sample_weight")
                   ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """(X, y, sample_weight) as arrays with one number of samples, at least one.

    With ``check`` (the default of ``fit``, ``evaluate``, ``predict``: their
    ``check_inputs=True``), NaN, infinity or anything but a number (None, a string) is
    refused, naming the argument (``names``) and the first bad row.
    """
    arrays = [_arrays(a, n, caller) for a, n in zip((X, y, sample_weight), names)]
    if arrays[0] is None:
        raise ValueError(f"{caller}: {names[0]} is None")
    if check_consistent_length(**dict(zip(names, arrays))) == 0:
        raise ValueError(f"{caller}: {names[0]} has no samples")
    if check:
        arrays = [None if a is None else check_numeric(a, n, caller)
                  for a, n in zip(arrays, names)]
    X, y, w = arrays
    return X, y, w


def _arrays(x: Any, name: str, caller: str) -> np.ndarray | None:
    """``x`` as an array (None stays None); ragged rows are refused by name."""
    try:
        return _maybe_array(x, name)
    except ValueError as e:
        if "inhomogeneous" not in str(e) and "sequence" not in str(e):
            raise
        raise ValueError(f"{caller}: {name} is ragged (its rows have different lengths); "
                         "every sample must have the same shape") from None


def cast_arrays(X: np.ndarray, y: np.ndarray | None, dtype: Any
                ) -> tuple[np.ndarray, np.ndarray | None]:
    """X in the model's dtype, and float targets too (integer labels stay integers), so that
    no batch is cast again inside the layers."""
    if dtype is None:
        return X, y
    if X.dtype != dtype:
        X = X.astype(dtype)
    if y is not None and y.dtype.kind == "f" and y.dtype != dtype:
        y = y.astype(dtype)
    return X, y


def split_validation_data(validation_data: Any, validation_split: float,
                          arrays: tuple[Any, Any, Any], caller: str = "fit",
                          check: bool = True) -> tuple[tuple, tuple | None]:
    """(training arrays, validation arrays or None), each (X, y, sample_weight).

    ``validation_data=(X_val, y_val[, sample_weight_val])`` takes precedence over
    ``validation_split``, the last fraction of the samples before any shuffling (Keras).
    """
    if not 0 <= validation_split < 1:
        raise ValueError(f"{caller}: validation_split must be in [0, 1), got {validation_split}")
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
            raise ValueError(
                f"{caller}: validation_data must be a tuple (X_val, y_val) or (X_val, y_val, "
                f"sample_weight_val), got {type(validation_data).__name__}"
                + (f" of length {len(validation_data)}"
                   if isinstance(validation_data, (tuple, list)) else "")
            )
        Xv, yv, *rest = validation_data
        if yv is None:
            raise ValueError(f"{caller}: validation_data has y_val None")
        Xv, yv, wv = prepare_arrays(Xv, yv, rest[0] if rest else None, caller=caller,
                                    check=check, names=("X_val", "y_val", "sample_weight_val"))
        return tuple(arrays), (Xv, yv, wv)
    if validation_split > 0:
        return split_validation(*arrays, fraction=validation_split,
                                what=f"{caller}: validation_split")
    return tuple(arrays), None


def check_batch_size(batch_size: Any, n: int) -> int:
    """The batch size for n samples: None means all of them; larger than n means n."""
    if batch_size is None:
        return max(n, 1)
    if (isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer))
            or batch_size < 1):
        raise ValueError(f"batch_size must be a positive int or None, got {batch_size!r}")
    return min(int(batch_size), max(n, 1))


class EpochIterator:
    """The batches of one pass over (x, y, sample_weight), as (x_b, y_b, w_b) tuples.

    Each ``iter()`` is one epoch: with ``shuffle``, a new order drawn from ``seed`` (an int,
    a Generator, or None: see ``nn.seeding``); the last batch is smaller unless
    ``drop_last``. ``len()`` is the number of batches.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray | None = None,
                 sample_weight: np.ndarray | None = None, batch_size: int | None = 32,
                 shuffle: bool = False, seed: Seed = None, drop_last: bool = False) -> None:
        self.x, self.y, self.sample_weight = x, y, sample_weight
        self.n = check_consistent_length(X=x, y=y, sample_weight=sample_weight)
        if batch_size is None:
            batch_size = max(self.n, 1)
        if (isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer))
                or batch_size < 1):
            raise ValueError(f"batch_size must be a positive int or None, got {batch_size!r}")
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.rng = _rng(seed, "batches") if shuffle else None
        self.drop_last = drop_last

    def __len__(self) -> int:
        return n_batches(self.n, self.batch_size, self.drop_last)

    def __iter__(self) -> Iterator[tuple[Any, Any, Any]]:
        # the order is drawn now, not on the first next(), so the Generator advances per epoch
        order = self.rng.permutation(self.n) if self.shuffle else None
        stop = self.n - self.n % self.batch_size if self.drop_last else self.n
        return self._batches(order, stop)

    def _batches(self, order: np.ndarray | None, stop: int) -> Iterator[tuple[Any, Any, Any]]:
        x, y, w, size = self.x, self.y, self.sample_weight, self.batch_size
        if order is None and size >= stop and stop == self.n:
            yield x, y, w  # one batch of everything: no copy
            return
        for start in range(0, stop, size):
            idx = slice(start, start + size) if order is None else order[start:start + size]
            yield x[idx], (None if y is None else y[idx]), (None if w is None else w[idx])


# ---- mini-batches ----


def n_batches(n_samples: int, batch_size: int | None = 32, drop_last: bool = False) -> int:
    """How many batches `batches` yields for n_samples (the length of a progress bar)."""
    if batch_size is None:
        return int(n_samples > 0)
    return n_samples // batch_size if drop_last else math.ceil(n_samples / batch_size)


def batches(
    X: Any,
    y: Any = None,
    batch_size: int | None = 32,
    shuffle: bool = True,
    seed: Seed = None,
    *,
    sample_weight: Any = None,
    drop_last: bool = False,
) -> Iterator[Any]:
    """Yield mini-batches: X_b alone, or (X_b, y_b), or (X_b, y_b, w_b) with sample_weight.

    ``batch_size=None`` yields the whole set as one batch. A new permutation is drawn on each
    call, so passing one ``np.random.Generator`` each epoch gives each epoch its own order.
    The last batch is smaller when the size does not divide evenly, unless ``drop_last``.
    """
    X = _as_array(X, "X")
    y = _maybe_array(y, "y")
    w = _maybe_array(sample_weight, "sample_weight")
    epoch = iter(EpochIterator(X, y, w, batch_size, shuffle, seed, drop_last))
    if y is None and w is None:
        return (xb for xb, _, _ in epoch)
    if w is None:
        return ((xb, yb) for xb, yb, _ in epoch)
    return epoch
