"""Hostile files and options: what the loader and the report runner do with them.

Each case of the hostile-input battery (/work/hostile) that failed is pinned here by its exact
outcome: the rows and values loaded, or the clvlib error (its type and words, naming file,
column and rows).
"""

from __future__ import annotations

import codecs
import os
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import clvlib
from clvlib.data.customers import load_customers
from clvlib.data.reading import SchemaError, load_transactions
from tests.test_runner import notebook

HEADER = "customer_id,timestamp,amount\n"
BOM_LOG = codecs.BOM_UTF8 + b"customer_id,timestamp,amount\n0001,2024-01-05,10\n1,2024-01-06,20\n"


def _file(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _ids(tx: pd.DataFrame) -> list[str]:
    return sorted(map(str, tx["customer_id"]))


# ----------------------------------------------------------------------------- encodings


@pytest.mark.parametrize("encoding", ["utf8", "UTF8", "U8", "utf-8", "UTF_8", "utf-8-sig"])
def test_a_utf8_bom_is_dropped_under_every_name_of_utf8(tmp_path: Path, encoding: str) -> None:
    tx, audit = load_transactions(_file(tmp_path, "f.csv", BOM_LOG), encoding=encoding)
    assert _ids(tx) == ["0001", "1"]  # the header's first name is customer_id, not \ufeff...
    assert audit.n_input_rows == 2
    assert tx["amount"].sum() == 30.0


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-16-le"])
def test_a_utf16_file_with_its_bom_is_read_as_utf16(tmp_path: Path, codec: str) -> None:
    text = HEADER + "0001,2024-01-05,10\n1,2024-01-06,20\n"
    bom = {"utf-16": b"", "utf-16-be": codecs.BOM_UTF16_BE, "utf-16-le": codecs.BOM_UTF16_LE}
    path = _file(tmp_path, "f.csv", bom[codec] + text.encode(codec))
    tx, audit = load_transactions(path)
    assert _ids(tx) == ["0001", "1"]
    assert audit.options["encoding"] == "utf-16"
    for encoding in ("UTF16", codec):  # the name given, any alias, the mark dropped
        tx, _ = load_transactions(path, encoding=encoding)
        assert _ids(tx) == ["0001", "1"]
        assert tx.columns[0] == "customer_id"


def test_a_utf16_file_longer_than_the_sniffed_head_is_read_whole(tmp_path: Path) -> None:
    rows = "".join(f"{i},2024-01-05,{i % 7 + 1}\n" for i in range(6000))  # > 64 KiB in UTF-16
    path = _file(tmp_path, "f.csv", (HEADER + rows).encode("utf-16"))
    tx, audit = load_transactions(path)
    assert audit.n_input_rows == 6000 and len(tx) == 6000


def test_a_utf16_file_read_by_another_encoding_is_named(tmp_path: Path) -> None:
    path = _file(tmp_path, "f.csv", (HEADER + "1,2024-01-05,10\n").encode("utf-16"))
    for encoding in ("latin-1", "utf-8"):
        with pytest.raises(SchemaError) as err:
            load_transactions(path, encoding=encoding)
        assert err.value.problems == [
            "the file starts with a UTF-16 byte-order mark (bytes FF FE): it is UTF-16 text, "
            f"not {encoding}; pass encoding='utf-16', or leave encoding out"
        ]
        assert str(path) in str(err.value)
    path = _file(tmp_path, "g.csv", (HEADER + "1,2024-01-05,10\n").encode("utf-32"))
    with pytest.raises(SchemaError, match=r"UTF-32 byte-order mark \(bytes FF FE 00 00\)"):
        load_transactions(path, encoding="cp1252")
    assert load_transactions(path)[1].options["encoding"] == "utf-32"


# ----------------------------------------------------------------------------- line ends


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_cr_only_line_ends_are_lines(tmp_path: Path, sep: str) -> None:
    lines = (
        ["customer_id", "timestamp", "amount"],
        ["1", "2024-01-05", "10"],
        ["2", "2024-01-06", "5"],
    )
    text = "".join(sep.join(line) + "\r" for line in lines)
    tx, audit = load_transactions(_file(tmp_path, "f.csv", text.encode()))
    assert audit.n_input_rows == 2
    assert tx["customer_id"].tolist() == [1, 2]
    assert tx["amount"].tolist() == [10.0, 5.0]
    assert tx["timestamp"].dt.strftime("%Y-%m-%d").tolist() == ["2024-01-05", "2024-01-06"]


def test_cr_only_ragged_row_is_named_by_its_line(tmp_path: Path) -> None:
    text = b"customer_id,timestamp,amount\r1,2024-01-05,10\r2,2024-01-06,5,9\r"
    with pytest.raises(SchemaError, match=r"line 3 has more fields \(4\) than the header \(3"):
        load_transactions(_file(tmp_path, "f.csv", text))


# ----------------------------------------------------------------------------- headers


def test_a_header_repeated_in_the_head_is_named(tmp_path: Path) -> None:
    text = HEADER + "1,2024-01-05,10\n" + HEADER + "2,2024-01-06,20\n" + HEADER
    with pytest.raises(SchemaError) as err:
        load_transactions(_file(tmp_path, "f.csv", text.encode()))
    assert err.value.problems == [
        "lines 3, 5 repeat the header (two exports joined?): remove the repeated header lines"
    ]


def test_a_header_repeated_past_the_head_is_a_dropped_row_never_merged(tmp_path: Path) -> None:
    first = "".join(f"{i},2024-01-05,1\n" for i in range(8000))  # past the sniffed 64 KiB
    text = HEADER + first + HEADER + "9001,2024-01-06,20\n"
    tx, audit = load_transactions(_file(tmp_path, "f.csv", text.encode()))
    assert audit.n_input_rows == 8002
    assert len(tx) == 8001 and tx["amount"].sum() == 8020.0
    assert audit.outcomes[8000] == "bad_timestamp"  # the repeated header, counted
    assert audit.table().loc["bad_timestamp", "rows"] == 1


def test_an_excel_title_above_the_header_is_named(tmp_path: Path) -> None:
    path = _workbook(
        tmp_path,
        {"S": [["Sales export"], ["customer_id", "timestamp", "amount"], [1, "2023-01-05", 10]]},
    )
    with pytest.raises(SchemaError) as err:
        load_transactions(path)
    assert err.value.problems == [
        "sheet 'S': the first row ('Sales export') is one cell and every row below has several: "
        "a title or note above the header? remove it, so that the sheet starts with the column "
        "names"
    ]


def test_sheets_read_together_must_have_the_same_columns(tmp_path: Path) -> None:
    path = _workbook(
        tmp_path,
        {
            "a": [["customer_id", "timestamp", "amount"], [1, "2023-01-05", 10]],
            "b": [["customer_id", "timestamp", "value"], [2, "2024-01-05", 20]],
        },
    )
    with pytest.raises(SchemaError) as err:
        load_transactions(path, sheet_name=None)
    assert err.value.problems == [
        "sheet 'b' has ['value'] that sheet 'a' has not and lacks ['amount']: the sheets read "
        "one after the other (sheet_name=None) must have the same columns; rename them alike, "
        "or read one sheet with sheet_name='...'"
    ]
    same = _workbook(
        tmp_path,
        {
            "a": [["customer_id", "timestamp", "amount"], [1, "2023-01-05", 10]],
            "b": [["amount", "customer_id", "timestamp"], [20, 2, "2024-01-05"]],  # reordered
            "empty": [],
        },
        name="same.xlsx",
    )
    tx, audit = load_transactions(same, sheet_name=None)
    assert tx["amount"].tolist() == [10.0, 20.0] and audit.n_input_rows == 2


def _workbook(tmp_path: Path, sheets: dict[str, list[list]], name: str = "f.xlsx") -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for sheet, rows in sheets.items():
        ws = book.create_sheet(sheet)
        for row in rows:
            ws.append(row)
    book.save(tmp_path / name)
    return tmp_path / name


# ----------------------------------------------------------------------------- clvlib's names


def test_a_column_named_with_clvlibs_prefix_is_refused_from_every_source(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"customer_id": [1], "timestamp": ["2024-01-05"], "amount": [10.0], "_clvlib_row": ["x"]}
    )
    frame.to_parquet(tmp_path / "f.parquet")
    frame.to_excel(tmp_path / "f.xlsx", index=False)
    frame.to_csv(tmp_path / "f.csv", index=False)
    problem = (
        "column '_clvlib_row' starts with '_clvlib_', the prefix of the columns clvlib adds "
        "while loading: rename it"
    )
    for source in ("f.csv", "f.parquet", "f.xlsx"):
        with pytest.raises(SchemaError) as err:
            load_transactions(tmp_path / source)
        assert err.value.problems == [problem] and err.value.source == str(tmp_path / source)
    with pytest.raises(SchemaError) as err:
        load_transactions(frame)
    assert err.value.problems == [problem]
    with pytest.raises(SchemaError) as err:
        load_customers(frame.rename(columns={"_clvlib_row": "_clvlib_x"}))
    assert "column '_clvlib_x' starts with '_clvlib_'" in err.value.problems[0]


def test_a_timestamp_of_durations_is_refused_as_not_dates() -> None:
    frame = pd.DataFrame(
        {"customer_id": [1], "timestamp": pd.to_timedelta(["1 day"]), "amount": [1.0]}
    )
    with pytest.raises(SchemaError) as err:
        load_transactions(frame)
    assert err.value.problems == [
        "column 'timestamp' (timestamp) cannot be read as dates: 1 of 1 non-empty values are "
        "not dates, rows 0 (values '1 days')"
    ]


def test_a_duration_column_beside_the_roles_passes_on_as_text() -> None:
    frame = pd.DataFrame(
        {
            "customer_id": [1, 2],
            "timestamp": ["2024-01-05", "2024-01-06"],
            "amount": [1.0, 2.0],
            "delivery": pd.to_timedelta(["1 day", None]),
        }
    )
    tx, audit = load_transactions(frame)
    assert audit.n_input_rows == 2 and tx["amount"].tolist() == [1.0, 2.0]


# ----------------------------------------------------------------------------- options


@pytest.fixture
def products(tmp_path: Path) -> Path:
    return _file(
        tmp_path,
        "f.csv",
        b"customer_id,timestamp,amount,product_id\n"
        b"1,2024-01-05,10,P\n2,2024-01-06,5,O\n3,2024-01-06,5,POST\n",
    )


def test_columns_must_be_a_mapping(products: Path) -> None:
    with pytest.raises(SchemaError) as err:
        load_transactions(products, columns=["customer_id"])
    assert err.value.problems == [
        "columns must be a mapping of names to the source's column names, e.g. "
        "{'customer_id': 'CustomerID'}; got list ['customer_id']"
    ]
    assert err.value.source == str(products)
    with pytest.raises(SchemaError, match="columns must be a mapping"):
        load_customers(products, columns=("customer_id",))


def test_a_string_of_non_product_codes_is_one_code(products: Path) -> None:
    tx, audit = load_transactions(products, non_product_codes="POST")
    assert tx["product_id"].tolist() == ["P", "O"]
    assert audit.outcomes.tolist() == ["kept", "kept", "non_product"]


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (
            "01/02/2024",
            "observation_end='01/02/2024' is ambiguous (day-first 2024-02-01, month-first "
            "2024-01-02); write it as ISO 'YYYY-MM-DD'",
        ),
        (
            "soon",
            "observation_end='soon' is not a date; write it as ISO 'YYYY-MM-DD' (e.g. "
            "'2011-12-09') or pass a datetime.date / pandas.Timestamp",
        ),
    ],
)
def test_an_observation_end_that_is_no_date_is_a_schema_error(
    products: Path, value: str, problem: str
) -> None:
    with pytest.raises(SchemaError) as err:
        load_transactions(products, observation_end=value)
    assert err.value.problems == [problem]
    assert err.value.source == str(products)


# ----------------------------------------------------------------------------- missing files


def test_a_missing_file_is_a_clvlib_error_and_a_file_not_found_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert issubclass(clvlib.SourceNotFoundError, SchemaError)
    assert issubclass(clvlib.SourceNotFoundError, FileNotFoundError)
    monkeypatch.chdir(tmp_path)
    _file(tmp_path, "b.parquet", b"not read")
    for name in ("nope.csv", "*.parquet"):
        with pytest.raises(clvlib.SourceNotFoundError) as err:
            load_transactions(name)
        assert err.value.source == name
        assert err.value.problems == [f"no such file (looked for {tmp_path / name})"]
        assert str(err.value).startswith(f"{name}: 1 problem(s) reading the transaction log")
    with pytest.raises(FileNotFoundError, match="nope.xlsx"):
        clvlib.load_online_retail("nope.xlsx")
    with pytest.raises(FileNotFoundError, match="reading the customer table"):
        load_customers(tmp_path / "nope.csv")


@pytest.mark.skipif(sys.platform == "win32", reason="FIFOs and symbolic links of POSIX")
def test_a_fifo_or_a_link_to_nowhere_names_its_cause(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "p.csv")
    with pytest.raises(SchemaError) as err:
        load_transactions(tmp_path / "p.csv")
    assert not isinstance(err.value, FileNotFoundError)
    assert err.value.problems == [
        "is not a regular file (a FIFO or device): give the order log's file"
    ]
    os.symlink("loop.csv", tmp_path / "loop.csv")
    os.symlink("gone.csv", tmp_path / "broken.csv")
    for name in ("loop.csv", "broken.csv"):
        with pytest.raises(clvlib.SourceNotFoundError) as err:
            load_transactions(tmp_path / name)
        assert err.value.problems == [
            "is a symbolic link that leads nowhere (broken or looping): no such file behind it"
        ]


# ----------------------------------------------------------------------------- customer table


@pytest.fixture
def log(tmp_path: Path) -> pd.DataFrame:
    path = _file(tmp_path, "log.csv", b"customer_id,timestamp,amount\n007,2024-01-05,10\n")
    return load_transactions(path)[0]


@pytest.mark.parametrize("cac", ["1e300", "10000000000000", "-2e12"])
def test_a_cac_too_large_to_be_money_is_refused(
    tmp_path: Path, log: pd.DataFrame, cac: str
) -> None:
    path = _file(tmp_path, "c.csv", f"customer_id,cac\n007,5\n008,{cac}\n".encode())
    with pytest.raises(SchemaError) as err:
        load_customers(path, log=log)
    assert err.value.problems == [
        "column 'cac' (cac) has values too large to be money (above 1,000,000,000,000 in "
        f"absolute value): rows 1 (values '{cac}')"
    ]
    table, _ = load_customers(
        _file(tmp_path, "ok.csv", b"customer_id,cac\n007,1000000000000\n"), log=log
    )
    assert table["cac"].tolist() == [1e12]  # the cap itself is money


@pytest.mark.parametrize("with_log", [True, False])
def test_a_customer_table_without_rows_is_an_error(
    tmp_path: Path, log: pd.DataFrame, with_log: bool
) -> None:
    path = _file(tmp_path, "c.csv", b"customer_id,signup_date\n")
    with pytest.raises(SchemaError) as err:
        load_customers(path, log=log if with_log else None)
    assert err.value.problems == [
        "the table has no rows (a header and no customers): give the file with its rows"
    ]
    assert str(err.value).startswith(f"{path}: 1 problem(s) reading the customer table")


# ----------------------------------------------------------------------------- the runner


def _data_set(folder: Path, name: str, *, good: bool = True) -> Path:
    """A data set that passes the minimum-data gate (or whose log has no customer column)."""
    folder.mkdir()
    rows = ["customer_id,order_id,timestamp,quantity,unit_price"]
    for c in range(120):
        for k, day in enumerate((3 + c % 40, 60 + c % 50, 120 + c % 50)):
            stamp = pd.Timestamp("2024-01-01") + pd.Timedelta(days=day, hours=10)
            rows.append(f"{c},{c}-{k},{stamp},1,{10 + c % 7}.50")
    rows.append("0,last,2024-06-20 12:00:00,1,9.50")  # the data reach holdout_end
    text = "\n".join(rows) + "\n"
    (folder / "log.csv").write_text(text if good else text.replace("customer_id", "client"))
    (folder / "p.yaml").write_text(
        f"dataset_name: {name}\ndata_path: log.csv\ncustomers_path: ''\n"
        "calibration_end: 2024-04-30\nholdout_end: 2024-06-20\n"
    )
    return folder / "p.yaml"


@pytest.fixture
def quick(tmp_path: Path) -> Path:
    return notebook(tmp_path / "01_quick.ipynb", "x = 1")


def test_notebooks_without_the_comparison_render_and_skip_the_verdict(
    tmp_path: Path, quick: Path, capsys: pytest.CaptureFixture
) -> None:
    from clvlib.report.cli import main

    params = [_data_set(tmp_path / n, n) for n in ("one", "two", "three")]
    args = [a for p in params for a in ("--params", str(p))]
    out = tmp_path / "out"
    status = main(["report", *args, "--out", str(out), "--notebooks", str(quick), "--no-progress"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    skipped = (
        "The verdict across data sets is skipped: it is built from 05_method_comparison, which "
        "was not among the notebooks rendered (--notebooks)."
    )
    assert captured.out.count(skipped) == 1
    assert "failed" not in captured.out + captured.err
    index = (out / "index.html").read_text(encoding="utf-8")
    assert skipped in index and "Failed" not in index
    assert not (out / "verdict.json").exists()
    for name in ("one", "two", "three"):
        assert (out / name / "01_quick.html").is_file()


def test_every_data_set_refused_is_exit_2_naming_each(
    tmp_path: Path, quick: Path, capsys: pytest.CaptureFixture
) -> None:
    from clvlib.report.cli import main

    params = [_data_set(tmp_path / n, n, good=False) for n in ("one", "two")]
    args = [a for p in params for a in ("--params", str(p))]
    out = tmp_path / "out"
    status = main(["report", *args, "--out", str(out), "--notebooks", str(quick), "--no-progress"])
    err = capsys.readouterr().err
    assert status == 2, err
    assert err.startswith("error: data set 'one': ") and err.count("error: ") == 1, err
    assert "\n\ndata set 'two': " in err
    assert err.count("missing required column 'customer_id'") == 2, err
    assert "Traceback" not in err
    assert not out.exists()  # nothing rendered, nothing written


def test_some_data_sets_refused_is_exit_1_the_others_rendered(
    tmp_path: Path, quick: Path, capsys: pytest.CaptureFixture
) -> None:
    from clvlib.report.cli import main

    params = [_data_set(tmp_path / "one", "one"), _data_set(tmp_path / "two", "two", good=False)]
    args = [a for p in params for a in ("--params", str(p))]
    out = tmp_path / "out"
    status = main(["report", *args, "--out", str(out), "--notebooks", str(quick), "--no-progress"])
    err = capsys.readouterr().err
    assert status == 1, err
    assert "data set 'two' failed:" in err and "missing required column 'customer_id'" in err
    assert "data set 'one'" not in err
    assert (out / "one" / "01_quick.html").is_file()
