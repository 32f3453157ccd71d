"""Layers, one family per file (``core``: Dense, Neuron, Perceptron, Maxout, Dropout,
Activation). ``serialize``/``deserialize`` are Keras's names for a layer's
``{"class_name", "config"}`` form.

``Sequential``, ``MLP`` and ``run_for_shapes`` moved to ``nn.models`` and ``nn.summary``;
``nn.layers.Sequential`` still works, looked up on first use (so that ``nn.models``, which
imports the layers, is not imported by them).
"""

from typing import Any

from ..module import Layer, Module
from ..module import deserialize_layer as deserialize
from ..module import serialize_layer as serialize
from .core import Activation, Dense, Dropout, Maxout, Neuron, Perceptron
from .merge import Add, Average, Concatenate, Maximum, Minimum, Multiply, Subtract

__all__ = ["Activation", "Dense", "Dropout", "Layer", "Maxout", "Module", "Neuron",
           "Perceptron", "deserialize", "serialize"]
__all__ += ["Add", "Average", "Concatenate", "Maximum", "Minimum", "Multiply", "Subtract"]

_MOVED = {"Sequential": "models", "MLP": "models", "run_for_shapes": "summary"}


def __getattr__(name: str) -> Any:
    if name in _MOVED:
        import importlib

        return getattr(importlib.import_module(f"{__package__.rpartition('.')[0]}."
                                               f"{_MOVED[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
