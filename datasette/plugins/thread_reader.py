"""A thread as the site shows it: /-/thread/<article_id>, and /-/threads to find one by title."""

from __future__ import annotations

import json
from datetime import datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from datasette.database import Database
from datasette.hookspecs import hookimpl
from datasette.utils import escape_fts
from datasette.utils.asgi import NotFound, Request, Response
from markupsafe import Markup, escape

PLUGIN = "archive-reader"
DATABASE = "archive"
# Month and day names spelt out, so the page never depends on the server's locale.
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_SAFE_SCHEMES = ("http://", "https://")


def human_time(utc: str | None, local: str | None, zone: tzinfo | None) -> str | None:
    """'Fri 4 Sep 2015, 09:45 BST': the instant in the site's zone, else at its stored offset."""
    stamp = utc or local
    if not stamp:
        return None
    at = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    if zone is not None:
        at = at.astimezone(zone)
    elif local:
        at = datetime.fromisoformat(local)
    return (f"{_DAYS[at.weekday()]} {at.day} {_MONTHS[at.month - 1]} {at.year}, "
            f"{at:%H:%M} {at.tzname()}")


def safe_link(url: str | None) -> str | None:
    """A link only for http(s): a javascript: or data: URL a page carried stays text."""
    if url and url.strip().lower().startswith(_SAFE_SCHEMES):
        return url.strip()
    return None


def paragraphs(body: str | None) -> list[list[str]]:
    """Body text as the store keeps it (paragraphs apart by a blank line) → lines per paragraph."""
    return [p.split("\n") for p in (body or "").split("\n\n") if p.strip()]


def site_zone(configured: str | None, declared: str | None) -> tzinfo | None:
    """The zone the site's REST index named, else the one configured for this archive."""
    for name in (declared, configured):
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return None


def _database(datasette: Any) -> Database:
    try:
        return datasette.get_database(DATABASE)
    except KeyError:
        raise NotFound(f"no database called {DATABASE}") from None


async def _rows(db: Database, sql: str, params: Any = ()) -> list[dict[str, Any]]:
    return [dict(row) for row in (await db.execute(sql, params)).rows]


async def _has_table(db: Database, name: str) -> bool:
    return bool(await db.table_exists(name))


async def _reply_edges(db: Database, article_id: int) -> list[dict[str, Any]]:
    """The thread's inferred edges, rewritten with it on every read (none in an older archive)."""
    if not await _has_table(db, "reply_edges"):
        return []
    return await _rows(db, """
        select comment_id, parent_comment_id, kind, confidence, ambiguous, candidates, evidence
        from reply_edges where article_id = ? order by comment_id, edge_id""", [article_id])


def _depths(comments: list[dict[str, Any]]) -> dict[int, int]:
    """Nesting depth from WordPress's own parent ids (a flat thread is all zeros)."""
    parent = {c["comment_id"]: c["parent_id"] for c in comments}
    depths: dict[int, int] = {}
    for comment_id in parent:
        depth, seen, node = 0, {comment_id}, parent[comment_id]
        while node in parent and node not in seen and depth < 8:
            seen.add(node)
            depth += 1
            node = parent[node]
        depths[comment_id] = depth
    return depths


async def _thread_context(datasette: Any, article_id: int) -> dict[str, Any]:
    db = _database(datasette)
    articles = await _rows(db, "select * from articles where article_id = ?", [article_id])
    if not articles:
        raise NotFound(f"no article {article_id} in the archive")
    article = articles[0]
    declared = await _rows(
        db, "select site_timezone from crawl_runs where run_id = ? and site_timezone is not null",
        [article["last_run_id"]])
    config = datasette.plugin_config(PLUGIN) or {}
    zone = site_zone(config.get("timezone"), declared[0]["site_timezone"] if declared else None)
    comments = await _rows(db, """
        select comment_id, position, author, author_url, posted_at, posted_at_utc, posted_raw,
          body, edit_count, edited_at, removed_at, parent_id, is_post_author
        from comments where article_id = ? order by position, comment_id""", [article_id])
    versions = await _rows(db, """
        select v.comment_id, v.version_id, v.body, v.first_seen_at, v.replaced_at
        from comment_versions v join comments c on c.comment_id = v.comment_id
        where c.article_id = ? order by v.comment_id, v.version_id""", [article_id])
    edges = await _reply_edges(db, article_id)
    by_id = {c["comment_id"]: c for c in comments}
    depths = _depths(comments)
    for comment in comments:
        comment["time"] = human_time(comment["posted_at_utc"], comment["posted_at"], zone)
        comment["link"] = safe_link(comment["author_url"])
        comment["paragraphs"] = paragraphs(comment["body"])
        comment["depth"] = depths[comment["comment_id"]]
        comment["versions"] = []
        comment["replies_to"] = []
        comment["perhaps"] = []
        if comment["parent_id"] in by_id:
            comment["replies_to"].append({"target": by_id[comment["parent_id"]],
                                          "kind": "wordpress", "confidence": None})
    for version in versions:
        version["paragraphs"] = paragraphs(version["body"])
        by_id[version["comment_id"]]["versions"].append(version)
    for edge in edges:
        reply = by_id.get(edge["comment_id"])
        if reply is None:
            continue
        if edge["parent_comment_id"] in by_id and not edge["ambiguous"]:
            if edge["parent_comment_id"] != reply["parent_id"]:
                reply["replies_to"].append({"target": by_id[edge["parent_comment_id"]],
                                            "kind": edge["kind"],
                                            "confidence": edge["confidence"]})
        else:
            candidates = json.loads(edge["candidates"] or "[]")
            reply["perhaps"].append({
                "kind": edge["kind"],
                "targets": [by_id[c] for c in candidates if c in by_id]})
    article["time"] = human_time(article["published_at_utc"], article["published_at"], zone)
    article["link"] = safe_link(article["url"])
    article["category_list"] = json.loads(article["categories"] or "[]")
    article["tag_list"] = json.loads(article["tags"] or "[]")
    return {"article": article, "comments": comments, "database": DATABASE,
            "live": sum(1 for c in comments if c["removed_at"] is None),
            "edges": len(edges)}


async def thread_page(datasette: Any, request: Request) -> Response:
    article_id = int(request.url_vars["article_id"])
    context = await _thread_context(datasette, article_id)
    return Response.html(await datasette.render_template("thread.html", context,
                                                         request=request))


async def threads_page(datasette: Any, request: Request) -> Response:
    """Articles whose title matches the words given (full-text search), else the newest."""
    db = _database(datasette)
    words = (request.args.get("q") or "").strip()
    terms = escape_fts(words)
    columns = """a.article_id, a.title, a.author, a.published_at, a.published_at_utc,
        (select count(*) from comments c where c.article_id = a.article_id
           and c.removed_at is null) as comments"""
    if words and not terms:
        found = []  # only quotes: no word to look for
    elif words:
        found = await _rows(db, f"""
            select {columns} from articles_fts f join articles a on a.rowid = f.rowid
            where articles_fts match :q order by rank limit 100""",
                            {"q": f"title : ({terms})"})
    else:
        found = await _rows(db, f"select {columns} from articles a "
                                "order by a.published_at_utc desc limit 100")
    zone = site_zone((datasette.plugin_config(PLUGIN) or {}).get("timezone"), None)
    for article in found:
        article["time"] = human_time(article["published_at_utc"], article["published_at"], zone)
    return Response.html(await datasette.render_template(
        "threads.html", {"q": words, "articles": found, "database": DATABASE},
        request=request))


@hookimpl  # type: ignore[misc]
def register_routes() -> list[tuple[str, Any]]:
    return [(r"^/-/thread/(?P<article_id>[0-9]{1,18})$", thread_page),
            (r"^/-/threads$", threads_page)]


@hookimpl  # type: ignore[misc]
def render_cell(value: Any, column: str, table: str | None, database: str,
                row: Any) -> Markup | None:
    # Every article row links to its thread, in the table and on the row's own page.
    if database != DATABASE or table != "articles" or column != "title":
        return None
    return Markup('<a href="/-/thread/{}">{}</a>').format(int(row["article_id"]),
                                                          escape(value or "(untitled)"))


@hookimpl  # type: ignore[misc]
def menu_links() -> list[dict[str, str]]:
    return [{"href": "/-/threads", "label": "Read a thread"},
            {"href": "/-/charts", "label": "Charts"}]
