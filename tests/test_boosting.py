"""BoostedValueModel: features by hand, runs on the shop, >= 0, deterministic, no leakage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import InvalidParameterError

import clvlib
from clvlib.data.summary import customer_summary
from clvlib.methods.boosting import FEATURES, BoostedValueModel, value_features

CAL_END = pd.Timestamp("2024-06-30")
HORIZON = 184  # days to the default report's holdout_end, 2024-12-31


@pytest.fixture(scope="module")
def shop_tx() -> pd.DataFrame:
    tx, _ = clvlib.load_transactions(clvlib.load_default_shop().transactions)
    return tx


@pytest.fixture(scope="module")
def shop_summary(shop_tx) -> pd.DataFrame:
    return customer_summary(shop_tx, observation_end=CAL_END)


@pytest.fixture(scope="module")
def fitted(shop_tx) -> BoostedValueModel:
    return BoostedValueModel().fit(shop_tx, calibration_end=CAL_END, horizon_days=HORIZON)


def test_features_by_hand(tiny_tx):
    """conftest's tiny log at 2024-03-31: customer 1 has 4 orders, total_value 135,
    returned_value 10 (gross 145), T 90; customer 5 one order of 80, T 81, no return."""
    features = value_features(customer_summary(tiny_tx, observation_end="2024-03-31"))
    assert list(features.columns) == list(FEATURES)
    one, five = features.loc[1], features.loc[5]
    assert one["returns_share"] == pytest.approx(10 / 145)
    assert one["orders_per_period"] == pytest.approx(4 / 91)
    assert one["value_per_period"] == pytest.approx(135 / 91)
    assert five["returns_share"] == 0.0
    assert five["value_per_period"] == pytest.approx(80 / 82)


def test_learns_on_a_window_shifted_inside_calibration(fitted, shop_tx):
    assert fitted.training_end_ == CAL_END - pd.Timedelta(days=HORIZON)
    first_buyers = customer_summary(shop_tx, observation_end=fitted.training_end_)
    assert fitted.n_training_customers_ == len(first_buyers)


def test_forecasts_are_nonnegative_and_rank_the_shops_holdout(fitted, shop_tx, shop_summary):
    forecast = fitted.predict(shop_summary)
    assert forecast.name == "predicted_value"
    assert forecast.index.equals(shop_summary.index)
    assert np.isfinite(forecast).all() and (forecast >= 0).all()
    holdout = clvlib.calibration_holdout(
        shop_tx, calibration_end=CAL_END, holdout_end=CAL_END + pd.Timedelta(days=HORIZON)
    )["holdout_value"]
    # untuned, but far better than the 0 of a random ranking on 5,352 customers
    assert clvlib.spearman(forecast, holdout) > 0.25


def test_deterministic(fitted, shop_tx, shop_summary):
    again = BoostedValueModel().fit(shop_tx, calibration_end=CAL_END, horizon_days=HORIZON)
    pd.testing.assert_series_equal(again.predict(shop_summary), fitted.predict(shop_summary))


def test_holdout_lines_change_no_forecast(fitted, shop_tx, shop_summary):
    """Perturb every line after calibration_end (amounts x 5, half of them dropped, a new
    big spender): the fit reads none of them, so no forecast moves."""
    after = shop_tx["timestamp"] >= CAL_END + pd.Timedelta(days=1)
    assert after.sum() > 1000
    perturbed = shop_tx.copy()
    perturbed.loc[after, "amount"] *= 5
    perturbed = perturbed.drop(index=perturbed.index[after][::2])
    extra = perturbed[after.reindex(perturbed.index)].head(1).assign(amount=1e6, order_id="X1")
    perturbed = pd.concat([perturbed, extra], ignore_index=True)
    model = BoostedValueModel().fit(perturbed, calibration_end=CAL_END, horizon_days=HORIZON)
    summary = customer_summary(perturbed, observation_end=CAL_END)
    pd.testing.assert_frame_equal(summary, shop_summary)
    pd.testing.assert_series_equal(model.predict(summary), fitted.predict(shop_summary))


def test_squared_error_loss_runs(shop_tx, shop_summary):
    model = BoostedValueModel("squared_error", max_iter=20)
    forecast = model.fit(shop_tx, calibration_end=CAL_END, horizon_days=HORIZON).predict(
        shop_summary
    )
    assert np.isfinite(forecast).all()


def test_too_short_a_calibration_is_refused_with_the_reason(shop_tx):
    with pytest.raises(ValueError, match="too short.*before the first line"):
        BoostedValueModel().fit(shop_tx, calibration_end="2022-03-31", horizon_days=184)
    with pytest.raises(ValueError, match="too short.*only .* customers had bought"):
        BoostedValueModel().fit(shop_tx, calibration_end="2022-01-10", horizon_days=8)


def test_parameters_and_inputs_are_validated(shop_tx, shop_summary):
    with pytest.raises(InvalidParameterError, match="loss"):
        BoostedValueModel("gamma").fit(shop_tx, calibration_end=CAL_END, horizon_days=HORIZON)
    with pytest.raises(InvalidParameterError, match="max_iter"):
        BoostedValueModel(max_iter=0).fit(shop_tx, calibration_end=CAL_END, horizon_days=90)
    with pytest.raises(ValueError, match="horizon_days"):
        BoostedValueModel().fit(shop_tx, calibration_end=CAL_END, horizon_days=0)
    with pytest.raises(NotFittedError):
        BoostedValueModel().predict(shop_summary)


def test_summary_in_another_time_unit_is_refused(fitted, shop_tx):
    weekly = customer_summary(shop_tx, observation_end=CAL_END, time_unit="W")
    with pytest.raises(ValueError, match="time unit 'W'"):
        fitted.predict(weekly)
