"""Heuristic customer lifetime value (CLV) and the 20 / 60 / 20 value tiers.

Everything here follows ``domain.md`` §4 (heuristic CLV) and §5 (value tiers):

- the simple formula and its economic variant, :func:`clv_simple` and
  :func:`clv_simple_cac_after_margin`, with :func:`clv_sensitivity` for the four levers;
- historic CLV (value to date), :func:`historic_clv`;
- predictive heuristic CLV from a retention rate: :func:`estimate_retention`,
  :func:`clv_discounted` and the estimator :class:`HeuristicCLV` (fit on a calibration log,
  predict on a customer summary);
- CLV per segment or channel, :func:`clv_by_group`;
- value tiers and the concentration behind them: :func:`value_tiers`, :func:`tier_table`,
  :func:`lorenz_curve`.

Inputs are the customer summary of ``clvlib.summary.customer_summary`` (columns read by name,
never recomputed) and, for retention, the clean transaction log ``tx``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from clvlib._checks import rows_at_fault, same_customers
from clvlib._dates import cutoff_day, through

# Length of one period / time unit in days. Months, quarters and years are calendar periods
# of varying length; their mean length is used to convert between units.
_UNIT_DAYS: dict[str, float] = {
    "D": 1.0,
    "W": 7.0,
    "M": 365.25 / 12,
    "Q": 365.25 / 4,
    "Y": 365.25,
}

_LEVERS = ("aov", "purchases", "cac", "margin")


# --------------------------------------------------------------------------- helpers


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


def _simple_levers(aov, purchases, cac, margin) -> tuple:
    aov, purchases = _as_float(aov), _as_float(purchases)
    cac, margin = _as_float(cac), _as_float(margin)
    _check_range("purchases", purchases, 0, np.inf)
    _check_range("cac", cac, 0, np.inf)
    _check_range("margin", margin, 0, 1, " (a fraction: 20 % is 0.2)")
    return aov, purchases, cac, margin


def _value_basis(summary: pd.DataFrame) -> tuple[str, str]:
    """The one rule for "value": gross profit where costs are known, else net revenue.

    Returns the summary column and the basis label ("profit" or "revenue").
    """
    if "gross_profit" in summary.columns:
        return "gross_profit", "profit"
    _require_columns(summary, ["total_value"], "summary")
    return "total_value", "revenue"


def _customer_values(
    summary: pd.DataFrame, value: str | pd.Series | None, what: str
) -> tuple[pd.Series, str]:
    """Value per customer aligned on ``summary.index``: a column, a Series or the default."""
    if value is None:
        column, basis = _value_basis(summary)
        values, label = summary[column], f"{column} ({basis})"
    elif isinstance(value, str):
        _require_columns(summary, [value], "summary")
        values, label = summary[value], value
    else:
        values, label = _align(summary, value, what), value.name or what
    values = values.astype("float64")
    if values.isna().any():
        raise ValueError(f"{label} is missing in {rows_at_fault(values.isna())}")
    return values, str(label)


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


# --------------------------------------------------------------------------- simple CLV


def clv_simple(aov, purchases, cac, margin):
    """Simple CLV as domain.md states it: ``[(AOV x purchases) - CAC] x margin``.

    This is the textbook formula the analysts know; it applies the margin to the CAC as well,
    i.e. it treats the acquisition cost as if it were revenue forgone. Its economic sibling,
    :func:`clv_simple_cac_after_margin`, subtracts the CAC from the margin instead; reports
    show both so that nobody mistakes one for the other.

    Parameters
    ----------
    aov : float, array-like or pandas.Series
        Average order value, in currency.
    purchases : float, array-like or pandas.Series
        Number of purchases over the customer's lifetime (>= 0).
    cac : float, array-like or pandas.Series
        Customer acquisition cost, in currency (>= 0).
    margin : float, array-like or pandas.Series
        Gross margin as a fraction in [0, 1] (20 % is 0.2).

    Returns
    -------
    float, numpy.ndarray or pandas.Series
        CLV in currency; a float for scalar inputs, a Series (named ``clv_simple``) when any
        input is a Series, an array otherwise. Inputs broadcast as numpy / pandas do.

    Notes
    -----
    CLV rises with AOV and purchases and falls with CAC. It rises with the margin only while
    AOV x purchases >= CAC: when the CAC exceeds the gross value, the margin scales a loss.

    Examples
    --------
    >>> round(clv_simple(90, 3, 6, 0.2), 2)
    52.8
    """
    aov, purchases, cac, margin = _simple_levers(aov, purchases, cac, margin)
    return _finish((aov * purchases - cac) * margin, "clv_simple")


def clv_simple_cac_after_margin(aov, purchases, cac, margin):
    """Simple CLV with the CAC subtracted after the margin: ``AOV x purchases x margin - CAC``.

    The economically usual form: the acquisition cost is paid in full, out of the margin the
    customer brings. Same parameters and return types as :func:`clv_simple`; the result is
    lower than the textbook formula by ``CAC x (1 - margin)``.

    Examples
    --------
    >>> round(clv_simple_cac_after_margin(90, 3, 6, 0.2), 2)
    48.0
    """
    aov, purchases, cac, margin = _simple_levers(aov, purchases, cac, margin)
    return _finish(aov * purchases * margin - cac, "clv_simple_cac_after_margin")


_FORMULAS = {"simple": clv_simple, "cac_after_margin": clv_simple_cac_after_margin}


def clv_sensitivity(
    aov: float,
    purchases: float,
    cac: float,
    margin: float,
    *,
    change: float = 0.10,
    formula: str = "simple",
) -> pd.DataFrame:
    """What a relative change of each lever does to the simple CLV (one lever at a time).

    Parameters
    ----------
    aov, purchases, cac, margin : float
        The four levers, as in :func:`clv_simple`.
    change : float, default 0.10
        Relative change applied to each lever, down and up (0.10 is ±10 %).
    formula : {"simple", "cac_after_margin"}
        :func:`clv_simple` or :func:`clv_simple_cac_after_margin`.

    Returns
    -------
    pandas.DataFrame
        One row per lever and direction (8 rows): ``lever``, ``change`` (relative, e.g.
        -0.1), ``lever_value`` (the changed lever), ``base_clv``, ``clv``, ``delta``
        (clv - base_clv, currency) and ``delta_pct`` (delta / |base_clv|; NaN when the base
        CLV is 0). ``attrs`` holds the formula, the base levers and the change.
    """
    if formula not in _FORMULAS:
        raise ValueError(f"formula must be one of {list(_FORMULAS)}; got {formula!r}")
    if not 0 < change < 1:
        raise ValueError(f"change must be a fraction in (0, 1) (10 % is 0.1); got {change}")
    base = dict(aov=aov, purchases=purchases, cac=cac, margin=margin)
    if margin * (1 + change) > 1:
        raise ValueError(
            f"margin {margin} raised by {change:.0%} exceeds 1; use a smaller change or margin"
        )
    fn = _FORMULAS[formula]
    base_clv = fn(**base)
    rows = []
    for lever in _LEVERS:
        for sign in (-1, 1):
            levers = dict(base, **{lever: base[lever] * (1 + sign * change)})
            clv = fn(**levers)
            rows.append((lever, sign * change, levers[lever], base_clv, clv))
    table = pd.DataFrame(rows, columns=["lever", "change", "lever_value", "base_clv", "clv"])
    table["delta"] = table["clv"] - table["base_clv"]
    table["delta_pct"] = table["delta"] / abs(base_clv) if base_clv != 0 else np.nan
    table.attrs.update(formula=formula, change=change, base=base)
    return table


# --------------------------------------------------------------------------- historic CLV


def historic_clv(summary: pd.DataFrame, *, subtract_cac: bool = False) -> pd.Series:
    """Historic CLV: the value each customer has brought to date.

    Value is ``gross_profit`` where the summary has it (costs known), else ``total_value``
    (net revenue: purchases minus returns). Both are net of returns, so a customer who
    returned more than they kept has a negative historic CLV.

    Parameters
    ----------
    summary : pandas.DataFrame
        Customer summary indexed by ``customer_id``.
    subtract_cac : bool, default False
        Subtract the summary's ``cac`` column (acquisition cost) from the value.

    Returns
    -------
    pandas.Series
        Named ``historic_clv``, indexed by ``customer_id``; ``attrs["basis"]`` is "profit" or
        "revenue", ``attrs["column"]`` the summary column used and ``attrs["cac"]`` whether
        the CAC was subtracted.
    """
    column, basis = _value_basis(summary)
    values, _ = _customer_values(summary, None, "value")
    if subtract_cac:
        _require_columns(summary, ["cac"], "summary")
        cac = summary["cac"].astype("float64")
        if cac.isna().any():
            raise ValueError(f"cac is missing in {rows_at_fault(cac.isna())}")
        values = values - cac
    out = values.rename("historic_clv")
    out.attrs.update(basis=basis, column=column, cac=subtract_cac)
    return out


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
    customers buy every few periods, and it depends on the period length.

    Parameters
    ----------
    tx : pandas.DataFrame
        Clean transaction log with ``customer_id``, ``timestamp`` and ``is_return``.
    observation_end : str or pandas.Timestamp
        Cut-off date; later lines are ignored.
    period : {"D", "W", "M", "Q", "Y"}, default "M"
        Period length (calendar periods; weeks end on Sunday).

    Returns
    -------
    RetentionEstimate
        ``(rate, table)``, see :class:`RetentionEstimate`.
    """
    _unit_days(period, "period")
    _require_columns(tx, ["customer_id", "timestamp", "is_return"], "tx")
    for column in ("customer_id", "timestamp", "is_return"):
        missing = tx[column].isna()
        if missing.any():
            raise ValueError(
                f"tx column {column!r} is missing in {rows_at_fault(missing, what='index')}"
            )
    end = cutoff_day(observation_end, "observation_end")
    keep = ~tx["is_return"].astype(bool) & through(tx["timestamp"], end)
    active = pd.DataFrame(
        {
            "customer_id": tx.loc[keep, "customer_id"].to_numpy(),
            "period": tx.loc[keep, "timestamp"].dt.to_period(period).to_numpy(),
        }
    ).drop_duplicates()
    end_period = pd.Period(end, period)
    last = end_period if end_period.end_time.normalize() == end.normalize() else end_period - 1
    active = active[active["period"] <= last]
    if active.empty or active["period"].min() >= last:
        raise ValueError(
            f"retention needs purchases in at least two complete periods ({period!r}) up to "
            f"{end.date()}; last complete period is {last}"
        )
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


def clv_discounted(margin_per_period, retention, discount_rate):
    """Discounted CLV of a retained customer: ``m x r / (1 + d - r)``.

    The sum over future periods t = 1, 2, ... of ``m x r**t / (1 + d)**t``: the customer is
    alive now, survives each period with probability r, and each period's margin is
    discounted once more. The current period's margin is *not* included (add ``m`` for the
    value including it).

    Parameters
    ----------
    margin_per_period : float, array-like or pandas.Series
        Margin m a customer brings per period, in currency.
    retention : float or array-like
        Retention rate r per period, in [0, 1].
    discount_rate : float or array-like
        Discount rate d per period (>= 0); 0.01 per month is about 12.7 % a year.

    Returns
    -------
    float, numpy.ndarray or pandas.Series
        CLV in currency (Series named ``clv_discounted`` when the margin is a Series).

    Examples
    --------
    >>> round(clv_discounted(100, 0.8, 0.1), 2)
    266.67
    """
    m = _as_float(margin_per_period)
    r = _as_float(retention)
    d = _as_float(discount_rate)
    _check_range("retention", r, 0, 1)
    _check_range("discount_rate", d, 0, np.inf)
    if np.any((r == 1) & (d == 0)):
        raise ValueError("retention 1 with discount rate 0 gives an infinite CLV")
    return _finish(m * r / (1 + d - r), "clv_discounted")


def _surviving_periods(retention: float, horizon: float) -> float:
    """Expected number of periods a customer alive now is alive in, within ``horizon`` periods.

    ``sum_{k=1..H} r**k = r (1 - r**H) / (1 - r)``; the closed form is used for fractional H
    as well (a smooth interpolation between whole periods); ``H`` when r is 1.
    """
    if retention == 1:
        return float(horizon)
    return retention * (1 - retention**horizon) / (1 - retention)


# --------------------------------------------------------------------------- estimator


class HeuristicCLV(BaseEstimator):
    """Predictive heuristic CLV: historic value per period, a retention rate, a margin.

    Modelling choices, all of them deliberate and simple (the comparison on a holdout is what
    says whether they are good enough):

    - **Retention** r is learned by :meth:`fit` from the calibration log with
      :func:`estimate_retention`: the pooled share of customers active in a period who are
      active again in the next one. One r for all customers.
    - **Value per period** of a customer = AOV x purchases per period, with AOV net of
      returns (``total_value / n_orders``) and purchases per period = ``n_orders / tenure``;
      this is ``total_value / tenure``. Tenure is the summary's ``T`` (first purchase to
      observation end) converted to periods, plus one period: the period of the first
      purchase is exposure too, so a customer who bought once in each of k + 1 periods has
      exactly one purchase per period, and a customer first seen on the last day is not
      credited with an unbounded rate. Months, quarters and years are converted with their
      mean length (30.44, 91.31, 365.25 days). Net returners get a negative value.
    - **Everyone is alive** at the observation end; time since the last order is not used
      (the blind spot a BTYD model fills). A customer then buys at their historic rate in each
      future period they survive, and survives period k with probability ``r**k``.
    - **Known bias**: r is an activity repeat rate, not a survival rate, while the historic
      rate already includes the customer's idle periods; for intermittent buyers (short
      periods, low r) the forecast is therefore well below the realised value (UCI Online
      Retail, calibration to 2011-06-30, 162-day holdout: predicted total / realised total
      0.11 with monthly r = 0.37, 0.34 with quarterly r = 0.59). With one r for all, the
      *ranking* of customers is that of ``total_value / tenure`` whatever the period.
    - :meth:`predict_value` is revenue (no margin, no discounting), to be compared with the
      realised holdout value; :meth:`predict_clv` applies the margin and gives the lifetime
      forms of domain.md §4.

    Parameters
    ----------
    margin : float or None, default 1.0
        Gross margin as a fraction of net revenue (20 % is 0.2); 1.0 gives CLV in revenue.
        None uses the summary's ``gross_profit`` (profit where costs are known) instead of
        ``total_value x margin``.
    discount_rate : float, default 0.0
        Discount rate per period, used by :meth:`predict_clv` only.
    period : {"D", "W", "M", "Q", "Y"}, default "M"
        Period of the retention rate.
    cac : float, str or None, default None
        Acquisition cost subtracted by :meth:`predict_clv`: one amount for everybody, the name
        of a summary column (e.g. "cac"), or None for no subtraction.

    Attributes
    ----------
    retention_ : float
        Pooled retention rate per period.
    retention_table_ : pandas.DataFrame
        Per-period table behind it (see :func:`estimate_retention`).
    expected_lifetime_ : float
        ``1 / (1 - retention_)`` periods (inf when retention is 1).
    observation_end_ : pandas.Timestamp
        End of the calibration period.
    period_days_ : float
        Length of one period in days.

    Examples
    --------
    >>> model = HeuristicCLV(margin=0.3, period="M").fit(tx, observation_end="2011-06-30")
    ... # doctest: +SKIP
    >>> model.predict_value(summary, horizon=90)  # doctest: +SKIP
    """

    def __init__(
        self,
        margin: float | None = 1.0,
        discount_rate: float = 0.0,
        period: str = "M",
        cac: float | str | None = None,
    ):
        self.margin = margin
        self.discount_rate = discount_rate
        self.period = period
        self.cac = cac

    def fit(self, tx: pd.DataFrame, *, observation_end: str | pd.Timestamp) -> HeuristicCLV:
        """Learn the retention rate from the calibration log (lines up to ``observation_end``)."""
        if self.margin is not None and not 0 <= self.margin <= 1:
            raise ValueError(f"margin must be a fraction in [0, 1] or None; got {self.margin}")
        if self.discount_rate < 0:
            raise ValueError(f"discount_rate must be >= 0; got {self.discount_rate}")
        estimate = estimate_retention(tx, observation_end=observation_end, period=self.period)
        self.retention_ = estimate.rate
        self.retention_table_ = estimate.table
        self.expected_lifetime_ = np.inf if estimate.rate == 1 else 1 / (1 - estimate.rate)
        self.observation_end_ = pd.Timestamp(observation_end)
        self.period_days_ = _UNIT_DAYS[self.period]
        return self

    def _tenure(self, summary: pd.DataFrame, time_unit: str) -> pd.Series:
        """Tenure in periods: ``T`` converted from ``time_unit``, plus the first period."""
        unit_days = _unit_days(time_unit, "time_unit")
        summary_unit = summary.attrs.get("time_unit")
        if summary_unit is not None and summary_unit != time_unit:
            raise ValueError(f"summary is in time unit {summary_unit!r}, not {time_unit!r}")
        t, _ = _customer_values(summary, "T", "T")
        return t * unit_days / self.period_days_ + 1

    def predict_value(
        self, summary: pd.DataFrame, *, horizon: float, time_unit: str = "D"
    ) -> pd.Series:
        """Expected net revenue per customer over the next ``horizon`` (undiscounted).

        ``value per period x sum_{k=1..H} r**k``, H the horizon in periods (see the class
        docstring for the value per period).

        Parameters
        ----------
        summary : pandas.DataFrame
            Customer summary at the calibration end (columns ``T``, ``total_value``).
        horizon : float
            Length of the forecast window, in ``time_unit`` (e.g. the holdout length).
        time_unit : {"D", "W", "M"}, default "D"
            Time unit of ``horizon`` and of the summary's ``T``.

        Returns
        -------
        pandas.Series
            ``predicted_value`` in currency, indexed by ``customer_id``.
        """
        check_is_fitted(self, "retention_")
        if horizon < 0:
            raise ValueError(f"horizon must be >= 0; got {horizon}")
        values, _ = _customer_values(summary, "total_value", "total_value")
        per_period = values / self._tenure(summary, time_unit)
        periods = horizon * _UNIT_DAYS[time_unit] / self.period_days_
        out = (per_period * _surviving_periods(self.retention_, periods)).rename("predicted_value")
        out.attrs.update(horizon=horizon, time_unit=time_unit, horizon_periods=periods)
        return out

    def predict(self, summary: pd.DataFrame, *, horizon: float, time_unit: str = "D") -> pd.Series:
        """Same as :meth:`predict_value` (the name the comparison code expects)."""
        return self.predict_value(summary, horizon=horizon, time_unit=time_unit)

    def predict_clv(self, summary: pd.DataFrame, *, time_unit: str = "D") -> pd.DataFrame:
        """Lifetime CLV per customer, undiscounted and discounted, optionally after CAC.

        With ``m`` the margin per period (value per period x margin, or gross profit per
        period when ``margin`` is None), r the retention and d the discount rate:

        - ``clv_lifetime = m x 1 / (1 - r)``: margin times expected lifetime (1 / churn),
          counting the current period;
        - ``clv_discounted = m x r / (1 + d - r)``: future periods only, discounted
          (:func:`clv_discounted`); with d = 0 it equals ``clv_lifetime - m``.

        Parameters
        ----------
        summary : pandas.DataFrame
            Customer summary (columns ``T``, ``total_value``; ``gross_profit`` when
            ``margin`` is None; the CAC column when ``cac`` names one).
        time_unit : {"D", "W", "M"}, default "D"
            Time unit of the summary's ``T``.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``customer_id``: ``value_per_period``, ``margin_per_period``,
            ``expected_lifetime`` (periods), ``clv_lifetime``, ``clv_discounted``; with a CAC
            also ``cac``, ``clv_lifetime_after_cac`` and ``clv_discounted_after_cac``.
        """
        check_is_fitted(self, "retention_")
        r, d = self.retention_, self.discount_rate
        if r == 1:
            raise ValueError("retention is 1: the expected lifetime is infinite")
        tenure = self._tenure(summary, time_unit)
        values, _ = _customer_values(summary, "total_value", "total_value")
        out = (values / tenure).rename("value_per_period").to_frame()
        if self.margin is None:
            profit, _ = _customer_values(summary, "gross_profit", "gross_profit")
            out["margin_per_period"] = profit / tenure
        else:
            out["margin_per_period"] = out["value_per_period"] * self.margin
        out["expected_lifetime"] = self.expected_lifetime_
        out["clv_lifetime"] = out["margin_per_period"] * self.expected_lifetime_
        out["clv_discounted"] = clv_discounted(out["margin_per_period"], r, d)
        if self.cac is not None:
            if isinstance(self.cac, str):
                cac, _ = _customer_values(summary, self.cac, self.cac)
            else:
                cac = pd.Series(float(self.cac), index=summary.index)
            out["cac"] = cac
            out["clv_lifetime_after_cac"] = out["clv_lifetime"] - cac
            out["clv_discounted_after_cac"] = out["clv_discounted"] - cac
        out.attrs.update(retention=r, discount_rate=d, period=self.period, margin=self.margin)
        return out


# --------------------------------------------------------------------------- per group


def clv_by_group(summary: pd.DataFrame, clv: pd.Series, *, by: str | pd.Series) -> pd.DataFrame:
    """CLV per segment or acquisition channel: one average for everybody hides the point.

    Parameters
    ----------
    summary : pandas.DataFrame
        Customer summary indexed by ``customer_id``.
    clv : pandas.Series
        CLV per customer (any variant), indexed by ``customer_id``; same customers as summary.
    by : str or pandas.Series
        Summary column (e.g. "channel") or a Series of labels per customer (e.g. RFM
        segments). Customers without a label form the group "(missing)".

    Returns
    -------
    pandas.DataFrame
        One row per group: ``customers``, ``share_of_customers``, ``mean_clv``,
        ``median_clv``, ``total_clv``, ``share_of_value`` (group total / overall total; the
        shares sum to 1, and a group can exceed 1 or be negative when some groups lose
        money). Categorical labels keep their order and their empty categories.
    """
    values = _align(summary, clv, "clv").astype("float64")
    if values.isna().any():
        raise ValueError(f"clv is missing in {rows_at_fault(values.isna())}")
    keys = _group_keys(summary, by)
    grouped = values.groupby(keys, observed=False, sort=True)
    table = pd.DataFrame(
        {
            "customers": grouped.size(),
            "mean_clv": grouped.mean(),
            "median_clv": grouped.median(),
            "total_clv": grouped.sum(),
        }
    )
    table.insert(1, "share_of_customers", table["customers"] / len(values))
    total = values.sum()
    table["share_of_value"] = table["total_clv"] / total if total != 0 else np.nan
    return table


# --------------------------------------------------------------------------- value tiers


def _tier_labels(shares: tuple[float, ...]) -> list[str]:
    if len(shares) != 3 or any(s <= 0 for s in shares) or not np.isclose(sum(shares), 1):
        raise ValueError(f"shares must be three positive fractions summing to 1; got {shares}")
    pct = [f"{round(100 * s, 6):g} %" for s in shares]
    return [f"top {pct[0]}", f"middle {pct[1]}", f"bottom {pct[2]}"]


def value_tiers(
    summary: pd.DataFrame,
    *,
    value: str | pd.Series | None = None,
    shares: tuple[float, float, float] = (0.2, 0.6, 0.2),
) -> pd.Series:
    """Value tier per customer: the top 20 %, the middle 60 % and the bottom 20 %.

    Customers are ranked by value, highest first; ties are broken by ``customer_id`` in
    ascending order, so the same data always gives the same tiers. Tier sizes are the rounded
    cumulative shares: the first ``round(0.2 n)`` customers are the top tier, up to
    ``round(0.8 n)`` the middle, the rest the bottom; each tier holds its share of customers
    within one customer.

    Negative values (net returners: they returned more than they kept, or cost more than
    they brought) are ranked as they are, below every customer with a value of 0 or more;
    they are never clipped, so they land in the bottom tier and lower its share of value.

    Parameters
    ----------
    summary : pandas.DataFrame
        Customer summary indexed by ``customer_id``.
    value : str, pandas.Series or None
        Ranking value: a summary column, a Series per customer (e.g. a predicted CLV), or
        None for ``gross_profit`` where the summary has it, else ``total_value`` (net revenue).
    shares : tuple of three floats, default (0.2, 0.6, 0.2)
        Shares of customers of the top, middle and bottom tiers.

    Returns
    -------
    pandas.Series
        Ordered categorical ``value_tier`` (labels such as "top 20 %"), indexed like
        ``summary``; ``attrs`` holds the value used and the shares.
    """
    labels = _tier_labels(tuple(shares))
    values, label = _customer_values(summary, value, "value")
    n = len(values)
    ranked = values.sort_index(kind="stable").sort_values(ascending=False, kind="stable")
    bounds = np.floor(n * np.cumsum(shares) + 0.5).astype(int)
    bounds[-1] = n
    tier_of_rank = np.searchsorted(bounds, np.arange(n), side="right")
    codes = pd.Series(tier_of_rank, index=ranked.index).reindex(values.index)
    tiers = pd.Series(
        pd.Categorical.from_codes(codes.to_numpy(), categories=labels, ordered=True),
        index=summary.index,
        name="value_tier",
    )
    tiers.attrs.update(value=label, shares=tuple(shares), ties="customer_id ascending")
    return tiers


def tier_table(
    summary: pd.DataFrame,
    tiers: pd.Series,
    *,
    by: str | pd.Series | None = None,
    value: str | pd.Series | None = None,
) -> pd.DataFrame:
    """Customers and value per tier, overall or per group ("which channels bring good customers").

    Parameters
    ----------
    summary : pandas.DataFrame
        Customer summary indexed by ``customer_id``.
    tiers : pandas.Series
        Output of :func:`value_tiers` (same customers as summary).
    by : str, pandas.Series or None
        Group column (e.g. "channel") or labels per customer; None for the overall table.
    value : str, pandas.Series or None
        Value summed per tier; None for the default of :func:`value_tiers` (profit where
        known, else net revenue).

    Returns
    -------
    pandas.DataFrame
        Indexed by tier (or by group and tier): ``customers``, ``share_of_customers``,
        ``value``, ``share_of_value`` and ``mean_value``. With ``by``, shares are within the
        group: the share of a channel's customers that are in the top tier, and the share of
        that channel's value they carry. Shares of value can be negative or exceed 1 when
        some customers lose money.
    """
    tiers = _align(summary, tiers, "tiers")
    values, _ = _customer_values(summary, value, "value")
    frame = pd.DataFrame({"tier": tiers, "value": values})
    keys = ["tier"]
    if by is not None:
        group = _group_keys(summary, by)
        frame.insert(0, group.name, group)
        keys = [group.name, "tier"]
    grouped = frame.groupby(keys, observed=False, sort=True)["value"]
    table = pd.DataFrame({"customers": grouped.size(), "value": grouped.sum()})
    if by is None:
        customers_total, value_total = table["customers"].sum(), table["value"].sum()
    else:
        per_group = table.groupby(level=0, observed=False)
        customers_total = per_group["customers"].transform("sum")
        value_total = per_group["value"].transform("sum")
    table.insert(1, "share_of_customers", table["customers"] / customers_total)
    table["share_of_value"] = table["value"] / value_total
    table["mean_value"] = table["value"] / table["customers"].where(table["customers"] > 0)
    return table


class LorenzCurve(NamedTuple):
    """Concentration curve (Pareto view) and its Gini coefficient.

    ``curve`` has columns ``share_of_customers`` and ``share_of_value``, from (0, 0) to
    (1, 1), customers sorted by value, highest first.
    """

    curve: pd.DataFrame
    gini: float

    def top_share(self, fraction: float = 0.2) -> float:
        """Share of value carried by the top ``fraction`` of customers (interpolated)."""
        c = self.curve
        return float(np.interp(fraction, c["share_of_customers"], c["share_of_value"]))


def lorenz_curve(values: pd.Series | np.ndarray) -> LorenzCurve:
    """Cumulative share of customers vs cumulative share of value, best customers first.

    The Gini coefficient is ``2 x (area under the curve) - 1`` with the area taken by the
    trapezoidal rule on the step points; for non-negative values it equals
    ``sum_ij |x_i - x_j| / (2 n**2 mean)`` (0: everybody brings the same; (n-1)/n: one
    customer brings everything).

    Negative values (net returners) are kept: the curve then rises above 1 (the customers
    before them brought more than the total) and falls back to 1 at the end, and the Gini
    can exceed 1. The total must be positive, or shares of it mean nothing.

    Parameters
    ----------
    values : pandas.Series or array-like
        Value per customer (profit, revenue or CLV).

    Returns
    -------
    LorenzCurve
        ``(curve, gini)``; ``top_share(0.2)`` gives the share carried by the top 20 %.
    """
    index = values.index if isinstance(values, pd.Series) else None
    x = pd.Series(values, dtype="float64") if index is None else values
    x = x.astype("float64")
    if x.empty:
        raise ValueError("lorenz_curve needs at least one value")
    if x.isna().any():
        raise ValueError(f"values are missing in {rows_at_fault(x.isna().to_numpy(), index)}")
    total = x.sum()
    if not total > 0:
        raise ValueError(f"the total value must be positive to take shares of it; got {total}")
    ordered = np.sort(x.to_numpy())[::-1]
    n = len(ordered)
    curve = pd.DataFrame(
        {
            "share_of_customers": np.arange(n + 1) / n,
            "share_of_value": np.concatenate([[0.0], np.cumsum(ordered) / total]),
        }
    )
    curve.loc[n, "share_of_value"] = 1.0  # exact end point despite rounding
    gini = 2 * np.trapezoid(curve["share_of_value"], curve["share_of_customers"]) - 1
    return LorenzCurve(curve=curve, gini=float(gini))
