"""Extension: every failed page becomes a row in `failures`; a page read later resolves it."""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from twisted.python.failure import Failure

from archiver import signals as archiver_signals
from archiver.dates import utc_now
from archiver.db.store import Store
from archiver.extensions.ledger import current_run_id, open_writer
from archiver.failures import describe
from archiver.items import Thread
from archiver.signals import PageFailure

logger = logging.getLogger(__name__)


class FailureLog:
    """Records `page_failed` (and threads a pipeline could not store); resolves on `page_read`."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.store: Store | None = None
        # URLs failed this run: a later `page_read` of one (its callback finished after sending
        # the failure) must not resolve what was just recorded.
        self.failed: set[str] = set()
        for handler, signal in ((self.spider_opened, signals.spider_opened),
                                (self.spider_closed, signals.spider_closed),
                                (self.item_error, signals.item_error),
                                (self.page_failed, archiver_signals.page_failed),
                                (self.page_read, archiver_signals.page_read)):
            crawler.signals.connect(handler, signal=signal)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FailureLog:
        return cls(crawler)

    def spider_opened(self, spider: Spider) -> None:
        self.store = open_writer(self.crawler.settings)

    def spider_closed(self, spider: Spider) -> None:
        if self.store is not None:
            self.store.db.close()
            self.store = None

    def page_failed(self, failure: PageFailure) -> None:
        assert self.store is not None
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("archiver/failures")
        self.failed.add(failure.url)
        self.store.record_failure(current_run_id(self.crawler), failure.url, failure.reason,
                                  failure.http_status, failure.attempts, utc_now())
        logger.error("failed %s: %s", failure.url, failure.reason)

    def page_read(self, url: str) -> None:
        if url not in self.failed and self.store is not None:
            self.store.resolve_failures({url}, current_run_id(self.crawler), utc_now())

    def item_error(self, item: Any, response: Any, spider: Spider, failure: Failure) -> None:
        """A thread that failed in a pipeline is lost for this run: record that, not just log."""
        if isinstance(item, Thread):
            reason, _ = describe(failure.value)
            self.page_failed(PageFailure(item.article.url, f"not stored: {reason}", None, 1))
