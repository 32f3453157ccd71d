"""`autograd-core train --model cnn|lstm`: the network, its files, `graph` redrawing it, and the
model/dataset pairs refused before training."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

import nn
from nn import cli
from nn.cli_data import prepare_data

pytest.importorskip("matplotlib")

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz 'dot' is not installed")


def run(capsys, *argv):
    """(exit status, stdout, stderr) of one in-process call."""
    status = cli.main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture(scope="module")
def cnn_run(tmp_path_factory):
    """Two epochs of the CNN on 300 digits."""
    pytest.importorskip("sklearn")
    out = tmp_path_factory.mktemp("run") / "cnn"
    status = cli.main(["train", "--model", "cnn", "--dataset", "digits", "--epochs", "2",
                       "--samples", "300", "--hidden", "16", "--out", str(out), "--verbose", "0"])
    assert status == 0
    return out


def test_cnn_run_writes_its_files_but_no_decision_boundary(cnn_run):
    names = {p.name for p in cnn_run.iterdir()}
    assert names == {"model.safetensors", "architecture.txt", "history.json", "history.png",
                     "graph.svg"}
    summary = (cnn_run / "architecture.txt").read_text()
    for layer in ("Conv2D", "MaxPooling2D", "Flatten", "Dense"):
        assert layer in summary, layer
    assert len(json.loads((cnn_run / "history.json").read_text())["history"]["loss"]) == 2


def test_cnn_model_file_reloads_as_the_same_network(cnn_run):
    config = cli.run_config(cnn_run)
    assert config["model"] == "cnn" and config["input_shape"] == [8, 8, 1]
    assert config["scaler"] is None and config["output_dim"] == 10
    model = nn.load_model(cnn_run / "model.safetensors")
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == ["Conv2D", "MaxPooling2D", "Conv2D", "MaxPooling2D", "Flatten", "Dense",
                     "Dense"]
    data = prepare_data("digits", 0, 300, model="cnn")
    assert data.X_train.shape[1:] == (8, 8, 1)
    assert data.X_train.min() >= 0.0 and data.X_train.max() <= 1.0
    probs = model.predict(data.X_test)
    assert probs.shape == (len(data.X_test), 10)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)


@needs_dot
def test_graph_redraws_a_cnn_run_byte_for_byte(cnn_run, tmp_path, capsys):
    out = tmp_path / "again.svg"
    status, stdout, err = run(capsys, "graph", str(cnn_run), "--out", str(out))
    assert status == 0, err
    assert out.read_bytes() == (cnn_run / "graph.svg").read_bytes()
    assert "conv2d" in out.read_text() and "max_pool" in out.read_text()  # pooling: one op


def test_images_are_scaled_by_their_maximum_not_standardised():
    pytest.importorskip("sklearn")
    flat = prepare_data("digits", 0, 200)
    images = prepare_data("digits", 0, 200, model="cnn")
    assert flat.X_train.shape == (160, 64) and images.X_train.shape == (160, 8, 8, 1)
    # the same split: each image is its raw features divided by 16
    raw = flat.X_train * flat.scaler.scale_ + flat.scaler.mean_
    np.testing.assert_allclose(images.X_train.reshape(160, 64), raw / 16.0, atol=1e-12)


def test_lstm_trains_on_the_adding_problem(tmp_path, capsys):
    out = tmp_path / "lstm"
    status, stdout, err = run(capsys, "train", "--model", "lstm", "--dataset", "adding",
                              "--epochs", "2", "--samples", "200", "--hidden", "8",
                              "--out", str(out))
    assert status == 0, err
    assert "LSTM on (20, 2): LSTM 8, Dense [1]" in stdout and "mae" in stdout
    assert not (out / "decision_boundary.png").exists()
    config = cli.run_config(out)
    assert (config["model"], config["input_shape"], config["loss"]) == ("lstm", [20, 2], "mse")
    assert config["target_scaler"] is not None  # regression targets standardised, as diabetes
    model = nn.load_model(out / "model.safetensors")
    assert [type(layer).__name__ for layer in model.layers] == ["LSTM", "Dense"]
    history = json.loads((out / "history.json").read_text())["history"]
    assert all(np.isfinite(history["loss"]))


def test_mlp_stays_the_default_and_reads_adding_flattened(tmp_path, capsys):
    out = tmp_path / "mlp"
    status, stdout, err = run(capsys, "train", "--dataset", "adding", "--epochs", "1",
                              "--samples", "100", "--hidden", "4", "--out", str(out))
    assert status == 0, err
    assert "MLP [40, 4, 1]" in stdout
    config = cli.run_config(out)
    assert config["model"] == "mlp" and config["input_dim"] == 40


@pytest.mark.parametrize("model, dataset, wanted", [
    ("cnn", "moons", "an image dataset (digits, fashion_mnist)"),
    ("cnn", "adding", "an image dataset"),
    ("lstm", "digits", "a sequence dataset (adding)"),
    ("lstm", "iris", "a sequence dataset"),
])
def test_a_model_that_does_not_fit_the_dataset_is_refused_before_training(
        tmp_path, capsys, model, dataset, wanted):
    out = tmp_path / "never"
    status, stdout, err = run(capsys, "train", "--model", model, "--dataset", dataset,
                              "--out", str(out))
    assert status == 2
    assert stdout == ""
    assert err.count("\n") == 1 and err.startswith("autograd-core train: error: ")
    assert f"--model {model} needs {wanted}" in err and repr(dataset) in err
    assert not out.exists()


def test_an_unknown_model_is_a_usage_error(capsys):
    status, _, err = run(capsys, "train", "--model", "rnn")
    assert status == 2 and "invalid choice: 'rnn'" in err and err.count("\n") == 1


def test_cnn_reads_fashion_mnist_as_28x28_images_in_0_1(capsys, tmp_path,
                                                        fake_fashion_mnist):
    data = prepare_data("fashion_mnist", 0, None, str(fake_fashion_mnist), model="cnn")
    assert data.X_train.shape == (120, 28, 28, 1) and data.X_test.shape == (30, 28, 28, 1)
    assert data.X_train.max() == 1.0 and data.X_train.min() >= 0.0  # divided by 255
    out = tmp_path / "run"
    status, stdout, err = run(capsys, "train", "--model", "cnn", "--dataset", "fashion_mnist",
                              "--fashion-mnist-path", str(fake_fashion_mnist), "--epochs",
                              "1", "--hidden", "8", "--out", str(out))
    assert status == 0, err
    assert "CNN on (28, 28, 1)" in stdout and "test (30 samples)" in stdout
    assert cli.run_config(out)["input_shape"] == [28, 28, 1]
