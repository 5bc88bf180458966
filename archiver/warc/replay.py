"""Downloader middleware: a run answered from WARC files instead of the network."""

from __future__ import annotations

import logging
from collections import deque
from datetime import datetime
from pathlib import Path
from typing import IO

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Request, Response

from archiver import signals as archiver_signals
from archiver.middlewares.fetch_time import stamp
from archiver.warc.pointers import PointerBatch
from archiver.warc.reading import Answer, read_at, scan
from archiver.warc.records import rebuilt_response
from archiver.warc.writer import Written

logger = logging.getLogger(__name__)

# Nothing to sync first (the files are only read): larger batches than a live run's.
POINTER_BATCH = 200


class NotCaptured(IgnoreRequest):
    """The spider asked for a page the WARC files hold no (further) answer for."""


class ReplayMiddleware:
    """Answers each request with the next captured answer to its URL, in capture order, so
    a retried page gets its failed answer first and its good one after, as the live run did.

    Sits where CaptureMiddleware does, nearest the network: every other middleware (stats,
    decompression, re-decoding, redirects, retries) sees the answer as it saw the live one.
    Only the index (URL to record offsets) is held in memory; each body is read when asked
    for. A request with no answer left is a failure of the run, as a lost page would be.
    """

    def __init__(self, crawler: Crawler, files: list[Path]) -> None:
        self.crawler = crawler
        self.answers: dict[str, deque[Answer]] = {}
        for path in files:
            for answer in scan(path).answers:
                self.answers.setdefault(answer.url, deque()).append(answer)
        self.streams: dict[Path, IO[bytes]] = {}
        self.pointers = PointerBatch(crawler, existing_ok=True)
        crawler.signals.connect(self.run_closing, signal=archiver_signals.run_closing)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ReplayMiddleware:
        files = crawler.settings.getlist("ARCHIVER_WARC_REPLAY")
        if not files:
            raise NotConfigured  # a live run
        return cls(crawler, [Path(name) for name in files])

    def process_request(self, request: Request) -> Response:
        stats = self.crawler.stats
        assert stats is not None
        waiting = self.answers.get(request.url)
        if not waiting:
            stats.inc_value("archiver/replay_not_captured")
            logger.warning("not in the WARC files: %s", request.url)
            raise NotCaptured(f"not in the WARC files: {request.url}")
        answer = waiting.popleft()
        stream = self.streams.get(answer.path)
        if stream is None:
            stream = self.streams[answer.path] = open(answer.path, "rb")  # noqa: SIM115
        stats.inc_value("archiver/replay_answers")
        # The capture's moment, not this one: the history is dated as the live run dated it.
        stamp(request.meta, datetime.fromisoformat(answer.date), stats)
        record = read_at(stream, answer.offset)
        response = rebuilt_response(record, request)
        # The rebuilt archive points at the records it was built from, as the crawl's did.
        self.pointers.add(request, response, record.rec_type,
                          Written(answer.path.name, answer.offset, answer.length), answer.date)
        if len(self.pointers.rows) >= POINTER_BATCH:
            self.pointers.commit()
        return response

    def run_closing(self, reason: str) -> None:
        self.pointers.commit()

    def spider_closed(self, spider: Spider) -> None:
        left = sum(len(waiting) for waiting in self.answers.values())
        if left:
            # A parser that now follows fewer links leaves answers unread; nothing is wrong.
            logger.info("%d captured answers were not asked for", left)
        for stream in self.streams.values():
            stream.close()
        self.pointers.commit()  # a run the ledger never opened sends no run_closing
        self.pointers.close()
