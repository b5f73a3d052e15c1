"""Extract the CDNOW 1/10 sample from the lifetimes wheel into tests/data/cdnow_sample.csv.

CDNOW (Fader & Hardie) is the classic BTYD benchmark: 2,357 customers of a music retailer,
first purchases in 1997 Q1, one row per purchase, no order id. lifetimes (MIT licence) ships
the raw fixed-width file; we keep a tidy CSV copy so that tests need no lifetimes install.

Run once, with the bench extra installed:
    pip install -e ".[bench]" && python scripts/extract_cdnow.py
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import pandas as pd

OUT = Path(__file__).resolve().parents[1] / "tests" / "data" / "cdnow_sample.csv"


def main() -> None:
    raw = files("lifetimes.datasets").joinpath("CDNOW_sample.txt")
    tx = pd.read_csv(
        raw,
        sep=r"\s+",
        header=None,
        names=["master_id", "customer_id", "date", "quantity", "amount"],
        dtype={"master_id": "int64", "customer_id": "int64", "date": "str"},
    )
    tx["date"] = pd.to_datetime(tx["date"], format="%Y%m%d").dt.strftime("%Y-%m-%d")
    tx = tx[["customer_id", "date", "quantity", "amount"]]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    tx.to_csv(OUT, index=False, float_format="%.2f", lineterminator="\n")
    print(f"wrote {OUT} ({len(tx)} rows, {tx['customer_id'].nunique()} customers)")


if __name__ == "__main__":
    main()
