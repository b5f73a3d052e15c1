"""The one winner rule, on hand-built cut-offs whose answer is worked out by hand.

A method wins a measure only when it is clearly ahead of the runner-up (paired interval
excluding 0) at more than half of the cut-offs tried: the report's and the rolling origins'.
"""

from __future__ import annotations

import math
import types

import pandas as pd
import pytest

from clvlib.compare import verdict as vd
from clvlib.compare.winner import (
    NO_CLEAR_WINNER,
    cutoff_wins,
    headline_by_cutoff,
    verdict,
    winner_across,
)

H, R, K, X = "heuristic_clv", "rfm", "kmeans", "hiatus"


def cut(day: str, values: dict[str, float], intervals: dict[tuple[str, str], tuple[float, float]]):
    """One cut-off's export: Spearman per method and the paired intervals given."""
    return {
        "params": {
            "calibration_end": day,
            "holdout_end": "2099-01-01",
            "n_customers": 100,
            "settings": {"confidence": 0.95},
        },
        "metrics": [{"method": m, "metric": "spearman", "value": v} for m, v in values.items()],
        "differences": [
            {
                "method": a,
                "versus": b,
                "metric": "spearman",
                "difference": values[a] - values[b],
                "ci_low": low,
                "ci_high": high,
            }
            for (a, b), (low, high) in intervals.items()
        ],
    }


def as_object(export):
    """The same cut-off as a Comparison-like object (tidy frames), as the pages hold it."""
    return types.SimpleNamespace(
        metrics=pd.DataFrame(export["metrics"]),
        differences=pd.DataFrame(export["differences"]),
        params=export["params"],
    )


# H leads at every cut-off; clearly at the report's and at 2024-03-31, not at 2023-12-31
REPORT = cut("2024-06-30", {H: 0.40, R: 0.30, K: 0.20}, {(H, R): (0.02, 0.18)})
EARLY = cut("2023-12-31", {H: 0.36, R: 0.35, K: 0.20}, {(H, R): (-0.03, 0.05)})
MIDDLE = cut("2024-03-31", {H: 0.41, R: 0.33, K: 0.20}, {(R, H): (-0.12, -0.04)})  # reversed


def test_clearly_ahead_at_two_of_three_cutoffs_wins() -> None:
    rolling = {"comparisons": {"2023-12-31": EARLY, "2024-03-31": MIDDLE}}
    r = winner_across(REPORT, rolling, "spearman")
    assert r.method == H and r.headline == H
    assert (r.cutoffs_won, r.cutoffs_tried) == (2, 3)
    assert r.clear_wins == {H: 2}
    assert r.margin == pytest.approx(0.10) and r.interval == (0.02, 0.18)
    assert [w.cutoff for w in r.per_cutoff] == ["2024-06-30", "2023-12-31", "2024-03-31"]
    assert [w.clear for w in r.per_cutoff] == [True, False, True]
    # the reversed row is read as H - R: (0.04, 0.12)
    assert r.per_cutoff[2].ci_low == pytest.approx(0.04)
    assert r.sentence.startswith("heuristic CLV (0.400), 0.100 ahead of RFM (0.300)")
    assert r.sentence.endswith("; clearly ahead at 2 of 3 cut-offs")


def test_clear_at_the_report_cutoff_alone_is_no_clear_winner() -> None:
    """The executive summary's old rule (report cut-off only) named H; the one rule does not."""
    late = cut("2024-03-31", {H: 0.30, R: 0.38, K: 0.20}, {(R, H): (0.01, 0.15)})  # R clear
    rolling = {"comparisons": {"2023-12-31": EARLY, "2024-03-31": late}}
    r = winner_across(REPORT, rolling, "spearman")
    assert r.method is None and r.headline == H  # best at the report's cut-off
    assert r.clear_wins == {H: 1, R: 1} and r.cutoffs_won == 1
    assert r.sentence.startswith(f"{NO_CLEAR_WINNER} over 3 cut-offs (clearly ahead: ")
    assert "heuristic CLV 1, RFM 1; more than half needed" in r.sentence
    assert verdict(REPORT, "spearman", rolling=rolling) == r.sentence
    # alone, the report's cut-off is one of one: a clear win there is a win
    alone = winner_across(REPORT, None, "spearman")
    assert (alone.method, alone.cutoffs_tried) == (H, 1)
    assert "cut-off" not in alone.sentence  # one cut-off: that cut-off's own words


def test_exactly_half_is_not_more_than_half() -> None:
    rolling = {"comparisons": {"2023-12-31": EARLY}}  # H clear at 1 of 2
    r = winner_across(REPORT, rolling, "spearman")
    assert r.method is None and (r.cutoffs_won, r.cutoffs_tried) == (1, 2)


def test_the_reports_cutoff_among_the_rolling_origins_counts_once() -> None:
    rolling = {"comparisons": {"2023-12-31": EARLY, "2024-06-30": REPORT}}
    r = winner_across(REPORT, rolling, "spearman")
    assert r.cutoffs_tried == 2 and r.method is None


def test_a_winner_need_not_lead_at_the_reports_cutoff() -> None:
    report = cut("2024-06-30", {H: 0.30, R: 0.40, K: 0.20}, {(R, H): (0.01, 0.2)})  # R clear
    early = cut("2023-12-31", {H: 0.40, R: 0.30, K: 0.2}, {(H, R): (0.02, 0.2)})
    middle = cut("2024-03-31", {H: 0.42, R: 0.30, K: 0.2}, {(H, R): (0.03, 0.2)})
    rolling = {"comparisons": {"2023-12-31": early, "2024-03-31": middle}}
    r = winner_across(report, rolling, "spearman")
    assert (r.method, r.cutoffs_won, r.cutoffs_tried) == (H, 2, 3)
    assert r.margin == pytest.approx(-0.10)  # it trails RFM at the report's cut-off
    assert r.interval == (pytest.approx(-0.2), pytest.approx(-0.01))
    assert r.sentence.startswith("heuristic CLV, clearly ahead at 2 of 3 cut-offs; at the report")


def test_objects_and_exports_give_one_answer() -> None:
    rolling = {"comparisons": {"2023-12-31": EARLY, "2024-03-31": MIDDLE}}
    from_json = winner_across(REPORT, rolling, "spearman")
    objects = types.SimpleNamespace(
        comparisons={k: as_object(c) for k, c in rolling["comparisons"].items()}
    )
    from_objects = winner_across(as_object(REPORT), objects, "spearman")
    assert from_objects == from_json


def test_verdict_json_states_the_same_result() -> None:
    for middle in (MIDDLE, cut("2024-03-31", {H: 0.3, R: 0.38, K: 0.2}, {(R, H): (0.01, 0.1)})):
        rolling = {"comparisons": {"2023-12-31": EARLY, "2024-03-31": middle}}
        entry = vd.data_set_verdict("A", REPORT, rolling)["winners"]["spearman"]
        r = winner_across(REPORT, rolling, "spearman")
        assert entry["method"] == r.method
        assert entry["verdict"] == (r.method or NO_CLEAR_WINNER)
        assert entry["cutoffs"] == r.cutoffs_tried and entry["clear_wins"] == r.clear_wins
        assert entry["at_report_cutoff"]["method"] == H


def test_is_the_winner_stable_follows_the_headline_at_every_cutoff() -> None:
    late = cut("2024-03-31", {H: 0.30, R: 0.38, K: 0.20}, {(R, H): (0.01, 0.15)})
    rolling = {"comparisons": {"2023-12-31": EARLY, "2024-03-31": late}}
    table = headline_by_cutoff(REPORT, rolling, "spearman")
    assert list(table["cutoff"]) == ["2024-06-30", "2023-12-31", "2024-03-31"]
    assert (table["method"] == H).all()  # even where it is not the best
    assert list(table["rank"]) == [1, 1, 2]
    assert list(table["versus"]) == [R, R, R]
    assert list(table["ahead"]) == [True, False, False]
    assert table["difference"].iloc[2] == pytest.approx(-0.08)
    assert table["ci_low"].iloc[2] == pytest.approx(-0.15)
    # following another method; no paired row at a cut-off: the difference, no interval
    k = headline_by_cutoff(REPORT, rolling, "spearman", method=K)
    assert list(k["rank"]) == [3, 3, 3]
    assert k["difference"].iloc[0] == pytest.approx(-0.20) and math.isnan(k["ci_low"].iloc[0])
    assert not k["ahead"].any()


def test_cutoff_wins_lists_the_best_at_each_cutoff() -> None:
    rolling = {"comparisons": {"2023-12-31": EARLY}}
    wins = cutoff_wins(REPORT, rolling, "spearman", among=(R, K))
    assert [(w.method, w.runner_up, w.clear) for w in wins] == [(R, K, False), (R, K, False)]
    assert all(math.isnan(w.ci_low) for w in wins)  # no R-K interval was given: not clear
    lonely = winner_across(REPORT, None, "spearman", among=(X,))  # nobody to compare
    assert (lonely.method, lonely.headline, lonely.cutoffs_tried) == (None, None, 0)
    assert lonely.sentence.startswith(NO_CLEAR_WINNER)
