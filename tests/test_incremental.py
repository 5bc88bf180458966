"""Scheduled runs over day 1 and day 2 of the mirror: cheap, complete, with history."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlite_utils

from archiver.extensions.ledger import EXIT_CODES
from archiver.policy import audit_size
from testing.mirror import MirrorServer, serve
from tests.conftest import DAY1, DAY2, run_crawl, truth
from tests.test_crawl import expected_body, squash

ARTICLE = re.compile(r"^/[^/]+-(\d+)\.html$")
NEW_COMMENTS = {392231, 444891}
EDITED, REMOVED, NEW_ARTICLE = 400256, 565084, 71214


def fetched_articles(server: MirrorServer) -> list[int]:
    return [int(m[1]) for r in server.requests if (m := ARTICLE.match(r.path))]


def snapshot(db: sqlite_utils.Database) -> dict[int, tuple[object, ...]]:
    """What a comment says and whether it stands; bookkeeping (last seen, position) aside."""
    return {r["comment_id"]: (r["content_hash"], r["removed_at"], r["edited_at"], r["posted_at"],
                              r["author"], r["author_url"]) for r in db["comments"].rows}


@pytest.fixture
def day1_archive(tmp_path: Path) -> Iterator[tuple[MirrorServer, Path]]:
    with serve(DAY1) as server:
        db = tmp_path / "archive.db"
        first = run_crawl(server.base_url, db)
        assert first.returncode == 0, first.stderr[-2000:]
        server.clear_log()
        yield server, db


def test_unchanged_rerun_fetches_only_the_audit_sweep(
        day1_archive: tuple[MirrorServer, Path]) -> None:
    server, db_path = day1_archive
    db = sqlite_utils.Database(db_path)
    before = snapshot(db)
    result = run_crawl(server.base_url, db_path, settings={"ARCHIVER_AUDIT_PER_RUN": "2"})
    assert result.returncode == 0, result.stderr[-2000:]
    run = db["crawl_runs"].get(2)
    assert run["mode"] == "incremental"
    assert (run["articles_new"], run["comments_new"], run["comments_edited"],
            run["comments_removed"]) == (0, 0, 0, 0)
    assert len(fetched_articles(server)) == 2
    # robots.txt, the home listing, the comments feed and the two audited threads.
    assert run["requests"] == len(server.requests) == 5
    assert snapshot(db) == before
    assert "archiver run 2 ok (finished): 5 requests" in result.stderr


@pytest.mark.parametrize(("articles", "per_run", "cycle_runs", "audited"), [
    (78_000, 20, 100, 20),  # a big archive: the cap
    (1_000, 20, 100, 10),   # a small one: a cycle's share
    (1_001, 20, 100, 11),
    (0, 20, 100, 0),
    (500, 0, 100, 0),       # audit off
])
def test_audit_size_is_a_cycle_share_up_to_the_cap(articles: int, per_run: int,
                                                   cycle_runs: int, audited: int) -> None:
    assert audit_size(articles, per_run, cycle_runs) == audited


def test_small_archive_audits_its_cycle_share(day1_archive: tuple[MirrorServer, Path]) -> None:
    server, db_path = day1_archive
    articles = sqlite_utils.Database(db_path)["articles"].count
    result = run_crawl(server.base_url, db_path, settings={
        "ARCHIVER_AUDIT_PER_RUN": "20", "ARCHIVER_AUDIT_CYCLE_RUNS": "4"})
    assert result.returncode == 0, result.stderr[-2000:]
    assert len(fetched_articles(server)) == -(-articles // 4) < 20


def test_active_window_uses_conditional_requests(day1_archive: tuple[MirrorServer, Path]) -> None:
    server, db_path = day1_archive
    db = sqlite_utils.Database(db_path)
    # 4,200 days back from today reaches the 2015 threads and everything newer.
    result = run_crawl(server.base_url, db_path,
                       settings={"ARCHIVER_AUDIT_PER_RUN": "0", "ARCHIVER_ACTIVE_DAYS": "4200"})
    assert result.returncode == 0, result.stderr[-2000:]
    articles = [r for r in server.requests if ARTICLE.match(r.path)]
    assert len(articles) == 7
    assert all(r.status == 304 and r.headers.get("If-None-Match") for r in articles)
    run = db["crawl_runs"].get(2)
    assert (run["comments_new"], run["comments_edited"], run["pages_parsed"]) == (0, 0, 0)


def test_day_two_records_exactly_the_mutations(day1_archive: tuple[MirrorServer, Path]) -> None:
    server, db_path = day1_archive
    db = sqlite_utils.Database(db_path)
    before = snapshot(db)
    server.set_root(DAY2)
    # No audit: only the listings' changed counts and the new article lead to fetches.
    cheap = run_crawl(server.base_url, db_path, settings={"ARCHIVER_AUDIT_PER_RUN": "0"})
    assert cheap.returncode == 0, cheap.stderr[-2000:]
    assert sorted(fetched_articles(server)) == [46523, 54102, 69228, NEW_ARTICLE]
    listings = [r.path for r in server.requests if r.path in ("/", "/page/2/")]
    assert listings == ["/", "/page/2/"]
    run = db["crawl_runs"].get(2)
    assert (run["articles_new"], run["comments_new"], run["comments_removed"],
            run["comments_edited"]) == (1, 3, 1, 0)
    assert run["requests"] == len(server.requests)

    # The edit changed no count: the audit sweep is what finds it.
    server.clear_log()
    audit = run_crawl(server.base_url, db_path, settings={"ARCHIVER_AUDIT_PER_RUN": "20"})
    assert audit.returncode == 0, audit.stderr[-2000:]
    run = db["crawl_runs"].get(3)
    assert (run["comments_new"], run["comments_edited"], run["comments_removed"]) == (0, 1, 0)

    after = snapshot(db)
    changed = {cid for cid in before.keys() | after.keys() if before.get(cid) != after.get(cid)}
    assert changed == NEW_COMMENTS | {EDITED, REMOVED} | {
        c["comment_id"] for c in db.query("SELECT comment_id FROM comments WHERE article_id = ?",
                                          [NEW_ARTICLE])}
    removed = db["comments"].get(REMOVED)
    assert removed["removed_at"] is not None and removed["body"].startswith("Looks as if Labour")
    edited = db["comments"].get(EDITED)
    assert edited["edit_count"] == 1 and edited["edited_at"] is not None
    versions = list(db["comment_versions"].rows_where("comment_id = ?", [EDITED]))
    assert [v["body"] for v in versions] == [
        "Perhaps a better perspective on what is going onion the Labour Party \u2014"]
    events = {(e["comment_id"], e["event"]) for e in db["comment_events"].rows}
    assert events == {(EDITED, "edited"), (REMOVED, "removed")}
    assert_matches_truth(db, "day2")
    # Positions follow the thread as shown now: the removed comment's place closes up.
    assert [c["position"] for c in db.query(
        "SELECT position FROM comments WHERE article_id = 69228 AND removed_at IS NULL "
        "ORDER BY position")] == [1, 2, 3, 4, 5]


def test_removed_comment_that_returns_is_restored(day1_archive: tuple[MirrorServer, Path]) -> None:
    server, db_path = day1_archive
    db = sqlite_utils.Database(db_path)
    server.set_root(DAY2)
    assert run_crawl(server.base_url, db_path, "mode=backfill").returncode == 0
    assert db["comments"].get(REMOVED)["removed_at"] is not None
    server.set_root(DAY1)
    assert run_crawl(server.base_url, db_path, "mode=backfill").returncode == 0
    assert db["comments"].get(REMOVED)["removed_at"] is None
    events = [e["event"] for e in db["comment_events"].rows_where("comment_id = ?", [REMOVED],
                                                                   order_by="event_id")]
    assert events == ["removed", "restored"]
    assert db["crawl_runs"].get(3)["comments_restored"] == 1


def assert_matches_truth(db: sqlite_utils.Database, day: str) -> None:
    """Visible comments equal the day's truth; tombstoned ones are kept but marked."""
    for post_id, thread in truth(day).items():
        stored = list(db.query("SELECT * FROM comments WHERE article_id = ? AND removed_at IS NULL"
                               " ORDER BY posted_at_utc, comment_id", [post_id]))
        wanted = thread["comments"]
        assert [c["comment_id"] for c in stored] == [c["comment_id"] for c in wanted], post_id
        for got, want in zip(stored, wanted, strict=True):
            assert (got["author"], got["posted_at"][:19]) == (want["author"], want["posted_local"])
            assert squash(got["body"]) == expected_body(want["body_paragraphs"])


def test_broken_home_page_is_a_failure_and_the_run_goes_on(
        day1_archive: tuple[MirrorServer, Path]) -> None:
    from testing.faults import FaultPlan

    server, db_path = day1_archive
    db = sqlite_utils.Database(db_path)
    server.set_faults(FaultPlan.from_config({"/": {"kind": "garbage", "style": "bytes"}}))
    broken = run_crawl(server.base_url, db_path, settings={"ARCHIVER_AUDIT_PER_RUN": "1"})
    assert broken.returncode == EXIT_CODES["partial"], broken.stderr[-2000:]
    failure = next(db["failures"].rows_where("run_id = 2"))
    assert failure["url"] == f"{server.base_url}/"
    assert failure["reason"] == "listing page shows no articles"
    # The later phases still ran: the comments feed and the audit sweep.
    paths = [r.path for r in server.requests]
    assert "/comments/feed/" in paths and len(fetched_articles(server)) == 1
    assert db["crawl_runs"].get(2)["status"] == "partial"

    server.set_faults(None)
    healed = run_crawl(server.base_url, db_path, settings={"ARCHIVER_AUDIT_PER_RUN": "0"})
    assert healed.returncode == 0
    assert db["failures"].get(failure["failure_id"])["resolved_in_run_id"] == 3
