"""Which method finds tomorrow's valuable customers.

The split, the metrics, the method registry, the holdout comparison, rolling origins, the
winner rule and the verdict across data sets. Imports only from :mod:`clvlib.methods` and
:mod:`clvlib.data` (and :mod:`clvlib.vocabulary`).
"""
