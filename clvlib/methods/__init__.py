"""The methods that value and segment customers: estimators of one scikit-learn shape.

One concept per module, in the order they build on each other:

- ``value`` — the value basis (profit where costs are known, else margin x revenue) and
  historic CLV; ``formulas`` — the closed-form CLV formulas; ``survival`` — retention and
  survival rates from the log; ``heuristic`` — :class:`HeuristicCLV`; ``analyses`` — the
  seeds' questions (first order, channels, discounts, retention policies); ``tiers`` —
  value tiers and the Lorenz curve;
- ``rfm`` — :class:`RFMScorer`; ``rules`` — rule sets (``segments/*.yaml``) and
  assignment; ``segment_tables`` — segment profiles and the CRM export;
- ``clustering`` — :class:`CustomerClusterer`; ``cluster_names``, ``cluster_profiles``,
  ``k_choice`` (``choose_k`` and the one reading of ``n_clusters="auto"``);
- ``likelihood`` — the maximum-likelihood machinery; ``bgnbd`` — :class:`BetaGeoModel`;
  ``gamma_gamma`` — :class:`GammaGammaModel`; ``btyd`` — :class:`ProbabilisticCLV`.

Imports only from :mod:`clvlib.data` (and :mod:`clvlib.vocabulary`).
"""
