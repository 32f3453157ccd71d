"""BatchNormalization and LayerNormalization against NumPy formulas: batch statistics in
training, Keras's moving-average rule, moving statistics at inference and when frozen, saved
with the weights; gradients checked three ways."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag
import nn

RNG = np.random.default_rng(0)


def bn_reference(x, gamma, beta, mean, var, eps):
    return gamma * (x - mean) / np.sqrt(var + eps) + beta


def test_batch_norm_defaults_and_weights_are_keras_ones():
    bn = nn.BatchNormalization()
    assert (bn.axis, bn.momentum, bn.epsilon, bn.center, bn.scale) == (-1, 0.99, 1e-3, True,
                                                                       True)
    bn.build((None, 5, 5, 3))
    assert [p.name for p in bn.weights] == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert [p.shape for p in bn.weights] == [(3,)] * 4
    assert len(bn.trainable_weights) == 2 and len(bn.non_trainable_weights) == 2
    np.testing.assert_array_equal(bn.moving_variance.data, np.ones(3))


def test_batch_norm_training_uses_batch_statistics_and_moves_the_averages():
    bn = nn.BatchNormalization(momentum=0.9, gamma_initializer="normal",
                               beta_initializer="normal", seed=0)
    moving_mean, moving_var = np.zeros(3), np.ones(3)
    for _ in range(3):
        x = RNG.normal(2.0, 3.0, (6, 4, 4, 3)).astype(np.float32)
        out = bn(x)  # training mode by default
        mean = x.astype(np.float64).mean(axis=(0, 1, 2))
        var = x.astype(np.float64).var(axis=(0, 1, 2))  # biased, as Keras's ops.moments
        expected = bn_reference(x, bn.gamma.data, bn.beta.data, mean, var, 1e-3)
        np.testing.assert_allclose(out.data, expected, rtol=1e-4, atol=1e-4)
        assert out.dtype == np.float32
        moving_mean = moving_mean * 0.9 + mean * 0.1
        moving_var = moving_var * 0.9 + var * 0.1
        np.testing.assert_allclose(bn.moving_mean.data, moving_mean, rtol=1e-5)
        np.testing.assert_allclose(bn.moving_variance.data, moving_var, rtol=1e-5)
        assert bn.moving_mean.dtype == np.float32


def test_batch_norm_inference_uses_the_moving_statistics_and_changes_nothing():
    bn = nn.BatchNormalization()
    x = RNG.standard_normal((8, 3)).astype(np.float32) * 4 + 1
    bn(x)
    saved = [w.copy() for w in bn.get_weights()]
    with bn.mode(training=False):
        out = bn(x)
    expected = bn_reference(x, 1.0, 0.0, saved[2], saved[3], 1e-3)
    np.testing.assert_allclose(out.data, expected, rtol=1e-5)
    for a, b in zip(saved, bn.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_frozen_batch_norm_runs_in_inference_mode():
    bn = nn.BatchNormalization()
    bn.build((None, 2))
    bn.set_weights([np.array([2.0, 1.0]), np.array([0.5, 0.0]), np.array([1.0, -1.0]),
                    np.array([4.0, 9.0])])
    bn.trainable = False
    x = RNG.standard_normal((5, 2)).astype(np.float32)
    out = bn(x)  # training mode, but frozen: moving statistics, no update
    expected = bn_reference(x, np.array([2.0, 1.0]), np.array([0.5, 0.0]),
                            np.array([1.0, -1.0]), np.array([4.0, 9.0]), 1e-3)
    np.testing.assert_allclose(out.data, expected, rtol=1e-5)
    np.testing.assert_array_equal(bn.moving_mean.data, [1.0, -1.0])
    assert bn.trainable_weights == [] and all(not p.requires_grad for p in bn.weights)
    bn.trainable = True  # the moving statistics stay non-trainable
    assert [p.name for p in bn.trainable_weights] == ["gamma", "beta"]


def test_batch_norm_other_axis_and_no_center_scale():
    x = RNG.standard_normal((4, 3, 5))
    bn = nn.BatchNormalization(axis=1, center=False, scale=False, dtype=np.float64)
    out = bn(x)
    assert bn.weights[0].name == "moving_mean" and bn.moving_mean.shape == (3,)
    mean, var = x.mean(axis=(0, 2), keepdims=True), x.var(axis=(0, 2), keepdims=True)
    np.testing.assert_allclose(out.data, (x - mean) / np.sqrt(var + 1e-3), atol=1e-12)
    with bn.mode(training=False):
        out = bn(x)
    m, v = bn.moving_mean.data[None, :, None], bn.moving_variance.data[None, :, None]
    np.testing.assert_allclose(out.data, (x - m) / np.sqrt(v + 1e-3), atol=1e-12)
    with pytest.raises(ValueError, match="batch axis"):
        nn.BatchNormalization(axis=0)(x)


def test_batch_norm_moving_statistics_are_saved_and_loaded(tmp_path):
    def model(seed):
        return nn.Sequential(nn.Dense(4, input_dim=3, seed=seed), nn.BatchNormalization(),
                             nn.Dense(1, seed=seed))
    a = model(0)
    a(RNG.standard_normal((16, 3)).astype(np.float32))  # moves the statistics
    a.save_weights(tmp_path / "w.safetensors")
    b = model(1)
    b.load_weights(tmp_path / "w.safetensors")
    assert "layers.1.moving_variance" in b.state_dict()
    np.testing.assert_array_equal(a.layers[1].moving_mean.data, b.layers[1].moving_mean.data)
    x = RNG.standard_normal((5, 3)).astype(np.float32)
    np.testing.assert_array_equal(a.predict(x), b.predict(x))


def test_batch_norm_trains_in_fit_and_predicts_with_moving_statistics():
    nn.set_seed(0)
    X = RNG.normal(5.0, 2.0, (200, 4)).astype(np.float32)
    y = (X[:, 0] > 5).astype(np.int64)
    model = nn.Sequential(nn.Dense(8, input_dim=4), nn.BatchNormalization(momentum=0.9),
                          nn.Activation("relu"), nn.Dense(2))
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"],
                  from_logits=True, lr=0.02)
    model.fit(X, y, epochs=15, batch_size=32, verbose=0, seed=0)
    assert not np.allclose(model.layers[1].moving_mean.data, 0)
    assert model.evaluate(X, y)["accuracy"] > 0.9


def test_batch_norm_gradients_three_ways():
    bn = nn.BatchNormalization(dtype=np.float64)
    x = RNG.standard_normal((5, 2, 3))
    bn(x)
    g, b = RNG.standard_normal(3), RNG.standard_normal(3)

    def f(x, g, b):
        bn.gamma, bn.beta = g, b
        return bn.forward(x) ** 3  # a cube, so the sum of outputs is not constant

    assert ag.gradcheck(f, x, g, b)
    with bn.mode(training=False):
        assert ag.gradcheck(f, x, g, b)


def test_layer_normalization_matches_numpy_and_gradients():
    x = RNG.standard_normal((4, 3, 6)).astype(np.float32) * 3 + 2
    ln = nn.LayerNormalization(gamma_initializer="normal", beta_initializer="normal", seed=0)
    out = ln(x)
    assert ln.epsilon == 1e-3 and ln.gamma.shape == (6,)
    x64 = x.astype(np.float64)
    mean, var = x64.mean(-1, keepdims=True), x64.var(-1, keepdims=True)
    expected = ln.gamma.data * (x64 - mean) / np.sqrt(var + 1e-3) + ln.beta.data
    np.testing.assert_allclose(out.data, expected, rtol=1e-4, atol=1e-5)
    assert out.dtype == np.float32
    ln2 = nn.LayerNormalization(axis=(1, 2), dtype=np.float64)
    out2 = ln2(x64)
    assert ln2.gamma.shape == (3, 6)
    mean, var = x64.mean((1, 2), keepdims=True), x64.var((1, 2), keepdims=True)
    np.testing.assert_allclose(out2.data, (x64 - mean) / np.sqrt(var + 1e-3), atol=1e-12)

    ln3 = nn.LayerNormalization(dtype=np.float64)
    ln3(x64)

    def f(x, g, b):
        ln3.gamma, ln3.beta = g, b
        return ln3.forward(x) ** 3

    assert ag.gradcheck(f, x64[:2], RNG.standard_normal(6), RNG.standard_normal(6))
