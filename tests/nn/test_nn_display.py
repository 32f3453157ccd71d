"""Jupyter's displays of nn objects: a model's summary as HTML, a History's curves."""

import base64
import html
import re
import sys

import numpy as np
import pytest

import nn
from nn import Dense, Dropout, Sequential


def model():
    return Sequential(Dense(16, "relu", input_dim=4), Dropout(0.2), Dense(3))


def test_summary_prints_once_and_returns_none(capsys):
    m = model()
    assert m.summary() is None
    out = capsys.readouterr().out
    assert out.count("Total params: 131") == 1
    assert out == m.summary(print_fn=None) + "\n"


def test_a_model_displays_its_summary_as_an_html_table():
    table = model()._repr_html_()
    rows = re.findall(r"<tr>(.*?)</tr>", table, flags=re.S)
    cells = [[html.unescape(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r)]
             for r in rows]
    assert cells[0] == ["Layer (type)", "Output shape", "Params"]
    assert cells[1] == ["layers.0 (Dense)", "(None, 16)", "80"]
    assert cells[2] == ["layers.1 (Dropout)", "(None, 16)", "0"]
    assert cells[3] == ["layers.2 (Dense)", "(None, 3)", "51"]
    assert ["Total params: 131"] in cells and ["Non-trainable params: 0"] in cells


def test_layer_names_are_escaped_in_the_html_summary():
    class Odd(nn.Module):
        def __init__(self):
            super().__init__()
            setattr(self, "<b>&", Dense(2, input_dim=2))

        def forward(self, x):
            return getattr(self, "<b>&")(x)

    table = Odd()._repr_html_()
    assert "<b>&" not in table and "&lt;b&gt;&amp; (Dense)" in table


def trained_history():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 2))
    y = (X[:, 0] > 0).astype(np.int64)
    m = Sequential(Dense(4, "tanh", input_dim=2, seed=0), Dense(2, seed=1))
    m.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"], from_logits=True)
    return m.fit(X, y, epochs=3, batch_size=10, validation_split=0.25, verbose=0)


def test_a_history_displays_its_curves_as_png():
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    open_before = plt.get_fignums()
    bundle = trained_history()._repr_mimebundle_()
    png = base64.b64decode(bundle["image/png"])
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5000
    assert bundle["text/plain"].startswith("History(3 epochs")
    assert plt.get_fignums() == open_before  # no figure left for pyplot to show again


def test_without_matplotlib_a_history_shows_a_table_of_its_last_values(monkeypatch):
    history = trained_history()
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    bundle = history._repr_mimebundle_()
    assert "image/png" not in bundle
    rows = re.findall(r"<tr>(.*?)</tr>", bundle["text/html"], flags=re.S)
    cells = [re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r) for r in rows]
    h = history.history
    assert cells[0] == ["metric", "train", "validation"]
    assert ["loss", f"{h['loss'][-1]:.4g}", f"{h['val_loss'][-1]:.4g}"] in cells
    assert ["accuracy", f"{h['accuracy'][-1]:.4g}", f"{h['val_accuracy'][-1]:.4g}"] in cells
    assert ["lr", "0.001", ""] in cells


def test_an_empty_history_is_plain_text():
    assert nn.History()._repr_mimebundle_() == {"text/plain": "History(0 epochs: )"}


def test_plot_history_closes_its_figure_only_under_an_inline_backend(monkeypatch):
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    history = trained_history()
    fig = nn.plot.plot_history(history)
    assert fig.number in plt.get_fignums()  # a script may still plt.show() it
    plt.close(fig)
    monkeypatch.setattr(plt, "get_backend", lambda: "module://matplotlib_inline.backend_inline")
    fig = nn.plot.plot_history(history)
    assert fig.number not in plt.get_fignums() and len(fig.axes) == 2
