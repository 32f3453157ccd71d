"""Guards against silent failures in training: bad numbers in the data, a loss that does not
fit the model's outputs or the targets.

- ``check_numeric(array, name, caller)``: refuse NaN, infinity and non-numbers (``None``,
  strings) with an error naming the argument and the first bad row, as
  ``fit: X has a nan at row 17 (column 3)``. ``fit``, ``evaluate``, ``predict`` and
  ``lr_find`` call it through ``nn.data.prepare_arrays`` unless given ``check_inputs=False``.
- ``final_activation(model)``: the name of the activation a model's outputs come from, when
  the model's structure tells it (a ``Sequential`` ending in ``Dense(..., activation=...)``).
- ``check_loss_and_model``, ``check_targets``, ``check_outputs``: a probability loss on
  logits, ``from_logits=True`` on probabilities, labels outside the loss's range. What is
  certainly wrong raises ``ValueError`` with the fix; what is only likely wrong warns once.
"""

from __future__ import annotations

import functools
import math
import numbers
import warnings
from typing import Any

import numpy as np

from . import losses

__all__ = [
    "LossMismatchWarning",
    "check_data_for_loss",
    "check_loss_and_model",
    "check_numeric",
    "check_outputs",
    "check_targets",
    "final_activation",
    "position",
]


class LossMismatchWarning(UserWarning):
    """The loss probably does not fit the model's outputs or the targets."""


# ---- numbers in the data ----


def position(index: tuple[int, ...]) -> str:
    """'row 17 (column 3)' for a 2-D index, 'row 4' for 1-D, 'row 2 (index (0, 1))' beyond."""
    row = f"row {index[0]}"
    if len(index) == 2:
        return f"{row} (column {index[1]})"
    if len(index) > 2:
        return f"{row} (index {tuple(int(i) for i in index[1:])})"
    return row


def _is_number(value: Any) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return True
    if not isinstance(value, (numbers.Number, np.number)):
        return False
    try:
        return math.isfinite(complex(value).real) and math.isfinite(complex(value).imag)
    except (TypeError, ValueError, OverflowError):
        return False


def _describe(value: Any) -> str:
    if value is None:
        return "None"
    if isinstance(value, (numbers.Number, np.number)):
        text = str(value)
        return f"an {text}" if text.lstrip("-").startswith("inf") else f"a {text}"
    shown = repr(value)
    shown = shown if len(shown) <= 30 else shown[:27] + "..."
    return f"a {type(value).__name__} {shown}"


def check_numeric(array: np.ndarray, name: str, caller: str) -> np.ndarray:
    """``array`` if it holds only finite numbers (an object array of numbers is converted);
    otherwise ValueError naming ``name``, the first bad value and its row."""
    kind = array.dtype.kind
    if kind in "biu":
        return array
    if kind in "fc":
        with np.errstate(over="ignore", invalid="ignore"):
            if np.isfinite(array.sum()):  # one pass, no temporary: the usual case
                return array
        finite = np.isfinite(array)
        if finite.all():
            return array  # the sum overflowed, every value is finite
        index = np.unravel_index(int(np.argmin(finite.reshape(-1))), array.shape)
        bad = array[index]
        raise ValueError(
            f"{caller}: {name} has {_describe(bad)} at {position(index)}; replace or drop the "
            f"non-finite values (or pass check_inputs=False to train on them anyway)"
        )
    if kind == "O":
        bad = next(((i, v) for i, v in np.ndenumerate(array) if not _is_number(v)), None)
        if bad is None:
            return np.array(array.tolist())  # numbers only: a numeric array
        index, value = bad
        raise ValueError(
            f"{caller}: {name} has {_describe(value)} at {position(index)}; {name} must hold "
            "finite numbers only"
        )
    if kind in "USV":
        first = array.reshape(-1)[0] if array.size else ""
        raise ValueError(
            f"{caller}: {name} holds text (dtype {array.dtype}, e.g. {first!r} at "
            f"{position(np.unravel_index(0, array.shape))}); encode it as numbers first "
            "(class labels as integers 0..k-1)"
        )
    raise ValueError(f"{caller}: {name} has dtype {array.dtype}; it must hold numbers")


# ---- what the model outputs ----

PROBABILITY = ("sigmoid", "softmax", "step", "hard_sigmoid")  # outputs in [0, 1]
_PASS_THROUGH = ("Dropout", "Flatten", "Reshape")  # keep the values they are given


def _method(obj: Any, method: str) -> str:
    """The qualified name of the class method ``obj`` runs (``"Dense.forward"``): a subclass
    that overrides it is not taken for its parent. Duck-typed, so this module imports no
    layer (no import cycle)."""
    return getattr(getattr(type(obj), method, None), "__qualname__", "")


def _last_layer(model: Any) -> Any:
    """The innermost last layer that changes values (None when a ``forward`` is custom)."""
    while _method(model, "forward") == "Sequential.forward":
        layers = [x for x in model.layers if type(x).__name__ not in _PASS_THROUGH]
        if not layers:
            return None
        model = layers[-1]
    return model


def final_activation(model: Any) -> str | None:
    """The name of the activation the model's outputs pass last ("linear" for none), or
    None when the structure does not tell (a custom ``forward``, an unknown layer)."""
    from .activations import ACTIVATIONS, activation_name

    layer = _last_layer(model)
    forward = _method(layer, "forward")
    if forward == "Maxout.forward":
        return "linear"
    if forward not in ("Dense.forward", "Perceptron.forward", "Activation.forward"):
        return None
    fn = getattr(layer, "activation", None)
    name = activation_name(fn)
    return name if ACTIVATIONS.get(name) is fn else None  # a user's own function: unknown


def _last_layer_label(model: Any) -> str:
    layer = _last_layer(model)
    label = getattr(layer, "_label", None)
    text = label() if callable(label) else type(layer).__name__
    units = getattr(layer, "units", None)
    return f"{text}, {units} unit{'s' * (units != 1)}" if isinstance(units, int) else text


def _output_width(model: Any) -> int | None:
    """The number of output units when the structure tells it (a Dense at the end)."""
    while _method(model, "forward") == "Sequential.forward" and model.layers:
        model = model.layers[-1]
    units = getattr(model, "units", None)
    return units if _method(model, "forward") == "Dense.forward" and isinstance(
        units, int) else None


# ---- the loss against the outputs and the targets ----

_PROBABILITY_LOSSES = {
    losses.binary_crossentropy: "sigmoid",
    losses.categorical_crossentropy: "softmax",
    losses.sparse_categorical_crossentropy: "softmax",
}


def _base(fn: Any) -> Any:
    while isinstance(fn, functools.partial):
        fn = fn.func
    return fn


def _warn(message: str) -> None:
    warnings.warn(message, LossMismatchWarning, stacklevel=4)


def _steps_are_own(model: Any) -> bool:
    """Whether the loss sees ``model(x)`` itself (train_step and test_step not overridden)."""
    return (_method(model, "train_step") == "Trainer.train_step"
            and _method(model, "test_step") == "Trainer.test_step")


def check_loss_and_model(model: Any, compiled_loss: Any, caller: str = "compile") -> None:
    """Refuse a cross-entropy whose ``from_logits`` contradicts the model's last activation."""
    fn = _base(compiled_loss.fn)
    wanted = _PROBABILITY_LOSSES.get(fn)
    if wanted is None or not _steps_are_own(model):
        return
    act = final_activation(model)
    if act is None:
        return  # the first batch's outputs decide (check_outputs)
    # the structure is known and checked here, so the values need not be (a Dropout after
    # a softmax scales probabilities above 1 in training, and that is not a mistake)
    compiled_loss.outputs_checked = True
    name, where = compiled_loss.name, _last_layer_label(model)
    if compiled_loss.from_logits and act in ("sigmoid", "softmax"):
        raise ValueError(
            f"{caller}: the loss {name} was given from_logits=True, but the model's last layer "
            f"({where}) applies {act}, so its outputs are probabilities, not logits; remove "
            f"activation={act!r} from the last layer (recommended: more stable), or drop "
            "from_logits=True"
        )
    if not compiled_loss.from_logits and act not in PROBABILITY:
        raise ValueError(
            f"{caller}: the loss {name} expects probabilities, but the model's last layer "
            f"({where}) has activation {act!r}, so its outputs are not probabilities; pass "
            f"from_logits=True to compile (recommended), or give the last layer "
            f"activation={wanted!r}"
        )
    if act == "softmax" and fn is losses.binary_crossentropy:
        width = _output_width(model)
        if width == 1:
            raise ValueError(
                f"{caller}: the model's last layer ({where}) applies softmax to one unit, "
                "which always outputs 1; use activation='sigmoid' for binary_crossentropy"
            )
    if act == "sigmoid" and fn is not losses.binary_crossentropy:
        _warn(f"{caller}: the loss {name} expects one probability distribution per sample, "
              f"but the model's last layer ({where}) applies sigmoid, whose outputs do not "
              "sum to 1; use activation='softmax' (or from_logits=True without an "
              "activation), or binary_crossentropy for multi-label targets")


def check_outputs(compiled_loss: Any, y_pred: Any) -> None:
    """On the first batch: a probability loss (without from_logits) must get outputs in
    [0, 1]; from_logits=True on rows that are all probability distributions warns."""
    fn = _base(compiled_loss.fn)
    if fn not in _PROBABILITY_LOSSES:
        return
    while hasattr(y_pred, "primal"):  # a Dual, as in gradcheck
        y_pred = y_pred.primal
    p = np.asarray(getattr(y_pred, "data", y_pred))
    if p.size == 0 or p.dtype.kind not in "fiu" or not np.isfinite(p).all():
        return
    lo, hi = float(p.min()), float(p.max())
    name = compiled_loss.name
    if not compiled_loss.from_logits:
        if lo < -1e-6 or hi > 1 + 1e-6:
            raise ValueError(
                f"the loss {name} expects probabilities in [0, 1], but the model's outputs "
                f"on the first batch range from {lo:.4g} to {hi:.4g} (logits?); pass "
                f"from_logits=True to compile, or end the model with activation="
                f"{_PROBABILITY_LOSSES[fn]!r}"
            )
        return
    if p.ndim >= 2 and p.shape[-1] > 1 and lo >= 0 and hi <= 1 and \
            np.allclose(p.sum(axis=-1), 1, atol=1e-4):
        _warn(f"the loss {name} was given from_logits=True, but every row of the "
              "model's outputs sums to 1, as after a softmax; if the model ends with softmax, "
              "remove it (or drop from_logits=True)")


def _values(y: np.ndarray) -> str:
    shown = np.unique(y)
    text = ", ".join(f"{v:g}" for v in shown[:6].tolist())
    return "{" + text + (", ..." if len(shown) > 6 else "") + "}"


def _first(mask: np.ndarray) -> tuple[int, ...]:
    return tuple(int(i) for i in np.unravel_index(int(np.argmax(mask.reshape(-1))), mask.shape))


def check_data_for_loss(model: Any, y: np.ndarray | None, caller: str = "fit",
                        name: str = "y") -> None:
    """``check_targets`` with the model's output width when its structure tells it."""
    if y is not None and getattr(model, "compiled_loss", None) is not None:
        check_targets(model.compiled_loss, y, caller, _output_width(model), name)


def check_targets(compiled_loss: Any, y: np.ndarray | None, caller: str = "fit",
                  n_outputs: int | None = None, name: str = "y") -> None:
    """Refuse targets outside the loss's range (binary_crossentropy on {0, 1, 2}), naming
    the first bad row and the loss to use; warn on likely mistakes."""
    if y is None or y.dtype.kind not in "biuf" or y.size == 0:
        return
    fn = _base(compiled_loss.fn)
    loss = compiled_loss.name
    if fn in (losses.binary_crossentropy, losses.categorical_crossentropy):
        bad = (y < 0) | (y > 1)
        if bad.any():
            index = _first(bad)
            values = np.unique(y)
            integers = bool(np.all(values == np.rint(values)))
            if integers and values.min() >= 0:
                k = int(values.max()) + 1
                fix = (f"for {k} classes labelled 0..{k - 1} use "
                       f"sparse_categorical_crossentropy with {k} output units")
            elif set(values.tolist()) <= {-1, 1}:
                fix = "map -1/1 labels to 0/1 with (y + 1) / 2, or use the hinge loss"
            else:
                fix = "targets of a cross-entropy are probabilities"
            raise ValueError(
                f"{caller}: the loss {loss} needs targets in [0, 1], but {name} has "
                f"{y[index]:g} at {position(index)} (values {_values(y)}); {fix}"
            )
        if fn is losses.categorical_crossentropy and y.ndim >= 2 and y.shape[-1] > 1:
            sums = y.sum(axis=-1)
            if not np.allclose(sums, 1, atol=1e-3):
                row = _first(~np.isclose(sums, 1, atol=1e-3))
                _warn(f"{caller}: the loss {loss} expects one-hot (or probability) targets "
                      f"that sum to 1, but the targets at {position(row)} sum to "
                      f"{sums[row]:g}; for multi-label targets use binary_crossentropy with "
                      "sigmoid outputs")
        return
    if fn is losses.sparse_categorical_crossentropy:
        bad = (y != np.rint(y)) | (y < 0)
        if n_outputs is not None:
            bad |= y >= n_outputs
        if bad.any():
            index = _first(bad)
            upper = f"{n_outputs - 1}" if n_outputs is not None else "k-1"
            fix = "labels are class numbers 0..k-1 for k output units"
            if n_outputs == 1:
                fix = ("the model has one output unit; for two classes use "
                       "binary_crossentropy (one sigmoid unit) or give the model 2 units")
            elif n_outputs is not None and not (y < 0).any() and np.all(y == np.rint(y)):
                fix = f"give the model's last layer {int(y.max()) + 1} units"
            raise ValueError(
                f"{caller}: the loss {loss} needs integer labels in 0..{upper}, but {name} has "
                f"{y[index]:g} at {position(index)} (values {_values(y)}); {fix}"
            )
        return
    if fn in (losses.hinge, losses.perceptron):
        values = set(np.unique(y).tolist())
        if not (values <= {-1, 1} or values <= {0, 1}):
            _warn(f"{caller}: the loss {loss} expects labels -1/1 (or 0/1), but {name} holds "
                  f"{_values(y)}; for several classes use sparse_categorical_crossentropy")
