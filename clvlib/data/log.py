"""The clean log as the methods take it: a pandas DataFrame or a lazy ``ibis.Table``.

``load_transactions(..., lazy=True)`` returns the clean log as an Ibis table (nothing read
yet), and a :class:`CleanLog` of what the loader found in it while building it (span, line
count, largest amount, audit): the loader records it for the table (:meth:`CleanLog.recognise`)
and every consumer asks :meth:`CleanLog.of` instead of scanning the lines again. The methods
that need more than the per-customer aggregates of :mod:`clvlib.data.summary` take either
form through these helpers: a few numbers (lines, first and last timestamp) come from one
query (none for a recognised log), and the lines themselves, where truly needed, only for
the window asked for, as the pandas log (:func:`to_frame`, in input-row order).

The data flows reading -> log -> summary: the loader (:mod:`clvlib.data.reading`) and the
summary both import this module, and neither imports the other.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import weakref
from collections.abc import Iterator
from typing import Any, ClassVar

import ibis
import pandas as pd

from clvlib.data import engine
from clvlib.data.audit import LoadAudit
from clvlib.data.dates import cutoff_day, day_after, through

__all__ = ["CleanLog", "Log", "to_frame"]

Log = pd.DataFrame | ibis.Table
Stamp = pd.Timestamp | dt.datetime | None


@dataclasses.dataclass(frozen=True)
class CleanLog:
    """What the producer of a lazy clean log found in it: span, line count, largest amount, audit.

    The lines of the log passed every check of the summary (customer, order, timestamp and
    a finite amount and cost present; purchases positive, returns negative) as they were
    built, so a consumer that recognises the table (:meth:`of`) skips its own checking scan
    and knows the log's size before running anything.

    Attributes
    ----------
    n_lines : int
        Lines of the clean log (purchases and returns).
    first, last : pandas.Timestamp or None
        First and last timestamp of any line.
    first_purchase, last_purchase : pandas.Timestamp or None
        First and last timestamp of a purchase line (``is_return`` False); None without one.
    largest : float or None
        Largest absolute ``amount`` or ``cost`` of a line; None for an empty log.
    audit : LoadAudit, optional
        The loader's account of every input row, when the log comes from the loader.

    Examples
    --------
    >>> import ibis, pandas as pd
    >>> tx = ibis.memtable({"customer_id": [1], "order_id": ["a"],
    ...     "timestamp": pd.to_datetime(["2024-01-02"]), "amount": [5.0], "is_return": [False]})
    >>> day = pd.Timestamp("2024-01-02")
    >>> facts = CleanLog(n_lines=1, first=day, last=day, first_purchase=day,
    ...                  last_purchase=day, largest=5.0)
    >>> facts.recognise(tx) is tx, CleanLog.of(tx) is facts
    (True, True)
    >>> CleanLog.of(tx.filter(tx.amount > 1)) is None  # another table: nothing is known
    True
    """

    n_lines: int
    first: Stamp
    last: Stamp
    first_purchase: Stamp
    last_purchase: Stamp
    largest: float | None
    audit: LoadAudit | None = dataclasses.field(default=None, repr=False, compare=False)

    # table (its Ibis operation: equal tables are equal operations) -> what is known of it.
    # Weak: a log forgotten by its users is forgotten here too (with its in-memory data).
    _known: ClassVar[weakref.WeakKeyDictionary[Any, CleanLog]] = weakref.WeakKeyDictionary()

    @property
    def purchase_span(self) -> tuple[Stamp, Stamp]:
        """The first and last purchase timestamps."""
        return self.first_purchase, self.last_purchase

    def recognise(self, tx: ibis.Table) -> ibis.Table:
        """Record that ``tx`` is the log these facts describe; returns ``tx``.

        Only for a producer that checked the lines as it built them: a consumer then
        trusts the facts without looking. A table derived from ``tx`` (filtered, joined...)
        is another table, of which nothing is known.
        """
        if not isinstance(tx, ibis.Table):
            raise TypeError(f"only a lazy log (an ibis Table) is recognised, got {type(tx)}")
        CleanLog._known[tx.op()] = self
        return tx

    @classmethod
    def of(cls, tx: Any) -> CleanLog | None:
        """The facts recorded for the lazy log ``tx`` (:meth:`recognise`), else None."""
        if not isinstance(tx, ibis.Table):
            return None
        return cls._known.get(tx.op())


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
    """Lines, first and last timestamp (``n_lines``, ``first``, ``last``) in one pass.

    None for a log whose producer recorded them (:class:`CleanLog`).
    """
    if isinstance(tx, pd.DataFrame):
        return {
            "n_lines": len(tx),
            "first": tx["timestamp"].min(),
            "last": tx["timestamp"].max(),
        }
    if (known := CleanLog.of(tx)) is not None:
        return {
            "n_lines": known.n_lines,
            "first": pd.NaT if known.first is None else pd.Timestamp(known.first),
            "last": pd.NaT if known.last is None else pd.Timestamp(known.last),
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
