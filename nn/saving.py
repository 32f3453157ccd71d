"""A model's state and files: ``load_state_dict``, weights files (``save_weights``/
``load_weights``) and whole-model files (``model.save``/``nn.load_model``); the file format is
in ``nn.io``.

A model file is one safetensors file: the weights as tensors (named as in ``state_dict``),
the optimizer's per-weight state as tensors under ``optimizer/``, and in the header's metadata
a JSON document with the architecture (Keras's ``{"class_name", "config"}`` of the model), the
compile configuration and the optimizer's configuration and step count. Loading parses JSON
and copies bytes: no pickle, and no code from the file runs. Classes are looked up by name
among the layers defined in the process (every ``Module`` subclass registers itself),
``custom_objects=``, and classes decorated with ``nn.register_serializable()``.
"""

from __future__ import annotations

import functools
import json
import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

import autograd_core as ag

from . import io
from .losses import LOSSES
from .optim import OPTIMIZERS, Optimizer
from .registry import LAYER_CLASSES, custom_object_scope, deserialize_layer, serialize_layer

__all__ = ["load_model", "load_state_dict", "load_weights", "register_serializable",
           "save_model", "save_weights"]


def _architecture(model: Any) -> str:
    try:
        return model.summary(print_fn=None)
    except Exception:  # a summary is a courtesy in the file; never a reason not to save
        return repr(model)


def _require_built(model: Any, caller: str) -> None:
    unbuilt = model._unbuilt()
    if unbuilt:
        path, m = unbuilt[0]
        raise ValueError(
            f"{caller}: layer {path or '(root)'!r} ({type(m).__name__}) is not built, so its "
            "weights do not exist yet; give it input_dim=..., or call the model on a batch first"
        )


def _natural(name: str) -> list[Any]:
    """Sort key that puts ``layers.2`` before ``layers.10``."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in name.split(".")]


def save_weights(model: Any, path: str | os.PathLike) -> None:
    """Write every parameter (name, shape, dtype, values) and the model's summary, atomically."""
    _require_built(model, "save_weights")
    state = {name: p.data for name, p in model.named_parameters()}
    metadata = {"model_class": type(model).__name__, "architecture": _architecture(model)}
    io.save_state(path, state, metadata)


def load_weights(model: Any, path: str | os.PathLike, strict: bool = True) -> Any:
    """Load a ``save_weights`` file, checking every name and shape before changing anything."""
    _require_built(model, "load_weights")
    state, metadata = io.load_state(path)
    expected = {name: (p.shape, None) for name, p in model.named_parameters()}
    # the file's order is not kept by the reader: the model's order, then the rest by name,
    # so that errors list names the same way every time
    state = {**{k: state[k] for k in expected if k in state},
             **{k: state[k] for k in sorted(state, key=_natural) if k not in expected}}
    try:
        io.validate_state(expected, state, source=path, strict=strict)
    except io.StateMismatchError as e:
        saved = metadata.get("architecture")
        message = str(e)
        if saved:
            message += "\nThe file was saved from this model:\n" + saved
        raise io.StateMismatchError(message, e.missing, e.unexpected, e.mismatched) from None
    # values are cast to each parameter's dtype, as load_state_dict does
    return model.load_state_dict(state, strict=strict)


def load_state_dict(model: Any, state: Mapping[str, Any], strict: bool = True
                    ) -> tuple[list[str], list[str]]:
    """``model.load_state_dict``: check every name and shape, then copy; (missing, unexpected)."""
    own = dict(model.named_parameters())
    unbuilt = model._unbuilt()
    if strict and unbuilt:
        path, m = unbuilt[0]
        raise ValueError(
            f"load_state_dict: layer {path or '(root)'!r} ({type(m).__name__}) is not built, "
            "so its weights do not exist yet; give it input_dim=..., or call the model on "
            "a batch, before loading"
        )
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    if strict and (missing or unexpected):
        parts = []
        if missing:
            parts.append(f"missing from the state dict: {', '.join(missing)}")
        if unexpected:
            parts.append(f"not in the model: {', '.join(unexpected)}")
        raise ValueError("load_state_dict: " + "; ".join(parts))
    updates = []
    for name, p in own.items():
        if name not in state:
            continue
        value = state[name]
        raw = value.data if isinstance(value, ag.Tensor) else value
        try:
            arr = np.asarray(raw, dtype=p.dtype)
        except (TypeError, ValueError) as e:
            raise TypeError(
                f"load_state_dict: value for {name!r} is not numeric: {e}"
            ) from None
        if arr.shape != p.shape:
            raise ValueError(
                f"load_state_dict: parameter {name!r} has shape {p.shape} in the model but "
                f"{arr.shape} in the state dict"
            )
        updates.append((p, arr))
    for p, arr in updates:
        p.assign_(arr)
    return missing, unexpected


# ---- whole-model files ----

CONFIG_KEY = "autograd_core.model_config"
FORMAT = "autograd_core.model"
VERSION = 1
_OPT_PREFIX = "optimizer/"


def register_serializable(package: str = "Custom", name: str | None = None) -> Any:
    """Class decorator (Keras's ``register_keras_serializable``): saved files name the class
    ``"package>Name"``, and ``load_model`` finds it under that name without custom_objects."""

    def register(cls: type) -> type:
        key = f"{package}>{name or cls.__name__}"
        old = LAYER_CLASSES.get(key)
        # the same class defined again (a re-run notebook cell, a reload) replaces itself
        if old is not None and (old.__module__, old.__qualname__) != (cls.__module__,
                                                                      cls.__qualname__):
            raise ValueError(f"register_serializable: {key!r} is already registered to "
                             f"{LAYER_CLASSES[key]!r}")
        LAYER_CLASSES[key] = cls
        cls._registered_name = key
        return cls

    return register


# ---- the compile configuration ----


def _optimizer_name(opt: Any) -> str | None:
    cls = opt if isinstance(opt, type) else type(opt)
    return next((k for k, v in OPTIMIZERS.items() if v is cls), None)


def _jsonable(value: Any) -> Any:
    if isinstance(value, (tuple, list)):
        return [_jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


def _flat(value: Any) -> list[Any]:
    """The leaves of a loss or metrics argument: a name, a list, or a dict of either."""
    if isinstance(value, Mapping):
        return [leaf for v in value.values() for leaf in _flat(v)]
    if isinstance(value, (list, tuple)):
        return [leaf for v in value for leaf in _flat(v)]
    return [value]


def _compile_config(model: Any) -> tuple[dict[str, Any] | None, str]:
    """(the compile arguments as JSON-able data or None, why not)."""
    if not model.compiled:
        return None, "the model was not compiled"
    binder = model._compiled_optimizer
    spec, built = binder.spec, model.optimizer
    if isinstance(built, Optimizer) and _optimizer_name(built):
        optimizer = {"class_name": type(built).__name__, "config": built.get_config()}
    elif isinstance(spec, Optimizer) and _optimizer_name(spec):
        optimizer = {"class_name": type(spec).__name__, "config": spec.get_config()}
    elif isinstance(spec, str) or _optimizer_name(spec):
        cls = OPTIMIZERS[spec.lower()] if isinstance(spec, str) else spec
        # built now, without parameters, so that the file holds the full configuration
        config = cls(**binder.kwargs).get_config()
        optimizer = {"class_name": cls.__name__, "config": config}
    else:
        return None, f"the optimizer {spec!r} is not one of nn.optim's"
    compiled_loss = model.compiled_loss
    several = hasattr(compiled_loss, "parts")  # nn.multi_io.MultiLoss: one loss per output
    loss = compiled_loss.spec if several else compiled_loss.name
    names = [v for v in _flat(loss) if v is not None]
    if not names or not all(isinstance(v, str) and v.lower() in LOSSES for v in names):
        return None, f"the loss {loss!r} is not given by loss names of nn.losses"
    metrics = model.compiled_metrics.specs
    if not all(isinstance(m, str) for m in _flat(metrics) if m is not None):
        return None, "a metric is not given by name"
    config = {"optimizer": optimizer, "loss": loss, "metrics": metrics}
    if several:
        config["loss_weights"] = compiled_loss.loss_weights
        if compiled_loss.from_logits is not None:
            config["from_logits"] = bool(compiled_loss.from_logits)
    elif isinstance(compiled_loss.fn, functools.partial) and \
            "from_logits" in compiled_loss.fn.keywords:
        config["from_logits"] = bool(compiled_loss.fn.keywords["from_logits"])
    config = _jsonable(config)
    try:
        json.dumps(config)
    except (TypeError, ValueError):
        return None, "the optimizer's arguments are not plain numbers"
    return config, ""


def _optimizer_state(model: Any) -> tuple[dict[str, Any] | None, dict[str, np.ndarray]]:
    """(the optimizer's config and step count, its state arrays by tensor name)."""
    opt = vars(model).get("optimizer")
    if opt is None or not hasattr(opt, "state_dict"):
        return None, {}
    state = opt.state_dict()
    arrays = {f"{_OPT_PREFIX}{i}/{k}": np.asarray(v)
              for i, per in state.get("state", {}).items() for k, v in per.items()}
    meta = {"class_name": type(opt).__name__, "config": _jsonable(state.get("config")),
            "iterations": int(state.get("iterations", 0))}
    return meta, arrays


# ---- saving ----


def save_model(model: Any, path: str | os.PathLike,
               metadata: Mapping[str, str] | None = None) -> None:
    """Write ``model``'s architecture, weights, compile configuration and optimizer state to
    one safetensors file, atomically (``model.save(path)``); ``metadata``: more str -> str
    entries for the header (a caller's own records, read back with ``nn.io.load_state``)."""
    if not hasattr(model, "named_parameters") or not hasattr(model, "get_config"):
        raise TypeError(f"save_model: expected an nn model, got {type(model).__name__}")
    unbuilt = model._unbuilt()
    if unbuilt:
        where, m = unbuilt[0]
        raise ValueError(f"save_model: layer {where or '(root)'!r} ({type(m).__name__}) is not "
                         "built, so it has no weights yet; call the model on a batch first")
    spec = serialize_layer(model)
    build = model.get_build_config()
    compile_config, why = _compile_config(model)
    opt_meta, opt_arrays = _optimizer_state(model)
    if compile_config is None and model.compiled:
        warnings.warn(f"save_model: the compile configuration is not saved ({why}); "
                      "load_model returns the model uncompiled", stacklevel=3)
        opt_meta, opt_arrays = None, {}
    # each layer's generator where it stands, so dropout masks continue as they would have
    rngs = {path: _jsonable(vars(m)["_rng"].bit_generator.state)
            for path, m in model.named_modules() if "_rng" in vars(m)}
    document = {"format": FORMAT, "version": VERSION, "model": spec,
                "build_config": _jsonable(build), "compile_config": compile_config,
                "optimizer": opt_meta, "rng_states": rngs}
    try:
        text = json.dumps(document)
    except (TypeError, ValueError) as e:
        raise TypeError(f"save_model: the configuration of {type(model).__name__} is not "
                        f"JSON ({e}); its get_config() must return plain data") from None
    state = {name: p.data for name, p in model.named_parameters()}
    extra = dict(metadata or {})
    taken = sorted({CONFIG_KEY, "model_class", io.FORMAT_KEY} & set(extra))
    if taken:
        raise ValueError(f"save_model: metadata keys {taken} are reserved")
    io.save_state(path, {**state, **opt_arrays},
                  {**extra, CONFIG_KEY: text, "model_class": type(model).__name__})


# ---- loading ----


def _unknown_class_help(error: ValueError, path: Path) -> ValueError:
    return ValueError(
        f"load_model({str(path)!r}): {error}. Import or define the class first, then pass it "
        "as load_model(path, custom_objects={'ClassName': ClassName}) or decorate it with "
        "@nn.register_serializable()")


def _build(model: Any, build: Mapping[str, Any]) -> None:
    """Create the weights of a model rebuilt from its config (lazy layers wait for data)."""
    shape = build.get("input_shape")
    if not model._unbuilt() or shape is None:
        return
    if shape and isinstance(shape[0], list):
        shape = [tuple(s) for s in shape]
    else:
        shape = tuple(shape)
    if isinstance(shape, tuple) and all(d is not None for d in shape[1:]):
        with ag.no_grad(), model.mode(training=False):
            model(np.zeros((1, *shape[1:]), dtype=model.dtype))
    else:
        model._build_for(shape)


def load_model(path: str | os.PathLike, custom_objects: Mapping[str, type] | None = None,
               compile: bool = True) -> Any:  # noqa: A002
    """The model saved by ``model.save(path)``, with its weights, compiled as it was (unless
    ``compile=False``) and with its optimizer's state, ready to resume training."""
    path = Path(path)
    state, metadata = io.load_state(path)
    text = metadata.get(CONFIG_KEY)
    if text is None:
        raise io.WeightsFileError(
            f"load_model({str(path)!r}): this file holds weights only (written by save_weights "
            "or an older version), not a model; build the model in code and call "
            "model.load_weights(path), then model.save(new_path) to convert it")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as e:
        raise io.WeightsFileError(f"load_model({str(path)!r}): damaged configuration: {e}"
                                  ) from None
    if document.get("format") != FORMAT or document.get("version", 0) > VERSION:
        raise io.WeightsFileError(f"load_model({str(path)!r}): unsupported model file format "
                                  f"{document.get('format')!r} version {document.get('version')}")
    try:
        with custom_object_scope(custom_objects or {}):
            model = deserialize_layer(document["model"])
    except ValueError as e:
        if "unknown layer class" in str(e):
            raise _unknown_class_help(e, path) from None
        raise
    _build(model, document.get("build_config") or {})
    weights = {k: v for k, v in state.items() if not k.startswith(_OPT_PREFIX)}
    model.load_state_dict(weights)
    modules = dict(model.named_modules())
    for where, rng_state in (document.get("rng_states") or {}).items():
        if where in modules:
            try:
                modules[where].rng.bit_generator.state = rng_state
            except (TypeError, ValueError, KeyError):
                pass  # another bit generator than the one saved: the layer keeps a fresh one
    config = document.get("compile_config")
    if compile and config is not None:
        from .optim import get as get_optimizer

        extra = {k: config[k] for k in ("from_logits", "loss_weights") if k in config}
        model.compile(get_optimizer(config["optimizer"]), loss=config["loss"],
                      metrics=config["metrics"] or None, **extra)
        _restore_optimizer(model, document.get("optimizer"), state, path)
    return model


def _restore_optimizer(model: Any, meta: Mapping[str, Any] | None,
                       state: Mapping[str, np.ndarray], path: Path) -> None:
    if not meta or not model.trainable_parameters():
        return
    opt = model.optimizer = model._compiled_optimizer.get(model)
    per: dict[int, dict[str, np.ndarray]] = {}
    for key, array in state.items():
        if key.startswith(_OPT_PREFIX):
            i, name = key[len(_OPT_PREFIX):].split("/", 1)
            per.setdefault(int(i), {})[name] = array
    try:
        opt.load_state_dict({"config": meta.get("config"), "iterations": meta["iterations"],
                             "state": per})
    except (ValueError, TypeError) as e:
        raise ValueError(f"load_model({str(path)!r}): the optimizer state does not fit: {e}"
                         ) from None
