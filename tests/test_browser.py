"""Real Datasette on 127.0.0.1 driven by Debian's headless Chromium through Playwright."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Dialog, Page, sync_playwright

from tests.archive_factory import (
    LIVE_SCRIPT,
    REMOVED_COMMENT,
    SCRIPT_ARTICLE,
    SCRIPT_COMMENT,
    SCRIPT_TEXT,
    SEED_ARTICLE,
    SEED_COMMENTS,
    crawl_archive,
    load_truth,
)

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until_serving(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"datasette exited early:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)
    raise AssertionError(f"datasette did not answer {url} within 30 s")


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Datasette serving an archive crawled from the mirror, as the README says to run it."""
    folder = tmp_path_factory.mktemp("served")
    db = crawl_archive(folder / "archive.db")
    port = free_port()
    log = folder / "datasette.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "datasette", "serve", str(db),
             "-m", str(ROOT / "datasette" / "metadata.yml"),
             "--plugins-dir", str(ROOT / "datasette" / "plugins"),
             "-h", "127.0.0.1", "-p", str(port)],
            cwd=folder, stdout=output, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_serving(f"{url}/-/versions.json", server, log)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="module")
def browser_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing; install Debian's chromium package"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=str(CHROMIUM),
            headless=True, args=CHROMIUM_ARGS)
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def page(browser_context: BrowserContext) -> Iterator[Page]:
    page = browser_context.new_page()
    page.set_default_timeout(15_000)
    try:
        yield page
    finally:
        page.close()


def test_seed_thread_query_shows_its_comments_in_order(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/archive/thread?article_id={SEED_ARTICLE}")
    cells = page.locator("table.rows-and-columns tbody td.col-comment_id")
    assert cells.count() == SEED_COMMENTS
    seed = next(t for t in load_truth("day2") if t["post_id"] == SEED_ARTICLE)
    assert [int(text) for text in cells.all_inner_texts()] == [
        c["comment_id"] for c in seed["comments"]]
    first_body = page.locator("table.rows-and-columns tbody td.col-body").first.inner_text()
    assert first_body.startswith("The most sensible article")


def test_search_box_finds_a_comment_by_a_word(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/archive/comments")
    page.fill("input[name=_search]", "Bexley")
    page.press("input[name=_search]", "Enter")
    page.wait_for_url("**_search=Bexley**")
    ids = page.locator("table.rows-and-columns tbody td.col-comment_id").all_inner_texts()
    assert ids == [str(REMOVED_COMMENT)]
    assert "doing well at Bexley" in page.locator("td.col-body").inner_text()


def test_a_script_in_a_comment_shows_as_text_and_never_runs(page: Page, base_url: str) -> None:
    dialogs: list[str] = []

    def record(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    # The handler is live: a page that does run the script is caught.
    page.set_content(f"<p>control</p>{SCRIPT_TEXT}")
    assert dialogs == ["1"]
    dialogs.clear()
    for path in (f"/archive/comments/{SCRIPT_COMMENT}",
                 f"/archive/thread?article_id={SCRIPT_ARTICLE}",
                 "/archive/comments?_search=alert"):
        page.goto(base_url + path)
        page.wait_for_load_state("load")
        # Rendered as markup, the tag would leave only "alert(1)" in the cell's text.
        body = page.locator("td.col-body", has_text=SCRIPT_TEXT)
        assert body.count() == 1, path
        assert body.is_visible(), path
        if page.locator("td.col-body_html").count():
            assert page.locator("td.col-body_html", has_text=LIVE_SCRIPT).is_visible(), path
        assert not page.evaluate(
            "Array.from(document.scripts).some(s => s.textContent.includes('alert(1)'))"), path
    assert dialogs == []
