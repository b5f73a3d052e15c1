"""The one written definition of every column and metric clvlib reports.

Reports print :func:`glossary` so that a reader never has to guess which convention a
number follows (domain.md §3: BTYD recency/frequency are not the marketing RFM ones).
Modules add their own terms here rather than defining them in prose elsewhere.
"""

from __future__ import annotations

import pandas as pd

# term -> (convention, definition). Durations are in the summary's time unit.
TERMS: dict[str, tuple[str, str]] = {
    "frequency": (
        "BTYD",
        "Repeat purchase periods: distinct purchase days (periods) minus 1. "
        "Several orders on one day are one purchase.",
    ),
    "recency": (
        "BTYD",
        "Age of the customer at the last purchase: last purchase minus first purchase. "
        "High is good. Not 'time since last order'.",
    ),
    "T": ("BTYD", "Age of the customer: observation end minus first purchase."),
    "monetary_value": (
        "BTYD",
        "Mean value of the repeat purchase periods (first period excluded); 0 when frequency is 0.",
    ),
    "since_last_order": (
        "RFM",
        "R: observation end minus last purchase ('days since last order'). Low is good.",
    ),
    "n_orders": ("RFM", "F: number of distinct orders, the first one included."),
    "total_value": ("RFM", "M (total): purchases minus returns to the observation end (net)."),
    "avg_order_value": ("RFM", "M (average): gross purchase value divided by n_orders."),
    "returned_value": ("RFM", "Value of returned or cancelled lines (a positive number)."),
    "gross_profit": ("RFM", "total_value minus the cost of the goods (when costs are known)."),
    "first_purchase": ("RFM", "Timestamp of the customer's first purchase line."),
    "last_purchase": (
        "RFM",
        "Timestamp of the customer's last purchase line on or before the observation end.",
    ),
    "holdout_orders": (
        "holdout",
        "Distinct purchase orders in the holdout period (calibration end, holdout end].",
    ),
    "holdout_value": ("holdout", "Purchases minus returns in the holdout period (net)."),
    "holdout_purchase_periods": (
        "holdout",
        "Distinct purchase days (periods) in the holdout; lifetimes' frequency_holdout.",
    ),
    "bought_again": ("holdout", "At least one purchase in the holdout period."),
    "holdout_length": (
        "holdout",
        "Holdout end period minus calibration end period, in the summary's time unit.",
    ),
    "observation_end": (
        "both",
        "Cut-off date, whole day included; nothing after it is used.",
    ),
    # io.py — the loading audit (every input row kept, netted or dropped)
    "netted": (
        "audit",
        "A return or cancellation line (negative quantity or value, or a cancellation "
        "invoice): kept in the log with a negative amount, never dropped.",
    ),
    "dropped": (
        "audit",
        "An input line left out for the first stated reason that applies (no customer id, "
        "bad date or value, after observation end, non-product, duplicate, non-positive "
        "price, zero quantity).",
    ),
    "input_value": (
        "audit",
        "Sum of the line values (amount, or quantity x unit price; returns negative) of all "
        "input rows; rows whose value is missing or unparseable count 0.",
    ),
    # rfm.py — RFM quantile scores and rule-based segments (domain.md §6, §7)
    "r_score": (
        "RFM",
        "Recency score 1..n (quintiles: n = 5), n = most recent (lowest since_last_order), "
        "from quantile edges learned on the fitting period; ties go to the lower score.",
    ),
    "f_score": (
        "RFM",
        "Frequency score 1..n of n_orders, n = most orders. Ties (many one-order customers) "
        "give fewer bins; their scores are spread over 1..n (worst 1, best n) and reported.",
    ),
    "m_score": (
        "RFM",
        "Monetary score 1..n, n = highest value; of total_value unless stated otherwise "
        "(avg_order_value or gross_profit). Absent in RF-only scores.",
    ),
    "rfm_code": (
        "RFM",
        "R, F and M scores written one after the other, e.g. '545' ('54' when RF-only): "
        "what segment rules and patterns read.",
    ),
    "rfm_score": ("RFM", "Sum of the R, F and M scores (R + F when RF-only)."),
    "segment": (
        "RFM",
        "Segment from an ordered rule set on the scores: the first matching rule wins, "
        "customers no rule matches are 'Others'.",
    ),
    "recommended_action": (
        "RFM",
        "What to do with a segment (the playbook), stated in the rule set next to the rule.",
    ),
    # models.py — BG/NBD + Gamma-Gamma, the probabilistic reference (domain.md §9)
    "bgnbd": (
        "model",
        "BG/NBD (Fader, Hardie & Lee 2005): while alive a customer buys at a Poisson rate "
        "~ Gamma(r, alpha) and after each repeat purchase drops out with probability "
        "~ Beta(a, b); fitted by maximum likelihood on frequency, recency and T.",
    ),
    "gamma_gamma": (
        "model",
        "Gamma-Gamma (Fader & Hardie): purchase values ~ Gamma(p, nu), nu ~ Gamma(q, v) per "
        "customer; fitted on repeat customers' monetary_value. Assumes spend per purchase is "
        "independent of frequency (checked by their correlation).",
    ),
    "expected_purchases": (
        "model",
        "BG/NBD expected number of purchases in the next horizon given the customer's "
        "frequency, recency and T.",
    ),
    "probability_alive": (
        "model",
        "BG/NBD probability that the customer has not dropped out by the observation end "
        "(1 for customers without repeat purchases).",
    ),
    "expected_average_value": (
        "model",
        "Gamma-Gamma expected value per future purchase: the customer's monetary_value "
        "shrunk towards the population mean p v / (q - 1), more so the fewer purchases.",
    ),
    "expected_clv": (
        "model",
        "BG/NBD + Gamma-Gamma forecast: expected_purchases x expected_average_value over the "
        "horizon (revenue, undiscounted unless a discount rate is stated); the comparison "
        "reports it as that model's predicted_value.",
    ),
    # metrics.py — the comparison metrics (domain.md §9); score: higher = more valuable
    "spearman": (
        "metric",
        "Spearman rank correlation of the calibration score with the holdout value "
        "(ties get average ranks): 1 same order, 0 unrelated, -1 reversed.",
    ),
    "top_share_captured": (
        "metric",
        "Share of the total holdout value carried by the top 20 % (or 10 %) of customers by "
        "score; customers with tied scores count in part (average over their orders).",
    ),
    "perfect_foresight": (
        "metric",
        "Ceiling reference: ranking customers by their actual holdout value. Its top-share "
        "capture and Gini are the most any score can reach.",
    ),
    "random_floor": (
        "metric",
        "Floor reference: a random ranking. Expected top-share capture equals the top "
        "fraction itself (20 % of customers carry 20 % of the value); Gini 0; AUC 0.5.",
    ),
    "gains_curve": (
        "metric",
        "Cumulative share of holdout value against cumulative share of customers, taken in "
        "decreasing order of score.",
    ),
    "gains_gini": (
        "metric",
        "2 x area under the gains curve - 1: 0 for a random score, the outcome's own Gini for "
        "perfect foresight. Normalised: divided by that maximum (1 = perfect foresight).",
    ),
    "auc": (
        "metric",
        "Area under the ROC curve of the score for buying again in the holdout: probability "
        "that a returning customer outranks a non-returning one; 0.5 random, 1 perfect.",
    ),
    "mae": ("metric", "Mean absolute error per customer of predicted vs realised holdout value."),
    "rmse": (
        "metric",
        "Root mean squared error per customer of predicted vs realised holdout value.",
    ),
    "relative_mae": (
        "metric",
        "MAE divided by the mean realised value per customer (defined with zero spenders, "
        "unlike the MAPE).",
    ),
    "bias": (
        "metric",
        "Mean of predicted minus realised value per customer; positive = over-forecast.",
    ),
    "total_error_pct": (
        "metric",
        "100 x (total predicted - total realised holdout value) / total realised.",
    ),
    "eta_squared": (
        "metric",
        "Share of the variance of holdout value explained by the segments or clusters: "
        "between-group / total sum of squares. Grows with the number of groups k (stated).",
    ),
    "epsilon_squared": (
        "metric",
        "eta² corrected for the number of groups: (SS_between - (k-1) MS_within) / SS_total; "
        "about 0 for groups unrelated to the value.",
    ),
    "ari": (
        "metric",
        "Adjusted Rand index between two segmentations of the same customers: 1 identical, "
        "about 0 unrelated (chance-corrected pair agreement).",
    ),
    "nmi": (
        "metric",
        "Normalised mutual information between two segmentations: shared information over "
        "the mean of their entropies, 0 unrelated to 1 identical.",
    ),
    "migration_matrix": (
        "metric",
        "Customers by segment in one period (rows, plus 'new') and the next (columns, plus "
        "'gone'), as counts and as row shares.",
    ),
    # evaluation.py — the methods and references come from clvlib.compare.comparison.METHODS
    "top10_share": (
        "metric",
        "Share of the total holdout value carried by the top 10 % of customers by score.",
    ),
    "top20_share": (
        "metric",
        "Share of the total holdout value carried by the top 20 % of customers by score.",
    ),
    "top10_lift": (
        "metric",
        "Top-decile lift: mean holdout value of the top 10 % by score divided by the mean "
        "holdout value of all customers (top10_share / 0.1); 1 is random.",
    ),
    "mae_zero": (
        "metric",
        "MAE of forecasting 0 for every customer (the mean absolute holdout value): the MAE a "
        "money forecast must beat, since most customers buy nothing in a holdout.",
    ),
    "mae_skill": (
        "metric",
        "1 - MAE / mae_zero: share of the zero forecast's error that the forecast removes; "
        "0 or below means a forecast of 0 would do as well.",
    ),
    "paired_bootstrap_interval": (
        "metric",
        "Difference of a metric between two methods, recomputed on customer resamples drawn "
        "with replacement (the same resample for both); the 2.5 and 97.5 percentiles bound "
        "the 95 % interval. A winner is named only when it excludes 0.",
    ),
    "gains_gini_normalised": (
        "metric",
        "gains_gini divided by the gains Gini of perfect foresight: 1 ceiling, 0 random.",
    ),
    "n_groups": (
        "metric",
        "Number of non-empty groups behind eta² (segments, clusters, or 3 value tiers of the "
        "score for the other methods).",
    ),
    "total_predicted": ("metric", "Sum over customers of the predicted holdout value."),
    "total_realised": ("metric", "Sum over customers of the realised holdout value."),
    "spearman_truth": (
        "truth",
        "Spearman correlation of the score with the true expected holdout value "
        "(simulated data only).",
    ),
    "top20_share_truth": (
        "truth",
        "Share of the total true expected holdout value carried by the top 20 % by score.",
    ),
    "mae_truth": (
        "truth",
        "Mean absolute error per customer of the predicted vs the true expected holdout value.",
    ),
    "total_error_pct_truth": (
        "truth",
        "100 x (total predicted - total true expected holdout value) / total true expected.",
    ),
    "alive": (
        "truth",
        "The simulated customer had not dropped out by the end of the cut-off day.",
    ),
    "expected_orders": (
        "truth",
        "True expected number of orders in the holdout, (1 - exp(-lambda p h)) / p while "
        "alive (simulated data only).",
    ),
    "expected_value": (
        "truth",
        "True expected net value (after returns) of the holdout orders (simulated data only).",
    ),
    # heuristic.py — heuristic CLV and value tiers (domain.md §4, §5)
    "clv_simple": (
        "CLV",
        "Textbook simple CLV: [(average order value x purchases) - CAC] x margin "
        "(margin applied to the CAC too). AOV 90, 3 purchases, CAC 6, margin 20 % -> 52.80.",
    ),
    "clv_simple_cac_after_margin": (
        "CLV",
        "Simple CLV with the CAC paid out of the margin: AOV x purchases x margin - CAC. "
        "Same example -> 48.00.",
    ),
    "historic_clv": (
        "CLV",
        "Value brought to date: gross_profit where costs are known, else total_value "
        "(net of returns; negative for net returners).",
    ),
    "retention_rate": (
        "CLV",
        "s: survival rate per period = 1 - lapses / alive periods; a customer lapses after L "
        "periods without a purchase, L the 85 % quantile of the repeat gaps (Kaplan-Meier, the "
        "open spell after the last purchase censored). Not the "
        "period-to-period repeat rate (that one counts every skipped month as churn).",
    ),
    "lapse_periods": (
        "CLV",
        "L: periods without a purchase after which a customer counts as lapsed (85 % of the "
        "customers who came back did so within L periods).",
    ),
    "p_active": (
        "CLV",
        "Chance a customer is still active at the observation end: 1 while the last purchase "
        "is at most L periods ago, then s ** (periods since - L).",
    ),
    "expected_lifetime": ("CLV", "1 / churn = 1 / (1 - s) periods, the current one included."),
    "clv_lifetime": (
        "CLV",
        "Predictive heuristic CLV: margin per period x p_active x expected lifetime, "
        "undiscounted. Margin per period = net value (or gross profit) of the last 12 months "
        "/ max(min(tenure, 12), L) x margin, tenure = T in months + 1 (the first purchase's "
        "month).",
    ),
    "clv_discounted": (
        "CLV",
        "p_active x m x s / (1 + d - s): margin m of each future period, survived with "
        "probability s per period, discounted at rate d per period; the current period "
        "excluded.",
    ),
    "first_order_profit": (
        "CLV",
        "Profit of a customer's first order (amount - cost over its purchase lines, or amount "
        "x margin without costs); clv_multiple = predicted lifetime CLV / it.",
    ),
    "ltv_to_cac": (
        "CLV",
        "Mean lifetime CLV (margin, before CAC, undiscounted) / mean CAC of a channel; above 1 "
        "the channel pays back.",
    ),
    "payback_periods": (
        "CLV",
        "Mean CAC / mean margin a customer brings per period now (margin_per_period x "
        "p_active): months until the acquisition cost is earned back.",
    ),
    "return_share": (
        "tiers",
        "Returned value / gross purchase value (net value + returned value) of a tier.",
    ),
    "discount_shopper": (
        "CLV",
        "Customer who bought at least half of their purchase value on discount (the log's "
        "discounted flag); the others are full-price customers.",
    ),
    "decile_calibration": (
        "comparison",
        "Customers cut into ten bins by predicted value (1 = lowest, ties kept together): "
        "mean and total predicted vs realised holdout value per bin, ratio = predicted / "
        "realised (1 = calibrated).",
    ),
    "lifetime_multiple": (
        "CLV",
        "Mean lifetime CLV / mean margin of one year at the customers' current rate: a sanity "
        "check (below 1, a customer would be expected to leave within the year).",
    ),
    "predicted_value": (
        "CLV",
        "A money method's forecast of each customer's net revenue over a horizon, in "
        "currency, undiscounted: the one output name of every money forecast. Heuristic: net "
        "value of the last 12 months / max(min(tenure, 12), L) x p_active x (s + s^2 + ... + "
        "s^H), H in months, tenure = T in months + 1; BG/NBD + Gamma-Gamma: expected_clv; "
        "RFM cells: the mean next-period value of the customer's cell.",
    ),
    "predicted_clv": (
        "CLV",
        "Forecast CLV per customer in segment, tier and channel tables: the heuristic's "
        "clv_discounted (future margin, discounted, before CAC). Not historic_clv (value to "
        "date).",
    ),
    "value_tier": (
        "tiers",
        "Top 20 % / middle 60 % / bottom 20 % of customers ranked by value (gross_profit "
        "where known, else total_value), ties broken by customer_id ascending.",
    ),
    "share_of_value": (
        "tiers",
        "A group's value divided by the total value; negative or above 100 % when some "
        "customers lose money.",
    ),
    "gini": (
        "tiers",
        "Concentration of value: 2 x area under the concentration curve (best customers "
        "first) - 1. 0: all equal; near 1: a few customers carry everything.",
    ),
    # clustering.py — k-means clusters (domain.md §8)
    "cluster": (
        "k-means",
        "k-means cluster on log1p(max(x, 0)) of since_last_order, n_orders and total_value, "
        "standardised (net-negative values count as 0). A fit numbers its clusters by mean "
        "total_value, 0 the highest; a fit matched to a reference (later seeds or cut-offs) "
        "takes the label and name of the reference cluster with the nearest centre, so there "
        "label 0 is the counterpart of the reference's most valuable cluster, not always its "
        "own most valuable.",
    ),
    "cluster_name": (
        "k-means",
        "Words from the ranks of the cluster centres among the clusters of the same fit "
        "(best third / middle / worst third): recent-lapsing-lapsed, frequent-occasional-"
        "one-off (one-off only below 1.5 orders, else infrequent), high-mid-low value.",
    ),
    "inertia": (
        "k-means",
        "Sum of squared distances of customers to their cluster centre, in standardised "
        "units; always falls as k grows (look for the elbow).",
    ),
    "silhouette": (
        "k-means",
        "Mean over customers of (b - a) / max(a, b), a = mean distance to the own cluster, "
        "b = to the nearest other; -1 to 1, higher is better. Computed on a random sample.",
    ),
    "calinski_harabasz": (
        "k-means",
        "Between-cluster over within-cluster dispersion, each per degree of freedom; "
        "higher is better.",
    ),
    "davies_bouldin": (
        "k-means",
        "Mean over clusters of the worst ratio (spread_i + spread_j) / distance between "
        "centres i and j; lower is better, 0 is the floor.",
    ),
    "cluster_stability": (
        "k-means",
        "Mean adjusted Rand index between the clustering of all customers and refits on "
        "bootstrap resamples with other seeds, on a common sample; 1 = same clusters.",
    ),
}


def glossary(terms: list[str] | None = None) -> pd.DataFrame:
    """Return the glossary as a table (term, convention, definition).

    Parameters
    ----------
    terms : list of str, optional
        Only these terms, in this order; all terms when omitted.
    """
    known = dict(TERMS)
    for term, entry in _method_terms().items():
        known.setdefault(term, entry)
    names = list(known) if terms is None else terms
    unknown = [t for t in names if t not in known]
    if unknown:
        raise KeyError(f"no glossary entry for {unknown}; known terms: {sorted(known)}")
    rows = [(t, *known[t]) for t in names]
    return pd.DataFrame(rows, columns=["term", "convention", "definition"]).set_index("term")


def _method_terms() -> dict[str, tuple[str, str]]:
    """One entry per method of the comparison, written from its registry entry."""
    from clvlib.compare.registry import METHODS

    kind = {"method": "Method", "reference": "Reference", "floor": "Floor", "ceiling": "Ceiling"}
    return {
        name: (
            "comparison",
            f"{kind.get(spec.kind, spec.kind)}: {spec.score}. Forecasts {spec.forecasts}; "
            f"groups: {spec.grouping}.",
        )
        for name, spec in METHODS.items()
    }
