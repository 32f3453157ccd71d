"""The networks ``autograd-core train --model`` builds, from nn's public layers.

- ``mlp``: Dense layers on flat, standardised features (``nn.MLP``);
- ``cnn``: Conv2D(8, 3x3, relu), MaxPooling2D, Conv2D(16, 3x3, relu), MaxPooling2D, Flatten,
  then the ``--hidden`` Dense layers and the output layer, on images (N, H, W, C) in [0, 1];
- ``lstm``: LSTM(``hidden[0]`` units) over sequences (N, T, F), then the remaining ``--hidden``
  Dense layers and the output layer.

Which datasets each model fits is ``cli_checks.MODEL_DATASETS``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .layers.convolutional import Conv2D
from .layers.core import Dense
from .layers.pooling import MaxPooling2D
from .layers.recurrent import LSTM
from .layers.reshaping import Flatten
from .models import MLP, Sequential
from .module import Module
from .seeding import SeedLike, child_seeds

__all__ = ["CNN_FILTERS", "MODELS", "build_network", "describe"]

MODELS = ("mlp", "cnn", "lstm")
CNN_FILTERS = (8, 16)  # two 3x3 "same" convolutions, each followed by a 2x2 max pool


def build_network(model: str, input_shape: Sequence[int], hidden: Sequence[int],
                  activation: str, output_dim: int, output_activation: str | None,
                  seed: SeedLike = None, dtype: Any = "float32") -> Module:
    """The ``model`` network (``mlp``, ``cnn`` or ``lstm``) for inputs of ``input_shape``
    (one sample's shape), its weights freshly initialised from ``seed``."""
    dtype = np.dtype(dtype)
    if model == "mlp":
        sizes = [int(np.prod(input_shape)), *hidden, output_dim]
        return MLP(sizes, activation=activation, output_activation=output_activation,
                   seed=seed, dtype=dtype)
    seeds = iter(child_seeds(seed, len(CNN_FILTERS) + len(hidden) + 1))
    layers: list[Module] = []
    dense_hidden = list(hidden)
    if model == "cnn":
        for i, filters in enumerate(CNN_FILTERS):
            extra = {"input_shape": tuple(input_shape)} if i == 0 else {}
            layers += [Conv2D(filters, 3, padding="same", activation="relu", seed=next(seeds),
                              dtype=dtype, **extra),
                       MaxPooling2D()]
        layers.append(Flatten())
    elif model == "lstm":
        layers.append(LSTM(int(hidden[0]), input_shape=tuple(input_shape), seed=next(seeds),
                           dtype=dtype))
        dense_hidden = dense_hidden[1:]
    else:
        raise ValueError(f"unknown model {model!r}; choose from {', '.join(MODELS)}")
    for units in dense_hidden:
        layers.append(Dense(int(units), activation=activation, seed=next(seeds), dtype=dtype))
    layers.append(Dense(output_dim, activation=output_activation, seed=next(seeds),
                        dtype=dtype))
    return Sequential(*layers)


def describe(model: str, input_shape: Sequence[int], hidden: Sequence[int],
             output_dim: int) -> str:
    """One phrase for the run's header line: ``MLP [2, 16, 16, 1]``, ``CNN ...``."""
    if model == "mlp":
        return f"MLP {[int(np.prod(input_shape)), *hidden, output_dim]}"
    if model == "cnn":
        convs = ", ".join(f"Conv2D {f} 3x3, MaxPooling2D" for f in CNN_FILTERS)
        return f"CNN on {tuple(input_shape)}: {convs}, Flatten, Dense {[*hidden, output_dim]}"
    return (f"LSTM on {tuple(input_shape)}: LSTM {hidden[0]}, "
            f"Dense {[*hidden[1:], output_dim]}")
