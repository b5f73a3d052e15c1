"""Plots of RFM scores and segments (data from :mod:`clvlib.methods.rfm`).

Each function draws on the axes given (a new figure when None), never on pyplot's current
figure, and labels its axes with units.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import PercentFormatter

from clvlib.report.plotting._labels import words
from clvlib.vocabulary import money_unit

_AXIS_NAMES = {
    "r_score": ("R", "recency", "most recent"),
    "f_score": ("F", "frequency", "most orders"),
    "m_score": ("M", "monetary", "highest value"),
}


def _n_bins(scores: pd.DataFrame) -> int:
    """Score scale: from ``attrs`` (RFMScorer), else the highest score present."""
    n = scores.attrs.get("n_bins")
    if n is None:
        n = int(max(scores[c].max() for c in _AXIS_NAMES if c in scores.columns))
    return int(n)


def plot_rfm_heatmap(
    scores: pd.DataFrame,
    *,
    summary: pd.DataFrame | None = None,
    value: str = "count",
    monetary_col: str | None = None,
    currency: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Recency score x frequency score grid, coloured and annotated by count or mean value.

    Parameters
    ----------
    scores : pandas.DataFrame
        Output of :meth:`clvlib.methods.rfm.RFMScorer.transform`.
    summary : pandas.DataFrame, optional
        Customer summary; needed when ``value="monetary"``.
    value : {"count", "monetary"}, default "count"
        Customers per cell, or their mean monetary value.
    monetary_col : str, optional
        Summary column averaged for ``value="monetary"``; by default the scorer's M column
        (``scores.attrs``), else ``total_value``.
    currency : str, optional
        Unit of the monetary value; by default the page's currency
        (:func:`clvlib.vocabulary.money_unit`).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure when omitted.
    """
    if value not in ("count", "monetary"):
        raise ValueError(f"value must be 'count' or 'monetary', got {value!r}")
    n = _n_bins(scores)
    if value == "count":
        cells = scores.groupby(["f_score", "r_score"]).size().astype(float)
        label, title, fmt = "customers (count)", "Customers per R x F score cell", "{:,.0f}"
    else:
        if summary is None:
            raise ValueError("value='monetary' needs the customer summary (summary=...)")
        col = monetary_col or scores.attrs.get("columns", {}).get("m", "total_value")
        if col not in summary.columns:
            raise KeyError(f"summary has no column {col!r} to average")
        frame = scores[["r_score", "f_score"]].join(summary[[col]], how="left")
        cells = frame.groupby(["f_score", "r_score"])[col].mean()
        label, title, fmt = (
            f"mean {words(col)} ({currency or money_unit()})",
            f"Mean {words(col)} per R x F score cell",
            "{:,.0f}",
        )
    grid = cells.unstack("r_score").reindex(index=range(1, n + 1), columns=range(1, n + 1))
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 5), layout="constrained")
    image = ax.imshow(
        np.ma.masked_invalid(grid.to_numpy(dtype=float)),
        origin="lower",
        cmap="viridis",
        extent=(0.5, n + 0.5, 0.5, n + 0.5),
        aspect="equal",
    )
    finite = grid.to_numpy(dtype=float)
    middle = np.nanmean(finite) if np.isfinite(finite).any() else 0.0
    for (f, r), v in grid.stack().dropna().items():  # empty cells stay blank
        ax.text(r, f, fmt.format(v), ha="center", va="center", fontsize=8,
                color="white" if v < middle else "black")  # fmt: skip
    ax.figure.colorbar(image, ax=ax, label=label)
    ax.set_xticks(range(1, n + 1))
    ax.set_yticks(range(1, n + 1))
    ax.set_title(f"{title} ({len(scores):,} customers)")
    ax.set_xlabel(f"R score (recency, 1..{n}; {n} = most recent)")
    ax.set_ylabel(f"F score (frequency, 1..{n}; {n} = most orders)")
    return ax


def plot_segment_sizes(table: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Share of customers vs share of value per segment (bars side by side).

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`clvlib.methods.rfm.segment_table` (``customer_share``, ``value_share``),
        indexed by segment; drawn top to bottom in its order.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure when omitted.
    """
    missing = [c for c in ("customer_share", "value_share") if c not in table.columns]
    if missing:
        raise KeyError(f"table lacks {missing}: pass the output of segment_table")
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.45 * len(table) + 1.5), layout="constrained")
    y = np.arange(len(table))[::-1]
    height = 0.4
    ax.barh(y + height / 2, table["customer_share"] * 100, height, label="customers",
            color="#4575b4")  # fmt: skip
    ax.barh(y - height / 2, table["value_share"] * 100, height, label="value (net value to date)",
            color="#fc8d59")  # fmt: skip
    ax.set_yticks(y, [str(s) for s in table.index])
    ax.axvline(0, color="grey", lw=0.8)
    ax.xaxis.set_major_formatter(PercentFormatter())
    ax.set_title("Segments: share of customers vs share of value")
    ax.set_xlabel("share of all customers / of total value (%)")
    ax.set_ylabel("segment")
    ax.legend(loc="best")
    return ax


def plot_score_distributions(scores: pd.DataFrame, *, axes: np.ndarray | None = None) -> np.ndarray:
    """Share of customers per score, one panel per axis (R, F, M), against an even split.

    Ties show up as bars far from the dashed 1/n line and as missing scores.

    Parameters
    ----------
    scores : pandas.DataFrame
        Output of :meth:`clvlib.methods.rfm.RFMScorer.transform`.
    axes : array of matplotlib.axes.Axes, optional
        One axes per score column present (2 for RF-only scores); a new figure when omitted.

    Returns
    -------
    numpy.ndarray
        The axes drawn on.
    """
    columns = [c for c in _AXIS_NAMES if c in scores.columns]
    n = _n_bins(scores)
    if axes is None:
        fig, axes = plt.subplots(
            1, len(columns), figsize=(3.8 * len(columns), 3.6), sharey=True, layout="constrained"
        )
        fig.suptitle(f"RFM score distributions ({len(scores):,} customers)")
    axes = np.atleast_1d(np.asarray(axes, dtype=object))
    if len(axes) != len(columns):
        raise ValueError(f"need {len(columns)} axes for {columns}, got {len(axes)}")
    for ax, col in zip(axes, columns, strict=True):
        letter, name, best = _AXIS_NAMES[col]
        share = scores[col].value_counts(normalize=True).reindex(range(1, n + 1), fill_value=0)
        ax.bar(share.index, share.to_numpy() * 100, color="#4575b4")
        ax.axhline(100 / n, color="grey", ls="--", lw=1, label=f"even split (1/{n})")
        ax.set_xticks(range(1, n + 1))
        ax.yaxis.set_major_formatter(PercentFormatter())
        ax.set_title(f"{letter} score ({name})")
        ax.set_xlabel(f"{letter} score (1..{n}; {n} = {best})")
        ax.set_ylabel("customers (%)")
    axes[0].legend(loc="upper left", fontsize=8)
    return axes
