"""clvlib: customer lifetime value, RFM segments and k-means clusters from an order log.

The public API is re-exported here lazily: ``import clvlib`` is cheap, and each module
(with its heavy imports such as scikit-learn or matplotlib) loads on first use of one of
its names. ``_API`` is the one table of what is public and where it lives.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from clvlib._version import __version__

# public name -> module that defines it (one definition of each name, in one place)
_API: dict[str, str] = {
    # data/reading.py, audit.py — loading with a full audit of every input row
    "load_transactions": "clvlib.data.reading",
    "load_online_retail": "clvlib.data.reading",
    "LoadAudit": "clvlib.data.audit",
    "SchemaError": "clvlib.data.audit",
    # datasets.py — the simulated shop (embedded default) and its ground truth
    "simulate_shop": "clvlib.data.shop",
    "load_default_shop": "clvlib.data.shop",
    "Shop": "clvlib.data.shop",
    # summary.py — the per-customer summary every method starts from
    "customer_summary": "clvlib.data.summary",
    "calibration_holdout": "clvlib.data.summary",
    # glossary.py — the definitions every report prints
    "glossary": "clvlib.report.glossary",
    # heuristic.py — heuristic CLV and value tiers
    "clv_simple": "clvlib.methods.heuristic",
    "clv_simple_cac_after_margin": "clvlib.methods.heuristic",
    "historic_clv": "clvlib.methods.heuristic",
    "estimate_retention": "clvlib.methods.heuristic",
    "estimate_survival": "clvlib.methods.heuristic",
    "SurvivalEstimate": "clvlib.methods.heuristic",
    "clv_discounted": "clvlib.methods.heuristic",
    "HeuristicCLV": "clvlib.methods.heuristic",
    "clv_sensitivity": "clvlib.methods.heuristic",
    "clv_by_group": "clvlib.methods.heuristic",
    "first_order_profit": "clvlib.methods.heuristic",
    "clv_vs_first_order": "clvlib.methods.heuristic",
    "channel_economics": "clvlib.methods.heuristic",
    "discount_shoppers": "clvlib.methods.heuristic",
    "retention_policies": "clvlib.methods.heuristic",
    "value_tiers": "clvlib.methods.heuristic",
    "tier_table": "clvlib.methods.heuristic",
    "lorenz_curve": "clvlib.methods.heuristic",
    "RetentionEstimate": "clvlib.methods.heuristic",
    "LorenzCurve": "clvlib.methods.heuristic",
    # rfm.py — RFM quantile scores and rule-based segments
    "RFMScorer": "clvlib.methods.rfm",
    "rfm_scores": "clvlib.methods.rfm",
    "load_rules": "clvlib.methods.rfm",
    "assign_segments": "clvlib.methods.rfm",
    "rule_coverage": "clvlib.methods.rfm",
    "rule_overlaps": "clvlib.methods.rfm",
    "RuleSet": "clvlib.methods.rfm",
    "RuleSetError": "clvlib.methods.rfm",
    "segment_table": "clvlib.methods.rfm",
    "export_segments": "clvlib.methods.rfm",
    # clustering.py — k-means clusters
    "CustomerClusterer": "clvlib.methods.clustering",
    "cluster_customers": "clvlib.methods.clustering",
    "choose_k": "clvlib.methods.clustering",
    "cluster_profiles": "clvlib.methods.clustering",
    "name_clusters": "clvlib.methods.clustering",
    "KChoice": "clvlib.methods.clustering",
    # models.py — probabilistic reference (BG/NBD + Gamma-Gamma, maximum likelihood)
    "BetaGeoModel": "clvlib.methods.btyd",
    "GammaGammaModel": "clvlib.methods.btyd",
    "ProbabilisticCLV": "clvlib.methods.btyd",
    "expected_clv": "clvlib.methods.btyd",
    "check_independence": "clvlib.methods.btyd",
    "ConvergenceError": "clvlib.methods.btyd",
    # metrics.py — the comparison metrics (pure functions on arrays / Series)
    "spearman": "clvlib.compare.metrics",
    "top_share_captured": "clvlib.compare.metrics",
    "gains_curve": "clvlib.compare.metrics",
    "gains_gini": "clvlib.compare.metrics",
    "auc": "clvlib.compare.metrics",
    "forecast_errors": "clvlib.compare.metrics",
    "decile_calibration": "clvlib.compare.metrics",
    "variance_explained": "clvlib.compare.metrics",
    "agreement": "clvlib.compare.metrics",
    "migration_matrix": "clvlib.compare.metrics",
    "MetricUndefinedWarning": "clvlib.compare.metrics",
    # evaluation.py — the head-to-head comparison on a holdout period
    "compare_methods": "clvlib.compare.comparison",
    "rolling_origin": "clvlib.compare.comparison",
    "Comparison": "clvlib.compare.comparison",
    "RollingOrigin": "clvlib.compare.comparison",
    "cutoff_dates": "clvlib.compare.comparison",
    # params.py / report.py — validated parameters, papermill runner
    # (the notebooks' helpers are clvlib.report.notebook, not top-level names)
    "load_params": "clvlib.report.params",
    "collect_params": "clvlib.report.params",
    "render_reports": "clvlib.report.runner",
    "load_customers": "clvlib.data.customers",
}

if TYPE_CHECKING:  # editors and type checkers see every public name; at run time lazy
    # the same names as _API (tests/test_api.py checks it)
    from clvlib.compare.comparison import Comparison as Comparison
    from clvlib.compare.comparison import RollingOrigin as RollingOrigin
    from clvlib.compare.comparison import compare_methods as compare_methods
    from clvlib.compare.comparison import cutoff_dates as cutoff_dates
    from clvlib.compare.comparison import rolling_origin as rolling_origin
    from clvlib.compare.metrics import MetricUndefinedWarning as MetricUndefinedWarning
    from clvlib.compare.metrics import agreement as agreement
    from clvlib.compare.metrics import auc as auc
    from clvlib.compare.metrics import decile_calibration as decile_calibration
    from clvlib.compare.metrics import forecast_errors as forecast_errors
    from clvlib.compare.metrics import gains_curve as gains_curve
    from clvlib.compare.metrics import gains_gini as gains_gini
    from clvlib.compare.metrics import migration_matrix as migration_matrix
    from clvlib.compare.metrics import spearman as spearman
    from clvlib.compare.metrics import top_share_captured as top_share_captured
    from clvlib.compare.metrics import variance_explained as variance_explained
    from clvlib.data.audit import LoadAudit as LoadAudit
    from clvlib.data.audit import SchemaError as SchemaError
    from clvlib.data.customers import load_customers as load_customers
    from clvlib.data.reading import load_online_retail as load_online_retail
    from clvlib.data.reading import load_transactions as load_transactions
    from clvlib.data.shop import Shop as Shop
    from clvlib.data.shop import load_default_shop as load_default_shop
    from clvlib.data.shop import simulate_shop as simulate_shop
    from clvlib.data.summary import calibration_holdout as calibration_holdout
    from clvlib.data.summary import customer_summary as customer_summary
    from clvlib.methods.btyd import BetaGeoModel as BetaGeoModel
    from clvlib.methods.btyd import ConvergenceError as ConvergenceError
    from clvlib.methods.btyd import GammaGammaModel as GammaGammaModel
    from clvlib.methods.btyd import ProbabilisticCLV as ProbabilisticCLV
    from clvlib.methods.btyd import check_independence as check_independence
    from clvlib.methods.btyd import expected_clv as expected_clv
    from clvlib.methods.clustering import CustomerClusterer as CustomerClusterer
    from clvlib.methods.clustering import KChoice as KChoice
    from clvlib.methods.clustering import choose_k as choose_k
    from clvlib.methods.clustering import cluster_customers as cluster_customers
    from clvlib.methods.clustering import cluster_profiles as cluster_profiles
    from clvlib.methods.clustering import name_clusters as name_clusters
    from clvlib.methods.heuristic import HeuristicCLV as HeuristicCLV
    from clvlib.methods.heuristic import LorenzCurve as LorenzCurve
    from clvlib.methods.heuristic import RetentionEstimate as RetentionEstimate
    from clvlib.methods.heuristic import SurvivalEstimate as SurvivalEstimate
    from clvlib.methods.heuristic import channel_economics as channel_economics
    from clvlib.methods.heuristic import clv_by_group as clv_by_group
    from clvlib.methods.heuristic import clv_discounted as clv_discounted
    from clvlib.methods.heuristic import clv_sensitivity as clv_sensitivity
    from clvlib.methods.heuristic import clv_simple as clv_simple
    from clvlib.methods.heuristic import clv_simple_cac_after_margin as clv_simple_cac_after_margin
    from clvlib.methods.heuristic import clv_vs_first_order as clv_vs_first_order
    from clvlib.methods.heuristic import discount_shoppers as discount_shoppers
    from clvlib.methods.heuristic import estimate_retention as estimate_retention
    from clvlib.methods.heuristic import estimate_survival as estimate_survival
    from clvlib.methods.heuristic import first_order_profit as first_order_profit
    from clvlib.methods.heuristic import historic_clv as historic_clv
    from clvlib.methods.heuristic import lorenz_curve as lorenz_curve
    from clvlib.methods.heuristic import retention_policies as retention_policies
    from clvlib.methods.heuristic import tier_table as tier_table
    from clvlib.methods.heuristic import value_tiers as value_tiers
    from clvlib.methods.rfm import RFMScorer as RFMScorer
    from clvlib.methods.rfm import RuleSet as RuleSet
    from clvlib.methods.rfm import RuleSetError as RuleSetError
    from clvlib.methods.rfm import assign_segments as assign_segments
    from clvlib.methods.rfm import export_segments as export_segments
    from clvlib.methods.rfm import load_rules as load_rules
    from clvlib.methods.rfm import rfm_scores as rfm_scores
    from clvlib.methods.rfm import rule_coverage as rule_coverage
    from clvlib.methods.rfm import rule_overlaps as rule_overlaps
    from clvlib.methods.rfm import segment_table as segment_table
    from clvlib.report.glossary import glossary as glossary
    from clvlib.report.params import collect_params as collect_params
    from clvlib.report.params import load_params as load_params
    from clvlib.report.runner import render_reports as render_reports

__all__ = sorted(_API) + ["__version__"]


def __getattr__(name: str) -> Any:
    try:
        module = _API[name]
    except KeyError:
        raise AttributeError(f"module 'clvlib' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # cache: the next access skips __getattr__
    return value


def __dir__() -> list[str]:
    return __all__
