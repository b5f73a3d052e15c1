"""The notebook kernels: this environment's Python, and one notebook executed in one kernel.

The kernel is **this environment's own Python** (``sys.executable``), whatever kernelspecs are
registered: the notebooks' ``python3`` kernel name resolves to a spec built here, so a fresh
``.venv`` needs no ``ipykernel install`` and a stale user-level ``python3`` spec pointing at
another interpreter is never used (papermill's most reported failure is ``NoSuchKernel`` /
the wrong interpreter in virtualenvs).

Kernels run in a session of their own (jupyter_client starts them so), so a Ctrl-C at the
terminal never reaches them: :class:`Kernels` keeps a run's kernels, and the runner stops them
all at once when it is interrupted.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import signal
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from clvlib.report.errors import KernelStartError
from clvlib.report.pages import NotebookResult, title_of, to_html
from clvlib.report.params import Params

INLINE_BACKEND = "module://matplotlib_inline.backend_inline"


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


class Kernels:
    """The kernels of one run: :meth:`stop` kills them all, and no new one starts after it."""

    def __init__(self) -> None:
        self.stopped = threading.Event()
        self._live: set[Any] = set()
        self._lock = threading.Lock()

    def started(self, manager: Any) -> None:
        """Keep a kernel that has started (killed at once when the run is stopping)."""
        with self._lock:
            self._live.add(manager)
            if self.stopped.is_set():
                _kill(manager)

    def ended(self, manager: Any) -> None:
        """Forget a kernel that is shutting down."""
        with self._lock:
            self._live.discard(manager)

    def stop(self) -> None:
        """Kill every kernel of the run (and what it started); refuse to start new ones."""
        with self._lock:
            self.stopped.set()
            for manager in self._live:
                _kill(manager)


def _kill(manager: Any) -> None:
    """SIGKILL a kernel's process group (its own session: the kernel and its workers)."""
    provisioner = getattr(manager, "provisioner", None)
    try:
        if getattr(provisioner, "pgid", None) and hasattr(os, "killpg"):
            os.killpg(provisioner.pgid, signal.SIGKILL)
        elif getattr(provisioner, "process", None) is not None:
            provisioner.process.kill()
    except OSError:  # gone already
        pass


def kernel_manager_class(
    python: str | None = None,
    *,
    threads: int | None = None,
    env: Mapping[str, str] | None = None,
    kernels: Kernels | None = None,
) -> type:
    """An ``AsyncKernelManager`` whose every kernel name resolves to :func:`kernel_spec`.

    With ``kernels``, every kernel it starts is kept there, so that the run can stop it.
    """
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

        async def start_kernel(self, **kw: Any) -> None:  # noqa: D102
            if kernels is not None and kernels.stopped.is_set():
                raise RuntimeError("the run was interrupted")
            await super().start_kernel(**kw)
            if kernels is not None:
                kernels.started(self)

        async def shutdown_kernel(self, now: bool = False, restart: bool = False) -> None:  # noqa: D102
            if kernels is not None:
                kernels.ended(self)
            await super().shutdown_kernel(now=now, restart=restart)

    ThisPythonKernelManager.python = spec.argv[0]
    ThisPythonKernelManager.kernels = kernels
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


def run_notebook(
    path: Path,
    out: Path,
    params: Params,
    manager: type,
    *,
    timeout: float,
    progress: bool,
    staged: tuple[Path, Path] | None = None,
) -> NotebookResult:
    """Execute the notebook ``path`` into ``out/notebooks/`` and write its two HTML pages.

    ``params`` are injected into its parameters cell; ``manager`` is a class of
    :func:`kernel_manager_class`. Never raises for a notebook's failure: the returned result
    says ``failed`` and its error names the notebook, the cell and the error (a failed cell, a
    timeout, a dead kernel or one that never started, the run interrupted); the partial
    notebook is kept. ``staged`` is ``(staging folder, output folder)`` when ``out`` is in a
    staging folder that will become the output folder: the executed notebook and its pages
    name the output folder, as if the kernel had written there.
    """
    import nbformat
    import papermill
    from papermill.exceptions import PapermillExecutionError

    name = path.stem
    source = nbformat.read(path, as_version=4)
    result = NotebookResult(name=name, title=title_of(source, name))
    executed = out / "notebooks" / f"{name}.ipynb"
    started = time.monotonic()
    error: BaseException | None = None
    kernels = getattr(manager, "kernels", None)
    try:
        if kernels is not None and kernels.stopped.is_set():
            raise _Interrupted
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
    except _Interrupted as e:
        error = e
        result.error = f"{name}.ipynb: not run, the run was interrupted"
    except (RuntimeError, OSError) as e:  # the kernel died, or never answered
        error = e
        if kernels is not None and kernels.stopped.is_set():
            result.error = f"{name}.ipynb: stopped, the run was interrupted"
        cell = _find_cell(executed, "last started")
        if result.error:
            pass
        elif cell[0] == "?":
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
    if staged is not None and executed.exists():
        _rename_folder(executed, *staged)
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


class _Interrupted(Exception):
    """The run was interrupted before this notebook started."""


def _rename_folder(executed: Path, staging: Path, out: Path) -> None:
    """The executed notebook names ``out`` where it named ``staging``: as if run in place.

    Its parameters and papermill's metadata hold the folder; the staging folder's name is
    unique, so nothing else is taken for it.
    """
    text = executed.read_bytes().decode("utf-8")
    for ascii_only in (True, False):  # as JSON spells the paths, escaped or not
        was, now = (json.dumps(str(p), ensure_ascii=ascii_only)[1:-1] for p in (staging, out))
        text = text.replace(was, now)
    executed.write_bytes(text.encode("utf-8"))


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
