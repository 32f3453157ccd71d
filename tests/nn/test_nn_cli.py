"""The autograd-core command line: train, graph and check, run in-process into tmp_path."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

import autograd_core as ag
import nn
from nn import cli
from nn.io import load_state

pytest.importorskip("matplotlib")

REPO = Path(__file__).resolve().parents[2]
needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz 'dot' is not installed")

QUICK = ["--epochs", "3", "--samples", "200", "--hidden", "8", "8"]


def run(capsys, *argv):
    """(exit status, stdout, stderr) of one in-process call."""
    status = cli.main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture(scope="module")
def moons_run(tmp_path_factory):
    """One quick training run on moons, shared by the tests that only read its files."""
    out = tmp_path_factory.mktemp("run") / "moons"
    status = cli.main(["train", "--out", str(out), *QUICK])
    assert status == 0
    return out


# ---- train ----


def test_train_writes_every_file(moons_run):
    names = {p.name for p in moons_run.iterdir()}
    assert names == {"model.safetensors", "architecture.txt", "history.json",
                     "history.png", "decision_boundary.png", "graph.svg"}
    for png in ("history.png", "decision_boundary.png"):
        assert (moons_run / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_train_history_json_has_per_epoch_curves(moons_run):
    saved = json.loads((moons_run / "history.json").read_text())
    curves = saved["history"]
    for key in ("loss", "accuracy", "val_loss", "val_accuracy", "lr"):
        assert len(curves[key]) == 3, key
    assert all(0.0 <= a <= 1.0 for a in curves["val_accuracy"])
    assert curves["lr"] == [0.01] * 3


@needs_dot
def test_train_graph_is_svg_of_the_loss_and_its_layers(moons_run):
    root = ET.fromstring((moons_run / "graph.svg").read_bytes())
    assert root.tag.endswith("svg")
    text = "".join(root.itertext())
    for label in ("loss", "layers.0.kernel", "layers.2.bias", "linear", "tanh", "sigmoid"):
        assert label in text, label


def test_train_model_file_describes_the_model_and_the_run(moons_run):
    config = cli.run_config(moons_run)
    assert config["input_dim"] == 2 and config["hidden"] == [8, 8] and config["output_dim"] == 1
    assert (config["activation"], config["output_activation"]) == ("tanh", "sigmoid")
    assert config["loss"] == "binary_crossentropy"
    assert config["dataset"] == {"name": "moons", "seed": 0, "samples": 200,
                                 "fashion_mnist_path": None}
    assert len(config["scaler"]["mean"]) == 2
    assert "Total params: 105" in (moons_run / "architecture.txt").read_text()  # 24+72+9


def test_train_weights_load_back_into_the_rebuilt_model(moons_run):
    model, config = cli.load_model(moons_run)
    state, _ = load_state(moons_run / "model.safetensors")
    weights = {k for k in state if not k.startswith("optimizer/")}  # and Adam's moments
    assert weights == {f"layers.{i}.{w}" for i in range(3) for w in ("kernel", "bias")}
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, state[name])
    # and the reloaded model scores what training reported, on the same test split
    data = cli.prepare_data("moons", 0, 200, scaler_state=config["scaler"])
    model.compile(loss=config["loss"], metrics=config["metrics"])
    assert 0.5 < model.evaluate(data.X_test, data.y_test)["accuracy"] <= 1.0


def test_train_prints_progress_test_metrics_and_the_files(capsys, tmp_path):
    out = tmp_path / "run"
    status, stdout, _ = run(capsys, "train", "--out", str(out), *QUICK)
    assert status == 0
    assert "MLP [2, 8, 8, 1]" in stdout and "on moons" in stdout
    assert "epoch 3/3" in stdout
    assert "test (40 samples): loss" in stdout and "accuracy" in stdout
    assert f"files in {out}:" in stdout
    for name in ("graph.svg", "history.png", "model.safetensors"):
        assert name in stdout


def test_train_on_a_narrow_terminal_breaks_lines_between_values(capsys, tmp_path,
                                                                monkeypatch):
    monkeypatch.setenv("COLUMNS", "60")
    capsys.readouterr()
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    status, stdout, _ = run(capsys, "train", "--out", str(tmp_path / "r"), *QUICK)
    assert status == 0
    lines = stdout.splitlines()
    wrapped = lines[:[i for i, line in enumerate(lines) if line.startswith("trained in")][0]]
    assert all(len(line) < 60 for line in wrapped) and len(wrapped) > 6  # header and epochs
    progress = [line for line in wrapped if line.startswith(("epoch", "    val_"))]
    assert any(line.startswith("    val_") for line in progress)  # a broken epoch line
    history = json.loads((tmp_path / "r" / "history.json").read_text())["history"]
    shown = "\n".join(progress)
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        assert f"{key} {history[key][-1]:.4g}" in shown, key  # every value whole


def test_train_verbose_0_prints_nothing(capsys, tmp_path):
    status, stdout, err = run(capsys, "train", "--out", str(tmp_path), *QUICK, "--verbose", "0")
    assert status == 0 and stdout == "" and err == ""
    assert (tmp_path / "model.safetensors").is_file()


def test_train_tensorboard_writes_event_files(capsys, tmp_path):
    pytest.importorskip("tensorboardX")
    accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    logs = tmp_path / "logs"
    status, stdout, _ = run(capsys, "train", "--out", str(tmp_path / "run"), *QUICK,
                            "--tensorboard", str(logs))
    assert status == 0 and f"tensorboard --logdir {logs}" in stdout
    history = json.loads((tmp_path / "run" / "history.json").read_text())["history"]
    for run_dir, prefix in (("train", ""), ("validation", "val_")):
        ea = accumulator.EventAccumulator(str(logs / run_dir))
        ea.Reload()
        for key in ("loss", "accuracy"):
            events = ea.Scalars(f"epoch_{key}")
            assert [e.step for e in events] == [0, 1, 2]
            np.testing.assert_allclose([e.value for e in events], history[prefix + key],
                                       rtol=1e-6)


def test_train_tensorboard_without_tensorboardx_names_the_extra(capsys, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)
    status, _, err = run(capsys, "train", "--out", str(tmp_path), *QUICK, "--tensorboard", "tb")
    assert status == 2 and "pip install autograd-core[tensorboard]" in err


def test_train_default_folder_is_runs_dataset(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, stdout, _ = run(capsys, "train", "--dataset", "xor", "--verbose", "2",
                            "--epochs", "2", "--samples", "40")
    assert status == 0
    assert (tmp_path / "runs" / "xor" / "model.safetensors").is_file()
    assert "files in runs/xor:" in stdout


def test_train_multiclass_uses_softmax_and_draws_its_boundary(capsys, tmp_path):
    status, _, _ = run(capsys, "train", "--dataset", "spirals", "--out", str(tmp_path),
                       "--epochs", "2", "--samples", "150", "--verbose", "0")
    assert status == 0
    config = cli.run_config(tmp_path)
    assert (config["output_dim"], config["output_activation"]) == (3, "softmax")
    assert config["loss"] == "sparse_categorical_crossentropy"
    assert (tmp_path / "decision_boundary.png").is_file()


def test_train_regression_has_no_boundary_and_reports_mae(capsys, tmp_path):
    pytest.importorskip("sklearn")
    status, stdout, _ = run(capsys, "train", "--dataset", "diabetes", "--out", str(tmp_path),
                            "--epochs", "2", "--verbose", "2")
    assert status == 0
    config = cli.run_config(tmp_path)
    assert (config["input_dim"], config["loss"], config["output_activation"]) == (10, "mse", None)
    assert config["target_scaler"]["scale"][0] > 1
    assert "mae" in stdout and "targets standardised" in stdout
    assert not (tmp_path / "decision_boundary.png").exists()


def test_train_without_matplotlib_still_saves_the_rest(capsys, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    status, _, err = run(capsys, "train", "--out", str(tmp_path), *QUICK, "--verbose", "0")
    assert status == 0
    assert "pip install autograd-core[plot]" in err
    assert not list(tmp_path.glob("*.png"))
    assert (tmp_path / "model.safetensors").is_file() and (tmp_path / "history.json").is_file()


def test_train_without_graphviz_writes_the_dot_text(capsys, tmp_path, monkeypatch):
    def missing(*args, **kwargs):
        raise ag.viz.GraphvizNotFoundError("the Graphviz 'dot' program was not found")

    monkeypatch.setattr(ag.viz, "save_svg", missing)
    status, _, err = run(capsys, "train", "--out", str(tmp_path), *QUICK, "--verbose", "0")
    assert status == 0 and "dot" in err
    assert (tmp_path / "graph.dot").read_text().startswith("digraph")


# ---- graph ----


@needs_dot
def test_graph_reproduces_the_training_graph(capsys, moons_run, tmp_path):
    target = tmp_path / "again.svg"
    status, stdout, _ = run(capsys, "graph", str(moons_run), "--out", str(target))
    assert status == 0 and str(target) in stdout
    assert target.read_bytes() == (moons_run / "graph.svg").read_bytes()


@needs_dot
def test_graph_writes_into_the_folder_by_default(capsys, moons_run, tmp_path):
    folder = tmp_path / "copy"
    shutil.copytree(moons_run, folder)
    expected = (folder / "graph.svg").read_bytes()
    (folder / "graph.svg").unlink()
    status, _, _ = run(capsys, "graph", str(folder))
    assert status == 0 and (folder / "graph.svg").read_bytes() == expected


def test_graph_of_a_missing_folder_is_a_one_line_error(capsys, tmp_path):
    status, out, err = run(capsys, "graph", str(tmp_path / "nowhere"))
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and "nowhere is not a folder" in err


def test_graph_of_a_folder_without_a_model(capsys, tmp_path):
    status, _, err = run(capsys, "graph", str(tmp_path))
    assert status == 2 and "has no model (model.safetensors)" in err


def test_graph_with_damaged_weights_is_a_one_line_error(capsys, moons_run, tmp_path):
    folder = tmp_path / "damaged"
    shutil.copytree(moons_run, folder)
    (folder / "model.safetensors").write_bytes(b"\x80\x04not weights")
    status, _, err = run(capsys, "graph", str(folder))
    assert status == 2 and err.count("\n") == 1
    assert "model.safetensors" in err and "pickle" in err
    assert "Traceback" not in err


# ---- check ----


def test_check_prints_every_op_and_passes(capsys):
    status, out, _ = run(capsys, "check")
    assert status == 0
    table_ops = {line.split()[0] for line in out.splitlines()[1:-1]}
    assert table_ops == set(ag.OPS)
    assert out.splitlines()[0].split()[:2] == ["op", "cases"]
    assert f"all {len(ag.OPS)} ops agree" in out


def test_check_fails_with_status_1_when_a_rule_disagrees(capsys, monkeypatch):
    real = ag.check_op_table

    def one_wrong(*args, **kwargs):
        rows = real(*args, names=["exp", "sin"], **kwargs)
        return [rows[0], dataclasses.replace(rows[1], status="reverse != forward")]

    monkeypatch.setattr(ag, "check_op_table", one_wrong)
    status, out, _ = run(capsys, "check")
    assert status == 1
    assert "1 of 2 ops FAILED: sin" in out


# ---- user errors ----


@pytest.mark.parametrize("argv, message", [
    (["train", "--dataset", "nope"], "invalid choice: 'nope'"),
    (["train", "--epochs", "0"], "'0' must be > 0"),
    (["train", "--hidden", "8", "x"], "'x' is not an integer"),
    (["train", "--lr", "fast"], "'fast' is not a number"),
    (["train", "--activation", "softmax"], "invalid choice: 'softmax'"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    ([], "required"),
])
def test_bad_arguments_exit_2_with_one_line(capsys, argv, message):
    status, out, err = run(capsys, *argv)
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and message in err
    assert err.startswith("autograd-core")


def test_out_that_is_a_file_is_refused(capsys, tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    status, _, err = run(capsys, "train", "--out", str(target), *QUICK)
    assert status == 2 and "is a file, not a folder" in err


def test_batch_larger_than_the_training_set_is_refused(capsys, tmp_path):
    status, _, err = run(capsys, "train", "--out", str(tmp_path), "--samples", "20",
                         "--batch-size", "64")
    assert status == 2 and "--batch-size 64 is larger than the 16 training samples" in err


@needs_dot
def test_fashion_mnist_from_a_folder_trains_and_redraws(capsys, tmp_path, monkeypatch,
                                                        fake_fashion_mnist):
    monkeypatch.chdir(tmp_path)  # a relative --fashion-mnist-path, saved as an absolute one
    status, stdout, _ = run(capsys, "train", "--dataset", "fashion_mnist", "--fashion-mnist-path",
                            "fashion", "--epochs", "2", "--out", "run", "--verbose", "2")
    assert status == 0
    assert "MLP [784, 16, 16, 10]" in stdout and "test (30 samples)" in stdout
    config = cli.run_config(tmp_path / "run")
    assert config["dataset"]["fashion_mnist_path"] == str(tmp_path / "fashion")
    assert not (tmp_path / "run" / "decision_boundary.png").exists()  # 784 inputs, not 2
    monkeypatch.chdir(REPO)
    status, _, _ = run(capsys, "graph", str(tmp_path / "run"), "--out", str(tmp_path / "g.svg"))
    assert status == 0
    assert (tmp_path / "g.svg").read_bytes() == (tmp_path / "run" / "graph.svg").read_bytes()


def test_fashion_mnist_from_a_folder_without_the_files(capsys, tmp_path):
    status, _, err = run(capsys, "train", "--dataset", "fashion_mnist",
                         "--fashion-mnist-path", str(tmp_path))
    assert status == 2 and "train-images-idx3-ubyte" in err


def test_fashion_mnist_offline_says_how_to_use_local_files(capsys, tmp_path, monkeypatch):
    import urllib.error

    from nn import datasets

    def offline(url, out):
        raise urllib.error.URLError("[Errno -2] Name or service not known")

    monkeypatch.setattr(datasets, "_fetch", offline)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    status, _, err = run(capsys, "train", "--dataset", "fashion_mnist", "--out",
                         str(tmp_path / "run"))
    assert status == 2 and len(err.splitlines()) == 1
    assert "could not download https://" in err and "--fashion-mnist-path FOLDER" in err


def test_help_returns_0(capsys):
    status, out, _ = run(capsys, "train", "--help")
    assert status == 0 and "--dataset" in out and "--hidden" in out


def test_python_dash_m_nn_help():
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(REPO), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-m", "nn", "--help"], capture_output=True,
                          text=True, env=env, cwd=REPO, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: autograd-core")
    for command in ("train", "graph", "check"):
        assert command in done.stdout


def test_the_model_file_loads_with_nn_load_model(moons_run):
    model = nn.load_model(moons_run / "model.safetensors")
    again, _ = cli.load_model(moons_run)
    X = np.random.default_rng(0).normal(size=(4, 2))
    np.testing.assert_array_equal(model.predict(X), again.predict(X))
    assert model.optimizer is not None and model.optimizer.iterations > 0


def test_a_run_of_an_older_version_still_loads(capsys, moons_run, tmp_path):
    old = tmp_path / "old"
    old.mkdir()
    model, config = cli.load_model(moons_run)
    model.save_weights(old / "model.safetensors")             # weights only, as before
    (old / "model.json").write_text(json.dumps(config))
    again, old_config = cli.load_model(old)
    assert old_config == config
    X = np.random.default_rng(1).normal(size=(3, 2))
    np.testing.assert_array_equal(again.predict(X), model.predict(X))


def test_a_model_saved_outside_train_is_refused_by_graph(capsys, tmp_path):
    nn.Sequential([nn.Dense(1, input_shape=(2,))]).save(tmp_path / "model.safetensors")
    status, _, err = run(capsys, "graph", str(tmp_path))
    assert status == 2 and "not by `autograd-core train`" in err
