"""A model's state: ``load_state_dict`` and weights files (``save_weights``/``load_weights``;
the file format is in ``nn.io``)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import numpy as np

import autograd_core as ag

from . import io

__all__ = ["load_state_dict", "load_weights", "save_weights"]


def _architecture(model: Any) -> str:
    try:
        return model.summary(print_fn=None)
    except Exception:  # a summary is a courtesy in the file; never a reason not to save
        return repr(model)


def _require_built(model: Any, caller: str) -> None:
    unbuilt = model._unbuilt()
    if unbuilt:
        path, m = unbuilt[0]
        raise ValueError(
            f"{caller}: layer {path or '(root)'!r} ({type(m).__name__}) is not built, so its "
            "weights do not exist yet; give it input_dim=..., or call the model on a batch first"
        )


def _natural(name: str) -> list[Any]:
    """Sort key that puts ``layers.2`` before ``layers.10``."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in name.split(".")]


def save_weights(model: Any, path: str | os.PathLike) -> None:
    """Write every parameter (name, shape, dtype, values) and the model's summary, atomically."""
    _require_built(model, "save_weights")
    state = {name: p.data for name, p in model.named_parameters()}
    metadata = {"model_class": type(model).__name__, "architecture": _architecture(model)}
    io.save_state(path, state, metadata)


def load_weights(model: Any, path: str | os.PathLike, strict: bool = True) -> Any:
    """Load a ``save_weights`` file, checking every name and shape before changing anything."""
    _require_built(model, "load_weights")
    state, metadata = io.load_state(path)
    expected = {name: (p.shape, None) for name, p in model.named_parameters()}
    # the file's order is not kept by the reader: the model's order, then the rest by name,
    # so that errors list names the same way every time
    state = {**{k: state[k] for k in expected if k in state},
             **{k: state[k] for k in sorted(state, key=_natural) if k not in expected}}
    try:
        io.validate_state(expected, state, source=path, strict=strict)
    except io.StateMismatchError as e:
        saved = metadata.get("architecture")
        message = str(e)
        if saved:
            message += "\nThe file was saved from this model:\n" + saved
        raise io.StateMismatchError(message, e.missing, e.unexpected, e.mismatched) from None
    # values are cast to each parameter's dtype, as load_state_dict does
    return model.load_state_dict(state, strict=strict)


def load_state_dict(model: Any, state: Mapping[str, Any], strict: bool = True
                    ) -> tuple[list[str], list[str]]:
    """``model.load_state_dict``: check every name and shape, then copy; (missing, unexpected)."""
    own = dict(model.named_parameters())
    unbuilt = model._unbuilt()
    if strict and unbuilt:
        path, m = unbuilt[0]
        raise ValueError(
            f"load_state_dict: layer {path or '(root)'!r} ({type(m).__name__}) is not built, "
            "so its weights do not exist yet; give it input_dim=..., or call the model on "
            "a batch, before loading"
        )
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    if strict and (missing or unexpected):
        parts = []
        if missing:
            parts.append(f"missing from the state dict: {', '.join(missing)}")
        if unexpected:
            parts.append(f"not in the model: {', '.join(unexpected)}")
        raise ValueError("load_state_dict: " + "; ".join(parts))
    updates = []
    for name, p in own.items():
        if name not in state:
            continue
        value = state[name]
        raw = value.data if isinstance(value, ag.Tensor) else value
        try:
            arr = np.asarray(raw, dtype=p.dtype)
        except (TypeError, ValueError) as e:
            raise TypeError(
                f"load_state_dict: value for {name!r} is not numeric: {e}"
            ) from None
        if arr.shape != p.shape:
            raise ValueError(
                f"load_state_dict: parameter {name!r} has shape {p.shape} in the model but "
                f"{arr.shape} in the state dict"
            )
        updates.append((p, arr))
    for p, arr in updates:
        p.assign_(arr)
    return missing, unexpected
