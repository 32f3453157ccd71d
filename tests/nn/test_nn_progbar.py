"""fit's progress display: readable at 80 columns, 80 when the size is unknown, quiet at 0."""

import os
import re
import sys
import types

import numpy as np
import pytest

from nn import Dense, Sequential
from nn.callbacks import progbar

pytest.importorskip("tqdm")


def fit_classifier(verbose=1, epochs=2):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 2))
    y = (X[:, 0] > 0).astype(np.int64)
    model = Sequential(Dense(4, "tanh", input_dim=2, seed=0), Dense(2, seed=1))
    model.compile("adam", "sparse_categorical_crossentropy", from_logits=True,
                  metrics=["accuracy"])
    return model.fit(X, y, epochs=epochs, batch_size=8, validation_split=0.2, verbose=verbose)


def screen_lines(text):
    """What stays on screen: each line's last carriage-return segment."""
    return [line.split("\r")[-1] for line in text.split("\n")]


def as_terminal(monkeypatch, columns, lines=24):
    monkeypatch.setattr(progbar, "_is_terminal", lambda: True)
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.delenv("LINES", raising=False)
    monkeypatch.setattr(os, "get_terminal_size", lambda fd=0: os.terminal_size((columns, lines)))


@pytest.mark.parametrize("columns", [80, 120])
def test_every_metric_is_readable_and_every_line_fits(capsys, monkeypatch, columns):
    as_terminal(monkeypatch, columns)
    history = fit_classifier()
    err = capsys.readouterr().err
    # every segment ever drawn fits, not only what stays on screen
    assert max(len(seg) for line in err.split("\n") for seg in line.split("\r")) <= columns
    shown = "\n".join(screen_lines(err))
    for key, values in history.history.items():
        value = f"{values[-1]:.3g}" if key == "lr" else f"{values[-1]:.4f}"
        assert f"{key}: {value}" in shown, key
    bars = [line for line in screen_lines(err) if line.startswith("Epoch ")]
    assert len(bars) == 2 and all(re.search(r"\|█{10,}\|", bar) for bar in bars)


def test_a_terminal_of_unknown_size_gets_80_columns(capsys, monkeypatch):
    as_terminal(monkeypatch, 0, 0)
    fit_classifier()
    err = capsys.readouterr().err
    bars = [line for line in screen_lines(err) if line.startswith("Epoch ")]
    assert len(bars) == 2 and all(len(bar) == 80 for bar in bars)
    assert all(line.strip() for line in screen_lines(err)[:-1])  # no blank lines


def test_columns_from_the_environment_win(monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    assert progbar.terminal_width() == 100


def test_wrap_items_breaks_between_items_only():
    items = [f"metric_{i}: 0.{i}000" for i in range(9)]
    lines = progbar.wrap_items(items, 40, indent="  ")
    assert all(len(line) <= 40 for line in lines) and len(lines) > 2
    assert " - ".join(line.strip() for line in lines) == " - ".join(items)
    assert progbar.wrap_items(items, None) == [" - ".join(items)]


def test_verbose_2_on_a_terminal_wraps_the_epoch_line(capsys, monkeypatch):
    as_terminal(monkeypatch, 60)
    fit_classifier(verbose=2)
    out = capsys.readouterr().out
    assert all(len(line) <= 60 for line in out.splitlines())
    assert out.count("Epoch ") == 2 and "val_accuracy: " in out


def test_under_a_jupyter_kernel_with_ipywidgets_the_bar_is_tqdm_notebook(monkeypatch):
    pytest.importorskip("ipywidgets")
    from tqdm.notebook import tqdm as notebook_tqdm

    monkeypatch.setattr(progbar, "in_jupyter_kernel", lambda: True)
    cb = progbar.ProgbarLogger(1)
    cb.set_params({"epochs": 1, "steps": 3})
    assert cb._tqdm is notebook_tqdm
    monkeypatch.setattr(progbar, "in_jupyter_kernel", lambda: False)
    monkeypatch.setattr(progbar, "_is_terminal", lambda: False)
    cb.set_params({"epochs": 1, "steps": 3})
    assert cb._tqdm is None  # a pipe or a log file: one line per epoch


@pytest.mark.parametrize("shell, expected", [(None, False), ({}, False),
                                             ({"IPKernelApp": {}}, True)])
def test_a_kernel_is_detected_from_ipythons_config(monkeypatch, shell, expected):
    fake = types.ModuleType("IPython")
    fake.get_ipython = lambda: None if shell is None else types.SimpleNamespace(config=shell)
    monkeypatch.setitem(sys.modules, "IPython", fake)
    assert progbar.in_jupyter_kernel() is expected
    monkeypatch.delitem(sys.modules, "IPython")
    assert progbar.in_jupyter_kernel() is False  # never imported just to ask
