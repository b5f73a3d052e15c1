"""BG/NBD and Gamma-Gamma by maximum likelihood: the probabilistic reference of the comparison.

The BG/NBD model (Fader, Hardie & Lee 2005) explains *how many* repeat purchases a customer
makes; the Gamma-Gamma model (Fader, Hardie & Lee 2005b; Fader & Hardie's note 025) explains
*how much* a repeat purchase is worth. Their product is the customer's expected value over a
horizon (:func:`expected_clv`), the model-based CLV the heuristic methods are compared with
(domain.md §9).

Both are fitted by maximum likelihood with scipy only (no PyMC): a vectorised log-likelihood
with its analytic gradient in the log-parameters, minimised by BFGS, as lifetimes'
``BetaGeoFitter`` / ``GammaGammaFitter`` do (lifetimes differentiates with autograd; here
the gradient is written out, which makes a 100k-customer fit take well under a second).

Inputs follow the BTYD convention of the customer summary (``frequency``, ``recency``,
``T``, ``monetary_value``; see :mod:`clvlib.report.glossary`). Durations may be in any unit; the
parameter ``alpha`` and every horizon ``t`` are in that same unit.

References
----------
Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your customers" the easy
way: an alternative to the Pareto/NBD model. Marketing Science 24(2), 275-284.
Fader, P. S. & Hardie, B. G. S. (2013). The Gamma-Gamma model of monetary value.
http://www.brucehardie.com/notes/025/
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any, Literal, NamedTuple

import numpy as np
import pandas as pd
from scipy import optimize, special, stats
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from clvlib.data.checks import rows_at_fault

__all__ = [
    "BetaGeoModel",
    "ConvergenceError",
    "EdgeOfParameterSpaceWarning",
    "GammaGammaModel",
    "IndependenceCheck",
    "ProbabilisticCLV",
    "check_independence",
    "expected_clv",
]

ArrayLike = Any  # numpy array, pandas Series, list or scalar

# BFGS stops when the gradient of the mean negative log-likelihood per customer is below this.
_GTOL = 1e-7
# A fit that BFGS reports as stalled ("precision loss") is still accepted when the gradient
# of the mean negative log-likelihood (in log-parameters) is this small: the optimum is reached,
# only the line search could not improve the last digits.
_GRAD_ACCEPT = 1e-4


class ConvergenceError(RuntimeError):
    """The maximum-likelihood optimiser did not reach an optimum."""


# --------------------------------------------------------------------------------------
# input handling
# --------------------------------------------------------------------------------------


def _to_array(name: str, values: ArrayLike) -> tuple[np.ndarray, pd.Index | None]:
    """Return ``values`` as a 1-d float array and its index (None for non-pandas input)."""
    index = values.index if isinstance(values, pd.Series) else None
    array = np.asarray(values, dtype=float)
    if array.ndim == 0:
        array = array.reshape(1)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name} is empty")
    bad = ~np.isfinite(array)
    if bad.any():
        raise ValueError(f"{name} has missing or infinite values in {rows_at_fault(bad, index)}")
    return array, index


def _validate_btyd(
    frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray, pd.Index | None]:
    """Check the invariants of a BTYD summary (lifetimes' ``_check_inputs``), naming rows.

    recency <= T, frequency an integer >= 0, recency >= 0, recency 0 where frequency is 0.
    """
    x, index = _to_array("frequency", frequency)
    t_x, _ = _to_array("recency", recency)
    age, _ = _to_array("T", T)
    if not (x.size == t_x.size == age.size):
        raise ValueError(
            f"frequency, recency and T must have the same length, got {x.size}, {t_x.size}, "
            f"{age.size}"
        )
    checks = [
        (x != np.round(x), "frequency is not an integer"),
        (x < 0, "frequency is negative"),
        (t_x < 0, "recency is negative (last purchase before the first)"),
        (age < 0, "T is negative (first purchase after the observation end)"),
        # tolerance for summaries rounded to a few decimals (CDNOW ships 2 decimals)
        (t_x > age + 1e-9 * np.maximum(age, 1.0), "recency is larger than T"),
        ((x == 0) & (t_x != 0), "recency is not 0 although frequency is 0"),
    ]
    for mask, what in checks:
        if mask.any():
            raise ValueError(f"{what} in {rows_at_fault(mask, index)}")
    return x, t_x, age, index


def _wrap(values: np.ndarray, index: pd.Index | None, name: str) -> np.ndarray | pd.Series:
    """Return a Series on the caller's index when the input was a Series, else the array."""
    if index is not None and values.shape == (len(index),):
        return pd.Series(values, index=index, name=name)
    return values


def _objective(
    loglik_terms: Callable[..., tuple[np.ndarray, np.ndarray]],
    data: tuple[np.ndarray, ...],
    penalizer: float,
    weights: np.ndarray | None = None,
) -> Callable[[np.ndarray], tuple[float, np.ndarray]]:
    """Mean penalised negative log-likelihood per customer and its gradient, in log-params.

    ``weights`` counts the customers behind each row when identical histories were merged.
    The line search may probe absurd parameters where the terms overflow: such points get
    an infinite value (and floating-point warnings are silenced there), so that the search
    steps back instead of propagating NaN.
    """
    w = np.ones(data[0].size) if weights is None else np.asarray(weights, dtype=float)
    n = w.sum()

    def objective(log_params: np.ndarray) -> tuple[float, np.ndarray]:
        params = np.exp(log_params)
        with np.errstate(all="ignore"):
            loglik, grad = loglik_terms(params, *data)
            value = -(w @ loglik) / n + penalizer * np.sum(params**2)
            gradient = -(w @ grad) / n + 2.0 * penalizer * params**2
        if not (np.isfinite(value) and np.all(np.isfinite(gradient))):
            return np.inf, np.zeros_like(log_params)
        return float(value), gradient

    return objective


def _minimize(
    fun: Callable[[np.ndarray], tuple[float, np.ndarray]], x0: np.ndarray, model: str
) -> optimize.OptimizeResult:
    """BFGS on (value, gradient); raise :class:`ConvergenceError` unless an optimum is reached."""
    result = optimize.minimize(fun, x0, jac=True, method="BFGS", options={"gtol": _GTOL})
    grad_norm = float(np.max(np.abs(result.jac))) if np.all(np.isfinite(result.jac)) else np.inf
    if not np.isfinite(result.fun) or not (result.success or grad_norm < _GRAD_ACCEPT):
        raise ConvergenceError(
            f"{model} maximum-likelihood fit did not converge after {result.nit} iterations "
            f"({result.message}; largest gradient {grad_norm:.2g}, log-parameters "
            f"{np.round(result.x, 4).tolist()}). The data may not identify the model (too few "
            "repeat customers, or no sign of drop-out); a small penalizer (e.g. 0.001) "
            "usually helps."
        )
    return result


#: a / (a + b) below this: no sign of drop-out (the BG/NBD fit is at its no-churn limit)
_NO_DROPOUT = 0.01


class EdgeOfParameterSpaceWarning(RuntimeWarning):
    """A fitted parameter is extreme: the likelihood is maximal at a limit of the model."""


def _warn_at_edge(model: str, params: dict[str, float], low: float = 1e-4, high: float = 1e4):
    """Warn when a (unit-free) parameter sits near 0 or infinity.

    Such fits are not failures of the optimiser: the likelihood keeps growing towards a
    limiting model (e.g. nobody drops out, or every customer buys at the same rate), and the
    predictions are those of that limit. Tiny data sets also end up there. The analyst
    should know; a small penalizer pulls the estimate back.
    """
    extreme = {k: v for k, v in params.items() if not low <= v <= high}
    if extreme:
        from clvlib.vocabulary import magnitude  # read in reports: no scientific notation

        shown = ", ".join(f"{k} = {magnitude(v)}" for k, v in extreme.items())
        warnings.warn(
            f"{model} estimate at the edge of the parameter space ({shown}): the data fit "
            "a limiting case of the model (e.g. no drop-out, or one purchase rate for all) "
            "or are too few; predictions follow that limit. A small penalizer often avoids it.",
            EdgeOfParameterSpaceWarning,
            stacklevel=3,
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
        direct = np.log(special.hyp2f1(a, b, c, z))
        euler = np.log(special.hyp2f1(c - a, c - b, c, z)) + (c - a - b) * np.log1p(-z)
    return np.where(np.isfinite(direct), direct, euler)


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
    >>> model = BetaGeoModel().fit([2, 1, 0, 0], [30.4, 1.7, 0, 0], [38.9, 38.9, 38.9, 38.9])
    >>> sorted(model.params_.index)
    ['a', 'alpha', 'b', 'r']
    """

    def __init__(self, penalizer: float = 0.0) -> None:
        self.penalizer = penalizer

    def fit(self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> BetaGeoModel:
        """Fit r, alpha, a, b by maximum likelihood.

        Parameters
        ----------
        frequency, recency, T : array-like or pandas.Series
            BTYD summary columns (repeat purchase periods, age at last purchase, age).

        Returns
        -------
        BetaGeoModel
            ``self``, fitted.
        """
        if self.penalizer < 0:
            raise ValueError(f"penalizer must be >= 0, got {self.penalizer}")
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
    """

    def __init__(self, penalizer: float = 0.0) -> None:
        self.penalizer = penalizer

    def fit(
        self,
        frequency: ArrayLike,
        monetary_value: ArrayLike,
        *,
        nonpositive: Literal["raise", "exclude"] = "raise",
    ) -> GammaGammaModel:
        """Fit p, q, v on the customers with frequency > 0.

        Parameters
        ----------
        frequency, monetary_value : array-like or pandas.Series
            BTYD summary columns of all customers; those with frequency 0 are skipped.
        nonpositive : {"raise", "exclude"}, default "raise"
            What to do with repeat customers whose monetary_value is <= 0 (the model needs
            positive spend): raise naming them, or leave them out and list them in
            ``excluded_``.

        Returns
        -------
        GammaGammaModel
            ``self``, fitted.
        """
        if self.penalizer < 0:
            raise ValueError(f"penalizer must be >= 0, got {self.penalizer}")
        if nonpositive not in ("raise", "exclude"):
            raise ValueError(f"nonpositive must be 'raise' or 'exclude', got {nonpositive!r}")
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
                "Gamma-Gamma model needs positive spend (pass nonpositive='exclude' to fit "
                "without them)"
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


# --------------------------------------------------------------------------------------
# the combination: expected value over a horizon
# --------------------------------------------------------------------------------------


def expected_clv(
    purchases_model: BetaGeoModel,
    value_model: GammaGammaModel,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    monetary_value: ArrayLike,
    *,
    horizon: float,
    discount_rate: float = 0.0,
    period: float = 1.0,
) -> np.ndarray | pd.Series:
    """Expected value of each customer's purchases over the next ``horizon`` periods.

    Undiscounted (the default, used for the holdout comparison): expected purchases in
    ``(T, T + horizon]`` x expected value per purchase. Discounted (``discount_rate`` > 0):
    the horizon is cut into steps of ``period`` (the last one may be shorter) and the value
    of the purchases expected in step k is divided by (1 + discount_rate)^k, as in lifetimes'
    ``customer_lifetime_value``. Revenue, not margin: multiply by a margin where known.

    Parameters
    ----------
    purchases_model : BetaGeoModel
        Fitted purchase model.
    value_model : GammaGammaModel
        Fitted spend model.
    frequency, recency, T, monetary_value : array-like or pandas.Series
        BTYD summary columns at the end of the calibration period.
    horizon : float
        Length of the forecast window, in the time unit of ``T``.
    discount_rate : float, default 0.0
        Discount rate per ``period``.
    period : float, default 1.0
        Length of one discounting step, in the time unit of ``T`` (e.g. 30 for monthly
        discounting of a daily summary).

    Returns
    -------
    numpy.ndarray or pandas.Series
        Expected value per customer (a Series on the input's index for Series input).
    """
    if horizon < 0 or period <= 0 or discount_rate < 0:
        raise ValueError(
            f"need horizon >= 0, period > 0 and discount_rate >= 0; got horizon={horizon}, "
            f"period={period}, discount_rate={discount_rate}"
        )
    x, t_x, age, index = _validate_btyd(frequency, recency, T)
    value = np.asarray(value_model.expected_average_value(x, monetary_value), dtype=float)
    if discount_rate == 0:
        purchases = np.asarray(purchases_model.expected_purchases(horizon, x, t_x, age))
        return _wrap(purchases * value, index, "expected_clv")
    bounds = np.minimum(np.arange(1, math.ceil(horizon / period) + 1) * period, horizon)
    total = np.zeros_like(x)
    previous = np.zeros_like(x)
    for k, end in enumerate(bounds, start=1):
        cumulative = np.asarray(purchases_model.expected_purchases(end, x, t_x, age))
        total += (cumulative - previous) / (1 + discount_rate) ** k
        previous = cumulative
    return _wrap(total * value, index, "expected_clv")


class ProbabilisticCLV(BaseEstimator):
    """BG/NBD + Gamma-Gamma on a customer summary: the model-based CLV of the comparison.

    Reads the summary's BTYD columns by name (``frequency``, ``recency``, ``T``,
    ``monetary_value``), like every other method, and predicts the expected value of each
    customer over a horizon with :meth:`predict_value`, as ``HeuristicCLV`` does.

    Parameters
    ----------
    penalizer : float, default 0.0
        L2 penalty of the BG/NBD fit (:class:`BetaGeoModel`).
    penalizer_gg : float, optional
        L2 penalty of the Gamma-Gamma fit; default ``penalizer``. The spend model is fitted
        on ``monetary_value`` divided by its mean over the fitted customers, so that ``v``
        (and its penalty) is unit-free: the same penalizer means the same in pounds or pence.

    Attributes
    ----------
    purchases_model_ : BetaGeoModel
    value_model_ : GammaGammaModel
        Fitted on scaled spend with ``nonpositive="exclude"``: repeat customers whose
        monetary_value is <= 0 are left out and listed in ``value_model_.excluded_``.
    spend_scale_ : float
        The divisor of monetary_value (currency per purchase).
    dropout_share_ : float
        a / (a + b): the mean probability of dropping out after a purchase.
    mean_probability_alive_ : float
        Mean P(alive) over the fitted customers.
    at_edge_ : bool
        No sign of drop-out (dropout_share_ < 0.01 or mean_probability_alive_ > 0.99): the
        fit is at the no-churn limit of the model (an :class:`EdgeOfParameterSpaceWarning`
        says so in words).
    """

    _COLUMNS = ("frequency", "recency", "T", "monetary_value")

    def __init__(self, penalizer: float = 0.0, penalizer_gg: float | None = None) -> None:
        self.penalizer = penalizer
        self.penalizer_gg = penalizer_gg

    def _columns(self, summary: pd.DataFrame) -> list[pd.Series]:
        missing = [c for c in self._COLUMNS if c not in summary.columns]
        if missing:
            raise KeyError(
                f"summary lacks the BTYD columns {missing}; expected the output of "
                "customer_summary()"
            )
        return [summary[c] for c in self._COLUMNS]

    def fit(self, summary: pd.DataFrame, y: None = None) -> ProbabilisticCLV:
        """Fit both models on a calibration-period customer summary."""
        frequency, recency, T, monetary_value = self._columns(summary)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", EdgeOfParameterSpaceWarning)
            self.purchases_model_ = BetaGeoModel(self.penalizer).fit(frequency, recency, T)
        spend = monetary_value[(frequency > 0) & (monetary_value > 0)]
        self.spend_scale_ = float(spend.mean()) if len(spend) else 1.0
        pen_gg = self.penalizer if self.penalizer_gg is None else self.penalizer_gg
        self.value_model_ = GammaGammaModel(pen_gg).fit(
            frequency, monetary_value / self.spend_scale_, nonpositive="exclude"
        )
        _, _, a, b = self.purchases_model_._params()
        self.dropout_share_ = a / (a + b)
        alive = self.purchases_model_.probability_alive(frequency, recency, T)
        self.mean_probability_alive_ = float(np.mean(alive))
        self.at_edge_ = bool(
            self.dropout_share_ < _NO_DROPOUT or self.mean_probability_alive_ > 0.99
        )
        for w in caught:  # at the no-churn edge the sentence below says it once, in words
            if not (self.at_edge_ and issubclass(w.category, EdgeOfParameterSpaceWarning)):
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        if self.at_edge_:
            warnings.warn(
                f"BG/NBD shows no sign of drop-out (a / (a + b) = {self.dropout_share_:.3g}, "
                f"mean P(alive) = {self.mean_probability_alive_:.3f}): the no-churn limit is "
                "the honest fit here, and the model forecasts every customer as still buying.",
                EdgeOfParameterSpaceWarning,
                stacklevel=2,
            )
        return self

    def predict_value(
        self,
        summary: pd.DataFrame,
        *,
        horizon: float,
        discount_rate: float = 0.0,
        period: float = 1.0,
    ) -> pd.Series:
        """Expected value per customer over ``horizon`` (see :func:`expected_clv`).

        Returns ``predicted_value`` (the name every money forecast of clvlib uses), in
        currency; raises ValueError naming the customers when a prediction is not finite.
        """
        check_is_fitted(self, "purchases_model_")
        frequency, recency, T, monetary_value = self._columns(summary)
        value = expected_clv(
            self.purchases_model_,
            self.value_model_,
            frequency,
            recency,
            T,
            monetary_value / self.spend_scale_,
            horizon=horizon,
            discount_rate=discount_rate,
            period=period,
        )
        out = pd.Series(
            np.asarray(value) * self.spend_scale_, index=summary.index, name="predicted_value"
        )
        _finite("predicted_value", out)
        return out

    def predict(self, summary: pd.DataFrame, *, horizon: float, **kwargs: Any) -> pd.Series:
        """Alias of :meth:`predict_value`."""
        return self.predict_value(summary, horizon=horizon, **kwargs)

    def predict_components(self, summary: pd.DataFrame, *, horizon: float) -> pd.DataFrame:
        """Per customer: expected purchases, probability alive, value per purchase, product.

        Columns ``expected_purchases`` (in the next ``horizon``), ``probability_alive``,
        ``expected_average_value`` and ``predicted_value`` (undiscounted), indexed like
        ``summary``.
        """
        check_is_fitted(self, "purchases_model_")
        frequency, recency, T, monetary_value = self._columns(summary)
        purchases = self.purchases_model_.expected_purchases(horizon, frequency, recency, T)
        value = self.value_model_.expected_average_value(
            frequency, monetary_value / self.spend_scale_
        )
        out = pd.DataFrame(
            {
                "expected_purchases": np.asarray(purchases),
                "probability_alive": np.asarray(
                    self.purchases_model_.probability_alive(frequency, recency, T)
                ),
                "expected_average_value": np.asarray(value) * self.spend_scale_,
            },
            index=summary.index,
        )
        out["predicted_value"] = out["expected_purchases"] * out["expected_average_value"]
        for column in out.columns:
            _finite(column, out[column])
        return out


def _finite(name: str, values: pd.Series) -> None:
    bad = ~np.isfinite(values.to_numpy(dtype=float))
    if bad.any():
        raise ValueError(
            f"{name} is missing or infinite for {int(bad.sum())} of {bad.size} customers "
            f"({rows_at_fault(bad, values.index)}): the fitted parameters are at a numerical "
            "limit; refit with a penalizer"
        )
