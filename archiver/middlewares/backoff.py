"""Downloader middleware that slows down when the site says it is overloaded (429, 5xx)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

logger = logging.getLogger(__name__)

OVERLOAD_STATUSES = frozenset({429, 500, 502, 503, 504, 522, 524})


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """Seconds asked for by a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def next_delay(current: float, asked: float | None, cap: float) -> float:
    """The slot's new delay: what the server asked for, else double what we had."""
    wanted = asked if asked is not None else max(1.0, current * 2)
    return min(cap, max(current, wanted))


class BackoffMiddleware:
    """Raises the per-site download delay on overload answers; AutoThrottle eases it back."""

    def __init__(self, crawler: Crawler, cap: float) -> None:
        self.crawler = crawler
        self.cap = cap

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BackoffMiddleware:
        if crawler.settings.getlist("ARCHIVER_WARC_REPLAY"):
            # A re-parse answers from the files: a captured 429 asks nothing of the site now,
            # and waiting out its Retry-After would only slow the re-parse.
            raise NotConfigured
        return cls(crawler, crawler.settings.getfloat("ARCHIVER_MAX_BACKOFF"))

    def process_response(self, request: Request, response: Response) -> Response:
        if response.status not in OVERLOAD_STATUSES or self.crawler.engine is None:
            return response
        downloader = self.crawler.engine.downloader
        slot = downloader.slots.get(request.meta.get("download_slot", ""))
        if slot is None:
            return response
        header = response.headers.get("Retry-After")
        asked = retry_after_seconds(header.decode("latin-1") if header else None,
                                    datetime.now(UTC))
        delay = next_delay(slot.delay, asked, self.cap)
        if delay > slot.delay:
            logger.info("HTTP %d from %s: waiting %.1f s between requests",
                        response.status, request.url, delay)
            slot.delay = delay
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("archiver/backoffs")
        return response
