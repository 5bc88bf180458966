"""Analysts reading the archive while a crawl writes it (WAL) only ever see whole threads."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from testing.hooks import STORE_PAUSE_ENV
from testing.mirror import serve
from tests.conftest import DAY1, DAY2, run_crawl
from tests.fault_matrix import (
    ROOT,
    Row,
    crawl_command,
    crawl_env,
    guarded,
    record_row,
    truth,
)

# Seconds the store pauses per row inside each write transaction, so reads meet open ones.
PAUSE = "0.01"


@dataclass
class Observed:
    snapshots: int = 0
    thread_queries: int = 0
    states: set[tuple[int, ...]] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def expected_ids(runs: dict[int, str]) -> dict[int, dict[int, set[int]]]:
    """run id -> article -> the live comment ids a whole thread written in that run has."""
    return {run: {post_id: {c["comment_id"] for c in thread["comments"]}
                  for post_id, thread in truth(day).items()} for run, day in runs.items()}


def read_snapshots(db: Path, runs: dict[int, str], stop: threading.Event,
                   seen: Observed) -> None:
    """Whole-archive reads, each one transaction: every thread in it must be whole."""
    wanted = expected_ids(runs)
    while not stop.is_set():
        if not db.exists():
            time.sleep(0.01)
            continue
        try:
            conn = sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True, timeout=30,
                                   isolation_level=None)
            try:
                conn.execute("BEGIN")
                articles = conn.execute("SELECT article_id, last_run_id FROM articles"
                                        ).fetchall()
                comments = conn.execute("SELECT article_id, comment_id, last_run_id FROM "
                                        "comments WHERE removed_at IS NULL").fetchall()
                conn.execute("COMMIT")
            finally:
                conn.close()
        except sqlite3.OperationalError as exc:
            # Before the first write there is no schema yet; anything else is a failure.
            if "no such table" not in str(exc):
                seen.errors.append(str(exc))
            time.sleep(0.01)
            continue
        live: dict[int, set[int]] = defaultdict(set)
        stamps: dict[int, set[int]] = defaultdict(set)
        for article_id, comment_id, run_id in comments:
            live[article_id].add(comment_id)
            stamps[article_id].add(run_id)
        for article_id, run_id in articles:
            whole = wanted.get(run_id, {}).get(article_id)
            if live[article_id] != whole or stamps[article_id] - {run_id}:
                seen.problems.append(f"article {article_id} (run {run_id}): "
                                     f"{len(live[article_id])} live comments, "
                                     f"{len(whole or ())} in a whole thread")
        seen.snapshots += 1
        seen.states.add(tuple(sorted(run for _, run in articles)))


def read_threads(db: Path, runs: dict[int, str], stop: threading.Event,
                 seen: Observed) -> None:
    """How an analyst (or Datasette) reads one thread: a single query joining both tables."""
    wanted = expected_ids(runs)
    post_ids = sorted(wanted[min(wanted)])
    turn = 0
    while not stop.is_set():
        post_id = post_ids[turn % len(post_ids)]
        turn += 1
        if not db.exists():
            time.sleep(0.01)
            continue
        try:
            with sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True, timeout=30) as conn:
                rows = conn.execute(
                    "SELECT a.last_run_id, c.comment_id FROM articles a LEFT JOIN comments c "
                    "ON c.article_id = a.article_id AND c.removed_at IS NULL "
                    "WHERE a.article_id = ?", [post_id]).fetchall()
        except sqlite3.OperationalError as exc:
            if "no such table" not in str(exc):
                seen.errors.append(str(exc))
            continue
        if rows:
            run_id = rows[0][0]
            got = {comment for _, comment in rows if comment is not None}
            if got != wanted[run_id][post_id]:
                seen.problems.append(f"thread {post_id}: {len(got)} comments")
        seen.thread_queries += 1


def crawl_while_reading(db: Path, site: Path, runs: dict[int, str], *args: str) -> Observed:
    seen = Observed()
    stop = threading.Event()
    readers = [threading.Thread(target=read_snapshots, args=(db, runs, stop, seen)),
               threading.Thread(target=read_threads, args=(db, runs, stop, seen))]
    for reader in readers:
        reader.start()
    try:
        with serve(site) as server:
            crawl = subprocess.run(
                crawl_command(server.base_url, db, *args, settings=guarded(hooks=True)),
                cwd=ROOT, env=crawl_env(**{STORE_PAUSE_ENV: PAUSE}), capture_output=True,
                text=True, timeout=180, check=False)
    finally:
        stop.set()
        for reader in readers:
            reader.join(timeout=60)
    assert crawl.returncode == 0, crawl.stderr[-3000:]
    assert "database is locked" not in crawl.stderr
    return seen


def test_readers_see_only_whole_threads_while_a_crawl_writes(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    first = crawl_while_reading(db, DAY1, {1: "day1"})
    # Day 2 rewrites every thread (edits, a removal, new comments) under a second run id.
    second = crawl_while_reading(db, DAY2, {1: "day1", 2: "day2"}, "mode=backfill")
    for seen in (first, second):
        assert seen.errors == []
        assert seen.problems == [], seen.problems[:5]
        # The reads really overlapped the writes: many different states were seen.
        assert seen.snapshots > 20 and len(seen.states) > 5, (seen.snapshots, seen.states)
    record_row(Row("readers", 0, "analysts querying while a crawl writes (WAL)",
                   "whole-archive read transactions and one-query thread reads, "
                   "in two threads, through a day-1 crawl and a day-2 re-read",
                   f"{first.snapshots + second.snapshots} snapshots and "
                   f"{first.thread_queries + second.thread_queries} thread queries, "
                   "taken while write transactions were open: every thread seen whole "
                   "(its day-1 or its day-2 state, never a mix), no reader error, the crawl "
                   "never blocked"))


def test_a_long_read_does_not_stop_the_crawl(tmp_path: Path) -> None:
    """An analyst's read transaction held open for the whole crawl (WAL: the writer goes on)."""
    db = tmp_path / "archive.db"
    with serve(DAY1) as server:
        assert run_crawl(server.base_url, db, settings=guarded()).returncode == 0
        before = {r[0] for r in sqlite3.connect(db).execute("SELECT comment_id FROM comments")}
        reader = sqlite3.connect(db, isolation_level=None, timeout=1)
        reader.execute("BEGIN")
        held = reader.execute("SELECT count(*) FROM comments").fetchone()[0]
        shutil.copytree(DAY2, tmp_path / "site")
        server.set_root(tmp_path / "site")
        result = run_crawl(server.base_url, db, "mode=backfill",
                           settings=guarded({"ARCHIVER_BUSY_TIMEOUT": "2"}))
        # The reader still sees the archive as it was when its transaction began.
        assert reader.execute("SELECT count(*) FROM comments").fetchone()[0] == held
        reader.execute("COMMIT")
        reader.close()
    assert result.returncode == 0, result.stderr[-2000:]
    assert "archiver run 2 ok" in result.stderr
    after = {r[0] for r in sqlite3.connect(db).execute("SELECT comment_id FROM comments")}
    assert after > before
    record_row(Row("readers", 1, "a read transaction held open through a whole crawl",
                   "one analyst connection", "the crawl finished normally; the reader kept "
                   "its consistent view until it ended its transaction"))

