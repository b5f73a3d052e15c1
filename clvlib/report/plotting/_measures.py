"""The measures a winner is named on, one column each: the comparison as a manager reads it."""

from __future__ import annotations

import textwrap

import pandas as pd
from matplotlib.axes import Axes

from clvlib.compare.comparison import Comparison
from clvlib.report.plotting._compare import plot_metric_table
from clvlib.vocabulary import MEASURES, heading


def plot_measures(data: Comparison | pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Methods x the measures a winner is named on, green = better within each measure.

    :func:`~clvlib.report.plotting.plot_metric_table` reduced to the measures of
    :data:`clvlib.vocabulary.MEASURES` (ranking, top 20 % capture, buying again), each named
    by the question it answers; the full matrix of every metric is the analysts'.

    Parameters
    ----------
    data : Comparison or pandas.DataFrame
        The holdout comparison, or its :meth:`~clvlib.compare.comparison.Comparison.wide`
        table.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure when omitted.
    """
    wide = data.wide() if isinstance(data, Comparison) else data
    metrics = [m for m in MEASURES if m in wide.columns]
    ax = plot_metric_table(wide, metrics=metrics, ax=ax)
    if ax.figure.get_figwidth() < 7.5:  # three columns: room for the questions
        ax.figure.set_figwidth(7.5)
    ax.set_xticklabels(
        [textwrap.fill(MEASURES[m].verdict, 24) for m in metrics], rotation=0, ha="center"
    )
    ax.set_yticklabels([heading(t.get_text()) for t in ax.get_yticklabels()])
    ax.xaxis.tick_top()
    ax.set_xlabel("")
    ax.set_title("How each method answers the three questions (green = better)", pad=48)
    return ax
