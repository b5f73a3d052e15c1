"""The columns and concepts a page shows, in words.

The glossary's terms other than the comparison's methods and metrics
(:mod:`clvlib.vocabulary._comparison`).

Each :class:`~clvlib.vocabulary.Term` is ``Term(label, unit, group, definition)``; a label is
written as it reads inside a sentence. Durations are in the summary's time unit.
"""

from __future__ import annotations

from clvlib.vocabulary._terms import Term

#: code -> label, unit, convention and definition of a column or concept
COLUMNS: dict[str, Term] = {
    "frequency": Term(
        "frequency",
        "count",
        "BTYD",
        (
            "Repeat purchase periods: distinct purchase days (periods) minus 1. Several orders on"
            " one day are one purchase."
        ),
    ),
    "recency": Term(
        "recency",
        "number",
        "BTYD",
        (
            "Age of the customer at the last purchase: last purchase minus first purchase. High "
            "is good. Not 'time since last order'."
        ),
    ),
    "T": Term(
        "customer age (T)",
        "number",
        "BTYD",
        "Age of the customer: observation end minus first purchase.",
    ),
    "monetary_value": Term(
        "monetary value",
        "money",
        "BTYD",
        (
            "Mean value of the repeat purchase periods (first period excluded); 0 when frequency "
            "is 0."
        ),
    ),
    "since_last_order": Term(
        "since last order",
        "number",
        "RFM",
        "R: observation end minus last purchase ('days since last order'). Low is good.",
    ),
    "n_orders": Term(
        "N orders", "count", "RFM", "F: number of distinct orders, the first one included."
    ),
    "total_value": Term(
        "total value",
        "money",
        "RFM",
        "M (total): purchases minus returns to the observation end (net).",
    ),
    "avg_order_value": Term(
        "average order value",
        "money",
        "RFM",
        "M (average): gross purchase value divided by n_orders.",
    ),
    "returned_value": Term(
        "returned value",
        "money",
        "RFM",
        "Value of returned or cancelled lines (a positive number).",
    ),
    "gross_profit": Term(
        "gross profit",
        "money",
        "RFM",
        "total_value minus the cost of the goods (when costs are known).",
    ),
    "first_purchase": Term(
        "first purchase", None, "RFM", "Timestamp of the customer's first purchase line."
    ),
    "last_purchase": Term(
        "last purchase",
        None,
        "RFM",
        "Timestamp of the customer's last purchase line on or before the observation end.",
    ),
    "holdout_orders": Term(
        "holdout orders",
        "count",
        "holdout",
        "Distinct purchase orders in the holdout period (calibration end, holdout end].",
    ),
    "holdout_value": Term(
        "holdout value", "money", "holdout", "Purchases minus returns in the holdout period (net)."
    ),
    "holdout_purchase_periods": Term(
        "holdout purchase periods",
        "count",
        "holdout",
        "Distinct purchase days (periods) in the holdout; lifetimes' frequency_holdout.",
    ),
    "bought_again": Term(
        "bought again", None, "holdout", "At least one purchase in the holdout period."
    ),
    "holdout_length": Term(
        "holdout length",
        "number",
        "holdout",
        "Holdout end period minus calibration end period, in the summary's time unit.",
    ),
    "observation_end": Term(
        "observation end",
        None,
        "both",
        "Cut-off date, whole day included; nothing after it is used.",
    ),
    "netted": Term(
        "netted",
        None,
        "audit",
        (
            "A return or cancellation line (negative quantity or value, or a cancellation "
            "invoice): kept in the log with a negative amount, never dropped."
        ),
    ),
    "dropped": Term(
        "dropped",
        None,
        "audit",
        (
            "An input line left out for the first stated reason that applies (no customer id, bad"
            " date or value, after observation end, non-product, duplicate, non-positive price, "
            "zero quantity)."
        ),
    ),
    "input_value": Term(
        "input value",
        "money",
        "audit",
        (
            "Sum of the line values (amount, or quantity x unit price; returns negative) of all "
            "input rows; rows whose value is missing or unparseable count 0."
        ),
    ),
    "r_score": Term(
        "R score",
        "number",
        "RFM",
        (
            "Recency score 1..n (quintiles: n = 5), n = most recent (lowest since_last_order), "
            "from quantile edges learned on the fitting period; ties go to the lower score."
        ),
    ),
    "f_score": Term(
        "F score",
        "number",
        "RFM",
        (
            "Frequency score 1..n of n_orders, n = most orders. Ties (many one-order customers) "
            "give fewer bins; their scores are spread over 1..n (worst 1, best n) and reported."
        ),
    ),
    "m_score": Term(
        "M score",
        "number",
        "RFM",
        (
            "Monetary score 1..n, n = highest value; of total_value unless stated otherwise "
            "(avg_order_value or gross_profit). Absent in RF-only scores."
        ),
    ),
    "rfm_code": Term(
        "RFM code",
        "text",
        "RFM",
        (
            "R, F and M scores written one after the other, e.g. '545' ('54' when RF-only): what "
            "segment rules and patterns read."
        ),
    ),
    "rfm_score": Term(
        "RFM score", "number", "RFM", "Sum of the R, F and M scores (R + F when RF-only)."
    ),
    "segment": Term(
        "segment",
        "text",
        "RFM",
        (
            "Segment from an ordered rule set on the scores: the first matching rule wins, "
            "customers no rule matches are 'Others'."
        ),
    ),
    "recommended_action": Term(
        "recommended action",
        "text",
        "RFM",
        "What to do with a segment (the playbook), stated in the rule set next to the rule.",
    ),
    "bgnbd": Term(
        "BG/NBD",
        None,
        "model",
        (
            "BG/NBD (Fader, Hardie & Lee 2005): while alive a customer buys at a Poisson rate ~ "
            "Gamma(r, alpha) and after each repeat purchase drops out with probability ~ Beta(a, "
            "b); fitted by maximum likelihood on frequency, recency and T."
        ),
    ),
    "gamma_gamma": Term(
        "gamma gamma",
        None,
        "model",
        (
            "Gamma-Gamma (Fader & Hardie): purchase values ~ Gamma(p, nu), nu ~ Gamma(q, v) per "
            "customer; fitted on repeat customers' monetary_value. Assumes spend per purchase is "
            "independent of frequency (checked by their correlation)."
        ),
    ),
    "expected_purchases": Term(
        "expected purchases",
        "count",
        "model",
        (
            "BG/NBD expected number of purchases in the next horizon given the customer's "
            "frequency, recency and T."
        ),
    ),
    "probability_alive": Term(
        "probability alive",
        "share",
        "model",
        (
            "BG/NBD probability that the customer has not dropped out by the observation end (1 "
            "for customers without repeat purchases)."
        ),
    ),
    "expected_average_value": Term(
        "expected average value",
        "money",
        "model",
        (
            "Gamma-Gamma expected value per future purchase: the customer's monetary_value shrunk"
            " towards the population mean p v / (q - 1), more so the fewer purchases."
        ),
    ),
    "expected_clv": Term(
        "expected CLV",
        "money",
        "model",
        (
            "BG/NBD + Gamma-Gamma forecast: expected_purchases x expected_average_value over the "
            "horizon (revenue, undiscounted unless a discount rate is stated); the comparison "
            "reports it as that model's predicted_value."
        ),
    ),
    "top_share_captured": Term(
        "top share captured",
        "share",
        "metric",
        (
            "Share of the total holdout value carried by the top 20 % (or 10 %) of customers by "
            "score; customers with tied scores count in part (average over their orders)."
        ),
    ),
    "random_floor": Term(
        "random floor",
        None,
        "metric",
        (
            "Floor reference: a random ranking. Expected top-share capture equals the top "
            "fraction itself (20 % of customers carry 20 % of the value); Gini 0; AUC 0.5."
        ),
    ),
    "gains_curve": Term(
        "gains curve",
        None,
        "metric",
        (
            "Cumulative share of holdout value against cumulative share of customers, taken in "
            "decreasing order of score."
        ),
    ),
    "ari": Term(
        "ARI",
        "number",
        "metric",
        (
            "Adjusted Rand index between two segmentations of the same customers: 1 identical, "
            "about 0 unrelated (chance-corrected pair agreement)."
        ),
    ),
    "nmi": Term(
        "NMI",
        "number",
        "metric",
        (
            "Normalised mutual information between two segmentations: shared information over the"
            " mean of their entropies, 0 unrelated to 1 identical."
        ),
    ),
    "migration_matrix": Term(
        "migration matrix",
        None,
        "metric",
        (
            "Customers by segment in one period (rows, plus 'new') and the next (columns, plus "
            "'gone'), as counts and as row shares."
        ),
    ),
    "paired_bootstrap_interval": Term(
        "paired bootstrap interval",
        None,
        "metric",
        (
            "Difference of a metric between two methods, recomputed on customer resamples drawn "
            "with replacement (the same resample for both); the 2.5 and 97.5 percentiles bound "
            "the 95 % interval. A winner is named only when it excludes 0."
        ),
    ),
    "alive": Term(
        "alive",
        None,
        "truth",
        "The simulated customer had not dropped out by the end of the cut-off day.",
    ),
    "expected_orders": Term(
        "expected orders",
        "count",
        "truth",
        (
            "True expected number of orders in the holdout, (1 - exp(-lambda p h)) / p while "
            "alive (simulated data only)."
        ),
    ),
    "expected_value": Term(
        "expected value",
        "money",
        "truth",
        "True expected net value (after returns) of the holdout orders (simulated data only).",
    ),
    "clv_simple": Term(
        "CLV simple",
        "money",
        "CLV",
        (
            "Textbook simple CLV: [(average order value x purchases) - CAC] x margin (margin "
            "applied to the CAC too). AOV 90, 3 purchases, CAC 6, margin 20 % -> 52.80."
        ),
    ),
    "clv_simple_cac_after_margin": Term(
        "CLV simple CAC after margin",
        "money",
        "CLV",
        (
            "Simple CLV with the CAC paid out of the margin: AOV x purchases x margin - CAC. Same"
            " example -> 48.00."
        ),
    ),
    "historic_clv": Term(
        "historic CLV",
        "money",
        "CLV",
        (
            "Value brought to date: gross_profit where costs are known, else total_value (net of "
            "returns; negative for net returners)."
        ),
    ),
    "retention_rate": Term(
        "retention rate",
        "share",
        "CLV",
        (
            "s: survival rate per period = 1 - lapses / alive periods; a customer lapses after L "
            "periods without a purchase, L the 85 % quantile of the repeat gaps (Kaplan-Meier, "
            "the open spell after the last purchase censored). Not the period-to-period repeat "
            "rate (that one counts every skipped month as churn)."
        ),
    ),
    "lapse_periods": Term(
        "lapse periods",
        "number",
        "CLV",
        (
            "L: periods without a purchase after which a customer counts as lapsed (85 % of the "
            "customers who came back did so within L periods)."
        ),
    ),
    "p_active": Term(
        "P active",
        "share",
        "CLV",
        (
            "Chance a customer is still active at the observation end: 1 while the last purchase "
            "is at most L periods ago, then the survival rate once more for every period beyond "
            "L (two periods beyond: the rate times itself)."
        ),
    ),
    "expected_lifetime": Term(
        "expected lifetime",
        "number",
        "CLV",
        "1 / churn = 1 / (1 - s) periods, the current one included.",
    ),
    "clv_lifetime": Term(
        "CLV lifetime",
        "money",
        "CLV",
        (
            "Predictive heuristic CLV: margin per period x p_active x expected lifetime, "
            "undiscounted. Margin per period = net value (or gross profit) of the last 12 months "
            "/ max(min(tenure, 12), L) x margin, tenure = T in months + 1 (the first purchase's "
            "month)."
        ),
    ),
    "clv_discounted": Term(
        "CLV discounted",
        "money",
        "CLV",
        (
            "p_active x m x s / (1 + d - s): margin m of each future period, survived with "
            "probability s per period, discounted at rate d per period; the current period "
            "excluded."
        ),
    ),
    "first_order_profit": Term(
        "first order profit",
        "money",
        "CLV",
        (
            "Profit of a customer's first order (amount - cost over its purchase lines, or amount"
            " x margin without costs); the CLV in first orders is the predicted CLV divided by it."
        ),
    ),
    "ltv_to_cac": Term(
        "LTV : CAC",
        "number",
        "CLV",
        (
            "Mean lifetime CLV (margin, before CAC, undiscounted) / mean CAC of a channel; above "
            "1 the channel pays back."
        ),
    ),
    "payback_periods": Term(
        "payback (periods of margin)",
        "number",
        "CLV",
        (
            "Mean CAC / mean margin a customer brings per period now (margin_per_period x "
            "p_active): months until the acquisition cost is earned back."
        ),
    ),
    "return_share": Term(
        "return share",
        "share",
        "tiers",
        "Returned value / gross purchase value (net value + returned value) of a tier.",
    ),
    "discount_shopper": Term(
        "discount shopper",
        None,
        "CLV",
        (
            "Customer who bought at least half of their purchase value on discount (the log's "
            "discounted flag); the others are full-price customers."
        ),
    ),
    "decile_calibration": Term(
        "decile calibration",
        None,
        "comparison",
        (
            "Customers cut into ten bins by predicted value (1 = lowest, ties kept together): "
            "mean and total predicted vs realised holdout value per bin, ratio = predicted / "
            "realised (1 = calibrated)."
        ),
    ),
    "lifetime_multiple": Term(
        "lifetime multiple",
        "number",
        "CLV",
        (
            "Mean lifetime CLV / mean margin of one year at the customers' current rate: a sanity"
            " check (below 1, a customer would be expected to leave within the year)."
        ),
    ),
    "predicted_value": Term(
        "predicted value",
        "money",
        "CLV",
        (
            "A money method's forecast of each customer's net revenue over a horizon, in "
            "currency, undiscounted: the one output name of every money forecast. Heuristic: net "
            "value of the last 12 months / max(min(tenure, 12), L) x p_active x (s + s^2 + ... + "
            "s^H), H in months, tenure = T in months + 1; BG/NBD + Gamma-Gamma: expected_clv; RFM"
            " cells: the mean next-period value of the customer's cell."
        ),
    ),
    "predicted_clv": Term(
        "predicted CLV",
        "money",
        "CLV",
        (
            "Forecast CLV per customer in segment, tier and channel tables: the heuristic's "
            "clv_discounted (future margin, discounted, before CAC). Not historic_clv (value to "
            "date)."
        ),
    ),
    "value_tier": Term(
        "value tier",
        "text",
        "tiers",
        (
            "Top 20 % / middle 60 % / bottom 20 % of customers ranked by value (gross_profit "
            "where known, else total_value), ties broken by customer_id ascending."
        ),
    ),
    "share_of_value": Term(
        "share of value",
        "share",
        "tiers",
        (
            "A group's value divided by the total value; negative or above 100 % when some "
            "customers lose money."
        ),
    ),
    "gini": Term(
        "Gini",
        "number",
        "tiers",
        (
            "Concentration of value: 2 x area under the concentration curve (best customers "
            "first) - 1. 0: all equal; near 1: a few customers carry everything."
        ),
    ),
    "cluster": Term(
        "cluster",
        "text",
        "k-means",
        (
            "k-means cluster on log1p(max(x, 0)) of since_last_order, n_orders and total_value, "
            "standardised (net-negative values count as 0). A fit numbers its clusters by mean "
            "total_value, 0 the highest; a fit matched to a reference (later seeds or cut-offs) "
            "takes the label and name of the reference cluster with the nearest centre, so there "
            "label 0 is the counterpart of the reference's most valuable cluster, not always its "
            "own most valuable."
        ),
    ),
    "cluster_name": Term(
        "cluster name",
        "text",
        "k-means",
        (
            "Words from the cluster centres. Time since the last order by fixed ranges: recent "
            "(under 90 days), cooling (90 to 180), lapsing (180 to 365), lapsed (a year or "
            "more). Orders and value by the ranks of the centres among the clusters of the same"
            " fit (best third / middle / worst third): frequent-occasional-one-off (one-off only"
            " below 1.5 orders, else infrequent), high-mid-low value (no value below 1 currency"
            " unit)."
        ),
    ),
    "inertia": Term(
        "inertia",
        "number",
        "k-means",
        (
            "Sum of squared distances of customers to their cluster centre, in standardised "
            "units; always falls as k grows (look for the elbow)."
        ),
    ),
    "silhouette": Term(
        "silhouette",
        "number",
        "k-means",
        (
            "Mean over customers of (b - a) / max(a, b), a = mean distance to the own cluster, b "
            "= to the nearest other; -1 to 1, higher is better. Computed on a random sample."
        ),
    ),
    "calinski_harabasz": Term(
        "calinski harabasz",
        "number",
        "k-means",
        (
            "Between-cluster over within-cluster dispersion, each per degree of freedom; higher "
            "is better."
        ),
    ),
    "davies_bouldin": Term(
        "davies bouldin",
        "number",
        "k-means",
        (
            "Mean over clusters of the worst ratio (spread_i + spread_j) / distance between "
            "centres i and j; lower is better, 0 is the floor."
        ),
    ),
    "cluster_stability": Term(
        "cluster stability",
        "number",
        "k-means",
        (
            "Mean adjusted Rand index between the clustering of all customers and refits on "
            "bootstrap resamples with other seeds, on a common sample; 1 = same clusters."
        ),
    ),
    "aov": Term(
        "average order value",
        "money",
        "RFM",
        "Average order value: gross purchase value divided by n_orders (avg_order_value).",
    ),
    "cac": Term(
        "acquisition cost (CAC)",
        "money",
        "CLV",
        (
            "Acquisition cost of one customer, in currency: a column of the log or a parameter "
            "of the report."
        ),
    ),
    "clv": Term(
        "CLV",
        "money",
        "CLV",
        (
            "Customer lifetime value: historic_clv (value to date) or a forecast (predicted_clv, "
            "clv_lifetime), as the column's page states."
        ),
    ),
    "change": Term(
        "change of the lever",
        "share",
        "CLV",
        (
            "CLV sensitivity: relative change applied to one lever (average order value, "
            "purchases, CAC or margin), e.g. -0.1."
        ),
    ),
    "delta": Term(
        "change of CLV",
        "money",
        "CLV",
        "CLV sensitivity: CLV with the lever changed minus the base CLV, in currency.",
    ),
    "delta_pct": Term(
        "change of CLV (relative)",
        "share",
        "CLV",
        "CLV sensitivity: delta / |base CLV| (missing when the base CLV is 0).",
    ),
    "ci_low": Term(
        "interval, low",
        "number",
        "comparison",
        "Lower end of the paired bootstrap interval of a difference between two methods.",
    ),
    "ci_high": Term(
        "interval, high",
        "number",
        "comparison",
        "Upper end of the paired bootstrap interval of a difference between two methods.",
    ),
}
