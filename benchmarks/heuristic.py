"""Benchmark: is the heuristic CLV calibrated? Predicted vs realised holdout value.

Targets (benchmarks/README.md, "Heuristic CLV calibration"): ``compare_methods``'s
``total_error_pct`` of ``heuristic_clv`` within +-30 % on the simulated shop (calibration to
2024-06-30, holdout to 2024-12-31) and +-40 % on UCI Online Retail (2011-06-30 ->
2011-12-09), its Spearman correlation not lower than the repeat-rate heuristic's minus 0.02.
CDNOW (the 1/10 sample in tests/data; 1997-09-30 -> 1998-06-30) is a third, untuned check.

Printed per data set: total error and Spearman of every money forecast (heuristic, BG/NBD +
Gamma-Gamma, naive calibration spend), the fitted survival rate and lapse threshold, and the
predicted / realised ratio per decile of each forecast (clvlib.compare.metrics.decile_calibration).

Run: ``.venv/bin/python benchmarks/heuristic.py`` (``--online-retail PATH`` for UCI, default
../shared/data/online_retail/online_retail.parquet; skipped when absent; ``--cdnow PATH`` for
another CDNOW-format file; ``--cdnow-full`` for the full master file (23,570 customers) read
from the installed lifetimes wheel, ``pip install lifetimes``, never copied into the repo).
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import pandas as pd

import clvlib
from clvlib.compare.comparison import compare_methods
from clvlib.compare.metrics import decile_calibration

ROOT = Path(__file__).resolve().parents[1]
MONEY = ("heuristic_clv", "bgnbd_gg", "naive_spend")


def _cdnow(path: Path) -> pd.DataFrame:
    """A CDNOW-format CSV (customer_id, date as YYYY-MM-DD, quantity, amount) as a clean log."""
    return _as_log(pd.read_csv(path, dtype={"customer_id": "int64"}), "%Y-%m-%d")


def _cdnow_full() -> pd.DataFrame:
    """The full CDNOW master file as the lifetimes wheel ships it (whitespace, one header)."""
    from importlib.resources import files

    raw = pd.read_csv(
        files("lifetimes.datasets").joinpath("CDNOW_master.txt"),
        sep=r"\s+",
        skiprows=1,
        header=None,
        names=["customer_id", "date", "quantity", "amount"],
        dtype={"customer_id": "int64", "date": "str"},
    )
    return _as_log(raw, "%Y%m%d")


def _as_log(raw: pd.DataFrame, date_format: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": raw["customer_id"],
            "order_id": raw.index.astype(str),
            "timestamp": pd.to_datetime(raw["date"], format=date_format),
            "amount": raw["amount"].astype("float64"),
            "is_return": False,
        }
    )


def _report(name: str, tx: pd.DataFrame, calibration_end: str, holdout_end: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # model-fit caveats are printed by the reports
        result = compare_methods(tx, calibration_end=calibration_end, holdout_end=holdout_end)
    wide = result.wide()
    fitted = result.to_dict()["params"]["fitted"]
    print(f"\n## {name}: calibration to {calibration_end}, holdout to {holdout_end}")
    print(f"customers {len(result.scores):,}; heuristic fitted: {fitted.get('heuristic_clv', '')}")
    for method in MONEY:
        table = decile_calibration(result.scores[method], result.scores["holdout_value"])
        ratios = " ".join(f"{r:.2f}" for r in table["ratio"])
        print(
            f"{method:14s} total error {wide.loc[method, 'total_error_pct']:+7.1f} %  "
            f"Spearman {wide.loc[method, 'spearman']:.3f}  ratio per decile: {ratios}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--online-retail",
        type=Path,
        default=ROOT.parent / "shared" / "data" / "online_retail" / "online_retail.parquet",
    )
    parser.add_argument("--cdnow", type=Path, default=ROOT / "tests" / "data" / "cdnow_sample.csv")
    parser.add_argument(
        "--cdnow-full", action="store_true", help="full CDNOW from the lifetimes wheel"
    )
    args = parser.parse_args()
    shop = clvlib.load_default_shop()
    tx, _ = clvlib.load_transactions(shop.transactions)
    _report("simulated shop", tx, "2024-06-30", "2024-12-31")
    if args.online_retail.exists():
        uci, _ = clvlib.load_online_retail(args.online_retail)
        _report("UCI Online Retail", uci, "2011-06-30", "2011-12-09")
    else:
        print(f"\nUCI Online Retail skipped: {args.online_retail} not found")
    if args.cdnow_full:
        _report("CDNOW (full master file)", _cdnow_full(), "1997-09-30", "1998-06-30")
    else:
        _report(f"CDNOW ({args.cdnow.name})", _cdnow(args.cdnow), "1997-09-30", "1998-06-30")


if __name__ == "__main__":
    main()
