"""The one winner rule and its words.

A method wins a measure on a data set only when it is ahead of the runner-up with a paired
bootstrap interval excluding 0 at *more than half* of the cut-offs tried — the report's
cut-off and the rolling origins' — otherwise there is "no clear winner". :func:`winner_across`
is that rule, the only one: the comparison's summary, its JSON, the reports' answers and the
verdict across data sets (:mod:`clvlib.compare.verdict`) all call it. It reads each cut-off
from a :class:`~clvlib.compare.comparison.Comparison` or from its JSON export
(``comparison_metrics.json``, and ``rolling_origin.json``'s ``comparisons``), so that the
pages and ``verdict.json`` state one result. :func:`headline_by_cutoff` shows how the headline
method fares at every cut-off ("Is the winner stable?").
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import pandas as pd

from clvlib.compare.registry import BOUNDS, CONTENDERS, METHODS, METRICS, TRUTH_METRICS
from clvlib.vocabulary import MEASURES, format_fixed, format_number
from clvlib.vocabulary import METRICS as METRIC_WORDS

__all__ = [
    "NO_CLEAR_WINNER",
    "RANKING_METRICS",
    "CutoffWin",
    "Winner",
    "WinnerResult",
    "cutoff_wins",
    "headline_by_cutoff",
    "references_ahead",
    "summary_text",
    "verdict",
    "winner_across",
]

#: the ranking metrics a data set's winner is named on (each has paired bootstrap intervals)
RANKING_METRICS: tuple[str, ...] = ("spearman", "top20_share", "auc")
NO_CLEAR_WINNER = "no clear winner"


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
    """A metric's value inside a sentence ("n/a" when there is none)."""
    if value is None or not math.isfinite(value):
        return "n/a"
    return format_fixed(value, METRIC_WORDS[metric].sentence_unit)


def _margin_text(w: Winner) -> str:
    diff = format_fixed(w.margin, METRIC_WORDS[w.metric].difference_unit)
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


def verdict(
    c: Any, metric: str = "spearman", among: Sequence[str] | None = None, *, rolling: Any = None
) -> str:
    """The winner of ``among`` (default the contenders) on ``metric``, in words.

    :attr:`WinnerResult.sentence` of :func:`winner_across` the report's cut-off (``c``) and,
    when given, the rolling origins' cut-offs. It starts with "no clear winner" exactly when
    there is none.
    """
    return winner_across(c, rolling, metric, among=among).sentence


def _at_cutoff_text(c: Any, w: Winner) -> str:
    """One cut-off's best method, its margin over the runner-up and its interval, in words."""
    metric = w.metric
    diff, low, high = _interval(c, w.method, w.runner_up, metric)
    best, second = METHODS[w.method].label, METHODS[w.runner_up].label
    interval = _interval_text(metric, low, high, c)
    if _clear(c, w):
        return f"{_margin_text(w)}; {interval}"
    return (
        f"{NO_CLEAR_WINNER}: {best} ({_fmt(metric, w.value)}) and {second} "
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
    """A signed difference; one that rounds to zero has no sign ("-0.000" reads as below 0)."""
    return format_fixed(diff, METRIC_WORDS[metric].difference_unit, signed=True)


def _interval_text(metric: str, low: float, high: float, c: Any) -> str:
    level = format_fixed(c.params.get("settings", {}).get("confidence", 0.95), "whole_percent")
    if not (math.isfinite(low) and math.isfinite(high)):
        return "no interval"
    # above bootstrap_max_customers the interval is a subsample's: wider, so conservative
    sub = c.params.get("settings", {}).get("bootstrap_customers")
    of = (
        f" (from a fixed subsample of {format_number(sub, 'count')} customers: wider, so "
        "conservative)"
        if sub
        else ""
    )
    return (
        f"{level} paired bootstrap interval {_diff_text(metric, low)} .. "
        f"{_diff_text(metric, high)}{of}"
    )


def summary_text(c: Any, rolling: Any = None) -> str:
    """A few sentences: which method wins on what, by how much; reports open with it.

    Each measure's verdict is :func:`winner_across` the report's cut-off and, when
    ``rolling`` is given, the rolling origins' cut-offs.
    """
    p = c.params
    wide = c.wide()
    lines = [
        f"Calibration to {p['calibration_end']}, holdout to {p['holdout_end']} "
        f"({p['holdout_days']} days): {format_number(p['n_customers'], 'count')} customers, "
        f"{format_fixed(p['bought_again_share'], 'whole_percent')} bought again, holdout value "
        f"{format_fixed(p['holdout_value_total'], 'whole')}."
    ]
    references = [m for m, s in METHODS.items() if s.kind == "reference"]
    for metric in RANKING_METRICS:
        what = MEASURES[metric].summary
        w = _winner(c.metrics, None, metric, CONTENDERS)
        ref = "; ".join(
            f"{METHODS[m].label} {_fmt(metric, wide.loc[m, metric])}"
            for m in (*references, *BOUNDS)
        )
        clear, noise = references_ahead(c, metric)
        beaten = [METHODS[m].label for m in clear]
        ahead = [METHODS[m].label for m in noise]
        note = ""
        if beaten:
            verb = "reference beats" if len(beaten) == 1 else "references beat"
            note += f" The {', the '.join(beaten)} {verb} every method (interval excludes 0)."
        if ahead:
            verb = "reference scores" if len(ahead) == 1 else "references score"
            note += (
                f" The {', the '.join(ahead)} {verb} above every method, within noise "
                "(interval against the best method covers 0)."
            )
        lines.append(f"{what}: {verdict(c, metric, rolling=rolling)}. References: {ref}.{note}")
    money = [m for m, s in METHODS.items() if s.money]
    errs = ", ".join(
        f"{METHODS[m].label} {_fmt('total_error_pct', wide.loc[m, 'total_error_pct'])} "
        f"(MAE {_fmt('mae', wide.loc[m, 'mae'])})"
        for m in money
    )
    zero = next(
        (wide.loc[m, "mae_zero"] for m in money if math.isfinite(wide.loc[m, "mae_zero"])), math.nan
    )
    lines.append(
        f"Money, total predicted vs realised: {errs}; a forecast of 0 for everybody has MAE "
        f"{_fmt('mae', zero)}."
    )
    groups = ", ".join(
        f"{METHODS[m].label} {_fmt('eta_squared', wide.loc[m, 'eta_squared'])} "
        f"({format_number(int(wide.loc[m, 'n_groups']), 'count')} groups)"
        for m in CONTENDERS
        if math.isfinite(wide.loc[m, "n_groups"])  # an absent contender has no groups
    )
    lines.append(f"Holdout-value variance explained by the groups (eta²): {groups}.")
    lines.append(
        "RFM segments vs k-means clusters: "
        f"ARI {format_fixed(c.agreement.ari, 'decimal2')}, "
        f"NMI {format_fixed(c.agreement.nmi, 'decimal2')}."
    )
    for method, reason in p.get("unavailable", {}).items():
        lines.append(f"{METHODS[method].label} is unavailable: {reason}")
    if c.truth_distance is not None:
        w = _winner(c.metrics, c.truth_distance, "spearman_truth", None)
        ceiling = _fmt("spearman_truth", c.truth_wide().loc["perfect_foresight", "spearman_truth"])
        lines.append(
            f"Against the true expected value (simulation): Spearman best for {_margin_text(w)}"
            f"; even perfect foresight of the realised holdout reaches only {ceiling}."
        )
    return "\n".join(lines)


# --------------------------------------------------------------------------------------
# the one winner rule, across cut-offs
# --------------------------------------------------------------------------------------


class CutoffWin(NamedTuple):
    """The best method at one cut-off and whether its lead over the runner-up is clear."""

    cutoff: str
    method: str
    value: float
    runner_up: str
    runner_up_value: float
    margin: float
    ci_low: float
    ci_high: float
    """Paired bootstrap interval of ``method - runner_up`` (NaN: none)."""
    clear: bool
    """The interval excludes 0 in the metric's good direction (False without an interval)."""


class WinnerResult(NamedTuple):
    """:func:`winner_across`: the data set's winner on one measure, or none, and why."""

    metric: str
    method: str | None
    """The winner: clearly ahead at more than half of the cut-offs; None: no clear winner."""
    headline: str | None
    """The method a page names: the winner, else the best at the report's cut-off (None:
    fewer than two methods have a value there)."""
    cutoffs_won: int
    """Cut-offs where ``headline`` is clearly ahead of the runner-up."""
    cutoffs_tried: int
    clear_wins: dict[str, int]
    """Clear wins per method (methods without one are left out)."""
    margin: float
    """At the report's cut-off: ``headline`` minus the best other method (in the metric's unit;
    negative when it trails there)."""
    interval: tuple[float, float]
    """Paired bootstrap interval of ``margin`` at the report's cut-off."""
    sentence: str
    """The result in words; starts with "no clear winner" exactly when ``method`` is None."""
    per_cutoff: tuple[CutoffWin, ...]
    """The best method at each cut-off, the report's first."""


class _Cutoff(NamedTuple):
    """One cut-off as the rule reads it: tidy metrics, paired differences, params."""

    metrics: pd.DataFrame
    differences: pd.DataFrame | None
    params: Mapping[str, Any]


_DIFFERENCE_COLUMNS = ["method", "versus", "metric", "difference", "ci_low", "ci_high"]


def _read(c: Any) -> _Cutoff:
    """A Comparison (or anything with its attributes) or its ``to_dict()`` / JSON export."""
    if not isinstance(c, Mapping):
        return _Cutoff(c.metrics, c.differences, c.params)
    metrics = pd.DataFrame(c["metrics"], columns=["method", "metric", "value"])
    metrics["value"] = pd.to_numeric(metrics["value"], errors="coerce")
    rows = c.get("differences")
    differences = None
    if rows is not None:
        differences = pd.DataFrame(rows, columns=_DIFFERENCE_COLUMNS)
        for column in _DIFFERENCE_COLUMNS[3:]:
            differences[column] = pd.to_numeric(differences[column], errors="coerce")
    return _Cutoff(metrics, differences, c["params"])


def _cutoffs(comparison: Any, rolling: Any = None) -> dict[str, _Cutoff]:
    """The cut-offs tried: the report's first, then the rolling origins' (oldest first).

    A rolling cut-off on the report's own date is the same comparison and counts once.
    """
    first = _read(comparison)
    out = {first.params["calibration_end"]: first}
    if rolling is not None:
        others = rolling["comparisons"] if isinstance(rolling, Mapping) else rolling.comparisons
        for key, c in sorted(others.items()):
            if key not in out:
                out[key] = _read(c)
    return out


def _cutoff_win(key: str, c: _Cutoff, metric: str, among: Sequence[str]) -> CutoffWin | None:
    values = _candidates(c.metrics, metric, among)
    if len(values) < 2:
        return None
    w = _winner(c.metrics, None, metric, among)
    _, low, high = _interval(c, w.method, w.runner_up, metric)
    return CutoffWin(
        key, w.method, w.value, w.runner_up, w.runner_up_value, w.margin, low, high,
        bool(_clear(c, w)),
    )  # fmt: skip


def cutoff_wins(
    comparison: Any,
    rolling: Any = None,
    metric: str = "spearman",
    *,
    among: Sequence[str] | None = None,
) -> list[CutoffWin]:
    """The best of ``among`` (default the contenders) at each cut-off tried, report's first.

    Cut-offs where fewer than two methods have a value are left out.
    """
    among = CONTENDERS if among is None else tuple(among)
    wins = (_cutoff_win(k, c, metric, among) for k, c in _cutoffs(comparison, rolling).items())
    return [w for w in wins if w is not None]


def winner_across(
    comparison: Any,
    rolling: Any = None,
    metric: str = "spearman",
    *,
    among: Sequence[str] | None = None,
) -> WinnerResult:
    """The one winner rule: clearly ahead of the runner-up at more than half of the cut-offs.

    Parameters
    ----------
    comparison : Comparison or mapping
        The comparison at the report's cut-off, or its :meth:`~Comparison.to_dict` (the
        ``comparison_metrics.json`` export).
    rolling : RollingOrigin or mapping, optional
        The rolling origins (or ``rolling_origin.json``); None: the report's cut-off alone.
    metric : str, default "spearman"
        A metric with paired bootstrap intervals (:data:`~.registry.INTERVAL_METRICS`).
    among : sequence of str, optional
        The methods in the running; default the contenders.

    Returns
    -------
    WinnerResult

    Examples
    --------
    Two cut-offs, hand-made: A is clearly ahead of B at the first only, so it wins 1 of 2 —
    not more than half.

    >>> def cut(day, a, b, low, high):
    ...     return {"params": {"calibration_end": day},
    ...             "metrics": [{"method": "heuristic_clv", "metric": "auc", "value": a},
    ...                         {"method": "rfm", "metric": "auc", "value": b}],
    ...             "differences": [{"method": "heuristic_clv", "versus": "rfm",
    ...                              "metric": "auc", "difference": a - b,
    ...                              "ci_low": low, "ci_high": high}]}
    >>> report = cut("2024-06-30", 0.70, 0.60, 0.05, 0.15)
    >>> rolling = {"comparisons": {"2024-03-31": cut("2024-03-31", 0.66, 0.64, -0.01, 0.05)}}
    >>> r = winner_across(report, rolling, "auc")
    >>> r.method, r.headline, r.cutoffs_won, r.cutoffs_tried
    (None, 'heuristic_clv', 1, 2)
    >>> r.sentence[:60]
    'no clear winner over 2 cut-offs (clearly ahead: heuristic CL'
    """
    among = CONTENDERS if among is None else tuple(among)
    cutoffs = _cutoffs(comparison, rolling)
    report_key, report = next(iter(cutoffs.items()))
    wins = [w for k, c in cutoffs.items() if (w := _cutoff_win(k, c, metric, among))]
    clear: dict[str, int] = {}
    for w in wins:
        if w.clear:
            clear[w.method] = clear.get(w.method, 0) + 1
    top = max(clear, key=lambda m: (clear[m], -among.index(m)), default=None)
    method = top if top is not None and clear[top] > len(wins) / 2 else None
    at_report = None
    if wins and wins[0].cutoff == report_key:  # two methods or more have a value there
        at_report = _winner(report.metrics, None, metric, among)
    headline = method or (at_report.method if at_report is not None else None)
    margin, low, high = math.nan, math.nan, math.nan
    if at_report is not None:
        other = at_report.runner_up if headline == at_report.method else at_report.method
        margin, low, high = _interval(report, headline, other, metric)
        if not math.isfinite(margin):  # no paired row: the difference of the values
            values = _candidates(report.metrics, metric, among)
            margin = float(values[headline] - values[other])
    return WinnerResult(
        metric=metric,
        method=method,
        headline=headline,
        cutoffs_won=clear.get(headline, 0),
        cutoffs_tried=len(wins),
        clear_wins=dict(sorted(clear.items())),
        margin=margin,
        interval=(low, high),
        sentence=_across_text(report, at_report, method, clear, len(wins)),
        per_cutoff=tuple(wins),
    )


def _cutoff_count(n: int) -> str:
    return f"{n} cut-off" if n == 1 else f"{n} cut-offs"


def _across_text(
    report: _Cutoff,
    at_report: Winner | None,
    method: str | None,
    clear: Mapping[str, int],
    n: int,
) -> str:
    """The sentence of :class:`WinnerResult`; with one cut-off, that cut-off's own words."""
    if at_report is None:
        here = "fewer than two methods have a value"
    else:
        here = _at_cutoff_text(report, at_report)
        if n <= 1:
            return here
    if method is not None:
        k = f"clearly ahead at {clear[method]} of {_cutoff_count(n)}"
        if at_report is not None and method == at_report.method:
            return f"{here}; {k}"
        return f"{METHODS[method].label}, {k}; at the report's cut-off: {here}"
    ahead = ", ".join(f"{METHODS[m].label} {k}" for m, k in sorted(clear.items()))
    why = f"clearly ahead: {ahead}; more than half needed" if ahead else "no clear lead anywhere"
    return f"{NO_CLEAR_WINNER} over {_cutoff_count(n)} ({why}); at the report's cut-off: {here}"


def headline_by_cutoff(
    comparison: Any,
    rolling: Any = None,
    metric: str = "spearman",
    *,
    method: str | None = None,
    among: Sequence[str] | None = None,
) -> pd.DataFrame:
    """How the headline method fares at every cut-off: "Is the winner stable?".

    Parameters
    ----------
    comparison, rolling, metric, among
        As :func:`winner_across`.
    method : str, optional
        The method to follow; default the headline of :func:`winner_across` (the winner, else
        the best at the report's cut-off).

    Returns
    -------
    pandas.DataFrame
        One row per cut-off (the report's first): ``cutoff``, ``method``, ``value``, ``rank``
        (1 = best of ``among``), ``versus`` (the best other method), ``versus_value``,
        ``difference`` (method minus versus), ``ci_low``, ``ci_high`` (paired interval) and
        ``ahead`` (clearly ahead: the interval excludes 0 on the good side).
    """
    among = CONTENDERS if among is None else tuple(among)
    if method is None:
        method = winner_across(comparison, rolling, metric, among=among).headline
    direction = {**METRICS, **TRUTH_METRICS}[metric].direction
    rows = []
    for key, c in _cutoffs(comparison, rolling).items():
        values = _candidates(c.metrics, metric, among)
        if method not in values.index or len(values) < 2:
            continue
        sign = {"higher": -1.0, "lower": 1.0}.get(direction, 1.0)
        order = (sign * values).sort_values(kind="stable").index
        versus = next(m for m in order if m != method)
        diff, low, high = _interval(c, method, versus, metric)
        if not math.isfinite(diff):
            diff = float(values[method] - values[versus])
        ahead = low > 0 if direction == "higher" else high < 0
        rows.append(
            {
                "cutoff": key,
                "method": method,
                "value": float(values[method]),
                "rank": int(list(order).index(method)) + 1,
                "versus": versus,
                "versus_value": float(values[versus]),
                "difference": diff,
                "ci_low": low,
                "ci_high": high,
                "ahead": bool(math.isfinite(low) and math.isfinite(high) and ahead),
            }
        )
    return pd.DataFrame(
        rows,
        columns=["cutoff", "method", "value", "rank", "versus", "versus_value", "difference",
                 "ci_low", "ci_high", "ahead"],
    )  # fmt: skip
