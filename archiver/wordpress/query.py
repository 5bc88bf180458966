"""Compiled queries for the page functions: each written once, run on a page's lxml elements."""

# A parsel `.css()` call translates its selector and scans the whole page every time. Here a
# query is compiled at import and run on the element that can hold the answer (the post, the
# head); a query that only needs its first match ends in `[1]`, which libxml2 stops at.

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from lxml import etree
from parsel.csstranslator import css2xpath

from archiver.wordpress.shared import Element

# `str:concat` (EXSLT) joins a node-set's values in C: every class on a page in one string.
# Declaring the prefix costs every run of a query about a microsecond: only those using it do.
_NAMESPACES = {"str": "http://exslt.org/strings"}


# libxml2 2.14 logs a spurious error ("ERR_NO_MEMORY: unknown error", the result is right) for
# every `str:concat`, and lxml keeps each in the compiled query's error log for as long as the
# query lives: about 100 bytes a page per query, so a crawl's memory grew with its pages. Such a
# query is compiled afresh after this many runs (a few microseconds), which drops its log.
_EXSLT_RUNS_PER_COMPILE = 500


class _ExsltQuery:
    """An EXSLT query whose error log is dropped every `_EXSLT_RUNS_PER_COMPILE` runs."""

    def __init__(self, query: str) -> None:
        self.query = query
        self.runs = 0
        self.compiled = self.compile()

    def compile(self) -> Any:
        return etree.XPath(self.query, namespaces=_NAMESPACES, smart_strings=False)

    def __call__(self, element: Element, **variables: str) -> Any:
        self.runs += 1
        if self.runs % _EXSLT_RUNS_PER_COMPILE == 0:
            self.compiled = self.compile()
        return self.compiled(element, **variables)


def xpath(query: str) -> Any:
    """`query` compiled; values come back as plain `str`."""
    if "str:" in query:
        return _ExsltQuery(query)
    return etree.XPath(query, smart_strings=False)


def css(query: str) -> Any:
    """A CSS selector compiled as parsel runs it (`::attr()` and `::text` included)."""
    return xpath(css2xpath(query))


@cache
def css_union(selectors: tuple[str, ...]) -> Any:
    """`selectors` compiled as one CSS selector list, once per tuple (a theme's hints)."""
    return css(", ".join(selectors))


def has_class(name: str) -> str:
    """XPath test for a class token, as cssselect writes it (the cheap `contains` first)."""
    return _has_token("class", name)


def has_rel(name: str) -> str:
    """XPath test for a `rel` token."""
    return _has_token("rel", name)


def _has_token(attribute: str, name: str) -> str:
    return (f"(@{attribute} and contains(@{attribute}, '{name}') and "
            f"contains(concat(' ', normalize-space(@{attribute}), ' '), ' {name} '))")


def has_mark(text: str, marks: Iterable[str]) -> bool:
    """Whether any of `marks` is in `text` (attribute values joined by `str:concat`)."""
    return any(mark in text for mark in marks)


def first_result(query: Any, element: Element, **variables: str) -> Any | None:
    found = query(element, **variables)
    return found[0] if found else None


LINKS = css("a[href]")
# Every class on the page in one string: a few substring tests then rule out whole queries.
PAGE_CLASSES = xpath("str:concat(/descendant::*/@class)")


# libxml2 indexes a page's ids as it parses it, so `id()` is a lookup where `[@id = …]` is a
# scan. The index keeps the first element of a duplicated id, and in HTML it takes `<a name>`
# too: a hit that is not an element with that id sends us to the scan.
_ID_INDEX = xpath("id($name)")
_ID_SCAN = xpath("/descendant::*/@id[. = $name]/..")


def by_id(page: Element, name: str) -> Element | None:
    """The first element with this id (CSS `#name`; `name` has no spaces), or None."""
    found = _ID_INDEX(page, name=name)
    if not found:
        return None
    if found[0].get("id") == name:
        return found[0]
    return first_result(_ID_SCAN, page, name=name)


@dataclass(frozen=True)
class HeadFirst:
    """A page-wide query for head tags, asked of the head first."""

    in_head: Any
    anywhere: Any

    def find(self, page: Element) -> Any | None:
        found = first_result(self.in_head, page)
        return found if found is not None else first_result(self.anywhere, page)


def head_first(selector: str) -> HeadFirst:
    """The first match of one CSS selector for head tags (`link`, `meta`, never `html`).

    When the head is the page's first element it comes before everything that could match,
    so its answer is the page's; only a page without one (or without a head) is scanned.
    """
    query = css2xpath(selector)
    return HeadFirst(in_head=xpath(f"/html/*[1][self::head]/{query}"), anywhere=xpath(query))


@dataclass(frozen=True)
class FirstInPage:
    """How to find the page's first element passing a test without testing the whole page."""

    near: Any      # the first passing element in the region where it usually is
    before: Any    # whether an element before a given one might pass
    anywhere: Any  # the first passing element in the page, by scan

    def find(self, page: Element, region: Element | None) -> Element | None:
        likely = first_result(self.near, region) if region is not None else None
        if likely is not None and not self.before(likely):
            return likely
        return first_result(self.anywhere, page)


def first_in_page(test: str, mark: str, *, near: str = "descendant-or-self::*") -> FirstInPage:
    """The first element passing `test`, where every passing element has `mark` in its class
    attribute or as its id; `near` steps from the region to where it usually is."""
    # Whether an element before has the mark, from its ids compared as a set and its classes
    # joined in one string: no test runs per element, and those are what make a scan slow.
    before = " or ".join(
        (f"preceding::*/@id = '{mark}'", f"ancestor::*/@id = '{mark}'",
         f"contains(str:concat(preceding::*/@class), '{mark}')",
         f"contains(str:concat(ancestor::*/@class), '{mark}')"))
    return FirstInPage(near=xpath(f"({near})[{test}][1]"), before=xpath(before),
                       anywhere=xpath(f"/descendant::*[{test}][1]"))
