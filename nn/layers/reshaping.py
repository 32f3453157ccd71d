"""Layers that only change shape: Flatten and Reshape (the batch axis is always kept)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import autograd_core as ag

from ..module import Module
from .convolutional import check_data_format

__all__ = ["Flatten", "Reshape"]


class Flatten(Module):
    """(batch, d1, d2, ...) -> (batch, d1 * d2 * ...); (batch,) -> (batch, 1), as in Keras."""

    def __init__(self, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data_format = check_data_format(data_format, "Flatten")

    def forward(self, x: Any) -> Any:
        if x.ndim == 0:
            raise ValueError(f"{self._label()}: expects a batch of inputs, got a scalar")
        return ag.reshape(x, (x.shape[0], -1))

    def compute_output_shape(self, input_shape: Any) -> tuple:
        rest = tuple(input_shape)[1:]
        size = None if any(d is None for d in rest) else math.prod(rest)
        return (input_shape[0], size)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "data_format": self.data_format}


class Reshape(Module):
    """Reshape each sample to ``target_shape`` (without the batch axis; one entry may be -1)."""

    def __init__(self, target_shape: tuple[int, ...], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        shape = tuple(target_shape)
        if not all(isinstance(d, (int, np.integer)) and (d >= 1 or d == -1) for d in shape) \
                or sum(d == -1 for d in shape) > 1:
            raise ValueError(f"Reshape: target_shape must be positive ints with at most one -1, "
                             f"got {target_shape!r}")
        self.target_shape = tuple(int(d) for d in shape)

    def _resolve(self, sample_shape: tuple) -> tuple:
        size = math.prod(sample_shape)
        known = math.prod(d for d in self.target_shape if d != -1)
        if (-1 in self.target_shape and size % known) or \
                (-1 not in self.target_shape and size != known):
            raise ValueError(f"{self._label()}: cannot reshape samples of shape {sample_shape} "
                             f"({size} values) to {self.target_shape}")
        return tuple(size // known if d == -1 else d for d in self.target_shape)

    def forward(self, x: Any) -> Any:
        return ag.reshape(x, (x.shape[0], *self._resolve(tuple(x.shape[1:]))))

    def compute_output_shape(self, input_shape: Any) -> tuple:
        rest = tuple(input_shape)[1:]
        if any(d is None for d in rest):
            return (input_shape[0], *(None if d == -1 else d for d in self.target_shape))
        return (input_shape[0], *self._resolve(rest))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "target_shape": self.target_shape}

    def extra_repr(self) -> str:
        return f"target_shape={self.target_shape}"
