"""The shape of an entry of the vocabulary: a term, and a method of the comparison."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from clvlib.vocabulary._units import Kind

#: which value of a metric is better: "higher", "lower", "zero" (closest to 0) or "none"
Direction = Literal["higher", "lower", "zero", "none"]
#: a method's place in the comparison: a contender, a reference, the floor or the ceiling
Role = Literal["method", "reference", "floor", "ceiling"]


@dataclass(frozen=True)
class Term:
    """A column, a metric or a concept a page shows: its words, its unit, its meaning.

    Examples
    --------
    >>> auc = Term("AUC", "number", "metric", "Area under the ROC curve.", "higher", "0..1")
    >>> auc.higher_is_better
    True
    """

    label: str
    """Its name in words, as it reads inside a sentence (:func:`heading` for a header)."""
    unit: Kind | None
    """The unit of its values (:func:`format_number`); None for what is not a number (a
    date, a flag, a curve, a model)."""
    group: str
    """The convention or family it belongs to ("BTYD", "RFM", "metric"): the glossary's
    ``convention`` column."""
    definition: str
    """One written definition, as the glossary prints it."""
    direction: Direction | None = None
    """Metrics: which value is better; None for what is not a metric."""
    scale: str = ""
    """Metrics: the unit or range shown after the label ("-1..1", "currency", "%")."""

    @property
    def higher_is_better(self) -> bool | None:
        """True or False for a metric whose higher or lower values are better, else None."""
        return {"higher": True, "lower": False}.get(self.direction or "")


_ROLE_WORDS = {"method": "Method", "reference": "Reference", "floor": "Floor", "ceiling": "Ceiling"}


@dataclass(frozen=True)
class Method:
    """A method of the holdout comparison in words: its label, role, score and groups.

    Examples
    --------
    >>> m = Method("random", "number", "floor", "random numbers", "nothing", "value tiers")
    >>> m.definition
    'Floor: random numbers. Forecasts nothing; groups: value tiers.'
    """

    label: str
    """Its name in words, as it reads inside a sentence (:func:`heading` for a header)."""
    unit: Kind
    """The unit of its score: "money" when it forecasts holdout value in currency."""
    role: Role
    """A contender ("method"), a "reference", the "floor" or the "ceiling"."""
    score: str
    """What the score is, from calibration data only."""
    forecasts: str
    """What the score stands for (a money forecast, or a ranking)."""
    grouping: str
    """The groups judged by the share of holdout-value variance they explain."""

    @property
    def group(self) -> str:
        """The glossary's convention of every method: "comparison"."""
        return "comparison"

    @property
    def definition(self) -> str:
        """One sentence from the role, score, forecast and groups (the glossary's text)."""
        role = _ROLE_WORDS.get(self.role, self.role)
        return f"{role}: {self.score}. Forecasts {self.forecasts}; groups: {self.grouping}."
