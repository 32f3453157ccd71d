"""`python -m benchmarks.profile TARGET`: the profiles behind benchmarks/PROFILE.md.

Targets: small_ops, deep_chain, mlp_memory, mlp_fused, lstm, fit, fit_split, lenet. Each prints
its measured number and where the time or the bytes go. Profilers slow what they watch, so the
shares matter, not the absolute times; the timed numbers come from `python -m benchmarks`.
"""

from __future__ import annotations

import cProfile
import gc
import io
import pstats
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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


@contextmanager
def _rules_watched(wrap: Callable[..., Callable[..., Any]]) -> Iterator[None]:
    """Inside the block, every fixed-arity op's VJP rule ``r`` of input i is ``wrap(op, i, r)``."""
    saved = {}
    for op in ag.OPS.values():
        if not op.variadic:
            saved[op] = op.vjps
            op.vjps = tuple(None if r is None else wrap(op, i, r) for i, r in enumerate(op.vjps))
    try:
        yield
    finally:
        for op, v in saved.items():
            op.vjps = v


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
            frame = sys._getframe(1)  # the engine's walk: its live cotangents
            cots = frame.f_locals.get("cots", {})
            c = rule(*args, **kw)
            cur = tracemalloc.get_traced_memory()[0]
            live_cots = sum(v.nbytes for v in cots.values() if hasattr(v, "nbytes"))
            log.append(((cur - base) / mib, f"{op.name} vjp[{i}]", live_cots / mib,
                        c.nbytes / mib, graph_bytes[0] / mib))
            return c
        return watched

    with _rules_watched(wrap):
        gc.collect()
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        h: Any = X
        for i in range(3):
            h = ag.linear(h, w[i], b[i], activation="relu" if i < 2 else None)
        loss = ag.softmax_cross_entropy(h, Y).mean()
        nodes = topological_order(loss)
        graph_bytes[0] = sum(t.data.nbytes for t in nodes if t._op is not None)
        after_fwd = (tracemalloc.get_traced_memory()[0] - base) / mib
        for p in w + b:
            p.grad = None
        loss.backward()
        peak = (tracemalloc.get_traced_memory()[1] - base) / mib
        tracemalloc.stop()
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


def mlp_fused(batch: int = 128, rounds: int = 60) -> None:
    """The MLP step with relu inside linear (the benchmark's) and as its own node, against
    the hand-written step: thread time, alternated, 5 steps per turn."""
    from .workloads import _mlp_data, numpy_mlp_step, ours_mlp_step

    def two_nodes(Ws: list, bs: list, X: np.ndarray, Y: np.ndarray, lr: Any) -> None:
        h: Any = X
        for i, (W, b) in enumerate(zip(Ws, bs)):
            h = ag.linear(h, W, b)
            h = ag.relu(h) if i < 2 else h
        loss = ag.softmax_cross_entropy(h, Y).mean()
        for p in Ws + bs:
            p.grad = None
        loss.backward()
        with ag.no_grad():
            for p in Ws + bs:
                p.data -= lr * p.grad

    Ws, bs, X, Y = _mlp_data(batch)
    lr = np.float32(0.01)
    engines = {"numpy by hand": (numpy_mlp_step, False), "fused relu": (ours_mlp_step, True),
               "linear, relu": (two_nodes, True)}
    steps = {}
    for name, (step, tensors) in engines.items():
        w = [Tensor(a.copy(), requires_grad=True) if tensors else a.copy() for a in Ws]
        b = [Tensor(a.copy(), requires_grad=True) if tensors else a.copy() for a in bs]
        steps[name] = lambda step=step, w=w, b=b: step(w, b, X, Y, lr)
    times: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(rounds):
        for name, fn in steps.items():
            t = time.thread_time()
            for _ in range(5):
                fn()
            times[name].append((time.thread_time() - t) / 5)
    hand = np.array(times["numpy by hand"])
    for name, ts in times.items():
        a = np.array(ts)
        print(f"  {name:14s} min {a.min() * 1e3:.3f} ms  x NumPy: min/min "
              f"{a.min() / hand.min():.3f}, median of per-round ratios {np.median(a / hand):.3f}")


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


def fit_split(rounds: int = 5) -> None:
    """fit against three loops on the same 30 epochs: the NumPy loop by hand, a replay floor
    (the op table's forwards and VJP rules called in recorded order on raw arrays: no Tensor,
    no dispatch, no topological sort, no guard) and a plain engine loop. Python calls per
    batch (cProfile's count, which load does not move) and thread time, alternated."""
    import nn
    from autograd_core.engine import unbroadcast
    from nn.data import StandardScaler, train_test_split
    from nn.datasets import load_digits

    X, y = load_digits()
    X_tr, _, y_tr, _ = train_test_split(X, y, test_size=0.2, seed=0)
    X_tr = StandardScaler().fit(X_tr).transform(X_tr).astype(np.float32)
    Y_tr = np.eye(10, dtype=np.float32)[y_tr]
    epochs, size, lr = 30, 32, np.float32(0.05)
    rng = np.random.default_rng(0)
    W0 = [(rng.standard_normal((64, 64)) * np.sqrt(2 / 64)).astype(np.float32),
          (rng.standard_normal((64, 10)) * np.sqrt(2 / 64)).astype(np.float32)]
    b0 = [np.zeros(64, np.float32), np.zeros(10, np.float32)]
    lin, xent, mean = ag.OPS["linear"], ag.OPS["softmax_cross_entropy"], ag.OPS["mean"]

    def batches() -> Any:
        order_rng = np.random.default_rng(0)
        for _ in range(epochs):
            order = order_rng.permutation(len(X_tr))
            for k in range(0, len(order), size):
                yield X_tr[order[k:k + size]], Y_tr[order[k:k + size]]

    def by_hand() -> None:
        (W, V), (b, c) = [w.copy() for w in W0], [v.copy() for v in b0]
        for x, t in batches():
            z1 = x @ W + b
            h = np.maximum(z1, 0)
            z2 = h @ V + c
            e = np.exp(z2 - z2.max(1, keepdims=True))
            g2 = (e / e.sum(1, keepdims=True) - t) / len(x)
            g1 = (g2 @ V.T) * (z1 > 0)
            for p, g in zip((W, V, b, c), (x.T @ g1, h.T @ g2, g1.sum(0), g2.sum(0))):
                p -= lr * g

    def replay_floor() -> None:
        (W, V), (b, c) = [w.copy() for w in W0], [v.copy() for v in b0]
        relu = {"activation": "relu"}
        for x, t in batches():
            h = lin.forward(x, W, b, **relu)
            z = lin.forward(h, V, c)
            per = xent.forward(z, t, axis=-1)
            loss = mean.forward(per)
            gz = xent.vjps[0](mean.vjps[0](np.ones_like(loss), loss, per), per, z, t, axis=-1)
            gh = lin.vjps[0](gz, z, h, V, c)
            gh = lin.pre(gh, h, x, W, b, **relu)  # relu's slope, once for both rules
            grads = (lin.vjps[1](gh, h, x, W, b, **relu), lin.vjps[1](gz, z, h, V, c),
                     unbroadcast(lin.vjps[2](gh, h, x, W, b, **relu), b.shape),
                     unbroadcast(lin.vjps[2](gz, z, h, V, c), c.shape))
            for p, g in zip((W, V, b, c), grads):
                p -= lr * g

    def engine_loop() -> None:
        params = [Tensor(a.copy(), requires_grad=True) for a in W0 + b0]
        W, V, b, c = params
        for x, t in batches():
            h = ag.linear(x, W, b, activation="relu")
            loss = ag.softmax_cross_entropy(ag.linear(h, V, c), t).mean()
            for p in params:
                p.grad = None
            loss.backward()
            with ag.no_grad():
                for p in params:
                    p.data -= lr * p.grad

    def fit_() -> None:
        model = nn.Sequential(nn.Dense(64, activation="relu", input_dim=64), nn.Dense(10))
        model.load_state_dict({"layers.0.kernel": W0[0], "layers.0.bias": b0[0],
                               "layers.1.kernel": W0[1], "layers.1.bias": b0[1]})
        model.compile(optimizer=nn.optim.SGD(model.parameters(), lr=float(lr)),
                      loss=nn.losses.get_loss("categorical_crossentropy", from_logits=True))
        model.fit(X_tr, Y_tr, epochs=epochs, batch_size=size, verbose=0, seed=0)

    loops = {"numpy by hand": by_hand, "replay floor": replay_floor,
             "engine loop": engine_loop, "fit": fit_}
    n_batches = epochs * -(-len(X_tr) // size)
    calls = {}
    for name, fn in loops.items():
        prof = cProfile.Profile()
        prof.enable()
        fn()
        prof.disable()
        calls[name] = pstats.Stats(prof).total_calls / n_batches  # type: ignore[attr-defined]
    times: dict[str, list[float]] = {name: [] for name in loops}
    for _ in range(rounds):
        for name, fn in loops.items():
            t = time.thread_time()
            fn()
            times[name].append(time.thread_time() - t)
    hand = np.array(times["numpy by hand"])
    print(f"{n_batches} batches of {size}; thread time over {rounds} alternated rounds")
    for name, ts in times.items():
        a = np.array(ts)
        per_batch = a.min() / n_batches * 1e6
        print(f"  {name:14s} {calls[name]:5.0f} Python calls/batch  min {per_batch:5.0f} us/batch"
              f"  x NumPy: min/min {a.min() / hand.min():.2f}, median of per-round "
              f"ratios {np.median(a / hand):.2f}")
def lenet() -> None:
    """The LeNet step: time per engine, cProfile, and what is alive at its memory peak."""
    from .models import lenet_data, numpy_lenet_step, ours_lenet_step

    P0, X, Y = lenet_data(64)
    P = [Tensor(p.copy(), requires_grad=True) for p in P0]
    P_np = [p.copy() for p in P0]
    lr = np.float32(0.01)
    t_ours = _per_call(lambda: ours_lenet_step(P, X, Y, lr), 10)
    t_np = _per_call(lambda: numpy_lenet_step(P_np, X, Y, lr), 10)
    print(f"ours {t_ours * 1e3:.1f} ms/step, hand-written NumPy {t_np * 1e3:.1f} ms/step")
    _cprofile(lambda: [ours_lenet_step(P, X, Y, lr) for _ in range(10)], top=25)
    mib = 2**20
    log: list[tuple[str, float]] = []

    def wrap(op: Any, i: int, rule: Callable[..., Any]) -> Callable[..., Any]:
        def watched(*args: Any, **kw: Any) -> Any:
            c = rule(*args, **kw)
            log.append((f"{op.name} vjp[{i}]", (tracemalloc.get_traced_memory()[0] - base) / mib))
            return c
        return watched

    with _rules_watched(wrap):
        gc.collect()
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        log.append(("start", 0.0))
        ours_lenet_step(P, X, Y, lr)
        peak = (tracemalloc.get_traced_memory()[1] - base) / mib
        tracemalloc.stop()
    print(f"tracemalloc peak of one step {peak:.2f} MiB; traced MiB after each rule:")
    for name, cur in log:
        print(f"  {cur:6.2f}  {name}")


TARGETS = {"small_ops": small_ops, "deep_chain": deep_chain, "mlp_memory": mlp_memory,
           "lstm": lstm, "fit": fit, "fit_split": fit_split, "mlp_fused": mlp_fused,
           "lenet": lenet}

if __name__ == "__main__":
    from .harness import pinned_threads

    with pinned_threads(1):  # as `python -m benchmarks` runs them
        for name in sys.argv[1:] or list(TARGETS):
            print(f"==== {name} ====")
            TARGETS[name]()
