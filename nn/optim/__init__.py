"""Optimizers with PyTorch's update rules, Keras's and PyTorch's argument names, and clipping.

    opt = Adam(model.parameters(), lr=1e-3)         # PyTorch's spelling
    opt = Adam(learning_rate=1e-3, beta_1=0.9)      # Keras's: parameters bound later
    opt.set_parameters(model.parameters())          # (compile does this for you)
    for x, y in batches:
        opt.zero_grad()
        loss = losses.mse(y, model(x))
        loss.backward()
        opt.step()

In every formula, g is the parameter's gradient (``p.grad``), t the number of steps this
parameter has taken (1 on the first), lr the optimizer's current ``lr`` (a schedule may
change it between steps). Updates are in place on ``p.data`` (through ``p.writable_data()``,
so a graph still holding the old values becomes stale instead of failing the step), in the
parameter's dtype; an
optimizer reads ``p.grad`` but never writes into it. Parameters whose ``grad`` is None, or
whose ``requires_grad`` is False (frozen), are skipped. Defaults are PyTorch's whichever
spelling is used. Gradient accumulation needs nothing special: ``backward()`` adds into
``.grad`` until ``zero_grad()``. ``nn.optimizers`` is the Keras-style alias of this package.
"""

from __future__ import annotations

from typing import Any

from .adam import Adam, Adamax, AdamW, Nadam
from .adaptive import Adadelta, Adagrad, RMSprop
from .base import Optimizer
from .clipping import clip_grad_norm, clip_grad_value
from .sgd import SGD

# Keras's names; "nadam" is PyTorch's NAdam update
OPTIMIZERS: dict[str, type[Optimizer]] = {
    "sgd": SGD,
    "rmsprop": RMSprop,
    "adam": Adam,
    "adamw": AdamW,
    "adagrad": Adagrad,
    "nadam": Nadam,
    "adamax": Adamax,
    "adadelta": Adadelta,
}


def get(identifier: str | dict[str, Any] | Optimizer, **kwargs: Any) -> Optimizer:
    """An optimizer from a name (``get("adam", learning_rate=0.01)``), a config dict
    (``{"class_name": "Adam", "config": {...}}`` or ``get_config()``'s dict) or as is."""
    if isinstance(identifier, Optimizer):
        if kwargs:
            raise TypeError(f"get: {type(identifier).__name__} is already built; arguments "
                            f"{', '.join(kwargs)} apply only to a name")
        return identifier
    if isinstance(identifier, dict):
        config = dict(identifier.get("config", identifier))
        key = identifier.get("class_name", config.get("name", ""))
        return _lookup(key).from_config({**config, **kwargs})
    if isinstance(identifier, str):
        return _lookup(identifier)(**kwargs)
    raise TypeError(f"an optimizer must be a name, a config dict or an Optimizer, "
                    f"got {identifier!r}")


def _lookup(name: str) -> type[Optimizer]:
    cls = OPTIMIZERS.get(str(name).lower())
    if cls is None:
        raise ValueError(f"unknown optimizer {name!r}; known: {', '.join(OPTIMIZERS)}")
    return cls


def get_optimizer(identifier: str | dict[str, Any] | Optimizer, params: Any = None,
                  **kwargs: Any) -> Optimizer:
    """``get(identifier, **kwargs)``, bound to ``params`` if given and it has none yet."""
    opt = get(identifier, **kwargs)
    if params is not None and not opt.params:
        opt.set_parameters(params)
    return opt


__all__ = [
    "Optimizer", "SGD", "RMSprop", "Adam", "AdamW", "Adagrad", "Nadam", "Adamax", "Adadelta",
    "OPTIMIZERS", "get", "get_optimizer", "clip_grad_norm", "clip_grad_value",
]
