"""``nn.plot_model``: a model's layers as a Graphviz drawing (Keras's ``plot_model``).

Drawn like ``autograd_core.viz``'s computation graphs: the same fonts, record nodes and
palette (inputs grey, layers with weights blue, the outputs orange with a heavy border,
weightless layers white, frozen layers dashed), and nested models as dashed, rounded clusters
when ``expand_nested=True``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import autograd_core as ag

from .files import atomic_write
from .functional import InputLayer
from .models import Sequential
from .module import Module
from .shapes import as_shape

if TYPE_CHECKING:
    import graphviz

__all__ = ["model_to_dot", "plot_model"]

# fill, border, pen width: autograd_core.viz's palette for leaves, parameters, outputs, inner
_STYLE = {
    "input": ("#eeeeee", "#777777", "1"),
    "weights": ("#d6e6f5", "#2b5d8c", "1.6"),
    "output": ("#ffe2b3", "#b26b00", "2.5"),
    "plain": ("#ffffff", "#555555", "1"),
}
_RANKDIRS = ("TB", "LR", "BT", "RL")


def _record(s: str) -> str:
    for ch in "\\{}|<>":
        s = s.replace(ch, "\\" + ch)
    return s


def _shape_text(shape: Any) -> str:
    if isinstance(shape, list):
        return ", ".join(str(tuple(s)) for s in shape)
    return str(tuple(shape)) if shape is not None else "?"


def _expandable(layer: Module) -> bool:
    return isinstance(layer, Sequential) or bool(vars(layer).get("_graph"))


def _output_ids(model: Module) -> set[int]:
    """The ids of the layers that give ``model``'s outputs."""
    if isinstance(model, Sequential):
        return {id(model.layers[-1])} if model.layers else set()
    return {id(t.node.layer) for t in model.outputs}


class _Drawer:
    def __init__(self, opts: dict[str, Any], outputs: set[int]) -> None:
        self.opts = opts
        self.outputs = outputs  # ids of the layers that produce the top model's outputs
        self.wrap = "{{{}}}" if opts["rankdir"] in ("TB", "BT") else "{}"
        self.clusters = 0

    def node(self, g: graphviz.Digraph, key: str, layer: Module, ins: Any, out: Any) -> None:
        title = type(layer).__name__
        if self.opts["show_layer_names"]:
            title = f"{layer.name} ({title})"
        fields = [title]
        if self.opts["show_shapes"]:
            if not isinstance(layer, InputLayer):
                fields.append(f"in {_shape_text(ins)}")
            fields.append(f"out {_shape_text(out)}")
        weights = layer.parameters()
        if weights:
            fields.append(f"{sum(p.size for p in weights):,} params"
                          + ("" if layer.trainable else ", frozen"))
        kind = ("output" if id(layer) in self.outputs else "input" if isinstance(
            layer, InputLayer) else "weights" if weights else "plain")
        fill, border, pen = _STYLE[kind]
        style = "filled" if layer.trainable or not weights else "filled,dashed"
        label = self.wrap.format("|".join(_record(f) for f in fields))
        import graphviz

        g.node(key, graphviz.nohtml(label), shape="record", fillcolor=fill, color=border,
               penwidth=pen, style=style)

    def cluster(self, name: str) -> graphviz.Digraph:
        import graphviz

        self.clusters += 1
        return graphviz.Digraph(f"cluster_{self.clusters}", graph_attr={
            "label": graphviz.nohtml(name), "labeljust": "l", "style": "rounded,dashed",
            "color": "#8c8c8c", "fontsize": "10", "fontcolor": "#555555"})

    def emit(self, g: graphviz.Digraph, model: Module, prefix: str, in_shape: Any = None
             ) -> tuple[list[str], list[str]]:
        """Draw ``model``'s layers into ``g``; (node ids taking each input, ids giving each
        output), so that the caller can connect them."""
        if isinstance(model, Sequential):
            return self._sequential(g, model, prefix, in_shape)
        entries: dict[int, list[str]] = {}
        exits: dict[int, list[str]] = {}
        for layer in model.layers:
            nodes = [n for n in model._nodes if n.layer is layer]
            key = f"{prefix}{layer.name}"
            if self.opts["expand_nested"] and _expandable(layer):
                if id(layer) in self.outputs:  # its own outputs are then the model's
                    self.outputs |= _output_ids(layer)
                sub = self.cluster(layer.name)
                first = nodes[0].inputs
                shape = first[0].shape if len(first) == 1 else [t.shape for t in first]
                entries[id(layer)], exits[id(layer)] = self.emit(sub, layer, key + "/", shape)
                g.subgraph(sub)
                continue
            first = nodes[0]
            ins = [t.shape for t in first.inputs]
            outs = [t.shape for t in first.outputs]
            self.node(g, key, layer, ins[0] if len(ins) == 1 else ins,
                      outs[0] if len(outs) == 1 else outs)
            entries[id(layer)] = [key]
            exits[id(layer)] = [key]
        for n in model._nodes:
            for k, t in enumerate(n.inputs):
                src = exits[id(t.node.layer)]
                dst = entries[id(n.layer)]
                g.edge(src[min(t.index, len(src) - 1)], dst[min(k, len(dst) - 1)])
        return ([entries[id(t.node.layer)][0] for t in model.inputs],
                [exits[id(t.node.layer)][min(t.index, len(exits[id(t.node.layer)]) - 1)]
                 for t in model.outputs])

    def _sequential(self, g: graphviz.Digraph, model: Sequential, prefix: str, shape: Any
                    ) -> tuple[list[str], list[str]]:
        shape = shape or model._build_input_shape or (
            model.layers[0]._build_input_shape if model.layers else None)
        keys = []
        for layer in model.layers:
            key = f"{prefix}{layer.name}"
            try:
                out = tuple(layer.compute_output_shape(as_shape(shape)))
            except (ValueError, TypeError, IndexError, NotImplementedError):
                out = None
            if self.opts["expand_nested"] and _expandable(layer):
                if id(layer) in self.outputs:
                    self.outputs |= _output_ids(layer)
                sub = self.cluster(layer.name)
                ins, outs = self.emit(sub, layer, key + "/", shape)
                g.subgraph(sub)
            else:
                self.node(g, key, layer, shape, out)
                ins = outs = [key]
            if keys:
                g.edge(keys[-1][1], ins[0])
            keys.append((ins[0], outs[0]))
            shape = out
        return [keys[0][0]], [keys[-1][1]]


def model_to_dot(model: Module, show_shapes: bool = True, show_layer_names: bool = True,
                 rankdir: str = "TB", expand_nested: bool = False) -> graphviz.Digraph:
    """The layer graph of a Sequential or functional model as a ``graphviz.Digraph``."""
    import graphviz

    if not isinstance(model, Module) or not (_expandable(model)):
        raise TypeError(
            f"plot_model: draws Sequential and functional (nn.Model(inputs, outputs)) models, "
            f"got {type(model).__name__}; a subclassed model's layers are only known when it "
            "runs: draw its computation graph with autograd_core.viz.draw(loss) instead")
    if isinstance(model, Sequential) and not model.layers:
        raise ValueError("plot_model: the Sequential model has no layers")
    if rankdir not in _RANKDIRS:
        raise ValueError(f"plot_model: rankdir must be one of {', '.join(_RANKDIRS)}, got "
                         f"{rankdir!r}")
    dot = graphviz.Digraph(model.name, graph_attr={
        "rankdir": rankdir, "nodesep": "0.3", "ranksep": "0.35", "fontname": "Helvetica",
        "label": graphviz.nohtml(f"{model.name} ({type(model).__name__})"), "labelloc": "t",
        "fontsize": "11"})
    dot.attr("node", fontname="Helvetica", fontsize="10", style="filled", penwidth="1")
    dot.attr("edge", arrowsize="0.6", color="#555555")
    outputs = _output_ids(model)
    opts = {"show_shapes": show_shapes, "show_layer_names": show_layer_names,
            "rankdir": rankdir, "expand_nested": expand_nested}
    _Drawer(opts, outputs).emit(dot, model, "")
    return dot


def plot_model(model: Module, to_file: str | os.PathLike = "model.svg", show_shapes: bool = True,
               show_layer_names: bool = True, rankdir: str = "TB", expand_nested: bool = False
               ) -> Path:
    """Render the layer graph to ``to_file`` (SVG, or PNG/PDF by its suffix), atomically;
    returns the path. Needs Graphviz's ``dot`` program."""
    import graphviz

    path = Path(to_file)
    fmt = path.suffix.lower().lstrip(".") or "svg"
    if fmt not in ("svg", "png", "pdf"):
        raise ValueError(f"plot_model: {path} should end in .svg, .png or .pdf")
    dot = model_to_dot(model, show_shapes, show_layer_names, rankdir, expand_nested)
    try:
        data = dot.pipe(format=fmt)
    except graphviz.ExecutableNotFound:
        raise ag.viz.GraphvizNotFoundError(
            "plot_model: the Graphviz 'dot' program was not found on PATH; install Graphviz "
            "(apt-get install graphviz, brew install graphviz); model_to_dot(model).source "
            "still gives the DOT text") from None
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, data)
    return path
