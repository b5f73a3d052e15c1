"""The customer table: sign-up date, acquisition channel and CAC, one row per customer.

Read by the machinery of the order log (:mod:`clvlib.data.sources` opens the file,
:mod:`clvlib.data.values` reads its values), so that it takes the log's options (``sep``,
``encoding``, ``date_format``, ``decimal``), gives the log's errors (a
:class:`~clvlib.data.audit.SchemaError` naming file, column and rows) and reads ids as the log
does. Given the clean log, the table's ids take the log's kind (int64 or text) by
construction, and the audit says how many of them match.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

import ibis
import pandas as pd

from clvlib.data import engine
from clvlib.data.audit import _MAX_MONEY, _N_EXAMPLES, _ROW, SchemaError
from clvlib.data.roles import _norm
from clvlib.data.sources import (
    _header,
    _Source,
    open_source,
    option_problems,
)
from clvlib.data.values import (
    _INTEGRAL_TEXT,
    _count,
    _customer_ids,
    _dot_grouped,
    _integral_text_ids,
    _present,
    _rows_where,
    _scalars,
    _text,
    _timestamps,
    _to_number,
    thousands_problems,
)

__all__ = ["CustomerAudit", "load_customers"]

_WHAT = "the customer table"
_COLUMNS = ("customer_id", "signup_date", "channel", "cac")

# code -> (outcome, description), in the order of the audit's table
CUSTOMER_REASONS: dict[str, tuple[str, str]] = {
    "matched": ("kept", "customer of the log"),
    "not_in_log": ("kept", "no line in the log (signed up, never bought)"),
    "kept": ("kept", "customer row (no log to match)"),
    "no_customer": ("dropped", "no customer id"),
    "other_id_kind": ("dropped", "id cannot be one of the log's (text, the log's are integers)"),
}


@dataclass
class CustomerAudit:
    """What :func:`load_customers` did with every row of the customer table.

    Attributes
    ----------
    source : str
        File path, or the name given to a DataFrame.
    sha256 : str
        SHA-256 of the file's bytes (of a DataFrame: of its row hashes).
    counts : dict
        Rows per code of ``CUSTOMER_REASONS``; they add up to ``n_input_rows``.
    examples : dict
        The first row numbers (0-based data rows) of each code that occurred.
    n_input_rows : int
        Rows in the table.
    log_customers : int or None
        Customers of the log (None when no log was given).
    log_without_row : int or None
        Customers of the log without a row in the table.
    columns : dict
        Column of the table -> source column used.
    options : dict
        How the table was read (format, separator, encoding, ``dates``) and the id kind.
    """

    source: str
    sha256: str
    counts: dict[str, int]
    examples: dict[str, list[int]]
    n_input_rows: int
    columns: dict[str, str]
    options: dict[str, Any] = field(default_factory=dict)
    log_customers: int | None = None
    log_without_row: int | None = None

    @property
    def n_kept(self) -> int:
        """Rows of the table returned (one per customer)."""
        return sum(n for c, n in self.counts.items() if CUSTOMER_REASONS[c][0] == "kept")

    def table(self) -> pd.DataFrame:
        """Rows per code that occurred, with a ``total`` row (the input's rows)."""
        codes = [c for c in CUSTOMER_REASONS if self.counts.get(c)]
        out = pd.DataFrame(
            {
                "outcome": [CUSTOMER_REASONS[c][0] for c in codes],
                "reason": [CUSTOMER_REASONS[c][1] for c in codes],
                "rows": [int(self.counts[c]) for c in codes],
            },
            index=pd.Index(codes, name="code"),
        )
        out.loc["total"] = ["total", "all input rows", self.n_input_rows]
        out["rows"] = out["rows"].astype("int64")
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable summary for report provenance."""
        return {
            "source": self.source,
            "sha256": self.sha256,
            "n_input_rows": self.n_input_rows,
            "counts": dict(self.counts),
            "examples": {k: list(v) for k, v in self.examples.items()},
            "log_customers": self.log_customers,
            "log_without_row": self.log_without_row,
            "columns": dict(self.columns),
            "options": {k: v for k, v in self.options.items()},
        }

    def __repr__(self) -> str:
        head = f"Customer table {self.source}: {self.n_input_rows:,} rows, {self.n_kept:,} kept"
        if self.log_customers is not None:
            head += (
                f"; {self.log_without_row:,} of the log's {self.log_customers:,} customers "
                "have no row"
            )
        return f"{head}\n{self.table().to_string()}"


def load_customers(
    source: str | PathLike[str] | pd.DataFrame,
    *,
    log: pd.DataFrame | ibis.Table | None = None,
    columns: Mapping[str, str] | None = None,
    sep: str | None = None,
    encoding: str | None = None,
    date_format: str | None = None,
    decimal: str = ".",
    thousands: str | None = None,
    sheet_name: str | int | None = 0,
    source_name: str | None = None,
) -> tuple[pd.DataFrame, CustomerAudit]:
    """Read a customer table indexed by ``customer_id``, and account for every row.

    Parameters
    ----------
    source : str, pathlib.Path or pandas.DataFrame
        A .csv/.tsv (optionally compressed), .parquet or .xlsx file, or a DataFrame.
    log : pandas.DataFrame or ibis.Table, optional
        The clean log (:func:`clvlib.data.reading.load_transactions`). Its ``customer_id``
        kind is the table's: integer ids when the log's are, else text, so that ``"007"``
        is ``"007"`` in both. A row whose id cannot be of that kind is dropped and counted
        (``other_id_kind``). A table none of whose ids is a customer of the log is a
        :class:`SchemaError`. Without it the ids follow the log's rule on their own: integers
        when every id is one (no leading zeros), else text.
    columns : dict, optional
        ``{column: source column}`` for ``customer_id``, ``signup_date``, ``channel``,
        ``cac`` not named so; others are matched by name ignoring case, spaces, underscores
        and hyphens.
    sep, encoding, date_format, decimal, thousands, sheet_name, source_name
        As for :func:`clvlib.data.reading.load_transactions`. Sign-up dates are read by the
        convention their values prove (ISO, YYYYMMDD, day-first or month-first when some day
        is above 12), else by ``date_format`` (its date part alone also reads dates
        without a time).

    Returns
    -------
    customers : pandas.DataFrame
        Index ``customer_id``; ``signup_date`` (naive datetime64[us], as the log's times),
        ``channel`` (text), ``cac`` (float64) where present, and the table's other columns as
        read, in the table's order; rows in file order.
    audit : CustomerAudit
        Rows kept (matched to the log or not), dropped (no id, id of another kind), and the
        log's customers without a row.

    Raises
    ------
    SchemaError
        Naming file, column and rows: no ``customer_id`` column, no rows, a repeated id, a
        sign-up date or CAC that cannot be read (or dates of no provable convention), a CAC
        too large to be money (above 1e12, the log's cap on line values), no id in common
        with ``log``, and every problem of reading the file that the log has.
    """
    shown = str(source) if isinstance(source, str | PathLike) else "<DataFrame>"
    name = source_name or shown
    problems = option_problems(sep=sep, decimal=decimal, columns=columns)
    if problems := problems + thousands_problems(thousands, decimal):
        raise SchemaError(name, problems, what=_WHAT)
    number = {"decimal": decimal, "thousands": thousands}

    def text_columns(path: Path, kind: str) -> dict[str, str]:
        # the id and the CAC handed over as text written, as the log's ids and numbers
        # (the CAC passed as the log's role "cost", a number read by one convention)
        names = _header(path, kind, sep=sep, encoding=encoding, sheet_name=sheet_name)
        found, _ = _mapping(names, columns)
        pairs = (("customer_id", "customer_id"), ("cost", "cac"))
        return {role: found[c] for role, c in pairs if c in found}

    src, sha, read, scan = open_source(
        source,
        name,
        what=_WHAT,
        file_of="the customer table",
        columns=text_columns,
        sheet_name=sheet_name,
        sep=sep,
        encoding=encoding,
        decimal=decimal,
    )
    with scan:
        return _load(src, name, sha, read, log, columns, date_format, number)


def _mapping(
    names: list[str], columns: Mapping[str, str] | None
) -> tuple[dict[str, str], list[str]]:
    """The table's columns by their role: ``columns`` first, then by folded name."""
    given = dict(columns or {})
    mapping: dict[str, str] = {}
    problems = []
    for role, col in given.items():
        if role not in _COLUMNS:
            problems.append(f"unknown column {role!r} in columns; they are {', '.join(_COLUMNS)}")
        elif str(col) not in names:
            problems.append(f"columns maps {role!r} to {col!r}, which is not a column ({names})")
        else:
            mapping[role] = str(col)
    for role in _COLUMNS:
        if role in given:
            continue
        hits = [n for n in names if _norm(n) == _norm(role) and n not in mapping.values()]
        if len(hits) > 1:
            problems.append(f"several columns could be {role!r}: {hits}; choose one with columns=")
        elif hits:
            mapping[role] = hits[0]
    if "customer_id" not in mapping and "customer_id" not in given:
        problems.append(
            f"no customer_id column (columns: {names}); name it customer_id or pass "
            "columns={'customer_id': '...'}"
        )
    return mapping, problems


def _log_ids(log: pd.DataFrame | ibis.Table) -> pd.Series:
    """The distinct customer ids of the clean log."""
    if isinstance(log, ibis.Table):
        ids = engine.to_pyarrow(log.select("customer_id").distinct()).to_pandas()["customer_id"]
    else:
        frame = log.reset_index() if "customer_id" not in log.columns else log
        ids = pd.Series(frame["customer_id"].unique())
    return ids.dropna()


def _kind_of(log: pd.DataFrame | ibis.Table) -> str:
    """'int' when the log's customer ids are integers, else 'text'."""
    if isinstance(log, ibis.Table):
        return "int" if log.schema()["customer_id"].is_integer() else "text"
    frame = log.reset_index() if "customer_id" not in log.columns else log
    return "int" if pd.api.types.is_integer_dtype(frame["customer_id"]) else "text"


def _date_part(date_format: str) -> str | None:
    """``'%d/%m/%Y'`` of ``'%d/%m/%Y %H:%M'``; None when the format has no time part."""
    cut = re.search(r"[\sT]*%[HIMSpfzZ]", date_format)
    return date_format[: cut.start()] if cut and cut.start() > 0 else None


def _signup_dates(
    t: ibis.Table, column: str, date_format: str | None
) -> tuple[ibis.Table, str, list[str]]:
    """The table with the sign-up dates read (column ``_clvlib_signup``), how, and problems."""
    read, how, problems = _timestamps(t, column, date_format)
    problems = [p.replace(f"{column!r} (timestamp)", f"{column!r} (signup_date)") for p in problems]
    read = read.rename(_clvlib_signup="_clvlib_ts")
    if date_format and (part := _date_part(date_format)) and not problems:
        # the log's format has a time; sign-up dates often have none
        again, _, _ = _timestamps(read, column, part)
        read = again.mutate(_clvlib_signup=again["_clvlib_signup"].coalesce(again["_clvlib_ts"]))
        read = read.drop("_clvlib_ts")
        how += f" (or {part!r})"
    return read, how, problems


def _load(
    src: _Source,
    name: str,
    sha: str,
    read: dict[str, Any],
    log: pd.DataFrame | ibis.Table | None,
    columns: Mapping[str, str] | None,
    date_format: str | None,
    number: dict[str, Any],
) -> tuple[pd.DataFrame, CustomerAudit]:
    mapping, problems = _mapping(src.names, columns)
    if problems:
        raise SchemaError(name, problems, what=_WHAT)
    t = src.table
    how_dates = None
    if "signup_date" in mapping:
        t, how_dates, problems = _signup_dates(t, mapping["signup_date"], date_format)
        if not problems:
            col = t[mapping["signup_date"]]
            bad = _present(col) & t["_clvlib_signup"].isnull()
            if _scalars(t, n=_count(bad))["n"]:
                problems.append(
                    f"column {mapping['signup_date']!r} (signup_date) has dates that cannot be "
                    f"read as {how_dates}: {_rows_where(t, bad, col)}; fix them, or pass "
                    "date_format"
                )
    id_col = t[mapping["customer_id"]]
    as_int, as_text, integral = _customer_ids(id_col)
    if log is not None:
        kind = _kind_of(log)
    elif integral is not None:
        kind = "int" if _scalars(t, ok=integral)["ok"] else "text"
    else:
        kind = "int" if _integral_text_ids(t, id_col) else "text"
    present = _present(id_col)
    fits = present
    if kind == "int":
        id_type = id_col.type()
        if id_type.is_numeric() and not id_type.is_integer():
            value = id_col.cast("float64")
            fits = present & (value % 1 == 0) & (value.abs() < 2**53)
        elif not id_type.is_numeric():
            fits = present & _text(id_col).re_search(_INTEGRAL_TEXT)
        customer = ibis.ifelse(fits, as_int, ibis.null("int64"))
    else:
        customer = as_text
    picked: dict[str, ibis.Value] = {_ROW: t[_ROW], "customer_id": customer}
    if "signup_date" in mapping and not problems:
        picked["signup_date"] = t["_clvlib_signup"]
    if "cac" in mapping:
        col = t[mapping["cac"]]
        cac, bad = _to_number(col, **number)
        # the log's rule: a text file not separated by commas may write thousands with dots
        dots = number["decimal"] == "." and number["thousands"] is None
        dots &= read.get("format") == "text" and not str(read.get("sep", "")).startswith("comma")
        grouped, proven = _dot_grouped(col) if dots and col.type().is_string() else (None, None)
        huge = cac.abs() > _MAX_MONEY
        found = _scalars(
            t,
            bad=_count(bad),
            huge=_count(huge),
            **(
                {"grouped": _count(grouped), "proven": _count(proven)}
                if dots and grouped is not None
                else {}
            ),
        )
        if found["bad"]:
            problems.append(
                f"column {mapping['cac']!r} (cac) has values that are not numbers (decimal "
                f"{number['decimal']!r}): {_rows_where(t, bad, col)}"
            )
        elif found["huge"]:
            problems.append(
                f"column {mapping['cac']!r} (cac) has values too large to be money (above "
                f"{_MAX_MONEY:,.0f} in absolute value): {_rows_where(t, huge, col)}"
            )
        elif found.get("grouped") and not found.get("proven"):
            problems.append(
                f"column {mapping['cac']!r} (cac) has values like '1.500' that could be "
                f"thousands written with a dot (1500) or decimals (1.5): "
                f"{_rows_where(t, grouped, col)}; pass decimal=',' if the dots are thousands "
                "separators, or thousands='' if they are decimal points (1.5)"
            )
        picked["cac"] = cac
    if "channel" in mapping:
        picked["channel"] = _text(t[mapping["channel"]])
    if problems:
        raise SchemaError(name, problems, what=_WHAT)
    code = ibis.ifelse(~present, "no_customer", ibis.ifelse(fits, "kept", "other_id_kind"))
    role_of = {col: role for role, col in mapping.items()}
    out = {_ROW: picked[_ROW], "customer_id": picked["customer_id"]}
    for n in src.names:  # the table's columns in its order
        role = role_of.get(n)
        if role != "customer_id":
            out[role or n] = picked[role] if role else t[n]
    rows = t.select(**out, _code=code, _id_text=as_text)
    frame = engine.to_pyarrow(rows.order_by(_ROW)).to_pandas()
    return _finish(frame, name, sha, read, log, mapping, kind, how_dates)


def _finish(
    frame: pd.DataFrame,
    name: str,
    sha: str,
    read: dict[str, Any],
    log: pd.DataFrame | ibis.Table | None,
    mapping: dict[str, str],
    kind: str,
    how_dates: str | None,
) -> tuple[pd.DataFrame, CustomerAudit]:
    if frame.empty:
        raise SchemaError(
            name,
            ["the table has no rows (a header and no customers): give the file with its rows"],
            what=_WHAT,
        )
    kept = frame[frame["_code"] == "kept"]
    repeated = kept["customer_id"].duplicated(keep=False)
    if repeated.any():
        ids = kept.loc[repeated, "customer_id"].drop_duplicates()
        rows = kept.loc[repeated, _ROW].astype("int64").tolist()
        more = ", ..." if len(rows) > _N_EXAMPLES else ""
        raise SchemaError(
            name,
            [
                f"customer_id repeated: {len(ids)} id(s) on {len(rows)} rows (e.g. "
                f"{ids.head(_N_EXAMPLES).tolist()}), rows {', '.join(map(str, rows[:_N_EXAMPLES]))}"
                f"{more}; the table has one row per customer"
            ],
            what=_WHAT,
        )
    codes = frame["_code"].copy()
    log_customers = log_without_row = None
    if log is not None:
        ids = _log_ids(log)
        in_log = kept["customer_id"].isin(ids)
        codes[kept.index] = ["matched" if m else "not_in_log" for m in in_log]
        log_customers = int(len(ids))
        log_without_row = int((~ids.isin(kept["customer_id"])).sum())
        wrong_kind = frame[frame["_code"] == "other_id_kind"]
        if (len(kept) or len(wrong_kind)) and len(ids) and not in_log.any():
            table_ids = frame.loc[frame["_code"] != "no_customer", "_id_text"]
            note = (
                f"; {len(wrong_kind)} rows have ids that are not integers as the log's are "
                f"(rows {', '.join(map(str, wrong_kind[_ROW].head(_N_EXAMPLES).tolist()))})"
                if len(wrong_kind)
                else ""
            )
            raise SchemaError(
                name,
                [
                    f"no customer_id of the customer table is a customer of the log: the "
                    f"table's ids are e.g. {table_ids.head(3).tolist()}, the log's "
                    f"e.g. {sorted(ids)[:3]}{note}; the two files must write the same "
                    "customer the same way (leading zeros, prefixes, the right file)"
                ],
                what=_WHAT,
            )
    counts = {c: int(n) for c, n in codes.value_counts().items()}
    examples = {
        c: frame.loc[codes == c, _ROW].head(_N_EXAMPLES).astype("int64").tolist() for c in counts
    }
    options = dict(read)
    options["ids"] = "integers" if kind == "int" else "text"
    if how_dates:
        options["dates"] = how_dates
    audit = CustomerAudit(
        source=name,
        sha256=sha,
        counts=counts,
        examples=examples,
        n_input_rows=len(frame),
        columns=dict(mapping),
        options=options,
        log_customers=log_customers,
        log_without_row=log_without_row,
    )
    table = kept.drop(columns=["_code", "_id_text", _ROW]).set_index("customer_id")
    if "signup_date" in table:
        table["signup_date"] = table["signup_date"].astype("datetime64[us]")
    if "cac" in table:
        table["cac"] = table["cac"].astype("float64")
    if kind == "int":
        table.index = table.index.astype("int64")
    return table, audit
