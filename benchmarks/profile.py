"""`python -m benchmarks.profile TARGET`: the profiles behind benchmarks/PROFILE.md.

Targets: small_ops, deep_chain, mlp_memory, lstm, fit. Each prints its measured number and
where the time or the bytes go. Profilers slow what they watch, so the shares matter, not the
absolute times; the timed numbers come from `python -m benchmarks`.
"""

from __future__ import annotations

import cProfile
import gc
import io
import pstats
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np

import autograd_core as ag
from autograd_core import Tensor, engine
from autograd_core.engine import topological_order

tensor_module = sys.modules["autograd_core.tensor"]


def _cprofile(fn: Callable[[], Any], top: int = 18, sort: str = "tottime") -> None:
    prof = cProfile.Profile()
    prof.enable()
    fn()
    prof.disable()
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    total = stats.total_tt  # type: ignore[attr-defined]
    stats.sort_stats(sort).print_stats(top)
    print(f"cProfile total {total:.3f} s (sorted by {sort})")
    print("\n".join(line for line in out.getvalue().splitlines()[6:] if line.strip()))


def _line_profile(fn: Callable[[], Any], *targets: Callable[..., Any]) -> None:
    try:
        from line_profiler import LineProfiler
    except ImportError:
        print("(line_profiler not installed: pip install line_profiler)")
        return
    lp = LineProfiler(*targets)
    lp.runcall(fn)
    lp.print_stats(output_unit=1e-6, stripzeros=True)


def _per_call(fn: Callable[[], Any], reps: int) -> float:
    fn()
    t = time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - t) / reps


def small_ops() -> None:
    """The 50-small-ops loop: forward/backward split, cProfile, and line timings."""
    from .workloads import _small_chain

    x0 = np.linspace(0.1, 1.0, 8)

    def fwd() -> Any:
        return _small_chain(Tensor(x0, requires_grad=True), ag.tanh)

    def both() -> None:
        fwd().backward()

    f, b = _per_call(fwd, 500), _per_call(both, 500)
    print(f"forward {f / 51 * 1e6:.2f} us/op, backward {(b - f) / 51 * 1e6:.2f} us/op, "
          f"total {b / 51 * 1e6:.2f} us/op")
    _cprofile(lambda: [both() for _ in range(500)])
    _line_profile(lambda: [both() for _ in range(300)], tensor_module._apply, engine._kahn)


def deep_chain() -> None:
    """us/op of the 0-d chain at growing N, with the cyclic GC on and off; GC counts and time."""
    def chain(n: int) -> tuple[float, float]:
        x = Tensor(1.0, requires_grad=True)
        y = x
        t = time.perf_counter()
        for _ in range(n):
            y = y * 0.999 + 0.001
        t1 = time.perf_counter()
        y.backward()
        return t1 - t, time.perf_counter() - t1

    gc_time = [0.0, 0]
    start: list[float] = []

    def on_gc(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            start.append(time.perf_counter())
        else:
            gc_time[0] += time.perf_counter() - start.pop()
            gc_time[1] += 1

    print("threshold", gc.get_threshold())
    for n in (1_000, 100_000, 1_000_000):
        for enabled in (True, False):
            gc.collect()
            (gc.enable if enabled else gc.disable)()
            gc_time[:] = [0.0, 0]
            gc.callbacks.append(on_gc)
            fwd, bwd = chain(n)
            gc.callbacks.remove(on_gc)
            gc.enable()
            print(f"N={n:>9,} gc {'on ' if enabled else 'off'}: forward {fwd / 2 / n * 1e6:.2f} "
                  f"us/op, backward {bwd / 2 / n * 1e6:.2f} us/op; {gc_time[1]} collections "
                  f"taking {gc_time[0]:.2f} s ({gc_time[0] / (fwd + bwd):.0%})")
    x = Tensor(1.0, requires_grad=True)
    before = len(gc.get_objects())
    y = x * 0.999 + 0.001
    print(f"GC-tracked objects per op: {(len(gc.get_objects()) - before) / 2:.1f}; "
          f"tracked: node {gc.is_tracked(y)}, parents {gc.is_tracked(y.parents)}, "
          f"params {gc.is_tracked(y._params)}")
    _cprofile(lambda: chain(100_000))


def mlp_memory(batch: int = 1024) -> None:
    """What is alive at the MLP step's memory peak: activations, cotangents, temporaries."""
    from .workloads import _mlp_data, numpy_mlp_step, ours_mlp_step

    Ws, bs, X, Y = _mlp_data(batch)
    w = [Tensor(W.copy(), requires_grad=True) for W in Ws]
    b = [Tensor(v.copy(), requires_grad=True) for v in bs]
    lr = np.float32(0.01)
    ours_mlp_step(w, b, X, Y, lr)
    mib = 2**20
    log: list[tuple[float, str, float, float, float]] = []
    graph_bytes: list[float] = [0.0]

    def wrap(op: Any, i: int, rule: Callable[..., Any]) -> Callable[..., Any]:
        def watched(*args: Any, **kw: Any) -> Any:
            frame = sys._getframe(1)  # _kahn's frame: its live cotangents
            cots = frame.f_locals.get("cots", {})
            c = rule(*args, **kw)
            cur = tracemalloc.get_traced_memory()[0]
            live_cots = sum(v.nbytes for v in cots.values() if hasattr(v, "nbytes"))
            log.append(((cur - base) / mib, f"{op.name} vjp[{i}]", live_cots / mib,
                        c.nbytes / mib, graph_bytes[0] / mib))
            return c
        return watched

    saved = {}
    for op in ag.OPS.values():
        if not op.variadic:
            saved[op] = op.vjps
            op.vjps = tuple(None if r is None else wrap(op, i, r) for i, r in enumerate(op.vjps))
    try:
        gc.collect()
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        h: Any = X
        for i in range(3):
            h = ag.linear(h, w[i], b[i])
            if i < 2:
                h = ag.relu(h)
        loss = ag.softmax_cross_entropy(h, Y).mean()
        nodes = topological_order(loss)
        graph_bytes[0] = sum(t.data.nbytes for t in nodes if t._op is not None)
        after_fwd = (tracemalloc.get_traced_memory()[0] - base) / mib
        for p in w + b:
            p.grad = None
        loss.backward()
        peak = (tracemalloc.get_traced_memory()[1] - base) / mib
        tracemalloc.stop()
    finally:
        for op, v in saved.items():
            op.vjps = v
    print(f"batch {batch}: after forward {after_fwd:.2f} MiB (node outputs "
          f"{graph_bytes[0] / mib:.2f}); peak of forward+backward {peak:.2f} MiB")
    for t in nodes:
        print(f"  node {t.op or 'leaf':24s} out {t.data.nbytes / mib:6.2f} MiB")
    print("  traced MiB after each rule | rule | live cotangents | the rule's result")
    for cur, name, cots, res, _ in log:
        print(f"  {cur:6.2f} | {name:28s} | {cots:5.2f} | {res:5.2f}")
    w_np, b_np = [W.copy() for W in Ws], [v.copy() for v in bs]
    tracemalloc.start()
    s = tracemalloc.get_traced_memory()[0]
    numpy_mlp_step(w_np, b_np, X, Y, lr)
    print(f"hand-written NumPy step peak {(tracemalloc.get_traced_memory()[1] - s) / mib:.2f} MiB")
    tracemalloc.stop()


def lstm() -> None:
    """The LSTM step: nodes, forward/backward split, and cProfile."""
    from .models import lstm_data, numpy_lstm_step, ours_lstm_step

    P0, X, Y = lstm_data(32, 50, 64)
    P = [Tensor(p.copy(), requires_grad=True) for p in P0]
    lr = np.float32(0.01)
    t_ours = _per_call(lambda: ours_lstm_step(P, X, Y, lr), 10)
    P_np = [p.copy() for p in P0]
    t_np = _per_call(lambda: numpy_lstm_step(P_np, X, Y, lr), 10)
    print(f"ours {t_ours * 1e3:.1f} ms/step, hand-written NumPy {t_np * 1e3:.1f} ms/step")
    _cprofile(lambda: [ours_lstm_step(P, X, Y, lr) for _ in range(5)])


def fit() -> None:
    """fit on digits (30 epochs) against the hand-written loop: where the time between goes."""
    import nn  # before profiling, so that import time is not counted

    from .workloads import digits_fit

    rows = digits_fit(False)
    for r in rows:
        print(f"{r.engine}: {r.median:.3f} s ({r.note})")
    from nn.data import StandardScaler
    from nn.datasets import load_digits

    X, y = load_digits()
    X = StandardScaler().fit(X).transform(X).astype(np.float32)
    Y = np.eye(10, dtype=np.float32)[y]

    def run() -> None:
        model = nn.Sequential(nn.Dense(64, activation="relu", input_dim=64), nn.Dense(10))
        model.compile(optimizer=nn.optim.SGD(model.parameters(), lr=0.05),
                      loss=nn.losses.get_loss("categorical_crossentropy", from_logits=True))
        model.fit(X[:1437], Y[:1437], epochs=30, batch_size=32, verbose=0, seed=0)
    _cprofile(run, top=30)
    _cprofile(run, top=30, sort="cumulative")


TARGETS = {"small_ops": small_ops, "deep_chain": deep_chain, "mlp_memory": mlp_memory,
           "lstm": lstm, "fit": fit}

if __name__ == "__main__":
    from .harness import pinned_threads

    with pinned_threads(1):  # as `python -m benchmarks` runs them
        for name in sys.argv[1:] or list(TARGETS):
            print(f"==== {name} ====")
            TARGETS[name]()
