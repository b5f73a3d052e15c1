"""Helpers the report notebooks call, so that a notebook stays one clvlib call per cell.

Reached as ``clvlib.notebook`` (not the top-level namespace): these functions take the
report parameters and return what a report page shows (Markdown, tables, headline figures).
The logic they call lives in the rest of the package and is tested there.

This module loads the data and sets the display; the rest is split by concern and
re-exported here:

- :mod:`clvlib.report.exports`: where a run writes (exports, headline figures);
- :mod:`clvlib.report.cache`: files shared between the kernels of one run;
- :mod:`clvlib.report.fitting`: parameters to fitted methods and comparisons;
- :mod:`clvlib.report.figures`: the log in numbers, tables and headline figures;
- :mod:`clvlib.report.winners`: who wins each measure, by the one winner rule;
- :mod:`clvlib.report.money`: money forecasts in total, and the cut-offs counted;
- :mod:`clvlib.report.answers`: the prose that opens each page;
- :mod:`clvlib.report.guides`: the two sentences under each figure or table (how to read
  it, so what).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from clvlib.data.reading import load_customers
from clvlib.report.answers import (
    audit_answer,
    cluster_answer,
    cluster_heading,
    comparison_answer,
    comparison_caveats,
    comparison_so_what,
    executive_summary,
    group_heading,
    heuristic_answer,
    policy_recommendation,
    segment_answer,
    verdict_across,
    verdict_sentences,
    verdict_table,
    verdict_tables,
)
from clvlib.report.cache import cache_path, data_fingerprint, shared_log, shared_result
from clvlib.report.exports import RUNNER_ENV, export_path, save_headline
from clvlib.report.figures import (
    audit_examples,
    audit_figures,
    audit_table,
    channel_table,
    cluster_figures,
    cluster_table,
    comparison_figures,
    cumulative_transactions,
    data_overview,
    decile_figures,
    decile_table,
    discount_analysis,
    executive_figures,
    group_column,
    heuristic_figures,
    heuristic_retention,
    key_metrics,
    lead_intervals,
    log_facts,
    metric_matrix,
    playbook_table,
    policy_table,
    segment_figures,
    segment_profile,
    sensitivity_table,
    worked_example,
)
from clvlib.report.fitting import (
    average_levers,
    cluster_settings,
    fit_clusters,
    heuristic_clv_frame,
    heuristic_holdout_check,
    heuristic_model,
    predicted_clv,
    report_settings,
    rolling_comparison,
    rule_set_coverage,
    run_comparison,
    segment_customers,
    simulated_truth,
)
from clvlib.report.formatting import shown_path
from clvlib.report.guides import cluster_guides, executive_guides, guide
from clvlib.report.money import (
    cutoffs_text,
    forecast_totals_table,
    forecast_totals_text,
    verdict_cutoffs,
    verdict_totals,
)
from clvlib.report.provenance import file_sha256, parameters_used, provenance
from clvlib.report.winners import (
    behind_the_best,
    measure_winners,
    pair_differences,
    who_is_ahead,
    winner_stability,
)

__all__ = [
    "cluster_guides",
    "cluster_heading",
    "cluster_table",
    "executive_guides",
    "guide",
    "worked_example",
    "sensitivity_table",
    "audit_answer",
    "audit_examples",
    "audit_figures",
    "audit_table",
    "channel_table",
    "decile_table",
    "average_levers",
    "cluster_answer",
    "cluster_figures",
    "comparison_answer",
    "comparison_caveats",
    "comparison_so_what",
    "comparison_figures",
    "cumulative_transactions",
    "customer_audit",
    "cluster_settings",
    "data_overview",
    "decile_figures",
    "discount_analysis",
    "executive_figures",
    "executive_summary",
    "export_path",
    "fit_clusters",
    "group_column",
    "group_heading",
    "heuristic_answer",
    "heuristic_clv_frame",
    "heuristic_figures",
    "heuristic_holdout_check",
    "heuristic_model",
    "heuristic_retention",
    "key_metrics",
    "lead_intervals",
    "load_customers",
    "playbook_table",
    "segment_profile",
    "policy_recommendation",
    "policy_table",
    "load_data",
    "log_facts",
    "metric_matrix",
    "shared_log",
    "cache_path",
    "data_fingerprint",
    "notebook_display",
    "predicted_clv",
    "parameters_used",
    "provenance",
    "report_settings",
    "rolling_comparison",
    "rule_set_coverage",
    "run_comparison",
    "save_headline",
    "segment_answer",
    "segment_customers",
    "segment_figures",
    "simulated_truth",
    "verdict_across",
    "verdict_sentences",
    "verdict_table",
    "verdict_tables",
    "measure_winners",
    "behind_the_best",
    "pair_differences",
    "who_is_ahead",
    "winner_stability",
    "cutoffs_text",
    "forecast_totals_table",
    "forecast_totals_text",
    "verdict_cutoffs",
    "verdict_totals",
]


def notebook_display(precision: int = 3) -> None:
    """Display settings of the report notebooks: one formatter for every table and value.

    Installs :func:`clvlib.report.formatting.install`: DataFrames, Series, dicts, tuples, paths and
    scalars are shown as formatted HTML (money, percentages, no scientific notation, escaped
    text, full cells). The plain-text fallbacks (the analysts' view) show ``precision``
    decimals and every column, and figures are drawn at a size that reads in the HTML reports.
    """
    import matplotlib as mpl
    from IPython import get_ipython

    from clvlib.report import formatting as present

    pd.set_option("display.precision", precision)
    pd.set_option("display.max_columns", None)
    pd.set_option("display.max_colwidth", None)
    pd.set_option("display.width", 120)
    mpl.rcParams.update({"figure.figsize": (8.0, 4.5), "figure.dpi": 100})
    shell = get_ipython()
    if shell is not None:
        shell.run_line_magic("precision", str(precision))
        present.install(shell)


def load_data(
    params: Mapping[str, Any], *, share: bool = True
) -> tuple[Any, Any, pd.DataFrame | None]:
    """Load the order log (and customer table) the parameters point at.

    Returns ``(tx, audit, customers)``: the clean log, the :class:`~clvlib.data.reading.LoadAudit`
    accounting for every input row, and the customer table (``None`` when
    ``customers_path`` is ''). The loader keys of the parameters (``columns``, ``sep``,
    ``encoding``, ``date_format``, ``sheet_name``, ``drop_duplicates``) are passed on; the
    customer table is read with the same ``sep``, ``encoding``, ``date_format``,
    ``decimal`` and ``thousands``, its ids of the log's kind, and is an error when none of
    them is a customer of the log (:func:`clvlib.data.customers.load_customers`). Checks
    that ``calibration_end`` and ``holdout_end`` fall inside the data, so a report never
    silently scores an empty period.

    The log is loaded lazily (``load_transactions(..., lazy=True)``). In the runner's kernels
    its clean lines are written once per run to a Parquet file under :func:`cache_path`,
    shared by the kernels with the audit: ``tx`` is an ``ibis.Table`` reading that file, so
    that no kernel holds the lines in memory and none repeats the loader's cleaning
    (:func:`shared_log`). Outside them (a notebook run by hand), or with ``share=False`` (the
    runner's one check of the data, before any kernel), ``tx`` is the loader's lazy table.
    ``data_format: online_retail`` (a fixed-size public file) is loaded as a DataFrame.
    """
    from clvlib.compare.split import Split
    from clvlib.data import log as _tx
    from clvlib.data import reading as io
    from clvlib.report.params import loader_options
    from clvlib.vocabulary import set_currency

    set_currency(params.get("currency", ""))  # every money figure of the page carries it
    path = params["data_path"]
    options = loader_options(params)
    if params["data_format"] == "online_retail":
        tx, audit = io.load_online_retail(path)
    else:
        if _shared_in_run(share):
            tx, audit = shared_log(
                params,
                key=[file_sha256(path), options],
                load=lambda: io.load_transactions(path, lazy=True, **options),
            )
        else:
            tx, audit = io.load_transactions(path, lazy=True, **options)
    customers = None
    if params["customers_path"]:  # read as the log is, its ids of the log's kind
        customers, _ = _read_customers(params, tx, share=share)
    span = _tx.stats(tx)
    try:  # the split's one check against the log's span, the file named
        Split.from_params(params).check(span["first"], span["last"])
    except ValueError as error:
        source = getattr(params, "source", None)  # the runner's Params: relative to its file
        shown = shown_path(params["data_path"], Path(source).parent if source else None)
        raise ValueError(f"{shown}: {error}") from None
    return tx, audit, customers


def _shared_in_run(share: bool) -> bool:
    """Whether the log and the customer table are read once per run and shared.

    In the runner's kernels only (a run by hand leaves no cache behind), unless ``share`` is
    False (the runner's own check of the data, before any kernel).
    """
    return share and bool(os.environ.get(RUNNER_ENV))


def _read_customers(
    params: Mapping[str, Any], tx: Any, *, share: bool = True
) -> tuple[pd.DataFrame, Any]:
    """The customer table of ``customers_path`` and its audit, read with the log's options.

    Shared like the log (:func:`_shared_in_run`): keyed by the table's file and the log's
    key (its file, format and the loader options), as its ids take the log's kind.
    """
    from clvlib.report.params import loader_options

    options = loader_options(params)
    keys = ("sep", "encoding", "date_format", "decimal", "thousands")
    text = {k: options[k] for k in keys if k in options}
    path = params["customers_path"]

    def read() -> tuple[pd.DataFrame, Any]:
        return load_customers(path, log=tx, **text)

    if not _shared_in_run(share):
        return read()
    log = [file_sha256(params["data_path"]), params["data_format"], options]
    return shared_result(params, "customers", [file_sha256(path), log], read)


def customer_audit(params: Mapping[str, Any], *, tx: Any) -> Any:
    """What became of the customer table's rows, in words: one call for report 01.

    The :class:`~clvlib.data.customers.CustomerAudit` of the table that :func:`load_data`
    reads (``customers_path``, with the log's options and ids of the log's kind), as
    :func:`~clvlib.report.figures.customer_audit_facts` shows it; a sentence when the
    parameters name no customer table.
    """
    from IPython.display import Markdown

    from clvlib.report.figures import customer_audit_facts

    if not params["customers_path"]:
        return Markdown(
            "*No customer table was given in the parameters: sign-up dates, "
            "acquisition channels and costs, and people who signed up but never bought, "
            "are unknown.*"
        )
    _, audit = _read_customers(params, tx)
    return customer_audit_facts(audit)
