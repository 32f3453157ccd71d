"""Embedding: integer ids -> rows of a learned (input_dim, output_dim) table, as in Keras."""

from __future__ import annotations

from typing import Any

import numpy as np

import autograd_core as ag

from ..init import InitializerLike, get_initializer
from ..module import Module
from ..registry import serialize
from ..regularizers import get_regularizer
from .core import _positive_int

__all__ = ["Embedding"]


class Embedding(Module):
    """Looks up ``embeddings[ids]``: ids (batch, ...) of ints in [0, input_dim) give
    (batch, ..., output_dim). The gradient reaches only the rows that were looked up (summed
    where an id repeats). ``embeddings_initializer`` is Keras's ``"uniform"`` (±0.05).
    """

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        embeddings_initializer: InitializerLike = "uniform",
        embeddings_regularizer: Any = None,
        **kwargs: Any,
    ) -> None:
        # input_dim here is the vocabulary size (Keras's meaning), not Module's input width
        super().__init__(**kwargs)
        self.input_dim = _positive_int(input_dim, "Embedding: input_dim")
        self.output_dim = _positive_int(output_dim, "Embedding: output_dim")
        self.embeddings_initializer = get_initializer(embeddings_initializer)
        self.embeddings_regularizer = get_regularizer(embeddings_regularizer)
        self.embeddings: Any = None

    def build(self, input_shape: Any) -> None:
        """Create ``embeddings`` (input_dim, output_dim)."""
        self.embeddings = self.add_weight("embeddings", (self.input_dim, self.output_dim),
                                          self.embeddings_initializer,
                                          self.embeddings_regularizer)
        super().build(input_shape)

    def forward(self, ids: Any) -> Any:
        raw = ids.data if isinstance(ids, ag.Tensor) else np.asarray(ids)
        if raw.dtype.kind == "f":
            if not np.all(raw == np.round(raw)):
                raise ValueError(f"{self._label()}: ids must be whole numbers, got non-integer "
                                 "values")
            raw = raw.astype(np.int64)
        elif raw.dtype.kind not in "iu":
            raise TypeError(f"{self._label()}: ids must be integers, got dtype {raw.dtype}")
        if raw.size and (raw.min() < 0 or raw.max() >= self.input_dim):
            raise ValueError(f"{self._label()}: ids must be in [0, {self.input_dim}) "
                             f"(input_dim), got values from {raw.min()} to {raw.max()}")
        return self.embeddings[raw]

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return (*tuple(input_shape), self.output_dim)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "input_dim": self.input_dim,
                "output_dim": self.output_dim,
                "embeddings_initializer": serialize(self.embeddings_initializer),
                "embeddings_regularizer": serialize(self.embeddings_regularizer)}

    def extra_repr(self) -> str:
        return f"input_dim={self.input_dim}, output_dim={self.output_dim}"
