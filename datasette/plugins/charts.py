"""Charts drawn as SVG on the server: /-/charts, /-/charts/commenter, /-/charts/replies/<id>.

No script runs in the browser: each bar and node is an SVG element carrying its label and value
(`data-label`, `data-value`), escaped like any other text, so the charts work with scripts off
and a hostile name is only ever text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from datasette.database import Database
from datasette.hookspecs import hookimpl
from datasette.utils.asgi import NotFound, Request, Response
from markupsafe import Markup, escape

DATABASE = "archive"
# Thread lengths counted in these bins (live comments): lower bounds, the last open-ended.
LENGTH_BINS = (0, 1, 5, 10, 20, 50, 100, 200)
TOP_COMMENTERS = 20
_BAR = "#4c78a8"
_REPLY_COLOURS = {"wordpress": "#4c78a8", "at_mention": "#e45756", "salutation": "#f58518",
                  "pasted_header": "#54a24b", "quote": "#b279a2"}


def bin_label(index: int) -> str:
    low = LENGTH_BINS[index]
    if index + 1 == len(LENGTH_BINS):
        return f"{low}+"
    high = LENGTH_BINS[index + 1] - 1
    return str(low) if low == high else f"{low}-{high}"


def length_bins(lengths: Sequence[int]) -> list[tuple[str, int]]:
    """How many threads have each number of comments, in LENGTH_BINS."""
    counts = [0] * len(LENGTH_BINS)
    for length in lengths:
        index = max(i for i, low in enumerate(LENGTH_BINS) if length >= low)
        counts[index] += 1
    return [(bin_label(i), n) for i, n in enumerate(counts)]


def every_month(points: Sequence[tuple[str, int]]) -> list[tuple[str, int]]:
    """Months from the first to the last, quiet ones at zero, so the bars are a timeline."""
    if not points:
        return []
    counts = dict(points)
    year, month = (int(part) for part in min(counts).split("-"))
    last = max(counts)
    filled = []
    while (label := f"{year:04d}-{month:02d}") <= last:
        filled.append((label, counts.get(label, 0)))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return filled


def column_chart(chart: str, points: Sequence[tuple[str, int]], *, width: int = 1100,
                 height: int = 260) -> Markup:
    """Vertical bars, one per point, labelled under the axis (every nth when crowded)."""
    if not points:
        return Markup('<p class="no-data">No comments to draw.</p>')
    top = max(value for _, value in points) or 1
    left, bottom, inner = 48, 40, height - 60
    step = (width - left - 10) / len(points)
    every = max(1, round(len(points) / 24))
    parts = [f'<svg class="chart" data-chart="{escape(chart)}" role="img" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
             f'<text x="4" y="14" font-size="11">{top}</text>',
             f'<line x1="{left}" y1="{height - bottom}" x2="{width}" y2="{height - bottom}" '
             'stroke="#999"/>']
    for i, (label, value) in enumerate(points):
        bar = inner * value / top
        x = left + i * step
        parts.append(
            f'<rect class="point" data-label="{escape(label)}" data-value="{value}" '
            f'x="{x + 1:.1f}" y="{height - bottom - bar:.1f}" width="{max(step - 2, 1):.1f}" '
            f'height="{bar:.1f}" fill="{_BAR}"><title>{escape(label)}: {value}</title></rect>')
        if i % every == 0:
            parts.append(f'<text x="{x + step / 2:.1f}" y="{height - bottom + 14}" '
                         f'font-size="10" text-anchor="middle">{escape(label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def bar_chart(chart: str, points: Sequence[tuple[str, int]], *, width: int = 900) -> Markup:
    """Horizontal bars, largest first as given, with the label and value beside each."""
    if not points:
        return Markup('<p class="no-data">No comments to draw.</p>')
    top = max(value for _, value in points) or 1
    left, row = 200, 20
    height = row * len(points) + 10
    parts = [f'<svg class="chart" data-chart="{escape(chart)}" role="img" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">']
    for i, (label, value) in enumerate(points):
        bar = (width - left - 60) * value / top
        y = 5 + i * row
        parts.append(
            f'<text x="{left - 6}" y="{y + 14}" font-size="12" text-anchor="end">'
            f'{escape(label)}</text>'
            f'<rect class="point" data-label="{escape(label)}" data-value="{value}" x="{left}" '
            f'y="{y + 2}" width="{bar:.1f}" height="{row - 4}" fill="{_BAR}">'
            f'<title>{escape(label)}: {value}</title></rect>'
            f'<text x="{left + bar + 4:.1f}" y="{y + 14}" font-size="11">{value}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def reply_graph(comments: Sequence[dict[str, Any]], edges: Sequence[dict[str, Any]], *,
                width: int = 1200) -> Markup:
    """An arc diagram: comments in thread order on a line, an arc from each reply to its parent."""
    if not comments:
        return Markup('<p class="no-data">No comments to draw.</p>')
    step = (width - 40) / max(len(comments), 1)
    x = {c["comment_id"]: 20 + i * step + step / 2 for i, c in enumerate(comments)}
    spans = [abs(x[e["comment_id"]] - x[e["parent"]]) for e in edges]
    base = min(width / 2, max(spans, default=0) / 2) + 20
    height = int(base + 60)
    parts = [f'<svg class="chart" data-chart="replies" role="img" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">']
    for edge in edges:
        x1, x2 = x[edge["parent"]], x[edge["comment_id"]]
        radius = abs(x2 - x1) / 2
        colour = _REPLY_COLOURS.get(edge["kind"], "#888")
        parts.append(
            f'<path class="edge" data-from="{edge["comment_id"]}" data-to="{edge["parent"]}" '
            f'data-kind="{escape(edge["kind"])}" d="M {x2:.1f} {base:.1f} A {radius:.1f} '
            f'{radius:.1f} 0 0 0 {x1:.1f} {base:.1f}" fill="none" stroke="{colour}" '
            f'stroke-width="1.5"><title>#{edge["position"]} → #{edge["parent_position"]} '
            f'({escape(edge["kind"])})</title></path>')
    for c in comments:
        cx = x[c["comment_id"]]
        parts.append(
            f'<a href="/-/thread/{int(c["article_id"])}#comment-{int(c["comment_id"])}">'
            f'<circle class="node" data-comment-id="{c["comment_id"]}" '
            f'data-label="{escape(c["author"])}" cx="{cx:.1f}" cy="{base:.1f}" r="4" '
            f'fill="#333"><title>#{c["position"]} {escape(c["author"])}</title></circle></a>')
        if len(comments) <= 60:
            parts.append(f'<text x="{cx:.1f}" y="{base + 16:.1f}" font-size="9" '
                         f'text-anchor="middle">{c["position"]}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _database(datasette: Any) -> Database:
    try:
        return datasette.get_database(DATABASE)
    except KeyError:
        raise NotFound(f"no database called {DATABASE}") from None


async def _pairs(db: Database, sql: str, params: Any = ()) -> list[tuple[str, int]]:
    return [(str(row[0]), int(row[1])) for row in (await db.execute(sql, params)).rows]


async def charts_page(datasette: Any, request: Request) -> Response:
    db = _database(datasette)
    # live_comments: a removed comment is no longer on the site, so it is not counted.
    months = await _pairs(db, """
        select substr(posted_at, 1, 7) as month, count(*) from live_comments
        where posted_at glob '[0-9][0-9][0-9][0-9]-[0-9][0-9]*' group by month order by month""")
    top = await _pairs(db, f"""
        select author, count(*) as n from live_comments group by author
        order by n desc, author limit {TOP_COMMENTERS}""")
    lengths = [row[0] for row in (await db.execute("""
        select (select count(*) from live_comments c where c.article_id = a.article_id)
        from articles a""")).rows]
    charts = [
        ("Comments per month", "UK months, quiet ones at zero; removed comments left out.",
         column_chart("per-month", every_month(months))),
        (f"Top {TOP_COMMENTERS} commenters", "Live comments only.",
         bar_chart("top-commenters", top)),
        ("Thread lengths", "Articles by their number of live comments.",
         column_chart("thread-lengths", length_bins(lengths), width=700)),
    ]
    return Response.html(await datasette.render_template(
        "charts.html", {"charts": charts, "authors": [name for name, _ in top],
                        "database": DATABASE}, request=request))


async def commenter_page(datasette: Any, request: Request) -> Response:
    db = _database(datasette)
    author = (request.args.get("author") or "").strip()
    months = await _pairs(db, """
        select substr(posted_at, 1, 7) as month, count(*) from live_comments
        where author = :author and posted_at glob '[0-9][0-9][0-9][0-9]-[0-9][0-9]*'
        group by month order by month""", {"author": author}) if author else []
    threads = await _pairs(db, """
        select a.title, count(*) as n from live_comments c
        join articles a on a.article_id = c.article_id
        where c.author = :author group by a.article_id order by n desc, a.title limit 20""",
                           {"author": author}) if author else []
    charts = [(f"Comments per month by {author}", "Live comments only.",
               column_chart("commenter-months", every_month(months))),
              (f"Threads {author} commented on most", "Live comments only.",
               bar_chart("commenter-threads", threads))] if author else []
    return Response.html(await datasette.render_template(
        "charts.html", {"charts": charts, "author": author, "database": DATABASE,
                        "commenter_form": True}, request=request))


async def replies_page(datasette: Any, request: Request) -> Response:
    db = _database(datasette)
    article_id = int(request.url_vars["article_id"])
    found = (await db.execute("select title from articles where article_id = ?",
                              [article_id])).rows
    if not found:
        raise NotFound(f"no article {article_id} in the archive")
    comments = [dict(r) for r in (await db.execute("""
        select comment_id, article_id, author, position, parent_id from live_comments
        where article_id = ? order by position, comment_id""", [article_id])).rows]
    by_id = {c["comment_id"]: c for c in comments}
    edges = [{"comment_id": c["comment_id"], "parent": c["parent_id"], "kind": "wordpress"}
             for c in comments if c["parent_id"] in by_id]
    if await db.table_exists("reply_edges"):
        rows = (await db.execute("""
            select comment_id, parent_comment_id, kind from reply_edges
            where article_id = ? and parent_comment_id is not null and not ambiguous
            order by comment_id, edge_id""", [article_id])).rows
        known = {(e["comment_id"], e["parent"]) for e in edges}
        edges += [{"comment_id": r[0], "parent": r[1], "kind": r[2]} for r in rows
                  if r[0] in by_id and r[1] in by_id and (r[0], r[1]) not in known]
    for edge in edges:
        edge["position"] = by_id[edge["comment_id"]]["position"]
        edge["parent_position"] = by_id[edge["parent"]]["position"]
    kinds = sorted({e["kind"] for e in edges})
    charts = [(f"Who answered whom: {found[0][0]}",
               f"{len(comments)} live comments, {len(edges)} replies "
               f"({', '.join(k.replace('_', ' ') for k in kinds) or 'none found'}). "
               "Each arc joins a reply (right) to the comment it answers (left).",
               reply_graph(comments, edges))]
    return Response.html(await datasette.render_template(
        "charts.html", {"charts": charts, "database": DATABASE, "article_id": article_id,
                        "legend": {k: _REPLY_COLOURS.get(k, "#888") for k in kinds}},
        request=request))


@hookimpl  # type: ignore[misc]
def register_routes() -> list[tuple[str, Any]]:
    return [(r"^/-/charts$", charts_page),
            (r"^/-/charts/commenter$", commenter_page),
            (r"^/-/charts/replies/(?P<article_id>[0-9]{1,18})$", replies_page)]
