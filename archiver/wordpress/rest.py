"""WordPress's REST API (`/wp-json/wp/v2/`): where it is, and its JSON as articles and comments."""

# Pure functions: a response or a decoded answer in, URLs or items out. The spider's REST
# walk (rest_walk.py) asks; these read. Rendered HTML goes through the same text reading as
# a page's comment bodies, so both sources store the same words.

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from scrapy.http import Response, TextResponse

from archiver.items import Article, Comment
from archiver.wordpress.text import html_to_text, inline_text

REST_REL = "https://api.w.org/"
# What a comment and a post are read with; `_fields` keeps each answer to what is stored.
COMMENT_FIELDS = "id,post,parent,author,author_name,author_url,date,date_gmt,content,type"
POST_FIELDS = ("id,link,title,date,date_gmt,modified_gmt,author,content,categories,tags,"
               "_links,_embedded")
PER_PAGE = 100
_LINK_HEADER = re.compile(r'<([^>]+)>\s*;\s*rel="?https://api\.w\.org/"?')


class NotRest(ValueError):
    """An answer that is not the REST API's: the reason says what came instead."""


def rest_root_from_page(response: Response) -> str | None:
    """The REST root a WordPress page announces: its `Link` header or `<link rel>` in the head."""
    for value in response.headers.getlist("Link"):
        match = _LINK_HEADER.search(value.decode("latin-1"))
        if match:
            return match[1]
    if isinstance(response, TextResponse):
        href = response.css(f'link[rel="{REST_REL}"]::attr(href)').get()
        if href:
            return response.urljoin(href.strip())
    return None


def candidate_roots(base_url: str, announced: str | None) -> list[str]:
    """Where to look, in order: the announced root, `/wp-json/`, then `/?rest_route=/` (sites
    without pretty permalinks answer only there)."""
    roots = [announced] if announced else []
    for root in (f"{base_url}/wp-json/", f"{base_url}/?rest_route=/"):
        if root not in roots:
            roots.append(root)
    return roots


def rest_url(root: str, route: str, **params: Any) -> str:
    """`route` (e.g. "wp/v2/comments") under `root`, with query parameters in a stable order."""
    query = urlencode(sorted((key, _param(value)) for key, value in params.items()))
    if "rest_route=" in root:
        base = root.split("rest_route=")[0]
        return f"{base}rest_route=/{route.strip('/')}" + (f"&{query}" if query else "")
    return f"{root.rstrip('/')}/{route.strip('/')}" + (f"?{query}" if query else "")


def _param(value: Any) -> str:
    if isinstance(value, (list, tuple, set, frozenset)):
        return ",".join(str(item) for item in sorted(value))
    return str(value)


def read_json(response: Response) -> Any:
    """The decoded answer; raises NotRest for a block page, a challenge or HTML where JSON was
    due (the spider then reads the site's HTML instead)."""
    if response.status in (401, 403):
        code = _error_code(response)
        raise NotRest(f"REST API refused ({response.status}{', ' + code if code else ''})")
    if response.status != 200:
        raise NotRest(f"REST API answered {response.status}")
    kind = (response.headers.get("Content-Type") or b"").decode("latin-1").lower()
    if "json" not in kind:
        raise NotRest(f"REST API answered {kind or 'no content type'} where JSON was due")
    try:
        return json.loads(response.body)
    except ValueError as exc:
        raise NotRest(f"REST API answered malformed JSON ({exc})") from None


def _error_code(response: Response) -> str:
    try:
        answer = json.loads(response.body)
    except ValueError:
        return ""
    return str(answer.get("code", "")) if isinstance(answer, dict) else ""


def check_index(answer: Any) -> None:
    """Raises NotRest unless the answer is a REST index offering the wp/v2 routes."""
    if not isinstance(answer, dict) or "wp/v2" not in answer.get("namespaces", ()):
        raise NotRest("REST index without the wp/v2 routes")


def site_timezone(index: dict[str, Any]) -> str | None:
    """The zone the site's settings name: `timezone_string`, else a whole-hour `gmt_offset` as
    an Etc/GMT zone (whose sign is the reverse of the offset's); None when neither says."""
    name = index.get("timezone_string")
    if isinstance(name, str) and name:
        return name
    offset = index.get("gmt_offset")
    try:
        hours = float(offset)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if hours == 0:
        return "UTC"
    if hours.is_integer():
        return f"Etc/GMT{-int(hours):+d}"
    return None


def total_pages(response: Response) -> int:
    """`X-WP-TotalPages`: how many pages of this query there are (1 when missing)."""
    value = response.headers.get("X-WP-TotalPages")
    try:
        return max(1, int(value)) if value else 1
    except ValueError:
        return 1


def total_items(response: Response) -> int | None:
    value = response.headers.get("X-WP-Total")
    try:
        return int(value) if value else None
    except ValueError:
        return None


def local_iso(date: str | None, date_gmt: str | None) -> str | None:
    """ISO 8601 with the site's own offset at that instant: `date` is local, `date_gmt` UTC, so
    their difference is the offset (exact, whatever the zone's rules)."""
    if not date:
        return None
    if not date_gmt:
        return date
    try:
        local, utc = datetime.fromisoformat(date), datetime.fromisoformat(date_gmt)
    except ValueError:
        return date
    minutes = round((local - utc).total_seconds() / 60)
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"{local.isoformat()}{sign}{hours:02d}:{rest:02d}"


def rendered(field: Any) -> str:
    if isinstance(field, dict):
        return str(field.get("rendered") or "")
    return str(field or "")


def comment_from_rest(answer: dict[str, Any], position: int,
                      post_author: int | None) -> Comment:
    """One `wp/v2/comments` entry as a comment of its thread (`position`: its place there)."""
    html = rendered(answer.get("content")).strip()
    parent = answer.get("parent") or None
    author_id = answer.get("author") or None
    return Comment(
        comment_id=int(answer["id"]),
        author=str(answer.get("author_name") or ""),
        author_url=str(answer.get("author_url") or "") or None,
        posted_raw=str(answer.get("date") or ""),
        posted_datetime=local_iso(answer.get("date"), answer.get("date_gmt")),
        body=html_to_text(html),
        body_html=html,
        position=position,
        is_post_author=author_id is not None and author_id == post_author,
        parent_id=int(parent) if parent else None,
        source="rest",
    )


def article_from_rest(answer: dict[str, Any], comment_count: int | None) -> Article:
    """One `wp/v2/posts` entry (read with `_embed=author,wp:term`) as an article."""
    embedded = answer.get("_embedded") or {}
    authors = embedded.get("author") or []
    author = next((str(a["name"]) for a in authors if isinstance(a, dict) and a.get("name")),
                  None)
    terms: dict[str, list[str]] = {"category": [], "post_tag": []}
    for group in embedded.get("wp:term") or []:
        for term in group if isinstance(group, list) else []:
            if isinstance(term, dict) and term.get("taxonomy") in terms:
                terms[term["taxonomy"]].append(inline_text(str(term.get("name", ""))))
    return Article(
        article_id=int(answer["id"]),
        url=str(answer.get("link") or ""),
        title=inline_text(rendered(answer.get("title"))),
        author=author,
        published_raw=str(answer.get("date") or "") or None,
        published_datetime=local_iso(answer.get("date"), answer.get("date_gmt")),
        categories=tuple(terms["category"]),
        tags=tuple(terms["post_tag"]),
        body=html_to_text(rendered(answer.get("content"))),
        comment_count_declared=comment_count,
    )


def same_site(url: str, root: str) -> bool:
    return urlsplit(url).netloc.lower() == urlsplit(root).netloc.lower()
