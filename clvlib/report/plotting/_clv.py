"""Plots of heuristic CLV and value tiers (data from :mod:`clvlib.methods.heuristic`).

Each function is ``plot_x(data, *, ax=None) -> Axes``: it draws on ``ax`` (a new figure when
None), never touches pyplot's current figure, and labels its axes with units.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import PercentFormatter

from clvlib.methods.tiers import LorenzCurve, lorenz_curve
from clvlib.report.formatting import label
from clvlib.vocabulary import TERMS, money_unit

_TIER_COLOURS = ("#1b7837", "#bdbdbd", "#b2182b")  # top, middle, bottom


def _lever_name(lever: str) -> str:
    """A lever of the CLV in words: "aov" -> "average order value" (from the vocabulary)."""
    return TERMS[lever].label if lever in TERMS else lever


def _pct(fraction: float, sign: bool = False) -> str:
    """Percent as the reports write it: "20 %" (with a space, as in the tier labels)."""
    return f"{100 * fraction:{'+' if sign else ''}.0f} %"


def _axes(ax: Axes | None) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.5))
    return ax


def plot_clv_distribution(
    clv: pd.Series, *, ax: Axes | None = None, bins: int = 50, currency: str | None = None
) -> Axes:
    """Histogram of CLV per customer, with the mean and the median marked.

    Parameters
    ----------
    clv : pandas.Series
        CLV (or any value) per customer; its name is used in the title.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure when omitted.
    bins : int, default 50
        Number of histogram bins.
    currency : str, optional
        Unit shown on the value axis (e.g. "GBP"); by default the page's currency
        (:func:`clvlib.vocabulary.money_unit`: "€", or "currency units" when none is set).
    """
    currency = currency or money_unit()
    ax = _axes(ax)
    values = pd.Series(clv, dtype="float64").dropna()
    ax.hist(values, bins=bins, color="#4575b4", alpha=0.8, label="customers")
    ax.axvline(values.mean(), color="#d73027", label=f"mean {values.mean():,.2f}")
    ax.axvline(values.median(), color="#fc8d59", ls="--", label=f"median {values.median():,.2f}")
    name = label(clv.name) if isinstance(clv, pd.Series) and clv.name else "CLV"  # in words
    name = name if name[:2].isupper() else name[:1].lower() + name[1:]  # inside a sentence
    ax.set_title(f"Distribution of {name} per customer (n = {len(values):,})")
    ax.set_xlabel(f"{name} per customer ({currency or money_unit()})")
    ax.set_ylabel("customers (count)")
    ax.legend()
    return ax


def plot_lorenz(
    data: pd.Series | np.ndarray | LorenzCurve, *, ax: Axes | None = None, top: float = 0.2
) -> Axes:
    """Concentration curve (best customers first) with the share the top ``top`` carries.

    Parameters
    ----------
    data : pandas.Series, array-like or LorenzCurve
        Value per customer, or the result of :func:`clvlib.methods.heuristic.lorenz_curve`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure when omitted.
    top : float, default 0.2
        Share of customers marked and annotated (0.2: the top 20 %).
    """
    ax = _axes(ax)
    lc = data if isinstance(data, LorenzCurve) else lorenz_curve(data)
    c = lc.curve
    ax.plot(c["share_of_customers"], c["share_of_value"], color="#4575b4", label="customers")
    ax.plot([0, 1], [0, 1], color="grey", ls=":", label="equal value")
    carried = lc.top_share(top)
    ax.axvline(top, color="#d73027", ls="--", lw=1)
    ax.plot([top], [carried], "o", color="#d73027", label=f"top {_pct(top)}")
    ax.annotate(
        f"top {_pct(top)} of customers carry {_pct(carried)} of value",
        xy=(top, carried),
        xytext=(top + 0.08, min(carried, 1.0) - 0.12),
        arrowprops={"arrowstyle": "->", "color": "#d73027"},
    )
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlim(0, 1)
    ax.set_title(f"Value concentration (Gini {lc.gini:.2f})")
    ax.set_xlabel("customers, ranked by value, best first (cumulative %)")
    ax.set_ylabel("value carried (cumulative %)")
    ax.legend(loc="lower right")
    return ax


def plot_tiers_by_channel(table: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Stacked bars: how each channel's customers split into value tiers.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`clvlib.methods.heuristic.tier_table` with ``by`` (index: group, tier).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure when omitted.
    """
    if table.index.nlevels != 2:
        raise ValueError("plot_tiers_by_channel needs a tier_table computed with by=...")
    ax = _axes(ax)
    shares = table["share_of_customers"].unstack("tier").fillna(0.0)
    group = table.index.names[0]
    left = np.zeros(len(shares))
    colours = _TIER_COLOURS if shares.shape[1] == 3 else [None] * shares.shape[1]
    for tier, colour in zip(shares.columns, colours, strict=True):
        width = shares[tier].to_numpy()
        ax.barh([str(g) for g in shares.index], width, left=left, color=colour, label=str(tier))
        left += width
    # reference: where the tiers split over all customers (a channel bringing good customers
    # has its top-tier bar reach past the first line)
    overall = table["customers"].groupby(level="tier", observed=False).sum()
    for edge in np.cumsum(overall.to_numpy()[:-1]) / overall.sum():
        ax.axvline(edge, color="black", ls=":", lw=1)
    ax.plot([], [], color="black", ls=":", lw=1, label="split of all customers")
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlim(0, 1)
    ax.set_title(f"Value tiers by {group}: where the good customers come from")
    ax.set_xlabel(f"share of the {group}'s customers (%)")
    ax.set_ylabel(group)
    ax.invert_yaxis()
    ax.legend(title="value tier", loc="upper left", bbox_to_anchor=(1.01, 1))
    return ax


def plot_sensitivity(
    table: pd.DataFrame, *, ax: Axes | None = None, currency: str | None = None
) -> Axes:
    """Tornado chart: CLV when each lever moves down and up (widest effect on top).

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`clvlib.methods.heuristic.clv_sensitivity`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure when omitted.
    currency : str, optional
        Unit shown on the CLV axis; by default the page's currency
        (:func:`clvlib.vocabulary.money_unit`).
    """
    currency = currency or money_unit()
    ax = _axes(ax)
    base = float(table["base_clv"].iloc[0])
    span = table.groupby("lever", sort=False)["delta"].agg(lambda d: d.abs().max())
    levers = list(span.sort_values(ascending=True, kind="stable").index)  # widest drawn last=top
    for change, colour in ((table["change"].min(), "#d73027"), (table["change"].max(), "#4575b4")):
        rows = table[table["change"] == change].set_index("lever").loc[levers]
        names = [_lever_name(lever) for lever in levers]
        ax.barh(
            names, rows["delta"], left=base, color=colour, label=f"lever {_pct(change, sign=True)}"
        )
    ax.axvline(base, color="black", lw=1)
    ax.set_title(f"CLV sensitivity: each lever ±{_pct(table['change'].max())} (base {base:,.2f})")
    ax.set_xlabel(f"CLV ({currency or money_unit()})")
    ax.set_ylabel("lever")
    ax.legend(loc="lower right")
    return ax
