"""Cut-off days: one reading of observation_end / calibration_end / holdout_end everywhere."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from clvlib.data.dates import cutoff_day, day_after, not_after_log, through

DAY = pd.Timestamp("2024-12-01")


@pytest.mark.parametrize(
    "value",
    [
        "2024-12-01",
        " 2024-12-01 ",
        "2024-12-01 18:30",
        "2024-12-01T23:59:59",
        dt.date(2024, 12, 1),
        dt.datetime(2024, 12, 1, 18, 30),
        pd.Timestamp("2024-12-01 07:00"),
        np.datetime64("2024-12-01T12:00"),
    ],
    ids=repr,
)
def test_unambiguous_spellings_give_the_day(value):
    assert cutoff_day(value, "observation_end") == DAY


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("01/12/2024", ["holdout_end='01/12/2024'", "ambiguous", "2024-12-01", "2024-01-12"]),
        ("13.02.2024", ["holdout_end='13.02.2024'", "ambiguous"]),
        ("garbage", ["holdout_end='garbage'", "not a date", "YYYY-MM-DD"]),
        ("2024-02-30", ["holdout_end='2024-02-30'", "not a valid date"]),
        ("20241201", ["holdout_end='20241201'", "not a date"]),
        (20241201, ["holdout_end must be an ISO date", "int"]),
        (None, ["holdout_end is missing"]),
        (pd.NaT, ["holdout_end is missing"]),
        (pd.Timestamp("2024-12-01", tz="UTC"), ["holdout_end", "time-zone naive"]),
    ],
    ids=repr,
)
def test_bad_cutoffs_name_the_argument(value, words):
    with pytest.raises(ValueError) as err:
        cutoff_day(value, "holdout_end")
    message = str(err.value)
    assert all(w in message for w in words), message


def test_the_whole_cutoff_day_is_included():
    stamps = pd.Series(
        pd.to_datetime(
            ["2024-12-01 00:00", "2024-12-01 23:59:59.999", "2024-12-02"], format="ISO8601"
        )
    )
    assert day_after(DAY) == pd.Timestamp("2024-12-02")
    assert through(stamps, DAY).tolist() == [True, True, False]
    assert through(stamps, pd.Timestamp("2024-12-01 12:00")).tolist() == [True, True, False]


def test_not_after_log():
    not_after_log(DAY, pd.Timestamp("2024-12-01 08:00"), "holdout_end")  # same day: fine
    with pytest.raises(ValueError, match="holdout_end 2024-12-02 is after the last purchase"):
        not_after_log(pd.Timestamp("2024-12-02"), pd.Timestamp("2024-12-01 08:00"), "holdout_end")


def _log() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 2, 3],
            "order_id": list("abcde"),
            "timestamp": pd.to_datetime(
                ["2024-01-05", "2024-03-01", "2024-01-20", "2024-06-30", "2024-02-02"]
            ),
            "amount": [10.0, 20.0, 5.0, 7.0, 3.0],
            "is_return": False,
        }
    )


@pytest.mark.parametrize("function", ["calibration_holdout", "compare_methods"])
def test_holdout_past_the_data_is_an_error_in_every_public_function(function):
    import clvlib

    call = getattr(clvlib, function)
    with pytest.raises(ValueError, match="holdout_end 2026-06-30 is after the last purchase"):
        call(_log(), calibration_end="2024-03-31", holdout_end="2026-06-30")
    with pytest.raises(ValueError, match="calibration_end='31/03/2024' is ambiguous"):
        call(_log(), calibration_end="31/03/2024", holdout_end="2024-06-30")


def test_heuristic_and_summary_refuse_ambiguous_observation_end():
    import clvlib

    with pytest.raises(ValueError, match="observation_end='01/06/2024' is ambiguous"):
        clvlib.customer_summary(_log(), observation_end="01/06/2024")
    with pytest.raises(ValueError, match="observation_end='01/06/2024' is ambiguous"):
        clvlib.HeuristicCLV().fit(_log(), observation_end="01/06/2024")
