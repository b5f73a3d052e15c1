"""The pages of a run: a notebook as HTML (answer first, appendix last) and the index pages."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markupsafe import Markup

from clvlib.report.formatting import format_value
from clvlib.report.params import Params

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"


@dataclass
class NotebookResult:
    """What happened to one notebook in a run."""

    name: str
    title: str
    status: str = "pending"  # "ok" or "failed"
    seconds: float = 0.0
    error: str = ""
    files: dict[str, str] = field(default_factory=dict)
    reused: bool = False  # the page of the last run, nothing it was made from changed


@dataclass
class DataSetRun:
    """One data set of a multi-data-set run: where it went and how it ended."""

    name: str
    folder: str
    params: Params
    status: str = "pending"  # "ok" or "failed"
    error: str = ""
    results: list[NotebookResult] = field(default_factory=list)


def title_of(nb: Any, default: str) -> str:
    """The notebook's title: its first markdown heading, else ``default``."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return default


#: cell tags of the page layout: ``answer`` cells open the page, ``appendix`` cells close it
ANSWER_TAG, APPENDIX_TAG = "answer", "appendix"
APPENDIX_SUMMARY = "Appendix: parameters, definitions and provenance"


def arrange(nb: Any) -> Any:
    """The cells in reading order: ``answer`` first, the rest, then ``appendix`` collapsed.

    Cells keep their order within each group. The appendix is wrapped in a ``<details>``
    element (closed: a click opens it) by two layout cells of the template, so a stakeholder
    meets the answer first and the parameters, definitions and provenance last. Returns a copy.
    """
    import nbformat

    nb = copy.deepcopy(nb)

    def tagged(cell: Any, tag: str) -> bool:
        return tag in cell.metadata.get("tags", [])

    answer = [c for c in nb.cells if tagged(c, ANSWER_TAG)]
    appendix = [c for c in nb.cells if tagged(c, APPENDIX_TAG) and not tagged(c, ANSWER_TAG)]
    rest = [c for c in nb.cells if c not in answer and c not in appendix]
    if rest and answer and rest[0].cell_type == "markdown" and rest[0].source.startswith("# "):
        answer.insert(0, rest.pop(0))  # the page title stays on top
    if appendix:  # the template turns these two cells into <details> ... </details>
        opening = {"clvlib_layout": "appendix-open", "clvlib_summary": APPENDIX_SUMMARY}
        appendix = [
            nbformat.v4.new_raw_cell("", metadata=opening),
            *appendix,
            nbformat.v4.new_raw_cell("", metadata={"clvlib_layout": "appendix-close"}),
        ]
    nb.cells = [*answer, *rest, *appendix]
    return nb


def to_html(nb: Any, *, code: bool) -> str:
    """A self-contained HTML page of an executed notebook (figures embedded as base64 PNG).

    ``code=False`` leaves out every input cell and prompt: the page stakeholders read. Both
    pages follow :func:`arrange` (answer first, appendix last and collapsed).
    """
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name="clvlib_html", extra_template_basedirs=[str(TEMPLATE_DIR)], embed_images=True
    )
    nb = arrange(nb)
    if not code:
        exporter.exclude_input = True
        exporter.exclude_input_prompt = True
        exporter.exclude_output_prompt = True
        # code cells that show nothing would still leave empty blocks between the sections
        nb.cells = [c for c in nb.cells if c.cell_type != "code" or c.get("outputs")]
    body, _ = exporter.from_notebook_node(nb)
    return body


def write_index(
    out: Path, results: Iterable[NotebookResult], params: Params, prov: Mapping[str, Any]
) -> Path:
    """Write ``index.html``: one card per notebook (links, headline figures), provenance."""
    env = _templates()
    cards = _cards(out, results, currency=params.get("currency") or "")
    exports = sorted(
        p.name for p in (out / "exports").iterdir() if not p.name.startswith("headline_")
    )
    page = env.get_template("index.html.j2").render(
        title=f"Customer value reports: {params['dataset_name']}",
        cards=cards,
        exports=exports,
        provenance={k: v for k, v in prov.items() if k != "parameters"},
        params=params.table().reset_index().to_dict("records"),
    )
    index = out / "index.html"
    index.write_text(page, encoding="utf-8")
    return index


def _templates() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR), autoescape=True, keep_trailing_newline=True
    )


def _cards(
    out: Path, results: Iterable[NotebookResult], *, currency: str = ""
) -> list[dict[str, Any]]:
    """One card per notebook: its result and its headline figures, money in ``currency``."""
    from clvlib.vocabulary import use_currency

    cards = []
    for r in results:
        headline = out / "exports" / f"headline_{r.name}.json"
        figures = json.loads(headline.read_text())["figures"] if headline.exists() else {}
        with use_currency(currency):
            shown = {k: format_value(v, name=k) for k, v in figures.items()}
        cards.append({"result": r, "figures": shown})
    return cards


def write_verdict_index(
    out: Path,
    runs: Sequence[DataSetRun],
    verdict: Mapping[str, Any],
    page: NotebookResult | None,
    *,
    skipped: str | None = None,
) -> Path:
    """Write ``index.html`` of a multi-data-set run: the verdict first, then each data set.

    ``skipped``: why there is no verdict (the method comparison was not rendered), shown in
    its place.
    """
    from datetime import UTC, datetime

    from clvlib.compare import verdict as vd
    from clvlib.report.answers import verdict_tables_html
    from clvlib.report.provenance import git_commit

    tables = verdict_tables_html(verdict) if skipped is None else ""
    by_name = {d["name"]: d for d in verdict["data_sets"]}
    data_sets = [
        {
            **by_name[r.name],
            "error": r.error,
            "cards": _cards(out / r.folder, r.results, currency=r.params.get("currency") or ""),
            "customers": format_value(by_name[r.name]["customers"], name="customers"),
        }
        for r in runs
    ]
    html = (
        _templates()
        .get_template("verdict_index.html.j2")
        .render(
            title="Which method finds tomorrow's valuable customers? The verdict across data sets",
            rendered_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M"),
            commit=git_commit() or "unknown",
            sentences=vd.sentences(verdict) if skipped is None else [],
            skipped=skipped,
            tables=Markup(tables),
            data_sets=data_sets,
            verdict_page=page.files.get("report") if page is not None else None,
        )
    )
    index = out / "index.html"
    index.write_text(html, encoding="utf-8")
    return index
