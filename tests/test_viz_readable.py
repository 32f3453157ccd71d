"""Graphs a learner can read: small tensors' values, no -0, any name, folded repeated blocks,
composites drawn as one box that expands on request."""

import re
import shutil
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor

pytest.importorskip("graphviz", reason="the graphviz Python package is not installed")

from test_viz import _groups, _node_with, _text, render  # noqa: E402

from autograd_core.viz import (  # noqa: E402
    composite,
    composite_of,
    draw,
    mark_composite,
    save_svg,
)

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' is missing")


def _width(path) -> float:
    return float(re.search(r'width="([\d.]+)pt"', path.read_text()).group(1))


# ---- values ----


@needs_dot
def test_tensors_of_up_to_eight_elements_show_their_values(tmp_path):
    b = Tensor([0.5, -1.25, 2.0, 3.0], requires_grad=True, name="bias")
    W = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True, name="W")
    big = Tensor(np.arange(9.0), requires_grad=True, name="big")
    loss = (b.sum() + W.sum() * 2 + big.sum()) * 1
    loss.backward()
    svg = render(loss, tmp_path)
    assert _text(_node_with(svg, "bias"))[2:] == ["data [0.5, -1.25, 2, 3]", "grad [1, 1, 1, 1]"]
    # a matrix of a few rows reads row by row
    assert _text(_node_with(svg, "W"))[2:] == ["data [0, 1, 2]", "[3, 4, 5]",
                                                "grad [2, 2, 2]", "[2, 2, 2]"]
    assert _text(_node_with(svg, "big"))[2] == "data min 0 mean 4 max 8"  # 9: a summary


@needs_dot
def test_no_negative_zero_anywhere(tmp_path):
    x = Tensor([-0.0, 0.0, -0.0], requires_grad=True, name="x")
    y = Tensor(-0.0, requires_grad=True, name="y")
    z = ag.clip(x * 0.0, a_min=-0.0, a_max=None).sum() + y * -0.0  # -0.0 in a parameter too
    z.backward(retain_grads=True)
    words = _text(render(z, tmp_path))
    negative_zero = re.compile(r"(?<![\w.])-0(\.0*)?(?![.\d])")  # -0, -0.0; not -0.5
    assert not any(negative_zero.search(w) for w in words), words
    assert "data [0, 0, 0]" in words and "grad 0" in words
    src = draw(z, max_nodes=None).source
    assert "a_min=0.0" in src and not negative_zero.search(src)


# ---- names ----

NASTY = ["\x07", "\x00", "a\x00b", "\x1b[31mred", 'say "hi"', "<b>bold</b>", "R&D", "&lt;",
         "&#0;", "tab\there", "line\nbreak", "\\N", "\\", "{a|b}", "\ud800", "\ufffe",
         "é ☃ 名前", "x" * 5000, "", " ", "\r\n", "\x7f\x85", "%s %d", "-0"]


@needs_dot
@pytest.mark.parametrize("rankdir", ["LR", "TB"])
def test_any_python_string_is_a_safe_name(tmp_path, rankdir):
    xs = [Tensor(float(i), requires_grad=True, name=n) for i, n in enumerate(NASTY)]
    total = xs[0]
    for x in xs[1:]:
        total = total + x
    total.name = "\x00out\x07"
    mods = Tensor(1.0, requires_grad=True, name="m\x00od&<>.weight")  # a cluster label too
    total = total * mods
    total.backward()
    path = save_svg(total, tmp_path / "names.svg", rankdir=rankdir, max_nodes=None)
    words = " ".join(_text(ET.parse(path).getroot()))  # parses: valid XML
    for shown in ["\\x07", "\\x00out\\x07", "a\\x00b", "R&D", "&lt;", "&#0;", "<b>bold</b>",
                  'say "hi"', "\\N", "é ☃ 名前", "\\ud800", "\\ufffe", "m\\x00od&<>"]:
        assert shown in words, shown
    assert "x" * 79 + "…" in words and "x" * 81 not in words  # long names are cut


def test_names_passed_to_draw_are_safe_too():
    x = Tensor(1.0, requires_grad=True)
    src = draw(x * 2, names={"\x00\x07": x}).source
    assert "\x00" not in src and "\x07" not in src and "\\\\x00\\\\x07" in src


# ---- repeated blocks ----


def skip_chain(n: int) -> Tensor:
    x = Tensor(0.3, requires_grad=True, name="x")
    z = x
    for _ in range(n):
        z = z.sin() * 0.5 + z  # a skip connection in every block
    z.backward(retain_grads=True)
    return z


@needs_dot
def test_repeated_blocks_with_skip_connections_fold(tmp_path):
    z = skip_chain(50)
    svg = render(z, tmp_path)
    run = _node_with(svg, "(sin → multiply → add) × 49")
    assert "147 ops collapsed (+49 constants)" in _text(run)
    assert len(_groups(svg, "node")) < 20
    assert _width(tmp_path / "graph.svg") < 1500  # 24,000 pt before blocks folded
    full = render(z, tmp_path, "full.svg", max_nodes=None)
    assert _text(full).count("sin") == 2 * 50  # max_nodes=None still draws every op


def test_blocks_that_differ_do_not_fold():
    x = Tensor(0.3, requires_grad=True, name="x")
    z = x
    for k in range(200):
        z = (z.sin() if k % 2 else z.cos()) * 0.5 + z  # period 2 in blocks: folds as a pair
    src = draw(z).source
    assert "(cos → multiply → add → sin → multiply → add) × 99" in src
    w = x
    for _ in range(200):
        w = w.sin() * 0.5 + w * 1.0  # a different block structure from the one above
    assert "(sin → multiply → multiply → add) × 199" in draw(w).source


# ---- composites ----


@composite("binary_crossentropy")
def bce(y_true, p):
    p = ag.clip(p, a_min=1e-7, a_max=1 - 1e-7)
    return -(y_true * ag.log(p) + (1 - y_true) * ag.log(1 - p)).mean()


def classifier() -> tuple[Tensor, Tensor, Tensor]:
    rng = np.random.default_rng(0)
    X = Tensor(rng.standard_normal((8, 2)), name="X")
    y = Tensor((rng.random((8, 1)) > 0.5).astype(float), name="y")
    w = Tensor(rng.standard_normal((2, 1)), requires_grad=True, name="dense.kernel")
    p = ag.sigmoid(X @ w)
    loss = bce(y, p)
    loss.name = "loss"
    loss.backward(retain_grads=True)
    return loss, p, w


@needs_dot
def test_a_marked_composite_is_one_box_by_default_and_expands_on_request(tmp_path):
    loss, p, w = classifier()
    assert composite_of(loss).name == "binary_crossentropy" and composite_of(p) is None
    box = _node_with(render(loss, tmp_path), "loss = binary_crossentropy")
    words = _text(box)
    assert words[1].startswith("9 ops: clip, log, multiply") and "(+2 constants)" in words[1]
    assert f"data {loss.item():.4g}" in words and "grad 1" in words
    collapsed = render(loss, tmp_path, "c.svg")
    assert "clip" not in _text(collapsed)  # no op node of its own
    assert "sigmoid" in _text(collapsed) and "dense.kernel" in _text(collapsed)
    expanded = render(loss, tmp_path, "e.svg", collapse=False)
    assert "clip" in _text(expanded) and _text(expanded).count("log") == 4
    assert _width(tmp_path / "c.svg") < _width(tmp_path / "e.svg") / 1.5
    by_name = draw(loss, collapse=["binary_crossentropy"]).source
    assert by_name == draw(loss).source
    assert "label=log " in draw(loss, collapse="something_else").source


def test_nested_composites_collapse_into_the_outer_one_or_alone():
    @composite("inner")
    def inner(a):
        return ag.exp(a) * 2 + 1

    @composite("outer")
    def outer(a):
        return ag.log(inner(a)).sum()

    x = Tensor([0.5, 1.0], requires_grad=True, name="x")
    out = outer(x)
    assert [c.name for c in composite_of(out.parents[0].parents[0]).chain()] == \
        ["inner", "outer"]
    assert "outer" in draw(out).source and "inner" not in draw(out).source
    only_inner = draw(out, collapse="inner").source
    assert "inner|3 ops: exp, multiply, add" in only_inner
    assert "label=log " in only_inner and "label=exp " not in only_inner  # op nodes


def test_mark_composite_tags_between_inputs_and_output_only():
    x = Tensor([1.0, 2.0], requires_grad=True, name="x")
    h = ag.tanh(x)  # made before: not part of the composite
    out = mark_composite(ag.exp(h) + 1, inputs=[h], name="softplus_ish")
    assert composite_of(out).name == "softplus_ish"
    assert composite_of(out.parents[0]) is composite_of(out)
    assert composite_of(h) is None and composite_of(x) is None
    assert mark_composite(x, [], "leaf") is x and composite_of(x) is None


def test_bad_composite_and_collapse_arguments_are_named():
    with pytest.raises(TypeError, match=r"composite: name must be a str.*@composite\(\"name\"\)"):
        composite(lambda a: a)
    x = Tensor(1.0, requires_grad=True)
    with pytest.raises(TypeError, match="collapse must be True, False, a composite's name"):
        draw(x * 2, collapse=3)
