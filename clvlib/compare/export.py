"""JSON-friendly exports: plain types, floats to 6 significant digits, deterministic bytes."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["jsonable", "nested", "records", "write_json"]

_SIGNIFICANT = 6  # significant digits of the floats in to_dict / to_json


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of ``frame`` as dictionaries (column: value), in order."""
    return [dict(zip(frame.columns, row, strict=True)) for row in frame.itertuples(index=False)]


def nested(frame: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """``{row: {column: value}}`` of a labelled table (crosstabs, migration matrices)."""
    return {str(r): {str(c): frame.loc[r, c] for c in frame.columns} for r in frame.index}


def jsonable(value: Any) -> Any:
    """Plain JSON types; floats to 6 significant digits, NaN and infinities to None."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        x = float(value)
        if not math.isfinite(x):
            return None
        return float(f"{x:.{_SIGNIFICANT}g}")
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if value is None or isinstance(value, str):
        return value
    return str(value)


def write_json(data: Any, path: str | os.PathLike | None = None) -> str:
    """``data`` as JSON (sorted keys, 2-space indent), written to ``path`` if given.

    Byte-identical for the same inputs. Returns the text.
    """
    text = json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    if path is not None:
        Path(path).write_text(text, encoding="utf-8", newline="\n")
    return text
