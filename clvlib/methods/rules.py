"""Rule-based RFM segments: rule sets as data, assignment, coverage and overlaps.

Segment rules are data: YAML files in ``clvlib/methods/segments/`` (``r_rfm``, ``rf_grid``,
``value_activity``) or a user's own file in the same format, read by :func:`load_rules`.
:func:`assign_segments` gives each customer the segment of the first rule that matches;
:func:`rule_coverage` and :func:`rule_overlaps` say how many customers each rule takes and
whether rule order matters.
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

from clvlib.methods.rfm_columns import AXES, SCORE_COLUMNS, _show

SHIPPED_RULE_SETS: tuple[str, ...] = ("r_rfm", "rf_grid", "value_activity")
#: the shipped rule sets as a page names them
RULE_SET_TITLES: dict[str, str] = {
    "r_rfm": "the example rules of R's RFM package",
    "rf_grid": "the recency x frequency (RF) grid",
    "value_activity": "the six value x activity customer types",
}


def rule_set_title(rules: Any) -> str:
    """A rule set's name in words: a shipped one's title, else its file's name."""
    name = getattr(rules, "name", None) or str(rules)
    return RULE_SET_TITLES.get(name, f"the rule set {Path(name).stem}")


# customer lists a rule can match on (people without purchases, hence without scores)
CUSTOMER_LISTS: dict[str, str] = {
    "prospects": "signed up (customer table) and never bought",
    "cart_abandoners": "started a checkout and never bought; needs checkout events, "
    "which an order log does not contain",
}


#: a customer list in words, as a rule's condition reads
CUSTOMER_WORDS: dict[str, str] = {
    "prospects": "signed up and never bought",
    "cart_abandoners": "started a checkout and never bought",
}
#: one position of a code pattern: a digit, or a class of digits ("[1-2]", "[45]")
_POSITION = re.compile(r"(\d)|\[(\d)-(\d)\]|\[(\d+)\]")


def _pattern_words(pattern: str, code_axes: tuple[str, ...]) -> str:
    """A code pattern as score ranges ("R 1-2, F 3-4"), else the pattern quoted."""
    parts = []
    rest = pattern
    for axis in code_axes:
        found = _POSITION.match(rest)
        if found is None:
            break
        digit, low, high, digits = found.groups()
        if digit:
            words = digit
        elif low:
            words = f"{low}-{high}"
        else:
            words = ", ".join(digits) if len(digits) > 1 else digits
        parts.append(f"{axis.upper()} {words}")
        rest = rest[found.end() :]
    if not rest and len(parts) == len(code_axes) and parts:
        return ", ".join(parts)
    return f"scores ({', '.join(a.upper() for a in code_axes)}) read as the code {pattern!r}"


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
        """The rule's condition in words, e.g. ``"R 3-5, F 3-5, M 2-5"``.

        A pattern on the code reads as score ranges when it is one digit or one class per
        axis (the RF grid's ``[1-2][3-4]`` is ``"R 1-2, F 3-4"``); another regular expression
        is quoted as the pattern the scores' code must match.

        Examples
        --------
        >>> Rule(1, "At Risk", "Win back", pattern="[1-2][3-4]").condition(("r", "f"))
        'R 1-2, F 3-4'
        >>> Rule(2, "Champions", "Reward", pattern="5[4-5]").condition(("r", "f"))
        'R 5, F 4-5'
        """
        if self.kind == "pattern":
            return _pattern_words(str(self.pattern), code_axes)
        if self.kind == "customers":
            return CUSTOMER_WORDS.get(str(self.customers), f"on the list {self.customers}")
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
    types with their playbook).

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

    Examples
    --------
    >>> from clvlib.methods.rfm import rfm_scores
    >>> summary = pd.DataFrame(
    ...     {"since_last_order": [3, 40, 200, 9, 120], "n_orders": [5, 1, 1, 2, 3],
    ...      "total_value": [500.0, 20.0, 35.0, 90.0, 150.0]},
    ...     index=pd.Index([1, 2, 3, 4, 5], name="customer_id"))
    >>> coverage = rule_coverage(rfm_scores(summary), "rf_grid")
    >>> coverage.loc[coverage["won"] > 0, ["segment", "won", "share"]]
                   segment  won  share
    0          Hibernating    1    0.2
    1              At Risk    1    0.2
    3       About To Sleep    1    0.2
    8  Potential Loyalists    1    0.2
    9            Champions    1    0.2
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
            needs = (
                "event data (checkout events)"
                if rule.customers == "cart_abandoners"
                else "a customer table"
            )
            note = f"needs {needs}: an order log does not show who {CUSTOMER_WORDS[rule.customers]}"
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

    Examples
    --------
    >>> rules = RuleSet("demo", 5, (Rule(1, "Best", "Reward", {"r": (4, 5)}),
    ...                              Rule(2, "Loyal", "Upsell", {"f": (4, 5)})))
    >>> scores = pd.DataFrame({"r_score": [5, 4, 1], "f_score": [5, 2, 5]},
    ...     index=pd.Index([1, 2, 3], name="customer_id"))
    >>> rule_overlaps(scores, rules, n_bins=5)
       rule_a segment_a  rule_b segment_b  customers
    0       1      Best       2     Loyal          1
    >>> assign_segments(scores, rules, n_bins=5).tolist()
    ['Best', 'Best', 'Loyal']
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
