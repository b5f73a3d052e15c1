"""Render the report notebooks with papermill into self-contained HTML.

The runner, :func:`render_reports` (``python -m clvlib report``): it executes every notebook
with papermill from this one process, then writes per notebook an HTML page without code
(stakeholders), one with code (analysts) and the executed ``.ipynb``, plus an ``index.html``
with the headline figures, ``provenance.json`` and the notebooks' exports. The helpers the
notebooks call live in :mod:`clvlib.report.notebook`, provenance in :mod:`clvlib.report.provenance`.

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

import copy
import difflib
import json
import os
import platform
import re
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clvlib.report.formatting import BASE_DIR_ENV, OUTPUT_DIR_ENV, format_value, shown_path
from clvlib.report.notebook import RUNNER_ENV
from clvlib.report.params import Params, load_params
from clvlib.report.provenance import PARAMS_FILE_ENV, _provenance_items

PROJECT_ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = PROJECT_ROOT / "notebooks"
TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"

#: the notebook of the verdict across data sets: run once per multi-data-set run, in its folder
VERDICT_NOTEBOOK = "06_verdict_across_data_sets"

#: the list of files a run wrote in its output folder; the next run removes them first
MANIFEST = ".clvlib-manifest.json"

#: the minimum-data gate (domain.md §11), checked once by :func:`check_data` before any kernel
MIN_CUSTOMERS = 100  # customers who bought in the calibration period
MIN_REPEAT_BUYERS = 20  # of them, customers who bought on two days or more
MIN_CALIBRATION_DAYS = 90  # first order to calibration_end: a few months for a retention rate
MIN_HOLDOUT_DAYS = 28  # calibration_end to holdout_end


class ReportError(RuntimeError):
    """A report could not be rendered; the message names the notebook, the cell and the error."""


class KernelStartError(ReportError):
    """The notebook kernel (this environment's Python) could not be started."""


class InputError(ReportError):
    """The data or the arguments cannot make a report: found once, before any kernel starts.

    The command line exits with status 2 on it, as on bad parameters.
    """


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
        result = _run_one(path, out, run_params, manager, timeout=timeout, progress=bars)
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
            f"{_indent(cell[1])}\nThe partially executed notebook is kept at {_kept(executed)}"
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
                f"The partially executed notebook is kept at {_kept(executed)}"
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
        f"{ename}: {evalue}\nThe partially executed notebook is kept at {_kept(executed)}"
    )


def _kept(executed: Path) -> str:
    """Where a partial notebook is, relative to the output folder (no machine path)."""
    return f"{executed.parent.name}/{executed.name} in the output folder"


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


#: cell tags of the page layout: ``answer`` cells open the page, ``appendix`` cells close it
ANSWER_TAG, APPENDIX_TAG = "answer", "appendix"
APPENDIX_SUMMARY = "Appendix: parameters, definitions and provenance"


def arrange(nb: Any) -> Any:
    """The cells in reading order: ``answer`` first, the rest, then ``appendix`` collapsed.

    Cells keep their order within each group. The appendix is wrapped in a ``<details>``
    element (closed: a click opens it) by two layout cells of the template, so a stakeholder
    meets the answer first and the parameters, definitions and provenance last. Returns a copy.
    """
    import nbformat

    nb = copy.deepcopy(nb)

    def tagged(cell: Any, tag: str) -> bool:
        return tag in cell.metadata.get("tags", [])

    answer = [c for c in nb.cells if tagged(c, ANSWER_TAG)]
    appendix = [c for c in nb.cells if tagged(c, APPENDIX_TAG) and not tagged(c, ANSWER_TAG)]
    rest = [c for c in nb.cells if c not in answer and c not in appendix]
    if rest and answer and rest[0].cell_type == "markdown" and rest[0].source.startswith("# "):
        answer.insert(0, rest.pop(0))  # the page title stays on top
    if appendix:  # the template turns these two cells into <details> ... </details>
        opening = {"clvlib_layout": "appendix-open", "clvlib_summary": APPENDIX_SUMMARY}
        appendix = [
            nbformat.v4.new_raw_cell("", metadata=opening),
            *appendix,
            nbformat.v4.new_raw_cell("", metadata={"clvlib_layout": "appendix-close"}),
        ]
    nb.cells = [*answer, *rest, *appendix]
    return nb


def to_html(nb: Any, *, code: bool) -> str:
    """A self-contained HTML page of an executed notebook (figures embedded as base64 PNG).

    ``code=False`` leaves out every input cell and prompt: the page stakeholders read. Both
    pages follow :func:`arrange` (answer first, appendix last and collapsed).
    """
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name="clvlib_html", extra_template_basedirs=[str(TEMPLATE_DIR)], embed_images=True
    )
    nb = arrange(nb)
    if not code:
        exporter.exclude_input = True
        exporter.exclude_input_prompt = True
        exporter.exclude_output_prompt = True
        # code cells that show nothing would still leave empty blocks between the sections
        nb.cells = [c for c in nb.cells if c.cell_type != "code" or c.get("outputs")]
    body, _ = exporter.from_notebook_node(nb)
    return body


def write_index(
    out: Path, results: Iterable[NotebookResult], params: Params, prov: Mapping[str, Any]
) -> Path:
    """Write ``index.html``: one card per notebook (links, headline figures), provenance."""
    env = _templates()
    cards = _cards(out, results)
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


def _templates() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR), autoescape=True, keep_trailing_newline=True
    )


def _cards(out: Path, results: Iterable[NotebookResult]) -> list[dict[str, Any]]:
    """One card per notebook: its result and its headline figures, formatted."""
    cards = []
    for r in results:
        headline = out / "exports" / f"headline_{r.name}.json"
        figures = json.loads(headline.read_text())["figures"] if headline.exists() else {}
        shown = {k: format_value(v, name=k) for k, v in figures.items()}
        cards.append({"result": r, "figures": shown})
    return cards


# --------------------------------------------------------------------------- several data sets


def folder_name(name: str, taken: Iterable[str] = ()) -> str:
    """A safe, unique sub-folder name for a data set: lower-case letters, digits and ``_``."""
    base = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:60] or "data_set"
    taken = set(taken)
    folder, n = base, 2
    while folder in taken:
        folder, n = f"{base}_{n}", n + 1
    return folder


@dataclass
class DataSetRun:
    """One data set of a multi-data-set run: where it went and how it ended."""

    name: str
    folder: str
    params: Params
    status: str = "pending"  # "ok" or "failed"
    error: str = ""
    results: list[NotebookResult] = field(default_factory=list)


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
    return _run_one(path, out, params, manager, timeout=timeout, progress=False)


def write_verdict_index(
    out: Path,
    runs: Sequence[DataSetRun],
    verdict: Mapping[str, Any],
    page: NotebookResult | None,
) -> Path:
    """Write ``index.html`` of a multi-data-set run: the verdict first, then each data set."""
    from datetime import UTC, datetime

    from clvlib.compare import verdict as vd
    from clvlib.report.provenance import git_commit

    table = vd.table(verdict)
    rows, last = [], None
    for (measure, method), cells in table.iterrows():
        rows.append(
            {"measure": measure, "method": method, "cells": list(cells), "first": measure != last}
        )
        last = measure
    by_name = {d["name"]: d for d in verdict["data_sets"]}
    data_sets = [
        {
            **by_name[r.name],
            "error": r.error,
            "cards": _cards(out / r.folder, r.results),
            "customers": format_value(by_name[r.name]["customers"], name="customers"),
        }
        for r in runs
    ]
    html = (
        _templates()
        .get_template("verdict_index.html.j2")
        .render(
            title="Which method finds tomorrow's valuable customers? The verdict across data sets",
            rendered_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M"),
            commit=git_commit() or "unknown",
            sentences=vd.sentences(verdict),
            table_columns=list(table.columns),
            table_rows=rows,
            data_sets=data_sets,
            verdict_page=page.files.get("report") if page is not None else None,
        )
    )
    index = out / "index.html"
    index.write_text(html, encoding="utf-8")
    return index
