"""Text the embedded engine reads itself, without a round trip through Python: padding, ISO dates.

:mod:`clvlib.data.values` reads a text timestamp column by the convention its DISTINCT values
show, parsed by pandas (:func:`clvlib.data.values._read_dates`): a 10-million-line log with
times to the second has 3.3 million of them, each sent to Python, matched against a few
regular expressions and parsed there. Most logs write plain ISO 8601 (``2024-01-02``,
``2024-01-02 10:00:00``, ``2024-01-02T10:00:00.5``), which the engine reads as pandas does:
those are cast where they lie (:func:`iso_timestamps`), after one aggregate query says that
the column holds them (:func:`iso_counts`). What is not written so goes the Python way.

The checks of every text column ask whether a value has surrounding whitespace or invisible
characters to strip (:func:`clvlib.data.values._padded`); a cheaper question whose answer
includes every padded value (:func:`maybe_padded`) tells the columns that have none before
any other query is built, so that no expression strips them.

Nothing here decides what a value means: only which values the engine may read itself, and
how, identically to the Python path (``tests/test_text_engine.py`` compares both).
"""

from __future__ import annotations

import ibis
import pandas as pd

from clvlib.data import engine

# A plain ISO 8601 date, optionally with a time of hours and minutes, seconds, and up to six
# decimals of a second ('T' or one space between): what DuckDB's cast to TIMESTAMP and pandas'
# format="ISO8601" read alike (both also read '2024-1-2', left out all the same; DuckDB reads
# hour 24 or two spaces before the time, which pandas does not, pandas '2024-01-02 10' and
# seven decimals, which DuckDB does not or reads otherwise).
# An impossible day ('2024-02-30') is no timestamp to either. Offsets and other spellings are
# left to pandas.
PLAIN_ISO = (
    r"^[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
    r"(?:[T ](?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{1,6})?)?)?$"
)
# From this year on pandas' nanosecond timestamps may not reach (2262-04-11): such a column is
# left to pandas, whose answer then depends on the other values' precision.
LATE_YEAR = "2262"
# Earlier timestamps are placeholders or misreads, never purchases (values._FLOOR).
FLOOR = pd.Timestamp("1900-01-01")


@ibis.udf.scalar.builtin(name="strlen")
def _bytes(text: str) -> int:  # type: ignore[empty-body]
    """DuckDB's ``strlen``: the text's length in bytes (``length`` counts characters)."""


def maybe_padded(text: ibis.StringValue) -> ibis.BooleanValue:
    """True for every value :func:`~clvlib.data.values._padded` holds for, and some others.

    Text that is not all ASCII (the invisible characters are not), or whose first or last
    character is a control or a space, compared as bytes: the first by the text itself, the
    last by its reverse, exact for ASCII text (DuckDB reverses grapheme clusters, which would
    keep a zero-width joiner with the character before it). Empty text counts. About three
    times cheaper than the exact check, which looks at the last character by ``right(text,
    1)``: what tells the columns with nothing to strip before any other query.
    """
    return (_bytes(text) != text.length()) | (text < "!") | (text.reverse() < "!")


def iso_counts(text: ibis.StringValue) -> dict[str, ibis.Scalar]:
    """Aggregates of a stripped text column (NULL where missing): present, plain ISO, late.

    ``late``: plain ISO values of the year :data:`LATE_YEAR` or after.
    """
    plain = text.re_search(PLAIN_ISO)

    def count(condition: ibis.BooleanValue) -> ibis.IntegerScalar:
        return ibis.ifelse(condition.fill_null(False), 1, 0).sum().fill_null(0)

    return {
        "present": count(text.notnull()),
        "plain": count(plain),
        "late": count(plain & (text.left(4) >= LATE_YEAR)),
    }


def is_plain_iso(text: ibis.StringValue) -> ibis.BooleanValue:
    """Whether the stripped text is plain ISO 8601 (:data:`PLAIN_ISO`)."""
    return text.re_search(PLAIN_ISO).fill_null(False)


def iso_timestamps(text: ibis.StringValue) -> ibis.TimestampValue:
    """Plain ISO 8601 text as timestamps, cast by the engine; NULL before 1900 or unreadable.

    Only for values of :data:`PLAIN_ISO` before :data:`LATE_YEAR` (other text may be cast
    otherwise than pandas reads it).
    """
    ts = text.try_cast("timestamp")
    return ibis.ifelse(ts < engine.timestamp(FLOOR), ibis.null("timestamp"), ts)
