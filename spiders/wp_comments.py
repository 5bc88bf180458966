"""Generic WordPress comment extraction: an article page's own comment list, in page order."""

# Themes differ, so each field is read by small strategy functions tried in a stated order;
# the first that finds something wins. Comments are found as spiders/wp_comment_nodes.py
# finds them and read from WordPress's own ids (`#comment-N` permalinks) and structure rather
# than from one theme's classes. The strategies look at a comment's parts as
# spiders/wp_comment_parts.py prepares them, without selectors or copies (speed).

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

from parsel import Selector

from archiver.items import Comment
from spiders.wp_comment_nodes import find_comment_nodes
from spiders.wp_comment_parts import (
    Body,
    Header,
    OwnElements,
    body_html_and_text,
    css_classes,
    css_split,
    might_select,
)
from spiders.wp_query import css
from spiders.wp_shared import Element, first, first_found, node_id

_PERMALINK_ID = re.compile(r"#comment-(\d+)$")


@dataclass(frozen=True)
class CommentHints:
    """Theme extras layered on the generic comment strategies (see spiders/ldv_pages.py).

    ``name_noise``: CSS selectors for elements inside a comment header's name element that
    are not part of the name (badges repeating it). ``post_author_markers``: CSS selectors
    that, present in a comment's header, mark the post author's own comment.
    """

    name_noise: tuple[str, ...] = ()
    post_author_markers: tuple[str, ...] = ()


GENERIC_HINTS = CommentHints()


def parse_comments(selector: Selector, article_url: str, *,
                   hints: CommentHints = GENERIC_HINTS) -> list[Comment]:
    """Reader comments of the article's own comment list, in page order.

    Page: a WordPress article page, e.g. https://www.libdemvoice.org/<slug>-47108.html.
    Shape: `#comments` (or a block theme's `.wp-block-comments`) holding an `ol/ul` of
    `li#comment-N` (html5 walker, block theme) or `li#li-comment-N > div#comment-N`
    (xhtml themes). Never the Recent Comments widget, pingbacks/trackbacks or the form.
    A comment lacking a name, date or body still counts, with empty strings for those.
    """
    nodes = find_comment_nodes(selector.root)
    return [_parse_comment(node, position, article_url, hints)
            for position, node in enumerate(nodes, start=1)]


def _parse_comment(node: Element, position: int, article_url: str,
                   hints: CommentHints) -> Comment:
    own = OwnElements(node)
    body = first_found(_BODY_STRATEGIES, own)
    header = Header(own, body.elements if body else [])
    name = first_found(_NAME_STRATEGIES, header)
    author, author_url = ("", None) if name is None else _name_and_url(header, name, hints)
    posted = first_found(_DATE_STRATEGIES, header)
    posted_raw, posted_datetime = posted if posted is not None else ("", None)
    comment_id = first_found(_ID_STRATEGIES, header)
    body_html, body_text = body_html_and_text(own, body)
    return Comment(
        comment_id=comment_id,
        author=author,
        author_url=_absolute(article_url, author_url) if author_url else None,
        posted_raw=posted_raw,
        posted_datetime=posted_datetime,
        body=body_text,
        body_html=body_html,
        position=position,
        is_post_author=_is_post_author(header, hints),
    )


@lru_cache(maxsize=1024)
def _absolute(page_url: str, url: str) -> str:
    """`urljoin`, done once per commenter of a thread (most comment more than once)."""
    return urljoin(page_url, url)


# Body strategies, in order, over the comment's own elements. The comment itself is never
# its own body (its header would be empty).
def _body_content_container(own: OwnElements) -> Body | None:
    """html5 walker `.comment-content`, block theme `.wp-block-comment-content`, `.comment-text`."""
    for token in ("comment-content", "wp-block-comment-content", "comment-text"):
        for index in own.with_class(token):
            if index:
                return Body([index], container=True)
    return None


def _body_leaf_comment_body(own: OwnElements) -> Body | None:
    """xhtml themes (Twenty Ten style): a `.comment-body` holding only the text.

    In the core xhtml and html5 walkers `.comment-body` wraps the header too; skip it then.
    """
    candidates = own.with_class("comment-body")
    header_parts = [inner for token in (
        "comment-author", "comment-meta", "commentmetadata", "comment-metadata", "fn",
        "comment-date", "wp-block-comment-author-name") for inner in own.with_class(token)
    ] if candidates else []
    for index in candidates:
        if index and not any(index <= inner < own.end(index) for inner in header_parts):
            return Body([index], container=True)
    return None


def _body_loose_blocks(own: OwnElements) -> Body | None:
    """Core xhtml walker and Kubrick: paragraphs directly in the comment, after the header."""
    blocks = own.loose_blocks()
    return Body(blocks, container=False) if blocks else None


_BODY_STRATEGIES: Sequence[Callable[[OwnElements], Body | None]] = (
    _body_content_container, _body_leaf_comment_body, _body_loose_blocks)


# Name strategies, in order, over the header only (so a quoted name in a body never counts).
def _name_fn(header: Header) -> Element | None:
    """hCard `.fn` (xhtml `cite.fn`, html5 `b.fn`)."""
    return header.first_with_text(header.with_class("fn"))


def _name_block_theme(header: Header) -> Element | None:
    """Block themes: `.wp-block-comment-author-name`."""
    return header.first_with_text(header.with_class("wp-block-comment-author-name"))


def _name_comment_author(header: Header) -> Element | None:
    """`.comment-author` itself holding the name (LDV's `span.comment-author`)."""
    return header.first_with_text(header.with_class("comment-author"))


def _name_cite(header: Header) -> Element | None:
    """Kubrick-era themes: a bare `<cite>` before "Says:"."""
    return header.first_with_text(header.with_tag("cite"))


def _name_url_link(header: Header) -> Element | None:
    """Last resort: the commenter's website link, `a.url`."""
    return header.first_with_text(
        link for link in header.with_tag("a") if "url" in css_classes(link))


_NAME_STRATEGIES: Sequence[Callable[[Header], Element | None]] = (
    _name_fn, _name_block_theme, _name_comment_author, _name_cite, _name_url_link)


def _name_and_url(header: Header, name: Element, hints: CommentHints) -> tuple[str, str | None]:
    """The name's text without what is not the name, and its link (the commenter's site)."""
    selectors = hints.name_noise
    theme_noise = set(_selector(selectors)(name) if selectors and len(name) and might_select(
        selectors, name) else ())

    def noise(element: Element) -> bool:
        return element in theme_noise or _is_name_noise(element)
    author = header.inline_text(name, noise)
    link = name if name.tag == "a" else _first_link(header, name, noise)
    href = None if link is None else link.get("href")
    return author, (href.strip() or None) if href else None


def _first_link(header: Header, name: Element, noise: Callable[[Element], bool]) -> Element | None:
    """The name's first `a[href]` outside left-out parts and noise (nor inside them)."""
    for link in name.iterdescendants("a"):
        if link.get("href") is None:
            continue
        item = link
        while item is not name:
            if header.leaves_out(item) or noise(item):
                break
            item = item.getparent()
        else:
            return link
    return None


def _is_name_noise(element: Element) -> bool:
    """Inside a name: "says", screen-reader text, images, a date, badges repeating the name."""
    if element.tag in ("img", "svg", "time"):
        return True
    value = element.get("class")
    return bool(value) and (
        "badge" in value or not _NAME_NOISE_CLASSES.isdisjoint(css_split(value)))


_NAME_NOISE_CLASSES = frozenset({"says", "screen-reader-text", "comment-meta", "commentmetadata",
                                 "comment-metadata", "comment-date"})


# Date strategies, in order, over the header: (text as shown, `<time datetime>` or None).
_Posted = tuple[str, str | None]


def _date_time_element(header: Header) -> _Posted | None:
    """html5 walker and block themes: `<time datetime="…">text</time>`."""
    for time in header.with_tag("time"):
        raw = header.inline_text(time)
        stamp = time.get("datetime")
        if raw or stamp:
            return raw, stamp.strip() if stamp else None
    return None


def _date_permalink(header: Header) -> _Posted | None:
    """The comment's permalink `<a href="…#comment-N">date</a>` (all walkers)."""
    for link in header.with_tag("a"):
        if "#comment-" in (link.get("href") or "") and (raw := header.inline_text(link)):
            return raw, None
    return None


def _date_container(header: Header) -> _Posted | None:
    """A date container without a link: `.comment-date`, `.comment-metadata`, `.comment-meta`."""
    for token in ("comment-date", "wp-block-comment-date", "comment-metadata",
                  "commentmetadata", "comment-meta"):
        for found in header.with_class(token):
            raw = header.inline_text(found, _is_date_noise)
            if raw:
                return raw, None
    return None


def _is_date_noise(element: Element) -> bool:
    """html5 `footer.comment-meta` holds the name too; edit and reply links are no date."""
    if element.tag in ("cite", "img"):
        return True
    value = element.get("class")
    return bool(value) and (
        "badge" in value or not _DATE_NOISE_CLASSES.isdisjoint(css_split(value)))


_DATE_NOISE_CLASSES = frozenset({"comment-edit-link", "edit-link", "reply", "comment-reply-link",
                                 "comment-author", "vcard", "fn", "says"})


_DATE_STRATEGIES: Sequence[Callable[[Header], _Posted | None]] = (
    _date_time_element, _date_permalink, _date_container)


# Comment id strategies, in order.
def _id_from_node_ids(header: Header) -> int | None:
    """The node's own id, else an inner `comment-N` / `div-comment-N` id."""
    number = node_id(header.node)
    if number is not None:
        return number
    return first(node_id(element)
                 for element in header.visible(range(1, len(header.own.elements))))


def _id_from_permalink(header: Header) -> int | None:
    """The header's permalink, `…#comment-N`."""
    for link in header.with_tag("a"):
        match = _PERMALINK_ID.search((link.get("href") or "").strip())
        if match:
            return int(match[1])
    return None


def _id_from_reply_link(header: Header) -> int | None:
    """The reply link, `a.comment-reply-link` / `.reply a` / `a[data-commentid]`:
    `data-commentid="N"` or `?replytocom=N`."""
    for link in header.with_tag("a"):
        value = link.get("data-commentid")
        if value is None and "comment-reply-link" not in css_classes(link) and not _in_reply(
                link, header.node):
            continue
        if value and value.strip().isdigit():
            return int(value)
        query = parse_qs(urlsplit(link.get("href", "")).query)
        replyto = query.get("replytocom", [""])[0]
        if replyto.isdigit():
            return int(replyto)
    return None


def _in_reply(link: Element, node: Element) -> bool:
    """Inside a `.reply` element of the comment (the comment's own element included)."""
    for ancestor in link.iterancestors():
        if "reply" in css_classes(ancestor):
            return True
        if ancestor is node:
            return False
    return False


_ID_STRATEGIES: Sequence[Callable[[Header], int | None]] = (
    _id_from_node_ids, _id_from_permalink, _id_from_reply_link)


def _is_post_author(header: Header, hints: CommentHints) -> bool:
    """WordPress's `bypostauthor` class, else a theme's post-author marker (hints)."""
    value = header.node.get("class") or ""
    if "bypostauthor" in value and "bypostauthor" in value.split():  # `class_tokens`'s split
        return True
    markers = hints.post_author_markers
    if not markers or not header.own.could_match(markers):
        return False
    return any(header.holds(found) for found in _selector(markers)(header.node))


@cache
def _selector(selectors: tuple[str, ...]) -> Any:
    return css(", ".join(selectors))
