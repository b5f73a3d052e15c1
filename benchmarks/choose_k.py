"""Benchmark: cost of ``choose_k`` as the reports call it, this checkout against ``main``.

Reports 04 (summary at ``holdout_end``), 00 and 05 (summary at ``calibration_end``, the
comparison's ``n_clusters: auto``) each choose k. Each run is a fresh process that loads the
log, builds the summary and times ``choose_k(summary, random_state=0)`` alone: wall and CPU
(``time.process_time``, less sensitive to the other processes on shared cores). The same
runs must recommend the same k in both trees.

    python benchmarks/choose_k.py [--repeat N] [--base main]
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
CHILD = r"""
import json, sys, time, warnings
warnings.simplefilter("ignore")
import clvlib, clvlib.report.notebook
from clvlib.methods.k_choice import choose_k
from clvlib.data.summary import customer_summary
params = json.loads(sys.argv[1])  # validated by this checkout: same data for both trees
tx = clvlib.report.notebook.load_data(params)[0]
summary = customer_summary(tx, observation_end=params[sys.argv[2]], time_unit=params["time_unit"])
wall, cpu = time.perf_counter(), time.process_time()
choice = choose_k(summary, random_state=0)
print(json.dumps({"n": len(summary), "k": choice.recommended_k,
                  "wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu}))
"""


def run(tree: Path, params: Path, end: str) -> dict:
    import clvlib

    given = json.dumps(dict(clvlib.load_params(params)))
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, given, end],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        cwd=tree,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--base", default="main")
    args = parser.parse_args()
    sets = [("shop", ROOT / "params" / "default.yaml")]
    if (ROOT.parent / "shared" / "data" / "online_retail").exists():
        sets.append(("UCI", ROOT / "params" / "online_retail.yaml"))
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start")
    with tempfile.TemporaryDirectory() as tmp:
        archive = Path(tmp) / "base.tar"
        subprocess.run(["git", "archive", "-o", str(archive), args.base], check=True, cwd=ROOT)
        base = Path(tmp) / "base"
        with tarfile.open(archive) as tar:
            tar.extractall(base, filter="data")
        for name, params in sets:
            for end in ("calibration_end", "holdout_end"):
                best: dict[str, dict] = {}
                for _ in range(args.repeat):  # alternating, so both see the same load
                    for label, tree in ((args.base, base), ("this", ROOT)):
                        got = run(tree, params, end)
                        print(f"  {name} {end} {label}: {json.dumps(got)}", flush=True)
                        old = best.get(label)
                        if old is None or got["cpu"] < old["cpu"]:
                            best[label] = got
                b, t = best[args.base], best["this"]
                same = "same k" if b["k"] == t["k"] else "k DIFFERS"
                print(
                    f"{name:5} {end:16} n={t['n']:6}  {args.base}: k={b['k']} "
                    f"{b['wall']:5.1f} s wall {b['cpu']:5.1f} s CPU | this: k={t['k']} "
                    f"{t['wall']:5.1f} s wall {t['cpu']:5.1f} s CPU | CPU ratio "
                    f"{t['cpu'] / b['cpu']:.2f}, {same}",
                    flush=True,
                )
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
