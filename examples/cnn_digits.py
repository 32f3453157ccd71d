"""A small convolutional network on the 8x8 digits: Conv2D, BatchNormalization, MaxPooling2D.

    python examples/cnn_digits.py [--out runs/examples/cnn_digits] [--quick]

The digits that ship with scikit-learn, image-shaped (1797, 8, 8, 1) by
``load_digits(as_images=True)``, split 80/20 with seed 0. Two 3x3 convolutions with batch
normalisation and 2x2 max pooling, then one softmax layer: about 21,000 weights. The
training images are augmented with copies shifted by one pixel up, down, left and right (a
digit moved by a pixel is the same digit), which takes the test accuracy from about 97.8%
to over 98% in six epochs. The moving statistics of the batch normalisation are
weights like the others: a fresh model loading the file predicts exactly the same. The
training-step graph is drawn, each convolution and pooling as one box in its layer's box.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

import autograd_core as ag
import nn
from nn.data import train_test_split
from nn.datasets import load_digits


def parse_args() -> argparse.Namespace:
    """--out folder for the files; --quick (or AUTOGRAD_EXAMPLE_QUICK=1) kept for symmetry."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="runs/examples/cnn_digits", help="folder for the files")
    p.add_argument("--quick", action="store_true", default=bool(os.environ.get(
        "AUTOGRAD_EXAMPLE_QUICK")), help="(the full run is already quick: same epochs)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--epochs", type=int, default=6)
    return p.parse_args()


def build() -> nn.Sequential:
    """(8, 8, 1) -> conv 32 -> pool -> conv 64 -> pool -> 10 class probabilities."""
    return nn.Sequential(
        nn.Conv2D(32, 3, padding="same", activation="relu", input_shape=(8, 8, 1)),
        nn.BatchNormalization(momentum=0.9),
        nn.MaxPooling2D(),                                   # (4, 4, 32)
        nn.Conv2D(64, 3, padding="same", activation="relu"),
        nn.BatchNormalization(momentum=0.9),
        nn.MaxPooling2D(),                                   # (2, 2, 64)
        nn.Flatten(),
        nn.Dropout(0.3),
        nn.Dense(10, activation="softmax"),
    )


def shifted_copies(images: np.ndarray) -> np.ndarray:
    """The images, then the same moved one pixel down, up, right and left (zeros fill in)."""
    padded = np.pad(images, ((0, 0), (1, 1), (1, 1), (0, 0)))
    h, w = images.shape[1:3]
    moves = [(0, 0), (-1, 0), (1, 0), (0, -1), (0, 1)]
    return np.concatenate([padded[:, 1 + dy:1 + dy + h, 1 + dx:1 + dx + w] for dy, dx in moves])


def main() -> None:
    """Train, evaluate, save, reload and compare; draw one training step's graph."""
    args = parse_args()
    out = Path(args.out)
    try:
        X, y = load_digits(as_images=True)
    except ImportError as e:
        sys.exit(f"cnn_digits: {e}")
    X_train, X_test, y_train, y_test = train_test_split(
        (X / 16.0).astype(np.float32), y, test_size=0.2, seed=args.seed, stratify=y)
    print(f"{len(X_train)} training and {len(X_test)} test images of shape {X_train.shape[1:]}")

    nn.set_seed(args.seed)
    model = build()
    model.summary()
    model.compile(optimizer="adam", lr=0.003, loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    X_more, y_more = shifted_copies(X_train), np.tile(y_train, 5)
    print(f"training on {len(X_more)} images: each one and its four one-pixel shifts")
    # a learning rate that decays by 40% each epoch settles the last epochs
    decay = nn.LearningRateScheduler(lambda epoch: 0.003 * 0.6 ** epoch)
    model.fit(X_more, y_more, epochs=args.epochs, batch_size=32, callbacks=[decay],
              verbose=2, seed=args.seed)
    scores = model.evaluate(X_test, y_test)
    print(f"test loss {scores['loss']:.4f}, test accuracy {scores['accuracy']:.4f}")

    out.mkdir(parents=True, exist_ok=True)
    weights = out / "cnn_digits.safetensors"
    model.save_weights(weights)
    fresh = build()
    fresh.load_weights(weights)
    same = np.array_equal(model.predict(X_test), fresh.predict(X_test))
    print(f"weights (moving statistics included) saved to {weights}; a fresh model that "
          f"loads them predicts the same: {same}")

    # one training step on 4 images, drawn: each convolution and pooling is one box
    loss = nn.losses.sparse_categorical_crossentropy(y_train[:4], model(X_train[:4]))
    loss.name = "loss"
    loss.backward(retain_grads=True)
    try:
        path = ag.viz.save_svg(loss, out / "cnn_step_graph.svg", show_data=False,
                               rankdir="TB")
        print(f"graph of one training step: {path}")
    except ag.viz.GraphvizNotFoundError as e:
        print(f"(no graph picture: {e})")


if __name__ == "__main__":
    main()
