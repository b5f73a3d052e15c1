"""Where the report notebooks write: exports and headline figures of one run.

``export_path`` gives the place of an export (segment list, metrics JSON) in
``<output_dir>/exports/`` (under ``scratch/`` for a notebook run by hand), ``save_headline``
writes a notebook's headline figures for ``index.html``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from clvlib.report.ledger import record
from clvlib.report.provenance import Facts

#: set by the report runner in its kernels (clvlib.report.runner.RUNNER_ENV): not a run by hand
RUNNER_ENV = "CLVLIB_REPORT_RUNNER"


def export_path(params: Mapping[str, Any], *, filename: str) -> Path:
    """Path of an export (segment list, metrics JSON) in ``<output_dir>/exports/``.

    A notebook run by hand (not by the report runner) with the default ``output_dir`` writes
    to ``<output_dir>/scratch/exports/`` instead, so that it never overwrites the exports
    and headline figures behind a rendered ``index.html``. Set ``output_dir`` to write
    elsewhere.
    """
    folder = Path(params["output_dir"])
    if not os.environ.get(RUNNER_ENV) and folder.resolve() == _default_output_dir():
        folder = folder / "scratch"
    folder = folder / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    record(f"file:exports/{filename}")  # a page reused by the next run brings its exports
    return folder / filename


def _default_output_dir() -> Path:
    """The schema's default ``output_dir``, resolved as a notebook resolves it (its folder)."""
    from clvlib.report.params import PARAMS

    return (Path.cwd() / PARAMS["output_dir"].default).resolve()


def save_headline(params: Mapping[str, Any], *, notebook: str, figures: Mapping[str, Any]) -> Facts:
    """Write a notebook's headline figures for ``index.html`` and return them as a table.

    ``figures`` maps a label a stakeholder reads ("customers", "top 20 % share of value") to
    a number or a short text; it is written as ``exports/headline_<notebook>.json``.
    """
    clean = {str(k): _plain(v) for k, v in figures.items()}
    path = export_path(params, filename=f"headline_{notebook}.json")
    path.write_text(json.dumps({"notebook": notebook, "figures": clean}, indent=2) + "\n")
    return Facts(clean, label="figure")


def _plain(value: Any) -> Any:
    """A JSON-ready scalar (numpy and pandas scalars become Python ones)."""
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise TypeError(f"headline figure {value!r} is not a number or a text")
