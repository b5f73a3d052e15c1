"""How a number in a unit reads: the one number formatter of every layer."""

from __future__ import annotations

import math
import re
from typing import Literal

from clvlib.vocabulary._money import with_currency

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

    Money carries the currency of the page when one is set
    (:func:`clvlib.vocabulary.use_currency`).
    """
    if value is None or value != value:  # NaN is the one value unequal to itself
        return "–"
    if isinstance(value, int) and not isinstance(value, bool) and unit != "share":
        return f"{value:,}"
    value = float(value)
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    text = clean_zero(number(value, unit))
    return with_currency(text) if unit == "money" else text


#: A number inside a sentence of the comparison (the winner rule's prose, the summary, the
#: verdict across data sets): a fixed precision, so that every method's value on a measure
#: shows the same decimals and values line up from one cut-off or data set to the next.
Fixed = Literal[
    "percent",
    "whole_percent",
    "points",
    "pt",
    "change_percent",
    "percent_points",
    "decimal3",
    "decimal2",
    "cents",
    "whole",
]

#: unit -> (factor, format spec, suffix) of :func:`format_fixed`
_FIXED: dict[str, tuple[float, str, str]] = {
    "percent": (100.0, ".1f", " %"),  # a share: 53.0 %
    "whole_percent": (100.0, ",.0f", " %"),  # a share to the whole percent: 35 %
    "points": (100.0, ".1f", " points"),  # a difference of two shares: 4.8 points
    "pt": (100.0, ".1f", " pt"),  # the same in a table cell: +2.4 pt
    "change_percent": (1.0, ",.0f", " %"),  # a change already in percent, signed: +22 %
    "percent_points": (1.0, ",.0f", " points"),  # a difference of two of those: 12 points
    "decimal3": (1.0, ".3f", ""),  # a coefficient (Spearman, AUC, Gini, lift): 0.349
    "decimal2": (1.0, ".2f", ""),  # an agreement index (ARI, NMI): 0.17
    "cents": (1.0, ",.2f", ""),  # money to the cent, however large: 54.47 (€54.47)
    "whole": (1.0, ",.0f", ""),  # a count or an amount to the unit: 234,817
}
#: units whose values always show their sign (a change: +22 %, -7 %)
_SIGNED = frozenset({"change_percent"})


def format_fixed(value: float | None, unit: Fixed, *, signed: bool = False) -> str:
    """A number inside a sentence, at the fixed precision of its unit.

    :func:`format_number`'s counterpart for prose, where the values of several methods must
    line up. Shares read as percentages with a space (``53.0 %``), differences of shares as points;
    coefficients with three decimals, money to the cent. ``signed``: a difference, with its
    sign (``+0.018``); one that rounds to zero has none (``0.000``: ``-0.000`` would read as
    a value below 0). Unsigned values are written as Python rounds them (a random score's
    Spearman of ``-0.000`` keeps its sign). A missing value (None, NaN) reads as a dash,
    infinity as ``∞``.

    Parameters
    ----------
    value : float, int or None
        The number (a share as a fraction: 0.53 for ``53.0 %``).
    unit : {"percent", "whole_percent", "points", "pt", "change_percent", "percent_points", \
"decimal3", "decimal2", "cents", "whole"}
        Its unit in a sentence (:data:`Fixed`); a metric's is its entry's
        :attr:`~clvlib.vocabulary.Term.sentence_unit`.
    signed : bool, default False
        Show the sign of a difference (always shown for a ``"change_percent"``).

    Examples
    --------
    >>> format_fixed(0.5302, "percent"), format_fixed(0.0479, "points")
    ('53.0 %', '4.8 points')
    >>> format_fixed(0.0183, "decimal3", signed=True), format_fixed(-2e-4, "decimal3", signed=True)
    ('+0.018', '0.000')
    >>> format_fixed(21.7, "change_percent"), format_fixed(234817.4, "whole")
    ('+22 %', '234,817')
    >>> format_fixed(float("nan"), "cents")
    '–'
    """
    if value is None or value != value:  # NaN is the one value unequal to itself
        return "–"
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    factor, spec, suffix = _FIXED[unit]
    signed = signed or unit in _SIGNED
    text = format(factor * value, ("+" if signed else "") + spec)
    if signed and not re.search(r"[1-9]", text):  # rounds to zero: no sign
        text = text[1:]
    return with_currency(text) if unit == "cents" else text + suffix


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
