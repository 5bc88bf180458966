"""Search ranked by relevance: `_sort=rank` on a searched table, and highlighted snippets."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl, urlencode

from datasette.hookspecs import hookimpl
from datasette.utils import escape_fts
from markupsafe import Markup, escape

DATABASE = "archive"
# Table → the canned query that ranks its search (metadata.yml). Datasette sorts tables by
# their own columns only, so `_sort=rank` is answered by the query, which orders by FTS5's
# bm25 rank and marks the matched words.
RANKED = {"comments": "search_comments", "live_comments": "search_comments",
          "articles": "search_articles"}
# snippet() wraps each match in these private-use characters, which no comment types; the
# cell is escaped first and only they become <mark>.
OPEN, CLOSE = "\ue000", "\ue001"
# Arguments that shape the answer rather than choose rows, carried over to the query.
_KEPT = ("_shape", "_size", "_nl", "_json", "_labels")

Scope = MutableMapping[str, Any]
App = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]],
               Awaitable[None]]


def ranked_target(path: str, query: str) -> tuple[str, str] | None:
    """Where /archive/<table>?_search=…&_sort=rank is answered: the ranked query's path and
    query string, or the table's own without `_sort` when no word was given."""
    prefix = f"/{DATABASE}/"
    if not path.startswith(prefix):
        return None
    table, dot, extension = path[len(prefix):].partition(".")
    args = parse_qsl(query, keep_blank_values=True)
    named = dict(args)
    if table not in RANKED or named.get("_sort") != "rank":
        return None
    if extension not in ("", "json", "csv"):
        return None
    # The table's search escapes words the same way (Datasette's escape_fts).
    words = escape_fts(named.get("_search", ""))
    if not words:
        # Nothing to rank by: the table in its own order rather than an error.
        return path, urlencode([(key, value) for key, value in args if key != "_sort"])
    kept = [(key, value) for key, value in args if key in _KEPT]
    return f"{prefix}{RANKED[table]}{dot}{extension}", urlencode([("q", words), *kept])


@hookimpl  # type: ignore[misc]
def asgi_wrapper() -> Callable[[App], App]:
    def wrap(app: App) -> App:
        async def ranked(scope: Scope, receive: Callable[[], Awaitable[Any]],
                         send: Callable[[Any], Awaitable[None]]) -> None:
            if scope.get("type") == "http":
                query = scope.get("query_string", b"").decode("latin-1")
                target = ranked_target(scope.get("path", ""), query)
                if target is not None:
                    path, new_query = target
                    scope = dict(scope, path=path, raw_path=path.encode(),
                                 query_string=new_query.encode("latin-1"))
            await app(scope, receive, send)
        return ranked
    return wrap


@hookimpl  # type: ignore[misc]
def render_cell(value: Any, column: str, database: str) -> Markup | None:
    if database != DATABASE or column != "snippet" or not isinstance(value, str):
        return None
    marked = str(escape(value)).replace(OPEN, "<mark>").replace(CLOSE, "</mark>")
    return Markup(f'<span class="snippet">{marked}</span>')
