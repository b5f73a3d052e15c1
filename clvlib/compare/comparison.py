"""Which method finds tomorrow's valuable customers? The holdout comparison (domain.md §9).

:func:`compare_methods` splits time at ``calibration_end``. Every method is fitted on the
calibration period only (heuristic retention, RFM quantile edges, k-means centres, BG/NBD and
Gamma-Gamma parameters) and scores every calibration customer; the scores are then judged
against what each customer actually did in the holdout period (calibration_end, holdout_end]
(:func:`clvlib.data.summary.calibration_holdout`), with the metric functions of
:mod:`clvlib.compare.metrics`. The contenders and the references are scored in the same table:

=================  ==========  =========================================================
method             kind        score (higher = predicted more valuable)
=================  ==========  =========================================================
heuristic_clv      method      HeuristicCLV predicted holdout value (currency)
rfm                method      rfm_score = R + F + M quantile scores; grouping: segments
kmeans             method      calibration mean total_value of the customer's cluster
hiatus             method      average spend if the last purchase is within x days, else 0
rfm_cells          reference   mean next-period value of the R x F x M cell (currency)
bgnbd_gg           reference   BG/NBD x Gamma-Gamma expected holdout value (currency)
naive_spend        reference   calibration total_value scaled to the holdout length
recent_spend       reference   spend in the last 90 days scaled to the holdout length
random             floor       uniform random numbers (seed ``random_state``)
perfect_foresight  ceiling     the holdout value itself
=================  ==========  =========================================================

A winner is named only when the paired customer bootstrap interval of its margin over the
runner-up excludes 0 (:attr:`Comparison.differences`, :func:`verdict`); otherwise the
summary says "no clear winner". A reference whose fit fails is marked unavailable with the
reason (``params["unavailable"]``) and everything else is still scored.
:func:`rolling_origin` repeats the comparison at several cut-off dates, so that a reader
sees whether the winner is stable or the fluke of one split.

Adding a method
---------------
One entry in :data:`METHODS`: a :class:`MethodSpec` with its kind ("method" for a
contender, "reference", "floor" or "ceiling"), label, the words for its score, forecast and
grouping, ``money`` (True when the score is a forecast of holdout value in currency), its
chart colour and ``fit``, a function ``fit(calibration: Calibration) -> Fitted`` that sees
the calibration summary and log only and returns the score per customer (and optionally its
groups, fitted parameters, model and caveats). The metrics, intervals, JSON, charts' colours,
the reports' contenders and the glossary entry all follow from that entry. A reference that
raises in ``fit`` is reported unavailable; a contender that raises stops the comparison.
"""

from __future__ import annotations

import json
import math
import os
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from clvlib._version import __version__
from clvlib.compare import metrics as mt
from clvlib.data import log as _tx
from clvlib.data.dates import cutoff_day
from clvlib.data.summary import active_periods, calibration_holdout, customer_summary
from clvlib.methods.btyd import ProbabilisticCLV
from clvlib.methods.clustering import CustomerClusterer
from clvlib.methods.heuristic import HeuristicCLV
from clvlib.methods.k_choice import K_CHOICE_MAX_CUSTOMERS, resolve_n_clusters
from clvlib.methods.likelihood import EdgeOfParameterSpaceWarning
from clvlib.methods.rfm import RFMScorer
from clvlib.methods.rules import RuleSet, assign_segments, load_rules
from clvlib.methods.tiers import value_tiers

__all__ = [
    "INTERVAL_METRICS",
    "METHODS",
    "METRICS",
    "Calibration",
    "Comparison",
    "Fitted",
    "MethodSpec",
    "MetricSpec",
    "RollingOrigin",
    "Winner",
    "compare_methods",
    "cutoff_dates",
    "rolling_origin",
    "verdict",
]


# --------------------------------------------------------------------------------------
# what is compared, and how: the registry
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Calibration:
    """What a method may see when it is fitted: the calibration period only.

    Attributes
    ----------
    summary : pandas.DataFrame
        Customer summary at ``calibration_end`` (:func:`clvlib.customer_summary` columns,
        no holdout column), index ``customer_id``: the customers to score.
    log : pandas.DataFrame
        The clean transaction log cut at ``calibration_end`` (whole day included).
    calibration_end : pandas.Timestamp
    horizon : float
        Holdout length in ``time_unit`` (what a money forecast must cover).
    holdout_days, calibration_days : int
        Holdout length and calibration length (first purchase to calibration_end) in days.
    time_unit : str
    settings : dict
        The settings of :func:`compare_methods` (``n_bins``, ``rule_set`` as a RuleSet,
        ``n_clusters``, ``random_state``, ``heuristic_period``, ``penalizer``,
        ``penalizer_gg``, ``recent_days``).
    outcome : pandas.Series or None
        The holdout value, given only to the "ceiling" method (perfect foresight).
    """

    summary: pd.DataFrame
    log: pd.DataFrame
    calibration_end: pd.Timestamp
    horizon: float
    holdout_days: int
    calibration_days: int
    time_unit: str
    settings: dict[str, Any]
    outcome: pd.Series | None = None


class Fitted(NamedTuple):
    """What a method's ``fit`` returns: its score per customer and what it learned."""

    score: pd.Series
    """One float per customer of ``Calibration.summary`` (higher = more valuable)."""
    groups: pd.Series | None = None
    """The customer's group (segment, cluster); None: the value tiers of the score."""
    params: dict[str, Any] = {}
    """Fitted parameters, JSON-friendly (``Comparison.params["fitted"][method]``)."""
    model: Any = None
    """The fitted estimator, for the diagnostics (``Comparison.models[method]``)."""
    caveats: tuple[str, ...] = ()
    """Sentences a reader must see before trusting the score (edge of the model)."""


@dataclass(frozen=True)
class MethodSpec:
    """One method of the comparison: how it is fitted, what its score is, how it is shown."""

    kind: str
    """"method" (a contender), "reference", "floor" or "ceiling"."""
    label: str
    """Name for charts and reports."""
    score: str
    """What the score is, from calibration data only."""
    forecasts: str
    """What the score stands for (a money forecast, or a ranking)."""
    grouping: str
    """The groups judged by the share of holdout-value variance they explain."""
    money: bool
    """The score is a forecast of holdout value in currency (money metrics apply)."""
    colour: str
    """Its colour in every chart."""
    fit: Callable[[Calibration], Fitted] = field(repr=False, compare=False)
    """Fit on the calibration period and score every customer of ``summary``."""

    def describe(self) -> dict[str, Any]:
        """The spec as words (no function), for tables and the glossary."""
        return {
            "kind": self.kind,
            "label": self.label,
            "score": self.score,
            "forecasts": self.forecasts,
            "grouping": self.grouping,
            "money": self.money,
        }


def _fit_heuristic(cal: Calibration) -> Fitted:
    s = cal.settings
    model = HeuristicCLV(period=s["heuristic_period"]).fit(
        cal.log, observation_end=cal.calibration_end
    )
    score = model.predict_value(cal.summary, horizon=cal.horizon, time_unit=cal.time_unit)
    params = {
        "retention": float(model.retention_),
        "retention_kind": "survival (lapse after L periods without a purchase)",
        "lapse_periods": int(model.lapse_periods_),
        "gap_quantile": float(model.gap_quantile),
        "window_periods": model.window,
        "period": s["heuristic_period"],
        "expected_lifetime_periods": float(model.expected_lifetime_),
    }
    return Fitted(score, params=params, model=model)


def _fit_rfm(cal: Calibration) -> Fitted:
    s = cal.settings
    scorer = RFMScorer(s["n_bins"]).fit(cal.summary)
    rfm = scorer.transform(cal.summary)
    segments = assign_segments(rfm, s["rule_set"]).reindex(cal.summary.index)
    params = {
        "columns": dict(scorer.columns_),
        "edges": {a: [float(e) for e in v] for a, v in scorer.edges_.items()},
        "bin_scores": {a: [int(v) for v in b] for a, b in scorer.bin_scores_.items()},
    }
    groups = _ordered(segments, s["rule_set"].segments)
    return Fitted(rfm["rfm_score"].astype("float64"), groups, params, scorer)


def _inner_split(cal: Calibration) -> tuple[pd.Timestamp, int]:
    """A split inside the calibration period: its last ``holdout_days`` (at most half)."""
    days = max(1, min(cal.holdout_days, cal.calibration_days // 2))
    return cal.calibration_end - pd.Timedelta(days=days), days


def _fit_rfm_cells(cal: Calibration) -> Fitted:
    """Mean next-period value of each R x F x M cell, learned on a split of calibration."""
    s = cal.settings
    inner_end, inner_days = _inner_split(cal)
    inner = calibration_holdout(
        cal.log,
        calibration_end=inner_end,
        holdout_end=cal.calibration_end,
        time_unit=cal.time_unit,
    )
    scorer = RFMScorer(s["n_bins"]).fit(inner)
    cells = _cells(scorer.transform(inner))
    value = inner["holdout_value"].to_numpy(dtype=float)
    grand = float(value.mean())
    by_cell = pd.DataFrame({"cell": cells, "value": value}).groupby("cell")["value"]
    n, mean = by_cell.size(), by_cell.mean()
    # small cells are pulled towards the overall mean (20 pseudo-customers)
    shrunk = (n * mean + _CELL_PRIOR * grand) / (n + _CELL_PRIOR)
    scale = cal.holdout_days / inner_days
    now = _cells(scorer.transform(cal.summary))
    score = pd.Series(now, index=cal.summary.index).map(shrunk).fillna(grand) * scale
    params = {
        "inner_calibration_end": inner_end.date().isoformat(),
        "inner_holdout_days": int(inner_days),
        "n_cells": int(len(n)),
        "n_customers_learned": int(len(inner)),
        "mean_value_per_customer": grand,
        "scale": float(scale),
    }
    return Fitted(score.astype("float64").rename("rfm_cells"), params=params, model=scorer)


_CELL_PRIOR = 20.0


def _cells(rfm: pd.DataFrame) -> np.ndarray:
    return (
        rfm["r_score"].astype(str) + rfm["f_score"].astype(str) + rfm["m_score"].astype(str)
    ).to_numpy()


def _fit_kmeans(cal: Calibration) -> Fitted:
    s = cal.settings
    clusterer = CustomerClusterer(s["n_clusters"], random_state=s["random_state"]).fit(cal.summary)
    if s.get("cluster_reference") is not None:  # names stay put across cut-offs
        clusterer.match(s["cluster_reference"])
    labels = clusterer.predict(cal.summary)
    cluster_value = cal.summary["total_value"].groupby(labels).mean()
    names = _cluster_labels(labels, clusterer.cluster_names_)
    order = [f"{k}: {n}" for k, n in enumerate(clusterer.cluster_names_)]
    params = {
        "cluster_names": list(clusterer.cluster_names_),
        "centers": _records(clusterer.cluster_centers_original_.reset_index()),
        "cluster_mean_value": [float(v) for v in cluster_value.sort_index()],
        "inertia": float(clusterer.inertia_),
    }
    score = labels.map(cluster_value).astype("float64")
    return Fitted(score, _ordered(names, order), params, clusterer)


def _fit_bgnbd_gg(cal: Calibration) -> Fitted:
    s = cal.settings
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", EdgeOfParameterSpaceWarning)
        model = ProbabilisticCLV(penalizer=s["penalizer"], penalizer_gg=s["penalizer_gg"]).fit(
            cal.summary
        )
    caveats = []
    for w in caught:  # passed on to the caller, and kept with the result (reports print them)
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        if issubclass(w.category, EdgeOfParameterSpaceWarning):
            caveats.append(str(w.message))
    score = model.predict(cal.summary, horizon=cal.horizon)
    params = {
        "bgnbd": {k: float(v) for k, v in model.purchases_model_.params_.items()},
        "gamma_gamma": {
            **{k: float(v) for k, v in model.value_model_.params_.items()},
            "n_excluded": int(len(model.value_model_.excluded_)),
            "spend_scale": float(model.spend_scale_),
        },
        "dropout_share": float(model.dropout_share_),
        "mean_probability_alive": float(model.mean_probability_alive_),
    }
    return Fitted(score, params=params, model=model, caveats=tuple(caveats))


#: Quantiles of the calibration inter-purchase gaps tried as the hiatus (the base's rhythm).
HIATUS_QUANTILES: tuple[float, ...] = (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 0.99)


def _fit_hiatus(cal: Calibration) -> Fitted:
    """The hiatus heuristic (Wübben & Wangenheim 2008): active when the last purchase is recent.

    A customer is "active" when the last purchase day is at most ``x`` days before
    ``calibration_end``. Wübben & Wangenheim took ``x`` from the firms' practice (the managers'
    nine months at the airline and the apparel retailer), a length that must suit how often
    the base buys (its purchase rhythm). Here the rhythm is measured, not assumed: the
    candidates are quantiles (:data:`HIATUS_QUANTILES`) of the gaps between
    purchase days of calibration repeat buyers, and ``x`` is the candidate whose
    active/inactive call is most accurate for "buys again" on a split inside calibration (its
    last holdout length, at most half of it; ties: the shorter hiatus). The score ranks active
    customers by their average spend per order (net, floored at 0) and inactive ones at 0.
    """
    inner_end, inner_days = _inner_split(cal)
    # the purchase days of each customer, reduced by the engine (sorted by customer and day)
    active = active_periods(cal.log, observation_end=cal.calibration_end, period="D")
    days = pd.DataFrame(
        {"customer_id": active["customer_id"], "day": active["period"].dt.to_timestamp()}
    )
    before = days[days["day"] <= inner_end]
    gaps = before.groupby("customer_id")["day"].diff().dt.days.dropna()
    if gaps.empty:
        candidates = [float(inner_days)]
    else:
        candidates = sorted({float(np.ceil(q)) for q in gaps.quantile(list(HIATUS_QUANTILES))})
    since = (inner_end - before.groupby("customer_id")["day"].max()).dt.days
    after = days.loc[days["day"] > inner_end, "customer_id"].unique()
    bought = since.index.isin(after)
    accuracy = [float(np.mean((since.to_numpy() <= x) == bought)) for x in candidates]
    best = int(np.argmax(accuracy))  # first maximum: the shortest of equally accurate hiatuses
    x = candidates[best]
    idle = (cal.calibration_end - cal.summary["last_purchase"].dt.normalize()).dt.days
    active = idle <= x
    spend = cal.summary["avg_order_value"].clip(lower=0.0)
    score = spend.where(active, 0.0).astype("float64")
    groups = pd.Series(np.where(active, "active", "inactive"), index=cal.summary.index)
    params = {
        "hiatus_days": x,
        "inner_calibration_end": inner_end.date().isoformat(),
        "inner_holdout_days": int(inner_days),
        "candidates_days": candidates,
        "inner_accuracy": accuracy,
        "gap_quantiles": list(HIATUS_QUANTILES),
        "n_gaps": int(len(gaps)),
        "active_share": float(active.mean()),
    }
    return Fitted(score, _ordered(groups, ["active", "inactive"]), params)


def _fit_naive(cal: Calibration) -> Fitted:
    score = cal.summary["total_value"] * cal.holdout_days / cal.calibration_days
    return Fitted(score.astype("float64"))


def _fit_recent(cal: Calibration) -> Fitted:
    days = int(cal.settings["recent_days"])
    days = max(1, min(days, cal.calibration_days))
    start = cal.calibration_end + pd.Timedelta(days=1) - pd.Timedelta(days=days)
    recent = _tx.lines(cal.log, start=start)  # the window's lines only
    spend = recent.groupby("customer_id")["amount"].sum()
    score = spend.reindex(cal.summary.index, fill_value=0.0).astype("float64")
    return Fitted(score * cal.holdout_days / days, params={"days": days})


def _fit_random(cal: Calibration) -> Fitted:
    rng = np.random.default_rng(cal.settings["random_state"])
    return Fitted(pd.Series(rng.random(len(cal.summary)), index=cal.summary.index))


def _fit_perfect(cal: Calibration) -> Fitted:
    return Fitted(cal.outcome.astype("float64"))


#: The methods of the comparison, in report order: the contenders, then the references.
#: Add a method with one entry here (see the module docstring).
METHODS: dict[str, MethodSpec] = {
    "heuristic_clv": MethodSpec(
        "method",
        "heuristic CLV",
        "HeuristicCLV predicted value over the holdout: net value of the last 12 months / "
        "max(min(tenure, 12), L) x P(active) x sum of s**k over the holdout months (one "
        "survival rate s and lapse threshold L, fitted on the calibration log)",
        "holdout value (currency)",
        "value tiers of the score (top 20 % / middle 60 % / bottom 20 %)",
        True,
        "#1b9e77",
        _fit_heuristic,
    ),
    "rfm": MethodSpec(
        "method",
        "RFM",
        "rfm_score = r_score + f_score + m_score, quantile edges learned on calibration",
        "a ranking (no money forecast)",
        "segments of the rule set",
        False,
        "#d95f02",
        _fit_rfm,
    ),
    "kmeans": MethodSpec(
        "method",
        "k-means",
        "mean calibration total_value of the customer's k-means cluster (clusters fitted on "
        "calibration; the score is constant within a cluster)",
        "a ranking of clusters (no money forecast)",
        "k-means clusters",
        False,
        "#7570b3",
        _fit_kmeans,
    ),
    "hiatus": MethodSpec(
        "method",
        "hiatus heuristic",
        "active when the last purchase is at most x days before calibration_end (x: the "
        "quantile of calibration inter-purchase gaps most accurate on a split inside "
        "calibration); active customers ranked by average spend per order, inactive at 0",
        "who buys again (active / inactive), ranked by average spend (no money forecast)",
        "active / inactive",
        False,
        "#1f78b4",
        _fit_hiatus,
    ),
    "rfm_cells": MethodSpec(
        "reference",
        "RFM cells",
        "mean next-period value of the customer's R x F x M cell, learned inside calibration "
        "(cells scored at a split one holdout length before calibration_end, their mean value "
        "over the rest of calibration shrunk towards the overall mean by 20 customers)",
        "holdout value (currency): the cell's mean next-period value, scaled to the holdout",
        "value tiers of the score",
        True,
        "#e6ab02",
        _fit_rfm_cells,
    ),
    "bgnbd_gg": MethodSpec(
        "reference",
        "BG/NBD + Gamma-Gamma",
        "expected purchases in the holdout (BG/NBD) x expected value per purchase "
        "(Gamma-Gamma on spend scaled by its mean), both fitted by maximum likelihood on "
        "calibration",
        "holdout value (currency)",
        "value tiers of the score",
        True,
        "#e7298a",
        _fit_bgnbd_gg,
    ),
    "naive_spend": MethodSpec(
        "reference",
        "naive: calibration spend",
        "calibration total_value x holdout length / calibration length (ranks as total_value)",
        "holdout value (currency): the customer keeps the spend rate of the whole calibration",
        "value tiers of the score (the 20 / 60 / 20 tiers of historic value)",
        True,
        "#a6761d",
        _fit_naive,
    ),
    "recent_spend": MethodSpec(
        "reference",
        "recent spend (90 days)",
        "net spend in the last 90 days of calibration x holdout length / 90 days",
        "holdout value (currency): the customer keeps the spend rate of the last 90 days",
        "value tiers of the score",
        True,
        "#66a61e",
        _fit_recent,
    ),
    "random": MethodSpec(
        "floor",
        "random",
        "uniform random numbers, seed random_state",
        "nothing: the floor any method must beat",
        "value tiers of the score",
        False,
        "#9e9e9e",
        _fit_random,
    ),
    "perfect_foresight": MethodSpec(
        "ceiling",
        "perfect foresight",
        "the holdout value itself (not available at calibration_end)",
        "the ceiling of every ranking metric",
        "value tiers of the holdout value",
        False,
        "#000000",
        _fit_perfect,
    ),
}

#: The contenders (kind "method"); the other methods are references and bounds.
CONTENDERS: tuple[str, ...] = tuple(m for m, s in METHODS.items() if s.kind == "method")
#: The bounds: never winners, only reading aids.
BOUNDS: tuple[str, ...] = tuple(m for m, s in METHODS.items() if s.kind in ("floor", "ceiling"))
#: Kinds whose fit may fail without stopping the comparison (marked unavailable instead).
_OPTIONAL_KINDS = ("reference",)


class MetricSpec(NamedTuple):
    """One metric of the comparison table."""

    direction: str
    """"higher" or "lower" is better, "zero" (closest to 0 is best) or "none" (context)."""
    label: str
    unit: str
    applies: str
    """"all" methods, "money" forecasts only."""


#: The metrics, in table order. Definitions: :func:`clvlib.report.glossary`.
METRICS: dict[str, MetricSpec] = {
    "spearman": MetricSpec("higher", "Spearman with holdout value", "-1..1", "all"),
    "top10_share": MetricSpec("higher", "holdout value in top 10 %", "share", "all"),
    "top20_share": MetricSpec("higher", "holdout value in top 20 %", "share", "all"),
    "gains_gini": MetricSpec("higher", "gains Gini", "-1..1", "all"),
    "gains_gini_normalised": MetricSpec("higher", "gains Gini / perfect foresight", "0..1", "all"),
    "top10_lift": MetricSpec("higher", "top-decile lift", "ratio", "all"),
    "auc": MetricSpec("higher", "AUC buys again", "0..1", "all"),
    "eta_squared": MetricSpec("higher", "eta² of groups", "share", "all"),
    "epsilon_squared": MetricSpec("higher", "epsilon² of groups", "share", "all"),
    "n_groups": MetricSpec("none", "groups", "count", "all"),
    "mae": MetricSpec("lower", "MAE per customer", "currency", "money"),
    "mae_zero": MetricSpec("none", "MAE of forecasting 0", "currency", "money"),
    "mae_skill": MetricSpec("higher", "1 - MAE / MAE of 0", "share", "money"),
    "rmse": MetricSpec("lower", "RMSE per customer", "currency", "money"),
    "relative_mae": MetricSpec("lower", "MAE / mean realised", "ratio", "money"),
    "bias": MetricSpec("zero", "bias per customer", "currency", "money"),
    "total_predicted": MetricSpec("none", "total predicted", "currency", "money"),
    "total_realised": MetricSpec("none", "total realised", "currency", "money"),
    "total_error_pct": MetricSpec("zero", "total error", "%", "money"),
}

#: Distance of each method from the simulated truth (the true expected holdout value).
TRUTH_METRICS: dict[str, MetricSpec] = {
    "spearman_truth": MetricSpec("higher", "Spearman with true value", "-1..1", "all"),
    "top20_share_truth": MetricSpec("higher", "true value in top 20 %", "share", "all"),
    "mae_truth": MetricSpec("lower", "MAE vs true value", "currency", "money"),
    "total_error_pct_truth": MetricSpec("zero", "total error vs truth", "%", "money"),
}

# Holdout outcome columns of calibration_holdout: never shown to a method.
_HOLDOUT_COLUMNS = ("holdout_orders", "holdout_value", "holdout_purchase_periods", "bought_again")
_TRUTH_COLUMNS = ("alive", "expected_orders", "expected_value")
_SIGNIFICANT = 6  # significant digits of the floats in to_dict / to_json


class Winner(NamedTuple):
    """The best method on one metric and its margin over the runner-up."""

    metric: str
    method: str
    value: float
    runner_up: str
    runner_up_value: float
    margin: float
    """How much better the winner is, in the metric's unit (> 0; for "zero" metrics the
    difference of the absolute values)."""
    direction: str


# --------------------------------------------------------------------------------------
# the result
# --------------------------------------------------------------------------------------


@dataclass(repr=False)
class Comparison:
    """The result of :func:`compare_methods`: every method scored on the same holdout.

    Attributes
    ----------
    metrics : pandas.DataFrame
        Tidy table, one row per (method, metric): ``method``, ``metric``, ``value``. Money
        metrics only for money forecasts (:data:`METHODS` ``money``).
    scores : pandas.DataFrame
        Per calibration customer (index ``customer_id``): one column per method (its score),
        ``segment``, ``cluster``, ``cluster_name``, the holdout outcome (``holdout_value``,
        ``holdout_orders``, ``bought_again``) and, with a truth, ``alive``,
        ``expected_orders`` and ``expected_value``.
    params : dict
        Everything that produced the result (inputs, settings, fitted parameters),
        JSON-friendly.
    methods : pandas.DataFrame
        :data:`METHODS` as a table: what each score is and what it forecasts.
    groups : pandas.DataFrame
        Per method and group of its grouping: customers, mean score, mean and share of the
        holdout value, share who bought again (and the true expected value, with a truth).
    agreement : clvlib.compare.metrics.Agreement
        ARI, NMI and crosstab of RFM segments (rows) and k-means clusters (columns).
    migration : clvlib.compare.metrics.Migration
        RFM segments at calibration_end (rows) vs at holdout_end (columns), with the scorer
        fitted once on calibration.
    cluster_migration : clvlib.compare.metrics.Migration
        The same for k-means clusters (centres fitted once on calibration).
    truth_distance : pandas.DataFrame or None
        Tidy ``method``, ``metric``, ``value`` against the true expected holdout value
        (:data:`TRUTH_METRICS`); None without a truth.
    differences : pandas.DataFrame
        Paired bootstrap intervals: one row per pair of available non-bound methods and
        ranking metric (:data:`INTERVAL_METRICS`), columns ``method``, ``versus``,
        ``metric``, ``difference`` (method minus versus, on all customers), ``ci_low``,
        ``ci_high`` (percentile interval over customer resamples, ``params["settings"]
        ["confidence"]``). Models are not refitted per resample: the interval is the
        holdout noise of the difference, which is what decides a winner.
    """

    metrics: pd.DataFrame
    scores: pd.DataFrame
    params: dict[str, Any]
    methods: pd.DataFrame
    groups: pd.DataFrame
    agreement: mt.Agreement
    migration: mt.Migration
    cluster_migration: mt.Migration
    truth_distance: pd.DataFrame | None = None
    differences: pd.DataFrame | None = None
    models: dict[str, Any] = field(default_factory=dict)
    """The fitted estimator of each method (``models["bgnbd_gg"]`` for the diagnostics)."""
    summary: pd.DataFrame | None = None
    """The calibration summary the methods saw (no holdout column)."""
    timings: dict[str, float] = field(default_factory=dict)
    """Seconds per stage of the run (not part of to_dict: it changes run to run)."""

    def __repr__(self) -> str:
        p = self.params
        return (
            f"Comparison(calibration_end={p['calibration_end']}, holdout_end="
            f"{p['holdout_end']}, {p['n_customers']} customers, {len(METHODS)} methods)"
        )

    def wide(self) -> pd.DataFrame:
        """The metrics as a method x metric table (methods and metrics in report order)."""
        return _wide(self.metrics, METRICS)

    def truth_wide(self) -> pd.DataFrame | None:
        """The truth distance as a method x metric table (None without a truth)."""
        if self.truth_distance is None:
            return None
        return _wide(self.truth_distance, TRUTH_METRICS)

    def gains_curves(self) -> pd.DataFrame:
        """Gains curve of every method on the holdout value.

        Tidy ``method``, ``customer_share``, ``outcome_share`` (see
        :func:`clvlib.compare.metrics.gains_curve`).
        """
        outcome = self.scores["holdout_value"]
        frames = [
            mt.gains_curve(self.scores[m], outcome).assign(method=m)[
                ["method", "customer_share", "outcome_share"]
            ]
            for m in METHODS
        ]
        return pd.concat(frames, ignore_index=True)

    def winner(self, metric: str = "spearman", *, among: Sequence[str] | None = None) -> Winner:
        """Best method on ``metric`` and its margin over the runner-up.

        Parameters
        ----------
        metric : str
            A metric of :data:`METRICS` or :data:`TRUTH_METRICS` with a direction.
        among : sequence of str, optional
            Methods in the running; default every method except the bounds (``random``,
            ``perfect_foresight``) that have a value for the metric.
        """
        return _winner(self.metrics, self.truth_distance, metric, among)

    def summary_text(self) -> str:
        """A few sentences: which method wins on what, by how much; reports open with it."""
        return _summary_text(self)

    def to_dict(self) -> dict[str, Any]:
        """Everything but the per-customer scores, JSON-friendly and deterministic.

        Floats are rounded to 6 significant digits, NaN becomes None; no timing or date of
        the run is included, so the same inputs give the same dictionary.
        """
        winners = {}
        for metric, spec in {**METRICS, **TRUTH_METRICS}.items():
            if spec.direction == "none":
                continue
            if metric in TRUTH_METRICS and self.truth_distance is None:
                continue
            w = self.winner(metric) if _has_candidates(self, metric) else None
            if w is not None:
                winners[metric] = w._asdict()
                if metric in INTERVAL_METRICS:
                    _, low, high = _interval(self, w.method, w.runner_up, metric)
                    winners[metric].update(ci_low=low, ci_high=high, clear=_clear(self, w))
        out = {
            "params": self.params,
            "methods": {m: s.describe() for m, s in METHODS.items()},
            "metrics": _records(self.metrics),
            "differences": None if self.differences is None else _records(self.differences),
            "truth_distance": None
            if self.truth_distance is None
            else _records(self.truth_distance),
            "groups": _records(self.groups),
            "agreement": {
                "ari": self.agreement.ari,
                "nmi": self.agreement.nmi,
                "n": self.agreement.n,
                "crosstab": _nested(self.agreement.crosstab),
            },
            "migration": {
                "segments": _nested(self.migration.counts),
                "clusters": _nested(self.cluster_migration.counts),
            },
            "winners": winners,
            "summary": self.summary_text(),
        }
        return _jsonable(out)

    def to_json(self, path: str | os.PathLike | None = None) -> str:
        """:meth:`to_dict` as JSON (sorted keys, 2-space indent); written to ``path`` if given.

        Byte-identical for the same inputs. Returns the text.
        """
        text = json.dumps(self.to_dict(), sort_keys=True, indent=2, ensure_ascii=False) + "\n"
        if path is not None:
            Path(path).write_text(text, encoding="utf-8", newline="\n")
        return text


def _has_candidates(comparison: Comparison, metric: str) -> bool:
    table = comparison.truth_distance if metric in TRUTH_METRICS else comparison.metrics
    rows = table[(table["metric"] == metric) & ~table["method"].isin(BOUNDS)]
    return rows["value"].notna().sum() >= 2


# --------------------------------------------------------------------------------------
# the comparison
# --------------------------------------------------------------------------------------


def compare_methods(
    tx: pd.DataFrame,
    *,
    calibration_end: str | pd.Timestamp,
    holdout_end: str | pd.Timestamp,
    time_unit: str = "D",
    customers: pd.DataFrame | None = None,
    truth: Any = None,
    n_bins: int = 5,
    rule_set: str | os.PathLike | RuleSet = "r_rfm",
    n_clusters: int | str = 5,
    random_state: int = 0,
    heuristic_period: str = "M",
    penalizer: float = 0.0,
    penalizer_gg: float | None = None,
    recent_days: int = 90,
    n_resamples: int = 300,
    confidence: float = 0.95,
    cluster_reference: CustomerClusterer | None = None,
    bootstrap_max_customers: int | None = mt.BOOTSTRAP_MAX_CUSTOMERS,
    k_choice_max_customers: int | None = K_CHOICE_MAX_CUSTOMERS,
) -> Comparison:
    """Fit every method on the calibration period, score its customers, judge on the holdout.

    The protocol of domain.md §9. Nothing after ``calibration_end`` reaches a method: the
    heuristic retention is fitted on the log cut at ``calibration_end``, and RFM edges,
    k-means centres and BG/NBD + Gamma-Gamma parameters on the calibration summary without
    its holdout columns. Customers are those with a purchase by ``calibration_end``.

    Parameters
    ----------
    tx : pandas.DataFrame or ibis.Table
        The clean transaction log (:func:`clvlib.load_transactions`), not modified.
    calibration_end, holdout_end : str or pandas.Timestamp
        Last day of the calibration and of the holdout period (whole days included).
    time_unit : {"D", "W", "M"}, default "D"
        Unit of the summary durations (recency, T); BG/NBD is fitted in it.
    customers : pandas.DataFrame, optional
        Customer table (channel, CAC), passed to the summary.
    truth : pandas.DataFrame or clvlib.data.shop.Shop, optional
        Simulated truth for the holdout: a :meth:`Shop.truth` table for (calibration_end,
        holdout_end] (columns ``alive``, ``expected_orders``, ``expected_value``), or the
        Shop itself (its truth is then taken for exactly this window). Adds
        :attr:`Comparison.truth_distance`.
    n_bins : int, default 5
        RFM score levels (the rule set's scale must match).
    rule_set : str, path or RuleSet, default "r_rfm"
        Segment rules (:func:`clvlib.load_rules`).
    n_clusters : int or "auto", default 5
        Number of k-means clusters; "auto" takes :func:`~clvlib.choose_k`'s recommendation on
        the calibration summary (:func:`~clvlib.methods.clustering.resolve_n_clusters`). At most the
        number of customers.
    random_state : int, default 0
        Seed of k-means and of the random ranking.
    heuristic_period : {"D", "W", "M", "Q", "Y"}, default "M"
        Period of the heuristic retention rate.
    penalizer : float, default 0.0
        L2 penalty of the BG/NBD fit (unit-free parameters, see :class:`BetaGeoModel`).
    penalizer_gg : float, optional
        L2 penalty of the Gamma-Gamma fit, on spend scaled by its mean (unit-free); default
        ``penalizer``.
    recent_days : int, default 90
        Window of the ``recent_spend`` reference, in days before ``calibration_end``.
    n_resamples : int, default 300
        Paired customer bootstrap resamples behind :attr:`Comparison.differences`.
    confidence : float, default 0.95
        Level of the bootstrap intervals.
    cluster_reference : CustomerClusterer, optional
        A fitted clusterer (e.g. of an earlier cut-off): the k-means clusters are matched to
        its centres and take its labels and names (:meth:`CustomerClusterer.match`).
    bootstrap_max_customers : int or None, default 200,000
        Above this many customers the bootstrap intervals resample a fixed random subsample
        of that size (:func:`clvlib.compare.metrics.bootstrap_ranking_metrics`): wider intervals, so
        a clear winner stays a conservative claim, at a fraction of the time. Recorded in
        ``params["settings"]["bootstrap_customers"]`` and the caveats when used. None: all.
    k_choice_max_customers : int or None, default 200,000
        Above this many customers ``n_clusters="auto"`` chooses k on a fixed random sample of
        that size (:func:`~clvlib.methods.clustering.resolve_n_clusters`); the clusters are fitted
        on
        everyone. Recorded in ``params["settings"]["k_choice_customers"]`` when used.

    Returns
    -------
    Comparison

    Notes
    -----
    Everything is compared in net revenue, undiscounted, as the holdout value is: a margin
    or a discount rate would scale the money forecasts without changing any ranking, and the
    holdout cannot check them.

    Examples
    --------
    >>> import clvlib
    >>> shop = clvlib.load_default_shop()
    >>> tx, _ = clvlib.load_transactions(shop.transactions)
    >>> result = compare_methods(tx, calibration_end="2024-06-30",
    ...                          holdout_end="2024-12-31", truth=shop)
    >>> print(result.summary_text())
    Calibration to 2024-06-30, holdout to 2024-12-31 (184 days): 5,352 customers, ...
    """
    import time

    clock = _Clock(time.perf_counter)
    _tx.check(tx)
    n_resamples = _check_resamples(n_resamples)
    bootstrap_max_customers = _check_cap("bootstrap_max_customers", bootstrap_max_customers, 100)
    k_choice_max_customers = _check_cap("k_choice_max_customers", k_choice_max_customers, 100)
    ruleset = load_rules(rule_set)
    cal = calibration_holdout(
        tx,
        calibration_end=calibration_end,
        holdout_end=holdout_end,
        time_unit=time_unit,
        customers=customers,
    )
    cal_end = pd.Timestamp(cal.attrs["calibration_end"])  # a Timestamp or an ISO date
    hold_end = pd.Timestamp(cal.attrs["holdout_end"])
    horizon = cal.attrs["holdout_length"]  # in time_unit
    holdout_days = int((hold_end - cal_end).days)
    summary = cal.drop(columns=list(_HOLDOUT_COLUMNS))  # what the methods may see
    summary.attrs = {"observation_end": cal_end.date().isoformat(), "time_unit": time_unit}
    outcome = cal["holdout_value"]
    if not outcome.sum() > 0:
        raise ValueError(
            f"the holdout ({cal_end.date()}, {hold_end.date()}] has no net value "
            f"({outcome.sum():g}): nothing to rank customers by"
        )
    truth_table = _truth(truth, cal_end, hold_end, summary.index)  # checked before any fit
    calibration_log = _tx.upto(tx, cal_end)  # a lazy log stays lazy
    calibration_days = int((cal_end - summary["first_purchase"].min().normalize()).days) + 1
    settings = {
        "n_bins": int(n_bins),
        "rule_set": ruleset,
        "n_clusters": resolve_n_clusters(
            n_clusters,
            summary,
            random_state=int(random_state),
            max_customers=k_choice_max_customers,
        ),
        "random_state": int(random_state),
        "heuristic_period": heuristic_period,
        "penalizer": float(penalizer),
        "penalizer_gg": float(penalizer if penalizer_gg is None else penalizer_gg),
        "recent_days": int(recent_days),
        "cluster_reference": cluster_reference,
    }
    context = Calibration(
        summary=summary,
        log=calibration_log,
        calibration_end=cal_end,
        horizon=horizon,
        holdout_days=holdout_days,
        calibration_days=calibration_days,
        time_unit=time_unit,
        settings=settings,
    )
    clock.lap("summary")

    scores = pd.DataFrame(index=summary.index)
    fitted: dict[str, Fitted] = {}
    unavailable: dict[str, str] = {}
    caveats: list[str] = []
    for method, spec in METHODS.items():
        ctx = replace(context, outcome=outcome) if spec.kind == "ceiling" else context
        try:
            result = spec.fit(ctx)
            score = pd.Series(result.score, dtype="float64").reindex(summary.index)
            bad = ~np.isfinite(score.to_numpy())
            if bad.any():
                raise ValueError(
                    f"{int(bad.sum())} of {bad.size} predictions are missing or infinite "
                    f"(e.g. customers {list(score.index[bad][:5])})"
                )
        except Exception as error:  # a reference never stops the comparison
            if spec.kind not in _OPTIONAL_KINDS:
                raise
            unavailable[method] = f"{type(error).__name__}: {error}"
            scores[method] = np.nan
            clock.lap(f"fit {method}")
            continue
        fitted[method] = result
        scores[method] = score
        caveats += list(result.caveats)
        clock.lap(f"fit {method}")
    for method, reason in unavailable.items():
        caveats.append(f"{METHODS[method].label} is unavailable: {reason}")

    rfm, kmeans = fitted["rfm"], fitted["kmeans"]
    scores["segment"] = rfm.groups.astype(str)
    scores["cluster"] = kmeans.model.predict(summary)
    scores["cluster_name"] = kmeans.groups.astype(str)
    for column in ("holdout_value", "holdout_orders", "holdout_purchase_periods", "bought_again"):
        scores[column] = cal[column]
    if truth_table is not None:
        for column in _TRUTH_COLUMNS:
            scores[column] = truth_table[column]

    groupings = _groupings(scores, summary, fitted)
    table = _metric_table(scores, groupings)
    truth_distance = None if truth_table is None else _truth_table(scores)
    groups = _group_table(scores, groupings)
    clock.lap("metrics")
    differences = _differences(
        scores,
        table,
        n_resamples=n_resamples,
        random_state=random_state,
        confidence=confidence,
        max_customers=bootstrap_max_customers,
    )
    clock.lap("intervals")
    # the large-n shortcuts, said only where they applied (no shipped data set reaches them)
    large_n = {}
    n = len(scores)
    if bootstrap_max_customers is not None and n > bootstrap_max_customers:
        large_n["bootstrap_customers"] = int(bootstrap_max_customers)
        caveats.append(
            f"The paired bootstrap intervals resample a fixed random subsample of "
            f"{bootstrap_max_customers:,} of the {n:,} customers (the point differences use "
            "everyone): they are wider than the full data's, so a clear winner called on "
            "them is a conservative claim."
        )
    if n_clusters == "auto" and k_choice_max_customers is not None and n > k_choice_max_customers:
        large_n["k_choice_customers"] = int(k_choice_max_customers)
        caveats.append(
            f"The number of clusters was chosen on a fixed random sample of "
            f"{k_choice_max_customers:,} of the {n:,} customers; the clusters are fitted "
            "on everyone."
        )

    clusterer = kmeans.model
    cluster_order = [f"{k}: {n}" for k, n in enumerate(clusterer.cluster_names_)]
    agreement = mt.agreement(  # rows in rule order, columns in cluster order
        _ordered(scores["segment"], ruleset.segments).cat.remove_unused_categories(),
        _ordered(scores["cluster_name"], cluster_order)
        .cat.remove_unused_categories()
        .rename("cluster"),
    )
    later = customer_summary(tx, observation_end=hold_end, time_unit=time_unit, customers=customers)
    later_segments = assign_segments(rfm.model.transform(later), ruleset)
    migration = mt.migration_matrix(
        _ordered(scores["segment"], ruleset.segments), _ordered(later_segments, ruleset.segments)
    )
    later_clusters = _cluster_labels(clusterer.predict(later), clusterer.cluster_names_)
    cluster_migration = mt.migration_matrix(
        _ordered(scores["cluster_name"], cluster_order), _ordered(later_clusters, cluster_order)
    )
    clock.lap("agreement and migration")

    log_stats = _tx.stats(tx)
    params = {
        "calibration_end": cal_end.date().isoformat(),
        "holdout_end": hold_end.date().isoformat(),
        "time_unit": time_unit,
        "holdout_length": int(horizon),
        "holdout_days": holdout_days,
        "calibration_days": calibration_days,
        "n_customers": int(len(scores)),
        "bought_again_share": float(scores["bought_again"].mean()),
        "holdout_value_total": float(outcome.sum()),
        "data": {
            "n_lines": int(log_stats["n_lines"]),
            "n_lines_calibration": int(_tx.stats(calibration_log)["n_lines"]),
            "first_timestamp": str(log_stats["first"]),
            "last_timestamp": str(log_stats["last"]),
        },
        "settings": {
            **{k: v for k, v in settings.items() if k != "cluster_reference"},
            "clusters_matched": cluster_reference is not None,
            "rule_set": ruleset.name if ruleset.path == "" else f"{ruleset.name} ({ruleset.path})",
            "truth": truth_table is not None,
            "n_resamples": n_resamples,
            "confidence": float(confidence),
            **large_n,
        },
        "caveats": caveats,
        "unavailable": unavailable,
        "fitted": {m: f.params for m, f in fitted.items() if f.params},
    }
    params["clvlib_version"] = __version__
    return Comparison(
        metrics=table,
        scores=scores,
        params=params,
        methods=pd.DataFrame(
            [s.describe() for s in METHODS.values()], index=pd.Index(list(METHODS), name="method")
        ),
        groups=groups,
        agreement=agreement,
        migration=migration,
        cluster_migration=cluster_migration,
        truth_distance=truth_distance,
        differences=differences,
        models={m: f.model for m, f in fitted.items() if f.model is not None},
        summary=summary,
        timings=clock.laps,
    )


class _Clock:
    """Seconds per stage, for the benchmark (never part of the result's dictionary)."""

    def __init__(self, now):
        self.now = now
        self.last = now()
        self.laps: dict[str, float] = {}

    def lap(self, name: str) -> None:
        t = self.now()
        self.laps[name] = t - self.last
        self.last = t


def _cluster_labels(labels: pd.Series, names: Sequence[str]) -> pd.Series:
    """``"0: recent, frequent, high value"``: the label first, so the order reads."""
    text = np.array([f"{k}: {n}" for k, n in enumerate(names)], dtype=object)
    return pd.Series(text[labels.to_numpy()], index=labels.index, name="cluster_name", dtype="str")


def _ordered(labels: pd.Series, order: Sequence[str]) -> pd.Series:
    """Categorical labels in a stated order (only the categories present or listed)."""
    seen = [v for v in pd.unique(labels) if v not in order]
    return labels.astype(pd.CategoricalDtype([*order, *sorted(seen)]))


def _truth(
    truth: Any, cal_end: pd.Timestamp, hold_end: pd.Timestamp, customers: pd.Index
) -> pd.DataFrame | None:
    """The truth for the scored customers, checked to be of exactly the holdout window."""
    if truth is None:
        return None
    if hasattr(truth, "truth") and callable(truth.truth):  # a Shop
        truth = truth.truth(cal_end, horizon=int((hold_end - cal_end).days), time_unit="D")
    if not isinstance(truth, pd.DataFrame):
        raise TypeError(f"truth must be a Shop or a Shop.truth() DataFrame, got {type(truth)}")
    missing = [c for c in _TRUTH_COLUMNS if c not in truth.columns]
    if missing:
        raise KeyError(f"truth lacks column(s) {missing}; expected the output of Shop.truth()")
    for key, expected in (("at", cal_end), ("holdout_end", hold_end)):
        if key in truth.attrs and pd.Timestamp(truth.attrs[key]).normalize() != expected:
            raise ValueError(
                f"truth is for {key}={pd.Timestamp(truth.attrs[key]).date()}, but the "
                f"comparison's is {expected.date()}: take Shop.truth(calibration_end, horizon=...)"
                " for the same holdout window"
            )
    absent = customers.difference(truth.index)
    if len(absent):
        raise ValueError(
            f"truth has no row for {len(absent)} scored customers (e.g. {list(absent[:5])}): "
            "is it the truth of this shop?"
        )
    out = truth.loc[customers, list(_TRUTH_COLUMNS)]
    if out.isna().any().any():
        bad = out.index[out.isna().any(axis=1)]
        raise ValueError(f"truth has missing values for customers {list(bad[:10])}")
    return out


# --------------------------------------------------------------------------------------
# metrics
# --------------------------------------------------------------------------------------


def _groupings(
    scores: pd.DataFrame, summary: pd.DataFrame, fitted: Mapping[str, Fitted]
) -> dict[str, pd.Series]:
    """Group label per available method: its own groups, else the value tiers of its score."""
    out = {}
    for method, result in fitted.items():
        if result.groups is not None:
            out[method] = result.groups
        else:
            out[method] = value_tiers(summary, value=scores[method].rename(method))
    return out


def _metric_table(scores: pd.DataFrame, groupings: Mapping[str, pd.Series]) -> pd.DataFrame:
    outcome, bought = scores["holdout_value"], scores["bought_again"]
    best_gini = mt.gains_gini(outcome, outcome)  # perfect foresight, shared by every method
    rows = []
    for method, spec in METHODS.items():
        s = scores[method]
        if method not in groupings:  # unavailable: every metric missing
            names = [m for m, ms in METRICS.items() if ms.applies == "all" or spec.money]
            rows += [(method, metric, math.nan) for metric in names]
            continue
        separation = mt.variance_explained(groupings[method].astype(str), outcome)
        gains = mt.gains_metrics(s, outcome, best_gini=best_gini)  # one sort of s
        values = {
            "spearman": mt.spearman(s, outcome),
            **gains,
            "top10_lift": gains["top10_share"] / 0.1,
            "auc": mt.auc(s, bought),
            "eta_squared": separation.eta_squared,
            "epsilon_squared": separation.epsilon_squared,
            "n_groups": float(separation.n_groups),
        }
        if spec.money:
            err = mt.forecast_errors(s, outcome)
            mae_zero = float(np.mean(np.abs(outcome.to_numpy(dtype=float))))
            values.update(
                mae=err.mae,
                mae_zero=mae_zero,
                mae_skill=1 - err.mae / mae_zero if mae_zero > 0 else math.nan,
                rmse=err.rmse,
                relative_mae=err.relative_mae,
                bias=err.bias,
                total_predicted=err.total_predicted,
                total_realised=err.total_realised,
                total_error_pct=err.total_error_pct,
            )
        rows += [(method, metric, float(v)) for metric, v in values.items()]
    return _tidy(rows, METRICS)


def _truth_table(scores: pd.DataFrame) -> pd.DataFrame:
    expected = scores["expected_value"]
    rows = []
    for method, spec in METHODS.items():
        s = scores[method]
        if s.isna().all():
            continue
        values = {
            "spearman_truth": mt.spearman(s, expected),
            "top20_share_truth": mt.top_share_captured(s, expected, top=0.2),
        }
        if spec.money:
            err = mt.forecast_errors(s, expected)
            values.update(mae_truth=err.mae, total_error_pct_truth=err.total_error_pct)
        rows += [(method, metric, float(v)) for metric, v in values.items()]
    return _tidy(rows, TRUTH_METRICS)


def _tidy(rows: list[tuple[str, str, float]], specs: Mapping[str, MetricSpec]) -> pd.DataFrame:
    table = pd.DataFrame(rows, columns=["method", "metric", "value"])
    table["method"] = pd.Categorical(table["method"], categories=list(METHODS), ordered=True)
    table["metric"] = pd.Categorical(table["metric"], categories=list(specs), ordered=True)
    table = table.sort_values(["method", "metric"], kind="stable").reset_index(drop=True)
    table["method"] = table["method"].astype(str)
    table["metric"] = table["metric"].astype(str)
    return table


def _wide(table: pd.DataFrame, specs: Mapping[str, MetricSpec]) -> pd.DataFrame:
    wide = table.pivot(index="method", columns="metric", values="value")
    methods = [m for m in METHODS if m in wide.index]
    metrics = [m for m in specs if m in wide.columns]
    out = wide.reindex(index=methods, columns=metrics)
    out.columns.name = None
    return out


def _group_table(scores: pd.DataFrame, groupings: Mapping[str, pd.Series]) -> pd.DataFrame:
    frames = []
    has_truth = "expected_value" in scores.columns
    for method, groups in groupings.items():
        data = pd.DataFrame(
            {
                "group": groups,
                "score": scores[method],
                "holdout_value": scores["holdout_value"],
                "bought_again": scores["bought_again"].astype(float),
            }
        )
        if has_truth:
            data["expected_value"] = scores["expected_value"]
        by = data.groupby("group", observed=True, sort=True)
        part = pd.DataFrame(
            {
                "customers": by.size(),
                "mean_score": by["score"].mean(),
                "mean_holdout_value": by["holdout_value"].mean(),
                "share_holdout_value": by["holdout_value"].sum() / data["holdout_value"].sum(),
                "bought_again_share": by["bought_again"].mean(),
            }
        )
        if has_truth:
            part["mean_expected_value"] = by["expected_value"].mean()
            part["share_expected_value"] = by["expected_value"].sum() / data["expected_value"].sum()
        part.insert(1, "share_customers", part["customers"] / len(data))
        part.index = part.index.astype(str)
        frames.append(part.reset_index().assign(method=method))
    out = pd.concat(frames, ignore_index=True)
    out["customers"] = out["customers"].astype("int64")
    return out[["method", *[c for c in out.columns if c != "method"]]]


#: Ranking metrics with a paired bootstrap interval (Comparison.differences).
INTERVAL_METRICS: tuple[str, ...] = mt.BOOTSTRAP_METRICS


def _check_resamples(n_resamples: Any) -> int:
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, int | np.integer):
        raise TypeError(f"n_resamples must be an integer, got {n_resamples!r}")
    if n_resamples < 100:
        raise ValueError(f"n_resamples must be >= 100 for a 95 % interval, got {n_resamples}")
    return int(n_resamples)


def _check_cap(name: str, value: Any, minimum: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an integer or None, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum} (or None for no cap), got {value}")
    return int(value)


def _differences(
    scores: pd.DataFrame,
    table: pd.DataFrame,
    *,
    n_resamples: int,
    random_state: int,
    confidence: float,
    max_customers: int | None = None,
) -> pd.DataFrame:
    """Paired customer bootstrap of every pair of available non-bound methods."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    methods = [m for m in METHODS if m not in BOUNDS and scores[m].notna().all()]
    draws = mt.bootstrap_ranking_metrics(
        scores[methods],
        scores["holdout_value"],
        scores["bought_again"],
        n_resamples=n_resamples,
        random_state=random_state,
        max_customers=max_customers,
    )
    point = table.set_index(["method", "metric"])["value"]
    tail = 100 * (1 - confidence) / 2
    rows = []
    for i, a in enumerate(methods):
        for j in range(i + 1, len(methods)):
            b = methods[j]
            for k, metric in enumerate(INTERVAL_METRICS):
                diff = draws[:, i, k] - draws[:, j, k]
                diff = diff[np.isfinite(diff)]
                low, high = (
                    np.percentile(diff, [tail, 100 - tail]) if diff.size else (math.nan,) * 2
                )
                rows.append((a, b, metric, point[(a, metric)] - point[(b, metric)], low, high))
    return pd.DataFrame(
        rows, columns=["method", "versus", "metric", "difference", "ci_low", "ci_high"]
    )


def _interval(c: Comparison, method: str, versus: str, metric: str) -> tuple[float, float, float]:
    """Difference ``method - versus`` on ``metric`` and its interval (either row order)."""
    d = c.differences
    if d is None:
        return math.nan, math.nan, math.nan
    hit = d[(d["method"] == method) & (d["versus"] == versus) & (d["metric"] == metric)]
    if len(hit):
        row = hit.iloc[0]
        return float(row["difference"]), float(row["ci_low"]), float(row["ci_high"])
    hit = d[(d["method"] == versus) & (d["versus"] == method) & (d["metric"] == metric)]
    if len(hit):
        row = hit.iloc[0]
        return -float(row["difference"]), -float(row["ci_high"]), -float(row["ci_low"])
    return math.nan, math.nan, math.nan


def _clear(c: Comparison, w: Winner) -> bool | None:
    """Whether the winner's interval against the runner-up excludes 0 (None: no interval)."""
    _, low, high = _interval(c, w.method, w.runner_up, w.metric)
    if not (math.isfinite(low) and math.isfinite(high)):
        return None
    if w.direction == "higher":
        return bool(low > 0)
    if w.direction == "lower":
        return bool(high < 0)
    return None


def _candidates(table: pd.DataFrame, metric: str, among: Sequence[str] | None) -> pd.Series:
    rows = table[table["metric"] == metric].set_index("method")["value"].dropna()
    if among is None:
        among = [m for m in METHODS if m not in BOUNDS]
    unknown = [m for m in among if m not in METHODS]
    if unknown:
        raise KeyError(f"unknown method(s) {unknown}; methods are {list(METHODS)}")
    return rows.reindex([m for m in among if m in rows.index])


def _winner(
    table: pd.DataFrame,
    truth: pd.DataFrame | None,
    metric: str,
    among: Sequence[str] | None,
) -> Winner:
    if metric in TRUTH_METRICS:
        if truth is None:
            raise ValueError(f"{metric} needs a truth: pass truth= to compare_methods")
        spec, table = TRUTH_METRICS[metric], truth
    elif metric in METRICS:
        spec = METRICS[metric]
    else:
        known = list(METRICS) + list(TRUTH_METRICS)
        raise KeyError(f"unknown metric {metric!r}; metrics are {known}")
    if spec.direction == "none":
        raise ValueError(f"{metric} has no better or worse value; it is context, not a contest")
    values = _candidates(table, metric, among)
    if len(values) < 2:
        raise ValueError(
            f"{metric}: need at least two methods with a value to name a winner, got "
            f"{list(values.index)}"
        )
    key = {"higher": -values, "lower": values, "zero": values.abs()}[spec.direction]
    order = key.sort_values(kind="stable").index  # ties: report order
    best, second = order[0], order[1]
    margin = float(key[second] - key[best])
    return Winner(
        metric, best, float(values[best]), second, float(values[second]), margin, spec.direction
    )


# --------------------------------------------------------------------------------------
# summary text and JSON
# --------------------------------------------------------------------------------------


def _fmt(metric: str, value: float) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    unit = {**METRICS, **TRUTH_METRICS}[metric].unit
    if unit == "share":
        return f"{100 * value:.1f} %"
    if unit == "%":
        return f"{value:+.0f} %"
    if unit == "currency":
        return f"{value:,.2f}"
    if unit == "count":
        return f"{value:.0f}"
    return f"{value:.3f}"


def _margin_text(w: Winner) -> str:
    spec = {**METRICS, **TRUTH_METRICS}[w.metric]
    if spec.unit == "share":
        diff = f"{100 * w.margin:.1f} points"
    elif spec.unit == "%":
        diff = f"{w.margin:.0f} points"
    elif spec.unit == "currency":
        diff = f"{w.margin:,.2f}"
    else:
        diff = f"{w.margin:.3f}"
    return (
        f"{METHODS[w.method].label} ({_fmt(w.metric, w.value)}), {diff} ahead of "
        f"{METHODS[w.runner_up].label} ({_fmt(w.metric, w.runner_up_value)})"
    )


def _better(metric: str, value: float, than: float) -> bool:
    direction = {**METRICS, **TRUTH_METRICS}[metric].direction
    if not (math.isfinite(value) and math.isfinite(than)):
        return False
    if direction == "higher":
        return value > than
    if direction == "lower":
        return value < than
    return abs(value) < abs(than)


def verdict(c: Comparison, metric: str = "spearman", among: Sequence[str] | None = None) -> str:
    """The best of ``among`` (default the contenders) on ``metric``, in words, with its interval.

    "no clear winner" when the paired bootstrap interval of the best against the runner-up
    covers 0; otherwise the winner, its margin and the interval.
    """
    w = _winner(c.metrics, None, metric, CONTENDERS if among is None else among)
    diff, low, high = _interval(c, w.method, w.runner_up, metric)
    best, second = METHODS[w.method].label, METHODS[w.runner_up].label
    interval = _interval_text(metric, low, high, c)
    if _clear(c, w):
        return f"{_margin_text(w)}; {interval}"
    return (
        f"no clear winner: {best} ({_fmt(metric, w.value)}) and {second} "
        f"({_fmt(metric, w.runner_up_value)}) differ by {_diff_text(metric, diff)}, {interval}, "
        "which covers 0"
    )


def references_ahead(c: Comparison, metric: str = "spearman") -> tuple[list[str], list[str]]:
    """References scoring above the best contender on ``metric``: ``(clear, within_noise)``.

    A reference *beats* the methods only when its paired bootstrap interval against the best
    contender excludes 0 (``clear``); one that scores higher with an interval covering 0 is
    ``within_noise``. Unavailable references (a failed fit) are in neither list.
    """
    w = _winner(c.metrics, None, metric, CONTENDERS)
    wide = c.wide()
    unavailable = c.params.get("unavailable", {})
    clear, noise = [], []
    for m, spec in METHODS.items():
        if spec.kind != "reference" or m in unavailable or m not in wide.index:
            continue
        if not _better(metric, wide.loc[m, metric], w.value):
            continue
        _, low, _ = _interval(c, m, w.method, metric)
        (clear if math.isfinite(low) and low > 0 else noise).append(m)
    return clear, noise


def _diff_text(metric: str, diff: float) -> str:
    unit = {**METRICS, **TRUTH_METRICS}[metric].unit
    text = f"{100 * diff:+.1f}" if unit == "share" else f"{diff:+.3f}"
    if not text.strip("+-0."):  # rounds to zero: no sign ("-0.000" reads as a value below 0)
        text = text[1:]
    return f"{text} points" if unit == "share" else text


def _interval_text(metric: str, low: float, high: float, c: Comparison) -> str:
    level = 100 * c.params.get("settings", {}).get("confidence", 0.95)
    if not (math.isfinite(low) and math.isfinite(high)):
        return "no interval"
    # above bootstrap_max_customers the interval is a subsample's: wider, so conservative
    sub = c.params.get("settings", {}).get("bootstrap_customers")
    of = f" (from a fixed subsample of {sub:,} customers: wider, so conservative)" if sub else ""
    return (
        f"{level:.0f} % paired bootstrap interval {_diff_text(metric, low)} .. "
        f"{_diff_text(metric, high)}{of}"
    )


def _summary_text(c: Comparison) -> str:
    p = c.params
    wide = c.wide()
    lines = [
        f"Calibration to {p['calibration_end']}, holdout to {p['holdout_end']} "
        f"({p['holdout_days']} days): {p['n_customers']:,} customers, "
        f"{100 * p['bought_again_share']:.0f} % bought again, holdout value "
        f"{p['holdout_value_total']:,.0f}."
    ]
    references = [m for m, s in METHODS.items() if s.kind == "reference"]
    for metric, what in (
        ("spearman", "Ranking (Spearman with holdout value)"),
        ("top20_share", "Holdout value captured by the top 20 %"),
        ("auc", "Buying again (AUC)"),
    ):
        w = _winner(c.metrics, None, metric, CONTENDERS)
        ref = "; ".join(
            f"{METHODS[m].label} {_fmt(metric, wide.loc[m, metric])}"
            for m in (*references, *BOUNDS)
        )
        clear, noise = references_ahead(c, metric)
        beaten = [METHODS[m].label for m in clear]
        ahead = [METHODS[m].label for m in noise]
        note = ""
        if beaten:
            verb = "reference beats" if len(beaten) == 1 else "references beat"
            note += f" The {', the '.join(beaten)} {verb} every method (interval excludes 0)."
        if ahead:
            verb = "reference scores" if len(ahead) == 1 else "references score"
            note += (
                f" The {', the '.join(ahead)} {verb} above every method, within noise "
                "(interval against the best method covers 0)."
            )
        lines.append(f"{what}: {verdict(c, metric)}. References: {ref}.{note}")
    money = [m for m, s in METHODS.items() if s.money]
    errs = ", ".join(
        f"{METHODS[m].label} {_fmt('total_error_pct', wide.loc[m, 'total_error_pct'])} "
        f"(MAE {_fmt('mae', wide.loc[m, 'mae'])})"
        for m in money
    )
    zero = next(
        (wide.loc[m, "mae_zero"] for m in money if math.isfinite(wide.loc[m, "mae_zero"])), math.nan
    )
    lines.append(
        f"Money, total predicted vs realised: {errs}; a forecast of 0 for everybody has MAE "
        f"{_fmt('mae', zero)}."
    )
    groups = ", ".join(
        f"{METHODS[m].label} {_fmt('eta_squared', wide.loc[m, 'eta_squared'])} "
        f"({int(wide.loc[m, 'n_groups'])} groups)"
        for m in CONTENDERS
    )
    lines.append(f"Holdout-value variance explained by the groups (eta²): {groups}.")
    lines.append(
        f"RFM segments vs k-means clusters: ARI {c.agreement.ari:.2f}, NMI {c.agreement.nmi:.2f}."
    )
    for method, reason in p.get("unavailable", {}).items():
        lines.append(f"{METHODS[method].label} is unavailable: {reason}")
    if c.truth_distance is not None:
        w = _winner(c.metrics, c.truth_distance, "spearman_truth", None)
        ceiling = c.truth_wide().loc["perfect_foresight", "spearman_truth"]
        lines.append(
            f"Against the true expected value (simulation): Spearman best for {_margin_text(w)}"
            f"; even perfect foresight of the realised holdout reaches only {ceiling:.3f}."
        )
    return "\n".join(lines)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [dict(zip(frame.columns, row, strict=True)) for row in frame.itertuples(index=False)]


def _nested(frame: pd.DataFrame) -> dict[str, dict[str, Any]]:
    return {str(r): {str(c): frame.loc[r, c] for c in frame.columns} for r in frame.index}


def _jsonable(value: Any) -> Any:
    """Plain JSON types; floats to 6 significant digits, NaN and infinities to None."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        x = float(value)
        if not math.isfinite(x):
            return None
        return float(f"{x:.{_SIGNIFICANT}g}")
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if value is None or isinstance(value, str):
        return value
    return str(value)


# --------------------------------------------------------------------------------------
# rolling origin
# --------------------------------------------------------------------------------------


@dataclass(repr=False)
class RollingOrigin:
    """The comparison repeated at several cut-off dates with the same holdout length.

    Attributes
    ----------
    metrics : pandas.DataFrame
        Tidy ``cutoff``, ``holdout_end``, ``method``, ``metric``, ``value``.
    truth_distance : pandas.DataFrame or None
        The same for :data:`TRUTH_METRICS` (with a Shop as truth).
    comparisons : dict
        ``{cutoff (ISO date): Comparison}``.
    """

    metrics: pd.DataFrame
    comparisons: dict[str, Comparison]
    truth_distance: pd.DataFrame | None = None

    def __repr__(self) -> str:
        return f"RollingOrigin(cutoffs={list(self.comparisons)})"

    def winners(self, metric: str = "spearman", *, among: Sequence[str] | None = None):
        """Winner and margin at each cut-off, and whether its interval excludes 0.

        Columns ``cutoff``, ``method``, ``value``, ``runner_up``, ``runner_up_value``,
        ``margin`` (see :meth:`Comparison.winner`), ``ci_low``, ``ci_high`` (paired bootstrap
        interval of the margin, for :data:`INTERVAL_METRICS`) and ``clear`` (False: a tie,
        "no clear winner" at that cut-off).
        """
        rows = []
        for cutoff, c in self.comparisons.items():
            w = c.winner(metric, among=among)
            _, low, high = _interval(c, w.method, w.runner_up, metric)
            clear = _clear(c, w)
            rows.append(
                {
                    "cutoff": cutoff,
                    **w._asdict(),
                    "ci_low": low,
                    "ci_high": high,
                    "clear": True if clear is None else clear,
                }
            )
        return pd.DataFrame(rows).drop(columns=["metric", "direction"])

    def stability(self, metric: str = "spearman", *, among: Sequence[str] | None = None):
        """Per method: mean, min and max of ``metric`` over the cut-offs and how often it won.

        ``wins`` counts only clear wins (interval of the margin excludes 0); ``ties`` counts
        the cut-offs where the method was best but the interval covered 0.
        """
        table = self.truth_distance if metric in TRUTH_METRICS else self.metrics
        if table is None:
            raise ValueError(f"{metric} needs a truth: pass a Shop as truth= to rolling_origin")
        rows = table[table["metric"] == metric]
        stats = rows.groupby("method", sort=False)["value"].agg(["mean", "min", "max"])
        won = self.winners(metric, among=among)
        wins = won.loc[won["clear"], "method"].value_counts()
        ties = won.loc[~won["clear"], "method"].value_counts()
        stats["wins"] = wins.reindex(stats.index, fill_value=0).astype("int64")
        stats["ties"] = ties.reindex(stats.index, fill_value=0).astype("int64")
        stats["cutoffs"] = len(self.comparisons)
        return stats.reindex([m for m in METHODS if m in stats.index])

    def to_dict(self) -> dict[str, Any]:
        """Metrics of every cut-off and each one's comparison dictionary, deterministic."""
        return _jsonable(
            {
                "metrics": _records(self.metrics),
                "truth_distance": None
                if self.truth_distance is None
                else _records(self.truth_distance),
                "comparisons": {k: c.to_dict() for k, c in self.comparisons.items()},
            }
        )

    def to_json(self, path: str | os.PathLike | None = None) -> str:
        """:meth:`to_dict` as JSON (sorted keys); written to ``path`` if given."""
        text = json.dumps(self.to_dict(), sort_keys=True, indent=2, ensure_ascii=False) + "\n"
        if path is not None:
            Path(path).write_text(text, encoding="utf-8", newline="\n")
        return text


def _holdout_end(cutoff: pd.Timestamp, horizon: int, horizon_unit: str) -> pd.Timestamp:
    if horizon_unit == "D":
        return cutoff + pd.Timedelta(days=horizon)
    if horizon_unit == "W":
        return cutoff + pd.Timedelta(weeks=horizon)
    if horizon_unit == "M":  # calendar months; from a month end to a month end
        if cutoff.is_month_end:
            return cutoff + pd.offsets.MonthEnd(horizon)
        return cutoff + pd.DateOffset(months=horizon)
    raise ValueError(f"horizon_unit must be 'D', 'W' or 'M', got {horizon_unit!r}")


def _check_horizon(horizon: Any) -> int:
    if isinstance(horizon, bool) or not isinstance(horizon, int | np.integer) or horizon < 1:
        raise ValueError(f"horizon must be a positive integer, got {horizon!r}")
    return int(horizon)


def rolling_origin(
    tx: pd.DataFrame,
    *,
    cutoffs: Sequence[str | pd.Timestamp],
    horizon: int,
    horizon_unit: str = "D",
    truth: Any = None,
    keep_customers: bool = True,
    **kwargs: Any,
) -> RollingOrigin:
    """:func:`compare_methods` at several cut-off dates, each with a holdout of ``horizon``.

    One split can flatter a method by chance (a season, a few large orders); a winner that
    holds at every cut-off is a finding.

    Parameters
    ----------
    tx : pandas.DataFrame or ibis.Table
        The clean transaction log.
    cutoffs : sequence of dates
        Calibration ends (e.g. from :func:`cutoff_dates`); each holdout is
        (cutoff, cutoff + horizon] and must end by the last day of the log.
    horizon : int
        Holdout length in ``horizon_unit``.
    horizon_unit : {"D", "W", "M"}, default "D"
        Days, weeks or calendar months (a month-end cut-off gives a month-end holdout end:
        2024-06-30 + 6 months is 2024-12-31).
    truth : clvlib.data.shop.Shop, optional
        The simulated shop; its truth is taken for each window.
    keep_customers : bool, default True
        False keeps of each cut-off's comparison what its tables, intervals, winners and
        JSON use: its ``scores`` are left empty (columns kept), ``summary`` None and of the
        fitted ``models`` only k-means (the clusters' reference). At 1M customers that is
        several hundred MB less per cut-off; the results are the same.
    **kwargs
        Passed to :func:`compare_methods` (``time_unit``, ``n_clusters``, ...). The k-means
        clusters of later cut-offs are matched to those of the first by their centres, so
        that a cluster keeps its label and name over time; ``n_clusters="auto"`` is resolved
        on the first (earliest) cut-off's calibration summary and kept for the others.

    Returns
    -------
    RollingOrigin
    """
    horizon = _check_horizon(horizon)
    if truth is not None and not (hasattr(truth, "truth") and callable(truth.truth)):
        raise TypeError("truth must be the Shop (one truth table fits one window only)")
    if len(cutoffs) == 0:
        raise ValueError("cutoffs is empty")
    stamps = [cutoff_day(c, "cutoffs") for c in cutoffs]
    if len(set(stamps)) != len(stamps):
        raise ValueError(f"cutoffs are repeated: {[str(s.date()) for s in stamps]}")
    last = _tx.stats(tx)["last"].normalize()
    comparisons, frames, truth_frames = {}, [], []
    for cutoff in sorted(stamps):
        end = _holdout_end(cutoff, horizon, horizon_unit)
        if end > last:
            raise ValueError(
                f"cutoff {cutoff.date()} + {horizon}{horizon_unit} ends on {end.date()}, after "
                f"the last day of the log ({last.date()}): the holdout would be cut short"
            )
        if comparisons and "cluster_reference" not in kwargs:  # names of the first cut-off
            first = next(iter(comparisons.values()))
            reference = {"cluster_reference": first.models["kmeans"]}
            # "auto" is resolved at the first cut-off; later ones keep its k so that their
            # clusters can be matched to it
            kwargs["n_clusters"] = first.params["settings"]["n_clusters"]
        else:
            reference = {}
        try:
            result = compare_methods(
                tx, calibration_end=cutoff, holdout_end=end, truth=truth, **reference, **kwargs
            )
        except ValueError as error:  # say which window failed
            if type(error) is not ValueError:  # clvlib's subclasses keep their type
                error.add_note(f"(rolling_origin, cutoff {cutoff.date()})")
                raise
            raise ValueError(f"cutoff {cutoff.date()}: {error}") from error
        key = cutoff.date().isoformat()
        if not keep_customers:
            result = replace(
                result,
                scores=result.scores.iloc[:0],
                summary=None,
                models={m: v for m, v in result.models.items() if m == "kmeans"},
            )
        comparisons[key] = result
        stamp = {"cutoff": key, "holdout_end": end.date().isoformat()}
        frames.append(result.metrics.assign(**stamp))
        if result.truth_distance is not None:
            truth_frames.append(result.truth_distance.assign(**stamp))
    columns = ["cutoff", "holdout_end", "method", "metric", "value"]
    return RollingOrigin(
        metrics=pd.concat(frames, ignore_index=True)[columns],
        comparisons=comparisons,
        truth_distance=pd.concat(truth_frames, ignore_index=True)[columns]
        if truth_frames
        else None,
    )


def cutoff_dates(
    tx: pd.DataFrame,
    *,
    horizon: int,
    horizon_unit: str = "D",
    every: str = "quarter",
    min_calibration_days: int = 180,
    max_cutoffs: int | None = None,
) -> list[str]:
    """Sensible cut-offs for :func:`rolling_origin`: quarter (or month) ends within the data.

    A cut-off is kept when at least ``min_calibration_days`` of log precede it (enough
    history to fit retention, quantiles and BG/NBD) and its holdout of ``horizon`` ends by
    the log's last day.

    Parameters
    ----------
    tx : pandas.DataFrame or ibis.Table
        The clean transaction log.
    horizon : int
        Holdout length in ``horizon_unit``.
    horizon_unit : {"D", "W", "M"}, default "D"
        Days, weeks or calendar months.
    every : {"quarter", "month"}, default "quarter"
        Quarter ends (Mar 31, Jun 30, ...) or month ends.
    min_calibration_days : int, default 180
        Shortest calibration period, from the first day of the log.
    max_cutoffs : int, optional
        Keep only the latest ones.

    Returns
    -------
    list of str
        ISO dates, oldest first.
    """
    horizon = _check_horizon(horizon)
    freq = {"quarter": "QE", "month": "ME"}.get(every)
    if freq is None:
        raise ValueError(f"every must be 'quarter' or 'month', got {every!r}")
    span = _tx.stats(tx)
    first, last = span["first"].normalize(), span["last"].normalize()
    candidates = pd.date_range(first + pd.Timedelta(days=min_calibration_days), last, freq=freq)
    kept = [c for c in candidates if _holdout_end(c, horizon, horizon_unit) <= last]
    if max_cutoffs is not None:
        kept = kept[-max_cutoffs:]
    if not kept:
        raise ValueError(
            f"no {every} end between {first.date()} + {min_calibration_days} days and "
            f"{last.date()} leaves a {horizon}{horizon_unit} holdout: shorten the horizon or "
            "min_calibration_days"
        )
    return [c.date().isoformat() for c in kept]
