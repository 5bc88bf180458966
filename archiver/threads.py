"""Assembling a thread from its comment pages as they are read (pure: no requests, no clock)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from archiver.items import Article, Comment, Thread
from archiver.wordpress.comment_pages import comment_page_number


@dataclass
class ThreadPages:
    """One article's thread while its comment pages are being read, in any order."""

    thread: Thread
    pages: dict[int, tuple[Comment, ...]] = field(default_factory=dict)
    pending: list[str] = field(default_factory=list)
    ping_ids: frozenset[int] = frozenset()

    @classmethod
    def start(cls, article: Article, url: str, comments: tuple[Comment, ...], links: list[str],
              *, listed_count: int | None,
              validators: tuple[tuple[str, str | None, str | None], ...],
              ping_ids: frozenset[int] = frozenset()) -> ThreadPages:
        """The article page itself; `links` are its other comment pages (on the base URL)."""
        numbers = [n for link in links if (n := comment_page_number(link)) is not None]
        # Oldest-first themes link to pages 2..N; newest-first show page N at the URL.
        own = 1 if not numbers or min(numbers) > 1 else max(numbers) + 1
        pages = cls(Thread(article=article, comments=(), source_urls=(url,),
                           listed_count=listed_count, validators=validators),
                    {own: comments}, ping_ids=ping_ids)
        pages.link(links)
        return pages

    def add(self, url: str, comments: tuple[Comment, ...], links: list[str],
            ping_ids: frozenset[int] = frozenset()) -> None:
        """A further comment page, the comment pages it links to and the pings it shows."""
        self.ping_ids |= ping_ids
        number = comment_page_number(url)
        self.pages[number if number is not None else len(self.pages) + 1] = comments
        self.thread = replace(self.thread, source_urls=(*self.thread.source_urls, url))
        self.link(links)

    def link(self, links: list[str]) -> None:
        fetched = set(self.thread.source_urls) | set(self.pending)
        self.pending = self.pending + [link for link in links if link not in fetched]

    def next_page(self) -> str | None:
        """The next comment page to read, or None when the thread is whole."""
        return self.pending.pop(0) if self.pending else None

    def finish(self) -> tuple[Thread, int]:
        """The whole thread, comments in page order, and how many distinct comments it has."""
        comments = tuple(c for number in sorted(self.pages) for c in self.pages[number])
        # Pages may overlap (newest-first themes): a WordPress id counts once.
        ids = [c.comment_id for c in comments if c.comment_id is not None]
        extracted = len(set(ids)) + (len(comments) - len(ids))
        return replace(self.thread, comments=comments, pings_shown=len(self.ping_ids)), extracted
