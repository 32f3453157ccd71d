"""Readable training-step graphs: losses and multi-op activations are marked composites
(drawn as one box, expanded on request, marked at no walking cost), and the CLI's graph names
the batch X and the targets y, top to bottom or left to right."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import autograd_core as ag
import autograd_core.composites as composites
import nn
from nn import cli, losses
from nn.activations import ACTIVATIONS

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot not installed")

QUICK = ["--epochs", "2", "--samples", "120", "--hidden", "4"]

# each loss with the targets it takes, for predictions of shape (6, 3)
TARGETS = {
    "mse": lambda rng: rng.standard_normal((6, 3)),
    "mae": lambda rng: rng.standard_normal((6, 3)),
    "sse": lambda rng: rng.standard_normal((6, 3)),
    "binary_crossentropy": lambda rng: (rng.random((6, 3)) > 0.5).astype(float),
    "categorical_crossentropy": lambda rng: np.eye(3)[rng.integers(0, 3, 6)],
    "sparse_categorical_crossentropy": lambda rng: rng.integers(0, 3, 6),
    "hinge": lambda rng: np.sign(rng.standard_normal((6, 3))),
    "perceptron": lambda rng: np.sign(rng.standard_normal((6, 3))),
}


def prediction(rng):
    w = ag.Tensor(rng.standard_normal((3, 3)), requires_grad=True, name="w")
    x = ag.Tensor(rng.random((6, 3)), name="x")
    return ag.sigmoid(x @ w)


def test_every_loss_is_listed_here():
    assert {fn.__name__ for fn in losses.LOSSES.values()} == set(TARGETS)


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_each_loss_is_one_box_that_expands_on_request(name):
    rng = np.random.default_rng(0)
    p = prediction(rng)
    loss = getattr(losses, name)(TARGETS[name](rng), p)
    assert ag.viz.composite_of(loss).name == name
    assert ag.viz.composite_of(p) is None  # the walk stops at the prediction
    boxed = ag.viz.draw(loss).source
    assert f'label="{name}|' in boxed and "sigmoid" in boxed
    expanded = ag.viz.draw(loss, collapse=False).source
    assert f'label="{name}|' not in expanded and boxed.count("->") < expanded.count("->")
    assert ag.viz.draw(loss, collapse=name).source == boxed


def test_a_named_target_tensor_is_drawn_with_its_name():
    rng = np.random.default_rng(1)
    p = prediction(rng)
    y = ag.Tensor((rng.random((6, 3)) > 0.5).astype(float), name="y")
    loss = losses.binary_crossentropy(y, p)
    source = ag.viz.draw(loss).source
    assert 'label="y|(6, 3) float64' in source and 'label="const|(6, 3)' not in source
    # the values are those of the array: the Tensor changes the picture, not the loss
    same = losses.binary_crossentropy(y.data, p)
    assert float(loss.data) == float(same.data)


def test_marking_records_the_boundary_and_walks_only_when_drawn(monkeypatch):
    walks = []
    real = composites._walk
    monkeypatch.setattr(composites, "_walk", lambda c, out: walks.append(c) or real(c, out))
    rng = np.random.default_rng(2)
    p = prediction(rng)
    y = (rng.random((6, 3)) > 0.5).astype(float)
    for _ in range(50):  # a training loop that never draws
        loss = losses.binary_crossentropy(y, p)
    assert walks == []
    assert ag.viz.composite_of(loss).name == "binary_crossentropy"
    assert len(walks) == 1  # the 49 earlier losses were freed, so nothing is left to walk
    assert composites._PENDING == {}


def test_a_composite_made_inside_another_nests_in_it_when_resolved_later():
    x = ag.Tensor(np.arange(3.0), requires_grad=True)
    made = []

    @ag.viz.composite("inner")
    def inner(t):
        made.append(ag.exp(t))
        return made[-1] * 2

    @ag.viz.composite("outer")
    def outer(t):
        made.append(inner(t) + 1)
        return ag.log(made[-1]).sum()

    out = outer(x)  # inner is marked first, outer after: resolved in that order, as made
    exp, plus = made
    assert [c.name for c in ag.viz.composite_of(exp).chain()] == ["inner", "outer"]
    assert [c.name for c in ag.viz.composite_of(plus).chain()] == ["outer"]
    assert ag.viz.composite_of(out).name == "outer"
    assert ag.viz.composite_of(x) is None


def swish(x):
    return x * ag.sigmoid(x)


def test_an_activation_of_several_ops_and_maxout_and_penalties_are_boxes():
    model = nn.Sequential(
        nn.Dense(4, activation=swish, input_dim=2, kernel_regularizer="l2", seed=0),
        nn.Maxout(3, pieces=2, seed=0),
        nn.Activation(swish),
        nn.Dense(1, seed=0),
    )
    X = ag.Tensor(np.ones((5, 2), np.float32), name="X")
    out = model(X)
    total = (out * out).mean() + sum(model.losses)
    boxes = ag.viz.draw(total, collapse=True).source
    assert boxes.count('label="swish|') == 2 and 'label="maxout|' in boxes
    assert 'label="L2|' in boxes
    assert 'label="swish|' not in ag.viz.draw(total, collapse="maxout").source


def test_a_built_in_activation_is_one_op_and_not_marked():
    for name in ACTIVATIONS:
        x = ag.Tensor(np.linspace(-1, 1, 4), requires_grad=True)
        out = nn.Dense(2, activation=name, input_dim=4, seed=0)(x[None])
        assert ag.viz.composite_of(out) is None, name


# ---- the CLI's graph ----


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("graphs") / "moons"
    assert cli.main(["train", "--out", str(out), "--verbose", "0", *QUICK]) == 0
    return out


def svg_size(path):
    root = ET.fromstring(path.read_bytes())
    lines = {t.strip() for t in root.itertext() if t.strip()}  # each text of the picture
    return (float(root.get("width").removesuffix("pt")),
            float(root.get("height").removesuffix("pt")), lines)


@needs_dot
def test_the_training_step_names_X_and_y_and_boxes_the_loss(run_folder):
    width, height, text = svg_size(run_folder / "graph.svg")
    assert "X" in text and "y" in text and "const" not in text  # titles of the nodes
    assert "loss = binary_crossentropy" in text
    assert any(t.startswith("10 ops: clip, log") for t in text)  # the box lists its ops
    assert "layers.0.kernel" in text and "activation='tanh'" in text  # fused into linear
    assert width < height and width < 1000  # top to bottom: fits a page width


@needs_dot
def test_graph_rankdir_lr_and_tb(capsys, run_folder, tmp_path):
    assert cli.main(["graph", str(run_folder), "--rankdir", "LR",
                     "--out", str(tmp_path / "lr.svg")]) == 0
    assert cli.main(["graph", str(run_folder), "--rankdir", "TB",
                     "--out", str(tmp_path / "tb.svg")]) == 0
    capsys.readouterr()
    lr_w, lr_h, lr_text = svg_size(tmp_path / "lr.svg")
    tb_w, tb_h, _ = svg_size(tmp_path / "tb.svg")
    assert lr_w > lr_h and tb_w < tb_h
    assert "X" in lr_text and "const" not in lr_text
    assert (tmp_path / "tb.svg").read_bytes() == (run_folder / "graph.svg").read_bytes()


def test_rankdir_is_checked_by_the_parser(capsys, run_folder):
    assert cli.main(["graph", str(run_folder), "--rankdir", "XY"]) == 2
    assert "--rankdir" in capsys.readouterr().err


def test_the_expanded_float32_loss_shows_its_clip_bounds_in_float32_digits():
    p = ag.sigmoid(ag.Tensor(np.linspace(-2, 2, 4, dtype=np.float32), requires_grad=True))
    loss = losses.binary_crossentropy(np.array([0, 1, 1, 0], np.float32), p)
    source = ag.viz.draw(loss, collapse=False).source
    assert "a_min=1e-07" in source and "a_max=0.9999999" in source
    assert "1.0000000116860974e-07" not in source
