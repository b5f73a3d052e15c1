"""The customer summary every method starts from: BTYD and RFM columns, one row per customer.

Both conventions (BTYD and marketing RFM) are computed here, once, from the clean transaction log
(docs/architecture.md): the BTYD columns (``frequency``, ``recency``, ``T``,
``monetary_value``) equal lifetimes' ``summary_data_from_transaction_data`` on the purchase
lines; the marketing RFM columns (``since_last_order``, ``n_orders``, ``total_value``, ...)
feed the scores and segment rules. Every other module reads these columns by name.

The aggregation is one Ibis expression (:func:`summary_table`), run where the log lives: a
pandas DataFrame is scanned in place and a Parquet file read directly by the embedded DuckDB
engine (:mod:`clvlib.data.engine`), out of core; an ``ibis.Table`` of a Spark session or a
warehouse is summarised by that backend. Only the per-customer rows come back as pandas.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import ibis
import ibis.expr.datatypes as dt_
import numpy as np
import pandas as pd

from clvlib.data import engine
from clvlib.data.dates import cutoff_day, day_after, not_after_log
from clvlib.data.log import CleanLog

#: Time units of the duration columns: code -> meaning.
TIME_UNITS: dict[str, str] = {
    "D": "days",
    "W": "weeks, Monday to Sunday (pandas' and lifetimes' 'W' periods)",
    "M": "calendar months",
}

#: Columns of the clean log the summary needs (docs/architecture.md).
REQUIRED_COLUMNS: tuple[str, ...] = ("customer_id", "order_id", "timestamp", "amount", "is_return")

_CUSTOMER_COLUMNS = ("channel", "cac", "signup_date")
#: the holdout outcome columns of calibration_holdout: never shown to a method
HOLDOUT_COLUMNS = ("holdout_orders", "holdout_value", "holdout_purchase_periods", "bought_again")
_N_EXAMPLES = 5
_EPOCH = dt.date(1970, 1, 1)
_FIRST_MONDAY = dt.date(1970, 1, 5)  # weeks start on Monday
#: Runs a part of the summary as a query of its own (:func:`clvlib.data.engine.staging`).
_Stage = Callable[[ibis.Table], ibis.Table]

# Money is summed as exact decimals: a floating-point sum depends on the order the engine's
# threads add the lines in, so the last bits (and with them the ranking of customers whose
# values tie) would change from run to run. 10 decimals keep any currency exact to far
# below a cent. Each line is cast to DECIMAL(18, 10) (a 64-bit integer, cheaper to cast and
# add) when every amount and cost is below _NARROW_BELOW, else to DECIMAL(38, 10); the sums
# are DECIMAL(38, 10) on DuckDB (28, 10 on Spark), room for any shop. Both casts round a
# line to the same 10 decimals, so the choice changes no result. Sums are cast to float
# before any division: Spark's decimal division rounds.
_NARROW_BELOW = 1e7


def period_of(ts: ibis.Value, unit: str) -> ibis.Value:
    """Period number of a timestamp expression in ``unit``: consecutive integers (int64).

    Durations are differences of period numbers, as lifetimes computes them after flooring
    timestamps to their period: days since 1970-01-01, Monday-to-Sunday weeks since
    1970-01-05, or calendar months, quarters ("Q") or years ("Y") since year 0.
    """
    if unit == "D":
        number = ts.date().delta(ibis.literal(_EPOCH), unit="day")
    elif unit == "W":
        number = ts.truncate("W").date().delta(ibis.literal(_FIRST_MONDAY), unit="day") // 7
    elif unit == "M":
        number = ts.year().cast("int64") * 12 + ts.month().cast("int64") - 1
    elif unit == "Q":
        number = ts.year().cast("int64") * 4 + (ts.month().cast("int64") - 1) // 3
    else:
        number = ts.year().cast("int64")
    return number.cast("int64")


def customer_summary(
    tx: pd.DataFrame | ibis.Table | str | os.PathLike,
    *,
    observation_end: str | dt.date | pd.Timestamp,
    time_unit: str = "D",
    customers: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per customer: BTYD and RFM columns, indexed by ``customer_id``.

    A customer is summarised when they have at least one purchase line (``is_return``
    False) on or before ``observation_end``; lines after it are ignored. Returns never
    count as purchases: they lower ``total_value`` and raise ``returned_value``.

    Parameters
    ----------
    tx : pandas.DataFrame, ibis.Table or path-like
        The clean transaction log (columns ``customer_id``, ``order_id``, ``timestamp``,
        ``amount``, ``is_return``; optionally ``cost``, ``channel``, ``country``): a
        DataFrame, an Ibis table of any backend (summarised where it lives, e.g. the lazy
        log of ``load_transactions(..., lazy=True)`` or a Spark table), or the path of a
        Parquet file with those columns (read by DuckDB without loading it).
    observation_end : str, date or pandas.Timestamp
        Cut-off date. Its whole day is included; a time of day is ignored.
    time_unit : {"D", "W", "M"}
        Unit of ``recency``, ``T`` and ``since_last_order``, and the purchase period of
        ``frequency``: days, weeks starting on Monday (lifetimes' ``freq="W"``) or calendar
        months. Timestamps and ``observation_end`` are floored to their period before
        differencing, as lifetimes does.
    customers : pandas.DataFrame, optional
        Customer table indexed by ``customer_id`` (or with that column), with any of
        ``channel``, ``cac``, ``signup_date``. Its ``channel`` wins over the channel of the
        first purchase where given.

    Returns
    -------
    pandas.DataFrame
        Sorted by ``customer_id``. BTYD columns (equal to lifetimes'
        ``summary_data_from_transaction_data`` on the purchase lines, with
        ``monetary_value_col="amount"``): ``frequency``, ``recency``, ``T`` (int64),
        ``monetary_value``. RFM columns: ``since_last_order``, ``n_orders``,
        ``total_value``, ``avg_order_value``, ``returned_value``, ``gross_profit`` (when
        ``tx`` has ``cost``), ``first_purchase``, ``last_purchase``, ``channel`` and
        ``country`` (of the first purchase, when ``tx`` has them), ``cac`` and
        ``signup_date`` (from ``customers``). ``attrs`` holds ``observation_end`` (an ISO
        date string, so that ``to_parquet`` can store it) and ``time_unit``. Definitions:
        :func:`clvlib.report.glossary`.

    Examples
    --------
    >>> import pandas as pd
    >>> tx = pd.DataFrame({
    ...     "customer_id": [1, 1, 1, 2],
    ...     "order_id": ["a", "b", "c", "d"],
    ...     "timestamp": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-11", "2024-01-05"]),
    ...     "amount": [10.0, 5.0, 20.0, 8.0],
    ...     "is_return": [False, False, False, False],
    ... })
    >>> summary = customer_summary(tx, observation_end="2024-01-31")
    >>> summary[["frequency", "recency", "T"]]  # doctest: +NORMALIZE_WHITESPACE
                 frequency  recency   T
    customer_id
    1                    1       10  30
    2                    0        0  26
    """
    unit = _check_time_unit(time_unit)
    end = _day("observation_end", observation_end)
    with _checked(tx) as log:
        _check_starts_by(log.span, end, "observation_end")
        summary = _run(log, lambda stage: summary_table(log, end=end, unit=unit, stage=stage))
    if customers is not None:
        summary = _join_customers(summary, customers)
    summary.attrs = {"observation_end": end.date().isoformat(), "time_unit": unit}
    return summary


def calibration_holdout(
    tx: pd.DataFrame | ibis.Table | str | os.PathLike,
    *,
    calibration_end: str | dt.date | pd.Timestamp,
    holdout_end: str | dt.date | pd.Timestamp,
    time_unit: str = "D",
    customers: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Customer summary at ``calibration_end`` plus what each customer did in the holdout.

    Methods are fitted on the summary columns; their scores are judged on the holdout
    columns. Customers whose first purchase is after ``calibration_end`` are
    not in the result: nothing could have been predicted for them.

    Parameters
    ----------
    tx : pandas.DataFrame, ibis.Table or path-like
        The clean transaction log, as in :func:`customer_summary`.
    calibration_end : str, date or pandas.Timestamp
        Last day of the calibration period (whole day included).
    holdout_end : str, date or pandas.Timestamp
        Last day of the holdout period (calibration_end, holdout_end] (whole day included).
    time_unit : {"D", "W", "M"}
        Unit of the durations and of the purchase periods, as in :func:`customer_summary`.
    customers : pandas.DataFrame, optional
        Customer table, as in :func:`customer_summary`.

    Returns
    -------
    pandas.DataFrame
        The :func:`customer_summary` columns at ``calibration_end``, then
        ``holdout_orders`` (distinct purchase orders), ``holdout_value`` (purchases minus
        returns), ``holdout_purchase_periods`` (distinct purchase periods; lifetimes'
        ``frequency_holdout``) and ``bought_again`` (any purchase in the holdout).
        ``attrs``: ``calibration_end``, ``holdout_end``, ``observation_end`` (=
        ``calibration_end``; ISO date strings), ``time_unit`` and ``holdout_length``
        (holdout_end period minus calibration_end period, in ``time_unit``; lifetimes'
        ``duration_holdout``).
    """
    unit = _check_time_unit(time_unit)
    cal_end = _day("calibration_end", calibration_end)
    hold_end = _day("holdout_end", holdout_end)
    if hold_end <= cal_end:
        raise ValueError(
            f"holdout_end ({hold_end.date()}) must be after calibration_end ({cal_end.date()})"
        )
    with _checked(tx) as log:
        _check_starts_by(log.span, cal_end, "calibration_end")
        not_after_log(hold_end, log.span[1], "holdout_end")
        out = _run(
            log,
            lambda stage: _with_holdout(
                summary_table(log, end=cal_end, unit=unit, stage=stage),
                log,
                start=cal_end,
                end=hold_end,
                unit=unit,
                stage=stage,
            ),
        )
    holdout_length = int(out.pop("_holdout_length").iloc[0])
    if customers is not None:
        out = _join_customers(out, customers)
        out = out[[c for c in out if c not in HOLDOUT_COLUMNS] + list(HOLDOUT_COLUMNS)]
    out.attrs = {
        "calibration_end": cal_end.date().isoformat(),
        "holdout_end": hold_end.date().isoformat(),
        "observation_end": cal_end.date().isoformat(),
        "time_unit": unit,
        "holdout_length": holdout_length,
    }
    return out


def active_periods(
    tx: pd.DataFrame | ibis.Table, *, observation_end: pd.Timestamp, period: str
) -> pd.DataFrame:
    """The periods each customer bought in: distinct (customer, period) pairs, from the engine.

    A customer is active in a period with at least one purchase line (``is_return`` False)
    in it, up to ``observation_end`` (whole day included). The line-level part of the
    heuristic's retention and survival rates (:mod:`clvlib.methods.heuristic`): the engine reduces
    the lines to one row per customer and period.

    Parameters
    ----------
    tx : pandas.DataFrame or ibis.Table
        Log with ``customer_id``, ``timestamp`` and ``is_return`` (checked by the caller).
    observation_end : pandas.Timestamp
        Cut-off day.
    period : {"D", "W", "M", "Q", "Y"}
        Calendar periods; weeks run Monday to Sunday.

    Returns
    -------
    pandas.DataFrame
        Columns ``customer_id`` and ``period`` (pandas ``Period``), sorted by both.
    """
    with contextlib.ExitStack() as stack:
        if isinstance(tx, pd.DataFrame):
            table = stack.enter_context(engine.pandas_table(tx))
        else:
            table = tx
        ts = table["timestamp"].cast("timestamp")
        purchase = ~table.is_return.cast("boolean")  # 0/1 columns too, never bitwise
        lines = table.filter(purchase & (ts < engine.timestamp(day_after(observation_end))))
        ts = lines["timestamp"].cast("timestamp")
        pairs = lines.group_by(["customer_id", period_of(ts, period).name("number")]).aggregate(
            first_ts=ts.min()
        )
        out = engine.to_pyarrow(pairs.order_by(["customer_id", "number"])).to_pandas()
    return pd.DataFrame(
        {
            "customer_id": out["customer_id"],
            "period": out["first_ts"].dt.to_period(period),  # any day of the period names it
        }
    )


# --- inputs -------------------------------------------------------------------------------


class CheckedLines:
    """The clean log as an Ibis table of canonical columns, checked, with what the checks found.

    ``lines`` has ``customer_id``, ``order_id``, ``ts`` (timestamp), ``amount`` (float),
    ``is_return`` and, where the log has them, ``cost``, ``channel``, ``country``. ``span`` is
    the first and last purchase timestamp; ``money_width`` the decimal precision (18 or 38)
    that holds every amount and cost exactly; ``n_lines`` the number of lines (None when
    unknown).
    """

    def __init__(
        self,
        lines: ibis.Table,
        span: tuple[dt.datetime | None, dt.datetime | None],
        money_width: int,
        n_lines: int | None = None,
    ) -> None:
        self.lines = lines
        self.span = span
        self.money_width = money_width
        self.n_lines = n_lines

    def exact(self, value: ibis.Value) -> ibis.Value:
        """A money column as an exact decimal with 10 decimals."""
        return value.cast(dt_.Decimal(self.money_width, 10))


def _check_time_unit(time_unit: str) -> str:
    if time_unit not in TIME_UNITS:
        raise ValueError(f"time_unit must be one of {sorted(TIME_UNITS)}, got {time_unit!r}")
    return time_unit


def _day(name: str, value: str | dt.date | pd.Timestamp) -> pd.Timestamp:
    """The day of a cut-off date, as a naive midnight Timestamp (the whole day is included)."""
    return cutoff_day(value, name)


@contextlib.contextmanager
def _checked(tx: pd.DataFrame | ibis.Table | str | os.PathLike) -> Iterator[CheckedLines]:
    """The checked log of any accepted source, valid inside the ``with`` block."""
    if isinstance(tx, pd.DataFrame):
        with engine.pandas_table(tx) as table:
            yield _prepare(table, "the DataFrame", _frame_rows(tx))
    elif isinstance(tx, ibis.Table):
        yield _prepare(tx, "the ibis table", _value_rows(tx))
    elif isinstance(tx, (str, os.PathLike)):
        path = Path(tx)
        if not path.is_file():
            raise FileNotFoundError(f"no Parquet file at {path}")
        if path.suffix.lower() not in (".parquet", ".pq"):
            raise ValueError(
                f"{path}: customer_summary reads the clean log as a DataFrame or a Parquet "
                "file; load CSV or Excel sources with clvlib.load_transactions first"
            )
        table = engine.read_parquet(path, row_number="file_row_number")
        yield _prepare(table, str(path), _file_rows)
    else:
        raise TypeError(
            "tx must be a pandas DataFrame or the path of a Parquet file (or an ibis Table), "
            f"got {type(tx).__name__}"
        )


def _lines(table: ibis.Table) -> ibis.Table:
    """The log's columns under their canonical names and types (nothing computed yet).

    Row numbers (``file_row_number`` of a Parquet file, ``_position`` in a DataFrame) are
    kept for the error messages; unused, the engine never reads them.
    """
    names = set(table.columns)
    select = {
        "customer_id": table.customer_id,
        "order_id": table.order_id,
        "ts": table["timestamp"].cast("timestamp"),
        "amount": table.amount.cast("float64"),
        "is_return": table.is_return,
    }
    if "cost" in names:
        select["cost"] = table.cost.cast("float64")
    for column in ("channel", "country", "file_row_number", "_position"):
        if column in names:
            select[column] = table[column]
    return table.select(**select)


def _checks(lines: ibis.Table) -> dict[str, ibis.BooleanValue]:
    """Every fault a clean line must not have: message -> condition."""

    def not_finite(value: ibis.NumericValue) -> ibis.BooleanValue:
        return value.isnull() | value.isnan() | value.isinf()

    checks = {
        "customer_id is missing": lines.customer_id.isnull(),
        "order_id is missing": lines.order_id.isnull(),
        "timestamp is missing": lines.ts.isnull(),
        "amount is missing or not finite": not_finite(lines.amount),
        "is_return is missing": lines.is_return.isnull(),
        "amount is negative on a purchase line (is_return False)": ~lines.is_return
        & (lines.amount < 0),
        "amount is positive on a return line (is_return True)": lines.is_return
        & (lines.amount > 0),
    }
    if "cost" in lines.columns:
        checks["cost is missing or not finite"] = not_finite(lines.cost)
    return checks


def _count(condition: ibis.BooleanValue) -> ibis.IntegerScalar:
    """Lines where ``condition`` holds (a NULL condition does not hold)."""
    return ibis.ifelse(condition, 1, 0).sum().fill_null(0)


def _prepare(
    table: ibis.Table, where: str, locate: Callable[[ibis.Table, str], str]
) -> CheckedLines:
    """Check the log's schema and values: one scan, a second only when a line is bad."""
    schema = table.schema()
    missing = [c for c in REQUIRED_COLUMNS if c not in schema]
    if missing:
        present = [c for c in schema if c != "file_row_number"]
        raise KeyError(
            f"{where}: the transaction log lacks column(s) {missing}; it has {present}. "
            "clvlib.load_transactions produces the clean log."
        )
    _check_type(where, "customer_id", schema, lambda t: t.is_string() or t.is_integer())
    _check_type(
        where,
        "timestamp",
        schema,
        lambda t: (t.is_timestamp() and t.timezone is None) or t.is_date(),
    )
    _check_type(where, "amount", schema, lambda t: t.is_numeric())
    _check_type(where, "is_return", schema, lambda t: t.is_boolean())
    if "cost" in schema:
        _check_type(where, "cost", schema, lambda t: t.is_numeric())

    lines = _lines(table)
    if (known := CleanLog.of(table)) is not None:  # checked by its producer: no scan
        width = 18 if known.largest is None or known.largest < _NARROW_BELOW else 38
        return CheckedLines(lines, known.purchase_span, width, known.n_lines)
    checks = _checks(lines)
    money = [lines[c].abs().max() for c in ("amount", "cost") if c in lines.columns]
    purchase = ~lines.is_return
    stats = lines.aggregate(
        n_lines=lines.count(),
        n_bad=_count(ibis.or_(*checks.values())),
        first=lines.ts.min(where=purchase),
        last=lines.ts.max(where=purchase),
        largest=ibis.greatest(*money) if len(money) > 1 else money[0],
    )
    n_lines, n_bad, first, last, largest = _one_row(stats)
    if n_bad:
        counts = _one_row(
            lines.aggregate(**{f"c{i}": _count(c) for i, c in enumerate(checks.values())})
        )
        problems = [
            f"{n:,} rows where {what}; first {locate(table, what)}"
            for what, n in zip(checks, counts, strict=True)
            if n
        ]
        raise ValueError(f"{where}: bad transaction lines:\n  " + "\n  ".join(problems))
    width = 18 if largest is None or largest < _NARROW_BELOW else 38
    lines = lines.drop("file_row_number") if "file_row_number" in lines.columns else lines
    return CheckedLines(lines, (first, last), width, n_lines)


def _one_row(expr: ibis.Table) -> list:
    """The values of a one-row result, as Python objects."""
    return list(engine.to_pyarrow(expr).to_pylist()[0].values())


def _backend(expr: ibis.Expr):
    return engine.backend_of(expr)


def _check_type(
    where: str, column: str, schema: ibis.Schema, allowed: Callable[[dt_.DataType], bool]
) -> None:
    kind = schema[column]
    if not allowed(kind):
        hint = {
            "timestamp": "a time-zone naive datetime64 (convert to local time first)",
            "customer_id": "integer or string (integral float ids: cast them to int64)",
            "is_return": "boolean",
        }.get(column, "numeric")
        raise TypeError(f"{where}: column {column!r} has type {kind}; expected {hint}")


def _frame_rows(frame: pd.DataFrame) -> Callable[[ibis.Table, str], str]:
    """Where a fault is in a DataFrame: the index labels of its first rows."""

    def locate(_: ibis.Table, what: str) -> str:
        numbered = frame.set_axis(pd.RangeIndex(len(frame))).assign(_position=np.arange(len(frame)))
        with engine.pandas_table(numbered) as table:
            lines = _lines(table)
            bad = lines.filter(_checks(lines)[what]).order_by("_position").limit(_N_EXAMPLES)
            positions = engine.to_pyarrow(bad.select("_position"))["_position"]
        return f"index labels {list(frame.index[positions.to_pylist()])}"

    return locate


def _file_rows(table: ibis.Table, what: str) -> str:
    """Where a fault is in a Parquet file: its first rows' numbers."""
    lines = _lines(table)
    bad = lines.filter(_checks(lines)[what]).order_by("file_row_number").limit(_N_EXAMPLES)
    rows = engine.to_pyarrow(bad.select("file_row_number"))["file_row_number"]
    return f"file rows (0-based) {rows.to_pylist()}"


def _value_rows(_: ibis.Table) -> Callable[[ibis.Table, str], str]:
    """Where a fault is in a table without row numbers: its first lines' ids."""

    def locate(table: ibis.Table, what: str) -> str:
        lines = _lines(table)
        bad = lines.filter(_checks(lines)[what])
        bad = bad.order_by(["customer_id", "order_id", "ts"]).limit(_N_EXAMPLES)
        rows = engine.to_pyarrow(bad.select("customer_id", "order_id")).to_pylist()
        return f"lines (customer_id, order_id) {[(r['customer_id'], r['order_id']) for r in rows]}"

    return locate


def _check_starts_by(
    span: tuple[dt.datetime | None, dt.datetime | None], end: pd.Timestamp, name: str
) -> None:
    """Fail clearly when no purchase is on or before the cut-off ``end``."""
    first, last = span
    if first is None:
        raise ValueError("the transaction log has no purchase lines (all are returns or empty)")
    if pd.Timestamp(first) >= day_after(end):
        raise ValueError(
            f"{name} {end.date()} is before the first purchase in the log ({first}; purchases "
            f"run to {last}): there is no customer to summarise"
        )


# --- the aggregation ----------------------------------------------------------------------


def summary_table(
    log: CheckedLines, *, end: pd.Timestamp, unit: str, stage: _Stage | None = None
) -> ibis.Table:
    """The summary columns from the kept lines (before ``end`` + 1 day), one expression.

    Shaped for speed on large logs: the purchase lines are aggregated once per customer and
    period (lifetimes' "purchase"), and everything per customer is aggregated from those
    few million rows, never joined back to them: the first period's value is ``argmin``
    over the periods' first timestamps, unique per customer. Only the distinct orders and the
    returns need their own (lighter) aggregations over the lines. ``stage``, where given
    (:func:`clvlib.data.engine.staging`), runs each of these parts as a query of its own.
    """
    stage = stage or _inline
    lines = log.lines
    has_cost = "cost" in lines.columns
    attributes = [c for c in ("channel", "country") if c in lines.columns]
    kept = lines.filter(lines.ts < engine.timestamp(day_after(end)))
    kept = kept.mutate(
        amount=log.exact(kept.amount), **({"cost": log.exact(kept.cost)} if has_cost else {})
    )
    purchases = kept.filter(~kept.is_return).mutate(period=period_of(kept.ts, unit))

    per_period = {
        "value": purchases.amount.sum(),
        "first_ts": purchases.ts.min(),
        "last_ts": purchases.ts.max(),
    }
    if has_cost:
        per_period["cost"] = purchases.cost.sum()
    if attributes:
        # Channel and country of the first purchase line; ties (several lines at the first
        # timestamp) are broken by the values themselves, so every run and engine agrees.
        per_period.update(_first(purchases, attributes, purchases.ts))
    # purchase value per customer and period: lifetimes' "purchase"
    periods = stage(purchases.group_by(["customer_id", "period"]).aggregate(**per_period))

    per_customer = {
        "frequency": periods.count() - 1,
        "gross_value": periods.value.sum(),
        "first_value": _argmin(periods.value, periods.first_ts),
        "first_purchase": periods.first_ts.min(),
        "last_purchase": periods.last_ts.max(),
    }
    if has_cost:
        per_customer["cost"] = periods.cost.sum()
    if attributes:
        per_customer.update({c: _argmin(periods[c], periods.first_ts) for c in attributes})
    customers = stage(periods.group_by("customer_id").aggregate(**per_customer))
    orders = stage(
        purchases.group_by("customer_id").aggregate(n_orders=purchases.order_id.nunique())
    )
    returned = kept.filter(kept.is_return)
    returns = stage(
        returned.group_by("customer_id").aggregate(
            returned_value=-returned.amount.sum(),
            **({"returned_cost": returned.cost.sum()} if has_cost else {}),
        )
    )

    c = customers.join(orders, "customer_id").left_join(returns, "customer_id")
    first, last = period_of(c.first_purchase, unit), period_of(c.last_purchase, unit)
    observed = period_of(engine.timestamp(end), unit)
    gross, returned_value = c.gross_value, c.returned_value.fill_null(0)
    out = {
        "customer_id": c.customer_id,
        "frequency": c.frequency.cast("int64"),
        "recency": last - first,
        "T": observed - first,
        "monetary_value": (
            (gross - c.first_value).cast("float64") / c.frequency.nullif(0)
        ).fill_null(0.0),
        "since_last_order": observed - last,
        "n_orders": c.n_orders.cast("int64"),
        "total_value": (gross - returned_value).cast("float64"),
        "avg_order_value": gross.cast("float64") / c.n_orders,
        "returned_value": returned_value.cast("float64"),
    }
    if has_cost:
        out["gross_profit"] = (gross - returned_value - c.cost - c.returned_cost.fill_null(0)).cast(
            "float64"
        )
    out["first_purchase"] = c.first_purchase
    out["last_purchase"] = c.last_purchase
    for column in attributes:
        out[column] = c[column]
    return c.select(**out)


def _first(table: ibis.Table, columns: list[str], ts: ibis.Value) -> dict[str, ibis.Value]:
    """The ``columns`` of the line with the smallest ``ts``: column -> aggregate.

    Ties (several lines at the first timestamp) are broken by the values themselves, so that
    every run gives the same answer. On the embedded engine the key is one 128-bit integer
    (:data:`clvlib.data.engine.FIRST_LINE_KEY`), several times faster than a struct key;
    elsewhere the key is the struct (timestamp, values), ordered by the backend.
    """
    if engine.is_embedded(_backend(table)):
        key = _first_line_key(ts, ibis.struct({c: table[c] for c in columns}).hash())
    else:
        key = ibis.struct({"ts": ts, **{c: table[c].cast("string").fill_null("") for c in columns}})
    return {column: _argmin(table[column], key) for column in columns}


def _argmin(arg: ibis.Value, key: ibis.Value) -> ibis.Value:
    """``arg`` at the smallest ``key`` (NULL values of ``arg`` included), an aggregate.

    Ibis compiles ``argmin`` for DuckDB as an ordered ``FIRST``, which sorts; DuckDB's own
    ``arg_min_null`` streams and is about twice as fast on millions of lines.
    """
    if not _is_duckdb(arg):
        # Spark's min_by skips NULL values: the value travels inside a struct, never NULL
        return ibis.struct({"value": arg}).argmin(key)["value"]
    builtin = ibis.udf.agg.builtin(
        _placeholder, name="arg_min_null", signature=((arg.type(), key.type()), arg.type())
    )
    return builtin(arg, key)


def _placeholder(arg, key):  # the body of a builtin function is never run
    raise NotImplementedError


@ibis.udf.scalar.builtin(name="clvlib_first_line_key")
def _first_line_key(ts: dt_.timestamp, hashed: dt_.int64) -> dt_.Decimal(38, 0):
    raise NotImplementedError  # a macro of the embedded engine (clvlib.data.engine)


def _is_duckdb(expr: ibis.Expr) -> bool:
    return _backend(expr).name == "duckdb"


def _with_holdout(
    summary: ibis.Table,
    log: CheckedLines,
    *,
    start: pd.Timestamp,
    end: pd.Timestamp,
    unit: str,
    stage: _Stage | None = None,
) -> ibis.Table:
    """The summary plus each customer's holdout outcome from the lines in (start, end]."""
    stage = stage or _inline
    lines = log.lines
    window = lines.filter(
        (lines.ts >= engine.timestamp(day_after(start)))
        & (lines.ts < engine.timestamp(day_after(end)))
    )
    purchase = ~window.is_return
    holdout = stage(
        window.group_by("customer_id").aggregate(
            holdout_orders=window.order_id.nunique(where=purchase),
            holdout_value=log.exact(window.amount).sum().cast("float64"),
            holdout_purchase_periods=period_of(window.ts, unit).nunique(where=purchase),
        )
    )
    joined = summary.left_join(holdout, "customer_id")
    orders = joined.holdout_orders.fill_null(0).cast("int64")
    return joined.select(
        *[joined[c] for c in summary.columns],
        holdout_orders=orders,
        holdout_value=joined.holdout_value.fill_null(0.0),
        holdout_purchase_periods=joined.holdout_purchase_periods.fill_null(0).cast("int64"),
        bought_again=orders > 0,
        _holdout_length=period_of(engine.timestamp(end), unit)
        - period_of(engine.timestamp(start), unit),
    )


def _run(log: CheckedLines, build: Callable[[_Stage | None], ibis.Table]) -> pd.DataFrame:
    """Run the summary built by ``build(stage)`` where the log lives; pandas, one row a customer.

    One query, except on the embedded engine for a log of more than ``stage_above`` lines
    (:class:`clvlib.data.engine.EngineSettings`) or when the single query runs out of memory:
    then part by part (:func:`clvlib.data.engine.staging`). Spark and warehouses run one query.
    """
    if not _is_duckdb(log.lines):
        return _fetch(build(None))
    if log.n_lines is None or log.n_lines <= engine.settings().stage_above:
        try:
            return _fetch(build(None))
        except duckdb.OutOfMemoryException:
            pass  # too large for one query within the memory limit: in parts, below
    with engine.staging() as parts:
        return _fetch(build(parts), parts)


def _inline(table: ibis.Table) -> ibis.Table:
    """A part of the summary left in the one query (no staging)."""
    return table


def _fetch(table: ibis.Table, parts: engine.Parts | None = None) -> pd.DataFrame:
    """Run the expression where it lives; one row per customer, as pandas (through Arrow).

    With ``parts``, the last part of a staged summary: run into a file, then read back.
    """
    ordered = table.order_by("customer_id")
    if parts is not None:
        return parts.fetch(ordered).set_index("customer_id")
    # self_destruct frees each Arrow column once converted: one copy of the result, not two
    frame = engine.to_pyarrow(ordered).to_pandas(self_destruct=True, split_blocks=True)
    return frame.set_index("customer_id")


def _join_customers(summary: pd.DataFrame, customers: pd.DataFrame) -> pd.DataFrame:
    """Add ``cac`` and ``signup_date`` from the customer table; its ``channel`` wins."""
    if not isinstance(customers, pd.DataFrame):
        raise TypeError(f"customers must be a DataFrame, got {type(customers).__name__}")
    table = customers.set_index("customer_id") if "customer_id" in customers else customers
    known = [c for c in _CUSTOMER_COLUMNS if c in table.columns]
    if not known:
        raise KeyError(
            f"the customer table has none of the columns {list(_CUSTOMER_COLUMNS)}; "
            f"it has {list(table.columns)}"
        )
    duplicated = table.index[table.index.duplicated()].unique()
    if len(duplicated):
        raise ValueError(
            f"the customer table has {len(duplicated)} duplicated customer_id(s), e.g. "
            f"{list(duplicated[:_N_EXAMPLES])}"
        )
    if pd.api.types.is_numeric_dtype(table.index) != pd.api.types.is_numeric_dtype(summary.index):
        raise TypeError(
            f"customer_id of the customer table ({table.index.dtype}) and of the log "
            f"({summary.index.dtype}) differ in kind: no customer would match"
        )
    out = summary.copy()
    extra = table[known].reindex(out.index)
    if "channel" in known:
        out["channel"] = (
            extra["channel"].combine_first(out["channel"]) if "channel" in out else extra["channel"]
        )
    for column in ("cac", "signup_date"):
        if column in known:
            out[column] = extra[column]
    return out
