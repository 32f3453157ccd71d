"""Keras's gelu, silu/swish, selu, softsign and hard_sigmoid by name, and the orthogonal
initializer (issue 13)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd_core as ag
import nn
from nn.activations import activation_name, get_activation

X = np.linspace(-5, 5, 41)
REFERENCE = {
    "gelu": lambda x: 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2))),
    "silu": lambda x: x / (1 + np.exp(-x)),
    "swish": lambda x: x / (1 + np.exp(-x)),
    "selu": lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(x)),
    "softsign": lambda x: x / (1 + np.abs(x)),
    "hard_sigmoid": lambda x: np.clip(x / 6 + 0.5, 0, 1),
}


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_activation_by_name(name):
    fn = get_activation(name)
    np.testing.assert_allclose(fn(ag.Tensor(X)).data, REFERENCE[name](X), atol=1e-12)
    assert activation_name(fn) in (name, "silu")
    layer = nn.Dense(3, activation=name, input_dim=2)
    assert layer.get_config()["activation"] in (name, "silu")
    assert ag.gradcheck(lambda x: fn(x), X[X != 0][::3] + 0.1)  # off hard_sigmoid's kinks


def test_gelu_approximate_passes_through():
    y = nn.Activation("gelu", approximate=True)(ag.Tensor(X)).data
    expected = 0.5 * X * (1 + np.tanh(math.sqrt(2 / math.pi) * (X + 0.044715 * X**3)))
    np.testing.assert_allclose(y, expected, atol=1e-12)


@pytest.mark.parametrize("shape", [(4, 4), (3, 7), (7, 3), (2, 3, 5)])
def test_orthogonal(shape):
    q = nn.init.get_initializer("orthogonal")(shape, np.float64, np.random.default_rng(0))
    flat = q.reshape(-1, shape[-1])
    small = min(flat.shape)
    gram = flat.T @ flat if flat.shape[0] >= flat.shape[1] else flat @ flat.T
    np.testing.assert_allclose(gram, np.eye(small), atol=1e-12)
    q2 = nn.init.Orthogonal(gain=2.0, seed=1)(shape)
    np.testing.assert_allclose(q2, nn.init.Orthogonal(gain=2.0, seed=1)(shape))  # seeded
    assert nn.init.Orthogonal(2.0).get_config() == {"gain": 2.0, "seed": None}
    with pytest.raises(ValueError, match="at least 2 axes"):
        nn.init.Orthogonal()((3,))
