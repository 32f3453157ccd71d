"""Conv1D, Conv2D, pooling, Flatten and Reshape against NumPy loops with the same weights;
gradients through each layer checked three ways (reverse, dual numbers, finite differences)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd_core as ag
import nn

# ---- independent references: plain loops over output positions ----


def same_pads(n: int, k: int, s: int, d: int = 1) -> tuple[int, int]:
    """Keras's "same": output ceil(n/s), the odd padded pixel after."""
    total = max((math.ceil(n / s) - 1) * s + (k - 1) * d + 1 - n, 0)
    return total // 2, total - total // 2


def conv2d_loop(x, kernel, bias, strides, padding, dilation):
    kh, kw, _, cout = kernel.shape
    sh, sw = strides
    dh, dw = dilation
    if padding == "same":
        (t, b), (lft, r) = same_pads(x.shape[1], kh, sh, dh), same_pads(x.shape[2], kw, sw, dw)
        x = np.pad(x, ((0, 0), (t, b), (lft, r), (0, 0)))
    n, h, w, _ = x.shape
    oh = (h - (kh - 1) * dh - 1) // sh + 1
    ow = (w - (kw - 1) * dw - 1) // sw + 1
    out = np.zeros((n, oh, ow, cout))
    for i in range(oh):
        for j in range(ow):
            for a in range(kh):
                for c in range(kw):
                    pixel = x[:, i * sh + a * dh, j * sw + c * dw, :]  # (n, cin)
                    out[:, i, j, :] += pixel @ kernel[a, c]
    return out + bias


def conv1d_loop(x, kernel, bias, stride, padding, dilation):
    k = kernel.shape[0]
    if padding == "same":
        x = np.pad(x, ((0, 0), same_pads(x.shape[1], k, stride, dilation), (0, 0)))
    length = (x.shape[1] - (k - 1) * dilation - 1) // stride + 1
    out = np.zeros((x.shape[0], length, kernel.shape[-1]))
    for i in range(length):
        for a in range(k):
            out[:, i] += x[:, i * stride + a * dilation] @ kernel[a]
    return out + bias


def pool2d_loop(x, pool, strides, padding, kind):
    n, h, w, c = x.shape
    (ph, pw), (sh, sw) = pool, strides
    if padding == "same":
        (t, _), (lft, _) = same_pads(h, ph, sh), same_pads(w, pw, sw)
        oh, ow = math.ceil(h / sh), math.ceil(w / sw)
    else:
        t = lft = 0
        oh, ow = (h - ph) // sh + 1, (w - pw) // sw + 1
    out = np.zeros((n, oh, ow, c))
    for i in range(oh):
        for j in range(ow):
            r0, c0 = i * sh - t, j * sw - lft
            win = x[:, max(r0, 0):min(r0 + ph, h), max(c0, 0):min(c0 + pw, w), :]  # real only
            out[:, i, j] = win.max(axis=(1, 2)) if kind == "max" else win.mean(axis=(1, 2))
    return out


def layer_with(layer, x, **weights):
    """layer.forward(x) with the given arrays, Tensors or Duals as its weights."""
    for name, value in weights.items():
        setattr(layer, name, value)
    return layer.forward(x)


RNG = np.random.default_rng(0)

# ---- convolution ----

CONV2D_CASES = [  # kernel_size, strides, padding, dilation_rate
    ((3, 3), (1, 1), "valid", (1, 1)),
    ((3, 2), (2, 1), "same", (1, 1)),
    ((2, 2), (2, 2), "valid", (1, 1)),
    ((3, 3), (1, 1), "same", (2, 2)),
    ((1, 1), (1, 1), "valid", (1, 1)),
    ((4, 3), (3, 2), "same", (1, 1)),
]


@pytest.mark.parametrize("kernel_size, strides, padding, dilation", CONV2D_CASES)
def test_conv2d_matches_the_loop_and_its_output_shape(kernel_size, strides, padding, dilation):
    x = RNG.standard_normal((2, 7, 6, 3)).astype(np.float32)
    layer = nn.Conv2D(4, kernel_size, strides=strides, padding=padding, dilation_rate=dilation,
                      bias_initializer="normal", seed=1)
    out = layer(x)
    assert layer.kernel.shape == (*kernel_size, 3, 4) and layer.bias.shape == (4,)
    assert out.dtype == np.float32
    expected = conv2d_loop(x.astype(np.float64), layer.kernel.data.astype(np.float64),
                           layer.bias.data, strides, padding, dilation)
    np.testing.assert_allclose(out.data, expected, rtol=1e-5, atol=1e-5)
    assert layer.compute_output_shape((None, 7, 6, 3)) == (None, *out.shape[1:])


@pytest.mark.parametrize("k, stride, padding, dilation", [
    (3, 1, "valid", 1), (2, 2, "same", 1), (3, 1, "same", 2), (5, 3, "valid", 1)])
def test_conv1d_matches_the_loop(k, stride, padding, dilation):
    x = RNG.standard_normal((3, 11, 2)).astype(np.float32)
    layer = nn.Conv1D(5, k, strides=stride, padding=padding, dilation_rate=dilation,
                      activation="tanh", bias_initializer="normal", seed=2)
    out = layer(x)
    assert layer.kernel.shape == (k, 2, 5)
    expected = np.tanh(conv1d_loop(x.astype(np.float64), layer.kernel.data.astype(np.float64),
                                   layer.bias.data, stride, padding, dilation))
    np.testing.assert_allclose(out.data, expected, rtol=1e-5, atol=1e-5)
    assert out.dtype == np.float32
    assert layer.compute_output_shape((None, 11, 2)) == (None, *out.shape[1:])


def test_conv_activation_and_no_bias():
    x = RNG.standard_normal((2, 5, 5, 1))
    layer = nn.Conv2D(3, 2, activation="relu", use_bias=False, dtype=np.float64)
    out = layer(x)
    assert layer.bias is None and len(layer.weights) == 1
    expected = np.maximum(conv2d_loop(x, layer.kernel.data, 0.0, (1, 1), "valid", (1, 1)), 0)
    np.testing.assert_allclose(out.data, expected, atol=1e-12)


@pytest.mark.parametrize("layer_cls, shape, ks", [(nn.Conv2D, (2, 5, 4, 2), (2, 3)),
                                                  (nn.Conv1D, (2, 6, 2), (3,))])
def test_conv_gradients_three_ways(layer_cls, shape, ks):
    layer = layer_cls(3, ks, padding="same", strides=2, activation="tanh", dtype=np.float64,
                      bias_initializer="normal", seed=0)
    x = RNG.standard_normal(shape)
    layer(x)
    k, b = layer.kernel.data.copy(), layer.bias.data.copy()
    assert ag.gradcheck(lambda x, k, b: layer_with(layer, x, kernel=k, bias=b), x, k, b)


def test_conv_errors_name_the_layer_and_shapes():
    with pytest.raises(ValueError,
                       match=r"Conv2D.*\(batch, height, width, channels\).*\(None, 5, 5\)"):
        nn.Conv2D(2, 3)(np.zeros((2, 5, 5)))
    layer = nn.Conv2D(2, 3)
    layer(np.zeros((1, 5, 5, 3)))
    with pytest.raises(ValueError, match="expected 3 input channels, got 1"):
        layer(np.zeros((1, 5, 5, 1)))
    with pytest.raises(ValueError, match="kernel_size"):
        nn.Conv2D(2, (3, 3, 3))
    with pytest.raises(ValueError, match="padding"):
        nn.Conv1D(2, 3, padding="causal")
    with pytest.raises(ValueError, match="channels_last"):
        nn.Conv2D(2, 3, data_format="channels_first")


# ---- pooling ----

POOL_CASES = [((2, 2), None, "valid"), ((3, 3), (2, 2), "valid"), ((2, 2), None, "same"),
              ((3, 2), (2, 3), "same"), ((2, 3), (1, 1), "valid")]


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("pool, strides, padding", POOL_CASES)
def test_pooling2d_matches_the_loop(kind, pool, strides, padding):
    x = RNG.standard_normal((2, 7, 5, 3)).astype(np.float32)
    cls = nn.MaxPooling2D if kind == "max" else nn.AveragePooling2D
    layer = cls(pool, strides=strides, padding=padding)
    out = layer(ag.Tensor(x))
    expected = pool2d_loop(x.astype(np.float64), pool, strides or pool, padding, kind)
    np.testing.assert_allclose(out.data, expected, rtol=1e-6, atol=1e-6)
    assert out.dtype == np.float32
    assert layer.compute_output_shape((None, 7, 5, 3)) == (None, *out.shape[1:])


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("pool, strides, padding",
                         [(2, None, "valid"), (3, 2, "same"), (2, 1, "valid")])
def test_pooling1d_matches_the_loop(kind, pool, strides, padding):
    x = RNG.standard_normal((2, 9, 3))
    cls = nn.MaxPooling1D if kind == "max" else nn.AveragePooling1D
    out = cls(pool, strides=strides, padding=padding)(ag.Tensor(x))
    # a 1-d pool is a 2-d pool over a width-1 image
    expected = pool2d_loop(x[:, :, None, :], (pool, 1), (strides or pool, 1), padding, kind)
    np.testing.assert_allclose(out.data, expected[:, :, 0, :], atol=1e-12)


def test_pooling_defaults_are_keras_ones():
    assert nn.MaxPooling2D().pool_size == (2, 2) and nn.MaxPooling2D().strides == (2, 2)
    assert nn.AveragePooling1D().pool_size == (2,)
    config = nn.MaxPooling2D(3, strides=1).get_config()
    assert {k: config[k] for k in ("pool_size", "strides", "padding", "data_format")} == {
        "pool_size": (3, 3), "strides": (1, 1), "padding": "valid",
        "data_format": "channels_last"}


@pytest.mark.parametrize("keepdims", [False, True])
def test_global_pooling(keepdims):
    x = RNG.standard_normal((3, 4, 5, 2))
    for cls, ref in ((nn.GlobalMaxPooling2D, np.max), (nn.GlobalAveragePooling2D, np.mean)):
        layer = cls(keepdims=keepdims)
        out = layer(x)
        np.testing.assert_allclose(np.asarray(getattr(out, "data", out)),
                                   ref(x, axis=(1, 2), keepdims=keepdims))
        assert layer.compute_output_shape((None, 4, 5, 2)) == (None, *np.shape(out)[1:])
    for cls, ref in ((nn.GlobalMaxPooling1D, np.max), (nn.GlobalAveragePooling1D, np.mean)):
        out = cls(keepdims=keepdims)(ag.Tensor(x[:, 0]))
        np.testing.assert_allclose(out.data, ref(x[:, 0], axis=1, keepdims=keepdims))


@pytest.mark.parametrize("layer", [nn.MaxPooling2D(2, padding="same"), nn.AveragePooling2D(
    (2, 3), strides=1), nn.GlobalMaxPooling2D(), nn.GlobalAveragePooling2D(keepdims=True)],
    ids=lambda m: type(m).__name__)
def test_pooling_gradients_three_ways(layer):
    x = RNG.permutation(60).reshape(1, 5, 4, 3) / 7.0  # distinct values: no tied maxima
    assert ag.gradcheck(lambda x: layer(x), x)


def test_pooling_errors():
    with pytest.raises(ValueError, match=r"MaxPooling2D.*, 4, 4\)"):
        nn.MaxPooling2D()(np.zeros((2, 4, 4)))
    with pytest.raises(ValueError, match="pool_size"):
        nn.MaxPooling1D(0)


# ---- reshaping ----


def test_flatten_and_reshape():
    x = RNG.standard_normal((2, 3, 4, 5))
    flat = nn.Flatten()(ag.Tensor(x))
    np.testing.assert_array_equal(flat.data, x.reshape(2, -1))
    assert nn.Flatten().compute_output_shape((None, 3, 4, 5)) == (None, 60)
    assert nn.Flatten()(ag.Tensor(np.arange(3.0))).shape == (3, 1)  # Keras: (batch,) -> (batch, 1)
    r = nn.Reshape((4, -1))
    np.testing.assert_array_equal(r(ag.Tensor(x)).data, x.reshape(2, 4, 15))
    assert r.compute_output_shape((None, 3, 4, 5)) == (None, 4, 15)
    assert r.get_config()["target_shape"] == (4, -1)
    with pytest.raises(ValueError, match=r"cannot reshape samples of shape \(3, 4, 5\)"):
        nn.Reshape((7, -1))(ag.Tensor(x))
    with pytest.raises(ValueError, match="at most one -1"):
        nn.Reshape((-1, -1))
    assert ag.gradcheck(lambda x: nn.Reshape((5, 12))(nn.Flatten()(x)) ** 2, x)
