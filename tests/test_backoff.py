"""Back-off on overload answers: Retry-After honoured, capped, and the page still archived."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlite_utils

from archiver.middlewares.backoff import next_delay, retry_after_seconds
from testing.faults import FaultPlan
from testing.mirror import serve
from tests.conftest import DAY1, run_crawl

NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(("header", "seconds"), [
    ("120", 120.0),
    (" 5 ", 5.0),
    ("Thu, 01 Jan 2026 12:00:30 GMT", 30.0),
    ("Thu, 01 Jan 2026 11:59:00 GMT", 0.0),
    ("soon", None),
    ("", None),
    (None, None),
])
def test_retry_after_values(header: str | None, seconds: float | None) -> None:
    assert retry_after_seconds(header, NOW) == seconds


@pytest.mark.parametrize(("current", "asked", "cap", "expected"), [
    (1.0, 30.0, 300.0, 30.0),    # the server's word
    (1.0, None, 300.0, 2.0),     # no word: double
    (0.0, None, 300.0, 1.0),     # from flat out: at least a second
    (200.0, None, 300.0, 300.0),  # never past the cap
    (1.0, 86400.0, 300.0, 300.0),
    (10.0, 2.0, 300.0, 10.0),    # never speeds up
])
def test_next_delay(current: float, asked: float | None, cap: float, expected: float) -> None:
    assert next_delay(current, asked, cap) == expected


def test_rate_limited_article_is_fetched_after_waiting(tmp_path: Path) -> None:
    path = "/watch-the-partys-new-video-54150.html"
    faults = FaultPlan.from_config({path: {"kind": "rate_limit", "retry_after": 1, "times": 1}})
    with serve(DAY1, faults=faults) as server:
        result = run_crawl(server.base_url, tmp_path / "a.db", f"urls={server.base_url}{path}",
                           settings={"RETRY_TIMES": "2"})
        statuses = [r.status for r in server.requests if r.path == path]
    assert result.returncode == 0, result.stderr[-2000:]
    assert statuses == [429, 200]
    assert "HTTP 429 from" in result.stderr and "waiting 1.0 s" in result.stderr
    db = sqlite_utils.Database(tmp_path / "a.db")
    assert db["comments"].count_where("article_id = 54150") == 4
