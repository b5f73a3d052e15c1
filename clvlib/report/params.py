"""Report parameters: one schema, validated before any notebook runs.

:data:`SCHEMA` is the single definition of every report parameter (name, type, default,
comment). The parameters files (``params/*.yaml``), the ``parameters`` cell of every notebook
(:func:`parameters_cell` writes it) and the validation below all derive from it, and a test
checks that they agree.

Papermill only logs a warning for an unknown parameter, and YAML hands dates over as strings
or ``date`` objects, so :func:`load_params` checks everything itself: unknown keys (with a
"did you mean" suggestion), types, ranges, choices, dates (parsed, calibration before holdout)
and paths (they must exist).

Relative paths in a parameters file are resolved against **the folder of that file** — never
against the current directory — so a file works wherever ``make`` is run from. The shipped
files live in ``params/``, a sibling of ``data/`` and ``notebooks/``; that is why the defaults
read ``../data/...``: the same default resolves to the same file from a parameters file in
``params/`` and from a notebook opened in ``notebooks/`` (JupyterLab runs it there).
"""

from __future__ import annotations

import difflib
import json
import math
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from clvlib.report.ledger import ALL, LEDGER_ENV, record

Kind = Literal[
    "value",
    "path",
    "optional_path",
    "output_dir",
    "date",
    "choice",
    "rule_set",
    "columns",
    "text_option",
    "sheet",
    "tristate",
    "k",
    "currency",
]

#: rule sets shipped in ``clvlib/methods/segments/<name>.yaml``
RULE_SETS = ("r_rfm", "rf_grid", "value_activity")


@dataclass(frozen=True)
class Param:
    """One report parameter: the single place its name, type, default and meaning live."""

    name: str
    type: type
    default: Any
    comment: str
    kind: Kind = "value"
    choices: tuple[Any, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    minimum_inclusive: bool = True

    @property
    def annotation(self) -> str:
        """The type annotation used in the notebooks' parameters cell."""
        return self.type.__name__  # "object" for n_clusters ("auto" or an int)

    def literal(self) -> str:
        """The default as Python source, formatted as ruff formats it (double quotes)."""
        return json.dumps(self.default) if isinstance(self.default, str) else repr(self.default)


SCHEMA: tuple[Param, ...] = (
    Param("dataset_name", str, "simulated shop", "name of the data set, shown in report titles"),
    Param(
        "data_path",
        str,
        "../data/transactions.csv",
        "order log: CSV, Parquet or Excel (never edited)",
        kind="path",
    ),
    Param(
        "data_format",
        str,
        "clvlib",
        "'clvlib' (columns named after the roles) or 'online_retail' (UCI)",
        kind="choice",
        choices=("clvlib", "online_retail"),
    ),
    Param(
        "columns",
        dict,
        {},
        "role -> column of data_path, where not named after the role",
        kind="columns",
    ),
    Param(
        "sep",
        str,
        "",
        "field separator; '' sniffs comma, semicolon, tab, whitespace",
        kind="text_option",
    ),
    Param("encoding", str, "", "text encoding of data_path; '' is UTF-8", kind="text_option"),
    Param(
        "date_format",
        str,
        "",
        "strftime format of dates ('%d/%m/%Y'); '' reads it from the values",
        kind="text_option",
    ),
    Param(
        "decimal",
        str,
        ".",
        "decimal mark of numbers in a text file: '.' or ','",
        kind="choice",
        choices=(".", ","),
    ),
    Param(
        "thousands",
        str,
        "",
        "thousands mark in a text file: , . space ' or 'none'; '' reads the values",
        kind="choice",
        choices=("", "none", ",", ".", " ", "'"),
    ),
    Param(
        "sheet_name",
        str,
        "",
        "Excel sheet: name or number; '' the one with data; null all",
        kind="sheet",
    ),
    Param(
        "drop_duplicates",
        str,
        "auto",
        "drop identical rows: 'auto' (if order ids), true or false",
        kind="tristate",
    ),
    Param(
        "customers_path",
        str,
        "../data/customers.csv",
        "table of signup_date, channel, cac; '' when none",
        kind="optional_path",
    ),
    Param(
        "calibration_end",
        str,
        "2024-06-30",
        "last day of the calibration period (methods fitted to it)",
        kind="date",
    ),
    Param(
        "holdout_end",
        str,
        "2024-12-31",
        "last day of the holdout period (what customers did next)",
        kind="date",
    ),
    Param(
        "time_unit",
        str,
        "D",
        "unit of durations: 'D' days, 'W' weeks, 'M' months",
        kind="choice",
        choices=("D", "W", "M"),
    ),
    Param(
        "margin",
        float,
        0.3,
        "gross margin, a fraction of revenue, where the data has no cost",
        minimum=0.0,
        maximum=1.0,
        minimum_inclusive=False,
    ),
    Param(
        "currency",
        str,
        "",
        "ISO code of the money amounts (EUR, GBP, USD); '' writes plain amounts",
        kind="currency",
    ),
    Param(
        "discount_rate",
        float,
        0.1,
        "yearly discount rate of future cash flows (discounted CLV)",
        minimum=0.0,
        maximum=1.0,
    ),
    Param(
        "cac",
        float,
        10.0,
        "acquisition cost per customer where there is no customer table",
        minimum=0.0,
    ),
    Param("n_bins", int, 5, "RFM score bins: 5 quintiles, 4 quartiles", minimum=2, maximum=10),
    Param(
        "rule_set",
        str,
        "r_rfm",
        "segment rules: r_rfm, rf_grid, value_activity or your YAML file",
        kind="rule_set",
    ),
    Param(
        "n_clusters",
        object,
        "auto",
        "k-means clusters: 'auto' (choose_k's stable pick) or 2..30",
        kind="k",
    ),
    Param("random_state", int, 0, "seed of every random step (k-means, resampling)", minimum=0),
    Param(
        "bootstrap_max_customers",
        int,
        200_000,
        "above this many customers, intervals use a fixed sample",
        minimum=100,
    ),
    Param(
        "k_choice_max_customers",
        int,
        200_000,
        "above this many customers, auto k uses a fixed sample",
        minimum=100,
    ),
    Param(
        "bgnbd_penalizer",
        float,
        0.0,
        "L2 penalty of the BG/NBD fit; 0 is plain maximum likelihood",
        minimum=0.0,
        maximum=100.0,
    ),
    Param(
        "gg_penalizer",
        float,
        0.0,
        "L2 penalty of the Gamma-Gamma fit (spend scaled by its mean)",
        minimum=0.0,
        maximum=100.0,
    ),
    Param(
        "value_basis",
        str,
        "net",
        "money basis: 'net' of returns, or 'net_margin' (net x margin)",
        kind="choice",
        choices=("net", "net_margin"),
    ),
    Param(
        "output_dir",
        str,
        "../reports",
        "folder of the reports and exports (--out overrides it)",
        kind="output_dir",
    ),
)

PARAMS: dict[str, Param] = {p.name: p for p in SCHEMA}


class ParamsError(ValueError):
    """Parameters that cannot be used; the message lists every problem found."""


class Params(dict):
    """Validated parameters, in schema order; ``source`` is the file they came from.

    Paths are absolute strings ('' for an absent optional path), dates ISO strings, so the
    dict can be handed to papermill and written to JSON as it is.
    """

    source: str | None = None

    def table(
        self, base: str | Path | None = None, *, keys: Iterable[str] | None = None
    ) -> pd.DataFrame:
        """The parameters a report ran with, with what each one means.

        Paths are shown relative to ``base`` (default: the parameters file's folder), never
        as the machine's absolute folders; ``keys``: only these parameters, in schema order.
        """
        if base is None and self.source:
            base = Path(self.source).parent
        wanted = None if keys is None else set(keys)
        rows = [
            (k, _show(PARAMS[k], v, base), PARAMS[k].comment)
            for k, v in dict.items(self)
            if wanted is None or k in wanted
        ]
        return pd.DataFrame(rows, columns=["parameter", "value", "meaning"]).set_index("parameter")

    def _repr_html_(self) -> str:  # a notebook shows the table: formatted, never truncated
        from clvlib.report.formatting import table_html

        return table_html(self.table())


class RecordedParams(Params):
    """:class:`Params` that write the name of each parameter read to the page's ledger.

    Used by the kernels of a report run (:func:`clvlib.report.params.collect_params` returns
    one when the runner set :data:`LEDGER_ENV`), so that the runner knows which parameters a
    page depends on. Copying or iterating the mapping records every parameter.
    """

    _seen: set[str]

    def __getitem__(self, key: str) -> Any:
        _record(self, key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:  # noqa: D102 (dict.get, recorded)
        _record(self, key)
        return super().get(key, default)

    def __iter__(self) -> Iterator[str]:
        _record(self, ALL)
        return super().__iter__()

    def keys(self):  # noqa: D102 (dict.keys, recorded as a read of every parameter)
        _record(self, ALL)
        return super().keys()

    def items(self):  # noqa: D102
        _record(self, ALL)
        return super().items()

    def values(self):  # noqa: D102
        _record(self, ALL)
        return super().values()

    def __reduce__(self):  # a copy (pickle, deepcopy) reads every parameter
        _record(self, ALL)
        return (Params, (dict(super().items()),))

    def used(self) -> list[str] | None:
        """The parameters read so far, in schema order; None when every one was (a copy)."""
        seen = self.__dict__.get("_seen", set())
        if ALL in seen:
            return None
        return [k for k in PARAMS if k in seen]


def _record(params: RecordedParams, key: str) -> None:
    seen = params.__dict__.setdefault("_seen", set())
    if key in seen:
        return
    seen.add(key)
    record(f"param:{key}")


def recorded(params: Params) -> Params:
    """``params`` as :class:`RecordedParams` inside a report run, else as they are."""
    if not os.environ.get(LEDGER_ENV):
        return params
    out = RecordedParams(dict.items(params))
    out.source = params.source
    return out


def _show(p: Param, value: Any, base: str | Path | None) -> str:
    from clvlib.report.formatting import format_value, shown_path

    if value == "" or value == {}:
        return "(none)"
    if isinstance(value, Mapping):  # columns: "timestamp: date, amount: Value", never a dict repr
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    if p.kind in ("path", "optional_path", "output_dir") or (
        p.kind == "rule_set" and value not in RULE_SETS
    ):
        shown = shown_path(value, base)
        return "this report's folder" if shown == "." else shown
    return format_value(value, name=p.name)


def parameters_cell() -> str:
    """Source of the ``parameters`` cell every notebook carries (typed, commented defaults)."""
    lines = [f"{p.name}: {p.annotation} = {p.literal()}  # {p.comment}" for p in SCHEMA]
    return "\n".join(lines)


def load_params(path: str | Path, *, overrides: Mapping[str, Any] | None = None) -> Params:
    """Read a YAML parameters file and validate it against :data:`SCHEMA`.

    Keys left out take their default; relative paths are resolved against the file's folder.

    Parameters
    ----------
    path : str or Path
        The YAML file (a mapping of parameter name to value).
    overrides : mapping, optional
        Values that win over the file (for example the command line's ``--out``).

    Raises
    ------
    ParamsError
        Listing every unknown key (with the closest known name), wrong type, out-of-range
        value, unparsable or misordered date and missing file.
    """
    import yaml

    path = Path(path)
    if not path.is_file():
        raise ParamsError(f"parameters file not found: {path}")
    try:
        with path.open(encoding="utf-8") as f:
            raw = yaml.load(f, Loader=_loader())  # a SafeLoader: no arbitrary objects
    except ParamsError as err:  # a key given twice
        raise ParamsError(f"{path}: {err}") from None
    except yaml.YAMLError as e:  # syntax, unsafe tags: one line
        raise ParamsError(_yaml_problem(path, e)) from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ParamsError(
            f"{path}: expected a mapping of parameter: value, got {type(raw).__name__}"
        )
    values = {**raw, **(overrides or {})}
    params = validate_params(values, base_dir=path.resolve().parent, where=str(path))
    params.source = str(path.resolve())
    return params


def _yaml_problem(path: Path, error: Any) -> str:
    """A YAML error in one line: file, line and column, what is wrong (no parser dump)."""
    import yaml

    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    where = f"{path}, line {mark.line + 1}, column {mark.column + 1}" if mark else str(path)
    problem = " ".join(str(getattr(error, "problem", None) or error).split())
    if isinstance(error, yaml.constructor.ConstructorError):
        return (
            f"{where}: {problem}; a parameters file holds plain values only "
            "(no !!python or other tags)"
        )
    return f"{where}: not valid YAML: {problem}"


def _loader() -> type:
    """A YAML SafeLoader that leaves dates as text: they are parsed (and errors named) here.

    PyYAML's own date parsing turns ``2011-13-01`` into a bare ``ValueError: month must be in
    1..12`` that names neither the file nor the key. A key given twice is an error (PyYAML
    would keep the last one without a word).
    """
    import yaml

    class TextDatesLoader(yaml.SafeLoader):
        def construct_mapping(self, node: Any, deep: bool = False) -> dict:
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=deep)
                if key in seen:
                    raise ParamsError(
                        f"key {key!r} is given twice (lines {seen[key]} and "
                        f"{key_node.start_mark.line + 1}): which one is meant is unclear"
                    )
                seen[key] = key_node.start_mark.line + 1
            return super().construct_mapping(node, deep=deep)

    TextDatesLoader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return TextDatesLoader


def collect_params(namespace: Mapping[str, Any], *, base_dir: str | Path | None = None) -> Params:
    """Validate the parameters a notebook holds (pass ``globals()``).

    Only the schema's names are read from ``namespace``; relative paths are resolved against
    ``base_dir`` (default: the current directory, which is the notebook's folder in JupyterLab;
    the report runner passes absolute paths).
    """
    missing = [p.name for p in SCHEMA if p.name not in namespace]
    if missing:
        raise ParamsError(
            f"the notebook does not define the parameters {missing}; "
            "its parameters cell must hold clvlib.report.params.parameters_cell()"
        )
    values = {p.name: namespace[p.name] for p in SCHEMA}
    base = Path.cwd() if base_dir is None else Path(base_dir)
    # in a report run the page's reads are recorded, so that an unchanged page is reused
    return recorded(validate_params(values, base_dir=base, where="notebook parameters"))


def validate_params(
    values: Mapping[str, Any], *, base_dir: str | Path, where: str = "parameters"
) -> Params:
    """Check ``values`` against :data:`SCHEMA`; defaults fill the keys left out.

    Returns the normalised :class:`Params` or raises one :class:`ParamsError` naming
    every problem (so a user fixes the file once, not once per error).
    """
    base_dir = Path(base_dir)
    problems: list[str] = []
    for key in values:
        if key not in PARAMS:
            close = difflib.get_close_matches(str(key), PARAMS, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(f"unknown parameter {key!r}{hint}; known: {', '.join(PARAMS)}")
    out = Params()
    for p in SCHEMA:
        value = values.get(p.name, p.default)
        try:
            out[p.name] = _check(p, value, base_dir)
        except ParamsError as e:
            problems.append(str(e))
    problems += _check_loader_keys_used(out)
    if not problems:
        cal, hold = (
            date.fromisoformat(out["calibration_end"]),
            date.fromisoformat(out["holdout_end"]),
        )
        if not cal < hold:
            problems.append(
                f"calibration_end ({cal}) must be before holdout_end ({hold}): the holdout "
                "period is what follows the calibration period"
            )
        problems += _check_rule_scale(out["rule_set"], out["n_bins"])
    if problems:
        raise ParamsError(f"{where}: " + "\n  ".join(["invalid parameters:", *problems]))
    return out


def _check(p: Param, value: Any, base_dir: Path) -> Any:
    if p.kind == "date":
        return _check_date(p, value)
    if p.kind in _LOADER_CHECKS:
        return _LOADER_CHECKS[p.kind](p, value)
    if p.kind == "optional_path" and value is None:
        value = ""
    if p.kind == "k":
        if value == "auto":
            return value
        if isinstance(value, bool) or not isinstance(value, int) or not 2 <= value <= 30:
            raise ParamsError(
                f"{p.name} must be 'auto' or an integer from 2 to 30, got "
                f"{type(value).__name__} {value!r} ({p.comment})"
            )
        return value
    if p.type is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, p.type) or isinstance(value, bool):
        raise ParamsError(
            f"{p.name} must be {p.annotation}, got {type(value).__name__} {value!r} ({p.comment})"
        )
    if p.type is float and not math.isfinite(value):
        raise ParamsError(f"{p.name} must be a finite number, got {value!r}")
    if p.minimum is not None and (
        value < p.minimum or (value == p.minimum and not p.minimum_inclusive)
    ):
        op = ">=" if p.minimum_inclusive else ">"
        raise ParamsError(f"{p.name} must be {op} {p.minimum}, got {value!r} ({p.comment})")
    if p.maximum is not None and value > p.maximum:
        raise ParamsError(f"{p.name} must be <= {p.maximum}, got {value!r} ({p.comment})")
    if p.kind == "choice" and value not in p.choices:
        raise ParamsError(f"{p.name} must be one of {list(p.choices)}, got {value!r}")
    if p.kind == "path" or (p.kind == "optional_path" and value != ""):
        return str(_existing(p, value, base_dir))
    if p.kind == "output_dir":
        return str((base_dir / Path(value).expanduser()).resolve())
    if p.kind == "currency":
        return _check_currency(p, value)
    if p.kind == "rule_set":
        if value in RULE_SETS:
            return value
        if value.endswith((".yaml", ".yml")):
            return str(_existing(p, value, base_dir))
        close = difflib.get_close_matches(value, RULE_SETS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ParamsError(
            f"rule_set must be one of {list(RULE_SETS)} or a .yaml file, got {value!r}{hint}"
        )
    return value


def _check_currency(p: Param, value: str) -> str:
    from clvlib.vocabulary._money import CURRENCY_CODE

    code = value.strip().upper()
    if code and not CURRENCY_CODE.match(code):
        raise ParamsError(
            f"{p.name} must be a three-letter ISO 4217 code such as EUR, GBP or USD (or '' "
            f"for plain amounts), got {value!r}"
        )
    return code


def _check_rule_scale(rule_set: str, n_bins: int) -> list[str]:
    """The rule set must read (and be readable) and be written for scores 1..n_bins."""
    from clvlib.methods.rules import RuleSetError, load_rules

    try:
        scale = load_rules(rule_set).scale
    except RuleSetError as e:
        return [f"rule_set {rule_set!r} cannot be used: {e}"]
    if scale != n_bins:
        return [
            f"n_bins ({n_bins}) must equal the scale of rule_set {rule_set!r} ({scale}): "
            f"its rules are written for scores 1..{scale}"
        ]
    return []


def _existing(p: Param, value: str, base_dir: Path) -> Path:
    path = (base_dir / Path(value).expanduser()).resolve()
    if not path.is_file():
        raise ParamsError(
            f"{p.name}: file not found: {path} (given as {value!r}; relative paths are "
            f"resolved against {base_dir})"
        )
    return path


def _check_date(p: Param, value: Any) -> str:
    if isinstance(value, datetime):  # YAML timestamps; a datetime is also a date
        if value.time() != datetime.min.time():
            raise ParamsError(f"{p.name} must be a day (YYYY-MM-DD), got the time {value}")
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ParamsError(
                f"{p.name} must be a date written YYYY-MM-DD, got {value!r}"
            ) from None
        return _check_date(p, moment)
    raise ParamsError(f"{p.name} must be a date written YYYY-MM-DD, got {type(value).__name__}")


# --- the loader's keys (clvlib.data.reading.load_transactions' options) ---


def _check_columns(p: Param, value: Any) -> dict[str, str]:
    from clvlib.data.reading import ROLES

    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ParamsError(
            f"{p.name} must be a mapping of role: column (e.g. {{customer_id: CustID}}), "
            f"got {type(value).__name__} {value!r}"
        )
    problems = []
    for role, column in value.items():
        if role not in ROLES:
            close = difflib.get_close_matches(str(role), ROLES, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(f"unknown role {role!r}{hint}; roles: {', '.join(ROLES)}")
        elif not isinstance(column, str | int) or isinstance(column, bool):
            problems.append(f"role {role!r} must name a column, got {column!r}")
    if problems:
        raise ParamsError(f"{p.name}: " + "; ".join(problems))
    return {str(role): str(column) for role, column in value.items()}


def _check_text_option(p: Param, value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ParamsError(
            f"{p.name} must be text, got {type(value).__name__} {value!r} ({p.comment})"
        )
    if p.name == "encoding" and value:
        import codecs

        try:
            codecs.lookup(value)
        except LookupError:
            raise ParamsError(
                f"encoding {value!r} is not a known text encoding (e.g. 'utf-8', 'latin-1', "
                "'cp1252')"
            ) from None
    if p.name == "date_format" and value and "%" not in value:
        raise ParamsError(
            f"date_format must be a strftime format such as '%d/%m/%Y %H:%M', got {value!r}"
        )
    return value


def _check_sheet(p: Param, value: Any) -> str | int | None:
    if value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
        return value
    if isinstance(value, str):
        return value
    raise ParamsError(
        f"{p.name} must be a sheet name, a sheet number from 0, '' or null, got {value!r}"
    )


def _check_tristate(p: Param, value: Any) -> str | bool:
    if isinstance(value, bool) or value == "auto":
        return value
    raise ParamsError(f"{p.name} must be 'auto', true or false, got {value!r} ({p.comment})")


_LOADER_KEYS = ("columns", "sep", "encoding", "date_format", "decimal", "thousands", "sheet_name")


def _check_loader_keys_used(out: Mapping[str, Any]) -> list[str]:
    """The UCI layout is read with its own fixed rules: loader keys set for it would be ignored."""
    if out.get("data_format") != "online_retail":
        return []
    given = [k for k in _LOADER_KEYS if k in out and out[k] != PARAMS[k].default]
    if out.get("drop_duplicates", "auto") != "auto":
        given.append("drop_duplicates")
    if not given:
        return []
    return [
        f"{', '.join(given)} would be ignored with data_format 'online_retail' (its columns, "
        "sheets and rules are fixed): remove them, or use data_format 'clvlib'"
    ]


_LOADER_CHECKS = {
    "columns": _check_columns,
    "text_option": _check_text_option,
    "sheet": _check_sheet,
    "tristate": _check_tristate,
}


def loader_options(params: Mapping[str, Any]) -> dict[str, Any]:
    """The keyword arguments of :func:`clvlib.data.reading.load_transactions` that are set."""
    sheet = params.get("sheet_name", "")
    dedupe = params.get("drop_duplicates", "auto")
    thousands = params.get("thousands", "")
    return {
        "columns": dict(params.get("columns") or {}) or None,
        "sep": params.get("sep") or None,
        "encoding": params.get("encoding") or None,
        "date_format": params.get("date_format") or None,
        "decimal": params.get("decimal", "."),
        "thousands": {"": None, "none": ""}.get(thousands, thousands),
        "sheet_name": 0 if sheet == "" else sheet,
        "drop_duplicates": None if dedupe == "auto" else bool(dedupe),
    }
