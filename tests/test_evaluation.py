"""The holdout comparison: protocol (no leakage), bounds, completeness, determinism, truth.

One comparison of the embedded default shop (calibration to 2024-06-30, holdout to
2024-12-31) is shared by most tests; the protocol tests re-run it on altered inputs.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

import clvlib
from clvlib.compare import metrics as mt
from clvlib.compare.comparison import Comparison, compare_methods
from clvlib.compare.registry import BOUNDS, CONTENDERS, METHODS, METRICS, TRUTH_METRICS
from clvlib.compare.rolling import cutoff_dates, rolling_origin

CAL, HOLD = "2024-06-30", "2024-12-31"
RANKING = ("spearman", "top10_share", "top20_share", "gains_gini", "gains_gini_normalised")


@pytest.fixture(scope="module")
def shop():
    return clvlib.load_default_shop()


@pytest.fixture(scope="module")
def tx(shop):
    tx, _ = clvlib.load_transactions(shop.transactions)
    return tx


@pytest.fixture(scope="module")
def result(tx, shop) -> Comparison:
    return compare_methods(tx, calibration_end=CAL, holdout_end=HOLD, truth=shop)


# --- the table promises every method x metric -------------------------------------------


def test_every_method_has_every_promised_metric(result):
    got = set(zip(result.metrics["method"], result.metrics["metric"], strict=True))
    promised = {
        (method, metric)
        for method, spec in METHODS.items()
        for metric, mspec in METRICS.items()
        if mspec.applies == "all" or spec.money
    }
    assert got == promised
    assert len(result.metrics) == len(promised)  # once each
    assert result.metrics["value"].notna().all()
    wide = result.wide()
    assert list(wide.index) == list(METHODS) and list(wide.columns) == list(METRICS)
    money = [m for m, s in METHODS.items() if s.money]
    assert wide.loc[money, "mae"].notna().all()
    assert wide.drop(index=money)["mae"].isna().all()
    assert set(result.methods.index) == set(METHODS)
    assert {"score", "forecasts", "grouping"} <= set(result.methods.columns)


def test_metrics_are_those_of_the_scores(result):
    """The table is the metric functions applied to the stored scores, not something else."""
    s = result.scores
    wide = result.wide()
    assert wide.loc["rfm", "spearman"] == mt.spearman(s["rfm"], s["holdout_value"])
    assert wide.loc["kmeans", "auc"] == mt.auc(s["kmeans"], s["bought_again"])
    err = mt.forecast_errors(s["bgnbd_gg"], s["holdout_value"])
    assert wide.loc["bgnbd_gg", "total_error_pct"] == err.total_error_pct
    eta = mt.variance_explained(s["segment"], s["holdout_value"])
    assert wide.loc["rfm", "eta_squared"] == pytest.approx(eta.eta_squared)
    assert wide.loc["rfm", "n_groups"] == eta.n_groups == s["segment"].nunique()
    assert wide.loc["kmeans", "n_groups"] == 5


def test_scores_are_what_the_method_table_says(result, tx):
    s = result.scores
    p = result.params
    summary = clvlib.customer_summary(tx, observation_end=CAL)
    assert s.index.equals(summary.index)
    # naive: calibration total_value scaled to the holdout length
    scale = p["holdout_days"] / p["calibration_days"]
    assert p["holdout_days"] == 184  # Jul 1 .. Dec 31
    assert summary["first_purchase"].min().normalize() == pd.Timestamp("2022-01-01")
    assert p["calibration_days"] == 365 + 365 + 182  # 2022-01-01 .. 2024-06-30, both included
    np.testing.assert_allclose(s["naive_spend"], summary["total_value"] * scale)
    # rfm: the sum of three scores 1..5
    assert s["rfm"].between(3, 15).all()
    # k-means: one score per cluster, the cluster's mean calibration value, label 0 highest
    per_cluster = s.groupby("cluster")["kmeans"].agg(["min", "max"])
    assert (per_cluster["min"] == per_cluster["max"]).all()
    means = summary["total_value"].groupby(s["cluster"]).mean()
    np.testing.assert_allclose(per_cluster["min"], means)
    assert means.is_monotonic_decreasing
    # the ceiling is the outcome itself
    assert s["perfect_foresight"].equals(s["holdout_value"])
    assert s["bought_again"].equals(s["holdout_orders"] > 0)


# --- nothing from the holdout reaches a method --------------------------------------------


def test_holdout_changes_leave_calibration_scores_unchanged(tx, result):
    after = tx["timestamp"] >= pd.Timestamp(CAL) + pd.Timedelta(days=1)
    altered = tx.copy()
    altered.loc[after, "amount"] *= 3  # returns stay negative
    keep = ~after | (np.arange(len(tx)) % 2 == 0)  # drop half of the holdout lines
    altered = altered[keep]
    first = int(result.scores.index[0])
    extra = altered.iloc[[0]].assign(
        customer_id=first,
        order_id="LEAK1",
        timestamp=pd.Timestamp("2024-09-01 12:00"),
        amount=100_000.0,
        is_return=False,
    )
    altered = pd.concat([altered, extra], ignore_index=True)

    other = compare_methods(altered, calibration_end=CAL, holdout_end=HOLD)
    for method in METHODS:
        if method == "perfect_foresight":
            continue
        pd.testing.assert_series_equal(other.scores[method], result.scores[method])
    for column in ("segment", "cluster", "cluster_name"):
        pd.testing.assert_series_equal(other.scores[column], result.scores[column])
    assert other.params["fitted"] == result.params["fitted"]
    # ...while the outcome did change, so the test could fail
    assert other.scores.loc[first, "holdout_value"] >= 100_000
    assert not other.scores["perfect_foresight"].equals(result.scores["perfect_foresight"])


# --- the bounds --------------------------------------------------------------------------


def test_perfect_foresight_wins_every_ranking_metric(result):
    wide = result.wide()
    for metric in (*RANKING, "auc", "eta_squared"):
        others = wide.drop(index="perfect_foresight")[metric]
        assert (wide.loc["perfect_foresight", metric] > others).all(), metric
    assert wide.loc["perfect_foresight", "spearman"] == 1.0
    assert wide.loc["perfect_foresight", "gains_gini_normalised"] == 1.0


def test_random_sits_at_the_floor(result):
    random = result.wide().loc["random"]
    # n = 5352: the standard error of a random Spearman is 1 / sqrt(n) = 0.014
    assert abs(random["spearman"]) < 0.05
    assert abs(random["top20_share"] - 0.20) < 0.03
    assert abs(random["top10_share"] - 0.10) < 0.03
    assert abs(random["gains_gini_normalised"]) < 0.1
    assert abs(random["auc"] - 0.5) < 0.03
    assert random["eta_squared"] < 0.005
    # every method beats the floor on every ranking metric
    for method in (*CONTENDERS, "bgnbd_gg", "naive_spend"):
        for metric in (*RANKING, "auc"):
            assert result.wide().loc[method, metric] > random[metric] + 0.05, (method, metric)


# --- the truth of the simulation ----------------------------------------------------------


def test_truth_distance_on_the_simulated_shop(result, shop):
    truth = result.truth_wide()
    assert list(truth.index) == list(METHODS) and list(truth.columns) == list(TRUTH_METRICS)
    money = [m for m, s in METHODS.items() if s.money]
    assert truth.loc[money].notna().all().all()
    assert truth.drop(index=money)[["spearman_truth", "top20_share_truth"]].notna().all().all()
    expected = shop.truth(CAL, horizon=184).loc[result.scores.index, "expected_value"]
    assert result.scores["expected_value"].equals(expected)
    assert truth.loc["bgnbd_gg", "spearman_truth"] == mt.spearman(
        result.scores["bgnbd_gg"], expected
    )
    assert abs(truth.loc["random", "spearman_truth"]) < 0.05
    # the realised holdout is a noisy draw around the truth: far from a perfect 1
    assert 0.3 < truth.loc["perfect_foresight", "spearman_truth"] < 0.95
    assert result.truth_distance is not None and "simulation" in result.summary_text()


def test_truth_of_another_window_is_refused(tx, shop):
    wrong = shop.truth("2024-03-31", horizon=184)
    with pytest.raises(ValueError, match="truth is for at=2024-03-31"):
        compare_methods(tx, calibration_end=CAL, holdout_end=HOLD, truth=wrong)


def test_top_groups_carry_clearly_more_true_future_value(result):
    """Issue 3 acceptance: top tier / Champions / best cluster vs the bottom ones.

    Margin: the mean TRUE expected holdout value per customer of the top group is at least
    3 times that of the bottom group (on the default shop it is 5x to 20x).
    """
    g = result.groups.set_index(["method", "group"])["mean_expected_value"]
    for method in ("heuristic_clv", "naive_spend", "bgnbd_gg"):  # value tiers of the score
        assert g[(method, "top 20 %")] >= 3 * g[(method, "bottom 20 %")], method
    assert g[("rfm", "Champions")] >= 3 * g[("rfm", "Lost")]
    clusters = g["kmeans"]
    best, worst = clusters.index[0], clusters.index[-1]
    assert best.startswith("0: ") and worst.startswith(f"{len(clusters) - 1}: ")
    assert clusters[best] >= 3 * clusters[worst]
    # and the group table accounts for every customer and all the value
    for _, part in result.groups.groupby("method"):
        assert part["customers"].sum() == result.params["n_customers"]
        assert part["share_holdout_value"].sum() == pytest.approx(1.0)
        assert part["share_expected_value"].sum() == pytest.approx(1.0)


# --- winner, agreement, migration -----------------------------------------------------------


def _comparison_from(values: dict[str, dict[str, float]]) -> Comparison:
    rows = [(m, k, v) for m, d in values.items() for k, v in d.items()]
    table = pd.DataFrame(rows, columns=["method", "metric", "value"])
    return Comparison(table, None, {}, None, None, None, None, None)


def test_winner_and_margin_by_hand():
    c = _comparison_from(
        {
            "heuristic_clv": {"spearman": 0.30, "bias": -10.0, "mae": 40.0, "n_groups": 3},
            "rfm": {"spearman": 0.50, "n_groups": 11},
            "kmeans": {"spearman": 0.40, "n_groups": 5},
            "bgnbd_gg": {"spearman": 0.45, "bias": 4.0, "mae": 50.0, "n_groups": 3},
            "naive_spend": {"spearman": 0.20, "bias": -5.0, "mae": 45.0, "n_groups": 3},
            "random": {"spearman": 0.0, "n_groups": 3},
            "perfect_foresight": {"spearman": 1.0, "n_groups": 3},
        }
    )
    w = c.winner("spearman")  # the bounds never win
    assert (w.method, w.runner_up) == ("rfm", "bgnbd_gg")
    assert w.margin == pytest.approx(0.05)
    w = c.winner("spearman", among=CONTENDERS)
    assert (w.method, w.runner_up, w.margin) == ("rfm", "kmeans", pytest.approx(0.10))
    w = c.winner("mae")  # lower is better
    assert (w.method, w.runner_up, w.margin) == ("heuristic_clv", "naive_spend", 5.0)
    w = c.winner("bias")  # closest to 0
    assert (w.method, w.value, w.runner_up, w.margin) == ("bgnbd_gg", 4.0, "naive_spend", 1.0)
    with pytest.raises(ValueError, match="context"):
        c.winner("n_groups")
    with pytest.raises(KeyError, match="unknown metric"):
        c.winner("accuracy")
    with pytest.raises(KeyError, match="unknown method"):
        c.winner("spearman", among=["rfm", "xgboost"])
    with pytest.raises(ValueError, match="needs a truth"):
        c.winner("spearman_truth")


def test_winner_on_the_shop_matches_the_table(result):
    wide = result.wide()
    w = result.winner("top20_share")
    candidates = wide.drop(index=list(BOUNDS))["top20_share"].sort_values(ascending=False)
    assert (w.method, w.runner_up) == tuple(candidates.index[:2])
    assert w.margin == pytest.approx(candidates.iloc[0] - candidates.iloc[1])
    assert METHODS[result.winner("spearman", among=CONTENDERS).method].label in (
        result.summary_text()
    )


def test_agreement_of_segments_and_clusters(result):
    a = result.agreement
    s = result.scores
    assert a.ari == pytest.approx(mt.agreement(s["segment"], s["cluster"]).ari)
    assert a.crosstab.to_numpy().sum() == len(s)
    assert a.crosstab.index.name == "segment" and a.crosstab.columns.name == "cluster"
    assert 0 < a.nmi < 1


def test_migration_uses_the_calibration_scorer(result, tx):
    m = result.migration.counts
    s = result.scores
    # each calibration segment's row holds its customers; nobody is 'gone' (summaries grow)
    sizes = s["segment"].value_counts()
    for segment, n in sizes.items():
        assert m.loc[segment].sum() == n
    assert m["gone"].sum() == 0
    later = clvlib.customer_summary(tx, observation_end=HOLD)
    assert m.loc["new"].sum() == len(later) - len(s)
    assert result.cluster_migration.counts.loc["new"].sum() == len(later) - len(s)


# --- determinism and the JSON ----------------------------------------------------------------


def test_same_inputs_give_byte_identical_json(tx, shop, result, tmp_path):
    again = compare_methods(tx, calibration_end=CAL, holdout_end=HOLD, truth=shop)
    path = tmp_path / "comparison.json"
    again.to_json(path)
    assert path.read_bytes() == result.to_json().encode("utf-8")
    data = json.loads(path.read_text())
    assert set(data) >= {"params", "metrics", "truth_distance", "winners", "summary"}
    assert data["params"]["calibration_end"] == CAL
    assert data["summary"] == result.summary_text()
    assert "seconds" not in path.read_text() and "timings" not in data
    # floats are rounded: no value carries more than 6 significant digits
    values = [r["value"] for r in data["metrics"] if r["value"] is not None]
    assert all(float(f"{v:.6g}") == v for v in values)


def test_unsafe_inputs_are_refused(tx):
    with pytest.raises(TypeError, match="DataFrame"):
        compare_methods("log.parquet", calibration_end=CAL, holdout_end=HOLD)
    with pytest.raises(ValueError, match="must be after"):
        compare_methods(tx, calibration_end=HOLD, holdout_end=CAL)


# --- rolling origin -----------------------------------------------------------------------


def test_rolling_origin_one_block_per_cutoff(tx, shop, result):
    ro = rolling_origin(
        tx, cutoffs=["2024-06-30", "2023-12-31"], horizon=6, horizon_unit="M", truth=shop
    )
    assert list(ro.comparisons) == ["2023-12-31", "2024-06-30"]  # oldest first
    blocks = ro.metrics.groupby("cutoff")
    assert blocks.ngroups == 2
    promised = len(result.metrics)
    assert (blocks.size() == promised).all()
    ends = ro.metrics.groupby("cutoff")["holdout_end"].unique()
    assert ends["2023-12-31"].tolist() == ["2024-06-30"]
    # the cut-off of the shared comparison gives exactly its metrics
    same = ro.metrics[ro.metrics["cutoff"] == CAL].reset_index(drop=True)
    pd.testing.assert_frame_equal(same[["method", "metric", "value"]], result.metrics)
    assert ro.truth_distance["cutoff"].nunique() == 2
    winners = ro.winners("spearman")
    assert list(winners["cutoff"]) == ["2023-12-31", "2024-06-30"]
    # a win counts only when its interval excludes 0; otherwise it is a tie
    assert (winners["clear"] == (winners["ci_low"] > 0)).all()
    stability = ro.stability("spearman")
    assert stability["wins"].sum() + stability["ties"].sum() == 2
    assert stability["wins"].sum() == int(winners["clear"].sum())
    assert (stability["cutoffs"] == 2).all()
    among = ro.winners("spearman", among=CONTENDERS)
    at_cal = among[among["cutoff"] == CAL].iloc[0]
    from clvlib.compare.winner import verdict

    said = verdict(ro.comparisons[CAL], "spearman")
    assert said.startswith("no clear winner") == (not at_cal["clear"])
    assert json.loads(ro.to_json())["comparisons"].keys() == {"2023-12-31", "2024-06-30"}
    # k-means of the later cut-off matched to the first by centres: names stay put
    first, later = ro.comparisons.values()
    assert later.models["kmeans"].cluster_names_ == first.models["kmeans"].cluster_names_
    assert later.params["settings"]["clusters_matched"]
    assert not first.params["settings"]["clusters_matched"]


def test_rolling_origin_refuses_a_holdout_past_the_data(tx):
    with pytest.raises(ValueError, match="after the last day of the log"):
        rolling_origin(tx, cutoffs=["2024-09-30"], horizon=6, horizon_unit="M")


def test_cutoff_dates_are_quarter_ends_inside_the_data(tx):
    cutoffs = cutoff_dates(tx, horizon=6, horizon_unit="M", min_calibration_days=365)
    # data 2022-01-01 .. 2024-12-31: from 2023-01-01 on, holdout ending by 2024-12-31
    assert cutoffs == [
        "2023-03-31",
        "2023-06-30",
        "2023-09-30",
        "2023-12-31",
        "2024-03-31",
        "2024-06-30",
    ]
    assert cutoff_dates(tx, horizon=6, horizon_unit="M", max_cutoffs=2) == [
        "2024-03-31",
        "2024-06-30",
    ]
    monthly = cutoff_dates(tx, horizon=30, every="month", min_calibration_days=1000)
    assert monthly == ["2024-09-30", "2024-10-31", "2024-11-30"]
    with pytest.raises(ValueError, match="no quarter end"):
        cutoff_dates(tx, horizon=36, horizon_unit="M")


@pytest.mark.online_retail
def test_model_fit_caveats_are_kept_with_the_result(online_retail_path):
    """UCI Online Retail drives BG/NBD to the edge of its parameter space (no drop-out).

    The warning still reaches the caller, and the caveat travels with the result (and its
    JSON) so that a report can state it in words instead of showing a Python warning.
    """
    from clvlib.methods.likelihood import EdgeOfParameterSpaceWarning

    tx, _ = clvlib.load_online_retail(online_retail_path)
    with pytest.warns(EdgeOfParameterSpaceWarning):
        result = clvlib.compare_methods(
            tx, calibration_end="2011-06-30", holdout_end="2011-12-09", n_clusters=3
        )
    caveats = result.params["caveats"]
    bgnbd = [c for c in caveats if "BG/NBD" in c]  # one edge fit, one sentence
    assert len(bgnbd) == 1 and "the no-churn limit is the honest fit here" in bgnbd[0], caveats
    assert json.loads(result.to_json())["params"]["caveats"] == caveats


# --- paired bootstrap intervals and the verdict -----------------------------------------


def test_differences_cover_every_pair_and_metric_with_the_difference_inside(result):
    d = result.differences
    assert list(d.columns) == ["method", "versus", "metric", "difference", "ci_low", "ci_high"]
    ranked = [m for m in METHODS if m not in BOUNDS]
    pairs = {(a, b) for a, b in zip(d["method"], d["versus"], strict=True)}
    assert len(pairs) == len(ranked) * (len(ranked) - 1) // 2
    assert set(d["metric"]) == {"spearman", "top10_share", "top20_share", "gains_gini", "auc"}
    assert ((d["ci_low"] <= d["difference"]) & (d["difference"] <= d["ci_high"])).all()
    wide = result.wide()
    row = d[(d["method"] == "heuristic_clv") & (d["versus"] == "rfm") & (d["metric"] == "auc")]
    assert row["difference"].item() == pytest.approx(
        wide.loc["heuristic_clv", "auc"] - wide.loc["rfm", "auc"]
    )


def test_heuristic_vs_rfm_interval_agrees_with_a_plain_resampling_bootstrap(result):
    """Same seed, same draws: the multiplicity shortcut equals recomputing on each resample."""
    s = result.scores
    n, b = len(s), result.params["settings"]["n_resamples"]
    assert b >= 300
    rng = np.random.default_rng(result.params["settings"]["random_state"])
    diffs = []
    for _ in range(b):
        take = rng.integers(0, n, n)
        y = s["holdout_value"].to_numpy()[take]
        diffs.append(
            mt.spearman(s["heuristic_clv"].to_numpy()[take], y)
            - mt.spearman(s["rfm"].to_numpy()[take], y)
        )
    plain = np.percentile(diffs, [2.5, 97.5])
    d = result.differences
    row = d[(d["method"] == "heuristic_clv") & (d["versus"] == "rfm") & (d["metric"] == "spearman")]
    np.testing.assert_allclose(row[["ci_low", "ci_high"]].to_numpy()[0], plain, atol=1e-9)


def test_no_clear_winner_exactly_when_the_interval_of_best_vs_runner_up_covers_0(result):
    from clvlib.compare.winner import verdict

    text = result.summary_text()
    d = result.differences.copy()
    for metric in ("spearman", "auc", "top20_share"):
        w = result.winner(metric, among=CONTENDERS)
        hit = d[(d["metric"] == metric) & d["method"].isin([w.method, w.runner_up])]
        hit = hit[hit["versus"].isin([w.method, w.runner_up])]
        covers = bool(hit["ci_low"].item() <= 0 <= hit["ci_high"].item())
        assert verdict(result, metric).startswith("no clear winner") == covers
        assert (verdict(result, metric) in text) is True
    # the same comparison with every interval moved off 0 names winners instead
    shifted = d.assign(
        ci_low=np.where(d["difference"] > 0, 1e-9, d["ci_low"] - 1),
        ci_high=np.where(d["difference"] > 0, d["ci_high"] + 1, -1e-9),
    )
    clear = Comparison(**{**result.__dict__, "differences": shifted})
    assert "no clear winner" not in clear.summary_text()
    covering = d.assign(ci_low=-1.0, ci_high=1.0)
    tied = Comparison(**{**result.__dict__, "differences": covering})
    assert tied.summary_text().count("no clear winner") == 3


def test_intervals_are_seeded(tx):
    kwargs = dict(calibration_end=CAL, holdout_end=HOLD, n_clusters=3)
    a = compare_methods(tx, random_state=1, **kwargs).differences
    b = compare_methods(tx, random_state=1, **kwargs).differences
    pd.testing.assert_frame_equal(a, b)
    with pytest.raises(ValueError, match="n_resamples must be >= 100"):
        compare_methods(tx, n_resamples=10, **kwargs)


# --- fair baselines -----------------------------------------------------------------------


def test_fair_baselines_are_in_metrics_and_json(result):
    data = json.loads(result.to_json())
    for method in ("rfm_cells", "recent_spend"):
        assert result.wide().loc[method, ["spearman", "mae", "top10_lift"]].notna().all()
        assert method in {r["method"] for r in data["metrics"]}
        assert method in data["methods"]
    assert data["params"]["fitted"]["rfm_cells"]["inner_calibration_end"] < CAL


def test_rfm_cells_learns_only_inside_calibration(tx, result):
    """Holdout rows changed: the cell values (and so the score) do not move."""
    cal_end = pd.Timestamp(CAL) + pd.Timedelta(days=1)
    later = tx["timestamp"] >= cal_end
    altered = tx.copy()
    altered.loc[later & ~altered["is_return"], "amount"] *= 3
    again = compare_methods(altered, calibration_end=CAL, holdout_end=HOLD, n_clusters=3)
    pd.testing.assert_series_equal(again.scores["rfm_cells"], result.scores["rfm_cells"])
    pd.testing.assert_series_equal(again.scores["recent_spend"], result.scores["recent_spend"])


def test_recent_spend_is_the_last_90_days_scaled_to_the_holdout(tx, result):
    start = pd.Timestamp(CAL) + pd.Timedelta(days=1) - pd.Timedelta(days=90)
    window = tx[
        (tx["timestamp"] >= start) & (tx["timestamp"] < pd.Timestamp(CAL) + pd.Timedelta(days=1))
    ]
    spend = window.groupby("customer_id")["amount"].sum()
    expected = spend.reindex(result.scores.index, fill_value=0.0) * 184 / 90
    np.testing.assert_allclose(result.scores["recent_spend"], expected)


def test_mae_is_shown_next_to_the_mae_of_a_zero_forecast(result):
    wide = result.wide()
    zero = np.mean(np.abs(result.scores["holdout_value"]))
    money = [m for m, s in METHODS.items() if s.money]
    np.testing.assert_allclose(wide.loc[money, "mae_zero"], zero)
    np.testing.assert_allclose(wide.loc[money, "mae_skill"], 1 - wide.loc[money, "mae"] / zero)
    assert "a forecast of 0 for everybody has MAE" in result.summary_text()


# --- a failing reference never stops the comparison -------------------------------------


def test_a_non_converging_reference_is_marked_unavailable_and_the_rest_renders(tx, monkeypatch):
    from clvlib.methods.btyd import ProbabilisticCLV
    from clvlib.methods.likelihood import ConvergenceError
    from clvlib.report import notebook

    def fail(self, summary, y=None):
        raise ConvergenceError("BG/NBD maximum-likelihood fit did not converge (test)")

    monkeypatch.setattr(ProbabilisticCLV, "fit", fail)
    result = compare_methods(tx, calibration_end=CAL, holdout_end=HOLD, n_clusters=3)
    reason = result.params["unavailable"]["bgnbd_gg"]
    assert reason.startswith("ConvergenceError: BG/NBD maximum-likelihood fit did not converge")
    assert result.scores["bgnbd_gg"].isna().all()
    assert result.wide().loc["bgnbd_gg"].isna().all()
    assert not (result.differences[["method", "versus"]] == "bgnbd_gg").any().any()
    # Pareto/NBD + Gamma-Gamma is fitted by the same ProbabilisticCLV: unavailable too
    assert result.params["unavailable"]["pareto_nbd"].startswith("ConvergenceError")
    assert result.wide().drop(index=["bgnbd_gg", "pareto_nbd"])["spearman"].notna().all()
    assert "BG/NBD + Gamma-Gamma is unavailable: ConvergenceError" in result.summary_text()
    json.loads(result.to_json())  # the JSON export still works
    summary = clvlib.customer_summary(tx, observation_end=HOLD)
    text = notebook.executive_summary(summary, result).data
    assert "unavailable" in text
    assert notebook.comparison_figures(result)["customers compared"] == len(result.scores)


@pytest.mark.online_retail
def test_online_retail_with_a_small_penalizer_completes_without_nan(online_retail_path):
    tx, _ = clvlib.load_online_retail(online_retail_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        result = clvlib.compare_methods(
            tx, calibration_end="2011-06-30", holdout_end="2011-12-09", penalizer=0.001
        )
    assert result.params["unavailable"] == {}
    methods = [m for m in METHODS if m not in BOUNDS]
    assert result.scores[methods].notna().all().all()
    assert result.wide().loc[methods, ["spearman", "auc", "top20_share"]].notna().all().all()
    assert result.differences[["difference", "ci_low", "ci_high"]].notna().all().all()


# --- n_clusters: "auto", and more clusters than customers -----------------------------------


@pytest.fixture(scope="module")
def small_tx(tx):
    """The shop's first 400 customers: enough for every method, quick to choose k on."""
    keep = tx["customer_id"].drop_duplicates().iloc[:400]
    return tx[tx["customer_id"].isin(keep)].reset_index(drop=True)


def test_auto_clusters_are_choose_ks_pick_on_the_calibration_summary(small_tx):
    from clvlib.data.summary import customer_summary
    from clvlib.methods.k_choice import choose_k

    got = compare_methods(small_tx, calibration_end=CAL, holdout_end=HOLD, n_clusters="auto")
    summary = customer_summary(small_tx, observation_end=CAL)
    expected = choose_k(summary, random_state=0).recommended_k
    assert got.params["settings"]["n_clusters"] == expected
    assert got.models["kmeans"].n_clusters == expected


def test_rolling_origin_resolves_auto_once_at_the_first_cutoff(small_tx):
    from clvlib.data.summary import customer_summary
    from clvlib.methods.k_choice import resolve_n_clusters

    ro = rolling_origin(
        small_tx, cutoffs=[CAL, "2023-12-31"], horizon=6, horizon_unit="M", n_clusters="auto"
    )
    first = resolve_n_clusters("auto", customer_summary(small_tx, observation_end="2023-12-31"))
    ks = {c: r.params["settings"]["n_clusters"] for c, r in ro.comparisons.items()}
    assert ks == {"2023-12-31": first, CAL: first}


def test_more_clusters_than_customers_is_named_before_any_fit(small_tx):
    few = small_tx[small_tx["customer_id"].isin(small_tx["customer_id"].unique()[:40])]
    n = len(clvlib.customer_summary(few, observation_end=CAL))
    assert n < 50
    with pytest.raises(ValueError, match=rf"n_clusters=50 is more than the {n} customers"):
        compare_methods(few, calibration_end=CAL, holdout_end="2024-11-27", n_clusters=50)
    with pytest.raises(ValueError, match=r"cutoff 2024-06-30: n_clusters=50 is more than"):
        rolling_origin(few, cutoffs=[CAL], horizon=150, n_clusters=50)


@pytest.mark.parametrize(
    ("cal", "hold", "words"),
    [
        (CAL, "2026-06-30", "holdout_end 2026-06-30 is after the last purchase in the log"),
        ("2020-06-30", HOLD, "calibration_end 2020-06-30 is before the first purchase"),
        ("2025-03-31", "2025-06-30", "is after the last purchase in the log"),
    ],
)
def test_cutoffs_outside_the_data_are_clvlib_errors(small_tx, cal, hold, words):
    with pytest.raises(ValueError, match=words):
        compare_methods(small_tx, calibration_end=cal, holdout_end=hold, n_clusters=2)


def test_a_reference_beats_the_methods_only_when_its_interval_excludes_0(result):
    """On the shop BG/NBD + Gamma-Gamma ranks above the best method (gradient boosting) on
    Spearman with an interval excluding 0; RFM cells capture more in the top 20 % only within
    noise."""
    from clvlib.compare.winner import _interval

    assert result.winner("spearman", among=CONTENDERS).method == "gbm"
    assert result.winner("top20_share", among=CONTENDERS).method == "gbm"
    _, low, _ = _interval(result, "bgnbd_gg", "gbm", "spearman")
    assert low > 0
    diff, low, high = _interval(result, "rfm_cells", "gbm", "top20_share")
    assert diff > 0 and low < 0 < high
    lines = result.summary_text().splitlines()
    (ranking,) = [x for x in lines if x.startswith("Ranking")]
    (top20,) = [x for x in lines if x.startswith("Holdout value captured")]
    clear = ranking.split("every method (interval excludes 0)")[0].split(". The ")[-1]
    assert "BG/NBD + Gamma-Gamma" in clear
    assert "RFM cells" in top20.split("above every method, within noise")[0].split(". The ")[-1]
    assert "RFM cells reference beats" not in top20 and "references beat" not in top20


def test_the_lazy_log_gives_the_same_comparison(result, shop):
    lazy, _ = clvlib.load_transactions(shop.transactions, lazy=True)
    again = compare_methods(lazy, calibration_end=CAL, holdout_end=HOLD, truth=shop)
    assert again.to_json() == result.to_json()  # byte for byte: every score and interval
    with pytest.raises(TypeError, match="clean transaction log"):
        compare_methods(lazy.to_pyarrow(), calibration_end=CAL, holdout_end=HOLD)


def test_cutoff_dates_read_the_span_of_the_lazy_log(tx, shop):
    lazy, _ = clvlib.load_transactions(shop.transactions, lazy=True)
    assert cutoff_dates(lazy, horizon=184) == cutoff_dates(tx, horizon=184)


def test_rolling_origin_without_customers_gives_the_same_results(small_tx):
    settings = {"cutoffs": [CAL, "2023-12-31"], "horizon": 6, "horizon_unit": "M"}
    full = rolling_origin(small_tx, n_clusters=3, **settings)
    lean = rolling_origin(small_tx, n_clusters=3, keep_customers=False, **settings)
    assert lean.to_json() == full.to_json()
    pd.testing.assert_frame_equal(lean.winners("top20_share"), full.winners("top20_share"))
    pd.testing.assert_frame_equal(lean.stability("auc"), full.stability("auc"))
    for c in lean.comparisons.values():
        assert c.scores.empty and list(c.scores.columns) == list(full.comparisons[CAL].scores)
        assert c.summary is None and set(c.models) == {"kmeans"}


def test_large_n_caps_apply_above_their_size_and_are_said(small_tx):
    """Caps at or above the customer count change nothing; below it the intervals resample
    the fixed subsample and k is chosen on a sample, and the JSON and caveats say so."""
    from clvlib.data.summary import customer_summary
    from clvlib.methods.k_choice import choose_k

    plain = compare_methods(small_tx, calibration_end=CAL, holdout_end=HOLD, n_clusters="auto")
    n = plain.params["n_customers"]
    assert "bootstrap_customers" not in plain.params["settings"]
    assert not any("subsample" in c for c in plain.params["caveats"])
    capped = compare_methods(
        small_tx,
        calibration_end=CAL,
        holdout_end=HOLD,
        n_clusters="auto",
        bootstrap_max_customers=150,
        k_choice_max_customers=200,
    )
    settings = capped.params["settings"]
    assert settings["bootstrap_customers"] == 150 and settings["k_choice_customers"] == 200
    assert any(f"subsample of 150 of the {n:,} customers" in c for c in capped.params["caveats"])
    summary = customer_summary(small_tx, observation_end=CAL)
    assert settings["n_clusters"] == choose_k(summary, max_customers=200).recommended_k
    # the point differences use everyone; only the intervals come from the subsample
    pd.testing.assert_series_equal(
        capped.differences["difference"], plain.differences["difference"]
    )
    assert not np.allclose(capped.differences["ci_low"], plain.differences["ci_low"])
    assert "from a fixed subsample of 150 customers" in capped.summary_text()
    assert "subsample" not in plain.summary_text()
    for bad, error in [(50, ValueError), (1.5, TypeError), (True, TypeError)]:
        with pytest.raises(error, match="bootstrap_max_customers"):
            compare_methods(
                small_tx, calibration_end=CAL, holdout_end=HOLD, bootstrap_max_customers=bad
            )


# --- the contenders added by issue 20: gradient boosting and Pareto/NBD ------------------


def test_gbm_and_pareto_nbd_are_scored_like_every_method(result):
    assert "gbm" in CONTENDERS and METHODS["pareto_nbd"].kind == "reference"
    wide = result.wide()
    for method in ("gbm", "pareto_nbd"):
        assert wide.loc[method, ["spearman", "auc", "mae", "total_error_pct"]].notna().all()
        pairs = result.differences[["method", "versus"]]
        assert ((pairs["method"] == method) | (pairs["versus"] == method)).any()
    fitted = result.params["fitted"]
    assert fitted["gbm"]["training_end"] == "2023-12-29"  # one 184-day holdout back
    assert fitted["gbm"]["horizon_days"] == 184 and fitted["gbm"]["loss"] == "poisson"
    assert set(fitted["pareto_nbd"]["pareto_nbd"]) == {"r", "alpha", "s", "beta"}
    # the same Gamma-Gamma spend as BG/NBD + Gamma-Gamma, net of returns
    assert fitted["pareto_nbd"]["gamma_gamma"] == fitted["bgnbd_gg"]["gamma_gamma"]
    assert fitted["bgnbd_gg"]["gamma_gamma"]["spend"] == "net of returns"


def test_a_contender_the_data_cannot_support_is_absent_with_the_reason(tx):
    """Half a year of calibration cannot hold a shifted window of a year's holdout."""
    result = compare_methods(
        tx, calibration_end="2022-06-30", holdout_end="2023-06-30", n_clusters=3
    )
    reason = result.params["unavailable"]["gbm"]
    assert "too short for a window of 365 days" in reason
    assert result.scores["gbm"].isna().all() and result.wide().loc["gbm"].isna().all()
    assert "gradient boosting is unavailable: the calibration period is too short" in (
        result.summary_text()
    )
    assert result.wide().drop(index="gbm")["spearman"].notna().all()
    assert "gbm" not in set(result.totals["method"])
    assert "gbm" not in set(result.gains_curves()["method"])  # the page's gains chart draws
    json.loads(result.to_json())


def test_forecast_over_realised_in_total_with_an_interval(result):
    totals = result.totals.set_index("method")
    money = [m for m, s in METHODS.items() if s.money and s.kind != "ceiling"]
    assert list(totals.index) == money
    wide = result.wide()
    np.testing.assert_allclose(totals["ratio"], 1 + wide.loc[money, "total_error_pct"] / 100)
    assert (totals["ci_low"] < totals["ratio"]).all() and (
        totals["ratio"] < totals["ci_high"]
    ).all()
    assert result.params["value_basis"].startswith("net of returns")
    assert json.loads(result.to_json())["forecast_totals"][0]["method"] == money[0]


def test_the_margin_basis_scales_every_money_forecast_and_the_outcome_alike(tx, result):
    margin = compare_methods(
        tx, calibration_end=CAL, holdout_end=HOLD, value_basis="net_margin", margin=0.3
    )
    np.testing.assert_allclose(margin.scores["holdout_value"], 0.3 * result.scores["holdout_value"])
    for method, spec in METHODS.items():
        if spec.money:
            np.testing.assert_allclose(margin.scores[method], 0.3 * result.scores[method])
    np.testing.assert_allclose(margin.totals["ratio"], result.totals["ratio"])
    ranking = result.wide()[["spearman", "auc", "top20_share"]]
    pd.testing.assert_frame_equal(margin.wide()[["spearman", "auc", "top20_share"]], ranking)
    assert "x the margin" in margin.params["value_basis"]


def test_rolling_plan_keeps_the_report_holdout_where_three_cutoffs_fit(tx):
    from clvlib.compare.rolling import rolling_plan
    from clvlib.compare.split import Split

    plan = rolling_plan(tx, Split(CAL, HOLD))  # three years of shop: quarter ends fit
    assert plan.cutoffs == ["2023-12-31", "2024-03-31"] and plan.holdout_days == 184
    assert plan.every == "quarter" and "the report's holdout (184 days)" in plan.reason
    # the last year of the log alone: the report's 184 days leave room for no other quarter
    # end, 90 days for one, 90 days at month ends for two
    late = tx[tx["timestamp"] >= pd.Timestamp("2024-01-01")]
    short = rolling_plan(late, Split(CAL, HOLD))
    assert short.holdout_days == 90 and short.every == "month"
    assert short.cutoffs == ["2024-08-31", "2024-09-30"]
    assert "the report's 184 days leave room for fewer than 3 cut-offs" in short.reason


def test_one_comparison_fits_gamma_gamma_once_and_the_inner_split_once(tx, monkeypatch):
    # bgnbd_gg and pareto_nbd share one Gamma-Gamma fit; gbm's shifted window is rfm_cells'
    # inner split (the holdout is at most half the calibration period): summarised once.
    # Each score is still the one its method gives alone.
    from clvlib.compare import registry
    from clvlib.methods import boosting
    from clvlib.methods.btyd import ProbabilisticCLV
    from clvlib.methods.gamma_gamma import GammaGammaModel

    fits, windows = [], []
    real_fit, real_split = GammaGammaModel.fit, registry.calibration_holdout

    def counted_fit(self, *args, **kwargs):
        fits.append(self)
        return real_fit(self, *args, **kwargs)

    def counted_split(log, **kwargs):
        windows.append((kwargs["calibration_end"], kwargs["holdout_end"]))
        return real_split(log, **kwargs)

    monkeypatch.setattr(GammaGammaModel, "fit", counted_fit)
    monkeypatch.setattr(registry, "calibration_holdout", counted_split)
    monkeypatch.setattr(boosting, "calibration_holdout", counted_split)
    result = compare_methods(tx, calibration_end=CAL, holdout_end=HOLD, n_clusters=3)
    assert len(fits) == 1
    assert windows == [(pd.Timestamp("2023-12-29"), pd.Timestamp(CAL))]  # CAL - 184 days
    assert result.models["pareto_nbd"].value_model_ is result.models["bgnbd_gg"].value_model_
    monkeypatch.undo()

    summary, split = result.summary, result.split
    alone = ProbabilisticCLV(purchases="pareto_nbd", spend="net").fit(summary)
    pd.testing.assert_series_equal(
        alone.predict(summary, horizon=split.horizon),
        result.scores["pareto_nbd"],
        check_names=False,
        check_exact=True,
    )
    gbm = boosting.BoostedValueModel().fit(
        tx, calibration_end=CAL, horizon_days=split.holdout_days, time_unit=split.time_unit
    )
    pd.testing.assert_series_equal(
        gbm.predict(summary).astype("float64"),
        result.scores["gbm"],
        check_names=False,
        check_exact=True,
    )
