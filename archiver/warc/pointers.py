"""`captures` rows: where in the WARC files each answer of a run is, per article."""

from __future__ import annotations

import logging
import sqlite3
from typing import Any
from urllib.parse import parse_qs, urlsplit

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.http import Request, Response

from archiver.db.transaction import immediate, write_problem
from archiver.extensions.ledger import current_run_id, open_writer
from archiver.warc.writer import Written

logger = logging.getLogger(__name__)


def article_of(crawler: Crawler, request: Request) -> int | None:
    """The article an answer belongs to: the spider's post id for the request, REST's
    `post=` for a comments query of one post, else the site's permalink rule."""
    post_id = request.cb_kwargs.get("post_id")
    if isinstance(post_id, int):
        return post_id
    posts = parse_qs(urlsplit(request.url).query).get("post", [])
    if len(posts) == 1 and posts[0].isdigit():
        return int(posts[0])
    spider: Spider | None = crawler.spider
    found = getattr(spider, "site_urls", None)
    article = found.article(request.url) if found is not None else None
    return None if article is None else int(article[0])


def captured_at(warc_date: str) -> str:
    """A WARC-Date (`...T14:03:05.123456Z`) as the `captures` column keeps it."""
    return warc_date.removesuffix("Z") + "+00:00"


class PointerBatch:
    """Rows waiting to be inserted, in batches: a failed insert loses only the shortcut (the
    records stay in the files and their CDXJ), counted and logged, never the run."""

    def __init__(self, crawler: Crawler, *, existing_ok: bool = False) -> None:
        self.crawler = crawler
        # A re-parse into the archive that captured the files meets its own pointers again.
        self.existing_ok = existing_ok
        self.rows: list[dict[str, Any]] = []
        self.store = open_writer(crawler.settings)

    def add(self, request: Request, response: Response, record_type: str, where: Written,
            warc_date: str) -> None:
        """The pointer to the record of `response`, kept for the next commit."""
        self.rows.append({
            "run_id": current_run_id(self.crawler),
            "article_id": article_of(self.crawler, request), "url": response.url,
            "status": response.status, "record_type": record_type,
            "warc_file": where.warc_file, "offset": where.offset, "length": where.length,
            "captured_at": captured_at(warc_date)})

    def commit(self) -> None:
        if not self.rows:
            return
        rows, self.rows = self.rows, []
        try:
            with immediate(self.store.db) as db:
                db.table("captures").insert_all(rows, ignore=self.existing_ok)
        except sqlite3.Error as exc:
            logger.warning("%d capture pointers not recorded: %s", len(rows), write_problem(exc))
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("archiver/captures_unrecorded", len(rows))

    def close(self) -> None:
        self.store.db.close()
