"""The questions a marketing plan asks, answered with CLV: per group, first order, channel.

- CLV per segment or channel, :func:`clv_by_group`;
- CLV against the first order's profit (:func:`first_order_profit`,
  :func:`clv_vs_first_order`);
- LTV : CAC and payback per channel (:func:`channel_economics`);
- all three from one lifetime value, in one table (:func:`channel_value`);
- discount shoppers against full-price customers (:func:`discount_shoppers`);
- the two opposite retention policies (:func:`retention_policies`), and the same two
  compared segment by segment with a recommendation (:func:`policies_by_segment`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from clvlib.data import engine
from clvlib.data import log as _tx
from clvlib.data.checks import rows_at_fault
from clvlib.methods._frames import _align, _check_range, _group_keys, _require_columns
from clvlib.methods.formulas import _surviving_periods
from clvlib.methods.value import historic_clv, value_basis

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

    Examples
    --------
    >>> summary = pd.DataFrame(
    ...     {"total_value": [120.0, 40.0, 300.0, -10.0, 60.0],
    ...      "channel": ["ads", "seo", "seo", "ads", "seo"]},
    ...     index=pd.Index([1, 2, 3, 4, 5], name="customer_id"))
    >>> clv = pd.Series([200.0, 50.0, 400.0, 0.0, 80.0], index=summary.index)
    >>> clv_by_group(summary, clv, by="channel")[["customers", "mean_clv", "share_of_value"]]
             customers    mean_clv  share_of_value
    channel
    ads              2  100.000000        0.273973
    seo              3  176.666667        0.726027
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


def first_order_profit(
    tx: pd.DataFrame, summary: pd.DataFrame, *, margin: float | None = None
) -> pd.Series:
    """Profit of each customer's first order: what the first sale alone is worth.

    The first order is the order (``order_id``) holding the customer's earliest purchase
    line; its profit is ``amount - cost`` summed over its purchase lines where the log has
    ``cost``, else ``amount x margin``. Returns are not netted (a first order returned later
    still counts as sold).

    Parameters
    ----------
    tx : pandas.DataFrame or ibis.Table
        Clean log with ``customer_id``, ``order_id``, ``timestamp``, ``amount``,
        ``is_return`` (and ``cost`` when known).
    summary : pandas.DataFrame
        Customer summary: the customers to return, in its order.
    margin : float, optional
        Gross margin as a fraction, used when the log has no ``cost``.

    Returns
    -------
    pandas.Series
        ``first_order_profit`` indexed like ``summary``.

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
    >>> summary = pd.DataFrame(index=pd.Index([1, 2, 3, 4], name="customer_id"))
    >>> first_order_profit(tx, summary, margin=0.3).tolist()
    [9.0, 15.0, 4.5, 18.0]
    """
    _tx.check(tx)
    _require_columns(tx, ["customer_id", "order_id", "timestamp", "amount", "is_return"], "tx")
    basis = value_basis(tx, margin=margin)
    if not basis.costs_known:
        if margin is None:
            raise ValueError("tx has no cost column: pass margin= to turn revenue into profit")
        _check_range("margin", margin, 0, 1, " (a fraction: 20 % is 0.2)")
    with _tx.table(tx) as table:  # per-customer rows come back, never the lines
        buys = table.filter(~table["is_return"].cast("boolean"))
        if basis.costs_known:
            profit = buys["amount"] - buys["cost"]
        else:
            profit = buys["amount"] * basis.margin
        buys = buys.select(
            "customer_id",
            "order_id",
            _ts=buys["timestamp"].cast("timestamp"),
            _profit=profit.cast("float64"),
        )
        first_ts = buys.group_by("customer_id").aggregate(_first=buys["_ts"].min())
        at_first = buys.join(first_ts, "customer_id").filter(lambda t: t["_ts"] == t["_first"])
        # the first order: the earliest line's, the smallest order id among equally early ones
        first = at_first.group_by("customer_id").aggregate(order_id=at_first["order_id"].min())
        chosen = buys.join(first, ["customer_id", "order_id"])
        per_customer = chosen.group_by("customer_id").aggregate(_sum=chosen["_profit"].sum())
        got = engine.to_pyarrow(per_customer).to_pandas()
    out = pd.Series(got["_sum"].to_numpy(), index=got["customer_id"].to_numpy())
    out = out.reindex(summary.index)
    if out.isna().any():
        raise ValueError(f"no purchase line in tx for {rows_at_fault(out.isna())}")
    return out.rename("first_order_profit")


def clv_vs_first_order(
    summary: pd.DataFrame, first_profit: pd.Series, clv: pd.Series, *, by: str | pd.Series
) -> pd.DataFrame:
    """What a customer is worth beyond the first sale, per group (a 29 first sale, 304 lifetime).

    Returns
    -------
    pandas.DataFrame
        One row per group, then "all customers": ``customers``,
        ``mean_first_order_profit``, ``mean_predicted_clv`` and ``clv_multiple`` (predicted
        CLV / first-order profit: how many first sales the relationship is worth).

    Examples
    --------
    >>> summary = pd.DataFrame(
    ...     {"total_value": [120.0, 40.0, 300.0, -10.0, 60.0],
    ...      "channel": ["ads", "seo", "seo", "ads", "seo"]},
    ...     index=pd.Index([1, 2, 3, 4, 5], name="customer_id"))
    >>> first = pd.Series([10.0, 8.0, 30.0, 5.0, 12.0], index=summary.index)
    >>> clv = pd.Series([200.0, 50.0, 400.0, 0.0, 80.0], index=summary.index)
    >>> table = clv_vs_first_order(summary, first, clv, by="channel")
    >>> table[["customers", "mean_predicted_clv", "clv_multiple"]].round(2)
                   customers  mean_predicted_clv  clv_multiple
    group
    ads                    2              100.00         13.33
    seo                    3              176.67         10.60
    all customers          5              146.00         11.23
    """
    frame = pd.DataFrame(
        {
            "first": _align(summary, first_profit, "first_profit").astype("float64"),
            "clv": _align(summary, clv, "clv").astype("float64"),
            "group": _group_keys(summary, by),
        }
    )
    grouped = frame.groupby("group", observed=False, sort=True)
    table = pd.DataFrame(
        {
            "customers": grouped.size(),
            "mean_first_order_profit": grouped["first"].mean(),
            "mean_predicted_clv": grouped["clv"].mean(),
        }
    )
    table.loc["all customers"] = [len(frame), frame["first"].mean(), frame["clv"].mean()]
    table["customers"] = table["customers"].astype("int64")
    first = table["mean_first_order_profit"]
    table["clv_multiple"] = table["mean_predicted_clv"] / first.where(first > 0)
    table.index.name = frame["group"].name
    return table


def channel_economics(clv: pd.DataFrame, summary: pd.DataFrame, *, by: str | pd.Series):
    """LTV : CAC and payback per acquisition channel: which channel pays back, in how long.

    From :meth:`HeuristicCLV.predict_clv` with a CAC: LTV is the lifetime margin
    (``clv_lifetime``, before CAC, undiscounted), and the payback is the CAC divided by the
    expected margin a customer brings per period now (``margin_per_period x p_active``).
    A channel pays back when LTV : CAC exceeds 1, i.e. when the payback is shorter than the
    expected lifetime.

    Returns
    -------
    pandas.DataFrame
        One row per group: ``customers``, ``mean_cac``, ``mean_ltv``, ``ltv_to_cac``,
        ``payback_periods`` (NaN when the margin per period is not positive),
        ``mean_ltv_after_cac`` and ``pays_back`` (bool).

    Examples
    --------
    >>> from clvlib.data.summary import customer_summary
    >>> from clvlib.methods.heuristic import HeuristicCLV
    >>> tx = pd.DataFrame({
    ...     "customer_id": [1, 1, 1, 1, 2, 2, 2, 3, 3, 4],
    ...     "order_id": [10, 11, 12, 13, 20, 21, 22, 30, 31, 40],
    ...     "timestamp": pd.to_datetime(["2024-01-05", "2024-02-03", "2024-03-10", "2024-05-12",
    ...                                  "2024-01-20", "2024-03-02", "2024-06-02", "2024-01-14",
    ...                                  "2024-01-20", "2024-02-10"]),
    ...     "amount": [30.0, 20.0, 25.0, 35.0, 50.0, 45.0, 40.0, 15.0, -15.0, 60.0],
    ...     "is_return": [False] * 8 + [True, False]})
    >>> summary = customer_summary(tx, observation_end="2024-06-30").assign(
    ...     channel=["ads", "seo", "ads", "seo"], cac=[20.0, 5.0, 20.0, 5.0])
    >>> model = HeuristicCLV(margin=0.3, cac="cac").fit(tx, observation_end="2024-06-30")
    >>> table = channel_economics(model.predict_clv(summary), summary, by="channel")
    >>> table[["mean_cac", "mean_ltv", "ltv_to_cac", "pays_back"]].round(2)
           mean_cac  mean_ltv  ltv_to_cac  pays_back
    group
    ads        20.0     19.37        0.97      False
    seo         5.0     35.90        7.18       True
    """
    _require_columns(clv, ["cac", "clv_lifetime", "margin_per_period", "p_active"], "clv")
    frame = pd.DataFrame(
        {
            "cac": clv["cac"],
            "ltv": clv["clv_lifetime"],
            "per_period": clv["margin_per_period"] * clv["p_active"],
            "group": _group_keys(summary, by).reindex(clv.index),
        }
    )
    grouped = frame.groupby("group", observed=False, sort=True)
    table = pd.DataFrame(
        {
            "customers": grouped.size(),
            "mean_cac": grouped["cac"].mean(),
            "mean_ltv": grouped["ltv"].mean(),
        }
    )
    per_period = grouped["per_period"].mean()
    table["ltv_to_cac"] = table["mean_ltv"] / table["mean_cac"].where(table["mean_cac"] > 0)
    table["payback_periods"] = table["mean_cac"] / per_period.where(per_period > 0)
    table["mean_ltv_after_cac"] = table["mean_ltv"] - table["mean_cac"]
    table["pays_back"] = table["mean_ltv_after_cac"] > 0
    table.attrs.update(period=clv.attrs.get("period"))
    return table


def channel_value(
    clv: pd.DataFrame,
    summary: pd.DataFrame,
    first_profit: pd.Series,
    *,
    by: str | pd.Series,
    ltv: str = "clv_discounted",
) -> pd.DataFrame:
    """What a customer of each group is worth, from ONE lifetime value: CLV, first order, CAC.

    The per-group questions (CLV per channel, CLV against the first order's profit, LTV :
    CAC and payback) answered in one table from one column of
    :meth:`HeuristicCLV.predict_clv <clvlib.methods.heuristic.HeuristicCLV.predict_clv>`, so
    that a channel's value is one figure wherever it is shown (``ltv``, default the
    discounted margin to come before CAC, the "predicted CLV" of every page).

    Parameters
    ----------
    clv : pandas.DataFrame
        ``predict_clv`` output: ``ltv``, ``cac``, ``margin_per_period`` and ``p_active``.
    summary : pandas.DataFrame
        Customer summary (the customers of ``clv``).
    first_profit : pandas.Series
        :func:`first_order_profit` per customer.
    by : str or pandas.Series
        Group column or labels (as :func:`clv_by_group`).
    ltv : str, default "clv_discounted"
        The column of ``clv`` used as the lifetime value.

    Returns
    -------
    pandas.DataFrame
        One row per group, then "all customers": ``customers``, ``share_of_customers``,
        ``mean_predicted_clv``, ``mean_first_order_profit``, ``clv_multiple`` (predicted CLV
        / first-order profit), ``mean_cac``, ``ltv_to_cac`` (mean predicted CLV / mean CAC),
        ``payback_periods`` (mean CAC / mean margin per period now; NaN when that margin is
        not positive) and ``pays_back`` (predicted CLV above CAC). ``attrs``: ``ltv`` and
        ``period`` (the unit of the payback).

    Examples
    --------
    >>> clv = pd.DataFrame(
    ...     {"clv_discounted": [100.0, 20.0, 60.0], "cac": [10.0, 30.0, 10.0],
    ...      "margin_per_period": [5.0, 1.0, 2.0], "p_active": [1.0, 1.0, 0.5]},
    ...     index=pd.Index([1, 2, 3], name="customer_id"))
    >>> summary = pd.DataFrame({"channel": ["ads", "seo", "seo"]}, index=clv.index)
    >>> first = pd.Series([20.0, 10.0, 10.0], index=clv.index)
    >>> table = channel_value(clv, summary, first, by="channel")
    >>> table[["mean_predicted_clv", "clv_multiple", "ltv_to_cac", "payback_periods"]].round(2)
                   mean_predicted_clv  clv_multiple  ltv_to_cac  payback_periods
    channel
    ads                         100.0           5.0        10.0             2.00
    seo                          40.0           4.0         2.0            20.00
    all customers                60.0           4.5         3.6             7.14
    """
    _require_columns(clv, [ltv, "cac", "margin_per_period", "p_active"], "clv")
    keys = _group_keys(summary, by).reindex(clv.index)
    frame = pd.DataFrame(
        {
            "clv": clv[ltv].astype("float64"),
            "first": _align(clv, first_profit.reindex(clv.index), "first_profit").astype(float),
            "cac": clv["cac"].astype("float64"),
            "per_period": clv["margin_per_period"] * clv["p_active"],
        },
        index=clv.index,
    )

    def row(part: pd.DataFrame) -> dict[str, float]:
        first, cac, per_period = part["first"].mean(), part["cac"].mean(), part["per_period"]
        return {
            "customers": len(part),
            "share_of_customers": len(part) / len(frame),
            "mean_predicted_clv": part["clv"].mean(),
            "mean_first_order_profit": first,
            "clv_multiple": part["clv"].mean() / first if first > 0 else np.nan,
            "mean_cac": cac,
            "ltv_to_cac": part["clv"].mean() / cac if cac > 0 else np.nan,
            "payback_periods": cac / per_period.mean() if per_period.mean() > 0 else np.nan,
        }

    groups = frame.groupby(keys, observed=False, sort=True)
    rows = {name: row(part) for name, part in groups if len(part)}
    rows["all customers"] = row(frame)
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = keys.name
    table["customers"] = table["customers"].astype("int64")
    table["pays_back"] = table["mean_predicted_clv"] > table["mean_cac"]
    table.attrs.update(ltv=ltv, period=clv.attrs.get("period"))
    return table


def discount_shoppers(
    tx: pd.DataFrame, summary: pd.DataFrame, clv: pd.Series, *, threshold: float = 0.5
) -> pd.DataFrame:
    """Discount-heavy customers against full-price ones: margin and predicted CLV.

    A customer is a *discount shopper* when at least ``threshold`` of their purchase value
    was bought on discount (the log's ``discounted`` flag), else *full price*.

    Returns
    -------
    pandas.DataFrame
        Indexed by "discount shoppers" and "full price": ``customers``,
        ``share_of_customers``, ``mean_discount_share`` (share of purchase value bought
        on discount), ``mean_historic_value``, ``margin`` (gross profit / net revenue where
        costs are known), ``mean_predicted_clv``, ``mean_orders``.

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
    >>> tx["discounted"] = [False, True, True, True, False, False, False, True, True, False]
    >>> summary = pd.DataFrame(
    ...     {"total_value": [110.0, 135.0, 0.0, 60.0], "n_orders": [4, 3, 1, 1]},
    ...     index=pd.Index([1, 2, 3, 4], name="customer_id"))
    >>> clv = pd.Series([90.0, 120.0, 0.0, 20.0], index=summary.index)
    >>> table = discount_shoppers(tx, summary, clv)
    >>> table[["customers", "mean_discount_share", "mean_predicted_clv"]].round(3)
                       customers  mean_discount_share  mean_predicted_clv
    customers_who
    discount shoppers          2                0.864                45.0
    full price                 2                0.000                70.0
    """
    _tx.check(tx)
    _require_columns(tx, ["customer_id", "amount", "is_return", "discounted"], "tx")
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must lie in (0, 1]; got {threshold}")
    with _tx.table(tx) as table:  # per-customer sums come back, never the lines
        buys = table.filter(~table["is_return"].cast("boolean"))
        amount = buys["amount"].cast("float64")
        sums = buys.group_by("customer_id").aggregate(
            value=amount.sum(), on_discount=amount.sum(where=buys["discounted"].cast("boolean"))
        )
        got = engine.to_pyarrow(sums).to_pandas().set_index("customer_id")
    value, on_discount = got["value"], got["on_discount"].fillna(0.0)
    share = (on_discount / value.where(value > 0)).fillna(0)
    share = share.reindex(summary.index, fill_value=0.0)
    label = np.where(share >= threshold, "discount shoppers", "full price")
    historic = historic_clv(summary)
    frame = pd.DataFrame(
        {
            "kind": label,
            "share": share,
            "historic": historic,
            "total_value": summary["total_value"],
            "clv": _align(summary, clv, "clv").astype("float64"),
            "orders": summary["n_orders"],
        },
        index=summary.index,
    )
    if value_basis(summary).costs_known:
        frame["profit"] = summary["gross_profit"]
    grouped = frame.groupby("kind", sort=True)
    table = pd.DataFrame(
        {
            "customers": grouped.size(),
            "mean_discount_share": grouped["share"].mean(),
            "mean_historic_value": grouped["historic"].mean(),
        }
    ).reindex(["discount shoppers", "full price"])
    table["customers"] = table["customers"].fillna(0).astype("int64")
    table.insert(1, "share_of_customers", table["customers"] / len(frame))
    if "profit" in frame.columns:
        table["margin"] = grouped["profit"].sum() / grouped["total_value"].sum()
    table["mean_predicted_clv"] = grouped["clv"].mean()
    table["mean_orders"] = grouped["orders"].mean()
    table.index.name = "customers_who"
    table.attrs.update(threshold=threshold, basis=historic.attrs["basis"])
    return table


def retention_policies(
    clv: pd.DataFrame, *, discount: float = 0.10, top: float = 0.2, periods: float = 12
) -> pd.DataFrame:
    """The two opposite retention policies, side by side: who, and at what cost.

    - **discount by importance**: the top ``top`` share of customers by predicted CLV get a
      ``discount`` on what they buy;
    - **best need no discount**: the same budget logic for customers who are lapsing
      (``p_active`` < 1: silent for longer than the lapse threshold) and worth keeping
      (value per period above the median), with the offer growing as the chance of losing
      them grows (``discount x (2 - p_active)``).

    The cost is the discount on the revenue each group is expected to bring over the next
    ``periods`` periods (value per period x p_active x sum of s**k), i.e. the price of the
    policy if nobody changes behaviour; the value at stake is their predicted CLV.

    Returns
    -------
    pandas.DataFrame
        One row per policy: ``customers``, ``share_of_customers``, ``mean_predicted_clv``
        (discounted), ``expected_revenue`` (next ``periods``), ``cost`` and
        ``cost_per_customer``.

    Examples
    --------
    >>> from clvlib.data.summary import customer_summary
    >>> from clvlib.methods.heuristic import HeuristicCLV
    >>> tx = pd.DataFrame({
    ...     "customer_id": [1, 1, 1, 1, 2, 2, 2, 3, 3, 4],
    ...     "order_id": [10, 11, 12, 13, 20, 21, 22, 30, 31, 40],
    ...     "timestamp": pd.to_datetime(["2024-01-05", "2024-02-03", "2024-03-10", "2024-05-12",
    ...                                  "2024-01-20", "2024-03-02", "2024-06-02", "2024-01-14",
    ...                                  "2024-01-20", "2024-02-10"]),
    ...     "amount": [30.0, 20.0, 25.0, 35.0, 50.0, 45.0, 40.0, 15.0, -15.0, 60.0],
    ...     "is_return": [False] * 8 + [True, False]})
    >>> summary = customer_summary(tx, observation_end="2024-06-30")
    >>> model = HeuristicCLV(margin=0.3).fit(tx, observation_end="2024-06-30")
    >>> clv = model.predict_clv(summary)
    >>> retention_policies(clv, top=0.5)[["customers", "expected_revenue", "cost"]].round(2)
                                                 customers  expected_revenue   cost
    policy
    discount by importance                               2            209.59  20.96
    best need no discount: win back the lapsing          0              0.00   0.00
    """
    expected, policies = _policy_targets(clv, discount=discount, top=top, periods=periods)
    rows = []
    for name, (who, rate) in policies.items():
        cost = float((expected[who] * rate[who]).sum())
        n = int(who.sum())
        rows.append(
            {
                "policy": name,
                "customers": n,
                "share_of_customers": n / len(clv),
                "mean_predicted_clv": float(clv.loc[who, "clv_discounted"].mean()),
                "expected_revenue": float(expected[who].sum()),
                "cost": cost,
                "cost_per_customer": cost / n if n else np.nan,
            }
        )
    table = pd.DataFrame(rows).set_index("policy")
    table.attrs.update(discount=discount, top=top, periods=periods)
    return table


#: the assumed effect of acting on a segment (its playbook's action, or a retention offer):
#: the share by which it raises the targeted customers' predicted CLV. An assumption, stated
#: wherever it is used; a test campaign with a control group measures it.
ASSUMED_LIFT = 0.10

#: the two opposite retention policies, as their rows are named
POLICIES = ("discount by importance", "best need no discount: win back the lapsing")


def _policy_targets(
    clv: pd.DataFrame, *, discount: float, top: float, periods: float
) -> tuple[pd.Series, dict[str, tuple[pd.Series, pd.Series]]]:
    """Expected revenue of the next ``periods`` per customer, and per policy who and what offer.

    The one definition of the two policies (:func:`retention_policies`,
    :func:`policies_by_segment`).
    """
    _require_columns(clv, ["value_per_period", "p_active", "clv_discounted"], "clv")
    if not 0 < discount < 1 or not 0 < top < 1:
        raise ValueError(f"discount and top must lie in (0, 1); got {discount}, {top}")
    r = float(clv.attrs.get("retention", np.nan))
    if not 0 <= r <= 1:
        raise ValueError("clv must come from HeuristicCLV.predict_clv (attrs['retention'])")
    expected = clv["value_per_period"] * clv["p_active"] * _surviving_periods(r, periods)
    ranked = clv["clv_discounted"].rank(ascending=False, method="first")
    important = ranked <= round(top * len(clv))
    lapsing = (clv["p_active"] < 1) & (clv["value_per_period"] > clv["value_per_period"].median())
    offer = pd.Series(discount, index=clv.index)
    return expected, {
        POLICIES[0]: (important, offer),
        POLICIES[1]: (lapsing, offer * (2 - clv["p_active"])),
    }


def policies_by_segment(
    clv: pd.DataFrame,
    segments: pd.Series,
    *,
    discount: float = 0.10,
    top: float = 0.2,
    periods: float = 12,
    lift: float = ASSUMED_LIFT,
) -> pd.DataFrame:
    """The two retention policies of :func:`retention_policies` compared on the same segments.

    For each segment and policy: the customers it targets, its cost (the discount on their
    expected revenue of the next ``periods`` periods, as :func:`retention_policies`) and the
    value it wins if the offer raises the targeted customers' predicted CLV by ``lift`` (an
    assumption); the net value is the difference.

    Parameters
    ----------
    clv : pandas.DataFrame
        :meth:`HeuristicCLV.predict_clv <clvlib.methods.heuristic.HeuristicCLV.predict_clv>`
        output (``value_per_period``, ``p_active``, ``clv_discounted``, ``attrs["retention"]``).
    segments : pandas.Series
        Segment per customer (:func:`~clvlib.methods.rules.assign_segments`); customers of
        ``clv`` without a segment count as "(none)", people without a CLV are left out.
    discount, top, periods
        As for :func:`retention_policies`.
    lift : float, default :data:`ASSUMED_LIFT` (0.10)
        Assumed rise of the targeted customers' predicted CLV (a share).

    Returns
    -------
    pandas.DataFrame
        One row per segment with targeted customers (most targeted first, ties in the order
        of ``segments``), then "all segments"; columns per policy (``importance_*`` for
        "discount by importance", ``lapsing_*`` for "win back the lapsing"): ``customers``,
        ``cost``,
        ``value_won`` and ``net_value``. ``attrs``: the parameters, and per policy its
        ``break_even_lift`` (cost / predicted CLV of the customers it targets: the lift it
        needs to pay for itself) and the ``recommended`` policy (the one with the larger net
        value; at equal net values, the smaller break-even lift).

    Examples
    --------
    >>> clv = pd.DataFrame(
    ...     {"value_per_period": [10.0, 1.0, 4.0, 8.0, 2.0],
    ...      "p_active": [1.0, 1.0, 0.5, 0.25, 1.0],
    ...      "clv_discounted": [100.0, 5.0, 20.0, 15.0, 8.0]},
    ...     index=pd.Index(list("abcde"), name="customer_id"))
    >>> clv.attrs["retention"] = 0.5
    >>> segments = pd.Series(["best", "rest", "rest", "lapsing", "rest"], index=clv.index)
    >>> table = policies_by_segment(clv, segments, top=0.2, periods=1)
    >>> table[["importance_cost", "lapsing_cost"]]
                  importance_cost  lapsing_cost
    segment
    best                      0.5         0.000
    lapsing                   0.0         0.175
    all segments              0.5         0.175
    >>> table.attrs["recommended"]
    'discount by importance'
    """
    if not 0 <= lift <= 1:
        raise ValueError(f"lift must lie in [0, 1] (a share: 10 % is 0.1); got {lift!r}")
    expected, policies = _policy_targets(clv, discount=discount, top=top, periods=periods)
    labels = segments.reindex(clv.index).astype(object).fillna("(none)")
    order = list(dict.fromkeys(segments.astype(object))) + ["(none)"]
    value = clv["clv_discounted"].astype("float64")
    parts: dict[str, pd.Series] = {}
    attrs: dict[str, dict[str, float]] = {}
    for name, prefix in zip(POLICIES, ("importance", "lapsing"), strict=True):
        who, rate = policies[name]
        cost = (expected * rate).where(who, 0.0)
        won = (value * lift).where(who, 0.0)
        parts[f"{prefix}_customers"] = who.astype("int64").groupby(labels).sum()
        parts[f"{prefix}_cost"] = cost.groupby(labels).sum()
        parts[f"{prefix}_value_won"] = won.groupby(labels).sum()
        parts[f"{prefix}_net_value"] = parts[f"{prefix}_value_won"] - parts[f"{prefix}_cost"]
        target = float(value[who].sum())
        attrs[name] = {
            "customers": int(who.sum()),
            "cost": float(cost.sum()),
            "net_value": float(won.sum() - cost.sum()),
            "break_even_lift": float(cost.sum()) / target if target > 0 else np.nan,
        }
    table = pd.DataFrame(parts)
    table = table.reindex([s for s in order if s in table.index])
    targeted = table["importance_customers"] + table["lapsing_customers"]
    table = table.loc[targeted > 0]
    # the segments most targeted first (ties in segment order)
    table = table.iloc[np.argsort(-targeted[targeted > 0].to_numpy(), kind="stable")]
    table.loc["all segments"] = table.sum()
    for col in ("importance_customers", "lapsing_customers"):
        table[col] = table[col].astype("int64")
    table.index.name = "segment"
    best = max(POLICIES, key=lambda p: (attrs[p]["net_value"], -attrs[p]["break_even_lift"]))
    table.attrs.update(
        discount=discount, top=top, periods=periods, lift=lift, policies=attrs, recommended=best
    )
    return table
