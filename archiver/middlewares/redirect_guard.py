"""Downloader middleware: a redirect off the site, in a loop, or to a page already asked for
is a failure with a reason, where Scrapy's filters would drop it without a word."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from w3lib.url import safe_url_string

from archiver.failures import Refused
from archiver.urls import without_fragment

_REDIRECTS = frozenset({301, 302, 303, 307, 308})


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
            self.scheduled.add(without_fragment(request.url))

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
        target = without_fragment(urljoin(request.url, safe_url_string(location)))
        parts = urlsplit(target)
        if parts.netloc.lower() != self.site:
            what = ("an alias of this site; point ARCHIVER_BASE_URL at the host the site "
                    "redirects to" if (parts.hostname or "") in self.aliases else "another site")
            raise Refused(response, f"HTTP {response.status} redirect to {target}: {what}; "
                          "not followed")
        chain = [*request.meta.get("redirect_urls", []), request.url]
        if target in {without_fragment(url) for url in chain}:
            hops = " -> ".join(urlsplit(url).path or "/" for url in [*chain, target])
            raise Refused(response, f"redirect loop ({hops})")
        if target in self.scheduled:
            raise Refused(response, f"HTTP {response.status} redirect to {urlsplit(target).path}"
                          ", a page this run already asked for; not read twice")
        return response
