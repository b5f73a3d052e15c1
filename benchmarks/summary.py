"""Benchmark: clvlib.customer_summary from Parquet vs lifetimes, 1M and 10M log lines.

Target (benchmarks/README.md): at 10M lines, customer_summary reading the Parquet file has a
peak memory under 1 GB. The earlier 8x-faster-than-lifetimes target compared unlike things and
is retired (issue 12) in favour of the end-to-end and out-of-core targets of scale.py; the
speed-up is still printed.

The logs are simulated shops (clvlib.simulate_shop, 2022-2024, seed 2024) passed through
clvlib.load_transactions and written to benchmarks/_data/ (gitignored) once; --rebuild
writes them again. Every measurement runs in a fresh Python subprocess, which reports its own
wall time for the measured step and its peak resident memory (getrusage(RUSAGE_SELF), i.e.
the subprocess's whole life: interpreter, imports, data, result). Measured:

- clvlib, Parquet: customer_summary(path) — reading included; the target.
- clvlib, DataFrame: customer_summary(frame) on a frame read beforehand (not timed; its
  memory is in the peak).
- lifetimes: reading the purchase lines (customer_id, timestamp, amount) from the same
  Parquet file with pandas, then summary_data_from_transaction_data(freq="D",
  monetary_value_col="amount"); the time of the lifetimes call alone is reported too.

Runs are interleaved (clvlib, clvlib, lifetimes, clvlib, ...) and the speed-up is the ratio
of the best runs: on shared cores other processes only ever slow a run down.

The BTYD columns of clvlib and lifetimes are compared (counts exactly, monetary_value to
1e-9 relative) so that the speed-up is between equal answers.

Usage (lifetimes comes with the bench extra: pip install -e ".[bench]"):

    python benchmarks/summary.py                       # 1M and 10M lines
    python benchmarks/summary.py --sizes 1m --repeat 5
    python benchmarks/summary.py --reference-python /path/to/venv-with-lifetimes/bin/python

Without lifetimes the reference is skipped with a message and only clvlib is timed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / "_data"
OBSERVATION_END = "2024-12-31"
SEED = 2024
# Simulated sign-ups giving about 1M and 10M log lines (about 7 lines per sign-up over 3 years).
SIZES = {"1m": 150_000, "10m": 1_500_000}
COLUMNS = ["customer_id", "order_id", "timestamp", "amount", "is_return", "cost", "channel"]
BTYD = ["frequency", "recency", "T", "monetary_value"]

# Each child prints one JSON line: {"seconds", "inner_seconds", "peak_rss_mb", "rows"}.
CHILD = {
    "clvlib_parquet": """
import sys, time, json, resource
from clvlib import customer_summary  # imports duckdb and pandas before the clock starts
path, end, out = sys.argv[1:4]
t = time.perf_counter()
s = customer_summary(path, observation_end=end)
seconds = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
s[["frequency", "recency", "T", "monetary_value"]].to_parquet(out)
print(json.dumps({"seconds": seconds, "inner_seconds": seconds, "peak_rss_mb": peak,
                  "rows": len(s)}))
""",
    "clvlib_dataframe": """
import sys, time, json, resource
import pandas as pd
from clvlib import customer_summary
from clvlib.data import engine
engine.connection()
path, end, out = sys.argv[1:4]
tx = pd.read_parquet(path)
t = time.perf_counter()
s = customer_summary(tx, observation_end=end)
seconds = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "inner_seconds": seconds, "peak_rss_mb": peak,
                  "rows": len(s)}))
""",
    "lifetimes": """
import sys, time, json, resource
import pandas as pd
from lifetimes.utils import summary_data_from_transaction_data
path, end, out = sys.argv[1:4]
t = time.perf_counter()
lines = pd.read_parquet(path, columns=["customer_id", "timestamp", "amount"],
                        filters=[("is_return", "==", False)])
t_inner = time.perf_counter()
s = summary_data_from_transaction_data(lines, "customer_id", "timestamp",
                                       monetary_value_col="amount",
                                       observation_period_end=end, freq="D")
done = time.perf_counter()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
s.to_parquet(out)
print(json.dumps({"seconds": done - t, "inner_seconds": done - t_inner, "peak_rss_mb": peak,
                  "rows": len(s)}))
""",
}


def machine() -> dict[str, str]:
    """The facts a reader needs to compare these figures with theirs."""
    import duckdb
    import numpy

    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return {
        "date": time.strftime("%Y-%m-%d"),
        "cpu": cpu,
        "nproc": str(os.cpu_count()),
        "ram": f"{mem_kb / 1024**2:.1f} GiB",
        "python": platform.python_version(),
        "pandas": pd.__version__,
        "numpy": numpy.__version__,
        "duckdb": duckdb.__version__,
        "load average": " ".join(f"{x:.1f}" for x in os.getloadavg()),
    }


def build(label: str, n_customers: int, rebuild: bool) -> Path:
    """Write the clean log of a simulated shop to Parquet, once."""
    path = DATA / f"summary_{label}.parquet"
    if path.exists() and not rebuild:
        return path
    import clvlib

    DATA.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    shop = clvlib.simulate_shop(n_customers=n_customers, seed=SEED, end=OBSERVATION_END)
    tx, _ = clvlib.load_transactions(shop.transactions)
    tx[COLUMNS].to_parquet(path, index=False)
    print(
        f"built {path.relative_to(ROOT)}: {len(tx):,} lines in {time.perf_counter() - t:.0f} s",
        flush=True,
    )
    return path


def run_child(
    python: str, task: str, path: Path, out: Path, children: dict[str, str] = CHILD
) -> dict[str, float]:
    """Run ``children[task]`` in a fresh ``python``: its JSON line plus the process time."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    t = time.perf_counter()
    done = subprocess.run(
        [python, "-c", children[task], str(path), OBSERVATION_END, str(out)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{task} failed:\n{done.stderr}")
    result = json.loads(next(x for x in reversed(done.stdout.splitlines()) if x.startswith("{")))
    result["process_seconds"] = time.perf_counter() - t
    return result


def has_lifetimes(python: str) -> bool:
    probe = subprocess.run([python, "-c", "import lifetimes"], capture_output=True, check=False)
    return probe.returncode == 0


def same_answer(ours: Path, theirs: Path) -> str:
    a = pd.read_parquet(ours)
    b = pd.read_parquet(theirs).sort_index()
    if not a.index.equals(b.index):
        return "NO: different customers"
    exact = all((a[c].to_numpy() == b[c].to_numpy()).all() for c in ["frequency", "recency", "T"])
    rel = (
        (a["monetary_value"] - b["monetary_value"]).abs() / b["monetary_value"].abs().clip(1e-300)
    ).max()
    verdict = "yes" if exact and rel <= 1e-9 else "NO"
    return f"{verdict} (counts exact: {exact}, max rel. diff of monetary_value {rel:.1e})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", choices=sorted(SIZES), default=["1m", "10m"])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each clvlib measurement")
    parser.add_argument("--reference-repeat", type=int, default=1, help="runs of lifetimes")
    parser.add_argument(
        "--reference-python",
        default=sys.executable,
        help="interpreter with lifetimes installed (default: this one)",
    )
    parser.add_argument("--rebuild", action="store_true", help="simulate the logs again")
    args = parser.parse_args()

    print(" | ".join(f"{k}: {v}" for k, v in machine().items()), flush=True)
    reference = has_lifetimes(args.reference_python)
    if not reference:
        print(
            f"lifetimes is not installed for {args.reference_python}: the reference is "
            "skipped (pip install -e '.[bench]', or pass --reference-python)",
            flush=True,
        )

    rows = []
    for label in args.sizes:
        path = build(label, SIZES[label], args.rebuild)
        n_lines = pd.read_parquet(path, columns=["is_return"]).shape[0]
        size_mb = path.stat().st_size / 1024**2
        print(f"\n{label}: {n_lines:,} lines, Parquet {size_mb:.0f} MB", flush=True)
        plan = [
            ("clvlib_parquet", sys.executable, args.repeat),
            ("clvlib_dataframe", sys.executable, args.repeat),
        ]
        if reference:
            plan.append(("lifetimes", args.reference_python, args.reference_repeat))
        results: dict[str, list[dict[str, float]]] = {task: [] for task, _, _ in plan}
        for i in range(max(repeat for _, _, repeat in plan)):  # interleaved: same conditions
            for task, python, repeat in plan:
                if i >= repeat:
                    continue
                r = run_child(python, task, path, DATA / f"result_{task}_{label}.parquet")
                results[task].append(r)
                print(
                    f"  {task:17s} {r['seconds']:8.2f} s (step)  {r['inner_seconds']:8.2f} s "
                    f"(summary call)  {r['process_seconds']:8.2f} s (process)  "
                    f"peak RSS {r['peak_rss_mb']:7.0f} MB  {r['rows']:,} customers  "
                    f"(load {os.getloadavg()[0]:.1f})",
                    flush=True,
                )
        for task, runs in results.items():
            rows.append(
                {
                    "lines": f"{n_lines / 1e6:.1f}M",
                    "method": task,
                    "best_s": min(r["seconds"] for r in runs),
                    "median_s": statistics.median(r["seconds"] for r in runs),
                    "best_call_s": min(r["inner_seconds"] for r in runs),
                    "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
                    "runs": len(runs),
                }
            )
        if reference:
            # best of the runs: other processes on shared cores only ever slow a run down
            ours = min(r["seconds"] for r in results["clvlib_parquet"])
            theirs = results["lifetimes"]
            end_to_end = min(r["seconds"] for r in theirs) / ours
            call_only = min(r["inner_seconds"] for r in theirs) / ours
            print(
                f"  speed-up of clvlib from Parquet (best runs): {end_to_end:.1f}x vs lifetimes "
                f"(read + summary), {call_only:.1f}x vs the lifetimes call alone"
            )
            print(
                "  same BTYD columns: "
                + same_answer(
                    DATA / f"result_clvlib_parquet_{label}.parquet",
                    DATA / f"result_lifetimes_{label}.parquet",
                )
            )
    print()
    print(pd.DataFrame(rows).to_string(index=False, float_format=lambda x: f"{x:.2f}"))


if __name__ == "__main__":
    main()
