"""nn.callbacks.TensorBoard: event files read back with TensorBoard's own reader."""

import subprocess
import sys

import numpy as np
import pytest

import nn
from nn import Dense, Sequential, losses

pytest.importorskip("tensorboardX")
event_accumulator = pytest.importorskip(
    "tensorboard.backend.event_processing.event_accumulator")


def read(folder):
    """(scalars {tag: [(step, value)]}, the accumulator) of one run folder."""
    ea = event_accumulator.EventAccumulator(
        str(folder), size_guidance={"scalars": 0, "histograms": 0, "tensors": 0})
    ea.Reload()
    scalars = {tag: [(e.step, e.value) for e in ea.Scalars(tag)] for tag in ea.Tags()["scalars"]}
    return scalars, ea


def classifier(seed=0):
    model = Sequential(Dense(4, "tanh", input_dim=2, seed=seed, dtype=np.float64),
                       Dense(2, seed=seed + 1, dtype=np.float64))
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"],
                  from_logits=True, lr=0.1)
    return model


def data(n=50, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 2))
    return X, (X[:, 0] * X[:, 1] > 0).astype(np.int64)


def test_epoch_scalars_carry_keras_tags_steps_and_the_history_values(tmp_path):
    X, y = data()
    model = classifier()
    history = model.fit(X, y, epochs=3, batch_size=10, validation_split=0.2, verbose=0,
                        callbacks=[nn.callbacks.TensorBoard(tmp_path / "logs")])
    h = history.history
    train, _ = read(tmp_path / "logs" / "train")
    assert set(train) == {"epoch_loss", "epoch_accuracy", "epoch_learning_rate"}
    for tag, key in (("epoch_loss", "loss"), ("epoch_accuracy", "accuracy"),
                     ("epoch_learning_rate", "lr")):
        assert [s for s, _ in train[tag]] == [0, 1, 2]
        np.testing.assert_allclose([v for _, v in train[tag]], h[key], rtol=1e-6)
    val, _ = read(tmp_path / "logs" / "validation")
    assert set(val) == {"epoch_loss", "epoch_accuracy", "evaluation_loss_vs_iterations",
                        "evaluation_accuracy_vs_iterations"}
    np.testing.assert_allclose([v for _, v in val["epoch_loss"]], h["val_loss"], rtol=1e-6)
    np.testing.assert_allclose([v for _, v in val["epoch_accuracy"]], h["val_accuracy"],
                               rtol=1e-6)
    # 40 training samples in batches of 10: 4 steps per epoch
    assert [s for s, _ in val["evaluation_loss_vs_iterations"]] == [4, 8, 12]


@pytest.mark.parametrize("update_freq, steps", [("batch", list(range(1, 13))),
                                                (3, [3, 6, 9, 12]), ("epoch", None)])
def test_batch_scalars_follow_update_freq(tmp_path, update_freq, steps):
    X, y = data(40)
    model = classifier()
    batch_losses = []
    record = nn.callbacks.LambdaCallback(
        on_batch_end=lambda batch, logs: batch_losses.append(logs["loss"]))
    model.fit(X, y, epochs=3, batch_size=10, verbose=0, callbacks=[
        record, nn.callbacks.TensorBoard(tmp_path, update_freq=update_freq)])
    train, _ = read(tmp_path / "train")
    if steps is None:
        assert not any(tag.startswith("batch_") for tag in train)
        return
    assert [s for s, _ in train["batch_loss"]] == steps
    np.testing.assert_allclose([v for _, v in train["batch_loss"]],
                               [batch_losses[s - 1] for s in steps], rtol=1e-6)


def test_weight_and_gradient_histograms_every_histogram_freq_epochs(tmp_path):
    X, y = data(30)
    model = classifier()
    before = {name: p.data.copy() for name, p in model.named_parameters()}
    # the gradient of the first (and only) step of epoch 0, computed apart on a copy
    twin = classifier()
    twin.load_state_dict(before)
    loss = losses.sparse_categorical_crossentropy(y, twin(X), from_logits=True)
    loss.backward()
    expected_grads = {name: p.grad for name, p in twin.named_parameters()}

    model.fit(X, y, epochs=3, batch_size=None, shuffle=False, verbose=0,
              callbacks=[nn.callbacks.TensorBoard(tmp_path, histogram_freq=2)])
    _, ea = read(tmp_path / "train")
    names = [name for name, _ in model.named_parameters()]
    assert sorted(ea.Tags()["histograms"]) == sorted(
        [f"{n}/histogram" for n in names] + [f"{n}/gradient" for n in names])
    for name, p in model.named_parameters():
        weights = ea.Histograms(f"{name}/histogram")
        assert [e.step for e in weights] == [0, 2]  # epochs 0 and 2 of 0, 1, 2
        last = weights[-1].histogram_value
        assert last.num == p.size
        np.testing.assert_allclose([last.min, last.max, last.sum],
                                   [p.data.min(), p.data.max(), p.data.sum()], rtol=1e-6)
        grad = ea.Histograms(f"{name}/gradient")[0].histogram_value
        g = expected_grads[name]
        np.testing.assert_allclose([grad.min, grad.max, grad.sum, grad.sum_squares],
                                   [g.min(), g.max(), g.sum(), (g * g).sum()],
                                   rtol=1e-6, atol=1e-12)
    # the optimizer is itself again after fit: nothing was left wrapped
    assert "step" not in vars(model.optimizer)


def test_the_model_summary_is_written_as_text(tmp_path):
    X, y = data(20)
    model = classifier()
    model.fit(X, y, epochs=1, verbose=0, callbacks=[nn.callbacks.TensorBoard(tmp_path)])
    _, ea = read(tmp_path / "train")
    (event,) = ea.Tensors("model_summary/text_summary")
    text = event.tensor_proto.string_val[0].decode()
    assert "layers.0 (Dense)" in text and "Total params: 22" in text
    model.fit(X, y, epochs=1, verbose=0,
              callbacks=[nn.callbacks.TensorBoard(tmp_path / "nograph", write_graph=False)])
    _, ea = read(tmp_path / "nograph" / "train")
    assert ea.Tags()["tensors"] == []


def test_steps_per_second_when_asked(tmp_path):
    X, y = data(20)
    model = classifier()
    model.fit(X, y, epochs=2, batch_size=5, verbose=0, callbacks=[
        nn.callbacks.TensorBoard(tmp_path, write_steps_per_second=True)])
    train, _ = read(tmp_path / "train")
    assert [s for s, _ in train["epoch_steps_per_second"]] == [0, 1]
    assert all(v > 0 for _, v in train["epoch_steps_per_second"])


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="update_freq must be 'epoch', 'batch' or a positive"):
        nn.callbacks.TensorBoard(update_freq="sometimes")
    with pytest.raises(ValueError, match="histogram_freq must be an int >= 0, got -1"):
        nn.callbacks.TensorBoard(histogram_freq=-1)
    with pytest.raises(ValueError, match="embeddings_freq=1 is not supported"):
        nn.callbacks.TensorBoard(embeddings_freq=1)


def test_without_tensorboardx_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)  # import fails as if not installed
    with pytest.raises(ImportError, match=r"pip install autograd-core\[tensorboard\]"):
        nn.callbacks.TensorBoard("logs")


def test_importing_nn_does_not_import_tensorboardx():
    code = "import nn, sys; print('tensorboardX' in sys.modules, 'tensorboard' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.split() == ["False", "False"]
