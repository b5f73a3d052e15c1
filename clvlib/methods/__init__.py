"""The methods that value and segment customers.

Heuristic CLV, RFM scores and rule sets,
k-means clusters and the probabilistic (BTYD) models. Estimators of one scikit-learn shape.

Imports only from :mod:`clvlib.data` (and :mod:`clvlib.vocabulary`).
"""
