"""``model.summary()``: the table of layers, output shapes and parameter counts (Keras's)."""

from __future__ import annotations

import html
from typing import Any

import numpy as np

import autograd_core as ag

HEADER = ("Layer (type)", "Output shape", "Params")


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


def summary_table(model: Any, input_shape: tuple[int | None, ...] | None
                  ) -> tuple[list[tuple[str, str, str]], dict[str, int]]:
    """([(layer, output shape, params)], {"total", "trainable", "non_trainable"})."""
    shapes = run_for_shapes(model, input_shape)
    rows = [(path, m) for path, m in model._named_children()] or [("", model)]
    lines = []
    for path, m in rows:
        label = f"{path} ({type(m).__name__})" if path else type(m).__name__
        shape = shapes.get(id(m))
        shape_text = "?" if shape is None else str((None, *shape[1:])) if shape else "()"
        unbuilt = any(not s.built for s in m.modules())
        count = "unbuilt" if unbuilt else f"{m.count_params():,}"
        lines.append((label, shape_text, count))
    params = model.parameters()
    trainable = sum(p.size for p in params if p.requires_grad)
    total = sum(p.size for p in params)
    return lines, {"total": total, "trainable": trainable, "non_trainable": total - trainable}


def summary_text(model: Any, input_shape: tuple[int | None, ...] | None) -> str:
    """The summary table of ``model`` as text."""
    lines, counts = summary_table(model, input_shape)
    header = HEADER
    w0 = max(len(header[0]), *(len(r[0]) for r in lines))
    w1 = max(len(header[1]), *(len(r[1]) for r in lines))
    w2 = max(len(header[2]), *(len(r[2]) for r in lines))
    width = w0 + w1 + w2 + 4
    out = [
        f'Model: "{type(model).__name__}"',
        "_" * width,
        f"{header[0]:<{w0}}  {header[1]:<{w1}}  {header[2]:>{w2}}",
        "=" * width,
        *(f"{a:<{w0}}  {b:<{w1}}  {c:>{w2}}" for a, b, c in lines),
        "=" * width,
        f"Total params: {counts['total']:,}",
        f"Trainable params: {counts['trainable']:,}",
        f"Non-trainable params: {counts['non_trainable']:,}",
        "_" * width,
    ]
    return "\n".join(out)


def summary_html(model: Any, input_shape: tuple[int | None, ...] | None = None) -> str:
    """The summary table of ``model`` as HTML (what a notebook shows for a model)."""
    lines, counts = summary_table(model, input_shape)
    cell = "padding:2px 10px;text-align:left"
    num = "padding:2px 10px;text-align:right"
    esc = html.escape

    def row(a: str, b: str, c: str, tag: str = "td") -> str:
        return (f'<tr><{tag} style="{cell}">{esc(a)}</{tag}><{tag} style="{cell}">{esc(b)}'
                f'</{tag}><{tag} style="{num}">{esc(c)}</{tag}></tr>')

    totals = "".join(
        f'<tr><td colspan="3" style="{cell}">{esc(label)}: {n:,}</td></tr>'
        for label, n in (("Total params", counts["total"]),
                         ("Trainable params", counts["trainable"]),
                         ("Non-trainable params", counts["non_trainable"])))
    return (f'<table style="border-collapse:collapse;font-family:monospace;font-size:12px">'
            f'<caption style="text-align:left;font-weight:bold">Model: '
            f'"{esc(type(model).__name__)}"</caption>'
            f"<thead>{row(*HEADER, tag='th')}</thead>"
            f"<tbody>{''.join(row(*r) for r in lines)}</tbody>"
            f'<tfoot style="border-top:1px solid #999">{totals}</tfoot></table>')
