"""One definition, many engines: the summary on DuckDB (DataFrame, Parquet, Ibis tables) and Spark.

The Spark tests run the same expression on a local Spark session (``local[2]``, two shuffle
partitions) and need pyspark (``pip install -e ".[spark]"``) and Java; ``.ci/run`` installs
both, elsewhere they skip with the reason.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import ibis
import numpy as np
import pandas as pd
import pytest

from clvlib.data import engine, summary
from clvlib.data.log import CleanLog
from clvlib.data.summary import active_periods, calibration_holdout, customer_summary

END = "2024-03-31"
MONEY = ["monetary_value", "total_value", "avg_order_value", "returned_value", "gross_profit"]


def _random_log(seed: int = 3, n: int = 3_000) -> pd.DataFrame:
    """A clean log with returns, missing channels, several lines per order and per day.

    Timestamps are distinct within a customer except for the lines of one order, which share
    the order's channel: the first purchase line's channel is the same under any tie rule.
    """
    rng = np.random.default_rng(seed)
    order = np.sort(rng.integers(0, n // 2, n))
    customer = order % 157
    seconds = rng.permutation(120 * 86_400)[: n // 2][order]  # one timestamp per order
    is_return = rng.random(n) < 0.08
    amount = np.round(rng.gamma(2.0, 20.0, n), 2)
    channel = np.array(["web", "app", "partner", None], dtype=object)[order % 4]
    return pd.DataFrame(
        {
            "customer_id": customer.astype("int64"),
            "order_id": np.char.add("O", order.astype(str)),
            "timestamp": pd.Timestamp("2024-01-01") + pd.to_timedelta(seconds, unit="s"),
            "amount": np.where(is_return, -amount, amount),
            "is_return": is_return,
            "cost": np.round(0.6 * np.where(is_return, -amount, amount), 2),
            "channel": pd.Series(channel, dtype="str"),
            "country": np.array(["UK", "FR", "DE"])[customer % 3],
        }
    )


def _assert_same(ours: pd.DataFrame, theirs: pd.DataFrame) -> None:
    """Identical columns, customers, counts, durations, dates; money to 1e-12 relative."""
    assert list(ours.columns) == list(theirs.columns)
    assert ours.index.equals(theirs.index)
    money = [c for c in ours.columns if c in MONEY or c == "holdout_value"]
    pd.testing.assert_frame_equal(
        ours.drop(columns=money), theirs.drop(columns=money), check_dtype=False
    )
    pd.testing.assert_frame_equal(ours[money], theirs[money], rtol=1e-12)
    assert ours.attrs == theirs.attrs


# --- DuckDB: every input form is the same expression ------------------------------------


@pytest.mark.parametrize("unit", ["D", "W", "M"])
def test_ibis_memtable_equals_dataframe(unit):
    tx = _random_log()
    table = ibis.memtable(tx)
    _assert_same(
        customer_summary(table, observation_end=END, time_unit=unit),
        customer_summary(tx, observation_end=END, time_unit=unit),
    )
    kwargs = {"calibration_end": "2024-02-15", "holdout_end": END, "time_unit": unit}
    _assert_same(calibration_holdout(table, **kwargs), calibration_holdout(tx, **kwargs))


def test_table_of_another_duckdb_connection_runs_there(tmp_path):
    tx = _random_log()
    own = ibis.duckdb.connect()
    own.con.register("frame", tx)
    own.con.execute("CREATE TABLE orders AS SELECT * FROM frame")
    table = own.table("orders")
    # struct keys on a connection without clvlib's macro: same first lines
    _assert_same(
        customer_summary(table, observation_end=END),
        customer_summary(tx, observation_end=END),
    )


def test_bad_lines_of_an_ibis_table_are_named():
    tx = _random_log().head(20)
    tx.loc[[4, 2], "amount"] = np.nan
    with pytest.raises(ValueError, match="2 rows where amount is missing") as info:
        customer_summary(ibis.memtable(tx), observation_end=END)
    expected = sorted(zip(tx.loc[[2, 4], "customer_id"], tx.loc[[2, 4], "order_id"], strict=True))
    assert f"lines (customer_id, order_id) {expected}" in str(info.value)


# --- large logs: the summary in parts (engine.staging) -----------------------------------


@pytest.mark.parametrize("unit", ["D", "W", "M"])
def test_summary_in_parts_equals_one_query(restore_settings, parts, tmp_path, unit):
    """Above ``stage_above`` lines each aggregation is its own query: the same result, exactly."""
    tx = _random_log()
    kwargs = {"calibration_end": "2024-02-15", "holdout_end": END, "time_unit": unit}
    one_summary = customer_summary(tx, observation_end=END, time_unit=unit)
    one_holdout = calibration_holdout(tx, **kwargs)
    engine.configure(stage_above=len(tx) - 1, temp_directory=tmp_path)
    in_parts = customer_summary(tx, observation_end=END, time_unit=unit)
    assert len(parts) == 5  # periods, customers, orders, returns; the result
    pd.testing.assert_frame_equal(in_parts, one_summary, check_exact=True)
    pd.testing.assert_frame_equal(calibration_holdout(tx, **kwargs), one_holdout, check_exact=True)
    assert len(parts) == 11  # and the holdout outcomes
    assert list(engine.spill_folder().glob("clvlib_parts_*")) == []  # the parts are deleted


def test_summary_in_parts_from_parquet_and_ibis(restore_settings, parts, tmp_path):
    tx = _random_log()
    path = tmp_path / "log.parquet"
    tx.to_parquet(path)
    one = customer_summary(path, observation_end=END)
    engine.configure(stage_above=0)
    pd.testing.assert_frame_equal(customer_summary(path, observation_end=END), one)
    pd.testing.assert_frame_equal(customer_summary(ibis.memtable(tx), observation_end=END), one)
    assert len(parts) == 10


def test_summary_in_parts_when_one_query_runs_out_of_memory(parts, monkeypatch):
    """A log of unknown size whose single query fails is done in parts."""
    tx = _random_log()
    want = customer_summary(tx, observation_end=END)
    runs = []
    fetch = summary._fetch

    def one_query_too_large(table, parts=None):
        runs.append(table)
        if parts is None:
            raise duckdb.OutOfMemoryException("Out of Memory Error: failed to allocate")
        return fetch(table, parts)

    monkeypatch.setattr(summary, "_fetch", one_query_too_large)
    pd.testing.assert_frame_equal(customer_summary(tx, observation_end=END), want)
    assert len(runs) == 2 and len(parts) == 5


def test_a_recognised_line_count_decides_the_parts(restore_settings, parts):
    tx = _random_log()
    table = ibis.memtable(tx)
    purchases = tx.loc[~tx.is_return, "timestamp"]
    first, last = purchases.min().to_pydatetime(), purchases.max().to_pydatetime()
    CleanLog(
        n_lines=len(tx),
        first=tx["timestamp"].min(),
        last=tx["timestamp"].max(),
        first_purchase=first,
        last_purchase=last,
        largest=1e3,
    ).recognise(table)
    engine.configure(stage_above=len(tx))
    one = customer_summary(table, observation_end=END)
    assert parts == []
    engine.configure(stage_above=len(tx) - 1)
    pd.testing.assert_frame_equal(customer_summary(table, observation_end=END), one)
    assert len(parts) == 5
    pd.testing.assert_frame_equal(one, customer_summary(tx, observation_end=END))


def test_stage_above_setting(restore_settings, monkeypatch):
    assert engine.EngineSettings().stage_above == 20_000_000
    assert engine.configure(stage_above=5).stage_above == 5
    with pytest.raises(ValueError, match="stage_above must be a non-negative integer"):
        engine.configure(stage_above=-1)
    monkeypatch.setenv("CLVLIB_STAGE_ABOVE", "1000")
    assert engine.EngineSettings.from_environment().stage_above == 1000
    monkeypatch.setenv("CLVLIB_STAGE_ABOVE", "many")
    with pytest.raises(ValueError, match="CLVLIB_STAGE_ABOVE must be a non-negative integer"):
        engine.EngineSettings.from_environment()


@pytest.fixture
def parts(monkeypatch):
    """The queries run as parts (``engine.staging``) during the test, as a list of tables."""
    written: list[ibis.Table] = []
    write = engine._write_part

    def counted(con, table, path):
        written.append(table)
        return write(con, table, path)

    monkeypatch.setattr(engine, "_write_part", counted)
    return written


# --- active periods (the line-level part of the heuristic's rates) -----------------------


@pytest.mark.parametrize("period", ["D", "W", "M", "Q", "Y"])
def test_active_periods_match_pandas_periods(period):
    """Distinct (customer, period) purchase pairs, against pandas Periods."""
    rng = np.random.default_rng(1)
    n = 3_000
    tx = pd.DataFrame(
        {
            "customer_id": rng.integers(0, 200, n),
            "timestamp": pd.Timestamp("1969-11-20")  # periods on both sides of 1970
            + pd.to_timedelta(rng.integers(0, 800 * 24 * 60, n), unit="min"),
            "is_return": rng.random(n) < 0.1,
        }
    )
    end = pd.Timestamp("1971-06-15")
    keep = ~tx["is_return"] & (tx["timestamp"] < end + pd.Timedelta(days=1))
    want = (
        pd.DataFrame(
            {
                "customer_id": tx.loc[keep, "customer_id"],
                "period": tx.loc[keep, "timestamp"].dt.to_period(period),
            }
        )
        .drop_duplicates()
        .sort_values(["customer_id", "period"])
        .reset_index(drop=True)
    )
    got = active_periods(tx, observation_end=end, period=period)
    pd.testing.assert_frame_equal(got, want)
    # the same from an Ibis table
    pd.testing.assert_frame_equal(
        active_periods(ibis.memtable(tx), observation_end=end, period=period), got
    )


# --- engine settings -----------------------------------------------------------------------


@pytest.fixture
def restore_settings():
    before = engine.settings()
    yield
    engine.configure(**dataclasses.asdict(before))


def _setting(name: str):
    return engine.connection().con.execute(f"SELECT current_setting('{name}')").fetchall()[0][0]


def test_configure_applies_at_once(restore_settings, tmp_path):
    engine.connection()
    now = engine.configure(memory_limit="512MB", threads=1, temp_directory=tmp_path)
    assert now == engine.EngineSettings("512MB", 1, str(tmp_path))
    assert _setting("threads") == 1
    # DuckDB spills into a folder of this process's own inside the one configured
    assert Path(_setting("temp_directory")).parent == tmp_path
    assert Path(_setting("temp_directory")) == engine.spill_folder()
    assert _setting("memory_limit") in {"512.0 MiB", "488.2 MiB", "512.0 MB", "488.2 MB"}
    # the summary runs under the new settings
    assert len(customer_summary(_random_log(), observation_end=END)) == 157


def test_each_process_spills_into_a_folder_of_its_own(restore_settings, tmp_path):
    """DuckDB names its spill files alike in every process: a shared folder mixes their data."""
    engine.configure(temp_directory=tmp_path)
    ours = engine.spill_folder()
    assert ours.parent == tmp_path
    assert ours.name.startswith(f"clvlib_spill_{os.getpid()}_")
    assert not ours.exists()  # made only when something spills or is staged
    script = (
        "import sys; from clvlib.data import engine; "
        "engine.configure(temp_directory=sys.argv[1]); print(engine.spill_folder())"
    )
    child = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, check=True
    )
    theirs = Path(child.stdout.strip())
    assert theirs.parent == tmp_path and theirs != ours
    assert not theirs.exists()  # deleted when the child ended


def test_settings_from_environment(monkeypatch):
    monkeypatch.setenv("CLVLIB_MEMORY_LIMIT", "2GB")
    monkeypatch.setenv("CLVLIB_THREADS", "3")
    monkeypatch.setenv("CLVLIB_TEMP_DIRECTORY", "/spill")
    assert engine.EngineSettings.from_environment() == engine.EngineSettings("2GB", 3, "/spill")
    monkeypatch.setenv("CLVLIB_THREADS", "two")
    with pytest.raises(ValueError, match="CLVLIB_THREADS must be a positive integer"):
        engine.EngineSettings.from_environment()


def test_bad_settings(restore_settings):
    with pytest.raises(ValueError, match="threads must be a positive integer"):
        engine.configure(threads=0)


def test_defaults_resolve_to_the_machine():
    resolved = engine.EngineSettings().resolved()
    assert resolved["memory_limit"] == "750MB"
    assert resolved["threads"] >= 1
    assert resolved["temp_directory"]


# --- Spark ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def spark():
    """An Ibis backend on a local Spark session; skips where pyspark or Java is absent."""
    if importlib.util.find_spec("pyspark") is None:
        pytest.skip('pyspark is not installed (pip install -e ".[spark]"; .ci/run does)')
    if shutil.which("java") is None:
        pytest.skip("Java is not installed (apt-get install openjdk-17-jre-headless; .ci/run does)")
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("clvlib-tests")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield ibis.pyspark.connect(session)
    session.stop()


def _spark_table(spark, name: str, tx: pd.DataFrame) -> ibis.Table:
    """The log as a temporary view of the Spark session (nothing written to disk).

    pyspark 4.0 turns a missing value of a pandas 3 string column into the string "NaN":
    string columns go over as Python objects with None.
    """
    frame = tx.copy()
    for column in frame.select_dtypes(include=["str", "string"]).columns:
        frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    spark._session.createDataFrame(frame).createOrReplaceTempView(name)
    return spark.table(name)


@pytest.mark.slow
def test_spark_summary_equals_duckdb(spark, tiny_tx):
    cases = {"tiny": (tiny_tx, ["D"]), "random": (_random_log(), ["D", "W", "M"])}
    for name, (tx, units) in cases.items():
        table = _spark_table(spark, f"tx_{name}", tx)
        for unit in units:
            _assert_same(
                customer_summary(table, observation_end=END, time_unit=unit),
                customer_summary(tx, observation_end=END, time_unit=unit),
            )


@pytest.mark.slow
def test_spark_calibration_holdout_equals_duckdb(spark, tiny_tx):
    tx = _random_log()
    table = _spark_table(spark, "tx_holdout", tx)
    for unit in ("D", "W"):
        kwargs = {"calibration_end": "2024-02-15", "holdout_end": END, "time_unit": unit}
        _assert_same(calibration_holdout(table, **kwargs), calibration_holdout(tx, **kwargs))


@pytest.mark.slow
def test_spark_bad_lines_are_named(spark):
    tx = _random_log().head(20)
    tx.loc[3, "amount"] = -tx.loc[3, "amount"] if not tx.loc[3, "is_return"] else 1.0
    table = _spark_table(spark, "tx_bad", tx)
    with pytest.raises(ValueError, match=r"1 rows where amount is (negative|positive)") as info:
        customer_summary(table, observation_end=END)
    assert f"({tx.loc[3, 'customer_id']}, '{tx.loc[3, 'order_id']}')" in str(info.value)


def _raw_log() -> pd.DataFrame:
    """A raw order log (customer, order id, timestamp, amount; returns negative) with rows
    the loader drops: no customer, a copy of an earlier line, a zero quantity."""
    clean = _random_log(n=600)
    raw = clean[["customer_id", "order_id", "timestamp", "amount"]].copy()
    raw["customer_id"] = raw["customer_id"].astype("float64")
    raw.loc[5, "customer_id"] = np.nan
    raw["quantity"] = np.where(np.arange(len(raw)) % 97 == 0, 0, 1)
    return pd.concat([raw, raw.iloc[[10, 20]]], ignore_index=True)


@pytest.mark.slow
def test_spark_load_and_summary_equal_duckdb(spark):
    from clvlib.data.reading import load_transactions, to_frame

    raw = _raw_log()
    table = _spark_table(spark, "raw_log", raw)
    tx, audit = load_transactions(table, lazy=True, observation_end=END)
    want_tx, want = load_transactions(ibis.memtable(raw), lazy=True, observation_end=END)
    assert audit.options["format"] == "ibis table (pyspark)"
    table_ = audit.table()
    pd.testing.assert_frame_equal(table_, want.table())
    assert table_.loc[["no_customer", "duplicate"], "rows"].tolist() == [1, 2]
    assert table_.loc[["zero_value", "after_observation_end", "return"], "rows"].min() > 0
    assert audit.examples() == want.examples()
    pd.testing.assert_series_equal(audit.outcomes, want.outcomes)
    pd.testing.assert_frame_equal(to_frame(tx), to_frame(want_tx))
    for unit in ("D", "W"):
        _assert_same(
            customer_summary(tx, observation_end=END, time_unit=unit),
            customer_summary(want_tx, observation_end=END, time_unit=unit),
        )


def test_threads_summarise_one_frame_at_once():
    from concurrent.futures import ThreadPoolExecutor

    tx = _random_log()
    want = customer_summary(tx, observation_end=END)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(
            pool.map(lambda _: customer_summary(tx, observation_end=END, time_unit="D"), range(8))
        )
    for got in results:
        pd.testing.assert_frame_equal(got, want)


def test_loads_and_summaries_from_several_threads_at_once_never_fail(tmp_path):
    """Issue 18: the runner checks several data sets in threads. One DuckDB connection shared
    by them failed ("Attempting to execute an unsuccessful or closed pending query result")
    when one thread opened a Parquet file while another queried; each thread has its cursor."""
    from concurrent.futures import ThreadPoolExecutor

    from clvlib.data import log
    from clvlib.data.reading import load_transactions

    paths = []
    for seed in range(3):
        raw = _raw_log().sample(frac=0.5, random_state=seed).reset_index(drop=True)
        paths += [tmp_path / f"log{seed}.parquet", tmp_path / f"log{seed}.csv"]
        raw.to_parquet(paths[-2])
        raw.to_csv(paths[-1], index=False)

    def work(path: Path) -> tuple:
        tx, audit = load_transactions(path, lazy=True, observation_end=END)
        summary = customer_summary(tx, observation_end="2024-02-29")
        split = calibration_holdout(tx, calibration_end="2024-02-15", holdout_end="2024-03-15")
        active = active_periods(tx, observation_end=pd.Timestamp("2024-02-15"), period="W")
        frame = log.to_frame(tx)
        return (
            audit.table()["rows"].tolist(),
            log.stats(tx)["n_lines"],
            len(frame),
            summary["frequency"].sum(),
            split["holdout_orders"].sum(),
            len(active),
        )

    want = {path: work(path) for path in paths}
    rounds = [paths[i % len(paths)] for i in range(6 * 4)]  # 4 rounds of each of 6 threads
    with ThreadPoolExecutor(max_workers=6) as pool:
        got = list(pool.map(work, rounds))
    assert got == [want[path] for path in rounds]
