"""Liberal Democrat Voice page functions: LDV's quirks layered on the generic WordPress ones."""

from __future__ import annotations

import re
from dataclasses import replace

from parsel import Selector
from scrapy.http import TextResponse

from archiver.items import Article, Comment
from archiver.text import inline_text
from spiders import wordpress

# Badges after the commenter's name repeat it (`<span class="author-badge"
# title="Editor">Caron Lindsay</span>`); the party-member badge is an image.
LDV_COMMENT_HINTS = wordpress.CommentHints(
    name_noise=(".author-badge", ".member-badge"),
    post_author_markers=(".author-badge[title='Post author']",),
)

# The byline date, PHP `D jS F Y - g:i a`: "Fri 4th September 2015 - 8:30 am".
_BYLINE_DATE = re.compile(
    r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)\s+\d{1,2}(?:st|nd|rd|th)\s+[A-Z][a-z]+\s+\d{4}"
    r"\s+-\s+\d{1,2}:\d{2}\s*[ap]m",
)

# Page furniture that must never turn up in a comment or an article body.
LDV_CHROME_PHRASES = (
    "Recent Comments",
    "Please complete the name of this site",
    "Post a Comment",
    "Lib Dem Voice welcomes comments from everyone",
    "Your email is never published",
    "Read more by",
    "This entry was posted in",
)


def parse_ldv_article(response: TextResponse) -> Article:
    """An LDV article: the generic WordPress fields, with the LDV byline preferred.

    Page: https://www.libdemvoice.org/<slug>-<post_id>.html. Byline shape (all eras):
    `<div class="entry-meta">By <a rel="author">John Dixon</a> | Fri 4th September 2015 -
    8:30 am</div>`; the date may sit in `span.entry-date` (≤ 2012) or
    `<time class="entry-date published" datetime>` (≥ 2020), or be bare text (2013-2019).
    Raises PageStructureError (from the generic parser) when the page is not an article.
    """
    article = wordpress.parse_article(response)
    # Order: the LDV byline, then the generic strategies' result.
    return replace(
        article,
        author=_byline_author_link(response.selector) or article.author,
        published_raw=_byline_date_text(response.selector) or article.published_raw,
    )


def parse_ldv_comments(selector: Selector, article_url: str) -> list[Comment]:
    """LDV comments: the generic WordPress comment list with LDV's badges accounted for.

    Page: an LDV article page. Besides `bypostauthor`, the post author's comment carries
    `<span class="author-badge" title="Post author">Name</span>`; editors get one titled
    "Editor" (not the post author). Neither badge is part of the name.
    """
    return wordpress.parse_comments(selector, article_url, hints=LDV_COMMENT_HINTS)


def chrome_leaks(text: str) -> tuple[str, ...]:
    """The LDV page-furniture phrases (sidebar, form, footer) found in `text`."""
    return tuple(phrase for phrase in LDV_CHROME_PHRASES if phrase in text)


def _byline(selector: Selector) -> Selector | None:
    """The first `.entry-meta` (else `.entry-header`) holding a `rel=author` link.

    The header's byline comes before the footer's "Read more by" in every era.
    """
    for meta in [*selector.css(".entry-meta"), *selector.css(".entry-header")]:
        if meta.xpath(".//a[contains(concat(' ', normalize-space(@rel), ' '), ' author ')]"):
            return meta
    return None


def _byline_author_link(selector: Selector) -> str | None:
    """`By <a rel="author">Name</a>`."""
    byline = _byline(selector)
    if byline is None:
        return None
    link = byline.xpath(".//a[contains(concat(' ', normalize-space(@rel), ' '), ' author ')]")
    return inline_text(link[0].get()) or None


def _byline_date_text(selector: Selector) -> str | None:
    """The `D jS F Y - g:i a` date in the byline text, wherever the theme put it."""
    byline = _byline(selector)
    if byline is None:
        return None
    match = _BYLINE_DATE.search(inline_text(byline.get()))
    return match[0] if match else None
