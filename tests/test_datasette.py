"""Datasette over the archive: metadata coverage, canned queries, search, facets, escaping."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from datasette.app import Datasette

from archiver.export.jsonl import write_snapshot
from archiver.export.to_sqlite import build_database
from tests.archive_factory import (
    EDITED_COMMENT,
    REMOVED_COMMENT,
    SCRIPT_COMMENT,
    SCRIPT_TEXT,
    SEED_ARTICLE,
    build_archive,
    load_truth,
)

ROOT = Path(__file__).resolve().parent.parent
METADATA = ROOT / "datasette" / "metadata.yml"
PLUGINS = ROOT / "datasette" / "plugins"
TEMPLATES = ROOT / "datasette" / "templates"

Get = Callable[[str], Any]


def load_metadata() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(METADATA.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_archive(tmp_path_factory.mktemp("live") / "archive.db")


def client_for(db: Path) -> Get:
    """A synchronous GET against an in-process Datasette configured as the README says."""
    datasette = Datasette(files=[str(db)], metadata=load_metadata(), plugins_dir=str(PLUGINS),
                          template_dir=str(TEMPLATES))

    def get(path: str) -> Any:
        async def fetch() -> Any:
            await datasette.invoke_startup()
            return await datasette.client.get(path)

        return asyncio.run(fetch())

    return get


@pytest.fixture(scope="module")
def get(archive: Path) -> Get:
    return client_for(archive)


def rows(get: Get, path: str) -> list[dict[str, Any]]:
    response = get(path + ("&" if "?" in path else "?") + "_shape=array&_size=max")
    assert response.status_code == 200, response.text
    result: list[dict[str, Any]] = response.json()
    return result


def seed_comment_ids() -> list[int]:
    seed = next(t for t in load_truth("day2") if t["post_id"] == SEED_ARTICLE)
    return [c["comment_id"] for c in seed["comments"]]


def content_tables(db: Path) -> dict[str, list[str]]:
    conn = sqlite3.connect(db)
    try:
        names = [row[0] for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') ORDER BY name")]
        fts = [n for n in names if n.endswith("_fts")]
        # FTS tables and their shadow tables are Datasette's business, hidden automatically.
        keep = [n for n in names if not any(n == f or n.startswith(f + "_") for f in fts)]
        return {n: [row[1] for row in conn.execute(f"PRAGMA table_info([{n}])")] for n in keep}
    finally:
        conn.close()


def test_metadata_describes_every_table_and_column_and_nothing_else(archive: Path) -> None:
    metadata = load_metadata()
    for key in ("title", "description", "source", "source_url", "license"):
        assert metadata[key]
    described = metadata["databases"]["archive"]["tables"]
    actual = content_tables(archive)
    assert set(described) == set(actual)
    for table, columns in actual.items():
        assert described[table]["description"], table
        assert list(described[table]["columns"]) == columns, table
        assert all(described[table]["columns"].values()), table


def test_canned_queries_cover_the_issue() -> None:
    queries = load_metadata()["databases"]["archive"]["queries"]
    assert set(queries) == {"thread", "comments_by_author", "new_since", "edited_comments",
                            "removed_comments", "active_commenters_by_month",
                            "search_comments", "search_articles", "top_commenters",
                            "articles_by_category", "who_answered_whom"}
    assert all(q["title"] and q["description"] for q in queries.values())


def test_thread_lists_the_seed_thread_in_order(get: Get) -> None:
    found = rows(get, f"/archive/thread.json?article_id={SEED_ARTICLE}")
    assert [r["comment_id"] for r in found] == seed_comment_ids()
    assert [r["position"] for r in found] == list(range(1, 39))


def test_comments_by_author(get: Get) -> None:
    found = rows(get, "/archive/comments_by_author.json?author=John+Tilley")
    expected = sorted((c["posted_local"], c["comment_id"]) for t in load_truth("day2")
                      for c in t["comments"] if c["author"] == "John Tilley")
    assert [r["comment_id"] for r in found] == [comment_id for _, comment_id in expected]
    assert {r["article"] for r in found} == {
        "A warning from the Labour party: The difference between leadership and management"}


def test_new_since_finds_what_day_two_added(get: Get) -> None:
    found = rows(get, "/archive/new_since.json?since=2024-05-02")
    # Two comments approved late (old ids and times) and the new article's one comment.
    assert sorted(r["comment_id"] for r in found) == [392231, 444891, 578987]


def test_edited_comments_show_the_earlier_and_current_text(get: Get) -> None:
    (found,) = rows(get, "/archive/edited_comments.json")
    assert found["comment_id"] == EDITED_COMMENT
    assert "going onion the Labour Party" in found["earlier_body"]
    assert "going on in the Labour Party" in found["current_body"]


def test_removed_comments(get: Get) -> None:
    (found,) = rows(get, "/archive/removed_comments.json")
    assert found["comment_id"] == REMOVED_COMMENT
    assert found["body"] == "Looks as if Labour are doing well at Bexley"


def test_most_active_commenters_per_month(get: Get, archive: Path) -> None:
    found = rows(get, "/archive/active_commenters_by_month.json")
    months = [r["month"] for r in found]
    assert months == sorted(months, reverse=True)
    september = [r for r in found if r["month"] == "2015-09"]
    conn = sqlite3.connect(archive)
    try:
        top = conn.execute("SELECT count(*) FROM comments WHERE posted_at LIKE '2015-09%' "
                           "AND removed_at IS NULL "
                           "GROUP BY author ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
    finally:
        conn.close()
    assert september[0]["place"] == 1
    assert september[0]["comments"] == top
    assert all(r["place"] <= 10 for r in found)


def test_search_finds_comment_and_article_text(get: Get) -> None:
    found = rows(get, "/archive/comments.json?_search=Bexley")
    assert [r["comment_id"] for r in found] == [REMOVED_COMMENT]
    articles = rows(get, "/archive/articles.json?_search=iron+sharpens")
    assert [a["article_id"] for a in articles] == [SEED_ARTICLE]


def test_search_follows_edits_through_the_triggers(get: Get) -> None:
    assert rows(get, "/archive/comments.json?_search=onion") == []
    found = rows(get, '/archive/comments.json?_search="going on in"')
    assert EDITED_COMMENT in [r["comment_id"] for r in found]


def test_default_sort_and_facets(get: Get, archive: Path) -> None:
    data = get("/archive/comments.json?_size=10&_shape=objects").json()
    times = [row["posted_at_utc"] for row in data["rows"]]
    assert times == sorted(times, reverse=True)
    facets = data["facet_results"]
    assert {f["name"]: f["type"] for f in facets.values()} == {
        "posted_at": "month", "article_id": "column"}
    conn = sqlite3.connect(archive)
    try:
        by_month = dict(conn.execute(
            "SELECT substr(posted_at, 1, 7), count(*) FROM comments GROUP BY 1").fetchall())
    finally:
        conn.close()
    # Five months on the first screen, newest first; `_facet_size=max` shows every month.
    assert {r["value"]: r["count"] for r in facets["posted_at"]["results"]} == dict(
        sorted(by_month.items(), reverse=True)[:5])
    every = get("/archive/comments.json?_size=0&_facet_size=max").json()["facet_results"]
    assert {r["value"]: r["count"] for r in every["posted_at"]["results"]} == by_month
    articles = get("/archive/articles.json").json()["facet_results"]
    assert {f["name"]: f["type"] for f in articles.values()} == {
        "categories": "array", "author": "column", "published_at": "month"}
    assert {r["value"] for r in articles["categories"]["results"]} >= {"Op-eds", "News"}


def test_month_facet_value_filters_to_that_month(get: Get) -> None:
    found = rows(get, "/archive/comments.json?posted_at__startswith=2021-12")
    assert {r["article_id"] for r in found} == {69228}


def test_script_in_a_comment_is_escaped_in_html(get: Get) -> None:
    page = get(f"/archive/comments/{SCRIPT_COMMENT}").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert SCRIPT_TEXT not in page


def test_a_snapshot_database_serves_with_the_same_metadata(archive: Path, tmp_path: Path) -> None:
    snapshot = write_snapshot(str(archive), str(tmp_path / "exports"), run_id=None, keep=1)
    db = build_database(snapshot, tmp_path / "site" / "archive.db")
    get = client_for(db)
    found = rows(get, f"/archive/thread.json?article_id={SEED_ARTICLE}")
    assert [r["comment_id"] for r in found] == seed_comment_ids()
    assert [r["comment_id"] for r in rows(get, "/archive/comments.json?_search=Bexley")] == [
        REMOVED_COMMENT]
