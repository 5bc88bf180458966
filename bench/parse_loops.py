"""In-process parse loops over saved article pages: the lxml floor, ours, the bare spider's
parsel parse, trafilatura, and our pipeline stage by stage (parse, normalise, dedupe, store)."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from zoneinfo import ZoneInfo

import lxml.html
from scrapy.http import HtmlResponse

from archiver.dates import utc_now
from archiver.db.connection import open_database
from archiver.db.store import Store
from archiver.items import Thread
from archiver.pipelines.dedupe import dedupe_thread
from archiver.pipelines.normalise import normalise_thread
from archiver.wordpress.comment_pages import comment_page_links
from bench.bare_spider import parse_comment_list
from spiders.ldv import LDV, parse_ldv_article, parse_ldv_comments

PLACEHOLDER = "http://127.0.0.1:8000"


@dataclass(frozen=True)
class Page:
    url: str
    body: bytes


def load_pages(site: Path) -> list[Page]:
    """Every article page of a mirror state, read into memory (so no loop times the disk)."""
    return [Page(f"{PLACEHOLDER}/{path.name}", path.read_bytes())
            for path in sorted(site.glob("*-[0-9]*.html"))]


def lxml_floor(pages: list[Page]) -> int:
    """Only build each page's tree, as parsel does under every selector."""
    for page in pages:
        lxml.html.document_fromstring(page.body)
    return 0


def ours(pages: list[Page]) -> int:
    """What the `ldv` spider runs per article page: comments, comment-page links, article."""
    comments = 0
    for page in pages:
        response = HtmlResponse(url=page.url, body=page.body, encoding="utf-8")
        comments += len(parse_ldv_comments(response.selector, page.url))
        comment_page_links(response.selector, page.url)
        parse_ldv_article(response)
    return comments


def bare_parsel(pages: list[Page]) -> int:
    """The bare spider's parse: the comment list's fields straight from parsel."""
    comments = 0
    for page in pages:
        response = HtmlResponse(url=page.url, body=page.body, encoding="utf-8")
        comments += len(parse_comment_list(response.selector))
    return comments


def trafilatura_comments(pages: list[Page]) -> int:
    """trafilatura's main text plus comments (text only: no ids, authors or dates)."""
    import trafilatura  # optional: only the `bench` extra installs it

    for page in pages:
        trafilatura.extract(page.body.decode("utf-8"), url=page.url, include_comments=True)
    return 0


LOOPS: dict[str, Callable[[list[Page]], int]] = {
    "lxml": lxml_floor,
    "ours": ours,
    "bare_parsel": bare_parsel,
    "trafilatura": trafilatura_comments,
}


def time_loop(name: str, pages: list[Page]) -> tuple[float, int]:
    start = time.perf_counter()
    comments = LOOPS[name](pages)
    return time.perf_counter() - start, comments


def pipeline_stages(pages: list[Page]) -> dict[str, float]:
    """Seconds spent per stage over all pages, the store writing to a fresh archive file."""
    spent = {"parse": 0.0, "normalise": 0.0, "dedupe": 0.0, "store": 0.0}
    with tempfile.TemporaryDirectory(prefix="bench-stages-") as directory:
        store = Store(open_database(str(Path(directory) / "archive.db")))
        run_id = store.begin_run("bench", PLACEHOLDER, utc_now())
        for page in pages:
            mark = time.perf_counter()
            response = HtmlResponse(url=page.url, body=page.body, encoding="utf-8")
            comments = tuple(parse_ldv_comments(response.selector, page.url))
            comment_page_links(response.selector, page.url)
            article = replace(parse_ldv_article(response), url=page.url)
            thread = Thread(article=article, comments=comments, source_urls=(page.url,),
                            listed_count=len(comments),
                            validators=((page.url, '"etag"', None),))
            now = time.perf_counter()
            spent["parse"] += now - mark
            mark = now
            thread, _ = normalise_thread(thread, ZoneInfo(LDV.timezone))
            now = time.perf_counter()
            spent["normalise"] += now - mark
            mark = now
            thread, _ = dedupe_thread(thread)
            now = time.perf_counter()
            spent["dedupe"] += now - mark
            mark = now
            now_text = utc_now()
            store.write_thread(thread, run_id, now_text)
            store.resolve_failures({page.url}, run_id, now_text)
            spent["store"] += time.perf_counter() - mark
        store.db.close()
    return spent
