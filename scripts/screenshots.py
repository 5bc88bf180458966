"""Regenerate docs/screenshots/: the reading pages in headless Chromium at 1400x1000.

    python scripts/screenshots.py                  # crawl the bundled mirror into a temp archive
    python scripts/screenshots.py --db archive.db  # or picture an archive you have

Needs the datasette and test extras (Datasette, Playwright) and Debian's chromium.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from playwright.sync_api import ViewportSize, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from testing.serving import datasette_command, free_port, wait_until_serving  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
SCREEN: ViewportSize = {"width": 1400, "height": 1000}
SEED_ARTICLE = 47108
# File name → page; each is the first screen an analyst sees, as the README shows it.
PAGES = {
    "thread.png": f"/-/thread/{SEED_ARTICLE}",
    # Scrolled to a run of answers: "@James Gane …", a salutation, a pasted header.
    "thread-replies.png": f"/-/thread/{SEED_ARTICLE}#comment-400262",
    "threads.png": "/-/threads?q=leadership",
    "charts.png": "/-/charts",
    "commenter.png": "/-/charts/commenter?author=John+Tilley",
    "replies.png": f"/-/charts/replies/{SEED_ARTICLE}",
    "comments.png": "/archive/comments",
    "search.png": "/archive/comments?_search=Corbyn&_sort=rank",
}


def _crawled_archive(folder: Path) -> Path:
    from tests.archive_factory import crawl_archive

    return crawl_archive(folder / "archive.db")


def shoot(db: Path, out: Path) -> list[Path]:
    port = free_port()
    server = subprocess.Popen(datasette_command(db, port), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    written = []
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_serving(f"{base}/-/versions.json", server, "datasette", timeout=30)
        out.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            try:
                page = browser.new_page(viewport=SCREEN)
                for name, path in PAGES.items():
                    page.goto(base + path)
                    page.wait_for_load_state("load")
                    page.screenshot(path=str(out / name))
                    written.append(out / name)
            finally:
                browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="archive to picture (named archive.db)")
    parser.add_argument("--out", type=Path, default=OUT, help="folder for the PNG files")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        db = args.db or _crawled_archive(Path(folder))
        for path in shoot(db, args.out):
            print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
