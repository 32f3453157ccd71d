"""The layer protocol (Module's docstring): build, add_weight, compute_output_shape, configs,
weights, trainable, losses, the mode context, names and the per-layer generator."""

import numpy as np
import pytest

import autograd_core as ag
import nn
from nn import MLP, Activation, Dense, Dropout, Maxout, Neuron, Perceptron, Sequential


class Scale(nn.Layer):
    """A layer written only with public names: one scale per feature."""

    def __init__(self, l2=0.0, **kwargs):
        super().__init__(**kwargs)
        self.l2 = l2
        self.build_calls = []

    def build(self, input_shape):
        self.build_calls.append(input_shape)
        penalty = nn.L2(self.l2) if self.l2 else None
        self.scale = self.add_weight("scale", (input_shape[-1],), "ones", regularizer=penalty)
        self.count = self.add_weight("count", (), "zeros", trainable=False)

    def forward(self, x):
        return x * self.scale

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "l2": self.l2}


def test_layer_is_module_and_names_are_kerass():
    assert nn.Layer is nn.Module
    nn.clear_session()
    a, b, s = Dense(2), Dense(3), Sequential()
    assert (a.name, b.name, s.name) == ("dense", "dense_1", "sequential")
    assert Dense(1, name="out").name == "out"
    assert Scale().name == "scale" and nn.layers.core.Maxout(2, 2).name == "maxout"
    with pytest.raises(TypeError, match="name must be a str"):
        Dense(1, name=3)


def test_build_is_called_once_with_the_batch_axis_as_none():
    layer = Scale()
    assert not layer.built and layer.weights == []
    layer(np.ones((5, 3)))
    layer(np.ones((7, 3)))
    assert layer.built and layer.build_calls == [(None, 3)]
    assert layer.scale.shape == (3,) and layer.get_build_config() == {"input_shape": (None, 3)}


@pytest.mark.parametrize("kwargs", [{"input_shape": (4,)}, {"input_dim": 4}])
def test_input_shape_and_input_dim_build_at_once(kwargs):
    layer = Scale(**kwargs)
    assert layer.built and layer.build_calls == [(None, 4)]
    assert Dense(2, **kwargs).kernel.shape == (4, 2)
    assert Dropout(0.5, **kwargs).get_build_config() == {"input_shape": (None, 4)}


def test_input_shape_errors():
    with pytest.raises(TypeError, match="input_shape or input_dim, not both"):
        Dense(2, input_dim=3, input_shape=(3,))
    with pytest.raises(ValueError, match="input_dim must be a positive integer"):
        Scale(input_dim=0)


def test_compute_output_shape_without_running_or_building():
    dense = Dense(5)
    assert dense.compute_output_shape((None, 3)) == (None, 5) and not dense.built
    assert dense.compute_output_shape((None, 2, 3)) == (None, 2, 5)
    assert Dropout(0.2).compute_output_shape((None, 7)) == (None, 7)
    assert Activation("relu").compute_output_shape((None, 7)) == (None, 7)
    assert Maxout(3, 2).compute_output_shape((None, 4)) == (None, 3)
    assert Perceptron().compute_output_shape((None, 4)) == (None, 1)
    model = Sequential(Dense(8, "relu"), Dropout(0.1), Dense(2))
    assert model.compute_output_shape((None, 4)) == (None, 2)
    assert MLP([4, 6, 3]).compute_output_shape((None, 4)) == (None, 3)


def test_default_compute_output_shape_runs_one_sample_in_eval_mode():
    class Twice(nn.Layer):
        def forward(self, x):
            assert not self.training
            return ag.concatenate([x, x], axis=-1)

    layer = Twice()
    assert layer.compute_output_shape((None, 3)) == (None, 6) and layer.training


@pytest.mark.parametrize("make", [
    lambda: Dense(3, "relu", use_bias=False, kernel_initializer="he_normal",
                  kernel_regularizer=nn.L2(0.01), name="d"),
    lambda: Neuron("tanh"), lambda: Perceptron(activation="sign"), lambda: Maxout(3, 2),
    lambda: Dropout(0.3), lambda: Activation("leaky_relu", alpha=0.1),
    lambda: MLP([2, 4, 1], activation="relu", output_activation="sigmoid"),
    lambda: Scale(l2=0.5),
], ids=["Dense", "Neuron", "Perceptron", "Maxout", "Dropout", "Activation", "MLP", "custom"])
def test_config_round_trip(make):
    layer = make()
    config = layer.get_config()
    assert {"name", "trainable", "dtype"} <= set(config) and config["dtype"] == "float32"
    again = type(layer).from_config(config)
    assert type(again) is type(layer) and again.get_config() == config
    spec = nn.layers.serialize(layer)
    assert spec["class_name"] == type(layer).__name__
    assert nn.layers.deserialize(spec).get_config() == config


def test_dense_config_uses_kerass_keys():
    config = Dense(3, "relu").get_config()
    assert config["units"] == 3 and config["activation"] == "relu" and config["use_bias"]
    assert config["kernel_initializer"] == {"class_name": "GlorotUniform",
                                            "config": {"seed": None}}


def test_sequential_config_rebuilds_the_same_architecture():
    model = Sequential(Dense(4, "tanh", input_dim=3), Dropout(0.5), Dense(2))
    config = model.get_config()
    assert config["build_input_shape"] == (None, 3) and len(config["layers"]) == 3
    again = Sequential.from_config(config)
    assert [w.shape for w in again.weights] == [w.shape for w in model.weights]
    with pytest.raises(ValueError, match="unknown layer class 'Nope'"):
        nn.layers.deserialize({"class_name": "Nope", "config": {}})


def test_get_and_set_weights_in_keras_order():
    model = Sequential(Dense(4, input_dim=3, seed=0), Dense(2, seed=1))
    weights = model.get_weights()
    assert [w.shape for w in weights] == [(3, 4), (4,), (4, 2), (2,)]
    weights[0] += 1
    assert not np.array_equal(weights[0], model.layers[0].kernel.data)  # copies
    other = Sequential(Dense(4, input_dim=3, seed=5), Dense(2, seed=6))
    other.set_weights(weights)
    np.testing.assert_array_equal(other.layers[0].kernel.data, weights[0])
    with pytest.raises(ValueError, match="expected 4 arrays"):
        other.set_weights(weights[:3])
    with pytest.raises(ValueError, match=r"weight 1 .* shape \(4,\), got .* \(5,\)"):
        other.set_weights([weights[0], np.zeros(5), weights[2], weights[3]])


def test_trainable_false_freezes_and_true_unfreezes():
    model = Sequential(Scale(input_dim=3), Dense(1, seed=0))
    scale = model.layers[0]
    assert len(model.trainable_weights) == 3 and model.non_trainable_weights == [scale.count]
    model.trainable = False
    assert model.trainable_weights == [] and not model.layers[1].trainable
    assert "Non-trainable params: 8" in model.summary(print_fn=None)
    model.trainable = True
    assert len(model.trainable_weights) == 3 and not scale.count.requires_grad  # stays frozen


def test_a_frozen_layer_is_not_trained_by_fit():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((32, 3)).astype(np.float32)
    y = X.sum(axis=1, keepdims=True)
    model = Sequential(Dense(4, input_dim=3, seed=0), Dense(1, seed=1))
    model.layers[0].trainable = False
    frozen = model.layers[0].get_weights()
    model.compile("sgd", "mse", lr=0.1)
    model.fit(X, y, epochs=3, verbose=0)
    for a, b in zip(frozen, model.layers[0].get_weights()):
        np.testing.assert_array_equal(a, b)
    assert model.layers[0].kernel.grad is None
    model.layers[0].trainable = True
    model.fit(X, y, epochs=1, verbose=0)
    assert not np.array_equal(frozen[0], model.layers[0].kernel.data)


def test_losses_collect_penalties_and_added_losses():
    model = Sequential(Dense(2, input_dim=3, kernel_regularizer=nn.L2(0.1), seed=0),
                       Scale(l2=0.5))
    model(np.ones((1, 3)))
    dense, scale = model.layers
    assert len(model.losses) == 2
    expected = 0.1 * np.sum(dense.kernel.data ** 2) + 0.5 * 2.0
    assert float(model.regularization_loss().data) == pytest.approx(expected, rel=1e-6)

    class WithActivityLoss(nn.Layer):
        def forward(self, x):
            self.add_loss(ag.mean(x * x))
            return x

    layer = WithActivityLoss()
    layer(np.full((2, 2), 3.0))
    layer(np.full((2, 2), 2.0))  # cleared at each outermost call
    assert [float(t.data) for t in layer.losses] == [4.0]


def test_mode_context_restores_every_layer_even_after_an_error():
    model = Sequential(Dense(2, input_dim=2), Dropout(0.5))
    model.layers[1].training = False
    with model.mode(training=False):
        assert not any(m.training for m in model.modules())
    assert model.training and not model.layers[1].training
    with pytest.raises(RuntimeError), model.mode(training=True):
        raise RuntimeError("boom")
    assert not model.layers[1].training


def test_layer_rng_is_public_and_drives_dropout():
    a, b = Dropout(0.5, seed=3), Dropout(0.5)
    b.rng = np.random.default_rng(3)
    x = np.ones((4, 6))
    np.testing.assert_array_equal(a(x).data, b(x).data)
    assert isinstance(Dense(2).rng, np.random.Generator)


def test_a_layer_needs_no_super_init():
    class Bare(nn.Layer):
        def __init__(self):
            self.w = nn.Parameter(np.ones(2))

        def forward(self, x):
            return x * self.w

    bare = Bare()
    assert bare.built and bare.trainable and bare.name.startswith("bare")
    assert isinstance(bare.rng, np.random.Generator) and len(bare.weights) == 1
