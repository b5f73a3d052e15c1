"""Benchmark: the summary of a 100M-line log in parts (``clvlib.data.engine.staging``), checked.

Target (issue 12, benchmarks/README.md): 100M raw lines (about 1.4 GB of Parquet) summarised
in at most 120 s with a peak RSS of at most 2 GB for the whole process, the 9.6M-customer
pandas result included, DuckDB spilling within its memory limit (clvlib.data.engine defaults).

The log is the one of ``scale.py`` (written by DuckDB into ``--dir``, deleted at the end
unless ``--keep``). ``customer_summary(path)`` runs in a fresh process that reports the wall
time of the summary (imports and the engine's start before the clock), the time of each part
(the checking scan, then each query written to Parquet), its CPU time (user + system: on a
shared machine the wall time grows with the load, the CPU time much less) and its own peak
RSS (getrusage).
No reference library can hold 100M lines in memory, so the result is checked against
counts that DuckDB computes directly in another process: the customers, the sum of
``frequency + 1`` (distinct purchase days per customer), the sum of ``n_orders`` (distinct
purchase orders) and the total purchase value (exact decimals).

Usage:

    python benchmarks/scale_parts.py                 # 100M lines, default engine settings
    python benchmarks/scale_parts.py --sizes 10m --keep
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from scale import SIZES, generate
from summary import OBSERVATION_END, machine, run_child

CHILD = {
    "parts": """
import sys, time, json, resource, os
from clvlib import customer_summary
from clvlib.data import engine
from clvlib.data import summary
engine.connection()  # imports Ibis' DuckDB backend before the clock
path, end, out = sys.argv[1:4]
steps = []
write, prepare = engine._write_part, summary._prepare

def timed_write(con, table, file):
    t = time.perf_counter()
    done = write(con, table, file)
    steps.append((file.stem, time.perf_counter() - t))
    return done

def timed_prepare(*args):
    t = time.perf_counter()
    done = prepare(*args)
    steps.append(("checks", time.perf_counter() - t))
    return done

engine._write_part, summary._prepare = timed_write, timed_prepare
t = time.perf_counter()
s = customer_summary(path, observation_end=end)
seconds = time.perf_counter() - t
usage = resource.getrusage(resource.RUSAGE_SELF)
peak, cpu = usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime
totals = {"customers": len(s), "days": int((s["frequency"] + 1).sum()),
          "orders": int(s["n_orders"].sum()),
          "value": float((s["total_value"] + s["returned_value"]).sum())}
print(json.dumps({"seconds": seconds, "peak_rss_mb": peak, "rows": len(s), "steps": steps,
                  "totals": totals, "cpu_seconds": cpu}))
""",
}

# The same totals straight from the lines, by DuckDB alone (no clvlib), for the check.
CHECK = """
SELECT
    count(DISTINCT customer_id) AS customers,
    count(DISTINCT (customer_id, CAST("timestamp" AS DATE))) AS days,
    count(DISTINCT (customer_id, order_id)) AS orders,
    CAST(sum(CAST(amount AS DECIMAL(18, 10))) AS DOUBLE) AS value
FROM read_parquet('{path}')
WHERE NOT is_return AND "timestamp" < TIMESTAMP '{end}' + INTERVAL 1 DAY
"""


def expected(path: Path, spill: Path) -> dict[str, float]:
    """The totals of the purchase lines, by DuckDB directly (4 GB, its own spill folder)."""
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET memory_limit = '4GB'; SET threads = 2; SET temp_directory = '{spill}'")
    row = con.execute(CHECK.format(path=path, end=OBSERVATION_END)).fetchone()
    return dict(zip(["customers", "days", "orders", "value"], row, strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", choices=sorted(SIZES), default=["100m"])
    parser.add_argument("--repeat", type=int, default=1, help="runs of each measurement")
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--keep", action="store_true", help="keep the generated logs")
    args = parser.parse_args()

    print(" | ".join(f"{k}: {v}" for k, v in machine().items()), flush=True)
    folder = args.dir / "clvlib_scale"
    folder.mkdir(parents=True, exist_ok=True)
    try:
        for label in args.sizes:
            path = generate(folder, label)
            for _ in range(args.repeat):
                load = os.getloadavg()[0]
                r = run_child(
                    sys.executable, "parts", path, folder / f"parts_{label}.parquet", CHILD
                )
                steps = ", ".join(f"{name} {s:.1f} s" for name, s in r["steps"])
                print(
                    f"  {label:5s} {r['seconds']:7.1f} s (summary)  {r['process_seconds']:7.1f} s "
                    f"(process)  CPU {r['cpu_seconds']:6.1f} s  "
                    f"peak RSS {r['peak_rss_mb']:6.0f} MB  {r['rows']:,} customers  "
                    f"(load {load:.1f} -> {os.getloadavg()[0]:.1f})\n    {steps}",
                    flush=True,
                )
            want = expected(path, folder)
            got = r["totals"]
            same = all(got[k] == want[k] for k in ("customers", "days", "orders")) and abs(
                got["value"] - want["value"]
            ) <= 1e-9 * abs(want["value"])
            print(f"{label}: checked against DuckDB's direct counts: {same}", flush=True)
            print(f"    clvlib {got}\n    direct {want}", flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
            print(f"deleted {folder}")


if __name__ == "__main__":
    main()
