"""Timing harness: check every engine agrees, then time them alternately in one run."""

from __future__ import annotations

import gc
import importlib.util
import os
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

OURS = "autograd-core"
NUMPY = "numpy (by hand)"


def installed(name: str) -> bool:
    """Whether an optional peer can be imported."""
    return importlib.util.find_spec(name) is not None


PEERS = {name: installed(mod) for name, mod in
         [("pytorch", "torch"), ("micrograd", "micrograd"), ("hips-autograd", "autograd")]}


@dataclass
class Row:
    """One engine's timing on one workload, in the workload's unit."""

    workload: str
    engine: str
    unit: str
    median: float
    min: float
    ratio: float | None = None  # this engine's median over ours (< 1: faster than us)
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The row as plain JSON-ready values."""
        return asdict(self)


class Mismatch(AssertionError):
    """Two engines computed different values or gradients: no time is reported."""


def _flat(result: Any) -> list[np.ndarray]:
    if isinstance(result, (list, tuple)):
        return [a for r in result for a in _flat(r)]
    return [np.asarray(result, dtype=np.float64)]


@contextmanager
def pinned_threads(n: int) -> Iterator[None]:
    """Give every engine the same ``n`` BLAS/OpenMP threads: NumPy's BLAS and PyTorch's pool.

    On a shared machine a BLAS thread that waits for a busy core turns a 30 us matmul into
    milliseconds (measured: 49 small LSTM matmuls took 1.5 s on 2 threads, 1.5 ms on 1), so
    an engine's time would mostly be the neighbours' load. Fresh processes started inside
    (the memory workload's) get the same limit through the environment.
    """
    saved_env = {k: os.environ.get(k) for k in _THREAD_VARS}
    os.environ.update({k: str(n) for k in _THREAD_VARS})
    limiter = None
    if installed("threadpoolctl"):
        from threadpoolctl import threadpool_limits

        limiter = threadpool_limits(n)
    torch_threads = None
    if PEERS["pytorch"]:
        import torch

        torch_threads = torch.get_num_threads()
        torch.set_num_threads(n)
    try:
        yield
    finally:
        if limiter is not None:
            limiter.restore_original_limits()
        if torch_threads is not None:
            import torch

            torch.set_num_threads(torch_threads)
        for k, v in saved_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def check_agree(results: dict[str, Any], rtol: float, atol: float, workload: str) -> None:
    """Raise Mismatch unless every engine's (value, gradients) equal ours within tolerance.

    Without ours (an op it needs is missing) the first engine is the reference.
    """
    base = OURS if OURS in results else next(iter(results))
    label = "ours" if base == OURS else base
    ref = _flat(results[base])
    for engine, result in results.items():
        got = _flat(result)
        if len(got) != len(ref):
            raise Mismatch(f"{workload}: {engine} returned {len(got)} arrays, {label} {len(ref)}")
        for i, (a, b) in enumerate(zip(ref, got)):
            if a.shape != b.shape or not np.allclose(a, b, rtol=rtol, atol=atol):
                err = np.max(np.abs(a - b)) if a.shape == b.shape else f"shapes {a.shape} {b.shape}"
                raise Mismatch(f"{workload}: {engine} differs from {label} in output {i} ({err})")


def time_alternating(fns: dict[str, Callable[[], Any]], reps: int, warmup: int = 1,
                     budget: float = 20.0, block: int = 1) -> dict[str, list[float]]:
    """Seconds per call of each fn, run in turn (A B C A B C ...) so noise hits all alike.

    With ``block`` > 1 each turn is ``block`` calls of one engine, and the first call of a
    turn is not counted: a peer as large as PyTorch evicts the caches of whatever runs next,
    and that cost belongs to neither engine.
    """
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    start = time.perf_counter()
    for _ in range(reps):
        for name, fn in fns.items():
            gc.collect()
            for k in range(block):
                t = time.perf_counter()
                fn()
                if block == 1 or k > 0:
                    times[name].append(time.perf_counter() - t)
        if time.perf_counter() - start > budget and min(map(len, times.values())) >= 3:
            break
    return times


def rows_from_times(workload: str, unit: str, times: dict[str, list[float]],
                    scale: Callable[[float], float], higher_is_better: bool = False,
                    notes: dict[str, str] | None = None) -> list[Row]:
    """Convert seconds to the unit with ``scale`` and attach each engine's ratio to ours."""
    rows = []
    for engine, ts in times.items():
        values = [scale(t) for t in ts]
        med = statistics.median(values)
        best = max(values) if higher_is_better else min(values)
        rows.append(Row(workload, engine, unit, med, best, note=(notes or {}).get(engine, "")))
    ours = next((r.median for r in rows if r.engine == OURS), None)
    for r in rows:
        r.ratio = r.median / ours if ours else None
    return rows


def missing(workload: str, engine: str, unit: str, why: str) -> Row:
    """The row of an engine that cannot run a workload: no number, and the reason."""
    return Row(workload, engine, unit, float("nan"), float("nan"), note=why)


def markdown(rows: list[Row]) -> str:
    """The rows as a markdown table (ratio = engine's median / ours)."""
    lines = ["| workload | engine | median | min | unit | vs ours | note |",
             "|---|---|---:|---:|---|---:|---|"]
    for r in rows:
        ratio = "" if r.ratio is None else f"{r.ratio:.2f}x"
        lines.append(f"| {r.workload} | {r.engine} | {_fmt(r.median)} | {_fmt(r.min)} | {r.unit} "
                     f"| {ratio} | {r.note} |")
    return "\n".join(lines)


def _fmt(v: float) -> str:
    if v != v:  # nan marks an engine that could not run the workload
        return "-"
    return f"{v:.3g}" if abs(v) < 1000 else f"{v:,.0f}"
