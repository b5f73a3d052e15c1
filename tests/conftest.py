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


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every report notebook rendered once per test session on the default data.

    Shared by the page tests (``test_notebooks.py``, ``test_pages.py``): one render, read by
    all of them.
    """
    from clvlib.report import runner

    out = tmp_path_factory.mktemp("reports")
    runner.render_reports(PROJECT_ROOT / "params" / "default.yaml", out, progress=False)
    return out


@pytest.fixture
def tiny_tx():
    """A clean 16-line log whose summary at 2024-03-31 was worked out by hand.

    Every line's cost is 0.6 x amount, so gross_profit = 0.4 x total_value. Weeks start on
    Monday; 2024-01-01 is a Monday and 2024-03-31 a Sunday (week of 2024-03-25).

    ====  ========  =====  ================  ======  =========  =======  =======
    row   customer  order  timestamp         amount  is_return  channel  country
    ====  ========  =====  ================  ======  =========  =======  =======
    0     1         O1     2024-01-01 10:00      50  False      web      UK
    1     1         O2     2024-01-01 18:00      30  False      app      UK
    2     1         O3     2024-01-15 09:00      20  False      app      UK
    3     1         O3     2024-01-15 09:00       5  False      app      UK
    4     1         R1     2024-01-20 14:00     -10  True       app      UK
    5     1         O4     2024-03-10 11:00      40  False      web      UK
    6     1         O5     2024-04-02 08:00     100  False      web      UK   (after the end)
    7     2         O6     2024-03-31 23:30      60  False      app      FR   (last minute)
    8     2         O7     2024-04-01 00:00      70  False      web      FR   (after the end)
    9     3         O8     2024-02-05 09:00      10  False      app      DE
    10    3         O9     2024-02-05 15:00      15  False      web      DE
    11    3         O10    2024-02-06 12:00      20  False      web      DE
    12    3         R2     2024-02-10 12:00     -20  True       web      DE
    13    4         R3     2024-03-01 12:00      -5  True       web      UK   (a return only)
    14    4         O11    2024-04-05 12:00      30  False      web      UK   (after the end)
    15    5         O12    2024-01-10 12:00      80  False      partner  DE
    ====  ========  =====  ================  ======  =========  =======  =======

    Summary at observation_end 2024-03-31, days ("D"):

    - customer 1: purchase days Jan 1 (two orders: 50 + 30), Jan 15 (one order of two
      lines: 25), Mar 10 (40) -> frequency 2; recency Jan 1 -> Mar 10 = 69; T Jan 1 ->
      Mar 31 = 90; monetary_value = mean(25, 40) = 32.5; since_last_order 21; n_orders 4
      (O1-O4); gross 145, returned_value 10, total_value 135, avg_order_value 145 / 4 =
      36.25, gross_profit 54; channel web and country UK (O1, the first purchase).
    - customer 2: one purchase at 23:30 on the last day (the whole day counts) -> frequency
      0, recency 0, T 0, monetary_value 0, since_last_order 0, n_orders 1, total_value 60,
      avg_order_value 60, gross_profit 24; app, FR. O7 (00:00 next day) is ignored.
    - customer 3: Feb 5 (two orders, 10 + 15) and Feb 6 (20), all of it returned on Feb 10
      -> frequency 1, recency 1, T 55, monetary_value 20, since_last_order 54, n_orders 3,
      gross 45, returned_value 20, total_value 25, avg_order_value 15, gross_profit 10;
      channel app (O8 at 09:00 precedes O9), DE.
    - customer 4: no purchase by the end (a return only) -> not in the summary.
    - customer 5: one purchase on Jan 10 -> frequency 0, recency 0, T 81,
      since_last_order 81, n_orders 1, total_value 80, avg_order_value 80, gross_profit 32;
      partner, DE.

    Weeks ("W", numbered from the week of 2024-01-01; the end is in week 12): customer 1
    buys in weeks 0, 2, 9 -> frequency 2, recency 9, T 12, since_last_order 3,
    monetary_value mean(25, 40) = 32.5; customer 2: week 12 -> 0, 0, 0, 0; customer 3:
    week 5 only -> frequency 0, T 7, since_last_order 7; customer 5: week 1 -> T 11.

    Calendar months ("M"; the end is in March): customer 1 buys in Jan and Mar ->
    frequency 1, recency 2, T 2, since_last_order 0, monetary_value 40 (March); customer
    2: 0, 0, 0; customer 3: Feb -> frequency 0, T 1, since_last_order 1; customer 5: T 2.

    Calibration to 2024-02-05, holdout to 2024-03-31, days: customers 1, 3, 5 (customer 2
    starts later). Calibration: customer 1 -> frequency 1, recency 14, T 35,
    monetary_value 25, n_orders 3, total_value 95; customer 3 -> frequency 0, T 0,
    n_orders 2, total_value 25; customer 5 -> frequency 0, T 26, total_value 80. Holdout
    (Feb 6 .. Mar 31, 55 days): customer 1 -> 1 order (O4), value 40, 1 purchase day;
    customer 3 -> 1 order (O10), value 20 - 20 = 0, 1 purchase day, bought again;
    customer 5 -> nothing, did not buy again. In weeks the holdout is 12 - 5 = 7 weeks and
    customer 3's Feb 6 falls in week 5, the calibration's last week (still 1 holdout
    purchase period, as lifetimes counts it).
    """
    import pandas as pd

    rows = [
        (1, "O1", "2024-01-01 10:00", 50.0, False, "web", "UK"),
        (1, "O2", "2024-01-01 18:00", 30.0, False, "app", "UK"),
        (1, "O3", "2024-01-15 09:00", 20.0, False, "app", "UK"),
        (1, "O3", "2024-01-15 09:00", 5.0, False, "app", "UK"),
        (1, "R1", "2024-01-20 14:00", -10.0, True, "app", "UK"),
        (1, "O4", "2024-03-10 11:00", 40.0, False, "web", "UK"),
        (1, "O5", "2024-04-02 08:00", 100.0, False, "web", "UK"),
        (2, "O6", "2024-03-31 23:30", 60.0, False, "app", "FR"),
        (2, "O7", "2024-04-01 00:00", 70.0, False, "web", "FR"),
        (3, "O8", "2024-02-05 09:00", 10.0, False, "app", "DE"),
        (3, "O9", "2024-02-05 15:00", 15.0, False, "web", "DE"),
        (3, "O10", "2024-02-06 12:00", 20.0, False, "web", "DE"),
        (3, "R2", "2024-02-10 12:00", -20.0, True, "web", "DE"),
        (4, "R3", "2024-03-01 12:00", -5.0, True, "web", "UK"),
        (4, "O11", "2024-04-05 12:00", 30.0, False, "web", "UK"),
        (5, "O12", "2024-01-10 12:00", 80.0, False, "partner", "DE"),
    ]
    columns = ["customer_id", "order_id", "timestamp", "amount", "is_return", "channel", "country"]
    tx = pd.DataFrame(rows, columns=columns)
    tx["timestamp"] = pd.to_datetime(tx["timestamp"])
    tx.insert(5, "cost", 0.6 * tx["amount"])
    return tx


@pytest.fixture
def ax():
    """Axes on a Figure that pyplot does not track: a plot must draw here and nowhere else."""
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    before = plt.get_fignums()
    axes = Figure().subplots()
    yield axes
    assert plt.get_fignums() == before  # no pyplot figure was opened


@pytest.fixture(autouse=True)
def _no_currency_left_over():
    """Each test starts without a page currency (``load_data`` sets one for its process)."""
    from clvlib.vocabulary import use_currency

    with use_currency(""):
        yield
