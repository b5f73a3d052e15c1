"""Choosing the number of k-means clusters: :func:`choose_k` and the one reading of "auto".

:func:`choose_k` compares k-means fits for each k (inertia, silhouette, stability, a
featureless Gaussian reference) and recommends one with the reason;
:func:`resolve_n_clusters` is the one place where ``n_clusters="auto"`` is read.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import (
    adjusted_rand_score,
    calinski_harabasz_score,
    davies_bouldin_score,
    pairwise_distances,
    silhouette_score,
)
from threadpoolctl import threadpool_limits

from clvlib.methods.clustering import (
    DEFAULT_FEATURES,
    _feature_frame,
    _kmeans,
    _preprocessor,
    check_n_clusters,
)

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


def given_k(n_clusters: int | str) -> int | None:
    """The number of clusters a user fixed, or None for ``"auto"`` (chosen from the data).

    >>> given_k(4), given_k("auto")
    (4, None)
    """
    if isinstance(n_clusters, str):
        if n_clusters == "auto":
            return None
        raise ValueError(f"n_clusters must be an integer >= 2 or 'auto', got {n_clusters!r}")
    return n_clusters


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

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> summary = pd.DataFrame({
    ...     "since_last_order": rng.integers(0, 365, 60),
    ...     "n_orders": rng.integers(1, 20, 60),
    ...     "total_value": rng.lognormal(4, 1, 60)},
    ...     index=pd.RangeIndex(60, name="customer_id"))
    >>> resolve_n_clusters(4, summary)
    4
    >>> resolve_n_clusters("auto", summary) == choose_k(summary, k_range=range(2, 11)).recommended_k
    True
    """
    n = len(summary)
    if (k := given_k(n_clusters)) is not None:
        return check_n_clusters(k, n)
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
