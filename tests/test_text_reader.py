"""DuckDB's text reader and pandas' give the loader the same table: same audit, same clean log.

Each file is loaded twice, DuckDB's reader on and off (``sources._DUCKDB_TEXT``, the private
switch), and everything the loader returns is compared; the files DuckDB must read are
checked to have been read by it, the others (left to pandas) to have fallen back.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest

import clvlib.data.sources as sources
from clvlib.data.audit import SchemaError
from clvlib.data.reading import load_transactions

HEADER = "customer_id,order_id,timestamp,quantity,unit_price,channel,note\n"
ROWS = [
    "1,A1,2024-01-02 10:00:00,2,5.50,web,first",
    "1,A1,2024-01-02 10:00:00,2,5.50,web,first",  # a copy: dropped as duplicate
    "2,A2,2024-01-03 11:30:00,-1,5.50,NA,null",  # a return; 'NA' and 'null' are values
    "3,,2024-01-04 09:00:00,1,,shop,",  # no order id, no price: bad value
    '4,A4,2024-01-05 12:00:00,3,"1234.5",web,"quoted, with a comma"',
    '5,A5,2024-01-06 08:00:00,1,2.25,web,"two\nlines"',
    " 6 ,A6,2024-01-07,1,3,web,padded id",
    "7,C7,2099-01-01,1,3,web,future",
]


def _write(path: Path, text: str) -> Path:
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text, encoding="utf-8", newline="")
    return path


def _both(monkeypatch, path: Path, **options):
    """The loader's answer with DuckDB's reader, then with pandas', and whether DuckDB read."""
    used = []
    real = sources._duckdb_text

    def spy(*args, **kwargs):
        src = real(*args, **kwargs)
        used.append(src is not None)
        return src

    monkeypatch.setattr(sources, "_duckdb_text", spy)
    answers = []
    for on in (True, False):
        monkeypatch.setattr(sources, "_DUCKDB_TEXT", on)
        try:
            answers.append(load_transactions(path, **options))
        except SchemaError as err:
            answers.append(err)
    return answers, used[:1] == [True]


def same_load(a, b, *, value_rel: float = 0.0) -> None:
    """Two answers of the loader are the same: the error, or the clean log and every part of
    its audit (the load day aside). ``value_rel``: the input value's relative tolerance (two
    readers may sum the same amounts in another order)."""
    if isinstance(a, Exception) or isinstance(b, Exception):
        assert type(a) is type(b) and str(a) == str(b)
        return
    (tx_a, audit_a), (tx_b, audit_b) = a, b
    pd.testing.assert_frame_equal(audit_a.table(), audit_b.table())
    assert audit_a.n_input_rows == audit_b.n_input_rows
    if value_rel:
        assert audit_a.input_value == pytest.approx(audit_b.input_value, rel=value_rel)
    else:
        assert audit_a.input_value == audit_b.input_value
    assert audit_a.columns == audit_b.columns
    options = ("load_day",)
    assert {k: v for k, v in audit_a.options.items() if k not in options} == {
        k: v for k, v in audit_b.options.items() if k not in options
    }
    pd.testing.assert_frame_equal(tx_a.sort_index(), tx_b.sort_index())
    pd.testing.assert_frame_equal(audit_a.unparsed, audit_b.unparsed)
    pd.testing.assert_series_equal(audit_a.outcomes, audit_b.outcomes)
    pd.testing.assert_frame_equal(audit_a.flags, audit_b.flags)


def _same(a, b) -> None:
    """DuckDB's reader against pandas': the sums may differ in the last bits."""
    same_load(a, b, value_rel=1e-12)


READ_BY_DUCKDB = {
    "comma.csv": HEADER + "\n".join(ROWS) + "\n",
    "crlf.csv": (HEADER + "\n".join(ROWS) + "\n").replace("\n", "\r\n"),
    "no_last_newline.csv": HEADER + "\n".join(ROWS),
    "semicolon.csv": (HEADER + "\n".join(r for r in ROWS if '"' not in r) + "\n").replace(",", ";"),
    "tabs.tsv": (HEADER + "\n".join(r for r in ROWS if '"' not in r) + "\n").replace(",", "\t"),
    "bars.csv.gz": (HEADER + "\n".join(r for r in ROWS if '"' not in r) + "\n").replace(",", "|"),
    "bom.csv": "\ufeff" + HEADER + "\n".join(ROWS) + "\n",
    # columns pandas types: an integer code (int64), one with a gap (float64), true/false
    # words (bool), a column of numbers and words (text)
    "typed.csv": "customer_id,timestamp,amount,code,score,flag,mixed\n"
    "1,20240102,10,7,1.5,True,1\n"
    "2,20240103,20,8,,FALSE,x\n"
    "2,20240103,20,8,,FALSE,x\n"
    "3,20240104,30,9,2,true,2\n",
    # a number written with a thousands separator: the same error from either reader
    "spelled.csv": 'customer_id,timestamp,amount\n1,2024-01-02,"1,234.50"\n2,2024-01-03,5\n',
    # every line ends with the separator: an empty last column ('Unnamed: 3')
    "trailing_separators.csv": "customer_id,timestamp,amount,\n1,2024-01-02,10,\n",
    # how pandas reads numbers: spaces around an integer or a decimal, not around 'inf'
    "spelled_numbers.csv": "customer_id,timestamp,amount,a,b,c\n"
    "1,2024-01-02,10,  7  , 2.5 ,INF\n2,2024-01-03,5,+4,1e+05,-Infinity\n"
    "3,2024-01-04,6,007,.5,+inf\n",
    # no header: the columns are named 0, 1, 2
    "no_header.csv": "1,2024-01-02,10.5\n2,2024-01-03,20\n",
    # an empty column name: pandas' 'Unnamed: 3'
    "unnamed.csv": "customer_id,timestamp,amount,\n1,2024-01-02,10,a\n2,2024-01-03,20,b\n",
}

LEFT_TO_PANDAS = {
    "blank_line.csv": HEADER + "\n".join(ROWS[:3]) + "\n   \n" + "\n".join(ROWS[3:]) + "\n",
    "short_row.csv": "customer_id,timestamp,amount,note\n1,2024-01-02,10,a\n2,2024-01-03,20\n",
    "leading_blank.csv": "\n" + HEADER + "\n".join(ROWS) + "\n",
    "stray_quote.csv": 'customer_id,timestamp,amount\n1,2024-01-02,10\n2,2024-01-03,"20"0\n',
    "nan_word.csv": "customer_id,timestamp,amount,code\n1,2024-01-02,10,1\n2,2024-01-03,20,nan\n",
    "bool_gap.csv": "customer_id,timestamp,amount,flag\n1,2024-01-02,10,True\n2,2024-01-03,20,\n",
    "latin1.csv": "customer_id,timestamp,amount,note\n1,2024-01-02,10,caf\xe9\n",
    # one row ends with a separator the header has not: DuckDB would drop the empty field
    "one_trailing_separator.csv": "customer_id,timestamp,amount\n1,2024-01-02,10\n2,2024-01-03,5,",
    # ' inf ' is text to pandas and a number to DuckDB's cast: not told for sure
    "inf_spaced.csv": "customer_id,timestamp,amount,c\n1,2024-01-02,10,1\n2,2024-01-03,5, inf \n",
    "spaces.txt": "customer_id timestamp amount\n1 2024-01-02 10\n2 2024-01-03 20\n",
}


@pytest.mark.parametrize("name", sorted(READ_BY_DUCKDB))
def test_duckdb_reads_as_pandas_does(tmp_path, monkeypatch, name):
    path = _write(tmp_path / name, READ_BY_DUCKDB[name])
    options = {"columns": {"customer_id": "0", "timestamp": "1", "amount": "2"}}
    options = options if name == "no_header.csv" else {}
    (a, b), duckdb_read = _both(monkeypatch, path, **options)
    assert duckdb_read, "DuckDB's reader was not used"
    _same(a, b)


@pytest.mark.parametrize("name", sorted(LEFT_TO_PANDAS))
def test_unusual_files_are_left_to_pandas(tmp_path, monkeypatch, name):
    text = LEFT_TO_PANDAS[name]
    path = tmp_path / name
    if name == "latin1.csv":
        path.write_bytes(text.encode("latin-1"))
    else:
        _write(path, text)
    (a, b), duckdb_read = _both(monkeypatch, path)
    assert not duckdb_read
    _same(a, b)


def test_uci_copy_reads_alike(monkeypatch):
    """The benchmark's CSV copy of UCI Online Retail, when present (541,909 rows)."""
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "_data" / "online_retail.csv"
    if not path.exists():
        pytest.skip("no benchmarks/_data/online_retail.csv (benchmarks/load.py writes it)")
    from clvlib.data.reading import load_online_retail

    answers = []
    for on in (True, False):
        monkeypatch.setattr(sources, "_DUCKDB_TEXT", on)
        answers.append(load_online_retail(path))
    _same(*answers)
