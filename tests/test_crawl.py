"""One real crawl of the bundled mirror over HTTP, checked against the ground truth."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import sqlite_utils

from testing.mirror import MirrorServer
from tests.conftest import CrawlResult, run_crawl, truth

SEED = 47108


def squash(text: str) -> str:
    """Whitespace-normalised text, as the issue compares bodies."""
    return re.sub(r"\s+", " ", text).strip()


def expected_body(paragraphs: list[str]) -> str:
    return squash(" ".join(paragraphs))


def comments_of(db: sqlite_utils.Database, article_id: int) -> list[dict[str, object]]:
    return list(db.query(
        "SELECT * FROM comments WHERE article_id = ? ORDER BY position", [article_id]))


@pytest.fixture(scope="module")
def day1(tmp_path_factory: pytest.TempPathFactory) -> tuple[sqlite_utils.Database, CrawlResult]:
    from testing.mirror import serve
    from tests.conftest import DAY1

    folder = tmp_path_factory.mktemp("day1")
    with serve(DAY1) as server:
        result = run_crawl(server.base_url, folder / "archive.db", exports=folder / "exports")
        db = sqlite_utils.Database(folder / "archive.db")
        db.conn.execute("PRAGMA query_only = 1")
        # Keep the base URL for tests that compare stored URLs.
        db.base_url = server.base_url  # type: ignore[attr-defined]
    return db, result


def test_crawl_exits_cleanly_and_logs_a_summary(
        day1: tuple[sqlite_utils.Database, CrawlResult]) -> None:
    _, result = day1
    assert result.returncode == 0, result.stderr[-3000:]
    assert re.search(r"archiver run 1 ok \(finished\): \d+ requests", result.stderr)


def test_every_article_matches_the_truth(day1: tuple[sqlite_utils.Database, CrawlResult]) -> None:
    db, _ = day1
    assert_articles_match_truth(db)


def assert_articles_match_truth(db: sqlite_utils.Database) -> None:
    """Every day-1 article stored as the truth has it (shared with the generic spider's test)."""
    expected = truth("day1")
    assert {row["article_id"] for row in db["articles"].rows} == set(expected)
    for post_id, thread in expected.items():
        row = db["articles"].get(post_id)
        assert row["title"] == thread["title"], post_id
        assert row["author"] == thread["author"], post_id
        assert row["published_at"][:19] == thread["published_local"], post_id
        assert json.loads(row["categories"]) == thread["category"], post_id
        assert json.loads(row["tags"]) == thread["tags"], post_id
        assert squash(row["body"]) == expected_body(thread["body_paragraphs"]), post_id
        assert row["url"] == db.base_url + thread["mirror_path"]  # type: ignore[attr-defined]


def test_every_thread_matches_the_truth(day1: tuple[sqlite_utils.Database, CrawlResult]) -> None:
    db, _ = day1
    assert_threads_match_truth(db)


def assert_threads_match_truth(db: sqlite_utils.Database) -> None:
    """Every day-1 thread's comments in order, as the truth has them."""
    for post_id, thread in truth("day1").items():
        stored = comments_of(db, post_id)
        wanted = thread["comments"]
        assert [c["comment_id"] for c in stored] == [c["comment_id"] for c in wanted], post_id
        for got, want in zip(stored, wanted, strict=True):
            assert got["author"] == want["author"]
            assert got["author_url"] == want["author_url"]
            assert got["posted_at"][:19] == want["posted_local"]
            assert bool(got["is_post_author"]) == want["is_post_author"]
            assert squash(got["body"]) == expected_body(want["body_paragraphs"])
        assert [c["position"] for c in stored] == list(range(1, len(stored) + 1))


def test_seed_thread_has_its_38_comments_in_order(
        day1: tuple[sqlite_utils.Database, CrawlResult]) -> None:
    db, _ = day1
    stored = comments_of(db, SEED)
    assert len(stored) == 38
    assert (stored[0]["comment_id"], stored[0]["author"]) == (400254, "Ed Shepherd")
    assert stored[0]["posted_at"] == "2015-09-04T09:45:00+01:00"
    assert stored[0]["posted_at_utc"] == "2015-09-04T08:45:00Z"
    assert stored[0]["posted_raw"] == "4th Sep '15 - 9:45am"
    caron = next(c for c in stored if c["comment_id"] == 400290)
    assert caron["author"] == "Caron Lindsay" and not caron["is_post_author"]
    assert [c["author"] for c in stored if c["is_post_author"]] == ["John Dixon"]
    times = [c["posted_at_utc"] for c in stored]
    assert times == sorted(times)


def test_nothing_from_sidebar_pingbacks_or_form(
        day1: tuple[sqlite_utils.Database, CrawlResult]) -> None:
    db, _ = day1
    total = sum(len(t["comments"]) for t in truth("day1").values())  # type: ignore[arg-type]
    assert db["comments"].count == total
    assert db["comments"].count_where("comment_id = 94090") == 0
    for leak in ("Recent Comments", "Please complete the name of this site", "Post Comment",
                 "Caption competition winner", "User Avatar"):
        assert db["comments"].count_where("body LIKE ? OR author LIKE ?",
                                          [f"%{leak}%", f"%{leak}%"]) == 0, leak


def test_zero_comment_article_is_stored_without_comments(
        day1: tuple[sqlite_utils.Database, CrawlResult]) -> None:
    db, _ = day1
    assert db["articles"].get(22478)["comment_count_declared"] is None
    assert db["comments"].count_where("article_id = 22478") == 0


def test_run_ledger_records_the_crawl(day1: tuple[sqlite_utils.Database, CrawlResult]) -> None:
    db, _ = day1
    run = db["crawl_runs"].get(1)
    assert (run["mode"], run["status"], run["finish_reason"]) == ("backfill", "ok", "finished")
    assert run["articles_new"] == 12
    assert run["comments_new"] == db["comments"].count
    assert run["count_mismatches"] == 0 and run["errors"] == 0
    assert db["comments"].count_where("last_run_id = 1") == db["comments"].count


def test_second_crawl_and_alias_crawl_insert_nothing(tmp_path: Path, mirror: MirrorServer) -> None:
    db_path = tmp_path / "archive.db"
    assert run_crawl(mirror.base_url, db_path).returncode == 0
    db = sqlite_utils.Database(db_path)
    before = {r["comment_id"]: r["content_hash"] for r in db["comments"].rows}

    again = run_crawl(mirror.base_url, db_path, "mode=backfill")
    assert again.returncode == 0, again.stderr[-2000:]
    run = db["crawl_runs"].get(2)
    assert (run["comments_new"], run["comments_edited"], run["articles_new"]) == (0, 0, 0)

    # The same articles reached through alias URLs: https, the ldv.org.uk host, fragments.
    port = mirror.base_url.rsplit(":", 1)[1]
    aliases = [f"http://ldv.org.uk:{port}/wendy-chamberlain-on-qt-tonight-69228.html#comments",
               f"{mirror.base_url}/watch-the-partys-new-video-54150.html#comment-1",
               f"http://www.libdemvoice.org:{port}/ed-davey-on-question-time-tonight-62123.html"]
    alias = run_crawl(mirror.base_url, db_path, "urls=" + ",".join(aliases),
                      settings={"ARCHIVER_ALIAS_HOSTS": "ldv.org.uk,www.libdemvoice.org"})
    assert alias.returncode == 0, alias.stderr[-2000:]
    run = db["crawl_runs"].get(3)
    assert run["pages_parsed"] == 3
    assert (run["comments_new"], run["articles_new"], run["comments_edited"]) == (0, 0, 0)
    after = {r["comment_id"]: r["content_hash"] for r in db["comments"].rows}
    assert after == before
    assert db["articles"].count == 12


def test_finished_crawl_leaves_a_snapshot_matching_the_archive(
        day1: tuple[sqlite_utils.Database, CrawlResult]) -> None:
    db, _ = day1
    exports = Path(db.conn.execute("PRAGMA database_list").fetchone()[2]).parent / "exports"
    manifest = json.loads((exports / "latest" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["run_id"] == 1
    rows = {entry["table"]: entry["rows"] for entry in manifest["files"].values()}
    assert rows == {"crawl_runs": 1, "articles": 12, "comments": db["comments"].count,
                    "comment_versions": 0, "comment_events": 0,
                    "reply_edges": db["reply_edges"].count}
