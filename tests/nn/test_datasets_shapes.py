"""Image-shaped digits and Fashion-MNIST, and the adding problem (issue 13's data)."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from nn.datasets import adding_problem, load_digits, load_fashion_mnist


def test_digits_as_images():
    pytest.importorskip("sklearn")
    X, y = load_digits(as_images=True)
    flat, y2 = load_digits()
    assert X.shape == (1797, 8, 8, 1) and X.dtype == np.float64
    np.testing.assert_array_equal(X.reshape(1797, 64), flat)
    np.testing.assert_array_equal(y, y2)


def test_fashion_mnist_as_images(tmp_path):
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 6), ("t10k", 4)):
        images = rng.integers(0, 256, (n, 28, 28)).astype(np.uint8)
        labels = rng.integers(0, 10, n).astype(np.uint8)
        for kind, a in (("images-idx3", images), ("labels-idx1", labels)):
            head = bytes([0, 0, 8, a.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in a.shape)
            (tmp_path / f"{prefix}-{kind}-ubyte.gz").write_bytes(gzip.compress(head + a.tobytes()))
    (X, y), (Xt, yt) = load_fashion_mnist(tmp_path, as_images=True)
    (X2, _), _ = load_fashion_mnist(tmp_path)
    assert X.shape == (6, 28, 28, 1) and Xt.shape == (4, 28, 28, 1) and X.dtype == np.uint8
    np.testing.assert_array_equal(X[..., 0], X2)


def test_adding_problem():
    X, y = adding_problem(400, 10, seed=3)
    assert X.shape == (400, 10, 2) and y.shape == (400, 1)
    marks = X[:, :, 1]
    assert set(np.unique(marks)) == {0.0, 1.0}
    assert (marks[:, :5].sum(1) == 1).all() and (marks[:, 5:].sum(1) == 1).all()
    np.testing.assert_allclose(y[:, 0], (X[:, :, 0] * marks).sum(1))
    assert ((X[:, :, 0] >= 0) & (X[:, :, 0] < 1)).all()
    np.testing.assert_array_equal(adding_problem(400, 10, seed=3)[0], X)  # seeded
    assert not np.array_equal(adding_problem(400, 10, seed=4)[0], X)
    big = adding_problem(20000, 6, seed=0)[1]
    assert abs(np.mean((big - 1) ** 2) - 1 / 6) < 0.01  # predicting 1 scores about 1/6
    with pytest.raises(ValueError, match="timesteps"):
        adding_problem(10, 1)
