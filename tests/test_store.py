"""The store on an in-memory archive: whole rows, idempotent writes, history kept."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from archiver.db.connection import open_database
from archiver.db.rows import content_hash
from archiver.db.store import Store
from archiver.items import Article, Comment, Thread

LONDON = ZoneInfo("Europe/London")

ARTICLE = Article(
    article_id=7, url="http://127.0.0.1:8000/post-7.html", title="Post", author="Ann",
    published_raw="Fri 4th September 2015 - 8:30 am", published_datetime=None,
    categories=("News",), tags=("a tag",), body="Text.", comment_count_declared=2,
    published_at=datetime(2015, 9, 4, 8, 30, tzinfo=LONDON),
)


def comment(comment_id: int, body: str, minute: int) -> Comment:
    return Comment(comment_id=comment_id, author="Bob", author_url=None,
                   posted_raw=f"4th Sep '15 - 9:{minute:02d}am", posted_datetime=None,
                   body=body, body_html=f"<p>{body}</p>", position=1, is_post_author=False,
                   posted_at=datetime(2015, 9, 4, 9, minute, tzinfo=LONDON))


THREAD = Thread(article=ARTICLE, comments=(comment(1, "First.", 45),
                                           replace(comment(2, "Second.", 50), position=2)),
                source_urls=(ARTICLE.url,))


@pytest.fixture
def store() -> Store:
    return Store(open_database(":memory:"))


def test_first_write_stores_whole_rows(store: Store) -> None:
    run = store.begin_run("backfill", "http://127.0.0.1:8000", "2026-01-01T00:00:00Z")
    changes = store.write_thread(THREAD, run, "2026-01-01T00:00:01Z")
    assert (changes.article_new, changes.comments_new) == (True, 2)
    assert store.db["comments"].get(1) == {
        "comment_id": 1, "article_id": 7, "author": "Bob", "author_url": None,
        "posted_at": "2015-09-04T09:45:00+01:00", "posted_at_utc": "2015-09-04T08:45:00Z",
        "posted_raw": "4th Sep '15 - 9:45am", "body": "First.", "body_html": "<p>First.</p>",
        "content_hash": content_hash("First.", "<p>First.</p>"), "position": 1,
        "is_post_author": 0, "has_wordpress_id": 1,
        "first_seen_at": "2026-01-01T00:00:01Z", "last_seen_at": "2026-01-01T00:00:01Z",
        "edited_at": None, "edit_count": 0, "removed_at": None,
        "first_run_id": run, "last_run_id": run, "parent_id": None, "source": "html",
    }
    article = store.db["articles"].get(7)
    assert (article["published_at"], article["categories"], article["last_verified_at"]) == (
        "2015-09-04T08:30:00+01:00", '["News"]', "2026-01-01T00:00:01Z")


def test_same_thread_again_changes_nothing_but_last_seen(store: Store) -> None:
    run = store.begin_run("backfill", "x", "t0")
    store.write_thread(THREAD, run, "t1")
    again = store.write_thread(THREAD, run, "t2")
    assert (again.article_new, again.article_updated, again.comments_new,
            again.comments_edited, again.comments_removed) == (False, False, 0, 0, 0)
    assert [r["last_seen_at"] for r in store.db["comments"].rows] == ["t2", "t2"]
    assert store.db["comment_versions"].count == 0


def test_edit_keeps_the_old_version(store: Store) -> None:
    run = store.begin_run("backfill", "x", "t0")
    store.write_thread(THREAD, run, "t1")
    edited = replace(THREAD, comments=(replace(THREAD.comments[0], body="First!",
                                               body_html="<p>First!</p>"), THREAD.comments[1]))
    changes = store.write_thread(edited, run, "t2")
    assert changes.comments_edited == 1
    version = next(iter(store.db["comment_versions"].rows))
    assert (version["comment_id"], version["body"], version["first_seen_at"],
            version["last_seen_at"], version["replaced_at"]) == (1, "First.", "t1", "t1", "t2")
    row = store.db["comments"].get(1)
    assert (row["body"], row["edit_count"], row["edited_at"]) == ("First!", 1, "t2")


def test_missing_comment_is_tombstoned_only_after_a_complete_read(store: Store) -> None:
    run = store.begin_run("backfill", "x", "t0")
    store.write_thread(THREAD, run, "t1")
    partial = replace(THREAD, comments=THREAD.comments[:1], complete=False)
    assert store.write_thread(partial, run, "t2").comments_removed == 0
    assert store.db["comments"].get(2)["removed_at"] is None
    # A moderator's removal lowers the page's count heading too; only then is absence proof.
    complete = replace(partial, complete=True,
                       article=replace(partial.article, comment_count_declared=1))
    assert store.write_thread(complete, run, "t3").comments_removed == 1
    assert store.db["comments"].get(2)["removed_at"] == "t3"
    assert store.db["comments"].count == 2, "a tombstone is never a delete"


def test_comment_id_claimed_by_another_article_is_refused(store: Store) -> None:
    run = store.begin_run("backfill", "x", "t0")
    store.write_thread(THREAD, run, "t1")
    other = replace(THREAD, article=replace(ARTICLE, article_id=8, url="http://h/post-8.html"))
    changes = store.write_thread(other, run, "t2")
    assert changes.foreign_ids == (1, 2)
    assert {r["article_id"] for r in store.db["comments"].rows} == {7}


def test_killed_run_is_marked_by_the_next(store: Store) -> None:
    first = store.begin_run("backfill", "x", "t0")
    second = store.begin_run("incremental", "x", "t1")
    assert store.db["crawl_runs"].get(first)["status"] == "killed"
    assert store.db["crawl_runs"].get(second)["status"] == "running"


def _search(store: Store, table: str, query: str) -> list[int]:
    return [row["rowid"] for row in store.db.query(
        f"SELECT rowid FROM {table}_fts WHERE {table}_fts MATCH ? ORDER BY rowid", [query])]


def test_new_rows_wait_for_search_until_indexed_and_edits_follow(store: Store) -> None:
    run = store.begin_run("backfill", "x", "t0")
    store.write_thread(THREAD, run, "t1")
    assert _search(store, "comments", "second") == []  # stored, waiting for the next batch
    # A row edited while it waits is indexed with its new text only.
    waiting_edit = replace(THREAD, comments=(THREAD.comments[0],
                                             replace(THREAD.comments[1], body="Later words.")))
    store.write_thread(waiting_edit, run, "t2")
    assert store.index_pending_search() == 3  # two comments and the article
    assert _search(store, "comments", "second") == []
    assert _search(store, "comments", "later") == [2]
    assert _search(store, "articles", "post") == [7]
    assert store.index_pending_search() == 0

    changes_before = store.db.conn.total_changes
    store.write_thread(waiting_edit, run, "t3")  # the same page again: only bookkeeping changes
    store.mark_unchanged(7, ARTICLE.url, run, "t4")
    # Each re-read touches each comment and the article row once (the page write also its
    # validators); re-indexing would add FTS writes for every one of them.
    rows_per_read = len(THREAD.comments) + 1
    assert store.db.conn.total_changes - changes_before <= 2 * rows_per_read + 1

    # Indexed rows follow edits at once.
    edited = replace(THREAD, comments=(THREAD.comments[0],
                                       replace(THREAD.comments[1], body="Changed words.")))
    store.write_thread(replace(edited, article=replace(ARTICLE, title="Renamed")), run, "t5")
    assert _search(store, "comments", "later") == []
    assert _search(store, "comments", "changed") == [2]
    assert _search(store, "articles", "renamed") == [7]
    assert _search(store, "articles", "post") == []


def test_finishing_a_run_indexes_what_waits_and_the_next_run_catches_a_killed_ones(
        store: Store) -> None:
    first = store.begin_run("backfill", "x", "t0")
    store.write_thread(THREAD, first, "t1")
    store.finish_run(first, "ok", "finished", "t2", {})
    assert _search(store, "comments", "first") == [1]
    killed = store.begin_run("incremental", "x", "t3")
    other = replace(THREAD, article=replace(ARTICLE, article_id=8, url="http://h/post-8.html"),
                    comments=(replace(THREAD.comments[0], comment_id=3, body="Orphaned."),))
    store.write_thread(other, killed, "t4")
    assert _search(store, "comments", "orphaned") == []
    store.begin_run("incremental", "x", "t5")  # the killed run never finished
    assert _search(store, "comments", "orphaned") == [3]


def test_a_heading_that_counts_the_pings_shown_still_proves_absence(store: Store) -> None:
    run = store.begin_run("backfill", "x", "t0")
    store.write_thread(THREAD, run, "t1")
    # The heading says 2: the one comment left and the pingback the page shows beside it.
    one_left = replace(THREAD, comments=THREAD.comments[:1], pings_shown=1)
    assert store.write_thread(one_left, run, "t2").comments_removed == 1
    assert store.db["comments"].get(2)["removed_at"] == "t2"
