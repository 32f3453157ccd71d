"""A property-testing kit: Hypothesis strategies, op inputs and ``assert_gradients_correct``.

    from hypothesis import given
    from autograd_core.testing import arrays, assert_gradients_correct

    @given(arrays(shape=(3,)))
    def test_my_function(x):
        assert_gradients_correct(lambda x: (x * x.sigmoid()).sum(), x)

Hypothesis is imported only when a strategy is built (it is a test dependency), so this module,
``sample_op_inputs`` and ``assert_gradients_correct`` work without it.

Every random choice goes through a *source*: Hypothesis's ``draw`` (shrinkable, for tests) or a
NumPy Generator (deterministic, for ``check.check_op_table``). So an op's input recipe in
``OP_INPUTS`` is written once, as a function ``recipe(src) -> (args, params)``, and serves both.
The op input recipes, the random sources and the ``draw_*`` helpers live in ``op_inputs``
(no Hypothesis needed there, so the checker shares them); they are re-exported here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .check import gradcheck
from .op_inputs import (
    DOMAINS,
    OP_INPUTS,
    RngSource,
    _recipe,
    draw_array,
    draw_axis,
    draw_broadcastable_shapes,
    draw_index,
    draw_shape,
    sample_op_inputs,
)
from .ops import OPS

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy


def _strategies() -> Any:
    try:
        from hypothesis import strategies
    except ImportError:
        raise ImportError(
            "autograd_core.testing: the strategies need the 'hypothesis' package "
            "(pip install 'autograd-core[test]'); sample_op_inputs works without it"
        ) from None
    return strategies


# ---- sources of random choices ----


class HypothesisSource:
    """Random choices drawn by Hypothesis, so failing examples shrink."""

    def __init__(self, draw: Callable[[Any], Any]) -> None:
        self._draw = draw
        self._st = _strategies()

    def draw(self, strategy: Any) -> Any:
        """Draw from any Hypothesis strategy."""
        return self._draw(strategy)

    def integers(self, lo: int, hi: int) -> int:
        """An integer in [lo, hi]."""
        return self._draw(self._st.integers(lo, hi))

    def booleans(self) -> bool:
        """True or False."""
        return self._draw(self._st.booleans())

    def sampled_from(self, options: Sequence[Any]) -> Any:
        """One of ``options``."""
        return self._draw(self._st.sampled_from(list(options)))

    def permutation(self, items: Sequence[Any]) -> list[Any]:
        """``items`` in a random order."""
        return list(self._draw(self._st.permutations(list(items))))


def _strategy(recipe: Callable[..., Any], *args: Any, **kwargs: Any) -> SearchStrategy[Any]:
    """A Hypothesis strategy running ``recipe(src, *args, **kwargs)`` on a HypothesisSource."""
    st = _strategies()
    return st.composite(lambda draw: recipe(HypothesisSource(draw), *args, **kwargs))()


# ---- the public Hypothesis strategies ----


def shapes(min_dims: int = 0, max_dims: int = 3, min_side: int = 1, max_side: int = 4
           ) -> SearchStrategy[tuple[int, ...]]:
    """Array shapes, small enough for finite differences."""
    return _strategy(draw_shape, min_dims, max_dims, min_side, max_side)


def broadcastable_shapes(n: int = 2, min_dims: int = 0, max_dims: int = 3, max_side: int = 4
                         ) -> SearchStrategy[tuple[tuple[int, ...], ...]]:
    """``n`` shapes that broadcast together."""
    return _strategy(draw_broadcastable_shapes, n, min_dims, max_dims, max_side)


def arrays(shape: Any = None, domain: str = "real", dtype: Any = np.float64
           ) -> SearchStrategy[np.ndarray]:
    """Arrays of ``shape`` (a tuple, a strategy, or None to draw one) with values in ``domain``."""
    return _strategy(draw_array, shape, domain, dtype)


def tensors(shape: Any = None, domain: str = "real", dtype: Any = np.float64,
            requires_grad: bool = True) -> SearchStrategy[Any]:
    """Tensors wrapping ``arrays(shape, domain, dtype)``."""
    from .tensor import Tensor

    return arrays(shape, domain, dtype).map(lambda a: Tensor(a, requires_grad=requires_grad))


def indices(shape: tuple[int, ...]) -> SearchStrategy[Any]:
    """Indices into ``shape``: basic, integer-array (with repeats) or boolean mask."""
    return _strategy(draw_index, shape)


def op_inputs(name: str) -> SearchStrategy[tuple[list, dict]]:
    """Arguments ``(args, params)`` for the primitive ``name``, inside its smooth domain."""
    return _strategy(_recipe(name))


# ---- assertions ----


def assert_gradients_correct(f: Callable[..., Any], *inputs: Any, **tolerances: Any) -> None:
    """Raise ``GradcheckError`` unless reverse, forward and finite differences agree on f.

    ``tolerances`` go to ``gradcheck`` (``eps``, ``atol``, ``rtol``, ``mode_rtol``, ``seed``).
    At a point where f is not differentiable it raises ``NotDifferentiableError``.
    """
    gradcheck(f, *inputs, **tolerances)


__all__ = [
    "DOMAINS", "OPS", "OP_INPUTS", "HypothesisSource", "RngSource", "arrays",
    "assert_gradients_correct", "broadcastable_shapes", "draw_array", "draw_axis",
    "draw_broadcastable_shapes", "draw_index", "draw_shape", "indices", "op_inputs",
    "sample_op_inputs", "shapes", "tensors",
]
