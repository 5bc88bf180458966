"""Liberal Democrat Voice: its profile (aliases, byline, date formats, badges) and its spider."""

from __future__ import annotations

import re

from parsel import Selector
from scrapy.http import TextResponse

from archiver import wordpress
from archiver.items import Article, Comment
from archiver.site import SiteProfile
from archiver.wordpress.post_id import PERMALINK_POST_ID, url_post_id
from archiver.wordpress.query import by_id, first_in_page, has_class, has_rel, xpath
from archiver.wordpress.shared import Element, first
from archiver.wordpress.spider import WordPressSpider
from archiver.wordpress.text import element_inline_text

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
    byline = _byline(response.selector, response.url)
    if byline is None:
        return wordpress.parse_article(response)
    # Order: the LDV byline, then the generic strategies.
    return wordpress.parse_article(response, author=_byline_author_link(byline),
                                   published_raw=_byline_date_text(byline))


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


# The first `.entry-meta` (else `.entry-header`) holding a `rel=author` link. The header's
# byline comes before the footer's "Read more by" in every era, in the post's element.
_BYLINES = tuple(
    first_in_page(f"{has_class(name)} and descendant::a[{has_rel('author')}]", name)
    for name in ("entry-meta", "entry-header"))
_AUTHOR_LINK = xpath(f"descendant::a[{has_rel('author')}][1]")


def _byline(selector: Selector, url: str) -> Element | None:
    page = selector.root
    # LDV's permalinks carry the post id, and so name the post's element.
    post_id = url_post_id(url)
    post = by_id(page, f"post-{post_id}") if post_id is not None else None
    return first(sought.find(page, post) for sought in _BYLINES)


def _byline_author_link(byline: Element) -> str | None:
    """`By <a rel="author">Name</a>`."""
    return element_inline_text(_AUTHOR_LINK(byline)[0]) or None


def _byline_date_text(byline: Element) -> str | None:
    """The `D jS F Y - g:i a` date in the byline text, wherever the theme put it."""
    match = _BYLINE_DATE.search(element_inline_text(byline))
    return match[0] if match else None


LDV = SiteProfile(
    name="ldv",
    base_url="https://www.libdemvoice.org",
    alias_hosts=("libdemvoice.org", "www.libdemvoice.org", "ldv.org.uk", "www.ldv.org.uk"),
    # LDV prints UK times: `D jS F Y - g:i a` bylines and `jS M 'y - g:ia` comment headers,
    # the formats archiver.dates reads.
    timezone="Europe/London",
    # Permalinks are "/<slug>-<post id>.html" at the root.
    article_path=re.compile(rf"^/(?P<slug>[^/]+){PERMALINK_POST_ID}$"),
    parse_article=parse_ldv_article,
    parse_comments=parse_ldv_comments,
)


class LdvSpider(WordPressSpider):
    """Liberal Democrat Voice: the WordPress spider with LDV's profile."""

    name = "ldv"
    profile = LDV
