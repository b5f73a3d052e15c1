"""Parameters: one schema, validated before anything runs; every mistake named clearly."""

from __future__ import annotations

import ast
from datetime import date, datetime
from pathlib import Path

import pytest
import yaml

from clvlib.report.params import (
    PARAMS,
    SCHEMA,
    Params,
    ParamsError,
    collect_params,
    load_params,
    parameters_cell,
    validate_params,
)

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A params folder with a log and a customer table beside it."""
    (tmp_path / "orders.csv").write_text("customer_id,timestamp,amount\n1,2024-01-01,10\n")
    (tmp_path / "customers.csv").write_text("customer_id,signup_date\n1,2024-01-01\n")
    return tmp_path


def write(folder: Path, text: str, name: str = "my.yaml") -> Path:
    path = folder / name
    path.write_text(text)
    return path


MINIMAL = "data_path: orders.csv\ncustomers_path: customers.csv\n"


def test_minimal_file_gets_defaults_and_absolute_paths(folder: Path) -> None:
    params = load_params(write(folder, MINIMAL))
    assert list(params) == [p.name for p in SCHEMA]
    assert params["data_path"] == str(folder / "orders.csv")
    assert params["customers_path"] == str(folder / "customers.csv")
    assert params["margin"] == PARAMS["margin"].default
    assert params["output_dir"] == str((folder / PARAMS["output_dir"].default).resolve())
    assert params.source == str(folder / "my.yaml")


def test_relative_paths_resolve_against_the_file_not_the_cwd(
    folder: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path_factory.mktemp("elsewhere"))
    sub = folder / "params"
    sub.mkdir()
    params = load_params(write(sub, "data_path: ../orders.csv\ncustomers_path: null\n"))
    assert params["data_path"] == str(folder / "orders.csv")
    assert params["customers_path"] == ""


def test_typo_is_an_error_with_a_suggestion(folder: Path) -> None:
    with pytest.raises(ParamsError, match=r"unknown parameter 'margn' \(did you mean 'margin'\?\)"):
        load_params(write(folder, MINIMAL + "margn: 0.4\n"))


def test_unknown_key_without_close_match_lists_known_keys(folder: Path) -> None:
    with pytest.raises(ParamsError, match="unknown parameter 'flavour'; known: dataset_name"):
        load_params(write(folder, MINIMAL + "flavour: red\n"))


def test_every_problem_is_reported_at_once(folder: Path) -> None:
    with pytest.raises(ParamsError) as err:
        load_params(write(folder, MINIMAL + "n_bin: 5\nmargin: high\ntime_unit: Y\n"))
    message = str(err.value)
    assert "my.yaml" in message
    assert "did you mean 'n_bins'" in message
    assert "margin must be float, got str 'high'" in message
    assert "time_unit must be one of ['D', 'W', 'M'], got 'Y'" in message


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("margin: 0", "margin must be > 0.0"),
        ("margin: 1.5", "margin must be <= 1.0"),
        ("margin: .nan", "margin must be a finite number"),
        ("n_bins: 1", "n_bins must be >= 2"),
        ("n_bins: 4.5", "n_bins must be int, got float"),
        ("n_clusters: true", "n_clusters must be 'auto' or an integer from 2 to 30, got bool"),
        ("n_clusters: 1", "n_clusters must be 'auto' or an integer from 2 to 30, got int 1"),
        ("cac: -1", "cac must be >= 0.0"),
        ("random_state: '0'", "random_state must be int, got str"),
        ("data_format: excel", r"data_format must be one of \['clvlib', 'online_retail'\]"),
        ("n_bins: 4", r"n_bins \(4\) must equal the scale of rule_set 'r_rfm' \(5\)"),
        ("rule_set: rf_gird", r"rule_set must be one of .* \(did you mean 'rf_grid'\?\)"),
        ("rule_set: mine.yaml", "rule_set: file not found"),
    ],
)
def test_bad_values_fail_clearly(folder: Path, line: str, expected: str) -> None:
    with pytest.raises(ParamsError, match=expected):
        load_params(write(folder, f"{MINIMAL}{line}\n"))


def test_date_objects_are_accepted(folder: Path) -> None:
    values = {"data_path": "orders.csv", "customers_path": ""}
    values |= {"calibration_end": date(2011, 6, 30), "holdout_end": datetime(2011, 12, 9)}
    params = validate_params(values, base_dir=folder)
    assert (params["calibration_end"], params["holdout_end"]) == ("2011-06-30", "2011-12-09")


def test_int_is_accepted_where_a_float_is_expected(folder: Path) -> None:
    assert load_params(write(folder, MINIMAL + "cac: 6\n"))["cac"] == 6.0


def test_missing_data_file_names_the_resolved_path(folder: Path) -> None:
    with pytest.raises(ParamsError, match=r"data_path: file not found: .*nowhere\.csv"):
        load_params(write(folder, "data_path: nowhere.csv\ncustomers_path: ''\n"))


OWN_RULES = """name: mine
scale: 4
rules:
  - segment: Best
    action: thank them
    r: [4, 4]
"""


def test_own_rule_file_is_resolved_and_sets_the_scale(folder: Path) -> None:
    (folder / "rules.yaml").write_text(OWN_RULES)
    params = load_params(write(folder, MINIMAL + "rule_set: rules.yaml\nn_bins: 4\n"))
    assert params["rule_set"] == str(folder / "rules.yaml")
    with pytest.raises(ParamsError, match=r"n_bins \(5\) must equal the scale .* \(4\)"):
        load_params(write(folder, MINIMAL + "rule_set: rules.yaml\n"))


def test_malformed_rule_file_fails_before_anything_runs(folder: Path) -> None:
    (folder / "rules.yaml").write_text("- just a list\n")
    with pytest.raises(ParamsError, match=r"rule_set '.*rules\.yaml' cannot be used"):
        load_params(write(folder, MINIMAL + "rule_set: rules.yaml\n"))


@pytest.mark.parametrize(
    ("cal", "hold"),
    [
        ("2011-06-30", "2011-12-09"),
        ("'2011-06-30'", "'2011-12-09'"),
        ("2011-06-30 00:00:00", "2011-12-09"),  # a timestamp at midnight is a day
    ],
)
def test_dates_as_yaml_dates_or_strings(folder: Path, cal: str, hold: str) -> None:
    params = load_params(write(folder, f"{MINIMAL}calibration_end: {cal}\nholdout_end: {hold}\n"))
    assert (params["calibration_end"], params["holdout_end"]) == ("2011-06-30", "2011-12-09")


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        ("calibration_end: 2011-13-01", "calibration_end must be a date written YYYY-MM-DD"),
        ("calibration_end: 30/06/2011", "calibration_end must be a date written YYYY-MM-DD"),
        ("holdout_end: 2011-12-09 12:30:00", "holdout_end must be a day"),
        ("holdout_end: 20", "holdout_end must be a date written YYYY-MM-DD, got int"),
        (
            "calibration_end: 2011-12-09\nholdout_end: 2011-06-30",
            r"calibration_end \(2011-12-09\) must be before holdout_end \(2011-06-30\)",
        ),
        (
            "calibration_end: 2011-06-30\nholdout_end: 2011-06-30",
            "must be before holdout_end",
        ),
    ],
)
def test_bad_dates_fail_clearly(folder: Path, lines: str, expected: str) -> None:
    with pytest.raises(ParamsError, match=expected):
        load_params(write(folder, f"{MINIMAL}{lines}\n"))


@pytest.mark.parametrize("text", ["- a\n- b\n", "just text\n"])
def test_file_must_be_a_mapping(folder: Path, text: str) -> None:
    with pytest.raises(ParamsError, match="expected a mapping"):
        load_params(write(folder, text))


def test_missing_params_file() -> None:
    with pytest.raises(ParamsError, match="parameters file not found"):
        load_params("no/such/params.yaml")


def test_overrides_win(folder: Path) -> None:
    params = load_params(write(folder, MINIMAL + "n_bins: 4\n"), overrides={"n_bins": 5})
    assert params["n_bins"] == 5


def test_parameters_cell_is_typed_commented_and_executable() -> None:
    source = parameters_cell()
    namespace: dict = {}
    exec(compile(source, "<parameters>", "exec"), namespace)  # noqa: S102 - our own text
    assert {k: namespace[k] for k in PARAMS} == {p.name: p.default for p in SCHEMA}
    tree = ast.parse(source)
    assert all(isinstance(node, ast.AnnAssign) for node in tree.body)  # nothing derived
    for line, p in zip(source.splitlines(), SCHEMA, strict=True):
        assert line.startswith(f"{p.name}: {p.annotation} = ")
        assert line.endswith(f"  # {p.comment}")


def test_schema_defaults_are_valid_from_the_notebooks_folder() -> None:
    # The defaults resolve from notebooks/ (JupyterLab's cwd) exactly as from params/.
    if not (PROJECT_ROOT / "data" / "transactions.csv").exists():
        pytest.skip("default data not generated")
    from_notebooks = validate_params({}, base_dir=PROJECT_ROOT / "notebooks")
    from_params = validate_params({}, base_dir=PROJECT_ROOT / "params")
    assert from_notebooks == from_params


def test_collect_params_reads_only_schema_names(folder: Path) -> None:
    namespace = {p.name: p.default for p in SCHEMA} | {"In": [], "clvlib": object()}
    namespace |= {"data_path": "orders.csv", "customers_path": "", "margin": 0.25}
    params = collect_params(namespace, base_dir=folder)
    assert isinstance(params, Params)
    assert params["margin"] == 0.25
    assert params["data_path"] == str(folder / "orders.csv")
    table = params.table(base=folder)  # as a page shows it: formatted, paths relative
    assert table.loc["margin", "value"] == "25.0%"
    assert table.loc["data_path", "value"] == "orders.csv"
    assert table.loc["customers_path", "value"] == "(none)"
    assert table.loc["margin", "meaning"] == PARAMS["margin"].comment


def test_collect_params_names_missing_parameters(folder: Path) -> None:
    with pytest.raises(ParamsError, match=r"does not define the parameters \[.*'data_path'"):
        collect_params({"margin": 0.3}, base_dir=folder)


@pytest.mark.parametrize("name", ["default.yaml", "online_retail.yaml"])
def test_shipped_params_files_list_every_parameter(name: str) -> None:
    keys = list(yaml.safe_load((PROJECT_ROOT / "params" / name).read_text()))
    assert keys == [p.name for p in SCHEMA], "shipped files document every parameter in order"


@pytest.mark.parametrize("path", sorted((PROJECT_ROOT / "params").glob("*.yaml")))
def test_every_params_file_uses_only_schema_keys(path: Path) -> None:
    unknown = set(yaml.safe_load(path.read_text())) - set(PARAMS)
    assert not unknown, f"{path.name}: keys not in clvlib.report.params.SCHEMA: {sorted(unknown)}"


def test_default_params_file_validates() -> None:
    path = PROJECT_ROOT / "params" / "default.yaml"
    if not (PROJECT_ROOT / "data" / "transactions.csv").exists():
        pytest.skip("default data not generated")
    params = load_params(path)
    assert params["data_path"] == str(PROJECT_ROOT / "data" / "transactions.csv")
    assert date.fromisoformat(params["calibration_end"]) < date.fromisoformat(params["holdout_end"])


@pytest.mark.online_retail
def test_online_retail_params_file_validates(online_retail_path: Path) -> None:
    params = load_params(PROJECT_ROOT / "params" / "online_retail.yaml")
    assert params["data_path"] == str(online_retail_path.resolve())
    assert params["data_format"] == "online_retail"
    assert params["customers_path"] == ""


# --- the loader's keys ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        ("columns: [customer_id]", "columns must be a mapping of role: column"),
        (
            "columns: {customer: CustID}",
            r"unknown role 'customer' \(did you mean 'customer_id'\?\)",
        ),
        ("columns: {amount: [a, b]}", "role 'amount' must name a column"),
        ("sep: 1", "sep must be text, got int"),
        ("encoding: utf-9", "encoding 'utf-9' is not a known text encoding"),
        ("date_format: dd/mm/yyyy", "date_format must be a strftime format"),
        ("sheet_name: -1", "sheet_name must be a sheet name, a sheet number from 0"),
        ("drop_duplicates: sometimes", "drop_duplicates must be 'auto', true or false"),
        ("margin: 0.3\nn_bins: 5\nmargin: 0.4", r"key 'margin' is given twice \(lines 3 and 5\)"),
    ],
)
def test_bad_loader_keys_fail_clearly(folder: Path, lines: str, expected: str) -> None:
    with pytest.raises(ParamsError, match=expected) as err:
        load_params(write(folder, f"{MINIMAL}{lines}\n"))
    assert "my.yaml" in str(err.value)


def test_loader_keys_reach_load_transactions(folder: Path) -> None:
    from clvlib.data.reading import to_frame
    from clvlib.report.notebook import load_data
    from clvlib.report.params import loader_options

    (folder / "orders.txt").write_bytes(
        b"CustID;Day;Value\r\n1;05/01/2024;1,5\r\n1;13/01/2024;2\r\n1;13/01/2024;2\r\n"
        b"2;20/06/2024;caf\xe9\r\n2;01/07/2024;4\r\n2;02/07/2024;4\r\n"
    )
    text = (
        "data_path: orders.txt\ncustomers_path: ''\ncalibration_end: 2024-03-31\n"
        "holdout_end: 2024-07-02\ncolumns: {customer_id: CustID, timestamp: Day, amount: Value}\n"
        "sep: ';'\nencoding: latin-1\ndecimal: ','\n"
    )
    params = load_params(write(folder, text))
    options = loader_options(params)
    assert options == {
        "columns": {"customer_id": "CustID", "timestamp": "Day", "amount": "Value"},
        "sep": ";",
        "encoding": "latin-1",
        "date_format": None,
        "decimal": ",",
        "thousands": None,
        "sheet_name": 0,
        "drop_duplicates": None,
    }
    tx, audit, customers = load_data(params)
    assert customers is None
    assert audit.options["dates"].startswith("day-first")
    assert audit.table().loc["identical", "rows"] == 1  # no order id: kept
    assert audit.table().loc["bad_value", ["rows", "value"]].tolist() == [1, 0.0]  # 'café'
    assert audit.unparsed["raw"].tolist() == ["café"]
    tx = to_frame(tx)  # load_data gives the lazy log
    assert tx["timestamp"].min() == datetime(2024, 1, 5)
    assert tx["amount"].tolist() == [1.5, 2.0, 2.0, 4.0, 4.0]


def test_loader_keys_are_refused_where_they_would_be_ignored(folder: Path) -> None:
    text = f"{MINIMAL}data_format: online_retail\nsep: ';'\ndrop_duplicates: false\n"
    with pytest.raises(ParamsError, match="sep, drop_duplicates would be ignored with data_fo"):
        load_params(write(folder, text))


def test_loader_keys_defaults_mean_load_transactions_defaults() -> None:
    from clvlib.report.params import loader_options

    assert loader_options({p.name: p.default for p in SCHEMA}) == {
        "columns": None,
        "sep": None,
        "encoding": None,
        "date_format": None,
        "decimal": ".",
        "thousands": None,
        "sheet_name": 0,
        "drop_duplicates": None,
    }


def test_cdnow_example_validates_where_the_data_was_extracted() -> None:
    path = PROJECT_ROOT / "params" / "cdnow.example.yaml"
    if not (PROJECT_ROOT / "benchmarks" / "_data" / "cdnow" / "CDNOW_master.txt").exists():
        pytest.skip("CDNOW not extracted (python scripts/extract_cdnow.py, bench extra)")
    params = load_params(path)
    assert params["columns"]["amount"] == "dollar_value"
    assert params["time_unit"] == "W"


@pytest.mark.parametrize("name", ["bgnbd_penalizer", "gg_penalizer"])
def test_penalizers_are_separate_validated_numbers(folder: Path, name: str) -> None:
    params = load_params(write(folder, MINIMAL + f"{name}: 0.001\n"))
    other = "gg_penalizer" if name == "bgnbd_penalizer" else "bgnbd_penalizer"
    assert params[name] == 0.001 and params[other] == 0.0
    for bad, words in [(-0.1, ">= 0.0"), ("high", "must be float"), (1e9, "<= 100.0")]:
        with pytest.raises(ParamsError, match=rf"{name} {words}|{name} must be {words}"):
            load_params(write(folder, MINIMAL + f"{name}: {bad}\n"))


def test_report_comparison_uses_the_two_penalizers(folder: Path) -> None:
    from clvlib.compare.settings import ComparisonSettings

    params = load_params(
        write(folder, MINIMAL + "n_clusters: 3\nbgnbd_penalizer: 0.01\ngg_penalizer: 0.2\n")
    )
    settings = ComparisonSettings.from_params(params)  # what run_comparison passes on
    assert (settings.penalizer, settings.penalizer_gg) == (0.01, 0.2)


def test_checking_the_parameters_does_not_import_scikit_learn() -> None:
    """The runner checks them before anything else runs: a run that reuses every page pays
    only for this (scikit-learn and SciPy took 1 s of the 2 s such a run took)."""
    import subprocess
    import sys

    code = (
        "import sys\nfrom clvlib.report.params import load_params\n"
        "load_params('params/default.yaml')\n"
        "print(sorted(m for m in ('sklearn', 'scipy.stats') if m in sys.modules))"
    )
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"
