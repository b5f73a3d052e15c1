"""Cut-off dates: the one reading of ``observation_end``, ``calibration_end`` and ``holdout_end``.

A cut-off names a *day*, and the whole day is included: a purchase at 23:59 on
``observation_end`` is observed, one at 00:00 the next day is not. Every module that cuts a log
at a date asks :func:`cutoff_day` for the day and :func:`day_after` for the first instant left
out, so that the rule is written once.

Only unambiguous spellings are accepted: ``date``/``datetime``/``Timestamp`` objects and ISO
8601 text (``"2024-12-01"``, optionally with a time). ``"01/12/2024"`` is 1 December in Europe
and 12 January in the US, so it is refused with both readings spelled out.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["cutoff_day", "day_after", "not_after_log", "through"]

_ISO = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_SLASHED = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})")


def cutoff_day(value: Any, name: str) -> pd.Timestamp:
    """The day of a cut-off parameter, as a naive midnight Timestamp.

    Parameters
    ----------
    value : str, datetime.date, datetime.datetime, numpy.datetime64 or pandas.Timestamp
        ISO 8601 text (``"2024-12-01"`` or ``"2024-12-01 18:00"``) or a date object; a time of
        day is ignored (the whole day is included).
    name : str
        The argument, named in the error.

    Returns
    -------
    pandas.Timestamp
        Midnight of the day, time-zone naive like the clean log's timestamps.

    Raises
    ------
    ValueError
        Naming the argument when the value is missing, not a date, ambiguous (``"01/12/2024"``)
        or time-zone aware.
    """
    if value is None:
        raise ValueError(f"{name} is missing (got None): give the day as ISO 'YYYY-MM-DD'")
    if isinstance(value, str):
        text = value.strip()
        slashed = _SLASHED.fullmatch(text)
        if slashed:
            a, b, year = slashed.groups()
            raise ValueError(
                f"{name}={value!r} is ambiguous (day-first {year}-{int(b):02d}-{int(a):02d}, "
                f"month-first {year}-{int(a):02d}-{int(b):02d}); write it as ISO 'YYYY-MM-DD'"
            )
        if not _ISO.fullmatch(text):
            raise ValueError(
                f"{name}={value!r} is not a date; write it as ISO 'YYYY-MM-DD' "
                "(e.g. '2011-12-09') or pass a datetime.date / pandas.Timestamp"
            )
        try:
            stamp = pd.Timestamp(text)
        except ValueError as err:
            raise ValueError(f"{name}={value!r} is not a valid date ({err})") from None
    elif isinstance(value, pd.Timestamp | dt.date | np.datetime64):
        stamp = pd.Timestamp(value)
    else:
        raise ValueError(
            f"{name} must be an ISO date 'YYYY-MM-DD', a datetime.date or a pandas.Timestamp, "
            f"got {type(value).__name__} {value!r}"
        )
    if pd.isna(stamp):
        raise ValueError(f"{name} is missing (got {value!r})")
    if stamp.tz is not None:
        raise ValueError(f"{name} must be time-zone naive like the log's timestamps, got {stamp}")
    return stamp.normalize()


def day_after(day: pd.Timestamp) -> pd.Timestamp:
    """The first instant *not* included by the cut-off ``day``: midnight of the next day."""
    return pd.Timestamp(day).normalize() + pd.Timedelta(days=1)


def through(timestamps: pd.Series, day: pd.Timestamp) -> pd.Series:
    """True where a timestamp falls on or before the cut-off ``day`` (its whole day included)."""
    return timestamps < day_after(day)


def not_after_log(day: pd.Timestamp, last: Any, name: str) -> None:
    """Raise ValueError naming ``name`` when the cut-off ``day`` is after the log's last day.

    A holdout that runs past the data would count days without data as days without
    purchases, and every forecast of it would look too high.
    """
    if last is not None and not pd.isna(last) and day > pd.Timestamp(last).normalize():
        last_day = pd.Timestamp(last).date()
        raise ValueError(
            f"{name} {day.date()} is after the last purchase in the log ({last_day}): the days "
            f"after it have no data, not no purchases; set {name} to at most {last_day}"
        )
