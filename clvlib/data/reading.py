"""Load a transaction log into the clean schema, with an audit of every input row.

:func:`load_transactions` reads CSV, Parquet, Excel or a DataFrame, maps the source's column
names to the roles of the clean log (``docs/architecture.md``), and returns the clean log ``tx``
together with a :class:`LoadAudit` that says what happened to each input row: *kept* (a
purchase line), *netted* (a return or cancellation, kept in ``tx`` with a negative amount) or
*dropped* for one stated reason. Counts and values of the audit add up to the input's.

Schema problems (missing columns, columns of the wrong type, empty input) are collected and
raised together as one :class:`SchemaError`, in the spirit of pandera's lazy validation.

Outcomes, in order of precedence (a row gets the first that applies; ``LoadAudit.flags`` keeps
every check that applies):

==========================  =======  =========================================================
code                        outcome  when
==========================  =======  =========================================================
``no_customer``             dropped  customer id missing or blank
``bad_timestamp``           dropped  timestamp missing or unparseable
``bad_value``               dropped  line value missing or unparseable (amount, or quantity or
                                     unit price when the value is quantity x unit price)
``after_observation_end``   dropped  timestamp after the whole day of ``observation_end``
``future``                  dropped  timestamp after the day of loading (e.g. 2099)
``non_product``             dropped  ``product_id`` in ``non_product_codes`` (postage, fees...)
``duplicate``               dropped  identical, in every source column, to an earlier row
                                     (by default only when there is an order id)
``non_positive_price``      dropped  unit price zero or negative
``zero_value``              dropped  quantity zero (a $0 amount is a purchase: it counts for
                                     frequency and adds no value)
``return``                  netted   negative quantity or value, or order id starting with
                                     ``cancellation_prefix``
``identical``               kept     identical to an earlier row in a log without order id:
                                     a separate purchase (CDNOW), counted so it can be checked
``kept``                    kept     everything else: a purchase line
==========================  =======  =========================================================

Row numbers are 0-based positions of the data rows in the source (row 0 is the first line
after a CSV header, i.e. file line 2); ``tx`` keeps them as its index (``row``) so that every
clean line can be traced back.
"""

from __future__ import annotations

import contextvars
import csv
import decimal
import difflib
import functools
import hashlib
import html
import operator
import re
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.operations as ops
import numpy as np
import pandas as pd
import pyarrow as pa
from pandas.api.types import (
    is_datetime64_any_dtype,
)
from pandas.tseries.api import guess_datetime_format

from clvlib.data import engine
from clvlib.data.dates import cutoff_day, day_after

__all__ = [
    "ONLINE_RETAIL_NON_PRODUCT",
    "REASONS",
    "ROLES",
    "LoadAudit",
    "SchemaError",
    "load_online_retail",
    "load_transactions",
    "to_frame",
]

ROLES: tuple[str, ...] = (
    "customer_id",
    "timestamp",
    "order_id",
    "quantity",
    "unit_price",
    "amount",
    "cost",
    "unit_cost",
    "margin",
    "channel",
    "country",
    "discounted",
    "product_id",
)
_NUMERIC_ROLES = ("quantity", "unit_price", "amount", "cost", "unit_cost", "margin")
_PASS_THROUGH = ("channel", "country", "discounted", "product_id")
_ID_ROLES = ("customer_id", "order_id", "product_id")

# Other names a role often goes by: used only to suggest a column in error messages, never to
# map one silently (a wrong guess would load wrong numbers without a word).
_ALIASES: dict[str, tuple[str, ...]] = {
    "customer_id": ("customer", "customerid", "client", "clientid", "userid", "custid", "buyer"),
    "timestamp": ("date", "datetime", "time", "invoicedate", "orderdate", "purchasedate"),
    "order_id": ("order", "orderid", "invoice", "invoiceno", "transaction", "transactionid"),
    "quantity": ("qty", "units", "quantity", "count"),
    "unit_price": ("price", "unitprice", "priceeach"),
    "amount": ("amount", "value", "revenue", "sales", "total", "linetotal"),
    "product_id": ("product", "sku", "item", "stockcode", "article"),
}

# code -> (outcome, description). The order is the precedence: a row gets the first code whose
# check applies, "kept" when none does.
REASONS: dict[str, tuple[str, str]] = {
    "no_customer": ("dropped", "no customer id"),
    "bad_timestamp": ("dropped", "missing or unparseable timestamp"),
    "bad_value": ("dropped", "missing or unparseable value"),
    "after_observation_end": ("dropped", "after observation_end"),
    "future": ("dropped", "dated after the day it was loaded"),
    "non_product": ("dropped", "non-product line (postage, fees, adjustments)"),
    "duplicate": ("dropped", "exact duplicate of an earlier line"),
    "non_positive_price": ("dropped", "unit price zero or negative"),
    "zero_value": ("dropped", "zero quantity or amount"),
    "return": ("netted", "return or cancellation (negative amount)"),
    "identical": ("kept", "identical rows kept (separate purchases: no order id)"),
    "kept": ("kept", "purchase line"),
}
_CHECKS = tuple(REASONS)[:-1]  # every code but "kept"
_KEPT = tuple(c for c, (outcome, _) in REASONS.items() if outcome != "dropped")
_TABLE_ORDER = ("kept", "identical", "return", *(c for c in _CHECKS if c not in _KEPT))
# Larger line values are not money but a broken file (or a unit mix-up): they are refused.
_MAX_VALUE = 1e12

# A column whose non-empty values are mostly unreadable as its type is the wrong column (a
# schema problem), not a column with a few dirty rows (dropped, or an error when strict).
_MOSTLY_BAD = 0.5
_N_EXAMPLES = 5

# UCI Online Retail (I and II): stock codes that are charges, fees or bookkeeping, not goods.
# Found by listing the codes that are not 5 digits (+ letter) and the descriptions of words
# like postage, carriage, charge, fee, adjust, voucher in online_retail.parquet (I). The
# DCGS* codes are real goods sold through the dotcom/eBay shop and stay products. The last four
# (ADJUST, ADJUST2, TEST001, TEST002) occur in Online Retail II only (not checked here).
ONLINE_RETAIL_NON_PRODUCT: tuple[str, ...] = (
    "POST",  # POSTAGE
    "DOT",  # DOTCOM POSTAGE
    "C2",  # CARRIAGE
    "23444",  # Next Day Carriage
    "23574",  # PACKING CHARGE
    "M",  # Manual (manual price corrections; 'm' once, codes match case-insensitively)
    "D",  # Discount
    "S",  # SAMPLES
    "B",  # Adjust bad debt
    "BANK CHARGES",  # Bank Charges
    "AMAZONFEE",  # AMAZON FEE
    "CRUK",  # CRUK Commission
    "PADS",  # PADS TO MATCH ALL CUSHIONS (price 0.001 placeholder)
    "gift_0001_10",  # Dotcomgiftshop Gift Voucher (a voucher sale is not a product sale)
    "gift_0001_20",
    "gift_0001_30",
    "gift_0001_40",
    "gift_0001_50",
    "ADJUST",  # Online Retail II: adjustments
    "ADJUST2",
    "TEST001",  # Online Retail II: test lines
    "TEST002",
)

# Column names of the two UCI releases; the variant is recognised from the header.
_ONLINE_RETAIL_VARIANTS: dict[str, dict[str, str]] = {
    "Online Retail": {
        "order_id": "InvoiceNo",
        "product_id": "StockCode",
        "quantity": "Quantity",
        "timestamp": "InvoiceDate",
        "unit_price": "UnitPrice",
        "customer_id": "CustomerID",
        "country": "Country",
    },
    "Online Retail II": {
        "order_id": "Invoice",
        "product_id": "StockCode",
        "quantity": "Quantity",
        "timestamp": "InvoiceDate",
        "unit_price": "Price",
        "customer_id": "Customer ID",
        "country": "Country",
    },
}


class SchemaError(ValueError):
    """The input cannot be read as a transaction log; ``problems`` lists every reason.

    Attributes
    ----------
    source : str
        The file (or the name given to a DataFrame) at fault.
    problems : list of str
        One sentence per problem, each naming the column and, where it applies, the rows.
    """

    def __init__(self, source: str, problems: Iterable[str]):
        self.source = source
        self.problems = list(problems)
        lines = [f"{source}: {len(self.problems)} problem(s) reading the transaction log:"]
        lines += [f"  - {p}" for p in self.problems]
        if any(re.search(r"\brows \d", p) for p in self.problems):
            lines.append("  (rows are 0-based data rows: row 0 is the first line after the header)")
        super().__init__("\n".join(lines))


class LoadAudit:
    """What :func:`load_transactions` did with every input row.

    The counts, values and examples per reason (``table()``, ``examples()``, ``to_dict()``)
    are computed in the engine at load, in one aggregate query. The per-row attributes
    (``outcomes``, ``flags``, ``values``, ``unparsed``) are computed from the engine on first
    access and then kept: a lazy load holds no per-row data until they are asked for.

    Attributes
    ----------
    source : str
        File path, or the name given to a DataFrame or table.
    sha256 : str
        SHA-256 of the file's bytes; for a DataFrame, of its row hashes
        (``pandas.util.hash_pandas_object``); for an ``ibis.Table``, of its schema and of
        the audit's counts and values (the bytes of a remote table are not read).
    n_input_rows : int
        Rows in the source.
    input_value : float
        Sum of the line values of all rows (``values``); a value that is missing, or text with
        no number in it at all, counts 0.
    outcomes : pandas.Series
        Reason code per input row (index: row number), one of :data:`REASONS`.
    flags : pandas.DataFrame
        Every check per input row (bool, one column per code in precedence order): the outcome
        is the first column that is True, ``kept`` when none is.
    values : pandas.Series
        Line value per input row: ``amount``, or quantity x unit price; negative on returns.
        For rows dropped as ``bad_value`` the number read leniently from the text
        (``"1,234.50"`` -> 1234.5), NaN where there is none.
    columns : dict
        Role -> source column actually used.
    options : dict
        How the source was read (format, separator, encoding, sheets, ``dates``: the date
        convention found) and the loading options (observation_end, ...), for provenance.
    unparsed : pandas.DataFrame
        Values that could not be read: ``row``, ``role``, ``column`` and the ``raw`` text.
    """

    def __init__(
        self,
        *,
        source: str,
        sha256: str,
        reasons: pd.DataFrame,
        columns: dict[str, str],
        options: dict[str, Any],
        rows: ibis.Table | None = None,
        unparsed: ibis.Table | None = None,
    ):
        self.source = source
        self.sha256 = sha256
        self.columns = columns
        self.options = options
        # code -> rows, value, examples (the aggregate computed at load)
        self._reasons = reasons
        self._rows = rows  # row, code, one column per check, value
        self._unparsed = unparsed  # row, role, column, raw
        self.n_input_rows = int(reasons["rows"].sum())
        self.input_value = float(reasons["value"].sum())

    @functools.cached_property
    def _per_row(self) -> pd.DataFrame:
        if self._rows is None:
            return pd.DataFrame(columns=["code", *_CHECKS, "value"], index=pd.Index([], name="row"))
        frame = engine.to_pyarrow(self._rows).to_pandas()
        frame = frame.sort_values(_ROW, kind="stable").set_index(_ROW)
        frame.index = frame.index.astype("int64").rename("row")
        return frame

    @functools.cached_property
    def outcomes(self) -> pd.Series:  # noqa: D102 (the class docstring says what it is)
        codes = self._per_row["code"]
        return pd.Series(
            pd.Categorical(codes.to_numpy(dtype=object), categories=list(REASONS)),
            index=codes.index,
            name="outcome",
        )

    @functools.cached_property
    def flags(self) -> pd.DataFrame:  # noqa: D102
        return self._per_row[list(_CHECKS)].astype(bool)

    @functools.cached_property
    def values(self) -> pd.Series:  # noqa: D102
        return self._per_row["value"].astype("float64").rename("value")

    @functools.cached_property
    def unparsed(self) -> pd.DataFrame:  # noqa: D102
        if self._unparsed is None:
            return pd.DataFrame(columns=["row", "role", "column", "raw"])
        frame = engine.to_pyarrow(self._unparsed).to_pandas()
        frame = frame.sort_values(["_order", "row"], kind="stable").drop(columns="_order")
        frame["row"] = frame["row"].astype("int64")
        return frame.reset_index(drop=True)

    def table(self) -> pd.DataFrame:
        """Rows and value per reason, kept and netted first, with a ``total`` row.

        Columns: ``outcome`` (kept / netted / dropped), ``reason`` (in words), ``rows``,
        ``value`` (sum of line values, negative for returns) and ``share`` (of input rows).
        Index: the reason ``code``. Every reason is listed, with 0 rows where none applied.
        """
        codes = list(_TABLE_ORDER)
        found = self._reasons.reindex(codes)
        out = pd.DataFrame(
            {
                "outcome": [REASONS[c][0] for c in codes],
                "reason": [REASONS[c][1] for c in codes],
                "rows": found["rows"].fillna(0).to_numpy(dtype="int64"),
                "value": found["value"].fillna(0.0).to_numpy(dtype="float64"),
            },
            index=pd.Index(codes, name="code"),
        )
        out.loc["total"] = ["total", "all input rows", self.n_input_rows, self.input_value]
        out["rows"] = out["rows"].astype("int64")
        out["value"] = out["value"].astype("float64")
        out["share"] = out["rows"] / max(self.n_input_rows, 1)
        return out

    def examples(self, n: int = _N_EXAMPLES) -> dict[str, list[int]]:
        """The first ``n`` row numbers of each reason that occurred (to look them up)."""
        if n > _N_EXAMPLES:
            positions = self.outcomes.groupby(self.outcomes, observed=True).indices
            rows = self.outcomes.index.to_numpy()
            return {str(c): [int(r) for r in rows[pos[:n]]] for c, pos in positions.items()}
        occurred = self._reasons[self._reasons["rows"] > 0]
        return {
            str(code): [int(r) for r in occurred.loc[code, "examples"][:n]]
            for code in REASONS
            if code in occurred.index
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable summary for report provenance (no per-row data)."""
        examples = self.examples()
        table = self.table()
        reasons = [
            {
                "code": code,
                "outcome": r.outcome,
                "reason": r.reason,
                "rows": int(r.rows),
                "value": float(r.value),
                "share": float(r.share),
                "examples": examples.get(code, []),
            }
            for code, r in table.iterrows()
        ]
        return {
            "source": self.source,
            "sha256": self.sha256,
            "n_input_rows": int(self.n_input_rows),
            "input_value": float(self.input_value),
            "columns": dict(self.columns),
            "options": _jsonable(self.options),
            "reasons": reasons,
        }

    def _header(self) -> str:
        return (
            f"Load audit of {self.source} (sha256 {self.sha256[:12]}): "
            f"{self.n_input_rows:,} input rows, input value {self.input_value:,.2f}"
            + (f"; {how}" if (how := self.how_read()) else "")
        )

    def how_read(self) -> str:
        """How the source was read, in words: format, separator, encoding, sheets, dates."""
        o = self.options
        parts = []
        if o.get("format") == "text":
            parts.append(f"{o['sep']}, {o['encoding']}" + ("" if o["header"] else ", no header"))
        elif o.get("format") == "excel":
            parts.append(f"sheets {o['sheets']} of {o['workbook_sheets']}")
        elif o.get("format"):
            parts.append(str(o["format"]))
        if o.get("dates"):
            parts.append(f"dates: {o['dates']}")
        return "; ".join(parts)

    def __repr__(self) -> str:
        return f"{self._header()}\n{self.table().to_string()}"

    def _repr_html_(self) -> str:
        table = self.table().to_html(
            formatters={"value": "{:,.2f}".format, "share": "{:.1%}".format}
        )
        return f"<div><p>{html.escape(self._header())}</p>{table}</div>"


def _jsonable(options: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in options.items():
        if isinstance(value, pd.Timestamp):
            value = value.isoformat()
        elif isinstance(value, tuple | list | frozenset | set):
            value = sorted(value) if isinstance(value, frozenset | set) else list(value)
        out[key] = value
    return out


# ----------------------------------------------------------------------------- reading


def _norm(name: object) -> str:
    """Column name folded for matching: case, spaces, underscores and hyphens ignored."""
    return re.sub(r"[\s_\-]+", "", str(name)).lower()


def _closest(role: str, names: Iterable[object]) -> list[str]:
    """Up to three source columns that look like ``role`` (for error messages)."""
    # A column named after another role (or one of its aliases) is that role's: never
    # propose 'order_id' for customer_id because both end in "id".
    others = {_norm(r) for r in ROLES if r != role}
    others |= {a for r, aliases in _ALIASES.items() if r != role for a in aliases}
    others -= {_norm(role), *_ALIASES.get(role, ())}
    by_norm = {_norm(n): str(n) for n in names if _norm(n) not in others}
    found: list[str] = []
    for key in (_norm(role), *_ALIASES.get(role, ())):
        for match in difflib.get_close_matches(key, by_norm, n=3, cutoff=0.6):
            found.append(by_norm[match])
        found += [orig for norm, orig in by_norm.items() if key in norm and len(key) >= 4]
    return list(dict.fromkeys(found))[:3]


def _suggest(role: str, names: Iterable[object]) -> str:
    close = _closest(role, names)
    if not close:
        return "no similar column"
    return (
        "closest: "
        + ", ".join(repr(c) for c in close)
        + (f" (pass columns={{{role!r}: {close[0]!r}}})")
    )


def _resolve_columns(
    names: list[object], columns: Mapping[str, str] | None
) -> tuple[dict[str, str], list[str]]:
    """Map roles to source columns: explicit ``columns`` first, then by folded name."""
    mapping: dict[str, str] = {}
    problems: list[str] = []
    given = dict(columns or {})
    present = {str(n) for n in names}
    for role, col in given.items():
        if role not in ROLES:
            problems.append(f"unknown role {role!r} in columns; roles are {', '.join(ROLES)}")
        elif str(col) not in present:
            problems.append(
                f"columns maps {role!r} to {col!r}, which is not a column; {_suggest(role, names)}"
            )
        else:
            mapping[role] = str(col)
    used = set(mapping.values())
    for role in ROLES:
        if role in given:
            continue
        hits = [str(n) for n in names if _norm(n) == _norm(role) and str(n) not in used]
        if len(hits) > 1:
            problems.append(
                f"several columns could be {role!r}: {hits}; choose one with columns={{...}}"
            )
        elif hits:
            mapping[role] = hits[0]
    for role in ("customer_id", "timestamp"):
        if role not in mapping and role not in given:
            problems.append(f"missing required column {role!r}; {_suggest(role, names)}")
    has_value = "amount" in mapping or ("quantity" in mapping and "unit_price" in mapping)
    value_roles = ("amount", "quantity", "unit_price")
    misnamed = any(r in given and r not in mapping for r in value_roles)  # reported above
    if not has_value and not misnamed:
        missing = [r for r in ("quantity", "unit_price") if r not in mapping]
        hints = "; ".join(f"{r}: {_suggest(r, names)}" for r in ("amount", *missing))
        problems.append(
            "no way to compute the line value: need an 'amount' column, or both "
            f"'quantity' and 'unit_price' (missing {', '.join(missing)}); {hints}"
        )
    return mapping, problems


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _frame_sha256(frame: pd.DataFrame) -> str:
    hashes = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    digest = hashlib.sha256(hashes.tobytes())
    digest.update(repr(list(map(str, frame.columns))).encode())
    return digest.hexdigest()


def _file_kind(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in (".gz", ".bz2", ".zip", ".xz", ".zst"):
        suffixes = suffixes[:-1]
    last = suffixes[-1] if suffixes else ""
    kinds = {
        ".csv": "csv",
        ".txt": "csv",
        ".tsv": "tsv",
        ".parquet": "parquet",
        ".pq": "parquet",
        ".xlsx": "excel",
        ".xlsm": "excel",
    }
    if last not in kinds:
        raise SchemaError(
            str(path),
            [f"unsupported file type {last or '(none)'!r}; use .csv, .tsv, .parquet or .xlsx"],
        )
    return kinds[last]


_SEPARATORS = (",", ";", "\t", "|")
_WHITESPACE = r"\s+"
_SNIFF_BYTES = 1 << 16


def _open_binary(path: Path) -> Any:
    """The file's bytes, decompressed for .gz, .bz2 and .xz (others are read as they are)."""
    suffix = path.suffix.lower()
    if suffix == ".gz":
        import gzip

        return gzip.open(path, "rb")
    if suffix == ".bz2":
        import bz2

        return bz2.open(path, "rb")
    if suffix == ".xz":
        import lzma

        return lzma.open(path, "rb")
    if suffix == ".zip":
        import zipfile

        archive = zipfile.ZipFile(path)
        members = [m for m in archive.namelist() if not m.endswith("/")]
        if len(members) != 1:
            raise SchemaError(str(path), [f"a .zip must hold one file, it holds {members}"])
        return archive.open(members[0])
    if suffix == ".zst":
        try:
            import zstandard
        except ImportError:
            raise SchemaError(
                str(path), ["reading .zst needs the zstandard package (pip install zstandard)"]
            ) from None
        return zstandard.open(path, "rb")
    return path.open("rb")


def _decode_error(
    name: str, err: UnicodeDecodeError, head: bytes, encoding: str, *, at_start: bool = True
) -> SchemaError:
    byte = head[err.start : err.start + 1].hex()
    line = head[: err.start].count(b"\n") + 1
    where = f" on line {line}" if at_start else ""
    return SchemaError(
        name,
        [
            f"the text is not {encoding} (byte 0x{byte}{where}); pass the file's "
            "encoding, e.g. encoding='latin-1' or encoding='cp1252' (Excel on Windows)"
        ],
    )


def _fields(line: str, sep: str) -> list[str]:
    if sep == _WHITESPACE:
        return line.split()
    return next(csv.reader([line], delimiter=sep))


def _sniff(path: Path, sep: str | None, encoding: str | None) -> dict[str, Any]:
    """Separator, header and column names of a text file, from its first 64 KiB.

    The separator is the one of comma, semicolon, tab and bar that splits every sampled line
    into the same number (> 1) of fields, the most fields winning; else whitespace when that
    splits every line alike (CDNOW). A first line of numbers only is data, not a header: the
    columns are then named "0", "1", ... like pandas' ``header=None``.
    """
    name = str(path)
    with _open_binary(path) as fh:
        head = fh.read(_SNIFF_BYTES)
        more = bool(fh.read(1))
    enc = encoding or "utf-8"
    if more and b"\n" in head:
        head = head[: head.rindex(b"\n") + 1]  # whole lines only
    try:
        text = head.decode("utf-8-sig" if enc.lower().replace("_", "-") == "utf-8" else enc)
    except UnicodeDecodeError as err:
        raise _decode_error(name, err, head, enc) from None
    except LookupError:
        raise SchemaError(name, [f"unknown encoding {encoding!r}"]) from None
    lines = [line for line in text.splitlines() if line.strip()][:50]
    if not lines:
        raise SchemaError(name, ["the file is empty: no header and no rows"])
    if sep is None:
        counts = {}
        for candidate in _SEPARATORS:
            widths = {len(_fields(line, candidate)) for line in lines}
            if len(widths) == 1 and widths.pop() > 1:
                counts[candidate] = len(_fields(lines[0], candidate))
        if counts:
            sep = max(counts, key=lambda c: counts[c])  # the first of equals (dict order)
        elif len(lines) > 1 and len({len(line.split()) for line in lines}) == 1:
            sep = _WHITESPACE
        else:
            sep = ","
    first = _fields(lines[0], sep)
    header = _has_header(first, [_fields(line, sep) for line in lines[1:]])
    names = list(first) if header else [str(i) for i in range(len(first))]
    return {"sep": sep, "header": header, "names": names, "encoding": enc}


def _has_header(first: list[str], rows: list[list[str]]) -> bool:
    """Whether the first line names the columns rather than holding data.

    It does when some column is words on the first line and numbers or dates on every line
    below (a log always has a date and a value column); a file of one line has a header when
    it has words.
    """
    if not rows:
        return any(_is_words(f) for f in first)
    for i, name in enumerate(first):
        below = [row[i] for row in rows if i < len(row) and row[i].strip()]
        if _is_words(name) and below and not any(_is_words(v) for v in below):
            return True
    return False


def _is_words(text: str) -> bool:
    """Text that is neither a number nor a date or time (digits and separators only)."""
    text = text.strip()
    return bool(text) and not _is_number(text) and not re.fullmatch(r"[\d\s/.:,\-+TZ]+", text)


def _is_number(text: str) -> bool:
    try:
        float(text.strip())
    except ValueError:
        return False
    return True


def _duplicated_names(names: list[str]) -> list[str]:
    seen: dict[str, list[int]] = {}
    for i, n in enumerate(names):
        seen.setdefault(str(n), []).append(i)
    return [
        f"column name {n!r} appears {len(at)} times (columns {', '.join(str(i) for i in at)}, "
        "0-based); rename all but one"
        for n, at in seen.items()
        if len(at) > 1
    ]


def _sheets(path: Path, sheet_name: str | int | None) -> tuple[Any, list[str], list[str]]:
    """The open workbook, the sheets to read, and every sheet's name."""
    try:
        book = pd.ExcelFile(path, engine="openpyxl")
    except Exception as err:  # zipfile.BadZipFile, KeyError, InvalidFileException...
        raise SchemaError(str(path), [f"cannot be read as an Excel workbook: {err}"]) from None
    every = [str(s) for s in book.sheet_names]
    if sheet_name is None:
        return book, every, every
    if isinstance(sheet_name, int) and not isinstance(sheet_name, bool):
        if not 0 <= sheet_name < len(every):
            raise SchemaError(
                str(path), [f"no sheet number {sheet_name}; the sheets are {every} (0-based)"]
            )
        chosen = every[sheet_name]
    elif str(sheet_name) in every:
        chosen = str(sheet_name)
    else:
        close = difflib.get_close_matches(str(sheet_name), every, n=1)
        hint = f" (closest: {close[0]!r})" if close else ""
        raise SchemaError(str(path), [f"no sheet {sheet_name!r}{hint}; the sheets are {every}"])
    if sheet_name == 0 and len(every) > 1:
        others = [
            s
            for s in every[1:]
            if not pd.read_excel(book, sheet_name=s, header=None, nrows=2).dropna(how="all").empty
        ]
        if others:
            raise SchemaError(
                str(path),
                [
                    f"the workbook has {len(others) + 1} sheets with data {[chosen, *others]}; "
                    "say which with sheet_name='...', or sheet_name=None to read all of them "
                    "one after the other"
                ],
            )
    return book, [chosen], every


def _header(
    path: Path,
    kind: str,
    *,
    sep: str | None = None,
    encoding: str | None = None,
    sheet_name: str | int | None = 0,
) -> list[str]:
    """Column names of a file without reading its rows (cheap for CSV and Parquet)."""
    if kind == "parquet":
        import pyarrow.parquet as pq

        try:
            return list(pq.read_schema(path).names)
        except Exception as err:  # pyarrow.ArrowInvalid, OSError
            raise SchemaError(str(path), [_parquet_problem(err)]) from None
    if kind == "excel":
        book, chosen, _ = _sheets(path, sheet_name)
        return [str(c) for c in pd.read_excel(book, sheet_name=chosen[0], nrows=0).columns]
    return _sniff(path, "\t" if kind == "tsv" and sep is None else sep, encoding)["names"]


def _parquet_problem(err: Exception) -> str:
    return f"cannot be read as Parquet (corrupt or truncated?): {err}"


def _read_file(
    path: Path,
    kind: str,
    columns: Mapping[str, str] | None,
    *,
    sheet_name: str | int | None,
    sep: str | None,
    encoding: str | None,
    decimal: str,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The file's rows as read, and how it was read (separator, encoding, sheets...)."""
    name = str(path)
    if kind == "parquet":
        try:
            frame = pd.read_parquet(path)
        except Exception as err:  # pyarrow.ArrowInvalid, OSError
            raise SchemaError(name, [_parquet_problem(err)]) from None
        if problems := _duplicated_names([str(c) for c in frame.columns]):
            raise SchemaError(name, problems)
        return frame, {"format": "parquet"}
    if kind == "excel":
        book, chosen, every = _sheets(path, sheet_name)
        parts = []
        for sheet in chosen:
            raw_names = pd.read_excel(book, sheet_name=sheet, header=None, nrows=1)
            names = [str(c) for c in raw_names.iloc[0].tolist()] if len(raw_names) else []
            if problems := _duplicated_names(names):
                raise SchemaError(name, [f"sheet {sheet!r}: {p}" for p in problems])
            parts.append(pd.read_excel(book, sheet_name=sheet, decimal=decimal))
        frame = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
        return frame, {"format": "excel", "sheets": chosen, "workbook_sheets": every}
    # CSV: identifier columns are read as text, so that "00123" keeps its zeros and
    # customer ids are not turned into floats by a missing value.
    info = _sniff(path, "\t" if kind == "tsv" and sep is None else sep, encoding)
    if problems := _duplicated_names(info["names"]):
        raise SchemaError(name, problems)
    mapping, _ = _resolve_columns(info["names"], columns)
    as_text = {mapping[r]: "str" for r in _ID_ROLES if r in mapping}
    options: dict[str, Any] = {
        "encoding": info["encoding"],
        "dtype": as_text,
        "low_memory": False,
        "decimal": decimal,
        "sep": info["sep"],
    }
    if not info["header"]:
        options.update(header=None, names=info["names"])
    try:
        frame = pd.read_csv(path, **options)
    except UnicodeDecodeError as err:
        raise _decode_error(name, err, err.object, info["encoding"], at_start=False) from None
    except (pd.errors.ParserError, ValueError) as err:
        raise SchemaError(name, [f"cannot be read as {_sep_name(info['sep'])}: {err}"]) from None
    return frame, {
        "format": "text",
        "sep": _sep_name(info["sep"]),
        "encoding": info["encoding"],
        "header": info["header"],
    }


def _sep_name(sep: str) -> str:
    names = {",": "comma", ";": "semicolon", "\t": "tab", "|": "bar", _WHITESPACE: "whitespace"}
    return f"{names.get(sep, repr(sep))}-separated text"


# ------------------------------------------------------------------------ the source as a table

# The engine's name of the 0-based input row number (renamed "row" in the clean log), and
# the prefix of every other column the loader adds: no clash with the source's own names.
_ROW = "_clvlib_row"
_MINE = "_clvlib_"


@ibis.udf.agg.builtin(name="min")
def _smallest(arg: int, n: int) -> list[int]:  # DuckDB's min(x, n): the n smallest values
    ...


@dataclass
class _Source:
    """The input as one table of the engine: ``_ROW`` and the source's columns (str names)."""

    table: ibis.Table
    names: list[str]
    # text columns made from Python objects (pandas object dtype): there "17850.0" is a float
    # printed, and an order id loses its ".0"
    object_text: frozenset[str] = frozenset()
    # held in memory (an in-memory table of the engine), not a file or a remote table
    in_memory: bool = False


def _frame_source(frame: pd.DataFrame) -> _Source:
    """A DataFrame as an in-memory table (it lives as long as the expressions that use it).

    Python objects become their text (what pandas' ``astype(str)`` gives), time-zone-aware
    times their wall-clock time; everything else travels as it is, through Arrow.
    """
    frame = frame.reset_index(drop=True)
    frame.columns = [str(c) for c in frame.columns]
    objects = set()
    for name in frame.columns:
        col = frame[name]
        if isinstance(col.dtype, pd.CategoricalDtype):
            col = col.astype(object)
        if is_datetime64_any_dtype(col) and getattr(col.dt, "tz", None) is not None:
            frame[name] = col.dt.tz_localize(None)
        elif col.dtype == object:
            objects.add(name)
            frame[name] = col.astype("str").where(col.notna(), None).astype("str")
    data = pa.Table.from_pandas(frame, preserve_index=False)
    data = data.append_column(_ROW, pa.array(np.arange(len(frame), dtype="int64")))
    return _Source(ibis.memtable(data), list(frame.columns), frozenset(objects), in_memory=True)


def _parquet_source(path: Path, name: str) -> _Source:
    """A Parquet file scanned by the engine, rows numbered by DuckDB's ``file_row_number``."""
    import pyarrow.parquet as pq

    try:
        names = list(pq.read_schema(path).names)
    except Exception as err:  # pyarrow.ArrowInvalid, OSError
        raise SchemaError(name, [_parquet_problem(err)]) from None
    if problems := _duplicated_names(names):
        raise SchemaError(name, problems)
    quoted = str(path).replace("'", "''")
    table = engine.connection().sql(
        f"SELECT * RENAME (file_row_number AS {_ROW}) "
        f"FROM read_parquet('{quoted}', file_row_number = true)"
    )
    return _Source(table, names)


def _ibis_source(table: ibis.Table) -> _Source:
    """An ibis table of any backend; its rows numbered in the order of all their values."""
    names = list(table.columns)
    if problems := [n for n in names if n.startswith(_MINE)]:
        raise SchemaError("<ibis.Table>", [f"column names starting {_MINE!r}: {problems}"])
    numbered = table.mutate(**{_ROW: ibis.row_number().over(order_by=[table[n] for n in names])})
    return _Source(numbered, names)


# ----------------------------------------------------------------------------- coercion


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


def _padded(text: ibis.StringValue) -> ibis.BooleanValue:
    """Whether the text starts or ends with whitespace (or another control character)."""
    return (text.ascii_str() <= 32) | (text.right(1).ascii_str() <= 32)


def _strip(text: ibis.StringValue) -> ibis.StringValue:
    """``text`` without leading and trailing whitespace (as Python's ``str.strip``, ASCII).

    The engine's trim of a set of characters is several times slower than a look at the
    first and last character, and most values have nothing to strip; a source column whose
    values have none at all (``_UNPADDED``) is taken as it is.
    """
    op = text.op()
    if isinstance(op, ops.Field) and op.name in _UNPADDED.get():
        return text
    return ibis.ifelse(_padded(text), text.strip(), text)


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


def _to_number(col: ibis.Value, decimal: str = ".") -> tuple[ibis.Value, ibis.BooleanValue]:
    """Float64 values and whether a present value is not a finite number.

    With ``decimal=","`` text like ``"1.234,50"`` reads as 1234.5 (dots are thousands).
    """
    kind = col.type()
    if kind.is_integer() or kind.is_boolean():  # always finite
        values = col.cast("float64")
    elif kind.is_numeric():
        values = _finite(col.cast("float64"))
    else:
        text = _strip(col.cast("string"))
        if decimal != ".":
            text = text.replace(".", "").replace(decimal, ".")
        values = _finite(text.try_cast("float64"))
    return values, _present(col) & values.isnull()


def _lenient_number(raw: pd.Series, decimal: str = ".") -> pd.Series:
    """The number in text a strict read refused ('1,234.50', '$12', '12 EUR'), else NaN.

    Only for the audit's value of rows dropped as unparseable: their money still counts in
    the input's value, so that a file's total reconciles whatever was dropped.
    """
    text = raw.astype("str").str.replace(r"[^0-9.,\-]", "", regex=True)
    thousands = re.escape("," if decimal == "." else ".")  # only before groups of 3 digits
    text = text.str.replace(rf"{thousands}(?=\d{{3}}(?!\d))", "", regex=True)
    text = text.str.replace(decimal, ".", regex=False)
    return pd.to_numeric(text, errors="coerce").astype("float64")


_ISO_TEXT = r"\d{4}-\d{1,2}-\d{1,2}(?:[T ].*)?"
_COMPACT_TEXT = r"(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
_NUMERIC_DATE = r"^(\d{1,2})([/.\-])(\d{1,2})\2(\d{2}|\d{4})(?:[T ,]+(.*))?$"
_OFFSET = r"(?:Z|[+-]\d{2}:?\d{2})$"


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
    asking for ``date_format``. Times with UTC offsets are read in the offset most rows have
    (mixed offsets are converted to it); offsets on some rows only are a problem.
    """
    values = pd.Series(values, dtype=object).reset_index(drop=True)
    weights = pd.Series(weights, dtype="int64").reset_index(drop=True)
    none = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]")
    if date_format is not None:
        how = f"date_format {date_format!r}"
        utc = "%z" in date_format
        ts = pd.to_datetime(values, format=date_format, errors="coerce", utc=utc)
        if utc:
            ts, how = ts.dt.tz_localize(None), how + ", converted to UTC"
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
        fmt = next(
            (f for v in values.head(20) if (f := guess_datetime_format(v)) is not None), None
        )
        fmt, how = fmt or "mixed", f"text dates ({fmt or 'mixed formats'})"
    elif found[0] == "ISO 8601":
        fmt, how = "ISO8601", "ISO 8601"
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
        if day_first and month_first:
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
        if fmt not in ("mixed", "ISO8601") and 0 < n_failed <= _MOSTLY_BAD * weights.sum():
            # same convention, other spelling (seconds, no time...): read one by one
            retried = pd.to_datetime(
                values[failed], format="mixed", errors="coerce", utc=utc, dayfirst=dayfirst
            )
            ts = ts.astype("datetime64[us, UTC]" if utc else "datetime64[us]")
            ts[failed] = retried.astype(ts.dtype)
    if utc:
        offsets = values.str.extract("(" + _OFFSET + ")")[0]
        zones = offsets.dropna().unique()
        by_rows = weights.groupby(offsets, sort=False).sum()
        common = by_rows.sort_values(ascending=False, kind="stable").index[0] if len(zones) else "Z"
        shift = pd.Timestamp("2000-01-01T00:00" + common.replace("Z", "+00:00"))
        shift = shift.utcoffset() or pd.Timedelta(0)
        ts = ts.dt.tz_localize(None) + shift
        how += f", times in UTC{common if common != 'Z' else ''}"
        if len(zones) > 1:
            how += f" (converted from offsets {', '.join(sorted(map(str, zones)))})"
    elif getattr(ts.dt, "tz", None) is not None:
        ts = ts.dt.tz_localize(None)
    return ts.astype("datetime64[us]"), how, []


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
        return table.mutate(**{name: col.cast("timestamp")}), "date-time column", []
    if kind.is_numeric() and not kind.is_boolean():
        number = col.cast("float64")
        integral = _present(col) & (number % 1 == 0)
        # a present number that is not integral is no YYYYMMDD: marked so that it fails
        text = ibis.ifelse(integral, number.cast("int64").cast("string"), ".")
        text = ibis.ifelse(_present(col), text, ibis.null("string"))
    else:
        text = _text(col)
    key = f"{_MINE}ts_text"
    keyed = table.mutate(**{key: text})
    distinct = (
        keyed.filter(keyed[key].notnull())
        .group_by(key)
        .aggregate(_n=ibis._.count(), _first=keyed[_ROW].min())
        .order_by("_first")
    )
    found = engine.to_pyarrow(distinct).to_pandas()
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
    ok = parsed.notna().to_numpy()
    joined = _join_dictionary(
        table,
        text,
        pa.array(values[ok].tolist(), type=pa.string()),
        name,
        pa.array(parsed[ok].to_numpy(), type=pa.timestamp("us")),
    )
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


# ----------------------------------------------------------------------------- loading


def load_transactions(
    source: str | Path | pd.DataFrame | ibis.Table,
    *,
    columns: Mapping[str, str] | None = None,
    observation_end: str | pd.Timestamp | None = None,
    cancellation_prefix: str | None = None,
    non_product_codes: Iterable[str] = (),
    drop_duplicates: bool | None = None,
    strict: bool = False,
    source_name: str | None = None,
    date_format: str | None = None,
    sheet_name: str | int | None = 0,
    sep: str | None = None,
    encoding: str | None = None,
    decimal: str = ".",
    lazy: bool = False,
) -> tuple[pd.DataFrame | ibis.Table, LoadAudit]:
    """Read an order log into the clean schema and account for every input row.

    The rows are classified by Ibis expressions run where the data lives: a file or a
    DataFrame in the embedded DuckDB engine (:mod:`clvlib.data.engine`), an ``ibis.Table`` on its
    own backend (a Spark session, a warehouse). Only aggregates travel, and, unless ``lazy``,
    the clean lines.

    Parameters
    ----------
    source : str, pathlib.Path, pandas.DataFrame or ibis.Table
        A .csv/.tsv (optionally compressed), .parquet or .xlsx file, a DataFrame (not
        modified), or a table of any Ibis backend. A table has no row order: its rows are
        numbered in the order of all their values (columns left to right), so that row
        numbers are stable and identical rows are told apart only by their number.
    columns : dict, optional
        ``{role: source column}`` for roles whose column is not named after the role; the
        other roles are matched by name ignoring case, spaces, underscores and hyphens.
        Roles: ``customer_id``, ``timestamp``, ``order_id``, ``quantity``, ``unit_price``,
        ``amount``, ``cost`` (line cost), ``unit_cost``, ``margin`` (fraction of amount),
        ``channel``, ``country``, ``discounted``, ``product_id``.
    observation_end : str or pandas.Timestamp, optional
        Rows after this day (the whole day included) are dropped and counted.
    cancellation_prefix : str, optional
        Order ids starting with it are cancellations (UCI Online Retail: ``"C"``).
    non_product_codes : iterable of str
        ``product_id`` values that are charges or fees, not goods (matched ignoring case).
    drop_duplicates : bool, optional
        Drop rows identical in every source column to an earlier row. By default (None) they
        are dropped when there is an order id (the same line twice in one order is a copy)
        and kept without one (the same purchase twice on a day is two purchases: CDNOW),
        where the audit counts them as ``identical``.
    strict : bool, default False
        Raise :class:`SchemaError` naming column and rows instead of dropping rows whose
        timestamp or value is missing or unparseable, or whose optional numeric values
        (cost, unit cost, margin) are unparseable.
    source_name : str, optional
        Name shown in the audit and in errors; the file path by default.
    date_format : str, optional
        ``strftime`` format of the timestamps (e.g. ``"%d/%m/%Y %H:%M"``). When omitted the
        convention is read from the values: ISO 8601, YYYYMMDD, or day-first / month-first
        when some day is above 12; a column that could be either, or mixes conventions, is a
        :class:`SchemaError` asking for it. ``audit.options["dates"]`` says what was used.
    sheet_name : str, int or None, default 0
        Excel sheet to read; None reads every sheet, one after the other. A workbook with
        data on several sheets needs it (an error lists the sheets).
    sep : str, optional
        Field separator of a text file; sniffed when None (comma, semicolon, tab, bar, else
        whitespace as in CDNOW's files). A first line of numbers only is data: the columns
        are then named ``"0"``, ``"1"``, ... for ``columns``.
    encoding : str, optional
        Text encoding; UTF-8 when None, and an error naming the file and suggesting
        ``encoding=`` when the bytes are not UTF-8.
    decimal : str, default "."
        Decimal mark of numbers in text (``","``: ``"1.234,50"`` is 1234.5).
    lazy : bool, default False
        Return ``tx`` as an ``ibis.Table`` (nothing materialised; every function of clvlib
        that takes ``tx`` accepts it, and :func:`to_frame` turns it into the pandas log)
        instead of a DataFrame. The audit is computed either way.

    Returns
    -------
    tx : pandas.DataFrame or ibis.Table
        The clean log (``docs/architecture.md``): ``customer_id`` (int64 when every id is
        integral, else str), ``order_id`` (str; ``"row-<n>"`` where the source has none),
        ``timestamp`` (naive datetime64[us]), ``amount`` (float64, negative on returns),
        ``is_return``, then ``quantity``, ``unit_price``, ``cost`` and the pass-through
        columns when the source has them. Index ``row``: the input row number (a ``row``
        column when lazy). The line value is ``amount`` when given, else quantity x unit
        price; cost comes from ``cost``, else ``unit_cost`` x quantity, else amount x
        (1 - margin). On returns amount, quantity and cost are negative whatever their sign
        in the source.
    audit : LoadAudit
        What happened to every input row; ``audit.table()`` sums to the input's rows and value.

    Raises
    ------
    SchemaError
        Listing every schema problem at once: missing columns (with the closest names),
        columns not of their type, empty input, no way to compute the value, and in strict
        mode the rows with unparseable values; also files that cannot be read (empty, not
        decodable, corrupt, a directory, a missing sheet, duplicated column names) and line
        values too large to be money.

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({
    ...     "Customer": [1, 1, None], "Date": ["2024-01-02", "2024-01-05", "2024-01-05"],
    ...     "Qty": [2, -1, 1], "Price": [5.0, 5.0, 3.0]})
    >>> tx, audit = load_transactions(raw, columns={
    ...     "customer_id": "Customer", "timestamp": "Date",
    ...     "quantity": "Qty", "unit_price": "Price"})
    >>> tx["amount"].tolist()
    [10.0, -5.0]
    >>> audit.table().loc[["kept", "return", "no_customer", "total"],
    ...                   ["rows", "value"]]  # doctest: +NORMALIZE_WHITESPACE
                 rows  value
    code
    kept            1   10.0
    return          1   -5.0
    no_customer     1    3.0
    total           3    8.0

    A table of an Ibis backend, summarised where it lives:

    >>> import ibis
    >>> from clvlib.data.summary import customer_summary
    >>> orders = ibis.memtable({"customer_id": [1, 1, 2],
    ...     "timestamp": pd.to_datetime(["2024-01-02", "2024-01-09", "2024-01-03"]),
    ...     "amount": [10.0, 20.0, 5.0], "order_id": ["a", "b", "c"]})
    >>> lazy_tx, audit = load_transactions(orders, lazy=True)
    >>> customer_summary(lazy_tx, observation_end="2024-01-31")[["frequency", "T"]]
    ... # doctest: +NORMALIZE_WHITESPACE
                 frequency   T
    customer_id
    1                    1  29
    2                    0  28
    """
    read: dict[str, Any]
    if isinstance(source, ibis.Table):
        name = source_name or "<ibis.Table>"
        src = _ibis_source(source)
        sha = None
        read = {"format": f"ibis table ({engine.backend_of(source).name})"}
    elif isinstance(source, pd.DataFrame):
        name = source_name or "<DataFrame>"
        if problems := _duplicated_names([str(c) for c in source.columns]):
            raise SchemaError(name, problems)
        src = _frame_source(source)
        sha = _frame_sha256(source)
        read = {"format": "DataFrame"}
    else:
        path = Path(source)
        name = source_name or str(path)
        if path.is_dir():
            raise SchemaError(name, ["is a directory, not a file: give the order log's file"])
        if not path.is_file():
            raise FileNotFoundError(f"{name}: no such file")
        try:
            kind = _file_kind(path)
            if path.stat().st_size == 0:
                raise SchemaError(name, ["the file is empty (0 bytes)"])
            if kind == "parquet":
                src, read = _parquet_source(path, name), {"format": "parquet"}
            else:
                frame, read = _read_file(
                    path,
                    kind,
                    columns,
                    sheet_name=sheet_name,
                    sep=sep,
                    encoding=encoding,
                    decimal=decimal,
                )
                if problems := _duplicated_names([str(c) for c in frame.columns]):
                    raise SchemaError(name, problems)
                src = _frame_source(frame)
                del frame
        except SchemaError as err:
            if source_name:
                raise SchemaError(name, err.problems) from None
            raise
        sha = _file_sha256(path)
    return _clean(
        src,
        name=name,
        sha256=sha,
        columns=columns,
        observation_end=observation_end,
        cancellation_prefix=cancellation_prefix,
        non_product_codes=non_product_codes,
        drop_duplicates=drop_duplicates,
        strict=strict,
        date_format=date_format,
        decimal=decimal,
        read=read,
        lazy=lazy,
    )


def _read_columns(
    t: ibis.Table, mapping: dict[str, str], decimal: str
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
            numbers[role], unreadable[role] = _to_number(t[mapping[role]], decimal)
    ts = ibis.null("timestamp")
    if "timestamp" in mapping:
        ts = t[f"{_MINE}ts"]
        unreadable["timestamp"] = _present(t[mapping["timestamp"]]) & ts.isnull()
    return numbers, unreadable, ts


def _read_once(t: ibis.Table, mapping: dict[str, str], decimal: str) -> ibis.Table:
    """An in-memory source with its numbers and timestamps read, as a new in-memory table.

    Every later query (checks, copies, audit, clean lines) then reads typed columns instead of
    parsing the text again. Only for sources already held in memory (a DataFrame, a text or
    Excel file read by pandas): their copy costs what they cost; a Parquet file or a table
    of another backend is never copied.
    """
    numbers = _read_columns(t, mapping, decimal)[0]
    read = t.mutate(**{f"{_MINE}number_{role}": value for role, value in numbers.items()})
    return ibis.memtable(engine.to_pyarrow(read))


def _join_dictionary(
    t: ibis.Table, key: ibis.Value, keys: pa.Array, name: str, values: pa.Array
) -> ibis.Table:
    """``t`` with a column ``name``: ``values`` where ``key`` is in ``keys``, else NULL."""
    dictionary = ibis.memtable(pa.table({f"{name}_key": keys, name: values}))
    keyed = t.mutate(**{f"{name}_on": key})
    joined = keyed.left_join(dictionary, keyed[f"{name}_on"] == dictionary[f"{name}_key"])
    return joined.drop(f"{name}_on", f"{name}_key")


def _clean(src: _Source, **options: Any) -> tuple[pd.DataFrame | ibis.Table, LoadAudit]:
    """:func:`_classify`, with the unpadded text columns it finds forgotten afterwards."""
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
    n = int(engine.to_pyarrow(t.aggregate(_n=ibis._.count()))["_n"][0].as_py())
    if n == 0:
        raise SchemaError(name, ["the input has no rows", *problems])

    # Read every mapped column; a column mostly unreadable as its type is a schema problem.
    dates = ""
    if "timestamp" in mapping:
        t, dates, date_problems = _timestamps(t, mapping["timestamp"], date_format)
        problems += date_problems
    if src.in_memory:
        t = _read_once(t, mapping, decimal)
    numbers, unreadable, _ = _read_columns(t, mapping, decimal)
    checks: dict[str, ibis.Scalar] = {}
    for role, bad in unreadable.items():
        checks[f"present {role}"] = _count(_present(t[mapping[role]]))
        checks[f"bad {role}"] = _count(bad)
    if "customer_id" in mapping:
        checks["present customer_id"] = _count(_present(t[mapping["customer_id"]]))
        integral_ids = _customer_ids(t[mapping["customer_id"]])[2]
        if integral_ids is not None:
            checks["integral ids"] = integral_ids
    if "order_id" in mapping:
        order_id = mapping["order_id"]
        checks["integral orders"] = _order_ids(t[order_id], order_id in src.object_text)[1]
    if "margin" in mapping:
        checks["margin over 1"] = _count(numbers["margin"] > 1)
    text_columns = [
        c for c in dict.fromkeys(mapping.values()) if t[c].type().is_string() and c != _ROW
    ]
    for col in text_columns:
        checks[f"padded {col}"] = _count(_padded(t[col]))
    huge: dict[str, ibis.BooleanValue] = {}
    for role in ("quantity", "unit_price", "amount", "cost", "unit_cost"):
        if role in numbers:
            huge[role] = numbers[role].abs() > _MAX_VALUE
            checks[f"huge {role}"] = _count(huge[role])
    found = _scalars(t, **checks) if checks else {}
    _UNPADDED.set(frozenset(c for c in text_columns if found[f"padded {c}"] == 0))
    if "customer_id" in mapping and "integral ids" not in found:
        found["integral ids"] = _integral_text_ids(t, t[mapping["customer_id"]])

    for role, bad in unreadable.items():
        col = mapping[role]
        n_present, n_bad = found[f"present {role}"], found[f"bad {role}"]
        kind = "dates" if role == "timestamp" else "numbers"
        if n_present == 0 and role in ("timestamp", "quantity", "unit_price", "amount"):
            problems.append(f"column {col!r} ({role}) has no values")
        elif n_present and n_bad > _MOSTLY_BAD * n_present:
            problems.append(
                f"column {col!r} ({role}) cannot be read as {kind}: "
                f"{n_bad} of {n_present} non-empty values are not {kind}, "
                f"{_rows_where(t, bad, t[col])}"
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
                f"quantities (above {_MAX_VALUE:,.0f} in absolute value): {_n_rows(k)}, "
                f"{_rows_where(t, condition, t[mapping[role]])}"
            )
    if problems:
        raise SchemaError(name, problems)

    # Identical rows: the groups of rows equal in every source column (NULLs equal, as in
    # pandas' duplicated) are few; every row of a group but its first is a copy.
    if drop_duplicates is None:
        drop_duplicates = "order_id" in mapping
    same = "duplicate" if drop_duplicates else ("identical" if "order_id" not in mapping else "")
    has_copies = False
    suspects = None
    if same:
        # First the hashes of the rows that occur more than once (one integer per row to
        # group by, not every column), then the exact groups among those rows only.
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

    # Unparseable values keep their money in the audit where a number can be read at all,
    # so that the input's value is the file's whatever was dropped: the distinct refused
    # texts are read leniently (few), and joined back.
    value_roles = ("amount",) if "amount" in mapping else ("quantity", "unit_price")
    lenient_roles = [r for r in value_roles if found.get(f"bad {r}")]
    for role in lenient_roles:
        bad = _read_columns(t, mapping, decimal)[1][role]
        raw = t[mapping[role]].cast("string")
        refused = engine.to_pyarrow(t.filter(bad).select(_raw=raw).distinct())["_raw"]
        lenient = _lenient_number(pd.Series(refused.to_pylist(), dtype=object), decimal)
        key = ibis.ifelse(bad, raw, ibis.null("string"))
        t = _join_dictionary(
            t, key, refused, f"{_MINE}lenient_{role}", pa.array(lenient, pa.float64())
        )

    # Every expression below is over the final table t.
    numbers, unreadable, ts = _read_columns(t, mapping, decimal)
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
    audit_value = value
    if lenient_roles:
        parts = {
            r: ibis.ifelse(unreadable[r], t[f"{_MINE}lenient_{r}"], numbers[r])
            if r in lenient_roles
            else numbers[r]
            for r in value_roles
        }
        read_any = parts["amount"] if "amount" in parts else parts["quantity"] * parts["unit_price"]
        audit_value = value.coalesce(ibis.ifelse(is_return, -read_any.abs(), read_any))

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
        flags[same] = t[_ROW].isin(copies[f"{_MINE}copy"])
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
        **{f"{_MINE}code": outcome, f"{_MINE}value": audit_value.cast("float64")},
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
    first = last = largest = None
    purchases = reasons.reindex(["kept", "identical"]).dropna(subset=["rows"])
    clean_lines = reasons.reindex(list(_KEPT)).dropna(subset=["rows"])
    if len(purchases):
        first, last = purchases["first"].min(), purchases["last"].max()
    if len(clean_lines):
        largest = float(clean_lines["largest"].max())
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
    if not clean_lines["cost_missing"].any():  # the summary's checks hold: it need not scan again
        from clvlib.data.summary import vouch

        vouch(
            tx,
            first=_when(first),
            last=_when(last),
            largest=largest,
            lines=int(clean_lines["rows"].sum()),
        )
    return tx, audit


def _when(stamp: Any) -> Any:
    """A timestamp of the aggregate as the summary's ``vouch`` takes it (None when absent)."""
    return None if stamp is None or pd.isna(stamp) else pd.Timestamp(stamp).to_pydatetime()


def _reasons(classified: ibis.Table) -> pd.DataFrame:
    """The audit's one aggregate query, per reason code.

    Rows, value and first row numbers; and, for the summary's ``vouch``, the first and last
    timestamp, the largest absolute amount or cost, and the lines without a cost.
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


def load_online_retail(
    path: str | Path | pd.DataFrame,
    *,
    observation_end: str | pd.Timestamp | None = None,
    strict: bool = False,
    lazy: bool = False,
) -> tuple[pd.DataFrame | ibis.Table, LoadAudit]:
    """Load UCI Online Retail (I or II, recognised from the column names) with its rules.

    Invoices starting with ``C`` are cancellations (netted); the stock codes in
    :data:`ONLINE_RETAIL_NON_PRODUCT` (postage, carriage, fees, manual corrections, discounts,
    samples, "Adjust bad debt", vouchers) are dropped as non-product lines. Every sheet of an
    Excel file is read (Online Retail II has one per year).

    Parameters
    ----------
    path : str, pathlib.Path or pandas.DataFrame
        The UCI file (.xlsx, .csv or .parquet) or its content.
    observation_end : str or pandas.Timestamp, optional
        Rows after this day are dropped and counted.
    strict, lazy : bool, default False
        See :func:`load_transactions`.

    Returns
    -------
    tx, audit
        As :func:`load_transactions`; ``product_id`` is the StockCode, ``country`` passed on.
    """
    if isinstance(path, pd.DataFrame):
        names, name = [str(c) for c in path.columns], "<DataFrame>"
    else:
        file = Path(path)
        if not file.is_file():
            raise FileNotFoundError(f"{file}: no such file")
        names, name = _header(file, _file_kind(file), sheet_name=None), str(file)
    for variant in _ONLINE_RETAIL_VARIANTS.values():
        if set(variant.values()) <= set(names):
            columns = variant
            break
    else:
        problems = [
            f"not {label}: missing {sorted(set(cols.values()) - set(names))}"
            for label, cols in _ONLINE_RETAIL_VARIANTS.items()
        ]
        raise SchemaError(name, problems)
    return load_transactions(
        path,
        columns=columns,
        observation_end=observation_end,
        cancellation_prefix="C",
        non_product_codes=ONLINE_RETAIL_NON_PRODUCT,
        strict=strict,
        sheet_name=None,
        lazy=lazy,
    )


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
