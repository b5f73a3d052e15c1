"""A source column's values read in the engine, as Ibis expressions: text, numbers, dates, ids.

Nothing here decides a row's outcome (:mod:`clvlib.data.classify` does): these helpers say
what a value is, and whether a present value could not be read as its role's type.
"""

from __future__ import annotations

import contextvars
import decimal
import re
import warnings
from collections.abc import Callable
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.operations as ops
import pandas as pd
import pyarrow as pa
from pandas.tseries.api import guess_datetime_format

from clvlib.data import engine, text_engine
from clvlib.data.audit import _MINE, _N_EXAMPLES, _ROW

# A column whose non-empty values are mostly unreadable as its type is the wrong column (a
# schema problem), not a column with a few dirty rows (dropped, or an error when strict).
_MOSTLY_BAD = 0.5


def _n_rows(k: int) -> str:
    return f"{k} row" if k == 1 else f"{k} rows"


def _rows_where(
    table: ibis.Table, condition: ibis.BooleanValue, raw: ibis.Value | None = None
) -> str:
    """'rows 3, 7, 12 (values 'x', 'y', 'z')': the first rows where ``condition`` holds.

    A small ``order_by(row).limit`` query: for the messages of the error path only.
    """
    picked = {"_r": table[_ROW], "_c": condition}
    if raw is not None:
        picked["_v"] = raw
    query = table.select(**picked).filter(ibis._["_c"]).order_by("_r").limit(_N_EXAMPLES + 1)
    found = engine.to_pyarrow(query).to_pylist()
    text = "rows " + ", ".join(str(r["_r"]) for r in found[:_N_EXAMPLES])
    if raw is not None:
        text += " (values " + ", ".join(repr(r["_v"]) for r in found[:_N_EXAMPLES]) + ")"
    if len(found) > _N_EXAMPLES:
        text += ", ..."
    return text


def _count(condition: ibis.BooleanValue) -> ibis.IntegerScalar:
    """Rows where ``condition`` holds (NULL does not)."""
    return ibis.ifelse(condition.fill_null(False), 1, 0).sum().fill_null(0)


def _scalars(table: ibis.Table, **metrics: ibis.Scalar) -> dict[str, Any]:
    """One aggregate query over ``table``: name -> Python value.

    DuckDB's integer sums (HUGEINT) come back as Decimal: they are ints here.
    """
    found = engine.to_pyarrow(table.aggregate(**metrics)).to_pylist()[0]
    return {k: int(v) if isinstance(v, decimal.Decimal) else v for k, v in found.items()}


# Source text columns the checks found no value with surrounding whitespace in: stripping
# them is a no-op, left out of the expressions built afterwards (set while a load runs).
_UNPADDED: contextvars.ContextVar[frozenset[str]] = contextvars.ContextVar(
    "_UNPADDED", default=frozenset()
)


# Characters a spreadsheet or a web form leaves around a value that no reader sees:
# no-break and narrow spaces, zero-width spaces and joiners, the byte-order mark.
_INVISIBLE = (0xA0, 0x2007, 0x202F, 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF)
_STRIPPED = r"[\s\x{00A0}\x{2007}\x{202F}\x{200B}-\x{200D}\x{2060}\x{FEFF}]+"


def _padded(text: ibis.StringValue) -> ibis.BooleanValue:
    """Whether the text starts or ends with whitespace, a control or an invisible character."""
    first, last = text.ascii_str(), text.right(1).ascii_str()
    # a list's contains, not isin: DuckDB makes each IN list of a projection a join (28 joins
    # passing every column along cost 2 s of the 3 s that reading UCI's CSV numbers took)
    invisible = ibis.literal(list(_INVISIBLE), type="array<int32>")
    return (first <= 32) | (last <= 32) | invisible.contains(first) | invisible.contains(last)


def _strip(text: ibis.StringValue) -> ibis.StringValue:
    """``text`` without leading and trailing whitespace and invisible characters.

    So that ``42`` followed by a no-break space, or after a byte-order mark, is customer
    ``42``, not another customer.

    The engine's trim of a set of characters is several times slower than a look at the
    first and last character, and most values have nothing to strip; a source column whose
    values have none at all (``_UNPADDED``) is taken as it is.
    """
    op = text.op()
    if isinstance(op, ops.Field) and op.name in _UNPADDED.get():
        return text
    stripped = text.re_replace(f"^{_STRIPPED}|{_STRIPPED}$", "")
    return ibis.ifelse(_padded(text), stripped, text)


def _text(col: ibis.Value) -> ibis.StringValue:
    """The values as stripped text, NULL where missing or blank."""
    text = _strip(col.cast("string"))
    return ibis.ifelse(text == "", ibis.null("string"), text)


def _present(col: ibis.Value) -> ibis.BooleanValue:
    """Not missing (NULL, or NaN as in pandas) and, for text, not blank."""
    kind = col.type()
    if kind.is_string():
        return col.notnull() & (_strip(col) != "")
    if kind.is_floating():
        return col.notnull() & ~col.isnan()
    return col.notnull()


def _finite(value: ibis.FloatingValue) -> ibis.FloatingValue:
    return ibis.ifelse(value.isnan() | value.isinf(), ibis.null("float64"), value)


# Thousands separators a number may be written with (``thousands=``); a space is also the
# no-break spaces that spreadsheets write between groups.
THOUSANDS = (",", ".", " ", "'")
_SPACES = "[ \u00a0\u202f]"


def thousands_problems(thousands: Any, decimal: Any) -> list[str]:
    """What is wrong with ``thousands`` beside ``decimal`` (nothing: an empty list)."""
    if thousands is None or thousands == "":
        return []
    if not isinstance(thousands, str) or thousands not in THOUSANDS:
        return [
            "thousands must be ',' (1,234.50), '.' (1.234,50), ' ' (1 234,50), \"'\" "
            f"(1'234.50), '' for none, or None to read it from the values; got {thousands!r}"
        ]
    if thousands == decimal:
        return [f"thousands and decimal are both {thousands!r}: a number would read two ways"]
    return []


def _grouped(decimal: str, thousands: str) -> str:
    """A number with ``thousands`` before each group of three digits and ``decimal``."""
    sep = _SPACES if thousands == " " else re.escape(thousands)
    mark = re.escape(decimal)
    return rf"^[+-]?(?:\d+|\d{{1,3}}(?:{sep}\d{{3}})+)?(?:{mark}\d+)?(?:[eE][+-]?\d+)?$"


def _to_number(
    col: ibis.Value, decimal: str = ".", thousands: str | None = None
) -> tuple[ibis.Value, ibis.BooleanValue]:
    """Float64 values and whether a present value is not a finite number.

    Text is read by one convention: ``decimal`` and ``thousands`` (each separator before a
    group of three digits). ``thousands=None`` is '.' with ``decimal=","`` ("1.234,50" is
    1234.5, "12.50" no number: its dot is no thousands separator) and none with the decimal
    point; ``""`` is none ("1.500" is 1.5 even where it could be 1500).
    """
    kind = col.type()
    if kind.is_boolean():  # True / False is no quantity nor money: every value unreadable
        return ibis.ifelse(col.isnull(), ibis.null("float64"), ibis.null("float64")), col.notnull()
    if kind.is_integer():  # always finite
        values = col.cast("float64")
    elif kind.is_numeric():
        values = _finite(col.cast("float64"))
    else:
        text = _strip(col.cast("string"))
        if thousands is None:
            thousands = "." if decimal == "," else ""
        if thousands or decimal != ".":
            sep = _SPACES if thousands == " " else re.escape(thousands)
            read = text.re_replace(sep, "") if thousands else text
            read = read.replace(decimal, ".")
            pattern = _grouped(decimal, thousands) if thousands else None
            if pattern is None:
                pattern = rf"^[+-]?\d*(?:{re.escape(decimal)}\d+)?(?:[eE][+-]?\d+)?$"
            text = ibis.ifelse(text.re_search(pattern), read, ibis.null("string"))
        # the engine would read "1_000" as 1000: a separator no convention here allows
        text = ibis.ifelse(text.contains("_"), ibis.null("string"), text)
        values = _finite(text.try_cast("float64"))
    return values, _present(col) & values.isnull()


# One reading of a number column. A present value with a digit that the column's convention
# does not read ("1,234.50", "$12.50", "12 EUR", "1 234,50", "12,50" with decimal ".") is a
# number written another way: refused with its rows, never dropped as if it were no number.
_DIGIT = r"\p{Nd}"  # a digit of any script ("١٢", "１２" are numbers, not blanks)
# With decimal ".", "1.500" is 1.5, or 1500 written with a thousands dot (a file separated by
# semicolons or tabs often comes from a decimal-comma locale). A dot no thousands separator
# can be ("12.5", "0.125", "1234.500") proves the column dot-decimal; without such a value, a
# column with thousands-like values is refused.
_DOT_GROUPED = r"^[+-]?[1-9]\d{0,2}\.\d{3}$"


def _spelled_otherwise(col: ibis.Value, bad: ibis.BooleanValue) -> ibis.BooleanValue:
    """Rows of a text column whose value was not read as a number but holds a digit."""
    return ibis.ifelse(bad, col.re_search(_DIGIT), False)


def _dot_grouped(col: ibis.Value) -> tuple[ibis.BooleanValue, ibis.BooleanValue]:
    """Text values like thousands with a dot ('1.500'), and values a dot proves decimal."""
    text = _strip(col)
    grouped = text.re_search(_DOT_GROUPED)
    proven = text.contains(".") & ~grouped & text.try_cast("float64").notnull()
    return grouped, proven


_ISO_TEXT = r"\d{4}-\d{1,2}-\d{1,2}(?:[T ].*)?"
_COMPACT_TEXT = r"(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
_NUMERIC_DATE = r"^(\d{1,2})([/.\-])(\d{1,2})\2(\d{2}|\d{4})(?:[T ,]+(.*))?$"
_OFFSET = r"(?:Z|[+-]\d{2}:?\d{2})$"
_TIME_ONLY = r"\s*\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:[AaPp]\.?[Mm]\.?)?\s*"
_MONTH_NAME = r"[A-Za-z]{3,}"
# Earlier timestamps are no purchase of an order log but a placeholder ("0001-01-01", Excel's
# day 0) or a misread: they are dropped as bad timestamps, never kept.
_FLOOR = text_engine.FLOOR
_YEAR_FIRST = "year-first"


def _read_dates(
    values: pd.Series,
    weights: pd.Series,
    date_format: str | None,
    column: str,
    example: Callable[[pd.Series], str],
) -> tuple[pd.Series, str, list[str]]:
    """Naive datetime64[us] of each DISTINCT text date, how they were read, and problems.

    ``values`` are the column's distinct present values (stripped, in the order of their
    first row), ``weights`` their rows; ``example(subset)`` names the first rows holding one
    of ``subset``. One convention per column: ISO 8601, YYYYMMDD, or numeric dates with day
    and month whose order the values prove (a day above 12 in one position and never in the
    other). A column that mixes conventions, or whose every day is 12 or less, is a problem
    asking for ``date_format``. Times with UTC offsets are read as written, the offset dropped
    (:func:`_as_written`); offsets on some rows only are a problem.
    """
    values = pd.Series(values, dtype=object).reset_index(drop=True)
    weights = pd.Series(weights, dtype="int64").reset_index(drop=True)
    none = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]")
    if date_format is not None:
        how = f"date_format {date_format!r}"
        utc = "%z" in date_format
        ts = pd.to_datetime(values, format=date_format, errors="coerce", utc=utc)
        if utc:
            ts, where = _as_written(ts, values, weights)
            how += where
        return ts.astype("datetime64[us]"), how, []

    iso = values.str.fullmatch(_ISO_TEXT).fillna(False).astype(bool)
    compact = values.str.fullmatch(_COMPACT_TEXT).fillna(False).astype(bool)
    parts = values.str.extract(_NUMERIC_DATE)
    numeric = parts[0].notna()
    styles = {"ISO 8601": iso, "YYYYMMDD": compact, "dd/mm or mm/dd": numeric}
    found = [k for k, m in styles.items() if m.any()]
    if len(found) > 1:
        listing = "; ".join(f"{k}: {example(values[styles[k]])}" for k in found)
        return (
            none,
            "",
            [
                f"column {column!r} (timestamp) mixes date conventions ({listing}); one column "
                "must use one convention: fix the file, or pass date_format to read one of them"
            ],
        )
    problems: list[str] = []
    utc = False
    if not found:
        if (clock := values.str.fullmatch(_TIME_ONLY).fillna(False).astype(bool)).any():
            return (
                none,
                "",
                [
                    f"column {column!r} (timestamp) has times without a date "
                    f"({example(values[clock])}): a purchase needs its day; give the column "
                    "with the dates (or the date and time)"
                ],
            )
        fmt = next(
            (f for v in values.head(20) if (f := guess_datetime_format(v)) is not None), None
        )
        if values.str.contains(_MONTH_NAME).fillna(False).all():
            fmt = None  # month names are unambiguous: each value read as it is spelled
        fmt, how = fmt or "mixed", f"text dates ({fmt or 'mixed formats'})"
    elif found[0] == "ISO 8601":
        fmt, how = "ISO8601", "ISO 8601"
        middle = values[iso].str.extract(r"^\d{4}-(\d{1,2})-(\d{1,2})").astype(int)
        if (swapped := middle[0] > 12).any():
            # YYYY-DD-MM would keep its days up to 12 swapped and drop the others
            how_else = (
                "if the column is YYYY-DD-MM throughout, pass date_format='%Y-%d-%m'"
                if (middle[1] <= 12).all()
                else "fix the file"
            )
            problems.append(
                f"column {column!r} (timestamp) has dates whose month would be above 12 "
                f"({example(values[iso][swapped])}): it is not YYYY-MM-DD (ISO 8601); " + how_else
            )
        offsets = values[iso].str.contains(_OFFSET)
        if offsets.all():
            utc = True
        elif offsets.any():
            with_offset = values.isin(values[iso][offsets])
            problems.append(
                f"column {column!r} (timestamp) has UTC offsets on some rows only "
                f"({example(values[with_offset])}) and none on others "
                f"({example(values[~with_offset])}): the times cannot be put in one zone"
            )
    elif found[0] == "YYYYMMDD":
        fmt, how = "%Y%m%d", "YYYYMMDD"
    else:
        first = pd.to_numeric(parts[0]) > 12
        second = pd.to_numeric(parts[2]) > 12
        sep, years = parts[1][numeric].iloc[0], parts[3].str.len().max()
        day_first, month_first = first.any(), second.any()
        orders = _two_digit_year_orders(parts[numeric], sep)
        if _YEAR_FIRST in orders and len(orders) > 1:
            a = values[numeric].iloc[0]
            problems.append(
                f"column {column!r} (timestamp): with two-digit years the values prove no "
                f"order of year, month and day ({example(values[numeric])}): {a!r} could be "
                + " or ".join(f"{k} ({f})" for k, f in orders.items())
                + "; pass date_format, e.g. "
                + " or ".join(repr(f) for f in orders.values())
                + ", with the time if there is one (e.g. ' %H:%M')"
            )
            fmt = how = ""
        elif _YEAR_FIRST in orders and parts[4][numeric].notna().any():
            problems.append(
                f"column {column!r} (timestamp): year-first dates with two-digit years and "
                f"times ({example(values[numeric])}); pass date_format, e.g. "
                f"'{orders[_YEAR_FIRST]} %H:%M'"
            )
            fmt = how = ""
        elif _YEAR_FIRST in orders:
            fmt = orders[_YEAR_FIRST]
            how = f"{_YEAR_FIRST} ({fmt})"
        elif day_first and month_first:
            problems.append(
                f"column {column!r} (timestamp) mixes day-first dates "
                f"({example(values[first])}) and month-first dates "
                f"({example(values[second])}); fix the file, or pass "
                "date_format to read one convention (the other rows are then dropped)"
            )
            fmt = how = ""
        elif not day_first and not month_first:
            a = values[numeric].iloc[0]
            problems.append(
                f"column {column!r} (timestamp): every day and month is 12 or less, so "
                f"{a!r} could be day-first or month-first; pass "
                f"date_format='%d{sep}%m{sep}%Y' (day first) or '%m{sep}%d{sep}%Y' (month "
                "first), with the time if there is one (e.g. ' %H:%M')"
            )
            fmt = how = ""
        else:
            guessed = guess_datetime_format(values[numeric].iloc[0], dayfirst=bool(day_first))
            fmt = guessed or "mixed"
            how = ("day-first" if day_first else "month-first") + f" ({fmt})"
            if years == 2 and guessed is None:
                fmt = "mixed"
    if problems:
        return none, "", problems
    dayfirst = how.startswith("day-first")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "could not infer format" on 'mixed'
        ts = pd.to_datetime(values, format=fmt, errors="coerce", utc=utc, dayfirst=dayfirst)
        failed = ts.isna()
        n_failed = int(weights[failed].sum())
        retry = fmt not in ("mixed", "ISO8601") and not how.startswith(_YEAR_FIRST)
        if retry and 0 < n_failed <= _MOSTLY_BAD * weights.sum():
            # same convention, other spelling (seconds, no time...): read one by one
            retried = pd.to_datetime(
                values[failed], format="mixed", errors="coerce", utc=utc, dayfirst=dayfirst
            )
            ts = ts.astype("datetime64[us, UTC]" if utc else "datetime64[us]")
            ts[failed] = retried.astype(ts.dtype)
    if utc:
        ts, where = _as_written(ts, values, weights)
        how += where
    elif getattr(ts.dt, "tz", None) is not None:
        ts = ts.dt.tz_localize(None)
    if found and found[0] == "dd/mm or mm/dd" and (short := parts[3].str.len().eq(2)).any():
        # a two-digit year is of the century that keeps it out of the years to come ('75 is
        # 1975, not 2075); one of this year stays (a day after loading is counted as future)
        ahead = short & (ts.dt.year > pd.Timestamp.now().year)
        if ahead.any():
            ts = ts.where(~ahead, ts - pd.DateOffset(years=100))
            how += ", two-digit years in the past century where the next would be future"
    return ts.astype("datetime64[us]"), how, []


def _as_written(
    ts: pd.Series, values: pd.Series, weights: pd.Series | None = None
) -> tuple[pd.Series, str]:
    """UTC instants as the wall-clock time each value was written in (its offset dropped).

    The one time-zone rule of the loader: a time is read as the clock showed it where the
    order was recorded. Text with UTC offsets keeps the time written before the offset
    (``2024-07-01T23:30-04:00`` is 23:30 on 1 July, whatever the other rows' offsets: a shop
    on summer time), as a zone-aware column keeps the wall-clock time of its zone, so the same
    order lands on the same day from every format. A time written in UTC (``Z``) among times
    written with the shop's offsets is no clock of the shop but the instant: it is put on the
    clock most rows (``weights``) are written in. Returns the naive times and how they were
    read (for the audit).
    """
    parts = values.astype("str").str.extract(r"(?:Z|([+-])(\d{2}):?(\d{2}))$")
    minutes = parts[1].astype(float).fillna(0) * 60 + parts[2].astype(float).fillna(0)
    minutes = minutes.where(parts[0] != "-", -minutes)
    written = (parts[0].fillna("+") + parts[1].fillna("00") + ":" + parts[2].fillna("00")).unique()
    how = f", times as written (offsets {', '.join(sorted(written))} dropped)"
    zulu, local = parts[0].isna(), parts[0].notna()
    if zulu.any() and local.any():
        rows = (weights if weights is not None else pd.Series(1, index=values.index)).to_numpy()
        common = pd.Series(rows[local.to_numpy()], index=minutes[local].to_numpy())
        clock = common.groupby(level=0, sort=False).sum().idxmax()
        minutes = minutes.where(~zulu, clock)
        hours, mins = divmod(int(abs(clock)), 60)
        offset = f"{'-' if clock < 0 else '+'}{hours:02d}:{mins:02d}"
        how += f"; UTC times ('Z') put on the UTC{offset} clock most rows use"
    ts = ts.dt.tz_localize(None) + pd.to_timedelta(minutes.to_numpy(), unit="min")
    return ts, how


def _two_digit_year_orders(parts: pd.DataFrame, sep: str) -> dict[str, str]:
    """With two-digit years, the orders of day, month and year the values allow: name -> format.

    Only when some year has two digits (else the year is last, 4 digits); year-first only when
    every year does. Empty when no year has two digits.
    """
    if not parts[3].str.len().eq(2).any():
        return {}
    n1, n2, n3 = (pd.to_numeric(parts[i]) for i in (0, 2, 3))
    allowed = {
        "day-first": (f"%d{sep}%m{sep}%y", (n1 <= 31).all() and (n2 <= 12).all()),
        "month-first": (f"%m{sep}%d{sep}%y", (n1 <= 12).all() and (n2 <= 31).all()),
        _YEAR_FIRST: (
            f"%y{sep}%m{sep}%d",
            parts[3].str.len().eq(2).all() and (n2 <= 12).all() and n3.between(1, 31).all(),
        ),
    }
    return {name: fmt for name, (fmt, ok) in allowed.items() if ok}


@ibis.udf.scalar.builtin(name="timezone")
def _in_zone(zone: str, ts: dt.Timestamp(timezone="UTC")) -> dt.timestamp:  # type: ignore[empty-body]
    """DuckDB's ``timezone(zone, timestamptz)``: the naive wall-clock time in ``zone``."""


def _wall_clock(col: ibis.Value, zone: str) -> ibis.Value:
    """A zone-aware time column as the wall-clock time in its zone (the one time-zone rule).

    The engine's own cast would give the time in its session's zone (UTC), so that an order
    at 23:30 in New York would land on the next day.
    """
    if (shift := engine.offset_minutes(zone)) is not None:
        return _in_zone("UTC", col) + ibis.interval(minutes=shift)
    return _in_zone(zone, col)


def _timestamps(
    table: ibis.Table, column: str, date_format: str | None
) -> tuple[ibis.Table, str, list[str]]:
    """The table with the timestamps read (a column ``_clvlib_ts``), how, and problems.

    Date-time columns are taken as they are (wall-clock time); dates are midnight. Text (and
    YYYYMMDD integers) is read by the convention its DISTINCT values show, and the dictionary
    of those values joined back in the engine: every line is parsed once per distinct value.
    """
    col = table[column]
    kind = col.type()
    name = f"{_MINE}ts"
    if kind.is_timestamp() or kind.is_date():
        how = "date-time column"
        zone = getattr(kind, "timezone", None)
        if zone and engine.is_embedded(engine.backend_of(table)):
            ts, how = _wall_clock(col, zone), f"date-time column, wall-clock time in {zone}"
        else:
            ts = col.cast("timestamp")
        ts = ibis.ifelse(ts < engine.timestamp(_FLOOR), ibis.null("timestamp"), ts)
        return table.mutate(**{name: ts}), how, []
    if kind.is_numeric() and not kind.is_boolean():
        number = col.cast("float64")
        integral = _present(col) & (number % 1 == 0)
        # a present number that is not integral is no YYYYMMDD: marked so that it fails
        text = ibis.ifelse(integral, number.cast("int64").cast("string"), ".")
        text = ibis.ifelse(_present(col), text, ibis.null("string"))
    else:
        text = _text(col)
        if date_format is None and _ENGINE_DATES and engine.is_embedded(engine.backend_of(table)):
            if (read := _engine_dates(table, text, column)) is not None:
                return read
    key = f"{_MINE}ts_text"
    keyed = table.mutate(**{key: text})
    found = _distinct_dates(keyed, key)
    values = found[key].astype(object)

    def example(subset: pd.Series) -> str:
        return _rows_where(keyed, keyed[key].isin(list(subset)), keyed[key])

    if kind.is_numeric() and not kind.is_boolean():
        if values.empty or not values.str.fullmatch(_COMPACT_TEXT).all():
            # epoch seconds or Excel serials: the user converts them first
            return keyed.mutate(**{name: ibis.null("timestamp")}), "numbers, not dates", []
    parsed, how, problems = _read_dates(values, found["_n"], date_format, column, example)
    if problems:
        return keyed.mutate(**{name: ibis.null("timestamp")}), "", problems
    ok = (parsed.notna() & (parsed >= _FLOOR)).to_numpy()
    joined = _join_dictionary(
        table,
        text,
        pa.array(values[ok].tolist(), type=pa.string()),
        name,
        pa.array(parsed[ok].to_numpy(), type=pa.timestamp("us")),
    )
    return joined, how, []


#: Whether plain ISO 8601 text dates are cast by the engine (:func:`_engine_dates`); the tests
#: turn it off to compare with the Python path.
_ENGINE_DATES = True


def _distinct_dates(keyed: ibis.Table, key: str, where: ibis.BooleanValue | None = None):
    """The distinct present values of ``keyed[key]`` where ``where`` holds, as a DataFrame.

    In the order of their first row, with their rows (``_n``) and first row (``_first``).
    """
    kept = keyed[key].notnull() if where is None else keyed[key].notnull() & where
    distinct = (
        keyed.filter(kept)
        .group_by(key)
        .aggregate(_n=ibis._.count(), _first=keyed[_ROW].min())
        .order_by("_first")
    )
    return engine.to_pyarrow(distinct).to_pandas()


def _engine_dates(
    table: ibis.Table, text: ibis.StringValue, column: str
) -> tuple[ibis.Table, str, list[str]] | None:
    """The timestamps of a text column read by the engine, as :func:`_read_dates` reads them.

    For a column of plain ISO 8601 dates (:data:`~clvlib.data.text_engine.PLAIN_ISO`), the
    convention the Python path then finds: each value is cast where it lies, instead of its
    distinct values being sent to Python and joined back. Values written otherwise ('N/A', a
    time with an offset, '2024-1-2') are few or the column is not plain: their distinct values
    go through :func:`_read_dates` with one plain value standing for the others, which finds
    the same convention as from every value unless they are a problem (mixed conventions,
    offsets on some rows only, a month above 12); then, as for a column with no plain value,
    a late year (:data:`~clvlib.data.text_engine.LATE_YEAR`), or a convention other than
    plain ISO, None: the Python path reads the whole column, and says what is wrong.
    """
    counts = _scalars(table, **text_engine.iso_counts(text))
    if counts["plain"] == 0 or counts["late"]:
        return None
    name = f"{_MINE}ts"
    if counts["plain"] == counts["present"]:
        return table.mutate(**{name: text_engine.iso_timestamps(text)}), "ISO 8601", []
    key = f"{_MINE}ts_text"
    keyed = table.mutate(**{key: text})
    plain = text_engine.is_plain_iso(keyed[key])
    others = _distinct_dates(keyed, key, ~plain)
    stand_in = pd.Series(["2000-01-01"], dtype=object)  # plain: ISO 8601, read by the engine
    values = pd.concat([others[key].astype(object), stand_in], ignore_index=True)
    weights = pd.concat([others["_n"], pd.Series([1])], ignore_index=True)
    parsed, how, problems = _read_dates(values, weights, None, column, lambda _: "")
    if problems or how != "ISO 8601":
        return None  # the Python path, on every value, says what is wrong
    parsed = parsed.iloc[:-1]
    ok = (parsed.notna() & (parsed >= _FLOOR)).to_numpy()
    read = parsed.where(pd.Series(ok, index=parsed.index))
    hit = f"{_MINE}ts_hit"
    dictionary = ibis.memtable(
        pa.table(
            {
                f"{key}_d": pa.array(others[key].tolist(), type=pa.string()),
                f"{name}_d": pa.array(read, type=pa.timestamp("us"), from_pandas=True),
                hit: pa.array([True] * len(others), type=pa.bool_()),
            }
        )
    )
    joined = keyed.left_join(dictionary, keyed[key] == dictionary[f"{key}_d"])
    iso = text_engine.iso_timestamps(joined[key])
    ts = ibis.ifelse(joined[hit].notnull(), joined[f"{name}_d"], iso)
    joined = joined.mutate(**{name: ts}).drop(key, f"{key}_d", f"{name}_d", hit)
    return joined, how, []


# Integral ids as text: no leading zeros (they may matter), fits int64, UCI's "17850.0" allowed.
_INTEGRAL_TEXT = r"^-?(?:0|[1-9]\d{0,17})(?:\.0*)?$"


def _customer_ids(col: ibis.Value) -> tuple[ibis.Value, ibis.Value, ibis.BooleanValue | None]:
    """Customer ids as int64, as text, and the aggregate saying whether every id is integral.

    UCI Online Retail stores 17850 as 17850.0: such ids become integers. Text ids with
    leading zeros ("00123") stay text, since the zeros may matter.
    """
    kind = col.type()
    present = _present(col)
    if kind.is_integer():
        return col.cast("int64"), col.cast("string"), ibis.literal(True)
    if kind.is_floating() or kind.is_decimal():
        number = col.cast("float64")
        odd = present & ((number % 1 != 0) | (number.abs() >= 2**53))
        return number.cast("int64"), col.cast("string"), _count(odd) == 0
    text = _text(col)
    dot = text.find(".")
    as_int = ibis.ifelse(dot >= 0, text.substr(0, dot), text).cast("int64")
    # for text, whether every id is integral is decided on the distinct ids (None here)
    return as_int, text.re_replace(r"^(\d+)\.0+$", r"\1"), None


def _integral_text_ids(table: ibis.Table, col: ibis.Value) -> bool:
    """Whether every distinct present text id is an integer (``_INTEGRAL_TEXT``)."""
    ids = _text(col)
    distinct = engine.to_pyarrow(table.select(_id=ids).filter(ibis._._id.notnull()).distinct())
    pattern = re.compile(_INTEGRAL_TEXT, re.ASCII)
    return all(pattern.fullmatch(v) for v in distinct["_id"].to_pylist())


def _order_ids(col: ibis.Value, from_objects: bool) -> tuple[ibis.Value, ibis.BooleanValue]:
    """Order ids: text (stripped; missing stays missing), or numbers for numeric columns.

    The aggregate says whether every number is integral (then printed without '.0'). Text
    made from Python objects loses a '.0' too (a float printed).
    """
    kind = col.type()
    present = _present(col)
    if kind.is_numeric() and not kind.is_boolean():
        number = col.cast("float64")
        integral = _count(present & (number % 1 != 0)) == 0
        return number, integral
    text = _text(col)
    if from_objects:
        text = text.re_replace(r"^(\d+)\.0+$", r"\1")
    return text, ibis.literal(True)


def _join_dictionary(
    t: ibis.Table, key: ibis.Value, keys: pa.Array, name: str, values: pa.Array
) -> ibis.Table:
    """``t`` with a column ``name``: ``values`` where ``key`` is in ``keys``, else NULL."""
    dictionary = ibis.memtable(pa.table({f"{name}_key": keys, name: values}))
    keyed = t.mutate(**{f"{name}_on": key})
    joined = keyed.left_join(dictionary, keyed[f"{name}_on"] == dictionary[f"{name}_key"])
    return joined.drop(f"{name}_on", f"{name}_key")
