"""Per-coordinate step sizes from running gradient statistics: RMSprop, Adagrad, Adadelta."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

import autograd_core as ag

from .base import Optimizer, _check_beta, _check_nonneg, decay_of, lr_of, one_of, zeros_state


class RMSprop(Optimizer):
    """RMSprop (PyTorch's form: eps added after the square root).

        g <- g + weight_decay * w                      (if weight_decay)
        v <- alpha * v + (1 - alpha) * g^2             (v starts at 0)
        centered:  a <- alpha * a + (1 - alpha) * g;  v~ = v - a^2,  else v~ = v
        momentum:  b <- momentum * b + g / (sqrt(v~) + eps);  w <- w - lr * b
        otherwise: w <- w - lr * g / (sqrt(v~) + eps)

    Keras calls ``alpha`` ``rho`` and ``eps`` ``epsilon``; either spelling works.
    """

    def __init__(
        self,
        params: Iterable[ag.Tensor] | float | None = None,
        lr: float | None = None,
        alpha: float | None = None,
        eps: float | None = None,
        weight_decay: float | None = None,
        momentum: float = 0.0,
        centered: bool = False,
        *,
        learning_rate: float | None = None,
        rho: float | None = None,
        epsilon: float | None = None,
        **common: Any,
    ) -> None:
        params, lr = lr_of("RMSprop", params, lr, learning_rate, 0.01)
        self.alpha = _check_beta("RMSprop", "rho (alpha)",
                                 one_of("RMSprop", "alpha", alpha, "rho", rho, 0.99))
        self.eps = _check_nonneg("RMSprop", "epsilon (eps)",
                                 one_of("RMSprop", "eps", eps, "epsilon", epsilon, 1e-8))
        self.momentum = _check_nonneg("RMSprop", "momentum", momentum)
        self.centered = bool(centered)
        self.weight_decay = decay_of("RMSprop", weight_decay)
        super().__init__(params, lr, **common)

    def hyperparameters(self) -> dict[str, Any]:
        return {"rho": self.alpha, "momentum": self.momentum, "epsilon": self.eps,
                "centered": self.centered, "weight_decay": self.weight_decay}

    def update_step(self, w: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        if self.weight_decay:
            g = g + self.weight_decay * w
        v = zeros_state(state, "square_avg", w)
        v *= self.alpha
        v += (1 - self.alpha) * g * g
        if self.centered:
            a = zeros_state(state, "grad_avg", w)
            a *= self.alpha
            a += (1 - self.alpha) * g
            denom = np.sqrt(v - a * a)
        else:
            denom = np.sqrt(v)
        denom += self.eps
        if self.momentum:
            b = zeros_state(state, "momentum_buffer", w)
            b *= self.momentum
            b += g / denom
            w -= self.lr * b
        else:
            w -= self.lr * (g / denom)


class Adagrad(Optimizer):
    """Adagrad (Duchi et al.), PyTorch's form.

        lr~ = lr / (1 + (t - 1) * lr_decay)
        g <- g + weight_decay * w                      (if weight_decay)
        s <- s + g^2                                   (s starts at initial_accumulator_value)
        w <- w - lr~ * g / (sqrt(s) + eps)
    """

    def __init__(
        self,
        params: Iterable[ag.Tensor] | float | None = None,
        lr: float | None = None,
        lr_decay: float = 0.0,
        weight_decay: float | None = None,
        initial_accumulator_value: float = 0.0,
        eps: float | None = None,
        *,
        learning_rate: float | None = None,
        epsilon: float | None = None,
        **common: Any,
    ) -> None:
        params, lr = lr_of("Adagrad", params, lr, learning_rate, 0.01)
        self.lr_decay = _check_nonneg("Adagrad", "lr_decay", lr_decay)
        self.weight_decay = decay_of("Adagrad", weight_decay)
        self.initial_accumulator_value = _check_nonneg(
            "Adagrad", "initial_accumulator_value", initial_accumulator_value)
        self.eps = _check_nonneg("Adagrad", "epsilon (eps)",
                                 one_of("Adagrad", "eps", eps, "epsilon", epsilon, 1e-10))
        super().__init__(params, lr, **common)

    def hyperparameters(self) -> dict[str, Any]:
        return {"initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.eps, "lr_decay": self.lr_decay,
                "weight_decay": self.weight_decay}

    def update_step(self, w: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        clr = self.lr / (1 + (state["step"] - 1) * self.lr_decay)
        if self.weight_decay:
            g = g + self.weight_decay * w
        s = state.get("sum")
        if s is None:
            s = state["sum"] = np.full_like(w, self.initial_accumulator_value)
        s += g * g
        w -= clr * (g / (np.sqrt(s) + self.eps))


class Adadelta(Optimizer):
    """Adadelta (Zeiler), PyTorch's form; Keras's is the same rule.

        g <- g + weight_decay * w                      (if weight_decay)
        v <- rho * v + (1 - rho) * g^2                 (v, u start at 0)
        d = sqrt(u + eps) / sqrt(v + eps) * g
        u <- rho * u + (1 - rho) * d^2
        w <- w - lr * d
    """

    def __init__(
        self,
        params: Iterable[ag.Tensor] | float | None = None,
        lr: float | None = None,
        rho: float = 0.9,
        eps: float | None = None,
        weight_decay: float | None = None,
        *,
        learning_rate: float | None = None,
        epsilon: float | None = None,
        **common: Any,
    ) -> None:
        params, lr = lr_of("Adadelta", params, lr, learning_rate, 1.0)
        self.rho = _check_beta("Adadelta", "rho", rho)
        self.eps = _check_nonneg("Adadelta", "epsilon (eps)",
                                 one_of("Adadelta", "eps", eps, "epsilon", epsilon, 1e-6))
        self.weight_decay = decay_of("Adadelta", weight_decay)
        super().__init__(params, lr, **common)

    def hyperparameters(self) -> dict[str, Any]:
        return {"rho": self.rho, "epsilon": self.eps, "weight_decay": self.weight_decay}

    def update_step(self, w: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        if self.weight_decay:
            g = g + self.weight_decay * w
        v = zeros_state(state, "square_avg", w)
        u = zeros_state(state, "acc_delta", w)
        v *= self.rho
        v += (1 - self.rho) * g * g
        d = np.sqrt(u + self.eps)
        d /= np.sqrt(v + self.eps)
        d *= g
        u *= self.rho
        u += (1 - self.rho) * d * d
        w -= self.lr * d
