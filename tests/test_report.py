"""The helpers the report notebooks call (the runner itself: tests/test_runner.py)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from clvlib.compare import comparison as evaluation
from clvlib.compare import registry
from clvlib.compare.settings import ComparisonSettings
from clvlib.compare.winner import Winner, _winner
from clvlib.methods.rfm import rfm_scores
from clvlib.methods.tiers import lorenz_curve, value_tiers
from clvlib.report import notebook as helpers
from clvlib.report import provenance
from clvlib.report.formatting import OUTPUT_DIR_ENV
from clvlib.report.params import Params, load_params

PROJECT_ROOT = Path(__file__).resolve().parents[1]

# A hand-written log: customer 1 buys twice (one order of two lines) and returns one line,
# customer 2 buys once, one row has no customer (dropped).
LOG = """customer_id,order_id,timestamp,quantity,unit_price,unit_cost
1,A1,2024-01-05 10:00:00,2,10.00,6.00
1,A1,2024-01-05 10:00:00,1,5.00,2.00
1,A2,2024-03-01 12:00:00,1,40.00,30.00
1,R2,2024-03-10 12:00:00,-1,40.00,30.00
2,B1,2024-02-10 09:00:00,3,20.00,10.00
,X1,2024-02-11 09:00:00,1,7.00,3.00
2,B2,2024-06-20 09:00:00,1,15.00,5.00
"""
CUSTOMERS = """customer_id,signup_date,channel,cac
1,2024-01-01,organic,4.0
2,2024-02-01,paid_search,30.0
3,2024-03-01,social,12.0
"""


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    """A folder with the tiny log, a customer table and a params file pointing at them."""
    (tmp_path / "log.csv").write_text(LOG)
    (tmp_path / "customers.csv").write_text(CUSTOMERS)
    (tmp_path / "params.yaml").write_text(
        "dataset_name: tiny\ndata_path: log.csv\ncustomers_path: customers.csv\n"
        "calibration_end: 2024-03-31\nholdout_end: 2024-06-20\noutput_dir: out\n"
    )
    return tmp_path


@pytest.fixture
def params(shop: Path) -> Params:
    return load_params(shop / "params.yaml")


# ----------------------------------------------------------------------------- helpers


def test_load_data_accounts_for_every_row(params: Params) -> None:
    tx, audit, customers = helpers.load_data(params)
    assert audit.n_input_rows == 7
    counts = helpers.audit_figures(audit)
    assert counts == {
        "rows read": 7,
        "rows kept": 5,
        "rows netted": 1,
        "rows dropped": 1,
        "share of rows dropped": pytest.approx(1 / 7),
    }
    assert tx.count().execute() == 6  # the lazy clean log (an ibis Table)
    assert customers.loc[3, "channel"] == "social"
    assert customers["signup_date"].dtype.kind == "M"


def test_data_overview_hand_worked(params: Params) -> None:
    tx, _, customers = helpers.load_data(params)
    facts = helpers.data_overview(tx, customers)
    shown = facts.to_frame()["value"]  # as the page shows them
    assert facts["purchase lines"] == 5 and shown["purchase lines"] == "5"
    assert facts["return lines"] == 1
    assert facts["orders"] == 4  # A1, A2, B1, B2; the return R2 is not an order
    assert facts["customers who bought"] == 2
    # 2x10 + 5 + 40 + 3x20 + 15 = 140; the return takes 40 back
    assert shown["gross purchase value"] == "140.00"
    assert shown["returned value"] == "40.00"
    assert shown["net value"] == "100.00"
    # costs: 12 + 2 + 30 - 30 + 30 + 5 = 49
    assert shown["gross profit"] == "51.00"
    assert shown["prospects (signed up, never bought)"] == "1"
    assert shown["first order"] == "2024-01-05 10:00"
    no_returns = helpers.data_overview(tx.filter(~tx["is_return"]))
    assert no_returns.to_frame()["value"]["returned value"] == "0.00"  # never -0.00
    assert "<table" in facts._repr_html_()


@pytest.mark.parametrize(
    ("cal", "hold", "expected"),
    [
        ("2023-12-31", "2024-06-20", "calibration_end 2023-12-31 is before the first purchase"),
        ("2024-06-20", "2024-06-30", "holdout_end 2024-06-30 is after the last purchase"),
        ("2024-03-31", "2024-07-31", "holdout_end 2024-07-31 is after the last purchase"),
    ],
)
def test_load_data_rejects_periods_outside_the_data(
    shop: Path, cal: str, hold: str, expected: str
) -> None:
    params = load_params(
        shop / "params.yaml", overrides={"calibration_end": cal, "holdout_end": hold}
    )
    with pytest.raises(ValueError, match=rf"^log\.csv: {expected}"):  # the file named
        helpers.load_data(params)


def test_provenance_names_file_hash_rows_and_versions(params: Params) -> None:
    _, audit, _ = helpers.load_data(params)
    facts = provenance.provenance(params, audit)
    expected = hashlib.sha256(Path(params["data_path"]).read_bytes()).hexdigest()
    assert facts["data_path SHA-256"] == expected
    assert facts["parameters file"] == "params.yaml"  # relative to its folder: no machine path
    assert facts["data_path"] == "log.csv"
    assert facts["rows read"] == 7 and facts["rows dropped"] == 1
    assert facts["pandas"] == pd.__version__
    assert facts["git commit"]  # a commit or "not a git checkout"
    assert expected in facts._repr_html_()  # never truncated


def test_git_commit_outside_a_checkout(tmp_path: Path) -> None:
    assert provenance.git_commit(tmp_path).startswith("not a git checkout")


def test_save_headline_writes_plain_json(params: Params) -> None:
    import numpy as np

    facts = helpers.save_headline(
        params,
        notebook="07_x",
        figures={"customers": np.int64(12), "share": np.float64(0.25), "best": "VIP"},
    )
    path = Path(params["output_dir"]) / "exports" / "headline_07_x.json"
    assert json.loads(path.read_text()) == {
        "notebook": "07_x",
        "figures": {"customers": 12, "share": 0.25, "best": "VIP"},
    }
    assert facts["customers"] == 12


def test_save_headline_rejects_tables(params: Params) -> None:
    with pytest.raises(TypeError, match="not a number or a text"):
        helpers.save_headline(params, notebook="07_x", figures={"table": pd.DataFrame({"a": [1]})})


def test_group_column_falls_back_to_one_group() -> None:
    summary = pd.DataFrame({"total_value": [1.0, 2.0]}, index=pd.Index([5, 6], name="customer_id"))
    assert helpers.group_column(summary.assign(country="UK")) == "country"
    assert helpers.group_column(summary.assign(country="UK", channel="ads")) == "channel"
    group = helpers.group_column(summary)
    assert group.tolist() == ["all customers", "all customers"]
    assert group.index.equals(summary.index)


def test_group_column_pools_small_groups() -> None:
    countries = ["UK"] * 90 + ["France"] * 6 + ["EIRE"] * 3 + ["Malta"]
    summary = pd.DataFrame({"country": countries}, index=pd.RangeIndex(100, name="customer_id"))
    group = helpers.group_column(summary, min_share=0.05)
    assert group.name == "country"
    assert group.value_counts().to_dict() == {"UK": 90, "France": 6, "other": 4}
    assert helpers.group_column(summary, max_groups=1).value_counts().to_dict() == {
        "UK": 90,
        "other": 10,
    }


def test_heuristic_model_and_levers_follow_the_data(params: Params) -> None:
    base = params
    summary = pd.DataFrame(
        {"avg_order_value": [10.0, 30.0], "n_orders": [1, 3], "total_value": [10.0, 90.0]},
        index=pd.Index([1, 2], name="customer_id"),
    )
    model = helpers.heuristic_model(base, summary=summary)
    assert model.margin == base["margin"] and model.cac == base["cac"]
    assert model.discount_rate == pytest.approx(1.1 ** (1 / 12) - 1)
    levers = helpers.average_levers(base, summary=summary)
    assert levers == {"aov": 20.0, "purchases": 2.0, "cac": base["cac"], "margin": base["margin"]}
    known = summary.assign(gross_profit=[4.0, 36.0], cac=[2.0, 6.0])
    model = helpers.heuristic_model(base, summary=known)
    assert model.margin is None and model.cac == "cac"
    levers = helpers.average_levers(base, summary=known)
    assert levers["margin"] == pytest.approx(40 / 100) and levers["cac"] == 4.0


def small_summary(n: int = 20) -> pd.DataFrame:
    """A customer summary with spread-out R, F and M (customer i has i orders)."""
    i = pd.RangeIndex(1, n + 1, name="customer_id")
    return pd.DataFrame(
        {
            "since_last_order": (n + 1 - i) * 10,
            "n_orders": i.to_numpy(),
            "total_value": i * 10.0,
            "avg_order_value": 10.0,
        },
        index=i,
    )


def test_rule_set_coverage_places_prospects_only_where_a_rule_takes_them() -> None:
    summary = small_summary()
    customers = pd.DataFrame(
        {"channel": ["ads"] * 21}, index=pd.RangeIndex(1, 22, name="customer_id")
    )  # customer 21 signed up and never bought
    coverage = helpers.rule_set_coverage(summary, "value_activity", customers)
    assert coverage.set_index("segment").loc["Subscribers", "won"] == 1
    coverage = helpers.rule_set_coverage(summary, "r_rfm", customers)  # no prospects rule
    assert coverage["won"].sum() == 20
    scores = rfm_scores(summary)
    segments = helpers.segment_customers(scores, "value_activity", customers)
    assert segments.loc[21] == "Subscribers" and len(segments) == 21
    assert len(helpers.segment_customers(scores, "r_rfm", customers)) == 20


def test_segment_and_cluster_figures_hand_worked() -> None:
    table = pd.DataFrame(
        {"customers": [0, 30, 50, 20], "value_share": [0.0, 0.6, 0.3, 0.1]},
        index=pd.Index(["Champions", "Loyal", "Lost", "Others"], name="segment"),
    )
    assert helpers.segment_figures(table) == {
        "segments with customers": 3,
        "largest segment": "Lost",
        "segment carrying most value": "Loyal",
        "its share of value": 0.6,
    }
    profiles = pd.DataFrame(
        {"name": ["recent, high value", "lapsed"], "customer_share": [0.2, 0.8]}
        | {"value_share": [0.7, 0.3]},
        index=pd.Index([0, 1], name="cluster"),
    )
    choice = SimpleNamespace(recommended_k=np.int64(3), discovered=False)
    assert helpers.cluster_figures(choice, profiles) == {
        "recommended k": 3,
        "discovered types (silhouette beats a featureless Gaussian by 0.1)": False,
        "clusters used": 2,
        "most valuable cluster": "recent, high value",
        "its share of customers": 0.2,
        "its share of value": 0.7,
    }


def test_heuristic_figures_hand_worked() -> None:
    summary = small_summary(10)  # values 10..100, total 550
    tiers = value_tiers(summary, value="total_value")
    clv = pd.DataFrame({"clv_discounted": np.arange(10.0)}, index=summary.index)
    figures = helpers.heuristic_figures(summary, tiers, lorenz_curve(summary["total_value"]), clv)
    assert figures["customers"] == 10
    assert figures["share of value, top 20 %"] == pytest.approx((100 + 90) / 550)
    assert figures["share of value, bottom 20 %"] == pytest.approx((10 + 20) / 550)
    assert figures["mean discounted CLV"] == 4.5


class FakeComparison:
    """The parts of a Comparison the summaries read, with hand-set numbers and intervals."""

    params = {
        "n_customers": 1000,
        "calibration_end": "2024-06-30",
        "holdout_end": "2024-12-31",
        "caveats": ["BG/NBD estimate at the edge of the parameter space (a = 1e-07)."],
        "settings": {"confidence": 0.95},
        "unavailable": {},
    }
    numbers = {  # metric -> {method: value}
        "spearman": {"heuristic_clv": 0.31, "rfm": 0.29, "kmeans": 0.2, "hiatus": 0.1},
        "top20_share": {"heuristic_clv": 0.45, "rfm": 0.55, "kmeans": 0.48, "hiatus": 0.3},
        "auc": {"heuristic_clv": 0.6, "rfm": 0.65, "kmeans": 0.66, "hiatus": 0.5},
    }
    references = {
        "rfm_cells": 0.25,
        "bgnbd_gg": 0.4,
        "pareto_nbd": 0.35,
        "naive_spend": 0.2,
        "recent_spend": 0.3,
    }
    intervals = {  # (metric, method, versus) -> interval of method - versus
        ("spearman", "heuristic_clv", "rfm"): (0.004, 0.036),  # clear
        ("top20_share", "rfm", "kmeans"): (-0.01, 0.15),  # covers 0
        ("auc", "rfm", "kmeans"): (-0.03, 0.01),  # covers 0
        ("spearman", "bgnbd_gg", "heuristic_clv"): (0.05, 0.13),  # the reference beats them
    }

    #: what the customers spent in the holdout: 1,000 in all
    scores = pd.DataFrame({"holdout_value": [600.0, 300.0, 100.0, 0.0]})

    @property
    def metrics(self) -> pd.DataFrame:
        rows = [(m, k, v) for k, values in self.numbers.items() for m, v in values.items()]
        rows += [(m, "spearman", v) for m, v in self.references.items()]
        rows += [(m, k, 0.1) for m in self.references for k in ("top20_share", "auc")]
        return pd.DataFrame(rows, columns=["method", "metric", "value"])

    @property
    def differences(self) -> pd.DataFrame:
        wide = self.wide()
        rows = [
            (a, b, k, wide.loc[a, k] - wide.loc[b, k], lo, hi)
            for (k, a, b), (lo, hi) in self.intervals.items()
        ]
        return pd.DataFrame(
            rows, columns=["method", "versus", "metric", "difference", "ci_low", "ci_high"]
        )

    def winner(self, metric: str, *, among=None) -> Winner:
        assert set(among) == set(registry.CONTENDERS)  # the hiatus heuristic too
        return _winner(self.metrics, None, metric, among)

    def wide(self) -> pd.DataFrame:
        return evaluation._wide(self.metrics, registry.METRICS)

    def to_dict(self) -> dict:
        """The fields of the export the winner rule reads (clvlib.compare.verdict)."""
        return {
            "params": self.params,
            "metrics": self.metrics.to_dict("records"),
            "differences": self.differences.to_dict("records"),
        }


class FakeRolling:
    """Rolling origins: the same comparison at earlier cut-offs, with their own intervals."""

    def __init__(self, *comparisons: FakeComparison) -> None:
        self.comparisons = {c.params["calibration_end"]: c for c in comparisons}

    def to_dict(self) -> dict:
        return {"comparisons": {k: c.to_dict() for k, c in self.comparisons.items()}}


def earlier(cutoff: str, **intervals: tuple[float, float]) -> FakeComparison:
    """FakeComparison at an earlier cut-off; ``spearman=(lo, hi)``: heuristic CLV vs RFM."""

    class Earlier(FakeComparison):
        params = {**FakeComparison.params, "calibration_end": cutoff}

    pairs = {"spearman": ("heuristic_clv", "rfm"), "top20_share": ("rfm", "kmeans")}
    Earlier.intervals = {
        **FakeComparison.intervals,
        **{(k, *pairs[k]): v for k, v in intervals.items()},
    }
    return Earlier()


def test_executive_summary_says_when_no_reference_ranks_better() -> None:
    class Weak(FakeComparison):
        references = {
            "rfm_cells": 0.25,
            "bgnbd_gg": 0.25,
            "pareto_nbd": 0.25,
            "naive_spend": 0.3,
            "recent_spend": 0.1,
        }

    text = helpers.executive_summary(small_summary(10), Weak()).data
    assert "No reference ranks better (Spearman: RFM cells 0.250, BG/NBD" in text


def test_comparison_figures_name_a_winner_only_outside_the_noise() -> None:
    figures = helpers.comparison_figures(FakeComparison())  # the report's cut-off alone
    assert figures["customers compared"] == 1000
    assert figures["best ranking (Spearman)"] == (
        "heuristic CLV (clearly ahead at the only cut-off tried)"
    )
    assert figures["best top 20 % capture"] == (
        "no clear winner (no method clearly ahead at the only cut-off tried)"
    )
    assert figures["best at who buys again (AUC)"].startswith("no clear winner")
    assert figures["BG/NBD + Gamma-Gamma reference (Spearman)"] == 0.4
    assert figures["recent spend (90 days) reference (Spearman)"] == 0.3


def test_executive_summary_opens_with_the_answer() -> None:
    summary = small_summary(10).assign(channel=["ads"] * 5 + ["organic"] * 5)
    text = helpers.executive_summary(summary, FakeComparison()).data
    lines = text.splitlines()
    assert lines[0].startswith(
        "- **Who matters.** The best 20 % of the 10 customers carry **35 %**"
    )
    assert (
        "comes through **organic** (40 % of its customers), the smallest through ads (0 %)" in text
    )
    by_country = summary.rename(columns={"channel": "country"})
    said = helpers.executive_summary(by_country, FakeComparison()).data
    assert "top-tier customers is among those from **organic** (40 % of its customers)" in said
    assert "comes through" not in said  # customers live in a country
    assert "**Which method finds tomorrow's valuable customers: heuristic CLV.**" in text
    assert "0.020 ahead of RFM (0.290); 95 % paired bootstrap interval +0.004 .. +0.036" in text
    assert "top 20 % of customers by **RFM** brought **55 %**" in text
    assert (
        "(random: 20 %): no clear winner (95 % paired bootstrap interval -1.0 points .. "
        "+15.0 points). Over every cut-off tried, the best top 20 %: **no clear winner (no "
        "method clearly ahead at the only cut-off tried)**." in text
    )
    assert (
        "**But simpler or model-based references rank better than every method** at the "
        "report's cut-off (paired interval against the best method excludes 0): BG/NBD + "
        "Gamma-Gamma, Spearman 0.400." in text
    )
    assert "naive" not in text  # 0.2 does not beat 0.31: only the better one is named
    caveat = "- **Caveat.** BG/NBD estimate at the edge of the parameter space (a = 1 × 10⁻⁷)."
    assert lines[-3] == caveat
    figures = helpers.executive_figures(summary, FakeComparison())
    assert figures["best ranking (Spearman)"] == (
        "heuristic CLV (clearly ahead at the only cut-off tried)"
    )


def test_executive_summary_says_a_reference_ahead_within_noise_does_not_beat_the_methods() -> None:
    class Close(FakeComparison):
        intervals = {
            **FakeComparison.intervals,
            ("spearman", "bgnbd_gg", "heuristic_clv"): (-0.01, 0.19),
        }

    text = helpers.executive_summary(small_summary(10), Close()).data
    assert "rank better than every method" not in text
    assert (
        "References that score above every method, within noise (their interval against the "
        "best method covers 0): BG/NBD + Gamma-Gamma, Spearman 0.400; Pareto/NBD + "
        "Gamma-Gamma, Spearman 0.350." in text
    )


def test_executive_summary_says_no_clear_winner_when_the_interval_covers_0() -> None:
    class Close(FakeComparison):
        intervals = {
            **FakeComparison.intervals,
            ("spearman", "heuristic_clv", "rfm"): (-0.006, 0.036),
        }

    text = helpers.executive_summary(small_summary(10), Close()).data
    assert "**Which method finds tomorrow's valuable customers: no clear winner.**" in text
    assert "-0.006 .. +0.036, which covers 0" in text
    figures = helpers.executive_figures(small_summary(10), Close())
    assert figures["best ranking (Spearman)"].startswith("no clear winner (")


def test_a_clear_lead_at_the_report_cutoff_alone_is_no_winner() -> None:
    """Clearly ahead at 1 of 3 cut-offs: every page says "no clear winner", as verdict.json."""
    rolling = FakeRolling(
        earlier("2023-12-31", spearman=(-0.01, 0.05), top20_share=(0.01, 0.2)),
        earlier("2024-03-31", spearman=(-0.02, 0.04), top20_share=(0.02, 0.1)),
    )
    text = helpers.executive_summary(small_summary(10), FakeComparison(), rolling).data
    assert (
        "**Which method finds tomorrow's valuable customers: no clear winner.** Ranking "
        "customers by what they spent in the holdout, no method is clearly ahead of the "
        "runner-up at more than half of the cut-offs tried (heuristic CLV clearly ahead at only "
        "1 of 3 cut-offs); at the report's cut-off: heuristic CLV (0.310), 0.020 ahead" in text
    )
    # RFM's top 20 % is clearly ahead at the two earlier cut-offs: 2 of 3, a winner
    assert "the best top 20 %: **RFM (clearly ahead at 2 of 3 cut-offs)**" in text
    assert "(here 3: the report's and the rolling origins" in text
    figures = helpers.comparison_figures(FakeComparison(), rolling)
    assert figures == {
        **figures,
        "best ranking (Spearman)": "no clear winner (heuristic CLV clearly ahead at only 1 of "
        "3 cut-offs)",
        "best top 20 % capture": "RFM (clearly ahead at 2 of 3 cut-offs)",
        "best at who buys again (AUC)": "no clear winner (no method clearly ahead at any of 3 "
        "cut-offs)",
    }
    assert helpers.executive_figures(small_summary(10), FakeComparison(), rolling) == {
        "customers": 10,
        "share of value, top 20 %": pytest.approx(190 / 550),
        **{k: v for k, v in figures.items() if k.startswith("best")},
    }


#: the modules clvlib.report.notebook re-exports its helpers from, one per concern
HELPER_MODULES = ("exports", "cache", "fitting", "figures", "winners", "answers")


def test_notebook_helpers_take_params_first_then_keywords() -> None:
    """Every public helper that takes the parameters takes them first, the rest by keyword."""
    import inspect

    # the helpers' own modules (clvlib.report.notebook and the ones it re-exports by concern),
    # not the names it passes on from elsewhere (provenance, load_customers)
    own = {helpers.__name__, *(f"clvlib.report.{m}" for m in HELPER_MODULES)}
    checked = 0
    for name in helpers.__all__:
        function = getattr(helpers, name)
        if not inspect.isfunction(function) or function.__module__ not in own:
            continue
        parameters = list(inspect.signature(function).parameters.values())
        if not any(p.name == "params" for p in parameters):
            continue
        checked += 1
        assert parameters[0].name == "params", name
        assert all(p.kind is p.KEYWORD_ONLY for p in parameters[1:]), name
    assert checked >= 12


def test_group_heading_follows_the_data() -> None:
    title, text = "which {groups} bring the good customers", "Each {group}'s share."
    summary = small_summary(10)
    by_channel = helpers.group_heading(summary.assign(channel=["ads", "tv"] * 5), title, text)
    assert by_channel.data == "## Which channels bring the good customers\n\nEach channel's share."
    by_country = helpers.group_heading(
        summary.assign(country=["UK", "FR"] * 5), title, text, level=3
    ).data
    assert by_country == "### Which countries bring the good customers\n\nEach country's share."
    for data, why in (
        (summary, "no channel or country column"),
        (summary.assign(country="UK"), "a single country"),
    ):
        shown = helpers.group_heading(data, title, text).data
        assert shown.startswith("## Which groups bring the good customers\n\n*Nothing to compare")
        assert why in shown and "channels" not in shown


def test_heuristic_answer_hand_worked(params: Params) -> None:
    summary = small_summary(10).assign(channel=["ads"] * 5 + ["<b>tv</b>"] * 5)
    clv = pd.DataFrame({"clv_discounted": np.arange(10.0) * 10}, index=summary.index)
    calibration = pd.DataFrame({"ratio": [1.0]})
    calibration.attrs["ratio"] = 1.25
    text = helpers.heuristic_answer(params, summary=summary, clv=clv, calibration=calibration).data
    lines = text.splitlines()
    assert 4 <= len(lines) <= 5 and all(line.startswith("- **") for line in lines)
    # values 10..100 (total 550): the top two carry 190 / 550 = 35 %, the bottom two 5 %
    assert "The best 20 % of the 10 customers carry **35 %** of the net revenue" in lines[0]
    assert "the bottom 20 % 5 %" in lines[0]
    # predicted CLV 0, 10, ..., 90: mean 45, total 450; top tier (customers 9, 10) 85
    assert "averages **45.00** per customer, 450.00 in all; 85.00 for a top-tier" in lines[1]
    assert "against 5.00 at the bottom" in lines[1]
    assert "at 1.25 x what customers really spent (over-forecast by 25 %)" in lines[2]
    assert "customers from **&lt;b&gt;tv&lt;/b&gt;** are worth the most (70.00" in lines[3]
    assert "<b>" not in text


def test_segment_answer_hand_worked(params: Params, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(helpers.RUNNER_ENV, "1")
    monkeypatch.setenv(OUTPUT_DIR_ENV, params["output_dir"])
    table = pd.DataFrame(
        {
            "customers": [0, 30, 50, 20],
            "customer_share": [0.0, 0.3, 0.5, 0.2],
            "value_share": [0.0, 0.6, 0.3, 0.1],
            "predicted_clv_share": [0.0, 0.2, 0.7, 0.1],
            "action": ["-", "Reward them.", "Win back <now>", "-"],
        },
        index=pd.Index(["Champions", "Loyal", "Lost", "Others"], name="segment"),
    )
    text = helpers.segment_answer(params, table=table).data
    assert "**3 segments** (the example rules of R's RFM package) hold the 100 customers" in text
    assert "rfm\\_" not in text  # the rule set named in words, not by its code
    assert "the largest is **Lost** (50 customers, 50 %)" in text
    assert "**Loyal** carry **60 %** of the value to date with 30 % of the customers" in text
    assert "**Lost** hold the largest share of predicted CLV (70 %)" in text
    assert "**What to do with Loyal:** Reward them. Every customer's" in text
    assert text.endswith("CRM export exports/segments.csv.")


def test_cluster_answer_hand_worked(params: Params) -> None:
    profiles = pd.DataFrame(
        {"name": ["recent, high value", "lapsed"], "customer_share": [0.2, 0.8]}
        | {"value_share": [0.7, 0.3]}
        | {"median_total_value": [300.0, 20.0], "median_n_orders": [5.0, 1.0]}
        | {"median_since_last_order": [30.4, 400.0]},
        index=pd.Index([0, 1], name="cluster"),
    )
    table = pd.DataFrame(
        {"stability": [0.97, 0.6], "stability_min": [0.951, 0.4]},
        index=pd.Index([2, 3], name="k"),
    )
    chosen = ComparisonSettings(n_clusters=2, k_choice="auto: choose_k's recommendation")
    for discovered, says in ((False, "cuts of a continuum"), (True, "they are distinct types")):
        choice = SimpleNamespace(recommended_k=2, discovered=discovered, table=table)
        text = helpers.cluster_answer(chosen, choice=choice, profiles=profiles).data
        assert says in text
    assert text.startswith("- **2 customer clusters**, chosen from the data: of the numbers")
    assert "an agreement of 0.95 to 0.97 on average (1 = the same clusters)" in text
    assert (
        "“**recent, high value**” is 20 % of the customers and carries **70 %** of the value; "
        "its typical customer brought 300.00 over 5 orders and last ordered 30 days ago." in text
    )
    assert "“lapsed”, is 80 % of the customers with 30 % of the value" in text
    given = helpers.cluster_answer(
        ComparisonSettings(n_clusters=2), choice=choice, profiles=profiles, time_unit="W"
    ).data
    assert given.startswith(
        "- **2 customer clusters**, as set by hand in the parameters, the number the data "
        "would pick too."
    )
    assert "last ordered 400 weeks ago" in given
    other = SimpleNamespace(recommended_k=3, discovered=False)  # no stability measured
    by_hand = helpers.cluster_answer(
        ComparisonSettings(n_clusters=2), choice=other, profiles=profiles
    ).data
    assert "(the data alone would pick 3)" in by_hand and "agreement" not in by_hand
    assert "n_clusters" not in text + given + by_hand  # no parameter names on the page
    heading = helpers.cluster_heading(ComparisonSettings(n_clusters=2), choice=other).data
    assert heading.startswith("## 2 clusters, as set by hand in the parameters\n")
    assert "lapsing: 180 to 365 days" in heading


def test_cluster_table_reads_in_words() -> None:
    profiles = pd.DataFrame(
        {"name": ["recent, high value", "lapsed"], "n_customers": [20, 80]}
        | {"customer_share": [0.2, 0.8], "value_share": [0.7, 0.3]}
        | {"median_since_last_order": [30.4, 400.0], "median_n_orders": [5.0, 1.0]}
        | {"median_total_value": [300.0, 20.0], "mean_total_value": [350.0, 25.0]},
        index=pd.Index([0, 1], name="cluster"),
    )
    table = helpers.cluster_table(profiles, time_unit="W")
    assert list(table.index) == ["recent, high value", "lapsed"]
    assert list(table.columns) == [
        "customers",
        "share_of_customers",
        "share_of_value",
        "typical_weeks_since_last_order",
        "typical_orders",
        "typical_net_value",
    ]
    assert table["typical_weeks_since_last_order"].tolist() == [30, 400]


def test_comparison_answer_gives_every_verdict_with_its_interval() -> None:
    text = helpers.comparison_answer(FakeComparison()).data
    assert "**Which method finds tomorrow's valuable customers: heuristic CLV.**" in text
    assert "+0.004 .. +0.036" in text
    assert (
        "- **Who buys again (AUC): no clear winner** (no method clearly ahead at the only "
        "cut-off tried); at the report's cut-off alone, no lead either: k-means (0.660) and RFM"
        in text
    )
    assert "- **Caveat.** BG/NBD estimate at the edge" in text
    assert (
        "A winner is named only when its paired interval against the runner-up excludes 0 at "
        "more than half of the cut-offs tried (here only the report's).*" in text
    )


def test_comparison_answer_says_the_top_20_percent_in_money() -> None:
    from clvlib.vocabulary import use_currency

    with use_currency("EUR"):
        text = helpers.comparison_answer(FakeComparison()).data
    # RFM's top 20 % brought 55 % of the 1,000 the customers spent in the holdout
    assert "**55 %** of the holdout value (€550.00 of €1,000.00)" in text


#: the codes of the vocabulary a stakeholder must never read (a label in words instead);
#: a code that is also a word of its own label ("random", "bias") is not one
def vocabulary_codes() -> set[str]:
    from clvlib.vocabulary import METHODS, METRICS

    words = {w for entry in (*METHODS.values(), *METRICS.values()) for w in entry.label.split()}
    return {code for code in (*METHODS, *METRICS) if code not in words}


def shown_codes(text: str) -> list[str]:
    import re

    return [
        c
        for c in sorted(vocabulary_codes())
        if re.search(rf"(?<![\w-]){re.escape(c)}(?![\w-])", text)
    ]


def test_who_is_ahead_reads_in_labels_with_the_lead_and_its_interval() -> None:
    from clvlib.report.formatting import table_html

    table = helpers.who_is_ahead(FakeComparison())
    assert list(table.index) == [
        "ranking (Spearman)", "top 20 % capture", "who buys again (AUC)"
    ]  # fmt: skip
    ranking = table.loc["ranking (Spearman)"]
    assert (
        ranking["best method at the report's cut-off"] == "heuristic CLV"
        and ranking["runner-up"] == "RFM"
    )
    assert ranking["its value"] == "0.310" and ranking["a clear lead there"] == "yes"
    assert ranking["ahead of the runner-up by (95 % interval)"] == "0.020 (+0.004 to +0.036)"
    top = table.loc["top 20 % capture"]
    assert top["its value"] == "55.0 %"
    assert top["ahead of the runner-up by (95 % interval)"] == "7.0 points (-1.0 to +15.0)"
    assert top["a clear lead there"] == "no: the interval includes 0"
    assert not shown_codes(table_html(table)), "a method or metric code on the page"


def test_behind_the_best_puts_every_method_against_the_best_contender() -> None:
    table = helpers.behind_the_best(FakeComparison(), "spearman")
    assert table.loc["heuristic_clv", "best"] and table.loc["heuristic_clv", "difference"] == 0
    # the reference ahead of the best contender, and RFM behind it, with their intervals
    assert table.loc["bgnbd_gg", ["ci_low", "ci_high"]].tolist() == [0.05, 0.13]
    assert table.loc["rfm", ["ci_low", "ci_high"]].tolist() == [-0.036, -0.004]
    assert set(table.index) == {"heuristic_clv", "rfm", "bgnbd_gg"}  # only those with one


def test_pair_differences_give_a_row_per_pair_and_a_column_per_metric() -> None:
    from clvlib.report.formatting import table_html

    table = helpers.pair_differences(FakeComparison())
    assert list(table.columns) == ["Spearman", "Top 20 % share", "AUC"]
    assert table.loc[("heuristic CLV", "RFM"), "Spearman"] == "+0.020 (+0.004 to +0.036)"
    assert table.loc[("RFM", "k-means"), "Top 20 % share"] == "+7.0 points (-1.0 to +15.0)"
    shown = table_html(table)
    assert "rows not shown" not in shown and not shown_codes(shown)


def test_winner_stability_writes_each_measure_in_its_unit_never_as_money() -> None:
    from clvlib.report.formatting import table_html
    from clvlib.vocabulary import use_currency

    with use_currency("EUR"):
        shown = table_html(helpers.winner_stability(FakeComparison()))
    assert "€" not in shown, "a Spearman or a share read as money"
    assert "<td>55.0 %</td>" in shown and "7.0 points (-1.0 to +15.0)" in shown


def test_so_what_follows_the_verdicts() -> None:
    rolling = FakeRolling(
        earlier("2023-12-31", spearman=(-0.01, 0.05), top20_share=(0.01, 0.2)),
        earlier("2024-03-31", spearman=(-0.02, 0.04), top20_share=(0.02, 0.1)),
    )
    leads = helpers.comparison_so_what(FakeComparison(), rolling, about="leads").data
    assert leads.startswith(
        "**So what:** for top 20 % capture use RFM (it is clearly ahead at more than half of "
        "the cut-offs)"
    )
    assert "for ranking (Spearman) and who buys again (AUC) no method is reliably better" in leads
    intervals = helpers.comparison_so_what(FakeComparison(), about="intervals").data
    assert "every other method is clearly behind heuristic CLV" in intervals
    assert "BG/NBD + Gamma-Gamma ranks better than every method" in intervals
    stability = helpers.comparison_so_what(FakeComparison(), rolling, about="stability").data
    assert "**So what:** RFM's lead on top 20 % capture holds over time: act on it" in stability
    with pytest.raises(ValueError, match="about must be one of"):
        helpers.comparison_so_what(FakeComparison(), about="everything")


def test_audit_answer_accounts_for_every_row(params: Params) -> None:
    tx, audit, _ = helpers.load_data(params)
    text = helpers.audit_answer(audit, tx).data
    assert "Of 7 rows read (value " in text
    assert "5 (71 %) are kept as purchases, 1 (14 %) are returns" in text
    assert "and 1 (14 %) are dropped." in text
    assert "**Dropped, by reason:** 1 no customer id (value 7.00)." in text
    assert "2 customers, 4 orders, from 2024-01-05 to 2024-06-20" in text
    assert "Customer table" not in text  # none given


def test_audit_answer_and_tables_say_reasons_in_words() -> None:
    from clvlib.report.figures import audit_table, reason_words

    assert reason_words("after observation_end") == "after observation end"
    raw = pd.DataFrame(
        {
            "customer_id": [1, 1, 2],
            "timestamp": ["2024-01-05", "2024-01-06", "2024-09-01"],
            "amount": [10.0, 20.0, 30.0],
        }
    )
    from clvlib.data.reading import load_transactions

    tx, audit = load_transactions(raw, observation_end="2024-06-30")
    shown = audit_table(audit)
    assert "after observation end" in shown["Reason"].tolist()
    assert not shown["Reason"].str.contains("_").any()
    assert shown["Rows"].iloc[-1] == 3  # the total: every input row
    text = helpers.audit_answer(audit, tx).data
    assert "1 after observation end (value 30.00)" in text and "_" not in text


def test_customer_audit_is_one_call_and_counts_prospects(params: Params) -> None:
    tx, audit, customers = helpers.load_data(params)
    # the tiny table: customers 1 and 2 bought, 3 signed up and never did
    facts = helpers.customer_audit(params, tx=tx)
    assert facts["rows in the customer table"] == 3
    assert facts["rows of customers who bought (matched to the order log)"] == 2
    assert facts["rows of people who signed up and never bought (prospects)"] == 1
    assert facts["customers of the order log without a row (sign-up, channel, CAC unknown)"] == 0
    text = helpers.audit_answer(audit, tx, customers).data
    assert "**Customer table:** 3 people signed up; 2 of them bought and 1 never did" in text
    without = Params({**params, "customers_path": ""})
    assert "No customer table" in helpers.customer_audit(without, tx=tx).data


def test_simulated_truth_only_for_the_embedded_shop(params: Params) -> None:
    assert helpers.simulated_truth(params) is None
    default = PROJECT_ROOT / "data" / "transactions.csv"
    if not default.exists():
        pytest.skip("default data not generated")
    shop = helpers.simulated_truth({"data_path": str(default), "data_format": "clvlib"})
    assert shop is not None and len(shop.customers) > 0
    assert (
        helpers.simulated_truth({"data_path": str(default), "data_format": "online_retail"}) is None
    )


def test_facts_round_numbers_for_display() -> None:
    facts = provenance.Facts({"rows": 62825, "share": 0.623551, "name": "VIP", "big": 12345.678})
    assert facts.to_frame()["value"].tolist() == ["62,825", "62.4%", "VIP", "12,346"]
    assert provenance.Facts({"Gini": 0.58589})["Gini"] == 0.58589
    assert provenance.Facts({"Gini": 0.58589}).to_frame()["value"].tolist() == ["0.586"]
    assert facts["share"] == 0.623551  # the value itself is kept


def test_a_notebook_run_by_hand_writes_to_scratch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "notebooks").mkdir()
    monkeypatch.chdir(tmp_path / "notebooks")
    monkeypatch.delenv(helpers.RUNNER_ENV, raising=False)
    default = {"output_dir": str(tmp_path / "reports")}  # "../reports" from notebooks/
    assert (
        helpers.export_path(default, filename="s.csv") == tmp_path / "reports/scratch/exports/s.csv"
    )
    told = {"output_dir": str(tmp_path / "elsewhere")}
    assert helpers.export_path(told, filename="s.csv") == tmp_path / "elsewhere/exports/s.csv"
    monkeypatch.setenv(helpers.RUNNER_ENV, "1")
    assert helpers.export_path(default, filename="s.csv") == tmp_path / "reports/exports/s.csv"


# ----------------------------------------------------------------- page layout, escaping


def test_executive_summary_escapes_data_strings() -> None:
    from nbconvert.filters import markdown2html

    xss = "<img src=x onerror=alert(1)>"
    summary = small_summary(10).assign(channel=["ads"] * 5 + [xss] * 5)
    text = helpers.executive_summary(summary, FakeComparison()).data
    page = markdown2html(text)
    assert "<img" not in page and "onerror=alert(1)" in page.replace("&amp;", "&")


def test_worked_example_reproduces_the_seeds_figures_to_the_cent() -> None:
    table = helpers.worked_example()
    assert table["clv"].round(2).tolist() == [52.80, 48.00]
    assert table.index.tolist() == ["CAC before the margin (textbook)", "CAC after the margin"]
    assert not any("seed" in name for name in table.index)  # words a manager knows


def test_sensitivity_table_reads_in_words_and_units() -> None:
    from clvlib.methods.formulas import clv_sensitivity

    sensitivity = clv_sensitivity(aov=90.0, purchases=3, cac=6.0, margin=0.2)
    table = helpers.sensitivity_table(sensitivity)
    assert len(table) == len(sensitivity) == 8
    assert set(table["lever"]) == {
        "average order value",
        "purchases",
        "acquisition cost (CAC)",
        "margin",
    }
    margin = table[table["lever"] == "margin"]["lever_value"].tolist()
    assert margin == ["18.0%", "22.0%"]  # a margin is a share, not money
    aov = table[table["lever"] == "average order value"]["lever_value"].tolist()
    assert aov == ["81.00", "99.00"]
    assert "base_clv" not in table.columns  # said once, in the plot's title
    assert table["clv"].tolist() == sensitivity["clv"].tolist()


def test_decile_table_labels_tied_bins_and_writes_money() -> None:
    from clvlib.compare.metrics import decile_calibration
    from clvlib.vocabulary import use_currency

    predicted = pd.Series([0.0] * 4 + [1.0, 2.0, 3.0, 4.0, 5.0, 6.0])  # a tie fills 1-4
    realised = pd.Series(np.arange(10, dtype=float) + 1)
    calibration = decile_calibration(predicted, realised)
    assert calibration.index.tolist() == [1, 5, 6, 7, 8, 9, 10]  # the raw table skips 2-4
    shown = helpers.decile_table(calibration)
    assert shown.index.tolist() == ["1–4", "5", "6", "7", "8", "9", "10"]
    assert shown["Customers"].sum() == 10
    with use_currency("EUR"):
        from clvlib.report.formatting import table_html

        html_table = table_html(shown)
    assert "€" in html_table and "%" not in html_table


def test_channel_table_names_one_clv_and_payback_in_months(params: Params) -> None:
    from clvlib.methods.analyses import first_order_profit

    tx, _, customers = helpers.load_data(params)
    from clvlib.data.summary import customer_summary

    summary = customer_summary(tx, observation_end="2024-06-20", customers=customers)
    clv = helpers.heuristic_clv_frame(params, tx=tx, summary=summary)
    first = first_order_profit(tx, summary, margin=params["margin"])
    table = helpers.channel_table(clv, summary, first, by=helpers.group_column(summary))
    assert "Payback (months)" in table.columns
    assert table.loc["all customers", "Predicted CLV per customer"] == pytest.approx(
        clv["clv_discounted"].mean()
    )  # the answer's "predicted CLV" figure, not the undiscounted lifetime
    assert all(isinstance(v, str) for v in table["CLV : CAC"])  # a ratio, never money


def test_policy_recommendation_states_assumptions_and_a_choice() -> None:
    from clvlib.methods.analyses import policies_by_segment

    clv = pd.DataFrame(
        {
            "value_per_period": [10.0, 1.0, 4.0, 8.0, 2.0],
            "p_active": [1.0, 1.0, 0.5, 0.25, 1.0],
            "clv_discounted": [100.0, 5.0, 20.0, 15.0, 8.0],
        },
        index=pd.Index(list("abcde"), name="customer_id"),
    )
    clv.attrs["retention"] = 0.5
    segments = pd.Series(["best", "rest", "rest", "lapsing", "rest"], index=clv.index)
    policies = policies_by_segment(clv, segments, top=0.2, periods=12, lift=0.1)
    text = helpers.policy_recommendation(policies).data
    assert "**Assumptions.** A 10 % discount" in text and "next 12 months" in text
    assert "raises their predicted CLV by 10 %" in text
    assert "**Recommendation:** try" in text
    shown = helpers.policy_table(policies)
    assert shown.index[-1] == "all segments" and "Net value, win back the lapsing" in shown


def test_dollar_amounts_in_answers_are_not_read_as_formulas(params: Params) -> None:
    """Two unescaped $ in Markdown open and close a formula: "$9.07 ... $21,384" broke."""
    import re

    from clvlib.vocabulary import use_currency

    tx, audit, customers = helpers.load_data(params)
    with use_currency("USD"):
        text = helpers.audit_answer(audit, tx, customers).data
    assert "\\$" in text
    assert not re.search(r"(?<!\\)\$", text)


def test_decile_plot_labels_tied_bins_like_the_table() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from clvlib.compare.metrics import decile_calibration
    from clvlib.report.plotting._calibration import plot_decile_calibration

    predicted = pd.Series([0.0] * 4 + [1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    calibration = decile_calibration(predicted, pd.Series(np.arange(10, dtype=float) + 1))
    ax = plot_decile_calibration(calibration)
    ticks = [t.get_text().split("\n")[0] for t in ax.get_xticklabels()]
    assert ticks == helpers.decile_table(calibration).index.tolist()
    assert ticks[0] == "1–4"
    plt.close(ax.figure)
