"""Real Datasette on 127.0.0.1 driven by Debian's headless Chromium through Playwright."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import urllib.request
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import BrowserContext, Dialog, Page, sync_playwright

from testing.serving import datasette_command, free_port, wait_until_serving
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
from tests.reading_truth import (
    HUMAN_TIME,
    HUMAN_TIMES,
    comments_per_month,
    corbyn_comments,
    make_hostile,
    reply_truth,
    thread_lengths,
    top_commenters,
    truth_thread,
)

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An archive crawled from the mirror (day 1, then day 2), with a hostile comment."""
    db = crawl_archive(tmp_path_factory.mktemp("served") / "archive.db")
    make_hostile(db)
    return db


@pytest.fixture(scope="module")
def base_url(crawled: Path) -> Iterator[str]:
    """Datasette serving the crawled archive, as the README says to run it."""
    folder, db = crawled.parent, crawled
    port = free_port()
    log = folder / "datasette.log"
    with log.open("wb") as output:
        server = subprocess.Popen(datasette_command(db, port), cwd=folder, stdout=output,
                                  stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_serving(f"{url}/-/versions.json", server, "datasette", log, timeout=30)
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


def watch_dialogs(page: Page) -> list[str]:
    """The messages of every dialog the page opens from now on (none expected)."""
    dialogs: list[str] = []

    def record(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    # The handler is live: a page that does run the script is caught.
    page.set_content(f"<p>control</p>{SCRIPT_TEXT}")
    assert dialogs == ["1"]
    dialogs.clear()
    return dialogs


def test_a_script_in_a_comment_shows_as_text_and_never_runs(page: Page, base_url: str) -> None:
    dialogs = watch_dialogs(page)
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


# --- the reading pages, at the size of an analyst's screen ---------------------------------

SCREEN = {"width": 1400, "height": 1000}


def inferred_edges(db: Path, article_id: int) -> set[tuple[int, int]]:
    """The crawl's own reply edges for one thread, as the inference stored them."""
    with closing(sqlite3.connect(db)) as conn:
        return set(conn.execute(
            "SELECT comment_id, parent_comment_id FROM reply_edges WHERE article_id = ? "
            "AND parent_comment_id IS NOT NULL AND NOT ambiguous", [article_id]).fetchall())


def chart_points(page: Page, chart: str) -> list[tuple[str, int]]:
    rects = page.locator(f'svg[data-chart="{chart}"] rect.point')
    found = []
    for i in range(rects.count()):
        rect = rects.nth(i)
        found.append((rect.get_attribute("data-label") or "",
                      int(rect.get_attribute("data-value") or -1)))
    # Drawn, not only present: the chart has a size on the page.
    box = page.locator(f'svg[data-chart="{chart}"]').bounding_box()
    assert box is not None and box["width"] > 100 and box["height"] > 50, chart
    return found


def test_thread_reader_shows_the_seed_thread_with_times_and_replies(
        page: Page, base_url: str, crawled: Path) -> None:
    page.set_viewport_size(SCREEN)
    page.goto(f"{base_url}/-/thread/{SEED_ARTICLE}")
    truth = truth_thread(SEED_ARTICLE)
    assert page.locator("h1.thread-title").inner_text() == truth["title"]
    comments = page.locator("article.thread-comment")
    assert comments.count() == SEED_COMMENTS
    ids = [int(c.get_attribute("data-comment-id") or 0) for c in comments.all()]
    assert ids == [c["comment_id"] for c in truth["comments"]]
    times = page.locator("article.thread-comment time.posted").all_inner_texts()
    assert all(HUMAN_TIME.match(t) for t in times), times
    assert [t[-9:-4] for t in times] == [c["posted_local"][11:16] for c in truth["comments"]]
    assert times[0] == HUMAN_TIMES[ids[0]]
    links = set()
    for link in page.locator(".reply-to").all():
        reply = link.locator("xpath=ancestor::article[1]").get_attribute("data-comment-id")
        links.add((int(reply or 0), int(link.get_attribute("data-target") or 0)))
    edges = inferred_edges(crawled, SEED_ARTICLE)
    assert links == edges
    # The plainest of the hand-checked replies: "@James Gane Thanks for that".
    assert (400263, 400262) in links
    assert len(links & set(reply_truth(SEED_ARTICLE).items())) >= 0.8 * len(links)
    # A reply link takes the reader to the comment answered.
    page.locator('article[data-comment-id="400263"] .reply-to a').click()
    page.wait_for_url("**#comment-400262")
    assert page.locator("#comment-400262").is_visible()


def test_thread_is_reached_from_its_article_row_and_by_title(page: Page, base_url: str) -> None:
    page.set_viewport_size(SCREEN)
    title = truth_thread(SEED_ARTICLE)["title"]
    page.goto(f"{base_url}/archive/articles")
    page.locator("td.col-title a", has_text=title).click()
    page.wait_for_url(f"**/-/thread/{SEED_ARTICLE}")
    page.goto(f"{base_url}/-/threads")
    page.fill("input[name=q]", "difference between leadership")
    page.press("input[name=q]", "Enter")
    page.wait_for_url("**/-/threads?q=**")
    page.locator("table.thread-list a", has_text=title).click()
    page.wait_for_url(f"**/-/thread/{SEED_ARTICLE}")
    assert page.locator("h1.thread-title").inner_text() == title


def test_each_chart_renders_with_the_archives_data(page: Page, base_url: str,
                                                   crawled: Path) -> None:
    page.set_viewport_size(SCREEN)
    page.goto(f"{base_url}/-/charts")
    assert {m: n for m, n in chart_points(page, "per-month") if n} == comments_per_month()
    assert chart_points(page, "top-commenters") == top_commenters(20)
    lengths = list(thread_lengths().values())
    found = dict(chart_points(page, "thread-lengths"))
    assert found["20-49"] == sum(1 for n in lengths if 20 <= n < 50) == 1
    assert sum(found.values()) == len(lengths)
    page.fill("input[name=author]", "John Tilley")
    page.press("input[name=author]", "Enter")
    page.wait_for_url("**/-/charts/commenter?author=John+Tilley")
    tilley = sum(1 for c in truth_thread(SEED_ARTICLE)["comments"] if c["author"] == "John Tilley")
    assert chart_points(page, "commenter-months") == [("2015-09", tilley)]
    page.goto(f"{base_url}/-/thread/{SEED_ARTICLE}")
    page.locator("a.reply-graph-link").click()
    page.wait_for_url(f"**/-/charts/replies/{SEED_ARTICLE}")
    graph = page.locator('svg[data-chart="replies"]')
    assert graph.locator("circle.node").count() == SEED_COMMENTS
    drawn = {(int(e.get_attribute("data-from") or 0), int(e.get_attribute("data-to") or 0))
             for e in graph.locator("path.edge").all()}
    assert drawn == inferred_edges(crawled, SEED_ARTICLE)
    box = graph.bounding_box()
    assert box is not None and box["height"] > 50


def test_search_for_corbyn_is_ranked_with_highlights(page: Page, base_url: str) -> None:
    page.set_viewport_size(SCREEN)
    page.goto(f"{base_url}/archive/comments?_search=Corbyn")
    page.locator("p.ranked-search a").click()
    page.wait_for_url("**_sort=rank**")
    snippets = page.locator("td.col-snippet")
    assert snippets.count() == len(corbyn_comments())
    marks = page.locator("td.col-snippet mark").all_inner_texts()
    assert marks and {m.lower() for m in marks} == {"corbyn"}
    assert snippets.count() == page.locator("td.col-snippet:has(mark)").count()
    ranks = [float(r) for r in page.locator("td.col-rank").all_inner_texts()]
    assert ranks == sorted(ranks)
    ids = {int(i) for i in page.locator("td.col-comment_id").all_inner_texts()}
    assert ids == corbyn_comments()


def test_sort_by_rank_and_every_canned_query_answer_200(base_url: str) -> None:
    metadata = yaml.safe_load((ROOT / "datasette" / "metadata.yml").read_text(encoding="utf-8"))
    arguments = {"article_id": str(SEED_ARTICLE), "author": "John+Tilley", "since": "2024-05-02",
                 "q": "Corbyn", "category": "Op-eds"}
    paths = ["/archive/comments?_search=Corbyn&_sort=rank",
             "/archive/comments.json?_search=Corbyn&_sort=rank"]
    for name, query in metadata["databases"]["archive"]["queries"].items():
        args = "&".join(f"{a}={v}" for a, v in arguments.items() if f":{a}" in query["sql"])
        paths += [f"/archive/{name}?{args}", f"/archive/{name}.json?{args}"]
    for path in paths:
        with urllib.request.urlopen(base_url + path, timeout=30) as response:
            assert response.status == 200, path


def test_comments_table_shows_rows_on_its_first_screen(page: Page, base_url: str) -> None:
    page.set_viewport_size(SCREEN)
    page.goto(f"{base_url}/archive/comments")
    rows = page.locator("table.rows-and-columns tbody tr")
    assert rows.count() > 3
    for i in range(3):
        box = rows.nth(i).bounding_box()
        assert box is not None and box["y"] + box["height"] <= SCREEN["height"], (i, box)
    assert page.locator("td.col-body_html").count() == 0


def test_a_hostile_comment_runs_nothing_on_the_reading_pages(page: Page, base_url: str) -> None:
    dialogs = watch_dialogs(page)
    for path in (f"/-/thread/{SCRIPT_ARTICLE}", "/-/charts", "/-/charts/commenter?author=Mallory",
                 f"/-/charts/replies/{SCRIPT_ARTICLE}", "/-/threads",
                 "/archive/comments?_search=alert&_sort=rank"):
        page.goto(base_url + path)
        page.wait_for_load_state("load")
        assert page.evaluate(
            "document.querySelectorAll('a[href^=\"javascript:\" i], [onclick], [onerror]')"
            ".length") == 0, path
        assert not page.evaluate(
            "Array.from(document.scripts).some(s => /alert\\([0-9]\\)/.test(s.textContent))"), path
    page.goto(f"{base_url}/-/thread/{SCRIPT_ARTICLE}")
    hostile = page.locator(f'article[data-comment-id="{SCRIPT_COMMENT}"]')
    assert SCRIPT_TEXT in hostile.locator(".body").inner_text()
    hostile.locator(".author").click()
    assert dialogs == []
