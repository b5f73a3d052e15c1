"""clvlib.report.money: forecast / realised in total and the cut-offs counted, in words."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from clvlib.compare.rolling import RollingPlan
from clvlib.compare.settings import VALUE_BASES, ComparisonSettings
from clvlib.report import money

TOTALS = pd.DataFrame(
    {
        "method": ["heuristic_clv", "bgnbd_gg", "naive_spend"],
        "forecast_total": [1220.0, 1040.0, 700.0],
        "realised_total": [1000.0, 1000.0, 1000.0],
        "ratio": [1.22, 1.04, 0.7],
        "ci_low": [1.16, 0.99, 0.65],
        "ci_high": [1.3, 1.1, 0.75],
    }
)
PARAMS = {
    "calibration_end": "2011-06-30",
    "holdout_end": "2011-12-09",
    "holdout_days": 162,
    "value_basis": VALUE_BASES["net"],
}


def comparison(**params) -> SimpleNamespace:
    return SimpleNamespace(
        totals=TOTALS, params={**PARAMS, **params}, settings=ComparisonSettings()
    )


def test_totals_table_reads_each_ratio_and_its_interval_in_words() -> None:
    table = money.forecast_totals_table(comparison())
    assert list(table.index) == [
        "heuristic CLV",
        "BG/NBD + Gamma-Gamma",
        "naive: calibration spend",
    ]
    row = table.loc["heuristic CLV"]
    assert (row["forecast / realised"], row["95 % interval"]) == ("1.22", "1.16 to 1.30")
    assert row["reading"] == "over-forecasts by 22 %"
    assert table.loc["BG/NBD + Gamma-Gamma", "reading"].startswith("right in total")
    assert table.loc["naive: calibration spend", "reading"] == "under-forecasts by 30 %"
    assert table.loc["heuristic CLV", "forecast total"] == "1,220"


def test_totals_text_states_the_one_basis() -> None:
    text = money.forecast_totals_text(comparison()).data
    assert "on one basis: net of returns (purchases minus returns), margin not applied" in text
    assert "Gamma-Gamma (in both BTYD references) is fitted on spend per purchase net" in text


def test_cutoffs_text_lists_every_cutoff_with_its_holdout() -> None:
    later = {
        day: SimpleNamespace(params={"holdout_days": 90, "holdout_end": end})
        for day, end in (("2011-07-31", "2011-10-29"), ("2011-08-31", "2011-11-29"))
    }
    plan = RollingPlan(list(later), 90, "month", "2 other month ends, each with 90 days")
    rolling = SimpleNamespace(comparisons=later, plan=plan)
    text = money.cutoffs_text(comparison(), rolling).data
    assert text.splitlines() == [
        "The winner rule counts 3 cut-offs (2 other month ends, each with 90 days):",
        "",
        "- 2011-06-30: the report's cut-off, holdout of 162 days (to 2011-12-09)",
        "- 2011-07-31: holdout of 90 days (to 2011-10-29)",
        "- 2011-08-31: holdout of 90 days (to 2011-11-29)",
    ]
