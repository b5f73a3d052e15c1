"""RFM quantile scores and rule-based segments (domain.md §6 and §7).

:class:`RFMScorer` learns quantile edges of recency (``since_last_order``), frequency
(``n_orders``) and monetary value (``total_value`` by default) on one period and applies them
unchanged to any other, so that the segments of two periods are comparable. Scores run
1..n with **n best on every axis** (most recent, most orders, highest value).

Segment rules are data: YAML files in ``clvlib/methods/segments/`` (``r_rfm``, ``rf_grid``,
``value_activity``) or a user's own file in the same format, read by :func:`load_rules`.
:func:`assign_segments` gives each customer the segment of the first rule that matches;
:func:`rule_coverage` and :func:`rule_overlaps` say how many customers each rule takes and
whether rule order matters; :func:`segment_table` and :func:`export_segments` are the tables
for the report and the CRM hand-off.

Ties
----
Frequency is heavily tied (often a third to a half of customers have one order), so several
quantile edges coincide. The scorer never hides this in a ``try/except`` around ``qcut``:

1. the edges are the quantiles at levels 1/n, ..., (n-1)/n (linear interpolation, as
   :func:`pandas.qcut`), with duplicates removed;
2. an edge that leaves a bin without any fitted customer is dropped too (with ties an
   interpolated edge can fall between two observed values and cut nothing);
3. the ``k <= n`` bins obtained keep their order. With ``ties="spread"`` (default) their scores
   are spread evenly over 1..n, the worst bin scoring 1 and the best n, so that rules about
   "best" (5) and "worst" (1) keep their meaning; with ``ties="keep"`` they score 1..k.

A customer with a value equal to an edge gets the lower (worse) score, on every axis. Without
ties the scores equal ``pandas.qcut(x, n, labels=False) + 1`` (reversed for recency). What was
done per axis is in :attr:`RFMScorer.ties_report_`. Values outside the fitted range, on
another period, fall in the extreme bins.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

AXES: tuple[str, ...] = ("r", "f", "m")
SCORE_COLUMNS: dict[str, str] = {"r": "r_score", "f": "f_score", "m": "m_score"}
RECENCY_COL = "since_last_order"
FREQUENCY_COL = "n_orders"
MONETARY_COLS: dict[str, str] = {
    "total": "total_value",
    "average": "avg_order_value",
    "profit": "gross_profit",
}
TIES = ("spread", "keep")
SHIPPED_RULE_SETS: tuple[str, ...] = ("r_rfm", "rf_grid", "value_activity")
# customer lists a rule can match on (people without purchases, hence without scores)
CUSTOMER_LISTS: dict[str, str] = {
    "prospects": "signed up (customer table) and never bought",
    "cart_abandoners": "started a checkout and never bought; needs checkout events, "
    "which an order log does not contain",
}
_MAX_SHOWN = 5  # ids shown in an error message


# --------------------------------------------------------------------------------------------
# Scores
# --------------------------------------------------------------------------------------------


def _show(ids: Iterable[Any]) -> str:
    ids = list(ids)
    more = f" and {len(ids) - _MAX_SHOWN} more" if len(ids) > _MAX_SHOWN else ""
    return ", ".join(repr(i) for i in ids[:_MAX_SHOWN]) + more


def _read_columns(summary: pd.DataFrame, columns: Mapping[str, str]) -> dict[str, np.ndarray]:
    """Return the RFM columns as float arrays; clear errors for missing or bad values."""
    if not isinstance(summary, pd.DataFrame):
        raise TypeError(f"summary must be a pandas DataFrame, got {type(summary).__name__}")
    if len(summary) == 0:
        raise ValueError("summary has no rows: there is no customer to score")
    missing = [c for c in columns.values() if c not in summary.columns]
    if missing:
        raise KeyError(
            f"summary lacks column(s) {missing} needed for RFM scores; "
            f"it has {list(summary.columns)}"
        )
    duplicated = summary.index[summary.index.duplicated()]
    if len(duplicated):
        raise ValueError(f"summary index (customer_id) has duplicates: {_show(duplicated)}")
    out = {}
    for axis, col in columns.items():
        if not pd.api.types.is_numeric_dtype(summary[col]) or pd.api.types.is_bool_dtype(
            summary[col]
        ):
            raise TypeError(f"column {col!r} must be numeric, got dtype {summary[col].dtype}")
        values = summary[col].to_numpy(dtype=float, na_value=np.nan)
        bad = ~np.isfinite(values)
        if bad.any():
            raise ValueError(
                f"column {col!r} has missing or infinite values for customer(s) "
                f"{_show(summary.index[bad])}"
            )
        out[axis] = values
    return out


def _bin_index(values: np.ndarray, edges: np.ndarray, higher_is_better: bool) -> np.ndarray:
    """Bin of each value, 0 = worst; a value equal to an edge goes to the worse bin."""
    if higher_is_better:
        return np.searchsorted(edges, values, side="left")
    return len(edges) - np.searchsorted(edges, values, side="right")


def _learn_edges(values: np.ndarray, n_bins: int, higher_is_better: bool) -> np.ndarray:
    """Inner quantile edges (ascending, raw units): unique, and no bin left empty."""
    oriented = values if higher_is_better else -values
    edges = np.unique(np.quantile(oriented, np.arange(1, n_bins) / n_bins))
    while True:
        counts = np.bincount(
            np.searchsorted(edges, oriented, side="left"), minlength=len(edges) + 1
        )
        empty = np.flatnonzero(counts == 0)
        if empty.size == 0:
            break
        # empty bin j is (edges[j-1], edges[j]]: merge it into the next one (the last into
        # the previous one) by dropping the edge between them
        edges = np.delete(edges, min(empty[0], len(edges) - 1))
    return np.sort(edges if higher_is_better else -edges)


def _bin_scores(n_obtained: int, n_bins: int, ties: str) -> np.ndarray:
    """Score of each bin (worst first): 1..k kept, or spread over 1..n keeping 1 and n."""
    if ties == "keep" or n_obtained == n_bins:
        return np.arange(1, n_obtained + 1)
    if n_obtained == 1:  # the axis does not separate anyone: no information, lowest score
        return np.array([1])
    positions = np.arange(n_obtained) * (n_bins - 1) / (n_obtained - 1)
    return 1 + np.floor(positions + 0.5).astype(int)


class RFMScorer(BaseEstimator):
    """Quantile RFM scores 1..n, n best, with edges learned on one period (fit/transform).

    Parameters
    ----------
    n_bins : int, default 5
        Score levels: 5 for quintiles, 4 for quartiles (2..9: one digit per axis in codes).
    monetary : {"total", "average", "profit"}, default "total"
        M is ``total_value`` (net value to date), ``avg_order_value`` or ``gross_profit``.
    rf_only : bool, default False
        Score recency and frequency only (no ``m_score``; codes like ``"54"``).
    ties : {"spread", "keep"}, default "spread"
        When tied values leave k < n bins: spread their scores over 1..n (worst 1, best n)
        or keep them as 1..k. See the module docstring.

    Attributes
    ----------
    columns_ : dict
        Summary column read for each axis (``"r"``, ``"f"``, ``"m"``).
    edges_ : dict of numpy.ndarray
        Inner bin edges per axis, ascending, in the column's units.
    bin_scores_ : dict of numpy.ndarray
        Score of each bin per axis, worst bin first.
    ties_report_ : pandas.DataFrame
        Per axis: requested and obtained bins, edges, scores used, share of the most common
        value, share of fitted customers per score (``share_1`` .. ``share_n``) and a note.
    n_customers_fit_ : int
        Customers in the fitted summary.

    Examples
    --------
    >>> summary = pd.DataFrame(
    ...     {"since_last_order": [3, 40, 200, 9], "n_orders": [5, 1, 1, 2],
    ...      "total_value": [500.0, 20.0, 35.0, 90.0]},
    ...     index=pd.Index([1, 2, 3, 4], name="customer_id"))
    >>> scorer = RFMScorer(n_bins=4).fit(summary)
    >>> scorer.transform(summary)["rfm_code"].tolist()
    ['444', '211', '112', '333']
    """

    def __init__(
        self,
        n_bins: int = 5,
        *,
        monetary: str = "total",
        rf_only: bool = False,
        ties: str = "spread",
    ) -> None:
        self.n_bins = n_bins
        self.monetary = monetary
        self.rf_only = rf_only
        self.ties = ties

    def _validated_columns(self) -> dict[str, str]:
        if isinstance(self.n_bins, bool) or not isinstance(self.n_bins, int | np.integer):
            raise TypeError(f"n_bins must be an integer, got {self.n_bins!r}")
        if not 2 <= self.n_bins <= 9:
            raise ValueError(f"n_bins must be in 2..9 (one digit per axis), got {self.n_bins}")
        if self.monetary not in MONETARY_COLS:
            raise ValueError(
                f"monetary must be one of {list(MONETARY_COLS)}, got {self.monetary!r}"
            )
        if self.ties not in TIES:
            raise ValueError(f"ties must be one of {list(TIES)}, got {self.ties!r}")
        columns = {"r": RECENCY_COL, "f": FREQUENCY_COL}
        if not self.rf_only:
            columns["m"] = MONETARY_COLS[self.monetary]
        return columns

    def fit(self, summary: pd.DataFrame, y: None = None) -> RFMScorer:
        """Learn the quantile edges of each axis from a customer summary.

        Parameters
        ----------
        summary : pandas.DataFrame
            Customer summary indexed by ``customer_id`` with ``since_last_order``,
            ``n_orders`` and the monetary column.
        y : None
            Ignored (scikit-learn convention).
        """
        columns = self._validated_columns()
        values = _read_columns(summary, columns)
        n = int(self.n_bins)
        edges, bin_scores, rows = {}, {}, []
        for axis, col in columns.items():
            higher = axis != "r"
            edges[axis] = _learn_edges(values[axis], n, higher)
            bin_scores[axis] = _bin_scores(len(edges[axis]) + 1, n, self.ties)
            scores = bin_scores[axis][_bin_index(values[axis], edges[axis], higher)]
            shares = np.bincount(scores, minlength=n + 1)[1:] / len(scores)
            top_share = pd.Series(values[axis]).value_counts(normalize=True).iloc[0]
            rows.append(
                {
                    "axis": axis,
                    "column": col,
                    "higher_is_better": higher,
                    "requested_bins": n,
                    "obtained_bins": len(bin_scores[axis]),
                    "edges": tuple(float(e) for e in edges[axis]),
                    "scores_used": tuple(int(s) for s in bin_scores[axis]),
                    "top_value_share": float(top_share),
                    **{f"share_{s}": float(shares[s - 1]) for s in range(1, n + 1)},
                    "note": self._note(len(bin_scores[axis]), n, bin_scores[axis], top_share),
                }
            )
        self.columns_ = columns
        self.edges_ = edges
        self.bin_scores_ = bin_scores
        self.ties_report_ = pd.DataFrame(rows).set_index("axis")
        self.n_customers_fit_ = len(summary)
        return self

    def _note(self, k: int, n: int, scores: np.ndarray, top_share: float) -> str:
        if k == n:
            return f"{n} bins as requested"
        how = (
            f"scores {', '.join(map(str, scores))} spread over 1..{n}"
            if self.ties == "spread"
            else f"scores kept as 1..{k}"
        )
        return (
            f"ties: only {k} of {n} bins (quantile edges coincide; the most common value "
            f"holds {top_share:.0%} of customers); {how}"
        )

    def transform(self, summary: pd.DataFrame) -> pd.DataFrame:
        """Score customers with the fitted edges (unchanged, whatever the period).

        Returns
        -------
        pandas.DataFrame
            Indexed by ``customer_id``: ``r_score``, ``f_score``, ``m_score`` (not in RF-only
            mode), ``rfm_code`` (e.g. ``"545"``, or ``"54"`` RF-only) and ``rfm_score`` (the
            sum). ``attrs`` holds ``n_bins``, ``rf_only``, the columns read and the
            summary's ``observation_end`` (used to date prospects).
        """
        check_is_fitted(self, "edges_")
        values = _read_columns(summary, self.columns_)
        out = pd.DataFrame(index=summary.index.copy())
        out.index.name = "customer_id"
        for axis in self.columns_:
            idx = _bin_index(values[axis], self.edges_[axis], axis != "r")
            out[SCORE_COLUMNS[axis]] = self.bin_scores_[axis][idx].astype("int64")
        score_cols = [SCORE_COLUMNS[a] for a in self.columns_]
        code = out[score_cols[0]].astype(str)
        for col in score_cols[1:]:
            code = code + out[col].astype(str)
        out["rfm_code"] = code
        out["rfm_score"] = out[score_cols].sum(axis=1).astype("int64")
        out.attrs = {
            "n_bins": int(self.n_bins),
            "rf_only": bool(self.rf_only),
            "columns": dict(self.columns_),
            "observation_end": summary.attrs.get("observation_end"),
        }
        return out

    def fit_transform(self, summary: pd.DataFrame, y: None = None) -> pd.DataFrame:
        """Fit on ``summary`` and score it."""
        return self.fit(summary).transform(summary)


def rfm_scores(
    summary: pd.DataFrame,
    *,
    n_bins: int = 5,
    monetary: str = "total",
    rf_only: bool = False,
    ties: str = "spread",
) -> pd.DataFrame:
    """Quantile RFM scores of one period in one call: ``RFMScorer(...).fit_transform``.

    To score another period with the same edges, keep the fitted :class:`RFMScorer`.

    Examples
    --------
    >>> summary = pd.DataFrame(
    ...     {"since_last_order": [3, 40, 200, 9], "n_orders": [5, 1, 1, 2]},
    ...     index=pd.Index([1, 2, 3, 4], name="customer_id"))
    >>> rfm_scores(summary, n_bins=4, rf_only=True)["rfm_code"].tolist()
    ['44', '21', '11', '33']
    """
    scorer = RFMScorer(n_bins, monetary=monetary, rf_only=rf_only, ties=ties)
    return scorer.fit_transform(summary)


# --------------------------------------------------------------------------------------------
# Rule sets
# --------------------------------------------------------------------------------------------


class RuleSetError(ValueError):
    """A rule file is malformed, or a rule set does not fit the scores it is applied to."""


@dataclass(frozen=True)
class Rule:
    """One segment rule: matched by score ranges, a code pattern or a customer list."""

    number: int
    segment: str
    action: str
    ranges: dict[str, tuple[int, int]] = field(default_factory=dict)
    pattern: str | None = None
    customers: str | None = None
    description: str = ""

    @property
    def kind(self) -> str:
        """``"ranges"``, ``"pattern"`` or ``"customers"``."""
        if self.pattern is not None:
            return "pattern"
        return "customers" if self.customers is not None else "ranges"

    def condition(self, code_axes: tuple[str, ...] = ()) -> str:
        """The rule's condition in words, e.g. ``"R 3-5, F 3-5, M 2-5"``."""
        if self.kind == "pattern":
            return f"{''.join(a.upper() for a in code_axes)} code ~ {self.pattern}"
        if self.kind == "customers":
            return f"listed in {self.customers} (no purchase)"
        return ", ".join(f"{a.upper()} {lo}-{hi}" for a, (lo, hi) in self.ranges.items())


@dataclass(frozen=True)
class RuleSet:
    """An ordered list of segment rules for scores on a stated scale (first match wins)."""

    name: str
    scale: int
    rules: tuple[Rule, ...]
    default_segment: str = "Others"
    default_action: str = "No rule matched: review the rule set's coverage."
    code_axes: tuple[str, ...] = ()
    description: str = ""
    source: str = ""
    path: str = ""

    @property
    def segments(self) -> list[str]:
        """Segment names in rule order (each once), the default segment last."""
        return list(dict.fromkeys(r.segment for r in self.rules)) + [self.default_segment]

    @property
    def actions(self) -> dict[str, str]:
        """Recommended action per segment."""
        out = {r.segment: r.action for r in self.rules}
        out[self.default_segment] = self.default_action
        return out

    @property
    def score_axes(self) -> list[str]:
        """Score axes the rules read (``r``, ``f``, ``m``), in that order."""
        used = set(self.code_axes) if any(r.kind == "pattern" for r in self.rules) else set()
        for rule in self.rules:
            used.update(rule.ranges)
        return [a for a in AXES if a in used]

    def table(self) -> pd.DataFrame:
        """The rules as a table: rule number, segment, condition, action."""
        rows = [(r.number, r.segment, r.condition(self.code_axes), r.action) for r in self.rules]
        rows.append((pd.NA, self.default_segment, "no rule matches", self.default_action))
        out = pd.DataFrame(rows, columns=["rule", "segment", "condition", "action"])
        out["rule"] = out["rule"].astype("Int64")
        return out


_TOP_KEYS = {
    "name",
    "description",
    "source",
    "scale",
    "code_axes",
    "default_segment",
    "default_action",
    "rules",
}
_RULE_KEYS = {"segment", "action", "description", "pattern", "customers", *AXES}


def _nonempty_str(value: Any) -> bool:
    return isinstance(value, str) and value.strip() != ""


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _parse_rule(raw: Any, number: int, scale: int, code_axes: tuple, where: str) -> Rule:
    label = f"{where}: rule {number}"
    if not isinstance(raw, Mapping):
        raise RuleSetError(f"{label}: expected a mapping of fields, got {raw!r}")
    if _nonempty_str(raw.get("segment")):
        label += f" ({raw['segment']!r})"
    unknown = sorted(set(raw) - _RULE_KEYS)
    if unknown:
        raise RuleSetError(f"{label}: unknown field(s) {unknown}; allowed: {sorted(_RULE_KEYS)}")
    for key in ("segment", "action"):
        if not _nonempty_str(raw.get(key)):
            raise RuleSetError(f"{label}: field {key!r} is required (a non-empty string)")
    ranges = {}
    for axis in AXES:
        if axis not in raw:
            continue
        value = raw[axis]
        if _is_int(value):
            value = [value, value]
        if not (
            isinstance(value, list) and len(value) == 2 and all(_is_int(v) for v in value)
        ) or not (1 <= value[0] <= value[1] <= scale):
            raise RuleSetError(
                f"{label}: field {axis!r} must be [low, high] integers with "
                f"1 <= low <= high <= scale ({scale}), or one integer; got {raw[axis]!r}"
            )
        ranges[axis] = (value[0], value[1])
    pattern = raw.get("pattern")
    if pattern is not None:
        if not _nonempty_str(pattern):
            raise RuleSetError(f"{label}: field 'pattern' must be a regular expression string")
        if not code_axes:
            raise RuleSetError(
                f"{label}: field 'pattern' needs 'code_axes' at the top of the file "
                "(the scores the code is made of, e.g. [r, f])"
            )
        try:
            re.compile(pattern)
        except re.error as err:  # re-raised with the file and rule that caused it
            raise RuleSetError(f"{label}: field 'pattern' {pattern!r} is invalid: {err}") from err
    customers = raw.get("customers")
    if customers is not None and customers not in CUSTOMER_LISTS:
        raise RuleSetError(
            f"{label}: field 'customers' must be one of {list(CUSTOMER_LISTS)}, got {customers!r}"
        )
    kinds = [
        k for k, on in (("r/f/m", ranges), ("pattern", pattern), ("customers", customers)) if on
    ]
    if len(kinds) != 1:
        raise RuleSetError(
            f"{label}: give exactly one way to match (score ranges r/f/m, 'pattern' or "
            f"'customers'); got {kinds or 'none'}"
        )
    description = raw.get("description", "")
    if not isinstance(description, str):
        raise RuleSetError(f"{label}: field 'description' must be a string")
    return Rule(
        number, raw["segment"].strip(), raw["action"].strip(), ranges, pattern, customers,
        description.strip(),
    )  # fmt: skip


def _parse_rule_set(data: Any, where: str, path: str = "") -> RuleSet:
    if not isinstance(data, Mapping):
        raise RuleSetError(f"{where}: expected a mapping with 'name', 'scale' and 'rules'")
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise RuleSetError(f"{where}: unknown top-level field(s) {unknown}; allowed: "
                           f"{sorted(_TOP_KEYS)}")  # fmt: skip
    if not _nonempty_str(data.get("name")):
        raise RuleSetError(f"{where}: field 'name' is required (a non-empty string)")
    scale = data.get("scale")
    if not _is_int(scale) or not 2 <= scale <= 9:
        raise RuleSetError(
            f"{where}: field 'scale' (the score levels the rules assume, e.g. 5) must be an "
            f"integer in 2..9; got {scale!r}"
        )
    code_axes = data.get("code_axes", [])
    if not (
        isinstance(code_axes, list)
        and all(a in AXES for a in code_axes)
        and len(set(code_axes)) == len(code_axes)
    ):
        raise RuleSetError(f"{where}: field 'code_axes' must be a list of distinct axes from "
                           f"{list(AXES)}; got {code_axes!r}")  # fmt: skip
    for key in ("default_segment", "default_action", "description", "source"):
        if key in data and not _nonempty_str(data[key]):
            raise RuleSetError(f"{where}: field {key!r} must be a non-empty string")
    rules_raw = data.get("rules")
    if not isinstance(rules_raw, list) or not rules_raw:
        raise RuleSetError(f"{where}: field 'rules' must be a non-empty list of rules")
    rules = tuple(
        _parse_rule(raw, i, scale, tuple(code_axes), where) for i, raw in enumerate(rules_raw, 1)
    )
    default = data.get("default_segment", "Others").strip()
    actions: dict[str, str] = {}
    for rule in rules:
        if rule.segment == default:
            raise RuleSetError(
                f"{where}: rule {rule.number} ({rule.segment!r}): field 'segment' is the "
                "default segment's name (customers no rule matches); rename one of them"
            )
        if actions.setdefault(rule.segment, rule.action) != rule.action:
            raise RuleSetError(
                f"{where}: rule {rule.number} ({rule.segment!r}): field 'action' differs from "
                "an earlier rule of the same segment; one segment has one action"
            )
    kwargs = {k: data[k].strip() for k in ("default_action", "description", "source") if k in data}
    return RuleSet(
        name=data["name"].strip(), scale=scale, rules=rules, default_segment=default,
        code_axes=tuple(code_axes), path=path, **kwargs,
    )  # fmt: skip


def load_rules(rules: str | Path | RuleSet) -> RuleSet:
    """Load a segment rule set: a shipped one by name, or a YAML file in the same format.

    Shipped sets: ``"r_rfm"`` (the R package ``rfm`` example rules), ``"rf_grid"`` (the
    recency x frequency grid of regular expressions), ``"value_activity"`` (value x activity
    types with the playbook of domain.md §7).

    The format (YAML; the shipped files document it at their top)::

        name: my_rules              # required
        description: ...            # optional
        source: ...                 # optional: where the rules come from
        scale: 5                    # required: score levels the rules assume (n_bins)
        code_axes: [r, f]           # needed by `pattern` rules: scores making the code
        default_segment: Others     # optional: customers no rule matches
        default_action: ...         # optional: their recommended action
        rules:                      # required, ordered: the FIRST matching rule wins
          - segment: Champions      # required
            action: Reward them     # required: recommended action
            r: [5, 5]               # inclusive score ranges; an omitted axis matches
            f: [4, 5]               #   any score; one integer means [n, n]
          - segment: New Customers
            action: Onboard them
            pattern: "5[1-2]"       # or: regular expression on the whole code
          - segment: Subscribers
            action: First-order discount
            customers: prospects    # or: ids passed to assign_segments that never bought
                                    #   (prospects | cart_abandoners)

    Each rule matches in exactly one of the three ways. A malformed file raises
    :class:`RuleSetError` naming the file, the rule number and the field.

    Parameters
    ----------
    rules : str, pathlib.Path or RuleSet
        A shipped name, a path to a ``.yaml``/``.yml`` file, or a loaded rule set (returned
        unchanged).

    Examples
    --------
    >>> rules = load_rules("rf_grid")
    >>> rules.scale, rules.rules[0].segment
    (5, 'Hibernating')
    """
    if isinstance(rules, RuleSet):
        return rules
    if isinstance(rules, str) and rules in SHIPPED_RULE_SETS:
        text = resources.files("clvlib.methods").joinpath("segments", f"{rules}.yaml").read_text()
        where = f"shipped rule set {rules!r} (clvlib/methods/segments/{rules}.yaml)"
        path = f"clvlib/methods/segments/{rules}.yaml"
    else:
        file = Path(rules)
        if file.suffix.lower() not in (".yaml", ".yml"):
            raise RuleSetError(
                f"{rules!r} is neither a shipped rule set {list(SHIPPED_RULE_SETS)} nor a "
                ".yaml/.yml file"
            )
        if not file.is_file():
            raise FileNotFoundError(f"rule file {file} not found")
        text = file.read_text(encoding="utf-8")
        where = path = str(file)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:  # re-raised with the file name, nothing hidden
        raise RuleSetError(f"{where}: not valid YAML: {err}") from err
    return _parse_rule_set(data, where, path)


def _ids(customers: Any, name: str, observation_end: Any) -> pd.Index:
    """Customer ids from a customer table (its index) or a collection of ids.

    A table with ``signup_date`` keeps the people signed up by the end of the observation
    day (a missing date is kept): someone who signs up later is no prospect of this period.
    """
    if isinstance(customers, pd.DataFrame):
        if "signup_date" not in customers.columns:
            return customers.index.unique()
        if observation_end is None:
            raise ValueError(
                f"{name} has signup_date but the observation end is unknown (scores.attrs has "
                "none): pass observation_end= so that later sign-ups are left out"
            )
        signup = pd.to_datetime(customers["signup_date"]).dt.normalize()
        keep = ~(signup > pd.Timestamp(observation_end).normalize())
        return customers.index[keep.to_numpy()].unique()
    if isinstance(customers, str) or not isinstance(customers, Iterable):
        raise TypeError(f"{name} must be a customer table or a collection of customer ids")
    return pd.Index(list(customers)).unique()


def _check_scores(scores: pd.DataFrame, ruleset: RuleSet, n_bins: int | None) -> int:
    """Check that ``scores`` carry the axes the rules read, on the rules' scale."""
    if not isinstance(scores, pd.DataFrame):
        raise TypeError(f"scores must be a DataFrame from RFMScorer, got {type(scores).__name__}")
    n = n_bins if n_bins is not None else scores.attrs.get("n_bins")
    if n is None:
        raise ValueError(
            "scores carry no 'n_bins' in attrs (not from RFMScorer.transform?); pass n_bins="
        )
    if n != ruleset.scale:
        raise RuleSetError(
            f"rule set {ruleset.name!r} assumes scores 1..{ruleset.scale} (scale: "
            f"{ruleset.scale}) but these scores are 1..{n} (n_bins={n}); score with "
            f"RFMScorer(n_bins={ruleset.scale}) or use a rule set written for scale {n}"
        )
    dup = scores.index[scores.index.duplicated()]
    if len(dup):
        raise ValueError(f"scores index (customer_id) has duplicates: {_show(dup)}")
    for axis in ruleset.score_axes:
        col = SCORE_COLUMNS[axis]
        if col not in scores.columns:
            hint = " (RF-only scores?)" if axis == "m" else ""
            raise KeyError(f"rule set {ruleset.name!r} reads {col!r}, which scores lack{hint}")
        values = scores[col]
        bad = values.isna() | ~values.isin(range(1, n + 1))
        if bad.any():
            raise ValueError(
                f"column {col!r} must hold integer scores 1..{n}; customer(s) "
                f"{_show(scores.index[bad.to_numpy()])} do not"
            )
    return n


def _match_matrix(
    scores: pd.DataFrame,
    ruleset: RuleSet,
    lists: Mapping[str, Any],
    n_bins: int | None,
    observation_end: Any = None,
) -> tuple[pd.Index, np.ndarray]:
    """Customers (scored, then listed non-buyers) and a rules x customers match matrix."""
    _check_scores(scores, ruleset, n_bins)
    if observation_end is None:
        observation_end = scores.attrs.get("observation_end")
    wanted = {r.customers for r in ruleset.rules if r.kind == "customers"}
    listed = {}
    for name, ids in lists.items():
        if ids is None:
            continue
        if name not in wanted:
            raise RuleSetError(
                f"{name}= given, but rule set {ruleset.name!r} has no rule with "
                f"'customers: {name}' to place them"
            )
        listed[name] = _ids(ids, name, observation_end).difference(scores.index, sort=False)
    extra = pd.Index([], dtype=scores.index.dtype)
    for ids in listed.values():
        extra = extra.append(ids.difference(extra, sort=False))
    customers = scores.index.append(extra)
    customers.name = "customer_id"
    n_scored = len(scores)
    code = None
    if any(r.kind == "pattern" for r in ruleset.rules):
        cols = [SCORE_COLUMNS[a] for a in ruleset.code_axes]
        code = scores[cols[0]].astype(int).astype(str)
        for col in cols[1:]:
            code = code + scores[col].astype(int).astype(str)
    masks = np.zeros((len(ruleset.rules), len(customers)), dtype=bool)
    for i, rule in enumerate(ruleset.rules):
        if rule.kind == "customers":
            if rule.customers in listed:
                masks[i] = customers.isin(listed[rule.customers])
            continue
        if rule.kind == "pattern":
            hit = code.str.fullmatch(rule.pattern).to_numpy(dtype=bool)
        else:
            hit = np.ones(n_scored, dtype=bool)
            for axis, (lo, hi) in rule.ranges.items():
                values = scores[SCORE_COLUMNS[axis]].to_numpy()
                hit &= (values >= lo) & (values <= hi)
        masks[i, :n_scored] = hit
    return customers, masks


def _winners(masks: np.ndarray) -> np.ndarray:
    """Index of the first matching rule per customer, -1 where none matches."""
    first = masks.argmax(axis=0)
    return np.where(masks.any(axis=0), first, -1)


def assign_segments(
    scores: pd.DataFrame,
    rules: str | Path | RuleSet,
    *,
    prospects: Any = None,
    cart_abandoners: Any = None,
    n_bins: int | None = None,
    observation_end: str | pd.Timestamp | None = None,
) -> pd.Series:
    """Segment of each customer: the first rule that matches, else the default ("Others").

    Parameters
    ----------
    scores : pandas.DataFrame
        Output of :meth:`RFMScorer.transform` (``r_score``, ``f_score``, ``m_score``).
    rules : str, pathlib.Path or RuleSet
        Anything :func:`load_rules` accepts. Its ``scale`` must equal the scores' ``n_bins``.
    prospects : DataFrame or collection of ids, optional
        Customer table (its index is used) or ids; those without scores (signed up, never
        bought) are placed by a ``customers: prospects`` rule. A table with ``signup_date``
        keeps only people signed up by the observation end.
    cart_abandoners : collection of ids, optional
        People who started a checkout; those without scores are placed by a
        ``customers: cart_abandoners`` rule. Order logs rarely have this: usually absent.
    n_bins : int, optional
        Score scale, when ``scores.attrs`` lost it.
    observation_end : str or pandas.Timestamp, optional
        End of the scored period, to date prospects; by default ``scores.attrs`` (set from
        the summary by :meth:`RFMScorer.transform`).

    Returns
    -------
    pandas.Series
        ``segment`` indexed by ``customer_id``: the scored customers, then listed non-buyers.

    Examples
    --------
    >>> scores = pd.DataFrame({"r_score": [5, 3], "f_score": [1, 3]},
    ...                       index=pd.Index([7, 8], name="customer_id"))
    >>> assign_segments(scores, "rf_grid", n_bins=5).tolist()
    ['New Customers', 'Need Attention']
    """
    ruleset = load_rules(rules)
    lists = {"prospects": prospects, "cart_abandoners": cart_abandoners}
    customers, masks = _match_matrix(scores, ruleset, lists, n_bins, observation_end)
    names = np.array([r.segment for r in ruleset.rules] + [ruleset.default_segment], dtype=object)
    segment = names[_winners(masks)]  # -1 picks the default, stored last
    return pd.Series(segment, index=customers, name="segment", dtype="str")


def rule_coverage(
    scores: pd.DataFrame,
    rules: str | Path | RuleSet,
    *,
    prospects: Any = None,
    cart_abandoners: Any = None,
    n_bins: int | None = None,
    observation_end: str | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """How many customers each rule takes, matches, and loses to earlier rules.

    Returns
    -------
    pandas.DataFrame
        One row per rule, then the default segment ("Others"): ``rule`` (number),
        ``segment``, ``condition``, ``won`` (customers it gives its segment to), ``matched``
        (customers it matches at all), ``shadowed`` (matched but taken by an earlier rule),
        ``share`` (``won`` / all customers), ``overlaps_with`` (numbers of the other rules
        matching some of the same customers: there, rule order decides) and ``note``.
        See :func:`rule_overlaps` for the pairs.
    """
    ruleset = load_rules(rules)
    lists = {"prospects": prospects, "cart_abandoners": cart_abandoners}
    customers, masks = _match_matrix(scores, ruleset, lists, n_bins, observation_end)
    winners = _winners(masks)
    won = np.bincount(winners + 1, minlength=len(ruleset.rules) + 1)  # slot 0: unmatched
    both = masks.astype(np.int64) @ masks.T.astype(np.int64)
    total = len(customers)
    rows = []
    for i, rule in enumerate(ruleset.rules):
        others = [ruleset.rules[j].number for j in np.flatnonzero(both[i]) if j != i]
        note = ""
        if rule.kind == "customers" and lists[rule.customers] is None:
            needs = "event data" if rule.customers == "cart_abandoners" else "a customer table"
            note = (
                f"needs {needs}: no {rule.customers} given ({CUSTOMER_LISTS[rule.customers]}); "
                f"an order log cannot see them, pass {rule.customers}= to place them"
            )
        rows.append(
            {
                "rule": rule.number,
                "segment": rule.segment,
                "condition": rule.condition(ruleset.code_axes),
                "won": int(won[i + 1]),
                "matched": int(both[i, i]),
                "shadowed": int(both[i, i] - won[i + 1]),
                "share": won[i + 1] / total,
                "overlaps_with": ", ".join(map(str, others)),
                "note": note,
            }
        )
    rows.append(
        {
            "rule": pd.NA,
            "segment": ruleset.default_segment,
            "condition": "no rule matches",
            "won": int(won[0]),
            "matched": int(won[0]),
            "shadowed": 0,
            "share": won[0] / total,
            "overlaps_with": "",
            "note": "",
        }
    )
    out = pd.DataFrame(rows)
    out["rule"] = out["rule"].astype("Int64")
    return out


def rule_overlaps(
    scores: pd.DataFrame,
    rules: str | Path | RuleSet,
    *,
    prospects: Any = None,
    cart_abandoners: Any = None,
    n_bins: int | None = None,
    observation_end: str | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Pairs of rules that match the same customers (the earlier rule takes them).

    Returns
    -------
    pandas.DataFrame
        ``rule_a`` < ``rule_b`` with ``segment_a``, ``segment_b`` and ``customers`` matched by
        both; empty when the rules are disjoint (then their order does not matter).
    """
    ruleset = load_rules(rules)
    lists = {"prospects": prospects, "cart_abandoners": cart_abandoners}
    _, masks = _match_matrix(scores, ruleset, lists, n_bins, observation_end)
    both = masks.astype(np.int64) @ masks.T.astype(np.int64)
    a, b = np.nonzero(np.triu(both, k=1))
    return pd.DataFrame(
        {
            "rule_a": [ruleset.rules[i].number for i in a],
            "segment_a": [ruleset.rules[i].segment for i in a],
            "rule_b": [ruleset.rules[j].number for j in b],
            "segment_b": [ruleset.rules[j].segment for j in b],
            "customers": both[a, b].astype(np.int64),
        }
    )


# --------------------------------------------------------------------------------------------
# Tables and export
# --------------------------------------------------------------------------------------------


def _aligned(summary, scores, segments, clv, ruleset) -> pd.DataFrame:
    """One frame per customer of ``segments``: summary columns, scores, clv, action."""
    if not isinstance(segments, pd.Series):
        raise TypeError("segments must be the Series returned by assign_segments")
    dup = segments.index[segments.index.duplicated()]
    if len(dup):
        raise ValueError(f"segments index (customer_id) has duplicates: {_show(dup)}")
    unknown = sorted(set(segments.dropna()) - set(ruleset.segments))
    if unknown:
        raise RuleSetError(
            f"segment(s) {unknown} are not in rule set {ruleset.name!r} "
            f"({ruleset.segments}); segments and rules must come from the same rule set"
        )
    if segments.isna().any():
        raise ValueError(
            f"segments missing for customer(s) {_show(segments.index[segments.isna()])}"
        )
    unsegmented = scores.index.difference(segments.index)
    if len(unsegmented):
        raise ValueError(f"scored customer(s) {_show(unsegmented)} have no segment")
    unsummarised = scores.index.difference(summary.index)
    if len(unsummarised):
        raise ValueError(f"scored customer(s) {_show(unsummarised)} are not in the summary")
    ids = segments.index
    frame = pd.DataFrame({"segment": segments.to_numpy()}, index=ids)
    frame.index.name = "customer_id"
    wanted = [RECENCY_COL, FREQUENCY_COL, *MONETARY_COLS.values(), "cac"]
    for col in [c for c in wanted if c in summary.columns]:
        frame[col] = summary[col].reindex(ids)
    for col in ("r_score", "f_score", "m_score", "rfm_code", "rfm_score"):
        if col in scores.columns:
            frame[col] = scores[col].reindex(ids)
    if clv is not None:
        if not isinstance(clv, pd.Series):
            raise TypeError("clv must be a Series of CLV indexed by customer_id")
        if len(clv) and not clv.index.isin(ids).any():
            raise ValueError(
                "clv shares no customer_id with the segments (ids of another type or set?)"
            )
        frame["predicted_clv"] = clv.reindex(ids).astype(float)
    basis = "gross_profit" if "gross_profit" in summary.columns else "total_value"
    if basis in summary.columns:  # historic CLV, the one rule of clvlib.methods.heuristic
        frame["historic_clv"] = summary[basis].reindex(ids).astype(float)
    frame["action"] = frame["segment"].map(ruleset.actions)
    return frame


def segment_table(
    summary: pd.DataFrame,
    scores: pd.DataFrame,
    segments: pd.Series,
    *,
    rules: str | Path | RuleSet,
    clv: pd.Series | None = None,
    sort: str = "rules",
) -> pd.DataFrame:
    """Profile of each segment: size, value, mean raw RFM and scores, CLV, action.

    Parameters
    ----------
    summary, scores : pandas.DataFrame
        The customer summary and its scores (same customers).
    segments : pandas.Series
        From :func:`assign_segments` with ``rules``.
    rules : str, pathlib.Path or RuleSet
        The rule set of ``segments``: gives the actions and the order.
    clv : pandas.Series, optional
        *Predicted* CLV per customer_id (e.g. ``HeuristicCLV.predict_clv()["clv_discounted"]``);
        adds ``mean_predicted_clv`` and ``predicted_clv_share``. Historic CLV (value to
        date: gross profit where known, else net revenue) is always shown as
        ``mean_historic_clv``, so the two are never confused.
    sort : {"rules", "value"}, default "rules"
        Rule order (stable across periods, "Others" last) or by ``value_share``, descending.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``segment``, every segment of the rule set (empty ones with 0 customers):
        ``customers``, ``customer_share``, ``value_share`` (of ``total_value``),
        ``profit_share`` (when ``gross_profit`` is known), ``mean_*`` of the raw RFM columns,
        of the scores, of ``cac``, ``mean_historic_clv``, ``mean_predicted_clv`` and
        ``predicted_clv_share`` when ``clv`` is given, ``action`` and ``note`` (for an
        empty type an order log cannot fill: "needs event data" for cart abandoners,
        "needs a customer table" for subscribers).
    """
    if sort not in ("rules", "value"):
        raise ValueError(f"sort must be 'rules' or 'value', got {sort!r}")
    ruleset = load_rules(rules)
    frame = _aligned(summary, scores, segments, clv, ruleset)
    grouped = frame.groupby("segment", sort=False)
    out = pd.DataFrame(index=pd.Index(ruleset.segments, name="segment"))
    out["customers"] = grouped.size().reindex(out.index, fill_value=0).astype("int64")
    out["customer_share"] = out["customers"] / len(frame)
    shares = [
        ("total_value", "value_share"),
        ("gross_profit", "profit_share"),
        ("predicted_clv", "predicted_clv_share"),
    ]
    for col, name in shares:
        if col in frame.columns:
            out[name] = grouped[col].sum().reindex(out.index, fill_value=0.0) / frame[col].sum()
    means = [RECENCY_COL, FREQUENCY_COL, *MONETARY_COLS.values()]
    means += ["r_score", "f_score", "m_score", "cac", "historic_clv", "predicted_clv"]
    for col in [c for c in means if c in frame.columns]:
        out[f"mean_{col}"] = grouped[col].mean().reindex(out.index).astype(float)
    out["action"] = out.index.map(ruleset.actions)
    # what an order log cannot see is said, not shown as an empty row
    needs = {"cart_abandoners": "needs event data (checkout events)"}
    needs["prospects"] = "needs a customer table (sign-ups without orders)"
    out["note"] = ""
    for rule in ruleset.rules:
        if rule.kind == "customers" and out.loc[rule.segment, "customers"] == 0:
            out.loc[rule.segment, "note"] = needs.get(rule.customers, "")
    if sort == "value" and "value_share" in out.columns:
        out = out.sort_values("value_share", ascending=False, kind="stable")
    return out


EXPORT_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "r_score",
    "f_score",
    "m_score",
    "rfm_code",
    "rfm_score",
    "segment",
    "total_value",
    "historic_clv",
    "predicted_clv",
    "action",
)


def export_segments(
    path: str | Path,
    summary: pd.DataFrame,
    scores: pd.DataFrame,
    segments: pd.Series,
    *,
    rules: str | Path | RuleSet,
    clv: pd.Series | None = None,
) -> Path:
    """Write the segment list for a CRM / e-mail / ad platform: CSV or Parquet by suffix.

    Columns, always in this order (:data:`EXPORT_COLUMNS`): ``customer_id``, ``r_score``,
    ``f_score``, ``m_score`` (empty for RF-only scores), ``rfm_code``, ``rfm_score``,
    ``segment``, ``total_value``, ``historic_clv`` (value to date: gross profit where known,
    else net revenue), ``predicted_clv`` (the ``clv`` given; empty without it), ``action``.
    Prospects have no scores or value. Rows are sorted by segment in rule order ("Others" last),
    then ``rfm_score`` descending, then ``customer_id``.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise ValueError(f"export path must end in .csv or .parquet, got {path.name!r}")
    ruleset = load_rules(rules)
    frame = _aligned(summary, scores, segments, clv, ruleset)
    out = pd.DataFrame(index=frame.index)
    for col in EXPORT_COLUMNS[1:]:
        out[col] = frame[col] if col in frame.columns else np.nan
    for col in ("r_score", "f_score", "m_score", "rfm_score"):
        out[col] = out[col].astype("Int64")
    for col in ("total_value", "historic_clv", "predicted_clv"):
        out[col] = out[col].astype(float)
    out["rfm_code"] = out["rfm_code"].astype("str")
    order = {s: i for i, s in enumerate(ruleset.segments)}
    out = out.reset_index().assign(_order=out["segment"].map(order).to_numpy())
    out = out.sort_values(
        ["_order", "rfm_score", "customer_id"],
        ascending=[True, False, True],
        na_position="last",
        kind="stable",
    )
    out = out.drop(columns="_order")[list(EXPORT_COLUMNS)].reset_index(drop=True)
    if suffix == ".csv":
        out.to_csv(path, index=False)
    else:
        out.to_parquet(path, index=False)
    return path
