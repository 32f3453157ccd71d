"""Gradient clipping: the functions, and the helpers the optimizers' clip arguments share."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

import autograd_core as ag

# ---- gradient clipping ----


def _grad_array(p: ag.Tensor) -> np.ndarray | None:
    g = p.grad
    if g is None:
        return None
    return g.data if isinstance(g, ag.Tensor) else np.asarray(g)


def clip_grad_norm(params: Iterable[ag.Tensor], max_norm: float, norm_type: float = 2.0
                   ) -> float:
    """Scale all gradients together so that their global norm is at most ``max_norm``.

    Returns the norm before clipping. Gradients are replaced by new arrays, not edited in place.
    """
    if max_norm <= 0:
        raise ValueError(f"clip_grad_norm: max_norm must be > 0, got {max_norm}")
    params = [p for p in params if p.grad is not None]
    grads = [_grad_array(p) for p in params]
    if not grads:
        return 0.0
    if norm_type == math.inf:
        total = max(float(np.max(np.abs(g))) if g.size else 0.0 for g in grads)
    else:
        total = float(sum(np.sum(np.abs(g.astype(np.float64)) ** norm_type) for g in grads))
        total = total ** (1.0 / norm_type)
    if total > max_norm:
        scale = max_norm / (total + 1e-6)  # PyTorch's 1e-6 keeps the clipped norm just below
        for p, g in zip(params, grads):
            p.grad = (g * scale).astype(g.dtype, copy=False)
    return total


def clip_grad_value(params: Iterable[ag.Tensor], clip: float) -> None:
    """Clip every gradient element into [-clip, clip] (new arrays, not in place)."""
    if clip <= 0:
        raise ValueError(f"clip_grad_value: clip must be > 0, got {clip}")
    for p in params:
        g = _grad_array(p)
        if g is not None:
            p.grad = np.clip(g, -clip, clip)



def _scaled_to_norm(g: np.ndarray, max_norm: float) -> np.ndarray:
    norm = float(np.sqrt(np.sum(np.square(g, dtype=np.float64))))
    if norm <= max_norm:
        return g
    return (g * (max_norm / norm)).astype(g.dtype, copy=False)
