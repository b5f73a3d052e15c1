"""The helpers the report notebooks call, so that a notebook stays one clvlib call per cell.

This is the notebooks' public face (``clvlib.notebook.load_data(params)``, ...); the helpers
live in :mod:`clvlib.report` and are tested there.
"""

from clvlib.report.notebook import *  # noqa: F403 -- the public face re-exports every helper
from clvlib.report.notebook import __all__ as __all__
