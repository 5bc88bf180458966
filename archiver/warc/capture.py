"""Downloader middleware: every exchange of a run written to WARC files, with pointers."""

from __future__ import annotations

import logging
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Request, Response
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordbuilder import RecordBuilder

from archiver import signals as archiver_signals
from archiver.extensions.ledger import RUN_STARTED_AT, current_run_id
from archiver.middlewares.fetch_time import stamp
from archiver.warc.pointers import PointerBatch
from archiver.warc.records import request_record, response_record
from archiver.warc.writer import WarcFiles, info_fields, warc_dir_for

logger = logging.getLogger(__name__)

# Pointers are committed in batches, each after an fsync of the records they name: a killed
# run loses at most a batch of pointers (the records stay in the file and its index), never
# leaves one naming bytes that are not there.
POINTER_BATCH = 10
# What decides which pages a run asks for and how it reads them: a re-parse runs with the
# same values (warcinfo's archiver-settings), so its spider asks for the same pages.
REPLAYED_SETTINGS = (
    "ARCHIVER_BASE_URL", "ARCHIVER_ALIAS_HOSTS", "ARCHIVER_TIMEZONE", "ARCHIVER_SOURCE",
    "ARCHIVER_CROSS_CHECK", "ARCHIVER_ACTIVE_DAYS", "ARCHIVER_AUDIT_PER_RUN",
    "ARCHIVER_AUDIT_CYCLE_RUNS", "ROBOTSTXT_OBEY", "RETRY_TIMES", "RETRY_HTTP_CODES",
    "REDIRECT_MAX_TIMES", "URLLENGTH_LIMIT", "DOWNLOAD_MAXSIZE")


def warc_date(now: datetime) -> str:
    return now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def setting_text(value: Any) -> str:
    """A setting as `-s NAME=VALUE` gives it back (lists comma-separated)."""
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return str(value)


class CaptureMiddleware:
    """Writes each request and its answer (a 304 as a `revisit`) to the run's WARC files and
    records a `captures` row per answer: run, article where known, file, offset, length.

    Placed nearest the network, so the answer is the one the downloader received: status,
    headers and the body before HttpCompressionMiddleware unpacks it. Off (NotConfigured)
    when ARCHIVER_WARC_DIR is "" or the run is itself answered from WARC files.
    """

    def __init__(self, crawler: Crawler, folder: Path, max_bytes: int) -> None:
        self.crawler = crawler
        self.folder = folder
        self.max_bytes = max_bytes
        self.prefix = Path(crawler.settings.get("ARCHIVER_DB")).stem or "archive"
        self.builder = RecordBuilder(warc_version="1.1")
        self.files: WarcFiles | None = None
        self.pointers = PointerBatch(crawler)
        # Set when the disk refuses the WARC files: the run goes on without its raw pages.
        self.broken: str | None = None
        # Before the ledger closes the run: its last pointers are in before its snapshot.
        crawler.signals.connect(self.run_closing, signal=archiver_signals.run_closing)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CaptureMiddleware:
        settings = crawler.settings
        if settings.getlist("ARCHIVER_WARC_REPLAY"):
            raise NotConfigured  # a re-parse: the answers come from the files
        folder = warc_dir_for(settings.get("ARCHIVER_DB"), settings.get("ARCHIVER_WARC_DIR"))
        if not folder:
            raise NotConfigured("ARCHIVER_WARC_DIR is empty")
        return cls(crawler, Path(folder), settings.getint("ARCHIVER_WARC_MAX_BYTES"))

    def open_files(self) -> WarcFiles:
        run_id = current_run_id(self.crawler)
        spider = self.crawler.spider
        assert spider is not None
        # The mode as resolved (auto: backfill or incremental by the archive's ledger), so a
        # re-parse, whose ledger may differ (a live run killed is replayed to its end), reads
        # the pages this run read.
        plan = getattr(spider, "plan", None)
        mode = (plan.mode if plan is not None and plan.mode in ("backfill", "incremental")
                else getattr(spider, "requested_mode", "auto"))
        arguments = {"mode": mode,
                     "urls": ",".join(getattr(spider, "requested_urls", []))}
        settings = {name: setting_text(self.crawler.settings.get(name))
                    for name in REPLAYED_SETTINGS}
        started = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        assert self.crawler.stats is not None
        return WarcFiles(self.folder, self.prefix, run_id, started, self.max_bytes,
                         info_fields(run_id, spider.name, arguments, settings,
                                     self.crawler.stats.get_value(RUN_STARTED_AT)))

    def process_response(self, request: Request, response: Response) -> Response:
        now = datetime.now(UTC)
        # The thread these bytes make is dated by them, in this run and in a re-parse alike
        # (and by the answer's arrival once the disk refuses the files).
        assert self.crawler.stats is not None
        stamp(request.meta, now, self.crawler.stats)
        if self.broken is not None:
            return response
        date = warc_date(now)
        revisits = self.revisited(response.url) if response.status == 304 else None
        answer = response_record(self.builder, response, date, revisits)
        asked = request_record(self.builder, request, date,
                               answer.rec_headers.get_header("WARC-Record-ID"))
        try:
            if self.files is None:
                self.files = self.open_files()
            written = self.files.write([answer, asked])[0]
        except OSError as exc:
            self.give_up(exc)
            return response
        self.pointers.add(request, response, answer.rec_type, written, date)
        self.crawler.stats.inc_value("archiver/warc_records", 2)
        if len(self.pointers.rows) >= POINTER_BATCH:
            try:
                self.commit()
            except OSError as exc:
                self.give_up(exc, synced=False)
        return response

    def revisited(self, url: str) -> tuple[str, str | None] | None:
        """The WARC-Date and record id of the latest earlier 200 `response` record of `url`
        (a 304 answers the validators a 200 gave), from the pointers: this batch's first,
        then every run's. None when capture was off then; no id when its file is gone."""
        found = next((row for row in reversed(self.pointers.rows) if row["url"] == url
                      and row["record_type"] == "response" and row["status"] == 200), None)
        if found is None:
            try:
                row = self.pointers.store.db.execute(
                    "SELECT warc_file, \"offset\", captured_at FROM captures WHERE url = ? "
                    "AND record_type = 'response' AND status = 200 "
                    "ORDER BY captured_at DESC LIMIT 1", [url]).fetchone()
            except sqlite3.Error:
                return None
            if row is None:
                return None
            found = dict(zip(("warc_file", "offset", "captured_at"), row, strict=True))
        try:
            with open(self.folder / found["warc_file"], "rb") as stream:
                stream.seek(found["offset"])
                headers = next(iter(ArchiveIterator(stream, check_digests=False))).rec_headers
        except (OSError, StopIteration, ArchiveLoadFailed):
            headers = None
        if headers is not None and headers.get_header("WARC-Target-URI") == url:
            return headers.get_header("WARC-Date"), headers.get_header("WARC-Record-ID")
        # The file lives in another WARC folder: the date alone still finds it in a replay.
        at = datetime.fromisoformat(found["captured_at"]).astimezone(UTC)
        return warc_date(at), None

    def commit(self) -> None:
        if not self.pointers.rows or self.files is None:
            return
        self.files.sync()
        self.pointers.commit()

    def give_up(self, exc: OSError, *, synced: bool | None = None) -> None:
        """The WARC files cannot be written (a full disk): one line, no capture for the rest
        of the run, and the run is partial (RunLedger). The batch's pointers are kept if the
        records they name reach the disk (they were whole before the write that failed);
        not when an fsync has failed already (`synced=False`): a second one may pass with
        the bytes lost."""
        if self.broken is not None:
            return
        self.broken = str(exc)
        assert self.crawler.stats is not None
        self.crawler.stats.set_value("archiver/warc_failed", str(exc))
        kept = ""
        if self.pointers.rows and self.files is not None:
            if synced is not False and self.files.synced():
                self.pointers.commit()
            else:
                kept = f"; the last {len(self.pointers.rows)} answers' pointers dropped"
                self.pointers.rows.clear()
        if self.files is not None:
            self.files.abandon()
        logger.warning("raw pages not kept from here on: %s%s", exc, kept)

    def run_closing(self, reason: str) -> None:
        if self.broken is None:
            try:
                self.commit()
            except OSError as exc:
                self.give_up(exc, synced=False)
        if self.broken is None and self.files is not None and self.files.file is not None:
            try:
                self.files.close()
            except OSError as exc:
                self.give_up(exc, synced=False)
                return
            logger.info("raw pages kept in %s: %s", self.folder,
                        ", ".join(self.files.closed_files))

    def spider_closed(self, spider: Spider) -> None:
        try:
            self.run_closing("closed")  # a run the ledger never opened sends no run_closing
        finally:
            self.pointers.close()
