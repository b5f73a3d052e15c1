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
``bad_timestamp``           dropped  timestamp missing or unparseable, or before 1900 (a
                                     placeholder such as 0001-01-01, never a purchase)
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

import contextlib
from collections.abc import Iterable, Mapping
from os import PathLike
from pathlib import Path
from typing import Any

import ibis
import pandas as pd

from clvlib.data import engine
from clvlib.data.audit import REASONS, LoadAudit, SchemaError, SourceNotFoundError
from clvlib.data.classify import classify
from clvlib.data.customers import load_customers
from clvlib.data.dates import cutoff_day
from clvlib.data.log import to_frame
from clvlib.data.roles import ROLES
from clvlib.data.sources import (
    _file_kind,
    _header,
    _ibis_source,
    check_file,
    file_errors,
    open_source,
    option_problems,
)
from clvlib.data.values import thousands_problems

# The loader's own names, and those of the modules it draws on that users reach through it
# (the audit and its reasons, the roles, the pandas form of a lazy log, the customer table).
__all__ = [
    "ONLINE_RETAIL_NON_PRODUCT",
    "REASONS",
    "ROLES",
    "LoadAudit",
    "SchemaError",
    "SourceNotFoundError",
    "load_customers",
    "load_online_retail",
    "load_transactions",
    "to_frame",
]


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
    thousands: str | None = None,
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
    non_product_codes : str or iterable of str
        ``product_id`` values that are charges or fees, not goods (matched ignoring case); a
        string is one code.
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
        One time-zone rule for every source: a time is the wall-clock time where the order
        was recorded. A zone-aware column (Parquet, DataFrame) is read in its own zone, text
        with UTC offsets as written with the offset dropped, so the same order lands on the
        same day from every format (``docs/loading.md``).
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
    thousands : str, optional
        Thousands separator of numbers in text: ``","`` (``"1,234.50"``), ``"."``, ``" "``
        (also no-break spaces) or ``"'"``, each before a group of three digits; ``""`` for
        none. None (default): ``"."`` with ``decimal=","``, else none, and a column whose
        values could be dot-grouped thousands ('1.500' in a semicolon file) must prove a
        decimal point or is refused. A number written otherwise (another separator, a
        currency or unit) is a :class:`SchemaError` naming its rows, never a dropped row.
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
        decodable, corrupt, a directory, a FIFO, a missing sheet, duplicated column names, a
        column named with clvlib's prefix ``_clvlib_``), options that are wrong (``columns``
        not a mapping, an ``observation_end`` that is no date) and line values too large to
        be money.
    SourceNotFoundError
        A :class:`SchemaError` that is also a :class:`FileNotFoundError`: no file at the
        path, or a symbolic link that leads nowhere.

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
    problems = option_problems(sep=sep, decimal=decimal, columns=columns)
    problems += thousands_problems(thousands, decimal)
    if observation_end is not None:
        try:
            cutoff_day(observation_end, "observation_end")
        except ValueError as err:
            problems.append(str(err))
    if problems:
        default = "<ibis.Table>" if isinstance(source, ibis.Table) else "<DataFrame>"
        shown = str(source) if isinstance(source, str | PathLike) else default
        raise SchemaError(source_name or shown, problems)
    if isinstance(non_product_codes, str):  # one code, not its letters
        non_product_codes = (non_product_codes,)
    read: dict[str, Any]
    if isinstance(source, ibis.Table):
        name = source_name or "<ibis.Table>"
        src, sha, scan = _ibis_source(source), None, contextlib.nullcontext()
        read = {"format": f"ibis table ({engine.backend_of(source).name})"}
    else:
        default = "<DataFrame>" if isinstance(source, pd.DataFrame) else str(Path(source))
        name = source_name or default
        src, sha, read, scan = open_source(
            source,
            name,
            columns=columns,
            sheet_name=sheet_name,
            sep=sep,
            encoding=encoding,
            decimal=decimal,
        )
    with scan:
        return classify(
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
            thousands=thousands,
            read=read,
            lazy=lazy,
        )


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
        name = str(file)
        check_file(file, name)
        with file_errors(file, name):
            names = _header(file, _file_kind(file), sheet_name=None)
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
