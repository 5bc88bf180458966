"""The generic `wordpress` spider on the bundled mirror: LDV's archive, without LDV's profile."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlite_utils

from tests.conftest import DAY1, CrawlResult, run_crawl
from tests.test_crawl import assert_articles_match_truth, assert_threads_match_truth


@pytest.fixture(scope="module")
def generic(tmp_path_factory: pytest.TempPathFactory) -> tuple[sqlite_utils.Database, CrawlResult]:
    from testing.mirror import serve

    folder = tmp_path_factory.mktemp("generic")
    with serve(DAY1) as server:
        # Any base URL, and the site's zone: the two things the generic profile cannot know.
        result = run_crawl(server.base_url, folder / "archive.db", spider="wordpress",
                           settings={"ARCHIVER_TIMEZONE": "Europe/London"})
    db = sqlite_utils.Database(folder / "archive.db")
    db.base_url = server.base_url  # type: ignore[attr-defined]
    return db, result


def test_the_generic_spider_archives_every_article_and_thread_as_the_truth_has_them(
        generic: tuple[sqlite_utils.Database, CrawlResult]) -> None:
    db, result = generic
    assert result.returncode == 0, result.stderr[-3000:]
    assert_articles_match_truth(db)
    assert_threads_match_truth(db)
    run = db["crawl_runs"].get(1)
    assert (run["mode"], run["status"], run["count_mismatches"]) == ("backfill", "ok", 0)


def test_only_the_ldv_byline_text_needs_the_ldv_profile(
        generic: tuple[sqlite_utils.Database, CrawlResult], tmp_path: Path) -> None:
    """Side by side with `ldv` on the same mirror: every stored value agrees except
    `published_raw`, which only LDV's byline rule reads (the time itself agrees)."""
    from testing.mirror import serve

    db, _ = generic
    with serve(DAY1) as server:
        assert run_crawl(server.base_url, tmp_path / "ldv.db").returncode == 0
    ldv = sqlite_utils.Database(tmp_path / "ldv.db")
    # The archiver's own clock, and the URL's host (each crawl had its own mirror port; the
    # paths are checked against the truth above).
    unrelated = {"first_seen_at", "last_seen_at", "last_verified_at", "url"}
    for table, key in (("articles", "article_id"), ("comments", "comment_id")):
        ours = {row[key]: row for row in db[table].rows}
        theirs = {row[key]: row for row in ldv[table].rows}
        assert ours.keys() == theirs.keys()
        differing = {column for k in ours for column in ours[k]
                     if column not in unrelated and ours[k][column] != theirs[k][column]}
        assert differing == ({"published_raw"} if table == "articles" else set()), table
