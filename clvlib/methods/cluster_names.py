"""Names of k-means clusters from their centres ("recent, frequent, high value").

The time since the last order is named by fixed ranges (:data:`RECENCY_RANGES`: "lapsing"
always means 180 to 365 days), so that no word names two different silences; the other
features by the ranks of the centres among the clusters of the same fit
(:data:`CLUSTER_VOCABULARY`), so that clusters can be laid beside RFM segments.
"""

from __future__ import annotations

import math

import pandas as pd
from scipy.stats import rankdata

from clvlib.methods._frames import _UNIT_DAYS

#: The words of the time since the last order, each for one range of days (upper bound
#: excluded), whatever the other clusters: the same word always names the same silence.
RECENCY_RANGES: tuple[tuple[float, str], ...] = (
    (90.0, "recent"),
    (180.0, "cooling"),
    (365.0, "lapsing"),
    (math.inf, "lapsed"),
)

# How the other features are named: feature -> (direction, words for the best / middle /
# worst third of the centres' ranks). Direction +1: a high value is "best" (listed first).
# Features not listed get "high/mid/low <feature>".
CLUSTER_VOCABULARY: dict[str, tuple[int, tuple[str, str, str]]] = {
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
# Clusters whose typical customer brought (next to) nothing: a centre of net value or profit
# below one currency unit is "no value" / "no profit", whatever its rank (customers who
# returned what they bought), so that it is not one more "low value" cluster.
NOTHING_BELOW = 1.0
_NOTHING = {"total_value": "no value", "gross_profit": "no profit"}


def recency_word(value: float, time_unit: str = "D") -> str:
    """The word of a time since the last order (in ``time_unit``): its range's.

    Examples
    --------
    >>> recency_word(30), recency_word(144), recency_word(390), recency_word(7, "M")
    ('recent', 'cooling', 'lapsed', 'lapsing')
    """
    days = float(value) * _UNIT_DAYS[time_unit]
    return next(word for upper, word in RECENCY_RANGES if days < upper)


def recency_ranges() -> str:
    r"""The recency words with their ranges, in words (for a page or the glossary).

    >>> print(recency_ranges().replace("; ", "\n"))
    recent: under 90 days since the last order
    cooling: 90 to 180 days
    lapsing: 180 to 365 days
    lapsed: 365 days or more
    """
    parts, lower = [], 0.0
    for upper, word in RECENCY_RANGES:
        if lower == 0:
            parts.append(f"{word}: under {upper:.0f} days since the last order")
        elif math.isinf(upper):
            parts.append(f"{word}: {lower:.0f} days or more")
        else:
            parts.append(f"{word}: {lower:.0f} to {upper:.0f} days")
        lower = upper
    return "; ".join(parts)


def name_clusters(centers: pd.DataFrame, *, time_unit: str = "D") -> list[str]:
    """Name clusters from their centres, one name per row, all names unique.

    The time since the last order (``since_last_order``) is named by the fixed range its
    centre falls in (:data:`RECENCY_RANGES`: recent under 90 days, cooling to 180, lapsing
    to 365, lapsed beyond), so one word never names two different silences. Every other
    feature is named by the ranks of the centres among the clusters (high is best, see
    ``CLUSTER_VOCABULARY``): the best third of the ranks gets the first word ("frequent",
    "high value"), the worst third the last ("one-off", "low value"), the rest the middle
    word. With two clusters that is best and worst, with three one of each: these words are
    relative to the other clusters of the same fit. "one-off" is only used when the centre
    is below ``ONE_OFF_MAX_ORDERS`` orders ("infrequent" otherwise); a net value (profit)
    centre below ``NOTHING_BELOW`` is "no value" ("no profit"). When two clusters get the
    same name, the later ones (by label) get " (2)", " (3)", ... appended.

    Parameters
    ----------
    centers : pandas.DataFrame
        One row per cluster in label order, one column per feature, in original units (e.g.
        ``CustomerClusterer.cluster_centers_original_``). Any monotone transform of the
        columns other than ``since_last_order`` gives the same names, except for the
        "one-off" test which needs orders.
    time_unit : {"D", "W", "M"}, default "D"
        Unit of ``since_last_order`` (the summary's).

    Returns
    -------
    list of str

    Examples
    --------
    >>> centers = pd.DataFrame(
    ...     {"since_last_order": [10, 300, 60], "n_orders": [12, 1, 3],
    ...      "total_value": [2000, 20, 300]})
    >>> name_clusters(centers)
    ['recent, frequent, high value', 'lapsing, one-off, low value', 'recent, occasional, mid value']
    """
    k = len(centers)
    words: list[list[str]] = [[] for _ in range(k)]
    for col in centers.columns:
        if col == "since_last_order":
            for i, value in enumerate(centers[col].to_numpy(dtype="float64")):
                words[i].append(recency_word(value, time_unit))
            continue
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
            if col in _NOTHING and values[i] < NOTHING_BELOW:
                word = _NOTHING[col]
            words[i].append(word)
    names = [", ".join(w) for w in words]
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return unique
