"""Benchmark: re-rendering the default report set after a change, against the first render.

Target (issue 21): the default report set re-rendered with one parameter of one notebook
changed in at most 15 s. Every render runs as a user runs it (``python -m clvlib report
--params P --out DIR``) in a fresh process, into the same temporary folder:

1. the first render (``--fresh``): the reference, measured in the same run;
2. the same parameters again: every page is reused;
3. ``discount_rate`` changed (read by the heuristic CLV, segment and summary pages; the
   comparison's settings do not include it, so its cached result is used again);
4. ``n_clusters`` set to 5 instead of the automatic choice (read by the k-means page, the
   summary and the comparison: the comparison is computed again).

Printed per step: the wall time, its ratio to the first render, and the CPU seconds of the
render's processes (the runner and its kernels, user + system: a figure that other work on a
shared machine inflates far less than the wall time). Each changed parameters file is
written next to ``params/default.yaml`` (so that its
relative paths hold) and deleted at the end. Printed: wall time of each step, its ratio to the
first render, and the runner's line per notebook (executed or reused).

    python benchmarks/rerender.py
"""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "params" / "default.yaml"


def _changed(name: str, value: str, *, base: Path = DEFAULT) -> Path:
    """``base`` with one parameter changed, next to the default parameters file."""
    text = base.read_text(encoding="utf-8")
    new, n = re.subn(rf"^{name}:[^#\n]*", f"{name}: {value}  ", text, count=1, flags=re.M)
    if n != 1:
        sys.exit(f"{name} not found in {DEFAULT}")
    path = DEFAULT.with_name(f".rerender_{name}.yaml")
    path.write_text(new, encoding="utf-8")
    return path


def _cpu() -> float:
    """CPU seconds (user + system) of the finished child processes and theirs so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _render(params: Path, out: Path, *extra: str) -> tuple[float, float, list[str]]:
    cmd = [sys.executable, "-m", "clvlib", "report", "--params", str(params), "--out", str(out)]
    cpu, start = _cpu(), time.perf_counter()
    done = subprocess.run([*cmd, *extra], cwd=ROOT, check=True, capture_output=True, text=True)
    seconds, cpu = time.perf_counter() - start, _cpu() - cpu
    lines = [line for line in done.stdout.splitlines() if ": " in line and "written" not in line]
    return seconds, cpu, lines


def main() -> None:
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    rate = _changed("discount_rate", "0.12")
    changed = [rate, _changed("n_clusters", "5", base=rate)]  # each step changes one thing
    try:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "reports"
            steps = [
                ("first render (--fresh), the reference", DEFAULT, ("--fresh",)),
                ("nothing changed", DEFAULT, ()),
                ("discount_rate 0.10 -> 0.12", changed[0], ()),
                ("n_clusters auto -> 5", changed[1], ()),
            ]
            first = None
            for what, params, extra in steps:
                seconds, cpu, lines = _render(params, out, *extra)
                first = first or seconds
                print(
                    f"\n{what}: {seconds:.1f} s ({seconds / first:.2f} of the first render), "
                    f"CPU {cpu:.1f} s, load average {os.getloadavg()[0]:.2f}"
                )
                for line in lines:
                    print(f"  {line}")
    finally:
        for path in changed:
            path.unlink(missing_ok=True)
    print(f"\nload average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
