"""Names of k-means clusters from the ranks of their centres ("recent, frequent, high value").

Names are relative to the other clusters of the same fit, so that clusters can be laid
beside RFM segments; :data:`CLUSTER_VOCABULARY` holds the words.
"""

from __future__ import annotations

import pandas as pd
from scipy.stats import rankdata

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
