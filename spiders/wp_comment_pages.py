"""Generic WordPress comment pagination: links to an article's other comment pages."""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import parse_qs, urljoin, urlsplit, urlunsplit

from parsel import Selector

from archiver.text import inline_text
from spiders.wp_shared import COMMENT_PAGE, Element, class_tokens, first, is_foreign, node_id

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
        links = strategy(selector, page_url)
        if links:
            return links
    return []


# Only a link whose href names a comment page can lead to one, unless this page is a comment
# page itself ("", "?x" and "#x" keep its path or query); `%` lets encoded query keys through.
_MAY_NAME_COMMENT_PAGE = ("//a[contains(@href, 'comment-page-') or contains(@href, 'cpage')"
                          " or contains(@href, '%')]")
# Every selector in _COMMENT_NAV needs one of these: a cheap test before the union, which costs
# a dozen scans of the whole page.
_COMMENT_NAV_HINT = (
    "boolean(//*[contains(@class, 'comment')"
    " and (contains(@class, 'nav') or contains(@class, 'pagination'))]"
    " | //*[starts-with(@id, 'comment-nav')]"
    " | //*[@id = 'comments']"
    "//*[contains(@class, 'navigation') or contains(@class, 'pagination')])")


def _comment_pages_by_url(selector: Selector, page_url: str) -> list[str]:
    here = _without_fragment(page_url)
    article = _article_of_comment_page(page_url)
    found: list[str] = []
    links = (selector.css("a[href]") if _is_comment_page(here)
             else selector.xpath(_MAY_NAME_COMMENT_PAGE))
    for link in links:
        url = _without_fragment(urljoin(page_url, link.attrib["href"]))
        # The URL test first: it is cheap, and rules out almost every link on a page.
        if not _is_comment_page(url) or _article_of_comment_page(url) != article:
            continue
        # Permalinks and links in comment text say nothing about this page's navigation.
        if is_foreign(link.root) or _inside_comment(link.root):
            continue
        if url != here and url not in found:
            found.append(url)
    return found


def _comment_pages_in_nav(selector: Selector, page_url: str) -> list[str]:
    here = _without_fragment(page_url)
    found: list[str] = []
    if selector.xpath(_COMMENT_NAV_HINT).get() != "1":  # parsel gives a boolean as "1"/"0"
        return found
    for href in selector.css(", ".join(f"{nav} a::attr(href)" for nav in _COMMENT_NAV)).getall():
        url = _without_fragment(urljoin(page_url, href.strip()))
        if url != here and url not in found:
            found.append(url)
    return found


def next_comment_page(selector: Selector, page_url: str) -> str | None:
    """The "Newer Comments" page (WordPress's "next"), or None.

    Strategies, in order, inside comment navigation: `a[rel=next]`; `.nav-next a`,
    `a.next.page-numbers`, `.wp-block-comments-pagination-next`; link text "Newer Comments".
    """
    return _comment_nav_link(selector, page_url, rel="next",
                             css=(".nav-next a", "a.next", "a.wp-block-comments-pagination-next"),
                             text=re.compile(r"newer\s+comments", re.IGNORECASE))


def previous_comment_page(selector: Selector, page_url: str) -> str | None:
    """The "Older Comments" page (WordPress's "previous"), or None; mirror of next."""
    return _comment_nav_link(
        selector, page_url, rel="prev",
        css=(".nav-previous a", "a.prev", "a.wp-block-comments-pagination-previous"),
        text=re.compile(r"older\s+comments", re.IGNORECASE))


def _comment_nav_link(selector: Selector, page_url: str, *, rel: str, css: Sequence[str],
                      text: re.Pattern[str]) -> str | None:
    navs = selector.css(", ".join(_COMMENT_NAV))

    def by_rel() -> str | None:
        return navs.xpath(f".//a[contains(concat(' ', normalize-space(@rel), ' '), ' {rel} ')]"
                          "/@href").get()

    def by_class() -> str | None:
        return navs.css(", ".join(f"{item}::attr(href)" for item in css)).get()

    def by_text() -> str | None:
        for link in navs.css("a[href]"):
            if text.search(inline_text(link.get())):
                return str(link.attrib["href"])
        return None

    href = first(strategy() for strategy in (by_rel, by_class, by_text))
    return _without_fragment(urljoin(page_url, href.strip())) if href else None


def _inside_comment(element: Element) -> bool:
    return any(node_id(a) is not None or (a.tag == "li" and "comment" in class_tokens(a))
               for a in element.iterancestors())


def in_comment_nav(element: Element) -> bool:
    return any(class_tokens(a) & {"comment-navigation", "comments-pagination",
                              "wp-block-comments-pagination"}
               for a in element.iterancestors())


def _without_fragment(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(fragment=""))


def _is_comment_page(url: str) -> bool:
    parts = urlsplit(url)
    return bool(COMMENT_PAGE.search(parts.path) or "cpage" in parse_qs(parts.query))


def _article_of_comment_page(url: str) -> tuple[str, str, str]:
    """(host, path, query) of the article a comment page belongs to."""
    parts = urlsplit(url)
    path = COMMENT_PAGE.sub("", parts.path).rstrip("/")
    query = "&".join(sorted(f"{k}={v}" for k, values in parse_qs(parts.query).items()
                            if k != "cpage" for v in values))
    return parts.netloc, path, query
