"""The value basis: profit where costs are known, else margin x revenue — decided here only.

Every method that speaks of a customer's "value" (historic CLV, value tiers, RFM exports,
the heuristic's margin per period, the first order's profit) asks :func:`value_basis`.
"""

from __future__ import annotations

import pandas as pd

from clvlib.data.checks import rows_at_fault
from clvlib.methods._frames import _align, _require_columns


def _value_basis(summary: pd.DataFrame) -> tuple[str, str]:
    """The one rule for "value": gross profit where costs are known, else net revenue.

    Returns the summary column and the basis label ("profit" or "revenue").
    """
    if "gross_profit" in summary.columns:
        return "gross_profit", "profit"
    _require_columns(summary, ["total_value"], "summary")
    return "total_value", "revenue"


def _customer_values(
    summary: pd.DataFrame, value: str | pd.Series | None, what: str
) -> tuple[pd.Series, str]:
    """Value per customer aligned on ``summary.index``: a column, a Series or the default."""
    if value is None:
        column, basis = _value_basis(summary)
        values, label = summary[column], f"{column} ({basis})"
    elif isinstance(value, str):
        _require_columns(summary, [value], "summary")
        values, label = summary[value], value
    else:
        values, label = _align(summary, value, what), value.name or what
    values = values.astype("float64")
    if values.isna().any():
        raise ValueError(f"{label} is missing in {rows_at_fault(values.isna())}")
    return values, str(label)


# --------------------------------------------------------------------------- historic CLV


def historic_clv(summary: pd.DataFrame, *, subtract_cac: bool = False) -> pd.Series:
    """Historic CLV: the value each customer has brought to date.

    Value is ``gross_profit`` where the summary has it (costs known), else ``total_value``
    (net revenue: purchases minus returns). Both are net of returns, so a customer who
    returned more than they kept has a negative historic CLV.

    Parameters
    ----------
    summary : pandas.DataFrame
        Customer summary indexed by ``customer_id``.
    subtract_cac : bool, default False
        Subtract the summary's ``cac`` column (acquisition cost) from the value.

    Returns
    -------
    pandas.Series
        Named ``historic_clv``, indexed by ``customer_id``; ``attrs["basis"]`` is "profit" or
        "revenue", ``attrs["column"]`` the summary column used and ``attrs["cac"]`` whether
        the CAC was subtracted.
    """
    column, basis = _value_basis(summary)
    values, _ = _customer_values(summary, None, "value")
    if subtract_cac:
        _require_columns(summary, ["cac"], "summary")
        cac = summary["cac"].astype("float64")
        if cac.isna().any():
            raise ValueError(f"cac is missing in {rows_at_fault(cac.isna())}")
        values = values - cac
    out = values.rename("historic_clv")
    out.attrs.update(basis=basis, column=column, cac=subtract_cac)
    return out
