"""k-means clusters of customers: the estimator, choosing k, profiles and names (domain.md §8).

Customers are clustered on ``log1p`` of their RFM columns (time since last order, number of
orders, net total value), standardised, with full-batch :class:`sklearn.cluster.KMeans`, a
fixed ``random_state`` and several initialisations. The fitted pipeline is learned on one
period and applied unchanged to another, like the RFM edges. Clusters are relabelled so that
label 0 is the most valuable (a fit matched to a reference takes the reference's labels
instead, see :meth:`CustomerClusterer.match`), and named from the ranks of their centres
("recent, frequent, high value") so that they can be laid beside RFM segments.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import rankdata
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import KMeans
from sklearn.metrics import (
    adjusted_rand_score,
    calinski_harabasz_score,
    davies_bouldin_score,
    pairwise_distances,
    silhouette_score,
)
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from clvlib.data.checks import listed, rows_at_fault, same_customers

DEFAULT_FEATURES: tuple[str, ...] = ("since_last_order", "n_orders", "total_value")

# How clusters are named: feature -> (direction, words for the best / middle / worst third of
# the centres' ranks). Direction +1: a high value is "best" (listed first); -1: a low value is
# (since_last_order: low is recent). Features not listed get "high/mid/low <feature>".
CLUSTER_VOCABULARY: dict[str, tuple[int, tuple[str, str, str]]] = {
    "since_last_order": (-1, ("recent", "lapsing", "lapsed")),
    "n_orders": (1, ("frequent", "occasional", "one-off")),
    "total_value": (1, ("high value", "mid value", "low value")),
    "avg_order_value": (1, ("high AOV", "mid AOV", "low AOV")),
    "gross_profit": (1, ("high profit", "mid profit", "low profit")),
    "T": (1, ("long-standing", "established", "new")),
    "returned_value": (1, ("many returns", "some returns", "few returns")),
}
# "one-off" claims about one order: a bottom-third n_orders centre of this many orders or more
# is called "infrequent" instead.
ONE_OFF_MAX_ORDERS = 1.5


# --------------------------------------------------------------------------------------------
# input checks and the shared preprocessing
# --------------------------------------------------------------------------------------------


def _feature_frame(summary: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Return the numeric, finite feature columns of ``summary`` as float64 (a new frame)."""
    if not isinstance(summary, pd.DataFrame):
        raise TypeError(f"expected a customer summary DataFrame, got {type(summary).__name__}")
    columns = list(columns)
    if len(set(columns)) != len(columns):
        raise ValueError(f"feature columns are repeated: {columns}")
    missing = [c for c in columns if c not in summary.columns]
    if missing:
        raise KeyError(
            f"customer summary has no column(s) {missing}; available: {list(summary.columns)}"
        )
    for col in columns:
        if not pd.api.types.is_numeric_dtype(summary[col]) or pd.api.types.is_bool_dtype(
            summary[col]
        ):
            raise TypeError(f"feature column {col!r} must be numeric, got {summary[col].dtype}")
    frame = summary[columns].astype("float64")
    for col in columns:
        bad = ~np.isfinite(frame[col].to_numpy())
        if bad.any():
            raise ValueError(
                f"feature column {col!r} has {int(bad.sum())} missing or infinite value(s) "
                f"at customer_id {listed(frame.index[bad])}"
            )
    return frame


def _clip_log1p(x: np.ndarray) -> np.ndarray:
    """``log1p(max(x, 0))``: negative values (net returners' total value) count as 0."""
    return np.log1p(np.clip(x, 0.0, None))


def _preprocessor() -> Pipeline:
    """Clip at 0, log1p, standardise: the one definition of the clustering feature space."""
    return Pipeline(
        [
            (
                "log1p",
                FunctionTransformer(
                    _clip_log1p,
                    inverse_func=np.expm1,
                    check_inverse=False,  # not a bijection below 0, by design
                    feature_names_out="one-to-one",
                ),
            ),
            ("scale", StandardScaler()),
        ]
    )


def check_n_clusters(n_clusters: Any, n_customers: int, *, name: str = "n_clusters") -> int:
    """``n_clusters`` as an int, or a ValueError naming it and the number of customers.

    scikit-learn's own message ("n_samples=4 should be >= n_clusters=5") names neither the
    argument nor what to do; every public function that clusters asks here first.
    """
    if isinstance(n_clusters, bool) or not isinstance(n_clusters, int | np.integer):
        raise ValueError(
            f"{name} must be an integer >= 2 (or 'auto' where accepted), got "
            f"{type(n_clusters).__name__} {n_clusters!r}"
        )
    if n_clusters < 2:
        raise ValueError(f"{name} must be at least 2, got {n_clusters}")
    if n_clusters > n_customers:
        raise ValueError(
            f"{name}={n_clusters} is more than the {n_customers} customers to cluster: "
            f"k-means needs at least one customer per cluster; use {name} <= "
            f"{max(n_customers, 2)}, or more data"
            + (
                " (with fewer than 2 customers there is nothing to cluster)"
                if n_customers < 2
                else ""
            )
        )
    return int(n_clusters)


def _kmeans(n_clusters: int, *, n_init: int, random_state: int) -> KMeans:
    """Full-batch (Lloyd) k-means, never mini-batch: the one k-means used here."""
    return KMeans(
        n_clusters=n_clusters, n_init=n_init, random_state=random_state, algorithm="lloyd"
    )


# --------------------------------------------------------------------------------------------
# names
# --------------------------------------------------------------------------------------------


def name_clusters(centers: pd.DataFrame) -> list[str]:
    """Name clusters from the ranks of their centres, one name per row, all names unique.

    For each feature the centres are ranked from best to worst (low is best for
    ``since_last_order``, high for the others, see ``CLUSTER_VOCABULARY``); the best third
    of the ranks gets the first word ("recent", "frequent", "high value"), the worst third
    the last ("lapsed", "one-off", "low value"), the rest the middle word. With two clusters
    that is best and worst, with three one of each. Names are therefore relative to the other
    clusters of the same fit. "one-off" is only used when the centre is below
    ``ONE_OFF_MAX_ORDERS`` orders ("infrequent" otherwise). When two clusters get the same
    name, the later ones (by label) get " (2)", " (3)", ... appended.

    Parameters
    ----------
    centers : pandas.DataFrame
        One row per cluster in label order, one column per feature, in original units (e.g.
        ``CustomerClusterer.cluster_centers_original_``). Any monotone transform of the
        columns gives the same names, except for the "one-off" test which needs orders.

    Returns
    -------
    list of str

    Examples
    --------
    >>> centers = pd.DataFrame(
    ...     {"since_last_order": [10, 300, 60], "n_orders": [12, 1, 3],
    ...      "total_value": [2000, 20, 300]})
    >>> name_clusters(centers)
    ['recent, frequent, high value', 'lapsed, one-off, low value', 'lapsing, occasional, mid value']
    """
    k = len(centers)
    words: list[list[str]] = [[] for _ in range(k)]
    for col in centers.columns:
        direction, vocab = CLUSTER_VOCABULARY.get(
            col, (1, (f"high {col}", f"mid {col}", f"low {col}"))
        )
        values = centers[col].to_numpy(dtype="float64")
        # 0-based rank from best to worst; tied centres share an (average) rank and a word
        rank = rankdata(-direction * values, method="average") - 1.0
        for i in range(k):
            if 3 * rank[i] < (k - 1):
                word = vocab[0]
            elif 3 * rank[i] > 2 * (k - 1):
                word = vocab[2]
                if col == "n_orders" and values[i] >= ONE_OFF_MAX_ORDERS:
                    word = "infrequent"
            else:
                word = vocab[1]
            words[i].append(word)
    names = [", ".join(w) for w in words]
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return unique


# --------------------------------------------------------------------------------------------
# the estimator
# --------------------------------------------------------------------------------------------


class CustomerClusterer(ClusterMixin, BaseEstimator):
    """k-means clusters of customers on log1p, standardised RFM columns of the summary.

    A scikit-learn :class:`~sklearn.pipeline.Pipeline`: ``log1p(max(x, 0))`` (a
    ``FunctionTransformer``; negative values, i.e. the net total value of customers who
    returned more than they kept, are clipped to 0 so they sit with the zero-value
    customers), ``StandardScaler``, full-batch ``KMeans`` with ``n_init`` initialisations
    and a fixed ``random_state``. Mini-batch k-means is not used: it is faster (about 30x at
    1M customers, ``benchmarks/methods.py``) but finds other clusters with a higher inertia
    (+4.4 %, adjusted Rand index 0.56 with the full-batch clusters).

    ``fit`` learns the scaling and the centres on one period; ``predict`` applies them
    unchanged to another period. Labels are ordered by the clusters' mean ``value`` (net
    total value by default) in the fitted data, descending: label 0 is the most valuable
    cluster. Names come from :func:`name_clusters`.

    Parameters
    ----------
    n_clusters : int, default 5
        Number of clusters k (see :func:`choose_k`).
    features : tuple of str
        Summary columns clustered on (marketing R, F, M by default).
    extra_features : tuple of str, default ()
        Further summary columns, e.g. ``("T", "avg_order_value")``; they also enter the names.
    n_init : int, default 10
        Number of k-means++ initialisations; the best (lowest inertia) is kept. A single one
        varies by about 5 % in inertia across seeds.
    random_state : int, default 0
        Seed of the initialisations; the same seed gives the same labels and names.
    value : str, default "total_value"
        Summary column whose cluster mean orders the labels (most valuable first).

    Attributes
    ----------
    pipeline_ : sklearn.pipeline.Pipeline
        The fitted log1p / scale / KMeans pipeline (KMeans' own label order).
    relabel_ : numpy.ndarray
        ``relabel_[kmeans_label]`` is the ordered label (0 = most valuable).
    feature_names_ : list of str
        ``features + extra_features``.
    labels_ : pandas.Series
        Ordered cluster label of each fitted customer, indexed by ``customer_id``.
    cluster_centers_ : pandas.DataFrame
        Centres in the standardised log1p space (what k-means measures distances in; the
        mean of each standardised feature per cluster — the "snake plot"), index ``cluster``.
    cluster_centers_original_ : pandas.DataFrame
        The same centres mapped back to original units (``expm1`` of the unscaled centre: a
        geometric-mean-like typical customer, not the arithmetic mean; see
        :func:`cluster_profiles` for means and medians).
    cluster_names_ : list of str
        Name of each cluster, by label.
    inertia_ : float
        Sum of squared distances to the closest centre, standardised units.
    n_iter_ : int
        Iterations of the best k-means run.
    clipped_ : pandas.Series
        Per feature, how many fitted customers had a negative value clipped to 0.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> summary = pd.DataFrame({
    ...     "since_last_order": rng.integers(0, 365, 200),
    ...     "n_orders": rng.integers(1, 20, 200),
    ...     "total_value": rng.lognormal(4, 1, 200)},
    ...     index=pd.RangeIndex(200, name="customer_id"))
    >>> clusterer = CustomerClusterer(n_clusters=3, random_state=0).fit(summary)
    >>> clusterer.labels_.value_counts().sort_index().index.tolist()
    [0, 1, 2]
    >>> len(set(clusterer.cluster_names_))
    3
    """

    def __init__(
        self,
        n_clusters: int = 5,
        *,
        features: tuple[str, ...] = DEFAULT_FEATURES,
        extra_features: tuple[str, ...] = (),
        n_init: int = 10,
        random_state: int = 0,
        value: str = "total_value",
    ) -> None:
        self.n_clusters = n_clusters
        self.features = features
        self.extra_features = extra_features
        self.n_init = n_init
        self.random_state = random_state
        self.value = value

    def _make_pipeline(self) -> Pipeline:
        kmeans = _kmeans(self.n_clusters, n_init=self.n_init, random_state=self.random_state)
        return Pipeline([*_preprocessor().steps, ("kmeans", kmeans)])

    def fit(self, summary: pd.DataFrame, y: None = None) -> CustomerClusterer:
        """Learn the scaling and the centres on ``summary`` (one row per customer).

        Parameters
        ----------
        summary : pandas.DataFrame
            Customer summary indexed by ``customer_id``, with the feature columns and
            ``value``; not modified.
        y : None
            Ignored (scikit-learn API).

        Returns
        -------
        CustomerClusterer
            ``self``, fitted.
        """
        names = [*self.features, *self.extra_features]
        if not names:
            raise ValueError("no feature columns given (features and extra_features are empty)")
        X = _feature_frame(summary, names)
        check_n_clusters(self.n_clusters, len(X))
        value = _feature_frame(summary, [self.value])[self.value].to_numpy()
        pipeline = self._make_pipeline().fit(X)
        raw = pipeline[-1].labels_

        k = pipeline[-1].n_clusters
        sums = np.bincount(raw, weights=value, minlength=k)
        counts = np.bincount(raw, minlength=k)
        mean_value = np.divide(sums, counts, out=np.full(k, -np.inf), where=counts > 0)
        order = np.argsort(-mean_value, kind="stable")  # new label -> KMeans label
        relabel = np.empty(k, dtype=np.int64)
        relabel[order] = np.arange(k)  # KMeans label -> new label

        index = pd.Index(range(k), name="cluster")
        centers = pipeline[-1].cluster_centers_[order]
        self.pipeline_ = pipeline
        self.feature_names_ = names
        self.relabel_ = relabel
        self.cluster_centers_ = pd.DataFrame(centers, index=index, columns=names)
        self.cluster_centers_original_ = pd.DataFrame(
            pipeline[:-1].inverse_transform(centers), index=index, columns=names
        )
        self.cluster_names_ = name_clusters(self.cluster_centers_original_)
        self.labels_ = pd.Series(relabel[raw], index=summary.index, name="cluster")
        self.inertia_ = float(pipeline[-1].inertia_)
        self.n_iter_ = int(pipeline[-1].n_iter_)
        self.clipped_ = pd.Series((X < 0).sum().to_numpy(), index=names, name="n_clipped")
        return self

    def match(self, reference: CustomerClusterer) -> CustomerClusterer:
        """Relabel and rename the clusters after the nearest centres of ``reference``.

        Two fits (other seeds, other cut-offs) find similar clusters in another order and,
        near a rank boundary, with other names. Matching the centres one to one (Hungarian
        assignment on the distance between centres in log1p units, which do not depend on
        either fit's scaling) gives each cluster the label and name of its counterpart in
        ``reference``, so that names stay put. Label 0 is then the counterpart of the
        reference's most valuable cluster, not necessarily this fit's.

        Parameters
        ----------
        reference : CustomerClusterer
            A fitted clusterer with the same number of clusters and features.

        Returns
        -------
        CustomerClusterer
            ``self``, relabelled; ``matched_distance_`` holds the distance of each cluster's
            centre to its counterpart (log1p units).
        """
        from scipy.optimize import linear_sum_assignment

        check_is_fitted(self, "pipeline_")
        check_is_fitted(reference, "pipeline_")
        if reference.feature_names_ != self.feature_names_ or len(reference.cluster_names_) != len(
            self.cluster_names_
        ):
            raise ValueError(
                f"cannot match {len(self.cluster_names_)} clusters on {self.feature_names_} to "
                f"{len(reference.cluster_names_)} clusters on {reference.feature_names_}"
            )
        mine = np.log1p(np.clip(self.cluster_centers_original_.to_numpy(), 0, None))
        theirs = np.log1p(np.clip(reference.cluster_centers_original_.to_numpy(), 0, None))
        cost = np.linalg.norm(mine[:, None, :] - theirs[None, :, :], axis=2)
        rows, cols = linear_sum_assignment(cost)
        new_label = np.empty(len(rows), dtype=np.int64)
        new_label[rows] = cols  # my label -> reference label
        order = np.argsort(new_label)  # reference label -> my label
        self.relabel_ = new_label[self.relabel_]
        self.labels_ = pd.Series(
            new_label[self.labels_.to_numpy()], index=self.labels_.index, name="cluster"
        )
        index = self.cluster_centers_.index
        self.cluster_centers_ = self.cluster_centers_.iloc[order].set_axis(index)
        self.cluster_centers_original_ = self.cluster_centers_original_.iloc[order].set_axis(index)
        self.cluster_names_ = list(reference.cluster_names_)
        self.matched_distance_ = pd.Series(
            cost[rows, cols][np.argsort(cols)], index=index, name="matched_distance"
        )
        return self

    def predict(self, summary: pd.DataFrame) -> pd.Series:
        """Nearest fitted centre of each customer of ``summary`` (any period), unchanged fit.

        Returns
        -------
        pandas.Series
            Ordered cluster label (int), indexed like ``summary``, named ``cluster``.
        """
        check_is_fitted(self, "pipeline_")
        X = _feature_frame(summary, self.feature_names_)
        raw = self.pipeline_.predict(X)
        return pd.Series(self.relabel_[raw], index=summary.index, name="cluster")

    def assign(self, summary: pd.DataFrame) -> pd.DataFrame:
        """Cluster label and name of each customer of ``summary``, like ``predict``.

        Returns
        -------
        pandas.DataFrame
            Columns ``cluster`` (int) and ``cluster_name`` (str), indexed like ``summary``.
        """
        labels = self.predict(summary)
        return _label_frame(labels, self.cluster_names_)


def _label_frame(labels: pd.Series, names: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {"cluster": labels, "cluster_name": np.asarray(names, dtype=object)[labels.to_numpy()]},
        index=labels.index,
    )


def cluster_customers(
    summary: pd.DataFrame,
    *,
    n_clusters: int = 5,
    random_state: int = 0,
    features: tuple[str, ...] = DEFAULT_FEATURES,
    extra_features: tuple[str, ...] = (),
    n_init: int = 10,
    value: str = "total_value",
) -> pd.DataFrame:
    """Cluster the customers of ``summary`` with :class:`CustomerClusterer` (a thin wrapper).

    Use the estimator instead when the clusters must be applied to another period.

    Returns
    -------
    pandas.DataFrame
        Columns ``cluster`` (0 = most valuable) and ``cluster_name``, indexed by
        ``customer_id``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> summary = pd.DataFrame({
    ...     "since_last_order": rng.integers(0, 365, 100),
    ...     "n_orders": rng.integers(1, 20, 100),
    ...     "total_value": rng.lognormal(4, 1, 100)},
    ...     index=pd.RangeIndex(100, name="customer_id"))
    >>> cluster_customers(summary, n_clusters=2, random_state=0).columns.tolist()
    ['cluster', 'cluster_name']
    """
    clusterer = CustomerClusterer(
        n_clusters,
        features=features,
        extra_features=extra_features,
        n_init=n_init,
        random_state=random_state,
        value=value,
    ).fit(summary)
    return _label_frame(clusterer.labels_, clusterer.cluster_names_)


# --------------------------------------------------------------------------------------------
# choosing k
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KChoice:
    """Result of :func:`choose_k`: the per-k table, the recommended k and why.

    Attributes
    ----------
    table : pandas.DataFrame
        Index ``k``; columns ``inertia`` (standardised units, full data),
        ``silhouette`` (on one sample shared by every k; higher is better),
        ``null_silhouette`` (the same k-means on a Gaussian with the data's covariance),
        ``calinski_harabasz`` (full data; higher is better), ``davies_bouldin`` (full data;
        lower is better), ``stability`` and ``stability_min`` (mean and minimum adjusted Rand
        index between the full-data clustering and refits on bootstrap resamples, compared
        on the silhouette sample; 1 is perfectly stable) and ``stable`` (bool).
    recommended_k : int
    elbow_k : int or None
        Elbow of the inertia curve (None with fewer than three k).
    reason : str
        The rule applied to these numbers, in words.
    structure : str
        Whether the clusters are discovered types or a convenient partition: the silhouette
        at the recommended k against ``null_silhouette``, that of k-means on a featureless
        Gaussian with the data's mean and covariance (same size, same k), in words.
    discovered : bool
        The silhouette beats the Gaussian reference's by at least 0.1.
    n_customers : int or None
        Customers the choice was made on: the fixed random sample of ``max_customers``
        when the summary had more, else None (all of them).
    """

    table: pd.DataFrame
    recommended_k: int
    elbow_k: int | None
    reason: str
    structure: str = ""
    discovered: bool = False
    n_customers: int | None = None


def _elbow(ks: np.ndarray, inertia: np.ndarray) -> int | None:
    """Return the k farthest below the chord of the normalised inertia curve ("kneedle")."""
    if len(ks) < 3 or inertia[0] == inertia[-1]:
        return None
    x = (ks - ks[0]) / (ks[-1] - ks[0])
    y = (inertia - inertia[-1]) / (inertia[0] - inertia[-1])
    return int(ks[np.argmax((1.0 - x) - y)])


def choose_k(
    summary: pd.DataFrame,
    *,
    k_range: Iterable[int] = range(2, 11),
    features: tuple[str, ...] = DEFAULT_FEATURES,
    extra_features: tuple[str, ...] = (),
    n_init: int = 10,
    sample_size: int = 10_000,
    n_stability: int = 5,
    n_init_resample: int = 3,
    stability_threshold: float = 0.8,
    silhouette_tol: float = 0.01,
    random_state: int = 0,
    max_customers: int | None = None,
) -> KChoice:
    """Compare k-means fits for each k and recommend one, with the reason.

    Every k is fitted on all customers exactly as ``CustomerClusterer(k, n_init=n_init,
    random_state=random_state)`` does (same preprocessing, same inertia). Then:

    - **inertia**, **Calinski–Harabasz** and **Davies–Bouldin** on all customers;
    - **silhouette** on one random sample of ``sample_size`` customers, the same for every
      k (the full silhouette is O(n²); its pairwise distances are computed once, which takes
      ``sample_size²`` x 8 bytes — 800 MB at 10,000);
    - **stability**: ``n_stability`` refits, each on a bootstrap resample of
      ``min(n, sample_size)`` customers with its own seed, predict the silhouette sample;
      their adjusted Rand index with the full-data labels is averaged (resampling and seeds
      together);
    - **null silhouette**: the same k-means on a featureless Gaussian with the data's
      covariance (the reference for "discovered types").

    The refits and the Gaussian reference use ``n_init_resample`` initialisations (they ask
    whether the partition comes back, not for the best inertia); the full fits use
    ``n_init`` like the estimator. Refits were 80 % of the time with 10 initialisations;
    3 leave the recommendation on the shop and on UCI unchanged (benchmarks/README.md).

    The sample-sized steps (silhouette, refits) run on one thread, the full fits on the
    default number; on 1M customers and k = 2..10 the full fits take most of the time.

    **Rule**: a k is *stable* when its mean stability is at least ``stability_threshold``.
    Among stable k, take the highest silhouette; k within ``silhouette_tol`` of it are
    tied, and the tie goes to the k nearest the elbow of the inertia curve (largest distance
    below the chord of the normalised curve), then to the smaller k. When no k is stable the
    same rule runs over all k, and the reason says so.

    Parameters
    ----------
    summary : pandas.DataFrame
        Customer summary indexed by ``customer_id``; not modified.
    k_range : iterable of int
        Candidate numbers of clusters, each at least 2.
    sample_size : int
        Customers in the silhouette sample and in each bootstrap resample.
    n_stability : int
        Bootstrap refits per k (0 skips stability; every k then counts as stable).
    n_init_resample : int
        Initialisations of each bootstrap refit and of the Gaussian reference's fits.
    random_state : int
        Seeds the full fits (as in ``CustomerClusterer``), the sample and the resamples.
    max_customers : int, optional
        With more customers than this, choose on a fixed random sample of ``max_customers``
        of them (drawn without replacement, ``numpy.random.default_rng([random_state, 2])``),
        "all customers" above meaning that sample: k-means at k = 2..10 on a million
        customers takes minutes, and 200,000 customers estimate the same centres, silhouette
        and stability. The clusters themselves are still fitted on everyone. None (default)
        uses all.

    Returns
    -------
    KChoice

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> centres = np.array([[1, 3, 8], [5, 0.5, 3], [3, 1.5, 5]])  # log1p units
    >>> z = np.repeat(centres, 50, axis=0) + rng.normal(0, 0.1, (150, 3))
    >>> summary = pd.DataFrame(np.expm1(z), columns=list(DEFAULT_FEATURES))
    >>> choose_k(summary, k_range=range(2, 6), n_stability=3).recommended_k
    3
    """
    ks = np.array(sorted(set(int(k) for k in k_range)), dtype=np.int64)
    if len(ks) == 0 or ks[0] < 2:
        raise ValueError(f"k_range must hold integers >= 2, got {list(ks)}")
    frame = _feature_frame(summary, [*features, *extra_features])
    subsample = _k_sample(len(frame), max_customers, random_state)
    if subsample is not None:
        frame = frame.iloc[subsample]
    X = _preprocessor().fit_transform(frame)
    n = X.shape[0]
    if ks[-1] >= n:
        raise ValueError(
            f"k_range goes up to n_clusters={ks[-1]} but the summary has only {n} customers: "
            f"the silhouette needs n_clusters < customers; use k_range up to {n - 1}"
            if n > 2
            else f"k_range goes up to n_clusters={ks[-1]} but the summary has only {n} "
            "customer(s): too few to choose a number of clusters"
        )
    if int(n_init_resample) < 1:
        raise ValueError(f"n_init_resample must be >= 1, got {n_init_resample}")
    rng = np.random.default_rng(random_state)
    m = min(n, sample_size)
    sample = np.sort(rng.choice(n, size=m, replace=False)) if m < n else np.arange(n)
    boot_seeds = rng.integers(0, 2**31 - 1, size=(len(ks), n_stability))

    rows, sample_labels = [], []
    for k in ks:  # all customers, the library's default threads
        kmeans = _kmeans(int(k), n_init=n_init, random_state=random_state).fit(X)
        rows.append(
            {
                "k": int(k),
                "inertia": float(kmeans.inertia_),
                "calinski_harabasz": float(calinski_harabasz_score(X, kmeans.labels_)),
                "davies_bouldin": float(davies_bouldin_score(X, kmeans.labels_)),
            }
        )
        sample_labels.append(kmeans.labels_[sample])

    # Sample-sized work runs on one thread: at ~10,000 customers threads cost more in
    # synchronisation than they save, many times more when other processes share the cores.
    with threadpool_limits(limits=1):
        distances = pairwise_distances(X[sample])
        for j, k in enumerate(ks):
            labels = sample_labels[j]
            rows[j]["silhouette"] = float(silhouette_score(distances, labels, metric="precomputed"))
            aris = []
            for seed in boot_seeds[j]:
                boot = np.random.default_rng(seed).integers(0, n, size=m)
                refit = _kmeans(int(k), n_init=n_init_resample, random_state=int(seed))
                refit.fit(X[boot])
                aris.append(adjusted_rand_score(labels, refit.predict(X[sample])))
            rows[j]["stability"] = float(np.mean(aris)) if aris else np.nan
            rows[j]["stability_min"] = float(np.min(aris)) if aris else np.nan
        del distances
    # the featureless reference: a Gaussian with the data's mean and covariance, same k-means
    null_rng = np.random.default_rng(random_state + 1)
    null = null_rng.multivariate_normal(X.mean(axis=0), np.cov(X, rowvar=False), size=m)
    with threadpool_limits(limits=1):
        for j, k in enumerate(ks):
            fitted = _kmeans(int(k), n_init=n_init_resample, random_state=random_state)
            fitted.fit(null)
            rows[j]["null_silhouette"] = float(
                silhouette_score(
                    null, fitted.labels_, sample_size=min(m, _NULL_SAMPLE), random_state=0
                )
            )
    columns = ["inertia", "silhouette", "null_silhouette", "calinski_harabasz", "davies_bouldin"]
    table = pd.DataFrame(rows).set_index("k")[[*columns, "stability", "stability_min"]]
    table["stable"] = (table["stability"] >= stability_threshold) | (n_stability == 0)

    elbow = _elbow(ks.astype("float64"), table["inertia"].to_numpy())
    pool = table[table["stable"]]
    if pool.empty:
        pool = table
        basis = f"No k reached stability {stability_threshold:.2f}, so all k are candidates"
    elif n_stability == 0:
        basis = "Stability not measured (n_stability=0), so all k are candidates"
    else:
        basis = f"Stable k (mean bootstrap ARI >= {stability_threshold:.2f}): {pool.index.tolist()}"
    best_k = int(pool["silhouette"].idxmax())
    best = pool.loc[best_k, "silhouette"]
    tied = pool.index[pool["silhouette"] >= best - silhouette_tol].to_numpy()
    if len(tied) == 1:
        recommended = best_k
        why = f"highest silhouette ({best:.3f}) among the candidates"
    else:
        if elbow is not None:
            recommended = int(tied[np.lexsort((tied, np.abs(tied - elbow)))[0]])
            pick = "the one nearest the elbow wins"
        else:
            recommended = int(tied.min())
            pick = "the smallest wins"
        why = (
            f"silhouette {table.loc[recommended, 'silhouette']:.3f}, within {silhouette_tol} "
            f"of the best candidate ({best:.3f} at k={best_k}); of the tied k {tied.tolist()} "
            f"{pick}"
        )
    reason = f"k={recommended}: {why}. {basis}. Elbow of inertia at k={elbow}."
    if subsample is not None:
        reason += (
            f" Chosen on a fixed random sample of {n:,} of the {len(summary):,} customers "
            f"(max_customers={max_customers:,})."
        )
    gap = float(table.loc[recommended, "silhouette"] - table.loc[recommended, "null_silhouette"])
    if gap < _DISCOVERED_GAP:
        structure = (
            f"At k={recommended} the silhouette ({table.loc[recommended, 'silhouette']:.3f}) is "
            f"only {gap:+.3f} above that of a featureless Gaussian with the data's covariance "
            f"({table.loc[recommended, 'null_silhouette']:.3f}): the clusters are a convenient "
            "partition of a continuum, not discovered customer types."
        )
    else:
        structure = (
            f"At k={recommended} the silhouette ({table.loc[recommended, 'silhouette']:.3f}) is "
            f"{gap:.3f} above that of a featureless Gaussian with the data's covariance "
            f"({table.loc[recommended, 'null_silhouette']:.3f}): the data have cluster "
            "structure beyond their correlation."
        )
    return KChoice(
        table=table,
        recommended_k=recommended,
        elbow_k=elbow,
        reason=reason,
        structure=structure,
        discovered=bool(gap >= _DISCOVERED_GAP),
        n_customers=None if subsample is None else n,
    )


def _k_sample(n: int, max_customers: int | None, random_state: int) -> np.ndarray | None:
    """Sorted positions of :func:`choose_k`'s fixed sample (None: every customer)."""
    if max_customers is None or n <= max_customers:
        return None
    if max_customers < 3:
        raise ValueError(f"max_customers must be >= 3 to choose k, got {max_customers}")
    rng = np.random.default_rng([int(random_state), 2])
    return np.sort(rng.choice(n, size=int(max_customers), replace=False))


_AUTO_K: dict[tuple[str, int], int] = {}

#: Customers above which the report's choice of k runs on a fixed random sample of this many
#: (no shipped data set reaches it; ``resolve_n_clusters(max_customers=...)``).
K_CHOICE_MAX_CUSTOMERS = 200_000


def resolve_n_clusters(
    n_clusters: int | str,
    summary: pd.DataFrame,
    *,
    random_state: int = 0,
    cache_dir: str | os.PathLike | None = None,
    max_customers: int | None = None,
) -> int:
    """The number of clusters to fit: ``n_clusters``, or for ``"auto"`` choose_k's pick.

    The one reading of ``n_clusters="auto"``: the recommendation of :func:`choose_k` (its
    default settings, ``random_state``) on ``summary`` — in a comparison the calibration
    summary, so that k, like every fitted quantity, is learned before the cut-off.

    The choice is remembered by the SHA-256 of the feature values and the seed: in memory
    for this process and, with ``cache_dir``, in ``k_choice_<sha>.json`` there, so that
    reports rendered in separate processes choose once and agree.

    Parameters
    ----------
    n_clusters : int or "auto"
    summary : pandas.DataFrame
        Customer summary with the default feature columns.
    random_state : int, default 0
    cache_dir : path, optional
        Folder of the shared choice (created when missing).
    max_customers : int, optional
        Passed to :func:`choose_k`: above this many customers k is chosen on a fixed random
        sample of that size.

    Returns
    -------
    int
        Checked against the number of customers (:func:`check_n_clusters`).
    """
    n = len(summary)
    if not (isinstance(n_clusters, str) and n_clusters == "auto"):
        if isinstance(n_clusters, str):
            raise ValueError(f"n_clusters must be an integer >= 2 or 'auto', got {n_clusters!r}")
        return check_n_clusters(n_clusters, n)
    if n < 3:
        raise ValueError(
            f"n_clusters='auto' needs at least 3 customers to choose k, the summary has {n}"
        )
    X = np.ascontiguousarray(_feature_frame(summary, DEFAULT_FEATURES).to_numpy())
    sampled = max_customers is not None and n > max_customers
    # a sampled choice is another choice: its cap is part of the key (absent when unused)
    digest = hashlib.sha256(X.tobytes())
    if sampled:
        digest.update(f"max_customers={int(max_customers)}".encode())
    key = (digest.hexdigest(), int(random_state))
    path = None if cache_dir is None else Path(cache_dir) / f"k_choice_{key[0][:16]}.json"
    if key not in _AUTO_K and path is not None and path.is_file():
        stored = json.loads(path.read_text())
        if stored.get("sha256") == key[0] and stored.get("random_state") == key[1]:
            _AUTO_K[key] = int(stored["recommended_k"])
    if key not in _AUTO_K:
        k_range = range(2, min(11, n))  # choose_k's default range, capped below n
        choice = choose_k(
            summary, k_range=k_range, random_state=random_state, max_customers=max_customers
        )
        _AUTO_K[key] = choice.recommended_k
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            record = {
                "sha256": key[0],
                "random_state": key[1],
                "n_customers": n,
                **({"sample_customers": choice.n_customers} if sampled else {}),
                "recommended_k": choice.recommended_k,
                "reason": choice.reason,
            }
            part = path.with_name(f"{path.name}.{os.getpid()}.part")
            part.write_text(json.dumps(record, indent=1))
            os.replace(part, path)  # parallel reports never read half a file
    return _AUTO_K[key]


#: Customers in the silhouette of the Gaussian reference.
_NULL_SAMPLE = 4000
#: Silhouette above the Gaussian reference's from which clusters count as discovered types.
_DISCOVERED_GAP = 0.1


# --------------------------------------------------------------------------------------------
# profiles
# --------------------------------------------------------------------------------------------


def cluster_profiles(
    summary: pd.DataFrame,
    labels: pd.Series | pd.DataFrame,
    *,
    value: str = "total_value",
    features: Sequence[str] = DEFAULT_FEATURES,
    names: Sequence[str] | Mapping[int, str] | None = None,
) -> pd.DataFrame:
    """One row per cluster: size, shares of customers and of value, mean and median features.

    Parameters
    ----------
    summary : pandas.DataFrame
        Customer summary indexed by ``customer_id``; not modified.
    labels : pandas.Series or pandas.DataFrame
        Cluster of every customer of ``summary`` (same ``customer_id`` set, any order):
        a Series (e.g. ``CustomerClusterer.predict``) or a frame with a ``cluster`` column
        and optionally ``cluster_name`` (the output of :func:`cluster_customers` or
        ``CustomerClusterer.assign``).
    value : str, default "total_value"
        Column whose total is shared out (``value_share``; net value, so a cluster of net
        returners has a negative share and the shares still sum to 1).
    features : sequence of str
        Columns whose per-cluster mean and median are reported.
    names : sequence or mapping of str, optional
        Cluster names by label (e.g. ``cluster_names_``); taken from ``labels`` when it has
        a ``cluster_name`` column.

    Returns
    -------
    pandas.DataFrame
        Index ``cluster``; columns ``name`` (when known), ``n_customers``,
        ``customer_share``, ``value_share``, ``mean_<feature>``, ``median_<feature>``.
    """
    if isinstance(labels, pd.DataFrame):
        if "cluster" not in labels.columns:
            raise KeyError(f"labels frame has no 'cluster' column: {list(labels.columns)}")
        if names is None and "cluster_name" in labels.columns:
            pairs = labels[["cluster", "cluster_name"]].drop_duplicates()
            if pairs["cluster"].duplicated().any():
                raise ValueError("labels frame gives several cluster_name values to one cluster")
            names = dict(zip(pairs["cluster"], pairs["cluster_name"], strict=True))
        labels = labels["cluster"]
    labels = same_customers(
        ("summary", "labels"),
        summary,
        labels,
        only=("no label for customer_id {ids} ({n})", "labels for unknown customer_id {ids} ({n})"),
    )
    if labels.isna().any():
        raise ValueError(f"labels missing in {rows_at_fault(labels.isna())}")
    columns = list(dict.fromkeys([*features, value]))
    data = _feature_frame(summary, columns)
    cluster = labels.rename("cluster")  # on the summary's customers, as data is
    grouped = data.groupby(cluster, sort=True)
    total_value = data[value].sum()
    if total_value == 0:
        raise ValueError(f"column {value!r} sums to 0: value shares are undefined")
    sizes = grouped.size()
    out = pd.DataFrame(
        {
            "n_customers": sizes,
            "customer_share": sizes / len(data),
            "value_share": grouped[value].sum() / total_value,
        }
    )
    means = grouped[list(features)].mean().add_prefix("mean_")
    medians = grouped[list(features)].median().add_prefix("median_")
    out = out.join(means).join(medians)
    out.index.name = "cluster"
    if names is not None:
        lookup = dict(names) if isinstance(names, Mapping) else dict(enumerate(names))
        unnamed = [c for c in out.index if c not in lookup]
        if unnamed:
            raise KeyError(f"no name given for cluster(s) {unnamed}")
        out.insert(0, "name", [lookup[c] for c in out.index])
    return out
