"""Rolling origins: the comparison repeated at several cut-off dates with one holdout length."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

import pandas as pd

from clvlib.compare.comparison import Comparison, compare_methods
from clvlib.compare.export import jsonable, records, write_json
from clvlib.compare.registry import METHODS, TRUTH_METRICS
from clvlib.compare.settings import ComparisonSettings
from clvlib.compare.split import Split, check_horizon, holdout_end_after
from clvlib.compare.winner import _clear, _interval
from clvlib.data import engine as _engine
from clvlib.data import log as _tx
from clvlib.data.dates import cutoff_day

__all__ = [
    "MIN_CUTOFFS",
    "SHORT_HOLDOUT_DAYS",
    "RollingPlan",
    "RollingOrigin",
    "cutoff_dates",
    "rolling_origin",
    "rolling_plan",
]


@dataclass(repr=False)
class RollingOrigin:
    """The comparison repeated at several cut-off dates with the same holdout length.

    Attributes
    ----------
    metrics : pandas.DataFrame
        Tidy ``cutoff``, ``holdout_end``, ``method``, ``metric``, ``value``.
    truth_distance : pandas.DataFrame or None
        The same for :data:`TRUTH_METRICS` (with a Shop as truth).
    comparisons : dict
        ``{cutoff (ISO date): Comparison}``.
    """

    metrics: pd.DataFrame
    comparisons: dict[str, Comparison]
    truth_distance: pd.DataFrame | None = None
    plan: RollingPlan | None = None
    """How the cut-offs and their holdout length were chosen (:func:`rolling_plan`), if so."""

    def __repr__(self) -> str:
        return f"RollingOrigin(cutoffs={list(self.comparisons)})"

    def winners(self, metric: str = "spearman", *, among: Sequence[str] | None = None):
        """Winner and margin at each cut-off, and whether its interval excludes 0.

        Columns ``cutoff``, ``method``, ``value``, ``runner_up``, ``runner_up_value``,
        ``margin`` (see :meth:`Comparison.winner`), ``ci_low``, ``ci_high`` (paired bootstrap
        interval of the margin, for :data:`INTERVAL_METRICS`) and ``clear`` (False: a tie, or
        no interval — "no clear winner" at that cut-off). ``among`` defaults to every method
        but the bounds; the data set's winner is :func:`~clvlib.compare.winner.winner_across`.
        """
        rows = []
        for cutoff, c in self.comparisons.items():
            w = c.winner(metric, among=among)
            _, low, high = _interval(c, w.method, w.runner_up, metric)
            rows.append(
                {
                    "cutoff": cutoff,
                    **w._asdict(),
                    "ci_low": low,
                    "ci_high": high,
                    "clear": bool(_clear(c, w)),
                }
            )
        return pd.DataFrame(rows).drop(columns=["metric", "direction"])

    def stability(self, metric: str = "spearman", *, among: Sequence[str] | None = None):
        """Per method: mean, min and max of ``metric`` over the cut-offs and how often it won.

        ``wins`` counts only clear wins (interval of the margin excludes 0); ``ties`` counts
        the cut-offs where the method was best but the interval covered 0.
        """
        table = self.truth_distance if metric in TRUTH_METRICS else self.metrics
        if table is None:
            raise ValueError(f"{metric} needs a truth: pass a Shop as truth= to rolling_origin")
        rows = table[table["metric"] == metric]
        stats = rows.groupby("method", sort=False)["value"].agg(["mean", "min", "max"])
        won = self.winners(metric, among=among)
        wins = won.loc[won["clear"], "method"].value_counts()
        ties = won.loc[~won["clear"], "method"].value_counts()
        stats["wins"] = wins.reindex(stats.index, fill_value=0).astype("int64")
        stats["ties"] = ties.reindex(stats.index, fill_value=0).astype("int64")
        stats["cutoffs"] = len(self.comparisons)
        return stats.reindex([m for m in METHODS if m in stats.index])

    def to_dict(self) -> dict[str, Any]:
        """Metrics of every cut-off and each one's comparison dictionary, deterministic."""
        return jsonable(
            {
                "metrics": records(self.metrics),
                "truth_distance": None
                if self.truth_distance is None
                else records(self.truth_distance),
                "comparisons": {k: c.to_dict() for k, c in self.comparisons.items()},
                "plan": None if self.plan is None else self.plan._asdict(),
            }
        )

    def to_json(self, path: str | os.PathLike | None = None) -> str:
        """:meth:`to_dict` as JSON (sorted keys); written to ``path`` if given."""
        return write_json(self.to_dict(), path)


def rolling_origin(
    tx: pd.DataFrame,
    *,
    cutoffs: Sequence[str | pd.Timestamp],
    horizon: int,
    horizon_unit: str = "D",
    truth: Any = None,
    keep_customers: bool = True,
    time_unit: str = "D",
    settings: ComparisonSettings | None = None,
    customers: pd.DataFrame | None = None,
    cluster_reference: Any = None,
    plan: RollingPlan | None = None,
    **options: Any,
) -> RollingOrigin:
    """:func:`compare_methods` at several cut-off dates, each with a holdout of ``horizon``.

    One split can flatter a method by chance (a season, a few large orders); a winner that
    holds at every cut-off is a finding.

    Parameters
    ----------
    tx : pandas.DataFrame or ibis.Table
        The clean transaction log.
    cutoffs : sequence of dates
        Calibration ends (e.g. from :func:`cutoff_dates`); each holdout is
        (cutoff, cutoff + horizon] and must end by the last day of the log.
    horizon : int
        Holdout length in ``horizon_unit``.
    horizon_unit : {"D", "W", "M"}, default "D"
        Days, weeks or calendar months (a month-end cut-off gives a month-end holdout end:
        2024-06-30 + 6 months is 2024-12-31).
    truth : clvlib.data.shop.Shop, optional
        The simulated shop; its truth is taken for each window.
    keep_customers : bool, default True
        False keeps of each cut-off's comparison what its tables, intervals, winners and
        JSON use: its ``scores`` are left empty (columns kept), ``summary`` None and of the
        fitted ``models`` only k-means (the clusters' reference). At 1M customers that is
        several hundred MB less per cut-off; the results are the same.
    time_unit : {"D", "W", "M"}, default "D"
        Unit of the summary durations, as in :func:`compare_methods`.
    settings : ComparisonSettings, optional
        The settings of every cut-off's comparison (default: built from ``**options``).
    cluster_reference : CustomerClusterer, optional
        Fitted clusters every cut-off's k-means is matched to; default: those of the first
        cut-off.
    plan : RollingPlan, optional
        How ``cutoffs`` and ``horizon`` were chosen (:func:`rolling_plan`), kept with the
        result so that pages can say it.
    customers : pandas.DataFrame, optional
        Customer table, as in :func:`compare_methods`.
    **options
        The settings' fields, as in :func:`compare_methods` (``n_clusters``, ...). The k-means
        clusters of later cut-offs are matched to those of the first by their centres, so
        that a cluster keeps its label and name over time; ``n_clusters="auto"`` is resolved
        on the first (earliest) cut-off's calibration summary and kept for the others.

    Returns
    -------
    RollingOrigin
    """
    horizon = check_horizon(horizon)
    settings = ComparisonSettings.of(settings, **options)
    if truth is not None and not (hasattr(truth, "truth") and callable(truth.truth)):
        raise TypeError("truth must be the Shop (one truth table fits one window only)")
    if len(cutoffs) == 0:
        raise ValueError("cutoffs is empty")
    stamps = [cutoff_day(c, "cutoffs") for c in cutoffs]
    if len(set(stamps)) != len(stamps):
        raise ValueError(f"cutoffs are repeated: {[str(s.date()) for s in stamps]}")
    last = _tx.stats(tx)["last"].normalize()
    comparisons, frames, truth_frames = {}, [], []
    for cutoff in sorted(stamps):
        split = Split.from_horizon(cutoff, horizon, horizon_unit, time_unit=time_unit)
        end = split.holdout_end
        if end > last:
            raise ValueError(
                f"cutoff {cutoff.date()} + {horizon}{horizon_unit} ends on {end.date()}, after "
                f"the last day of the log ({last.date()}): the holdout would be cut short"
            )
        reference = cluster_reference
        if comparisons and cluster_reference is None:  # names and k of the first cut-off
            first = next(iter(comparisons.values()))
            reference = first.models["kmeans"]
            # "auto" is resolved at the first cut-off; later ones keep its k so that their
            # clusters can be matched to it
            settings = first.settings
        try:
            result = compare_methods(
                tx,
                split=split,
                truth=truth,
                settings=settings,
                customers=customers,
                cluster_reference=reference,
            )
        except ValueError as error:  # say which window failed
            if type(error) is not ValueError:  # clvlib's subclasses keep their type
                error.add_note(f"(rolling_origin, cutoff {cutoff.date()})")
                raise
            raise ValueError(f"cutoff {cutoff.date()}: {error}") from error
        key = cutoff.date().isoformat()
        if not keep_customers:
            result = replace(
                result,
                scores=result.scores.iloc[:0],
                summary=None,
                models={m: v for m, v in result.models.items() if m == "kmeans"},
            )
        comparisons[key] = result
        _engine.release_memory()  # the next cut-off starts from what is kept, not more
        stamp = {"cutoff": key, "holdout_end": end.date().isoformat()}
        frames.append(result.metrics.assign(**stamp))
        if result.truth_distance is not None:
            truth_frames.append(result.truth_distance.assign(**stamp))
    columns = ["cutoff", "holdout_end", "method", "metric", "value"]
    return RollingOrigin(
        plan=plan,
        metrics=pd.concat(frames, ignore_index=True)[columns],
        comparisons=comparisons,
        truth_distance=pd.concat(truth_frames, ignore_index=True)[columns]
        if truth_frames
        else None,
    )


def cutoff_dates(
    tx: pd.DataFrame,
    *,
    horizon: int,
    horizon_unit: str = "D",
    every: str = "quarter",
    min_calibration_days: int = 180,
    max_cutoffs: int | None = None,
) -> list[str]:
    """Sensible cut-offs for :func:`rolling_origin`: quarter (or month) ends within the data.

    A cut-off is kept when at least ``min_calibration_days`` of log precede it (enough
    history to fit retention, quantiles and BG/NBD) and its holdout of ``horizon`` ends by
    the log's last day.

    Parameters
    ----------
    tx : pandas.DataFrame or ibis.Table
        The clean transaction log.
    horizon : int
        Holdout length in ``horizon_unit``.
    horizon_unit : {"D", "W", "M"}, default "D"
        Days, weeks or calendar months.
    every : {"quarter", "month"}, default "quarter"
        Quarter ends (Mar 31, Jun 30, ...) or month ends.
    min_calibration_days : int, default 180
        Shortest calibration period, from the first day of the log.
    max_cutoffs : int, optional
        Keep only the latest ones.

    Returns
    -------
    list of str
        ISO dates, oldest first.
    """
    horizon = check_horizon(horizon)
    freq = {"quarter": "QE", "month": "ME"}.get(every)
    if freq is None:
        raise ValueError(f"every must be 'quarter' or 'month', got {every!r}")
    span = _tx.stats(tx)
    first, last = span["first"].normalize(), span["last"].normalize()
    candidates = pd.date_range(first + pd.Timedelta(days=min_calibration_days), last, freq=freq)
    kept = [c for c in candidates if holdout_end_after(c, horizon, horizon_unit) <= last]
    if max_cutoffs is not None:
        kept = kept[-max_cutoffs:]
    if not kept:
        raise ValueError(
            f"no {every} end between {first.date()} + {min_calibration_days} days and "
            f"{last.date()} leaves a {horizon}{horizon_unit} holdout: shorten the horizon or "
            "min_calibration_days"
        )
    return [c.date().isoformat() for c in kept]


#: the fewest cut-offs a data set's winner is named on (the report's and the rolling origins')
MIN_CUTOFFS = 3
#: the shorter holdout of the rolling origins when the report's leaves room for too few
SHORT_HOLDOUT_DAYS = 90


class RollingPlan(NamedTuple):
    """Where the rolling origins cut and how long their holdout is (:func:`rolling_plan`)."""

    cutoffs: list[str]
    """Calibration ends (ISO dates, oldest first), the report's own cut-off left out."""
    holdout_days: int
    """Holdout length of every rolling origin, in days."""
    every: str
    """"quarter" or "month": the period ends the cut-offs are taken from."""
    reason: str
    """Why this holdout and spacing, in words (the pages state it)."""


def rolling_plan(
    tx: Any,
    split: Split,
    *,
    min_cutoffs: int = MIN_CUTOFFS,
    short_holdout_days: int = SHORT_HOLDOUT_DAYS,
    min_calibration_days: int = 180,
) -> RollingPlan:
    """The rolling origins that give at least ``min_cutoffs`` cut-offs with the report's.

    Tried in order, the first that gives ``min_cutoffs`` cut-offs counting the report's own
    (``split.calibration_end``, which keeps its holdout and is never repeated): quarter ends
    with the report's holdout length, then quarter ends and month ends with a holdout of
    ``short_holdout_days`` (when shorter than the report's). Of the candidates, the latest
    ``min_cutoffs - 1`` are kept. When none gives enough, the plan with most cut-offs is
    returned and ``reason`` says so.

    Examples
    --------
    A year of daily purchases, the report's holdout 162 days: only 90 days at month ends
    leave room for two more cut-offs.

    >>> import pandas as pd
    >>> days = pd.date_range("2010-12-01", "2011-12-09", freq="D")
    >>> tx = pd.DataFrame({"customer_id": 1, "order_id": [str(i) for i in range(len(days))],
    ...                    "timestamp": days, "amount": 1.0, "is_return": False})
    >>> plan = rolling_plan(tx, Split("2011-06-30", "2011-12-09"))
    >>> plan.cutoffs, plan.holdout_days, plan.every
    (['2011-07-31', '2011-08-31'], 90, 'month')
    """
    report = split.calibration_end.date().isoformat()
    tries = [(split.holdout_days, "quarter")]
    if short_holdout_days < split.holdout_days:
        tries += [(short_holdout_days, "quarter"), (short_holdout_days, "month")]
    best = None
    for days, every in tries:
        try:
            found = cutoff_dates(
                tx, horizon=days, every=every, min_calibration_days=min_calibration_days
            )
        except ValueError:  # no period end leaves room for the holdout
            found = []
        others = [c for c in found if c != report][-(min_cutoffs - 1) :] if min_cutoffs > 1 else []
        plan = (others, days, every)
        if best is None or len(others) > len(best[0]):
            best = plan
        if len(others) + 1 >= min_cutoffs:
            break
    others, days, every = best
    same = days == split.holdout_days
    holdout = (
        f"the report's holdout ({days} days)"
        if same
        else f"a holdout of {days} days (the report's {split.holdout_days} days leave room "
        f"for fewer than {min_cutoffs} cut-offs)"
    )
    reason = f"{len(others)} other {every} ends, each with {holdout}"
    if len(others) + 1 < min_cutoffs:
        reason += f"; the data leave room for only {len(others) + 1} cut-offs in all"
    return RollingPlan(others, int(days), every, reason)
