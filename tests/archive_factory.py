"""Realistic archives for tests: from the truth files through the store, or by real crawls."""

from __future__ import annotations

import html
import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from archiver.dates import parse_iso
from archiver.db.connection import open_database
from archiver.db.store import Store
from archiver.items import Article, Comment, Thread

LONDON = ZoneInfo("Europe/London")

TRUTH = Path(__file__).resolve().parent / "fixtures" / "ldv" / "truth"
BASE_URL = "https://www.libdemvoice.org"

SEED_ARTICLE = 47108
SEED_COMMENTS = 38
EDITED_COMMENT = 400256
REMOVED_COMMENT = 565084
# Not a real comment: proves bodies are shown as text everywhere they are rendered.
SCRIPT_COMMENT = 999001
SCRIPT_ARTICLE = 62123
SCRIPT_TEXT = "<script>alert(1)</script>"
SCRIPT_BODY = f"Nice try: {SCRIPT_TEXT} should show as text."
# Markup a hostile page could carry inside a comment; stored in body_html, never run.
LIVE_SCRIPT = "<script>alert(2)</script>"

# Fixed clocks, so two archives built from the same truth are identical.
DAY1_AT = "2024-05-01T09:00:00Z"
DAY2_AT = "2024-05-02T09:00:00Z"


def build_archive(path: Path) -> Path:
    """Store day 1, then day 2 (one edit, one removal, new comments), as two runs."""
    db = open_database(str(path))
    try:
        store = Store(db)
        for day, now in (("day1", DAY1_AT), ("day2", DAY2_AT)):
            run_id = store.begin_run("full", BASE_URL, now)
            for truth in load_truth(day):
                store.write_thread(thread_from_truth(truth), run_id, now)
            store.finish_run(run_id, "ok", "finished", now, {})
    finally:
        db.close()
    return path


def crawl_archive(path: Path) -> Path:
    """Crawl day 1 of the mirror, then day 2 with a full audit, into `path`.

    Thread 62123 is served with one extra, hostile comment: its text names a script tag and
    its HTML carries a live one, as a compromised page might.
    """
    from testing.faults import FaultPlan
    from testing.mirror import serve
    from tests.conftest import DAY1, DAY2, run_crawl

    page_path = "/ed-davey-on-question-time-tonight-62123.html"
    page = (DAY1 / page_path.lstrip("/")).read_text(encoding="utf-8")
    hostile = (
        f'<li id="comment-{SCRIPT_COMMENT}" class="comment even thread-even depth-1">'
        '<div class="comment-wrap"><div class="comment-head"><span class="comment-author">'
        'Mallory</span> <span class="comment-date"><a href="http://127.0.0.1:8000'
        f'{page_path}#comment-{SCRIPT_COMMENT}">1st Jun \'19 - 12:00pm</a></span></div>'
        '<div class="comment-text"><p>Nice try: &lt;script&gt;alert(1)&lt;/script&gt; should '
        f'show as text.</p>{LIVE_SCRIPT}</div></div></li>\n</ul>')
    last = page.rindex("</ul>", 0, page.index('id="respond"'))
    page = page[:last] + hostile + page[last + len("</ul>"):]
    page = page.replace(">3 Comments<", ">4 Comments<")
    faults = FaultPlan.from_config({page_path: {"kind": "replace", "body": page}})
    with serve(DAY1, faults=faults) as server:
        for root, audit in ((DAY1, "0"), (DAY2, "50")):
            server.set_root(root)
            result = run_crawl(server.base_url, path,
                               settings={"ARCHIVER_AUDIT_PER_RUN": audit})
            if result.returncode != 0:
                raise RuntimeError(f"crawl failed:\n{result.stderr[-3000:]}")
    return path


def load_truth(day: str) -> list[dict[str, Any]]:
    return [json.loads(p.read_text(encoding="utf-8"))
            for p in sorted((TRUTH / day).glob("*.json"), key=lambda p: int(p.stem))]


def thread_from_truth(truth: dict[str, Any]) -> Thread:
    published = parse_iso(truth["published_local"], zone=LONDON)
    article = Article(
        article_id=truth["post_id"],
        url=truth["url"],
        title=truth["title"],
        author=truth["author"],
        published_raw=_article_header_date(published),
        published_datetime=published.isoformat(),
        categories=tuple(truth["category"]),
        tags=tuple(truth["tags"]),
        body="\n\n".join(truth["body_paragraphs"]),
        comment_count_declared=truth["comment_count"] or None,
        published_at=published,
    )
    comments = [_comment(c, position) for position, c in enumerate(truth["comments"], 1)]
    if truth["post_id"] == SCRIPT_ARTICLE:
        comments.append(_script_comment(len(comments) + 1))
    return Thread(article=article, comments=tuple(comments), source_urls=(truth["url"],),
                  listed_count=len(comments))


def _comment(truth: dict[str, Any], position: int) -> Comment:
    posted = parse_iso(truth["posted_local"], zone=LONDON)
    paragraphs: list[str] = truth["body_paragraphs"]
    return Comment(
        comment_id=truth["comment_id"],
        author=truth["author"],
        author_url=truth["author_url"],
        posted_raw=_comment_header_date(posted),
        posted_datetime=None,
        body="\n\n".join(paragraphs),
        body_html="\n".join(
            "<p>" + html.escape(p, quote=False).replace("\n", "<br />\n") + "</p>"
            for p in paragraphs),
        position=position,
        is_post_author=truth["is_post_author"],
        posted_at=posted,
    )


def _script_comment(position: int) -> Comment:
    posted = parse_iso("2019-06-01T12:00:00", zone=LONDON)
    return Comment(
        comment_id=SCRIPT_COMMENT, author="Mallory", author_url=None,
        posted_raw=_comment_header_date(posted), posted_datetime=None,
        # The HTML keeps the tag unescaped, as a hostile or broken page might deliver it.
        body=SCRIPT_BODY, body_html=f"<p>{SCRIPT_BODY}</p>",
        position=position, is_post_author=False, posted_at=posted,
    )


def _ordinal(day: int) -> str:
    suffix = "th" if 11 <= day <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def _clock(at: datetime) -> str:
    return f"{at.hour % 12 or 12}:{at.minute:02d}{'am' if at.hour < 12 else 'pm'}"


def _comment_header_date(at: datetime) -> str:
    return f"{_ordinal(at.day)} {at:%b} '{at:%y} - {_clock(at)}"


def _article_header_date(at: datetime) -> str:
    return f"{at:%a} {_ordinal(at.day)} {at:%B %Y} - {_clock(at)[:-2]} {_clock(at)[-2:]}"
