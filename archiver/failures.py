"""Failures are data: every page a crawl could not archive becomes a recorded `PageFailure`."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import (
    CannotResolveHostError,
    CloseSpider,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import HtmlResponse, Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure
from w3lib.url import safe_url_string

from archiver.items import PageFailure, PageRead, Thread

logger = logging.getLogger(__name__)

# Request meta: the URL a failure of this request is filed under, when it is not the request's
# own (a comment page files its failure under its article, the URL the next run can retry).
FAILURE_URL_META = "archiver_failure_url"
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
# A WordPress page ends with </html>, perhaps followed by a caching plugin's comments.
_HTML_END = re.compile(rb"</html\s*>(?:\s|<!--.*?-->)*\Z", re.IGNORECASE | re.DOTALL)
_HTML_START = re.compile(rb"<html[\s>]", re.IGNORECASE)


class Refused(IgnoreRequest):
    """A response the archiver will not use as a page; the message says why."""

    def __init__(self, response: Response, reason: str) -> None:
        super().__init__(reason)
        self.response = response


def failure_url(request: Request) -> str:
    """The URL a failure of `request` is filed under: the one the spider asked for.

    That is the article a comment page belongs to, else the URL before any redirect, so the
    next run's retry and a later success (which resolves by article URL) find the row.
    """
    explicit = request.meta.get(FAILURE_URL_META)
    if explicit:
        return str(explicit)
    chain = request.meta.get("redirect_urls") or [request.url]
    return str(chain[0])


def describe(error: BaseException | None,
             request: Request | None = None) -> tuple[str, int | None]:
    """A one-line reason a person can act on, and the HTTP status if there was a response."""
    if error is None:
        return "unknown error", None
    if isinstance(error, Refused):
        return str(error), error.response.status
    if isinstance(error, HttpError):
        response = error.response
        reason = f"HTTP {response.status}"
        retry_after = response.headers.get("Retry-After")
        if retry_after:
            reason += f" (Retry-After: {retry_after.decode('latin-1')})"
        return reason, response.status
    timeout = None if request is None else request.meta.get("download_timeout")
    messages: list[tuple[type[BaseException], str]] = [
        (DownloadTimeoutError, f"timed out: no complete response within {timeout} s"),
        (ResponseDataLossError, "body cut short: fewer bytes arrived than Content-Length"),
        (DownloadConnectionRefusedError, "connection refused"),
        (CannotResolveHostError, "host name not found"),
    ]
    for kind, message in messages:
        if isinstance(error, kind):
            return message, None
    if isinstance(error, DownloadFailedError):
        # Twisted's reasons (ConnectionLost, ConnectionDone, ResponseNeverReceived, ...) vary
        # with timing for the same fault; the one fact is that no whole response arrived.
        return "connection lost before a whole response arrived", None
    if isinstance(error, DownloadCancelledError):
        sizes = re.search(r"receive (\d+) bytes .* max size \((\d+)\)", str(error))
        if sizes:
            return (f"response larger than DOWNLOAD_MAXSIZE ({sizes[1]} > {sizes[2]} bytes); "
                    "not downloaded"), None
        return re.sub(r" in request <[^>]*>", "", str(error)).rstrip("."), None
    text = str(error).strip()
    return (f"{type(error).__name__}: {text}" if text else type(error).__name__), None


def page_failure(failure: Failure) -> PageFailure:
    """The failure item for an errback's `failure` (download error, HTTP error, refusal)."""
    request: Request = failure.request  # type: ignore[attr-defined]
    reason, status = describe(failure.value, request)
    url = failure_url(request)
    if request.meta.get(FAILURE_URL_META) and url != request.url:
        reason = f"{reason} (at {request.url})"
    return PageFailure(url, reason, status, request.meta.get("retry_times", 0) + 1)


class FailuresMiddleware:
    """Spider middleware: failures are recorded where the next run will look for them.

    An exception in a callback, or a thread the pipelines could not store, becomes a
    `PageFailure`; a page handled without one yields `PageRead`, which resolves earlier
    failures of its URL (listing pages and 304s included, not only stored threads).
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        crawler.signals.connect(self.item_error, signal=signals.item_error)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FailuresMiddleware:
        return cls(crawler)

    def process_spider_output(self, response: Response,
                              result: Iterable[Any]) -> Iterator[Any]:
        watch = _Watch(response)
        for output in result:
            yield watch.see(output)
        yield from watch.finish()

    async def process_spider_output_async(self, response: Response,
                                          result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        watch = _Watch(response)
        async for output in result:
            yield watch.see(output)
        for output in watch.finish():
            yield output

    def process_spider_exception(self, response: Response,
                                 exception: Exception) -> Iterable[Any] | None:
        if isinstance(exception, CloseSpider):
            return None
        request = response.request
        logger.error("callback failed on %s", response.url, exc_info=exception)
        self.stats_inc(f"archiver/callback_errors/{type(exception).__name__}")
        reason = f"{describe(exception, request)[0]} (raised while reading the page)"
        url = response.url if request is None else failure_url(request)
        if url != response.url:
            reason = f"{reason} (at {response.url})"
        attempts = 1 if request is None else request.meta.get("retry_times", 0) + 1
        return [PageFailure(url, reason, response.status, attempts)]

    async def item_error(self, item: Any, response: Response | None, spider: Spider,
                         failure: Failure) -> None:
        """A thread that failed in a pipeline is lost for this run: record that, not just log."""
        if not isinstance(item, Thread) or self.crawler.engine is None:
            return
        reason, _ = describe(failure.value)
        record = PageFailure(item.article.url, f"not stored: {reason}", None, 1)
        await self.crawler.engine.scraper.start_itemproc_async(record, response=response)

    def stats_inc(self, key: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(key)


class _Watch:
    """Follows one callback's output: fixes where its failures are filed, and says at the end
    whether the page was read without failure and is not part of a thread (a thread's
    failures are resolved by storing it)."""

    def __init__(self, response: Response) -> None:
        self.response = response
        request = response.request
        self.url = response.url if request is None else failure_url(request)
        # A comment page's success is its thread's, which the stored `Thread` resolves.
        self.settled = request is not None and bool(request.meta.get(FAILURE_URL_META))

    def see(self, output: Any) -> Any:
        if isinstance(output, PageFailure):
            if output.url == self.response.url and self.url != output.url:
                output = PageFailure(self.url, f"{output.reason} (at {output.url})",
                                     output.http_status, output.attempts)
            if output.url == self.url:
                self.settled = True
        elif isinstance(output, Request) and output.meta.get(FAILURE_URL_META) == self.url:
            self.settled = True
        elif isinstance(output, Thread):
            # Storing the thread resolves its failures, then records any it raises itself.
            self.settled = True
        return output

    def finish(self) -> Iterator[PageRead]:
        if not self.settled:
            yield PageRead(self.url)


class RedirectGuard:
    """Downloader middleware: a redirect off the site, around in a loop, or to a page this run
    has already asked for fails the request with a reason, where Scrapy would drop it without
    a word (the off-site and duplicate filters discard the redirected request silently)."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.site = urlsplit(settings.get("ARCHIVER_BASE_URL", "")).netloc.lower()
        self.aliases = frozenset(h.lower() for h in settings.getlist("ARCHIVER_ALIAS_HOSTS"))
        # What the duplicate filter has seen: every URL scheduled this run.
        self.scheduled: set[str] = set()
        crawler.signals.connect(self.request_scheduled, signal=signals.request_scheduled)

    def request_scheduled(self, request: Request) -> None:
        if not request.dont_filter:
            self.scheduled.add(_without_fragment(request.url))

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedirectGuard:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        if response.status not in _REDIRECTS or b"Location" not in response.headers:
            return response
        if request.meta.get("dont_redirect") or response.status in request.meta.get(
                "handle_httpstatus_list", ()):
            return response
        location = response.headers[b"Location"] or b""
        target = _without_fragment(urljoin(request.url, safe_url_string(location)))
        parts = urlsplit(target)
        if parts.netloc.lower() != self.site:
            what = ("an alias of this site; point ARCHIVER_BASE_URL at the host the site "
                    "redirects to" if (parts.hostname or "") in self.aliases else "another site")
            raise Refused(response, f"HTTP {response.status} redirect to {target}: {what}; "
                          "not followed")
        chain = [*request.meta.get("redirect_urls", []), request.url]
        if target in {_without_fragment(url) for url in chain}:
            hops = " -> ".join(urlsplit(url).path or "/" for url in [*chain, target])
            raise Refused(response, f"redirect loop ({hops})")
        if target in self.scheduled:
            raise Refused(response, f"HTTP {response.status} redirect to {urlsplit(target).path}"
                          ", a page this run already asked for; not read twice")
        return response


class CutShortGuard:
    """Downloader middleware: an HTML page that stops before `</html>` is retried, then
    refused, so half a thread is never taken for the whole of it."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CutShortGuard:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Request | Response:
        if not isinstance(response, HtmlResponse) or response.status != 200:
            return response
        if html_is_whole(response.body):
            return response
        spider = self.crawler.spider
        assert spider is not None
        retry = get_retry_request(request, spider=spider, reason="HTML cut short")
        if retry is not None:
            return retry
        raise Refused(response, "page cut short or garbled: the HTML stops before </html>")


def html_is_whole(body: bytes) -> bool:
    """False for an HTML document that starts but never ends; bodies that are no HTML
    document at all are left to the page functions to reject."""
    if _HTML_START.search(body[:4096]) is None:
        return True
    return _HTML_END.search(body[-65536:]) is not None


def _without_fragment(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(fragment=""))
