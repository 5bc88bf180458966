"""Page functions for any WordPress site: article pages, their comment lists, listings, feeds."""

# Everything here is pure (a selector or response in, items out); each job lives in its own
# module and this one is the public entry point. Site quirks (LDV's byline, badges) live in
# the site's own module on top of this one.

from __future__ import annotations

from archiver.wordpress.article import parse_article
from archiver.wordpress.comment_count import parse_comment_count_heading, parse_count_text
from archiver.wordpress.comment_pages import (
    comment_page_links,
    next_comment_page,
    previous_comment_page,
)
from archiver.wordpress.comments import GENERIC_HINTS, CommentHints, parse_comments
from archiver.wordpress.feeds import comment_feed_links
from archiver.wordpress.listing import Listing, Teaser, parse_listing
from archiver.wordpress.saved_page import ArticlePage, read_article_page

__all__ = [
    "GENERIC_HINTS",
    "ArticlePage",
    "CommentHints",
    "Listing",
    "Teaser",
    "comment_feed_links",
    "comment_page_links",
    "next_comment_page",
    "parse_article",
    "parse_comment_count_heading",
    "parse_comments",
    "parse_count_text",
    "parse_listing",
    "previous_comment_page",
    "read_article_page",
]
