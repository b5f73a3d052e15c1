"""clvlib: customer lifetime value, RFM segments and k-means clusters from an order log.

The public API is re-exported here lazily: ``import clvlib`` is cheap, and each module
(with its heavy imports such as scikit-learn or matplotlib) loads on first use of one of
its names. ``_API`` is the one table of what is public and where it lives.
"""

from __future__ import annotations

import importlib
from typing import Any

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
