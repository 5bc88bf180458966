"""The reading pages over a real archive: thread reader, charts, ranked search, reading tables."""

from __future__ import annotations

import importlib.util
import json
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from parsel import Selector

from archiver.export.jsonl import write_snapshot
from archiver.export.to_sqlite import build_database
from tests.archive_factory import (
    EDITED_COMMENT,
    REMOVED_COMMENT,
    SCRIPT_ARTICLE,
    SCRIPT_COMMENT,
    SCRIPT_TEXT,
    SEED_ARTICLE,
    SEED_COMMENTS,
    build_archive,
    load_truth,
)
from tests.reading_truth import (
    AMBIGUOUS_CANDIDATES,
    AMBIGUOUS_REPLY,
    HOSTILE_URL,
    HUMAN_TIME,
    HUMAN_TIMES,
    comments_per_month,
    corbyn_comments,
    install_truth_edges,
    make_hostile,
    thread_lengths,
    top_commenters,
    truth_thread,
)
from tests.test_datasette import METADATA, PLUGINS, ROOT, Get, client_for

# The thread of the removed comment (Bexley), in the truth of day 1.
REMOVED_ARTICLE = next(t["post_id"] for t in load_truth("day1")
                       if REMOVED_COMMENT in {c["comment_id"] for c in t["comments"]})



@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = build_archive(tmp_path_factory.mktemp("reading") / "archive.db")
    install_truth_edges(db, SEED_ARTICLE)
    make_hostile(db)
    return db


@pytest.fixture(scope="module")
def get(archive: Path) -> Get:
    return client_for(archive)


def page(get: Get, path: str) -> Selector:
    response = get(path)
    assert response.status_code == 200, (path, response.text[:2000])
    return Selector(text=response.text)


def points(html: Selector, chart: str) -> list[tuple[str, int]]:
    rects = html.css(f'svg[data-chart="{chart}"] rect.point')
    return [(r.attrib["data-label"], int(r.attrib["data-value"])) for r in rects]


# --- the thread reader ----------------------------------------------------------------------

def test_thread_page_shows_the_article_and_its_comments_in_order(get: Get) -> None:
    truth = truth_thread(SEED_ARTICLE)
    html = page(get, f"/-/thread/{SEED_ARTICLE}")
    assert html.css("h1.thread-title::text").get() == truth["title"]
    assert html.css(".article-author::text").get() == truth["author"]
    assert html.css("a.article-link::attr(href)").get() == truth["url"]
    assert html.css("time.article-time::text").get() == "Fri 4 Sep 2015, 08:30 BST"
    comments = html.css("article.thread-comment")
    assert len(comments) == SEED_COMMENTS
    assert [int(c.attrib["data-comment-id"]) for c in comments] == [
        c["comment_id"] for c in truth["comments"]]
    assert [c.css(".author::text").get() for c in comments] == [
        c["author"] for c in truth["comments"]]
    times = [c.css("time.posted::text").get() for c in comments]
    assert all(HUMAN_TIME.match(t or "") for t in times), times
    # The clock shown is the site's own: the truth's local time, minute for minute.
    assert [t[-9:-4] for t in times] == [c["posted_local"][11:16] for c in truth["comments"]]
    shown = {int(c.attrib["data-comment-id"]): c.css("time.posted::text").get()
             for c in comments}
    assert {k: shown[k] for k in HUMAN_TIMES} == HUMAN_TIMES
    first = comments[0].css(".body p::text").get()
    assert first == truth["comments"][0]["body_paragraphs"][0]


def plugin(name: str) -> Any:
    """A module of datasette/plugins/, loaded from its file as Datasette loads it."""
    spec = importlib.util.spec_from_file_location(name, PLUGINS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_times_are_the_sites_clock_with_its_zone_name() -> None:
    reader = plugin("thread_reader")
    london = ZoneInfo("Europe/London")
    assert reader.human_time("2021-12-03T18:05:00Z", None, london) == "Fri 3 Dec 2021, 18:05 GMT"
    assert reader.human_time("2015-10-25T00:30:00Z", None, london) == "Sun 25 Oct 2015, 01:30 BST"
    assert reader.human_time("2015-10-25T01:30:00Z", None, london) == "Sun 25 Oct 2015, 01:30 GMT"
    # No zone known: the offset the page printed.
    assert reader.human_time(None, "2015-09-04T09:45:00+01:00", None) == (
        "Fri 4 Sep 2015, 09:45 UTC+01:00")


def test_inferred_replies_link_to_the_comment_answered(get: Get, archive: Path) -> None:
    html = page(get, f"/-/thread/{SEED_ARTICLE}")
    expected = install_truth_edges(archive, SEED_ARTICLE)
    links: dict[int, list[int]] = {}
    for comment in html.css("article.thread-comment"):
        for link in comment.css(".reply-to"):
            target = int(link.attrib["data-target"])
            links.setdefault(int(comment.attrib["data-comment-id"]), []).append(target)
            assert link.css("a::attr(href)").get() == f"#comment-{target}"
    assert links == {reply: [parent] for reply, parent in expected.items()}
    # A name two earlier comments share is shown as a choice, never as a guess.
    ambiguous = html.css(f'article[data-comment-id="{AMBIGUOUS_REPLY}"] .perhaps a::attr(href)')
    assert ambiguous.getall() == [f"#comment-{c}" for c in AMBIGUOUS_CANDIDATES]


def test_edited_comment_shows_its_mark_and_earlier_text(get: Get) -> None:
    html = page(get, f"/-/thread/{SEED_ARTICLE}")
    edited = html.css(f'article[data-comment-id="{EDITED_COMMENT}"]')
    assert edited.css(".mark-edited")
    earlier = " ".join(edited.css("details.versions .version p::text").getall())
    assert "going onion the Labour Party" in earlier
    current = " ".join(edited.css(".body p::text").getall())
    assert "going on in the Labour Party" in current
    assert len(html.css(".mark-edited")) == 1


def test_removed_comment_is_marked_and_kept_in_place(get: Get) -> None:
    html = page(get, f"/-/thread/{REMOVED_ARTICLE}")
    removed = html.css(f'article[data-comment-id="{REMOVED_COMMENT}"]')
    assert removed.css(".mark-removed")
    assert "doing well at Bexley" in removed.css(".body p::text").get()
    assert len(html.css(".mark-removed")) == 1


def test_every_article_row_links_to_its_thread(get: Get) -> None:
    html = page(get, "/archive/articles?_size=max")
    titles = html.css("td.col-title a")
    ids = html.css("td.col-article_id")
    assert len(titles) == len(ids) == len(load_truth("day2"))
    for title in titles:
        assert title.attrib["href"].startswith("/-/thread/")
    by_title = {t.css("::text").get(): t.attrib["href"] for t in titles}
    seed = truth_thread(SEED_ARTICLE)
    assert by_title[seed["title"]] == f"/-/thread/{SEED_ARTICLE}"
    row = page(get, f"/archive/articles/{SEED_ARTICLE}")
    assert row.css("td.col-title a::attr(href)").get() == f"/-/thread/{SEED_ARTICLE}"


def test_threads_are_found_by_words_in_the_title(get: Get) -> None:
    html = page(get, "/-/threads?q=leadership+management")
    hrefs = html.css("table.thread-list tbody a::attr(href)").getall()
    assert hrefs == [f"/-/thread/{SEED_ARTICLE}"]
    # Words FTS would read as syntax are only words.
    assert page(get, '/-/threads?q=%22Labour+OR+(').css("table.thread-list")
    assert not page(get, "/-/threads?q=%22%22").css("table.thread-list tbody tr")
    everything = page(get, "/-/threads").css("table.thread-list tbody tr")
    assert len(everything) == len(load_truth("day2"))


# --- charts ---------------------------------------------------------------------------------

def test_comments_per_month_counts_live_comments(get: Get) -> None:
    html = page(get, "/-/charts")
    found = points(html, "per-month")
    assert {month: n for month, n in found if n} == comments_per_month()
    # A timeline: every month from the first to the last, the quiet ones at zero.
    months = [label for label, _ in found]
    assert months[0] == "2007-11" and months[-1] == "2022-08"
    assert len(months) == (2022 - 2007) * 12 + (8 - 11) + 1 == len(set(months))
    assert months == sorted(months)


def test_top_commenters_leave_removed_comments_out(get: Get) -> None:
    found = points(page(get, "/-/charts"), "top-commenters")
    assert found == top_commenters(20)


def test_thread_length_distribution(get: Get) -> None:
    found = dict(points(page(get, "/-/charts"), "thread-lengths"))
    lengths = thread_lengths().values()
    bins = {"0": 0, "1-4": 1, "5-9": 5, "10-19": 10, "20-49": 20, "50-99": 50, "100-199": 100,
            "200+": 200}
    uppers = [*list(bins.values())[1:], 10**9]
    assert found == {label: sum(1 for n in lengths if low <= n < high)
                     for (label, low), high in zip(bins.items(), uppers, strict=True)}
    assert found["20-49"] == 1  # the seed thread, 38 comments


def test_one_commenters_activity_over_time(get: Get) -> None:
    html = page(get, "/-/charts/commenter?author=John+Tilley")
    truth = truth_thread(SEED_ARTICLE)
    expected = sum(1 for c in truth["comments"] if c["author"] == "John Tilley")
    assert points(html, "commenter-months") == [("2015-09", expected)]
    assert points(html, "commenter-threads") == [(truth["title"], expected)]


def test_reply_graph_draws_each_reply_to_its_parent(get: Get, archive: Path) -> None:
    expected = install_truth_edges(archive, SEED_ARTICLE)
    html = page(get, f"/-/charts/replies/{SEED_ARTICLE}")
    nodes = html.css('svg[data-chart="replies"] circle.node::attr(data-comment-id)').getall()
    assert [int(n) for n in nodes] == [c["comment_id"] for c in truth_thread(SEED_ARTICLE)[
        "comments"]]
    edges = {(int(e.attrib["data-from"]), int(e.attrib["data-to"]))
             for e in html.css('svg[data-chart="replies"] path.edge')}
    assert edges == set(expected.items())


# --- ranked search and the tables -----------------------------------------------------------

def test_sort_by_rank_answers_ranked_and_highlighted(get: Get) -> None:
    response = get("/archive/comments.json?_search=Corbyn&_sort=rank&_shape=array&_size=max")
    assert response.status_code == 200, response.text
    found = response.json()
    assert {r["comment_id"] for r in found} == corbyn_comments()
    ranks = [r["rank"] for r in found]
    assert ranks == sorted(ranks)
    assert all("\ue000Corbyn\ue001" in r["snippet"] or "\ue000corbyn\ue001" in r["snippet"]
               for r in found)
    html = page(get, "/archive/comments?_search=Corbyn&_sort=rank")
    snippets = html.css("td.col-snippet")
    assert len(snippets) == len(found)
    assert all(s.css("mark::text").get().lower() == "corbyn" for s in snippets)
    ids = [int(i) for i in html.css("td.col-comment_id a::text, td.col-comment_id::text")
           .getall() if i.strip().isdigit()]
    assert ids == [r["comment_id"] for r in found]


def test_sort_by_rank_without_words_is_the_tables_own_answer(get: Get) -> None:
    for path in ("/archive/comments?_search=%22%22&_sort=rank", "/archive/comments?_sort=rank",
                 "/archive/comments.json?_sort=rank&_size=3"):
        own = get(path.replace("_sort=rank", "_sort=comment_id"))
        assert get(path).status_code == own.status_code, path
    assert get("/archive/comments?_sort=rank").status_code == 200
    articles = get("/archive/articles.json?_search=iron+sharpens&_sort=rank&_shape=array").json()
    assert [a["article_id"] for a in articles] == [SEED_ARTICLE]
    assert "\ue000" in articles[0]["snippet"]


def test_search_of_the_table_offers_the_ranked_order(get: Get) -> None:
    html = page(get, "/archive/comments?_search=Corbyn")
    link = html.css("p.ranked-search a::attr(href)").get()
    assert "_sort=rank" in link and "_search=Corbyn" in link


def test_every_canned_query_answers(get: Get) -> None:
    metadata = yaml.safe_load(METADATA.read_text(encoding="utf-8"))
    arguments = {"article_id": str(SEED_ARTICLE), "author": "John Tilley", "since": "2024-05-02",
                 "q": "Corbyn", "category": "Op-eds"}
    for name, query in metadata["databases"]["archive"]["queries"].items():
        needed = [a for a in arguments if f":{a}" in query["sql"]]
        args = "&".join(f"{a}={arguments[a].replace(' ', '+')}" for a in needed)
        for suffix in ("", ".json"):
            response = get(f"/archive/{name}{suffix}?{args}")
            assert response.status_code == 200, (name, response.text[:500])


def test_who_answered_whom_lists_the_edges(get: Get, archive: Path) -> None:
    expected = install_truth_edges(archive, SEED_ARTICLE)
    found = get(f"/archive/who_answered_whom.json?article_id={SEED_ARTICLE}&_shape=array"
                "&_size=max").json()
    assert {r["comment_id"]: r["answers_comment_id"] for r in found
            if r["answers_comment_id"]} == expected
    (ambiguous,) = [r for r in found if r["answers_comment_id"] is None]
    assert json.loads(ambiguous["candidates"]) == list(AMBIGUOUS_CANDIDATES)


def test_comments_table_leaves_body_html_out_of_the_view(get: Get) -> None:
    html = page(get, "/archive/comments")
    assert html.css("td.col-body") and not html.css("td.col-body_html")
    assert not html.css("th.col-body_html")
    row = get("/archive/comments.json?_shape=array&_size=1").json()[0]
    assert "body_html" in row


def test_live_comments_leave_the_removed_one_out(get: Get) -> None:
    found = get("/archive/live_comments.json?_shape=array&_size=max&_col=comment_id").json()
    ids = {r["comment_id"] for r in found}
    assert REMOVED_COMMENT not in ids
    assert len(ids) == sum(comments_per_month().values())
    facets = get("/archive/live_comments.json?_facet=author").json()["facet_results"]
    authors = {r["value"]: r["count"] for r in facets["author"]["results"]}
    assert authors["John Tilley"] == dict(top_commenters(100))["John Tilley"]


def test_categories_and_tags_are_tables_that_facet(get: Get, archive: Path) -> None:
    expected_categories: dict[str, int] = {}
    for truth in load_truth("day2"):
        for category in truth["category"]:
            expected_categories[category] = expected_categories.get(category, 0) + 1
    facets = get("/archive/article_categories.json?_facet=category&_facet_size=max").json()
    found = {r["value"]: r["count"] for r in facets["facet_results"]["category"]["results"]}
    assert found == expected_categories
    tags = get(f"/archive/article_tags.json?article_id={SEED_ARTICLE}&_shape=array").json()
    assert sorted(t["tag"] for t in tags) == sorted(truth_thread(SEED_ARTICLE)["tags"])
    # Kept in step with the JSON column by the archive itself.
    with closing(sqlite3.connect(archive)) as conn, conn:
        before = conn.execute("SELECT tags FROM articles WHERE article_id = ?",
                              [SEED_ARTICLE]).fetchone()[0]
        conn.execute("UPDATE articles SET tags = ? WHERE article_id = ?",
                     ['["a", "b", "a"]', SEED_ARTICLE])
        changed = conn.execute("SELECT tag FROM article_tags WHERE article_id = ? ORDER BY tag",
                               [SEED_ARTICLE]).fetchall()
        conn.execute("UPDATE articles SET tags = ? WHERE article_id = ?", [before, SEED_ARTICLE])
    assert changed == [("a",), ("b",)]


def test_snapshot_restores_the_ledger_events_and_reading_tables(archive: Path,
                                                                tmp_path: Path) -> None:
    snapshot = write_snapshot(str(archive), str(tmp_path / "exports"), run_id=None, keep=1)
    db = build_database(snapshot, tmp_path / "site" / "archive.db")
    with closing(sqlite3.connect(archive)) as before, closing(sqlite3.connect(db)) as after:
        for table, pk in (("crawl_runs", "run_id"), ("comment_events", "event_id"),
                          ("reply_edges", "edge_id"),
                          ("article_categories", "article_id, category"),
                          ("article_tags", "article_id, tag")):
            rows = after.execute(f"SELECT * FROM {table} ORDER BY {pk}").fetchall()
            assert rows == before.execute(f"SELECT * FROM {table} ORDER BY {pk}").fetchall()
        # Two runs (day 1, day 2), one edit and one removal noticed on day 2.
        assert after.execute("SELECT count(*) FROM crawl_runs").fetchone()[0] == 2
        events = after.execute("SELECT comment_id, event FROM comment_events ORDER BY 1")
        assert sorted(events.fetchall()) == [(EDITED_COMMENT, "edited"),
                                             (REMOVED_COMMENT, "removed")]
        # Every first_run_id points into the restored ledger.
        assert after.execute("SELECT count(*) FROM comments WHERE first_run_id NOT IN "
                             "(SELECT run_id FROM crawl_runs)").fetchone()[0] == 0


# --- hostile content ------------------------------------------------------------------------

def test_hostile_comment_is_only_text_on_the_new_pages(get: Get) -> None:
    for path in (f"/-/thread/{SCRIPT_ARTICLE}", "/-/charts",
                 "/-/charts/commenter?author=Mallory", f"/-/charts/replies/{SCRIPT_ARTICLE}",
                 "/archive/comments?_search=alert&_sort=rank", "/-/threads"):
        response = get(path)
        assert response.status_code == 200, path
        assert SCRIPT_TEXT not in response.text, path
        assert "javascript:" not in response.text.lower(), path
    html = page(get, f"/-/thread/{SCRIPT_ARTICLE}")
    hostile = html.css(f'article[data-comment-id="{SCRIPT_COMMENT}"]')
    assert SCRIPT_TEXT in hostile.css(".body p::text").get()
    assert not hostile.css("a.author")  # a javascript: website is not a link
    assert hostile.css("span.author::text").get() == "Mallory"
    with_url = get(f"/archive/comments/{SCRIPT_COMMENT}.json?_shape=array").json()[0]
    assert with_url["author_url"] == HOSTILE_URL


# --- the README's questions -----------------------------------------------------------------

def readme_queries() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## For analysts", 1)[1].split("\n## ", 1)[0]
    return [block.split("```", 1)[0] for block in section.split("```sql\n")[1:]]


def test_the_readmes_example_questions_answer_over_the_archive(archive: Path) -> None:
    queries = readme_queries()
    assert len(queries) >= 5
    with closing(sqlite3.connect(archive)) as conn:
        answers = [conn.execute(sql).fetchall() for sql in queries]
    assert all(answers), [sql for sql, rows in zip(queries, answers, strict=True) if not rows]
    # Checked against the truth: the longest thread is the seed's, 38 comments.
    seed = truth_thread(SEED_ARTICLE)
    (longest,) = [rows[0] for sql, rows in zip(queries, answers, strict=True)
                  if "people" in sql]
    assert longest[:2] == (seed["title"], SEED_COMMENTS)
    assert longest[2] == len({c["author"] for c in seed["comments"]})
