"""The scheduled-run policy: which known articles are worth fetching again."""

from __future__ import annotations

from datetime import datetime, timedelta

from archiver.store import ArticleState
from archiver.ukdates import to_utc_iso


def active_since(now: datetime, active_days: int) -> str:
    """UTC ISO time before which an article is no longer in the active window."""
    return to_utc_iso(now - timedelta(days=active_days))


def refetch_reason(state: ArticleState | None, listed_count: int | None,
                   window_start_utc: str) -> str | None:
    """Why an article seen on a listing page should be fetched, or None to leave it.

    Listing counts include pingbacks, so they are compared with the listed count stored
    last time, never with the number of stored comments.
    """
    if state is None:
        return "new"
    if state.last_verified_at is None:
        return "never verified"
    if listed_count is not None and listed_count != state.comment_count_listed:
        return "listed count changed"
    if state.published_at_utc is not None and state.published_at_utc >= window_start_utc:
        return "active"
    return None
