"""Table tests for UK date parsing across BST/GMT changes and typographic variants."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from functools import partial
from zoneinfo import ZoneInfo

import pytest

from archiver import dates
from archiver.dates import DateParseError, to_utc_iso

LONDON = ZoneInfo("Europe/London")
# The site's zone is a parameter of the parsers; these tables are all in London time.
parse_comment_date = partial(dates.parse_comment_date, zone=LONDON)
parse_article_date = partial(dates.parse_article_date, zone=LONDON)
parse_iso = partial(dates.parse_iso, zone=LONDON)
to_local_iso = partial(dates.to_local_iso, zone=LONDON)
BST = timezone(timedelta(hours=1))
GMT = UTC

# Written as escapes so the tables show exactly which character is under test.
RSQUO = "\u2019"
NDASH = "\u2013"
MDASH = "\u2014"
NBSP = "\u00a0"
NNBSP = "\u202f"

# Europe/London in 2015 and 2021:
#   spring: 2015-03-29 and 2021-03-28, 01:00 GMT jumps to 02:00 BST (01:00-01:59 never happens)
#   autumn: 2015-10-25 and 2021-10-31, 02:00 BST falls back to 01:00 GMT (01:00-01:59 twice)

COMMENT_CASES = [
    # (text, not_before, expected isoformat, id)
    pytest.param("4th Sep '15 - 9:45am", None, "2015-09-04T09:45:00+01:00", id="bst-plain"),
    # WordPress's default formats: " at " and a 24-hour clock.
    pytest.param("1 June 2023 at 12:30", None, "2023-06-01T12:30:00+01:00", id="wp-default-noon"),
    pytest.param("5 January 2021 at 23:05", None, "2021-01-05T23:05:00+00:00", id="wp-default-24h"),
    pytest.param("4th Sep '15 - 9:45", None, "2015-09-04T09:45:00+01:00", id="no-am-pm-24h"),
    pytest.param("2nd Dec '21 - 10:13am", None, "2021-12-02T10:13:00+00:00", id="gmt-plain"),
    pytest.param("4th Sep '15 - 9:04pm", None, "2015-09-04T21:04:00+01:00", id="bst-pm"),
    # Days either side of the 2015 spring change.
    pytest.param("28th Mar '15 - 9:45am", None, "2015-03-28T09:45:00+00:00", id="2015-spring-eve"),
    pytest.param(
        "29th Mar '15 - 12:59am", None, "2015-03-29T00:59:00+00:00", id="2015-spring-0059"
    ),
    pytest.param("29th Mar '15 - 2:00am", None, "2015-03-29T02:00:00+01:00", id="2015-spring-0200"),
    pytest.param("29th Mar '15 - 9:45am", None, "2015-03-29T09:45:00+01:00", id="2015-spring-day"),
    pytest.param("30th Mar '15 - 9:45am", None, "2015-03-30T09:45:00+01:00", id="2015-spring-next"),
    # The spring gap moves forward by the hour the clocks jumped.
    pytest.param("29th Mar '15 - 1:00am", None, "2015-03-29T02:00:00+01:00", id="2015-gap-0100"),
    pytest.param("29th Mar '15 - 1:30am", None, "2015-03-29T02:30:00+01:00", id="2015-gap-0130"),
    pytest.param("28th Mar '21 - 1:59am", None, "2021-03-28T02:59:00+01:00", id="2021-gap-0159"),
    # Days either side of the 2021 spring change.
    pytest.param("27th Mar '21 - 11:59pm", None, "2021-03-27T23:59:00+00:00", id="2021-spring-eve"),
    pytest.param(
        "28th Mar '21 - 12:30am", None, "2021-03-28T00:30:00+00:00", id="2021-spring-0030"
    ),
    pytest.param("28th Mar '21 - 2:30am", None, "2021-03-28T02:30:00+01:00", id="2021-spring-0230"),
    pytest.param("29th Mar '21 - 9:45am", None, "2021-03-29T09:45:00+01:00", id="2021-spring-next"),
    # Days either side of the 2015 autumn change.
    pytest.param("24th Oct '15 - 9:45am", None, "2015-10-24T09:45:00+01:00", id="2015-autumn-eve"),
    pytest.param(
        "25th Oct '15 - 12:59am", None, "2015-10-25T00:59:00+01:00", id="2015-autumn-0059"
    ),
    pytest.param("25th Oct '15 - 2:00am", None, "2015-10-25T02:00:00+00:00", id="2015-autumn-0200"),
    pytest.param("25th Oct '15 - 9:45am", None, "2015-10-25T09:45:00+00:00", id="2015-autumn-day"),
    pytest.param("26th Oct '15 - 9:45am", None, "2015-10-26T09:45:00+00:00", id="2015-autumn-next"),
    # The 2015 repeated hour: first (BST) unless the previous comment rules it out.
    pytest.param("25th Oct '15 - 1:30am", None, "2015-10-25T01:30:00+01:00", id="fold-no-hint"),
    pytest.param(
        "25th Oct '15 - 1:30am",
        datetime(2015, 10, 25, 1, 10, tzinfo=BST),
        "2015-10-25T01:30:00+01:00",
        id="fold-prev-earlier-bst",
    ),
    pytest.param(
        "25th Oct '15 - 1:30am",
        datetime(2015, 10, 25, 1, 30, tzinfo=BST),
        "2015-10-25T01:30:00+01:00",
        id="fold-prev-same-instant",
    ),
    pytest.param(
        "25th Oct '15 - 1:30am",
        datetime(2015, 10, 25, 1, 45, tzinfo=BST),
        "2015-10-25T01:30:00+00:00",
        id="fold-prev-later-bst",
    ),
    pytest.param(
        "25th Oct '15 - 1:30am",
        datetime(2015, 10, 25, 1, 10, tzinfo=GMT),
        "2015-10-25T01:30:00+00:00",
        id="fold-prev-in-gmt-hour",
    ),
    pytest.param(
        "25th Oct '15 - 1:30am",
        datetime(2015, 10, 25, 1, 40, tzinfo=GMT),
        "2015-10-25T01:30:00+01:00",
        id="fold-prev-after-both",
    ),
    # A previous comment parsed by this module carries Europe/London itself; datetimes
    # sharing a tzinfo compare by wall time, so these catch a comparison that forgets fold.
    pytest.param(
        "25th Oct '15 - 1:30am",
        datetime(2015, 10, 25, 1, 45, tzinfo=LONDON, fold=0),
        "2015-10-25T01:30:00+00:00",
        id="fold-prev-london-fold0-later",
    ),
    pytest.param(
        "25th Oct '15 - 1:30am",
        datetime(2015, 10, 25, 1, 10, tzinfo=LONDON, fold=1),
        "2015-10-25T01:30:00+00:00",
        id="fold-prev-london-fold1",
    ),
    pytest.param(
        "25th Oct '15 - 1:30am",
        datetime(2015, 10, 25, 1, 10, tzinfo=LONDON, fold=0),
        "2015-10-25T01:30:00+01:00",
        id="fold-prev-london-fold0-earlier",
    ),
    pytest.param(
        "25th Oct '15 - 1:00am",
        datetime(2015, 10, 25, 1, 59, tzinfo=BST),
        "2015-10-25T01:00:00+00:00",
        id="fold-0100-second",
    ),
    # Hints only matter in the repeated hour.
    pytest.param(
        "4th Sep '15 - 9:45am",
        datetime(2015, 9, 4, 10, 0, tzinfo=BST),
        "2015-09-04T09:45:00+01:00",
        id="hint-ignored-outside-fold",
    ),
    # Days either side of the 2021 autumn change, and its repeated hour.
    pytest.param("30th Oct '21 - 9:45am", None, "2021-10-30T09:45:00+01:00", id="2021-autumn-eve"),
    pytest.param(
        "31st Oct '21 - 12:59am", None, "2021-10-31T00:59:00+01:00", id="2021-autumn-0059"
    ),
    pytest.param("31st Oct '21 - 1:15am", None, "2021-10-31T01:15:00+01:00", id="2021-fold-first"),
    pytest.param(
        "31st Oct '21 - 1:15am",
        datetime(2021, 10, 31, 1, 50, tzinfo=BST),
        "2021-10-31T01:15:00+00:00",
        id="2021-fold-second",
    ),
    pytest.param("31st Oct '21 - 2:00am", None, "2021-10-31T02:00:00+00:00", id="2021-autumn-0200"),
    pytest.param("1st Nov '21 - 9:45am", None, "2021-11-01T09:45:00+00:00", id="2021-autumn-next"),
    # 12-hour clock edges.
    pytest.param("4th Sep '15 - 12:00am", None, "2015-09-04T00:00:00+01:00", id="12-00am"),
    pytest.param("4th Sep '15 - 12:05am", None, "2015-09-04T00:05:00+01:00", id="12-05am"),
    pytest.param("4th Sep '15 - 12:00pm", None, "2015-09-04T12:00:00+01:00", id="12-00pm"),
    pytest.param("4th Sep '15 - 12:30pm", None, "2015-09-04T12:30:00+01:00", id="12-30pm"),
    pytest.param("4th Sep '15 - 11:59pm", None, "2015-09-04T23:59:00+01:00", id="11-59pm"),
    pytest.param("4th Sep '15 - 1:00pm", None, "2015-09-04T13:00:00+01:00", id="1-00pm"),
    pytest.param("4th Sep '15 - 9:45AM", None, "2015-09-04T09:45:00+01:00", id="upper-AM"),
    pytest.param("4th Sep '15 - 9:45 PM", None, "2015-09-04T21:45:00+01:00", id="spaced-PM"),
    pytest.param("4th Sep '15 - 9:45a.m.", None, "2015-09-04T09:45:00+01:00", id="a.m."),
    pytest.param("4th Sep '15 - 9:45 P.M.", None, "2015-09-04T21:45:00+01:00", id="P.M."),
    # Typographic variants.
    pytest.param(
        f"4th Sep {RSQUO}15 {NDASH} 9:45am", None, "2015-09-04T09:45:00+01:00", id="texturized"
    ),
    pytest.param(
        f"4th Sep {RSQUO}15 {MDASH} 9:45am", None, "2015-09-04T09:45:00+01:00", id="em-dash"
    ),
    pytest.param(
        f"4th Sep '15{NDASH}9:45am", None, "2015-09-04T09:45:00+01:00", id="unspaced-en-dash"
    ),
    # What `4th Sep &#039;15 - 9:45am` decodes to.
    pytest.param("4th Sep '15 - 9:45am", None, "2015-09-04T09:45:00+01:00", id="decoded-039"),
    pytest.param(
        f"4th{NBSP}Sep{NBSP}'15{NBSP}-{NBSP}9:45am",
        None,
        "2015-09-04T09:45:00+01:00",
        id="nbsp",
    ),
    pytest.param(
        f"4th Sep '15 - 9:45{NNBSP}am", None, "2015-09-04T09:45:00+01:00", id="narrow-nbsp"
    ),
    pytest.param(
        "  4th   Sep  '15   -   9:45am \n", None, "2015-09-04T09:45:00+01:00", id="extra-spaces"
    ),
    pytest.param("4th Sep '15 9:45am", None, "2015-09-04T09:45:00+01:00", id="no-dash"),
    pytest.param("4TH SEP '15 - 9:45AM", None, "2015-09-04T09:45:00+01:00", id="upper-case"),
    pytest.param("4th Sept '15 - 9:45am", None, "2015-09-04T09:45:00+01:00", id="sept"),
    pytest.param("4th Sep 2015 - 9:45am", None, "2015-09-04T09:45:00+01:00", id="four-digit-year"),
    # Ordinal suffixes.
    pytest.param("1st Sep '15 - 9:45am", None, "2015-09-01T09:45:00+01:00", id="1st"),
    pytest.param("2nd Sep '15 - 9:45am", None, "2015-09-02T09:45:00+01:00", id="2nd"),
    pytest.param("3rd Sep '15 - 9:45am", None, "2015-09-03T09:45:00+01:00", id="3rd"),
    pytest.param("11th Sep '15 - 9:45am", None, "2015-09-11T09:45:00+01:00", id="11th"),
    pytest.param("12th Sep '15 - 9:45am", None, "2015-09-12T09:45:00+01:00", id="12th"),
    pytest.param("13th Sep '15 - 9:45am", None, "2015-09-13T09:45:00+01:00", id="13th"),
    pytest.param("21st Sep '15 - 9:45am", None, "2015-09-21T09:45:00+01:00", id="21st"),
    pytest.param("22nd Sep '15 - 9:45am", None, "2015-09-22T09:45:00+01:00", id="22nd"),
    pytest.param("23rd Sep '15 - 9:45am", None, "2015-09-23T09:45:00+01:00", id="23rd"),
    pytest.param("31st Dec '15 - 11:59pm", None, "2015-12-31T23:59:00+00:00", id="31st"),
    pytest.param("29th Feb '16 - 9:00am", None, "2016-02-29T09:00:00+00:00", id="leap-day"),
    # Two-digit years pivot at 70.
    pytest.param("2nd Jan '07 - 9:45am", None, "2007-01-02T09:45:00+00:00", id="year-07"),
    pytest.param("1st Jul '99 - 9:45am", None, "1999-07-01T09:45:00+01:00", id="year-99"),
    pytest.param("1st Jan '00 - 9:45am", None, "2000-01-01T09:45:00+00:00", id="year-00"),
    pytest.param("1st Jan '69 - 9:45am", None, "2069-01-01T09:45:00+00:00", id="year-69"),
    # 1970 fell in the British Standard Time experiment: +01:00 all winter.
    pytest.param("1st Jan '70 - 9:45am", None, "1970-01-01T09:45:00+01:00", id="year-70"),
]


@pytest.mark.parametrize(("text", "not_before", "expected"), COMMENT_CASES)
def test_parse_comment_date(text: str, not_before: datetime | None, expected: str) -> None:
    result = parse_comment_date(text, not_before=not_before)
    assert result.isoformat() == expected
    assert result.tzinfo is LONDON


ARTICLE_CASES = [
    pytest.param(
        "Fri 4th September 2015 - 8:30 am", None, "2015-09-04T08:30:00+01:00", id="bst-weekday"
    ),
    pytest.param(
        "4th September 2015 - 8:30 am", None, "2015-09-04T08:30:00+01:00", id="no-weekday"
    ),
    pytest.param(
        "Mon 4th September 2015 - 8:30 am", None, "2015-09-04T08:30:00+01:00", id="wrong-weekday"
    ),
    pytest.param(
        f"Friday, 4th September 2015 {NDASH} 8:30 pm",
        None,
        "2015-09-04T20:30:00+01:00",
        id="long-weekday-en-dash",
    ),
    pytest.param(
        f"Fri{NBSP}4th{NBSP}September{NBSP}2015{NBSP}-{NBSP}8:30{NBSP}am",
        None,
        "2015-09-04T08:30:00+01:00",
        id="nbsp",
    ),
    pytest.param(
        "Thu 2nd December 2021 - 10:13 am", None, "2021-12-02T10:13:00+00:00", id="gmt-weekday"
    ),
    pytest.param(
        "Sat 1st January 2022 - 12:00 am", None, "2022-01-01T00:00:00+00:00", id="midnight"
    ),
    pytest.param("Sat 1st January 2022 - 12:15 pm", None, "2022-01-01T12:15:00+00:00", id="noon"),
    pytest.param("Fri 4th Sep 2015 - 8:30am", None, "2015-09-04T08:30:00+01:00", id="short-month"),
    pytest.param(
        "Sun 29th March 2015 - 1:30 am", None, "2015-03-29T02:30:00+01:00", id="spring-gap"
    ),
    pytest.param(
        "Sun 25th October 2015 - 1:30 am", None, "2015-10-25T01:30:00+01:00", id="fold-first"
    ),
    pytest.param(
        "Sun 25th October 2015 - 1:30 am",
        datetime(2015, 10, 25, 1, 45, tzinfo=BST),
        "2015-10-25T01:30:00+00:00",
        id="fold-second",
    ),
]


@pytest.mark.parametrize(("text", "not_before", "expected"), ARTICLE_CASES)
def test_parse_article_date(text: str, not_before: datetime | None, expected: str) -> None:
    result = parse_article_date(text, not_before=not_before)
    assert result.isoformat() == expected
    assert result.tzinfo is LONDON


ISO_CASES = [
    pytest.param("2021-12-02T10:13:00+00:00", "2021-12-02T10:13:00+00:00", id="gmt-offset"),
    pytest.param("2015-09-04T08:30:00+01:00", "2015-09-04T08:30:00+01:00", id="bst-offset"),
    pytest.param("2015-09-04T07:30:00+00:00", "2015-09-04T08:30:00+01:00", id="utc-in-bst"),
    pytest.param("2015-09-04T07:30:00Z", "2015-09-04T08:30:00+01:00", id="z-in-bst"),
    pytest.param("2021-12-02T10:13:00Z", "2021-12-02T10:13:00+00:00", id="z-in-gmt"),
    pytest.param("2015-09-04T13:00:00+05:30", "2015-09-04T08:30:00+01:00", id="other-offset"),
    pytest.param("2015-09-04 08:30:00+01:00", "2015-09-04T08:30:00+01:00", id="space-separator"),
    pytest.param(" 2015-09-04T08:30:00+01:00\n", "2015-09-04T08:30:00+01:00", id="whitespace"),
    pytest.param("2015-09-04T08:30:00", "2015-09-04T08:30:00+01:00", id="naive-bst"),
    pytest.param("2021-12-02T10:13:00", "2021-12-02T10:13:00+00:00", id="naive-gmt"),
    # An explicit offset settles the repeated hour by itself.
    pytest.param("2015-10-25T00:30:00Z", "2015-10-25T01:30:00+01:00", id="fold-first-z"),
    pytest.param("2015-10-25T01:30:00Z", "2015-10-25T01:30:00+00:00", id="fold-second-z"),
    pytest.param("2015-10-25T01:30:00", "2015-10-25T01:30:00+01:00", id="naive-fold"),
    pytest.param("2015-03-29T01:30:00", "2015-03-29T02:30:00+01:00", id="naive-gap"),
]


@pytest.mark.parametrize(("text", "expected"), ISO_CASES)
def test_parse_iso(text: str, expected: str) -> None:
    result = parse_iso(text)
    assert result.isoformat() == expected
    assert result.tzinfo is LONDON


def test_parse_iso_naive_fold_uses_not_before() -> None:
    result = parse_iso("2015-10-25T01:30:00", not_before=datetime(2015, 10, 25, 1, 45, tzinfo=BST))
    assert result.isoformat() == "2015-10-25T01:30:00+00:00"


BAD_COMMENT_DATES = [
    pytest.param("1 June 2023 at 24:30", id="24h-out-of-range"),
    pytest.param("yesterday", id="word"),
    pytest.param("", id="empty"),
    pytest.param("   ", id="blank"),
    pytest.param("31st Feb '15 - 9:00am", id="31-feb"),
    pytest.param("29th Feb '15 - 9:00am", id="29-feb-non-leap"),
    pytest.param("4th Sep '15 - 25:00pm", id="hour-25"),
    pytest.param("4th Sep '15 - 13:00pm", id="hour-13"),
    pytest.param("4th Sep '15 - 0:30am", id="hour-0"),
    pytest.param("4th Sep '15 - 9:60am", id="minute-60"),
    pytest.param("4th Smarch '15 - 9:45am", id="unknown-month"),
    pytest.param("0th Sep '15 - 9:45am", id="day-0"),
    # The Recent Comments sidebar omits the year; guessing one would be wrong.
    pytest.param("24th Feb - 5:50am", id="no-year"),
    pytest.param("4th Sep '15 - 9:45am Please support", id="trailing-text"),
    pytest.param("Caron Lindsay 4th Sep '15 - 9:04pm", id="leading-text"),
    # Entities must be decoded before parsing.
    pytest.param("4th Sep &#039;15 - 9:45am", id="undecoded-entity"),
]


@pytest.mark.parametrize("text", BAD_COMMENT_DATES)
def test_parse_comment_date_rejects(text: str) -> None:
    with pytest.raises(DateParseError) as excinfo:
        parse_comment_date(text)
    assert repr(text) in str(excinfo.value)


BAD_ARTICLE_DATES = [
    pytest.param("yesterday", id="word"),
    pytest.param("", id="empty"),
    pytest.param("Fri 4th September - 8:30 am", id="no-year"),
    pytest.param("Fri 4th September 2015", id="no-time"),
    pytest.param("Blurday 4th September 2015 - 8:30 am", id="not-a-weekday"),
    pytest.param("Fri 31st September 2015 - 8:30 am", id="31-september"),
    pytest.param("4th Sep '15 - 9:45am", id="two-digit-year"),
]


@pytest.mark.parametrize("text", BAD_ARTICLE_DATES)
def test_parse_article_date_rejects(text: str) -> None:
    with pytest.raises(DateParseError) as excinfo:
        parse_article_date(text)
    assert repr(text) in str(excinfo.value)


BAD_ISO = [
    pytest.param("yesterday", id="word"),
    pytest.param("", id="empty"),
    pytest.param("2015-09-04", id="date-only"),
    pytest.param("2015-02-31T10:00:00Z", id="31-feb"),
    pytest.param("2015-09-04T25:00:00Z", id="hour-25"),
    pytest.param("2015-09-04T08:30:00+01:00 junk", id="trailing-junk"),
    pytest.param("4th Sep '15 - 9:45am", id="header-date"),
]


@pytest.mark.parametrize("text", BAD_ISO)
def test_parse_iso_rejects(text: str) -> None:
    with pytest.raises(DateParseError) as excinfo:
        parse_iso(text)
    assert repr(text) in str(excinfo.value)


def test_date_parse_error_is_a_value_error() -> None:
    assert issubclass(DateParseError, ValueError)


@pytest.mark.parametrize(
    "parse",
    [
        pytest.param(parse_comment_date, id="comment"),
        pytest.param(parse_article_date, id="article"),
    ],
)
def test_naive_not_before_is_refused(parse: Callable[..., datetime]) -> None:
    with pytest.raises(ValueError, match="not_before must be timezone-aware"):
        parse("25th Oct 2015 - 1:30am", not_before=datetime(2015, 10, 25, 1, 10))


FORMAT_CASES = [
    # (aware datetime, expected to_utc_iso, expected to_local_iso, id)
    pytest.param(
        datetime(2015, 9, 4, 9, 45, tzinfo=LONDON),
        "2015-09-04T08:45:00Z",
        "2015-09-04T09:45:00+01:00",
        id="bst",
    ),
    pytest.param(
        datetime(2021, 12, 2, 10, 13, tzinfo=LONDON),
        "2021-12-02T10:13:00Z",
        "2021-12-02T10:13:00+00:00",
        id="gmt",
    ),
    pytest.param(
        datetime(2015, 9, 4, 9, 45, 30, 123456, tzinfo=LONDON),
        "2015-09-04T08:45:30Z",
        "2015-09-04T09:45:30+01:00",
        id="seconds-kept-microseconds-dropped",
    ),
    pytest.param(
        datetime(2015, 9, 4, 8, 45, tzinfo=UTC),
        "2015-09-04T08:45:00Z",
        "2015-09-04T09:45:00+01:00",
        id="from-utc",
    ),
    pytest.param(
        datetime(2015, 9, 4, 14, 15, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        "2015-09-04T08:45:00Z",
        "2015-09-04T09:45:00+01:00",
        id="from-other-offset",
    ),
    pytest.param(
        datetime(2015, 10, 25, 1, 30, tzinfo=LONDON, fold=0),
        "2015-10-25T00:30:00Z",
        "2015-10-25T01:30:00+01:00",
        id="fold-first",
    ),
    pytest.param(
        datetime(2015, 10, 25, 1, 30, tzinfo=LONDON, fold=1),
        "2015-10-25T01:30:00Z",
        "2015-10-25T01:30:00+00:00",
        id="fold-second",
    ),
    pytest.param(
        datetime(2015, 10, 25, 1, 30, tzinfo=UTC),
        "2015-10-25T01:30:00Z",
        "2015-10-25T01:30:00+00:00",
        id="fold-second-from-utc",
    ),
]


@pytest.mark.parametrize(("dt", "utc_iso", "local_iso"), FORMAT_CASES)
def test_iso_formatting(dt: datetime, utc_iso: str, local_iso: str) -> None:
    assert to_utc_iso(dt) == utc_iso
    assert to_local_iso(dt) == local_iso


@pytest.mark.parametrize(
    "fmt", [pytest.param(to_utc_iso, id="utc"), pytest.param(to_local_iso, id="local")]
)
def test_formatting_refuses_naive(fmt: Callable[[datetime], str]) -> None:
    with pytest.raises(ValueError, match="must be timezone-aware"):
        fmt(datetime(2015, 9, 4, 9, 45))
