"""Issue 14's and issue 13's targets, read off one run's rows: measured, beside peers, met?"""

from __future__ import annotations

from collections.abc import Callable

from .harness import NUMPY, OURS, Row

TORCH = "pytorch"


def _find(rows: list[Row], prefix: str, engine: str) -> Row | None:
    for r in rows:
        if r.workload.startswith(prefix) and r.engine == engine and r.median == r.median:
            return r
    return None


def _val(rows: list[Row], prefix: str, engine: str) -> float | None:
    r = _find(rows, prefix, engine)
    return None if r is None else r.median


def _growth(rows: list[Row], n: str, engine: str) -> float | None:
    r = _find(rows, f"deep chain N={n}", engine)
    return None if r is None else r.extra.get("growth_vs_smallest")


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def _f(v: float | None, fmt: str = "{:.3g}") -> str:
    return "-" if v is None else fmt.format(v)


def _met(v: float | None, limit: float | None, why: str = "") -> str:
    if v is None or limit is None:
        return f"not measured: {why}" if why else "not measured"
    return "met" if v <= limit else "missed"


def targets_table(rows: list[Row]) -> str:
    """One line per target: ours, hand-written NumPy, PyTorch, the target, and met or missed."""
    lines = ["| target | autograd-core | hand-written NumPy | PyTorch | target | |",
             "|---|---:|---:|---:|---|---|"]

    def add(label: str, ours: float | None, hand: float | None, torch: float | None,
            target: str, limit: float | None, fmt: str = "{:.3g}", why: str = "") -> None:
        lines.append(f"| {label} | {_f(ours, fmt)} | {_f(hand, fmt)} | {_f(torch, fmt)} "
                     f"| {target} | {_met(ours, limit, why)} |")

    def why_not(prefix: str) -> str:  # the note of an engine that could not run
        r = next((r for r in rows if r.workload.startswith(prefix) and r.engine == OURS), None)
        return r.note if r is not None and r.median != r.median else ""

    def per(prefix: str) -> Callable[[str], float | None]:
        return lambda engine: _val(rows, prefix, engine)

    v = per("50 small ops")
    add("50 small ops (8,), fwd+bwd, us/op", v(OURS), v(NUMPY), v(TORCH), "<= 3", 3.0)
    v = per("scalar MLP")
    add("scalar MLP 2-16-16-1, us/node", v(OURS), None, v(TORCH), "<= 4", 4.0)
    for n in ("100,000", "1,000,000"):
        add(f"deep chain, us/op at N={n} over N=1,000", _growth(rows, n, OURS), None,
            _growth(rows, n, TORCH), "<= 1.2 (flat)", 1.2, "{:.2f}")
    for prefix, label, limit in [("MLP 784", "MLP 784-256-128-10 step, time / NumPy's", 1.05),
                                 ("fit digits", "fit digits 64-64-10, time / NumPy's", 1.5)]:
        v = per(prefix)
        hand = v(NUMPY)
        add(label, _ratio(v(OURS), hand), 1.0 if hand else None, _ratio(v(TORCH), hand),
            f"<= {limit}", limit, "{:.2f}")
    v = per("peak memory, MLP")
    add("peak memory of the MLP step, MiB", v(OURS), v(NUMPY), v(TORCH),
        "<= PyTorch's", v(TORCH), "{:.2f}")
    for prefix, label in [("LeNet step", "LeNet step"), ("LSTM step", "LSTM step")]:
        v = per(prefix)
        torch = v(TORCH)
        add(f"{label}, time / PyTorch's", _ratio(v(OURS), torch), _ratio(v(NUMPY), torch),
            1.0 if torch else None, "<= 1.0", 1.0, "{:.2f}", why_not(prefix))
        mem = f"peak memory, {label}"
        m = per(mem)
        batch = _find(rows, mem, TORCH) or _find(rows, mem, NUMPY)
        limit = None
        if m(TORCH) is not None and batch is not None:
            limit = m(TORCH) + batch.extra.get("input_batch_mib", 0.0)
        add(f"peak memory of the {label}, MiB", m(OURS), m(NUMPY), m(TORCH),
            "<= PyTorch's + input batch" + ("" if limit is None else f" ({limit:.2f})"),
            limit, "{:.2f}", why_not(mem))
    return "\n".join(lines)
