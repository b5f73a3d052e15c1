"""clvlib: customer lifetime value, RFM segments and k-means clusters from an order log.

The public API is re-exported here lazily: ``import clvlib`` is cheap, and each module
(with its heavy imports such as scikit-learn or matplotlib) loads on first use of one of
its names. ``_API`` is the one table of what is public and where it lives.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> module that defines it (one definition of each name, in one place)
_API: dict[str, str] = {
    # io.py — loading with a full audit of every input row
    "load_transactions": "clvlib.io",
    "load_online_retail": "clvlib.io",
    "LoadAudit": "clvlib.io",
    "SchemaError": "clvlib.io",
    # datasets.py — the simulated shop (embedded default) and its ground truth
    "simulate_shop": "clvlib.datasets",
    "load_default_shop": "clvlib.datasets",
    "Shop": "clvlib.datasets",
    # summary.py — the per-customer summary every method starts from
    "customer_summary": "clvlib.summary",
    "calibration_holdout": "clvlib.summary",
    # glossary.py — the definitions every report prints
    "glossary": "clvlib.glossary",
    # heuristic.py — heuristic CLV and value tiers
    "clv_simple": "clvlib.heuristic",
    "clv_simple_cac_after_margin": "clvlib.heuristic",
    "historic_clv": "clvlib.heuristic",
    "estimate_retention": "clvlib.heuristic",
    "estimate_survival": "clvlib.heuristic",
    "SurvivalEstimate": "clvlib.heuristic",
    "clv_discounted": "clvlib.heuristic",
    "HeuristicCLV": "clvlib.heuristic",
    "clv_sensitivity": "clvlib.heuristic",
    "clv_by_group": "clvlib.heuristic",
    "first_order_profit": "clvlib.heuristic",
    "clv_vs_first_order": "clvlib.heuristic",
    "channel_economics": "clvlib.heuristic",
    "discount_shoppers": "clvlib.heuristic",
    "retention_policies": "clvlib.heuristic",
    "value_tiers": "clvlib.heuristic",
    "tier_table": "clvlib.heuristic",
    "lorenz_curve": "clvlib.heuristic",
    "RetentionEstimate": "clvlib.heuristic",
    "LorenzCurve": "clvlib.heuristic",
    # rfm.py — RFM quantile scores and rule-based segments
    "RFMScorer": "clvlib.rfm",
    "rfm_scores": "clvlib.rfm",
    "load_rules": "clvlib.rfm",
    "assign_segments": "clvlib.rfm",
    "rule_coverage": "clvlib.rfm",
    "rule_overlaps": "clvlib.rfm",
    "RuleSet": "clvlib.rfm",
    "RuleSetError": "clvlib.rfm",
    "segment_table": "clvlib.rfm",
    "export_segments": "clvlib.rfm",
    # clustering.py — k-means clusters
    "CustomerClusterer": "clvlib.clustering",
    "cluster_customers": "clvlib.clustering",
    "choose_k": "clvlib.clustering",
    "cluster_profiles": "clvlib.clustering",
    "name_clusters": "clvlib.clustering",
    "KChoice": "clvlib.clustering",
    # models.py — probabilistic reference (BG/NBD + Gamma-Gamma, maximum likelihood)
    "BetaGeoModel": "clvlib.models",
    "GammaGammaModel": "clvlib.models",
    "ProbabilisticCLV": "clvlib.models",
    "expected_clv": "clvlib.models",
    "check_independence": "clvlib.models",
    "ConvergenceError": "clvlib.models",
    # metrics.py — the comparison metrics (pure functions on arrays / Series)
    "spearman": "clvlib.metrics",
    "top_share_captured": "clvlib.metrics",
    "gains_curve": "clvlib.metrics",
    "gains_gini": "clvlib.metrics",
    "auc": "clvlib.metrics",
    "forecast_errors": "clvlib.metrics",
    "decile_calibration": "clvlib.metrics",
    "variance_explained": "clvlib.metrics",
    "agreement": "clvlib.metrics",
    "migration_matrix": "clvlib.metrics",
    "MetricUndefinedWarning": "clvlib.metrics",
    # evaluation.py — the head-to-head comparison on a holdout period
    "compare_methods": "clvlib.evaluation",
    "rolling_origin": "clvlib.evaluation",
    "Comparison": "clvlib.evaluation",
    "RollingOrigin": "clvlib.evaluation",
    "cutoff_dates": "clvlib.evaluation",
    # params.py / report.py — validated parameters, papermill runner
    # (the notebooks' helpers are clvlib.notebook, not top-level names)
    "load_params": "clvlib.params",
    "collect_params": "clvlib.params",
    "render_reports": "clvlib.report",
    "load_customers": "clvlib.io",
}

if TYPE_CHECKING:  # editors and type checkers see every public name; at run time lazy
    # the same names as _API (tests/test_api.py checks it)
    from clvlib.clustering import CustomerClusterer as CustomerClusterer
    from clvlib.clustering import KChoice as KChoice
    from clvlib.clustering import choose_k as choose_k
    from clvlib.clustering import cluster_customers as cluster_customers
    from clvlib.clustering import cluster_profiles as cluster_profiles
    from clvlib.clustering import name_clusters as name_clusters
    from clvlib.datasets import Shop as Shop
    from clvlib.datasets import load_default_shop as load_default_shop
    from clvlib.datasets import simulate_shop as simulate_shop
    from clvlib.evaluation import Comparison as Comparison
    from clvlib.evaluation import RollingOrigin as RollingOrigin
    from clvlib.evaluation import compare_methods as compare_methods
    from clvlib.evaluation import cutoff_dates as cutoff_dates
    from clvlib.evaluation import rolling_origin as rolling_origin
    from clvlib.glossary import glossary as glossary
    from clvlib.heuristic import HeuristicCLV as HeuristicCLV
    from clvlib.heuristic import LorenzCurve as LorenzCurve
    from clvlib.heuristic import RetentionEstimate as RetentionEstimate
    from clvlib.heuristic import SurvivalEstimate as SurvivalEstimate
    from clvlib.heuristic import channel_economics as channel_economics
    from clvlib.heuristic import clv_by_group as clv_by_group
    from clvlib.heuristic import clv_discounted as clv_discounted
    from clvlib.heuristic import clv_sensitivity as clv_sensitivity
    from clvlib.heuristic import clv_simple as clv_simple
    from clvlib.heuristic import clv_simple_cac_after_margin as clv_simple_cac_after_margin
    from clvlib.heuristic import clv_vs_first_order as clv_vs_first_order
    from clvlib.heuristic import discount_shoppers as discount_shoppers
    from clvlib.heuristic import estimate_retention as estimate_retention
    from clvlib.heuristic import estimate_survival as estimate_survival
    from clvlib.heuristic import first_order_profit as first_order_profit
    from clvlib.heuristic import historic_clv as historic_clv
    from clvlib.heuristic import lorenz_curve as lorenz_curve
    from clvlib.heuristic import retention_policies as retention_policies
    from clvlib.heuristic import tier_table as tier_table
    from clvlib.heuristic import value_tiers as value_tiers
    from clvlib.io import LoadAudit as LoadAudit
    from clvlib.io import SchemaError as SchemaError
    from clvlib.io import load_customers as load_customers
    from clvlib.io import load_online_retail as load_online_retail
    from clvlib.io import load_transactions as load_transactions
    from clvlib.metrics import MetricUndefinedWarning as MetricUndefinedWarning
    from clvlib.metrics import agreement as agreement
    from clvlib.metrics import auc as auc
    from clvlib.metrics import decile_calibration as decile_calibration
    from clvlib.metrics import forecast_errors as forecast_errors
    from clvlib.metrics import gains_curve as gains_curve
    from clvlib.metrics import gains_gini as gains_gini
    from clvlib.metrics import migration_matrix as migration_matrix
    from clvlib.metrics import spearman as spearman
    from clvlib.metrics import top_share_captured as top_share_captured
    from clvlib.metrics import variance_explained as variance_explained
    from clvlib.models import BetaGeoModel as BetaGeoModel
    from clvlib.models import ConvergenceError as ConvergenceError
    from clvlib.models import GammaGammaModel as GammaGammaModel
    from clvlib.models import ProbabilisticCLV as ProbabilisticCLV
    from clvlib.models import check_independence as check_independence
    from clvlib.models import expected_clv as expected_clv
    from clvlib.params import collect_params as collect_params
    from clvlib.params import load_params as load_params
    from clvlib.report import render_reports as render_reports
    from clvlib.rfm import RFMScorer as RFMScorer
    from clvlib.rfm import RuleSet as RuleSet
    from clvlib.rfm import RuleSetError as RuleSetError
    from clvlib.rfm import assign_segments as assign_segments
    from clvlib.rfm import export_segments as export_segments
    from clvlib.rfm import load_rules as load_rules
    from clvlib.rfm import rfm_scores as rfm_scores
    from clvlib.rfm import rule_coverage as rule_coverage
    from clvlib.rfm import rule_overlaps as rule_overlaps
    from clvlib.rfm import segment_table as segment_table
    from clvlib.summary import calibration_holdout as calibration_holdout
    from clvlib.summary import customer_summary as customer_summary

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
