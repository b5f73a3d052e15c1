"""The method registry: what is compared, how each method is fitted, which metrics judge it.

Every method is fitted on the calibration period only and scores every calibration
customer (:class:`Calibration` is all it sees); :func:`clvlib.compare.comparison.compare_methods`
judges the scores on the holdout with the metrics of :data:`METRICS`.

The registry holds what is not a word: how a method is fitted, the settings it reads, its
colour, which methods a metric judges. The words (label, role, score, forecast, grouping,
unit; a metric's label, unit, direction and definition) are the vocabulary's
(:data:`clvlib.vocabulary.METHODS`, :data:`clvlib.vocabulary.METRICS`), read through
:class:`MethodSpec` and :class:`MetricSpec`.

Adding a method
---------------
Its words in :data:`clvlib.vocabulary.METHODS` (label; role "method" for a contender,
"reference", "floor" or "ceiling"; what its score is, forecasts and groups; unit "money" when
the score is a forecast of holdout value in currency), and one entry in :data:`METHODS`: a
:class:`MethodSpec` with the same code, its chart colour and ``fit``, a function
``fit(calibration: Calibration) -> Fitted`` that sees the calibration summary and log only and
returns the score per customer (and optionally its groups, fitted parameters, model and
caveats). The metrics, intervals, JSON, charts' colours, the reports' contenders and the
glossary entry all follow from those two entries. A reference that raises in ``fit`` is
reported unavailable; a contender that raises stops the comparison, unless it raises
:class:`MethodUnavailable`: the data cannot support it (e.g. a calibration period too short
for a shifted training window), and it is reported absent with that reason instead of
being fitted on something else.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from clvlib.compare import metrics as mt
from clvlib.compare.export import records
from clvlib.compare.split import Split
from clvlib.data import log as _tx
from clvlib.data.summary import active_periods, calibration_holdout
from clvlib.methods.boosting import BoostedValueModel, WindowTooShortError
from clvlib.methods.btyd import EdgeOfParameterSpaceWarning, ProbabilisticCLV
from clvlib.methods.clustering import CustomerClusterer
from clvlib.methods.heuristic import HeuristicCLV
from clvlib.methods.rfm import RFMScorer
from clvlib.methods.rules import assign_segments
from clvlib.vocabulary import METHODS as _METHOD_WORDS
from clvlib.vocabulary import METRICS as _METRIC_WORDS
from clvlib.vocabulary import Method, Term

__all__ = [
    "BOUNDS",
    "CONTENDERS",
    "INTERVAL_METRICS",
    "METHODS",
    "METRICS",
    "TRUTH_METRICS",
    "Calibration",
    "Fitted",
    "MethodSpec",
    "MethodUnavailable",
    "MetricSpec",
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
    split : clvlib.compare.split.Split
        The calibration and holdout periods (its ``first_day`` set: the calibration
        customers' first purchase day).
    settings : types.SimpleNamespace
        The fields of :class:`~clvlib.compare.settings.ComparisonSettings` the method
        declares in ``MethodSpec.options``, and no other.
    cluster_reference : CustomerClusterer or None
        Fitted clusters (of an earlier cut-off) whose labels and names k-means keeps.
    outcome : pandas.Series or None
        The holdout value, given only to the "ceiling" method (perfect foresight).
    shared : dict
        What one method computed that another of the same comparison needs again (the
        split inside calibration of the shifted windows, the Gamma-Gamma spend model):
        computed by the first that asks, reused by the others, emptied by
        :func:`~clvlib.compare.comparison.compare_methods` once every method is fitted.
        Every copy made with :func:`dataclasses.replace` shares it.
    """

    summary: pd.DataFrame
    log: pd.DataFrame
    split: Split
    settings: Any = None
    cluster_reference: Any = None
    outcome: pd.Series | None = None
    shared: dict = field(default_factory=dict, repr=False, compare=False)

    def inner_holdout(
        self, calibration_end: pd.Timestamp, holdout_end: pd.Timestamp
    ) -> pd.DataFrame:
        """:func:`~clvlib.data.summary.calibration_holdout` of a window inside calibration.

        Of the calibration log (nothing after ``calibration_end`` of the comparison), in the
        comparison's time unit, without the customer table; computed once per comparison for
        each window and shared (``gbm``'s shifted window and ``rfm_cells``' inner split are
        one window when the holdout is at most half the calibration period). Callers must
        not modify the frame.
        """
        start, end = pd.Timestamp(calibration_end), pd.Timestamp(holdout_end)
        if end > self.calibration_end:
            raise ValueError(
                f"the window ends on {end.date()}, after the calibration period "
                f"({self.calibration_end.date()})"
            )
        key = ("inner_holdout", start, end)
        if key not in self.shared:
            self.shared[key] = calibration_holdout(
                self.log, calibration_end=start, holdout_end=end, time_unit=self.time_unit
            )
        return self.shared[key]

    @property
    def calibration_end(self) -> pd.Timestamp:
        """Last day of the calibration period."""
        return self.split.calibration_end

    @property
    def horizon(self) -> int:
        """Holdout length in ``time_unit`` (what a money forecast must cover)."""
        return self.split.horizon

    @property
    def time_unit(self) -> str:
        """Unit of the summary durations."""
        return self.split.time_unit


class MethodUnavailable(Exception):  # noqa: N818 (a state, not a failure)
    """Raised by a method's ``fit`` when the data cannot support it: absent, with the reason.

    Any kind of method may raise it (a contender too); the comparison records the message
    in ``params["unavailable"]`` and scores the other methods.
    """


class Fitted(NamedTuple):
    """What a method's ``fit`` returns: its score per customer and what it learned."""

    score: pd.Series
    """One float per customer of ``Calibration.summary`` (higher = more valuable)."""
    groups: pd.Series | None = None
    """The customer's group (segment, cluster); None: the value tiers of the score."""
    params: dict[str, Any] = {}
    """Fitted parameters, JSON-friendly (``Comparison.params.fitted[method]``)."""
    model: Any = None
    """The fitted estimator, for the diagnostics (``Comparison.models[method]``)."""
    caveats: tuple[str, ...] = ()
    """Sentences a reader must see before trusting the score (edge of the model)."""


@dataclass(frozen=True)
class MethodSpec:
    """One method of the comparison: how it is fitted and drawn; its words are the vocabulary's.

    ``label``, ``kind``, ``score``, ``forecasts``, ``grouping`` and ``money`` read
    :data:`clvlib.vocabulary.METHODS` ``[code]``.
    """

    code: str
    """Its code, a key of :data:`clvlib.vocabulary.METHODS`."""
    colour: str
    """Its colour in every chart."""
    fit: Callable[[Calibration], Fitted] = field(repr=False, compare=False)
    """Fit on the calibration period and score every customer of ``summary``."""
    options: tuple[str, ...] = ()
    """The :class:`~clvlib.compare.settings.ComparisonSettings` fields ``fit`` reads."""

    def __post_init__(self) -> None:
        if self.code not in _METHOD_WORDS:
            raise KeyError(f"method {self.code!r} has no entry in clvlib.vocabulary.METHODS")

    @property
    def words(self) -> Method:
        """Its entry in the vocabulary."""
        return _METHOD_WORDS[self.code]

    @property
    def kind(self) -> str:
        """Its role: "method" (a contender), "reference", "floor" or "ceiling"."""
        return self.words.role

    @property
    def label(self) -> str:
        """Name for charts and reports."""
        return self.words.label

    @property
    def score(self) -> str:
        """What the score is, from calibration data only."""
        return self.words.score

    @property
    def forecasts(self) -> str:
        """What the score stands for (a money forecast, or a ranking)."""
        return self.words.forecasts

    @property
    def grouping(self) -> str:
        """The groups judged by the share of holdout-value variance they explain."""
        return self.words.grouping

    @property
    def money(self) -> bool:
        """The score is a forecast of holdout value in currency (money metrics apply)."""
        return self.words.unit == "money"

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
    model = HeuristicCLV(period=s.heuristic_period).fit(
        cal.log, observation_end=cal.calibration_end
    )
    score = model.predict_value(cal.summary, horizon=cal.horizon, time_unit=cal.time_unit)
    params = {
        "retention": float(model.retention_),
        "retention_kind": "survival (lapse after L periods without a purchase)",
        "lapse_periods": int(model.lapse_periods_),
        "gap_quantile": float(model.gap_quantile),
        "window_periods": model.window,
        "period": s.heuristic_period,
        "expected_lifetime_periods": float(model.expected_lifetime_),
    }
    return Fitted(score, params=params, model=model)


def _fit_rfm(cal: Calibration) -> Fitted:
    s = cal.settings
    scorer = RFMScorer(s.n_bins).fit(cal.summary)
    rfm = scorer.transform(cal.summary)
    segments = assign_segments(rfm, s.rule_set).reindex(cal.summary.index)
    params = {
        "columns": dict(scorer.columns_),
        "edges": {a: [float(e) for e in v] for a, v in scorer.edges_.items()},
        "bin_scores": {a: [int(v) for v in b] for a, b in scorer.bin_scores_.items()},
    }
    groups = _ordered(segments, s.rule_set.segments)
    return Fitted(rfm["rfm_score"].astype("float64"), groups, params, scorer)


def _fit_rfm_cells(cal: Calibration) -> Fitted:
    """Mean next-period value of each R x F x M cell, learned on a split of calibration."""
    s = cal.settings
    split = cal.split.inner()
    inner_end, inner_days = split.calibration_end, split.holdout_days
    inner = cal.inner_holdout(split.calibration_end, split.holdout_end)
    scorer = RFMScorer(s.n_bins).fit(inner)
    cells = _cells(scorer.transform(inner))
    value = inner["holdout_value"].to_numpy(dtype=float)
    grand = float(value.mean())
    by_cell = pd.DataFrame({"cell": cells, "value": value}).groupby("cell")["value"]
    n, mean = by_cell.size(), by_cell.mean()
    # small cells are pulled towards the overall mean (20 pseudo-customers)
    shrunk = (n * mean + _CELL_PRIOR * grand) / (n + _CELL_PRIOR)
    scale = cal.split.holdout_days / inner_days
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
    clusterer = CustomerClusterer(s.n_clusters, random_state=s.random_state).fit(cal.summary)
    if cal.cluster_reference is not None:  # names stay put across cut-offs
        clusterer.match(cal.cluster_reference)
    labels = clusterer.predict(cal.summary)
    cluster_value = cal.summary["total_value"].groupby(labels).mean()
    names = _cluster_labels(labels, clusterer.cluster_names_)
    order = [f"{k}: {n}" for k, n in enumerate(clusterer.cluster_names_)]
    params = {
        "cluster_names": list(clusterer.cluster_names_),
        "centers": records(clusterer.cluster_centers_original_.reset_index()),
        "cluster_mean_value": [float(v) for v in cluster_value.sort_index()],
        "inertia": float(clusterer.inertia_),
    }
    score = labels.map(cluster_value).astype("float64")
    return Fitted(score, _ordered(names, order), params, clusterer)


def _fit_bgnbd_gg(cal: Calibration) -> Fitted:
    return _fit_btyd(cal, "bgnbd")


def _fit_pareto_nbd(cal: Calibration) -> Fitted:
    """Pareto/NBD purchases x the same Gamma-Gamma spend as :func:`_fit_bgnbd_gg`."""
    return _fit_btyd(cal, "pareto_nbd")


def _fit_btyd(cal: Calibration, purchases: str) -> Fitted:
    """A BTYD purchase model x Gamma-Gamma, spend per purchase net of returns.

    The value model is fitted on the basis the forecast is judged on (the holdout value is
    net of returns): each customer's mean repeat spend times the share of calibration
    purchases kept (:func:`clvlib.methods.btyd.kept_share`).
    """
    s = cal.settings
    # the Gamma-Gamma spend model is the same for both purchase models: fitted once
    key = ("gamma_gamma", s.penalizer, s.penalizer_gg)
    reuse = {"value_from": cal.shared[key]} if key in cal.shared else {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", EdgeOfParameterSpaceWarning)
        model = ProbabilisticCLV(
            penalizer=s.penalizer, penalizer_gg=s.penalizer_gg, purchases=purchases, spend="net"
        ).fit(cal.summary, **reuse)
    cal.shared.setdefault(key, model)
    caveats = []
    for w in caught:  # passed on to the caller, and kept with the result (reports print them)
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        if issubclass(w.category, EdgeOfParameterSpaceWarning):
            caveats.append(str(w.message))
    score = model.predict(cal.summary, horizon=cal.horizon)
    params = {
        purchases: {k: float(v) for k, v in model.purchases_model_.params_.items()},
        "gamma_gamma": {
            **{k: float(v) for k, v in model.value_model_.params_.items()},
            "n_excluded": int(len(model.value_model_.excluded_)),
            "spend_scale": float(model.spend_scale_),
            "spend": "net of returns",
        },
        "dropout_share": float(model.dropout_share_),
        "mean_probability_alive": float(model.mean_probability_alive_),
    }
    return Fitted(score, params=params, model=model, caveats=tuple(caveats))


def _fit_gbm(cal: Calibration) -> Fitted:
    """Gradient boosting trained on a window shifted one holdout length back in calibration.

    Absent (:class:`MethodUnavailable`) when the calibration period cannot hold that window:
    never fitted on a shorter or leaked one.
    """
    try:
        model = BoostedValueModel(cal.settings.gbm_loss).fit(
            cal.log,
            calibration_end=cal.calibration_end,
            horizon_days=cal.split.holdout_days,
            time_unit=cal.time_unit,
            window=cal.inner_holdout,  # rfm_cells' inner split, when it is the same window
        )
    except WindowTooShortError as error:
        raise MethodUnavailable(str(error)) from error
    score = model.predict(cal.summary)
    params = {
        "loss": model.loss,
        "training_end": model.training_end_.date().isoformat(),
        "horizon_days": model.horizon_days_,
        "n_training_customers": model.n_training_customers_,
        "training_target_mean": model.training_target_mean_,
        "n_iter": int(model.estimator_.n_iter_),
    }
    return Fitted(score.astype("float64"), params=params, model=model)


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
    split = cal.split.inner()
    inner_end, inner_days = split.calibration_end, split.holdout_days
    # the purchase days of each customer, reduced by the engine (sorted by customer and day)
    active = active_periods(cal.log, observation_end=cal.calibration_end, period="D")
    days = pd.DataFrame(
        {"customer_id": active["customer_id"], "day": active["period"].dt.to_timestamp()}
    )
    before = days[days.day <= inner_end]
    gaps = before.groupby("customer_id")["day"].diff().dt.days.dropna()
    if gaps.empty:
        candidates = [float(inner_days)]
    else:
        candidates = sorted({float(np.ceil(q)) for q in gaps.quantile(list(HIATUS_QUANTILES))})
    since = (inner_end - before.groupby("customer_id")["day"].max()).dt.days
    after = days.loc[days.day > inner_end, "customer_id"].unique()
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
    score = cal.summary["total_value"] * cal.split.holdout_days / cal.split.calibration_days
    return Fitted(score.astype("float64"))


def _fit_recent(cal: Calibration) -> Fitted:
    days = max(1, min(cal.settings.recent_days, cal.split.calibration_days))
    recent = _tx.lines(cal.log, start=cal.split.last_days(days))  # the window's lines only
    spend = recent.groupby("customer_id")["amount"].sum()
    score = spend.reindex(cal.summary.index, fill_value=0.0).astype("float64")
    return Fitted(score * cal.split.holdout_days / days, params={"days": days})


def _fit_random(cal: Calibration) -> Fitted:
    rng = np.random.default_rng(cal.settings.random_state)
    return Fitted(pd.Series(rng.random(len(cal.summary)), index=cal.summary.index))


def _fit_perfect(cal: Calibration) -> Fitted:
    return Fitted(cal.outcome.astype("float64"))


#: The methods of the comparison, in report order: the contenders, then the references.
#: Add a method with its words in the vocabulary and one entry here (see the module docstring).
METHODS: dict[str, MethodSpec] = {
    spec.code: spec
    for spec in (
        MethodSpec("heuristic_clv", "#1b9e77", _fit_heuristic, options=("heuristic_period",)),
        MethodSpec("rfm", "#d95f02", _fit_rfm, options=("n_bins", "rule_set")),
        MethodSpec("kmeans", "#7570b3", _fit_kmeans, options=("n_clusters", "random_state")),
        MethodSpec("hiatus", "#1f78b4", _fit_hiatus),
        MethodSpec("gbm", "#b15928", _fit_gbm, options=("gbm_loss",)),
        MethodSpec("rfm_cells", "#e6ab02", _fit_rfm_cells, options=("n_bins",)),
        MethodSpec("bgnbd_gg", "#e7298a", _fit_bgnbd_gg, options=("penalizer", "penalizer_gg")),
        MethodSpec("pareto_nbd", "#fb9a99", _fit_pareto_nbd, options=("penalizer", "penalizer_gg")),
        MethodSpec("naive_spend", "#a6761d", _fit_naive),
        MethodSpec("recent_spend", "#66a61e", _fit_recent, options=("recent_days",)),
        MethodSpec("random", "#9e9e9e", _fit_random, options=("random_state",)),
        MethodSpec("perfect_foresight", "#000000", _fit_perfect),
    )
}

#: The contenders (kind "method"); the other methods are references and bounds.
CONTENDERS: tuple[str, ...] = tuple(m for m, s in METHODS.items() if s.kind == "method")
#: The bounds: never winners, only reading aids.
BOUNDS: tuple[str, ...] = tuple(m for m, s in METHODS.items() if s.kind in ("floor", "ceiling"))
#: Kinds whose fit may fail without stopping the comparison (marked unavailable instead).
_OPTIONAL_KINDS = ("reference",)


@dataclass(frozen=True)
class MetricSpec:
    """One metric of the comparison table: which methods it judges; its words are the vocabulary's.

    ``label``, ``unit``, ``scale``, ``direction`` and ``definition`` read
    :data:`clvlib.vocabulary.METRICS` ``[code]``.
    """

    code: str
    """Its code, a key of :data:`clvlib.vocabulary.METRICS`."""
    applies: str = "all"
    """"all" methods, "money" forecasts only."""

    def __post_init__(self) -> None:
        if self.code not in _METRIC_WORDS:
            raise KeyError(f"metric {self.code!r} has no entry in clvlib.vocabulary.METRICS")

    @property
    def words(self) -> Term:
        """Its entry in the vocabulary."""
        return _METRIC_WORDS[self.code]

    @property
    def direction(self) -> str:
        """Which value is better: "higher", "lower", "zero" (closest to 0) or "none" (context)."""
        return self.words.direction or "none"

    @property
    def label(self) -> str:
        """Its name in words."""
        return self.words.label

    @property
    def unit(self) -> str:
        """The unit of its values (:func:`clvlib.vocabulary.format_number`)."""
        return self.words.unit or "number"

    @property
    def scale(self) -> str:
        """The unit or range shown after the label ("-1..1", "currency", "%")."""
        return self.words.scale

    @property
    def definition(self) -> str:
        """One written definition, as the glossary prints it."""
        return self.words.definition


def _metrics(applies: str, *codes: str) -> dict[str, MetricSpec]:
    return {code: MetricSpec(code, applies) for code in codes}


#: The metrics, in table order.
METRICS: dict[str, MetricSpec] = {
    **_metrics(
        "all",
        "spearman",
        "top10_share",
        "top20_share",
        "gains_gini",
        "gains_gini_normalised",
        "top10_lift",
        "auc",
        "eta_squared",
        "epsilon_squared",
        "n_groups",
    ),
    **_metrics(
        "money",
        "mae",
        "mae_zero",
        "mae_skill",
        "rmse",
        "relative_mae",
        "bias",
        "total_predicted",
        "total_realised",
        "total_error_pct",
    ),
}

#: Distance of each method from the simulated truth (the true expected holdout value).
TRUTH_METRICS: dict[str, MetricSpec] = {
    **_metrics("all", "spearman_truth", "top20_share_truth"),
    **_metrics("money", "mae_truth", "total_error_pct_truth"),
}

_TRUTH_COLUMNS = ("alive", "expected_orders", "expected_value")

#: Ranking metrics with a paired bootstrap interval (Comparison.differences).
INTERVAL_METRICS: tuple[str, ...] = mt.BOOTSTRAP_METRICS


def _cluster_labels(labels: pd.Series, names: Sequence[str]) -> pd.Series:
    """``"0: recent, frequent, high value"``: the label first, so the order reads."""
    text = np.array([f"{k}: {n}" for k, n in enumerate(names)], dtype=object)
    return pd.Series(text[labels.to_numpy()], index=labels.index, name="cluster_name", dtype="str")


def _ordered(labels: pd.Series, order: Sequence[str]) -> pd.Series:
    """Categorical labels in a stated order (only the categories present or listed)."""
    seen = [v for v in pd.unique(labels) if v not in order]
    return labels.astype(pd.CategoricalDtype([*order, *sorted(seen)]))
