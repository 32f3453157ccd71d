"""``model.summary()``: the table of layers, output shapes and parameter counts (Keras's),
as text (``summary_text``) and as HTML for notebooks (``summary_html``). A functional model
adds Keras's "Connected to" column: ``layer[node][tensor]`` for each input of each call."""

from __future__ import annotations

import html
from typing import Any

import numpy as np

import autograd_core as ag

HEADER = ("Layer (type)", "Output Shape", "Param #")
CONNECTED = "Connected to"


def run_for_shapes(model: Any, input_shape: tuple[int | None, ...] | None) -> dict[int, tuple]:
    """Run one sample of zeros through ``model`` (eval mode, no graph); {id(module): output shape}.

    Empty when the input shape is neither given nor known to the model.
    """
    if input_shape is None:
        input_shape = model._build_input_shape
        if input_shape is None and hasattr(model, "layers") and model.layers:
            input_shape = model.layers[0]._build_input_shape
        if not isinstance(input_shape, tuple) or any(d is None for d in input_shape[1:]):
            return {}
    shape = tuple(1 if n is None else int(n) for n in input_shape)
    if len(shape) == 1:
        shape = (1, *shape)  # (width,) means one sample of that width
    params = model.parameters()
    dtype = params[0].dtype if params else np.float32
    modules = model.modules()
    try:
        with ag.no_grad(), model.mode(training=False), model._recording_shapes():
            model(np.zeros(shape, dtype=dtype))
        return {id(m): vars(m).pop("_output_shape") for m in modules if "_output_shape" in vars(m)}
    finally:
        for m in modules:
            vars(m).pop("_output_shape", None)


def _count(m: Any) -> str:
    return "unbuilt" if any(not s.built for s in m.modules()) else f"{m.count_params():,}"


def _functional_rows(model: Any) -> list[tuple[str, ...]]:
    ids = model._node_ids()
    rows = []
    for layer in model.layers:
        nodes = [n for n in model._nodes if n.layer is layer]
        shapes = {str(t.shape) if len(n.outputs) == 1 else str([o.shape for o in n.outputs])
                  for n in nodes for t in n.outputs[:1]}
        shape = shapes.pop() if len(shapes) == 1 else "multiple"
        links = [f"{t.node.layer.name}[{ids[id(t.node)][1]}][{t.index}]"
                 for n in nodes for t in n.inputs]
        rows.append((f"{layer.name} ({type(layer).__name__})", shape, _count(layer),
                     "\n".join(links) or "-"))
    return rows


def summary_table(model: Any, input_shape: tuple[int | None, ...] | None
                  ) -> tuple[tuple[str, ...], list[tuple[str, ...]], dict[str, int]]:
    """(header, one row per layer, {"total", "trainable", "non_trainable"}); a cell may
    hold several lines (the calls of a shared layer)."""
    if vars(model).get("_graph"):
        header, rows = (*HEADER, CONNECTED), _functional_rows(model)
    else:
        shapes = run_for_shapes(model, input_shape)
        header, rows = HEADER, []
        for m in [m for _, m in model._named_children()] or [model]:
            shape = shapes.get(id(m))
            shape_text = "?" if shape is None else str((None, *shape[1:])) if shape else "()"
            rows.append((f"{m.name} ({type(m).__name__})", shape_text, _count(m)))
    params = model.parameters()
    trainable = sum(p.size for p in params if p.requires_grad)
    total = sum(p.size for p in params)
    return header, rows, {"total": total, "trainable": trainable,
                          "non_trainable": total - trainable}


def summary_text(model: Any, input_shape: tuple[int | None, ...] | None) -> str:
    """The summary table of ``model`` as text (Keras's layout)."""
    header, rows, counts = summary_table(model, input_shape)
    split = [[cell.split("\n") for cell in row] for row in rows]
    widths = [max([len(h)] + [len(line) for row in split for line in row[i]])
              for i, h in enumerate(header)]

    def line(cells: list[str]) -> str:  # the parameter counts are right-aligned
        return "  ".join(f"{c:>{w}}" if i == 2 else f"{c:<{w}}"
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    width = sum(widths) + 2 * (len(widths) - 1)
    body = [line([cell[k] if k < len(cell) else "" for cell in row])
            for row in split for k in range(max(len(cell) for cell in row))]
    return "\n".join([
        f'Model: "{model.name}"',
        "_" * width,
        line(list(header)),
        "=" * width,
        *body,
        "=" * width,
        f"Total params: {counts['total']:,}",
        f"Trainable params: {counts['trainable']:,}",
        f"Non-trainable params: {counts['non_trainable']:,}",
        "_" * width,
    ])


def summary_html(model: Any, input_shape: tuple[int | None, ...] | None = None) -> str:
    """The summary table of ``model`` as HTML (what a notebook shows for a model)."""
    header, rows, counts = summary_table(model, input_shape)
    cell = "padding:2px 10px;text-align:left;vertical-align:top"
    num = "padding:2px 10px;text-align:right;vertical-align:top"

    def esc(text: str) -> str:
        return "<br>".join(html.escape(part) for part in text.split("\n"))

    def row(cells: tuple[str, ...], tag: str = "td") -> str:
        return "<tr>" + "".join(f'<{tag} style="{num if i == 2 else cell}">{esc(c)}</{tag}>'
                                for i, c in enumerate(cells)) + "</tr>"

    totals = "".join(
        f'<tr><td colspan="{len(header)}" style="{cell}">{esc(label)}: {n:,}</td></tr>'
        for label, n in (("Total params", counts["total"]),
                         ("Trainable params", counts["trainable"]),
                         ("Non-trainable params", counts["non_trainable"])))
    return (f'<table style="border-collapse:collapse;font-family:monospace;font-size:12px">'
            f'<caption style="text-align:left;font-weight:bold">Model: '
            f'"{esc(model.name)}"</caption>'
            f"<thead>{row(header, tag='th')}</thead>"
            f"<tbody>{''.join(row(r) for r in rows)}</tbody>"
            f'<tfoot style="border-top:1px solid #999">{totals}</tfoot></table>')
