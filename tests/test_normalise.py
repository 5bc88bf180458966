"""The normalise stage: names, bodies and UK times, including the hour that happens twice."""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from zoneinfo import ZoneInfo

import pytest

from archiver import dates
from archiver.items import Article, Comment, Thread
from archiver.pipelines.normalise import normalise_body, normalise_name, normalise_thread

LONDON = ZoneInfo("Europe/London")
to_local_iso = partial(dates.to_local_iso, zone=LONDON)

ARTICLE = Article(article_id=1, url="http://127.0.0.1:8000/p-1.html", title=" A  title ",
                  author="Ann\u00a0Smith", published_raw="Sun 25th October 2015 - 1:00 am",
                  published_datetime=None, categories=(" News ",), tags=(), body="x",
                  comment_count_declared=None)


def comment(raw: str, *, iso: str | None = None, author: str = "Bob", body: str = "Hi") -> Comment:
    return Comment(comment_id=None, author=author, author_url=None, posted_raw=raw,
                   posted_datetime=iso, body=body, body_html="", position=1,
                   is_post_author=False)


@pytest.mark.parametrize(("raw", "clean"), [
    ("  Caron   Lindsay ", "Caron Lindsay"),
    ("Poppie's\u00a0mum", "Poppie's mum"),
    ("Cafe\u0301", "Caf\u00e9"),  # NFC
    ("\tSIMON BANKS\n", "SIMON BANKS"),
])
def test_names(raw: str, clean: str) -> None:
    assert normalise_name(raw) == clean


@pytest.mark.parametrize(("raw", "clean"), [
    ("One.\n\n\n\nTwo.", "One.\n\nTwo."),
    ("  line one  \nline two\n", "line one\nline two"),
    ("keeps  double  spaces", "keeps  double  spaces"),
    ("nbsp\u00a0kept", "nbsp\u00a0kept"),
    ("crlf\r\n\r\nnext", "crlf\n\nnext"),
    ("\n \n para \n \n", "para"),
])
def test_bodies(raw: str, clean: str) -> None:
    assert normalise_body(raw) == clean


def test_fall_back_hour_follows_the_thread_order() -> None:
    # 25 Oct 2015: 01:00-01:59 happens twice. Comments run oldest first, so a 1:10 after a
    # 1:50 must be the second (GMT) 1:10.
    thread = Thread(article=ARTICLE, source_urls=(), comments=(
        comment("25th Oct '15 - 1:50am"),
        comment("25th Oct '15 - 1:10am"),
        comment("25th Oct '15 - 1:40am"),
    ))
    cleaned, warnings = normalise_thread(thread, LONDON)
    assert warnings == []
    assert [to_local_iso(c.posted_at) for c in cleaned.comments if c.posted_at] == [
        "2015-10-25T01:50:00+01:00", "2015-10-25T01:10:00+00:00", "2015-10-25T01:40:00+00:00"]


def test_machine_time_wins_and_garbage_is_kept_with_a_warning() -> None:
    thread = Thread(article=ARTICLE, source_urls=(), comments=(
        comment("2nd Dec '21 - 10:13am", iso="2021-12-02T10:13:00+00:00"),
        comment("the day after"),
        comment("not read", iso="2015-09-04T08:45:00Z"),
    ))
    cleaned, warnings = normalise_thread(thread, LONDON)
    times = [c.posted_at and to_local_iso(c.posted_at) for c in cleaned.comments]
    assert times == ["2021-12-02T10:13:00+00:00", None, "2015-09-04T09:45:00+01:00"]
    assert len(warnings) == 1 and "the day after" in warnings[0]
    assert cleaned.comments[1].posted_raw == "the day after"
    assert cleaned.article.title == "A title" and cleaned.article.author == "Ann Smith"
    assert cleaned.article.categories == ("News",)


def test_article_time_from_the_byline_in_uk_time() -> None:
    cleaned, _ = normalise_thread(Thread(article=replace(
        ARTICLE, published_raw="Fri 4th September 2015 - 8:30 am"), comments=(), source_urls=()),
        LONDON)
    assert cleaned.article.published_at is not None
    assert to_local_iso(cleaned.article.published_at) == "2015-09-04T08:30:00+01:00"


def test_a_guessed_zone_keeps_each_times_own_offset() -> None:
    # A site that names no zone: the page's offsets are its only word on the clock, so a
    # summer comment after a winter post keeps +01:00 rather than the winter post's +00:00.
    thread = Thread(article=replace(ARTICLE, published_datetime="2005-03-01T09:00:00+00:00"),
                    source_urls=(), comments=(
                        comment("1 June 2024", iso="2024-06-01T12:00:00+01:00"),
                        comment("2 June 2024", iso="2024-06-02T08:00:00-04:00"),
                    ))
    guessed = ZoneInfo("UTC")
    kept, _ = normalise_thread(thread, guessed, keep_offsets=True)
    assert [c.posted_at and c.posted_at.isoformat() for c in kept.comments] == [
        "2024-06-01T12:00:00+01:00", "2024-06-02T08:00:00-04:00"]
    converted, _ = normalise_thread(thread, guessed)
    assert [c.posted_at and c.posted_at.isoformat() for c in converted.comments] == [
        "2024-06-01T11:00:00+00:00", "2024-06-02T12:00:00+00:00"]
