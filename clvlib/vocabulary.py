"""The words and units of clvlib: how a number in a unit reads on a page.

Data and pure functions only, importing nothing of clvlib, so every layer (the loader's
messages, the models' warnings, the comparison's sentences, the pages) may read it without an
import running upwards.
"""

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
    :func:`format_value` would round to 0; never scientific notation.
    """
    size = abs(value)
    if size == 0 or 1e-3 <= size < 1e6:
        return clean_zero(number(float(value), "number"))
    exponent = math.floor(math.log10(size))
    mantissa = value / 10.0**exponent
    return f"{mantissa:.3g} × 10{str(exponent).translate(_SUPERSCRIPT)}"


def number(value: float, kind: Kind) -> str:
    """A finite number in a unit: shares as percentages, money and counts with separators."""
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
    """``-0.00``, ``-0.0%`` (alone or inside a sentence) read as ``0.00`` and ``0.0%``."""
    return _NEGATIVE_ZERO.sub(lambda match: match.group(1), text)
