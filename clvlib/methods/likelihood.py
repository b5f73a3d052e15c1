"""Maximum-likelihood machinery shared by the BTYD models (BG/NBD, Gamma-Gamma).

The invariants of a BTYD summary (lifetimes' ``_check_inputs``), the penalised objective in
log-parameters, BFGS with a clear :class:`ConvergenceError`, and the warning for estimates
at the edge of the parameter space.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize

from clvlib.data.checks import rows_at_fault

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


def _btyd_columns(summary: pd.DataFrame, columns: tuple[str, ...]) -> list[pd.Series]:
    """The summary's BTYD columns by name (a KeyError naming the missing ones)."""
    if not isinstance(summary, pd.DataFrame):
        raise TypeError(
            f"expected a customer summary DataFrame with columns {list(columns)}, got "
            f"{type(summary).__name__}"
        )
    missing = [c for c in columns if c not in summary.columns]
    if missing:
        raise KeyError(
            f"summary lacks the BTYD columns {missing}; expected the output of customer_summary()"
        )
    return [summary[c] for c in columns]


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
            stacklevel=4,  # the caller of fit, past scikit-learn's _fit_context wrapper
        )
