"""Tests of the cluster plots (Agg backend from conftest): titles, labels, artists."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from clvlib.methods.clustering import CustomerClusterer
from clvlib.methods.k_choice import KChoice
from clvlib.report.plotting import plot_cluster_scatter, plot_cluster_snake, plot_elbow


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture
def choice():
    table = pd.DataFrame(
        {
            "inertia": [900.0, 400.0, 150.0, 130.0],
            "silhouette": [0.41, 0.52, 0.78, 0.60],
        },
        index=pd.Index([2, 3, 4, 5], name="k"),
    )
    return KChoice(table=table, recommended_k=4, elbow_k=4, reason="k=4: by hand")


@pytest.fixture
def summary():
    rng = np.random.default_rng(0)
    n = 500
    return pd.DataFrame(
        {
            "since_last_order": rng.integers(0, 365, n).astype(float),
            "n_orders": rng.integers(1, 20, n),
            "total_value": rng.normal(300, 300, n),  # some net-negative customers
        },
        index=pd.Index(np.arange(n), name="customer_id"),
    )


def test_plot_elbow(choice):
    fig, given_ax = plt.subplots()
    ax = plot_elbow(choice, ax=given_ax)
    assert ax is given_ax
    assert ax.get_title() == "Choosing k: elbow of inertia and silhouette"
    assert ax.get_xlabel() == "number of clusters k"
    assert "standardised units" in ax.get_ylabel()
    inertia = ax.get_lines()[0]
    np.testing.assert_array_equal(inertia.get_xdata(), [2, 3, 4, 5])
    np.testing.assert_array_equal(inertia.get_ydata(), [900.0, 400.0, 150.0, 130.0])
    marker = [ln for ln in ax.get_lines() if ln.get_label().startswith("recommended")]
    assert len(marker) == 1 and list(marker[0].get_xdata()) == [4, 4]
    assert marker[0].get_label() == "recommended k = 4"
    (twin,) = [a for a in fig.axes if a is not ax]
    assert twin.get_ylabel().startswith("silhouette")
    np.testing.assert_array_equal(twin.get_lines()[0].get_ydata(), [0.41, 0.52, 0.78, 0.60])


def test_plot_snake_from_frame():
    centres = pd.DataFrame(
        [[-1.0, 1.2, 1.5], [1.1, -0.8, -1.0]],
        columns=["since_last_order", "n_orders", "total_value"],
        index=pd.Index([0, 1], name="cluster"),
    )
    ax = plot_cluster_snake(centres)
    assert ax.get_title() == "Cluster profiles: standardised feature means (snake plot)"
    assert "standard deviations" in ax.get_ylabel()
    assert ax.get_xlabel() == "feature (log1p, standardised)"
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks == ["time since last order", "number of orders", "net total value"]
    lines = [ln for ln in ax.get_lines() if ln.get_label() in {"0", "1"}]
    assert len(lines) == 2
    np.testing.assert_array_equal(lines[1].get_ydata(), [1.1, -0.8, -1.0])


def test_plot_snake_from_clusterer(summary):
    clusterer = CustomerClusterer(3, n_init=2, random_state=0).fit(summary)
    ax = plot_cluster_snake(clusterer)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [f"{c}: {name}" for c, name in enumerate(clusterer.cluster_names_)]


def test_plot_scatter_samples_and_labels(summary):
    clusterer = CustomerClusterer(3, n_init=2, random_state=0).fit(summary)
    data = summary.join(clusterer.assign(summary))
    ax = plot_cluster_scatter(data, sample_size=100, random_state=1)
    assert sum(len(c.get_offsets()) for c in ax.collections) == 100
    assert len(ax.collections) == 3
    assert ax.get_title() == (
        "Customer clusters: net total value against time since last order\n"
        "(random sample of 100 of 500 customers)"
    )
    assert ax.get_xlabel() == "time since last order (days), log scale"
    assert ax.get_ylabel() == "net total value (currency units), log scale"
    assert ax.get_xscale() == "symlog" and ax.get_yscale() == "symlog"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0] == f"0: {clusterer.cluster_names_[0]}"


def test_plot_scatter_units_and_errors(summary):
    data = summary.assign(cluster=0)
    data.attrs["time_unit"] = "W"
    ax = plot_cluster_scatter(data, y="n_orders")
    assert ax.get_xlabel() == "time since last order (weeks), log scale"
    assert ax.get_ylabel() == "number of orders, log scale"
    assert "sample" not in ax.get_title()
    assert sum(len(c.get_offsets()) for c in ax.collections) == 500
    with pytest.raises(KeyError, match="cluster"):
        plot_cluster_scatter(summary)
