"""The clean log as the methods take it: a pandas DataFrame or a lazy ``ibis.Table``.

``load_transactions(..., lazy=True)`` returns the clean log as an Ibis table (nothing read
yet). The methods that need more than the per-customer aggregates of :mod:`clvlib.data.summary`
take either form through these helpers: a few numbers (lines, first and last timestamp)
come from one query, and the lines themselves, where truly needed, only for the window
asked for, as the pandas log (:func:`to_frame`, in input-row order).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import ibis
import pandas as pd

from clvlib.data import engine
from clvlib.data.dates import cutoff_day, day_after, through

Log = pd.DataFrame | ibis.Table


def check(tx: Any, what: str = "tx") -> None:
    """Raise a TypeError naming ``what`` unless ``tx`` is a DataFrame or an ibis Table."""
    if not isinstance(tx, (pd.DataFrame, ibis.Table)):
        raise TypeError(
            f"{what} must be the clean transaction log (a pandas DataFrame, or the ibis Table "
            f"of load_transactions(..., lazy=True)), got {type(tx).__name__}"
        )


def columns(tx: Log) -> list[str]:
    """The log's column names."""
    return list(tx.columns)


def upto(tx: Log, end: Any) -> Log:
    """The lines up to ``end`` (its whole day included), in the log's own form."""
    day = cutoff_day(end, "end")
    if isinstance(tx, pd.DataFrame):
        return tx[through(tx["timestamp"], day)]
    return tx.filter(tx["timestamp"].cast("timestamp") < engine.timestamp(day_after(day)))


def lines(tx: Log, *, start: pd.Timestamp | None = None, stop: pd.Timestamp | None = None):
    """The lines with ``start <= timestamp < stop`` as the pandas log (either bound optional).

    A DataFrame is filtered (a view of its rows, in its order); a lazy log is filtered where
    it lives and only those lines come back, in input-row order
    (:func:`to_frame`).
    """
    if isinstance(tx, pd.DataFrame):
        keep = pd.Series(True, index=tx.index)
        if start is not None:
            keep &= tx["timestamp"] >= start
        if stop is not None:
            keep &= tx["timestamp"] < stop
        return tx[keep]
    ts = tx["timestamp"].cast("timestamp")
    if start is not None:
        tx = tx.filter(ts >= engine.timestamp(pd.Timestamp(start)))
    if stop is not None:
        tx = tx.filter(tx["timestamp"].cast("timestamp") < engine.timestamp(pd.Timestamp(stop)))
    return to_frame(tx)


def stats(tx: Log) -> dict[str, Any]:
    """Lines, first and last timestamp (``n_lines``, ``first``, ``last``) in one pass."""
    if isinstance(tx, pd.DataFrame):
        return {
            "n_lines": len(tx),
            "first": tx["timestamp"].min(),
            "last": tx["timestamp"].max(),
        }
    ts = tx["timestamp"].cast("timestamp")
    row = engine.to_pyarrow(tx.aggregate(n_lines=tx.count(), first=ts.min(), last=ts.max()))
    out = row.to_pylist()[0]
    return {
        "n_lines": int(out["n_lines"]),
        "first": pd.Timestamp(out["first"]) if out["first"] is not None else pd.NaT,
        "last": pd.Timestamp(out["last"]) if out["last"] is not None else pd.NaT,
    }


def customer_ids(tx: ibis.Table, *, stop: pd.Timestamp) -> Any:
    """The distinct customer ids of a lazy log's lines before ``stop`` (an array)."""
    ts = tx["timestamp"].cast("timestamp")
    ids = tx.filter(ts < engine.timestamp(pd.Timestamp(stop))).select("customer_id").distinct()
    return engine.to_pyarrow(ids)["customer_id"].to_numpy()


@contextlib.contextmanager
def table(tx: Log) -> Iterator[ibis.Table]:
    """The log as an Ibis table: a lazy log as it is, a DataFrame scanned in place."""
    if isinstance(tx, pd.DataFrame):
        with engine.pandas_table(tx) as frame:
            yield frame
    else:
        yield tx


def to_frame(tx: pd.DataFrame | ibis.Table) -> pd.DataFrame:
    """The clean log as a pandas DataFrame: what ``load_transactions(..., lazy=False)`` returns.

    For the report code's edges: a lazy log (an ``ibis.Table`` of
    ``load_transactions(..., lazy=True)``, or any table with the clean log's columns) is run
    on its backend and comes back indexed by ``row`` (sorted), with the clean dtypes:
    ``customer_id`` int64 or str, ``order_id`` str, ``timestamp`` datetime64[us],
    ``amount`` float64, ``is_return`` bool. A DataFrame is returned as it is (not copied).

    Parameters
    ----------
    tx : pandas.DataFrame or ibis.Table
        The clean log.

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> import ibis
    >>> lazy = ibis.memtable({"row": [1, 0], "customer_id": [7, 7], "order_id": ["b", "a"],
    ...     "timestamp": pd.to_datetime(["2024-01-02", "2024-01-01"]),
    ...     "amount": [2.0, 1.0], "is_return": [False, False]})
    >>> to_frame(lazy)["amount"].tolist()
    [1.0, 2.0]
    """
    if isinstance(tx, pd.DataFrame):
        return tx
    if not isinstance(tx, ibis.Table):
        raise TypeError(f"tx must be a pandas DataFrame or an ibis Table, got {type(tx).__name__}")
    missing = [
        c
        for c in ("customer_id", "order_id", "timestamp", "amount", "is_return")
        if c not in tx.columns
    ]
    if missing:
        raise KeyError(f"the ibis table lacks clean-log column(s) {missing}; it has {tx.columns}")
    schema = tx.schema()
    frame = engine.to_pyarrow(tx).to_pandas()
    if "row" in schema:
        frame = frame.sort_values("row", kind="stable").set_index("row")
        frame.index = frame.index.astype("int64")
    integral = schema["customer_id"].is_integer()
    frame["customer_id"] = frame["customer_id"].astype("int64" if integral else "str")
    frame["order_id"] = frame["order_id"].astype("str")
    frame["timestamp"] = frame["timestamp"].astype("datetime64[us]")
    frame["amount"] = frame["amount"].astype("float64")
    frame["is_return"] = frame["is_return"].astype(bool)
    for column in ("quantity", "unit_price", "cost"):
        if column in frame:
            frame[column] = frame[column].astype("float64")
    return frame
