"""Threads from the REST API's answers: a set of posts, then their comments page by page.

Comments are asked for ordered by post (WordPress adds the comment id as the tie-break), so
each post's comments arrive together and a thread can be let go as soon as the next post's
begin: a backfill holds the posts and one thread's comments, never the whole site's. Pages
may arrive in any order; they are read in page order. A page that could not be read leaves
a gap: every thread it may have touched is let go as incomplete, so nothing is removed on
the strength of it (Store.write_thread).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from archiver.items import Thread
from archiver.wordpress.rest import article_from_rest, comment_from_rest

# A page that could not be read, in the page order.
GAP = None


@dataclass
class RestBatch:
    """One walk: `post_ids` (None: every post) with all of their comments."""

    post_ids: frozenset[int] | None
    timezone: str | None = None
    posts: dict[int, dict[str, Any]] = field(default_factory=dict)
    post_pages_left: int = 0
    comment_pages: int | None = None
    comments_declared: int | None = None
    # Read pages waiting for an earlier one (page number -> its entries, or GAP, and the
    # total the site declared with it).
    waiting: dict[int, tuple[list[dict[str, Any]] | None, int | None, str | None]] = field(
        default_factory=dict)
    # The total of the last page read: when the next one's differs, comments were added or
    # removed between the two answers, and the offsets shifted under the walk.
    last_total: int | None = None
    next_page: int = 1
    current: int | None = None
    current_comments: dict[int, dict[str, Any]] = field(default_factory=dict)
    # Set by a gap until the next post begins: the thread being read then is incomplete.
    after_gap: bool = False
    current_incomplete: bool = False
    released: set[int] = field(default_factory=set)
    # Comments of posts this batch did not list (pages, or posts it cannot see).
    orphans: dict[int, dict[int, dict[str, Any]]] = field(default_factory=dict)
    comments_read: int = 0
    failed: bool = False
    # The latest fetch among the pages read so far (in page order): a thread let go while
    # reading one is dated by it, so the moment depends on the pages, not on the order they
    # arrived in.
    reading_at: str | None = None

    def add_posts(self, entries: list[dict[str, Any]]) -> None:
        for entry in entries:
            if isinstance(entry, dict) and isinstance(entry.get("id"), int):
                self.posts[entry["id"]] = entry

    def add_comment_page(self, page: int, entries: list[dict[str, Any]] | None,
                         total: int | None = None,
                         fetched_at: str | None = None) -> Iterator[Thread]:
        """A page of comments (None: it could not be read), the X-WP-Total it came with and
        when it was fetched; yields the threads it completes."""
        if entries is None:
            self.failed = True
        self.waiting[page] = (entries, total, fetched_at)
        while self.next_page in self.waiting:
            entries, total, fetched_at = self.waiting.pop(self.next_page)
            # The latest page read so far: no thread is dated before a page that holds it.
            if fetched_at and (self.reading_at is None or fetched_at > self.reading_at):
                self.reading_at = fetched_at
            if total is not None and self.last_total is not None and total != self.last_total:
                # A removal since the page before may have moved a comment across the boundary
                # unseen: the threads on either side of it are not known whole.
                self.after_gap = self.current_incomplete = True
            self.last_total = total if total is not None else self.last_total
            yield from self._read(entries)
            self.next_page += 1
        if self.comment_pages is not None and self.next_page > self.comment_pages:
            yield from self._finish()

    def _read(self, entries: list[dict[str, Any]] | None) -> Iterator[Thread]:
        if entries is GAP:
            self.after_gap = self.current_incomplete = True
            return
        for entry in entries:
            post = entry.get("post")
            if not isinstance(entry.get("id"), int) or not isinstance(post, int):
                continue
            self.comments_read += 1
            if post not in self.posts:
                self.orphans.setdefault(post, {})[entry["id"]] = entry
                continue
            if post != self.current:
                yield from self._release_current()
                yield from self._release_empty_before(post, incomplete=self.after_gap)
                self.current, self.current_incomplete = post, self.after_gap
                self.after_gap = False
            self.current_comments[entry["id"]] = entry

    def _release_current(self) -> Iterator[Thread]:
        if self.current is not None and self.current not in self.released:
            yield self.thread(self.current, list(self.current_comments.values()),
                              complete=not self.current_incomplete)
        self.current, self.current_comments = None, {}

    def _release_empty_before(self, post: int | None, *, incomplete: bool) -> Iterator[Thread]:
        """Posts before `post` (all, when None) that no comment named: they have none."""
        for post_id in sorted(self.posts):
            if post is not None and post_id >= post:
                break
            if post_id not in self.released and post_id != self.current:
                yield self.thread(post_id, [], complete=not incomplete)

    def _finish(self) -> Iterator[Thread]:
        yield from self._release_current()
        yield from self._release_empty_before(None, incomplete=self.after_gap)

    def thread(self, post_id: int, entries: list[dict[str, Any]], *, complete: bool,
               fetched_at: str | None = None) -> Thread:
        """The post's thread: comments oldest first (by UTC time, then id), dated by the
        comment page being read (or `fetched_at`, that of the answer that completes it)."""
        self.released.add(post_id)
        post = self.posts.pop(post_id)
        entries.sort(key=lambda e: (str(e.get("date_gmt") or ""), e["id"]))
        post_author = post.get("author") if isinstance(post.get("author"), int) else None
        comments = tuple(comment_from_rest(entry, position, post_author)
                         for position, entry in enumerate(entries, start=1))
        # A count is only declared when the read is whole: it lets a thread that REST shows
        # with fewer comments (or none) mark the missing ones removed.
        article = article_from_rest(post, len(comments) if complete else None)
        return Thread(article=article, comments=comments,
                      source_urls=(article.url,), complete=complete, source="rest",
                      timezone=self.timezone, fetched_at=fetched_at or self.reading_at)
