"""Normalise pipeline: clean names and bodies, turn UK date text into aware times."""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import replace
from datetime import datetime
from typing import Any

from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

from archiver.items import Article, Comment, Thread
from archiver.ukdates import DateParseError, parse_article_date, parse_comment_date, parse_iso

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


def comment_time(comment: Comment, not_before: datetime | None) -> datetime:
    """The comment's time: the machine-readable value first, else the header text."""
    if comment.posted_datetime:
        try:
            return parse_iso(comment.posted_datetime)
        except DateParseError:
            logger.debug("unusable datetime %r, falling back to %r",
                         comment.posted_datetime, comment.posted_raw)
    return parse_comment_date(comment.posted_raw, not_before=not_before)


def article_time(article: Article) -> datetime:
    if article.published_datetime:
        try:
            return parse_iso(article.published_datetime)
        except DateParseError:
            logger.debug("unusable published time %r", article.published_datetime)
    return parse_article_date(article.published_raw or "")


def normalise_thread(thread: Thread) -> tuple[Thread, list[str]]:
    """Return the cleaned thread and a warning per value that could not be read."""
    warnings: list[str] = []
    article = thread.article
    try:
        published: datetime | None = article_time(article)
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
            posted: datetime | None = comment_time(comment, previous)
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

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> NormalisePipeline:
        assert crawler.stats is not None
        return cls(crawler.stats)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, Thread):
            return item
        cleaned, warnings = normalise_thread(item)
        for warning in warnings:
            logger.warning("unreadable date kept as text: %s", warning)
            self.stats.inc_value("archiver/date_warnings")
        return cleaned
