"""Calibration plots of money forecasts (:func:`clvlib.compare.metrics.decile_calibration`).

Each function is ``plot_x(data, *, ax=None) -> Axes``: it draws on ``ax`` (a new figure when
None), never touches pyplot's current figure, and labels its axes with units.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from clvlib.vocabulary import money_unit

_COLUMNS = ("customers", "mean_predicted", "mean_realised", "ratio")


def bin_labels(bins: Sequence[int], n_bins: int = 10) -> list[str]:
    """The tenths each bin of :func:`~clvlib.compare.metrics.decile_calibration` covers.

    Customers with the same forecast share a bin, so a large tie fills several tenths and
    the next bin numbers are missing: such a bin reads "1–2" instead of a skipped number.

    Examples
    --------
    >>> bin_labels([1, 3, 4, 5, 6, 7, 8, 9, 10])[:2]
    ['1–2', '3']
    """
    bins = [int(b) for b in bins]
    ends = [*bins[1:], n_bins + 1]
    return [str(b) if e == b + 1 else f"{b}–{e - 1}" for b, e in zip(bins, ends, strict=True)]


def plot_decile_calibration(
    table: pd.DataFrame,
    *,
    ax: Axes | None = None,
    currency: str | None = None,
    title: str | None = None,
) -> Axes:
    """Mean predicted next to mean realised value per bin of the forecast.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`clvlib.compare.metrics.decile_calibration`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure when omitted.
    currency : str, optional
        Unit shown on the value axis (e.g. "GBP"); by default the page's currency
        (:func:`clvlib.vocabulary.money_unit`: "€", or "currency units" when none is set).
    title : str, optional
        Title; by default it names the overall predicted / realised ratio.
    """
    missing = [c for c in _COLUMNS if c not in table.columns]
    if missing:
        raise KeyError(f"table has no column {missing}; pass decile_calibration's output")
    currency = currency or money_unit()
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.5))
    x = np.arange(len(table))
    width = 0.4
    ax.bar(x - width / 2, table["mean_predicted"], width, color="#4575b4", label="predicted")
    ax.bar(x + width / 2, table["mean_realised"], width, color="#fc8d59", label="realised")
    labels = [
        f"{b}\n{r:.2f}" if np.isfinite(r) else f"{b}\n–"
        for b, r in zip(bin_labels(table.index), table["ratio"], strict=True)
    ]
    ax.set_xticks(x, labels)
    ratio = table.attrs.get("ratio")
    if title is None:
        title = "Predicted vs realised value per bin of the forecast"
        if ratio is not None and np.isfinite(ratio):
            title += f" (overall ratio {ratio:.2f})"
    ax.set_title(title)
    ax.set_xlabel("bin of the forecast (1 = lowest), with its predicted / realised ratio")
    ax.set_ylabel(f"mean value per customer ({currency or money_unit()})")
    ax.axhline(0, color="black", lw=0.5)
    ax.legend()
    return ax
