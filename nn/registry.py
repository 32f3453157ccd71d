"""The one lookup behind ``get_activation``, ``get_loss``, ``get_initializer``,
``get_regularizer``, ``get_metric`` and ``get_optimizer``, and Keras's serialized form.

An identifier is a name (case-insensitive, looked up in the kind's registry), Keras's dict
``{"class_name": ..., "config": {...}}`` (the class by name, called with the config), an
instance or a callable (returned as is). Errors name the kind and list the known names.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lookup", "serialize"]


def lookup(kind: str, registry: Mapping[str, Any], identifier: Any, *,
           classes: Mapping[str, type] | None = None, accepts: str = "a name or a callable"
           ) -> Any:
    """The registry entry for a name, a class built from Keras's dict, or ``identifier``
    itself when it is callable."""
    if isinstance(identifier, str):
        key = identifier.lower()
        if key not in registry:
            raise ValueError(f"unknown {kind} {identifier!r}; known: {', '.join(sorted(registry))}")
        return registry[key]
    if isinstance(identifier, Mapping) and "class_name" in identifier:
        known = dict(classes or {})
        known.update({v.__name__: v for v in registry.values() if isinstance(v, type)})
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
