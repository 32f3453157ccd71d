"""What ``compile`` stores (Keras 3's ``compile_utils``): the loss, the metrics, the optimizer.

- ``CompileLoss``: the loss function with ``from_logits`` bound, called as
  ``loss(y_true, y_pred, sample_weight, class_weight) -> 0-d Tensor``;
- ``CompileMetrics``: the running loss and metrics of one pass (training or evaluation);
- ``CompileOptimizer``: builds the optimizer on the model's trainable parameters when they
  exist, and again when they change (a layer built late, a layer frozen).
"""

from __future__ import annotations

import copy
import functools
import inspect
import math
from collections.abc import Callable
from typing import Any

import numpy as np

import autograd_core as ag

from . import losses
from .metrics import Metric, _callable_name, get_metric
from .optim import OPTIMIZERS, Optimizer, get_optimizer

__all__ = ["CompileLoss", "CompileMetrics", "CompileOptimizer"]


def _accepts(fn: Callable[..., Any], name: str) -> bool:
    """Whether ``fn`` takes the keyword argument ``name`` (directly or through **kwargs)."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return True
    return name in params or any(p.kind == p.VAR_KEYWORD for p in params.values())


class CompileLoss:
    """The compiled loss: ``compiled_loss(y_true, y_pred, sample_weight, class_weight)``."""

    def __init__(self, loss: Any, from_logits: bool | None = None) -> None:
        if loss is None:
            raise ValueError(
                f"compile: a loss is required, e.g. loss='mse'; known names: "
                f"{', '.join(losses.LOSSES)}, or a callable loss(y_true, y_pred, "
                "sample_weight=None, class_weight=None)"
            )
        fn = losses.get_loss(loss)
        self.name = loss if isinstance(loss, str) else _callable_name(loss)
        if from_logits is not None:
            if not _accepts(fn, "from_logits"):
                raise ValueError(f"compile: from_logits was given, but the loss {self.name} "
                                 "does not take it (only the cross-entropies do)")
            fn = functools.partial(fn, from_logits=bool(from_logits))
            self.from_logits = bool(from_logits)
        else:
            bound = fn.keywords.get("from_logits") if isinstance(fn, functools.partial) else None
            self.from_logits = bool(bound if bound is not None
                                    else getattr(fn, "from_logits", False))
        self.fn = fn
        base = fn.func if isinstance(fn, functools.partial) else fn
        # outputs are scores, not probabilities: binary accuracy thresholds at 0
        scores = self.from_logits or base in (losses.hinge, losses.perceptron)
        self.threshold = 0.0 if scores else 0.5
        self.outputs_checked = False  # the first batch's outputs are checked against the loss
        self._takes_sw = _accepts(fn, "sample_weight")
        self._takes_cw = _accepts(fn, "class_weight")

    def check_weights(self, sample_weight: Any, class_weight: Any) -> None:
        """Refuse weights that the loss cannot take."""
        if sample_weight is not None and not self._takes_sw:
            raise TypeError(f"the loss {self.name} does not take sample_weight")
        if class_weight is not None and not self._takes_cw:
            raise TypeError(f"the loss {self.name} does not take class_weight")

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None,
                 class_weight: Any = None) -> ag.Tensor:
        """The loss as a 0-d Tensor (a per-sample result is averaged)."""
        kwargs = {}
        if sample_weight is not None:
            kwargs["sample_weight"] = sample_weight
        if class_weight is not None:
            kwargs["class_weight"] = class_weight
        if not self.outputs_checked:
            from .checks import check_outputs

            check_outputs(self, y_pred)
            self.outputs_checked = True
        loss = self.fn(y_true, y_pred, **kwargs)
        if not isinstance(loss, ag.Tensor):
            raise TypeError(
                f"the loss {self.name} returned {type(loss).__name__}, not a Tensor; "
                "compute it with autograd_core operations on y_pred so gradients can flow"
            )
        return loss if loss.ndim == 0 else ag.mean(loss)


class CompileMetrics:
    """The running loss (sample-weighted mean of batch losses, as Keras) and metrics of one
    pass; ``fresh()`` gives an empty one with the same metrics."""

    def __init__(self, metrics: Any = None, threshold: float = 0.5) -> None:
        if metrics is None:
            metrics = []
        elif isinstance(metrics, (str, Metric)) or callable(metrics):
            metrics = [metrics]
        self.specs = list(metrics)
        self.threshold = threshold
        self.metrics = self._make()
        names = [m.name for m in self.metrics]
        taken = {"loss", "lr"}
        for name in names:
            if name in taken:
                raise ValueError(f"compile: metric name {name!r} is used twice (or is reserved);"
                                 f" metric names: {names}")
            taken.add(name)
        self.reset_state()

    def _make(self) -> list[Metric]:
        # a Metric given to compile is copied, so that training and validation each
        # accumulate their own
        made = []
        for spec in self.specs:
            metric = copy.copy(spec) if isinstance(spec, Metric) else get_metric(spec,
                                                                                 self.threshold)
            metric.reset()
            made.append(metric)
        return made

    @property
    def names(self) -> list[str]:
        """The metrics' names, in order."""
        return [m.name for m in self.metrics]

    def fresh(self) -> CompileMetrics:
        """A new, empty tracker of the same metrics."""
        return CompileMetrics(self.specs, self.threshold)

    def reset_state(self) -> None:
        """Forget every batch seen."""
        self.total, self.count = 0.0, 0
        for m in self.metrics:
            m.reset()

    def update_state(self, y_true: np.ndarray, y_pred: np.ndarray, loss: float, n: int) -> None:
        """Add one batch: its targets and outputs (arrays), its loss and its size."""
        self.total += loss * n
        self.count += n
        for m in self.metrics:
            m.update(y_true, y_pred)

    def result(self) -> dict[str, float]:
        """``{"loss": ..., metric: ...}`` over the batches seen."""
        logs = {"loss": self.total / self.count if self.count else math.nan}
        logs.update({m.name: m.result() for m in self.metrics})
        return logs


class CompileOptimizer:
    """The optimizer ``compile`` was given, bound to the model's trainable parameters.

    A name or a callable (``nn.SGD``) is built on the parameters with ``kwargs``, and rebuilt
    when the trainable parameters change. An Optimizer is used as it is; one created without
    parameters gets them through its ``set_parameters(params)``.
    """

    def __init__(self, spec: Any, kwargs: dict[str, Any]) -> None:
        if isinstance(spec, Optimizer) or _unbound(spec):
            if kwargs:
                raise TypeError(
                    f"compile: optimizer arguments {sorted(kwargs)} were given with an "
                    "optimizer object; set them when creating it"
                )
        elif isinstance(spec, str):
            if spec.lower() not in OPTIMIZERS:
                raise ValueError(f"compile: unknown optimizer {spec!r}; known: "
                                 f"{', '.join(OPTIMIZERS)}")
        elif not callable(spec):
            raise TypeError(
                "compile: optimizer must be a name, an Optimizer, or a callable that builds one "
                f"from the parameters, got {spec!r}"
            )
        self.spec, self.kwargs = spec, kwargs
        self.optimizer: Any = spec if isinstance(spec, Optimizer) else None
        self._built_on: list[int] = []

    def get(self, model: Any) -> Any:
        """The optimizer for ``model``'s current trainable parameters."""
        spec = self.spec
        if isinstance(spec, Optimizer) and not _unbound(spec):
            return spec  # given with its parameters: used as is
        params = model.trainable_parameters()
        ids = [id(p) for p in params]
        if self.optimizer is not None and ids == self._built_on:
            return self.optimizer
        if not params:
            raise ValueError(
                f"compile: the model ({type(model).__name__}) has no trainable parameters "
                "to optimize"
            )
        if _unbound(spec) or isinstance(spec, Optimizer):
            spec.set_parameters(params)
            self.optimizer = spec
        elif isinstance(spec, str):
            self.optimizer = get_optimizer(spec, params, **self.kwargs)
        else:
            self.optimizer = spec(params, **self.kwargs)
        self._built_on = ids
        return self.optimizer


def _unbound(opt: Any) -> bool:
    """An optimizer object created without parameters, waiting for ``set_parameters``."""
    return (not isinstance(opt, (str, type)) and hasattr(opt, "set_parameters")
            and not getattr(opt, "params", None))
