"""The verdict across data sets: the winning rule, verdict.json, the hiatus heuristic and the
multi-data-set command (two halves of the CDNOW 1/10 sample, notebook 05 only, and a data set
that fails the minimum-data gate)."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from clvlib.compare import verdict as vd
from clvlib.compare.registry import CONTENDERS, METHODS, Calibration, _fit_hiatus
from clvlib.compare.split import Split
from clvlib.data.summary import customer_summary
from clvlib.report.cli import main
from clvlib.report.runner import folder_name

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SAMPLE = PROJECT_ROOT / "tests" / "data" / "cdnow_sample.csv"


# ------------------------------------------------------------------ the winning rule


def comparison(cutoff: str, values: dict[str, float], lead_low: float) -> dict:
    """A comparison export: spearman values; heuristic_clv's lead over rfm has ``lead_low``."""
    metrics = [
        {"method": m, "metric": metric, "value": v}
        for metric in vd.RANKING_METRICS
        for m, v in values.items()
    ]
    differences = [
        {
            "method": a,
            "versus": b,
            "metric": metric,
            "difference": values[a] - values[b],
            "ci_low": lead_low if (a, b) == ("heuristic_clv", "rfm") else -1.0,
            "ci_high": 1.0,
        }
        for a, b in itertools.combinations(values, 2)
        for metric in vd.RANKING_METRICS
    ]
    groups = [
        {"method": "hiatus", "group": "active", "customers": 30, "bought_again_share": 0.6},
        {"method": "hiatus", "group": "inactive", "customers": 70, "bought_again_share": 0.1},
    ]
    params = {"calibration_end": cutoff, "holdout_end": "2025-01-01", "n_customers": 100}
    return {"params": params, "metrics": metrics, "differences": differences, "groups": groups}


VALUES = {"heuristic_clv": 0.5, "rfm": 0.4, "kmeans": 0.3, "hiatus": 0.2, "naive_spend": 0.45}


def rolling(*lows: float) -> dict:
    cutoffs = [f"2024-0{k + 3}-31" for k in range(len(lows))]
    return {
        "comparisons": {c: comparison(c, VALUES, low) for c, low in zip(cutoffs, lows, strict=True)}
    }


def test_a_method_wins_only_when_clearly_ahead_at_most_cutoffs() -> None:
    # report cut-off clear, rolling: one clear, one tie -> clear at 2 of 3: wins
    won = vd.data_set_verdict("A", comparison("2024-06-30", VALUES, 0.01), rolling(0.02, -0.01))
    assert won["winners"]["spearman"]["method"] == "heuristic_clv"
    assert won["winners"]["spearman"]["clear_wins"] == {"heuristic_clv": 2}
    # clear at 1 of 3: best everywhere, but no clear winner
    tie = vd.data_set_verdict("B", comparison("2024-06-30", VALUES, 0.01), rolling(-0.02, -0.01))
    assert tie["winners"]["spearman"]["method"] is None
    assert tie["winners"]["spearman"]["verdict"] == "no clear winner"
    assert tie["winners"]["spearman"]["cutoffs"] == 3
    # references are never winners, but the reader learns when one ranks better
    ahead = won["winners"]["spearman"]["references_ahead"]
    assert ahead == [] and VALUES["naive_spend"] < VALUES["heuristic_clv"]
    overall = vd.overall_verdict([won, tie])["metrics"]["spearman"]
    assert overall["winners"] == {"A": "heuristic_clv", "B": None}
    assert overall["method"] is None


def test_one_method_winning_everywhere_is_the_overall_winner() -> None:
    sets = [
        vd.data_set_verdict(n, comparison("2024-06-30", VALUES, 0.01), rolling(0.02, 0.03))
        for n in ("A", "B")
    ]
    overall = vd.overall_verdict([*sets, vd.failed_data_set("C", "too little data")])
    assert overall["metrics"]["spearman"]["method"] == "heuristic_clv"
    assert overall["failed"] == ["C"] and overall["data_sets"] == ["A", "B"]


def test_verdict_json_shape_and_determinism() -> None:
    entry = vd.data_set_verdict("A", comparison("2024-06-30", VALUES, 0.01), rolling(0.02))
    verdict = vd.build([entry])
    text = vd.to_json(verdict)
    assert text == vd.to_json(vd.build([entry]))
    data = json.loads(text)
    assert set(data) == {"data_sets", "overall"}
    d = data["data_sets"][0]
    for key in ("name", "calibration_end", "holdout_end", "customers", "metrics"):
        assert key in d
    assert set(d["differences"][0]) == {
        "method", "versus", "metric", "difference", "ci_low", "ci_high"
    }  # fmt: skip
    accuracy = [m["value"] for m in d["metrics"] if m["metric"] == "active_accuracy"]
    assert accuracy == [pytest.approx((30 * 0.6 + 70 * 0.9) / 100)]


def test_table_and_sentences_name_winner_and_interval() -> None:
    verdict = vd.build(
        [vd.data_set_verdict("A <b>", comparison("2024-06-30", VALUES, 0.01), rolling(0.02))]
    )
    frame = vd.table(verdict)
    assert list(frame.columns) == ["A <b>"]
    assert frame.loc[(vd.METRIC_WORDS["spearman"], "heuristic CLV"), "A <b>"] == (
        "0.500 (best method)"
    )
    rfm = frame.loc[(vd.METRIC_WORDS["spearman"], "RFM"), "A <b>"]
    assert rfm == "0.400; -0.100 (-1.000 to -0.010)"
    assert (
        "heuristic CLV (2 of 2 cut-offs)" in frame.loc[(vd.METRIC_WORDS["auc"], "who wins")].iloc[0]
    )
    text = " ".join(vd.sentences(verdict))
    assert (
        "heuristic CLV wins on A <b>, clearly ahead at 2 of 2 cut-offs, and at the report's" in text
    )
    # the report's cut-off in numbers: the lead over the runner-up and its interval
    assert (
        "at the report's cut-off heuristic CLV 0.500, ahead of RFM by 0.100 (interval +0.010 to "
        "+1.000)" in text
    )


def test_a_measure_table_gives_every_number_its_own_column() -> None:
    """Value and difference apart, each under a header that says what it is."""
    verdict = vd.build(
        [
            vd.data_set_verdict("A", comparison("2024-06-30", VALUES, 0.01), rolling(0.02)),
            vd.data_set_verdict("B", comparison("2024-06-30", VALUES, -0.01)),
        ]
    )
    frame = vd.measure_table(verdict, "spearman")
    assert list(frame.columns) == [
        "A: score", "A: difference from the best (interval)",
        "B: score", "B: difference from the best (interval)",
    ]  # fmt: skip
    assert frame.loc["heuristic CLV", "A: score"] == "0.500"
    assert frame.loc["heuristic CLV", "A: difference from the best (interval)"] == (
        "the best method"
    )
    assert frame.loc["RFM", "B: score"] == "0.400"
    assert frame.loc["RFM", "B: difference from the best (interval)"] == "-0.100 (-1.000 to +0.010)"
    shares = vd.measure_table(verdict, "top20_share")
    assert shares.loc["RFM", "A: difference from the best (interval)"] == (
        "-10.0 points (-100.0 to -1.0)"
    )
    assert "naive: calibration spend (reference)" in frame.index
    assert not any(";" in cell for cell in frame.to_numpy().ravel()), "one number per cell"


def test_the_answer_stays_short_however_many_data_sets() -> None:
    """Three measures, one sentence on references, one on the hiatus call: five at most."""
    names = [f"shop {k}" for k in range(4)]
    verdict = vd.build(
        [
            vd.data_set_verdict(n, comparison("2024-06-30", VALUES, 0.01), rolling(0.02))
            for n in names
        ]
    )
    lines = vd.sentences(verdict)
    assert len(lines) <= 5
    assert all(n in lines[-1] for n in names)  # one sentence names every data set


def test_every_cutoff_is_listed_with_its_holdout_and_what_was_unavailable() -> None:
    report = comparison("2024-06-30", VALUES, 0.01)
    report["params"].update(holdout_days=184, unavailable={"gbm": "calibration too short"})
    report["forecast_totals"] = [
        {"method": "bgnbd_gg", "forecast_total": 104.0, "realised_total": 100.0, "ratio": 1.04,
         "ci_low": 0.99, "ci_high": 1.1}
    ]  # fmt: skip
    report["params"]["value_basis"] = "net of returns"
    roll = rolling(0.02, 0.03)
    for c in roll["comparisons"].values():
        c["params"]["holdout_days"] = 90
    roll["comparisons"]["2024-06-30"] = comparison("2024-06-30", VALUES, -0.5)  # counted once
    entry = vd.data_set_verdict("A", report, roll)
    assert [(c["cutoff"], c["holdout_days"], c["report"]) for c in entry["cutoffs"]] == [
        ("2024-06-30", 184, True),
        ("2024-03-31", 90, False),
        ("2024-04-31", 90, False),
    ]
    assert entry["cutoffs"][0]["unavailable"] == {"gbm": "calibration too short"}
    assert len(entry["cutoffs"][1]["metrics"]) == len(VALUES) * len(vd.RANKING_METRICS)
    from clvlib.report.money import verdict_cutoffs, verdict_totals

    cutoffs = verdict_cutoffs(vd.build([entry])).loc["A"]
    assert list(cutoffs.index) == ["2024-06-30", "2024-03-31", "2024-04-31"]
    assert list(cutoffs["holdout (days)"]) == ["184", "90", "90"]
    assert list(cutoffs["the report's cut-off"]) == ["yes", "no", "no"]
    assert cutoffs.loc["2024-06-30", "methods unavailable"] == (
        "gradient boosting: calibration too short"
    )
    totals = verdict_totals(vd.build([entry]))
    assert totals.loc["BG/NBD + Gamma-Gamma", "A"] == "1.04 (0.99 to 1.10)"


def test_folder_names_are_safe_and_unique() -> None:
    assert folder_name("UCI Online Retail") == "uci_online_retail"
    assert folder_name("../../etc <x>") == "etc_x"
    assert folder_name("***") == "data_set"
    assert folder_name("A b", ["a_b", "a_b_2"]) == "a_b_3"


# ------------------------------------------------------------------ hiatus


def test_hiatus_is_chosen_on_calibration_by_the_purchase_rhythm() -> None:
    """Monthly buyers who keep buying and monthly buyers who stopped: x separates them."""
    rows = []
    for c in range(40):  # every 30 days from 2024-01-01; half stop after 2024-03-31
        last = pd.Timestamp("2024-06-30") if c % 2 else pd.Timestamp("2024-03-31")
        for day in pd.date_range("2024-01-01", last, freq="30D"):
            rows.append((c, f"{c}-{day.date()}", day, 10.0 + c, False))
    log = pd.DataFrame(
        rows, columns=["customer_id", "order_id", "timestamp", "amount", "is_return"]
    )
    end = pd.Timestamp("2024-06-30")
    summary = customer_summary(log, observation_end=end)
    split = Split(end, "2024-08-29", first_day="2024-01-01")  # 60 holdout, 182 calibration days
    assert (split.holdout_days, split.calibration_days) == (60, 182)
    cal = Calibration(summary, log, split)
    fitted = _fit_hiatus(cal)
    x = fitted.params["hiatus_days"]
    assert x == 30.0  # every gap is 30 days: the rhythm
    active = fitted.groups.astype(str) == "active"
    assert active.equals(summary["last_purchase"] >= end - pd.Timedelta(days=30))
    assert active.sum() == 20
    # active customers ranked by average spend, inactive at 0
    assert (fitted.score[~active] == 0).all()
    assert fitted.score[active].equals(summary.loc[active, "avg_order_value"])


def test_hiatus_is_a_contender_of_the_registry() -> None:
    assert "hiatus" in CONTENDERS and METHODS["hiatus"].kind == "method"


# ------------------------------------------------------------------ the command


@pytest.fixture(scope="module")
def two_data_sets(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Two halves of the CDNOW 1/10 sample and one data set too short, through the CLI."""
    tmp = tmp_path_factory.mktemp("verdict")
    tx = pd.read_csv(SAMPLE)
    files = []
    for name, half in (("CDNOW odd", 1), ("CDNOW even", 0)):
        path = tmp / f"{half}.csv"
        tx[tx["customer_id"] % 2 == half].to_csv(path, index=False)
        files.append(params_file(tmp, name, path, "1998-06-30"))
    files.append(params_file(tmp, "too short", tmp / "1.csv", "1997-10-10"))
    args = ["report", "--out", str(tmp / "out"), "--notebooks", "05_method_comparison"]
    status = main(
        [*args, *itertools.chain(*(("--params", str(f)) for f in files))] + ["--no-progress"]
    )
    return {"out": tmp / "out", "status": status}


def params_file(tmp: Path, name: str, data: Path, holdout_end: str) -> Path:
    path = tmp / f"{folder_name(name)}.yaml"
    path.write_text(
        f"dataset_name: {name}\ndata_path: {data.name}\ncolumns: {{timestamp: date}}\n"
        f"customers_path: ''\ncalibration_end: 1997-09-30\nholdout_end: {holdout_end}\n"
        "time_unit: W\nn_clusters: 3\n"
    )
    return path


@pytest.mark.slow
def test_two_data_sets_give_one_verdict(two_data_sets: dict) -> None:
    out = two_data_sets["out"]
    assert two_data_sets["status"] == 1  # the short data set failed; the others still count
    verdict = json.loads((out / "verdict.json").read_text())
    by_name = {d["name"]: d for d in verdict["data_sets"]}
    assert [by_name[n]["status"] for n in ("CDNOW odd", "CDNOW even", "too short")] == [
        "ok",
        "ok",
        "failed",
    ]
    assert "holdout days" in by_name["too short"]["error"]
    assert verdict["overall"]["data_sets"] == ["CDNOW odd", "CDNOW even"]
    for name in ("CDNOW odd", "CDNOW even"):
        d = by_name[name]
        assert d["customers"] > 1000 and d["calibration_end"] == "1997-09-30"
        pairs = {frozenset((r["method"], r["versus"])) for r in d["differences"]}
        # 39 weeks of calibration hold no shifted 39-week window: gbm is absent, with why
        assert "too short for a window of 273 days" in d["unavailable"]["gbm"]
        available = [m for m in CONTENDERS if m not in d["unavailable"]]
        for a, b in itertools.combinations([*available, "pareto_nbd"], 2):
            assert frozenset((a, b)) in pairs, (a, b)
        # at least three cut-offs, each with its holdout length; gbm scored at the later ones
        assert len(d["cutoffs"]) >= 3 and d["cutoffs"][0]["report"]
        assert d["cutoffs"][0]["holdout_days"] == 273
        assert {c["holdout_days"] for c in d["cutoffs"][1:]} == {90}
        later = {r["method"] for c in d["cutoffs"][1:] for r in c["metrics"]}
        assert {"gbm", "pareto_nbd"} <= later
        assert d["value_basis"].startswith("net of returns")
        assert {r["method"] for r in d["forecast_totals"]} >= {"bgnbd_gg", "pareto_nbd"}
        assert set(d["winners"]) == set(vd.RANKING_METRICS)
        assert (out / d["folder"] / "05_method_comparison.html").is_file()
    # the verdict is what the exports say: rebuilt from the folder, the same bytes
    rebuilt = {d["name"]: d for d in vd.collect(out)["data_sets"]}
    assert rebuilt["CDNOW odd"] == by_name["CDNOW odd"]


@pytest.mark.slow
def test_index_opens_with_the_verdict_and_reads_clean(two_data_sets: dict) -> None:
    from test_notebooks import PAGE_CHECKS, page_problems

    out = two_data_sets["out"]
    index = (out / "index.html").read_text(encoding="utf-8")
    verdict_at = index.index("The verdict across data sets</h2>")
    for name in ("CDNOW odd", "CDNOW even", "too short"):
        assert index.index(f"<h2>{name}</h2>") > verdict_at
    assert 'href="cdnow_odd/05_method_comparison.html"' in index
    assert "<strong>Failed</strong>" in index and "holdout days" in index
    assert "no clear winner" in index or "wins on" in index
    page = (out / "06_verdict_across_data_sets.html").read_text(encoding="utf-8")
    for text, where in ((index, "index.html"), (page, "06 page")):
        for check in PAGE_CHECKS:
            for root in (PROJECT_ROOT, out, Path.home()):
                assert not page_problems(text, check, root=root), f"{where}: {check}"


def test_an_interval_end_that_rounds_to_zero_has_no_sign() -> None:
    from clvlib.compare.winner import _diff_text

    assert _diff_text("spearman", -0.0001) == "0.000"  # never "-0.000" on a page
    assert _diff_text("spearman", -0.0123) == "-0.012"
    assert _diff_text("top20_share", -0.0004) == "0.0 points"
    assert vd._gap("spearman", -0.0002) == "0.000" and vd._gap("auc", 0.02) == "+0.020"


@pytest.mark.slow
def test_verdict_page_opens_with_its_answer_and_ends_with_parameters(two_data_sets: dict) -> None:
    """Notebook 06: the answer first, its tables explained above them, parameters last."""
    page = (two_data_sets["out"] / "06_verdict_across_data_sets.html").read_text(encoding="utf-8")
    answer, appendix = page.index("In short"), page.index('<details class="clv-appendix">')
    first_table = page.index("<table")
    assert answer < page.index("How to read these tables") < first_table < appendix
    for closing in ("<td>calibration_end</td>", "python -m clvlib report", "Provenance"):
        assert page.index(closing) > appendix, f"{closing} is not in the appendix"
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", page[first_table:appendix])
    assert cells and not [c for c in cells if ";" in c], "a cell holds two numbers"


@pytest.mark.slow
def test_comparison_page_shows_labels_not_codes(two_data_sets: dict) -> None:
    """Report 05's stakeholder page, above its appendix: no method or metric code, no cut table."""
    from test_notebooks import visible_text
    from test_report import shown_codes

    page = (two_data_sets["out"] / "cdnow_odd" / "05_method_comparison.html").read_text("utf-8")
    above = page[: page.index('<details class="clv-appendix">')]
    assert not shown_codes(visible_text(above))
    assert "rows not shown" not in above
    assert above.count("data:image/png;base64") <= 4, "more figures than a manager reads"
    assert "Spearman" in visible_text(page[page.index("<details") :]), "the analyst's matrix"


def test_the_answer_says_what_was_spent_and_the_closest_forecast_in_each_currency() -> None:
    """Money in the answer: the holdout's spend and the forecast nearest it, per data set."""
    totals = [
        {"method": "heuristic_clv", "forecast_total": 150.0, "realised_total": 100.0,
         "ratio": 1.5, "ci_low": 1.4, "ci_high": 1.6},
        {"method": "bgnbd_gg", "forecast_total": 1_080.0, "realised_total": 1_000.0,
         "ratio": 1.08, "ci_low": 0.97, "ci_high": 1.2},
        {"method": "naive_spend", "forecast_total": 900.0, "realised_total": 1_000.0,
         "ratio": 0.9, "ci_low": 0.8, "ci_high": 1.0},
    ]  # fmt: skip
    shop = comparison("2024-06-30", VALUES, 0.01)
    shop["forecast_totals"] = totals
    uk = comparison("2024-06-30", VALUES, 0.01)
    uk["forecast_totals"] = [dict(totals[0], forecast_total=52_000.0, realised_total=50_000.0,
                                  ratio=1.04)]  # fmt: skip
    verdict = vd.build(
        [
            vd.data_set_verdict("shop", shop, rolling(0.02), currency="EUR"),
            vd.data_set_verdict("UK", uk, rolling(0.02), currency="GBP"),
        ]
    )
    money = next(line for line in vd.sentences(verdict) if line.startswith("Money"))
    # 1.08 is nearer 1 than 0.9 on a log scale (|ln 1.08| 0.077 < |ln 0.9| 0.105)
    assert "on shop customers spent €1,000" in money
    assert "BG/NBD + Gamma-Gamma, a reference, came closest in total, €1,080 (1.08 times" in money
    assert "interval 0.97 to 1.20" in money
    assert "on UK customers spent £50,000" in money and "£52,000" in money
    assert len(vd.sentences(verdict)) <= 5
    # the hiatus call left the answer for its own sentence below the tables
    assert "hiatus" not in " ".join(vd.sentences(verdict))
    assert "right for 81.0 % of customers on shop" in vd.hiatus_sentence(verdict)


def test_a_simple_reference_closest_in_total_is_called_a_reference() -> None:
    report = comparison("2024-06-30", VALUES, 0.01)
    report["forecast_totals"] = [
        {"method": "heuristic_clv", "forecast_total": 150.0, "realised_total": 100.0,
         "ratio": 1.5, "ci_low": 1.4, "ci_high": 1.6},
        {"method": "naive_spend", "forecast_total": 95.0, "realised_total": 100.0,
         "ratio": 0.95, "ci_low": 0.9, "ci_high": 1.0},
    ]  # fmt: skip
    verdict = vd.build([vd.data_set_verdict("A", report, rolling(0.02))])
    money = next(line for line in vd.sentences(verdict) if line.startswith("Money"))
    assert "calibration spend, a reference, came closest" in money
    assert "customers spent 100 in" in money  # no currency named: the amount alone


def test_the_verdict_index_shows_one_number_per_cell_and_money_in_each_currency(
    tmp_path: Path,
) -> None:
    """The index of several data sets: the measure tables of page 06, cards with currency."""
    from clvlib.report import pages
    from clvlib.report.params import Params

    runs, entries = [], []
    for name, code in (("shop", "EUR"), ("uk", "GBP")):
        exports = tmp_path / name / "exports"
        exports.mkdir(parents=True)
        figures = {"customers": 6654, "mean discounted CLV": 76.69}
        (exports / "headline_02_heuristic_clv.json").write_text(
            json.dumps({"notebook": "02_heuristic_clv", "figures": figures})
        )
        result = pages.NotebookResult("02_heuristic_clv", "Heuristic CLV", status="ok")
        runs.append(pages.DataSetRun(name, name, Params(currency=code), "ok", results=[result]))
        entries.append(
            vd.data_set_verdict(
                name,
                comparison("2024-06-30", VALUES, 0.01),
                rolling(0.02),
                folder=name,
                currency=code,
            )  # fmt: skip
        )
    index = pages.write_verdict_index(tmp_path, runs, vd.build(entries), None).read_text()
    assert "shop: score" in index and "uk: difference from the best (interval)" in index
    assert "; -0.100" not in index  # no combined "value; difference (interval)" cells
    assert "€76.69" in index and "£76.69" in index
    assert "hiatus heuristic" in index  # its call moved from the answer to below the tables
