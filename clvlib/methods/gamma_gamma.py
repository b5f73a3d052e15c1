"""The Gamma-Gamma model of spend per repeat purchase: :class:`GammaGammaModel`.

Fader & Hardie (2013), The Gamma-Gamma model of monetary value,
http://www.brucehardie.com/notes/025/ ; with :func:`check_independence`, the check of its
assumption that spend does not depend on purchase frequency.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Literal, NamedTuple

import numpy as np
import pandas as pd
from scipy import special, stats
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from clvlib.data.checks import rows_at_fault
from clvlib.methods.likelihood import (
    ArrayLike,
    _btyd_columns,
    _minimize,
    _objective,
    _to_array,
    _wrap,
)

# --------------------------------------------------------------------------------------
# Gamma-Gamma
# --------------------------------------------------------------------------------------


class IndependenceCheck(NamedTuple):
    """Gamma-Gamma assumption check: spend per purchase independent of purchase frequency."""

    correlation: float
    """Pearson correlation of frequency and monetary_value among repeat customers."""
    p_value: float
    """Two-sided p-value of that correlation being 0 (large samples make tiny ones flag)."""
    n_customers: int
    threshold: float
    """|correlation| above which the assumption is reported as doubtful."""
    ok: bool
    """True when |correlation| <= threshold."""

    def __str__(self) -> str:
        verdict = "plausible" if self.ok else "doubtful"
        return (
            f"frequency-monetary correlation {self.correlation:.3f} over {self.n_customers} "
            f"repeat customers (p = {self.p_value:.2g}): independence {verdict} "
            f"(threshold |r| <= {self.threshold})"
        )


def check_independence(
    frequency: ArrayLike, monetary_value: ArrayLike, *, threshold: float = 0.3
) -> IndependenceCheck:
    """Check the Gamma-Gamma assumption that spend does not depend on purchase frequency.

    The Gamma-Gamma model assumes a customer's mean spend per purchase is independent of
    how often they buy. The usual check (Fader & Hardie, note 025; lifetimes' documentation)
    is the Pearson correlation of ``frequency`` and ``monetary_value`` over the repeat
    customers (CDNOW: 0.11). The threshold of 0.3 is a rule of thumb, not a test.

    Parameters
    ----------
    frequency, monetary_value : array-like or pandas.Series
        BTYD summary columns; only customers with frequency > 0 are used.
    threshold : float, default 0.3
        Largest absolute correlation still reported as ``ok``.

    Returns
    -------
    IndependenceCheck

    Examples
    --------
    >>> check_independence([1, 2, 3, 4, 5], [20.0, 35.0, 18.0, 40.0, 25.0]).ok
    True
    >>> check = check_independence([1, 2, 3, 4, 5], [10.0, 20.0, 30.0, 40.0, 50.0])
    >>> round(check.correlation, 3), check.ok
    (1.0, False)
    """
    x, _ = _to_array("frequency", frequency)
    m, _ = _to_array("monetary_value", monetary_value)
    if x.size != m.size:
        raise ValueError(f"frequency and monetary_value lengths differ: {x.size} vs {m.size}")
    repeat = x > 0
    if repeat.sum() < 3:
        raise ValueError(f"need at least 3 repeat customers, got {int(repeat.sum())}")
    if np.ptp(x[repeat]) == 0 or np.ptp(m[repeat]) == 0:
        corr, p_value = math.nan, math.nan  # undefined for a constant column
    else:
        res = stats.pearsonr(x[repeat], m[repeat])
        corr, p_value = float(res.statistic), float(res.pvalue)
    return IndependenceCheck(
        correlation=corr,
        p_value=p_value,
        n_customers=int(repeat.sum()),
        threshold=threshold,
        ok=bool(abs(corr) <= threshold),
    )


def _gg_loglik_terms(
    params: np.ndarray, x: np.ndarray, m: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per-customer Gamma-Gamma log-likelihood of mean spend ``m`` over ``x`` purchases.

    Note 025, eq. (1a): f(m | p, q, v, x) =
    Gamma(px+q) / (Gamma(px) Gamma(q)) * v^q m^(px-1) x^(px) / (v + m x)^(px+q).
    Returns the log-likelihood and its gradient in log(p, q, v).
    """
    p, q, v = params
    px = p * x
    log_vmx = np.log(v + m * x)
    loglik = (
        special.gammaln(px + q)
        - special.gammaln(px)
        - special.gammaln(q)
        + q * np.log(v)
        + (px - 1) * np.log(m)
        + px * np.log(x)
        - (px + q) * log_vmx
    )
    dig = special.digamma(px + q)
    d_p = x * (dig - special.digamma(px) + np.log(m) + np.log(x) - log_vmx)
    d_q = dig - special.digamma(q) + np.log(v) - log_vmx
    d_v = q / v - (px + q) / (v + m * x)
    grad = np.stack([d_p * p, d_q * q, d_v * v], axis=1)
    return loglik, grad


class GammaGammaModel(BaseEstimator):
    """Gamma-Gamma model of the mean spend per repeat purchase, by maximum likelihood.

    A customer's purchase values are Gamma(p, nu) with a customer-specific ``nu`` ~
    Gamma(q, v); the population mean spend is ``p v / (q - 1)`` (finite only when q > 1).
    Fitted on repeat customers only (frequency > 0): ``monetary_value`` is the mean of
    their repeat purchases, and customers without one carry no spend information.

    Parameters
    ----------
    penalizer : float, default 0.0
        L2 penalty ``penalizer * (p² + q² + v²)`` added to the mean negative log-likelihood
        per customer (lifetimes' ``penalizer_coef``; note that ``v`` is in currency units).
    nonpositive : {"raise", "exclude"}, default "raise"
        What to do with repeat customers whose monetary_value is <= 0 (the model needs
        positive spend): raise naming them, or leave them out and list them in
        ``excluded_``.

    Attributes
    ----------
    params_ : pandas.Series
        Fitted ``p``, ``q``, ``v``.
    log_likelihood_ : float
        Total log-likelihood of the fitted customers at ``params_`` (penalty excluded).
    n_customers_ : int
        Repeat customers fitted.
    excluded_ : pandas.Index or numpy.ndarray
        Repeat customers left out because their monetary_value is <= 0 (only with
        ``nonpositive="exclude"``); labels for Series input, else positions.
    independence_ : IndependenceCheck
        Frequency-monetary correlation among the fitted customers (the model's assumption).

    Examples
    --------
    >>> summary = pd.DataFrame({
    ...     "frequency": [0, 1, 2, 0, 4, 3, 0, 5, 6, 0, 2, 1],
    ...     "recency": [0, 3, 35, 0, 38, 8, 0, 12, 39, 0, 6, 36],
    ...     "T": [40, 40, 39, 38, 40, 37, 36, 40, 40, 35, 38, 39],
    ...     "monetary_value": [0, 25.0, 30.0, 0, 42.0, 18.0, 0, 22.0, 55.0, 0, 35.0, 28.0]},
    ...     index=pd.RangeIndex(1, 13, name="customer_id"))
    >>> model = GammaGammaModel(penalizer=0.001).fit(summary)
    >>> model.params_.round(2)
    p    11.52
    q     4.30
    v    10.18
    Name: Gamma-Gamma, dtype: float64
    >>> round(model.mean_value_, 2)
    35.58
    >>> spend = model.expected_average_value(summary["frequency"], summary["monetary_value"])
    >>> spend.round(2).head(3)
    customer_id
    1    35.58
    2    27.35
    3    30.70
    Name: expected_average_value, dtype: float64
    """

    _parameter_constraints: dict = {
        "penalizer": [Interval(Real, 0, None, closed="left")],
        "nonpositive": [StrOptions({"raise", "exclude"})],
    }

    def __init__(
        self, penalizer: float = 0.0, nonpositive: Literal["raise", "exclude"] = "raise"
    ) -> None:
        self.penalizer = penalizer
        self.nonpositive = nonpositive

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, summary: pd.DataFrame, y: None = None) -> GammaGammaModel:
        """Fit p, q, v on the customers of a summary with frequency > 0.

        Parameters
        ----------
        summary : pandas.DataFrame
            One row per customer with the BTYD columns ``frequency`` and
            ``monetary_value``; customers with frequency 0 are skipped.
        y : None
            Ignored (scikit-learn convention).

        Returns
        -------
        GammaGammaModel
            ``self``, fitted.
        """
        frequency, monetary_value = _btyd_columns(summary, ("frequency", "monetary_value"))
        nonpositive = self.nonpositive
        x, index = _to_array("frequency", frequency)
        m, _ = _to_array("monetary_value", monetary_value)
        if x.size != m.size:
            raise ValueError(f"frequency and monetary_value lengths differ: {x.size} vs {m.size}")
        for mask, what in [
            (x != np.round(x), "frequency is not an integer"),
            (x < 0, "frequency is negative"),
        ]:
            if mask.any():
                raise ValueError(f"{what} in {rows_at_fault(mask, index)}")
        bad = (x > 0) & (m <= 0)
        if bad.any() and nonpositive == "raise":
            raise ValueError(
                f"monetary_value is <= 0 for repeat customers in {rows_at_fault(bad, index)}; the "
                "Gamma-Gamma model needs positive spend (GammaGammaModel(nonpositive='exclude') "
                "fits without them)"
            )
        self.excluded_ = index[bad] if index is not None else np.flatnonzero(bad)
        use = (x > 0) & ~bad
        if use.sum() < 3:
            raise ValueError(
                f"need at least 3 repeat customers with positive monetary_value, got {use.sum()}"
            )
        x, m = x[use], m[use]
        n = x.size

        objective = _objective(_gg_loglik_terms, (x, m), float(self.penalizer))
        # start: p = 1, q = 2 and v matching the mean spend, p v / (q - 1) = mean(m)
        x0 = np.log([1.0, 2.0, float(np.mean(m))])
        result = _minimize(objective, x0, "Gamma-Gamma")
        self.params_ = pd.Series(
            dict(zip(("p", "q", "v"), np.exp(result.x), strict=True)),
            name="Gamma-Gamma",
            dtype=float,
        )
        loglik, _ = _gg_loglik_terms(self.params_.to_numpy(), x, m)
        self.log_likelihood_ = float(loglik.sum())
        self.n_customers_ = int(n)
        self.n_iter_ = int(result.nit)
        self.independence_ = check_independence(x, m)
        return self

    @property
    def mean_value_(self) -> float:
        """Population mean spend per purchase, p v / (q - 1)."""
        p, q, v = self._params()
        return p * v / (q - 1)

    def _params(self) -> tuple[float, float, float]:
        check_is_fitted(self, "params_")
        p, q, v = (float(self.params_[k]) for k in ("p", "q", "v"))
        if q <= 1:
            raise ValueError(
                f"fitted q = {q:.3g} <= 1: the population mean spend p v / (q - 1) is not "
                "finite; refit with a penalizer or check for extreme monetary values"
            )
        return p, q, v

    def expected_average_value(
        self, frequency: ArrayLike, monetary_value: ArrayLike
    ) -> np.ndarray | pd.Series:
        """Expected spend per future purchase of each customer (note 025, eq. 5).

        A credibility-weighted mean of the customer's own mean spend and the population
        mean: w * monetary_value + (1 - w) * p v / (q - 1), with w = p x / (p x + q - 1).
        Customers with frequency 0 get the population mean.

        Returns
        -------
        numpy.ndarray or pandas.Series
            One value per customer (a Series on the input's index for Series input).
        """
        p, q, v = self._params()
        x, index = _to_array("frequency", frequency)
        m, _ = _to_array("monetary_value", monetary_value)
        if x.size != m.size:
            raise ValueError(f"frequency and monetary_value lengths differ: {x.size} vs {m.size}")
        if (x < 0).any():
            raise ValueError(f"frequency is negative in {rows_at_fault(x < 0, index)}")
        weight = p * x / (p * x + q - 1)
        value = weight * m + (1 - weight) * (p * v / (q - 1))
        return _wrap(value, index, "expected_average_value")
