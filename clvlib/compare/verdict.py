"""The verdict across data sets: which method finds tomorrow's valuable customers, where.

Built from what notebook 05 exports for each data set (``exports/comparison_metrics.json``, the
comparison at the report's cut-off, and ``exports/rolling_origin.json``, the same comparison
at earlier cut-offs). Per ranking metric (:data:`RANKING_METRICS`) a contender *wins a data
set* by the one winner rule (:func:`clvlib.compare.winner.winner_across`): clearly ahead of
the runner-up (paired bootstrap interval excluding 0) at more than half of that data set's
cut-offs; otherwise the data set has "no clear winner". :func:`collect` reads a
multi-data-set output folder, :func:`to_json` writes ``verdict.json`` (deterministic),
:func:`sentences` and :func:`measure_table` (one per ranking measure) are what a stakeholder
reads: ``index.html`` and notebook 06 show the same. :func:`table` puts every measure in one
table, a cell holding value, difference and interval together, for an analyst's session.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from clvlib.compare.export import jsonable as _jsonable
from clvlib.compare.registry import BOUNDS, METHODS
from clvlib.compare.winner import NO_CLEAR_WINNER, RANKING_METRICS, CutoffWin, winner_across
from clvlib.vocabulary import MEASURES, Fixed, format_fixed, use_currency, with_currency
from clvlib.vocabulary import METRICS as METRIC_TERMS

__all__ = [
    "RANKING_METRICS",
    "collect",
    "data_set_verdict",
    "hiatus_sentence",
    "lead_text",
    "overall_verdict",
    "measure_table",
    "sentences",
    "table",
    "to_json",
]

COMPARISON_EXPORT = "comparison_metrics.json"
ROLLING_EXPORT = "rolling_origin.json"


def _values(comparison: Mapping[str, Any], metric: str) -> dict[str, float]:
    return {
        r["method"]: float(r["value"])
        for r in comparison["metrics"]
        if r["metric"] == metric and r["value"] is not None and math.isfinite(r["value"])
    }


def _interval(comparison: Mapping[str, Any], a: str, b: str, metric: str) -> tuple[float, ...]:
    """Difference ``a - b`` and its interval from the exported differences (either order)."""
    for r in comparison.get("differences") or []:
        if r["metric"] != metric:
            continue
        if (r["method"], r["versus"]) == (a, b):
            return _num(r["difference"]), _num(r["ci_low"]), _num(r["ci_high"])
        if (r["method"], r["versus"]) == (b, a):
            return -_num(r["difference"]), -_num(r["ci_high"]), -_num(r["ci_low"])
    return math.nan, math.nan, math.nan


def _num(value: Any) -> float:
    return math.nan if value is None else float(value)


def _cutoff_winner(win: CutoffWin | None) -> dict[str, Any] | None:
    """One cut-off's best contender as verdict.json records it (``at_report_cutoff``)."""
    if win is None:
        return None
    return {
        "cutoff": win.cutoff,
        "method": win.method,
        "value": win.value,
        "runner_up": win.runner_up,
        "margin": win.margin,
        "ci_low": win.ci_low,
        "ci_high": win.ci_high,
        "clear": win.clear,
    }


def hiatus_accuracy(comparison: Mapping[str, Any]) -> float:
    """Share of customers the hiatus heuristic's active/inactive call gets right on the holdout.

    From the exported groups: active customers who bought again plus inactive ones who did not.
    """
    rows = {g["group"]: g for g in comparison.get("groups", []) if g["method"] == "hiatus"}
    if not rows:
        return math.nan
    right = sum(
        g["customers"]
        * (g["bought_again_share"] if name == "active" else 1 - g["bought_again_share"])
        for name, g in rows.items()
    )
    return right / sum(g["customers"] for g in rows.values())


def data_set_verdict(
    name: str,
    comparison: Mapping[str, Any],
    rolling: Mapping[str, Any] | None = None,
    *,
    folder: str = "",
    currency: str = "",
) -> dict[str, Any]:
    """One data set's entry of ``verdict.json`` from its comparison and rolling-origin exports.

    ``metrics`` holds every method's value on :data:`RANKING_METRICS` (and the accuracy of the
    hiatus call, ``active_accuracy``); ``differences`` every pair's paired interval at the
    report's cut-off; ``winners`` per metric the method that wins clearly at more than half
    of the cut-offs (report's cut-off and rolling origins), else None ("no clear winner").
    ``cutoffs`` lists every cut-off the rule counted (the report's first) with its
    ``holdout_days``, the methods unavailable there and the why, its ranking metrics and
    paired differences; ``forecast_totals`` each money forecast's total over the realised
    total at the report's cut-off with its interval, on ``value_basis``, in ``currency`` (the
    data set's ISO code, '' when its parameters name none).
    """
    p = comparison["params"]
    metrics = []
    for metric in RANKING_METRICS:
        values = _values(comparison, metric)
        metrics += [
            {"method": m, "metric": metric, "value": values[m]} for m in METHODS if m in values
        ]
    metrics.append(
        {"method": "hiatus", "metric": "active_accuracy", "value": hiatus_accuracy(comparison)}
    )
    differences = [
        {k: r[k] for k in ("method", "versus", "metric", "difference", "ci_low", "ci_high")}
        for r in comparison.get("differences") or []
        if r["metric"] in RANKING_METRICS
    ]
    winners = {}
    for metric in RANKING_METRICS:
        result = winner_across(comparison, rolling, metric)  # the one winner rule
        here = next((w for w in result.per_cutoff if w.cutoff == p["calibration_end"]), None)
        here = _cutoff_winner(here)
        winners[metric] = {
            "method": result.method,
            "verdict": result.method or NO_CLEAR_WINNER,
            "cutoffs": result.cutoffs_tried,
            "clear_wins": result.clear_wins,
            "at_report_cutoff": here,
            "references_ahead": _references_ahead(comparison, metric, here),
        }
    return _jsonable(
        {
            "name": name,
            "folder": folder,
            "status": "ok",
            "calibration_end": p["calibration_end"],
            "holdout_end": p["holdout_end"],
            "customers": p["n_customers"],
            "metrics": metrics,
            "differences": differences,
            "winners": winners,
            "unavailable": dict(p.get("unavailable", {})),
            "cutoffs": _cutoff_entries(comparison, rolling),
            "rolling_plan": None if rolling is None else rolling.get("plan"),
            "value_basis": p.get("value_basis"),
            "currency": currency,
            "forecast_totals": list(comparison.get("forecast_totals") or []),
        }
    )


def _cutoff_entries(
    comparison: Mapping[str, Any], rolling: Mapping[str, Any] | None
) -> list[dict[str, Any]]:
    """Every cut-off the winner rule counts (the report's first), with its holdout length."""
    report = comparison["params"]["calibration_end"]
    tried = {report: comparison}
    for key, c in sorted(((rolling or {}).get("comparisons") or {}).items()):
        tried.setdefault(key, c)  # the report's own date counts once, as in the rule
    out = []
    for key, c in tried.items():
        p = c["params"]
        out.append(
            {
                "cutoff": key,
                "report": key == report,
                "holdout_end": p["holdout_end"],
                "holdout_days": p.get("holdout_days"),
                "customers": p.get("n_customers"),
                "unavailable": dict(p.get("unavailable", {})),
                "metrics": [
                    {"method": m, "metric": metric, "value": v}
                    for metric in RANKING_METRICS
                    for m, v in _values(c, metric).items()
                ],
                "differences": [
                    {
                        k: r[k]
                        for k in ("method", "versus", "metric", "difference", "ci_low", "ci_high")
                    }
                    for r in c.get("differences") or []
                    if r["metric"] in RANKING_METRICS
                ],
            }
        )
    return out


def _references_ahead(
    comparison: Mapping[str, Any], metric: str, best: Mapping[str, Any] | None
) -> list[dict[str, Any]]:
    """References (not bounds) better than the best contender, with their interval."""
    if best is None:
        return []
    values = _values(comparison, metric)
    out = []
    for m, spec in METHODS.items():
        if spec.kind != "reference" or m not in values or values[m] <= best["value"]:
            continue
        diff, low, high = _interval(comparison, m, best["method"], metric)
        out.append(
            {"method": m, "value": values[m], "difference": diff, "ci_low": low, "ci_high": high}
        )
    return out


def failed_data_set(name: str, error: str, *, folder: str = "") -> dict[str, Any]:
    """A data set whose reports failed: named, with the error, and left out of the verdict."""
    return {
        "name": name,
        "folder": folder,
        "status": "failed",
        "error": error,
        "calibration_end": None,
        "holdout_end": None,
        "customers": None,
        "metrics": [],
        "differences": [],
        "winners": {},
        "unavailable": {},
        "cutoffs": [],
        "rolling_plan": None,
        "value_basis": None,
        "currency": "",
        "forecast_totals": [],
    }


def overall_verdict(data_sets: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The verdict across data sets: per metric, who wins where, and whether one method wins all.

    A method wins overall only when it wins every data set that rendered (and there are at
    least two); otherwise "no clear winner across data sets".
    """
    ok = [d for d in data_sets if d["status"] == "ok"]
    out: dict[str, Any] = {
        "data_sets": [d["name"] for d in ok],
        "failed": [d["name"] for d in data_sets if d["status"] != "ok"],
        "metrics": {},
    }
    for metric in RANKING_METRICS:
        where = {d["name"]: d["winners"][metric]["method"] for d in ok}
        won = {m for m in where.values()}
        single = next(iter(won)) if len(won) == 1 and None not in won and len(ok) >= 2 else None
        out["metrics"][metric] = {
            "winners": where,
            "method": single,
            "verdict": single or f"{NO_CLEAR_WINNER} across data sets",
        }
    return out


def build(data_sets: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """``{"data_sets": [...], "overall": {...}}``: the content of ``verdict.json``."""
    return {"data_sets": list(data_sets), "overall": overall_verdict(data_sets)}


def to_json(verdict: Mapping[str, Any], path: str | Path | None = None) -> str:
    """The verdict as JSON (sorted keys, 2-space indent): the same inputs give the same bytes."""
    text = json.dumps(_jsonable(verdict), sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    if path is not None:
        Path(path).write_text(text, encoding="utf-8", newline="\n")
    return text


def collect(folder: str | Path) -> dict[str, Any]:
    """The verdict of a multi-data-set output folder, from each sub-folder's exports.

    Every sub-folder with a ``provenance.json`` is a data set; it counts when its
    ``exports/comparison_metrics.json`` exists and is marked failed otherwise.
    """
    folder = Path(folder)
    subs = sorted(p.parent for p in folder.glob("*/provenance.json"))
    written = folder / "verdict.json"  # the runner's order (that of the --params), if any
    if written.is_file():
        order = [d["folder"] for d in json.loads(written.read_text(encoding="utf-8"))["data_sets"]]
        subs.sort(key=lambda p: order.index(p.name) if p.name in order else len(order))
    entries = []
    for sub in subs:
        prov = json.loads((sub / "provenance.json").read_text(encoding="utf-8"))
        given = prov.get("parameters", {})
        name = given.get("dataset_name", sub.name)
        entries.append(read_data_set(sub, name, currency=given.get("currency") or ""))
    if not entries:
        raise FileNotFoundError(
            f"no data set reports in {folder}: run `python -m clvlib report --params A.yaml "
            "--params B.yaml --out DIR` first"
        )
    return build(entries)


def read_data_set(sub: Path, name: str, *, currency: str = "") -> dict[str, Any]:
    """One data set's verdict entry from its report folder (failed when 05's export is missing)."""
    exports = sub / "exports"
    comparison_path = exports / COMPARISON_EXPORT
    if not comparison_path.is_file():
        return failed_data_set(
            name, f"no {COMPARISON_EXPORT}: the method comparison did not render", folder=sub.name
        )
    comparison = json.loads(comparison_path.read_text(encoding="utf-8"))
    rolling_path = exports / ROLLING_EXPORT
    rolling = (
        json.loads(rolling_path.read_text(encoding="utf-8")) if rolling_path.is_file() else None
    )
    return data_set_verdict(name, comparison, rolling, folder=sub.name, currency=currency)


# --------------------------------------------------------------------------- words


def _unit(metric: str) -> Fixed:
    """A metric's unit in a sentence; the hiatus call's ``active_accuracy`` is a share."""
    words = METRIC_TERMS.get(metric)
    return words.sentence_unit if words is not None else "percent"


def _fmt(metric: str, value: float) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    return format_fixed(value, _unit(metric))


def _gap(metric: str, value: float) -> str:
    """A difference: points for shares ("pt" in a table cell); never a signed zero."""
    if value is None or not math.isfinite(value):
        return "–"
    unit = METRIC_TERMS[metric].difference_unit
    return format_fixed(value, "pt" if unit == "points" else unit, signed=True)


def _label(method: str) -> str:
    return METHODS[method].label


def _cutoffs(n: int) -> str:
    return f"{n} cut-off" if n == 1 else f"{n} cut-offs"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


#: the ranking measures as the verdict's sentences and table rows name them (the vocabulary's)
METRIC_WORDS: dict[str, str] = {metric: MEASURES[metric].verdict for metric in RANKING_METRICS}


def _here(metric: str, best: Mapping[str, Any] | None) -> str:
    """The report's cut-off in numbers: "heuristic CLV 0.349, ahead of RFM by 0.044 (...)"."""
    if not best:
        return ""
    lead = lead_text(metric, best["margin"], best["ci_low"], best["ci_high"], prefix="interval ")
    return (
        f"{_label(best['method'])} {_fmt(metric, best['value'])}, ahead of "
        f"{_label(best['runner_up'])} by {lead}"
    )


def lead_text(
    metric: str, diff: float, low: float, high: float, *, prefix: str = "", signed: bool = False
) -> str:
    """A lead and its interval as the pages write it: "0.044 (+0.018 to +0.075)".

    The lead in the metric's difference unit (shares in points: "4.8 points (+2.4 to
    +7.5)"), the interval's ends signed, without the unit again; ``prefix`` opens the
    parentheses ("interval "); ``signed``: the lead with its sign too (a difference that
    may be negative). A lead without an interval is written alone.

    Examples
    --------
    >>> lead_text("spearman", 0.0441, 0.0183, 0.0748, prefix="interval ")
    '0.044 (interval +0.018 to +0.075)'
    >>> lead_text("top20_share", 0.048, -0.01, 0.1)
    '4.8 points (-1.0 to +10.0)'
    """
    unit = METRIC_TERMS[metric].difference_unit
    if diff is None or not math.isfinite(diff):
        return "–"
    lead = format_fixed(diff, unit, signed=signed)
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        return lead
    ends = [format_fixed(x, unit, signed=True).removesuffix(" points") for x in (low, high)]
    return f"{lead} ({prefix}{ends[0]} to {ends[1]})"


def sentences(verdict: Mapping[str, Any]) -> list[str]:
    """The verdict in plain sentences: per measure who wins where, money, then references.

    One sentence per measure (each data set's winner, or no clear winner and the best
    method at the report's cut-off with its lead and interval), one on money (what the
    customers spent in each holdout and the forecast closest to it in total, in the data
    set's currency), one for the references that rank better than every method: at most
    five, however many data sets (the hiatus call is :func:`hiatus_sentence`).
    """
    ok = [d for d in verdict["data_sets"] if d["status"] == "ok"]
    lines = []
    for metric in RANKING_METRICS:
        parts = []
        for d in ok:
            w = d["winners"][metric]
            n = w["cutoffs"]
            here = _here(metric, w["at_report_cutoff"])
            if w["method"]:
                k = w["clear_wins"][w["method"]]
                lead = f", and at the report's cut-off {here}" if here else ""
                parts.append(
                    f"{_label(w['method'])} wins on {d['name']}, clearly ahead at {k} of "
                    f"{_cutoffs(n)}{lead}"
                )
            else:
                lead = f", best at the report's cut-off {here}" if here else ""
                parts.append(f"no clear winner on {d['name']} at {_cutoffs(n)}{lead}")
        overall = verdict["overall"]["metrics"][metric]
        tail = (
            f"{_capital(_label(overall['method']))} wins on every data set."
            if overall["method"]
            else "No method wins on every data set."
        )
        lines.append(f"{_capital(METRIC_WORDS[metric])}: {'; '.join(parts)}. {tail}")
    if money := _money_sentence(ok):
        lines.append(money)
    ahead = []
    for d in ok:
        sure = [
            r
            for r in d["winners"]["spearman"]["references_ahead"]
            if r["ci_low"] is not None and r["ci_low"] > 0
        ]
        if sure:
            ahead.append(f"on {d['name']} {_names([_label(r['method']) for r in sure])}")
    if ahead:
        lines.append(
            "Simple or model-based references rank customers better than every method, with "
            f"an interval that excludes 0: {'; '.join(ahead)}."
        )
    failed = verdict["overall"]["failed"]
    if failed:
        verb = "were" if len(failed) > 1 else "was"
        lines.append(
            f"{_names(list(failed))}: the reports failed, so {'they' if len(failed) > 1 else 'it'}"
            f" {verb} left out of the verdict."
        )
    return lines


def _money(amount: float, code: str) -> str:
    """A whole amount in a data set's currency: "€234,817", "$1,204" or "9,120" (none)."""
    with use_currency(code):
        return with_currency(format_fixed(amount, "whole"))


def _money_sentence(data_sets: Sequence[Mapping[str, Any]]) -> str:
    """Per data set: what customers spent in the holdout, and the forecast closest in total.

    "Closest" is the smallest distance of forecast / realised from 1 on a log scale (a
    forecast twice too high is as far off as one half too low); its interval is the
    customer-bootstrap interval of that ratio.
    """
    parts = []
    for d in data_sets:
        totals = [
            r
            for r in d.get("forecast_totals") or []
            if r.get("ratio") is not None and math.isfinite(r["ratio"]) and r["ratio"] > 0
        ]
        if not totals:
            continue
        code = d.get("currency") or ""
        best = min(totals, key=lambda r: abs(math.log(r["ratio"])))
        days = next((c["holdout_days"] for c in d.get("cutoffs") or [] if c.get("report")), None)
        window = f"the {days} days after the cut-off" if days else "the holdout"
        low, high = best.get("ci_low"), best.get("ci_high")
        interval = (
            f", interval {format_fixed(low, 'decimal2')} to {format_fixed(high, 'decimal2')}"
            if low is not None and high is not None
            else ""
        )
        parts.append(
            f"on {d['name']} customers spent {_money(best['realised_total'], code)} in {window}"
            f" and {_label(best['method'])}{_reference(best['method'])} came closest in total, "
            f"{_money(best['forecast_total'], code)} ({format_fixed(best['ratio'], 'decimal2')}"
            f" times what was spent{interval})"
        )
    if not parts:
        return ""
    return f"Money: {'; '.join(parts)}."


def _reference(method: str) -> str:
    """The words after a reference (a simple rule or a model kept for comparison) in prose."""
    return "" if METHODS[method].kind == "method" else ", a reference,"


def hiatus_sentence(verdict: Mapping[str, Any]) -> str:
    """How often the hiatus heuristic's active / inactive call is right, per data set."""
    calls = []
    for d in verdict["data_sets"]:
        if d["status"] != "ok":
            continue
        acc = next((m["value"] for m in d["metrics"] if m["metric"] == "active_accuracy"), None)
        if acc is not None and math.isfinite(acc):
            calls.append(f"{_fmt('active_accuracy', acc)} of customers on {d['name']}")
    if not calls:
        return ""
    return f"The hiatus heuristic's call (active or inactive) is right for {_names(calls)}."


def _names(labels: list[str]) -> str:
    """Labels in a sentence: "A", "A and B", "A, B and C"."""
    return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} and {labels[-1]}"


def measure_table(verdict: Mapping[str, Any], metric: str) -> pd.DataFrame:
    """One measure's table, each number in its own column: a stakeholder reads it unaided.

    Index: the contenders and references (label, "(reference)" after a reference); per
    data set two columns, "<data set>: score" (the method's score at the report's cut-off)
    and "<data set>: difference from the best (interval)" (its paired difference from the
    best method with its interval, :func:`lead_text`; "the best method" for the best).
    """
    ok = [d for d in verdict["data_sets"] if d["status"] == "ok"]
    methods = [m for m in METHODS if m not in BOUNDS]
    columns: dict[str, dict[str, str]] = {}
    for d in ok:
        values = {m["method"]: m["value"] for m in d["metrics"] if m["metric"] == metric}
        best = d["winners"][metric]["at_report_cutoff"]
        value, gap = {}, {}
        for m in methods:
            if m not in values:
                continue
            row = _label(m) + ("" if METHODS[m].kind == "method" else " (reference)")
            value[row] = _fmt(metric, values[m])
            if best and m == best["method"]:
                gap[row] = "the best method"
            elif best:
                diff, low, high = _interval_from(d, m, best["method"], metric)
                gap[row] = lead_text(metric, diff, low, high, signed=True)
            else:
                gap[row] = "–"
        columns[f"{d['name']}: score"] = value
        columns[f"{d['name']}: difference from the best (interval)"] = gap
    frame = pd.DataFrame(columns)
    frame.index.name = "method"
    return frame.fillna("–")


def table(verdict: Mapping[str, Any]) -> pd.DataFrame:
    """One table: per metric and contender, its value on each data set and the gap to the best.

    A cell reads "0.412 (best)" for the data set's best contender at the report's cut-off,
    else "0.380; -0.032 (-0.051 to -0.012)": the value, then the paired difference from the
    best contender with its interval. The row "who wins" gives the verdict with the rolling
    origins (a winner, or "no clear winner").
    """
    ok = [d for d in verdict["data_sets"] if d["status"] == "ok"]
    rows: dict[tuple[str, str], dict[str, str]] = {}
    methods = [m for m in METHODS if m not in BOUNDS]
    for metric in RANKING_METRICS:
        for d in ok:
            values = {m["method"]: m["value"] for m in d["metrics"] if m["metric"] == metric}
            best = d["winners"][metric]["at_report_cutoff"]
            for m in methods:
                if m not in values:
                    continue
                cell = _fmt(metric, values[m])
                if best and m == best["method"]:
                    cell += " (best method)"
                elif best:
                    diff, low, high = _interval_from(d, m, best["method"], metric)
                    cell += f"; {_gap(metric, diff)} ({_gap(metric, low)} to {_gap(metric, high)})"
                kind = "" if METHODS[m].kind == "method" else " (reference)"
                rows.setdefault((METRIC_WORDS[metric], _label(m) + kind), {})[d["name"]] = cell
            w = d["winners"][metric]
            n = _cutoffs(w["cutoffs"])
            rows.setdefault((METRIC_WORDS[metric], "who wins"), {})[d["name"]] = (
                f"{_label(w['method'])} ({w['clear_wins'][w['method']]} of {n})"
                if w["method"]
                else f"{NO_CLEAR_WINNER} ({n})"
            )
    frame = pd.DataFrame.from_dict(rows, orient="index").reindex(columns=[d["name"] for d in ok])
    frame.index = pd.MultiIndex.from_tuples(frame.index, names=["measure", "method"])
    return frame.fillna("–")


def _interval_from(d: Mapping[str, Any], a: str, b: str, metric: str) -> tuple[float, ...]:
    return _interval({"differences": d["differences"]}, a, b, metric)
