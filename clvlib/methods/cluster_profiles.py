"""Profiles of k-means clusters: size, shares of customers and value, typical features."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from clvlib.data.checks import rows_at_fault, same_customers
from clvlib.methods.clustering import DEFAULT_FEATURES, _feature_frame

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

    Examples
    --------
    >>> summary = pd.DataFrame(
    ...     {"total_value": [120.0, 40.0, 300.0, -10.0, 60.0],
    ...      "n_orders": [4, 1, 9, 1, 2]},
    ...     index=pd.Index([1, 2, 3, 4, 5], name="customer_id"))
    >>> labels = pd.Series([0, 1, 0, 1, 1], index=summary.index)
    >>> names = ["loyal", "occasional"]
    >>> profiles = cluster_profiles(summary, labels, features=["n_orders"], names=names)
    >>> profiles[["name", "n_customers", "value_share", "mean_n_orders"]].round(2)
                   name  n_customers  value_share  mean_n_orders
    cluster
    0             loyal            2         0.82           6.50
    1        occasional            3         0.18           1.33
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
