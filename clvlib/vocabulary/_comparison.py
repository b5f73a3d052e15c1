"""The comparison's metrics and methods in words.

Their computing and fitting live in :mod:`clvlib.compare`, whose registry has one entry for
each code here.

A metric is ``Term(label, unit, group, definition, direction, scale)``; a method is
``Method(label, unit, role, score, forecasts, grouping)``. Labels read inside a sentence.
"""

from __future__ import annotations

from clvlib.vocabulary._terms import Measure, Method, Term

#: code -> a metric of the comparison (its ``truth`` group: distance from the simulated truth)
METRICS: dict[str, Term] = {
    "spearman": Term(
        "Spearman",
        "number",
        "metric",
        (
            "Spearman rank correlation of the calibration score with the holdout value (ties get "
            "average ranks): 1 same order, 0 unrelated, -1 reversed."
        ),
        "higher",
        "-1..1",
    ),
    "top10_share": Term(
        "top 10 % share",
        "share",
        "metric",
        "Share of the total holdout value carried by the top 10 % of customers by score.",
        "higher",
        "share",
    ),
    "top20_share": Term(
        "top 20 % share",
        "share",
        "metric",
        "Share of the total holdout value carried by the top 20 % of customers by score.",
        "higher",
        "share",
    ),
    "gains_gini": Term(
        "gains Gini",
        "number",
        "metric",
        (
            "2 x area under the gains curve - 1: 0 for a random score, the outcome's own Gini for"
            " perfect foresight. Normalised: divided by that maximum (1 = perfect foresight)."
        ),
        "higher",
        "-1..1",
    ),
    "gains_gini_normalised": Term(
        "gains Gini (normalised)",
        "number",
        "metric",
        "gains_gini divided by the gains Gini of perfect foresight: 1 ceiling, 0 random.",
        "higher",
        "0..1",
    ),
    "top10_lift": Term(
        "top 10 % lift",
        "number",
        "metric",
        (
            "Top-decile lift: mean holdout value of the top 10 % by score divided by the mean "
            "holdout value of all customers (top10_share / 0.1); 1 is random."
        ),
        "higher",
        "ratio",
    ),
    "auc": Term(
        "AUC",
        "number",
        "metric",
        (
            "Area under the ROC curve of the score for buying again in the holdout: probability "
            "that a returning customer outranks a non-returning one; 0.5 random, 1 perfect."
        ),
        "higher",
        "0..1",
    ),
    "eta_squared": Term(
        "eta squared (variance explained)",
        "share",
        "metric",
        (
            "Share of the variance of holdout value explained by the segments or clusters: "
            "between-group / total sum of squares. Grows with the number of groups k (stated)."
        ),
        "higher",
        "share",
    ),
    "epsilon_squared": Term(
        "epsilon squared (variance explained)",
        "share",
        "metric",
        (
            "eta² corrected for the number of groups: (SS_between - (k-1) MS_within) / SS_total; "
            "about 0 for groups unrelated to the value."
        ),
        "higher",
        "share",
    ),
    "n_groups": Term(
        "number of groups",
        "count",
        "metric",
        (
            "Number of non-empty groups behind eta² (segments, clusters, or 3 value tiers of the "
            "score for the other methods)."
        ),
        "none",
        "count",
    ),
    "mae": Term(
        "MAE",
        "money",
        "metric",
        "Mean absolute error per customer of predicted vs realised holdout value.",
        "lower",
        "currency",
    ),
    "mae_zero": Term(
        "MAE of forecasting 0",
        "money",
        "metric",
        (
            "MAE of forecasting 0 for every customer (the mean absolute holdout value): the MAE a"
            " money forecast must beat, since most customers buy nothing in a holdout."
        ),
        "none",
        "currency",
    ),
    "mae_skill": Term(
        "MAE skill (vs forecasting 0)",
        "share",
        "metric",
        (
            "1 - MAE / mae_zero: share of the zero forecast's error that the forecast removes; 0 "
            "or below means a forecast of 0 would do as well."
        ),
        "higher",
        "share",
    ),
    "rmse": Term(
        "RMSE",
        "money",
        "metric",
        "Root mean squared error per customer of predicted vs realised holdout value.",
        "lower",
        "currency",
    ),
    "relative_mae": Term(
        "relative MAE",
        "number",
        "metric",
        (
            "MAE divided by the mean realised value per customer (defined with zero spenders, "
            "unlike the MAPE)."
        ),
        "lower",
        "ratio",
    ),
    "bias": Term(
        "bias",
        "money",
        "metric",
        "Mean of predicted minus realised value per customer; positive = over-forecast.",
        "zero",
        "currency",
    ),
    "total_predicted": Term(
        "total predicted",
        "money",
        "metric",
        "Sum over customers of the predicted holdout value.",
        "none",
        "currency",
    ),
    "total_realised": Term(
        "total realised",
        "money",
        "metric",
        "Sum over customers of the realised holdout value.",
        "none",
        "currency",
    ),
    "total_error_pct": Term(
        "total error (%)",
        "number",
        "metric",
        "100 x (total predicted - total realised holdout value) / total realised.",
        "zero",
        "%",
    ),
    "spearman_truth": Term(
        "Spearman with true value",
        "number",
        "truth",
        (
            "Spearman correlation of the score with the true expected holdout value (simulated "
            "data only)."
        ),
        "higher",
        "-1..1",
    ),
    "top20_share_truth": Term(
        "top 20 % share of true value",
        "share",
        "truth",
        "Share of the total true expected holdout value carried by the top 20 % by score.",
        "higher",
        "share",
    ),
    "mae_truth": Term(
        "MAE vs true value",
        "money",
        "truth",
        ("Mean absolute error per customer of the predicted vs the true expected holdout value."),
        "lower",
        "currency",
    ),
    "total_error_pct_truth": Term(
        "total error vs true value (%)",
        "number",
        "truth",
        "100 x (total predicted - total true expected holdout value) / total true expected.",
        "zero",
        "%",
    ),
}
#: code -> a method of the comparison, in report order (contenders, then references)
METHODS: dict[str, Method] = {
    "heuristic_clv": Method(
        "heuristic CLV",
        "money",
        "method",
        (
            "Heuristic forecast of the holdout value: the net value per month of the last "
            "12 months (or of the customer's tenure, if shorter, but over at least L months), "
            "times the chance the customer is still active, summed over the holdout months with "
            "the chance of staying shrinking by the survival rate every month (one survival "
            "rate and lapse threshold L, fitted on the calibration log)"
        ),
        "holdout value (currency)",
        "value tiers of the score (top 20 % / middle 60 % / bottom 20 %)",
    ),
    "rfm": Method(
        "RFM",
        "number",
        "method",
        "the RFM score: the sum of the recency, frequency and monetary scores (1 to 5 each, "
        "5 the best), with quantile edges learned on calibration",
        "a ranking (no money forecast)",
        "segments of the rule set",
    ),
    "kmeans": Method(
        "k-means",
        "number",
        "method",
        (
            "mean calibration total value of the customer's k-means cluster (clusters fitted on "
            "calibration; the score is constant within a cluster)"
        ),
        "a ranking of clusters (no money forecast)",
        "k-means clusters",
    ),
    "hiatus": Method(
        "hiatus heuristic",
        "number",
        "method",
        (
            "active when the last purchase is at most x days before calibration_end (x: the "
            "quantile of calibration inter-purchase gaps most accurate on a split inside "
            "calibration); active customers ranked by average spend per order, inactive at 0"
        ),
        "who buys again (active / inactive), ranked by average spend (no money forecast)",
        "active / inactive",
    ),
    "gbm": Method(
        "gradient boosting",
        "money",
        "method",
        (
            "scikit-learn gradient boosting (untuned, Poisson loss) on calibration-period "
            "features (recency, tenure, orders, value, returns share, rates), trained on a window "
            "shifted one holdout length back inside calibration: features at its start, target "
            "the net value in the following holdout length"
        ),
        "holdout value (currency); absent, with the reason, when calibration is shorter than "
        "two holdout lengths of history",
        "value tiers of the score",
    ),
    "rfm_cells": Method(
        "RFM cells",
        "money",
        "reference",
        (
            "mean next-period value of the customer's R x F x M cell, learned inside calibration "
            "(cells scored at a split one holdout length before calibration_end, their mean value"
            " over the rest of calibration shrunk towards the overall mean by 20 customers)"
        ),
        "holdout value (currency): the cell's mean next-period value, scaled to the holdout",
        "value tiers of the score",
    ),
    "bgnbd_gg": Method(
        "BG/NBD + Gamma-Gamma",
        "money",
        "reference",
        (
            "expected purchases in the holdout (BG/NBD) x expected value per purchase "
            "(Gamma-Gamma on spend scaled by its mean), both fitted by maximum likelihood on "
            "calibration"
        ),
        "holdout value (currency)",
        "value tiers of the score",
    ),
    "pareto_nbd": Method(
        "Pareto/NBD + Gamma-Gamma",
        "money",
        "reference",
        (
            "expected purchases in the holdout (Pareto/NBD: customers may drop out at any time) x "
            "the same expected value per purchase as BG/NBD + Gamma-Gamma, both fitted by maximum "
            "likelihood on calibration"
        ),
        "holdout value (currency)",
        "value tiers of the score",
    ),
    "naive_spend": Method(
        "naive: calibration spend",
        "money",
        "reference",
        "calibration total_value x holdout length / calibration length (ranks as total_value)",
        "holdout value (currency): the customer keeps the spend rate of the whole calibration",
        "value tiers of the score (the 20 / 60 / 20 tiers of historic value)",
    ),
    "recent_spend": Method(
        "recent spend (90 days)",
        "money",
        "reference",
        "net spend in the last 90 days of calibration x holdout length / 90 days",
        "holdout value (currency): the customer keeps the spend rate of the last 90 days",
        "value tiers of the score",
    ),
    "random": Method(
        "random",
        "number",
        "floor",
        "uniform random numbers, seed random_state",
        "nothing: the floor any method must beat",
        "value tiers of the score",
    ),
    "perfect_foresight": Method(
        "perfect foresight",
        "number",
        "ceiling",
        "the holdout value itself (not available at calibration_end)",
        "the ceiling of every ranking metric",
        "value tiers of the holdout value",
    ),
}

#: metric -> the measures a winner is named on (the ranking metrics), in words
MEASURES: dict[str, Measure] = {
    "spearman": Measure(
        "Ranking (Spearman with holdout value)",
        "Ranking of customers by future value (Spearman correlation)",
        "best ranking (Spearman)",
        "ranking (Spearman)",
    ),
    "top20_share": Measure(
        "Holdout value captured by the top 20 %",
        "Share of future value in the top 20 % the method picks",
        "best top 20 % capture",
        "top 20 % capture",
    ),
    "auc": Measure(
        "Buying again (AUC)",
        "Telling who buys again from who does not (AUC)",
        "best at who buys again (AUC)",
        "who buys again (AUC)",
    ),
}
