"""Plots of heuristic CLV and value tiers: titles, labels with units, artists; no pyplot state."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from clvlib.methods.formulas import clv_sensitivity
from clvlib.methods.tiers import lorenz_curve, tier_table, value_tiers
from clvlib.report import plotting


@pytest.fixture
def summary() -> pd.DataFrame:
    # ten customers, net values 10, 20, ..., 100 (total 550) ; ids 1, 8, 9, 10 from "ads"
    ids = range(1, 11)
    return pd.DataFrame(
        {
            "total_value": [10.0 * i for i in ids],
            "channel": ["ads" if i in (1, 8, 9, 10) else "seo" for i in ids],
        },
        index=pd.Index(ids, name="customer_id"),
    )


def test_plots_are_registered():
    for name in (
        "plot_clv_distribution",
        "plot_lorenz",
        "plot_tiers_by_channel",
        "plot_sensitivity",
    ):
        assert callable(getattr(plotting, name))
        assert name in dir(plotting)


def test_clv_distribution(ax, summary):
    clv = summary["total_value"].rename("historic_clv")
    out = plotting.plot_clv_distribution(clv, ax=ax, bins=5, currency="GBP")
    assert out is ax
    assert ax.get_title() == "Distribution of historic CLV per customer (n = 10)"
    assert ax.get_xlabel() == "historic CLV per customer (GBP)"
    assert "customers" in ax.get_ylabel()
    assert len(ax.patches) == 5  # one bar per bin
    assert sum(p.get_height() for p in ax.patches) == 10
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "mean 55.00" in labels and "median 55.00" in labels


def test_lorenz_marks_the_top_20_percent(ax, summary):
    # best first: 100 + 90 = 190 of 550 -> 34.5 % ; Gini = 2 x area - 1
    plotting.plot_lorenz(summary["total_value"], ax=ax)
    gini = lorenz_curve(summary["total_value"]).gini
    assert ax.get_title() == f"Value concentration (Gini {gini:.2f})"
    assert "%" in ax.get_xlabel() and "%" in ax.get_ylabel()
    texts = [t.get_text() for t in ax.texts]
    assert texts == ["top 20 % of customers carry 35 % of value"]
    curve = ax.get_lines()[0]
    np.testing.assert_allclose(curve.get_xdata()[[0, -1]], [0, 1])
    np.testing.assert_allclose(curve.get_ydata()[[0, -1]], [0, 1])
    marker = [line for line in ax.get_lines() if line.get_label() == "top 20 %"]
    np.testing.assert_allclose(marker[0].get_ydata(), [190 / 550])


def test_lorenz_accepts_a_computed_curve(ax):
    plotting.plot_lorenz(lorenz_curve([1, 2, 3, 4]), ax=ax, top=0.25)
    assert ax.texts[0].get_text() == "top 25 % of customers carry 40 % of value"


def test_tiers_by_channel(ax, summary):
    table = tier_table(summary, value_tiers(summary), by="channel")
    plotting.plot_tiers_by_channel(table, ax=ax)
    assert ax.get_title() == "Value tiers by channel: where the good customers come from"
    assert ax.get_xlabel() == "share of the channel's customers (%)"
    assert ax.get_ylabel() == "channel"
    assert len(ax.patches) == 2 * 3  # two channels x three tiers
    # top 20 % = ids 10, 9 (ads) ; bottom 20 % = ids 1 (ads), 2 (seo)
    # ads (4 customers): top 2/4, middle 1/4 (id 8), bottom 1/4 ; seo (6): 0, 5/6, 1/6
    # bars are drawn tier by tier, channels in order (ads, seo)
    widths = [bar.get_width() for bar in ax.patches]
    np.testing.assert_allclose(widths, [0.5, 0.0, 0.25, 5 / 6, 0.25, 1 / 6])
    lefts = [bar.get_x() for bar in ax.patches]
    np.testing.assert_allclose(lefts, [0.0, 0.0, 0.5, 0.0, 0.75, 5 / 6])
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["split of all customers", "top 20 %", "middle 60 %", "bottom 20 %"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["ads", "seo"]
    # reference lines where all customers split: 2 / 10 and 8 / 10
    edges = [line.get_xdata()[0] for line in ax.get_lines() if len(line.get_xdata())]
    np.testing.assert_allclose(edges, [0.2, 0.8])


def test_tiers_by_channel_needs_a_grouped_table(ax, summary):
    with pytest.raises(ValueError, match="by="):
        plotting.plot_tiers_by_channel(tier_table(summary, value_tiers(summary)), ax=ax)


def test_sensitivity_tornado(ax):
    plotting.plot_sensitivity(clv_sensitivity(90, 3, 6, 0.2), ax=ax, currency="EUR")
    assert ax.get_title() == "CLV sensitivity: each lever ±10 % (base 52.80)"
    assert ax.get_xlabel() == "CLV (EUR)" and ax.get_ylabel() == "lever"
    assert len(ax.patches) == 8  # four levers, down and up
    # each bar starts at the base CLV and ends at the changed CLV
    lefts = {round(p.get_x(), 6) for p in ax.patches}
    assert lefts == {52.8}
    ends = sorted(round(p.get_x() + p.get_width(), 2) for p in ax.patches)
    assert ends == [47.4, 47.4, 47.52, 52.68, 52.92, 58.08, 58.2, 58.2]
    # the lever with the smallest effect (CAC) is drawn at the bottom
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert ticks[0] == "acquisition cost (CAC)"


def test_new_figure_when_no_axes_given(summary):
    before = set(plt.get_fignums())
    out = plotting.plot_clv_distribution(summary["total_value"])
    try:
        assert out.get_title().startswith("Distribution of total value")
    finally:
        plt.close(out.figure)
    assert set(plt.get_fignums()) == before


def test_decile_calibration_plot(ax):
    from clvlib.compare.metrics import decile_calibration

    table = decile_calibration(np.arange(1.0, 21.0), np.arange(1.0, 21.0) * 2)
    out = plotting.plot_decile_calibration(table, ax=ax, currency="GBP")
    assert out is ax
    assert "overall ratio 0.50" in ax.get_title()
    assert "GBP" in ax.get_ylabel() and "bin" in ax.get_xlabel()
    assert len(ax.patches) == 20  # ten bins x (predicted, realised)
    with pytest.raises(KeyError, match="decile_calibration"):
        plotting.plot_decile_calibration(table.drop(columns="ratio"), ax=ax)
