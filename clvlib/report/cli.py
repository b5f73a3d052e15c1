"""Command line: ``python -m clvlib report --params params/default.yaml --out reports``.

With several ``--params`` files (``--params A.yaml --params B.yaml --out DIR``) each data set's
reports go into a sub-folder of DIR and ``DIR/index.html`` opens with the verdict across data
sets (``DIR/verdict.json``; skipped, saying why, when ``--notebooks`` leave out the method
comparison); a failing data set is marked failed and the others still count.
Exit status 0 when every report rendered, 1 when a notebook or some data set failed (the
message names the notebook, the cell and the error), 2 for bad parameters, data or arguments
(found once, before any notebook runs; one message, no traceback; nothing is rendered; with
several data sets, when every one is refused), 130 on Ctrl-C (the kernels are stopped and the
previous report stays as it was). An unexpected error (a bug) shows its traceback and exits 1.

The reports are rendered beside ``--out`` and put in place when the run ends; ``--out`` must be
new, empty or a previous run's folder (``--force`` writes beside files no run wrote, never over
them).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

#: what ``--help`` says before the commands: plain text, as a terminal shows it
DESCRIPTION = """\
Customer lifetime value, RFM segments and k-means clusters from a shop's order log,
compared on a holdout period: render the reports."""
EPILOG = """examples:
  python -m clvlib report --params params/default.yaml --out reports
  python -m clvlib report --params params/default.yaml --params params/online_retail.yaml \\
      --out reports/verdict

With several --params files each data set's reports go into a sub-folder of --out, and
--out/index.html opens with the verdict across the data sets.

exit status: 0 every report rendered; 1 a notebook failed (the message names the notebook,
the cell and the error); 2 bad parameters, data or arguments (nothing is rendered); 130
interrupted (the previous report stays as it was)."""


def _parser() -> argparse.ArgumentParser:
    from clvlib._version import __version__

    parser = argparse.ArgumentParser(
        prog="python -m clvlib",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--version", action="version", version=f"clvlib {__version__}", help="show the version"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")
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
        "--force",
        action="store_true",
        help="write into an --out folder that holds files no clvlib run wrote (beside them, "
        "never over them)",
    )
    report.add_argument(
        "--fresh",
        action="store_true",
        help="execute every notebook (default: a page whose notebook, data, parameters read "
        "and clvlib are unchanged since the last run into --out is reused)",
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
    from clvlib.report.errors import InputError, ReportError

    if threading.current_thread() is threading.main_thread():
        # Ctrl-C stops the run even where the shell started it with SIGINT ignored (`cmd &`)
        signal.signal(signal.SIGINT, signal.default_int_handler)

    started = time.monotonic()
    if len(args.params) > 1 and args.out is None:
        return _fail("--out is required with several --params (one folder for all)")
    try:
        index = _report(args)
    except (*_user_errors(), InputError) as e:  # bad parameters, data or arguments
        return _fail(str(e))
    except ReportError as e:
        print(f"\nerror: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        where = f" in {args.out}" if args.out else ""
        print(
            f"\ninterrupted: the kernels were stopped; the previous report{where} is as it was",
            file=sys.stderr,
        )
        return 130
    print(f"reports written in {time.monotonic() - started:.1f} s: {index}")
    return 0


def _report(args: argparse.Namespace) -> Path:
    from clvlib.report.runner import render_data_sets, render_reports

    params = [_load(p) for p in args.params]
    options = {
        "notebooks": args.notebooks,
        "timeout": args.timeout,
        "jobs": args.jobs,
        "progress": not args.no_progress,
        "force": args.force,
        "fresh": args.fresh,
    }
    if len(params) == 1:
        return render_reports(params[0], args.out, **options)
    return render_data_sets(params, args.out, **options)


def _load(path: str) -> Any:
    """The parameters in ``path``; a file that is not UTF-8 text is named, with the fix."""
    from clvlib.report.params import ParamsError, load_params

    if Path(path).is_dir():
        raise ParamsError(f"{path} is a folder, not a parameters file")
    try:
        return load_params(path)
    except UnicodeDecodeError as e:
        raise ParamsError(
            f"{path} is not UTF-8 text (byte 0x{e.object[e.start]:02x} at offset {e.start}): "
            "save the parameters file as UTF-8"
        ) from None
    except OSError as e:  # a folder, no permission: the file named with the reason
        raise ParamsError(f"cannot read the parameters file {path}: {e.strerror}") from None


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def _user_errors() -> tuple[type[Exception], ...]:
    """The errors of bad parameters and data: the command line prints their message alone."""
    from clvlib.data.reading import SchemaError
    from clvlib.methods.rules import RuleSetError
    from clvlib.report.params import ParamsError

    return (ParamsError, SchemaError, RuleSetError)
