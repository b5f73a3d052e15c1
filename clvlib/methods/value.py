"""The value basis: profit where costs are known, else margin x revenue — decided here only.

Every method that speaks of a customer's "value" (historic CLV, value tiers, RFM exports,
the heuristic's margin per period, the first order's profit) asks :func:`value_basis`.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import pandas as pd

from clvlib.data.checks import rows_at_fault
from clvlib.methods._frames import _align, _require_columns


class ValueBasis(NamedTuple):
    """What "value" means for one data set (see :func:`value_basis`).

    Attributes
    ----------
    basis : {"profit", "revenue"}
        Profit where costs are known, else revenue (times ``margin``).
    column : str
        The customer summary's column of that value: ``gross_profit`` or ``total_value``.
    margin : float or None
        The margin applied to revenue; None where profit is known (no margin needed).
    """

    basis: str
    column: str
    margin: float | None

    @property
    def costs_known(self) -> bool:
        """True when value is profit (the data carry costs)."""
        return self.basis == "profit"

    def realised_margin(self, summary: pd.DataFrame) -> float:
        """Margin as a fraction of net revenue: gross profit / net value, else ``margin``.

        Examples
        --------
        >>> summary = pd.DataFrame({"total_value": [100.0, 300.0], "gross_profit": [30.0, 90.0]})
        >>> value_basis(summary).realised_margin(summary)
        0.3
        >>> value_basis(["total_value"], margin=0.2).realised_margin(summary)
        0.2
        """
        if self.costs_known:
            return float(summary["gross_profit"].sum() / summary["total_value"].sum())
        return float(self.margin)


def value_basis(data: Any, *, margin: float | None = None) -> ValueBasis:
    """The one rule for "value": profit where costs are known, else margin x revenue.

    Costs are known when a customer summary has ``gross_profit`` or a transaction log has
    ``cost``. Then value is profit and no margin is applied; else value is net revenue
    times ``margin`` (1.0 when not given: revenue itself, as historic CLV and the value
    tiers use it).

    Parameters
    ----------
    data : pandas.DataFrame, ibis.Table or iterable of str
        A customer summary, a transaction log, or their column names.
    margin : float, optional
        Gross margin as a fraction of revenue (20 % is 0.2), used where costs are unknown.

    Returns
    -------
    ValueBasis
        ``(basis, column, margin)``.

    Examples
    --------
    >>> value_basis(["total_value", "gross_profit"], margin=0.2)
    ValueBasis(basis='profit', column='gross_profit', margin=None)
    >>> value_basis(["total_value"], margin=0.2)
    ValueBasis(basis='revenue', column='total_value', margin=0.2)
    >>> value_basis(["customer_id", "amount", "cost"]).costs_known
    True
    """
    names = set(data.columns if hasattr(data, "columns") else data)
    if "gross_profit" in names or "cost" in names:
        return ValueBasis("profit", "gross_profit", None)
    return ValueBasis("revenue", "total_value", 1.0 if margin is None else margin)


def _customer_values(
    summary: pd.DataFrame, value: str | pd.Series | None, what: str
) -> tuple[pd.Series, str]:
    """Value per customer aligned on ``summary.index``: a column, a Series or the default."""
    if value is None:
        basis = value_basis(summary)
        _require_columns(summary, [basis.column], "summary")
        values, label = summary[basis.column], f"{basis.column} ({basis.basis})"
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

    Examples
    --------
    >>> summary = pd.DataFrame(
    ...     {"total_value": [120.0, 40.0, -10.0], "gross_profit": [30.0, 12.0, -4.0]},
    ...     index=pd.Index([1, 2, 3], name="customer_id"))
    >>> clv = historic_clv(summary)
    >>> clv.tolist(), clv.attrs["basis"]
    ([30.0, 12.0, -4.0], 'profit')
    >>> historic_clv(summary.drop(columns="gross_profit")).attrs["basis"]
    'revenue'
    """
    basis = value_basis(summary)
    values, _ = _customer_values(summary, None, "value")
    if subtract_cac:
        _require_columns(summary, ["cac"], "summary")
        cac = summary["cac"].astype("float64")
        if cac.isna().any():
            raise ValueError(f"cac is missing in {rows_at_fault(cac.isna())}")
        values = values - cac
    out = values.rename("historic_clv")
    out.attrs.update(basis=basis.basis, column=basis.column, cac=subtract_cac)
    return out
