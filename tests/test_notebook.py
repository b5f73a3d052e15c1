"""clvlib.report.notebook beyond the page text: work shared between the kernels of one run."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import pandas as pd
import pytest

from clvlib.compare import comparison as evaluation
from clvlib.compare import rolling
from clvlib.report import fitting
from clvlib.report import notebook as nbk
from clvlib.report.params import PARAMS


@pytest.fixture
def params(tmp_path, monkeypatch):
    monkeypatch.setenv(nbk.RUNNER_ENV, "1")  # exports in output_dir, as in a rendered run
    values = {name: spec.default for name, spec in PARAMS.items()}
    values.update(output_dir=str(tmp_path), n_clusters=3)
    return values


@pytest.fixture
def counted(monkeypatch):
    """compare_methods replaced by a slow stand-in that counts its calls."""
    calls = []

    def fake(tx, **kwargs):
        calls.append(kwargs["split"].calibration_end)
        time.sleep(0.3)
        return {"log": type(tx).__name__, "settings": kwargs["settings"].n_clusters}

    monkeypatch.setattr(evaluation, "compare_methods", fake)
    return calls


def _log(amount: float = 10.0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 3],
            "order_id": ["a", "b", "c", "d"],
            "timestamp": pd.to_datetime(["2024-01-01", "2024-03-01", "2024-02-01", "2024-01-15"]),
            "amount": [amount, 5.0, 7.0, 3.0],
            "is_return": [False, False, False, False],
        }
    )


def test_the_comparison_is_computed_once_for_equal_inputs(params, counted):
    first = nbk.run_comparison(params, tx=_log(), customers=None)
    again = nbk.run_comparison(params, tx=_log(), customers=None)  # a new, equal frame
    assert again == first
    assert len(counted) == 1
    assert list((nbk.cache_path(params, filename="x").parent).glob("comparison_*.pickle"))


def test_the_rolling_origins_are_computed_once_for_equal_inputs(params, monkeypatch):
    calls = []

    def fake(tx, *, cutoffs, horizon, **kwargs):
        calls.append(horizon)
        return {"cutoffs": list(cutoffs), "n_clusters": kwargs["settings"].n_clusters}

    monkeypatch.setattr(rolling, "rolling_origin", fake)
    monkeypatch.setattr(rolling, "cutoff_dates", lambda tx, **_: ["2024-03-31"])
    first = nbk.rolling_comparison(params, tx=_log(), customers=None)
    again = nbk.rolling_comparison(params, tx=_log(), customers=None)
    other = nbk.rolling_comparison(params, tx=_log(), customers=None, min_cutoffs=2)
    assert again == first == other == {"cutoffs": ["2024-03-31"], "n_clusters": 3}
    assert calls == [184, 184]  # the default holdout, 2024-06-30 to 2024-12-31; min_cutoffs keys
    assert list(nbk.cache_path(params, filename="x").parent.glob("rolling_*.pickle"))


def test_other_data_or_settings_recompute(params, counted):
    nbk.run_comparison(params, tx=_log(), customers=None)
    nbk.run_comparison(params, tx=_log(amount=10.5), customers=None)  # one value differs
    nbk.run_comparison({**params, "calibration_end": "2024-05-31"}, tx=_log(), customers=None)
    nbk.run_comparison(params, tx=_log(), customers=None, truth=object())  # with a truth
    assert len(counted) == 4


def test_a_kernel_waits_for_the_comparison_another_is_computing(params, counted):
    results = []

    def kernel():
        results.append(nbk.run_comparison(params, tx=_log(), customers=None))

    threads = [threading.Thread(target=kernel) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(counted) == 1
    assert results[0] == results[1]


def test_the_cache_sits_beside_the_exports_not_in_them(params):
    path = nbk.cache_path(params, filename="k.pickle")
    assert path.parent.name == ".cache"
    assert path.parent.parent == nbk.export_path(params, filename="x").parent.parent


def test_fingerprint_tells_frames_apart():
    base = nbk.data_fingerprint(_log())
    assert nbk.data_fingerprint(_log()) == base
    assert nbk.data_fingerprint(_log(amount=10.5)) != base
    assert nbk.data_fingerprint(_log().rename(columns={"amount": "value"})) != base
    assert nbk.data_fingerprint(_log().astype({"amount": "float32"})) != base
    assert nbk.data_fingerprint(_log(), None) != base


# --- the reports' log: loaded lazily, cleaned once per run ------------------------------


@pytest.fixture
def default_params(tmp_path, monkeypatch):
    from clvlib.report.params import load_params

    monkeypatch.setenv(nbk.RUNNER_ENV, "1")
    params = load_params(nbk.Path(__file__).resolve().parents[1] / "params" / "default.yaml")
    params["output_dir"] = str(tmp_path)
    return params


def test_load_data_gives_the_lazy_log_written_once_per_run(default_params):
    import ibis

    import clvlib
    from clvlib.data.reading import to_frame

    tx, audit, customers = nbk.load_data(default_params)
    assert isinstance(tx, ibis.Table)
    files = list(nbk.cache_path(default_params, filename="x").parent.glob("clean_log_*.parquet"))
    assert len(files) == 1
    stamp = files[0].stat().st_ino  # a file written again is a new one (moved into place)
    again, again_audit, _ = nbk.load_data(default_params)  # another kernel: reads the files
    assert files[0].stat().st_ino == stamp
    assert again_audit.to_dict() == audit.to_dict()
    assert again_audit.examples() == audit.examples()
    eager, eager_audit = clvlib.load_transactions(default_params["data_path"])
    pd.testing.assert_frame_equal(to_frame(again), eager)
    assert audit.to_dict() == eager_audit.to_dict()
    lazy_facts = nbk.data_overview(tx, customers)
    eager_facts = nbk.data_overview(eager, customers)
    assert list(lazy_facts) == list(eager_facts)
    buy = ~eager["is_return"]
    by_hand = {  # the same facts in pandas, from the eager log
        "first order": eager["timestamp"].min(),
        "last order": eager["timestamp"].max(),
        "lines": len(eager),
        "purchase lines": int(buy.sum()),
        "return lines": int((~buy).sum()),
        "orders": eager.loc[buy, "order_id"].nunique(),
        "customers who bought": eager.loc[buy, "customer_id"].nunique(),
        "gross purchase value": eager.loc[buy, "amount"].sum(),
        "returned value": -eager.loc[~buy, "amount"].sum(),
        "net value": eager["amount"].sum(),
        "gross profit": (eager["amount"] - eager["cost"]).sum(),
        "customers in the customer table": len(customers),
        "prospects (signed up, never bought)": int(
            (~customers.index.isin(eager.loc[buy, "customer_id"])).sum()
        ),
    }
    assert list(lazy_facts) == list(by_hand)
    for name, value in by_hand.items():
        if isinstance(value, float):
            assert lazy_facts[name] == pytest.approx(value, rel=1e-12), name
            assert eager_facts[name] == pytest.approx(value, rel=1e-12), name
        else:
            assert lazy_facts[name] == value == eager_facts[name], name
    assert str(nbk.audit_answer(audit, tx).data) == str(nbk.audit_answer(audit, eager).data)


def test_the_cumulative_figure_draws_the_same_data_from_the_lazy_log(default_params):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from clvlib.compare.comparison import compare_methods
    from clvlib.data.reading import to_frame

    tx, _, _ = nbk.load_data(default_params)
    comparison = compare_methods(
        tx, calibration_end="2024-06-30", holdout_end="2024-12-31", n_clusters=3, n_resamples=100
    )
    lazy_ax = nbk.cumulative_transactions(comparison, tx)
    eager_ax = nbk.cumulative_transactions(comparison, to_frame(tx))
    for lazy_line, eager_line in zip(lazy_ax.get_lines(), eager_ax.get_lines(), strict=True):
        assert list(lazy_line.get_ydata()) == list(eager_line.get_ydata())
    plt.close("all")


def test_fingerprint_of_a_lazy_log_follows_its_rows():
    import ibis

    base = nbk.data_fingerprint(ibis.memtable(_log()))
    assert nbk.data_fingerprint(ibis.memtable(_log())) == base  # another table, same rows
    assert nbk.data_fingerprint(ibis.memtable(_log().iloc[::-1])) == base  # order is no data
    assert nbk.data_fingerprint(ibis.memtable(_log(amount=10.5))) != base
    assert nbk.data_fingerprint(ibis.memtable(_log().iloc[:2])) != base


def test_the_comparison_of_a_lazy_log_is_shared_too(params, counted):
    import ibis

    first = nbk.run_comparison(params, tx=ibis.memtable(_log()), customers=None)
    again = nbk.run_comparison(params, tx=ibis.memtable(_log()), customers=None)
    assert again == first and len(counted) == 1


# --- what the parameters say about the comparison: the split and the settings --------------


def test_the_report_compares_on_the_split_and_settings_of_the_params(params, monkeypatch):
    from clvlib.compare.settings import ComparisonSettings
    from clvlib.compare.split import Split

    seen = {}

    def fake(tx, **kwargs):
        seen.update(kwargs)
        return "compared"

    monkeypatch.setattr(evaluation, "compare_methods", fake)
    given = {**params, "bgnbd_penalizer": 0.01}
    assert nbk.run_comparison(given, tx=_log(), customers=None) == "compared"
    assert seen["split"] == Split.from_params(given)
    assert seen["split"].holdout_days == 184  # July to December: 31 + 31 + 30 + 31 + 30 + 31
    assert seen["settings"] == ComparisonSettings.from_params(given)  # k given: kept
    assert (seen["settings"].penalizer, seen["settings"].n_clusters) == (0.01, 3)


def test_n_clusters_auto_is_resolved_once_and_recorded(params):
    auto = fitting.report_settings({**params, "n_clusters": "auto"}, tx=_log())
    assert isinstance(auto.n_clusters, int)
    assert (
        auto.k_choice.startswith("auto: choose_k's recommendation")
        and "2024-06-30" in auto.k_choice
    )
    assert list(nbk.export_path(params, filename="x").parent.glob("k_choice_*.json"))
    given = fitting.report_settings({**params, "n_clusters": 2}, tx=_log())
    assert (given.n_clusters, given.k_choice) == (2, "given")


# --- the winner of each measure, in the words every page uses ---------------------------


def _answer(method, clear_wins, cutoffs=3):
    """What the words read of a WinnerResult (clvlib.compare.winner.winner_across)."""
    from types import SimpleNamespace

    return SimpleNamespace(method=method, cutoffs_tried=cutoffs, clear_wins=clear_wins)


def test_a_winner_is_said_with_its_clear_wins_out_of_the_cutoffs_tried():
    from clvlib.report import winners

    won = _answer("heuristic_clv", {"heuristic_clv": 2, "rfm": 1})
    assert winners.winner_words(won) == "heuristic CLV (clearly ahead at 2 of 3 cut-offs)"
    alone = _answer("rfm", {"rfm": 1}, cutoffs=1)
    assert winners.winner_words(alone) == "RFM (clearly ahead at the only cut-off tried)"
    assert winners.winner_words(_answer(None, {}, cutoffs=1)) == (
        "no clear winner (no method clearly ahead at the only cut-off tried)"
    )


def test_no_clear_winner_names_the_method_ahead_most_often_or_none():
    from clvlib.report import winners

    close = _answer(None, {"heuristic_clv": 1, "hiatus": 1}, cutoffs=4)
    assert winners.winner_label(close) == "no clear winner"
    # a tie of clear wins goes to the method listed first in the registry
    assert winners.winner_words(close) == (
        "no clear winner (heuristic CLV clearly ahead at only 1 of 4 cut-offs)"
    )
    assert winners.winner_words(_answer(None, {})) == (
        "no clear winner (no method clearly ahead at any of 3 cut-offs)"
    )


@dataclass
class _FakeComparison:
    """What rolling_origin reads of a comparison (a stand-in that pickles)."""

    cutoff: pd.Timestamp
    settings: object
    metrics: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame({"method": ["m"], "metric": ["x"], "value": [1.0]})
    )
    scores: pd.DataFrame = field(default_factory=pd.DataFrame)
    summary: object = None
    models: dict = field(default_factory=lambda: {"kmeans": None})
    truth_distance: object = None


def test_the_report_cutoff_is_compared_once_in_a_run(params, monkeypatch):
    # report 05 asks for the comparison and the rolling origins: the report's own cut-off is
    # the shared comparison, never fitted again among the rolling origins
    calls = []

    def fake(tx, **kwargs):
        calls.append(kwargs["split"].calibration_end.date().isoformat())
        return _FakeComparison(kwargs["split"].calibration_end, kwargs["settings"])

    monkeypatch.setattr(evaluation, "compare_methods", fake)
    monkeypatch.setattr(rolling, "compare_methods", fake)
    quarters = ["2023-09-30", "2023-12-31", "2024-03-31", "2024-06-30"]
    monkeypatch.setattr(rolling, "cutoff_dates", lambda tx, **_: quarters)
    days = pd.date_range("2022-01-01", "2024-12-31", freq="7D")
    log = pd.DataFrame(
        {
            "customer_id": [i % 5 for i in range(len(days))],
            "order_id": [str(i) for i in range(len(days))],
            "timestamp": days,
            "amount": 10.0,
            "is_return": False,
        }
    )
    log.loc[len(log)] = [0, "last", pd.Timestamp("2024-12-31"), 10.0, False]
    comparison = nbk.run_comparison(params, tx=log, customers=None)
    result = nbk.rolling_comparison(params, tx=log, customers=None)
    assert comparison.cutoff == pd.Timestamp(params["calibration_end"])
    assert list(result.comparisons) == ["2023-12-31", "2024-03-31"]
    assert sorted(calls) == ["2023-12-31", "2024-03-31", "2024-06-30"]  # each cut-off once


def test_a_kernel_resolves_the_report_settings_on_one_summary(params, monkeypatch):
    # run_comparison and rolling_comparison of one kernel both ask: one customer summary
    from clvlib.data import summary as summaries

    calls = []
    real = summaries.customer_summary

    def counted(tx, **kwargs):
        calls.append(kwargs["observation_end"])
        return real(tx, **kwargs)

    monkeypatch.setattr(summaries, "customer_summary", counted)
    log, auto = _log(), {**params, "n_clusters": "auto"}
    first = fitting.report_settings(auto, tx=log)
    assert fitting.report_settings(auto, tx=log) is first and len(calls) == 1
    assert fitting.report_settings(auto, tx=_log()) == first  # another log object: recomputed
    assert len(calls) == 2
    fitting.report_settings({**auto, "calibration_end": "2024-02-29"}, tx=log)
    assert len(calls) == 3
