"""Activation primitives with Keras's definitions and defaults: gelu, silu (swish), selu,
softsign and hard_sigmoid. (relu, sigmoid, softplus, leaky_relu and elu live in
elementwise.py, where they were first written.)"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .core import _mask, _raw, primitive
from .elementwise import _elu, _erf, _sigmoid, abs, erf, exp, sigmoid, tanh, where

# ---- activations (issue 13) ----

_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_GELU_CUBIC = 0.044715


def _gelu(x: np.ndarray, approximate: bool = False) -> np.ndarray:
    x = np.asarray(x)
    if approximate:
        return 0.5 * x * (1 + np.tanh(_SQRT_2_OVER_PI * (x + _GELU_CUBIC * x**3)))
    return 0.5 * x * (1 + _erf(x / math.sqrt(2)).astype(x.dtype, copy=False))


def _gelu_slope(x: Any, approximate: bool) -> Any:
    if approximate:
        t = tanh(_SQRT_2_OVER_PI * (x + _GELU_CUBIC * x * x * x))
        inner = _SQRT_2_OVER_PI * (1 + 3 * _GELU_CUBIC * x * x)
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * inner
    # Phi(x) + x phi(x): the normal CDF and density
    return 0.5 * (1 + erf(x / math.sqrt(2))) + x * exp(-0.5 * x * x) / math.sqrt(2 * math.pi)


gelu_p = primitive(
    "gelu", _gelu,
    vjp=(lambda g, out, x, approximate=False: g * _gelu_slope(x, approximate),),
    jvp=(lambda dx, out, x, approximate=False: _gelu_slope(x, approximate) * dx,),
)


def _silu_slope(x: Any) -> Any:
    s = sigmoid(x)
    return s * (1 + x * (1 - s))


silu = primitive(
    "silu", lambda x: x * _sigmoid(np.asarray(x)),
    vjp=(lambda g, out, x: g * _silu_slope(x),),
    jvp=(lambda dx, out, x: _silu_slope(x) * dx,),
)
swish = silu  # Keras's other name for it

# the constants of Klambauer et al. (2017), as Keras writes them
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946

selu = primitive(
    "selu", lambda x: SELU_SCALE * _elu(np.asarray(x), SELU_ALPHA),
    # below 0, d/dx scale*alpha*(e^x - 1) = scale*alpha*e^x = out + scale*alpha
    vjp=(lambda g, out, x: where(_raw(x) > 0, g * SELU_SCALE,
                                 g * (out + SELU_SCALE * SELU_ALPHA)),),
    jvp=(lambda dx, out, x: where(_raw(x) > 0, SELU_SCALE * dx,
                                  (out + SELU_SCALE * SELU_ALPHA) * dx),),
)


def _softsign_slope(x: Any) -> Any:
    d = 1 + abs(x)
    return 1 / (d * d)


softsign = primitive(
    "softsign", lambda x: x / (1 + np.abs(x)),
    vjp=(lambda g, out, x: g * _softsign_slope(x),),
    jvp=(lambda dx, out, x: _softsign_slope(x) * dx,),
)


def _hard_sigmoid_slope(x: Any, out: Any) -> np.ndarray:
    xr = _raw(x)
    return _mask((xr > -3) & (xr < 3), out) / 6


# Keras 3: relu6(x + 3) / 6, linear with slope 1/6 on (-3, 3), 0 and 1 outside
hard_sigmoid = primitive(
    "hard_sigmoid", lambda x: np.clip(np.asarray(x) / 6 + 0.5, 0, 1),
    vjp=(lambda g, out, x: g * _hard_sigmoid_slope(x, out),),
    jvp=(lambda dx, out, x: _hard_sigmoid_slope(x, out) * dx,),
)


# ---- composites ----


def gelu(x: Any, approximate: bool = False) -> Any:
    """Gaussian error linear unit: x Phi(x) (erf), or Keras's tanh form if ``approximate``."""
    return gelu_p(x, approximate=bool(approximate))
