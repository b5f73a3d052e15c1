"""Opening a source as one table of the engine: a file, a DataFrame or an ``ibis.Table``.

Formats (CSV/TSV, optionally compressed, Parquet, Excel), the sniffing of a text file's
separator and header, encodings, workbook sheets, and the SHA-256 the audit records.
Every failure is a :class:`~clvlib.data.audit.SchemaError` naming the file.

Readers: Parquet is scanned by the engine where it lies; a text file the sniffer finds plain
(UTF-8, one separator character, every row as wide as the header) is read by DuckDB's reader
into a table of the engine (:func:`_duckdb_text`); other text files, and Excel, by pandas,
the DataFrame then copied into the engine once. Both text readers give the loader the same
table: ``tests/test_text_reader.py`` loads files both ways and compares everything.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import difflib
import hashlib
import io
import lzma
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
from pandas.api.types import is_datetime64_any_dtype

from clvlib.data import engine
from clvlib.data.audit import _MINE, _ROW, SchemaError, SourceNotFoundError
from clvlib.data.roles import _pandas_read_options


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _frame_sha256(frame: pd.DataFrame) -> str:
    hashes = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    digest = hashlib.sha256(hashes.tobytes())
    digest.update(repr(list(map(str, frame.columns))).encode())
    return digest.hexdigest()


def _file_kind(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in (".gz", ".bz2", ".zip", ".xz", ".zst"):
        suffixes = suffixes[:-1]
    last = suffixes[-1] if suffixes else ""
    kinds = {
        ".csv": "csv",
        ".txt": "csv",
        ".tsv": "tsv",
        ".parquet": "parquet",
        ".pq": "parquet",
        ".xlsx": "excel",
        ".xlsm": "excel",
    }
    if last not in kinds:
        raise SchemaError(
            str(path),
            [f"unsupported file type {last or '(none)'!r}; use .csv, .tsv, .parquet or .xlsx"],
        )
    return kinds[last]


_SEPARATORS = (",", ";", "\t", "|")
_WHITESPACE = r"\s+"
_SNIFF_BYTES = 1 << 16
_DECIMALS = (".", ",")
_COMPRESSED = {".gz": "gzip", ".bz2": "bzip2", ".xz": "xz", ".zip": "zip", ".zst": "zstd"}
# What reading a damaged or mislabelled file raises: a truncated .gz, .bz2 or .xz (EOFError),
# text named .gz (gzip.BadGzipFile, an OSError), a corrupt deflate stream (zlib.error), a
# corrupt .zip, bytes that are no .xz at all (lzma.LZMAError), an unreadable disk (OSError).
_DAMAGED = (EOFError, OSError, zlib.error, lzma.LZMAError, zipfile.BadZipFile)


def option_problems(*, sep: Any, decimal: Any, columns: Any = None) -> list[str]:
    """What is wrong with the options ``sep``, ``decimal`` and ``columns`` (none: ``[]``)."""
    problems = []
    if columns is not None and not isinstance(columns, Mapping):
        problems.append(
            "columns must be a mapping of names to the source's column names, e.g. "
            f"{{'customer_id': 'CustomerID'}}; got {type(columns).__name__} {columns!r}"
        )
    if not isinstance(decimal, str) or decimal not in _DECIMALS:
        problems.append(
            f"decimal must be '.' (12.50) or ',' (12,50), the mark between the units and the "
            f"decimals of numbers written as text; got {decimal!r}"
        )
    if sep is None:
        return problems
    if not isinstance(sep, str) or not (len(sep) == 1 or sep == _WHITESPACE):
        problems.append(
            f"sep must be one character (',', ';', '\\t', '|', ...) or r'\\s+' for runs of "
            f"whitespace, or None to find it from the file; got {sep!r}"
        )
    elif sep.isalnum() or sep in "\"'\r\n.-+":
        problems.append(f"sep {sep!r} is part of the values (letters, digits, signs, quotes)")
    elif sep == decimal:
        problems.append(
            f"sep and decimal are both {sep!r}: every number would be cut in two; the decimal "
            "mark of a comma-separated file is '.' (a ';'-separated file often uses ',')"
        )
    return problems


@contextlib.contextmanager
def file_errors(path: Path, name: str, what: str = "the transaction log") -> Iterator[None]:
    """Inside the block, what a damaged file raises is a :class:`SchemaError` naming ``name``.

    Also a Parquet file that DuckDB finds corrupt while scanning it; and a SchemaError raised
    under the file's path is raised under ``name``. ``what`` the file was read as (its words
    in the message).
    """
    try:
        yield
    except SchemaError as err:
        if err.source == name and err.what == what:
            raise
        raise SchemaError(name, err.problems, what=what) from None
    except _DAMAGED as err:
        suffix = path.suffix.lower()
        if suffix in _COMPRESSED:
            problem = (
                f"cannot be decompressed as {_COMPRESSED[suffix]} (named {suffix}): the file is "
                f"truncated or corrupt, or not {_COMPRESSED[suffix]} data at all ({err})"
            )
        else:
            problem = f"cannot be read: {err}"
        raise SchemaError(name, [problem], what=what) from None
    except duckdb.Error as err:
        if not _corrupt(err):
            raise
        raise SchemaError(name, [_parquet_problem(err)], what=what) from None


def _corrupt(err: duckdb.Error) -> bool:
    """Whether DuckDB's error is about the bytes of the file it read (not memory, not us)."""
    return type(err) is duckdb.Error or isinstance(
        err, duckdb.IOException | duckdb.InvalidInputException
    )


def _open_binary(path: Path) -> Any:
    """The file's bytes, decompressed for .gz, .bz2 and .xz (others are read as they are)."""
    suffix = path.suffix.lower()
    if suffix == ".gz":
        import gzip

        return gzip.open(path, "rb")
    if suffix == ".bz2":
        import bz2

        return bz2.open(path, "rb")
    if suffix == ".xz":
        import lzma

        return lzma.open(path, "rb")
    if suffix == ".zip":
        import zipfile

        archive = zipfile.ZipFile(path)
        members = [m for m in archive.namelist() if not m.endswith("/")]
        if len(members) != 1:
            raise SchemaError(str(path), [f"a .zip must hold one file, it holds {members}"])
        return archive.open(members[0])
    if suffix == ".zst":
        try:
            import zstandard
        except ImportError:
            raise SchemaError(
                str(path), ["reading .zst needs the zstandard package (pip install zstandard)"]
            ) from None
        return zstandard.open(path, "rb")
    return path.open("rb")


def _decode_error(
    name: str, err: UnicodeDecodeError, head: bytes, encoding: str, *, at_start: bool = True
) -> SchemaError:
    byte = head[err.start : err.start + 1].hex()
    line = head[: err.start].count(b"\n") + 1
    where = f" on line {line}" if at_start else ""
    return SchemaError(
        name,
        [
            f"the text is not {encoding} (byte 0x{byte}{where}); pass the file's "
            "encoding, e.g. encoding='latin-1' or encoding='cp1252' (Excel on Windows)"
        ],
    )


# Encodings of two or four bytes a character, found from the byte-order mark a file starts with
# (Excel's "Unicode text" and Windows tools write UTF-16 with one).
_WIDE = ("utf-16", "utf-32")
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"))
_BOMS += ((codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def _encoding(encoding: str | None, head: bytes) -> str:
    """The encoding to read a text file by: the one given (any alias of UTF-8 as ``utf-8``).

    Without one, UTF-16 or UTF-32 when the file starts with their byte-order mark, else
    UTF-8. An unknown name raises LookupError.
    """
    if encoding is None:
        return _bom_of(head) or "utf-8"
    codec = codecs.lookup(encoding).name
    return codec if codec == "utf-8" or codec.startswith(_WIDE) else encoding


def _bom_of(head: bytes) -> str | None:
    """The wide encoding whose byte-order mark ``head`` starts with, None when none."""
    return next((enc for bom, enc in _BOMS if head.startswith(bom)), None)


def _bom_bytes(head: bytes) -> str:
    """The byte-order mark ``head`` starts with, as hex digits ('FF FE')."""
    return next(bom for bom, _ in _BOMS if head.startswith(bom)).hex(" ").upper()


def _decoding(encoding: str) -> str:
    """The codec decoding text of ``encoding``: UTF-8 with its byte-order mark dropped."""
    return "utf-8-sig" if encoding == "utf-8" else encoding


def _fields(line: str, sep: str) -> list[str]:
    if sep == _WHITESPACE:
        return line.split()
    return next(csv.reader([line], delimiter=sep))


# A record of the sampled text: its first and last physical line (1-based) and its fields.
_Record = tuple[int, int, list[str]]
_SAMPLED = 50  # records looked at to find the separator and the header


def _records(text: str, sep: str, *, truncated: bool = False) -> list[_Record]:
    """The first records of ``text`` split by ``sep``, quotes honoured as pandas does.

    A quoted field may hold the separator or a newline: such a record spans several lines.
    Blank lines are skipped. When the text is the head of a longer file its last record may
    be cut, and is left out.
    """
    out: list[_Record] = []
    if sep == _WHITESPACE:
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                out.append((number, number, line.split()))
            if len(out) > _SAMPLED:
                break
    else:
        for record in _csv_records(text, sep):
            out.append(record)
            if len(out) > _SAMPLED:
                break
    if truncated and 1 < len(out) <= _SAMPLED and out[-1][0] == out[-1][1]:
        out = out[:-1]  # cut at the end of the sample (one spanning lines is judged)
    return out[:_SAMPLED]


def _odd_records(text: str, sep: str) -> tuple[list[_Record], int]:
    """The first record and every record not of its width or spanning lines, of all ``text``.

    With the number of data records: what :func:`_shape_problems` needs of a whole file,
    without keeping its well-formed rows.
    """
    out: list[_Record] = []
    n = 0
    lines = (
        ((i, i, line.split()) for i, line in enumerate(text.splitlines(), 1) if line.strip())
        if sep == _WHITESPACE
        else _csv_records(text, sep)
    )
    for record in lines:
        if not out:
            out.append(record)
            continue
        n += 1
        if len(record[2]) != len(out[0][2]) or record[1] > record[0]:
            out.append(record)
    return out, n


def _csv_records(text: str, sep: str) -> Iterator[_Record]:
    """Every record of ``text``, blank lines skipped.

    A NUL byte or a field past the csv module's limit ends them early (left to pandas).
    """
    # newline=None: a line ends at \n, \r\n or a lone \r (old Mac files), as pandas reads it
    reader = csv.reader(io.StringIO(text, newline=None), delimiter=sep)
    start = 1
    with contextlib.suppress(csv.Error):
        for fields in reader:
            if fields and not (len(fields) == 1 and not fields[0].strip()):
                yield (start, reader.line_num, fields)
            start = reader.line_num + 1


def _widths(records: list[_Record]) -> list[int]:
    return [len(fields) for _, _, fields in records]


def _separator(samples: Mapping[str, list[_Record]]) -> str | None:
    """The separator that splits every record alike into columns, None when none does."""
    counts = {}
    for candidate in _SEPARATORS:
        widths = set(_widths(samples[candidate]))
        if len(widths) == 1 and widths.pop() > 1:
            counts[candidate] = len(samples[candidate][0][2])
    if counts:
        return max(counts, key=lambda c: counts[c])  # the first of equals (dict order)
    widths = set(_widths(samples[_WHITESPACE]))
    if len(samples[_WHITESPACE]) > 1 and len(widths) == 1 and widths.pop() > 1:
        return _WHITESPACE
    return None


def _likely_separator(samples: Mapping[str, list[_Record]]) -> str | None:
    """The file's separator when no separator splits every record alike.

    The one that splits the header into several columns and the most records into as many
    (the file's separator, with some lines wrong); None when none splits the header.
    """
    best, score = None, (0, 0)
    for candidate in _SEPARATORS:
        records = samples[candidate]
        if not records or len(records[0][2]) < 2:
            continue
        width = len(records[0][2])
        alike = sum(1 for w in _widths(records) if w == width)
        if (alike, width) > score:
            best, score = candidate, (alike, width)
    return best


def _lines(records: list[_Record]) -> str:
    """'line 2' or 'lines 2, 5-7, ...': where the records are in the file."""
    shown = [str(a) if a == b else f"{a}-{b}" for a, b, _ in records[:_N_LINES]]
    word = "line" if len(records) == 1 and records[0][0] == records[0][1] else "lines"
    return f"{word} " + ", ".join(shown) + (", ..." if len(records) > _N_LINES else "")


def _swallows_rows(record: _Record, sep: str, width: int) -> bool:
    """Whether a record spanning lines swallowed rows of the file: a quote left open.

    It does when a quoted field holds a line that looks like a row (as many fields, less one);
    a line break in a note does not.
    """
    inner = [line for field in record[2] for line in field.splitlines()[1:]]
    return any(len(_fields(line, sep)) >= max(2, width - 1) for line in inner if line.strip())


_N_LINES = 5


def _shape_problems(
    records: list[_Record], sep: str, header: bool, *, n_rows: int | None = None
) -> list[str]:
    """What makes the records of a text file not line up with its first line, in words.

    A row with more fields than the first line shifts every column (pandas would even take
    the first column as the index); three causes are told apart: a separator at the end of
    the data rows only, a quote opened in a field and closed lines later, and other ragged
    rows (a separator inside an unquoted value, a missing name in the header).
    """
    if not records:
        return []
    n_rows = len(records) - 1 if n_rows is None else n_rows  # data records in the text
    width = len(records[0][2])
    what = "the header" if header else "the first line"
    longer = [r for r in records[1:] if len(r[2]) > width]
    spanning = [
        r
        for r in records[1:]
        if r[1] > r[0] and (len(r[2]) != width or _swallows_rows(r, sep, width))
    ]
    problems = []
    name = _sep_name(sep).replace("-separated text", "")
    if spanning:
        first = spanning[0]
        problems.append(
            f'a quote (") opened in a field on line {first[0]} is closed only on line '
            f"{first[1]} (or never), so {_lines(spanning)} would "
            f"{'each ' if len(spanning) > 1 else ''}be read as one row "
            f"({width} fields in {what}): a quote inside a value must be "
            'doubled ("") or the value quoted whole; a value may hold a line break only '
            "inside a quoted field"
        )
        longer = [r for r in longer if r not in spanning]
    if not longer:
        return problems
    if width == 1 and len(longer) == n_rows:
        problems.append(
            f"the first line ({records[0][2][0][:40]!r}) is one field and every line below "
            f"has several ({name}-separated): a title or note above the header? remove it, "
            "so that the file starts with the column names"
        )
        return problems
    trailing = [r for r in longer if len(r[2]) == width + 1 and not r[2][-1].strip()]
    if len(trailing) == len(longer):
        every = " (every data row)" if len(trailing) == n_rows else ""
        verb = "ends" if len(trailing) == 1 else "end"
        problems.append(
            f"{_lines(trailing)}{every} {verb} with a {name} separator ({sep!r}) that "
            f"{what} does not have: {width + 1} fields (the last one empty) "
            f"against {width} in {what}; remove the trailing separator, or end {what} "
            "with one too"
        )
    else:
        counts = sorted({len(r[2]) for r in longer})
        problems.append(
            f"{_lines(longer)} {'has' if len(longer) == 1 else 'have'} more fields "
            f"({', '.join(map(str, counts))}) than "
            f"{what} ({width}, {name}-separated): every column after an extra field would be "
            "read from the wrong place; quote values that hold the separator, or name every "
            "column in the header"
        )
    return problems


#: Largest file read whole to name the cause of a parser error beyond the sniffed head.
_WHOLE_FILE_BYTES = 256 * 2**20
_PANDAS_FIELDS = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


def _parser_problems(path: Path, info: Mapping[str, Any], err: Exception) -> list[str]:
    """The cause of a parser error past the first 64 KiB, in the sniffer's words.

    The sniffer checks the shape of the first 64 KiB only; a ragged row, a trailing separator
    or a quote left open further down fails in pandas. The whole file (up to
    :data:`_WHOLE_FILE_BYTES`) is then checked as the head was, so the cause named is the
    real one with its line; beyond that size pandas' line number is translated.
    """
    sep, enc = info["sep"], info["encoding"]
    try:
        with _open_binary(path) as fh:
            raw = fh.read(_WHOLE_FILE_BYTES + 1)
        if len(raw) <= _WHOLE_FILE_BYTES:
            text = raw.decode(_decoding(enc))
            records, n_rows = _odd_records(text, sep)
            if problems := _shape_problems(records, sep, info["header"], n_rows=n_rows):
                return problems
    except (OSError, EOFError, UnicodeDecodeError, LookupError):
        pass
    if found := _PANDAS_FIELDS.search(str(err)):
        width, line, seen = found.groups()
        return [
            f"line {line} has more fields ({seen}) than the header ({width}, "
            f"{_sep_name(sep)}): every column after an extra field would be read from the "
            "wrong place; quote values that hold the separator, or name every column in the "
            "header"
        ]
    return [f"cannot be read as {_sep_name(sep)}: {err}"]


def _sniff(path: Path, sep: str | None, encoding: str | None) -> dict[str, Any]:
    """Separator, header and column names of a text file, from its first 64 KiB.

    The separator is the one of comma, semicolon, tab and bar that splits every sampled
    record (quotes honoured: a quoted field may hold the separator or a line break) into the
    same number (> 1) of fields, the most fields winning; else whitespace when that splits
    every line alike into several fields (CDNOW). A first line of numbers only is data, not
    a header: the columns are then named "0", "1", ... like pandas' ``header=None``. Rows
    with more fields than the first line are a :class:`SchemaError` naming the lines and the
    cause (a trailing separator, a quote left open, ragged rows).
    """
    name = str(path)
    with _open_binary(path) as fh:
        head = fh.read(_SNIFF_BYTES)
        more = bool(fh.read(1))
    try:
        enc = _encoding(encoding, head)
    except LookupError:
        raise SchemaError(name, [f"unknown encoding {encoding!r}"]) from None
    if (wide := _bom_of(head)) and enc.startswith(_WIDE):
        enc = wide  # 'utf-16-le' would keep the mark as the first column name's first letter
    elif wide:
        raise SchemaError(
            name,
            [
                f"the file starts with a {wide.upper()} byte-order mark (bytes "
                f"{_bom_bytes(head)}): it is {wide.upper()} text, not {enc}; pass "
                f"encoding={wide!r}, or leave encoding out"
            ],
        )
    try:
        if enc.startswith(_WIDE):  # two or four bytes a character: cut the text, not the bytes
            text = codecs.getincrementaldecoder(enc)().decode(head, final=not more)
            if more and "\n" in text:
                text = text[: text.rindex("\n") + 1]
        else:
            if more and (cut := max(head.rfind(b"\n"), head.rfind(b"\r"))) >= 0:
                head = head[: cut + 1]  # whole lines only
            text = head.decode(_decoding(enc))
    except UnicodeDecodeError as err:
        raise _decode_error(name, err, head, enc) from None
    if not text.strip():
        raise SchemaError(name, ["the file is empty: no header and no rows"])
    samples = {c: _records(text, c, truncated=more) for c in (*_SEPARATORS, _WHITESPACE)}
    if sep is None:
        sep = _separator(samples) or _likely_separator(samples) or ","
    else:
        if sep not in samples:
            samples[sep] = _records(text, sep, truncated=more)
        found = _separator(samples)
        if found and found != sep and all(w == 1 for w in _widths(samples[sep])):
            raise SchemaError(
                name,
                [
                    f"sep={sep!r} splits no line into columns, so it is not the separator: "
                    f"the lines look {_sep_name(found)} (pass sep={found!r}, or leave sep out "
                    "to find it from the file)"
                ],
            )
    records = samples[sep]
    if not records:  # a NUL byte or an overlong field on the first line (csv.Error)
        raise SchemaError(name, [f"cannot be read as {_sep_name(sep)}: no line could be split"])
    first = records[0][2]
    if repeated := _repeated_header(records):
        raise SchemaError(
            name,
            [
                f"{_lines(repeated)} {'repeats' if len(repeated) == 1 else 'repeat'} the header "
                "(two exports joined?): remove the repeated header lines"
            ],
        )
    header = _has_header(first, [fields for _, _, fields in records[1:]])
    if problems := _shape_problems(records, sep, header):
        raise SchemaError(name, problems)
    names = list(first) if header else [str(i) for i in range(len(first))]
    return {
        "sep": sep,
        "header": header,
        "names": names,
        "encoding": enc,
        "first_line": records[0][0],  # 1 unless blank lines come first
        "sample": records[1:] if header else records,  # data records of the head
    }


def _repeated_header(records: list[_Record]) -> list[_Record]:
    """The records below the first that repeat it, when it has words (a header).

    Two exports joined into one file repeat the header where the second starts; the header
    detection would see words below every column and take the header for data.
    """
    first = [f.strip() for f in records[0][2]]
    if not any(_is_words(f) for f in first):
        return []
    return [r for r in records[1:] if [f.strip() for f in r[2]] == first]


def _has_header(first: list[str], rows: list[list[str]]) -> bool:
    """Whether the first line names the columns rather than holding data.

    It does when some column is words on the first line and numbers or dates on every line
    below (a log always has a date and a value column); a file of one line has a header when
    it has words.
    """
    if not rows:
        return any(_is_words(f) for f in first)
    for i, name in enumerate(first):
        below = [row[i] for row in rows if i < len(row) and row[i].strip()]
        if _is_words(name) and below and not any(_is_words(v) for v in below):
            return True
    return False


def _is_words(text: str) -> bool:
    """Text that is neither a number nor a date or time (digits and separators only)."""
    text = text.strip()
    return bool(text) and not _is_number(text) and not re.fullmatch(r"[\d\s/.:,\-+TZ]+", text)


def _is_number(text: str) -> bool:
    try:
        float(text.strip())
    except ValueError:
        return False
    return True


def _duplicated_names(names: list[str]) -> list[str]:
    seen: dict[str, list[int]] = {}
    for i, n in enumerate(names):
        seen.setdefault(str(n), []).append(i)
    return [
        f"column name {n!r} appears {len(at)} times (columns {', '.join(str(i) for i in at)}, "
        "0-based); rename all but one"
        for n, at in seen.items()
        if len(at) > 1
    ]


def _title_problems(top: pd.DataFrame) -> list[str]:
    """A title or note above a sheet's header: a first row of one cell over rows of several.

    Read as the header it would name one column and leave the others unnamed ('nan').
    """
    if len(top) < 2:
        return []
    filled = top.notna().sum(axis=1).tolist()
    if filled[0] != 1 or not all(n > 1 for n in filled[1:] if n):
        return []
    title = str(top.iloc[0].dropna().iloc[0])
    return [
        f"the first row ({title[:40]!r}) is one cell and every row below has several: a title "
        "or note above the header? remove it, so that the sheet starts with the column names"
    ]


def _sheet_header_problems(headers: Mapping[str, list[str]]) -> list[str]:
    """Sheets read one after the other whose columns are not the first sheet's.

    A column only one sheet has would be empty on the other sheets' rows (an ``amount``
    named ``value`` on one sheet: its purchases read as missing values).
    """
    if len(headers) < 2:
        return []
    (first, names), *others = headers.items()
    problems = []
    for sheet, theirs in others:
        extra = [c for c in theirs if c not in names]
        lacking = [c for c in names if c not in theirs]
        if extra or lacking:
            parts = [f"has {extra} that sheet {first!r} has not"] if extra else []
            parts += [f"lacks {lacking}"] if lacking else []
            problems.append(
                f"sheet {sheet!r} {' and '.join(parts)}: the sheets read one after the other "
                "(sheet_name=None) must have the same columns; rename them alike, or read "
                "one sheet with sheet_name='...'"
            )
    return problems


def _reserved_names(names: list[str]) -> list[str]:
    """Columns named with the prefix of the loader's own columns (they would clash)."""
    return [
        f"column {n!r} starts with {_MINE!r}, the prefix of the columns clvlib adds while "
        "loading: rename it"
        for n in names
        if str(n).startswith(_MINE)
    ]


def check_file(
    path: Path, name: str, *, what: str = "the transaction log", file_of: str = "the order log"
) -> None:
    """Raise unless ``path`` is a regular file (or a link to one), naming the cause.

    A path where nothing is, or a symbolic link that leads nowhere, is a
    :class:`~clvlib.data.audit.SourceNotFoundError` (also a FileNotFoundError); a directory,
    a FIFO or a device a :class:`SchemaError`.
    """
    if path.is_file():
        return
    if path.is_dir():
        raise SchemaError(name, [f"is a directory, not a file: give {file_of}'s file"], what=what)
    if path.is_symlink() and not path.exists():
        problem = "is a symbolic link that leads nowhere (broken or looping): no such file"
        raise SourceNotFoundError(name, [f"{problem} behind it"], what=what)
    if path.exists():
        raise SchemaError(
            name,
            [f"is not a regular file (a FIFO or device): give {file_of}'s file"],
            what=what,
        )
    looked = "" if path.is_absolute() else f" (looked for {path.absolute()})"
    raise SourceNotFoundError(name, [f"no such file{looked}"], what=what)


def _sheets(path: Path, sheet_name: str | int | None) -> tuple[Any, list[str], list[str]]:
    """The open workbook, the sheets to read, and every sheet's name."""
    try:
        book = pd.ExcelFile(path, engine="openpyxl")
    except Exception as err:  # zipfile.BadZipFile, KeyError, InvalidFileException...
        raise SchemaError(str(path), [f"cannot be read as an Excel workbook: {err}"]) from None
    every = [str(s) for s in book.sheet_names]
    if sheet_name is None:
        return book, every, every
    if isinstance(sheet_name, int) and not isinstance(sheet_name, bool):
        if not 0 <= sheet_name < len(every):
            raise SchemaError(
                str(path), [f"no sheet number {sheet_name}; the sheets are {every} (0-based)"]
            )
        chosen = every[sheet_name]
    elif str(sheet_name) in every:
        chosen = str(sheet_name)
    else:
        close = difflib.get_close_matches(str(sheet_name), every, n=1)
        hint = f" (closest: {close[0]!r})" if close else ""
        raise SchemaError(str(path), [f"no sheet {sheet_name!r}{hint}; the sheets are {every}"])
    if sheet_name == 0 and len(every) > 1:
        others = [
            s
            for s in every[1:]
            if not pd.read_excel(book, sheet_name=s, header=None, nrows=2).dropna(how="all").empty
        ]
        if others:
            raise SchemaError(
                str(path),
                [
                    f"the workbook has {len(others) + 1} sheets with data {[chosen, *others]}; "
                    "say which with sheet_name='...', or sheet_name=None to read all of them "
                    "one after the other"
                ],
            )
    return book, [chosen], every


def _header(
    path: Path,
    kind: str,
    *,
    sep: str | None = None,
    encoding: str | None = None,
    sheet_name: str | int | None = 0,
) -> list[str]:
    """Column names of a file without reading its rows (cheap for CSV and Parquet)."""
    if kind == "parquet":
        import pyarrow.parquet as pq

        try:
            return list(pq.read_schema(path).names)
        except Exception as err:  # pyarrow.ArrowInvalid, OSError
            raise SchemaError(str(path), [_parquet_problem(err)]) from None
    if kind == "excel":
        book, chosen, _ = _sheets(path, sheet_name)
        return [str(c) for c in pd.read_excel(book, sheet_name=chosen[0], nrows=0).columns]
    return _sniff(path, "\t" if kind == "tsv" and sep is None else sep, encoding)["names"]


def _parquet_problem(err: Exception) -> str:
    first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return f"cannot be read as Parquet (corrupt or truncated?): {first}"


def _read_file(
    path: Path,
    kind: str,
    columns: Mapping[str, str] | None,
    *,
    sheet_name: str | int | None,
    sep: str | None,
    encoding: str | None,
    decimal: str,
) -> tuple[pd.DataFrame | _Source, dict[str, Any]]:
    """The file's rows as read, and how it was read (separator, encoding, sheets...).

    A text file DuckDB reads exactly as pandas would comes as a table of the engine already
    (:func:`_duckdb_text`); every other file as a DataFrame.
    """
    name = str(path)
    if kind == "parquet":
        try:
            frame = pd.read_parquet(path)
        except Exception as err:  # pyarrow.ArrowInvalid, OSError
            raise SchemaError(name, [_parquet_problem(err)]) from None
        if problems := _duplicated_names([str(c) for c in frame.columns]):
            raise SchemaError(name, problems)
        return frame, {"format": "parquet"}
    if kind == "excel":
        book, chosen, every = _sheets(path, sheet_name)
        parts, headers = [], {}
        for sheet in chosen:
            top = pd.read_excel(book, sheet_name=sheet, header=None, nrows=_SAMPLED)
            names = [str(c) for c in top.iloc[0].tolist()] if len(top) else []
            if problems := _title_problems(top) or _duplicated_names(names):
                raise SchemaError(name, [f"sheet {sheet!r}: {p}" for p in problems])
            if names:
                headers[sheet] = names
            parts.append(
                pd.read_excel(book, sheet_name=sheet, **_pandas_read_options(names, columns))
            )
        if problems := _sheet_header_problems(headers):
            raise SchemaError(name, problems)
        frame = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
        return frame, {"format": "excel", "sheets": chosen, "workbook_sheets": every}
    # CSV: id and number columns are read as text, only empty cells are missing (roles.py).
    info = _sniff(path, "\t" if kind == "tsv" and sep is None else sep, encoding)
    if problems := _duplicated_names(info["names"]):
        raise SchemaError(name, problems)
    options: dict[str, Any] = {
        **_pandas_read_options(info["names"], columns),
        "encoding": info["encoding"],
        "low_memory": False,
        "decimal": decimal,
        "sep": info["sep"],
    }
    if not info["header"]:
        options.update(header=None, names=info["names"])
    read = {
        "format": "text",
        "sep": _sep_name(info["sep"]),
        "encoding": info["encoding"],
        "header": info["header"],
    }
    if decimal == "." and (src := _duckdb_text(path, info, options)) is not None:
        return src, read
    try:
        frame = pd.read_csv(path, **options)
    except UnicodeDecodeError as err:
        raise _decode_error(name, err, err.object, info["encoding"], at_start=False) from None
    except (pd.errors.ParserError, ValueError) as err:
        raise SchemaError(name, _parser_problems(path, info, err)) from None
    return frame, read


#: Whether a text file that DuckDB reads as pandas would is read by DuckDB (the tests turn
#: it off to compare both readers on the same files).
_DUCKDB_TEXT = True
_DUCKDB_COMPRESSED = (".gz", ".zst")  # what DuckDB's reader decompresses itself
_TRUE, _FALSE = ("True", "TRUE", "true"), ("False", "FALSE", "false")  # pandas' words
# Whether pandas reads text as Python objects (pandas 2) rather than its string dtype (3)
_STR_IS_OBJECT = pd.Series(["text"]).dtype == object
_EXTRA = "_clvlib_extra"  # the column past the header's, and then whether a row has it
_NO_NULL = "_clvlib_no_text_is_missing_9f3c1e"  # DuckDB's nullstr: no field is missing
_INT = r" *[+-]?\d{1,18} *"
_FLOAT = r" *[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)? *|[+-]?(?i:inf(?:inity)?)"  # ' inf ': text


def _duckdb_text(path: Path, info: Mapping[str, Any], options: Mapping[str, Any]) -> _Source | None:
    """A text file read by DuckDB's reader into a table of the engine, as pandas would read it.

    The columns are those pandas' ``read_csv`` with ``options`` gives; None when DuckDB
    cannot read the file exactly so.

    DuckDB reads every field as text as written (quotes honoured, a doubled quote is one,
    only an empty field is missing), which is what pandas gives the id and number columns
    (``roles._pandas_read_options``). The other columns are typed as pandas infers them:
    int64 when every value is an integer and none is missing, float64 when every value is a
    number, bool when every value is one of pandas' true/false words, else text. A column is
    text at once when a value of the sniffed head is no number nor true/false word; the
    others are looked at whole in one query.

    Left to pandas (None): files not UTF-8, separated by runs of whitespace, compressed other
    than .gz or .zst, starting with blank lines, of one column; a row of fewer or more fields
    than the header, a line of blanks (pandas skips it); a column of true/false words
    with missing values (pandas makes it Python objects), of integers past 18 digits or of
    values DuckDB reads as numbers and the patterns here do not ('nan', '1_000'); and every
    file DuckDB refuses: a stray quote, bytes that are not UTF-8. pandas then reads it, or
    raises the error it always raised.

    DuckDB silently drops the empty field after a separator ending a row that has one field
    more than the header (pandas names it an error), so the file is read with one column
    more than the header and rows padded: a row whose extra column is not padded, or whose
    last column is, does not have the header's width. Empty fields are then told from padded
    ones by reading no text as missing (``nullstr`` a token no file holds) and making the
    empty ones missing afterwards.
    """
    suffix = path.suffix.lower()
    sep, names = info["sep"], list(info["names"])
    if (
        not _DUCKDB_TEXT
        or info["encoding"] != "utf-8"
        or sep not in _SEPARATORS
        or (suffix in _COMPRESSED and suffix not in _DUCKDB_COMPRESSED)
        or info["first_line"] != 1
        or len(names) < 2
    ):
        return None
    try:
        if info["header"]:  # the names as pandas gives them ('Unnamed: 2' for an empty one)
            header = pd.read_csv(path, nrows=0, sep=sep, encoding=info["encoding"])
            names = [str(c) for c in header.columns]
        if len(names) != len(info["names"]) or len(set(names)) < len(names):
            return None
        as_text = set(options.get("dtype", {}))
        fields = [f"_f{i}" for i in range(len(names))]
        columns = ", ".join(f"'{f}': 'VARCHAR'" for f in [*fields, _EXTRA])
        values = ", ".join(
            f"NULLIF({f}, '') AS {engine._quoted(n)}" for f, n in zip(fields, names, strict=True)
        )
        read = (
            f"SELECT {values}, {_EXTRA} IS NOT NULL OR {fields[-1]} IS NULL AS {_EXTRA} "
            f"FROM read_csv({engine.file_literal(path)}, header = "
            f"{'true' if info['header'] else 'false'}, delim = {engine._string(sep)}, "
            "quote = '\"', escape = '\"', auto_detect = false, null_padding = true, "
            f"nullstr = '{_NO_NULL}', strict_mode = true, columns = {{{columns}}}"
        )
        try:
            table = engine.stored(read + ")")
        except duckdb.Error as err:
            if "null_padding" not in str(err):
                raise
            # a value holding a line break: DuckDB's parallel reader cannot pad rows then
            table = engine.stored(read + ", parallel = false)")
    except (duckdb.Error, ValueError, OSError, ImportError, pd.errors.ParserError):
        return None  # UnicodeDecodeError is a ValueError
    kinds = _inferred_kinds(table, names, as_text, info["sample"])
    if kinds is None:
        return None
    select = []
    for n in names:
        q = engine._quoted(n)
        kind = kinds.get(n, "text")
        if kind == "text":
            select.append(q)
        elif kind == "bool":
            select.append(f"{q} IN ('True', 'TRUE', 'true') AS {q}")
        else:
            typed = "BIGINT" if kind == "int" else "DOUBLE"
            select.append(f"CAST(trim({q}) AS {typed}) AS {q}")
    select.append(f"rowid AS {engine._quoted(_ROW)}")  # insertion order: the file's
    # pandas 2 (its default strings are Python objects) marks text columns as objects
    text = [n for n in names if kinds.get(n, "text") == "text"] if _STR_IS_OBJECT else []
    view = engine.stored_view(table, ", ".join(select))
    return _Source(view, names, frozenset(text), in_memory=True)


def _inferred_kinds(
    table: ibis.Table, names: list[str], as_text: set[str], sample: list[_Record]
) -> dict[str, str] | None:
    """'int', 'float', 'bool' or 'text' for each column pandas would type, as pandas would.

    None when a column cannot be told for sure (see :func:`_duckdb_text`).
    """
    kinds: dict[str, str] = {}
    looked: list[str] = []
    for i, n in enumerate(names):
        if n in as_text:
            continue
        values = [f[i] for _, _, f in sample if i < len(f) and f[i] != ""]
        if any(not _could_be_typed(v) for v in values):
            kinds[n] = "text"  # a word: pandas keeps the column as text
        else:
            looked.append(n)

    def count(condition: ibis.BooleanValue) -> ibis.IntegerScalar:
        return ibis.ifelse(condition.fill_null(False), 1, 0).sum()

    metrics: dict[str, ibis.Scalar] = {"rows": ibis._.count(), "odd": count(table[_EXTRA])}
    for i, n in enumerate(looked):
        c = table[n]
        metrics[f"n{i}"] = c.count()
        metrics[f"int{i}"] = count(c.re_search(f"^(?:{_INT})$"))
        metrics[f"float{i}"] = count(c.re_search(f"^(?:{_FLOAT})$"))
        metrics[f"bool{i}"] = count(c.isin([*_TRUE, *_FALSE]))
        as_word = c.strip().lower().isin(["true", "false"])
        metrics[f"loose{i}"] = count(c.try_cast("float64").notnull() | as_word)
        metrics[f"big{i}"] = count(c.re_search(r"\d{19}"))
    answer = engine.to_pyarrow(table.aggregate(**metrics)).to_pylist()[0]
    found = {k: int(v or 0) for k, v in answer.items()}
    if found["odd"]:
        return None  # a row not of the header's width (or a line of blanks)
    rows = found["rows"]
    for i, n in enumerate(looked):
        present, ints, floats = found[f"n{i}"], found[f"int{i}"], found[f"float{i}"]
        bools, loose = found[f"bool{i}"], found[f"loose{i}"]
        if found[f"big{i}"]:
            return None
        if present == 0:
            kinds[n] = "float"  # every value missing: pandas' float64 of NaN
        elif ints == present:
            kinds[n] = "int" if present == rows else "float"
        elif floats == present:
            kinds[n] = "float"
        elif bools == present:
            if present < rows:
                return None  # pandas: Python objects True, False and NaN
            kinds[n] = "bool"
        elif loose > floats + bools:
            return None  # a value DuckDB reads as a number and the patterns do not
        else:
            kinds[n] = "text"
    return kinds


def _could_be_typed(value: str) -> bool:
    """Whether pandas might read the text as a number or a true/false word."""
    if value in _TRUE or value in _FALSE:
        return True
    try:
        float(value)
    except ValueError:
        return False
    return True


def _sep_name(sep: str) -> str:
    names = {",": "comma", ";": "semicolon", "\t": "tab", "|": "bar", _WHITESPACE: "whitespace"}
    return f"{names.get(sep, repr(sep))}-separated text"


@dataclass
class _Source:
    """The input as one table of the engine: ``_ROW`` and the source's columns (str names)."""

    table: ibis.Table
    names: list[str]
    # text columns made from Python objects (pandas object dtype): there "17850.0" is a float
    # printed, and an order id loses its ".0"
    object_text: frozenset[str] = frozenset()
    # held in memory (an in-memory table of the engine), not a file or a remote table
    in_memory: bool = False


def _frame_source(frame: pd.DataFrame) -> _Source:
    """A DataFrame as an in-memory table (it lives as long as the expressions that use it).

    Python objects become their text (what pandas' ``astype(str)`` gives), time-zone-aware
    times their wall-clock time; everything else travels as it is, through Arrow.
    """
    frame = frame.reset_index(drop=True)
    frame.columns = [str(c) for c in frame.columns]
    objects = set()
    for name in frame.columns:
        col = frame[name]
        if isinstance(col.dtype, pd.CategoricalDtype):
            col = col.astype(object)
        if pd.api.types.is_timedelta64_dtype(col):
            # durations have no type of the engine: their text ('1 days 00:00:00'), which a
            # date column then refuses as not dates, and another column passes on
            col = col.astype(str).where(col.notna(), None).astype(object)
        if is_datetime64_any_dtype(col) and getattr(col.dt, "tz", None) is not None:
            frame[name] = col.dt.tz_localize(None)
        elif col.dtype == object:
            objects.add(name)
            frame[name] = col.astype("str").where(col.notna(), None).astype("str")
    data = pa.Table.from_pandas(frame, preserve_index=False)
    data = data.append_column(_ROW, pa.array(np.arange(len(frame), dtype="int64")))
    return _Source(engine.stored(data), list(frame.columns), frozenset(objects), in_memory=True)


def _parquet_source(path: Path, name: str) -> _Source:
    """A Parquet file scanned by the engine, rows numbered by DuckDB's ``file_row_number``."""
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
    except Exception as err:  # pyarrow.ArrowInvalid, OSError
        raise SchemaError(name, [_parquet_problem(err)]) from None
    names = list(schema.names)
    if problems := _duplicated_names(names) + _reserved_names(names):
        raise SchemaError(name, problems)
    # zone-aware times as the wall clock of the zone the file records (the one time-zone rule)
    zones = {
        f.name: f.type.tz for f in schema if pa.types.is_timestamp(f.type) and f.type.tz is not None
    }
    table = engine.read_parquet(path, row_number=_ROW, zones=zones)
    return _Source(table, names)


def _ibis_source(table: ibis.Table) -> _Source:
    """An ibis table of any backend; its rows numbered in the order of all their values."""
    names = list(table.columns)
    if problems := _reserved_names(names):
        raise SchemaError("<ibis.Table>", problems)
    numbered = table.mutate(**{_ROW: ibis.row_number().over(order_by=[table[n] for n in names])})
    return _Source(numbered, names)


def open_source(
    source: str | Path | pd.DataFrame,
    name: str,
    *,
    what: str = "the transaction log",
    file_of: str = "the order log",
    columns: Mapping[str, str] | Callable[[Path, str], Mapping[str, str]] | None = None,
    sheet_name: str | int | None = None,
    sep: str | None = None,
    encoding: str | None = None,
    decimal: str = ".",
) -> tuple[_Source, str, dict[str, Any], contextlib.AbstractContextManager[None]]:
    """A DataFrame or a file opened as one table of the engine, as every loader opens it.

    Returns the source, its SHA-256, how it was read, and the guard to scan it under (a
    Parquet file corrupt mid-way fails only when scanned). ``what`` the source is read as and
    ``file_of`` whose file it is name it in the errors; ``columns`` (or a function of the
    path and its kind giving them, for a text or Excel file) are the columns read as text.
    """
    if isinstance(source, pd.DataFrame):
        names = [str(c) for c in source.columns]
        if problems := _duplicated_names(names) + _reserved_names(names):
            raise SchemaError(name, problems, what=what)
        return _frame_source(source), _frame_sha256(source), {"format": "DataFrame"}, _NO_GUARD
    path = Path(source)
    check_file(path, name, what=what, file_of=file_of)
    with file_errors(path, name, what):
        kind = _file_kind(path)
        if path.stat().st_size == 0:
            raise SchemaError(name, ["the file is empty (0 bytes)"], what=what)
        if kind == "parquet":
            src, read = _parquet_source(path, name), {"format": "parquet"}
            guard: contextlib.AbstractContextManager[None] = file_errors(path, name, what)
        else:
            given = columns(path, kind) if callable(columns) else columns
            frame, read = _read_file(
                path,
                kind,
                given,
                sheet_name=sheet_name,
                sep=sep,
                encoding=encoding,
                decimal=decimal,
            )
            names = frame.names if isinstance(frame, _Source) else [str(c) for c in frame.columns]
            if problems := _duplicated_names(names) + _reserved_names(names):
                raise SchemaError(name, problems, what=what)
            src = frame if isinstance(frame, _Source) else _frame_source(frame)
            guard = _NO_GUARD
    return src, _file_sha256(path), read, guard


_NO_GUARD = contextlib.nullcontext()
