"""NumPy's dispatch protocols: ``np.exp(t)``, ``np.sum(t, axis=0)`` and friends on Tensors and
Duals run the op of the same name, so they are recorded (reverse mode) or carry a tangent
(forward mode).

A NumPy function or ufunc is routed by its name to the public function of the same name in
``autograd_core.ops`` or ``autograd_core``, looked up at call time, so an op added to the
table later routes as soon as it is exported. ``_ALIASES`` holds the NumPy names that differ
(``absolute`` -> ``abs``). NumPy's arguments are bound to NumPy's own signature first, so
``np.var(t, 0, None, None, 1)`` means what it means in NumPy; an argument the op does not take
is dropped when it holds NumPy's default and refused otherwise. ``out=`` is always refused: a
gradient cannot flow into a preallocated array.

``ndarray + Tensor`` reaches ``np.add`` through NumPy; it is sent to ``Tensor.__radd__``, so
it behaves (and costs) as it did when NumPy deferred to the reflected operator.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

# NumPy names that differ from ours
_ALIASES = {
    "absolute": "abs", "fabs": "abs", "true_divide": "divide", "amax": "max", "amin": "min",
    "around": "round", "concat": "concatenate", "permute_dims": "transpose",
}
# functions of NumPy's submodules that mean the same as our op (np.linalg.diagonal does not)
_SUBMODULE_OPS = {("numpy.linalg", "norm"): "norm", ("numpy.linalg", "outer"): "outer",
                  ("numpy.linalg", "tensordot"): "tensordot"}
# NumPy parameter names that differ from ours, per function
_PARAM_ALIASES = {
    "clip": {"min": "a_min", "max": "a_max"},
    "concatenate": {"arrays": "xs"}, "stack": {"arrays": "xs"},
}
# ufunc methods that are ops: np.add.reduce(t) is a sum over axis 0
_UFUNC_METHODS = {
    ("add", "reduce"): "sum", ("multiply", "reduce"): "prod", ("maximum", "reduce"): "max",
    ("minimum", "reduce"): "min", ("add", "accumulate"): "cumsum",
    ("multiply", "accumulate"): "cumprod",
}
# ufuncs with no derivative, computed on the data as the comparison operators are
_BOOLEAN_UFUNCS = frozenset({
    "greater", "greater_equal", "less", "less_equal", "equal", "not_equal", "isfinite",
    "isinf", "isnan", "signbit", "logical_and", "logical_or", "logical_xor", "logical_not",
})
# functions that only inspect values: they run on the data and give plain NumPy results
_INSPECTING = frozenset({
    "shape", "ndim", "size", "allclose", "isclose", "array_equal", "array_equiv",
    "iscomplexobj", "isrealobj", "result_type", "count_nonzero", "nonzero", "flatnonzero",
    "argwhere", "any", "all", "argmax", "argmin", "argsort", "searchsorted", "array_repr",
    "array_str", "array2string", "may_share_memory", "shares_memory", "unique",
})
# ndarray <op> Tensor arrives here as a ufunc call: send it to the reflected operator
_OPERATORS = {
    np.add: ("__add__", "__radd__"), np.subtract: ("__sub__", "__rsub__"),
    np.multiply: ("__mul__", "__rmul__"), np.divide: ("__truediv__", "__rtruediv__"),
    np.power: ("__pow__", "__rpow__"), np.matmul: ("__matmul__", "__rmatmul__"),
}
_UFUNC_DEFAULTS = {"casting": "same_kind", "order": "K", "dtype": None, "subok": True,
                   "where": True, "signature": None}

_NO_VALUE = getattr(np, "_NoValue", None)


def _types_name(values: Any) -> str:
    """'Tensor', 'Dual' or 'Dual/Tensor': the types among values (or among NumPy's ``types``)."""
    from .ops import ArrayMethods

    classes = {v if isinstance(v, type) else type(v) for v in values}
    names = sorted(c.__name__ for c in classes if issubclass(c, ArrayMethods))
    return "/".join(names) or "Tensor"


def _short(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"<array of shape {value.shape}>"
    text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


def _public_name(func: Any) -> str:
    """How the user wrote it: np.exp, np.linalg.norm, np.add.reduce."""
    module = getattr(func, "__module__", None) or "numpy"
    prefix = "np" + module[len("numpy"):] if module.startswith("numpy") else module
    return f"{prefix}.{func.__name__}"


def lookup(name: str, module: str = "numpy") -> Callable[..., Any] | None:
    """The autograd_core function that NumPy's ``module.name`` routes to, or None."""
    import autograd_core
    from autograd_core import ops

    if module != "numpy":
        name = _SUBMODULE_OPS.get((module, name), "")
    name = _ALIASES.get(name, name)
    if not name or name.startswith("_"):
        return None
    for space in (ops, autograd_core):
        fn = getattr(space, name, None)
        if callable(fn) and not isinstance(fn, type) and not inspect.ismodule(fn):
            return fn
    return None


def _unsupported(what: str, name: str, values: Any) -> TypeError:
    return TypeError(
        f"{what} is not supported on {_types_name(values)}: autograd_core has no op named "
        f"{name!r} to record it. Apply it to .data for a value without gradient, or build it "
        "from the ops autograd_core has (see autograd_core.OPS)"
    )


def _refuse_out(what: str, out: Any, values: Any) -> None:
    if out is None or (isinstance(out, tuple) and all(o is None for o in out)):
        return
    raise TypeError(
        f"{what}: out= is not supported on {_types_name(values)}: a gradient cannot flow into "
        "a preallocated array. Use the returned value instead (an in-place `a += t` on a "
        "NumPy array also passes out=; write `a = a + t`)"
    )


def _is_default(value: Any, default: Any) -> bool:
    if value is None or value is _NO_VALUE or value is default:
        return True
    return type(value) is type(default) and isinstance(value, (str, bool, int)) \
        and value == default


# ---- __array_ufunc__ ----


def array_ufunc(self: Any, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
    """NumPy's ufunc protocol: run the op of the ufunc's name on Tensors or Duals."""
    if method == "__call__" and not kwargs and ufunc in _OPERATORS and len(inputs) == 2:
        # ndarray + Tensor: NumPy used to defer to Tensor.__radd__; call it, fast path and all
        forward, reflected = _OPERATORS[ufunc]
        if inputs[1] is self:
            return getattr(type(self), reflected)(self, inputs[0])
        if inputs[0] is self:
            return getattr(type(self), forward)(self, inputs[1])
    what = f"{_public_name(ufunc)}" + ("" if method == "__call__" else f".{method}")
    _refuse_out(what, kwargs.pop("out", None), inputs)
    if method == "__call__":
        if ufunc.__name__ in _BOOLEAN_UFUNCS:
            return _boolean(ufunc, inputs, kwargs)
        fn = lookup(ufunc.__name__)
        if fn is None:
            raise _unsupported(what, _ALIASES.get(ufunc.__name__, ufunc.__name__), inputs)
        _refuse_ufunc_kwargs(what, kwargs, inputs)
        return fn(*inputs)
    name = _UFUNC_METHODS.get((ufunc.__name__, method))
    fn = lookup(name) if name else None
    if fn is None or len(inputs) != 1:
        raise _unsupported(what, name or f"{ufunc.__name__}.{method}", inputs)
    axis = kwargs.pop("axis", 0)
    params = {"axis": axis}
    if method == "reduce" and kwargs.get("keepdims"):
        params["keepdims"] = kwargs.pop("keepdims")
    kwargs.pop("keepdims", None)
    _refuse_ufunc_kwargs(what, kwargs, inputs)
    return fn(inputs[0], **params)


def _refuse_ufunc_kwargs(what: str, kwargs: dict[str, Any], inputs: Any) -> None:
    for key, value in kwargs.items():
        if not (key in _UFUNC_DEFAULTS and _is_default(value, _UFUNC_DEFAULTS[key])):
            raise TypeError(
                f"{what}: argument {key}={_short(value)} is not supported on {_types_name(inputs)}"
            )


def _boolean(ufunc: np.ufunc, inputs: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """A comparison or test: no gradient, a boolean Tensor as from ``t > 0``."""
    from .ops import _raw
    from .tensor import Tensor

    result = ufunc(*[_raw(a) for a in inputs], **kwargs)
    return Tensor(result) if any(isinstance(a, Tensor) for a in inputs) else result


# ---- __array_function__ ----


def array_function(self: Any, func: Any, types: tuple[type, ...], args: tuple[Any, ...],
                   kwargs: dict[str, Any]) -> Any:
    """NumPy's function protocol: run the op of the function's name on Tensors or Duals."""
    from .ops import ArrayMethods, _raw

    if not all(issubclass(t, (ArrayMethods, np.ndarray)) for t in types):
        return NotImplemented  # another library's array: let it (or NumPy) decide
    what = _public_name(func)
    relevant = list(types)
    _refuse_out(what, kwargs.get("out"), relevant)
    fn = lookup(func.__name__, getattr(func, "__module__", "numpy") or "numpy")
    if fn is None:
        if func.__name__ in _INSPECTING:
            raw = [_raw(a) if isinstance(a, ArrayMethods) else a for a in args]
            return func(*raw, **{k: _raw(v) if isinstance(v, ArrayMethods) else v
                                 for k, v in kwargs.items()})
        raise _unsupported(what, _ALIASES.get(func.__name__, func.__name__), relevant)
    call_args, call_kwargs = _translate(what, func, fn, args, kwargs, relevant)
    return fn(*call_args, **call_kwargs)


def _name(fn: Any) -> str:
    return getattr(fn, "__name__", None) or getattr(fn, "name", repr(fn))


def _signature(fn: Any) -> inspect.Signature:
    """Our function's signature; for a primitive, its forward's (``x, axis=None, ...``)."""
    from .ops import Op

    if isinstance(fn, Op):
        if isinstance(fn.forward, np.ufunc):  # inputs only, no parameters
            kind = inspect.Parameter.POSITIONAL_ONLY
            return inspect.Signature([inspect.Parameter(f"x{i}", kind)
                                      for i in range(fn.forward.nin)])
        return inspect.signature(fn.forward)
    return inspect.signature(fn)


def _translate(what: str, func: Any, fn: Callable[..., Any], args: tuple[Any, ...],
               kwargs: dict[str, Any], relevant: list[Any]
               ) -> tuple[list[Any], dict[str, Any]]:
    """NumPy's arguments, bound to NumPy's signature, as arguments of our function."""
    try:
        np_sig, our_sig = inspect.signature(func), _signature(fn)
        bound = np_sig.bind(*args, **kwargs)
    except (TypeError, ValueError):
        return list(args), dict(kwargs)  # no signature to go by: pass them on as given
    ours = our_sig.parameters
    renames = _PARAM_ALIASES.get(_ALIASES.get(func.__name__, func.__name__), {})
    positional: list[Any] = []
    keywords: dict[str, Any] = {}
    for i, (name, value) in enumerate(bound.arguments.items()):
        param = np_sig.parameters[name]
        if param.kind is param.VAR_POSITIONAL:
            positional.extend(value)
            continue
        items = value.items() if param.kind is param.VAR_KEYWORD else [(name, value)]
        for key, val in items:
            if key == "out":
                continue  # None here: anything else was refused already
            if i == 0 and param.kind is not param.VAR_KEYWORD:
                positional.append(val)  # the array itself: NumPy's `a`, our `x`
                continue
            target = ours.get(renames.get(key, key))
            if target is None or target.kind is target.VAR_KEYWORD:
                default = param.default if param.kind is not param.VAR_KEYWORD else None
                if _is_default(val, default):
                    continue  # NumPy's default (dtype=None, order='C'): nothing to pass on
                takes = ", ".join(p for p in list(ours)[1:]) or "no other arguments"
                raise TypeError(
                    f"{what}: argument {key}={_short(val)} is not supported on "
                    f"{_types_name(relevant)} (autograd_core.{_name(fn)} takes {takes})"
                )
            if target.kind is target.VAR_POSITIONAL:
                positional.append(val)  # np.reshape(t, shape) -> reshape(t, *shape)
            else:
                keywords[target.name] = val
    return positional, keywords


__all__ = ["array_function", "array_ufunc", "lookup"]
