"""Pure parsing of blog date text into aware datetimes in the site's own time zone."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil import parser, tz

from archiver import date_words

__all__ = [
    "FUTURE_SLACK",
    "DateParseError",
    "parse_article_date",
    "parse_comment_date",
    "parse_iso",
    "to_local_iso",
    "to_utc_iso",
    "utc_now",
]

# English names are fixed by the site, so use dateutil's table rather than the
# locale-dependent strptime %b/%B. It also accepts "Sept" and full names.
_NAMES = parser.parserinfo()

# Pieces shared by both header formats. Digits are [0-9] because \d would also
# accept other scripts' digits; \s is left Unicode-aware so NBSP and the narrow
# NBSP count as spaces.
_DAY = r"(?P<day>[0-9]{1,2})(?:st|nd|rd|th)?"
_MONTH = r"(?P<month>[a-z]+)\.?"
# wptexturize turns the year's apostrophe into U+2019; prime, backtick, acute
# and the modifier apostrophe are what other editors and OCR-ish copies produce.
_APOSTROPHE = "['\u2018\u2019\u02bc\u0060\u00b4\u2032]"
# Hyphen-minus, U+2010..U+2015 (hyphen, figure/en/em dash, bar) and minus; a
# bare run of spaces is accepted too so a lost dash does not lose the time.
# WordPress's own default formats join date and time with " at " (e.g. "1 June 2023 at 12:30").
_SEPARATOR = r"(?:\s*[-,\u2010-\u2015\u2212]\s*|\s+at\s+|\s+)"
# 12-hour with am/pm as LDV prints it, or the 24-hour clock of WordPress's defaults.
_TIME = r"(?P<hour>[0-9]{1,2}):(?P<minute>[0-9]{2})(?:\s*(?P<ampm>[ap])\.?\s*m\.?)?"

# PHP `jS M 'y - g:ia`, e.g. "4th Sep '15 - 9:45am"; a four-digit year is also taken.
_COMMENT_DATE = re.compile(
    rf"\s*{_DAY}\s+{_MONTH}\s+(?:{_APOSTROPHE}?(?P<year>[0-9]{{4}}|[0-9]{{2}}))"
    rf"{_SEPARATOR}{_TIME}\s*",
    re.IGNORECASE,
)

# PHP `D jS F Y - g:i a`, e.g. "Fri 4th September 2015 - 8:30 am"; weekday optional.
_ARTICLE_DATE = re.compile(
    rf"\s*(?:(?P<weekday>[a-z]+)\.?,?\s+)?{_DAY}\s+{_MONTH},?\s+(?P<year>[0-9]{{4}})"
    rf"{_SEPARATOR}{_TIME}\s*",
    re.IGNORECASE,
)

# fromisoformat happily reads a bare date as midnight; a value without a time
# must fail rather than invent one.
_ISO_WITH_TIME = re.compile(r"\s*[0-9]{4}-?[0-9]{2}-?[0-9]{2}[T ][0-9]{2}:?[0-9]{2}")

# Two-digit years: 00-69 are 2000-2069 and 70-99 are 1970-1999, the POSIX
# strptime %y rule. dateutil's default slides with today's date, which would
# make the result depend on when the crawl ran.
_PIVOT = 70

# How far ahead of the crawl's clock a site's time may be and still be "now" (a server clock
# or a wrong ARCHIVER_TIMEZONE); later is in the future: `'69` read as 2069, a post dated 2099.
FUTURE_SLACK = timedelta(days=1)


class DateParseError(ValueError):
    """Date text that does not match the expected format or names no real time."""


def parse_comment_date(text: str, *, zone: ZoneInfo,
                       not_before: datetime | None = None) -> datetime:
    """Parse a comment header date such as ``4th Sep '15 - 9:45am`` as wall time in `zone`.

    Accepts the texturized form (``4th Sep \u201915 \u2013 9:45am``), em dashes,
    NBSPs, extra spaces, ``AM``/``a.m.`` and four-digit years. Two-digit years
    pivot at 70 (``'07`` is 2007, ``'99`` is 1999). ``not_before`` picks between
    the two instants of the autumn repeated hour; see :func:`_localise`. Other formats and
    languages WordPress prints are read by `date_words.wall_time`.
    """
    match = _COMMENT_DATE.fullmatch(text)
    if match is not None:
        return _localise(_wall_time(match, text), zone, not_before)
    # Other sites' formats and languages ("March 5, 2021 at 3:04 pm", "5. März 2021 um
    # 15:04 Uhr", "2021-03-05 15:04"): see date_words.py.
    try:
        wall = date_words.wall_time(text)
    except ValueError as exc:
        raise DateParseError(f"no such date or time {text!r}: {exc}") from exc
    if wall is None:
        raise DateParseError(f'not a comment date like "4th Sep \'15 - 9:45am": {text!r}')
    return _localise(wall, zone, not_before)


def parse_article_date(text: str, *, zone: ZoneInfo,
                       not_before: datetime | None = None) -> datetime:
    """Parse a post header date such as ``Fri 4th September 2015 - 8:30 am`` as wall time in `zone`.

    The weekday is optional and only has to be a weekday name: a wrong one is
    ignored because the day-month-year is what the site stores. The year must
    have four digits. Dash, space and am/pm variants are as for comment dates.
    """
    match = _ARTICLE_DATE.fullmatch(text)
    if match is None:
        raise DateParseError(
            f'not an article date like "Fri 4th September 2015 - 8:30 am": {text!r}'
        )
    weekday = match["weekday"]
    if weekday is not None and _NAMES.weekday(weekday) is None:
        raise DateParseError(f"unknown weekday {weekday!r} in article date: {text!r}")
    return _localise(_wall_time(match, text), zone, not_before)


def parse_iso(text: str, *, zone: ZoneInfo, not_before: datetime | None = None,
              keep_offset: bool = False) -> datetime:
    """Parse an ISO 8601 date-time (``<time datetime>``, ``article:published_time``).

    A value with an offset or ``Z`` names an instant and is converted to `zone` (kept at
    its own offset with `keep_offset`, for a site whose zone is only guessed); a naive value
    is taken as wall time there and resolved like header dates.
    """
    if _ISO_WITH_TIME.match(text) is None:
        raise DateParseError(f"not an ISO 8601 date-time: {text!r}")
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise DateParseError(f"not an ISO 8601 date-time: {text!r} ({exc})") from exc
    if parsed.tzinfo is None:
        return _localise(parsed, zone, not_before)
    if keep_offset:
        return parsed
    try:
        return parsed.astimezone(zone)
    except OverflowError as exc:
        # Year 1 or 9999 with an offset: an instant Python cannot place in the zone.
        raise DateParseError(f"ISO 8601 date-time out of range: {text!r}") from exc


def utc_now() -> str:
    """The archiver's own clock, as the `*_at` bookkeeping columns store it."""
    return to_utc_iso(datetime.now(UTC))


def run_clock(replayed_start: str | None) -> datetime:
    """The moment a run plans by (its active window, when to look for an API again): now,
    or in a re-parse the live run's start (ARCHIVER_REPLAY_STARTED_AT), so the re-parsed
    run asks for the pages the live one asked for, months later."""
    if replayed_start:
        return datetime.fromisoformat(replayed_start).astimezone(UTC)
    return datetime.now(UTC).replace(microsecond=0)


def to_utc_iso(dt: datetime) -> str:
    """Format an aware datetime as UTC, e.g. ``2015-09-04T08:45:00Z`` (no microseconds)."""
    _require_aware(dt, "dt")
    utc = dt.astimezone(UTC).replace(tzinfo=None)
    return utc.isoformat(timespec="seconds") + "Z"


def to_local_iso(dt: datetime, zone: ZoneInfo | None = None) -> str:
    """Format an aware datetime in `zone`, else in its own (normalise gives the site's),
    e.g. ``2015-09-04T09:45:00+01:00``."""
    _require_aware(dt, "dt")
    return (dt.astimezone(zone) if zone else dt).isoformat(timespec="seconds")


def _wall_time(match: re.Match[str], text: str) -> datetime:
    """Build the naive wall time named by a header-date match."""
    month: int | None = _NAMES.month(match["month"])
    if month is None:
        raise DateParseError(f"unknown month {match['month']!r} in date: {text!r}")
    hour = int(match["hour"])
    if match["ampm"] is not None:
        # PHP `g` is a 12-hour clock hour 1-12; anything else is not a time.
        if not 1 <= hour <= 12:
            raise DateParseError(f"hour {hour} is not on a 12-hour clock in date: {text!r}")
        hour %= 12
        if match["ampm"].lower() == "p":
            hour += 12
    try:
        return datetime(
            _expand_year(match["year"]), month, int(match["day"]), hour, int(match["minute"])
        )
    except ValueError as exc:
        raise DateParseError(f"no such date or time {text!r}: {exc}") from exc


def _expand_year(digits: str) -> int:
    """Turn a two- or four-digit year into a full year using the fixed pivot."""
    year = int(digits)
    if len(digits) == 4:
        return year
    return 2000 + year if year < _PIVOT else 1900 + year


def _localise(wall: datetime, zone: ZoneInfo, not_before: datetime | None) -> datetime:
    """Attach `zone` to a naive wall time, resolving clock-change hours (examples: London).

    Spring gap (e.g. 2015-03-29 01:30, which the clocks skipped): the text is
    read as a clock that was not yet put forward, so it moves forward by the
    jump, as ``dateutil.tz.resolve_imaginary`` does (01:30 becomes 02:30 BST).

    Autumn repeat (e.g. 2015-10-25 01:30, which happened first in BST and then
    in GMT): choose the earlier instant that is not before ``not_before`` (the
    previous comment in a chronological thread). Without ``not_before``, or
    when both instants are before it, choose the first (BST) one.
    """
    if not_before is not None:
        _require_aware(not_before, "not_before")
    first = wall.replace(tzinfo=zone, fold=0)
    exists: bool = tz.datetime_exists(first)
    if not exists:
        resolved: datetime = tz.resolve_imaginary(first)
        return resolved
    ambiguous: bool = tz.datetime_ambiguous(first)
    if not ambiguous or not_before is None:
        return first
    second = first.replace(fold=1)
    # Compare in UTC: datetimes sharing a tzinfo compare by wall time and ignore
    # fold, which would make both occurrences look equal.
    if _as_utc(first) < _as_utc(not_before) <= _as_utc(second):
        return second
    return first


def _as_utc(dt: datetime) -> datetime:
    return dt.astimezone(UTC)


def _require_aware(dt: datetime, name: str) -> None:
    # A naive datetime would be read in the machine's own zone by astimezone.
    if dt.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {dt.isoformat()}")
