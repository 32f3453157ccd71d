"""nn.datasets: seeded generators, scikit-learn's bundled sets, IDX parsing, Fashion-MNIST."""

import gzip
import hashlib
import struct
import sys

import numpy as np
import pytest

from nn import datasets
from nn.datasets import ChecksumError, IDXFormatError, load_fashion_mnist, read_idx

GENERATORS = [
    (datasets.moons, {"n_samples": 50, "noise": 0.1}, 50, 2, 2),
    (datasets.circles, {"n_samples": 51, "noise": 0.05}, 51, 2, 2),
    (datasets.spirals, {"n_samples": 60, "n_classes": 4, "noise": 0.02}, 60, 2, 4),
    (datasets.blobs, {"n_samples": 45, "centers": 3, "n_features": 5}, 45, 5, 3),
    (datasets.xor, {"n_repeats": 3, "noise": 0.1}, 12, 2, 2),
    (datasets.and_gate, {"n_repeats": 2}, 8, 2, 2),
    (datasets.or_gate, {"n_repeats": 2}, 8, 2, 2),
]
IDS = [g[0].__name__ for g in GENERATORS]


# ---- generators ----


@pytest.mark.parametrize("make, kwargs, n, features, classes", GENERATORS, ids=IDS)
def test_generators_shapes_dtypes_and_labels(make, kwargs, n, features, classes):
    X, y = make(**kwargs, seed=0)
    assert X.shape == (n, features) and X.dtype == np.float64 and X.flags.c_contiguous
    assert y.shape == (n,) and y.dtype == np.int64
    assert set(np.unique(y)) == set(range(classes))
    assert np.all(np.isfinite(X))


@pytest.mark.parametrize("make, kwargs, n, features, classes", GENERATORS, ids=IDS)
def test_generators_are_deterministic_per_seed(make, kwargs, n, features, classes):
    X1, y1 = make(**kwargs, seed=7)
    X2, y2 = make(**kwargs, seed=np.random.default_rng(7))
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    if kwargs.get("noise") or make is datasets.blobs:
        X3, _ = make(**kwargs, seed=8)
        assert not np.array_equal(X1, X3)


def test_gates_are_the_truth_tables():
    inputs = [[0, 0], [0, 1], [1, 0], [1, 1]]
    for make, outputs in [
        (datasets.xor, [0, 1, 1, 0]),
        (datasets.and_gate, [0, 0, 0, 1]),
        (datasets.or_gate, [0, 1, 1, 1]),
    ]:
        X, y = make()
        np.testing.assert_array_equal(X, inputs)
        np.testing.assert_array_equal(y, outputs)


def test_gate_repeats_and_noise_stay_near_the_corners():
    X, y = datasets.xor(n_repeats=50, noise=0.05, seed=1)
    corners = np.round(X)
    np.testing.assert_array_equal(y, np.logical_xor(corners[:, 0], corners[:, 1]))
    assert 0.03 < np.std(X - corners) < 0.07
    np.testing.assert_array_equal(np.bincount(y), [100, 100])


def test_moons_and_circles_equal_scikit_learn_without_noise():
    sk = pytest.importorskip("sklearn.datasets")
    for n in (7, 20):
        for ours, theirs in [(datasets.moons, sk.make_moons), (datasets.circles, sk.make_circles)]:
            X, y = ours(n, shuffle=False)
            Xs, ys = theirs(n, shuffle=False)
            np.testing.assert_allclose(X, Xs, atol=1e-12)
            np.testing.assert_array_equal(y, ys)


def test_moons_geometry():
    X, y = datasets.moons((30, 20), seed=0)
    np.testing.assert_array_equal(np.bincount(y), [30, 20])
    np.testing.assert_allclose(np.hypot(*X[y == 0].T), 1.0)
    np.testing.assert_allclose(np.hypot(X[y == 1, 0] - 1.0, X[y == 1, 1] - 0.5), 1.0)


def test_circles_radii_follow_factor():
    X, y = datasets.circles(40, factor=0.3, seed=0)
    np.testing.assert_allclose(np.hypot(*X[y == 0].T), 1.0)
    np.testing.assert_allclose(np.hypot(*X[y == 1].T), 0.3)


def test_spirals_arms_are_balanced_and_wind_outwards():
    X, y = datasets.spirals(n_samples=301, n_classes=3, turns=1.5, shuffle=False)
    np.testing.assert_array_equal(np.bincount(y), [101, 100, 100])
    for k in range(3):
        radius = np.hypot(*X[y == k].T)
        assert radius[0] == 0.0 and np.isclose(radius[-1], 1.0)
        assert np.all(np.diff(radius) > 0)


def test_blobs_cluster_around_given_centers():
    centers = np.array([[0.0, 0.0], [10.0, 10.0]])
    X, y = datasets.blobs([100, 300], centers=centers, cluster_std=[0.1, 0.5], seed=3)
    np.testing.assert_array_equal(np.bincount(y), [100, 300])
    np.testing.assert_allclose(X[y == 0].mean(axis=0), [0, 0], atol=0.05)
    np.testing.assert_allclose(X[y == 1].mean(axis=0), [10, 10], atol=0.1)
    assert X[y == 0].std() < X[y == 1].std()


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: datasets.moons(10, noise=-1), "noise must be >= 0"),
        (lambda: datasets.moons(10, seed="abc"), "seed must be an int"),
        (lambda: datasets.moons(10, seed=True), "seed must be an int"),
        (lambda: datasets.spirals(2, n_classes=3), "at least 3"),
        (lambda: datasets.circles(10, factor=1.5), "factor"),
        (lambda: datasets.xor(n_repeats=0), "n_repeats"),
        (lambda: datasets.moons((1, 2, 3)), "2 non-negative counts"),
    ],
)
def test_generator_argument_errors(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


# ---- scikit-learn's bundled datasets ----


@pytest.mark.parametrize(
    "load, shape, y_dtype",
    [
        (datasets.load_iris, (150, 4), np.int64),
        (datasets.load_breast_cancer, (569, 30), np.int64),
        (datasets.load_digits, (1797, 64), np.int64),
        (datasets.load_diabetes, (442, 10), np.float64),
    ],
)
def test_sklearn_loaders(load, shape, y_dtype):
    pytest.importorskip("sklearn")
    X, y = load()
    assert X.shape == shape and X.dtype == np.float64
    assert y.shape == (shape[0],) and y.dtype == y_dtype


def test_sklearn_loader_without_sklearn_says_how_to_install(monkeypatch):
    # None in sys.modules makes the import fail exactly as if the package were absent
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    monkeypatch.setitem(sys.modules, "sklearn", None)
    with pytest.raises(ImportError, match=r"load_iris.*pip install autograd-core\[datasets\]"):
        datasets.load_iris()


# ---- IDX files ----

# written independently of the parser under test: big-endian header, then big-endian data
_CODES = {
    np.uint8: 0x08,
    np.int8: 0x09,
    np.int16: 0x0B,
    np.int32: 0x0C,
    np.float32: 0x0D,
    np.float64: 0x0E,
}


def idx_bytes(array: np.ndarray) -> bytes:
    array = np.asarray(array)
    header = bytes([0, 0, _CODES[array.dtype.type], array.ndim])
    header += struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write_idx(path, array, gz=True):
    data = idx_bytes(array)
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


@pytest.mark.parametrize("dtype", list(_CODES))
@pytest.mark.parametrize("gz", [True, False])
def test_read_idx_round_trips_every_type(tmp_path, dtype, gz):
    array = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    got = read_idx(write_idx(tmp_path / "a.idx", array, gz))
    assert got.dtype == np.dtype(dtype) and got.dtype.isnative
    np.testing.assert_array_equal(got, array)


def test_read_idx_reads_gzip_by_content_not_by_name(tmp_path):
    labels = np.array([3, 1, 4], dtype=np.uint8)
    write_idx(tmp_path / "labels.bin", labels, gz=True)
    np.testing.assert_array_equal(read_idx(tmp_path / "labels.bin"), labels)


@pytest.mark.parametrize(
    "content, message",
    [
        (idx_bytes(np.zeros((3, 2, 2), np.uint8))[:-1], "truncated"),
        (idx_bytes(np.zeros((3, 2, 2), np.uint8)) + b"\0", "trailing bytes"),
        (idx_bytes(np.zeros((3, 2, 2), np.uint8))[:10], "truncated header"),
        (b"\x89PNG\r\n\x1a\n" + bytes(40), "not an IDX file"),
        (b"\0\0\x08", "too short"),
        (b"", "too short"),
        (gzip.compress(idx_bytes(np.zeros(50, np.uint8)))[:-6], "gzip"),
    ],
)
def test_read_idx_errors_name_the_file(tmp_path, content, message):
    path = tmp_path / "broken-idx3-ubyte"
    path.write_bytes(content)
    with pytest.raises(IDXFormatError, match=message) as info:
        read_idx(path)
    assert str(path) in str(info.value)


# ---- Fashion-MNIST ----


def fake_fashion(folder, n_train=5, n_test=3, gz=True, seed=0):
    """Write four small IDX files with Fashion-MNIST's names; return the arrays."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": rng.integers(0, 10, n_train, dtype=np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    for name, array in arrays.items():
        write_idx(folder / (name + ".gz" if gz else name), array, gz)
    return arrays


def check_fashion(result, arrays):
    (X_train, y_train), (X_test, y_test) = result
    assert X_train.dtype == np.uint8 and X_train.shape == (5, 28, 28)
    np.testing.assert_array_equal(X_train, arrays["train-images-idx3-ubyte"])
    np.testing.assert_array_equal(y_train, arrays["train-labels-idx1-ubyte"])
    np.testing.assert_array_equal(X_test, arrays["t10k-images-idx3-ubyte"])
    np.testing.assert_array_equal(y_test, arrays["t10k-labels-idx1-ubyte"])


@pytest.mark.parametrize("gz", [True, False])
def test_fashion_mnist_from_a_folder(tmp_path, gz):
    arrays = fake_fashion(tmp_path / "fm", gz=gz)
    check_fashion(load_fashion_mnist(tmp_path / "fm"), arrays)


def test_fashion_mnist_folder_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a folder"):
        load_fashion_mnist(tmp_path / "nowhere")
    fake_fashion(tmp_path / "fm")
    (tmp_path / "fm" / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(FileNotFoundError, match="t10k-labels-idx1-ubyte"):
        load_fashion_mnist(tmp_path / "fm")
    write_idx(tmp_path / "fm" / "t10k-labels-idx1-ubyte.gz", np.zeros(4, np.uint8))
    with pytest.raises(IDXFormatError, match="3 images but .* has 4 labels"):
        load_fashion_mnist(tmp_path / "fm")
    write_idx(tmp_path / "fm" / "t10k-labels-idx1-ubyte.gz", np.zeros((3, 1), np.uint8))
    with pytest.raises(IDXFormatError, match=r"t10k-labels.*expected uint8 labels"):
        load_fashion_mnist(tmp_path / "fm")


def sha256s(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


def test_fashion_mnist_downloads_once_into_the_cache(tmp_path, monkeypatch):
    server = tmp_path / "server"
    arrays = fake_fashion(server)
    cache = tmp_path / "cache"
    result = load_fashion_mnist(cache_dir=cache, base_url=server.as_uri(), sha256=sha256s(server))
    check_fashion(result, arrays)
    assert sorted(p.name for p in cache.iterdir()) == sorted(n + ".gz" for n in arrays)

    def no_network(url, out):
        raise AssertionError(f"fetched {url} although it is cached")

    monkeypatch.setattr(datasets, "_fetch", no_network)
    check_fashion(load_fashion_mnist(cache_dir=cache, download=False), arrays)


def test_fashion_mnist_checksum_mismatch_keeps_nothing(tmp_path):
    server = tmp_path / "server"
    fake_fashion(server)
    cache = tmp_path / "cache"
    # the small fake files cannot match the official digests
    with pytest.raises(ChecksumError, match=r"train-images-idx3-ubyte\.gz.*expected 08dc20ab"):
        load_fashion_mnist(cache_dir=cache, base_url=server.as_uri())
    assert list(cache.iterdir()) == []


def test_fashion_mnist_failed_fetch_keeps_nothing(tmp_path, monkeypatch):
    def broken(url, out):
        out.write(b"half a file")
        raise OSError("connection reset")

    monkeypatch.setattr(datasets, "_fetch", broken)
    with pytest.raises(OSError, match="connection reset"):
        load_fashion_mnist(cache_dir=tmp_path / "cache")
    assert list((tmp_path / "cache").iterdir()) == []


def test_fashion_mnist_default_cache_and_download_false(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    with pytest.raises(FileNotFoundError, match="download=False") as info:
        load_fashion_mnist(download=False)
    assert str(tmp_path / "xdg" / "autograd-core" / "fashion-mnist") in str(info.value)
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    with pytest.raises(FileNotFoundError) as info:
        load_fashion_mnist(download=False)
    assert str(tmp_path / "home" / ".cache" / "autograd-core" / "fashion-mnist") in str(info.value)


def test_fashion_mnist_hash_table_is_complete():
    names = {stem + ".gz" for stem in datasets.FASHION_MNIST_FILES.values()}
    assert set(datasets.FASHION_MNIST_SHA256) == names
    assert all(len(h) == 64 and int(h, 16) >= 0 for h in datasets.FASHION_MNIST_SHA256.values())
    assert len(datasets.FASHION_MNIST_CLASSES) == 10


def test_fashion_mnist_offline_names_the_url_and_the_way_to_local_files(tmp_path, monkeypatch):
    import socket
    import urllib.error

    def offline(url, out):
        raise urllib.error.URLError(socket.gaierror(-2, "Name or service not known"))

    monkeypatch.setattr(datasets, "_fetch", offline)
    cache = tmp_path / "cache"
    with pytest.raises(ConnectionError) as info:
        load_fashion_mnist(cache_dir=cache)
    message = str(info.value)
    assert f"could not download {datasets.FASHION_MNIST_URL}train-images-idx3-ubyte.gz" \
        in message
    assert "Name or service not known" in message and "<urlopen error" not in message
    assert str(cache) in message and "load_fashion_mnist(path=FOLDER)" in message
    assert "--fashion-mnist-path FOLDER" in message
    assert list(cache.iterdir()) == []
