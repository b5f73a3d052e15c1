"""The closed-form CLV formulas: simple CLV, its sensitivity, discounted CLV.

- the simple formula and its economic variant, :func:`clv_simple` and
  :func:`clv_simple_cac_after_margin`, with :func:`clv_sensitivity` for the four levers;
- the discounted CLV of a retained customer, :func:`clv_discounted`, and the expected
  number of surviving periods within a horizon that :class:`~clvlib.methods.heuristic.HeuristicCLV`
  forecasts with.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from clvlib.methods._frames import _as_float, _check_range, _finish

_LEVERS = ("aov", "purchases", "cac", "margin")


def _simple_levers(aov, purchases, cac, margin) -> tuple:
    aov, purchases = _as_float(aov), _as_float(purchases)
    cac, margin = _as_float(cac), _as_float(margin)
    _check_range("purchases", purchases, 0, np.inf)
    _check_range("cac", cac, 0, np.inf)
    _check_range("margin", margin, 0, 1, " (a fraction: 20 % is 0.2)")
    return aov, purchases, cac, margin


# --------------------------------------------------------------------------- simple CLV


def clv_simple(aov, purchases, cac, margin):
    """Simple CLV as the practitioners' formula states it: ``[(AOV x purchases) - CAC] x margin``.

    This is the textbook formula the analysts know; it applies the margin to the CAC as well,
    i.e. it treats the acquisition cost as if it were revenue forgone. Its economic sibling,
    :func:`clv_simple_cac_after_margin`, subtracts the CAC from the margin instead; reports
    show both so that nobody mistakes one for the other.

    Parameters
    ----------
    aov : float, array-like or pandas.Series
        Average order value, in currency.
    purchases : float, array-like or pandas.Series
        Number of purchases over the customer's lifetime (>= 0).
    cac : float, array-like or pandas.Series
        Customer acquisition cost, in currency (>= 0).
    margin : float, array-like or pandas.Series
        Gross margin as a fraction in [0, 1] (20 % is 0.2).

    Returns
    -------
    float, numpy.ndarray or pandas.Series
        CLV in currency; a float for scalar inputs, a Series (named ``clv_simple``) when any
        input is a Series, an array otherwise. Inputs broadcast as numpy / pandas do.

    Notes
    -----
    CLV rises with AOV and purchases and falls with CAC. It rises with the margin only while
    AOV x purchases >= CAC: when the CAC exceeds the gross value, the margin scales a loss.

    Examples
    --------
    >>> round(clv_simple(90, 3, 6, 0.2), 2)
    52.8
    """
    aov, purchases, cac, margin = _simple_levers(aov, purchases, cac, margin)
    return _finish((aov * purchases - cac) * margin, "clv_simple")


def clv_simple_cac_after_margin(aov, purchases, cac, margin):
    """Simple CLV with the CAC subtracted after the margin: ``AOV x purchases x margin - CAC``.

    The economically usual form: the acquisition cost is paid in full, out of the margin the
    customer brings. Same parameters and return types as :func:`clv_simple`; the result is
    lower than the textbook formula by ``CAC x (1 - margin)``.

    Examples
    --------
    >>> round(clv_simple_cac_after_margin(90, 3, 6, 0.2), 2)
    48.0
    """
    aov, purchases, cac, margin = _simple_levers(aov, purchases, cac, margin)
    return _finish(aov * purchases * margin - cac, "clv_simple_cac_after_margin")


_FORMULAS = {"simple": clv_simple, "cac_after_margin": clv_simple_cac_after_margin}


def clv_sensitivity(
    aov: float,
    purchases: float,
    cac: float,
    margin: float,
    *,
    change: float = 0.10,
    formula: str = "simple",
) -> pd.DataFrame:
    """What a relative change of each lever does to the simple CLV (one lever at a time).

    Parameters
    ----------
    aov, purchases, cac, margin : float
        The four levers, as in :func:`clv_simple`.
    change : float, default 0.10
        Relative change applied to each lever, down and up (0.10 is ±10 %).
    formula : {"simple", "cac_after_margin"}
        :func:`clv_simple` or :func:`clv_simple_cac_after_margin`.

    Returns
    -------
    pandas.DataFrame
        One row per lever and direction (8 rows): ``lever``, ``change`` (relative, e.g.
        -0.1), ``lever_value`` (the changed lever), ``base_clv``, ``clv``, ``delta``
        (clv - base_clv, currency) and ``delta_pct`` (delta / |base_clv|; NaN when the base
        CLV is 0). ``attrs`` holds the formula, the base levers and the change.

    Examples
    --------
    >>> table = clv_sensitivity(90, 3, 6, 0.2)
    >>> table[["lever", "change", "clv", "delta"]].round(2).head(4)
           lever  change   clv  delta
    0        aov    -0.1  47.4   -5.4
    1        aov     0.1  58.2    5.4
    2  purchases    -0.1  47.4   -5.4
    3  purchases     0.1  58.2    5.4
    """
    if formula not in _FORMULAS:
        raise ValueError(f"formula must be one of {list(_FORMULAS)}; got {formula!r}")
    if not 0 < change < 1:
        raise ValueError(f"change must be a fraction in (0, 1) (10 % is 0.1); got {change}")
    base = dict(aov=aov, purchases=purchases, cac=cac, margin=margin)
    if margin * (1 + change) > 1:
        raise ValueError(
            f"margin {margin} raised by {change:.0%} exceeds 1; use a smaller change or margin"
        )
    fn = _FORMULAS[formula]
    base_clv = fn(**base)
    rows = []
    for lever in _LEVERS:
        for sign in (-1, 1):
            levers = dict(base, **{lever: base[lever] * (1 + sign * change)})
            clv = fn(**levers)
            rows.append((lever, sign * change, levers[lever], base_clv, clv))
    table = pd.DataFrame(rows, columns=["lever", "change", "lever_value", "base_clv", "clv"])
    table["delta"] = table["clv"] - table["base_clv"]
    table["delta_pct"] = table["delta"] / abs(base_clv) if base_clv != 0 else np.nan
    table.attrs.update(formula=formula, change=change, base=base)
    return table


def clv_discounted(margin_per_period, retention, discount_rate):
    """Discounted CLV of a retained customer: ``m x r / (1 + d - r)``.

    The sum over future periods t = 1, 2, ... of ``m x r**t / (1 + d)**t``: the customer is
    alive now, survives each period with probability r, and each period's margin is
    discounted once more. The current period's margin is *not* included (add ``m`` for the
    value including it).

    Parameters
    ----------
    margin_per_period : float, array-like or pandas.Series
        Margin m a customer brings per period, in currency.
    retention : float or array-like
        Retention rate r per period, in [0, 1].
    discount_rate : float or array-like
        Discount rate d per period (>= 0); 0.01 per month is about 12.7 % a year.

    Returns
    -------
    float, numpy.ndarray or pandas.Series
        CLV in currency (Series named ``clv_discounted`` when the margin is a Series).

    Examples
    --------
    >>> round(clv_discounted(100, 0.8, 0.1), 2)
    266.67
    """
    m = _as_float(margin_per_period)
    r = _as_float(retention)
    d = _as_float(discount_rate)
    _check_range("retention", r, 0, 1)
    _check_range("discount_rate", d, 0, np.inf)
    if np.any((r == 1) & (d == 0)):
        raise ValueError("retention 1 with discount rate 0 gives an infinite CLV")
    return _finish(m * r / (1 + d - r), "clv_discounted")


def _surviving_periods(retention: float, horizon: float) -> float:
    """Expected number of periods a customer alive now is alive in, within ``horizon`` periods.

    ``sum_{k=1..H} r**k = r (1 - r**H) / (1 - r)``; the closed form is used for fractional H
    as well (a smooth interpolation between whole periods); ``H`` when r is 1.
    """
    if retention == 1:
        return float(horizon)
    return retention * (1 - retention**horizon) / (1 - retention)
