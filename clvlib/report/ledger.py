"""The page ledger: what a report kernel's notebook read and wrote, one entry a line.

The report runner gives each kernel a ledger file (:data:`LEDGER_ENV`); the parameters a
notebook reads (:class:`clvlib.report.params.RecordedParams`) and the exports it writes
(:func:`clvlib.report.exports.export_path`) are appended to it, so that the next run can tell
whether the page is still current (:mod:`clvlib.report.reuse`). Outside a run, nothing is
written.
"""

from __future__ import annotations

import os

#: the ledger file of the running page (set by the report runner in its kernels)
LEDGER_ENV = "CLVLIB_PAGE_LEDGER"
#: a read of every parameter (the whole mapping copied or iterated)
ALL = "*"


def record(entry: str) -> None:
    """Append ``entry`` (``param:<name>`` or ``file:<path>``) to the running page's ledger."""
    ledger = os.environ.get(LEDGER_ENV)
    if ledger:
        with open(ledger, "a", encoding="utf-8") as fh:
            fh.write(entry + "\n")
