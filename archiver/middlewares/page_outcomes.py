"""Spider middleware: a callback's exception fails its page; a page read to its end is read."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider
from scrapy.http import Response

from archiver import signals
from archiver.failures import FAILURE_URL_META, describe, failure_url
from archiver.items import Thread
from archiver.signals import PageFailure

logger = logging.getLogger(__name__)


class PageOutcomesMiddleware:
    """Sends `page_failed` for a callback that raised, and `page_read` for a page whose callback
    finished and that is not part of a thread (storing a thread resolves its own failures).

    The failure log decides what a `page_read` resolves: not a page that failed this run.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PageOutcomesMiddleware:
        return cls(crawler)

    def process_spider_output(self, response: Response,
                              result: Iterable[Any]) -> Iterator[Any]:
        watch = _Watch(response)
        for output in result:
            yield watch.see(output)
        self.finish(watch)

    async def process_spider_output_async(self, response: Response,
                                          result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        watch = _Watch(response)
        async for output in result:
            yield watch.see(output)
        self.finish(watch)

    def finish(self, watch: _Watch) -> None:
        if not watch.settled:
            self.crawler.signals.send_catch_log(signals.page_read, url=watch.url)

    def process_spider_exception(self, response: Response,
                                 exception: Exception) -> Iterable[Any] | None:
        if isinstance(exception, CloseSpider):
            return None
        request = response.request
        logger.error("callback failed on %s", response.url, exc_info=exception)
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"archiver/callback_errors/{type(exception).__name__}")
        reason = f"{describe(exception, request)[0]} (raised while reading the page)"
        url = response.url if request is None else failure_url(request)
        if url != response.url:
            reason = f"{reason} (at {response.url})"
        attempts = 1 if request is None else request.meta.get("retry_times", 0) + 1
        self.crawler.signals.send_catch_log(
            signals.page_failed, failure=PageFailure(url, reason, response.status, attempts))
        return []


class _Watch:
    """Follows one callback's output: whether its page is settled by something else (a thread
    stored, or the next comment page of the same thread asked for)."""

    def __init__(self, response: Response) -> None:
        request = response.request
        self.url = response.url if request is None else failure_url(request)
        # A comment page's success is its thread's, which the stored `Thread` resolves.
        self.settled = request is not None and bool(request.meta.get(FAILURE_URL_META))

    def see(self, output: Any) -> Any:
        if isinstance(output, Thread) or (isinstance(output, Request)
                                          and output.meta.get(FAILURE_URL_META) == self.url):
            self.settled = True
        return output
