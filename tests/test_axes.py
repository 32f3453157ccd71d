"""Negative and mixed axes: every axis-taking op gives NumPy's forward and right gradients."""

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor, gradcheck
from autograd_core.ops.core import normalize_axis


def test_transpose_with_negative_axes_transposes_the_cotangent():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    g = np.arange(6.0).reshape(3, 2) * 10
    ag.transpose(x, (-1, 0)).backward(g)
    np.testing.assert_array_equal(x.grad, g.T)  # not g reshaped


def test_transpose_method_with_mixed_axes():
    x0 = np.arange(24.0).reshape(2, 3, 4)
    x = Tensor(x0, requires_grad=True)
    y = x.transpose(-1, 0, 1)
    np.testing.assert_array_equal(y.data, x0.transpose(-1, 0, 1))
    g = np.random.default_rng(0).standard_normal(y.shape)
    y.backward(g)
    np.testing.assert_array_equal(x.grad, g.transpose(np.argsort((2, 0, 1))))


X = np.random.default_rng(1).standard_normal((2, 3, 4))

# each case: f(x) using negative or mixed axes, and NumPy's forward for it
CASES = {
    "transpose": (lambda x: ag.transpose(x, (-1, 0, -2)), lambda x: np.transpose(x, (-1, 0, -2))),
    "swapaxes": (lambda x: ag.swapaxes(x, -1, 0), lambda x: np.swapaxes(x, -1, 0)),
    "sum": (lambda x: ag.sum(x, axis=(-1, 0)), lambda x: np.sum(x, axis=(-1, 0))),
    "mean": (lambda x: ag.mean(x, axis=-2, keepdims=True),
             lambda x: np.mean(x, axis=-2, keepdims=True)),
    "max": (lambda x: ag.max(x, axis=(0, -1)), lambda x: np.max(x, axis=(0, -1))),
    "min": (lambda x: ag.min(x, axis=-3), lambda x: np.min(x, axis=-3)),
    "var": (lambda x: ag.var(x, axis=(-1, 1)), lambda x: np.var(x, axis=(-1, 1))),
    "std": (lambda x: ag.std(x, axis=-1, ddof=1), lambda x: np.std(x, axis=-1, ddof=1)),
    "logsumexp": (lambda x: ag.logsumexp(x, axis=(-2, 0)),
                  lambda x: np.log(np.exp(x).sum(axis=(-2, 0)))),
    "softmax": (lambda x: ag.softmax(x, axis=-2),
                lambda x: np.exp(x) / np.exp(x).sum(axis=-2, keepdims=True)),
    "log_softmax": (lambda x: ag.log_softmax(x, axis=-3),
                    lambda x: x - np.log(np.exp(x).sum(axis=-3, keepdims=True))),
    "expand_dims": (lambda x: ag.expand_dims(x, (-1, 0)), lambda x: np.expand_dims(x, (-1, 0))),
    "squeeze": (lambda x: ag.squeeze(ag.expand_dims(x, -2), -2), lambda x: x),
    "concatenate": (lambda x: ag.concatenate([x, x * 2], axis=-2),
                    lambda x: np.concatenate([x, x * 2], axis=-2)),
    "stack": (lambda x: ag.stack([x, x * 2], axis=-1), lambda x: np.stack([x, x * 2], axis=-1)),
    "split": (lambda x: ag.concatenate(ag.split(x, 2, axis=-1)[::-1], axis=-1),
              lambda x: np.concatenate(np.split(x, 2, axis=-1)[::-1], axis=-1)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_negative_axes_forward_and_gradients(name):
    f, reference = CASES[name]
    np.testing.assert_allclose(f(Tensor(X)).data, reference(X), rtol=1e-12, atol=1e-12)
    assert gradcheck(f, X)


@pytest.mark.parametrize("axis", [-1, -2, 0, (-1, 0), (0, -2)])
def test_reductions_record_non_negative_axes(axis):
    y = ag.sum(Tensor(X, requires_grad=True), axis=axis)
    recorded = y.params["axis"]
    assert recorded == normalize_axis(axis, 3) and np.all(np.asarray(recorded) >= 0)


def test_out_of_range_and_repeated_axes_name_the_op():
    with pytest.raises(np.exceptions.AxisError, match=r"^sum: axis -4 is out of bounds"):
        ag.sum(Tensor(X), axis=-4)
    with pytest.raises(np.exceptions.AxisError, match=r"^sum: repeated axis"):
        ag.sum(Tensor(X), axis=(0, -3))
    with pytest.raises(ValueError, match="transpose"):
        ag.transpose(Tensor(X), (0, 0, 1))
