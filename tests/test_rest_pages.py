"""The REST API's answers as items: offsets, zones, URLs, refusals, and threads from pages."""

from __future__ import annotations

import json
from typing import Any

import pytest
from scrapy.http import HtmlResponse, Request, TextResponse

from archiver.wordpress.rest import (
    NotRest,
    candidate_roots,
    check_index,
    comment_from_rest,
    local_iso,
    read_json,
    rest_root_from_page,
    rest_url,
    site_timezone,
)
from archiver.wordpress.rest_batch import RestBatch


def answer(body: Any, status: int = 200, kind: str = "application/json; charset=UTF-8",
           url: str = "http://127.0.0.1:8000/wp-json/wp/v2/comments") -> TextResponse:
    return TextResponse(url, status=status, body=json.dumps(body).encode(),
                        headers={"Content-Type": kind}, request=Request(url))


@pytest.mark.parametrize(("date", "date_gmt", "expected"), [
    ("2021-03-05T15:04:00", "2021-03-05T20:04:00", "2021-03-05T15:04:00-05:00"),  # New York
    ("2021-07-05T15:04:00", "2021-07-05T14:04:00", "2021-07-05T15:04:00+01:00"),  # BST
    ("2021-07-05T15:04:00", "2021-07-05T09:34:00", "2021-07-05T15:04:00+05:30"),  # India
    ("2021-07-05T15:04:00", None, "2021-07-05T15:04:00"),
])
def test_the_offset_is_the_difference_of_local_and_utc(date: str, date_gmt: str | None,
                                                       expected: str) -> None:
    assert local_iso(date, date_gmt) == expected


@pytest.mark.parametrize(("index", "zone"), [
    ({"timezone_string": "America/New_York", "gmt_offset": -5}, "America/New_York"),
    ({"timezone_string": "", "gmt_offset": "-5"}, "Etc/GMT+5"),
    ({"timezone_string": "", "gmt_offset": 2}, "Etc/GMT-2"),
    ({"timezone_string": "", "gmt_offset": 0}, "UTC"),
    ({"timezone_string": "", "gmt_offset": 5.5}, None),
    ({}, None),
])
def test_the_site_zone_comes_from_its_settings(index: dict[str, Any], zone: str | None) -> None:
    assert site_timezone(index) == zone


def test_rest_urls_with_and_without_pretty_permalinks() -> None:
    assert rest_url("http://h/wp-json/", "wp/v2/comments", per_page=100, post=[3, 1]) == (
        "http://h/wp-json/wp/v2/comments?per_page=100&post=1%2C3")
    assert rest_url("http://h/?rest_route=/", "wp/v2/posts", page=2) == (
        "http://h/?rest_route=/wp/v2/posts&page=2")
    assert candidate_roots("http://h", "http://h/api/") == [
        "http://h/api/", "http://h/wp-json/", "http://h/?rest_route=/"]


def test_the_announced_root_is_read_from_the_header_or_the_head() -> None:
    page = HtmlResponse("http://h/", body=b'<html><head><link rel="https://api.w.org/" '
                        b'href="http://h/wp-json/"></head><body></body></html>')
    assert rest_root_from_page(page) == "http://h/wp-json/"
    headed = HtmlResponse("http://h/", body=b"<html></html>", headers={
        "Link": '<http://h/index.php?rest_route=/>; rel="https://api.w.org/"'})
    assert rest_root_from_page(headed) == "http://h/index.php?rest_route=/"
    assert rest_root_from_page(HtmlResponse("http://h/", body=b"<html></html>")) is None


@pytest.mark.parametrize(("response", "reason"), [
    (answer({"code": "rest_cannot_access", "message": "Only authenticated users"}, 401),
     "REST API refused (401, rest_cannot_access)"),
    (answer({"code": "rest_no_route"}, 404), "REST API answered 404"),
    (answer("<html>challenge</html>", kind="text/html"), "where JSON was due"),
])
def test_a_blocked_api_is_named(response: TextResponse, reason: str) -> None:
    with pytest.raises(NotRest, match=reason.replace("(", r"\(").replace(")", r"\)")):
        read_json(response)


def test_an_index_without_wp_v2_is_not_wordpress() -> None:
    with pytest.raises(NotRest):
        check_index({"namespaces": ["oembed/1.0"]})
    check_index({"namespaces": ["oembed/1.0", "wp/v2"]})


def test_a_comment_keeps_its_parent_offset_and_text() -> None:
    comment = comment_from_rest({
        "id": 12, "post": 3, "parent": 9, "author": 2, "author_name": "Ann",
        "author_url": "", "date": "2021-03-05T15:04:00", "date_gmt": "2021-03-05T20:04:00",
        "content": {"rendered": "<p>One &amp; two</p>\n<p>Three</p>\n"}}, 4, post_author=2)
    assert (comment.comment_id, comment.parent_id, comment.position, comment.source) == (
        12, 9, 4, "rest")
    assert comment.posted_datetime == "2021-03-05T15:04:00-05:00"
    assert comment.body == "One & two\n\nThree"
    assert comment.is_post_author and comment.author_url is None


def post(post_id: int) -> dict[str, Any]:
    return {"id": post_id, "link": f"http://h/p{post_id}/", "title": {"rendered": f"P{post_id}"},
            "date": "2021-01-01T10:00:00", "date_gmt": "2021-01-01T10:00:00",
            "content": {"rendered": "<p>x</p>"}, "author": 1}


def entry(comment_id: int, post_id: int) -> dict[str, Any]:
    return {"id": comment_id, "post": post_id, "parent": 0, "author_name": "A",
            "date": "2021-01-02T10:00:00", "date_gmt": f"2021-01-02T10:{comment_id:02d}:00",
            "content": {"rendered": f"<p>c{comment_id}</p>"}}


def test_threads_are_let_go_in_post_order_whatever_order_pages_arrive() -> None:
    batch = RestBatch(None)
    batch.add_posts([post(1), post(2), post(3), post(4)])
    batch.comment_pages = 2
    # Page 2 first: nothing can be let go until page 1 is in.
    assert list(batch.add_comment_page(2, [entry(5, 3), entry(6, 4)])) == []
    threads = list(batch.add_comment_page(1, [entry(1, 1), entry(2, 1), entry(4, 3)]))
    assert [(t.article.article_id, [c.comment_id for c in t.comments], t.complete)
            for t in threads] == [(1, [1, 2], True), (2, [], True), (3, [4, 5], True),
                                  (4, [6], True)]
    # Whole reads declare their count, so a thread now empty marks its comments removed.
    assert [t.article.comment_count_declared for t in threads] == [2, 0, 2, 1]


def test_a_thread_is_dated_by_the_pages_read_up_to_the_one_that_completes_it() -> None:
    """The same pages arriving in another order (live, or re-parsed from the capture) give
    every thread the same moment: the latest fetch among the pages read, in page order, up
    to the one that lets it go (never before a page holding one of its comments)."""
    pages = {1: [entry(1, 1), entry(2, 1)], 2: [entry(3, 2), entry(4, 3)], 3: [entry(5, 3)]}
    for moments, expected in (
            # Fetched in page order: post 1 ends on page 2, post 2 too, posts 3 and 4 at the end.
            ({1: "10:00:01", 2: "10:00:02", 3: "10:00:03"},
             {1: "10:00:02", 2: "10:00:02", 3: "10:00:03", 4: "10:00:03"}),
            # Page 3 fetched before page 2: the threads read after page 2 keep its time.
            ({1: "10:00:01", 2: "10:00:05", 3: "10:00:03"},
             {1: "10:00:05", 2: "10:00:05", 3: "10:00:05", 4: "10:00:05"})):
        for order in ((1, 2, 3), (3, 2, 1), (2, 3, 1)):
            batch = RestBatch(None)
            batch.add_posts([post(1), post(2), post(3), post(4)])
            batch.comment_pages = 3
            threads = [thread for page in order for thread in batch.add_comment_page(
                page, pages[page], None, f"2021-02-01T{moments[page]}Z")]
            assert {t.article.article_id: t.fetched_at for t in threads} == {
                post_id: f"2021-02-01T{at}Z" for post_id, at in expected.items()}, order


def test_a_lost_page_makes_every_thread_it_may_touch_incomplete() -> None:
    batch = RestBatch(None)
    batch.add_posts([post(1), post(2), post(3), post(4)])
    batch.comment_pages = 3
    threads = [*batch.add_comment_page(1, [entry(1, 1)]), *batch.add_comment_page(2, None),
               *batch.add_comment_page(3, [entry(7, 3), entry(8, 4)])]
    assert [(t.article.article_id, t.complete) for t in threads] == [
        (1, False), (2, False), (3, False), (4, True)]
    assert all(t.article.comment_count_declared is None for t in threads[:3])


def test_a_total_that_changes_between_pages_makes_the_boundary_threads_incomplete() -> None:
    # Comment 3 was trashed after page 1 was answered: page 2's offset skipped comment 4,
    # which moved onto page 1, so post 2's thread was read without it.
    batch = RestBatch(None)
    batch.add_posts([post(1), post(2), post(3)])
    batch.comment_pages = 2
    threads = [*batch.add_comment_page(1, [entry(1, 1), entry(2, 1), entry(3, 2)], total=6),
               *batch.add_comment_page(2, [entry(5, 2), entry(6, 3)], total=5)]
    assert [(t.article.article_id, t.complete) for t in threads] == [
        (1, True), (2, False), (3, False)]
    steady = RestBatch(None)
    steady.add_posts([post(1), post(2)])
    steady.comment_pages = 2
    threads = [*steady.add_comment_page(1, [entry(1, 1)], total=2),
               *steady.add_comment_page(2, [entry(2, 2)], total=2)]
    assert all(t.complete for t in threads)


def test_comments_on_posts_not_listed_wait_as_orphans() -> None:
    batch = RestBatch(None)
    batch.add_posts([post(1)])
    batch.comment_pages = 1
    threads = list(batch.add_comment_page(1, [entry(1, 1), entry(2, 99)]))
    assert [t.article.article_id for t in threads] == [1]
    assert set(batch.orphans) == {99}
