"""Tests of clvlib.methods.rfm: quantile scores with ties, rule sets, coverage, tables, export."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clvlib.methods.rfm import RFMScorer, rfm_scores
from clvlib.methods.rules import (
    SHIPPED_RULE_SETS,
    RuleSet,
    RuleSetError,
    assign_segments,
    load_rules,
    rule_coverage,
    rule_overlaps,
)
from clvlib.methods.segment_tables import EXPORT_COLUMNS, export_segments, segment_table


def make_summary(r, f, m=None, ids=None, **extra) -> pd.DataFrame:
    """A customer summary with only the RFM columns (the summary module's names)."""
    ids = list(range(1, len(r) + 1)) if ids is None else ids
    data = {"since_last_order": r, "n_orders": f}
    if m is not None:
        data["total_value"] = m
    data.update(extra)
    return pd.DataFrame(data, index=pd.Index(ids, name="customer_id"))


def scores_from_codes(codes: list[str], ids=None) -> pd.DataFrame:
    """Score frame as RFMScorer.transform returns it, written from codes like '545'."""
    ids = list(range(1, len(codes) + 1)) if ids is None else ids
    cols = ["r_score", "f_score", "m_score"][: len(codes[0])]
    out = pd.DataFrame(
        [[int(c) for c in code] for code in codes],
        columns=cols,
        index=pd.Index(ids, name="customer_id"),
    )
    out["rfm_code"] = codes
    out["rfm_score"] = out[cols].sum(axis=1)
    out.attrs = {"n_bins": 5, "rf_only": len(cols) == 2}
    return out


# The hand-worked case (quintiles). Ties on recency at the recent end, heavy ties on frequency.
#
# n_orders [1,1,1,1,1,1,2,2,3,7]: quantiles at .2 .4 .6 .8 (linear, positions 1.8 3.6 5.4 7.2)
# are 1, 1, 1.4, 2.2 -> unique [1, 1.4, 2.2]; bin (1, 1.4] holds nobody, so 1.4 is dropped:
# edges [1, 2.2], bins {1}, {2}, {3, 7}: 3 of 5 bins, scores spread 1, 3, 5 (kept: 1, 2, 3).
#
# since_last_order [1,1,1,4,10,10,30,60,90,200], low is good, so quantiles of -x:
# sorted -200 -90 -60 -30 -10 -10 -4 -1 -1 -1 -> -66, -18, -7.6, -1. The best bin (> -1) is
# empty (the tie at 1 day straddles the edge, which goes to the worse bin), so -1 is dropped:
# raw edges [7.6, 18, 66], 4 bins {1,1,1,4} {10,10} {30,60} {90,200}: scores 5, 4, 2, 1
# (spread 1, 2, 4, 5 over 1..5; kept 4, 3, 2, 1).
#
# total_value 10..100 (no ties): edges 28, 46, 64, 82, two customers per score.
HAND_R = [1, 1, 1, 4, 10, 10, 30, 60, 90, 200]
HAND_F = [1, 1, 1, 1, 1, 1, 2, 2, 3, 7]
HAND_M = [100.0, 20.0, 50.0, 10.0, 90.0, 30.0, 80.0, 40.0, 70.0, 60.0]
HAND_SPREAD = {
    "r_score": [5, 5, 5, 5, 4, 4, 2, 2, 1, 1],
    "f_score": [1, 1, 1, 1, 1, 1, 3, 3, 5, 5],
    "m_score": [5, 1, 3, 1, 5, 2, 4, 2, 4, 3],
}
HAND_KEEP = {
    "r_score": [4, 4, 4, 4, 3, 3, 2, 2, 1, 1],
    "f_score": [1, 1, 1, 1, 1, 1, 2, 2, 3, 3],
    "m_score": [5, 1, 3, 1, 5, 2, 4, 2, 4, 3],
}


@pytest.fixture
def hand_summary() -> pd.DataFrame:
    return make_summary(HAND_R, HAND_F, HAND_M)


# ------------------------------------------------------------------------------ scores


@pytest.mark.parametrize(("ties", "expected"), [("spread", HAND_SPREAD), ("keep", HAND_KEEP)])
def test_hand_case_with_ties(hand_summary, ties, expected):
    scorer = RFMScorer(5, ties=ties).fit(hand_summary)
    np.testing.assert_allclose(scorer.edges_["r"], [7.6, 18.0, 66.0])
    np.testing.assert_allclose(scorer.edges_["f"], [1.0, 2.2])
    np.testing.assert_allclose(scorer.edges_["m"], [28.0, 46.0, 64.0, 82.0])
    scores = scorer.transform(hand_summary)
    for col, values in expected.items():
        assert scores[col].tolist() == values, col
    assert scores["rfm_code"].iloc[0] == "".join(str(expected[c][0]) for c in expected)
    assert scores["rfm_score"].tolist() == [sum(v) for v in zip(*expected.values(), strict=True)]
    assert scores.index.name == "customer_id"
    assert scores.attrs["n_bins"] == 5


def test_hand_case_codes_and_report(hand_summary):
    scorer = RFMScorer().fit(hand_summary)
    scores = scorer.transform(hand_summary)
    assert scores["rfm_code"].tolist() == [
        "515", "511", "513", "511", "415", "412", "234", "232", "154", "153"
    ]  # fmt: skip
    report = scorer.ties_report_
    assert report.loc["f", "obtained_bins"] == 3
    assert report.loc["f", "scores_used"] == (1, 3, 5)
    assert report.loc["r", "obtained_bins"] == 4
    assert report.loc["r", "scores_used"] == (1, 2, 4, 5)
    assert report.loc["m", "obtained_bins"] == 5
    assert report.loc["f", "top_value_share"] == pytest.approx(0.6)
    shares_f = [report.loc["f", f"share_{s}"] for s in range(1, 6)]
    assert shares_f == pytest.approx([0.6, 0.0, 0.2, 0.0, 0.2])
    assert "only 3 of 5 bins" in report.loc["f", "note"]
    assert report.loc["m", "note"] == "5 bins as requested"


def test_edges_apply_unchanged_to_another_period(hand_summary):
    scorer = RFMScorer().fit(hand_summary)
    edges = {k: v.copy() for k, v in scorer.edges_.items()}
    # values on an edge go to the worse score; outside the fitted range, the extreme scores
    lowest_r_edge = scorer.edges_["r"][0]  # 7.6 up to rounding: -10 + 0.4 x 6 in floats
    other = make_summary(
        r=[18, 17.9, 0, 10_000, lowest_r_edge],
        f=[2.2, 1, 100, 0, 2],
        m=[28.0, 28.01, -50.0, 1e9, 82.0],
        ids=["a", "b", "c", "d", "e"],
    )
    scores = scorer.transform(other)
    assert scores["r_score"].tolist() == [2, 4, 5, 1, 4]
    assert scores["f_score"].tolist() == [3, 1, 5, 1, 3]
    assert scores["m_score"].tolist() == [1, 2, 1, 5, 4]
    for axis, e in edges.items():
        np.testing.assert_array_equal(scorer.edges_[axis], e)
    pd.testing.assert_frame_equal(scorer.transform(other), scores)


def test_without_ties_scores_equal_pandas_qcut():
    rng = np.random.default_rng(7)
    summary = make_summary(
        rng.permutation(500) + 0.5, rng.permutation(500) + 1, rng.normal(100, 30, 500)
    )
    for n in (4, 5, 7):
        scores = rfm_scores(summary, n_bins=n)
        report = RFMScorer(n).fit(summary).ties_report_
        assert report["obtained_bins"].eq(n).all()
        assert report["note"].str.contains("as requested").all()
        qcut = {
            "r_score": pd.qcut(-summary["since_last_order"], n, labels=False) + 1,
            "f_score": pd.qcut(summary["n_orders"], n, labels=False) + 1,
            "m_score": pd.qcut(summary["total_value"], n, labels=False) + 1,
        }
        for col, expected in qcut.items():
            assert scores[col].tolist() == expected.tolist(), (n, col)


def test_rf_only_quartiles_and_monetary_choice(hand_summary):
    rf = rfm_scores(hand_summary, n_bins=4, rf_only=True)
    assert list(rf.columns) == ["r_score", "f_score", "rfm_code", "rfm_score"]
    assert rf["rfm_code"].str.len().eq(2).all()
    assert rf.attrs["rf_only"] and rf.attrs["n_bins"] == 4
    assert rf[["r_score", "f_score"]].isin(range(1, 5)).all().all()
    # M as average order value reads that column, not total_value
    summary = hand_summary.assign(avg_order_value=[float(v) for v in range(10, 0, -1)])
    scorer = RFMScorer(monetary="average").fit(summary)
    assert scorer.columns_["m"] == "avg_order_value"
    assert scorer.transform(summary)["m_score"].tolist() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]


def test_fit_transform_does_not_mutate_input(hand_summary):
    before = hand_summary.copy()
    RFMScorer().fit_transform(hand_summary)
    pd.testing.assert_frame_equal(hand_summary, before)


def test_constant_axis_scores_one():
    summary = make_summary([5, 6, 7, 8], [1, 1, 1, 1], [1.0, 2.0, 3.0, 4.0])
    scorer = RFMScorer().fit(summary)
    assert scorer.ties_report_.loc["f", "obtained_bins"] == 1
    assert scorer.transform(summary)["f_score"].tolist() == [1, 1, 1, 1]


@pytest.mark.parametrize(
    ("kwargs", "summary_kw", "error", "match"),
    [
        # parameters: scikit-learn's InvalidParameterError (a ValueError and a TypeError)
        ({"n_bins": 1}, {}, ValueError, r"'n_bins' parameter .* range \[2, 9\]"),
        ({"n_bins": 10}, {}, ValueError, r"'n_bins' parameter .* range \[2, 9\]"),
        ({"n_bins": 2.5}, {}, TypeError, "'n_bins' parameter of RFMScorer must be an int"),
        ({"monetary": "mean"}, {}, ValueError, "'monetary' parameter .* among"),
        ({"ties": "drop"}, {}, ValueError, "'ties' parameter .* among"),
        ({"rf_only": "yes"}, {}, ValueError, "'rf_only' parameter"),
        ({"monetary": "profit"}, {}, KeyError, "gross_profit"),
        ({}, {"m": [1.0, np.nan, 3.0]}, ValueError, r"'total_value'.*customer\(s\) 2"),
        ({}, {"f": ["1", "2", "3"]}, TypeError, "'n_orders' must be numeric"),
        ({}, {"ids": [1, 1, 2]}, ValueError, "duplicates: 1"),
    ],
)
def test_bad_input_clear_errors(kwargs, summary_kw, error, match):
    args = {"r": [1, 2, 3], "f": [1, 2, 3], "m": [1.0, 2.0, 3.0], **summary_kw}
    with pytest.raises(error, match=match):
        RFMScorer(**kwargs).fit(make_summary(**args))


def test_transform_before_fit_raises(hand_summary):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        RFMScorer().transform(hand_summary)


# Property tests: any summary (heavy ties included) and any other period.
values = st.one_of(
    st.integers(0, 6).map(float),  # heavily tied, like n_orders
    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
)
columns = st.integers(1, 40).flatmap(
    lambda k: st.tuples(*[st.lists(values, min_size=k, max_size=k) for _ in range(3)])
)


@settings(max_examples=80, deadline=None)
@given(fit=columns, other=columns, n=st.integers(2, 9), ties=st.sampled_from(["spread", "keep"]))
def test_scores_within_range_and_pure(fit, other, n, ties):
    scorer = RFMScorer(n, ties=ties).fit(make_summary(*fit))
    edges = {k: v.copy() for k, v in scorer.edges_.items()}
    fitted = scorer.transform(make_summary(*fit))
    for col in ("r_score", "f_score", "m_score"):
        assert fitted[col].between(1, n).all()
        if ties == "spread" and fitted[col].nunique() > 1:
            assert fitted[col].min() == 1 and fitted[col].max() == n
    # every bin obtained holds fitted customers: the scores used are exactly those present
    for axis, col in (("r", "r_score"), ("f", "f_score"), ("m", "m_score")):
        assert sorted(fitted[col].unique()) == list(scorer.bin_scores_[axis])
        assert scorer.ties_report_.loc[axis, [f"share_{s}" for s in range(1, n + 1)]].sum() == (
            pytest.approx(1.0)
        )
    new = make_summary(*other)
    scores = scorer.transform(new)
    assert scores[["r_score", "f_score", "m_score"]].isin(range(1, n + 1)).all().all()
    # transform is pure: edges unchanged; a row's score depends on that row only (the same
    # in reverse order, and for the first and the last row scored alone)
    for axis, e in edges.items():
        np.testing.assert_array_equal(scorer.edges_[axis], e)
    pd.testing.assert_frame_equal(scorer.transform(new.iloc[::-1]), scores.iloc[::-1])
    for i in {0, len(new) - 1}:
        pd.testing.assert_frame_equal(scorer.transform(new.iloc[[i]]), scores.iloc[[i]])


@settings(max_examples=60, deadline=None)
@given(fit=columns, other=columns, n=st.integers(2, 9))
def test_scores_monotone(fit, other, n):
    scorer = RFMScorer(n).fit(make_summary(*fit))
    new = make_summary(*other)
    scores = scorer.transform(new)
    for col, score, sign in (
        ("since_last_order", "r_score", -1),  # more recent -> R score not lower
        ("n_orders", "f_score", 1),
        ("total_value", "m_score", 1),
    ):
        x = new[col].to_numpy() * sign
        s = scores[score].to_numpy()
        lower = x[:, None] < x[None, :]
        assert (s[:, None] <= s[None, :])[lower].all(), score


# ------------------------------------------------------------------------------ rule sets


@pytest.mark.parametrize("name", SHIPPED_RULE_SETS)
def test_shipped_rule_sets_parse(name):
    rules = load_rules(name)
    assert isinstance(rules, RuleSet)
    assert rules.name == name and rules.scale == 5
    assert all(r.action for r in rules.rules) and rules.default_action
    assert rules.segments[-1] == "Others"
    table = rules.table()
    assert list(table.columns) == ["rule", "segment", "condition", "action"]
    assert len(table) == len(rules.rules) + 1
    assert load_rules(rules) is rules


def test_r_rfm_rules_are_verbatim():
    rules = load_rules("r_rfm")
    expected = [
        ("Champions", (5, 5), (5, 5), (5, 5)),
        ("Potential Loyalist", (3, 5), (3, 5), (2, 5)),
        ("Loyal Customers", (2, 4), (2, 4), (2, 4)),
        ("Promising", (3, 4), (1, 3), (3, 5)),
        ("New Customers", (4, 5), (1, 3), (1, 5)),
        ("Can't Lose Them", (1, 2), (3, 4), (4, 5)),
        ("At Risk", (1, 2), (2, 5), (4, 5)),
        ("Need Attention", (1, 3), (3, 5), (3, 5)),
        ("About To Sleep", (2, 3), (1, 3), (1, 4)),
        ("Lost", (1, 1), (1, 5), (1, 5)),
    ]
    got = [(r.segment, r.ranges["r"], r.ranges["f"], r.ranges["m"]) for r in rules.rules]
    assert got == expected


R_RFM_CASES = {
    "555": "Champions",
    "444": "Potential Loyalist",  # Loyal Customers matches too: the earlier rule wins
    "335": "Potential Loyalist",
    "422": "Loyal Customers",
    "515": "New Customers",
    "145": "Can't Lose Them",  # At Risk and Need Attention match too
    "245": "Can't Lose Them",
    "155": "At Risk",  # F 5 is outside Can't Lose Them's 3-4
    "255": "At Risk",
    "133": "Need Attention",
    "211": "About To Sleep",
    "311": "About To Sleep",
    "111": "Lost",
    "131": "Lost",
    "351": "Others",  # no rule matches
}


def test_r_rfm_first_match_wins():
    codes = list(R_RFM_CASES)
    segments = assign_segments(scores_from_codes(codes), "r_rfm")
    assert dict(zip(codes, segments, strict=True)) == R_RFM_CASES
    assert segments.name == "segment" and segments.index.name == "customer_id"


RF_GRID_CASES = {
    "11": "Hibernating",
    "22": "Hibernating",
    "13": "At Risk",
    "15": "Can't Lose Them",
    "32": "About To Sleep",
    "33": "Need Attention",
    "34": "Loyal Customers",
    "45": "Loyal Customers",
    "41": "Promising",
    "51": "New Customers",
    "42": "Potential Loyalists",
    "53": "Potential Loyalists",
    "54": "Champions",
    "55": "Champions",
}


def test_rf_grid_classifies_and_covers_the_grid_once():
    codes = list(RF_GRID_CASES)
    rf_only = assign_segments(scores_from_codes(codes), "rf_grid")
    assert dict(zip(codes, rf_only, strict=True)) == RF_GRID_CASES
    # the grid reads R then F, so full RFM scores give the same segments
    full = assign_segments(scores_from_codes([c + "3" for c in codes]), "rf_grid")
    assert full.tolist() == rf_only.tolist()
    every = ["".join(p) for p in itertools.product("12345", repeat=2)]
    coverage = rule_coverage(scores_from_codes(every), "rf_grid")
    assert coverage["won"].sum() == 25
    assert coverage.set_index("segment").loc["Others", "won"] == 0
    assert (coverage["shadowed"] == 0).all()
    assert rule_overlaps(scores_from_codes(every), "rf_grid").empty


def test_value_activity_types_and_lists():
    codes = ["545", "455", "551", "115", "215", "111", "121", "313", "512"]
    scores = scores_from_codes(codes, ids=[1, 2, 3, 4, 5, 6, 7, 8, 9])
    customers = pd.DataFrame({"channel": ["ads"] * 4}, index=pd.Index([1, 20, 21, 22]))
    segments = assign_segments(
        scores, "value_activity", prospects=customers, cart_abandoners=[22, 30, 2]
    )
    assert segments.loc[[1, 2, 3, 4, 5, 6, 7, 8, 9]].tolist() == [
        "Loyal",
        "Loyal",
        "Frequent, low order value",
        "At risk",
        "At risk",
        "Non-target",
        "Non-target",
        "Frequent, low order value",  # R 3 is active, M 3 low value
        "Frequent, low order value",  # active, one order, low value: a new customer
    ]
    # never-bought people only: customer 1 (bought) is no Subscriber, 2 no Cart abandoner;
    # 22 is in both lists: the earlier rule (Cart abandoners) wins
    assert segments.loc[[20, 21, 22, 30]].tolist() == [
        "Subscribers",
        "Subscribers",
        "Cart abandoners",
        "Cart abandoners",
    ]
    assert len(segments) == 13


def test_prospects_are_dated_by_the_observation_end(hand_summary):
    summary = hand_summary.copy()
    summary.attrs = {"observation_end": "2024-01-31"}
    scores = RFMScorer().fit_transform(summary)
    assert scores.attrs["observation_end"] == "2024-01-31"
    customers = pd.DataFrame(
        {
            "signup_date": pd.to_datetime(
                ["2023-05-01 00:00", "2024-01-31 18:00", "2024-02-01 00:00", None]
            )
        },
        index=pd.Index([1, 20, 21, 22], name="customer_id"),
    )
    segments = assign_segments(scores, "value_activity", prospects=customers)
    # 1 bought; 20 signed up during the last observed day; 21 after it; 22 date unknown
    assert segments.index[10:].tolist() == [20, 22]
    assert (segments.iloc[10:] == "Subscribers").all()
    earlier = assign_segments(
        scores, "value_activity", prospects=customers, observation_end="2024-01-30"
    )
    assert earlier.index[10:].tolist() == [22]
    scores.attrs.pop("observation_end")
    with pytest.raises(ValueError, match="pass observation_end="):
        assign_segments(scores, "value_activity", prospects=customers)
    # plain ids are taken as given
    ids = assign_segments(scores, "value_activity", prospects=[21])
    assert ids.loc[21] == "Subscribers"


def test_coverage_others_and_overlaps():
    codes = ["555", "444", "445", "351", "111", "152"]
    scores = scores_from_codes(codes)
    cov = rule_coverage(scores, "r_rfm").set_index("segment")
    # 555 matches rules 1, 2 (Champions wins); 444: 2, 3; 445: 2 only (M 5 > Loyal's 4);
    # 351: none; 111: Lost; 152: Lost only (At Risk needs M 4-5)
    assert cov.loc["Champions", ["won", "matched", "shadowed"]].tolist() == [1, 1, 0]
    assert cov.loc["Potential Loyalist", ["won", "matched", "shadowed"]].tolist() == [2, 3, 1]
    assert cov.loc["Loyal Customers", ["won", "matched", "shadowed"]].tolist() == [0, 1, 1]
    assert cov.loc["Lost", "won"] == 2
    assert cov.loc["Others", "won"] == 1
    assert cov.loc["Others", "share"] == pytest.approx(1 / 6)
    assert cov["won"].sum() == len(codes)
    assert cov.loc["Champions", "overlaps_with"] == "2"
    assert cov.loc["Potential Loyalist", "overlaps_with"] == "1, 3"
    pairs = rule_overlaps(scores, "r_rfm")
    assert pairs[["rule_a", "rule_b", "customers"]].values.tolist() == [[1, 2, 1], [2, 3, 1]]
    assert pairs["segment_a"].tolist() == ["Champions", "Potential Loyalist"]


def test_value_activity_grid_covers_every_score():
    every = ["".join(p) for p in itertools.product("12345", repeat=3)]
    coverage = rule_coverage(scores_from_codes(every), "value_activity").set_index("segment")
    assert coverage.loc["Others", "won"] == 0
    assert coverage["won"].sum() == 125
    assert (coverage["shadowed"] == 0).all()


def test_coverage_says_why_cart_abandoners_are_zero():
    cov = rule_coverage(scores_from_codes(["555", "111"]), "value_activity", prospects=[9])
    cov = cov.set_index("segment")
    assert cov.loc["Cart abandoners", "won"] == 0
    assert "needs event data" in cov.loc["Cart abandoners", "note"]
    assert "checkout events" in cov.loc["Cart abandoners", "note"]
    assert cov.loc["Subscribers", "won"] == 1 and cov.loc["Subscribers", "note"] == ""
    assert cov["won"].sum() == 3


def test_rule_set_scale_and_axes_checked():
    quartiles = scores_from_codes(["444", "111"])
    quartiles.attrs["n_bins"] = 4
    with pytest.raises(RuleSetError, match=r"assumes scores 1\.\.5.*n_bins=4"):
        assign_segments(quartiles, "r_rfm")
    with pytest.raises(KeyError, match="m_score.*RF-only"):
        assign_segments(scores_from_codes(["55", "11"]), "r_rfm")
    no_attrs = scores_from_codes(["55"])
    no_attrs.attrs = {}
    with pytest.raises(ValueError, match="pass n_bins="):
        assign_segments(no_attrs, "rf_grid")
    assert assign_segments(no_attrs, "rf_grid", n_bins=5).tolist() == ["Champions"]
    bad = scores_from_codes(["55", "11"])
    bad.loc[2, "f_score"] = 7
    with pytest.raises(ValueError, match=r"'f_score' must hold integer scores 1\.\.5.* 2"):
        assign_segments(bad, "rf_grid")
    with pytest.raises(RuleSetError, match="no rule with 'customers: prospects'"):
        assign_segments(scores_from_codes(["55"]), "rf_grid", prospects=[3])


def test_real_scores_with_real_rules(hand_summary):
    scores = RFMScorer(4).fit_transform(hand_summary)
    with pytest.raises(RuleSetError, match="scale"):
        assign_segments(scores, "rf_grid")
    scores = RFMScorer().fit_transform(hand_summary)
    segments = assign_segments(scores, "r_rfm")
    # codes 515 511 513 511 415 412 234 232 154 153 (see the hand case)
    assert segments.tolist() == [
        "New Customers", "New Customers", "New Customers", "New Customers", "Promising",
        "New Customers", "Loyal Customers", "Loyal Customers", "At Risk", "Need Attention",
    ]  # fmt: skip


# ------------------------------------------------------------------------------ rule files

GOOD_RULE = "  - segment: Best\n    action: Thank them\n    r: [4, 5]\n"


def write_rules(tmp_path, body: str, header: str = "name: mine\nscale: 5\n"):
    path = tmp_path / "mine.yaml"
    path.write_text(header + "rules:\n" + body)
    return path


def test_own_rule_file_in_same_format(tmp_path):
    path = write_rules(
        tmp_path,
        GOOD_RULE + "  - segment: Recent single\n    action: Onboard\n    pattern: '[45]1'\n"
        "  - segment: Rest\n    action: Wait\n    f: 1\n",
        header="name: mine\nscale: 5\ncode_axes: [r, f]\ndefault_segment: Rest of them\n",
    )
    rules = load_rules(path)
    assert [r.kind for r in rules.rules] == ["ranges", "pattern", "ranges"]
    assert rules.rules[2].ranges == {"f": (1, 1)}
    segments = assign_segments(scores_from_codes(["51", "31", "22", "35"]), str(path))
    assert segments.tolist() == ["Best", "Rest", "Rest of them", "Rest of them"]
    assert rules.default_segment == "Rest of them"


@pytest.mark.parametrize(
    ("body", "header", "match"),
    [
        (GOOD_RULE + "  - segment: X\n    r: [1, 2]\n", None, r"rule 2 \('X'\): field 'action'"),
        (
            GOOD_RULE + "  - segment: X\n    action: a\n    r: [0, 2]\n",
            None,
            r"rule 2.*'r'.*\[0, 2\]",
        ),
        (GOOD_RULE + "  - segment: X\n    action: a\n    m: [4, 2]\n", None, r"rule 2.*'m'"),
        (GOOD_RULE + "  - segment: X\n    action: a\n    f: [1, 6]\n", None, r"scale \(5\)"),
        (GOOD_RULE + "  - segment: X\n    action: a\n    rr: [1, 2]\n", None, r"rule 2.*'rr'"),
        (GOOD_RULE + "  - segment: X\n    action: a\n", None, r"rule 2.*exactly one way"),
        (
            GOOD_RULE + "  - segment: X\n    action: a\n    r: 1\n    pattern: '1.'\n",
            "name: mine\nscale: 5\ncode_axes: [r, f]\n",
            r"rule 2.*exactly one way.*pattern",
        ),
        (GOOD_RULE + "  - segment: X\n    action: a\n    pattern: '1.'\n", None, "code_axes"),
        (
            GOOD_RULE + "  - segment: X\n    action: a\n    pattern: '[1-'\n",
            "name: mine\nscale: 5\ncode_axes: [r, f]\n",
            r"rule 2.*'pattern'.*invalid",
        ),
        (GOOD_RULE + "  - segment: X\n    action: a\n    customers: leads\n", None, "'customers'"),
        (GOOD_RULE + "  - segment: Others\n    action: a\n    r: 1\n", None, "default segment"),
        (GOOD_RULE + "  - segment: Best\n    action: other\n    r: 1\n", None, "same segment"),
        ("  - just a string\n", None, "rule 1: expected a mapping"),
        ("", None, "'rules' must be a non-empty list"),
        (GOOD_RULE, "name: mine\nscale: 10\n", "'scale'"),
        (GOOD_RULE, "name: mine\n", "'scale'"),
        (GOOD_RULE, "scale: 5\n", "'name'"),
        (GOOD_RULE, "name: mine\nscale: 5\ncolour: red\n", "unknown top-level field.*colour"),
        (GOOD_RULE, "name: mine\nscale: 5\ncode_axes: [r, x]\n", "'code_axes'"),
        (GOOD_RULE + "  - segment: [unclosed\n", None, "not valid YAML"),
    ],
)
def test_bad_rule_files_give_clear_errors(tmp_path, body, header, match):
    path = write_rules(tmp_path, body, **({"header": header} if header else {}))
    with pytest.raises(RuleSetError, match=match) as info:
        load_rules(path)
    assert str(path) in str(info.value)


def test_unknown_rule_set_names():
    with pytest.raises(RuleSetError, match=re.escape("neither a shipped rule set")):
        load_rules("r_rfm_v2")
    with pytest.raises(FileNotFoundError, match="nowhere.yaml"):
        load_rules("/nowhere.yaml")


# ------------------------------------------------------------------------------ table, export


@pytest.fixture
def segmented(hand_summary):
    summary = hand_summary.assign(
        avg_order_value=hand_summary["total_value"] / hand_summary["n_orders"],
        gross_profit=hand_summary["total_value"] * 0.5,
    )
    scores = RFMScorer().fit_transform(summary)
    segments = assign_segments(scores, "value_activity", prospects=[100, 101])
    clv = pd.Series(np.arange(1.0, 11.0) * 10, index=summary.index, name="clv")
    return summary, scores, segments, clv


def test_segment_table_by_hand(segmented):
    summary, scores, segments, clv = segmented
    # codes 515 511 513 511 415 412 234 232 154 153 -> Loyal: 1, 5 (R 3-5, M 4-5);
    # Frequent, low order value: 2, 3, 4, 6 (R 3-5, M 1-3); At risk: 7, 9 (R 1-2, M 4);
    # Non-target: 8, 10 (R 1-2, M 2-3); Others: nobody (the grid covers every buyer);
    # Subscribers: 100, 101 (no purchase); Cart abandoners: nobody (no checkout events)
    table = segment_table(summary, scores, segments, rules="value_activity", clv=clv)
    assert table.index.tolist() == [
        "Cart abandoners", "Subscribers", "Loyal", "Frequent, low order value", "At risk",
        "Non-target", "Others",
    ]  # fmt: skip
    assert table["customers"].tolist() == [0, 2, 2, 4, 2, 2, 0]
    assert table.loc["Loyal", "customer_share"] == pytest.approx(2 / 12)
    assert table.loc["Loyal", "value_share"] == pytest.approx(190 / 550)
    assert table.loc["Loyal", "profit_share"] == pytest.approx(190 / 550)
    assert table.loc["Loyal", "mean_total_value"] == pytest.approx(95.0)
    assert table.loc["Loyal", "mean_since_last_order"] == pytest.approx(5.5)
    assert table.loc["Loyal", "mean_r_score"] == pytest.approx(4.5)
    assert table.loc["Loyal", "mean_predicted_clv"] == pytest.approx(30.0)
    # historic CLV is gross profit (known here): (100 + 90) x 0.5 / 2
    assert table.loc["Loyal", "mean_historic_clv"] == pytest.approx(47.5)
    assert table.loc["At risk", "mean_n_orders"] == pytest.approx(2.5)
    assert np.isnan(table.loc["Subscribers", "mean_total_value"])
    assert table.loc["Subscribers", "action"].startswith("First-order discount")
    assert table.loc["Cart abandoners", "note"].startswith("needs event data")
    assert table.loc["Subscribers", "note"] == "" and table.loc["Loyal", "note"] == ""
    assert table["value_share"].sum() == pytest.approx(1.0)
    by_value = segment_table(summary, scores, segments, rules="value_activity", sort="value")
    # Loyal 100 + 90 = 190 of 550 > At risk 150 > Frequent 20 + 50 + 10 + 30 = 110
    assert by_value.index[:3].tolist() == ["Loyal", "At risk", "Frequent, low order value"]
    assert by_value["value_share"].is_monotonic_decreasing
    assert "mean_predicted_clv" not in by_value.columns
    assert "mean_historic_clv" in by_value.columns


def test_segment_table_rejects_other_rule_sets(segmented):
    summary, scores, segments, _ = segmented
    with pytest.raises(RuleSetError, match="not in rule set 'r_rfm'"):
        segment_table(summary, scores, segments, rules="r_rfm")
    with pytest.raises(ValueError, match="shares no customer_id"):
        segment_table(
            summary, scores, segments, rules="value_activity",
            clv=pd.Series([1.0], index=["x"]),
        )  # fmt: skip


def read_export(path):
    """Read an export as a CRM would: codes are text, not numbers."""
    if path.suffix == ".csv":
        return pd.read_csv(path, dtype={"rfm_code": "str"})
    return pd.read_parquet(path)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_export_round_trip(tmp_path, segmented, suffix):
    summary, scores, segments, clv = segmented
    path = export_segments(
        tmp_path / f"segments{suffix}", summary, scores, segments, rules="value_activity", clv=clv
    )
    assert path == tmp_path / f"segments{suffix}" and path.exists()
    back = read_export(path)
    assert list(back.columns) == list(EXPORT_COLUMNS)
    assert len(back) == 12
    # rule order, then rfm_score descending, then customer_id
    assert back["customer_id"].tolist() == [100, 101, 1, 5, 3, 2, 4, 6, 9, 7, 10, 8]
    row = back.set_index("customer_id").loc[5]
    assert (row["r_score"], row["f_score"], row["m_score"]) == (4, 1, 5)
    assert row["rfm_code"] == "415" and row["segment"] == "Loyal"
    assert row["predicted_clv"] == pytest.approx(50.0) and row["total_value"] == pytest.approx(90.0)
    assert row["historic_clv"] == pytest.approx(45.0)  # gross profit
    assert row["action"] == load_rules("value_activity").actions["Loyal"]
    prospect = back.set_index("customer_id").loc[100]
    assert prospect["segment"] == "Subscribers" and pd.isna(prospect["r_score"])
    assert pd.isna(prospect["rfm_code"]) and pd.isna(prospect["predicted_clv"])
    # the same call writes the same file
    again = export_segments(
        tmp_path / f"again{suffix}", summary, scores, segments, rules="value_activity", clv=clv
    )
    back_again = read_export(again)
    pd.testing.assert_frame_equal(back_again, back)


def test_export_rf_only_without_clv_keeps_columns(tmp_path, hand_summary):
    scores = rfm_scores(hand_summary, rf_only=True)
    segments = assign_segments(scores, "rf_grid")
    path = export_segments(tmp_path / "rf.csv", hand_summary, scores, segments, rules="rf_grid")
    back = pd.read_csv(path, dtype={"rfm_code": str})
    assert list(back.columns) == list(EXPORT_COLUMNS)
    assert back["m_score"].isna().all() and back["predicted_clv"].isna().all()
    assert back["rfm_code"].str.len().eq(2).all()
    with pytest.raises(ValueError, match=r"\.csv or \.parquet"):
        export_segments(tmp_path / "rf.xlsx", hand_summary, scores, segments, rules="rf_grid")


def _six_type_coverage(tx, customers=None):
    import clvlib

    summary = clvlib.customer_summary(tx, observation_end=tx["timestamp"].max())
    scores = RFMScorer().fit_transform(summary)
    segments = assign_segments(scores, "value_activity", prospects=customers)
    buyers = segments.loc[summary.index]
    return (buyers != "Others").mean(), segments


def test_six_types_cover_every_buyer_of_the_simulated_shop():
    import clvlib

    shop = clvlib.load_default_shop()
    tx, _ = clvlib.load_transactions(shop.transactions)
    coverage, segments = _six_type_coverage(tx)
    assert coverage >= 0.99  # the old grid left 41-47 % in "Others"
    assert segments.value_counts().loc[["Loyal", "At risk", "Non-target"]].min() > 0


def test_six_types_cover_every_buyer_of_uci(online_retail_path):
    import clvlib

    tx, _ = clvlib.load_online_retail(online_retail_path)
    coverage, _ = _six_type_coverage(tx)
    assert coverage >= 0.99


# --- prospects in the export and the playbooks -------------------------------------------


def _prospect_table(summary):
    """A customer table: two buyers of ``summary``, two prospects, one later sign-up."""
    return pd.DataFrame(
        {
            "signup_date": pd.to_datetime(
                ["2023-01-01", "2023-02-01", "2023-03-01", "2023-04-01", "2099-01-01"]
            ),
            "channel": ["ads", "seo", "ads", "seo", "ads"],
        },
        index=pd.Index([summary.index[0], summary.index[1], 200, 201, 202], name="customer_id"),
    )


def test_export_holds_the_prospects_a_rule_set_does_not_place(tmp_path, segmented):
    from clvlib.methods.segment_tables import PROSPECTS_SEGMENT, prospect_action

    summary, scores, _, clv = segmented
    summary = summary.copy()
    summary.attrs["observation_end"] = "2024-12-31"
    segments = assign_segments(scores, "r_rfm")  # no rule for prospects
    table = _prospect_table(summary)
    path = export_segments(
        tmp_path / "segments.csv", summary, scores, segments, rules="r_rfm", clv=clv,
        prospects=table,
    )  # fmt: skip
    back = pd.read_csv(path, dtype={"rfm_code": "str"})
    assert list(back.columns) == [*EXPORT_COLUMNS, "signup_date", "channel"]
    prospects = back[back["segment"] == PROSPECTS_SEGMENT]
    # 200 and 201 never bought; 202 signed up after the observation end: no prospect yet
    assert prospects["customer_id"].tolist() == [200, 201]
    assert (prospects["action"] == prospect_action()).all()
    assert prospects["signup_date"].tolist() == ["2023-03-01", "2023-04-01"]
    assert prospects[["r_score", "predicted_clv", "total_value"]].isna().all().all()
    assert (
        back.index[back["segment"] == PROSPECTS_SEGMENT].min()
        > back.index[back["segment"] != PROSPECTS_SEGMENT].max()
    )  # the last segment
    buyer = back.set_index("customer_id").loc[summary.index[0]]
    assert buyer["signup_date"] == "2023-01-01" and buyer["channel"] == "ads"
    assert len(back) == len(summary) + 2
    # without a customer table the export is as before: no prospect, no new column
    plain = pd.read_csv(
        export_segments(tmp_path / "plain.csv", summary, scores, segments, rules="r_rfm", clv=clv)
    )
    assert list(plain.columns) == list(EXPORT_COLUMNS) and len(plain) == len(summary)


def test_playbook_by_hand_with_prospects_and_the_value_of_acting(segmented):
    from clvlib.methods.segment_tables import PROSPECTS_SEGMENT, segment_playbook

    summary, scores, _, clv = segmented
    summary = summary.copy()
    summary.attrs["observation_end"] = "2024-12-31"
    segments = assign_segments(scores, "value_activity", prospects=[100, 101])
    book = segment_playbook(summary, scores, segments, rules="value_activity", clv=clv, lift=0.2)
    # Loyal: customers 1 and 5, predicted CLV 10 and 50: value of acting (10 + 50) x 0.2
    assert book.loc["Loyal", "customers"] == 2
    assert book.loc["Loyal", "value_of_acting"] == pytest.approx(12.0)
    assert book.loc["Loyal", "mean_predicted_clv"] == pytest.approx(30.0)
    assert book.loc["Loyal", "action"] == load_rules("value_activity").actions["Loyal"]
    assert "Cart abandoners" not in book.index  # empty segments are not shown
    assert pd.isna(book.loc["Subscribers", "value_of_acting"])  # no value yet
    assert book["customer_share"].sum() == pytest.approx(1.0)
    # a rule set without a prospects rule lists the customer table's prospects at the end
    rf = assign_segments(RFMScorer().fit_transform(summary), "rf_grid")
    book = segment_playbook(
        summary, scores, rf, rules="rf_grid", clv=clv, prospects=_prospect_table(summary)
    )
    assert book.index[-1] == PROSPECTS_SEGMENT and book.loc[PROSPECTS_SEGMENT, "customers"] == 2
    assert book["customers"].sum() == len(summary) + 2


def test_rule_conditions_read_as_words():
    conditions = [r.condition(("r", "f")) for r in load_rules("rf_grid").rules]
    assert conditions[0] == "R 1-2, F 1-2" and conditions[-1] == "R 5, F 4-5"
    assert not any("~" in c or "[" in c for c in conditions)
    va = load_rules("value_activity").rules
    assert [r.condition() for r in va[:2]] == [
        "started a checkout and never bought",
        "signed up and never bought",
    ]
    cov = rule_coverage(scores_from_codes(["555"]), "value_activity")
    assert not cov["note"].str.contains("=", regex=False).any()  # no argument to pass
