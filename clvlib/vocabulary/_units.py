"""How a number in a unit reads: the one number formatter of every layer."""

from __future__ import annotations

import math
import re
from typing import Literal

#: the unit of a value: a fraction shown as a percentage, currency, a count, a plain number
Kind = Literal["share", "money", "count", "number", "text"]

_NEGATIVE_ZERO = re.compile(r"(?<![\w.])-(0(?:\.0+)?)(?![\d.])")


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def magnitude(value: float) -> str:
    """A number of any size in words a reader knows: ``4.75 × 10⁻⁷``, ``17,900``, ``0.25``.

    For sentences about values far from 1 (a model parameter near 0 or infinity), where
    :func:`format_number` would round to 0; never scientific notation.

    Examples
    --------
    >>> magnitude(4.75e-7)
    '4.75 × 10⁻⁷'
    >>> magnitude(17912.3)
    '17,912'
    """
    size = abs(value)
    if size == 0 or 1e-3 <= size < 1e6:
        return clean_zero(number(float(value), "number"))
    exponent = math.floor(math.log10(size))
    mantissa = value / 10.0**exponent
    return f"{mantissa:.3g} × 10{str(exponent).translate(_SUPERSCRIPT)}"


def number(value: float, kind: Kind) -> str:
    """A finite number in a unit: shares as percentages, money and counts with separators.

    The sign of a value that rounds to zero is kept (``-0.00``); :func:`format_number` drops
    it.

    Examples
    --------
    >>> number(0.6244, "share")
    '62.4%'
    >>> number(0.012345, "number")
    '0.0123'
    """
    if kind == "share":
        return f"{value:.1%}"
    if kind == "count" and float(value).is_integer():
        return f"{value:,.0f}"
    if kind == "money":
        return f"{value:,.0f}" if abs(value) >= 10_000 else f"{value:,.2f}"
    size = abs(value)
    if size >= 1000:
        return f"{value:,.0f}"
    if size == 0:
        return "0"
    decimals = min(max(2 - math.floor(math.log10(size)), 0), 4)
    text = f"{value:,.{decimals}f}"
    return text if re.search(r"[1-9]", text) else "0"  # below the shown precision


def clean_zero(text: str) -> str:
    """``-0.00``, ``-0.0%`` (alone or inside a sentence) read as ``0.00`` and ``0.0%``.

    Examples
    --------
    >>> clean_zero("a change of -0.0% in a month")
    'a change of 0.0% in a month'
    """
    return _NEGATIVE_ZERO.sub(lambda match: match.group(1), text)


def format_number(value: float | None, unit: Kind = "number") -> str:
    """A number as a reader sees it in its unit: ``format(value, unit)`` of every page.

    Shares as percentages with one decimal; money with thousands separators and two decimals
    (none from 10,000 on); counts as integers with separators; other numbers with three
    significant digits (at most four decimals), never in scientific notation; never ``-0``;
    a missing value (None, NaN) as a dash and infinity as ``∞``. An integer that is not a
    share is shown whole, with separators.

    Parameters
    ----------
    value : float, int or None
        The number.
    unit : {"share", "money", "count", "number", "text"}, default "number"
        Its unit (:data:`Kind`): a term's ``unit`` in the vocabulary.

    Examples
    --------
    >>> format_number(0.1234, "share")
    '12.3%'
    >>> format_number(1234.5678, "money")
    '1,234.57'
    >>> format_number(6_104_000.0, "money")
    '6,104,000'
    >>> format_number(62825, "count")
    '62,825'
    >>> format_number(-0.0001, "share")
    '0.0%'
    >>> format_number(2.66e-11)
    '0'
    >>> format_number(float("nan"), "money")
    '–'
    """
    if value is None or value != value:  # NaN is the one value unequal to itself
        return "–"
    if isinstance(value, int) and not isinstance(value, bool) and unit != "share":
        return f"{value:,}"
    value = float(value)
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    return clean_zero(number(value, unit))


_KEEPS_CASE = re.compile(r"[a-z]-")  # "k-means": a name written in lower case


def heading(label: str) -> str:
    """A label (written as it reads inside a sentence) as a heading: first letter capital.

    For table headers, axis titles and chart titles; a name spelt in lower case (``k-means``)
    keeps its case.

    Examples
    --------
    >>> heading("heuristic CLV")
    'Heuristic CLV'
    >>> heading("k-means")
    'k-means'
    """
    if _KEEPS_CASE.match(label):
        return label
    return label[:1].upper() + label[1:]
