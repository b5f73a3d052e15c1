"""Tests of clvlib.methods.heuristic: hand-worked values first, then hypothesis invariants.

All frames are built by hand here (the summary module is tested on its own); each expected
number is worked out in the comment beside it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import InvalidParameterError

from clvlib.methods.analyses import (
    channel_economics,
    clv_by_group,
    clv_vs_first_order,
    discount_shoppers,
    first_order_profit,
    retention_policies,
)
from clvlib.methods.formulas import (
    clv_discounted,
    clv_sensitivity,
    clv_simple,
    clv_simple_cac_after_margin,
)
from clvlib.methods.heuristic import HeuristicCLV
from clvlib.methods.survival import estimate_retention, estimate_survival
from clvlib.methods.tiers import lorenz_curve, tier_table, value_tiers
from clvlib.methods.value import historic_clv, value_basis
from clvlib.vocabulary import use_currency

MONTH_DAYS = 365.25 / 12

# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def tx() -> pd.DataFrame:
    """Six customers over Jan-May 2011, monthly activity (purchase lines only).

    active in Jan {1, 2}; Feb {1, 3, 6}; Mar {1, 2, 4, 6}; Apr {1, 2} (2 on Apr 30, 18:00).
    Customer 3's March line is a return (not activity); customer 5 only returned; customer
    4's May line is after every observation end used here.
    """
    rows = [
        (1, "2011-01-05", 10.0, False),
        (1, "2011-02-10", 20.0, False),
        (1, "2011-03-03", 15.0, False),
        (1, "2011-04-02", 12.0, False),
        (2, "2011-01-20", 30.0, False),
        (2, "2011-03-25", 25.0, False),
        (2, "2011-04-30 18:00", 40.0, False),
        (3, "2011-02-14", 50.0, False),
        (3, "2011-03-01", -50.0, True),
        (4, "2011-03-30", 60.0, False),
        (4, "2011-05-01", 70.0, False),
        (5, "2011-01-07", -5.0, True),
        (6, "2011-02-02", 8.0, False),
        (6, "2011-03-09", 9.0, False),
    ]
    frame = pd.DataFrame(rows, columns=["customer_id", "timestamp", "amount", "is_return"])
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], format="ISO8601")
    return frame


@pytest.fixture
def summary() -> pd.DataFrame:
    """Ten customers with a net value, a channel and a CAC, in shuffled order.

    Net values, best first: 100 (c3), 50 (c7), 40 (c1), 30 (c10), 20 (c5), 10 (c2), 5 (c8),
    0 (c4), -5 (c9), -10 (c6); total 240.
    """
    values = {3: 100, 7: 50, 1: 40, 10: 30, 5: 20, 2: 10, 8: 5, 4: 0, 9: -5, 6: -10}
    ads = {3, 1, 6}
    ids = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    return pd.DataFrame(
        {
            "total_value": [float(values[i]) for i in ids],
            "T": [30.0 * i for i in ids],
            "n_orders": [2] * 10,
            "channel": ["ads" if i in ads else "seo" for i in ids],
            "cac": [5.0] * 10,
        },
        index=pd.Index(ids, name="customer_id"),
    )


# --------------------------------------------------------------------------- simple CLV


def test_worked_example_to_the_cent():
    # [(90 x 3) - 6] x 0.2 = 264 x 0.2 = 52.80 ; 90 x 3 x 0.2 - 6 = 54 - 6 = 48.00
    assert round(clv_simple(90, 3, 6, 0.2), 2) == 52.80
    assert round(clv_simple_cac_after_margin(90, 3, 6, 0.2), 2) == 48.00
    assert isinstance(clv_simple(90, 3, 6, 0.2), float)


def test_two_variants_differ_by_cac_times_one_minus_margin():
    # 52.80 - 48.00 = 4.80 = 6 x (1 - 0.2)
    diff = clv_simple(90, 3, 6, 0.2) - clv_simple_cac_after_margin(90, 3, 6, 0.2)
    assert diff == pytest.approx(6 * 0.8)


def test_vectorised_over_series_and_arrays():
    aov = pd.Series([90.0, 100.0], index=pd.Index(["a", "b"], name="customer_id"))
    out = clv_simple(aov, 3, 6, 0.2)
    assert isinstance(out, pd.Series) and out.name == "clv_simple"
    assert list(out.index) == ["a", "b"]
    # b: (300 - 6) x 0.2 = 58.80
    np.testing.assert_allclose(out.to_numpy(), [52.8, 58.8])
    arr = clv_simple_cac_after_margin(np.array([90.0, 100.0]), [3, 4], 6, 0.2)
    # 90*3*0.2 - 6 = 48 ; 100*4*0.2 - 6 = 74
    np.testing.assert_allclose(arr, [48.0, 74.0])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(aov=90, purchases=3, cac=6, margin=20), "margin"),
        (dict(aov=90, purchases=-1, cac=6, margin=0.2), "purchases"),
        (dict(aov=90, purchases=3, cac=-6, margin=0.2), "cac"),
    ],
)
def test_simple_rejects_out_of_range_levers(kwargs, message):
    with pytest.raises(ValueError, match=message):
        clv_simple(**kwargs)


def test_range_error_names_the_rows():
    margin = pd.Series([0.2, 1.5, 0.3], index=pd.Index(["a", "b", "c"], name="customer_id"))
    with pytest.raises(ValueError, match=r"\['b'\]"):
        clv_simple(90, 3, 6, margin)


def test_sensitivity_table_by_hand():
    table = clv_sensitivity(90, 3, 6, 0.2)
    assert len(table) == 8
    got = table.set_index(["lever", "change"])["clv"]
    # AOV +10 %: (99 x 3 - 6) x 0.2 = 58.20 ; purchases -10 %: (90 x 2.7 - 6) x 0.2 = 47.40
    assert got[("aov", 0.1)] == pytest.approx(58.20)
    assert got[("purchases", -0.1)] == pytest.approx(47.40)
    # CAC +10 %: (270 - 6.6) x 0.2 = 52.68 ; margin -10 %: 264 x 0.18 = 47.52
    assert got[("cac", 0.1)] == pytest.approx(52.68)
    assert got[("margin", -0.1)] == pytest.approx(47.52)
    delta = table.set_index(["lever", "change"])["delta"]
    assert delta[("cac", 0.1)] == pytest.approx(-0.12)
    assert (table["base_clv"] == clv_simple(90, 3, 6, 0.2)).all()


def test_sensitivity_of_the_after_margin_formula():
    table = clv_sensitivity(90, 3, 6, 0.2, formula="cac_after_margin", change=0.5)
    got = table.set_index(["lever", "change"])["clv"]
    # CAC +50 %: 54 - 9 = 45
    assert got[("cac", 0.5)] == pytest.approx(45.0)


def test_sensitivity_refuses_margin_above_one():
    with pytest.raises(ValueError, match="exceeds 1"):
        clv_sensitivity(90, 3, 6, 0.95)


# --------------------------------------------------------------------------- historic CLV


def test_value_basis_is_profit_where_costs_are_known_else_margin_times_revenue(summary):
    """The one rule, for a summary (gross_profit) and for a log (cost) alike."""
    assert value_basis(summary) == ("revenue", "total_value", 1.0)
    assert value_basis(summary, margin=0.3).margin == 0.3
    with_profit = summary.assign(gross_profit=summary["total_value"] * 0.25)
    assert value_basis(with_profit, margin=0.3) == ("profit", "gross_profit", None)
    assert value_basis(with_profit).realised_margin(with_profit) == pytest.approx(0.25)
    assert value_basis(summary, margin=0.3).realised_margin(summary) == 0.3
    assert value_basis(["customer_id", "amount", "cost"]).costs_known
    assert not value_basis(["customer_id", "amount"]).costs_known


def test_historic_clv_is_revenue_without_costs(summary):
    out = historic_clv(summary)
    assert out.name == "historic_clv" and out.attrs["basis"] == "revenue"
    pd.testing.assert_series_equal(out, summary["total_value"].rename("historic_clv"))


def test_historic_clv_uses_profit_where_known(summary):
    with_profit = summary.assign(gross_profit=summary["total_value"] * 0.3)
    out = historic_clv(with_profit, subtract_cac=True)
    assert out.attrs == {"basis": "profit", "column": "gross_profit", "cac": True}
    # customer 3: 100 x 0.3 - 5 = 25
    assert out[3] == pytest.approx(25.0)


def test_historic_clv_names_missing_values(summary):
    broken = summary.assign(gross_profit=summary["total_value"])
    broken.loc[[4, 9], "gross_profit"] = np.nan
    with pytest.raises(ValueError, match=r"gross_profit.*\[4, 9\]"):
        historic_clv(broken)


# --------------------------------------------------------------------------- retention


def test_retention_by_hand(tx):
    # observation end Apr 15: April incomplete, last complete period is March.
    # Jan -> Feb: active {1, 2}, back {1}: 1/2 ; Feb -> Mar: active {1, 3, 6}, back {1, 6}: 2/3
    # (3's March line is a return). Pooled: (1 + 2) / (2 + 3) = 0.6, not the mean 0.583.
    est = estimate_retention(tx, observation_end="2011-04-15")
    assert est.rate == pytest.approx(0.6)
    table = est.table
    assert [str(p) for p in table.index] == ["2011-01", "2011-02"]
    assert table["active"].tolist() == [2, 3]
    assert table["retained"].tolist() == [1, 2]
    np.testing.assert_allclose(table["retention_rate"], [1 / 2, 2 / 3])


def test_retention_includes_a_complete_last_period_and_the_whole_last_day(tx):
    # end Apr 30: April complete, and customer 2's line at 18:00 that day counts.
    # Mar -> Apr: active {1, 2, 4, 6}, back {1, 2}: 2/4. Pooled (1 + 2 + 2) / (2 + 3 + 4) = 5/9
    est = estimate_retention(tx, observation_end="2011-04-30")
    assert est.rate == pytest.approx(5 / 9)
    assert est.table["active"].tolist() == [2, 3, 4]


def test_retention_needs_two_complete_periods(tx):
    with pytest.raises(ValueError, match="two complete periods"):
        estimate_retention(tx, observation_end="2011-02-10")


def test_retention_errors_name_columns_and_rows(tx):
    with pytest.raises(KeyError, match="is_return"):
        estimate_retention(tx.drop(columns="is_return"), observation_end="2011-04-30")
    broken = tx.copy()
    broken.loc[3, "timestamp"] = pd.NaT
    with pytest.raises(ValueError, match=r"'timestamp'.*\[3\]"):
        estimate_retention(broken, observation_end="2011-04-30")
    with pytest.raises(ValueError, match="period"):
        estimate_retention(tx, observation_end="2011-04-30", period="fortnight")


def test_retention_does_not_mutate_tx(tx):
    before = tx.copy()
    estimate_retention(tx, observation_end="2011-04-30", period="W")
    pd.testing.assert_frame_equal(tx, before)


# --------------------------------------------------------------------------- discounted CLV


def test_discounted_formula_by_hand_and_as_a_series_sum():
    # 100 x 0.8 / (1 + 0.1 - 0.8) = 80 / 0.3 = 266.67
    assert clv_discounted(100, 0.8, 0.1) == pytest.approx(266.6667, abs=1e-4)
    t = np.arange(1, 2000)
    assert clv_discounted(100, 0.8, 0.1) == pytest.approx(np.sum(100 * (0.8 / 1.1) ** t))


def test_discounted_rejects_an_infinite_lifetime_and_bad_rates():
    with pytest.raises(ValueError, match="infinite"):
        clv_discounted(10, 1.0, 0.0)
    with pytest.raises(ValueError, match="retention"):
        clv_discounted(10, 1.2, 0.1)


# --------------------------------------------------------------------------- estimator


def _monthly_summary() -> pd.DataFrame:
    # T and since_last_order in months; tenure = T + 1 period: c1 200 over 5 months, bought
    # half a month ago ; c2 first seen on the last day (T 0) -> 30 over 1 month ; c3 60 over
    # 6 months, silent for 3 months
    return pd.DataFrame(
        {
            "T": [4.0, 0.0, 5.0],
            "since_last_order": [0.5, 0.0, 3.0],
            "total_value": [200.0, 30.0, 60.0],
            "gross_profit": [80.0, 6.0, 20.0],
        },
        index=pd.Index(["c1", "c2", "c3"], name="customer_id"),
    )


def test_survival_by_hand(tx):
    # to Apr 30 (April complete): purchase months c1 J F M A ; c2 J M A ; c3 F ; c4 M ; c6 F M
    # repeat gaps 1 1 1 (c1), 2 1 (c2), 1 (c6); open spells (censored) c1 A 0, c2 A 0, c3 F 2,
    # c4 M 1, c6 M 1. Kaplan-Meier: gap 1: 9 spells at risk, 5 returns -> 4/9 not back ;
    # gap 2: 2 at risk (c2 J, c3 F), 1 return -> 2/9. Share of returns within 1: (5/9) /
    # (7/9) = 5/7 < 0.85 -> L = 2 months.
    # spells: c1 J F M alive 1 each, A open (0) ; c2 J (gap 2) 2, M 1, A open ; c3 F: no
    # return with 2 months observable -> 1 lapse after 2 ; c4 M open (1) ; c6 F 1, M open (1)
    # alive 3 + 3 + 2 + 1 + 2 = 11, lapses 1 -> s = 10 / 11
    est = estimate_survival(tx, observation_end="2011-04-30")
    assert est.lapse_periods == 2
    assert (est.alive_periods, est.lapses) == (11, 1)
    assert est.rate == pytest.approx(10 / 11)
    assert est.table["customer_periods"].to_dict() == {1: 5, 2: 1}
    assert est.table["at_risk"].to_dict() == {1: 9, 2: 2}
    np.testing.assert_allclose(est.table["share_returned"], [5 / 7, 1.0])
    # the plain share of completed gaps within 1 is 5/6 >= 0.75 (L would be 1); censoring
    # weighs the long gap against the 2 spells that could show it: 5/7 < 0.75 -> L = 2
    assert estimate_survival(tx, observation_end="2011-04-30", gap_quantile=0.75).lapse_periods == 2
    assert estimate_survival(tx, observation_end="2011-04-30", gap_quantile=0.7).lapse_periods == 1
    # to Mar 31 with L = 1 (median gap): c1 J F alive 1 each ; c2 J lapses (gap 2) after 1 ;
    # c3 F lapses after 1 ; c6 F 1 -> alive 5, lapses 2 -> s = 0.6
    est = estimate_survival(tx, observation_end="2011-03-31", gap_quantile=0.5)
    assert (est.lapse_periods, est.alive_periods, est.lapses) == (1, 5, 2)
    assert est.rate == pytest.approx(0.6)
    with pytest.raises(ValueError, match="gap_quantile"):
        estimate_survival(tx, observation_end="2011-03-31", gap_quantile=1.0)
    with pytest.raises(ValueError, match="no customer came back"):
        estimate_survival(tx[tx["customer_id"] == 4], observation_end="2011-04-30")


def test_heuristic_clv_by_hand(tx):
    model = HeuristicCLV(
        margin=0.25, discount_rate=0.1, period="M", cac=5.0, gap_quantile=0.5, window=None
    )
    model.fit(tx, observation_end="2011-03-31")
    assert model.retention_ == pytest.approx(0.6)  # test_survival_by_hand, L = 1
    assert model.lapse_periods_ == 1
    assert model.expected_lifetime_ == pytest.approx(2.5)  # 1 / (1 - 0.6)
    summary = _monthly_summary()
    # value per month: c1 200 / 5 = 40, c2 30 / 1 = 30, c3 60 / 6 = 10 ; P(active): c3 is
    # 3 - L = 2 months overdue -> 0.6 ** 2 = 0.36 ; 2 months: 0.6 + 0.36 = 0.96 periods
    value = model.predict_value(summary, horizon=2, time_unit="M")
    np.testing.assert_allclose(value, [38.4, 28.8, 10 * 0.36 * 0.96])
    assert value.name == "predicted_value"
    clv = model.predict_clv(summary, time_unit="M")
    # c1: m = 40 x 0.25 = 10 ; lifetime 10 x 2.5 = 25 ; discounted 10 x 0.6 / 0.5 = 12
    row = clv.loc["c1"]
    assert row["margin_per_period"] == pytest.approx(10.0)
    assert row["clv_lifetime"] == pytest.approx(25.0)
    assert row["clv_discounted"] == pytest.approx(12.0)
    assert row["clv_lifetime_after_cac"] == pytest.approx(20.0)
    assert row["clv_discounted_after_cac"] == pytest.approx(7.0)
    # c3: m = 2.5, x 0.36 active x 2.5 periods = 2.25
    assert clv.loc["c3", "clv_lifetime"] == pytest.approx(2.25)


def test_short_tenure_is_spread_over_the_lapse_threshold_and_horizon_matters(tx):
    model = HeuristicCLV(window=None).fit(tx, observation_end="2011-04-30")  # L 2, s 10 / 11
    summary = _monthly_summary()
    s = 10 / 11
    six = model.predict_value(summary, horizon=6, time_unit="M")
    # c2 (T 0): 30 over max(1, 2) = 2 months -> 15 a month
    assert six["c2"] == pytest.approx(15 * s * (1 - s**6) / (1 - s))
    thirty = model.predict_value(summary, horizon=30, time_unit="M")
    assert (thirty > 2 * six).all()  # a longer window adds the survivors' value
    assert model.predict_value(summary, horizon=0, time_unit="M").eq(0).all()


def test_value_per_period_over_the_last_window(tx):
    # to Apr 30 (L = 2, s = 10 / 11), window 2 months = 60.875 days: lines from Mar 1 03:00
    # c1: Mar 3 15 + Apr 2 12 = 27 over min(T + 1, 2) = 2 months -> 13.5 a month
    # c4: Mar 30 60 (T 1 day: max(min(1.03, 2), 2) = 2 months) -> 30 ; c3: Feb 14 50 and
    # the return on Mar 1 00:00 are both before the window -> 0
    model = HeuristicCLV(margin=0.5, window=2).fit(tx, observation_end="2011-04-30")
    summary = pd.DataFrame(
        {
            "T": [115.0, 1.0, 75.0],
            "since_last_order": [28.0, 1.0, 75.0],
            "total_value": [57.0, 60.0, 0.0],
        },
        index=pd.Index([1, 4, 3], name="customer_id"),
    )
    summary.attrs = {"observation_end": "2011-04-30", "time_unit": "D"}
    clv = model.predict_clv(summary)
    np.testing.assert_allclose(clv["value_per_period"], [13.5, 30.0, 0.0])
    np.testing.assert_allclose(clv["margin_per_period"], [6.75, 15.0, 0.0])
    with pytest.raises(ValueError, match="not in the log"):
        model.predict_value(summary.rename(index={3: 99}), horizon=30)
    summary.attrs["observation_end"] = "2011-03-31"
    with pytest.raises(ValueError, match="fitted to 2011-04-30"):
        model.predict_value(summary, horizon=30)


def test_predict_value_is_the_same_in_days_and_months(tx):
    model = HeuristicCLV(period="M", window=None).fit(tx, observation_end="2011-03-31")
    months = _monthly_summary()
    days = months.assign(T=months["T"] * MONTH_DAYS)
    a = model.predict_value(months, horizon=2, time_unit="M")
    b = model.predict_value(days, horizon=2 * MONTH_DAYS, time_unit="D")
    np.testing.assert_allclose(a, b)
    pd.testing.assert_series_equal(model.predict(days, horizon=2 * MONTH_DAYS), b)


def test_undiscounted_lifetime_is_one_period_more_than_the_future(tx):
    model = HeuristicCLV(margin=0.3, gap_quantile=0.5, window=None)
    model.fit(tx, observation_end="2011-03-31")
    clv = model.predict_clv(_monthly_summary(), time_unit="M")
    np.testing.assert_allclose(
        clv["clv_lifetime"] - clv["margin_per_period"] * clv["p_active"], clv["clv_discounted"]
    )


def test_margin_none_uses_gross_profit_and_cac_column(tx):
    model = HeuristicCLV(margin=None, cac="cac", gap_quantile=0.5, window=None)
    model.fit(tx, observation_end="2011-03-31")
    summary = _monthly_summary().assign(cac=[1.0, 2.0, 3.0])
    clv = model.predict_clv(summary, time_unit="M")
    # c1: 80 / 5 = 16 per month ; lifetime 16 x 2.5 = 40 ; minus CAC 1 -> 39
    assert clv.loc["c1", "margin_per_period"] == pytest.approx(16.0)
    assert clv.loc["c1", "clv_lifetime_after_cac"] == pytest.approx(39.0)


def test_estimator_is_scikit_learn_style(tx):
    model = HeuristicCLV(margin=0.3, discount_rate=0.01)
    assert model.get_params() == {
        "margin": 0.3,
        "discount_rate": 0.01,
        "period": "M",
        "cac": None,
        "gap_quantile": 0.85,
        "window": 12,
    }
    with pytest.raises(NotFittedError):
        model.predict_value(_monthly_summary(), horizon=30)
    assert not hasattr(clone(model.fit(tx, observation_end="2011-03-31")), "retention_")


@pytest.mark.parametrize(
    "params, match",
    [
        ({"margin": 1.2}, "'margin' parameter of HeuristicCLV must be a float in the range"),
        ({"discount_rate": -0.1}, "'discount_rate' parameter"),
        ({"period": "fortnight"}, "'period' parameter of HeuristicCLV must be a str among"),
        ({"cac": -5.0}, "'cac' parameter"),
        ({"gap_quantile": 1.0}, "'gap_quantile' parameter"),
        ({"window": 0}, "'window' parameter"),
    ],
)
def test_estimator_parameters_are_checked_by_their_constraints_at_fit(tx, params, match):
    """Declared constraints, checked by scikit-learn at fit; the constructor only stores."""
    model = HeuristicCLV(**params)  # no error yet: __init__ stores
    with pytest.raises(InvalidParameterError, match=match):
        model.fit(tx, observation_end="2011-03-31")


def test_estimator_checks_time_unit_and_columns(tx):
    model = HeuristicCLV(window=None).fit(tx, observation_end="2011-03-31")
    summary = _monthly_summary()
    summary.attrs["time_unit"] = "M"
    with pytest.raises(ValueError, match="time unit 'M'"):
        model.predict_value(summary, horizon=30, time_unit="D")
    with pytest.raises(KeyError, match="T"):
        model.predict_value(summary.drop(columns="T"), horizon=1, time_unit="M")


# --------------------------------------------------------------------------- per group


def test_clv_by_group_by_hand(summary):
    table = clv_by_group(summary, summary["total_value"], by="channel")
    # ads: 100, 40, -10 -> total 130, mean 43.33, median 40 ; seo: the other 7 -> 110
    assert table.loc["ads", "customers"] == 3
    assert table.loc["ads", "total_clv"] == pytest.approx(130.0)
    assert table.loc["ads", "median_clv"] == pytest.approx(40.0)
    assert table.loc["ads", "mean_clv"] == pytest.approx(130 / 3)
    assert table.loc["seo", "share_of_value"] == pytest.approx(110 / 240)
    assert table["share_of_customers"].sum() == pytest.approx(1.0)


def test_clv_by_group_keeps_customers_without_a_label(summary):
    labelled = summary.assign(channel=summary["channel"].where(summary.index != 2))
    table = clv_by_group(labelled, labelled["total_value"], by="channel")
    assert table.loc["(missing)", "customers"] == 1
    assert table["customers"].sum() == len(summary)


def test_clv_by_group_rejects_mismatched_customers(summary):
    with pytest.raises(ValueError, match="same customers"):
        clv_by_group(summary, summary["total_value"].drop(7), by="channel")


# --------------------------------------------------------------------------- tiers


def test_value_tiers_and_table_by_hand(summary):
    tiers = value_tiers(summary)
    top, bottom = "top 20 %", "bottom 20 %"
    assert list(tiers.cat.categories) == [top, "middle 60 %", bottom]
    assert sorted(tiers.index[tiers == top]) == [3, 7]  # 100 and 50
    assert sorted(tiers.index[tiers == bottom]) == [6, 9]  # -10 and -5 (net returners)
    table = tier_table(summary, tiers)
    # top: 150 / 240 = 0.625 ; middle 40+30+20+10+5+0 = 105 -> 0.4375 ; bottom -15 -> -0.0625
    np.testing.assert_allclose(table["value"], [150, 105, -15])
    np.testing.assert_allclose(table["share_of_value"], [0.625, 0.4375, -0.0625])
    np.testing.assert_allclose(table["share_of_customers"], [0.2, 0.6, 0.2])


def test_tier_table_by_channel_by_hand(summary):
    table = tier_table(summary, value_tiers(summary), by="channel")
    ads = table.loc["ads"]
    # ads customers: 3 (100, top), 1 (40, middle), 6 (-10, bottom) ; value 130
    np.testing.assert_allclose(ads["customers"], [1, 1, 1])
    np.testing.assert_allclose(ads["share_of_value"], [100 / 130, 40 / 130, -10 / 130])
    seo = table.loc["seo"]
    # seo: 7 (50, top); 10, 5, 2, 8, 4 (middle: 65); 9 (-5, bottom) ; value 110
    np.testing.assert_allclose(seo["customers"], [1, 5, 1])
    np.testing.assert_allclose(seo["share_of_customers"], [1 / 7, 5 / 7, 1 / 7])
    np.testing.assert_allclose(seo["value"], [50, 65, -5])


def test_value_tiers_break_ties_by_customer_id():
    flat = pd.DataFrame(
        {"total_value": [10.0] * 5}, index=pd.Index([5, 3, 1, 4, 2], name="customer_id")
    )
    tiers = value_tiers(flat)
    # n = 5: top round(1) = 1 customer, middle up to round(4), bottom 1
    assert tiers[1] == "top 20 %" and tiers[5] == "bottom 20 %"
    assert list(tiers.index) == [5, 3, 1, 4, 2]  # caller's order kept


def test_value_tiers_prefer_profit_and_accept_a_series(summary):
    with_profit = summary.assign(gross_profit=-summary["total_value"])
    tiers = value_tiers(with_profit)
    assert sorted(tiers.index[tiers == "top 20 %"]) == [6, 9]  # profit reverses the order
    by_t = value_tiers(summary, value=summary["T"], shares=(0.1, 0.8, 0.1))
    assert by_t[10] == "top 10 %" and by_t[1] == "bottom 10 %"


def test_value_tiers_reject_bad_shares_and_missing_values(summary):
    with pytest.raises(ValueError, match="shares"):
        value_tiers(summary, shares=(0.2, 0.2, 0.2))
    broken = summary.copy()
    broken.loc[5, "total_value"] = np.nan
    with pytest.raises(ValueError, match=r"\[5\]"):
        value_tiers(broken)


def test_caller_frames_are_not_mutated(summary):
    before = summary.copy()
    tiers = value_tiers(summary)
    tier_table(summary, tiers, by="channel")
    clv_by_group(summary, historic_clv(summary), by="channel")
    historic_clv(summary, subtract_cac=True)
    pd.testing.assert_frame_equal(summary, before)


# --------------------------------------------------------------------------- Lorenz


def test_lorenz_on_known_vectors():
    # [1, 2, 3, 4]: sum |xi - xj| = 20 over ordered pairs, n = 4, mean 2.5 -> 20 / 80 = 0.25
    lc = lorenz_curve([1, 2, 3, 4])
    assert lc.gini == pytest.approx(0.25)
    np.testing.assert_allclose(lc.curve["share_of_value"], [0, 0.4, 0.7, 0.9, 1.0])
    assert lc.top_share(0.25) == pytest.approx(0.4)
    assert lc.top_share(0.125) == pytest.approx(0.2)  # interpolated
    assert lorenz_curve([1, 0, 0, 0]).gini == pytest.approx(0.75)  # (n - 1) / n
    assert lorenz_curve([3, 3, 3]).gini == pytest.approx(0.0)


def test_lorenz_with_net_returners_overshoots_and_ends_at_one():
    # [5, 1, -1]: total 5 ; cumulative 5, 6, 5 -> shares 1.0, 1.2, 1.0
    lc = lorenz_curve(pd.Series([1.0, -1.0, 5.0]))
    np.testing.assert_allclose(lc.curve["share_of_value"], [0, 1.0, 1.2, 1.0])
    assert lc.gini > 1 - 1 / 3  # above the non-negative maximum (n - 1) / n
    with pytest.raises(ValueError, match="positive"):
        lorenz_curve([1.0, -2.0])


# --------------------------------------------------------------------------- invariants

money = st.floats(0, 1e4, allow_nan=False)
counts = st.floats(0, 100, allow_nan=False)
fractions = st.floats(0, 1, allow_nan=False)
FORMULAS = [clv_simple, clv_simple_cac_after_margin]


def _leq(a: float, b: float) -> bool:
    return a <= b + 1e-9 * max(1.0, abs(a), abs(b))


@settings(max_examples=60, deadline=None)
@given(aov=money, purchases=counts, cac=money, m1=fractions, m2=fractions)
def test_clv_monotone_in_margin(aov, purchases, cac, m1, m2):
    lo, hi = sorted((m1, m2))
    # after-margin form: always ; textbook form: while the gross value covers the CAC
    assert _leq(clv_simple_cac_after_margin(aov, purchases, cac, lo),
                clv_simple_cac_after_margin(aov, purchases, cac, hi))  # fmt: skip
    assume(aov * purchases >= cac)
    assert _leq(clv_simple(aov, purchases, cac, lo), clv_simple(aov, purchases, cac, hi))


@settings(max_examples=60, deadline=None)
@given(a1=money, a2=money, p1=counts, p2=counts, cac=money, margin=fractions)
def test_clv_monotone_in_aov_and_purchases_and_not_increasing_in_cac(a1, a2, p1, p2, cac, margin):
    (alo, ahi), (plo, phi) = sorted((a1, a2)), sorted((p1, p2))
    for fn in FORMULAS:
        assert _leq(fn(alo, plo, cac, margin), fn(ahi, plo, cac, margin))
        assert _leq(fn(alo, plo, cac, margin), fn(alo, phi, cac, margin))
        assert _leq(fn(ahi, phi, cac * 2, margin), fn(ahi, phi, cac, margin))


@st.composite
def tier_cases(draw):
    n = draw(st.integers(1, 120))
    values = draw(st.lists(st.floats(-1e3, 1e4, allow_nan=False), min_size=n, max_size=n))
    a, b = draw(st.floats(0.05, 0.45)), draw(st.floats(0.05, 0.45))
    return values, (a, 1 - a - b, b)


@settings(max_examples=60, deadline=None)
@given(case=tier_cases())
def test_tiers_partition_customers_with_the_stated_shares(case):
    values, shares = case
    frame = pd.DataFrame(
        {"total_value": values}, index=pd.Index(range(len(values)), name="customer_id")
    )
    tiers = value_tiers(frame, shares=shares)
    assert tiers.notna().all() and len(tiers) == len(values)
    counts = tiers.value_counts(sort=False).to_numpy()
    assert np.all(np.abs(counts - len(values) * np.array(shares)) <= 1)
    # ordered: every customer of a better tier is worth at least as much
    v = frame["total_value"]
    for better, worse in zip(tiers.cat.categories[:-1], tiers.cat.categories[1:], strict=True):
        if (tiers == better).any() and (tiers == worse).any():
            assert v[tiers == better].min() >= v[tiers == worse].max()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 1e4, allow_nan=False), min_size=1, max_size=80))
def test_lorenz_monotone_from_origin_to_one_and_gini_is_the_pairwise_formula(values):
    x = np.array(values)
    assume(x.sum() > 1e-6)
    lc = lorenz_curve(x)
    c = lc.curve
    assert (c.iloc[0] == 0).all() and (c.iloc[-1] == 1).all()
    assert (np.diff(c["share_of_customers"]) > 0).all()
    assert (np.diff(c["share_of_value"]) >= -1e-12).all()
    n = len(x)
    pairwise = np.abs(x[:, None] - x[None, :]).sum() / (2 * n**2 * x.mean())
    assert lc.gini == pytest.approx(pairwise, abs=1e-9)
    assert -1e-12 <= lc.gini <= (n - 1) / n + 1e-12


# --------------------------------------------------------------------------- calibration on data


def _holdout_check(tx, calibration_end, holdout_end):
    from clvlib.compare.metrics import decile_calibration, forecast_errors, spearman
    from clvlib.data.summary import calibration_holdout

    cal = calibration_holdout(tx, calibration_end=calibration_end, holdout_end=holdout_end)
    summary = cal[[c for c in cal.columns if not c.startswith("holdout")]]
    cut = tx[tx["timestamp"] < pd.Timestamp(calibration_end) + pd.Timedelta(days=1)]
    model = HeuristicCLV().fit(cut, observation_end=calibration_end)
    horizon = cal.attrs["holdout_length"]
    predicted = model.predict_value(summary, horizon=horizon)
    errors = forecast_errors(predicted, cal["holdout_value"])
    deciles = decile_calibration(predicted, cal["holdout_value"])
    longer = model.predict_value(summary, horizon=5 * horizon).sum()
    return errors, spearman(predicted, cal["holdout_value"]), deciles, longer / predicted.sum()


def test_calibrated_on_the_simulated_shop():
    import clvlib

    tx, _ = clvlib.load_transactions(clvlib.load_default_shop().transactions)
    errors, rho, deciles, longer = _holdout_check(tx, "2024-06-30", "2024-12-31")
    # measured +22.3 % (the old repeat-rate heuristic gave -87 %; benchmarks/README.md)
    assert -30 <= errors.total_error_pct <= 30
    assert rho >= 0.288  # old heuristic 0.308 minus 0.02 (measured 0.349)
    assert deciles["customers"].sum() == errors.n  # every customer in one decile
    assert (deciles["ratio"].iloc[3:] > 0.5).all()  # no decile off by a factor of 2 (the
    assert (deciles["ratio"].iloc[3:] < 2.0).all()  # lowest deciles realise near nothing)
    assert longer > 2  # five times the horizon: the forecast grows (old heuristic: 1.0002)


def test_calibrated_on_uci_online_retail(online_retail_path):
    import clvlib

    tx, _ = clvlib.load_online_retail(online_retail_path)
    errors, rho, _, longer = _holdout_check(tx, "2011-06-30", "2011-12-09")
    # measured -29.6 % (old -89 %; -40.2 % with L from the uncensored gaps): the Christmas
    # season in the holdout is beyond a flat rate
    assert -40 <= errors.total_error_pct <= 40
    assert rho >= 0.527  # old heuristic 0.547 minus 0.02 (measured 0.575)
    assert longer > 1.5  # old heuristic: 1.005


# --------------------------------------------------------------------------- the seeds' analyses


def _orders() -> pd.DataFrame:
    # customer 1: first order O1 (two lines, 30 + 20, cost 10 + 10) then O2 ; customer 2: O3
    # (discounted, 40, cost 30) then a return ; customer 3: O4 (discounted, 10) and O5 (90)
    rows = [
        (1, "O1", "2024-01-01 10:00", 30.0, 10.0, False, False),
        (1, "O1", "2024-01-01 10:00", 20.0, 10.0, False, False),
        (1, "O2", "2024-02-01 10:00", 100.0, 50.0, False, False),
        (2, "R1", "2023-12-31 10:00", -5.0, -2.0, True, False),
        (2, "O3", "2024-01-05 10:00", 40.0, 30.0, False, True),
        (3, "O4", "2024-01-03 10:00", 10.0, 9.0, False, True),
        (3, "O5", "2024-01-03 10:00", 90.0, 45.0, False, False),
    ]
    columns = ["customer_id", "order_id", "timestamp", "amount", "cost", "is_return"]
    frame = pd.DataFrame(rows, columns=[*columns, "discounted"])
    frame["timestamp"] = pd.to_datetime(frame["timestamp"])
    return frame


def _seeds_summary() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "total_value": [150.0, 35.0, 100.0],
            "gross_profit": [80.0, 8.0, 46.0],
            "n_orders": [2, 1, 2],
            "channel": ["ads", "seo", "ads"],
        },
        index=pd.Index([1, 2, 3], name="customer_id"),
    )


def test_first_order_profit_and_the_clv_multiple():
    summary = _seeds_summary()
    first = first_order_profit(_orders(), summary)
    # 1: O1 = 50 - 20 = 30 ; 2: O3 = 10 (the earlier return is no order) ; 3: O4 and O5 at
    # the same time, O4 first by id -> 1
    assert first.tolist() == [30.0, 10.0, 1.0]
    no_cost = _orders().drop(columns="cost")
    assert first_order_profit(no_cost, summary, margin=0.5).tolist() == [25.0, 20.0, 5.0]
    with pytest.raises(ValueError, match="margin="):
        first_order_profit(no_cost, summary)
    clv = pd.Series([300.0, 20.0, 40.0], index=summary.index)
    table = clv_vs_first_order(summary, first, clv, by="channel")
    # ads: first (30 + 1) / 2 = 15.5, clv 170 -> 10.97x ; all: 41 / 3, 360 / 3
    assert table.index.tolist() == ["ads", "seo", "all customers"]
    assert table.loc["ads", "clv_multiple"] == pytest.approx(170 / 15.5)
    assert table.loc["all customers", "customers"] == 3
    assert table.loc["all customers", "clv_multiple"] == pytest.approx(120 / (41 / 3))


def test_channel_economics_by_hand():
    summary = _seeds_summary()
    clv = pd.DataFrame(
        {
            "cac": [10.0, 5.0, 30.0],
            "clv_lifetime": [60.0, 4.0, 20.0],
            "margin_per_period": [6.0, 1.0, 2.0],
            "p_active": [1.0, 0.5, 1.0],
        },
        index=summary.index,
    )
    table = channel_economics(clv, summary, by="channel")
    # ads: cac 20, ltv 40 -> 2.0 ; margin now (6 + 2) / 2 = 4 -> payback 5 periods
    assert table.loc["ads", "ltv_to_cac"] == pytest.approx(2.0)
    assert table.loc["ads", "payback_periods"] == pytest.approx(5.0)
    # seo: cac 5 > ltv 4: does not pay back ; payback 5 / 0.5 = 10 periods
    assert not table.loc["seo", "pays_back"] and table.loc["ads", "pays_back"]
    assert table.loc["seo", "payback_periods"] == pytest.approx(10.0)


def test_tier_table_shows_returns_predicted_clv_and_strategy(summary):
    summary = summary.assign(returned_value=np.where(summary["total_value"] >= 50, 5.0, 0.0))
    tiers = value_tiers(summary)
    clv = pd.Series(np.arange(len(summary), dtype=float), index=summary.index)
    table = tier_table(summary, tiers, clv=clv)
    # top tier: customers 3 and 7 (net 100 and 50), returned 5 each: 10 of gross 160
    assert table.loc["top 20 %", "return_share"] == pytest.approx(10 / 160)
    assert table.loc["middle 60 %", "return_share"] == 0
    assert table.loc["top 20 %", "strategy"].startswith("keep the good")
    assert table.loc["top 20 %", "mean_predicted_clv"] == pytest.approx(clv.loc[[3, 7]].mean())


def test_tier_strategy_advises_curbing_returns_only_when_the_tier_returns_more(summary):
    summary = summary.assign(total_value=summary["total_value"] + 20)  # every customer bought
    # no returns at all (CDNOW): the bottom tier's strategy must not say "curb returns"
    none = summary.assign(returned_value=0.0)
    table = tier_table(none, value_tiers(none))
    assert table.loc["bottom 20 %", "return_share"] == 0
    assert "returns" not in table.loc["bottom 20 %", "strategy"]
    # the bottom tier returns far more than the rest: the advice appears, with its figures
    low = summary["total_value"] < summary["total_value"].quantile(0.2)
    many = summary.assign(returned_value=np.where(low, 20.0, 1.0))
    table = tier_table(many, value_tiers(many))
    assert "curb returns" in table.loc["bottom 20 %", "strategy"]
    assert "%" in table.loc["bottom 20 %", "strategy"]


def test_discount_shoppers_by_hand():
    summary = _seeds_summary()
    clv = pd.Series([100.0, 10.0, 50.0], index=summary.index)
    table = discount_shoppers(_orders(), summary, clv)
    # 2 bought everything on discount ; 3 bought 10 of 100 (0.1) ; 1 nothing
    assert table["customers"].tolist() == [1, 2]
    assert table.loc["discount shoppers", "mean_predicted_clv"] == 10.0
    assert table.loc["full price", "mean_discount_share"] == pytest.approx(0.05)
    assert table.loc["full price", "margin"] == pytest.approx(126 / 250)
    assert table["share_of_customers"].sum() == pytest.approx(1.0)


def test_retention_policies_by_hand():
    clv = pd.DataFrame(
        {
            "value_per_period": [10.0, 1.0, 4.0, 8.0, 2.0],
            "p_active": [1.0, 1.0, 0.5, 0.25, 1.0],
            "clv_discounted": [100.0, 5.0, 20.0, 15.0, 8.0],
        },
        index=pd.Index(list("abcde"), name="customer_id"),
    )
    clv.attrs["retention"] = 0.5
    table = retention_policies(clv, discount=0.1, top=0.2, periods=1)
    # one period: s = 0.5 ; top 20 % of 5 = customer a: expected 10 x 0.5 = 5, cost 0.5
    first = table.iloc[0]
    assert (first["customers"], first["expected_revenue"]) == (1, 5.0)
    assert first["cost"] == pytest.approx(0.5)
    # lapsing and above the median value (4): d (8, p 0.25): 8 x 0.25 x 0.5 = 1, offer
    # 0.1 x 1.75 -> cost 0.175 ; c has p 0.5 but value 4 is not above the median
    second = table.iloc[1]
    assert second["customers"] == 1
    assert second["cost"] == pytest.approx(0.175)


def test_report_retention_facts_and_red_flag(tx):
    from clvlib.report.notebook import heuristic_retention

    model = HeuristicCLV(margin=0.5, gap_quantile=0.5, window=None)
    model.fit(tx, observation_end="2011-03-31")
    summary = _monthly_summary()
    facts = heuristic_retention(model, model.predict_clv(summary, time_unit="M"), summary)
    assert facts["a customer counts as lost after"] == "1 month without a purchase"
    assert facts["customer-months observed while still a customer"] == 5
    assert facts["customers lost in them"] == 2
    assert facts["expected lifetime"] == "2.5 months (0.2 years)"
    # money is written as money (with the page's currency), never read as a share
    with use_currency("EUR"):
        facts = heuristic_retention(model, model.predict_clv(summary, time_unit="M"), summary)
    year = facts["margin of one year per customer at today's pace (mean)"]
    assert year.startswith("€") and "%" not in year
    # lifetime 2.5 months = 0.21 years: below one year of margin, flagged
    assert facts["sanity check"].startswith("the lifetime margin is 0.21 x the margin of one year")
    assert facts["sanity check"].endswith("a red flag")


# --- the lazy log (an ibis Table) gives the same answers -------------------------------


def test_first_order_profit_and_discount_shoppers_take_the_lazy_log():
    import ibis

    summary = _seeds_summary()
    lazy = ibis.memtable(_orders())
    assert first_order_profit(lazy, summary).tolist() == [30.0, 10.0, 1.0]
    no_cost = ibis.memtable(_orders().drop(columns="cost"))
    assert first_order_profit(no_cost, summary, margin=0.5).tolist() == [25.0, 20.0, 5.0]
    clv = pd.Series([100.0, 10.0, 50.0], index=summary.index)
    pd.testing.assert_frame_equal(
        discount_shoppers(lazy, summary, clv), discount_shoppers(_orders(), summary, clv)
    )
    with pytest.raises(TypeError, match="clean transaction log"):
        first_order_profit(_orders().to_dict(), summary)


def test_heuristic_clv_fitted_on_the_lazy_log_is_the_same_model():
    import clvlib

    shop = clvlib.load_default_shop()
    tx, _ = clvlib.load_transactions(shop.transactions)
    lazy, _ = clvlib.load_transactions(shop.transactions, lazy=True)
    end = "2024-06-30"
    summary = clvlib.customer_summary(tx, observation_end=end)
    eager_model = HeuristicCLV().fit(tx, observation_end=end)
    lazy_model = HeuristicCLV().fit(lazy, observation_end=end)
    assert lazy_model.retention_ == eager_model.retention_
    assert lazy_model.lapse_periods_ == eager_model.lapse_periods_
    pd.testing.assert_frame_equal(
        lazy_model.predict_clv(summary), eager_model.predict_clv(summary), check_exact=True
    )


def test_retention_and_survival_read_the_lazy_log():
    import ibis

    from clvlib.methods.survival import estimate_retention

    frame = _orders()
    lazy = ibis.memtable(frame)
    end = "2024-02-29"
    eager_r = estimate_retention(frame, observation_end=end)
    lazy_r = estimate_retention(lazy, observation_end=end)
    assert lazy_r.rate == eager_r.rate
    pd.testing.assert_frame_equal(lazy_r.table, eager_r.table)
    missing = ibis.memtable(frame.assign(customer_id=[1, None, 2, 2, 3, 3, 3]))
    with pytest.raises(ValueError, match="'customer_id' is missing in 1 line"):
        estimate_retention(missing, observation_end=end)


def test_policies_by_segment_add_up_to_the_policies_and_recommend_one():
    from clvlib.methods.analyses import POLICIES, policies_by_segment

    clv = pd.DataFrame(
        {
            "value_per_period": [10.0, 1.0, 4.0, 8.0, 2.0, 6.0],
            "p_active": [1.0, 1.0, 0.5, 0.25, 1.0, 0.5],
            "clv_discounted": [100.0, 5.0, 20.0, 15.0, 8.0, 30.0],
        },
        index=pd.Index(list("abcdef"), name="customer_id"),
    )
    clv.attrs["retention"] = 0.5
    segments = pd.Series(["best", "rest", "rest", "lapsing", "rest", "lapsing"], index=clv.index)
    whole = retention_policies(clv, discount=0.1, top=0.2, periods=3)
    table = policies_by_segment(clv, segments, discount=0.1, top=0.2, periods=3, lift=0.1)
    total = table.loc["all segments"]
    # the same targets and costs as retention_policies, split by segment
    assert total["importance_customers"] == whole.loc[POLICIES[0], "customers"]
    assert total["importance_cost"] == pytest.approx(whole.loc[POLICIES[0], "cost"])
    assert total["lapsing_cost"] == pytest.approx(whole.loc[POLICIES[1], "cost"])
    assert table.drop("all segments")["lapsing_cost"].sum() == pytest.approx(total["lapsing_cost"])
    # value won = lift x predicted CLV of the targeted; net = won - cost
    won = 0.1 * clv.loc["a", "clv_discounted"]
    assert table.loc["best", "importance_value_won"] == pytest.approx(won)
    assert table.loc["best", "importance_net_value"] == pytest.approx(
        won - table.loc["best", "importance_cost"]
    )
    stats = table.attrs["policies"]
    best = table.attrs["recommended"]
    assert stats[best]["net_value"] == max(s["net_value"] for s in stats.values())
    cost = stats[POLICIES[0]]["cost"]
    assert stats[POLICIES[0]]["break_even_lift"] == pytest.approx(cost / 100.0)
    with pytest.raises(ValueError, match="lift"):
        policies_by_segment(clv, segments, lift=1.5)


def test_channel_value_is_one_clv_per_channel(summary):
    from clvlib.methods.analyses import channel_value

    clv = pd.DataFrame(
        {
            "clv_discounted": summary["total_value"] * 2,
            "clv_lifetime": summary["total_value"] * 3,  # another quantity: never mixed in
            "cac": summary["cac"],
            "margin_per_period": [1.0] * len(summary),
            "p_active": [0.5] * len(summary),
        },
        index=summary.index,
    )
    first = pd.Series(10.0, index=summary.index)
    table = channel_value(clv, summary, first, by="channel")
    by_group = clv_by_group(summary, clv["clv_discounted"], by="channel")
    for channel in ("ads", "seo"):  # the same figure as the CLV-per-channel table
        assert table.loc[channel, "mean_predicted_clv"] == by_group.loc[channel, "mean_clv"]
        assert table.loc[channel, "clv_multiple"] == pytest.approx(
            by_group.loc[channel, "mean_clv"] / 10.0
        )
        assert table.loc[channel, "ltv_to_cac"] == pytest.approx(
            by_group.loc[channel, "mean_clv"] / 5.0
        )
    assert table.loc["all customers", "payback_periods"] == pytest.approx(5.0 / 0.5)
    assert table.loc["all customers", "mean_predicted_clv"] == pytest.approx(2 * 240 / 10)
