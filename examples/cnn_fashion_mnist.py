"""A convolutional network on Fashion-MNIST (28x28 grey images of clothes, 10 classes).

    python examples/cnn_fashion_mnist.py [--data FOLDER] [--out runs/examples/cnn_fashion]
                                         [--quick]

Reads the four IDX files from ``--data`` (gzipped or not), or from the cache folder of
``nn.datasets.load_fashion_mnist`` (``~/.cache/autograd-core/fashion-mnist``), as images of
shape (28, 28, 1). It never downloads: without the files it says where it looked and stops.
The network: Conv2D(16, 3) -> MaxPooling2D -> Conv2D(32, 3) -> MaxPooling2D -> Dense(64) ->
Dense(10, softmax). ``--quick`` trains one epoch on the first 2,000 training images.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

import nn
from nn.datasets import FASHION_MNIST_CLASSES, load_fashion_mnist


def parse_args() -> argparse.Namespace:
    """--data folder of the IDX files; --out folder; --quick for a small subset."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=None, help="folder holding the four Fashion-MNIST files")
    p.add_argument("--out", default="runs/examples/cnn_fashion", help="folder for the files")
    p.add_argument("--quick", action="store_true", default=bool(os.environ.get(
        "AUTOGRAD_EXAMPLE_QUICK")), help="one epoch on 2,000 images (for tests)")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args()


def build() -> nn.Sequential:
    """(28, 28, 1) -> two convolution and pooling stages -> 64 ReLU units -> 10 classes."""
    return nn.Sequential(
        nn.Conv2D(16, 3, activation="relu", input_shape=(28, 28, 1)),   # (26, 26, 16)
        nn.MaxPooling2D(),                                               # (13, 13, 16)
        nn.Conv2D(32, 3, activation="relu"),                             # (11, 11, 32)
        nn.MaxPooling2D(),                                               # (5, 5, 32)
        nn.Flatten(),
        nn.Dense(64, activation="relu"),
        nn.Dense(10, activation="softmax"),
    )


def main() -> None:
    """Load the files (or say they are missing), train, evaluate, save the weights."""
    args = parse_args()
    try:
        (X_train, y_train), (X_test, y_test) = load_fashion_mnist(
            args.data, download=False, as_images=True)
    except FileNotFoundError as e:
        print(f"Fashion-MNIST files not found, nothing to train: {e}")
        print("Put train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
              "t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz in a folder and pass "
              "--data FOLDER.")
        return
    epochs = 1 if args.quick else args.epochs
    if args.quick:
        X_train, y_train = X_train[:2000], y_train[:2000]
        X_test, y_test = X_test[:500], y_test[:500]
    X_train = X_train.astype(np.float32) / 255.0
    X_test = X_test.astype(np.float32) / 255.0
    print(f"{len(X_train)} training and {len(X_test)} test images of shape "
          f"{X_train.shape[1:]}; classes: {', '.join(FASHION_MNIST_CLASSES)}")

    nn.set_seed(args.seed)
    model = build()
    model.summary()
    model.compile(optimizer="adam", lr=0.001, loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    start = time.perf_counter()
    model.fit(X_train, y_train, epochs=epochs, batch_size=64, verbose=2, seed=args.seed)
    seconds = time.perf_counter() - start
    scores = model.evaluate(X_test, y_test)
    print(f"trained {epochs} epoch(s) in {seconds:.0f} s; test loss {scores['loss']:.4f}, "
          f"test accuracy {scores['accuracy']:.4f}")

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    model.save_weights(out / "cnn_fashion.safetensors")
    print(f"weights saved to {out / 'cnn_fashion.safetensors'}")


if __name__ == "__main__":
    main()
