"""Gradient boosting on calibration-period features: :class:`BoostedValueModel`.

The contender a data scientist adds first: a supervised learner, untuned,
that learns "value over the next ``horizon_days``" from customers' summaries. There are no
labels at the cut-off itself, so the labels come from a **time-shifted window inside
calibration**: features are the customer summary at ``calibration_end - horizon_days`` and
the target is each customer's net value in the window (``calibration_end - horizon_days``,
``calibration_end``]. The fitted learner is then applied to the summary at
``calibration_end`` to forecast the next ``horizon_days``. No line after
``calibration_end`` is read, whatever the log holds.

API choice: ``fit(tx, *, calibration_end, horizon_days)`` takes the log (the learner builds
its own shifted window from it) and ``predict(summary)`` the customer summary at the
cut-off: what a comparison method sees (its calibration log and summary).
"""

from __future__ import annotations

from collections.abc import Callable
from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, _fit_context
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from clvlib.data import log as _tx
from clvlib.data.dates import cutoff_day
from clvlib.data.summary import calibration_holdout

__all__ = ["FEATURES", "BoostedValueModel", "WindowTooShortError", "value_features"]

#: Summary columns used as they are (every customer_summary has them).
_SUMMARY_FEATURES = (
    "frequency",
    "recency",
    "T",
    "monetary_value",
    "since_last_order",
    "n_orders",
    "total_value",
    "avg_order_value",
    "returned_value",
)
#: The learner's inputs: the summary columns, then three rates and shares derived from them.
FEATURES: tuple[str, ...] = (
    *_SUMMARY_FEATURES,
    "returns_share",
    "orders_per_period",
    "value_per_period",
)
#: Fewest customers summarised at the start of the shifted window for a fit to be tried.
MIN_TRAINING_CUSTOMERS = 50


class WindowTooShortError(ValueError):
    """The calibration period cannot hold a shifted window of the horizon: no model, a reason."""


def value_features(summary: pd.DataFrame) -> pd.DataFrame:
    """The learner's features (:data:`FEATURES`) from a customer summary, one row a customer.

    The summary columns of :data:`FEATURES`, plus ``returns_share`` (returned value /
    gross value, 0 without purchases), ``orders_per_period`` and ``value_per_period``
    (``n_orders`` and ``total_value`` over ``T + 1`` periods of tenure).

    Parameters
    ----------
    summary : pandas.DataFrame
        Output of :func:`clvlib.data.summary.customer_summary`.

    Returns
    -------
    pandas.DataFrame
        Float columns :data:`FEATURES`, on the summary's index.

    Examples
    --------
    >>> import pandas as pd
    >>> from clvlib.data.summary import customer_summary
    >>> tx = pd.DataFrame({
    ...     "customer_id": [1, 1, 2],
    ...     "order_id": ["a", "b", "c"],
    ...     "timestamp": pd.to_datetime(["2024-01-01", "2024-01-11", "2024-01-05"]),
    ...     "amount": [10.0, 20.0, 8.0],
    ...     "is_return": [False, False, False],
    ... })
    >>> features = value_features(customer_summary(tx, observation_end="2024-01-31"))
    >>> features[["n_orders", "T", "orders_per_period"]].round(3)  # doctest: +NORMALIZE_WHITESPACE
                 n_orders     T  orders_per_period
    customer_id
    1                 2.0  30.0              0.065
    2                 1.0  26.0              0.037
    """
    missing = [c for c in _SUMMARY_FEATURES if c not in summary.columns]
    if missing:
        raise KeyError(
            f"summary lacks the columns {missing}; expected the output of customer_summary()"
        )
    out = summary[list(_SUMMARY_FEATURES)].astype("float64")
    gross = out["total_value"] + out["returned_value"]
    share = out["returned_value"] / gross.where(gross > 0)
    out["returns_share"] = share.fillna(0.0)
    tenure = out["T"] + 1.0
    out["orders_per_period"] = out["n_orders"] / tenure
    out["value_per_period"] = out["total_value"] / tenure
    return out[list(FEATURES)]


class BoostedValueModel(BaseEstimator):
    """Net value over the next ``horizon_days`` by gradient boosting, learned inside calibration.

    scikit-learn's ``HistGradientBoostingRegressor`` with its default settings (untuned)
    on :func:`value_features`, trained on a window shifted back by one horizon: features at
    ``calibration_end - horizon_days``, target the net value (purchases minus returns, the
    basis of ``holdout_value``) in the following ``horizon_days``. Only lines up to
    ``calibration_end`` are read.

    Parameters
    ----------
    loss : {"poisson", "squared_error"}, default "poisson"
        The regressor's loss. Poisson (log link) keeps forecasts >= 0 and suits skewed,
        zero-heavy spend; its target is the window's net value floored at 0 (a customer
        who returned more than bought counts as 0). "squared_error" uses the net value as it is.
    max_iter : int, default 100
        Boosting iterations (scikit-learn's default).
    learning_rate : float, default 0.1
        Shrinkage (scikit-learn's default).
    random_state : int, RandomState instance or None, default 0
        Seed of the regressor's randomness (the early-stopping split above 10,000
        customers); fixed by default so that a forecast is reproducible.

    Attributes
    ----------
    estimator_ : sklearn.ensemble.HistGradientBoostingRegressor
        The fitted regressor.
    calibration_end_, training_end_ : pandas.Timestamp
        The cut-off and the start of the shifted window (``calibration_end_ - horizon_days_``).
    horizon_days_ : int
        Length of the window learned and of the forecast, in days.
    time_unit_ : str
        Time unit of the summaries (``T``, ``recency``, ...) the learner was trained on.
    n_training_customers_ : int
        Customers summarised at ``training_end_`` (the training rows).
    training_target_mean_ : float
        Mean training target per customer (currency over ``horizon_days_``).

    Examples
    --------
    >>> import clvlib
    >>> from clvlib.data.summary import customer_summary
    >>> tx, _ = clvlib.load_transactions(clvlib.load_default_shop().transactions)
    >>> model = BoostedValueModel().fit(tx, calibration_end="2024-06-30", horizon_days=184)
    >>> model.training_end_.date().isoformat()
    '2023-12-29'
    >>> forecast = model.predict(customer_summary(tx, observation_end="2024-06-30"))
    >>> bool((forecast >= 0).all())
    True
    """

    _parameter_constraints: dict = {
        "loss": [StrOptions({"poisson", "squared_error"})],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        loss: str = "poisson",
        *,
        max_iter: int = 100,
        learning_rate: float = 0.1,
        random_state: int | np.random.RandomState | None = 0,
    ) -> None:
        self.loss = loss
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(
        self,
        tx: pd.DataFrame,
        *,
        calibration_end: str | pd.Timestamp,
        horizon_days: int,
        time_unit: str = "D",
        window: Callable[[pd.Timestamp, pd.Timestamp], pd.DataFrame] | None = None,
    ) -> BoostedValueModel:
        """Learn next-``horizon_days`` value on a window shifted back inside calibration.

        Parameters
        ----------
        tx : pandas.DataFrame or ibis.Table
            The clean transaction log (lines after ``calibration_end`` are ignored).
        calibration_end : str or pandas.Timestamp
            The cut-off; its whole day is included.
        horizon_days : int
            Forecast horizon in days (the holdout length): the shifted window starts
            ``horizon_days`` before ``calibration_end``.
        time_unit : {"D", "W", "M"}, default "D"
            Time unit of the summaries' durations; :meth:`predict` needs a summary in it.
        window : callable, optional
            ``window(start, end)`` returns what ``calibration_holdout(tx,
            calibration_end=start, holdout_end=end, time_unit=time_unit)`` would (not
            modified here): the shifted window's summary, when the caller has it already
            (:meth:`clvlib.compare.registry.Calibration.inner_holdout`).

        Returns
        -------
        BoostedValueModel
            ``self``, fitted.

        Raises
        ------
        WindowTooShortError
            (a ValueError) When the calibration period is too short for the shifted
            window: fewer than :data:`MIN_TRAINING_CUSTOMERS` customers bought before its
            start, or nobody spent anything in it. The model is then absent, never
            fitted on leaked data.
        """
        _tx.check(tx)
        if isinstance(horizon_days, bool) or not isinstance(horizon_days, Integral):
            raise TypeError(f"horizon_days must be an integer, got {horizon_days!r}")
        if horizon_days < 1:
            raise ValueError(f"horizon_days must be >= 1, got {horizon_days}")
        end = cutoff_day(calibration_end, "calibration_end")
        start = end - pd.Timedelta(days=int(horizon_days))
        log = _tx.upto(tx, end)  # nothing after the cut-off is ever read
        first = _tx.stats(log)["first"]
        too_short = (
            f"the calibration period is too short for a window of {horizon_days} days "
            f"shifted inside it: the window would start on {start.date()}"
        )
        if pd.isna(first) or pd.Timestamp(first).normalize() > start:
            when = "no line" if pd.isna(first) else pd.Timestamp(first).date().isoformat()
            raise WindowTooShortError(f"{too_short}, before the first line of the log ({when})")
        if window is None:
            inner = calibration_holdout(
                log, calibration_end=start, holdout_end=end, time_unit=time_unit
            )
        else:
            inner = window(start, end)
        if len(inner) < MIN_TRAINING_CUSTOMERS:
            raise WindowTooShortError(
                f"{too_short}, when only {len(inner)} customers had bought (at least "
                f"{MIN_TRAINING_CUSTOMERS} needed to learn from)"
            )
        target = inner["holdout_value"].to_numpy(dtype=float)
        if self.loss == "poisson":
            target = np.clip(target, 0.0, None)
        if not target.sum() > 0:
            raise WindowTooShortError(f"{too_short}, and nobody spent anything in that window")
        # One thread: on customer-sized data OpenMP threads cost more in synchronisation than
        # they save, 20 times more when other processes share the cores (0.56 s -> 11 s on
        # the shop), as in clvlib's k-means choice.
        with threadpool_limits(limits=1):
            self.estimator_ = HistGradientBoostingRegressor(
                loss=self.loss,
                max_iter=self.max_iter,
                learning_rate=self.learning_rate,
                random_state=self.random_state,
            ).fit(value_features(inner).to_numpy(), target)
        self.calibration_end_ = end
        self.training_end_ = start
        self.horizon_days_ = int(horizon_days)
        self.time_unit_ = time_unit
        self.n_training_customers_ = int(len(inner))
        self.training_target_mean_ = float(target.mean())
        return self

    def predict(self, summary: pd.DataFrame) -> pd.Series:
        """Forecast net value over the ``horizon_days_`` after the summary's observation end.

        Parameters
        ----------
        summary : pandas.DataFrame
            Customer summary at the cut-off (:func:`clvlib.data.summary.customer_summary`,
            in ``time_unit_``).

        Returns
        -------
        pandas.Series
            ``predicted_value`` (currency), on the summary's index; >= 0 with Poisson loss.
        """
        check_is_fitted(self, "estimator_")
        unit = summary.attrs.get("time_unit") if hasattr(summary, "attrs") else None
        if unit is not None and unit != self.time_unit_:
            raise ValueError(
                f"summary is in time unit {unit!r}, the model was trained on {self.time_unit_!r}"
            )
        features = value_features(summary)
        with threadpool_limits(limits=1):
            predicted = self.estimator_.predict(features.to_numpy())
        return pd.Series(predicted, index=summary.index, name="predicted_value")
