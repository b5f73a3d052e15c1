"""The version of clvlib, defined once (pyproject.toml reads it; exports record it)."""

__version__ = "0.1.0"
