"""Render the example graphs committed under docs/: python scripts/render_docs.py [out_dir]."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

# run from a checkout without installing: the package sits next to this scripts/ folder
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import autograd_core as ag  # noqa: E402
from autograd_core import Tensor  # noqa: E402
from autograd_core.viz import composite, save_svg  # noqa: E402


def course_example() -> Tensor:
    """f(x, y) = x*x*y + y + 2 at (3, 4), after backward: 42, df/dx = 24, df/dy = 10."""
    x = Tensor(3.0, requires_grad=True, name="x")
    y = Tensor(4.0, requires_grad=True, name="y")
    f = x * x * y + y + 2
    f.name = "f"
    f.backward(retain_grads=True)
    return f


def mlp_example() -> Tensor:
    """A 3-4-1 tanh network on a batch of 8, mean squared error, parameters named by layer."""
    rng = np.random.default_rng(0)
    X = Tensor(rng.standard_normal((8, 3)), name="X")
    y = Tensor(rng.standard_normal((8, 1)), name="y")

    def param(name: str, *shape: int) -> Tensor:
        return Tensor(rng.standard_normal(shape) * 0.5, requires_grad=True, name=name)

    w0, b0 = param("layers.0.weight", 3, 4), param("layers.0.bias", 4)
    w1, b1 = param("layers.1.weight", 4, 1), param("layers.1.bias", 1)
    h = ag.tanh(ag.linear(X, w0, b0))
    out = ag.linear(h, w1, b1)
    loss = ((out - y) ** 2).mean()
    loss.name = "loss"
    loss.backward(retain_grads=True)
    return loss


def deep_sigmoid_example(depth: int = 10, width: int = 4) -> Tensor:
    """A deep sigmoid network: its gradients shrink layer by layer on the way back."""
    rng = np.random.default_rng(1)
    a = Tensor(rng.standard_normal((16, width)), name="X")
    for i in range(depth):
        w = Tensor(rng.standard_normal((width, width)), requires_grad=True,
                   name=f"layers.{i}.weight")
        b = Tensor(np.zeros(width), requires_grad=True, name=f"layers.{i}.bias")
        a = ag.sigmoid(ag.linear(a, w, b))
    loss = a.mean()
    loss.name = "loss"
    loss.backward(retain_grads=True)
    return loss


@composite("binary_crossentropy")
def binary_crossentropy(y_true: Tensor, p: Tensor) -> Tensor:
    """Mean binary cross-entropy of probabilities, marked as one composite for the picture."""
    p = ag.clip(p, a_min=1e-7, a_max=1 - 1e-7)
    return -(y_true * ag.log(p) + (1 - y_true) * ag.log(1 - p)).mean()


def composite_example() -> Tensor:
    """A logistic unit on 6 points, its loss drawn as one box: a marked composite."""
    rng = np.random.default_rng(3)
    X = Tensor(rng.standard_normal((6, 2)), name="X")
    y = Tensor([[0.0], [1.0], [1.0], [0.0], [1.0], [0.0]], name="y")
    w = Tensor(rng.standard_normal((2, 1)), requires_grad=True, name="dense.kernel")
    b = Tensor(np.zeros(1), requires_grad=True, name="dense.bias")
    loss = binary_crossentropy(y, ag.sigmoid(ag.linear(X, w, b)))
    loss.name = "loss"
    loss.backward(retain_grads=True)
    return loss


def skip_example(steps: int = 50) -> Tensor:
    """z = sin(z) * 0.5 + z, 50 times: a block with a skip connection, folded."""
    x = Tensor(0.3, requires_grad=True, name="x")
    z = x
    for _ in range(steps):
        z = ag.sin(z) * 0.5 + z
    z.name = "z"
    z.backward(retain_grads=True)
    return z


def moons_training_step(out: Path) -> Path:
    """The graph `autograd-core train` writes for moons (the README's main job), as is."""
    import tempfile

    from nn.cli import main as cli

    with tempfile.TemporaryDirectory() as tmp:
        if cli(["train", "--out", tmp, "--verbose", "0"]) != 0:
            raise RuntimeError("autograd-core train failed")
        svg = (Path(tmp) / "graph.svg").read_bytes()
    path = out / "moons_training_step.svg"
    ag.atomic_write(path, svg)
    return path


def main(argv: list[str] | None = None) -> None:
    """Write the example SVGs and print their paths."""
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0] if args else Path(__file__).resolve().parent.parent / "docs")
    paths = [
        save_svg(course_example(), out / "course_example.svg"),
        save_svg(mlp_example(), out / "mlp_example.svg"),
        save_svg(deep_sigmoid_example(), out / "deep_sigmoid_grads.svg",
                 color_by="grad", show_data=False, rankdir="TB"),
        save_svg(composite_example(), out / "composite_example.svg", rankdir="TB"),
        save_svg(skip_example(), out / "skip_connections.svg"),
        moons_training_step(out),
    ]
    for p in paths:
        print(f"wrote {p}")


if __name__ == "__main__":
    main()
