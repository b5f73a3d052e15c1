"""Re-render only what changed: a page whose inputs are unchanged is taken from the last run.

A run records, for each notebook it executed, what the page was made from
(``.clvlib-pages.json`` in the set's folder): the parameters the notebook read (recorded by
its kernel as they are read, :class:`clvlib.report.params.RecordedParams`, plus the
parameter names its code cells use directly), the files it wrote (its pages, the executed
notebook, its exports) and a key over everything the page depends on (:func:`page_key`):
the notebook's source, clvlib's own files and the versions of the libraries that compute and
draw, the values of the parameters read, and the bytes of every file those parameters name
(the order log, the customer table, a rule-set file).

The next run into the same folder copies a page whose key is unchanged instead of executing
its notebook again; any change to what the page read, to the data, to the notebook or to
clvlib re-renders it. ``--fresh`` (``fresh=True``) re-renders every page. A parameter read in
a way the kernel cannot see one key at a time (the whole mapping copied or iterated) counts as
reading them all: the record errs towards re-rendering, never towards a stale page.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import shutil
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from clvlib.report.ledger import ALL as _ALL
from clvlib.report.ledger import LEDGER_ENV
from clvlib.report.params import PARAMS
from clvlib.report.provenance import _version, file_sha256

__all__ = [
    "LEDGER_ENV",
    "PAGES_FILE",
    "CHECK_FILE",
    "carry_cache",
    "checked_before",
    "code_key",
    "copy_page",
    "names_used",
    "page_key",
    "previous_pages",
    "prune_cache",
    "record_check",
    "read_ledger",
    "reusable",
]

#: what each page of a set was made from, in the set's folder
PAGES_FILE = ".clvlib-pages.json"
#: the libraries whose version changes what a page computes or draws
_LIBRARIES = (
    "pandas",
    "numpy",
    "scipy",
    "scikit-learn",
    "matplotlib",
    "duckdb",
    "ibis-framework",
    "pyarrow",
    "nbconvert",
    "papermill",
)


def read_ledger(path: Path) -> tuple[set[str], set[str]]:
    """The parameters read and the files written, from a kernel's ledger."""
    reads: set[str] = set()
    files: set[str] = set()
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            kind, _, name = line.partition(":")
            (reads if kind == "param" else files).add(name)
    return reads, files


def names_used(notebook: Path) -> set[str]:
    """Parameter names the notebook's code cells use directly (not through ``params``)."""
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    used: set[str] = set()
    for cell in nb.cells:
        if cell.cell_type != "code" or "parameters" in cell.metadata.get("tags", []):
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:  # magics: every parameter
            return set(PARAMS)
        used |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id in PARAMS}
    return used


def page_key(notebook: Path | None, params: Mapping[str, Any], reads: Iterable[str]) -> str:
    """The key of a page: what it was made from (see the module docstring).

    ``notebook`` None: the key of a computation of the runner itself (the data check).
    """
    reads = set(PARAMS) if _ALL in reads else set(reads)
    reads.discard("output_dir")  # the page's own folder: the same one by construction
    used = {k: params.get(k) for k in sorted(reads)}
    files = {
        k: file_sha256(Path(v))
        for k, v in used.items()
        if isinstance(v, str) and v and os.path.isabs(v) and Path(v).is_file()
    }
    facts = {
        "notebook": file_sha256(notebook) if notebook is not None else None,
        "clvlib": _clvlib_sha256(),
        "libraries": _versions(),
        "params": used,
        "files": files,
    }
    return hashlib.sha256(json.dumps(facts, sort_keys=True, default=str).encode()).hexdigest()


def previous_pages(folder: Path) -> dict[str, Any]:
    """The page records of the last complete run in ``folder`` ({} when none)."""
    try:
        return json.loads((folder / PAGES_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def reusable(
    record: Mapping[str, Any] | None, notebook: Path, params: Mapping[str, Any], folder: Path
) -> bool:
    """Whether the page ``record`` of the last run in ``folder`` is still current."""
    if not record or not all((folder / f).is_file() for f in record.get("files", ())):
        return False
    return record.get("key") == page_key(notebook, params, record.get("reads", ()))


#: the runner's record of its last data check, in a run's ``.cache``
CHECK_FILE = "data_check.json"


def checked_before(folder: Path, params: Mapping[str, Any]) -> bool:
    """Whether the last run into ``folder`` checked the same data with the same parameters."""
    try:
        record = json.loads((folder / ".cache" / CHECK_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return record.get("key") == page_key(None, params, record.get("reads", [_ALL]))


def record_check(cache: Path, params: Mapping[str, Any], reads: Iterable[str]) -> None:
    """Write what the data check read into this run's ``cache`` (:func:`checked_before`)."""
    reads = sorted(reads)
    cache.mkdir(parents=True, exist_ok=True)
    record = {"reads": reads, "key": page_key(None, params, reads)}
    (cache / CHECK_FILE).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")


def copy_page(record: Mapping[str, Any], source: Path, target: Path) -> None:
    """Copy a page's files from the last run's folder into this run's."""
    for name in record["files"]:
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / name, target / name)


def carry_cache(last: Path, cache: Path) -> None:
    """Bring the last run's shared results (clean log, comparisons) into this run's cache.

    Hard links where the file system allows (the staging folder sits beside the output
    folder), else copies. A result is used again only under its own key (the data, the
    settings it depends on and :func:`code_key`), so a carried file is never a stale one.
    """
    if not last.is_dir():
        return
    cache.mkdir(parents=True, exist_ok=True)
    for path in last.iterdir():
        if not path.is_file() or _scratch(path):
            continue
        target = cache / path.name
        if target.exists():
            continue
        try:
            os.link(path, target)
        except OSError:
            shutil.copy2(path, target)


def prune_cache(cache: Path, *, since: float) -> None:
    """Keep in ``cache`` the shared results the next run may use again.

    The kernels' ledgers and lock files go. A result carried from the last run goes when
    this run wrote or used another of its kind (``comparison_<key>``: the settings or the
    data changed), so that the cache holds one of each kind; it stays when no kernel asked
    for that kind (every page that needs it was reused).
    """
    if not cache.is_dir():
        return
    results = []
    for path in cache.iterdir():
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        elif _scratch(path):
            path.unlink(missing_ok=True)
        else:
            results.append(path)
    current = {_kind(p) for p in results if p.stat().st_mtime >= since}
    for path in results:
        if _kind(path) in current and path.stat().st_mtime < since:
            path.unlink(missing_ok=True)


def _scratch(path: Path) -> bool:
    """A kernel's lock file or a result half written (``cache._written``): never a result."""
    return path.suffix == ".lock" or ".part" in path.suffixes


def _kind(path: Path) -> str:
    """What a shared result is: ``comparison`` of ``comparison_<key>.pickle``."""
    return path.name.split(".")[0].rsplit("_", 1)[0]


def code_key() -> str:
    """What a computed result depends on besides its inputs: clvlib's files, the libraries."""
    record = json.dumps([_clvlib_sha256(), _versions()], sort_keys=True)
    return hashlib.sha256(record.encode()).hexdigest()


@lru_cache(maxsize=1)
def _clvlib_sha256() -> str:
    """One hash of clvlib's own files (code, rule sets, templates) as installed."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


@lru_cache(maxsize=1)
def _versions() -> dict[str, str]:
    return {name: _version(name) for name in _LIBRARIES}
