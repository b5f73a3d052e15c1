"""The currency money is shown in: one setting per page, read by every money formatter.

A report page shows one data set, whose money is in one currency (the ``currency``
parameter, an ISO 4217 code). :func:`use_currency` sets it for the page (the notebook's
first load does, :func:`clvlib.notebook.load_data`) or for a block (``with
use_currency("GBP"): ...``); :func:`clvlib.vocabulary.format_number` and
:func:`~clvlib.vocabulary.format_fixed` then write money with its symbol, and
:func:`money_unit` names it in a column header or an axis title. No currency set (``""``):
amounts are written as plain numbers and headers say "currency units".
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator

__all__ = [
    "CURRENCY_CODE",
    "currency",
    "money_unit",
    "set_currency",
    "use_currency",
    "with_currency",
]

#: an ISO 4217 code: three capital letters
CURRENCY_CODE = re.compile(r"^[A-Z]{3}$")

#: codes written as a symbol before the amount (the others as the code after it)
_SYMBOLS = {"EUR": "€", "GBP": "£", "USD": "$", "JPY": "¥", "INR": "₹", "CNY": "¥"}

#: the currency of the page (one per process: a page's kernel shows one data set)
_CURRENCY = {"code": ""}


def currency() -> str:
    """The currency set for money now (an ISO code, or '' when none is)."""
    return _CURRENCY["code"]


@contextlib.contextmanager
def use_currency(code: str | None) -> Iterator[str]:
    """Write money in ``code`` (an ISO 4217 code; '' or None: no currency) inside the block.

    Examples
    --------
    >>> from clvlib.vocabulary import format_number
    >>> with use_currency("GBP"):
    ...     format_number(1234.5, "money")
    '£1,234.50'
    >>> format_number(1234.5, "money")
    '1,234.50'
    """
    before = _CURRENCY["code"]
    _CURRENCY["code"] = _checked(code)
    try:
        yield _CURRENCY["code"]
    finally:
        _CURRENCY["code"] = before


def set_currency(code: str | None) -> None:
    """Write money in ``code`` from now on in this context (a page's kernel sets it once)."""
    _CURRENCY["code"] = _checked(code)


def _checked(code: str | None) -> str:
    code = (code or "").strip().upper()
    if code and not CURRENCY_CODE.match(code):
        raise ValueError(f"currency must be an ISO 4217 code such as EUR, GBP or USD; got {code!r}")
    return code


def with_currency(amount: str) -> str:
    """An amount already formatted (``1,234.50``, ``-4.00``) with the currency set.

    Symbols stand before the number, after its sign (``-€4.00``); other codes after it
    (``1,234.50 CHF``).

    Examples
    --------
    >>> with use_currency("EUR"):
    ...     with_currency("-4.00"), with_currency("+12")
    ('-€4.00', '+€12')
    >>> with use_currency("CHF"):
    ...     with_currency("1,234.50")
    '1,234.50 CHF'
    """
    code = currency()
    if not code or amount in ("–", "∞", "−∞"):
        return amount
    symbol = _SYMBOLS.get(code)
    if symbol is None:
        return f"{amount} {code}"
    sign = amount[0] if amount[:1] in "+-−" else ""
    return f"{sign}{symbol}{amount[len(sign) :]}"


def money_unit() -> str:
    """The money unit for a header or an axis title: ``€``, ``CHF`` or ``currency units``.

    Examples
    --------
    >>> with use_currency("USD"):
    ...     money_unit()
    '$'
    >>> money_unit()
    'currency units'
    """
    code = currency()
    return _SYMBOLS.get(code, code) if code else "currency units"
