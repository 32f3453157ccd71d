"""Weight penalties for ``kernel_regularizer`` / ``bias_regularizer``, with Keras's formulas.

``L2(0.001)`` adds ``0.001 * sum(w**2)`` (no factor 1/2), ``L1(0.01)`` adds
``0.01 * sum(|w|)``. ``model.regularization_loss()`` adds up every layer's penalties; add it
to the data loss before ``backward()``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import autograd_core as ag

from .registry import lookup


class Regularizer:
    """A penalty on one weight tensor: ``regularizer(w) -> 0-d Tensor``."""

    def __call__(self, w: Any) -> Any:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        """The arguments that rebuild this regularizer (Keras's ``get_config``)."""
        return dict(vars(self))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({args})"


def _check(name: str, value: float) -> float:
    if not value >= 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return float(value)


class L1(Regularizer):
    """l1 * sum(|w|)."""

    def __init__(self, l1: float = 0.01) -> None:
        self.l1 = _check("L1: l1", l1)

    def __call__(self, w: Any) -> Any:
        return ag.abs(w).sum() * self.l1


class L2(Regularizer):
    """l2 * sum(w**2)."""

    def __init__(self, l2: float = 0.01) -> None:
        self.l2 = _check("L2: l2", l2)

    def __call__(self, w: Any) -> Any:
        return (w * w).sum() * self.l2


class L1L2(Regularizer):
    """l1 * sum(|w|) + l2 * sum(w**2)."""

    def __init__(self, l1: float = 0.0, l2: float = 0.0) -> None:
        self.l1 = _check("L1L2: l1", l1)
        self.l2 = _check("L1L2: l2", l2)

    def __call__(self, w: Any) -> Any:
        return ag.abs(w).sum() * self.l1 + (w * w).sum() * self.l2


REGULARIZERS: dict[str, type[Regularizer]] = {"l1": L1, "l2": L2, "l1_l2": L1L2, "l1l2": L1L2}


def get_regularizer(
    identifier: str | Regularizer | Callable[[Any], Any] | None,
) -> Callable[[Any], Any] | None:
    """A regularizer from its name (Keras's default strength), Keras's dict form, an instance,
    a callable or None."""
    if identifier is None:
        return None
    found = lookup("regularizer", REGULARIZERS, identifier,
                   accepts="a name, a Regularizer or None", sort_names=True)
    if found is L1L2:
        return L1L2(0.01, 0.01)
    return found() if isinstance(found, type) else found
