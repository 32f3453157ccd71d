"""Recurrent layers: SimpleRNN, LSTM and GRU with Keras 3's weight layout and gate order.

Inputs are (batch, timesteps, features). Each layer holds ``kernel`` (features, k*units),
``recurrent_kernel`` (units, k*units) and ``bias``, with k = 1 (SimpleRNN), 4 (LSTM, gates
i, f, c, o) or 3 (GRU, gates z, r, h; ``reset_after=True`` gives a bias of shape
(2, 3*units): input bias, then recurrent bias). Each step is a few engine ops on (batch,
units) Tensors (the input's projection, one ``linear``; the recurrent matmul; the gates), so
the graph of a whole sequence is ordinary and backpropagation through time is just
``backward()``.

``return_sequences`` gives every step's output (batch, timesteps, units) instead of the last
one; ``return_state`` returns ``[output, *final_states]`` (h for SimpleRNN and GRU, h and c for
LSTM); ``go_backwards`` reads the sequence from the end (and, as Keras, returns the sequence
of outputs in that reversed order). ``initial_state`` (a list of arrays or Tensors) replaces
the zero initial state.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import autograd_core as ag

from ..activations import ACTIVATIONS, activation_name, get_activation
from ..init import InitializerLike, get_initializer
from ..module import Module
from ..registry import serialize
from ..regularizers import get_regularizer
from ..seeding import SeedLike
from .core import _as_input, _positive_int

__all__ = ["GRU", "LSTM", "SimpleRNN"]

Activation = str | Callable[..., Any] | None


class _RNN(Module):
    """The loop over time shared by the three layers; ``step`` is one cell update."""

    gates = 1  # k: how many blocks of ``units`` columns the kernels have
    state_count = 1

    def __init__(
        self,
        units: int,
        activation: Activation = "tanh",
        use_bias: bool = True,
        kernel_initializer: InitializerLike = "glorot_uniform",
        recurrent_initializer: InitializerLike = "orthogonal",
        bias_initializer: InitializerLike = "zeros",
        kernel_regularizer: Any = None,
        recurrent_regularizer: Any = None,
        bias_regularizer: Any = None,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        seed: SeedLike = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, **kwargs)
        self.units = _positive_int(units, f"{type(self).__name__}: units")
        self.activation = get_activation(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = get_initializer(kernel_initializer)
        self.recurrent_initializer = get_initializer(recurrent_initializer)
        self.bias_initializer = get_initializer(bias_initializer)
        self.kernel_regularizer = get_regularizer(kernel_regularizer)
        self.recurrent_regularizer = get_regularizer(recurrent_regularizer)
        self.bias_regularizer = get_regularizer(bias_regularizer)
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.kernel: Any = None
        self.recurrent_kernel: Any = None
        self.bias: Any = None

    # ---- weights ----

    def _bias_shape(self) -> tuple[int, ...]:
        return (self.gates * self.units,)

    def _bias_initializer(self) -> Any:
        return self.bias_initializer

    def _check_shape(self, input_shape: Any) -> None:
        if len(input_shape) != 3:
            raise ValueError(f"{self._label()}: expects inputs of shape (batch, timesteps, "
                             f"features), got input shape {tuple(input_shape)}")

    def build(self, input_shape: Any) -> None:
        """Create ``kernel``, ``recurrent_kernel`` and ``bias`` in Keras's layout."""
        self._check_shape(input_shape)
        features = _positive_int(input_shape[-1], f"{self._label()}: input features")
        cols = self.gates * self.units
        self.kernel = self.add_weight("kernel", (features, cols), self.kernel_initializer,
                                      self.kernel_regularizer)
        self.recurrent_kernel = self.add_weight("recurrent_kernel", (self.units, cols),
                                                self.recurrent_initializer,
                                                self.recurrent_regularizer)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight("bias", self._bias_shape(), self._bias_initializer(),
                                        self.bias_regularizer)
        super().build(input_shape)

    # ---- the loop ----

    def _input_projection(self, x: Any) -> Any:
        """x_t @ kernel (+ the input bias): (batch, k*units)."""
        return ag.linear(x, self.kernel, self.bias)

    def step(self, xw_t: Any, states: list[Any]) -> list[Any]:
        """One cell update from the projected input of step t; returns the new states
        (the output is the first)."""
        raise NotImplementedError

    def _initial_states(self, batch: int, initial_state: Any) -> list[Any]:
        if initial_state is None:
            return [np.zeros((batch, self.units), dtype=self.dtype)] * self.state_count
        states = list(initial_state) if isinstance(initial_state, (list, tuple)) \
            else [initial_state]
        if len(states) != self.state_count:
            raise ValueError(f"{self._label()}: initial_state needs {self.state_count} "
                             f"array(s) of shape (batch, units), got {len(states)}")
        out = []
        for s in states:
            s = _as_input(s, self.dtype)
            if tuple(s.shape) != (batch, self.units):
                raise ValueError(f"{self._label()}: each initial state must have shape "
                                 f"({batch}, {self.units}), got {tuple(s.shape)}")
            out.append(s)
        return out

    def forward(self, x: Any, initial_state: Sequence[Any] | None = None) -> Any:
        x = _as_input(x, self.dtype)
        self._check_shape(x.shape)
        if x.shape[-1] != self.kernel.shape[0]:
            raise ValueError(f"{self._label()}: expected {self.kernel.shape[0]} input features, "
                             f"got {x.shape[-1]} (input shape {tuple(x.shape)})")
        batch, steps = x.shape[0], x.shape[1]
        if steps == 0:
            raise ValueError(f"{self._label()}: the input has no timesteps")
        states = self._initial_states(batch, initial_state)
        order = range(steps - 1, -1, -1) if self.go_backwards else range(steps)
        outputs = []
        cell = f"{type(self).__name__.lower()}_cell"
        for t in order:
            # one projection per step, not one for the whole sequence sliced afterwards: the
            # reverse of each slice would write a zero array of the whole sequence's size
            x_t = x[:, t, :]
            new = self.step(self._input_projection(x_t), states)
            # a graph draws each step as one box (a folded chain of them for long sequences)
            states = ag.viz.mark_composite(new, inputs=[x_t, *states], name=cell)
            outputs.append(states[0])
        out = ag.stack(outputs, axis=1) if self.return_sequences else outputs[-1]
        return [out, *states] if self.return_state else out

    def compute_output_shape(self, input_shape: Any) -> Any:
        self._check_shape(input_shape)
        batch = input_shape[0]
        out = (batch, input_shape[1], self.units) if self.return_sequences \
            else (batch, self.units)
        if self.return_state:
            return [out, *[(batch, self.units)] * self.state_count]
        return out

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "units": self.units,
            "activation": serialize(self.activation, ACTIVATIONS),
            "use_bias": self.use_bias,
            "kernel_initializer": serialize(self.kernel_initializer),
            "recurrent_initializer": serialize(self.recurrent_initializer),
            "bias_initializer": serialize(self.bias_initializer),
            "kernel_regularizer": serialize(self.kernel_regularizer),
            "recurrent_regularizer": serialize(self.recurrent_regularizer),
            "bias_regularizer": serialize(self.bias_regularizer),
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
        }

    def extra_repr(self) -> str:
        return (f"units={self.units}, activation={activation_name(self.activation)!r}, "
                f"return_sequences={self.return_sequences}")


class SimpleRNN(_RNN):
    """Elman's recurrent layer: ``h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel
    + bias)``, kernel (features, units), recurrent_kernel (units, units), bias (units,)."""

    def step(self, xw_t: Any, states: list[Any]) -> list[Any]:
        # h @ recurrent_kernel + xw_t as one linear node (xw_t in the bias's place)
        return [self.activation(ag.linear(states[0], self.recurrent_kernel, xw_t))]


class LSTM(_RNN):
    """Long short-term memory (Hochreiter and Schmidhuber, 1997), Keras's equations and layout.

    With z = x_t @ kernel + h @ recurrent_kernel + bias split into four blocks of ``units``
    (gate order i, f, c, o): ``i = recurrent_activation(z_i)``, ``f = ...(z_f)``,
    ``c = f * c + i * activation(z_c)``, ``o = ...(z_o)``, ``h = o * activation(c)``.
    ``unit_forget_bias`` starts the forget gate's bias at 1 (the rest at ``bias_initializer``).
    """

    gates, state_count = 4, 2

    def __init__(self, units: int, activation: Activation = "tanh",
                 recurrent_activation: Activation = "sigmoid", use_bias: bool = True,
                 unit_forget_bias: bool = True, **kwargs: Any) -> None:
        super().__init__(units, activation, use_bias, **kwargs)
        self.recurrent_activation = get_activation(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)

    def _bias_initializer(self) -> Any:
        if not self.unit_forget_bias:
            return self.bias_initializer
        base, u = self.bias_initializer, self.units

        def forget_ones(shape: tuple[int, ...], dtype: Any, rng: np.random.Generator
                        ) -> np.ndarray:
            b = np.asarray(base((4 * u,), dtype, rng), dtype=dtype)
            b[u:2 * u] = 1
            return b

        return forget_ones

    def step(self, xw_t: Any, states: list[Any]) -> list[Any]:
        h, c = states
        u = self.units
        z = ag.linear(h, self.recurrent_kernel, xw_t)  # h @ U + xw_t: one node, not two
        sigma, act = self.recurrent_activation, self.activation
        gates = sigma(z)  # one call for all four blocks (the c block's is not used): faster
        i, f, o = gates[:, :u], gates[:, u:2 * u], gates[:, 3 * u:]
        c = f * c + i * act(z[:, 2 * u:3 * u])
        return [o * act(c), c]

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(),
                "recurrent_activation": serialize(self.recurrent_activation, ACTIVATIONS),
                "unit_forget_bias": self.unit_forget_bias}


class GRU(_RNN):
    """Gated recurrent unit (Cho et al., 2014), Keras 3's default ``reset_after=True`` form.

    With gate order z, r, h: ``z = recurrent_activation(x_z + h @ U_z + b_z)``, ``r = ...``,
    ``hh = activation(x_h + r * (h @ U_h + rb_h))``, ``h = z * h + (1 - z) * hh``; x_* include
    the input bias, and the recurrent bias rb is the second row of ``bias`` (2, 3*units).
    ``reset_after=False`` applies r before the matmul (``(r * h) @ U_h``) and has one bias
    row (3*units,).
    """

    gates, state_count = 3, 1

    def __init__(self, units: int, activation: Activation = "tanh",
                 recurrent_activation: Activation = "sigmoid", use_bias: bool = True,
                 reset_after: bool = True, **kwargs: Any) -> None:
        super().__init__(units, activation, use_bias, **kwargs)
        self.recurrent_activation = get_activation(recurrent_activation)
        self.reset_after = bool(reset_after)

    def _bias_shape(self) -> tuple[int, ...]:
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def _input_projection(self, x: Any) -> Any:
        bias = self.bias
        if bias is not None and self.reset_after:
            bias = bias[0]
        return ag.linear(x, self.kernel, bias)

    def step(self, xw_t: Any, states: list[Any]) -> list[Any]:
        (h,) = states
        u = self.units
        sigma, act = self.recurrent_activation, self.activation
        x_zr, x_h = xw_t[:, :2 * u], xw_t[:, 2 * u:]
        if self.reset_after:
            rb = None if self.bias is None else self.bias[1]
            inner = ag.linear(h, self.recurrent_kernel, rb)  # h @ U_h + rb_h: one node
            zr = sigma(x_zr + inner[:, :2 * u])  # both gates in one call
            z, r = zr[:, :u], zr[:, u:]
            hh = act(x_h + r * inner[:, 2 * u:])
        else:
            zr = sigma(ag.linear(h, self.recurrent_kernel[:, :2 * u], x_zr))
            z, r = zr[:, :u], zr[:, u:]
            hh = act(ag.linear(r * h, self.recurrent_kernel[:, 2 * u:], x_h))
        return [z * h + (1 - z) * hh]

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(),
                "recurrent_activation": serialize(self.recurrent_activation, ACTIVATIONS),
                "reset_after": self.reset_after}
