"""Content items: what page functions extract and the pipelines normalise, dedupe and store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Comment:
    """One reader comment as it appears in a thread.

    Page functions fill the raw fields; the normalise pipeline fills ``posted_at``
    and cleans ``author`` and ``body``.
    """

    comment_id: int | None
    author: str
    author_url: str | None
    posted_raw: str
    # The machine-readable `<time datetime>` value, when the theme prints one.
    posted_datetime: str | None
    body: str
    body_html: str
    position: int
    is_post_author: bool
    posted_at: datetime | None = None
    # WordPress's parent comment id for a reply (nesting, reply links or REST), None at top level.
    parent_id: int | None = None
    # Where the comment was read: "html" (a page) or "rest" (the site's JSON API).
    source: str = "html"


@dataclass(frozen=True)
class Article:
    """One article page's own fields (not its comments)."""

    article_id: int
    url: str
    title: str
    author: str | None
    published_raw: str | None
    # ISO 8601 from page metadata (`article:published_time`, `<time datetime>`), when present.
    published_datetime: str | None
    categories: tuple[str, ...]
    tags: tuple[str, ...]
    body: str
    comment_count_declared: int | None
    published_at: datetime | None = None


@dataclass(frozen=True)
class Thread:
    """An article with every comment from all of its comment pages.

    The store writes a thread in one transaction, so a reader never sees half of one.
    ``complete`` is false when a comment page failed, which forbids marking
    comments as removed.
    """

    article: Article
    comments: tuple[Comment, ...]
    source_urls: tuple[str, ...]
    complete: bool = True
    # The comment count the site's listing showed for this article (pingbacks included).
    listed_count: int | None = None
    # (url, ETag, Last-Modified) of the pages read, kept for conditional requests next time.
    validators: tuple[tuple[str, str | None, str | None], ...] = ()
    # Pingbacks and trackbacks its pages show: WordPress's count heading includes them.
    pings_shown: int = 0
    # Where it was read: "html" (its pages) or "rest" (the site's JSON API).
    source: str = "html"
    # The zone the site declared (its REST index), for times printed without an offset; None
    # leaves them to ARCHIVER_TIMEZONE.
    timezone: str | None = None
    # When its last page was fetched (UTC, as `utc_now`), where the downloader recorded it:
    # the thread's moment in the history, so a re-parse dates it as the crawl did. None: now.
    fetched_at: str | None = None
