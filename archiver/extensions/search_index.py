"""Extension: new rows become searchable in batches, every few seconds of a run."""

from __future__ import annotations

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from sqlite_utils import Database
from twisted.internet import task

from archiver.db.search import index_pending_search
from archiver.extensions.ledger import open_writer

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
        self.loop = task.LoopingCall(self.index)
        self.loop.start(SEARCH_INDEX_SECONDS, now=False)

    def index(self) -> None:
        if self.db is not None:
            index_pending_search(self.db)

    def spider_closed(self, spider: Spider) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        if self.db is not None:
            self.db.close()
            self.db = None
