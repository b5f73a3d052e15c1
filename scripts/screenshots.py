"""Full-page screenshots of the rendered reports with headless Chromium, for docs/images/.

    python scripts/screenshots.py reports docs/images      # (`make screenshots`)

Each stakeholder page (and the index) is opened as a stakeholder opens it, in a real
browser, and saved as a PNG cut to the page's height: that is the picture the README shows
and the one to look at before a change to what stakeholders read is submitted. Chromium is
the Debian package ``chromium`` (``apt-get install -y chromium``); without it the script
says so and exits 1.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

#: page -> image name in docs/images (the README shows the first two)
IMAGES = {
    "index": "report-index.png",
    "00_executive_summary": "executive-summary.png",
    "01_data_audit": "report-01-data-audit.png",
    "02_heuristic_clv": "report-02-heuristic-clv.png",
    "03_rfm_segments": "report-03-rfm-segments.png",
    "04_kmeans_clusters": "report-04-kmeans-clusters.png",
    "05_method_comparison": "report-05-method-comparison.png",
}
WIDTH, MAX_HEIGHT = 1400, 16000


def chromium() -> str | None:
    """The headless browser on this machine, if any."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def screenshot(browser: str, page: Path, target: Path) -> None:
    """Save ``page`` as seen in a ``WIDTH`` px wide window, cut below its last content."""
    from PIL import Image, ImageChops

    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "page.png"
        subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                f"--user-data-dir={tmp}/profile",
                f"--screenshot={raw}",
                f"--window-size={WIDTH},{MAX_HEIGHT}",
                page.resolve().as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        image = Image.open(raw).convert("RGB")
        background = Image.new(
            "RGB", image.size, image.getpixel((image.width - 1, image.height - 1))
        )
        box = ImageChops.difference(image, background).getbbox()
        bottom = min(image.height, (box[3] if box else image.height) + 40)
        # a palette PNG: a quarter of the size, and the text stays sharp
        image.crop((0, 0, WIDTH, bottom)).quantize(colors=256).save(target, optimize=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reports", type=Path, help="folder of a rendered report set")
    parser.add_argument("images", type=Path, help="folder of the screenshots (docs/images)")
    args = parser.parse_args(argv)
    browser = chromium()
    if browser is None:
        print(
            "error: no headless Chromium found; install it with "
            "`apt-get update && apt-get install -y chromium`",
            file=sys.stderr,
        )
        return 1
    args.images.mkdir(parents=True, exist_ok=True)
    for name, image in IMAGES.items():
        page = args.reports / f"{name}.html"
        if not page.is_file():
            print(f"skipped {name}: {page} was not rendered", file=sys.stderr)
            continue
        screenshot(browser, page, args.images / image)
        print(f"{args.images / image}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
