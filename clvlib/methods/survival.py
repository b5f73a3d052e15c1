"""Retention and survival rates from the clean log: how long customers stay.

:func:`estimate_retention` describes period-to-period activity; :func:`estimate_survival`
gives the survival rate per period that :class:`~clvlib.methods.heuristic.HeuristicCLV`
forecasts with (a customer lapses after L periods without a purchase, L from the
Kaplan-Meier distribution of the repeat gaps).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from clvlib.data import log as _tx
from clvlib.data.checks import rows_at_fault
from clvlib.data.dates import cutoff_day
from clvlib.data.summary import active_periods
from clvlib.methods._frames import _require_columns, _unit_days

# --------------------------------------------------------------------------- retention


class RetentionEstimate(NamedTuple):
    """Pooled retention rate and the per-period table it comes from.

    ``table`` is indexed by ``period`` (a pandas Period, period t) with columns ``active``
    (customers with a purchase in t), ``retained`` (those of them with a purchase in t+1) and
    ``retention_rate`` (retained / active; NaN when nobody was active).
    """

    rate: float
    table: pd.DataFrame


def estimate_retention(
    tx: pd.DataFrame, *, observation_end: str | pd.Timestamp, period: str = "M"
) -> RetentionEstimate:
    """Retention rate r: share of the customers active in period t who are active again in t+1.

    A customer is *active* in a period when they have at least one purchase line (a row with
    ``is_return`` False) in it; returns never count as activity. Only lines up to
    ``observation_end`` (whole day included) are used.

    How the periods are pooled: the rate is ``sum_t retained_t / sum_t active_t`` over every
    pair of consecutive complete periods (t, t+1) from the first period with a purchase to the
    last complete period — i.e. the per-period rates averaged with the number of active
    customers as weights. The period containing ``observation_end`` counts only when
    ``observation_end`` is its last day; otherwise it is incomplete and left out (its
    customers have not had the whole period to come back). The first period of the log is
    used as it is, even if the log starts mid-period.

    Under this definition a customer who skips a period and comes back later counts as not
    retained for that pair, so r is a period-to-period repeat rate: it is low for shops whose
    customers buy every few periods, and it depends on the period length. It is shown as a
    description of activity; :class:`HeuristicCLV` forecasts with :func:`estimate_survival`
    instead, because this rate paired with a value per calendar period double-counts idle
    periods.

    Parameters
    ----------
    tx : pandas.DataFrame or ibis.Table
        Clean transaction log with ``customer_id``, ``timestamp`` and ``is_return``.
    observation_end : str or pandas.Timestamp
        Cut-off date; later lines are ignored.
    period : {"D", "W", "M", "Q", "Y"}, default "M"
        Period length (calendar periods; weeks end on Sunday).

    Returns
    -------
    RetentionEstimate
        ``(rate, table)``, see :class:`RetentionEstimate`.

    Examples
    --------
    >>> tx = pd.DataFrame({
    ...     "customer_id": [1, 1, 1, 1, 2, 2, 2, 3, 3, 4],
    ...     "order_id": [10, 11, 12, 13, 20, 21, 22, 30, 31, 40],
    ...     "timestamp": pd.to_datetime(["2024-01-05", "2024-02-03", "2024-03-10", "2024-05-12",
    ...                                  "2024-01-20", "2024-03-02", "2024-06-02", "2024-01-14",
    ...                                  "2024-01-20", "2024-02-10"]),
    ...     "amount": [30.0, 20.0, 25.0, 35.0, 50.0, 45.0, 40.0, 15.0, -15.0, 60.0],
    ...     "is_return": [False] * 8 + [True, False]})
    >>> retention = estimate_retention(tx, observation_end="2024-06-30")
    >>> retention.rate
    0.25
    >>> retention.table
             active  retained  retention_rate
    period
    2024-01       3         1        0.333333
    2024-02       2         1        0.500000
    2024-03       2         0        0.000000
    2024-04       0         0             NaN
    2024-05       1         0        0.000000
    """
    active, last = _active_periods(tx, observation_end, period)
    end = pd.Timestamp(observation_end)
    # a purchase in period p means "retained" for the pair (p - 1, p)
    came_back = active.assign(period=active["period"] - 1)
    retained = active.merge(came_back, on=["customer_id", "period"])
    periods = pd.period_range(active["period"].min(), last - 1, freq=last.freq, name="period")
    table = pd.DataFrame(
        {
            "active": active.groupby("period").size().reindex(periods, fill_value=0),
            "retained": retained.groupby("period").size().reindex(periods, fill_value=0),
        }
    )
    table["retention_rate"] = table["retained"] / table["active"].where(table["active"] > 0)
    rate = float(table["retained"].sum() / table["active"].sum())
    table.attrs.update(period=period, observation_end=end, rate=rate)
    return RetentionEstimate(rate=rate, table=table)


class SurvivalEstimate(NamedTuple):
    """Survival rate per period and the lapse rule it comes from (see :func:`estimate_survival`).

    ``table`` is indexed by ``gap`` (1 .. the longest observed gap between consecutive purchase
    periods, in periods) with ``customer_periods`` (returns after exactly that gap),
    ``at_risk`` (spells that lasted at least that long, open ones included) and
    ``share_returned`` (Kaplan-Meier share of the returns that came within ``gap`` periods;
    L is the first gap where it reaches the quantile).
    """

    rate: float
    lapse_periods: int
    alive_periods: int
    lapses: int
    table: pd.DataFrame


def _active_periods(
    tx: pd.DataFrame, observation_end: str | pd.Timestamp, period: str
) -> tuple[pd.DataFrame, pd.Period]:
    """(customer_id, period) pairs with a purchase, up to the last complete period."""
    _unit_days(period, "period")
    _tx.check(tx)
    _require_columns(tx, ["customer_id", "timestamp", "is_return"], "tx")
    for column in ("customer_id", "timestamp", "is_return"):
        if isinstance(tx, pd.DataFrame):
            missing = tx[column].isna()
            if missing.any():
                raise ValueError(
                    f"tx column {column!r} is missing in {rows_at_fault(missing, what='index')}"
                )
        elif n := int(tx[column].isnull().sum().execute()):  # a lazy log: count them there
            raise ValueError(f"tx column {column!r} is missing in {n:,} line(s)")
    end = cutoff_day(observation_end, "observation_end")
    active = active_periods(tx, observation_end=end, period=period)  # reduced by the engine
    end_period = pd.Period(end, period)
    last = end_period if end_period.end_time.normalize() == end.normalize() else end_period - 1
    active = active[active["period"] <= last]
    if active.empty or active["period"].min() >= last:
        raise ValueError(
            f"retention needs purchases in at least two complete periods ({period!r}) up to "
            f"{end.date()}; last complete period is {last}"
        )
    return active, last


def _return_gaps(gap: pd.Series, room: pd.Series) -> pd.DataFrame:
    """Kaplan-Meier distribution of the repeat gap, open spells censored (see estimate_survival).

    ``gap`` is the periods to the next purchase period (NaN for a customer's last one), ``room``
    the periods observable after it. One row per gap 1 .. longest observed gap.
    """
    returned = gap.notna().to_numpy()
    duration = np.where(returned, gap.fillna(0), room).astype("int64")
    longest = int(duration[returned].max())
    returns = np.bincount(duration[returned], minlength=longest + 1)[1 : longest + 1]
    spells = np.bincount(duration, minlength=longest + 1)
    at_risk = spells[::-1].cumsum()[::-1][1 : longest + 1]  # spells lasting >= g periods
    not_back = np.cumprod(1 - returns / np.maximum(at_risk, 1))
    back = 1 - not_back
    table = pd.DataFrame(
        {"customer_periods": returns, "at_risk": at_risk, "share_returned": back / back[-1]},
        index=pd.RangeIndex(1, longest + 1, name="gap"),
    )
    return table


def estimate_survival(
    tx: pd.DataFrame,
    *,
    observation_end: str | pd.Timestamp,
    period: str = "M",
    gap_quantile: float = 0.85,
) -> SurvivalEstimate:
    """Survival rate s per period: the chance that a customer is still a customer a period later.

    "Still a customer" means "has not lapsed", and a customer *lapses* after ``L`` periods
    without a purchase, ``L`` being the ``gap_quantile`` quantile of the gaps between
    consecutive purchase periods: with 0.85, 85 % of the customers who came back did so
    within L periods. The gaps are *censored*: the spell after a customer's last purchase is
    still open, and a short log cannot show a gap longer than itself, so the plain quantile of
    the completed gaps is biased towards short gaps (UCI's seven months gave L = 3). The
    distribution is therefore the Kaplan-Meier estimate with the open spells censored (a gap
    of g periods is weighed against the spells that lasted at least g), taken relative to
    its value at the longest observed gap (the share of the returns within g); without open
    spells it is the plain empirical distribution. Every purchase opens a spell: a next purchase
    within L periods keeps the customer alive for the whole gap; a longer gap, or no next
    purchase while L periods were observable, is one lapse after L alive periods; a spell
    still open at the end (fewer than L periods observed) counts its alive periods without a
    lapse. The rate is ``1 - lapses / alive periods`` (a constant hazard, so the expected
    lifetime is ``1 / (1 - s)`` periods).

    Why not the period-to-period repeat rate of :func:`estimate_retention`: a customer who
    skips a month is not lost, and a value per *calendar* period (total value / tenure)
    already counts that idle month. Pairing the two counts every skipped period as churn a
    second time (-87 % to -89 % of realised holdout value on three logs).

    Parameters
    ----------
    tx : pandas.DataFrame or ibis.Table
        Clean transaction log with ``customer_id``, ``timestamp`` and ``is_return``;
        returns never count as a purchase.
    observation_end : str or pandas.Timestamp
        Cut-off date; later lines are ignored, and only complete periods are used.
    period : {"D", "W", "M", "Q", "Y"}, default "M"
        Period length (calendar periods).
    gap_quantile : float, default 0.85
        Quantile of the repeat gaps (Kaplan-Meier, see above) that defines the lapse
        threshold L.

    Returns
    -------
    SurvivalEstimate
        ``(rate, lapse_periods, alive_periods, lapses, table)``.

    Examples
    --------
    >>> tx = pd.DataFrame({
    ...     "customer_id": [1, 1, 1, 1, 2, 2, 2, 3, 3, 4],
    ...     "order_id": [10, 11, 12, 13, 20, 21, 22, 30, 31, 40],
    ...     "timestamp": pd.to_datetime(["2024-01-05", "2024-02-03", "2024-03-10", "2024-05-12",
    ...                                  "2024-01-20", "2024-03-02", "2024-06-02", "2024-01-14",
    ...                                  "2024-01-20", "2024-02-10"]),
    ...     "amount": [30.0, 20.0, 25.0, 35.0, 50.0, 45.0, 40.0, 15.0, -15.0, 60.0],
    ...     "is_return": [False] * 8 + [True, False]})
    >>> survival = estimate_survival(tx, observation_end="2024-06-30")
    >>> survival.rate, survival.lapse_periods, survival.alive_periods, survival.lapses
    (0.875, 3, 16, 2)
    """
    if not 0 < gap_quantile < 1:
        raise ValueError(f"gap_quantile must lie in (0, 1); got {gap_quantile}")
    active, last = _active_periods(tx, observation_end, period)
    ordinal = pd.PeriodIndex(active["period"]).asi8  # period ordinals, no per-row Python
    frame = pd.DataFrame({"customer_id": active["customer_id"].to_numpy(), "p": ordinal})
    frame = frame.sort_values(["customer_id", "p"], kind="stable")
    gap = frame.groupby("customer_id", sort=False)["p"].shift(-1) - frame["p"]
    room = last.ordinal - frame["p"]  # periods observable after each purchase period
    if gap.isna().all():
        raise ValueError(
            f"survival needs customers with purchases in two periods ({period!r}) up to "
            f"{pd.Timestamp(observation_end).date()}; no customer came back"
        )
    table = _return_gaps(gap, room)
    lapse = int(table.index[np.argmax(table["share_returned"].to_numpy() >= gap_quantile - 1e-12)])
    lapsed = (gap > lapse) | (gap.isna() & (room >= lapse))
    alive = np.where(gap <= lapse, gap, np.where(lapsed, lapse, room))
    alive_periods, lapses = int(alive.sum()), int(lapsed.sum())
    rate = 1 - lapses / alive_periods if alive_periods > 0 else 0.0
    table.attrs.update(
        period=period, observation_end=pd.Timestamp(observation_end), quantile=gap_quantile
    )
    return SurvivalEstimate(
        rate=float(rate),
        lapse_periods=lapse,
        alive_periods=alive_periods,
        lapses=lapses,
        table=table,
    )
