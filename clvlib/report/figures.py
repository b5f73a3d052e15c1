"""What the pages show besides their prose: the log in numbers, tables and headline figures.

The facts of the clean log (one query, DataFrame or lazy), the tables a stakeholder reads
(worked example, sensitivity, retention), the headline figures each notebook writes for the
index, and the two composite plots of the comparison.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from clvlib.report.formatting import readable
from clvlib.report.provenance import Facts, _audit_counts
from clvlib.report.winners import measure_winners, winner_words
from clvlib.vocabulary import MEASURES


def log_facts(tx: Any) -> dict[str, Any]:
    """The clean log in numbers, from one query where the log lives (DataFrame or lazy).

    ``first order``, ``last order``, ``lines``, ``purchase lines``, ``return lines``,
    ``orders`` (distinct order ids of purchases), ``customers who bought``, ``gross purchase
    value``, ``returned value`` (positive), ``net value`` and, with a ``cost`` column,
    ``gross profit``.
    """
    from clvlib.data import engine
    from clvlib.data import log as _tx

    if not isinstance(tx, pd.DataFrame) and (known := _FACTS.get(tx.op())) is not None:
        return dict(known)  # the audit's answer and overview of one lazy log: one query
    with _tx.table(tx) as table:
        buy = ~table["is_return"].cast("boolean")
        amount = table["amount"].cast("float64")
        ts = table["timestamp"].cast("timestamp")
        measures = {
            "first order": ts.min(),
            "last order": ts.max(),
            "lines": table.count(),
            "purchase lines": buy.sum(),
            "orders": table["order_id"].nunique(where=buy),
            "customers who bought": table["customer_id"].nunique(where=buy),
            "gross purchase value": amount.sum(where=buy),
            "returned value": -amount.sum(where=~buy),
            "net value": amount.sum(),
        }
        if "cost" in _tx.columns(tx):
            measures["gross profit"] = (amount - table["cost"].cast("float64")).sum()
        names = {f"m{i}": name for i, name in enumerate(measures)}
        query = table.aggregate(**{k: measures[v] for k, v in names.items()})
        row = engine.to_pyarrow(query).to_pylist()[0]
    out = {name: row[k] for k, name in names.items()}
    for money in ("gross purchase value", "returned value", "net value", "gross profit"):
        if money in out:
            out[money] = float(out[money] or 0.0) + 0.0  # never -0
    for count in ("lines", "purchase lines", "orders", "customers who bought"):
        out[count] = int(out[count] or 0)
    out["return lines"] = out["lines"] - out["purchase lines"]
    out["first order"], out["last order"] = map(
        pd.Timestamp, (out["first order"], out["last order"])
    )
    if not isinstance(tx, pd.DataFrame):
        if len(_FACTS) >= 8:
            _FACTS.pop(next(iter(_FACTS)))
        _FACTS[tx.op()] = dict(out)
    return out


#: log_facts of the lazy logs met in this process (an Ibis table is immutable: same op, same
#: rows); a DataFrame is always recomputed (it can be changed in place)
_FACTS: dict[Any, dict[str, Any]] = {}


def data_overview(tx: Any, customers: pd.DataFrame | None = None) -> Facts:
    """The clean log in a few numbers: period, lines, orders, customers, value, returns.

    ``tx`` a DataFrame or the lazy log (:func:`log_facts`). With a customer table, also how
    many customers signed up and how many of them never bought (prospects).
    """
    facts = log_facts(tx)
    order = ["first order", "last order", "lines", "purchase lines", "return lines", "orders",
             "customers who bought", "gross purchase value", "returned value", "net value",
             "gross profit"]  # fmt: skip
    rows: dict[str, Any] = {k: facts[k] for k in order if k in facts}
    if customers is not None:
        buyers = _buyers(tx)
        rows["customers in the customer table"] = len(customers)
        rows["prospects (signed up, never bought)"] = int((~customers.index.isin(buyers)).sum())
    return Facts(rows)  # formatted for display by clvlib.report.formatting (money, counts, dates)


def _buyers(tx: Any) -> pd.Index:
    """The customers with a purchase line in ``tx`` (DataFrame or lazy)."""
    from clvlib.data import engine
    from clvlib.data import log as _tx

    with _tx.table(tx) as table:
        ids = table.filter(~table["is_return"].cast("boolean")).select("customer_id").distinct()
        return pd.Index(engine.to_pyarrow(ids)["customer_id"].to_numpy(zero_copy_only=False))


def audit_figures(audit: Any) -> dict[str, Any]:
    """Headline figures of a load audit: rows read, kept, netted, dropped (count and share)."""
    by_outcome = _audit_counts(audit)
    total = by_outcome["rows read"]
    out = dict(by_outcome)
    out["share of rows dropped"] = by_outcome["rows dropped"] / total if total else 0.0
    return out


def group_column(
    summary: pd.DataFrame, *, max_groups: int = 8, min_share: float = 0.01
) -> str | pd.Series:
    """What to break value down by: the acquisition ``channel``, else ``country``.

    Small groups say nothing (three customers of one country can all be top-tier): groups
    with fewer than ``min_share`` of the customers, and beyond the ``max_groups`` largest,
    are pooled as "other". Returns the column name when no pooling is needed, else the
    pooled labels. A log with neither column gets one group, "all customers", so that the
    same tables and plots still render.
    """
    for column in ("channel", "country"):
        if column in summary.columns:
            labels = summary[column].astype("string").fillna("(unknown)")
            counts = labels.value_counts()
            keep = counts[counts >= min_share * len(labels)].index[:max_groups]
            if len(keep) == len(counts):
                return column
            return labels.where(labels.isin(keep), "other").rename(column)
    return pd.Series("all customers", index=summary.index, name="group")


def worked_example() -> pd.DataFrame:
    """The seeds' worked example (AOV 90, 3 purchases, CAC 6, margin 20 %), both CAC conventions.

    One row per variant of the simple CLV: the seeds' formula (52.80) and the CAC paid after
    the margin (48.00), computed by :func:`~clvlib.methods.heuristic.clv_simple` and
    :func:`~clvlib.methods.heuristic.clv_simple_cac_after_margin`, so the page shows the code's
    result.
    """
    from clvlib.methods.formulas import clv_simple, clv_simple_cac_after_margin

    levers = {"aov": 90.0, "purchases": 3, "cac": 6.0, "margin": 0.2}
    return pd.DataFrame(
        {
            "formula": [
                "[(AOV x purchases) − CAC] x margin = [(90 x 3) − 6] x 0.2",
                "AOV x purchases x margin − CAC = 90 x 3 x 0.2 − 6",
            ],
            "clv": [clv_simple(**levers), clv_simple_cac_after_margin(**levers)],
        },
        index=pd.Index(["the seeds' formula", "CAC after the margin"], name="variant"),
    )


def sensitivity_table(sensitivity: pd.DataFrame) -> pd.DataFrame:
    """:func:`~clvlib.methods.heuristic.clv_sensitivity` as a stakeholder reads it.

    Levers in words, each changed lever value in its own unit (money, purchases, or a margin
    in percent: one column mixes them, so it is shown as text), and the base CLV left to the
    plot's title, where it is said once.
    """
    from clvlib.report.formatting import format_value

    names = {
        "aov": ("average order value", "money"),
        "purchases": ("purchases", "number"),
        "cac": ("acquisition cost (CAC)", "money"),
        "margin": ("margin", "share"),
    }
    kind = sensitivity["lever"].map(lambda lever: names[lever][1])
    values = [format_value(v, k) for v, k in zip(sensitivity["lever_value"], kind, strict=True)]
    return pd.DataFrame(
        {
            "lever": sensitivity["lever"].map(lambda lever: names[lever][0]).to_numpy(),
            "change": sensitivity["change"].to_numpy(),
            "lever_value": values,
            "clv": sensitivity["clv"].to_numpy(),
            "delta": sensitivity["delta"].to_numpy(),
            "delta_pct": sensitivity["delta_pct"].to_numpy(),
        }
    )


def discount_analysis(tx: Any, summary: pd.DataFrame, clv: pd.Series) -> Any:
    """:func:`~clvlib.methods.heuristic.discount_shoppers`, or a note when the log has no flag.

    The ``discounted`` flag is optional in an order log (UCI Online Retail has none); the
    report then says so instead of showing an empty table.
    """
    from clvlib.methods.analyses import discount_shoppers

    if "discounted" not in tx.columns:
        return Facts({"discount shoppers": "needs the log's 'discounted' flag (absent here)"})
    return discount_shoppers(tx, summary, clv)


def heuristic_retention(model: Any, clv: pd.DataFrame, summary: pd.DataFrame) -> Facts:
    """The survival estimate behind the heuristic CLV, and a sanity check of its lifetime.

    ``model`` a fitted :class:`~clvlib.methods.heuristic.HeuristicCLV`, ``clv`` its ``predict_clv``
    on ``summary``. The lifetime multiple is mean ``clv_lifetime`` over the mean margin of one
    year at the customers' current rate (``margin_per_period x p_active x 12`` months): below
    1 the model would expect the average customer to leave within the year (a red flag).
    With one survival rate for everybody the multiple is the expected lifetime in years; it
    is shown in these words because that is how a stakeholder checks a CLV.
    """
    estimate = model.survival_
    months = model.expected_lifetime_ * model.period_days_ / (365.25 / 12)
    periods_per_year = 365.25 / model.period_days_
    one_year = (clv["margin_per_period"] * clv["p_active"]).mean() * periods_per_year
    multiple = float(clv["clv_lifetime"].mean() / one_year) if one_year > 0 else float("nan")
    return Facts(
        {
            "period": model.period,
            "lapse threshold L (periods without a purchase)": int(estimate.lapse_periods),
            "alive customer-periods observed": int(estimate.alive_periods),
            "lapses observed": int(estimate.lapses),
            "survival rate s per period": float(estimate.rate),
            "expected lifetime (months)": float(months),
            "expected lifetime (years)": float(months / 12),
            "mean lifetime CLV": float(clv["clv_lifetime"].mean()),
            "mean margin of one year": float(one_year),
            "sanity check": f"lifetime CLV is {multiple:.2f} x one year of spend (margin)"
            + (" - below one year: a red flag" if multiple < 1 else ""),
        }
    )


def heuristic_figures(
    summary: pd.DataFrame,
    tiers: pd.Series,
    lorenz: Any,
    clv: pd.DataFrame,
    calibration: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """Headline figures of the heuristic CLV report: concentration and mean CLV.

    ``tiers`` from :func:`~clvlib.methods.heuristic.value_tiers`, ``lorenz`` from
    :func:`~clvlib.methods.heuristic.lorenz_curve` of the same value, ``clv`` from
    ``HeuristicCLV.predict_clv`` (the survival-based, calibrated model), ``calibration``
    from :func:`heuristic_holdout_check` (adds the holdout's predicted / realised ratio).
    """
    from clvlib.methods.tiers import tier_table

    shares = tier_table(summary, tiers)["share_of_value"]
    return {
        "customers": len(summary),
        f"share of value, {shares.index[0]}": float(shares.iloc[0]),
        f"share of value, {shares.index[-1]}": float(shares.iloc[-1]),
        "Gini of value": float(lorenz.gini),
        "mean discounted CLV": float(clv["clv_discounted"].mean()),
        **(
            {"holdout forecast / realised": float(calibration.attrs["ratio"])}
            if calibration is not None
            else {}
        ),
    }


def segment_figures(table: pd.DataFrame) -> dict[str, Any]:
    """Headline figures of the RFM report, from :func:`~clvlib.methods.rfm.segment_table`."""
    filled = table[table["customers"] > 0]
    return {
        "segments with customers": len(filled),
        "largest segment": str(filled["customers"].idxmax()),
        "segment carrying most value": str(filled["value_share"].idxmax()),
        "its share of value": float(filled["value_share"].max()),
    }


def cluster_figures(choice: Any, profiles: pd.DataFrame) -> dict[str, Any]:
    """Headline figures of the k-means report, from ``choose_k`` and ``cluster_profiles``."""
    best = profiles.iloc[0]  # label 0 is the most valuable cluster
    return {
        "recommended k": int(choice.recommended_k),
        "discovered types (silhouette beats a featureless Gaussian by 0.1)": bool(
            choice.discovered
        ),
        "clusters used": len(profiles),
        "most valuable cluster": str(best.get("name", profiles.index[0])),
        "its share of customers": float(best["customer_share"]),
        "its share of value": float(best["value_share"]),
    }


def cluster_table(profiles: pd.DataFrame, *, time_unit: str = "D") -> pd.DataFrame:
    """The clusters as a manager reads them: size, shares and the typical customer, in words.

    One row per cluster of :func:`~clvlib.methods.cluster_profiles.cluster_profiles`, by
    name, the most valuable first: customers, share of customers and of value, and the
    typical customer (the medians: time since the last order in ``time_unit``, orders, net
    value). The means and the other columns stay in ``profiles`` (the analysts' table).
    """
    from clvlib.report.formatting import PERIOD_WORDS

    unit = PERIOD_WORDS.get(time_unit, time_unit)
    out = pd.DataFrame(
        {
            "customers": profiles["n_customers"],
            "share_of_customers": profiles["customer_share"],
            "share_of_value": profiles["value_share"],
        }
    )
    typical = {
        f"typical_{unit}_since_last_order": "median_since_last_order",
        "typical_orders": "median_n_orders",
        "typical_net_value": "median_total_value",
    }
    for column, source in typical.items():
        if source in profiles.columns:
            values = profiles[source]
            out[column] = values if column == "typical_net_value" else values.round().astype(int)
    names = profiles["name"] if "name" in profiles.columns else profiles.index.astype(str)
    return out.set_axis(pd.Index(names, name="cluster"))


def cumulative_transactions(comparison: Any, tx: Any) -> Any:
    """:func:`~clvlib.report.plotting.plot_cumulative_transactions` of a DataFrame or a lazy log.

    The figure counts distinct purchase periods per customer; of a lazy log only those
    periods come back (:func:`~clvlib.data.summary.active_periods`), one line per period, not the
    log's lines.
    """
    from clvlib.data.summary import active_periods
    from clvlib.report.plotting._btyd import plot_cumulative_transactions

    if not isinstance(tx, pd.DataFrame):
        p = comparison.params
        unit = {"D": "D", "W": "W", "M": "M"}[p["time_unit"]]
        periods = active_periods(tx, observation_end=pd.Timestamp(p["holdout_end"]), period=unit)
        tx = pd.DataFrame(
            {
                "customer_id": periods["customer_id"],
                "timestamp": periods["period"].dt.start_time,
                "is_return": False,
            }
        )
    return plot_cumulative_transactions(comparison, tx)


def comparison_figures(comparison: Any, rolling: Any = None) -> dict[str, Any]:
    """Headline figures of the comparison: the verdicts on ranking, top 20 % and buying again.

    The winner of each measure by the one winner rule over the report's cut-off and the
    rolling origins ``rolling`` (:func:`~clvlib.report.winners.measure_winners`), as the
    executive summary names it; then each reference's Spearman at the report's cut-off.
    """
    from clvlib.compare.comparison import METHODS

    out: dict[str, Any] = {"customers compared": int(comparison.params["n_customers"])}
    out |= _winner_figures(comparison, rolling)
    spearman = comparison.wide()["spearman"]
    for method, spec in METHODS.items():
        if spec.kind == "reference":
            out[f"{spec.label} reference (Spearman)"] = float(spearman[method])
    return out


def executive_figures(
    summary: pd.DataFrame, comparison: Any, rolling: Any = None
) -> dict[str, Any]:
    """Headline figures of the executive summary: concentration and the winner of each measure.

    The winners as :func:`comparison_figures` names them (the one winner rule over the
    report's cut-off and the rolling origins ``rolling``).
    """
    from clvlib.methods.tiers import tier_table, value_tiers

    shares = tier_table(summary, value_tiers(summary))["share_of_value"]
    return {
        "customers": len(summary),
        f"share of value, {shares.index[0]}": float(shares.iloc[0]),
        **_winner_figures(comparison, rolling),
    }


def _winner_figures(comparison: Any, rolling: Any) -> dict[str, str]:
    """Per measure, its headline label and the winner in words ("no clear winner (...)")."""
    answers = measure_winners(comparison, rolling)
    return {MEASURES[metric].headline: readable(winner_words(a)) for metric, a in answers.items()}


def _contenders() -> tuple[str, ...]:
    """The methods a report compares (kind "method" in the registry); the rest are references."""
    from clvlib.compare.registry import CONTENDERS

    return CONTENDERS


def decile_figures(comparison: Any) -> Any:
    """Predicted vs realised holdout value by decile, one panel per available money forecast.

    :func:`clvlib.compare.metrics.decile_calibration` drawn by
    :func:`clvlib.report.plotting.plot_decile_calibration`; returns the Figure.
    """
    import matplotlib.pyplot as plt

    from clvlib.compare.comparison import METHODS
    from clvlib.compare.metrics import decile_calibration
    from clvlib.report.plotting._calibration import plot_decile_calibration

    scores = comparison.scores
    money = [m for m, s in METHODS.items() if s.money and scores[m].notna().all()]
    columns = min(3, len(money))
    rows = -(-len(money) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(5.5 * columns, 4.2 * rows), squeeze=False)
    for ax, method in zip(axes.flat, money, strict=False):
        table = decile_calibration(scores[method], scores["holdout_value"])
        ratio = table.attrs.get("ratio", float("nan"))
        title = f"{METHODS[method].label}: predicted / realised {ratio:.2f}"
        plot_decile_calibration(table, ax=ax, title=title)
    for ax in list(axes.flat)[len(money) :]:
        ax.set_axis_off()
    fig.tight_layout()
    return fig
