"""The query shortcuts give what the page-wide scans they replace give, traps included."""

from __future__ import annotations

from typing import Any

from parsel import Selector

from archiver.wordpress.query import (
    _EXSLT_RUNS_PER_COMPILE,
    by_id,
    first_in_page,
    has_class,
    head_first,
    xpath,
)


def page(html: str) -> Any:
    return Selector(text=html).root


def text(element: Any | None) -> str:
    assert element is not None
    return str(element.text)


def test_by_id_is_the_first_element_with_the_id() -> None:
    # libxml2's id index also takes `<a name>`, and keeps only the first of a duplicated id.
    root = page("<a name='comments'></a><p id='comments'>1</p><div id='comments'>2</div>")
    assert text(by_id(root, "comments")) == "1"
    assert text(by_id(page("<p id='x'>1</p><div id='x'>2</div>"), "x")) == "1"
    assert by_id(root, "respond") is None


def test_head_first_is_the_first_match_in_the_page() -> None:
    canonical = head_first("link[rel='canonical']::attr(href)")
    assert canonical.find(page("<head><link rel='canonical' href='/a'></head>"
                               "<body><link rel='canonical' href='/b'></body>")) == "/a"
    # No head before the body: the page is scanned.
    assert canonical.find(page("<p>x</p><link rel='canonical' href='/b'>")) == "/b"


def test_first_in_page_looks_before_the_likely_element() -> None:
    sought = first_in_page(has_class("entry-meta"), "entry-meta")
    root = page("<header><div class='entry-meta'>1</div></header>"
                "<article id='post-1'><div class='entry-meta'>2</div></article>")
    region = by_id(root, "post-1")
    assert text(sought.find(root, region)) == "1"
    assert text(sought.find(root, None)) == "1"
    only_in_post = page("<article id='post-1'><div class='entry-meta'>2</div></article>")
    assert text(sought.find(only_in_post, by_id(only_in_post, "post-1"))) == "2"


def test_a_query_keeps_no_trace_of_the_pages_it_ran_on() -> None:
    # libxml2 reports every EXSLT `str:concat` as an error and lxml keeps each report in the
    # query's log: a crawl of a million pages would keep a million of them per query.
    classes = xpath("str:concat(/descendant::*/@class)")
    root = page("<p class='a'>x</p><p class='b'>y</p>")
    runs = 3 * _EXSLT_RUNS_PER_COMPILE + 7
    for _ in range(runs):
        assert classes(root) == "ab"
    assert len(classes.compiled.error_log) < _EXSLT_RUNS_PER_COMPILE
