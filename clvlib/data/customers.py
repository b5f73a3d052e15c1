"""The customer table: sign-up date, acquisition channel and CAC, one row per customer."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

__all__ = ["load_customers"]


def load_customers(path: str | Path) -> pd.DataFrame:
    """Read a customer table (CSV or Parquet) indexed by ``customer_id``.

    Columns ``signup_date``, ``channel`` and ``cac`` are kept where present
    (docs/architecture.md).

    Raises a ``ValueError`` naming the file when ``customer_id`` is missing or repeated.
    """
    path = Path(path)
    if path.suffix.lower() == ".parquet":
        table = pd.read_parquet(path)
    else:
        table = pd.read_csv(path)
    if "customer_id" not in table.columns:
        raise ValueError(f"{path}: no customer_id column (columns: {list(table.columns)})")
    repeated = table["customer_id"][table["customer_id"].duplicated()]
    if len(repeated):
        raise ValueError(
            f"{path}: customer_id repeated ({len(repeated)} rows, e.g. {repeated.head(5).tolist()})"
        )
    if "signup_date" in table.columns:
        table["signup_date"] = pd.to_datetime(table["signup_date"])
    if "cac" in table.columns:
        table["cac"] = pd.to_numeric(table["cac"]).astype("float64")
    return table.set_index("customer_id")
