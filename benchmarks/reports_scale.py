"""Benchmark: the report set on a 10M-line / 1M-customer order log, wall time and peak RSS.

Target (issue 12, item 4): every report rendered, at most 4 min, no process above 2.5 GB.

The log is written by DuckDB (the generator of ``scale.py``, plus an acquisition channel
per customer) into ``--dir`` (default the system's temporary folder) with a parameters
file pointing at it; both are deleted at the end unless ``--keep``. The report set runs as a
user runs it, ``python -m clvlib report --params P --out DIR``, in a fresh
process; a sampler reads the resident memory of that process and of every process under it
(the kernels) every 0.1 s with psutil, and the CPU seconds each has used (user + system:
unlike the wall, not inflated by other work on the machine). Each kernel is named after
its notebook from the page ledger the runner puts in its environment (before, by the
runner line, ``name: ok in X s``, that came just after the kernel was last seen, which
swapped names once the runner no longer started the notebooks in order).

    python benchmarks/reports_scale.py                 # 10M lines, 1M customers
    python benchmarks/reports_scale.py --lines 1000000 --customers 100000 --keep
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
#: the runner gives each kernel its page's ledger, ``<out>/.cache/ledgers/<notebook>.txt``
LEDGER_ENV = "CLVLIB_PAGE_LEDGER"
CHANNELS = ("organic", "paid_search", "social", "referral", "email")

# scale.py's order log (1-5 lines per order, 1 order in 20 a return with negative amounts,
# 2022-2024), with the customer's acquisition channel on every line.
GENERATE = """
COPY (
    WITH orders AS (
        SELECT
            k,
            (hash(k) % {customers})::BIGINT AS customer_id,
            TIMESTAMP '2022-01-01' + to_seconds((hash(k * 7 + 1) % (1096 * 86400))::BIGINT)
                AS "timestamp",
            hash(k * 7 + 2) % 20 = 0 AS is_return,
            1 + (hash(k * 7 + 3) % 5)::INTEGER AS n_lines
        FROM range({orders}) AS r(k)
    )
    SELECT
        customer_id,
        (CASE WHEN is_return THEN 'R' ELSE 'O' END) || k::VARCHAR AS order_id,
        "timestamp",
        (CASE WHEN is_return THEN -1 ELSE 1 END)
            * round(1 + (hash(k * 31 + line) % 20000) / 100.0, 2) AS amount,
        ({channels})[1 + (hash(customer_id * 13) % {n_channels})::INTEGER] AS channel
    FROM orders, range(n_lines) AS l(line)
    LIMIT {lines}
) TO '{path}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)
"""

PARAMS = """\
dataset_name: scale {label}
data_path: {path}
customers_path: ''
calibration_end: 2024-06-30
holdout_end: 2024-12-31
"""


def generate(folder: Path, lines: int, customers: int) -> Path:
    """Write the log with DuckDB (two threads, 1 GB), once per folder and size."""
    import duckdb

    path = folder / f"reports_{lines}_{customers}.parquet"
    if path.exists():
        return path
    t = time.perf_counter()
    con = duckdb.connect()
    con.execute(f"SET threads = 2; SET memory_limit = '1GB'; SET temp_directory = '{folder}'")
    channels = "[" + ", ".join(f"'{c}'" for c in CHANNELS) + "]"
    con.execute(
        GENERATE.format(
            customers=customers,
            orders=lines // 3 + 1,
            lines=lines,
            path=str(path),
            channels=channels,
            n_channels=len(CHANNELS),
        )
    )
    size = path.stat().st_size / 1024**2
    print(f"wrote {path}: {lines:,} lines, {size:,.0f} MB in {time.perf_counter() - t:.0f} s")
    return path


class TreeSampler(threading.Thread):
    """Peak RSS of a process and of every process under it, sampled every ``interval`` s."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.root = psutil.Process(pid)
        self.interval = interval
        self.peak: dict[int, int] = {}
        self.cpu: dict[int, float] = {}  # pid -> user + system seconds, last seen (load-free)
        self.last_seen: dict[int, float] = {}
        self.info: dict[int, tuple[float, str]] = {}  # pid -> (start time, command line)
        self.notebook: dict[int, str] = {}  # kernel pid -> its notebook (the runner's env)
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                procs = [self.root, *self.root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            for p in procs:
                try:
                    rss = p.memory_info().rss
                    self.cpu[p.pid] = sum(p.cpu_times()[:2])
                    if p.pid not in self.info:
                        self.info[p.pid] = (p.create_time(), " ".join(p.cmdline()))
                        ledger = p.environ().get(LEDGER_ENV)  # the runner's page ledger
                        if ledger:
                            self.notebook[p.pid] = Path(ledger).stem
                except psutil.Error:
                    continue
                self.peak[p.pid] = max(self.peak.get(p.pid, 0), rss)
                self.last_seen[p.pid] = time.monotonic()
            self.stop.wait(self.interval)


def slowest_cells(path: Path, since: float, n: int = 4) -> list[tuple[float, str]]:
    """The ``n`` slowest code cells of an executed notebook (papermill's cell durations)."""
    import nbformat

    if not path.is_file() or path.stat().st_mtime < since:  # not written by this run
        return []
    cells = [
        (c.metadata.get("papermill", {}).get("duration") or 0.0, " ".join(c.source.split())[:70])
        for c in nbformat.read(path, as_version=4).cells
        if c.cell_type == "code"
    ]
    return sorted(cells, reverse=True)[:n]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=10_000_000)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--jobs", type=int, default=2, help="kernels at a time (the default)")
    parser.add_argument("--keep", action="store_true", help="keep the log and the reports")
    parser.add_argument("--notebooks", nargs="*", help="only these notebooks (default all)")
    parser.add_argument("--timeout", type=float, help="seconds per notebook (runner's default)")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from summary import machine

    print(" | ".join(f"{k}: {v}" for k, v in machine().items()), flush=True)
    folder = args.dir / "clvlib_reports_scale"
    folder.mkdir(parents=True, exist_ok=True)
    try:
        data = generate(folder, args.lines, args.customers)
        params = folder / "params.yaml"
        params.write_text(PARAMS.format(label=f"{args.lines:,} lines", path=data))
        out = folder / "reports"
        cmd = [sys.executable, "-m", "clvlib", "report", "--params", str(params)]
        cmd += ["--out", str(out), "--jobs", str(args.jobs)]  # one line per notebook (a pipe)
        if args.notebooks:
            cmd += ["--notebooks", *args.notebooks]
        if args.timeout:
            cmd += ["--timeout", str(args.timeout)]
        loads = [os.getloadavg()[0]]
        wall_start = time.time()
        start = time.perf_counter()
        proc = subprocess.Popen(
            cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        sampler = TreeSampler(proc.pid)
        sampler.start()
        finished: list[tuple[float, str]] = []  # (when, runner's line)
        reader = threading.Thread(
            target=lambda: finished.extend((time.monotonic(), line) for line in proc.stdout),
            daemon=True,
        )
        reader.start()
        stderr = proc.stderr.read()
        proc.wait()
        reader.join()
        stdout = "".join(line for _, line in finished)
        seconds = time.perf_counter() - start
        sampler.stop.set()
        sampler.join()
        loads.append(os.getloadavg()[0])

        done = dict(re.findall(r"^(\S+): (?:ok|failed) in ([\d.]+) s$", stdout, re.M))
        status = dict(re.findall(r"^(\S+): (ok|failed) in", stdout, re.M))
        # a kernel is shut down when its notebook is done, before the runner's line: each
        # line goes to the kernel last seen alive just before it
        kernels = {pid for pid, (_, line) in sampler.info.items() if "ipykernel_launcher" in line}
        # a kernel's children (a shell it runs) inherit its environment: the largest is it
        owner: dict[str, int] = {}
        for pid, name in sorted(sampler.notebook.items(), key=lambda item: sampler.peak[item[0]]):
            owner[name] = pid
        for when, line in finished if not owner else ():  # no environment read: by timing
            hit = re.match(r"^(\S+): (?:ok|failed) in", line)
            free = [p for p in kernels - set(owner.values()) if sampler.last_seen[p] <= when + 1]
            if hit and free:
                owner[hit.group(1)] = max(free, key=lambda p: sampler.last_seen[p])
        names = sorted(done)
        mb = 1024**2
        print(f"report set: exit status {proc.returncode}, {seconds:.1f} s wall")
        runner = sampler.peak[proc.pid] / mb
        print(
            f"  {'runner (python -m clvlib report)':<40} peak RSS {runner:7.0f} MB, "
            f"CPU {sampler.cpu.get(proc.pid, float('nan')):6.1f} s"
        )
        for name in names:
            rss = sampler.peak[owner[name]] / mb if name in owner else float("nan")
            cpu = sampler.cpu[owner[name]] if name in owner else float("nan")
            print(
                f"  {name:<24} {status.get(name, '?'):6s} {float(done.get(name, 'nan')):6.1f} s"
                f"   kernel peak RSS {rss:7.0f} MB   CPU {cpu:6.1f} s"
            )
        print(f"  CPU of the run (user + system, every process): {sum(sampler.cpu.values()):.0f} s")
        others = [
            (pid, line)
            for pid, (_, line) in sampler.info.items()
            if pid != proc.pid and line and "ipykernel_launcher" not in line
        ]
        others = [(pid, line) for pid, line in others if sampler.peak[pid] > 100 * mb]
        for pid, line in others:
            print(f"  other process {line[:60]!r}: peak RSS {sampler.peak[pid] / mb:.0f} MB")
        for name in names:
            print(f"  {name}: slowest cells")
            for seconds_, source in slowest_cells(out / "notebooks" / f"{name}.ipynb", wall_start):
                print(f"    {seconds_:6.1f} s  {source}")
        top = max(sampler.peak.values()) / mb
        ok = proc.returncode == 0 and all(s == "ok" for s in status.values())
        print(
            f"targets: every report rendered {'met' if ok else 'NOT met'}; "
            f"wall {seconds:.0f} s <= 240 s {'met' if seconds <= 240 else 'NOT met'}; "
            f"largest process {top:.0f} MB <= 2560 MB {'met' if top <= 2560 else 'NOT met'}"
        )
        print(f"load average (1 min) before {loads[0]:.2f}, after {loads[1]:.2f}")
        if proc.returncode != 0:
            print(stderr[-3000:], file=sys.stderr)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
            print(f"deleted {folder}")


if __name__ == "__main__":
    main()
