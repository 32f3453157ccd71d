"""model.save_weights / model.load_weights: exact round trips, checks before any change,
clear errors, atomic writing, and no unpickling."""

import pathlib
import pickle

import numpy as np
import pytest

import autograd_core.files
from nn import MLP, Dense, Dropout, Sequential
from nn.io import FORMAT_KEY, FORMAT_VERSION, StateMismatchError, WeightsFileError, load_state


def model_(sizes=(4, 8, 3), seed=0, dtype=np.float32):
    return MLP(list(sizes), activation="relu", seed=seed, dtype=dtype)


def weights(model):
    return {name: p.data.copy() for name, p in model.named_parameters()}


def assert_weights_equal(model, expected):
    got = weights(model)
    assert list(got) == list(expected)
    for name in expected:
        assert got[name].dtype == expected[name].dtype, name
        assert got[name].tobytes() == expected[name].tobytes(), name


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_round_trip_is_exact(tmp_path, dtype):
    path = tmp_path / "model.safetensors"
    source = model_(seed=0, dtype=dtype)
    source.save_weights(path)
    target = model_(seed=1, dtype=dtype)
    assert weights(target)["layers.0.kernel"].tobytes() != weights(source)[
        "layers.0.kernel"].tobytes()
    result = target.load_weights(path)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert_weights_equal(target, weights(source))
    X = np.random.default_rng(0).standard_normal((5, 4))
    np.testing.assert_array_equal(target.predict(X), source.predict(X))


def test_the_file_holds_names_shapes_dtypes_and_the_architecture(tmp_path):
    path = tmp_path / "model.safetensors"
    model = Sequential(Dense(8, "relu", input_dim=4, seed=0), Dropout(0.5),
                       Dense(2, seed=1, dtype=np.float64))
    model.save_weights(path)
    state, metadata = load_state(path)
    assert {k: (v.shape, v.dtype) for k, v in state.items()} == {
        "layers.0.kernel": ((4, 8), np.float32), "layers.0.bias": ((8,), np.float32),
        "layers.2.kernel": ((8, 2), np.float64), "layers.2.bias": ((2,), np.float64),
    }
    assert metadata[FORMAT_KEY] == FORMAT_VERSION
    assert metadata["model_class"] == "Sequential"
    assert metadata["architecture"] == model.summary(print_fn=None)
    assert "layers.1 (Dropout)" in metadata["architecture"]


def test_saving_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "model.safetensors"
    first = model_(seed=0)
    first.save_weights(path)
    before = path.read_bytes()

    def crash(out, data):
        out.write(data[: len(data) // 2])
        raise OSError("disk full")

    monkeypatch.setattr(autograd_core.files, "_write_all", crash)
    with pytest.raises(OSError, match="disk full"):
        model_(seed=1).save_weights(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.safetensors"]


def test_a_shape_mismatch_names_the_parameter_and_both_shapes_and_changes_nothing(tmp_path):
    path = tmp_path / "wide.safetensors"
    model_(sizes=(4, 16, 3)).save_weights(path)
    model = model_(sizes=(4, 8, 3))
    before = weights(model)
    with pytest.raises(StateMismatchError) as info:
        model.load_weights(path)
    message = str(info.value)
    assert str(path) in message
    assert "parameter 'layers.0.kernel': expected shape (4, 8), found (4, 16)" in message
    assert "parameter 'layers.0.bias': expected shape (8,), found (16,)" in message
    assert "parameter 'layers.1.kernel': expected shape (8, 3), found (16, 3)" in message
    assert "The file was saved from this model:" in message and "(None, 16)" in message
    assert [m[0] for m in info.value.mismatched] == ["layers.0.kernel", "layers.0.bias",
                                                     "layers.1.kernel"]
    assert_weights_equal(model, before)


def test_missing_and_unexpected_names(tmp_path):
    path = tmp_path / "deep.safetensors"
    model_(sizes=(4, 8, 8, 3)).save_weights(path)
    model = model_(sizes=(4, 8, 3))
    before = weights(model)
    with pytest.raises(StateMismatchError) as info:
        model.load_weights(path)
    assert info.value.unexpected == ["layers.2.bias", "layers.2.kernel"]  # sorted by name
    assert "unexpected: 'layers.2.bias', 'layers.2.kernel'" in str(info.value)
    assert_weights_equal(model, before)
    # not strict: the names that match load, when their shapes agree
    shallow = tmp_path / "shallow.safetensors"
    source = Sequential(Dense(8, "relu", input_dim=4, seed=3))
    source.save_weights(shallow)
    result = model.load_weights(shallow, strict=False)
    assert result.missing_keys == ["layers.1.kernel", "layers.1.bias"]
    assert result.unexpected_keys == []
    np.testing.assert_array_equal(model.layers[0].kernel.data, source.layers[0].kernel.data)
    np.testing.assert_array_equal(model.layers[1].kernel.data, before["layers.1.kernel"])


def test_values_are_cast_to_the_parameters_dtype(tmp_path):
    path = tmp_path / "f64.safetensors"
    source = model_(dtype=np.float64)
    source.save_weights(path)
    target = model_(seed=5, dtype=np.float32)
    target.load_weights(path)
    assert all(p.dtype == np.float32 for p in target.parameters())
    np.testing.assert_array_equal(target.layers[0].kernel.data,
                                  source.layers[0].kernel.data.astype(np.float32))


@pytest.mark.parametrize("damage, message", [
    (lambda data: data[: len(data) - 7], "truncated"),
    (lambda data: data[:5], "shorter than the 8-byte header length"),
    (lambda data: b"PK\x03\x04" + data[4:], "zip archive"),
    (lambda data: b'{"not": "weights"}', "not a readable weights file"),
])
def test_truncated_or_foreign_files_leave_the_model_untouched(tmp_path, damage, message):
    path = tmp_path / "model.safetensors"
    model_(seed=0).save_weights(path)
    path.write_bytes(damage(path.read_bytes()))
    model = model_(seed=1)
    before = weights(model)
    with pytest.raises(WeightsFileError, match=message):
        model.load_weights(path)
    assert_weights_equal(model, before)


class Payload:
    """Unpickling this creates the marker file: proof that a loader ran pickled code."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (pathlib.Path.touch, (pathlib.Path(self.marker),))


def test_a_pickle_is_refused_without_being_executed(tmp_path):
    marker = tmp_path / "ran"
    pickle.loads(pickle.dumps(Payload(marker)))  # the payload is live...
    assert marker.exists()
    marker.unlink()
    path = tmp_path / "model.safetensors"
    state = {"layers.0.kernel": Payload(marker), "layers.0.bias": np.zeros(8)}
    path.write_bytes(pickle.dumps(state))
    model = model_()
    before = weights(model)
    with pytest.raises(WeightsFileError, match="Python pickle .*never unpickled"):
        model.load_weights(path)
    assert not marker.exists()  # ...and loading never ran it
    assert_weights_equal(model, before)


def test_unbuilt_models_cannot_save_or_load(tmp_path):
    model = Sequential(Dense(8), Dense(1))  # no input width yet
    with pytest.raises(ValueError, match=r"save_weights: layer 'layers.0' \(Dense\) is not built"):
        model.save_weights(tmp_path / "w.safetensors")
    model_().save_weights(tmp_path / "w.safetensors")
    with pytest.raises(ValueError, match=r"load_weights: layer 'layers.0' \(Dense\) is not built"):
        model.load_weights(tmp_path / "w.safetensors")
    model(np.zeros((1, 4)))  # built now
    with pytest.raises(StateMismatchError, match="expected shape"):
        model.load_weights(tmp_path / "w.safetensors")


def test_load_then_train_continues_from_the_loaded_weights(tmp_path):
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((32, 4)), rng.integers(0, 3, 32)
    source = model_()
    source.compile("adam", "sparse_categorical_crossentropy", from_logits=True)
    source.fit(X, y, epochs=2, verbose=0)
    path = tmp_path / "trained.safetensors"
    source.save_weights(path)
    target = model_(seed=7)
    target.load_weights(path)
    target.compile("adam", "sparse_categorical_crossentropy", from_logits=True)
    assert target.evaluate(X, y)["loss"] == source.evaluate(X, y)["loss"]
