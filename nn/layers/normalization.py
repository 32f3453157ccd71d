"""BatchNormalization and LayerNormalization with Keras 3's arguments, defaults and update rule.

Both normalise ``(x - mean) / sqrt(variance + epsilon)``, then scale by ``gamma`` and shift by
``beta`` (one per feature of ``axis``). The variance is the biased one (divided by n), as
Keras's ``ops.moments`` computes it, in normalisation and in BatchNormalization's moving
average alike (PyTorch, by contrast, averages the unbiased variance).
"""

from __future__ import annotations

from typing import Any

import numpy as np

import autograd_core as ag

from ..init import InitializerLike, get_initializer
from ..module import Module
from ..registry import serialize
from ..regularizers import get_regularizer
from .core import _as_input

__all__ = ["BatchNormalization", "LayerNormalization"]


def _axes(axis: Any, ndim: int, owner: str) -> tuple[int, ...]:
    """``axis`` (an int or ints, negative allowed) as sorted non-negative axes, batch excluded."""
    values = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in values:
        if not -ndim <= a < ndim or a % ndim == 0:
            raise ValueError(f"{owner}: axis {axis!r} is out of range or the batch axis for "
                             f"inputs of {ndim} dimensions")
        out.append(int(a) % ndim)
    return tuple(sorted(set(out)))


def _value(x: Any) -> np.ndarray:
    """The plain array inside a Tensor or Dual (the moving averages take no gradient)."""
    while isinstance(x, ag.Dual):
        x = x.primal
    return np.asarray(x.data if isinstance(x, ag.Tensor) else x)


class _Normalization(Module):
    def __init__(self, axis: int | tuple[int, ...], epsilon: float, center: bool, scale: bool,
                 beta_initializer: InitializerLike, gamma_initializer: InitializerLike,
                 beta_regularizer: Any, gamma_regularizer: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not epsilon > 0:
            raise ValueError(f"{type(self).__name__}: epsilon must be > 0, got {epsilon}")
        self.axis = axis if isinstance(axis, (int, np.integer)) else tuple(axis)
        self.epsilon = float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = get_initializer(beta_initializer)
        self.gamma_initializer = get_initializer(gamma_initializer)
        self.beta_regularizer = get_regularizer(beta_regularizer)
        self.gamma_regularizer = get_regularizer(gamma_regularizer)
        self.gamma: Any = None
        self.beta: Any = None

    def _param_shape(self, input_shape: Any) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """(the feature axes, the weights' shape broadcastable to the input)."""
        ndim = len(input_shape)
        axes = _axes(self.axis, ndim, self._label())
        for a in axes:
            if input_shape[a] is None:
                raise ValueError(f"{self._label()}: axis {a} of input shape "
                                 f"{tuple(input_shape)} must be known")
        return axes, tuple(int(input_shape[a]) for a in axes)

    def _build_affine(self, shape: tuple[int, ...]) -> None:
        if self.scale:
            self.gamma = self.add_weight("gamma", shape, self.gamma_initializer,
                                         self.gamma_regularizer)
        if self.center:
            self.beta = self.add_weight("beta", shape, self.beta_initializer,
                                        self.beta_regularizer)

    def _broadcast(self, w: Any, ndim: int, axes: tuple[int, ...]) -> Any:
        """A (features...) weight reshaped to broadcast against an input of ``ndim`` axes."""
        full = [1] * ndim
        for a, n in zip(axes, w.shape):
            full[a] = n
        return w if axes == tuple(range(ndim - len(axes), ndim)) else ag.reshape(w, tuple(full))

    def _affine(self, y: Any, axes: tuple[int, ...]) -> Any:
        if self.gamma is not None:
            y = y * self._broadcast(self.gamma, y.ndim, axes)
        if self.beta is not None:
            y = y + self._broadcast(self.beta, y.ndim, axes)
        return y

    def _check_input(self, x: Any) -> tuple[int, ...]:
        axes, shape = self._param_shape(x.shape)
        built = self.gamma if self.gamma is not None else self.beta
        if built is not None and built.shape != shape:
            raise ValueError(f"{self._label()}: built for {built.shape} features on axis "
                             f"{self.axis}, got input shape {tuple(x.shape)}")
        return axes

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": serialize(self.beta_initializer),
            "gamma_initializer": serialize(self.gamma_initializer),
            "beta_regularizer": serialize(self.beta_regularizer),
            "gamma_regularizer": serialize(self.gamma_regularizer),
        }


class BatchNormalization(_Normalization):
    """Normalise each feature by the batch's statistics in training, by moving averages at
    inference (Keras 3).

    In training mode (``fit``, ``model.train()``) the output is ``gamma * (x - mean) /
    sqrt(var + epsilon) + beta`` with the mean and biased variance over every axis but
    ``axis``, and the non-trainable weights move: ``moving_mean = moving_mean * momentum +
    mean * (1 - momentum)``, the same for ``moving_variance``. In inference mode (``predict``,
    ``evaluate``, ``model.eval()``), and whenever the layer is frozen (``trainable=False``, as
    in Keras 3), it uses ``moving_mean`` and ``moving_variance`` and changes nothing. The
    moving statistics are weights: ``get_weights``, ``save_weights`` and ``load_weights``
    carry them.
    """

    def __init__(
        self,
        axis: int | tuple[int, ...] = -1,
        momentum: float = 0.99,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: InitializerLike = "zeros",
        gamma_initializer: InitializerLike = "ones",
        moving_mean_initializer: InitializerLike = "zeros",
        moving_variance_initializer: InitializerLike = "ones",
        beta_regularizer: Any = None,
        gamma_regularizer: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(axis, epsilon, center, scale, beta_initializer, gamma_initializer,
                         beta_regularizer, gamma_regularizer, **kwargs)
        if not 0 <= momentum <= 1:
            raise ValueError(f"BatchNormalization: momentum must be in [0, 1], got {momentum}")
        self.momentum = float(momentum)
        self.moving_mean_initializer = get_initializer(moving_mean_initializer)
        self.moving_variance_initializer = get_initializer(moving_variance_initializer)
        self.moving_mean: Any = None
        self.moving_variance: Any = None

    def build(self, input_shape: Any) -> None:
        """Create gamma, beta (trainable) and moving_mean, moving_variance (not trainable)."""
        _, shape = self._param_shape(input_shape)
        self._build_affine(shape)
        self.moving_mean = self.add_weight("moving_mean", shape, self.moving_mean_initializer,
                                           trainable=False)
        self.moving_variance = self.add_weight("moving_variance", shape,
                                               self.moving_variance_initializer, trainable=False)
        super().build(input_shape)

    def forward(self, x: Any) -> Any:
        x = _as_input(x, self.dtype)
        axes = self._check_input(x)
        ndim = x.ndim
        if self.training and self.trainable:
            reduce = tuple(a for a in range(ndim) if a not in axes)
            mean = ag.mean(x, axis=reduce, keepdims=True)
            centred = x - mean
            var = ag.mean(centred * centred, axis=reduce, keepdims=True)
            self._update_moving(mean, var)
        else:
            mean = self._broadcast(self.moving_mean, ndim, axes)
            var = self._broadcast(self.moving_variance, ndim, axes)
            centred = x - mean
        out = self._affine(centred / ag.sqrt(var + self.epsilon), axes)
        return ag.viz.mark_composite(out, inputs=[x], name="batch_normalization")  # one box

    def _update_moving(self, mean: Any, var: Any) -> None:
        m = self.momentum
        batch_mean, batch_var = _value(mean), _value(var)
        shape = self.moving_mean.shape
        # a new array each time, never an in-place write: a graph recorded at inference may
        # still hold the old one
        self.moving_mean.data = (self.moving_mean.data * m
                                 + batch_mean.reshape(shape) * (1 - m)).astype(self.dtype)
        self.moving_variance.data = (self.moving_variance.data * m
                                     + batch_var.reshape(shape) * (1 - m)).astype(self.dtype)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "momentum": self.momentum,
                "moving_mean_initializer": serialize(self.moving_mean_initializer),
                "moving_variance_initializer": serialize(self.moving_variance_initializer)}

    def extra_repr(self) -> str:
        return f"axis={self.axis}, momentum={self.momentum}, epsilon={self.epsilon}"


class LayerNormalization(_Normalization):
    """Normalise each sample over ``axis`` (the features by default), then ``gamma``, ``beta``.

    Statistics come from the sample itself, so training and inference compute the same.
    """

    def __init__(
        self,
        axis: int | tuple[int, ...] = -1,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: InitializerLike = "zeros",
        gamma_initializer: InitializerLike = "ones",
        beta_regularizer: Any = None,
        gamma_regularizer: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(axis, epsilon, center, scale, beta_initializer, gamma_initializer,
                         beta_regularizer, gamma_regularizer, **kwargs)

    def build(self, input_shape: Any) -> None:
        """Create gamma and beta over the normalised axes."""
        _, shape = self._param_shape(input_shape)
        self._build_affine(shape)
        super().build(input_shape)

    def forward(self, x: Any) -> Any:
        x = _as_input(x, self.dtype)
        axes = self._check_input(x)
        mean = ag.mean(x, axis=axes, keepdims=True)
        centred = x - mean
        var = ag.mean(centred * centred, axis=axes, keepdims=True)
        out = self._affine(centred / ag.sqrt(var + self.epsilon), axes)
        return ag.viz.mark_composite(out, inputs=[x], name="layer_normalization")  # one box

    def extra_repr(self) -> str:
        return f"axis={self.axis}, epsilon={self.epsilon}"
