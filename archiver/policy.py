"""What to fetch this run: the run's mode, the active window, the audit's size, refetch reasons."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from archiver.dates import FUTURE_SLACK, to_utc_iso
from archiver.db.reads import ArticleState

MODES = ("auto", "backfill", "incremental")


@dataclass(frozen=True)
class RunPlan:
    """This run's choices, fixed before its first request."""

    # backfill (walk everything), incremental (what changed) or urls (only those asked for).
    mode: str
    # UTC ISO times: articles published between them are re-read every run. The window ends
    # a day after the run starts (a site's clock or zone may run ahead), not in 2099.
    window_start: str
    window_end: str
    # Least recently verified threads re-read this run.
    audit_size: int

    @property
    def incremental(self) -> bool:
        return self.mode == "incremental"


def run_mode(requested: str, has_urls: bool, backfill_finished: bool) -> str:
    if has_urls:
        return "urls"
    if requested == "auto":
        # Until a backfill has run to its end (one killed part-way left threads unread that no
        # listing walk may reach), auto means backfill.
        return "incremental" if backfill_finished else "backfill"
    return requested


def active_since(now: datetime, active_days: int) -> str:
    """UTC ISO time before which an article is no longer in the active window."""
    return to_utc_iso(now - timedelta(days=active_days))


def active_until(now: datetime) -> str:
    """UTC ISO time after which a published time is in the future, so not active."""
    return to_utc_iso(now + FUTURE_SLACK)


def audit_size(articles: int, per_run: int, cycle_runs: int) -> int:
    """Threads the audit re-reads this run: at most `per_run`, and no more than a full cycle
    over `cycle_runs` runs needs, so a small archive's scheduled runs stay a small share of
    a full crawl (20 re-reads would be 2 % of a 1,000-article site on their own)."""
    return min(per_run, math.ceil(articles / cycle_runs))


def refetch_reason(state: ArticleState | None, listed_count: int | None,
                   window_start_utc: str, window_end_utc: str) -> str | None:
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
    published = state.published_at_utc
    if published is not None and window_start_utc <= published <= window_end_utc:
        return "active"
    return None
