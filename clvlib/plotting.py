"""Plots for reports, ``plot_x(data, *, ax=None) -> Axes``.

The public face of :mod:`clvlib.report.plotting` (``clvlib.plotting.plot_lorenz(...)`` in a
notebook), loaded lazily like the package it fronts: one plot does not import every topic.
"""

from typing import Any

from clvlib.report import plotting as _plotting

__all__ = _plotting.__all__


def __getattr__(name: str) -> Any:
    return getattr(_plotting, name)


def __dir__() -> list[str]:
    return __all__
