"""The command line's promises: a user's mistake is one line on stderr and exit status 2,
found before any training; a diverging run exits 1 without NaN weights; Ctrl-C saves the
partial results and exits 130. Never a traceback."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nn import cli, cli_checks
from nn.io import load_state

pytest.importorskip("matplotlib")

REPO = Path(__file__).resolve().parents[2]
QUICK = ["--epochs", "2", "--samples", "120", "--hidden", "4", "--verbose", "0"]


def run(capsys, *argv):
    """(exit status, stdout, stderr) of one in-process call."""
    status = cli.main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def assert_user_error(status, out, err, *fragments):
    assert status == 2, err
    assert out == ""  # refused before anything ran: no training line
    assert err.count("\n") == 1 and err.endswith("\n"), err
    assert "Traceback" not in err and "error:" in err
    for fragment in fragments:
        assert fragment in err, err


# ---- arguments ----


@pytest.mark.parametrize("argv, fragment", [
    (["train", "--lr", "inf"], "argument --lr: 'inf' must be a finite number > 0"),
    (["train", "--lr", "1e999"], "argument --lr: '1e999' must be a finite number > 0"),
    (["train", "--lr", "nan"], "argument --lr: 'nan' must be a finite number > 0"),
    (["train", "--lr", "-0.1"], "argument --lr: '-0.1' must be > 0"),
    (["train", "--lr", "0"], "argument --lr: '0' must be > 0"),
    (["train", "--max-nodes", "1"], "argument --max-nodes: '1' must be at least 3"),
    (["graph", "runs/x", "--max-nodes", "2"], "argument --max-nodes: '2' must be at least 3"),
    (["train", "--seed", "-1"], "argument --seed: '-1' must be an integer >= 0"),
    (["train", "--seed", "1.5"], "argument --seed: '1.5' is not an integer"),
    (["check", "--seed", "-3"], "argument --seed: '-3' must be an integer >= 0"),
    (["train", "--epochs", "1.5"], "argument --epochs: '1.5' is not an integer"),
    (["train", "--batch-size", "0"], "argument --batch-size: '0' must be > 0"),
    (["train", "--samples", "-5"], "argument --samples: '-5' must be > 0"),
    (["check", "--cases", "0"], "argument --cases: '0' must be > 0"),
    (["train", "--hidden", "100000000", "100000000"],
     "--hidden: a model of sizes [100000000, 100000000] has 1e+16 parameters"),
    (["train", "--samples", "1000000000000"], "--samples 1000000000000: the data set would "
                                              "need about"),
])
def test_each_bad_argument_is_one_line_and_exit_2(capsys, tmp_path, argv, fragment):
    status, out, err = run(capsys, *argv, *(["--out", str(tmp_path / "o")]
                                            if argv[0] == "train" else []))
    assert_user_error(status, out, err, fragment)
    assert not (tmp_path / "o").exists()


def test_a_model_too_large_for_the_memory_is_refused_before_allocating():
    with pytest.raises(cli_checks.UsageError, match=r"needs about 4\.8 GB to train; this "
                                                    r"machine has 1 GB"):
        cli_checks.check_sizes([2, 10_000, 30_000, 1], "--hidden", memory=10**9)
    cli_checks.check_sizes([2, 16, 16, 1], "--hidden", memory=10**9)


def test_memory_error_is_one_line_too(capsys, tmp_path, monkeypatch):
    def too_big(*args, **kwargs):
        raise MemoryError()

    monkeypatch.setattr(cli, "build_model", too_big)
    status, out, err = run(capsys, "train", "--out", str(tmp_path / "o"), *QUICK)
    assert status == 2 and "out of memory" in err and err.count("\n") == 1


def test_a_file_that_cannot_be_written_after_training_is_one_line_and_exit_1(capsys, tmp_path,
                                                                            monkeypatch):
    def full(path, data):
        raise OSError(28, f"cannot write {str(path)!r}: No space left on device")

    monkeypatch.setattr(cli, "atomic_write", full)
    status, _, err = run(capsys, "train", "--out", str(tmp_path / "o"), *QUICK)
    assert status == 1 and "No space left on device" in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_the_command_itself_prints_no_traceback():
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(REPO), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-m", "nn", "train", "--lr", "inf"],
                          capture_output=True, text=True, env=env, cwd=REPO, timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


# ---- the output folder, checked before training ----


def test_out_under_a_regular_file_is_refused_before_training(capsys, tmp_path):
    (tmp_path / "file").write_text("x")
    status, out, err = run(capsys, "train", "--out", str(tmp_path / "file" / "run"), *QUICK)
    assert_user_error(status, out, err, f"{tmp_path / 'file'} is a file, not a folder")
    status, out, err = run(capsys, "train", "--out", str(tmp_path / "run"), "--tensorboard",
                           str(tmp_path / "file" / "logs"), *QUICK)
    assert_user_error(status, out, err, "--tensorboard", "is a file, not a folder")
    assert not (tmp_path / "run").exists()


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root writes into read-only folders")
def test_out_in_a_read_only_folder_is_refused_before_training(capsys, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        status, out, err = run(capsys, "train", "--out", str(locked / "run"), *QUICK)
        assert_user_error(status, out, err, "cannot write into this folder")
        status, out, err = run(capsys, "train", "--out", str(locked), *QUICK)
        assert_user_error(status, out, err, "cannot write into this folder")
    finally:
        locked.chmod(0o700)


def test_a_folder_that_refuses_files_is_found_before_training(capsys, tmp_path, monkeypatch):
    # what a read-only folder does, shown even to root: creating the probe file fails
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(cli_checks.tempfile, "mkstemp", refuse)
    status, out, err = run(capsys, "train", "--out", str(tmp_path / "a" / "b"), *QUICK)
    assert_user_error(status, out, err, "cannot write into this folder: Permission denied")
    assert not (tmp_path / "a").exists()  # the folders made for the test are removed
    status, out, err = run(capsys, "graph", str(tmp_path), "--out", str(tmp_path / "g.svg"))
    assert status == 2 and "Traceback" not in err


# ---- model.json ----


@pytest.fixture(scope="module")
def saved_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "moons"
    assert cli.main(["train", "--out", str(out), *QUICK]) == 0
    return out


def edited(saved_run, tmp_path, change):
    folder = tmp_path / "run"
    shutil.copytree(saved_run, folder)
    config = json.loads((folder / "model.json").read_text())
    change(config)
    (folder / "model.json").write_text(json.dumps(config))
    return folder


def _set(key, value):
    def change(config):
        if value is KeyError:
            del config[key]
        else:
            config[key] = value
    return change


def _set_dataset(key, value):
    def change(config):
        config["dataset"][key] = value
    return change


@pytest.mark.parametrize("change, fragment", [
    (_set("loss", KeyError), "'loss' must be one of mse"),
    (_set("loss", "crossentropy"), "'loss' must be one of mse"),
    (_set("scaler", KeyError), "'scaler' must be an object"),
    (_set("scaler", {"mean": [0.0], "scale": [1.0]}), "'scaler' must be an object"),
    (_set("scaler", {"mean": "a", "scale": [1.0, 1.0]}), "'scaler' must be an object"),
    (_set("scaler", {"mean": [0.0, 0.0], "scale": [1.0, 0.0]}), "(scale > 0)"),
    (_set("target_scaler", {"mean": [1.0]}), "'target_scaler' must be an object"),
    (_set("graph_batch", 0), "'graph_batch' must be an integer > 0, got 0"),
    (_set("graph_batch", True), "'graph_batch' must be an integer > 0, got True"),
    (_set("graph_batch", "32"), "'graph_batch' must be an integer > 0, got '32'"),
    (_set("hidden", [100_000_000, 100_000_000]), "'hidden': a model of sizes"),
    (_set("hidden", [4, -1]), "'hidden' must be a list of integers > 0"),
    (_set("hidden", 4), "'hidden' must be a list of integers > 0"),
    (_set("input_dim", 0), "'input_dim' must be an integer > 0"),
    (_set("output_dim", KeyError), "'output_dim' must be an integer > 0, got missing"),
    (_set("activation", "wobble"), "'activation' must be one of"),
    (_set("output_activation", "nope"), "'output_activation' must be null or one of"),
    (_set("dtype", "float16"), "'dtype' must be 'float32' or 'float64'"),
    (_set("dataset", KeyError), "'dataset' must be an object"),
    (_set_dataset("seed", "abc"), "dataset 'seed' must be an integer >= 0, got 'abc'"),
    (_set_dataset("seed", 1.5), "dataset 'seed' must be an integer >= 0, got 1.5"),
    (_set_dataset("seed", -1), "dataset 'seed' must be an integer >= 0, got -1"),
    (_set_dataset("samples", 0), "dataset 'samples' must be null or an integer > 0"),
    (_set_dataset("name", "mnist"), "unknown dataset 'mnist'"),
])
def test_graph_refuses_each_bad_field_of_model_json_by_name(capsys, saved_run, tmp_path,
                                                            change, fragment):
    folder = edited(saved_run, tmp_path, change)
    status, out, err = run(capsys, "graph", str(folder), "--out", str(tmp_path / "g.svg"))
    assert_user_error(status, out, err, fragment)
    if "unknown dataset" not in fragment:
        assert "model.json" in err
    assert not (tmp_path / "g.svg").exists()


def test_the_saved_model_json_passes_its_own_checks(capsys, saved_run, tmp_path):
    status, _, err = run(capsys, "graph", str(saved_run), "--out", str(tmp_path / "g.svg"))
    assert status == 0, err


# ---- a diverging run ----


def test_a_loss_that_becomes_nan_in_the_first_epoch_saves_nothing_and_exits_1(capsys,
                                                                                tmp_path):
    pytest.importorskip("sklearn")
    out = tmp_path / "run"
    status, stdout, err = run(capsys, "train", "--dataset", "diabetes", "--optimizer", "sgd",
                              "--lr", "50", "--activation", "relu", "--hidden", "64", "64",
                              "--epochs", "5", "--verbose", "0", "--out", str(out))
    assert status == 1
    assert err == ("autograd-core train: error: the loss became inf in epoch 1 (batch 3); "
                   "nothing was saved; try a lower --lr (now 50)\n")
    assert not out.exists() or not any(out.iterdir())


def test_a_loss_that_becomes_nan_later_saves_the_last_finite_weights(capsys, tmp_path):
    pytest.importorskip("sklearn")
    out = tmp_path / "run"
    status, stdout, err = run(capsys, "train", "--dataset", "diabetes", "--optimizer", "sgd",
                              "--lr", "5", "--hidden", "64", "64", "--epochs", "5",
                              "--verbose", "0", "--out", str(out))
    assert status == 1
    assert err == ("autograd-core train: error: the loss became inf in epoch 2 (batch 1); "
                   "saved the weights of epoch 1, the last with a finite loss; try a lower "
                   "--lr (now 5)\n")
    weights, _ = load_state(out / "model.safetensors")
    assert all(np.isfinite(w).all() for w in weights.values())
    history = json.loads((out / "history.json").read_text())
    assert history["stopped_early"] and history["history"]["loss"][1] is None  # inf: null


# ---- Ctrl-C ----


def test_sigint_saves_the_partial_results_and_exits_130(tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(REPO), os.environ.get("PYTHONPATH", "")])}
    out = tmp_path / "run"
    proc = subprocess.Popen(
        [sys.executable, "-m", "nn", "train", "--epochs", "1000000", "--samples", "200",
         "--hidden", "4", "--verbose", "2", "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    try:
        for line in proc.stdout:
            if line.startswith("Epoch 2/"):
                break
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert "interrupted after" in err and f"the partial results are saved in {out}" in err
    history = json.loads((out / "history.json").read_text())
    assert history["interrupted"] and len(history["epoch"]) >= 2
    for name in ("model.safetensors", "model.json", "graph.svg"):
        assert (out / name).is_file()


def test_a_keyboard_interrupt_from_a_callback_ends_the_same_way(capsys, tmp_path,
                                                                monkeypatch):
    from nn.callbacks import LambdaCallback

    def stop(epoch, logs):
        if epoch == 1:
            raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_progress", lambda epochs: LambdaCallback(on_epoch_end=stop))
    out = tmp_path / "run"
    status, _, err = run(capsys, "train", "--out", str(out), "--epochs", "50", "--samples",
                         "120", "--hidden", "4", "--verbose", "1")
    assert status == 130
    assert err.endswith(f"interrupted after 1 of 50 epochs; the partial results are saved in "
                        f"{out}\n")
    assert json.loads((out / "history.json").read_text())["interrupted"]
    assert (out / "model.safetensors").is_file()


def test_an_interrupt_before_training_exits_130_without_files(capsys, tmp_path, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "prepare_data", interrupted)
    status, _, err = run(capsys, "train", "--out", str(tmp_path / "run"), *QUICK)
    assert status == 130 and err == "autograd-core: interrupted\n"
    assert not (tmp_path / "run").exists()
