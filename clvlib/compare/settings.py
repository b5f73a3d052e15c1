"""The comparison's settings: one frozen, typed object, built from report parameters in one place.

:class:`ComparisonSettings` holds every knob of :func:`clvlib.compare.comparison.compare_methods`
apart from the split (:class:`clvlib.compare.split.Split`) and the data. Each method of the
registry declares which of its fields it reads (``MethodSpec.options``) and sees only those;
:meth:`ComparisonSettings.key` is the stable hash a cache of results is keyed by;
:meth:`ComparisonSettings.resolve_k` is the one reading of ``n_clusters="auto"``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import types
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from clvlib.compare.metrics import BOOTSTRAP_MAX_CUSTOMERS
from clvlib.methods.k_choice import K_CHOICE_MAX_CUSTOMERS, given_k, resolve_n_clusters
from clvlib.methods.rules import RuleSet, load_rules

__all__ = ["COMPARISON_OPTIONS", "PARAM_NAMES", "VALUE_BASES", "ComparisonSettings"]

#: report parameter -> settings field, where the names differ (the rest are the same)
PARAM_NAMES: dict[str, str] = {"bgnbd_penalizer": "penalizer", "gg_penalizer": "penalizer_gg"}

#: the fields the comparison itself reads (intervals, the choice of k), not a method
COMPARISON_OPTIONS: tuple[str, ...] = (
    "n_resamples",
    "confidence",
    "bootstrap_max_customers",
    "k_choice_max_customers",
    "random_state",
    "n_clusters",
    "k_choice",
    "value_basis",
    "margin",
)

#: how ``n_clusters`` was decided when it was given as a number
GIVEN = "given"

#: the value bases money can be compared on, in words (``ComparisonSettings.value_basis``)
VALUE_BASES: dict[str, str] = {
    "net": "net of returns (purchases minus returns), margin not applied, undiscounted",
    "net_margin": "net of returns (purchases minus returns) x the margin, undiscounted",
}


@dataclass(frozen=True)
class ComparisonSettings:
    """Every setting of the method comparison, checked when built.

    Parameters
    ----------
    n_bins : int, default 5
        RFM score levels (the rule set's scale must match).
    rule_set : str, path or RuleSet, default "r_rfm"
        Segment rules (:func:`clvlib.load_rules`); held as the loaded RuleSet.
    n_clusters : int or "auto", default 5
        Number of k-means clusters; "auto" is resolved on the calibration summary by
        :meth:`resolve_k`.
    random_state : int, default 0
        Seed of k-means, of the random ranking and of the bootstrap.
    heuristic_period : {"D", "W", "M", "Q", "Y"}, default "M"
        Period of the heuristic retention rate.
    penalizer : float, default 0.0
        L2 penalty of the BG/NBD fit.
    penalizer_gg : float, optional
        L2 penalty of the Gamma-Gamma fit; default ``penalizer``.
    recent_days : int, default 90
        Window of the ``recent_spend`` reference, in days before ``calibration_end``.
    value_basis : {"net", "net_margin"}, default "net"
        The one basis of money: every money forecast, every reference and the realised
        holdout value are net of returns (purchases minus returns), undiscounted; "net_margin"
        multiplies all of them by ``margin`` (a gross margin, the same for everyone).
        Gamma-Gamma is fitted on net spend per purchase either way.
    margin : float, default 0.3
        Gross margin, a fraction of revenue, applied when ``value_basis="net_margin"``.
    gbm_loss : {"poisson", "squared_error"}, default "poisson"
        Loss of the gradient-boosting contender
        (:class:`~clvlib.methods.boosting.BoostedValueModel`).
    n_resamples : int, default 300
        Paired customer bootstrap resamples (at least 100).
    confidence : float, default 0.95
        Level of the bootstrap intervals, in (0, 1).
    bootstrap_max_customers, k_choice_max_customers : int or None, default 200,000
        Above this many customers the intervals, and the choice of k, use a fixed random
        sample of that size (at least 100; None: everyone).
    k_choice : str, default "given"
        How ``n_clusters`` was decided: "given", or after :meth:`resolve_k` the words of the
        automatic choice. Recorded with the result.

    Examples
    --------
    >>> s = ComparisonSettings(n_clusters=4, penalizer=0.1)
    >>> s.penalizer_gg, s.rule_set.name
    (0.1, 'r_rfm')
    >>> s.key() == ComparisonSettings(n_clusters=4, penalizer=0.1).key()
    True
    >>> s.key() == ComparisonSettings(n_clusters=5, penalizer=0.1).key()
    False
    """

    n_bins: int = 5
    rule_set: RuleSet | str | os.PathLike = "r_rfm"
    n_clusters: int | str = 5
    random_state: int = 0
    heuristic_period: str = "M"
    penalizer: float = 0.0
    penalizer_gg: float | None = None
    recent_days: int = 90
    value_basis: str = "net"
    margin: float = 0.3
    gbm_loss: str = "poisson"
    n_resamples: int = 300
    confidence: float = 0.95
    bootstrap_max_customers: int | None = BOOTSTRAP_MAX_CUSTOMERS
    k_choice_max_customers: int | None = K_CHOICE_MAX_CUSTOMERS
    k_choice: str = GIVEN

    def __post_init__(self) -> None:
        fix = object.__setattr__
        fix(self, "n_resamples", _check_resamples(self.n_resamples))
        for name in ("bootstrap_max_customers", "k_choice_max_customers"):
            fix(self, name, _check_cap(name, getattr(self, name), 100))
        if not 0 < self.confidence < 1:
            raise ValueError(f"confidence must be in (0, 1), got {self.confidence}")
        fix(self, "confidence", float(self.confidence))
        fix(self, "rule_set", load_rules(self.rule_set))
        fix(self, "n_bins", int(self.n_bins))
        fix(self, "random_state", int(self.random_state))
        fix(self, "penalizer", float(self.penalizer))
        gg = self.penalizer if self.penalizer_gg is None else self.penalizer_gg
        fix(self, "penalizer_gg", float(gg))
        fix(self, "recent_days", int(self.recent_days))
        if self.value_basis not in VALUE_BASES:
            raise ValueError(
                f"value_basis must be one of {list(VALUE_BASES)}, got {self.value_basis!r}"
            )
        if not 0 < self.margin <= 1:
            raise ValueError(f"margin must be in (0, 1], got {self.margin}")
        fix(self, "margin", float(self.margin))
        if self.gbm_loss not in ("poisson", "squared_error"):
            raise ValueError(
                f"gbm_loss must be 'poisson' or 'squared_error', got {self.gbm_loss!r}"
            )
        if given_k(self.n_clusters) is not None:  # "auto" stays; any other text is refused
            fix(self, "n_clusters", int(self.n_clusters))

    @classmethod
    def of(cls, settings: ComparisonSettings | None = None, **options: Any) -> ComparisonSettings:
        """``settings``, or the settings of the keywords ``options`` (not both).

        What :func:`~clvlib.compare.comparison.compare_methods` and
        :func:`~clvlib.compare.rolling.rolling_origin` do with their ``settings=`` and keywords.
        """
        if settings is not None:
            if options:
                raise TypeError(f"give settings= or the keywords {sorted(options)}, not both")
            return settings
        try:
            return cls(**options)
        except TypeError as error:  # an unknown keyword: say which ones exist
            known = [f.name for f in dataclasses.fields(cls) if f.name != "k_choice"]
            raise TypeError(f"{error}; the settings are {known}") from None

    @classmethod
    def from_params(cls, params: Mapping[str, Any], **overrides: Any) -> ComparisonSettings:
        """The settings of report parameters: the one mapping from parameters to settings.

        Parameters named as a field (``n_bins``, ``rule_set``, ``n_clusters``,
        ``random_state``, ``bootstrap_max_customers``, ``k_choice_max_customers``) or renamed
        by :data:`PARAM_NAMES` (``bgnbd_penalizer``, ``gg_penalizer``) are read; the others
        are not settings. A field absent from ``params`` keeps its default; ``overrides``
        win over both.

        Examples
        --------
        >>> p = {"n_bins": 4, "rule_set": "rf_grid", "n_clusters": "auto", "gg_penalizer": 0.5,
        ...      "data_path": "x.csv"}
        >>> s = ComparisonSettings.from_params(p)
        >>> s.n_bins, s.n_clusters, s.penalizer, s.penalizer_gg
        (4, 'auto', 0.0, 0.5)
        """
        fields = {f.name for f in dataclasses.fields(cls)} - {"k_choice"}
        renamed = {field: name for name, field in PARAM_NAMES.items()}
        values = {}
        for field_name in sorted(fields):
            # each setting's parameter alone: a report run records which ones a page read
            for name in (renamed.get(field_name), field_name):
                if name is not None and name in params:
                    values[field_name] = params[name]
                    break
        return cls(**{**values, **overrides})

    def key(self) -> str:
        """SHA-256 of the settings (the rule set by its content): equal settings, equal keys."""
        record = self.describe()
        record["rule_set"] = {
            "name": self.rule_set.name,
            "path": str(self.rule_set.path),
            "rules": repr(self.rule_set),
        }
        text = json.dumps(record, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def describe(self) -> dict[str, Any]:
        """The settings as JSON-friendly values (the rule set by name, and path if from a file)."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        rs = self.rule_set
        out["rule_set"] = rs.name if rs.path == "" else f"{rs.name} ({rs.path})"
        return out

    def only(self, names: Iterable[str]) -> types.SimpleNamespace:
        """The fields ``names`` and no other: what one method of the registry may read."""
        return types.SimpleNamespace(**{n: getattr(self, n) for n in names})

    def resolve_k(
        self,
        summary: pd.DataFrame,
        *,
        at: Any = None,
        cache_dir: str | os.PathLike | None = None,
    ) -> ComparisonSettings:
        """The settings with ``n_clusters`` a number: the one reading of ``"auto"``.

        ``"auto"`` takes the recommendation of :func:`clvlib.choose_k` on ``summary`` — the
        calibration summary, so that k is learned before the cut-off like every fitted
        quantity (:func:`clvlib.methods.clustering.resolve_n_clusters`) — and says so in
        :attr:`k_choice`. A number is checked against the customers and kept ("given").

        Parameters
        ----------
        summary : pandas.DataFrame
            Customer summary at the cut-off.
        at : date, optional
            The cut-off of ``summary``, named in :attr:`k_choice`.
        cache_dir : path, optional
            Folder where the choice is shared between processes (see
            :func:`~clvlib.methods.clustering.resolve_n_clusters`).
        """
        auto = given_k(self.n_clusters) is None
        k = resolve_n_clusters(
            self.n_clusters,
            summary,
            random_state=self.random_state,
            cache_dir=cache_dir,
            max_customers=self.k_choice_max_customers,
        )
        if not auto:
            return dataclasses.replace(self, n_clusters=k)
        n, cap = len(summary), self.k_choice_max_customers
        words = "auto: choose_k's recommendation on the calibration summary"
        if at is not None:
            words += f" at {pd.Timestamp(at).date().isoformat()}"
        if cap is not None and n > cap:
            words += f" (a fixed random sample of {cap:,} of {n:,} customers)"
        return dataclasses.replace(self, n_clusters=k, k_choice=words)


def _check_resamples(n_resamples: Any) -> int:
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, int | np.integer):
        raise TypeError(f"n_resamples must be an integer, got {n_resamples!r}")
    if n_resamples < 100:
        raise ValueError(f"n_resamples must be >= 100 for a 95 % interval, got {n_resamples}")
    return int(n_resamples)


def _check_cap(name: str, value: Any, minimum: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an integer or None, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum} (or None for no cap), got {value}")
    return int(value)
