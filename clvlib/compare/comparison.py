"""Which method finds tomorrow's valuable customers? The holdout comparison.

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
gbm                method      gradient boosting trained on a shifted window (currency)
rfm_cells          reference   mean next-period value of the R x F x M cell (currency)
bgnbd_gg           reference   BG/NBD x Gamma-Gamma expected holdout value (currency)
pareto_nbd         reference   Pareto/NBD x the same Gamma-Gamma (currency)
naive_spend        reference   calibration total_value scaled to the holdout length
recent_spend       reference   spend in the last 90 days scaled to the holdout length
random             floor       uniform random numbers (seed ``random_state``)
perfect_foresight  ceiling     the holdout value itself
=================  ==========  =========================================================

A winner is named only when the paired customer bootstrap interval of its margin over the
runner-up excludes 0 (:attr:`Comparison.differences`, :mod:`clvlib.compare.winner`);
otherwise the summary says "no clear winner". A reference whose fit fails, or any method the
data cannot support (:class:`~clvlib.compare.registry.MethodUnavailable`), is marked
unavailable with the reason (``params["unavailable"]``) and everything else is still scored.
Money is judged on one basis (``params["value_basis"]``); :attr:`Comparison.totals` gives each
money forecast's total over the realised total with a customer-bootstrap interval.
The methods and metrics are declared in :mod:`clvlib.compare.registry` (adding a method is one
entry there); :func:`clvlib.compare.rolling.rolling_origin` repeats the comparison at several
cut-off dates.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from clvlib._version import __version__
from clvlib.compare import metrics as mt
from clvlib.compare.export import jsonable, nested, records, write_json
from clvlib.compare.registry import (
    _OPTIONAL_KINDS,
    _TRUTH_COLUMNS,
    BOUNDS,
    INTERVAL_METRICS,
    METHODS,
    METRICS,
    TRUTH_METRICS,
    Calibration,
    Fitted,
    MethodUnavailable,
    MetricSpec,
    _cluster_labels,
    _ordered,
)
from clvlib.compare.settings import VALUE_BASES, ComparisonSettings
from clvlib.compare.split import Split
from clvlib.compare.totals import basis_factor, forecast_totals
from clvlib.compare.winner import (
    NO_CLEAR_WINNER,
    RANKING_METRICS,
    Winner,
    _clear,
    _has_candidates,
    _interval,
    _winner,
    summary_text,
    winner_across,
)
from clvlib.data import log as _tx
from clvlib.data.summary import HOLDOUT_COLUMNS, customer_summary
from clvlib.methods.clustering import CustomerClusterer
from clvlib.methods.rules import assign_segments
from clvlib.methods.tiers import value_tiers
from clvlib.vocabulary import format_number

__all__ = ["Comparison", "compare_methods"]

#: the settings recorded in ``params["settings"]`` (with the resolved k and how it was chosen)
_EXPORTED_SETTINGS = (
    "n_bins",
    "rule_set",
    "n_clusters",
    "k_choice",
    "random_state",
    "heuristic_period",
    "penalizer",
    "penalizer_gg",
    "recent_days",
    "value_basis",
    "n_resamples",
    "confidence",
)


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
    split: Split | None = None
    """The calibration and holdout periods (:class:`~clvlib.compare.split.Split`)."""
    settings: ComparisonSettings | None = None
    """The settings it ran with, ``n_clusters`` resolved (:meth:`ComparisonSettings.resolve_k`)."""
    models: dict[str, Any] = field(default_factory=dict)
    """The fitted estimator of each method (``models["bgnbd_gg"]`` for the diagnostics)."""
    summary: pd.DataFrame | None = None
    """The calibration summary the methods saw (no holdout column)."""
    timings: dict[str, float] = field(default_factory=dict)
    """Seconds per stage of the run (not part of to_dict: it changes run to run)."""
    totals: pd.DataFrame | None = None
    """Per money forecast: total forecast / total realised, with its customer-bootstrap
    interval (:func:`clvlib.compare.totals.forecast_totals`), on ``params["value_basis"]``."""

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
        """Gains curve of every available method on the holdout value.

        Tidy ``method``, ``customer_share``, ``outcome_share`` (see
        :func:`clvlib.compare.metrics.gains_curve`).
        """
        outcome = self.scores["holdout_value"]
        frames = [
            mt.gains_curve(self.scores[m], outcome).assign(method=m)[
                ["method", "customer_share", "outcome_share"]
            ]
            for m in METHODS
            if self.scores[m].notna().all()  # an unavailable method has no curve
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

    def summary_text(self, rolling: Any = None) -> str:
        """A few sentences: which method wins on what, by how much; reports open with it.

        With ``rolling`` (the :class:`~clvlib.compare.rolling.RollingOrigin` of the same
        data), each verdict is the one winner rule over the report's and the rolling
        origins' cut-offs (:func:`~clvlib.compare.winner.winner_across`); without, over this
        cut-off alone.
        """
        return summary_text(self, rolling)

    def to_dict(self, rolling: Any = None) -> dict[str, Any]:
        """Everything but the per-customer scores, JSON-friendly and deterministic.

        Floats are rounded to 6 significant digits, NaN becomes None; no timing or date of
        the run is included, so the same inputs give the same dictionary. ``winners`` holds,
        per metric, the best method at this cut-off (references included) and whether its
        interval against the runner-up excludes 0 here. With ``rolling``, ``winner`` holds
        per ranking metric the one winner rule's result among the contenders
        (:func:`~clvlib.compare.winner.winner_across` over the report's and the rolling
        origins' cut-offs), and ``summary`` states it.
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
            "metrics": records(self.metrics),
            "differences": None if self.differences is None else records(self.differences),
            "truth_distance": None if self.truth_distance is None else records(self.truth_distance),
            "groups": records(self.groups),
            "agreement": {
                "ari": self.agreement.ari,
                "nmi": self.agreement.nmi,
                "n": self.agreement.n,
                "crosstab": nested(self.agreement.crosstab),
            },
            "migration": {
                "segments": nested(self.migration.counts),
                "clusters": nested(self.cluster_migration.counts),
            },
            "winners": winners,
            "forecast_totals": None if self.totals is None else records(self.totals),
            "summary": self.summary_text(rolling),
        }
        if rolling is not None:
            out["winner"] = {m: _winner_record(self, rolling, m) for m in RANKING_METRICS}
        return jsonable(out)

    def to_json(self, path: str | os.PathLike | None = None, *, rolling: Any = None) -> str:
        """:meth:`to_dict` as JSON (sorted keys, 2-space indent); written to ``path`` if given.

        Byte-identical for the same inputs. Returns the text.
        """
        return write_json(self.to_dict(rolling), path)


def _winner_record(comparison: Comparison, rolling: Any, metric: str) -> dict[str, Any]:
    """The one winner rule's result on ``metric``, as the ``winner`` entry of the JSON."""
    r = winner_across(comparison, rolling, metric)
    return {
        "method": r.method,
        "verdict": r.method or NO_CLEAR_WINNER,
        "headline": r.headline,
        "cutoffs_won": r.cutoffs_won,
        "cutoffs_tried": r.cutoffs_tried,
        "clear_wins": r.clear_wins,
        "margin": r.margin,
        "ci_low": r.interval[0],
        "ci_high": r.interval[1],
        "cutoffs": [w._asdict() for w in r.per_cutoff],
        "sentence": r.sentence,
    }


# --------------------------------------------------------------------------------------
# the comparison
# --------------------------------------------------------------------------------------


def compare_methods(
    tx: pd.DataFrame,
    *,
    calibration_end: str | pd.Timestamp | None = None,
    holdout_end: str | pd.Timestamp | None = None,
    time_unit: str = "D",
    split: Split | None = None,
    settings: ComparisonSettings | None = None,
    customers: pd.DataFrame | None = None,
    truth: Any = None,
    cluster_reference: CustomerClusterer | None = None,
    **options: Any,
) -> Comparison:
    """Fit every method on the calibration period, score its customers, judge on the holdout.

    Nothing after ``calibration_end`` reaches a method: the heuristic retention is fitted
    on the log cut at ``calibration_end``, and RFM edges, k-means centres and BG/NBD +
    Gamma-Gamma parameters on the calibration summary without its holdout columns.
    Customers are those with a purchase by ``calibration_end``.

    Parameters
    ----------
    tx : pandas.DataFrame or ibis.Table
        The clean transaction log (:func:`clvlib.load_transactions`), not modified.
    calibration_end, holdout_end : str or pandas.Timestamp
        Last day of the calibration and of the holdout period (whole days included).
    time_unit : {"D", "W", "M"}, default "D"
        Unit of the summary durations (recency, T); BG/NBD is fitted in it.
    split : clvlib.compare.split.Split, optional
        The two periods as one object, instead of ``calibration_end``, ``holdout_end`` and
        ``time_unit``.
    settings : clvlib.compare.settings.ComparisonSettings, optional
        Every setting of the comparison (``n_bins``, ``rule_set``, ``n_clusters``,
        ``random_state``, penalties, bootstrap ...). Default: built from ``**options``.
    customers : pandas.DataFrame, optional
        Customer table (channel, CAC), passed to the summary.
    truth : pandas.DataFrame or clvlib.data.shop.Shop, optional
        Simulated truth for the holdout: a :meth:`Shop.truth` table for (calibration_end,
        holdout_end] (columns ``alive``, ``expected_orders``, ``expected_value``), or the
        Shop itself (its truth is then taken for exactly this window). Adds
        :attr:`Comparison.truth_distance`.
    cluster_reference : CustomerClusterer, optional
        A fitted clusterer (e.g. of an earlier cut-off): the k-means clusters are matched to
        its centres and take its labels and names (:meth:`CustomerClusterer.match`).
    **options
        The fields of :class:`~clvlib.compare.settings.ComparisonSettings` (when
        ``settings`` is not given): ``n_bins=5``, ``rule_set="r_rfm"``, ``n_clusters=5`` (or
        "auto", resolved on the calibration summary), ``random_state=0``,
        ``heuristic_period="M"``, ``penalizer=0.0``, ``penalizer_gg=None``,
        ``recent_days=90``, ``n_resamples=300``, ``confidence=0.95``,
        ``bootstrap_max_customers=200_000``, ``k_choice_max_customers=200_000``. Above
        ``bootstrap_max_customers`` customers the bootstrap intervals resample a fixed
        random subsample (wider intervals, a conservative winner; recorded in
        ``params["settings"]["bootstrap_customers"]`` and the caveats).

    Returns
    -------
    Comparison

    Notes
    -----
    Money is compared on one basis, ``settings.value_basis``: net of returns, undiscounted,
    as the holdout value is (Gamma-Gamma is fitted on net spend per purchase), and with
    ``"net_margin"`` every money forecast and the realised value times the margin. A margin
    scales the money forecasts without changing any ranking or forecast / realised ratio.

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
    if split is None:
        split = Split(calibration_end, holdout_end, time_unit=time_unit)
    elif calibration_end is not None or holdout_end is not None:
        raise TypeError("give split= or calibration_end= and holdout_end=, not both")
    settings = ComparisonSettings.of(settings, **options)
    _tx.check(tx)
    cal = split.calibration_holdout(tx, customers=customers)
    summary = cal.drop(columns=list(HOLDOUT_COLUMNS))  # what the methods may see
    split = split.starting(summary["first_purchase"].min())
    cal_end, hold_end = split.calibration_end, split.holdout_end
    summary.attrs = {"observation_end": cal_end.date().isoformat(), "time_unit": split.time_unit}
    factor = basis_factor(settings.value_basis, settings.margin)
    cal["holdout_value"] = cal["holdout_value"] * factor  # the one value basis
    outcome = cal["holdout_value"]
    if not outcome.sum() > 0:
        raise ValueError(
            f"the holdout ({cal_end.date()}, {hold_end.date()}] has no net value "
            f"({outcome.sum():g}): nothing to rank customers by"
        )
    truth_table = _truth(truth, split, summary.index)  # checked before any fit
    calibration_log = _tx.upto(tx, cal_end)  # a lazy log stays lazy
    resolved = settings.resolve_k(summary, at=cal_end)
    k_chosen_here = resolved.k_choice != settings.k_choice  # "auto" was resolved on this summary
    settings = resolved
    context = Calibration(
        summary=summary, log=calibration_log, split=split, cluster_reference=cluster_reference
    )
    clock.lap("summary")

    scores = pd.DataFrame(index=summary.index)
    fitted: dict[str, Fitted] = {}
    unavailable: dict[str, str] = {}
    caveats: list[str] = []
    for method, spec in METHODS.items():
        ctx = replace(context, settings=settings.only(spec.options))
        if spec.kind == "ceiling":
            ctx = replace(ctx, outcome=outcome)
        try:
            result = spec.fit(ctx)
            score = pd.Series(result.score, dtype="float64").reindex(summary.index)
            if spec.money and spec.kind != "ceiling":
                score = score * factor
            bad = ~np.isfinite(score.to_numpy())
            if bad.any():
                raise ValueError(
                    f"{int(bad.sum())} of {bad.size} predictions are missing or infinite "
                    f"(e.g. customers {list(score.index[bad][:5])})"
                )
        except Exception as error:  # a reference never stops the comparison
            if isinstance(error, MethodUnavailable):  # the data cannot support it: absent
                unavailable[method] = str(error)
            elif spec.kind not in _OPTIONAL_KINDS:
                raise
            else:
                unavailable[method] = f"{type(error).__name__}: {error}"
            scores[method] = np.nan
            clock.lap(f"fit {method}")
            continue
        fitted[method] = result
        scores[method] = score
        caveats += list(result.caveats)
        clock.lap(f"fit {method}")
    context.shared.clear()  # the inner split's summary: hundreds of MB at 1M customers
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
        n_resamples=settings.n_resamples,
        random_state=settings.random_state,
        confidence=settings.confidence,
        max_customers=settings.bootstrap_max_customers,
    )
    totals = forecast_totals(
        scores,
        [m for m, spec in METHODS.items() if spec.money],
        outcome,
        n_resamples=settings.n_resamples,
        random_state=settings.random_state,
        confidence=settings.confidence,
        max_customers=settings.bootstrap_max_customers,
    )
    clock.lap("intervals")
    # the large-n shortcuts, said only where they applied (no shipped data set reaches them)
    large_n = {}
    n = len(scores)
    bootstrap_max_customers = settings.bootstrap_max_customers
    k_choice_max_customers = settings.k_choice_max_customers
    if bootstrap_max_customers is not None and n > bootstrap_max_customers:
        large_n["bootstrap_customers"] = int(bootstrap_max_customers)
        caveats.append(
            f"The paired bootstrap intervals resample a fixed random subsample of "
            f"{format_number(bootstrap_max_customers, 'count')} of the "
            f"{format_number(n, 'count')} customers (the point differences use "
            "everyone): they are wider than the full data's, so a clear winner called on "
            "them is a conservative claim."
        )
    if k_chosen_here and k_choice_max_customers is not None and n > k_choice_max_customers:
        large_n["k_choice_customers"] = int(k_choice_max_customers)
        caveats.append(
            f"The number of clusters was chosen on a fixed random sample of "
            f"{format_number(k_choice_max_customers, 'count')} of the "
            f"{format_number(n, 'count')} customers; the clusters are fitted "
            "on everyone."
        )

    clusterer = kmeans.model
    ruleset = settings.rule_set
    cluster_order = [f"{k}: {n}" for k, n in enumerate(clusterer.cluster_names_)]
    agreement = mt.agreement(  # rows in rule order, columns in cluster order
        _ordered(scores["segment"], ruleset.segments).cat.remove_unused_categories(),
        _ordered(scores["cluster_name"], cluster_order)
        .cat.remove_unused_categories()
        .rename("cluster"),
    )
    later = customer_summary(
        tx, observation_end=hold_end, time_unit=split.time_unit, customers=customers
    )
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
        **split.describe(),
        "n_customers": int(len(scores)),
        "bought_again_share": float(scores["bought_again"].mean()),
        "holdout_value_total": float(outcome.sum()),
        "value_basis": VALUE_BASES[settings.value_basis],
        "data": {
            "n_lines": int(log_stats["n_lines"]),
            "n_lines_calibration": int(_tx.stats(calibration_log)["n_lines"]),
            "first_timestamp": str(log_stats["first"]),
            "last_timestamp": str(log_stats["last"]),
        },
        "settings": {
            **{k: v for k, v in settings.describe().items() if k in _EXPORTED_SETTINGS},
            "clusters_matched": cluster_reference is not None,
            "truth": truth_table is not None,
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
        split=split,
        settings=settings,
        models={m: f.model for m, f in fitted.items() if f.model is not None},
        summary=summary,
        timings=clock.laps,
        totals=totals,
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


def _truth(truth: Any, split: Split, customers: pd.Index) -> pd.DataFrame | None:
    """The truth for the scored customers, checked to be of exactly the holdout window."""
    if truth is None:
        return None
    cal_end, hold_end = split.calibration_end, split.holdout_end
    if hasattr(truth, "truth") and callable(truth.truth):  # a Shop
        truth = truth.truth(cal_end, horizon=split.holdout_days, time_unit="D")
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
