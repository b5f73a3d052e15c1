"""Render the report notebooks with papermill into self-contained HTML.

The runner, :func:`render_reports` (``python -m clvlib report``): it executes every notebook
with papermill from this one process, then writes per notebook an HTML page without code
(stakeholders), one with code (analysts) and the executed ``.ipynb``, plus an ``index.html``
with the headline figures, ``provenance.json`` and the notebooks' exports. The kernels and the
execution of one notebook live in :mod:`clvlib.report.kernels`, the pages in
:mod:`clvlib.report.pages`, the helpers the notebooks call in :mod:`clvlib.report.notebook`,
provenance in :mod:`clvlib.report.provenance`.

Layout of the output folder::

    index.html                     links, headline figures, provenance, parameters
    <notebook>.html                report without code
    <notebook>.code.html           report with code
    notebooks/<notebook>.ipynb     executed notebook (kept, partially executed, on failure)
    exports/                       what the notebooks export (headline JSON, metrics, segments)
    provenance.json                data file and SHA-256, parameters, versions, git commit, time
"""

from __future__ import annotations

import difflib
import json
import os
import re
import shutil
import sys
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from clvlib.report.errors import InputError, KernelStartError, ReportError
from clvlib.report.formatting import BASE_DIR_ENV, OUTPUT_DIR_ENV, shown_path
from clvlib.report.kernels import check_kernel, kernel_manager_class, run_notebook
from clvlib.report.notebook import RUNNER_ENV
from clvlib.report.pages import DataSetRun, NotebookResult, write_index, write_verdict_index
from clvlib.report.params import Params, load_params
from clvlib.report.provenance import PARAMS_FILE_ENV, _provenance_items

__all__ = [
    "InputError",
    "KernelStartError",
    "ReportError",
    "check_data",
    "find_notebooks",
    "folder_name",
    "render_data_sets",
    "render_reports",
]

PROJECT_ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = PROJECT_ROOT / "notebooks"

#: the notebook of the verdict across data sets: run once per multi-data-set run, in its folder
VERDICT_NOTEBOOK = "06_verdict_across_data_sets"

#: the list of files a run wrote in its output folder; the next run removes them first
MANIFEST = ".clvlib-manifest.json"

#: the minimum-data gate (domain.md §11), checked once by :func:`check_data` before any kernel
MIN_CUSTOMERS = 100  # customers who bought in the calibration period
MIN_REPEAT_BUYERS = 20  # of them, customers who bought on two days or more
MIN_CALIBRATION_DAYS = 90  # first order to calibration_end: a few months for a retention rate
MIN_HOLDOUT_DAYS = 28  # calibration_end to holdout_end


# --------------------------------------------------------------------------- runner


def find_notebooks(names: Sequence[str | Path] | None = None) -> list[Path]:
    """The report notebooks: all of ``notebooks/`` in order, or the named ones.

    A name is a notebook's stem (``01_data_audit``), its file name, or a path to a notebook.
    """
    available = [
        p for p in sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb")) if p.stem != VERDICT_NOTEBOOK
    ]
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
            close = difflib.get_close_matches(
                str(name).removesuffix(".ipynb"), list(by_stem), n=1, cutoff=0.5
            )
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise InputError(
                f"no notebook {str(name)!r}{hint}; choose from {sorted(by_stem)} "
                "or give a .ipynb path"
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
    validate: bool = True,
) -> Path:
    """Execute the report notebooks with ``params`` and write the HTML reports to ``out_dir``.

    Parameters
    ----------
    params : path or Params
        A parameters file (validated by :func:`~clvlib.report.params.load_params` before anything
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
        Show progress: papermill's per-cell bars on a terminal, else (CI logs) one line per
        finished notebook.
    validate : bool
        Check the data once before any kernel (:func:`check_data`); False only for tests of
        the runner itself on toy data.
    python : str, optional
        Interpreter of the kernels; default this one (``sys.executable``).

    Returns
    -------
    Path
        The ``index.html`` written.

    Raises
    ------
    InputError
        When the data cannot make the reports or a notebook name is unknown (before any
        kernel starts; nothing is written).
    ReportError
        When a notebook fails or times out (naming the notebook, the cell and the error; the
        partially executed notebook is kept) or the kernel cannot start. The other notebooks
        still run and ``index.html`` is still written, marking the failures.
    """
    if not isinstance(params, Params):
        params = load_params(params)
    out = Path(out_dir if out_dir is not None else params["output_dir"]).resolve()
    paths = find_notebooks(notebooks)
    if validate:
        check_data(params)
    check_kernel(python)
    clear_previous_run(out)
    index, results = _render_set(
        params, out, paths, timeout=timeout, jobs=jobs, progress=progress, python=python
    )
    _raise_failures(results)
    return index


def _render_set(
    params: Params,
    out: Path,
    paths: Sequence[Path],
    *,
    timeout: float,
    jobs: int,
    progress: bool,
    python: str | None,
    label: str = "",
) -> tuple[Path, list[NotebookResult]]:
    """Execute ``paths`` into ``out`` (already cleared) and write its index and manifest."""
    run_params = Params(params)
    run_params.source = params.source
    run_params["output_dir"] = str(out)
    before = _files(out)
    (out / "notebooks").mkdir(parents=True, exist_ok=True)
    (out / "exports").mkdir(exist_ok=True)

    jobs = max(1, min(jobs, len(paths)))
    threads = max(1, (os.cpu_count() or 1) // jobs)
    env = {RUNNER_ENV: "1", OUTPUT_DIR_ENV: str(out)}
    if params.source:
        env[PARAMS_FILE_ENV] = params.source
        env[BASE_DIR_ENV] = str(Path(params.source).parent)
    manager = kernel_manager_class(python, threads=threads, env=env)
    bars = progress and sys.stdout.isatty()  # tqdm's cursor codes only on a terminal

    def run(path: Path) -> NotebookResult:
        result = run_notebook(path, out, run_params, manager, timeout=timeout, progress=bars)
        if progress and not bars:  # CI logs: one line per finished notebook
            print(f"{label}{result.name}: {result.status} in {result.seconds:.1f} s", flush=True)
        return result

    try:
        if jobs == 1:
            results = [run(p) for p in paths]
        else:
            with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="clvlib-report") as pool:
                results = list(pool.map(run, paths))

        # the kernels' shared work (clean log, comparison): of no use once they are done
        shutil.rmtree(out / ".cache", ignore_errors=True)
        prov = _provenance_items(run_params)
        prov["parameters"] = dict(run_params)
        (out / "provenance.json").write_text(json.dumps(prov, indent=2) + "\n")
        index = write_index(out, results, run_params, prov)
    finally:
        _write_manifest(out, sorted(_files(out) - before))
    return index, results


def _raise_failures(results: Sequence[NotebookResult]) -> None:
    failed = [r for r in results if r.status != "ok"]
    if failed:
        if all(r.error.startswith("cannot start the notebook kernel") for r in failed):
            raise KernelStartError(failed[0].error)
        raise ReportError("\n\n".join(r.error for r in failed))


def _files(out: Path) -> set[str]:
    """Files under ``out`` (relative POSIX paths), the manifest left out."""
    if not out.is_dir():
        return set()
    return {
        p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file() and p.name != MANIFEST
    }


def _write_manifest(out: Path, files: Sequence[str]) -> None:
    (out / MANIFEST).write_text(json.dumps({"files": list(files)}, indent=1) + "\n")


def clear_previous_run(out: Path) -> list[str]:
    """Remove what the previous run wrote in ``out`` (the files its manifest lists).

    A run owns its output folder: reports, notebooks, exports and index of an earlier run
    (perhaps of another data set) must not sit beside the new ones. Only listed files are
    removed, so files a user put in the folder stay; folders left empty are removed too.
    Returns the removed files.
    """
    manifest = out / MANIFEST
    if not manifest.is_file():
        return []
    try:
        listed = json.loads(manifest.read_text(encoding="utf-8"))["files"]
    except (ValueError, KeyError, TypeError) as e:
        raise InputError(
            f"{manifest} cannot be read ({e}); delete it, and the previous run's files, by hand"
        ) from None
    removed = []
    for name in listed:
        path = (out / name).resolve()
        if path.is_relative_to(out) and path.is_file():
            path.unlink()
            removed.append(name)
    for folder in sorted({(out / n).parent for n in listed}, key=lambda p: -len(p.parts)):
        if folder != out and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    manifest.unlink()
    return removed


def check_data(params: Params) -> None:
    """Check once, before any kernel, that the data can make the reports.

    Loads the data as the notebooks will (:func:`clvlib.report.notebook.load_data`: columns, then
    ``calibration_end`` and ``holdout_end`` inside the data) and applies the minimum-data gate
    of domain.md §11: :data:`MIN_CUSTOMERS` customers who bought in the calibration period,
    :data:`MIN_REPEAT_BUYERS` of them on two days or more, :data:`MIN_CALIBRATION_DAYS` days
    of calibration, :data:`MIN_HOLDOUT_DAYS` days of holdout and at least as many customers
    as ``n_clusters``.

    Raises
    ------
    InputError
        Naming the file, the figure found and the minimum, every problem at once.
    """
    import pandas as pd

    from clvlib.data import log as _tx
    from clvlib.data.summary import active_periods
    from clvlib.report.notebook import load_data

    try:
        tx, _, _ = load_data(params, share=False)  # lazy: the runner never holds the lines
    except ValueError as e:  # SchemaError, dates outside the data, a bad customer table
        raise InputError(str(e)) from None
    path = shown_path(params["data_path"], Path(params.source).parent if params.source else None)
    cal, hold = pd.Timestamp(params["calibration_end"]), pd.Timestamp(params["holdout_end"])
    bought = active_periods(tx, observation_end=cal, period="D")  # purchase days, by the engine
    per_customer = bought["customer_id"].value_counts()  # purchase days per customer
    first_day = _tx.stats(tx)["first"].normalize()
    found = {
        "customers who bought in the calibration period": (len(per_customer), MIN_CUSTOMERS),
        "of them, repeat buyers (two purchase days or more)": (
            int((per_customer >= 2).sum()),
            MIN_REPEAT_BUYERS,
        ),
        "calibration days (first order to calibration_end)": (
            (cal - first_day).days + 1,
            MIN_CALIBRATION_DAYS,
        ),
        "holdout days (calibration_end to holdout_end)": ((hold - cal).days, MIN_HOLDOUT_DAYS),
    }
    if params["n_clusters"] != "auto":  # 'auto' picks k among those the data supports
        found["customers for n_clusters"] = (len(per_customer), int(params["n_clusters"]))
    problems = [
        f"{what}: {n:,}, at least {need:,} needed" for what, (n, need) in found.items() if n < need
    ]
    if problems:
        raise InputError(
            f"{path} has too little data for the reports (domain.md §11): " + "; ".join(problems)
        )


# --------------------------------------------------------------------------- several data sets


def folder_name(name: str, taken: Iterable[str] = ()) -> str:
    """A safe, unique sub-folder name for a data set: lower-case letters, digits and ``_``."""
    base = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:60] or "data_set"
    taken = set(taken)
    folder, n = base, 2
    while folder in taken:
        folder, n = f"{base}_{n}", n + 1
    return folder


def render_data_sets(
    params: Sequence[str | Path | Params],
    out_dir: str | Path,
    *,
    notebooks: Sequence[str | Path] | None = None,
    timeout: float = 600.0,
    jobs: int = 2,
    progress: bool = True,
    python: str | None = None,
    validate: bool = True,
) -> Path:
    """Render each data set's reports into a sub-folder of ``out_dir``, then the verdict.

    Writes ``out_dir/<data set>/`` (the layout of :func:`render_reports`, folder named by
    :func:`folder_name` of ``dataset_name``), ``verdict.json`` (:mod:`clvlib.compare.verdict`), the
    page of notebook 06 (the verdict for analysts) and ``index.html``: the verdict across
    data sets first, then each data set's cards. Data sets render in parallel, at most
    ``jobs`` notebooks at a time in all. A data set whose data fails the gate or whose
    notebook fails is marked failed; the others still count.

    Returns
    -------
    Path
        ``out_dir/index.html``.

    Raises
    ------
    InputError
        Two parameter files with the same ``dataset_name`` or unknown notebook names
        (before anything runs).
    ReportError
        After everything is written, when a data set failed (naming it and the error).
    """
    from clvlib.compare import verdict as vd

    loaded = [p if isinstance(p, Params) else load_params(p) for p in params]
    names = [p["dataset_name"] for p in loaded]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise InputError(
            f"dataset_name {repeated} appears in more than one parameters file: give each data "
            "set its own name (it names its folder and its column of the verdict)"
        )
    out = Path(out_dir).resolve()
    paths = find_notebooks(notebooks)
    check_kernel(python)
    clear_previous_run(out)
    before = _files(out)
    out.mkdir(parents=True, exist_ok=True)
    runs: list[DataSetRun] = []
    for p in loaded:
        folder = folder_name(p["dataset_name"], (r.folder for r in runs))
        runs.append(DataSetRun(p["dataset_name"], folder, p))
    workers = max(1, min(jobs, len(runs)))
    per_set = max(1, jobs // workers)

    def render(run: DataSetRun) -> DataSetRun:
        sub = out / run.folder
        try:
            if validate:
                check_data(run.params)
            _, run.results = _render_set(
                run.params,
                sub,
                paths,
                timeout=timeout,
                jobs=per_set,
                progress=progress,
                python=python,
                label=f"{run.folder}/",
            )
            _raise_failures(run.results)
            run.status = "ok"
        except ReportError as e:
            run.status, run.error = "failed", str(e)
        if progress and not sys.stdout.isatty():
            print(f"{run.folder}: {run.status}", flush=True)
        return run

    try:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="clvlib-set") as pool:
            runs = list(pool.map(render, runs))
        entries = [
            vd.read_data_set(out / r.folder, r.name)
            if r.status == "ok"
            else vd.failed_data_set(r.name, r.error, folder=r.folder)
            for r in runs
        ]
        for r, entry in zip(runs, entries, strict=True):
            if entry["status"] != "ok" and r.status == "ok":
                r.status, r.error = "failed", entry["error"]
        verdict = vd.build(entries)
        vd.to_json(verdict, out / "verdict.json")
        page = _render_verdict_notebook(runs, out, timeout=timeout, python=python)
        index = write_verdict_index(out, runs, verdict, page)
    finally:
        _write_manifest(out, sorted(_files(out) - before))
    failed = [r for r in runs if r.status != "ok"]
    if page is not None and page.status != "ok":
        failed_page = f"{VERDICT_NOTEBOOK}: {page.error}"
    else:
        failed_page = ""
    if failed or failed_page:
        raise ReportError(
            "\n\n".join(
                [*(f"data set {r.name!r} failed:\n{r.error}" for r in failed), failed_page]
            ).strip()
        )
    return index


def _render_verdict_notebook(
    runs: Sequence[DataSetRun], out: Path, *, timeout: float, python: str | None
) -> NotebookResult | None:
    """Notebook 06 once in ``out`` (with the first rendered data set's parameters), as HTML."""
    ok = [r for r in runs if r.status == "ok"]
    path = NOTEBOOK_DIR / f"{VERDICT_NOTEBOOK}.ipynb"
    if not ok or not path.is_file():
        return None
    params = Params(ok[0].params)
    params.source = ok[0].params.source
    params["output_dir"] = str(out)
    env = {RUNNER_ENV: "1", OUTPUT_DIR_ENV: str(out)}
    if params.source:
        env[PARAMS_FILE_ENV] = params.source
        env[BASE_DIR_ENV] = str(Path(params.source).parent)
    manager = kernel_manager_class(python, threads=1, env=env)
    (out / "notebooks").mkdir(exist_ok=True)
    return run_notebook(path, out, params, manager, timeout=timeout, progress=False)
