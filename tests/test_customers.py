"""Tests of clvlib.data.customers: the customer table read by the log's machinery (issue 18).

Ids are read as the log's are and take the log's kind, sign-up dates by a convention their
values prove, bad input is a SchemaError naming file, column and rows, every row is counted,
and a table that matches no customer of the log is an error before any notebook runs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clvlib.data.customers import CustomerAudit, load_customers
from clvlib.data.reading import SchemaError, load_transactions
from clvlib.data.summary import customer_summary

LOG_007 = "customer_id,timestamp,amount\n007,2024-01-02,10\n008,2024-01-03,20\n007,2024-01-05,5\n"
LOG_INT = "customer_id,timestamp,amount\n7,2024-01-02,10\n8,2024-01-03,20\n9,2024-01-05,5\n"
TABLE = "customer_id,signup_date,channel,cac\n"


def _parquet(frame: pd.DataFrame):
    def make(tmp_path: Path) -> Path:
        path = tmp_path / "customers.parquet"
        frame.to_parquet(path)
        return path

    return make


def _text(text: str, name: str = "customers.csv", encoding: str = "utf-8"):
    def make(tmp_path: Path) -> Path:
        path = tmp_path / name
        path.write_bytes(text.encode(encoding))
        return path

    return make


def _excel(tmp_path: Path, columns: dict) -> Path:
    path = tmp_path / "customers.xlsx"
    pd.DataFrame(columns).to_excel(path, index=False)
    return path


def _ids(customers: pd.DataFrame) -> list:
    return customers.index.tolist()


# (case, log text or None, table maker, options, expected): expected is a check of
# (customers, audit), or (error, fragments of its message)
CUSTOMERS = [
    (
        "'007' is '007' in the log and the table: text ids, all matched",
        LOG_007,
        _text(TABLE + "007,2024-01-01,web,5\n008,2024-01-02,shop,6\n"),
        {},
        lambda c, a: (
            _ids(c) == ["007", "008"]
            and a.counts == {"matched": 2}
            and a.options["ids"] == "text"
            and a.log_without_row == 0
        ),
    ),
    (
        "integer ids of the log: the table's '7.0' (a float printed) is 7",
        LOG_INT,
        _text(TABLE + "7.0,2024-01-01,web,5\n8,2024-01-02,shop,6\n"),
        {},
        lambda c, a: (
            _ids(c) == [7, 8]
            and c.index.dtype == "int64"
            and a.counts == {"matched": 2}
            and a.log_customers == 3
            and a.log_without_row == 1
        ),
    ),
    (
        "integer ids of the log: '007' of the table cannot be one, dropped and counted",
        LOG_INT,
        _text(TABLE + "007,2024-01-01,web,5\n8,2024-01-02,shop,6\n"),
        {},
        lambda c, a: (
            _ids(c) == [8]
            and a.counts == {"matched": 1, "other_id_kind": 1}
            and a.examples["other_id_kind"] == [0]
        ),
    ),
    (
        "no id in common with the log ('007' against 7): an error, not a silent run",
        LOG_007,
        _text(TABLE + "7,2024-01-01,web,5\n8,2024-01-02,shop,6\n"),
        {},
        (
            SchemaError,
            [
                "customers.csv",
                "reading the customer table",
                "no customer_id of the customer table is a customer of the log",
                "['7', '8']",
                "['007', '008']",
            ],
        ),
    ),
    (
        "no id in common because the ids are text and the log's integers",
        LOG_INT,
        _text(TABLE + "A7,2024-01-01,web,5\nA8,2024-01-02,shop,6\n"),
        {},
        (SchemaError, ["no customer_id of the customer table", "2 rows have ids that are not"]),
    ),
    (
        "prospects (signed up, never bought) are kept and counted",
        LOG_INT,
        _text(TABLE + "7,2024-01-01,web,5\n8,2024-01-02,shop,6\n10,2024-01-03,web,7\n"),
        {},
        lambda c, a: (
            a.counts == {"matched": 2, "not_in_log": 1}
            and a.examples["not_in_log"] == [2]
            and a.log_without_row == 1
        ),
    ),
    (
        "a row without an id is dropped and counted",
        LOG_INT,
        _text(TABLE + "7,2024-01-01,web,5\n,2024-01-02,shop,6\n"),
        {},
        lambda c, a: _ids(c) == [7] and a.counts == {"matched": 1, "no_customer": 1},
    ),
    (
        "sign-up dates whose every day is 12 or less: refused, not read month-first",
        LOG_INT,
        _text(TABLE + "7,01/02/2024,web,5\n8,03/04/2024,shop,6\n"),
        {},
        (
            SchemaError,
            ["column 'signup_date' (signup_date)", "could be day-first or month-first"],
        ),
    ),
    (
        "sign-up dates that prove day-first",
        LOG_INT,
        _text(TABLE + "7,01/02/2024,web,5\n8,13/04/2024,shop,6\n"),
        {},
        lambda c, a: (
            c["signup_date"].tolist() == [pd.Timestamp("2024-02-01"), pd.Timestamp("2024-04-13")]
            and a.options["dates"].startswith("day-first")
        ),
    ),
    (
        "the log's date_format with a time reads date-only sign-ups by its date part",
        "customer_id,timestamp,amount\n7,01/02/2024 10:00,10\n8,03/04/2024 11:00,20\n",
        _text(TABLE + "7,01/02/2024,web,5\n8,03/04/2024,shop,6\n"),
        {"date_format": "%d/%m/%Y %H:%M"},
        lambda c, a: (
            c["signup_date"].tolist() == [pd.Timestamp("2024-02-01"), pd.Timestamp("2024-04-03")]
        ),
    ),
    (
        "mixed sign-up date conventions",
        LOG_INT,
        _text(TABLE + "7,2024-01-02,web,5\n8,13/04/2024,shop,6\n"),
        {},
        (SchemaError, ["column 'signup_date' (signup_date) mixes date conventions"]),
    ),
    (
        "an unreadable sign-up date names its row",
        LOG_INT,
        _text(TABLE + "7,2024-01-02,web,5\n8,2024-13-45,shop,6\n"),
        {},
        (
            SchemaError,
            [
                "column 'signup_date' (signup_date) has dates whose month would be above 12",
                "rows 1",
            ],
        ),
    ),
    (
        "a sign-up date that is no date names its row",
        LOG_INT,
        _text(TABLE + "7,2024-01-02,web,5\n8,soon,shop,6\n"),
        {},
        (SchemaError, ["column 'signup_date' (signup_date)", "rows 1", "'soon'"]),
    ),
    (
        "a CAC that is no number names its row and value",
        LOG_INT,
        _text(TABLE + "7,2024-01-02,web,5\n8,2024-01-03,shop,abc\n"),
        {},
        (SchemaError, ["column 'cac' (cac) has values that are not numbers", "rows 1", "'abc'"]),
    ),
    (
        "a ';' table with decimal commas, as the log's options say",
        "customer_id;timestamp;amount\n7;2024-01-02;10,5\n8;2024-01-03;20\n",
        _text(
            "customer_id;signup_date;channel;cac\n7;2024-01-01;web;12,50\n8;2024-01-02;x;1.234,5\n"
        ),
        {"sep": ";", "decimal": ","},
        lambda c, a: c["cac"].tolist() == [12.5, 1234.5],
    ),
    (
        "a CAC '1.500' in a ';' file is refused by default (1500 or 1.5?), as the log's numbers",
        "customer_id;timestamp;amount\n7;2024-01-02;10\n8;2024-01-03;20\n",
        _text("customer_id;signup_date;cac\n7;2024-01-01;1.500\n8;2024-01-02;12\n"),
        {},
        (SchemaError, ["column 'cac' (cac) has values like '1.500'", "rows 0"]),
    ),
    (
        "a CAC '1.500' in a ';' file with decimal=',' is 1500",
        "customer_id;timestamp;amount\n7;2024-01-02;10\n8;2024-01-03;20\n",
        _text("customer_id;signup_date;cac\n7;2024-01-01;1.500\n8;2024-01-02;12\n"),
        {"decimal": ","},
        lambda c, a: c["cac"].tolist() == [1500.0, 12.0],
    ),
    (
        "a repeated id names the id and its rows",
        LOG_INT,
        _text(TABLE + "7,2024-01-02,web,5\n8,2024-01-03,shop,6\n7,2024-01-04,web,7\n"),
        {},
        (SchemaError, ["customer_id repeated: 1 id(s) on 2 rows (e.g. [7]), rows 0, 2"]),
    ),
    (
        "no customer_id column",
        LOG_INT,
        _text("id,signup_date\n7,2024-01-02\n"),
        {},
        (SchemaError, ["no customer_id column (columns: ['id', 'signup_date'])"]),
    ),
    (
        "column names matched ignoring case and spaces",
        LOG_INT,
        _text("Customer ID,Signup Date,Channel,CAC\n7,2024-01-02,web,5\n"),
        {},
        lambda c, a: list(c.columns) == ["signup_date", "channel", "cac"] and _ids(c) == [7],
    ),
    (
        "a latin-1 table without encoding: the log's error, naming the table",
        LOG_INT,
        _text(TABLE + "7,2024-01-02,caf\u00e9,5\n", encoding="latin-1"),
        {},
        (SchemaError, ["reading the customer table", "is not utf-8", "encoding='latin-1'"]),
    ),
    (
        "a latin-1 table with the log's encoding",
        LOG_INT,
        _text(TABLE + "7,2024-01-02,caf\u00e9,5\n", encoding="latin-1"),
        {"encoding": "latin-1"},
        lambda c, a: c["channel"].tolist() == ["caf\u00e9"],
    ),
    (
        "a ragged row names its line (the log's sniffing)",
        LOG_INT,
        _text(TABLE + "7,2024-01-02,web,5,x\n8,2024-01-03,shop,6\n"),
        {},
        (SchemaError, ["reading the customer table", "line 2 has more fields (5)"]),
    ),
    (
        "Parquet integer ids against text ids of the log: text by construction, matched",
        "customer_id,timestamp,amount\nA1,2024-01-02,10\n2,2024-01-03,20\n",
        _parquet(pd.DataFrame({"customer_id": [2, 3], "cac": [1.0, 2.0]})),
        {},
        lambda c, a: _ids(c) == ["2", "3"] and a.counts == {"matched": 1, "not_in_log": 1},
    ),
    (
        "a DataFrame of object ids and datetime sign-ups",
        LOG_007,
        lambda tmp_path: pd.DataFrame(
            {
                "customer_id": ["007", " 008 "],
                "signup_date": pd.to_datetime(["2024-01-01", "2024-01-02"]),
                "cac": ["5", "6.5"],
            }
        ),
        {},
        lambda c, a: (
            _ids(c) == ["007", "008"]
            and c["cac"].tolist() == [5.0, 6.5]
            and a.options["dates"] == "date-time column"
        ),
    ),
    (
        "an Excel table of text ids '007': text, as the log's",
        LOG_007,
        lambda tmp_path: _excel(tmp_path, {"customer_id": ["007", "008"], "cac": [1.0, 2.0]}),
        {},
        lambda c, a: _ids(c) == ["007", "008"] and a.counts == {"matched": 2},
    ),
    (
        "customer 'NA' of the table is the log's customer 'NA', not a missing id",
        "customer_id,timestamp,amount\nNA,2024-01-02,10\nNB,2024-01-03,20\n",
        _text(TABLE + "NA,2024-01-01,web,5\nNB,2024-01-02,NA,6\n"),
        {},
        lambda c, a: _ids(c) == ["NA", "NB"] and c["channel"].tolist() == ["web", "NA"],
    ),
    (
        "an empty file",
        LOG_INT,
        _text(""),
        {},
        (SchemaError, ["customers.csv", "the file is empty", "reading the customer table"]),
    ),
]


@pytest.mark.parametrize(
    ("log_text", "make", "options", "expected"),
    [c[1:] for c in CUSTOMERS],
    ids=[c[0] for c in CUSTOMERS],
)
def test_customer_tables(tmp_path: Path, log_text, make, options, expected) -> None:
    (tmp_path / "log.csv").write_text(log_text)
    keys = ("sep", "encoding", "date_format", "decimal", "thousands")
    text = {k: v for k, v in options.items() if k in keys}
    tx, _ = load_transactions(tmp_path / "log.csv", **text)
    source = make(tmp_path)
    if isinstance(expected, tuple):
        error, words = expected
        with pytest.raises(error) as err:
            load_customers(source, log=tx, **options)
        message = str(err.value)
        missing = [w for w in words if w not in message]
        assert not missing, f"{missing} not in: {message}"
        return
    customers, audit = load_customers(source, log=tx, **options)
    assert expected(customers, audit), (customers, audit)
    # every row counted once; the table holds the kept ones, of the log's kind
    assert sum(audit.counts.values()) == audit.n_input_rows
    assert audit.table().loc["total", "rows"] == audit.n_input_rows
    assert len(customers) == audit.n_kept
    assert customers.index.is_unique
    assert pd.api.types.is_integer_dtype(customers.index) == pd.api.types.is_integer_dtype(
        tx["customer_id"]
    )
    # the join the reports make (notebook 02 crashed on '007': "differ in kind")
    summary = customer_summary(tx, observation_end="2024-12-31", customers=customers)
    if "cac" in customers:
        matched = customers.index.intersection(summary.index)
        assert summary.loc[matched, "cac"].tolist() == customers.loc[matched, "cac"].tolist()


def test_without_a_log_ids_follow_the_logs_rule(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text(TABLE + "007,2024-01-01,web,5\n8,2024-01-02,shop,6\n")
    customers, audit = load_customers(path)
    assert _ids(customers) == ["007", "8"]  # one id with a leading zero: all text, as the log
    path.write_text(TABLE + "7,2024-01-01,web,5\n8,2024-01-02,shop,6\n")
    customers, audit = load_customers(path)
    assert _ids(customers) == [7, 8] and audit.counts == {"kept": 2}
    assert isinstance(audit, CustomerAudit) and audit.log_customers is None


def test_the_shops_table_loads_as_before() -> None:
    data = Path(__file__).parents[1] / "data"
    tx, _ = load_transactions(data / "transactions.csv", lazy=True)
    customers, audit = load_customers(data / "customers.csv", log=tx)
    assert list(customers.columns) == ["signup_date", "channel", "cac"]
    assert customers.index.dtype == "int64" and len(customers) == 9000
    assert customers["signup_date"].dtype == "datetime64[us]"
    assert audit.counts == {"matched": 6654, "not_in_log": 2346}
    assert audit.log_without_row == 0
    raw = pd.read_csv(data / "customers.csv")
    assert customers["cac"].sum() == pytest.approx(raw["cac"].sum())


def test_no_matching_id_stops_the_run_before_any_notebook(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    from clvlib.report import runner
    from clvlib.report.params import load_params

    rng = np.random.default_rng(0)
    rows = ["customer_id,order_id,timestamp,quantity,unit_price"]
    for c in range(120):
        for k, day in enumerate(sorted(rng.choice(170, size=3, replace=False))):
            stamp = pd.Timestamp("2024-01-01") + pd.Timedelta(days=int(day), hours=10)
            rows.append(f"{c:04d},{c}-{k},{stamp},1,{10 + c % 7}.50")
    rows.append("0000,last,2024-06-20 12:00:00,1,9.50")
    (tmp_path / "log.csv").write_text("\n".join(rows) + "\n")
    table = [TABLE.strip()] + [f"{c},2023-12-01,web,5" for c in range(120)]
    (tmp_path / "customers.csv").write_text("\n".join(table) + "\n")
    (tmp_path / "p.yaml").write_text(
        "data_path: log.csv\ncustomers_path: customers.csv\ncalibration_end: 2024-04-30\n"
        "holdout_end: 2024-06-20\n"
    )
    with pytest.raises(runner.InputError) as err:
        runner.check_data(load_params(tmp_path / "p.yaml"))
    message = str(err.value)
    assert "customers.csv" in message
    assert "no customer_id of the customer table is a customer of the log" in message
    assert "['0000', '0001', '0002']" in message
    # from the command line: exit 2, the one message, nothing rendered
    from clvlib.report.cli import main

    out = tmp_path / "out"
    assert main(["report", "--params", str(tmp_path / "p.yaml"), "--out", str(out)]) == 2
    assert (
        "no customer_id of the customer table is a customer of the log" in capsys.readouterr().err
    )
    assert not out.exists()
    # the same ids written alike: the data pass
    table = [TABLE.strip()] + [f"{c:04d},2023-12-01,web,5" for c in range(120)]
    (tmp_path / "customers.csv").write_text("\n".join(table) + "\n")
    runner.check_data(load_params(tmp_path / "p.yaml"))
