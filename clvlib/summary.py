"""The customer summary every method starts from: BTYD and RFM columns, one row per customer.

Both conventions of domain.md §3 are computed here, once, from the clean transaction log
(docs/architecture.md): the BTYD columns (``frequency``, ``recency``, ``T``,
``monetary_value``) equal lifetimes' ``summary_data_from_transaction_data`` on the purchase
lines; the marketing RFM columns (``since_last_order``, ``n_orders``, ``total_value``, ...)
feed the scores and segment rules. Every other module reads these columns by name.

The aggregation is one DuckDB query that scans the pandas DataFrame in place or the Parquet
file directly, so a 10-million-line log is summarised in seconds without being loaded into
pandas.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

import duckdb
import pandas as pd

from clvlib._dates import cutoff_day, day_after, not_after_log

#: Time units of the duration columns: code -> meaning.
TIME_UNITS: dict[str, str] = {
    "D": "days",
    "W": "weeks, Monday to Sunday (pandas' and lifetimes' 'W' periods)",
    "M": "calendar months",
}

#: Columns of the clean log the summary needs (docs/architecture.md).
REQUIRED_COLUMNS: tuple[str, ...] = ("customer_id", "order_id", "timestamp", "amount", "is_return")

# Period number of a timestamp expression in each time unit: consecutive integers, so that
# durations are differences of period numbers, as lifetimes computes them after flooring
# timestamps to their period. 1970-01-05 is a Monday (weeks start on Monday).
_PERIOD_SQL: dict[str, str] = {
    "D": "(CAST({ts} AS DATE) - DATE '1970-01-01')",
    "W": "((CAST(date_trunc('week', {ts}) AS DATE) - DATE '1970-01-05') // 7)",
    "M": "(year({ts}) * 12 + month({ts}) - 1)",
}

_NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "FLOAT", "DOUBLE", "DECIMAL")
_UNSIGNED = ("UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT")
_TIMESTAMPS = ("TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS", "DATE")
_CUSTOMER_COLUMNS = ("channel", "cac", "signup_date")
# DuckDB's own memory (hash tables of the aggregations) is capped so that a 10M-line log is
# summarised from Parquet within 1 GB of peak memory: without the cap DuckDB keeps up to
# 80 % of the RAM and the process peaked at 1.1-1.2 GB, with it at about 0.9 GB and 0.1 s
# slower. Larger logs spill to the system's temporary directory instead of exhausting RAM.
_MEMORY_LIMIT = "750MB"
_N_EXAMPLES = 5

# Money is summed as exact decimals: a floating-point sum depends on the order DuckDB's
# threads add the lines in, so the last bits (and with them the ranking of customers whose
# values tie) would change from run to run. 10 decimals keep any currency exact to far
# below a cent. Each line is cast to DECIMAL(18, 10) (a 64-bit integer, cheaper to cast and
# add) when every amount and cost is below _NARROW_BELOW, else to DECIMAL(38, 10); the sums
# are DECIMAL(38, 10) either way, with 28 integer digits, room for any shop. Both casts
# round a line to the same 10 decimals, so the choice changes no result. `exact` is a
# DuckDB macro that _prepare defines from the log's largest amount.
_EXACT = "exact({c})"
_NARROW_BELOW = 1e7


def _exact_money(columns: list[str]) -> str:
    """The REPLACE list that turns the money columns of ``lines`` into exact decimals."""
    money = [c for c in ("amount", "cost") if c in columns]
    return ", ".join(f"{_EXACT.format(c=c)} AS {c}" for c in money)


def customer_summary(
    tx: pd.DataFrame | str | os.PathLike,
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
    tx : pandas.DataFrame or path-like
        The clean transaction log (columns ``customer_id``, ``order_id``, ``timestamp``,
        ``amount``, ``is_return``; optionally ``cost``, ``channel``, ``country``), or the
        path of a Parquet file with those columns (read by DuckDB without loading it).
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
        :func:`clvlib.glossary`.

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
    with _open(tx) as con:
        columns, span = _prepare(con, tx)
        _check_starts_by(span, end, "observation_end")
        summary = _summarise(con, columns, end=end, unit=unit)
    if customers is not None:
        summary = _join_customers(summary, customers)
    summary.attrs = {"observation_end": end.date().isoformat(), "time_unit": unit}
    return summary


def calibration_holdout(
    tx: pd.DataFrame | str | os.PathLike,
    *,
    calibration_end: str | dt.date | pd.Timestamp,
    holdout_end: str | dt.date | pd.Timestamp,
    time_unit: str = "D",
    customers: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Customer summary at ``calibration_end`` plus what each customer did in the holdout.

    Methods are fitted on the summary columns; their scores are judged on the holdout
    columns (domain.md §9). Customers whose first purchase is after ``calibration_end`` are
    not in the result: nothing could have been predicted for them.

    Parameters
    ----------
    tx : pandas.DataFrame or path-like
        The clean transaction log or a Parquet file of it, as in :func:`customer_summary`.
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
    with _open(tx) as con:
        columns, span = _prepare(con, tx)
        _check_starts_by(span, cal_end, "calibration_end")
        not_after_log(hold_end, span[1], "holdout_end")
        summary = _summarise(con, columns, end=cal_end, unit=unit)
        holdout = _holdout(con, start=cal_end, end=hold_end, unit=unit)
        holdout_length = _period(con, hold_end, unit) - _period(con, cal_end, unit)
    if customers is not None:
        summary = _join_customers(summary, customers)
    out = summary.join(holdout, how="left")
    for column in ("holdout_orders", "holdout_purchase_periods"):
        out[column] = out[column].fillna(0).astype("int64")
    out["holdout_value"] = out["holdout_value"].fillna(0.0).astype("float64")
    out["bought_again"] = out["holdout_orders"] > 0
    out.attrs = {
        "calibration_end": cal_end.date().isoformat(),
        "holdout_end": hold_end.date().isoformat(),
        "observation_end": cal_end.date().isoformat(),
        "time_unit": unit,
        "holdout_length": int(holdout_length),
    }
    return out


# --- inputs -------------------------------------------------------------------------------


def _check_time_unit(time_unit: str) -> str:
    if time_unit not in _PERIOD_SQL:
        raise ValueError(f"time_unit must be one of {sorted(TIME_UNITS)}, got {time_unit!r}")
    return time_unit


def _day(name: str, value: str | dt.date | pd.Timestamp) -> pd.Timestamp:
    """The day of a cut-off date, as a naive midnight Timestamp (the whole day is included)."""
    return cutoff_day(value, name)


def _open(tx: pd.DataFrame | str | os.PathLike) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection on which the log is the view ``_tx``."""
    con = duckdb.connect()
    # A library prints nothing: switch DuckDB's progress bar off where it is on. Inside a
    # Jupyter kernel without ipywidgets it is already off and DuckDB refuses to touch it.
    if con.execute("SELECT current_setting('enable_progress_bar')").fetchall()[0][0]:
        con.execute("SET enable_progress_bar = false")
    spill = tempfile.gettempdir().replace("'", "''")
    con.execute(f"SET memory_limit = '{_MEMORY_LIMIT}'; SET temp_directory = '{spill}'")
    if isinstance(tx, pd.DataFrame):
        con.register("_tx", tx)  # scanned in place: no copy, never modified
    elif isinstance(tx, (str, os.PathLike)):
        path = Path(tx)
        if not path.is_file():
            con.close()
            raise FileNotFoundError(f"no Parquet file at {path}")
        if path.suffix.lower() not in (".parquet", ".pq"):
            con.close()
            raise ValueError(
                f"{path}: customer_summary reads the clean log as a DataFrame or a Parquet "
                "file; load CSV or Excel sources with clvlib.load_transactions first"
            )
        quoted = str(path).replace("'", "''")
        con.execute(
            f"CREATE TEMP VIEW _tx AS SELECT * FROM read_parquet('{quoted}', file_row_number=true)"
        )
    else:
        con.close()
        raise TypeError(
            f"tx must be a pandas DataFrame or the path of a Parquet file, got {type(tx).__name__}"
        )
    return con


def _where(tx: pd.DataFrame | str | os.PathLike) -> str:
    return "the DataFrame" if isinstance(tx, pd.DataFrame) else str(tx)


def _prepare(
    con: duckdb.DuckDBPyConnection, tx: pd.DataFrame | str | os.PathLike
) -> tuple[list[str], tuple[dt.datetime | None, dt.datetime | None]]:
    """Check the log's schema and values and create the view ``lines``.

    Returns the columns of ``lines`` and the first and last purchase timestamps (one scan).
    """
    where = _where(tx)
    types = {name: kind for name, kind, *_ in con.execute("DESCRIBE _tx").fetchall()}
    missing = [c for c in REQUIRED_COLUMNS if c not in types]
    if missing:
        present = [c for c in types if c != "file_row_number"]
        raise KeyError(
            f"{where}: the transaction log lacks column(s) {missing}; it has {present}. "
            "clvlib.load_transactions produces the clean log."
        )
    _check_type(where, "customer_id", types, ("VARCHAR", *_NUMERIC[:5], *_UNSIGNED))
    _check_type(where, "timestamp", types, _TIMESTAMPS)
    _check_type(where, "amount", types, _NUMERIC + _UNSIGNED)
    _check_type(where, "is_return", types, ("BOOLEAN",))
    optional = [c for c in ("cost", "channel", "country") if c in types]
    if "cost" in optional:
        _check_type(where, "cost", types, _NUMERIC + _UNSIGNED)

    select = [
        "customer_id",
        "order_id",
        'CAST("timestamp" AS TIMESTAMP) AS ts',
        "CAST(amount AS DOUBLE) AS amount",
        "is_return",
    ]
    if "cost" in optional:
        select.append("CAST(cost AS DOUBLE) AS cost")
    select += [c for c in optional if c != "cost"]
    if not isinstance(tx, pd.DataFrame):
        select.append("file_row_number AS _row")  # for error messages; pruned otherwise
    con.execute(f"CREATE TEMP VIEW lines AS SELECT {', '.join(select)} FROM _tx")

    checks = {
        "customer_id is missing": "customer_id IS NULL",
        "order_id is missing": "order_id IS NULL",
        "timestamp is missing": "ts IS NULL",
        "amount is missing or not finite": "amount IS NULL OR NOT isfinite(amount)",
        "is_return is missing": "is_return IS NULL",
        "amount is negative on a purchase line (is_return False)": "NOT is_return AND amount < 0",
        "amount is positive on a return line (is_return True)": "is_return AND amount > 0",
    }
    if "cost" in optional:
        checks["cost is missing or not finite"] = "cost IS NULL OR NOT isfinite(cost)"
    # One scan: any bad line, the purchase span and the largest money value. Only when a
    # line is bad, a second scan counts each kind of fault and names its first rows.
    money = [c for c in ("amount", "cost") if c in optional or c == "amount"]
    n_bad, first, last, largest = con.execute(
        "SELECT count(*) FILTER (WHERE "
        + " OR ".join(f"({cond})" for cond in checks.values())
        + "), min(ts) FILTER (WHERE NOT is_return), max(ts) FILTER (WHERE NOT is_return), "
        + f"greatest({', '.join(f'max(abs({c}))' for c in money)}) FROM lines"
    ).fetchall()[0]
    if n_bad:
        counts = con.execute(
            "SELECT "
            + ", ".join(f"count(*) FILTER (WHERE {cond})" for cond in checks.values())
            + " FROM lines"
        ).fetchall()[0]
        problems = [
            f"{n:,} rows where {what}; first {_fault_rows(con, tx, checks[what])}"
            for what, n in zip(checks, counts, strict=True)
            if n
        ]
        raise ValueError(f"{where}: bad transaction lines:\n  " + "\n  ".join(problems))
    width = 18 if largest is None or largest < _NARROW_BELOW else 38
    con.execute(f"CREATE TEMP MACRO exact(x) AS CAST(x AS DECIMAL({width}, 10))")
    return ["customer_id", "order_id", "ts", "amount", "is_return", *optional], (first, last)


def _check_type(where: str, column: str, types: dict[str, str], allowed: tuple[str, ...]) -> None:
    kind = types[column]
    if kind.split("(")[0] not in allowed:
        hint = {
            "timestamp": "a time-zone naive datetime64 (convert to local time first)",
            "customer_id": "integer or string (integral float ids: cast them to int64)",
            "is_return": "boolean",
        }.get(column, "numeric")
        raise TypeError(f"{where}: column {column!r} has type {kind}; expected {hint}")


def _fault_rows(
    con: duckdb.DuckDBPyConnection, tx: pd.DataFrame | str | os.PathLike, condition: str
) -> str:
    """Describe the first rows of the log where ``condition`` holds (index labels or rows)."""
    if isinstance(tx, pd.DataFrame):
        rows = con.execute(
            f"SELECT _row FROM lines POSITIONAL JOIN (SELECT range AS _row FROM range({len(tx)})) "
            f"WHERE {condition} ORDER BY _row LIMIT {_N_EXAMPLES}"
        ).fetchall()
        positions = [r[0] for r in rows]
        return f"index labels {list(tx.index[positions])}"
    rows = con.execute(
        f"SELECT _row FROM lines WHERE {condition} ORDER BY _row LIMIT {_N_EXAMPLES}"
    ).fetchall()
    return f"file rows (0-based) {[r[0] for r in rows]}"


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


def _period(con: duckdb.DuckDBPyConnection, day: pd.Timestamp, unit: str) -> int:
    """Period number of a day, by the same SQL expression as the log's timestamps."""
    expr = _PERIOD_SQL[unit].format(ts="CAST($day AS TIMESTAMP)")
    return int(con.execute(f"SELECT {expr}", {"day": day.to_pydatetime()}).fetchall()[0][0])


def _summarise(
    con: duckdb.DuckDBPyConnection, columns: list[str], *, end: pd.Timestamp, unit: str
) -> pd.DataFrame:
    """The summary columns from the kept lines (before ``end`` + 1 day), one query.

    Shaped for speed on large logs: the purchase lines are aggregated once per customer and
    period (lifetimes' "purchase"), and everything per customer is aggregated from those
    few million rows, never joined back to them: the first period's value is ``arg_min``
    over the periods' first timestamps, unique per customer. Only the distinct orders and the
    returns need their own (lighter) aggregations over the lines. The lines are scanned in
    place (never materialised), and the result comes back through Arrow.
    """
    period = _PERIOD_SQL[unit].format
    has_cost = "cost" in columns
    attributes = [c for c in ("channel", "country") if c in columns]
    # Channel and country of the first purchase line: within a period, arg_min over one
    # 128-bit key, the timestamp (x 2^64) plus a hash of the channel and country, so that
    # ties (several lines at the first timestamp) give the same answer on every run; across
    # periods, arg_min over the period's first timestamp, which is unique per customer.
    first_key = f"epoch_us(ts)::HUGEINT * {2**64} + hash({', '.join(attributes)})::HUGEINT"
    per_period_extra = "".join(
        [", sum(cost) AS cost" if has_cost else ""]
        + [f", arg_min_null({c}, {first_key}) AS {c}" for c in attributes]
    )
    per_customer_extra = "".join(
        [", sum(cost) AS cost" if has_cost else ""]
        + [f", arg_min_null({c}, first_ts) AS {c}" for c in attributes]
    )
    outputs = []
    if has_cost:
        outputs.append(
            "(gross_value - coalesce(returned_value, 0) - cost - coalesce(returned_cost, 0))"
            "::DOUBLE AS gross_profit"
        )
    outputs += ["first_purchase", "last_purchase", *attributes]
    sql = f"""
    WITH kept AS NOT MATERIALIZED (
        SELECT * REPLACE ({_exact_money(columns)}) FROM lines WHERE ts < $stop
    ),
    purchases AS NOT MATERIALIZED (
        SELECT *, {period(ts="ts")} AS period FROM kept WHERE NOT is_return
    ),
    per_period AS (  -- purchase value per customer and period: lifetimes' "purchase"
        SELECT customer_id, period, sum(amount) AS value,
            min(ts) AS first_ts, max(ts) AS last_ts{per_period_extra}
        FROM purchases
        GROUP BY customer_id, period
    ),
    per_customer AS (
        SELECT
            customer_id,
            count(*) - 1 AS frequency,
            sum(value) AS gross_value,
            arg_min(value, first_ts) AS first_value,
            min(first_ts) AS first_purchase,
            max(last_ts) AS last_purchase{per_customer_extra}
        FROM per_period
        GROUP BY customer_id
    ),
    orders AS (
        SELECT customer_id, count(DISTINCT order_id) AS n_orders
        FROM purchases
        GROUP BY customer_id
    ),
    returns AS (
        SELECT customer_id, -sum(amount) AS returned_value
            {", sum(cost) AS returned_cost" if has_cost else ""}
        FROM kept WHERE is_return
        GROUP BY customer_id
    )
    SELECT
        customer_id,
        frequency,
        {period(ts="last_purchase")} - {period(ts="first_purchase")} AS recency,
        $obs - {period(ts="first_purchase")} AS "T",
        coalesce((gross_value - first_value)::DOUBLE / nullif(frequency, 0), 0.0)
            AS monetary_value,
        $obs - {period(ts="last_purchase")} AS since_last_order,
        n_orders,
        (gross_value - coalesce(returned_value, 0))::DOUBLE AS total_value,
        gross_value::DOUBLE / n_orders AS avg_order_value,
        coalesce(returned_value::DOUBLE, 0.0) AS returned_value,
        {", ".join(outputs)}
    FROM per_customer
    JOIN orders USING (customer_id)
    LEFT JOIN returns USING (customer_id)
    ORDER BY customer_id
    """
    params = {
        "stop": day_after(end).to_pydatetime(),
        "obs": _period(con, end, unit),
    }
    return _to_pandas(con.sql(sql, params=params))


def _to_pandas(relation: duckdb.DuckDBPyRelation) -> pd.DataFrame:
    """Through Arrow: several times faster than ``.df()`` for a million customers."""
    return relation.to_arrow_table().to_pandas().set_index("customer_id")


def _holdout(
    con: duckdb.DuckDBPyConnection, *, start: pd.Timestamp, end: pd.Timestamp, unit: str
) -> pd.DataFrame:
    """Holdout outcome per customer from the lines in (start, end], whole days."""
    sql = f"""
    SELECT
        customer_id,
        count(DISTINCT order_id) FILTER (WHERE NOT is_return) AS holdout_orders,
        sum({_EXACT.format(c="amount")})::DOUBLE AS holdout_value,
        count(DISTINCT {_PERIOD_SQL[unit].format(ts="ts")}) FILTER (WHERE NOT is_return)
            AS holdout_purchase_periods
    FROM lines
    WHERE ts >= $start AND ts < $stop
    GROUP BY customer_id
    """
    params = {
        "start": day_after(start).to_pydatetime(),
        "stop": day_after(end).to_pydatetime(),
    }
    return _to_pandas(con.sql(sql, params=params))


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
