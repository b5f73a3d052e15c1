"""Files shared between the kernels of one report run: the clean log and the comparison.

Each report notebook runs in its own kernel; what several of them need (the cleaned log, the
holdout comparison) is computed by the first kernel that asks, under an exclusive file lock,
and read by the others. Everything lives in ``<output_dir>/.cache/``, beside the exports.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from clvlib._version import __version__
from clvlib.report.exports import export_path
from clvlib.report.reuse import code_key


def shared_log(params: Mapping[str, Any], *, key: Any, load: Any) -> tuple[Any, Any]:
    """The clean log and its audit, loaded once per run and shared by the report kernels.

    ``load()`` returns ``(tx, audit)`` with ``tx`` lazy. The first kernel to ask runs it,
    writes the clean lines to Parquet and the audit (a few kB) beside them under
    :func:`cache_path`, named from ``key`` (the data file's SHA-256 and the loader options),
    while holding an exclusive lock; the others wait for the lock and read both. Returns an
    ``ibis.Table`` reading the Parquet file (lines keep their input row number ``row``, so
    ``clvlib.data.reading.to_frame`` gives the eager load's DataFrame) and the audit.
    """
    import hashlib
    import pickle

    from clvlib.data import engine

    record = json.dumps([key, __version__, code_key()], sort_keys=True, default=str)
    digest = hashlib.sha256(record.encode()).hexdigest()[:16]
    path = cache_path(params, filename=f"clean_log_{digest}.parquet")
    audit_path = path.with_suffix(".audit.pickle")
    con = engine.connection()
    with _file_lock(path.with_suffix(".lock")):
        if path.is_file() and audit_path.is_file():
            with open(audit_path, "rb") as f:
                audit = pickle.load(f)
            _used(path, audit_path)
        else:
            tx, audit = load()
            with _written(path) as part, engine.exclusive():
                con.to_parquet(tx, part)
            with _written(audit_path) as part, open(part, "wb") as f:
                pickle.dump(audit, f, protocol=pickle.HIGHEST_PROTOCOL)
    with engine.exclusive():
        return con.read_parquet(path), audit


def data_fingerprint(*frames: Any) -> str:
    """SHA-256 of the frames' values, index, column names and dtypes (None counts as absent).

    A lazy log (``ibis.Table``) is fingerprinted where it lives: its schema, its number of
    rows and the sum and XOR of its rows' hashes (one scan; no line comes back).

    The key of the results shared between report kernels: equal fingerprints mean equal
    inputs, whatever file or process they came from.
    """
    import hashlib

    import ibis

    from clvlib.data import engine

    digest = hashlib.sha256()
    for frame in frames:
        if frame is None:
            digest.update(b"none;")
            continue
        if isinstance(frame, ibis.Table):  # a lazy log: row hashes summed where it lives
            row = ibis.struct({c: frame[c] for c in frame.columns}).hash()
            query = frame.aggregate(n=frame.count(), s=row.sum(), x=row.bit_xor())
            digest.update(repr(dict(frame.schema().items())).encode())
            digest.update(repr(engine.to_pyarrow(query).to_pylist()).encode())
            continue
        digest.update(repr([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode())
        digest.update(repr((frame.index.name, str(frame.index.dtype), len(frame))).encode())
        hashed = pd.util.hash_pandas_object(frame, index=True, categorize=False)
        digest.update(hashed.to_numpy().tobytes())
    return digest.hexdigest()


def cache_path(params: Mapping[str, Any], *, filename: str) -> Path:
    """Path of a file shared between the kernels of one run, in ``<output_dir>/.cache/``.

    Beside ``exports/`` (and, like it, under ``scratch/`` for a notebook run by hand): the
    runner's manifest removes it with the run, and the index does not list it.
    """
    folder = export_path(params, filename="_").parent.parent / ".cache"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / filename


def _used(*paths: Path) -> None:
    """Mark results as used by this run (their time), so that the runner keeps them."""
    for path in paths:
        os.utime(path)


@contextlib.contextmanager
def _written(path: Path) -> Iterator[Path]:
    """A temporary path to write ``path``'s content to; moved into place when the block ends.

    Another kernel never reads half a file: it sees the old file, or the whole new one.
    """
    part = path.with_name(f"{path.name}.{os.getpid()}.part")
    yield part
    os.replace(part, path)


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (POSIX ``flock``; elsewhere no lock)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: each kernel computes its own
        yield
        return
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _shared(
    params: Mapping[str, Any],
    kind: str,
    frames: list[pd.DataFrame | None],
    extra: Any,
    compute: Any,
) -> Any:
    """``compute()``, computed once per run for equal inputs and shared between kernels.

    Keyed by :func:`data_fingerprint` of ``frames`` and ``extra`` (the settings the result
    depends on, as JSON): :func:`shared_result`.
    """
    return shared_result(params, kind, [data_fingerprint(*frames), extra], compute)


def shared_result(params: Mapping[str, Any], kind: str, key: Any, compute: Any) -> Any:
    """``compute()``, computed once for equal ``key`` and shared between kernels and runs.

    ``key`` (JSON) names the inputs; the clvlib version and code are added to it. The result
    is pickled under :func:`cache_path` while an exclusive lock is held, so that a kernel
    asking for a result another kernel is computing waits for it instead of computing it
    twice.
    """
    import hashlib
    import pickle

    record = [kind, key, __version__, code_key()]
    digest = hashlib.sha256(json.dumps(record, sort_keys=True, default=str).encode()).hexdigest()
    path = cache_path(params, filename=f"{kind}_{digest[:16]}.pickle")
    with _file_lock(path.with_suffix(".lock")):
        if path.is_file():
            with open(path, "rb") as f:
                stored_key, result = pickle.load(f)
            if stored_key == digest:
                _used(path)
                return result
        result = compute()
        with _written(path) as part, open(part, "wb") as f:
            pickle.dump((digest, result), f, protocol=pickle.HIGHEST_PROTOCOL)
    return result
