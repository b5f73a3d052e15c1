"""The Pareto/NBD model of repeat purchases by maximum likelihood: :class:`ParetoNBDModel`.

Schmittlein, Morrison & Colombo (1987): while alive, a customer buys at a Poisson rate
``lambda`` ~ Gamma(r, alpha); the lifetime is exponential with rate ``mu`` ~ Gamma(s, beta),
so a customer may drop out at any time (in BG/NBD only right after a purchase). It is the
model Wübben & Wangenheim (2008) judged the managerial heuristics against, next to BG/NBD.

The log-likelihood is Fader & Hardie's note 009, eq. (18)-(20), in the log-space form of
lifetimes' ``ParetoNBDFitter`` (the difference of the two Gauss hypergeometric terms of A0
taken as a log-difference); it is maximised with SciPy's BFGS on the log-parameters through
the same machinery as :class:`~clvlib.methods.btyd.BetaGeoModel` (time scaled by the longest
age, identical histories merged, :class:`~clvlib.methods.btyd.ConvergenceError` when no
optimum is reached, :class:`~clvlib.methods.btyd.EdgeOfParameterSpaceWarning` at a limit of
the model). The derivatives of 2F1 in its parameters have no closed form: the gradient is
taken by central differences in the log-parameters, per customer pattern.

References
----------
Schmittlein, D. C., Morrison, D. G. & Colombo, R. (1987). Counting your customers: who are
they and what will they do next? Management Science 33(1), 1-24.
Fader, P. S. & Hardie, B. G. S. (2005). A note on deriving the Pareto/NBD model and related
expressions. http://www.brucehardie.com/notes/009/
"""

from __future__ import annotations

import warnings
from numbers import Real
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import special
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted

# the maximum-likelihood machinery shared with BG/NBD and Gamma-Gamma (one definition)
from clvlib.methods.bgnbd import _log_hyp2f1
from clvlib.methods.likelihood import (
    _NO_DROPOUT,
    EdgeOfParameterSpaceWarning,
    _btyd_columns,
    _minimize,
    _objective,
    _validate_btyd,
    _warn_at_edge,
)

__all__ = ["ParetoNBDModel"]

_COLUMNS = ("frequency", "recency", "T")
#: step of the central differences, in log-parameters (about the cube root of the machine
#: epsilon: truncation and rounding errors of the gradient both near 1e-10)
_STEP = 6e-6


def _btyd(summary: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The summary's checked BTYD columns as arrays (KeyError naming the missing ones)."""
    x, t_x, age, _ = _validate_btyd(*_btyd_columns(summary, _COLUMNS))
    return x, t_x, age


#: 2F1(a, b; a+1; z) is evaluated by SciPy where z <= this (fast and exact there); above it,
#: near z = 1 where SciPy's hyp2f1 takes ~100 µs a value (the no-churn edge: beta >> alpha),
#: A0 is integrated numerically instead (:func:`_log_a0_quadrature`).
_Z_SERIES = 0.5
# tanh-sinh rule on (0, 1): 145 nodes; relative error below 1e-12 against 2F1 where z > 0.5
_TS = np.arange(-3.6, 3.6 + 1e-9, 0.05)
_TS_U = np.pi / 2 * np.sinh(_TS)
_TS_XI, _TS_1MXI = special.expit(2 * _TS_U), special.expit(-2 * _TS_U)  # xi and 1 - xi
_TS_WEIGHTS = 0.05 * np.pi / 4 * np.cosh(_TS) / np.cosh(_TS_U) ** 2


class _Pairs(NamedTuple):
    """The distinct (x, t_x) and (x, T) of a set of histories, for A0's two 2F1 terms.

    F(t_x) depends on x and t_x only, F(T) on x and T only: at 545,840 histories of the
    10M-line benchmark there are 6,153 and 6,315 of them. ``last`` / ``end`` give each row's
    pair; the 2F1 terms are computed once per pair that a row asks for, the same floats.
    """

    last: np.ndarray
    last_x: np.ndarray
    last_t: np.ndarray
    end: np.ndarray
    end_x: np.ndarray
    end_t: np.ndarray

    @classmethod
    def of(cls, x: np.ndarray, t_x: np.ndarray, age: np.ndarray) -> _Pairs:
        last, first_last = _first_of_each(x, t_x)
        end, first_end = _first_of_each(x, age)
        return cls(last, x[first_last], t_x[first_last], end, x[first_end], age[first_end])

    def rows(self, mask: np.ndarray) -> _Pairs:
        """The pairs of the rows in ``mask`` (the pair tables are shared)."""
        return self._replace(last=self.last[mask], end=self.end[mask])


def _first_of_each(*columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's group of equal values and the first row of each group (hash grouping)."""
    names = [str(i) for i in range(len(columns))]
    codes = (
        pd.DataFrame(dict(zip(names, columns, strict=True)), copy=False)
        .groupby(names, sort=False)
        .ngroup()
        .to_numpy()
    )
    first = np.empty(int(codes.max()) + 1 if codes.size else 0, dtype=np.intp)
    first[codes[::-1]] = np.arange(codes.size - 1, -1, -1)
    return codes, first


def _log_f(params: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Log F(y) of :func:`_log_a0`, elementwise."""
    r, alpha, s, beta = params
    m = max(alpha, beta)
    gap = abs(alpha - beta)
    second = s + 1.0 if alpha >= beta else r + x
    rsx = r + s + x
    return _log_hyp2f1(rsx, second, rsx + 1.0, gap / (m + y)) - rsx * np.log(m + y)


def _log_f_per_pair(
    params: np.ndarray, rows: np.ndarray, x: np.ndarray, y: np.ndarray
) -> np.ndarray:
    """:func:`_log_f` of pair ``rows[i]`` for each i, computed once per pair asked for."""
    asked = np.zeros(x.size, dtype=bool)
    asked[rows] = True
    values = np.empty(x.size)
    values[asked] = _log_f(params, x[asked], y[asked])
    return values[rows]


def _log_a0(
    params: np.ndarray,
    x: np.ndarray,
    t_x: np.ndarray,
    age: np.ndarray,
    pairs: _Pairs | None = None,
) -> np.ndarray:
    """Log of A0, note 009 eq. (19)-(20): ``F(t_x) - F(T)``.

    With ``m = max(alpha, beta)``,
    F(y) = 2F1(r+s+x, b'; r+s+x+1; |alpha-beta| / (m+y)) / (m+y)^(r+s+x),
    b' = s+1 when alpha >= beta, else r+x. A0 is -inf where t_x == T (no time to die in).
    Where the argument of 2F1 exceeds :data:`_Z_SERIES`, by quadrature instead. ``pairs``
    (:class:`_Pairs` of the rows): F computed once per distinct (x, y), the same values.
    """
    r, alpha, s, beta = params
    x, t_x, age = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (x, t_x, age)))
    m = max(alpha, beta)
    gap = abs(alpha - beta)
    out = np.empty(x.shape)
    near_one = gap / (m + t_x) > _Z_SERIES
    if near_one.any():
        out[near_one] = _log_a0_quadrature(params, x[near_one], t_x[near_one], age[near_one])
    keep = ~near_one
    if pairs is None:
        x, t_x, age = x[keep], t_x[keep], age[keep]
        log_f_tx = _log_f(params, x, t_x)
        log_f_t = _log_f(params, x, age)
    else:
        kept = pairs.rows(keep)
        log_f_tx = _log_f_per_pair(params, kept.last, pairs.last_x, pairs.last_t)
        log_f_t = _log_f_per_pair(params, kept.end, pairs.end_x, pairs.end_t)
    with np.errstate(divide="ignore"):
        out[keep] = log_f_tx + np.log1p(-np.minimum(np.exp(log_f_t - log_f_tx), 1.0))
    return out


def _log_a0_quadrature(
    params: np.ndarray, x: np.ndarray, t_x: np.ndarray, age: np.ndarray
) -> np.ndarray:
    """Log A0 = log(r+s+x) + log J, J integrated by :func:`_log_death_integral`."""
    r, _, s, _ = params
    return np.log(r + s + x) + _log_death_integral(params, x, t_x, age)[0]


#: customers integrated at a time by :func:`_log_death_integral`: each works on (customers x
#: 145 nodes) arrays, a few of them alive at once (1 GB each for 928,000 customers at once);
#: 1,024 rows keep them near the cache (8,192: 20 % slower at 545,000 histories)
_QUADRATURE_ROWS = 1024


def _log_death_integral(
    params: np.ndarray, x: np.ndarray, t_x: np.ndarray, age: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Log J and its gradient (:func:`_log_death_integral_rows`), in chunks of customers.

    :data:`_QUADRATURE_ROWS` customers at a time: each customer's value is reduced over its
    own nodes only, so the result is the one of a single call on every customer, float for
    float, in bounded memory.
    """
    if x.size <= _QUADRATURE_ROWS:
        return _log_death_integral_rows(params, x, t_x, age)
    parts = [
        _log_death_integral_rows(
            params,
            x[i : i + _QUADRATURE_ROWS],
            t_x[i : i + _QUADRATURE_ROWS],
            age[i : i + _QUADRATURE_ROWS],
        )
        for i in range(0, x.size, _QUADRATURE_ROWS)
    ]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _log_death_integral_rows(
    params: np.ndarray, x: np.ndarray, t_x: np.ndarray, age: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Log J, J = integral over (t_x, T] of (alpha+u)^-(r+x) (beta+u)^-(s+1) du, and its gradient.

    s J is the (unnormalised) chance of dying at u after the last purchase; A0 = (r+s+x) J.
    With lo, hi the smaller and larger of alpha and beta and P, Q their exponents,
    w = log((lo+u)/(lo+t_x)) turns the lo factor into exp(-(P-1) w); the substitution that
    makes that exponential uniform on (0, 1) leaves a smooth factor with at most an algebraic
    end-point singularity, which the tanh-sinh rule integrates to near machine precision.
    The same rule integrates the derivatives under the integral sign, so the gradient in
    (r, alpha, s, beta) comes with the value: d log J = E[d log integrand] over the nodes.
    """
    r, alpha, s, beta = params
    lo, hi = min(alpha, beta), max(alpha, beta)
    p_lo, q_hi = (r + x, np.full_like(x, s + 1.0)) if alpha < beta else (s + 1.0 + 0 * x, r + x)
    k = (p_lo - 1.0)[:, None]
    width = np.log((lo + age) / (lo + t_x))[:, None]
    kw = k * width
    flat = np.abs(kw) < 1e-10
    k_safe = np.where(flat, 1.0, k)
    with np.errstate(all="ignore"):
        mass = np.where(flat, width, -np.expm1(-kw) / k_safe)  # integral of exp(-k w), 0..width
        # exp(-k w) = (1 - xi) + xi exp(-k width) at the node xi; the (customers x nodes)
        # arrays are worked on in place and the flat form only built where it is used: the
        # same operations on the same values as the plain expressions, fewer passes
        if flat.any():
            w = np.where(flat, _TS_XI * width, -np.log(_TS_1MXI + _TS_XI * np.exp(-kw)) / k_safe)
        else:
            w = _TS_XI * np.exp(-kw)
            w += _TS_1MXI
            np.log(w, out=w)
            np.negative(w, out=w)
            w /= k_safe
        np.minimum(w, width, out=w)
        np.exp(w, out=w)
        w *= (lo + t_x)[:, None]
        lo_u = w  # lo + u at the nodes
        hi_u = hi - lo + lo_u
        log_hi_u = np.log(hi_u)
        weights = -q_hi[:, None] * log_hi_u  # log of the integrand, up to the lo factor
        top = weights.max(axis=1, keepdims=True)
        weights -= top
        np.exp(weights, out=weights)
        weights *= _TS_WEIGHTS
        total = weights.sum(axis=1)
        log_integral = (1.0 - p_lo) * np.log(lo + t_x) + np.log(mass[:, 0]) + top[:, 0]
        log_integral += np.log(total)
        weights /= total[:, None]
        share = weights  # the integrand's mass at each node

        def mean(values: np.ndarray) -> np.ndarray:
            return np.einsum("ij,ij->i", share, values)

        # d log J / d(exponent) = -E[log(base + u)], d / d(base) = -exponent E[1 / (base + u)]
        d_p_lo = -mean(np.log(lo_u))
        d_lo = -p_lo * mean(np.divide(1.0, lo_u, out=lo_u))
        d_q_hi = -mean(log_hi_u)
        d_hi = -q_hi * mean(np.divide(1.0, hi_u, out=hi_u))
    if alpha < beta:  # lo = alpha with exponent r+x; hi = beta with exponent s+1
        grad = np.stack([d_p_lo, d_lo, d_q_hi, d_hi], axis=1)
    else:
        grad = np.stack([d_q_hi, d_hi, d_p_lo, d_lo], axis=1)
    return log_integral, grad


def _per_history(func, x: np.ndarray, t_x: np.ndarray, age: np.ndarray) -> np.ndarray:
    """``func(x, t_x, age)``, an elementwise function, evaluated once per distinct history.

    Customers with the same (x, t_x, T) get the value of the first of them, which is the
    value each would get on its own: the same floats as ``func`` on every customer, for the
    2F1s and integrals of the distinct histories only (545,840 of 928,261 customers in the
    10M-line benchmark).
    """
    codes, first = _first_of_each(x, t_x, age)
    return np.asarray(func(x[first], t_x[first], age[first]))[codes]


def _loglik(
    params: np.ndarray,
    x: np.ndarray,
    t_x: np.ndarray,
    age: np.ndarray,
    pairs: _Pairs | None = None,
) -> np.ndarray:
    """Per-customer Pareto/NBD log-likelihood, note 009 eq. (18).

    ::

        L = Gamma(r+x) alpha^r beta^s / Gamma(r)
            * [ (alpha+T)^-(r+x) (beta+T)^-s + s / (r+s+x) * A0 ]
    """
    r, alpha, s, beta = params
    # head, alive and the factor of A0 depend on (x, T) only: with pairs, once per pair
    on_x, on_t = (x, age) if pairs is None else (pairs.end_x, pairs.end_t)
    head = special.gammaln(r + on_x) - special.gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    alive = -(r + on_x) * np.log(alpha + on_t) - s * np.log(beta + on_t)
    factor = np.log(s) - np.log(r + s + on_x)
    if pairs is not None:
        head, alive, factor = head[pairs.end], alive[pairs.end], factor[pairs.end]
    died = factor + _log_a0(params, x, t_x, age, pairs)
    return head + np.logaddexp(alive, died)


def _loglik_terms(
    params: np.ndarray,
    x: np.ndarray,
    t_x: np.ndarray,
    age: np.ndarray,
    pairs: _Pairs | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Log-likelihood per customer and its gradient in log(r, alpha, s, beta).

    Where A0 is integrated (:func:`_log_death_integral`), the gradient is analytic; where it
    comes from 2F1 (which has no closed-form derivative in its parameters), it is taken by
    central differences of step :data:`_STEP` in each log-parameter. The shape
    :func:`~clvlib.methods.btyd._objective` takes.
    """
    r, alpha, s, beta = params
    loglik = np.empty(x.size)
    grad = np.empty((x.size, params.size))
    integrated = abs(alpha - beta) / (max(alpha, beta) + t_x) > _Z_SERIES
    series = ~integrated
    if series.any():
        xs, ts, ages = x[series], t_x[series], age[series]
        ps = None if pairs is None else pairs.rows(series)
        loglik[series] = _loglik(params, xs, ts, ages, ps)
        up, down = np.exp(_STEP), np.exp(-_STEP)
        for k in range(params.size):
            high, low = params.copy(), params.copy()
            high[k] *= up
            low[k] *= down
            grad[series, k] = (_loglik(high, xs, ts, ages, ps) - _loglik(low, xs, ts, ages, ps)) / (
                2 * _STEP
            )
    if integrated.any():
        xs, ts, ages = x[integrated], t_x[integrated], age[integrated]
        d_head = np.stack(
            [
                special.digamma(r + xs) - special.digamma(r) + np.log(alpha),
                np.full_like(xs, r / alpha),
                np.full_like(xs, np.log(beta)),
                np.full_like(xs, s / beta),
            ],
            axis=1,
        )
        alive = -(r + xs) * np.log(alpha + ages) - s * np.log(beta + ages)
        d_alive = np.stack(
            [
                -np.log(alpha + ages),
                -(r + xs) / (alpha + ages),
                -np.log(beta + ages),
                -s / (beta + ages),
            ],
            axis=1,
        )
        log_j, d_died = _log_death_integral(params, xs, ts, ages)
        died = np.log(s) + log_j  # s/(r+s+x) A0 = s J
        d_died[:, 2] += 1.0 / s
        with np.errstate(all="ignore"):
            w_alive = special.expit(alive - died)  # share of the "alive at T" branch
        d = d_head + w_alive[:, None] * d_alive + (1.0 - w_alive)[:, None] * d_died
        grad[integrated] = d * params  # chain rule: d / d log(theta) = theta d / d theta
        # the value from the same integral (eq. 18 as :func:`_loglik`): one quadrature, not two
        head = special.gammaln(r + xs) - special.gammaln(r) + r * np.log(alpha) + s * np.log(beta)
        loglik[integrated] = head + np.logaddexp(alive, died)
    return loglik, grad


class ParetoNBDModel(BaseEstimator):
    """Pareto/NBD model of repeat purchases, fitted by maximum likelihood.

    While alive a customer buys at a Poisson rate ``lambda`` ~ Gamma(r, alpha) and dies
    after an exponential lifetime of rate ``mu`` ~ Gamma(s, beta), independent of ``lambda``.

    Parameters
    ----------
    penalizer : float, default 0.0
        L2 penalty ``penalizer * (r² + alpha'² + s² + beta'²)`` added to the mean negative
        log-likelihood per customer, with ``alpha'``, ``beta'`` = alpha, beta / max(T) (unit
        free), as :class:`~clvlib.methods.btyd.BetaGeoModel`'s penalizer. lifetimes'
        ``ParetoNBDFitter`` adds its ``penalizer_coef`` to the *total* negative
        log-likelihood instead, so the same number there is n_customers times weaker.

    Attributes
    ----------
    params_ : pandas.Series
        Fitted ``r``, ``alpha``, ``s``, ``beta`` (alpha and beta in the time unit of ``T``).
    log_likelihood_ : float
        Total log-likelihood of the fitted data at ``params_`` (penalty excluded).
    n_customers_ : int
        Number of customers fitted.
    n_iter_ : int
        BFGS iterations.
    dropout_share_ : float
        Share of customers the fit expects to drop out within the longest observed age,
        1 - (beta / (beta + max T))^s. Below 0.01 the fit is at the model's no-churn limit
        (an :class:`~clvlib.methods.btyd.EdgeOfParameterSpaceWarning` says so in words).

    Examples
    --------
    >>> import pandas as pd
    >>> summary = pd.DataFrame({"frequency": [2, 1, 0, 0, 3, 0],
    ...                         "recency": [30.4, 1.7, 0, 0, 35.0, 0],
    ...                         "T": [38.9, 38.9, 38.9, 30.0, 38.0, 20.0]})
    >>> model = ParetoNBDModel(penalizer=0.01).fit(summary)
    >>> list(model.params_.index)
    ['r', 'alpha', 's', 'beta']
    >>> alive = model.probability_alive(summary)
    >>> bool(((alive > 0) & (alive <= 1)).all())
    True
    """

    _parameter_constraints: dict = {"penalizer": [Interval(Real, 0, None, closed="left")]}

    def __init__(self, penalizer: float = 0.0) -> None:
        self.penalizer = penalizer

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, summary: pd.DataFrame, y: None = None) -> ParetoNBDModel:
        """Fit r, alpha, s, beta by maximum likelihood on a customer summary.

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
        ParetoNBDModel
            ``self``, fitted.

        Raises
        ------
        ConvergenceError
            When BFGS reaches no optimum (:class:`clvlib.methods.btyd.ConvergenceError`).
        """
        x, t_x, age = _btyd(summary)
        if age.max() <= 0:
            raise ValueError("T is 0 for every customer: nobody was observed for any time")
        if not (x > 0).any():
            raise ValueError(
                "no customer has a repeat purchase (frequency is 0 everywhere): the Pareto/NBD "
                "purchase rate is not identified"
            )
        scale = 1.0 / age.max()  # fit in units of the longest age (conditioning, penalty)
        # customers with identical histories share a likelihood term: evaluate it once
        patterns = pd.DataFrame({"x": x, "t_x": t_x * scale, "T": age * scale}).value_counts(
            sort=False
        )
        unique = tuple(
            patterns.index.get_level_values(k).to_numpy(dtype=float) for k in ("x", "t_x", "T")
        )
        # A0's 2F1 terms depend on (x, t_x) and (x, T) only: once per pair, not per history
        objective = _objective(
            _loglik_terms, (*unique, _Pairs.of(*unique)), float(self.penalizer), patterns.to_numpy()
        )
        # start: r = 1 with alpha giving the observed mean purchase rate; mean lifetime max(T)
        rate = (x.sum() + 1.0) / (age.sum() * scale)
        result = _minimize(objective, np.log([1.0, 1.0 / rate, 1.0, 1.0]), "Pareto/NBD")
        r, alpha_s, s, beta_s = np.exp(result.x)
        # share expected to die within the longest age, 1 - (beta / (beta + max T))^s
        self.dropout_share_ = float(-np.expm1(-s * np.log1p(1.0 / beta_s)))
        if self.dropout_share_ < _NO_DROPOUT:  # the no-churn limit, said once, in words
            warnings.warn(
                f"Pareto/NBD shows no sign of drop-out (s = {s:.3g}: "
                f"{self.dropout_share_:.2%} of customers expected to drop out within the "
                "longest observed age): the no-churn limit is the honest fit here, and the "
                "model forecasts nearly every customer as still buying.",
                EdgeOfParameterSpaceWarning,
                stacklevel=3,  # the caller of fit, past scikit-learn's _fit_context wrapper
            )
        else:
            _warn_at_edge(
                "Pareto/NBD", {"r": r, "alpha / max(T)": alpha_s, "s": s, "beta / max(T)": beta_s}
            )
        self.params_ = pd.Series(
            {"r": r, "alpha": alpha_s / scale, "s": s, "beta": beta_s / scale},
            name="Pareto/NBD",
            dtype=float,
        )
        fitted = self.params_.to_numpy()
        self.log_likelihood_ = float(
            _per_history(lambda *h: _loglik(fitted, *h, _Pairs.of(*h)), x, t_x, age).sum()
        )
        self.n_customers_ = int(x.size)
        self.n_iter_ = int(result.nit)
        return self

    def _params(self) -> np.ndarray:
        check_is_fitted(self, "params_")
        return self.params_[["r", "alpha", "s", "beta"]].to_numpy(dtype=float)

    def _probability_alive(self, x: np.ndarray, t_x: np.ndarray, age: np.ndarray) -> np.ndarray:
        params = self._params()
        r, alpha, s, beta = params

        def alive(x: np.ndarray, t_x: np.ndarray, age: np.ndarray) -> np.ndarray:
            log_odds_dead = (
                np.log(s)
                - np.log(r + s + x)
                + (r + x) * np.log(alpha + age)
                + s * np.log(beta + age)
                + _log_a0(params, x, t_x, age, _Pairs.of(x, t_x, age))
            )
            return special.expit(-log_odds_dead)

        return _per_history(alive, x, t_x, age)

    def probability_alive(self, summary: pd.DataFrame) -> pd.Series:
        """Probability that each customer is still alive at ``T``, given the history.

        P(alive | x, t_x, T) = 1 / [1 + s / (r+s+x) * (alpha+T)^(r+x) (beta+T)^s * A0]
        (note 009, eq. (36)-(37); lifetimes' ``conditional_probability_alive``). Unlike
        BG/NBD's it is below 1 for customers without a repeat purchase too.

        Parameters
        ----------
        summary : pandas.DataFrame
            BTYD columns ``frequency``, ``recency``, ``T`` at the end of the observation.

        Returns
        -------
        pandas.Series
            ``probability_alive``, on the summary's index.

        Examples
        --------
        >>> import pandas as pd
        >>> model = ParetoNBDModel()
        >>> model.params_ = pd.Series({"r": 1.0, "alpha": 1.0, "s": 1.0, "beta": 1.0})
        >>> model.probability_alive(pd.DataFrame({"frequency": [0], "recency": [0.0],
        ...                                       "T": [1.0]})).round(6).tolist()
        [0.4]
        """
        x, t_x, age = _btyd(summary)
        alive = self._probability_alive(x, t_x, age)
        return pd.Series(alive, index=summary.index, name="probability_alive")

    def expected_purchases(self, t: float, summary: pd.DataFrame) -> pd.Series:
        """Expected number of purchases in the next ``t`` periods, given each history.

        E[Y(t) | x, t_x, T] = (r+x) (beta+T) / ((alpha+T) (s-1))
                              * [1 - ((beta+T) / (beta+T+t))^(s-1)] * P(alive)

        (note 009, eq. (41); lifetimes' ``conditional_expected_number_of_purchases_up_to_time``),
        with its limit (r+x) (beta+T) / (alpha+T) * log(1 + t / (beta+T)) * P(alive) at s = 1.

        Parameters
        ----------
        t : float
            Horizon, in the time unit of ``T`` (e.g. the holdout length).
        summary : pandas.DataFrame
            BTYD columns ``frequency``, ``recency``, ``T`` at the end of the observation.

        Returns
        -------
        pandas.Series
            ``expected_purchases``, on the summary's index.

        Examples
        --------
        >>> import pandas as pd
        >>> model = ParetoNBDModel()
        >>> model.params_ = pd.Series({"r": 1.0, "alpha": 1.0, "s": 1.0, "beta": 1.0})
        >>> summary = pd.DataFrame({"frequency": [0], "recency": [0.0], "T": [1.0]})
        >>> model.expected_purchases(1.0, summary).round(6).tolist()  # 0.4 * log(1.5)
        [0.162186]
        """
        if not (np.isscalar(t) and np.isfinite(t) and t >= 0):
            raise ValueError(f"horizon t must be a finite number >= 0, got {t!r}")
        r, alpha, s, beta = self._params()
        x, t_x, age = _btyd(summary)
        log_stretch = np.log1p(t / (beta + age))  # log((beta+T+t) / (beta+T))
        if abs(s - 1.0) < 1e-10:
            lifetime_part = log_stretch
        else:
            lifetime_part = -np.expm1(-(s - 1.0) * log_stretch) / (s - 1.0)
        out = (r + x) * (beta + age) / (alpha + age) * lifetime_part
        out = out * self._probability_alive(x, t_x, age)
        return pd.Series(out, index=summary.index, name="expected_purchases")
