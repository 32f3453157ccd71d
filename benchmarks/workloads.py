"""The workloads, each written once per engine: ours, hand-written NumPy, and any installed peer."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.engine import topological_order

from .harness import (
    NUMPY,
    OURS,
    PEERS,
    Row,
    check_agree,
    installed,
    rows_from_times,
    time_alternating,
)
from .memory import peak_memory
from .models import backward_and_sgd, lenet_step, lstm_step

# ---- 50 small elementwise ops on shape (8,) ----

def _small_chain(x: Any, tanh: Callable[[Any], Any]) -> Any:
    y = x
    for _ in range(10):
        y = tanh(y * 1.01 + x) - 0.1
        y = y * x
    return y.sum()


def small_ops(quick: bool) -> list[Row]:
    """50 elementwise ops on shape (8,), plus sum and backward: microseconds per op."""
    x0 = np.linspace(0.1, 1.0, 8)

    def ours() -> Any:
        x = Tensor(x0, requires_grad=True)
        y = _small_chain(x, ag.tanh)
        y.backward()
        return y.data, x.grad

    def by_hand() -> Any:
        x, y, saved = x0, x0, []
        for _ in range(10):
            t = np.tanh(y * 1.01 + x)
            pre = t - 0.1
            saved.append((t, pre))
            y = pre * x
        gy, gx = np.ones_like(x), np.zeros_like(x)
        for t, pre in reversed(saved):
            gx += gy * pre
            gy = gy * x * (1 - t * t)
            gx += gy
            gy = gy * 1.01
        return y.sum(), gx + gy

    fns = {OURS: ours, NUMPY: by_hand}
    if PEERS["pytorch"]:
        import torch

        def torch_fn() -> Any:
            x = torch.tensor(x0, requires_grad=True)
            y = _small_chain(x, torch.tanh)
            y.backward()
            return y.item(), x.grad.numpy()
        fns["pytorch"] = torch_fn
    if PEERS["hips-autograd"]:
        import autograd
        import autograd.numpy as anp

        vg = autograd.value_and_grad(lambda x: _small_chain(x, anp.tanh))
        fns["hips-autograd"] = lambda: vg(x0)
    check_agree({k: f() for k, f in fns.items()}, 1e-10, 1e-12, "small ops")
    times = time_alternating(fns, reps=3 if quick else 60, block=6)
    return rows_from_times("50 small ops (8,), fwd+bwd", "us/op", times, lambda t: t / 51 * 1e6)


# ---- scalar MLP 2-16-16-1 from 0-d tensors ----

def _scalar_params(rng: np.random.Generator) -> list[list[float]]:
    sizes = [2, 16, 16, 1]
    layers = []
    for a, b in zip(sizes, sizes[1:]):
        layers.append([float(v) for v in rng.standard_normal(b * a + b) * 0.5])
    return layers


def _scalar_forward(params: list[list[Any]], X: np.ndarray, Y: np.ndarray,
                    tanh: Callable[[Any], Any]) -> Any:
    sizes = [2, 16, 16, 1]
    loss = 0.0
    for x, yt in zip(X, Y):
        h: list[Any] = [float(v) for v in x]
        for k, (a, b) in enumerate(zip(sizes, sizes[1:])):
            p = params[k]
            nxt = []
            for j in range(b):
                s = p[b * a + j]
                for i in range(a):
                    s = s + p[j * a + i] * h[i]
                nxt.append(tanh(s) if k < 2 else s)
            h = nxt
        d = h[0] - float(yt)
        loss = loss + d * d
    return loss * (1.0 / len(X))


def scalar_mlp(quick: bool) -> list[Row]:
    """MLP 2-16-16-1 (tanh) of 0-d tensors on 100 points, MSE, one SGD step: us per node."""
    rng = np.random.default_rng(0)
    n = 10 if quick else 100
    X, Y = rng.standard_normal((n, 2)), rng.standard_normal(n)
    init = _scalar_params(rng)
    lr = 0.01

    def ours() -> Any:
        params = [[Tensor(v, requires_grad=True) for v in layer] for layer in init]
        loss = _scalar_forward(params, X, Y, lambda s: s.tanh())
        loss.backward()
        grads = [float(p.grad) for layer in params for p in layer]
        with ag.no_grad():
            for layer in params:
                for p in layer:
                    p.data -= lr * p.grad
        return loss.item(), grads

    fns: dict[str, Callable[[], Any]] = {OURS: ours, NUMPY: lambda: _scalar_by_hand(init, X, Y)}
    if PEERS["pytorch"]:
        import torch

        def torch_fn() -> Any:
            params = [[torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in layer]
                      for layer in init]
            loss = _scalar_forward(params, X, Y, torch.tanh)
            loss.backward()
            grads = [p.grad.item() for layer in params for p in layer]
            with torch.no_grad():
                for layer in params:
                    for p in layer:
                        p -= lr * p.grad
            return loss.item(), grads
        fns["pytorch"] = torch_fn
    if PEERS["micrograd"]:
        from micrograd.engine import Value

        def mg_tanh(v: Any) -> Any:
            t = math.tanh(v.data)
            out = Value(t, (v,), "tanh")

            def _backward() -> None:
                v.grad += (1 - t * t) * out.grad
            out._backward = _backward
            return out

        def micrograd_fn() -> Any:
            params = [[Value(v) for v in layer] for layer in init]
            loss = _scalar_forward(params, X, Y, mg_tanh)
            loss.backward()
            grads = [p.grad for layer in params for p in layer]
            for layer in params:
                for p in layer:
                    p.data -= lr * p.grad
            return loss.data, grads
        fns["micrograd"] = micrograd_fn
    if PEERS["hips-autograd"]:
        import autograd
        import autograd.numpy as anp

        def f(flat: list[float]) -> Any:
            params, k = [], 0
            for layer in init:
                params.append(flat[k:k + len(layer)])
                k += len(layer)
            return _scalar_forward(params, X, Y, anp.tanh)

        vg = autograd.value_and_grad(f)
        flat0 = [v for layer in init for v in layer]

        def hips_fn() -> Any:
            val, g = vg(flat0)
            return val, list(g)
        fns["hips-autograd"] = hips_fn

    check_agree({k: fn() for k, fn in fns.items()}, 1e-9, 1e-12, "scalar MLP")
    params = [[Tensor(v, requires_grad=True) for v in layer] for layer in init]
    nodes = sum(1 for t in topological_order(_scalar_forward(params, X, Y, lambda s: s.tanh()))
                if t.op is not None)
    times = time_alternating(fns, reps=2 if quick else 15, budget=60)
    rows = rows_from_times(f"scalar MLP 2-16-16-1, {n} points ({nodes:,} nodes)", "us/node",
                           times, lambda t: t / nodes * 1e6,
                           notes={NUMPY: "Python floats, backprop by hand"})
    return rows


def _scalar_by_hand(init: list[list[float]], X: np.ndarray, Y: np.ndarray) -> Any:
    """Forward and backward of the scalar MLP in plain floats: no graph at all."""
    sizes = [2, 16, 16, 1]
    grads = [[0.0] * len(layer) for layer in init]
    loss = 0.0
    n = len(X)
    for x, yt in zip(X, Y):
        acts = [[float(v) for v in x]]
        for k, (a, b) in enumerate(zip(sizes, sizes[1:])):
            p, h = init[k], acts[-1]
            out = []
            for j in range(b):
                s = p[b * a + j] + sum(p[j * a + i] * h[i] for i in range(a))
                out.append(math.tanh(s) if k < 2 else s)
            acts.append(out)
        d = acts[-1][0] - float(yt)
        loss += d * d
        gout = [2 * d / n]
        for k in (2, 1, 0):
            a, b = sizes[k], sizes[k + 1]
            p, h, o = init[k], acts[k], acts[k + 1]
            gz = gout if k == 2 else [gout[j] * (1 - o[j] * o[j]) for j in range(b)]
            gin = [0.0] * a
            for j in range(b):
                grads[k][b * a + j] += gz[j]
                for i in range(a):
                    grads[k][j * a + i] += gz[j] * h[i]
                    gin[i] += gz[j] * p[j * a + i]
            gout = gin
    return loss / n, [g for layer in grads for g in layer]


# ---- a deep chain y = y*0.999 + 0.001 ----

def deep_chain(quick: bool) -> list[Row]:
    """A chain of N multiply-adds on 0-d tensors: us per op, and how that grows with N."""
    sizes = [100, 600] if quick else [1000, 10_000, 100_000, 1_000_000]
    rows: list[Row] = []
    for n in sizes:
        def ours(n: int = n) -> Any:
            x = Tensor(1.0, requires_grad=True)
            y = x
            for _ in range(n):
                y = y * 0.999 + 0.001
            y.backward()
            return y.item(), x.grad

        def by_hand(n: int = n) -> Any:
            y = 1.0
            for _ in range(n):
                y = y * 0.999 + 0.001
            g = 1.0
            for _ in range(n):
                g *= 0.999
            return y, g

        fns: dict[str, Callable[[], Any]] = {OURS: ours, NUMPY: by_hand}
        notes: dict[str, str] = {NUMPY: "Python floats"}
        if PEERS["pytorch"] and n <= 100_000:
            import torch

            def torch_fn(n: int = n) -> Any:
                x = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
                y = x
                for _ in range(n):
                    y = y * 0.999 + 0.001
                y.backward()
                return y.item(), x.grad.item()
            fns["pytorch"] = torch_fn
        failed: dict[str, str] = {}
        if PEERS["micrograd"]:
            from micrograd.engine import Value

            def micrograd_fn(n: int = n) -> Any:
                x = Value(1.0)
                y = x
                for _ in range(n):
                    y = y * 0.999 + 0.001
                y.backward()
                return y.data, x.grad
            try:
                micrograd_fn()
                fns["micrograd"] = micrograd_fn
            except RecursionError:
                failed["micrograd"] = "RecursionError"
        results = {k: f() for k, f in fns.items()}
        check_agree(results, 1e-9, 1e-12, f"deep chain {n}")
        reps = 2 if quick else (3 if n >= 100_000 else 10)
        # the agreement check above already warmed every engine up
        times = time_alternating(fns, reps=reps, warmup=0 if n >= 100_000 else 1, budget=90)
        rows += rows_from_times(f"deep chain N={n:,}", "us/op", times,
                                lambda t, n=n: t / (2 * n) * 1e6, notes=notes)
        for name, why in failed.items():
            rows.append(Row(f"deep chain N={n:,}", name, "us/op", float("nan"), float("nan"),
                            note=why))
    # flatness: each engine's us/op at every N over its own us/op at the smallest N
    smallest = f"deep chain N={sizes[0]:,}"
    first = {r.engine: r.median for r in rows if r.workload == smallest}
    for r in rows:
        if r.workload != smallest and r.median == r.median and first.get(r.engine):
            growth = r.median / first[r.engine]
            r.extra["growth_vs_smallest"] = growth
            flat = f"{growth:.2f}x its us/op at N={sizes[0]:,}"
            r.note = f"{r.note}; {flat}" if r.note else flat
    return rows


# ---- MLP 784-256-128-10 training step ----

def _mlp_data(batch: int, dtype: Any = np.float32) -> tuple[list, list, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    sizes = [784, 256, 128, 10]
    Ws = [(rng.standard_normal((a, b)) * np.sqrt(2 / a)).astype(dtype)
          for a, b in zip(sizes, sizes[1:])]
    bs = [np.zeros(b, dtype) for b in sizes[1:]]
    X = rng.standard_normal((batch, 784)).astype(dtype)
    Y = np.eye(10, dtype=dtype)[rng.integers(0, 10, batch)]
    return Ws, bs, X, Y


def numpy_mlp_step(Ws: list, bs: list, X: np.ndarray, Y: np.ndarray, lr: float) -> Any:
    """Forward, backward and SGD step of the ReLU MLP with softmax cross-entropy, by hand."""
    n = len(X)
    z1 = X @ Ws[0] + bs[0]
    h1 = np.maximum(z1, 0)
    z2 = h1 @ Ws[1] + bs[1]
    h2 = np.maximum(z2, 0)
    z3 = h2 @ Ws[2] + bs[2]
    m = z3.max(1, keepdims=True)
    e = np.exp(z3 - m)
    s = e.sum(1, keepdims=True)
    loss = -(Y * (z3 - m - np.log(s))).sum() / n
    g3 = (e / s - Y) / n
    g2 = (g3 @ Ws[2].T) * (z2 > 0)
    g1 = (g2 @ Ws[1].T) * (z1 > 0)
    grads = [X.T @ g1, h1.T @ g2, h2.T @ g3, g1.sum(0), g2.sum(0), g3.sum(0)]
    for p, g in zip(Ws + bs, grads):
        p -= lr * g
    return loss, grads


def ours_mlp_step(Ws: list, bs: list, X: np.ndarray, Y: np.ndarray, lr: float) -> Any:
    """The same step on autograd-core, written as a user of the engine would: three fused
    dense nodes, relu inside the first two (``ag.linear(..., activation="relu")``, as
    ``nn.Dense(activation="relu")`` does), fused cross-entropy, backward."""
    h = X
    for i, (W, b) in enumerate(zip(Ws, bs)):
        h = ag.linear(h, W, b, activation="relu" if i < 2 else None)
    return backward_and_sgd(ag.softmax_cross_entropy(h, Y).mean(), Ws + bs, lr)


def mlp_engines(batch: int, hips: bool = True) -> dict[str, Callable[[], Any]]:
    """One SGD step of the ReLU MLP per engine, each on its own copy of the same weights."""
    lr = np.float32(0.01)
    Ws, bs, X, Y = _mlp_data(batch)

    def fresh() -> tuple[list, list]:
        return [W.copy() for W in Ws], [b.copy() for b in bs]

    w_np, b_np = fresh()
    w_ag = [Tensor(W, requires_grad=True) for W in fresh()[0]]
    b_ag = [Tensor(b, requires_grad=True) for b in fresh()[1]]
    fns: dict[str, Callable[[], Any]] = {
        OURS: lambda: ours_mlp_step(w_ag, b_ag, X, Y, lr),
        NUMPY: lambda: numpy_mlp_step(w_np, b_np, X, Y, lr),
    }
    if PEERS["pytorch"]:
        import torch

        w_t = [torch.tensor(W, requires_grad=True) for W in fresh()[0]]
        b_t = [torch.tensor(b, requires_grad=True) for b in fresh()[1]]
        Xt, yt = torch.tensor(X), torch.tensor(Y.argmax(1))

        def torch_fn() -> Any:
            h = Xt
            for i, (W, b) in enumerate(zip(w_t, b_t)):
                h = h @ W + b
                if i < 2:
                    h = torch.relu(h)
            loss = torch.nn.functional.cross_entropy(h, yt)
            for p in w_t + b_t:
                p.grad = None
            loss.backward()
            with torch.no_grad():
                for p in w_t + b_t:
                    p -= lr * p.grad
            return loss.item(), [p.grad.numpy() for p in w_t + b_t]
        fns["pytorch"] = torch_fn
    if PEERS["hips-autograd"] and hips:
        import autograd
        import autograd.numpy as anp

        w_h, b_h = fresh()

        def loss_fn(params: list) -> Any:
            h = X
            for i in range(3):
                h = anp.dot(h, params[i]) + params[3 + i]
                if i < 2:
                    h = anp.maximum(h, 0)
            m = anp.max(h, axis=1, keepdims=True)
            logp = h - m - anp.log(anp.sum(anp.exp(h - m), axis=1, keepdims=True))
            return -anp.sum(Y * logp) / len(X)

        vg = autograd.value_and_grad(loss_fn)

        def hips_fn() -> Any:
            val, grads = vg(w_h + b_h)
            for p, g in zip(w_h + b_h, grads):
                p -= lr * g
            return val, grads
        fns["hips-autograd"] = hips_fn
    return fns


def mlp_step(quick: bool) -> list[Row]:
    """One SGD step of a 784-256-128-10 ReLU MLP, softmax cross-entropy, batch 128, float32."""
    batch = 16 if quick else 128
    fns = mlp_engines(batch)
    check_agree({k: f() for k, f in fns.items()}, 1e-4, 1e-5, "MLP step")
    # the check took one step for every engine; all start the timed run from the same weights
    times = time_alternating(fns, reps=3 if quick else 50, budget=60, block=5)
    return rows_from_times(f"MLP 784-256-128-10 step, batch {batch}", "ms/step", times,
                           lambda t: t * 1e3)


# ---- large matmul ----

def big_matmul(quick: bool) -> list[Row]:
    """sum(tanh(A @ B)) forward and backward on n x n float32 matrices: GFLOP/s."""
    n = 256 if quick else 2048
    rng = np.random.default_rng(0)
    A = (rng.standard_normal((n, n)) / np.sqrt(n)).astype(np.float32)
    B = (rng.standard_normal((n, n)) / np.sqrt(n)).astype(np.float32)
    flops = 6 * n**3  # one matmul forward, two backward

    def ours() -> Any:
        a, b = Tensor(A, requires_grad=True), Tensor(B, requires_grad=True)
        y = ag.tanh(a @ b).sum()
        y.backward()
        return y.data, a.grad, b.grad

    def by_hand() -> Any:
        t = np.tanh(A @ B)
        g = 1 - t * t
        return t.sum(), g @ B.T, A.T @ g

    fns: dict[str, Callable[[], Any]] = {OURS: ours, NUMPY: by_hand}
    if PEERS["pytorch"]:
        import torch

        def torch_fn() -> Any:
            a = torch.tensor(A, requires_grad=True)
            b = torch.tensor(B, requires_grad=True)
            y = torch.tanh(a @ b).sum()
            y.backward()
            return y.item(), a.grad.numpy(), b.grad.numpy()
        fns["pytorch"] = torch_fn
    fns["numpy matmul alone"] = lambda: A @ B
    check_agree({k: f() for k, f in fns.items() if k != "numpy matmul alone"}, 1e-3, 1e-3,
                "large matmul")
    times = time_alternating(fns, reps=3 if quick else 7, warmup=1, budget=120)
    rows = rows_from_times(f"sum(tanh(A @ B)) fwd+bwd, {n}x{n} float32", "GFLOP/s",
                           {k: v for k, v in times.items() if k != "numpy matmul alone"},
                           lambda t: flops / t / 1e9, higher_is_better=True)
    raw = rows_from_times("numpy A @ B alone", "GFLOP/s",
                          {OURS: times["numpy matmul alone"]}, lambda t: 2 * n**3 / t / 1e9,
                          higher_is_better=True)[0]
    raw.engine, raw.ratio, raw.note = "numpy matmul alone", None, "the physical limit"
    for r in rows:
        r.extra["fraction_of_raw_matmul"] = r.median / raw.median
    return rows + [raw]


# ---- fitting the digits classifier end to end ----

def digits_fit(quick: bool) -> list[Row]:
    """Train a 64-64-10 ReLU MLP on scikit-learn's digits with minibatch SGD: seconds."""
    if not installed("sklearn"):
        return [Row("digits fit", OURS, "s", float("nan"), float("nan"),
                    note="needs scikit-learn")]
    import nn
    from nn.data import StandardScaler, train_test_split
    from nn.datasets import load_digits

    X, y = load_digits()
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.2, seed=0)
    scaler = StandardScaler().fit(X_tr)
    X_tr = scaler.transform(X_tr).astype(np.float32)
    X_te = scaler.transform(X_te).astype(np.float32)
    epochs, batch, lr = (2 if quick else 30), 32, 0.05
    rng = np.random.default_rng(0)
    W0 = [(rng.standard_normal((64, 64)) * np.sqrt(2 / 64)).astype(np.float32),
          (rng.standard_normal((64, 10)) * np.sqrt(2 / 64)).astype(np.float32)]
    Y_tr = np.eye(10, dtype=np.float32)[y_tr]

    def ours() -> Any:
        model = nn.Sequential(nn.Dense(64, activation="relu", input_dim=64), nn.Dense(10))
        model.load_state_dict({"layers.0.kernel": W0[0], "layers.0.bias": np.zeros(64, "f4"),
                               "layers.1.kernel": W0[1], "layers.1.bias": np.zeros(10, "f4")})
        model.compile(optimizer=nn.optim.SGD(model.parameters(), lr=lr),
                      loss=nn.losses.get_loss("categorical_crossentropy", from_logits=True))
        model.fit(X_tr, Y_tr, epochs=epochs, batch_size=batch, verbose=0, seed=0)
        return float(np.mean(model.predict(X_te).argmax(1) == y_te))

    def by_hand() -> Any:
        Ws = [W.copy() for W in W0]
        bs = [np.zeros(64, np.float32), np.zeros(10, np.float32)]
        order_rng = np.random.default_rng(0)
        for _ in range(epochs):
            order = order_rng.permutation(len(X_tr))
            for k in range(0, len(order), batch):
                i = order[k:k + batch]
                x, t = X_tr[i], Y_tr[i]
                z1 = x @ Ws[0] + bs[0]
                h1 = np.maximum(z1, 0)
                z2 = h1 @ Ws[1] + bs[1]
                e = np.exp(z2 - z2.max(1, keepdims=True))
                g2 = (e / e.sum(1, keepdims=True) - t) / len(i)
                g1 = (g2 @ Ws[1].T) * (z1 > 0)
                for p, g in zip(Ws + bs, [x.T @ g1, h1.T @ g2, g1.sum(0), g2.sum(0)]):
                    p -= np.float32(lr) * g
        z = np.maximum(X_te @ Ws[0] + bs[0], 0) @ Ws[1] + bs[1]
        return float(np.mean(z.argmax(1) == y_te))

    fns: dict[str, Callable[[], Any]] = {OURS: ours, NUMPY: by_hand}
    if PEERS["pytorch"]:
        import torch

        def torch_fn() -> Any:
            Ws = [torch.tensor(W, requires_grad=True) for W in W0]
            bs = [torch.zeros(64, requires_grad=True), torch.zeros(10, requires_grad=True)]
            Xt, yt = torch.tensor(X_tr), torch.tensor(y_tr)
            order_rng = np.random.default_rng(0)
            for _ in range(epochs):
                order = order_rng.permutation(len(X_tr))
                for k in range(0, len(order), batch):
                    i = torch.from_numpy(order[k:k + batch])
                    z = torch.relu(Xt[i] @ Ws[0] + bs[0]) @ Ws[1] + bs[1]
                    loss = torch.nn.functional.cross_entropy(z, yt[i])
                    for p in Ws + bs:
                        p.grad = None
                    loss.backward()
                    with torch.no_grad():
                        for p in Ws + bs:
                            p -= lr * p.grad
            with torch.no_grad():
                z = torch.relu(torch.tensor(X_te) @ Ws[0] + bs[0]) @ Ws[1] + bs[1]
            return float(np.mean(z.numpy().argmax(1) == y_te))
        fns["pytorch"] = torch_fn
    # shuffling differs between engines, so they agree on the test accuracy, not bit for bit
    accuracy = {k: f() for k, f in fns.items()}
    check_agree(accuracy, 0.0, 0.02 if not quick else 0.2, "digits fit")
    times = time_alternating(fns, reps=1 if quick else 3, warmup=0, budget=120)
    rows = rows_from_times(f"fit digits 64-64-10, {epochs} epochs, batch {batch}", "s", times,
                           lambda t: t)
    for r in rows:
        r.note = f"test accuracy {accuracy[r.engine]:.3f}"
    return rows


WORKLOADS: dict[str, Callable[[bool], list[Row]]] = {
    "small_ops": small_ops,
    "scalar_mlp": scalar_mlp,
    "deep_chain": deep_chain,
    "mlp_step": mlp_step,
    "matmul": big_matmul,
    "digits_fit": digits_fit,
    "lenet_step": lenet_step,
    "lstm_step": lstm_step,
    "memory": peak_memory,
}


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    import os
    import platform

    info = {"python": sys.version.split()[0], "numpy": np.__version__,
            "cpu": platform.processor() or platform.machine(), "cores": os.cpu_count()}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    if PEERS["pytorch"]:
        import torch
        info["torch"] = torch.__version__
        info["torch threads"] = torch.get_num_threads()
    if installed("threadpoolctl"):
        from threadpoolctl import threadpool_info

        info["blas"] = "; ".join(
            f"{p.get('internal_api')} {p.get('version')} ({p.get('architecture')}, "
            f"{p.get('num_threads')} threads, {os.path.basename(p.get('filepath', ''))})"
            for p in threadpool_info() if p.get("user_api") == "blas")
    # the BLAS reads this at start-up; it is recorded as found, never set here
    info["OPENBLAS_CORETYPE"] = os.environ.get("OPENBLAS_CORETYPE", "unset")
    info["load average"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return info
