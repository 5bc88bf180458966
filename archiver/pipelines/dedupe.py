"""Dedupe pipeline: one row per comment, identified by WordPress id or author and time."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import replace

from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

from archiver.dates import to_utc_iso
from archiver.items import Comment, Thread

logger = logging.getLogger(__name__)


def dedupe_key(comment: Comment) -> tuple[str, str]:
    """Within one article, a comment is its normalised author and posting time."""
    when = to_utc_iso(comment.posted_at) if comment.posted_at else comment.posted_raw
    return comment.author.casefold(), when


def derived_comment_id(article_id: int, key: tuple[str, str], occurrence: int) -> int:
    """A stable id for a comment whose page gives no WordPress id.

    Negative, so it can never collide with a real WordPress id; the occurrence keeps two
    comments by one author in one minute apart.
    """
    digest = hashlib.sha256(f"{article_id}|{key[0]}|{key[1]}|{occurrence}".encode()).digest()
    return -(int.from_bytes(digest[:7], "big") + 1)


def dedupe_thread(thread: Thread) -> tuple[Thread, int]:
    """Drop repeats of the same comment (same id, or same key and body) and fill in ids."""
    kept: list[Comment] = []
    seen_ids: set[int] = set()
    seen_bodies: dict[tuple[str, str], list[str]] = {}
    dropped = 0
    for comment in thread.comments:
        key = dedupe_key(comment)
        bodies = seen_bodies.setdefault(key, [])
        if comment.comment_id is not None:
            if comment.comment_id in seen_ids:
                dropped += 1
                continue
        elif comment.body in bodies:
            # The same author, minute and text again: a page overlap, not a new comment.
            dropped += 1
            continue
        else:
            derived = derived_comment_id(thread.article.article_id, key, len(bodies))
            comment = replace(comment, comment_id=derived)
        bodies.append(comment.body)
        assert comment.comment_id is not None
        seen_ids.add(comment.comment_id)
        position = len(kept) + 1
        kept.append(comment if comment.position == position else
                     replace(comment, position=position))
    return replace(thread, comments=tuple(kept)), dropped


class DedupePipeline:
    """Makes each comment appear once per thread; the store makes it once per archive."""

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupePipeline:
        assert crawler.stats is not None
        return cls(crawler.stats)

    def process_item(self, item: Thread) -> Thread:
        deduped, dropped = dedupe_thread(item)
        if dropped:
            logger.info("dropped %d repeated comments on %s", dropped, item.article.url)
            self.stats.inc_value("archiver/duplicates_dropped", dropped)
        return deduped
