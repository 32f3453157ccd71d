"""Activation functions, by name or as functions, composed from autograd_core's primitives.

Each takes a Tensor (or an array) and returns the same kind. The stable primitives do the
numerics: ``sigmoid`` splits by sign, ``softplus`` is log(1 + e^x) through logaddexp,
``softmax`` shifts by the max, so no activation overflows for large inputs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import autograd_core as ag

from .registry import lookup

Activation = Callable[..., Any]


def _constant_like(x: Any, value: np.ndarray) -> Any:
    """``value`` as the output of ``x``: connected to x's graph, with gradient exactly 0."""
    if not isinstance(x, ag.Tensor):
        return value
    # a where() that never picks x: the output is ``value``, and x receives where(False, g, 0),
    # a zero cotangent (0 * x would do too, but gives nan for infinite x)
    return ag.where(np.zeros(x.shape, dtype=bool), x, value)


def _float_data(x: Any) -> np.ndarray:
    while isinstance(x, ag.Dual):
        x = x.primal
    data = x.data if isinstance(x, ag.Tensor) else np.asarray(x)
    return data if data.dtype.kind == "f" else data.astype(np.float64)


def linear(x: Any) -> Any:
    """The identity."""
    return x


def step(x: Any) -> Any:
    """Heaviside step: 1 where x >= 0, else 0 (the perceptron's; gradient 0 everywhere).

    The true derivative is 0 almost everywhere and undefined at 0; the gradient is 0
    everywhere, so nothing trains through it by gradient descent (use the perceptron rule).
    """
    data = _float_data(x)
    return _constant_like(x, (data >= 0).astype(data.dtype))


def sign(x: Any) -> Any:
    """Sign: 1 where x > 0, -1 where x < 0, 0 at 0 (gradient 0 everywhere, as for ``step``)."""
    data = _float_data(x)
    return _constant_like(x, np.sign(data).astype(data.dtype))


def sigmoid(x: Any) -> Any:
    """1 / (1 + e^-x), computed without overflow."""
    return ag.sigmoid(x)


def tanh(x: Any) -> Any:
    """Hyperbolic tangent."""
    return ag.tanh(x)


def relu(x: Any) -> Any:
    """max(x, 0) (gradient 0 at x = 0)."""
    return ag.relu(x)


def leaky_relu(x: Any, alpha: float = 0.2) -> Any:
    """x where x > 0, else alpha * x (Keras's default slope 0.2)."""
    return ag.leaky_relu(x, alpha=alpha)


def elu(x: Any, alpha: float = 1.0) -> Any:
    """x where x > 0, else alpha * (e^x - 1)."""
    return ag.elu(x, alpha=alpha)


def softplus(x: Any) -> Any:
    """log(1 + e^x), computed without overflow."""
    return ag.softplus(x)


def softmax(x: Any, axis: int = -1) -> Any:
    """e^x / sum(e^x) along ``axis``, shifted by the max so exp cannot overflow."""
    return ag.softmax(x, axis=axis)


def gelu(x: Any, approximate: bool = False) -> Any:
    """x * Phi(x), Phi the standard normal CDF (Keras's tanh form with ``approximate``)."""
    return ag.gelu(x, approximate=approximate)


def silu(x: Any) -> Any:
    """x * sigmoid(x) (also called swish)."""
    return ag.silu(x)


swish = silu


def selu(x: Any) -> Any:
    """scale * elu(x, alpha) with Klambauer et al.'s self-normalising constants."""
    return ag.selu(x)


def softsign(x: Any) -> Any:
    """x / (1 + |x|)."""
    return ag.softsign(x)


def hard_sigmoid(x: Any) -> Any:
    """Keras 3's piecewise-linear sigmoid: clip(x / 6 + 1/2, 0, 1)."""
    return ag.hard_sigmoid(x)


ACTIVATIONS: dict[str, Activation] = {
    "linear": linear,
    "step": step,
    "sign": sign,
    "sigmoid": sigmoid,
    "tanh": tanh,
    "relu": relu,
    "leaky_relu": leaky_relu,
    "elu": elu,
    "softplus": softplus,
    "softmax": softmax,
    "gelu": gelu,
    "silu": silu,
    "swish": swish,
    "selu": selu,
    "softsign": softsign,
    "hard_sigmoid": hard_sigmoid,
}


_ONE_OP = frozenset(ACTIVATIONS.values())  # each is one primitive (or none): nothing to group


def applied(fn: Activation, x: Any, **kwargs: Any) -> Any:
    """``fn(x, **kwargs)``; an activation of the user's own, which may take several ops, is
    marked as one composite named after it, so that graphs draw it as one box."""
    out = fn(x, **kwargs)
    if fn in _ONE_OP or not isinstance(out, ag.Tensor):
        return out
    return ag.viz.mark_composite(out, (x,), activation_name(fn))


# activations that ``autograd_core.linear`` can fuse into the dense node, with the arguments
# that give this module's defaults (Keras's leaky_relu slope is 0.2, the engine's 0.01)
_FUSED: dict[Activation, dict[str, Any]] = {
    relu: {"activation": "relu"},
    sigmoid: {"activation": "sigmoid"},
    tanh: {"activation": "tanh"},
    elu: {"activation": "elu", "alpha": 1.0},
    leaky_relu: {"activation": "leaky_relu", "alpha": 0.2},
}


def fused_form(fn: Activation | None) -> dict[str, Any] | None:
    """The keywords of ``ag.linear`` that apply ``fn`` inside the dense node (one node, and no
    pre-activation kept for backward), or None when ``fn`` has no fused form."""
    return _FUSED.get(fn)


def get_activation(identifier: str | Activation | None) -> Activation:
    """An activation function from its name, a function (returned as is) or None (linear)."""
    if identifier is None:
        return linear
    return lookup("activation", ACTIVATIONS, identifier, accepts="a name, a function or None")


def activation_name(fn: Activation) -> str:
    """The registered name of an activation function, else its own name."""
    for name, f in ACTIVATIONS.items():
        if f is fn:
            return name
    return getattr(fn, "__name__", type(fn).__name__)
