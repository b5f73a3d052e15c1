"""Render the report notebooks with papermill into self-contained HTML.

Two halves:

* helpers the notebooks call, so that a notebook stays one clvlib call per cell:
  :func:`load_data`, :func:`provenance`, :func:`export_path`, :func:`save_headline`;
* the runner, :func:`render_reports` (``python -m clvlib report``): it executes every notebook
  with papermill from this one process, then writes per notebook an HTML page without code
  (stakeholders), one with code (analysts) and the executed ``.ipynb``, plus an ``index.html``
  with the headline figures, ``provenance.json`` and the notebooks' exports.

The kernel is **this environment's own Python** (``sys.executable``), whatever kernelspecs are
registered: the notebooks' ``python3`` kernel name resolves to a spec built here, so a fresh
``.venv`` needs no ``ipykernel install`` and a stale user-level ``python3`` spec pointing at
another interpreter is never used (papermill's most reported failure is ``NoSuchKernel`` /
the wrong interpreter in virtualenvs).

Layout of the output folder::

    index.html                     links, headline figures, provenance, parameters
    <notebook>.html                report without code
    <notebook>.code.html           report with code
    notebooks/<notebook>.ipynb     executed notebook (kept, partially executed, on failure)
    exports/                       what the notebooks export (headline JSON, metrics, segments)
    provenance.json                data file and SHA-256, parameters, versions, git commit, time
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from clvlib.params import Params, load_params

PROJECT_ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = PROJECT_ROOT / "notebooks"
TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
#: packages whose versions every report records
PACKAGES = (
    "clvlib",
    "pandas",
    "numpy",
    "scipy",
    "scikit-learn",
    "matplotlib",
    "papermill",
    "nbconvert",
)
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
#: set in the kernels' environment by the runner: the parameters file, for provenance
PARAMS_FILE_ENV = "CLVLIB_PARAMS_FILE"


class ReportError(RuntimeError):
    """A report could not be rendered; the message names the notebook, the cell and the error."""


class KernelStartError(ReportError):
    """The notebook kernel (this environment's Python) could not be started."""


class Facts(dict):
    """Named values shown as a two-column table, never truncated (SHA-256, paths)."""

    def __init__(self, items: Mapping[str, Any], *, label: str = "item") -> None:
        super().__init__(items)
        self.label = label

    def to_frame(self) -> pd.DataFrame:
        """The facts as a one-column DataFrame of text indexed by name (numbers rounded)."""
        return pd.DataFrame(
            {"value": [_fmt(v, k) for k, v in self.items()]},
            index=pd.Index(list(self), name=self.label),
        )

    def __repr__(self) -> str:
        width = max((len(k) for k in self), default=0)
        return "\n".join(f"{k:<{width}}  {_fmt(v, k)}" for k, v in self.items())

    def _repr_html_(self) -> str:
        with pd.option_context("display.max_colwidth", None):
            return self.to_frame().to_html()


# --------------------------------------------------------------------------- notebook helpers


def notebook_display(precision: int = 3) -> None:
    """Display settings of the report notebooks: rounded numbers, every column shown.

    Floats (Python and pandas) show ``precision`` decimals, tables show all their columns,
    and figures are drawn at a size that reads in the HTML reports.
    """
    import matplotlib as mpl
    from IPython import get_ipython

    pd.set_option("display.precision", precision)
    pd.set_option("display.max_columns", None)
    pd.set_option("display.width", 120)
    mpl.rcParams.update({"figure.figsize": (8.0, 4.5), "figure.dpi": 100})
    shell = get_ipython()
    if shell is not None:
        shell.run_line_magic("precision", str(precision))


def load_data(params: Mapping[str, Any]) -> tuple[pd.DataFrame, Any, pd.DataFrame | None]:
    """Load the order log (and customer table) the parameters point at.

    Returns ``(tx, audit, customers)``: the clean log, the :class:`~clvlib.io.LoadAudit`
    accounting for every input row, and the customer table (``None`` when
    ``customers_path`` is ''). Checks that ``calibration_end`` and ``holdout_end`` fall
    inside the data, so a report never silently scores an empty period.
    """
    from clvlib import io

    path = params["data_path"]
    if params["data_format"] == "online_retail":
        tx, audit = io.load_online_retail(path)
    else:
        tx, audit = io.load_transactions(path)
    customers = load_customers(params["customers_path"]) if params["customers_path"] else None
    first, last = tx["timestamp"].min().normalize(), tx["timestamp"].max().normalize()
    cal, hold = pd.Timestamp(params["calibration_end"]), pd.Timestamp(params["holdout_end"])
    if not first <= cal < last:
        raise ValueError(
            f"calibration_end {cal.date()} is outside the data ({path}: {first.date()} to "
            f"{last.date()}); choose a day between the first and the last order"
        )
    if hold > last:
        raise ValueError(
            f"holdout_end {hold.date()} is after the last order in {path} ({last.date()}): the "
            "holdout would count days without data; set holdout_end to at most that day"
        )
    return tx, audit, customers


def load_customers(path: str | Path) -> pd.DataFrame:
    """Read a customer table (CSV or Parquet) indexed by ``customer_id``.

    Columns ``signup_date``, ``channel`` and ``cac`` are kept where present
    (docs/architecture.md).

    Raises a ``ValueError`` naming the file when ``customer_id`` is missing or repeated.
    """
    path = Path(path)
    if path.suffix.lower() == ".parquet":
        table = pd.read_parquet(path)
    else:
        table = pd.read_csv(path)
    if "customer_id" not in table.columns:
        raise ValueError(f"{path}: no customer_id column (columns: {list(table.columns)})")
    repeated = table["customer_id"][table["customer_id"].duplicated()]
    if len(repeated):
        raise ValueError(
            f"{path}: customer_id repeated ({len(repeated)} rows, e.g. {repeated.head(5).tolist()})"
        )
    if "signup_date" in table.columns:
        table["signup_date"] = pd.to_datetime(table["signup_date"])
    if "cac" in table.columns:
        table["cac"] = pd.to_numeric(table["cac"]).astype("float64")
    return table.set_index("customer_id")


def data_overview(tx: pd.DataFrame, customers: pd.DataFrame | None = None) -> Facts:
    """The clean log in a few numbers: period, lines, orders, customers, value, returns.

    With a customer table, also how many customers signed up and how many of them never
    bought (prospects).
    """
    buy = ~tx["is_return"]
    rows: dict[str, Any] = {
        "first order": tx["timestamp"].min(),
        "last order": tx["timestamp"].max(),
        "lines": len(tx),
        "purchase lines": int(buy.sum()),
        "return lines": int((~buy).sum()),
        "orders": tx.loc[buy, "order_id"].nunique(),
        "customers who bought": tx.loc[buy, "customer_id"].nunique(),
        "gross purchase value": float(tx.loc[buy, "amount"].sum()),
        "returned value": float(-tx.loc[~buy, "amount"].sum()),
        "net value": float(tx["amount"].sum()),
    }
    if "cost" in tx.columns:
        rows["gross profit"] = float((tx["amount"] - tx["cost"]).sum())
    if customers is not None:
        buyers = pd.Index(tx.loc[buy, "customer_id"].unique())
        rows["customers in the customer table"] = len(customers)
        rows["prospects (signed up, never bought)"] = int((~customers.index.isin(buyers)).sum())
    return Facts({k: _shown(v) for k, v in rows.items()})


def _shown(value: Any) -> str:
    if isinstance(value, pd.Timestamp):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.2f}"


def audit_figures(audit: Any) -> dict[str, Any]:
    """Headline figures of a load audit: rows read, kept, netted, dropped (count and share)."""
    by_outcome = _audit_counts(audit)
    total = by_outcome["rows read"]
    out = dict(by_outcome)
    out["share of rows dropped"] = by_outcome["rows dropped"] / total if total else 0.0
    return out


def group_column(
    summary: pd.DataFrame, *, max_groups: int = 8, min_share: float = 0.01
) -> str | pd.Series:
    """What to break value down by: the acquisition ``channel``, else ``country``.

    Small groups say nothing (three customers of one country can all be top-tier): groups
    with fewer than ``min_share`` of the customers, and beyond the ``max_groups`` largest,
    are pooled as "other". Returns the column name when no pooling is needed, else the
    pooled labels. A log with neither column gets one group, "all customers", so that the
    same tables and plots still render.
    """
    for column in ("channel", "country"):
        if column in summary.columns:
            labels = summary[column].astype("string").fillna("(unknown)")
            counts = labels.value_counts()
            keep = counts[counts >= min_share * len(labels)].index[:max_groups]
            if len(keep) == len(counts):
                return column
            return labels.where(labels.isin(keep), "other").rename(column)
    return pd.Series("all customers", index=summary.index, name="group")


def heuristic_model(params: Mapping[str, Any], summary: pd.DataFrame) -> Any:
    """:class:`~clvlib.heuristic.HeuristicCLV` configured from the report parameters.

    Monthly retention; profit from the data's costs when the summary has ``gross_profit``
    (else ``margin`` x revenue); CAC from the customer table's ``cac`` column when present
    (else the ``cac`` parameter); the yearly ``discount_rate`` turned into a monthly one,
    ``(1 + d) ** (1 / 12) - 1``.
    """
    from clvlib.heuristic import HeuristicCLV

    return HeuristicCLV(
        margin=None if "gross_profit" in summary.columns else params["margin"],
        discount_rate=(1 + params["discount_rate"]) ** (1 / 12) - 1,
        period="M",
        cac="cac" if "cac" in summary.columns else params["cac"],
    )


def average_levers(summary: pd.DataFrame, params: Mapping[str, Any]) -> dict[str, float]:
    """The four levers of the simple CLV for this shop's average customer.

    AOV = mean ``avg_order_value``, purchases = mean ``n_orders``, CAC = mean ``cac`` of the
    customer table (else the ``cac`` parameter), margin = gross profit / net value where costs
    are known (else the ``margin`` parameter). Keyword arguments of
    :func:`~clvlib.heuristic.clv_sensitivity`.
    """
    if "gross_profit" in summary.columns:
        margin = float(summary["gross_profit"].sum() / summary["total_value"].sum())
    else:
        margin = float(params["margin"])
    cac = float(summary["cac"].mean()) if "cac" in summary.columns else float(params["cac"])
    return {
        "aov": float(summary["avg_order_value"].mean()),
        "purchases": float(summary["n_orders"].mean()),
        "cac": cac,
        "margin": margin,
    }


def _prospects(rule_set: Any, customers: pd.DataFrame | None) -> pd.DataFrame | None:
    """The customer table when the rule set places prospects, else None (it would refuse)."""
    if any(rule.customers == "prospects" for rule in rule_set.rules):
        return customers
    return None


def rule_set_coverage(
    summary: pd.DataFrame, rules: str | Path, customers: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Coverage of a rule set (:func:`~clvlib.rfm.rule_coverage`) on scores of its own scale.

    Scores are quantiles of ``summary`` with as many bins as the rule set's ``scale``, so that
    every shipped rule set can be shown whatever ``n_bins`` the report uses; prospects of the
    customer table are passed when the rule set has a rule for them.
    """
    from clvlib.rfm import RFMScorer, load_rules, rule_coverage

    rule_set = load_rules(rules)
    scores = RFMScorer(n_bins=rule_set.scale).fit_transform(summary)
    return rule_coverage(scores, rule_set, prospects=_prospects(rule_set, customers))


def segment_customers(
    scores: pd.DataFrame, rules: str | Path, customers: pd.DataFrame | None = None
) -> pd.Series:
    """Segments of :func:`~clvlib.rfm.assign_segments`, prospects included where placed.

    The customer table's prospects (signed up, never bought) are passed when the rule set
    has a ``customers: prospects`` rule.
    """
    from clvlib.rfm import assign_segments, load_rules

    rule_set = load_rules(rules)
    return assign_segments(scores, rule_set, prospects=_prospects(rule_set, customers))


def heuristic_figures(
    summary: pd.DataFrame, tiers: pd.Series, lorenz: Any, clv: pd.DataFrame
) -> dict[str, Any]:
    """Headline figures of the heuristic CLV report: concentration and mean CLV.

    ``tiers`` from :func:`~clvlib.heuristic.value_tiers`, ``lorenz`` from
    :func:`~clvlib.heuristic.lorenz_curve` of the same value, ``clv`` from
    ``HeuristicCLV.predict_clv``.
    """
    from clvlib.heuristic import tier_table

    shares = tier_table(summary, tiers)["share_of_value"]
    return {
        "customers": len(summary),
        f"share of value, {shares.index[0]}": float(shares.iloc[0]),
        f"share of value, {shares.index[-1]}": float(shares.iloc[-1]),
        "Gini of value": float(lorenz.gini),
        "mean discounted CLV": float(clv["clv_discounted"].mean()),
    }


def segment_figures(table: pd.DataFrame) -> dict[str, Any]:
    """Headline figures of the RFM report, from :func:`~clvlib.rfm.segment_table`."""
    filled = table[table["customers"] > 0]
    return {
        "segments with customers": len(filled),
        "largest segment": str(filled["customers"].idxmax()),
        "segment carrying most value": str(filled["value_share"].idxmax()),
        "its share of value": float(filled["value_share"].max()),
    }


def cluster_figures(choice: Any, profiles: pd.DataFrame) -> dict[str, Any]:
    """Headline figures of the k-means report, from ``choose_k`` and ``cluster_profiles``."""
    best = profiles.iloc[0]  # label 0 is the most valuable cluster
    return {
        "recommended k": int(choice.recommended_k),
        "clusters used": len(profiles),
        "most valuable cluster": str(best.get("name", profiles.index[0])),
        "its share of customers": float(best["customer_share"]),
        "its share of value": float(best["value_share"]),
    }


def simulated_truth(params: Mapping[str, Any]) -> Any:
    """The simulated shop (its ground truth) when the report runs on the embedded default data.

    Returns the :class:`~clvlib.datasets.Shop` when ``data_path`` is the default shop's log
    (same bytes as ``data/transactions.csv``), else None: real data has no truth.
    """
    from clvlib import datasets

    default = datasets.DATA_DIR / "transactions.csv"
    path = Path(params["data_path"])
    if params["data_format"] != "clvlib" or not default.is_file():
        return None
    if path.resolve() != default.resolve() and file_sha256(path) != file_sha256(default):
        return None
    return datasets.load_default_shop()


def run_comparison(
    tx: pd.DataFrame,
    customers: pd.DataFrame | None,
    params: Mapping[str, Any],
    *,
    truth: Any = None,
) -> Any:
    """:func:`~clvlib.evaluation.compare_methods` with the report parameters.

    Calibration and holdout ends, time unit, RFM bins and rules, number of clusters and
    seed all come from ``params``, so every report compares the same thing.
    """
    from clvlib.evaluation import compare_methods

    with _caveats_in_text():
        return compare_methods(tx, truth=truth, customers=customers, **_comparison_settings(params))


@contextlib.contextmanager
def _caveats_in_text() -> Iterator[None]:
    """Silence model-fit warnings that a report states in words (``params["caveats"]``).

    A stakeholder page should not show a Python warning with a file path; the comparison
    keeps each caveat and :func:`executive_summary` / :func:`comparison_caveats` print it.
    """
    from clvlib.models import EdgeOfParameterSpaceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EdgeOfParameterSpaceWarning)
        yield


def _comparison_settings(params: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "calibration_end": params["calibration_end"],
        "holdout_end": params["holdout_end"],
        "time_unit": params["time_unit"],
        "n_bins": params["n_bins"],
        "rule_set": params["rule_set"],
        "n_clusters": params["n_clusters"],
        "random_state": params["random_state"],
    }


def rolling_comparison(
    tx: pd.DataFrame,
    customers: pd.DataFrame | None,
    params: Mapping[str, Any],
    *,
    truth: Any = None,
    max_cutoffs: int = 3,
) -> Any:
    """:func:`~clvlib.evaluation.rolling_origin` at the latest quarter ends before the holdout.

    Each window has the report's holdout length in days; cut-offs are the latest
    ``max_cutoffs`` quarter ends whose window ends by the last order (the report's own split
    included when it is a quarter end). Other settings as :func:`run_comparison`.
    """
    from clvlib.evaluation import cutoff_dates, rolling_origin

    settings = _comparison_settings(params)
    cal, hold = pd.Timestamp(settings.pop("calibration_end")), settings.pop("holdout_end")
    horizon = (pd.Timestamp(hold) - cal).days
    cutoffs = cutoff_dates(tx, horizon=horizon, max_cutoffs=max_cutoffs)
    with _caveats_in_text():
        return rolling_origin(
            tx, cutoffs=cutoffs, horizon=horizon, truth=truth, customers=customers, **settings
        )


def comparison_caveats(comparison: Any) -> Any:
    """What a reader must know before trusting a reference: model fits at their limits."""
    from IPython.display import Markdown

    caveats = comparison.params.get("caveats", [])
    if not caveats:
        return Markdown("*No caveats: every model fit converged inside its parameter space.*")
    return Markdown("\n".join(f"- **Caveat.** {c}" for c in caveats))


def comparison_figures(comparison: Any) -> dict[str, Any]:
    """Headline figures of the comparison: the winners on ranking, top 20 % and buying again."""
    from clvlib.evaluation import METHODS

    out: dict[str, Any] = {"customers compared": int(comparison.params["n_customers"])}
    for metric, label in (
        ("spearman", "best ranking (Spearman)"),
        ("top20_share", "best top 20 % capture"),
        ("auc", "best at who buys again (AUC)"),
    ):
        w = comparison.winner(metric, among=_CONTENDERS)
        out[label] = f"{METHODS[w.method].label} {w.value:.3f} (+{w.margin:.3f})"
    spearman = comparison.wide()["spearman"]
    out["BG/NBD + Gamma-Gamma reference (Spearman)"] = float(spearman["bgnbd_gg"])
    out["past-spend reference (Spearman)"] = float(spearman["naive_spend"])
    return out


def executive_figures(summary: pd.DataFrame, comparison: Any) -> dict[str, Any]:
    """Headline figures of the executive summary: concentration and the winning method."""
    from clvlib.evaluation import METHODS
    from clvlib.heuristic import tier_table, value_tiers

    shares = tier_table(summary, value_tiers(summary))["share_of_value"]
    rank = comparison.winner("spearman", among=_CONTENDERS)
    return {
        "customers": len(summary),
        f"share of value, {shares.index[0]}": float(shares.iloc[0]),
        "method that ranks best": METHODS[rank.method].label,
        "its Spearman": float(rank.value),
        "ahead of the runner-up by": float(rank.margin),
    }


#: the three methods a report compares; the others are references and bounds
_CONTENDERS = ("heuristic_clv", "rfm", "kmeans")


def executive_summary(summary: pd.DataFrame, comparison: Any) -> Any:
    """The answer, in a few sentences: who matters, how concentrated value is, which method wins.

    ``summary`` is the customer summary of the whole log; ``comparison`` the holdout
    comparison (:func:`run_comparison`). Returns Markdown that a notebook displays.
    """
    from IPython.display import Markdown

    from clvlib.evaluation import METHODS
    from clvlib.heuristic import historic_clv, lorenz_curve, tier_table, value_tiers

    value = historic_clv(summary)
    basis = "profit" if value.attrs.get("basis") == "profit" else "net revenue"
    tiers = value_tiers(summary)
    shares = tier_table(summary, tiers)["share_of_value"]
    gini = lorenz_curve(value).gini
    lines = [
        f"- **Who matters.** The best 20 % of the {len(summary):,} customers carry "
        f"**{shares.iloc[0]:.0%}** of the {basis} to date; the bottom 20 % carry "
        f"{shares.iloc[-1]:.0%} (Gini {gini:.2f})."
    ]
    group = group_column(summary)
    name = group if isinstance(group, str) else group.name
    if name != "group":
        by = tier_table(summary, tiers, by=group)["share_of_customers"]
        top = by.xs(shares.index[0], level=-1).drop("other", errors="ignore")
        if len(top) > 1:
            lines.append(
                f"- **Where they come from.** By {name}, the largest share of top-tier "
                f"customers comes through **{top.idxmax()}** ({top.max():.0%} of its "
                f"customers), the smallest through {top.idxmin()} ({top.min():.0%})."
            )
    rank = comparison.winner("spearman", among=_CONTENDERS)
    top = comparison.winner("top20_share", among=_CONTENDERS)
    label = {m: spec.label for m, spec in METHODS.items()}
    lines.append(
        f"- **Which method finds tomorrow's valuable customers: {label[rank.method]}.** It "
        f"ranks customers by what they spent in the holdout best (Spearman {rank.value:.3f}, "
        f"{rank.margin:.3f} ahead of {label[rank.runner_up]})."
    )
    lines.append(
        f"- The top 20 % of customers by **{label[top.method]}** brought "
        f"**{top.value:.0%}** of the holdout value, against {top.runner_up_value:.0%} for "
        f"the top 20 % by {label[top.runner_up]} (random: 20 %)."
    )
    wide = comparison.wide()
    references = {
        "naive_spend": "ranking by past spend (the naive reference)",
        "bgnbd_gg": "the probabilistic reference (BG/NBD + Gamma-Gamma)",
    }
    better = [
        f"{text}, Spearman {wide.loc[m, 'spearman']:.3f}"
        for m, text in references.items()
        if wide.loc[m, "spearman"] > rank.value
    ]
    if better:
        lines.append(
            f"- **But a reference ranks better than all three methods:** {'; '.join(better)}."
        )
    else:
        lines.append(
            "- Neither reference ranks better: past spend (Spearman "
            f"{wide.loc['naive_spend', 'spearman']:.3f}) nor BG/NBD + Gamma-Gamma "
            f"({wide.loc['bgnbd_gg', 'spearman']:.3f})."
        )
    lines += [f"- **Caveat.** {c}" for c in comparison.params.get("caveats", [])]
    p = comparison.params
    lines.append(
        f"\n*Holdout comparison: methods fitted to {p['calibration_end']}, judged on what "
        f"{p['n_customers']:,} customers did up to {p['holdout_end']}.*"
    )
    return Markdown("\n".join(lines))


def provenance(params: Mapping[str, Any], audit: Any = None) -> Facts:
    """Where a report's numbers come from: data file and SHA-256, rows, versions, commit, time.

    ``audit`` (the :class:`~clvlib.io.LoadAudit` of :func:`load_data`) adds the row counts.
    """
    rows = _provenance_items(params)
    if audit is not None:
        rows.update(_audit_counts(audit))
    return Facts(rows)


def export_path(params: Mapping[str, Any], filename: str) -> Path:
    """Path of an export (segment list, metrics JSON) in ``<output_dir>/exports/``."""
    folder = Path(params["output_dir"]) / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / filename


def save_headline(notebook: str, figures: Mapping[str, Any], params: Mapping[str, Any]) -> Facts:
    """Write a notebook's headline figures for ``index.html`` and return them as a table.

    ``figures`` maps a label a stakeholder reads ("customers", "top 20 % share of value") to
    a number or a short text; it is written as ``exports/headline_<notebook>.json``.
    """
    clean = {str(k): _plain(v) for k, v in figures.items()}
    path = export_path(params, f"headline_{notebook}.json")
    path.write_text(json.dumps({"notebook": notebook, "figures": clean}, indent=2) + "\n")
    return Facts(clean, label="figure")


def _plain(value: Any) -> Any:
    """A JSON-ready scalar (numpy and pandas scalars become Python ones)."""
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise TypeError(f"headline figure {value!r} is not a number or a text")


def _audit_counts(audit: Any) -> dict[str, int]:
    """Rows read, kept, netted and dropped, from :meth:`LoadAudit.table`."""
    table = audit.table()
    rows = table.loc[table.index != "total"].groupby("outcome")["rows"].sum()
    out = {"rows read": int(audit.n_input_rows)}
    for outcome in ("kept", "netted", "dropped"):
        out[f"rows {outcome}"] = int(rows.get(outcome, 0))
    return out


def _provenance_items(params: Mapping[str, Any]) -> dict[str, Any]:
    items: dict[str, Any] = {"data set": params.get("dataset_name", "")}
    for key in ("data_path", "customers_path"):
        path = params.get(key) or ""
        if path:
            items[key] = path
            items[f"{key} SHA-256"] = file_sha256(path)
    items["parameters file"] = (
        getattr(params, "source", None)
        or os.environ.get(PARAMS_FILE_ENV)
        or "(the notebook's parameters cell)"
    )
    items["python"] = f"{platform.python_version()} ({sys.executable})"
    for name in PACKAGES:
        items[name] = _version(name)
    items["git commit"] = git_commit()
    items["rendered at (UTC)"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
    return items


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes (cached per path, size and modification time)."""
    st = Path(path).stat()
    return _sha256(str(Path(path).resolve()), st.st_size, st.st_mtime_ns)


@lru_cache(maxsize=32)
def _sha256(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def git_commit(root: str | Path = PROJECT_ROOT) -> str:
    """The checkout's commit (``+ uncommitted changes`` when dirty), or 'not a git checkout'."""
    git = shutil.which("git")
    if git is None:
        return "not a git checkout (git not installed)"
    head = subprocess.run(
        [git, "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, check=False
    )
    if head.returncode != 0:
        return "not a git checkout"
    dirty = subprocess.run(
        [git, "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
        check=False,
    )
    suffix = " + uncommitted changes" if dirty.stdout.strip() else ""
    return head.stdout.strip() + suffix


# --------------------------------------------------------------------------- kernel


def kernel_spec(
    python: str | None = None, *, threads: int | None = None, env: Mapping[str, str] | None = None
) -> Any:
    """A kernelspec that runs ``python -m ipykernel_launcher`` (default: ``sys.executable``).

    Its environment makes figures inline PNGs (even when ``MPLBACKEND`` says otherwise, which
    would leave the HTML without figures), fixes ``PYTHONHASHSEED`` and, when ``threads`` is
    given, caps the BLAS/OpenMP threads so that parallel kernels do not oversubscribe cores.
    ``env`` adds variables.
    """
    from jupyter_client.kernelspec import KernelSpec

    env = {"MPLBACKEND": INLINE_BACKEND, "PYTHONHASHSEED": "0", **(env or {})}
    if threads is not None:
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env[var] = os.environ.get(var, str(threads))
    return KernelSpec(
        argv=[python or sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        display_name=f"Python {platform.python_version()} ({python or sys.executable})",
        language="python",
        env=env,
        metadata={"debugger": False},
    )


def kernel_manager_class(
    python: str | None = None, *, threads: int | None = None, env: Mapping[str, str] | None = None
) -> type:
    """An ``AsyncKernelManager`` whose every kernel name resolves to :func:`kernel_spec`."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    spec = kernel_spec(python, threads=threads, env=env)

    class _ThisPythonSpecs(KernelSpecManager):
        def get_kernel_spec(self, kernel_name: str) -> Any:  # noqa: D102
            return spec

    class ThisPythonKernelManager(AsyncKernelManager):
        """Kernel manager running notebooks on this environment's interpreter."""

        @default("transport")
        def _local_sockets(self) -> str:  # no TCP ports (nor ipykernel's warning) on POSIX
            return "ipc" if os.name == "posix" else "tcp"

        @default("ip")
        def _socket_prefix(self) -> str:  # unique per kernel: parallel kernels never share
            if self.transport == "ipc":
                return str(Path(tempfile.gettempdir()) / f"clvlib-kernel-{uuid.uuid4().hex}")
            return "127.0.0.1"

        @default("kernel_spec_manager")
        def _this_python_specs(self) -> KernelSpecManager:
            return _ThisPythonSpecs()

    ThisPythonKernelManager.python = spec.argv[0]
    return ThisPythonKernelManager


def check_kernel(python: str | None = None) -> None:
    """Fail early, with the fix, when the kernel interpreter cannot run ipykernel."""
    exe = python or sys.executable
    if shutil.which(exe) is None and not Path(exe).is_file():
        raise KernelStartError(f"cannot start the notebook kernel: no Python at {exe}")
    if python is None or Path(python).resolve() == Path(sys.executable).resolve():
        import importlib.util

        if importlib.util.find_spec("ipykernel") is None:
            raise KernelStartError(
                f"cannot start the notebook kernel: ipykernel is not installed in {exe}; "
                "install it with `python -m pip install ipykernel` (or `make env`)"
            )


# --------------------------------------------------------------------------- runner


@dataclass
class NotebookResult:
    """What happened to one notebook in a run."""

    name: str
    title: str
    status: str = "pending"  # "ok" or "failed"
    seconds: float = 0.0
    error: str = ""
    files: dict[str, str] = field(default_factory=dict)


class _Deadline:
    """nbclient ``timeout_func``: every cell may use what is left of the notebook's budget."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.start: float | None = None

    def __call__(self, cell: Any) -> float:
        if self.start is None:
            self.start = time.monotonic()
        # never 0: nbclient reads 0 as "no timeout"
        return max(self.seconds - (time.monotonic() - self.start), 0.01)


def find_notebooks(names: Sequence[str | Path] | None = None) -> list[Path]:
    """The report notebooks: all of ``notebooks/`` in order, or the named ones.

    A name is a notebook's stem (``01_data_audit``), its file name, or a path to a notebook.
    """
    available = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
    if not names:
        if not available:
            raise ReportError(f"no report notebooks found in {NOTEBOOK_DIR}")
        return available
    by_stem = {p.stem: p for p in available}
    found = []
    for name in names:
        path = Path(name)
        if path.suffix == ".ipynb" and path.is_file():
            found.append(path.resolve())
        elif str(name).removesuffix(".ipynb") in by_stem:
            found.append(by_stem[str(name).removesuffix(".ipynb")])
        else:
            raise ReportError(
                f"no notebook {str(name)!r}; choose from {sorted(by_stem)} or give a .ipynb path"
            )
    return found


def render_reports(
    params: str | Path | Params,
    out_dir: str | Path | None = None,
    *,
    notebooks: Sequence[str | Path] | None = None,
    timeout: float = 600.0,
    jobs: int = 2,
    progress: bool = True,
    python: str | None = None,
) -> Path:
    """Execute the report notebooks with ``params`` and write the HTML reports to ``out_dir``.

    Parameters
    ----------
    params : path or Params
        A parameters file (validated by :func:`~clvlib.params.load_params` before anything
        runs) or already validated parameters.
    out_dir : path, optional
        Output folder; default the parameters' ``output_dir``. Notebooks receive it as
        ``output_dir`` and write their exports into ``out_dir/exports``.
    notebooks : list of str or Path, optional
        Notebook stems or paths; default every notebook in ``notebooks/``.
    timeout : float
        Seconds one notebook may run in total (kernel start excluded) before it is stopped.
    jobs : int
        Notebooks executed at the same time, each in its own kernel (2 suits 2 cores).
    progress : bool
        Show papermill's per-cell progress bar for each notebook.
    python : str, optional
        Interpreter of the kernels; default this one (``sys.executable``).

    Returns
    -------
    Path
        The ``index.html`` written.

    Raises
    ------
    ReportError
        When a notebook fails or times out (naming the notebook, the cell and the error; the
        partially executed notebook is kept) or the kernel cannot start. The other notebooks
        still run and ``index.html`` is still written, marking the failures.
    """
    if not isinstance(params, Params):
        params = load_params(params)
    out = Path(out_dir if out_dir is not None else params["output_dir"]).resolve()
    run_params = Params(params)
    run_params.source = params.source
    run_params["output_dir"] = str(out)
    paths = find_notebooks(notebooks)
    check_kernel(python)
    (out / "notebooks").mkdir(parents=True, exist_ok=True)
    (out / "exports").mkdir(exist_ok=True)

    jobs = max(1, min(jobs, len(paths)))
    threads = max(1, (os.cpu_count() or 1) // jobs)
    env = {PARAMS_FILE_ENV: params.source} if params.source else {}
    manager = kernel_manager_class(python, threads=threads, env=env)

    def run(path: Path) -> NotebookResult:
        return _run_one(path, out, run_params, manager, timeout=timeout, progress=progress)

    if jobs == 1:
        results = [run(p) for p in paths]
    else:
        with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="clvlib-report") as pool:
            results = list(pool.map(run, paths))

    prov = _provenance_items(run_params)
    prov["parameters"] = dict(run_params)
    (out / "provenance.json").write_text(json.dumps(prov, indent=2) + "\n")
    index = write_index(out, results, run_params, prov)
    failed = [r for r in results if r.status != "ok"]
    if failed:
        if all(r.error.startswith("cannot start the notebook kernel") for r in failed):
            raise KernelStartError(failed[0].error)
        raise ReportError("\n\n".join(r.error for r in failed))
    return index


def _run_one(
    path: Path,
    out: Path,
    params: Params,
    manager: type,
    *,
    timeout: float,
    progress: bool,
) -> NotebookResult:
    import nbformat
    import papermill
    from papermill.exceptions import PapermillExecutionError

    name = path.stem
    source = nbformat.read(path, as_version=4)
    result = NotebookResult(name=name, title=_title(source, name))
    executed = out / "notebooks" / f"{name}.ipynb"
    started = time.monotonic()
    error: BaseException | None = None
    try:
        papermill.execute_notebook(
            str(path),
            str(executed),
            parameters=dict(params),
            kernel_name="python3",
            progress_bar={"desc": f"{name:<24}", "leave": True} if progress else False,
            start_timeout=60,
            kernel_manager_class=manager,
            timeout_func=_Deadline(timeout),
            resources={"metadata": {"path": str(path.parent)}},
            shutdown_kernel="immediate",
        )
    except PapermillExecutionError as e:
        error = e
        result.error = _cell_failure(name, executed, e.cell_index, e.source, e.ename, e.evalue)
    except TimeoutError as e:
        error = e
        cell = _find_cell(executed, "last started")
        result.error = (
            f"{name}.ipynb timed out after {timeout:g} s in {cell[0]}:\n"
            f"{_indent(cell[1])}\nThe partially executed notebook is kept at {executed}"
        )
    except (RuntimeError, OSError) as e:  # the kernel died, or never answered
        error = e
        cell = _find_cell(executed, "last started")
        if cell[0] == "?":
            result.error = (
                f"cannot start the notebook kernel for {name}.ipynb ({manager.python} -m "
                f"ipykernel_launcher): {type(e).__name__}: {e}. Check that this Python runs "
                "and has ipykernel installed (`make env`)."
            )
        else:
            result.error = (
                f"{name}.ipynb: the kernel died in {cell[0]} (out of memory?):\n"
                f"{_indent(cell[1])}\n{type(e).__name__}: {e}\n"
                f"The partially executed notebook is kept at {executed}"
            )
    result.seconds = time.monotonic() - started
    result.files["notebook"] = f"notebooks/{name}.ipynb"
    if error is not None:
        result.status = "failed"
        return result
    nb = nbformat.read(executed, as_version=4)
    for code, suffix in ((False, ".html"), (True, ".code.html")):
        target = out / f"{name}{suffix}"
        target.write_text(to_html(nb, code=code), encoding="utf-8")
        result.files["report (code)" if code else "report"] = target.name
    result.status = "ok"
    return result


def _cell_failure(
    name: str, executed: Path, index: int, source: str, ename: str, evalue: str
) -> str:
    where = _find_cell(executed, "failed")[0]
    return (
        f"{name}.ipynb failed in {where}:\n{_indent(source)}\n"
        f"{ename}: {evalue}\nThe partially executed notebook is kept at {executed}"
    )


def _find_cell(executed: Path, status: str) -> tuple[str, str]:
    """Where the cell papermill marked ``status`` is, as 'cell 5 of 9', and its source.

    ``status`` is papermill's ("failed") or "last started" (the cell a timeout or a dead
    kernel stopped in). Counted from 1 in the source notebook: papermill's injected parameters
    cell and its error banners are left out. ``('?', '')`` when no cell qualifies.
    """
    import nbformat

    if not executed.exists():
        return "?", ""
    added = {"injected-parameters", "papermill-error-cell-tag"}
    cells = [
        c
        for c in nbformat.read(executed, as_version=4).cells
        if not added & set(c.metadata.get("tags", []))
    ]
    marks = [c.metadata.get("papermill", {}) for c in cells]
    if status == "last started":  # a timeout or a dead kernel leaves no status on the cell
        found = [i for i, m in enumerate(marks) if m.get("start_time")]
    else:
        found = [i for i, m in enumerate(marks) if m.get("status") == status]
    if not found:
        return "?", ""
    return f"cell {found[-1] + 1} of {len(cells)}", cells[found[-1]].source


def _indent(text: str, lines: int = 6) -> str:
    shown = text.strip().splitlines()[:lines]
    return "\n".join(f"    {line}" for line in shown)


def _title(nb: Any, default: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return default


def to_html(nb: Any, *, code: bool) -> str:
    """A self-contained HTML page of an executed notebook (figures embedded as base64 PNG).

    ``code=False`` leaves out every input cell and prompt: the page stakeholders read.
    """
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name="clvlib_html", extra_template_basedirs=[str(TEMPLATE_DIR)], embed_images=True
    )
    if not code:
        exporter.exclude_input = True
        exporter.exclude_input_prompt = True
        exporter.exclude_output_prompt = True
        # code cells that show nothing would still leave empty blocks between the sections
        nb = copy.deepcopy(nb)
        nb.cells = [c for c in nb.cells if c.cell_type != "code" or c.get("outputs")]
    body, _ = exporter.from_notebook_node(nb)
    return body


def write_index(
    out: Path, results: Iterable[NotebookResult], params: Params, prov: Mapping[str, Any]
) -> Path:
    """Write ``index.html``: one card per notebook (links, headline figures), provenance."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR), autoescape=True, keep_trailing_newline=True
    )
    cards = []
    for r in results:
        headline = out / "exports" / f"headline_{r.name}.json"
        figures = json.loads(headline.read_text())["figures"] if headline.exists() else {}
        cards.append({"result": r, "figures": {k: _fmt(v, k) for k, v in figures.items()}})
    exports = sorted(
        p.name for p in (out / "exports").iterdir() if not p.name.startswith("headline_")
    )
    page = env.get_template("index.html.j2").render(
        title=f"Customer value reports: {params['dataset_name']}",
        cards=cards,
        exports=exports,
        provenance={k: v for k, v in prov.items() if k != "parameters"},
        params=params.table().reset_index().to_dict("records"),
    )
    index = out / "index.html"
    index.write_text(page, encoding="utf-8")
    return index


def _fmt(value: Any, label: str = "") -> str:
    """A number for reading: thousands separated, 3 significant digits, shares in percent."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if "share" in label and isinstance(value, float):
        return f"{value:.1%}"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"
