"""A smoke pass of every benchmark workload at tiny sizes: it runs and engines agree.

No timing is asserted here: speed is measured by `make bench`, never by a unit test.
"""

import math

import numpy as np
import pytest

from benchmarks import models
from benchmarks.__main__ import main
from benchmarks.harness import OURS, Mismatch, Row, check_agree
from benchmarks.targets import targets_table
from benchmarks.workloads import NUMPY, WORKLOADS

CANNOT_RUN = ("RecursionError", "needs ag.conv2d and ag.max_pool2d")


@pytest.mark.parametrize("name", sorted(WORKLOADS))
def test_workload_runs_at_tiny_size(name):
    rows = WORKLOADS[name](True)
    engines = {r.engine for r in rows}
    assert OURS in engines and NUMPY in engines
    for r in rows:
        if r.note in CANNOT_RUN:
            assert math.isnan(r.median)
            continue
        if r.unit == "MiB":
            # a tiny step can fit in pages the process already holds, and the kernel's
            # resident-set counters are approximate by a few dozen pages
            assert math.isfinite(r.median) and r.median > -0.5, r
        else:
            assert math.isfinite(r.median) and r.median > 0 and r.min > 0, r


def test_lenet_without_conv2d_says_so_instead_of_a_number(monkeypatch):
    monkeypatch.setattr(models, "has_conv", lambda: False)
    rows = models.lenet_step(True)
    ours = [r for r in rows if r.engine == OURS]
    assert len(ours) == 1 and ours[0].note == "needs ag.conv2d and ag.max_pool2d"
    assert math.isnan(ours[0].median)
    assert any(r.engine == NUMPY and math.isfinite(r.median) for r in rows)


def _numeric_grad(f, p, idx, eps=1e-6):
    old = p[idx]
    p[idx] = old + eps
    up = f()
    p[idx] = old - eps
    down = f()
    p[idx] = old
    return (up - down) / (2 * eps)


@pytest.mark.parametrize("which", ["lenet", "lstm"])
def test_hand_written_numpy_steps_match_finite_differences(which):
    # the NumPy halves are the reference the timed engines are checked against
    if which == "lenet":
        P, X, Y = models.lenet_data(2)
        step = models.numpy_lenet_step
    else:
        P, X, Y = models.lstm_data(3, 4, 5)
        step = models.numpy_lstm_step
    P = [p.astype(np.float64) for p in P]
    X = X.astype(np.float64)
    _, grads = step([p.copy() for p in P], X, Y, 0.0)
    rng = np.random.default_rng(1)
    for k, p in enumerate(P):
        for _ in range(3):
            idx = tuple(int(rng.integers(0, n)) for n in p.shape)
            num = _numeric_grad(lambda: float(step([q.copy() for q in P], X, Y, 0.0)[0]), p, idx)
            assert np.isclose(grads[k][idx], num, rtol=1e-4, atol=1e-7), (which, k, idx)


def test_ours_lstm_agrees_with_hand_written_bptt():
    fns = models.lstm_engines(3, 4, 5)
    check_agree({k: fns[k]() for k in (OURS, NUMPY)}, 1e-4, 1e-5, "LSTM step")


def test_targets_table_names_every_target_and_marks_unmeasured():
    rows = [Row("50 small ops (8,), fwd+bwd", OURS, "us/op", 2.5, 2.4),
            Row("50 small ops (8,), fwd+bwd", NUMPY, "us/op", 1.0, 1.0)]
    table = targets_table(rows)
    assert "| 50 small ops (8,), fwd+bwd, us/op | 2.5 | 1 | - | <= 3 | met |" in table
    for label in ("scalar MLP", "N=1,000,000", "MLP 784", "fit digits", "peak memory of the MLP",
                  "LeNet step, time", "LSTM step, time", "peak memory of the LSTM step"):
        assert label in table
    assert "not measured" in table


def test_runner_writes_table_and_json(tmp_path, capsys):
    assert main(["--quick", "--only", "small_ops", "--out", str(tmp_path)]) == 0
    assert "| 50 small ops" in (tmp_path / "quick.md").read_text()
    assert '"rows"' in (tmp_path / "quick.json").read_text()


def test_disagreeing_engines_are_reported_not_timed():
    with pytest.raises(Mismatch, match="other differs from ours"):
        check_agree({OURS: (1.0, [1.0, 2.0]), "other": (1.0, [1.0, 2.5])}, 1e-9, 0, "w")


def test_instruction_counts_driver_runs_and_divides_by_the_extra_iterations(monkeypatch):
    # valgrind itself is not run here (minutes); its count is replaced by a linear model
    import subprocess
    import sys

    from benchmarks import instructions as ins

    for workload in ("small_ops", "scalar_mlp", "deep_chain"):  # the driver, without valgrind
        subprocess.run([sys.executable, "-c", ins.DRIVER, str(ins.HERE), workload, "1"],
                       check=True, capture_output=True)
    nodes = ins.scalar_mlp_nodes(ins.HERE)
    assert nodes > 1000  # 5 points through 2-16-16-1: hundreds of nodes each
    monkeypatch.setattr(ins, "instructions", lambda repo, w, n: 5_000_000 + 7_000 * n)
    rows = ins.measure(ins.HERE, ["small_ops", "scalar_mlp", "deep_chain"], [1_000, 10_000])
    assert rows["small ops (8,), fwd+bwd"] == ("instr/op", 7_000 / 51)
    assert rows[f"scalar MLP 2-16-16-1, 5 points ({nodes:,} nodes)"] == ("instr/node",
                                                                        7_000 / nodes)
    assert rows["deep chain N=10,000"] == ("instr/op", 7_000)
