"""An LSTM learns the adding problem; a dense layer on the same sequences cannot.

    python examples/lstm_adding.py [--out runs/examples/lstm_adding] [--quick]

Each sample is a sequence of (value, mark) pairs: the values are uniform in [0, 1), exactly two
steps are marked, and the target is the sum of the two marked values
(``nn.datasets.adding_problem``). Always answering 1 scores a mean squared error of about
0.167. The LSTM reads the sequence step by step and keeps the marked values in its cell
state; a Dense layer on the flattened sequence computes a weighted sum of values and marks,
which cannot pick out the marked values, and stays near 0.15. Backpropagation through time is
ordinary ``backward()`` through the unrolled steps.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np

import nn
from nn.datasets import adding_problem


def parse_args() -> argparse.Namespace:
    """--out folder for the picture; --quick (or AUTOGRAD_EXAMPLE_QUICK=1) for fewer epochs."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="runs/examples/lstm_adding", help="folder for the picture")
    p.add_argument("--quick", action="store_true", default=bool(os.environ.get(
        "AUTOGRAD_EXAMPLE_QUICK")), help="fewer epochs (for tests)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--timesteps", type=int, default=20)
    return p.parse_args()


CONTENDERS = {  # an LSTM of 16 units, and one Dense layer on the flattened sequence
    "LSTM(16)": lambda steps: nn.Sequential(nn.LSTM(16, input_shape=(steps, 2)), nn.Dense(1)),
    "Dense": lambda steps: nn.Sequential(nn.Flatten(input_shape=(steps, 2)), nn.Dense(1)),
}


def main() -> None:
    """Train both on the same data; print and plot their test errors."""
    args = parse_args()
    epochs = 10 if args.quick else 30
    X, y = adding_problem(1500, args.timesteps, seed=args.seed)
    X, y = X.astype(np.float32), y.astype(np.float32)
    X_train, y_train, X_test, y_test = X[:1000], y[:1000], X[1000:], y[1000:]
    baseline = float(np.mean((y_test - 1.0) ** 2))
    print(f"adding problem: {len(X_train)} training and {len(X_test)} test sequences of "
          f"{args.timesteps} steps; answering 1 always scores mse {baseline:.3f}")

    histories = {}
    for name, make in CONTENDERS.items():
        nn.set_seed(args.seed)
        model = make(args.timesteps)
        model.compile("adam", "mse", lr=0.01)
        histories[name] = model.fit(X_train, y_train, epochs=epochs, batch_size=32,
                                    validation_data=(X_test, y_test), verbose=0,
                                    seed=args.seed)
        mse = model.evaluate(X_test, y_test)["loss"]
        print(f"{name:<9} {model.count_params():5d} weights  test mse {mse:.4f}")
        if name.startswith("LSTM"):
            pred = model.predict(X_test[:3])[:, 0]
            for i in range(3):
                marked = X_test[i, X_test[i, :, 1] == 1, 0]
                print(f"  marked values {marked[0]:.3f} + {marked[1]:.3f} = "
                      f"{y_test[i, 0]:.3f}, the LSTM says {pred[i]:.3f}")

    try:
        from nn.plot import plot_history

        path = plot_history(histories["LSTM(16)"], Path(args.out) / "lstm_adding_history.png")
        print(f"learning curves of the LSTM: {path}")
    except ImportError as e:  # matplotlib is an optional extra
        print(f"(no picture: {e})")


if __name__ == "__main__":
    main()
