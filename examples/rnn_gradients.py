"""Vanishing and exploding gradients through time in a recurrent layer, and gradient clipping.

    python examples/rnn_gradients.py [--out runs/examples/rnn_gradients] [--quick]

Backpropagation through time multiplies the gradient, step after step, by the recurrent
kernel and the activation's slope. How much of the loss's gradient reaches the input at step
t, |dL/dx_t|, tells how far back the layer can learn from:

- tanh with an orthogonal recurrent kernel (the default): tanh's slope is below 1, so the
  gradient shrinks going back in time (it vanishes);
- relu with the recurrent kernel scaled by 1.5: every step multiplies it by up to 1.5, so it
  grows geometrically going back (it explodes), and one SGD step with such a gradient throws
  the weights so far that the loss overflows to nan.

Clipping the gradients' global norm to 1 before each step (``nn.clip_grad_norm``, or
``global_clipnorm=1.0`` on an optimizer) keeps the same exploding network training.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np

import autograd_core as ag
import nn
from nn.datasets import adding_problem
from nn.io import atomic_write

STEPS = 40
RUNS = {  # name: (activation, gain of the orthogonal recurrent kernel)
    "tanh, gain 1": ("tanh", 1.0),
    "relu, gain 1.5": ("relu", 1.5),
}


def parse_args() -> argparse.Namespace:
    """--out folder for the picture; --quick (or AUTOGRAD_EXAMPLE_QUICK=1) for fewer steps."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="runs/examples/rnn_gradients", help="folder for the picture")
    p.add_argument("--quick", action="store_true", default=bool(os.environ.get(
        "AUTOGRAD_EXAMPLE_QUICK")), help="fewer training steps (for tests)")
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args()


def network(activation: str, gain: float, seed: int) -> nn.Sequential:
    """SimpleRNN(16) over (STEPS, 2) sequences, then Dense(1)."""
    nn.set_seed(seed)
    return nn.Sequential(
        nn.SimpleRNN(16, activation=activation, input_shape=(STEPS, 2),
                     recurrent_initializer=nn.init.Orthogonal(gain)),
        nn.Dense(1))


def gradient_through_time(model: nn.Sequential, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """|dL/dx_t| for every step t: the gradient that reaches each input of the sequence."""
    x = ag.Tensor(X, requires_grad=True)
    nn.losses.mse(y, model(x)).backward()
    model.zero_grad()
    return np.linalg.norm(x.grad, axis=(0, 2))


def plot_through_time(norms: dict[str, np.ndarray], path: Path) -> Path:
    """|dL/dx_t| against t on a log axis, one line per network, written to ``path`` (PNG)."""
    import io

    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 3.5), layout="constrained")
    ax = fig.add_subplot()
    for name, g in norms.items():
        ax.semilogy(np.arange(len(g)), g, marker=".", label=name)
    ax.set(xlabel="step t (the loss is computed after the last step)",
           ylabel="|dL/dx_t| (log scale)", title="gradient through time, SimpleRNN(16)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=120)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, buffer.getvalue())
    return path


def train(model: nn.Sequential, X: np.ndarray, y: np.ndarray, steps: int, clip: float | None,
          seed: int) -> list[float]:
    """Plain SGD (lr 0.01) on batches of 32; the global gradient norm clipped to ``clip``."""
    opt = nn.SGD(model.parameters(), lr=0.01)
    rng = np.random.default_rng(seed)
    losses = []
    for _ in range(steps):
        rows = rng.integers(0, len(X), 32)
        with np.errstate(all="ignore"):  # without clipping the loss overflows, on purpose
            loss = nn.losses.mse(y[rows], model(X[rows]))
            loss.backward()
        if clip is not None:
            nn.clip_grad_norm(model.parameters(), clip)
        opt.step()
        opt.zero_grad()
        losses.append(loss.item())
    return losses


def main() -> None:
    """Print and plot the gradient through time; train the exploding network with and
    without clipping."""
    args = parse_args()
    X, y = adding_problem(512, STEPS, seed=args.seed)
    X, y = X.astype(np.float32), y.astype(np.float32)

    norms = {name: gradient_through_time(network(act, gain, args.seed), X[:64], y[:64])
             for name, (act, gain) in RUNS.items()}
    print(f"|dL/dx_t|, the gradient reaching step t of {STEPS} (a SimpleRNN of 16 units):")
    print(f"  {'step':>4}  " + "  ".join(f"{name:>15}" for name in norms))
    for t in range(0, STEPS, 5):
        print(f"  {t:>4}  " + "  ".join(f"{g[t]:15.2e}" for g in norms.values()))
    for name, g in norms.items():
        print(f"{name}: first step / last step = {g[0] / g[-1]:.1e}")
    try:
        print(f"picture: {plot_through_time(norms, Path(args.out) / 'rnn_gradients.png')}")
    except ImportError as e:  # matplotlib is an optional extra
        print(f"(no picture: {e})")

    steps = 60 if args.quick else 300
    print(f"\ntraining the exploding network (relu, gain 1.5) with SGD, {steps} steps:")
    for clip in (None, 1.0):
        losses = train(network("relu", 1.5, args.seed), X, y, steps, clip, args.seed)
        finite = np.isfinite(losses)
        label = "no clipping" if clip is None else f"clip_grad_norm {clip}"
        if finite.all():
            print(f"  {label:<20} loss {losses[0]:.3g} -> {np.mean(losses[-10:]):.3f} "
                  f"(mean of the last 10 steps)")
        else:
            print(f"  {label:<20} loss {losses[0]:.3g}, then not finite from step "
                  f"{int(np.argmin(finite)) + 1} on (diverged)")


if __name__ == "__main__":
    main()
