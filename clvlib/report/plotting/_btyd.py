"""Diagnostics of the BG/NBD + Gamma-Gamma reference: does the model fit the data.

The three checks users of lifetimes, PyMC-Marketing and CLVTools look at before trusting
the model, each ``plot_x(comparison, ..., *, ax=None) -> Axes`` on a
:class:`~clvlib.compare.comparison.Comparison` (its fitted ``models["bgnbd_gg"]``, the calibration
``summary`` and the holdout outcome in ``scores``):

- :func:`plot_period_transactions`: customers by number of repeat purchases in calibration,
  data vs model;
- :func:`plot_calibration_vs_holdout`: mean holdout purchases by calibration frequency,
  data vs the model's conditional expectation;
- :func:`plot_cumulative_transactions`: cumulative repeat purchases over calendar time,
  across calibration and holdout (the tracking plot).

When the reference is unavailable (its fit failed) each plot says so on its axes instead of
failing, so that a report still renders.
"""

from __future__ import annotations

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from clvlib.compare.comparison import Comparison
from clvlib.compare.registry import METHODS

_DATA, _MODEL = "#404040", METHODS["bgnbd_gg"].colour
_DAYS = {"D": 1.0, "W": 7.0, "M": 365.25 / 12}
_UNIT = {"D": "days", "W": "weeks", "M": "months"}


def _axes(ax: Axes | None, size: tuple[float, float] = (7, 4.5)) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=size)
    return ax


def _model(comparison: Comparison, ax: Axes, title: str):
    if not isinstance(comparison, Comparison):
        raise TypeError(f"expected a clvlib Comparison, got {type(comparison).__name__}")
    model = comparison.models.get("bgnbd_gg")
    if model is None:
        reason = comparison.params.get("unavailable", {}).get("bgnbd_gg", "not fitted")
        ax.text(
            0.5,
            0.5,
            f"BG/NBD + Gamma-Gamma unavailable:\n{reason}",
            ha="center",
            va="center",
            wrap=True,
            transform=ax.transAxes,
        )
        ax.set_title(title)
        ax.set_axis_off()
    return model


def plot_period_transactions(
    comparison: Comparison, *, max_frequency: int = 7, ax: Axes | None = None
) -> Axes:
    """Customers by repeat purchases in calibration: data vs BG/NBD (bars side by side).

    Parameters
    ----------
    comparison : Comparison
        Result of :func:`clvlib.compare_methods`.
    max_frequency : int, default 7
        The last bar counts customers with this many repeat purchases or more.
    ax : matplotlib.axes.Axes, optional
    """
    ax = _axes(ax)
    title = "Repeat purchases in calibration: data vs BG/NBD"
    model = _model(comparison, ax, title)
    if model is None:
        return ax
    summary = comparison.summary
    freq = np.minimum(summary["frequency"].to_numpy(dtype=int), max_frequency)
    data = np.bincount(freq, minlength=max_frequency + 1)
    expected = model.purchases_model_.frequency_distribution(summary["T"], max_frequency)
    expected = expected * len(summary)
    k = np.arange(max_frequency + 1)
    ax.bar(k - 0.2, data, width=0.4, color=_DATA, label="data")
    ax.bar(k + 0.2, expected, width=0.4, color=_MODEL, label="BG/NBD")
    ax.set_xticks(k, [*map(str, k[:-1]), f"{max_frequency}+"])
    ax.set_xlabel("repeat purchase periods in calibration (frequency, count)")
    ax.set_ylabel("customers (count)")
    ax.set_title(f"{title} (n = {len(summary):,})")
    ax.legend(frameon=False)
    return ax


def plot_calibration_vs_holdout(
    comparison: Comparison, *, max_frequency: int = 7, ax: Axes | None = None
) -> Axes:
    """Mean holdout purchases by calibration frequency: data vs the model's expectation.

    The conditional expectation E[Y(holdout) | frequency, recency, T] averaged within each
    calibration frequency, against the mean realised holdout purchase periods (same
    definition as frequency: distinct purchase periods).
    """
    ax = _axes(ax)
    title = "Holdout purchases by calibration frequency"
    model = _model(comparison, ax, title)
    if model is None:
        return ax
    summary = comparison.summary
    horizon = comparison.params["holdout_length"]
    expected = model.purchases_model_.expected_purchases(
        horizon, summary["frequency"], summary["recency"], summary["T"]
    )
    frame = pd.DataFrame(
        {
            "bin": np.minimum(summary["frequency"].to_numpy(dtype=int), max_frequency),
            "data": comparison.scores["holdout_purchase_periods"].reindex(summary.index),
            "model": np.asarray(expected),
        }
    )
    means = frame.groupby("bin")[["data", "model"]].mean()
    ax.plot(means.index, means["data"], "o-", color=_DATA, label="data (mean realised)")
    ax.plot(means.index, means["model"], "s--", color=_MODEL, label="BG/NBD (expected)")
    ax.set_xticks(means.index, [f"{i}+" if i == max_frequency else str(i) for i in means.index])
    unit = _UNIT.get(comparison.params["time_unit"], comparison.params["time_unit"])
    ax.set_xlabel("repeat purchase periods in calibration (frequency, count)")
    ax.set_ylabel(f"purchase periods in the holdout ({horizon} {unit}, mean per customer)")
    ax.set_title(title)
    ax.legend(frameon=False)
    return ax


def plot_cumulative_transactions(
    comparison: Comparison, tx: pd.DataFrame, *, ax: Axes | None = None
) -> Axes:
    """Cumulative repeat purchases of the calibration customers, data vs BG/NBD, over time.

    The model side sums, over the customers, the expected repeat purchases of a new customer
    since their first purchase (E[X(t)], eq. 9 of Fader, Hardie & Lee 2005); a purchase is
    a distinct purchase period of a customer, as in ``frequency``. The dashed line is the
    calibration end: to its right the model forecasts.

    Parameters
    ----------
    comparison : Comparison
    tx : pandas.DataFrame
        The clean transaction log the comparison was run on.
    ax : matplotlib.axes.Axes, optional
    """
    ax = _axes(ax, (8, 4.5))
    title = "Cumulative repeat purchases: data vs BG/NBD"
    model = _model(comparison, ax, title)
    if model is None:
        return ax
    split = comparison.split
    unit = split.time_unit
    cal_end, hold_end = split.calibration_end, split.holdout_end
    customers = comparison.summary.index
    lines = tx[
        (~tx["is_return"])
        & tx["customer_id"].isin(customers)
        & (tx["timestamp"] < split.holdout_after)
    ]
    freq = {"D": "D", "W": "W", "M": "M"}[unit]
    periods = pd.DataFrame(
        {"customer_id": lines["customer_id"], "period": lines["timestamp"].dt.to_period(freq)}
    ).drop_duplicates()
    periods = periods.sort_values(["customer_id", "period"])
    repeat = periods[periods.duplicated("customer_id")]  # every period after the first
    day = repeat["period"].dt.start_time
    first = comparison.summary["first_purchase"].dt.normalize()
    start = first.min()
    grid = pd.date_range(start, hold_end, freq="7D")
    data = np.searchsorted(np.sort(day.to_numpy()), grid.to_numpy(), side="right")
    cohorts = first.value_counts()
    ages = (grid.to_numpy()[:, None] - cohorts.index.to_numpy()[None, :]) / np.timedelta64(1, "D")
    ages = np.maximum(ages, 0.0) / _DAYS[unit]
    expected = model.purchases_model_.expected_purchases_new(ages) @ cohorts.to_numpy()
    ax.plot(grid, data, color=_DATA, label="data")
    ax.plot(grid, expected, color=_MODEL, ls="--", label="BG/NBD")
    ax.axvline(cal_end, color="#bdbdbd", ls=":", lw=1)
    ax.text(cal_end, ax.get_ylim()[1] * 0.95, " calibration end", fontsize=8, va="top")
    locator = mdates.AutoDateLocator(maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.set_xlabel("date (weekly)")
    ax.set_ylabel("cumulative repeat purchase periods (count)")
    ax.set_title(f"{title} ({len(customers):,} customers)")
    ax.legend(frameon=False, loc="upper left")
    return ax
