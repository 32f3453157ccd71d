"""Linear algebra primitives: matmul and the fused dense layer."""

from __future__ import annotations

from typing import Any

import numpy as np

from .core import primitive

# ---- linear algebra ----


def _matmul(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim == 0 or y.ndim == 0:
        raise ValueError(f"shapes {x.shape} and {y.shape}: matmul needs at least 1-d inputs")
    k1, k2 = x.shape[-1], y.shape[-2] if y.ndim > 1 else y.shape[0]
    if k1 != k2:
        raise ValueError(f"shapes {x.shape} and {y.shape} are not aligned ({k1} != {k2})")
    return np.matmul(x, y)


def _matmul_vjp_x(g: Any, out: Any, x: Any, y: Any) -> Any:
    if y.ndim == 1:  # out[..., i] = sum_k x[..., i, k] y[k]
        return g[..., None] * y
    if x.ndim == 1:  # out[..., j] = sum_k x[k] y[..., k, j]
        return (y @ g[..., None])[..., 0]
    return g @ y.swapaxes(-1, -2)


def _matmul_vjp_y(g: Any, out: Any, x: Any, y: Any) -> Any:
    if y.ndim == 1:  # the sum over x's rows and batch: one matmul, no broadcast product
        if x.ndim == 1:
            return g * x
        return (g[..., None] * x).reshape(-1, x.shape[-1]).sum(0) if x.ndim > 2 else g @ x
    if x.ndim == 1:
        return x[:, None] * g[..., None, :]
    return x.swapaxes(-1, -2) @ g


matmul = primitive(
    "matmul", _matmul,
    vjp=(_matmul_vjp_x, _matmul_vjp_y),
    jvp=(lambda dx, out, x, y: dx @ y,
         lambda dy, out, x, y: x @ dy),
)




def _linear(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    if np.ndim(w) != 2 or np.shape(x)[-1:] != np.shape(w)[:1]:
        raise ValueError(
            f"x of shape {np.shape(x)} and weight of shape {np.shape(w)} do not fit: "
            "expected x (..., n) and weight (n, m)"
        )
    out = np.matmul(x, w)
    out += b  # in place: the fused layer skips one temporary
    return out


def _linear_vjp_w(g: Any, out: Any, x: Any, w: Any, b: Any) -> Any:
    if x.ndim == 2:
        return x.T @ g
    # every leading axis of x is a sample: fold them into one matmul
    return x.reshape(-1, w.shape[0]).T @ g.reshape(-1, w.shape[1])


# the dense layer fused into one node: x @ w + b, with x (..., n), w (n, m) and b (m,)
linear_p = primitive(
    "linear", _linear,
    vjp=(lambda g, out, x, w, b: g @ w.T,
         _linear_vjp_w,
         lambda g, out, x, w, b: g),
    jvp=(lambda dx, out, x, w, b: dx @ w,
         lambda dw, out, x, w, b: x @ dw,
         lambda db, out, x, w, b: db),
)


# ---- composites ----


def linear(x: Any, w: Any, b: Any = None) -> Any:
    """The dense layer ``x @ w + b`` as one node (``b`` optional)."""
    if b is None:
        return matmul(x, w)
    return linear_p(x, w, b)
