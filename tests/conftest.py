"""Shared fixtures. Plots use the Agg backend; data under ../shared is optional."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

PROJECT_ROOT = Path(__file__).resolve().parents[1]
ONLINE_RETAIL = PROJECT_ROOT.parent / "shared" / "data" / "online_retail" / "online_retail.parquet"


@pytest.fixture(scope="session")
def online_retail_path() -> Path:
    """Path of the UCI Online Retail Parquet file; skips the test where it is absent."""
    if not ONLINE_RETAIL.exists():
        pytest.skip(f"UCI Online Retail not found at {ONLINE_RETAIL}")
    return ONLINE_RETAIL
