"""Re-rendering only what changed: a page is reused only when nothing it was made from changed."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from clvlib.report import reuse
from clvlib.report import runner as report
from clvlib.report.ledger import LEDGER_ENV
from clvlib.report.params import Params, RecordedParams, load_params
from tests.test_runner import LOG, notebook


def test_recorded_params_write_each_read_once_and_a_copy_reads_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = tmp_path / "ledger.txt"
    monkeypatch.setenv(LEDGER_ENV, str(ledger))
    params = reuse_params({"margin": 0.3, "cac": 10.0})
    assert params["margin"] == 0.3 and params["margin"] == 0.3 and params.get("cac") == 10.0
    assert ledger.read_text().splitlines() == ["param:margin", "param:cac"]
    assert dict(params) == {"margin": 0.3, "cac": 10.0}  # a copy: every parameter
    assert reuse.read_ledger(ledger) == ({"margin", "cac", "*"}, set())


def test_a_page_shows_the_parameters_it_read_so_its_table_never_goes_stale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The parameters table lists what the page read: showing it reads nothing more."""
    from clvlib.report.provenance import parameters_used

    monkeypatch.setenv(LEDGER_ENV, str(tmp_path / "ledger.txt"))
    params = reuse_params({"margin": 0.3, "cac": 10.0, "n_bins": 5})
    assert params["n_bins"] == 5 and params.get("margin") == 0.3
    assert params.used() == ["margin", "n_bins"]  # schema order
    html = parameters_used(params).data
    assert "n_bins" in html and "margin" in html and "cac" not in html
    assert params.used() == ["margin", "n_bins"]  # the table read nothing more
    assert "*" not in reuse.read_ledger(tmp_path / "ledger.txt")[0]
    dict(params)  # a copy read them all: the table shows them all
    assert params.used() is None and "cac" in parameters_used(params).data
    # outside a report run (JupyterLab) the page shows every parameter
    assert "cac" in parameters_used(Params({"margin": 0.3, "cac": 10.0})).data


def reuse_params(values: dict) -> RecordedParams:
    return RecordedParams(values)


def test_page_key_follows_what_the_page_read(tmp_path: Path) -> None:
    data = tmp_path / "log.csv"
    data.write_text(LOG)
    nb = notebook(tmp_path / "page.ipynb", "x = 1")
    params = Params({"data_path": str(data), "margin": 0.3, "cac": 10.0, "output_dir": "a"})
    key = reuse.page_key(nb, params, {"data_path", "margin"})
    assert reuse.page_key(nb, {**params, "cac": 99.0}, {"data_path", "margin"}) == key
    assert reuse.page_key(nb, {**params, "output_dir": "b"}, {"data_path", "output_dir"}) == (
        reuse.page_key(nb, params, {"data_path"})
    )
    assert reuse.page_key(nb, {**params, "margin": 0.4}, {"data_path", "margin"}) != key
    assert reuse.page_key(nb, {**params, "cac": 99.0}, {"*"}) != reuse.page_key(nb, params, {"*"})
    data.write_text(LOG + "3,C1,2024-02-01 10:00:00,1,5.00,1.00\n")  # the data changed
    assert reuse.page_key(nb, params, {"data_path", "margin"}) != key
    data.write_text(LOG)
    assert reuse.page_key(nb, params, {"data_path", "margin"}) == key
    notebook(nb, "x = 2")  # the notebook changed
    assert reuse.page_key(nb, params, {"data_path", "margin"}) != key


def test_names_used_finds_parameters_used_outside_params(tmp_path: Path) -> None:
    nb = notebook(tmp_path / "page.ipynb", "y = margin * 2", "params = {}")
    assert reuse.names_used(nb) == {"margin"}


def _page(shop: Path) -> Path:
    return notebook(
        shop / "page.ipynb",
        "import clvlib.report.notebook\nimport pandas as pd",
        "params = clvlib.collect_params(globals())",
        'tx = pd.read_csv(params["data_path"])\nprint(len(tx), params["margin"])',
        'clvlib.report.notebook.export_path(params, filename="page.csv").write_text("x")',
    )


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    (tmp_path / "log.csv").write_text(LOG)
    (tmp_path / "params.yaml").write_text(
        "dataset_name: tiny\ndata_path: log.csv\ncustomers_path: ''\nmargin: 0.3\n"
        "calibration_end: 2024-03-31\nholdout_end: 2024-06-20\noutput_dir: out\n"
    )
    return tmp_path


def test_an_unchanged_page_is_reused_and_any_change_it_read_renders_it_again(
    shop: Path, capsys: pytest.CaptureFixture
) -> None:
    nb, out = _page(shop), shop / "out"
    options = {"notebooks": [nb], "validate": False}
    report.render_reports(shop / "params.yaml", out, **options)
    pages = json.loads((out / reuse.PAGES_FILE).read_text())
    assert {"data_path", "margin"} <= set(pages["page"]["reads"])
    assert "exports/page.csv" in pages["page"]["files"]
    first = (out / "page.html").read_bytes()
    capsys.readouterr()

    report.render_reports(shop / "params.yaml", out, **options)  # nothing changed
    assert "page: unchanged since the last run, reused" in capsys.readouterr().out
    index = (out / "index.html").read_text()  # the card does not claim a render in 0.0 s
    assert "unchanged since the last run" in index and "rendered in 0.0 s" not in index
    assert (out / "page.html").read_bytes() == first and (out / "exports/page.csv").exists()

    report.render_reports(shop / "params.yaml", out, fresh=True, **options)
    assert "page: ok in" in capsys.readouterr().out

    params = load_params(shop / "params.yaml", overrides={"margin": 0.5})
    report.render_reports(params, out, **options)  # a parameter the page read
    assert "page: ok in" in capsys.readouterr().out

    (shop / "log.csv").write_text(LOG + "3,C1,2024-02-01 10:00:00,1,5.00,1.00\n")
    report.render_reports(params, out, **options)  # its data
    assert "page: ok in" in capsys.readouterr().out
    assert "5 0.5" in (out / "page.html").read_text()


def test_shared_results_carry_to_the_next_run_only_while_used(tmp_path: Path) -> None:
    """The last run's clean log and comparison are offered again; unused ones are dropped."""
    import os
    import time

    last, cache = tmp_path / "last" / ".cache", tmp_path / "new" / ".cache"
    (last / "ledgers").mkdir(parents=True)
    carried = ["comparison_a.pickle", "comparison_b.pickle", "rolling_d.pickle",
               "clean_log_e.parquet", "clean_log_e.audit.pickle"]  # fmt: skip
    for name in [*carried, "x.lock", "ledgers/00.txt"]:
        (last / name).write_text(name)
    old = time.time() - 60
    for name in carried:
        os.utime(last / name, (old, old))
    reuse.carry_cache(last, cache)
    assert sorted(p.name for p in cache.iterdir()) == sorted(carried)
    started = time.time() - 1
    os.utime(cache / "comparison_a.pickle")  # a kernel used it (cache._used)
    (cache / "rolling_c.pickle").write_text("new")  # a kernel computed another rolling result
    (cache / "ledgers").mkdir()
    (cache / "y.lock").write_text("")
    reuse.prune_cache(cache, since=started)
    # b and d are superseded by a and c; the clean log nobody asked for (pages reused) stays
    assert sorted(p.name for p in cache.iterdir()) == sorted(
        ["comparison_a.pickle", "rolling_c.pickle", "clean_log_e.parquet",
         "clean_log_e.audit.pickle"]
    )  # fmt: skip


def test_a_shared_result_is_computed_again_when_clvlib_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clvlib.report import cache

    params = {"output_dir": str(tmp_path)}
    calls = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    assert cache._shared(params, "demo", [None], {"k": 1}, compute) == 1
    assert cache._shared(params, "demo", [None], {"k": 1}, compute) == 1  # kept
    monkeypatch.setattr(cache, "code_key", lambda: "another clvlib")
    assert cache._shared(params, "demo", [None], {"k": 1}, compute) == 2


def test_the_data_check_is_skipped_when_nothing_it_read_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The runner loads the log once before the kernels; not again for the same data."""
    import clvlib.report.notebook as nbk
    from tests.test_runner import enough_data

    params_file = enough_data(tmp_path)
    nb, out = notebook(tmp_path / "page.ipynb", "x = 1"), tmp_path / "out"
    loads = []
    real = nbk.load_data
    monkeypatch.setattr(nbk, "load_data", lambda *a, **k: loads.append(1) or real(*a, **k))
    report.render_reports(params_file, out, notebooks=[nb])
    assert len(loads) == 1
    record = json.loads((out / ".cache" / reuse.CHECK_FILE).read_text())
    assert {"data_path", "calibration_end", "holdout_end"} <= set(record["reads"])
    assert "margin" not in record["reads"]  # the check does not depend on it
    report.render_reports(params_file, out, notebooks=[nb])  # nothing changed
    assert len(loads) == 1
    params = load_params(params_file, overrides={"margin": 0.5})
    report.render_reports(params, out, notebooks=[nb])  # a parameter the check did not read
    assert len(loads) == 1
    report.render_reports(params, out, notebooks=[nb], fresh=True)
    assert len(loads) == 2
    with (tmp_path / "log.csv").open("a") as fh:  # the data changed
        fh.write("5,x,2024-06-01 10:00:00,1,3.50\n")
    report.render_reports(params, out, notebooks=[nb])
    assert len(loads) == 3


def test_the_customer_table_is_read_once_per_run_and_again_when_it_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every kernel of a run used to read and check the customer table itself (0.5 s each)."""
    import clvlib.report.notebook as nbk
    from clvlib.report.exports import RUNNER_ENV

    log = tmp_path / "log.csv"
    log.write_text(
        "customer_id,order_id,timestamp,amount\n007,1,2024-01-02,10\n8,2,2024-01-03,20\n"
    )
    table = tmp_path / "customers.csv"
    table.write_text("customer_id,signup_date,channel,cac\n007,2023-12-01,ads,5\n")
    params = {
        "data_path": str(log), "data_format": "clvlib", "customers_path": str(table),
        "output_dir": str(tmp_path / "out"), "sep": "", "encoding": "", "date_format": "",
        "decimal": ".", "thousands": "", "columns": {}, "sheet_name": "",
        "drop_duplicates": "auto",
    }  # fmt: skip
    reads = []
    real = nbk.load_customers
    monkeypatch.setattr(nbk, "load_customers", lambda *a, **k: reads.append(1) or real(*a, **k))
    tx = object()  # the log is not read again when the table is shared
    monkeypatch.setenv(RUNNER_ENV, "1")
    first, audit = nbk._read_customers(params, real_log := _lazy(log))
    again, _ = nbk._read_customers(params, tx)
    assert len(reads) == 1
    pd.testing.assert_frame_equal(first, again)
    assert first.index.tolist() == ["007"]  # ids of the log's kind, as read the first time
    table.write_text("customer_id,signup_date,channel,cac\n8,2023-12-01,ads,5\n")
    changed, _ = nbk._read_customers(params, real_log)
    assert len(reads) == 2 and changed.index.tolist() == ["8"]
    monkeypatch.delenv(RUNNER_ENV)  # a notebook run by hand reads it itself, every time
    nbk._read_customers(params, real_log)
    assert len(reads) == 3


def _lazy(path: Path):
    from clvlib.data.reading import load_transactions

    return load_transactions(path, lazy=True)[0]
