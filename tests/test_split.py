"""The Split: both ends, the days after, day counts and horizon, worked out by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from clvlib.compare.split import Split, data_problems, holdout_end_after
from clvlib.data.summary import calibration_holdout


def _log(days: list[str], customers: list[int]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": customers,
            "order_id": [f"o{i}" for i in range(len(days))],
            "timestamp": pd.to_datetime(days),
            "amount": 10.0,
            "is_return": False,
        }
    )


def test_day_counts_and_days_after_by_hand() -> None:
    split = Split("2024-06-30", "2024-12-31")
    assert split.calibration_end == pd.Timestamp("2024-06-30")
    assert split.calibration_after == pd.Timestamp("2024-07-01")
    assert split.holdout_after == pd.Timestamp("2025-01-01")
    assert split.holdout_days == 184  # Jul 31 + Aug 31 + Sep 30 + Oct 31 + Nov 30 + Dec 31
    assert split.horizon == 184
    # 2024-01-01 .. 2024-06-30, both included: 31+29+31+30+31+30
    assert split.starting("2024-01-01 15:00").calibration_days == 182
    assert split.last_days(90) == pd.Timestamp("2024-04-02")  # Apr 2 .. Jun 30 is 90 days
    with pytest.raises(ValueError, match="first purchase day"):
        _ = split.calibration_days


def test_ends_are_read_once_and_checked() -> None:
    assert Split("2024-06-30 18:00", pd.Timestamp("2024-07-31")).calibration_end.hour == 0
    with pytest.raises(ValueError, match="must be after calibration_end"):
        Split("2024-06-30", "2024-06-30")
    with pytest.raises(ValueError, match="ambiguous"):
        Split("01/06/2024", "2024-12-31")
    with pytest.raises(ValueError, match="time_unit"):
        Split("2024-06-30", "2024-12-31", time_unit="fortnight")
    with pytest.raises(ValueError, match="before the first purchase"):
        Split("2024-06-30", "2024-12-31", first_day="2024-07-02")


@pytest.mark.parametrize("unit", ["D", "W", "M"])
@pytest.mark.parametrize(
    "cal, hold",
    [("2024-06-30", "2024-12-31"), ("2024-03-13", "2024-05-02"), ("2024-01-07", "2024-01-08")],
)
def test_horizon_is_the_holdout_length_of_the_summary(unit: str, cal: str, hold: str) -> None:
    log = _log(["2024-01-01", "2024-01-05", "2024-12-31"], [1, 1, 2])
    table = calibration_holdout(log, calibration_end=cal, holdout_end=hold, time_unit=unit)
    assert Split(cal, hold, time_unit=unit).horizon == table.attrs["holdout_length"]


def test_inner_split_is_the_last_holdout_length_at_most_half() -> None:
    split = Split("2024-06-30", "2024-08-29", first_day="2024-01-01")  # 60 and 182 days
    inner = split.inner()
    assert (inner.calibration_end, inner.holdout_end) == (
        pd.Timestamp("2024-05-01"),
        pd.Timestamp("2024-06-30"),
    )
    assert inner.holdout_days == 60
    short = Split("2024-06-30", "2024-12-31", first_day="2024-06-01")  # 30 calibration days
    assert short.inner().holdout_days == 15


def test_check_against_the_span_of_the_log() -> None:
    split = Split("2024-06-30", "2024-12-31")
    checked = split.check(pd.Timestamp("2024-01-01 09:00"), pd.Timestamp("2024-12-31 23:00"))
    assert checked.calibration_days == 182
    with pytest.raises(ValueError, match="after the last purchase"):
        split.check(pd.Timestamp("2024-01-01"), pd.Timestamp("2024-12-30 23:59"))
    with pytest.raises(ValueError, match="no customer to summarise"):
        split.check(pd.Timestamp("2024-07-01"), pd.Timestamp("2024-12-31"))


def test_horizons_in_days_weeks_and_months() -> None:
    assert holdout_end_after("2024-06-30", 6, "M") == pd.Timestamp("2024-12-31")  # month ends
    assert holdout_end_after("2024-02-15", 1, "M") == pd.Timestamp("2024-03-15")
    assert holdout_end_after("2024-06-30", 2, "W") == pd.Timestamp("2024-07-14")
    split = Split.from_horizon("2024-06-30", 184)
    assert split.holdout_end == pd.Timestamp("2024-12-31")
    with pytest.raises(ValueError, match="positive integer"):
        holdout_end_after("2024-06-30", 0)
    with pytest.raises(ValueError, match="horizon_unit"):
        holdout_end_after("2024-06-30", 3, "Q")


def test_from_params() -> None:
    p = {"calibration_end": "2024-06-30", "holdout_end": "2024-12-31", "time_unit": "W"}
    split = Split.from_params(p)
    assert split == Split("2024-06-30", "2024-12-31", time_unit="W")
    assert split.describe() == {
        "calibration_end": "2024-06-30",
        "holdout_end": "2024-12-31",
        "time_unit": "W",
        "holdout_length": 27,  # Monday weeks: Jun 24-30 (a Sunday) to Dec 30-Jan 5
        "holdout_days": 184,
    }


def test_minimum_data_gate_names_every_shortfall() -> None:
    # 3 customers, 1 buying on two days; 10 calibration days, 5 holdout days
    log = _log(["2024-01-01", "2024-01-03", "2024-01-05", "2024-01-15"], [1, 1, 2, 3])
    split = Split("2024-01-10", "2024-01-15")
    problems = data_problems(log, split, n_clusters=5)
    assert problems == [
        "customers who bought in the calibration period: 2, at least 100 needed",
        "of them, repeat buyers (two purchase days or more): 1, at least 20 needed",
        "calibration days (first order to calibration_end): 10, at least 90 needed",
        "holdout days (calibration_end to holdout_end): 5, at least 28 needed",
        "customers for n_clusters: 2, at least 5 needed",
    ]
    assert "customers for n_clusters" not in " ".join(data_problems(log, split, n_clusters="auto"))
