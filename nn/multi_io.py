"""Several inputs and outputs in ``fit``/``evaluate``/``predict`` (functional models).

    model = nn.Model([a, b], {"score": s, "label": c})
    model.compile("adam", loss={"score": "mse", "label": "sparse_categorical_crossentropy"},
                  loss_weights={"score": 1.0, "label": 0.5},
                  metrics={"score": ["mae"], "label": ["accuracy"]})
    model.fit([Xa, Xb], {"score": ys, "label": yc})

Inputs and targets are given as Keras does: a list in the order of ``model.inputs`` /
``model.outputs``, or a dict keyed by the Input names (or the dict keys the model was built
with) and the output names. The trainer's data pipeline carries them as ``Columns``, several
arrays with one samples axis that slice together. The loss is the weighted sum of one loss
per output; the logs hold it as ``loss``, each output's as ``<output>_loss`` and each metric
as ``<output>_<metric>``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

import autograd_core as ag

from .compile_utils import CompileLoss, CompileMetrics, _accepts
from .data import Columns
from .losses import get_loss

__all__ = ["MultiLoss", "MultiMetrics", "structure_inputs", "structure_targets"]


def _graph(model: Any) -> bool:
    return bool(vars(model).get("_graph"))


def _pick(data: Any, keys: list[str], aliases: list[str], what: str, caller: str) -> list[Any]:
    """The arrays of ``data`` (a dict or a list) in the order of ``keys``."""
    if isinstance(data, Mapping):
        out = []
        for key, alias in zip(keys, aliases):
            if key in data:
                out.append(data[key])
            elif alias in data:
                out.append(data[alias])
            else:
                raise ValueError(f"{caller}: {what} has no entry for {key!r}; it has "
                                 f"{list(data)}, the model needs {keys}")
        extra = sorted(set(data) - set(keys) - set(aliases))
        if extra:
            raise ValueError(f"{caller}: {what} has entries {extra} the model does not have "
                             f"(it has {keys})")
        return out
    if not isinstance(data, (list, tuple)) or len(data) != len(keys):
        got = f"{len(data)} arrays" if isinstance(data, (list, tuple)) else "one array"
        raise ValueError(f"{caller}: the model has {len(keys)} {what} {keys}: give a list of "
                         f"{len(keys)} arrays or a dict keyed by those names; got {got}")
    return list(data)


def structure_inputs(model: Any, X: Any, caller: str = "fit") -> Any:
    """``X`` as the pipeline carries it: Columns for a model with several inputs."""
    if not _graph(model) or X is None or isinstance(X, Columns):
        return X
    names = model.input_names
    struct = model._input_struct
    aliases = list(struct) if isinstance(struct, Mapping) else names
    if len(names) == 1:
        return _pick(X, aliases, names, "inputs", caller)[0] if isinstance(X, Mapping) else X
    return Columns(_pick(X, aliases, names, "inputs", caller), aliases, f"{caller}: X")


def structure_targets(model: Any, y: Any, caller: str = "fit") -> Any:
    """``y`` as the pipeline carries it: Columns for a model with several outputs."""
    if not _graph(model) or y is None or isinstance(y, Columns):
        return y
    names = model.output_names
    if len(names) == 1:
        return _pick(y, names, names, "outputs", caller)[0] if isinstance(y, Mapping) else y
    return Columns(_pick(y, names, names, "outputs", caller), names, f"{caller}: y")


def multi_output(model: Any, loss: Any) -> bool:
    """Whether ``compile`` needs one loss per output."""
    return _graph(model) and (len(model.outputs) > 1 or isinstance(loss, (Mapping, list)))


def _per_output(value: Any, names: list[str], what: str, default: Any) -> list[Any]:
    """One entry per output from a dict keyed by output name, a list, or one shared value."""
    if isinstance(value, Mapping):
        extra = sorted(set(value) - set(names))
        if extra:
            raise ValueError(f"compile: {what} names outputs {extra} the model does not have "
                             f"(its outputs: {names})")
        return [value.get(n, default) for n in names]
    if isinstance(value, (list, tuple)) and what != "metrics":
        if len(value) != len(names):
            raise ValueError(f"compile: {what} has {len(value)} entries for {len(names)} "
                             f"outputs {names}")
        return list(value)
    return [value] * len(names)


def _leaves(y: Any) -> list[Any]:
    if isinstance(y, Columns):
        return y.arrays
    if isinstance(y, Mapping):
        return list(y.values())
    return list(y) if isinstance(y, (list, tuple)) else [y]


class MultiLoss:
    """The compiled loss of a model with several outputs: ``sum(weight * loss_i)``."""

    def __init__(self, model: Any, loss: Any, from_logits: bool | None,
                 loss_weights: Any = None) -> None:
        self.outputs = model.output_names
        losses = _per_output(loss, self.outputs, "loss", None)
        weights = _per_output(1.0 if loss_weights is None else loss_weights, self.outputs,
                              "loss_weights", 0.0)
        # from_logits goes to the outputs whose loss takes it (the cross-entropies)
        self.parts = [None if spec is None else CompileLoss(
            spec, from_logits if _accepts(get_loss(spec), "from_logits") else None)
            for spec in losses]
        if all(p is None for p in self.parts):
            raise ValueError(f"compile: no output has a loss (outputs {self.outputs})")
        self.weights = [float(w) for w in weights]
        self.name = ", ".join(f"{n}: {p.name}" for n, p in zip(self.outputs, self.parts) if p)
        self.spec, self.loss_weights, self.from_logits = loss, loss_weights, from_logits
        self.last: list[float] = [math.nan] * len(self.parts)

    @property
    def threshold(self) -> float:
        """The first output's accuracy threshold (each output's metrics use their own)."""
        return next(p.threshold for p in self.parts if p is not None)

    def check_weights(self, sample_weight: Any, class_weight: Any) -> None:
        if class_weight is not None:
            raise ValueError("fit: class_weight works for a model with one output; with "
                             f"several ({self.outputs}), weight the samples with sample_weight")
        for p in self.parts:
            if p is not None:
                p.check_weights(sample_weight, None)

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None,
                 class_weight: Any = None) -> ag.Tensor:
        targets, preds = _leaves(y_true), _leaves(y_pred)
        total = None
        for i, (part, w) in enumerate(zip(self.parts, self.weights)):
            if part is None:
                continue
            value = part(targets[i], preds[i], sample_weight, None)
            self.last[i] = float(value.data)
            term = value * w if w != 1.0 else value
            total = term if total is None else total + term
        return total


class MultiMetrics:
    """The running loss, each output's loss and each output's metrics (Keras's names)."""

    def __init__(self, loss: MultiLoss, metrics: Any = None) -> None:
        self.loss, self.specs = loss, metrics
        per = _per_output(metrics, loss.outputs, "metrics", None)
        self.trackers = []
        for name, part, spec in zip(loss.outputs, loss.parts, per):
            threshold = part.threshold if part is not None else 0.5
            self.trackers.append((name, CompileMetrics(spec, threshold)))
        self.reset_state()

    @property
    def names(self) -> list[str]:
        """``<output>_loss`` for each output with a loss, then ``<output>_<metric>``."""
        out = [f"{n}_loss" for n, p in zip(self.loss.outputs, self.loss.parts) if p is not None]
        return out + [f"{n}_{m}" for n, t in self.trackers for m in t.names]

    def fresh(self) -> MultiMetrics:
        """A new, empty tracker of the same metrics."""
        return MultiMetrics(self.loss, self.specs)

    def reset_state(self) -> None:
        """Forget every batch seen."""
        self.total, self.count = 0.0, 0
        for _, t in self.trackers:
            t.reset_state()

    def update_state(self, y_true: Any, y_pred: Any, loss: float, n: int) -> None:
        """Add one batch: targets and outputs (per output), its total loss and its size."""
        self.total += loss * n
        self.count += n
        targets, preds = _leaves(y_true), _leaves(y_pred)
        for i, (_, t) in enumerate(self.trackers):
            t.update_state(targets[i], np.asarray(preds[i]), self.loss.last[i], n)

    def result(self) -> dict[str, float]:
        """``{"loss": ..., "<output>_loss": ..., "<output>_<metric>": ...}``."""
        logs = {"loss": self.total / self.count if self.count else math.nan}
        for (name, t), part in zip(self.trackers, self.loss.parts):
            own = t.result()
            if part is not None:
                logs[f"{name}_loss"] = own.pop("loss")
            else:
                own.pop("loss")
            logs.update({f"{name}_{k}": v for k, v in own.items()})
        return logs
