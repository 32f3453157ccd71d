"""Graphviz rendering of a computation graph: values forward, gradients back, layers grouped.

    from autograd_core.viz import draw, save_svg
    f.backward(retain_grads=True)   # so intermediate nodes keep their .grad to show
    draw(f)                         # a graphviz.Digraph; Jupyter displays it inline
    save_svg(f, "graph.svg")

Every tensor is a record node (name or op, shape and dtype, data, gradient) and every op a
small node between its inputs and its output, as drawn on a whiteboard. The walk is
iterative and node ids are topological indices, so equal graphs give equal SVG bytes and a
chain of 100,000 nodes is fine. The ``graphviz`` package is imported on first use only.
"""

from __future__ import annotations

import gc
import math
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .composites import Composite, composite, composite_of, mark_composite
from .files import atomic_write, make_parents
from .graph_layout import Box, Graph, Group, Layout, Run
from .tensor import Tensor

if TYPE_CHECKING:
    import graphviz

__all__ = [
    "DEFAULT_MAX_NODES", "Composite", "GraphvizNotFoundError", "composite", "composite_of",
    "draw", "mark_composite", "save_svg",
]

DEFAULT_MAX_NODES = 300  # dot lays out a few hundred record nodes in about a second

_RANKDIRS = ("LR", "RL", "TB", "BT")
_COLOR_BY = (None, "grad")
_MAX_SHOWN = 8  # tensors of up to this many elements show every value
_MAX_NAME = 80  # longer names are cut, with an ellipsis
_GRAD_DECADES = 6  # color scale spans 1e-6 .. 1e6 around a gradient of magnitude 1


class GraphvizNotFoundError(RuntimeError):
    """The Graphviz ``dot`` program, needed to render SVG, is not installed or not on PATH."""


# ---- labels ----

_RECORD_ESCAPES = str.maketrans({
    "\\": "\\\\", "{": "\\{", "}": "\\}", "|": "\\|", "<": "\\<", ">": "\\>", '"': '\\"',
    "\n": "\\n", "\r": "", "\t": " ",
})
_TEXT_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "", "\t": " "})


def _visible(c: str) -> str:
    """A character XML cannot hold (controls, surrogates, U+FFFE/F) as a visible escape."""
    code = ord(c)
    if c in "\n\t" or not (code < 0x20 or 0x7F <= code < 0xA0 or 0xD800 <= code < 0xE000
                            or code in (0xFFFE, 0xFFFF)):
        return c
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _safe(s: str) -> str:
    """Any Python string as text dot accepts and SVG readers parse: no NUL, no control
    characters, no lone surrogates, no entity for dot to expand."""
    s = str(s)
    if not s.isprintable():
        s = "".join(_visible(c) for c in s)
    return s.replace("&", "&amp;")  # dot reads &name; as an entity: keep the text as written


def _cut(name: str) -> str:
    """A name short enough for a box."""
    return name if len(name) <= _MAX_NAME else name[:_MAX_NAME - 1] + "…"


def _record_text(s: str) -> str:
    # record fields treat { } | < > as structure and collapse runs of spaces
    return _safe(s).translate(_RECORD_ESCAPES).replace("  ", "\\ \\ ")


def _text(s: str) -> str:
    return _safe(s).translate(_TEXT_ESCAPES)


def _num(v: Any, digits: int = 4) -> str:
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    return f"{float(v) + 0.0:.{digits}g}"  # + 0.0 turns -0.0 into 0.0: no "-0" on a whiteboard


def _values(a: np.ndarray) -> str:
    """Every value of a small array: a matrix of up to 4 rows row by row, else one flat list
    (the shape is on the line above)."""
    def row(r: np.ndarray) -> str:
        return "[" + ", ".join(_num(v, 3) for v in r.ravel()) + "]"

    if a.ndim == 2 and 1 < a.shape[0] <= 4 and a.shape[1] > 1:
        return "\n".join(row(r) for r in a)
    return row(a)


def _nonfinite(a: np.ndarray) -> str:
    """'nan' or 'inf' for such a scalar, '2 nan, 1 inf' for an array holding some, else ''."""
    if a.dtype.kind not in "fc":
        return ""
    if a.size == 1:
        v = a.item()
        return "" if math.isfinite(v) else "nan" if math.isnan(v) else "inf"
    if np.isfinite(a).all():
        return ""
    nan = int(np.isnan(a).sum())
    inf = a.size - nan - int(np.isfinite(a).sum())
    return ", ".join(f"{k} {w}" for k, w in ((nan, "nan"), (inf, "inf")) if k)


def _holds_nonfinite(t: Tensor) -> bool:
    grad = _grad_array(t)
    return bool(_nonfinite(t.data) or (grad is not None and _nonfinite(grad)))


def _summary(a: np.ndarray) -> str:
    """Every value of a small array (up to _MAX_SHOWN), else its min / mean / max."""
    if a.size == 1:
        return _num(a.item())
    if a.size == 0:
        return "empty"
    if a.size <= _MAX_SHOWN:
        return _values(a)
    bad = _nonfinite(a)
    finite = a[np.isfinite(a)] if bad else a
    if finite.size == 0:
        return f"({bad})"
    mean = finite.mean() if finite.dtype.kind != "b" else finite.mean(dtype=np.float64)
    text = f"min {_num(finite.min())}  mean {_num(mean)}  max {_num(finite.max())}"
    return f"{text}  ({bad})" if bad else text


def _shape_text(a: np.ndarray) -> str:
    return f"{'scalar' if a.ndim == 0 else a.shape} {a.dtype}"


def _grad_array(t: Tensor) -> np.ndarray | None:
    g = t.grad
    if g is None:
        return None
    return np.asarray(g.data if isinstance(g, Tensor) else g)


def _param_text(v: Any) -> str:
    if isinstance(v, slice):
        parts = ["" if x is None else str(x) for x in (v.start, v.stop, v.step)]
        return ":".join(parts[:2] if v.step is None else parts)
    if v is Ellipsis:
        return "..."
    if isinstance(v, np.ndarray):
        if v.ndim == 0 and v.dtype.kind == "f":
            return _param_text(float(v))
        if v.size <= 4:
            return str((v + 0.0).tolist() if v.dtype.kind == "f" else v.tolist())
        return f"array{v.shape}"
    if isinstance(v, tuple):
        return "(" + ", ".join(_param_text(x) for x in v) + ("," if len(v) == 1 else "") + ")"
    if isinstance(v, np.dtype):
        return str(v)
    if isinstance(v, (float, np.floating)):
        v = float(v) + 0.0  # no -0.0
        # a float32 bound (clip's 1e-7 in a float32 loss) in float32's shortest digits, not
        # as the float64 1.0000000116860974e-07
        short = abs(v) < 1e38 and v != round(v) and float(np.float32(v)) == v
        return str(np.float32(v)) if short else repr(v)
    return repr(v)


def _op_label(t: Tensor) -> str:
    lines = [t.op]
    for k, v in t.params.items():
        if v is None or v is False:
            continue  # defaults say nothing on a whiteboard
        text = f"{k}={_param_text(v)}"
        lines.append(text if len(text) <= 32 else text[:31] + "…")
    return "\n".join(lines)


# ---- colours ----

_STYLE = {  # fill, border, pen width
    "param": ("#d6e6f5", "#2b5d8c", "1.6"),
    "leaf": ("#eeeeee", "#777777", "1"),
    "const": ("#f7f7f7", "#aaaaaa", "1"),
    "output": ("#ffe2b3", "#b26b00", "2.5"),  # records ignore peripheries: a heavier pen
    "inner": ("#ffffff", "#555555", "1"),
}
_OP_FILL = "#f3efe0"
_RUN_FILL = "#ebe3f5"
_BOX_FILL = "#e3f1df"
_BAD = "#d7191c"


def _kind(g: Graph, i: int) -> str:
    t = g.tensors[i]
    if i == g.root:
        return "output"
    if t.op is not None:
        return "inner"
    if t.requires_grad:
        return "param"
    return "leaf" if g.names[i] else "const"


def _grad_color(g: np.ndarray) -> tuple[str, str]:
    """(fill, font colour) for a gradient: white at magnitude 1, blue if tiny, red if huge."""
    mag = float(np.mean(np.abs(g), dtype=np.float64)) if g.size else 0.0
    if mag == 0.0:
        t = -1.0
    else:
        t = max(-1.0, min(1.0, math.log10(mag) / _GRAD_DECADES))
    return _scale(t)


def _scale(t: float) -> tuple[str, str]:
    end = (33, 102, 172) if t < 0 else (178, 24, 43)
    a = abs(t)
    r, g, b = (round(255 + (e - 255) * a) for e in end)
    return f"#{r:02x}{g:02x}{b:02x}", ("#ffffff" if a > 0.6 else "#000000")


# ---- building the Digraph ----


def _names_from(names: Mapping[str, Tensor] | Iterable[tuple[str, Tensor]] | None
                ) -> dict[int, str]:
    if names is None:
        return {}
    pairs = names.items() if isinstance(names, Mapping) else names
    out = {}
    for name, t in pairs:
        if not isinstance(t, Tensor):
            raise TypeError(f"draw: names[{name!r}] is a {type(t).__name__}, not a Tensor")
        out[id(t)] = str(name)
    return out


def _own_module(g: Graph, i: int) -> str | None:
    """The prefix of a dotted name, or for an op the one module whose named leaves it reads."""
    name = g.names[i]
    if name:
        return name.rsplit(".", 1)[0] if "." in name else None
    if g.is_leaf(i):
        return None
    mods = {g.names[j].rsplit(".", 1)[0] for j in g.parents[i]
            if g.is_leaf(j) and g.names[j] and "." in g.names[j]}
    return mods.pop() if len(mods) == 1 else None


def _module_of(g: Graph, i: int) -> str | None:
    """The module cluster tensor ``i`` (with its op) is drawn in, or None."""
    m = _own_module(g, i)
    if m is None and not g.names[i] and len(g.parents[i]) == 1:
        (j,) = g.parents[i]
        if len(g.consumers[j]) == 1 and g.tensors[j].shape == g.tensors[i].shape:
            m = _own_module(g, j)  # an activation on a layer's output is part of the layer
    return m


def _cluster_parents(modules: Iterable[str]) -> dict[str, str | None]:
    """Each module to draw -> the module drawn around it (nearest dotted prefix that has
    tensors of its own), so ``enc.attn`` sits inside ``enc`` but ``layers.0`` and
    ``layers.1`` get no shared box that would have to hold the activations between them."""
    drawn = set(modules)
    parent: dict[str, str | None] = {}
    for m in sorted(drawn):
        parts = m.split(".")
        up = (".".join(parts[:k]) for k in range(len(parts) - 1, 0, -1))
        parent[m] = next((p for p in up if p in drawn), None)
    return parent


def draw(
    root: Tensor,
    *,
    show_data: bool = True,
    show_grad: bool = True,
    rankdir: str = "LR",
    max_nodes: int | None = DEFAULT_MAX_NODES,
    color_by: str | None = None,
    names: Mapping[str, Tensor] | Iterable[tuple[str, Tensor]] | None = None,
    collapse: bool | str | Iterable[str] = True,
) -> graphviz.Digraph:
    """The graph that produced ``root`` as a ``graphviz.Digraph`` (``.source`` is the DOT text).

    ``collapse``: True draws every marked composite (see ``composite``) as one box, False
    expands them all, a name or a list of names collapses only those.
    """
    import graphviz

    if not isinstance(root, Tensor):
        raise TypeError(f"draw: root must be a Tensor, got {type(root).__name__}")
    if rankdir not in _RANKDIRS:
        raise ValueError(f"draw: rankdir must be one of {', '.join(_RANKDIRS)}, got {rankdir!r}")
    if color_by not in _COLOR_BY:
        raise ValueError(f"draw: color_by must be None or 'grad', got {color_by!r}")
    if max_nodes is not None and max_nodes < 3:
        raise ValueError(
            f"draw: max_nodes must be at least 3 (or None for no limit), got {max_nodes}"
        )

    if not isinstance(collapse, (bool, str)) and isinstance(collapse, Iterable):
        collapse = tuple(collapse)
    if not (isinstance(collapse, (bool, str)) or isinstance(collapse, tuple)
            and all(isinstance(c, str) for c in collapse)):
        raise TypeError(
            f"draw: collapse must be True, False, a composite's name or a list of names, "
            f"got {collapse!r}"
        )
    # the walk allocates a few objects per tensor; with 100,000s of tensors alive the cyclic
    # collector would rescan them all many times over, for garbage that has no cycles
    paused = gc.isenabled()
    gc.disable()
    try:
        g = Graph(root, _names_from(names))
        lay = Layout(g, max_nodes, collapse)
    finally:
        if paused:
            gc.enable()
    # in LR layouts a record's top-level fields stack vertically; in TB they need braces for that
    wrap = "{}" if rankdir in ("LR", "RL") else "{{{}}}"

    dot = graphviz.Digraph("autograd", graph_attr={
        "rankdir": rankdir, "nodesep": "0.2", "ranksep": "0.3", "fontname": "Helvetica",
    })
    dot.attr("node", fontname="Helvetica", fontsize="10", style="filled", penwidth="1")
    dot.attr("edge", arrowsize="0.6", color="#555555")

    def tensor_node(i: int) -> tuple[str, dict[str, str]]:
        t, kind = g.tensors[i], _kind(g, i)
        fill, border, pen = _STYLE[kind]
        font = "#000000"
        title = _cut(g.names[i]) if g.names[i] else \
            t.op or ("param" if t.requires_grad else "const")
        fields = [title, _shape_text(t.data)]
        grad = _grad_array(t)
        if kind == "const" and t.data.size == 1:
            fields[0] = f"const {_summary(t.data)}"  # a number in the formula: show it, always
        elif show_data:
            fields.append(f"data {_summary(t.data)}")
        if show_grad and t.requires_grad:
            fields.append("grad —" if grad is None else f"grad {_summary(grad)}")
        bad = "; ".join(f"{what}: {text}" for what, a in (("data", t.data), ("grad", grad))
                        if a is not None and (text := _nonfinite(a)))
        if color_by == "grad" and grad is not None:
            fill, font = _grad_color(grad)
        attrs = {"shape": "record", "fillcolor": fill, "color": border, "penwidth": pen,
                 "fontcolor": font}
        if kind == "const":
            attrs["style"] = "filled,dashed"
        if bad:
            fields.append(f"! {bad}")
            attrs.update(color=_BAD, penwidth="3")
        label = wrap.format("|".join(_record_text(f) for f in fields))
        return label, attrs

    def group_node(group: Group) -> tuple[str, dict[str, str]]:
        last = g.tensors[group.members[-1]]
        if isinstance(group, Run):
            p = group.pattern
            fields = [f"{p[0] if len(p) == 1 else '(' + ' → '.join(p) + ')'} × {group.reps:,}",
                      f"{len(group.members):,} ops collapsed"]
            fill, border, style = _RUN_FILL, "#6a51a3", "filled,dashed"
        else:  # a collapsed composite: its name, then the ops it stands for
            out_name = g.names[group.members[-1]]
            title = _cut(group.name if not out_name else f"{out_name} = {group.name}")
            ops = list(dict.fromkeys(str(g.ops[i]) for i in group.members))
            shown = ", ".join(ops[:4]) + (", …" if len(ops) > 4 else "")
            fields = [title, f"{len(group.members):,} ops: {shown}"]
            fill, border, style = _BOX_FILL, "#3b7a3b", "filled,rounded"
            if group.members[-1] == g.root:
                fill, border = _STYLE["output"][:2]
        if group.absorbed:
            fields[-1] += f" (+{len(group.absorbed):,} constants)"
        fields.append(f"out {_shape_text(last.data)}")
        if show_data:
            fields.append(f"data {_summary(last.data)}")
        grad = _grad_array(last)
        if show_grad:
            fields.append("grad —" if grad is None else f"grad {_summary(grad)}")
        fill, font = (_grad_color(grad) if color_by == "grad" and grad is not None
                      else (fill, "#000000"))
        attrs = {"shape": "record", "style": style, "fillcolor": fill,
                 "fontcolor": font, "color": border, "penwidth": "1.6"}
        bad = sum(_holds_nonfinite(g.tensors[i]) for i in group.members)
        if bad:
            fields.append(f"! nan or inf in {bad:,} of these")
            attrs.update(color=_BAD, penwidth="3")
        return wrap.format("|".join(_record_text(f) for f in fields)), attrs

    # nodes, each into its module's cluster
    modules = {i: _module_of(g, i) for i in range(len(g.tensors)) if lay.unit(i) == i}
    # a collapsed composite that reads one module's parameters (a layer's conv2d) is drawn in
    # that module's box: an edge from inside a cluster to a record outside it can make dot fail
    group_modules: dict[str, str | None] = {}
    for i in range(len(g.tensors)):
        unit = lay.unit(i)
        if isinstance(unit, Box) and unit.id not in group_modules:
            mods = {g.names[j].rsplit(".", 1)[0] for k in unit.members for j in g.parents[k]
                    if g.is_leaf(j) and g.names[j] and "." in g.names[j]}
            group_modules[unit.id] = mods.pop() if len(mods) == 1 else None
    tree = _cluster_parents([m for m in modules.values() if m]
                            + [m for m in group_modules.values() if m])
    clusters = {m: graphviz.Digraph(f"cluster_{k}", graph_attr={
        "label": graphviz.nohtml(_text(_cut(m))), "labeljust": "l", "style": "rounded,dashed",
        "color": "#8c8c8c", "fontsize": "10", "fontcolor": "#555555"})
        for k, m in enumerate(sorted(tree))}

    def home(m: str | None) -> graphviz.Digraph:
        return dot if m is None else clusters[m]

    vertical = rankdir in ("TB", "BT")
    enters: dict[int, list[int]] = {}  # op -> its inputs drawn outside its module
    runs_drawn: set[int] = set()
    for i, t in enumerate(g.tensors):
        unit = lay.unit(i)
        if unit is None:
            continue
        if isinstance(unit, Group):
            if id(unit) not in runs_drawn:
                runs_drawn.add(id(unit))
                label, attrs = group_node(unit)
                home(group_modules.get(unit.id)).node(unit.id, graphviz.nohtml(label), **attrs)
            continue
        where = home(modules[i])
        label, attrs = tensor_node(i)
        # top to bottom, the data path (everything but the parameters) is one group, which dot
        # draws straight, so the layers stack instead of stepping aside one by one
        main = {"group": "main"} if vertical and not _is_param(g, i) else {}
        where.node(f"t{i}", graphviz.nohtml(label), **attrs, **main)
        if t.op is not None:
            if vertical and (entering := _entering(g, lay, modules, i)):
                enters[i] = entering
                # its inputs left to right as the edges are written: the data in the middle
                main["ordering"] = "in"
            where.node(f"o{i}", graphviz.nohtml(_text(_op_label(t))), shape="ellipse",
                       fillcolor=_OP_FILL, color="#8a7a4a", margin="0.04,0.02", height="0.3",
                       **main)
            for j in enters.get(i, ()):
                # the edge enters the module's box on the parameters' row, through a point
                where.node(f"p{i}_{j}", "", shape="point", width="0", height="0",
                           style="invis", group="main")
    for m in sorted(tree, key=lambda m: -m.count(".")):  # innermost first: a child is complete
        home(tree[m]).subgraph(clusters[m])              # before its parent takes a copy

    # edges: input -> op -> output; runs and the left-out rest stand in for their tensors
    if lay.hidden_count:
        dot.node("more", graphviz.nohtml(
            f"… {lay.hidden_count:,} more tensors not drawn\\n(max_nodes={max_nodes})"),
            shape="note", style="dashed", color="#777777", fontcolor="#555555")
    seen_edges: set[tuple[str, str]] = set()
    for i, t in enumerate(g.tensors):
        unit = lay.unit(i)
        if unit is None or t.op is None:
            continue
        target = unit.id if isinstance(unit, Group) else f"o{i}"
        parents = g.parents[i]
        if i in enters:  # the parameters on both sides of the data path, not all on one
            rest = [j for j in parents if j not in enters[i]]
            data = [j for j in parents if j in enters[i]]
            parents = (*rest[:len(rest) // 2], *data, *rest[len(rest) // 2:])
        for j in parents:
            src = lay.unit(j)
            if isinstance(unit, Group) and src is unit:
                continue
            name = "more" if src is None else src.id if isinstance(src, Group) else f"t{j}"
            plain = isinstance(src, int) and isinstance(unit, int)
            if not plain:  # a stand-in node gets one edge per neighbour, not one per tensor
                if (name, target) in seen_edges:
                    continue
                seen_edges.add((name, target))
            attrs = {"style": "dashed"} if src is None else {}
            if plain and modules.get(i) and modules.get(j) != modules[i]:
                if vertical:  # through the point drawn inside the module's box
                    dot.edge(name, f"p{i}_{j}", arrowhead="none", **attrs)
                    name = f"p{i}_{j}"
                else:
                    # entering a module from outside: one rank more, so the module's
                    # parameters get a rank of their own and consecutive layers stack instead
                    # of staircasing
                    attrs["minlen"] = "2"
            dot.edge(name, target, **attrs)
        if not isinstance(unit, Group):
            dot.edge(f"o{i}", f"t{i}")

    if color_by == "grad":
        _legend(dot, rankdir)
    return dot


def _is_param(g: Graph, i: int) -> bool:
    return g.is_leaf(i) and g.tensors[i].requires_grad


def _entering(g: Graph, lay: Layout, modules: dict[int, str | None], i: int) -> list[int]:
    """The inputs of op ``i`` drawn one by one that come from outside its module."""
    m = modules.get(i)
    if not m or not isinstance(lay.unit(i), int):
        return []
    return [j for j in dict.fromkeys(g.parents[i])
            if isinstance(lay.unit(j), int) and modules.get(j) != m]


def _legend(dot: graphviz.Digraph, rankdir: str) -> None:
    """One node holding a strip of swatches that explains the gradient colours."""
    import graphviz

    cells = []
    steps = list(range(-_GRAD_DECADES, _GRAD_DECADES + 1, 2))
    for k in steps:
        fill, font = _scale(k / _GRAD_DECADES)
        text = "1" if k == 0 else f"1e{k}"
        text = f"&le;{text} or 0" if k == steps[0] else f"&ge;{text}" if k == steps[-1] else text
        cells.append(f'<td bgcolor="{fill}"><font color="{font}">{text}</font></td>')
    cells.append(f'<td border="3" color="{_BAD}">nan / inf</td>')
    cells.append('<td bgcolor="#ffffff">no grad</td>')
    label = (
        '<<table border="0" cellborder="1" cellspacing="2" cellpadding="3">'
        f'<tr><td colspan="{len(cells)}" border="0" align="left">'
        "mean |grad| (log scale)</td></tr>"
        f'<tr>{"".join(cells)}</tr></table>>'
    )
    if rankdir in ("TB", "BT"):  # on the last row, beside the output, not widening the top
        last = graphviz.Digraph(graph_attr={"rank": "sink"})
        last.node("legend", label, shape="plain", fontsize="9")
        dot.subgraph(last)
    else:
        dot.node("legend", label, shape="plain", fontsize="9")


# ---- writing SVG ----


def _render_svg(dot: graphviz.Digraph) -> bytes:
    """Run ``dot`` on a Digraph and return the SVG bytes (raises if Graphviz is missing)."""
    import graphviz

    try:
        return dot.pipe(format="svg")
    except graphviz.ExecutableNotFound:
        raise GraphvizNotFoundError(
            "the Graphviz 'dot' program was not found on PATH, so no SVG can be rendered. "
            "Install it with `sudo apt-get install graphviz` (Debian/Ubuntu), "
            "`brew install graphviz` (macOS) or `conda install graphviz`; see "
            "https://graphviz.org/download/. draw(...).source still gives the DOT text."
        ) from None
    except graphviz.CalledProcessError as e:
        err = (e.stderr or b"").decode(errors="replace").strip()
        raise RuntimeError(f"dot failed with exit status {e.returncode}: {err}") from None


def save_svg(root: Tensor, path: str | os.PathLike[str], **kwargs: Any) -> Path:
    """Render ``draw(root, **kwargs)`` to an SVG file, atomically (``autograd_core.files``),
    and return its path."""
    svg = _render_svg(draw(root, **kwargs))  # render fully before touching the file system
    # readers see the old file or the new one, never half of one; the file keeps its mode and
    # a symbolic link stays a link, as with open(path, "w"); errors name the path
    make_parents(path)
    atomic_write(path, svg)
    return Path(path)
