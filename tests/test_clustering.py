"""Tests of clvlib.methods.clustering: k-means estimator, names, choose_k and profiles.

Summaries are built by hand (well separated blobs in log1p space), so the right clusters are
known without running k-means.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.metrics import adjusted_rand_score, silhouette_score
from sklearn.utils._param_validation import InvalidParameterError

from clvlib.methods import k_choice
from clvlib.methods.cluster_names import name_clusters
from clvlib.methods.cluster_profiles import cluster_profiles
from clvlib.methods.clustering import CustomerClusterer, cluster_customers
from clvlib.methods.k_choice import _elbow, choose_k, resolve_n_clusters

FEATURES = ["since_last_order", "n_orders", "total_value"]

# Blob centres in log1p units (since_last_order, n_orders, total_value). Ordered by value:
# A (e^8) > D (e^6.5) > C (e^5.5) > B (e^3), so the expected labels are A0, D1, C2, B3.
BLOB_CENTRES = {
    "A": (1.0, 2.5, 8.0),  # recent, frequent, high value
    "B": (5.5, 0.7, 3.0),  # lapsed, ~1 order, low value
    "C": (2.0, 1.5, 5.5),
    "D": (5.0, 2.0, 6.5),
}
EXPECTED_LABEL = {"A": 0, "D": 1, "C": 2, "B": 3}


def make_blobs(n_per: int = 40, seed: int = 0, shift_days: float = 0.0):
    """Summary with four tight blobs in log1p space; returns (summary, true blob per customer)."""
    rng = np.random.default_rng(seed)
    names = np.repeat(list(BLOB_CENTRES), n_per)
    z = np.array([BLOB_CENTRES[b] for b in names]) + rng.normal(0, 0.1, (len(names), 3))
    raw = np.expm1(z)
    raw[:, 0] += shift_days
    index = pd.Index(np.arange(1000, 1000 + len(names)), name="customer_id")
    summary = pd.DataFrame(raw, columns=FEATURES, index=index)
    summary["T"] = summary["since_last_order"] + 30.0
    return summary, pd.Series(names, index=index)


@pytest.fixture(scope="module")
def blobs():
    return make_blobs()


@pytest.fixture(scope="module")
def fitted(blobs):
    summary, _ = blobs
    return CustomerClusterer(4, random_state=0).fit(summary)


# --- the estimator -------------------------------------------------------------------------


def test_recovers_well_separated_blobs(blobs, fitted):
    summary, truth = blobs
    assert adjusted_rand_score(truth, fitted.labels_) == 1.0
    # labels ordered by mean total value: the blob order worked out above
    pd.testing.assert_series_equal(
        fitted.labels_, truth.map(EXPECTED_LABEL).rename("cluster"), check_dtype=False
    )
    assert fitted.labels_.index.equals(summary.index)


def test_names_from_blob_centres(fitted):
    # orders and value: ranks of the 4 centres, best third (rank 0), worst third (rank 3), else
    # middle; time since the last order by its range (centres e^1, e^5, e^2, e^5.5 - 1 days)
    assert fitted.cluster_names_ == [
        "recent, frequent, high value",
        "cooling, occasional, mid value",
        "recent, occasional, mid value",
        "lapsing, one-off, low value",
    ]


def test_a_cluster_that_brought_nothing_is_no_value():
    centres = pd.DataFrame({"n_orders": [8.0, 1.0, 1.0], "total_value": [490.0, 52.0, 0.0]})
    assert name_clusters(centres) == [
        "frequent, high value",
        "one-off, mid value",
        "one-off, no value",
    ]


def test_one_word_never_names_two_different_silences():
    """144 and 390 days are not both "lapsing", however many clusters lie between them."""
    centres = pd.DataFrame({"since_last_order": [10.0, 144.0, 390.0, 400.0]})
    assert name_clusters(centres) == ["recent", "cooling", "lapsed", "lapsed (2)"]
    # the same ranges in weeks and months
    weeks = pd.DataFrame({"since_last_order": [2.0, 20.0, 30.0, 60.0]})
    assert name_clusters(weeks, time_unit="W") == ["recent", "cooling", "lapsing", "lapsed"]
    months = pd.DataFrame({"since_last_order": [1.0, 13.0]})
    assert name_clusters(months, time_unit="M") == ["recent", "lapsed"]


def test_centres_in_both_units(blobs, fitted):
    summary, truth = blobs
    z = np.log1p(summary[FEATURES])
    scaled = (z - z.mean()) / z.std(ddof=0)
    expected = scaled.groupby(truth.map(EXPECTED_LABEL)).mean()
    np.testing.assert_allclose(fitted.cluster_centers_.to_numpy(), expected.to_numpy())
    expected_original = np.expm1(z.groupby(truth.map(EXPECTED_LABEL)).mean())
    np.testing.assert_allclose(
        fitted.cluster_centers_original_.to_numpy(), expected_original.to_numpy()
    )
    assert list(fitted.cluster_centers_.columns) == FEATURES
    assert fitted.cluster_centers_.index.name == "cluster"


def test_same_seed_same_labels_and_names(blobs):
    summary, _ = make_blobs(n_per=30, seed=3)
    noisy = summary.assign(total_value=summary["total_value"].sample(frac=1, random_state=1).values)
    a = CustomerClusterer(5, random_state=7).fit(noisy)
    b = CustomerClusterer(5, random_state=7).fit(noisy)
    pd.testing.assert_series_equal(a.labels_, b.labels_)
    assert a.cluster_names_ == b.cluster_names_
    pd.testing.assert_frame_equal(a.cluster_centers_, b.cluster_centers_)


def test_labels_do_not_depend_on_kmeans_label_order(blobs, fitted):
    # another seed permutes KMeans' internal labels; the value ordering undoes that
    summary, _ = blobs
    other = CustomerClusterer(4, random_state=123).fit(summary)
    pd.testing.assert_series_equal(other.labels_, fitted.labels_)
    assert other.cluster_names_ == fitted.cluster_names_


def test_predict_other_period_uses_fitted_centres(blobs, fitted):
    summary, _ = blobs
    later, _ = make_blobs(n_per=10, seed=5, shift_days=200.0)
    centres_before = fitted.cluster_centers_.copy()

    got = fitted.predict(later)

    # by hand: scale the later period with the first period's log1p mean and sd
    z_fit = np.log1p(summary[FEATURES])
    z = (np.log1p(later[FEATURES]) - z_fit.mean()) / z_fit.std(ddof=0)
    dist = ((z.to_numpy()[:, None, :] - centres_before.to_numpy()[None]) ** 2).sum(axis=2)
    expected = pd.Series(dist.argmin(axis=1), index=later.index, name="cluster")
    pd.testing.assert_series_equal(got, expected, check_dtype=False)
    # 200 more days since the last order: nobody is in the recent cluster any more
    assert 0 not in set(got)
    pd.testing.assert_frame_equal(fitted.cluster_centers_, centres_before)


def test_predict_on_fitted_period_equals_labels(blobs, fitted):
    summary, _ = blobs
    pd.testing.assert_series_equal(fitted.predict(summary), fitted.labels_)
    assigned = fitted.assign(summary)
    assert list(assigned.columns) == ["cluster", "cluster_name"]
    assert assigned.loc[1000, "cluster_name"] == "recent, frequent, high value"


def test_cluster_customers_is_the_estimator(blobs, fitted):
    summary, _ = blobs
    out = cluster_customers(summary, n_clusters=4, random_state=0)
    pd.testing.assert_series_equal(out["cluster"], fitted.labels_)
    assert out["cluster_name"].tolist() == [fitted.cluster_names_[c] for c in fitted.labels_]


def test_negative_value_counts_as_zero():
    summary, _ = make_blobs(n_per=20, seed=1)
    returner = (
        summary.iloc[[-1]].assign(total_value=-250.0).set_axis(pd.Index([1], name="customer_id"))
    )
    zero = returner.assign(total_value=0.0)
    clusterer = CustomerClusterer(4, random_state=0).fit(pd.concat([summary, returner]))
    # same features after clipping -> same cluster
    assert clusterer.predict(returner).iloc[0] == clusterer.predict(zero).iloc[0]
    assert clusterer.clipped_.to_dict() == {"since_last_order": 0, "n_orders": 0, "total_value": 1}


def test_extra_features_enter_centres_and_names(blobs):
    summary, _ = blobs
    clusterer = CustomerClusterer(4, extra_features=("T",), random_state=0).fit(summary)
    assert list(clusterer.cluster_centers_original_.columns) == [*FEATURES, "T"]
    assert all(len(name.split(", ")) == 4 for name in clusterer.cluster_names_)


def test_order_by_value_column_not_clustered_on(blobs):
    summary, truth = blobs
    clusterer = CustomerClusterer(4, features=("since_last_order", "n_orders"), random_state=0)
    labels = clusterer.fit(summary).labels_
    assert adjusted_rand_score(truth, labels) == 1.0  # the blobs differ in R and F too
    assert summary["total_value"].groupby(labels).mean().is_monotonic_decreasing
    assert list(clusterer.cluster_centers_.columns) == ["since_last_order", "n_orders"]


def test_does_not_mutate_input_and_clones(blobs):
    summary, _ = blobs
    before = summary.copy()
    CustomerClusterer(3, random_state=0).fit(summary).predict(summary)
    pd.testing.assert_frame_equal(summary, before)
    params = clone(CustomerClusterer(3, n_init=2)).get_params()
    assert params["n_clusters"] == 3 and params["n_init"] == 2


@pytest.mark.parametrize(
    "params, match",
    [
        ({"n_clusters": 1}, r"'n_clusters' parameter of CustomerClusterer .* range \[2, inf\)"),
        ({"n_clusters": 2.5}, "'n_clusters' parameter of CustomerClusterer must be an int"),
        ({"n_init": 0}, "'n_init' parameter"),
        ({"features": "n_orders"}, "'features' parameter"),
        ({"random_state": "zero"}, "'random_state' parameter"),
    ],
)
def test_parameters_are_checked_by_their_constraints_at_fit(blobs, params, match):
    clusterer = CustomerClusterer(**params)  # the constructor only stores
    with pytest.raises(InvalidParameterError, match=match):
        clusterer.fit(blobs[0])


def test_errors_name_the_column_and_rows(blobs):
    summary, _ = blobs
    with pytest.raises(KeyError, match="n_orders"):
        CustomerClusterer(2).fit(summary.drop(columns="n_orders"))
    bad = summary.copy()
    bad.loc[[1003, 1010], "total_value"] = np.nan
    with pytest.raises(ValueError, match=r"'total_value'.*2 missing.*\[1003, 1010\]"):
        CustomerClusterer(2).fit(bad)
    with pytest.raises(TypeError, match="'n_orders' must be numeric"):
        CustomerClusterer(2).fit(summary.assign(n_orders="3"))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(12, 40),
    k=st.integers(2, 4),
    seed=st.integers(0, 2**16),
)
def test_invariants_of_fitted_labels(n, k, seed):
    rng = np.random.default_rng(seed)
    summary = pd.DataFrame(
        {
            "since_last_order": rng.integers(0, 400, n).astype(float),
            "n_orders": rng.integers(1, 30, n),
            "total_value": rng.normal(300, 400, n),  # some net returners
        },
        index=pd.Index(rng.permutation(n) + 1, name="customer_id"),
    )
    clusterer = CustomerClusterer(k, n_init=2, random_state=seed).fit(summary)
    labels = clusterer.labels_
    assert set(labels) == set(range(k))
    mean_value = summary["total_value"].groupby(labels).mean().sort_index()
    assert mean_value.is_monotonic_decreasing  # label 0 is the most valuable
    assert len(set(clusterer.cluster_names_)) == k
    pd.testing.assert_series_equal(clusterer.predict(summary), labels)


# --- names ---------------------------------------------------------------------------------


def test_name_clusters_hand_table():
    centres = pd.DataFrame(
        {
            "since_last_order": [10.0, 300.0, 60.0],
            "n_orders": [12.0, 1.0, 3.0],
            "total_value": [2000.0, 20.0, 300.0],
        }
    )
    assert name_clusters(centres) == [
        "recent, frequent, high value",
        "lapsing, one-off, low value",
        "recent, occasional, mid value",
    ]


def test_name_clusters_two_and_five_clusters():
    # two clusters: best and worst word, never the middle one
    two = pd.DataFrame({"since_last_order": [200.0, 5.0], "total_value": [10.0, 900.0]})
    assert name_clusters(two) == ["lapsing, low value", "recent, high value"]
    # five: ranks 0-1 best third, 2 middle, 3-4 worst third (3r < k-1 / 3r > 2(k-1))
    five = pd.DataFrame({"total_value": [500.0, 400.0, 300.0, 200.0, 100.0]})
    assert name_clusters(five) == [
        "high value",
        "high value (2)",
        "mid value",
        "low value",
        "low value (2)",
    ]


def test_name_clusters_infrequent_ties_and_unknown_columns():
    centres = pd.DataFrame(
        {"n_orders": [9.0, 2.4, 2.4], "tenure_weeks": [1.0, 2.0, 3.0]},
    )
    # the two tied lowest n_orders share a rank (1.5 of 0..2) -> both worst; 2.4 orders is
    # not one-off
    assert name_clusters(centres) == [
        "frequent, low tenure_weeks",
        "infrequent, mid tenure_weeks",
        "infrequent, high tenure_weeks",
    ]


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0, 1e4), st.floats(1, 100), st.floats(-1e3, 1e5)),
        min_size=2,
        max_size=10,
    )
)
def test_names_unique_and_extremes_named(rows):
    centres = pd.DataFrame(rows, columns=FEATURES)
    names = name_clusters(centres)
    assert len(names) == len(set(names)) == len(rows)
    values = centres["total_value"]
    # a unique highest (lowest) centre is always named high (low) value; one below a currency
    # unit, no value
    if (values == values.max()).sum() == 1 and values.max() >= 1:
        assert "high value" in names[int(values.to_numpy().argmax())]
    if (values == values.min()).sum() == 1:
        low = "low value" if values.min() >= 1 else "no value"
        assert low in names[int(values.to_numpy().argmin())]
    for name, value in zip(names, values, strict=True):
        assert ("no value" in name) == (value < 1)


# --- choosing k ----------------------------------------------------------------------------


def test_choose_k_recommends_true_k_on_blobs(blobs, fitted):
    summary, _ = blobs
    choice = choose_k(summary, k_range=range(2, 8), n_stability=3, random_state=0)
    assert choice.recommended_k == 4
    assert choice.reason.startswith("k=4: ")
    table = choice.table
    assert table.index.tolist() == [2, 3, 4, 5, 6, 7]
    assert table["inertia"].is_monotonic_decreasing
    assert table.loc[4, "stability"] == 1.0 and table.loc[4, "stable"]
    # one definition: the same fit as the estimator
    assert table.loc[4, "inertia"] == pytest.approx(fitted.inertia_)
    # n < sample_size: the silhouette is the full one on the standardised log1p features
    z = np.log1p(summary[FEATURES])
    scaled = ((z - z.mean()) / z.std(ddof=0)).to_numpy()
    assert table.loc[4, "silhouette"] == pytest.approx(silhouette_score(scaled, fitted.labels_))
    assert table["silhouette"].idxmax() == 4
    assert table["davies_bouldin"].idxmin() == 4
    assert table["calinski_harabasz"].idxmax() == 4


def test_blobs_are_discovered_types_and_a_gaussian_is_a_convenient_partition(blobs):
    summary, _ = blobs
    choice = choose_k(summary, k_range=range(2, 6), n_stability=0, random_state=0)
    assert choice.discovered
    assert (choice.table["silhouette"] - choice.table["null_silhouette"]).loc[4] > 0.1
    assert "the data have cluster structure beyond their correlation" in choice.structure
    # a featureless Gaussian in log1p units: no types to discover
    rng = np.random.default_rng(4)
    z = rng.multivariate_normal([2.0, 1.0, 5.0], [[1, 0.5, 0.3], [0.5, 1, 0.6], [0.3, 0.6, 1]], 600)
    gaussian = pd.DataFrame(np.expm1(np.clip(z, 0, None)), columns=FEATURES)
    plain = choose_k(gaussian, k_range=range(2, 5), n_stability=0, random_state=0)
    assert not plain.discovered
    assert "convenient partition of a continuum, not discovered customer types" in plain.structure


def test_choose_k_samples_and_validates():
    summary, _ = make_blobs(n_per=30, seed=2)
    choice = choose_k(summary, k_range=[3, 4], sample_size=50, n_stability=2, random_state=1)
    assert choice.table.index.tolist() == [3, 4]
    assert choice.elbow_k is None  # fewer than three k: no elbow
    assert choice.recommended_k == 4
    no_stab = choose_k(summary, k_range=[2, 4], n_stability=0)
    assert no_stab.table["stable"].all() and no_stab.table["stability"].isna().all()
    with pytest.raises(ValueError, match=">= 2"):
        choose_k(summary, k_range=[1, 2])
    with pytest.raises(ValueError, match="only 120 customers"):
        choose_k(summary, k_range=[2, 120])


def test_choose_k_above_max_customers_chooses_on_a_fixed_sample(blobs, tmp_path):
    summary, _ = blobs
    n = len(summary)
    kwargs = {"k_range": [2, 3, 4], "n_stability": 2, "random_state": 0}
    full = choose_k(summary, **kwargs)
    assert full.n_customers is None
    same = choose_k(summary, max_customers=n, **kwargs)  # at the cap: everyone, as before
    pd.testing.assert_frame_equal(same.table, full.table)
    assert same.reason == full.reason and same.n_customers is None
    capped = choose_k(summary, max_customers=n // 2, **kwargs)
    assert capped.n_customers == n // 2
    assert f"fixed random sample of {n // 2:,} of the {n:,} customers" in capped.reason
    keep = k_choice._k_sample(n, n // 2, 0)
    by_hand = choose_k(summary.iloc[keep], **kwargs)
    pd.testing.assert_frame_equal(capped.table, by_hand.table)
    assert capped.recommended_k == by_hand.recommended_k == full.recommended_k  # clear blobs
    # resolve_n_clusters: the cap is part of the shared choice's key and record
    k_choice._AUTO_K.clear()
    k = resolve_n_clusters("auto", summary, random_state=0, cache_dir=tmp_path, max_customers=n)
    k_capped = resolve_n_clusters(
        "auto", summary, random_state=0, cache_dir=tmp_path, max_customers=n // 2
    )
    assert k == k_capped == full.recommended_k
    records = [json.loads(p.read_text()) for p in tmp_path.glob("k_choice_*.json")]
    assert sorted(r.get("sample_customers", 0) for r in records) == [0, n // 2]
    with pytest.raises(ValueError, match="max_customers must be >= 3"):
        choose_k(summary, max_customers=2, **kwargs)
    k_choice._AUTO_K.clear()  # later tests choose afresh


def test_elbow_of_hand_curve():
    # normalised: x = 0, .25, .5, .75, 1; y = 1, .231, .103, .038, 0; 1 - x - y is largest at k=2
    ks = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    assert _elbow(ks, np.array([100.0, 40.0, 30.0, 25.0, 22.0])) == 2
    assert _elbow(ks[:2], np.array([100.0, 40.0])) is None


# --- profiles ------------------------------------------------------------------------------


@pytest.fixture
def tiny():
    summary = pd.DataFrame(
        {
            "since_last_order": [10.0, 30.0, 100.0, 200.0, 300.0, 50.0],
            "n_orders": [5, 7, 1, 2, 1, 3],
            "total_value": [500.0, 700.0, 20.0, 40.0, -60.0, 200.0],
        },
        index=pd.Index([11, 12, 13, 14, 15, 16], name="customer_id"),
    )
    labels = pd.DataFrame(
        {
            "cluster": [2, 0, 0, 1, 1, 1],  # deliberately not in summary order
            "cluster_name": ["c", "a", "a", "b", "b", "b"],
        },
        index=pd.Index([16, 11, 12, 13, 14, 15], name="customer_id"),
    )
    return summary, labels


def test_profiles_hand_worked(tiny):
    summary, labels = tiny
    prof = cluster_profiles(summary, labels)
    # total value 1400: cluster 0 = 1200, cluster 1 = 20 + 40 - 60 = 0, cluster 2 = 200
    assert prof["name"].tolist() == ["a", "b", "c"]
    assert prof["n_customers"].tolist() == [2, 3, 1]
    np.testing.assert_allclose(prof["customer_share"], [2 / 6, 3 / 6, 1 / 6])
    np.testing.assert_allclose(prof["value_share"], [1200 / 1400, 0.0, 200 / 1400])
    np.testing.assert_allclose(prof["mean_since_last_order"], [20.0, 200.0, 50.0])
    np.testing.assert_allclose(prof["median_n_orders"], [6.0, 1.0, 3.0])
    np.testing.assert_allclose(prof["mean_total_value"], [600.0, 0.0, 200.0])
    assert prof.index.name == "cluster"


def test_profiles_from_series_and_names(tiny):
    summary, labels = tiny
    prof = cluster_profiles(summary, labels["cluster"], names=["a", "b", "c"], features=())
    assert prof.columns.tolist() == ["name", "n_customers", "customer_share", "value_share"]
    with pytest.raises(ValueError, match=r"no label for customer_id \[16\]"):
        cluster_profiles(summary, labels["cluster"].drop(16))
    with pytest.raises(KeyError, match=r"cluster\(s\) \[2\]"):
        cluster_profiles(summary, labels["cluster"], names=["a", "b"])


@settings(max_examples=50, deadline=None)
@given(
    values=st.lists(st.floats(0.01, 1e5), min_size=1, max_size=40),
    k=st.integers(1, 5),
    seed=st.integers(0, 1000),
)
def test_profile_shares_sum_to_one(values, k, seed):
    n = len(values)
    rng = np.random.default_rng(seed)
    summary = pd.DataFrame(
        {"since_last_order": rng.integers(0, 100, n), "n_orders": 1, "total_value": values}
    )
    labels = pd.Series(rng.integers(0, k, n), index=summary.index)
    prof = cluster_profiles(summary, labels)
    assert prof["n_customers"].sum() == n
    assert prof["customer_share"].sum() == pytest.approx(1.0)
    assert prof["value_share"].sum() == pytest.approx(1.0)


def test_match_gives_each_cluster_the_label_and_name_of_its_nearest_reference_centre(blobs):
    summary, _ = blobs
    reference = CustomerClusterer(4, random_state=0, n_init=1).fit(summary)
    other = CustomerClusterer(4, random_state=5, n_init=1).fit(
        summary.sample(frac=0.8, random_state=1)
    )
    other.match(reference)
    assert other.cluster_names_ == reference.cluster_names_
    # the same customers land in the same labelled cluster
    assert (other.predict(summary) == reference.predict(summary)).mean() > 0.95
    assert other.matched_distance_.max() < 0.5
    np.testing.assert_allclose(
        np.log1p(other.cluster_centers_original_),
        np.log1p(reference.cluster_centers_original_),
        atol=0.5,
    )
    with pytest.raises(ValueError, match="cannot match 3 clusters"):
        CustomerClusterer(3, random_state=0).fit(summary).match(reference)


# --- more clusters than customers, and n_clusters="auto" ----------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda s: CustomerClusterer(5).fit(s),
        lambda s: cluster_customers(s, n_clusters=5),
        lambda s: choose_k(s, k_range=range(2, 6)),
        lambda s: resolve_n_clusters(5, s),
    ],
    ids=["CustomerClusterer.fit", "cluster_customers", "choose_k", "resolve_n_clusters"],
)
def test_more_clusters_than_customers_is_a_clvlib_error_naming_the_counts(call):
    summary = make_blobs()[0].iloc[:4]
    with pytest.raises(ValueError, match=r"n_clusters=5 .*4 customers") as caught:
        call(summary)
    assert "n_samples" not in str(caught.value)  # not scikit-learn's message


@pytest.mark.parametrize("bad", [1, 0, 2.5, True, "five"])
def test_n_clusters_must_be_an_integer_of_at_least_two(bad):
    with pytest.raises(ValueError, match="n_clusters"):
        resolve_n_clusters(bad, make_blobs()[0])


def test_auto_is_choose_ks_recommendation_shared_through_the_cache(blobs, tmp_path):
    summary, _ = blobs
    expected = choose_k(summary, random_state=0).recommended_k
    assert resolve_n_clusters("auto", summary, random_state=0, cache_dir=tmp_path) == expected
    (stored,) = tmp_path.glob("k_choice_*.json")
    record = json.loads(stored.read_text())
    assert record["recommended_k"] == expected and record["n_customers"] == len(summary)
    # another process reads the file instead of choosing again: a planted k comes back
    k_choice._AUTO_K.clear()
    stored.write_text(json.dumps({**record, "recommended_k": 3}))
    assert resolve_n_clusters("auto", summary, random_state=0, cache_dir=tmp_path) == 3
    # other data (one value changed) is another key: chosen afresh
    k_choice._AUTO_K.clear()
    other = summary.copy()
    other.iloc[0, 0] += 1.0
    assert resolve_n_clusters("auto", other, random_state=0, cache_dir=tmp_path) == expected
    assert len(list(tmp_path.glob("k_choice_*.json"))) == 2
