"""The vocabulary: one entry per code of the comparison's registry, which reads its words there."""

from __future__ import annotations

import math
import re

import pytest

from clvlib import vocabulary
from clvlib.compare import metrics as mt
from clvlib.compare.registry import METHODS, METRICS, TRUTH_METRICS, MethodSpec, MetricSpec
from clvlib.compare.winner import RANKING_METRICS
from clvlib.vocabulary import (
    TERMS,
    Method,
    Term,
    format_fixed,
    format_number,
    heading,
)


def test_every_method_of_the_registry_has_an_entry() -> None:
    assert list(vocabulary.METHODS) == list(METHODS)  # same codes, in report order


@pytest.mark.parametrize("code", [*METRICS, *TRUTH_METRICS, *mt.BOOTSTRAP_METRICS])
def test_every_metric_of_the_registry_has_an_entry(code: str) -> None:
    entry = vocabulary.METRICS[code]
    assert entry.direction in ("higher", "lower", "zero", "none")
    assert entry.unit in ("share", "money", "count", "number")
    assert entry.scale and entry.definition


@pytest.mark.parametrize("code", list(METHODS))
def test_the_registry_reads_a_method_s_words_from_the_vocabulary(code: str) -> None:
    spec, words = METHODS[code], vocabulary.METHODS[code]
    assert spec.words is words  # the words are not repeated in the registry
    assert spec.describe() == {
        "kind": words.role,
        "label": words.label,
        "score": words.score,
        "forecasts": words.forecasts,
        "grouping": words.grouping,
        "money": words.unit == "money",
    }


@pytest.mark.parametrize("code", [*METRICS, *TRUTH_METRICS])
def test_the_registry_reads_a_metric_s_words_from_the_vocabulary(code: str) -> None:
    spec, words = {**METRICS, **TRUTH_METRICS}[code], vocabulary.METRICS[code]
    assert spec.words is words
    assert (spec.label, spec.unit, spec.scale, spec.direction, spec.definition) == (
        words.label,
        words.unit,
        words.scale,
        words.direction,
        words.definition,
    )


def test_a_registry_entry_without_words_is_refused() -> None:
    with pytest.raises(KeyError, match="no entry in clvlib.vocabulary.METRICS"):
        MetricSpec("not_a_metric")
    with pytest.raises(KeyError, match="no entry in clvlib.vocabulary.METHODS"):
        MethodSpec("not_a_method", "#000000", lambda cal: None)


def test_every_ranking_measure_has_its_words() -> None:
    assert set(vocabulary.MEASURES) == set(RANKING_METRICS)
    for measure in vocabulary.MEASURES.values():
        assert measure.summary and measure.verdict


def test_codes_are_unique_and_every_entry_is_complete() -> None:
    parts = (vocabulary.COLUMNS, vocabulary.METRICS, vocabulary.METHODS)
    assert len(TERMS) == sum(len(p) for p in parts)
    for code, entry in TERMS.items():
        assert isinstance(entry, Term | Method), code
        assert entry.label and entry.label == entry.label.strip(), code
        assert entry.definition.endswith("."), code
        assert entry.group, code


def test_direction_reads_as_higher_is_better() -> None:
    assert vocabulary.METRICS["spearman"].higher_is_better is True
    assert vocabulary.METRICS["mae"].higher_is_better is False
    assert vocabulary.METRICS["bias"].higher_is_better is None  # closest to 0 is best
    assert vocabulary.METRICS["n_groups"].higher_is_better is None  # context only
    assert vocabulary.COLUMNS["recency"].higher_is_better is None


def test_entries_are_frozen() -> None:
    with pytest.raises(AttributeError):
        vocabulary.METRICS["auc"].label = "something else"  # type: ignore[misc]


def test_a_method_is_defined_by_its_role_score_forecast_and_groups() -> None:
    random = vocabulary.METHODS["random"]
    assert random.definition == (
        "Floor: uniform random numbers, seed random_state. Forecasts nothing: the floor any "
        "method must beat; groups: value tiers of the score."
    )
    assert random.group == "comparison"


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [
        (0.1234, "share", "12.3%"),
        (1, "share", "100.0%"),  # an integer share
        (-0.0001, "share", "0.0%"),  # never -0.0%
        (1234.5678, "money", "1,234.57"),
        (12_345.6, "money", "12,346"),
        (-0.001, "money", "0.00"),
        (62825, "count", "62,825"),
        (2.5, "count", "2.50"),  # an expected count is not whole
        (0.012345, "number", "0.0123"),
        (1.5e-9, "number", "0"),
        (math.inf, "money", "∞"),
        (-math.inf, "number", "−∞"),
        (None, "money", "–"),
        (math.nan, "share", "–"),
    ],
)
def test_format_number(value: float | None, unit: vocabulary.Kind, shown: str) -> None:
    assert format_number(value, unit) == shown


@pytest.mark.parametrize(
    ("value", "unit", "signed", "shown"),
    [
        (0.5302, "percent", False, "53.0 %"),
        (0.3478, "whole_percent", False, "35 %"),
        (0.0479, "points", False, "4.8 points"),
        (0.0241, "points", True, "+2.4 points"),
        (-0.0004, "points", True, "0.0 points"),  # rounds to zero: no sign
        (-0.032, "pt", True, "-3.2 pt"),
        (21.7, "change_percent", False, "+22 %"),  # a change always shows its sign
        (-0.3, "change_percent", False, "0 %"),
        (12.4, "percent_points", False, "12 points"),
        (0.3494, "decimal3", False, "0.349"),
        (-0.0001, "decimal3", False, "-0.000"),  # unsigned: as Python rounds it
        (-0.0001, "decimal3", True, "0.000"),
        (0.0183, "decimal3", True, "+0.018"),
        (0.1749, "decimal2", False, "0.17"),
        (12345.678, "cents", False, "12,345.68"),
        (234817.4, "whole", False, "234,817"),
        (math.nan, "cents", False, "–"),
        (None, "decimal3", True, "–"),
        (math.inf, "decimal3", False, "∞"),
    ],
)
def test_format_fixed(
    value: float | None, unit: vocabulary.Fixed, signed: bool, shown: str
) -> None:
    assert format_fixed(value, unit, signed=signed) == shown


@pytest.mark.parametrize(
    ("code", "value_unit", "difference_unit"),
    [
        ("spearman", "decimal3", "decimal3"),
        ("top20_share", "percent", "points"),
        ("mae", "cents", "cents"),
        ("total_error_pct", "change_percent", "percent_points"),
        ("n_groups", "whole", "whole"),
    ],
)
def test_a_metric_reads_in_a_sentence_by_its_scale(
    code: str, value_unit: str, difference_unit: str
) -> None:
    words = vocabulary.METRICS[code]
    assert (words.sentence_unit, words.difference_unit) == (value_unit, difference_unit)


@pytest.mark.parametrize(
    ("label", "shown"),
    [("heuristic CLV", "Heuristic CLV"), ("k-means", "k-means"), ("RFM", "RFM"), ("", "")],
)
def test_heading(label: str, shown: str) -> None:
    assert heading(label) == shown


def test_the_vocabulary_imports_nothing_of_clvlib() -> None:
    import ast
    from pathlib import Path

    for path in Path(vocabulary.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith("clvlib.") or node.module.startswith(
                    "clvlib.vocabulary"
                ), f"{path.name} imports {node.module}"


def test_definitions_are_words_not_code() -> None:
    """A manager reads the glossary: no Python operators or assignments in a definition."""
    for code, term in TERMS.items():
        text = term.definition
        assert "**" not in text, code  # s ** k: a power written as code
        assert not re.search(r"\b[a-z]+_[a-z_]+ = ", text), code  # rfm_score = ...
