"""ComparisonSettings: typed, checked, built from params once, hashed; options per method."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from clvlib.compare.registry import METHODS
from clvlib.compare.settings import COMPARISON_OPTIONS, ComparisonSettings
from clvlib.methods.rules import load_rules


def test_defaults_and_normalised_types() -> None:
    s = ComparisonSettings(n_bins=np.int64(4), rule_set="rf_grid", penalizer=1)
    assert (type(s.n_bins), s.n_bins) == (int, 4)
    assert s.rule_set.name == "rf_grid"
    assert s.penalizer_gg == 1.0  # defaults to the BG/NBD penalty
    assert s.k_choice == "given"
    assert ComparisonSettings(penalizer=1.0, penalizer_gg=0.0).penalizer_gg == 0.0


@pytest.mark.parametrize(
    "bad, error",
    [
        ({"n_resamples": 50}, ValueError),
        ({"n_resamples": 300.0}, TypeError),
        ({"confidence": 1.0}, ValueError),
        ({"bootstrap_max_customers": 10}, ValueError),
        ({"k_choice_max_customers": True}, TypeError),
        ({"n_clusters": "many"}, ValueError),
        ({"rule_set": "no_such_rules"}, Exception),
    ],
)
def test_bad_settings_fail_when_built(bad, error) -> None:
    with pytest.raises(error):
        ComparisonSettings(**bad)


def test_from_params_is_the_one_mapping_from_report_parameters() -> None:
    params = {
        "calibration_end": "2024-06-30",  # the split's, not a setting
        "n_bins": 4,
        "rule_set": "r_rfm",
        "n_clusters": "auto",
        "random_state": 7,
        "bgnbd_penalizer": 0.1,
        "gg_penalizer": 0.2,
        "bootstrap_max_customers": 1000,
        "k_choice_max_customers": 2000,
        "output_dir": "reports",
    }
    s = ComparisonSettings.from_params(params)
    assert s == ComparisonSettings(
        n_bins=4,
        n_clusters="auto",
        random_state=7,
        penalizer=0.1,
        penalizer_gg=0.2,
        bootstrap_max_customers=1000,
        k_choice_max_customers=2000,
    )
    assert ComparisonSettings.from_params({}, n_bins=3).n_bins == 3  # defaults, then overrides


def test_key_is_stable_and_changes_with_every_field() -> None:
    base = ComparisonSettings()
    assert base.key() == ComparisonSettings().key()
    changed = {
        "n_bins": 4,
        "rule_set": "rf_grid",
        "n_clusters": 6,
        "random_state": 1,
        "heuristic_period": "W",
        "penalizer": 0.5,
        "penalizer_gg": 0.5,
        "recent_days": 60,
        "value_basis": "net_margin",
        "margin": 0.4,
        "gbm_loss": "squared_error",
        "n_resamples": 200,
        "confidence": 0.9,
        "bootstrap_max_customers": 500,
        "k_choice_max_customers": 500,
        "k_choice": "auto: ...",
    }
    fields = {f.name for f in dataclasses.fields(ComparisonSettings)}
    assert set(changed) == fields
    keys = {dataclasses.replace(base, **{k: v}).key() for k, v in changed.items()}
    assert len(keys) == len(changed) and base.key() not in keys


@pytest.mark.parametrize(
    "option", [{"value_basis": "gross"}, {"margin": 0.0}, {"margin": 1.5}, {"gbm_loss": "log"}]
)
def test_value_basis_margin_and_gbm_loss_are_checked(option) -> None:
    with pytest.raises(ValueError, match=next(iter(option))):
        ComparisonSettings(**option)


def test_a_rule_set_is_keyed_by_its_content() -> None:
    rules = load_rules("r_rfm")
    edited = dataclasses.replace(rules, rules=rules.rules[1:])
    assert ComparisonSettings(rule_set=rules).key() == ComparisonSettings().key()
    assert ComparisonSettings(rule_set=edited).key() != ComparisonSettings().key()


def test_unknown_or_doubled_keywords_are_refused() -> None:
    with pytest.raises(TypeError, match="the settings are"):
        ComparisonSettings.of(n_bin=5)
    with pytest.raises(TypeError, match="not both"):
        ComparisonSettings.of(ComparisonSettings(), n_bins=4)
    s = ComparisonSettings(n_bins=4)
    assert ComparisonSettings.of(s) is s


def test_every_setting_is_declared_by_a_method_or_the_comparison() -> None:
    fields = {f.name for f in dataclasses.fields(ComparisonSettings)}
    declared = {o for spec in METHODS.values() for o in spec.options} | set(COMPARISON_OPTIONS)
    assert declared == fields
    view = ComparisonSettings().only(METHODS["recent_spend"].options)
    assert view.recent_days == 90
    with pytest.raises(AttributeError):
        _ = view.n_bins  # undeclared: a method cannot read it


def _summary(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    group = np.repeat([0, 1, 2], n // 3)
    return pd.DataFrame(
        {
            "since_last_order": 10 + 200 * group + rng.random(len(group)),
            "n_orders": 1 + 5 * group + rng.random(len(group)),
            "total_value": (20 + 50 * group) * (1 + 5 * group) + rng.random(len(group)),
        },
        index=pd.Index(range(len(group)), name="customer_id"),
    )


def test_auto_k_is_resolved_once_and_said() -> None:
    given = ComparisonSettings(n_clusters=3).resolve_k(_summary(60))
    assert (given.n_clusters, given.k_choice) == (3, "given")
    auto = ComparisonSettings(n_clusters="auto").resolve_k(_summary(60), at="2024-06-30")
    assert isinstance(auto.n_clusters, int) and auto.n_clusters >= 2
    assert (
        auto.k_choice == "auto: choose_k's recommendation on the calibration summary at 2024-06-30"
    )
    again = auto.resolve_k(_summary(60))  # already a number: kept, and so is how it was chosen
    assert (again.n_clusters, again.k_choice) == (auto.n_clusters, auto.k_choice)
