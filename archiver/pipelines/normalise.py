"""Normalise pipeline: clean names and bodies; date text becomes aware times in the site's zone."""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

from archiver.dates import (
    FUTURE_SLACK,
    DateParseError,
    parse_article_date,
    parse_comment_date,
    parse_iso,
    to_local_iso,
)
from archiver.items import Article, Comment, Thread
from archiver.middlewares.fetch_time import moment_of

logger = logging.getLogger(__name__)

_SPACES = re.compile(r"[ \t\r\f\v\u200b]+")
_BLANK_RUNS = re.compile(r"\n\s*\n(\s*\n)*")
# Invisible characters that make one name look like another or reorder what is shown after
# it: bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069), the zero-width
# space, word joiner and BOM; and ZWNJ/ZWJ (U+200C, U+200D) save where they do something.
_INVISIBLE = re.compile("[\u200b-\u200d\u202a-\u202e\u2060\u2066-\u2069\ufeff]")
_ZWNJ, _ZWJ = "\u200c", "\u200d"


def normalise_name(name: str) -> str:
    """Trim and collapse whitespace (NBSP included) in a display name, in NFC, without the
    invisible characters above (a name, title, category or tag; bodies keep them)."""
    name = unicodedata.normalize("NFC", name)
    if _INVISIBLE.search(name):
        name = _INVISIBLE.sub(lambda m: _kept_joiner(m.string, m.start()), name)
    return " ".join(name.split())


def _kept_joiner(text: str, at: int) -> str:
    """The ZWNJ/ZWJ at `at` when it shapes the letters either side (Arabic, Persian, Indic
    scripts: U+0600 and up) or, a ZWJ, joins two emoji (woman, ZWJ, laptop: one emoji);
    else nothing."""
    char = text[at]
    if char not in (_ZWNJ, _ZWJ) or at == 0 or at + 1 == len(text):
        return ""
    before, after = text[at - 1], text[at + 1]
    if _shaped(before) and _shaped(after):
        return char
    if char == _ZWJ and _emoji(before) and unicodedata.category(after) == "So":
        return char
    return ""


def _shaped(char: str) -> bool:
    return ord(char) >= 0x0600 and unicodedata.category(char)[0] in "LM"


def _emoji(char: str) -> bool:
    # A symbol, or what ends one: the emoji presentation selector, a skin tone.
    return (unicodedata.category(char) == "So" or char == "\ufe0f"
            or 0x1F3FB <= ord(char) <= 0x1F3FF)


def normalise_body(text: str) -> str:
    """NFC text with paragraphs separated by one blank line and no stray edge whitespace.

    Runs of spaces inside a line are kept: commenters' double spaces are part of the record.
    """
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    lines = [line.strip(" \t") for line in text.split("\n")]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()


def comment_time(comment: Comment, not_before: datetime | None, zone: ZoneInfo,
                 keep_offsets: bool = False) -> datetime:
    """The comment's time: the machine-readable value first, else the header text."""
    if comment.posted_datetime:
        try:
            return parse_iso(comment.posted_datetime, zone=zone, keep_offset=keep_offsets)
        except DateParseError:
            logger.debug("unusable datetime %r, falling back to %r",
                         comment.posted_datetime, comment.posted_raw)
    return parse_comment_date(comment.posted_raw, zone=zone, not_before=not_before)


def article_time(article: Article, zone: ZoneInfo, keep_offsets: bool = False) -> datetime:
    if article.published_datetime:
        try:
            return parse_iso(article.published_datetime, zone=zone, keep_offset=keep_offsets)
        except DateParseError:
            logger.debug("unusable published time %r", article.published_datetime)
    return parse_article_date(article.published_raw or "", zone=zone)


def normalise_thread(thread: Thread, zone: ZoneInfo, now: datetime | None = None, *,
                     keep_offsets: bool = False) -> tuple[Thread, list[str]]:
    """Return the cleaned thread and a warning per date that could not be read, or (given
    the crawl's `now`) that is in the future of the crawl: such a time is kept as read (the
    fixed pivot makes `'69` 2069), and counted, since no page can show a comment not yet made.

    `keep_offsets`: `zone` is a guess (the site named none), so a time the page gives with
    its own offset keeps it: a summer comment of a site on daylight saving stays at +01:00.
    """
    warnings: list[str] = []
    article = thread.article
    try:
        published: datetime | None = article_time(article, zone, keep_offsets)
    except DateParseError as exc:
        published = None
        warnings.append(f"unreadable date kept as text: article {article.article_id}: {exc}")
    if _in_future(published, now):
        warnings.append(f"date in the future of the crawl kept as read: article "
                        f"{article.article_id}: {_shown(published, article.published_raw)}")
    article = replace(
        article,
        title=normalise_name(article.title),
        author=normalise_name(article.author) if article.author else article.author,
        body=normalise_body(article.body),
        categories=tuple(normalise_name(c) for c in article.categories),
        tags=tuple(normalise_name(t) for t in article.tags),
        published_at=published,
    )
    comments = []
    previous: datetime | None = None
    for comment in thread.comments:
        try:
            posted: datetime | None = comment_time(comment, previous, zone, keep_offsets)
        except DateParseError as exc:
            posted = None
            warnings.append(f"unreadable date kept as text: comment {comment.comment_id} on "
                            f"{article.url}: {exc}")
        if _in_future(posted, now):
            warnings.append(f"date in the future of the crawl kept as read: comment "
                            f"{comment.comment_id} on {article.url}: "
                            f"{_shown(posted, comment.posted_raw)}")
        if posted is not None:
            # Threads run oldest first, which settles the autumn hour that happens twice.
            previous = posted
        comments.append(replace(
            comment,
            author=normalise_name(comment.author),
            posted_raw=" ".join(comment.posted_raw.split()),
            body=normalise_body(comment.body),
            posted_at=posted,
        ))
    cleaned = replace(thread, article=article, comments=tuple(comments))
    return cleaned, warnings


_ISO_OFFSET = re.compile(r"[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?([+-])(\d{2}):?(\d{2})$")


def zone_from_offsets(thread: Thread) -> ZoneInfo:
    """The zone the page's own `<time datetime>` offsets show (the first whole-hour one, as
    an Etc/GMT zone), else UTC: a site's zone when neither it nor the profile names one."""
    values = [thread.article.published_datetime, *(c.posted_datetime for c in thread.comments)]
    for value in values:
        match = _ISO_OFFSET.search(value or "")
        if match and match[3] == "00":
            hours = int(match[2]) * (1 if match[1] == "+" else -1)
            return ZoneInfo(f"Etc/GMT{-hours:+d}" if hours else "UTC")
    return ZoneInfo("UTC")


def _in_future(when: datetime | None, now: datetime | None) -> bool:
    return when is not None and now is not None and when > now + FUTURE_SLACK


def _shown(when: datetime | None, raw: str | None) -> str:
    assert when is not None
    return f"{to_local_iso(when)} (shown as {' '.join((raw or '').split())!r})"


class NormalisePipeline:
    """Cleans every thread; unreadable and future dates keep the comment and count a
    warning."""

    def __init__(self, stats: StatsCollector, zone: ZoneInfo | None) -> None:
        self.stats = stats
        # None: the site's zone is not known ahead (the generic profile), so it comes from
        # the thread: the zone its REST index declared, else its pages' own offsets.
        self.zone = zone

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> NormalisePipeline:
        assert crawler.stats is not None
        name = crawler.settings.get("ARCHIVER_TIMEZONE")
        return cls(crawler.stats, ZoneInfo(name) if name else None)

    def process_item(self, item: Thread) -> Thread:
        # A zone the site itself declared beats the configured one.
        zone = ZoneInfo(item.timezone) if item.timezone else self.zone
        fetched = datetime.fromisoformat(moment_of(item.fetched_at, self.stats))
        cleaned, warnings = normalise_thread(item, zone or zone_from_offsets(item), fetched,
                                             keep_offsets=zone is None)
        for warning in warnings:
            logger.warning("%s", warning)
            self.stats.inc_value("archiver/date_warnings")
        return cleaned
