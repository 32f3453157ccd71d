"""The learning-rate range test (Smith, 2017; fastai's ``lr_find``).

Train for a short run while the learning rate grows exponentially from ``start_lr`` to
``end_lr``, record the loss after each step, and read a good learning rate off the curve:
where the loss falls fastest. The run stops early once the loss diverges, and the model's
weights and the optimizer's state (moments, step count, lr) are put back afterwards, bit for
bit, so finding a learning rate does not train the model.
"""

from __future__ import annotations

import importlib
import itertools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import data
from .checks import check_loss_and_model
from .compile_utils import CompileLoss, CompileMetrics, CompileOptimizer
from .module import Module
from .seeding import make_rng

__all__ = ["LRFinderResult", "lr_find"]


@dataclass
class LRFinderResult:
    """The curve of a learning-rate range test and the learning rate it suggests.

    - ``lrs``: the learning rate of each step; ``losses``: the smoothed loss after it
      (exponential moving average, bias-corrected); ``raw_losses``: the batch losses;
    - ``suggestion``: the learning rate where the smoothed loss falls fastest (the most
      negative slope of loss against log10(lr)), looked for before the loss's minimum;
      when fewer than 3 points precede the minimum, ``lr_at_min / 10`` instead;
    - ``lr_at_min``: the learning rate of the lowest smoothed loss;
    - ``diverged``: the run stopped because the loss exceeded ``diverge`` times its best.
    """

    lrs: np.ndarray
    losses: np.ndarray
    raw_losses: np.ndarray
    suggestion: float
    lr_at_min: float
    diverged: bool
    params: dict[str, Any] = field(default_factory=dict)

    def plot(self, path: Any = None) -> Any:
        """Draw the curve with ``nn.plot.plot_lr_find`` (needs matplotlib)."""
        try:
            plot = importlib.import_module(f"{__package__}.plot")
        except ModuleNotFoundError as e:
            if e.name != f"{__package__}.plot":
                raise  # nn.plot exists but needs something missing, such as matplotlib
            raise ImportError("LRFinderResult.plot needs the nn.plot module") from None
        return plot.plot_lr_find(self, path=path)

    def __repr__(self) -> str:
        return (f"LRFinderResult({len(self.lrs)} steps from {self.lrs[0]:.2g} to "
                f"{self.lrs[-1]:.2g}, suggestion={self.suggestion:.3g}, "
                f"lr_at_min={self.lr_at_min:.3g}, diverged={self.diverged})")


def _suggest(lrs: np.ndarray, smoothed: np.ndarray) -> tuple[float, float]:
    """(steepest-descent lr before the minimum, lr at the minimum).

    The first tenth of the sweep is skipped: the running average is still settling there,
    and its noise would look like the steepest fall. Slopes are taken over a window of a
    twentieth of the sweep on each side, so one noisy step cannot win either.
    """
    skip = max(1, len(lrs) // 10)
    best = skip + int(np.argmin(smoothed[skip:]))
    lr_at_min = float(lrs[best])
    if best - skip < 4:
        return lr_at_min / 10, lr_at_min
    x, w = np.log10(lrs), max(1, len(lrs) // 20)
    idx = np.arange(skip, best + 1)
    lo, hi = np.maximum(idx - w, skip), np.minimum(idx + w, best)
    slopes = (smoothed[hi] - smoothed[lo]) / (x[hi] - x[lo])
    return float(lrs[idx[int(np.argmin(slopes))]]), lr_at_min


def lr_find(
    model: Module,
    X: Any,
    y: Any,
    loss: Any = None,
    optimizer: Any = None,
    start_lr: float = 1e-7,
    end_lr: float = 10.0,
    num_steps: int = 100,
    batch_size: int | None = 32,
    smooth: float = 0.98,
    diverge: float = 4.0,
    seed: Any = None,
) -> LRFinderResult:
    """Run the learning-rate range test on ``model`` and restore it afterwards.

    ``loss`` and ``optimizer`` default to the compiled ones (an uncompiled model needs a
    ``loss``; its optimizer is then Adam); a name, a callable or an object work as in
    ``compile``. Each of the ``num_steps`` steps takes the next mini-batch of a shuffled pass
    (``seed``) with ``lr = start_lr * (end_lr / start_lr) ** (i / (num_steps - 1))``.
    ``smooth`` is the moving-average factor of the loss; the run stops when the smoothed loss
    exceeds ``diverge`` times its lowest value, or is not finite. Each step is the model's own
    ``train_step``, the one ``fit`` runs; ``seed=None`` follows ``nn.set_seed`` (key
    ``"lr_find"``), so it does not change what ``fit`` draws afterwards.
    """
    if not 0 < start_lr < end_lr:
        raise ValueError(f"lr_find: need 0 < start_lr < end_lr, got {start_lr} and {end_lr}")
    if isinstance(num_steps, bool) or not isinstance(num_steps, (int, np.integer)) \
            or num_steps < 2:
        raise ValueError(f"lr_find: num_steps must be an integer >= 2, got {num_steps!r}")
    if not 0 <= smooth < 1:
        raise ValueError(f"lr_find: smooth must be in [0, 1), got {smooth}")
    if not diverge > 1:
        raise ValueError(f"lr_find: diverge must be > 1, got {diverge}")

    if loss is not None:
        compiled_loss = CompileLoss(loss)
        check_loss_and_model(model, compiled_loss, "lr_find")
    elif model.compiled:
        compiled_loss = model.compiled_loss
    else:
        raise RuntimeError("lr_find: the model is not compiled; pass loss=... or compile it")
    X, y, _ = data.prepare_arrays(X, y, caller="lr_find")
    model._ensure_built(X)
    X, y = data.cast_arrays(X, y, model._dtype())
    if optimizer is not None:
        opt = CompileOptimizer(optimizer, {}).get(model)
    elif model.compiled:
        opt = model._compiled_optimizer.get(model)
    else:
        opt = CompileOptimizer("adam", {}).get(model)

    params = model.parameters()
    saved_weights = [p.data.copy() for p in params]
    saved_grads = [p.grad for p in params]
    saved_opt = opt.state_dict()
    # layers that draw random numbers (Dropout) get their generators back too
    rngs = list({id(m.rng): m.rng for m in model.modules()}.values())
    saved_rngs = [r.bit_generator.state for r in rngs]
    # the training step is the model's own train_step, run with this loss and optimizer
    saved_compiled = (model.compiled_loss, model.compiled_metrics, model.optimizer)

    size = data.check_batch_size(batch_size, len(X))
    epochs = data.EpochIterator(X, y, None, size, shuffle=True, seed=make_rng(seed, "lr_find"))
    batches = itertools.chain.from_iterable(epochs for _ in itertools.count())
    lrs, raw, smoothed = [], [], []
    avg, best, diverged = 0.0, math.inf, False
    try:
        model.compiled_loss, model.optimizer = compiled_loss, opt
        model.compiled_metrics = CompileMetrics()
        with model.mode(training=True):
            opt.zero_grad()
            for i, batch in zip(range(int(num_steps)), batches):
                lr = start_lr * (end_lr / start_lr) ** (i / (num_steps - 1))
                opt.lr = lr
                value = model.train_step(batch)["loss"]
                if not math.isfinite(value):
                    diverged = True
                    break
                avg = smooth * avg + (1 - smooth) * value
                current = avg / (1 - smooth ** (i + 1))
                lrs.append(lr)
                raw.append(value)
                smoothed.append(current)
                best = min(best, current)
                if current > diverge * best:
                    diverged = True
                    break
    finally:
        model.compiled_loss, model.compiled_metrics, model.optimizer = saved_compiled
        for p, w, g in zip(params, saved_weights, saved_grads):
            p.assign_(w)
            p.grad = g
        opt.load_state_dict(saved_opt)
        for r, state in zip(rngs, saved_rngs):
            r.bit_generator.state = state
    if len(lrs) < 2:
        raise RuntimeError(
            f"lr_find: the loss was not finite after {len(lrs)} step(s) at lr={start_lr:g}; "
            "lower start_lr or check the data"
        )
    lrs_a, smoothed_a = np.asarray(lrs), np.asarray(smoothed)
    suggestion, lr_at_min = _suggest(lrs_a, smoothed_a)
    return LRFinderResult(
        lrs=lrs_a, losses=smoothed_a, raw_losses=np.asarray(raw), suggestion=suggestion,
        lr_at_min=lr_at_min, diverged=diverged,
        params={"start_lr": start_lr, "end_lr": end_lr, "num_steps": int(num_steps),
                "batch_size": size, "smooth": smooth, "diverge": diverge},
    )
