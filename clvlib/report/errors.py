"""The errors of the report runner: what the command line turns into an exit status."""

from __future__ import annotations


class ReportError(RuntimeError):
    """A report could not be rendered; the message names the notebook, the cell and the error."""


class KernelStartError(ReportError):
    """The notebook kernel (this environment's Python) could not be started."""


class InputError(ReportError):
    """The data or the arguments cannot make a report: found once, before any kernel starts.

    The command line exits with status 2 on it, as on bad parameters.
    """
