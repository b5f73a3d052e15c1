"""Tests of clvlib.data.summary: hand-worked tiny log, invariants, lifetimes golden files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import clvlib
from clvlib.data.summary import calibration_holdout, customer_summary

DATA = Path(__file__).resolve().parent / "data"
BTYD = ["frequency", "recency", "T", "monetary_value"]
END = "2024-03-31"


def _frame(rows: dict[int, tuple], columns: list[str]) -> pd.DataFrame:
    out = pd.DataFrame.from_dict(rows, orient="index", columns=columns)
    out.index.name = "customer_id"
    return out


# --- the hand-worked tiny log (values derived in the tiny_tx docstring, tests/conftest.py) ---


@pytest.mark.parametrize(
    ("unit", "expected"),
    [
        # customer: frequency, recency, T, monetary_value, since_last_order
        ("D", {1: (2, 69, 90, 32.5, 21), 2: (0, 0, 0, 0.0, 0), 3: (1, 1, 55, 20.0, 54),
               5: (0, 0, 81, 0.0, 81)}),
        ("W", {1: (2, 9, 12, 32.5, 3), 2: (0, 0, 0, 0.0, 0), 3: (0, 0, 7, 0.0, 7),
               5: (0, 0, 11, 0.0, 11)}),
        ("M", {1: (1, 2, 2, 40.0, 0), 2: (0, 0, 0, 0.0, 0), 3: (0, 0, 1, 0.0, 1),
               5: (0, 0, 2, 0.0, 2)}),
    ],
)  # fmt: skip
def test_tiny_durations_by_hand(tiny_tx, unit, expected):
    summary = customer_summary(tiny_tx, observation_end=END, time_unit=unit)
    want = _frame(expected, [*BTYD, "since_last_order"])
    pd.testing.assert_frame_equal(summary[want.columns], want)
    assert summary.attrs == {"observation_end": END, "time_unit": unit}


def test_tiny_rfm_columns_by_hand(tiny_tx):
    summary = customer_summary(tiny_tx, observation_end=END)
    ts = pd.Timestamp
    want = _frame(
        {
            1: (4, 135.0, 36.25, 10.0, 54.0, ts("2024-01-01 10:00"), ts("2024-03-10 11:00")),
            2: (1, 60.0, 60.0, 0.0, 24.0, ts("2024-03-31 23:30"), ts("2024-03-31 23:30")),
            3: (3, 25.0, 15.0, 20.0, 10.0, ts("2024-02-05 09:00"), ts("2024-02-06 12:00")),
            5: (1, 80.0, 80.0, 0.0, 32.0, ts("2024-01-10 12:00"), ts("2024-01-10 12:00")),
        },
        [
            "n_orders",
            "total_value",
            "avg_order_value",
            "returned_value",
            "gross_profit",
            "first_purchase",
            "last_purchase",
        ],
    )
    pd.testing.assert_frame_equal(summary[want.columns], want, check_dtype=False, atol=1e-9)
    assert summary["channel"].tolist() == ["web", "app", "app", "partner"]
    assert summary["country"].tolist() == ["UK", "FR", "DE", "DE"]
    assert list(summary.columns) == [
        *BTYD,
        "since_last_order",
        *want.columns[:5],
        *want.columns[5:],
        "channel",
        "country",
    ]
    assert summary.dtypes[["frequency", "recency", "T", "n_orders"]].eq("int64").all()


def test_optional_columns_absent(tiny_tx):
    summary = customer_summary(
        tiny_tx.drop(columns=["cost", "channel", "country"]), observation_end=END
    )
    assert not {"gross_profit", "channel", "country"} & set(summary.columns)
    assert summary["total_value"].tolist() == [135.0, 60.0, 25.0, 80.0]


def test_customer_table(tiny_tx):
    customers = pd.DataFrame(
        {
            "customer_id": [1, 3, 6],  # 6 signed up and never bought: not summarised
            "channel": ["partner", None, "web"],
            "cac": [6.0, 3.0, 2.0],
            "signup_date": pd.to_datetime(["2023-12-20", "2024-02-01", "2024-03-01"]),
        }
    )
    before = customers.copy()
    summary = customer_summary(tiny_tx, observation_end=END, customers=customers)
    pd.testing.assert_frame_equal(customers, before)
    assert summary.index.tolist() == [1, 2, 3, 5]
    # the table's channel wins where given; else the channel of the first purchase
    assert summary["channel"].tolist() == ["partner", "app", "app", "partner"]
    np.testing.assert_array_equal(summary["cac"], [6.0, np.nan, 3.0, np.nan])
    assert summary.loc[1, "signup_date"] == pd.Timestamp("2023-12-20")
    assert pd.isna(summary.loc[2, "signup_date"])
    # indexed by customer_id works the same
    by_index = customer_summary(
        tiny_tx, observation_end=END, customers=customers.set_index("customer_id")
    )
    pd.testing.assert_frame_equal(by_index, summary)


def test_customer_table_channel_without_channel_in_log(tiny_tx):
    customers = pd.DataFrame({"channel": ["partner"]}, index=pd.Index([1], name="customer_id"))
    summary = customer_summary(
        tiny_tx.drop(columns="channel"), observation_end=END, customers=customers
    )
    assert summary["channel"].iloc[0] == "partner"
    assert summary["channel"].iloc[1:].isna().all()


@pytest.mark.parametrize(
    ("unit", "length", "cal"),
    [
        # customer: frequency, recency, T, monetary_value, n_orders, total_value (calibration)
        ("D", 55, {1: (1, 14, 35, 25.0, 3, 95.0), 3: (0, 0, 0, 0.0, 2, 25.0),
                   5: (0, 0, 26, 0.0, 1, 80.0)}),
        ("W", 7, {1: (1, 2, 5, 25.0, 3, 95.0), 3: (0, 0, 0, 0.0, 2, 25.0),
                  5: (0, 0, 4, 0.0, 1, 80.0)}),
    ],
)  # fmt: skip
def test_calibration_holdout_by_hand(tiny_tx, unit, length, cal):
    out = calibration_holdout(
        tiny_tx, calibration_end="2024-02-05", holdout_end=END, time_unit=unit
    )
    want_cal = _frame(cal, [*BTYD, "n_orders", "total_value"])
    pd.testing.assert_frame_equal(out[want_cal.columns], want_cal)
    want_holdout = _frame(
        {1: (1, 40.0, 1, True), 3: (1, 0.0, 1, True), 5: (0, 0.0, 0, False)},
        ["holdout_orders", "holdout_value", "holdout_purchase_periods", "bought_again"],
    )
    pd.testing.assert_frame_equal(out[want_holdout.columns], want_holdout)
    assert out.attrs == {
        "calibration_end": "2024-02-05",
        "holdout_end": END,
        "observation_end": "2024-02-05",
        "time_unit": unit,
        "holdout_length": length,
    }
    # the calibration part is the summary at calibration_end
    summary = customer_summary(tiny_tx, observation_end="2024-02-05", time_unit=unit)
    pd.testing.assert_frame_equal(out[summary.columns], summary, check_flags=False)


def test_observation_end_time_of_day_is_ignored(tiny_tx):
    at_midnight = customer_summary(tiny_tx, observation_end=pd.Timestamp(END))
    at_noon = customer_summary(tiny_tx, observation_end=dt.datetime(2024, 3, 31, 12, 0))
    pd.testing.assert_frame_equal(at_noon, at_midnight)
    assert 2 in at_noon.index  # bought at 23:30 on the last day


def test_callers_frame_not_mutated(tiny_tx):
    before = tiny_tx.copy(deep=True)
    customer_summary(tiny_tx, observation_end=END, time_unit="W")
    calibration_holdout(tiny_tx, calibration_end="2024-02-05", holdout_end=END)
    pd.testing.assert_frame_equal(tiny_tx, before)
    assert tiny_tx.attrs == {}


def test_a_parquet_path_is_that_file_not_a_pattern(tiny_tx, tmp_path):
    """Issue 18: DuckDB reads "tx?.parquet" as a pattern, which also matches "tx1.parquet"."""
    tiny_tx.to_parquet(tmp_path / "tx?.parquet")
    tiny_tx.assign(customer_id=tiny_tx["customer_id"] + 1000).to_parquet(tmp_path / "tx1.parquet")
    pd.testing.assert_frame_equal(
        customer_summary(tmp_path / "tx?.parquet", observation_end=END),
        customer_summary(tiny_tx, observation_end=END),
    )


def test_parquet_and_dataframe_give_identical_results(tiny_tx, tmp_path):
    path = tmp_path / "tx.parquet"
    tiny_tx.to_parquet(path)
    for unit in ("D", "W", "M"):
        pd.testing.assert_frame_equal(
            customer_summary(str(path), observation_end=END, time_unit=unit),
            customer_summary(tiny_tx, observation_end=END, time_unit=unit),
        )
    kwargs = {"calibration_end": "2024-02-05", "holdout_end": END}
    out = calibration_holdout(path, **kwargs)
    pd.testing.assert_frame_equal(out, calibration_holdout(tiny_tx, **kwargs))
    # the result itself can be stored: pandas writes attrs to Parquet as JSON
    out.to_parquet(tmp_path / "out.parquet")
    back = pd.read_parquet(tmp_path / "out.parquet")
    pd.testing.assert_frame_equal(back, out)
    assert back.attrs == out.attrs


def test_string_customer_ids(tiny_tx):
    as_str = tiny_tx.assign(customer_id="c" + tiny_tx["customer_id"].astype(str))
    summary = customer_summary(as_str, observation_end=END)
    assert summary.index.tolist() == ["c1", "c2", "c3", "c5"]
    assert summary["frequency"].tolist() == [2, 0, 1, 0]


def test_public_api_and_glossary():
    assert clvlib.customer_summary is customer_summary
    assert clvlib.calibration_holdout is calibration_holdout
    terms = clvlib.glossary().index
    for column in [
        *BTYD,
        "since_last_order",
        "n_orders",
        "total_value",
        "avg_order_value",
        "returned_value",
        "gross_profit",
        "first_purchase",
        "last_purchase",
        "holdout_orders",
        "holdout_value",
        "holdout_purchase_periods",
        "bought_again",
        "holdout_length",
    ]:
        assert column in terms, column


# --- bad input: clear errors that name the column and the rows ---------------------------


def test_missing_columns_are_named(tiny_tx):
    with pytest.raises(KeyError, match=r"\['order_id', 'is_return'\]"):
        customer_summary(tiny_tx.drop(columns=["order_id", "is_return"]), observation_end=END)


def test_bad_amounts_name_the_rows(tiny_tx, tmp_path):
    bad = tiny_tx.copy()
    bad.loc[3, "amount"] = -5.0  # a purchase line with a negative amount
    bad.loc[12, "amount"] = 20.0  # a return line with a positive amount
    bad.loc[[7, 9], "amount"] = np.nan
    bad.index = bad.index + 100  # the message gives index labels, not positions
    with pytest.raises(ValueError, match="bad transaction lines") as info:
        customer_summary(bad, observation_end=END)
    message = str(info.value)
    assert "2 rows where amount is missing or not finite; first index labels [107, 109]" in message
    assert "1 rows where amount is negative on a purchase line" in message
    assert "index labels [103]" in message
    assert "amount is positive on a return line (is_return True); first index labels [112]" in (
        message
    )
    path = tmp_path / "bad.parquet"
    bad.to_parquet(path)
    with pytest.raises(ValueError, match=r"file rows \(0-based\) \[7, 9\]"):
        customer_summary(path, observation_end=END)


def test_missing_ids_and_costs_are_reported(tiny_tx):
    bad = tiny_tx.astype({"customer_id": "Int64"})
    bad.loc[0, "customer_id"] = pd.NA
    bad.loc[5, "cost"] = np.nan
    with pytest.raises(ValueError, match="customer_id is missing; first index labels") as info:
        customer_summary(bad, observation_end=END)
    assert "cost is missing or not finite; first index labels [5]" in str(info.value)


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        ({"timestamp": lambda d: d["timestamp"].astype(str)}, TypeError, "'timestamp' has type"),
        (
            {"timestamp": lambda d: d["timestamp"].dt.tz_localize("UTC")},
            TypeError,
            "time-zone naive",
        ),
        ({"is_return": lambda d: d["is_return"].astype(int)}, TypeError, "'is_return'"),
        ({"customer_id": lambda d: d["customer_id"] * 1.0}, TypeError, "'customer_id'"),
        ({"amount": lambda d: d["amount"].astype(str)}, TypeError, "'amount' has type"),
    ],
)
def test_wrong_types(tiny_tx, change, error, match):
    with pytest.raises(error, match=match):
        customer_summary(tiny_tx.assign(**change), observation_end=END)


def test_observation_end_before_the_data(tiny_tx):
    with pytest.raises(ValueError, match="before the first purchase"):
        customer_summary(tiny_tx, observation_end="2023-12-31")
    with pytest.raises(ValueError, match="calibration_end 2023-12-31 is before"):
        calibration_holdout(tiny_tx, calibration_end="2023-12-31", holdout_end=END)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"observation_end": END, "time_unit": "Q"}, ValueError, "time_unit must be one of"),
        ({"observation_end": None}, ValueError, "observation_end is missing"),
        ({"observation_end": pd.Timestamp(END, tz="UTC")}, ValueError, "time-zone naive"),
    ],
)
def test_bad_arguments(tiny_tx, kwargs, error, match):
    with pytest.raises(error, match=match):
        customer_summary(tiny_tx, **kwargs)


def test_bad_sources(tiny_tx, tmp_path):
    with pytest.raises(FileNotFoundError, match="no Parquet file"):
        customer_summary(tmp_path / "absent.parquet", observation_end=END)
    csv = tmp_path / "tx.csv"
    tiny_tx.to_csv(csv)
    with pytest.raises(ValueError, match="load_transactions"):
        customer_summary(csv, observation_end=END)
    with pytest.raises(TypeError, match="DataFrame or the path"):
        customer_summary(tiny_tx.to_dict(), observation_end=END)
    with pytest.raises(ValueError, match="no purchase lines"):
        customer_summary(tiny_tx[tiny_tx["is_return"]], observation_end=END)


def test_holdout_must_follow_calibration(tiny_tx):
    with pytest.raises(ValueError, match="must be after calibration_end"):
        calibration_holdout(tiny_tx, calibration_end=END, holdout_end=END)


def test_bad_customer_tables(tiny_tx):
    with pytest.raises(ValueError, match=r"duplicated customer_id.*\[1\]"):
        customer_summary(
            tiny_tx,
            observation_end=END,
            customers=pd.DataFrame({"customer_id": [1, 1], "cac": [1.0, 2.0]}),
        )
    with pytest.raises(KeyError, match="none of the columns"):
        customer_summary(
            tiny_tx, observation_end=END, customers=pd.DataFrame({"customer_id": [1], "x": [1]})
        )
    with pytest.raises(TypeError, match="differ in kind"):
        customer_summary(
            tiny_tx,
            observation_end=END,
            customers=pd.DataFrame({"customer_id": ["1"], "cac": [1.0]}),
        )


# --- invariants on random logs, and an independent pandas oracle of the BTYD columns ------


def _btyd_oracle(tx: pd.DataFrame, end: pd.Timestamp, unit: str) -> pd.DataFrame:
    """lifetimes' recipe with pandas Periods: floor to the period, sum per period, difference."""
    kept = tx[~tx["is_return"] & (tx["timestamp"] < end + pd.Timedelta(days=1))]
    period = kept["timestamp"].dt.to_period(unit).array.asi8  # consecutive period numbers
    per = kept.assign(period=period).groupby(["customer_id", "period"])["amount"].sum()
    per = per.reset_index()
    first = per.groupby("customer_id")["period"].transform("min")
    grouped = per.groupby("customer_id")
    out = pd.DataFrame(
        {
            "frequency": grouped.size() - 1,
            "recency": grouped["period"].max() - grouped["period"].min(),
            "T": pd.Period(end, unit).ordinal - grouped["period"].min(),
            "monetary_value": per[per["period"] > first]
            .groupby("customer_id")["amount"]
            .mean()
            .reindex(grouped.size().index, fill_value=0.0),
        }
    )
    out.index.name = "customer_id"
    return out


@st.composite
def logs(draw):
    """A random clean log, its observation end and time unit; some lines are returns."""
    base = pd.Timestamp(draw(st.dates(dt.date(1960, 1, 1), dt.date(2030, 1, 1))))
    n = draw(st.integers(1, 30))
    customer = draw(st.lists(st.integers(0, 4), min_size=n, max_size=n))
    day = draw(st.lists(st.integers(0, 120), min_size=n, max_size=n))
    # midnight often: several orders at one timestamp (date-only logs)
    minute = draw(st.lists(st.just(0) | st.integers(0, 24 * 60 - 1), min_size=n, max_size=n))
    channel = draw(st.lists(st.sampled_from(["web", "app", None]), min_size=n, max_size=n))
    amount = draw(st.lists(st.floats(0.0, 1e4, allow_nan=False), min_size=n, max_size=n))
    is_return = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    basket = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))  # 2 orders per day
    tx = pd.DataFrame(
        {
            "customer_id": customer,
            # lines of one customer, day and basket are one order; returns are their own
            "order_id": [
                f"{'R' if r else 'O'}{c}-{d}-{b}"
                for c, d, b, r in zip(customer, day, basket, is_return, strict=True)
            ],
            "timestamp": base
            + pd.to_timedelta(day, unit="D")
            + pd.to_timedelta(minute, unit="min"),
            "amount": np.where(is_return, -np.asarray(amount), amount),
            "is_return": is_return,
            "channel": pd.Series(channel, dtype="str"),
        }
    )
    end = base + pd.Timedelta(days=draw(st.integers(0, 130)))
    unit = draw(st.sampled_from(["D", "W", "M"]))
    return tx, end, unit


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(logs())
def test_invariants_and_oracle(case):
    tx, end, unit = case
    purchases = tx[~tx["is_return"] & (tx["timestamp"] < end + pd.Timedelta(days=1))]
    assume(len(purchases) > 0)
    summary = customer_summary(tx, observation_end=end, time_unit=unit)

    assert summary.index.is_monotonic_increasing
    assert set(summary.index) == set(purchases["customer_id"])
    assert (summary["frequency"] >= 0).all() and summary["frequency"].dtype == "int64"
    assert ((summary["recency"] >= 0) & (summary["recency"] <= summary["T"])).all()
    no_repeat = summary["frequency"] == 0
    assert (summary.loc[no_repeat, "recency"] == 0).all()
    assert (summary.loc[no_repeat, "monetary_value"] == 0).all()
    assert (summary["since_last_order"] == summary["T"] - summary["recency"]).all()
    assert (summary["n_orders"] >= summary["frequency"] + 1).all()
    assert (summary["first_purchase"] <= summary["last_purchase"]).all()
    assert (summary["last_purchase"] < end + pd.Timedelta(days=1)).all()
    assert (summary["returned_value"] >= 0).all()

    # the channel is one of the first purchase's (ties at the first timestamp: any of them)
    first = purchases[
        purchases["timestamp"] == purchases.groupby("customer_id")["timestamp"].transform("min")
    ]
    allowed = first["channel"].fillna("<NA>").groupby(first["customer_id"]).agg(set)
    for customer, channel in summary["channel"].fillna("<NA>").items():
        assert channel in allowed[customer]

    oracle = _btyd_oracle(tx, end, unit)
    pd.testing.assert_frame_equal(summary[BTYD], oracle, check_dtype=False, rtol=1e-12)

    # lines after observation_end change nothing, wherever they fall
    later = tx.assign(
        timestamp=end + pd.Timedelta(days=1) + (tx["timestamp"] - tx["timestamp"].min()),
        customer_id=tx["customer_id"] + 3,  # old and new customers
        order_id="late-" + tx["order_id"],
    )
    with_later = pd.concat([tx, later], ignore_index=True)
    pd.testing.assert_frame_equal(
        customer_summary(with_later, observation_end=end, time_unit=unit), summary
    )


# --- golden files from lifetimes (scripts/make_golden_summary.py) -------------------------


def _assert_btyd_matches(ours: pd.DataFrame, golden: pd.DataFrame, suffix: str) -> None:
    """Counts and durations exactly; monetary_value to 1e-9 relative."""
    theirs = golden[[c + suffix for c in BTYD]].dropna()
    theirs.columns = BTYD
    assert ours.index.equals(theirs.index)
    for column in ["frequency", "recency", "T"]:
        np.testing.assert_array_equal(ours[column], theirs[column], err_msg=column)
    np.testing.assert_allclose(ours["monetary_value"], theirs["monetary_value"], rtol=1e-9)


def _assert_holdout_matches(ours: pd.DataFrame, golden: pd.DataFrame, unit: str) -> None:
    cal = golden[[f"{c}_cal_{unit}" for c in BTYD]].dropna()
    cal.columns = BTYD
    _assert_btyd_matches(ours, cal, "")
    np.testing.assert_array_equal(
        ours["holdout_purchase_periods"], golden.loc[cal.index, f"frequency_holdout_{unit}"]
    )
    assert (golden[f"duration_holdout_{unit}"].dropna() == ours.attrs["holdout_length"]).all()
    pd.testing.assert_series_equal(
        ours["bought_again"], ours["holdout_purchase_periods"] > 0, check_names=False
    )


@pytest.fixture(scope="module")
def cdnow_tx() -> pd.DataFrame:
    """CDNOW as a clean log: every row a purchase and its own order."""
    raw = pd.read_csv(DATA / "cdnow_sample.csv", dtype={"customer_id": "int64"})
    return pd.DataFrame(
        {
            "customer_id": raw["customer_id"],
            "order_id": raw.index.astype(str),
            "timestamp": pd.to_datetime(raw["date"], format="%Y-%m-%d"),
            "amount": raw["amount"].astype("float64"),
            "is_return": False,
        }
    )


@pytest.mark.parametrize("unit", ["D", "W"])
@pytest.mark.parametrize("cut", ["1998-06-30", "1997-09-30"])
def test_cdnow_matches_lifetimes(cdnow_tx, unit, cut):
    golden = pd.read_csv(DATA / "cdnow_summary_golden.csv", index_col="customer_id")
    summary = customer_summary(cdnow_tx, observation_end=cut, time_unit=unit)
    _assert_btyd_matches(summary, golden, f"_{unit}_{pd.Timestamp(cut):%Y%m%d}")
    assert len(summary) == 2357


@pytest.mark.parametrize("unit", ["D", "W"])
def test_cdnow_calibration_holdout_matches_lifetimes(cdnow_tx, unit):
    golden = pd.read_csv(DATA / "cdnow_summary_golden.csv", index_col="customer_id")
    out = calibration_holdout(
        cdnow_tx, calibration_end="1997-09-30", holdout_end="1998-06-30", time_unit=unit
    )
    _assert_holdout_matches(out, golden, unit)
    assert out.attrs["holdout_length"] == {"D": 273, "W": 39}[unit]


def test_cdnow_parquet_matches_dataframe(cdnow_tx, tmp_path):
    path = tmp_path / "cdnow.parquet"
    cdnow_tx.to_parquet(path)
    kwargs = {"calibration_end": "1997-09-30", "holdout_end": "1998-06-30", "time_unit": "W"}
    pd.testing.assert_frame_equal(
        calibration_holdout(path, **kwargs), calibration_holdout(cdnow_tx, **kwargs)
    )


def _online_retail_purchases(path: Path) -> pd.DataFrame:
    """Purchase lines by the rule of scripts/make_golden_summary.py (no clvlib.data.reading).

    A customer, not a C (cancellation) invoice, Quantity > 0, UnitPrice > 0;
    amount = Quantity x UnitPrice.
    """
    raw = pd.read_parquet(
        path, columns=["InvoiceNo", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID"]
    )
    keep = (
        raw["CustomerID"].notna()
        & ~raw["InvoiceNo"].str.startswith("C")
        & (raw["Quantity"] > 0)
        & (raw["UnitPrice"] > 0)
    )
    lines = raw.loc[keep]
    return pd.DataFrame(
        {
            "customer_id": lines["CustomerID"].astype("int64"),
            "order_id": lines["InvoiceNo"],
            "timestamp": lines["InvoiceDate"],
            "amount": lines["Quantity"] * lines["UnitPrice"],
            "is_return": False,
        }
    )


@pytest.mark.online_retail
def test_online_retail_matches_lifetimes(online_retail_path):
    tx = _online_retail_purchases(online_retail_path)
    golden = pd.read_csv(DATA / "online_retail_summary_golden.csv", index_col="customer_id")
    for unit in ("D", "W"):
        summary = customer_summary(tx, observation_end="2011-12-09", time_unit=unit)
        _assert_btyd_matches(summary, golden, f"_{unit}_20111209")
        out = calibration_holdout(
            tx, calibration_end="2011-08-31", holdout_end="2011-12-09", time_unit=unit
        )
        _assert_holdout_matches(out, golden, unit)
    assert len(summary) == 4338
    assert summary["n_orders"].sum() == tx["order_id"].nunique()


def test_large_amounts_take_the_wide_decimals(tiny_tx):
    """Amounts of 10 million and more are cast to DECIMAL(38, 10), smaller ones to
    DECIMAL(18, 10): scaling every amount by 1e8 scales the money columns, nothing else."""
    money = ["monetary_value", "total_value", "avg_order_value", "returned_value", "gross_profit"]
    small = customer_summary(tiny_tx, observation_end=END)
    # scaled, the largest amount has more than the 8 integer digits of DECIMAL(18, 10)
    assert 1 <= tiny_tx["amount"].abs().max() < 1e7
    large = customer_summary(
        tiny_tx.assign(amount=tiny_tx["amount"] * 1e8, cost=tiny_tx["cost"] * 1e8),
        observation_end=END,
    )
    pd.testing.assert_frame_equal(large.drop(columns=money), small.drop(columns=money))
    pd.testing.assert_frame_equal(large[money], small[money] * 1e8, rtol=1e-12)


def test_money_sums_are_identical_from_run_to_run():
    """Parallel float sums depend on the order threads add lines; exact decimals do not.

    600k lines span several DuckDB row groups, so the aggregation runs on every core; with
    floating-point sums the last bits of total_value differed between runs (and with them
    the ranking of customers whose values tie).
    """
    rng = np.random.default_rng(7)
    n = 600_000
    tx = pd.DataFrame(
        {
            "customer_id": rng.integers(0, 2_000, n),
            "order_id": np.arange(n).astype(str),
            "timestamp": pd.Timestamp("2024-01-01")
            + pd.to_timedelta(rng.integers(0, 365 * 24, n), unit="h"),
            "amount": rng.integers(1, 50, n) * rng.choice([0.1, 0.29, 1.95, 2.55], n),
            "is_return": False,
        }
    )
    runs = [customer_summary(tx, observation_end="2024-12-31") for _ in range(3)]
    for other in runs[1:]:
        pd.testing.assert_frame_equal(runs[0], other, check_exact=True)
