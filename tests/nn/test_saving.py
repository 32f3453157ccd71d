"""Whole-model files: model.save / nn.load_model, in this process and in a new one."""

import builtins
import json
import pickle
import struct
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import nn

# a subclassed model lives in a module of its own, so a new process can import it
CUSTOM = textwrap.dedent('''
    import nn

    class Residual(nn.Module):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.inner = nn.Dense(units, activation="tanh")
            self.out = nn.Dense(1)

        def forward(self, x):
            return self.out(self.inner(x) + x)

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    @nn.register_serializable(package="tests")
    class Rescale(nn.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def forward(self, x):
            return x * self.factor

        def compute_output_shape(self, input_shape):
            return input_shape

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}
''')

LOAD_AND_PREDICT = textwrap.dedent('''
    import sys
    import numpy as np
    sys.path.insert(0, sys.argv[3])
    import custom_layers  # noqa: F401  (defines Residual and Rescale)
    import nn
    model = nn.load_model(sys.argv[1])
    np.save(sys.argv[2], model.predict(np.load(sys.argv[2] + ".in.npy")))
''')


def _functional():
    x = nn.Input(shape=(4,))
    h = nn.Dense(6, activation="relu")(x)
    shared = nn.Dense(6)
    out = nn.Dense(2)(nn.Add()([shared(h), shared(shared(h))]))
    inner = nn.Model(x, out, name="inner")
    y = nn.Input(shape=(4,))
    return nn.Model(y, nn.Concatenate()([inner(y), y]))


@pytest.fixture
def custom(tmp_path, monkeypatch):
    (tmp_path / "custom_layers.py").write_text(CUSTOM)
    monkeypatch.syspath_prepend(str(tmp_path))
    import importlib

    import custom_layers
    return importlib.reload(custom_layers)


def _models(custom):
    nn.set_seed(1)
    scaled_in = nn.Input(shape=(4,))
    yield "sequential", nn.Sequential([nn.Input(shape=(4,)), nn.Dense(5, "relu"), nn.Dense(2)])
    yield "mlp", nn.MLP([4, 8, 3], activation="relu")
    yield "functional", _functional()
    yield "subclassed", _built(custom.Residual(4))
    yield "registered", nn.Model(scaled_in, nn.Dense(2)(custom.Rescale(3.0)(scaled_in)))


def _built(model):
    model(np.zeros((1, 4), np.float32))
    return model


def test_each_kind_reloads_with_identical_predictions_in_a_new_process(tmp_path, custom):
    X = np.random.default_rng(0).normal(size=(7, 4)).astype(np.float32)
    for kind, model in _models(custom):
        path = tmp_path / f"{kind}.safetensors"
        model.save(path)
        out = tmp_path / f"{kind}.npy"
        np.save(f"{out}.in.npy", X)
        subprocess.run([sys.executable, "-c", LOAD_AND_PREDICT, str(path), str(out),
                        str(tmp_path)], check=True, capture_output=True)
        np.testing.assert_array_equal(np.load(out), model.predict(X), err_msg=kind)
        again = nn.load_model(path)
        assert type(again) is type(model)
        if kind != "mlp":  # an MLP's config is its sizes: its layers get new names
            assert [layer.name for layer in getattr(again, "layers", [])] == \
                [layer.name for layer in getattr(model, "layers", [])]


def test_compile_config_and_optimizer_state_are_restored(tmp_path):
    nn.set_seed(2)
    model = nn.Sequential([nn.Dense(3, "relu", input_shape=(2,)), nn.Dense(1)])
    model.compile(nn.Adam(model.parameters(), lr=0.01), "mse", metrics=["mae"])
    X = np.random.default_rng(0).normal(size=(16, 2))
    model.fit(X, X[:, :1], epochs=2, verbose=0)
    model.save(tmp_path / "m.safetensors")
    again = nn.load_model(tmp_path / "m.safetensors")
    assert isinstance(again.optimizer, nn.Adam) and again.optimizer.lr == 0.01
    assert again.optimizer.iterations == model.optimizer.iterations
    for a, b in zip(again.optimizer.state, model.optimizer.state):
        for k in b:
            np.testing.assert_array_equal(a[k], b[k])
    assert set(again.evaluate(X, X[:, :1])) == {"loss", "mae"}
    bare = nn.load_model(tmp_path / "m.safetensors", compile=False)
    assert bare.optimizer is None


RESUME = textwrap.dedent('''
    import sys
    import numpy as np
    import nn
    X = np.random.default_rng(0).normal(size=(40, 3))
    y = np.sin(X.sum(axis=1, keepdims=True))
    if sys.argv[1] == "start":
        nn.set_seed(7)
        model = nn.Sequential([nn.Dense(8, "tanh", input_shape=(3,)), nn.Dropout(0.3),
                               nn.Dense(1)])
        model.compile("adam", "mse", lr=0.01)
        model.fit(X, y, epochs=2, batch_size=8, seed=3, verbose=0)
        model.save(sys.argv[2])
    else:
        model = nn.load_model(sys.argv[2])
        model.fit(X, y, epochs=4, initial_epoch=2, batch_size=8, seed=3, verbose=0)
        np.savez(sys.argv[3], *model.get_weights())
''')


def test_resuming_in_a_new_process_equals_training_straight_through(tmp_path):
    # shuffled batches (each epoch's order comes from the seed and the epoch) and dropout
    # (each layer's generator is saved) included
    path, out = tmp_path / "half.safetensors", tmp_path / "resumed.npz"
    for step in ("start", "resume"):
        subprocess.run([sys.executable, "-c", RESUME, step, str(path), str(out)], check=True,
                       capture_output=True)
    X = np.random.default_rng(0).normal(size=(40, 3))
    y = np.sin(X.sum(axis=1, keepdims=True))
    nn.set_seed(7)
    model = nn.Sequential([nn.Dense(8, "tanh", input_shape=(3,)), nn.Dropout(0.3),
                           nn.Dense(1)])
    model.compile("adam", "mse", lr=0.01)
    model.fit(X, y, epochs=4, batch_size=8, seed=3, verbose=0)
    resumed = np.load(out)
    for i, w in enumerate(model.get_weights()):
        np.testing.assert_array_equal(resumed[f"arr_{i}"], w)


def test_unknown_class_names_the_class_and_the_fix(tmp_path, custom):
    model = _built(custom.Residual(4))
    path = tmp_path / "r.safetensors"
    model.save(path)
    del nn.registry.LAYER_CLASSES["Residual"]  # as in a process that never imported the class
    try:
        with pytest.raises(ValueError, match=r"unknown layer class 'Residual'.*custom_objects="
                                             r".*register_serializable"):
            nn.load_model(path)
        again = nn.load_model(path, custom_objects={"Residual": custom.Residual})
        np.testing.assert_array_equal(again.predict(np.ones((2, 4))),
                                      model.predict(np.ones((2, 4))))
    finally:
        nn.registry.LAYER_CLASSES["Residual"] = custom.Residual


def test_a_file_is_data_only_and_loading_runs_no_code(tmp_path, monkeypatch):
    model = _functional()
    path = tmp_path / "m.safetensors"
    model.save(path)
    data = path.read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])  # the header is plain JSON...
    sizes = sum(v["data_offsets"][1] - v["data_offsets"][0]
                for k, v in header.items() if k != "__metadata__")
    assert len(data) == 8 + n + sizes  # ...followed by raw tensor bytes and nothing else
    assert b"\x80\x04\x95" not in data and b"\x80\x02" not in data[:8 + n]  # no pickle frames
    json.loads(header["__metadata__"]["autograd_core.model_config"])

    def refuse(*args, **kwargs):
        raise AssertionError("load_model ran code or unpickled")

    for name in ("load", "loads", "Unpickler"):
        monkeypatch.setattr(pickle, name, refuse)
    monkeypatch.setattr(builtins, "eval", refuse)
    monkeypatch.setattr(builtins, "exec", refuse)
    nn.load_model(path)


def test_a_class_name_in_the_file_cannot_reach_arbitrary_callables(tmp_path):
    model = nn.Sequential([nn.Dense(2, input_shape=(2,))])
    path = tmp_path / "m.safetensors"
    model.save(path)
    state, meta = nn.io.load_state(path)
    doc = json.loads(meta["autograd_core.model_config"])
    doc["model"]["class_name"] = "os.system"
    doc["model"]["config"] = {"command": "touch hacked"}
    meta["autograd_core.model_config"] = json.dumps(doc)
    meta.pop("autograd_core.format_version")
    nn.io.save_state(path, state, meta)
    with pytest.raises(ValueError, match="unknown layer class 'os.system'"):
        nn.load_model(path)


def test_weights_only_file_says_how_to_convert(tmp_path):
    model = nn.Sequential([nn.Dense(2, input_shape=(2,))])
    model.save_weights(tmp_path / "w.safetensors")
    with pytest.raises(nn.io.WeightsFileError, match=r"load_weights\(path\).*model.save"):
        nn.load_model(tmp_path / "w.safetensors")


def test_get_weights_set_weights_follow_keras_order():
    model = _functional()
    weights = model.get_weights()
    assert [w.shape for w in weights] == [p.shape for p in model.weights]
    model.set_weights([np.zeros_like(w) for w in weights])
    assert all(not w.any() for w in model.get_weights())
    with pytest.raises(ValueError, match="expected 6 arrays"):
        model.set_weights(weights[:-1])


LAYERS = [
    lambda: nn.Dense(3, activation="relu", use_bias=False, kernel_initializer="he_normal",
                     kernel_regularizer=nn.L2(0.01), name="d"),
    lambda: nn.Neuron(activation="tanh"),
    lambda: nn.Perceptron(activation="sign"),
    lambda: nn.Maxout(2, pieces=3),
    lambda: nn.Dropout(0.25),
    lambda: nn.Activation("leaky_relu", alpha=0.2),
    lambda: nn.InputLayer(shape=(3,), name="inp"),
    lambda: nn.Concatenate(axis=1),
    *[cls for cls in (nn.Add, nn.Subtract, nn.Multiply, nn.Average, nn.Maximum, nn.Minimum)],
]


@pytest.mark.parametrize("make", LAYERS)
def test_every_layer_round_trips_through_its_config(make):
    layer = make()
    config = layer.get_config()
    json.dumps(config)  # plain data
    assert {"name", "dtype"} <= set(config)
    again = nn.layers.deserialize(json.loads(json.dumps(nn.layers.serialize(layer))))
    assert type(again) is type(layer) and again.get_config() == config


def test_callers_may_add_their_own_metadata(tmp_path):
    model = nn.Sequential([nn.Dense(2, input_shape=(2,))])
    nn.save_model(model, tmp_path / "m.safetensors", metadata={"run": '{"epochs": 3}'})
    _, meta = nn.io.load_state(tmp_path / "m.safetensors")
    assert json.loads(meta["run"]) == {"epochs": 3}
    with pytest.raises(ValueError, match="reserved"):
        nn.save_model(model, tmp_path / "m.safetensors", metadata={"model_class": "x"})


def test_a_functional_model_of_the_new_layer_families_reloads(tmp_path):
    nn.set_seed(0)
    x = nn.Input(shape=(8, 8, 1))
    h = nn.BatchNormalization()(nn.Conv2D(4, 3, activation="relu")(x))
    h = nn.Flatten()(nn.MaxPooling2D(2)(h))
    t = nn.Input(shape=(5,), dtype="int64", name="tokens")
    out = nn.Dense(3)(nn.Concatenate()([h, nn.LSTM(6)(nn.Embedding(20, 4)(t))]))
    model = nn.Model([x, t], out)
    names = [layer.name for layer in model.layers]  # Keras's automatic names
    assert names[1].startswith("conv2d") and names[3].startswith("max_pooling2d")
    model.compile("adam", "sparse_categorical_crossentropy", from_logits=True)
    X = np.random.default_rng(0).normal(size=(16, 8, 8, 1))
    T = np.random.default_rng(1).integers(0, 20, size=(16, 5))
    model.fit([X, T], np.arange(16) % 3, epochs=1, verbose=0)  # moves BN's statistics
    model.save(tmp_path / "mixed.safetensors")
    again = nn.load_model(tmp_path / "mixed.safetensors")
    np.testing.assert_array_equal(again.predict([X, T]), model.predict([X, T]))
