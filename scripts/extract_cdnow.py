"""Extract CDNOW from the lifetimes wheel: a tidy 1/10 sample for tests, the raw files.

CDNOW (Fader & Hardie) is the classic BTYD benchmark: 23,570 customers of a music retailer
(2,357 in the 1/10 sample), first purchases in 1997 Q1, one row per purchase, no order id.
lifetimes (MIT licence) ships the raw files as published: whitespace-separated, dates as
YYYYMMDD, CRLF line ends. This script writes

- ``tests/data/cdnow_sample.csv``: a tidy CSV copy of the sample, so that tests need no
  lifetimes install;
- ``benchmarks/_data/cdnow/CDNOW_master.txt`` and ``CDNOW_sample.txt``: the raw files byte for
  byte (gitignored), which ``params/cdnow.example.yaml`` reads as they are.

Run once, with the bench extra installed:
    pip install -e ".[bench]" && python scripts/extract_cdnow.py
"""

from __future__ import annotations

import shutil
from importlib.resources import as_file, files
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "data" / "cdnow_sample.csv"
RAW = ROOT / "benchmarks" / "_data" / "cdnow"


def main() -> None:
    datasets = files("lifetimes.datasets")
    RAW.mkdir(parents=True, exist_ok=True)
    for name in ("CDNOW_master.txt", "CDNOW_sample.txt"):
        with as_file(datasets.joinpath(name)) as source:
            shutil.copyfile(source, RAW / name)
        print(f"wrote {RAW / name}")
    tx = pd.read_csv(
        datasets.joinpath("CDNOW_sample.txt"),
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
