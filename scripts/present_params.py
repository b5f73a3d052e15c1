"""Print the parameter files whose data are present; say which are skipped and why.

Used by ``make verdict``: the verdict across data sets runs over every shipped data set a
user has (UCI and full CDNOW are not part of the project).

    python scripts/present_params.py params/default.yaml params/online_retail.yaml ...
"""

from __future__ import annotations

import sys

from clvlib.report.params import ParamsError, load_params


def main(paths: list[str]) -> int:
    present = []
    for path in paths:
        try:
            load_params(path)
        except ParamsError as e:
            print(f"skipping {path}: {e}", file=sys.stderr)
            continue
        present.append(path)
    print(" ".join(present))
    return 0 if present else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
