"""Command line: ``python -m clvlib report --params params/default.yaml --out reports``.

With several ``--params`` files (``--params A.yaml --params B.yaml --out DIR``) each data set's
reports go into a sub-folder of DIR and ``DIR/index.html`` opens with the verdict across data
sets (``DIR/verdict.json``); a failing data set is marked failed and the others still count.
Exit status 0 when every report rendered, 1 when a notebook failed (the message names the
notebook, the cell and the error), 2 for bad parameters, data or arguments (found once, before
any notebook runs; nothing is rendered).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m clvlib", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    report = sub.add_parser(
        "report",
        help="execute the report notebooks and render them to HTML",
        description="Execute the report notebooks with papermill and render them to HTML.",
    )
    report.add_argument(
        "--params",
        required=True,
        action="append",
        help="parameters YAML file (e.g. params/default.yaml); repeat it for several data sets",
    )
    report.add_argument(
        "--out",
        default=None,
        help="output folder (default: the parameters' output_dir; required with several --params)",
    )
    report.add_argument(
        "--notebooks",
        nargs="+",
        default=None,
        metavar="NB",
        help="only these notebooks (stems such as 01_data_audit, or .ipynb paths)",
    )
    report.add_argument(
        "--timeout", type=float, default=600.0, help="seconds per notebook (default 600)"
    )
    report.add_argument(
        "--jobs", type=int, default=2, help="notebooks executed in parallel (default 2)"
    )
    report.add_argument(
        "--no-progress",
        action="store_true",
        help="show no progress (default: bars on a terminal, one line per notebook otherwise)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    from clvlib.report.params import ParamsError, load_params
    from clvlib.report.runner import InputError, ReportError, render_data_sets, render_reports

    started = time.monotonic()
    if len(args.params) > 1 and args.out is None:
        print(
            "error: --out is required with several --params (one folder for all)", file=sys.stderr
        )
        return 2
    try:
        params = [load_params(p) for p in args.params]
    except ParamsError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    options = {
        "notebooks": args.notebooks,
        "timeout": args.timeout,
        "jobs": args.jobs,
        "progress": not args.no_progress,
    }
    try:
        if len(params) == 1:
            index = render_reports(params[0], args.out, **options)
        else:
            index = render_data_sets(params, args.out, **options)
    except InputError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except ReportError as e:
        print(f"\nerror: {e}", file=sys.stderr)
        return 1
    print(f"reports written in {time.monotonic() - started:.1f} s: {index}")
    return 0
