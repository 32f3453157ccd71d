"""In a drawn graph, a convolution, a pooling and each recurrent step read as one box inside
their layer's box (composites), and Graphviz renders it."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

import autograd_core as ag
import nn


def _loss(model, x):
    loss = ag.sum(model(x))
    loss.name = "loss"
    loss.backward(retain_grads=True)
    return loss


def test_conv_and_pooling_are_one_box_each_in_their_layer():
    nn.set_seed(0)
    model = nn.Sequential(nn.Conv2D(2, 3, activation="relu", input_shape=(6, 6, 1)),
                          nn.Conv2D(2, 3, padding="same"), nn.MaxPooling2D(), nn.Flatten(),
                          nn.Dense(2))
    x = ag.Tensor(np.random.default_rng(0).random((1, 6, 6, 1)), dtype=np.float32)
    conv = model.layers[0].forward(x)
    assert conv.op == "conv_bias" and ag.viz.composite_of(conv).name == "conv2d"  # relu fused
    assert ag.viz.composite_of(model.layers[2](conv)).name == "max_pool2d"
    source = ag.viz.draw(_loss(model, x), show_data=False).source
    # the padded convolution is a box (pad, conv_bias); the valid one is one node, its op
    assert source.count('label="conv2d|') == 1 and source.count('label="conv_bias|') == 1
    assert source.count('label="max_pool|') == 1  # one primitive: drawn as its op, no box
    bn = nn.Sequential(nn.BatchNormalization(input_shape=(3,)), nn.LayerNormalization())
    boxes = ag.viz.draw(_loss(bn, np.ones((4, 3), np.float32) * [[1], [2], [3], [5]])).source
    assert 'label="batch_normalization|' in boxes and 'label="layer_normalization|' in boxes
    assert source.count('[label="conv_bias\\n') == 1  # the ops inside a box are not drawn
    expanded = ag.viz.draw(_loss(model, x), collapse=False).source
    assert expanded.count('[label="conv_bias\\n') == 2  # expanded, both convolutions' are
    if shutil.which("dot"):
        ag.viz.save_svg(_loss(model, x), _tmp_svg())  # dot accepts the clusters


def _tmp_svg():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp()) / "graph.svg"


@pytest.mark.parametrize("cls, cell", [(nn.LSTM, "lstm_cell"), (nn.GRU, "gru_cell"),
                                       (nn.SimpleRNN, "simplernn_cell")])
def test_each_recurrent_step_is_one_box(cls, cell):
    model = nn.Sequential(cls(3, input_shape=(5, 2)), nn.Dense(1))
    x = np.random.default_rng(0).random((2, 5, 2)).astype(np.float32)
    source = ag.viz.draw(_loss(model, x), show_data=False, max_nodes=None).source
    assert source.count(f'label="{cell}|') == 5
    if shutil.which("dot"):
        ag.viz.save_svg(_loss(model, x), _tmp_svg())
