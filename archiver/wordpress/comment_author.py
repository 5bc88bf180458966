"""Who wrote a comment: the commenter's name and website, from the comment's header."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from archiver.wordpress.comment_header import Header
from archiver.wordpress.comment_parts import badge_or_class_in, css_classes, might_select
from archiver.wordpress.comment_plain import (
    name_before_says,
    name_byline,
    name_comment_by,
    name_external_link,
    name_first_text,
    name_itemprop,
)
from archiver.wordpress.comment_words import without_says
from archiver.wordpress.query import css_union
from archiver.wordpress.shared import Element, Predicate


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


# Class-based first (a theme's own word on it), then theme-free ones (comment_plain.py),
# down to the header's first bare text. A name found as text alone is a `str`.
NAME_STRATEGIES: Sequence[Callable[[Header], Element | str | None]] = (
    _name_fn, _name_block_theme, _name_comment_author, _name_cite, _name_url_link,
    name_itemprop, name_external_link, name_before_says, name_comment_by, name_byline,
    name_first_text)


def author_and_url(header: Header, name: Element | str,
                   name_noise: tuple[str, ...]) -> tuple[str, str | None]:
    """The name's text without what is not the name, and its link (the commenter's site).

    `name_noise`: a theme's CSS selectors for what inside the name is not part of it.
    A name read as text alone has the commenter's `rel="external"` link, if any.
    """
    if isinstance(name, str):
        link = name_external_link(header)
        return without_says(name), _href(link)
    theme_noise = set(css_union(name_noise)(name) if name_noise and len(name) and might_select(
        name_noise, name) else ())

    def noise(element: Element) -> bool:
        return element in theme_noise or _is_name_noise(element)
    author = without_says(header.inline_text(name, noise))
    return author, _href(name if name.tag == "a" else _first_link(header, name, noise))


def _href(link: Element | None) -> str | None:
    href = None if link is None else link.get("href")
    return (href.strip() or None) if href else None


def _first_link(header: Header, name: Element, noise: Predicate) -> Element | None:
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
    return badge_or_class_in(element, _NAME_NOISE_CLASSES)


_NAME_NOISE_CLASSES = frozenset({"says", "screen-reader-text", "comment-meta", "commentmetadata",
                                 "comment-metadata", "comment-date"})
