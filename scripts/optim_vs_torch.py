"""Compare nn.optim with torch.optim over 10 steps on random problems (a by-hand check).

Needs torch in the venv (never a dependency of the package or its tests):
    .venv/bin/pip install torch==2.13.0 && .venv/bin/python scripts/optim_vs_torch.py
Prints the largest absolute and relative difference of the weights for each case.
"""

import numpy as np
import torch

from nn import Parameter, optim

torch.set_default_dtype(torch.float64)  # NAdam keeps its momentum product in this dtype

CASES = [
    ("SGD", "SGD", dict(lr=0.1)),
    ("SGD", "SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", "SGD", dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    ("SGD", "SGD", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.1)),
    ("RMSprop", "RMSprop", dict(lr=0.01)),
    ("RMSprop", "RMSprop", dict(lr=0.01, alpha=0.9, momentum=0.5, centered=True,
                                weight_decay=0.1)),
    ("Adam", "Adam", dict(lr=0.01)),
    ("Adam", "Adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    ("Adam", "Adam", dict(lr=0.01, amsgrad=True)),
    ("Adam", "Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1, betas=(0.5, 0.9))),
    ("AdamW", "AdamW", dict(lr=0.01)),
    ("AdamW", "AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("Adagrad", "Adagrad", dict(lr=0.1)),
    ("Adagrad", "Adagrad", dict(lr=0.1, lr_decay=0.5, weight_decay=0.1,
                                initial_accumulator_value=0.2)),
    ("Nadam", "NAdam", dict(lr=0.01)),
    ("Nadam", "NAdam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    ("Nadam", "NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True,
                            momentum_decay=0.01)),
    ("Adamax", "Adamax", dict(lr=0.01)),
    ("Adamax", "Adamax", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    ("Adadelta", "Adadelta", dict()),
    ("Adadelta", "Adadelta", dict(lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.1)),
]


def grad_fn(w, a, b):
    """The gradient of a random non-quadratic loss: a w^2 / 2 + b w + cos(w)."""
    return a * w + b - np.sin(w)


def compare(ours_name, torch_name, kw, seed, steps=10):
    rng = np.random.default_rng(seed)
    shapes = [(3, 4), (5,), (2, 1, 3)]
    w0 = [rng.standard_normal(s) for s in shapes]
    ab = [(rng.uniform(0.1, 3, s), rng.standard_normal(s)) for s in shapes]
    ours = [Parameter(w.copy()) for w in w0]
    theirs = [torch.tensor(w.copy(), requires_grad=True) for w in w0]
    opt = getattr(optim, ours_name)(ours, **kw)
    topt = getattr(torch.optim, torch_name)(theirs, **kw)
    worst = (0.0, 0.0)
    for t in range(steps):
        for i, (p, q, (a, b)) in enumerate(zip(ours, theirs, ab)):
            skip = i == 2 and t % 3 == 1  # a parameter without a gradient on some steps
            g = None if skip else grad_fn(p.data, a, b)
            p.grad = g
            q.grad = None if skip else torch.tensor(grad_fn(q.detach().numpy(), a, b))
        opt.step()
        topt.step()
        for p, q in zip(ours, theirs):
            d = np.abs(p.data - q.detach().numpy())
            rel = d / np.maximum(np.abs(q.detach().numpy()), 1e-300)
            worst = (max(worst[0], float(d.max())), max(worst[1], float(rel.max())))
    return worst


if __name__ == "__main__":
    print(f"torch {torch.__version__}; 10 steps, 3 parameters, 5 random problems per case")
    overall = 0.0
    for ours_name, torch_name, kw in CASES:
        res = [compare(ours_name, torch_name, kw, seed) for seed in range(5)]
        ab, rel = max(r[0] for r in res), max(r[1] for r in res)
        overall = max(overall, ab)
        print(f"{ours_name:9s} {kw!s:78s} max |diff| {ab:.2e}  max rel {rel:.2e}")
    print(f"largest absolute difference over all cases: {overall:.2e}")
