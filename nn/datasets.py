"""Toy datasets generated from a seed, scikit-learn's small real ones, and Fashion-MNIST.

Every generator returns ``(X, y)``: ``X`` float64 of shape (n, features), ``y`` int64 labels of
shape (n,). The same ``seed`` (an int or a ``np.random.Generator``) gives the same data.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import importlib
import os
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import BinaryIO

import numpy as np

from .data import Seed, _rng
from .files import atomic_writer

Dataset = tuple[np.ndarray, np.ndarray]

__all__ = [
    "FASHION_MNIST_CLASSES",
    "adding_problem",
    "FASHION_MNIST_FILES",
    "FASHION_MNIST_SHA256",
    "FASHION_MNIST_URL",
    "ChecksumError",
    "IDXFormatError",
    "and_gate",
    "blobs",
    "circles",
    "load_breast_cancer",
    "load_diabetes",
    "load_digits",
    "load_fashion_mnist",
    "load_iris",
    "moons",
    "or_gate",
    "read_idx",
    "spirals",
    "xor",
]


def _check_noise(noise: float) -> float:
    if not noise >= 0:
        raise ValueError(f"noise must be >= 0 (a standard deviation), got {noise}")
    return float(noise)


def _split_count(n_samples: int, parts: int, name: str = "n_samples") -> list[int]:
    """Share n_samples among parts as evenly as possible, the first parts taking the remainder."""
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {n_samples!r}")
    if n_samples < parts:
        raise ValueError(f"{name} must be at least {parts} (one per class), got {n_samples}")
    base, extra = divmod(int(n_samples), parts)
    return [base + (i < extra) for i in range(parts)]


def _per_class(n_samples: int | Sequence[int], parts: int) -> list[int]:
    if isinstance(n_samples, (int, np.integer)) and not isinstance(n_samples, bool):
        return _split_count(n_samples, parts)
    counts = [int(c) for c in n_samples]
    if len(counts) != parts or min(counts) < 0:
        raise ValueError(
            f"n_samples must be an int or {parts} non-negative counts, got {n_samples}"
        )
    return counts


def _outer_inner(n_samples: int | tuple[int, int]) -> list[int]:
    # scikit-learn gives the odd sample to the inner shape; match it so the data agree exactly
    return (
        _per_class(n_samples, 2)[::-1]
        if isinstance(n_samples, (int, np.integer))
        else _per_class(n_samples, 2)
    )


def _finish(
    X: np.ndarray, y: np.ndarray, noise: float, shuffle: bool, rng: np.random.Generator
) -> Dataset:
    if noise:
        X = X + rng.normal(0.0, noise, size=X.shape)
    if shuffle:
        order = rng.permutation(len(y))
        X, y = X[order], y[order]
    return np.ascontiguousarray(X, dtype=np.float64), y.astype(np.int64)


# ---- logic gates ----


def _gate(
    outputs: tuple[int, int, int, int], n_repeats: int, noise: float, seed: Seed, shuffle: bool
) -> Dataset:
    if n_repeats < 1:
        raise ValueError(f"n_repeats must be >= 1, got {n_repeats}")
    X = np.tile(np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64), (n_repeats, 1))
    y = np.tile(np.array(outputs, dtype=np.int64), n_repeats)
    return _finish(X, y, _check_noise(noise), shuffle, _rng(seed, "datasets"))


def xor(
    n_repeats: int = 1, noise: float = 0.0, seed: Seed = None, shuffle: bool = False
) -> Dataset:
    """The XOR truth table (inputs 0/1), repeated n_repeats times with optional Gaussian noise."""
    return _gate((0, 1, 1, 0), n_repeats, noise, seed, shuffle)


def and_gate(
    n_repeats: int = 1, noise: float = 0.0, seed: Seed = None, shuffle: bool = False
) -> Dataset:
    """The AND truth table (inputs 0/1), repeated n_repeats times with optional Gaussian noise."""
    return _gate((0, 0, 0, 1), n_repeats, noise, seed, shuffle)


def or_gate(
    n_repeats: int = 1, noise: float = 0.0, seed: Seed = None, shuffle: bool = False
) -> Dataset:
    """The OR truth table (inputs 0/1), repeated n_repeats times with optional Gaussian noise."""
    return _gate((0, 1, 1, 1), n_repeats, noise, seed, shuffle)


# ---- 2-D shapes (scikit-learn's make_* conventions) ----


def moons(
    n_samples: int | tuple[int, int] = 100,
    noise: float = 0.0,
    seed: Seed = None,
    shuffle: bool = True,
) -> Dataset:
    """Two interleaving half circles, as scikit-learn's make_moons; label 1 is the lower moon."""
    n_out, n_in = _outer_inner(n_samples)
    t_out = np.linspace(0.0, np.pi, n_out)
    t_in = np.linspace(0.0, np.pi, n_in)
    X = np.concatenate(
        [
            np.stack([np.cos(t_out), np.sin(t_out)], axis=1),
            np.stack([1.0 - np.cos(t_in), 0.5 - np.sin(t_in)], axis=1),
        ]
    )
    y = np.repeat(np.arange(2), [n_out, n_in])
    return _finish(X, y, _check_noise(noise), shuffle, _rng(seed, "datasets"))


def circles(
    n_samples: int | tuple[int, int] = 100,
    noise: float = 0.0,
    factor: float = 0.8,
    seed: Seed = None,
    shuffle: bool = True,
) -> Dataset:
    """A small circle (label 1) inside a unit circle (label 0), as scikit-learn's make_circles."""
    if not 0.0 <= factor < 1.0:
        raise ValueError(f"factor (inner radius / outer radius) must be in [0, 1), got {factor}")
    n_out, n_in = _outer_inner(n_samples)
    t_out = np.linspace(0.0, 2 * np.pi, n_out, endpoint=False)
    t_in = np.linspace(0.0, 2 * np.pi, n_in, endpoint=False)
    X = np.concatenate(
        [
            np.stack([np.cos(t_out), np.sin(t_out)], axis=1),
            factor * np.stack([np.cos(t_in), np.sin(t_in)], axis=1),
        ]
    )
    y = np.repeat(np.arange(2), [n_out, n_in])
    return _finish(X, y, _check_noise(noise), shuffle, _rng(seed, "datasets"))


def spirals(
    n_samples: int = 300,
    n_classes: int = 3,
    noise: float = 0.0,
    turns: float = 1.0,
    seed: Seed = None,
    shuffle: bool = True,
) -> Dataset:
    """n_classes interleaved arms winding out from the origin, `turns` revolutions each."""
    if n_classes < 1:
        raise ValueError(f"n_classes must be >= 1, got {n_classes}")
    counts = _split_count(n_samples, n_classes)
    parts = []
    for k, n in enumerate(counts):
        radius = np.linspace(0.0, 1.0, n)
        angle = 2 * np.pi * (turns * radius + k / n_classes)
        parts.append(radius[:, None] * np.stack([np.sin(angle), np.cos(angle)], axis=1))
    y = np.repeat(np.arange(n_classes), counts)
    return _finish(np.concatenate(parts), y, _check_noise(noise), shuffle, _rng(seed, "datasets"))


def blobs(
    n_samples: int | Sequence[int] = 100,
    centers: int | np.ndarray = 3,
    n_features: int = 2,
    cluster_std: float | Sequence[float] = 1.0,
    center_box: tuple[float, float] = (-10.0, 10.0),
    seed: Seed = None,
    shuffle: bool = True,
) -> Dataset:
    """Isotropic Gaussian clusters, as scikit-learn's make_blobs; centers drawn in center_box."""
    rng = _rng(seed, "datasets")
    if isinstance(centers, (int, np.integer)):
        if centers < 1:
            raise ValueError(f"centers must be >= 1, got {centers}")
        centers = rng.uniform(center_box[0], center_box[1], size=(int(centers), n_features))
    else:
        centers = np.atleast_2d(np.asarray(centers, dtype=np.float64))
    k = len(centers)
    counts = _per_class(n_samples, k)
    stds = np.broadcast_to(np.asarray(cluster_std, dtype=np.float64), (k,))
    if np.any(stds < 0):
        raise ValueError(f"cluster_std must be >= 0, got {cluster_std}")
    X = np.concatenate(
        [rng.normal(c, s, size=(n, centers.shape[1])) for c, s, n in zip(centers, stds, counts)]
    )
    y = np.repeat(np.arange(k), counts)
    return _finish(X, y, 0.0, shuffle, rng)


# ---- scikit-learn's bundled datasets (no download: they ship inside the package) ----


def _sklearn_datasets(caller: str):
    try:
        return importlib.import_module("sklearn.datasets")
    except ImportError as exc:
        raise ImportError(
            f"{caller} needs scikit-learn, an optional extra: pip install autograd-core[datasets]"
        ) from exc


def _sklearn_load(name: str) -> Dataset:
    X, y = getattr(_sklearn_datasets(name), name)(return_X_y=True)
    return np.ascontiguousarray(X, dtype=np.float64), np.asarray(y)


def load_iris() -> Dataset:
    """Fisher's iris: 150 flowers, 4 measurements, 3 species (y int64)."""
    X, y = _sklearn_load("load_iris")
    return X, y.astype(np.int64)


def load_breast_cancer() -> Dataset:
    """Wisconsin breast cancer: 569 tumours, 30 features, y 0 = malignant, 1 = benign."""
    X, y = _sklearn_load("load_breast_cancer")
    return X, y.astype(np.int64)


def load_digits(as_images: bool = False) -> Dataset:
    """8x8 handwritten digits: 1797 images flattened to 64 features in 0..16, y the digit;
    ``as_images=True`` gives them image-shaped, (1797, 8, 8, 1), for Conv2D."""
    X, y = _sklearn_load("load_digits")
    if as_images:
        X = X.reshape(-1, 8, 8, 1)
    return X, y.astype(np.int64)


def load_diabetes() -> Dataset:
    """Diabetes regression: 442 patients, 10 scaled features, y a float64 disease progression."""
    X, y = _sklearn_load("load_diabetes")
    return X, y.astype(np.float64)


# ---- IDX files (the MNIST family's format) ----


class IDXFormatError(ValueError):
    """A file is not a well-formed IDX file (truncated, foreign, or the wrong shape)."""


class ChecksumError(ValueError):
    """A downloaded file's SHA-256 differs from the expected one."""


# IDX type codes (third magic byte); the data are big-endian
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def _read_maybe_gzip(path: Path) -> bytes:
    raw = path.read_bytes()
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        return gzip.decompress(raw)
    except (EOFError, OSError, gzip.BadGzipFile) as exc:
        raise IDXFormatError(f"{path}: damaged or truncated gzip data ({exc})") from exc


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (plain or gzipped, told apart by content) into a native-endian array."""
    path = Path(path)
    data = _read_maybe_gzip(path)
    if len(data) < 4:
        raise IDXFormatError(f"{path}: {len(data)} bytes is too short for an IDX header")
    zero1, zero2, code, ndim = data[:4]
    if zero1 or zero2 or code not in _IDX_DTYPES or ndim == 0:
        raise IDXFormatError(
            f"{path}: not an IDX file (magic bytes {data[:4].hex()}, expected 0000 then a type "
            f"code in {sorted(hex(c) for c in _IDX_DTYPES)} and a dimension count >= 1)"
        )
    header = 4 + 4 * ndim
    if len(data) < header:
        raise IDXFormatError(
            f"{path}: truncated header ({len(data)} bytes, {ndim} dims need {header})"
        )
    dims = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    dtype = np.dtype(_IDX_DTYPES[code])
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    found = len(data) - header
    if found != expected:
        what = "truncated" if found < expected else "has trailing bytes"
        raise IDXFormatError(
            f"{path}: {what}: dims {dims} of {dtype.name} need {expected} data bytes, found {found}"
        )
    array = np.frombuffer(data, dtype=dtype, offset=header).reshape(dims)
    return array.astype(dtype.newbyteorder("="))


# ---- Fashion-MNIST ----

FASHION_MNIST_URL = (
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/"
)
FASHION_MNIST_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
# SHA-256 of Zalando's official gzipped files. The same four values appear in two independent
# public dataset loaders; they could not be recomputed here (no network), so a mismatch reports
# both digests, and load_fashion_mnist(sha256=...) overrides any of them.
FASHION_MNIST_SHA256 = {
    "train-images-idx3-ubyte.gz": "08dc20ab1689590a0bcd66e874647b6ee8464e2d501b5a3f1f78831db19a3fdc",  # noqa: E501
    "train-labels-idx1-ubyte.gz": "b0197879cbda89f3dc7b894f9fd52b858e68ea4182b6947c9d8c2b67e5f18dcc",  # noqa: E501
    "t10k-images-idx3-ubyte.gz": "78dcbbfb5a27efaf1b6c1d616caca68560be8766c5bffcb2791df9273a534229",  # noqa: E501
    "t10k-labels-idx1-ubyte.gz": "42bd18137a62d5998cdeae52bf3a0676ac6b706f5cf8439b47bb5b151ae3dccf",  # noqa: E501
}
FASHION_MNIST_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)


def _default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "autograd-core" / "fashion-mnist"


def _fetch(url: str, out: BinaryIO) -> None:
    """Stream url into the open file out (the one seam tests replace to stay off the network)."""
    with urllib.request.urlopen(url, timeout=60) as response:
        while chunk := response.read(1 << 20):
            out.write(chunk)


# a failed download (no network, a refused or cut connection, a bad HTTP answer), as opposed
# to a failed write
_NETWORK_ERRORS = (urllib.error.URLError, http.client.HTTPException, ConnectionError,
                   TimeoutError)


class _FetchError(Exception):
    """Carries a network error through the atomic writer, which relabels OSErrors."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


class _Hashing:
    """A file-like object that hashes what it writes on its way to the real file."""

    def __init__(self, out: BinaryIO) -> None:
        self.out, self.digest = out, hashlib.sha256()

    def write(self, chunk: bytes) -> int:
        self.digest.update(chunk)
        return self.out.write(chunk)


def _download_verified(url: str, dest: Path, sha256: str) -> None:
    """Download into place atomically (``nn.files``), keeping it only if its SHA-256 matches."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        with atomic_writer(dest) as out:
            hashing = _Hashing(out)
            try:
                _fetch(url, hashing)
            except _NETWORK_ERRORS as e:
                # not an OSError on its way out, so the writer does not call it a write error
                raise _FetchError(e) from e
            digest = hashing.digest.hexdigest()
            if digest != sha256.lower():  # inside the writer: a bad file is never renamed in
                raise ChecksumError(
                    f"{url}: SHA-256 is {digest}, expected {sha256}; the file was "
                    f"not kept in {dest.parent}"
                )
    except _FetchError as e:
        raise ConnectionError(_offline_help(url, e.error, dest.parent)) from e.error


def _find_in_folder(folder: Path, stem: str) -> Path:
    for name in (stem + ".gz", stem):
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(f"{folder}: neither {stem}.gz nor {stem} is there")


def _pair(images_path: Path, labels_path: Path) -> Dataset:
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise IDXFormatError(
            f"{images_path}: expected uint8 images of shape (n, rows, cols), "
            f"found {images.dtype} of shape {images.shape}"
        )
    if labels.ndim != 1 or labels.dtype != np.uint8:
        raise IDXFormatError(
            f"{labels_path}: expected uint8 labels of shape (n,), "
            f"found {labels.dtype} of shape {labels.shape}"
        )
    if len(images) != len(labels):
        raise IDXFormatError(
            f"{images_path} has {len(images)} images but {labels_path} has {len(labels)} labels"
        )
    return images, labels


def _offline_help(url: str, error: BaseException, cache: Path) -> str:
    """Which download failed, why, and how to use files fetched some other way."""
    reason = getattr(error, "reason", None) or error
    names = ", ".join(stem + ".gz" for stem in FASHION_MNIST_FILES.values())
    return (
        f"load_fashion_mnist: could not download {url} ({reason}). Without a network, fetch "
        f"the four files ({names}; gzipped or not) some other way, then either put them in "
        f"{cache}, where they are looked for first, or point the loader at their folder: "
        f"nn.datasets.load_fashion_mnist(path=FOLDER), or on the command line "
        f"`autograd-core train --dataset fashion_mnist --fashion-mnist-path FOLDER`"
    )


def load_fashion_mnist(
    path: str | os.PathLike | None = None,
    cache_dir: str | os.PathLike | None = None,
    download: bool = True,
    *,
    base_url: str = FASHION_MNIST_URL,
    sha256: Mapping[str, str] | None = None,
    as_images: bool = False,
) -> tuple[Dataset, Dataset]:
    """Fashion-MNIST as ((X_train, y_train), (X_test, y_test)), uint8 images (n, 28, 28)
    (``as_images=True``: (n, 28, 28, 1), one channel, for Conv2D).

    With ``path``, the four IDX files (gzipped or not) are read from that folder. Without it,
    they are read from ``cache_dir`` (default ``~/.cache/autograd-core/fashion-mnist``, under
    ``$XDG_CACHE_HOME`` when set), downloaded there once from ``base_url`` if missing and
    ``download`` is true. A download is kept only if its SHA-256 matches ``sha256`` (file name
    -> hex digest, merged over ``FASHION_MNIST_SHA256``).
    """
    if path is not None:
        folder = Path(path)
        if not folder.is_dir():
            raise FileNotFoundError(f"load_fashion_mnist: {folder} is not a folder")
        found = {key: _find_in_folder(folder, stem) for key, stem in FASHION_MNIST_FILES.items()}
    else:
        folder = Path(cache_dir) if cache_dir is not None else _default_cache_dir()
        hashes = {**FASHION_MNIST_SHA256, **(sha256 or {})}
        found = {}
        for key, stem in FASHION_MNIST_FILES.items():
            name = stem + ".gz"
            target = folder / name
            if not target.is_file():
                if not download:
                    raise FileNotFoundError(
                        f"load_fashion_mnist: {target} is missing and download=False"
                    )
                _download_verified(base_url.rstrip("/") + "/" + name, target, hashes[name])
            found[key] = target
    train = _pair(found["train_images"], found["train_labels"])
    test = _pair(found["test_images"], found["test_labels"])
    if as_images:
        train, test = (train[0][..., None], train[1]), (test[0][..., None], test[1])
    return train, test


# ---- sequence tasks (for recurrent layers) ----


def adding_problem(n_samples: int = 1000, timesteps: int = 50, seed: Seed = None
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Hochreiter and Schmidhuber's adding problem, in Le et al.'s (2015) form.

    X (n_samples, timesteps, 2): channel 0 holds values uniform in [0, 1), channel 1 marks
    two steps with 1 (one in the first half, one in the second); y (n_samples, 1) float64 is
    the sum of the two marked values. Predicting the mean, 1, scores a mean squared error of
    1/6 (about 0.167); doing better means remembering a marked value for up to ``timesteps``
    steps, which a recurrent layer learns. A dense layer on the flattened sequence sees the
    values and the marks but computes a weighted sum of them, not the products it needs.
    """
    n = _split_count(n_samples, 1)[0]
    if isinstance(timesteps, bool) or not isinstance(timesteps, (int, np.integer)) \
            or timesteps < 2:
        raise ValueError(f"adding_problem: timesteps must be an int >= 2, got {timesteps!r}")
    rng = _rng(seed, "datasets")
    values = rng.random((n, timesteps))
    half = timesteps // 2
    first = rng.integers(0, half, n)
    second = rng.integers(half, timesteps, n)
    marks = np.zeros((n, timesteps))
    rows = np.arange(n)
    marks[rows, first] = 1.0
    marks[rows, second] = 1.0
    y = (values[rows, first] + values[rows, second])[:, None]
    return np.stack([values, marks], axis=-1), y
