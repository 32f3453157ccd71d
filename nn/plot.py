"""Pictures of training: learning curves, decision boundaries, the learning-rate finder and
per-layer gradient norms.

matplotlib is an optional extra (``pip install autograd-core[plot]``), imported on first use.
On a machine without a display the Agg backend is chosen, so scripts and CI render to files.
Every plot function returns the matplotlib ``Figure`` (in a notebook it shows once, as the
cell's value or through ``display(fig)``); given ``path`` (``.png`` or ``.svg``)
it writes the picture there atomically instead and returns the path, so
``plot_history(h, "runs/curves.png")`` reads as "write this file". ``save_figure(fig, path)``
writes a Figure you kept.
"""

from __future__ import annotations

import io
import json
import math
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

import autograd_core as ag

from .files import atomic_write, make_parents

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from .module import Module


def _is_model(obj: Any) -> bool:
    """Whether ``obj`` is a Module, known by its methods: importing nn.module here would close
    a cycle (module -> trainer -> callbacks -> History, which draws itself with this file)."""
    return callable(getattr(obj, "named_parameters", None)) and callable(
        getattr(obj, "mode", None))

__all__ = [
    "gradient_norms",
    "plot_decision_boundary",
    "plot_gradient_norms",
    "plot_history",
    "plot_lr_find",
    "save_figure",
]

_FORMATS = {".png": "png", ".svg": "svg"}
_TRAIN_COLOR, _VAL_COLOR = "#1f77b4", "#ff7f0e"


# ---- matplotlib, lazily ----


def _has_display() -> bool:
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _pyplot() -> Any:
    """matplotlib.pyplot, with the Agg backend when there is no display to draw on."""
    try:
        import matplotlib
    except ImportError as e:
        raise ImportError(
            "nn.plot needs matplotlib, an optional extra: pip install autograd-core[plot]"
        ) from e
    # an explicit choice (MPLBACKEND, or pyplot already set up, as in Jupyter) wins
    if not _has_display() and "MPLBACKEND" not in os.environ and (
        "matplotlib.pyplot" not in sys.modules
    ):
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig: Figure, path: str | os.PathLike[str], dpi: int = 120) -> Path:
    """Write ``fig`` to ``path`` (PNG or SVG by extension) atomically; return the path."""
    original, path = path, Path(path)
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(
            f"save_figure: {path} has extension {path.suffix!r}; use .png or .svg"
        )
    make_parents(original)
    # render in memory first: a figure that fails to render leaves the old file untouched
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=dpi, bbox_inches="tight")
    atomic_write(original, buf.getvalue())
    return path


def _inline_backend() -> bool:
    """Whether pyplot draws into a notebook by itself after each cell (matplotlib-inline)."""
    return "inline" in str(_pyplot().get_backend())


def _finish(fig: Figure, path: str | os.PathLike[str] | None) -> Figure | Path:
    if path is None:
        if _inline_backend():
            # the inline backend shows every open figure after the cell, and IPython shows
            # the returned Figure as the cell's value: closed, it is shown once, as the value
            _pyplot().close(fig)
        return fig
    try:
        return save_figure(fig, path)
    finally:
        # a figure written to a file is done: let pyplot forget it, so loops do not pile up
        # open figures
        _pyplot().close(fig)


# ---- learning curves ----


def _history_dict(history: Any) -> dict[str, list[float]]:
    """{name: per-epoch values} from a History, its dict, or a history.json file."""
    if isinstance(history, (str, os.PathLike)):
        with open(history) as f:
            history = json.load(f)
    data = getattr(history, "history", history)
    if isinstance(data, Mapping) and isinstance(data.get("history"), Mapping):
        data = data["history"]  # History.to_dict() may wrap the curves with other facts
    if not isinstance(data, Mapping):
        raise TypeError(
            f"plot_history: expected a History, a dict of per-epoch lists or a JSON file, got "
            f"{type(history).__name__}"
        )
    curves = {}
    for name, values in data.items():
        if isinstance(values, (list, tuple, np.ndarray)) and len(values) > 0:
            curves[str(name)] = [float("nan") if v is None else float(v) for v in values]
    if not curves:
        raise ValueError("plot_history: the history holds no per-epoch values")
    return curves


def plot_history(
    history: Any, path: str | os.PathLike[str] | None = None, metrics: Sequence[str] | None = None
) -> Figure | Path:
    """Learning curves, one panel per metric (loss first), training and validation together.

    ``history``: a History, its ``.history`` dict, or a saved history.json. ``metrics``: the
    names to show (default every recorded one except ``lr``; ``"lr"`` gets a log axis).
    """
    curves = _history_dict(history)
    if metrics is None:
        names = [k for k in curves if not k.startswith("val_") and k != "lr"]
        names += [k[4:] for k in curves if k.startswith("val_") and k[4:] not in curves]
        names.sort(key=lambda k: k != "loss")  # loss first, the rest as recorded
    else:
        names = list(metrics)
        unknown = [m for m in names if m not in curves and f"val_{m}" not in curves]
        if unknown:
            raise ValueError(
                f"plot_history: no values for {', '.join(map(repr, unknown))}; the history "
                f"records {', '.join(map(repr, curves))}"
            )
    if not names:
        raise ValueError(f"plot_history: nothing to plot in {', '.join(map(repr, curves))}")

    plt = _pyplot()
    fig, axes = plt.subplots(1, len(names), figsize=(4.6 * len(names), 3.6), squeeze=False)
    for ax, name in zip(axes[0], names):
        for key, label, color in ((name, "train", _TRAIN_COLOR),
                                  (f"val_{name}", "validation", _VAL_COLOR)):
            if key in curves:
                values = curves[key]
                epochs = np.arange(1, len(values) + 1)
                ax.plot(epochs, values, color=color, label=label,
                        marker="o" if len(values) <= 20 else None, markersize=3)
        ax.set_xlabel("epoch")
        ax.xaxis.get_major_locator().set_params(integer=True)  # no epoch 1.5
        ax.set_ylabel(name)
        ax.set_title(name if name == "lr" else f"{name} per epoch")
        if name == "lr":
            ax.set_yscale("log")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    return _finish(fig, path)


# ---- decision boundaries ----


def _predict_fn(model_or_predict_fn: Any) -> Callable[[np.ndarray], np.ndarray]:
    """A function from a batch of points to an array of outputs, without recording a graph."""
    if _is_model(model_or_predict_fn):
        model = model_or_predict_fn

        def predict(X: np.ndarray) -> np.ndarray:
            # dropout off: the boundary is the trained model's, not a sample's
            with ag.no_grad(), model.mode(training=False):
                out = model(X)
            return np.asarray(out.data if isinstance(out, ag.Tensor) else out)

        return predict
    if not callable(model_or_predict_fn):
        raise TypeError(
            "plot_decision_boundary: expected a Module or a function of a batch of points, got "
            f"{type(model_or_predict_fn).__name__}"
        )

    def call(X: np.ndarray) -> np.ndarray:
        with ag.no_grad():
            out = model_or_predict_fn(X)
        return np.asarray(out.data if isinstance(out, ag.Tensor) else out)

    return call


def _scores(out: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray | None]:
    """(predicted class per point, probability of class 1 for a binary model or None)."""
    if out.shape[0] != n:
        raise ValueError(
            f"plot_decision_boundary: the model returned {out.shape[0]} outputs for {n} points"
        )
    if out.ndim == 2 and out.shape[1] == 1:
        out = out[:, 0]
    if out.ndim == 1:
        if out.dtype.kind in "biu":
            return out.astype(np.int64), None
        # one output: a sigmoid probability, or a logit when it leaves [0, 1]
        p = out if out.min() >= 0 and out.max() <= 1 else 1 / (1 + np.exp(-out))
        return (p >= 0.5).astype(np.int64), p
    if out.ndim == 2:
        return out.argmax(axis=1), None  # softmax probabilities or logits: same argmax
    raise ValueError(
        f"plot_decision_boundary: model outputs must have shape (n,), (n, 1) or (n, classes), "
        f"got {out.shape[1:]} per batch"
    )


def plot_decision_boundary(
    model_or_predict_fn: Module | Callable[[np.ndarray], Any],
    X: Any,
    y: Any,
    path: str | os.PathLike[str] | None = None,
    resolution: int = 200,
    *,
    title: str | None = None,
) -> Figure | Path:
    """The regions a 2-D classifier assigns to each class, with the data points on top.

    The model may end in a sigmoid (one output: shaded by probability, the 0.5 line drawn),
    a softmax or logits (one output per class: coloured by argmax), or return labels.
    ``title`` goes before the accuracy on the points shown.
    """
    X = np.asarray(X.data if isinstance(X, ag.Tensor) else X, dtype=np.float64)
    y = np.asarray(y.data if isinstance(y, ag.Tensor) else y)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(
            f"plot_decision_boundary: X must have shape (n, 2) (two features), got {X.shape}"
        )
    if y.ndim == 2 and y.shape[1] > 1:
        y = y.argmax(axis=1)  # one-hot labels
    y = y.reshape(-1)
    if len(y) != len(X):
        raise ValueError(f"plot_decision_boundary: X has {len(X)} samples but y has {len(y)}")
    if not isinstance(resolution, int) or resolution < 2:
        raise ValueError(f"plot_decision_boundary: resolution must be an int >= 2, got "
                         f"{resolution!r}")
    predict = _predict_fn(model_or_predict_fn)

    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = 0.15 * np.maximum(hi - lo, 1e-9)
    xs = np.linspace(lo[0] - pad[0], hi[0] + pad[0], resolution)
    ys = np.linspace(lo[1] - pad[1], hi[1] + pad[1], resolution)
    gx, gy = np.meshgrid(xs, ys)
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    chunk = 8192  # bounds the memory of one forward pass over the grid
    out = np.concatenate([predict(grid[i:i + chunk]) for i in range(0, len(grid), chunk)])
    labels, prob = _scores(out, len(grid))

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.6, 4.8))
    classes = np.unique(np.concatenate([np.unique(labels), np.unique(y.astype(np.int64))]))
    cmap = plt.get_cmap("tab10" if len(classes) <= 10 else "tab20")
    if prob is not None:
        filled = ax.contourf(gx, gy, prob.reshape(gx.shape), levels=np.linspace(0, 1, 11),
                             cmap="RdBu_r", alpha=0.55)
        fig.colorbar(filled, ax=ax, label="P(class 1)")
        ax.contour(gx, gy, prob.reshape(gx.shape), levels=[0.5], colors="k", linewidths=1.5)
    else:
        top = int(classes.max())
        ax.contourf(gx, gy, labels.reshape(gx.shape), levels=np.arange(-0.5, top + 1.5),
                    cmap=cmap, vmin=-0.5, vmax=cmap.N - 0.5, alpha=0.35)
        ax.contour(gx, gy, labels.reshape(gx.shape), levels=np.arange(0.5, top + 0.5),
                   colors="k", linewidths=1.0)
    size = 40 if len(X) <= 50 else 14
    for c in np.unique(y):
        mask = y == c
        color = ("#d62728" if int(c) == 1 else "#1f77b4") if prob is not None else cmap(int(c))
        ax.scatter(X[mask, 0], X[mask, 1], s=size, color=color, edgecolors="k", linewidths=0.4,
                   label=f"class {c}")
    ax.set_xlim(xs[0], xs[-1])
    ax.set_ylim(ys[0], ys[-1])
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    accuracy = float(np.mean(_scores(predict(X), len(X))[0] == y))
    ax.set_title(f"{title or 'decision boundary'} (accuracy on these points {accuracy:.1%})")
    ax.legend(loc="best", fontsize=8, framealpha=0.8)
    fig.tight_layout()
    return _finish(fig, path)


# ---- learning-rate finder ----


def _field(result: Any, name: str) -> Any:
    if isinstance(result, Mapping):
        return result.get(name)
    return getattr(result, name, None)


def plot_lr_find(result: Any, path: str | os.PathLike[str] | None = None) -> Figure | Path:
    """Loss against learning rate (log axis) from ``nn.lr_find``, the suggestion marked."""
    lrs = _field(result, "lrs")
    losses = _field(result, "losses")
    if lrs is None or losses is None:
        raise TypeError(
            "plot_lr_find: expected an LRFinderResult (or a dict) with .lrs and .losses, got "
            f"{type(result).__name__}"
        )
    lrs = np.asarray(lrs, dtype=np.float64)
    losses = np.asarray(losses, dtype=np.float64)
    if lrs.shape != losses.shape or lrs.ndim != 1 or len(lrs) == 0:
        raise ValueError(
            f"plot_lr_find: lrs and losses must be equally long lists, got shapes "
            f"{lrs.shape} and {losses.shape}"
        )
    if np.any(lrs <= 0):
        raise ValueError("plot_lr_find: learning rates must be > 0 for a log axis")
    suggestion = _field(result, "suggestion")

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(lrs, losses, color=_TRAIN_COLOR, label="loss")
    ax.set_xscale("log")
    ax.set_xlabel("learning rate (log scale)")
    ax.set_ylabel("loss")
    ax.set_title("learning-rate finder")
    finite = losses[np.isfinite(losses)]
    if len(finite):
        # a diverged tail would squash the interesting part of the curve flat
        low, start = finite.min(), finite[0]
        ax.set_ylim(low - 0.05 * (start - low + 1e-12), start + 0.5 * (start - low + 1e-12))
    if suggestion is not None and math.isfinite(float(suggestion)):
        s = float(suggestion)
        at = float(np.interp(np.log(s), np.log(lrs), losses))
        ax.axvline(s, color="#d62728", linestyle="--", linewidth=1)
        ax.plot([s], [at], marker="o", color="#d62728", markersize=8, linestyle="none",
                label=f"suggestion: lr = {s:.2g}")
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    fig.tight_layout()
    return _finish(fig, path)


# ---- gradient norms per layer ----


def _grad_norm(grads: Iterable[Any]) -> float:
    total = 0.0
    for g in grads:
        g = np.asarray(g.data if isinstance(g, ag.Tensor) else g, dtype=np.float64)
        total += float(np.sum(g * g))
    return math.sqrt(total)


def gradient_norms(model_or_params: Any, by: str = "layer") -> dict[str, float]:
    """The L2 norm of the gradients held in ``.grad``, per layer (or per parameter).

    Accepts a Module (layers are the modules that own parameters, in forward order), a dict
    {name: Tensor} or a list of Tensors. Call it after ``loss.backward()``; parameters
    without a gradient are left out.
    """
    if by not in ("layer", "parameter"):
        raise ValueError(f"gradient_norms: by must be 'layer' or 'parameter', got {by!r}")
    if _is_model(model_or_params):
        named = list(model_or_params.named_parameters())
    elif isinstance(model_or_params, Mapping):
        named = [(str(k), v) for k, v in model_or_params.items()]
    elif isinstance(model_or_params, Iterable) and not isinstance(model_or_params, ag.Tensor):
        named = [(p.name or f"param{i}", p) for i, p in enumerate(model_or_params)]
    else:
        raise TypeError(
            f"gradient_norms: expected a Module, a dict of Tensors or a list of Tensors, got "
            f"{type(model_or_params).__name__}"
        )
    for name, p in named:
        if not isinstance(p, ag.Tensor):
            raise TypeError(f"gradient_norms: {name!r} is a {type(p).__name__}, not a Tensor")
    groups: dict[str, list[Any]] = {}
    for name, p in named:
        if p.grad is None:
            continue
        key = (name.rpartition(".")[0] or name) if by == "layer" else name
        groups.setdefault(key, []).append(p.grad)
    if not groups:
        raise ValueError(
            "gradient_norms: no parameter has a gradient; call loss.backward() first"
        )
    return {key: _grad_norm(grads) for key, grads in groups.items()}


def plot_gradient_norms(
    norms: Mapping[str, float] | Mapping[str, Mapping[str, float]],
    path: str | os.PathLike[str] | None = None,
) -> Figure | Path:
    """Gradient norm per layer on a log axis: one run ({layer: norm}) as bars, several runs
    ({run: {layer: norm}}) as lines, e.g. a deep sigmoid network against a ReLU one."""
    if not isinstance(norms, Mapping) or not norms:
        raise ValueError("plot_gradient_norms: expected a non-empty dict of gradient norms")
    nested = all(isinstance(v, Mapping) for v in norms.values())
    if not nested and any(isinstance(v, Mapping) for v in norms.values()):
        raise ValueError(
            "plot_gradient_norms: mix of runs and layers; give {layer: norm} or "
            "{run: {layer: norm}}"
        )
    runs = {str(k): dict(v) for k, v in norms.items()} if nested else {"": dict(norms)}

    plt = _pyplot()
    width = max(len(r) for r in runs.values())
    fig, ax = plt.subplots(figsize=(max(5.5, 0.55 * width + 2), 4))
    tiny = np.finfo(np.float64).tiny  # a zero gradient sits at the bottom of a log axis
    for i, (run, layer_norms) in enumerate(runs.items()):
        values = np.maximum(np.array([float(v) for v in layer_norms.values()]), tiny)
        positions = np.arange(1, len(values) + 1)
        if nested:
            ax.plot(positions, values, marker="o", label=run, color=f"C{i}")
        else:
            ax.bar(positions, values, color=_TRAIN_COLOR)
    longest = max(runs.values(), key=len)
    ax.set_xticks(np.arange(1, len(longest) + 1))
    ax.set_xticklabels(list(longest), rotation=45 if len(longest) > 6 else 0, ha="right"
                       if len(longest) > 6 else "center", fontsize=8)
    ax.set_yscale("log")
    ax.set_xlabel("layer (input → output)")
    ax.set_ylabel("gradient norm (log scale)")
    ax.set_title("gradient norm per layer")
    ax.grid(alpha=0.3, which="both", axis="y")
    if nested:
        ax.legend()
    fig.tight_layout()
    return _finish(fig, path)
