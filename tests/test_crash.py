"""Kill -9 at random moments (fetching, storing, exporting), re-run, and lose nothing."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from archiver.export.jsonl import MANIFEST
from archiver.export.publish import LATEST, latest_name
from testing.faults import FaultPlan
from testing.hooks import EXPORT_PAUSE_ENV, KILL_AT_ROW_ENV
from testing.mirror import MirrorServer, serve
from tests.conftest import DAY1, DAY2, run_crawl
from tests.fault_matrix import (
    PATHS,
    ROOT,
    Row,
    archive_problems,
    crawl_command,
    crawl_env,
    guarded,
    record_row,
    thread_problems,
    truth,
)

SEED = int(os.environ.get("LDV_CRASH_SEED", "20260105"))
# Each article answers a little slowly, one at a time, so fetching fills most of a run.
SLOW = {path: {"kind": "slow", "seconds": 0.12} for path in PATHS.values()}
SETTINGS = {"CONCURRENT_REQUESTS_PER_DOMAIN": "2"}
# Comment rows the store builds inside its write transactions, each after its article's row:
# day 1 from scratch (86 comments); day 2 over a day-1 archive, re-read whole by a backfill (88).
DAY1_ROWS = 86
DAY2_ROWS = 88
PHASES = ["fetching"] * 3 + ["storing"] * 3 + ["storing day 2"] * 2 + ["exporting"] * 2


@dataclass
class Kill:
    phase: str
    moment: str
    requests_before_kill: int


def start(server: MirrorServer, db: Path, exports: Path, *args: str,
          **env: str) -> subprocess.Popen[str]:
    settings = guarded({**SETTINGS, "ARCHIVER_EXPORTS_DIR": str(exports)}, hooks=True)
    return subprocess.Popen(crawl_command(server.base_url, db, *args, settings=settings),
                            cwd=ROOT, env=crawl_env(**env), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


def kill_when(crawl: subprocess.Popen[str], ready: Callable[[], bool], delay: float) -> None:
    """SIGKILL the crawl `delay` seconds after `ready()` first holds (within a minute)."""
    deadline = time.monotonic() + 60
    while not ready():
        assert crawl.poll() is None, crawl.communicate()[1][-2000:]
        assert time.monotonic() < deadline
        time.sleep(0.01)
    time.sleep(delay)
    crawl.send_signal(signal.SIGKILL)
    crawl.communicate(timeout=30)
    assert crawl.returncode == -signal.SIGKILL


def kill_while_fetching(server: MirrorServer, db: Path, exports: Path,
                        rng: random.Random) -> Kill:
    crawl = start(server, db, exports)
    # After some articles are in (or on their way), before the last one is.
    wanted = rng.randint(2, 10)
    kill_when(crawl, lambda: sum(r.path in SLOW for r in server.requests) >= wanted,
              rng.uniform(0, 0.12))
    return Kill("fetching", f"after {wanted} article answers", len(server.requests))


def kill_while_storing(server: MirrorServer, db: Path, exports: Path, rows: int,
                       rng: random.Random, phase: str, *args: str) -> Kill:
    row = rng.randint(1, rows)
    crawl = start(server, db, exports, *args, **{KILL_AT_ROW_ENV: str(row)})
    _, err = crawl.communicate(timeout=120)
    assert crawl.returncode == -signal.SIGKILL, err[-2000:]
    assert f"killing the crawl inside a write, row {row}" in err
    return Kill(phase, f"inside a write transaction, row {row} of {rows}",
                len(server.requests))


def kill_while_exporting(server: MirrorServer, db: Path, exports: Path,
                         rng: random.Random) -> Kill:
    crawl = start(server, db, exports, **{EXPORT_PAUSE_ENV: "0.4"})
    kill_when(crawl, lambda: any(exports.glob(".tmp-*")), rng.uniform(0, 1.0))
    return Kill("exporting", "while the snapshot was being written", len(server.requests))


def whole_threads_only(db: Path, base_url: str, days: tuple[str, ...]) -> list[str]:
    """Every article in the archive is one whole day's thread, never part of one."""
    wanted = [truth(day) for day in days]
    problems = []
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        for (post_id,) in conn.execute("SELECT article_id FROM articles").fetchall():
            found = [thread_problems(conn, post_id, t[post_id], base_url)
                     for t in wanted if post_id in t]
            if all(found):
                problems.append(f"{post_id}: partial or altered thread: {found[0][:3]}")
    return problems


def integrity(db: Path) -> str:
    # A normal connection, as the next run opens it: it recovers the WAL first.
    with sqlite3.connect(db) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


def snapshot_problems(exports: Path, db: Path) -> list[str]:
    """The published snapshot (if any) is complete and agrees with the archive."""
    name = latest_name(exports)
    if name is None:
        return []
    folder = exports / name
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    problems = []
    with sqlite3.connect(db) as conn:
        for file, entry in manifest["files"].items():
            lines = (folder / file).read_bytes().count(b"\n")
            if lines != entry["rows"]:
                problems.append(f"{file}: {lines} lines, manifest says {entry['rows']}")
            count = conn.execute(f'SELECT count(*) FROM "{entry["table"]}"').fetchone()[0]
            if count != entry["rows"]:
                problems.append(f"{file}: {entry['rows']} rows, the archive has {count}")
    return problems


def history_problems(db: Path) -> list[str]:
    """Day 2's edit and removal are each recorded exactly once."""
    with sqlite3.connect(db) as conn:
        versions = conn.execute("SELECT count(*) FROM comment_versions WHERE "
                                "comment_id = 400256").fetchone()[0]
        events = conn.execute("SELECT event, count(*) FROM comment_events GROUP BY "
                              "event ORDER BY event").fetchall()
        removed = conn.execute("SELECT count(*) FROM comments WHERE removed_at IS NOT NULL"
                               ).fetchone()[0]
    problems = []
    if versions != 1:
        problems.append(f"{versions} old versions of the edited comment 400256")
    if events != [("edited", 1), ("removed", 1)]:
        problems.append(f"events {events}")
    if removed != 1:
        problems.append(f"{removed} comments marked removed")
    return problems


@pytest.fixture(scope="module")
def day1_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("day1") / "archive.db"
    with serve(DAY1) as server:
        result = run_crawl(server.base_url, db, settings=guarded())
    assert result.returncode == 0, result.stderr[-2000:]
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return db


@pytest.mark.slow
def test_kill_9_ten_times_then_rerun_loses_and_duplicates_nothing(
        tmp_path: Path, day1_archive: Path) -> None:
    rng = random.Random(SEED)
    outcomes = []
    for number, phase in enumerate(PHASES, start=1):
        folder = tmp_path / f"kill-{number}"
        folder.mkdir()
        db, exports = folder / "archive.db", folder / "exports"
        day2 = phase == "storing day 2"
        days = ("day1", "day2") if day2 else ("day1",)
        # Day 2 over a day-1 archive: a backfill, which re-reads (and rewrites) every thread.
        args = ("mode=backfill",) if day2 else ()
        if day2:
            shutil.copy(day1_archive, db)
        with serve(DAY2 if day2 else DAY1, faults=FaultPlan.from_config(SLOW)) as server:
            if phase == "fetching":
                kill = kill_while_fetching(server, db, exports, rng)
            elif phase == "exporting":
                kill = kill_while_exporting(server, db, exports, rng)
            else:
                rows = DAY2_ROWS if day2 else DAY1_ROWS
                kill = kill_while_storing(server, db, exports, rows, rng, phase, *args)
            context = f"kill {number} ({kill.phase}, {kill.moment}, seed {SEED})"
            assert integrity(db) == "ok", context
            assert whole_threads_only(db, server.base_url, days) == [], context
            assert snapshot_problems(exports, db) == [], context

            server.set_faults(None)
            again = run_crawl(server.base_url, db, *args, settings=guarded(
                {**SETTINGS, "ARCHIVER_EXPORTS_DIR": str(exports)}))
            assert again.returncode == 0, again.stderr[-3000:]
            assert integrity(db) == "ok", context
            assert archive_problems(db, server.base_url, days[-1]) == [], context
            if day2:
                assert history_problems(db) == [], context
            assert snapshot_problems(exports, db) == [], context
            assert (exports / LATEST).exists(), context
            with sqlite3.connect(db) as conn:
                statuses = [s for (s,) in conn.execute(
                    "SELECT status FROM crawl_runs ORDER BY run_id")]
        # The snapshot is written after the ledger closes: a run killed then has finished.
        assert statuses[-2:] == (["ok", "ok"] if phase == "exporting" else ["killed", "ok"]), (
            context, statuses)
        assert not list(exports.glob(".tmp-*")), "an abandoned staging folder was left"
        outcomes.append(kill)
    assert sorted({k.phase for k in outcomes}) == ["exporting", "fetching", "storing",
                                                   "storing day 2"]
    for order, phase in enumerate(["fetching", "storing", "storing day 2", "exporting"]):
        moments = [k.moment for k in outcomes if k.phase == phase]
        record_row(Row("crash", order, f"SIGKILL while {phase}", "; ".join(moments),
                       "re-run with the same command: `PRAGMA integrity_check` ok, no partial "
                       "thread visible after the kill, archive equal to the truth, 0 comments "
                       "lost, 0 duplicated"
                       + (", the edit and the removal recorded once each" if "2" in phase
                          else "")
                       + ("; `latest` never points at a partial snapshot"
                          if phase == "exporting" else ""),
                       "", "the snapshot is written again; the run itself had finished"
                       if phase == "exporting" else
                       "the killed run is marked `killed` in `crawl_runs`"))
