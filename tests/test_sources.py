"""Tests of clvlib.data.sources: a text file whose rows do not line up with its first line is a
SchemaError naming the real cause and the lines (issue 18), never "missing required column";
ids of an Excel workbook are text as from a CSV.

Each case: the file's text, the loader's options, and either a check of the load (rows and
value add up, as in tests/test_io.py) or (error, fragments of the message).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from clvlib.data.reading import SchemaError, load_transactions

HEADER = "customer_id,timestamp,amount\n"
ROWS = "1,2024-01-02,10\n2,2024-01-03,20\n3,2024-01-04,30\n"


def _excel(tmp_path: Path, columns: dict) -> Path:
    path = tmp_path / "orders.xlsx"
    pd.DataFrame(columns).to_excel(path, index=False)
    return path


SHAPES = [
    (
        "a ragged row in the first lines",
        HEADER + "1,2024-01-02,10,extra\n2,2024-01-03,20\n3,2024-01-04,30\n",
        {},
        (SchemaError, ["line 2 has more fields (4) than the header (3, comma-separated)"]),
    ),
    (
        "several ragged rows, of different widths",
        HEADER + "1,2024-01-02,10,x\n2,2024-01-03,20\n3,2024-01-04,30,x,y\n",
        {},
        (SchemaError, ["lines 2, 4 have more fields (4, 5) than the header (3"]),
    ),
    (
        "a trailing separator on every data row only",
        HEADER + "1,2024-01-02,10,\n2,2024-01-03,20,\n3,2024-01-04,30,\n",
        {},
        (
            SchemaError,
            [
                "lines 2, 3, 4 (every data row) end with a comma separator (',') that the "
                "header does not have",
                "remove the trailing separator",
            ],
        ),
    ),
    (
        "a trailing separator on one data row",
        HEADER + "1,2024-01-02,10\n2,2024-01-03,20,\n3,2024-01-04,30\n",
        {},
        (SchemaError, ["line 3 ends with a comma separator (',') that the header does not"]),
    ),
    (
        "a trailing separator on the data rows of a ';' file, sep given",
        "customer_id;timestamp;amount\n1;2024-01-02;10;\n2;2024-01-03;20;\n",
        {"sep": ";"},
        (SchemaError, ["lines 2, 3 (every data row) end with a semicolon separator (';')"]),
    ),
    (
        "a quote left open swallows the next lines of a ';' file",
        'customer_id;timestamp;amount;note\n1;2024-01-02;10;"two\n2;2024-01-03;20;x\n'
        '3;2024-01-04;30;y"\n4;2024-01-05;40;z\n',
        {},
        (
            SchemaError,
            [
                'a quote (") opened in a field on line 2 is closed only on line 4',
                "lines 2-4 would be read as one row",
                'must be doubled ("")',
            ],
        ),
    ),
    (
        "a quote opened and never closed",
        'customer_id;timestamp;amount;note\n1;2024-01-02;10;ok\n2;2024-01-03;20;"x\n'
        "3;2024-01-04;30;y\n",
        {},
        (SchemaError, ['a quote (") opened in a field on line 3']),
    ),
    (
        "the error says 'customer table' only for the customer table: here the log",
        HEADER + "1,2024-01-02,10,\n",
        {},
        (SchemaError, ["problem(s) reading the transaction log"]),
    ),
    (
        "a title line above the header",
        "Sales report 2024\n" + HEADER + ROWS,
        {},
        (SchemaError, ["the first line ('Sales report 2024') is one field", "a title or note"]),
    ),
    # good inputs: read, rows and value add up
    (
        "a newline inside a quoted field of a ';' file is read",
        'customer_id;timestamp;amount;note\n1;2024-01-02;10;"two\nlines"\n'
        "2;2024-01-03;20;x\n3;2024-01-04;30;y\n",
        {},
        lambda tx, a: (
            a.n_input_rows == 3
            and a.input_value == 60.0
            and tx["customer_id"].tolist() == [1, 2, 3]
        ),
    ),
    (
        "a quoted value holding the separator",
        'customer_id,timestamp,amount,note\n1,2024-01-02,10,"a, b"\n2,2024-01-03,20,c\n',
        {},
        lambda tx, a: a.n_input_rows == 2 and a.input_value == 30.0,
    ),
    (
        "a trailing separator on the header and every row alike is a column without a name",
        "customer_id,timestamp,amount,\n1,2024-01-02,10,\n2,2024-01-03,20,\n",
        {},
        lambda tx, a: a.n_input_rows == 2 and a.input_value == 30.0,
    ),
    (
        "a row with fewer fields is read, its missing value counted",
        HEADER + "1,2024-01-02,10\n2,2024-01-03\n3,2024-01-04,30\n",
        {},
        lambda tx, a: (
            a.n_input_rows == 3
            and a.input_value == 40.0
            and a.table().loc["bad_value", "rows"] == 1
            and a.options["sep"] == "comma-separated text"
        ),
    ),
    (
        "Excel text ids '0001' and '1' stay two customers",
        lambda tmp_path: _excel(
            tmp_path,
            {
                "customer_id": ["0001", "1", "0001"],
                "timestamp": ["2024-01-02"] * 3,
                "amount": [1.0, 2, 3],
            },
        ),
        {},
        lambda tx, a: tx["customer_id"].tolist() == ["0001", "1", "0001"] and a.input_value == 6.0,
    ),
    (
        "customer 'NA' and country NA (Namibia) are text; 'NA' as an amount is missing",
        "customer_id,timestamp,amount,country\nNA,2024-01-02,10,NA\n2,2024-01-03,NA,UK\n"
        ",2024-01-03,5,UK\n",
        {},
        lambda tx, a: (
            tx["customer_id"].tolist() == ["NA"]
            and tx["country"].tolist() == ["NA"]
            and a.table().loc[["bad_value", "no_customer"], "rows"].tolist() == [1, 1]
            and a.input_value == 15.0
        ),
    ),
    (
        "whitespace-separated, no header (CDNOW)",
        "00001 19970101 1 11.77\n00002 19970112 1 12.00\n00002 19970112 5 77.00\n",
        {"columns": {"customer_id": "0", "timestamp": "1", "quantity": "2", "amount": "3"}},
        lambda tx, a: a.n_input_rows == 3 and a.input_value == pytest.approx(100.77),
    ),
    (
        "a ragged row past the sampled head still names the line",
        HEADER + ROWS * 3000 + "4,2024-01-05,40,extra\n",
        {},
        (SchemaError, ["line 9002 has more fields (4) than the header (3"]),
    ),
]


@pytest.mark.parametrize(
    ("text", "options", "expected"), [c[1:] for c in SHAPES], ids=[c[0] for c in SHAPES]
)
def test_rows_that_do_not_line_up(tmp_path: Path, text, options: dict, expected) -> None:
    if callable(text):
        path = text(tmp_path)
    else:
        path = tmp_path / "orders.csv"
        path.write_text(text)
    if isinstance(expected, tuple):
        error, words = expected
        with pytest.raises(error) as err:
            load_transactions(path, **options)
        message = str(err.value)
        assert "orders.csv" in message
        assert "missing required column" not in message  # the wrong cause of issue 18
        missing = [w for w in words if w not in message]
        assert not missing, f"{missing} not in: {message}"
        return
    tx, audit = load_transactions(path, **options)
    assert expected(tx, audit), (tx, audit.options, audit.table())
    table = audit.table()
    reasons = table.drop(index="total")
    assert reasons["rows"].sum() == audit.n_input_rows
    assert reasons["value"].sum() == pytest.approx(audit.input_value, abs=1e-9)
    kept = table.loc[[c for c in table.index if table.loc[c, "outcome"] in ("kept", "netted")]]
    assert tx["amount"].sum() == pytest.approx(kept["value"].sum())
