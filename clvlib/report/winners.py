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
    Cut-offs oldest first.
    """
    from clvlib.compare.registry import METHODS
    from clvlib.compare.winner import headline_by_cutoff

    def label(method: str) -> str:
        return METHODS[method].label

    frames = []
    for metric, words in MEASURES.items():
        table = headline_by_cutoff(comparison, rolling, metric).sort_values("cutoff")
        frames.append(
            pd.DataFrame(
                {
                    "measure": words.row,
                    "cut-off": table["cutoff"],
                    "headline method": table["method"].map(label),
                    "its value": table["value"],
                    "its place": table["rank"],
                    "best other method": table["versus"].map(label),
                    "its value minus the other's": table["difference"],
                    "interval low": table["ci_low"],
                    "interval high": table["ci_high"],
                    "clearly ahead": table["ahead"],
                }
            )
        )
    return pd.concat(frames, ignore_index=True).set_index(["measure", "cut-off"])
