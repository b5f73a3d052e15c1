"""The vocabulary: one entry per code of the comparison's registry, words and units that agree."""

from __future__ import annotations

import math

import pytest

from clvlib import vocabulary
from clvlib.compare import metrics as mt
from clvlib.compare.comparison import TRUTH_METRICS
from clvlib.vocabulary import METHODS, METRICS, TERMS, Method, Term, format_number, heading


def test_every_method_of_the_registry_has_an_entry() -> None:
    assert list(vocabulary.METHODS) == list(METHODS)  # same codes, in report order


@pytest.mark.parametrize("code", [*METRICS, *TRUTH_METRICS, *mt.BOOTSTRAP_METRICS])
def test_every_metric_of_the_registry_has_an_entry(code: str) -> None:
    entry = vocabulary.METRICS[code]
    assert entry.direction in ("higher", "lower", "zero", "none")
    assert entry.unit in ("share", "money", "count", "number")
    assert entry.scale and entry.definition


@pytest.mark.parametrize("code", list(METHODS))
def test_the_registry_says_what_the_vocabulary_says_of_a_method(code: str) -> None:
    spec, words = METHODS[code], vocabulary.METHODS[code]
    assert (spec.label, spec.kind) == (words.label, words.role)
    assert (spec.score, spec.forecasts, spec.grouping) == (
        words.score,
        words.forecasts,
        words.grouping,
    )
    assert spec.money == (words.unit == "money")


@pytest.mark.parametrize("code", [*METRICS, *TRUTH_METRICS])
def test_the_registry_says_what_the_vocabulary_says_of_a_metric(code: str) -> None:
    spec = {**METRICS, **TRUTH_METRICS}[code]
    words = vocabulary.METRICS[code]
    assert (spec.direction, spec.unit) == (words.direction, words.scale)


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
