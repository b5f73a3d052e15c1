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
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from clvlib.report import folder, reuse
from clvlib.report.errors import InputError, KernelStartError, ReportError
from clvlib.report.exports import RUNNER_ENV
from clvlib.report.folder import MANIFEST
from clvlib.report.formatting import BASE_DIR_ENV, OUTPUT_DIR_ENV, shown_path
from clvlib.report.kernels import Kernels, check_kernel, kernel_manager_class, run_notebook
from clvlib.report.pages import DataSetRun, NotebookResult, write_index, write_verdict_index
from clvlib.report.params import PARAMS, Params, load_params
from clvlib.report.provenance import PARAMS_FILE_ENV, _provenance_items

__all__ = [
    "MANIFEST",
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
#: the notebook whose export (comparison_metrics.json) the verdict across data sets is built from
COMPARISON_NOTEBOOK = "05_method_comparison"

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
    force: bool = False,
    fresh: bool = False,
) -> Path:
    """Execute the report notebooks with ``params`` and write the HTML reports to ``out_dir``.

    The run renders into a staging folder beside ``out_dir`` and puts it in place when it
    ends (:mod:`clvlib.report.folder`): interrupted or killed, it leaves the previous report
    as it was.

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
    force : bool
        Write into a folder that holds files no clvlib run wrote (beside them, never over
        them); without it such a folder is refused.
    fresh : bool
        Execute every notebook. By default a page of the last run into ``out_dir`` whose
        notebook, data, the parameters it read and clvlib are unchanged is reused
        (:mod:`clvlib.report.reuse`).

    Returns
    -------
    Path
        The ``index.html`` written.

    Raises
    ------
    InputError
        When the data cannot make the reports, a notebook name is unknown or ``out_dir`` is
        not a folder the runner owns (before any kernel starts; nothing is written).
    ReportError
        When a notebook fails or times out (naming the notebook, the cell and the error; the
        partially executed notebook is kept) or the kernel cannot start. The other notebooks
        still run and the run is still put in place, its ``index.html`` marking the failures
        and its manifest saying ``failed``.
    KeyboardInterrupt
        On Ctrl-C: the kernels are stopped, the staging folder removed, ``out_dir`` untouched.
    """
    if not isinstance(params, Params):
        params = load_params(params)
    out = Path(out_dir if out_dir is not None else params["output_dir"]).resolve()
    paths = find_notebooks(notebooks)
    folder.check_out(out, writes=_writes(paths), force=force)
    checked = check_data(params, last=None if fresh else out) if validate else None
    check_kernel(python)
    kernels = Kernels()
    with folder.staged(out) as staging:
        results = _render_set(
            params,
            staging,
            paths,
            shown=(staging, out),
            kernels=kernels,
            timeout=timeout,
            jobs=jobs,
            progress=progress,
            python=python,
            fresh=fresh,
            checked=checked,
        )
        ok = all(r.status == "ok" for r in results)
        folder.commit(staging, out, status="ok" if ok else "failed")
    _raise_failures(results)
    return out / "index.html"


def _writes(paths: Sequence[Path]) -> list[str]:
    """The files a run of ``paths`` writes that are known before it runs."""
    pages = [f"{p.stem}{suffix}" for p in paths for suffix in (".html", ".code.html")]
    return ["index.html", "provenance.json", *pages, *(f"notebooks/{p.name}" for p in paths)]


def _in_threads(
    work: Callable[[Any], Any], items: Sequence[Any], *, workers: int, kernels: Kernels, name: str
) -> list[Any]:
    """``[work(item) for item in items]`` in ``workers`` threads; Ctrl-C stops the kernels.

    The main thread only waits, so that a Ctrl-C (KeyboardInterrupt, raised in the main
    thread) is seen at once: every kernel of the run is killed, so the notebooks in the
    threads end within a second or two, the ones not started never start, and the
    interruption goes on once the threads have ended (nothing writes into the folder after).
    """
    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix=name)
    try:
        futures = [pool.submit(work, item) for item in items]
        return [f.result() for f in futures]
    except BaseException:
        kernels.stop()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _run_params(params: Params, output_dir: Path) -> Params:
    """``params`` with ``output_dir`` set (and the file they came from kept)."""
    run_params = Params(params)
    run_params.source = params.source
    run_params["output_dir"] = str(output_dir)
    return run_params


def _manager(
    params: Params,
    out: Path,
    python: str | None,
    threads: int,
    kernels: Kernels,
    *,
    ledger: Path | None = None,
) -> type:
    """The kernel manager of a notebook writing into ``out`` (``ledger``: its page's record)."""
    env = {RUNNER_ENV: "1", OUTPUT_DIR_ENV: str(out)}
    if ledger is not None:
        env[reuse.LEDGER_ENV] = str(ledger)
    if params.source:
        env[PARAMS_FILE_ENV] = params.source
        env[BASE_DIR_ENV] = str(Path(params.source).parent)
    return kernel_manager_class(python, threads=threads, env=env, kernels=kernels)


def _render_set(
    params: Params,
    out: Path,
    paths: Sequence[Path],
    *,
    shown: tuple[Path, Path],
    kernels: Kernels,
    timeout: float,
    jobs: int,
    progress: bool,
    python: str | None,
    label: str = "",
    fresh: bool = False,
    checked: list[str] | None = None,
) -> list[NotebookResult]:
    """Execute ``paths`` into ``out`` (in the staging folder) and write its index.

    ``shown`` is ``(staging folder, output folder)``: the kernels write into the staging
    folder; the pages, the executed notebooks and ``provenance.json`` name the output folder.
    ``checked``: the parameters :func:`check_data` read, when it checked the data in this run.
    """
    run_params = _run_params(params, out)
    staging, final = shown
    shown_params = _run_params(params, final / out.relative_to(staging))
    (out / "notebooks").mkdir(parents=True, exist_ok=True)
    (out / "exports").mkdir(exist_ok=True)

    jobs = max(1, min(jobs, len(paths)))
    threads = max(1, (os.cpu_count() or 1) // jobs)
    bars = progress and sys.stdout.isatty()  # tqdm's cursor codes only on a terminal
    # the pages of the last run into the same folder, reused where nothing they read changed
    last = final / out.relative_to(staging)
    before = {} if fresh else reuse.previous_pages(last)
    pages: dict[str, Any] = {}
    started = time.time()
    if not fresh:  # the shared results of the last run, used again where their key matches
        reuse.carry_cache(last / ".cache", out / ".cache")
    if checked is not None:  # the next run into the folder skips the check if nothing changed
        reuse.record_check(out / ".cache", params, checked)
    ledgers = out / ".cache" / "ledgers"
    ledgers.mkdir(parents=True, exist_ok=True)

    def run(path: Path) -> NotebookResult:
        if reuse.reusable(before.get(path.stem), path, run_params, last):
            page = pages[path.stem] = before[path.stem]
            reuse.copy_page(page, last, out)
            result = NotebookResult(
                path.stem, page["title"], "ok", files=dict(page["result"]), reused=True
            )
            if progress:
                print(f"{label}{result.name}: unchanged since the last run, reused", flush=True)
            return result
        ledger = ledgers / f"{path.stem}.txt"
        manager = _manager(params, out, python, threads, kernels, ledger=ledger)
        result = run_notebook(
            path, out, run_params, manager, timeout=timeout, progress=bars, staged=shown
        )
        if result.status == "ok":
            pages[path.stem] = _page_record(path, out, run_params, result, ledger)
        if progress and not bars:  # CI logs: one line per finished notebook
            print(f"{label}{result.name}: {result.status} in {result.seconds:.1f} s", flush=True)
        return result

    # the comparison notebook starts beside the first one (not after every other): it computes
    # the rolling origins while the executive summary fits the report's comparison, two
    # comparisons at once instead of one after the other on the run's longest path
    first = sorted(range(len(paths)), key=lambda i: (i > 0, paths[i].stem != COMPARISON_NOTEBOOK))
    started_in_order = _in_threads(
        run, [paths[i] for i in first], workers=jobs, kernels=kernels, name="clvlib-report"
    )
    results = [started_in_order[first.index(i)] for i in range(len(paths))]
    # the kernels' shared work (clean log, comparison): kept for the next run into the
    # folder where this run wrote or used it (its keys say when it still holds)
    reuse.prune_cache(out / ".cache", since=started)
    (out / reuse.PAGES_FILE).write_text(json.dumps(pages, indent=1, sort_keys=True) + "\n")
    prov = _provenance_items(shown_params)
    prov["parameters"] = dict(shown_params)
    (out / "provenance.json").write_text(json.dumps(prov, indent=2) + "\n")
    write_index(out, results, shown_params, prov)
    return results


def _page_record(
    path: Path, out: Path, params: Params, result: NotebookResult, ledger: Path
) -> dict[str, Any]:
    """What the page of ``path`` was made from and wrote (:mod:`clvlib.report.reuse`)."""
    reads, written = reuse.read_ledger(ledger)
    reads |= reuse.names_used(path)
    written |= set(result.files.values())
    files = set()
    for name in written:  # an export folder (k-means' cache) brings its files
        found = out / name
        if found.is_dir():
            files |= {p.relative_to(out).as_posix() for p in found.rglob("*") if p.is_file()}
        elif found.is_file():
            files.add(name)
    return {
        "key": reuse.page_key(path, params, reads),
        "reads": sorted(reads),
        "files": sorted(files),
        "title": result.title,
        "result": dict(result.files),
    }


def _raise_failures(results: Sequence[NotebookResult]) -> None:
    failed = [r for r in results if r.status != "ok"]
    if failed:
        if all(r.error.startswith("cannot start the notebook kernel") for r in failed):
            raise KernelStartError(failed[0].error)
        raise ReportError("\n\n".join(r.error for r in failed))


def check_data(params: Params, *, last: Path | None = None) -> list[str] | None:
    """Check once, before any kernel, that the data can make the reports.

    Loads the data as the notebooks will (:func:`clvlib.report.notebook.load_data`: columns, then
    ``calibration_end`` and ``holdout_end`` inside the data) and applies the minimum-data gate
    of the split (:func:`clvlib.compare.split.data_problems`). Skipped when the last run into
    the folder ``last`` checked the same data files with the same parameters and clvlib
    (:func:`clvlib.report.reuse.checked_before`).

    Returns the parameters the check read (None when it was skipped).

    Raises
    ------
    InputError
        Naming the file, the figure found and the minimum, every problem at once.
    """
    if last is not None and reuse.checked_before(last, params):
        return None
    # imported past the skip: a run that reuses its check never loads the data layer (1 s)
    from clvlib.compare.split import Split, data_problems
    from clvlib.report.notebook import load_data
    from clvlib.report.params import RecordedParams
    from clvlib.vocabulary import currency, use_currency

    seen = RecordedParams(dict.items(params))
    seen.source = params.source
    try:
        # lazy: the runner never holds the lines; the page's currency that load_data sets is a
        # kernel's, not the calling process's (its own money formatting stays as it was)
        with use_currency(currency()):
            tx, _, _ = load_data(seen, share=False)
    except ValueError as e:  # SchemaError, dates outside the data, a bad customer table
        raise InputError(str(e)) from None
    path = shown_path(params["data_path"], Path(params.source).parent if params.source else None)
    problems = data_problems(tx, Split.from_params(seen), n_clusters=seen["n_clusters"])
    if problems:
        raise InputError(f"{path} has too little data for the reports: " + "; ".join(problems))
    used = seen.used()
    return list(PARAMS) if used is None else used


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
    force: bool = False,
    fresh: bool = False,
) -> Path:
    """Render each data set's reports into a sub-folder of ``out_dir``, then the verdict.

    Writes ``out_dir/<data set>/`` (the layout of :func:`render_reports`, folder named by
    :func:`folder_name` of ``dataset_name``), ``verdict.json`` (:mod:`clvlib.compare.verdict`), the
    page of notebook 06 (the verdict for analysts) and ``index.html``: the verdict across
    data sets first, then each data set's cards. Data sets render in parallel, at most
    ``jobs`` notebooks at a time in all. A data set whose data fails the gate or whose
    notebook fails is marked failed; the others still count. The whole run renders into one
    staging folder, put in place when it ends (as :func:`render_reports`; ``force`` and
    ``fresh`` as there). When ``notebooks`` leave out the method comparison
    (:data:`COMPARISON_NOTEBOOK`), the verdict across data sets is skipped (the index says
    why; no ``verdict.json``) and the data sets count as rendered.

    Returns
    -------
    Path
        ``out_dir/index.html``.

    Raises
    ------
    InputError
        Two parameter files with the same ``dataset_name`` or unknown notebook names
        (before anything runs); every data set's data or parameters refused by
        :func:`check_data` (each named with its message; nothing is written).
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
    runs: list[DataSetRun] = []
    for p in loaded:
        sub = folder_name(p["dataset_name"], (r.folder for r in runs))
        runs.append(DataSetRun(p["dataset_name"], sub, p))
    verdict_page = [f"{VERDICT_NOTEBOOK}{s}" for s in (".html", ".code.html", ".ipynb")]
    writes = ["index.html", "verdict.json", *verdict_page[:2], f"notebooks/{verdict_page[2]}"]
    writes += [f"{r.folder}/{name}" for r in runs for name in _writes(paths)]
    folder.check_out(out, writes=writes, force=force)
    check_kernel(python)
    kernels = Kernels()
    workers = max(1, min(jobs, len(runs)))
    per_set = max(1, jobs // workers)
    refused: dict[str, str] = {}  # data sets whose data check_data refused: their message
    skipped = (
        None
        if any(p.stem == COMPARISON_NOTEBOOK for p in paths)
        else f"The verdict across data sets is skipped: it is built from {COMPARISON_NOTEBOOK}, "
        "which was not among the notebooks rendered (--notebooks)."
    )

    with folder.staged(out) as staging:

        def render(run: DataSetRun) -> DataSetRun:
            sub = staging / run.folder
            try:
                checked = None
                if validate:
                    try:
                        checked = check_data(run.params, last=None if fresh else out / run.folder)
                    except InputError as e:
                        refused[run.name] = str(e)
                        raise
                run.results = _render_set(
                    run.params,
                    sub,
                    paths,
                    shown=(staging, out),
                    kernels=kernels,
                    timeout=timeout,
                    jobs=per_set,
                    progress=progress,
                    python=python,
                    checked=checked,
                    label=f"{run.folder}/",
                    fresh=fresh,
                )
                _raise_failures(run.results)
                run.status = "ok"
            except ReportError as e:
                run.status, run.error = "failed", str(e)
            if sub.is_dir():  # its own manifest: the folder is a run's, rendered again alone
                folder.write_manifest(sub, run.status)
            if progress and not sys.stdout.isatty():
                print(f"{run.folder}: {run.status}", flush=True)
            return run

        runs = _in_threads(render, runs, workers=workers, kernels=kernels, name="clvlib-set")
        if len(refused) == len(runs):  # nothing to render: as one data set's refused data
            raise InputError("\n\n".join(f"data set {r.name!r}: {refused[r.name]}" for r in runs))
        entries = [
            vd.read_data_set(staging / r.folder, r.name, currency=r.params.get("currency") or "")
            if r.status == "ok" and skipped is None
            else {**vd.failed_data_set(r.name, r.error, folder=r.folder), "status": r.status}
            for r in runs
        ]
        for r, entry in zip(runs, entries, strict=True):
            if entry["status"] != "ok" and r.status == "ok":
                r.status, r.error = "failed", entry["error"]
        verdict: dict[str, Any] = {"data_sets": entries}  # what the index shows of each
        page = None
        if skipped is None:
            verdict = vd.build(entries)
            vd.to_json(verdict, staging / "verdict.json")
            page = _render_verdict_notebook(
                runs, staging, out, timeout=timeout, python=python, kernels=kernels
            )
        else:
            print(skipped, flush=True)
        write_verdict_index(staging, runs, verdict, page, skipped=skipped)
        failed = [r for r in runs if r.status != "ok"]
        page_ok = page is None or page.status == "ok"
        folder.commit(staging, out, status="ok" if page_ok and not failed else "failed")
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
    return out / "index.html"


def _render_verdict_notebook(
    runs: Sequence[DataSetRun],
    staging: Path,
    out: Path,
    *,
    timeout: float,
    python: str | None,
    kernels: Kernels,
) -> NotebookResult | None:
    """Notebook 06 once in ``staging`` (with the first rendered data set's parameters)."""
    ok = [r for r in runs if r.status == "ok"]
    path = NOTEBOOK_DIR / f"{VERDICT_NOTEBOOK}.ipynb"
    if not ok or not path.is_file():
        return None
    params = _run_params(ok[0].params, staging)
    manager = _manager(params, staging, python, 1, kernels)
    (staging / "notebooks").mkdir(exist_ok=True)

    def run(_: Any) -> NotebookResult:
        return run_notebook(
            path, staging, params, manager, timeout=timeout, progress=False, staged=(staging, out)
        )

    return _in_threads(run, [None], workers=1, kernels=kernels, name="clvlib-verdict")[0]
