"""Extension: a JSON Lines snapshot after every run that finished (off when no exports folder)."""

from __future__ import annotations

import logging

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from archiver import signals as archiver_signals
from archiver.export.jsonl import write_snapshot
from archiver.export.publish import exports_dir_for

logger = logging.getLogger(__name__)


class Snapshot:
    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.db_path: str = settings.get("ARCHIVER_DB")
        # Unset: the archive's own <db>.exports folder, never one shared by every archive.
        self.exports_dir = exports_dir_for(self.db_path, settings.get("ARCHIVER_EXPORTS_DIR"))
        if not self.exports_dir:
            raise NotConfigured("ARCHIVER_EXPORTS_DIR is empty: snapshots are off")
        self.keep = settings.getint("ARCHIVER_EXPORTS_KEEP")
        self.gzip = settings.getbool("ARCHIVER_EXPORTS_GZIP")
        crawler.signals.connect(self.run_finished, signal=archiver_signals.run_finished)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Snapshot:
        return cls(crawler)

    def run_finished(self, run_id: int, status: str, reason: str) -> None:
        # A run that finished is worth a snapshot even if some pages failed: what it has is whole.
        if reason != "finished":
            return
        snapshot = write_snapshot(self.db_path, self.exports_dir, run_id=run_id, keep=self.keep,
                                  gzip=self.gzip)
        logger.info("snapshot written to %s", snapshot)
