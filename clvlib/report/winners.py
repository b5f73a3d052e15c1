"""Who wins each measure, said the same way on every page.

The executive summary, report 05 and the index cards name the winner of each ranking measure
from one rule, applied to the report's comparison and its rolling origins: a method wins a
measure only when it is ahead of the runner-up with a paired interval excluding 0 at more than
half of the cut-offs tried (the report's and the rolling origins); otherwise "no clear
winner". It is the rule of the verdict across data sets (``verdict.json``), asked here through
:func:`measure_winners` only, so that no page words its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

#: the measures a winner is named on (each has paired bootstrap intervals): headline labels
MEASURES: dict[str, str] = {
    "spearman": "best ranking (Spearman)",
    "top20_share": "best top 20 % capture",
    "auc": "best at who buys again (AUC)",
}
#: the same measures named in a table's rows
MEASURE_NAMES: dict[str, str] = {
    "spearman": "ranking (Spearman)",
    "top20_share": "top 20 % capture",
    "auc": "who buys again (AUC)",
}
NO_CLEAR_WINNER = "no clear winner"


def measure_winners(comparison: Any, rolling: Any = None) -> dict[str, dict[str, Any]]:
    """Per measure of :data:`MEASURES`, the winner rule's answer over every cut-off tried.

    ``comparison`` the report's (:func:`~clvlib.report.fitting.run_comparison`), ``rolling``
    its rolling origins (:func:`~clvlib.report.fitting.rolling_comparison`; None: the
    report's cut-off alone). Each answer holds ``method`` (None: no clear winner),
    ``cutoffs`` (how many were tried), ``clear_wins`` (per method, the cut-offs where it was
    clearly ahead of the runner-up) and ``at_report_cutoff`` (the best method there, its
    runner-up, margin and interval, ``clear``).
    """
    from clvlib.compare.verdict import data_set_verdict

    entry = data_set_verdict("", comparison.to_dict(), _rolling_dict(rolling))
    return {metric: entry["winners"][metric] for metric in MEASURES}


def _rolling_dict(rolling: Any) -> dict[str, Any] | None:
    return None if rolling is None else rolling.to_dict()


def winner_label(answer: Mapping[str, Any]) -> str:
    """The winner's name as the pages write it, or "no clear winner"."""
    from clvlib.compare.registry import METHODS

    return NO_CLEAR_WINNER if answer["method"] is None else METHODS[answer["method"]].label


def cutoffs_words(answer: Mapping[str, Any]) -> str:
    """How the answer was reached, in words: the clear wins out of the cut-offs tried.

    "clearly ahead at 2 of 3 cut-offs" for a winner; with no clear winner the method clearly
    ahead most often, "heuristic CLV clearly ahead at only 1 of 3 cut-offs", or "no method
    clearly ahead at any of 3 cut-offs".
    """
    from clvlib.compare.registry import CONTENDERS, METHODS

    n = answer["cutoffs"]
    if n == 1:  # no rolling origin: the report's cut-off decides alone
        ahead = "clearly ahead" if answer["method"] else "no method clearly ahead"
        return f"{ahead} at the only cut-off tried"
    tried = f"{n} cut-offs"
    if answer["method"] is not None:
        return f"clearly ahead at {answer['clear_wins'][answer['method']]} of {tried}"
    wins = answer["clear_wins"]
    if not wins:
        return f"no method clearly ahead at any of {tried}"
    most = max(wins, key=lambda m: (wins[m], -CONTENDERS.index(m)))  # ties: registry order
    return f"{METHODS[most].label} clearly ahead at only {wins[most]} of {tried}"


def winner_words(answer: Mapping[str, Any]) -> str:
    """The answer in a few words, for a headline figure: the winner and how it was reached."""
    return f"{winner_label(answer)} ({cutoffs_words(answer)})"


def winner_stability(comparison: Any, rolling: Any = None) -> pd.DataFrame:
    """The headline method of each measure at every cut-off, to show whether a winner holds.

    The headline method is the measure's winner (:func:`measure_winners`), or with no clear
    winner the best method at the report's cut-off (the one its page discusses). One row
    per measure and cut-off: its value and place among the methods compared (1 = best), and
    the best method there, its margin over the runner-up with the paired interval, and
    whether it is clearly ahead (the interval excludes 0).
    """
    from clvlib.compare.registry import CONTENDERS, METHODS
    from clvlib.compare.verdict import _cutoff_winner, _values

    answers = measure_winners(comparison, rolling)
    report = comparison.to_dict()
    cutoffs = {report["params"]["calibration_end"]: report}
    for cutoff, c in sorted((_rolling_dict(rolling) or {}).get("comparisons", {}).items()):
        cutoffs.setdefault(cutoff, c)
    rows = []
    for metric, answer in answers.items():
        here = answer["at_report_cutoff"]
        headline = answer["method"] or (here["method"] if here else None)
        for cutoff in sorted(cutoffs):
            values = _values(cutoffs[cutoff], metric)
            ranked = sorted((m for m in CONTENDERS if m in values), key=lambda m: -values[m])
            best = _cutoff_winner(cutoffs[cutoff], metric)
            if headline is None or best is None:
                continue
            rows.append(
                {
                    "measure": MEASURE_NAMES[metric],
                    "cut-off": cutoff,
                    "headline method": METHODS[headline].label,
                    "its value": values.get(headline),
                    "its place": ranked.index(headline) + 1 if headline in ranked else None,
                    "best method": METHODS[best["method"]].label,
                    "ahead of the runner-up by": best["margin"],
                    "interval low": best["ci_low"],
                    "interval high": best["ci_high"],
                    "clearly ahead": best["clear"],
                }
            )
    return pd.DataFrame(rows).set_index(["measure", "cut-off"])
