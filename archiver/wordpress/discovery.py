"""Where a WordPress site's articles are found: listing pages, the sitemap, the comments feed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import scrapy
from scrapy.http import Response, TextResponse
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots
from twisted.python.failure import Failure

from archiver.db.reads import ArchiveReader
from archiver.errors import PageStructureError
from archiver.policy import RunPlan, refetch_reason
from archiver.site import SiteUrls
from archiver.wordpress.feeds import comment_feed_links
from archiver.wordpress.listing import parse_listing

# Sitemaps of terms and people (WordPress's own, Yoast's, Rank Math's): no article is in them.
_NOT_POSTS_SITEMAP = re.compile(
    r"(?:wp-sitemap-(?:taxonomies|users)-|/(?:category|post_tag|tag|author|post_format)"
    r"-sitemap\d*\.xml)", re.I)


class Discovery:
    """The spider's callbacks that find articles; each found one goes to `article_request`.

    A backfill walks the listings to the oldest, then the sitemap. An incremental run walks
    the listings while they show something new or changed, then the comments feed, the
    active window, earlier failures and the audit.
    """

    crawler: Any
    archive: ArchiveReader
    plan: RunPlan
    requested: set[int]  # post ids this run has asked for

    @property
    def site_urls(self) -> SiteUrls:
        raise NotImplementedError

    @property
    def mode(self) -> str:
        raise NotImplementedError

    def article_request(self, url: str, *, reason: str, listed_count: int | None = None,
                        conditional: bool = False,
                        post_id: int | None = None) -> scrapy.Request | None:
        raise NotImplementedError

    def teaser_article(self, url: str, post_id: int | None) -> tuple[int, str] | None:
        raise NotImplementedError

    def page_failed(self, response: Response, reason: str) -> None:
        raise NotImplementedError

    def site_article(self, url: str) -> tuple[int, str] | None:
        raise NotImplementedError

    def read_page(self, response: Response) -> TextResponse:
        raise NotImplementedError

    def on_error(self, failure: Failure) -> None:
        raise NotImplementedError

    def parse_listing_page(self, response: Response) -> Iterator[Any]:
        try:
            listing = parse_listing(self.read_page(response).selector, response.url)
        except PageStructureError as exc:
            self.page_failed(response, str(exc))
            yield from self.after_listings()
            return
        self.crawler.stats.inc_value("archiver/listing_pages")
        if not listing.teasers:
            # WordPress answers 404 past its last page, so an empty listing is a broken one.
            self.page_failed(response, "listing page shows no articles")
            yield from self.after_listings()
            return
        wanted_on_page = 0
        for teaser in listing.teasers:
            found = self.site_article(teaser.url) or self.teaser_article(teaser.url,
                                                                         teaser.post_id)
            if found is None:
                continue
            if self.plan.incremental:
                reason = refetch_reason(self.archive.article_state(found[0]),
                                        teaser.comment_count, self.plan.window_start,
                                        self.plan.window_end)
                if reason is None:
                    continue
            else:
                reason = self.mode
            wanted_on_page += 1
            request = self.article_request(teaser.url, reason=reason, post_id=found[0],
                                           listed_count=teaser.comment_count,
                                           conditional=self.plan.incremental)
            if request is not None:
                yield request
        more = listing.next_url is not None and self.site_urls.on_site(listing.next_url)
        if self.plan.incremental and wanted_on_page == 0:
            # A whole page of old, unchanged threads: everything older is older still.
            more = False
        if more and listing.next_url is not None:
            yield scrapy.Request(self.site_urls.rebase(listing.next_url),
                                 callback=self.parse_listing_page, errback=self.on_listing_error)
        else:
            yield from self.after_listings()

    def after_listings(self) -> Iterator[Any]:
        """Requests that must wait until the listings have given each article its count."""
        base = self.site_urls.base_url
        if self.mode == "backfill":
            yield scrapy.Request(f"{base}/robots.txt", callback=self.parse_robots,
                                 errback=self.on_error)
            return
        yield scrapy.Request(f"{base}/comments/feed/", callback=self.parse_comment_feed,
                             errback=self.on_error)
        for post_id, url in self.archive.articles_published_since(self.plan.window_start,
                                                                  self.plan.window_end):
            if (request := self.article_request(url, reason="active", conditional=True,
                                                post_id=post_id)):
                yield request
        for url in self.archive.unresolved_failure_urls():
            if (request := self.article_request(url, reason="failed before")):
                yield request
        yield from self.audit_requests()

    def audit_requests(self) -> Iterator[scrapy.Request]:
        """The audit: the least recently verified threads this run reads for no other reason.

        Threads read already in this run are passed over, not counted: whether each is
        stored yet (and so no longer least recently verified) depends on timing, and the
        audit must be the same set whenever it is chosen (live, or re-parsed from the files).
        """
        wanted = self.plan.audit_size
        candidates = self.archive.least_recently_verified(wanted + len(self.requested))
        for post_id, url in candidates:
            if wanted == 0:
                return
            if post_id in self.requested:
                continue
            # Unconditional on purpose: a cache's Last-Modified may follow the post, not its
            # comments, and the audit is the net that must not trust it.
            if (request := self.article_request(url, reason="audit", post_id=post_id)):
                wanted -= 1
                yield request

    def parse_robots(self, response: Response) -> Iterator[Any]:
        sitemaps = list(sitemap_urls_from_robots(response.body, base_url=response.url))
        if not sitemaps:
            sitemaps = [f"{self.site_urls.base_url}/wp-sitemap.xml"]
        for url in sitemaps:
            if self.site_urls.on_site(url):
                yield scrapy.Request(self.site_urls.rebase(url), callback=self.parse_sitemap,
                                     errback=self.on_error)

    def parse_sitemap(self, response: Response) -> Iterator[Any]:
        sitemap = Sitemap(response.body)
        for entry in sitemap:
            url = entry["loc"]
            if not self.site_urls.on_site(url):
                continue
            if sitemap.type == "sitemapindex":
                if _NOT_POSTS_SITEMAP.search(url):
                    continue
                yield scrapy.Request(self.site_urls.rebase(url), callback=self.parse_sitemap,
                                     errback=self.on_error)
            elif (request := self.article_request(url, reason="sitemap")):
                yield request

    def parse_comment_feed(self, response: Response) -> Iterator[Any]:
        links = comment_feed_links(response.body)
        for comment_id in sorted(self.archive.unknown_comment_ids(links)):
            if (request := self.article_request(links[comment_id], reason="comment feed")):
                yield request

    def on_listing_error(self, failure: Failure) -> Iterator[Any]:
        """A lost listing page must not cost the rest of the run its later phases."""
        self.on_error(failure)
        yield from self.after_listings()
