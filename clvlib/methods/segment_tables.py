"""Segment tables: the profile of each segment for the report, the list for the CRM hand-off.

:func:`segment_table` profiles the segments of :func:`~clvlib.methods.rules.assign_segments`
(size, value, mean RFM, CLV, action); :func:`export_segments` writes the customer list.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from clvlib.methods.analyses import ASSUMED_LIFT
from clvlib.methods.rfm_columns import FREQUENCY_COL, MONETARY_COLS, RECENCY_COL, _show
from clvlib.methods.rules import RuleSet, RuleSetError, load_rules
from clvlib.methods.value import value_basis

#: the segment of people who signed up and never bought, under a rule set with no rule for
#: them (the value x activity rule set places them itself, as "Subscribers")
PROSPECTS_SEGMENT = "Prospects"


def prospect_action() -> str:
    """The playbook action for people who signed up and never bought (one definition).

    Read from the six customer types' playbook (the ``customers: prospects`` rule of the
    shipped ``value_activity`` rule set), so every rule set's prospects get the same advice.
    """
    rules = load_rules("value_activity").rules
    return next(r.action for r in rules if r.customers == "prospects")


def unplaced_prospects(
    segments: pd.Series,
    prospects: pd.DataFrame | None,
    *,
    observation_end: str | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """The rows of the customer table ``prospects`` that ``segments`` does not place.

    People of the customer table who never bought (not in ``segments``: a rule set without a
    ``customers: prospects`` rule leaves them out) and who signed up by ``observation_end``
    (a missing sign-up date is kept). Empty without a table.
    """
    if prospects is None or not len(prospects):
        return pd.DataFrame(index=pd.Index([], name="customer_id"))
    out = prospects.loc[~prospects.index.isin(segments.index)]
    if "signup_date" in out.columns and observation_end is not None:
        signup = pd.to_datetime(out["signup_date"]).dt.normalize()
        out = out.loc[~(signup > pd.Timestamp(observation_end).normalize()).to_numpy()]
    return out


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
    basis = value_basis(summary).column  # historic CLV: profit where costs are known
    if basis in summary.columns:
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

    Examples
    --------
    >>> from clvlib.methods.rfm import rfm_scores
    >>> from clvlib.methods.rules import assign_segments
    >>> summary = pd.DataFrame(
    ...     {"since_last_order": [3, 40, 200, 9, 120], "n_orders": [5, 1, 1, 2, 3],
    ...      "total_value": [500.0, 20.0, 35.0, 90.0, 150.0]},
    ...     index=pd.Index([1, 2, 3, 4, 5], name="customer_id"))
    >>> scores = rfm_scores(summary)
    >>> segments = assign_segments(scores, "rf_grid")
    >>> table = segment_table(summary, scores, segments, rules="rf_grid")
    >>> table.loc[table["customers"] > 0, ["customers", "value_share", "mean_n_orders"]]
                         customers  value_share  mean_n_orders
    segment
    Hibernating                  1     0.044025            1.0
    At Risk                      1     0.188679            3.0
    About To Sleep               1     0.025157            1.0
    Potential Loyalists          1     0.113208            2.0
    Champions                    1     0.628931            5.0
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


def segment_playbook(
    summary: pd.DataFrame,
    scores: pd.DataFrame,
    segments: pd.Series,
    *,
    rules: str | Path | RuleSet,
    clv: pd.Series | None = None,
    prospects: pd.DataFrame | None = None,
    lift: float = ASSUMED_LIFT,
) -> pd.DataFrame:
    """The playbook of a rule set from data: who is in each segment, their worth, what to do.

    Parameters
    ----------
    summary, scores, segments, rules, clv
        As for :func:`segment_table` (``clv`` the *predicted* CLV per customer).
    prospects : pandas.DataFrame, optional
        The customer table: people who signed up and never bought are a segment of their own
        (the rule set's own, such as "Subscribers", or "Prospects" when it has none; see
        :func:`unplaced_prospects`). They have no value yet: their CLV columns are missing.
    lift : float, default :data:`~clvlib.methods.analyses.ASSUMED_LIFT` (0.10)
        The assumed effect of acting as the playbook says: the share by which the action
        raises the segment's predicted CLV (an assumption, stated with the table).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``segment`` in rule order (segments with customers only; prospects last):
        ``customers``, ``customer_share`` (of all rows, prospects included),
        ``mean_historic_clv``, ``mean_predicted_clv``, ``value_of_acting`` (the segment's
        total predicted CLV x ``lift``) and ``action``. ``attrs["lift"]`` holds ``lift``.

    Examples
    --------
    >>> from clvlib.methods.rfm import rfm_scores
    >>> from clvlib.methods.rules import assign_segments
    >>> summary = pd.DataFrame(
    ...     {"since_last_order": [3, 40, 200, 9, 120], "n_orders": [5, 1, 1, 2, 3],
    ...      "total_value": [500.0, 20.0, 35.0, 90.0, 150.0]},
    ...     index=pd.Index([1, 2, 3, 4, 5], name="customer_id"))
    >>> scores = rfm_scores(summary)
    >>> segments = assign_segments(scores, "rf_grid")
    >>> clv = pd.Series([400.0, 10.0, 0.0, 80.0, 30.0], index=summary.index)
    >>> table = segment_playbook(summary, scores, segments, rules="rf_grid", clv=clv)
    >>> table[["customers", "mean_predicted_clv", "value_of_acting"]]
                         customers  mean_predicted_clv  value_of_acting
    segment
    Hibernating                  1                 0.0              0.0
    At Risk                      1                30.0              3.0
    About To Sleep               1                10.0              1.0
    Potential Loyalists          1                80.0              8.0
    Champions                    1               400.0             40.0
    """
    if not 0 <= lift <= 1:
        raise ValueError(f"lift must lie in [0, 1] (a share: 10 % is 0.1); got {lift!r}")
    ruleset = load_rules(rules)
    frame = _aligned(summary, scores, segments, clv, ruleset)
    order = list(ruleset.segments)
    if prospects is not None:
        end = summary.attrs.get("observation_end")
        extra = unplaced_prospects(segments, prospects, observation_end=end)
        if len(extra):
            added = pd.DataFrame(
                {"segment": PROSPECTS_SEGMENT, "action": prospect_action()}, index=extra.index
            )
            frame = pd.concat([frame, added])
            order.append(PROSPECTS_SEGMENT)
    grouped = frame.groupby("segment", sort=False)
    out = pd.DataFrame(index=pd.Index(order, name="segment"))
    out["customers"] = grouped.size().reindex(out.index, fill_value=0).astype("int64")
    out = out.loc[out["customers"] > 0].copy()
    out["customer_share"] = out["customers"] / len(frame)
    for col in ("historic_clv", "predicted_clv"):
        if col in frame.columns:
            out[f"mean_{col}"] = grouped[col].mean().reindex(out.index).astype(float)
    if "predicted_clv" in frame.columns:
        total = grouped["predicted_clv"].sum(min_count=1).reindex(out.index).astype(float)
        out["value_of_acting"] = total * lift
    out["action"] = grouped["action"].first().reindex(out.index)
    out.attrs.update(lift=lift, rule_set=ruleset.name)
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
#: the customer table's columns added to the export when one is given (prospects have these
#: only: no scores, no value)
SIGNUP_COLUMNS: tuple[str, ...] = ("signup_date", "channel")


def export_segments(
    path: str | Path,
    summary: pd.DataFrame,
    scores: pd.DataFrame,
    segments: pd.Series,
    *,
    rules: str | Path | RuleSet,
    clv: pd.Series | None = None,
    prospects: pd.DataFrame | None = None,
) -> Path:
    """Write the segment list for a CRM / e-mail / ad platform: CSV or Parquet by suffix.

    Columns, always in this order (:data:`EXPORT_COLUMNS`): ``customer_id``, ``r_score``,
    ``f_score``, ``m_score`` (empty for RF-only scores), ``rfm_code``, ``rfm_score``,
    ``segment``, ``total_value``, ``historic_clv`` (value to date: gross profit where known,
    else net revenue), ``predicted_clv`` (the ``clv`` given; empty without it), ``action``.
    Prospects have no scores or value. Rows are sorted by segment in rule order ("Others" last),
    then ``rfm_score`` descending, then ``customer_id``.

    With ``prospects`` (the customer table: ``signup_date``, ``channel``), the list also
    holds the people who signed up and never bought (by the summary's observation end):
    those the rule set places itself (value x activity: "Subscribers") and, under a rule set
    without a rule for them, a last segment "Prospects" with the playbook's action for them
    (:func:`prospect_action`); and the columns ``signup_date`` and ``channel`` of every
    customer (:data:`SIGNUP_COLUMNS`), so a campaign can address prospects by sign-up date.

    Returns
    -------
    pathlib.Path
        The file written.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from clvlib.methods.rfm import rfm_scores
    >>> from clvlib.methods.rules import assign_segments
    >>> summary = pd.DataFrame(
    ...     {"since_last_order": [3, 40, 200, 9, 120], "n_orders": [5, 1, 1, 2, 3],
    ...      "total_value": [500.0, 20.0, 35.0, 90.0, 150.0]},
    ...     index=pd.Index([1, 2, 3, 4, 5], name="customer_id"))
    >>> scores = rfm_scores(summary)
    >>> segments = assign_segments(scores, "rf_grid")
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder) / "segments.csv"
    ...     written = export_segments(path, summary, scores, segments, rules="rf_grid")
    ...     exported = pd.read_csv(written)
    ...
    >>> exported[["customer_id", "rfm_code", "segment", "historic_clv"]]
       customer_id  rfm_code              segment  historic_clv
    0            3       112          Hibernating          35.0
    1            5       244              At Risk         150.0
    2            2       311       About To Sleep          20.0
    3            4       423  Potential Loyalists          90.0
    4            1       555            Champions         500.0
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise ValueError(f"export path must end in .csv or .parquet, got {path.name!r}")
    ruleset = load_rules(rules)
    frame = _aligned(summary, scores, segments, clv, ruleset)
    columns = list(EXPORT_COLUMNS)
    order = {s: i for i, s in enumerate(ruleset.segments)}
    if prospects is not None:
        end = summary.attrs.get("observation_end")
        extra = unplaced_prospects(segments, prospects, observation_end=end)
        added = pd.DataFrame(
            {"segment": PROSPECTS_SEGMENT, "action": prospect_action()}, index=extra.index
        )
        frame = pd.concat([frame, added]) if len(added) else frame
        for col in SIGNUP_COLUMNS:
            if col in prospects.columns or col in summary.columns:
                known = summary[col] if col in summary.columns else pd.Series(dtype=object)
                table = prospects[col] if col in prospects.columns else pd.Series(dtype=object)
                frame[col] = table.reindex(frame.index).where(
                    frame.index.isin(table.index), known.reindex(frame.index)
                )
                columns.append(col)
        order[PROSPECTS_SEGMENT] = len(order)
    out = pd.DataFrame(index=frame.index)
    out.index.name = "customer_id"
    for col in columns[1:]:
        out[col] = frame[col] if col in frame.columns else np.nan
    if "signup_date" in out.columns:
        out["signup_date"] = pd.to_datetime(out["signup_date"]).dt.strftime("%Y-%m-%d")
    for col in ("r_score", "f_score", "m_score", "rfm_score"):
        out[col] = out[col].astype("Int64")
    for col in ("total_value", "historic_clv", "predicted_clv"):
        out[col] = out[col].astype(float)
    out["rfm_code"] = out["rfm_code"].astype("str")
    out = out.reset_index().assign(_order=out["segment"].map(order).to_numpy())
    out = out.sort_values(
        ["_order", "rfm_score", "customer_id"],
        ascending=[True, False, True],
        na_position="last",
        kind="stable",
    )
    out = out.drop(columns="_order")[columns].reset_index(drop=True)
    if suffix == ".csv":
        out.to_csv(path, index=False)
    else:
        out.to_parquet(path, index=False)
    return path
