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

from archiver.dates import DateParseError, parse_article_date, parse_comment_date, parse_iso
from archiver.items import Article, Comment, Thread

logger = logging.getLogger(__name__)

_SPACES = re.compile(r"[ \t\r\f\v\u200b]+")
_BLANK_RUNS = re.compile(r"\n\s*\n(\s*\n)*")


def normalise_name(name: str) -> str:
    """Trim and collapse whitespace (NBSP included) in a display name, in NFC."""
    return " ".join(unicodedata.normalize("NFC", name).split())


def normalise_body(text: str) -> str:
    """NFC text with paragraphs separated by one blank line and no stray edge whitespace.

    Runs of spaces inside a line are kept: commenters' double spaces are part of the record.
    """
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    lines = [line.strip(" \t") for line in text.split("\n")]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()


def comment_time(comment: Comment, not_before: datetime | None, zone: ZoneInfo) -> datetime:
    """The comment's time: the machine-readable value first, else the header text."""
    if comment.posted_datetime:
        try:
            return parse_iso(comment.posted_datetime, zone=zone)
        except DateParseError:
            logger.debug("unusable datetime %r, falling back to %r",
                         comment.posted_datetime, comment.posted_raw)
    return parse_comment_date(comment.posted_raw, zone=zone, not_before=not_before)


def article_time(article: Article, zone: ZoneInfo) -> datetime:
    if article.published_datetime:
        try:
            return parse_iso(article.published_datetime, zone=zone)
        except DateParseError:
            logger.debug("unusable published time %r", article.published_datetime)
    return parse_article_date(article.published_raw or "", zone=zone)


def normalise_thread(thread: Thread, zone: ZoneInfo) -> tuple[Thread, list[str]]:
    """Return the cleaned thread and a warning per value that could not be read."""
    warnings: list[str] = []
    article = thread.article
    try:
        published: datetime | None = article_time(article, zone)
    except DateParseError as exc:
        published = None
        warnings.append(f"article {article.article_id}: {exc}")
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
            posted: datetime | None = comment_time(comment, previous, zone)
        except DateParseError as exc:
            posted = None
            warnings.append(f"comment {comment.comment_id} on {article.url}: {exc}")
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


class NormalisePipeline:
    """Cleans every thread; unreadable dates keep the comment and count a warning."""

    def __init__(self, stats: StatsCollector, zone: ZoneInfo) -> None:
        self.stats = stats
        self.zone = zone

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> NormalisePipeline:
        assert crawler.stats is not None
        return cls(crawler.stats, ZoneInfo(crawler.settings.get("ARCHIVER_TIMEZONE")))

    def process_item(self, item: Thread) -> Thread:
        cleaned, warnings = normalise_thread(item, self.zone)
        for warning in warnings:
            logger.warning("unreadable date kept as text: %s", warning)
            self.stats.inc_value("archiver/date_warnings")
        return cleaned
