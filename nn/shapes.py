"""Shapes and dtypes as layers receive them: build shapes with the batch axis as None."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

import autograd_core as ag

__all__ = ["as_shape", "float_dtype", "shape_of", "symbolic_leaf"]


def as_shape(input_shape: Any) -> tuple:
    """A build shape: an int width means ``(None, width)``; None entries stay None."""
    if isinstance(input_shape, (int, np.integer)) and not isinstance(input_shape, bool):
        return (None, int(input_shape))
    if isinstance(input_shape, list) and input_shape and isinstance(input_shape[0], tuple):
        return input_shape  # several inputs: a list of shapes
    return tuple(None if d is None else int(d) for d in input_shape)


def shape_of(x: Any) -> Any:
    """The build shape of a first input: its shape with the batch axis (the first) as None;
    a 1-D input, one sample without a batch axis, is passed as is."""
    if isinstance(x, (list, tuple)) and x and all(hasattr(v, "shape") for v in x):
        return [shape_of(v) for v in x]
    shape = tuple(x.shape) if hasattr(x, "shape") else np.shape(x)
    return (None, *shape[1:]) if len(shape) >= 2 else tuple(shape)


def float_dtype(dtype: Any, owner: str) -> np.dtype:
    """``dtype`` (None: float32, Keras's floatx), refused unless floating point."""
    dt = np.dtype(np.float32 if dtype is None else dtype)
    if dt.kind != "f":
        raise TypeError(f"{owner}: dtype must be a floating-point type, got {dt}")
    return dt


def symbolic_leaf(x: Any) -> Any:
    """The first KerasTensor of ``x`` when ``x`` is one, or a list or dict of them (None
    otherwise); a KerasTensor records layer calls on itself (``nn.functional``)."""
    if type(x) is np.ndarray or isinstance(x, ag.Tensor):  # data, every call of a training step
        return None
    if isinstance(x, Mapping):
        x = list(x.values())
    if isinstance(x, (list, tuple)):
        return x[0] if x and all(getattr(v, "_symbolic", False) for v in x) else None
    return x if getattr(x, "_symbolic", False) else None
