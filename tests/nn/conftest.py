"""Fixtures for the nn tests: finite-difference gradient checks (reverse mode against central
differences), tiny Fashion-MNIST files. Fixtures rather than a helper module, because tests
import in importlib mode."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor


def assert_grads_match_fd(
    loss_of: Callable[[], Tensor],
    tensors: Sequence[Tensor],
    eps: float = 1e-6,
    rtol: float = 1e-5,
    atol: float = 1e-7,
) -> None:
    """Compare each tensor's reverse-mode gradient of ``loss_of()`` with central differences.

    ``loss_of`` recomputes a scalar from the current ``.data`` of ``tensors`` (parameters,
    inputs), which are perturbed in place one element at a time. Use float64 throughout.
    """
    for t in tensors:
        assert t.dtype == np.float64, "finite differences need float64"
        t.grad = None
    loss_of().backward()
    analytic = [np.array(t.grad) for t in tensors]
    with ag.no_grad():
        for t, grad in zip(tensors, analytic):
            numeric = np.zeros_like(t.data)
            for idx in np.ndindex(t.shape):
                old = t.data[idx]
                t.data[idx] = old + eps
                hi = float(loss_of().item())
                t.data[idx] = old - eps
                lo = float(loss_of().item())
                t.data[idx] = old
                numeric[idx] = (hi - lo) / (2 * eps)
            np.testing.assert_allclose(grad, numeric, rtol=rtol, atol=atol,
                                       err_msg=f"gradient of {t.name or 'a tensor'}")


def check_function(
    f: Callable[..., Tensor], *arrays: np.ndarray, seed: int = 0, dual: bool = False, **tol: float
) -> None:
    """Check f's gradients at ``arrays`` (a random weighting makes any output shape a scalar).

    With ``dual=True`` and once ``autograd_core.gradcheck`` exists, it checks f too (reverse
    mode against dual numbers and finite differences); f must then be built from ops only.
    """
    inputs = [Tensor(np.array(a, dtype=np.float64), requires_grad=True) for a in arrays]
    with ag.no_grad():
        shape = f(*inputs).shape
    w = np.random.default_rng(seed).standard_normal(shape)
    assert_grads_match_fd(lambda: (f(*inputs) * w).sum(), inputs, **tol)
    if dual and "gradcheck" in ag.__all__:
        assert ag.gradcheck(f, *[np.array(a, dtype=np.float64) for a in arrays])


@pytest.fixture
def fd_check() -> Callable[..., None]:
    """``fd_check(loss_of, tensors)``: see ``assert_grads_match_fd``."""
    return assert_grads_match_fd


@pytest.fixture
def check_grad() -> Callable[..., None]:
    """``check_grad(f, *arrays, dual=False)``: see ``check_function``."""
    return check_function


@pytest.fixture
def fake_fashion_mnist(tmp_path):
    """A folder of four tiny IDX files in Fashion-MNIST's layout (class k lights up image row
    k): 120 training and 30 test images."""
    import gzip
    import struct

    folder = tmp_path / "fashion"
    rng = np.random.default_rng(0)
    folder.mkdir()
    for split, n in (("train", 120), ("t10k", 30)):
        labels = rng.integers(0, 10, n).astype(np.uint8)
        images = rng.integers(0, 50, (n, 28, 28)).astype(np.uint8)
        images[np.arange(n), labels, :] = 255
        for kind, array in (("images-idx3", images), ("labels-idx1", labels)):
            header = bytes([0, 0, 8, array.ndim]) + b"".join(
                struct.pack(">I", d) for d in array.shape)
            with gzip.open(folder / f"{split}-{kind}-ubyte.gz", "wb") as f:
                f.write(header + array.tobytes())
    return folder
