"""Extension: what the archive knows, read-only, for the spider (as Scrapy's SpiderState)."""

from __future__ import annotations

from scrapy import Spider, signals
from scrapy.crawler import Crawler

from archiver.db.connection import open_reader
from archiver.db.reads import ArchiveReader
from archiver.extensions.ledger import run_started
from archiver.policy import RunPlan, active_since, active_until, audit_size, run_mode


class ArchiveState:
    """Gives the spider `archive` (an ArchiveReader) and `plan` (this run's RunPlan).

    Built after the run ledger, which holds the lock and has applied the schema, and before
    the spider opens, so the ledger records the planned mode.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        spider = crawler.spider
        self.reader = ArchiveReader(open_reader(
            settings.get("ARCHIVER_DB"), busy_timeout=settings.getfloat("ARCHIVER_BUSY_TIMEOUT")))
        now = run_started(crawler)
        self.plan = RunPlan(
            mode=run_mode(getattr(spider, "requested_mode", "auto"),
                          bool(getattr(spider, "requested_urls", ())),
                          self.reader.backfill_finished()),
            window_start=active_since(now, settings.getint("ARCHIVER_ACTIVE_DAYS")),
            window_end=active_until(now),
            audit_size=audit_size(self.reader.article_count(),
                                  settings.getint("ARCHIVER_AUDIT_PER_RUN"),
                                  settings.getint("ARCHIVER_AUDIT_CYCLE_RUNS")))
        if spider is not None:
            spider.archive = self.reader  # type: ignore[attr-defined]
            spider.plan = self.plan  # type: ignore[attr-defined]
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchiveState:
        return cls(crawler)

    def spider_closed(self, spider: Spider) -> None:
        self.reader.db.close()
