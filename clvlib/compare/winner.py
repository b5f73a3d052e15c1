"""The winner rule and its words: who is best on a metric, by how much, and is it clear.

A winner is named only when the paired customer bootstrap interval of its margin over the
runner-up excludes 0 (:attr:`Comparison.differences`); otherwise "no clear winner".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import pandas as pd

from clvlib.compare.registry import BOUNDS, CONTENDERS, METHODS, METRICS, TRUTH_METRICS

__all__ = ["Winner", "references_ahead", "verdict"]


class Winner(NamedTuple):
    """The best method on one metric and its margin over the runner-up."""

    metric: str
    method: str
    value: float
    runner_up: str
    runner_up_value: float
    margin: float
    """How much better the winner is, in the metric's unit (> 0; for "zero" metrics the
    difference of the absolute values)."""
    direction: str


def _has_candidates(comparison: Any, metric: str) -> bool:
    table = comparison.truth_distance if metric in TRUTH_METRICS else comparison.metrics
    rows = table[(table["metric"] == metric) & ~table["method"].isin(BOUNDS)]
    return rows["value"].notna().sum() >= 2


def _interval(c: Any, method: str, versus: str, metric: str) -> tuple[float, float, float]:
    """Difference ``method - versus`` on ``metric`` and its interval (either row order)."""
    d = c.differences
    if d is None:
        return math.nan, math.nan, math.nan
    hit = d[(d["method"] == method) & (d["versus"] == versus) & (d["metric"] == metric)]
    if len(hit):
        row = hit.iloc[0]
        return float(row["difference"]), float(row["ci_low"]), float(row["ci_high"])
    hit = d[(d["method"] == versus) & (d["versus"] == method) & (d["metric"] == metric)]
    if len(hit):
        row = hit.iloc[0]
        return -float(row["difference"]), -float(row["ci_high"]), -float(row["ci_low"])
    return math.nan, math.nan, math.nan


def _clear(c: Any, w: Winner) -> bool | None:
    """Whether the winner's interval against the runner-up excludes 0 (None: no interval)."""
    _, low, high = _interval(c, w.method, w.runner_up, w.metric)
    if not (math.isfinite(low) and math.isfinite(high)):
        return None
    if w.direction == "higher":
        return bool(low > 0)
    if w.direction == "lower":
        return bool(high < 0)
    return None


def _candidates(table: pd.DataFrame, metric: str, among: Sequence[str] | None) -> pd.Series:
    rows = table[table["metric"] == metric].set_index("method")["value"].dropna()
    if among is None:
        among = [m for m in METHODS if m not in BOUNDS]
    unknown = [m for m in among if m not in METHODS]
    if unknown:
        raise KeyError(f"unknown method(s) {unknown}; methods are {list(METHODS)}")
    return rows.reindex([m for m in among if m in rows.index])


def _winner(
    table: pd.DataFrame,
    truth: pd.DataFrame | None,
    metric: str,
    among: Sequence[str] | None,
) -> Winner:
    if metric in TRUTH_METRICS:
        if truth is None:
            raise ValueError(f"{metric} needs a truth: pass truth= to compare_methods")
        spec, table = TRUTH_METRICS[metric], truth
    elif metric in METRICS:
        spec = METRICS[metric]
    else:
        known = list(METRICS) + list(TRUTH_METRICS)
        raise KeyError(f"unknown metric {metric!r}; metrics are {known}")
    if spec.direction == "none":
        raise ValueError(f"{metric} has no better or worse value; it is context, not a contest")
    values = _candidates(table, metric, among)
    if len(values) < 2:
        raise ValueError(
            f"{metric}: need at least two methods with a value to name a winner, got "
            f"{list(values.index)}"
        )
    key = {"higher": -values, "lower": values, "zero": values.abs()}[spec.direction]
    order = key.sort_values(kind="stable").index  # ties: report order
    best, second = order[0], order[1]
    margin = float(key[second] - key[best])
    return Winner(
        metric, best, float(values[best]), second, float(values[second]), margin, spec.direction
    )


def _fmt(metric: str, value: float) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    unit = {**METRICS, **TRUTH_METRICS}[metric].unit
    if unit == "share":
        return f"{100 * value:.1f} %"
    if unit == "%":
        return f"{value:+.0f} %"
    if unit == "currency":
        return f"{value:,.2f}"
    if unit == "count":
        return f"{value:.0f}"
    return f"{value:.3f}"


def _margin_text(w: Winner) -> str:
    spec = {**METRICS, **TRUTH_METRICS}[w.metric]
    if spec.unit == "share":
        diff = f"{100 * w.margin:.1f} points"
    elif spec.unit == "%":
        diff = f"{w.margin:.0f} points"
    elif spec.unit == "currency":
        diff = f"{w.margin:,.2f}"
    else:
        diff = f"{w.margin:.3f}"
    return (
        f"{METHODS[w.method].label} ({_fmt(w.metric, w.value)}), {diff} ahead of "
        f"{METHODS[w.runner_up].label} ({_fmt(w.metric, w.runner_up_value)})"
    )


def _better(metric: str, value: float, than: float) -> bool:
    direction = {**METRICS, **TRUTH_METRICS}[metric].direction
    if not (math.isfinite(value) and math.isfinite(than)):
        return False
    if direction == "higher":
        return value > than
    if direction == "lower":
        return value < than
    return abs(value) < abs(than)


def verdict(c: Any, metric: str = "spearman", among: Sequence[str] | None = None) -> str:
    """The best of ``among`` (default the contenders) on ``metric``, in words, with its interval.

    "no clear winner" when the paired bootstrap interval of the best against the runner-up
    covers 0; otherwise the winner, its margin and the interval.
    """
    w = _winner(c.metrics, None, metric, CONTENDERS if among is None else among)
    diff, low, high = _interval(c, w.method, w.runner_up, metric)
    best, second = METHODS[w.method].label, METHODS[w.runner_up].label
    interval = _interval_text(metric, low, high, c)
    if _clear(c, w):
        return f"{_margin_text(w)}; {interval}"
    return (
        f"no clear winner: {best} ({_fmt(metric, w.value)}) and {second} "
        f"({_fmt(metric, w.runner_up_value)}) differ by {_diff_text(metric, diff)}, {interval}, "
        "which covers 0"
    )


def references_ahead(c: Any, metric: str = "spearman") -> tuple[list[str], list[str]]:
    """References scoring above the best contender on ``metric``: ``(clear, within_noise)``.

    A reference *beats* the methods only when its paired bootstrap interval against the best
    contender excludes 0 (``clear``); one that scores higher with an interval covering 0 is
    ``within_noise``. Unavailable references (a failed fit) are in neither list.
    """
    w = _winner(c.metrics, None, metric, CONTENDERS)
    wide = c.wide()
    unavailable = c.params.get("unavailable", {})
    clear, noise = [], []
    for m, spec in METHODS.items():
        if spec.kind != "reference" or m in unavailable or m not in wide.index:
            continue
        if not _better(metric, wide.loc[m, metric], w.value):
            continue
        _, low, _ = _interval(c, m, w.method, metric)
        (clear if math.isfinite(low) and low > 0 else noise).append(m)
    return clear, noise


def _diff_text(metric: str, diff: float) -> str:
    unit = {**METRICS, **TRUTH_METRICS}[metric].unit
    text = f"{100 * diff:+.1f}" if unit == "share" else f"{diff:+.3f}"
    if not text.strip("+-0."):  # rounds to zero: no sign ("-0.000" reads as a value below 0)
        text = text[1:]
    return f"{text} points" if unit == "share" else text


def _interval_text(metric: str, low: float, high: float, c: Any) -> str:
    level = 100 * c.params.get("settings", {}).get("confidence", 0.95)
    if not (math.isfinite(low) and math.isfinite(high)):
        return "no interval"
    # above bootstrap_max_customers the interval is a subsample's: wider, so conservative
    sub = c.params.get("settings", {}).get("bootstrap_customers")
    of = f" (from a fixed subsample of {sub:,} customers: wider, so conservative)" if sub else ""
    return (
        f"{level:.0f} % paired bootstrap interval {_diff_text(metric, low)} .. "
        f"{_diff_text(metric, high)}{of}"
    )
