"""The BG/NBD model of repeat purchases by maximum likelihood: :class:`BetaGeoModel`.

Fader, Hardie & Lee (2005), "Counting your customers" the easy way: an alternative to the
Pareto/NBD model. Marketing Science 24(2), 275-284. Fitted with scipy only: a vectorised
log-likelihood with its analytic gradient in the log-parameters, minimised by BFGS.
"""

from __future__ import annotations

from numbers import Real

import numpy as np
import pandas as pd
from scipy import special
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted

from clvlib.methods.likelihood import (
    _NO_DROPOUT,
    ArrayLike,
    _btyd_columns,
    _minimize,
    _objective,
    _validate_btyd,
    _warn_at_edge,
    _wrap,
)

# --------------------------------------------------------------------------------------
# BG/NBD
# --------------------------------------------------------------------------------------


def _bgnbd_loglik_terms(
    params: np.ndarray,
    x: np.ndarray,
    t_x: np.ndarray,
    age: np.ndarray,
    x_levels: np.ndarray | None = None,
    x_at: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Per-customer BG/NBD log-likelihood and its gradient in log(r, alpha, a, b).

    Fader, Hardie & Lee (2005), eq. (6):
    L = B(a, b+x)/B(a, b) * Gamma(r+x)/Gamma(r) * alpha^r
        * [ (alpha+T)^-(r+x) + 1{x>0} * a/(b+x-1) * (alpha+t_x)^-(r+x) ].

    The gamma-function terms depend on x alone, which takes few distinct values: they are
    evaluated once per value (``x_levels``, with ``x == x_levels[x_at]``) and gathered.
    """
    r, alpha, a, b = params
    if x_levels is None or x_at is None:
        x_levels, x_at = np.unique(x, return_inverse=True)
    lv = x_levels
    log_gamma_ratio = (special.gammaln(r + lv) - special.gammaln(r))[x_at]
    log_beta_ratio = (special.betaln(a, b + lv) - special.betaln(a, b))[x_at]
    dig_rx = (special.digamma(r + lv) - special.digamma(r))[x_at]
    dig_b = (
        special.digamma(a + b)
        + special.digamma(b + lv)
        - special.digamma(b)
        - special.digamma(a + b + lv)
    )[x_at]
    dig_a = (special.digamma(a + b) - special.digamma(a + b + lv))[x_at]

    log_alpha_t = np.log(alpha + age)
    log_alpha_tx = np.log(alpha + t_x)
    log_a3 = -(r + x) * log_alpha_t
    log_a4 = np.where(
        x > 0, np.log(a) - np.log(b + np.maximum(x, 1) - 1) - (r + x) * log_alpha_tx, -np.inf
    )
    log_mix = np.logaddexp(log_a3, log_a4)
    w3 = np.exp(log_a3 - log_mix)  # weight of the "still alive at T" branch
    w4 = np.exp(log_a4 - log_mix)  # weight of the "dropped out after the last purchase" branch
    loglik = log_gamma_ratio + r * np.log(alpha) + log_beta_ratio + log_mix

    d_r = dig_rx + np.log(alpha) - w3 * log_alpha_t - w4 * log_alpha_tx
    d_alpha = r / alpha - (r + x) * (w3 / (alpha + age) + w4 / (alpha + t_x))
    d_a = dig_a + w4 / a
    d_b = dig_b - w4 / (b + np.maximum(x, 1) - 1)
    # chain rule: d/d log(theta) = theta * d/d theta
    grad = np.stack([d_r * r, d_alpha * alpha, d_a * a, d_b * b], axis=1)
    return loglik, grad


def _log_hyp2f1(a: np.ndarray, b: np.ndarray, c: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Log 2F1(a, b; c; z) for 0 <= z < 1, with Euler's transformation where 2F1 overflows.

    2F1(a, b; c; z) = (1 - z)^(c - a - b) 2F1(c - a, c - b; c; z); for frequent customers
    (large a and b) the left side overflows while the right side does not (as in lifetimes).
    """
    with np.errstate(divide="ignore", over="ignore"):
        direct = np.asarray(np.log(special.hyp2f1(a, b, c, z)), dtype=float)
        lost = ~np.isfinite(direct)
        if lost.any():  # Euler's form only where it is needed: the same values, half the 2F1s
            a, b, c, z = (v[lost] for v in np.broadcast_arrays(a, b, c, z))
            direct[lost] = np.log(special.hyp2f1(c - a, c - b, c, z)) + (c - a - b) * np.log1p(-z)
    return direct


class BetaGeoModel(BaseEstimator):
    """BG/NBD model of repeat purchases, fitted by maximum likelihood.

    Each customer buys at a Poisson rate ``lambda`` ~ Gamma(r, alpha) while alive and, after
    each repeat purchase, drops out for good with probability ``p`` ~ Beta(a, b).

    Parameters
    ----------
    penalizer : float, default 0.0
        L2 penalty ``penalizer * (r² + alpha'² + a² + b²)`` added to the mean negative
        log-likelihood per customer, with ``alpha'`` = alpha / max(T) so that the penalty does
        not depend on the time unit. Same definition as lifetimes' ``penalizer_coef``; use a
        small value (0.001-0.1) when the fit does not converge.

    Attributes
    ----------
    params_ : pandas.Series
        Fitted ``r``, ``alpha`` (in the time unit of the inputs), ``a``, ``b``.
    log_likelihood_ : float
        Total log-likelihood of the fitted data at ``params_`` (penalty excluded), in the
        time unit of the inputs (comparable with the published CDNOW value -9582.4).
    n_customers_ : int
        Number of customers fitted.
    n_iter_ : int
        BFGS iterations.

    Examples
    --------
    >>> summary = pd.DataFrame({
    ...     "frequency": [0, 1, 2, 0, 4, 3, 0, 5, 6, 0, 2, 1],
    ...     "recency": [0, 3, 35, 0, 38, 8, 0, 12, 39, 0, 6, 36],
    ...     "T": [40, 40, 39, 38, 40, 37, 36, 40, 40, 35, 38, 39],
    ...     "monetary_value": [0, 25.0, 30.0, 0, 42.0, 18.0, 0, 22.0, 55.0, 0, 35.0, 28.0]},
    ...     index=pd.RangeIndex(1, 13, name="customer_id"))
    >>> model = BetaGeoModel(penalizer=0.01).fit(summary)
    >>> model.params_.round(3)
    r        0.528
    alpha    4.624
    a        0.548
    b        1.577
    Name: BG/NBD, dtype: float64
    >>> alive = model.probability_alive(summary["frequency"], summary["recency"], summary["T"])
    >>> alive.round(2).head(4)
    customer_id
    1    1.00
    2    0.16
    3    0.79
    4    1.00
    Name: probability_alive, dtype: float64
    """

    _parameter_constraints: dict = {"penalizer": [Interval(Real, 0, None, closed="left")]}

    def __init__(self, penalizer: float = 0.0) -> None:
        self.penalizer = penalizer

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, summary: pd.DataFrame, y: None = None) -> BetaGeoModel:
        """Fit r, alpha, a, b by maximum likelihood on a customer summary.

        Parameters
        ----------
        summary : pandas.DataFrame
            One row per customer with the BTYD columns ``frequency`` (repeat purchase
            periods), ``recency`` (age at the last purchase) and ``T`` (age), e.g. the
            output of :func:`clvlib.data.summary.customer_summary`.
        y : None
            Ignored (scikit-learn convention).

        Returns
        -------
        BetaGeoModel
            ``self``, fitted.
        """
        frequency, recency, T = _btyd_columns(summary, ("frequency", "recency", "T"))
        x, t_x, age, _ = _validate_btyd(frequency, recency, T)
        if age.max() <= 0:
            raise ValueError("T is 0 for every customer: nobody was observed for any time")
        if not (x > 0).any():
            raise ValueError(
                "no customer has a repeat purchase (frequency is 0 everywhere): the BG/NBD "
                "drop-out process is not identified"
            )
        scale = 1.0 / age.max()  # fit in units of the longest age (conditioning, penalty)
        t_x_s, age_s = t_x * scale, age * scale
        n = x.size

        # customers with identical histories share a likelihood term: evaluate it once
        patterns = pd.DataFrame({"x": x, "t_x": t_x_s, "T": age_s}).value_counts(sort=False)
        unique = tuple(
            patterns.index.get_level_values(k).to_numpy(dtype=float) for k in ("x", "t_x", "T")
        )
        unique += np.unique(unique[0], return_inverse=True)
        objective = _objective(
            _bgnbd_loglik_terms, unique, float(self.penalizer), patterns.to_numpy()
        )
        # start: r = 1 and alpha giving the observed mean purchase rate; a = b = 1 (uniform p)
        rate = (x.sum() + 1.0) / (age_s.sum() + 1e-12)
        x0 = np.log([1.0, 1.0 / rate, 1.0, 1.0])
        result = _minimize(objective, x0, "BG/NBD")
        r, alpha_s, a, b = np.exp(result.x)
        _warn_at_edge("BG/NBD", {"r": r, "alpha / max(T)": alpha_s, "a": a, "b": b})
        self.params_ = pd.Series(
            {"r": r, "alpha": alpha_s / scale, "a": a, "b": b}, name="BG/NBD", dtype=float
        )
        loglik, _ = _bgnbd_loglik_terms(self.params_.to_numpy(), x, t_x, age)
        self.log_likelihood_ = float(loglik.sum())
        self.n_customers_ = int(n)
        self.n_iter_ = int(result.nit)
        return self

    def _params(self) -> tuple[float, float, float, float]:
        check_is_fitted(self, "params_")
        r, alpha, a, b = (float(self.params_[k]) for k in ("r", "alpha", "a", "b"))
        return r, alpha, a, b

    def expected_purchases(
        self, t: float, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> np.ndarray | pd.Series:
        """Expected number of purchases in the next ``t`` periods, given each history.

        E[Y(t) | x, t_x, T] from Fader, Hardie & Lee (2005), eq. (10)::

            (a+b+x-1)/(a-1) * [1 - ((alpha+T)/(alpha+T+t))^(r+x)
                                   * 2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t))]
            / [1 + 1{x>0} * a/(b+x-1) * ((alpha+T)/(alpha+t_x))^(r+x)]

        Parameters
        ----------
        t : float
            Horizon, in the time unit of ``T`` (e.g. the holdout length).
        frequency, recency, T : array-like or pandas.Series
            The customers' BTYD summary at the end of their observation.

        Returns
        -------
        numpy.ndarray or pandas.Series
            One expectation per customer (a Series on the input's index for Series input).
        """
        r, alpha, a, b = self._params()
        x, t_x, age, index = _validate_btyd(frequency, recency, T)
        if t < 0:
            raise ValueError(f"horizon t must be >= 0, got {t}")
        z = t / (alpha + age + t)
        with np.errstate(all="ignore"):  # NaN at the no-churn pole: handled below
            log_hyp = _log_hyp2f1(r + x, b + x, a + b + x - 1, z)
            numerator = (
                (a + b + x - 1)
                / (a - 1)
                * -np.expm1(log_hyp + (r + x) * np.log((alpha + age) / (alpha + age + t)))
            )
            out = numerator * self._probability_alive(x, t_x, age)
        lost = ~np.isfinite(out)
        if lost.any() and a / (a + b) < _NO_DROPOUT:
            # at the no-churn edge 2F1 meets its pole (a + b - 1 -> -1): use the limit
            # itself, the NBD model, E[Y(t)] = (r + x) t / (alpha + T)
            out = np.where(lost, (r + x) * t / (alpha + age), out)
        return _wrap(out, index, "expected_purchases")

    def _probability_alive(self, x: np.ndarray, t_x: np.ndarray, age: np.ndarray) -> np.ndarray:
        r, alpha, a, b = self._params()
        log_odds_dead = (r + x) * np.log((alpha + age) / (alpha + t_x)) + np.log(
            a / (b + np.maximum(x, 1) - 1)
        )
        return np.where(x > 0, special.expit(-log_odds_dead), 1.0)

    def probability_alive(
        self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> np.ndarray | pd.Series:
        """Probability that each customer is still alive (has not dropped out) at ``T``.

        P(alive | x, t_x, T) = 1 / [1 + 1{x>0} * a/(b+x-1) * ((alpha+T)/(alpha+t_x))^(r+x)]
        (Fader, Hardie & Lee, note 021). It is 1 for customers without repeat purchases:
        in the BG/NBD model drop-out can only follow a repeat purchase.

        Returns
        -------
        numpy.ndarray or pandas.Series
            One probability per customer (a Series on the input's index for Series input).
        """
        x, t_x, age, index = _validate_btyd(frequency, recency, T)
        return _wrap(self._probability_alive(x, t_x, age), index, "probability_alive")

    def frequency_distribution(self, T: ArrayLike, max_frequency: int) -> np.ndarray:
        """Expected share of customers with 0, 1, ..., ``max_frequency``+ repeat purchases.

        P(X(T) = x) of Fader, Hardie & Lee (2005), eq. (8), averaged over the customers' ages
        ``T``; the last entry is the share with ``max_frequency`` or more. The model side of
        the repeat-purchase histogram (lifetimes' ``plot_period_transactions``).
        """
        r, alpha, a, b = self._params()
        ages = np.asarray(T, dtype=float)
        unique, counts = np.unique(ages, return_counts=True)
        t = np.maximum(unique, 1e-12)[:, None]  # age 0: no purchase possible, P(X = 0) = 1
        x = np.arange(max_frequency)[None, :]
        log_b0 = special.betaln(a, b)
        log_p = np.log(alpha / (alpha + t))
        log_q = np.log(t / (alpha + t))
        log_nb = special.gammaln(r + x) - special.gammaln(r) - special.gammaln(x + 1)
        alive = np.exp(special.betaln(a, b + x) - log_b0 + log_nb + r * log_p + x * log_q)
        # cumulative NBD probabilities of fewer than x purchases (j = 0 .. x-1)
        nb = np.exp(log_nb + r * log_p + x * log_q)
        below = np.cumsum(nb, axis=1) - nb
        with np.errstate(all="ignore"):
            dead = np.exp(special.betaln(a + 1, b + x - 1) - log_b0) * (1 - below)
        prob = alive + np.where(x > 0, np.nan_to_num(dead), 0.0)
        share = (counts @ prob) / counts.sum()
        return np.append(share, max(0.0, 1.0 - share.sum()))

    def expected_purchases_new(self, t: ArrayLike) -> np.ndarray:
        """Expected repeat purchases in ``(0, t]`` of a new customer (no history).

        E[X(t)] = (a+b-1)/(a-1) * [1 - (alpha/(alpha+t))^r * 2F1(r, b; a+b-1; t/(alpha+t))],
        Fader, Hardie & Lee (2005), eq. (9).

        Parameters
        ----------
        t : float or array-like
            Times since the first purchase, in the time unit of the fit.
        """
        r, alpha, a, b = self._params()
        times = np.asarray(t, dtype=float)
        if np.any(times < 0) or not np.all(np.isfinite(times)):
            raise ValueError(f"t must be finite and >= 0, got {t}")
        log_hyp = _log_hyp2f1(r, b, a + b - 1, times / (alpha + times))
        return (a + b - 1) / (a - 1) * -np.expm1(log_hyp + r * np.log(alpha / (alpha + times)))
