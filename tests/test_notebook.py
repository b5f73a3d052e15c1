"""clvlib.notebook beyond the page text: work shared between the kernels of one run."""

from __future__ import annotations

import threading
import time

import pandas as pd
import pytest

from clvlib import evaluation
from clvlib import notebook as nbk
from clvlib.params import PARAMS


@pytest.fixture
def params(tmp_path, monkeypatch):
    monkeypatch.setenv(nbk.RUNNER_ENV, "1")  # exports in output_dir, as in a rendered run
    values = {name: spec.default for name, spec in PARAMS.items()}
    values.update(output_dir=str(tmp_path), n_clusters=3)
    return values


@pytest.fixture
def counted(monkeypatch):
    """compare_methods replaced by a slow stand-in that counts its calls."""
    calls = []

    def fake(tx, **kwargs):
        calls.append(kwargs["calibration_end"])
        time.sleep(0.3)
        return {"lines": len(tx), "settings": kwargs["n_clusters"]}

    monkeypatch.setattr(evaluation, "compare_methods", fake)
    return calls


def _log(amount: float = 10.0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 2],
            "order_id": ["a", "b", "c"],
            "timestamp": pd.to_datetime(["2024-01-01", "2024-03-01", "2024-02-01"]),
            "amount": [amount, 5.0, 7.0],
            "is_return": [False, False, False],
        }
    )


def test_the_comparison_is_computed_once_for_equal_inputs(params, counted):
    first = nbk.run_comparison(params, tx=_log(), customers=None)
    again = nbk.run_comparison(params, tx=_log(), customers=None)  # a new, equal frame
    assert again == first
    assert len(counted) == 1
    assert list((nbk.cache_path(params, filename="x").parent).glob("comparison_*.pickle"))


def test_other_data_or_settings_recompute(params, counted):
    nbk.run_comparison(params, tx=_log(), customers=None)
    nbk.run_comparison(params, tx=_log(amount=10.5), customers=None)  # one value differs
    nbk.run_comparison({**params, "calibration_end": "2024-05-31"}, tx=_log(), customers=None)
    nbk.run_comparison(params, tx=_log(), customers=None, truth=object())  # with a truth
    assert len(counted) == 4


def test_a_kernel_waits_for_the_comparison_another_is_computing(params, counted):
    results = []

    def kernel():
        results.append(nbk.run_comparison(params, tx=_log(), customers=None))

    threads = [threading.Thread(target=kernel) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(counted) == 1
    assert results[0] == results[1]


def test_the_cache_sits_beside_the_exports_not_in_them(params):
    path = nbk.cache_path(params, filename="k.pickle")
    assert path.parent.name == ".cache"
    assert path.parent.parent == nbk.export_path(params, filename="x").parent.parent


def test_fingerprint_tells_frames_apart():
    base = nbk.data_fingerprint(_log())
    assert nbk.data_fingerprint(_log()) == base
    assert nbk.data_fingerprint(_log(amount=10.5)) != base
    assert nbk.data_fingerprint(_log().rename(columns={"amount": "value"})) != base
    assert nbk.data_fingerprint(_log().astype({"amount": "float32"})) != base
    assert nbk.data_fingerprint(_log(), None) != base
