"""Generic WordPress article byline: the post's author and publication date."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from parsel import Selector

from archiver.wordpress.query import css, first_result, has_rel, head_first, xpath
from archiver.wordpress.shared import Element, clean, first
from archiver.wordpress.text import element_inline_text


def find_author(selector: Selector, scope: Element) -> str | None:
    """The post's author: the first the strategies below find, in order."""
    return first(strategy(selector, scope) for strategy in _ARTICLE_AUTHOR_STRATEGIES)


def find_published_raw(scope: Element) -> str | None:
    """The post's date as the page shows it: the first the strategies below find, in order."""
    return first(strategy(scope) for strategy in _PUBLISHED_RAW_STRATEGIES)


def find_published_datetime(selector: Selector, scope: Element) -> str | None:
    """The post's machine-readable date (`datetime` attribute, meta tag), or None."""
    return first(strategy(selector, scope) for strategy in _PUBLISHED_DATETIME_STRATEGIES)


_AUTHOR_LINKS = xpath(f"descendant::a[{has_rel('author')}]")
_AUTHOR_NAMES = css(".author.vcard .fn, .author.vcard, .byline .author, "
                    ".wp-block-post-author-name, .wp-block-post-author__name")
_AUTHOR_META = head_first("meta[name='author']::attr(content)")


def _author_rel_author(selector: Selector, scope: Element) -> str | None:
    """The byline's `a[rel~=author]` in the post."""
    return _first_text(_AUTHOR_LINKS(scope))


def _author_vcard(selector: Selector, scope: Element) -> str | None:
    """`.byline .author`, `.author.vcard`, block themes' `.wp-block-post-author-name`."""
    return _first_text(_AUTHOR_NAMES(scope))


def _author_meta(selector: Selector, scope: Element) -> str | None:
    return clean(_AUTHOR_META.find(selector.root))


_ARTICLE_AUTHOR_STRATEGIES: Sequence[Callable[[Selector, Element], str | None]] = (
    _author_rel_author, _author_vcard, _author_meta)

_TIME_ELEMENTS = css("time.published, time.entry-date, .wp-block-post-date time")
# Each `time` query is a union of three scans of the post; a post without a `time` (LDV's
# 2013-2019 bylines, Twenty Ten) needs none.
_HAS_TIME = xpath("boolean(descendant-or-self::time)")
_DATE_ELEMENTS = css(".entry-date, .posted-on")


def _published_time_text(scope: Element) -> str | None:
    """Visible text of the post's `<time class="entry-date|published">` or block post date."""
    return _first_text(_TIME_ELEMENTS(scope)) if _HAS_TIME(scope) else None


def _published_entry_date(scope: Element) -> str | None:
    """Text of an `.entry-date` that is not a `<time>` (Twenty Ten's `span.entry-date`)."""
    return _first_text(_DATE_ELEMENTS(scope))


_PUBLISHED_RAW_STRATEGIES: Sequence[Callable[[Element], str | None]] = (
    _published_time_text, _published_entry_date)

_TIME_DATETIMES = css("time.published::attr(datetime), time.entry-date::attr(datetime), "
                      ".wp-block-post-date time::attr(datetime)")
_PUBLISHED_META = head_first("meta[property='article:published_time']::attr(content)")


def _published_time_datetime(selector: Selector, scope: Element) -> str | None:
    return clean(first_result(_TIME_DATETIMES, scope)) if _HAS_TIME(scope) else None


def _published_meta(selector: Selector, scope: Element) -> str | None:
    return clean(_PUBLISHED_META.find(selector.root))


_PUBLISHED_DATETIME_STRATEGIES: Sequence[Callable[[Selector, Element], str | None]] = (
    _published_time_datetime, _published_meta)


def _first_text(elements: Iterable[Element]) -> str | None:
    """The first non-empty one-line text of `elements`."""
    for element in elements:
        text = clean(element_inline_text(element))
        if text:
            return text
    return None
