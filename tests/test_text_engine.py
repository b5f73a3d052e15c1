"""Text the engine reads itself gives the loader what the Python path gives: dates, padding.

Each column of dates is loaded twice, the engine's ISO 8601 reading on and off
(``values._ENGINE_DATES``, the private switch), and everything the loader returns (clean log,
audit, options, or the error) is compared; the columns the engine must read are checked to
have been read without the distinct values going through Python.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import ibis
import pandas as pd
import pytest

import clvlib.data.values as values
from clvlib.data import engine
from clvlib.data.audit import SchemaError
from clvlib.data.reading import load_transactions
from clvlib.data.text_engine import maybe_padded
from tests.test_text_reader import same_load as _same


def _load_both(monkeypatch, source, **options):
    """The loader's answer with the engine's dates, then the Python path's; and whether the
    engine read the dates without the Python path's dictionary of every distinct value."""
    python_read = []
    real = values._read_dates

    def spy(vals, *args, **kwargs):
        python_read.append(len(vals))
        return real(vals, *args, **kwargs)

    monkeypatch.setattr(values, "_read_dates", spy)
    answers = []
    for on in (True, False):
        monkeypatch.setattr(values, "_ENGINE_DATES", on)
        python_read.clear()
        try:
            answers.append(load_transactions(source, **options))
        except SchemaError as err:
            answers.append(err)
        if on:
            engine_only = not python_read
    return answers, engine_only


def _csv(path: Path, dates: list[str]) -> Path:
    lines = ["customer_id,order_id,timestamp,amount"]
    lines += [f"{i % 3},O{i},{d},{i + 1}.5" for i, d in enumerate(dates)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


PLAIN = {
    "seconds": ["2024-01-02 10:00:00", "2024-01-03 11:30:59", "2023-12-31 23:59:59"],
    "date_only": ["2024-01-02", "2024-01-03", "2024-02-29"],
    "t_separator": ["2024-01-02T10:00:00", "2024-01-03T00:00:00"],
    "minutes": ["2024-01-02 10:00", "2024-01-02T23:59"],
    "fractions": [
        "2024-01-02 10:00:00.5",
        "2024-01-02T10:00:00.123456",
        "2024-01-02 10:00:00.000001",
    ],
    "forms_mixed": [
        "2024-01-02",
        "2024-01-02 10:00",
        "2024-01-02T10:00:00.25",
        "2024-01-03 10:00:00",
    ],
    "blanks": ["2024-01-02", "", "2024-01-03", "  "],
    "padded": [" 2024-01-02 ", "2024-01-03\u00a0", "\ufeff2024-01-04 10:00:00"],
    # impossible days are no timestamp to either reader: bad_timestamp, counted
    "impossible_days": ["2024-01-02", "2024-02-30", "2023-02-29", "2024-01-05", "2024-01-06"],
    # placeholders before 1900 are dropped as bad timestamps; the future is counted
    "placeholders": ["0001-01-01", "1899-12-31 23:59:59", "1900-01-01", "2024-01-02", "2099-01-01"],
}

ENGINE_AND_PYTHON = {
    # a few values written otherwise go through the Python path, the others cast in the engine
    "odd_words": ["2024-01-02", "N/A", "2024-01-03 10:00:00", "unknown", "2024-01-04"],
    "odd_spellings": [
        "2024-01-02 10:00:00",
        "2024-1-2",
        "2024-01-02 24:00:00",
        "20240102T100000",
        "2024-01-02 10",
        "2024-01-02  10:00:00",
        "2024-01-02t10:00:00",
        "2024-01-02T10:00:00.",
        "2024-01-02 10:00:00,5",
        "2024-01-02 10:00:60",
    ],
    "seven_decimals": ["2024-01-02 10:00:00", "2024-01-02 10:00:00.1234567", "2024-01-03"],
}

LEFT_TO_PYTHON = {
    # years pandas' nanoseconds may not reach: the whole column goes the Python way
    "late_year": ["2024-01-02", "2300-01-01", "2262-04-12"],
    "late_year_and_decimals": ["2300-01-01", "2024-01-02 10:00:00.1234567"],
    # offsets: every row's (times as written), some rows' only (an error), Z among them
    "offsets": ["2024-01-02T10:00:00+02:00", "2024-07-01T23:30:00-04:00"],
    "offsets_z": ["2024-01-02T10:00:00+02:00", "2024-01-02T10:00:00Z", "2024-01-03T10:00:00+02:00"],
    "offsets_some_rows": ["2024-01-02T10:00:00+02:00", "2024-01-03 10:00:00"],
    # conventions the values must prove, and problems named with their rows
    "month_above_12": ["2024-01-02", "2024-13-02", "2024-01-03"],
    "day_first": ["2024-01-02", "13/01/2024"],
    "compact": ["20240102", "20240103"],
    "day_first_only": ["13/01/2024 10:00", "01/02/2024 11:00"],
    "words": ["2 Jan 2024", "3 March 2024"],
    "mostly_bad": ["2024-01-02", "nope", "nah", "never"],
    "no_dates": ["", " "],
}


@pytest.mark.parametrize("name", sorted(PLAIN))
def test_plain_iso_is_read_by_the_engine_as_by_pandas(tmp_path, monkeypatch, name):
    path = _csv(tmp_path / f"{name}.csv", PLAIN[name])
    (a, b), engine_only = _load_both(monkeypatch, path)
    assert engine_only, "the dates went through the Python path"
    assert not isinstance(a, Exception)
    _same(a, b)
    assert a[1].options["dates"] == "ISO 8601"


@pytest.mark.parametrize("name", sorted(ENGINE_AND_PYTHON))
def test_odd_values_beside_plain_iso_read_as_by_pandas(tmp_path, monkeypatch, name):
    path = _csv(tmp_path / f"{name}.csv", ENGINE_AND_PYTHON[name])
    (a, b), _ = _load_both(monkeypatch, path)
    _same(a, b)


@pytest.mark.parametrize("name", sorted(LEFT_TO_PYTHON))
def test_other_conventions_read_or_refused_as_before(tmp_path, monkeypatch, name):
    path = _csv(tmp_path / f"{name}.csv", LEFT_TO_PYTHON[name])
    (a, b), engine_only = _load_both(monkeypatch, path)
    assert not engine_only
    _same(a, b)


@pytest.mark.parametrize("strict", [False, True])
def test_dataframes_and_strict_mode_alike(monkeypatch, strict):
    dates = PLAIN["impossible_days"] + ENGINE_AND_PYTHON["odd_words"]
    frame = pd.DataFrame({"customer_id": range(len(dates)), "timestamp": dates, "amount": 1.0})
    (a, b), _ = _load_both(monkeypatch, frame, strict=strict)
    _same(a, b)
    if strict:
        assert isinstance(a, SchemaError) and "2024-02-30" in str(a)


def test_an_invalid_date_far_down_is_named(tmp_path, monkeypatch):
    """One bad date among 120,000 plain ones: the same error, naming its row, both ways."""
    dates = [
        f"2024-{1 + i % 12:02d}-{1 + i % 28:02d} {i % 24:02d}:{i % 60:02d}:00"
        for i in range(120_000)
    ]
    dates[119_998] = "2024-02-30 10:00:00"
    path = _csv(tmp_path / "long.csv", dates)
    (a, b), engine_only = _load_both(monkeypatch, path, strict=True)
    assert engine_only
    assert isinstance(a, SchemaError) and "rows 119998 (values '2024-02-30 10:00:00')" in str(a)
    _same(a, b)
    (a, b), _ = _load_both(monkeypatch, path)
    _same(a, b)
    assert a[1].examples()["bad_timestamp"] == [119998]


def test_maybe_padded_holds_for_every_padded_value():
    """Every value of up to three characters the exact check finds padded is flagged."""
    chars = ["a", "1", " ", "\t", "\n", "\r", "\x00", "\x1f", "!", "~", "\x7f", "é", "\u0301"]
    chars += ["\u00a0", "\u2007", "\u202f", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]
    chars += ["\u0600", "\U0001f600"]
    texts = [""] + ["".join(p) for n in (1, 2, 3) for p in itertools.product(chars, repeat=n)]
    table = ibis.memtable({"v": texts})
    found = engine.to_pyarrow(
        table.select(table.v, flagged=maybe_padded(table.v), padded=values._padded(table.v))
    ).to_pylist()
    missed = [r["v"] for r in found if r["padded"] and not r["flagged"]]
    assert not missed
    assert any(r["padded"] for r in found) and not all(r["flagged"] for r in found)
