"""Store pipeline: writes each thread in one transaction and keeps the run ledger."""

from __future__ import annotations

import logging
import time
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

from archiver.export import write_snapshot
from archiver.items import PageFailure, PageRead, Thread, Unchanged
from archiver.schema import open_database
from archiver.store import Store, utc_now

logger = logging.getLogger(__name__)

# New rows become searchable in batches at most this far apart (a batch per thread cost the
# store two thirds of its time); the run's end indexes the rest.
SEARCH_INDEX_SECONDS = 5.0

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


class StorePipeline:
    """Owns the archive connection for one crawl."""

    def __init__(self, crawler: Crawler, stats: StatsCollector) -> None:
        self.crawler = crawler
        self.stats = stats
        settings = crawler.settings
        self.db_path: str = settings.get("ARCHIVER_DB")
        self.base_url: str = settings.get("ARCHIVER_BASE_URL")
        self.busy_timeout = settings.getfloat("ARCHIVER_BUSY_TIMEOUT")
        self.exports_dir: str = settings.get("ARCHIVER_EXPORTS_DIR") or ""
        self.exports_keep = settings.getint("ARCHIVER_EXPORTS_KEEP")
        self.exports_gzip = settings.getbool("ARCHIVER_EXPORTS_GZIP")
        self.store: Store | None = None
        self.run_id: int | None = None
        self.search_indexed_at = time.monotonic()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        assert crawler.stats is not None
        pipeline = cls(crawler, crawler.stats)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self) -> None:
        self.store = Store(open_database(self.db_path, busy_timeout=self.busy_timeout))
        spider = self.crawler.spider
        mode = getattr(spider, "mode", "crawl")
        self.run_id = self.store.begin_run(mode, self.base_url, utc_now())
        self.stats.set_value("archiver/run_id", self.run_id)

    def process_item(self, item: Any) -> Any:
        assert self.store is not None and self.run_id is not None
        if isinstance(item, PageFailure):
            self.stats.inc_value("archiver/failures")
            self.store.record_failure(self.run_id, item.url, item.reason, item.http_status,
                                      item.attempts, utc_now())
            logger.error("failed %s: %s", item.url, item.reason)
            return item
        if isinstance(item, PageRead):
            self.store.resolve_failures({item.url}, self.run_id, utc_now())
            return item
        if isinstance(item, Unchanged):
            self.store.mark_unchanged(item.article_id, item.url, self.run_id, utc_now())
            self.stats.inc_value("archiver/articles_unchanged")
            return item
        if not isinstance(item, Thread):
            return item
        now = utc_now()
        changes = self.store.write_thread(item, self.run_id, now)
        self.store.resolve_failures({item.article.url, *item.source_urls}, self.run_id, now)
        self.stats.inc_value("archiver/threads_stored")
        if time.monotonic() - self.search_indexed_at >= SEARCH_INDEX_SECONDS:
            self.store.index_pending_search()
            self.search_indexed_at = time.monotonic()
        self.stats.inc_value("archiver/articles_new", int(changes.article_new))
        self.stats.inc_value("archiver/articles_updated", int(changes.article_updated))
        for name in ("comments_new", "comments_edited", "comments_removed", "comments_restored",
                     "comments_seen"):
            self.stats.inc_value(f"archiver/{name}", getattr(changes, name))
        for comment_id in changes.foreign_ids:
            self.stats.inc_value("archiver/failures")
            self.store.record_failure(
                self.run_id, item.article.url,
                f"comment id {comment_id} already belongs to another article; not stored",
                None, 1, now)
            logger.error("comment id %d on %s already belongs to another article",
                         comment_id, item.article.url)
        return item

    def close_spider(self) -> None:
        """Nothing to do: the ledger closes on spider_closed, once the reason is known."""

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.store is None or self.run_id is None:
            return
        counts = {column: int(self.stats.get_value(stat, 0)) for column, stat in
                  LEDGER_STATS.items()}
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
        self.store.db.close()
        # A run that finished is worth a snapshot even if some pages failed: what it has is whole.
        if reason == "finished" and self.exports_dir:
            snapshot = write_snapshot(self.db_path, self.exports_dir, run_id=self.run_id,
                                      keep=self.exports_keep, gzip=self.exports_gzip)
            logger.info("snapshot written to %s", snapshot)
