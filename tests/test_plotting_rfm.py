"""Plots of RFM scores and segments: titles, labels and artists on the Agg backend."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from clvlib.methods.rfm import RFMScorer
from clvlib.methods.rules import assign_segments
from clvlib.methods.segment_tables import segment_table
from clvlib.report.plotting import plot_rfm_heatmap, plot_score_distributions, plot_segment_sizes


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture
def summary() -> pd.DataFrame:
    # the hand case of test_rfm: codes 515 511 513 511 415 412 234 232 154 153
    return pd.DataFrame(
        {
            "since_last_order": [1, 1, 1, 4, 10, 10, 30, 60, 90, 200],
            "n_orders": [1, 1, 1, 1, 1, 1, 2, 2, 3, 7],
            "total_value": [100.0, 20.0, 50.0, 10.0, 90.0, 30.0, 80.0, 40.0, 70.0, 60.0],
        },
        index=pd.Index(range(1, 11), name="customer_id"),
    )


@pytest.fixture
def scores(summary) -> pd.DataFrame:
    return RFMScorer().fit_transform(summary)


def cell_texts(ax) -> dict[tuple[float, float], str]:
    return {t.get_position(): t.get_text() for t in ax.texts}


def test_heatmap_counts(scores):
    ax = plot_rfm_heatmap(scores)
    assert ax.get_title() == "Customers per R x F score cell (10 customers)"
    assert ax.get_xlabel() == "R score (recency, 1..5; 5 = most recent)"
    assert ax.get_ylabel() == "F score (frequency, 1..5; 5 = most orders)"
    # (R, F) cells: (5, 1) x 4, (4, 1) x 2, (2, 3) x 2, (1, 5) x 2; empty cells unlabelled
    assert cell_texts(ax) == {(5, 1): "4", (4, 1): "2", (2, 3): "2", (1, 5): "2"}
    colorbar = ax.figure.axes[-1]
    assert colorbar.get_ylabel() == "customers (count)"


def test_heatmap_mean_monetary(summary, scores):
    ax = plot_rfm_heatmap(scores, summary=summary, value="monetary", currency="GBP")
    assert ax.get_title() == "Mean net total value per R x F score cell (10 customers)"
    assert ax.figure.axes[-1].get_ylabel() == "mean net total value (GBP)"
    # customers 1-4 (R 5, F 1): 100, 20, 50, 10 -> 45; customers 9, 10 (R 1, F 5): 65
    assert cell_texts(ax)[(5, 1)] == "45"
    assert cell_texts(ax)[(1, 5)] == "65"
    with pytest.raises(ValueError, match="needs the customer summary"):
        plot_rfm_heatmap(scores, value="monetary")


def test_heatmap_draws_on_given_axes(scores):
    fig, ax = plt.subplots()
    assert plot_rfm_heatmap(scores, ax=ax) is ax
    assert ax.figure is fig


def test_segment_sizes(summary, scores):
    segments = assign_segments(scores, "r_rfm")
    table = segment_table(summary, scores, segments, rules="r_rfm")
    ax = plot_segment_sizes(table)
    assert ax.get_title() == "Segments: share of customers vs share of value"
    assert ax.get_xlabel() == "share of all customers / of total value (%)"
    assert ax.get_ylabel() == "segment"
    ticks = dict(zip(ax.get_yticks(), [t.get_text() for t in ax.get_yticklabels()], strict=True))
    assert [ticks[y] for y in sorted(ticks, reverse=True)] == table.index.tolist()  # top down
    bars = ax.patches
    assert len(bars) == 2 * len(table)
    # New Customers: 5 of 10 customers (codes 515 511 513 511 412), value 210 of 550
    row = table.index.get_loc("New Customers")
    assert bars[row].get_width() == pytest.approx(50.0)
    assert bars[len(table) + row].get_width() == pytest.approx(100 * 210 / 550)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "customers",
        "value (net value to date)",
    ]


def test_score_distributions(scores):
    axes = plot_score_distributions(scores)
    assert len(axes) == 3
    assert [ax.get_title() for ax in axes] == [
        "R score (recency)",
        "F score (frequency)",
        "M score (monetary)",
    ]
    assert axes[1].get_xlabel() == "F score (1..5; 5 = most orders)"
    assert all(ax.get_ylabel() == "customers (%)" for ax in axes)
    assert axes[0].figure._suptitle.get_text() == "RFM score distributions (10 customers)"
    # F scores 1 x 6, 3 x 2, 5 x 2 (three bins left by ties, spread over 1..5)
    heights = [bar.get_height() for bar in axes[1].patches]
    assert heights == pytest.approx([60.0, 0.0, 20.0, 0.0, 20.0])


def test_score_distributions_rf_only_on_given_axes(summary):
    rf = RFMScorer(4, rf_only=True).fit_transform(summary)
    fig, axes = plt.subplots(1, 2)
    out = plot_score_distributions(rf, axes=axes)
    assert len(out) == 2 and out[0] is axes[0]
    assert out[0].get_xlabel() == "R score (1..4; 4 = most recent)"
    with pytest.raises(ValueError, match="need 2 axes"):
        plot_score_distributions(rf, axes=np.array([axes[0]]))
