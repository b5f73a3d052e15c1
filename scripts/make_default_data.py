"""Write the embedded default data set (the simulated shop) into data/.

Deterministic: re-running it rewrites byte-identical files (same numpy version). Files:
transactions.csv (raw order log), customers.csv (sign-ups, channel, CAC), truth.csv (each
customer's true behaviour) and shop.json (the arguments and full model configuration).
See data/README.md. Run with `make data`, or:
    python scripts/make_default_data.py [--out DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from clvlib.data.shop import DATA_DIR, DEFAULT_SHOP, simulate_shop


def main(out_dir: str | Path = DATA_DIR) -> list[Path]:
    shop = simulate_shop(**DEFAULT_SHOP)
    paths = shop.to_csv(out_dir)
    for path in paths:
        print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")
    print(shop)
    return paths


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DATA_DIR, help="output directory")
    main(parser.parse_args().out)
