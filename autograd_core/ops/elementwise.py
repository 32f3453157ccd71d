"""Elementwise primitives: arithmetic, functions and activations, with where and astype."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .core import LINEAR, _mask, _raw, primitive, weak_scalar

# ---- elementwise: arithmetic ----

add = primitive(
    "add", np.add,
    vjp=(lambda g, out, x, y: g,
         lambda g, out, x, y: g),
    jvp=(lambda dx, out, x, y: dx,
         lambda dy, out, x, y: dy),
)
subtract = primitive(
    "subtract", np.subtract,
    vjp=(lambda g, out, x, y: g,
         lambda g, out, x, y: -g),
    jvp=(lambda dx, out, x, y: dx,
         lambda dy, out, x, y: -dy),
)
multiply = primitive(
    "multiply", np.multiply,
    vjp=(lambda g, out, x, y: g * y,
         lambda g, out, x, y: g * x),
    jvp=(lambda dx, out, x, y: dx * y,
         lambda dy, out, x, y: x * dy),
)
divide = primitive(
    "divide", np.divide,
    vjp=(lambda g, out, x, y: g / y,
         lambda g, out, x, y: -g * out / y),
    jvp=(lambda dx, out, x, y: dx / y,
         lambda dy, out, x, y: -dy * x / (y * y)),
)
negative = primitive(
    "negative", np.negative,
    vjp=(lambda g, out, x: -g,),
    jvp=LINEAR,
)


def _log_base(x: Any) -> Any:
    # d(x**y)/dy = x**y log x; where x == 0 the product is taken as 0 (0**y is flat there)
    xr = _raw(x)
    return log(where(xr > 0, x, 1))


def _power_slope(x: Any, y: Any) -> Any:
    """d(x**y)/dx = y x**(y-1), taken as 0 where y == 0 (x**0 is flat, even at x = 0)."""
    yr = _raw(y)
    if (yr == 0).any():
        return where(yr == 0, 0, y * x ** where(yr == 0, 1, y - 1))
    return y * x ** (y - 1)


power = primitive(
    "power", np.power,
    vjp=(lambda g, out, x, y: g * _power_slope(x, y),
         lambda g, out, x, y: g * out * _log_base(x)),
    jvp=(lambda dx, out, x, y: dx * _power_slope(x, y),
         lambda dy, out, x, y: dy * _log_base(x) * out),
)


def _pick(x: Any, y: Any, out: Any, first: bool) -> np.ndarray:
    """Weight of ``x`` (first) or ``y`` in maximum/minimum: 1 if chosen, 1/2 on a tie."""
    xr, yr, o = _raw(x), _raw(y), _raw(out)
    mine, other = (xr, yr) if first else (yr, xr)
    return _mask((mine == o) * np.where(other == o, 0.5, 1.0), out)


# maximum and minimum share their rules: the cotangent goes to whichever input out came from
_selection_vjp = (lambda g, out, x, y: g * _pick(x, y, out, True),
                  lambda g, out, x, y: g * _pick(x, y, out, False))
_selection_jvp = (lambda dx, out, x, y: dx * _pick(x, y, out, True),
                  lambda dy, out, x, y: dy * _pick(x, y, out, False))
maximum = primitive("maximum", np.maximum, vjp=_selection_vjp, jvp=_selection_jvp)
minimum = primitive("minimum", np.minimum, vjp=_selection_vjp, jvp=_selection_jvp)


# ---- elementwise: functions ----

exp = primitive(
    "exp", np.exp,
    vjp=(lambda g, out, x: g * out,),
    jvp=(lambda dx, out, x: dx * out,),
)
log = primitive(
    "log", np.log,
    vjp=(lambda g, out, x: g / x,),
    jvp=(lambda dx, out, x: dx / x,),
)
log1p = primitive(
    "log1p", np.log1p,
    vjp=(lambda g, out, x: g / (1 + x),),
    jvp=(lambda dx, out, x: dx / (1 + x),),
)
sqrt = primitive(
    "sqrt", np.sqrt,
    vjp=(lambda g, out, x: g / (2 * out),),
    jvp=(lambda dx, out, x: dx * 0.5 / out,),
)
abs = primitive(  # noqa: A001 - NumPy's name, shadowed on purpose inside the op table
    "abs", np.abs,
    vjp=(lambda g, out, x: g * np.sign(_raw(x)),),
    jvp=(lambda dx, out, x: np.sign(_raw(x)) * dx,),
)
sin = primitive(
    "sin", np.sin,
    vjp=(lambda g, out, x: g * cos(x),),
    jvp=(lambda dx, out, x: cos(x) * dx,),
)
cos = primitive(
    "cos", np.cos,
    vjp=(lambda g, out, x: -g * sin(x),),
    jvp=(lambda dx, out, x: -sin(x) * dx,),
)
tanh = primitive(
    "tanh", np.tanh,
    vjp=(lambda g, out, x: g * (1 - out * out),),
    jvp=(lambda dx, out, x: dx - dx * out * out,),
)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    # sigmoid(x) = (1 + tanh(x / 2)) / 2 exactly: tanh cannot overflow or underflow, so no
    # errstate (which costs microseconds) and one ufunc pass plus two in place, 3x faster than
    # exp-and-divide split by sign. The absolute error is below one ulp of 1; far in the
    # negative tail (x < -37 in float64, -17 in float32) it gives 0 instead of e^x
    t = np.tanh(np.multiply(x, 0.5))
    if type(t) is not np.ndarray:  # a 0-d input gives a NumPy scalar
        return np.asarray(t * 0.5 + 0.5)
    t *= 0.5
    t += 0.5
    return t


sigmoid = primitive(
    "sigmoid", _sigmoid,
    vjp=(lambda g, out, x: g * out * (1 - out),),
    jvp=(lambda dx, out, x: dx * (out - out * out),),
)
softplus = primitive(
    "softplus", lambda x: np.logaddexp(0, x),  # log(1 + e^x) without overflow
    vjp=(lambda g, out, x: g * sigmoid(x),),
    jvp=(lambda dx, out, x: sigmoid(x) * dx,),
)
relu = primitive(
    "relu", lambda x: np.maximum(x, 0),
    # a boolean mask multiplies without upcasting and without a float copy of the mask
    vjp=(lambda g, out, x: g * (_raw(x) > 0),),
    jvp=(lambda dx, out, x: (_raw(x) > 0) * dx,),
)


def _leaky_slope(x: Any, out: Any, alpha: float) -> np.ndarray:
    return _mask(np.where(_raw(x) > 0, 1.0, alpha), out)


leaky_relu = primitive(
    "leaky_relu", lambda x, alpha=0.01: np.where(x > 0, x, x * alpha),
    vjp=(lambda g, out, x, alpha=0.01: g * _leaky_slope(x, out, alpha),),
    jvp=(lambda dx, out, x, alpha=0.01: _leaky_slope(x, out, alpha) * dx,),
)


def _elu(x: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    # expm1 only of the non-positive part, so large x cannot overflow
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


elu = primitive(
    "elu", _elu,
    # below 0, d/dx alpha*(e^x - 1) = alpha*e^x = out + alpha
    vjp=(lambda g, out, x, alpha=1.0: where(_raw(x) > 0, g, g * (out + alpha)),),
    jvp=(lambda dx, out, x, alpha=1.0: where(_raw(x) > 0, dx, (out + alpha) * dx),),
)


def _inside(x: Any, out: Any, a_min: Any, a_max: Any) -> np.ndarray:
    xr = _raw(x)
    keep = np.ones(xr.shape, dtype=bool)
    if a_min is not None:
        keep &= xr >= _raw(a_min)
    if a_max is not None:
        keep &= xr <= _raw(a_max)
    return _mask(keep, out)


clip_p = primitive(
    "clip", lambda x, a_min=None, a_max=None: np.clip(x, a_min, a_max),
    vjp=(lambda g, out, x, a_min=None, a_max=None: g * _inside(x, out, a_min, a_max),),
    jvp=(lambda dx, out, x, a_min=None, a_max=None: _inside(x, out, a_min, a_max) * dx,),
)
where_p = primitive(
    "where", lambda x, y, condition: np.where(condition, x, y),
    vjp=(lambda g, out, x, y, condition: where(condition, g, 0),
         lambda g, out, x, y, condition: where(condition, 0, g)),
    jvp=(lambda dx, out, x, y, condition: where(condition, dx, 0),
         lambda dy, out, x, y, condition: where(condition, 0, dy)),
)
astype = primitive(
    "astype", lambda x, dtype: np.asarray(x).astype(dtype),
    vjp=(lambda g, out, x, dtype: g.astype(_raw(x).dtype),),
    jvp=LINEAR,
)


# ---- composites ----


def clip(x: Any, a_min: Any = None, a_max: Any = None) -> Any:
    """``x`` limited to [a_min, a_max]; either bound may be None (no limit on that side)."""
    if a_min is None and a_max is None:
        raise ValueError("clip: give a_min, a_max or both (None means no limit on that side)")
    like = np.result_type(_raw(x))
    return clip_p(x, a_min=_bound(a_min, like), a_max=_bound(a_max, like))


def _bound(b: Any, like: np.dtype) -> Any:
    """A bound as a NumPy value (no gradient): a scalar takes x's float dtype, as a Python
    number would; an array of bounds keeps its own dtype."""
    if b is None:
        return None
    raw = _raw(b)
    weak = weak_scalar(raw, like)
    return raw if weak is None else weak


def where(condition: Any, x: Any, y: Any) -> Any:
    """Elementwise ``x`` where ``condition`` holds, else ``y`` (no gradient to condition)."""
    return where_p(x, y, condition=_raw(condition).astype(bool))


# ---- elementwise: more functions (issue 13) ----

tan = primitive(
    "tan", np.tan,
    vjp=(lambda g, out, x: g * (1 + out * out),),
    jvp=(lambda dx, out, x: dx * (1 + out * out),),
)
arcsin = primitive(
    "arcsin", np.arcsin,
    vjp=(lambda g, out, x: g / sqrt(1 - x * x),),
    jvp=(lambda dx, out, x: dx / sqrt(1 - x * x),),
)
arccos = primitive(
    "arccos", np.arccos,
    vjp=(lambda g, out, x: -g / sqrt(1 - x * x),),
    jvp=(lambda dx, out, x: -dx / sqrt(1 - x * x),),
)
arctan = primitive(
    "arctan", np.arctan,
    vjp=(lambda g, out, x: g / (1 + x * x),),
    jvp=(lambda dx, out, x: dx / (1 + x * x),),
)
sinh = primitive(
    "sinh", np.sinh,
    vjp=(lambda g, out, x: g * cosh(x),),
    jvp=(lambda dx, out, x: cosh(x) * dx,),
)
cosh = primitive(
    "cosh", np.cosh,
    vjp=(lambda g, out, x: g * sinh(x),),
    jvp=(lambda dx, out, x: sinh(x) * dx,),
)
square = primitive(
    "square", np.square,
    vjp=(lambda g, out, x: g * (2 * x),),
    jvp=(lambda dx, out, x: (2 * x) * dx,),
)
reciprocal = primitive(
    "reciprocal", lambda x: 1 / np.asarray(x),  # np.reciprocal truncates integers to 0
    vjp=(lambda g, out, x: -g * out * out,),
    jvp=(lambda dx, out, x: -dx * out * out,),
)
log2 = primitive(
    "log2", np.log2,
    vjp=(lambda g, out, x: g / (x * math.log(2)),),
    jvp=(lambda dx, out, x: dx / (x * math.log(2)),),
)
log10 = primitive(
    "log10", np.log10,
    vjp=(lambda g, out, x: g / (x * math.log(10)),),
    jvp=(lambda dx, out, x: dx / (x * math.log(10)),),
)


def _erf(x: Any) -> np.ndarray:
    x = np.asarray(x)
    if _scipy_erf is not None:
        return np.asarray(_scipy_erf(x))
    # without SciPy: the standard library's erf, one element at a time (correct, slower)
    dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)
    return np.asarray(_math_erf(x), dtype=dtype)


try:  # SciPy's vectorised erf when it is installed; never a dependency
    from scipy.special import erf as _scipy_erf
except ImportError:  # pragma: no cover - depends on the environment
    _scipy_erf = None
_math_erf = np.frompyfunc(math.erf, 1, 1)

erf = primitive(
    "erf", _erf,
    # d erf(x)/dx = 2/sqrt(pi) exp(-x^2)
    vjp=(lambda g, out, x: g * (2 / math.sqrt(math.pi)) * exp(-(x * x)),),
    jvp=(lambda dx, out, x: (2 / math.sqrt(math.pi)) * exp(-(x * x)) * dx,),
)


def _zero_like_input(t: Any, out: Any, x: Any, **params: Any) -> np.ndarray:
    """The derivative of a piecewise-constant function: zero, in the input's float dtype."""
    return np.zeros(np.shape(_raw(x)), dtype=_mask(0, out).dtype)


# piecewise constant: the derivative is zero wherever it exists (off the jumps)
sign = primitive("sign", np.sign, vjp=(_zero_like_input,), jvp=(_zero_like_input,))
floor = primitive("floor", np.floor, vjp=(_zero_like_input,), jvp=(_zero_like_input,))
ceil = primitive("ceil", np.ceil, vjp=(_zero_like_input,), jvp=(_zero_like_input,))
round_p = primitive(
    "round", lambda x, decimals=0: np.round(x, decimals),
    vjp=(_zero_like_input,), jvp=(_zero_like_input,),
)


def round(x: Any, decimals: int = 0) -> Any:  # noqa: A001 - NumPy's name
    """Round half to even to ``decimals`` places, as NumPy does (zero gradient)."""
    return round_p(x, decimals=int(decimals))
