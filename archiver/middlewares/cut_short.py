"""Downloader middleware: an HTML page cut short is retried, then refused, never parsed as whole."""

from __future__ import annotations

import re

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.http import HtmlResponse, Response

from archiver.failures import Refused

# A WordPress page ends with </html>, perhaps followed by a caching plugin's comments.
_HTML_END = re.compile(rb"</html\s*>(?:\s|<!--.*?-->)*\Z", re.IGNORECASE | re.DOTALL)
_HTML_START = re.compile(rb"<html[\s>]", re.IGNORECASE)


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
