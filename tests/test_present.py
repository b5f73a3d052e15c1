"""The one formatter of the report pages: values, labels, tables, escaping, paths."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clvlib.report import formatting as present

XSS = "<img src=x onerror=alert(1)>"


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("share_of_value", "share"),
        ("top20_share", "share"),
        ("retention_rate", "share"),
        ("probability_alive", "share"),
        ("share of rows dropped", "share"),
        ("mean discounted CLV", "money"),
        ("avg_order_value", "money"),
        ("cac", "money"),
        ("total_value", "money"),
        ("n_orders", "count"),
        ("customers", "count"),
        ("rows read", "count"),
        ("Gini of value", "number"),  # a score, though it names value
        ("spearman", "number"),
        ("past-spend reference (Spearman)", "number"),  # a score, though it names spend
        ("total_error_pct", "number"),  # already in percent
        ("frequency", "count"),  # the vocabulary's unit: repeat purchase periods
        ("mae", "money"),  # a metric in currency, though its name has no money word
        ("MAE", "money"),  # its label
        ("mean_since_last_order", "number"),
        ("median_total_value", "money"),
        ("mean_ltv", "money"),
        ("delta_pct", "share"),  # clv_sensitivity: a fraction despite its "_pct"
        ("ltv_to_cac", "number"),  # a ratio of two amounts
        ("top10_lift", "number"),
    ],
)
def test_kind_is_read_from_the_name(name: str, kind: str) -> None:
    assert present.kind_of(name) == kind


@pytest.mark.parametrize(
    ("value", "kind", "shown"),
    [
        (0.62445, "share", "62.4%"),
        (-0.0001, "share", "0.0%"),  # never -0.0%
        (1234.5678, "money", "1,234.57"),
        (6_104_000.0, "money", "6,104,000"),
        (-0.001, "money", "0.00"),
        (52.8, "number", "52.8"),
        (6.104e6, "number", "6,104,000"),
        (1.5e-9, "number", "0"),
        (-3e-7, "number", "0"),
        (0.012345, "number", "0.0123"),
        (62825, "count", "62,825"),
        (np.int64(7), "number", "7"),
        (np.float64(0.5861), "number", "0.586"),
        (float("nan"), "money", "–"),
        (pd.NA, "number", "–"),
        (None, "number", "–"),
        (True, "number", "yes"),
        (pd.Timestamp("2024-06-30"), "number", "2024-06-30"),
        (pd.Timestamp("2024-06-30 10:15"), "number", "2024-06-30 10:15"),
        ({"timestamp": "date", "amount": "dollars"}, "text", "timestamp: date; amount: dollars"),
        ({}, "text", "–"),  # a mapping reads as words, never as a repr
    ],
)
def test_format_value(value: object, kind: present.Kind, shown: str) -> None:
    assert present.format_value(value, kind) == shown


def test_no_scientific_notation_whatever_the_size() -> None:
    for exponent in range(-12, 13):
        for kind in ("share", "money", "count", "number"):
            text = present.format_value(3.7 * 10.0**exponent, kind)  # type: ignore[arg-type]
            assert not re.search(r"\de[+-]?\d", text), (exponent, kind, text)


def test_magnitude_in_words() -> None:
    assert present.magnitude(4.75e-07) == "4.75 × 10⁻⁷"
    assert present.magnitude(1.79e04) == "17,900"
    assert present.magnitude(-2.5e9) == "-2.5 × 10⁹"
    assert present.magnitude(0.25) == "0.250"


def test_labels_in_words() -> None:
    assert present.label("avg_order_value") == "Average order value"
    assert present.label("gains_gini_normalised") == "Gains Gini (normalised)"
    assert present.label("eta_squared") == "Eta squared (variance explained)"
    assert present.label("clv_discounted") == "CLV discounted"
    assert present.label("share of value") == "share of value"  # already words
    assert present.label("T") == "Customer age (T)"


@pytest.mark.parametrize("code", ["heuristic_clv", "kmeans", "top20_share", "mae", "recency"])
def test_a_code_of_the_vocabulary_reads_as_its_label(code: str) -> None:
    from clvlib.vocabulary import TERMS, heading

    assert present.label(code) == heading(TERMS[code].label)


def test_method_codes_read_the_same_as_a_header_and_in_a_row() -> None:
    assert present.label("heuristic_clv") == "Heuristic CLV"  # a column header
    assert present.label("kmeans") == "k-means"  # a name spelt in lower case
    frame = pd.DataFrame({"spearman": [0.41]}, index=pd.Index(["heuristic_clv"], name="method"))
    assert "<td>heuristic CLV</td>" in present.table_html(frame)  # a row, inside a sentence


def test_escape_markdown_leaves_no_markup() -> None:
    text = present.escape_markdown(f"**bold** [link](http://x) # {XSS} _x_")
    assert "<" not in text and ">" not in text
    from nbconvert.filters import markdown2html

    rendered = markdown2html(f"- through **{text}**")
    assert "<img" not in rendered and "<a " not in rendered and "<em>" not in rendered
    assert "onerror=alert(1)" in rendered.replace("&amp;", "&")  # still readable, as text


def customer_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "channel": ["organic", XSS, "paid"],
            "customers": [1200, 30, 5],
            "share_of_value": [0.62445, 0.3, -0.00001],
            "avg_order_value": [66.444, 6.104e6, np.nan],
            "spearman": [0.31, 1.2e-9, -0.0],
            "action": ["Reward and recognise (VIP or membership perks, early access) " * 3] * 3,
        }
    ).set_index("channel")


def test_table_html_formats_escapes_and_never_cuts() -> None:
    page = present.table_html(customer_table())
    assert "<img" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    cells = re.findall(r"<td[^>]*>(.*?)</td>", page)
    assert "62.4%" in cells and "0.0%" in cells and "1,200" in cells
    assert "6,104,000" in cells and "66.44" in cells
    assert not [c for c in cells if re.search(r"\de[+-]?\d|^-0(\.0+)?%?$|NaN|nan|\.\.\.$", c)]
    assert "–" in cells and present.MISSING_NOTE.split(":")[0] in page  # dash + footnote
    long_text = customer_table()["action"].iloc[0]
    assert long_text.strip() in page  # full text, wrapped by CSS, never cut
    heads = re.findall(r"<th\b[^>]*>(.*?)</th>", page)
    assert heads == [
        "Channel",
        "Customers",
        "Share of value",
        "Average order value (currency units)",  # money names its unit
        "Spearman",
        "Action",
    ]


def test_money_headers_name_the_currency_and_cells_carry_it() -> None:
    from clvlib.vocabulary import use_currency

    frame = pd.DataFrame({"mae": [12.5], "rmse": [30.0], "n_orders": [3], "ltv_to_cac": [2.5]})
    with use_currency("EUR"):
        page = present.table_html(frame)
    heads = re.findall(r"<th\b[^>]*>(.*?)</th>", page)
    assert heads == ["MAE (€)", "RMSE (€)", "N orders", "LTV : CAC"]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", page)
    assert cells == ["€12.50", "€30.00", "3", "2.50"]


def test_describe_and_dicts_are_tables_not_reprs() -> None:
    series = pd.Series([10.0, 20.0, 30.5], name="historic_clv")
    page = present.to_html(series.describe())
    assert page is not None and "dtype" not in page and "Name:" not in page
    cells = re.findall(r"<td[^>]*>(.*?)</td>", page)
    assert cells[:2] == ["count", "3"] and "20.17" in cells  # count is a count, mean is money
    shown = present.to_html({"aov": 66.444, "purchases": 2.5, "margin": 0.3})
    assert shown is not None and "{'" not in shown
    assert re.findall(r"<td[^>]*>(.*?)</td>", shown) == [
        "Average order value",
        "66.44",
        "Purchases",
        "2.50",
        "Margin",
        "30.0%",
    ]
    assert present.to_html((True, False)) == '<p class="clv-value">yes, no</p>'
    assert present.to_html(XSS) == f'<p class="clv-value">{present.escape_html(XSS)}</p>'


def test_shown_path_is_never_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "data" / "log.csv"
    assert present.shown_path(target, tmp_path / "params") == "../data/log.csv"
    assert present.shown_path("log.csv", tmp_path) == "log.csv"
    monkeypatch.setenv(present.BASE_DIR_ENV, str(tmp_path / "params"))
    assert present.to_html(target) == '<p class="clv-value">../data/log.csv</p>'
    monkeypatch.setenv(present.OUTPUT_DIR_ENV, str(tmp_path / "data"))  # exports: from there
    assert present.to_html(target) == '<p class="clv-value">log.csv</p>'


def test_long_tables_say_what_they_leave_out() -> None:
    page = present.table_html(pd.DataFrame({"n_orders": range(100)}), max_rows=10)
    assert "90 rows not shown" in page and page.count("<tr>") == 11  # header + 10 rows


def test_install_makes_the_formatter_the_html_display() -> None:
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    present.install(shell)
    data, _ = shell.display_formatter.format(customer_table())
    assert data["text/html"].startswith('<div class="clv-table">')
    data, _ = shell.display_formatter.format(52.8)
    assert data["text/html"] == '<p class="clv-value">52.8</p>'


def test_multi_index_of_categories_and_method_codes() -> None:
    levels = [pd.Categorical(["heuristic_clv", "Champions"]), ["top 20 %", "bottom 20 %"]]
    frame = pd.DataFrame(
        {"share_of_customers": [0.25, 0.5, 0.125, 0.0]},
        index=pd.MultiIndex.from_product(levels, names=[None, None]),
    )
    cells = re.findall(r"<td[^>]*>(.*?)</td>", present.table_html(frame))
    assert cells[:3] == ["heuristic CLV", "top 20 %", "25.0%"]  # a method code in words
    assert cells[-3:] == ["Champions", "bottom 20 %", "0.0%"]


def test_summary_sentences_are_a_list_escaped_without_negative_zero() -> None:
    class Summary:
        def summary_text(self) -> str:
            return "Ranking: random -0.000, naive 0.180.\nBest channel <b>web</b>: -0 % change."

    assert present.sentences_html(Summary()) == (
        '<ul class="clv-sentences"><li>Ranking: random 0.000, naive 0.180.</li>'
        "<li>Best channel &lt;b&gt;web&lt;/b&gt;: 0 % change.</li></ul>"
    )


def test_readable_sentences_have_no_negative_zero_or_scientific_notation() -> None:
    said = "interval -0.000 .. +0.034; a / (a + b) = 2.66e-11, mean 1.000; x-0 and -0.01 stay"
    assert present.readable(said) == (
        "interval 0.000 .. +0.034; a / (a + b) = 2.66 × 10⁻¹¹, mean 1.000; x-0 and -0.01 stay"
    )


def test_a_named_range_index_is_shown() -> None:
    """choose_k's table is indexed by k = 2..10 (a RangeIndex): without it the rows mean nothing."""
    table = pd.DataFrame({"inertia": [3.0, 2.0]}, index=pd.RangeIndex(2, 4, name="k"))
    shown = present.table_html(table)
    assert '<th scope="col">k</th>' in shown.replace("K", "k")
    assert ">2</td>" in shown and ">3</td>" in shown
    unnamed = present.table_html(table.reset_index(drop=True))
    assert ">0</td>" not in unnamed
