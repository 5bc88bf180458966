"""Downloader middleware: every exchange of a run written to WARC files, with pointers."""

from __future__ import annotations

import logging
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Request, Response
from warcio.recordbuilder import RecordBuilder

from archiver import signals as archiver_signals
from archiver.db.transaction import immediate, write_problem
from archiver.extensions.ledger import current_run_id, open_writer
from archiver.warc.records import request_record, response_record
from archiver.warc.writer import WarcFiles, Written, info_fields, warc_dir_for

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
        self.pending: list[dict[str, Any]] = []
        # Set when the disk refuses the WARC files: the run goes on without its raw pages.
        self.broken: str | None = None
        self.store = open_writer(crawler.settings)
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
        arguments = {"mode": getattr(spider, "requested_mode", "auto"),
                     "urls": ",".join(getattr(spider, "requested_urls", []))}
        settings = {name: setting_text(self.crawler.settings.get(name))
                    for name in REPLAYED_SETTINGS}
        started = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        return WarcFiles(self.folder, self.prefix, run_id, started, self.max_bytes,
                         info_fields(run_id, spider.name, arguments, settings))

    def process_response(self, request: Request, response: Response) -> Response:
        if self.broken is not None:
            return response
        now = datetime.now(UTC)
        date = warc_date(now)
        answer = response_record(self.builder, response, date)
        asked = request_record(self.builder, request, date,
                               answer.rec_headers.get_header("WARC-Record-ID"))
        try:
            if self.files is None:
                self.files = self.open_files()
            written = self.files.write([answer, asked])[0]
        except OSError as exc:
            self.give_up(exc)
            return response
        self.pending.append(self.pointer(request, response, answer.rec_type, written,
                                         now.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")))
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("archiver/warc_records", 2)
        if len(self.pending) >= POINTER_BATCH:
            self.commit()
        return response

    def pointer(self, request: Request, response: Response, record_type: str,
                written: Written, captured_at: str) -> dict[str, Any]:
        return {"run_id": current_run_id(self.crawler),
                "article_id": self.article_of(request), "url": response.url,
                "status": response.status, "record_type": record_type,
                "warc_file": written.warc_file, "offset": written.offset,
                "length": written.length, "captured_at": captured_at}

    def article_of(self, request: Request) -> int | None:
        """The article an answer belongs to: the spider's post id for the request, REST's
        `post=` for a comments query of one post, else the site's permalink rule."""
        post_id = request.cb_kwargs.get("post_id")
        if isinstance(post_id, int):
            return post_id
        posts = parse_qs(urlsplit(request.url).query).get("post", [])
        if len(posts) == 1 and posts[0].isdigit():
            return int(posts[0])
        spider: Spider | None = self.crawler.spider
        found = getattr(spider, "site_urls", None)
        article = found.article(request.url) if found is not None else None
        return None if article is None else int(article[0])

    def commit(self) -> None:
        if not self.pending or self.files is None:
            return
        self.files.sync()
        rows, self.pending = self.pending, []
        try:
            with immediate(self.store.db) as db:
                db.table("captures").insert_all(rows)
        except sqlite3.Error as exc:
            # The records stay in the WARC files and their CDXJ; only the shortcut is lost.
            logger.warning("%d capture pointers not recorded: %s", len(rows), write_problem(exc))
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("archiver/captures_unrecorded", len(rows))

    def give_up(self, exc: OSError) -> None:
        """The WARC files cannot be written (a full disk): one line, and no capture for the
        rest of the run; the pointers already committed name whole records."""
        self.broken = str(exc)
        logger.warning("raw pages not kept from here on: %s", exc)
        assert self.crawler.stats is not None
        self.crawler.stats.set_value("archiver/warc_failed", str(exc))

    def run_closing(self, reason: str) -> None:
        if self.broken is None:
            try:
                self.commit()
            except OSError as exc:
                self.give_up(exc)
        if self.broken is None and self.files is not None and self.files.file is not None:
            try:
                self.files.close()
            except OSError as exc:
                self.give_up(exc)
                return
            logger.info("raw pages kept in %s: %s", self.folder,
                        ", ".join(self.files.closed_files))

    def spider_closed(self, spider: Spider) -> None:
        try:
            self.run_closing("closed")  # a run the ledger never opened sends no run_closing
        finally:
            self.store.db.close()
