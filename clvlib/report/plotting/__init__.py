"""Plots for reports: every function is ``plot_x(data, *, ax=None) -> Axes``.

Each topic lives in a private module (``_clv``, ``_calibration``, ``_rfm``, ``_clusters``,
``_compare``); the names are re-exported lazily so that importing one plot does not import
every topic.
Every plot sets a title and axis labels with units, so it reads without the code.
"""

from __future__ import annotations

import importlib
from typing import Any

# plot function -> private module that defines it; add a row when adding a plot
_PLOTS: dict[str, str] = {
    "plot_clv_distribution": "_clv",
    "plot_lorenz": "_clv",
    "plot_tiers_by_channel": "_clv",
    "plot_sensitivity": "_clv",
    "plot_decile_calibration": "_calibration",
    "plot_elbow": "_clusters",
    "plot_cluster_snake": "_clusters",
    "plot_cluster_scatter": "_clusters",
    "plot_rfm_heatmap": "_rfm",
    "plot_segment_sizes": "_rfm",
    "plot_score_distributions": "_rfm",
    "plot_gains_curves": "_compare",
    "plot_metric_table": "_compare",
    "plot_measures": "_measures",
    "plot_agreement_heatmap": "_compare",
    "plot_migration_matrix": "_compare",
    "plot_rolling_origin": "_compare",
    "plot_differences": "_compare",
    "plot_lead_intervals": "_compare",
    "plot_period_transactions": "_btyd",
    "plot_calibration_vs_holdout": "_btyd",
    "plot_cumulative_transactions": "_btyd",
}

__all__ = sorted(_PLOTS)


def __getattr__(name: str) -> Any:
    try:
        module = _PLOTS[name]
    except KeyError:
        raise AttributeError(f"module 'clvlib.report.plotting' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(f"clvlib.report.plotting.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
