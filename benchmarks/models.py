"""Issue 13's training steps, a LeNet-style CNN and an LSTM, each written once per engine.

Channels-last and Keras's LSTM gate order (i, f, c, o) throughout; the PyTorch versions get
the same weights transposed to PyTorch's layouts, so every engine computes the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

import autograd_core as ag
from autograd_core import Tensor

from .harness import (
    NUMPY,
    OURS,
    PEERS,
    Row,
    check_agree,
    missing,
    rows_from_times,
    time_alternating,
)

Step = Callable[[], Any]
NN_LSTM = f"{OURS} nn.LSTM"  # the library's layer, beside the step written with plain ops


def _softmax_xent_grad(z: np.ndarray, Y: np.ndarray) -> tuple[Any, np.ndarray]:
    """Mean softmax cross-entropy of logits ``z`` against one-hot ``Y``, and its gradient."""
    m = z.max(1, keepdims=True)
    e = np.exp(z - m)
    s = e.sum(1, keepdims=True)
    loss = -(Y * (z - m - np.log(s))).sum() / len(z)
    return loss, (e / s - Y) / len(z)


def _sgd(params: list[np.ndarray], grads: list[np.ndarray], lr: Any) -> None:
    for p, g in zip(params, grads):
        p -= lr * g


# ---- LeNet-style CNN: conv 5x5x6, pool 2, conv 5x5x16, pool 2, dense 120, 84, 10 ----

def lenet_data(batch: int) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """He-initialised LeNet weights (channels-last kernels), a batch of 28x28x1 images, labels."""
    rng = np.random.default_rng(0)
    shapes = [(5, 5, 1, 6), (6,), (5, 5, 6, 16), (16,), (256, 120), (120,), (120, 84), (84,),
              (84, 10), (10,)]
    params = []
    for s in shapes:
        fan_in = int(np.prod(s[:-1])) if len(s) > 1 else 1
        w = rng.standard_normal(s) * np.sqrt(2 / fan_in) if len(s) > 1 else np.zeros(s)
        params.append(w.astype(np.float32))
    X = rng.standard_normal((batch, 28, 28, 1)).astype(np.float32)
    Y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, batch)]
    return params, X, Y


def _im2col(x: np.ndarray, k: int) -> np.ndarray:
    """Every k x k window of x (N, H, W, C) as a row (kh, kw, c order), as Keras's kernel."""
    n, h, w, c = x.shape
    win = sliding_window_view(x, (k, k), axis=(1, 2))  # (N, OH, OW, C, KH, KW), a view
    return win.transpose(0, 1, 2, 4, 5, 3).reshape(n * (h - k + 1) * (w - k + 1), k * k * c)


def _col2im(dcols: np.ndarray, shape: tuple[int, ...], k: int) -> np.ndarray:
    """The reverse of _im2col: add every window's gradient back where the window came from."""
    n, h, w, c = shape
    oh, ow = h - k + 1, w - k + 1
    d = dcols.reshape(n, oh, ow, k, k, c)
    dx = np.zeros(shape, dcols.dtype)
    for i in range(k):
        for j in range(k):
            dx[:, i:i + oh, j:j + ow] += d[:, :, :, i, j]
    return dx


def _pool2(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """2x2 max pooling, stride 2, of x (N, H, W, C) with even H and W; and the windows."""
    n, h, w, c = x.shape
    v = x.reshape(n, h // 2, 2, w // 2, 2, c)
    return v.max(axis=(2, 4)), v


def _unpool2(g: np.ndarray, v: np.ndarray, out: np.ndarray) -> np.ndarray:
    # ties share the gradient; after a ReLU they are zeros, whose gradient the ReLU then drops
    mask = v == out[:, :, None, :, None]
    n, h2, _, w2, _, c = v.shape
    return (mask * g[:, :, None, :, None]).reshape(n, 2 * h2, 2 * w2, c)


def numpy_lenet_step(P: list[np.ndarray], X: np.ndarray, Y: np.ndarray, lr: Any) -> Any:
    """Forward, backward (im2col convolution, manual rules) and SGD step of LeNet, by hand."""
    K1, b1, K2, b2, W3, b3, W4, b4, W5, b5 = P
    n = len(X)
    c1 = _im2col(X, 5)
    z1 = (c1 @ K1.reshape(-1, 6)).reshape(n, 24, 24, 6) + b1
    a1 = np.maximum(z1, 0)
    p1, v1 = _pool2(a1)
    c2 = _im2col(p1, 5)
    z2 = (c2 @ K2.reshape(-1, 16)).reshape(n, 8, 8, 16) + b2
    a2 = np.maximum(z2, 0)
    p2, v2 = _pool2(a2)
    f = p2.reshape(n, -1)
    z3 = f @ W3 + b3
    h3 = np.maximum(z3, 0)
    z4 = h3 @ W4 + b4
    h4 = np.maximum(z4, 0)
    loss, g5 = _softmax_xent_grad(h4 @ W5 + b5, Y)
    g4 = (g5 @ W5.T) * (z4 > 0)
    g3 = (g4 @ W4.T) * (z3 > 0)
    gf = (g3 @ W3.T).reshape(p2.shape)
    g2 = (_unpool2(gf, v2, p2) * (z2 > 0)).reshape(-1, 16)
    gp1 = _col2im(g2 @ K2.reshape(-1, 16).T, p1.shape, 5)
    g1 = (_unpool2(gp1, v1, p1) * (z1 > 0)).reshape(-1, 6)
    grads = [(c1.T @ g1).reshape(K1.shape), g1.sum(0), (c2.T @ g2).reshape(K2.shape), g2.sum(0),
             f.T @ g3, g3.sum(0), h3.T @ g4, g4.sum(0), h4.T @ g5, g5.sum(0)]
    _sgd(P, grads, lr)
    return loss, grads


def backward_and_sgd(loss: Tensor, P: list[Tensor], lr: Any) -> Any:
    """The end of every engine step here: gradients of ``loss`` into ``P``, then plain SGD."""
    for p in P:
        p.grad = None
    loss.backward()
    grads = [p.grad for p in P]
    with ag.no_grad():
        for p in P:
            p.data -= lr * p.grad
    return loss.data, grads


def ours_lenet_step(P: list[Tensor], X: np.ndarray, Y: np.ndarray, lr: Any) -> Any:
    """The same step on autograd-core's conv2d and max_pool2d (channels-last, as Keras), the
    bias and relu passed to conv2d (one node per convolution, as nn.Conv2D does) rather than
    applied after it."""
    K1, b1, K2, b2, W3, b3, W4, b4, W5, b5 = P
    h = ag.max_pool2d(ag.conv2d(X, K1, bias=b1, activation="relu"), 2)
    h = ag.max_pool2d(ag.conv2d(h, K2, bias=b2, activation="relu"), 2)
    h = ag.reshape(h, (len(X), 256))
    h = ag.relu(ag.linear(h, W3, b3))
    h = ag.relu(ag.linear(h, W4, b4))
    return backward_and_sgd(ag.softmax_cross_entropy(ag.linear(h, W5, b5), Y).mean(), P, lr)


def has_conv() -> bool:
    """Whether this autograd-core has the convolution ops the LeNet step needs."""
    return hasattr(ag, "conv2d") and hasattr(ag, "max_pool2d")


def lenet_engines(batch: int) -> dict[str, Step]:
    """One LeNet SGD step per engine (ours only once ag.conv2d exists), on copies of one init."""
    P0, X, Y = lenet_data(batch)
    lr = np.float32(0.01)
    P_np = [p.copy() for p in P0]
    fns: dict[str, Step] = {}
    if has_conv():
        P_ag = [Tensor(p.copy(), requires_grad=True) for p in P0]
        fns[OURS] = lambda: ours_lenet_step(P_ag, X, Y, lr)
    fns[NUMPY] = lambda: numpy_lenet_step(P_np, X, Y, lr)
    if PEERS["pytorch"]:
        fns["pytorch"] = _torch_lenet(P0, X, Y, lr)
    return fns


def _torch_lenet(P0: list[np.ndarray], X: np.ndarray, Y: np.ndarray, lr: Any) -> Step:
    import torch
    import torch.nn.functional as F  # noqa: N812 - PyTorch's own spelling

    # PyTorch is channels-first: kernels (C_out, C_in, KH, KW), images (N, C, H, W)
    P = [torch.tensor(p.transpose(3, 2, 0, 1).copy() if p.ndim == 4 else p, requires_grad=True)
         for p in P0]
    Xt = torch.tensor(X.transpose(0, 3, 1, 2).copy())
    yt = torch.tensor(Y.argmax(1))

    def step() -> Any:
        K1, b1, K2, b2, W3, b3, W4, b4, W5, b5 = P
        h = F.max_pool2d(torch.relu(F.conv2d(Xt, K1, b1)), 2)
        h = F.max_pool2d(torch.relu(F.conv2d(h, K2, b2)), 2)
        h = h.permute(0, 2, 3, 1).reshape(len(Xt), 256)  # flatten in channels-last order
        h = torch.relu(h @ W3 + b3)
        h = torch.relu(h @ W4 + b4)
        loss = F.cross_entropy(h @ W5 + b5, yt)
        for p in P:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in P:
                p -= lr * p.grad
        grads = [p.grad.numpy() for p in P]
        return loss.item(), [g.transpose(2, 3, 1, 0) if g.ndim == 4 else g for g in grads]
    return step


def lenet_step(quick: bool) -> list[Row]:
    """One SGD step of a LeNet-style CNN on 28x28x1 images, batch 64, float32: ms per step."""
    batch = 4 if quick else 64
    name = f"LeNet step 28x28x1, batch {batch}"
    fns = lenet_engines(batch)
    check_agree({k: f() for k, f in fns.items()}, 1e-4, 1e-5, "LeNet step")
    times = time_alternating(fns, reps=3 if quick else 30, budget=60, block=3)
    rows = rows_from_times(name, "ms/step", times, lambda t: t * 1e3)
    if OURS not in fns:
        rows.insert(0, missing(name, OURS, "ms/step", "needs ag.conv2d and ag.max_pool2d"))
    return rows


# ---- LSTM: sequence 50, batch 32, 64 units, then dense 10 on the last state ----

def lstm_data(batch: int, steps: int, units: int, features: int = 32
              ) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Keras-layout LSTM weights (kernel, recurrent kernel, bias), a dense head, data, labels."""
    rng = np.random.default_rng(0)
    u = units
    W = rng.standard_normal((features, 4 * u)) * np.sqrt(1 / features)
    U = rng.standard_normal((u, 4 * u)) * np.sqrt(1 / u)
    b = np.zeros(4 * u)
    b[u:2 * u] = 1.0  # Keras's unit_forget_bias
    Wd = rng.standard_normal((u, 10)) * np.sqrt(1 / u)
    params = [p.astype(np.float32) for p in (W, U, b, Wd, np.zeros(10))]
    X = rng.standard_normal((batch, steps, features)).astype(np.float32)
    Y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, batch)]
    return params, X, Y


def _sig(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


def numpy_lstm_step(P: list[np.ndarray], X: np.ndarray, Y: np.ndarray, lr: Any) -> Any:
    """Forward, backpropagation through time by hand, and SGD step of the LSTM."""
    W, U, b, Wd, bd = P
    n, T, d = X.shape
    u = U.shape[0]
    xw = (X.reshape(n * T, d) @ W + b).reshape(n, T, 4 * u)
    h = np.zeros((n, u), X.dtype)
    c = np.zeros((n, u), X.dtype)
    saved = []
    for t in range(T):
        z = xw[:, t] + h @ U
        i, f = _sig(z[:, :u]), _sig(z[:, u:2 * u])
        g, o = np.tanh(z[:, 2 * u:3 * u]), _sig(z[:, 3 * u:])
        c_new = f * c + i * g
        tc = np.tanh(c_new)
        saved.append((h, c, i, f, g, o, tc))
        h, c = o * tc, c_new
    loss, gl = _softmax_xent_grad(h @ Wd + bd, Y)
    dWd, dbd = h.T @ gl, gl.sum(0)
    dh = gl @ Wd.T
    dc = np.zeros_like(dh)
    dz = np.empty((n, T, 4 * u), X.dtype)
    dU = np.zeros_like(U)
    for t in reversed(range(T)):
        h_prev, c_prev, i, f, g, o, tc = saved[t]
        dc = dc + dh * o * (1 - tc * tc)
        dz[:, t, :u] = dc * g * i * (1 - i)
        dz[:, t, u:2 * u] = dc * c_prev * f * (1 - f)
        dz[:, t, 2 * u:3 * u] = dc * i * (1 - g * g)
        dz[:, t, 3 * u:] = dh * tc * o * (1 - o)
        dc = dc * f
        dU += h_prev.T @ dz[:, t]
        dh = dz[:, t] @ U.T
    dz2 = dz.reshape(n * T, 4 * u)
    grads = [X.reshape(n * T, d).T @ dz2, dU, dz2.sum(0), dWd, dbd]
    _sgd(P, grads, lr)
    return loss, grads


def ours_lstm_step(P: list[Tensor], X: np.ndarray, Y: np.ndarray, lr: Any) -> Any:
    """The same step on autograd-core's plain ops: BPTT is just backward.

    Written as a user who knows the engine writes it (as nn.LSTM does): the input projection
    per time step, ``linear(X[:, t], W, b)``, rather than one projection of the sequence
    sliced with ``xw[:, t]`` (the reverse of each slice writes a zero array of the whole
    sequence's size: O(T^2)); the recurrent matmul fused with it, ``linear(h, U, xw_t)``;
    one sigmoid over the four gate blocks, sliced after. 13 nodes per step instead of 16.
    """
    W, U, b, Wd, bd = P
    n, T, d = X.shape
    u = U.shape[0]
    h = np.zeros((n, u), X.dtype)
    c = np.zeros((n, u), X.dtype)
    for t in range(T):
        z = ag.linear(h, U, ag.linear(X[:, t], W, b))
        s = ag.sigmoid(z)  # the c block's sigmoid is not used: one call beats three
        i, f, o = s[:, :u], s[:, u:2 * u], s[:, 3 * u:]
        c = f * c + i * ag.tanh(z[:, 2 * u:3 * u])
        h = o * ag.tanh(c)
    return _ours_head_step(P, h, Y, lr)


def _ours_head_step(P: list[Tensor], h: Any, Y: np.ndarray, lr: Any) -> Any:
    """The dense head, the loss, backward and the SGD update, shared by both LSTM steps."""
    Wd, bd = P[-2:]
    return backward_and_sgd(ag.softmax_cross_entropy(ag.linear(h, Wd, bd), Y).mean(), P, lr)


def nn_lstm_engine(P0: list[np.ndarray], X: np.ndarray, Y: np.ndarray, lr: Any) -> Step:
    """The step with the library's ``nn.LSTM`` layer (Keras layout: the same weights)."""
    import nn

    layer = nn.LSTM(P0[1].shape[0], dtype=P0[0].dtype, input_shape=X.shape[1:])
    layer.set_weights([p.copy() for p in P0[:3]])
    P = [layer.kernel, layer.recurrent_kernel, layer.bias,
         *(Tensor(p.copy(), requires_grad=True) for p in P0[3:])]
    return lambda: _ours_head_step(P, layer(X), Y, lr)


def lstm_engines(batch: int, steps: int, units: int) -> dict[str, Step]:
    """One LSTM SGD step per engine, on copies of the same initial weights."""
    P0, X, Y = lstm_data(batch, steps, units)
    lr = np.float32(0.01)
    P_np = [p.copy() for p in P0]
    P_ag = [Tensor(p.copy(), requires_grad=True) for p in P0]
    fns: dict[str, Step] = {
        OURS: lambda: ours_lstm_step(P_ag, X, Y, lr),
        NN_LSTM: nn_lstm_engine(P0, X, Y, lr),
        NUMPY: lambda: numpy_lstm_step(P_np, X, Y, lr),
    }
    if PEERS["pytorch"]:
        fns["pytorch"] = _torch_lstm(P0, X, Y, lr)
    return fns


def _torch_lstm(P0: list[np.ndarray], X: np.ndarray, Y: np.ndarray, lr: Any) -> Step:
    import torch

    W, U, b, Wd, bd = P0
    u = U.shape[0]
    # torch.nn.LSTM's gates are (i, f, g, o), Keras's order; its weights are transposed
    lstm = torch.nn.LSTM(W.shape[0], u, batch_first=True)
    with torch.no_grad():
        lstm.weight_ih_l0.copy_(torch.tensor(W.T))
        lstm.weight_hh_l0.copy_(torch.tensor(U.T))
        lstm.bias_ih_l0.copy_(torch.tensor(b))
        lstm.bias_hh_l0.zero_()
    lstm.bias_hh_l0.requires_grad_(False)  # one bias, as Keras
    head = [torch.tensor(Wd, requires_grad=True), torch.tensor(bd, requires_grad=True)]
    params = [lstm.weight_ih_l0, lstm.weight_hh_l0, lstm.bias_ih_l0] + head
    Xt, yt = torch.tensor(X), torch.tensor(Y.argmax(1))

    def step() -> Any:
        out, _ = lstm(Xt)
        loss = torch.nn.functional.cross_entropy(out[:, -1] @ head[0] + head[1], yt)
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= lr * p.grad
        g = [p.grad.numpy() for p in params]
        return loss.item(), [g[0].T, g[1].T] + g[2:]
    return step


def lstm_step(quick: bool) -> list[Row]:
    """One SGD step of an LSTM (sequence 50, batch 32, 64 units) and a dense head: ms per step."""
    batch, steps, units = (4, 5, 8) if quick else (32, 50, 64)
    fns = lstm_engines(batch, steps, units)
    check_agree({k: f() for k, f in fns.items()}, 1e-4, 1e-5, "LSTM step")
    times = time_alternating(fns, reps=3 if quick else 30, budget=60, block=3)
    return rows_from_times(f"LSTM step, sequence {steps}, batch {batch}, {units} units",
                           "ms/step", times, lambda t: t * 1e3)
