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

import csv
import difflib
import hashlib
import html
import re
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ibis
import numpy as np
import pandas as pd
from pandas.api.types import (
    is_bool_dtype,
    is_datetime64_any_dtype,
    is_float_dtype,
    is_integer_dtype,
    is_numeric_dtype,
    is_string_dtype,
)
from pandas.tseries.api import guess_datetime_format

from clvlib import engine
from clvlib._dates import cutoff_day, through

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


@dataclass(frozen=True, eq=False, repr=False)
class LoadAudit:
    """What :func:`load_transactions` did with every input row.

    Attributes
    ----------
    source : str
        File path, or the name given to a DataFrame.
    sha256 : str
        SHA-256 of the file's bytes; for a DataFrame, of its row hashes
        (``pandas.util.hash_pandas_object``).
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

    source: str
    sha256: str
    n_input_rows: int
    input_value: float
    outcomes: pd.Series
    flags: pd.DataFrame
    values: pd.Series
    columns: dict[str, str] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    unparsed: pd.DataFrame = field(default_factory=pd.DataFrame)

    def table(self) -> pd.DataFrame:
        """Rows and value per reason, kept and netted first, with a ``total`` row.

        Columns: ``outcome`` (kept / netted / dropped), ``reason`` (in words), ``rows``,
        ``value`` (sum of line values, negative for returns) and ``share`` (of input rows).
        Index: the reason ``code``. Every reason is listed, with 0 rows where none applied.
        """
        codes = list(_TABLE_ORDER)
        rows = self.outcomes.value_counts().reindex(codes, fill_value=0)
        value = self.values.fillna(0.0).groupby(self.outcomes, observed=False).sum()
        out = pd.DataFrame(
            {
                "outcome": [REASONS[c][0] for c in codes],
                "reason": [REASONS[c][1] for c in codes],
                "rows": rows.to_numpy(dtype="int64"),
                "value": value.reindex(codes, fill_value=0.0).to_numpy(dtype="float64"),
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
        positions = self.outcomes.groupby(self.outcomes, observed=True).indices
        rows = self.outcomes.index.to_numpy()
        return {str(code): [int(r) for r in rows[pos[:n]]] for code, pos in positions.items()}

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


# ----------------------------------------------------------------------------- coercion


def _rows_text(mask: pd.Series, raw: pd.Series | None = None) -> str:
    """'rows 3, 7, 12 (values 'x', 'y', 'z')' for the first few rows where ``mask``."""
    rows = np.flatnonzero(mask.to_numpy())[:_N_EXAMPLES]
    text = "rows " + ", ".join(str(r) for r in rows)
    if raw is not None:
        values = [raw.iloc[r] for r in rows]
        values = [v.item() if isinstance(v, np.generic) else v for v in values]
        text += " (values " + ", ".join(repr(v) for v in values) + ")"
    if mask.sum() > len(rows):
        text += ", ..."
    return text


def _n_rows(mask: pd.Series) -> str:
    k = int(mask.sum())
    return f"{k} row" if k == 1 else f"{k} rows"


def _present(raw: pd.Series) -> pd.Series:
    """Not missing and, for text, not blank."""
    present = raw.notna()
    if not (is_numeric_dtype(raw) or is_datetime64_any_dtype(raw) or is_bool_dtype(raw)):
        present &= raw.astype("str").str.strip().ne("").fillna(False)
    return present


def _to_number(raw: pd.Series, decimal: str = ".") -> tuple[pd.Series, pd.Series]:
    """Float64 values and the mask of present values that are not finite numbers.

    With ``decimal=","`` text like ``"1.234,50"`` reads as 1234.5 (dots are thousands).
    """
    if is_bool_dtype(raw) or is_numeric_dtype(raw):
        values = raw.astype("float64")
    else:
        text = raw.astype("str").str.strip()
        if decimal != ".":
            text = text.str.replace(".", "", regex=False).str.replace(decimal, ".", regex=False)
        values = pd.to_numeric(text, errors="coerce").astype("float64")
    values = values.where(np.isfinite(values))
    bad = _present(raw) & values.isna()
    return values, bad


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


def _example(text: pd.Series, mask: pd.Series) -> str:
    """'rows 3, 8 (values '13/02/2024', ...)' for the rows of ``text`` where ``mask``."""
    return _rows_text(mask.reindex(text.index, fill_value=False), text)


def _to_timestamp(
    raw: pd.Series, date_format: str | None, column: str
) -> tuple[pd.Series, pd.Series, str, list[str]]:
    """Naive datetime64[us] values, the mask of unreadable values, how they were read, problems.

    One convention per column: ISO 8601, YYYYMMDD (text or integers), or numeric dates with
    day and month whose order the values prove (a day above 12 in one position and never in
    the other). A column that mixes conventions, or whose every day is 12 or less, is a
    problem asking for ``date_format``. Times with UTC offsets are read in the offset most
    rows have (mixed offsets are converted to it); offsets on some rows only are a problem.
    """
    none = pd.Series(False, index=raw.index)
    if is_datetime64_any_dtype(raw):
        ts = raw
        if getattr(ts.dt, "tz", None) is not None:
            ts = ts.dt.tz_localize(None)  # keep the local wall-clock time
        return ts.astype("datetime64[us]"), none, "date-time column", []
    present = _present(raw)
    if is_bool_dtype(raw) or not is_numeric_dtype(raw):
        text = raw.astype("str").str.strip().where(present)
    else:
        numbers = raw.astype("float64")
        integral = present & (numbers % 1 == 0)
        text = numbers.where(integral).astype("Int64").astype("str").where(integral)
        if not text.dropna().str.fullmatch(_COMPACT_TEXT).all() or not integral.any():
            ts = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[us]")
            return ts, present, "numbers, not dates", []  # epoch or Excel serials: convert first
    if date_format is not None:
        fmt, how = date_format, f"date_format {date_format!r}"
        utc = "%z" in date_format
        ts = pd.to_datetime(text, format=fmt, errors="coerce", utc=utc)
        if utc:
            ts, how = ts.dt.tz_localize(None), how + ", converted to UTC"
        ts = ts.astype("datetime64[us]")
        return ts, present & ts.isna(), how, []

    values = pd.Series(text.dropna().unique(), dtype="object")
    iso = values.str.fullmatch(_ISO_TEXT)
    compact = values.str.fullmatch(_COMPACT_TEXT)
    parts = values.str.extract(_NUMERIC_DATE)
    numeric = parts[0].notna()
    styles = {"ISO 8601": iso, "YYYYMMDD": compact, "dd/mm or mm/dd": numeric}
    found = [k for k, m in styles.items() if m.any()]
    if len(found) > 1:
        listing = "; ".join(f"{k}: {_example(text, text.isin(values[styles[k]]))}" for k in found)
        return (
            none.astype("datetime64[us]"),
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
            with_offset = text.isin(values[iso][offsets])
            problems.append(
                f"column {column!r} (timestamp) has UTC offsets on some rows only "
                f"({_example(text, with_offset)}) and none on others "
                f"({_example(text, present & ~with_offset)}): the times cannot be put in one zone"
            )
    elif found[0] == "YYYYMMDD":
        fmt, how = "%Y%m%d", "YYYYMMDD"
    else:
        first = pd.to_numeric(parts[0]) > 12
        second = pd.to_numeric(parts[2]) > 12
        sep, years = parts[1].iloc[0], parts[3].str.len().max()
        day_first, month_first = first.any(), second.any()
        if day_first and month_first:
            problems.append(
                f"column {column!r} (timestamp) mixes day-first dates "
                f"({_example(text, text.isin(values[first]))}) and month-first dates "
                f"({_example(text, text.isin(values[second]))}); fix the file, or pass "
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
        return none.astype("datetime64[us]"), none, "", problems
    dayfirst = how.startswith("day-first")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "could not infer format" on 'mixed'
        ts = pd.to_datetime(text, format=fmt, errors="coerce", utc=utc, dayfirst=dayfirst)
        failed = present & ts.isna()
        if fmt not in ("mixed", "ISO8601") and 0 < failed.sum() <= _MOSTLY_BAD * present.sum():
            # same convention, other spelling (seconds, no time...): read one by one
            retried = pd.to_datetime(
                text[failed], format="mixed", errors="coerce", utc=utc, dayfirst=dayfirst
            )
            ts = ts.astype("datetime64[us, UTC]" if utc else "datetime64[us]")
            ts[failed] = retried.astype(ts.dtype)
    if utc:
        offsets = text.str.extract("(" + _OFFSET + ")")[0]
        zones = offsets.dropna().unique()
        common = offsets.value_counts().index[0] if len(zones) else "Z"
        shift = pd.Timestamp("2000-01-01T00:00" + common.replace("Z", "+00:00"))
        shift = shift.utcoffset() or pd.Timedelta(0)
        ts = ts.dt.tz_localize(None) + shift
        how += f", times in UTC{common if common != 'Z' else ''}"
        if len(zones) > 1:
            how += f" (converted from offsets {', '.join(sorted(map(str, zones)))})"
    elif getattr(ts.dt, "tz", None) is not None:
        ts = ts.dt.tz_localize(None)
    ts = ts.astype("datetime64[us]")
    return ts, present & ts.isna(), how, []


# Integral ids as text: no leading zeros (they may matter), fits int64, UCI's "17850.0" allowed.
_INTEGRAL_TEXT = r"-?(?:0|[1-9]\d{0,17})(?:\.0*)?"


def _customer_ids(raw: pd.Series) -> tuple[pd.Series, pd.Series, bool]:
    """Customer ids (Int64 when every present id is integral, else text) and the missing mask.

    UCI Online Retail stores 17850 as 17850.0: such ids become integers. Text ids with leading
    zeros ("00123") stay text, since the zeros may matter.
    """
    missing = ~_present(raw)
    if is_integer_dtype(raw):
        return raw.astype("Int64"), missing, True
    if is_float_dtype(raw):
        present = raw[~missing]
        if bool((present % 1 == 0).all() and (present.abs() < 2**53).all()):
            return raw.astype("Int64"), missing, True
        return raw.astype("str").where(~missing), missing, False
    text = raw.astype("str").str.strip().where(~missing)
    if bool(text[~missing].str.fullmatch(_INTEGRAL_TEXT).all()):
        return text.str.replace(r"\.0*$", "", regex=True).astype("Int64"), missing, True
    return text.str.replace(r"^(\d+)\.0+$", r"\1", regex=True), missing, False


def _order_ids(raw: pd.Series) -> pd.Series:
    """Order ids as text, integral floats without their '.0'; missing stays missing."""
    present = _present(raw)
    if is_numeric_dtype(raw) and not is_bool_dtype(raw):
        vals = raw.astype("float64")
        if bool((vals[present] % 1 == 0).all()):
            return vals.astype("Int64").astype("str").where(present)
        return raw.astype("str").where(present)
    text = raw.astype("str").str.strip().where(present)
    if is_string_dtype(raw) and raw.dtype != object:
        return text
    return text.str.replace(r"^(\d+)\.0+$", r"\1", regex=True)


# ----------------------------------------------------------------------------- loading


def load_transactions(
    source: str | Path | pd.DataFrame,
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
) -> tuple[pd.DataFrame, LoadAudit]:
    """Read an order log into the clean schema and account for every input row.

    Parameters
    ----------
    source : str, pathlib.Path or pandas.DataFrame
        A .csv/.tsv (optionally compressed), .parquet or .xlsx file, or a DataFrame (not
        modified).
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

    Returns
    -------
    tx : pandas.DataFrame
        The clean log (``docs/architecture.md``): ``customer_id`` (int64 when every id is
        integral, else str), ``order_id`` (str; ``"row-<n>"`` where the source has none),
        ``timestamp`` (naive datetime64[us]), ``amount`` (float64, negative on returns),
        ``is_return``, then ``quantity``, ``unit_price``, ``cost`` and the pass-through
        columns when the source has them. Index ``row``: the input row number. The line value
        is ``amount`` when given, else quantity x unit price; cost comes from ``cost``, else
        ``unit_cost`` x quantity, else amount x (1 - margin). On returns amount, quantity and
        cost are negative whatever their sign in the source.
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
    """
    if isinstance(source, pd.DataFrame):
        name = source_name or "<DataFrame>"
        frame = source
        sha = _frame_sha256(source)
        read: dict[str, Any] = {"format": "DataFrame"}
    else:
        path = Path(source)
        name = source_name or str(path)
        if path.is_dir():
            raise SchemaError(name, ["is a directory, not a file: give the order log's file"])
        if not path.is_file():
            raise FileNotFoundError(f"{name}: no such file")
        kind = _file_kind(path)
        if path.stat().st_size == 0:
            raise SchemaError(name, ["the file is empty (0 bytes)"])
        try:
            frame, read = _read_file(
                path,
                kind,
                columns,
                sheet_name=sheet_name,
                sep=sep,
                encoding=encoding,
                decimal=decimal,
            )
        except SchemaError as err:
            if source_name:
                raise SchemaError(name, err.problems) from None
            raise
        sha = _file_sha256(path)
    return _clean(
        frame,
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
    )


def _clean(
    source: pd.DataFrame,
    *,
    name: str,
    sha256: str,
    columns: Mapping[str, str] | None,
    observation_end: str | pd.Timestamp | None,
    cancellation_prefix: str | None,
    non_product_codes: Iterable[str],
    drop_duplicates: bool | None,
    strict: bool,
    date_format: str | None,
    decimal: str,
    read: dict[str, Any],
) -> tuple[pd.DataFrame, LoadAudit]:
    if problems := _duplicated_names([str(c) for c in source.columns]):
        raise SchemaError(name, problems)
    frame = source.reset_index(drop=True)  # row numbers are positions; the caller's frame stays
    frame.columns = [str(c) for c in frame.columns]
    n = len(frame)
    codes = frozenset(str(c).strip().upper() for c in non_product_codes)
    obs_end = None if observation_end is None else cutoff_day(observation_end, "observation_end")

    mapping, problems = _resolve_columns(list(frame.columns), columns)
    if n == 0:
        problems.insert(0, "the input has no rows")
    if cancellation_prefix and "order_id" not in mapping:
        problems.append("cancellation_prefix given but there is no order_id column")
    if codes and "product_id" not in mapping:
        problems.append("non_product_codes given but there is no product_id column")
    if "unit_cost" in mapping and "quantity" not in mapping and "cost" not in mapping:
        problems.append("unit_cost needs a quantity column to give a line cost")

    # Coerce every mapped column; a column mostly unreadable as its type is a schema problem.
    numbers: dict[str, pd.Series] = {}
    unreadable: dict[str, pd.Series] = {}
    for role in _NUMERIC_ROLES:
        if role in mapping:
            numbers[role], unreadable[role] = _to_number(frame[mapping[role]], decimal)
    ts = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[us]")
    dates = ""
    if "timestamp" in mapping:
        ts, unreadable["timestamp"], dates, date_problems = _to_timestamp(
            frame[mapping["timestamp"]], date_format, mapping["timestamp"]
        )
        problems += date_problems
    for role, bad in unreadable.items():
        col = frame[mapping[role]]
        n_present = int(_present(col).sum())
        kind = "dates" if role == "timestamp" else "numbers"
        if n > 0 and n_present == 0 and role in ("timestamp", "quantity", "unit_price", "amount"):
            problems.append(f"column {mapping[role]!r} ({role}) has no values")
        elif n_present and bad.sum() > _MOSTLY_BAD * n_present:
            problems.append(
                f"column {mapping[role]!r} ({role}) cannot be read as {kind}: "
                f"{int(bad.sum())} of {n_present} non-empty values are not {kind}, "
                f"{_rows_text(bad, col)}"
            )
    if "customer_id" in mapping and n > 0 and not _present(frame[mapping["customer_id"]]).any():
        problems.append(f"column {mapping['customer_id']!r} (customer_id) has no values")
    if "margin" in mapping and (numbers["margin"] > 1).any():
        over = numbers["margin"] > 1
        problems.append(
            f"column {mapping['margin']!r} (margin) must be a fraction of amount "
            f"(0.2 for 20 %): {int(over.sum())} values above 1, "
            f"{_rows_text(over, frame[mapping['margin']])}"
        )
    for role in ("quantity", "unit_price", "amount", "cost", "unit_cost"):
        huge = numbers[role].abs() > _MAX_VALUE if role in numbers else None
        if huge is not None and huge.any():
            problems.append(
                f"column {mapping[role]!r} ({role}) has values too large to be money or "
                f"quantities (above {_MAX_VALUE:,.0f} in absolute value): {_n_rows(huge)}, "
                f"{_rows_text(huge, frame[mapping[role]])}"
            )
    if problems:
        raise SchemaError(name, problems)

    # The line value, and which lines are returns (their value counts negative).
    if "amount" in numbers:
        value, value_roles = numbers["amount"], ("amount",)
    else:
        value = numbers["quantity"] * numbers["unit_price"]
        value_roles = ("quantity", "unit_price")
    raw_order = _order_ids(frame[mapping["order_id"]]) if "order_id" in mapping else None
    is_return = value < 0
    if "quantity" in numbers:
        is_return |= numbers["quantity"] < 0
    if cancellation_prefix and raw_order is not None:
        is_return |= raw_order.str.startswith(cancellation_prefix).fillna(False).astype(bool)
    value = value.where(~is_return, -value.abs())

    ids, no_customer, integral_ids = _customer_ids(frame[mapping["customer_id"]])

    flags = pd.DataFrame(False, index=frame.index, columns=list(_CHECKS))
    flags["no_customer"] = no_customer.to_numpy()
    flags["bad_timestamp"] = ts.isna().to_numpy()
    flags["bad_value"] = value.isna().to_numpy()
    if obs_end is not None:
        flags["after_observation_end"] = (ts.notna() & ~through(ts, obs_end)).to_numpy()
    load_day = pd.Timestamp.now().normalize()
    flags["future"] = (ts.notna() & ~through(ts, load_day)).to_numpy()
    if codes:
        product = frame[mapping["product_id"]].astype("str").str.strip().str.upper()
        flags["non_product"] = product.isin(codes).to_numpy()
    if drop_duplicates is None:
        drop_duplicates = "order_id" in mapping
    if drop_duplicates:
        flags["duplicate"] = frame.duplicated(keep="first").to_numpy()
    elif "order_id" not in mapping:
        flags["identical"] = frame.duplicated(keep="first").to_numpy()
    if "unit_price" in numbers:
        flags["non_positive_price"] = (numbers["unit_price"] <= 0).to_numpy()
    if "quantity" in numbers:  # no goods; a $0 amount on goods is a purchase (CDNOW)
        flags["zero_value"] = (numbers["quantity"] == 0).to_numpy()
    flags["return"] = is_return.to_numpy()
    flags.index.name = "row"

    # Outcome = first check that applies (precedence = column order), "kept" when none.
    code_of = np.full(n, len(_CHECKS), dtype="int64")
    for i in reversed(range(len(_CHECKS))):
        code_of[flags.iloc[:, i].to_numpy()] = i
    outcomes = pd.Series(
        pd.Categorical.from_codes(code_of, categories=list(REASONS)),
        index=flags.index,
        name="outcome",
    )

    if strict:
        # Rows that would be dropped for an unreadable timestamp or value, and unreadable
        # optional numbers, become one error naming column and rows.
        row_problems = []
        checks = [("timestamp", outcomes.eq("bad_timestamp"))]
        checks += [
            (r, outcomes.eq("bad_value") & (unreadable[r] | ~_present(frame[mapping[r]])))
            for r in value_roles
        ]
        checks += [(r, unreadable[r]) for r in ("cost", "unit_cost", "margin") if r in mapping]
        for role, at_fault in checks:
            if at_fault.any():
                row_problems.append(
                    f"column {mapping[role]!r} ({role}): {_n_rows(at_fault)} missing or "
                    f"unparseable, {_rows_text(at_fault, frame[mapping[role]])}"
                )
        if row_problems:
            raise SchemaError(name, row_problems)

    keep = outcomes.isin(_KEPT).to_numpy()
    rows = frame.index[keep]
    tx = pd.DataFrame(index=pd.Index(rows, name="row"))
    customer = ids[keep]
    tx["customer_id"] = customer.astype("int64") if integral_ids else customer.astype("str")
    if raw_order is not None:
        synthetic = "row-" + pd.Series(rows, index=rows).astype("str")
        tx["order_id"] = raw_order[keep].fillna(synthetic).astype("str")
    else:
        tx["order_id"] = ("row-" + pd.Series(rows, index=rows).astype("str")).astype("str")
    tx["timestamp"] = ts[keep]
    tx["amount"] = value[keep].astype("float64")
    tx["is_return"] = is_return[keep].astype(bool)
    sign = np.where(tx["is_return"], -1.0, 1.0)
    if "quantity" in numbers:
        tx["quantity"] = numbers["quantity"][keep].abs() * sign
    if "unit_price" in numbers:
        tx["unit_price"] = numbers["unit_price"][keep]
    if "cost" in numbers:
        tx["cost"] = numbers["cost"][keep].abs() * sign
    elif "unit_cost" in numbers:
        tx["cost"] = (numbers["unit_cost"][keep] * tx["quantity"].abs()).abs() * sign
    elif "margin" in numbers:
        tx["cost"] = tx["amount"] * (1.0 - numbers["margin"][keep])
    for role in _PASS_THROUGH:
        if role in mapping:
            tx[role] = frame.loc[keep, mapping[role]].to_numpy()

    # Unparseable values keep their text in the audit, and their money where a number can
    # be read at all, so that the input's value is the file's whatever was dropped.
    unparsed = [
        pd.DataFrame(
            {
                "row": frame.index[bad],
                "role": role,
                "column": mapping[role],
                "raw": frame.loc[bad, mapping[role]].astype("str"),
            }
        )
        for role, bad in unreadable.items()
        if bad.any()
    ]
    audit_value = value
    if any(unreadable[r].any() for r in value_roles):
        parts = {r: numbers[r].copy() for r in value_roles}
        for role, values in parts.items():
            bad = unreadable[role]
            values[bad] = _lenient_number(frame.loc[bad, mapping[role]], decimal)
        lenient = parts["amount"] if "amount" in parts else parts["quantity"] * parts["unit_price"]
        audit_value = value.fillna(lenient.where(~is_return, -lenient.abs()))

    audit = LoadAudit(
        source=name,
        sha256=sha256,
        n_input_rows=n,
        input_value=float(audit_value.fillna(0.0).sum()),
        outcomes=outcomes,
        flags=flags,
        values=audit_value.rename("value").rename_axis("row"),
        columns=mapping,
        unparsed=(
            pd.concat(unparsed, ignore_index=True)
            if unparsed
            else pd.DataFrame(columns=["row", "role", "column", "raw"])
        ),
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
    )
    return tx, audit


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
) -> tuple[pd.DataFrame, LoadAudit]:
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
    strict : bool, default False
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
