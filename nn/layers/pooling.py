"""Pooling layers, channels-last as in Keras: windowed max and average, and global ones.

``MaxPooling2D(pool_size=(2, 2), strides=None, padding="valid")`` and its relatives are one
``autograd_core.max_pool2d``/``avg_pool2d`` call; ``strides=None`` means the pool size. The
global layers reduce every spatial axis (``keepdims=True`` keeps them with size 1).
"""

from __future__ import annotations

from typing import Any

import autograd_core as ag

from ..module import Module
from .convolutional import (
    check_data_format,
    check_padding,
    conv_output_length,
    normalize_tuple,
)

__all__ = ["AveragePooling1D", "AveragePooling2D", "GlobalAveragePooling1D",
           "GlobalAveragePooling2D", "GlobalMaxPooling1D", "GlobalMaxPooling2D",
           "MaxPooling1D", "MaxPooling2D"]


def _check_rank(layer: Module, shape: Any, rank: int) -> None:
    if len(shape) != rank + 2:
        layout = "(batch, length, channels)" if rank == 1 else "(batch, height, width, channels)"
        raise ValueError(f"{layer._label()}: expects inputs of shape {layout}, got input shape "
                         f"{tuple(shape)}")


class _Pooling(Module):
    rank = 0
    kind = "max"

    def __init__(self, pool_size: int | tuple[int, ...] = 2, strides: Any = None,
                 padding: str = "valid", data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        owner = type(self).__name__
        self.pool_size = normalize_tuple(pool_size, self.rank, f"{owner}: pool_size")
        self.strides = self.pool_size if strides is None else normalize_tuple(
            strides, self.rank, f"{owner}: strides")
        self.padding = check_padding(padding, owner)
        self.data_format = check_data_format(data_format, owner)

    def forward(self, x: Any) -> Any:
        _check_rank(self, x.shape, self.rank)
        pool = {(1, "max"): ag.max_pool1d, (2, "max"): ag.max_pool2d,
                (1, "avg"): ag.avg_pool1d, (2, "avg"): ag.avg_pool2d}[self.rank, self.kind]
        out = pool(x, self.pool_size, self.strides, self.padding)
        return ag.viz.mark_composite(out, inputs=[x], name=pool.__name__)  # one box in a graph

    def compute_output_shape(self, input_shape: Any) -> tuple:
        _check_rank(self, input_shape, self.rank)
        spatial = tuple(conv_output_length(n, k, self.padding, s)
                        for n, k, s in zip(input_shape[1:-1], self.pool_size, self.strides))
        return (input_shape[0], *spatial, input_shape[-1])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "pool_size": self.pool_size, "strides": self.strides,
                "padding": self.padding, "data_format": self.data_format}

    def extra_repr(self) -> str:
        return f"pool_size={self.pool_size}, strides={self.strides}, padding={self.padding!r}"


class MaxPooling1D(_Pooling):
    """Max over windows of ``pool_size`` steps of (batch, length, channels)."""

    rank, kind = 1, "max"


class MaxPooling2D(_Pooling):
    """Max over ``pool_size`` windows of (batch, height, width, channels); (2, 2) by default."""

    rank, kind = 2, "max"


class AveragePooling1D(_Pooling):
    """Mean over windows of ``pool_size`` steps ("same": over the real elements only)."""

    rank, kind = 1, "avg"


class AveragePooling2D(_Pooling):
    """Mean over ``pool_size`` windows ("same": over the real elements only); (2, 2) default."""

    rank, kind = 2, "avg"


class _GlobalPooling(Module):
    rank = 0
    kind = "max"

    def __init__(self, data_format: str | None = None, keepdims: bool = False, **kwargs: Any
                 ) -> None:
        super().__init__(**kwargs)
        self.data_format = check_data_format(data_format, type(self).__name__)
        self.keepdims = bool(keepdims)

    def forward(self, x: Any) -> Any:
        _check_rank(self, x.shape, self.rank)
        axes = tuple(range(1, 1 + self.rank))
        reduce = ag.max if self.kind == "max" else ag.mean
        return reduce(x, axis=axes, keepdims=self.keepdims)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        _check_rank(self, input_shape, self.rank)
        if self.keepdims:
            return (input_shape[0], *(1,) * self.rank, input_shape[-1])
        return (input_shape[0], input_shape[-1])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "data_format": self.data_format,
                "keepdims": self.keepdims}


class GlobalMaxPooling1D(_GlobalPooling):
    """Max over the steps: (batch, length, channels) -> (batch, channels)."""

    rank, kind = 1, "max"


class GlobalMaxPooling2D(_GlobalPooling):
    """Max over height and width: (batch, height, width, channels) -> (batch, channels)."""

    rank, kind = 2, "max"


class GlobalAveragePooling1D(_GlobalPooling):
    """Mean over the steps: (batch, length, channels) -> (batch, channels)."""

    rank, kind = 1, "avg"


class GlobalAveragePooling2D(_GlobalPooling):
    """Mean over height and width: (batch, height, width, channels) -> (batch, channels)."""

    rank, kind = 2, "avg"
