"""The lazy public API: every name in the tables resolves to the module the table names."""

from __future__ import annotations

import importlib

import pytest

import clvlib
import clvlib.report.plotting


@pytest.mark.parametrize("name", sorted(clvlib._API))
def test_every_public_name_resolves_where_the_table_says(name):
    value = getattr(clvlib, name)
    module = importlib.import_module(clvlib._API[name])
    assert getattr(module, name) is value


@pytest.mark.parametrize("name", sorted(clvlib.report.plotting._PLOTS))
def test_every_plot_resolves_and_takes_an_ax(name):
    plot = getattr(clvlib.report.plotting, name)
    assert callable(plot)
    assert "ax" in plot.__code__.co_varnames or "axes" in plot.__code__.co_varnames


def test_unknown_names_raise_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'clv_magic'"):
        clvlib.clv_magic  # noqa: B018
    assert set(clvlib.__all__) == set(clvlib._API) | {"__version__"}
    assert sorted(dir(clvlib)) == sorted(clvlib.__all__)  # tab completion shows the API


def test_editors_see_the_same_names_as_the_lazy_table():
    """The ``TYPE_CHECKING`` imports of ``clvlib/__init__.py`` mirror ``_API`` exactly."""
    import ast
    from pathlib import Path

    tree = ast.parse(Path(clvlib.__file__).read_text())
    block = next(
        n for n in tree.body if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING"
    )
    seen = {a.name: node.module for node in block.body for a in node.names}
    missing = sorted(set(clvlib._API) - set(seen))
    assert seen == clvlib._API, f"add to the TYPE_CHECKING block of clvlib/__init__.py: {missing}"
    import subprocess
    import sys

    lazy = "import sys, clvlib; sys.exit('sklearn' in sys.modules or 'pandas' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", lazy], check=False).returncode == 0
