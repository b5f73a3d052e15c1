"""What the pages show besides their prose: the log in numbers, tables and headline figures.

The facts of the clean log (one query, DataFrame or lazy), the tables a stakeholder reads
(worked example, sensitivity, retention), the headline figures each notebook writes for the
index, and the two composite plots of the comparison.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from clvlib.methods.analyses import ASSUMED_LIFT
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


def reason_words(text: str) -> str:
    """A reason or label with its code words in words ("after observation end").

    A code of the vocabulary reads as its label, other ``snake_case`` words with spaces.

    Examples
    --------
    >>> reason_words("after observation_end")
    'after observation end'
    """
    import re

    from clvlib.vocabulary import TERMS

    def word(found: re.Match[str]) -> str:
        code = found.group(0)
        return TERMS[code].label if code in TERMS else code.replace("_", " ")

    return re.sub(r"\b[a-z0-9]+(?:_[a-z0-9]+)+\b", word, str(text))


def audit_table(audit: Any) -> pd.DataFrame:
    """Where the input rows went, as a manager reads it: the reasons that occurred, in words.

    :meth:`LoadAudit.table <clvlib.data.audit.LoadAudit.table>` without its codes and without
    the reasons no row had (the full table, codes included, stays in the appendix): outcome,
    reason in words, rows, value (in the page's currency, negative for returns) and share of
    the input rows, then the total.
    """
    table = audit.table()
    shown = table[(table["rows"] > 0) | (table.index == "total")]
    return pd.DataFrame(
        {
            "Outcome": shown["outcome"].to_numpy(),
            "Reason": [reason_words(r) for r in shown["reason"]],
            "Rows": shown["rows"].to_numpy(),
            "Value": shown["value"].to_numpy(),
            "Share of rows": shown["share"].to_numpy(),
        }
    )


def audit_examples(audit: Any) -> pd.DataFrame:
    """The first row numbers of each reason that occurred, the reason in words."""
    from clvlib.data.audit import REASONS

    examples = audit.examples()
    return pd.DataFrame(
        {
            "Reason": [reason_words(REASONS[c][1]) for c in examples],
            "First rows (0 = the first line after the header)": [
                ", ".join(f"{r:,}" for r in rows) for rows in examples.values()
            ],
        }
    )


def customer_audit_facts(audit: Any) -> Facts:
    """A :class:`~clvlib.data.customers.CustomerAudit` in words: what became of each row.

    Rows read and kept, rows of customers of the order log, rows of people who signed up and
    never bought (prospects: no line in the log), rows dropped (by reason), and the
    customers of the log without a row (their sign-up date, channel and CAC are unknown).
    """
    from clvlib.data.customers import CUSTOMER_REASONS

    counts = audit.counts
    rows: dict[str, Any] = {
        "rows in the customer table": int(audit.n_input_rows),
        "rows kept": int(audit.n_kept),
    }
    if audit.log_customers is not None:
        rows["rows of customers who bought (matched to the order log)"] = int(
            counts.get("matched", 0)
        )
        rows["rows of people who signed up and never bought (prospects)"] = int(
            counts.get("not_in_log", 0)
        )
    for code, (outcome, reason) in CUSTOMER_REASONS.items():
        if outcome == "dropped" and counts.get(code):
            rows[f"rows dropped: {reason}"] = int(counts[code])
    if audit.log_customers is not None:
        rows["customers of the order log without a row (sign-up, channel, CAC unknown)"] = int(
            audit.log_without_row or 0
        )
    return Facts(rows, heading="rows")


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
    """The textbook worked example (AOV 90, 3 purchases, CAC 6, margin 20 %), both CAC conventions.

    One row per variant of the simple CLV: the textbook formula (52.80) and the CAC paid after
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
        index=pd.Index(
            ["CAC before the margin (textbook)", "CAC after the margin"], name="variant"
        ),
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


#: a period code of the heuristic model -> (one, several) in words
PERIOD_WORDS = {
    "D": ("day", "days"),
    "W": ("week", "weeks"),
    "M": ("month", "months"),
    "Q": ("quarter", "quarters"),
    "Y": ("year", "years"),
}


def heuristic_retention(model: Any, clv: pd.DataFrame, summary: pd.DataFrame) -> Facts:
    """The survival estimate behind the heuristic CLV, and a sanity check of its lifetime.

    ``model`` a fitted :class:`~clvlib.methods.heuristic.HeuristicCLV`, ``clv`` its ``predict_clv``
    on ``summary``. Every figure in words with its unit: durations in the model's period
    ("months"), money with the page's currency. The lifetime multiple is mean
    ``clv_lifetime`` over the mean margin of one year at the customers' current pace
    (``margin_per_period x p_active`` over a year of periods): below 1 the model would
    expect the average customer to leave within the year (a red flag). With one survival
    rate for everybody the multiple is the expected lifetime in years; it is shown in these
    words because that is how a stakeholder checks a CLV.
    """
    from clvlib.vocabulary import format_number

    one, several = PERIOD_WORDS[model.period]
    estimate = model.survival_
    months = model.expected_lifetime_ * model.period_days_ / (365.25 / 12)
    periods_per_year = 365.25 / model.period_days_
    one_year = float((clv["margin_per_period"] * clv["p_active"]).mean() * periods_per_year)
    lifetime = float(clv["clv_lifetime"].mean())
    multiple = lifetime / one_year if one_year > 0 else float("nan")
    lapse = int(estimate.lapse_periods)
    return Facts(
        {
            "a customer counts as lost after": f"{lapse} {one if lapse == 1 else several} "
            "without a purchase",
            f"customer-{several} observed while still a customer": int(estimate.alive_periods),
            "customers lost in them": int(estimate.lapses),
            f"survival rate per {one} (chance of staying another {one})": float(estimate.rate),
            "expected lifetime": f"{months:,.1f} months ({months / 12:,.1f} years)",
            "predicted lifetime margin per customer (mean)": format_number(lifetime, "money"),
            "margin of one year per customer at today's pace (mean)": format_number(
                one_year, "money"
            ),
            "sanity check": f"the lifetime margin is {multiple:.2f} x the margin of one year"
            + (" - below one year: a red flag" if multiple < 1 else ""),
        }
    )


def channel_table(
    clv: pd.DataFrame, summary: pd.DataFrame, first_profit: pd.Series, *, by: str | pd.Series
) -> pd.DataFrame:
    """:func:`~clvlib.methods.analyses.channel_value` as a manager reads it: one CLV per group.

    The predicted CLV (discounted margin to come, before acquisition cost: the figure of the
    page's answer) beside the first order's profit, the acquisition cost, LTV : CAC and the
    payback in the model's time unit ("payback (months)"). Ratios are written as numbers
    ("3.54"), never as money; money carries the page's currency.
    """
    from clvlib.methods.analyses import channel_value
    from clvlib.vocabulary import format_number

    table = channel_value(clv, summary, first_profit, by=by)
    _, several = PERIOD_WORDS.get(table.attrs.get("period") or "M", ("period", "periods"))
    ratio = lambda column: [format_number(v, "number") for v in table[column]]  # noqa: E731
    out = pd.DataFrame(
        {
            "Customers": table["customers"],
            "Share of customers": table["share_of_customers"],
            "Predicted CLV per customer": table["mean_predicted_clv"],
            "Profit of the first order": table["mean_first_order_profit"],
            "CLV in first orders (x)": ratio("clv_multiple"),
            "Acquisition cost (CAC)": table["mean_cac"],
            "CLV : CAC": ratio("ltv_to_cac"),
            f"Payback ({several})": ratio("payback_periods"),
            "Pays back": table["pays_back"],
        },
        index=table.index,
    )
    out.index.name = table.index.name
    return out


def decile_table(calibration: pd.DataFrame, *, n_bins: int = 10) -> pd.DataFrame:
    """:func:`~clvlib.compare.metrics.decile_calibration` as a manager reads it.

    Customers with the same forecast share a bin, so a large tie (many customers forecast
    nothing) fills several tenths at once: the bin is labelled with the tenths it covers
    ("1–2") instead of leaving a number out. Money with the page's currency, the ratio as a
    number.
    """
    from clvlib.report.plotting._calibration import bin_labels
    from clvlib.vocabulary import format_number

    labels = bin_labels(calibration.index, n_bins)
    out = pd.DataFrame(
        {
            "Customers": calibration["customers"].to_numpy(),
            "Forecast value per customer": calibration["mean_predicted"].to_numpy(),
            "Realised value per customer": calibration["mean_realised"].to_numpy(),
            "Forecast value in all": calibration["total_predicted"].to_numpy(),
            "Realised value in all": calibration["total_realised"].to_numpy(),
            "Forecast / realised": [format_number(v, "number") for v in calibration["ratio"]],
        },
        index=pd.Index(labels, name="Tenth of customers by forecast (1 = lowest)"),
    )
    out.attrs.update(calibration.attrs)
    return out


#: the assumed effect of acting as a segment's playbook says (one definition, in methods)
PLAYBOOK_LIFT = ASSUMED_LIFT


def playbook_table(
    summary: pd.DataFrame,
    rules: str,
    *,
    clv: pd.Series,
    customers: pd.DataFrame | None = None,
    lift: float = PLAYBOOK_LIFT,
) -> pd.DataFrame:
    """A rule set's playbook as a manager reads it: segment, size, worth, action, value of acting.

    Scores on the rule set's own scale (as :func:`~clvlib.report.fitting.rule_set_coverage`,
    so every shipped rule set can be shown whatever ``n_bins`` the report uses), segments
    with the customer table's prospects (:func:`~clvlib.report.fitting.segment_customers`),
    and :func:`~clvlib.methods.segment_tables.segment_playbook` with ``clv`` the predicted
    CLV. The value of acting is the segment's predicted CLV x ``lift``, the assumption named
    in its header.
    """
    from clvlib.methods.rfm import RFMScorer
    from clvlib.methods.rules import load_rules
    from clvlib.methods.segment_tables import segment_playbook
    from clvlib.report.fitting import segment_customers
    from clvlib.vocabulary import format_fixed, format_number, money_unit

    rule_set = load_rules(rules)
    scores = RFMScorer(n_bins=rule_set.scale).fit_transform(summary)
    segments = segment_customers(scores, rule_set, customers)
    table = segment_playbook(
        summary, scores, segments, rules=rule_set, clv=clv, prospects=customers, lift=lift
    )
    out = pd.DataFrame(
        {
            "Customers": table["customers"],
            "Share of customers": table["customer_share"],
            "Historic CLV per customer": table["mean_historic_clv"],
            "Predicted CLV per customer": table["mean_predicted_clv"],
            f"Value of acting ({money_unit()}; predicted CLV x "
            f"{format_fixed(lift, 'whole_percent')})": [
                format_number(v, "money") for v in table["value_of_acting"]
            ],
            "Action": table["action"],
        },
        index=table.index.rename("Segment"),
    )
    out.attrs.update(table.attrs)
    return out


def policy_table(policies: pd.DataFrame) -> pd.DataFrame:
    """:func:`~clvlib.methods.analyses.policies_by_segment` as a manager reads it.

    Per segment and policy: customers targeted, cost and net value (value won at the assumed
    lift minus the cost), money in the page's currency; the assumptions are said by
    :func:`~clvlib.report.answers.policy_recommendation`.
    """
    names = {"importance": "discount by importance", "lapsing": "win back the lapsing"}
    columns = {}
    for prefix, name in names.items():
        columns[f"Customers, {name}"] = policies[f"{prefix}_customers"]
        columns[f"Cost, {name}"] = policies[f"{prefix}_cost"]
        columns[f"Net value, {name}"] = policies[f"{prefix}_net_value"]
    return pd.DataFrame(columns, index=policies.index.rename("Segment"))


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
    from clvlib.vocabulary import money_unit

    scores = comparison.scores
    money = [m for m, s in METHODS.items() if s.money and scores[m].notna().all()]
    columns = min(3, len(money))
    rows = -(-len(money) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(5.5 * columns, 4.2 * rows), squeeze=False)
    for ax, method in zip(axes.flat, money, strict=False):
        table = decile_calibration(scores[method], scores["holdout_value"])
        ratio = table.attrs.get("ratio", float("nan"))
        title = f"{METHODS[method].label}: predicted / realised {ratio:.2f}"
        plot_decile_calibration(table, ax=ax, title=title, currency=money_unit())
    for ax in list(axes.flat)[len(money) :]:
        ax.set_axis_off()
    fig.tight_layout()
    return fig


def lead_intervals(comparison: Any) -> Any:
    """Report 05's one interval figure: each measure a winner is named on, side by side.

    One panel per measure of :data:`~clvlib.vocabulary.MEASURES` (the ranking metrics of
    the one winner rule), drawn by :func:`~clvlib.report.plotting.plot_lead_intervals` from
    :func:`~clvlib.report.winners.behind_the_best`; every panel has the same rows (one per
    method, however many the registry holds). Every pair of methods on every metric is the
    analyst's (:func:`~clvlib.report.plotting.plot_differences`). Returns the Figure.
    """
    import matplotlib.pyplot as plt

    from clvlib.compare.registry import METHODS
    from clvlib.report.plotting._compare import plot_lead_intervals
    from clvlib.report.winners import _level, behind_the_best

    tables = {metric: behind_the_best(comparison, metric) for metric in MEASURES}
    methods = [m for m in METHODS if any(m in t.index for t in tables.values())]
    fig, axes = plt.subplots(
        1, len(tables), figsize=(2.2 + 3.4 * len(tables), 1.6 + 0.36 * len(methods)),
        sharey=True, squeeze=False,
    )  # fmt: skip
    for ax, (metric, table) in zip(axes.flat, tables.items(), strict=True):
        plot_lead_intervals(table, metric=metric, ax=ax, methods=methods, level=_level(comparison))
    fig.suptitle("How far each method is from the best method, measure by measure")
    fig.tight_layout()
    return fig


def key_metrics(comparison: Any) -> Any:
    """Report 05's metric table: the measures a winner is named on and the money forecasts'.

    :func:`~clvlib.report.plotting.plot_metric_table` of
    :data:`~clvlib.report.plotting._compare.STAKEHOLDER_METRICS` (the full matrix is the
    analyst's). Returns the Axes.
    """
    from clvlib.report.plotting._compare import STAKEHOLDER_METRICS, plot_metric_table

    wide = comparison.wide()
    return plot_metric_table(wide, metrics=[m for m in STAKEHOLDER_METRICS if m in wide.columns])


def metric_matrix(comparison: Any) -> pd.DataFrame:
    """Every method on every metric, for the analyst: metrics down, methods across.

    :meth:`~clvlib.compare.comparison.Comparison.wide` turned so that it fits a page however
    many metrics there are (a column per method, labels in words), each row written in its
    metric's unit (:data:`clvlib.vocabulary.METRICS`: a share in percent, money in the
    page's currency) and "n/a" where a method has no value (a ranking has no money forecast).
    """
    from clvlib.report.formatting import format_value
    from clvlib.report.plotting._compare import NOT_APPLICABLE
    from clvlib.vocabulary import METHODS, METRICS, format_fixed, heading, money_unit

    wide = comparison.wide()
    rows = {}
    for metric in wide.columns:
        words = METRICS.get(metric)
        name = heading(words.label) if words else metric
        if words is not None and words.unit == "money":
            name = f"{name} ({money_unit()})"
        unit = words.unit if words is not None else "number"
        percent = words is not None and words.scale == "%"  # already in percent: "+22 %"
        rows[name] = [
            NOT_APPLICABLE
            if pd.isna(v)
            else format_fixed(float(v), words.sentence_unit)
            if percent
            else format_value(float(v), unit)
            for v in wide[metric]
        ]
    labels = [METHODS[m].label if m in METHODS else m for m in wide.index]
    return pd.DataFrame.from_dict(rows, orient="index", columns=labels).rename_axis("metric")


def segment_profile(table: pd.DataFrame) -> pd.DataFrame:
    """The segment table turned on its side: one row per measure, one column per segment.

    The analyst's full profile has a column per measure (about twenty), wider than a page;
    turned, it is as wide as there are segments. Each value is written in its measure's unit
    (money with the page's currency, shares as percentages, counts whole), since a column
    now mixes units.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"customers": [3, 1], "value_share": [0.75, 0.25]},
    ...                      index=pd.Index(["A", "B"], name="segment"))
    >>> segment_profile(table)
    segment                A      B
    measure
    Customers              3      1
    Value share        75.0%  25.0%
    """
    from clvlib.report.formatting import format_value, kind_of, label

    rows = {
        label(column): [format_value(v, kind_of(column), name=column) for v in table[column]]
        for column in table.columns
    }
    out = pd.DataFrame.from_dict(rows, orient="index", columns=[str(s) for s in table.index])
    out.index.name = "measure"
    out.columns.name = table.index.name or "segment"
    return out
