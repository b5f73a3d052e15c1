"""Values a careless export holds: read right, or refused with the rows named; never misread.

Each case is one a hostile battery found read wrong or dropped: the outcome is exact, and the
audit still accounts for every row and its value.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import ibis
import pandas as pd
import pytest

from clvlib.data.reading import SchemaError, load_transactions


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "orders.csv"
    path.write_text(text, encoding="utf-8")
    return path


def _adds_up(tx: pd.DataFrame, audit) -> None:
    table = audit.table()
    assert table.loc["total", "rows"] == audit.n_input_rows
    kept = table.loc[[c for c in ("kept", "identical", "return") if c in table.index]]
    assert kept["rows"].sum() == len(tx)


@pytest.mark.parametrize(
    ("amounts", "words"),
    [
        (["1_000", "12_50", "3"], ["'amount'", "1_000"]),
        (["١٢", "3", "4"], ["'amount'", "written another way", "١٢"]),
        (["１２", "3", "4"], ["'amount'", "written another way", "１２"]),
    ],
    ids=["underscores", "arabic-indic digits", "full-width digits"],
)
def test_numbers_in_other_spellings_are_refused_not_read_or_dropped(
    tmp_path: Path, amounts: list[str], words: list[str]
) -> None:
    rows = "".join(f"{i},2024-01-0{i + 1},{a}\n" for i, a in enumerate(amounts))
    with pytest.raises(SchemaError) as caught:
        load_transactions(_csv(tmp_path, "customer_id,timestamp,amount\n" + rows))
    for word in words:
        assert word in str(caught.value)


def test_true_and_false_are_no_amounts() -> None:
    frame = pd.DataFrame(
        {"customer_id": [1, 2], "timestamp": ["2024-01-05", "2024-01-06"], "amount": [True, False]}
    )
    with pytest.raises(SchemaError, match=r"'amount' \(amount\) cannot be read as numbers"):
        load_transactions(frame)


@pytest.mark.parametrize("mark", ["\u00a0", "\u200b", "\ufeff", "\u202f"])
def test_an_invisible_character_around_an_id_is_no_other_customer(
    tmp_path: Path, mark: str
) -> None:
    text = "customer_id,timestamp,amount\n42,2024-01-05,10\n"
    text += f"42{mark},2024-01-06,5\n{mark}42,2024-01-07,1\n"
    tx, audit = load_transactions(_csv(tmp_path, text))
    assert tx["customer_id"].tolist() == [42, 42, 42]
    _adds_up(tx, audit)


def test_times_without_a_date_are_refused(tmp_path: Path) -> None:
    text = "customer_id,timestamp,amount\n1,10:30,10\n2,11:45 PM,5\n"
    with pytest.raises(SchemaError, match="times without a date"):
        load_transactions(_csv(tmp_path, text))


def test_two_digit_years_stay_in_the_past(tmp_path: Path) -> None:
    text = "customer_id,timestamp,amount\n1,12/31/75,10\n2,01/15/69,5\n3,1/5/98,1\n"
    tx, audit = load_transactions(_csv(tmp_path, text))
    assert [t.date().isoformat() for t in tx["timestamp"]] == [
        "1975-12-31",
        "1969-01-15",
        "1998-01-05",
    ]
    _adds_up(tx, audit)


def test_dates_with_month_names_in_several_spellings_are_read(tmp_path: Path) -> None:
    text = 'customer_id,timestamp,amount\n1,"Jan 05, 2024",10\n2,06 Feb 2024,5\n3,March 7 2024,1\n'
    tx, _ = load_transactions(_csv(tmp_path, text))
    assert [t.date().isoformat() for t in tx["timestamp"]] == [
        "2024-01-05",
        "2024-02-06",
        "2024-03-07",
    ]


def test_rows_without_an_order_id_are_no_copies_of_an_order(tmp_path: Path) -> None:
    text = (
        "customer_id,timestamp,amount,order_id\n"
        "1,2024-01-05,10,\n1,2024-01-05,10,\n2,2024-01-05,5,A\n2,2024-01-05,5,A\n"
    )
    tx, audit = load_transactions(_csv(tmp_path, text))
    rows = audit.table()["rows"]
    assert rows["identical"] == 1 and rows["duplicate"] == 1  # the orderless copy is kept
    assert tx["amount"].sum() == 25.0
    tx, audit = load_transactions(_csv(tmp_path, text), drop_duplicates=True)  # asked for
    assert audit.table()["rows"]["duplicate"] == 2 and tx["amount"].sum() == 15.0


@pytest.mark.parametrize(
    "zone", ["America/New_York", "Asia/Tokyo", dt.timezone(dt.timedelta(hours=5, minutes=30))]
)
def test_a_zone_aware_ibis_table_is_read_on_its_wall_clock(zone) -> None:
    stamps = pd.DatetimeIndex(["2024-01-15 23:30", "2024-01-16 00:30"]).tz_localize(zone)
    frame = pd.DataFrame({"customer_id": [1, 2], "timestamp": stamps, "amount": [1.0, 2.0]})
    tx, _ = load_transactions(ibis.memtable(frame))
    assert [t.strftime("%Y-%m-%d %H:%M") for t in tx["timestamp"]] == [
        "2024-01-15 23:30",
        "2024-01-16 00:30",
    ]


def test_a_utc_time_among_local_offsets_is_put_on_the_shops_clock(tmp_path: Path) -> None:
    """'Z' is the instant, not a clock of the shop: New York's 23:30 stays on the 15th."""
    text = (
        "customer_id,timestamp,amount\n1,2024-01-15T23:30:00-05:00,10\n"
        "2,2024-01-15T12:00:00-05:00,20\n3,2024-01-16T04:30:00Z,5\n4,2024-07-01T23:30-04:00,1\n"
    )
    tx, audit = load_transactions(_csv(tmp_path, text))
    assert [t.strftime("%Y-%m-%d %H:%M") for t in tx["timestamp"]] == [
        "2024-01-15 23:30",
        "2024-01-15 12:00",
        "2024-01-15 23:30",
        "2024-07-01 23:30",
    ]
    assert "UTC times ('Z') put on the UTC-05:00 clock" in audit.options["dates"]
