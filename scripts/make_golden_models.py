"""Write lifetimes' BG/NBD and Gamma-Gamma results on CDNOW as golden files for the tests.

lifetimes (MIT licence) is the reference implementation clvlib.methods.btyd must agree with. This
script fits lifetimes' ``BetaGeoFitter`` and ``GammaGammaFitter`` on the published CDNOW
summary (tests/data/models_cdnow_summary.csv) and writes:

- tests/data/models_lifetimes_params.json: fitted parameters, unpenalised and penalised;
- tests/data/models_lifetimes_predictions.csv: per customer, expected purchases in the next
  10 and 39 weeks, probability alive, expected average value, 12-month CLV discounted at
  1 % a month (lifetimes' ``customer_lifetime_value`` with freq="W"), and the unconditional
  expected purchases of a new customer at a few horizons.

It needs lifetimes, not clvlib; run it with the bench extra (or any venv holding lifetimes):
    pip install "lifetimes>=0.11.3" && python scripts/make_golden_models.py
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
PENALIZER = 0.01
NEW_CUSTOMER_T = [1.0, 10.0, 39.0, 78.0]


def main() -> None:
    warnings.simplefilter("ignore")  # lifetimes' own deprecation noise
    summary = pd.read_csv(DATA / "models_cdnow_summary.csv", index_col="ID")
    x, t_x, age, m = summary["x"], summary["t_x"], summary["T"], summary["zbar"]
    repeat = x > 0

    bg = BetaGeoFitter().fit(x, t_x, age)
    gg = GammaGammaFitter().fit(x[repeat], m[repeat])
    bg_pen = BetaGeoFitter(penalizer_coef=PENALIZER).fit(x, t_x, age)
    gg_pen = GammaGammaFitter(penalizer_coef=PENALIZER).fit(x[repeat], m[repeat])

    params = {
        "bgnbd": {k: float(v) for k, v in bg.params_.items()},
        "gamma_gamma": {k: float(v) for k, v in gg.params_.items()},
        "penalizer": PENALIZER,
        "bgnbd_penalized": {k: float(v) for k, v in bg_pen.params_.items()},
        "gamma_gamma_penalized": {k: float(v) for k, v in gg_pen.params_.items()},
        "expected_purchases_new": {
            str(t): float(bg.expected_number_of_purchases_up_to_time(t)) for t in NEW_CUSTOMER_T
        },
    }
    (DATA / "models_lifetimes_params.json").write_text(json.dumps(params, indent=2) + "\n")

    predictions = pd.DataFrame(
        {
            "expected_purchases_10": bg.conditional_expected_number_of_purchases_up_to_time(
                10, x, t_x, age
            ),
            "expected_purchases_39": bg.conditional_expected_number_of_purchases_up_to_time(
                39, x, t_x, age
            ),
            "probability_alive": bg.conditional_probability_alive(x, t_x, age),
            "expected_average_value": gg.conditional_expected_average_profit(x, m),
            "clv_12m_disc1pct": gg.customer_lifetime_value(
                bg, x, t_x, age, m, time=12, discount_rate=0.01, freq="W"
            ),
        },
        index=summary.index,
    )
    predictions.to_csv(
        DATA / "models_lifetimes_predictions.csv", float_format="%.10g", lineterminator="\n"
    )
    print(
        f"lifetimes: BG/NBD {np.round(bg.params_.to_numpy(), 4)}, "
        f"Gamma-Gamma {np.round(gg.params_.to_numpy(), 4)}; wrote {len(predictions)} rows"
    )


if __name__ == "__main__":
    main()
