"""The dedupe stage: one row per comment, never merging two different comments."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from archiver.items import Article, Comment, Thread
from archiver.pipelines.dedupe import dedupe_thread, derived_comment_id

LONDON = ZoneInfo("Europe/London")

ARTICLE = Article(article_id=5, url="u", title="t", author=None, published_raw=None,
                  published_datetime=None, categories=(), tags=(), body="",
                  comment_count_declared=None)
AT = datetime(2015, 9, 4, 9, 45, tzinfo=LONDON)


def comment(comment_id: int | None, body: str, author: str = "Bob",
            at: datetime | None = AT) -> Comment:
    return Comment(comment_id=comment_id, author=author, author_url=None, posted_raw="raw",
                   posted_datetime=None, body=body, body_html="", position=9,
                   is_post_author=False, posted_at=at)


def run(*comments: Comment) -> tuple[list[tuple[int | None, str, int]], int]:
    thread, dropped = dedupe_thread(Thread(article=ARTICLE, comments=comments, source_urls=()))
    return [(c.comment_id, c.body, c.position) for c in thread.comments], dropped


def test_same_wordpress_id_twice_is_one_comment() -> None:
    assert run(comment(1, "a"), comment(2, "b"), comment(1, "a")) == (
        [(1, "a", 1), (2, "b", 2)], 1)


def test_same_author_and_minute_with_different_bodies_stay_two() -> None:
    kept, dropped = run(comment(None, "first"), comment(None, "second"))
    assert dropped == 0 and [body for _, body, _ in kept] == ["first", "second"]
    assert kept[0][0] != kept[1][0]
    assert all(cid is not None and cid < 0 for cid, _, _ in kept)


def test_idless_repeat_of_the_same_comment_is_dropped() -> None:
    kept, dropped = run(comment(None, "same"), comment(None, "same"))
    assert dropped == 1 and len(kept) == 1


def test_derived_ids_are_stable_and_case_insensitive_on_author() -> None:
    first, _ = run(comment(None, "x", author="Bob"))
    again, _ = run(comment(None, "x", author="BOB"))
    assert first[0][0] == again[0][0] == derived_comment_id(5, ("bob", "2015-09-04T08:45:00Z"), 0)


def test_undated_comments_key_on_their_raw_text() -> None:
    kept, dropped = run(comment(None, "a", at=None), comment(None, "b", at=None))
    assert dropped == 0 and len(kept) == 2
