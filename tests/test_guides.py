"""The two sentences under each figure or table of a page: how to read it, and so what."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
from test_report import FakeComparison

from clvlib.report import guides
from clvlib.vocabulary import use_currency


def test_a_guide_is_two_escaped_sentences() -> None:
    g = guides.guide("Each bar is a <b>channel</b>.", "Spend on 2.66e-11 of it.")
    html = g._repr_html_()
    assert "&lt;b&gt;channel&lt;/b&gt;" in html and "<b>" not in html
    assert html.count('class="clv-guide-label"') == 2
    assert "2.66 × 10⁻¹¹" in str(g)  # readable numbers, as every sentence of a page


def _tiers() -> pd.DataFrame:
    index = pd.Index(["top 20 %", "middle 60 %", "bottom 20 %"], name="tier")
    return pd.DataFrame(
        {
            "share_of_value": [0.62, 0.36, 0.02],
            "mean_value": [278.01, 52.9, 9.19],
            "mean_predicted_clv": [222.0, 50.4, 10.23],
        },
        index=index,
    )


def test_executive_guides_say_what_this_data_shows() -> None:
    tiers = _tiers()
    by_group = pd.concat(
        {"referral": tiers.assign(share_of_customers=[0.28, 0.6, 0.12])}
        | {"social": tiers.assign(share_of_customers=[0.07, 0.6, 0.33])},
        names=["channel", "tier"],
    )
    economics = pd.DataFrame(
        {"ltv_to_cac": [9.1, 1.8], "payback_periods": [2.76, 14.0], "pays_back": [True, False]},
        index=pd.Index(["referral", "social"], name="channel"),
    )
    economics.attrs["period"] = "M"
    with use_currency("EUR"):
        said = guides.executive_guides(
            tiers=tiers, by_group=by_group, economics=economics, comparison=FakeComparison()
        )
    assert set(said) == {"tiers", "lorenz", "groups", "economics", "gains", "measures"}
    assert "brought €278.01 on average and is forecast to bring €222.00 more" in str(said["tiers"])
    assert "referral brings the most top-tier customers (28 %" in str(said["groups"])
    assert "social does not pay back" in str(said["economics"])
    assert "takes longest to earn it back (14.0 months)" in str(said["economics"])
    assert "top 20 % by RFM would have reached 55 %" in str(said["gains"])
    assert "ranking (Spearman): heuristic CLV" in str(said["measures"])
    assert all("_" not in str(g) for g in said.values()), "no code names in a guide"
    one = guides.executive_guides(
        tiers=tiers,
        by_group=by_group.xs("referral", level=0, drop_level=False),
        economics=economics.iloc[:1],
        comparison=FakeComparison(),
    )
    assert "customers pay back their acquisition cost (LTV : CAC 9.10, 2.76 months" in str(
        one["economics"]
    )
    assert "With one channel there is nothing to compare" in str(one["groups"])


def test_cluster_guides_name_the_clusters_and_the_rule() -> None:
    profiles = pd.DataFrame(
        {"name": ["recent, high value", "lapsed, low value"], "customer_share": [0.38, 0.62]}
        | {"value_share": [0.76, 0.24], "median_since_last_order": [93.0, 286.4]},
        index=pd.Index([0, 1], name="cluster"),
    )
    table = pd.DataFrame({"stable": [True, True, False]}, index=pd.Index([2, 3, 4], name="k"))
    choice = SimpleNamespace(table=table, recommended_k=2)
    said = guides.cluster_guides(choice=choice, profiles=profiles, time_unit="W")
    assert "“recent, high value” is 38 % of the customers and carries 76 %" in str(said["profiles"])
    assert "“lapsed, low value” (typical last order 286 weeks ago)" in str(said["profiles"])
    assert "2 of the 3 numbers tried" in str(said["choice"]) and "picks 2" in str(said["choice"])
    assert "weeks since their last order" in str(said["scatter"])
