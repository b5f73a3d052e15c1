"""The words and units of clvlib: the label, unit, direction and definition of every term.

Data and pure functions only, importing nothing of clvlib outside this package, so every
layer (the loader's messages, the models' warnings, the comparison's registry and sentences,
the pages, the glossary, the plots) reads the same words without an import running upwards.

- :data:`METHODS`: every method of the comparison (:class:`Method`: label, unit, role, score,
  forecasts, grouping; ``definition`` composed from them).
- :data:`METRICS`: every metric of the comparison, the distances from the simulated truth
  included (:class:`Term` with ``direction``, ``higher_is_better`` and ``scale``).
- :data:`COLUMNS`: the other columns and concepts a page shows (BTYD, RFM, holdout, audit,
  model, CLV, tiers, k-means).
- :data:`TERMS`: all three in one mapping, code -> entry (codes are unique across them).
- :data:`MEASURES`: the measures a winner is named on, as the sentences about them open.
- :func:`format_number`: a number in a unit as a reader sees it; :func:`format_fixed`: a
  number inside a sentence, at the fixed precision of its unit (a metric's
  :attr:`Term.sentence_unit`); :func:`heading`: a label at the head of a column or a chart.
- :func:`use_currency` / :func:`set_currency`: the currency money is written in (a page's
  ``currency`` parameter); :func:`money_unit` names it in a header.

Examples
--------
>>> METHODS["heuristic_clv"].label
'heuristic CLV'
>>> heading(METRICS["top20_share"].label), METRICS["top20_share"].higher_is_better
('Top 20 % share', True)
>>> format_number(0.3172, METRICS["top20_share"].unit)
'31.7%'
>>> TERMS["recency"].group
'BTYD'
"""

from __future__ import annotations

from collections.abc import Mapping

from clvlib.vocabulary._columns import COLUMNS
from clvlib.vocabulary._comparison import MEASURES, METHODS, METRICS
from clvlib.vocabulary._money import (
    currency,
    money_unit,
    set_currency,
    use_currency,
    with_currency,
)
from clvlib.vocabulary._terms import Direction, Measure, Method, Role, Term
from clvlib.vocabulary._units import (
    Fixed,
    Kind,
    clean_zero,
    format_fixed,
    format_number,
    heading,
    magnitude,
    number,
)

__all__ = [
    "COLUMNS",
    "MEASURES",
    "METHODS",
    "METRICS",
    "TERMS",
    "Direction",
    "Fixed",
    "Kind",
    "Measure",
    "Method",
    "Role",
    "Term",
    "clean_zero",
    "currency",
    "format_fixed",
    "format_number",
    "heading",
    "magnitude",
    "money_unit",
    "number",
    "set_currency",
    "use_currency",
    "with_currency",
]

#: every entry, code -> :class:`Term` or :class:`Method`: the columns, metrics and methods
TERMS: Mapping[str, Term | Method] = {**COLUMNS, **METRICS, **METHODS}
