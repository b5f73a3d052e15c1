"""The shape of an entry of the vocabulary: a term, and a method of the comparison."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from clvlib.vocabulary._units import Fixed, Kind

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

    @property
    def sentence_unit(self) -> Fixed:
        """Its values inside a sentence (:func:`format_fixed`), by its scale.

        Shares as ``53.0 %``, percentages as ``+22 %``, currency to the cent, counts whole,
        any other number with three decimals.
        """
        return _IN_SENTENCE.get(self.scale, ("decimal3", "decimal3"))[0]

    @property
    def difference_unit(self) -> Fixed:
        """A difference of two of its values inside a sentence.

        Shares and percentages in points, the rest as :attr:`sentence_unit`.
        """
        return _IN_SENTENCE.get(self.scale, ("decimal3", "decimal3"))[1]


#: a metric's scale -> the units of its value and of a difference of two values in a sentence
_IN_SENTENCE: dict[str, tuple[Fixed, Fixed]] = {
    "share": ("percent", "points"),
    "%": ("change_percent", "percent_points"),
    "currency": ("cents", "cents"),
    "count": ("whole", "whole"),
}


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


@dataclass(frozen=True)
class Measure:
    """A measure a winner is named on, as the sentences about it open.

    Examples
    --------
    >>> Measure("Buying again (AUC)", "Telling who buys again (AUC)",
    ...         "best at who buys again (AUC)", "who buys again (AUC)").summary
    'Buying again (AUC)'
    """

    summary: str
    """In the comparison's summary, for the analyst (``Comparison.summary``)."""
    verdict: str
    """In the verdict across data sets, for a stakeholder (``verdict.sentences``, its table)."""
    headline: str
    """A page's headline figure and index card naming the winner (an export key too)."""
    row: str
    """A row of a page's table about the measure ("Is the winner stable?")."""
