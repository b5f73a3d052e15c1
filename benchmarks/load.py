"""Benchmark: load time of UCI Online Retail I, this checkout against another git revision.

Each measurement is a fresh Python subprocess that imports ``clvlib.data.reading`` from one source
tree
(this checkout, or ``git archive <revision>`` unpacked in a temporary folder), then times
``load_online_retail(path)`` alone: reading the file, parsing, the audit and the clean log.
Runs alternate between the two trees and the best of each is compared (on shared cores other
processes only slow a run down); the least CPU time of each is printed too, being less
sensitive to other processes on the shared cores. Both trees must account for the same rows
and input value, which the script checks before printing the ratio.

Files: the shared Parquet copy, and a CSV written from it once to benchmarks/_data/
(gitignored), which exercises separator sniffing and date detection on 541,909 text dates.

Usage:

    python benchmarks/load.py                      # this checkout vs main, 5 runs each
    python benchmarks/load.py --against HEAD~3 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PARQUET = ROOT.parent / "shared" / "data" / "online_retail" / "online_retail.parquet"
CSV = ROOT / "benchmarks" / "_data" / "online_retail.csv"

CHILD = """
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
from clvlib.data.reading import load_online_retail
start, cpu = time.perf_counter(), time.process_time()
tx, audit = load_online_retail(sys.argv[2])
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
print(json.dumps({
    "seconds": seconds,
    "cpu_seconds": cpu,
    "rows": int(audit.n_input_rows),
    "input_value": round(float(audit.input_value), 2),
    "clean_lines": len(tx),
    "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""


def _tree(revision: str, into: Path) -> Path:
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", revision, "clvlib"],
        check=True,
        capture_output=True,
    ).stdout
    path = into / "tree.tar"
    path.write_bytes(archive)
    with tarfile.open(path) as tar:
        tar.extractall(into, filter="data")
    return into


def _run(tree: Path, data: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(tree), str(data)],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", default="main", help="git revision to compare with")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if not PARQUET.exists():
        sys.exit(f"no UCI file at {PARQUET}")
    if not CSV.exists():
        import pandas as pd

        CSV.parent.mkdir(parents=True, exist_ok=True)
        pd.read_parquet(PARQUET).to_csv(CSV, index=False)
    print(f"load average {os.getloadavg()[0]:.1f}; this checkout vs {args.against}")
    with tempfile.TemporaryDirectory() as tmp:
        trees = {args.against: _tree(args.against, Path(tmp)), "this checkout": ROOT}
        for data in (PARQUET, CSV):
            runs: dict[str, list[dict]] = {name: [] for name in trees}
            for _ in range(args.repeat):
                for name, tree in trees.items():
                    runs[name].append(_run(tree, data))
            best = {name: min(r, key=lambda x: x["seconds"]) for name, r in runs.items()}
            answers = {(b["rows"], b["input_value"]) for b in best.values()}
            assert len(answers) == 1, f"the trees disagree on rows / input value: {best}"
            print(
                f"\n{data.name}: {best[args.against]['rows']:,} rows, input value "
                f"{best[args.against]['input_value']:,.2f}"
            )
            for name, b in best.items():
                times = ", ".join(f"{r['seconds']:.2f}" for r in runs[name])
                cpu = min(r["cpu_seconds"] for r in runs[name])
                print(
                    f"  {name:>14}: best {b['seconds']:.2f} s (runs {times}), CPU {cpu:.2f} s, "
                    f"{b['clean_lines']:,} clean lines, peak {b['peak_mb']:.0f} MB"
                )
            ratio = best["this checkout"]["seconds"] / best[args.against]["seconds"]
            cpu_ratio = min(r["cpu_seconds"] for r in runs["this checkout"]) / min(
                r["cpu_seconds"] for r in runs[args.against]
            )
            print(f"  ratio this / {args.against}: wall {ratio:.2f}, CPU {cpu_ratio:.2f}")
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
