"""Layers, one family per file (``core``: Dense, Neuron, Perceptron, Maxout, Dropout,
Activation; ``convolutional``, ``pooling``, ``reshaping``, ``normalization``, ``embedding``,
``recurrent``). ``serialize``/``deserialize`` are Keras's names for a layer's
``{"class_name", "config"}`` form.

``Sequential``, ``MLP`` and ``run_for_shapes`` moved to ``nn.models`` and ``nn.summary``;
``nn.layers.Sequential`` still works, looked up on first use (so that ``nn.models``, which
imports the layers, is not imported by them).
"""

from typing import Any

from ..module import Layer, Module
from ..module import deserialize_layer as deserialize
from ..module import serialize_layer as serialize
from .convolutional import Conv1D, Conv2D
from .core import Activation, Dense, Dropout, Maxout, Neuron, Perceptron
from .embedding import Embedding
from .normalization import BatchNormalization, LayerNormalization
from .pooling import (
    AveragePooling1D,
    AveragePooling2D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    MaxPooling1D,
    MaxPooling2D,
)
from .recurrent import GRU, LSTM, SimpleRNN
from .reshaping import Flatten, Reshape

__all__ = ["Activation", "Dense", "Dropout", "Layer", "Maxout", "Module", "Neuron",
           "Perceptron", "deserialize", "serialize"]
# convolutional, pooling, reshaping, normalization, embedding and recurrent layers (issue 13)
__all__ += ["AveragePooling1D", "AveragePooling2D", "BatchNormalization", "Conv1D", "Conv2D",
            "Embedding", "Flatten", "GRU", "GlobalAveragePooling1D", "GlobalAveragePooling2D",
            "GlobalMaxPooling1D", "GlobalMaxPooling2D", "LSTM", "LayerNormalization",
            "MaxPooling1D", "MaxPooling2D", "Reshape", "SimpleRNN"]

_MOVED = {"Sequential": "models", "MLP": "models", "run_for_shapes": "summary"}


def __getattr__(name: str) -> Any:
    if name in _MOVED:
        import importlib

        return getattr(importlib.import_module(f"{__package__.rpartition('.')[0]}."
                                               f"{_MOVED[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
