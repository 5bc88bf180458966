"""The archiver's own signals: what a run meets besides content, sent to the extensions.

Items carry content only; a failed page, a page read cleanly and a thread the server says is
unchanged are facts about the run, so they travel as signals to the components that keep them.
"""

from __future__ import annotations

from dataclasses import dataclass

# failure=PageFailure: a page that could not be archived; archive_refused=True when it is a
# thread the archive itself would not take (the lock held past the busy timeout, disk full).
page_failed = object()
# url=str: a page read without failure this run, so earlier failures of its URL are resolved
# (also sent for an earlier run's refused `-a urls=` URL, which has nothing to retry).
page_read = object()
# article_id=int, url=str, fetched_at=str|None: HTTP 304 for a stored article, so its thread
# is still current (as of fetched_at, when the downloader recorded it).
thread_unchanged = object()
# reason=str: the run is ending; what it asked for and never read must be recorded now.
run_closing = object()
# article_id=int, rest_ids=frozenset, html_ids=frozenset, html_count=int, fetched_at=str
# or None (the page's fetch time): one thread read both ways (auto mode's cross-check), for
# the ledger's `source_checks`.
source_checked = object()
# run_id=int, status=str, reason=str: the ledger has closed the run.
run_finished = object()


@dataclass(frozen=True)
class PageFailure:
    """A page that could not be archived; stored so the next run retries it."""

    url: str
    reason: str
    http_status: int | None = None
    attempts: int = 1
