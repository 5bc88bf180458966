"""Extension: every failed page becomes a row in `failures`; a page read later resolves it.

A failure the archive will not take (the write lock held past the busy timeout, the disk
full) goes to the journal beside it (archiver.db.journal), which the next run folds into
`failures`. When the run ends, every article it asked for and never read (the run stopped
first) is recorded too, so an article listed but never stored is due on every run until it is.
"""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from twisted.python.failure import Failure

from archiver import signals as archiver_signals
from archiver.dates import utc_now
from archiver.db.store import Store
from archiver.db.transaction import is_unwritable, write_problem
from archiver.extensions.ledger import (
    ARCHIVE_UNWRITABLE,
    SITE_UNREACHABLE,
    RunLedger,
    current_run_id,
    open_writer,
)
from archiver.failures import FAILURE_URL_META, describe, failure_url
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
        # Article URLs asked for this run (-> post id), and those settled: stored, or 304.
        self.asked: dict[str, int] = {}
        self.settled: set[str] = set()
        self.settled_ids: set[int] = set()
        for handler, signal in ((self.spider_opened, signals.spider_opened),
                                (self.spider_closed, signals.spider_closed),
                                (self.item_error, signals.item_error),
                                (self.request_scheduled, signals.request_scheduled),
                                (self.request_dropped, signals.request_dropped),
                                (self.item_scraped, signals.item_scraped),
                                (self.thread_unchanged, archiver_signals.thread_unchanged),
                                (self.run_closing, archiver_signals.run_closing),
                                (self.page_failed, archiver_signals.page_failed),
                                (self.page_read, archiver_signals.page_read)):
            crawler.signals.connect(handler, signal=signal)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FailureLog:
        return cls(crawler)

    @property
    def ledger(self) -> RunLedger:
        ledger = self.crawler.get_extension(RunLedger)
        assert ledger is not None, "RunLedger must be enabled"
        return ledger

    def spider_opened(self, spider: Spider) -> None:
        self.store = open_writer(self.crawler.settings)

    def spider_closed(self, spider: Spider) -> None:
        if self.store is not None:
            self.store.db.close()
            self.store = None

    def page_failed(self, failure: PageFailure, archive_refused: bool = False) -> None:
        ledger = self.ledger
        if ledger.stopping == SITE_UNREACHABLE:
            return  # refused because the site answers nothing: the ledger has said so
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("archiver/failures")
        self.failed.add(failure.url)
        where = self.record([failure], skip_archive=archive_refused)
        # Once the run is stopping, its one line is logged; what follows is detail.
        level = logging.INFO if ledger.stopping else logging.ERROR
        logger.log(level, "failed %s: %s%s", failure.url, failure.reason, where)

    def record(self, failures: list[PageFailure], *, skip_archive: bool = False) -> str:
        """Write failure rows (in one transaction), else keep them in the journal; returns
        where they went when that is not the archive, for the log line."""
        run_id, now = current_run_id(self.crawler), utc_now()
        # An archive found unwritable is not asked again this run.
        skip_archive = skip_archive or self.ledger.stopping == ARCHIVE_UNWRITABLE
        if not skip_archive and self.store is not None:
            try:
                self.store.record_failures([(run_id, f.url, f.reason, f.http_status, f.attempts)
                                            for f in failures], now)
                return ""
            except sqlite3.Error as exc:
                if is_unwritable(exc):
                    self.ledger.stop(ARCHIVE_UNWRITABLE, f"archive unwritable: {write_problem(exc)}"
                                     " while recording a failed page")
        journal = self.ledger.journal
        if journal.append(*({"kind": "failure", "run_id": run_id, "url": f.url,
                             "reason": f.reason, "http_status": f.http_status,
                             "attempts": f.attempts, "failed_at": now} for f in failures)):
            return f" (the archive took no write: kept in {journal.path.name} for the next run)"
        return " (not recorded anywhere: the next run may not retry it)"

    def page_read(self, url: str) -> None:
        if url not in self.failed and self.store is not None:
            try:
                self.store.resolve_failures({url}, current_run_id(self.crawler), utc_now())
            except sqlite3.Error as exc:
                logger.info("%s read, but its earlier failures stay open (%s); the next run "
                            "resolves them", url, write_problem(exc))

    def item_error(self, item: Any, response: Any, spider: Spider, failure: Failure) -> None:
        """A thread that failed in a pipeline is lost for this run: record that, not just log."""
        if isinstance(item, Thread):
            reason, _ = describe(failure.value)
            self.page_failed(PageFailure(item.article.url, f"not stored: {reason}", None, 1))

    # --- what was asked for and never read --------------------------------------------------

    def request_scheduled(self, request: Request, spider: Spider) -> None:
        # An article's first page (a comment page carries its article's URL in meta).
        post_id = request.cb_kwargs.get("post_id")
        if isinstance(post_id, int) and not request.meta.get(FAILURE_URL_META):
            self.asked.setdefault(failure_url(request), post_id)

    def request_dropped(self, request: Request, spider: Spider) -> None:
        # Dropped as a duplicate of one already asked for, which settles it.
        self.asked.pop(failure_url(request), None)

    def item_scraped(self, item: Any, response: Any, spider: Spider) -> None:
        if isinstance(item, Thread):
            self.settled.update((item.article.url, *item.source_urls))
            self.settled_ids.add(item.article.article_id)

    def thread_unchanged(self, article_id: int, url: str) -> None:
        self.settled.add(url)
        self.settled_ids.add(article_id)

    def run_closing(self, reason: str) -> None:
        unread = [PageFailure(url, f"not read: the run ended first ({reason})")
                  for url, post_id in self.asked.items()
                  if url not in self.settled and post_id not in self.settled_ids
                  and url not in self.failed]
        if not unread:
            return
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("archiver/failures", len(unread))
        self.failed.update(failure.url for failure in unread)
        where = self.record(unread)
        level = logging.INFO if self.ledger.stopping or reason != "finished" else logging.ERROR
        logger.log(level, "%d articles asked for were not read before the run ended (%s); "
                   "recorded as failures, due again next run%s", len(unread), reason, where)
