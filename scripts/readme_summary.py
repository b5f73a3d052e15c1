"""README.md's quoted executive summary, generated from a real render of the default data.

    python scripts/readme_summary.py            # render 00 on params/default.yaml, update README
    python scripts/readme_summary.py reports    # take the answer of an existing render
    python scripts/readme_summary.py --check    # exit 1 when README's quote is out of date

(`make readme-summary`.) The quote lies between two comment markers in README.md; its bullets
are the answer of the executive summary page (the output of the cell tagged ``answer`` in the
executed notebook ``notebooks/00_executive_summary.ipynb``), wrapped for reading.
``tests/test_pages.py`` compares README's quote with the page the tests render, so the README
says what the code renders now, whoever changed the comparison last.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import textwrap
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
README = PROJECT_ROOT / "README.md"
NOTEBOOK = "00_executive_summary"
START = "<!-- executive-summary:start (generated: make readme-summary) -->"
END = "<!-- executive-summary:end -->"
WIDTH = 96


def answer_bullets(executed: Path) -> list[str]:
    """The bullets of the answer of an executed executive summary notebook, one string each."""
    import nbformat

    nb = nbformat.read(executed, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code" and "answer" in cell.metadata.get("tags", []):
            for output in cell.get("outputs", []):
                text = output.get("data", {}).get("text/markdown")
                if text:
                    return [line[2:].strip() for line in text.splitlines() if line.startswith("- ")]
    raise ValueError(f"{executed}: no answer cell with Markdown output")


def quoted(bullets: list[str]) -> str:
    """The bullets as a Markdown quote wrapped at ``WIDTH`` characters."""
    lines = []
    for bullet in bullets:
        lines += textwrap.wrap(
            bullet,
            WIDTH,
            initial_indent="> - ",
            subsequent_indent=">   ",
            break_long_words=False,
            break_on_hyphens=False,
        )
    return "\n".join(lines)


def readme_bullets(readme: str) -> list[str]:
    """The bullets quoted between the markers of ``readme`` (unwrapped)."""
    block = _block(readme)
    bullets: list[str] = []
    for line in block.splitlines():
        text = line.removeprefix(">").strip()
        if text.startswith("- "):
            bullets.append(text[2:])
        elif text and bullets:
            bullets[-1] += " " + text
    return bullets


def _block(readme: str) -> str:
    found = re.search(re.escape(START) + r"\n(.*?)\n?" + re.escape(END), readme, flags=re.S)
    if not found:
        raise ValueError(f"README.md has no block between {START!r} and {END!r}")
    return found.group(1)


def updated(readme: str, bullets: list[str]) -> str:
    """``readme`` with the quote between the markers replaced by ``bullets``."""
    _block(readme)  # the markers are there
    pattern = re.escape(START) + r"\n.*?" + re.escape(END)
    return re.sub(pattern, lambda _: f"{START}\n{quoted(bullets)}\n{END}", readme, flags=re.S)


def _render(out: Path) -> Path:
    from clvlib.report import runner

    runner.render_reports(
        PROJECT_ROOT / "params" / "default.yaml", out, notebooks=[NOTEBOOK], progress=False
    )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reports", nargs="?", type=Path, help="a rendered report folder")
    parser.add_argument("--check", action="store_true", help="only say whether it is current")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.reports or _render(Path(tmp) / "reports")
        bullets = answer_bullets(folder / "notebooks" / f"{NOTEBOOK}.ipynb")
    text = README.read_text(encoding="utf-8")
    if args.check:
        current = readme_bullets(text) == bullets
        print("README's executive summary is " + ("current" if current else "out of date"))
        return 0 if current else 1
    README.write_text(updated(text, bullets), encoding="utf-8")
    print(f"README.md: {len(bullets)} bullets of the executive summary quoted")
    return 0


if __name__ == "__main__":
    sys.exit(main())
