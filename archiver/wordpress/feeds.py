"""WordPress RSS feeds: the site-wide comments feed as a change signal."""

from __future__ import annotations

from parsel import Selector

from archiver.ids import parse_id
from archiver.wordpress.shared import COMMENT_ANCHOR


def comment_feed_links(body: bytes) -> dict[int, str]:
    """Map each comment id in a WordPress comments feed to its article URL.

    Feed shape (``/comments/feed/``): ``<item><link>ARTICLE#comment-ID</link>…</item>``.
    """
    feed = Selector(body=body, type="xml")
    links: dict[int, str] = {}
    for item in feed.xpath("//item"):
        link = (item.xpath("./link/text()").get() or item.xpath("./guid/text()").get() or "")
        match = COMMENT_ANCHOR.search(link.strip())
        if match:
            links[parse_id(match[1])] = link.strip()[: match.start()]
    return links
