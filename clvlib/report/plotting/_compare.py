"""Plots of the method comparison (data from :mod:`clvlib.compare.comparison`).

Each function is ``plot_x(data, *, ax=None) -> Axes``: ``data`` is a
:class:`~clvlib.compare.comparison.Comparison` (or
:class:`~clvlib.compare.comparison.RollingOrigin`) or the
table inside it; the plot draws on ``ax`` (a new figure when None), never on pyplot's
current figure, and labels its axes with units.
"""

from __future__ import annotations

import re
import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import PercentFormatter

from clvlib.compare.comparison import METHODS, TRUTH_METRICS, Comparison
from clvlib.compare.metrics import Agreement, Migration
from clvlib.compare.rolling import RollingOrigin
from clvlib.report.formatting import label as _human
from clvlib.vocabulary import METHODS as _METHOD_WORDS
from clvlib.vocabulary import METRICS as _METRIC_WORDS
from clvlib.vocabulary import Term, heading, money_unit

# One colour per method across every chart; the bounds are grey and black, dashed.
METHOD_COLOURS: dict[str, str] = {m: spec.colour for m, spec in METHODS.items()}
_BOUND_STYLE = {"random": ":", "perfect_foresight": "--"}


def _axes(ax: Axes | None, size: tuple[float, float] = (7, 4.5)) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=size)
    return ax


def _label(method: str) -> str:
    """A method's label from the vocabulary ("heuristic CLV"); an unknown code as it is."""
    return _METHOD_WORDS[method].label if method in _METHOD_WORDS else method


def _metric(metric: str) -> Term | None:
    """A metric's words from the vocabulary: label, unit, direction, scale."""
    return _METRIC_WORDS.get(metric)


def plot_gains_curves(data: Comparison | pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Gains curves of every method on one chart, random (floor) and perfect foresight (ceiling).

    Parameters
    ----------
    data : Comparison or pandas.DataFrame
        A comparison, or its :meth:`~clvlib.compare.comparison.Comparison.gains_curves` table
        (``method``, ``customer_share``, ``outcome_share``).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure when omitted.
    """
    curves = data.gains_curves() if isinstance(data, Comparison) else data
    missing = {"method", "customer_share", "outcome_share"} - set(curves.columns)
    if missing:
        raise KeyError(f"gains curves lack column(s) {sorted(missing)}")
    ax = _axes(ax)
    ax.plot([0, 1], [0, 1], color="#d9d9d9", lw=0.8, zorder=0)
    for method, curve in curves.groupby("method", sort=False):
        ax.plot(
            curve["customer_share"],
            curve["outcome_share"],
            label=_label(method),
            color=METHOD_COLOURS.get(method),
            ls=_BOUND_STYLE.get(method, "-"),
            lw=1.2 if method in _BOUND_STYLE else 1.8,
        )
    ax.axvline(0.2, color="#bdbdbd", lw=0.8, ls="--")
    title = "Gains curves on the holdout"
    if isinstance(data, Comparison):
        title += f" (n = {data.params['n_customers']:,} customers)"
    ax.set_title(title)
    ax.set_xlabel("customers ranked by calibration score, best first (% of customers)")
    ax.set_ylabel("holdout value captured (% of total)")
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlim(0, 1)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    return ax


def _format(metric: str, value: float) -> str:
    """A metric value as its cell shows it; never "-0" or "-0%" (a rounded zero has no sign)."""
    text = _format_signed(metric, value)
    return _NEGATIVE_ZERO.sub(r"\1", text)


_NEGATIVE_ZERO = re.compile(r"^[-−]((?:0(?:\.0+)?)%?)$")


def _format_signed(metric: str, value: float) -> str:
    """A cell of the chart: shorter than a table's (whole percent, at most one decimal)."""
    if not np.isfinite(value):
        return ""
    words = _metric(metric)
    unit, scale = (words.unit, words.scale) if words else ("number", "")
    if unit == "share":
        return f"{100 * value:.0f}%"
    if scale == "%":  # a number already in percent (total_error_pct)
        return f"{value:+.0f}%"
    if unit == "count":
        return f"{value:.0f}"
    if unit == "money":
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.1f}"
    return f"{value:.2f}"


#: the metrics a stakeholder's metric table shows: the measures a winner is named on, then
#: whether a money forecast beats forecasting 0 and how far its total is off
STAKEHOLDER_METRICS: tuple[str, ...] = (
    "spearman",
    "top20_share",
    "auc",
    "mae_skill",
    "total_error_pct",
)

#: what a metric's value is judged against when no random floor has one: a forecast's skill
#: against forecasting 0 (0 by definition), its MAE against the MAE of forecasting 0
_NEUTRAL: dict[str, float | str] = {"mae_skill": 0.0, "mae": "mae_zero"}

#: the text of a cell without a value, and what it means (said under the chart)
NOT_APPLICABLE = "n/a"
NOT_APPLICABLE_NOTE = "n/a: not applicable (a ranking has no money forecast)"


def _reference(wide: pd.DataFrame, metric: str) -> float:
    """The value ``metric`` is judged against: the random floor's, else its neutral point.

    NaN when there is none (context columns, and errors around 0 such as bias, where no
    value is better than the target itself): such a column stays white.
    """
    if "random" in wide.index and np.isfinite(value := float(wide.loc["random", metric])):
        return value
    neutral = _NEUTRAL.get(metric)
    if isinstance(neutral, str):
        column = wide[neutral].to_numpy(dtype=float) if neutral in wide else np.array([])
        finite = column[np.isfinite(column)]
        return float(finite[0]) if finite.size else np.nan
    return np.nan if neutral is None else float(neutral)


def metric_colours(wide: pd.DataFrame, metrics: list[str] | None = None) -> pd.DataFrame:
    """Where each cell of the metric table stands against its reference, from 0 to 1.

    0.5 is the reference (the random floor, or for a money forecast forecasting 0), above
    0.7 better in the metric's direction (:data:`clvlib.vocabulary.METRICS`), below 0.3
    worse, shaded by the distance from the reference over the column's largest. NaN: no
    colour (no value, no direction, or no reference). A negative skill is worse than
    forecasting 0, so it is below 0.5 whatever the other methods do.

    Examples
    --------
    >>> wide = pd.DataFrame({"mae_skill": [-0.2, 0.1]}, index=["heuristic_clv", "rfm_cells"])
    >>> metric_colours(wide)["mae_skill"].round(2).tolist()
    [0.0, 0.85]
    """
    metrics = list(wide.columns) if metrics is None else metrics
    out = pd.DataFrame(np.nan, index=wide.index, columns=metrics)
    for metric in metrics:
        words = _metric(metric)
        direction = words.direction if words and words.direction else "none"
        reference = _reference(wide, metric)
        if direction not in ("higher", "lower") or not np.isfinite(reference):
            continue
        sign = 1.0 if direction == "higher" else -1.0
        gain = sign * (wide[metric].to_numpy(dtype=float) - reference)
        scale = np.nanmax(np.abs(gain)) if np.isfinite(gain).any() else 0.0
        if scale > 0:  # any cell off the reference is clearly green or red, then shaded
            out[metric] = 0.5 + np.sign(gain) * (0.2 + 0.3 * np.abs(gain) / scale)
    return out


def _column_title(metric: str, width: int = 14) -> str:
    """A metric's column title: its label wrapped, and its unit (the currency for money)."""
    words = _metric(metric)
    if words is None:
        return _human(metric)
    unit = {"share": "%", "money": money_unit()}.get(words.unit, "")
    if words.scale == "%":
        unit = "%"
    title = textwrap.fill(heading(words.label), width)
    return f"{title}\n({unit})" if unit and f"({unit})" not in title else title


def plot_metric_table(
    data: Comparison | pd.DataFrame,
    *,
    ax: Axes | None = None,
    metrics: list[str] | None = None,
) -> Axes:
    """Method x metric table, each cell coloured by whether it beats the reference.

    Green: better than the random floor in the metric's direction (higher, or lower, as
    :data:`clvlib.vocabulary.METRICS` states), or for a money forecast than forecasting 0;
    red: worse; yellow: as good as the reference (:func:`metric_colours`). Context columns
    and errors around 0 (bias, total error) stay white. A cell without a value reads
    ``n/a`` (a ranking has no money forecast), said under the chart.

    Parameters
    ----------
    data : Comparison or pandas.DataFrame
        A comparison, or its :meth:`~clvlib.compare.comparison.Comparison.wide` table.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure when omitted.
    metrics : list of str, optional
        Columns to show; by default every metric except the totals
        (:data:`STAKEHOLDER_METRICS` is what a stakeholder's page shows).
    """
    wide = data.wide() if isinstance(data, Comparison) else data
    if metrics is None:
        metrics = [m for m in wide.columns if m not in ("total_predicted", "total_realised")]
    unknown = [m for m in metrics if m not in wide.columns]
    if unknown:
        raise KeyError(f"metric(s) {unknown} not in the table; it has {list(wide.columns)}")
    table = wide[metrics]
    goodness = metric_colours(wide, metrics).to_numpy(dtype=float)
    ax = _axes(ax, size=(2.4 + 1.25 * len(metrics), 1.3 + 0.42 * len(table)))
    cmap = plt.get_cmap("RdYlGn").with_extremes(bad="white")
    ax.imshow(np.ma.masked_invalid(goodness), cmap=cmap, vmin=0, vmax=1, aspect="auto")
    blank = False
    for i in range(table.shape[0]):
        for j, metric in enumerate(metrics):
            text = _format(metric, float(table.iat[i, j]))
            if not text:
                text, blank = NOT_APPLICABLE, True
            shade = goodness[i, j]
            dark = np.isfinite(shade) and (shade < 0.15 or shade > 0.85)
            colour = "#8c8c8c" if text == NOT_APPLICABLE else "white" if dark else "black"
            ax.text(j, i, text, ha="center", va="center", fontsize="small", color=colour)
    ax.set_xticks(range(len(metrics)))
    ax.set_xticklabels([_column_title(m) for m in metrics], fontsize="small")
    ax.xaxis.tick_top()
    ax.set_yticks(range(len(table)))
    ax.set_yticklabels([_label(m) for m in table.index])
    ax.set_title(
        "Green: better than a random ranking (money: than forecasting 0); red: worse",
        fontsize="medium",
        pad=12,
    )
    ax.set_xlabel(f"metric (unit); {NOT_APPLICABLE_NOTE}" if blank else "metric (unit)")
    ax.set_ylabel("method")
    return ax


def _heatmap(ax: Axes, values: pd.DataFrame, annotations: pd.DataFrame, cmap: str) -> None:
    matrix = values.to_numpy(dtype=float)
    ax.imshow(matrix, cmap=cmap, aspect="auto")
    dark = matrix > 0.6 * np.nanmax(matrix) if matrix.size else matrix
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            colour = "white" if dark[i, j] else "black"
            ax.text(j, i, annotations.iat[i, j], ha="center", va="center", fontsize="x-small",
                    color=colour)  # fmt: skip
    ax.set_xticks(range(values.shape[1]))
    ax.set_xticklabels([str(c) for c in values.columns], rotation=45, ha="right")
    ax.set_yticks(range(values.shape[0]))
    ax.set_yticklabels([str(r) for r in values.index])


def _in_sentence(words: str) -> str:
    """A label inside a sentence: "Segment" -> "segment", "RFM segment" stays."""
    return words if words[:2].isupper() else words[:1].lower() + words[1:]


def plot_agreement_heatmap(data: Comparison | Agreement, *, ax: Axes | None = None) -> Axes:
    """RFM segments x k-means clusters: customers in each cell, ARI and NMI in the title.

    Cells are coloured by the share of the row's customers (where each segment's customers
    went among the clusters) and annotated with the customer count.

    Parameters
    ----------
    data : Comparison or clvlib.compare.metrics.Agreement
        A comparison, or :func:`clvlib.compare.metrics.agreement` of two labelings.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure when omitted.
    """
    agreement = data.agreement if isinstance(data, Comparison) else data
    counts = agreement.crosstab
    totals = counts.sum(axis=1)
    shares = counts.div(totals.where(totals > 0, 1), axis=0)
    ax = _axes(ax, size=(2 + 1.3 * counts.shape[1], 1 + 0.45 * counts.shape[0]))
    _heatmap(ax, shares, counts.map(lambda n: f"{n:,}"), "Blues")
    rows, columns = (
        _human(counts.index.name or "labels_a"),
        _human(counts.columns.name or "labels_b"),
    )
    ax.set_title(
        f"Customers by {_in_sentence(rows)} and {_in_sentence(columns)}"
        f": ARI {agreement.ari:.2f}, NMI {agreement.nmi:.2f} (n = {agreement.n:,})"
    )
    ax.set_xlabel(f"{columns} (colour: share of the row's customers, %)")
    ax.set_ylabel(f"{rows} (customers)")
    return ax


def plot_migration_matrix(
    data: Comparison | Migration, *, ax: Axes | None = None, clusters: bool = False
) -> Axes:
    """Where each calibration segment's customers are at the end of the holdout.

    Rows: segment at calibration_end (plus "new" customers); columns: segment at
    holdout_end (plus "gone"). Colour and annotation: share of the row's customers.

    Parameters
    ----------
    data : Comparison or clvlib.compare.metrics.Migration
        A comparison (its RFM segment migration) or a
        :func:`clvlib.compare.metrics.migration_matrix`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure when omitted.
    clusters : bool, default False
        With a comparison: the k-means cluster migration instead of the segments'.
    """
    if isinstance(data, Comparison):
        migration = data.cluster_migration if clusters else data.migration
        period = f" ({data.params['calibration_end']} to {data.params['holdout_end']})"
    else:
        migration, period = data, ""
    shares = migration.row_shares
    n = migration.counts.to_numpy().sum()
    ax = _axes(ax, size=(2 + 0.9 * shares.shape[1], 1 + 0.45 * shares.shape[0]))
    _heatmap(ax, shares, shares.map(lambda s: f"{100 * s:.0f}%" if s > 0 else ""), "Purples")
    what = "cluster" if clusters else "segment"
    ax.set_title(f"Migration of customers between {what}s{period}, n = {n:,}")
    ax.set_xlabel(f"{what} at the later date (% of the row's customers)")
    ax.set_ylabel(f"{what} at the earlier date")
    return ax


def plot_rolling_origin(
    data: RollingOrigin | pd.DataFrame, *, ax: Axes | None = None, metric: str = "spearman"
) -> Axes:
    """One metric at each cut-off date, one line per method (is the winner stable?).

    Parameters
    ----------
    data : RollingOrigin or pandas.DataFrame
        The result of :func:`clvlib.compare.comparison.rolling_origin`, or its tidy table
        (``cutoff``, ``method``, ``metric``, ``value``).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure when omitted.
    metric : str, default "spearman"
        A metric of :data:`METRICS` (or :data:`TRUTH_METRICS`, when the data has them).
    """
    if isinstance(data, RollingOrigin):
        table = data.truth_distance if metric in TRUTH_METRICS else data.metrics
        if table is None:
            raise ValueError(f"{metric} needs a truth: the rolling origin was run without one")
    else:
        table = data
    rows = table[table["metric"] == metric]
    if rows.empty:
        raise KeyError(f"no values of {metric!r} in the table")
    words = _metric(metric)
    ax = _axes(ax)
    for method, part in rows.groupby("method", sort=False):
        x = pd.to_datetime(part["cutoff"])
        ax.plot(
            x,
            part["value"],
            marker="o",
            label=_label(method),
            color=METHOD_COLOURS.get(method),
            ls=_BOUND_STYLE.get(method, "-"),
        )
    label = heading(words.label) if words else metric
    scale = words.scale if words else ""
    if words and words.unit == "share":
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_title(f"{label} at each cut-off date ({rows['cutoff'].nunique()} cut-offs)")
    ax.set_xlabel("cut-off date (end of calibration)")
    ax.set_ylabel(f"{label} ({scale})" if scale else label)
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.tick_params(axis="x", labelrotation=30)
    return ax


def plot_differences(data: Comparison, *, metric: str = "spearman", ax: Axes | None = None) -> Axes:
    """Paired bootstrap intervals of every pair of methods on one metric (a forest plot).

    One row per pair (method minus versus), the point at the difference on all customers and
    the bar its interval; a bar that crosses the zero line is no clear difference.

    Parameters
    ----------
    data : Comparison
        A comparison with :attr:`~clvlib.compare.comparison.Comparison.differences`.
    metric : str, default "spearman"
        One of :data:`clvlib.compare.comparison.INTERVAL_METRICS`.
    ax : matplotlib.axes.Axes, optional
    """
    from clvlib.compare.comparison import INTERVAL_METRICS

    if metric not in INTERVAL_METRICS:
        raise KeyError(f"no interval for {metric!r}; metrics with one: {list(INTERVAL_METRICS)}")
    d = data.differences
    rows = d[d["metric"] == metric].reset_index(drop=True)
    ax = _axes(ax, (7, max(3.0, 0.28 * len(rows) + 1)))
    y = np.arange(len(rows))[::-1]
    clear = (rows["ci_low"] > 0) | (rows["ci_high"] < 0)
    colours = np.where(clear, "#404040", "#bdbdbd")
    ax.hlines(y, rows["ci_low"], rows["ci_high"], colors=colours, lw=2)
    ax.scatter(rows["difference"], y, color=colours, zorder=3, s=18)
    ax.axvline(0, color="#d9d9d9", lw=1, zorder=0)
    ax.set_yticks(
        y,
        [f"{_label(a)} - {_label(b)}" for a, b in zip(rows["method"], rows["versus"], strict=True)],
    )
    words = _METRIC_WORDS[metric]
    level = 100 * data.params["settings"].get("confidence", 0.95)
    ax.set_xlabel(
        f"difference in {words.label} ({words.scale}); bar: {level:.0f} % paired bootstrap interval"
    )
    ax.set_title(
        f"Which differences are real? {data.params['settings']['n_resamples']} customer resamples "
        "(grey: interval covers 0)"
    )
    return ax


def plot_lead_intervals(
    table: pd.DataFrame,
    *,
    metric: str,
    ax: Axes | None = None,
    methods: list[str] | None = None,
    level: str = "95 %",
) -> Axes:
    """How far each method is from the best contender on one measure, with its interval.

    One row per method (its label), the point at its difference from the best contender
    and the bar its paired bootstrap interval; the best contender sits on the 0 line,
    marked "best". A bar that crosses 0 is as good as the best (no real difference), a bar
    left of it clearly behind, right of it (a reference) clearly ahead. Differences of
    shares are in percentage points.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`clvlib.report.winners.behind_the_best` of ``metric``: index ``method``,
        columns ``difference``, ``ci_low``, ``ci_high``, ``best``.
    metric : str
        The metric the table is about (its label and unit title the panel).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure when omitted.
    methods : list of str, optional
        The rows, top to bottom (several panels share them); default the table's index.
        A method without a row in the table is left blank.
    level : str, default "95 %"
        The confidence level of the intervals, for the axis title.
    """
    missing = {"difference", "ci_low", "ci_high", "best"} - set(table.columns)
    if missing:
        raise KeyError(f"the table lacks column(s) {sorted(missing)}")
    methods = list(table.index) if methods is None else methods
    words = _metric(metric)
    factor = 100.0 if words is not None and words.unit == "share" else 1.0
    ax = _axes(ax, (4.5, 0.9 + 0.36 * len(methods)))
    y = np.arange(len(methods))[::-1]
    for row, method in zip(y, methods, strict=True):
        if method not in table.index:
            continue
        r = table.loc[method]
        if bool(r["best"]):
            ax.scatter(0, row, marker="D", color="#1b7837", zorder=3, s=30)
            ax.annotate("best", (0, row), xytext=(6, 0), textcoords="offset points",
                        va="center", fontsize="small", color="#1b7837")  # fmt: skip
            continue
        low, high = factor * r["ci_low"], factor * r["ci_high"]
        clear = low > 0 or high < 0
        colour = "#404040" if clear else "#bdbdbd"
        ax.hlines(row, low, high, colors=colour, lw=2.2)
        ax.scatter(factor * r["difference"], row, color=colour, zorder=3, s=18)
    ax.axvline(0, color="#9e9e9e", lw=1, zorder=0)
    ax.set_yticks(y, [_label(m) for m in methods])
    ax.set_ylim(-0.7, len(methods) - 0.3)
    name = heading(words.label) if words else metric
    unit = " (percentage points)" if factor == 100.0 else ""
    ax.set_title(textwrap.fill(name, 32), fontsize="medium")
    ax.set_xlabel(
        textwrap.fill(f"difference from the best method{unit}; bar: {level} interval", 38)
    )
    return ax
