"""Golden BTYD summaries computed by lifetimes, for tests/test_summary.py.

The tests check that ``clvlib.customer_summary`` and ``clvlib.calibration_holdout``
reproduce lifetimes 0.11.3 exactly; this script runs lifetimes once and commits what it
says, so that the tests need no lifetimes install. It does not use clvlib.

Run once, with the bench extra installed (it needs lifetimes and pyarrow):
    pip install -e ".[bench]" && python scripts/make_golden_summary.py

Writes, one row per customer:

- tests/data/cdnow_summary_golden.csv: CDNOW 1/10 sample (tests/data/cdnow_sample.csv,
  every row a purchase of ``amount``), summaries at 1998-06-30 (end of the data) and at
  the 39-week calibration cut 1997-09-30, in days and weeks; calibration / holdout
  (1997-09-30, 1998-06-30] in days and weeks.
- tests/data/online_retail_summary_golden.csv: UCI Online Retail, purchase lines by the
  rule of ``online_retail_purchases`` below; summary at 2011-12-09 (last day of the data)
  in days and weeks; calibration / holdout (2011-08-31, 2011-12-09] in days and weeks
  (calibration columns empty for customers who start after 2011-08-31). Skipped with a
  message when the Parquet file is absent.

Column names: ``{column}_{unit}_{YYYYMMDD}`` for ``summary_data_from_transaction_data``
(frequency, recency, T, monetary_value) and ``{column}_{unit}`` for
``calibration_and_holdout_data`` (frequency_cal, recency_cal, T_cal, monetary_value_cal,
frequency_holdout, duration_holdout).

Two conventions make lifetimes' answer the one clvlib promises (the whole day
of the cut-off is included and nothing after it is used):

- ``summary_data_from_transaction_data`` floors timestamps and the observation end to
  their period and keeps every line whose period is not after the end's period; in weeks
  it would keep the rest of the cut-off's week. It is given the lines up to the end of the
  cut-off day only.
- ``calibration_and_holdout_data`` compares raw timestamps with the cut-off dates, which
  would drop the cut-off day's lines after midnight (UCI has times of day). It is given
  the last microsecond of each day as the cut-off.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
from lifetimes.utils import calibration_and_holdout_data, summary_data_from_transaction_data

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
ONLINE_RETAIL = ROOT.parent / "shared" / "data" / "online_retail" / "online_retail.parquet"
UNITS = ("D", "W")


def cdnow_purchases() -> pd.DataFrame:
    """Every CDNOW row is a purchase: customer_id, timestamp (a date), amount."""
    raw = pd.read_csv(DATA / "cdnow_sample.csv", dtype={"customer_id": "int64"})
    return pd.DataFrame(
        {
            "customer_id": raw["customer_id"],
            "timestamp": pd.to_datetime(raw["date"], format="%Y-%m-%d"),
            "amount": raw["amount"].astype("float64"),
        }
    )


def online_retail_purchases(path: Path) -> pd.DataFrame:
    """UCI purchase lines: a customer, not a C (cancellation) invoice, Quantity > 0, UnitPrice > 0.

    amount = Quantity x UnitPrice; timestamp = InvoiceDate. The same rule is applied by
    tests/test_summary.py, so that the golden test does not depend on clvlib.data.reading.
    """
    raw = pd.read_parquet(path)
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
            "timestamp": lines["InvoiceDate"],
            "amount": lines["Quantity"] * lines["UnitPrice"],
        }
    ).reset_index(drop=True)


def end_of_day(day: str) -> pd.Timestamp:
    return pd.Timestamp(day) + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)


def summaries(purchases: pd.DataFrame, cuts: list[str]) -> list[pd.DataFrame]:
    out = []
    for cut in cuts:
        kept = purchases[purchases["timestamp"] <= end_of_day(cut)]
        for unit in UNITS:
            s = summary_data_from_transaction_data(
                kept,
                "customer_id",
                "timestamp",
                monetary_value_col="amount",
                observation_period_end=cut,
                freq=unit,
            )
            suffix = f"_{unit}_{pd.Timestamp(cut):%Y%m%d}"
            out.append(s.add_suffix(suffix))
    return out


def holdouts(purchases: pd.DataFrame, calibration_end: str, holdout_end: str) -> list[pd.DataFrame]:
    out = []
    for unit in UNITS:
        h = calibration_and_holdout_data(
            purchases,
            "customer_id",
            "timestamp",
            calibration_period_end=end_of_day(calibration_end),
            observation_period_end=end_of_day(holdout_end),
            freq=unit,
            monetary_value_col="amount",
        )
        h = h.drop(columns="monetary_value_holdout")  # per-line mean: no clvlib counterpart
        out.append(h.add_suffix(f"_{unit}"))
    return out


def write(frames: list[pd.DataFrame], name: str) -> None:
    golden = pd.concat(frames, axis=1).sort_index()
    golden.index.name = "customer_id"
    for column in golden.columns:  # counts and durations are whole numbers: write them so
        if not column.startswith("monetary_value"):
            values = golden[column]
            assert (values.dropna() % 1 == 0).all(), column
            golden[column] = values.astype("Int64")
    path = DATA / name
    # 12 significant digits: exact for counts, well inside the tests' 1e-9 relative tolerance
    golden.to_csv(path, float_format="%.12g", lineterminator="\n")
    print(f"wrote {path.relative_to(ROOT)} ({len(golden)} customers, {golden.shape[1]} columns)")


def main() -> None:
    cdnow = cdnow_purchases()
    write(
        summaries(cdnow, ["1998-06-30", "1997-09-30"])
        + holdouts(cdnow, "1997-09-30", "1998-06-30"),
        "cdnow_summary_golden.csv",
    )
    if not ONLINE_RETAIL.exists():
        print(f"UCI Online Retail not found at {ONLINE_RETAIL}: its golden file is not written")
        sys.exit(0)
    retail = online_retail_purchases(ONLINE_RETAIL)
    write(
        summaries(retail, ["2011-12-09"]) + holdouts(retail, "2011-08-31", "2011-12-09"),
        "online_retail_summary_golden.csv",
    )


if __name__ == "__main__":
    main()
