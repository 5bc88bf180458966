"""Extension: new rows become searchable in batches, every few seconds of a run."""

from __future__ import annotations

import logging
import sqlite3

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from sqlite_utils import Database
from twisted.internet import task

from archiver.db.search import index_pending_search
from archiver.extensions.ledger import open_writer

logger = logging.getLogger(__name__)

# A batch per thread cost the store two thirds of its time (FTS5 wrote a segment per thread);
# the run's end (the ledger closing the run) indexes the rest.
SEARCH_INDEX_SECONDS = 5.0


class SearchIndexer:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.db: Database | None = None
        self.loop: task.LoopingCall | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SearchIndexer:
        return cls(crawler)

    def spider_opened(self, spider: Spider) -> None:
        self.db = open_writer(self.crawler.settings).db
        # Batches are optional work: one that meets another connection's write lock is
        # skipped at once rather than holding up the crawl for the busy timeout; the rows wait
        # for the next batch, or the run's end.
        self.db.execute("PRAGMA busy_timeout = 0")
        self.loop = task.LoopingCall(self.index)
        self.loop.start(SEARCH_INDEX_SECONDS, now=False)

    def index(self) -> None:
        if self.db is None:
            return
        try:
            index_pending_search(self.db)
        except sqlite3.Error as exc:
            # The rows wait; the next batch, the run's end or the next run indexes them.
            logger.info("search index not updated now (%s)", exc)

    def spider_closed(self, spider: Spider) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        if self.db is not None:
            self.db.close()
            self.db = None
