"""The report runner: kernels, the run of a notebook, the output folder, the command line.

Runner tests execute tiny notebooks written here (a few cells each) in real kernels: that is
what checks failures name the notebook and the cell, keep the partial notebook, time out, and
run on this interpreter whatever kernelspec is registered.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
import pandas as pd
import pytest

from clvlib.report import folder as runfolder
from clvlib.report import kernels, pages
from clvlib.report import runner as report
from clvlib.report.cli import main
from clvlib.report.errors import KernelStartError, ReportError
from clvlib.report.params import load_params, parameters_cell

PROJECT_ROOT = Path(__file__).resolve().parents[1]

# A tiny log (the runner tests skip the minimum-data gate, tested on its own with enough_data)
LOG = """customer_id,order_id,timestamp,quantity,unit_price,unit_cost
1,A1,2024-01-05 10:00:00,2,10.00,6.00
1,A2,2024-03-01 12:00:00,1,40.00,30.00
2,B1,2024-02-10 09:00:00,3,20.00,10.00
2,B2,2024-06-20 09:00:00,1,15.00,5.00
"""


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    """A folder with the tiny log and a params file pointing at it."""
    (tmp_path / "log.csv").write_text(LOG)
    (tmp_path / "params.yaml").write_text(
        "dataset_name: tiny\ndata_path: log.csv\ncustomers_path: ''\n"
        "calibration_end: 2024-03-31\nholdout_end: 2024-06-20\noutput_dir: out\n"
    )
    return tmp_path


def test_deadline_shares_one_budget_across_cells(monkeypatch: pytest.MonkeyPatch) -> None:
    now = iter([100.0, 100.0, 103.0, 200.0])
    monkeypatch.setattr(kernels.time, "monotonic", lambda: next(now))
    deadline = kernels._Deadline(10)
    assert deadline(None) == 10  # first cell: the whole budget
    assert deadline(None) == 7  # three seconds later
    assert deadline(None) == 0.01  # spent: never 0, which nbclient reads as "no limit"


def test_find_notebooks_names_the_choices() -> None:
    with pytest.raises(ReportError, match=r"no notebook 'nope'; choose from \["):
        report.find_notebooks(["nope"])


def test_kernel_spec_is_this_interpreter() -> None:
    spec = kernels.kernel_spec(threads=1)
    assert spec.argv[:3] == [sys.executable, "-m", "ipykernel_launcher"]
    assert spec.env["MPLBACKEND"] == kernels.INLINE_BACKEND
    manager = kernels.kernel_manager_class()(kernel_name="python3")
    assert manager.kernel_spec.argv[0] == sys.executable


# ----------------------------------------------------------------------------- runner


def notebook(path: Path, *cells: str) -> Path:
    """A report-like notebook: a title, the parameters cell, then ``cells``."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "Py"}
    nb.cells.append(nbformat.v4.new_markdown_cell(f"# Test report {path.stem}"))
    params = nbformat.v4.new_code_cell(parameters_cell())
    params.metadata["tags"] = ["parameters"]
    nb.cells.append(params)
    nb.cells += [nbformat.v4.new_code_cell(c) for c in cells]
    nbformat.write(nb, path)
    return path


OK_CELLS = (
    "import sys\nimport clvlib.report.notebook\nimport matplotlib.pyplot as plt",
    "params = clvlib.collect_params(globals())",
    "plt.plot([1, 3, 2])",
    "clvlib.report.notebook.save_headline(\n"
    '    params, notebook="a_ok", figures={"kernel python": sys.executable}\n'
    ")",
)


@pytest.fixture(scope="module")
def failed_run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One run of a good and a failing notebook, under a stale user 'python3' kernelspec.

    The stale spec points at a Python that does not exist: the run must not use it.
    """
    tmp = tmp_path_factory.mktemp("run")
    (tmp / "log.csv").write_text(LOG)
    (tmp / "params.yaml").write_text(
        "data_path: log.csv\ncustomers_path: ''\ncalibration_end: 2024-03-31\n"
        "holdout_end: 2024-06-20\n"
    )
    stale = tmp / "jupyter" / "kernels" / "python3"
    stale.mkdir(parents=True)
    (stale / "kernel.json").write_text(
        json.dumps(
            {
                "argv": ["/nonexistent/python", "-m", "ipykernel_launcher", "-f", "{c}"],
                "display_name": "stale",
                "language": "python",
            }
        )
    )
    good = notebook(tmp / "a_ok.ipynb", *OK_CELLS)
    bad = notebook(tmp / "b_fail.ipynb", "x = 1", "y = x / 0", "z = 2")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JUPYTER_PATH", str(tmp / "jupyter"))
        mp.setenv("JUPYTER_DATA_DIR", str(tmp / "jupyter"))
        mp.setenv("MPLBACKEND", "Agg")  # the kernel must still draw inline figures
        with pytest.raises(ReportError) as err:
            report.render_reports(
                tmp / "params.yaml",
                tmp / "out",
                notebooks=[good, bad],
                progress=False,
                validate=False,  # a toy log: the minimum-data gate is tested on its own
            )
    return {"out": tmp / "out", "error": str(err.value)}


def test_failure_names_notebook_cell_and_error(failed_run: dict) -> None:
    message = failed_run["error"]
    assert "b_fail.ipynb failed in cell 4 of 5" in message
    assert "y = x / 0" in message
    assert "ZeroDivisionError: division by zero" in message
    assert "a_ok" not in message


def test_failure_keeps_the_partial_notebook(failed_run: dict) -> None:
    partial = nbformat.read(failed_run["out"] / "notebooks" / "b_fail.ipynb", as_version=4)
    sources = [c.source for c in partial.cells if c.cell_type == "code"]
    assert "y = x / 0" in sources
    errors = [o for c in partial.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert [e.ename for e in errors] == ["ZeroDivisionError"]
    assert not (failed_run["out"] / "b_fail.html").exists()


def test_other_notebooks_still_render_and_index_marks_the_failure(failed_run: dict) -> None:
    out = failed_run["out"]
    page = (out / "a_ok.html").read_text()
    assert "data:image/png;base64" in page  # inline figure, although MPLBACKEND=Agg
    index = (out / "index.html").read_text()
    assert 'href="a_ok.html"' in index and 'href="a_ok.code.html"' in index
    assert 'class="card failed"' in index and "ZeroDivisionError" in index


def test_a_failed_run_is_in_place_and_says_so(failed_run: dict) -> None:
    manifest = json.loads((failed_run["out"] / report.MANIFEST).read_text())
    assert manifest["status"] == "failed"
    assert "notebooks/b_fail.ipynb" in manifest["files"] and "a_ok.html" in manifest["files"]
    assert not [p for p in failed_run["out"].parent.iterdir() if "clvlib-staging" in p.name]


def test_kernel_is_this_interpreter_despite_a_stale_kernelspec(failed_run: dict) -> None:
    headline = json.loads((failed_run["out"] / "exports" / "headline_a_ok.json").read_text())
    assert headline["figures"]["kernel python"] == sys.executable


def enough_data(folder: Path, *, customers: int = 120, holdout_end: str = "2024-06-20") -> Path:
    """A log that passes the minimum-data gate, and a parameters file for it."""
    rng = np.random.default_rng(0)
    rows = ["customer_id,order_id,timestamp,quantity,unit_price"]
    for c in range(customers):
        for k, day in enumerate(sorted(rng.choice(170, size=3, replace=False))):
            stamp = pd.Timestamp("2024-01-01") + pd.Timedelta(days=int(day), hours=10)
            rows.append(f"{c},{c}-{k},{stamp},1,{10 + c % 7}.50")
    rows.append(f"0,last,{holdout_end} 12:00:00,1,9.50")  # the data reach holdout_end
    (folder / "log.csv").write_text("\n".join(rows) + "\n")
    (folder / "p.yaml").write_text(
        "data_path: log.csv\ncustomers_path: ''\ncalibration_end: 2024-04-30\n"
        f"holdout_end: {holdout_end}\n"
    )
    return folder / "p.yaml"


def test_cli_exit_status_and_message(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    enough_data(tmp_path)
    bad = notebook(tmp_path / "c_fail.ipynb", "raise ValueError('bad margin')")
    status = main(
        ["report", "--params", str(tmp_path / "p.yaml"), "--out", str(tmp_path / "o")]
        + ["--notebooks", str(bad), "--no-progress"]
    )
    assert status == 1
    err = capsys.readouterr().err
    assert "c_fail.ipynb failed in cell 3 of 3" in err and "ValueError: bad margin" in err


def test_cli_bad_params_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "p.yaml").write_text("margn: 0.3\n")
    assert main(["report", "--params", str(tmp_path / "p.yaml")]) == 2
    assert "did you mean 'margin'" in capsys.readouterr().err


def test_timeout_stops_the_notebook_and_names_the_cell(shop: Path) -> None:
    slow = notebook(shop / "slow.ipynb", "import time", "time.sleep(60)", "x = 1")
    with pytest.raises(ReportError, match=r"slow\.ipynb timed out after 2 s in cell 4 of 5"):
        report.render_reports(
            shop / "params.yaml",
            shop / "out",
            notebooks=[slow],
            timeout=2,
            progress=False,
            validate=False,
        )
    assert (shop / "out" / "notebooks" / "slow.ipynb").exists()


def test_kernel_that_cannot_start_is_reported(shop: Path) -> None:
    broken = shop / "python"
    broken.write_text("#!/bin/sh\nexit 3\n")
    broken.chmod(0o755)
    nb = notebook(shop / "k.ipynb", "x = 1")
    with pytest.raises(KernelStartError, match="cannot start the notebook kernel"):
        report.render_reports(
            shop / "params.yaml",
            shop / "out",
            notebooks=[nb],
            python=str(broken),
            progress=False,
            validate=False,
        )


def test_missing_python_fails_before_any_kernel(shop: Path) -> None:
    nb = notebook(shop / "k.ipynb", "x = 1")
    with pytest.raises(KernelStartError, match="no Python at /nonexistent/python"):
        report.render_reports(
            shop / "params.yaml",
            notebooks=[nb],
            python="/nonexistent/python",
            progress=False,
            validate=False,
        )


# ----------------------------------------------------------------- validate once, exit 2


def test_late_holdout_end_is_one_message_exit_2_nothing_rendered(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    params = enough_data(tmp_path)
    late = params.read_text().replace("2024-06-20", "2024-09-30")
    params.write_text(late)
    status = main(["report", "--params", str(params), "--out", str(tmp_path / "o")])
    assert status == 2
    err = capsys.readouterr().err
    assert err.count("holdout_end 2024-09-30 is after the last purchase") == 1
    assert len(err.strip().splitlines()) == 1
    assert str(tmp_path) not in err  # the data file is named relative to the params file
    assert not (tmp_path / "o").exists()


def test_minimum_data_gate_names_every_shortfall(tmp_path: Path) -> None:
    params = load_params(enough_data(tmp_path, customers=30))
    with pytest.raises(report.InputError) as err:
        report.check_data(params)
    message = str(err.value)
    assert message.startswith("log.csv has too little data for the reports: ")
    assert "customers who bought in the calibration period: 30, at least 100 needed" in message
    assert "calibration days" not in message  # 2024-01-01 .. 2024-04-30: 121 days, enough
    early = load_params(enough_data(tmp_path), overrides={"calibration_end": "2024-02-15"})
    with pytest.raises(report.InputError, match=r"calibration days \(first order to "):
        report.check_data(early)
    report.check_data(load_params(enough_data(tmp_path)))  # 120 customers pass: no error
    auto = load_params(enough_data(tmp_path), overrides={"n_clusters": "auto"})
    report.check_data(auto)  # "auto" needs choose_k's least k (2), not int("auto")


def test_checking_the_data_leaves_the_callers_currency_alone(tmp_path: Path) -> None:
    """The page's currency is set in its kernel; the runner's process formats as it did."""
    from clvlib.vocabulary import currency

    params = load_params(enough_data(tmp_path), overrides={"currency": "GBP"})
    before = currency()
    report.check_data(params)
    assert currency() == before


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("margin: [0.3\n", r"p\.yaml, line 2, column 1: not valid YAML: expected ',' or ']'"),
        (
            "margin: !!python/object/apply:os.system ['echo pwned']\n",
            r"p\.yaml, line 1, column 9: could not determine a constructor .* plain values only",
        ),
    ],
)
def test_yaml_errors_are_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture, text: str, expected: str
) -> None:
    (tmp_path / "p.yaml").write_text(text)
    assert main(["report", "--params", str(tmp_path / "p.yaml")]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert re.search(expected, err), err


def test_notebook_typo_gets_a_suggestion(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    params = enough_data(tmp_path)
    assert main(["report", "--params", str(params), "--notebooks", "01_data_audti"]) == 2
    assert "did you mean '01_data_audit'?" in capsys.readouterr().err


# ----------------------------------------------------------------- the output folder


def test_a_run_owns_its_output_folder(shop: Path, capsys: pytest.CaptureFixture) -> None:
    first = notebook(
        shop / "first.ipynb",
        "import clvlib.report.notebook",
        "params = clvlib.collect_params(globals())",
        'clvlib.report.notebook.export_path(params, filename="first.csv").write_text("old")',
    )
    second = notebook(shop / "second.ipynb", "x = 1")
    out = shop / "out"
    report.render_reports(shop / "params.yaml", out, notebooks=[first], validate=False)
    assert (out / "exports" / "first.csv").exists() and (out / "first.html").exists()
    lines = capsys.readouterr().out.splitlines()  # not a terminal: one line per notebook
    assert len(lines) == 1 and re.fullmatch(r"first: ok in \d+\.\d s", lines[0])
    (out / "mine.txt").write_text("a user's file")  # put beside a run's files: it stays
    report.render_reports(shop / "params.yaml", out, notebooks=[second], validate=False)
    left = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert left == [
        ".clvlib-manifest.json",
        ".clvlib-pages.json",
        "index.html",
        "mine.txt",
        "notebooks/second.ipynb",
        "provenance.json",
        "second.code.html",
        "second.html",
    ]
    index = (out / "index.html").read_text()
    assert "first" not in index and str(shop) not in index
    manifest = json.loads((out / report.MANIFEST).read_text())
    assert manifest["status"] == "ok" and "mine.txt" not in manifest["files"]
    assert (out / "mine.txt").read_text() == "a user's file"
    assert sorted(p.name for p in shop.iterdir() if "clvlib-staging" in p.name) == []


def test_arrange_puts_the_answer_first_and_the_appendix_last() -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Title"),
        nbformat.v4.new_markdown_cell("params", metadata={"tags": ["appendix"]}),
        nbformat.v4.new_markdown_cell("evidence"),
        nbformat.v4.new_markdown_cell("the answer", metadata={"tags": ["answer"]}),
        nbformat.v4.new_markdown_cell("definitions", metadata={"tags": ["appendix"]}),
    ]
    arranged = pages.arrange(nb)
    assert [c.source for c in arranged.cells] == [
        "# Title",
        "the answer",
        "evidence",
        "",
        "params",
        "definitions",
        "",
    ]
    page = pages.to_html(nb, code=False)
    assert page.index("the answer") < page.index("evidence") < page.index("<details")
    details = page[page.index('<details class="clv-appendix">') : page.index("</details>")]
    assert "params" in details and "definitions" in details and "evidence" not in details


# ----------------------------------------------------------------- staging, refusals, Ctrl-C


def contents(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` and its bytes."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def staging_left(folder: Path) -> list[str]:
    """Staging folders of runs beside the output folders in ``folder``."""
    return sorted(p.name for p in folder.iterdir() if runfolder.STAGING in p.name)


def test_a_commit_cut_short_never_looks_finished_and_the_next_cleans_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def run(folder: Path, *names: str) -> Path:
        for name in names:
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(f"{folder.name} {name}")
        return folder

    out = run(tmp_path / "o", "index.html", "a.html", "exports/a.json")
    runfolder.write_manifest(out, "ok")
    (out / "mine.txt").write_text("a user's file")  # so the run is put in place file by file
    staging = run(tmp_path / ".o.clvlib-staging-1", "index.html", "b.html", "exports/b.json")
    moved: list[str] = []

    def killed_after_one(source: Path, target: Path) -> None:
        if moved:
            raise OSError("killed")
        moved.append(str(target))
        os.rename(source, target)

    monkeypatch.setattr(runfolder.os, "replace", killed_after_one)
    with pytest.raises(OSError, match="killed"):
        runfolder.commit(staging, out, status="ok")
    monkeypatch.undo()
    left = runfolder.read_manifest(out)
    assert left is not None and left["status"] == "incomplete"  # never looks finished
    assert not (out / "index.html").exists()  # the old index went first, the new one comes last
    assert set(left["files"]) >= {"a.html", "exports/a.json", "b.html", "exports/b.json"}

    again = run(tmp_path / ".o.clvlib-staging-2", "index.html", "c.html")
    runfolder.commit(again, out, status="failed")
    assert sorted(contents(out)) == [runfolder.MANIFEST, "c.html", "index.html", "mine.txt"]
    assert runfolder.read_manifest(out) == {"status": "failed", "files": ["c.html", "index.html"]}
    assert (out / "index.html").read_text() == ".o.clvlib-staging-2 index.html"


def test_a_folder_no_run_wrote_is_refused_unless_forced(shop: Path) -> None:
    out = shop / "data"
    out.mkdir()
    (out / "sales.csv").write_text("a user's data")
    nb = notebook(shop / "q.ipynb", "x = 1")
    with pytest.raises(report.InputError, match=r"holds files that no clvlib run wrote \(sales"):
        report.render_reports(shop / "params.yaml", out, notebooks=[nb], validate=False)
    assert sorted(contents(out)) == ["sales.csv"] and staging_left(shop) == []
    report.render_reports(shop / "params.yaml", out, notebooks=[nb], validate=False, force=True)
    assert (out / "sales.csv").read_text() == "a user's data" and (out / "q.html").exists()
    manifest = runfolder.read_manifest(out)
    assert manifest is not None and "sales.csv" not in manifest["files"]
    assert staging_left(shop) == []


@pytest.mark.parametrize(
    ("out", "force"), [(".", []), ("notebooks", []), ("clvlib", []), (".", ["--force"])]
)
def test_the_project_folders_are_refused(
    out: str, force: list[str], capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # with --force, notebooks/ and clvlib/ would get the reports beside their files: only
    # the project root is refused even then, since its notebooks/*.ipynb would be overwritten
    monkeypatch.chdir(PROJECT_ROOT)
    before = contents(PROJECT_ROOT / "notebooks")
    args = ["report", "--params", "params/default.yaml", "--out", out, *force]
    assert main([*args, "--notebooks", "01_data_audit", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    if force:  # the run would write notebooks/01_data_audit.ipynb over the project's own
        assert "notebooks/01_data_audit.ipynb, which the reports would overwrite" in err
    else:
        assert f"--out {out} holds files that no clvlib run wrote" in err and "--force" in err
    assert contents(PROJECT_ROOT / "notebooks") == before
    assert staging_left(PROJECT_ROOT) == [] and staging_left(PROJECT_ROOT.parent) == []


def cli(*args: str, cwd: Path) -> subprocess.Popen:
    """``python -m clvlib report ARGS`` in a process of its own (this checkout's clvlib)."""
    path = os.pathsep.join(p for p in (str(PROJECT_ROOT), os.environ.get("PYTHONPATH")) if p)
    return subprocess.Popen(
        [sys.executable, "-m", "clvlib", "report", *args, "--no-progress"],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": path},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def slow_run(tmp_path: Path) -> tuple[Path, dict[str, bytes], subprocess.Popen, int]:
    """A complete report in ``o``; then a run into ``o`` whose kernel sleeps, under way.

    Returns the folder, its contents before the second run, that run and its kernel's pid.
    """
    params, out, marker = enough_data(tmp_path), tmp_path / "o", tmp_path / "kernel.pid"
    quick = notebook(tmp_path / "quick.ipynb", "x = 1")
    report.render_reports(params, out, notebooks=[quick], validate=False, progress=False)
    before = contents(out)
    slow = notebook(
        tmp_path / "slow.ipynb",
        "import os, pathlib, time",
        f"pathlib.Path({str(marker)!r}).write_text(str(os.getpid()))",
        "time.sleep(120)",
    )
    args = ["--params", str(params), "--out", str(out), "--timeout", "150"]
    run = cli(*args, "--notebooks", str(slow), str(quick), cwd=tmp_path)
    deadline = time.monotonic() + 180
    while not marker.exists() or not marker.read_text():
        if run.poll() is not None or time.monotonic() > deadline:
            run.kill()
            pytest.fail(f"the slow notebook never started:\n{run.communicate()[1]}")
        time.sleep(0.2)
    assert staging_left(tmp_path) != [] and contents(out) == before  # it renders beside
    return out, before, run, int(marker.read_text())


def gone(pid: int, within: float = 20.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.2)
    return False


@pytest.mark.slow
def test_ctrl_c_stops_the_kernels_and_leaves_the_previous_report(tmp_path: Path) -> None:
    out, before, run, kernel = slow_run(tmp_path)
    interrupted = time.monotonic()
    run.send_signal(signal.SIGINT)
    try:
        _, err = run.communicate(timeout=60)
    finally:
        run.kill()
    assert time.monotonic() - interrupted < 30  # not the 120 s the notebook would still take
    assert run.returncode == 130, err
    assert "interrupted: the kernels were stopped" in err and "Traceback" not in err
    assert gone(kernel), "the kernel still runs"
    assert contents(out) == before and staging_left(tmp_path) == []


@pytest.mark.slow
def test_a_killed_run_leaves_the_previous_report_and_the_next_run_no_stale_file(
    tmp_path: Path,
) -> None:
    out, before, run, kernel = slow_run(tmp_path)
    run.kill()  # SIGKILL: no clean-up of any kind
    run.wait()
    assert contents(out) == before
    assert len(staging_left(tmp_path)) == 1  # what it wrote stays beside, never in out
    other = notebook(tmp_path / "other.ipynb", "y = 2")
    report.render_reports(tmp_path / "p.yaml", out, notebooks=[other], validate=False)
    assert staging_left(tmp_path) == []  # the killed run's staging folder is removed
    assert sorted(contents(out)) == [
        runfolder.MANIFEST,
        ".clvlib-pages.json",
        "index.html",
        "notebooks/other.ipynb",
        "other.code.html",
        "other.html",
        "provenance.json",
    ]
    assert gone(kernel)  # a kernel whose runner died ends by itself


# ----------------------------------------------------------------- one message, exit 2


def latin_1(folder: Path) -> list[str]:
    (folder / "p.yaml").write_bytes("dataset_name: café\n".encode("latin-1"))
    return ["--params", str(folder / "p.yaml")]


def out_is_a_file(folder: Path) -> list[str]:
    (folder / "o").write_text("a file")
    return ["--params", str(enough_data(folder)), "--out", str(folder / "o")]


def out_inside_a_file(folder: Path) -> list[str]:
    (folder / "f").write_text("a file")
    return ["--params", str(enough_data(folder)), "--out", str(folder / "f" / "o")]


def no_customer_column(folder: Path) -> list[str]:
    params = enough_data(folder)
    (folder / "log.csv").write_text("client,timestamp,amount\n1,2024-01-05,10.0\n")
    return ["--params", str(params)]


def missing_data_file(folder: Path) -> list[str]:
    params = enough_data(folder)
    (folder / "log.csv").unlink()
    return ["--params", str(params)]


def params_is_a_folder(folder: Path) -> list[str]:
    (folder / "p.yaml").mkdir()
    return ["--params", str(folder / "p.yaml")]


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        (latin_1, r"p\.yaml is not UTF-8 text \(byte 0xe9 at offset 17\): save .* as UTF-8$"),
        (out_is_a_file, r"--out .*/o is a file, not a folder"),
        (out_inside_a_file, r"--out .*/f/o is inside .*/f, a file, not a folder$"),
        (no_customer_column, r"customer_id"),
        (missing_data_file, r"log\.csv"),
        (params_is_a_folder, r"p\.yaml is a folder, not a parameters file$"),
    ],
    ids=lambda case: getattr(case, "__name__", None),
)
def test_data_and_parameter_errors_are_one_message_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture, case: Any, expected: str
) -> None:
    args = case(tmp_path)
    assert main(["report", *args, "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("error: ") == 1, err
    assert "Traceback" not in err, err
    assert re.search(expected, err, flags=re.MULTILINE), err


def test_a_bug_still_shows_its_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def bug(*args: Any, **kwargs: Any) -> None:
        raise ZeroDivisionError("a bug, not a user's error")

    monkeypatch.setattr(report, "render_reports", bug)
    with pytest.raises(ZeroDivisionError):  # python -m clvlib: traceback, exit status 1
        main(["report", "--params", str(enough_data(tmp_path)), "--no-progress"])


# ----------------------------------------------------------------- several data sets at once


@pytest.mark.slow
def test_three_data_sets_at_once_never_fail(tmp_path: Path) -> None:
    """The default shop and two Parquet parts of it, checked and rendered in threads at once.

    The data sets' threads load their data at the same time in this one process (the check
    before any kernel): on one shared DuckDB connection that failed about one round in three.
    Each data set renders a small notebook (notebook 05, which the verdict needs, takes
    minutes): every data set must render; the verdict is then skipped, saying why.
    """
    shop = pd.read_csv(PROJECT_ROOT / "data" / "transactions.csv")
    default = (PROJECT_ROOT / "params" / "default.yaml").read_text(encoding="utf-8")
    params = [PROJECT_ROOT / "params" / "default.yaml"]
    for part in (1, 2):
        shop[shop["customer_id"] % 10 == part].to_parquet(tmp_path / f"part{part}.parquet")
        text = default.replace("simulated shop", f"shop part {part}")
        text = text.replace("../data/transactions.csv", f"part{part}.parquet")
        text = text.replace("../data/customers.csv", "''")
        (tmp_path / f"part{part}.yaml").write_text(text, encoding="utf-8")
        params.append(tmp_path / f"part{part}.yaml")
    nb = notebook(tmp_path / "load.ipynb", "x = 1")
    out = tmp_path / "out"
    for _ in range(6):
        # fresh: each round loads the three logs at once (the data check is not skipped)
        index = report.render_data_sets(
            params, out, notebooks=[nb], jobs=3, progress=False, fresh=True
        )
        assert "The verdict across data sets is skipped" in index.read_text(encoding="utf-8")
        for sub in ("simulated_shop", "shop_part_1", "shop_part_2"):
            assert runfolder.read_manifest(out / sub) == {
                "status": "ok",
                "files": [
                    ".cache/data_check.json",  # what the data check read (reuse.py)
                    ".clvlib-pages.json",  # what the next run may reuse (reuse.py)
                    "index.html",
                    "load.code.html",
                    "load.html",
                    "notebooks/load.ipynb",
                    "provenance.json",
                ],
            }
