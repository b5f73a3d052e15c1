"""Where a report's numbers come from: data files and their SHA-256, versions, git commit.

:func:`provenance` is what every report prints last; the runner writes the same items to
``provenance.json``. :class:`Facts` is the two-column table both use.
"""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from clvlib.report.formatting import format_value, shown_path, table_html

PROJECT_ROOT = Path(__file__).resolve().parents[2]

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
#: set in the kernels' environment by the runner: the parameters file, for provenance
PARAMS_FILE_ENV = "CLVLIB_PARAMS_FILE"


class Facts(dict):
    """Named values shown as a two-column table, never truncated (SHA-256, paths)."""

    def __init__(
        self, items: Mapping[str, Any], *, label: str = "item", heading: str = "value"
    ) -> None:
        super().__init__(items)
        self.label = label
        self.heading = heading  # what the values are, when all are one kind ("rows")

    def to_frame(self) -> pd.DataFrame:
        """The facts as a one-column DataFrame of text indexed by name (numbers rounded)."""
        return pd.DataFrame(
            {self.heading: [format_value(v, name=k) for k, v in self.items()]},
            index=pd.Index(list(self), name=self.label),
        )

    def __repr__(self) -> str:
        width = max((len(k) for k in self), default=0)
        return "\n".join(f"{k:<{width}}  {format_value(v, name=k)}" for k, v in self.items())

    def _repr_html_(self) -> str:
        return table_html(self.to_frame())


def provenance(params: Mapping[str, Any], audit: Any = None) -> Facts:
    """Where a report's numbers come from: data file and SHA-256, rows, versions, commit, time.

    ``audit`` (the :class:`~clvlib.data.reading.LoadAudit` of :func:`load_data`) adds the row
    counts.
    """
    rows = _provenance_items(params)
    if audit is not None:
        rows.update(_audit_counts(audit))
    return Facts(rows)


def parameters_used(params: Mapping[str, Any]) -> Any:
    """The parameters this page used, each with its value and meaning.

    In a report run the kernel records every parameter its code read
    (:class:`clvlib.report.params.RecordedParams`): the table lists those, so that a page
    reused from an earlier run never shows a parameter of another page at a value that has
    since changed. Anywhere else (and when the whole mapping was read) it lists them all.
    """
    from IPython.display import HTML

    from clvlib.report.formatting import table_html

    used = params.used() if hasattr(params, "used") else None
    return HTML(table_html(params.table(keys=used)))


def _audit_counts(audit: Any) -> dict[str, int]:
    """Rows read, kept, netted and dropped, from :meth:`LoadAudit.table`."""
    table = audit.table()
    rows = table.loc[table.index != "total"].groupby("outcome")["rows"].sum()
    out = {"rows read": int(audit.n_input_rows)}
    for outcome in ("kept", "netted", "dropped"):
        out[f"rows {outcome}"] = int(rows.get(outcome, 0))
    return out


def _provenance_items(params: Mapping[str, Any]) -> dict[str, Any]:
    source = getattr(params, "source", None) or os.environ.get(PARAMS_FILE_ENV)
    base = Path(source).parent if source else None
    items: dict[str, Any] = {"data set": params.get("dataset_name", "")}
    for key in ("data_path", "customers_path"):
        path = params.get(key) or ""
        if path:
            items[key] = shown_path(path, base)
            items[f"{key} SHA-256"] = file_sha256(path)
    items["parameters file"] = (
        shown_path(source, base) if source else "(the notebook's parameters cell)"
    )
    items["python"] = f"{platform.python_version()} ({shown_path(sys.executable, base)})"
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
