"""`python -m benchmarks [--quick] [--only NAME ...]`: run the workloads, write a table and JSON."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from .harness import markdown, pinned_threads
from .targets import targets_table
from .workloads import PEERS, WORKLOADS, machine


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks and write results/latest.md and results/latest.json."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks, not numbers")
    parser.add_argument("--only", nargs="+", choices=sorted(WORKLOADS), help="run only these")
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS and PyTorch threads, the same for every engine (default 1)")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results",
                        help="folder for latest.md and latest.json")
    args = parser.parse_args(argv)

    names = args.only or list(WORKLOADS)
    print(f"peers installed: {', '.join(k for k, v in PEERS.items() if v) or 'none'}")
    rows = []
    with pinned_threads(args.threads):
        for name in names:
            t = time.perf_counter()
            print(f"running {name} ...", file=sys.stderr, flush=True)
            rows += WORKLOADS[name](args.quick)
            print(f"  {name} took {time.perf_counter() - t:.1f} s", file=sys.stderr, flush=True)
        info = machine()
    table = markdown(rows) + "\n\nTargets (issues 14 and 13), from the rows above:\n\n" + (
        targets_table(rows))
    print(table)
    info["threads per engine"] = args.threads
    args.out.mkdir(parents=True, exist_ok=True)
    stem = "quick" if args.quick else "latest"
    header = ", ".join(f"{k} {v}" for k, v in info.items())
    _write(args.out / f"{stem}.md", f"Measured on: {header}\n\n{table}\n")
    _write(args.out / f"{stem}.json", json.dumps(
        {"machine": info, "quick": args.quick, "rows": [r.as_dict() for r in rows]}, indent=2))
    print(f"\nwrote {args.out / (stem + '.md')} and {args.out / (stem + '.json')}")
    return 0


def _write(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


if __name__ == "__main__":
    raise SystemExit(main())
