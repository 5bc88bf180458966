"""The generic spider against a live WordPress (Debian's 6.1, its MariaDB, PHP's server).

The expected archive is read from WordPress's own database (`expected_comments`), never from
the scraper's output: ids, authors, UTC instants and the site's offset, text, parents.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from testing.wordpress_live import LiveWordPress, load_threads, wordpress_unavailable
from tests.conftest import run_crawl
from tests.test_reparse import dated, reparse, rows

pytestmark = pytest.mark.slow

LIVE = {"ROBOTSTXT_OBEY": "True", "ARCHIVER_AUDIT_PER_RUN": "2"}


@pytest.fixture
def live_wp(tmp_path: Path) -> Iterator[LiveWordPress]:
    reason = wordpress_unavailable(install=True)
    if reason:
        pytest.skip(reason)
    with LiveWordPress(tmp_path / "wp") as wp:
        load_threads(wp, 3)
        yield wp


def crawl(wp: LiveWordPress, db: Path, **settings: str) -> Any:
    result = run_crawl(wp.base_url, db, spider="wordpress", timeout=300,
                       settings={**LIVE, **settings})
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def paragraphs(text: str) -> str:
    """WordPress's raw content as a reader sees it: wpautop's paragraphs, texturize's quotes."""
    text = html.unescape(text).replace("'", "\u2019").replace('"', "\u201d")
    return "\n\n".join(" ".join(p.split()) for p in re.split(r"\n\s*\n", text.strip()) if p)


def plain(text: str) -> str:
    return "\n\n".join(" ".join(p.split()) for p in text.split("\n\n"))


def utc_of(date_gmt: str) -> str:
    return datetime.fromisoformat(date_gmt).strftime("%Y-%m-%dT%H:%M:%SZ")


def offset_of(date: str, date_gmt: str) -> str:
    minutes = round((datetime.fromisoformat(date) - datetime.fromisoformat(date_gmt))
                    .total_seconds() / 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def assert_archive_is_wordpress(db_path: Path, wp: LiveWordPress, source: str, *,
                                parents_shown: bool = True) -> None:
    """`parents_shown`: false for a flat theme's pages, which show no reply as a reply."""
    db = sqlite_utils.Database(db_path)
    expected = {c["id"]: c for c in wp.expected_comments()}
    stored = {row["comment_id"]: row for row in db.query(
        "SELECT * FROM comments WHERE removed_at IS NULL")}
    assert set(stored) == set(expected)
    for comment_id, want in expected.items():
        row = stored[comment_id]
        assert row["article_id"] == want["post_id"]
        assert row["author"] == " ".join(want["author"].split())
        assert row["posted_at_utc"] == utc_of(want["date_gmt"]), comment_id
        assert row["posted_at"].endswith(offset_of(want["date"], want["date_gmt"]))
        assert row["parent_id"] == ((int(want["parent"]) or None) if parents_shown
                                    else None), comment_id
        assert plain(row["body"]).replace("'", "\u2019") == paragraphs(want["content"]) or (
            plain(row["body"]).split() == paragraphs(want["content"]).split()), comment_id
        assert row["source"] == source


def runs(db_path: Path) -> list[dict[str, Any]]:
    return list(sqlite_utils.Database(db_path)["crawl_runs"].rows_where(order_by="run_id"))


def change_the_site(wp: LiveWordPress, posts: list[dict[str, Any]], thread: list[dict[str, Any]],
                    trashed: int, late: int) -> tuple[int, int]:
    """Through WordPress: a new comment on posts[2], a reply to thread[2] on posts[1], an
    edit of thread[0], `trashed` trashed and `late` approved; returns (new, reply)."""
    new = wp.insert_comment(post_id=posts[2]["id"], author="New Reader",
                            author_email="new@example.org", content="A new comment.",
                            date="2024-06-01 12:00:00")
    reply = wp.insert_comment(post_id=posts[1]["id"], author="Replier",
                              author_email="r@example.org", content="A reply.",
                              parent=thread[2]["id"], date="2024-06-01 12:05:00")
    wp.update_comment(thread[0]["id"], content="Edited text of the comment.")
    wp.trash_comment(trashed)
    wp.approve_comment(late)
    return new, reply


def test_rest_backfill_then_an_unchanged_run_then_the_changes(live_wp: LiveWordPress,
                                                              tmp_path: Path) -> None:
    wp = live_wp
    posts = wp.expected_posts()
    late = wp.insert_comment(post_id=posts[0]["id"], author="Late Approver",
                             author_email="late@example.org", content="Held for moderation.",
                             date="2024-05-01 10:00:00", approved=0)
    db_path = tmp_path / "archive.db"
    crawl(wp, db_path)
    first = runs(db_path)[0]
    assert (first["source"], first["site_timezone"]) == ("rest", "Europe/London")
    assert_archive_is_wordpress(db_path, wp, "rest")
    comments = len(wp.expected_comments())
    budget = 1.1 * (math.ceil(len(posts) / 100) + math.ceil(comments / 100))
    # robots.txt, the home page, the REST index and the cross-check's article page.
    assert first["requests"] <= budget + 4
    checks = list(sqlite_utils.Database(db_path)["source_checks"].rows)
    assert checks and all(check["agrees"] for check in checks), checks

    crawl(wp, db_path)
    second = runs(db_path)[1]
    assert second["mode"] == "incremental"
    assert (second["comments_new"], second["comments_edited"],
            second["comments_removed"]) == (0, 0, 0)
    # robots.txt, the index, the newest comments, the modified posts; the audit's share: its
    # posts, their comments, and the cross-check of one of them.
    assert second["requests"] <= 4 + 3

    thread = wp.expected_comments(post_id=posts[1]["id"])
    edited, trashed = thread[0]["id"], thread[1]["id"]
    new, reply = change_the_site(wp, posts, thread, trashed, late)
    crawl(wp, db_path)
    third = runs(db_path)[2]
    assert (third["comments_new"], third["comments_edited"], third["comments_removed"]) == (
        3, 1, 1)
    assert_archive_is_wordpress(db_path, wp, "rest")
    db = sqlite_utils.Database(db_path)
    events = {(row["comment_id"], row["event"]) for row in db.query(
        "SELECT comment_id, event FROM comment_events WHERE run_id = ?", [third["run_id"]])}
    assert {(edited, "edited"), (trashed, "removed")} <= events
    assert db["comments"].get(trashed)["removed_at"] is not None
    versions = [row["body"] for row in db["comment_versions"].rows_where(
        "comment_id = ?", [edited])]
    assert versions == [plain(paragraphs(thread[0]["content"]))] or len(versions) == 1
    assert {new, reply, late} <= {row["comment_id"] for row in db["comments"].rows}
    assert db["comments"].get(reply)["parent_id"] == thread[2]["id"]

    # The three runs' REST answers, captured, rebuild the same archive with no site: row
    # for row, and its history at the same moments.
    wp.stop()
    rebuilt = tmp_path / "rebuilt.db"
    done = reparse(str(db_path.with_name("archive.db.warc")), "--db", str(rebuilt))
    assert done.returncode == 0, done.stderr[-3000:]
    assert rows(rebuilt) == rows(db_path)
    assert dated(rebuilt) == dated(db_path)


@pytest.mark.parametrize(("theme", "paging"), [
    ("twentytwentyone", {}),
    ("twentytwentytwo", {}),
    ("twentytwentythree", {}),
    ("twentytwentyone", {"page_comments": 1, "comments_per_page": 10}),
    ("twentytwentythree", {"thread_comments": 0}),
])
def test_a_blocked_api_falls_back_to_the_html(live_wp: LiveWordPress, tmp_path: Path,
                                              theme: str, paging: dict[str, int]) -> None:
    live_wp.switch_theme(theme)
    if paging:
        live_wp.set_options(**paging)
    live_wp.block_rest(True)
    status, _, body = live_wp.get("/wp-json/wp/v2/comments")
    assert status == 401 and "rest_cannot_access" in body
    db_path = tmp_path / "archive.db"
    crawl(live_wp, db_path)
    run = runs(db_path)[0]
    assert run["source"] == "html"
    assert_archive_is_wordpress(db_path, live_wp, "html",
                                parents_shown=paging.get("thread_comments", 1) == 1)


def test_a_site_in_new_york_keeps_its_own_offsets(tmp_path: Path) -> None:
    reason = wordpress_unavailable(install=True)
    if reason:
        pytest.skip(reason)
    with LiveWordPress(tmp_path / "wp", timezone="America/New_York") as wp:
        load_threads(wp, 1, keep_ids=False)
        db_path = tmp_path / "archive.db"
        crawl(wp, db_path)
        assert runs(db_path)[0]["site_timezone"] == "America/New_York"
        assert_archive_is_wordpress(db_path, wp, "rest")
        offsets = {row["posted_at"][-6:] for row in sqlite_utils.Database(db_path)["comments"].rows}
        assert offsets <= {"-04:00", "-05:00"} and offsets


def test_source_rest_on_a_blocked_api_fails_the_run(live_wp: LiveWordPress,
                                                    tmp_path: Path) -> None:
    live_wp.block_rest(True)
    result = run_crawl(live_wp.base_url, tmp_path / "a.db", spider="wordpress",
                       settings={**LIVE, "ARCHIVER_SOURCE": "rest"}, timeout=120)
    assert result.returncode != 0
    assert "ARCHIVER_SOURCE=rest" in result.stderr


def test_html_on_id_less_permalinks_follows_the_comments_feed_to_older_posts(
        live_wp: LiveWordPress, tmp_path: Path) -> None:
    """/%postname%/ URLs carry no post id: a feed link to a stored post is known by its URL,
    and one to a post never read is fetched and its id read from the page."""
    wp = live_wp
    wp.block_rest(True)
    db_path = tmp_path / "archive.db"
    quiet = {"ARCHIVER_AUDIT_PER_RUN": "0", "ARCHIVER_ACTIVE_DAYS": "0"}
    # The bundled threads keep their old slugs, which end in the id; this one's does not.
    old_id = wp.insert_post(title="A quiet old post", content="Old text.",
                            date="2005-03-01 09:00:00", slug="a-quiet-old-post")
    wp.insert_comment(post_id=old_id, author="Early Reader", author_email="early@example.org",
                      content="An early word.", date="2005-03-02 09:00:00")
    crawl(wp, db_path, **quiet)
    oldest = min(wp.expected_posts(), key=lambda post: post["date_gmt"])
    assert oldest["id"] == old_id and str(old_id) not in oldest["link"]
    # One post a listing page, so the listings stop at the newest, unchanged, post.
    wp.set_options(posts_per_page=1)
    on_old = wp.insert_comment(post_id=oldest["id"], author="Old Thread Reader",
                               author_email="old@example.org", content="Still reading this.",
                               date="2024-06-01 12:00:00")
    unseen = wp.insert_post(title="An older post never read", content="Its text.",
                            date="2010-01-01 09:00:00", slug="an-older-post-never-read")
    on_unseen = wp.insert_comment(post_id=unseen, author="First Reader",
                                  author_email="first@example.org", content="First!",
                                  date="2024-06-01 12:10:00")
    crawl(wp, db_path, **quiet)
    run = runs(db_path)[1]
    assert (run["mode"], run["source"]) == ("incremental", "html")
    assert run["comments_new"] == 2
    assert_archive_is_wordpress(db_path, wp, "html")
    db = sqlite_utils.Database(db_path)
    assert db["comments"].get(on_old)["article_id"] == oldest["id"]
    assert db["comments"].get(on_unseen)["article_id"] == unseen
    assert db["articles"].get(unseen)["title"] == "An older post never read"


def test_html_with_the_api_blocked_records_the_changes_in_one_run(live_wp: LiveWordPress,
                                                                   tmp_path: Path) -> None:
    """Pages show no edit or removal in any count, so the audit finds them: here it covers
    every thread each run."""
    wp = live_wp
    wp.block_rest(True)
    posts = wp.expected_posts()
    late = wp.insert_comment(post_id=posts[0]["id"], author="Late Approver",
                             author_email="late@example.org", content="Held for moderation.",
                             date="2024-05-01 10:00:00", approved=0)
    db_path = tmp_path / "archive.db"
    every_thread = {"ARCHIVER_AUDIT_PER_RUN": str(len(posts))}
    crawl(wp, db_path, **every_thread)
    assert_archive_is_wordpress(db_path, wp, "html")
    thread = wp.expected_comments(post_id=posts[1]["id"])
    # A trashed comment's approved replies vanish from WordPress's pages (the walker shows no
    # orphan) while its heading still counts them: that proves nothing missing is gone, so
    # the HTML records no removal there. The comment trashed here has no replies.
    parents = {int(c["parent"]) for c in thread}
    edited = thread[0]["id"]
    trashed = next(c["id"] for c in thread[3:] if int(c["id"]) not in parents)
    # A thread whose heading counts a pingback with its comments: absence is still proof.
    pinged = next(post["id"] for post in posts if post["id"] == 17772)
    pinged_thread = wp.expected_comments(post_id=pinged)
    pinged_parents = {int(c["parent"]) for c in pinged_thread}
    trashed_beside_ping = next(c["id"] for c in pinged_thread
                               if int(c["id"]) not in pinged_parents)
    wp.trash_comment(trashed_beside_ping)
    new, reply = change_the_site(wp, posts, thread, trashed, late)
    crawl(wp, db_path, **every_thread)
    second = runs(db_path)[1]
    assert (second["source"], second["mode"]) == ("html", "incremental")
    assert (second["comments_new"], second["comments_edited"],
            second["comments_removed"]) == (3, 1, 2)
    assert_archive_is_wordpress(db_path, wp, "html")
    db = sqlite_utils.Database(db_path)
    assert db["comments"].get(trashed)["removed_at"] is not None
    assert db["comments"].get(trashed_beside_ping)["removed_at"] is not None
    versions = [row["body"] for row in db["comment_versions"].rows_where(
        "comment_id = ?", [edited])]
    assert versions == [plain(paragraphs(thread[0]["content"]))]
    assert db["comments"].get(reply)["parent_id"] == thread[2]["id"]
    assert {new, late} <= {row["comment_id"] for row in db["comments"].rows}
