"""Benchmark: wall time of the whole report set, for the default data and UCI Online Retail.

Targets (issue 5): the full set for the embedded default data in under 60 s, for UCI Online
Retail in under 90 s, on the 2-core machine. Each render runs as a user runs it
(`python -m clvlib report --params ... --out ...`) in a fresh process. The reference,
measured in the same run, is the fixed cost a report cannot avoid: papermill executing a
one-cell notebook that only imports what the reports import (interpreter, papermill, a
kernel start and the imports in it). The ratio says how many of those fixed costs the
whole set takes; the reports run two kernels at a time.

    python benchmarks/reports.py            # UCI skipped when ../shared/data is absent
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
UCI = ROOT.parent / "shared" / "data" / "online_retail" / "online_retail.parquet"
IMPORTS = (
    "import clvlib, clvlib.report.plotting, pandas, sklearn.cluster, matplotlib.pyplot, "
    "scipy.optimize"
)


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - start


def main() -> None:
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(IMPORTS)]
        empty = Path(tmp) / "imports.ipynb"
        nbformat.write(nb, empty)
        reference = min(
            timed([sys.executable, "-m", "papermill", "-k", "python3", str(empty), os.devnull])
            for _ in range(2)
        )
        print(f"reference: papermill + kernel + imports, one cell   {reference:6.1f} s")
        sets = [("default data", ROOT / "params" / "default.yaml", 60)]
        if UCI.exists():
            sets.append(("UCI Online Retail", ROOT / "params" / "online_retail.yaml", 90))
        else:
            print(f"UCI Online Retail skipped: {UCI} not found")
        for name, params, target in sets:
            out = Path(tmp) / name.replace(" ", "_")
            cmd = [sys.executable, "-m", "clvlib", "report", "--params", str(params)]
            seconds = timed([*cmd, "--out", str(out), "--no-progress"])
            verdict = "met" if seconds < target else "NOT met"
            print(
                f"{name:<20} full set {seconds:6.1f} s  = {seconds / reference:4.1f} x reference"
                f"  (target < {target} s: {verdict})"
            )


if __name__ == "__main__":
    main()
