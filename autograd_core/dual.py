"""Forward mode: dual numbers a + b·ε with ε² = 0, pushed through the op table's JVP rules."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import display, ops
from .ops import ArrayMethods, Op


def _as_primal(value: Any, like: np.dtype | None = None, what: str = "primal") -> Any:
    if isinstance(value, ArrayMethods):  # a Tensor (forward over a recorded graph) or Dual
        return value
    arr = ops.weak_scalar(value, like)
    if arr is None:
        arr = ops.float64_if_python(value, np.asarray(value))
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"Dual: the {what} must be numeric (a number, an array, a Tensor), got "
            f"{type(value).__name__} of dtype {arr.dtype}"
        )
    return arr


class Dual(ArrayMethods):
    """A dual number ``primal + tangent·ε``: evaluating f on it gives f(a) + f'(a)·b·ε."""

    __slots__ = ("primal", "tangent")

    def __init__(self, primal: Any, tangent: Any = None) -> None:
        self.primal = _as_primal(primal)
        dtype = self.dtype if self.dtype.kind == "f" else np.dtype(np.float64)
        if tangent is None:
            tangent = np.zeros(self.shape, dtype=dtype)
        else:
            tangent = _as_primal(tangent, dtype, "tangent")
            if np.shape(tangent) != self.shape:
                raise ValueError(
                    f"Dual: tangent of shape {np.shape(tangent)} does not match the primal's "
                    f"shape {self.shape}"
                )
        self.tangent = tangent

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(np.shape(self.primal))

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    @property
    def dtype(self) -> np.dtype:
        return np.result_type(ops._raw(self.primal))

    def __repr__(self) -> str:
        def fmt(v: Any) -> str:
            raw = ops._raw(v)
            return repr(raw.item()) if raw.ndim == 0 else np.array2string(raw, separator=", ")

        return f"Dual({fmt(self.primal)}, {fmt(self.tangent)})"

    def _repr_html_(self) -> str: return display.dual_html(self)  # Jupyter's rich display

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of a 0-d Dual")
        return self.shape[0]

    def __iter__(self) -> Any:
        return (self[i] for i in range(len(self)))

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        raise TypeError(
            "the truth value of a Dual is ambiguous (a branch on it would drop the tangent); "
            "compare it instead (x > 0 compares the primal) or test x.primal"
        )

    def __setitem__(self, index: Any, value: Any) -> None:
        raise TypeError(
            "Dual does not support item assignment; build a new value (where, concatenate)"
        )

    # ---- the Tensor methods that mean something for a dual number ----

    def detach(self) -> Dual:
        """The primal alone, as a constant: its tangent is zero."""
        primal = self.primal.detach() if hasattr(self.primal, "detach") else self.primal
        return Dual(primal)

    def item(self) -> Any:
        """The primal of a one-element Dual as a Python number (the tangent is dropped)."""
        raw = ops._raw(self.primal)
        if raw.size != 1:
            raise ValueError(f"item: Dual of shape {self.shape} has {raw.size} elements, not 1")
        return raw.item()

    def numpy(self) -> np.ndarray:
        """The primal as a NumPy array (the tangent is in ``.tangent``)."""
        return ops._raw(self.primal)

    def tolist(self) -> Any:
        """The primal as nested Python lists."""
        return ops._raw(self.primal).tolist()

    # comparisons look at the primal only, so branches behave as they do on plain values
    def __lt__(self, other: Any) -> Any: return ops._raw(self) < ops._raw(other)
    def __le__(self, other: Any) -> Any: return ops._raw(self) <= ops._raw(other)
    def __gt__(self, other: Any) -> Any: return ops._raw(self) > ops._raw(other)
    def __ge__(self, other: Any) -> Any: return ops._raw(self) >= ops._raw(other)

    def __eq__(self, other: Any) -> Any:  # type: ignore[override]
        """Against a Dual: primal and tangent both equal; against a number: the primal."""
        if isinstance(other, Dual):
            return np.logical_and(ops._raw(self.primal) == ops._raw(other.primal),
                                  ops._raw(self.tangent) == ops._raw(other.tangent))
        return ops._raw(self) == ops._raw(other)

    def __ne__(self, other: Any) -> Any:  # type: ignore[override]
        return np.logical_not(self == other)

    __hash__ = None  # type: ignore[assignment]


def _apply(op: Op, args: tuple[Any, ...], params: dict[str, Any]) -> Dual:
    """Run ``op`` on the primals and sum each dual input's JVP into the output tangent."""
    like = next(d.dtype for d in args if isinstance(d, Dual))
    primals = [a.primal if isinstance(a, Dual) else _as_primal(a, like) for a in args]
    out = op(*primals, **params)
    tangent = None
    for i, a in enumerate(args):
        if not isinstance(a, Dual):
            continue
        rule = op.jvp_rule(i)
        if rule is None:
            continue
        t = rule(a.tangent, out, *primals, **params)
        if tuple(np.shape(t)) != np.shape(ops._raw(out)):
            _check_broadcasts(op, i, np.shape(t), np.shape(ops._raw(out)))
        tangent = t if tangent is None else tangent + t
    out_raw = ops._raw(out)
    if out_raw.dtype.kind != "f":
        return out  # comparisons and integer results carry no derivative
    if tangent is None:
        tangent = np.zeros(out_raw.shape, dtype=out_raw.dtype)
    if tuple(np.shape(tangent)) != out_raw.shape:
        tangent = ops.broadcast_to(tangent, out_raw.shape)  # the one place JVPs are broadcast
    if ops._raw(tangent).dtype != out_raw.dtype:
        tangent = tangent.astype(out_raw.dtype)
    d = object.__new__(Dual)
    d.primal, d.tangent = out, tangent
    return d


def _check_broadcasts(op: Op, i: int, shape: tuple[int, ...], out: tuple[int, ...]) -> None:
    """A tangent must broadcast to the output's shape; any other shape is a wrong JVP rule."""
    lead = len(out) - len(shape)
    if lead < 0 or any(n != m and n != 1 for n, m in zip(shape, out[lead:])):
        raise ValueError(
            f"the forward rule of {op.name} for input {i} gave a tangent of shape {shape}, "
            f"which does not broadcast to the output's shape {out}; the rule is wrong"
        )


ops.register_handler(Dual, 2, _apply)
