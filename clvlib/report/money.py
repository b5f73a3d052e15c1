"""Money forecasts in total and the cut-offs counted, as report 05 and the verdict page show them.

Two questions a reader of the comparison asks next to "who ranks best": *is each money
forecast right in total?* (forecast / realised over all customers, with its customer-bootstrap
interval, on the one value basis the page states) and *on how many cut-offs, with which
holdout, is the winner named?* The figures come from
:attr:`clvlib.compare.comparison.Comparison.totals`, the rolling origins' plan and
``verdict.json``; this module only puts them into words and tables.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from clvlib.compare.registry import METHODS
from clvlib.vocabulary import format_fixed

__all__ = [
    "cutoffs_text",
    "forecast_totals_table",
    "forecast_totals_text",
    "verdict_cutoffs",
    "verdict_totals",
]


def _ratio(value: Any) -> str:
    if value is None or not math.isfinite(float(value)):
        return "–"
    return format_fixed(float(value), "decimal2")


def _interval(low: Any, high: Any) -> str:
    return f"{_ratio(low)} to {_ratio(high)}"


def _reading(ratio: Any, low: Any, high: Any) -> str:
    """Plain words for a ratio and its interval."""
    if ratio is None or not math.isfinite(float(ratio)):
        return "–"
    if low is not None and high is not None and low <= 1 <= high:
        return "right in total (the interval covers 1)"
    word = "over" if ratio > 1 else "under"
    return f"{word}-forecasts by {format_fixed(abs(ratio - 1), 'whole_percent')}"


def forecast_totals_table(comparison: Any) -> pd.DataFrame:
    """Per money forecast: forecast total, realised total, their ratio, its interval, in words.

    One row per method that forecasts an amount (unavailable ones left out), in report order.
    """
    rows = {}
    for r in comparison.totals.itertuples(index=False):
        rows[METHODS[r.method].label] = {
            "forecast total": format_fixed(r.forecast_total, "whole"),
            "realised total": format_fixed(r.realised_total, "whole"),
            "forecast / realised": _ratio(r.ratio),
            "95 % interval": _interval(r.ci_low, r.ci_high),
            "reading": _reading(r.ratio, r.ci_low, r.ci_high),
        }
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "method"
    return frame


def forecast_totals_text(comparison: Any) -> Any:
    """The basis of money and how far each forecast's total is from the realised one (Markdown)."""
    from IPython.display import Markdown

    p = comparison.params
    level = format_fixed(comparison.settings.confidence, "whole_percent")
    text = (
        f"Every money forecast and the realised holdout value are on one basis: "
        f"{p['value_basis']}. Gamma-Gamma (in both BTYD references) is fitted on spend per "
        "purchase net of returns, the basis it is judged on. A ratio of 1 is a forecast right "
        "in total; the interval resamples customers ("
        f"{level}), so an interval that covers 1 means the total is right within noise."
    )
    return Markdown(text)


def cutoffs_text(comparison: Any, rolling: Any) -> Any:
    """The cut-offs the winner rule counts and each one's holdout length (Markdown bullets)."""
    from IPython.display import Markdown

    p = comparison.params
    lines = [
        f"- {p['calibration_end']}: the report's cut-off, holdout of {p['holdout_days']} days "
        f"(to {p['holdout_end']})"
    ]
    for key, c in sorted(rolling.comparisons.items()):
        if key == p["calibration_end"]:
            continue
        q = c.params
        lines.append(f"- {key}: holdout of {q['holdout_days']} days (to {q['holdout_end']})")
    plan = getattr(rolling, "plan", None)
    head = f"The winner rule counts {len(lines)} cut-offs"
    head += f" ({plan.reason}):" if plan is not None else ":"
    return Markdown("\n".join([head, "", *lines]))


def verdict_totals(verdict: Mapping[str, Any]) -> pd.DataFrame:
    """Forecast / realised in total per money forecast (rows) and data set (columns).

    Each cell "1.04 (0.99 to 1.10)": the ratio at the data set's report cut-off and its
    customer-bootstrap interval; a dash where the method is unavailable.
    """
    ok = [d for d in verdict["data_sets"] if d["status"] == "ok"]
    rows: dict[str, dict[str, str]] = {}
    for d in ok:
        for r in d.get("forecast_totals") or []:
            cell = f"{_ratio(r['ratio'])} ({_interval(r['ci_low'], r['ci_high'])})"
            rows.setdefault(METHODS[r["method"]].label, {})[d["name"]] = cell
    order = [s.label for s in METHODS.values() if s.label in rows]
    frame = pd.DataFrame.from_dict(rows, orient="index").reindex(
        index=order, columns=[d["name"] for d in ok]
    )
    frame.index.name = "forecast / realised in total"
    return frame.fillna("–")


def verdict_cutoffs(verdict: Mapping[str, Any]) -> pd.DataFrame:
    """One row per data set and cut-off the winner rule counted, with its holdout in days.

    With whether it is the report's own cut-off, the value basis of money, and the methods
    that could not be scored there and why (a contender absent, never fitted on leaked data).
    """
    rows = []
    for d in verdict["data_sets"]:
        if d["status"] != "ok":
            continue
        for c in d.get("cutoffs") or []:
            unavailable = [
                f"{METHODS[m].label if m in METHODS else m}: {why}"
                for m, why in sorted(c.get("unavailable", {}).items())
            ]
            rows.append(
                {
                    "data set": d["name"],
                    "cut-off": c["cutoff"],
                    "holdout (days)": str(c["holdout_days"]),
                    "the report's cut-off": "yes" if c["report"] else "no",
                    "value basis": d.get("value_basis") or "–",
                    "methods unavailable": " / ".join(unavailable) or "none",
                }
            )
    return pd.DataFrame(rows).set_index(["data set", "cut-off"]) if rows else pd.DataFrame()
