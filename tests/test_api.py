"""The lazy public API: every name in the tables resolves to the module the table names."""

from __future__ import annotations

import importlib

import pytest

import clvlib
import clvlib.plotting


@pytest.mark.parametrize("name", sorted(clvlib._API))
def test_every_public_name_resolves_where_the_table_says(name):
    value = getattr(clvlib, name)
    module = importlib.import_module(clvlib._API[name])
    assert getattr(module, name) is value


@pytest.mark.parametrize("name", sorted(clvlib.plotting._PLOTS))
def test_every_plot_resolves_and_takes_an_ax(name):
    plot = getattr(clvlib.plotting, name)
    assert callable(plot)
    assert "ax" in plot.__code__.co_varnames or "axes" in plot.__code__.co_varnames


def test_unknown_names_raise_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'clv_magic'"):
        clvlib.clv_magic  # noqa: B018
    assert set(clvlib.__all__) == set(clvlib._API) | {"__version__"}
    assert sorted(dir(clvlib)) == sorted(clvlib.__all__)  # tab completion shows the API
