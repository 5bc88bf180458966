"""Generic WordPress comment pagination: links to an article's other comment pages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

from parsel import Selector

from archiver.urls import without_fragment
from archiver.wordpress.query import (
    LINKS,
    PAGE_CLASSES,
    by_id,
    css,
    first_result,
    has_mark,
    has_rel,
    xpath,
)
from archiver.wordpress.shared import Element, class_tokens, first, is_foreign, node_id
from archiver.wordpress.text import element_inline_text

# A comment page is `<article>/comment-page-N/` or `<article>?cpage=N`.
_COMMENT_PAGE_SEGMENT = r"comment-page-(\d+)"
COMMENT_PAGE = re.compile(rf"/{_COMMENT_PAGE_SEGMENT}/?$")  # the path's last segment
# Its number: the first the URL names, wherever it stands (path, query or fragment).
_PAGE_NUMBER = re.compile(rf"{_COMMENT_PAGE_SEGMENT}|[?&]cpage=(\d+)")

_COMMENT_NAV = (
    ".comment-navigation", ".comments-navigation", ".comment-nav", "#comment-nav-above",
    "#comment-nav-below", ".comments-pagination", ".comment-pagination",
    ".wp-block-comments-pagination", "#comments .navigation", "#comments .pagination",
)


def comment_page_links(selector: Selector, page_url: str) -> list[str]:
    """Every other comment page of this article linked from this one, absolute, in page order.

    Page: an article page or one of its comment pages (`<url>/comment-page-N/`,
    `?cpage=N`). Whichever end WordPress shows first (oldest or newest), fetching every
    link found here and on the pages it leads to reaches all pages. Strategies, in order:
    links whose URL is a comment page of the same article; else any link in a comment
    navigation block (`.comment-navigation`, `.wp-block-comments-pagination`, …).
    """
    for strategy in (_comment_pages_by_url, _comment_pages_in_nav):
        links = strategy(selector.root, page_url)
        if links:
            return links
    return []


# Only a link whose href names a comment page can lead to one, unless this page is a comment
# page itself ("", "?x" and "#x" keep its path or query); `%` lets encoded query keys through.
_COMMENT_PAGE_MARKS = ("comment-page-", "cpage", "%")
_MAY_NAME_COMMENT_PAGE = xpath("/descendant::a[" + " or ".join(
    f"contains(@href, '{mark}')" for mark in _COMMENT_PAGE_MARKS) + "]")
# Every href on the page in one string: when no mark is in it, no link needs a look.
_ALL_HREFS = xpath("str:concat(/descendant::a/@href)")


def _comment_pages_by_url(page: Element, page_url: str) -> list[str]:
    here = without_fragment(page_url)
    article = _article_of_comment_page(page_url)
    found: list[str] = []
    if _is_comment_page(here):
        links = LINKS(page)
    elif has_mark(_ALL_HREFS(page), _COMMENT_PAGE_MARKS):
        links = _MAY_NAME_COMMENT_PAGE(page)
    else:
        return found
    for link in links:
        url = without_fragment(urljoin(page_url, link.get("href")))
        # The URL test first: it is cheap, and rules out almost every link on a page.
        if not _is_comment_page(url) or _article_of_comment_page(url) != article:
            continue
        # Permalinks and links in comment text say nothing about this page's navigation.
        if is_foreign(link) or _inside_comment(link):
            continue
        if url != here and url not in found:
            found.append(url)
    return found


_NAV_HREFS = css(", ".join(f"{nav} a::attr(href)" for nav in _COMMENT_NAV))


def _comment_pages_in_nav(page: Element, page_url: str) -> list[str]:
    here = without_fragment(page_url)
    found: list[str] = []
    if not _may_have_comment_nav(page):
        return found
    for href in _NAV_HREFS(page):
        url = without_fragment(urljoin(page_url, href.strip()))
        if url != here and url not in found:
            found.append(url)
    return found


# Each class in _COMMENT_NAV holds one of these; `#comments .navigation` needs the last two.
_NAV_CLASS_MARKS = ("comment-nav", "comments-nav", "comment-pagination", "comments-pagination")
_SECTION_CLASS_MARKS = ("navigation", "pagination")
# Every class on the page in one string (PAGE_CLASSES), or in two: before the first
# `#comments` (and on it and its ancestors), and from inside it to the end.
_CLASSES_BEFORE = xpath(
    "concat(str:concat(preceding::*/@class), ' ', str:concat(ancestor-or-self::*/@class))")
_CLASSES_FROM = xpath(
    "concat(str:concat(descendant::*/@class), ' ', str:concat(following::*/@class))")


def _may_have_comment_nav(page: Element) -> bool:
    """False when no element can match _COMMENT_NAV: a few lookups and string tests instead
    of the union, which scans the whole page once per selector."""
    if by_id(page, "comment-nav-above") is not None or by_id(page, "comment-nav-below") is not None:
        return True
    comments = by_id(page, "comments")
    if comments is None:
        return has_mark(PAGE_CLASSES(page), _NAV_CLASS_MARKS)
    # Any other `#comments` comes after the first, so `#comments .navigation` can only be there.
    from_comments = _CLASSES_FROM(comments)
    return (has_mark(from_comments, _NAV_CLASS_MARKS + _SECTION_CLASS_MARKS)
            or has_mark(_CLASSES_BEFORE(comments), _NAV_CLASS_MARKS))


@dataclass(frozen=True)
class _Direction:
    """How comment navigation marks one direction: rel, theme classes, link text."""

    rel: Any
    classes: Any
    label: re.Pattern[str]


_NEWER = _Direction(
    rel=xpath(f"descendant::a[{has_rel('next')}]/@href"),
    classes=css(".nav-next a::attr(href), a.next::attr(href), "
                "a.wp-block-comments-pagination-next::attr(href)"),
    label=re.compile(r"newer\s+comments", re.IGNORECASE))
_OLDER = _Direction(
    rel=xpath(f"descendant::a[{has_rel('prev')}]/@href"),
    classes=css(".nav-previous a::attr(href), a.prev::attr(href), "
                "a.wp-block-comments-pagination-previous::attr(href)"),
    label=re.compile(r"older\s+comments", re.IGNORECASE))
_NAVS = css(", ".join(_COMMENT_NAV))


def next_comment_page(selector: Selector, page_url: str) -> str | None:
    """The "Newer Comments" page (WordPress's "next"), or None.

    Strategies, in order, inside comment navigation: `a[rel=next]`; `.nav-next a`,
    `a.next.page-numbers`, `.wp-block-comments-pagination-next`; link text "Newer Comments".
    """
    return _comment_nav_link(selector.root, page_url, _NEWER)


def previous_comment_page(selector: Selector, page_url: str) -> str | None:
    """The "Older Comments" page (WordPress's "previous"), or None; mirror of next."""
    return _comment_nav_link(selector.root, page_url, _OLDER)


def _comment_nav_link(page: Element, page_url: str, direction: _Direction) -> str | None:
    navs = _NAVS(page) if _may_have_comment_nav(page) else []

    def by_rel() -> str | None:
        return first(first_result(direction.rel, nav) for nav in navs)

    def by_class() -> str | None:
        return first(first_result(direction.classes, nav) for nav in navs)

    def by_text() -> str | None:
        for nav in navs:
            for link in LINKS(nav):
                if direction.label.search(element_inline_text(link)):
                    return str(link.get("href"))
        return None

    href = first(strategy() for strategy in (by_rel, by_class, by_text))
    return without_fragment(urljoin(page_url, href.strip())) if href else None


def _inside_comment(element: Element) -> bool:
    return any(node_id(a) is not None or (a.tag == "li" and "comment" in class_tokens(a))
               for a in element.iterancestors())


def in_comment_nav(element: Element) -> bool:
    return any(class_tokens(a) & {"comment-navigation", "comments-pagination",
                              "wp-block-comments-pagination"}
               for a in element.iterancestors())


def comment_page_number(url: str) -> int | None:
    """The comment page number `url` names (`comment-page-N`, `?cpage=N`), or None."""
    match = _PAGE_NUMBER.search(url)
    if match is None:
        return None
    return int(match[1] or match[2])


def article_path(path: str) -> str:
    """The path of the article a comment page's `path` belongs to (any other path: itself),
    without trailing slashes."""
    return COMMENT_PAGE.sub("", path).rstrip("/")


def _is_comment_page(url: str) -> bool:
    parts = urlsplit(url)
    return bool(COMMENT_PAGE.search(parts.path) or "cpage" in parse_qs(parts.query))


def _article_of_comment_page(url: str) -> tuple[str, str, str]:
    """(host, path, query) of the article a comment page belongs to."""
    parts = urlsplit(url)
    path = article_path(parts.path)
    query = "&".join(sorted(f"{k}={v}" for k, values in parse_qs(parts.query).items()
                            if k != "cpage" for v in values))
    return parts.netloc, path, query
