"""Who wins each measure, in the words every page uses.

The executive summary, report 05 and the index cards name the winner of each ranking measure
as :func:`clvlib.compare.winner.winner_across` returns it over the report's cut-off and the
rolling origins — the one winner rule, also behind ``comparison_metrics.json``'s ``winner``
and ``verdict.json``. This module computes no rule: it asks that function per measure and
words its :class:`~clvlib.compare.winner.WinnerResult`; "Is the winner stable?" is
:func:`~clvlib.compare.winner.headline_by_cutoff` with page labels.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from clvlib.compare.winner import NO_CLEAR_WINNER
from clvlib.vocabulary import MEASURES


def measure_winners(comparison: Any, rolling: Any = None) -> dict[str, Any]:
    """Per measure of :data:`~clvlib.vocabulary.MEASURES`: the one winner rule's answer.

    ``comparison`` the report's (:func:`~clvlib.report.fitting.run_comparison`), ``rolling``
    its rolling origins (:func:`~clvlib.report.fitting.rolling_comparison`; None: the
    report's cut-off alone). Values are :class:`~clvlib.compare.winner.WinnerResult`.
    """
    from clvlib.compare.winner import winner_across

    return {metric: winner_across(comparison, rolling, metric) for metric in MEASURES}


def winner_label(result: Any) -> str:
    """The winner's name as the pages write it, or "no clear winner"."""
    from clvlib.compare.registry import METHODS

    return NO_CLEAR_WINNER if result.method is None else METHODS[result.method].label


def cutoffs_words(result: Any) -> str:
    """How the result was reached, in words: the clear wins out of the cut-offs tried.

    "clearly ahead at 2 of 3 cut-offs" for a winner; with no clear winner the method clearly
    ahead most often, "heuristic CLV clearly ahead at only 1 of 3 cut-offs", or "no method
    clearly ahead at any of 3 cut-offs".
    """
    from clvlib.compare.registry import CONTENDERS, METHODS

    n = result.cutoffs_tried
    if n == 1:  # no rolling origin: the report's cut-off decides alone
        ahead = "clearly ahead" if result.method else "no method clearly ahead"
        return f"{ahead} at the only cut-off tried"
    tried = f"{n} cut-offs"
    wins = result.clear_wins
    if result.method is not None:
        return f"clearly ahead at {wins[result.method]} of {tried}"
    if not wins:
        return f"no method clearly ahead at any of {tried}"
    most = max(wins, key=lambda m: (wins[m], -CONTENDERS.index(m)))  # ties: registry order
    return f"{METHODS[most].label} clearly ahead at only {wins[most]} of {tried}"


def winner_words(result: Any) -> str:
    """The result in a few words, for a headline figure: the winner and how it was reached."""
    return f"{winner_label(result)} ({cutoffs_words(result)})"


def winner_stability(comparison: Any, rolling: Any = None) -> pd.DataFrame:
    """Is the winner stable? Each measure's headline method at every cut-off tried.

    :func:`~clvlib.compare.winner.headline_by_cutoff` per measure: the headline method (the
    winner, else the best at the report's cut-off), its value and place among the methods
    compared (1 = best), the best other method there, the difference with its paired
    interval, and whether the headline method is clearly ahead (the interval excludes 0).
    Cut-offs oldest first. Rows mix measures, so values are written in each measure's own
    unit (a share in percent, a difference of shares in points), never read as money.
    """
    from clvlib.compare.registry import METHODS
    from clvlib.compare.winner import headline_by_cutoff
    from clvlib.vocabulary import METRICS, format_fixed

    def label(method: str) -> str:
        return METHODS[method].label

    lead = f"its lead over the best other ({_level(comparison)} interval)"
    frames = []
    for metric, words in MEASURES.items():
        table = headline_by_cutoff(comparison, rolling, metric).sort_values("cutoff")
        unit = METRICS[metric].sentence_unit
        frames.append(
            pd.DataFrame(
                {
                    "measure": words.row,
                    "cut-off": table["cutoff"],
                    "headline method": table["method"].map(label),
                    "its value": [format_fixed(v, unit) for v in table["value"]],
                    "its place": table["rank"],
                    "best other method": table["versus"].map(label),
                    lead: [
                        _lead(metric, *row)
                        for row in table[["difference", "ci_low", "ci_high"]].to_numpy()
                    ],
                    "clearly ahead": table["ahead"],
                }
            )
        )
    return pd.concat(frames, ignore_index=True).set_index(["measure", "cut-off"])


def _level(comparison: Any) -> str:
    """The confidence level of the comparison's intervals, as a page writes it ("95 %")."""
    from clvlib.vocabulary import format_fixed

    return format_fixed(
        comparison.params.get("settings", {}).get("confidence", 0.95), "whole_percent"
    )


def _report_cutoff(comparison: Any, result: Any) -> Any:
    """The :class:`~clvlib.compare.winner.CutoffWin` of the report's own cut-off, or None."""
    cutoff = comparison.params["calibration_end"]
    return next((w for w in result.per_cutoff if w.cutoff == cutoff), None)


def _lead(metric: str, difference: float, low: float, high: float) -> str:
    """A lead and its interval: :func:`clvlib.compare.verdict.lead_text`."""
    from clvlib.compare.verdict import lead_text

    return lead_text(metric, difference, low, high)


def who_is_ahead(comparison: Any, rolling: Any = None) -> pd.DataFrame:
    """Per measure a winner is named on: the best method, its lead and whether it is clear.

    The page's plain table (method and measure labels, no codes): at the report's cut-off
    the best contender and its value, the runner-up, the lead with its paired interval
    (:func:`~clvlib.compare.winner.winner_across`'s cut-off win, the same the answer
    states), and the one winner rule's verdict over every cut-off tried.
    """
    from clvlib.compare.registry import METHODS
    from clvlib.vocabulary import METRICS, format_fixed

    level = _level(comparison)
    lead = f"ahead of the runner-up by ({level} interval)"
    rows = []
    for metric, result in measure_winners(comparison, rolling).items():
        here = _report_cutoff(comparison, result)
        if here is None:
            continue
        rows.append(
            {
                "measure": MEASURES[metric].row,
                "best method at the report's cut-off": METHODS[here.method].label,
                "its value": format_fixed(here.value, METRICS[metric].sentence_unit),
                "runner-up": METHODS[here.runner_up].label,
                lead: _lead(metric, here.margin, here.ci_low, here.ci_high),
                "a clear lead there": "yes" if here.clear else "no: the interval includes 0",
                "verdict over every cut-off tried": winner_words(result),
            }
        )
    if not rows:  # fewer than two methods with a value: nothing to compare
        return pd.DataFrame(index=pd.Index([], name="measure"))
    return pd.DataFrame(rows).set_index("measure")


def behind_the_best(comparison: Any, metric: str) -> pd.DataFrame:
    """Every method against the best contender on ``metric`` at the report's cut-off.

    Index: the methods with a value and an interval (registry order, bounds left out);
    columns ``difference`` (method minus the best contender, in the metric's unit; 0 for
    the best itself), ``ci_low``, ``ci_high`` (its paired bootstrap interval) and ``best``.
    Positive: ahead of the best contender (only a reference can be).
    """
    from clvlib.compare.registry import BOUNDS, CONTENDERS, METHODS
    from clvlib.compare.winner import _interval

    best = comparison.winner(metric, among=CONTENDERS).method
    values = comparison.wide()[metric]
    unavailable = comparison.params.get("unavailable", {})
    rows = {}
    for method in METHODS:
        if method in BOUNDS or method in unavailable or pd.isna(values.get(method)):
            continue
        if method == best:
            rows[method] = (0.0, 0.0, 0.0, True)
            continue
        difference, low, high = _interval(comparison, method, best, metric)
        if low == low and high == high:
            rows[method] = (difference, low, high, False)
    return pd.DataFrame.from_dict(
        rows, orient="index", columns=["difference", "ci_low", "ci_high", "best"]
    ).rename_axis("method")


def pair_differences(comparison: Any) -> pd.DataFrame:
    """Every pair of methods on every metric with an interval, for the analyst, in words.

    :attr:`~clvlib.compare.comparison.Comparison.differences` with one row per pair (method
    and the method it is compared with, as labels) and one column per metric (its label),
    each cell the difference (first minus second) and its paired bootstrap interval
    (:func:`clvlib.compare.verdict.lead_text`): no codes, and no rows left out for length.
    """
    from clvlib.compare.registry import METHODS
    from clvlib.compare.verdict import lead_text
    from clvlib.vocabulary import METRICS, heading

    d = comparison.differences
    if d is None or d.empty:
        return pd.DataFrame()
    cells = d.assign(
        text=[
            lead_text(r.metric, r.difference, r.ci_low, r.ci_high, signed=True)
            for r in d.itertuples(index=False)
        ]
    )
    table = cells.pivot_table(
        index=["method", "versus"], columns="metric", values="text", aggfunc="first", sort=False
    )
    table = table[[m for m in d["metric"].unique()]]
    table.columns = [heading(METRICS[m].label) for m in table.columns]
    table.index = pd.MultiIndex.from_tuples(
        [(METHODS[a].label, METHODS[b].label) for a, b in table.index],
        names=["method", "minus"],
    )
    return table
