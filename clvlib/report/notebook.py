"""Helpers the report notebooks call, so that a notebook stays one clvlib call per cell.

Reached as ``clvlib.notebook`` (not the top-level namespace): these functions take the
report parameters and return what a report page shows (Markdown, tables, headline figures).
The logic they call lives in the rest of the package and is tested there.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from clvlib._version import __version__
from clvlib.data.reading import load_customers
from clvlib.report.formatting import escape_markdown, readable, shown_path
from clvlib.report.provenance import Facts, _audit_counts, file_sha256, provenance

#: set by the report runner in its kernels (clvlib.report.runner.RUNNER_ENV): not a run by hand
RUNNER_ENV = "CLVLIB_REPORT_RUNNER"

__all__ = [
    "worked_example",
    "sensitivity_table",
    "audit_answer",
    "audit_figures",
    "average_levers",
    "cluster_answer",
    "cluster_figures",
    "comparison_answer",
    "comparison_caveats",
    "comparison_figures",
    "cumulative_transactions",
    "comparison_k",
    "data_overview",
    "decile_figures",
    "discount_analysis",
    "executive_figures",
    "executive_summary",
    "export_path",
    "fit_clusters",
    "group_column",
    "group_heading",
    "heuristic_answer",
    "heuristic_clv_frame",
    "heuristic_figures",
    "heuristic_holdout_check",
    "heuristic_model",
    "heuristic_retention",
    "load_customers",
    "load_data",
    "log_facts",
    "shared_log",
    "cache_path",
    "data_fingerprint",
    "notebook_display",
    "predicted_clv",
    "provenance",
    "rolling_comparison",
    "rule_set_coverage",
    "run_comparison",
    "save_headline",
    "segment_answer",
    "segment_customers",
    "segment_figures",
    "simulated_truth",
]


def notebook_display(precision: int = 3) -> None:
    """Display settings of the report notebooks: one formatter for every table and value.

    Installs :func:`clvlib.report.formatting.install`: DataFrames, Series, dicts, tuples, paths and
    scalars are shown as formatted HTML (money, percentages, no scientific notation, escaped
    text, full cells). The plain-text fallbacks (the analysts' view) show ``precision``
    decimals and every column, and figures are drawn at a size that reads in the HTML reports.
    """
    import matplotlib as mpl
    from IPython import get_ipython

    from clvlib.report import formatting as present

    pd.set_option("display.precision", precision)
    pd.set_option("display.max_columns", None)
    pd.set_option("display.max_colwidth", None)
    pd.set_option("display.width", 120)
    mpl.rcParams.update({"figure.figsize": (8.0, 4.5), "figure.dpi": 100})
    shell = get_ipython()
    if shell is not None:
        shell.run_line_magic("precision", str(precision))
        present.install(shell)


def load_data(
    params: Mapping[str, Any], *, share: bool = True
) -> tuple[Any, Any, pd.DataFrame | None]:
    """Load the order log (and customer table) the parameters point at.

    Returns ``(tx, audit, customers)``: the clean log, the :class:`~clvlib.data.reading.LoadAudit`
    accounting for every input row, and the customer table (``None`` when
    ``customers_path`` is ''). The loader keys of the parameters (``columns``, ``sep``,
    ``encoding``, ``date_format``, ``sheet_name``, ``drop_duplicates``) are passed on. Checks
    that ``calibration_end`` and ``holdout_end`` fall inside the data, so a report never
    silently scores an empty period.

    The log is loaded lazily (``load_transactions(..., lazy=True)``). In the runner's kernels
    its clean lines are written once per run to a Parquet file under :func:`cache_path`,
    shared by the kernels with the audit: ``tx`` is an ``ibis.Table`` reading that file, so
    that no kernel holds the lines in memory and none repeats the loader's cleaning
    (:func:`shared_log`). Outside them (a notebook run by hand), or with ``share=False`` (the
    runner's one check of the data, before any kernel), ``tx`` is the loader's lazy table.
    ``data_format: online_retail`` (a fixed-size public file) is loaded as a DataFrame.
    """
    from clvlib.data import log as _tx
    from clvlib.data import reading as io
    from clvlib.report.params import loader_options

    path = params["data_path"]
    if params["data_format"] == "online_retail":
        tx, audit = io.load_online_retail(path)
    else:
        options = loader_options(params)
        if share and os.environ.get(RUNNER_ENV):  # a run by hand leaves no cache behind
            tx, audit = shared_log(
                params,
                key=[file_sha256(path), options],
                load=lambda: io.load_transactions(path, lazy=True, **options),
            )
        else:
            tx, audit = io.load_transactions(path, lazy=True, **options)
    customers = load_customers(params["customers_path"]) if params["customers_path"] else None
    span = _tx.stats(tx)
    first, last = span["first"].normalize(), span["last"].normalize()
    cal, hold = pd.Timestamp(params["calibration_end"]), pd.Timestamp(params["holdout_end"])
    source = getattr(params, "source", None)  # the runner's Params: relative to its file
    shown = shown_path(path, Path(source).parent if source else None)
    if not first <= cal < last:
        raise ValueError(
            f"calibration_end {cal.date()} is outside the data ({shown}: {first.date()} to "
            f"{last.date()}); choose a day between the first and the last order"
        )
    if hold > last:
        raise ValueError(
            f"holdout_end {hold.date()} is after the last order in {shown} ({last.date()}): the "
            "holdout would count days without data; set holdout_end to at most that day"
        )
    return tx, audit, customers


def shared_log(params: Mapping[str, Any], *, key: Any, load: Any) -> tuple[Any, Any]:
    """The clean log and its audit, loaded once per run and shared by the report kernels.

    ``load()`` returns ``(tx, audit)`` with ``tx`` lazy. The first kernel to ask runs it,
    writes the clean lines to Parquet and the audit (a few kB) beside them under
    :func:`cache_path`, named from ``key`` (the data file's SHA-256 and the loader options),
    while holding an exclusive lock; the others wait for the lock and read both. Returns an
    ``ibis.Table`` reading the Parquet file (lines keep their input row number ``row``, so
    ``clvlib.data.reading.to_frame`` gives the eager load's DataFrame) and the audit.
    """
    import hashlib
    import pickle

    from clvlib.data import engine

    record = json.dumps([key, __version__], sort_keys=True, default=str)
    digest = hashlib.sha256(record.encode()).hexdigest()[:16]
    path = cache_path(params, filename=f"clean_log_{digest}.parquet")
    audit_path = path.with_suffix(".audit.pickle")
    con = engine.connection()
    with _file_lock(path.with_suffix(".lock")):
        if path.is_file() and audit_path.is_file():
            with open(audit_path, "rb") as f:
                audit = pickle.load(f)
        else:
            tx, audit = load()
            with _written(path) as part, engine.exclusive():
                con.to_parquet(tx, part)
            with _written(audit_path) as part, open(part, "wb") as f:
                pickle.dump(audit, f, protocol=pickle.HIGHEST_PROTOCOL)
    with engine.exclusive():
        return con.read_parquet(path), audit


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


def heuristic_model(params: Mapping[str, Any], *, summary: pd.DataFrame) -> Any:
    """:class:`~clvlib.methods.heuristic.HeuristicCLV` configured from the report parameters.

    Monthly survival rate (:func:`~clvlib.methods.heuristic.estimate_survival`); profit from the
    data's costs when the summary has ``gross_profit`` (else ``margin`` x revenue); CAC from
    the customer table's ``cac`` column when present (else the ``cac`` parameter); the
    yearly ``discount_rate`` turned into a monthly one, ``(1 + d) ** (1 / 12) - 1``.
    """
    from clvlib.methods.heuristic import HeuristicCLV

    return HeuristicCLV(
        margin=None if "gross_profit" in summary.columns else params["margin"],
        discount_rate=(1 + params["discount_rate"]) ** (1 / 12) - 1,
        period="M",
        cac="cac" if "cac" in summary.columns else params["cac"],
    )


def average_levers(params: Mapping[str, Any], *, summary: pd.DataFrame) -> dict[str, float]:
    """The four levers of the simple CLV for this shop's average customer.

    AOV = mean ``avg_order_value``, purchases = mean ``n_orders``, CAC = mean ``cac`` of the
    customer table (else the ``cac`` parameter), margin = gross profit / net value where costs
    are known (else the ``margin`` parameter). Keyword arguments of
    :func:`~clvlib.methods.heuristic.clv_sensitivity`.
    """
    if "gross_profit" in summary.columns:
        margin = float(summary["gross_profit"].sum() / summary["total_value"].sum())
    else:
        margin = float(params["margin"])
    cac = float(summary["cac"].mean()) if "cac" in summary.columns else float(params["cac"])
    return {
        "aov": float(summary["avg_order_value"].mean()),
        "purchases": float(summary["n_orders"].mean()),
        "cac": cac,
        "margin": margin,
    }


def worked_example() -> pd.DataFrame:
    """The seeds' worked example (AOV 90, 3 purchases, CAC 6, margin 20 %), both CAC conventions.

    One row per variant of the simple CLV: the seeds' formula (52.80) and the CAC paid after
    the margin (48.00), computed by :func:`~clvlib.methods.heuristic.clv_simple` and
    :func:`~clvlib.methods.heuristic.clv_simple_cac_after_margin`, so the page shows the code's
    result.
    """
    from clvlib.methods.heuristic import clv_simple, clv_simple_cac_after_margin

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


def heuristic_clv_frame(
    params: Mapping[str, Any], *, tx: Any, summary: pd.DataFrame
) -> pd.DataFrame:
    """``HeuristicCLV.predict_clv`` of :func:`heuristic_model`, fitted up to the summary's end.

    The log is cut at ``summary.attrs["observation_end"]`` (``holdout_end`` when absent), so
    the model sees exactly the history the summary describes.
    """
    end = pd.Timestamp(summary.attrs.get("observation_end", params["holdout_end"]))
    from clvlib.data import log as _tx

    model = heuristic_model(params, summary=summary).fit(_tx.upto(tx, end), observation_end=end)
    return model.predict_clv(summary, time_unit=params["time_unit"])


def predicted_clv(params: Mapping[str, Any], *, tx: Any, summary: pd.DataFrame) -> pd.Series:
    """Predicted (discounted, after margin, before CAC) heuristic CLV per customer.

    The ``clv_discounted`` column of :func:`heuristic_clv_frame`, named ``predicted_clv`` so
    that tables never confuse it with historic CLV (value to date).
    """
    return heuristic_clv_frame(params, tx=tx, summary=summary)["clv_discounted"].rename(
        "predicted_clv"
    )


def discount_analysis(tx: Any, summary: pd.DataFrame, clv: pd.Series) -> Any:
    """:func:`~clvlib.methods.heuristic.discount_shoppers`, or a note when the log has no flag.

    The ``discounted`` flag is optional in an order log (UCI Online Retail has none); the
    report then says so instead of showing an empty table.
    """
    from clvlib.methods.heuristic import discount_shoppers

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


def heuristic_holdout_check(
    params: Mapping[str, Any], *, tx: Any, customers: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Predicted vs realised holdout revenue per decile of the heuristic forecast.

    The model of :func:`heuristic_model` is fitted on the log up to ``calibration_end`` and
    forecasts net revenue over the holdout up to ``holdout_end``; the table is
    :func:`~clvlib.compare.metrics.decile_calibration` of that forecast against what each customer
    really spent (``attrs["ratio"]`` the overall ratio, 1 = calibrated).
    """
    from clvlib.compare.metrics import decile_calibration
    from clvlib.data import log as _tx
    from clvlib.data.summary import calibration_holdout

    cal = calibration_holdout(
        tx,
        calibration_end=params["calibration_end"],
        holdout_end=params["holdout_end"],
        time_unit=params["time_unit"],
        customers=customers,
    )
    cal_end = pd.Timestamp(params["calibration_end"])
    summary = cal[[c for c in cal.columns if not c.startswith("holdout")]]
    model = heuristic_model(params, summary=summary).fit(
        _tx.upto(tx, cal_end), observation_end=cal_end
    )
    predicted = model.predict_value(
        summary, horizon=cal.attrs["holdout_length"], time_unit=params["time_unit"]
    )
    return decile_calibration(predicted, cal["holdout_value"])


def _prospects(rule_set: Any, customers: pd.DataFrame | None) -> pd.DataFrame | None:
    """The customer table when the rule set places prospects, else None (it would refuse)."""
    if any(rule.customers == "prospects" for rule in rule_set.rules):
        return customers
    return None


def rule_set_coverage(
    summary: pd.DataFrame, rules: str | Path, customers: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Coverage of a rule set (:func:`~clvlib.methods.rfm.rule_coverage`) on its own scale.

    Scores are quantiles of ``summary`` with as many bins as the rule set's ``scale``, so that
    every shipped rule set can be shown whatever ``n_bins`` the report uses; prospects of the
    customer table are passed when the rule set has a rule for them.
    """
    from clvlib.methods.rfm import RFMScorer, load_rules, rule_coverage

    rule_set = load_rules(rules)
    scores = RFMScorer(n_bins=rule_set.scale).fit_transform(summary)
    return rule_coverage(scores, rule_set, prospects=_prospects(rule_set, customers))


def segment_customers(
    scores: pd.DataFrame, rules: str | Path, customers: pd.DataFrame | None = None
) -> pd.Series:
    """Segments of :func:`~clvlib.methods.rfm.assign_segments`, prospects included where placed.

    The customer table's prospects (signed up, never bought) are passed when the rule set
    has a ``customers: prospects`` rule.
    """
    from clvlib.methods.rfm import assign_segments, load_rules

    rule_set = load_rules(rules)
    return assign_segments(scores, rule_set, prospects=_prospects(rule_set, customers))


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
    from clvlib.methods.heuristic import tier_table

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


def simulated_truth(params: Mapping[str, Any]) -> Any:
    """The simulated shop (its ground truth) when the report runs on the embedded default data.

    Returns the :class:`~clvlib.data.shop.Shop` when ``data_path`` is the default shop's log
    (same bytes as ``data/transactions.csv``), else None: real data has no truth.
    """
    from clvlib.data import shop as datasets

    default = datasets.DATA_DIR / "transactions.csv"
    path = Path(params["data_path"])
    if params["data_format"] != "clvlib" or not default.is_file():
        return None
    if path.resolve() != default.resolve() and file_sha256(path) != file_sha256(default):
        return None
    return datasets.load_default_shop()


def run_comparison(
    params: Mapping[str, Any],
    *,
    tx: Any,
    customers: pd.DataFrame | None,
    truth: Any = None,
) -> Any:
    """:func:`~clvlib.compare.comparison.compare_methods` with the report parameters.

    Calibration and holdout ends, time unit, RFM bins and rules, number of clusters and
    seed all come from ``params``, so every report compares the same thing.
    """
    from clvlib.compare.comparison import compare_methods

    def compare() -> Any:
        with _caveats_in_text():
            return compare_methods(
                tx, truth=truth, customers=customers, **_comparison_settings(params, tx)
            )

    return _shared(params, "comparison", [tx, customers], truth is not None, compare)


#: settings of the comparison that its result depends on (``_comparison_settings``)
_COMPARISON_KEYS = (
    "calibration_end",
    "holdout_end",
    "time_unit",
    "n_bins",
    "rule_set",
    "n_clusters",
    "random_state",
    "bgnbd_penalizer",
    "gg_penalizer",
    "bootstrap_max_customers",
    "k_choice_max_customers",
)


def data_fingerprint(*frames: Any) -> str:
    """SHA-256 of the frames' values, index, column names and dtypes (None counts as absent).

    A lazy log (``ibis.Table``) is fingerprinted where it lives: its schema, its number of
    rows and the sum and XOR of its rows' hashes (one scan; no line comes back).

    The key of the results shared between report kernels: equal fingerprints mean equal
    inputs, whatever file or process they came from.
    """
    import hashlib

    import ibis

    from clvlib.data import engine

    digest = hashlib.sha256()
    for frame in frames:
        if frame is None:
            digest.update(b"none;")
            continue
        if isinstance(frame, ibis.Table):  # a lazy log: row hashes summed where it lives
            row = ibis.struct({c: frame[c] for c in frame.columns}).hash()
            query = frame.aggregate(n=frame.count(), s=row.sum(), x=row.bit_xor())
            digest.update(repr(dict(frame.schema().items())).encode())
            digest.update(repr(engine.to_pyarrow(query).to_pylist()).encode())
            continue
        digest.update(repr([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode())
        digest.update(repr((frame.index.name, str(frame.index.dtype), len(frame))).encode())
        hashed = pd.util.hash_pandas_object(frame, index=True, categorize=False)
        digest.update(hashed.to_numpy().tobytes())
    return digest.hexdigest()


def cache_path(params: Mapping[str, Any], *, filename: str) -> Path:
    """Path of a file shared between the kernels of one run, in ``<output_dir>/.cache/``.

    Beside ``exports/`` (and, like it, under ``scratch/`` for a notebook run by hand): the
    runner's manifest removes it with the run, and the index does not list it.
    """
    folder = export_path(params, filename="_").parent.parent / ".cache"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / filename


@contextlib.contextmanager
def _written(path: Path) -> Iterator[Path]:
    """A temporary path to write ``path``'s content to; moved into place when the block ends.

    Another kernel never reads half a file: it sees the old file, or the whole new one.
    """
    part = path.with_name(f"{path.name}.{os.getpid()}.part")
    yield part
    os.replace(part, path)


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (POSIX ``flock``; elsewhere no lock)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: each kernel computes its own
        yield
        return
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _shared(
    params: Mapping[str, Any],
    kind: str,
    frames: list[pd.DataFrame | None],
    extra: Any,
    compute: Any,
) -> Any:
    """``compute()``, computed once per run for equal inputs and shared between kernels.

    Keyed by :func:`data_fingerprint` of ``frames``, the parameters that matter
    (``_COMPARISON_KEYS``), ``extra`` and the clvlib version; pickled under
    :func:`cache_path` while an exclusive lock is held, so that a kernel asking for a result
    another kernel is computing waits for it instead of computing it twice.
    """
    import hashlib
    import pickle

    settings = {k: _param(params, k) for k in _COMPARISON_KEYS}
    record = [kind, data_fingerprint(*frames), settings, repr(extra), __version__]
    key = hashlib.sha256(json.dumps(record, sort_keys=True, default=str).encode()).hexdigest()
    path = cache_path(params, filename=f"{kind}_{key[:16]}.pickle")
    with _file_lock(path.with_suffix(".lock")):
        if path.is_file():
            with open(path, "rb") as f:
                stored_key, result = pickle.load(f)
            if stored_key == key:
                return result
        result = compute()
        with _written(path) as part, open(part, "wb") as f:
            pickle.dump((key, result), f, protocol=pickle.HIGHEST_PROTOCOL)
    return result


@contextlib.contextmanager
def _caveats_in_text() -> Iterator[None]:
    """Silence model-fit warnings that a report states in words (``params["caveats"]``).

    A stakeholder page should not show a Python warning with a file path; the comparison
    keeps each caveat and :func:`executive_summary` / :func:`comparison_caveats` print it.
    """
    from clvlib.methods.btyd import EdgeOfParameterSpaceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EdgeOfParameterSpaceWarning)
        yield


def _comparison_settings(params: Mapping[str, Any], tx: Any) -> dict[str, Any]:
    return {
        "calibration_end": params["calibration_end"],
        "holdout_end": params["holdout_end"],
        "time_unit": params["time_unit"],
        "n_bins": params["n_bins"],
        "rule_set": params["rule_set"],
        "n_clusters": comparison_k(params, tx=tx),
        "random_state": params["random_state"],
        "penalizer": _param(params, "bgnbd_penalizer"),
        "penalizer_gg": _param(params, "gg_penalizer"),
        "bootstrap_max_customers": _param(params, "bootstrap_max_customers"),
        "k_choice_max_customers": _param(params, "k_choice_max_customers"),
    }


def _param(params: Mapping[str, Any], name: str) -> Any:
    """``params[name]``, or the schema's default for parameters added after a file was written."""
    from clvlib.report.params import PARAMS

    return params.get(name, PARAMS[name].default)


def comparison_k(params: Mapping[str, Any], *, tx: Any) -> int:
    """Number of k-means clusters of the comparison and of its rolling origins.

    ``n_clusters``, or for ``"auto"`` :func:`~clvlib.methods.clustering.resolve_n_clusters` on the
    summary at ``calibration_end`` (learned on calibration only, like every method). The
    choice is kept in ``<output_dir>/exports/`` keyed by the SHA-256 of the summary, so that
    the reports rendered in other processes (executive summary, comparison) choose once.
    """
    from clvlib.data.summary import customer_summary
    from clvlib.methods.clustering import resolve_n_clusters

    if params["n_clusters"] != "auto":
        return int(params["n_clusters"])
    summary = customer_summary(
        tx, observation_end=params["calibration_end"], time_unit=params["time_unit"]
    )
    return resolve_n_clusters(
        "auto",
        summary,
        random_state=params["random_state"],
        cache_dir=export_path(params, filename="k_choice").parent,
        max_customers=_param(params, "k_choice_max_customers"),
    )


def fit_clusters(params: Mapping[str, Any], *, summary: pd.DataFrame, choice: Any) -> Any:
    """Fit :class:`~clvlib.CustomerClusterer` with the parameters' number of clusters.

    ``n_clusters``, or for ``"auto"`` the recommended k of ``choice`` (:func:`~clvlib.choose_k`
    on ``summary``).
    """
    from clvlib.methods.clustering import CustomerClusterer

    k = choice.recommended_k if params["n_clusters"] == "auto" else int(params["n_clusters"])
    return CustomerClusterer(n_clusters=k, random_state=params["random_state"]).fit(summary)


def rolling_comparison(
    params: Mapping[str, Any],
    *,
    tx: Any,
    customers: pd.DataFrame | None,
    truth: Any = None,
    max_cutoffs: int = 3,
) -> Any:
    """Rolling origins (:func:`~clvlib.compare.rolling.rolling_origin`) at quarter ends.

    Each window has the report's holdout length in days; cut-offs are the latest
    ``max_cutoffs`` quarter ends whose window ends by the last order (the report's own split
    included when it is a quarter end). Other settings as :func:`run_comparison`.
    """
    from clvlib.compare.rolling import cutoff_dates, rolling_origin

    settings = _comparison_settings(params, tx)
    cal, hold = pd.Timestamp(settings.pop("calibration_end")), settings.pop("holdout_end")
    horizon = (pd.Timestamp(hold) - cal).days
    cutoffs = cutoff_dates(tx, horizon=horizon, max_cutoffs=max_cutoffs)
    with _caveats_in_text():
        return rolling_origin(
            tx,
            cutoffs=cutoffs,
            horizon=horizon,
            truth=truth,
            customers=customers,
            keep_customers=False,  # the report shows tables and intervals: 1 GB less at 1M
            **settings,
        )


def cumulative_transactions(comparison: Any, tx: Any) -> Any:
    """:func:`~clvlib.report.plotting.plot_cumulative_transactions` of a DataFrame or a lazy log.

    The figure counts distinct purchase periods per customer; of a lazy log only those
    periods come back (:func:`~clvlib.data.summary.active_periods`), one line per period, not the
    log's lines.
    """
    from clvlib.data.summary import active_periods
    from clvlib.report.plotting import plot_cumulative_transactions

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


def comparison_caveats(comparison: Any) -> Any:
    """What a reader must know before trusting a reference: model fits at their limits."""
    from IPython.display import Markdown

    caveats = comparison.params.get("caveats", [])
    if not caveats:
        return Markdown("*No caveats: every model fit converged inside its parameter space.*")
    return Markdown(readable("\n".join(f"- **Caveat.** {c}" for c in caveats)))


def comparison_figures(comparison: Any) -> dict[str, Any]:
    """Headline figures of the comparison: the verdicts on ranking, top 20 % and buying again.

    A winner is named only when the paired bootstrap interval of its margin over the
    runner-up excludes 0; otherwise "no clear winner".
    """
    from clvlib.compare.registry import METHODS
    from clvlib.compare.winner import verdict

    out: dict[str, Any] = {"customers compared": int(comparison.params["n_customers"])}
    for metric, label in (
        ("spearman", "best ranking (Spearman)"),
        ("top20_share", "best top 20 % capture"),
        ("auc", "best at who buys again (AUC)"),
    ):
        out[label] = readable(verdict(comparison, metric, _contenders()))
    spearman = comparison.wide()["spearman"]
    for method, spec in METHODS.items():
        if spec.kind == "reference":
            out[f"{spec.label} reference (Spearman)"] = float(spearman[method])
    return out


def executive_figures(summary: pd.DataFrame, comparison: Any) -> dict[str, Any]:
    """Headline figures of the executive summary: concentration and the ranking verdict."""
    from clvlib.compare.registry import METHODS
    from clvlib.compare.winner import verdict
    from clvlib.methods.heuristic import tier_table, value_tiers

    shares = tier_table(summary, value_tiers(summary))["share_of_value"]
    rank = comparison.winner("spearman", among=_contenders())
    text = verdict(comparison, "spearman", _contenders())
    return {
        "customers": len(summary),
        f"share of value, {shares.index[0]}": float(shares.iloc[0]),
        "method that ranks best": "no clear winner"
        if text.startswith("no clear winner")
        else METHODS[rank.method].label,
        "its Spearman": float(rank.value),
        "ahead of the runner-up by": float(rank.margin),
    }


def _top_verdict(said: str) -> str:
    """The interval part of a verdict: "a clear lead (...)" or "no clear winner (...)"."""
    found = re.search(r"\d+ % paired bootstrap interval [^,;]*", said)
    interval = found.group(0) if found else "no interval"
    if said.startswith("no clear winner"):
        return f"no clear winner ({interval})."
    return f"a clear lead ({interval})."


def _contenders() -> tuple[str, ...]:
    """The methods a report compares (kind "method" in the registry); the rest are references."""
    from clvlib.compare.registry import CONTENDERS

    return CONTENDERS


def _method_lines(comparison: Any) -> list[str]:
    """The verdict bullets of a comparison: ranking winner (or none), top 20 %, references."""
    from clvlib.compare.registry import METHODS
    from clvlib.compare.winner import references_ahead, verdict

    lines: list[str] = []
    contenders = _contenders()
    rank = comparison.winner("spearman", among=contenders)
    top = comparison.winner("top20_share", among=contenders)
    label = {m: spec.label for m, spec in METHODS.items()}
    said = verdict(comparison, "spearman", contenders)
    if said.startswith("no clear winner"):
        lines.append(
            "- **Which method finds tomorrow's valuable customers: no clear winner.** "
            "Ranking customers by what they spent in the holdout, "
            f"{said.removeprefix('no clear winner: ')}."
        )
    else:
        lines.append(
            f"- **Which method finds tomorrow's valuable customers: {label[rank.method]}.** It "
            f"ranks customers by what they spent in the holdout best: {said}."
        )
    lines.append(
        f"- The top 20 % of customers by **{label[top.method]}** brought "
        f"**{_pct(top.value)}** of the holdout value, against {_pct(top.runner_up_value)} for "
        f"the top 20 % by {label[top.runner_up]} (random: 20 %); "
        + _top_verdict(verdict(comparison, "top20_share", contenders))
    )
    wide = comparison.wide()
    references = [m for m, s in METHODS.items() if s.kind == "reference"]
    available = [m for m in references if m not in comparison.params.get("unavailable", {})]
    clear, noise = references_ahead(comparison, "spearman")
    if clear:
        better = "; ".join(f"{label[m]}, Spearman {wide.loc[m, 'spearman']:.3f}" for m in clear)
        lines.append(
            "- **But simpler or model-based references rank better than every method** "
            f"(paired interval against the best method excludes 0): {better}."
        )
    if noise:
        ahead = "; ".join(f"{label[m]}, Spearman {wide.loc[m, 'spearman']:.3f}" for m in noise)
        lines.append(
            f"- References that score above every method, within noise (their interval against "
            f"the best method covers 0): {ahead}."
        )
    if not clear and not noise:
        shown = ", ".join(f"{label[m]} {wide.loc[m, 'spearman']:.3f}" for m in available)
        lines.append(f"- No reference ranks better (Spearman: {shown}).")
    return lines


def executive_summary(summary: pd.DataFrame, comparison: Any) -> Any:
    """The answer, in a few sentences: who matters, how concentrated value is, which method wins.

    ``summary`` is the customer summary of the whole log; ``comparison`` the holdout
    comparison (:func:`run_comparison`). Returns Markdown that a notebook displays. A method
    is named the winner only when its paired bootstrap interval against the runner-up
    excludes 0; otherwise the page says "no clear winner".
    """
    from IPython.display import Markdown

    from clvlib.methods.heuristic import historic_clv, lorenz_curve, tier_table, value_tiers

    value = historic_clv(summary)
    basis = "profit" if value.attrs.get("basis") == "profit" else "net revenue"
    tiers = value_tiers(summary)
    shares = tier_table(summary, tiers)["share_of_value"]
    gini = lorenz_curve(value).gini
    lines = [
        f"- **Who matters.** The best 20 % of the {len(summary):,} customers carry "
        f"**{_pct(shares.iloc[0])}** of the {basis} to date; the bottom 20 % carry "
        f"{_pct(shares.iloc[-1])} (Gini {gini:.2f})."
    ]
    group = group_column(summary)
    name = group if isinstance(group, str) else group.name
    if name != "group":
        by = tier_table(summary, tiers, by=group)["share_of_customers"]
        top = by.xs(shares.index[0], level=-1).drop("other", errors="ignore")
        if len(top) > 1:
            best, worst = escape_markdown(top.idxmax()), escape_markdown(top.idxmin())
            lines.append(
                f"- **Where they come from.** By {name}, the largest share of top-tier "
                + (
                    f"customers comes through **{best}** ({_pct(top.max())} of its customers), "
                    f"the smallest through {worst} ({_pct(top.min())})."
                    if name == "channel"  # customers come through a channel, live in a country
                    else f"customers is among those from **{best}** ({_pct(top.max())} of its "
                    f"customers), the smallest among those from {worst} ({_pct(top.min())})."
                )
            )
    lines += _method_lines(comparison)
    lines += [f"- **Caveat.** {c}" for c in comparison.params.get("caveats", [])]
    p = comparison.params
    lines.append(
        f"\n*Holdout comparison: methods fitted to {p['calibration_end']}, judged on what "
        f"{p['n_customers']:,} customers did up to {p['holdout_end']}.*"
    )
    return Markdown(readable("\n".join(lines)))


def decile_figures(comparison: Any) -> Any:
    """Predicted vs realised holdout value by decile, one panel per available money forecast.

    :func:`clvlib.compare.metrics.decile_calibration` drawn by
    :func:`clvlib.report.plotting.plot_decile_calibration`; returns the Figure.
    """
    import matplotlib.pyplot as plt

    from clvlib.compare.metrics import decile_calibration
    from clvlib.compare.registry import METHODS
    from clvlib.report.plotting import plot_decile_calibration

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


def export_path(params: Mapping[str, Any], *, filename: str) -> Path:
    """Path of an export (segment list, metrics JSON) in ``<output_dir>/exports/``.

    A notebook run by hand (not by the report runner) with the default ``output_dir`` writes
    to ``<output_dir>/scratch/exports/`` instead, so that it never overwrites the exports
    and headline figures behind a rendered ``index.html``. Set ``output_dir`` to write
    elsewhere.
    """
    folder = Path(params["output_dir"])
    if not os.environ.get(RUNNER_ENV) and folder.resolve() == _default_output_dir():
        folder = folder / "scratch"
    folder = folder / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / filename


def _default_output_dir() -> Path:
    """The schema's default ``output_dir``, resolved as a notebook resolves it (its folder)."""
    from clvlib.report.params import PARAMS

    return (Path.cwd() / PARAMS["output_dir"].default).resolve()


def save_headline(params: Mapping[str, Any], *, notebook: str, figures: Mapping[str, Any]) -> Facts:
    """Write a notebook's headline figures for ``index.html`` and return them as a table.

    ``figures`` maps a label a stakeholder reads ("customers", "top 20 % share of value") to
    a number or a short text; it is written as ``exports/headline_<notebook>.json``.
    """
    clean = {str(k): _plain(v) for k, v in figures.items()}
    path = export_path(params, filename=f"headline_{notebook}.json")
    path.write_text(json.dumps({"notebook": notebook, "figures": clean}, indent=2) + "\n")
    return Facts(clean, label="figure")


def _plain(value: Any) -> Any:
    """A JSON-ready scalar (numpy and pandas scalars become Python ones)."""
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise TypeError(f"headline figure {value!r} is not a number or a text")


# ------------------------------------------------------------------ answers and headings
#
# Each report opens with its answer (cells tagged ``answer``): 3-5 bullet sentences with the
# figures, built here from the same objects the evidence below shows, data strings escaped.


def _money(value: float) -> str:
    from clvlib.report.formatting import format_value

    return format_value(float(value), "money")


def _pct(share: float) -> str:
    """A share as a whole percentage ("62 %"), never "-0 %"."""
    text = f"{100 * float(share):.0f} %"
    return "0 %" if text == "-0 %" else text


def _bullets(lines: list[str]) -> Any:
    from IPython.display import Markdown

    return Markdown(readable("\n".join(f"- {line}" for line in lines)))


def audit_answer(audit: Any, tx: Any) -> Any:
    """The answer of the data audit: rows accounted for, what was dropped and why, what is left.

    ``audit`` the :class:`~clvlib.data.reading.LoadAudit` of ``tx``. Returns Markdown bullets.
    """
    table = audit.table()
    counts = _audit_counts(audit)
    total = counts["rows read"]
    reasons = table[(table["outcome"] == "dropped") & (table["rows"] > 0)]
    facts = log_facts(tx)
    lines = [
        f"**Every row accounted for.** Of {total:,} rows read, {counts['rows kept']:,} "
        f"({_pct(counts['rows kept'] / total)}) are kept as purchases, "
        f"{counts['rows netted']:,} ({_pct(counts['rows netted'] / total)}) are returns netted "
        "against purchases and "
        + (
            f"{counts['rows dropped']:,} ({_pct(counts['rows dropped'] / total)}) are dropped."
            if counts["rows dropped"]
            else "no row is dropped."
        ),
    ]
    if len(reasons):
        top = reasons.sort_values("rows", ascending=False).iloc[0]
        lines.append(
            f"**Largest reason to drop a row:** {escape_markdown(top['reason'])} "
            f"({int(top['rows']):,} rows, value {_money(top['value'])}); "
            f"{len(reasons)} reason(s) in all, listed below with example rows."
        )
    orders = (
        f"{facts['orders']:,} orders"
        if "order_id" in getattr(audit, "columns", {"order_id": None})
        else f"{facts['purchase lines']:,} purchases (the file has no order id: one row, one order)"
    )
    lines.append(
        f"**What the reports use:** {facts['customers who bought']:,} customers, "
        f"{orders}, from {facts['first order']:%Y-%m-%d} to {facts['last order']:%Y-%m-%d}, "
        f"net value {_money(facts['net value'])} after returns."
    )
    lines.append(
        "**What to do:** nothing if the dropped rows are the ones you expect; otherwise look "
        "them up in the raw file by the row numbers below before trusting the other reports."
    )
    return _bullets(lines)


def group_heading(summary: pd.DataFrame, title: str, text: str, *, level: int = 2) -> Any:
    """A by-group section's heading and first sentence, worded for the data's groups.

    ``title`` and ``text`` say ``{group}`` / ``{groups}`` where the group is named: the
    acquisition "channel" when the data has one, else "country" (:func:`group_column`). With
    a single group (no channel or country, or only one value) the section has nothing to
    compare: the heading stays and the sentence says why, so the page never shows "which
    channels" over one bar.
    """
    from IPython.display import Markdown

    group = group_column(summary)
    values = summary[group] if isinstance(group, str) else group
    name = group if isinstance(group, str) else str(group.name)
    hashes = "#" * level
    if name == "group" or values.nunique(dropna=False) < 2:
        where = "no channel or country column" if name == "group" else f"a single {name}"
        heading = title.format(group="group", groups="groups").capitalize()
        return Markdown(
            f"{hashes} {heading}\n\n*Nothing to compare here: the data has {where}, so the "
            "table and figure below show all customers as one group.*"
        )
    words = {
        "group": name,
        "groups": f"{name.removesuffix('y')}ies" if name.endswith("y") else f"{name}s",
    }
    heading = title.format(**words)
    return Markdown(f"{hashes} {heading[0].upper()}{heading[1:]}\n\n{text.format(**words)}")


def heuristic_answer(
    params: Mapping[str, Any],
    *,
    summary: pd.DataFrame,
    clv: pd.DataFrame,
    calibration: pd.DataFrame | None = None,
) -> Any:
    """The answer of the heuristic CLV report: who matters, what they are worth, can it be trusted.

    ``clv`` from ``HeuristicCLV.predict_clv`` on ``summary``; ``calibration`` from
    :func:`heuristic_holdout_check` (the forecast against the realised holdout). Returns
    Markdown bullets; group names are escaped.
    """
    from clvlib.methods.heuristic import historic_clv, lorenz_curve, tier_table, value_tiers

    value = historic_clv(summary)
    basis = "profit" if value.attrs.get("basis") == "profit" else "net revenue"
    tiers = value_tiers(summary)
    shares = tier_table(summary, tiers)["share_of_value"]
    predicted = clv["clv_discounted"].reindex(summary.index)
    by_tier = predicted.groupby(tiers, observed=True).mean()
    lines = [
        f"**Who matters.** The best 20 % of the {len(summary):,} customers carry "
        f"**{_pct(shares.iloc[0])}** of the {basis} to date, the bottom 20 % "
        f"{_pct(shares.iloc[-1])} (Gini {lorenz_curve(value).gini:.2f}).",
        f"**What they are worth.** Predicted CLV (discounted margin to come, before "
        f"acquisition cost) averages **{_money(predicted.mean())}** per customer, "
        f"{_money(predicted.sum())} in all; {_money(by_tier.iloc[0])} for a top-tier "
        f"customer against {_money(by_tier.iloc[-1])} at the bottom.",
    ]
    if calibration is not None:
        ratio = float(calibration.attrs["ratio"])
        way = "over" if ratio > 1 else "under"
        lines.append(
            f"**Can it be trusted?** Fitted up to {params['calibration_end']}, the same model "
            f"forecast the holdout revenue to {params['holdout_end']} at {ratio:.2f} x what "
            f"customers really spent ({way}-forecast by {_pct(abs(ratio - 1))}): read the "
            "money figures as approximate, the ranking of customers as the firmer result."
        )
    group = group_column(summary)
    name = group if isinstance(group, str) else str(group.name)
    labels = summary[group] if isinstance(group, str) else group
    means = predicted.groupby(labels.reindex(summary.index)).mean().drop("other", errors="ignore")
    if name != "group" and len(means) > 1:
        lines.append(
            f"**Where they come from.** By {name}, customers from "
            f"**{escape_markdown(means.idxmax())}** are worth the most "
            f"({_money(means.max())} predicted CLV on average), those from "
            f"{escape_markdown(means.idxmin())} the least ({_money(means.min())})."
        )
    lines.append(
        "**What to do:** keep the top 20 % (service before discounts), move the middle 60 % "
        "up, and spend acquisition money where the LTV : CAC table below is highest."
    )
    return _bullets(lines)


def segment_answer(params: Mapping[str, Any], *, table: pd.DataFrame) -> Any:
    """The answer of the RFM report: the segments that matter and what to do with them.

    ``table`` from :func:`~clvlib.methods.rfm.segment_table` (its ``action`` column is the
    playbook).
    Returns Markdown bullets; segment names and actions are escaped.
    """
    filled = table[table["customers"] > 0]
    n = int(filled["customers"].sum())
    largest = filled["customers"].idxmax()
    richest = filled["value_share"].idxmax()
    row = filled.loc[richest]
    lines = [
        f"**{len(filled)} segments** of the {escape_markdown(params['rule_set'])} rule set "
        f"hold the {n:,} customers; the largest is **{escape_markdown(largest)}** "
        f"({int(filled.loc[largest, 'customers']):,} customers, "
        f"{_pct(filled.loc[largest, 'customer_share'])}).",
        f"**Where the value is.** **{escape_markdown(richest)}** carry "
        f"**{_pct(row['value_share'])}** of the value to date with "
        f"{_pct(row['customer_share'])} of the customers.",
    ]
    if "predicted_clv_share" in filled.columns:
        future = filled["predicted_clv_share"].idxmax()
        lines.append(
            f"**Where the future value is.** **{escape_markdown(future)}** hold the largest "
            f"share of predicted CLV ({_pct(filled.loc[future, 'predicted_clv_share'])})."
        )
    if "action" in filled.columns:
        lines.append(
            f"**What to do with {escape_markdown(richest)}:** "
            f"{escape_markdown(str(row['action']).rstrip('.'))}. Every customer's segment and "
            "action is in the CRM export "
            f"{escape_markdown(shown_path(export_path(params, filename='segments.csv')))}."
        )
    return _bullets(lines)


def cluster_answer(params: Mapping[str, Any], *, choice: Any, profiles: pd.DataFrame) -> Any:
    """The answer of the k-means report: how many clusters, are they real, which one matters.

    ``choice`` from :func:`~clvlib.methods.clustering.choose_k`, ``profiles`` from
    :func:`~clvlib.methods.clustering.cluster_profiles` (row 0 the most valuable cluster).
    """
    best, worst = profiles.iloc[0], profiles.iloc[-1]
    k = len(profiles)
    how = (
        "the recommended k" if k == choice.recommended_k else f"recommended: {choice.recommended_k}"
    )
    lines = [
        f"**{k} clusters** ({'set by n_clusters' if params['n_clusters'] != 'auto' else 'chosen'}"
        f"; {how}).",
        (
            "**They are real types:** the clusters separate better than the same k-means on "
            "a featureless cloud with the data's spread (silhouette ahead by 0.1 or more)."
            if choice.discovered
            else "**They are a convenient partition, not discovered types:** k-means on a "
            "featureless cloud with the data's spread separates almost as well, so the "
            "borders between clusters are arbitrary cuts of a continuum."
        ),
        f"**Which matters.** The most valuable cluster, "
        f"**{escape_markdown(best.get('name', profiles.index[0]))}**, is "
        f"{_pct(best['customer_share'])} of the customers and carries "
        f"**{_pct(best['value_share'])}** of the value; the least valuable, "
        f"{escape_markdown(worst.get('name', profiles.index[-1]))}, "
        f"{_pct(worst['customer_share'])} of customers and {_pct(worst['value_share'])} of value.",
        "**What to do:** treat the most valuable cluster like the top value tier; for "
        "actions per customer prefer the RFM segments (report 03), whose rules are stable "
        "from one period to the next.",
    ]
    return _bullets(lines)


def comparison_answer(comparison: Any) -> Any:
    """The answer of the method comparison: the verdicts with their intervals, then the caveats.

    Which method ranks tomorrow's valuable customers best (named only when its paired
    bootstrap interval against the runner-up excludes 0), how much of the holdout value its
    top 20 % brought, who buys again (AUC), and whether a reference does better.
    """
    from IPython.display import Markdown

    from clvlib.compare.winner import verdict

    lines = _method_lines(comparison)
    said = verdict(comparison, "auc", _contenders())
    lines.append(f"- **Who buys again (AUC):** {said}.")
    lines += [f"- **Caveat.** {c}" for c in comparison.params.get("caveats", [])]
    p = comparison.params
    lines.append(
        f"\n*Methods fitted to {p['calibration_end']}, judged on what {p['n_customers']:,} "
        f"customers did up to {p['holdout_end']}; a winner is named only when its interval "
        "against the runner-up excludes 0.*"
    )
    return Markdown(readable("\n".join(lines)))


def verdict_across(params: Mapping[str, Any]) -> dict[str, Any]:
    """The verdict across the data sets in ``output_dir`` (:func:`clvlib.compare.verdict.collect`).

    Reads each data set sub-folder's comparison exports, as the multi-data-set runner does.
    """
    from clvlib.compare import verdict

    return verdict.collect(params["output_dir"])


def verdict_sentences(verdict: Mapping[str, Any]) -> Any:
    """The verdict's sentences as a bullet list (data set names escaped)."""
    from IPython.display import HTML

    from clvlib.compare import verdict as vd
    from clvlib.report.formatting import escape_html

    items = "".join(f"<li>{escape_html(line)}</li>" for line in vd.sentences(verdict))
    return HTML(f'<ul class="clv-sentences">{items}</ul>')


def verdict_table(verdict: Mapping[str, Any]) -> pd.DataFrame:
    """The verdict's one table (:func:`clvlib.compare.verdict.table`)."""
    from clvlib.compare import verdict as vd

    return vd.table(verdict)
