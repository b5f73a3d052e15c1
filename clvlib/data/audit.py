"""The account of every input row, and the error of a source that is no transaction log.

:data:`REASONS` lists why a row is kept, netted or dropped (in precedence order);
:class:`LoadAudit` is what :func:`clvlib.data.reading.load_transactions` returns beside the
clean log; :class:`SchemaError` is raised, listing every problem at once, when a source
cannot be read as a transaction log.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Iterable, Mapping
from typing import Any

import ibis
import pandas as pd

from clvlib.data import engine

__all__ = ["REASONS", "LoadAudit", "SchemaError", "SourceNotFoundError"]

# code -> (outcome, description). The order is the precedence: a row gets the first code whose
# check applies, "kept" when none does.
REASONS: dict[str, tuple[str, str]] = {
    "no_customer": ("dropped", "no customer id"),
    "bad_timestamp": ("dropped", "missing, unparseable or before-1900 timestamp"),
    "bad_value": ("dropped", "missing or unparseable value"),
    "after_observation_end": ("dropped", "after observation_end"),
    "future": ("dropped", "dated after the day it was loaded"),
    "non_product": ("dropped", "non-product line (postage, fees, adjustments)"),
    "duplicate": ("dropped", "exact duplicate of an earlier line"),
    "non_positive_price": ("dropped", "unit price zero or negative"),
    "zero_value": ("dropped", "zero quantity or amount"),
    "return": ("netted", "return or cancellation (negative amount)"),
    "identical": ("kept", "identical rows kept (separate purchases: no order id)"),
    "kept": ("kept", "purchase line"),
}
_CHECKS = tuple(REASONS)[:-1]  # every code but "kept"
_KEPT = tuple(c for c, (outcome, _) in REASONS.items() if outcome != "dropped")
_TABLE_ORDER = ("kept", "identical", "return", *(c for c in _CHECKS if c not in _KEPT))


_N_EXAMPLES = 5

# The largest amount of money a value may be (in absolute value): beyond it a figure is a
# mistake (an id or a date read as a price, a unit typed into the number), not money. The
# log's line values (classify) and the customer table's CAC are held to it.
_MAX_MONEY = 1e12


# The engine's name of the 0-based input row number (renamed "row" in the clean log), and
# the prefix of every other column the loader adds: no clash with the source's own names.
_ROW = "_clvlib_row"
_MINE = "_clvlib_"


class SchemaError(ValueError):
    """The input cannot be read as a transaction log; ``problems`` lists every reason.

    Attributes
    ----------
    source : str
        The file (or the name given to a DataFrame) at fault.
    problems : list of str
        One sentence per problem, each naming the column and, where it applies, the rows.
    """

    def __init__(self, source: str, problems: Iterable[str], *, what: str = "the transaction log"):
        self.source = source
        self.problems = list(problems)
        self.what = what  # what the source was read as (the customer table says so)
        lines = [f"{source}: {len(self.problems)} problem(s) reading {what}:"]
        lines += [f"  - {p}" for p in self.problems]
        if any(re.search(r"\brows \d", p) for p in self.problems):
            lines.append("  (rows are 0-based data rows: row 0 is the first line after the header)")
        super().__init__("\n".join(lines))


class SourceNotFoundError(SchemaError, FileNotFoundError):
    """The file given as a source does not exist (or is a symbolic link that leads nowhere).

    A :class:`SchemaError` naming the file, and a :class:`FileNotFoundError`, so that code
    catching either catches it.
    """


class LoadAudit:
    """What :func:`load_transactions` did with every input row.

    The counts, values and examples per reason (``table()``, ``examples()``, ``to_dict()``)
    are computed in the engine at load, in one aggregate query. The per-row attributes
    (``outcomes``, ``flags``, ``values``, ``unparsed``) are computed from the engine on first
    access and then kept: a lazy load holds no per-row data until they are asked for.

    Attributes
    ----------
    source : str
        File path, or the name given to a DataFrame or table.
    sha256 : str
        SHA-256 of the file's bytes; for a DataFrame, of its row hashes
        (``pandas.util.hash_pandas_object``); for an ``ibis.Table``, of its schema and of
        the audit's counts and values (the bytes of a remote table are not read).
    n_input_rows : int
        Rows in the source.
    input_value : float
        Sum of the line values of all rows (``values``); a value that is missing, or text with
        no digit in it ("twelve", "n/a"), counts 0 (text with a digit that is no number of the
        column's convention is refused, never dropped).
    outcomes : pandas.Series
        Reason code per input row (index: row number), one of :data:`REASONS`.
    flags : pandas.DataFrame
        Every check per input row (bool, one column per code in precedence order): the outcome
        is the first column that is True, ``kept`` when none is.
    values : pandas.Series
        Line value per input row: ``amount``, or quantity x unit price; negative on returns.
        NaN for rows dropped as ``bad_value`` (their text holds no number).
    columns : dict
        Role -> source column actually used.
    options : dict
        How the source was read (format, separator, encoding, sheets, ``dates``: the date
        convention found) and the loading options (observation_end, ...), for provenance.
    unparsed : pandas.DataFrame
        Values that could not be read: ``row``, ``role``, ``column`` and the ``raw`` text.
    """

    def __init__(
        self,
        *,
        source: str,
        sha256: str,
        reasons: pd.DataFrame,
        columns: dict[str, str],
        options: dict[str, Any],
        rows: ibis.Table | None = None,
        unparsed: ibis.Table | None = None,
    ):
        self.source = source
        self.sha256 = sha256
        self.columns = columns
        self.options = options
        # code -> rows, value, examples (the aggregate computed at load)
        self._reasons = reasons
        self._rows = rows  # row, code, one column per check, value
        self._unparsed = unparsed  # row, role, column, raw
        self.n_input_rows = int(reasons["rows"].sum())
        self.input_value = float(reasons["value"].sum())

    @functools.cached_property
    def _per_row(self) -> pd.DataFrame:
        if self._rows is None:
            return pd.DataFrame(columns=["code", *_CHECKS, "value"], index=pd.Index([], name="row"))
        frame = engine.to_pyarrow(self._rows).to_pandas()
        frame = frame.sort_values(_ROW, kind="stable").set_index(_ROW)
        frame.index = frame.index.astype("int64").rename("row")
        return frame

    @functools.cached_property
    def outcomes(self) -> pd.Series:  # noqa: D102 (the class docstring says what it is)
        codes = self._per_row["code"]
        return pd.Series(
            pd.Categorical(codes.to_numpy(dtype=object), categories=list(REASONS)),
            index=codes.index,
            name="outcome",
        )

    @functools.cached_property
    def flags(self) -> pd.DataFrame:  # noqa: D102
        return self._per_row[list(_CHECKS)].astype(bool)

    @functools.cached_property
    def values(self) -> pd.Series:  # noqa: D102
        return self._per_row["value"].astype("float64").rename("value")

    @functools.cached_property
    def unparsed(self) -> pd.DataFrame:  # noqa: D102
        if self._unparsed is None:
            return pd.DataFrame(columns=["row", "role", "column", "raw"])
        frame = engine.to_pyarrow(self._unparsed).to_pandas()
        frame = frame.sort_values(["_order", "row"], kind="stable").drop(columns="_order")
        frame["row"] = frame["row"].astype("int64")
        return frame.reset_index(drop=True)

    def table(self) -> pd.DataFrame:
        """Rows and value per reason, kept and netted first, with a ``total`` row.

        Columns: ``outcome`` (kept / netted / dropped), ``reason`` (in words), ``rows``,
        ``value`` (sum of line values, negative for returns) and ``share`` (of input rows).
        Index: the reason ``code``. Every reason is listed, with 0 rows where none applied.
        """
        codes = list(_TABLE_ORDER)
        found = self._reasons.reindex(codes)
        out = pd.DataFrame(
            {
                "outcome": [REASONS[c][0] for c in codes],
                "reason": [REASONS[c][1] for c in codes],
                "rows": found["rows"].fillna(0).to_numpy(dtype="int64"),
                "value": found["value"].fillna(0.0).to_numpy(dtype="float64"),
            },
            index=pd.Index(codes, name="code"),
        )
        out.loc["total"] = ["total", "all input rows", self.n_input_rows, self.input_value]
        out["rows"] = out["rows"].astype("int64")
        out["value"] = out["value"].astype("float64")
        out["share"] = out["rows"] / max(self.n_input_rows, 1)
        return out

    def examples(self, n: int = _N_EXAMPLES) -> dict[str, list[int]]:
        """The first ``n`` row numbers of each reason that occurred (to look them up)."""
        if n > _N_EXAMPLES:
            positions = self.outcomes.groupby(self.outcomes, observed=True).indices
            rows = self.outcomes.index.to_numpy()
            return {str(c): [int(r) for r in rows[pos[:n]]] for c, pos in positions.items()}
        occurred = self._reasons[self._reasons["rows"] > 0]
        return {
            str(code): [int(r) for r in occurred.loc[code, "examples"][:n]]
            for code in REASONS
            if code in occurred.index
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable summary for report provenance (no per-row data)."""
        examples = self.examples()
        table = self.table()
        reasons = [
            {
                "code": code,
                "outcome": r.outcome,
                "reason": r.reason,
                "rows": int(r.rows),
                "value": float(r.value),
                "share": float(r.share),
                "examples": examples.get(code, []),
            }
            for code, r in table.iterrows()
        ]
        return {
            "source": self.source,
            "sha256": self.sha256,
            "n_input_rows": int(self.n_input_rows),
            "input_value": float(self.input_value),
            "columns": dict(self.columns),
            "options": _jsonable(self.options),
            "reasons": reasons,
        }

    def _header(self) -> str:
        return (
            f"Load audit of {self.source} (sha256 {self.sha256[:12]}): "
            f"{self.n_input_rows:,} input rows, input value {self.input_value:,.2f}"
            + (f"; {how}" if (how := self.how_read()) else "")
        )

    def how_read(self) -> str:
        """How the source was read, in words: format, separator, encoding, sheets, dates."""
        o = self.options
        parts = []
        if o.get("format") == "text":
            parts.append(f"{o['sep']}, {o['encoding']}" + ("" if o["header"] else ", no header"))
        elif o.get("format") == "excel":
            parts.append(f"sheets {o['sheets']} of {o['workbook_sheets']}")
        elif o.get("format"):
            parts.append(str(o["format"]))
        if o.get("dates"):
            parts.append(f"dates: {o['dates']}")
        return "; ".join(parts)

    def __repr__(self) -> str:
        return f"{self._header()}\n{self.table().to_string()}"

    def _repr_html_(self) -> str:
        table = self.table().to_html(
            formatters={"value": "{:,.2f}".format, "share": "{:.1%}".format}
        )
        return f"<div><p>{html.escape(self._header())}</p>{table}</div>"


def _jsonable(options: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in options.items():
        if isinstance(value, pd.Timestamp):
            value = value.isoformat()
        elif isinstance(value, tuple | list | frozenset | set):
            value = sorted(value) if isinstance(value, frozenset | set) else list(value)
        out[key] = value
    return out
