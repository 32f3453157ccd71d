"""`python -m benchmarks.instructions [--repo PATH]`: instructions per iteration, by callgrind.

Timings on a shared machine move by 10 to 20% between runs; instruction counts do not. Each
workload runs in a fresh ``valgrind --tool=callgrind`` process twice, with a few and with many
iterations (one BLAS thread, a fixed hash seed); the difference divided by the extra
iterations is the cost of one iteration, without the start-up. ``--repo`` adds another
checkout (an older commit: ``git worktree add /tmp/before COMMIT``) measured the same way
with this interpreter, and the table gives both and their ratio.

Workloads (written here, so that any checkout with ``Tensor``, ``tanh`` and ``backward``
runs them): ``small_ops`` (50 ops on shape (8,), forward and backward: per op),
``scalar_mlp`` (MLP 2-16-16-1 of 0-d tensors on 5 points, forward and backward: per node),
``deep_chain`` (``y = y * 0.999 + 0.001``, N times, then backward: per op at N = 1,000 and
N = 100,000; the ratio of the two is the growth issue 14 asks to keep flat; ``--deep`` sets
the sizes).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent

# Run inside valgrind as ``python -c DRIVER REPO WORKLOAD N``: N iterations (or N chain ops).
DRIVER = r"""
import sys
repo, workload, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
sys.path.insert(0, repo)
import numpy as np
import autograd_core as ag
assert ag.__file__.startswith(repo), (ag.__file__, repo)
Tensor = ag.Tensor

def small_ops():
    x = Tensor(np.linspace(0.1, 1.0, 8), requires_grad=True)
    y = x
    for _ in range(10):
        y = ag.tanh(y * 1.01 + x) - 0.1
        y = y * x
    y = y.sum()
    y.backward()

rng = np.random.default_rng(0)
X, Y = rng.standard_normal((5, 2)), rng.standard_normal(5)
SIZES = [2, 16, 16, 1]
INIT = [[float(v) for v in rng.standard_normal(b * a + b) * 0.5]
        for a, b in zip(SIZES, SIZES[1:])]

def mlp_loss():
    params = [[Tensor(v, requires_grad=True) for v in layer] for layer in INIT]
    loss = 0.0
    for x, yt in zip(X, Y):
        h = [float(v) for v in x]
        for k, (a, b) in enumerate(zip(SIZES, SIZES[1:])):
            p, nxt = params[k], []
            for j in range(b):
                s = p[b * a + j]
                for i in range(a):
                    s = s + p[j * a + i] * h[i]
                nxt.append(s.tanh() if k < 2 else s)
            h = nxt
        d = h[0] - float(yt)
        loss = loss + d * d
    return loss * (1.0 / len(X))

def scalar_mlp():
    mlp_loss().backward()

def deep_chain(n):
    x = Tensor(1.0, requires_grad=True)
    y = x
    for _ in range(n):
        y = y * 0.999 + 0.001
    y.backward()

small_ops(); scalar_mlp(); deep_chain(10)  # warm up: imports, caches
if workload == "count":  # recorded nodes of one scalar-MLP iteration
    seen, stack = set(), [mlp_loss()]
    while stack:
        t = stack.pop()
        if id(t) not in seen and t.op is not None:
            seen.add(id(t))
            stack.extend(t.parents)
    print(len(seen))
elif workload == "deep_chain":
    deep_chain(n)
else:
    fn = {"small_ops": small_ops, "scalar_mlp": scalar_mlp}[workload]
    for _ in range(n):
        fn()
"""

# workload -> (unit, units per iteration, iteration counts: few, many)
WORKLOADS = {
    "small_ops": ("instr/op", 51, (10, 60)),
    "scalar_mlp": ("instr/node", None, (2, 12)),
}


def scalar_mlp_nodes(repo: Path) -> int:
    """Recorded nodes in one scalar-MLP iteration (5 points), counted in ``repo``'s engine."""
    out = subprocess.run([sys.executable, "-c", DRIVER, str(repo), "count", "0"],
                         capture_output=True, text=True, check=True)
    return int(out.stdout.split()[-1])


def instructions(repo: Path, workload: str, n: int) -> int:
    """Instructions of a whole process that runs ``workload`` ``n`` times, under callgrind."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1",
               MKL_NUM_THREADS="1", PYTHONHASHSEED="0")
    with tempfile.TemporaryDirectory() as tmp:
        cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/cg.out",
               sys.executable, "-c", DRIVER, str(repo), workload, str(n)]
        done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if done.returncode:
        raise RuntimeError(f"{workload} in {repo} failed:\n{done.stderr[-3000:]}")
    found = re.search(r"Collected\s*:\s*(\d+)", done.stderr)
    if found is None:
        raise RuntimeError(f"no 'Collected' line in callgrind's output:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def measure(repo: Path, which: list[str], deep: list[int]) -> dict[str, tuple[str, float]]:
    """Instructions per unit of each workload in ``repo``: {row: (unit, value)}."""
    # compile and cache the checkout's bytecode first: a run that compiled it would count that
    subprocess.run([sys.executable, "-c", DRIVER, str(repo), "small_ops", "0"], check=True,
                   capture_output=True)
    rows: dict[str, tuple[str, float]] = {}
    for name in which:
        if name == "deep_chain":
            base = instructions(repo, name, 0)
            for n in deep:
                rows[f"deep chain N={n:,}"] = ("instr/op",
                                                (instructions(repo, name, n) - base) / n)
            continue
        unit, per, (few, many) = WORKLOADS[name]
        if per is None:
            per = scalar_mlp_nodes(repo)
        diff = instructions(repo, name, many) - instructions(repo, name, few)
        label = "small ops (8,), fwd+bwd" if name == "small_ops" else \
            f"scalar MLP 2-16-16-1, 5 points ({per:,} nodes)"
        rows[label] = (unit, diff / (many - few) / per)
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, help="another checkout to compare with")
    parser.add_argument("--only", nargs="+", default=["small_ops", "scalar_mlp", "deep_chain"],
                        choices=["small_ops", "scalar_mlp", "deep_chain"])
    parser.add_argument("--deep", type=int, nargs="+", default=[1_000, 100_000],
                        help="deep chain lengths (default 1000 100000)")
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        sys.exit("benchmarks.instructions needs valgrind (apt-get install valgrind)")
    repos = [HERE] + ([args.repo.resolve()] if args.repo else [])
    results = [measure(r, args.only, args.deep) for r in repos]
    head = "| workload | unit | this tree |"
    if args.repo:
        head += f" {args.repo} | this / other |"
    print(head)
    print("|---|---|---:|" + ("---:|---:|" if args.repo else ""))
    for label, (unit, value) in results[0].items():
        line = f"| {label} | {unit} | {value:,.0f} |"
        if args.repo:
            other = results[1].get(label, (unit, float("nan")))[1]
            line += f" {other:,.0f} | {value / other:.3f} |"
        print(line)
    if "deep_chain" in args.only and len(args.deep) > 1:
        for i, res in enumerate(results):
            deep = [v for k, (_, v) in res.items() if k.startswith("deep chain")]
            print(f"{'this tree' if i == 0 else args.repo}: deep chain growth "
                  + ", ".join(f"{v / deep[0]:.2f}" for v in deep[1:])
                  + f" (N={args.deep[1:]} over N={args.deep[0]:,})")


if __name__ == "__main__":
    main()
