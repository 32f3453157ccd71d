"""Losses in Keras's argument order: ``loss(y_true, y_pred, sample_weight, class_weight)``.

Every loss takes Tensors or arrays and returns a 0-d Tensor, in ``y_pred``'s dtype. ``y_true``
is a target: its values are used, no gradient flows to it.

Reduction, as Keras's default ``"sum_over_batch_size"``: a per-sample loss is computed (the
mean over the last axis, or the cross-entropy over the classes), multiplied by the weights,
summed and divided by the number of per-sample losses (the batch size, times the extra axes
for per-timestep or per-pixel targets). ``sse`` alone sums instead of averaging.

Weights:

- ``sample_weight``: shape (batch,) or any prefix of the per-sample loss shape, e.g.
  (batch, timesteps) for per-timestep weights.
- ``class_weight``: {class: weight}, classes not listed weigh 1. The class of a target is its
  argmax for one-hot targets (categorical), its value for integer targets (sparse) and for
  binary or {-1, 1} targets (elementwise losses, where each element gets its own weight).
  Targets with extra axes get one weight per timestep or pixel.

Stability: ``from_logits=True`` never forms a probability; binary cross-entropy uses
softplus(z) - y z and the categorical ones log_softmax (a log-sum-exp). Probabilities are
clipped to [1e-7, 1 - 1e-7] before the log, as Keras does.

Graphs: each loss is marked as a composite (``autograd_core.viz.composite``), so
``viz.draw`` shows it as one box named after it (``collapse=False`` shows its ops).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

import autograd_core as ag

from .registry import lookup

EPSILON = 1e-7  # Keras's backend.epsilon(): how far from 0 and 1 probabilities are clipped

Loss = Callable[..., Any]


# ---- inputs ----


def _pred(name: str, y_pred: Any) -> ag.Tensor:
    if isinstance(y_pred, (ag.Tensor, ag.Dual)):  # a Dual: forward mode, as in gradcheck
        if y_pred.dtype.kind != "f":
            raise TypeError(f"{name}: y_pred must be floating point, got dtype {y_pred.dtype}")
        return y_pred
    arr = np.asarray(y_pred)
    return ag.Tensor(arr if arr.dtype.kind == "f" else arr.astype(np.float64))


def _raw(value: Any) -> np.ndarray:
    return np.asarray(value.data if isinstance(value, ag.Tensor) else value)


def align_targets(name: str, y_true: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """``y_true`` reshaped to ``shape`` (y_pred's); only a trailing axis of 1 may differ.

    The one target alignment of ``nn``: the losses and the metrics (``nn.metrics``) use it.
    """
    if y_true.shape == shape:
        return y_true
    if y_true.shape + (1,) == shape or y_true.shape == shape + (1,):
        return y_true.reshape(shape)
    raise ValueError(
        f"{name}: y_true has shape {y_true.shape} but y_pred has shape {shape}; they must "
        "match (a trailing axis of length 1 may differ)"
    )


def _targets(name: str, y_true: Any, p: ag.Tensor) -> np.ndarray:
    """y_true in y_pred's dtype and shape; a trailing axis of 1 on either side is allowed."""
    return align_targets(name, _raw(y_true), tuple(p.shape)).astype(p.dtype, copy=False)


def _in_graph(y_true: Any, t: np.ndarray) -> Any:
    """The target as it enters the graph: the caller's Tensor when its values are used as they
    are (so that a drawn graph shows its name, e.g. ``y``), else the array ``t``."""
    if isinstance(y_true, ag.Tensor) and y_true.data is t and not y_true.requires_grad:
        return y_true
    return t


def _class_weights(class_weight: Mapping[Any, float], classes: np.ndarray) -> np.ndarray:
    """The weight of each target's class; classes missing from ``class_weight`` weigh 1."""
    classes = np.rint(classes).astype(np.int64)
    w = np.ones(classes.shape)
    for cls, weight in class_weight.items():
        w[classes == int(cls)] = weight
    return w


def _align_sample_weight(name: str, sw: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    if sw.shape == shape or sw.ndim == 0:
        return sw
    if sw.ndim < len(shape) and sw.shape == shape[: sw.ndim]:
        return sw.reshape(sw.shape + (1,) * (len(shape) - sw.ndim))  # per sample, all timesteps
    if sw.shape == shape + (1,):
        return sw.reshape(shape)
    raise ValueError(
        f"{name}: sample_weight has shape {sw.shape}, which does not fit the per-sample "
        f"losses of shape {shape}"
    )


def _reduce(
    name: str, per_sample: ag.Tensor, sample_weight: Any, class_w: np.ndarray | None,
    average: bool = True,
) -> ag.Tensor:
    """Weight the per-sample losses and reduce them to a 0-d Tensor."""
    w = class_w
    if sample_weight is not None:
        sw = _align_sample_weight(name, _raw(sample_weight), per_sample.shape)
        w = sw if w is None else w * sw
    if w is not None:
        per_sample = per_sample * np.asarray(w, dtype=per_sample.dtype)
    # mean is one node and the same float as sum() / size
    return ag.mean(per_sample) if average else per_sample.sum()


def _last_axis(elem: ag.Tensor, how: str = "mean") -> ag.Tensor:
    """Per-sample losses from elementwise ones: reduce the last axis (1-d: one per sample)."""
    if elem.ndim < 2:
        return elem
    return elem.mean(axis=-1) if how == "mean" else elem.sum(axis=-1)


def _to_plus_minus_one(t: np.ndarray) -> np.ndarray:
    """0/1 labels become -1/1 (Keras does the same for hinge); -1/1 labels stay."""
    if np.all((t == 0) | (t == 1)):
        return 2 * t - 1
    return t


# ---- regression ----


def _errors(name: str, y_true: Any, y_pred: Any, class_weight: Any,
            term: Callable[[Any], Any]) -> ag.Tensor:
    """Elementwise ``term(y_pred - y_true)``, times the class weights when given."""
    p = _pred(name, y_pred)
    t = _targets(name, y_true, p)
    elem = term(p - _in_graph(y_true, t))
    if class_weight is not None:
        elem = elem * _class_weights(class_weight, t).astype(p.dtype)
    return elem


def _square(d: Any) -> Any:
    return d * d


@ag.viz.composite("mse")
def mse(y_true: Any, y_pred: Any, sample_weight: Any = None, class_weight: Any = None
        ) -> ag.Tensor:
    """Mean squared error: mean over the last axis of (y_pred - y_true)^2, then over samples."""
    elem = _errors("mse", y_true, y_pred, class_weight, _square)
    return _reduce("mse", _last_axis(elem), sample_weight, None)


@ag.viz.composite("mae")
def mae(y_true: Any, y_pred: Any, sample_weight: Any = None, class_weight: Any = None
        ) -> ag.Tensor:
    """Mean absolute error: mean of |y_pred - y_true| (gradient 0 where they are equal)."""
    elem = _errors("mae", y_true, y_pred, class_weight, ag.abs)
    return _reduce("mae", _last_axis(elem), sample_weight, None)


@ag.viz.composite("sse")
def sse(y_true: Any, y_pred: Any, sample_weight: Any = None, class_weight: Any = None
        ) -> ag.Tensor:
    """Sum of squared errors: sum over everything of (y_pred - y_true)^2 (no 1/2, no mean)."""
    elem = _errors("sse", y_true, y_pred, class_weight, _square)
    return _reduce("sse", _last_axis(elem, "sum"), sample_weight, None, average=False)


# ---- classification ----


@ag.viz.composite("binary_crossentropy")
def binary_crossentropy(
    y_true: Any, y_pred: Any, sample_weight: Any = None, class_weight: Any = None, *,
    from_logits: bool = False,
) -> ag.Tensor:
    """-(y log p + (1 - y) log(1 - p)), averaged over the last axis, then over samples.

    With ``from_logits``, y_pred is z = logit(p) and the loss is softplus(z) - y z, exact for
    any z. Otherwise p is clipped to [1e-7, 1 - 1e-7].
    """
    p = _pred("binary_crossentropy", y_pred)
    t = _targets("binary_crossentropy", y_true, p)
    y = _in_graph(y_true, t)
    if from_logits:
        elem = ag.softplus(p) - y * p
    else:
        q = ag.clip(p, EPSILON, 1.0 - EPSILON)
        elem = -(y * ag.log(q) + (1 - y) * ag.log(1 - q))
    if class_weight is not None:
        elem = elem * _class_weights(class_weight, t).astype(p.dtype)
    return _reduce("binary_crossentropy", _last_axis(elem), sample_weight, None)


def _check_same_shape(name: str, t: np.ndarray, p: ag.Tensor) -> None:
    if t.shape != p.shape:
        hint = ""
        if t.shape == p.shape[:-1] or t.shape == p.shape[:-1] + (1,):
            hint = "; for integer labels use sparse_categorical_crossentropy"
        raise ValueError(
            f"{name}: y_true has shape {t.shape} but y_pred has shape {p.shape}; one-hot "
            f"targets must have y_pred's shape{hint}"
        )


def _categorical(name: str, onehot: Any, p: ag.Tensor, from_logits: bool) -> ag.Tensor:
    if from_logits:
        # one fused node, the same floats as -(log_softmax(p) * onehot).sum(-1)
        return ag.softmax_cross_entropy(p, onehot, axis=-1)
    q = p / p.sum(axis=-1, keepdims=True)  # Keras rescales so each row sums to 1
    log_q = ag.log(ag.clip(q, EPSILON, 1.0 - EPSILON))
    return -(log_q * onehot).sum(axis=-1)


@ag.viz.composite("categorical_crossentropy")
def categorical_crossentropy(
    y_true: Any, y_pred: Any, sample_weight: Any = None, class_weight: Any = None, *,
    from_logits: bool = False,
) -> ag.Tensor:
    """-sum_c y_c log p_c over the last (class) axis, averaged over samples; y one-hot.

    With ``from_logits``, log p = log_softmax(z) (a log-sum-exp, exact for any z). Otherwise
    p is rescaled to sum to 1 and clipped to [1e-7, 1 - 1e-7].
    """
    name = "categorical_crossentropy"
    p = _pred(name, y_pred)
    t = _raw(y_true)
    _check_same_shape(name, t, p)
    t = t.astype(p.dtype, copy=False)
    per_sample = _categorical(name, _in_graph(y_true, t), p, from_logits)
    cw = None if class_weight is None else _class_weights(class_weight, np.argmax(t, axis=-1))
    return _reduce(name, per_sample, sample_weight, cw)


@ag.viz.composite("sparse_categorical_crossentropy")
def sparse_categorical_crossentropy(
    y_true: Any, y_pred: Any, sample_weight: Any = None, class_weight: Any = None, *,
    from_logits: bool = False,
) -> ag.Tensor:
    """categorical_crossentropy with integer labels: y_true has y_pred's shape without the
    class axis (or with a class axis of length 1)."""
    name = "sparse_categorical_crossentropy"
    p = _pred(name, y_pred)
    t = _raw(y_true)
    if p.ndim == 0:
        raise ValueError(f"{name}: y_pred needs a class axis, got a scalar")
    if t.shape == p.shape[:-1] + (1,) and p.ndim > 0:
        t = t.reshape(p.shape[:-1])
    if t.shape != p.shape[:-1]:
        raise ValueError(
            f"{name}: y_true has shape {t.shape} but y_pred has shape {p.shape}; integer labels "
            f"must have shape {p.shape[:-1]} (y_pred's without the class axis)"
        )
    n_classes = p.shape[-1]
    labels = np.rint(t).astype(np.int64)
    if np.any(labels != t) or np.any((labels < 0) | (labels >= n_classes)):
        bad = t[(labels != t) | (labels < 0) | (labels >= n_classes)]
        raise ValueError(
            f"{name}: labels must be integers in [0, {n_classes}), found {bad.ravel()[:5].tolist()}"
        )
    onehot = (labels[..., None] == np.arange(n_classes)).astype(p.dtype)
    per_sample = _categorical(name, onehot, p, from_logits)
    cw = None if class_weight is None else _class_weights(class_weight, labels)
    return _reduce(name, per_sample, sample_weight, cw)


@ag.viz.composite("hinge")
def hinge(y_true: Any, y_pred: Any, sample_weight: Any = None, class_weight: Any = None
          ) -> ag.Tensor:
    """mean of max(1 - y * y_pred, 0); labels -1/1 (0/1 labels are mapped to -1/1 as in Keras)."""
    p = _pred("hinge", y_pred)
    t = _targets("hinge", y_true, p)
    elem = ag.relu(1 - _to_plus_minus_one(t) * p)
    if class_weight is not None:
        elem = elem * _class_weights(class_weight, t).astype(p.dtype)
    return _reduce("hinge", _last_axis(elem), sample_weight, None)


@ag.viz.composite("perceptron")
def perceptron(y_true: Any, y_pred: Any, sample_weight: Any = None, class_weight: Any = None
               ) -> ag.Tensor:
    """mean of max(-y * y_pred, 0): the perceptron criterion; labels -1/1 (or 0/1, mapped)."""
    p = _pred("perceptron", y_pred)
    t = _targets("perceptron", y_true, p)
    elem = ag.relu(-(_to_plus_minus_one(t) * p))
    if class_weight is not None:
        elem = elem * _class_weights(class_weight, t).astype(p.dtype)
    return _reduce("perceptron", _last_axis(elem), sample_weight, None)


LOSSES: dict[str, Loss] = {
    "mse": mse,
    "mean_squared_error": mse,
    "mae": mae,
    "mean_absolute_error": mae,
    "sse": sse,
    "sum_squared_error": sse,
    "binary_crossentropy": binary_crossentropy,
    "bce": binary_crossentropy,
    "categorical_crossentropy": categorical_crossentropy,
    "sparse_categorical_crossentropy": sparse_categorical_crossentropy,
    "hinge": hinge,
    "perceptron": perceptron,
}


def get_loss(identifier: str | Loss, **kwargs: Any) -> Loss:
    """A loss from its name (``"mse"``) or a callable; ``kwargs`` (from_logits=...) are bound."""
    fn = lookup("loss", LOSSES, identifier)
    return functools.partial(fn, **kwargs) if kwargs else fn
