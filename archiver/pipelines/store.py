"""Store pipeline: writes each thread in one transaction, and a 304'd thread as verified."""

from __future__ import annotations

import logging

from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

from archiver import signals as archiver_signals
from archiver.dates import utc_now
from archiver.db.store import Store
from archiver.extensions.ledger import current_run_id, open_writer
from archiver.items import Thread
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
        now = utc_now()
        run_id = current_run_id(self.crawler)
        changes = self.store.write_thread(item, run_id, now)
        # Storing the thread resolves its failures, then records any it raises itself.
        self.store.resolve_failures({item.article.url, *item.source_urls}, run_id, now)
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

    def thread_unchanged(self, article_id: int, url: str) -> None:
        assert self.store is not None
        self.store.mark_unchanged(article_id, url, current_run_id(self.crawler), utc_now())
        self.stats.inc_value("archiver/articles_unchanged")

    def close_spider(self) -> None:
        if self.store is not None:
            self.store.db.close()
            self.store = None
