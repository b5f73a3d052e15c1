"""The clean log as the methods take it: a pandas DataFrame or a lazy ``ibis.Table``.

``load_transactions(..., lazy=True)`` returns the clean log as an Ibis table (nothing read
yet). The methods that need more than the per-customer aggregates of :mod:`clvlib.data.summary`
take either form through these helpers: a few numbers (lines, first and last timestamp)
come from one query, and the lines themselves, where truly needed, only for the window
asked for, as the pandas log (:func:`clvlib.data.reading.to_frame`, in input-row order).
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
    (:func:`clvlib.data.reading.to_frame`).
    """
    if isinstance(tx, pd.DataFrame):
        keep = pd.Series(True, index=tx.index)
        if start is not None:
            keep &= tx["timestamp"] >= start
        if stop is not None:
            keep &= tx["timestamp"] < stop
        return tx[keep]
    from clvlib.data.reading import to_frame

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
