"""``model.summary()``: the table of layers, output shapes and parameter counts (Keras's)."""

from __future__ import annotations

from typing import Any

import numpy as np

import autograd_core as ag


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


def _table(title: str, header: tuple[str, ...], rows: list[tuple[str, ...]], model: Any
           ) -> str:
    """Keras's layout: a title, ruled header, one row per layer (cells may span lines)."""
    split = [[cell.split("\n") for cell in row] for row in rows]
    widths = [max([len(h)] + [len(line) for row in split for line in row[i]])
              for i, h in enumerate(header)]
    right = {2}  # the parameter counts are right-aligned

    def line(cells: list[str]) -> str:
        return "  ".join(f"{c:>{w}}" if i in right else f"{c:<{w}}"
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    width = sum(widths) + 2 * (len(widths) - 1)
    body = []
    for row in split:
        for k in range(max(len(cell) for cell in row)):
            body.append(line([cell[k] if k < len(cell) else "" for cell in row]))
    params = model.parameters()
    trainable = sum(p.size for p in params if p.requires_grad)
    total = sum(p.size for p in params)
    return "\n".join([
        f'Model: "{title}"',
        "_" * width,
        line(list(header)),
        "=" * width,
        *body,
        "=" * width,
        f"Total params: {total:,}",
        f"Trainable params: {trainable:,}",
        f"Non-trainable params: {total - trainable:,}",
        "_" * width,
    ])


def _count(m: Any) -> str:
    return "unbuilt" if any(not s.built for s in m.modules()) else f"{m.count_params():,}"


def functional_summary_text(model: Any) -> str:
    """The summary of a functional ``nn.Model``, with Keras's "Connected to" column."""
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
    header = ("Layer (type)", "Output Shape", "Param #", "Connected to")
    return _table(model.name, header, rows, model)


def summary_text(model: Any, input_shape: tuple[int | None, ...] | None) -> str:
    """The summary table of ``model`` as text (Keras's layout)."""
    if vars(model).get("_graph"):
        return functional_summary_text(model)
    shapes = run_for_shapes(model, input_shape)
    children = [m for _, m in model._named_children()] or [model]
    rows = []
    for m in children:
        shape = shapes.get(id(m))
        shape_text = "?" if shape is None else str((None, *shape[1:])) if shape else "()"
        rows.append((f"{m.name} ({type(m).__name__})", shape_text, _count(m)))
    return _table(model.name, ("Layer (type)", "Output Shape", "Param #"), rows, model)
