"""Peak memory of one training step, measured the same way for every engine.

tracemalloc sees only allocations made through Python's allocator hooks, which NumPy uses and
PyTorch's C++ allocator does not, so it cannot compare the two. Instead every (workload, engine)
pair runs in a fresh Python process, and the kernel measures it: the process builds the
workload, takes two warm-up steps, then, before each measured step, resets its resident-set
high-water mark to its resident set (writing 5 to /proc/self/clear_refs); after the step, the
high-water mark (VmHWM) minus its value at the reset is the step's peak. glibc's mmap
threshold is pinned at 4 KiB (MALLOC_MMAP_THRESHOLD_), so every array of a page or more, in
NumPy and in PyTorch alike, is mapped when allocated and returned when freed (by default the
threshold drifts up and freed memory stays in the heap, hiding reuse). It must sit below the
step's typical array: at 64 KiB, an LSTM step whose arrays are all (32, 64) to (32, 256)
reused the heap pages of the warm-up steps and read a peak of 0. NumPy's hugepage
advice is off (NUMPY_MADVISE_HUGEPAGE=0) so that its pages are counted in 4 KiB as PyTorch's.
The kernel keeps its resident-set counters per CPU and sums them approximately, so a reading
is good to about 0.1 MiB (a tiny step may even read slightly negative). For the engines that
allocate through NumPy, tracemalloc's peak is reported beside, as a check.

Run as ``python -m benchmarks.memory WORKLOAD ENGINE [--quick]``; it prints one JSON line.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import tracemalloc
from collections.abc import Callable
from typing import Any

from .harness import NUMPY, OURS, PEERS, Row, missing

MIB = 2**20


def _status() -> dict[str, int]:
    with open("/proc/self/status") as f:
        return {k: int(v.split()[0]) * 1024 for k, v in (line.split(":", 1) for line in f)
                if k in ("VmRSS", "VmHWM")}


def _rss_peak(step: Callable[[], Any]) -> float:
    gc.collect()
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset VmHWM to the current resident set
    before = _status()["VmHWM"]
    step()
    return (_status()["VmHWM"] - before) / MIB


def _tracemalloc_peak(step: Callable[[], Any]) -> float:
    gc.collect()
    tracemalloc.start()
    start = tracemalloc.get_traced_memory()[0]
    step()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return (peak - start) / MIB


def _engines(workload: str, quick: bool) -> dict[str, Callable[[], Any]]:
    from .models import lenet_engines, lstm_engines
    from .workloads import mlp_engines

    if workload == "mlp":
        return mlp_engines(64 if quick else 1024, hips=False)
    if workload == "lenet":
        return lenet_engines(4 if quick else 64)
    if workload == "lstm":
        return lstm_engines(*((4, 5, 8) if quick else (32, 50, 64)))
    raise ValueError(f"memory: unknown workload {workload!r}; expected mlp, lenet or lstm")


def measure_here(workload: str, engine: str, quick: bool, repeats: int = 3) -> dict[str, Any]:
    """Measure in this process (meant to be a fresh one): RSS peaks, and tracemalloc's."""
    for peer in PEERS:  # build only the engine measured: an idle peer's imports cost time
        PEERS[peer] = PEERS[peer] and peer == engine
    step = _engines(workload, quick)[engine]
    for _ in range(2):
        step()
    result: dict[str, Any] = {"rss_mib": [_rss_peak(step) for _ in range(repeats)]}
    if engine != "pytorch":
        result["tracemalloc_mib"] = min(_tracemalloc_peak(step) for _ in range(2))
    return result


def measure(workload: str, engine: str, quick: bool) -> dict[str, Any]:
    """Measure one engine's step in a fresh process, with the same allocator settings for all."""
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="4096", NUMPY_MADVISE_HUGEPAGE="0")
    cmd = [sys.executable, "-m", "benchmarks.memory", workload, engine] + (
        ["--quick"] if quick else [])
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    done = subprocess.run(cmd, env=env, cwd=root, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"memory: {workload} {engine} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _rows(name: str, workload: str, engines: list[str], quick: bool,
          input_mib: float) -> list[Row]:
    rows = []
    for engine in engines:
        got = measure(workload, engine, quick)
        peak = min(got["rss_mib"])
        note = "RSS high-water, fresh process"
        if "tracemalloc_mib" in got:
            note += f"; tracemalloc {got['tracemalloc_mib']:.2f}"
        rows.append(Row(name, engine, "MiB", peak, peak, note=note,
                        extra={"rss_mib": got["rss_mib"], "input_batch_mib": input_mib,
                               **({"tracemalloc_mib": got["tracemalloc_mib"]}
                                  if "tracemalloc_mib" in got else {})}))
    ours = next((r.median for r in rows if r.engine == OURS), None)
    for r in rows:
        r.ratio = r.median / ours if ours else None
    return rows


def peak_memory(quick: bool) -> list[Row]:
    """Peak memory above the steady state of one training step: the MLP, LeNet and LSTM."""
    from .models import has_conv

    peers = ["pytorch"] if PEERS["pytorch"] else []
    mlp_batch, lenet_batch, (lb, ls, lu) = (64, 4, (4, 5, 8)) if quick else (1024, 64, (32, 50, 64))
    rows = _rows(f"peak memory, MLP step batch {mlp_batch}", "mlp", [OURS, NUMPY] + peers,
                 quick, mlp_batch * 784 * 4 / MIB)
    name = f"peak memory, LeNet step batch {lenet_batch}"
    if has_conv():
        rows += _rows(name, "lenet", [OURS, NUMPY] + peers, quick, lenet_batch * 784 * 4 / MIB)
    else:
        rows.append(missing(name, OURS, "MiB", "needs ag.conv2d and ag.max_pool2d"))
        rows += _rows(name, "lenet", [NUMPY] + peers, quick, lenet_batch * 784 * 4 / MIB)
    rows += _rows(f"peak memory, LSTM step sequence {ls}, batch {lb}", "lstm",
                  [OURS, NUMPY] + peers, quick, lb * ls * 32 * 4 / MIB)
    return rows


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--quick"]
    print(json.dumps(measure_here(args[0], args[1], "--quick" in sys.argv)))
