"""The Adam family, PyTorch's forms: Adam (and AMSGrad), AdamW, Nadam, Adamax.

Each takes PyTorch's ``betas=(b1, b2)`` and ``eps`` or Keras's ``beta_1``, ``beta_2`` and
``epsilon``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

import autograd_core as ag

from .base import Optimizer, _check_nonneg, betas_of, decay_of, lr_of, one_of, zeros_state


class _AdamBase(Optimizer):
    """Arguments shared by the family: lr, betas, eps, weight_decay."""

    _lr_default = 1e-3
    _weight_decay_default = 0.0

    def __init__(
        self,
        params: Iterable[ag.Tensor] | float | None = None,
        lr: float | None = None,
        betas: tuple[float, float] | None = None,
        eps: float | None = None,
        weight_decay: float | None = None,
        *,
        learning_rate: float | None = None,
        beta_1: float | None = None,
        beta_2: float | None = None,
        epsilon: float | None = None,
        **common: Any,
    ) -> None:
        name = type(self).__name__
        params, lr = lr_of(name, params, lr, learning_rate, self._lr_default)
        self.betas = betas_of(name, betas, beta_1, beta_2, (0.9, 0.999))
        self.eps = _check_nonneg(name, "epsilon (eps)",
                                 one_of(name, "eps", eps, "epsilon", epsilon, 1e-8))
        self.weight_decay = decay_of(name, weight_decay, self._weight_decay_default)
        super().__init__(params, lr, **common)

    def hyperparameters(self) -> dict[str, Any]:
        return {"beta_1": self.betas[0], "beta_2": self.betas[1], "epsilon": self.eps,
                "weight_decay": self.weight_decay}


class Adam(_AdamBase):
    """Adam (Kingma & Ba), PyTorch's form; ``amsgrad=True`` is AMSGrad (Reddi et al.).

        g <- g + weight_decay * w                      (if weight_decay: L2, not AdamW)
        m <- beta1 * m + (1 - beta1) * g               (m, v start at 0)
        v <- beta2 * v + (1 - beta2) * g^2
        amsgrad:  v_max <- max(v_max, v), used in place of v below
        m^ = m / (1 - beta1^t),  v^ = v / (1 - beta2^t)
        w <- w - lr * m^ / (sqrt(v^) + eps)

    Keras adds its epsilon to sqrt(v) before the bias correction instead; with a small
    epsilon the steps differ by a few parts in 1e8.
    """

    def __init__(
        self,
        params: Iterable[ag.Tensor] | float | None = None,
        lr: float | None = None,
        betas: tuple[float, float] | None = None,
        eps: float | None = None,
        weight_decay: float | None = None,
        amsgrad: bool = False,
        *,
        learning_rate: float | None = None,
        beta_1: float | None = None,
        beta_2: float | None = None,
        epsilon: float | None = None,
        **common: Any,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, learning_rate=learning_rate,
                         beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, **common)
        self.amsgrad = bool(amsgrad)

    def hyperparameters(self) -> dict[str, Any]:
        return {**super().hyperparameters(), "amsgrad": self.amsgrad}

    def _decay(self, w: np.ndarray, g: np.ndarray) -> np.ndarray:
        return g + self.weight_decay * w if self.weight_decay else g

    def update_step(self, w: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        g = self._decay(w, g)
        beta1, beta2 = self.betas
        t = state["step"]
        m = zeros_state(state, "exp_avg", w)
        v = zeros_state(state, "exp_avg_sq", w)
        m *= beta1
        m += (1 - beta1) * g
        v *= beta2
        v += (1 - beta2) * g * g
        if self.amsgrad:
            v_max = zeros_state(state, "max_exp_avg_sq", w)
            np.maximum(v_max, v, out=v_max)
            v = v_max
        # sqrt(v^) + eps with v^ = v / (1 - beta2^t); lr / (1 - beta1^t) folds in m^
        denom = np.sqrt(v)
        denom /= math.sqrt(1 - beta2**t)
        denom += self.eps
        w -= (self.lr / (1 - beta1**t)) * (m / denom)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter), PyTorch's form.

        w <- w - lr * weight_decay * w                 (before the Adam step; default 0.01)
        then Adam's update (with ``amsgrad`` if set) without any L2 term in g

    The default ``weight_decay`` is PyTorch's 0.01 (Keras's is 0.004).
    """

    _weight_decay_default = 1e-2

    def _decay(self, w: np.ndarray, g: np.ndarray) -> np.ndarray:
        if self.weight_decay:
            w *= 1 - self.lr * self.weight_decay
        return g


class Nadam(_AdamBase):
    """Adam with Nesterov momentum (Dozat), PyTorch's ``NAdam`` form and defaults.

        g <- g + weight_decay * w      (or w <- w - lr * weight_decay * w if decoupled)
        mu_t = beta1 * (1 - 0.5 * 0.96^(t * momentum_decay)),  P_t = mu_1 * ... * mu_t
        m <- beta1 * m + (1 - beta1) * g,   v <- beta2 * v + (1 - beta2) * g^2
        d = sqrt(v / (1 - beta2^t)) + eps
        w <- w - lr * (1 - mu_t) / (1 - P_t) * g / d - lr * mu_{t+1} / (1 - P_t mu_{t+1}) * m / d

    This is PyTorch's momentum schedule; Keras's Nadam uses the same mu_t but folds it into
    its bias corrections differently and adds epsilon to sqrt(v^) too, so the steps differ
    slightly.
    """

    _lr_default = 2e-3
    scalar_state = ("step", "mu_product")

    def __init__(
        self,
        params: Iterable[ag.Tensor] | float | None = None,
        lr: float | None = None,
        betas: tuple[float, float] | None = None,
        eps: float | None = None,
        weight_decay: float | None = None,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        learning_rate: float | None = None,
        beta_1: float | None = None,
        beta_2: float | None = None,
        epsilon: float | None = None,
        **common: Any,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, learning_rate=learning_rate,
                         beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, **common)
        self.momentum_decay = _check_nonneg("Nadam", "momentum_decay", momentum_decay)
        self.decoupled_weight_decay = bool(decoupled_weight_decay)

    def hyperparameters(self) -> dict[str, Any]:
        return {**super().hyperparameters(), "momentum_decay": self.momentum_decay,
                "decoupled_weight_decay": self.decoupled_weight_decay}

    def update_step(self, w: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        beta1, beta2 = self.betas
        t = state["step"]
        if self.weight_decay:
            if self.decoupled_weight_decay:
                w *= 1 - self.lr * self.weight_decay
            else:
                g = g + self.weight_decay * w
        mu = beta1 * (1 - 0.5 * 0.96 ** (t * self.momentum_decay))
        mu_next = beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * self.momentum_decay))
        mu_product = state["mu_product"] = state.get("mu_product", 1.0) * mu
        m = zeros_state(state, "exp_avg", w)
        v = zeros_state(state, "exp_avg_sq", w)
        m *= beta1
        m += (1 - beta1) * g
        v *= beta2
        v += (1 - beta2) * g * g
        denom = np.sqrt(v / (1 - beta2**t))
        denom += self.eps
        w -= (self.lr * (1 - mu) / (1 - mu_product)) * (g / denom)
        w -= (self.lr * mu_next / (1 - mu_product * mu_next)) * (m / denom)


class Adamax(_AdamBase):
    """Adamax, Adam with the infinity norm (Kingma & Ba, section 7), PyTorch's form.

        g <- g + weight_decay * w                      (if weight_decay)
        m <- beta1 * m + (1 - beta1) * g               (m, u start at 0)
        u <- max(beta2 * u, |g| + eps)
        w <- w - lr / (1 - beta1^t) * m / u

    Keras's Adamax keeps u = max(beta2 * u, |g|) and divides by u + epsilon instead.
    """

    _lr_default = 2e-3

    def update_step(self, w: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        beta1, beta2 = self.betas
        if self.weight_decay:
            g = g + self.weight_decay * w
        m = zeros_state(state, "exp_avg", w)
        u = zeros_state(state, "exp_inf", w)
        m *= beta1
        m += (1 - beta1) * g
        u *= beta2
        np.maximum(u, np.abs(g) + self.eps, out=u)
        w -= (self.lr / (1 - beta1 ** state["step"])) * (m / u)
