"""Store pipeline: writes each thread in one transaction, and a 304'd thread as verified.

A write the archive refuses (its lock held past ARCHIVER_BUSY_TIMEOUT, the disk full, an I/O
error) is a failure of that thread, in one line, never a traceback: the thread is retried next
run. An archive that takes no writes at all (disk full, I/O error) stops the run.
"""

from __future__ import annotations

import logging
import sqlite3

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector

from archiver import signals as archiver_signals
from archiver.dates import utc_now
from archiver.db.store import Store
from archiver.db.transaction import is_unwritable, write_problem
from archiver.extensions.ledger import ARCHIVE_UNWRITABLE, RunLedger, current_run_id, open_writer
from archiver.failures import describe
from archiver.items import Thread
from archiver.middlewares.fetch_time import moment_of
from archiver.signals import PageFailure

logger = logging.getLogger(__name__)

# ThreadChanges fields counted as `archiver/<name>` stats, for the ledger.
_COUNTED = ("comments_new", "comments_edited", "comments_removed", "comments_restored",
            "comments_seen")


class StorePipeline:
    """The archive's writer for threads; the run it writes under is the ledger's."""

    def __init__(self, crawler: Crawler, stats: StatsCollector) -> None:
        self.crawler = crawler
        self.stats = stats
        self.store: Store | None = None
        crawler.signals.connect(self.thread_unchanged, signal=archiver_signals.thread_unchanged)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        assert crawler.stats is not None
        return cls(crawler, crawler.stats)

    def open_spider(self) -> None:
        self.store = open_writer(self.crawler.settings)

    def process_item(self, item: Thread) -> Thread:
        assert self.store is not None
        now = moment_of(item.fetched_at, self.stats)
        run_id = current_run_id(self.crawler)
        try:
            changes = self.store.write_thread(item, run_id, now)
        except sqlite3.Error as exc:
            self.not_stored(item.article.url, exc)
            # Recorded above; Scrapy's own "Dropped" line (with the whole thread) stays quiet.
            raise DropItem(f"not stored: {write_problem(exc)}", log_level="DEBUG") from None
        # Storing the thread resolves its failures, then records any it raises itself.
        try:
            # The failure log keeps the archiver's own clock, as it does when it files one.
            self.store.resolve_failures({item.article.url, *item.source_urls}, run_id,
                                        utc_now())
        except sqlite3.Error as exc:
            logger.info("%s stored, but its earlier failures stay open (%s); the next run "
                        "resolves them", item.article.url, write_problem(exc))
        self.stats.inc_value("archiver/threads_stored")
        self.stats.inc_value("archiver/articles_new", int(changes.article_new))
        self.stats.inc_value("archiver/articles_updated", int(changes.article_updated))
        for name in _COUNTED:
            self.stats.inc_value(f"archiver/{name}", getattr(changes, name))
        for comment_id in changes.foreign_ids:
            self.crawler.signals.send_catch_log(archiver_signals.page_failed, failure=PageFailure(
                item.article.url,
                f"comment id {comment_id} already belongs to another article; not stored"))
        return item

    def thread_unchanged(self, article_id: int, url: str, fetched_at: str | None = None) -> None:
        assert self.store is not None
        try:
            self.store.mark_unchanged(article_id, url, current_run_id(self.crawler),
                                      moment_of(fetched_at, self.stats))
        except sqlite3.Error as exc:
            self.not_stored(url, exc)
            return
        self.stats.inc_value("archiver/articles_unchanged")

    def not_stored(self, url: str, error: sqlite3.Error) -> None:
        """The archive refused this thread's write: a failure (retried next run), and for an
        archive that takes no writes at all, the end of the run."""
        ledger = self.crawler.get_extension(RunLedger)
        if is_unwritable(error) and ledger is not None:
            ledger.stop(ARCHIVE_UNWRITABLE, f"archive unwritable: {write_problem(error)} while "
                        f"storing {url}")
        self.stats.inc_value("archiver/threads_not_stored")
        # After a lock held past the timeout the failure row may still fit (the lock may be
        # gone by now); an archive that takes no writes gets the journal at once.
        self.crawler.signals.send_catch_log(
            archiver_signals.page_failed,
            failure=PageFailure(url, f"not stored: {describe(error)[0]}", None, 1),
            archive_refused=is_unwritable(error))

    def close_spider(self) -> None:
        if self.store is not None:
            self.store.db.close()
            self.store = None
