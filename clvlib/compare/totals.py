"""Forecast / realised in total: is a money forecast right on average, and how surely.

A money forecast can rank customers well and still be off in total (a model fitted on gross
spend and judged on net value over-forecasts by construction). :func:`forecast_totals` gives,
per method that forecasts an amount, the sum of its forecasts over the sum of the realised
holdout values, on the comparison's one value basis
(:data:`clvlib.compare.settings.VALUE_BASES`), with a percentile interval over customer
resamples (the same resamples for every method; no model refitted: the interval is the
holdout noise of the ratio).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["TOTALS_COLUMNS", "basis_factor", "forecast_totals"]

#: the columns of :func:`forecast_totals`
TOTALS_COLUMNS = ("method", "forecast_total", "realised_total", "ratio", "ci_low", "ci_high")


def basis_factor(value_basis: str, margin: float) -> float:
    """What net revenue is multiplied by to be on ``value_basis``: 1, or the margin.

    Examples
    --------
    >>> basis_factor("net", 0.3), basis_factor("net_margin", 0.3)
    (1.0, 0.3)
    """
    return float(margin) if value_basis == "net_margin" else 1.0


def forecast_totals(
    scores: pd.DataFrame,
    methods: Sequence[str],
    outcome: pd.Series,
    *,
    n_resamples: int = 300,
    random_state: int = 0,
    confidence: float = 0.95,
    max_customers: int | None = None,
) -> pd.DataFrame:
    """Per method: total forecast / total realised value, with a customer-bootstrap interval.

    Parameters
    ----------
    scores : pandas.DataFrame
        One column per method: its money forecast per customer (NaN: unavailable, left out).
    methods : sequence of str
        The columns to judge (the money forecasts).
    outcome : pandas.Series
        Realised holdout value per customer, on the same basis as the forecasts.
    n_resamples, random_state, confidence
        Customer resamples (with replacement, shared by the methods), seed and level.
    max_customers : int, optional
        Above this many customers the resamples are drawn from a fixed random subsample of
        that size (the point ratio uses everyone).

    Returns
    -------
    pandas.DataFrame
        :data:`TOTALS_COLUMNS`: ``ratio`` is 1 for a forecast right in total, above 1 for an
        over-forecast.

    Examples
    --------
    >>> scores = pd.DataFrame({"a": [10.0, 0.0, 30.0, 0.0], "b": [5.0, 5.0, 5.0, 5.0]})
    >>> out = forecast_totals(scores, ["a", "b"], pd.Series([20.0, 0.0, 20.0, 0.0]),
    ...                       n_resamples=100)
    >>> out[["method", "forecast_total", "realised_total", "ratio"]]
      method  forecast_total  realised_total  ratio
    0      a            40.0            40.0    1.0
    1      b            20.0            40.0    0.5
    >>> bool((out["ci_low"] <= out["ratio"]).all() and (out["ratio"] <= out["ci_high"]).all())
    True
    """
    available = [m for m in methods if scores[m].notna().all()]
    realised = outcome.to_numpy(dtype=float)
    values = scores[available].to_numpy(dtype=float)
    rng = np.random.default_rng(random_state)
    n = len(realised)
    pool = np.arange(n)
    if max_customers is not None and n > max_customers:
        pool = np.sort(rng.choice(n, size=max_customers, replace=False))
    draws = np.full((n_resamples, len(available)), math.nan)
    for i in range(n_resamples):
        counts = np.bincount(rng.choice(pool, size=pool.size), minlength=n).astype(float)
        total = counts @ realised
        if total > 0:
            draws[i] = (counts @ values) / total
    tail = 100 * (1 - confidence) / 2
    rows = []
    realised_total = float(realised.sum())
    for j, method in enumerate(available):
        forecast_total = float(values[:, j].sum())
        ok = draws[:, j][np.isfinite(draws[:, j])]
        low, high = np.percentile(ok, [tail, 100 - tail]) if ok.size else (math.nan,) * 2
        ratio = forecast_total / realised_total if realised_total > 0 else math.nan
        rows.append((method, forecast_total, realised_total, ratio, float(low), float(high)))
    return pd.DataFrame(rows, columns=list(TOTALS_COLUMNS))
