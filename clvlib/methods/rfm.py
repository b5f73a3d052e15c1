"""RFM quantile scores: the scorer :class:`RFMScorer`.

:class:`RFMScorer` learns quantile edges of recency (``since_last_order``), frequency
(``n_orders``) and monetary value (``total_value`` by default) on one period and applies them
unchanged to any other, so that the segments of two periods are comparable. Scores run
1..n with **n best on every axis** (most recent, most orders, highest value).


Segment rules, their coverage and the segment tables live beside it:
:mod:`clvlib.methods.rules` and :mod:`clvlib.methods.segment_tables`.

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

from collections.abc import Mapping
from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from clvlib.methods.rfm_columns import (  # noqa: F401 - the scorer's names, as before
    AXES,
    FREQUENCY_COL,
    MONETARY_COLS,
    RECENCY_COL,
    SCORE_COLUMNS,
    _show,
)

TIES = ("spread", "keep")


# --------------------------------------------------------------------------------------------
# Scores
# --------------------------------------------------------------------------------------------


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

    _parameter_constraints: dict = {
        "n_bins": [Interval(Integral, 2, 9, closed="both")],  # one digit per axis in codes
        "monetary": [StrOptions(set(MONETARY_COLS))],
        "rf_only": ["boolean"],
        "ties": [StrOptions(set(TIES))],
    }

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

    def _columns(self) -> dict[str, str]:
        columns = {"r": RECENCY_COL, "f": FREQUENCY_COL}
        if not self.rf_only:
            columns["m"] = MONETARY_COLS[self.monetary]
        return columns

    @_fit_context(prefer_skip_nested_validation=True)
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
        columns = self._columns()
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
