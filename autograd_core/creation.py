"""Making tensors: ``tensor``, ``zeros``, ``ones``, the ``_like`` forms, ``randn``, ``rand``."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import ops
from .tensor import Tensor


def tensor(
    data: Any, requires_grad: bool = False, dtype: Any = None, name: str | None = None
) -> Tensor:
    """Make a leaf Tensor (same as ``Tensor(...)``)."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, name=name)


def _shape_arg(shape: tuple[Any, ...]) -> tuple[int, ...]:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(n) for n in shape)


def zeros(*shape: Any, dtype: Any = np.float64, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros: ``zeros(2, 3)`` or ``zeros((2, 3))``."""
    return Tensor(np.zeros(_shape_arg(shape), dtype=dtype), requires_grad=requires_grad)


def ones(*shape: Any, dtype: Any = np.float64, requires_grad: bool = False) -> Tensor:
    """A tensor of ones: ``ones(2, 3)`` or ``ones((2, 3))``."""
    return Tensor(np.ones(_shape_arg(shape), dtype=dtype), requires_grad=requires_grad)


def zeros_like(t: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros with the shape (and dtype, unless given) of ``t``."""
    return Tensor(np.zeros_like(ops._raw(t), dtype=dtype), requires_grad=requires_grad)


def ones_like(t: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones with the shape (and dtype, unless given) of ``t``."""
    return Tensor(np.ones_like(ops._raw(t), dtype=dtype), requires_grad=requires_grad)


def _random_args(name: str, shape: tuple[Any, ...], rng: Any, seed: Any
                 ) -> tuple[tuple[int, ...], np.random.Generator]:
    """The shape and generator of randn/rand: a Generator may also come last among the sizes."""
    if shape and isinstance(shape[-1], np.random.Generator):
        shape, rng = shape[:-1], shape[-1] if rng is None else rng
    if rng is not None and seed is not None:
        raise TypeError(f"{name}: give rng or seed, not both")
    rng = seed if rng is None else rng
    if not (rng is None or isinstance(rng, (np.random.Generator, int, np.integer))):
        raise TypeError(f"{name}: rng must be a np.random.Generator or an int seed, got {rng!r}")
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    return _shape_arg(shape), gen


def randn(
    *shape: Any,
    rng: np.random.Generator | int | None = None,
    seed: int | None = None,
    dtype: Any = np.float64,
    requires_grad: bool = False,
) -> Tensor:
    """Standard normal samples: ``randn(2, 3, rng=np.random.default_rng(0))`` or ``seed=0``."""
    shape, gen = _random_args("randn", shape, rng, seed)
    data = gen.standard_normal(shape).astype(dtype, copy=False)
    return Tensor(data, requires_grad=requires_grad)


def rand(
    *shape: Any,
    rng: np.random.Generator | int | None = None,
    seed: int | None = None,
    dtype: Any = np.float64,
    requires_grad: bool = False,
) -> Tensor:
    """Uniform samples on [0, 1): ``rand(2, 3, rng=np.random.default_rng(0))`` or ``seed=0``."""
    shape, gen = _random_args("rand", shape, rng, seed)
    data = gen.random(shape).astype(dtype, copy=False)
    return Tensor(data, requires_grad=requires_grad)
