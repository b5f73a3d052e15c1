"""How a number, a label or a table reads in a report: the one formatter of every page.

:func:`notebook_display() <clvlib.report.notebook.notebook_display>` installs :func:`to_html` as the
HTML display of DataFrames, Series, dicts, tuples, paths and scalars in the report kernels, so
every table a stakeholder sees is formatted the same way without a notebook asking for it:
money with thousands separators and two decimals, shares as percentages, no scientific
notation, a dash for a missing value (with a footnote), full text in wrapping cells, column
labels in words. Every string taken from data is escaped: :func:`escape_html` for HTML and
:func:`escape_markdown` for Markdown that a notebook displays (a channel named
``<img src=x onerror=...>`` must read as text, never run).

The kind of a value (share, money, count, score) is decided from its name (column, index or
dict key): the unit the vocabulary gives the term of that name first, else a guess from its
words (see :func:`kind_of`). A money column's header names the currency
(:func:`~clvlib.vocabulary.money_unit`): "Mean value (€)".
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Mapping
from datetime import date
from pathlib import Path, PurePath
from typing import Any

import numpy as np
import pandas as pd

from clvlib.vocabulary import COLUMNS as _COLUMNS
from clvlib.vocabulary import METHODS as _METHODS
from clvlib.vocabulary import METRICS as _METRICS
from clvlib.vocabulary import TERMS, Kind, format_number, heading, magnitude, money_unit
from clvlib.vocabulary import clean_zero as _clean_zero

#: what a missing value means, said once under every table that has one
MISSING_NOTE = "– no value: not defined for this row (for example, no data to compute it from)."

# Words in a name that decide its kind, first match wins (names are snake_case).
_SCORE = re.compile(r"(^|_)(gini|spearman|auc|score|silhouette|ari|nmi|squared)($|_)")
_SHARE = re.compile(r"(^|_)(share|shares|rate|probability|pct_of|margin|percent)($|_)|^top\d+_")
_PERCENT_ALREADY = re.compile(r"_pct($|_)")
_RATIO = re.compile(r"^[a-z]+_to_[a-z]+$|(^|_)(lift|skill)($|_)")  # ltv_to_cac: a ratio, not money
_MONEY = re.compile(
    r"(^|_)(value|clv|cac|revenue|profit|amount|aov|monetary|spend|spent|cost|price|"
    r"sales|income|ltv)($|_)"
)
_COUNT = re.compile(
    r"(^|_)(n|count|customers|orders|rows|lines|purchases|size|k|buyers|members)($|_)|^n_"
)
#: kinds that the words of a name get wrong (clv_sensitivity: relative changes as fractions),
#: read from their vocabulary entries
KINDS: dict[str, Kind] = {code: TERMS[code].unit for code in ("change", "delta", "delta_pct")}
#: the unit of every column and metric of the vocabulary, by code and by label in lower case
#: ("mae" and "MAE" are money, "ltv_to_cac" and "LTV : CAC" a plain number); methods are left
#: out: a column named after a method holds whatever the table measures of it
_VOCABULARY_UNITS: dict[str, Kind] = {
    **{t.label.lower(): t.unit for t in (*_COLUMNS.values(), *_METRICS.values()) if t.unit},
    **{code: t.unit for code, t in (*_COLUMNS.items(), *_METRICS.items()) if t.unit},
}
#: the statistic a column name starts with ("mean_total_value"): the unit is the term's
_STATISTIC = re.compile(r"^(mean|median|avg|average|sum|min|max)[_ ]", re.I)


def _vocabulary_unit(name: Any) -> Kind | None:
    """The unit the vocabulary gives the term ``name`` names (with a statistic before it)."""
    if not isinstance(name, str):
        return None
    for key in (name, _STATISTIC.sub("", name)):
        unit = _VOCABULARY_UNITS.get(key) or _VOCABULARY_UNITS.get(key.strip().lower())
        if unit is not None:
            return unit
    return None


def _method_label(code: str) -> str:
    """A method code (``heuristic_clv``) as its label ("heuristic CLV"); other text as it is."""
    return _METHODS[code].label if code in _METHODS else code


_WORDS = {
    "kmeans": "k-means",
    "ltv": "LTV",
    "clv": "CLV",
    "cac": "CAC",
    "rfm": "RFM",
    "aov": "AOV",
    "btyd": "BTYD",
    "id": "ID",
}


def kind_of(name: Any) -> Kind:
    """The kind of the values a name (column, index or key) holds.

    First the unit of the vocabulary's term of that name (:data:`clvlib.vocabulary.TERMS`,
    by code or label, also after a statistic: ``mean_total_value``): ``mae`` and ``rmse``
    are money, ``ltv_to_cac`` a plain number. Else read from its words: ``share``
    (fractions shown as percentages: ``*_share``, ``*_rate``, ``probability``, ``margin``,
    ``top20_*``), ``money`` (``*value``, ``clv``, ``cac``, ``revenue``, ``profit``,
    ``amount``, ``spend``, ``cost``), ``count`` (``n_*``, ``customers``, ``orders``,
    ``rows``) and else ``number``. A name with spaces ("share of value") is read word by
    word as well.

    Examples
    --------
    >>> kind_of("rmse"), kind_of("MAE"), kind_of("mean_total_value"), kind_of("churn_rate")
    ('money', 'money', 'money', 'share')
    """
    if name in KINDS:
        return KINDS[name]
    if re.search(r" : |\(x\)", str(name)):  # "CLV : CAC", "CLV in first orders (x)": a ratio
        return "number"
    unit = _vocabulary_unit(name)
    if unit is not None:
        return unit
    text = re.sub(r"[^a-z0-9%]+", "_", str(name).strip().lower()).strip("_")
    if not text:
        return "number"
    if _PERCENT_ALREADY.search(text) or _SCORE.search(text) or _RATIO.search(text):
        return "number"
    if _SHARE.search(text) or "%" in text:
        return "share"
    if _MONEY.search(text):
        return "money"
    if _COUNT.search(text):
        return "count"
    return "number"


def label(name: Any) -> str:
    """A column or row name in words: ``avg_order_value`` -> "Average order value".

    A code of the vocabulary (:data:`clvlib.vocabulary.TERMS`: a column, a metric, a method)
    reads as its label, as a heading; other names are spelt out from their words.
    """
    if not isinstance(name, str):
        return format_value(name)
    if name in TERMS:
        return heading(TERMS[name].label)
    if not re.fullmatch(r"[A-Za-z0-9_]+", name) or "_" not in name and not name.islower():
        return name  # already words ("share of value", "Gini")
    words = [_WORDS.get(w, w) for w in name.split("_") if w]
    if not words:
        return name
    spelt = name.split("_")[0] in _WORDS or words[0].isupper()  # "k-means", "CLV" stay
    first = words[0] if spelt else words[0].capitalize()
    return " ".join([first, *words[1:]])


def is_missing(value: Any) -> bool:
    """True for None, NaN, NaT and pandas' NA (never raises on arrays or text)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float | np.floating):
        return bool(np.isnan(value))
    return False


def format_value(value: Any, kind: Kind | None = None, *, name: Any = "") -> str:
    """One value as a reader sees it (plain text, not escaped).

    Numbers never in scientific notation and never ``-0``; shares as percentages with one
    decimal; money with thousands separators and two decimals (none from 10,000 on); counts
    as integers with separators; other numbers with three significant digits; dates without
    a midnight time; booleans as yes / no; a missing value as a dash.
    """
    if kind is None:
        kind = kind_of(name)
    if is_missing(value):
        return "–"
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, PurePath):
        return shown_path(value)
    if isinstance(value, pd.Timestamp | date):
        stamp = pd.Timestamp(value)
        return stamp.strftime("%Y-%m-%d" if stamp == stamp.normalize() else "%Y-%m-%d %H:%M")
    if isinstance(value, pd.Timedelta):
        return f"{value.days:,} days" if value == pd.Timedelta(days=value.days) else str(value)
    if isinstance(value, np.integer):
        value = int(value)
    if isinstance(value, np.floating):
        value = float(value)
    if isinstance(value, float) or isinstance(value, int) and kind != "share":
        return format_number(value, kind)
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(format_value(v, kind) for v in value)
    if isinstance(value, Mapping):  # e.g. the loader's column roles: "timestamp: date"
        return "; ".join(f"{k}: {format_value(v, name=k)}" for k, v in value.items()) or "–"
    if isinstance(value, int):  # an integer share (0 or 1)
        return format_number(value, kind)
    return str(value)


_SCIENTIFIC = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?[eE][+-]?\d+(?![\w.])")


def readable(text: str) -> str:
    """A sentence with its numbers as a reader knows them: no ``-0.000``, no ``2.66e-11``.

    For text built elsewhere (verdicts, caveats) that a page shows: a rounded zero loses its
    sign (:func:`_clean_zero`) and scientific notation becomes :func:`magnitude`
    (``2.66 × 10⁻¹¹``).
    """
    return _SCIENTIFIC.sub(lambda m: magnitude(float(m.group(0))), _clean_zero(text))


def escape_html(text: Any) -> str:
    """Text taken from data, safe inside HTML (element content and attribute values)."""
    return html.escape(str(text), quote=True)


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~>-])")


def escape_markdown(text: Any) -> str:
    """Text taken from data, safe inside Markdown that a notebook displays.

    HTML is escaped (Markdown passes raw HTML through) and Markdown's own punctuation is
    backslash-escaped, so a value reads literally: no tag, link, emphasis or heading. Use it
    for every data string (a channel, a country, a segment name) put into Markdown.
    """
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", escape_html(str(text).replace("\n", " ")))
    # no autolink either: a bare URL or www. address would become a live link
    return escaped.replace(":", "&#58;").replace("www.", "www&#46;")


# --------------------------------------------------------------------------- paths

#: environment variables the runner sets so that pages show paths relative to a folder
BASE_DIR_ENV = "CLVLIB_PATHS_RELATIVE_TO"  # the parameters file's folder
OUTPUT_DIR_ENV = "CLVLIB_OUTPUT_DIR"  # the output folder: exports are shown relative to it


def shown_path(path: str | os.PathLike[str], base: str | os.PathLike[str] | None = None) -> str:
    """A path as a page shows it: relative to ``base`` (default: the parameters file's folder).

    The default base is the output folder for a file inside it (``CLVLIB_OUTPUT_DIR``, set
    by the runner), else the folder the runner names in ``CLVLIB_PATHS_RELATIVE_TO`` (the
    parameters file's folder), else the current directory (the notebook's folder in
    JupyterLab). A path elsewhere is shown relative to it with ``..``; a page never shows the
    machine's absolute folders.
    """
    target = Path(path)
    if not target.is_absolute():
        return target.as_posix()
    out = os.environ.get(OUTPUT_DIR_ENV)
    if base is None and out and Path(os.path.abspath(target)).is_relative_to(out):
        base = out  # an export: relative to the report's own folder
    base = Path(base or os.environ.get(BASE_DIR_ENV) or Path.cwd()).resolve()
    try:
        return Path(os.path.relpath(os.path.abspath(target), base)).as_posix()
    except ValueError:  # another drive (Windows): the name is all that can be shown
        return target.name


# --------------------------------------------------------------------------- tables


def to_html(obj: Any) -> str | None:
    """The HTML a report page shows for ``obj``, or None to leave it to its own display.

    DataFrames and Series become formatted tables (:func:`table_html`), dicts two-column
    tables, paths, scalars and tuples a short formatted line.
    """
    if isinstance(obj, pd.DataFrame):
        return table_html(obj)
    if isinstance(obj, pd.Series):
        return table_html(_series_frame(obj))
    if isinstance(obj, Mapping):
        if type(obj) is not dict and hasattr(obj, "_repr_html_"):
            return obj._repr_html_()  # Facts, Params: their own (formatted) table
        return table_html(_mapping_frame(obj))
    if isinstance(obj, PurePath):
        return f'<p class="clv-value">{escape_html(shown_path(obj))}</p>'
    if isinstance(obj, tuple | list) and all(np.isscalar(v) or v is None for v in obj):
        text = ", ".join(format_value(v) for v in obj)
        return f'<p class="clv-value">{escape_html(text)}</p>'
    if isinstance(obj, str):
        return f'<p class="clv-value">{escape_html(obj)}</p>'
    if isinstance(obj, int | float | np.integer | np.floating | np.bool_) or obj is pd.NA:
        return f'<p class="clv-value">{escape_html(format_value(obj))}</p>'
    return None


def _series_frame(series: pd.Series) -> pd.DataFrame:
    name = series.name if series.name is not None else "value"
    frame = series.to_frame(name=name)
    if frame.index.name is None and not isinstance(frame.index, pd.RangeIndex):
        frame.index.name = ""
    return frame


def _mapping_frame(mapping: Mapping[Any, Any]) -> pd.DataFrame:
    items = list(mapping.items())
    keys = [k for k, _ in items]
    shown = [format_value(v, name=k) if not isinstance(v, str) else v for k, v in items]
    names = [label(k) for k in keys]
    return pd.DataFrame({"value": shown}, index=pd.Index(names, name=""), dtype=object)


_DESCRIBE_COUNTS = {"count", "unique", "freq"}
#: a cell that reads as a number (right-aligned): 1,234.5 / -3 / 62.4% / €12.50 / 4.00 CHF / –
_NUMERIC_TEXT = re.compile(r"[-−+]?[€£$¥₹]?[\d,]+(\.\d+)?%?( [A-Z]{3})?|–")
#: a period code of a table (``frame.attrs["period"]``, e.g. the payback's) in words: a header
#: that counts "periods" says which
PERIOD_WORDS = {"D": "days", "W": "weeks", "M": "months", "Q": "quarters", "Y": "years"}
_PERIODS = re.compile(r"\bperiods\b")


def table_html(frame: pd.DataFrame, *, max_rows: int = 60) -> str:
    """A DataFrame as a report table: formatted, escaped, labelled, wrapping, scrolling.

    The index is shown as leading columns (an unnamed RangeIndex, 0..n-1, is left out; a
    named one, like ``choose_k``'s ``k``, is data). Each column is
    formatted by the kind of its name, a row of ``describe()`` by its statistic (``count``
    is a count). A money column's header names the currency (:func:`column_header`), and a
    header counting "periods" says which when the frame's ``attrs["period"]`` does ("months").
    Long tables show their first and last ``max_rows // 2`` rows and say how many were left
    out.
    """
    period = PERIOD_WORDS.get(str(frame.attrs.get("period")), "periods")
    frame = _flatten_columns(frame)
    show_index = not (isinstance(frame.index, pd.RangeIndex) and frame.index.name is None)
    if show_index:
        names: list[str] = []
        for n in frame.index.names:  # unique, and not the name of a column
            name = "" if n is None else str(n)
            while name in names or name in frame.columns:
                name += " "
            names.append(name)
        frame = frame.set_axis(frame.index.set_names(names)).reset_index()
        for name in names:  # rows named by a method code read in words (inside a sentence)
            values = [_method_label(v) if isinstance(v, str) else v for v in frame[name]]
            frame[name] = pd.Series(values, index=frame.index, dtype=object)
    n_rows = len(frame)
    omitted = 0
    if n_rows > max_rows:
        half = max_rows // 2
        omitted = n_rows - 2 * half
        frame = pd.concat([frame.head(half), frame.tail(half)])
    describe = show_index and set(frame.iloc[:, 0].astype(str)) >= {"mean", "std"}
    missing = False
    kinds = [_column_kind(c, frame.iloc[:, j]) for j, c in enumerate(frame.columns)]
    heads = [_PERIODS.sub(period, column_header(c, k)) for c, k in zip(frame, kinds, strict=True)]
    head = "".join(f'<th scope="col">{escape_html(h)}</th>' for h in heads)
    body = []
    for pos, row in enumerate(frame.itertuples(index=False, name=None)):
        stat = str(row[0]) if describe else ""
        cells = []
        for column_kind, value in zip(kinds, row, strict=True):
            if describe and stat in _DESCRIBE_COUNTS and not isinstance(value, str):
                kind: Kind = "count"
            else:
                kind = column_kind
            missing = missing or is_missing(value)
            text = format_value(value, kind) if not isinstance(value, str) else value
            css = ' class="num"' if _NUMERIC_TEXT.fullmatch(text) else ""
            cells.append(f"<td{css}>{escape_html(text)}</td>")
        if omitted and pos == max_rows // 2:
            body.append(
                f'<tr class="omitted"><td colspan="{len(frame.columns)}">'
                f"{omitted:,} rows not shown</td></tr>"
            )
        body.append("<tr>" + "".join(cells) + "</tr>")
    note = f'<p class="clv-note">{escape_html(MISSING_NOTE)}</p>' if missing else ""
    return (
        '<div class="clv-table"><table class="clv">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{note}</div>"
    )


def column_header(name: Any, kind: Kind | None = None) -> str:
    """A column's header: its label (:func:`label`), a money column's with the currency.

    ``kind`` of its values (default: :func:`kind_of` the name). A header that already names
    a currency unit keeps its words.

    Examples
    --------
    >>> from clvlib.vocabulary import use_currency
    >>> with use_currency("EUR"):
    ...     column_header("mean_total_value"), column_header("customers"), column_header("mae")
    ('Mean total value (€)', 'Customers', 'MAE (€)')
    >>> column_header("cac")
    'Acquisition cost (CAC) (currency units)'
    """
    text = label(name)
    if (kind or kind_of(name)) != "money":
        return text
    unit = money_unit()
    if unit in text or "currency" in text.lower():
        return text
    return f"{text} ({unit})"


def _flatten_columns(frame: pd.DataFrame) -> pd.DataFrame:
    if isinstance(frame.columns, pd.MultiIndex):
        flat = [" ".join(str(part) for part in col if str(part)) for col in frame.columns]
        return frame.set_axis(flat, axis=1)
    return frame


def _column_kind(name: Any, column: pd.Series) -> Kind:
    if pd.api.types.is_bool_dtype(column) or not pd.api.types.is_numeric_dtype(column):
        return "text"
    kind = kind_of(name)
    if kind == "share" and column.abs().max(skipna=True) > 1.5:
        return "number"  # a share already in percent (0-100), or not a share at all
    return kind


def install(shell: Any = None) -> None:
    """Make :func:`to_html` the HTML display of tables, dicts, paths and scalars in ``shell``.

    ``shell`` is the IPython shell (default: the running one; nothing happens outside
    IPython). Objects with their own HTML display (figures, Markdown) keep it.
    """
    if shell is None:
        from IPython import get_ipython

        shell = get_ipython()
    if shell is None:
        return
    formatter = shell.display_formatter.formatters["text/html"]
    for kind in (
        pd.DataFrame,
        pd.Series,
        dict,
        tuple,
        list,
        PurePath,
        str,
        int,
        float,
        np.integer,
        np.floating,
        np.bool_,
    ):
        formatter.for_type(kind, to_html)
    formatter.for_type_by_name("clvlib.data.audit", "LoadAudit", audit_html)
    for name in ("Comparison", "RollingOrigin"):  # their repr is a summary in sentences
        formatter.for_type_by_name("clvlib.compare.comparison", name, sentences_html)


def sentences_html(obj: Any) -> str:
    """An object's ``summary_text()`` (else ``repr``), one sentence a line, as a bullet list."""
    text = obj.summary_text() if hasattr(obj, "summary_text") else repr(obj)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    items = "".join(f"<li>{escape_html(readable(line))}</li>" for line in lines)
    return f'<ul class="clv-sentences">{items}</ul>'


def audit_html(audit: Any) -> str:
    """A :class:`~clvlib.data.reading.LoadAudit` as a sentence and its table."""
    header = (
        f"Load audit of {shown_path(audit.source)} (SHA-256 {audit.sha256[:12]}…): "
        f"{audit.n_input_rows:,} input rows, "
        f"input value {format_value(audit.input_value, 'money')}."
    )
    table = audit.table()
    table.index.name = "reason code"
    return f"<p>{escape_html(header)}</p>{table_html(table)}"
