"""Tests of the simulated shop: determinism, the committed data, log invariants, the truth."""

from __future__ import annotations

import importlib.util
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clvlib.data.shop import (
    DATA_DIR,
    DEFAULT_CONFIG,
    TX_COLUMNS,
    Shop,
    load_default_shop,
    simulate_shop,
)

PROJECT_ROOT = DATA_DIR.parent
DAY = pd.Timedelta(days=1)


@pytest.fixture(scope="module")
def default_shop() -> Shop:
    return load_default_shop()


@pytest.fixture(scope="module")
def long_shop() -> Shop:
    """Several thousand customers simulated to 2024-12-31: the truth is checked on it."""
    return simulate_shop(n_customers=12_000, start="2022-01-01", end="2024-12-31", seed=11)


def _lines(shop: Shop) -> pd.DataFrame:
    """The log with amount, cost, return flag and the number shared by an order and its return."""
    tx = shop.transactions
    return tx.assign(
        amount=tx["quantity"] * tx["unit_price"],
        cost=tx["quantity"] * tx["unit_cost"],
        is_return=tx["order_id"].str.startswith("R"),
        number=tx["order_id"].str.slice(1).astype("int64"),
    )


def _realised(shop: Shop, truth: pd.DataFrame) -> pd.DataFrame:
    """What each customer of ``truth`` did in its window: orders, and their net value and profit.

    Returns are counted with the order they belong to (as the truth counts them), whenever
    they arrive.
    """
    lines = _lines(shop)
    lo = truth.attrs["at"] + DAY
    hi = truth.attrs["holdout_end"] + DAY
    placed = lines.loc[~lines["is_return"]].groupby("number")["timestamp"].first()
    in_window = placed.index[(placed >= lo) & (placed < hi)]
    sel = lines.loc[lines["number"].isin(in_window)]
    purchases = sel.loc[~sel["is_return"]]
    out = pd.DataFrame(
        {
            "orders": purchases.groupby("customer_id")["order_id"].nunique(),
            "value": sel.groupby("customer_id")["amount"].sum(),
            "profit": (sel["amount"] - sel["cost"]).groupby(sel["customer_id"]).sum(),
        }
    )
    return out.reindex(truth.index, fill_value=0).astype(float)


def _z(realised: pd.Series, expected: pd.Series) -> float:
    """Mean of realised minus expected, in standard errors of that mean."""
    diff = realised - expected
    return diff.mean() / (diff.std(ddof=1) / math.sqrt(len(diff)))


def _check_log(shop: Shop) -> None:
    """Invariants every simulated log satisfies, whatever the seed and size."""
    tx, customers, params = shop.transactions, shop.customers, shop.params
    assert list(tx.columns) == TX_COLUMNS
    lines = _lines(shop)
    # every line's customer exists; prospects never appear; every buyer does
    assert tx["customer_id"].isin(customers.index).all()
    in_log = set(tx["customer_id"])
    assert in_log == set(params.index[params["is_buyer"]])
    # the log is in time order, within the simulated period
    assert tx["timestamp"].is_monotonic_increasing
    if len(tx):
        assert tx["timestamp"].min() >= shop.start
        assert tx["timestamp"].max() < shop.end + DAY
    # purchases positive, returns negative; prices and costs at least a cent
    assert (lines.loc[~lines["is_return"], "quantity"] > 0).all()
    assert (lines.loc[lines["is_return"], "quantity"] < 0).all()
    assert (tx["unit_price"] >= 0.01).all() and (tx["unit_cost"] >= 0.01).all()
    # an order id is one customer at one instant
    per_order = tx.groupby("order_id")[["customer_id", "timestamp"]].nunique()
    assert (per_order == 1).all().all()
    # each return line is a line of an earlier order of the same customer, at most once,
    # with the same goods and prices: per order, returned quantities never exceed the bought
    key = ["number", "customer_id", "unit_price", "unit_cost", "discounted", "channel"]
    bought = lines.loc[~lines["is_return"]].groupby(key, observed=True)["quantity"].sum()
    back = -lines.loc[lines["is_return"]].groupby(key, observed=True)["quantity"].sum()
    assert back.index.isin(bought.index).all()
    assert (back <= bought.reindex(back.index)).all()
    placed = lines.loc[~lines["is_return"]].groupby("number")["timestamp"].first()
    returned_at = lines.loc[lines["is_return"]].groupby("number")["timestamp"].first()
    delay = (returned_at - placed.reindex(returned_at.index)) / DAY
    assert delay.between(1, 31).all()  # 2-30 days, time of day reshaped within each day
    # the first order is at sign-up; nothing after a drop-out; order counts match the log
    buyers = params.loc[params["is_buyer"]]
    first = lines.groupby("customer_id")["timestamp"].min()
    last = lines.loc[~lines["is_return"]].groupby("customer_id")["timestamp"].max()
    assert first.reindex(buyers.index).equals(buyers["first_purchase"].rename("timestamp"))
    assert (
        customers.loc[buyers.index, "signup_date"] == buyers["first_purchase"].dt.floor("D")
    ).all()
    died = buyers["death_time"].notna()
    assert (last[died[died].index] == buyers.loc[died, "death_time"]).all()
    n_orders = lines.loc[~lines["is_return"]].groupby("customer_id")["order_id"].nunique()
    assert (params["n_orders"] == n_orders.reindex(params.index, fill_value=0)).all()
    # channel of every line is its customer's channel
    assert (
        tx["channel"].to_numpy() == customers.loc[tx["customer_id"], "channel"].to_numpy()
    ).all()


# -- determinism and the committed data -----------------------------------------------------


def test_same_seed_same_shop_different_seed_different_shop():
    a = simulate_shop(n_customers=1500, seed=7)
    b = simulate_shop(n_customers=1500, seed=7)
    c = simulate_shop(n_customers=1500, seed=8)
    for name in ("transactions", "customers", "params"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    assert not a.customers.equals(c.customers)
    assert len(a.transactions) != len(c.transactions) or not a.transactions.equals(c.transactions)


def test_regenerating_default_data_is_byte_identical(tmp_path):
    spec = importlib.util.spec_from_file_location(
        "make_default_data", PROJECT_ROOT / "scripts" / "make_default_data.py"
    )
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    written = script.main(tmp_path)
    assert {p.name for p in written} == {p.name for p in DATA_DIR.iterdir() if p.suffix != ".md"}
    for path in written:
        assert path.read_bytes() == (DATA_DIR / path.name).read_bytes(), path.name


def test_default_shop_is_the_default_simulation(default_shop):
    sim = simulate_shop()
    pd.testing.assert_frame_equal(default_shop.transactions, sim.transactions)
    pd.testing.assert_frame_equal(default_shop.customers, sim.customers)
    pd.testing.assert_frame_equal(default_shop.params, sim.params, rtol=1e-9)
    assert (default_shop.start, default_shop.end, default_shop.seed) == (sim.start, sim.end, 2024)
    assert default_shop.config == DEFAULT_CONFIG


def test_default_shop_size_and_schema(default_shop):
    tx, customers = default_shop.transactions, default_shop.customers
    assert 50_000 <= len(tx) <= 100_000
    assert sum(p.stat().st_size for p in DATA_DIR.glob("*.csv")) < 10e6
    assert tx["customer_id"].dtype == "int64" and tx["quantity"].dtype == "int64"
    assert tx["timestamp"].dtype == "datetime64[us]" and tx["discounted"].dtype == bool
    assert (tx["timestamp"] != tx["timestamp"].dt.normalize()).mean() > 0.99  # times of day
    assert customers.index.name == "customer_id"
    assert list(customers.columns) == ["signup_date", "channel", "cac"]
    # sign-ups spread over the whole period, every quarter of it
    quarters = customers["signup_date"].dt.to_period("Q").value_counts()
    assert len(quarters) == 12 and quarters.min() > 0.04 * len(customers)
    _check_log(default_shop)


# -- structure of the log ---------------------------------------------------------------------


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n_customers=st.integers(1, 300),
    seed=st.integers(0, 2**32 - 1),
    days=st.integers(0, 800),
)
def test_log_invariants_hold_for_any_seed_and_size(n_customers, seed, days):
    start = pd.Timestamp("2023-01-01")
    shop = simulate_shop(
        n_customers=n_customers, start=start, end=start + pd.Timedelta(days=days), seed=seed
    )
    assert len(shop.customers) == n_customers
    _check_log(shop)


def test_log_invariants_on_a_long_simulation(long_shop):
    _check_log(long_shop)


def test_returns_prospects_discounts_margins_heavy_tail(default_shop):
    lines = _lines(default_shop)
    params = default_shop.params
    buy = lines.loc[~lines["is_return"]]
    # prospects exist and are a minority
    assert 0.15 < 1 - params["is_buyer"].mean() < 0.40
    # returners return much of what they buy, the others little
    value = buy.groupby("customer_id")["amount"].sum()
    returned = -lines.loc[lines["is_return"]].groupby("customer_id")["amount"].sum()
    share = returned.reindex(value.index, fill_value=0) / value
    returner = params.loc[value.index, "is_returner"]
    assert share[returner].mean() > 0.25 and share[~returner].mean() < 0.05
    # margins at list price lie in 25-60 %; discounts lower the margin
    margin = 1 - buy["unit_cost"] / buy["unit_price"]
    full = ~buy["discounted"] & (buy["unit_price"] >= 5)  # away from cent rounding
    assert margin[full].between(0.24, 0.61).all()
    assert margin[buy["discounted"]].mean() < margin[~buy["discounted"]].mean() - 0.1
    assert 0.1 < buy.drop_duplicates("order_id")["discounted"].mean() < 0.3
    # orders have 1..several lines; a few orders are many times the typical one
    order_value = buy.groupby("order_id")["amount"].sum()
    lines_per_order = buy.groupby("order_id").size()
    assert lines_per_order.min() == 1 and lines_per_order.max() >= 5
    assert 2.3 < lines_per_order.mean() < 2.7
    assert order_value.max() > 20 * order_value.median()


def test_channels_differ_in_cost_and_quality_as_designed(default_shop):
    customers = default_shop.customers.join(default_shop.params)
    by_channel = customers.groupby("channel", observed=True)
    designed = pd.DataFrame(DEFAULT_CONFIG["channels"]).T
    # CAC: the channels rank as configured, each mean near its configured CAC
    cac = by_channel["cac"].mean()
    assert list(cac.sort_values().index) == list(designed["cac"].sort_values().index)
    lognormal_mean = np.exp(DEFAULT_CONFIG["cac_sigma"] ** 2 / 2)
    np.testing.assert_allclose(cac, designed.loc[cac.index, "cac"] * lognormal_mean, rtol=0.05)
    # prospects: social brings the most sign-ups who never buy, referral the fewest
    prospects = 1 - by_channel["is_buyer"].mean()
    assert prospects.idxmax() == "social" and prospects.idxmin() == "referral"
    # quality in the log: net value per buyer, referral > paid search > social
    lines = _lines(default_shop)
    net = lines.groupby("customer_id")["amount"].sum()
    per_buyer = net.groupby(default_shop.customers.loc[net.index, "channel"], observed=True).mean()
    assert per_buyer["referral"] > 1.2 * per_buyer["paid_search"] > 1.2 * per_buyer["social"]
    # discount shoppers come through affiliates
    discounted = lines.groupby("channel", observed=True)["discounted"].mean()
    assert discounted.idxmax() == "affiliate"


# -- the truth --------------------------------------------------------------------------------


def _hand_shop() -> Shop:
    """Six customers whose truth at 2024-06-30 was worked out by hand (see the test)."""
    ids = pd.Index([1, 2, 3, 4, 5, 6], name="customer_id")
    signup = pd.to_datetime(["2024-01-01"] * 5 + ["2024-07-15"]).astype("datetime64[us]")
    customers = pd.DataFrame({"signup_date": signup, "channel": "organic", "cac": 1.0}, ids)
    death = pd.to_datetime(
        [None, "2024-03-01 10:00", "2024-07-01 09:00", "2024-06-30 23:00", None, None]
    ).astype("datetime64[us]")
    params = pd.DataFrame(
        {
            "is_buyer": [True, True, True, True, False, True],
            "lambda": [0.01, 0.05, 0.02, 0.05, np.nan, 0.01],
            "p": [0.2, 0.3, 0.5, 0.3, np.nan, 0.2],
            "return_share": [0.1, 0.0, 0.0, 0.0, np.nan, 0.0],
            "mean_order_value": [100.0, 50.0, 80.0, 50.0, np.nan, 10.0],
            "mean_order_cost": [60.0, 30.0, 50.0, 30.0, np.nan, 5.0],
            "death_time": death,
        },
        index=ids,
    )
    tx = pd.DataFrame(columns=TX_COLUMNS)
    return Shop(tx, customers, params, pd.Timestamp("2024-01-01"), pd.Timestamp("2024-12-31"), 0)


def test_truth_by_hand():
    truth = _hand_shop().truth("2024-06-30", horizon=100)
    # customer 6 signs up after the cut-off: not in the truth
    assert list(truth.index) == [1, 2, 3, 4, 5]
    # alive: 1 (never drops out), 3 (drops out after 2024-07-01 00:00); dead: 2 and 4 (dropped
    # out on or before 2024-06-30), 5 (a prospect)
    assert truth["alive"].tolist() == [True, False, True, False, False]
    # 1: (1 - exp(-0.01 * 0.2 * 100)) / 0.2 = 5 (1 - e^-0.2) = 0.906346234
    #    value 0.906346234 x 100 x (1 - 0.1) = 81.5711611; profit x (100 - 60) x 0.9 = 32.6284644
    # 3: (1 - exp(-0.02 * 0.5 * 100)) / 0.5 = 2 (1 - e^-1) = 1.264241118
    #    value x 80 = 101.1392894; profit x 30 = 37.9272335
    np.testing.assert_allclose(truth["expected_orders"], [0.906346234, 0, 1.264241118, 0, 0])
    np.testing.assert_allclose(truth["expected_value"], [81.5711611, 0, 101.1392894, 0, 0])
    np.testing.assert_allclose(truth["expected_profit"], [32.6284644, 0, 37.9272335, 0, 0])
    assert truth.attrs["holdout_end"] == pd.Timestamp("2024-10-08")
    assert truth.attrs["horizon_days"] == 100


def test_truth_horizon_units_and_small_dropout_limit():
    shop = _hand_shop()
    months = shop.truth("2024-01-31", horizon=1, time_unit="M")
    assert months.attrs["holdout_end"] == pd.Timestamp("2024-02-29")
    assert months.attrs["horizon_days"] == 29
    weeks = shop.truth("2024-06-30", horizon=2, time_unit="W")
    days = shop.truth("2024-06-30", horizon=14, time_unit="D")
    pd.testing.assert_frame_equal(weeks, days)
    # p -> 0: no drop-out, lambda x h orders
    shop.params.loc[1, "p"] = 1e-9
    assert shop.truth("2024-06-30", horizon=100).loc[1, "expected_orders"] == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"at": "2025-01-01", "horizon": 10}, "after the end"),
        ({"at": "2024-06-30", "horizon": 0}, "horizon must be positive"),
        ({"at": "2024-06-30", "horizon": 1.5, "time_unit": "M"}, "whole number"),
        ({"at": "2024-06-30", "horizon": 1, "time_unit": "Y"}, "time_unit"),
    ],
)
def test_truth_rejects_bad_arguments(kwargs, message):
    shop = _hand_shop()
    at = kwargs.pop("at")
    with pytest.raises(ValueError, match=message):
        shop.truth(at, **kwargs)


@pytest.mark.parametrize(
    ("at", "horizon", "time_unit"),
    [("2023-06-30", 180, "D"), ("2023-12-31", 26, "W"), ("2024-03-31", 6, "M")],
)
def test_truth_matches_realised_behaviour(long_shop, at, horizon, time_unit):
    """Mean realised orders, net value and profit over the window agree with the truth.

    Customers are independent given their parameters, so the mean of realised minus expected
    has standard error sd / sqrt(n) (n is several thousand); 4 standard errors is the
    tolerance. The same test rejects the no-drop-out prediction lambda x h, so it has power.
    """
    truth = long_shop.truth(at, horizon=horizon, time_unit=time_unit)
    assert truth.attrs["holdout_end"] <= long_shop.end - pd.Timedelta(days=30)  # returns in
    assert truth["alive"].sum() > 3000
    realised = _realised(long_shop, truth)
    for col, expected in [("orders", "orders"), ("value", "value"), ("profit", "profit")]:
        assert abs(_z(realised[col], truth[f"expected_{expected}"])) < 4, col
    # the dead buy nothing
    assert (realised.loc[~truth["alive"]] == 0).all().all()
    # the truth ranks customers: in each quintile of expected orders, the same agreement
    alive = truth.loc[truth["alive"]]
    quintile = pd.qcut(alive["expected_orders"].rank(method="first"), 5, labels=False)
    for q in range(5):
        ids = alive.index[quintile == q]
        assert abs(_z(realised.loc[ids, "orders"], alive.loc[ids, "expected_orders"])) < 4, q
    # power: ignoring drop-out (lambda x h) is rejected by the same tolerance
    lam = long_shop.params.loc[truth.index, "lambda"]
    naive = np.where(truth["alive"], lam * truth.attrs["horizon_days"], 0.0)
    assert abs(_z(realised["orders"], pd.Series(naive, truth.index))) > 4


def test_alive_flags_agree_with_later_activity(long_shop):
    lines = _lines(long_shop)
    purchases = lines.loc[~lines["is_return"]]
    for at in ["2022-09-30", "2023-06-30", "2024-03-31", "2024-12-31"]:
        truth = long_shop.truth(at, horizon=30)
        cut = pd.Timestamp(at) + DAY
        later = purchases.loc[purchases["timestamp"] >= cut, "customer_id"].unique()
        later = truth.index.intersection(later)
        assert truth.loc[later, "alive"].all()  # bought after `at` -> was alive at `at`
        # and those who had dropped out never buy again
        dead = truth.index[~truth["alive"]]
        assert not purchases.loc[purchases["timestamp"] >= cut, "customer_id"].isin(dead).any()
        # the alive are buyers
        assert long_shop.params.loc[truth.index[truth["alive"]], "is_buyer"].all()


# -- configuration -------------------------------------------------------------------------------


def test_config_errors_name_the_problem():
    with pytest.raises(ValueError, match="unknown config keys"):
        simulate_shop(n_customers=10, config={"purchase_rate": 1.0})
    channels = {"a": dict(DEFAULT_CONFIG["channels"]["organic"], share=0.5)}
    with pytest.raises(ValueError, match="sum to 1"):
        simulate_shop(n_customers=10, config={"channels": channels})
    channels = {"a": {"share": 1.0}}
    with pytest.raises(ValueError, match="channel 'a'"):
        simulate_shop(n_customers=10, config={"channels": channels})
    with pytest.raises(ValueError, match="n_customers"):
        simulate_shop(n_customers=0)


def test_single_neutral_channel_is_a_plain_bg_nbd_population():
    """With one neutral channel, lambda and p follow Gamma(r, alpha) and Beta(a, b) exactly."""
    neutral = {
        "share": 1.0,
        "cac": 10.0,
        "prospect_share": 0.0,
        "rate": 1.0,
        "dropout": 1.0,
        "spend": 1.0,
        "returner_share": 0.0,
        "discount_prob": 0.0,
    }
    shop = simulate_shop(n_customers=20_000, seed=3, config={"channels": {"web": neutral}})
    params = shop.params
    assert params["is_buyer"].all() and (params["discount_prob"] == 0).all()
    r, alpha = DEFAULT_CONFIG["purchase_rate_shape"], DEFAULT_CONFIG["purchase_rate_alpha"]
    a, b = DEFAULT_CONFIG["dropout_a"], DEFAULT_CONFIG["dropout_b"]
    sd_lam = math.sqrt(r) / alpha / math.sqrt(len(params))
    assert abs(params["lambda"].mean() - r / alpha) < 4 * sd_lam
    sd_p = math.sqrt(a * b / ((a + b) ** 2 * (a + b + 1))) / math.sqrt(len(params))
    assert abs(params["p"].mean() - a / (a + b)) < 4 * sd_p
    assert not shop.transactions["discounted"].any()
