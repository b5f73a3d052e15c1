"""Benchmark: the summary of a log of 10M and 100M lines from Parquet, out of core, vs lifetimes.

Targets (issue 12, benchmarks/README.md):

- 10M raw lines: clvlib (raw Parquet file -> audited lazy load,
  ``load_transactions(path, lazy=True)``, -> ``customer_summary``) at least 5x faster than
  lifetimes (pd.read_parquet of the purchase lines + summary_data_from_transaction_data), the
  same customers and BTYD columns, peak RSS at most 1 GB;
- 100M lines (about 1.5 GB of Parquet): at most 120 s and a peak RSS of at most 2 GB, DuckDB
  spilling to disk above its memory limit (clvlib.data.engine).

The logs are written by DuckDB into a temporary folder (``--dir``, default the system's) and
deleted at the end (``--keep`` keeps them): a raw order log (customer id, order id,
timestamp, amount; 5 % of the lines are returns, negative amounts, orders of their own; no
``is_return`` column), about 10 lines per customer over 2022-2024, 1 to 5 lines per order
(distinct amounts: no line is a copy of another), customers with several orders on one day.
The ``scan`` child times DuckDB reading the four columns of the file (a sum or max of each),
the floor under any summary of it; clvlib's child reports the load alone too. Every measurement
runs in a fresh Python subprocess that reports its own wall time for the measured step
(imports before the clock) and its peak RSS (getrusage of the whole process). Runs are
interleaved; ratios are of the best runs, measured in the same invocation.

``--format csv`` writes the same log as a CSV file instead (issue 21: load + summary of a
10M-line CSV at least 3x faster than lifetimes reading the same CSV with pandas): clvlib
reads it with DuckDB's reader (sniffed, audited), lifetimes' side with ``pd.read_csv`` of the
three columns it needs, the timestamps parsed.

Usage (lifetimes comes with the bench extra: pip install -e ".[bench]"):

    python benchmarks/scale.py                  # 10M (with lifetimes) and 100M (clvlib only)
    python benchmarks/scale.py --sizes 10m --repeat 3
    python benchmarks/scale.py --sizes 10m --format csv
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from summary import CHILD as SUMMARY_CHILD
from summary import has_lifetimes, machine, run_child, same_answer

ROOT = Path(__file__).resolve().parents[1]
OBSERVATION_END = "2024-12-31"
# lines -> customers
SIZES = {
    "1m": (1_000_000, 100_000),
    "10m": (10_000_000, 1_000_000),
    "100m": (100_000_000, 10_000_000),
}

# An order log written by DuckDB: order k of customer hash(k) % customers, on a random day
# of 2022-2024 at a random second, with 1-5 lines; 1 order in 20 is a return.
GENERATE = """
COPY (
    WITH orders AS (
        SELECT
            k,
            (hash(k) % {customers})::BIGINT AS customer_id,
            TIMESTAMP '2022-01-01' + to_seconds((hash(k * 7 + 1) % (3 * 365 * 86400))::BIGINT)
                AS "timestamp",
            hash(k * 7 + 2) % 20 = 0 AS is_return,
            1 + (hash(k * 7 + 3) % 5)::INTEGER AS n_lines
        FROM range({orders}) AS r(k)
    )
    SELECT
        customer_id,
        'O' || k::VARCHAR AS order_id,
        "timestamp",
        (CASE WHEN is_return THEN -1 ELSE 1 END)
            * (1 + ((hash(k * 31 + line) % 4000) * 5 + line) / 100.0) AS amount
    FROM orders, range(n_lines) AS l(line)
    LIMIT {lines}
) TO '{path}' ({options})
"""
FORMATS = {"parquet": "FORMAT parquet, ROW_GROUP_SIZE 1000000", "csv": "FORMAT csv, HEADER"}

CHILD = {
    "clvlib": """
import sys, time, json, resource
from clvlib import customer_summary, load_transactions
from clvlib.data import engine
engine.connection()  # imports Ibis' DuckDB backend (0.7 s) before the clock, as lifetimes' imports
path, end, out = sys.argv[1:4]
t = time.perf_counter()
tx, audit = load_transactions(path, lazy=True)
loaded = time.perf_counter()
s = customer_summary(tx, observation_end=end)
seconds = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
s[["frequency", "recency", "T", "monetary_value"]].to_parquet(out)
kept = audit.table()["rows"]
print(json.dumps({"seconds": seconds, "inner_seconds": seconds, "peak_rss_mb": peak,
                  "rows": len(s), "load_seconds": loaded - t,
                  "audit": f"{kept['kept']:,} kept, {kept['return']:,} returns, "
                           f"{kept['total'] - kept['kept'] - kept['return']:,} dropped"}))
""",
    # lifetimes' reference, as in benchmarks/summary.py, on the raw file: the purchase lines
    "lifetimes": SUMMARY_CHILD["lifetimes"].replace(
        '("is_return", "==", False)', '("amount", ">=", 0)'
    ),
    # lifetimes' reference reading the CSV with pandas: the three columns, dates parsed
    "lifetimes_csv": SUMMARY_CHILD["lifetimes"].replace(
        """lines = pd.read_parquet(path, columns=["customer_id", "timestamp", "amount"],
                        filters=[("is_return", "==", False)])""",
        """lines = pd.read_csv(path, usecols=["customer_id", "timestamp", "amount"],
                    parse_dates=["timestamp"])
lines = lines[lines["amount"] >= 0]""",
    ),
    "scan": """
import sys, time, json, resource
import duckdb
from clvlib.data import engine
con = engine.connection().con  # the same engine settings (threads, memory)
path = sys.argv[1]
t = time.perf_counter()
reader = "read_csv" if path.endswith(".csv") else "read_parquet"
n = con.sql(f"SELECT count(*), sum(customer_id), max(order_id), max(timestamp), sum(amount)"
            f" FROM {reader}('{path}')").fetchall()
seconds = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "inner_seconds": seconds, "peak_rss_mb": peak,
                  "rows": n[0][0]}))
""",
}


def generate(folder: Path, label: str, kind: str = "parquet") -> Path:
    """Write the log of ``label`` lines with DuckDB (two threads, 1 GB), once per folder."""
    import duckdb

    lines, customers = SIZES[label]
    path = folder / f"scale_{label}.{kind}"
    if path.exists():
        return path
    t = time.perf_counter()
    con = duckdb.connect()
    con.execute(f"SET threads = 2; SET memory_limit = '1GB'; SET temp_directory = '{folder}'")
    con.execute(
        GENERATE.format(
            customers=customers,
            orders=lines // 3 + 1,
            lines=lines,
            path=str(path),
            options=FORMATS[kind],
        )
    )
    size = path.stat().st_size / 1024**2
    print(f"wrote {path}: {lines:,} lines, {size:,.0f} MB in {time.perf_counter() - t:.0f} s")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", choices=sorted(SIZES), default=["10m", "100m"])
    parser.add_argument("--repeat", type=int, default=2, help="runs of each measurement")
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--keep", action="store_true", help="keep the generated logs")
    parser.add_argument("--format", choices=sorted(FORMATS), default="parquet")
    parser.add_argument(
        "--reference-python",
        default=sys.executable,
        help="interpreter with lifetimes installed (default: this one)",
    )
    args = parser.parse_args()

    print(" | ".join(f"{k}: {v}" for k, v in machine().items()), flush=True)
    folder = args.dir / "clvlib_scale"
    folder.mkdir(parents=True, exist_ok=True)
    reference = has_lifetimes(args.reference_python)
    try:
        for label in args.sizes:
            path = generate(folder, label, args.format)
            # lifetimes holds every line in pandas: only up to 10M lines
            plan = [("scan", sys.executable), ("clvlib", sys.executable)]
            theirs_task = "lifetimes_csv" if args.format == "csv" else "lifetimes"
            if reference and SIZES[label][0] <= 10_000_000:
                plan.append((theirs_task, args.reference_python))
            results: dict[str, list[dict[str, float]]] = {task: [] for task, _ in plan}
            for _ in range(args.repeat):
                for task, python in plan:
                    r = run_child(
                        python, task, path, folder / f"result_{task}_{label}.parquet", CHILD
                    )
                    results[task].append(r)
                    extra = (
                        f"  load {r['load_seconds']:.2f} s ({r['audit']})"
                        if "load_seconds" in r
                        else ""
                    )
                    print(
                        f"  {label:5s} {task:10s} {r['seconds']:8.2f} s (step)  "
                        f"{r['process_seconds']:8.2f} s (process)  peak RSS "
                        f"{r['peak_rss_mb']:7.0f} MB  {r['rows']:,} rows out{extra}  "
                        f"(load average {os.getloadavg()[0]:.1f})",
                        flush=True,
                    )
            if not args.repeat:
                continue
            ours = min(r["seconds"] for r in results["clvlib"])
            print(
                f"{label}: clvlib best {ours:.2f} s, peak RSS "
                f"{max(r['peak_rss_mb'] for r in results['clvlib']):.0f} MB",
                flush=True,
            )
            if theirs_task in results:
                theirs = min(r["seconds"] for r in results[theirs_task])
                verdict = same_answer(
                    folder / f"result_clvlib_{label}.parquet",
                    folder / f"result_{theirs_task}_{label}.parquet",
                )
                print(
                    f"{label}: {theirs_task} best {theirs:.2f} s, peak RSS "
                    f"{max(r['peak_rss_mb'] for r in results[theirs_task]):.0f} MB; speed-up "
                    f"{theirs / ours:.1f}x; same answer: {verdict}",
                    flush=True,
                )
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
            print(f"deleted {folder}")


if __name__ == "__main__":
    pd.set_option("display.width", 120)
    main()
