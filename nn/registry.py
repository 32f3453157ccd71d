"""The one lookup behind ``get_activation``, ``get_loss``, ``get_initializer``,
``get_regularizer``, ``get_metric`` and ``get_optimizer``, and Keras's serialized form.

Layers: every Module subclass is registered by class name (``LAYER_CLASSES``), so that
``deserialize_layer`` can rebuild one from ``{"class_name", "config"}``, and gets Keras's
automatic names (``dense``, ``dense_1``, ...).

An identifier is a name (case-insensitive, looked up in the kind's registry), Keras's dict
``{"class_name": ..., "config": {...}}`` (the class by name, called with the config), an
instance or a callable (returned as is). Errors name the kind and list the known names.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

__all__ = ["LAYER_CLASSES", "clear_session", "custom_object_scope", "deserialize_layer", "lookup",
           "serialize", "serialize_layer", "snake_case", "unique_name"]

# Keras's automatic names: dense, dense_1, ... unique in the process until clear_session()
_NAMES: dict[str, int] = {}
_NAMES_LOCK = threading.Lock()
# every Module subclass by class name, so that a config can name the class to rebuild
LAYER_CLASSES: dict[str, type] = {}


def lookup(kind: str, registry: Mapping[str, Any], identifier: Any, *,
           accepts: str = "a name or a callable", sort_names: bool = False) -> Any:
    """The registry entry for a name, a class built from Keras's dict, or ``identifier``
    itself when it is callable."""
    if isinstance(identifier, str):
        key = identifier.lower()
        if key not in registry:
            names = sorted(registry) if sort_names else list(registry)
            raise ValueError(f"unknown {kind} {identifier!r}; known: {', '.join(names)}")
        return registry[key]
    if isinstance(identifier, Mapping) and "class_name" in identifier:
        known = {v.__name__: v for v in registry.values() if isinstance(v, type)}
        name = identifier["class_name"]
        if name not in known:
            raise ValueError(f"unknown {kind} class {name!r}; known: {', '.join(sorted(known))}")
        return known[name](**dict(identifier.get("config") or {}))
    if callable(identifier):
        return identifier
    raise TypeError(f"a {kind} must be {accepts}, got {identifier!r}")


def serialize(obj: Any, registry: Mapping[str, Any] | None = None) -> Any:
    """None, a registered name, or ``{"class_name", "config"}`` for an object with
    ``get_config``; any other callable by its ``__name__`` (which may not be loadable)."""
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    for name, entry in (registry or {}).items():
        if entry is obj:
            return name
    get_config: Callable[[], dict] | None = getattr(obj, "get_config", None)
    if get_config is not None and not isinstance(obj, type):
        return {"class_name": type(obj).__name__, "config": get_config()}
    return getattr(obj, "__name__", type(obj).__name__)


# ---- layers ----


def snake_case(name: str) -> str:
    """``BatchNormalization`` -> ``batch_normalization``, ``Conv2D`` -> ``conv2d``,
    ``SimpleRNN`` -> ``simple_rnn`` (Keras's layer names)."""
    name = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def unique_name(base: str) -> str:
    """``base``, then ``base_1``, ``base_2``... unique in the process until clear_session()."""
    with _NAMES_LOCK:
        n = _NAMES.get(base, 0)
        _NAMES[base] = n + 1
    return base if n == 0 else f"{base}_{n}"


def clear_session() -> None:
    """Restart the automatic layer names (``dense``, ``dense_1``, ...), as Keras's does."""
    with _NAMES_LOCK:
        _NAMES.clear()


def serialize_layer(layer: Any) -> dict[str, Any]:
    """``{"class_name": ..., "config": ...}`` (Keras's form) for ``deserialize_layer``; a
    class registered with ``nn.register_serializable`` is named ``"package>Name"``."""
    name = vars(type(layer)).get("_registered_name", type(layer).__name__)
    return {"class_name": name, "config": layer.get_config()}


_CUSTOM = threading.local()  # the custom_object_scope()s open in this thread


@contextmanager
def custom_object_scope(objects: Mapping[str, type]) -> Iterator[None]:
    """``with custom_object_scope({"MyLayer": MyLayer}):`` deserialize_layer finds them too."""
    stack = vars(_CUSTOM).setdefault("stack", [])
    stack.append(dict(objects))
    try:
        yield
    finally:
        stack.pop()


def deserialize_layer(spec: Mapping[str, Any]) -> Any:
    """A new layer from ``serialize_layer``'s dict (any Module subclass defined so far, or
    one given to an enclosing ``custom_object_scope``)."""
    name = spec.get("class_name")
    known = dict(LAYER_CLASSES)
    for objects in vars(_CUSTOM).get("stack", []):
        known.update(objects)
    if name not in known:
        raise ValueError(f"deserialize_layer: unknown layer class {name!r}; define or import "
                         "it first (known: " + ", ".join(sorted(known)) + ")")
    return known[name].from_config(dict(spec.get("config", {})))
