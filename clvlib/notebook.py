"""The helpers the report notebooks call, so that a notebook stays one clvlib call per cell.

This is the notebooks' public face (``clvlib.notebook.load_data(params)``, ...); the helpers
live in :mod:`clvlib.report.notebook` and are tested there.
"""

from typing import Any

from clvlib.report import notebook as _helpers

__all__ = _helpers.__all__


def __getattr__(name: str) -> Any:
    return getattr(_helpers, name)


def __dir__() -> list[str]:
    return sorted(set(__all__) | {n for n in vars(_helpers) if not n.startswith("_")})
