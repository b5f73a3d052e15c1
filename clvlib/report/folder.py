"""The output folder of a run: refused when it is not the runner's, staged, then put in place.

A run never writes into ``--out`` while it renders. It writes into a fresh staging folder
beside it (``.<out>.clvlib-staging-<id>``, on the same file system) and, when the run ends,
puts that folder in place of the previous one in one step; so a run killed at any moment
(SIGKILL, Ctrl-C, a crash) leaves the previous complete report as it was, and a folder never
mixes two runs. The manifest, ``.clvlib-manifest.json``, lists every file of the run and its
status: ``ok``, or ``failed`` when a notebook failed (the index marks which).

``--out`` must be a folder a run owns: new, empty, or holding a previous run's manifest. A
folder with files no run wrote (the project root, ``notebooks/``, a source folder) is refused
unless ``force``; even then a file the run would write over is refused (``--out .`` never
overwrites ``notebooks/*.ipynb``). Files a user put beside a run's files stay.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from clvlib.report.errors import InputError, ReportError

#: the list of files a run wrote in its output folder, and how the run ended
MANIFEST = ".clvlib-manifest.json"

#: marks the folders beside ``out`` that runs stage in (``.<out name><STAGING><id>``)
STAGING = ".clvlib-staging-"


def read_manifest(out: Path) -> dict[str, Any] | None:
    """The manifest of the run in ``out``: ``{"status": ..., "files": [...]}``, or None.

    Raises
    ------
    InputError
        When the manifest cannot be read (it is never guessed at).
    """
    manifest = out / MANIFEST
    if not manifest.is_file():
        return None
    try:
        found = json.loads(manifest.read_text(encoding="utf-8"))
        files = [str(f) for f in found["files"]]
    except (ValueError, KeyError, TypeError) as e:
        raise InputError(
            f"{manifest} cannot be read ({e}); delete it, and the previous run's files, by hand"
        ) from None
    return {"status": found.get("status", "ok"), "files": files}


def files_in(folder: Path) -> set[str]:
    """Files under ``folder`` (relative POSIX paths; symbolic links too), the manifests left out."""
    if not folder.is_dir():
        return set()
    return {
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if (p.is_file() or p.is_symlink()) and p.name != MANIFEST
    }


def write_manifest(folder: Path, status: str) -> None:
    """List every file under ``folder`` in its manifest, with the run's ``status``."""
    files = sorted(files_in(folder))
    text = json.dumps({"status": status, "files": files}, indent=1) + "\n"
    (folder / MANIFEST).write_text(text, encoding="utf-8")


def check_out(out: Path, *, writes: Iterable[str] = (), force: bool = False) -> None:
    """Refuse an output folder the runner does not own, before anything runs.

    Parameters
    ----------
    out : Path
        The output folder (resolved).
    writes : iterable of str
        Files the run will write (relative paths) that can be known in advance.
    force : bool
        Write beside files no run wrote (never over them).

    Raises
    ------
    InputError
        ``out`` is a file; or it holds files that no clvlib run wrote (no manifest) and
        ``force`` is not given; or a file the run would write is there and not a run's.
    """
    shown = _shown(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {shown} is a file, not a folder: name a folder for the reports")
    if not out.is_dir():
        above = next(p for p in out.parents if p.exists())
        if not above.is_dir():
            raise InputError(f"--out {shown} is inside {_shown(above)}, a file, not a folder")
        return
    previous = read_manifest(out)
    foreign = sorted(files_in(out) - set(previous["files"] if previous else ()))
    if previous is None and foreign and not force:
        raise InputError(
            f"--out {shown} holds files that no clvlib run wrote ({_some(foreign)}): the "
            "runner owns its output folder, so name a new or empty folder, or pass --force "
            "to write the reports beside these files"
        )
    over = sorted(set(writes) & set(foreign))
    if over:
        raise InputError(
            f"--out {shown} holds {_some(over)}, which the reports would overwrite and no clvlib "
            "run wrote: name another folder"
        )


@contextmanager
def staged(out: Path) -> Iterator[Path]:
    """A fresh staging folder beside ``out``; removed if the block does not commit it.

    The block renders into the folder and ends with :func:`commit`. Whatever else ends it
    (an exception, Ctrl-C) removes the folder, and ``out`` stays as it was. Staging folders of
    ``out`` that earlier runs left (killed runs) are removed first.
    """
    folder = out.parent / f".{out.name}{STAGING}{uuid.uuid4().hex[:12]}"
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        folder.mkdir()
    except OSError as e:  # a read-only place, no permission: an argument error, not a bug
        raise InputError(
            f"cannot write the reports beside --out {_shown(out)}: {e.strerror}"
        ) from None
    lock = _lock(folder)  # held while the run lives: a later run knows it is not stale
    _sweep(out, keep=folder)
    try:
        yield folder
    finally:
        if lock is not None:
            os.close(lock)
        if folder.exists():
            shutil.rmtree(folder, ignore_errors=True)


def commit(staging: Path, out: Path, *, status: str) -> None:
    """Put the run in ``staging`` in place of ``out``, with its manifest (``status``).

    With no other files in ``out`` than the previous run's (the usual case) the folders are
    swapped in one step. When a user's files share ``out``, the previous run's files are
    replaced by the new ones in place, the manifest first marked ``incomplete`` (listing both
    runs' files) and ``index.html`` moved last, so a run killed mid-way never leaves a folder
    that looks finished, and the next run removes every file of both.
    """
    write_manifest(staging, status)
    previous = read_manifest(out) if out.is_dir() else None
    kept = files_in(out) - set(previous["files"]) if previous else files_in(out)
    if not kept and not Path.cwd().is_relative_to(out):  # never move the current folder away
        _swap(staging, out)
        return
    new = files_in(staging)
    over = sorted(new & kept)
    if over:  # an export the run could not announce: never over a user's file
        raise ReportError(
            f"{_shown(out)} holds {_some(over)}, which this run also wrote and no clvlib run "
            "wrote before: nothing was changed; move those files, or name another folder"
        )
    old = set(previous["files"]) if previous else set()
    for name in old:
        _inside(out, name)  # a manifest pointing elsewhere is refused before anything moves
    both = sorted(old | new)
    (out / MANIFEST).write_text(
        json.dumps({"status": "incomplete", "files": both}, indent=1) + "\n", encoding="utf-8"
    )
    if "index.html" in old:  # the old index goes first: the folder no longer looks finished
        (out / "index.html").unlink(missing_ok=True)
    for name in old - new:
        _inside(out, name).unlink(missing_ok=True)
    for name in sorted(new, key=lambda n: n == "index.html"):  # the new index last
        target = _inside(out, name)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging / name, target)
    _remove_empty_folders(out, old - new)
    os.replace(staging / MANIFEST, out / MANIFEST)


def _swap(staging: Path, out: Path) -> None:
    """``staging`` becomes ``out``; the previous ``out``, if any, is removed."""
    if not out.exists():
        staging.rename(out)
        return
    retired = out.parent / f".{out.name}{STAGING}{uuid.uuid4().hex[:12]}-old"
    out.rename(retired)
    staging.rename(out)  # between the two renames, out is missing for microseconds
    shutil.rmtree(retired, ignore_errors=True)


def _inside(out: Path, name: str) -> Path:
    """``out / name``, refusing a manifest entry that points outside ``out``."""
    path = out / name
    if not Path(os.path.abspath(path)).is_relative_to(out):
        raise InputError(f"{_shown(out / MANIFEST)} lists {name!r}, outside the folder")
    return path


def _remove_empty_folders(out: Path, names: Iterable[str]) -> None:
    for folder in sorted({(out / n).parent for n in names}, key=lambda p: -len(p.parts)):
        if folder != out and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()


def _sweep(out: Path, *, keep: Path) -> None:
    """Remove the staging folders of ``out`` whose run has ended (killed: nobody holds them)."""
    for folder in out.parent.iterdir():
        if folder == keep or not folder.name.startswith(f".{out.name}{STAGING}"):
            continue
        if not folder.is_dir() or folder.is_symlink():
            continue
        lock = _lock(folder)
        if lock is None:  # a run in progress (or no way to tell): leave it alone
            continue
        try:
            shutil.rmtree(folder, ignore_errors=True)
        finally:
            os.close(lock)


def _lock(folder: Path) -> int | None:
    """An exclusive lock on ``folder`` (released when the process ends, even killed), or None.

    None when another process holds it, or where advisory locks are not available (then no
    staging folder is ever taken for stale).
    """
    try:
        import fcntl
    except ImportError:  # Windows
        return None
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def _some(names: list[str], shown: int = 3) -> str:
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def _shown(path: Path) -> str:
    """A folder as a message names it: relative to the current directory when inside it."""
    return Path(os.path.relpath(path)).as_posix() if path.is_relative_to(Path.cwd()) else str(path)
