"""Every input row classified in the engine: the clean log's expression and the audit's counts.

:func:`classify` takes a source opened by :mod:`clvlib.data.sources`, reads its columns
(:mod:`clvlib.data.values`), checks them, and builds the outcome of every row by the
precedence of :data:`clvlib.data.audit.REASONS`; the clean log is an expression over the same
classified table, and the audit one aggregate query of it.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import operator
from collections.abc import Iterable, Mapping
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import pandas as pd
import pyarrow as pa

from clvlib.data import engine
from clvlib.data.audit import (
    _CHECKS,
    _KEPT,
    _MAX_MONEY,
    _MINE,
    _N_EXAMPLES,
    _ROW,
    LoadAudit,
    SchemaError,
)
from clvlib.data.dates import cutoff_day, day_after
from clvlib.data.log import CleanLog, to_frame
from clvlib.data.roles import _NUMERIC_ROLES, _PASS_THROUGH, _resolve_columns
from clvlib.data.sources import _Source
from clvlib.data.text_engine import maybe_padded
from clvlib.data.values import (
    _MOSTLY_BAD,
    _UNPADDED,
    _count,
    _customer_ids,
    _dot_grouped,
    _integral_text_ids,
    _n_rows,
    _order_ids,
    _padded,
    _present,
    _rows_where,
    _scalars,
    _spelled_otherwise,
    _strip,
    _timestamps,
    _to_number,
)


@ibis.udf.agg.builtin(name="min")
def _smallest(arg: int, n: int) -> list[int]:  # DuckDB's min(x, n): the n smallest values
    ...


@functools.cache
def _row_hash(n: int) -> Any:
    """DuckDB's ``hash(a, b, ...)`` of ``n`` values, as an Ibis function (unsigned 64 bits).

    For the engine's groups of identical rows: half the time of Ibis' hash of a struct of
    the columns, which DuckDB computes as that and then casts through a bit string.
    """

    def hash(*args: Any) -> dt.uint64: ...  # noqa: D103

    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    params = [inspect.Parameter(f"a{i}", kind) for i in range(n)]
    hash.__signature__ = inspect.Signature(params, return_annotation=dt.uint64)  # type: ignore[attr-defined]
    return ibis.udf.scalar.builtin(hash, name="hash")


def _read_columns(
    t: ibis.Table, mapping: dict[str, str], decimal: str, thousands: str | None
) -> tuple[dict[str, ibis.Value], dict[str, ibis.BooleanValue], ibis.Value]:
    """The numbers of the numeric roles, which present values are unreadable, the timestamps."""
    numbers: dict[str, ibis.Value] = {}
    unreadable: dict[str, ibis.BooleanValue] = {}
    for role in _NUMERIC_ROLES:
        if role not in mapping:
            continue
        if (read := f"{_MINE}number_{role}") in t.columns:  # read once already (_read_once)
            numbers[role] = t[read]
            unreadable[role] = _present(t[mapping[role]]) & numbers[role].isnull()
        else:
            numbers[role], unreadable[role] = _to_number(t[mapping[role]], decimal, thousands)
    ts = ibis.null("timestamp")
    if "timestamp" in mapping:
        ts = t[f"{_MINE}ts"]
        unreadable["timestamp"] = _present(t[mapping["timestamp"]]) & ts.isnull()
    return numbers, unreadable, ts


def _read_once(
    t: ibis.Table, mapping: dict[str, str], decimal: str, thousands: str | None
) -> ibis.Table:
    """An in-memory source with its numbers and timestamps read, as a new in-memory table.

    Every later query (checks, copies, audit, clean lines) then reads typed columns instead of
    parsing the text again. Only for sources already held in memory (a DataFrame, a text or
    Excel file): their copy costs what they cost; a Parquet file or a table of another
    backend is never copied. The copy is a table of the engine's database
    (:func:`~clvlib.data.engine.stored`), made by one query that never leaves it.
    """
    numbers = _read_columns(t, mapping, decimal, thousands)[0]
    read = t.mutate(**{f"{_MINE}number_{role}": value for role, value in numbers.items()})
    return engine.stored(read)


def classify(src: _Source, **options: Any) -> tuple[pd.DataFrame | ibis.Table, LoadAudit]:
    """The clean log and its audit of ``src`` (:func:`_classify`, which says how).

    The text columns found without padding while it runs are forgotten afterwards.
    """
    token = _UNPADDED.set(frozenset())
    try:
        return _classify(src, **options)
    finally:
        _UNPADDED.reset(token)


def _classify(
    src: _Source,
    *,
    name: str,
    sha256: str | None,
    columns: Mapping[str, str] | None,
    observation_end: str | pd.Timestamp | None,
    cancellation_prefix: str | None,
    non_product_codes: Iterable[str],
    drop_duplicates: bool | None,
    strict: bool,
    date_format: str | None,
    decimal: str,
    thousands: str | None,
    read: dict[str, Any],
    lazy: bool,
) -> tuple[pd.DataFrame | ibis.Table, LoadAudit]:
    """Classify every row of ``src`` in the engine: the clean log and its audit.

    Queries, in order: the row count; the distinct text dates (text timestamps only); one
    aggregate of the column checks; the groups of identical rows (when duplicates count);
    the distinct unreadable values (only when there are); and the audit's aggregate. The
    clean log itself is an expression over the same classified table.
    """
    t = src.table
    codes = frozenset(str(c).strip().upper() for c in non_product_codes)
    obs_end = None if observation_end is None else cutoff_day(observation_end, "observation_end")

    mapping, problems = _resolve_columns(src.names, columns)
    if cancellation_prefix and "order_id" not in mapping:
        problems.append("cancellation_prefix given but there is no order_id column")
    if codes and "product_id" not in mapping:
        problems.append("non_product_codes given but there is no product_id column")
    if "unit_cost" in mapping and "quantity" not in mapping and "cost" not in mapping:
        problems.append("unit_cost needs a quantity column to give a line cost")
    # The rows, and for a source held in memory the text columns with nothing to strip: every
    # expression built afterwards takes them as they are (values._UNPADDED)
    text_columns = [
        c for c in dict.fromkeys(mapping.values()) if t[c].type().is_string() and c != _ROW
    ]
    known = text_columns if src.in_memory else []
    first = {f"padded {c}": _count(maybe_padded(t[c])) for c in known}
    first = _scalars(t, _n=ibis._.count(), **first)
    n = first["_n"]
    _UNPADDED.set(frozenset(c for c in known if first[f"padded {c}"] == 0))
    if n == 0:
        raise SchemaError(name, ["the input has no rows", *problems])

    # Read every mapped column; a column mostly unreadable as its type is a schema problem.
    dates, date_problems = "", []
    if "timestamp" in mapping:
        t, dates, date_problems = _timestamps(t, mapping["timestamp"], date_format)
        problems += date_problems
    if src.in_memory:
        t = _read_once(t, mapping, decimal, thousands)
        # the copy is the source from here on: the table read from the file is dropped once
        # nothing refers to it (engine.stored), so that the engine holds one copy, not two
        # (at 10M lines two exceed its memory limit and every later query reads spilled data)
        src.table = t
    numbers, unreadable, _ = _read_columns(t, mapping, decimal, thousands)
    checks: dict[str, ibis.Scalar] = {}
    # a text file not separated by commas may write thousands with dots (see _DOT_GROUPED)
    dot_thousands = decimal == "." and thousands is None and read.get("format") == "text"
    dot_thousands &= not str(read.get("sep", "")).startswith("comma")
    for role, bad in unreadable.items():
        checks[f"present {role}"] = _count(_present(t[mapping[role]]))
        checks[f"bad {role}"] = _count(bad)
        if role not in numbers or not t[mapping[role]].type().is_string():
            continue
        checks[f"spelled {role}"] = _count(_spelled_otherwise(t[mapping[role]], bad))
        if dot_thousands:
            grouped, proven = _dot_grouped(t[mapping[role]])
            checks[f"grouped {role}"], checks[f"proven {role}"] = _count(grouped), _count(proven)
    if "customer_id" in mapping:
        checks["present customer_id"] = _count(_present(t[mapping["customer_id"]]))
        integral_ids = _customer_ids(t[mapping["customer_id"]])[2]
        if integral_ids is not None:
            checks["integral ids"] = integral_ids
    if "order_id" in mapping:
        order_id = mapping["order_id"]
        checks["integral orders"] = _order_ids(t[order_id], order_id in src.object_text)[1]
        checks["present order_id"] = _count(_present(t[order_id]))
    if "margin" in mapping:
        checks["margin over 1"] = _count(numbers["margin"] > 1)
    for col in text_columns:
        if col not in _UNPADDED.get():
            checks[f"padded {col}"] = _count(_padded(t[col]))
    huge: dict[str, ibis.BooleanValue] = {}
    for role in ("quantity", "unit_price", "amount", "cost", "unit_cost"):
        if role in numbers:
            huge[role] = numbers[role].abs() > _MAX_MONEY
            checks[f"huge {role}"] = _count(huge[role])
    line = None
    if "amount" not in numbers and "quantity" in numbers and "unit_price" in numbers:
        # each within the cap, their product maybe not (1e11 units at 1e11 each)
        line = numbers["quantity"] * numbers["unit_price"]
        checks["huge line"] = _count(line.abs() > _MAX_MONEY)
    found = _scalars(t, **checks) if checks else {}
    _UNPADDED.set(frozenset(c for c in text_columns if found.get(f"padded {c}", 0) == 0))
    if "customer_id" in mapping and "integral ids" not in found:
        found["integral ids"] = _integral_text_ids(t, t[mapping["customer_id"]])

    for role, bad in unreadable.items():
        col = mapping[role]
        n_present, n_bad = found[f"present {role}"], found[f"bad {role}"]
        kind = "dates" if role == "timestamp" else "numbers"
        if role == "timestamp" and date_problems:
            continue  # the convention is the problem, said above, not each date
        if n_present == 0 and role in ("timestamp", "quantity", "unit_price", "amount"):
            problems.append(f"column {col!r} ({role}) has no values")
        elif n_present and n_bad > _MOSTLY_BAD * n_present:
            problems.append(
                f"column {col!r} ({role}) cannot be read as {kind}: "
                f"{n_bad} of {n_present} non-empty values are not {kind}, "
                f"{_rows_where(t, bad, t[col])}"
                + (
                    "; if they are numbers written with another decimal mark or thousands "
                    "separators, pass decimal= and thousands= (e.g. decimal=',' for 12,50)"
                    if found.get(f"spelled {role}")
                    else ""
                )
            )
        elif k := found.get(f"spelled {role}"):
            other = "decimal=',' if the decimal mark is a comma (12,50 or 1.234,50)"
            if decimal != ".":
                other = "decimal='.' if the decimal mark is a dot (12.50)"
            spelled = f"decimal mark {decimal!r}"
            if thousands:
                spelled += f" and thousands separator {thousands!r}"
            problems.append(
                f"column {col!r} ({role}) has numbers written another way than a number with "
                f"{spelled} (other thousands separators, a currency or unit, another decimal "
                f"mark): {_n_rows(k)}, "
                f"{_rows_where(t, _spelled_otherwise(t[col], bad), t[col])}; a number is read "
                "by one convention and no purchase is dropped for its spelling: write plain "
                f"numbers (1234.50), or pass the file's convention: {other}, "
                "thousands=',' for 1,234.50 (' ' for 1 234,50)"
            )
        elif found.get(f"grouped {role}") and not found.get(f"proven {role}"):
            k = found[f"grouped {role}"]
            problems.append(
                f"column {col!r} ({role}) has values like '1.500' that could be thousands "
                "written with a dot (1500) or decimals (1.5), and no value with a decimal "
                f"point that is no thousands separator: {_n_rows(k)}, "
                f"{_rows_where(t, _dot_grouped(t[col])[0], t[col])}; pass decimal=',' if "
                "the dots are thousands separators (the decimal mark is then a comma), or "
                "thousands='' if they are decimal points (1.5)"
            )
    if "customer_id" in mapping and found["present customer_id"] == 0:
        problems.append(f"column {mapping['customer_id']!r} (customer_id) has no values")
    if found.get("margin over 1"):
        problems.append(
            f"column {mapping['margin']!r} (margin) must be a fraction of amount "
            f"(0.2 for 20 %): {found['margin over 1']} values above 1, "
            f"{_rows_where(t, numbers['margin'] > 1, t[mapping['margin']])}"
        )
    for role, condition in huge.items():
        if k := found[f"huge {role}"]:
            problems.append(
                f"column {mapping[role]!r} ({role}) has values too large to be money or "
                f"quantities (above {_MAX_MONEY:,.0f} in absolute value): {_n_rows(k)}, "
                f"{_rows_where(t, condition, t[mapping[role]])}"
            )
    if line is not None and (k := found["huge line"]):
        problems.append(
            f"columns {mapping['quantity']!r} x {mapping['unit_price']!r} (quantity x "
            f"unit_price) give line values too large to be money (above {_MAX_MONEY:,.0f} in "
            f"absolute value): {_n_rows(k)}, {_rows_where(t, line.abs() > _MAX_MONEY, line)}"
        )
    if problems:
        raise SchemaError(name, problems)

    # Identical rows: the groups of rows equal in every source column (NULLs equal, as in
    # pandas' duplicated) are few; every row of a group but its first is a copy.
    # an order_id column without a value is no order id: its rows are no lines of one order
    has_orders = bool(found.get("present order_id"))
    chosen = drop_duplicates is not None
    if drop_duplicates is None:
        drop_duplicates = has_orders
    same = "duplicate" if drop_duplicates else ("identical" if not has_orders else "")
    has_copies = False
    suspects = None
    if same:
        # First the hashes of the rows that occur more than once (one integer per row to
        # group by, not every column), then the exact groups among those rows only.
        if engine.is_embedded(engine.backend_of(t)):
            hashed = _row_hash(len(src.names))(*(t[c] for c in src.names))
        else:
            keys = {f"{_MINE}k{i}": t[c] for i, c in enumerate(src.names)}
            hashed = ibis.struct(keys).hash()
        repeated = (
            t.select(_h=hashed).group_by("_h").aggregate(_n=ibis._.count()).filter(ibis._._n > 1)
        )
        repeated = engine.to_pyarrow(repeated.select("_h"))["_h"]
        if len(repeated):
            suspects = t.filter(hashed.isin(ibis.memtable(pa.table({"_h": repeated}))["_h"]))
    copies = None
    if suspects is not None:  # every row of a group of equal rows but its first is a copy
        rank = ibis.row_number().over(
            group_by=[suspects[c] for c in src.names], order_by=suspects[_ROW]
        )
        found_copies = suspects.select(_r=suspects[_ROW], _k=rank).filter(ibis._._k > 0)
        found_copies = engine.to_pyarrow(found_copies.select("_r"))["_r"]
        if len(found_copies):
            has_copies = True
            copies = ibis.memtable(pa.table({f"{_MINE}copy": found_copies}))

    # Rows dropped for an unreadable value have no number in it (a value with a digit was
    # refused above): they count 0 in the input's value.
    value_roles = ("amount",) if "amount" in mapping else ("quantity", "unit_price")

    # Every expression below is over the final table t.
    numbers, unreadable, ts = _read_columns(t, mapping, decimal, thousands)
    as_int, as_text, _ = _customer_ids(t[mapping["customer_id"]])
    integral_ids = bool(found["integral ids"])
    customer = as_int if integral_ids else as_text
    if "amount" in numbers:
        value = numbers["amount"]
    else:
        value = numbers["quantity"] * numbers["unit_price"]
    order = None
    if "order_id" in mapping:
        raw_order, _ = _order_ids(t[mapping["order_id"]], mapping["order_id"] in src.object_text)
        if raw_order.type().is_numeric():
            as_order = raw_order.cast("int64" if found["integral orders"] else "float64")
            order = ibis.ifelse(raw_order.isnan(), ibis.null("string"), as_order.cast("string"))
        else:
            order = raw_order
    unsigned = value
    is_return = (value < 0).fill_null(False)
    if "quantity" in numbers:
        is_return |= (numbers["quantity"] < 0).fill_null(False)
    if cancellation_prefix and order is not None:
        is_return |= order.startswith(cancellation_prefix).fill_null(False)
    value = ibis.ifelse(is_return, -value.abs(), value)

    load_day = pd.Timestamp.now().normalize()
    flags: dict[str, ibis.BooleanValue] = dict.fromkeys(_CHECKS, ibis.literal(False))
    flags["no_customer"] = ~_present(t[mapping["customer_id"]])
    flags["bad_timestamp"] = ts.isnull()
    flags["bad_value"] = unsigned.isnull()
    if obs_end is not None:
        flags["after_observation_end"] = ts >= engine.timestamp(day_after(obs_end))
    flags["future"] = ts >= engine.timestamp(day_after(load_day))
    if codes:
        product = _strip(t[mapping["product_id"]].cast("string")).upper()
        flags["non_product"] = product.isin(sorted(codes))
    if has_copies:
        copy = t[_ROW].isin(copies[f"{_MINE}copy"])
        flags[same] = copy
        if same == "duplicate" and has_orders and not chosen:
            # a row without its order id is no line of an order: its copy is a purchase too
            orderless = ~_present(t[mapping["order_id"]])
            flags["duplicate"] = copy & ~orderless
            flags["identical"] = copy & orderless
    if "unit_price" in numbers:
        flags["non_positive_price"] = numbers["unit_price"] <= 0
    if "quantity" in numbers:  # no goods; a $0 amount on goods is a purchase (CDNOW)
        flags["zero_value"] = numbers["quantity"] == 0
    flags["return"] = is_return
    flags = {code: flag.fill_null(False) for code, flag in flags.items()}
    outcome = ibis.cases(*((flag, code) for code, flag in flags.items()), else_="kept")

    # The clean log's columns.
    sign = ibis.ifelse(is_return, -1.0, 1.0)
    synthetic = "row-" + t[_ROW].cast("string")
    clean: dict[str, ibis.Value] = {
        "row": t[_ROW].cast("int64"),
        "customer_id": customer,
        "order_id": synthetic if order is None else order.coalesce(synthetic),
        "timestamp": ts.cast("timestamp"),
        "amount": value.cast("float64"),
        "is_return": is_return,
    }
    if "quantity" in numbers:
        clean["quantity"] = numbers["quantity"].abs() * sign
    if "unit_price" in numbers:
        clean["unit_price"] = numbers["unit_price"]
    if "cost" in numbers:
        clean["cost"] = numbers["cost"].abs() * sign
    elif "unit_cost" in numbers:
        clean["cost"] = (numbers["unit_cost"] * numbers["quantity"].abs()).abs() * sign
    elif "margin" in numbers:
        clean["cost"] = value * (1.0 - numbers["margin"])
    for role in _PASS_THROUGH:
        if role in mapping:
            clean[role] = t[mapping[role]]
    classified = t.select(
        **{f"{_MINE}code": outcome, f"{_MINE}value": value.cast("float64")},
        **{f"{_MINE}flag_{c}": f for c, f in flags.items()},
        **{f"{_MINE}bad_{r}": b.fill_null(False) for r, b in unreadable.items()},
        **{f"{_MINE}orig_{r}": t[mapping[r]] for r in unreadable},
        **{_ROW: t[_ROW]},
        **clean,
    )
    lines = classified  # per-row audit data comes from this expression, when asked for
    code = classified[f"{_MINE}code"]

    if strict:
        # Rows that would be dropped for an unreadable timestamp or value, and unreadable
        # optional numbers, become one error naming column and rows.
        faults = {"timestamp": code == "bad_timestamp"}
        for role in value_roles:
            missing = ~_present(classified[f"{_MINE}orig_{role}"])
            faults[role] = (code == "bad_value") & (classified[f"{_MINE}bad_{role}"] | missing)
        for role in ("cost", "unit_cost", "margin"):
            if role in mapping:
                faults[role] = classified[f"{_MINE}bad_{role}"]
        counts = _scalars(classified, **{r: _count(f) for r, f in faults.items()})
        row_problems = [
            f"column {mapping[role]!r} ({role}): {_n_rows(counts[role])} missing or "
            f"unparseable, {_rows_where(classified, fault, classified[f'{_MINE}orig_{role}'])}"
            for role, fault in faults.items()
            if counts[role]
        ]
        if row_problems:
            raise SchemaError(name, row_problems)

    reasons = _reasons(classified)
    if sha256 is None:  # an ibis table: its schema and what the audit found in it
        digest = hashlib.sha256(repr(src.table.schema()).encode())
        digest.update(reasons[["rows", "value"]].to_csv().encode())
        sha256 = digest.hexdigest()
    audit = LoadAudit(
        source=name,
        sha256=sha256,
        reasons=reasons[["rows", "value", "examples"]],
        columns=mapping,
        options={
            **read,
            "dates": dates,
            "load_day": load_day,
            "observation_end": obs_end,
            "cancellation_prefix": cancellation_prefix,
            "non_product_codes": codes,
            "drop_duplicates": drop_duplicates,
            "strict": strict,
            "date_format": date_format,
            "decimal": decimal,
            "thousands": thousands,
        },
        rows=lines.select(
            **{_ROW: lines[_ROW], "code": lines[f"{_MINE}code"]},
            **{c: lines[f"{_MINE}flag_{c}"] for c in _CHECKS},
            value=lines[f"{_MINE}value"],
        ),
        unparsed=ibis.union(
            *(
                lines.filter(lines[f"{_MINE}bad_{role}"]).select(
                    row=lines[_ROW],
                    role=ibis.literal(role),
                    column=ibis.literal(mapping[role]),
                    raw=lines[f"{_MINE}orig_{role}"].cast("string"),
                    _order=ibis.literal(i),
                )
                for i, role in enumerate(unreadable)
            )
        )
        if unreadable
        else None,
    )
    # Kept lines are those no dropping check holds for: the same as their code being a kept
    # one, and a much smaller condition (the engine pushes a filter down into the scan,
    # where it has no common subexpressions to share with the code's CASE).
    dropping = [classified[f"{_MINE}flag_{c}"] for c in _CHECKS if c not in _KEPT]
    tx = classified.filter(~functools.reduce(operator.or_, dropping)).select(*clean)
    if not lazy:
        return to_frame(tx), audit
    clean_lines = reasons.reindex(list(_KEPT)).dropna(subset=["rows"])
    if not clean_lines["cost_missing"].any():  # every line passes the summary's checks
        _facts(reasons, audit).recognise(tx)
    return tx, audit


def _facts(reasons: pd.DataFrame, audit: LoadAudit) -> CleanLog:
    """What the audit's aggregate (:func:`_reasons`) says of the clean log."""
    lines = reasons.reindex(list(_KEPT)).dropna(subset=["rows"])
    purchases = reasons.reindex(["kept", "identical"]).dropna(subset=["rows"])
    return CleanLog(
        n_lines=int(lines["rows"].sum()),
        first=_when(lines["first"].min()),
        last=_when(lines["last"].max()),
        first_purchase=_when(purchases["first"].min()),
        last_purchase=_when(purchases["last"].max()),
        largest=float(lines["largest"].max()) if len(lines) else None,
        audit=audit,
    )


def _when(stamp: Any) -> pd.Timestamp | None:
    """A timestamp of the aggregate, None when absent."""
    return None if stamp is None or pd.isna(stamp) else pd.Timestamp(stamp)


def _reasons(classified: ibis.Table) -> pd.DataFrame:
    """The audit's one aggregate query, per reason code.

    Rows, value and first row numbers; and, for the clean log's facts (:func:`_facts`), the
    first and last timestamp, the largest absolute amount or cost, and the lines without a
    cost.
    """
    code = classified[f"{_MINE}code"]
    row = classified[_ROW]
    size = classified["amount"].abs()
    if "cost" in classified.columns:
        size = ibis.greatest(size, classified["cost"].abs())
        cost_missing = _count(classified["cost"].isnull())
    else:
        cost_missing = ibis.literal(0)
    metrics = {
        "rows": ibis._.count(),
        "value": classified[f"{_MINE}value"].fill_null(0.0).sum(),
        "first": classified["timestamp"].min(),
        "last": classified["timestamp"].max(),
        "largest": size.max(),
        "cost_missing": cost_missing,
    }
    duckdb = engine.backend_of(classified).name == "duckdb"
    if duckdb:
        metrics["examples"] = _smallest(row, _N_EXAMPLES)
    found = engine.to_pyarrow(classified.group_by(code=code).aggregate(**metrics)).to_pandas()
    found = found.set_index("code")
    if not duckdb:  # no top-n aggregate there: number the rows of each reason
        rank = ibis.row_number().over(group_by=code, order_by=row)
        firsts = classified.select(code=code, row=row, _k=rank).filter(ibis._["_k"] < _N_EXAMPLES)
        firsts = engine.to_pyarrow(firsts.select("code", "row")).to_pandas()
        by_code = firsts.sort_values("row").groupby("code")["row"].agg(list)
        found["examples"] = by_code.reindex(found.index)
    found["examples"] = [sorted(int(r) for r in rows) for rows in found["examples"]]
    return found
