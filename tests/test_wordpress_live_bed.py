"""The live WordPress test bed (testing/wordpress_live.py) answers like a real WordPress.

Expected values come from what the tests inserted and from WordPress's own database through the
PHP bridge, never from the archiver's scrapers.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator

import pytest

from testing.wordpress_live import (
    THEMES,
    LiveWordPress,
    LoadedThread,
    load_threads,
    wordpress_unavailable,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def bed() -> Iterator[tuple[LiveWordPress, list[LoadedThread], dict[str, int]]]:
    reason = wordpress_unavailable(install=True)
    if reason:
        pytest.skip(reason)
    with LiveWordPress() as wp:
        threads = load_threads(wp, 3)
        main = threads[0]
        # Comments the pages and the REST API must not show, and one edit.
        held, trashed, edited = wp.batch(
            [
                (
                    "insert_comment",
                    {
                        "post_id": main.post_id,
                        "author": "Held Back",
                        "content": "Awaiting moderation.",
                        "date": "2015-09-05T10:00:00",
                        "approved": 0,
                    },
                ),
                ("trash_comment", {"id": main.comment_ids[5]}),
                (
                    "update_comment",
                    {"id": main.comment_ids[1], "content": "Edited by the test bed."},
                ),
            ]
        )
        yield wp, threads, {"held": held["id"], "trashed": trashed["id"], "edited": edited["id"]}


def words(text: str) -> list[str]:
    """Alphanumeric words of a text or of HTML (tags dropped): survives wpautop and wptexturize."""
    return re.findall(r"\w+", html.unescape(re.sub(r"</?[a-zA-Z][^>]*>", " ", text)).lower())


def test_bed_comes_up_quickly(bed):
    wp, threads, _ = bed
    assert wp.running
    assert wp.timings["total"] < 60, wp.timings
    status, _, body = wp.get("/")
    assert status == 200 and "Live Test Bed" in body
    assert [t.truth_post_id for t in threads] == [t.post_id for t in threads]  # truth ids kept


def test_expected_comments_follow_the_database(bed):
    wp, threads, special = bed
    main = threads[0]
    truth = wp.expected_comments(main.post_id)
    ids = [c["id"] for c in truth]
    assert special["held"] not in ids
    assert special["trashed"] not in ids
    assert sorted(ids) == sorted(set(main.comment_ids) - {special["trashed"]})
    by_id = {c["id"]: c for c in truth}
    assert by_id[special["edited"]]["content"] == "Edited by the test bed."
    for child, parent in main.parents.items():
        if child in by_id:
            assert by_id[child]["parent"] == parent
    assert {c["id"] for c in wp.expected_comments()} >= set(ids)
    held = wp.expected_comments(main.post_id, status="hold")
    assert [c["id"] for c in held] == [special["held"]]
    posts = {p["id"]: p for p in wp.expected_posts()}
    assert set(posts) == {t.post_id for t in threads}
    assert posts[main.post_id]["link"] == main.link
    # London time: 4 Sep 2015 was in BST, one hour ahead of UTC.
    first = by_id[main.comment_ids[0]]
    assert (first["date"], first["date_gmt"]) == ("2015-09-04 09:45:00", "2015-09-04 08:45:00")


@pytest.mark.parametrize("theme", THEMES)
def test_article_pages_show_the_approved_comments(bed, theme):
    wp, threads, special = bed
    wp.switch_theme(theme)
    for thread in threads:
        status, _, body = wp.get(thread.link[len(wp.base_url) :])
        assert status == 200
        truth = wp.expected_comments(thread.post_id)
        assert truth
        for comment in truth:
            assert f'id="comment-{comment["id"]}"' in body, (theme, comment["id"])
        shown = set(map(int, re.findall(r'id="comment-(\d+)"', body)))
        assert shown == {c["id"] for c in truth} | set(thread.pingback_ids)
        assert f'id="comment-{special["held"]}"' not in body
        assert f'id="comment-{special["trashed"]}"' not in body


def test_rest_lists_the_comments_with_their_total(bed):
    wp, threads, _ = bed
    for thread in threads:
        status, headers, body = wp.get(
            f"/wp-json/wp/v2/comments?post={thread.post_id}&per_page=100"
        )
        assert status == 200
        answer = json.loads(body)
        truth = wp.expected_comments(thread.post_id)
        assert int(headers["X-WP-Total"]) == len(truth) == len(answer)
        rest = {c["id"]: c for c in answer}
        assert set(rest) == {c["id"] for c in truth}
        for comment in truth:
            got = rest[comment["id"]]
            assert got["post"] == comment["post_id"]
            assert got["parent"] == comment["parent"]
            assert got["author_name"] == comment["author"]
            assert got["author_url"] == comment["author_url"]
            assert got["date"] == comment["date"].replace(" ", "T")
            assert got["date_gmt"] == comment["date_gmt"].replace(" ", "T")
            assert words(got["content"]["rendered"]) == words(comment["content"])


def test_blocked_rest_answers_401(bed):
    wp, threads, _ = bed
    wp.block_rest(True)
    try:
        status, _, body = wp.get(f"/wp-json/wp/v2/comments?post={threads[0].post_id}")
        assert status == 401
        assert json.loads(body)["code"] == "rest_cannot_access"
        status, _, body = wp.get(threads[0].link[len(wp.base_url) :])
        assert status == 200 and f'id="comment-{threads[0].comment_ids[0]}"' in body
    finally:
        wp.block_rest(False)
    status, _, _ = wp.get(f"/wp-json/wp/v2/comments?post={threads[0].post_id}")
    assert status == 200


def test_plain_permalinks_leave_rest_only_at_rest_route(bed):
    wp, threads, _ = bed
    thread = threads[0]
    wp.set_permalinks("")
    try:
        status, _, _ = wp.get(f"/wp-json/wp/v2/comments?post={thread.post_id}")
        assert status == 404
        status, headers, body = wp.get(
            f"/?rest_route=/wp/v2/comments&post={thread.post_id}&per_page=100"
        )
        assert status == 200
        assert int(headers["X-WP-Total"]) == len(wp.expected_comments(thread.post_id))
        plain = wp.expected_posts([thread.post_id])[0]["link"]
        assert plain == f"{wp.base_url}/?p={thread.post_id}"
        status, _, body = wp.get(f"/?p={thread.post_id}")
        assert status == 200 and f'id="comment-{thread.comment_ids[0]}"' in body
    finally:
        wp.set_permalinks(wp.permalinks)
    status, _, _ = wp.get(thread.link[len(wp.base_url) :])
    assert status == 200


def test_paged_comments_split_as_wordpress_says(bed):
    wp, threads, _ = bed
    thread = threads[0]
    wp.switch_theme("twentytwentyone")
    wp.set_options(page_comments=1, comments_per_page=10)
    try:
        truth = wp.expected_comments(thread.post_id, pages=True)
        pages = sorted({c["page"] for c in truth})
        assert len(pages) > 1
        for page in pages:
            status, _, body = wp.get(thread.link[len(wp.base_url) :] + f"comment-page-{page}/")
            assert status == 200
            shown = set(map(int, re.findall(r'id="comment-(\d+)"', body)))
            assert shown == {c["id"] for c in truth if c["page"] == page}
    finally:
        wp.set_options(page_comments=0, comments_per_page=50)


def test_edits_trash_and_approval_show_through(bed):
    wp, threads, _ = bed
    post_id = threads[-1].post_id
    new = wp.insert_comment(
        post_id=post_id,
        author="Bed Tester",
        author_email="t@example.org",
        content="First words.",
        date_gmt="2021-12-03 10:00:00",
        approved=0,
    )
    path = f"/wp-json/wp/v2/comments?post={post_id}&per_page=100"
    assert new not in {c["id"] for c in json.loads(wp.get(path)[2])}
    wp.approve_comment(new)
    wp.update_comment(new, content="Second words.")
    got = {c["id"]: c for c in json.loads(wp.get(path)[2])}
    assert words(got[new]["content"]["rendered"]) == ["second", "words"]
    assert {c["id"]: c["date"] for c in wp.expected_comments(post_id)}[new] == "2021-12-03 10:00:00"
    wp.trash_comment(new)
    assert new not in {c["id"] for c in wp.expected_comments(post_id)}
    assert new not in {c["id"] for c in json.loads(wp.get(path)[2])}
