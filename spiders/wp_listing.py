"""Generic WordPress listing extraction: teasers and the next page of a home or archive page."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urljoin

from parsel import Selector

from archiver.text import inline_text
from spiders.wp_comment_count import parse_count_text
from spiders.wp_comment_pages import in_comment_nav
from spiders.wp_post_id import post_id_url
from spiders.wp_shared import POST_ELEMENT_ID, class_tokens, clean, first, is_foreign

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
    nodes = first(strategy(selector) for strategy in _TEASER_STRATEGIES) or []
    teasers = []
    for post_id, node in nodes:
        url = _teaser_url(node)
        if url is None:
            continue
        absolute = urljoin(page_url, url)
        teasers.append(Teaser(url=absolute,
                              post_id=post_id if post_id is not None
                              else post_id_url(selector, absolute),
                              comment_count=_teaser_count(node)))
    next_url = first(strategy(selector) for strategy in _NEXT_LISTING_STRATEGIES)
    return Listing(url=page_url, teasers=tuple(teasers),
                   next_url=urljoin(page_url, next_url) if next_url else None)


def _teasers_by_post_id(selector: Selector) -> list[tuple[int | None, Selector]] | None:
    """`article#post-N` / `div#post-N`, outside widgets."""
    found: list[tuple[int | None, Selector]] = []
    for node in selector.css("[id^='post-']"):
        match = POST_ELEMENT_ID.match(node.attrib.get("id", ""))
        nested = any(POST_ELEMENT_ID.match(a.get("id") or "") for a in node.root.iterancestors())
        if match and not nested and not is_foreign(node.root):
            found.append((int(match[1]), node))
    return found or None


def _teasers_by_post_class(selector: Selector) -> list[tuple[int | None, Selector]] | None:
    """Block themes and id-less themes: `.type-post` / `.wp-block-post` with class `post-N`."""
    found = []
    for node in selector.css(".type-post, .wp-block-post"):
        if is_foreign(node.root):
            continue
        ids = [int(token[5:]) for token in class_tokens(node.root)
               if token.startswith("post-") and token[5:].isdigit()]
        found.append((ids[0] if ids else None, node))
    return found or None


_TEASER_STRATEGIES: Sequence[Callable[[Selector], list[tuple[int | None, Selector]] | None]] = (
    _teasers_by_post_id, _teasers_by_post_class)


def _teaser_url(node: Selector) -> str | None:
    for css in (".entry-title a::attr(href)", ".wp-block-post-title a::attr(href)",
                "a[rel~='bookmark']::attr(href)"):
        href = clean(node.css(css).get())
        if href:
            return href
    return None


def _teaser_count(node: Selector) -> int | None:
    """The comments link: `.comments-link a`, else a link to `#comments` / `#respond`."""
    for css in (".comments-link a", "a[href$='#comments']", "a[href$='#respond']"):
        for link in node.css(css):
            text = inline_text(link.get())
            if _LEAVE_A_COMMENT.match(text):
                return 0
            count = parse_count_text(text)
            if count is not None:
                return count
    return None


def _next_link_element(selector: Selector) -> str | None:
    """`<link rel="next">` in the head."""
    return clean(selector.css("head link[rel='next']::attr(href)").get())


def _next_rel_anchor(selector: Selector) -> str | None:
    """An `a[rel~=next]` outside comment navigation ("Older posts")."""
    for link in selector.xpath("//a[contains(concat(' ', normalize-space(@rel), ' '), ' next ')]"):
        if not in_comment_nav(link.root) and not is_foreign(link.root):
            return clean(link.attrib.get("href"))
    return None


def _next_by_label(selector: Selector) -> str | None:
    """Pagination classes and labels: `a.next.page-numbers`, "Older posts", "Older Entries"."""
    href = selector.css("a.next.page-numbers::attr(href), "
                        "a.wp-block-query-pagination-next::attr(href)").get()
    if href:
        return clean(href)
    label = re.compile(r"older\s+(?:posts|entries)|next\s+page", re.IGNORECASE)
    for link in selector.css("a[href]"):
        if label.search(inline_text(link.get())) and not in_comment_nav(link.root):
            return clean(link.attrib.get("href"))
    return None


_NEXT_LISTING_STRATEGIES: Sequence[Callable[[Selector], str | None]] = (
    _next_link_element, _next_rel_anchor, _next_by_label)
