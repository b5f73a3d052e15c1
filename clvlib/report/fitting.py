"""From the report parameters to fitted methods: the estimators and comparisons the pages show.

Every notebook builds its models here from the same parameters, so that the heuristic CLV of
report 02, the segments of report 03, the clusters of report 04 and the comparison of
reports 00 and 05 are the same objects.
"""

from __future__ import annotations

import contextlib
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
    from clvlib.compare.split import Split
    from clvlib.data import log as _tx
    from clvlib.data.summary import HOLDOUT_COLUMNS

    split = Split.from_params(params)
    cal = split.calibration_holdout(tx, customers=customers)
    summary = cal.drop(columns=list(HOLDOUT_COLUMNS))  # what the heuristic may see
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

    The split is :meth:`Split.from_params <clvlib.compare.split.Split.from_params>`, the
    settings :func:`report_settings` (``n_clusters`` resolved), so every report compares the
    same thing. Shared by the kernels of one run, keyed by the data, the split and
    :meth:`ComparisonSettings.key <clvlib.compare.settings.ComparisonSettings.key>`.
    """
    from clvlib.compare.comparison import compare_methods
    from clvlib.compare.settings import ComparisonSettings
    from clvlib.compare.split import Split

    split = Split.from_params(params)

    def compare() -> Any:
        from clvlib.data.engine import release_memory

        settings = report_settings(params, tx=tx)
        with _caveats_in_text():
            result = compare_methods(
                tx, split=split, settings=settings, truth=truth, customers=customers
            )
        release_memory()  # the kernel goes on from the result, not from the work's peak
        return result

    key = [split.describe(), ComparisonSettings.from_params(params).key(), truth is not None]
    return _shared(params, "comparison", [tx, customers], key, compare)


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


# ------------------------------------------------------------------ the number of clusters


def report_settings(params: Mapping[str, Any], *, tx: Any) -> Any:
    """The comparison's settings, ``n_clusters`` resolved: the report's and its rolling origins'.

    :meth:`ComparisonSettings.from_params <clvlib.compare.settings.ComparisonSettings.from_params>`,
    then :meth:`~clvlib.compare.settings.ComparisonSettings.resolve_k` on the customer summary
    at ``calibration_end`` (k learned on calibration only, like every method). The choice is
    kept in ``<output_dir>/exports/`` keyed by the SHA-256 of the summary, so that the reports
    rendered in other processes (executive summary, comparison) choose once.
    """
    from clvlib.compare.settings import ComparisonSettings
    from clvlib.compare.split import Split
    from clvlib.data.summary import customer_summary

    split = Split.from_params(params)
    settings = ComparisonSettings.from_params(params)
    cache_dir = export_path(params, filename="k_choice").parent
    key = (split.describe(), settings.key(), str(cache_dir))
    last = _SETTINGS_MEMO.get("last")
    # the comparison and the rolling origins of one kernel ask for the same: one summary
    if last is not None and last[0] is tx and last[1] == key:
        return last[2]
    summary = customer_summary(tx, observation_end=split.calibration_end, time_unit=split.time_unit)
    resolved = settings.resolve_k(summary, at=split.calibration_end, cache_dir=cache_dir)
    _SETTINGS_MEMO["last"] = (tx, key, resolved)
    return resolved


#: the last :func:`report_settings` of this process: (log, key, settings); the log is held
#: so that its identity cannot be taken by another log
_SETTINGS_MEMO: dict[str, tuple[Any, Any, Any]] = {}


def cluster_settings(params: Mapping[str, Any], *, summary: pd.DataFrame) -> Any:
    """The settings of report 04's clusters: ``n_clusters`` resolved on ``summary``.

    :meth:`~clvlib.compare.settings.ComparisonSettings.resolve_k` of the parameters' settings
    (``"auto"``: :func:`~clvlib.choose_k`'s recommendation on ``summary``, the whole log's
    in report 04); its ``k_choice`` says whether k was chosen or given. Nothing is written
    to the exports: the choice is made in one kernel.
    """
    from clvlib.compare.settings import ComparisonSettings

    return ComparisonSettings.from_params(params).resolve_k(summary)


def fit_clusters(settings: Any, *, summary: pd.DataFrame) -> Any:
    """Fit :class:`~clvlib.CustomerClusterer` with the settings' number of clusters and seed.

    ``settings`` of :func:`cluster_settings` (``n_clusters`` a number).
    """
    from clvlib.methods.clustering import CustomerClusterer

    return CustomerClusterer(
        n_clusters=settings.n_clusters, random_state=settings.random_state
    ).fit(summary)


def rolling_comparison(
    params: Mapping[str, Any],
    *,
    tx: Any,
    customers: pd.DataFrame | None,
    truth: Any = None,
    min_cutoffs: int = 3,
) -> Any:
    """Rolling origins (:func:`~clvlib.compare.rolling.rolling_origin`) that make ``min_cutoffs``.

    The cut-offs and their holdout length are :func:`~clvlib.compare.rolling.rolling_plan`'s:
    quarter ends with the report's holdout length when they leave room for ``min_cutoffs``
    cut-offs counting the report's own, else a 90-day holdout at quarter or month ends (the
    report's cut-off keeps its holdout); ``rolling.plan`` says which. Settings as
    :func:`run_comparison`, the report's k included. Computed once per run and shared by the
    kernels that ask (the executive summary and report 05 name their winners from it).
    """
    from clvlib.compare.rolling import rolling_origin, rolling_plan
    from clvlib.compare.settings import ComparisonSettings
    from clvlib.compare.split import Split

    split = Split.from_params(params)

    def roll() -> Any:
        plan = rolling_plan(tx, split, min_cutoffs=min_cutoffs)
        cutoffs = plan.cutoffs or [split.calibration_end.date().isoformat()]
        horizon = plan.holdout_days if plan.cutoffs else split.holdout_days
        with _caveats_in_text():
            return rolling_origin(
                tx,
                cutoffs=cutoffs,
                horizon=horizon,
                time_unit=split.time_unit,
                settings=report_settings(params, tx=tx),
                truth=truth,
                customers=customers,
                keep_customers=False,  # the report shows tables and intervals: 1 GB less at 1M
                plan=plan,
            )

    settings = ComparisonSettings.from_params(params)
    extra = [split.describe(), settings.key(), truth is not None, min_cutoffs, "plan"]
    return _shared(params, "rolling", [tx, customers], extra, roll)
