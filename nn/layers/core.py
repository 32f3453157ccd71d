"""The core layers: Dense and its relatives (Neuron, Perceptron, Maxout), Dropout, Activation.

Weights use Keras's layout and names: ``kernel`` of shape (input_dim, units) and ``bias`` of
shape (units,), so a layer computes ``activation(x @ kernel + bias)``, fused into one
``autograd_core.linear`` node (the activation too, when it is relu, sigmoid, tanh, elu or
leaky_relu). A layer builds its weights as soon as its input width is known:
from ``input_dim``/``input_shape``, from the previous layer of a ``Sequential``, or from its
first input.

Parameters are float32 by default (Keras's floatx); ``dtype=np.float64`` gives float64 ones.
Inputs are cast to the layer's dtype (arrays directly, Tensors by a recorded ``astype``), so a
float32 model computes in float32 whatever it is fed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import autograd_core as ag

from ..activations import (
    ACTIVATIONS,
    activation_name,
    applied,
    fused_form,
    get_activation,
    sign,
    step,
)
from ..init import InitializerLike, get_initializer
from ..module import Module
from ..registry import serialize
from ..regularizers import get_regularizer
from ..seeding import SeedLike

__all__ = ["Activation", "Dense", "Dropout", "Maxout", "Neuron", "Perceptron"]


def _positive_int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{what} must be a positive integer, got {value!r}")
    return int(value)


def set_kernel_options(layer: Module, activation: Any, use_bias: bool,
                       kernel_initializer: InitializerLike, bias_initializer: InitializerLike,
                       kernel_regularizer: Any, bias_regularizer: Any) -> None:
    """Keep the options of a layer with a kernel and a bias (Dense, Conv1D/2D) under Keras's
    names; the weights themselves are made by ``build``."""
    layer.activation = get_activation(activation)
    layer._act = None if activation in (None, "linear") else layer.activation
    layer.use_bias = bool(use_bias)
    layer.kernel_initializer = get_initializer(kernel_initializer)
    layer.bias_initializer = get_initializer(bias_initializer)
    layer.kernel_regularizer = get_regularizer(kernel_regularizer)
    layer.bias_regularizer = get_regularizer(bias_regularizer)
    layer.kernel = None
    layer.bias = None


def kernel_options_config(layer: Module) -> dict[str, Any]:
    """The config entries of what ``set_kernel_options`` keeps, under Keras's keys."""
    return {
        "activation": serialize(layer.activation, ACTIVATIONS),
        "use_bias": layer.use_bias,
        "kernel_initializer": serialize(layer.kernel_initializer),
        "bias_initializer": serialize(layer.bias_initializer),
        "kernel_regularizer": serialize(layer.kernel_regularizer),
        "bias_regularizer": serialize(layer.bias_regularizer),
    }


def _as_input(x: Any, dtype: np.dtype) -> Any:
    """``x`` in the layer's dtype: arrays are cast directly, Tensors (and Duals) by an op."""
    if isinstance(x, (ag.Tensor, ag.Dual)):
        return x if x.dtype == dtype else x.astype(dtype)
    return np.asarray(x, dtype=dtype)


class Dense(Module):
    """Fully connected layer: ``activation(x @ kernel + bias)``, kernel (input_dim, units).

    ``kernel_initializer`` / ``bias_initializer``: a name (see ``nn.init``), an Initializer or
    a callable ``f(shape, dtype, rng) -> array``. ``seed``: see ``nn.seeding`` (an int, a
    Generator, or None). Further keywords (``name``, ``input_shape``, ``trainable``) go to
    ``Module``.
    """

    def __init__(
        self,
        units: int,
        activation: str | Callable[..., Any] | None = None,
        input_dim: int | None = None,
        use_bias: bool = True,
        kernel_initializer: InitializerLike = "glorot_uniform",
        bias_initializer: InitializerLike = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        seed: SeedLike = None,
        dtype: Any = np.float32,
        **kwargs: Any,
    ) -> None:
        super().__init__(input_dim=input_dim, seed=seed, dtype=dtype, **kwargs)
        self.units = _positive_int(units, f"{type(self).__name__}: units")
        set_kernel_options(self, activation, use_bias, kernel_initializer, bias_initializer,
                           kernel_regularizer, bias_regularizer)

    def _kernel_columns(self) -> int:
        return self.units

    @property
    def input_dim(self) -> int | None:
        """The input width the kernel was built for (None before building)."""
        return self.input_width()

    def build(self, input_shape: Any) -> None:
        """Create ``kernel`` (input_dim, units) and ``bias`` (units,)."""
        width = _positive_int(input_shape[-1], f"{self._label()}: input width")
        columns = self._kernel_columns()
        self.kernel = self.add_weight("kernel", (width, columns), self.kernel_initializer,
                                      self.kernel_regularizer)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight("bias", (columns,), self.bias_initializer,
                                        self.bias_regularizer)
        super().build(input_shape)

    def _affine(self, x: Any, fused: dict[str, Any] | None = None) -> Any:
        """``x @ kernel + bias`` as one node (with the activation when ``fused`` gives its
        ``ag.linear`` keywords), after checking x's width."""
        x = _as_input(x, self.dtype)
        if x.ndim == 0:
            raise ValueError(f"{self._label()}: expects inputs of shape (..., width), got a scalar")
        if not self.built:
            self.build((None, x.shape[-1]))
        elif x.shape[-1] != self.kernel.shape[0]:
            raise ValueError(
                f"{self._label()}: expected input width {self.kernel.shape[0]}, got width "
                f"{x.shape[-1]} (input shape {tuple(x.shape)}, kernel shape {self.kernel.shape})"
            )
        return ag.linear(x, self.kernel, self.bias, **(fused or {}))

    def forward(self, x: Any) -> Any:
        # relu, sigmoid, tanh, elu, leaky_relu: inside the linear node, so that backward keeps
        # the output alone (the same floats as the two-node form)
        fused = fused_form(self._act) if self.use_bias else None
        if fused is not None:
            return self._affine(x, fused)
        out = self._affine(x)
        return out if self._act is None else applied(self._act, out)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return (*tuple(input_shape)[:-1], self.units)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "units": self.units,
            **kernel_options_config(self),
        }

    def extra_repr(self) -> str:
        act = activation_name(self.activation)
        return f"units={self.units}, activation={act!r}, input_dim={self.input_dim}"


class Neuron(Dense):
    """One unit: ``activation(x @ kernel + bias)``, kernel (input_dim, 1); sigmoid by default."""

    def __init__(
        self,
        activation: str | Callable[..., Any] | None = "sigmoid",
        input_dim: int | None = None,
        use_bias: bool = True,
        kernel_initializer: InitializerLike = "glorot_uniform",
        bias_initializer: InitializerLike = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        seed: SeedLike = None,
        dtype: Any = np.float32,
        **kwargs: Any,
    ) -> None:
        super().__init__(1, activation, input_dim, use_bias, kernel_initializer,
                         bias_initializer, kernel_regularizer, bias_regularizer, seed, dtype,
                         **kwargs)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["units"]
        return config

    def extra_repr(self) -> str:
        return f"activation={activation_name(self.activation)!r}, input_dim={self.input_dim}"


class Perceptron(Dense):
    """Rosenblatt's perceptron: a weighted sum, a step, and the perceptron learning rule.

    ``forward`` gives ``step(x @ kernel + bias)`` of shape (..., 1) (gradient 0: it does not
    learn by backpropagation); ``fit`` applies w += lr * (y - y_hat) * x, b += lr * (y - y_hat)
    one sample at a time. Labels are 0/1 for ``activation="step"`` and -1/1 for ``"sign"``.
    """

    def __init__(
        self,
        input_dim: int | None = None,
        activation: str = "step",
        kernel_initializer: InitializerLike = "zeros",
        bias_initializer: InitializerLike = "zeros",
        seed: SeedLike = None,
        dtype: Any = np.float32,
        **kwargs: Any,
    ) -> None:
        if activation not in ("step", "sign"):
            raise ValueError(f"Perceptron: activation must be 'step' or 'sign', got {activation!r}")
        super().__init__(1, None, input_dim, True, kernel_initializer, bias_initializer,
                         seed=seed, dtype=dtype, **kwargs)
        self.activation = step if activation == "step" else sign
        self.labels = (0, 1) if activation == "step" else (-1, 1)
        self.errors_: list[int] = []
        self.converged = False

    def forward(self, x: Any) -> Any:
        return self.activation(self._affine(x))

    def predict(self, X: Any) -> np.ndarray:
        """Predicted labels, shape (n,)."""
        with ag.no_grad():
            out = self.forward(X).data[..., 0]
        return out.astype(np.int64)

    def fit(self, X: Any, y: Any, epochs: int = 10, lr: float = 1.0, shuffle: bool = False
            ) -> list[int]:
        """Train with the perceptron rule; stop after an epoch without errors.

        Returns (and keeps in ``errors_``) the number of misclassified samples in each epoch;
        ``converged`` tells whether the last epoch had none.
        """
        X = np.asarray(X.data if isinstance(X, ag.Tensor) else X, dtype=self.dtype)
        y = np.asarray(y.data if isinstance(y, ag.Tensor) else y)
        if X.ndim != 2:
            raise ValueError(f"Perceptron.fit: X must have shape (n, features), got {X.shape}")
        y = y.reshape(-1) if y.size == len(X) else y
        if y.shape != (len(X),):
            raise ValueError(f"Perceptron.fit: y must have shape ({len(X)},), got {y.shape}")
        bad = set(np.unique(y).tolist()) - set(self.labels)
        if bad:
            raise ValueError(
                f"Perceptron.fit: labels must be in {self.labels}, found {sorted(bad)}"
            )
        if lr <= 0:
            raise ValueError(f"Perceptron.fit: lr must be > 0, got {lr}")
        if not self.built:
            self.build((None, X.shape[1]))
        elif X.shape[1] != self.input_dim:
            raise ValueError(
                f"{self._label()}: expected input width {self.input_dim}, got {X.shape[1]}"
            )
        w, b = self.kernel.writable_data()[:, 0], self.bias.writable_data()  # updated in place
        y = y.astype(self.dtype)
        errors: list[int] = []
        for _ in range(int(epochs)):
            order = self.rng.permutation(len(X)) if shuffle else range(len(X))
            wrong = 0
            for i in order:
                y_hat = self.activation(X[i] @ w + b[0])
                delta = lr * (y[i] - y_hat)
                if delta != 0:
                    w += delta * X[i]
                    b += delta
                    wrong += 1
            errors.append(wrong)
            if wrong == 0:
                break
        self.errors_ = errors
        self.converged = bool(errors) and errors[-1] == 0
        return errors

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        for key in ("units", "use_bias", "kernel_regularizer", "bias_regularizer"):
            del config[key]
        config["activation"] = activation_name(self.activation)
        return config

    def extra_repr(self) -> str:
        return f"input_dim={self.input_dim}, activation={activation_name(self.activation)!r}"


class Maxout(Dense):
    """Maxout (Goodfellow et al., 2013): ``units`` outputs, each the max of ``pieces`` affine maps.

    The kernel has shape (input_dim, units * pieces); columns ``j*pieces .. j*pieces+pieces-1``
    are the pieces of unit ``j``.
    """

    def __init__(
        self,
        units: int,
        pieces: int,
        input_dim: int | None = None,
        use_bias: bool = True,
        kernel_initializer: InitializerLike = "glorot_uniform",
        bias_initializer: InitializerLike = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        seed: SeedLike = None,
        dtype: Any = np.float32,
        **kwargs: Any,
    ) -> None:
        self.units = _positive_int(units, "Maxout: units")
        self.pieces = _positive_int(pieces, "Maxout: pieces")
        super().__init__(units, None, input_dim, use_bias, kernel_initializer, bias_initializer,
                         kernel_regularizer, bias_regularizer, seed, dtype, **kwargs)

    def _kernel_columns(self) -> int:
        return self.units * self.pieces

    def forward(self, x: Any) -> Any:
        z = self._affine(x)
        out = z.reshape(*z.shape[:-1], self.units, self.pieces).max(axis=-1)
        return ag.viz.mark_composite(out, (z,), "maxout")  # drawn as one box

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["activation"]
        return {**config, "pieces": self.pieces}

    def extra_repr(self) -> str:
        return f"units={self.units}, pieces={self.pieces}, input_dim={self.input_dim}"


class Dropout(Module):
    """Inverted dropout: in training, zero each input with probability ``rate`` and scale the
    rest by 1 / (1 - rate); in eval mode, the identity. Masks come from ``self.rng``."""

    def __init__(self, rate: float, seed: SeedLike = None, **kwargs: Any) -> None:
        super().__init__(seed=seed, **kwargs)
        if not 0 <= rate < 1:
            raise ValueError(f"Dropout: rate must be in [0, 1), got {rate}")
        self.rate = float(rate)

    def forward(self, x: Any) -> Any:
        if not self.training or self.rate == 0:
            return x
        data = x.data if isinstance(x, ag.Tensor) else np.asarray(x)
        dtype = data.dtype if data.dtype.kind == "f" else np.dtype(np.float64)
        keep = self.rng.random(data.shape) >= self.rate
        return x * (keep.astype(dtype) * (1.0 / (1.0 - self.rate)))

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "rate": self.rate}

    def extra_repr(self) -> str:
        return f"rate={self.rate}"


class Activation(Module):
    """Applies an activation: ``Activation("relu")``, ``Activation("leaky_relu", alpha=0.1)``."""

    _BASE = ("name", "trainable", "dtype", "input_shape", "input_dim", "seed")

    def __init__(self, activation: str | Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(**{k: kwargs.pop(k) for k in self._BASE if k in kwargs})
        self.activation = get_activation(activation)
        self.kwargs = kwargs

    def forward(self, x: Any) -> Any:
        return applied(self.activation, x, **self.kwargs)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "activation": serialize(self.activation, ACTIVATIONS),
                **self.kwargs}

    def extra_repr(self) -> str:
        extra = "".join(f", {k}={v!r}" for k, v in self.kwargs.items())
        return f"{activation_name(self.activation)!r}{extra}"
