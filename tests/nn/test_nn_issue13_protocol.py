"""Every convolutional, pooling, reshaping, normalization, embedding and recurrent layer keeps
the layer protocol: config round trip, Sequential and summary(), weights files, freezing,
float32, and compute_output_shape agreeing with what forward returns."""

from __future__ import annotations

import json

import numpy as np
import pytest

import autograd_core as ag
import nn

# (layer factory, one sample's input shape, integer ids?)
LAYERS = [
    (lambda: nn.Conv2D(3, (2, 3), strides=(1, 2), padding="same", activation="relu"),
     (6, 7, 2), False),
    (lambda: nn.Conv1D(4, 3, dilation_rate=2, activation="gelu"), (9, 2), False),
    (lambda: nn.MaxPooling2D(), (6, 6, 2), False),
    (lambda: nn.AveragePooling2D(3, strides=2, padding="same"), (7, 5, 2), False),
    (lambda: nn.MaxPooling1D(3), (9, 2), False),
    (lambda: nn.AveragePooling1D(), (8, 3), False),
    (lambda: nn.GlobalAveragePooling2D(), (4, 4, 3), False),
    (lambda: nn.GlobalMaxPooling2D(keepdims=True), (4, 4, 3), False),
    (lambda: nn.GlobalAveragePooling1D(), (5, 3), False),
    (lambda: nn.GlobalMaxPooling1D(), (5, 3), False),
    (lambda: nn.Flatten(), (3, 4, 2), False),
    (lambda: nn.Reshape((-1, 4)), (3, 4, 2), False),
    (lambda: nn.BatchNormalization(momentum=0.9), (4, 4, 3), False),
    (lambda: nn.LayerNormalization(), (5, 3), False),
    (lambda: nn.Embedding(12, 4), (6,), True),
    (lambda: nn.SimpleRNN(4, activation="relu"), (5, 3), False),
    (lambda: nn.LSTM(4, return_sequences=True), (5, 3), False),
    (lambda: nn.GRU(4, go_backwards=True), (5, 3), False),
    (lambda: nn.GRU(3, reset_after=False, recurrent_initializer=nn.init.Orthogonal(1.5),
                    activation="softsign", recurrent_activation="hard_sigmoid"), (5, 3), False),
]
IDS = [type(make()).__name__ + str(i) for i, (make, _, _) in enumerate(LAYERS)]
RNG = np.random.default_rng(0)


def batch(shape, ids, n=4):
    if ids:
        return RNG.integers(0, 12, (n, *shape))
    return RNG.standard_normal((n, *shape)).astype(np.float32)


def scalar(out):
    return ag.sum(out * out)


@pytest.mark.parametrize("make, shape, ids", LAYERS, ids=IDS)
def test_output_shape_dtype_and_config_round_trip(make, shape, ids):
    layer = make()
    x = batch(shape, ids)
    with layer.mode(training=False):
        out = layer(x)
    assert out.dtype == np.float32
    assert tuple(layer.compute_output_shape((None, *shape))) == (None, *out.shape[1:])
    spec = json.loads(json.dumps(nn.layers.serialize(layer)))  # as a model file keeps it
    copy = nn.layers.deserialize(spec)
    assert type(copy) is type(layer) and not copy.built or not layer.weights
    config = copy.get_config()
    assert json.dumps({k: v for k, v in config.items() if k != "name"}) == \
        json.dumps({k: v for k, v in layer.get_config().items() if k != "name"})
    with copy.mode(training=False):
        copy(x)
        copy.set_weights(layer.get_weights())
        np.testing.assert_array_equal(copy(x).data, out.data)


@pytest.mark.parametrize("make, shape, ids", LAYERS, ids=IDS)
def test_in_sequential_with_summary_and_weights_files(make, shape, ids, tmp_path):
    def model(seed):
        nn.set_seed(seed)
        return nn.Sequential(make(), nn.Flatten(), nn.Dense(2))

    a = model(0)
    a.build((None, *shape))
    text = a.summary(print_fn=None)
    assert type(a.layers[0]).__name__ in text and "?" not in text
    x = batch(shape, ids)
    a(x)  # training mode: BatchNormalization moves its statistics
    a.save_weights(tmp_path / "w.safetensors")
    b = model(1)
    b.build((None, *shape))
    b.load_weights(tmp_path / "w.safetensors")
    np.testing.assert_array_equal(a.predict(x), b.predict(x))


@pytest.mark.parametrize("make, shape, ids", [case for case in LAYERS if case[0]().built is False],
                         ids=[i for i, case in zip(IDS, LAYERS) if case[0]().built is False])
def test_trainable_false_freezes_the_layer(make, shape, ids):
    layer = make()
    x = batch(shape, ids)
    layer(x)
    layer.trainable = False
    assert layer.trainable_weights == [] and layer.weights
    assert not layer(x).requires_grad  # nothing in the layer takes a gradient
    if not ids:
        x_t = ag.Tensor(x, requires_grad=True)
        scalar(layer(x_t)).backward()
        assert x_t.grad is not None and all(p.grad is None for p in layer.weights)
    layer.trainable = True
    scalar(layer(x)).backward()
    assert all(p.grad is not None for p in layer.trainable_weights)
