"""The one written definition of every column and metric clvlib reports.

Reports print :func:`glossary` so that a reader never has to guess which convention a
number follows (domain.md §3: BTYD recency/frequency are not the marketing RFM ones).
Modules add their own terms here rather than defining them in prose elsewhere.
"""

from __future__ import annotations

import pandas as pd

# term -> (convention, definition). Durations are in the summary's time unit.
TERMS: dict[str, tuple[str, str]] = {
    "frequency": (
        "BTYD",
        "Repeat purchase periods: distinct purchase days (periods) minus 1. "
        "Several orders on one day are one purchase.",
    ),
    "recency": (
        "BTYD",
        "Age of the customer at the last purchase: last purchase minus first purchase. "
        "High is good. Not 'time since last order'.",
    ),
    "T": ("BTYD", "Age of the customer: observation end minus first purchase."),
    "monetary_value": (
        "BTYD",
        "Mean value of the repeat purchase periods (first period excluded); 0 when frequency is 0.",
    ),
    "since_last_order": (
        "RFM",
        "R: observation end minus last purchase ('days since last order'). Low is good.",
    ),
    "n_orders": ("RFM", "F: number of distinct orders, the first one included."),
    "total_value": ("RFM", "M (total): purchases minus returns to the observation end (net)."),
    "avg_order_value": ("RFM", "M (average): gross purchase value divided by n_orders."),
    "returned_value": ("RFM", "Value of returned or cancelled lines (a positive number)."),
    "gross_profit": ("RFM", "total_value minus the cost of the goods (when costs are known)."),
    "observation_end": (
        "both",
        "Cut-off date, whole day included; nothing after it is used.",
    ),
}


def glossary(terms: list[str] | None = None) -> pd.DataFrame:
    """Return the glossary as a table (term, convention, definition).

    Parameters
    ----------
    terms : list of str, optional
        Only these terms, in this order; all terms when omitted.
    """
    names = list(TERMS) if terms is None else terms
    unknown = [t for t in names if t not in TERMS]
    if unknown:
        raise KeyError(f"no glossary entry for {unknown}; known terms: {sorted(TERMS)}")
    rows = [(t, *TERMS[t]) for t in names]
    return pd.DataFrame(rows, columns=["term", "convention", "definition"]).set_index("term")
