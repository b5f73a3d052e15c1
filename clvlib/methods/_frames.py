"""Helpers shared by the heuristic methods: units, column checks, alignment on customers.

Private to :mod:`clvlib.methods`; nothing here decides a number.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from clvlib.data.checks import rows_at_fault, same_customers

# Length of one period / time unit in days. Months, quarters and years are calendar periods
# of varying length; their mean length is used to convert between units.
_UNIT_DAYS: dict[str, float] = {
    "D": 1.0,
    "W": 7.0,
    "M": 365.25 / 12,
    "Q": 365.25 / 4,
    "Y": 365.25,
}


def _require_columns(frame: pd.DataFrame, columns: list[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise KeyError(f"{what} has no column {missing}; it has {list(frame.columns)}")


def _unit_days(unit: str, what: str) -> float:
    if unit not in _UNIT_DAYS:
        raise ValueError(f"{what} must be one of {list(_UNIT_DAYS)}; got {unit!r}")
    return _UNIT_DAYS[unit]


def _as_float(x: Any) -> pd.Series | np.ndarray:
    """Series stay Series (index kept, aligned by pandas); anything else becomes an array."""
    if isinstance(x, pd.Series):
        out = x.astype("float64")
    else:
        out = np.asarray(x, dtype="float64")
    return out


def _check_range(name: str, x: pd.Series | np.ndarray, low: float, high: float, hint: str = ""):
    bad = (x < low) | (x > high)
    if np.any(bad):
        where = f"got {x:g}" if np.ndim(x) == 0 else f"out of range in {rows_at_fault(bad)}"
        raise ValueError(f"{name} must lie in [{low}, {high}]{hint}; {where}")


def _finish(result: pd.Series | np.ndarray, name: str) -> float | np.ndarray | pd.Series:
    if isinstance(result, pd.Series):
        return result.rename(name)
    if result.ndim == 0:
        return float(result)
    return result


def _align(summary: pd.DataFrame, series: pd.Series, what: str) -> pd.Series:
    """Reindex ``series`` on the summary's customers; both must hold the same customers."""
    if not isinstance(series, pd.Series):
        raise TypeError(f"{what} must be a pandas Series indexed by customer_id")
    return same_customers(("summary", what), summary, series)


def _group_keys(summary: pd.DataFrame, by: str | pd.Series) -> pd.Series:
    """Group labels per customer; missing labels become the group "(missing)", never dropped."""
    if isinstance(by, str):
        _require_columns(summary, [by], "summary")
        keys = summary[by]
    else:
        keys = _align(summary, by, "by")
    if keys.isna().any():
        if isinstance(keys.dtype, pd.CategoricalDtype):
            keys = keys.cat.add_categories("(missing)")
        else:
            keys = keys.astype("object")
        keys = keys.fillna("(missing)")
    return keys.rename(by if isinstance(by, str) else (by.name or "group"))
