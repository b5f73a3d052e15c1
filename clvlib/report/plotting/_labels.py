"""Axis titles of the plots: a column in words, with its unit.

The one convention of every plot: a customer-summary column reads as words (never
``since_last_order``), money carries the page's currency
(:func:`clvlib.vocabulary.money_unit`: "€", or "currency units" when none is set) and a
duration its time unit ("days", "weeks", "months").
"""

from __future__ import annotations

from clvlib.report.formatting import PERIOD_WORDS, kind_of, label
from clvlib.vocabulary import TERMS, money_unit

#: columns whose words on an axis differ from the vocabulary's label
_WORDS = {
    "since_last_order": "time since last order",
    "T": "customer age T",
    "recency": "BTYD recency",
    "n_orders": "number of orders",
    "frequency": "BTYD frequency (repeat purchase periods)",
    "total_value": "net total value",
    "monetary_value": "BTYD monetary value",
}
#: columns that are durations in the summary's time unit
_DURATIONS = frozenset({"since_last_order", "T", "recency"})


def words(column: str) -> str:
    """A column in words, as inside a sentence: ``since_last_order`` -> "time since last order".

    Examples
    --------
    >>> words("since_last_order"), words("avg_order_value"), words("total_value")
    ('time since last order', 'average order value', 'net total value')
    """
    if column in _WORDS:
        return _WORDS[column]
    text = TERMS[column].label if column in TERMS else label(column)
    return text if text[:2].isupper() else text[:1].lower() + text[1:]


def axis_label(column: str, time_unit: str = "D") -> str:
    """An axis title for a summary column: its words and its unit.

    Examples
    --------
    >>> from clvlib.vocabulary import use_currency
    >>> with use_currency("EUR"):
    ...     axis_label("total_value"), axis_label("since_last_order", "W")
    ('net total value (€)', 'time since last order (weeks)')
    >>> axis_label("n_orders"), axis_label("gross_profit")
    ('number of orders', 'gross profit (currency units)')
    """
    text = words(column)
    if column in _DURATIONS:
        return f"{text} ({PERIOD_WORDS.get(time_unit, time_unit)})"
    if kind_of(column) == "money":
        return f"{text} ({money_unit()})"
    return text
