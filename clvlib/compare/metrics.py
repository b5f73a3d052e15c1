"""Metrics of the head-to-head comparison: pure functions on arrays or Series.

Every function takes the per-customer quantities it compares (a score, an outcome, labels)
and returns a number or a small named result; none reads a file or a summary. Two pandas
Series are aligned by index (both must hold the same customers, in any order); arrays and
lists are aligned by position. Missing values are errors naming the rows.

Where a metric is undefined for the data at hand (a constant score, a holdout in which
everybody or nobody bought), it returns NaN and emits a :class:`MetricUndefinedWarning`
saying why, so that a comparison table shows a gap with a reason instead of a crash.

Conventions of the ranking metrics: a higher score means "more valuable"; customers with
tied scores are treated as interchangeable, i.e. each metric is the *average* over all
orders of the tied customers (never an arbitrary tie-break), so a constant score scores
exactly like the expected random ranking.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from scipy import integrate, stats
from sklearn import metrics as skm
from threadpoolctl import threadpool_limits

from clvlib.data.checks import rows_at_fault, same_customers, unique_customers

__all__ = [
    "Agreement",
    "ForecastErrors",
    "MetricUndefinedWarning",
    "Migration",
    "VarianceExplained",
    "agreement",
    "auc",
    "bootstrap_ranking_metrics",
    "decile_calibration",
    "forecast_errors",
    "gains_curve",
    "gains_gini",
    "gains_metrics",
    "migration_matrix",
    "spearman",
    "top_share_captured",
    "variance_explained",
]

ArrayLike = Any  # numpy array, pandas Series or list


class MetricUndefinedWarning(RuntimeWarning):
    """A metric is undefined for these data; NaN was returned (the message says why)."""


def _undefined(metric: str, reason: str) -> float:
    warnings.warn(f"{metric} is undefined: {reason}; returning NaN", MetricUndefinedWarning, 3)
    return math.nan


def _align(
    names: tuple[str, str], first: ArrayLike, second: ArrayLike
) -> tuple[pd.Series, pd.Series]:
    """Two equally long Series on one index: by label for two Series, else by position."""
    if isinstance(first, pd.Series) and isinstance(second, pd.Series):
        return first, same_customers(names, first, second)
    arrays = [v if isinstance(v, pd.Series) else np.asarray(v) for v in (first, second)]
    shapes = [np.shape(v) for v in arrays]
    if any(len(shape) != 1 for shape in shapes) or shapes[0] != shapes[1]:
        raise ValueError(
            f"{names[0]} and {names[1]} must be one-dimensional and equally long, "
            f"got shapes {shapes[0]} and {shapes[1]}"
        )
    a, b = (v if isinstance(v, pd.Series) else pd.Series(v) for v in arrays)
    index = a.index if isinstance(first, pd.Series) else b.index
    return a.set_axis(index), b.set_axis(index)


def _numeric(name: str, values: pd.Series) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    bad = ~np.isfinite(array)
    if bad.any():
        raise ValueError(
            f"{name} has missing or infinite values in {rows_at_fault(bad, values.index)}"
        )
    return array


def _pair(names: tuple[str, str], first: ArrayLike, second: ArrayLike):
    a, b = _align(names, first, second)
    if len(a) == 0:
        raise ValueError(f"{names[0]} and {names[1]} are empty")
    return _numeric(names[0], a), _numeric(names[1], b)


# --------------------------------------------------------------------------------------
# ranking
# --------------------------------------------------------------------------------------


def spearman(score: ArrayLike, outcome: ArrayLike) -> float:
    """Spearman rank correlation of a score with the outcome.

    The Pearson correlation of the ranks (ties get their average rank), in [-1, 1]:
    1 when the score orders customers exactly as the outcome does, -1 when exactly reversed,
    about 0 for a random score. Unchanged by any strictly increasing transform of the score.

    Parameters
    ----------
    score : array-like or pandas.Series
        Calibration-period score per customer (higher = predicted more valuable).
    outcome : array-like or pandas.Series
        Holdout outcome per customer (e.g. holdout value).

    Returns
    -------
    float
        NaN (with a :class:`MetricUndefinedWarning`) when either input is constant.
    """
    s, y = _pair(("score", "outcome"), score, outcome)
    if np.ptp(s) == 0 or np.ptp(y) == 0:
        return _undefined("spearman", "the score or the outcome is constant")
    return float(stats.spearmanr(s, y).statistic)


def gains_curve(score: ArrayLike, outcome: ArrayLike) -> pd.DataFrame:
    """Cumulative share of the outcome against cumulative share of customers, by score.

    Customers are taken in decreasing order of score; the curve's vertices are at (0, 0),
    after each group of tied scores, and at (1, 1). Between vertices the curve is a straight
    line: inside a group of tied customers the outcome is spread evenly, which is the average
    over every order of the tie. For the perfect-foresight ranking (score = outcome) this is
    the Lorenz curve of the outcome read from the top.

    Parameters
    ----------
    score : array-like or pandas.Series
        Calibration-period score per customer (higher = predicted more valuable).
    outcome : array-like or pandas.Series
        Holdout outcome per customer; its total must be positive.

    Returns
    -------
    pandas.DataFrame
        Columns ``customer_share`` and ``outcome_share`` (both from 0 to 1), one row per
        vertex. With negative outcomes (net returns) ``outcome_share`` may leave [0, 1].
    """
    s, y = _pair(("score", "outcome"), score, outcome)
    total = y.sum()
    if not total > 0:
        raise ValueError(
            f"the outcome sums to {total:g}: shares of the total are undefined (nobody "
            "bought in the holdout, or returns cancel the purchases)"
        )
    order = np.argsort(-s, kind="stable")
    s_sorted = s[order]
    # last position of each group of tied scores
    ends = np.append(np.flatnonzero(s_sorted[1:] != s_sorted[:-1]), s.size - 1)
    cum_outcome = np.cumsum(y[order])[ends]
    return pd.DataFrame(
        {
            "customer_share": np.append(0.0, (ends + 1) / s.size),
            "outcome_share": np.append(0.0, cum_outcome / total),
        }
    )


def top_share_captured(score: ArrayLike, outcome: ArrayLike, *, top: float = 0.2) -> float:
    """Share of the total outcome carried by the top ``top`` fraction of customers by score.

    The gains curve (:func:`gains_curve`) read at ``top``: the customers in the top
    ``top x n`` by score (a fractional last customer counts in part), ties averaged. Bounds
    for non-negative outcomes: a random (or constant) score captures ``top`` in expectation,
    the floor; **perfect foresight**, ranking by the outcome itself,
    ``top_share_captured(outcome, outcome, top=top)``, captures the most any score can, the
    ceiling.

    Parameters
    ----------
    score : array-like or pandas.Series
        Calibration-period score per customer (higher = predicted more valuable).
    outcome : array-like or pandas.Series
        Holdout outcome per customer; its total must be positive.
    top : float, default 0.2
        Fraction of customers, in (0, 1].

    Returns
    -------
    float
        In [0, 1] for non-negative outcomes.
    """
    if not 0 < top <= 1:
        raise ValueError(f"top must be in (0, 1], got {top}")
    curve = gains_curve(score, outcome)
    return float(np.interp(top, curve["customer_share"], curve["outcome_share"]))


def gains_gini(score: ArrayLike, outcome: ArrayLike, *, normalised: bool = False) -> float:
    """Gini coefficient of the gains curve: how much better than random the score ranks.

    Gini = 2 x (area under the gains curve) - 1 (trapezoids between vertices). It is 0 for
    a random or constant score, positive when the score puts high outcomes first, negative
    when it puts them last. For perfect foresight it equals the Gini coefficient of the
    outcome itself, the largest value any score can reach. ``normalised=True`` divides by
    that maximum, giving 1 for perfect foresight (the "accuracy ratio").

    Parameters
    ----------
    score : array-like or pandas.Series
        Calibration-period score per customer (higher = predicted more valuable).
    outcome : array-like or pandas.Series
        Holdout outcome per customer; its total must be positive.
    normalised : bool, default False
        Divide by the Gini of perfect foresight.

    Returns
    -------
    float
        NaN (with a :class:`MetricUndefinedWarning`) for ``normalised=True`` when every
        outcome is equal (no ranking beats another).
    """
    gini = _curve_gini(gains_curve(score, outcome))
    if not normalised:
        return gini
    best = _curve_gini(gains_curve(outcome, outcome))
    if best <= 0:
        return _undefined("normalised gains Gini", "every outcome is equal")
    return gini / best


def gains_metrics(
    score: ArrayLike, outcome: ArrayLike, *, best_gini: float | None = None
) -> dict[str, float]:
    """The four gains-curve metrics of a score, read from one :func:`gains_curve`.

    :func:`top_share_captured` at 10 % and 20 %, :func:`gains_gini` and its normalised form
    (keys ``top10_share``, ``top20_share``, ``gains_gini``, ``gains_gini_normalised``): one
    sort of the scores instead of one per metric. ``best_gini``, the Gini of perfect
    foresight (``gains_gini(outcome, outcome)``), can be passed when several methods score
    the same outcome. The values are those of the four functions, float for float.
    """
    curve = gains_curve(score, outcome)
    x, f = curve["customer_share"], curve["outcome_share"]
    gini = _curve_gini(curve)
    if best_gini is None:
        best_gini = _curve_gini(gains_curve(outcome, outcome))
    if best_gini <= 0:
        normalised = _undefined("normalised gains Gini", "every outcome is equal")
    else:
        normalised = gini / best_gini
    return {
        "top10_share": float(np.interp(0.1, x, f)),
        "top20_share": float(np.interp(0.2, x, f)),
        "gains_gini": gini,
        "gains_gini_normalised": normalised,
    }


def _curve_gini(curve: pd.DataFrame) -> float:
    area = integrate.trapezoid(curve["outcome_share"], curve["customer_share"])
    return float(2 * area - 1)


# --------------------------------------------------------------------------------------
# will buy again
# --------------------------------------------------------------------------------------


def auc(score: ArrayLike, bought_again: ArrayLike) -> float:
    """Area under the ROC curve of the score for "bought again in the holdout".

    The probability that a random customer who bought again has a higher score than a
    random one who did not (ties count one half): 0.5 for a random or constant score, 1 for
    a perfect separation. Computed with :func:`sklearn.metrics.roc_auc_score`.

    Parameters
    ----------
    score : array-like or pandas.Series
        Calibration-period score per customer (higher = more likely to buy).
    bought_again : array-like or pandas.Series of bool or 0/1
        Whether the customer made any purchase in the holdout.

    Returns
    -------
    float
        NaN (with a :class:`MetricUndefinedWarning`) when everybody or nobody bought again.
    """
    s_aligned, b_aligned = _align(("score", "bought_again"), score, bought_again)
    s = _numeric("score", s_aligned)
    labels = b_aligned.to_numpy()
    bad = ~pd.Series(labels).isin([True, False]).to_numpy()  # 1/0 compare equal to True/False
    if bad.any():
        raise ValueError(
            "bought_again must be boolean (or 0/1); other values in "
            f"{rows_at_fault(bad, b_aligned.index)}"
        )
    y = labels.astype(bool)
    if y.all() or not y.any():
        everybody = "everybody" if y.all() else "nobody"
        return _undefined("AUC", f"{everybody} bought again, so there is nothing to separate")
    return float(skm.roc_auc_score(y, s))


# --------------------------------------------------------------------------------------
# uncertainty: paired customer bootstrap of the ranking metrics
# --------------------------------------------------------------------------------------

#: Customers above which a comparison's bootstrap resamples a fixed random subsample of this
#: many (no shipped data set reaches it; ``bootstrap_ranking_metrics(max_customers=...)``).
BOOTSTRAP_MAX_CUSTOMERS = 200_000

#: The ranking metrics that :func:`bootstrap_ranking_metrics` resamples.
BOOTSTRAP_METRICS: tuple[str, ...] = ("spearman", "top10_share", "top20_share", "gains_gini", "auc")


class _Ranked(NamedTuple):
    """One score sorted once: ascending order and the tie group of every sorted position."""

    order: np.ndarray
    starts: np.ndarray  # first sorted position of each tie group
    group: np.ndarray  # tie group of each customer (original positions)


def _ranked(values: np.ndarray) -> _Ranked:
    order = np.argsort(values, kind="stable")
    v = values[order]
    starts = np.append(0, np.flatnonzero(v[1:] != v[:-1]) + 1)
    group_sorted = np.zeros(values.size, dtype=np.int64)
    group_sorted[starts[1:]] = 1
    group = np.empty(values.size, dtype=np.int64)
    group[order] = np.cumsum(group_sorted)
    return _Ranked(order, starts, group)


def _weighted_midranks(
    r: _Ranked, w: np.ndarray, w_sorted: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Mid-ranks (1-based) that each customer's copies get in the resample, and group weights.

    ``w_sorted`` is ``w[r.order]`` when the caller has it already.
    """
    w_sorted = w[r.order] if w_sorted is None else w_sorted
    # without ties every group is one customer: reduceat would copy the weights
    gw = w_sorted if r.starts.size == w.size else np.add.reduceat(w_sorted, r.starts)
    mid = np.cumsum(gw) - (gw - 1) / 2
    return mid[r.group], gw


def bootstrap_ranking_metrics(
    scores: pd.DataFrame,
    outcome: ArrayLike,
    bought_again: ArrayLike,
    *,
    n_resamples: int = 300,
    random_state: int = 0,
    max_customers: int | None = None,
) -> np.ndarray:
    """The ranking metrics of every score on ``n_resamples`` customer resamples.

    Resample b draws n customers with replacement (``rng.integers(0, n, n)`` from
    ``numpy.random.default_rng(random_state)``, one draw per resample) and is shared by every
    score: differences between two scores are *paired*. Each metric is computed exactly as
    :func:`spearman`, :func:`top_share_captured`, :func:`gains_gini` and :func:`auc` would on
    the resampled customers, but from multiplicities (how often each customer was drawn)
    on one sort per score: O(n) per resample instead of a sort, and no model is refitted.

    Parameters
    ----------
    scores : pandas.DataFrame
        One column per score, one row per customer, no missing value.
    outcome : array-like
        Holdout value per customer (same order).
    bought_again : array-like of bool
        Whether the customer bought in the holdout (same order).
    n_resamples : int, default 300
    random_state : int, default 0
    max_customers : int, optional
        With more customers than this, resample a fixed random subsample of
        ``max_customers`` of them (:func:`bootstrap_subsample`) instead of all: the cost is
        O(n) per resample per score, and the intervals are those of a sample of that size,
        wider than the full data's by about sqrt(n / max_customers), so an interval that
        excludes 0 remains a conservative claim. None (default) resamples everyone.

    Returns
    -------
    numpy.ndarray
        Shape (n_resamples, n_scores, len(:data:`BOOTSTRAP_METRICS`)); NaN where a metric is
        undefined on a resample (e.g. nobody bought again in it).
    """
    s = np.asarray(scores, dtype=float)
    y = np.asarray(outcome, dtype=float)
    b = np.asarray(bought_again, dtype=bool).astype(float)
    n, k = s.shape
    if y.size != n or b.size != n:
        raise ValueError(f"scores have {n} rows, outcome {y.size} and bought_again {b.size}")
    if not np.all(np.isfinite(s)):
        raise ValueError("scores have missing or infinite values: bootstrap needs every score")
    keep = bootstrap_subsample(n, max_customers, random_state)
    if keep is not None:
        s, y, b = s[keep], y[keep], b[keep]
    ranked = [_ranked(s[:, j]) for j in range(k)]
    y_sorted = [y[r.order] for r in ranked]
    y_rank = _ranked(y)
    rng = np.random.default_rng(random_state)
    out = np.full((n_resamples, k, len(BOOTSTRAP_METRICS)), np.nan)
    # the dot products are BLAS calls on vectors: one thread (threads only spin on a loaded
    # machine, 50x slower at 85,000 customers on 2 busy cores)
    with threadpool_limits(limits=1):
        _resample(out, ranked, y_sorted, y_rank, y, b, rng)
    return out


def _resample(out, ranked, y_sorted, y_rank, y, b, rng) -> None:
    # The same arithmetic as spearman / top_share_captured / gains_gini / auc on the
    # resample, in the same order (so the same floats), with what does not depend on the
    # score computed once per resample: the outcome's mid-ranks and their Pearson terms.
    n = y.size
    for i in range(out.shape[0]):
        w = np.bincount(rng.integers(0, n, n), minlength=n).astype(float)
        ry, _ = _weighted_midranks(y_rank, w)
        total = w @ y
        w1 = w @ b
        wb = w * b
        nw = w.sum()
        dy = ry - (w @ ry) / nw
        vy = w @ (dy * dy)
        for j, r in enumerate(ranked):
            wo = w[r.order]
            rs, gw = _weighted_midranks(r, w, wo)
            gy = (
                wo * y_sorted[j]
                if r.starts.size == n
                else np.add.reduceat(wo * y_sorted[j], r.starts)
            )
            # gains curve: tie groups from the highest score down
            x = np.append(0.0, np.cumsum(gw[::-1]) / n)
            f = np.append(0.0, np.cumsum(gy[::-1]) / total) if total > 0 else x * np.nan
            ds = rs - (w @ rs) / nw
            var = (w @ (ds * ds)) * vy
            out[i, j, 0] = float((w @ (ds * dy)) / np.sqrt(var)) if var > 0 else math.nan
            out[i, j, 1] = np.interp(0.1, x, f)
            out[i, j, 2] = np.interp(0.2, x, f)
            out[i, j, 3] = 2 * np.sum((x[1:] - x[:-1]) * (f[1:] + f[:-1]) / 2) - 1
            if 0 < w1 < n:
                rank_sum = wb @ rs
                out[i, j, 4] = (rank_sum - w1 * (w1 + 1) / 2) / (w1 * (n - w1))


def bootstrap_subsample(n: int, max_customers: int | None, random_state: int) -> np.ndarray | None:
    """Positions of the customers that :func:`bootstrap_ranking_metrics` resamples.

    None when ``n <= max_customers`` (or no cap): everyone. Else ``max_customers`` sorted
    positions drawn without replacement from a stream of their own
    (``numpy.random.default_rng([random_state, 1])``): the resamples' stream stays the one
    used without a cap.
    """
    if max_customers is None or n <= max_customers:
        return None
    if max_customers < 2:
        raise ValueError(f"max_customers must be >= 2, got {max_customers}")
    rng = np.random.default_rng([int(random_state), 1])
    return np.sort(rng.choice(n, size=int(max_customers), replace=False))


# --------------------------------------------------------------------------------------
# money
# --------------------------------------------------------------------------------------


class ForecastErrors(NamedTuple):
    """Errors of a money forecast (predicted - realised), per customer and in total."""

    n: int
    """Number of customers."""
    mae: float
    """Mean absolute error per customer, in currency."""
    rmse: float
    """Root mean squared error per customer, in currency."""
    bias: float
    """Mean error per customer (predicted - realised); > 0 means over-forecast."""
    mean_realised: float
    """Mean realised value per customer."""
    relative_mae: float
    """mae / mean_realised (a 'weighted MAPE' that survives customers with 0)."""
    relative_rmse: float
    """rmse / mean_realised."""
    total_predicted: float
    total_realised: float
    total_error: float
    """total_predicted - total_realised."""
    total_error_pct: float
    """100 x total_error / total_realised."""


def forecast_errors(predicted: ArrayLike, realised: ArrayLike) -> ForecastErrors:
    """Per-customer and total errors of a CLV (money) forecast against realised value.

    Per customer: MAE, RMSE and bias (mean of predicted - realised). Relative versions
    divide by the mean realised value rather than by each customer's value, so customers
    who spent 0 do not make them infinite (unlike the MAPE). In total: the sums of predicted
    and realised value and their difference, in currency and in % of the realised total.

    Parameters
    ----------
    predicted : array-like or pandas.Series
        Forecast value per customer over the holdout.
    realised : array-like or pandas.Series
        Realised value per customer over the holdout.

    Returns
    -------
    ForecastErrors
        The relative fields are NaN (with a :class:`MetricUndefinedWarning`) when the
        realised values sum to 0.
    """
    p, r = _pair(("predicted", "realised"), predicted, realised)
    err = p - r
    mae = float(np.mean(np.abs(err)))
    rmse = float(np.sqrt(np.mean(err**2)))
    mean_realised = float(np.mean(r))
    total_predicted, total_realised = float(p.sum()), float(r.sum())
    if mean_realised == 0:
        relative_mae = relative_rmse = total_error_pct = _undefined(
            "relative forecast errors", "the realised values sum to 0"
        )
    else:
        relative_mae, relative_rmse = mae / mean_realised, rmse / mean_realised
        total_error_pct = 100 * (total_predicted - total_realised) / total_realised
    return ForecastErrors(
        n=int(p.size),
        mae=mae,
        rmse=rmse,
        bias=float(np.mean(err)),
        mean_realised=mean_realised,
        relative_mae=relative_mae,
        relative_rmse=relative_rmse,
        total_predicted=total_predicted,
        total_realised=total_realised,
        total_error=total_predicted - total_realised,
        total_error_pct=total_error_pct,
    )


# --------------------------------------------------------------------------------------
# separation, agreement, migration
# --------------------------------------------------------------------------------------


class VarianceExplained(NamedTuple):
    """Share of the variance of an outcome explained by a grouping."""

    eta_squared: float
    """Between-group sum of squares / total sum of squares, in [0, 1]."""
    epsilon_squared: float
    """eta² corrected for the number of groups: (SS_between - (k-1) MS_within) / SS_total."""
    n_groups: int
    """Number of non-empty groups k."""
    n: int
    """Number of customers."""


def _labels(name: str, values: pd.Series) -> pd.Series:
    missing = values.isna().to_numpy()
    if missing.any():
        raise ValueError(f"{name} has missing labels in {rows_at_fault(missing, values.index)}")
    return values


def variance_explained(groups: ArrayLike, outcome: ArrayLike) -> VarianceExplained:
    """Share of the variance of the outcome explained by the groups (eta²), with k stated.

    eta² = SS_between / SS_total, where SS_between = sum over groups of
    n_g (mean_g - mean)² and SS_total = sum over customers of (y - mean)². More groups
    always explain more (one group per customer explains everything), so the number of
    groups is part of the result, together with epsilon² = (SS_between - (k - 1) MS_within)
    / SS_total, MS_within = SS_within / (n - k), which removes that advantage in expectation.

    Parameters
    ----------
    groups : array-like or pandas.Series
        Segment or cluster label per customer (any hashable; missing labels are errors).
    outcome : array-like or pandas.Series
        Holdout outcome per customer.

    Returns
    -------
    VarianceExplained
        eta² and epsilon² are NaN (with a :class:`MetricUndefinedWarning`) when the outcome
        is constant; epsilon² also when every customer is a group of its own.
    """
    g, y_series = _align(("groups", "outcome"), groups, outcome)
    if len(g) == 0:
        raise ValueError("groups and outcome are empty")
    codes, uniques = pd.factorize(_labels("groups", g))
    y = _numeric("outcome", y_series)
    k, n = len(uniques), y.size
    counts = np.bincount(codes, minlength=k)
    means = np.bincount(codes, weights=y, minlength=k) / counts
    ss_total = float(np.sum((y - y.mean()) ** 2))
    ss_between = float(np.sum(counts * (means - y.mean()) ** 2))
    if ss_total == 0:
        nan = _undefined("variance explained", "the outcome is constant")
        return VarianceExplained(nan, nan, k, n)
    eta = min(ss_between / ss_total, 1.0)  # guard against rounding just above 1
    if n == k:
        epsilon = _undefined("epsilon²", "every customer is a group of its own")
    else:
        # SS_within summed directly (not SS_total - SS_between): never negative, so
        # epsilon² <= eta² holds in floating point too
        ms_within = float(np.sum((y - means[codes]) ** 2)) / (n - k)
        epsilon = min((ss_between - (k - 1) * ms_within) / ss_total, eta)
    return VarianceExplained(eta, epsilon, k, n)


class Agreement(NamedTuple):
    """Agreement of two labelings of the same customers."""

    ari: float
    """Adjusted Rand index: 1 identical partitions, about 0 for independent ones."""
    nmi: float
    """Normalised mutual information (arithmetic mean normalisation), in [0, 1]."""
    n: int
    crosstab: pd.DataFrame
    """Customer counts, rows labels_a, columns labels_b."""


def agreement(labels_a: ArrayLike, labels_b: ArrayLike) -> Agreement:
    """How far two segmentations agree: ARI, NMI and their crosstab.

    Both scores are invariant to renaming the labels, so RFM segments can be compared with
    k-means clusters. Adjusted Rand index (:func:`sklearn.metrics.adjusted_rand_score`):
    pair-counting agreement corrected for chance, 1 for identical partitions, about 0 for
    independent ones (can be negative). Normalised mutual information
    (:func:`sklearn.metrics.normalized_mutual_info_score`, arithmetic normalisation): shared
    information over the mean of the two entropies, 0 to 1.

    Parameters
    ----------
    labels_a, labels_b : array-like or pandas.Series
        One label per customer (e.g. RFM segment, cluster).

    Returns
    -------
    Agreement
    """
    a, b = _align(("labels_a", "labels_b"), labels_a, labels_b)
    if len(a) == 0:
        raise ValueError("labels_a and labels_b are empty")
    a, b = _labels("labels_a", a), _labels("labels_b", b)
    a_codes, b_codes = pd.factorize(a)[0], pd.factorize(b)[0]
    crosstab = pd.crosstab(
        a.rename(a.name or "labels_a"), b.rename(b.name or "labels_b"), dropna=False
    )
    return Agreement(
        ari=float(skm.adjusted_rand_score(a_codes, b_codes)),
        nmi=float(skm.normalized_mutual_info_score(a_codes, b_codes)),
        n=int(len(a)),
        crosstab=crosstab,
    )


class Migration(NamedTuple):
    """Migration of customers between the segments of two periods."""

    counts: pd.DataFrame
    """Customers per (segment before, segment after); rows add the 'new' label, columns
    the 'gone' label."""
    row_shares: pd.DataFrame
    """counts divided by their row total: where the customers of each segment went."""


def _order(labels: list) -> list:
    """Labels in a stable, readable order: sorted within each type."""
    return sorted(labels, key=lambda v: (type(v).__name__, v))


def migration_matrix(
    seg_before: pd.Series,
    seg_after: pd.Series,
    *,
    new_label: str = "new",
    gone_label: str = "gone",
) -> Migration:
    """Where the customers of each segment went from one period to the next.

    Rows are the segments of the first period plus ``new_label`` (customers present only in
    the second period), columns the segments of the second period plus ``gone_label``
    (customers present only in the first). Both axes list every segment seen in either
    period (categorical Series keep their category order), so the diagonal counts the
    customers who stayed.

    Parameters
    ----------
    seg_before, seg_after : pandas.Series
        Segment per customer, indexed by customer_id, for the two periods.
    new_label, gone_label : str
        Names of the extra row and column; must not be segment names.

    Returns
    -------
    Migration
        ``counts`` (int) and ``row_shares`` (rows sum to 1; a row with no customers is 0).
    """
    for name, s in (("seg_before", seg_before), ("seg_after", seg_after)):
        if not isinstance(s, pd.Series):
            raise TypeError(f"{name} must be a pandas Series indexed by customer_id")
        unique_customers(name, s)
        _labels(name, s)
    categorical = [s for s in (seg_before, seg_after) if isinstance(s.dtype, pd.CategoricalDtype)]
    seen = list(pd.unique(pd.concat([seg_before.astype(object), seg_after.astype(object)])))
    if categorical:
        cats = list(categorical[0].cat.categories)
        segments = cats + _order([v for v in seen if v not in cats])
    else:
        segments = _order(seen)
    clash = {new_label, gone_label} & set(segments)
    if clash:
        raise ValueError(f"segment names {sorted(clash)} clash with new_label/gone_label")
    customers = seg_before.index.union(seg_after.index)
    before = seg_before.astype(object).reindex(customers).fillna(new_label)
    after = seg_after.astype(object).reindex(customers).fillna(gone_label)
    counts = (
        pd.crosstab(before.rename("before"), after.rename("after"))
        .reindex(index=[*segments, new_label], columns=[*segments, gone_label], fill_value=0)
        .astype("int64")
    )
    totals = counts.sum(axis=1)
    row_shares = counts.div(totals.where(totals > 0, 1), axis=0)
    return Migration(counts=counts, row_shares=row_shares)


# --------------------------------------------------------------------------------------
# calibration of money forecasts
# --------------------------------------------------------------------------------------


def decile_calibration(
    predicted: ArrayLike, realised: ArrayLike, *, n_bins: int = 10
) -> pd.DataFrame:
    """Predicted vs realised value per decile of the forecast (is a money forecast calibrated).

    Customers are ranked by predicted value and cut into ``n_bins`` groups of (nearly) equal
    size, 1 the lowest forecasts and ``n_bins`` the highest. Customers with the same forecast
    always land in the same bin (a tie is never split at random), so bins can be uneven and
    bins left empty by a large tie are dropped. A calibrated forecast has a ratio near 1 in
    every bin; a ratio off by the same factor everywhere is a scale bias, a ratio drifting
    across the bins a ranking that is too steep or too flat.

    Parameters
    ----------
    predicted : array-like or pandas.Series
        Forecast value per customer over the holdout, in currency.
    realised : array-like or pandas.Series
        Realised value per customer over the same window.
    n_bins : int, default 10
        Number of bins (10: deciles).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``bin`` (1 = lowest forecasts): ``customers``, ``mean_predicted``,
        ``mean_realised``, ``total_predicted``, ``total_realised`` and ``ratio``
        (total_predicted / total_realised; NaN when the bin realised 0). ``attrs["ratio"]``
        is the ratio over all customers.
    """
    if not isinstance(n_bins, int | np.integer) or n_bins < 1:
        raise ValueError(f"n_bins must be a positive integer; got {n_bins!r}")
    p, r = _pair(("predicted", "realised"), predicted, realised)
    n = p.size
    # lowest rank of each tie -> bin, so equal forecasts share a bin
    first_rank = stats.rankdata(p, method="min")
    bins = (first_rank - 1) * n_bins // n + 1
    frame = pd.DataFrame({"bin": bins, "predicted": p, "realised": r})
    grouped = frame.groupby("bin", sort=True)
    table = pd.DataFrame(
        {
            "customers": grouped.size(),
            "mean_predicted": grouped["predicted"].mean(),
            "mean_realised": grouped["realised"].mean(),
            "total_predicted": grouped["predicted"].sum(),
            "total_realised": grouped["realised"].sum(),
        }
    )
    realised_total = table["total_realised"]
    table["ratio"] = table["total_predicted"] / realised_total.where(realised_total != 0)
    total = r.sum()
    table.attrs["ratio"] = float(p.sum() / total) if total != 0 else math.nan
    return table
