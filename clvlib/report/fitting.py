"""From the report parameters to fitted methods: the estimators and comparisons the pages show.

Every notebook builds its models here from the same parameters, so that the heuristic CLV of
report 02, the segments of report 03, the clusters of report 04 and the comparison of
reports 00 and 05 are the same objects.
"""

from __future__ import annotations

import contextlib
import dataclasses
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from clvlib.report.cache import _shared
from clvlib.report.exports import export_path
from clvlib.report.provenance import file_sha256


def heuristic_model(params: Mapping[str, Any], *, summary: pd.DataFrame) -> Any:
    """:class:`~clvlib.methods.heuristic.HeuristicCLV` configured from the report parameters.

    Monthly survival rate (:func:`~clvlib.methods.heuristic.estimate_survival`); profit from the
    data's costs when the summary has ``gross_profit`` (else ``margin`` x revenue); CAC from
    the customer table's ``cac`` column when present (else the ``cac`` parameter); the
    yearly ``discount_rate`` turned into a monthly one, ``(1 + d) ** (1 / 12) - 1``.
    """
    from clvlib.methods.heuristic import HeuristicCLV
    from clvlib.methods.value import value_basis

    return HeuristicCLV(
        margin=value_basis(summary, margin=params["margin"]).margin,
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
    from clvlib.methods.value import value_basis

    margin = value_basis(summary, margin=params["margin"]).realised_margin(summary)
    cac = float(summary["cac"].mean()) if "cac" in summary.columns else float(params["cac"])
    return {
        "aov": float(summary["avg_order_value"].mean()),
        "purchases": float(summary["n_orders"].mean()),
        "cac": cac,
        "margin": margin,
    }


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

    split = report_split(params)
    cal = calibration_holdout(
        tx,
        calibration_end=split.calibration_end,
        holdout_end=split.holdout_end,
        time_unit=params["time_unit"],
        customers=customers,
    )
    summary = cal[[c for c in cal.columns if not c.startswith("holdout")]]
    model = heuristic_model(params, summary=summary).fit(
        _tx.upto(tx, split.calibration_end), observation_end=split.calibration_end
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
    from clvlib.methods.rfm import RFMScorer
    from clvlib.methods.rules import load_rules, rule_coverage

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
    from clvlib.methods.rules import assign_segments, load_rules

    rule_set = load_rules(rules)
    return assign_segments(scores, rule_set, prospects=_prospects(rule_set, customers))


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

    settings = comparison_settings(params)

    def compare() -> Any:
        with _caveats_in_text():
            return compare_methods(
                tx,
                truth=truth,
                customers=customers,
                **{**settings, "n_clusters": comparison_k(params, tx=tx)},
            )

    return _shared(params, "comparison", [tx, customers], [settings, truth is not None], compare)


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


# ------------------------------------------------------------------ the report's settings
#
# What the parameters say about the comparison, read in one place each: the split, the
# keywords of compare_methods (which also key the kernels' shared result) and a fixed k.


def report_split(params: Mapping[str, Any]) -> _ReportSplit:
    """The report's calibration/holdout split: both ends, and the holdout length in days."""
    return _ReportSplit(
        calibration_end=pd.Timestamp(params["calibration_end"]),
        holdout_end=pd.Timestamp(params["holdout_end"]),
    )


@dataclasses.dataclass(frozen=True)
class _ReportSplit:
    calibration_end: pd.Timestamp
    holdout_end: pd.Timestamp

    @property
    def holdout_days(self) -> int:
        """Days from the calibration end (excluded) to the holdout end (included)."""
        return (self.holdout_end - self.calibration_end).days


def comparison_settings(params: Mapping[str, Any]) -> dict[str, Any]:
    """The keywords of :func:`~clvlib.compare.comparison.compare_methods` in the parameters.

    ``n_clusters`` as written (``"auto"`` or a number: :func:`comparison_k` resolves it on the
    data); parameters added after a params file was written take the schema's default. What
    the comparison depends on, so also the key of the result the kernels share.
    """
    from clvlib.report.params import PARAMS

    def value(name: str) -> Any:
        return params.get(name, PARAMS[name].default)

    return {
        "calibration_end": params["calibration_end"],
        "holdout_end": params["holdout_end"],
        "time_unit": params["time_unit"],
        "n_bins": params["n_bins"],
        "rule_set": params["rule_set"],
        "n_clusters": params["n_clusters"],
        "random_state": params["random_state"],
        "penalizer": value("bgnbd_penalizer"),
        "penalizer_gg": value("gg_penalizer"),
        "bootstrap_max_customers": value("bootstrap_max_customers"),
        "k_choice_max_customers": value("k_choice_max_customers"),
    }


def fixed_k(params: Mapping[str, Any]) -> int | None:
    """The number of clusters ``n_clusters`` fixes, or None for ``"auto"`` (chosen on the data)."""
    k = params["n_clusters"]
    return None if k == "auto" else int(k)


def comparison_k(params: Mapping[str, Any], *, tx: Any) -> int:
    """Number of k-means clusters of the comparison and of its rolling origins.

    ``n_clusters``, or for ``"auto"`` :func:`~clvlib.methods.clustering.resolve_n_clusters` on the
    summary at ``calibration_end`` (learned on calibration only, like every method). The
    choice is kept in ``<output_dir>/exports/`` keyed by the SHA-256 of the summary, so that
    the reports rendered in other processes (executive summary, comparison) choose once.
    """
    from clvlib.data.summary import customer_summary
    from clvlib.methods.k_choice import resolve_n_clusters

    if (k := fixed_k(params)) is not None:
        return k
    settings = comparison_settings(params)
    summary = customer_summary(
        tx, observation_end=settings["calibration_end"], time_unit=settings["time_unit"]
    )
    return resolve_n_clusters(
        "auto",
        summary,
        random_state=settings["random_state"],
        cache_dir=export_path(params, filename="k_choice").parent,
        max_customers=settings["k_choice_max_customers"],
    )


def fit_clusters(params: Mapping[str, Any], *, summary: pd.DataFrame, choice: Any) -> Any:
    """Fit :class:`~clvlib.CustomerClusterer` with the parameters' number of clusters.

    ``n_clusters``, or for ``"auto"`` the recommended k of ``choice`` (:func:`~clvlib.choose_k`
    on ``summary``).
    """
    from clvlib.methods.clustering import CustomerClusterer

    k = fixed_k(params)
    k = choice.recommended_k if k is None else k
    return CustomerClusterer(n_clusters=k, random_state=params["random_state"]).fit(summary)


def rolling_comparison(
    params: Mapping[str, Any],
    *,
    tx: Any,
    customers: pd.DataFrame | None,
    truth: Any = None,
    max_cutoffs: int = 3,
) -> Any:
    """Rolling origins (:func:`~clvlib.compare.comparison.rolling_origin`) at quarter ends.

    Each window has the report's holdout length in days; cut-offs are the latest
    ``max_cutoffs`` quarter ends whose window ends by the last order (the report's own split
    included when it is a quarter end). Other settings as :func:`run_comparison`. Computed
    once per run and shared by the kernels that ask (the executive summary and report 05
    name their winners from it).
    """
    from clvlib.compare.rolling import cutoff_dates, rolling_origin

    settings = comparison_settings(params)
    horizon = report_split(params).holdout_days

    def roll() -> Any:
        options = {k: v for k, v in settings.items() if k not in ("calibration_end", "holdout_end")}
        cutoffs = cutoff_dates(tx, horizon=horizon, max_cutoffs=max_cutoffs)
        with _caveats_in_text():
            return rolling_origin(
                tx,
                cutoffs=cutoffs,
                horizon=horizon,
                truth=truth,
                customers=customers,
                keep_customers=False,  # the report shows tables and intervals: 1 GB less at 1M
                **{**options, "n_clusters": comparison_k(params, tx=tx)},
            )

    extra = [settings, truth is not None, max_cutoffs]
    return _shared(params, "rolling", [tx, customers], extra, roll)
