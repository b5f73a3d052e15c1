"""The split of time into a calibration and a holdout period: one frozen object, checked once.

Every method is fitted on the calibration period, whose last day is ``calibration_end``, and
judged on the holdout (calibration_end, holdout_end]. :class:`Split` holds both
ends and everything derived from them — the day after each (:func:`clvlib.data.dates.day_after`),
the day counts, the holdout length in the time unit — so that no stage recomputes them.
:func:`data_problems` is the minimum-data gate, asked once before any report.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from clvlib.data import log as _tx
from clvlib.data.dates import cutoff_day, day_after, not_after_log
from clvlib.data.summary import TIME_UNITS, active_periods, calibration_holdout
from clvlib.methods.k_choice import given_k

__all__ = [
    "MIN_CALIBRATION_DAYS",
    "MIN_CUSTOMERS",
    "MIN_HOLDOUT_DAYS",
    "MIN_REPEAT_BUYERS",
    "Split",
    "check_horizon",
    "data_problems",
    "holdout_end_after",
]

#: the minimum-data gate, checked once by :func:`data_problems`
MIN_CUSTOMERS = 100  # customers who bought in the calibration period
MIN_REPEAT_BUYERS = 20  # of them, customers who bought on two days or more
MIN_CALIBRATION_DAYS = 90  # first order to calibration_end: a few months for a retention rate
MIN_HOLDOUT_DAYS = 28  # calibration_end to holdout_end

#: units a holdout length (a horizon) can be given in
HORIZON_UNITS = ("D", "W", "M")


@dataclass(frozen=True)
class Split:
    """Calibration period up to ``calibration_end``, holdout (calibration_end, holdout_end].

    Both ends are days (the whole day included), read once by
    :func:`clvlib.data.dates.cutoff_day`.

    Parameters
    ----------
    calibration_end, holdout_end : str, date or pandas.Timestamp
        Last day of the calibration and of the holdout period.
    time_unit : {"D", "W", "M"}, default "D"
        Unit of the summary durations and of :attr:`horizon`.
    first_day : str, date or pandas.Timestamp, optional
        First purchase day of the calibration customers: where the calibration period
        starts. Needed for :attr:`calibration_days`; set by :meth:`starting` or
        :meth:`check`.

    Examples
    --------
    >>> split = Split(calibration_end="2024-06-30", holdout_end="2024-12-31")
    >>> split.holdout_days, split.horizon, split.holdout_after.date()
    (184, 184, datetime.date(2025, 1, 1))
    >>> split.starting("2024-01-01").calibration_days
    182
    >>> Split("2024-06-30", "2024-12-31", time_unit="M").horizon
    6
    """

    calibration_end: pd.Timestamp
    holdout_end: pd.Timestamp
    time_unit: str = "D"
    first_day: pd.Timestamp | None = None

    def __post_init__(self) -> None:
        cal = cutoff_day(self.calibration_end, "calibration_end")
        hold = cutoff_day(self.holdout_end, "holdout_end")
        if hold <= cal:  # the words of clvlib.data.summary.calibration_holdout
            raise ValueError(
                f"holdout_end ({hold.date()}) must be after calibration_end ({cal.date()})"
            )
        if self.time_unit not in TIME_UNITS:
            raise ValueError(
                f"time_unit must be one of {sorted(TIME_UNITS)}, got {self.time_unit!r}"
            )
        object.__setattr__(self, "calibration_end", cal)
        object.__setattr__(self, "holdout_end", hold)
        if self.first_day is not None:
            first = pd.Timestamp(self.first_day).normalize()
            if first > cal:
                raise ValueError(
                    f"calibration_end {cal.date()} is before the first purchase ({first.date()})"
                )
            object.__setattr__(self, "first_day", first)

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> Split:
        """The split of report parameters (``calibration_end``, ``holdout_end``, ``time_unit``)."""
        return cls(
            calibration_end=params["calibration_end"],
            holdout_end=params["holdout_end"],
            time_unit=params.get("time_unit", "D"),
        )

    @classmethod
    def from_horizon(
        cls, calibration_end: Any, horizon: int, horizon_unit: str = "D", *, time_unit: str = "D"
    ) -> Split:
        """The split whose holdout is ``horizon`` days, weeks or calendar months long.

        See :func:`holdout_end_after`.
        """
        cal = cutoff_day(calibration_end, "calibration_end")
        return cls(cal, holdout_end_after(cal, horizon, horizon_unit), time_unit=time_unit)

    def starting(self, first_day: Any) -> Split:
        """The same split with the calibration period starting on ``first_day``."""
        return dataclasses.replace(self, first_day=first_day)

    @property
    def calibration_after(self) -> pd.Timestamp:
        """The first instant of the holdout: midnight after ``calibration_end``."""
        return day_after(self.calibration_end)

    @property
    def holdout_after(self) -> pd.Timestamp:
        """The first instant after the holdout: midnight after ``holdout_end``."""
        return day_after(self.holdout_end)

    @property
    def holdout_days(self) -> int:
        """Days in the holdout (calibration_end, holdout_end]."""
        return int((self.holdout_end - self.calibration_end).days)

    @property
    def calibration_days(self) -> int:
        """Days from the first purchase day to ``calibration_end``, both included."""
        if self.first_day is None:
            raise ValueError("calibration_days needs the first purchase day: split.starting(day)")
        return int((self.calibration_end - self.first_day).days) + 1

    @property
    def horizon(self) -> int:
        """Holdout length in ``time_unit``: holdout_end's period minus calibration_end's.

        The periods of :func:`clvlib.data.summary.period_of` (Monday-to-Sunday weeks,
        calendar months), as lifetimes' ``duration_holdout``.
        """
        freq = {"D": "D", "W": "W-SUN", "M": "M", "Q": "Q", "Y": "Y"}[self.time_unit]
        return int((pd.Period(self.holdout_end, freq) - pd.Period(self.calibration_end, freq)).n)

    def inner(self) -> Split:
        """A split inside the calibration period: its last holdout length, at most half of it.

        What the methods that learn a next-period value (RFM cells, the hiatus) are fitted
        on, so that nothing after ``calibration_end`` reaches them.
        """
        days = max(1, min(self.holdout_days, self.calibration_days // 2))
        return Split(
            self.calibration_end - pd.Timedelta(days=days),
            self.calibration_end,
            time_unit=self.time_unit,
            first_day=self.first_day,
        )

    def last_days(self, days: int) -> pd.Timestamp:
        """The first instant of the last ``days`` days of calibration (its last day included)."""
        return self.calibration_after - pd.Timedelta(days=days)

    def check(self, first: Any, last: Any) -> Split:
        """Check the split against the log's span; return it starting on the first day.

        Parameters
        ----------
        first, last : timestamp
            First and last purchase of the log (:func:`clvlib.data.log.stats`).

        Raises
        ------
        ValueError
            When ``calibration_end`` is before the first purchase (no customer to score) or
            ``holdout_end`` after the last one (days without data would count as days
            without purchases).
        """
        first_day = pd.Timestamp(first).normalize()
        if first_day > self.calibration_end:
            raise ValueError(
                f"calibration_end {self.calibration_end.date()} is before the first purchase "
                f"in the log ({pd.Timestamp(first)}; purchases run to {pd.Timestamp(last)}): "
                "there is no customer to summarise"
            )
        not_after_log(self.holdout_end, last, "holdout_end")
        return self.starting(first_day)

    def calibration_holdout(
        self, tx: Any, *, customers: pd.DataFrame | None = None
    ) -> pd.DataFrame:
        """The customer summary at the cut-off with each customer's holdout, for this split.

        :func:`clvlib.data.summary.calibration_holdout` of ``tx`` (a DataFrame, the lazy log
        or a Parquet path) at :attr:`calibration_end` and :attr:`holdout_end`, in this
        split's time unit: one place that turns a split into that table.
        """
        return calibration_holdout(
            tx,
            calibration_end=self.calibration_end,
            holdout_end=self.holdout_end,
            time_unit=self.time_unit,
            customers=customers,
        )

    def describe(self) -> dict[str, Any]:
        """The split as JSON-friendly values (ISO dates, day counts)."""
        out = {
            "calibration_end": self.calibration_end.date().isoformat(),
            "holdout_end": self.holdout_end.date().isoformat(),
            "time_unit": self.time_unit,
            "holdout_length": self.horizon,
            "holdout_days": self.holdout_days,
        }
        if self.first_day is not None:
            out["calibration_days"] = self.calibration_days
        return out


def holdout_end_after(calibration_end: Any, horizon: int, horizon_unit: str = "D") -> pd.Timestamp:
    """Last day of a holdout of ``horizon`` days, weeks or calendar months after the cut-off.

    From a month end, months run to a month end (2024-06-30 + 6 months is 2024-12-31).

    Examples
    --------
    >>> holdout_end_after("2024-06-30", 6, "M").date()
    datetime.date(2024, 12, 31)
    >>> holdout_end_after("2024-06-15", 2, "W").date()
    datetime.date(2024, 6, 29)
    """
    horizon = check_horizon(horizon)
    cal = cutoff_day(calibration_end, "calibration_end")
    if horizon_unit == "D":
        return cal + pd.Timedelta(days=int(horizon))
    if horizon_unit == "W":
        return cal + pd.Timedelta(weeks=int(horizon))
    if horizon_unit == "M":  # calendar months; from a month end to a month end
        if cal.is_month_end:
            return cal + pd.offsets.MonthEnd(int(horizon))
        return cal + pd.DateOffset(months=int(horizon))
    raise ValueError(f"horizon_unit must be 'D', 'W' or 'M', got {horizon_unit!r}")


def check_horizon(horizon: Any) -> int:
    """``horizon`` as an int, or ValueError when it is not a positive integer."""
    if isinstance(horizon, bool) or not isinstance(horizon, int | np.integer) or horizon < 1:
        raise ValueError(f"horizon must be a positive integer, got {horizon!r}")
    return int(horizon)


def data_problems(tx: Any, split: Split, *, n_clusters: int | str | None = None) -> list[str]:
    """The minimum-data gate: what the log lacks for a comparison, in words.

    :data:`MIN_CUSTOMERS` customers who bought in the calibration period,
    :data:`MIN_REPEAT_BUYERS` of them on two days or more, :data:`MIN_CALIBRATION_DAYS` days
    of calibration (first purchase to ``calibration_end``), :data:`MIN_HOLDOUT_DAYS` days of
    holdout and at least as many customers as ``n_clusters`` (unless "auto").

    Parameters
    ----------
    tx : pandas.DataFrame or ibis.Table
        The clean log (a lazy log stays lazy: only purchase days per customer come back).
    split : Split

    Returns
    -------
    list of str
        One sentence per problem, ``"<what>: <found>, at least <needed> needed"``; empty when
        the data is enough.
    """
    bought = active_periods(tx, observation_end=split.calibration_end, period="D")
    per_customer = bought["customer_id"].value_counts()  # purchase days per customer
    split = split.starting(_tx.stats(tx)["first"])
    found = {
        "customers who bought in the calibration period": (len(per_customer), MIN_CUSTOMERS),
        "of them, repeat buyers (two purchase days or more)": (
            int((per_customer >= 2).sum()),
            MIN_REPEAT_BUYERS,
        ),
        "calibration days (first order to calibration_end)": (
            split.calibration_days,
            MIN_CALIBRATION_DAYS,
        ),
        "holdout days (calibration_end to holdout_end)": (split.holdout_days, MIN_HOLDOUT_DAYS),
    }
    if n_clusters is not None and (k := given_k(n_clusters)) is not None:  # auto fits the data
        found["customers for n_clusters"] = (len(per_customer), k)
    return [
        f"{what}: {n:,}, at least {need:,} needed" for what, (n, need) in found.items() if n < need
    ]
