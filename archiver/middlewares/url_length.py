"""Spider middleware: a URL too long to request is a failure with its URL, not a dropped link."""

from __future__ import annotations

from scrapy import Request
from scrapy.http import Response
from scrapy.spidermiddlewares.urllength import UrlLengthMiddleware

from archiver import signals
from archiver.failures import failure_url
from archiver.signals import PageFailure


class UrlLengthGuard(UrlLengthMiddleware):
    """Scrapy's URLLENGTH_LIMIT filter (in its place), filing each request it drops as a
    failure: a teaser, a sitemap entry or a comment page (filed under its article, whose
    thread is then not stored) that would otherwise vanish with one line of INFO log."""

    def get_processed_request(self, request: Request,
                              response: Response | None) -> Request | None:
        kept = super().get_processed_request(request, response)
        if kept is None:
            reason = (f"URL longer than URLLENGTH_LIMIT ({len(request.url):,} > "
                      f"{self.maxlength:,} characters); not requested")
            url = failure_url(request)
            if url != request.url:
                reason = f"{reason} (at {request.url})"
            self.crawler.signals.send_catch_log(
                signals.page_failed, failure=PageFailure(url, reason, None, 0))
        return kept
