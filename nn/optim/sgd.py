"""Stochastic gradient descent, with momentum and Nesterov momentum (PyTorch's form)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

import autograd_core as ag

from .base import Optimizer, _check_nonneg, decay_of, lr_of


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with momentum (PyTorch's form).

        g <- g + weight_decay * w                      (if weight_decay)
        b <- g                    on the first step     (if momentum)
        b <- momentum * b + (1 - dampening) * g        afterwards
        g <- g + momentum * b     (nesterov)   or   g <- b
        w <- w - lr * g

    Keras's ``SGD`` keeps ``-lr * g`` in its buffer instead of ``g``: the same steps while lr
    is constant.
    """

    def __init__(
        self,
        params: Iterable[ag.Tensor] | float | None = None,
        lr: float | None = None,
        momentum: float = 0.0,
        nesterov: bool = False,
        weight_decay: float | None = None,
        dampening: float = 0.0,
        *,
        learning_rate: float | None = None,
        **common: Any,
    ) -> None:
        params, lr = lr_of("SGD", params, lr, learning_rate, 0.01)
        self.momentum = _check_nonneg("SGD", "momentum", momentum)
        self.dampening = float(dampening)
        self.weight_decay = decay_of("SGD", weight_decay)
        self.nesterov = bool(nesterov)
        if self.nesterov and (self.momentum == 0 or self.dampening != 0):
            raise ValueError("SGD: nesterov needs momentum > 0 and dampening = 0")
        super().__init__(params, lr, **common)

    def hyperparameters(self) -> dict[str, Any]:
        return {"momentum": self.momentum, "nesterov": self.nesterov,
                "weight_decay": self.weight_decay, "dampening": self.dampening}

    def update_step(self, w: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        if self.weight_decay:
            g = g + self.weight_decay * w
        if self.momentum:
            b = state.get("momentum_buffer")
            if b is None:
                b = state["momentum_buffer"] = np.array(g, dtype=w.dtype)
            else:
                b *= self.momentum
                b += (1 - self.dampening) * g
            g = g + self.momentum * b if self.nesterov else b
        w -= self.lr * g
