"""Convolution layers, channels-last as in Keras: Conv1D on (N, L, C), Conv2D on (N, H, W, C).

Weights have Keras's names and layout: ``kernel`` (*kernel_size, C_in, filters) and ``bias``
(filters,). A layer is one ``autograd_core.conv1d``/``conv2d`` call (the bias, and a relu
activation, applied in the same node) and any other activation, so the engine's rules give
every gradient.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import autograd_core as ag

from ..activations import ACTIVATIONS, activation_name
from ..init import InitializerLike
from ..module import Module
from ..seeding import SeedLike
from .core import _as_input, _positive_int, kernel_options_config, set_kernel_options

__all__ = ["Conv1D", "Conv2D", "conv_output_length", "normalize_tuple"]


def normalize_tuple(value: Any, n: int, what: str) -> tuple[int, ...]:
    """An int or ``n`` positive ints as a tuple of ``n`` ints (Keras's ``(3, 3)`` from ``3``)."""
    values = (value,) * n if isinstance(value, (int, np.integer)) else tuple(value)
    if len(values) != n or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                                   and v >= 1 for v in values):
        raise ValueError(f"{what} must be a positive int or a tuple of {n} positive ints, "
                         f"got {value!r}")
    return tuple(int(v) for v in values)


def conv_output_length(length: int | None, window: int, padding: str, stride: int,
                       dilation: int = 1) -> int | None:
    """Output positions along one axis: Keras's formula for "valid" and "same" padding."""
    if length is None:
        return None
    if padding == "same":
        return -(-length // stride)
    span = (window - 1) * dilation + 1
    return max((length - span) // stride + 1, 0)


def check_padding(padding: Any, owner: str) -> str:
    """``"valid"`` or ``"same"`` (any case), lower-cased; anything else is refused."""
    if not isinstance(padding, str) or padding.lower() not in ("valid", "same"):
        raise ValueError(f"{owner}: padding must be 'valid' or 'same', got {padding!r}")
    return padding.lower()


def check_data_format(data_format: Any, owner: str) -> str:
    """Only channels-last is supported (Keras's default)."""
    if data_format not in (None, "channels_last"):
        raise ValueError(f"{owner}: only data_format='channels_last' is supported (inputs "
                         f"(batch, ..., channels)), got {data_format!r}")
    return "channels_last"


class _Conv(Module):
    """What Conv1D and Conv2D share; ``rank`` is the number of spatial axes."""

    rank = 0

    def __init__(
        self,
        filters: int,
        kernel_size: int | tuple[int, ...],
        strides: int | tuple[int, ...] = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: int | tuple[int, ...] = 1,
        activation: str | Callable[..., Any] | None = None,
        use_bias: bool = True,
        kernel_initializer: InitializerLike = "glorot_uniform",
        bias_initializer: InitializerLike = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        seed: SeedLike = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, **kwargs)
        owner = type(self).__name__
        self.filters = _positive_int(filters, f"{owner}: filters")
        self.kernel_size = normalize_tuple(kernel_size, self.rank, f"{owner}: kernel_size")
        self.strides = normalize_tuple(strides, self.rank, f"{owner}: strides")
        self.padding = check_padding(padding, owner)
        self.data_format = check_data_format(data_format, owner)
        self.dilation_rate = normalize_tuple(dilation_rate, self.rank, f"{owner}: dilation_rate")
        set_kernel_options(self, activation, use_bias, kernel_initializer, bias_initializer,
                           kernel_regularizer, bias_regularizer)

    def _check_shape(self, input_shape: Any) -> None:
        if len(input_shape) != self.rank + 2:
            layout = "(batch, length, channels)" if self.rank == 1 else \
                "(batch, height, width, channels)"
            raise ValueError(f"{self._label()}: expects inputs of shape {layout}, got input "
                             f"shape {tuple(input_shape)}")

    def build(self, input_shape: Any) -> None:
        """Create ``kernel`` (*kernel_size, C_in, filters) and ``bias`` (filters,)."""
        self._check_shape(input_shape)
        channels = _positive_int(input_shape[-1], f"{self._label()}: input channels")
        self.kernel = self.add_weight("kernel", (*self.kernel_size, channels, self.filters),
                                      self.kernel_initializer, self.kernel_regularizer)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.filters,), self.bias_initializer,
                                        self.bias_regularizer)
        super().build(input_shape)

    def forward(self, x: Any) -> Any:
        x = _as_input(x, self.dtype)
        self._check_shape(x.shape)
        if x.shape[-1] != self.kernel.shape[-2]:
            raise ValueError(f"{self._label()}: expected {self.kernel.shape[-2]} input channels, "
                             f"got {x.shape[-1]} (input shape {tuple(x.shape)})")
        conv = ag.conv1d if self.rank == 1 else ag.conv2d
        # the bias, and relu, are applied inside the convolution's node: the graph then keeps
        # one array per layer, not one each for the convolution, the bias add and relu
        fused = self._act is ACTIVATIONS["relu"]
        out = conv(x, self.kernel, self.strides, self.padding, self.dilation_rate,
                   bias=self.bias, activation="relu" if fused else None)
        # drawn as one "conv2d" box, with the padding when there is one
        out = ag.viz.mark_composite(out, inputs=[x], name=conv.__name__)
        return out if self._act is None or fused else self._act(out)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        self._check_shape(input_shape)
        spatial = tuple(
            conv_output_length(n, k, self.padding, s, d) for n, k, s, d in
            zip(input_shape[1:-1], self.kernel_size, self.strides, self.dilation_rate))
        return (input_shape[0], *spatial, self.filters)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            **kernel_options_config(self),
        }

    def extra_repr(self) -> str:
        return (f"filters={self.filters}, kernel_size={self.kernel_size}, strides={self.strides}"
                f", padding={self.padding!r}, activation={activation_name(self.activation)!r}")


class Conv1D(_Conv):
    """1-d convolution over (batch, length, channels): kernel (kernel_size, C_in, filters).

    ``Conv1D(filters, kernel_size, strides=1, padding="valid", dilation_rate=1,
    activation=None, use_bias=True, kernel_initializer="glorot_uniform",
    bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None)``, as in Keras.
    """

    rank = 1


class Conv2D(_Conv):
    """2-d convolution over (batch, height, width, channels): kernel (KH, KW, C_in, filters).

    ``Conv2D(filters, kernel_size, strides=1, padding="valid", dilation_rate=1,
    activation=None, use_bias=True, kernel_initializer="glorot_uniform",
    bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None)``, as in Keras;
    ``kernel_size``, ``strides`` and ``dilation_rate`` take an int or a pair.
    """

    rank = 2
