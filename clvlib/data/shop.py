"""The simulated shop: an online retailer's order log whose ground truth is known.

:func:`simulate_shop` draws customers, their behaviour and their orders from a stated model;
:meth:`Shop.truth` gives, for any cut-off date, who was alive and what each customer is
expected to buy over a horizon. That truth is what the methods are scored against on simulated
data. :func:`load_default_shop` reads the embedded default data set in ``data/``
(written by ``scripts/make_default_data.py``), so notebooks and tests need not re-simulate.

The model, per customer (all durations in days):

- sign-up at a time spread over ``[start, end]`` (rate growing linearly by
  ``acquisition_growth``), through a channel that sets its CAC and its quality;
- a share of sign-ups (per channel) are prospects: they never buy;
- a buyer's first order is at the sign-up instant; repeat orders follow a Poisson process of
  rate ``lambda ~ Gamma(r, alpha) x channel rate``; after each *repeat* order the customer drops
  out for good with probability ``p ~ Beta(a, b / channel dropout)``. This is the BG/NBD
  process exactly (no drop-out right after the first order; Fader, Hardie & Lee 2005);
- order values: list value ``Gamma(shape=spend_p, mean=m)`` with a per-customer mean
  ``m = channel spend x spend_p / nu``, ``nu ~ Gamma(spend_q, rate=spend_gamma)``
  (Gamma-Gamma), times a rare large multiplier (heavy tail); 1..several lines of
  quantity x unit price; each line has a margin at list price in
  ``[margin_min, margin_max]`` around a per-customer mean; a share of orders (per customer) is
  discounted by 10-30 %, which lowers the price and not the cost;
- returns: each order is returned with a per-customer probability (high for "returners"),
  each of its lines then with ``line_return_prob``; a return is a separate order
  ``R<number of the order>`` with negative quantities, 2-30 days after the order, and is lost
  when it would fall after ``end``.

With the default configuration expect about 7 log lines per customer (prospects included)
over three years, about 4 over one year and 9 over six years: size benchmark logs by
``n_customers`` (1.5M customers over three years give some 10M lines).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from clvlib.data.dates import cutoff_day, day_after

DATA_DIR = Path(__file__).resolve().parents[2] / "data"

# The arguments that produced data/ (scripts/make_default_data.py); load_default_shop reads them.
DEFAULT_SHOP: dict[str, Any] = {
    "n_customers": 9000,
    "start": "2022-01-01",
    "end": "2024-12-31",
    "seed": 2024,
}

# Channels differ in cost and in the quality of the customers they bring. rate and spend multiply
# the purchase rate and the mean order value; dropout divides the Beta b (higher -> more churn).
DEFAULT_CHANNELS: dict[str, dict[str, float]] = {
    "organic": {
        "share": 0.35,
        "cac": 4.0,
        "prospect_share": 0.20,
        "rate": 1.15,
        "dropout": 0.85,
        "spend": 1.05,
        "returner_share": 0.10,
        "discount_prob": 0.10,
    },
    "paid_search": {
        "share": 0.25,
        "cac": 38.0,
        "prospect_share": 0.25,
        "rate": 1.00,
        "dropout": 1.00,
        "spend": 1.00,
        "returner_share": 0.15,
        "discount_prob": 0.15,
    },
    "social": {
        "share": 0.18,
        "cac": 27.0,
        "prospect_share": 0.45,
        "rate": 0.80,
        "dropout": 1.40,
        "spend": 0.80,
        "returner_share": 0.30,
        "discount_prob": 0.30,
    },
    "referral": {
        "share": 0.10,
        "cac": 15.0,
        "prospect_share": 0.15,
        "rate": 1.30,
        "dropout": 0.70,
        "spend": 1.20,
        "returner_share": 0.08,
        "discount_prob": 0.10,
    },
    "affiliate": {
        "share": 0.12,
        "cac": 22.0,
        "prospect_share": 0.30,
        "rate": 0.90,
        "dropout": 1.20,
        "spend": 0.90,
        "returner_share": 0.20,
        "discount_prob": 0.45,
    },
}
CHANNEL_FIELDS = tuple(DEFAULT_CHANNELS["organic"])

DEFAULT_CONFIG: dict[str, Any] = {
    "channels": DEFAULT_CHANNELS,
    "cac_sigma": 0.3,  # log-normal spread of a sign-up's CAC around its channel's CAC
    "acquisition_growth": 0.5,  # sign-up rate on the last day / first day - 1
    "purchase_rate_shape": 0.9,  # r of lambda ~ Gamma(r, rate alpha), per day
    "purchase_rate_alpha": 110.0,  # alpha (days): mean lambda = r / alpha = 3 orders a year
    "dropout_a": 1.1,  # a of p ~ Beta(a, b)
    "dropout_b": 4.5,  # b: mean p = 0.20, about 5 repeat orders before dropping out
    "spend_p": 5.0,  # Gamma-Gamma p: shape of a customer's order values (CV 1 / sqrt(p))
    "spend_q": 4.0,  # Gamma-Gamma q
    "spend_gamma": 40.0,  # Gamma-Gamma gamma: mean of the per-customer mean = p gamma / (q - 1)
    "big_order_prob": 0.005,  # share of orders multiplied by a large factor (heavy tail)
    "big_order_median": 6.0,  # median of the log-normal multiplier of a large order
    "big_order_sigma": 0.5,  # its log-scale spread
    "mean_lines_per_order": 2.5,  # 1 + Poisson(mean - 1) lines per order
    "quantity_p": 0.6,  # quantity per line ~ Geometric(p) on 1, 2, ... (mean 1 / p)
    "margin_min": 0.25,  # line margins (at list price) lie in [margin_min, margin_max]
    "margin_max": 0.60,
    "margin_customer_a": 3.0,  # per-customer mean margin position ~ Beta(a, b) in the range
    "margin_customer_b": 3.0,
    "margin_concentration": 8.0,  # Beta concentration of line margins around that mean
    "discount_depths": [0.10, 0.15, 0.20, 0.25, 0.30],  # drawn uniformly for a discounted order
    "discount_concentration": 4.0,  # per-customer discount probability ~ Beta around channel's
    "returner_return_a": 4.0,  # returners: order return probability ~ Beta(4, 4), mean 0.5
    "returner_return_b": 4.0,
    "return_a": 1.0,  # everybody else: ~ Beta(1, 40), mean 0.024
    "return_b": 40.0,
    "line_return_prob": 0.8,  # each line of a returned order is returned with this probability
    "return_delay_min": 2.0,  # days; delay = min + Gamma(2, scale), capped at max
    "return_delay_scale": 3.0,
    "return_delay_max": 30.0,
}

# Relative order intensity by hour of day (00-01h ... 23-24h): quiet nights, evening peak.
_HOURLY = np.array(
    [1.0, 0.6, 0.4, 0.3, 0.3, 0.4, 0.8, 1.5, 2.2, 2.8, 3.0, 3.2]
    + [3.5, 3.3, 3.0, 2.9, 3.0, 3.3, 3.8, 4.5, 5.0, 4.6, 3.4, 2.0]
)

TX_COLUMNS = [
    "customer_id",
    "order_id",
    "timestamp",
    "quantity",
    "unit_price",
    "unit_cost",
    "discounted",
    "channel",
]
_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
_FILES = {
    "transactions": "transactions.csv",
    "customers": "customers.csv",
    "params": "truth.csv",
    "meta": "shop.json",
}

_US_PER_DAY = 86_400_000_000
_TS_DTYPE = "datetime64[us]"


@dataclass(frozen=True, repr=False)
class Shop:
    """A simulated shop: raw order log, customer table, per-customer truth parameters.

    Attributes
    ----------
    transactions : pandas.DataFrame
        Raw log, one row per order line, sorted by time: ``customer_id, order_id, timestamp,
        quantity, unit_price, unit_cost, discounted, channel``. Returns are orders ``R...``
        with negative quantities.
    customers : pandas.DataFrame
        Index ``customer_id``; ``signup_date``, ``channel``, ``cac``. Prospects included.
    params : pandas.DataFrame
        Index ``customer_id``; the true behaviour of each customer (see ``data/README.md``).
    start, end : pandas.Timestamp
        Simulated period; ``end`` is included as a whole day.
    seed : int
        Seed of the numpy Generator that drew everything.
    config : dict
        The full model configuration used.
    """

    transactions: pd.DataFrame
    customers: pd.DataFrame
    params: pd.DataFrame
    start: pd.Timestamp
    end: pd.Timestamp
    seed: int
    config: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        n_buyers = int(self.params["is_buyer"].sum())
        return (
            f"Shop({self.start.date()} to {self.end.date()}, seed={self.seed}: "
            f"{len(self.customers)} customers ({n_buyers} buyers), "
            f"{len(self.transactions)} log lines)"
        )

    def truth(
        self, at: str | pd.Timestamp, *, horizon: float, time_unit: str = "D"
    ) -> pd.DataFrame:
        """True state at ``at`` and expected behaviour over the following horizon.

        The horizon window is ``(at, at + horizon]`` in whole days, as a holdout period after
        ``observation_end = at``. For a customer alive at the end of day ``at``, with purchase
        rate ``lambda`` and drop-out probability ``p`` (after each repeat order), the expected
        number of orders in a window of ``h`` days is ``(1 - exp(-lambda p h)) / p``: orders
        arrive at rate ``lambda`` while alive, and survival to time ``s`` is
        ``exp(-lambda p s)`` (drop-outs are the orders marked "last", a thinned Poisson process
        of rate ``lambda p``). A customer dead at ``at`` is expected to buy nothing.

        Parameters
        ----------
        at : str or pandas.Timestamp
            Cut-off date (its whole day included); must not be after the shop's ``end``.
        horizon : float
            Length of the window in ``time_unit``; an integer for months.
        time_unit : {"D", "W", "M"}
            Days, weeks (7 days) or calendar months.

        Returns
        -------
        pandas.DataFrame
            Index ``customer_id``, every customer signed up on or before ``at`` (prospects
            included): ``alive`` (bool, a buyer who had not dropped out by the end of day
            ``at``), ``expected_orders``, ``expected_value`` (net of returns, the returns
            counted with the order they belong to, whenever they arrive) and
            ``expected_profit`` (gross profit net of returns: returned goods are restocked).
            ``attrs`` holds ``at``, ``holdout_end``, ``horizon``, ``time_unit`` and
            ``horizon_days``.
        """
        at = cutoff_day(at, "at")
        if at > self.end:
            raise ValueError(
                f"at={at.date()} is after the end of the simulation ({self.end.date()}): "
                "who is alive then is unknown"
            )
        holdout_end = at + _horizon_offset(horizon, time_unit)
        cut = day_after(at)
        h = (holdout_end - at) / pd.Timedelta(days=1)

        known = (self.customers["signup_date"] <= at).to_numpy()
        par = self.params.loc[known]
        death = par["death_time"]
        alive = par["is_buyer"].to_numpy() & (death.isna() | (death >= cut)).to_numpy()
        lam = par["lambda"].to_numpy()
        p = par["p"].to_numpy()
        with np.errstate(invalid="ignore"):
            orders = np.where(alive, _expected_orders(lam, p, h), 0.0)
        keep = 1.0 - par["return_share"].to_numpy()
        mov = par["mean_order_value"].to_numpy()
        moc = par["mean_order_cost"].to_numpy()
        out = pd.DataFrame(
            {
                "alive": alive,
                "expected_orders": orders,
                "expected_value": np.where(alive, orders * mov * keep, 0.0),
                "expected_profit": np.where(alive, orders * (mov - moc) * keep, 0.0),
            },
            index=par.index,
        )
        out.attrs.update(
            at=at, holdout_end=holdout_end, horizon=horizon, time_unit=time_unit, horizon_days=h
        )
        return out

    def to_csv(self, directory: str | Path) -> list[Path]:
        """Write the shop as CSV files plus ``shop.json``; byte-identical for the same shop.

        Floats have a fixed format (prices to the cent, parameters to 10 significant digits),
        rows are sorted, lines end in a bare line feed. Returns the paths written.
        """
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        paths = {k: directory / v for k, v in _FILES.items()}
        csv = {"lineterminator": "\n", "date_format": _TIME_FORMAT}
        self.transactions.to_csv(paths["transactions"], index=False, float_format="%.2f", **csv)
        self.customers.to_csv(
            paths["customers"], float_format="%.2f", **{**csv, "date_format": "%Y-%m-%d"}
        )
        self.params.to_csv(paths["params"], float_format="%.10g", **csv)
        meta = {
            "start": str(self.start.date()),
            "end": str(self.end.date()),
            "n_customers": len(self.customers),
            "seed": self.seed,
            "config": self.config,
        }
        paths["meta"].write_text(json.dumps(meta, indent=2) + "\n")
        return list(paths.values())

    @classmethod
    def from_csv(cls, directory: str | Path) -> Shop:
        """Read a shop written by :meth:`to_csv`, with the dtypes :func:`simulate_shop` gives."""
        directory = Path(directory)
        meta = json.loads((directory / _FILES["meta"]).read_text())
        channel = pd.CategoricalDtype(list(meta["config"]["channels"]))
        tx = pd.read_csv(
            directory / _FILES["transactions"],
            dtype={
                "customer_id": "int64",
                "order_id": "str",
                "quantity": "int64",
                "unit_price": "float64",
                "unit_cost": "float64",
                "discounted": "bool",
                "channel": channel,
            },
            parse_dates=["timestamp"],
            date_format=_TIME_FORMAT,
        )
        missing = [c for c in TX_COLUMNS if c not in tx.columns]
        if missing:
            raise ValueError(f"{directory / _FILES['transactions']} lacks columns {missing}")
        tx["timestamp"] = tx["timestamp"].astype(_TS_DTYPE)
        customers = pd.read_csv(
            directory / _FILES["customers"],
            index_col="customer_id",
            dtype={"customer_id": "int64", "channel": channel, "cac": "float64"},
            parse_dates=["signup_date"],
            date_format="%Y-%m-%d",
        )
        customers["signup_date"] = customers["signup_date"].astype(_TS_DTYPE)
        params = pd.read_csv(
            directory / _FILES["params"],
            index_col="customer_id",
            dtype={"customer_id": "int64", "is_buyer": "bool", "is_returner": "bool"},
            parse_dates=["first_purchase", "death_time"],
            date_format=_TIME_FORMAT,
        )
        for col in ("first_purchase", "death_time"):
            params[col] = params[col].astype(_TS_DTYPE)
        return cls(
            transactions=tx[TX_COLUMNS],
            customers=customers,
            params=params,
            start=pd.Timestamp(meta["start"]),
            end=pd.Timestamp(meta["end"]),
            seed=int(meta["seed"]),
            config=meta["config"],
        )


def load_default_shop() -> Shop:
    """The embedded default data set: ``simulate_shop()`` (defaults) as stored in ``data/``.

    9,000 sign-ups from 2022-01-01 to 2024-12-31, about 61,000 log lines; see ``data/README.md``.

    Examples
    --------
    >>> shop = load_default_shop()
    >>> truth = shop.truth("2024-06-30", horizon=3, time_unit="M")
    """
    return Shop.from_csv(DATA_DIR)


def simulate_shop(
    *,
    n_customers: int = DEFAULT_SHOP["n_customers"],
    start: str | pd.Timestamp = DEFAULT_SHOP["start"],
    end: str | pd.Timestamp = DEFAULT_SHOP["end"],
    seed: int = DEFAULT_SHOP["seed"],
    config: dict[str, Any] | None = None,
) -> Shop:
    """Simulate an online shop's sign-ups and order log, with the truth behind them.

    Deterministic for a seed; fully vectorised. With the default configuration expect about
    7 log lines per customer over three years (4 over one year, 9 over six), so
    ``n_customers=1_500_000`` gives some 10M lines. The defaults reproduce ``data/``.

    Parameters
    ----------
    n_customers : int
        Number of sign-ups (buyers and prospects) over the period.
    start, end : str or pandas.Timestamp
        First and last day of the simulated period (``end`` included as a whole day).
    seed : int
        Seed of the ``numpy.random.Generator`` that draws everything.
    config : dict, optional
        Overrides of :data:`DEFAULT_CONFIG` (unknown keys are an error). ``channels``, when
        given, replaces the channel table as a whole: ``{name: {share, cac, prospect_share,
        rate, dropout, spend, returner_share, discount_prob}}``.

    Returns
    -------
    Shop

    Examples
    --------
    >>> shop = simulate_shop(n_customers=500, seed=1)
    >>> sorted(shop.transactions.columns) == sorted(TX_COLUMNS)
    True
    """
    cfg = _resolve_config(config)
    start_ts, end_ts = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    if end_ts < start_ts:
        raise ValueError(f"end ({end_ts.date()}) is before start ({start_ts.date()})")
    if int(n_customers) != n_customers or n_customers < 1:
        raise ValueError(f"n_customers must be a positive integer, got {n_customers!r}")
    n = int(n_customers)
    rng = np.random.default_rng(seed)
    # days; the process lives in [0, period): from the start to the day after the end
    period = float((day_after(end_ts) - start_ts).days)
    start_us = int(start_ts.to_datetime64().astype("datetime64[us]").astype("int64"))

    ch = pd.DataFrame(cfg["channels"]).T  # one row per channel
    # -- customers: sign-up time (sorted, so ids follow sign-up order), channel, CAC, type
    g = cfg["acquisition_growth"]
    u = rng.random(n)
    x = u if g == 0 else (np.sqrt(1.0 + 2.0 * g * (1.0 + g / 2.0) * u) - 1.0) / g
    signup = np.sort(x * period)
    c = rng.choice(len(ch), size=n, p=ch["share"].to_numpy(float))
    cac = np.round(ch["cac"].to_numpy(float)[c] * rng.lognormal(0.0, cfg["cac_sigma"], n), 2)
    buyer = rng.random(n) >= ch["prospect_share"].to_numpy(float)[c]

    # -- behaviour (drawn for everybody, kept for buyers)
    lam = rng.gamma(cfg["purchase_rate_shape"], 1.0 / cfg["purchase_rate_alpha"], n)
    lam *= ch["rate"].to_numpy(float)[c]
    p = rng.beta(cfg["dropout_a"], cfg["dropout_b"] / ch["dropout"].to_numpy(float)[c])
    p = np.clip(p, 1e-6, 1.0)
    nu = rng.gamma(cfg["spend_q"], 1.0 / cfg["spend_gamma"], n)
    base_mean = ch["spend"].to_numpy(float)[c] * cfg["spend_p"] / nu
    mu_d = ch["discount_prob"].to_numpy(float)[c]
    kd = cfg["discount_concentration"]
    safe = np.where(mu_d > 0, mu_d, 0.5)  # a channel may offer no discounts at all
    disc_prob = np.where(mu_d > 0, rng.beta(kd * safe, kd * (1.0 - safe)), 0.0)
    returner = buyer & (rng.random(n) < ch["returner_share"].to_numpy(float)[c])
    order_ret = np.where(
        returner,
        rng.beta(cfg["returner_return_a"], cfg["returner_return_b"], n),
        rng.beta(cfg["return_a"], cfg["return_b"], n),
    )
    margin_pos = rng.beta(cfg["margin_customer_a"], cfg["margin_customer_b"], n)

    # -- repeat orders: N ~ Poisson(lambda x time left) arrivals, the K-th one (K ~ Geom(p))
    # is the last; the first M = min(K, N) of N sorted uniforms are the first M normalised
    # partial sums of N + 1 exponentials (the rest summed as one Gamma(N - M + 1) draw).
    left = period - signup
    n_arrivals = np.where(buyer, rng.poisson(lam * left), 0)
    k_last = rng.geometric(p)
    n_rep = np.minimum(k_last, n_arrivals)
    died = buyer & (k_last <= n_arrivals)
    rest = rng.standard_gamma((n_arrivals - n_rep + 1).astype(float))
    steps = rng.standard_exponential(int(n_rep.sum()))
    rep_cust = np.repeat(np.arange(n), n_rep)
    csum = np.cumsum(steps)
    before = np.concatenate([[0.0], csum])[np.cumsum(n_rep) - n_rep]  # earlier customers' steps
    total = np.bincount(rep_cust, weights=steps, minlength=n) + rest
    rep_time = signup[rep_cust] + left[rep_cust] * (csum - before[rep_cust]) / total[rep_cust]

    # -- all purchase orders in time order
    first_cust = np.flatnonzero(buyer)
    o_cust = np.concatenate([first_cust, rep_cust])
    o_time = np.concatenate([signup[first_cust], rep_time])
    order = np.argsort(o_time, kind="stable")
    o_cust, o_time = o_cust[order], o_time[order]
    o_us = _to_us(o_time, start_us)
    signup_us = _to_us(signup, start_us)
    n_orders = len(o_cust)

    # -- order values, discounts, returns
    e_big = np.exp(np.log(cfg["big_order_median"]) + cfg["big_order_sigma"] ** 2 / 2.0)
    big = rng.random(n_orders) < cfg["big_order_prob"]
    big_mult = rng.lognormal(np.log(cfg["big_order_median"]), cfg["big_order_sigma"], n_orders)
    list_value = rng.gamma(cfg["spend_p"], base_mean[o_cust] / cfg["spend_p"])
    list_value *= np.where(big, big_mult, 1.0)
    depths = np.asarray(cfg["discount_depths"], float)
    discounted = rng.random(n_orders) < disc_prob[o_cust]
    depth = np.where(discounted, rng.choice(depths, n_orders), 0.0)
    returned = rng.random(n_orders) < order_ret[o_cust]
    delay = cfg["return_delay_min"] + rng.gamma(2.0, cfg["return_delay_scale"], n_orders)
    delay = np.minimum(delay, cfg["return_delay_max"])

    # -- lines: Dirichlet(2, ...) shares of the order's list value, quantity, margin
    n_lines = 1 + rng.poisson(cfg["mean_lines_per_order"] - 1.0, n_orders)
    l_order = np.repeat(np.arange(n_orders), n_lines)
    l_cust = o_cust[l_order]
    weight = rng.gamma(2.0, 1.0, len(l_order))
    weight /= np.bincount(l_order, weights=weight, minlength=n_orders)[l_order]
    qty = rng.geometric(cfg["quantity_p"], len(l_order))
    mpos = margin_pos[l_cust]
    km = cfg["margin_concentration"]
    lo, hi = cfg["margin_min"], cfg["margin_max"]
    line_margin = lo + (hi - lo) * rng.beta(km * mpos, km * (1.0 - mpos))
    unit_list = list_value[l_order] * weight / qty
    unit_price = np.maximum(np.round(unit_list * (1.0 - depth[l_order]), 2), 0.01)
    unit_cost = np.maximum(np.round(unit_list * (1.0 - line_margin), 2), 0.01)
    line_back = returned[l_order] & (rng.random(len(l_order)) < cfg["line_return_prob"])

    # -- return lines: same goods and prices, negative quantities, dated after the order
    r_line = np.flatnonzero(line_back)
    r_order = l_order[r_line]
    r_time = o_time[r_order] + delay[r_order]
    in_period = r_time < period
    r_line, r_order, r_time = r_line[in_period], r_order[in_period], r_time[in_period]

    width = max(7, len(str(n_orders)))
    purchase_ids = _order_ids("O", np.arange(1, n_orders + 1), width)
    return_ids = _order_ids("R", r_order + 1, width)
    line_us = np.concatenate([o_us[l_order], _to_us(r_time, start_us)])
    sort = np.argsort(line_us, kind="stable")  # purchases before returns within a microsecond
    src = np.concatenate([np.arange(len(l_order)), r_line])[sort]
    sign = np.where(sort < len(l_order), 1, -1)
    ids = pa.concat_arrays([purchase_ids.take(l_order), return_ids]).take(sort)
    names = pd.Categorical.from_codes(c[l_cust[src]], categories=list(ch.index))
    tx = pd.DataFrame(
        {
            "customer_id": l_cust[src] + 1,
            "order_id": pd.array(ids, dtype="str"),
            "timestamp": line_us[sort].astype(_TS_DTYPE),
            "quantity": sign * qty[src],
            "unit_price": unit_price[src],
            "unit_cost": unit_cost[src],
            "discounted": discounted[l_order[src]],
            "channel": names,
        }
    )

    # -- customer table and truth parameters
    ids_c = pd.Index(np.arange(1, n + 1), name="customer_id")
    customers = pd.DataFrame(
        {
            "signup_date": (signup_us - signup_us % _US_PER_DAY).astype(_TS_DTYPE),
            "channel": pd.Categorical.from_codes(c, categories=list(ch.index)),
            "cac": cac,
        },
        index=ids_c,
    )
    last_us = np.full(n, np.iinfo("int64").min)
    np.maximum.at(last_us, o_cust, o_us)
    mean_list = base_mean * (1.0 + cfg["big_order_prob"] * (e_big - 1.0))
    margin = lo + (hi - lo) * margin_pos
    nat = np.datetime64("NaT", "us")
    params = pd.DataFrame(
        {
            "is_buyer": buyer,
            "first_purchase": np.where(buyer, signup_us.astype(_TS_DTYPE), nat),
            "lambda": lam,
            "p": p,
            "mean_list_value": mean_list,
            "discount_prob": disc_prob,
            "margin": margin,
            "is_returner": returner,
            "return_share": order_ret * cfg["line_return_prob"],
            "mean_order_value": mean_list * (1.0 - disc_prob * depths.mean()),
            "mean_order_cost": mean_list * (1.0 - margin),
            "death_time": np.where(died, last_us.astype(_TS_DTYPE), nat),
            "n_orders": np.bincount(o_cust, minlength=n),
        },
        index=ids_c,
    )
    behaviour = [
        "lambda",
        "p",
        "mean_list_value",
        "discount_prob",
        "margin",
        "return_share",
        "mean_order_value",
        "mean_order_cost",
    ]
    params.loc[~buyer, behaviour] = np.nan
    return Shop(
        transactions=tx,
        customers=customers,
        params=params,
        start=start_ts,
        end=end_ts,
        seed=int(seed),
        config=cfg,
    )


def _expected_orders(lam: np.ndarray, p: np.ndarray, h: float) -> np.ndarray:
    """Expected orders in ``h`` days of a customer alive now: ``(1 - exp(-lambda p h)) / p``."""
    return -np.expm1(-lam * p * h) / p


def _horizon_offset(horizon: float, time_unit: str) -> pd.Timedelta | pd.DateOffset:
    """The horizon as an offset to add to a date (months are calendar months)."""
    if not horizon > 0:
        raise ValueError(f"horizon must be positive, got {horizon!r}")
    if time_unit == "D":
        return pd.Timedelta(days=horizon)
    if time_unit == "W":
        return pd.Timedelta(days=7 * horizon)
    if time_unit == "M":
        if int(horizon) != horizon:
            raise ValueError(f"a horizon in months must be a whole number, got {horizon!r}")
        return pd.DateOffset(months=int(horizon))
    raise ValueError(f"time_unit must be 'D', 'W' or 'M', got {time_unit!r}")


def _to_us(days: np.ndarray, start_us: int) -> np.ndarray:
    """Days since start -> epoch microseconds, the time of day reshaped to the daily profile.

    The day is kept and the fraction of it is mapped monotonically through the hourly
    profile, so order within a day and the day of every event are unchanged (the truth,
    which works in whole days, is not affected).
    """
    day = np.floor(days)
    cum = np.concatenate([[0.0], np.cumsum(_HOURLY)]) / _HOURLY.sum()
    hour = np.interp(days - day, cum, np.arange(25.0))
    seconds = np.minimum(np.floor(hour * 3600.0), 86_399.0)
    return start_us + day.astype("int64") * _US_PER_DAY + seconds.astype("int64") * 1_000_000


def _order_ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """Order ids such as ``O0001234`` as an Arrow string array (fast for millions)."""
    digits = pc.utf8_lpad(pc.cast(pa.array(numbers, pa.int64()), pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, digits, "")


def _resolve_config(config: dict[str, Any] | None) -> dict[str, Any]:
    """DEFAULT_CONFIG with the user's overrides; unknown keys and bad channels are errors."""
    cfg = copy.deepcopy(DEFAULT_CONFIG)
    unknown = sorted(set(config or {}) - set(cfg))
    if unknown:
        raise ValueError(f"unknown config keys {unknown}; known keys: {sorted(cfg)}")
    cfg.update(copy.deepcopy(config or {}))
    channels = cfg["channels"]
    if not channels:
        raise ValueError("config['channels'] is empty")
    for name, spec in channels.items():
        bad = sorted(set(spec) ^ set(CHANNEL_FIELDS))
        if bad:
            raise ValueError(
                f"channel {name!r}: fields {bad} missing or unknown; need {list(CHANNEL_FIELDS)}"
            )
        prob = ["prospect_share", "returner_share", "discount_prob"]
        out = [f for f in prob if not 0.0 <= spec[f] < 1.0] + [
            f for f in ("rate", "dropout", "spend") if not spec[f] > 0
        ]
        if out:
            raise ValueError(f"channel {name!r}: fields {out} out of range")
    shares = np.array([spec["share"] for spec in channels.values()], float)
    if (shares < 0).any() or not np.isclose(shares.sum(), 1.0):
        raise ValueError(f"channel shares must be >= 0 and sum to 1, got {shares.tolist()}")
    return cfg
