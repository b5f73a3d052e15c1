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
    "SourceNotFoundError": "clvlib.data.audit",
    # datasets.py — the simulated shop (embedded default) and its ground truth
    "simulate_shop": "clvlib.data.shop",
    "load_default_shop": "clvlib.data.shop",
    "Shop": "clvlib.data.shop",
    # summary.py — the per-customer summary every method starts from
    "customer_summary": "clvlib.data.summary",
    "calibration_holdout": "clvlib.data.summary",
    # glossary.py — the definitions every report prints
    "glossary": "clvlib.report.glossary",
    # methods/formulas.py, value.py, survival.py, heuristic.py — heuristic CLV
    "clv_simple": "clvlib.methods.formulas",
    "clv_simple_cac_after_margin": "clvlib.methods.formulas",
    "clv_sensitivity": "clvlib.methods.formulas",
    "clv_discounted": "clvlib.methods.formulas",
    "value_basis": "clvlib.methods.value",
    "ValueBasis": "clvlib.methods.value",
    "historic_clv": "clvlib.methods.value",
    "estimate_retention": "clvlib.methods.survival",
    "estimate_survival": "clvlib.methods.survival",
    "RetentionEstimate": "clvlib.methods.survival",
    "SurvivalEstimate": "clvlib.methods.survival",
    "HeuristicCLV": "clvlib.methods.heuristic",
    # methods/analyses.py — the seeds' questions answered with CLV
    "clv_by_group": "clvlib.methods.analyses",
    "first_order_profit": "clvlib.methods.analyses",
    "clv_vs_first_order": "clvlib.methods.analyses",
    "channel_economics": "clvlib.methods.analyses",
    "channel_value": "clvlib.methods.analyses",
    "discount_shoppers": "clvlib.methods.analyses",
    "retention_policies": "clvlib.methods.analyses",
    "policies_by_segment": "clvlib.methods.analyses",
    # methods/tiers.py — value tiers and concentration
    "value_tiers": "clvlib.methods.tiers",
    "tier_table": "clvlib.methods.tiers",
    "lorenz_curve": "clvlib.methods.tiers",
    "LorenzCurve": "clvlib.methods.tiers",
    # methods/rfm.py, rules.py, segment_tables.py — RFM scores and rule-based segments
    "RFMScorer": "clvlib.methods.rfm",
    "rfm_scores": "clvlib.methods.rfm",
    "load_rules": "clvlib.methods.rules",
    "assign_segments": "clvlib.methods.rules",
    "rule_coverage": "clvlib.methods.rules",
    "rule_overlaps": "clvlib.methods.rules",
    "RuleSet": "clvlib.methods.rules",
    "RuleSetError": "clvlib.methods.rules",
    "segment_table": "clvlib.methods.segment_tables",
    "export_segments": "clvlib.methods.segment_tables",
    "segment_playbook": "clvlib.methods.segment_tables",
    # methods/clustering.py, k_choice.py, cluster_names.py, cluster_profiles.py — k-means
    "CustomerClusterer": "clvlib.methods.clustering",
    "cluster_customers": "clvlib.methods.clustering",
    "choose_k": "clvlib.methods.k_choice",
    "KChoice": "clvlib.methods.k_choice",
    "name_clusters": "clvlib.methods.cluster_names",
    "cluster_profiles": "clvlib.methods.cluster_profiles",
    # methods/bgnbd.py, gamma_gamma.py, btyd.py — probabilistic reference (maximum likelihood)
    "BetaGeoModel": "clvlib.methods.bgnbd",
    "GammaGammaModel": "clvlib.methods.gamma_gamma",
    "check_independence": "clvlib.methods.gamma_gamma",
    "ProbabilisticCLV": "clvlib.methods.btyd",
    "expected_clv": "clvlib.methods.btyd",
    "ConvergenceError": "clvlib.methods.likelihood",
    # pareto_nbd.py — the second classic reference model (Pareto/NBD, maximum likelihood)
    "ParetoNBDModel": "clvlib.methods.pareto_nbd",
    # boosting.py — the machine-learning contender (gradient boosting, time-shifted window)
    "BoostedValueModel": "clvlib.methods.boosting",
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
    "rolling_origin": "clvlib.compare.rolling",
    "Comparison": "clvlib.compare.comparison",
    "RollingOrigin": "clvlib.compare.rolling",
    "cutoff_dates": "clvlib.compare.rolling",
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
    from clvlib.compare.comparison import compare_methods as compare_methods
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
    from clvlib.compare.rolling import RollingOrigin as RollingOrigin
    from clvlib.compare.rolling import cutoff_dates as cutoff_dates
    from clvlib.compare.rolling import rolling_origin as rolling_origin
    from clvlib.data.audit import LoadAudit as LoadAudit
    from clvlib.data.audit import SchemaError as SchemaError
    from clvlib.data.audit import SourceNotFoundError as SourceNotFoundError
    from clvlib.data.customers import load_customers as load_customers
    from clvlib.data.reading import load_online_retail as load_online_retail
    from clvlib.data.reading import load_transactions as load_transactions
    from clvlib.data.shop import Shop as Shop
    from clvlib.data.shop import load_default_shop as load_default_shop
    from clvlib.data.shop import simulate_shop as simulate_shop
    from clvlib.data.summary import calibration_holdout as calibration_holdout
    from clvlib.data.summary import customer_summary as customer_summary
    from clvlib.methods.analyses import channel_economics as channel_economics
    from clvlib.methods.analyses import channel_value as channel_value
    from clvlib.methods.analyses import clv_by_group as clv_by_group
    from clvlib.methods.analyses import clv_vs_first_order as clv_vs_first_order
    from clvlib.methods.analyses import discount_shoppers as discount_shoppers
    from clvlib.methods.analyses import first_order_profit as first_order_profit
    from clvlib.methods.analyses import policies_by_segment as policies_by_segment
    from clvlib.methods.analyses import retention_policies as retention_policies
    from clvlib.methods.bgnbd import BetaGeoModel as BetaGeoModel
    from clvlib.methods.boosting import BoostedValueModel as BoostedValueModel
    from clvlib.methods.btyd import ProbabilisticCLV as ProbabilisticCLV
    from clvlib.methods.btyd import expected_clv as expected_clv
    from clvlib.methods.cluster_names import name_clusters as name_clusters
    from clvlib.methods.cluster_profiles import cluster_profiles as cluster_profiles
    from clvlib.methods.clustering import CustomerClusterer as CustomerClusterer
    from clvlib.methods.clustering import cluster_customers as cluster_customers
    from clvlib.methods.formulas import clv_discounted as clv_discounted
    from clvlib.methods.formulas import clv_sensitivity as clv_sensitivity
    from clvlib.methods.formulas import clv_simple as clv_simple
    from clvlib.methods.formulas import clv_simple_cac_after_margin as clv_simple_cac_after_margin
    from clvlib.methods.gamma_gamma import GammaGammaModel as GammaGammaModel
    from clvlib.methods.gamma_gamma import check_independence as check_independence
    from clvlib.methods.heuristic import HeuristicCLV as HeuristicCLV
    from clvlib.methods.k_choice import KChoice as KChoice
    from clvlib.methods.k_choice import choose_k as choose_k
    from clvlib.methods.likelihood import ConvergenceError as ConvergenceError
    from clvlib.methods.pareto_nbd import ParetoNBDModel as ParetoNBDModel
    from clvlib.methods.rfm import RFMScorer as RFMScorer
    from clvlib.methods.rfm import rfm_scores as rfm_scores
    from clvlib.methods.rules import RuleSet as RuleSet
    from clvlib.methods.rules import RuleSetError as RuleSetError
    from clvlib.methods.rules import assign_segments as assign_segments
    from clvlib.methods.rules import load_rules as load_rules
    from clvlib.methods.rules import rule_coverage as rule_coverage
    from clvlib.methods.rules import rule_overlaps as rule_overlaps
    from clvlib.methods.segment_tables import export_segments as export_segments
    from clvlib.methods.segment_tables import segment_playbook as segment_playbook
    from clvlib.methods.segment_tables import segment_table as segment_table
    from clvlib.methods.survival import RetentionEstimate as RetentionEstimate
    from clvlib.methods.survival import SurvivalEstimate as SurvivalEstimate
    from clvlib.methods.survival import estimate_retention as estimate_retention
    from clvlib.methods.survival import estimate_survival as estimate_survival
    from clvlib.methods.tiers import LorenzCurve as LorenzCurve
    from clvlib.methods.tiers import lorenz_curve as lorenz_curve
    from clvlib.methods.tiers import tier_table as tier_table
    from clvlib.methods.tiers import value_tiers as value_tiers
    from clvlib.methods.value import ValueBasis as ValueBasis
    from clvlib.methods.value import historic_clv as historic_clv
    from clvlib.methods.value import value_basis as value_basis
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
