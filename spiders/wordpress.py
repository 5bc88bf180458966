"""Page functions for any WordPress site: article pages, their comment lists, listings."""

# Everything here is pure (a selector or response in, items out); each job lives in its own
# `wp_*` module and this one is the public entry point. Site quirks (LDV's byline, badges)
# live in the site's own module on top of this one.

from __future__ import annotations

from spiders.wp_article import parse_article
from spiders.wp_comment_count import parse_comment_count_heading, parse_count_text
from spiders.wp_comment_pages import comment_page_links, next_comment_page, previous_comment_page
from spiders.wp_comments import GENERIC_HINTS, CommentHints, parse_comments
from spiders.wp_listing import Listing, Teaser, parse_listing

__all__ = [
    "GENERIC_HINTS",
    "CommentHints",
    "Listing",
    "Teaser",
    "comment_page_links",
    "next_comment_page",
    "parse_article",
    "parse_comment_count_heading",
    "parse_comments",
    "parse_count_text",
    "parse_listing",
    "previous_comment_page",
]
