"""Models made of layers: Sequential (layers applied in order) and MLP."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from .activations import ACTIVATIONS
from .init import InitializerLike
from .layers.core import Dense, _positive_int
from .module import Module, deserialize_layer, serialize_layer
from .registry import serialize
from .seeding import SeedLike, child_seeds
from .shapes import as_shape

__all__ = ["MLP", "Sequential"]


def _known(shape: Any) -> bool:
    return isinstance(shape, tuple) and all(d is not None for d in shape[1:])


class Sequential(Module):
    """Layers applied in order: ``Sequential(Dense(8, "relu", input_dim=4), Dense(1))``.

    A layer added after ones whose output shape is known is built at once, and a layer built
    for another width is refused, naming both widths. ``Sequential([...])`` works too.
    """

    def __init__(self, *layers: Module, trainable: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])  # Keras's Sequential([...]) form
        self.layers: list[Module] = []
        for layer in layers:
            self.add(layer)
        if not trainable:
            self.trainable = False

    @property
    def built(self) -> bool:  # type: ignore[override]
        """Whether every layer is built."""
        return all(layer.built for layer in vars(self).get("layers", ()))

    @built.setter
    def built(self, value: bool) -> None:
        pass  # follows the layers

    def _output_shape(self, layers: Sequence[Module]) -> tuple | None:
        """The output shape of ``layers`` when it can be told without data (None if not)."""
        shape = self._build_input_shape
        for layer in layers:
            if shape is None:
                shape = layer._build_input_shape or (None, None)  # unknown: assume (batch, width)
            try:
                shape = tuple(layer.compute_output_shape(shape))
            except (ValueError, TypeError, NotImplementedError, IndexError):
                return None
        return shape

    def add(self, layer: Module) -> Sequential:
        """Append a layer, building it when the shape it receives is known; an ``nn.Input``
        (first) sets the input shape, as in Keras."""
        if getattr(layer, "_symbolic", False) and not self.layers:
            self._build_input_shape = tuple(layer.shape)
            return self
        if not isinstance(layer, Module):
            raise TypeError(f"Sequential.add: expected a Module, got {type(layer).__name__}")
        shape = self._output_shape(self.layers) if self.layers else self._build_input_shape
        if shape is not None:
            expected = layer._build_input_shape
            if (isinstance(expected, tuple) and expected[-1] is not None
                    and shape[-1] is not None and expected[-1] != shape[-1]):
                raise ValueError(
                    f"Sequential.add: layer {len(self.layers)} ({type(layer).__name__}) expects "
                    f"input width {expected[-1]}, but the layers before it output width "
                    f"{shape[-1]} (shape {shape})"
                )
            if not layer.built and _known(shape):
                layer._build_for(shape)
        self.layers.append(layer)
        return self

    def build(self, input_shape: Any) -> None:
        """Build every layer for inputs of ``input_shape`` (``(None, 4)``, or a width ``4``)."""
        shape = as_shape(input_shape)
        self._build_input_shape = shape
        for layer in self.layers:
            if not layer.built:
                layer._build_for(shape)
            shape = tuple(layer.compute_output_shape(shape))

    def forward(self, x: Any) -> Any:
        for layer in self.layers:
            x = layer(x)
        return x

    def compute_output_shape(self, input_shape: Any) -> tuple:
        shape = as_shape(input_shape)
        for layer in self.layers:
            shape = tuple(layer.compute_output_shape(shape))
        return shape

    def input_width(self) -> int | None:
        shape = self._build_input_shape
        if shape is None and self.layers:
            shape = self.layers[0]._build_input_shape
        return shape[-1] if isinstance(shape, tuple) and shape else None

    def get_config(self) -> dict[str, Any]:
        config = {**super().get_config(), "layers": [serialize_layer(x) for x in self.layers]}
        shape = self._build_input_shape or (self.layers[0]._build_input_shape
                                            if self.layers else None)
        if shape is not None:
            config["build_input_shape"] = shape
        return config

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Sequential:
        config = dict(config)
        layers = [deserialize_layer(spec) for spec in config.pop("layers", [])]
        shape = config.pop("build_input_shape", None)
        model = cls(layers, **config)
        if shape is not None:
            model.build(tuple(shape))
        return model

    def __getitem__(self, index: int) -> Module:
        return self.layers[index]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Module]:
        return iter(self.layers)


class MLP(Sequential):
    """A multi-layer perceptron: ``MLP([4, 16, 16, 3])`` is Dense(16) -> Dense(16) -> Dense(3).

    Hidden layers use ``activation``, the last ``output_activation`` (None: linear, for
    logits). ``seed`` gives every layer its own child generator.
    """

    def __init__(
        self,
        sizes: Sequence[int],
        activation: str | Callable[..., Any] | None = "tanh",
        output_activation: str | Callable[..., Any] | None = None,
        kernel_initializer: InitializerLike = "glorot_uniform",
        seed: SeedLike = None,
        dtype: Any = np.float32,
        **kwargs: Any,
    ) -> None:
        sizes = [_positive_int(n, "MLP: each size") for n in sizes]
        if len(sizes) < 2:
            raise ValueError(f"MLP: sizes needs an input and an output width, got {sizes}")
        self.sizes = sizes
        self._activations = (activation, output_activation, kernel_initializer)
        seeds = child_seeds(seed, len(sizes) - 1)
        last = len(sizes) - 2
        super().__init__(*[
            Dense(n_out, activation if i < last else output_activation, input_dim=n_in,
                  kernel_initializer=kernel_initializer, seed=seeds[i], dtype=dtype)
            for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]))
        ], dtype=dtype, **kwargs)

    def get_config(self) -> dict[str, Any]:
        activation, output_activation, kernel_initializer = self._activations
        return {
            **Module.get_config(self),
            "sizes": list(self.sizes),
            "activation": serialize(activation, ACTIVATIONS),
            "output_activation": serialize(output_activation, ACTIVATIONS),
            "kernel_initializer": serialize(kernel_initializer),
        }

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> MLP:
        return cls(**config)

    def extra_repr(self) -> str:
        return f"sizes={self.sizes}"
