"""The RFM axes and the customer-summary columns they read, without scikit-learn.

:mod:`clvlib.methods.rfm` (the scorer) and :mod:`clvlib.methods.rules` (rule sets) share
these names; the report runner checks a rule set's parameters through :mod:`~clvlib.methods.rules`
before any kernel starts, so that check must not pay for importing scikit-learn and SciPy.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

AXES: tuple[str, ...] = ("r", "f", "m")
SCORE_COLUMNS: dict[str, str] = {"r": "r_score", "f": "f_score", "m": "m_score"}
RECENCY_COL = "since_last_order"
FREQUENCY_COL = "n_orders"
MONETARY_COLS: dict[str, str] = {
    "total": "total_value",
    "average": "avg_order_value",
    "profit": "gross_profit",
}
_MAX_SHOWN = 5  # ids shown in an error message


def _show(ids: Iterable[Any]) -> str:
    """The first few ids, for an error message (``'a', 'b' and 3 more``)."""
    ids = list(ids)
    more = f" and {len(ids) - _MAX_SHOWN} more" if len(ids) > _MAX_SHOWN else ""
    return ", ".join(repr(i) for i in ids[:_MAX_SHOWN]) + more
