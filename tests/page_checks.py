"""What a marketing manager must not meet on a stakeholder page, as checks on its HTML.

Shared by the page tests (``tests/test_pages.py``) and usable by hand on a rendered folder::

    python tests/page_checks.py reports          # every check on every stakeholder page

Four checks, each ``check(page_html, ...) -> list[str]`` (the problems found, empty when the
page passes):

- :func:`identifiers`: no identifier from the code in the page's *visible* text (outside the
  appendix ``<details>``, closed by default): method and metric keys (``heuristic_clv``,
  ``auc``), column names with underscores (``since_last_order``), reason codes
  (``after_observation_end``), code markup (``>=``, ``**``, ``<code>``) and references to
  files that are not part of the report (``domain.md``). Words that are the data's own
  values (a channel called ``paid_search`` in the shop's customer table) are the shop's
  words, not the code's, and are allowed: ``allowed`` names them.
- :func:`wide_tables`: no table (nor the page) wider than a 1400 px window, measured in
  headless Chromium (:func:`chromium`; the test skips where there is none).
- :func:`percentages`: no percentage outside [-100 %, 100 %] unless it is labelled as a
  change (signed ``+``, a column or sentence that says change, growth, error, ...).
- :func:`money_headers`: every money column's header names the currency
  (:func:`clvlib.vocabulary.money_unit`).
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from html.parser import HTMLParser
from pathlib import Path

# --------------------------------------------------------------------------- the page as read


def without_closed_details(page: str) -> str:
    """The page without its closed ``<details>`` blocks (the appendix): what a reader sees."""
    out, depth, pos = [], 0, 0
    for match in re.finditer(r"<details\b[^>]*>|</details\s*>", page):
        opening = not match.group(0).startswith("</")
        if opening and depth == 0 and " open" not in match.group(0):
            out.append(page[pos : match.start()])
            depth = 1
        elif depth:
            depth += 1 if opening else -1
            if depth == 0:
                pos = match.end()
    if depth == 0:
        out.append(page[pos:])
    return "".join(out)


def visible_html(page: str) -> str:
    """The page's HTML a reader sees: no styles, scripts, embedded images, closed details."""
    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r"data:image/[a-z+]+;base64,[A-Za-z0-9+/=]+", " ", page)
    return without_closed_details(page)


def visible_text(page: str) -> str:
    """The visible text (:func:`visible_html` without tags), one line per block."""
    text = re.sub(r"<(br|/p|/li|/tr|/h\d|/div|/td|/th|/summary)\b[^>]*>", "\n", visible_html(page))
    return html.unescape(re.sub(r"<[^>]+>", " ", text))


class _Tables(HTMLParser):
    """Every ``<table>`` of a page as (headers, rows of cell texts)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[tuple[list[str], list[list[str]]]] = []
        self._stack: list[tuple[list[str], list[list[str]]]] = []
        self._cell: list[str] | None = None
        self._header = False
        self._row: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._stack.append(([], []))
        elif tag == "tr" and self._stack:
            self._row = []
        elif tag in ("td", "th") and self._stack:
            self._cell, self._header = [], tag == "th"

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._stack:
            text = re.sub(r"\s+", " ", "".join(self._cell)).strip()
            self._row.append(text)
            self._cell = None
        elif tag == "tr" and self._stack and self._row:
            headers, rows = self._stack[-1]
            if self._header and not rows and not headers:
                headers.extend(self._row)
            else:
                rows.append(self._row)
            self._row = []
        elif tag == "table" and self._stack:
            self.tables.append(self._stack.pop())

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def tables(page: str) -> list[tuple[list[str], list[list[str]]]]:
    """The page's tables: each (header texts, rows of cell texts)."""
    parser = _Tables()
    parser.feed(page)
    return parser.tables


def columns(page: str) -> Iterable[tuple[str, list[str]]]:
    """Every column of every table with a header row: (header, cell texts)."""
    for headers, rows in tables(page):
        for j, header in enumerate(headers):
            yield header, [row[j] for row in rows if j < len(row)]


# --------------------------------------------------------------------------- (a) identifiers


def _code_words() -> set[str]:
    """Keys of the vocabulary without an underscore that only the code writes in lower case.

    ``auc``, ``rfm``, ``kmeans``, ``spearman``...: a key that is not one of its own label's
    words (the label says "AUC", "k-means", "Spearman").
    """
    from clvlib.vocabulary import TERMS

    return {
        key
        for key, term in TERMS.items()
        if "_" not in key and key.islower() and key not in term.label.split()
    } - {"delta"}  # an English word


#: snake_case words (``since_last_order``, ``after_observation_end``); a file name such as
#: ``segments_2024.csv`` is not one (followed by its extension)
SNAKE_CASE = re.compile(r"(?<![\w.@/-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w(-]|\.\w)")
#: markup of code in the text: comparison operators, powers, assignments, backticks,
#: references to files that are not part of the report
CODE_MARKUP = re.compile(r"[<>!=]=|\w\s?\*\*\s?\w|`|\bdomain\.md\b|§\s?\d|\w+\(\)|\w=\S")


def identifiers(page: str, *, allowed: Iterable[str] = ()) -> list[str]:
    """Identifiers from the code in the page's visible text (:func:`visible_text`).

    ``allowed``: the data's own values (channel, country, segment names as the data writes
    them), which a page shows as the shop wrote them.
    """
    allowed = set(allowed)
    text = visible_text(page)
    words = _code_words()
    found = [m.group(0) for m in SNAKE_CASE.finditer(text) if m.group(0) not in allowed]
    found += [w for w in re.findall(r"(?<![\w.-])[a-z]+(?![\w-])", text) if w in words]
    found += [
        " ".join(text[max(m.start() - 30, 0) : m.end() + 20].split())
        for m in CODE_MARKUP.finditer(text)
    ]
    if re.search(r"<code\b", visible_html(page)):
        found.append("<code> element")
    return found


def data_words(*paths: Path) -> set[str]:
    """The text values of the columns of CSV files (channels, countries...): the data's words."""
    import pandas as pd

    words: set[str] = set()
    for path in paths:
        if not path.is_file():
            continue
        frame = pd.read_csv(path, nrows=200_000)
        for column in frame.columns:
            values = frame[column]
            if not pd.api.types.is_numeric_dtype(values) and values.nunique() <= 200:
                words.update(str(v) for v in values.dropna().unique())
    return words


# --------------------------------------------------------------------------- (b) wide tables

WIDTH, HEIGHT = 1400, 900

#: appended to a copy of the page: measures, once the page has loaded, whether the page or
#: any table box is wider than the window, and writes the answer into the DOM
_MEASURE = """
<script>
window.addEventListener('load', function () {
  /* the answer: the first list after the "In short" heading, as the first screen shows it */
  var answer = {bottom: null, text: ''};
  var heads = Array.prototype.filter.call(document.querySelectorAll('h1, h2, h3'),
    function (h) { return /^In short/.test(h.textContent.trim()); });
  if (heads.length) {
    var lists = Array.prototype.filter.call(document.querySelectorAll('ul'), function (ul) {
      return heads[0].compareDocumentPosition(ul) & Node.DOCUMENT_POSITION_FOLLOWING;
    });
    if (lists.length) {
      answer.bottom = lists[0].getBoundingClientRect().bottom + window.scrollY;
      answer.text = lists[0].innerText;
    }
  }
  /* the appendix too: a reader who opens it must not meet a cut-off table either */
  document.querySelectorAll('details').forEach(function (d) { d.open = true; });
  setTimeout(function () {
    var over = [];
    document.querySelectorAll('table, .clv-table, img').forEach(function (el) {
      if (el.tagName === 'TABLE' && el.closest('.clv-table')) { return; }  /* its box's */
      var box = el.getBoundingClientRect();
      if (el.scrollWidth > el.clientWidth + 1 || box.right > window.innerWidth + 1) {
        var head = (el.innerText || el.getAttribute('alt') || '').replace(/\\s+/g, ' ');
        over.push(el.tagName + ' ' + Math.round(el.scrollWidth) + ' px in '
                  + Math.round(el.clientWidth) + ' px: ' + head.slice(0, 60));
      }
    });
    var result = {page: document.documentElement.scrollWidth, window: window.innerWidth,
                  over: over, answer: answer};
    var out = document.createElement('div');
    out.id = 'clv-width-check';
    out.textContent = JSON.stringify(result);
    document.body.appendChild(out);
  }, 100);
});
</script>
"""


def chromium() -> str | None:
    """The headless browser on this machine, if any."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def measure(page_path: Path, *, browser: str, width: int = WIDTH) -> dict:
    """How headless Chromium lays the page out in a ``width`` x 900 px window.

    The page is copied with a small script that measures, once the page has loaded, the
    answer (the first list after "In short": its bottom edge and text) and then, with every
    ``<details>`` opened, ``document.documentElement.scrollWidth`` against
    ``window.innerWidth`` and every table box's scroll width against its own width (a table
    that scrolls inside its box is cut off at the right edge for a reader too); the DOM that
    Chromium dumps holds the answer.
    """
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / page_path.name
        copy.write_text(page_path.read_text(encoding="utf-8") + _MEASURE, encoding="utf-8")
        done = subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                f"--user-data-dir={tmp}/profile",
                f"--window-size={width},{HEIGHT}",
                "--virtual-time-budget=10000",
                "--dump-dom",
                copy.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=180,
        )
    found = re.search(r'<div id="clv-width-check">([^<]*)</div>', done.stdout)
    if not found:
        raise RuntimeError(f"Chromium measured nothing on {page_path.name}: {done.stderr[-500:]}")
    return json.loads(html.unescape(found.group(1)))


def wide_tables(measured: dict) -> list[str]:
    """Tables (or the page) wider than the window, from :func:`measure`."""
    problems = list(measured["over"])
    if measured["page"] > measured["window"]:
        problems.insert(0, f"page {measured['page']} px wide in a {measured['window']} px window")
    return problems


def answer_on_first_screen(measured: dict, *, symbol: str, height: int = HEIGHT) -> list[str]:
    """What keeps the answer from the first screen: below it, or without figures or money."""
    answer = measured["answer"]
    if answer["bottom"] is None:
        return ["no answer (a list after 'In short')"]
    problems = []
    if answer["bottom"] > height:
        problems.append(f"the answer ends {answer['bottom']:.0f} px down, below the first screen")
    if not re.search(r"\d", answer["text"]):
        problems.append("the answer has no figure")
    if symbol not in answer["text"]:
        problems.append(f"the answer has no money figure in {symbol}")
    return problems


# --------------------------------------------------------------------------- (c) percentages

PERCENT = re.compile(r"(?<![\w.,])([+\-−]?)(\d[\d,]*(?:\.\d+)?)\s?%")
#: words that label a percentage as a change (which may pass 100 %)
CHANGE = re.compile(
    r"chang|grow|growth|grew|increas|decreas|error|differen|over-?forecast|under-?forecast|"
    r"more than|less than|fell|rose|drop|gain|lift|uplift|versus|vs\.?\b",
    re.I,
)


def _out_of_range(text: str) -> list[tuple[int, str]]:
    found = []
    for m in PERCENT.finditer(text):
        sign, number = m.group(1), float(m.group(2).replace(",", ""))
        if number > 100 and sign != "+":
            found.append((m.start(), m.group(0)))
    return found


def percentages(page: str) -> list[str]:
    """Percentages outside [-100 %, 100 %] that are not labelled as a change.

    In a table, a cell's column header or the cell itself must say so ("change", "error",
    "over-forecasts by"); in a sentence, the words before it, or a ``+`` sign.
    """
    shown = visible_html(page)
    problems = []
    for header, cells in columns(shown):
        if CHANGE.search(header):
            continue
        # a cell may say it is a change itself ("over-forecasts by 144 %")
        problems += [
            f"{header}: {cell}" for cell in cells if _out_of_range(cell) and not CHANGE.search(cell)
        ]
    prose = re.sub(r"<table\b.*?</table>", "\n", shown, flags=re.S)
    text = visible_text(prose)
    for start, shown_value in _out_of_range(text):
        before = text[max(text.rfind("\n", 0, start), start - 120, 0) : start]
        if not CHANGE.search(before):
            problems.append(f"…{before[-60:]}{shown_value}")
    return problems


# --------------------------------------------------------------------------- (d) money headers


def money_headers(page: str, *, unit: str, symbol: str | None = None) -> list[str]:
    """Money columns whose header does not name the currency ``unit`` (``money_unit()``).

    A money column is one whose every value carries the currency ``symbol`` (``€12.50``),
    or whose header reads as money (:func:`clvlib.report.formatting.kind_of`) over plain
    numbers. Every table of the page counts, the appendix's too.
    """
    from clvlib.report.formatting import kind_of

    number = re.compile(r"[+\-−]?[\d,]+(\.\d+)?")
    problems = []
    for header, cells in columns(page):
        values = [c for c in cells if c not in ("", "–")]
        if not values or unit in header:
            continue
        if symbol and all(symbol in v for v in values):
            problems.append(f"{header!r} ({values[0]})")
        elif kind_of(header) == "money" and all(number.fullmatch(v) for v in values):
            problems.append(f"{header!r} ({values[0]})")
    return problems


# --------------------------------------------------------------------------- by hand


def main(argv: list[str] | None = None) -> int:
    """Run every check on every stakeholder page of a rendered folder; 1 if any fails."""
    folder = Path((argv or sys.argv[1:] or ["reports"])[0])
    root = Path(__file__).resolve().parents[1]
    allowed = data_words(root / "data" / "customers.csv")
    browser = chromium()
    failed = 0
    from clvlib.vocabulary import money_unit, use_currency

    try:  # the currency the folder's pages were rendered in (its parameters)
        code = json.loads((folder / "provenance.json").read_text())["parameters"]["currency"]
    except (OSError, KeyError, ValueError):
        code = "EUR"
    with use_currency(code):
        unit = money_unit()
    for path in sorted(folder.glob("*.html")):
        if path.name.endswith(".code.html"):
            continue
        page = path.read_text(encoding="utf-8")
        found = {
            "identifiers": identifiers(page, allowed=allowed),
            "percentages": percentages(page),
            "money headers": money_headers(page, unit=unit, symbol=unit),
        }
        if browser:
            measured = measure(path, browser=browser)
            found["wide tables"] = wide_tables(measured)
            if path.name != "index.html":
                found["first screen"] = answer_on_first_screen(measured, symbol=unit)
        for check, problems in found.items():
            if problems:
                failed += 1
                print(f"{path.name}: {check}: {sorted(set(problems))[:8]}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
