"""BG/NBD + Gamma-Gamma forecast / realised in total, Gamma-Gamma on gross vs net spend.

The holdout value is net of returns; a Gamma-Gamma fitted on gross spend per purchase
(``ProbabilisticCLV(spend="gross")``, what clvlib did before issue 20) over-forecasts it by
construction. This script fits both on each shipped data set's report split and prints the two
ratios (same BG/NBD, same customers), so that the effect of the basis fix alone is measured.

    PYTHONPATH=. python benchmarks/value_basis.py [params/default.yaml ...]
"""

from __future__ import annotations

import sys
import warnings

from clvlib.compare.split import Split
from clvlib.methods.btyd import ProbabilisticCLV
from clvlib.report.notebook import load_data
from clvlib.report.params import load_params

DEFAULT = ["params/default.yaml", "params/online_retail.yaml", "params/cdnow_sample.yaml"]


def ratios(path: str) -> dict[str, float]:
    """Forecast / realised in total with Gamma-Gamma on gross and on net spend."""
    params = load_params(path)
    tx, _, _ = load_data(params, share=False)
    split = Split.from_params(params)
    cal = split.calibration_holdout(tx)
    realised = float(cal["holdout_value"].sum())
    out = {"dataset": params["dataset_name"]}
    for spend in ("gross", "net"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = ProbabilisticCLV(
                penalizer=params["bgnbd_penalizer"],
                penalizer_gg=params["gg_penalizer"],
                spend=spend,
            ).fit(cal)
        out[spend] = float(model.predict(cal, horizon=split.horizon).sum()) / realised
    return out


if __name__ == "__main__":
    for p in sys.argv[1:] or DEFAULT:
        r = ratios(p)
        print(f"{r['dataset']}: gross spend {r['gross']:.3f}, net spend {r['net']:.3f}")
