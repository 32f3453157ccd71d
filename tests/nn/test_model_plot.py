"""nn.plot_model / nn.model_to_dot: the layer DAG drawn with Graphviz."""

import re
import shutil

import numpy as np
import pytest

import nn


def _model():
    x = nn.Input(shape=(4,), name="x")
    h = nn.Dense(8, name="hidden")(x)
    head_in = nn.Input(shape=(12,))
    head = nn.Model(head_in, nn.Dense(3, name="head_out")(head_in), name="head")
    frozen = nn.Dense(8, name="frozen", trainable=False)
    out = head(nn.Concatenate(name="cat")([nn.Add(name="add")([h, frozen(h)]), x]))
    return nn.Model(x, out, name="demo")


def _edges(source):
    return set(re.findall(r'^\s*"?([\w/]+)"? -> "?([\w/]+)"?', source, flags=re.M))


def test_dot_has_one_node_per_layer_and_one_edge_per_connection():
    dot = nn.model_to_dot(_model())
    assert _edges(dot.source) == {("x", "hidden"), ("hidden", "frozen"), ("hidden", "add"),
                                  ("frozen", "add"), ("add", "cat"), ("x", "cat"),
                                  ("cat", "head")}
    assert "in (None, 8), (None, 8)" in dot.source and "out (None, 12)" in dot.source
    assert "72 params, frozen" in dot.source and "filled,dashed" in dot.source
    assert "#ffe2b3" in dot.source  # the output layer in the output colour of autograd_core.viz
    assert "cluster" not in dot.source


def test_expand_nested_draws_a_cluster_and_wires_into_it():
    model = _model()
    inner_input = model.get_layer("head").layers[0].name
    source = nn.model_to_dot(model, expand_nested=True, rankdir="LR").source
    assert "subgraph cluster_1" in source and "label=head" in source
    edges = _edges(source)
    assert ("cat", f"head/{inner_input}") in edges  # the outer edge enters the nested input
    assert (f"head/{inner_input}", "head/head_out") in edges
    assert ("cat", "head") not in edges


def _labels(source):
    return re.findall(r'label="([^"]*)"', source)


def test_options_hide_names_and_shapes():
    labels = _labels(nn.model_to_dot(_model(), show_shapes=False,
                                     show_layer_names=False).source)
    assert labels and not any("(None" in text or "hidden" in text for text in labels)
    assert any(text.startswith("{Dense") for text in labels)
    labels = _labels(nn.model_to_dot(_model()).source)
    assert any(text.startswith("{hidden (Dense)|in (None, 4)|out (None, 8)") for text in labels)


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")
def test_plot_model_writes_svg_and_png(tmp_path):
    model = nn.Sequential([nn.Input(shape=(784,)), nn.Dense(32, "relu"), nn.Dense(10)])
    svg = nn.plot_model(model, tmp_path / "seq.svg")
    assert svg.read_text().lstrip().startswith("<?xml") and "dense" in svg.read_text()
    png = nn.plot_model(_model(), tmp_path / "f.png", expand_nested=True)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_subclassed_models_and_bad_arguments_are_refused(tmp_path):
    class Net(nn.Module):
        def forward(self, x):
            return x

    with pytest.raises(TypeError, match="Sequential and functional.*autograd_core.viz"):
        nn.plot_model(Net(), tmp_path / "n.svg")
    with pytest.raises(ValueError, match="rankdir"):
        nn.model_to_dot(_model(), rankdir="up")
    with pytest.raises(ValueError, match=r"\.svg, \.png or \.pdf"):
        nn.plot_model(_model(), tmp_path / "m.jpg")
    assert np.isfinite(_model()(np.ones((1, 4))).data).all()
