"""Comparison metrics: hand-worked cases, random floor and perfect foresight, invariants."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import clvlib
from clvlib.compare import metrics as mt
from clvlib.compare.metrics import (
    MetricUndefinedWarning,
    agreement,
    auc,
    decile_calibration,
    forecast_errors,
    gains_curve,
    gains_gini,
    migration_matrix,
    spearman,
    top_share_captured,
    variance_explained,
)

# four customers whose holdout values are 4, 3, 2, 1 (total 10)
OUTCOME = np.array([4.0, 3.0, 2.0, 1.0])


# --------------------------------------------------------------------------------------
# ranking: hand-worked
# --------------------------------------------------------------------------------------


def test_perfect_and_reversed_rankings():
    assert spearman(OUTCOME, OUTCOME) == pytest.approx(1.0)
    assert spearman(-OUTCOME, OUTCOME) == pytest.approx(-1.0)
    # the top customer (1 of 4) carries 4 of 10; the bottom one 1 of 10
    assert top_share_captured(OUTCOME, OUTCOME, top=0.25) == pytest.approx(0.4)
    assert top_share_captured(-OUTCOME, OUTCOME, top=0.25) == pytest.approx(0.1)
    # top half: 4 + 3 = 7 of 10 vs 1 + 2 = 3 of 10
    assert top_share_captured(OUTCOME, OUTCOME, top=0.5) == pytest.approx(0.7)
    assert top_share_captured(-OUTCOME, OUTCOME, top=0.5) == pytest.approx(0.3)


def test_gains_curve_by_hand():
    curve = gains_curve([10, 30, 20, 40], [1, 3, 2, 4])  # score orders customers 4, 2, 3, 1
    expected = pd.DataFrame(
        {
            "customer_share": [0.0, 0.25, 0.5, 0.75, 1.0],
            "outcome_share": [0.0, 0.4, 0.7, 0.9, 1.0],
        }
    )
    pd.testing.assert_frame_equal(curve, expected)


def test_gains_gini_by_hand():
    # area under (0,0) (.25,.4) (.5,.7) (.75,.9) (1,1) by trapezoids:
    # .25 * (.2 + .55 + .8 + .95) = .625, Gini = 2 * .625 - 1 = .25
    assert gains_gini(OUTCOME, OUTCOME) == pytest.approx(0.25)
    # the same as the Gini coefficient of (4, 3, 2, 1): sum |xi - xj| / (2 n² mean) = 20/80
    # reversed: area .25 * (.05 + .2 + .45 + .8) = .375, Gini -.25
    assert gains_gini(-OUTCOME, OUTCOME) == pytest.approx(-0.25)
    assert gains_gini(OUTCOME, OUTCOME, normalised=True) == pytest.approx(1.0)
    assert gains_gini(-OUTCOME, OUTCOME, normalised=True) == pytest.approx(-1.0)
    # one swap at the top: order 3, 4, 2, 1 -> shares .3, .7, .9, 1
    # area .25 * (.15 + .5 + .8 + .95) = .6, Gini .2, normalised .8
    score = np.array([3.5, 4.0, 2.0, 1.0])
    assert gains_gini(score, OUTCOME) == pytest.approx(0.2)
    assert gains_gini(score, OUTCOME, normalised=True) == pytest.approx(0.8)


def test_ties_are_averaged_not_broken():
    # customers 1 and 2 tie: the top quarter holds, on average, half of each: (4 + 3) / 2
    score = [5, 5, 1, 0]
    assert top_share_captured(score, OUTCOME, top=0.25) == pytest.approx(0.35)
    # reordering the tied customers changes nothing
    assert top_share_captured([5, 5, 1, 0], [3, 4, 2, 1], top=0.25) == pytest.approx(0.35)
    # a constant score is exactly the random floor
    assert top_share_captured(np.zeros(4), OUTCOME, top=0.2) == pytest.approx(0.2)
    assert gains_gini(np.zeros(4), OUTCOME) == pytest.approx(0.0)
    assert auc(np.zeros(4), [True, False, True, False]) == pytest.approx(0.5)


def test_fractional_top_counts_the_last_customer_in_part():
    # top 10 % of 4 customers = 0.4 of the best customer: 0.4 * 4 / 10
    assert top_share_captured(OUTCOME, OUTCOME, top=0.1) == pytest.approx(0.16)


def test_random_ranking_captures_the_top_fraction():
    rng = np.random.default_rng(12345)
    outcome = rng.lognormal(3.0, 1.0, 100_000)
    score = rng.random(100_000)
    # expected capture = top; standard deviation here about 0.002 (lognormal sigma = 1)
    assert top_share_captured(score, outcome, top=0.2) == pytest.approx(0.2, abs=0.01)
    assert top_share_captured(score, outcome, top=0.1) == pytest.approx(0.1, abs=0.01)
    assert gains_gini(score, outcome) == pytest.approx(0.0, abs=0.01)
    assert spearman(score, outcome) == pytest.approx(0.0, abs=0.01)
    assert auc(score, outcome > np.median(outcome)) == pytest.approx(0.5, abs=0.01)


def test_auc_by_hand():
    # buyers scored .35 and .8, non-buyers .1 and .4: pairs (.35>.1) (.35<.4) (.8>.1) (.8>.4)
    assert auc([0.1, 0.4, 0.35, 0.8], [False, False, True, True]) == pytest.approx(0.75)
    assert auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) == pytest.approx(0.75)


# --------------------------------------------------------------------------------------
# money, separation, agreement, migration: hand-worked
# --------------------------------------------------------------------------------------


def test_forecast_errors_by_hand():
    result = forecast_errors([1.0, 2.0, 3.0], [1.0, 1.0, 5.0])  # errors 0, +1, -2
    assert result.n == 3
    assert result.mae == pytest.approx(1.0)
    assert result.rmse == pytest.approx(math.sqrt(5 / 3))
    assert result.bias == pytest.approx(-1 / 3)
    assert result.mean_realised == pytest.approx(7 / 3)
    assert result.relative_mae == pytest.approx(3 / 7)
    assert result.relative_rmse == pytest.approx(math.sqrt(5 / 3) / (7 / 3))
    assert (result.total_predicted, result.total_realised) == (6.0, 7.0)
    assert result.total_error == pytest.approx(-1.0)
    assert result.total_error_pct == pytest.approx(-100 / 7)


def test_forecast_errors_survive_zero_spenders_but_not_an_all_zero_holdout():
    result = forecast_errors([1.0, 0.0], [0.0, 2.0])
    assert result.relative_mae == pytest.approx(1.5 / 1.0)
    with pytest.warns(MetricUndefinedWarning, match="realised values sum to 0"):
        empty = forecast_errors([1.0, 0.0], [0.0, 0.0])
    assert math.isnan(empty.relative_mae) and math.isnan(empty.total_error_pct)
    assert empty.mae == pytest.approx(0.5)


def test_variance_explained_by_hand():
    # groups a: 1, 3 (mean 2), b: 5, 7 (mean 6); overall mean 4
    # SS_total = 9 + 1 + 1 + 9 = 20, SS_between = 2*4 + 2*4 = 16, SS_within = 4
    # epsilon² = (16 - 1 * 4/2) / 20 = 0.7
    result = variance_explained(["a", "a", "b", "b"], [1, 3, 5, 7])
    assert result.eta_squared == pytest.approx(0.8)
    assert result.epsilon_squared == pytest.approx(0.7)
    assert (result.n_groups, result.n) == (2, 4)


def test_one_group_per_customer_explains_everything_and_epsilon_says_so():
    with pytest.warns(MetricUndefinedWarning, match="group of its own"):
        result = variance_explained([1, 2, 3], [5.0, 1.0, 2.0])
    assert result.eta_squared == pytest.approx(1.0)
    assert math.isnan(result.epsilon_squared)
    assert result.n_groups == 3


def test_unrelated_groups_explain_about_nothing_after_correction():
    rng = np.random.default_rng(3)
    groups = rng.integers(0, 50, 2_000)
    result = variance_explained(groups, rng.normal(size=2_000))
    assert result.eta_squared > 0.01  # 49 / 1999 expected by chance alone
    assert result.epsilon_squared == pytest.approx(0.0, abs=0.02)


def test_agreement_by_hand():
    a = pd.Series(["x", "x", "y", "y"], index=[1, 2, 3, 4], name="rfm")
    renamed = pd.Series([7, 7, 9, 9], index=[4, 3, 2, 1], name="cluster")  # other order
    # aligned by customer: 1, 2 -> 9 and 3, 4 -> 7, the same partition under other names
    same = agreement(a, renamed)
    assert (same.ari, same.nmi, same.n) == (pytest.approx(1.0), pytest.approx(1.0), 4)
    # {1,2},{3,4} vs {1,3},{2,4}: contingency all ones; ARI = (0 - 0.5*2*2/6) / (2 - 2/3) = -0.5
    crossed = agreement(a, pd.Series(["p", "q", "p", "q"], index=[1, 2, 3, 4]))
    assert crossed.ari == pytest.approx(-0.5)
    assert crossed.nmi == pytest.approx(0.0, abs=1e-12)
    assert crossed.crosstab.to_numpy().tolist() == [[1, 1], [1, 1]]
    assert crossed.crosstab.index.name == "rfm"


def test_migration_matrix_by_hand():
    before = pd.Series({1: "A", 2: "A", 3: "B", 4: "B", 5: "A"})
    after = pd.Series({1: "A", 2: "B", 3: "B", 6: "B", 7: "C"})
    # A: 1 stays, 2 -> B, 5 gone; B: 3 stays, 4 gone; new: 6 -> B, 7 -> C
    result = migration_matrix(before, after)
    expected = pd.DataFrame(
        [[1, 1, 0, 1], [0, 1, 0, 1], [0, 0, 0, 0], [0, 1, 1, 0]],
        index=pd.Index(["A", "B", "C", "new"], name="before"),
        columns=pd.Index(["A", "B", "C", "gone"], name="after"),
    )
    pd.testing.assert_frame_equal(result.counts, expected)
    np.testing.assert_allclose(result.row_shares.loc["A"], [1 / 3, 1 / 3, 0, 1 / 3])
    np.testing.assert_allclose(result.row_shares.loc["C"], 0.0)  # no customer was C before
    np.testing.assert_allclose(result.row_shares.loc["new"], [0, 0.5, 0.5, 0])
    assert result.counts.to_numpy().sum() == 7  # every customer of either period, once


def test_migration_matrix_keeps_category_order_and_refuses_label_clashes():
    order = ["Champions", "At Risk", "Lost"]
    before = pd.Series(pd.Categorical(["Lost", "Champions"], categories=order), index=[1, 2])
    after = pd.Series(pd.Categorical(["At Risk", "Champions"], categories=order), index=[1, 2])
    result = migration_matrix(before, after)
    assert list(result.counts.index) == [*order, "new"]
    assert result.counts.loc["Lost", "At Risk"] == 1
    with pytest.raises(ValueError, match=r"\['new'\] clash"):
        migration_matrix(pd.Series({1: "new"}), pd.Series({1: "A"}))


# --------------------------------------------------------------------------------------
# alignment and bad input
# --------------------------------------------------------------------------------------


def test_series_are_aligned_by_customer_not_position():
    score = pd.Series([4.0, 3.0, 2.0, 1.0], index=[10, 11, 12, 13])
    outcome = pd.Series([1.0, 2.0, 3.0, 4.0], index=[13, 12, 11, 10])
    assert spearman(score, outcome) == pytest.approx(1.0)
    assert top_share_captured(score, outcome, top=0.25) == pytest.approx(0.4)


def test_different_customers_are_an_error_naming_them():
    with pytest.raises(ValueError, match=r"1 only in score \[3\].*1 only in outcome \[4\]"):
        spearman(pd.Series([1.0, 2, 3], index=[1, 2, 3]), pd.Series([1.0, 2, 3], index=[1, 2, 4]))


def test_missing_values_are_errors_naming_rows():
    score = pd.Series([1.0, np.nan, 3.0], index=["a", "b", "c"])
    with pytest.raises(ValueError, match=r"score has missing.*customer_id \['b'\]"):
        top_share_captured(score, pd.Series([1.0, 2, 3], index=["a", "b", "c"]))
    with pytest.raises(ValueError, match=r"groups has missing labels.*\[1\]"):
        variance_explained(["a", None, "b"], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="equally long"):
        forecast_errors([1.0, 2.0], [1.0])


def test_undefined_metrics_return_nan_with_a_reason():
    with pytest.warns(MetricUndefinedWarning, match="nobody bought again"):
        assert math.isnan(auc([1.0, 2.0], [False, False]))
    with pytest.warns(MetricUndefinedWarning, match="constant"):
        assert math.isnan(spearman([1.0, 1.0, 1.0], [1.0, 2.0, 3.0]))
    with pytest.warns(MetricUndefinedWarning, match="every outcome is equal"):
        assert math.isnan(gains_gini([1.0, 2.0], [5.0, 5.0], normalised=True))
    with pytest.raises(ValueError, match="bought_again must be boolean"):
        auc([1.0, 2.0], [0.5, 1.0])
    with pytest.raises(ValueError, match="sums to 0"):
        top_share_captured([1.0, 2.0], [0.0, 0.0])
    with pytest.raises(ValueError, match=r"top must be in \(0, 1\]"):
        top_share_captured([1.0, 2.0], [1.0, 2.0], top=0.0)


def test_api_exports_the_metrics():
    assert clvlib.top_share_captured is top_share_captured
    assert set(clvlib.glossary(["spearman", "gains_gini", "eta_squared"]).index) == {
        "spearman",
        "gains_gini",
        "eta_squared",
    }


# --------------------------------------------------------------------------------------
# invariants
# --------------------------------------------------------------------------------------

ints = st.integers(-1_000, 1_000)


@st.composite
def scored(draw):
    """Integer scores (many ties) and non-negative outcomes with a positive total."""
    n = draw(st.integers(2, 40))
    score = np.array(draw(st.lists(ints, min_size=n, max_size=n)), dtype=float)
    outcome = np.array(draw(st.lists(st.integers(0, 500), min_size=n, max_size=n)), dtype=float)
    assume(outcome.sum() > 0)
    return score, outcome


@settings(max_examples=150, deadline=None)
@given(scored(), st.floats(0.01, 1.0))
def test_top_share_is_a_share_and_perfect_foresight_is_the_ceiling(data, top):
    score, outcome = data
    captured = top_share_captured(score, outcome, top=top)
    ceiling = top_share_captured(outcome, outcome, top=top)
    floor = top_share_captured(-outcome, outcome, top=top)
    assert -1e-12 <= captured <= 1 + 1e-12
    assert floor - 1e-12 <= captured <= ceiling + 1e-12
    assert ceiling >= top - 1e-12  # the best ranking beats random
    assert gains_gini(score, outcome) <= gains_gini(outcome, outcome) + 1e-12


@settings(max_examples=150, deadline=None)
@given(scored())
def test_ranking_metrics_ignore_strictly_increasing_transforms_of_the_score(data):
    score, outcome = data
    transformed = score**3 + 7.0  # exact in floating point for these integers
    assert top_share_captured(transformed, outcome) == pytest.approx(
        top_share_captured(score, outcome)
    )
    assert gains_gini(transformed, outcome) == pytest.approx(gains_gini(score, outcome))
    bought = outcome > 0
    if bought.all() or not bought.any():
        return
    assert auc(transformed, bought) == pytest.approx(auc(score, bought))
    if np.ptp(score) > 0 and np.ptp(outcome) > 0:
        assert spearman(transformed, outcome) == pytest.approx(spearman(score, outcome))


@settings(max_examples=100, deadline=None)
@given(scored(), st.randoms(use_true_random=False))
def test_metrics_do_not_depend_on_the_order_of_customers(data, random):
    score, outcome = data
    perm = np.array(random.sample(range(score.size), score.size))
    assert top_share_captured(score[perm], outcome[perm]) == pytest.approx(
        top_share_captured(score, outcome)
    )
    assert gains_gini(score[perm], outcome[perm]) == pytest.approx(gains_gini(score, outcome))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from("abcd"), min_size=2, max_size=40), st.data())
def test_eta_squared_is_a_share(groups, data):
    n = len(groups)
    outcome = np.array(data.draw(st.lists(ints, min_size=n, max_size=n)), dtype=float)
    assume(np.ptp(outcome) > 0)
    with warnings.catch_warnings():  # epsilon² is NaN when every customer is its own group
        warnings.simplefilter("ignore", MetricUndefinedWarning)
        result = variance_explained(groups, outcome)
    assert 0 <= result.eta_squared <= 1
    assert result.epsilon_squared <= result.eta_squared or math.isnan(result.epsilon_squared)
    assert result.n_groups == len(set(groups))


# --- paired bootstrap -------------------------------------------------------------------


def test_bootstrap_ranking_metrics_equal_the_metrics_recomputed_on_each_resample():
    """Multiplicities on one sort per score = every metric recomputed on the drawn customers."""
    rng = np.random.default_rng(5)
    n = 400
    outcome = np.where(rng.random(n) < 0.6, 0.0, rng.gamma(2, 30, n))  # many ties at 0
    scores = pd.DataFrame(
        {
            "tied": np.round(outcome + rng.normal(0, 20, n), -1),  # heavy ties
            "smooth": outcome + rng.normal(0, 40, n),
            "constant_in_groups": (outcome > 0) * 1.0 + rng.integers(0, 2, n),
        }
    )
    bought = outcome > 0
    draws = mt.bootstrap_ranking_metrics(scores, outcome, bought, n_resamples=20, random_state=9)
    assert draws.shape == (20, 3, len(mt.BOOTSTRAP_METRICS))
    rng = np.random.default_rng(9)
    for b in range(20):
        take = rng.integers(0, n, n)
        y, bb = outcome[take], bought[take]
        for j, column in enumerate(scores):
            s = scores[column].to_numpy()[take]
            expected = [
                mt.spearman(s, y),
                mt.top_share_captured(s, y, top=0.1),
                mt.top_share_captured(s, y, top=0.2),
                mt.gains_gini(s, y),
                mt.auc(s, bb),
            ]
            np.testing.assert_allclose(draws[b, j], expected, rtol=1e-9, atol=1e-12)


def test_bootstrap_with_a_cap_resamples_exactly_the_fixed_subsample():
    """Above max_customers: the resamples of the fixed subsample, nothing else; at or below
    it nothing changes (the shipped data sets never reach the report's cap)."""
    rng = np.random.default_rng(3)
    n = 600
    outcome = np.where(rng.random(n) < 0.5, 0.0, rng.gamma(2, 30, n))
    scores = pd.DataFrame({"a": outcome + rng.normal(0, 30, n), "b": rng.random(n)})
    bought = outcome > 0
    full = mt.bootstrap_ranking_metrics(scores, outcome, bought, n_resamples=30, random_state=4)
    same = mt.bootstrap_ranking_metrics(
        scores, outcome, bought, n_resamples=30, random_state=4, max_customers=n
    )
    np.testing.assert_array_equal(full, same)
    keep = mt.bootstrap_subsample(n, 250, 4)
    assert keep.size == 250 and np.all(np.diff(keep) > 0)  # sorted, no repeats
    np.testing.assert_array_equal(keep, mt.bootstrap_subsample(n, 250, 4))  # fixed
    capped = mt.bootstrap_ranking_metrics(
        scores, outcome, bought, n_resamples=30, random_state=4, max_customers=250
    )
    by_hand = mt.bootstrap_ranking_metrics(
        scores.iloc[keep], outcome[keep], bought[keep], n_resamples=30, random_state=4
    )
    np.testing.assert_array_equal(capped, by_hand)
    assert mt.bootstrap_subsample(n, None, 4) is None
    with pytest.raises(ValueError, match="max_customers must be >= 2"):
        mt.bootstrap_subsample(n, 1, 4)


def test_bootstrap_ranking_metrics_reject_missing_scores():
    with pytest.raises(ValueError, match="missing or infinite"):
        mt.bootstrap_ranking_metrics(
            pd.DataFrame({"a": [1.0, np.nan, 2.0]}), [1.0, 2.0, 3.0], [True, False, True]
        )


# --------------------------------------------------------------------------------------
# decile calibration
# --------------------------------------------------------------------------------------


def test_decile_calibration_by_hand():
    # forecasts 1..10, realised twice as much: every bin has ratio 0.5
    predicted = pd.Series(np.arange(1.0, 11.0), index=pd.Index(range(10), name="customer_id"))
    realised = 2 * predicted
    table = decile_calibration(predicted, realised.sample(frac=1, random_state=0), n_bins=5)
    assert list(table.index) == [1, 2, 3, 4, 5]
    assert table["customers"].tolist() == [2] * 5
    assert table["mean_predicted"].tolist() == [1.5, 3.5, 5.5, 7.5, 9.5]
    assert table["total_realised"].tolist() == [6.0, 14.0, 22.0, 30.0, 38.0]
    np.testing.assert_allclose(table["ratio"], 0.5)
    assert table.attrs["ratio"] == pytest.approx(0.5)
    assert table["customers"].sum() == 10


def test_decile_calibration_keeps_ties_together_and_accounts_for_everyone():
    # six customers forecast 0 (a tie bigger than a bin), then 1, 2, 3, 4
    predicted = [0, 0, 0, 0, 0, 0, 1, 2, 3, 4]
    realised = [0, 0, 0, 1, 0, 0, 0, 0, 3, 5]
    table = decile_calibration(predicted, realised, n_bins=5)
    assert list(table.index) == [1, 4, 5]  # bins 2 and 3 are swallowed by the tie
    assert table["customers"].tolist() == [6, 2, 2]
    assert table.loc[1, "ratio"] == 0.0
    assert math.isnan(table.loc[4, "ratio"])  # forecasts 1 and 2 realised nothing
    assert table.loc[5, "ratio"] == pytest.approx(7 / 8)
    assert table.attrs["ratio"] == pytest.approx(10 / 9)


def test_decile_calibration_rejects_bad_input():
    with pytest.raises(ValueError, match="n_bins"):
        decile_calibration([1, 2], [1, 2], n_bins=0)
    with pytest.raises(ValueError, match="predicted has missing"):
        decile_calibration([1, np.nan], [1, 2])


def test_gains_metrics_are_the_four_functions_float_for_float():
    rng = np.random.default_rng(8)
    outcome = np.where(rng.random(500) < 0.5, 0.0, rng.gamma(2, 30, 500))
    for score in (outcome + rng.normal(0, 30, 500), np.round(outcome, -1), np.zeros(500)):
        got = mt.gains_metrics(score, outcome)
        assert got == {
            "top10_share": mt.top_share_captured(score, outcome, top=0.1),
            "top20_share": mt.top_share_captured(score, outcome, top=0.2),
            "gains_gini": mt.gains_gini(score, outcome),
            "gains_gini_normalised": mt.gains_gini(score, outcome, normalised=True),
        }
        best = mt.gains_gini(outcome, outcome)
        assert mt.gains_metrics(score, outcome, best_gini=best) == got
    with pytest.warns(MetricUndefinedWarning, match="every outcome is equal"):
        flat = mt.gains_metrics(outcome, np.ones(500))
    assert math.isnan(flat["gains_gini_normalised"])
