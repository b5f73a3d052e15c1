"""Plots of k-means customer clusters: choosing k, the snake plot, a scatter of two features."""

from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from clvlib.report.plotting._labels import axis_label, words

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from clvlib.methods.clustering import CustomerClusterer
    from clvlib.methods.k_choice import KChoice


def _axis_label(column: str, time_unit: str) -> str:
    """Axis label with units for a customer-summary column (:func:`._labels.axis_label`)."""
    return axis_label(column, time_unit)


def plot_elbow(data: KChoice, *, ax: Axes | None = None) -> Axes:
    """Inertia and silhouette against k, the recommended k marked (from ``choose_k``).

    Inertia is on the left axis, the sample silhouette on a twin right axis.

    Parameters
    ----------
    data : KChoice
        Result of :func:`clvlib.methods.clustering.choose_k`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib.axes.Axes
        The inertia axes (the silhouette axes is its twin).
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    table = data.table
    ks = table.index.to_numpy()
    (inertia_line,) = ax.plot(ks, table["inertia"], "o-", color="C0", label="inertia")
    ax.set_xlabel("number of clusters k")
    ax.set_ylabel("inertia (sum of squared distances, standardised units)")
    ax.set_xticks(ks)
    twin = ax.twinx()
    (silhouette_line,) = twin.plot(
        ks, table["silhouette"], "s--", color="C1", label="silhouette (sample)"
    )
    twin.set_ylabel("silhouette (−1 to 1, higher is better)")
    marker = ax.axvline(
        data.recommended_k,
        color="0.3",
        linestyle=":",
        label=f"recommended k = {data.recommended_k}",
    )
    ax.legend(handles=[inertia_line, silhouette_line, marker], loc="upper center")
    ax.set_title("Choosing k: elbow of inertia and silhouette")
    return ax


def plot_cluster_snake(data: CustomerClusterer | pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Snake plot: the mean of each standardised feature per cluster, one line per cluster.

    Parameters
    ----------
    data : CustomerClusterer or pandas.DataFrame
        A fitted clusterer (its ``cluster_centers_``, which are the per-cluster means of the
        standardised log1p features, and its names), or a frame with one row per cluster
        and one column per feature in standard-deviation units.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if isinstance(data, pd.DataFrame):
        centers = data
        labels = [str(c) for c in centers.index]
    else:
        centers = data.cluster_centers_
        labels = [
            f"{c}: {name}" for c, name in zip(centers.index, data.cluster_names_, strict=True)
        ]
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    x = np.arange(centers.shape[1])
    for (_, row), label in zip(centers.iterrows(), labels, strict=True):
        ax.plot(x, row.to_numpy(), "o-", label=label)
    ax.axhline(0.0, color="0.6", linewidth=0.8)
    ax.set_xticks(x, [words(str(c)) for c in centers.columns])
    ax.set_xlabel("feature (log1p, standardised)")
    ax.set_ylabel("cluster mean (standard deviations from the mean)")
    ax.set_title("Cluster profiles: standardised feature means (snake plot)")
    ax.legend(title="cluster", fontsize="small")
    return ax


def plot_cluster_scatter(
    data: pd.DataFrame,
    *,
    x: str = "since_last_order",
    y: str = "total_value",
    cluster: str = "cluster",
    sample_size: int = 20_000,
    random_state: int = 0,
    time_unit: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Scatter of two summary columns on log axes, coloured by cluster, sampled for large n.

    The axes are symmetric-log (logarithmic beyond 1, linear within ±1), so customers with
    a zero time since last order or a net-negative value are still drawn.

    Parameters
    ----------
    data : pandas.DataFrame
        Customer summary with a ``cluster`` column (e.g. ``summary.join(cluster_customers(
        summary, ...))``); a ``cluster_name`` column, when present, labels the legend.
    x, y : str
        Columns on the horizontal and vertical axes.
    cluster : str
        Column holding the cluster label.
    sample_size : int
        At most this many customers are drawn (a uniform random sample).
    random_state : int
        Seed of the sample.
    time_unit : str, optional
        Unit of durations ("D", "W", "M"); ``data.attrs["time_unit"]`` or days when omitted.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib.axes.Axes
    """
    missing = [c for c in (x, y, cluster) if c not in data.columns]
    if missing:
        raise KeyError(f"data has no column(s) {missing}; available: {list(data.columns)}")
    unit = time_unit or data.attrs.get("time_unit", "D")
    n = len(data)
    shown = data.sample(n=sample_size, random_state=random_state) if n > sample_size else data
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 5))
    has_names = "cluster_name" in shown.columns
    for label, group in shown.groupby(cluster, sort=True):
        name = f"{label}: {group['cluster_name'].iloc[0]}" if has_names else str(label)
        ax.scatter(group[x], group[y], s=6, alpha=0.5, label=name)
    ax.set_xscale("symlog", linthresh=1.0)
    ax.set_yscale("symlog", linthresh=1.0)
    ax.set_xlabel(f"{_axis_label(x, unit)}, log scale")
    ax.set_ylabel(f"{_axis_label(y, unit)}, log scale")
    sampled = f"\n(random sample of {len(shown):,} of {n:,} customers)" if n > len(shown) else ""
    ax.set_title(f"Customer clusters: {words(y)} against {words(x)}{sampled}")
    ax.legend(title="cluster", fontsize="small", markerscale=2)
    return ax
