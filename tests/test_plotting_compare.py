"""Plots of the method comparison: titles, labels with units, artists; no pyplot state."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import clvlib
from clvlib.compare import metrics as mt
from clvlib.compare.comparison import compare_methods
from clvlib.compare.registry import METHODS, METRICS
from clvlib.report import plotting
from clvlib.vocabulary import METRICS as METRIC_WORDS
from clvlib.vocabulary import heading

PLOTS = (
    "plot_gains_curves",
    "plot_metric_table",
    "plot_agreement_heatmap",
    "plot_migration_matrix",
    "plot_rolling_origin",
    "plot_lead_intervals",
    "plot_period_transactions",
    "plot_calibration_vs_holdout",
    "plot_cumulative_transactions",
)


@pytest.fixture(scope="module")
def small_tx():
    shop = clvlib.simulate_shop(n_customers=1500, start="2023-01-01", end="2024-12-31", seed=7)
    tx, _ = clvlib.load_transactions(shop.transactions)
    return tx


@pytest.fixture(scope="module")
def comparison(small_tx):
    """A small simulated shop, so that the Comparison path of every plot is exercised."""
    return compare_methods(small_tx, calibration_end="2024-06-30", holdout_end="2024-12-31")


def test_plots_are_registered():
    for name in PLOTS:
        assert callable(getattr(plotting, name))
        assert name in dir(plotting)


def test_gains_curves_from_a_table(ax):
    # four customers, holdout values 0, 10, 30, 60; two methods and the two bounds
    outcome = pd.Series([0.0, 10.0, 30.0, 60.0])
    scores = {
        "rfm": pd.Series([4.0, 3.0, 2.0, 1.0]),  # worst first
        "random": pd.Series([0.3, 0.1, 0.4, 0.2]),
        "perfect_foresight": outcome,
    }
    curves = pd.concat(
        [mt.gains_curve(s, outcome).assign(method=m) for m, s in scores.items()],
        ignore_index=True,
    )
    out = plotting.plot_gains_curves(curves, ax=ax)
    assert out is ax
    assert ax.get_title() == "Gains curves on the holdout"
    assert "% of customers" in ax.get_xlabel() and "% of total" in ax.get_ylabel()
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert {"RFM", "random", "perfect foresight"} <= set(lines)
    # perfect foresight: the top customer (1 of 4) carries 60 / 100 of the value
    pf = lines["perfect foresight"]
    assert pf.get_xdata()[1] == 0.25 and pf.get_ydata()[1] == pytest.approx(0.6)
    assert lines["perfect foresight"].get_linestyle() == "--"
    with pytest.raises(KeyError, match="outcome_share"):
        plotting.plot_gains_curves(curves.drop(columns="outcome_share"), ax=ax)


def test_gains_curves_from_a_comparison(ax, comparison):
    plotting.plot_gains_curves(comparison, ax=ax)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == [spec.label for spec in METHODS.values()]
    assert f"n = {comparison.params['n_customers']:,}" in ax.get_title()


def test_metric_table_colours_against_the_reference_not_the_rank(ax):
    wide = pd.DataFrame(
        {
            "spearman": [0.2, 0.5, -0.0001],
            "n_groups": [3.0, 11.0, 3.0],
            "mae_skill": [-0.23, -0.05, np.nan],  # both worse than forecasting 0
            "bias": [-5.0, np.nan, 1.0],
        },
        index=pd.Index(["heuristic_clv", "rfm", "random"], name="method"),
    )
    plotting.plot_metric_table(wide, ax=ax)
    image = ax.get_images()[0].get_array()
    # spearman against the random floor: random neutral, rfm best, both above it
    assert image[2, 0] == 0.5 and image[1, 0] == 1.0 and 0.7 <= image[0, 0] < 1.0
    # a negative skill is red even when it is the best of its column (the "-23 %" case)
    assert image[0, 2] == 0.0 and image[1, 2] <= 0.3
    # context and errors around 0 (no reference better than the target) stay white
    assert np.ma.is_masked(image[0, 1]) and np.ma.is_masked(image[0, 3])
    texts = [t.get_text() for t in ax.texts]
    assert "0.50" in texts and "11" in texts and "-23%" in texts
    assert "n/a" in texts and "" not in texts  # a missing value is said, not left blank
    assert "not applicable" in ax.get_xlabel()
    assert [t.get_text() for t in ax.get_yticklabels()] == ["heuristic CLV", "RFM", "random"]
    assert [t.get_text() for t in ax.get_xticklabels()][0] == "Spearman"
    assert "-0.00" not in texts and "-0%" not in texts  # a rounded zero has no sign
    assert ax.get_ylabel() == "method"
    with pytest.raises(KeyError, match="auc"):
        plotting.plot_metric_table(wide, ax=ax, metrics=["auc"])


def test_metric_table_names_the_currency_of_money_columns(ax):
    from clvlib.vocabulary import use_currency

    wide = pd.DataFrame({"mae": [5.0, 4.0], "mae_zero": [4.5, 4.5]}, index=["rfm_cells", "x"])
    with use_currency("GBP"):
        plotting.plot_metric_table(wide, ax=ax, metrics=["mae"])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["MAE\n(£)"]
    image = ax.get_images()[0].get_array()  # an MAE above forecasting 0's is worse: red
    assert image[0, 0] < 0.5 < image[1, 0]


def test_lead_intervals_put_the_best_on_zero_and_shares_in_points(ax):
    table = pd.DataFrame(
        {
            "difference": [0.0, -0.05, 0.02],
            "ci_low": [0.0, -0.08, -0.01],
            "ci_high": [0.0, -0.02, 0.04],
            "best": [True, False, False],
        },
        index=pd.Index(["heuristic_clv", "rfm", "bgnbd_gg"], name="method"),
    )
    methods = ["heuristic_clv", "rfm", "kmeans", "bgnbd_gg"]  # k-means: no row, left blank
    plotting.plot_lead_intervals(table, metric="top20_share", ax=ax, methods=methods)
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "heuristic CLV", "RFM", "k-means", "BG/NBD + Gamma-Gamma"
    ]  # fmt: skip
    assert "percentage points" in ax.get_xlabel() and ax.get_title() == "Top 20 % share"
    bars = ax.collections[1:]  # the best's marker, then one bar and one point per method
    segments = [seg for c in bars if hasattr(c, "get_segments") for seg in c.get_segments()]
    assert sorted(round(s[0][0], 6) for s in segments) == [-8.0, -1.0]  # points, not shares
    assert any(t.get_text() == "best" for t in ax.texts)
    with pytest.raises(KeyError, match="best"):
        plotting.plot_lead_intervals(table.drop(columns="best"), metric="spearman", ax=ax)


def test_metric_table_from_a_comparison(ax, comparison):
    plotting.plot_metric_table(comparison, ax=ax)
    shown = len(METRICS) - 2  # totals left out
    assert len(ax.get_xticklabels()) == shown
    assert len(ax.texts) == shown * len(METHODS)


def test_agreement_heatmap(ax):
    a = mt.agreement(
        pd.Series(["A", "A", "B", "B"], name="segment"),
        pd.Series(["x", "x", "y", "x"], name="cluster"),
    )
    plotting.plot_agreement_heatmap(a, ax=ax)
    assert ax.get_title() == (
        f"Customers by segment and cluster: ARI {a.ari:.2f}, NMI {a.nmi:.2f} (n = 4)"
    )
    assert sorted(t.get_text() for t in ax.texts) == ["0", "1", "1", "2"]
    assert "customers" in ax.get_ylabel() and "share" in ax.get_xlabel()
    ax.clear()
    named = mt.agreement(
        pd.Series(["A", "A", "B", "B"], name="rfm_segment"),
        pd.Series(["x", "x", "y", "x"], name="kmeans_cluster"),
    )
    plotting.plot_agreement_heatmap(named, ax=ax)  # code names read as words
    assert ax.get_title().startswith("Customers by RFM segment and k-means cluster: ")
    assert ax.get_ylabel() == "RFM segment (customers)"


def test_agreement_heatmap_from_a_comparison(ax, comparison):
    plotting.plot_agreement_heatmap(comparison, ax=ax)
    assert f"ARI {comparison.agreement.ari:.2f}" in ax.get_title()


def test_migration_matrix(ax):
    before = pd.Series({1: "A", 2: "A", 3: "B"})
    after = pd.Series({1: "A", 2: "B", 3: "B", 4: "A"})
    m = mt.migration_matrix(before, after)
    plotting.plot_migration_matrix(m, ax=ax)
    assert ax.get_title() == "Migration of customers between segments, n = 4"
    texts = sorted(t.get_text() for t in ax.texts if t.get_text())
    assert texts == ["100%", "100%", "50%", "50%"]  # A: 50/50, B: stays, new -> A
    assert ax.get_ylabel() == "segment at the earlier date"


def test_migration_matrix_from_a_comparison(ax, comparison):
    plotting.plot_migration_matrix(comparison, ax=ax, clusters=True)
    assert "between clusters (2024-06-30 to 2024-12-31)" in ax.get_title()


def test_rolling_origin(ax):
    table = pd.DataFrame(
        {
            "cutoff": ["2024-03-31"] * 2 + ["2024-06-30"] * 2,
            "method": ["rfm", "random"] * 2,
            "metric": ["top20_share"] * 4,
            "value": [0.5, 0.2, 0.55, 0.21],
        }
    )
    plotting.plot_rolling_origin(table, ax=ax, metric="top20_share")
    assert ax.get_title() == "Top 20 % share at each cut-off date (2 cut-offs)"  # vocabulary
    assert ax.get_ylabel() == "Top 20 % share (share)"
    assert "cut-off date" in ax.get_xlabel()
    assert [list(line.get_ydata()) for line in ax.get_lines()] == [[0.5, 0.55], [0.2, 0.21]]
    with pytest.raises(KeyError, match="auc"):
        plotting.plot_rolling_origin(table, ax=ax, metric="auc")


# --- BTYD diagnostics -------------------------------------------------------------------


def test_period_transactions_counts_every_customer_in_data_and_model(ax, comparison):
    out = plotting.plot_period_transactions(comparison, max_frequency=5, ax=ax)
    assert out is ax and "count" in ax.get_xlabel() and "customers" in ax.get_ylabel()
    data, model = ax.containers
    n = comparison.params["n_customers"]
    assert sum(b.get_height() for b in data) == n
    assert sum(b.get_height() for b in model) == pytest.approx(n, rel=1e-6)
    # the model shares are P(X(T) = x): the simulated shop is a BG/NBD process, so close
    for d, m in zip(data, model, strict=True):
        assert abs(d.get_height() - m.get_height()) < 0.05 * n


def test_calibration_vs_holdout_means_by_frequency(ax, comparison):
    plotting.plot_calibration_vs_holdout(comparison, max_frequency=4, ax=ax)
    data, model = ax.get_lines()
    s = comparison.summary
    bins = np.minimum(s["frequency"], 4)
    realised = comparison.scores["holdout_purchase_periods"].groupby(bins).mean()
    np.testing.assert_allclose(data.get_ydata(), realised.to_numpy())
    assert "holdout" in ax.get_ylabel() and "mean per customer" in ax.get_ylabel()
    assert len(model.get_ydata()) == len(realised)


def test_cumulative_transactions_tracks_the_data(ax, comparison, small_tx):
    plotting.plot_cumulative_transactions(comparison, small_tx, ax=ax)
    data, model = ax.get_lines()[:2]
    final = data.get_ydata()[-1]
    s = comparison.summary
    # repeat purchase periods to the calibration end are the summary's frequency
    cal = pd.Timestamp(comparison.params["calibration_end"])
    at_cal = np.searchsorted(pd.to_datetime(data.get_xdata()), cal, side="right") - 1
    assert data.get_ydata()[at_cal] <= s["frequency"].sum()
    assert final >= s["frequency"].sum()
    assert abs(model.get_ydata()[-1] - final) < 0.25 * final  # a BG/NBD shop: the model tracks
    assert "cumulative" in ax.get_ylabel()


def test_diagnostics_say_so_when_the_reference_is_unavailable(ax, small_tx, monkeypatch):
    from clvlib.methods.btyd import ProbabilisticCLV
    from clvlib.methods.likelihood import ConvergenceError

    def fail(self, summary, y=None):
        raise ConvergenceError("did not converge (test)")

    monkeypatch.setattr(ProbabilisticCLV, "fit", fail)
    result = compare_methods(
        small_tx, calibration_end="2024-06-30", holdout_end="2024-12-31", n_clusters=3
    )
    plotting.plot_cumulative_transactions(result, small_tx, ax=ax)
    assert "unavailable" in ax.texts[0].get_text() and "did not converge" in ax.texts[0].get_text()


def test_report_05_figures_from_a_comparison(comparison):
    """The page's interval figure, key metrics and deciles on a real comparison."""
    import matplotlib.pyplot as plt

    from clvlib.report import figures
    from clvlib.vocabulary import MEASURES, use_currency

    fig = figures.lead_intervals(comparison)
    panels = fig.axes
    assert [ax.get_title() for ax in panels] == [
        heading(METRIC_WORDS[m].label) for m in MEASURES
    ]  # one panel per measure a winner is named on, whatever the registry holds
    rows = [t.get_text() for t in panels[0].get_yticklabels()]
    assert "heuristic CLV" in rows and not {"random", "perfect foresight"} & set(rows)
    plt.close(fig)
    ax = figures.key_metrics(comparison)
    assert len(ax.get_xticklabels()) == len(plotting._compare.STAKEHOLDER_METRICS)
    plt.close(ax.figure)
    with use_currency("EUR"):
        fig = figures.decile_figures(comparison)
    shown = [ax for ax in fig.axes if ax.axison]
    assert shown and all("(€)" in ax.get_ylabel() for ax in shown)
    plt.close(fig)


def test_metric_matrix_turns_the_wide_table_into_labelled_rows(comparison):
    from clvlib.report import figures
    from clvlib.vocabulary import use_currency

    with use_currency("EUR"):
        matrix = figures.metric_matrix(comparison)
    wide = comparison.wide()
    assert matrix.shape == wide.T.shape  # a column per method: it fits however many metrics
    assert list(matrix.columns) == [METHODS[m].label for m in wide.index]
    assert matrix.loc["MAE (€)", "RFM"] == "n/a"  # a ranking has no money forecast
    assert matrix.loc["Top 20 % share", "random"].endswith("%")
    assert matrix.loc["MAE (€)", "heuristic CLV"].startswith("€")
    assert matrix.loc["Total error (%)", "heuristic CLV"].endswith(" %")  # a change, signed
    assert matrix.loc["Total error (%)", "heuristic CLV"][0] in "+-"
