"""The Optimizer base class: parameters (bound now or later), per-parameter state, clipping,
Keras's and PyTorch's argument names, and the config/state export that model files store."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any

import numpy as np

import autograd_core as ag

from .clipping import _grad_array, _scaled_to_norm


def zeros_state(state: dict[str, Any], key: str, like: np.ndarray) -> np.ndarray:
    """``state[key]``, made as zeros of ``like``'s shape and dtype on its first use (not
    ``state.setdefault(key, np.zeros_like(w))``, which allocates on every step)."""
    buf = state.get(key)
    if buf is None:
        buf = state[key] = np.zeros_like(like)
    return buf


# ---- argument checks and the two spellings ----


def _collect(name: str, params: Any) -> list[ag.Tensor]:
    if hasattr(params, "parameters") and callable(params.parameters):
        params = params.parameters()  # a Module
    if isinstance(params, ag.Tensor):
        raise TypeError(f"{name}: params must be an iterable of Tensors; wrap one in a list")
    params = list(params)
    if not params:
        raise ValueError(f"{name}: got an empty parameter list; pass model.parameters()")
    seen: set[int] = set()
    out = []
    for i, p in enumerate(params):
        if not isinstance(p, ag.Tensor):
            raise TypeError(f"{name}: parameter {i} is a {type(p).__name__}, not a Tensor")
        if id(p) not in seen:
            seen.add(id(p))
            out.append(p)
    return out


def _check_lr(name: str, lr: Any) -> float:
    try:
        lr = float(lr)
    except (TypeError, ValueError):
        raise TypeError(f"{name}: lr must be a number, got {lr!r}") from None
    if not (lr > 0 and math.isfinite(lr)):
        raise ValueError(f"{name}: learning rate must be > 0, got {lr}")
    return lr


def _check_nonneg(name: str, what: str, value: float) -> float:
    if not value >= 0:
        raise ValueError(f"{name}: {what} must be >= 0, got {value}")
    return float(value)


def _check_beta(name: str, what: str, value: float) -> float:
    if not 0 <= value < 1:
        raise ValueError(f"{name}: {what} must be in [0, 1), got {value}")
    return float(value)


def one_of(name: str, torch_name: str, torch_value: Any, keras_name: str, keras_value: Any,
           default: Any) -> Any:
    """The value given under either spelling of one argument (None means not given)."""
    if torch_value is not None and keras_value is not None:
        raise TypeError(f"{name}: got both {torch_name}={torch_value!r} and "
                        f"{keras_name}={keras_value!r}, two spellings of one argument; pass one")
    if torch_value is not None:
        return torch_value
    return default if keras_value is None else keras_value


def decay_of(name: str, weight_decay: float | None, default: float = 0.0) -> float:
    """``weight_decay``, where None (Keras's default) means ``default``."""
    return _check_nonneg(name, "weight_decay", default if weight_decay is None else weight_decay)


def betas_of(name: str, betas: Any, beta_1: Any, beta_2: Any, default: tuple[float, float]
             ) -> tuple[float, float]:
    """``betas=(b1, b2)`` (PyTorch) or ``beta_1=``/``beta_2=`` (Keras), checked in [0, 1)."""
    if betas is not None and (beta_1 is not None or beta_2 is not None):
        keras = ", ".join(f"{k}={v!r}" for k, v in (("beta_1", beta_1), ("beta_2", beta_2))
                          if v is not None)
        raise TypeError(f"{name}: got both betas={betas!r} and {keras}, two spellings of one "
                        "argument; pass one")
    if betas is None:
        betas = (default[0] if beta_1 is None else beta_1, default[1] if beta_2 is None else beta_2)
    if len(betas) != 2:
        raise ValueError(f"{name}: betas must be a pair (beta_1, beta_2), got {betas!r}")
    return _check_beta(name, "beta_1", betas[0]), _check_beta(name, "beta_2", betas[1])


def lr_of(name: str, params: Any, lr: Any, learning_rate: Any, default: float
          ) -> tuple[Any, float]:
    """(params, lr): Keras's ``Adam(0.01)`` passes the learning rate first, PyTorch's params."""
    if isinstance(params, numbers.Real) and not isinstance(params, bool):
        if lr is not None or learning_rate is not None:
            raise TypeError(f"{name}: the first argument {params!r} is a number, taken as the "
                            "learning rate, but a learning rate was also given by name")
        params, lr = None, params
    return params, _check_lr(name, one_of(name, "lr", lr, "learning_rate", learning_rate,
                                          default))


def _scalar(key: str, value: Any) -> int | float:
    return int(value) if key == "step" else float(value)


# ---- the base class ----


class Optimizer:
    """Holds parameters, per-parameter state and ``lr``; subclasses define ``update_step``.

    A new optimizer is one subclass: its ``__init__`` resolves its arguments (``lr_of``,
    ``one_of``, ``betas_of`` accept both spellings) and calls
    ``super().__init__(params, lr, **common)``; ``update_step(w, g, state)`` updates the array
    ``w`` in place from the gradient ``g`` (``state["step"]`` is this parameter's step count, 1
    on the first); ``hyperparameters()`` returns its hyperparameters under Keras's names, which
    ``__init__`` accepts; state entries that are numbers rather than arrays are listed in
    ``scalar_state``. ``clipnorm`` clips each parameter's gradient to that norm,
    ``global_clipnorm`` all of them together, ``clipvalue`` each element (Keras's names); the
    clipped gradients are the optimizer's own copies.
    """

    # per-parameter state entries that are numbers, not arrays of the parameter's shape
    scalar_state: tuple[str, ...] = ("step",)

    def __init__(
        self,
        params: Iterable[ag.Tensor] | None,
        lr: float,
        *,
        clipnorm: float | None = None,
        global_clipnorm: float | None = None,
        clipvalue: float | None = None,
        name: str | None = None,
        **unknown: Any,
    ) -> None:
        cls = type(self).__name__
        if unknown:
            raise TypeError(f"{cls}: unknown argument(s) {', '.join(sorted(unknown))}; it takes "
                            f"Keras's or PyTorch's names, see help(nn.optim.{cls})")
        self._lr = _check_lr(cls, lr)
        for what, v in (("clipnorm", clipnorm), ("global_clipnorm", global_clipnorm),
                        ("clipvalue", clipvalue)):
            if v is not None and not v > 0:
                raise ValueError(f"{cls}: {what} must be > 0, got {v}")
        self.clipnorm, self.global_clipnorm, self.clipvalue = clipnorm, global_clipnorm, clipvalue
        self.name = cls.lower() if name is None else str(name)
        self.params: list[ag.Tensor] = []
        self.state: list[dict[str, Any]] = []
        self.iterations = 0
        if params is not None:
            self.set_parameters(params)

    def set_parameters(self, params: Iterable[ag.Tensor]) -> None:
        """Bind (or rebind) the parameters to optimize; parameters kept keep their state."""
        new = _collect(type(self).__name__, params)
        old = {id(p): s for p, s in zip(self.params, self.state)}
        self.params = new
        self.state = [old.get(id(p), {}) for p in new]

    @property
    def lr(self) -> float:
        """The learning rate used by the next ``step()``."""
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        value = float(value)
        if not (value >= 0 and math.isfinite(value)):  # a schedule may reach 0, never below
            raise ValueError(f"{type(self).__name__}: learning rate must be >= 0, got {value}")
        self._lr = value

    @property
    def learning_rate(self) -> float:
        """Keras's name for ``lr`` (settable too)."""
        return self._lr

    @learning_rate.setter
    def learning_rate(self, value: float) -> None:
        self.lr = value

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to None."""
        for p in self.params:
            p.grad = None

    def _gradients(self) -> list[np.ndarray | None]:
        # a frozen parameter (requires_grad False) counts as having no gradient, clipping too
        grads = [_grad_array(p) if p.requires_grad else None for p in self.params]
        if self.clipvalue is not None:
            grads = [None if g is None else np.clip(g, -self.clipvalue, self.clipvalue)
                     for g in grads]
        if self.clipnorm is not None:
            grads = [None if g is None else _scaled_to_norm(g, self.clipnorm) for g in grads]
        if self.global_clipnorm is not None:
            norm = math.sqrt(sum(float(np.sum(np.square(g, dtype=np.float64)))
                                 for g in grads if g is not None))
            if norm > self.global_clipnorm:
                scale = self.global_clipnorm / norm
                grads = [None if g is None else (g * scale).astype(g.dtype, copy=False)
                         for g in grads]
        return grads

    def step(self) -> None:
        """Update every parameter that requires grad and has a gradient, in place."""
        name = type(self).__name__
        if not self.params:
            raise RuntimeError(
                f"{name}.step(): the optimizer has no parameters yet; pass them "
                f"({name}(model.parameters(), ...)), call opt.set_parameters(model.parameters()), "
                "or give the optimizer to model.compile(optimizer=...)"
            )
        self.iterations += 1
        # updates work on the raw arrays; no_grad guards against a .grad that is a Tensor
        with ag.no_grad():
            for p, g, state in zip(self.params, self._gradients(), self.state):
                if g is None:
                    continue
                if g.shape != p.shape:  # .shape, not .data.shape: no guard bookkeeping
                    raise ValueError(f"{name}: gradient of shape {g.shape} for parameter "
                                     f"{p.name or 'unnamed'} of shape {p.shape}")
                state["step"] = state.get("step", 0) + 1
                self.update_step(p.writable_data(), g, state)

    def update_step(self, w: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        """Update the parameter array ``w`` in place from its gradient ``g`` and its state."""
        raise NotImplementedError(f"{type(self).__name__} does not define update_step")

    # ---- configuration and state ----

    def hyperparameters(self) -> dict[str, Any]:
        """This optimizer's own hyperparameters under Keras's keys (besides lr and clipping)."""
        return {}

    def get_config(self) -> dict[str, Any]:
        """The hyperparameters under Keras's keys (JSON-ready); ``from_config`` rebuilds."""
        return {"name": self.name, "learning_rate": self._lr, **self.hyperparameters(),
                "clipnorm": self.clipnorm, "global_clipnorm": self.global_clipnorm,
                "clipvalue": self.clipvalue}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Optimizer:
        """An unbound optimizer built from ``get_config()``'s dictionary."""
        return cls(**config)

    def state_dict(self) -> dict[str, Any]:
        """``{"config", "iterations", "state": {param index: {name: ndarray}}}``, copied.

        Step counts are 0-d int64 arrays and moments arrays of the parameter's shape, so a
        model file can store every entry as a tensor; parameters never stepped are left out.
        """
        state = {}
        for i, s in enumerate(self.state):
            if s:
                state[i] = {k: np.array(v, dtype=np.int64 if k == "step" else None)
                            for k, v in s.items()}
        return {"config": self.get_config(), "iterations": self.iterations, "state": state}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what ``state_dict()`` returned, after checking it fits these parameters."""
        name = type(self).__name__
        per_param = {int(i): s for i, s in state.get("state", {}).items()}
        for i, s in per_param.items():
            if not 0 <= i < len(self.params):
                raise ValueError(f"{name}.load_state_dict: state for parameter {i}, the "
                                 f"optimizer has {len(self.params)} parameters")
            p = self.params[i]
            for k, v in s.items():
                if k not in self.scalar_state and np.shape(v) != p.shape:
                    raise ValueError(
                        f"{name}.load_state_dict: state {k!r} of parameter {i} "
                        f"({p.name or 'unnamed'}) has shape {np.shape(v)}, the parameter {p.shape}"
                    )
        config = state.get("config")
        if config is not None:
            saved = type(self).from_config(config)  # validates, and gives every hyperparameter
            for k, v in vars(saved).items():
                if k not in ("params", "state", "iterations"):
                    setattr(self, k, v)
        self.iterations = int(state.get("iterations", 0))
        self.state = [
            {k: _scalar(k, v) if k in self.scalar_state else np.array(v, dtype=p.dtype)
             for k, v in per_param.get(i, {}).items()}
            for i, p in enumerate(self.params)
        ]

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items()
                         if k != "name" and v is not None)
        bound = f", {len(self.params)} parameters" if self.params else ", unbound"
        return f"{type(self).__name__}({args}{bound})"
