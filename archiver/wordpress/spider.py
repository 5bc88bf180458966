"""The navigation spider for any WordPress site: what to ask for, and threads read page by page."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from functools import cached_property
from typing import Any

import scrapy
from scrapy.http import Response, TextResponse
from scrapy.settings import BaseSettings
from twisted.python.failure import Failure

from archiver import signals
from archiver.db.reads import ArchiveReader
from archiver.errors import NotAnArticle, PageStructureError
from archiver.failures import FAILURE_URL_META, failure_url, page_failure
from archiver.ids import in_sqlite_range
from archiver.items import Comment, Thread
from archiver.middlewares.fetch_time import FETCHED_AT
from archiver.policy import RunPlan
from archiver.signals import PageFailure
from archiver.site import SiteProfile, SiteUrls
from archiver.threads import ThreadPages
from archiver.wordpress.comment_nodes import find_ping_ids
from archiver.wordpress.comment_pages import comment_page_links
from archiver.wordpress.discovery import Discovery
from archiver.wordpress.rest_walk import RestWalk
from archiver.wordpress.whole_page import FLATTEN_DEPTH, read_whole

# The failure reason of a `-a urls=` URL the spider will not fetch. It concerns the run that
# was asked, so the next run resolves it (a later run asking again files it again).
REFUSED_URL = "not an article URL of this site"


class WordPressSpider(Discovery, RestWalk, scrapy.Spider):
    """Walks the listings (and, for a backfill, the sitemap); fetches each article once a run.

    Arguments: ``-a mode=auto|backfill|incremental`` (auto: backfill until one has finished),
    ``-a urls=URL[,URL...]`` to crawl just those articles. What to fetch comes from `plan`
    and `archive`, which the ArchiveState extension gives the spider before it starts.
    ``ARCHIVER_SOURCE`` says whether the site's REST API (rest_walk.py) or its HTML is read.
    """

    name = "wordpress"
    profile = SiteProfile(name="wordpress")
    # The crawl's `-a` arguments; anything else is a typo that preflight refuses.
    arguments = ("mode", "urls")
    allowed_domains: list[str]
    archive: ArchiveReader
    plan: RunPlan

    def __init__(self, *args: Any, mode: str = "auto", urls: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.requested_mode = mode
        self.requested_urls = [u.strip() for u in urls.split(",") if u.strip()]
        self.requested: set[int] = set()
        # Article URLs asked for before their post id is known (a sitemap's or a feed's link on
        # a site whose permalinks carry none): the page itself says which post it is.
        self.requested_by_url: set[str] = set()
        # Ids beyond SQLite's range met this run, each warned about and counted once.
        self.out_of_range: set[str] = set()
        # REST threads to read from their pages too (auto mode's cross-check): post id -> ids.
        self.cross_checks: dict[int, frozenset[int]] = {}

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        # The profile's defaults sit below `-s`, above the project's settings.
        settings.setdict(cls.profile.settings(), priority="spider")
        super().update_settings(settings)

    @cached_property
    def site_urls(self) -> SiteUrls:
        settings = self.crawler.settings
        return SiteUrls(settings.get("ARCHIVER_BASE_URL").rstrip("/"),
                        frozenset(h.lower() for h in settings.getlist("ARCHIVER_ALIAS_HOSTS")),
                        self.profile.article_path)

    @property
    def mode(self) -> str:
        return self.plan.mode

    @property
    def source(self) -> str:
        return str(self.crawler.settings.get("ARCHIVER_SOURCE"))

    async def start(self) -> AsyncIterator[Any]:
        site = self.site_urls
        self.allowed_domains = [site.host.split(":")[0]]
        self.logger.info("mode %s on %s", self.mode, site.base_url)
        for url in self.archive.unresolved_failure_urls(reason_prefix=REFUSED_URL):
            # An earlier run's refused argument: nothing to retry, so this run settles it.
            self.crawler.signals.send_catch_log(signals.page_read, url=url)
        if self.mode == "urls":
            for url in self.requested_urls:
                found = site.article(url)
                reason = REFUSED_URL
                if found is not None and not in_sqlite_range(found[0]):
                    self.count_out_of_range(f"post id of {url}")
                    reason = f"{REFUSED_URL}: its post id is beyond SQLite's integer range"
                elif found is not None:
                    # The same article twice in the list is asked for once.
                    if (request := self.article_request(url, reason="asked for")):
                        yield request
                    continue
                self.logger.error("%s: %s", reason, url)
                self.report(PageFailure(url, reason))
            return
        if self.source != "html":
            for request in self.rest_start():
                yield request
            return
        self.use_source("html")
        yield scrapy.Request(f"{site.base_url}/", callback=self.parse_listing_page,
                             errback=self.on_listing_error)

    def report(self, failure: PageFailure) -> None:
        self.crawler.signals.send_catch_log(signals.page_failed, failure=failure)

    def page_failed(self, response: Response, reason: str) -> None:
        """This response's page could not be archived: filed under the URL the spider asked
        for (a comment page's article, the URL before redirects)."""
        url = response.url if response.request is None else failure_url(response.request)
        if url != response.url:
            reason = f"{reason} (at {response.url})"
        self.report(PageFailure(url, reason, response.status))

    def site_article(self, url: str) -> tuple[int, str] | None:
        """(post id, canonical URL) when `url` is an article of this site the archive can
        hold; one whose id is beyond SQLite's range is skipped, with a warning."""
        found = self.site_urls.article(url)
        if found is not None and not in_sqlite_range(found[0]):
            self.count_out_of_range(f"post id of {url}")
            return None
        return found

    def count_out_of_range(self, what: str) -> None:
        """An id no SQLite INTEGER can hold (2^63 and up): warned about and counted once."""
        if what in self.out_of_range:
            return
        self.out_of_range.add(what)
        self.crawler.stats.inc_value("archiver/ids_out_of_range")
        self.logger.warning("skipped: %s is beyond SQLite's integer range", what)

    def read_page(self, response: Response) -> TextResponse:
        """The page parsed whole, flattened if it nests deeper than the HTML parser goes;
        raises PageStructureError for one that cannot be read whole (not text, too many
        tags, too deep even flattened)."""
        if not isinstance(response, TextResponse):
            kind = response.headers.get("Content-Type")
            raise PageStructureError(f"not a text page ({kind!r})")
        page = read_whole(response)
        if page.dropped_tags:
            self.crawler.stats.inc_value("archiver/pages_flattened")
            self.logger.warning(
                "%s nests deeper than the HTML parser's limit: read again with %d tags below "
                "the %dth level left out (their text kept)", response.url, page.dropped_tags,
                FLATTEN_DEPTH)
        return page.response

    def teaser_article(self, url: str, post_id: int | None) -> tuple[int, str] | None:
        """A listed post whose URL carries no id (`/%postname%/` permalinks): its teaser's
        `post-N` id, on sites whose profile trusts it (the generic one)."""
        if (not self.profile.ids_from_listings or post_id is None
                or not in_sqlite_range(post_id) or not self.site_urls.on_site(url)
                or not self.site_urls.may_be_article(url)):
            return None
        return post_id, self.site_urls.rebase(url)

    def article_request(self, url: str, *, reason: str, listed_count: int | None = None,
                        conditional: bool = False,
                        post_id: int | None = None) -> scrapy.Request | None:
        """`post_id`: known already (a listing's teaser, the archive), for URLs without one."""
        found = self.site_article(url)
        if found is None and post_id is None:
            post_id = self.stored_post_id(url)
        if found is None and post_id is not None:
            found = self.teaser_article(url, post_id)
        if found is None:
            return self.request_by_url(url, reason)
        post_id, canonical = found
        if post_id in self.requested:
            return None
        self.requested.add(post_id)
        self.requested_by_url.add(canonical)
        headers: dict[str, str] = {}
        if conditional:
            etag, modified = self.archive.validators(canonical)
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

    @cached_property
    def stored_ids_by_url(self) -> dict[str, int]:
        return self.archive.article_ids_by_url() if self.profile.ids_from_listings else {}

    def stored_post_id(self, url: str) -> int | None:
        """The post id the archive holds for an id-less article URL (or one of its comment
        pages), on sites whose profile reads ids from pages."""
        if not self.profile.ids_from_listings or not self.site_urls.on_site(url):
            return None
        return self.stored_ids_by_url.get(article_page_url(self.site_urls.rebase(url)))

    def request_by_url(self, url: str, reason: str) -> scrapy.Request | None:
        """An id-less URL never read before: fetched, and its post id taken from the page."""
        if (not self.profile.ids_from_listings or not self.site_urls.on_site(url)
                or not self.site_urls.may_be_article(url)):
            return None
        canonical = article_page_url(self.site_urls.rebase(url))
        if canonical.rstrip("/") == self.site_urls.base_url.rstrip("/"):
            return None  # the home page, which WordPress lists in its page sitemap
        if canonical in self.requested_by_url:
            return None
        self.requested_by_url.add(canonical)
        self.logger.debug("fetch %s (%s, id from the page)", canonical, reason)
        self.crawler.stats.inc_value(f"archiver/fetch_reason/{reason}")
        return scrapy.Request(canonical, callback=self.parse_article, errback=self.on_error,
                              cb_kwargs={"post_id": None, "listed_count": None})

    # --- articles ---------------------------------------------------------------------------

    def parse_article(self, response: Response, post_id: int | None, listed_count: int | None,
                      thread: ThreadPages | None = None,
                      cross_check: frozenset[int] | None = None) -> Iterator[Any]:
        if response.status == 304:
            self.crawler.signals.send_catch_log(signals.thread_unchanged, article_id=post_id,
                                                url=response.url,
                                                fetched_at=response.meta.get(FETCHED_AT))
            return
        try:
            response = self.read_page(response)
        except PageStructureError as exc:
            self.page_failed(response, str(exc))
            return
        self.crawler.stats.inc_value("archiver/pages_parsed")
        comments = self.storable(self.profile.parse_comments(response.selector, response.url),
                                 response.url)
        pings = find_ping_ids(response.selector.root)
        links = [self.site_urls.rebase(link)
                 for link in comment_page_links(response.selector, response.url)
                 if self.site_urls.on_site(link)]
        if thread is None:
            try:
                article = self.profile.parse_article(response)
            except NotAnArticle as exc:
                if post_id is None:
                    # A sitemap's or feed's id-less link to a page that is no post: expected.
                    self.logger.debug("%s", exc)
                    self.crawler.stats.inc_value("archiver/not_articles")
                    return
                self.page_failed(response, str(exc))
                return
            except PageStructureError as exc:
                self.page_failed(response, str(exc))
                return
            if not in_sqlite_range(article.article_id):
                self.count_out_of_range(f"post id {article.article_id} of {response.url}")
                self.page_failed(response, f"post id {article.article_id} is beyond SQLite's "
                                 "integer range; not archived")
                return
            if post_id is None:
                # Asked for by URL alone: the same post found by another road is read once.
                if article.article_id in self.requested:
                    return
                self.requested.add(article.article_id)
                post_id = article.article_id
            found = self.site_urls.article(response.url)
            if found is not None:
                article = replace(article, url=found[1])
            thread = ThreadPages.start(
                article, response.url, comments, links, listed_count=listed_count,
                validators=((response.url, header(response, "ETag"),
                             header(response, "Last-Modified")),), ping_ids=pings)
        else:
            thread.add(response.url, comments, links, pings)
        next_url = thread.next_page()
        if next_url is not None:
            yield scrapy.Request(next_url, callback=self.parse_article, errback=self.on_error,
                                 cb_kwargs={"post_id": post_id, "listed_count": listed_count,
                                            "thread": thread, "cross_check": cross_check},
                                 meta={FAILURE_URL_META: thread.thread.article.url})
            return
        whole, extracted = thread.finish()
        if cross_check is not None:
            self.compare_sources(whole, cross_check, response.meta.get(FETCHED_AT))
            return
        declared = whole.article.comment_count_declared
        # WordPress's own heading counts the pings it shows; some themes count comments only.
        if (declared or 0) not in (extracted, extracted + whole.pings_shown):
            self.crawler.stats.inc_value("archiver/count_mismatches")
            self.logger.warning("count mismatch on %s: heading says %s, extracted %d "
                                "(and %d pings)", whole.article.url, declared, extracted,
                                whole.pings_shown)
        yield whole

    def storable(self, comments: list[Comment], url: str) -> tuple[Comment, ...]:
        """The comments the archive can hold: one whose id is beyond SQLite's range is left
        out (with a warning), the rest of its thread is kept."""
        kept = []
        for comment in comments:
            if comment.comment_id is not None and not in_sqlite_range(comment.comment_id):
                self.count_out_of_range(f"comment id {comment.comment_id} on {url}")
                continue
            kept.append(comment)
        return tuple(kept)

    def on_error(self, failure: Failure) -> None:
        self.report(page_failure(failure))

    # --- auto mode's cross-check ------------------------------------------------------------

    def cross_check_request(self, thread: Thread) -> scrapy.Request | None:
        """The first few threads with comments read through REST are read from their pages."""
        wanted = self.crawler.settings.getint("ARCHIVER_CROSS_CHECK")
        if (self.source != "auto" or not thread.complete or not thread.comments
                or len(self.cross_checks) >= wanted or not self.site_urls.on_site(
                    thread.article.url)):
            return None
        ids = frozenset(c.comment_id for c in thread.comments if c.comment_id is not None)
        self.cross_checks[thread.article.article_id] = ids
        return scrapy.Request(
            self.site_urls.rebase(thread.article.url), callback=self.parse_article,
            errback=self.on_error, dont_filter=True,
            cb_kwargs={"post_id": thread.article.article_id, "listed_count": None,
                       "cross_check": ids},
            meta={FAILURE_URL_META: thread.article.url})

    def compare_sources(self, html: Thread, rest_ids: frozenset[int],
                        fetched_at: str | None) -> None:
        html_ids = frozenset(c.comment_id for c in html.comments if c.comment_id is not None)
        agrees = html_ids == rest_ids and len(html.comments) == len(rest_ids)
        if not agrees:
            self.crawler.stats.inc_value("archiver/source_disagreements")
            self.logger.warning(
                "REST and HTML disagree on %s: %d comments by REST, %d on the page "
                "(only REST: %s; only HTML: %s)", html.article.url, len(rest_ids),
                len(html.comments), sorted(rest_ids - html_ids)[:10],
                sorted(html_ids - rest_ids)[:10])
        self.crawler.signals.send_catch_log(
            signals.source_checked, article_id=html.article.article_id, rest_ids=rest_ids,
            html_ids=html_ids, html_count=len(html.comments), fetched_at=fetched_at)


def article_page_url(url: str) -> str:
    """An article's own URL from a link to one of its comment pages or comments."""
    return _COMMENT_PAGE_TAIL.sub("/", url.split("#", 1)[0])


_COMMENT_PAGE_TAIL = re.compile(r"/comment-page-\d+/?$")


def header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
