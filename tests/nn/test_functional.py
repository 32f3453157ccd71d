"""The functional API: nn.Input, layer calls on symbolic tensors, nn.Model as a DAG."""

import numpy as np
import pytest

import autograd_core as ag
import nn


def _relu(z):
    return np.maximum(z, 0)


def _skip_model():
    """x -> Dense(5, relu) -> h; shared Dense(5) applied twice; Add(h, twice); concat with x."""
    x = nn.Input(shape=(3,), name="x", dtype=np.float64)
    h = nn.Dense(5, activation="relu", dtype=np.float64, name="h")(x)
    shared = nn.Dense(5, activation="tanh", dtype=np.float64, name="shared")
    twice = shared(shared(h))
    s = nn.Add(name="add")([h, twice])
    c = nn.Concatenate(name="cat")([s, x])
    out = nn.Dense(2, dtype=np.float64, name="out")(c)
    return nn.Model(inputs=x, outputs=out, name="skip")


def _numpy_forward(model, x):
    k = {p.name: p.data for p in model.parameters()}
    h = _relu(x @ k["h.kernel"] + k["h.bias"])
    a = np.tanh(h @ k["shared.kernel"] + k["shared.bias"])
    t = np.tanh(a @ k["shared.kernel"] + k["shared.bias"])
    c = np.concatenate([h + t, x], axis=-1)
    return c @ k["out.kernel"] + k["out.bias"]


def test_input_is_symbolic_and_layer_calls_record_nodes():
    x = nn.Input(shape=(784,), name="pixels")
    assert x.shape == (None, 784) and x.dtype == np.float32 and x.ndim == 2
    dense = nn.Dense(32, activation="relu")
    h = dense(x)
    assert isinstance(h, nn.KerasTensor) and h.shape == (None, 32)
    assert dense.built and dense.kernel.shape == (784, 32)  # built from the symbolic shape
    assert h.node.layer is dense and h.node.inputs == [x]
    assert "KerasTensor shape=(None, 784)" in repr(x)
    with pytest.raises(TypeError, match="symbolic"):
        np.asarray(x)


def test_forward_pass_matches_numpy_with_skip_and_shared_layers():
    model = _skip_model()
    x = np.random.default_rng(0).normal(size=(4, 3))
    np.testing.assert_allclose(model(x).data, _numpy_forward(model, x), rtol=1e-12)
    np.testing.assert_allclose(model.predict(x), _numpy_forward(model, x), rtol=1e-12)


def test_gradients_match_finite_differences_of_the_numpy_forward():
    model = _skip_model()
    x = np.random.default_rng(1).normal(size=(4, 3))
    y = np.random.default_rng(2).normal(size=(4, 2))
    loss = ag.mean((model(x) - y) ** 2)
    loss.backward()
    eps = 1e-6
    for p in model.parameters():
        num = np.zeros_like(p.data)
        for i in np.ndindex(p.shape):
            old = p.data[i]
            p.data[i] = old + eps
            up = np.mean((_numpy_forward(model, x) - y) ** 2)
            p.data[i] = old - eps
            down = np.mean((_numpy_forward(model, x) - y) ** 2)
            p.data[i] = old
            num[i] = (up - down) / (2 * eps)
        np.testing.assert_allclose(p.grad, num, rtol=1e-5, atol=1e-8, err_msg=p.name)


def test_a_shared_layer_has_one_set_of_weights_and_two_nodes():
    model = _skip_model()
    shared = model.get_layer("shared")
    assert len([n for n in model._nodes if n.layer is shared]) == 2
    assert [n for n, _ in model.named_parameters()] == [
        "h.kernel", "h.bias", "shared.kernel", "shared.bias", "out.kernel", "out.bias"]
    assert model.count_params() == (3 * 5 + 5) + (5 * 5 + 5) + (8 * 2 + 2)


def test_layers_get_layer_inputs_outputs():
    model = _skip_model()
    assert [layer.name for layer in model.layers] == ["x", "h", "shared", "add", "cat", "out"]
    assert isinstance(model.layers[0], nn.InputLayer)
    assert model.get_layer(index=1) is model.get_layer("h")
    assert model.inputs[0].shape == (None, 3) and model.outputs[0].shape == (None, 2)
    with pytest.raises(ValueError, match="no layer named 'nope'"):
        model.get_layer("nope")


def test_keras_1_spelling_and_nested_models():
    inner_in = nn.Input(shape=(4,))
    inner = nn.Model(input=inner_in, output=nn.Dense(3, name="inner_dense")(inner_in),
                     name="inner")
    x = nn.Input(shape=(4,))
    out = nn.Dense(1, name="head")(inner(x))
    outer = nn.Model(x, out)
    assert outer.compute_output_shape((None, 4)) == (None, 1)
    data = np.ones((2, 4), np.float32)
    expected = nn.Model(x, out)(data).data
    np.testing.assert_allclose(outer(data).data, expected)
    assert "inner.inner_dense.kernel" in dict(outer.named_parameters())
    inner.trainable = False  # freezing a nested model freezes its layers
    assert {p.name for p in outer.trainable_weights} == {"head.kernel", "head.bias"}


def test_multiple_inputs_and_outputs_as_lists_and_dicts():
    a = nn.Input(shape=(2,), name="a")
    b = nn.Input(shape=(3,), name="b")
    joined = nn.Concatenate()([a, b])
    y1 = nn.Dense(1, name="y1")(joined)
    y2 = nn.Dense(4, name="y2")(joined)
    model = nn.Model(inputs=[a, b], outputs={"score": y1, "probs": y2})
    xa, xb = np.ones((5, 2)), np.zeros((5, 3))
    out = model([xa, xb])
    assert set(out) == {"score", "probs"} and out["probs"].shape == (5, 4)
    by_name = model({"b": xb, "a": xa})
    np.testing.assert_array_equal(by_name["score"].data, out["score"].data)
    assert model.output_names == ["score", "probs"]
    with pytest.raises(ValueError, match=r"expects 2 inputs \['a', 'b'\]"):
        model(xa)
    with pytest.raises(ValueError, match=r"input 'b' expects shape \(None, 3\), got shape"):
        model([xa, np.zeros((5, 4))])


@pytest.mark.parametrize("layer, numpy_op", [
    (nn.Add, lambda a, b: a + b),
    (nn.Subtract, lambda a, b: a - b),
    (nn.Multiply, lambda a, b: a * b),
    (nn.Average, lambda a, b: (a + b) / 2),
    (nn.Maximum, np.maximum),
    (nn.Minimum, np.minimum),
    (nn.Concatenate, lambda a, b: np.concatenate([a, b], -1)),
])
def test_merge_layers_compute_as_numpy(layer, numpy_op):
    a, b = nn.Input(shape=(3,)), nn.Input(shape=(3,))
    model = nn.Model([a, b], layer()([a, b]))
    rng = np.random.default_rng(3)
    xa, xb = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    np.testing.assert_allclose(model([xa, xb]), numpy_op(xa.astype(np.float32),
                                                         xb.astype(np.float32)), rtol=1e-6)
    assert model.outputs[0].shape == numpy_op(xa, xb).shape[:0] + (None,) + \
        numpy_op(xa, xb).shape[1:]


def test_shape_errors_name_both_layers_and_shapes():
    x = nn.Input(shape=(4,), name="x")
    h = nn.Dense(8, name="wide")(x)
    with pytest.raises(ValueError, match=r"Add 'bad_add' called on the output of 'wide' "
                                         r"\(shape \(None, 8\)\), 'x' \(shape \(None, 4\)\)"):
        nn.Add(name="bad_add")([h, x])
    with pytest.raises(ValueError, match=r"Concatenate 'c'.*equal shapes except along axis"):
        nn.Concatenate(axis=1, name="c")([nn.Input(shape=(2, 3)), nn.Input(shape=(2, 4))])
    with pytest.raises(ValueError, match="needs exactly 2 inputs"):
        nn.Subtract()([x, x, x])
    with pytest.raises(ValueError, match="on a list of inputs"):
        nn.Add()(x)
    dense = nn.Dense(3, name="d")
    dense(h)
    with pytest.raises(ValueError, match=r"Dense 'd' was built for input shape \(None, 8\), "
                                         r"but is called on the output of 'x'"):
        dense(x)


def test_graph_disconnected_and_duplicate_names():
    a, b = nn.Input(shape=(2,), name="in_a"), nn.Input(shape=(2,), name="in_b")
    s = nn.Add()([a, b])
    with pytest.raises(ValueError, match="graph disconnected.*'in_b'"):
        nn.Model(inputs=a, outputs=s)
    x = nn.Input(shape=(2,))
    y = nn.Dense(2, name="same")(nn.Dense(2, name="same")(x))
    with pytest.raises(ValueError, match="unique"):
        nn.Model(x, y)


def test_fit_a_functional_model():
    nn.set_seed(0)
    x = nn.Input(shape=(2,))
    h = nn.Dense(16, activation="tanh")(x)
    out = nn.Dense(1)(nn.Concatenate()([h, x]))
    model = nn.Model(x, out)
    model.compile("adam", "mse", lr=0.05)
    X = np.random.default_rng(0).uniform(-1, 1, size=(64, 2))
    y = X[:, :1] * X[:, 1:]
    before = model.evaluate(X, y)["loss"]
    model.fit(X, y, epochs=60, verbose=0)
    assert model.evaluate(X, y)["loss"] < before / 3


def test_config_round_trip_rebuilds_the_same_graph():
    model = _skip_model()
    clone = nn.Model.from_config(model.get_config())
    assert [layer.name for layer in clone.layers] == [layer.name for layer in model.layers]
    clone.set_weights(model.get_weights())
    x = np.random.default_rng(4).normal(size=(2, 3))
    np.testing.assert_array_equal(clone.predict(x), model.predict(x))
    assert len([n for n in clone._nodes if n.layer is clone.get_layer("shared")]) == 2


def test_sequential_accepts_an_input_and_subclassed_models_still_work():
    model = nn.Sequential([nn.Input(shape=(4,)), nn.Dense(3)])
    assert model.layers[0].built and model.layers[0].kernel.shape == (4, 3)

    class Twice(nn.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = nn.Dense(2)

        def forward(self, x):
            return self.dense(self.dense(x))

    sub = Twice()
    assert sub(np.ones((1, 2))).shape == (1, 2) and sub.layers == [sub.dense]


def test_summary_shows_keras_connected_to_column_and_returns_none(capsys):
    model = _skip_model()
    model.get_layer("shared").trainable = False
    assert model.summary() is None
    text = capsys.readouterr().out
    assert text == model.summary(print_fn=None) + "\n"
    lines = text.splitlines()
    assert lines[0] == 'Model: "skip"'
    assert lines[2].split() == ["Layer", "(type)", "Output", "Shape", "Param", "#",
                                "Connected", "to"]
    row = {line.split()[0]: line for line in lines if line and line[0].isalpha()}
    assert row["x"].split()[-1] == "-" and "(None, 3)" in row["x"]
    assert row["shared"].split()[-2:] == ["30", "h[0][0]"]
    # the shared layer's second call reads its own first output; Add reads its second
    assert lines[lines.index(row["shared"]) + 1].split() == ["shared[0][0]"]
    assert row["add"].split()[-1] == "h[0][0]"
    assert lines[lines.index(row["add"]) + 1].split() == ["shared[1][0]"]
    assert "Non-trainable params: 30" in text and "Total params: 68" in text


def test_a_deep_graph_runs_saves_and_reloads_without_recursion(tmp_path):
    x = nn.Input(shape=(2,))
    h = x
    for _ in range(1500):
        h = nn.Activation("tanh")(h)
    model = nn.Model(x, nn.Dense(1)(h))
    data = np.ones((3, 2), np.float32)
    out = model.predict(data)
    model.save(tmp_path / "deep.safetensors")
    np.testing.assert_array_equal(nn.load_model(tmp_path / "deep.safetensors").predict(data),
                                  out)


def test_inputs_may_be_integers_and_keep_their_dtype():
    ids = nn.Input(shape=(3,), dtype="int64", name="ids")
    assert ids.dtype == np.int64
    model = nn.Model(ids, nn.Dense(2)(ids))
    assert model.predict(np.array([[1, 2, 3]])).shape == (1, 2)
