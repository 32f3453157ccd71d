"""Every script in examples/ runs in quick mode and prints what it teaches.

Each runs in a subprocess with AUTOGRAD_EXAMPLE_QUICK=1, from a temporary folder and with
--out in tmp_path, so nothing lands in the repository.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
HAS_DOT = shutil.which("dot") is not None

pytest.importorskip("matplotlib")


def run_example(name: str, tmp_path: Path, *args: str) -> tuple[str, Path]:
    """(stdout, output folder) of ``python examples/<name>.py --out ... *args`` in quick mode."""
    out = tmp_path / "out"
    env = {**os.environ, "AUTOGRAD_EXAMPLE_QUICK": "1", "MPLBACKEND": "Agg",
           "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    # one BLAS thread: on a busy machine, threads spinning for small matrices cost 10x
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    done = subprocess.run([sys.executable, str(EXAMPLES / f"{name}.py"), "--out", str(out),
                           *args],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, f"{name} failed:\n{done.stdout}\n{done.stderr}"
    assert not (tmp_path / "runs").exists(), "an example wrote outside --out"
    return done.stdout, out


def _number(pattern: str, text: str) -> float:
    match = re.search(pattern, text)
    assert match, f"{pattern!r} not in output:\n{text}"
    return float(match.group(1))


def test_perceptron_learns_and_or_but_not_xor(tmp_path):
    out, folder = run_example("perceptron_logic", tmp_path)
    assert "AND: learned in" in out and "OR: learned in" in out
    assert "XOR: NOT learned" in out
    assert "1 AND 1 = 1 (expected 1)" in out
    assert out.count("<- wrong") >= 1  # only in the XOR table
    assert {p.name for p in folder.glob("*.png")} == {
        "perceptron_and.png", "perceptron_or.png", "perceptron_xor.png"}


def test_xor_mlp_learns_xor(tmp_path):
    out, folder = run_example("xor_mlp", tmp_path)
    assert "XOR learned" in out
    for a, b in ((0, 0), (0, 1), (1, 0), (1, 1)):
        assert f"{a} XOR {b} = {a ^ b} " in out
    first = _number(r"step\s+1\s+loss (\S+)", out)
    last = _number(r"step\s+300\s+loss (\S+)", out)
    assert last < first / 10
    assert (folder / "xor_boundary.png").is_file()
    if HAS_DOT:
        assert (folder / "xor_graph.svg").read_text().lstrip().startswith("<?xml")


def test_dual_numbers_reproduce_the_course_example(tmp_path):
    out, folder = run_example("dual_numbers", tmp_path)
    assert "f(Dual(3, 1), 4) = Dual(42.0, 24.0)" in out
    assert "df/dy = 10" in out
    assert "reverse mode: df/dx = 24, df/dy = 10" in out
    assert "the two modes agree: True" in out
    assert _number(r"largest \|dual - reverse\| = (\S+)", out) < 1e-12
    assert "reverse mode gives the same: True" in out
    assert (folder / "dual_derivative.png").is_file()


def test_vanishing_gradients_shows_sigmoid_against_relu(tmp_path):
    out, folder = run_example("vanishing_gradients", tmp_path)
    assert "layers.10" in out  # a line per layer
    sigmoid = _number(r"sigmoid: first layer / last layer = (\S+)", out)
    relu = _number(r"relu: first layer / last layer = (\S+)", out)
    assert sigmoid < 1e-4 < 1e-2 < relu
    assert _number(r"relu\s+loss (\S+)", out) < _number(r"sigmoid\s+loss (\S+)", out)
    assert (folder / "gradient_norms.png").is_file()
    if HAS_DOT:
        assert (folder / "deep_sigmoid_graph.svg").is_file()


def test_digits_trains_saves_and_reloads(tmp_path):
    pytest.importorskip("sklearn")
    out, folder = run_example("digits", tmp_path)
    assert "1437 training and 360 test digits" in out
    assert "Total params: 4,810" in out
    assert _number(r"test accuracy (\S+)", out) > 0.8
    assert "predicts the same on all 360 test digits: True" in out
    assert (folder / "digits.safetensors").is_file()
    assert (folder / "digits_history.png").is_file()


def test_lr_finder_plots_and_trains_with_its_readings(tmp_path):
    out, folder = run_example("lr_finder", tmp_path)
    assert "swept" in out and "suggestion: lr =" in out
    for label in ("steepest", "min / 10", "tiny"):
        assert re.search(rf"{re.escape(label)}\s+lr = \S+\s+test loss", out), label
    assert (folder / "lr_find.png").read_bytes()[:4] == b"\x89PNG"


def test_cnn_digits_reaches_98_percent(tmp_path):
    pytest.importorskip("sklearn")
    out, folder = run_example("cnn_digits", tmp_path)
    assert "1437 training and 360 test images of shape (8, 8, 1)" in out
    assert "Total params: 21,770" in out and "Non-trainable params: 192" in out
    assert _number(r"test accuracy (\S+)", out) >= 0.98
    assert "loads them predicts the same: True" in out
    assert (folder / "cnn_digits.safetensors").is_file()
    if HAS_DOT:
        assert (folder / "cnn_step_graph.svg").read_text().lstrip().startswith("<?xml")


def test_lstm_learns_the_adding_problem_and_dense_does_not(tmp_path):
    out, folder = run_example("lstm_adding", tmp_path)
    baseline = _number(r"scores mse (\S+)", out)
    lstm = _number(r"LSTM\(16\)\s+\d+ weights\s+test mse (\S+)", out)
    dense = _number(r"Dense\s+\d+ weights\s+test mse (\S+)", out)
    assert lstm < 0.5 * dense and dense > 0.8 * baseline
    assert out.count("the LSTM says") == 3
    assert (folder / "lstm_adding_history.png").is_file()


def test_rnn_gradients_vanish_explode_and_clipping_trains(tmp_path):
    out, folder = run_example("rnn_gradients", tmp_path)
    assert _number(r"tanh, gain 1: first step / last step = (\S+)", out) < 0.1
    assert _number(r"relu, gain 1.5: first step / last step = (\S+)", out) > 10
    assert re.search(r"no clipping\s+loss \S+, then not finite from step \d+ on", out)
    assert _number(r"clip_grad_norm 1.0\s+loss \S+ -> (\S+)", out) < 1.0
    assert (folder / "rnn_gradients.png").read_bytes()[:4] == b"\x89PNG"


def _write_fashion_like(folder: Path, n_train: int, n_test: int) -> None:
    """Four gzipped IDX files of 28x28 images whose class is where a bright square sits."""
    import gzip

    rng = np.random.default_rng(0)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        labels = rng.integers(0, 10, n).astype(np.uint8)
        images = rng.integers(0, 60, (n, 28, 28)).astype(np.uint8)
        for i, c in enumerate(labels):
            r, col = divmod(int(c), 5)
            images[i, 4 + 12 * r:12 + 12 * r, 1 + 5 * col:5 + 5 * col] = 250
        for kind, array in (("images-idx3", images), ("labels-idx1", labels)):
            header = bytes([0, 0, 8, array.ndim]) + b"".join(
                int(d).to_bytes(4, "big") for d in array.shape)
            (folder / f"{prefix}-{kind}-ubyte.gz").write_bytes(
                gzip.compress(header + array.tobytes()))


def test_cnn_fashion_mnist_trains_when_the_files_are_there(tmp_path):
    data = tmp_path / "fashion"
    data.mkdir()
    out, _ = run_example("cnn_fashion_mnist", tmp_path, "--data", str(data))
    assert "Fashion-MNIST files not found" in out and "--data FOLDER" in out
    _write_fashion_like(data, 2000, 500)  # the real files cannot be fetched here
    out, folder = run_example("cnn_fashion_mnist", tmp_path, "--data", str(data))
    assert "2000 training and 500 test images of shape (28, 28, 1)" in out
    assert _number(r"test accuracy (\S+)", out) > 0.9  # the squares are easy to tell apart
    assert (folder / "cnn_fashion.safetensors").is_file()


def test_every_example_is_tested():
    covered = {"perceptron_logic", "xor_mlp", "dual_numbers", "vanishing_gradients", "digits",
               "lr_finder", "cnn_digits", "lstm_adding", "rnn_gradients", "cnn_fashion_mnist"}
    scripts = {p.stem for p in EXAMPLES.glob("*.py")}
    assert scripts == covered, f"examples without a test here: {sorted(scripts - covered)}"
