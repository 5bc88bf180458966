"""The `ldv` spider: finds Liberal Democrat Voice articles and hands whole threads on."""

from __future__ import annotations

import math
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots
from twisted.python.failure import Failure

from archiver.errors import PageStructureError
from archiver.failures import FAILURE_URL_META, page_failure
from archiver.items import Comment, PageFailure, Thread, Unchanged
from archiver.schedule import active_since, refetch_reason
from archiver.schema import open_database
from archiver.store import Store
from spiders.feeds import comment_feed_links
from spiders.ldv_pages import parse_ldv_article, parse_ldv_comments
from spiders.ldv_urls import SiteUrls
from spiders.wordpress import comment_page_links, parse_listing

_COMMENT_PAGE = re.compile(r"comment-page-(\d+)|[?&]cpage=(\d+)")


def comment_page_number(url: str) -> int | None:
    match = _COMMENT_PAGE.search(url)
    if match is None:
        return None
    return int(match[1] or match[2])


def audit_size(articles: int, per_run: int, cycle_runs: int) -> int:
    """Threads the audit re-reads this run: at most `per_run`, and no more than a full cycle
    over `cycle_runs` runs needs, so a small archive's scheduled runs stay a small share of
    a full crawl (20 re-reads would be 2 % of a 1,000-article site on their own)."""
    return min(per_run, math.ceil(articles / cycle_runs))


class LdvSpider(scrapy.Spider):
    """Walks the listings (and, for a backfill, the sitemap); fetches each article once a run.

    Arguments: ``-a mode=auto|backfill|incremental`` (auto: backfill on an empty archive),
    ``-a urls=URL[,URL...]`` to crawl just those articles.
    """

    name = "ldv"
    allowed_domains: list[str]

    def __init__(self, *args: Any, mode: str = "auto", urls: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.requested_mode = mode
        self.mode = mode
        self.start_urls_arg = [u.strip() for u in urls.split(",") if u.strip()]
        self.requested: set[int] = set()
        self.site = SiteUrls("http://localhost", frozenset())
        self.store: Store | None = None
        self.window_start = ""
        self.audit_per_run = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> LdvSpider:
        spider: LdvSpider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.site = SiteUrls(
            settings.get("ARCHIVER_BASE_URL").rstrip("/"),
            frozenset(h.lower() for h in settings.getlist("ARCHIVER_ALIAS_HOSTS")),
        )
        spider.allowed_domains = [spider.site.host.split(":")[0]]
        # The spider only reads the archive, to decide what to fetch; the store pipeline writes.
        spider.store = Store(open_database(settings.get("ARCHIVER_DB"),
                                           busy_timeout=settings.getfloat("ARCHIVER_BUSY_TIMEOUT")))
        if spider.start_urls_arg:
            spider.mode = "urls"
        elif spider.requested_mode == "auto":
            # Until a backfill has run to its end (one killed part-way left threads unread
            # that no listing walk may reach), auto means backfill.
            spider.mode = "incremental" if spider.store.backfill_finished() else "backfill"
        now = datetime.now(UTC)
        spider.window_start = active_since(now, settings.getint("ARCHIVER_ACTIVE_DAYS"))
        spider.audit_per_run = audit_size(spider.store.article_count(),
                                          settings.getint("ARCHIVER_AUDIT_PER_RUN"),
                                          settings.getint("ARCHIVER_AUDIT_CYCLE_RUNS"))
        return spider

    @property
    def incremental(self) -> bool:
        return self.mode == "incremental"

    async def start(self) -> AsyncIterator[Any]:
        self.logger.info("mode %s on %s", self.mode, self.site.base_url)
        if self.mode == "urls":
            for url in self.start_urls_arg:
                request = self.article_request(url, reason="asked for")
                if request is None:
                    self.logger.error("not an article URL of this site: %s", url)
                    yield PageFailure(url, "not an article URL of this site")
                else:
                    yield request
            return
        yield scrapy.Request(f"{self.site.base_url}/", callback=self.parse_listing_page,
                             errback=self.on_listing_error)

    # --- navigation -----------------------------------------------------------------------

    def article_request(self, url: str, *, reason: str, listed_count: int | None = None,
                        conditional: bool = False) -> scrapy.Request | None:
        found = self.site.article(url)
        if found is None:
            return None
        post_id, canonical = found
        if post_id in self.requested:
            return None
        self.requested.add(post_id)
        headers: dict[str, str] = {}
        if conditional and self.store is not None:
            etag, modified = self.store.validators(canonical)
            if etag:
                headers["If-None-Match"] = etag
            if modified:
                headers["If-Modified-Since"] = modified
        self.logger.debug("fetch %s (%s)", canonical, reason)
        self.crawler.stats.inc_value(f"archiver/fetch_reason/{reason}")
        return scrapy.Request(
            canonical, headers=headers, callback=self.parse_article, errback=self.on_error,
            cb_kwargs={"post_id": post_id, "listed_count": listed_count},
            meta={"handle_httpstatus_list": [304]},
        )

    def parse_listing_page(self, response: Response) -> Iterator[Any]:
        try:
            listing = parse_listing(response_selector(response), response.url)
        except PageStructureError as exc:
            yield PageFailure(response.url, str(exc), response.status)
            yield from self.after_listings()
            return
        self.crawler.stats.inc_value("archiver/listing_pages")
        if not listing.teasers:
            # WordPress answers 404 past its last page, so an empty listing is a broken one.
            yield PageFailure(response.url, "listing page shows no articles", response.status)
            yield from self.after_listings()
            return
        wanted_on_page = 0
        for teaser in listing.teasers:
            found = self.site.article(teaser.url)
            if found is None:
                continue
            post_id, _ = found
            if self.incremental:
                assert self.store is not None
                reason = refetch_reason(self.store.article_state(post_id), teaser.comment_count,
                                        self.window_start)
                if reason is None:
                    continue
            else:
                reason = self.mode
            wanted_on_page += 1
            request = self.article_request(teaser.url, reason=reason,
                                           listed_count=teaser.comment_count,
                                           conditional=self.incremental)
            if request is not None:
                yield request
        more = listing.next_url is not None and self.site.on_site(listing.next_url)
        if self.incremental and wanted_on_page == 0:
            # A whole page of old, unchanged threads: everything older is older still.
            more = False
        if more and listing.next_url is not None:
            yield scrapy.Request(self.site.rebase(listing.next_url),
                                 callback=self.parse_listing_page, errback=self.on_listing_error)
        else:
            yield from self.after_listings()

    def after_listings(self) -> Iterator[Any]:
        """Requests that must wait until the listings have given each article its count."""
        if self.mode == "backfill":
            yield scrapy.Request(f"{self.site.base_url}/robots.txt", callback=self.parse_robots,
                                 errback=self.on_error)
            return
        assert self.store is not None
        yield scrapy.Request(f"{self.site.base_url}/comments/feed/",
                             callback=self.parse_comment_feed, errback=self.on_error)
        for _, url in self.store.articles_published_since(self.window_start):
            if (request := self.article_request(url, reason="active", conditional=True)):
                yield request
        for url in self.store.unresolved_failure_urls():
            if (request := self.article_request(url, reason="failed before")):
                yield request
        for _, url in self.store.least_recently_verified(self.audit_per_run):
            # Unconditional on purpose: a cache's Last-Modified may follow the post, not its
            # comments, and the audit is the net that must not trust it.
            if (request := self.article_request(url, reason="audit")):
                yield request

    def parse_robots(self, response: Response) -> Iterator[Any]:
        sitemaps = list(sitemap_urls_from_robots(response.body, base_url=response.url))
        if not sitemaps:
            sitemaps = [f"{self.site.base_url}/wp-sitemap.xml"]
        for url in sitemaps:
            if self.site.on_site(url):
                yield scrapy.Request(self.site.rebase(url), callback=self.parse_sitemap,
                                     errback=self.on_error)

    def parse_sitemap(self, response: Response) -> Iterator[Any]:
        sitemap = Sitemap(response.body)
        for entry in sitemap:
            url = entry["loc"]
            if not self.site.on_site(url):
                continue
            if sitemap.type == "sitemapindex":
                yield scrapy.Request(self.site.rebase(url), callback=self.parse_sitemap,
                                     errback=self.on_error)
            elif (request := self.article_request(url, reason="sitemap")):
                yield request

    def parse_comment_feed(self, response: Response) -> Iterator[Any]:
        assert self.store is not None
        links = comment_feed_links(response.body)
        unknown = self.store.unknown_comment_ids(links)
        for comment_id in sorted(unknown):
            if (request := self.article_request(links[comment_id], reason="comment feed")):
                yield request

    # --- articles ---------------------------------------------------------------------------

    def parse_article(self, response: Response, post_id: int, listed_count: int | None,
                      pages: dict[int, tuple[Comment, ...]] | None = None,
                      pending: list[str] | None = None,
                      first: Thread | None = None) -> Iterator[Any]:
        if response.status == 304:
            yield Unchanged(post_id, response.url)
            return
        if not isinstance(response, TextResponse):
            kind = response.headers.get("Content-Type")
            yield PageFailure(response.url, f"not a text page ({kind!r})", response.status)
            return
        self.crawler.stats.inc_value("archiver/pages_parsed")
        selector = response.selector
        comments = tuple(parse_ldv_comments(selector, response.url))
        links = [link for link in comment_page_links(selector, response.url)
                 if self.site.on_site(link)]
        if first is None:
            try:
                article = parse_ldv_article(response)
            except PageStructureError as exc:
                yield PageFailure(response.url, str(exc), response.status)
                return
            found = self.site.article(response.url)
            if found is not None:
                article = replace(article, url=found[1])
            numbers = [n for link in links if (n := comment_page_number(link)) is not None]
            # Oldest-first themes link to pages 2..N; newest-first show page N at the URL.
            own = 1 if not numbers or min(numbers) > 1 else max(numbers) + 1
            pages = {own: comments}
            first = Thread(article=article, comments=(), source_urls=(response.url,),
                           listed_count=listed_count,
                           validators=((response.url, header(response, "ETag"),
                                        header(response, "Last-Modified")),))
            pending = []
        else:
            assert pages is not None and pending is not None
            number = comment_page_number(response.url)
            pages[number if number is not None else len(pages) + 1] = comments
            first = replace(first, source_urls=(*first.source_urls, response.url))
        fetched = set(first.source_urls) | set(pending)
        pending = pending + [self.site.rebase(link) for link in links
                             if self.site.rebase(link) not in fetched]
        if pending:
            next_url, rest = pending[0], pending[1:]
            yield scrapy.Request(next_url, callback=self.parse_article, errback=self.on_error,
                                 cb_kwargs={"post_id": post_id, "listed_count": listed_count,
                                            "pages": pages, "pending": rest, "first": first},
                                 meta={FAILURE_URL_META: first.article.url})
            return
        yield self.finish_thread(first, pages)

    def finish_thread(self, first: Thread, pages: dict[int, tuple[Comment, ...]]) -> Thread:
        comments = tuple(c for number in sorted(pages) for c in pages[number])
        declared = first.article.comment_count_declared
        # Pages may overlap (newest-first themes): a WordPress id counts once.
        ids = [c.comment_id for c in comments if c.comment_id is not None]
        extracted = len(set(ids)) + (len(comments) - len(ids))
        if (declared or 0) != extracted:
            self.crawler.stats.inc_value("archiver/count_mismatches")
            self.logger.warning("count mismatch on %s: heading says %s, extracted %d",
                                first.article.url, declared, extracted)
        return replace(first, comments=comments)

    def on_listing_error(self, failure: Failure) -> Iterator[Any]:
        """A lost listing page must not cost the rest of the run its later phases."""
        yield from self.on_error(failure)
        yield from self.after_listings()

    def on_error(self, failure: Failure) -> Iterator[PageFailure]:
        yield page_failure(failure)


def header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def response_selector(response: Response) -> scrapy.Selector:
    if not isinstance(response, TextResponse):
        raise PageStructureError(f"{response.url} is not a text page")
    return response.selector
