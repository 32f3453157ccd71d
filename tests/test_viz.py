"""Graph rendering: the SVG is parsed and checked for what a reader would look for."""

import os
import re
import shutil
import stat
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor

graphviz = pytest.importorskip("graphviz", reason="the graphviz Python package is not installed")

from autograd_core import viz  # noqa: E402
from autograd_core.viz import GraphvizNotFoundError, draw, save_svg  # noqa: E402

needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None,
    reason="Graphviz 'dot' is not installed (`make test` installs it: apt-get install graphviz)",
)

SVG = "{http://www.w3.org/2000/svg}"


# ---- reading the SVG ----


def _text(el: ET.Element) -> list[str]:
    # graphviz writes escaped spaces as no-break spaces; compare words, not whitespace
    return [" ".join("".join(t.itertext()).split()) for t in el.iter(f"{SVG}text")]


def _groups(svg: ET.Element, cls: str) -> dict[str, ET.Element]:
    """Graphviz groups of one class ('node' or 'cluster') by their <title> (the DOT id)."""
    return {g.find(f"{SVG}title").text: g for g in svg.iter(f"{SVG}g") if g.get("class") == cls}


def _node_with(svg: ET.Element, text: str) -> ET.Element:
    found = [g for g in _groups(svg, "node").values() if text in _text(g)]
    assert len(found) == 1, f"expected one node showing {text!r}, found {len(found)}"
    return found[0]


def _box(el: ET.Element) -> tuple[float, float, float, float]:
    """Bounding box of a node's or cluster's outline (polygon points or path data)."""
    outline = el.find(f"{SVG}polygon")
    if outline is None:
        outline = el.find(f"{SVG}path")
    nums = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", outline.get("points") or
                                          outline.get("d"))]
    xs, ys = nums[0::2], nums[1::2]
    return min(xs), min(ys), max(xs), max(ys)


def _inside(inner: ET.Element, outer: ET.Element) -> bool:
    a, b = _box(inner), _box(outer)
    return b[0] <= a[0] and b[1] <= a[1] and a[2] <= b[2] and a[3] <= b[3]


def _cluster(svg: ET.Element, label: str) -> ET.Element:
    found = [g for g in _groups(svg, "cluster").values() if _text(g) == [label]]
    assert len(found) == 1, f"expected one cluster labelled {label!r}, found {len(found)}"
    return found[0]


def render(root: Tensor, tmp_path: Path, name: str = "graph.svg", **kwargs) -> ET.Element:
    return ET.parse(save_svg(root, tmp_path / name, **kwargs)).getroot()


# ---- graphs ----


def course_example() -> tuple[Tensor, Tensor, Tensor]:
    x = Tensor(3.0, requires_grad=True, name="x")
    y = Tensor(4.0, requires_grad=True, name="y")
    f = x * x * y + y + 2
    return f, x, y


def mlp(rng: int = 0) -> Tensor:
    r = np.random.default_rng(rng)
    X = Tensor(r.standard_normal((8, 3)), name="X")
    w0 = Tensor(r.standard_normal((3, 4)), requires_grad=True, name="layers.0.weight")
    b0 = Tensor(np.zeros(4), requires_grad=True, name="layers.0.bias")
    w1 = Tensor(r.standard_normal((4, 1)), requires_grad=True, name="layers.1.weight")
    b1 = Tensor(np.zeros(1), requires_grad=True, name="layers.1.bias")
    out = ag.linear(ag.tanh(ag.linear(X, w0, b0)), w1, b1)
    loss = (out * out).mean()
    loss.backward(retain_grads=True)
    return loss


def deep_sigmoid(depth: int) -> Tensor:
    r = np.random.default_rng(1)
    a = Tensor(r.standard_normal((16, 4)), name="X")
    for i in range(depth):
        w = Tensor(r.standard_normal((4, 4)), requires_grad=True, name=f"layers.{i}.weight")
        b = Tensor(np.zeros(4), requires_grad=True, name=f"layers.{i}.bias")
        a = ag.sigmoid(ag.linear(a, w, b))
    loss = a.mean()
    loss.backward(retain_grads=True)
    return loss


# ---- what a node shows ----


@needs_dot
def test_course_example_shows_ops_values_and_gradients(tmp_path):
    f, x, y = course_example()
    f.backward(retain_grads=True)
    svg = render(f, tmp_path)
    words = _text(svg)
    assert words.count("multiply") == 4 and words.count("add") == 4  # op nodes + untitled outputs
    out = _node_with(svg, "data 42")
    assert _text(out) == ["add", "scalar float64", "data 42", "grad 1"]
    assert _text(_node_with(svg, "x")) == ["x", "scalar float64", "data 3", "grad 24"]
    assert _text(_node_with(svg, "y")) == ["y", "scalar float64", "data 4", "grad 10"]
    assert _text(_node_with(svg, "data 9")) == ["multiply", "scalar float64", "data 9", "grad 4"]
    assert _text(_node_with(svg, "const 2")) == ["const 2", "scalar float64"]  # no grad row


@needs_dot
def test_leaves_parameters_constants_and_output_look_different(tmp_path):
    f, x, y = course_example()
    data = Tensor(5.0, name="data")  # a leaf that is neither a parameter nor a constant
    g = f * data
    g.backward(retain_grads=True)
    svg = render(g, tmp_path)

    def look(text):
        box = _node_with(svg, text).find(f"{SVG}polygon")
        return box.get("fill"), box.get("stroke"), float(box.get("stroke-width", 1))

    kinds = {k: look(t) for k, t in [("param", "x"), ("leaf", "data"), ("const", "const 2"),
                                     ("inner", "data 42"), ("output", "data 210")]}
    assert len(set(kinds.values())) == 5
    assert kinds["param"] == look("y")
    assert kinds["output"][2] > max(k[2] for k in kinds.values() if k != kinds["output"])


@needs_dot
def test_intermediate_without_retained_grad_says_so(tmp_path):
    f, x, y = course_example()
    f.backward()  # intermediates free their gradients
    svg = render(f, tmp_path)
    assert _text(_node_with(svg, "data 9"))[-1] == "grad —"
    assert _text(_node_with(svg, "x"))[-1] == "grad 24"


@needs_dot
def test_tensor_graph_shows_shapes_dtypes_values_and_min_mean_max(tmp_path):
    X = Tensor(np.arange(24, dtype=np.float32).reshape(8, 3), name="X")
    W = Tensor(np.ones((3, 2), dtype=np.float32), requires_grad=True, name="W")
    s = (X @ W).sum(axis=1)
    loss = s.mean()
    loss.backward(retain_grads=True)
    svg = render(loss, tmp_path)
    assert _text(_node_with(svg, "X")) == ["X", "(8, 3) float32", "data min 0 mean 11.5 max 23"]
    assert _text(_node_with(svg, "W")) == [  # up to 8 elements: every value
        "W", "(3, 2) float32", "data [1, 1]", "[1, 1]", "[1, 1]",  # a few rows: row by row
        "grad [10.5, 10.5]", "[11.5, 11.5]", "[12.5, 12.5]"]
    assert "(8, 2) float32" in _text(_node_with(svg, "data min 3 mean 34.5 max 66"))
    op = [g for g in _groups(svg, "node").values() if _text(g)[0] == "sum" and len(_text(g)) == 2]
    assert [_text(g) for g in op] == [["sum", "axis=1"]]  # an op node shows its parameters
    assert "(8,) float32" in _text(svg)


def test_rankdir_and_gradients_that_are_tensors():
    f, x, y = course_example()
    f.backward(create_graph=True)  # x.grad is a Tensor with a graph of its own
    src = draw(f, rankdir="TB").source
    assert 'label="{x|scalar float64|data 3|grad 24}"' in src  # braces: rows stack in TB
    assert "multiply" in draw(x.grad).source


def test_labels_escape_record_syntax(tmp_path):
    names = ["a{b}", "p|q", "<html>", 'say "hi"', "back\\slash", "end\\", "x>y<z"]
    xs = [Tensor(1.0, requires_grad=True, name=n) for n in names]
    total = xs[0]
    for x in xs[1:]:
        total = total + x
    total.name = "{<out>|}"
    src = draw(total).source
    assert "\\{b\\}" in src and "p\\|q" in src and "\\<html\\>" in src
    if shutil.which("dot") is None:
        pytest.skip("Graphviz 'dot' is not installed; the DOT text was checked")
    words = _text(render(total, tmp_path))
    for n in [*names, "{<out>|}"]:
        assert n in words


# ---- module grouping ----


@needs_dot
def test_parameters_named_like_modules_are_drawn_in_a_cluster_per_module(tmp_path):
    svg = render(mlp(), tmp_path)
    layer0, layer1 = _cluster(svg, "layers.0"), _cluster(svg, "layers.1")
    for name in ("layers.0.weight", "layers.0.bias"):
        assert _inside(_node_with(svg, name), layer0)
        assert not _inside(_node_with(svg, name), layer1)
    assert _inside(_node_with(svg, "layers.1.weight"), layer1)
    for cluster in _groups(svg, "cluster").values():
        assert not _inside(_node_with(svg, "X"), cluster)


@needs_dot
def test_nested_modules_nest_and_names_argument_names_unnamed_parameters(tmp_path):
    r = np.random.default_rng(0)
    w = Tensor(r.standard_normal((3, 3)), requires_grad=True)  # unnamed, as before nn exists
    v = Tensor(r.standard_normal((3, 3)), requires_grad=True, name="enc.attn.weight")
    loss = ((Tensor(np.ones((2, 3))) @ w) @ v).sum()
    loss.backward()
    svg = render(loss, tmp_path, names={"enc.weight": w})
    enc, attn = _cluster(svg, "enc"), _cluster(svg, "enc.attn")
    assert _inside(attn, enc)
    assert _inside(_node_with(svg, "enc.weight"), enc)
    assert not _inside(_node_with(svg, "enc.weight"), attn)
    assert _inside(_node_with(svg, "enc.attn.weight"), attn)


# ---- large graphs ----


@needs_dot
def test_chains_of_one_op_collapse_beyond_max_nodes(tmp_path):
    x = Tensor(0.5, requires_grad=True, name="x")
    z = x
    for _ in range(60):
        z = z.tanh()
    z.backward(retain_grads=True)
    full = render(z, tmp_path, "full.svg", max_nodes=None)
    assert _text(full).count("tanh") == 2 * 60  # each op node and its untitled output
    small = render(z, tmp_path, "small.svg", max_nodes=12)
    assert len(_groups(small, "node")) <= 12
    run = _node_with(small, "tanh × 59")
    assert "59 ops collapsed" in _text(run)
    assert f"data {z.parents[0].item():.4g}" in _text(run)  # the value at the run's end
    assert "x" in _text(small) and f"data {z.item():.4g}" in _text(small)


@needs_dot
def test_hundred_thousand_node_chain_draws_without_recursion(tmp_path):
    # how fast it draws is measured in benchmarks/, never asserted here: CI machines are noisy
    x = Tensor(1.0, requires_grad=True, name="x")
    y = x
    for _ in range(50_000):
        y = y * 0.5 + 1.0  # two ops a step: 100,000 op nodes, and 100,000 constants
    y.backward(retain_grads=True)
    assert sys.getrecursionlimit() < 100_000
    svg = render(y, tmp_path, max_nodes=40)
    assert len(_groups(svg, "node")) <= 40
    run = _node_with(svg, "(multiply → add) × 49,999")
    assert "99,998 ops collapsed (+99,998 constants)" in _text(run)
    assert _text(_node_with(svg, "x"))[0] == "x"


@needs_dot
def test_graph_that_cannot_collapse_keeps_the_output_side_and_says_what_is_left_out(tmp_path):
    xs = [Tensor(float(i), requires_grad=True, name=f"x{i}") for i in range(100)]
    terms = [x * x for x in xs]
    while len(terms) > 1:  # a tree of sums: no block repeats along a path, nothing folds
        terms = [a + b for a, b in zip(terms[0::2], terms[1::2])] + terms[len(terms) // 2 * 2:]
    total = terms[0]
    svg = render(total, tmp_path, max_nodes=25)
    assert len(_groups(svg, "node")) <= 25
    more = [t for t in _text(svg) if t.endswith("more tensors not drawn")]
    assert len(more) == 1 and "(max_nodes=25)" in _text(svg)
    assert f"data {sum(i * i for i in range(100)):.4g}" in _text(svg)  # the output is kept
    assert not any(t.startswith("x") for t in _text(svg))  # the inputs are farthest: left out
    assert not any("collapsed" in t for t in _text(svg))


@needs_dot
def test_sum_of_named_terms_folds_and_keeps_the_output_side(tmp_path):
    xs = [Tensor(float(i), requires_grad=True, name=f"x{i}") for i in range(100)]
    total = xs[0] * xs[0]
    for x in xs[1:]:
        total = total + x * x  # one block (x * x, then add) repeated: it folds
    svg = render(total, tmp_path, max_nodes=25)
    assert len(_groups(svg, "node")) <= 25
    assert "(multiply → add) × 98" in _text(svg)
    assert f"data {sum(i * i for i in range(100)):.4g}" in _text(svg)


# ---- determinism ----


@needs_dot
def test_same_graph_gives_same_svg_bytes(tmp_path):
    a = save_svg(mlp(), tmp_path / "a.svg").read_bytes()
    loss = mlp()
    b = save_svg(loss, tmp_path / "b.svg").read_bytes()
    c = save_svg(loss, tmp_path / "c.svg").read_bytes()
    assert a == b == c
    assert draw(mlp()).source == draw(mlp()).source


# ---- gradient colours ----


def _fill(svg: ET.Element, text: str) -> tuple[int, int, int]:
    fill = _node_with(svg, text).find(f"{SVG}polygon").get("fill")
    return int(fill[1:3], 16), int(fill[3:5], 16), int(fill[5:7], 16)


@needs_dot
def test_color_by_grad_shows_vanishing_and_exploding_gradients(tmp_path):
    svg = render(deep_sigmoid(8), tmp_path, color_by="grad")
    first, last = _fill(svg, "layers.0.weight"), _fill(svg, "layers.7.weight")
    assert first[2] > first[0] and last[2] > last[0]  # both blue: gradients well below 1
    assert first[0] < last[0]  # deeper blue far from the loss: the gradient vanished
    assert "mean |grad| (log scale)" in _text(svg)

    x = Tensor(1.0, requires_grad=True, name="x")
    big = x * 1e5
    big.backward()
    r, g, b = _fill(render(big, tmp_path, "big.svg", color_by="grad"), "x")
    assert r > 150 and g < 100 and b < 100  # red: an exploding gradient


@needs_dot
def test_nan_and_inf_are_marked(tmp_path):
    x = Tensor([-1.0, 0.0, 1.0], requires_grad=True, name="x")
    with np.errstate(invalid="ignore", divide="ignore"):
        y = x.log()
        loss = y.sum()
        loss.backward(retain_grads=True)
    svg = render(loss, tmp_path, color_by="grad")
    node = _node_with(svg, "! data: 1 nan, 1 inf")
    assert node.find(f"{SVG}polygon").get("stroke") == viz._BAD
    assert "! grad: 1 inf" in _text(_node_with(svg, "x"))


# ---- writing files ----


def _fake_dot(folder: Path, script: str) -> None:
    folder.mkdir()
    exe = folder / "dot"
    exe.write_text("#!/bin/sh\n" + script)
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)


def test_failing_render_leaves_existing_file_untouched(tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    (out / "graph.svg").write_text("old picture")
    _fake_dot(tmp_path / "bin", "printf '<svg><g>half'\necho 'dot: out of memory' >&2\nexit 1\n")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    f, _, _ = course_example()
    with pytest.raises(RuntimeError, match="dot failed with exit status 1: dot: out of memory"):
        save_svg(f, out / "graph.svg")
    assert (out / "graph.svg").read_text() == "old picture"
    assert os.listdir(out) == ["graph.svg"]  # no temporary file left behind


@needs_dot
def test_failing_write_leaves_existing_file_untouched(tmp_path, monkeypatch):
    (tmp_path / "graph.svg").write_text("old picture")

    def replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(viz.os, "replace", replace)
    f, _, _ = course_example()
    with pytest.raises(OSError, match="disk full"):
        save_svg(f, tmp_path / "graph.svg")
    assert (tmp_path / "graph.svg").read_text() == "old picture"
    assert os.listdir(tmp_path) == ["graph.svg"]


@needs_dot
def test_save_svg_replaces_the_file_in_one_step_and_returns_its_path(tmp_path, monkeypatch):
    target = tmp_path / "new" / "f.svg"
    seen = []

    def replace(src, dst):
        # at the moment of the swap: a complete file beside the target, the target unchanged
        seen.append((Path(src).parent, Path(dst), Path(src).read_bytes()[-7:], dst_old(dst)))
        real_replace(src, dst)

    def dst_old(dst):
        return Path(dst).read_text() if Path(dst).exists() else None

    real_replace = os.replace
    monkeypatch.setattr(viz.os, "replace", replace)
    f, _, _ = course_example()
    path = save_svg(f, target)  # missing folders are made
    assert path == target
    assert seen == [(target.parent, target, b"</svg>\n", None)]
    target.write_text("old picture")
    save_svg(f, target)
    assert seen[1][3] == "old picture" and target.read_bytes().endswith(b"</svg>\n")
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert ET.parse(path).getroot().tag == f"{SVG}svg"


def test_missing_dot_raises_an_error_that_says_how_to_install_it(tmp_path, monkeypatch):
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    (tmp_path / "graph.svg").write_text("old picture")
    f, _, _ = course_example()
    f.backward(retain_grads=True)
    with pytest.raises(GraphvizNotFoundError) as err:
        save_svg(f, tmp_path / "graph.svg")
    assert isinstance(err.value, RuntimeError)
    assert "apt-get install graphviz" in str(err.value)
    assert "brew install graphviz" in str(err.value)
    assert (tmp_path / "graph.svg").read_text() == "old picture"
    src = draw(f).source  # the DOT text needs no Graphviz program
    assert "data 42" in src and "grad 24" in src and "multiply" in src


def test_demo_writes_the_graph_of_f(tmp_path, capsys):
    from autograd_core import demo

    demo.main([str(tmp_path / "demo")])
    printed = capsys.readouterr().out
    assert "f(3, 4) = 42" in printed
    if shutil.which("dot") is None:
        assert (tmp_path / "demo" / "graph_f.dot").exists()
        return
    path = tmp_path / "demo" / "graph_f.svg"
    assert f"graph of f written to {path}" in printed
    words = _text(ET.parse(path).getroot())
    assert "data 42" in words and "grad 24" in words and "grad 10" in words


# ---- arguments ----


def test_bad_arguments_are_named():
    f, _, _ = course_example()
    with pytest.raises(TypeError, match="root must be a Tensor, got float"):
        draw(1.0)
    with pytest.raises(ValueError, match="rankdir must be one of LR, RL, TB, BT, got 'XY'"):
        draw(f, rankdir="XY")
    with pytest.raises(ValueError, match="color_by must be None or 'grad', got 'data'"):
        draw(f, color_by="data")
    with pytest.raises(ValueError, match="max_nodes must be at least 3"):
        draw(f, max_nodes=1)
    with pytest.raises(TypeError, match=r"names\['w'\] is a ndarray, not a Tensor"):
        draw(f, names={"w": np.ones(2)})


def test_draw_returns_a_digraph_that_jupyter_displays():
    f, _, _ = course_example()
    d = draw(f)
    assert isinstance(d, graphviz.Digraph)
    assert hasattr(d, "_repr_mimebundle_")  # what Jupyter calls to show it inline
