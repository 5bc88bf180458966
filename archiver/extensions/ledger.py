"""Extension: the run lock and the run ledger (`crawl_runs`), with the run's one-line summary."""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path
from typing import IO

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.settings import BaseSettings

from archiver import signals as archiver_signals
from archiver.dates import utc_now
from archiver.db.schema import open_database
from archiver.db.store import Store

logger = logging.getLogger(__name__)

# crawl_runs column -> Scrapy stat that feeds it.
LEDGER_STATS = {
    "requests": "downloader/request_count",
    "pages_parsed": "archiver/pages_parsed",
    "articles_new": "archiver/articles_new",
    "articles_updated": "archiver/articles_updated",
    "comments_new": "archiver/comments_new",
    "comments_edited": "archiver/comments_edited",
    "comments_removed": "archiver/comments_removed",
    "comments_restored": "archiver/comments_restored",
    "count_mismatches": "archiver/count_mismatches",
    "date_warnings": "archiver/date_warnings",
    "errors": "archiver/failures",
}


def open_writer(settings: BaseSettings) -> Store:
    """A writer connection to the crawl's archive (each component that writes has its own)."""
    return Store(open_database(settings.get("ARCHIVER_DB"),
                               busy_timeout=settings.getfloat("ARCHIVER_BUSY_TIMEOUT")))


def current_run_id(crawler: Crawler) -> int:
    """The run the ledger opened, which every row written this crawl belongs to."""
    ledger = crawler.get_extension(RunLedger)
    assert ledger is not None and ledger.run_id is not None, "RunLedger must be enabled"
    return ledger.run_id


class ArchiveBusy(Exception):
    """Another run holds the archive."""


class RunLock:
    """An exclusive lock beside the archive; the kernel drops it if the process dies."""

    def __init__(self, db_path: str) -> None:
        self.path = Path(f"{db_path}.lock")
        self.handle: IO[str] | None = None

    def acquire(self) -> None:
        handle = self.path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise ArchiveBusy(
                f"archive {self.path.with_suffix('')} is in use by a running crawl "
                f"(pid {holder}); not starting") from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self.handle = handle

    def release(self) -> None:
        if self.handle is not None:
            fcntl.flock(self.handle, fcntl.LOCK_UN)
            self.handle.close()
            self.handle = None


class RunLedger:
    """Holds the run lock for the whole crawl and keeps the run's row in `crawl_runs`.

    The lock is taken when the crawler is built, before any request; the schema is applied
    under it. The row is opened when the spider opens and closed, with the counts, once the
    close reason is known; then `run_finished` tells the snapshot it may read.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.lock = RunLock(settings.get("ARCHIVER_DB"))
        self.lock.acquire()
        try:
            self.store = open_writer(settings)
        except BaseException:
            self.lock.release()
            raise
        self.run_id: int | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunLedger:
        return cls(crawler)

    def spider_opened(self, spider: Spider) -> None:
        plan = getattr(spider, "plan", None)
        mode = plan.mode if plan is not None else "crawl"
        self.run_id = self.store.begin_run(mode, self.crawler.settings.get("ARCHIVER_BASE_URL"),
                                           utc_now())
        assert self.crawler.stats is not None
        self.crawler.stats.set_value("archiver/run_id", self.run_id)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        try:
            if self.run_id is not None:
                self.close_run(reason)
        finally:
            self.store.db.close()
            self.lock.release()

    def close_run(self, reason: str) -> None:
        assert self.run_id is not None and self.crawler.stats is not None
        stats = self.crawler.stats
        counts = {column: int(stats.get_value(stat, 0)) for column, stat in LEDGER_STATS.items()}
        status = "ok" if reason == "finished" and not counts["errors"] else (
            "partial" if reason == "finished" else "aborted")
        self.store.finish_run(self.run_id, status, reason, utc_now(), counts)
        logger.info(
            "archiver run %d %s (%s): %d requests, %d pages, articles %d new %d updated, "
            "comments %d new %d edited %d removed %d restored, %d count mismatches, "
            "%d date warnings, %d failures",
            self.run_id, status, reason, counts["requests"], counts["pages_parsed"],
            counts["articles_new"], counts["articles_updated"], counts["comments_new"],
            counts["comments_edited"], counts["comments_removed"], counts["comments_restored"],
            counts["count_mismatches"], counts["date_warnings"], counts["errors"],
        )
        self.crawler.signals.send_catch_log(archiver_signals.run_finished, run_id=self.run_id,
                                            status=status, reason=reason)
