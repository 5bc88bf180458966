"""Odd pages crawled over HTTP: each has a recorded outcome, none crashes the run or loses data."""

from __future__ import annotations

import json
import re
import shutil

import pytest
import sqlite_utils

from testing.faults import FaultPlan
from testing.mirror import serve
from tests.conftest import DAY1, ROOT, CrawlResult, run_crawl

VARIANTS = ROOT / "tests" / "fixtures" / "variants"
PAGES = ["heading-mismatch-1001.html", "no-comments-block-1101.html",
         "comment-oddities-601.html", "comment-pagination-1201.html"]
PAGED = "comment-pagination-1201.html"


def comment_page(article: str, number: int, ids: list[int]) -> str:
    """Page `number` of the paginated variant, holding the given comments."""
    html = (VARIANTS / article).read_text(encoding="utf-8")
    item = re.search(r'<li id="comment-55".*?</li>', html, re.S)
    assert item is not None
    items = "".join(
        item[0].replace("comment-55", f"comment-{n}").replace("Fifth", f"Reader {n}")
        .replace("2021-01-05T10:00", f"2021-01-0{n - 50}T10:00")
        .replace("5 January", f"{n - 50} January")
        for n in ids)
    return html.replace(item[0], items)


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> tuple[sqlite_utils.Database, CrawlResult]:
    site = tmp_path_factory.mktemp("variants-site")
    for name in ("site.json", "robots.txt"):
        shutil.copy(DAY1 / name, site / name)
    for page in PAGES:
        shutil.copy(VARIANTS / page, site / page)
    faults = FaultPlan.from_config({
        f"/{PAGED}/comment-page-1/": {"kind": "replace", "body": comment_page(PAGED, 1, [51, 52])},
        f"/{PAGED}/comment-page-2/": {"kind": "replace", "body": comment_page(PAGED, 2, [53, 54])},
    })
    db_path = site / "archive.db"
    with serve(site, faults=faults) as server:
        urls = ",".join(f"{server.base_url}/{page}" for page in PAGES)
        result = run_crawl(server.base_url, db_path, f"urls={urls}")
    return sqlite_utils.Database(db_path), result


def test_run_completes_and_counts_what_it_met(
        crawled: tuple[sqlite_utils.Database, CrawlResult]) -> None:
    db, result = crawled
    assert result.returncode == 0, result.stderr[-3000:]
    run = db["crawl_runs"].get(1)
    assert run["articles_new"] == 4 and run["errors"] == 0
    assert run["count_mismatches"] == 1
    assert run["date_warnings"] >= 1


def test_heading_that_disagrees_is_logged_and_kept(
        crawled: tuple[sqlite_utils.Database, CrawlResult]) -> None:
    db, result = crawled
    article = db["articles"].get(1001)
    assert (article["comment_count_declared"], article["comment_count_extracted"]) == (5, 3)
    assert db["comments"].count_where("article_id = 1001") == 3
    assert re.search(r"count mismatch on \S+heading-mismatch-1001\.html: heading says 5, "
                     r"extracted 3", result.stderr)


def test_page_without_comments_block_is_an_article_with_no_comments(
        crawled: tuple[sqlite_utils.Database, CrawlResult]) -> None:
    db, _ = crawled
    article = db["articles"].get(1101)
    assert article["comment_count_declared"] is None
    assert db["comments"].count_where("article_id = 1101") == 0
    # The widget's comment belongs to another post and must not be taken.
    assert db["comments"].count_where("comment_id = 6") == 0


def test_garbage_date_keeps_the_comment_with_its_raw_text(
        crawled: tuple[sqlite_utils.Database, CrawlResult]) -> None:
    db, result = crawled
    undated = list(db["comments"].rows_where("article_id = 601 AND posted_at IS NULL"))
    assert undated, "the comment with the unreadable date must be stored"
    assert all(row["posted_at_utc"] is None for row in undated)
    assert any(row["posted_raw"] for row in undated)
    assert "unreadable date kept as text" in result.stderr


def test_comment_pages_are_followed_and_stored_whole_in_order(
        crawled: tuple[sqlite_utils.Database, CrawlResult]) -> None:
    db, _ = crawled
    rows = list(db.query("SELECT comment_id, position, posted_at FROM comments "
                         "WHERE article_id = 1201 ORDER BY position"))
    assert [r["comment_id"] for r in rows] == [51, 52, 53, 54, 55]
    assert [r["position"] for r in rows] == [1, 2, 3, 4, 5]
    assert json.loads(db["articles"].get(1201)["categories"]) is not None
