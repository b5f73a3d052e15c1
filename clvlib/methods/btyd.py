"""BG/NBD and Gamma-Gamma by maximum likelihood: the probabilistic reference of the comparison.

The BG/NBD model (Fader, Hardie & Lee 2005) explains *how many* repeat purchases a customer
makes; the Gamma-Gamma model (Fader, Hardie & Lee 2005b; Fader & Hardie's note 025) explains
*how much* a repeat purchase is worth. Their product is the customer's expected value over a
horizon (:func:`expected_clv`), the model-based CLV the heuristic methods are compared with
.

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
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from clvlib.data.checks import rows_at_fault
from clvlib.methods.bgnbd import BetaGeoModel
from clvlib.methods.gamma_gamma import GammaGammaModel
from clvlib.methods.likelihood import (
    _NO_DROPOUT,
    ArrayLike,
    EdgeOfParameterSpaceWarning,
    _btyd_columns,
    _validate_btyd,
    _wrap,
)
from clvlib.methods.pareto_nbd import ParetoNBDModel

#: the purchase models :class:`ProbabilisticCLV` combines with Gamma-Gamma, by name
PURCHASE_MODELS = {"bgnbd": ("BG/NBD", BetaGeoModel), "pareto_nbd": ("Pareto/NBD", ParetoNBDModel)}

# --------------------------------------------------------------------------------------
# the combination: expected value over a horizon
# --------------------------------------------------------------------------------------


def _expected_purchases(
    model: BetaGeoModel | ParetoNBDModel, t: float, x: Any, t_x: Any, age: Any
) -> np.ndarray:
    """Expected purchases in the next ``t`` of either purchase model, from arrays."""
    if isinstance(model, ParetoNBDModel):  # reads a summary frame
        frame = pd.DataFrame({"frequency": x, "recency": t_x, "T": age})
        return model.expected_purchases(t, frame).to_numpy(dtype=float)
    return np.asarray(model.expected_purchases(t, x, t_x, age), dtype=float)


def _probability_alive(model: BetaGeoModel | ParetoNBDModel, x: Any, t_x: Any, age: Any):
    """P(alive) of either purchase model, from arrays."""
    if isinstance(model, ParetoNBDModel):
        frame = pd.DataFrame({"frequency": x, "recency": t_x, "T": age})
        return model.probability_alive(frame).to_numpy(dtype=float)
    return np.asarray(model.probability_alive(x, t_x, age), dtype=float)


def expected_clv(
    purchases_model: BetaGeoModel | ParetoNBDModel,
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
    purchases_model : BetaGeoModel or ParetoNBDModel
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

    Examples
    --------
    >>> from clvlib.methods.bgnbd import BetaGeoModel
    >>> from clvlib.methods.gamma_gamma import GammaGammaModel
    >>> summary = pd.DataFrame({
    ...     "frequency": [0, 1, 2, 0, 4, 3, 0, 5, 6, 0, 2, 1],
    ...     "recency": [0, 3, 35, 0, 38, 8, 0, 12, 39, 0, 6, 36],
    ...     "T": [40, 40, 39, 38, 40, 37, 36, 40, 40, 35, 38, 39],
    ...     "monetary_value": [0, 25.0, 30.0, 0, 42.0, 18.0, 0, 22.0, 55.0, 0, 35.0, 28.0]},
    ...     index=pd.RangeIndex(1, 13, name="customer_id"))
    >>> purchases = BetaGeoModel(penalizer=0.01).fit(summary)
    >>> spend = GammaGammaModel(penalizer=0.001).fit(summary)
    >>> expected_clv(purchases, spend, summary["frequency"], summary["recency"], summary["T"],
    ...              summary["monetary_value"], horizon=30).round(2).head(3)
    customer_id
    1    11.31
    2     4.02
    3    36.76
    Name: expected_clv, dtype: float64
    """
    if horizon < 0 or period <= 0 or discount_rate < 0:
        raise ValueError(
            f"need horizon >= 0, period > 0 and discount_rate >= 0; got horizon={horizon}, "
            f"period={period}, discount_rate={discount_rate}"
        )
    x, t_x, age, index = _validate_btyd(frequency, recency, T)
    value = np.asarray(value_model.expected_average_value(x, monetary_value), dtype=float)
    if discount_rate == 0:
        purchases = _expected_purchases(purchases_model, horizon, x, t_x, age)
        return _wrap(purchases * value, index, "expected_clv")
    bounds = np.minimum(np.arange(1, math.ceil(horizon / period) + 1) * period, horizon)
    total = np.zeros_like(x)
    previous = np.zeros_like(x)
    for k, end in enumerate(bounds, start=1):
        cumulative = _expected_purchases(purchases_model, float(end), x, t_x, age)
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
    purchases : {"bgnbd", "pareto_nbd"}, default "bgnbd"
        The purchase model: BG/NBD (:class:`BetaGeoModel`) or Pareto/NBD
        (:class:`~clvlib.methods.pareto_nbd.ParetoNBDModel`), fitted with ``penalizer``.
    spend : {"gross", "net"}, default "gross"
        The basis of the value per purchase. "gross": ``monetary_value`` as the BTYD summary
        gives it (purchases only). "net": net of returns, so that the forecast is on the
        basis of a net holdout value: each customer's ``monetary_value`` times the share of
        their calibration purchases kept (``total_value / (total_value + returned_value)``,
        clipped to 0..1); the value model is fitted and applied on it.

    Attributes
    ----------
    purchases_model_ : BetaGeoModel or ParetoNBDModel
    value_model_ : GammaGammaModel
        Fitted on scaled spend with ``nonpositive="exclude"``: repeat customers whose
        monetary_value is <= 0 are left out and listed in ``value_model_.excluded_``.
    spend_scale_ : float
        The divisor of monetary_value (currency per purchase).
    dropout_share_ : float
        BG/NBD: a / (a + b), the mean probability of dropping out after a purchase.
        Pareto/NBD: the share expected to drop out within the longest observed age.
    mean_probability_alive_ : float
        Mean P(alive) over the fitted customers.
    at_edge_ : bool
        No sign of drop-out (dropout_share_ < 0.01 or mean_probability_alive_ > 0.99): the
        fit is at the no-churn limit of the model (an :class:`EdgeOfParameterSpaceWarning`
        says so in words).

    Examples
    --------
    >>> summary = pd.DataFrame({
    ...     "frequency": [0, 1, 2, 0, 4, 3, 0, 5, 6, 0, 2, 1],
    ...     "recency": [0, 3, 35, 0, 38, 8, 0, 12, 39, 0, 6, 36],
    ...     "T": [40, 40, 39, 38, 40, 37, 36, 40, 40, 35, 38, 39],
    ...     "monetary_value": [0, 25.0, 30.0, 0, 42.0, 18.0, 0, 22.0, 55.0, 0, 35.0, 28.0]},
    ...     index=pd.RangeIndex(1, 13, name="customer_id"))
    >>> model = ProbabilisticCLV(penalizer=0.01).fit(summary)
    >>> model.predict_value(summary, horizon=30).round(2).head(4)
    customer_id
    1    13.32
    2     4.79
    3    40.03
    4    13.88
    Name: predicted_value, dtype: float64
    >>> round(model.dropout_share_, 3), model.at_edge_
    (0.258, False)
    """

    _COLUMNS = ("frequency", "recency", "T", "monetary_value")

    _parameter_constraints: dict = {
        "penalizer": [Interval(Real, 0, None, closed="left")],
        "penalizer_gg": [Interval(Real, 0, None, closed="left"), None],
        "purchases": [StrOptions(set(PURCHASE_MODELS))],
        "spend": [StrOptions({"gross", "net"})],
    }

    def __init__(
        self,
        penalizer: float = 0.0,
        penalizer_gg: float | None = None,
        *,
        purchases: str = "bgnbd",
        spend: str = "gross",
    ) -> None:
        self.penalizer = penalizer
        self.penalizer_gg = penalizer_gg
        self.purchases = purchases
        self.spend = spend

    def _columns(self, summary: pd.DataFrame) -> list[pd.Series]:
        frequency, recency, T, monetary_value = _btyd_columns(summary, self._COLUMNS)
        if getattr(self, "spend", "gross") == "net":
            monetary_value = monetary_value * kept_share(summary)
        return [frequency, recency, T, monetary_value]

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(
        self, summary: pd.DataFrame, y: None = None, *, value_from: ProbabilisticCLV | None = None
    ) -> ProbabilisticCLV:
        """Fit both models on a calibration-period customer summary.

        Parameters
        ----------
        summary : pandas.DataFrame
            One row per customer with ``frequency``, ``recency``, ``T`` and
            ``monetary_value`` (:func:`clvlib.data.summary.customer_summary`).
        y : None
            Ignored (scikit-learn convention).
        value_from : ProbabilisticCLV, optional
            A model fitted on the same ``summary`` with the same ``spend`` and Gamma-Gamma
            penalty (another purchase model): its spend scale and Gamma-Gamma fit are
            taken instead of fitting them again (the value model does not depend on the
            purchase model), and the warnings of that fit are raised again.

        Returns
        -------
        ProbabilisticCLV
            ``self``, fitted.
        """
        frequency, recency, T, monetary_value = self._columns(summary)
        name, model = PURCHASE_MODELS[self.purchases]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", EdgeOfParameterSpaceWarning)
            self.purchases_model_ = model(self.penalizer).fit(summary)
        pen_gg = self.penalizer if self.penalizer_gg is None else self.penalizer_gg
        if value_from is None:
            spend = monetary_value[(frequency > 0) & (monetary_value > 0)]
            self.spend_scale_ = float(spend.mean()) if len(spend) else 1.0
            scaled = pd.DataFrame(
                {"frequency": frequency, "monetary_value": monetary_value / self.spend_scale_}
            )
            with warnings.catch_warnings(record=True) as value_caught:
                self.value_model_ = GammaGammaModel(pen_gg, nonpositive="exclude").fit(scaled)
            self._value_warnings = [
                (w.message, w.category, w.filename, w.lineno) for w in value_caught
            ]
        else:
            check_is_fitted(value_from, "value_model_")
            theirs = value_from.penalizer_gg
            theirs = value_from.penalizer if theirs is None else theirs
            if value_from.spend != self.spend or theirs != pen_gg:
                raise ValueError(
                    "value_from has another spend or Gamma-Gamma penalty: its value model "
                    "is not this one's"
                )
            self.spend_scale_ = value_from.spend_scale_
            self.value_model_ = value_from.value_model_
            self._value_warnings = list(value_from._value_warnings)
        for message, category, filename, lineno in self._value_warnings:  # as fitted here
            warnings.warn_explicit(message, category, filename, lineno)
        if self.purchases == "bgnbd":
            _, _, a, b = self.purchases_model_._params()
            self.dropout_share_ = a / (a + b)
        else:
            self.dropout_share_ = self.purchases_model_.dropout_share_
        alive = _probability_alive(self.purchases_model_, frequency, recency, T)
        self.mean_probability_alive_ = float(np.mean(alive))
        self.at_edge_ = bool(
            self.dropout_share_ < _NO_DROPOUT or self.mean_probability_alive_ > 0.99
        )
        for w in caught:  # at the no-churn edge the sentence below says it once, in words
            if not (self.at_edge_ and issubclass(w.category, EdgeOfParameterSpaceWarning)):
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        if self.at_edge_:
            warnings.warn(
                f"{name} shows no sign of drop-out (drop-out share {self.dropout_share_:.3g}, "
                f"mean P(alive) = {self.mean_probability_alive_:.3f}): the no-churn limit is "
                "the honest fit here, and the model forecasts every customer as still buying.",
                EdgeOfParameterSpaceWarning,
                stacklevel=3,  # the caller of fit, past scikit-learn's _fit_context wrapper
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
        purchases = _expected_purchases(self.purchases_model_, horizon, frequency, recency, T)
        value = self.value_model_.expected_average_value(
            frequency, monetary_value / self.spend_scale_
        )
        out = pd.DataFrame(
            {
                "expected_purchases": np.asarray(purchases),
                "probability_alive": _probability_alive(
                    self.purchases_model_, frequency, recency, T
                ),
                "expected_average_value": np.asarray(value) * self.spend_scale_,
            },
            index=summary.index,
        )
        out["predicted_value"] = out["expected_purchases"] * out["expected_average_value"]
        for column in out.columns:
            _finite(column, out[column])
        return out


def kept_share(summary: pd.DataFrame) -> pd.Series:
    """Share of each customer's purchase value not returned: net / gross, clipped to 0..1.

    ``total_value / (total_value + returned_value)`` of the customer summary (1 where the
    customer bought nothing): the factor that puts a gross spend per purchase on the net
    basis of ``total_value`` and ``holdout_value``.

    Examples
    --------
    >>> kept_share(pd.DataFrame({"total_value": [90.0, 0.0, -5.0],
    ...                          "returned_value": [10.0, 0.0, 20.0]})).tolist()
    [0.9, 1.0, 0.0]
    """
    missing = [c for c in ("total_value", "returned_value") if c not in summary.columns]
    if missing:
        raise KeyError(
            f"spend='net' needs the summary columns {missing} (customer_summary() has them)"
        )
    net = summary["total_value"].astype(float)
    gross = net + summary["returned_value"].astype(float)
    share = (net / gross.where(gross > 0)).fillna(1.0).clip(0.0, 1.0)
    return share.rename("kept_share")


def _finite(name: str, values: pd.Series) -> None:
    bad = ~np.isfinite(values.to_numpy(dtype=float))
    if bad.any():
        raise ValueError(
            f"{name} is missing or infinite for {int(bad.sum())} of {bad.size} customers "
            f"({rows_at_fault(bad, values.index)}): the fitted parameters are at a numerical "
            "limit; refit with a penalizer"
        )
