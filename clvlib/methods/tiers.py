"""Value tiers (the 20 / 60 / 20 split) and the concentration behind them.

:func:`value_tiers` ranks customers into the top 20 %, middle 60 % and bottom 20 %;
:func:`tier_table` counts customers and value per tier (overall or per channel);
:func:`lorenz_curve` gives the concentration curve and its Gini coefficient.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from clvlib.data.checks import rows_at_fault
from clvlib.methods._frames import _align, _group_keys
from clvlib.methods.value import _customer_values
from clvlib.vocabulary import format_fixed

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

    Examples
    --------
    >>> summary = pd.DataFrame(
    ...     {"total_value": [120.0, 40.0, 300.0, -10.0, 60.0],
    ...      "channel": ["ads", "seo", "seo", "ads", "seo"]},
    ...     index=pd.Index([1, 2, 3, 4, 5], name="customer_id"))
    >>> value_tiers(summary).tolist()
    ['middle 60 %', 'middle 60 %', 'top 20 %', 'bottom 20 %', 'middle 60 %']
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
    clv: pd.Series | None = None,
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
    clv : pandas.Series, optional
        Predicted CLV per customer, shown as ``mean_predicted_clv`` beside the historic
        ``mean_value``.

    Returns
    -------
    pandas.DataFrame
        Indexed by tier (or by group and tier): ``customers``, ``share_of_customers``,
        ``value``, ``share_of_value`` and ``mean_value``; ``mean_predicted_clv`` with
        ``clv``; ``return_share`` (returned / gross purchase value) when the summary has
        ``returned_value``; overall, the ``strategy`` line of each tier. With ``by``,
        shares are within the group: the share of a channel's customers that are in the
        top tier, and the share of that channel's value they carry. Shares of value can be
        negative or exceed 1 when some customers lose money.

    Examples
    --------
    >>> summary = pd.DataFrame(
    ...     {"total_value": [120.0, 40.0, 300.0, -10.0, 60.0],
    ...      "channel": ["ads", "seo", "seo", "ads", "seo"]},
    ...     index=pd.Index([1, 2, 3, 4, 5], name="customer_id"))
    >>> tiers = value_tiers(summary)
    >>> tier_table(summary, tiers)[["customers", "value", "share_of_value"]]
                 customers  value  share_of_value
    tier
    top 20 %             1  300.0        0.588235
    middle 60 %          3  220.0        0.431373
    bottom 20 %          1  -10.0       -0.019608
    """
    tiers = _align(summary, tiers, "tiers")
    values, _ = _customer_values(summary, value, "value")
    frame = pd.DataFrame({"tier": tiers, "value": values})
    keys = ["tier"]
    if by is not None:
        group = _group_keys(summary, by)
        frame.insert(0, group.name, group)
        keys = [group.name, "tier"]
    if clv is not None:
        frame["predicted_clv"] = _align(summary, clv, "clv").astype("float64")
    if "returned_value" in summary.columns and "total_value" in summary.columns:
        frame["returned_value"] = summary["returned_value"].astype("float64")
        frame["gross_value"] = summary["total_value"] + summary["returned_value"]
    grouped = frame.groupby(keys, observed=False, sort=True)
    table = pd.DataFrame({"customers": grouped.size(), "value": grouped["value"].sum()})
    if by is None:
        customers_total, value_total = table["customers"].sum(), table["value"].sum()
    else:
        per_group = table.groupby(level=0, observed=False)
        customers_total = per_group["customers"].transform("sum")
        value_total = per_group["value"].transform("sum")
    table.insert(1, "share_of_customers", table["customers"] / customers_total)
    table["share_of_value"] = table["value"] / value_total
    table["mean_value"] = table["value"] / table["customers"].where(table["customers"] > 0)
    if "predicted_clv" in frame.columns:
        table["mean_predicted_clv"] = grouped["predicted_clv"].mean()
    if "returned_value" in frame.columns:
        gross = grouped["gross_value"].sum()
        table["return_share"] = grouped["returned_value"].sum() / gross.where(gross > 0)
    if by is None:
        table["strategy"] = [_strategy(i, table, frame) for i in range(len(table))]
    return table


# top, middle, bottom
_TIER_STRATEGY = (
    "keep the good: loyalty perks, service, no blanket discounts",
    "move the middle up: second purchase, cross-sell, bundles",
    "stop paying to acquire look-alikes; acquire through the channels that bring the top tier",
)
#: added to the bottom tier's strategy only when its customers return more than the average
_CURB_RETURNS = "curb returns (they return {share} of what they buy, against {overall} overall)"


def _strategy(position: int, table: pd.DataFrame, frame: pd.DataFrame) -> str:
    """The strategy line of a tier; the bottom tier's says "curb returns" only when the data does.

    A strategy never contradicts the table beside it: "curb returns" is advised only when the
    bottom tier's return share is above the share of all customers (a log without returns,
    such as CDNOW, gets no such advice).
    """
    text = _TIER_STRATEGY[min(position, len(_TIER_STRATEGY) - 1)]
    if position != len(table) - 1 or position == 0 or "return_share" not in table.columns:
        return text
    share = float(table["return_share"].iloc[position])
    gross = float(frame["gross_value"].sum())
    overall = float(frame["returned_value"].sum()) / gross if gross > 0 else float("nan")
    if not share > overall or not share > 0:
        return text
    return f"{text}; " + _CURB_RETURNS.format(
        share=format_fixed(share, "whole_percent"), overall=format_fixed(overall, "whole_percent")
    )


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

    Examples
    --------
    >>> lorenz = lorenz_curve([300.0, 120.0, 60.0, 40.0, -10.0])
    >>> round(lorenz.gini, 3), round(lorenz.top_share(0.2), 3)
    (0.549, 0.588)
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
