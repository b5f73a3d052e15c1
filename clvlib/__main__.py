"""``python -m clvlib``: the command line of :mod:`clvlib.report.cli`."""

import sys

from clvlib.report.cli import main

if __name__ == "__main__":
    sys.exit(main())
