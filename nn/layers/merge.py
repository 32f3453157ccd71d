"""Merge layers: combine a list of inputs into one (Keras's ``Add``, ``Concatenate``...).

    added = nn.Add()([a, b])
    joined = nn.Concatenate(axis=-1)([a, b, c])

The elementwise ones (``Add``, ``Subtract``, ``Multiply``, ``Average``, ``Maximum``,
``Minimum``) need inputs of shapes that broadcast (the same shape, usually); ``Concatenate``
needs equal shapes except along ``axis``. Shapes are checked when the layer is built, so in a
functional model a mismatch is reported at the call that causes it.
"""

from __future__ import annotations

from typing import Any

import autograd_core as ag

from ..module import Module

__all__ = ["Add", "Average", "Concatenate", "Maximum", "Minimum", "Multiply", "Subtract"]


def _broadcast(a: tuple, b: tuple, owner: str, shapes: list) -> tuple:
    """The shape of an elementwise result, with None (unknown) axes; batch axis kept."""
    if len(a) < len(b):
        a, b = b, a
    b = (1,) * (len(a) - len(b)) + tuple(b)
    out = []
    for x, y in zip(a, b):
        if x is None or y is None:
            out.append(None if (x in (None, 1) and y in (None, 1)) or x == y else
                       (x if y in (None, 1) else y))
        elif x == y or y == 1:
            out.append(x)
        elif x == 1:
            out.append(y)
        else:
            raise ValueError(f"{owner}: inputs have incompatible shapes {shapes}")
    return tuple(out)


class _Merge(Module):
    """Base of the merge layers: called on a list of at least two inputs."""

    _min_inputs = 2
    _max_inputs: int | None = None

    def _check(self, shapes: Any) -> list[tuple]:
        owner = f"{type(self).__name__} {self.name!r}"
        if not isinstance(shapes, list) or not all(isinstance(s, tuple) for s in shapes):
            raise ValueError(f"{owner}: call a merge layer on a list of inputs, e.g. "
                             f"{type(self).__name__}()([a, b]); got one input of shape {shapes}")
        if len(shapes) < self._min_inputs or (self._max_inputs and len(shapes) >
                                               self._max_inputs):
            want = (f"exactly {self._max_inputs}" if self._max_inputs == self._min_inputs
                    else f"at least {self._min_inputs}")
            raise ValueError(f"{owner}: needs {want} inputs, got {len(shapes)}")
        return shapes

    def compute_output_shape(self, input_shape: Any) -> tuple:
        shapes = self._check(input_shape)
        out = shapes[0]
        for s in shapes[1:]:
            out = _broadcast(out, s, f"{type(self).__name__} {self.name!r}", shapes)
        return out

    def forward(self, inputs: Any) -> Any:
        self._check([(None, *tuple(x.shape)[1:]) for x in inputs]
                    if isinstance(inputs, (list, tuple)) else tuple(inputs.shape))
        return self._merge(list(inputs))

    def _merge(self, xs: list[Any]) -> Any:
        raise NotImplementedError


class Add(_Merge):
    """The sum of its inputs."""

    def _merge(self, xs: list[Any]) -> Any:
        out = xs[0]
        for x in xs[1:]:
            out = out + x
        return out


class Subtract(_Merge):
    """The first input minus the second (exactly two inputs)."""

    _max_inputs = 2

    def _merge(self, xs: list[Any]) -> Any:
        return xs[0] - xs[1]


class Multiply(_Merge):
    """The elementwise product of its inputs."""

    def _merge(self, xs: list[Any]) -> Any:
        out = xs[0]
        for x in xs[1:]:
            out = out * x
        return out


class Average(_Merge):
    """The elementwise mean of its inputs."""

    def _merge(self, xs: list[Any]) -> Any:
        return Add._merge(self, xs) * (1.0 / len(xs))


class Maximum(_Merge):
    """The elementwise maximum of its inputs."""

    def _merge(self, xs: list[Any]) -> Any:
        out = xs[0]
        for x in xs[1:]:
            out = ag.maximum(out, x)
        return out


class Minimum(_Merge):
    """The elementwise minimum of its inputs."""

    def _merge(self, xs: list[Any]) -> Any:
        out = xs[0]
        for x in xs[1:]:
            out = ag.minimum(out, x)
        return out


class Concatenate(_Merge):
    """Its inputs joined along ``axis`` (the last by default)."""

    def __init__(self, axis: int = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = int(axis)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        shapes = self._check(input_shape)
        owner = f"Concatenate {self.name!r}"
        rank = len(shapes[0])
        if any(len(s) != rank for s in shapes):
            raise ValueError(f"{owner}: inputs must have the same rank, got shapes {shapes}")
        axis = self.axis % rank
        if axis == 0:
            raise ValueError(f"{owner}: cannot concatenate along the batch axis (axis="
                             f"{self.axis})")
        out = list(shapes[0])
        for s in shapes[1:]:
            for i, (a, b) in enumerate(zip(out, s)):
                if i == axis:
                    out[i] = None if a is None or b is None else a + b
                elif a is not None and b is not None and a != b:
                    raise ValueError(
                        f"{owner}: inputs must have equal shapes except along axis "
                        f"{self.axis}; got shapes {shapes}")
                elif a is None:
                    out[i] = b
        return tuple(out)

    def _merge(self, xs: list[Any]) -> Any:
        return ag.concatenate(xs, axis=self.axis)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis}
