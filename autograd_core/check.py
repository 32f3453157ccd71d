"""The gradient checker: reverse mode vs dual numbers vs central finite differences.

Along a random direction ``u`` of one input and a random cotangent ``w`` of the output, three
independent numbers must agree:

    reverse             <J^T w, u>   the VJP rules, through the engine's backward pass
    forward             <w, J u>     the JVP rules, through dual numbers
    finite difference   <w, (f(x + eps u) - f(x - eps u)) / (2 eps)>, in float64

Reverse and forward differ only by rounding, so they must agree tightly (``mode_rtol``); finite
differences carry truncation and rounding error and get ``atol``/``rtol``. When they disagree,
every recorded node's rules are checked locally, the same way, to name the first primitive at
fault. One-sided differences that disagree mean f has a kink there (relu or abs at 0, a tie in
max or maximum): that is reported as ``NotDifferentiableError``, not as a wrong rule.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import ops
from .dual import Dual
from .engine import topological_order, unbroadcast
from .modes import enable_grad, no_grad
from .op_inputs import sample_op_inputs
from .ops import OPS, Op
from .tensor import Tensor

OK = "ok"
MISMATCH = "reverse != forward"
FD_MISMATCH = "rules != finite differences"
KINK = "not differentiable"
UNCHECKED = "not checked"  # finite differences left the op's domain (nan or inf)


class GradcheckError(RuntimeError):
    """Reverse mode, dual-number forward mode and finite differences disagree."""

    def __init__(self, message: str, input_index: int | None = None,
                 reverse: float | None = None, forward: float | None = None,
                 finite_difference: float | None = None,
                 culprit: RuleCheck | None = None) -> None:
        super().__init__(message)
        self.input_index = input_index
        self.reverse = reverse
        self.forward = forward
        self.finite_difference = finite_difference
        self.culprit = culprit


class NotDifferentiableError(GradcheckError):
    """f is not differentiable at (or within eps of) the point: one-sided differences differ."""


@dataclass(frozen=True)
class RuleCheck:
    """One input of one primitive, checked locally: <vjp(w), u> vs <w, jvp(u)> vs FD."""

    op: str
    input_index: int
    input_shapes: tuple[tuple[int, ...], ...]
    out_shape: tuple[int, ...]
    reverse: float
    forward: float
    finite_difference: float
    err_forward: float  # |reverse - forward| / scale
    err_fd: float  # |reverse - finite difference| / scale
    status: str
    position: int | None = None  # index among the graph's recorded nodes, from the inputs

    def __str__(self) -> str:
        where = f"node {self.position} " if self.position is not None else ""
        shapes = ", ".join(str(s) for s in self.input_shapes)
        return (
            f"{where}{self.op} (input shapes {shapes}, output {self.out_shape}), "
            f"input {self.input_index}: <vjp(w), u> = {self.reverse:.10g}, "
            f"<w, jvp(u)> = {self.forward:.10g}, finite difference = "
            f"{self.finite_difference:.10g} [{self.status}]"
        )


@dataclass(frozen=True)
class OpRow:
    """One line of ``check_op_table``: the worst result over an op's sampled cases."""

    op: str
    cases: int
    err_forward: float
    err_fd: float
    status: str


# ---- shared arithmetic ----


def _unit(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    v = rng.standard_normal(shape)
    n = np.linalg.norm(v)
    return v / n if n > 0 else v


def _dot(a: Any, b: Any) -> float:
    return float(np.sum(np.asarray(ops._raw(a), dtype=np.float64) * np.asarray(b)))


def _norm(a: Any) -> float:
    return float(np.linalg.norm(np.asarray(ops._raw(a), dtype=np.float64)))


def _mode_tol(mode_rtol: float, *dtypes: np.dtype) -> float:
    """The tight tolerance, widened to what the least precise dtype involved can hold."""
    worst = max((np.finfo(d).eps for d in dtypes if np.dtype(d).kind == "f"), default=0.0)
    return float(np.maximum(mode_rtol, 1e3 * worst))


def _judge(reverse: float, forward: float, fd: float, scale: float, tight: float,
           atol: float, rtol: float) -> tuple[float, float, str]:
    """Relative errors (to ``scale``, the size of the vectors dotted) and a status."""
    scale = max(scale, abs(reverse), abs(forward), abs(fd), np.finfo(np.float64).tiny)
    err_fwd, err_fd = abs(reverse - forward) / scale, abs(reverse - fd) / scale
    if not (np.isfinite(fd) and np.isfinite(reverse) and np.isfinite(forward)):
        # a witness that is not a number proves nothing: never count it as agreement
        return err_fwd, err_fd, MISMATCH if err_fwd > tight else UNCHECKED
    if not np.isfinite(reverse) or not np.isfinite(forward) or err_fwd > tight:
        return err_fwd, err_fd, MISMATCH
    if abs(reverse - fd) > atol + rtol * scale:
        return err_fwd, err_fd, FD_MISMATCH
    return err_fwd, err_fd, OK


def _kinked(phi: Callable[[float], float], eps: float, atol: float, rtol: float) -> bool:
    """Whether the scalar ``phi(t)`` has a kink at 0: its left and right derivatives differ.

    For a smooth phi the gap between the one-sided differences is ``h * phi''(0)``, shrinking
    with the step h; at a kink it stays the size of the jump in slope. So the gap must be
    large and must not halve when the step does.
    """
    f0 = phi(0.0)

    def gap(h: float) -> tuple[float, float]:
        right, left = (phi(h) - f0) / h, (f0 - phi(-h)) / h
        return abs(right - left), max(abs(right), abs(left))

    wide, slope = gap(eps)
    if not np.isfinite(wide) or wide <= atol + rtol * slope:
        return False
    return bool(gap(eps / 2)[0] > 0.6 * wide)


def _memo(phi: Callable[[float], float]) -> Callable[[float], float]:
    """``phi`` evaluating each step once: the central and one-sided differences share points."""
    seen: dict[float, float] = {}

    def cached(t: float) -> float:
        if t not in seen:
            seen[t] = phi(t)
        return seen[t]

    return cached


# ---- one primitive, locally ----


def _as_op(op: str | Op) -> Op:
    if isinstance(op, Op):
        return op
    if op not in OPS:
        raise KeyError(f"check_rules: no primitive named {op!r} in the op table")
    return OPS[op]


def _differentiable(op: Op, xs: Sequence[Any], i: int) -> bool:
    if not op.variadic and op.vjps[i] is None:
        return False
    return np.asarray(xs[i]).dtype.kind == "f"


def _check_input(op: Op, xs: list[np.ndarray], params: dict[str, Any], i: int,
                 rng: np.random.Generator, eps: float, mode_rtol: float, atol: float,
                 rtol: float) -> RuleCheck:
    """Input ``i`` of ``op`` at ``xs``: both rules along random u and w, and local FD."""
    with no_grad():
        out = np.asarray(op.forward(*xs, **params))
        u = _unit(rng, xs[i].shape)
        w = _unit(rng, out.shape)
        jv = np.asarray(op.jvp_rule(i)(u, out, *xs, **params))
        if jv.shape != out.shape:
            jv = np.broadcast_to(jv, out.shape)
        vj = np.asarray(op.vjp_rule(i)(w, out, *xs, **params))
        if vj.shape != xs[i].shape:
            vj = unbroadcast(vj, xs[i].shape, op.name, i)

        @_memo
        def phi(t: float) -> float:
            moved = list(xs)
            moved[i] = xs[i] + t * u
            return _dot(op.forward(*moved, **params), w)

        with np.errstate(all="ignore"):
            fd = (phi(eps) - phi(-eps)) / (2 * eps)
    reverse, forward = _dot(vj, u), _dot(w, jv)
    tight = _mode_tol(mode_rtol, out.dtype, xs[i].dtype)
    err_fwd, err_fd, status = _judge(reverse, forward, fd, max(_norm(vj), _norm(jv)), tight,
                                     atol, rtol)
    if status in (OK, FD_MISMATCH):
        with no_grad(), np.errstate(all="ignore"):
            if _kinked(phi, eps, atol, rtol):
                status = KINK
    return RuleCheck(op.name, i, tuple(np.shape(x) for x in xs), out.shape, reverse, forward,
                     fd, err_fwd, err_fd, status)


def check_rules(op: str | Op, *args: Any, seed: int = 0, eps: float = 1e-6,
                mode_rtol: float = 1e-10, atol: float = 1e-5, rtol: float = 1e-3,
                **params: Any) -> list[RuleCheck]:
    """Check one primitive's VJP against its JVP (and finite differences) at ``args``.

    One ``RuleCheck`` per differentiable input; floating-point inputs are taken in float64.
    """
    op = _as_op(op)
    xs = [_float64(ops._raw(a)) for a in args]
    if op.normalize is not None:  # the rules see the params a call would give them
        params = op.normalize(op, xs, params)
    rng = np.random.default_rng(seed)
    return [_check_input(op, xs, params, i, rng, eps, mode_rtol, atol, rtol)
            for i in range(len(xs)) if _differentiable(op, xs, i)]


def _float64(a: Any) -> np.ndarray:
    a = np.asarray(a)
    return a.astype(np.float64) if a.dtype.kind == "f" else a


# ---- the graph: which node is at fault ----


def _nodes(out: Tensor) -> list[Tensor]:
    """The recorded nodes of ``out``'s graph, inputs first (leaves left out)."""
    return [n for n in reversed(topological_order(out)) if n._op is not None]


def find_bad_rule(out: Tensor, seed: int = 0, eps: float = 1e-6, mode_rtol: float = 1e-10,
                  atol: float = 1e-5, rtol: float = 1e-3) -> RuleCheck | None:
    """The first recorded node whose rules disagree with each other, else with local FD."""
    rng = np.random.default_rng(seed)
    first_fd = None
    for position, node in enumerate(_nodes(out)):
        xs = [_float64(p.data) for p in node._parents]
        for i, p in enumerate(node._parents):
            if not p.requires_grad or not _differentiable(node._op, xs, i):
                continue
            r = _check_input(node._op, xs, node._params or {}, i, rng, eps, mode_rtol, atol,
                             rtol)
            if r.status == MISMATCH:
                return _at(r, position)
            if r.status == FD_MISMATCH and first_fd is None:
                first_fd = _at(r, position)
    return first_fd


def _first_kink(out: Tensor, seed: int, eps: float, mode_rtol: float, atol: float,
                rtol: float) -> RuleCheck | None:
    rng = np.random.default_rng(seed)
    for position, node in enumerate(_nodes(out)):
        xs = [_float64(p.data) for p in node._parents]
        for i, p in enumerate(node._parents):
            if p.requires_grad and _differentiable(node._op, xs, i):
                r = _check_input(node._op, xs, node._params or {}, i, rng, eps, mode_rtol,
                                 atol, rtol)
                if r.status == KINK:
                    return _at(r, position)
    return None


def _at(r: RuleCheck, position: int) -> RuleCheck:
    return RuleCheck(r.op, r.input_index, r.input_shapes, r.out_shape, r.reverse, r.forward,
                     r.finite_difference, r.err_forward, r.err_fd, r.status, position)


# ---- the whole function ----


def _prepare(inputs: Sequence[Any]) -> tuple[list[Any], list[int]]:
    """Floating-point inputs as float64 arrays (checked); anything else passes as a constant."""
    values, checked = [], []
    for i, a in enumerate(inputs):
        raw = a.data if isinstance(a, Tensor) else a
        arr = np.asarray(raw)
        if arr.dtype.kind == "f" or isinstance(raw, (float, int)) and not isinstance(raw, bool):
            values.append(arr.astype(np.float64))
            checked.append(i)
        else:
            values.append(a if isinstance(a, Tensor) else Tensor(arr))
    return values, checked


def _reverse(f: Callable[..., Any], values: list[Any], checked: list[int], w_seed: int
             ) -> tuple[Tensor | None, np.ndarray, list[np.ndarray]]:
    """f on fresh leaves, then one engine backward pass with a random unit cotangent."""
    leaves = {i: Tensor(values[i], requires_grad=True) for i in checked}
    with enable_grad():
        out = f(*[leaves.get(i, v) for i, v in enumerate(values)])
    if isinstance(out, Dual) or not isinstance(ops._raw(out), np.ndarray) or \
            ops._raw(out).dtype.kind != "f":
        raise TypeError(f"gradcheck: f must return a floating-point Tensor or array, got "
                        f"{type(out).__name__}")
    w = _unit(np.random.default_rng(w_seed), np.shape(ops._raw(out)))
    if not (isinstance(out, Tensor) and out.requires_grad):
        return None, w, [np.zeros_like(values[i]) for i in checked]
    # leave every .grad as it was: f may close over a user's tensors
    saved = [(n, n.grad) for n in topological_order(out)]
    for n, _ in saved:
        n.grad = None
    try:
        out.backward(w.astype(out.dtype), retain_graph=True)
        cots = [np.zeros_like(values[i]) if leaves[i].grad is None
                else np.asarray(leaves[i].grad, dtype=np.float64) for i in checked]
    finally:
        for n, g in saved:
            n.grad = g
    return out, w, cots


def _evaluate(f: Callable[..., Any], values: list[Any], i: int, x: Any) -> Any:
    args = [Tensor(v) if isinstance(v, np.ndarray) else v for v in values]
    args[i] = x
    with no_grad():
        return f(*args)


def gradcheck(f: Callable[..., Any], *inputs: Any, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, mode_rtol: float = 1e-10, seed: int = 0) -> bool:
    """Check f's derivatives at ``inputs`` three ways; True, or raise ``GradcheckError``.

    Floating-point inputs (floats, arrays, Tensors) are checked, in float64; integer and
    boolean arrays (labels, masks) pass to f unchanged. f may return any shape.
    """
    values, checked = _prepare(inputs)
    if not checked:
        raise ValueError("gradcheck: no floating-point input to check")
    out, w, cots = _reverse(f, values, checked, seed)
    rng = np.random.default_rng(seed + 1)
    for i, cot in zip(checked, cots):
        x = values[i]
        u = _unit(rng, x.shape)
        try:
            forward_out = _evaluate(f, values, i, Dual(x, u))
        except Exception as e:
            raise TypeError(
                f"gradcheck: f failed on dual numbers (forward mode) for input {i} (shape "
                f"{x.shape}): {type(e).__name__}: {e}; f must use only autograd_core "
                "operations, which accept Tensors and Duals alike"
            ) from e
        tangent = forward_out.tangent if isinstance(forward_out, Dual) else np.zeros(w.shape)

        @_memo
        def phi(t: float, i: int = i, x: np.ndarray = x, u: np.ndarray = u) -> float:
            return _dot(_evaluate(f, values, i, Tensor(x + t * u)), w)

        with np.errstate(all="ignore"):
            fd = (phi(eps) - phi(-eps)) / (2 * eps)
        reverse, forward = _dot(cot, u), _dot(w, tangent)
        tight = _mode_tol(mode_rtol, np.asarray(ops._raw(out if out is not None else w)).dtype)
        err_fwd, err_fd, status = _judge(reverse, forward, fd, max(_norm(cot), _norm(tangent)),
                                         tight, atol, rtol)
        numbers = (f"reverse <J^T w, u> = {reverse:.12g}, forward <w, J u> = {forward:.12g}, "
                   f"finite difference = {fd:.12g}")
        if status == UNCHECKED:
            raise GradcheckError(
                f"gradcheck: cannot check input {i} (shape {x.shape}) at this point: "
                f"{_not_finite(x, reverse, forward, fd)} ({numbers}); check at a point where f "
                "and its derivatives are finite",
                i, reverse, forward, fd)
        if status != MISMATCH:
            with np.errstate(all="ignore"):
                kinked = _kinked(phi, eps, atol, rtol)
            if kinked:
                node = _first_kink(out, seed, eps, mode_rtol, atol, rtol) if out is not None \
                    else None
                raise NotDifferentiableError(
                    f"gradcheck: f is not differentiable at this point along input {i} "
                    f"(shape {x.shape}): its left and right derivatives differ, so no gradient "
                    f"can be checked here ({numbers})"
                    + (f"\n  kink at {node}" if node is not None else ""),
                    i, reverse, forward, fd, node)
            if status == OK:
                continue
        culprit = find_bad_rule(out, seed, eps, mode_rtol, atol, rtol) if out is not None \
            else None
        what = ("reverse mode and forward mode disagree" if status == MISMATCH
                else "the rules disagree with finite differences")
        blame = (f"\n  first primitive at fault: {culprit}" if culprit is not None
                 else "\n  no single recorded primitive is at fault (does f compute outside "
                      "the op table, e.g. on .data?)")
        raise GradcheckError(
            f"gradcheck: {what} for input {i} (shape {x.shape}): {numbers}; relative errors "
            f"{err_fwd:.2e} (forward, tolerance {tight:.0e}) and {err_fd:.2e} (finite "
            f"difference, atol {atol:g}, rtol {rtol:g}){blame}",
            i, reverse, forward, fd, culprit)
    return True


def _not_finite(x: np.ndarray, reverse: float, forward: float, fd: float) -> str:
    """Why a point cannot be checked, in words."""
    if not np.all(np.isfinite(x)):
        return "the input holds nan or inf"
    if not np.isfinite(fd):
        return ("finite differences are not finite (f is nan or inf near the point: outside "
                "its domain, or on its edge)")
    return "the derivative is nan or inf there"


# ---- every primitive of the op table ----

_SEVERITY = {OK: 0, UNCHECKED: 1, KINK: 2, FD_MISMATCH: 3, MISMATCH: 4}


def check_op_table(seed: int = 0, cases: int = 3, names: Sequence[str] | None = None,
                   **tolerances: Any) -> list[OpRow]:
    """Check every primitive's rules on ``cases`` deterministic inputs; one row per op."""
    rows = []
    for name in sorted(OPS) if names is None else names:
        rng = np.random.default_rng([seed, sum(name.encode())])
        try:
            samples = [sample_op_inputs(name, rng) for _ in range(cases)]
        except KeyError:
            rows.append(OpRow(name, 0, np.nan, np.nan, "no input recipe"))
            continue
        results = [r for args, params in samples
                   for r in check_rules(name, *args, seed=seed, **params, **tolerances)]
        worst = max((r.status for r in results), key=_SEVERITY.__getitem__, default=OK)
        rows.append(OpRow(name, cases, max((r.err_forward for r in results), default=0.0),
                          max((r.err_fd for r in results), default=0.0), worst))
    return rows


def format_op_table(rows: Sequence[OpRow]) -> str:
    """The rows of ``check_op_table`` as an aligned text table."""
    lines = [f"{'op':<14} {'cases':>5} {'rev vs fwd':>11} {'rev vs FD':>11}  status"]
    for r in rows:
        lines.append(f"{r.op:<14} {r.cases:>5} {r.err_forward:>11.1e} {r.err_fd:>11.1e}  "
                     f"{r.status}")
    return "\n".join(lines)


__all__ = ["GradcheckError", "NotDifferentiableError", "OpRow", "RuleCheck", "check_op_table",
           "check_rules", "find_bad_rule", "format_op_table", "gradcheck"]
