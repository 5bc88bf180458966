"""A site that answers nothing stops the run at once, in one line (and robots.txt is quick)."""

from __future__ import annotations

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
from scrapy.http import Response
from scrapy.utils.httpobj import urlparse_cached

from archiver.extensions.ledger import SITE_UNREACHABLE, RunLedger
from archiver.failures import describe

# robots.txt is the run's first request and a small file: its tries are bounded so that a
# host that accepts connections and never answers is known within about a minute
# (3 tries of 15 s), not after DOWNLOAD_TIMEOUT x (RETRY_TIMES + 1), twice over.
ROBOTS_TIMEOUT = 15.0
ROBOTS_RETRIES = 2


class SiteUnreachable(IgnoreRequest):
    """The site gave no answer at all this run; every request since is refused with this."""


class SiteReachable:
    """Downloader middleware, before DownloadTimeoutMiddleware (350), so its robots.txt
    timeout is the one used, and after RetryMiddleware (550) on the way back, so it sees a
    request's failure only once its retries are spent.

    Until the site has answered once (robots.txt aside), a request that fails without any
    response (no such host, connection refused, timed out, connection lost), robots.txt or the
    first listing page, means the site is unreachable:
    the ledger stops the run ("site unreachable", exit code 4) with one line, and every
    request after that is refused quietly. Refusing the failed robots.txt with an
    IgnoreRequest also keeps Scrapy's robots.txt middleware from logging a traceback.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.robots_timeout = min(settings.getfloat("DOWNLOAD_TIMEOUT"), ROBOTS_TIMEOUT)
        self.robots_retries = min(settings.getint("RETRY_TIMES"), ROBOTS_RETRIES)
        self.answered = False
        self.unreachable: str | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SiteReachable:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        if self.unreachable is not None:
            raise SiteUnreachable(self.unreachable)
        if urlparse_cached(request).path == "/robots.txt":
            request.meta.setdefault("download_timeout", self.robots_timeout)
            request.meta.setdefault("max_retry_times", self.robots_retries)

    def process_response(self, request: Request, response: Response) -> Response:
        # robots.txt may be served apart from the site (a CDN, a static file): a site that
        # answers only that has not answered yet.
        if urlparse_cached(request).path != "/robots.txt":
            self.answered = True
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        if isinstance(exception, IgnoreRequest):
            return
        # Cut off at DOWNLOAD_MAXSIZE: the site did answer.
        answer = isinstance(exception, DownloadCancelledError)
        if not answer and not self.answered:
            if self.unreachable is None:
                reason, _ = describe(exception, request)
                attempts = request.meta.get("retry_times", 0) + 1
                self.unreachable = (f"site unreachable: {request.url}: {reason} "
                                    f"({attempts} {'try' if attempts == 1 else 'tries'})")
                ledger = self.crawler.get_extension(RunLedger)
                if ledger is not None:
                    ledger.stop(SITE_UNREACHABLE, self.unreachable)
            raise SiteUnreachable(self.unreachable)
        if request.meta.get("dont_obey_robotstxt") and urlparse_cached(request).path == (
                "/robots.txt"):
            # Scrapy's robots.txt middleware logs any other error with a traceback, then reads
            # the site as allowing everything, as it does for an IgnoreRequest.
            raise IgnoreRequest(f"robots.txt not read: {describe(exception, request)[0]}")
