"""Generic WordPress listing extraction: teasers and the next page of a home or archive page."""

# The queries are compiled once (archiver/wordpress/query.py) and run on the page's elements, and a
# link's text is read in place: no selector objects, no serialising and reparsing per link.

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

from lxml import etree
from parsel import Selector

from archiver.ids import parse_id
from archiver.wordpress.comment_count import parse_count_text
from archiver.wordpress.comment_pages import in_comment_nav
from archiver.wordpress.post_id import url_post_id
from archiver.wordpress.query import LINKS, PAGE_CLASSES, css, first_result, head_first, xpath
from archiver.wordpress.shared import (
    POST_ELEMENT_ID,
    Element,
    class_tokens,
    clean,
    first,
    is_foreign,
    is_foreign_block,
)
from archiver.wordpress.text import element_inline_text, inline_text

_LEAVE_A_COMMENT = re.compile(r"^\s*leave\s+a\s+(?:comment|reply)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Teaser:
    """One post as listed on a home, category, tag, author or date archive page.

    ``comment_count`` is the teaser's own "N Comments" link; WordPress counts pingbacks and
    trackbacks in it, so it can exceed the article's count heading.
    """

    url: str
    post_id: int | None
    comment_count: int | None


@dataclass(frozen=True)
class Listing:
    """A listing page: its teasers in page order and the next (older) page, if any."""

    url: str
    teasers: tuple[Teaser, ...]
    next_url: str | None


def parse_listing(selector: Selector, page_url: str) -> Listing:
    """Teasers and the next (older) page of a listing.

    Page: home `/`, `/page/N/`, `/category/<slug>/`, `/tag/<slug>/`, `/author/<slug>/`.
    Shape: `article#post-N` (block themes: `li.wp-block-post.post-N`) with an
    `.entry-title a` and a comments link "N Comments" / "One Comment" / "Leave a comment";
    `<link rel="next">` or an "Older posts" `a[rel=next]`.
    """
    page = selector.root
    nodes = first(strategy(page) for strategy in _TEASER_STRATEGIES) or []
    count_links = _comments_link_queries(page) if nodes else ()
    teasers = []
    for post_id, node in nodes:
        url = _teaser_url(node)
        if url is None:
            continue
        absolute = urljoin(page_url, url)
        teasers.append(Teaser(url=absolute,
                              post_id=post_id if post_id is not None
                              else url_post_id(absolute),
                              comment_count=_teaser_count(node, count_links)))
    next_url = first(strategy(page) for strategy in _NEXT_LISTING_STRATEGIES)
    return Listing(url=page_url, teasers=tuple(teasers),
                   next_url=urljoin(page_url, next_url) if next_url else None)


# Per ancestor of a teaser: whether it or one above is foreign, and whether it or one above
# has a post id. Teasers are siblings: each ancestor is looked at once, not once per teaser.
_Known = dict[Element, tuple[bool, bool]]


def _above(element: Element, known: _Known) -> tuple[bool, bool]:
    """Whether an ancestor of `element` is foreign (`is_foreign_block`); whether one has a
    post id."""
    unknown = []
    parent = element.getparent()
    while parent is not None and parent not in known:
        unknown.append(parent)
        parent = parent.getparent()
    foreign, post = (False, False) if parent is None else known[parent]
    for ancestor in reversed(unknown):
        foreign = foreign or is_foreign_block(ancestor)
        post = post or POST_ELEMENT_ID.match(ancestor.get("id") or "") is not None
        known[ancestor] = (foreign, post)
    return foreign, post


# CSS `[id^='post-']`, by attribute nodes (faster than a test on every element).
_POST_ID_ELEMENTS = xpath("/descendant::*/@id[starts-with(., 'post-')]/..")


def _teasers_by_post_id(page: Element) -> list[tuple[int | None, Element]] | None:
    """`article#post-N` / `div#post-N`, outside widgets."""
    found: list[tuple[int | None, Element]] = []
    known: _Known = {}
    for node in _POST_ID_ELEMENTS(page):
        match = POST_ELEMENT_ID.match(node.get("id", ""))
        if match is None:
            continue
        foreign, nested = _above(node, known)
        if not nested and not foreign and not is_foreign_block(node):
            found.append((parse_id(match[1]), node))
    return found or None


_POSTS = css(".type-post, .wp-block-post")


def _teasers_by_post_class(page: Element) -> list[tuple[int | None, Element]] | None:
    """Block themes and id-less themes: `.type-post` / `.wp-block-post` with class `post-N`."""
    found = []
    known: _Known = {}
    for node in _POSTS(page):
        if is_foreign_block(node) or _above(node, known)[0]:
            continue
        ids = [parse_id(token[5:]) for token in class_tokens(node)
               if token.startswith("post-") and token[5:].isdigit()]
        found.append((ids[0] if ids else None, node))
    return found or None


_TEASER_STRATEGIES: Sequence[Callable[[Element], list[tuple[int | None, Element]] | None]] = (
    _teasers_by_post_id, _teasers_by_post_class)

_TEASER_HREFS = tuple(css(query) for query in (
    ".entry-title a::attr(href)", ".wp-block-post-title a::attr(href)",
    "a[rel~='bookmark']::attr(href)"))


def _teaser_url(node: Element) -> str | None:
    for query in _TEASER_HREFS:
        href = clean(first_result(query, node))
        if href:
            return href
    return None


_COMMENTS_LINKS = tuple(css(query) for query in (
    ".comments-link a", "a[href$='#comments']", "a[href$='#respond']"))


def _comments_link_queries(page: Element) -> tuple[Any, ...]:
    """The comments link queries worth running in the page's teasers: `.comments-link a`
    only when the class is on the page (one look at the page instead of one per teaser)."""
    return _COMMENTS_LINKS if "comments-link" in PAGE_CLASSES(page) else _COMMENTS_LINKS[1:]


def _teaser_count(node: Element, queries: tuple[Any, ...]) -> int | None:
    """The comments link: `.comments-link a`, else a link to `#comments` / `#respond`."""
    for query in queries:
        for link in query(node):
            text = _link_text(link)
            if _LEAVE_A_COMMENT.match(text):
                return 0
            count = parse_count_text(text)
            if count is not None:
                return count
    return None


def _link_text(link: Element) -> str:
    """`inline_text` of the link's markup, read in place."""
    # Reparsed, a link that is itself a Cloudflare e-mail is decoded as a whole; read in
    # place, only what is inside it would be. That (odd) link takes the round trip.
    if link.get("data-cfemail") is not None:
        return inline_text(etree.tostring(link, method="html", encoding="unicode",
                                          with_tail=False))
    return element_inline_text(link)


_NEXT_LINK = head_first("head link[rel='next']::attr(href)")


def _next_link_element(page: Element) -> str | None:
    """`<link rel="next">` in the head."""
    return clean(_NEXT_LINK.find(page))


_REL_NEXT_LINKS = xpath("//a[contains(concat(' ', normalize-space(@rel), ' '), ' next ')]")


def _next_rel_anchor(page: Element) -> str | None:
    """An `a[rel~=next]` outside comment navigation ("Older posts")."""
    for link in _REL_NEXT_LINKS(page):
        if not in_comment_nav(link) and not is_foreign(link):
            return clean(link.get("href"))
    return None


_PAGINATION_NEXT = css("a.next.page-numbers::attr(href), "
                       "a.wp-block-query-pagination-next::attr(href)")
_OLDER_LABEL = re.compile(r"older\s+(?:posts|entries)|next\s+page", re.IGNORECASE)


def _next_by_label(page: Element) -> str | None:
    """Pagination classes and labels: `a.next.page-numbers`, "Older posts", "Older Entries"."""
    href = first_result(_PAGINATION_NEXT, page)
    if href:
        return clean(href)
    for link in LINKS(page):
        if _OLDER_LABEL.search(_link_text(link)) and not in_comment_nav(link):
            return clean(link.get("href"))
    return None


_NEXT_LISTING_STRATEGIES: Sequence[Callable[[Element], str | None]] = (
    _next_link_element, _next_rel_anchor, _next_by_label)
