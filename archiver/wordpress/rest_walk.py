"""The spider's REST API walk: find the API, read posts and comments from it, else fall back.

Backfill: every post (100 a request), then every comment ordered by post (100 a request),
threads let go as they complete (rest_batch.py). Incremental: the newest comments, the posts
modified since the last run and, when the site's comment total disagrees with the archive's,
a walk over the ids alone to find what appeared late or went away; then the threads those
name, with the audit's least recently verified ones, re-read whole in batches. A blocked API
(401/403, 404, HTML where JSON was due) means the site's HTML is read instead (`auto`), or a
failed run (`rest`). In auto mode a few threads read through REST are also read from their
pages and the two compared (`source_checked`).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from archiver import signals
from archiver.dates import to_utc_iso
from archiver.extensions.ledger import run_started
from archiver.failures import page_failure
from archiver.items import Thread
from archiver.middlewares.fetch_time import FETCHED_AT
from archiver.signals import PageFailure
from archiver.wordpress.rest import (
    COMMENT_FIELDS,
    PER_PAGE,
    POST_FIELDS,
    NotRest,
    candidate_roots,
    check_index,
    read_json,
    rest_root_from_page,
    rest_url,
    site_timezone,
    total_items,
    total_pages,
)
from archiver.wordpress.rest_batch import RestBatch

# Threads whose stored comments fill about one REST page: the audit's share of a run.
AUDIT_COMMENTS = PER_PAGE
# How far before the last run a post's modified time still counts as new: the site's clock
# and ours differ a little, and with its zone unknown, by up to 14 hours.
MODIFIED_SLACK = timedelta(minutes=10)
UNKNOWN_ZONE_SLACK = timedelta(hours=14)
# A site found without a REST API is asked again after this long (a plugin may be removed).
REPROBE_AFTER = timedelta(hours=24)


class RestWalk:
    """Mixed into WordPressSpider; `rest_start` is its start when REST may be used."""

    crawler: Any
    archive: Any
    plan: Any
    logger: Any
    rest_root: str | None = None
    site_zone: str | None = None

    @property
    def source(self) -> str:
        raise NotImplementedError

    @property
    def site_urls(self) -> Any:
        raise NotImplementedError

    def report(self, failure: PageFailure) -> None:
        raise NotImplementedError

    def parse_listing_page(self, response: Response) -> Iterator[Any]:
        raise NotImplementedError  # Discovery's, which comes first in the spider's bases

    # --- finding the API --------------------------------------------------------------------

    def rest_start(self) -> Iterator[scrapy.Request]:
        known = self.archive.last_rest_root() if self.plan.incremental else None
        base = self.site_urls.base_url
        if (not known and self.source == "auto" and self.plan.incremental
                and self.archive.rest_probed_since(to_utc_iso(
                    run_started(self.crawler) - REPROBE_AFTER))):
            # No API a few hours ago: an hourly run reads the HTML without asking again.
            self.use_source("html")
            yield scrapy.Request(f"{base}/", callback=self.parse_listing_page,
                                 errback=self.on_listing_error)
            return
        self.crawler.stats.set_value("archiver/rest_probed", 1)
        if known:
            yield self.index_request(candidate_roots(base, known), home=None)
            return
        yield scrapy.Request(f"{base}/", callback=self.parse_home, errback=self.on_home_error,
                             dont_filter=True)

    def parse_home(self, response: Response) -> Iterator[Any]:
        announced = rest_root_from_page(response)
        if announced and not self.site_urls.on_site(announced):
            announced = None
        yield self.index_request(candidate_roots(self.site_urls.base_url, announced),
                                 home=response)

    def on_home_error(self, failure: Failure) -> Iterator[Any]:
        # The home page is the first listing page too: its loss is the listing's to report.
        yield scrapy.Request(f"{self.site_urls.base_url}/wp-json/", callback=self.parse_index,
                             errback=self.on_index_error, dont_filter=True,
                             cb_kwargs={"roots": [], "home": None},
                             meta={"handle_httpstatus_all": True})

    def index_request(self, roots: list[str], home: Response | None) -> scrapy.Request:
        return scrapy.Request(roots[0], callback=self.parse_index, errback=self.on_index_error,
                              cb_kwargs={"roots": roots[1:], "home": home}, dont_filter=True,
                              meta={"handle_httpstatus_all": True, "rest_root": roots[0]})

    def parse_index(self, response: Response, roots: list[str],
                    home: Response | None) -> Iterator[Any]:
        try:
            index = read_json(response)
            check_index(index)
        except NotRest as exc:
            yield from self.next_root(roots, home, str(exc))
            return
        self.rest_root = response.meta["rest_root"]
        self.site_zone = site_timezone(index)
        if self.site_zone is not None:
            try:
                ZoneInfo(self.site_zone)
            except (KeyError, ValueError):
                self.site_zone = None
        self.use_source("rest")
        self.logger.info("reading through the REST API at %s (site zone %s)", self.rest_root,
                         self.site_zone or "not given")
        if self.plan.incremental:
            yield from self.incremental_requests()
        else:
            yield from self.batch_requests(RestBatch(None, timezone=self.site_zone))

    def on_index_error(self, failure: Failure) -> Iterator[Any]:
        request = failure.request  # type: ignore[attr-defined]
        yield from self.next_root(request.cb_kwargs["roots"], request.cb_kwargs["home"],
                                  page_failure(failure).reason)

    def next_root(self, roots: list[str], home: Response | None, reason: str) -> Iterator[Any]:
        if roots:
            yield self.index_request(roots, home)
            return
        if self.source == "rest":
            self.report(PageFailure(f"{self.site_urls.base_url}/wp-json/",
                                    f"REST API unavailable and ARCHIVER_SOURCE=rest: {reason}"))
            return
        self.logger.info("REST API unavailable (%s): reading the site's HTML", reason)
        self.use_source("html")
        if home is not None:
            yield from self.parse_listing_page(home)
        else:
            yield scrapy.Request(f"{self.site_urls.base_url}/", callback=self.parse_listing_page,
                                 errback=self.on_listing_error)

    def on_listing_error(self, failure: Failure) -> Iterator[Any]:
        raise NotImplementedError  # Discovery's

    def use_source(self, source: str) -> None:
        stats = self.crawler.stats
        stats.set_value("archiver/source", source)
        stats.set_value("archiver/rest_root", self.rest_root if source == "rest" else None)
        stats.set_value("archiver/site_timezone", self.site_zone)

    def api(self, route: str, **params: Any) -> str:
        assert self.rest_root is not None
        return rest_url(self.rest_root, route, **params)

    # --- batches of threads -----------------------------------------------------------------

    def batch_requests(self, batch: RestBatch) -> Iterator[scrapy.Request]:
        """The posts of a batch first; their comments once every post page is in."""
        params: dict[str, Any] = {"per_page": PER_PAGE, "orderby": "id", "order": "asc",
                                  "_embed": "author,wp:term", "_fields": POST_FIELDS}
        if batch.post_ids is not None:
            params["include"] = batch.post_ids
        yield self.rest_request(self.api("wp/v2/posts", page=1, **params), self.parse_posts,
                                batch=batch, params=params, page=1)

    def parse_posts(self, response: Response, batch: RestBatch, params: dict[str, Any],
                    page: int) -> Iterator[Any]:
        answer = self.rest_answer(response, list)
        if answer is None:
            batch.failed = True
        else:
            batch.add_posts(answer)
        if page == 1:
            pages = total_pages(response) if answer is not None else 1
            if batch.post_ids is None and (total := total_items(response)) is not None:
                self.crawler.stats.set_value("archiver/articles_expected", total)
            batch.post_pages_left = pages - 1
            for later in range(2, pages + 1):
                yield self.rest_request(self.api("wp/v2/posts", page=later, **params),
                                        self.parse_posts, batch=batch, params=params, page=later)
        else:
            batch.post_pages_left -= 1
        if batch.post_pages_left == 0:
            yield self.comments_request(batch, 1)

    def comments_params(self, batch: RestBatch) -> dict[str, Any]:
        params: dict[str, Any] = {"per_page": PER_PAGE, "orderby": "post", "order": "asc",
                                  "_fields": COMMENT_FIELDS}
        if batch.post_ids is not None:
            params["post"] = batch.post_ids
        return params

    def comments_request(self, batch: RestBatch, page: int) -> scrapy.Request:
        url = self.api("wp/v2/comments", page=page, **self.comments_params(batch))
        return self.rest_request(url, self.parse_comments_page, batch=batch, page=page)

    def parse_comments_page(self, response: Response, batch: RestBatch,
                            page: int) -> Iterator[Any]:
        answer = self.rest_answer(response, list)
        if page == 1:
            batch.comment_pages = total_pages(response) if answer is not None else 1
            batch.comments_declared = total_items(response)
            for later in range(2, batch.comment_pages + 1):
                yield self.comments_request(batch, later)
        total = total_items(response) if answer is not None else None
        yield from self.release(batch, batch.add_comment_page(page, answer, total,
                                                              response.meta.get(FETCHED_AT)))

    def release(self, batch: RestBatch, threads: Iterator[Thread]) -> Iterator[Any]:
        for thread in threads:
            yield thread
            if (check := self.cross_check_request(thread)) is not None:
                yield check
        done = batch.comment_pages is not None and batch.next_page > batch.comment_pages
        if not done:
            return
        if batch.comments_declared is not None and batch.comments_read < batch.comments_declared:
            self.crawler.stats.inc_value("archiver/count_mismatches")
            self.logger.warning("REST listed %d comments but %d were read",
                                batch.comments_declared, batch.comments_read)
        if batch.orphans:
            yield from self.orphan_requests(batch)

    def orphan_requests(self, batch: RestBatch) -> Iterator[scrapy.Request]:
        """Comments on posts the batch did not list: WordPress pages have comments too."""
        ids = sorted(batch.orphans)
        for start in range(0, len(ids), PER_PAGE):
            chunk = ids[start:start + PER_PAGE]
            url = self.api("wp/v2/pages", include=chunk, per_page=PER_PAGE,
                           _embed="author,wp:term", _fields=POST_FIELDS)
            yield self.rest_request(url, self.parse_orphan_pages, batch=batch)

    def parse_orphan_pages(self, response: Response, batch: RestBatch) -> Iterator[Any]:
        answer = self.rest_answer(response, list) or []
        batch.add_posts(answer)
        for entry in answer:
            post_id = entry.get("id") if isinstance(entry, dict) else None
            if post_id in batch.orphans and post_id not in batch.released:
                thread = batch.thread(post_id, list(batch.orphans.pop(post_id).values()),
                                      complete=not batch.failed,
                                      fetched_at=response.meta.get(FETCHED_AT))
                yield thread
        if batch.orphans:
            self.logger.warning("%d comments on %d posts REST does not show were left out",
                                sum(map(len, batch.orphans.values())), len(batch.orphans))

    def cross_check_request(self, thread: Thread) -> scrapy.Request | None:
        raise NotImplementedError  # the spider's: auto mode reads a few threads both ways

    # --- requests and answers ---------------------------------------------------------------

    def rest_request(self, url: str, callback: Any, **cb_kwargs: Any) -> scrapy.Request:
        return scrapy.Request(url, callback=callback, errback=self.on_rest_error,
                              cb_kwargs=cb_kwargs, meta={"handle_httpstatus_list": [401, 403]})

    def rest_answer(self, response: Response, kind: type) -> Any:
        """The decoded answer, or None after filing the failure (the walk goes on)."""
        try:
            answer = read_json(response)
        except NotRest as exc:
            self.report(PageFailure(response.url, str(exc), response.status))
            return None
        if not isinstance(answer, kind):
            self.report(PageFailure(response.url, f"REST answer is not a {kind.__name__}",
                                    response.status))
            return None
        self.crawler.stats.inc_value("archiver/rest_pages")
        self.crawler.signals.send_catch_log(signals.page_read, url=response.url)
        return answer

    def on_rest_error(self, failure: Failure) -> Iterator[Any]:
        """A REST page lost after its retries: filed, and the walk goes on without it."""
        self.report(page_failure(failure))
        request = failure.request  # type: ignore[attr-defined]
        kwargs = request.cb_kwargs
        batch = kwargs.get("batch")
        if request.callback == self.parse_comments_page and batch is not None:
            page = kwargs["page"]
            if page == 1:
                batch.comment_pages = 1
            yield from self.release(batch, batch.add_comment_page(page, None))
        elif request.callback == self.parse_posts and batch is not None:
            batch.failed = True
            if kwargs["page"] == 1:
                return  # no post is known: the batch is lost, and filed
            batch.post_pages_left -= 1
            if batch.post_pages_left == 0:
                yield self.comments_request(batch, 1)
        elif request.callback == self.parse_scan:
            kwargs["scan"].failed = True
            yield from self.scan_page_done(kwargs["scan"])
        elif request.callback == self.parse_newest:
            kwargs["scan"].failed = True
            yield from self.scan_page_done(kwargs["scan"], newest_done=True)

    # --- incremental ------------------------------------------------------------------------

    def incremental_requests(self) -> Iterator[scrapy.Request]:
        scan = IncrementalScan(self.archive.live_comment_ids())
        scan.audit = set(self.archive.audit_by_comments(max(1, self.plan.audit_size),
                                                        AUDIT_COMMENTS))
        self.scan = scan
        yield self.rest_request(self.api("wp/v2/comments", per_page=PER_PAGE, orderby="id",
                                         order="desc", _fields="id,post", page=1),
                                self.parse_newest, scan=scan, page=1)
        modified = {"per_page": PER_PAGE, "_fields": "id", "orderby": "id", "order": "asc"}
        since = self.modified_since()
        if since is not None:
            modified["modified_after"] = since
        scan.pending += 1
        yield self.rest_request(self.api("wp/v2/posts", page=1, **modified), self.parse_scan,
                                scan=scan, page=1, params=modified, route="wp/v2/posts")

    def modified_since(self) -> str | None:
        """The last run's start in the site's own clock (WordPress compares local times)."""
        started = self.archive.last_run_started()
        if started is None:
            return None
        when = datetime.fromisoformat(started.replace("Z", "+00:00")).astimezone(UTC)
        if self.site_zone:
            local = when.astimezone(ZoneInfo(self.site_zone)) - MODIFIED_SLACK
        else:
            local = when - UNKNOWN_ZONE_SLACK
        return local.replace(tzinfo=None).isoformat(timespec="seconds")

    def parse_newest(self, response: Response, scan: IncrementalScan,
                     page: int) -> Iterator[Any]:
        answer = self.rest_answer(response, list)
        if answer is None:
            scan.failed = True
            yield from self.scan_page_done(scan, newest_done=True)
            return
        if page == 1:
            scan.site_total = total_items(response)
        unknown = [e for e in answer if isinstance(e, dict) and not scan.known(e.get("id"))]
        for entry in unknown:
            scan.new_ids.add(entry["id"])
            scan.changed.add(entry["post"])
        if answer and len(unknown) == len(answer) and page < total_pages(response):
            # The whole page is new: the next one may be too.
            yield self.rest_request(self.api("wp/v2/comments", per_page=PER_PAGE, orderby="id",
                                             order="desc", _fields="id,post", page=page + 1),
                                    self.parse_newest, scan=scan, page=page + 1)
            return
        yield from self.scan_page_done(scan, newest_done=True)

    def parse_scan(self, response: Response, scan: IncrementalScan, page: int,
                   params: dict[str, Any], route: str) -> Iterator[Any]:
        """A page of modified posts, or of the id walk over every comment."""
        answer = self.rest_answer(response, list)
        if answer is None:
            scan.failed = True
        elif route == "wp/v2/posts":
            scan.changed.update(e["id"] for e in answer if isinstance(e, dict) and "id" in e)
        else:
            for entry in answer:
                if isinstance(entry, dict) and "post" in entry:
                    scan.listed.setdefault(entry["post"], set()).add(entry["id"])
        if page == 1 and answer is not None:
            for later in range(2, total_pages(response) + 1):
                scan.pending += 1
                yield self.rest_request(self.api(route, page=later, **params), self.parse_scan,
                                        scan=scan, page=later, params=params, route=route)
        yield from self.scan_page_done(scan)

    def scan_page_done(self, scan: IncrementalScan, newest_done: bool = False) -> Iterator[Any]:
        if newest_done:
            scan.newest_done = True
        else:
            scan.pending -= 1
        if scan.pending or not scan.newest_done:
            return
        if not scan.walked and scan.needs_walk():
            scan.walked = True
            params = {"per_page": PER_PAGE, "_fields": "id,post", "orderby": "id",
                      "order": "asc"}
            self.logger.info("the site lists %s comments, the archive %d: walking the ids",
                             scan.site_total, scan.expected_total())
            scan.pending += 1
            yield self.rest_request(self.api("wp/v2/comments", page=1, **params),
                                    self.parse_scan, scan=scan, page=1, params=params,
                                    route="wp/v2/comments")
            return
        if scan.walked and not scan.failed:
            scan.changed.update(scan.walk_differences())
        wanted = sorted(scan.changed | scan.audit)
        self.logger.info("re-reading %d threads through REST (%d changed, %d audit)",
                         len(wanted), len(scan.changed), len(scan.audit - scan.changed))
        for start in range(0, len(wanted), PER_PAGE):
            yield from self.batch_requests(RestBatch(frozenset(wanted[start:start + PER_PAGE]),
                                                     timezone=self.site_zone))


class IncrementalScan:
    """What an incremental run learns before it reads any thread: which ones to read."""

    def __init__(self, stored: dict[int, set[int]]) -> None:
        self.stored = stored
        self.stored_ids = {i for ids in stored.values() for i in ids}
        self.new_ids: set[int] = set()
        self.changed: set[int] = set()
        self.audit: set[int] = set()
        self.listed: dict[int, set[int]] = {}
        self.site_total: int | None = None
        self.pending = 0
        self.newest_done = False
        self.walked = False
        self.failed = False

    def known(self, comment_id: Any) -> bool:
        return comment_id in self.stored_ids

    def expected_total(self) -> int:
        return len(self.stored_ids) + len(self.new_ids)

    def needs_walk(self) -> bool:
        """The site's total differs from the archive's: something appeared late or went away."""
        return self.site_total is not None and self.site_total != self.expected_total()

    def walk_differences(self) -> set[int]:
        posts = set(self.stored) | set(self.listed)
        return {post for post in posts
                if self.stored.get(post, set()) != self.listed.get(post, set())}
