"""Tests of clvlib.data.reading: the clean log, the audit of every input row, and the schema
errors."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clvlib.data.reading import (
    REASONS,
    LoadAudit,
    SchemaError,
    load_online_retail,
    load_transactions,
)

DATA = Path(__file__).parent / "data"
TINY = DATA / "io_tiny.csv"

# tests/data/io_tiny.csv, one row per outcome (rows 0-based; value = Quantity x Unit Price):
#  0 101 O1   2024-01-05 10:00 P1    2 x 5.00  kept                    10
#  1 101 O1   2024-01-05 10:00 P2    1 x 7.50  kept                     7.5
#  2 102 O2   2024-01-06       P1    3 x 5.00  kept (date-only in an ISO column)  15
#  3 102 CO3  2024-01-07       P1   -1 x 5.00  return (C prefix, negative qty)    -5
#  4 101 O4   2024-01-08       P2   -2 x 7.50  return (negative qty only)        -15
#  5 ---  O5  2024-01-08       P1    4 x 5.00  no_customer             20
#  6 103 O6   not a date       P1    1 x 5.00  bad_timestamp            5
#  7 103 O7   2024-01-09       P1    2 x abc   bad_value                0 (not computable)
#  8 103 O8   2024-02-15       P1    1 x 5.00  after_observation_end    5
#  9 101 O9   2024-01-10       POST  1 x 3.00  non_product              3
# 10 = row 0                                   duplicate               10
# 11 102 O10  2024-01-11       P3    5 x 0     non_positive_price       0
# 12 102 O11  2024-01-12       P3    0 x 4.00  zero_value               0
# 13 104 CO12 2024-01-13       post -2 x 3.00  non_product (before return)   -6
# 14 ---  O13 yesterday        P1    1 x 5.00  no_customer (before bad_timestamp) 5
# 15 104 O14  2024-01-31 23:59 P2    1 x 7.50  kept (last minute of observation_end)  7.5
TINY_OPTIONS = dict(
    columns={"timestamp": "Date"},
    observation_end="2024-01-31",
    cancellation_prefix="C",
    non_product_codes=["post"],
)
TINY_OUTCOMES = [
    "kept", "kept", "kept", "return", "return", "no_customer", "bad_timestamp", "bad_value",
    "after_observation_end", "non_product", "duplicate", "non_positive_price", "zero_value",
    "non_product", "no_customer", "kept",
]  # fmt: skip
# code: (rows, value), counted by hand from the table above
TINY_TABLE = {
    "kept": (4, 40.0),
    "identical": (0, 0.0),
    "return": (2, -20.0),
    "no_customer": (2, 25.0),
    "bad_timestamp": (1, 5.0),
    "bad_value": (1, 0.0),
    "after_observation_end": (1, 5.0),
    "future": (0, 0.0),
    "non_product": (2, -3.0),
    "duplicate": (1, 10.0),
    "non_positive_price": (1, 0.0),
    "zero_value": (1, 0.0),
    "total": (16, 62.0),
}


@pytest.fixture(scope="module")
def tiny() -> tuple[pd.DataFrame, LoadAudit]:
    return load_transactions(TINY, **TINY_OPTIONS)


def test_tiny_audit_table_hand_counted(tiny):
    _, audit = tiny
    table = audit.table()
    assert list(table.index) == list(TINY_TABLE)
    assert table["rows"].to_dict() == {k: v[0] for k, v in TINY_TABLE.items()}
    assert table["value"].to_dict() == pytest.approx({k: v[1] for k, v in TINY_TABLE.items()})
    assert table.loc["total", "share"] == 1.0
    assert table.loc["kept", "share"] == pytest.approx(4 / 16)
    assert table.loc["return", "outcome"] == "netted"
    assert set(table.loc[list(REASONS)[:8], "outcome"]) == {"dropped"}
    assert audit.n_input_rows == 16
    assert audit.input_value == pytest.approx(62.0)


def test_tiny_per_row_outcomes_and_examples(tiny):
    _, audit = tiny
    assert audit.outcomes.tolist() == TINY_OUTCOMES
    assert list(audit.outcomes.index) == list(range(16))
    assert audit.examples()["no_customer"] == [5, 14]
    assert audit.examples(n=1)["kept"] == [0]
    assert "zero_value" in audit.examples() and "bad_value" in audit.examples()
    # row 14 fails two checks; the earlier reason wins
    assert audit.flags.loc[14, ["no_customer", "bad_timestamp"]].all()
    assert audit.flags.loc[13, ["non_product", "return"]].all()


def test_tiny_clean_log_values(tiny):
    tx, _ = tiny
    assert list(tx.index) == [0, 1, 2, 3, 4, 15]
    assert tx.index.name == "row"
    assert list(tx.columns[:5]) == ["customer_id", "order_id", "timestamp", "amount", "is_return"]
    assert tx["customer_id"].dtype == "int64"
    assert tx["customer_id"].tolist() == [101, 101, 102, 102, 101, 104]
    assert tx["order_id"].tolist() == ["O1", "O1", "O2", "CO3", "O4", "O14"]
    assert tx["amount"].tolist() == [10.0, 7.5, 15.0, -5.0, -15.0, 7.5]
    assert tx["quantity"].tolist() == [2.0, 1.0, 3.0, -1.0, -2.0, 1.0]
    assert tx["is_return"].tolist() == [False, False, False, True, True, False]
    assert tx["timestamp"].dtype == "datetime64[us]"
    assert tx["timestamp"].iloc[2] == pd.Timestamp("2024-01-06")
    assert tx["country"].tolist() == ["UK", "UK", "FR", "FR", "UK", "UK"]
    assert tx["product_id"].tolist() == ["P1", "P2", "P1", "P1", "P2", "P2"]


def test_audit_value_of_kept_and_netted_equals_clean_log(tiny):
    tx, audit = tiny
    table = audit.table()
    assert tx["amount"].sum() == pytest.approx(table.loc[["kept", "return"], "value"].sum())


def test_audit_to_dict_is_json_and_html_shows_table(tiny):
    _, audit = tiny
    d = json.loads(json.dumps(audit.to_dict()))
    assert d["source"] == str(TINY)
    assert re.fullmatch(r"[0-9a-f]{64}", d["sha256"])
    assert d["n_input_rows"] == 16
    assert d["options"]["observation_end"] == "2024-01-31T00:00:00"
    assert d["options"]["non_product_codes"] == ["POST"]
    assert d["columns"]["timestamp"] == "Date" and d["columns"]["customer_id"] == "Customer ID"
    by_code = {r["code"]: r for r in d["reasons"]}
    assert by_code["duplicate"]["examples"] == [10]
    assert sum(r["rows"] for r in d["reasons"] if r["code"] != "total") == 16
    html = audit._repr_html_()
    assert "<table" in html and "io_tiny.csv" in html and "exact duplicate" in html
    assert "16 input rows" in repr(audit)


def _write(frame: pd.DataFrame, path: Path, fmt: str) -> Path:
    out = path / f"log.{fmt}"
    if fmt == "csv":
        frame.to_csv(out, index=False)
    elif fmt == "parquet":
        frame.to_parquet(out, index=False)
    else:
        frame.to_excel(out, index=False, engine="openpyxl")
    return out


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx", "frame"])
def test_round_trip_formats_give_the_same_result(tiny, tmp_path, fmt):
    expected_tx, expected_audit = tiny
    frame = pd.read_csv(TINY)
    source = frame if fmt == "frame" else _write(frame, tmp_path, fmt)
    tx, audit = load_transactions(source, **TINY_OPTIONS)
    pd.testing.assert_frame_equal(tx, expected_tx)
    pd.testing.assert_frame_equal(audit.table(), expected_audit.table())
    pd.testing.assert_series_equal(audit.outcomes, expected_audit.outcomes)


def test_caller_frame_is_not_mutated():
    frame = pd.read_csv(TINY)
    before = frame.copy()
    load_transactions(frame, **TINY_OPTIONS)
    pd.testing.assert_frame_equal(frame, before)


def test_sha256_is_of_the_file_bytes(tiny):
    import hashlib

    _, audit = tiny
    assert audit.sha256 == hashlib.sha256(TINY.read_bytes()).hexdigest()


def test_observation_end_includes_the_whole_day():
    frame = pd.DataFrame(
        {
            "customer_id": [1, 1, 1],
            "timestamp": pd.to_datetime(
                ["2024-01-31 00:00", "2024-01-31 23:59", "2024-02-01"], format="ISO8601"
            ),
            "amount": [1.0, 2.0, 4.0],
        }
    )
    tx, audit = load_transactions(frame, observation_end="2024-01-31")
    assert tx["amount"].tolist() == [1.0, 2.0]
    assert audit.table().loc["after_observation_end", ["rows", "value"]].tolist() == [1, 4.0]
    tx_all, _ = load_transactions(frame)
    assert len(tx_all) == 3


# ----------------------------------------------------------------------------- mapping and types


def test_columns_matched_by_name_ignoring_case_spaces_underscores():
    frame = pd.DataFrame(
        {
            "CUSTOMER ID": [7],
            "Time-Stamp": ["2024-03-01"],
            "Unit_Price": [2.5],
            "quantity": [4],
            "Channel": ["ads"],
        }
    )
    tx, audit = load_transactions(frame)
    assert audit.columns == {
        "customer_id": "CUSTOMER ID",
        "timestamp": "Time-Stamp",
        "quantity": "quantity",
        "unit_price": "Unit_Price",
        "channel": "Channel",
    }
    assert tx["amount"].tolist() == [10.0] and tx["channel"].tolist() == ["ads"]


def test_amount_wins_over_quantity_times_price_and_negative_amount_is_a_return():
    frame = pd.DataFrame(
        {
            "customer_id": [1, 1],
            "timestamp": ["2024-01-01", "2024-01-02"],
            "amount": [9.0, -4.0],
            "quantity": [2, 1],
            "unit_price": [5.0, 4.0],
        }
    )
    tx, _ = load_transactions(frame)
    assert tx["amount"].tolist() == [9.0, -4.0]
    assert tx["is_return"].tolist() == [False, True]
    assert tx["quantity"].tolist() == [2.0, -1.0]  # negative on returns, whatever the source


def test_customer_ids_int64_when_integral_else_text():
    base = {"timestamp": ["2024-01-01"] * 3, "amount": [1.0, 2.0, 3.0]}
    uci_style = pd.DataFrame({"customer_id": [17850.0, np.nan, 13047.0], **base})
    tx, _ = load_transactions(uci_style)
    assert tx["customer_id"].dtype == "int64" and tx["customer_id"].tolist() == [17850, 13047]
    text_floats = pd.DataFrame({"customer_id": ["17850.0", "", "13047.0"], **base})
    tx, audit = load_transactions(text_floats)
    assert tx["customer_id"].tolist() == [17850, 13047]
    assert audit.outcomes.tolist() == ["kept", "no_customer", "kept"]
    zeros = pd.DataFrame({"customer_id": ["007", "12", "A9"], **base})
    tx, _ = load_transactions(zeros)
    assert tx["customer_id"].tolist() == ["007", "12", "A9"]
    assert pd.api.types.is_string_dtype(tx["customer_id"])
    big = pd.DataFrame({"customer_id": pd.array([2**62 + 1, None, 5], dtype="Int64"), **base})
    tx, _ = load_transactions(big)
    assert tx["customer_id"].tolist() == [2**62 + 1, 5]  # no detour through float64


def test_order_id_synthesised_per_row_when_absent():
    frame = pd.DataFrame(
        {"customer_id": [1, 2], "timestamp": ["2024-01-01", "2024-01-01"], "amount": [3.0, 4.0]}
    )
    tx, _ = load_transactions(frame)
    assert tx["order_id"].tolist() == ["row-0", "row-1"]
    numeric = frame.assign(order_id=[536365, 536366])
    tx, _ = load_transactions(numeric)
    assert tx["order_id"].tolist() == ["536365", "536366"]


@pytest.mark.parametrize(
    ("cost_columns", "expected"),
    [
        ({"cost": [6.0, 3.0]}, [6.0, -3.0]),
        ({"unit_cost": [3.0, 3.0]}, [6.0, -3.0]),
        ({"margin": [0.25, 0.25]}, [7.5, -3.75]),  # amount x (1 - margin)
    ],
)
def test_cost_from_cost_unit_cost_or_margin(cost_columns, expected):
    frame = pd.DataFrame(
        {
            "customer_id": [1, 1],
            "timestamp": ["2024-01-01", "2024-01-02"],
            "quantity": [2, -1],
            "unit_price": [5.0, 5.0],
            **cost_columns,
        }
    )
    tx, _ = load_transactions(frame)
    assert tx["amount"].tolist() == [10.0, -5.0]
    assert tx["cost"].tolist() == pytest.approx(expected)


def test_duplicates_kept_when_asked():
    frame = pd.read_csv(TINY)
    _, audit = load_transactions(frame, **TINY_OPTIONS, drop_duplicates=False)
    assert audit.outcomes[10] == "kept"
    assert audit.table().loc["duplicate", "rows"] == 0


def test_day_first_dates_with_date_format():
    frame = pd.DataFrame(
        {"customer_id": [1, 1], "timestamp": ["13/01/2024", "02/03/2024"], "amount": [1.0, 1.0]}
    )
    tx, _ = load_transactions(frame, date_format="%d/%m/%Y")
    assert tx["timestamp"].tolist() == [pd.Timestamp("2024-01-13"), pd.Timestamp("2024-03-02")]


# ----------------------------------------------------------------------------- errors


def test_missing_column_suggests_the_closest_name():
    frame = pd.DataFrame(
        {"CustomerID": [1], "InvoiceDate": ["2024-01-01"], "Quantity": [1], "UnitPrice": [2.0]}
    )
    with pytest.raises(SchemaError) as err:
        load_transactions(frame)
    assert len(err.value.problems) == 1
    msg = str(err.value)
    assert "missing required column 'timestamp'" in msg
    assert "'InvoiceDate'" in msg and "columns={'timestamp': 'InvoiceDate'}" in msg
    assert isinstance(err.value, ValueError)


def test_all_problems_in_one_error_naming_the_file(tmp_path):
    path = tmp_path / "orders.csv"
    pd.DataFrame(
        {"client": [1, 2, 3], "when": ["2024-01-01"] * 3, "Price": ["ten", "six", "nine"]}
    ).assign(qty=[1, 2, 3]).to_csv(path, index=False)
    with pytest.raises(SchemaError) as err:
        load_transactions(path, columns={"timestamp": "when", "quantity": "qty"})
    msg = str(err.value)
    assert msg.startswith(str(path))
    assert err.value.source == str(path)
    problems = err.value.problems
    assert len(problems) == 2
    assert any("missing required column 'customer_id'" in p and "'client'" in p for p in problems)
    assert any("no way to compute the line value" in p and "'Price'" in p for p in problems)


def test_price_column_of_words_names_column_count_and_rows():
    frame = pd.DataFrame(
        {
            "customer_id": [1, 2, 3, 4],
            "timestamp": ["2024-01-01"] * 4,
            "quantity": [1, 1, 1, 1],
            "unit_price": ["cheap", "dear", "3.0", "free"],
        }
    )
    with pytest.raises(SchemaError) as err:
        load_transactions(frame, source_name="shop.xlsx")
    (problem,) = err.value.problems
    assert "'unit_price' (unit_price) cannot be read as numbers" in problem
    assert "3 of 4 non-empty values" in problem and "rows 0, 1, 3" in problem
    assert "'cheap'" in problem
    assert str(err.value).startswith("shop.xlsx")


def test_timestamp_column_of_words_is_a_schema_error():
    frame = pd.DataFrame(
        {"customer_id": [1, 2], "timestamp": ["soon", "later"], "amount": [1.0, 2.0]}
    )
    with pytest.raises(SchemaError, match=r"'timestamp' \(timestamp\) cannot be read as dates"):
        load_transactions(frame)


def test_empty_input():
    frame = pd.DataFrame(
        {"customer_id": [], "timestamp": [], "amount": []},
    )
    with pytest.raises(SchemaError, match="the input has no rows"):
        load_transactions(frame)


def test_empty_file_with_header_names_the_file(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("customer_id,timestamp,amount\n")
    with pytest.raises(SchemaError) as err:
        load_transactions(path)
    assert str(path) in str(err.value) and "no rows" in str(err.value)


def test_bad_mapping_unknown_role_and_unsupported_file(tmp_path):
    frame = pd.DataFrame({"CustomerID": [1], "timestamp": ["2024-01-01"], "amount": [1.0]})
    with pytest.raises(SchemaError) as err:
        load_transactions(frame, columns={"customer_id": "Customer", "revenue": "amount"})
    msg = str(err.value)
    assert "maps 'customer_id' to 'Customer', which is not a column" in msg
    assert "'CustomerID'" in msg
    assert "unknown role 'revenue'" in msg
    path = tmp_path / "log.json"
    path.write_text("{}")
    with pytest.raises(SchemaError, match=r"(?s)log\.json.*unsupported file type '\.json'"):
        load_transactions(path)
    with pytest.raises(FileNotFoundError, match="nowhere.csv"):
        load_transactions(tmp_path / "nowhere.csv")


def test_options_that_need_a_missing_column():
    frame = pd.DataFrame({"customer_id": [1], "timestamp": ["2024-01-01"], "amount": [1.0]})
    with pytest.raises(SchemaError) as err:
        load_transactions(frame, cancellation_prefix="C", non_product_codes=["POST"])
    assert len(err.value.problems) == 2


def test_margin_given_as_percent_is_an_error():
    frame = pd.DataFrame(
        {"customer_id": [1, 2], "timestamp": ["2024-01-01"] * 2, "amount": [1.0, 2.0]}
    ).assign(margin=[0.2, 20.0])
    with pytest.raises(SchemaError, match=r"margin.*fraction.*rows 1"):
        load_transactions(frame)


def test_required_column_without_values_is_a_schema_error():
    frame = pd.DataFrame({"customer_id": [None, None], "timestamp": ["2024-01-01"] * 2})
    with pytest.raises(SchemaError, match=r"'customer_id' \(customer_id\) has no values"):
        load_transactions(frame.assign(amount=[1.0, 2.0]))


def test_strict_names_file_column_and_rows():
    with pytest.raises(SchemaError) as err:
        load_transactions(TINY, **TINY_OPTIONS, strict=True)
    problems = err.value.problems
    assert str(err.value).startswith(str(TINY))
    assert len(problems) == 2
    assert "'Date' (timestamp): 1 row missing or unparseable, rows 6" in problems[0]
    assert "'not a date'" in problems[0]
    assert "'Unit Price' (unit_price): 1 row missing or unparseable, rows 7" in problems[1]
    # row 14 (no customer, and a bad date) is dropped for its customer, not an error
    assert "14" not in problems[0]


def test_strict_passes_clean_input():
    frame = pd.read_csv(TINY).drop(index=[6, 7, 14])
    tx, audit = load_transactions(frame, **TINY_OPTIONS, strict=True)
    assert audit.n_input_rows == 13 and len(tx) == 6


# ----------------------------------------------------------------------------- invariants


@st.composite
def random_logs(draw):
    """Logs with missing values, returns, cancellations, zero/negative prices, postage lines,
    dates after the observation end and exact duplicates."""

    def column(values, *, missing=True):
        element = st.sampled_from(values)
        return st.lists(
            st.one_of(st.none(), element) if missing else element, min_size=n, max_size=n
        )

    n = draw(st.integers(1, 30))
    frame = pd.DataFrame(
        {
            "customer_id": draw(column([1, 2, 3, 4])),
            "day": draw(column(list(range(60)))),
            "quantity": draw(column([-3, -1, 0, 1, 2, 5])),
            "unit_price": draw(column([-2.0, 0.0, 0.5, 2.25, 10.0])),
            "order_id": draw(column(["O1", "O2", "C3", "O4"], missing=False)),
            "product_id": draw(column(["P1", "P2", "POST"], missing=False)),
        }
    )
    # one complete row first: a log whose required columns are all empty is a schema error
    complete = {"customer_id": 1, "day": 0, "quantity": 1, "unit_price": 2.25}
    frame = pd.concat([pd.DataFrame([complete | {"order_id": "O1", "product_id": "P1"}]), frame])
    frame["timestamp"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(frame.pop("day"), unit="D")
    copies = draw(st.lists(st.integers(0, n), max_size=5))  # exact duplicates of some rows
    return pd.concat([frame, frame.iloc[copies]], ignore_index=True)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frame=random_logs(), drop_duplicates=st.sampled_from([None, True, False]))
def test_audit_conserves_rows_and_value(frame, drop_duplicates):
    before = frame.copy()
    tx, audit = load_transactions(
        frame,
        observation_end="2024-02-10",
        cancellation_prefix="C",
        non_product_codes=["POST"],
        drop_duplicates=drop_duplicates,
    )
    pd.testing.assert_frame_equal(frame, before)
    table = audit.table()
    reasons = table.drop(index="total")
    # every row exactly once, every unit of value once
    assert len(audit.outcomes) == len(frame) == audit.n_input_rows
    assert reasons["rows"].sum() == table.loc["total", "rows"] == len(frame)
    assert reasons["value"].sum() == pytest.approx(audit.input_value, abs=1e-9)
    # input value = sum of computable line values (returns negative), computed independently
    v = frame["quantity"] * frame["unit_price"]
    is_return = (frame["quantity"] < 0) | (v < 0) | frame["order_id"].str.startswith("C")
    assert audit.input_value == pytest.approx(v.abs().where(~is_return, -v.abs()).sum())
    # the outcome is the first check that applies
    first = audit.flags.idxmax(axis=1).where(audit.flags.any(axis=1), "kept")
    assert audit.outcomes.astype(str).tolist() == first.tolist()
    # the clean log is exactly the kept and netted rows, with their audited value
    kept = audit.outcomes.isin(["kept", "identical", "return"])
    assert list(tx.index) == list(audit.outcomes.index[kept])
    assert tx["amount"].sum() == pytest.approx(
        table.loc[["kept", "identical", "return"], "value"].sum()
    )
    assert (tx.loc[tx["is_return"], "amount"] < 0).all()
    assert (tx.loc[~tx["is_return"], "amount"] > 0).all()
    assert (tx["timestamp"] < pd.Timestamp("2024-02-11")).all()
    assert tx[["customer_id", "timestamp", "amount"]].notna().all().all()
    assert not (tx["product_id"] == "POST").any()
    if drop_duplicates is not False:  # None: dropped, since the log has an order id
        assert not frame.loc[kept.to_numpy()].duplicated().any()


# ----------------------------------------------------------------------------- UCI Online Retail


def _retail_frame(names: dict[str, str]) -> pd.DataFrame:
    """Five hand-made lines in the UCI layout, under the given column names."""
    return pd.DataFrame(
        {
            names["order_id"]: ["536365", "536365", "C536379", "536380", "A563186"],
            "StockCode": ["85123A", "POST", "85123A", "22423", "B"],
            "Description": ["HEART", "POSTAGE", "HEART", "CAKESTAND", "Adjust bad debt"],
            "Quantity": [6, 1, -2, 1, 1],
            "InvoiceDate": pd.to_datetime(
                ["2010-12-01 08:26"] * 3 + ["2010-12-02", "2011-08-12"], format="ISO8601"
            ),
            names["unit_price"]: [2.55, 18.0, 2.55, 12.75, -11062.06],
            names["customer_id"]: [17850.0, 17850.0, 17850.0, np.nan, np.nan],
            "Country": ["United Kingdom"] * 5,
        }
    )


UCI_I = {"order_id": "InvoiceNo", "unit_price": "UnitPrice", "customer_id": "CustomerID"}
UCI_II = {"order_id": "Invoice", "unit_price": "Price", "customer_id": "Customer ID"}


@pytest.mark.parametrize("names", [UCI_I, UCI_II], ids=["online_retail", "online_retail_ii"])
def test_load_online_retail_recognises_both_releases(names, tmp_path):
    frame = _retail_frame(names)
    before = frame.copy()
    path = tmp_path / "retail.parquet"
    frame.to_parquet(path)
    tx, audit = load_online_retail(path)
    assert audit.columns["customer_id"] == names["customer_id"]
    assert audit.outcomes.tolist() == [
        "kept",
        "non_product",
        "return",
        "no_customer",
        "no_customer",
    ]
    assert tx["amount"].tolist() == pytest.approx([15.3, -5.1])
    assert tx["customer_id"].tolist() == [17850, 17850]
    assert audit.input_value == pytest.approx(15.3 + 18.0 - 5.1 + 12.75 - 11062.06)
    pd.testing.assert_frame_equal(frame, before)
    tx_frame, _ = load_online_retail(frame)
    pd.testing.assert_frame_equal(tx_frame, tx)


def test_load_online_retail_reads_every_excel_sheet(tmp_path):
    frame = _retail_frame(UCI_II)
    path = tmp_path / "online_retail_II.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        frame.iloc[:2].to_excel(writer, sheet_name="Year 2009-2010", index=False)
        frame.iloc[2:].to_excel(writer, sheet_name="Year 2010-2011", index=False)
    tx, audit = load_online_retail(path)
    assert audit.n_input_rows == 5 and len(tx) == 2


def test_load_online_retail_unknown_layout():
    frame = pd.DataFrame({"Invoice": ["1"], "Quantity": [1]})
    with pytest.raises(SchemaError) as err:
        load_online_retail(frame)
    assert len(err.value.problems) == 2
    assert "not Online Retail II: missing" in str(err.value) and "'Price'" in str(err.value)


@pytest.fixture(scope="module")
def uci(online_retail_path):
    raw = pd.read_parquet(online_retail_path)
    tx, audit = load_online_retail(online_retail_path)
    return raw, tx, audit


@pytest.mark.online_retail
def test_uci_every_line_accounted(uci):
    raw, tx, audit = uci
    table = audit.table()
    assert audit.n_input_rows == len(raw) == 541_909
    assert table.drop(index="total")["rows"].sum() == 541_909
    assert audit.input_value == pytest.approx(9_747_747.93, abs=0.01)
    assert table.drop(index="total")["value"].sum() == pytest.approx(audit.input_value)
    assert len(tx) == table.loc["kept", "rows"] + table.loc["return", "rows"]
    assert tx["customer_id"].dtype == "int64"
    assert tx["amount"].sum() == pytest.approx(table.loc[["kept", "return"], "value"].sum())


@pytest.mark.online_retail
def test_uci_counts_match_the_readme(uci):
    raw, _, audit = uci
    flags, outcomes = audit.flags, audit.outcomes
    assert outcomes.eq("no_customer").sum() == 135_080
    assert flags["duplicate"].sum() == 5_268
    assert flags["non_positive_price"].sum() == 2_515 + 2  # zero prices, "Adjust bad debt"
    cancellation = raw["InvoiceNo"].str.startswith("C").to_numpy()
    assert cancellation.sum() == 9_288
    assert flags["return"][cancellation].all()
    # every negative quantity, and the two negative "Adjust bad debt" prices
    assert flags["return"].sum() == 10_624 + 2
    # cancellation lines with a customer are netted unless non-product or duplicate
    with_customer = cancellation & raw["CustomerID"].notna().to_numpy()
    netted = outcomes.eq("return").to_numpy()
    other = outcomes[with_customer & ~netted]
    assert set(other.astype(str)) == {"non_product", "duplicate"}
    assert (netted & ~cancellation).sum() == 0  # no other returns have a customer
    assert netted.sum() + len(other) == with_customer.sum()


@pytest.mark.online_retail
def test_uci_readme_cleaning_cross_check(uci):
    """'Drop cancellations, no customer, non-positive qty/price' leaves 397,884 / 4,338."""
    raw, tx, audit = uci
    flags, outcomes = audit.flags, audit.outcomes
    readme_clean = ~(
        flags["no_customer"] | flags["return"] | flags["non_positive_price"] | flags["zero_value"]
    )
    assert readme_clean.sum() == 397_884
    assert raw.loc[readme_clean.to_numpy(), "CustomerID"].nunique() == 4_338
    # our kept lines are those minus non-product lines and duplicates
    extra = outcomes[readme_clean].astype(str).value_counts()
    assert set(extra.index) == {"kept", "non_product", "duplicate"}
    assert extra["kept"] == outcomes.eq("kept").sum()
    assert tx.loc[~tx["is_return"], "customer_id"].nunique() <= 4_338


# ----------------------------------------------------------------------------- real-world inputs
# Each case is an input a new user has (a file, or a frame) and what must come of it: a clvlib
# error whose message holds the given words, or a load whose result is checked. Loads that
# succeed must still account for every input row and every unit of value.


def _csv(text: str, name: str = "orders.csv", encoding: str = "utf-8"):
    def make(tmp_path: Path) -> Path:
        path = tmp_path / name
        path.write_bytes(text.encode(encoding))
        return path

    return make


def _compressed(text: str, suffix: str):
    def make(tmp_path: Path) -> Path:
        import gzip
        import zipfile

        path = tmp_path / f"orders.csv{suffix}"
        if suffix == ".gz":
            path.write_bytes(gzip.compress(text.encode()))
        else:
            with zipfile.ZipFile(path, "w") as archive:
                archive.writestr("orders.csv", text)
        return path

    return make


def _frame(**columns):
    return lambda tmp_path: pd.DataFrame(columns)


def _workbook(sheets: dict[str, pd.DataFrame]):
    def make(tmp_path: Path) -> Path:
        path = tmp_path / "orders.xlsx"
        with pd.ExcelWriter(path) as writer:
            for sheet, frame in sheets.items():
                frame.to_excel(writer, sheet_name=sheet, index=False)
        return path

    return make


def _parquet_truncated(tmp_path: Path) -> Path:
    path = tmp_path / "orders.parquet"
    pd.DataFrame(
        {"customer_id": [1, 2], "timestamp": ["2024-01-01"] * 2, "amount": [1.0, 2]}
    ).to_parquet(path)
    path.write_bytes(path.read_bytes()[:-20])
    return path


def _directory(tmp_path: Path) -> Path:
    (tmp_path / "orders.csv").mkdir()
    return tmp_path / "orders.csv"


ORDERS = pd.DataFrame(
    {"customer_id": [1, 2], "timestamp": ["2024-01-01", "2024-01-02"], "amount": [10.0, 20.0]}
)


def _with_neighbour(name: str, neighbour: str):
    """``name`` (2 rows, 30.0) beside a file its name would match as a pattern (2,000.0)."""

    def make(tmp_path: Path) -> Path:
        ORDERS.to_parquet(tmp_path / name)
        ORDERS.assign(customer_id=[3, 4], amount=1000.0).to_parquet(tmp_path / neighbour)
        return tmp_path / name

    return make


def _long_csv() -> bytes:
    """A log long enough (40 kB) that half of its compressed bytes end mid-stream."""
    rows = [f"{i % 97},2024-01-{1 + i % 28:02d},{i % 13}.5" for i in range(4_000)]
    return ("customer_id,timestamp,amount\n" + "\n".join(rows) + "\n").encode()


def _truncated(suffix: str):
    def make(tmp_path: Path) -> Path:
        import bz2
        import gzip
        import lzma

        compress = {".gz": gzip.compress, ".bz2": bz2.compress, ".xz": lzma.compress}[suffix]
        data = compress(_long_csv())
        path = tmp_path / f"orders.csv{suffix}"
        path.write_bytes(data[: len(data) // 2])
        return path

    return make


def _bytes(name: str, data: bytes):
    def make(tmp_path: Path) -> Path:
        (tmp_path / name).write_bytes(data)
        return tmp_path / name

    return make


def _parquet_corrupt_mid_file(tmp_path: Path) -> Path:
    """Footer and schema intact, a data page overwritten: DuckDB fails while scanning."""
    n = 2_000
    frame = pd.DataFrame(
        {
            "customer_id": np.arange(n) % 50,
            "timestamp": pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(n), unit="min"),
            "amount": np.round(np.random.default_rng(0).gamma(2, 20, n), 2),
        }
    )
    path = tmp_path / "orders.parquet"
    frame.to_parquet(path, row_group_size=n // 4)
    data = bytearray(path.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 64] = b"\xff" * 64
    path.write_bytes(bytes(data))
    return path


SHEET = pd.DataFrame({"customer_id": [1, 2], "timestamp": ["2024-01-05"] * 2, "amount": [3.0, 4.0]})


def _days(tx: pd.DataFrame) -> list[str]:
    return [t.strftime("%Y-%m-%d %H:%M") for t in tx["timestamp"]]


# (id, input, load_transactions options, expected): expected is (error type, words) or a check
# of (tx, audit) returning True.
CASES = [
    # --- dates: one convention per column
    (
        "day-first proven by a day above 12",
        _csv("customer_id,date,amount\n1,01/02/2024,5\n1,13/02/2024,7\n"),
        {"columns": {"timestamp": "date"}},
        lambda tx, a: (
            _days(tx) == ["2024-02-01 00:00", "2024-02-13 00:00"]
            and a.options["dates"].startswith("day-first")
        ),
    ),
    (
        "month-first proven by a day above 12",
        _csv("customer_id,date,amount\n1,02/01/2024 10:30,5\n1,02/13/2024 11:00,7\n"),
        {"columns": {"timestamp": "date"}},
        lambda tx, a: (
            _days(tx) == ["2024-02-01 10:30", "2024-02-13 11:00"]
            and a.options["dates"].startswith("month-first")
        ),
    ),
    (
        "day-first and month-first mixed",
        _csv("customer_id,date,amount\n1,13/02/2024,5\n1,02/13/2024,7\n"),
        {"columns": {"timestamp": "date"}},
        (SchemaError, ["'date'", "day-first", "month-first", "rows 0", "rows 1", "date_format"]),
    ),
    (
        "every day 12 or less is ambiguous",
        _csv("customer_id,date,amount\n1,01/02/2024,5\n1,03/04/2024,7\n"),
        {"columns": {"timestamp": "date"}},
        (SchemaError, ["'date'", "12 or less", "date_format='%d/%m/%Y'", "'%m/%d/%Y'"]),
    ),
    (
        "ambiguous column read with date_format",
        _csv("customer_id,date,amount\n1,01/02/2024,5\n1,03/04/2024,7\n"),
        {"columns": {"timestamp": "date"}, "date_format": "%d/%m/%Y"},
        lambda tx, a: _days(tx) == ["2024-02-01 00:00", "2024-04-03 00:00"],
    ),
    (
        "ISO and slashed dates mixed",
        _csv("customer_id,date,amount\n1,2024-02-01,5\n1,13/02/2024,7\n"),
        {"columns": {"timestamp": "date"}},
        (SchemaError, ["mixes date conventions", "ISO 8601: rows 0", "dd/mm or mm/dd: rows 1"]),
    ),
    (
        "YYYYMMDD as integers (CDNOW)",
        _frame(customer_id=[1, 2], timestamp=[19970101, 19970218], amount=[5.0, 7.0]),
        {},
        lambda tx, a: (
            _days(tx) == ["1997-01-01 00:00", "1997-02-18 00:00"]
            and a.options["dates"] == "YYYYMMDD"
        ),
    ),
    (
        "numbers that are not dates, without numpy reprs",
        _frame(customer_id=[1, 2], timestamp=[45000, 45001], amount=[5.0, 7.0]),
        {},
        (SchemaError, ["'timestamp'", "not dates", "(values 45000, 45001)"]),
    ),
    (
        "mixed UTC offsets: each time as written (summer time stays on its clock)",
        _frame(
            customer_id=[1, 1, 2],
            timestamp=[
                "2024-01-05T10:00+01:00",
                "2024-01-05T10:00+02:00",
                "2024-01-06T08:00+01:00",
            ],
            amount=[1.0, 2.0, 3.0],
        ),
        {},
        lambda tx, a: (
            _days(tx) == ["2024-01-05 10:00", "2024-01-05 10:00", "2024-01-06 08:00"]
            and "times as written (offsets +01:00, +02:00 dropped)" in a.options["dates"]
        ),
    ),
    (
        "UTC offsets on some rows only",
        _frame(
            customer_id=[1, 2],
            timestamp=["2024-01-05T10:00+01:00", "2024-01-05T10:00"],
            amount=[1.0, 2.0],
        ),
        {},
        (SchemaError, ["UTC offsets on some rows only", "rows 0", "rows 1"]),
    ),
    (
        "dates far in the future are dropped and counted",
        _frame(customer_id=[1, 2], timestamp=["2024-01-05", "2099-01-01"], amount=[1.0, 2.0]),
        {},
        lambda tx, a: len(tx) == 1 and a.table().loc["future", "rows"] == 1,
    ),
    (
        "observation_end written day-first or month-first",
        _frame(customer_id=[1], timestamp=["2024-01-05"], amount=[1.0]),
        {"observation_end": "01/12/2024"},
        (ValueError, ["observation_end='01/12/2024'", "ambiguous", "2024-12-01", "2024-01-12"]),
    ),
    (
        "observation_end that is not a date",
        _frame(customer_id=[1], timestamp=["2024-01-05"], amount=[1.0]),
        {"observation_end": "garbage"},
        (ValueError, ["observation_end='garbage'", "not a date", "YYYY-MM-DD"]),
    ),
    # --- no legitimate purchase dropped by default
    (
        "identical rows without order id are separate purchases",
        _csv("customer_id,timestamp,quantity,amount\n7,1997-01-05,2,20.0\n7,1997-01-05,2,20.0\n"),
        {},
        lambda tx, a: (
            len(tx) == 2 and a.table().loc["identical", ["rows", "value"]].tolist() == [1, 20.0]
        ),
    ),
    (
        "identical rows dropped on request",
        _csv("customer_id,timestamp,quantity,amount\n7,1997-01-05,2,20.0\n7,1997-01-05,2,20.0\n"),
        {"drop_duplicates": True},
        lambda tx, a: len(tx) == 1 and a.table().loc["duplicate", "rows"] == 1,
    ),
    (
        "duplicate line within an order is a copy",
        _csv("customer_id,order_id,timestamp,amount\n7,A,2024-01-05,20\n7,A,2024-01-05,20\n"),
        {},
        lambda tx, a: len(tx) == 1 and a.table().loc["duplicate", "rows"] == 1,
    ),
    (
        "a $0 order is a purchase",
        _csv("customer_id,timestamp,quantity,amount\n8,1997-01-05,1,0.00\n9,1997-01-06,1,4\n"),
        {},
        lambda tx, a: sorted(tx["customer_id"]) == [8, 9] and a.table().loc["kept", "rows"] == 2,
    ),
    (
        "zero quantity is no purchase",
        _csv("customer_id,timestamp,quantity,unit_price\n8,2024-01-05,0,4\n9,2024-01-06,1,4\n"),
        {},
        lambda tx, a: list(tx["customer_id"]) == [9] and a.table().loc["zero_value", "rows"] == 1,
    ),
    # --- read what people have
    (
        "CDNOW's own format: whitespace, YYYYMMDD, header, CRLF, .txt",
        _csv(
            " customer_id  date number_of_cds  dollar_value\r\n 00001 19970101  1   11.77\r\n"
            " 00002 19970112  1   12.00\r\n 00002 19970112  5   77.00\r\n",
            name="CDNOW_master.txt",
        ),
        {"columns": {"timestamp": "date", "quantity": "number_of_cds", "amount": "dollar_value"}},
        lambda tx, a: (
            list(tx["customer_id"]) == ["00001", "00002", "00002"]
            and tx["amount"].sum() == pytest.approx(100.77)
            and a.options["sep"] == "whitespace-separated text"
            and a.how_read() == "whitespace-separated text, utf-8; dates: YYYYMMDD"
            and a.how_read() in repr(a)
        ),
    ),
    (
        "no header: columns named by position",
        _csv("1 19970101 1 11.77\n2 19970112 1 12.00\n", name="cdnow.txt"),
        {"columns": {"customer_id": "0", "timestamp": "1", "quantity": "2", "amount": "3"}},
        lambda tx, a: list(tx["customer_id"]) == [1, 2] and a.options["header"] is False,
    ),
    (
        "no header, ISO dates and text ids",
        _csv("C001,2024-01-05,UK,3.5\nC002,2024-01-06,FR,4\n"),
        {"columns": {"customer_id": "0", "timestamp": "1", "country": "2", "amount": "3"}},
        lambda tx, a: list(tx["customer_id"]) == ["C001", "C002"] and not a.options["header"],
    ),
    (
        "a header over text ids",
        _csv("customer,date,country,amount\nC001,2024-01-05,UK,3.5\nC002,2024-01-06,FR,4\n"),
        {"columns": {"customer_id": "customer", "timestamp": "date"}},
        lambda tx, a: list(tx["customer_id"]) == ["C001", "C002"] and a.options["header"],
    ),
    (
        "semicolons and decimal commas",
        _csv("customer_id;timestamp;amount\n1;2024-01-05;1.234,50\n2;2024-01-06;12,5\n"),
        {"decimal": ","},
        lambda tx, a: tx["amount"].tolist() == [1234.5, 12.5] and a.input_value == 1247.0,
    ),
    (
        "tab-separated .csv",
        _csv("customer_id\ttimestamp\tamount\n1\t2024-01-05\t3.5\n"),
        {},
        lambda tx, a: tx["amount"].tolist() == [3.5] and a.options["sep"].startswith("tab"),
    ),
    (
        "gzip-compressed, semicolons",
        _compressed("customer_id;timestamp;amount\n1;2024-01-05;3,5\n", ".gz"),
        {"decimal": ","},
        lambda tx, a: tx["amount"].tolist() == [3.5] and a.options["sep"].startswith("semicolon"),
    ),
    (
        "zip-compressed, tabs",
        _compressed("customer_id\ttimestamp\tamount\n1\t2024-01-05\t3.5\n", ".zip"),
        {},
        lambda tx, a: tx["amount"].tolist() == [3.5] and a.options["sep"].startswith("tab"),
    ),
    (
        "latin-1 text",
        _csv("customer_id,timestamp,amount,country\n1,2024-01-05,3,Côte\n", encoding="latin-1"),
        {},
        (SchemaError, ["orders.csv", "not utf-8", "byte 0xf4 on line 2", "encoding='latin-1'"]),
    ),
    (
        "latin-1 text read with encoding=",
        _csv("customer_id,timestamp,amount,country\n1,2024-01-05,3,Côte\n", encoding="latin-1"),
        {"encoding": "latin-1"},
        lambda tx, a: tx["country"].tolist() == ["Côte"],
    ),
    (
        "empty file",
        _csv(""),
        {},
        (SchemaError, ["orders.csv", "empty"]),
    ),
    (
        "a file of blank lines",
        _csv("\n\n  \n"),
        {},
        (SchemaError, ["orders.csv", "empty"]),
    ),
    (
        "a directory",
        _directory,
        {},
        (SchemaError, ["orders.csv", "directory"]),
    ),
    (
        "duplicated column name in a CSV",
        _csv("customer_id,timestamp,amount,amount\n1,2024-01-05,3,4\n"),
        {},
        (SchemaError, ["'amount' appears 2 times", "columns 2, 3"]),
    ),
    (
        "duplicated column name in a frame",
        lambda tmp_path: pd.DataFrame(
            [[1, "2024-01-05", 3.0, 4.0]], columns=["customer_id", "timestamp", "amount", "amount"]
        ),
        {},
        (SchemaError, ["'amount' appears 2 times"]),
    ),
    (
        "duplicated column name in a workbook",
        _workbook(
            {
                "orders": pd.DataFrame(
                    [[1, "2024-01-05", 3.0, 4.0]],
                    columns=["customer_id", "timestamp", "amount", "amount"],
                )
            }
        ),
        {},
        (SchemaError, ["orders.xlsx", "sheet 'orders'", "'amount' appears 2 times"]),
    ),
    (
        "Timestamp objects in several zones",
        _frame(
            customer_id=[1, 2, 3],
            timestamp=[
                pd.Timestamp("2024-03-30 23:30", tz="Europe/London"),  # GMT, +00:00
                pd.Timestamp("2024-03-31 12:00", tz="Europe/Paris"),  # CEST, +02:00
                pd.Timestamp("2024-03-29 09:00", tz="Europe/London"),
            ],
            amount=[1.0, 2.0, 3.0],
        ),
        {},
        lambda tx, a: (
            _days(tx) == ["2024-03-30 23:30", "2024-03-31 12:00", "2024-03-29 09:00"]
            and "offsets +00:00, +02:00 dropped" in a.options["dates"]
        ),
    ),
    (
        "workbook with data on several sheets",
        _workbook({"2010": SHEET, "2011": SHEET}),
        {},
        (SchemaError, ["orders.xlsx", "2 sheets", "'2010'", "'2011'", "sheet_name"]),
    ),
    (
        "workbook: every sheet with sheet_name=None",
        _workbook({"2010": SHEET, "2011": SHEET}),
        {"sheet_name": None},
        lambda tx, a: len(tx) == 4 and a.options["sheets"] == ["2010", "2011"],
    ),
    (
        "workbook: one sheet by name",
        _workbook({"2010": SHEET, "2011": SHEET.head(1)}),
        {"sheet_name": "2011"},
        lambda tx, a: len(tx) == 1,
    ),
    (
        "workbook: a sheet that is not there",
        _workbook({"2010": SHEET, "2011": SHEET}),
        {"sheet_name": "2012"},
        (SchemaError, ["no sheet '2012'", "['2010', '2011']"]),
    ),
    (
        "workbook with an empty second sheet",
        _workbook({"orders": SHEET, "notes": pd.DataFrame()}),
        {},
        lambda tx, a: len(tx) == 2,
    ),
    (
        "truncated Parquet",
        _parquet_truncated,
        {},
        (SchemaError, ["orders.parquet", "cannot be read as Parquet"]),
    ),
    (
        "an amount of 1e30",
        _frame(customer_id=[1, 2], timestamp=["2024-01-05"] * 2, amount=[1.0, 1e30]),
        {},
        (SchemaError, ["'amount'", "too large", "rows 1", "1e+30"]),
    ),
    # --- every error is ours, with the closest names
    (
        "missing customer column: never order_id as the hint",
        _frame(Client=[1], OrderID=["A"], timestamp=["2024-01-05"], amount=[1.0]),
        {},
        (SchemaError, ["missing required column 'customer_id'", "'Client'"]),
    ),
    (
        "missing customer column and nothing like it",
        _frame(OrderID=["A"], timestamp=["2024-01-05"], amount=[1.0]),
        {},
        (SchemaError, ["missing required column 'customer_id'", "no similar column"]),
    ),
    (
        "amounts with no number in them are dropped, named, and count 0",
        _csv(
            "customer_id,timestamp,amount\n1,2024-01-05,n/a\n2,2024-01-06,10\n"
            "3,2024-01-06,twelve\n4,2024-01-07,10\n5,2024-01-07,10\n"
        ),
        {},
        lambda tx, a: (
            len(tx) == 3
            and a.input_value == 30.0
            and a.table().loc["bad_value", ["rows", "value"]].tolist() == [2, 0.0]
            and a.unparsed["raw"].tolist() == ["n/a", "twelve"]
            and a.unparsed["row"].tolist() == [0, 2]
        ),
    ),
]


# Issue 18, the loader: a name is the file's, never a pattern; a damaged file or a wrong text
# option is a SchemaError naming the file and the real cause, never a library's own error.
HOSTILE = [
    (
        "a '?' in the name is that file, not a pattern",
        _with_neighbour("sales?.parquet", "sales1.parquet"),
        {},
        lambda tx, a: tx["amount"].tolist() == [10.0, 20.0] and a.input_value == 30.0,
    ),
    (
        "'[' and '*' in the name are that file, not a pattern",
        _with_neighbour("orders[1]*.parquet", "orders1x.parquet"),
        {},
        lambda tx, a: tx["customer_id"].tolist() == [1, 2] and a.n_input_rows == 2,
    ),
    (
        "truncated .gz",
        _truncated(".gz"),
        {},
        (SchemaError, ["orders.csv.gz", "cannot be decompressed as gzip", "truncated or corrupt"]),
    ),
    (
        "truncated .bz2",
        _truncated(".bz2"),
        {},
        (SchemaError, ["orders.csv.bz2", "cannot be decompressed as bzip2", "truncated"]),
    ),
    (
        "truncated .xz",
        _truncated(".xz"),
        {},
        (SchemaError, ["orders.csv.xz", "cannot be decompressed as xz", "truncated"]),
    ),
    (
        "text named .gz",
        _bytes("orders.csv.gz", _long_csv()),
        {},
        (SchemaError, ["orders.csv.gz", "not gzip data at all", "Not a gzipped file"]),
    ),
    (
        "corrupt .zip",
        _bytes("orders.csv.zip", b"PK\x03\x04" + bytes(range(256)) * 2),
        {},
        (SchemaError, ["orders.csv.zip", "cannot be decompressed as zip"]),
    ),
    (
        "Parquet corrupt mid-file",
        _parquet_corrupt_mid_file,
        {},
        (SchemaError, ["orders.parquet", "cannot be read as Parquet (corrupt or truncated?)"]),
    ),
    (
        "Parquet corrupt mid-file, lazy",
        _parquet_corrupt_mid_file,
        {"lazy": True},
        (SchemaError, ["orders.parquet", "cannot be read as Parquet (corrupt or truncated?)"]),
    ),
    (
        "sep of three characters",
        _csv("customer_id,timestamp,amount\n1,2024-01-05,3\n"),
        {"sep": "XYZ"},
        (SchemaError, ["orders.csv", "sep must be one character", "got 'XYZ'"]),
    ),
    (
        "empty sep",
        _csv("customer_id,timestamp,amount\n1,2024-01-05,3\n"),
        {"sep": ""},
        (SchemaError, ["orders.csv", "sep must be one character", "got ''"]),
    ),
    (
        "a letter as sep",
        _csv("customer_id,timestamp,amount\n1,2024-01-05,3\n"),
        {"sep": "a"},
        (SchemaError, ["orders.csv", "sep 'a' is part of the values"]),
    ),
    (
        "sep ';' on a comma-separated file names the separator, not a missing column",
        _csv("customer_id,timestamp,amount\n1,2024-01-05,3\n2,2024-01-06,4\n"),
        {"sep": ";"},
        (SchemaError, ["orders.csv", "sep=';' splits no line", "comma-separated", "sep=','"]),
    ),
    (
        "a comma-separated file named .tsv",
        _csv("customer_id,timestamp,amount\n1,2024-01-05,3\n", name="orders.tsv"),
        {},
        (SchemaError, ["orders.tsv", "sep='\\t' splits no line", "comma-separated"]),
    ),
    (
        "decimal 'x'",
        _csv("customer_id,timestamp,amount\n1,2024-01-05,3\n"),
        {"decimal": "x"},
        (SchemaError, ["orders.csv", "decimal must be '.' (12.50) or ',' (12,50)", "got 'x'"]),
    ),
    (
        "decimal of two characters, a DataFrame",
        _frame(customer_id=[1], timestamp=["2024-01-05"], amount=["3"]),
        {"decimal": ".,"},
        (SchemaError, ["<DataFrame>", "decimal must be", "got '.,'"]),
    ),
    (
        "sep and decimal the same",
        _csv("customer_id;timestamp;amount\n1;2024-01-05;3,5\n"),
        {"sep": ";", "decimal": ";"},
        (SchemaError, ["orders.csv", "decimal must be"]),
    ),
    (
        "sep and decimal both ','",
        _csv("customer_id,timestamp,amount\n1,2024-01-05,3\n"),
        {"sep": ",", "decimal": ","},
        (SchemaError, ["orders.csv", "sep and decimal are both ','"]),
    ),
    (
        "decimal ',' on a dot-decimal file: refused, not x100",
        _csv("customer_id;timestamp;amount\n1;2024-01-05;12.50\n2;2024-01-06;7.25\n"),
        {"decimal": ","},
        (
            SchemaError,
            ["column 'amount' (amount) cannot be read as numbers", "'12.50'", "decimal="],
        ),
    ),
    (
        "decimal ',' with thousands dots reads",
        _csv("customer_id;timestamp;amount\n1;2024-01-05;1.234.567,5\n2;2024-01-06;12,5\n"),
        {"decimal": ","},
        lambda tx, a: tx["amount"].tolist() == [1234567.5, 12.5] and a.input_value == 1234580.0,
    ),
    (
        "decimal ',': one '12.50' is refused with its row, not dropped",
        _csv(
            "customer_id;timestamp;amount\n1;2024-01-05;1.234.567,5\n2;2024-01-06;12.50\n"
            "3;2024-01-06;4\n"
        ),
        {"decimal": ","},
        (SchemaError, ["orders.csv", "'amount'", "1 row, rows 1 (values '12.50')", "decimal='.'"]),
    ),
]

# Issue 18, numbers: one reading. A value with a digit is read by the column's one convention
# or refused with its rows, never dropped as an unreadable amount (its money lost from the
# audit); a '1.500' that could be 1.5 or 1500 is read only when the column proves which.
_SEMI = "customer_id;timestamp;amount\n"
HOSTILE += [
    (
        "'1.500' in a ';' file: thousands or decimals, refused with the rows",
        _csv(_SEMI + "1;05.01.2024;1.500\n2;06.01.2024;3\n3;07.01.2024;2.750\n"),
        {"date_format": "%d.%m.%Y"},
        (
            SchemaError,
            ["orders.csv", "'amount'", "'1.500'", "2 rows, rows 0, 2 (values '1.500', '2.750')"]
            + ["thousands", "decimal=','"],
        ),
    ),
    (
        "'1.500' in a ';' file read as 1500 with decimal ','",
        _csv(_SEMI + "1;05.01.2024;1.500\n2;06.01.2024;3\n"),
        {"date_format": "%d.%m.%Y", "decimal": ","},
        lambda tx, a: tx["amount"].tolist() == [1500.0, 3.0] and a.input_value == 1503.0,
    ),
    (
        "'1.500' in a ';' file beside '12.5': the column proves a decimal point",
        _csv(_SEMI + "1;2024-01-05;1.500\n2;2024-01-06;12.5\n3;2024-01-06;0.125\n"),
        {},
        lambda tx, a: tx["amount"].tolist() == [1.5, 12.5, 0.125] and a.input_value == 14.125,
    ),
    (
        "'1.500' in a comma file is 1.5",
        _csv("customer_id,timestamp,amount\n1,2024-01-05,1.500\n2,2024-01-06,3\n"),
        {},
        lambda tx, a: tx["amount"].tolist() == [1.5, 3.0],
    ),
    (
        "'1,234.50' in a comma file: refused, not dropped",
        _csv(
            'customer_id,timestamp,amount\n1,2024-01-05,"1,234.50"\n2,2024-01-06,10\n3,2024-01-06,7\n'
        ),
        {},
        (SchemaError, ["orders.csv", "'amount'", "thousands", "1 row, rows 0 (values '1,234.50')"]),
    ),
    (
        "'$12.50': refused, not dropped",
        _csv(
            "customer_id,timestamp,amount\n1,2024-01-05,$12.50\n2,2024-01-06,10\n3,2024-01-06,7\n"
        ),
        {},
        (SchemaError, ["orders.csv", "'amount'", "currency", "rows 0 (values '$12.50')"]),
    ),
    (
        "'12 EUR' as a unit price: refused, not dropped",
        _csv(
            "customer_id,timestamp,quantity,unit_price\n1,2024-01-05,2,12 EUR\n"
            "2,2024-01-06,1,10\n3,2024-01-06,1,7\n"
        ),
        {},
        (SchemaError, ["orders.csv", "'unit_price'", "rows 0 (values '12 EUR')"]),
    ),
    (
        "'1 234,50' with decimal ',': refused, not dropped",
        _csv(_SEMI + "1;2024-01-05;1 234,50\n2;2024-01-06;10\n3;2024-01-06;7\n"),
        {"decimal": ","},
        (SchemaError, ["orders.csv", "'amount'", "rows 0 (values '1 234,50')"]),
    ),
    (
        "one '12,50' among integers in a ';' file: refused, not dropped with value 0",
        _csv(_SEMI + "1;2024-01-05;12,50\n2;2024-01-06;10\n3;2024-01-06;7\n"),
        {},
        (SchemaError, ["orders.csv", "'amount'", "rows 0 (values '12,50')", "decimal=','"]),
    ),
    (
        "every amount '12,50' without decimal ',': the hint names it",
        _csv(_SEMI + "1;2024-01-05;12,50\n2;2024-01-06;10,5\n3;2024-01-06;7\n"),
        {},
        (SchemaError, ["'amount'", "cannot be read as numbers", "rows 0, 1", "decimal=','"]),
    ),
    (
        "one '12,50' among integers with decimal ',': the file's total",
        _csv(_SEMI + "1;2024-01-05;12,50\n2;2024-01-06;10\n3;2024-01-06;7\n"),
        {"decimal": ","},
        lambda tx, a: tx["amount"].tolist() == [12.5, 10.0, 7.0] and a.input_value == 29.5,
    ),
    (
        "a text number in a DataFrame is read by the same rule",
        _frame(customer_id=[1, 2, 3], timestamp=["2024-01-05"] * 3, amount=["1,5", "2", "3"]),
        {},
        (SchemaError, ["<DataFrame>", "'amount'", "rows 0 (values '1,5')"]),
    ),
    (
        "quantity 1e11 x unit price 1e11: the line value is capped",
        _csv(
            "customer_id,timestamp,quantity,unit_price\n1,2024-01-05,100000000000,100000000000\n"
            "2,2024-01-06,1,10\n"
        ),
        {},
        (SchemaError, ["orders.csv", "'quantity' x 'unit_price'", "too large", "rows 0", "1e+22"]),
    ),
]

# ... or read by a declared convention: thousands= names the separator, recorded in the audit.
HOSTILE += [
    (
        "'1,234.50' in a comma file read with thousands=','",
        _csv('customer_id,timestamp,amount\n1,2024-01-05,"1,234.50"\n2,2024-01-06,"1,000"\n'),
        {"thousands": ","},
        lambda tx, a: (
            tx["amount"].tolist() == [1234.5, 1000.0]
            and a.input_value == 2234.5
            and a.options["thousands"] == ","
        ),
    ),
    (
        "thousands=',' refuses a comma that is no thousands separator",
        _csv(
            'customer_id,timestamp,amount\n1,2024-01-05,"1,23.50"\n2,2024-01-06,7\n3,2024-01-06,1\n'
        ),
        {"thousands": ","},
        (SchemaError, ["'amount'", "thousands separator ','", "rows 0 (values '1,23.50')"]),
    ),
    (
        "'1 234,50' (and a no-break space) read with decimal ',' and thousands ' '",
        _csv(_SEMI + "1;2024-01-05;1 234,50\n2;2024-01-06;2\u00a0000\n3;2024-01-06;7\n"),
        {"decimal": ",", "thousands": " "},
        lambda tx, a: tx["amount"].tolist() == [1234.5, 2000.0, 7.0] and a.input_value == 3241.5,
    ),
    (
        "'1.500' in a ';' file read as 1.5 with thousands=''",
        _csv(_SEMI + "1;2024-01-05;1.500\n2;2024-01-06;3\n"),
        {"thousands": ""},
        lambda tx, a: tx["amount"].tolist() == [1.5, 3.0] and a.options["thousands"] == "",
    ),
    (
        "a currency is refused whatever the separators",
        _csv(
            'customer_id,timestamp,amount\n1,2024-01-05,"$1,234.50"\n2,2024-01-06,7\n3,2024-01-06,1\n'
        ),
        {"thousands": ","},
        (SchemaError, ["'amount'", "currency", "rows 0 (values '$1,234.50')"]),
    ),
    (
        "thousands 'x'",
        _csv("customer_id,timestamp,amount\n1,2024-01-05,3\n"),
        {"thousands": "x"},
        (SchemaError, ["orders.csv", "thousands must be ','", "got 'x'"]),
    ),
    (
        "thousands and decimal the same",
        _csv(_SEMI + "1;2024-01-05;3,5\n"),
        {"decimal": ",", "thousands": ","},
        (SchemaError, ["orders.csv", "thousands and decimal are both ','"]),
    ),
]

# Issue 18, ids stay text: an id is the text written ("0001" is not "1"), and only an empty cell
# is missing; pandas' missing-value words are values (a customer "NA", Namibia's country "NA").
HOSTILE += [
    (
        "Excel text ids '0001' and '1' are two customers",
        _workbook(
            {
                "orders": pd.DataFrame(
                    {
                        "customer_id": ["0001", "1", "0001"],
                        "timestamp": ["2024-01-05", "2024-01-06", "2024-01-07"],
                        "amount": [1.0, 2.0, 4.0],
                    }
                )
            }
        ),
        {},
        lambda tx, a: tx["customer_id"].tolist() == ["0001", "1", "0001"] and a.input_value == 7,
    ),
    (
        "customer 'NA' and country 'NA' in a CSV are values; only an empty cell is missing",
        _csv(
            "customer_id,timestamp,amount,country\nNA,2024-01-05,5,NA\nnull,2024-01-06,10,N/A\n"
            "None,2024-01-06,2,NaN\n,2024-01-07,1,UK\n"
        ),
        {},
        lambda tx, a: (
            tx["customer_id"].tolist() == ["NA", "null", "None"]
            and tx["country"].tolist() == ["NA", "N/A", "NaN"]
            and a.table().loc["no_customer", ["rows", "value"]].tolist() == [1, 1.0]
            and a.input_value == 18.0
        ),
    ),
    (
        "customer 'NA' and country 'NA' in a workbook are values",
        _workbook(
            {
                "orders": pd.DataFrame(
                    {
                        "customer_id": ["NA", "n/a", None],
                        "timestamp": ["2024-01-05", "2024-01-06", "2024-01-07"],
                        "amount": [1.0, 2.0, 4.0],
                        "country": ["NA", "N/A", "UK"],
                    }
                )
            }
        ),
        {},
        lambda tx, a: (
            tx["customer_id"].tolist() == ["NA", "n/a"]
            and tx["country"].tolist() == ["NA", "N/A"]
            and a.table().loc["no_customer", "rows"] == 1
        ),
    ),
    (
        "an order_id column with no value does not switch on duplicate dropping",
        _csv("customer_id,order_id,timestamp,amount\n1,,2024-01-05,5\n1,,2024-01-05,5\n"),
        {},
        lambda tx, a: (
            len(tx) == 2
            and a.options["drop_duplicates"] is False
            and a.table().loc["identical", ["rows", "value"]].tolist() == [1, 5.0]
        ),
    ),
    (
        "an order_id column with values drops the copy of a line",
        _csv("customer_id,order_id,timestamp,amount\n1,A,2024-01-05,5\n1,A,2024-01-05,5\n"),
        {},
        lambda tx, a: len(tx) == 1 and a.table().loc["duplicate", "rows"] == 1,
    ),
]

# Issue 18, dates: a column is read only by a convention its values prove, and a date before
# 1900 (a placeholder such as 0001-01-01) is dropped as a bad timestamp, never kept.
_DATES = "customer_id,timestamp,amount\n"
HOSTILE += [
    (
        "YY/MM/DD '24/01/13, 24/03/02' is not read as day-first",
        _csv(_DATES + "1,24/01/13,5\n2,24/03/02,6\n"),
        {},
        (SchemaError, ["'timestamp'", "two-digit years", "rows 0, 1", "'%y/%m/%d'", "'%d/%m/%y'"]),
    ),
    (
        "YY/MM/DD proven by a year above 31",
        _csv(_DATES + "1,98/01/13,5\n2,24/03/02,6\n"),
        {},
        lambda tx, a: (
            _days(tx) == ["1998-01-13 00:00", "2024-03-02 00:00"]
            and a.options["dates"].startswith("year-first")
        ),
    ),
    (
        "DD/MM/YY proven by a year above 31",
        _csv(_DATES + "1,24/01/98,5\n2,13/03/99,6\n"),
        {},
        lambda tx, a: _days(tx) == ["1998-01-24 00:00", "1999-03-13 00:00"],
    ),
    (
        "YYYY-DD-MM is refused with the rows, not half swapped and half dropped",
        _csv(_DATES + "1,2024-05-01,5\n2,2024-13-02,6\n3,2024-01-03,6\n4,2024-02-03,1\n"),
        {},
        (
            SchemaError,
            ["'timestamp'", "month would be above 12", "rows 1 (values '2024-13-02')"]
            + ["date_format='%Y-%d-%m'"],
        ),
    ),
    (
        "YYYY-DD-MM read with date_format",
        _csv(_DATES + "1,2024-05-01,5\n2,2024-13-02,6\n"),
        {"date_format": "%Y-%d-%m"},
        lambda tx, a: _days(tx) == ["2024-01-05 00:00", "2024-02-13 00:00"],
    ),
    (
        "dates before 1900 are dropped as bad timestamps, with their value",
        _csv(_DATES + "1,0001-01-01,5\n2,2024-01-02,6\n3,1850-01-01,1\n4,2024-01-03,1\n"),
        {},
        lambda tx, a: (
            tx["customer_id"].tolist() == [2, 4]
            and a.table().loc["bad_timestamp", ["rows", "value"]].tolist() == [2, 6.0]
            and a.unparsed["raw"].tolist() == ["0001-01-01", "1850-01-01"]
        ),
    ),
    (
        "date-times before 1900 in a frame are dropped as bad timestamps",
        _frame(
            customer_id=[1, 2, 3],
            timestamp=pd.to_datetime(["1899-12-30", "2024-01-01", "2024-01-02"]),
            amount=[1.0, 2.0, 3.0],
        ),
        {},
        lambda tx, a: (
            tx["customer_id"].tolist() == [2, 3] and a.table().loc["bad_timestamp", "rows"] == 1
        ),
    ),
]


def test_a_lazy_log_of_a_name_like_a_pattern_reads_that_file_in_every_query(tmp_path):
    """DuckDB reads a file twice in one query (a common part) by its expanded name, which it
    would match as a pattern again: the name never reaches DuckDB."""
    from clvlib.data.summary import customer_summary

    path = _with_neighbour("sales?.parquet", "sales1.parquet")(tmp_path)
    tx, audit = load_transactions(path, lazy=True)
    summary = customer_summary(tx, observation_end="2024-01-31")
    assert summary.index.tolist() == [1, 2] and summary["total_value"].sum() == 30.0
    assert audit.source == str(path)


def _forbidden(text: str) -> list[str]:
    """Library internals that must not leak into our messages."""
    return [w for w in ("np.int64", "np.float64", "Traceback", "ArrowInvalid") if w in text]


@pytest.mark.parametrize(
    ("make", "options", "expected"),
    [c[1:] for c in CASES + HOSTILE],
    ids=[c[0] for c in CASES + HOSTILE],
)
def test_real_world_inputs(tmp_path, make, options, expected):
    source = make(tmp_path)
    if isinstance(expected, tuple):
        error, words = expected
        with pytest.raises(error) as err:
            load_transactions(source, **options)
        assert type(err.value).__module__.startswith("clvlib") or type(err.value) is ValueError
        message = str(err.value)
        missing = [w for w in words if w not in message]
        assert not missing, f"{missing} not in: {message}"
        assert not _forbidden(message), message
        return
    tx, audit = load_transactions(source, **options)
    assert expected(tx, audit), (tx, audit.options, audit.table())
    # the audit's promise: every row once, every unit of value once
    table = audit.table()
    reasons = table.drop(index="total")
    assert reasons["rows"].sum() == audit.n_input_rows == len(audit.outcomes)
    assert reasons["value"].sum() == pytest.approx(audit.input_value, abs=1e-9)
    kept = table.loc[[c for c in table.index if table.loc[c, "outcome"] in ("kept", "netted")]]
    assert tx["amount"].sum() == pytest.approx(kept["value"].sum())
    assert len(tx) == kept["rows"].sum()


# ----------------------------------------------------------------------------- CDNOW from its file

CDNOW_COLUMNS = {"timestamp": "date", "quantity": "number_of_cds", "amount": "dollar_value"}
BTYD = ["frequency", "recency", "T", "monetary_value"]


def _cdnow_as_published(path: Path, *, header: bool) -> Path:
    """tests/data/cdnow_sample.csv written back in CDNOW's own format (lifetimes' files)."""
    raw = pd.read_csv(DATA / "cdnow_sample.csv")
    lines = [" customer_id  date number_of_cds  dollar_value"] if header else []
    lines += [
        f" {c:05d} {d.replace('-', '')} {q:2d} {a:8.2f}"
        for c, d, q, a in raw.itertuples(index=False)
    ]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode())
    return path


def _assert_equals_lifetimes(summary: pd.DataFrame, golden: pd.DataFrame, suffix: str) -> None:
    assert len(summary) == len(golden)
    summary = summary.reindex(golden.index)
    for column in BTYD:
        np.testing.assert_allclose(
            summary[column], golden[f"{column}{suffix}"], rtol=1e-9, atol=1e-9, err_msg=column
        )


@pytest.mark.parametrize("header", [True, False], ids=["header", "no header"])
@pytest.mark.parametrize("unit", ["D", "W"])
def test_cdnow_sample_from_its_file_format_equals_lifetimes(tmp_path, header, unit):
    from clvlib.data.summary import customer_summary

    path = _cdnow_as_published(tmp_path / "CDNOW_sample.txt", header=header)
    columns = CDNOW_COLUMNS if header else {
        "customer_id": "0", "timestamp": "1", "quantity": "2", "amount": "3"
    }  # fmt: skip
    tx, audit = load_transactions(path, columns=columns)
    table = audit.table()
    assert audit.options["dates"] == "YYYYMMDD"
    assert table.loc["total", "rows"] == 6919 == table.loc[["kept", "identical"], "rows"].sum()
    assert table.loc["identical", "rows"] > 0  # same-day repeat purchases, kept
    assert (tx["amount"] == 0).sum() > 0  # $0 orders, kept
    assert tx["amount"].sum() == pytest.approx(audit.input_value)
    golden = pd.read_csv(DATA / "cdnow_summary_golden.csv", index_col="customer_id")
    summary = customer_summary(tx, observation_end="1998-06-30", time_unit=unit)
    summary.index = summary.index.astype("int64")
    _assert_equals_lifetimes(summary, golden, f"_{unit}_19980630")
    assert len(summary) == 2357


@pytest.fixture(scope="module")
def lifetimes_datasets():
    pytest.importorskip("lifetimes", reason="lifetimes (the bench extra) is not installed")
    from importlib.resources import files

    return files("lifetimes.datasets")


def test_cdnow_sample_file_of_lifetimes_equals_the_tidy_copy(lifetimes_datasets):
    path = lifetimes_datasets.joinpath("CDNOW_sample.txt")
    columns = {"customer_id": "1", "timestamp": "2", "quantity": "3", "amount": "4"}
    tx, audit = load_transactions(path, columns=columns)
    tidy, _ = load_transactions(DATA / "cdnow_sample.csv", columns={"timestamp": "date"})
    assert audit.n_input_rows == len(tx) == len(tidy) == 6919
    assert tx["customer_id"].str.fullmatch(r"\d{4}").all()  # "0001": zero-padded text ids
    tx["customer_id"] = tx["customer_id"].astype("int64")
    pd.testing.assert_frame_equal(
        tx[["customer_id", "timestamp", "quantity", "amount"]],
        tidy[["customer_id", "timestamp", "quantity", "amount"]],
    )


@pytest.mark.parametrize("unit", ["D", "W"])
def test_cdnow_master_file_equals_lifetimes_with_every_customer(lifetimes_datasets, unit):
    from lifetimes.utils import summary_data_from_transaction_data

    from clvlib.data.summary import customer_summary

    path = lifetimes_datasets.joinpath("CDNOW_master.txt")
    tx, audit = load_transactions(path, columns=CDNOW_COLUMNS)
    table = audit.table()
    assert audit.n_input_rows == 69_659
    assert table.loc["identical", "rows"] == 255  # same customer, day, CDs and dollars
    assert table.loc[["kept", "identical"], "rows"].sum() == 69_659
    assert (tx["amount"] == 0).sum() == 80
    assert tx["amount"].sum() == pytest.approx(audit.input_value, abs=0.005)
    # the reference: lifetimes on the file read plainly by pandas
    raw = pd.read_csv(path, sep=r"\s+", dtype={"customer_id": "str", "date": "str"})
    assert raw["dollar_value"].sum() == pytest.approx(audit.input_value, abs=0.005)
    raw["date"] = pd.to_datetime(raw["date"], format="%Y%m%d")
    reference = summary_data_from_transaction_data(
        raw,
        "customer_id",
        "date",
        monetary_value_col="dollar_value",
        observation_period_end="1998-06-30",
        freq=unit,
    )
    summary = customer_summary(tx, observation_end="1998-06-30", time_unit=unit)
    assert len(summary) == len(reference) == 23_570
    summary = summary.reindex(reference.index)
    for column in BTYD:
        np.testing.assert_allclose(
            summary[column], reference[column], rtol=1e-9, atol=1e-9, err_msg=column
        )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frame=random_logs())
def test_audit_conserves_rows_and_value_without_order_id(frame):
    """Without an order id identical rows are kept (counted), never dropped by default."""
    frame = frame.drop(columns=["order_id"])
    tx, audit = load_transactions(frame, observation_end="2024-02-10", non_product_codes=["POST"])
    table = audit.table()
    reasons = table.drop(index="total")
    assert reasons["rows"].sum() == len(frame) == audit.n_input_rows
    assert reasons["value"].sum() == pytest.approx(audit.input_value, abs=1e-9)
    assert table.loc["duplicate", "rows"] == 0
    identical = audit.outcomes.eq("identical")
    duplicated = frame.duplicated().to_numpy()
    assert duplicated[identical.to_numpy()].all()  # only repeats are "identical"...
    earlier = audit.flags.columns[: list(audit.flags.columns).index("identical")]
    other = audit.flags[earlier].any(axis=1).to_numpy()
    assert identical.to_numpy()[duplicated & ~other].all()  # ...and every kept repeat is
    assert len(tx) == audit.outcomes.isin(["kept", "identical", "return"]).sum()
    assert tx["amount"].sum() == pytest.approx(
        table.loc[["kept", "identical", "return"], "value"].sum()
    )


def test_to_frame_round_trips_the_clean_log_and_passes_a_frame_through():
    import ibis

    from clvlib.data.reading import to_frame

    tx, _ = load_transactions(
        pd.DataFrame(
            {
                "customer_id": ["a", "b", "a"],
                "timestamp": ["2024-01-03", "2024-01-01", "2024-01-02"],
                "amount": [3.0, -1.5, 2.0],
                "order_id": ["o3", "o1", "o2"],
            }
        )
    )
    assert to_frame(tx) is tx
    shuffled = tx.reset_index().iloc[::-1]
    pd.testing.assert_frame_equal(to_frame(ibis.memtable(shuffled)), tx)
    with pytest.raises(KeyError, match="amount"):
        to_frame(ibis.memtable(shuffled.drop(columns="amount")))
    with pytest.raises(TypeError, match="list"):
        to_frame([1, 2])


# ----------------------------------------------------------------------------- lazy (Ibis) loads


def _assert_same_audit(lazy: LoadAudit, eager: LoadAudit) -> None:
    pd.testing.assert_frame_equal(lazy.table(), eager.table())
    assert lazy.examples() == eager.examples()
    assert lazy.to_dict() == eager.to_dict()
    pd.testing.assert_series_equal(lazy.outcomes, eager.outcomes)
    pd.testing.assert_frame_equal(lazy.flags, eager.flags)
    pd.testing.assert_series_equal(lazy.values, eager.values)
    pd.testing.assert_frame_equal(lazy.unparsed, eager.unparsed)


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx", "frame"])
def test_lazy_load_is_the_eager_load(tiny, tmp_path, fmt):
    import ibis

    from clvlib.data.reading import to_frame

    frame = pd.read_csv(TINY)
    source = frame if fmt == "frame" else _write(frame, tmp_path, fmt)
    tx, audit = load_transactions(source, **TINY_OPTIONS, lazy=True)
    assert isinstance(tx, ibis.Table)
    # nothing per row is held until asked for
    assert not {"outcomes", "flags", "values", "unparsed", "_per_row"} & set(vars(audit))
    eager_tx, eager_audit = load_transactions(source, **TINY_OPTIONS)
    pd.testing.assert_frame_equal(to_frame(tx), eager_tx)
    pd.testing.assert_frame_equal(to_frame(tx), tiny[0])
    _assert_same_audit(audit, eager_audit)
    assert audit.outcomes.tolist() == TINY_OUTCOMES


@pytest.mark.parametrize("lazy", [False, True])
def test_unparseable_values_lazy_and_eager(lazy):
    frame = pd.DataFrame(
        {
            "customer_id": [1, 2, 3, 4, 5],
            "timestamp": ["2024-01-01", "2024-01-02", "bad", "2024-01-04", "2024-01-05"],
            "amount": ["n/a", "5", "7", "twelve", "3.5"],
            "cost": ["1", "x", "2", "1", "1"],
        }
    )
    tx, audit = load_transactions(frame, lazy=lazy)
    from clvlib.data.reading import to_frame

    assert to_frame(tx).index.tolist() == [1, 4]
    assert audit.outcomes.tolist() == ["bad_value", "kept", "bad_timestamp", "bad_value", "kept"]
    assert np.isnan(audit.values.tolist()[0]) and np.isnan(audit.values.tolist()[3])
    assert audit.input_value == pytest.approx(5 + 7 + 3.5)
    assert audit.unparsed[["row", "role", "raw"]].values.tolist() == [
        [0, "amount", "n/a"],
        [3, "amount", "twelve"],
        [1, "cost", "x"],
        [2, "timestamp", "bad"],
    ]
    assert np.isnan(to_frame(tx).loc[1, "cost"])  # an unreadable cost keeps the line


def test_lazy_clean_log_feeds_the_summary_without_a_second_scan(monkeypatch):
    from clvlib.data import log, summary
    from clvlib.data.log import CleanLog, to_frame

    frame = pd.read_csv(TINY)
    tx, audit = load_transactions(frame, **TINY_OPTIONS, lazy=True)
    known = CleanLog.of(tx)
    eager = to_frame(tx)
    purchases = eager[~eager["is_return"]]
    assert known.purchase_span == (purchases["timestamp"].min(), purchases["timestamp"].max())
    assert (known.first, known.last) == (eager["timestamp"].min(), eager["timestamp"].max())
    assert known.n_lines == len(eager) == audit.table().loc[["kept", "return"], "rows"].sum()
    assert known.largest == eager["amount"].abs().max()
    assert known.audit is audit
    assert CleanLog.of(tx.filter(tx.amount > 0)) is None  # a derived table is another log
    assert CleanLog.of(eager) is None
    want = summary.customer_summary(eager, observation_end="2024-01-31")
    pd.testing.assert_frame_equal(summary.customer_summary(tx, observation_end="2024-01-31"), want)
    # the lazy log's summary skips the checking scan, and its stats need no query at all
    monkeypatch.setattr(summary, "_count", lambda *_: pytest.fail("checked the lines again"))
    summary.customer_summary(tx, observation_end="2024-01-31")
    monkeypatch.setattr(log.engine, "to_pyarrow", lambda *_: pytest.fail("queried the log"))
    assert log.stats(tx) == {
        "n_lines": len(eager),
        "first": eager["timestamp"].min(),
        "last": eager["timestamp"].max(),
    }


def test_the_loader_forgets_a_lazy_log_its_users_forgot():
    import gc

    from clvlib.data.log import CleanLog

    before = len(CleanLog._known)
    tx, _ = load_transactions(pd.read_csv(TINY), **TINY_OPTIONS, lazy=True)
    assert len(CleanLog._known) == before + 1
    del tx
    gc.collect()
    assert len(CleanLog._known) == before


def test_a_log_with_an_unreadable_cost_is_not_recognised():
    from clvlib.data import summary
    from clvlib.data.log import CleanLog

    frame = pd.DataFrame(
        {"customer_id": [1, 1], "timestamp": ["2024-01-01", "2024-01-02"], "amount": [1.0, 2.0]}
    ).assign(cost=["0.5", "n/a"])
    tx, _ = load_transactions(frame, lazy=True)
    assert CleanLog.of(tx) is None
    with pytest.raises(ValueError, match="cost is missing"):
        summary.customer_summary(tx, observation_end="2024-01-31")


def test_ibis_table_input_is_classified_where_it_lives(tmp_path):
    """An ibis table (here of another DuckDB connection) numbers its rows by their values."""
    import ibis

    from clvlib.data.reading import to_frame

    frame = pd.read_csv(TINY)
    ordered = frame.sort_values(list(frame.columns), kind="stable").reset_index(drop=True)
    con = ibis.duckdb.connect()
    con.con.register("frame", frame)
    con.con.execute("CREATE TABLE orders AS SELECT * FROM frame")
    table = con.table("orders")
    for lazy in (False, True):
        tx, audit = load_transactions(table, **TINY_OPTIONS, lazy=lazy)
        want_tx, want = load_transactions(ordered, **TINY_OPTIONS)
        pd.testing.assert_frame_equal(to_frame(tx), want_tx)
        pd.testing.assert_series_equal(audit.outcomes, want.outcomes)
        pd.testing.assert_frame_equal(audit.table(), want.table())
        assert audit.source == "<ibis.Table>" and audit.options["format"] == "ibis table (duckdb)"
        assert re.fullmatch(r"[0-9a-f]{64}", audit.sha256)


def test_ibis_table_input_errors_name_the_table():
    import ibis

    table = ibis.memtable({"customer_id": [1, 2], "when": ["2024-01-01", "x"], "amount": [1, 2]})
    with pytest.raises(SchemaError, match=r"(?s)<ibis.Table>.*missing required column 'timestamp'"):
        load_transactions(table, lazy=True)


@pytest.mark.online_retail
def test_uci_lazy_load_is_the_eager_load(uci, online_retail_path):
    from clvlib.data.reading import to_frame

    _, eager_tx, eager = uci
    tx, audit = load_online_retail(online_retail_path, lazy=True)
    assert audit.n_input_rows == 541_909
    assert round(audit.input_value, 2) == 9_747_747.93
    pd.testing.assert_frame_equal(audit.table(), eager.table())
    pd.testing.assert_frame_equal(to_frame(tx), eager_tx)


def test_docstring_examples_run():
    import doctest

    import clvlib.data.reading

    result = doctest.testmod(clvlib.data.reading, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 5 and result.failed == 0


# ------------------------------------------------------------------ one time-zone rule

_WALL_CLOCK = ["2024-01-01 23:30", "2024-07-01 23:30"]  # late evening: the day is at stake


@pytest.mark.parametrize(
    "zone",
    [
        "America/New_York",
        "Europe/Berlin",
        "UTC",
        "Asia/Kolkata",
        dt.timezone(dt.timedelta(hours=-3)),
    ],
    ids=str,
)
@pytest.mark.parametrize("fmt", ["frame", "parquet", "csv offsets", "csv date_format %z"])
def test_a_zone_aware_order_lands_on_the_same_day_from_every_format(
    tmp_path: Path, zone, fmt: str
) -> None:
    """The one rule: a time is the wall clock where it was recorded, from every source.

    Parquet keeps the instant and its zone; DuckDB alone would read the instant in its own
    session zone (04:30 the next day for New York's 23:30). Text keeps the time written
    before its offset, summer time included.
    """
    stamps = pd.DatetimeIndex(_WALL_CLOCK).tz_localize(zone)
    frame = pd.DataFrame({"customer_id": ["a", "b"], "timestamp": stamps, "amount": [1.0, 2.0]})
    options = {}
    if fmt == "frame":
        source = frame
    elif fmt == "parquet":
        source = tmp_path / "orders.parquet"
        frame.to_parquet(source)
    else:
        source = tmp_path / "orders.csv"
        text = frame.assign(timestamp=[t.isoformat() for t in frame["timestamp"]])
        text.to_csv(source, index=False)
        if fmt.endswith("%z"):
            options["date_format"] = "%Y-%m-%dT%H:%M:%S%z"
    tx, audit = load_transactions(source, **options)
    assert _days(tx) == _WALL_CLOCK
    assert (audit.outcomes == "kept").sum() == 2


@pytest.mark.parametrize(
    ("bad_line", "words"),
    [
        ("5,2024-01-03,2,7", ["line 15001", "more fields (4)", "header (3"]),
        ("5,2024-01-03,2,", ["line 15001", "separator", "trailing"]),
    ],
    ids=["ragged row", "trailing separator"],
)
def test_a_ragged_row_past_the_sniffed_head_is_named_in_clvlib_words(
    tmp_path: Path, bad_line: str, words: list[str]
) -> None:
    """The sniffer reads 64 KiB; a bad row further down still gets its cause and line."""
    rows = ["customer_id,timestamp,amount"] + [f"{i},2024-01-02,1" for i in range(20_000)]
    rows.insert(15_000, bad_line)
    path = tmp_path / "orders.csv"
    path.write_text("\n".join(rows) + "\n")
    assert path.stat().st_size > 64 * 2**10
    with pytest.raises(SchemaError) as caught:
        load_transactions(path)
    message = str(caught.value)
    assert "orders.csv" in message and "C error" not in message
    for word in words:
        assert word in message, message
