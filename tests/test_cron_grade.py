"""Cron-grade runs: a held write lock, a full disk and a dead site each end a run in one line
with an exit code that says what happened, a closed ledger, and nothing lost for good."""

from __future__ import annotations

import os
import random
import re
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest
from scrapy.exceptions import CannotResolveHostError, DownloadConnectionRefusedError
from scrapy.http import Request
from scrapy.utils.test import get_crawler

from archiver.db.connection import open_database
from archiver.db.journal import Journal
from archiver.db.store import Store
from archiver.db.transaction import immediate, is_busy, is_unwritable
from archiver.extensions.ledger import EXIT_CODES, run_status
from archiver.middlewares.site_reachable import SiteReachable, SiteUnreachable
from archiver.warc.reading import read_at, scan, whole_member
from testing.faults import FaultPlan
from testing.mirror import MirrorServer, serve
from testing.serving import free_port
from tests.conftest import DAY1, CrawlResult, run_crawl
from tests.fault_matrix import PATHS, archive_problems, connect, guarded, integrity, truth

# Seconds an analyst's lock is held, and the busy timeout the crawls wait for it: held longer
# than the timeout, so a write that waits still fails and must not lose its thread.
HOLD = 4.0
BUSY = "1"
SEED = 20261202
# One backfill per entry, each on a fresh archive, then a run without the lock.
MOMENTS = ("start", "middle", "end", "middle", "end", "middle")
SITEMAPS = ("/wp-sitemap.xml", "/wp-sitemap-posts-post-1.xml", "/wp-sitemap-users-1.xml",
            "/wp-sitemap-taxonomies-category-1.xml")
SUMMARY_LINE = re.compile(r"\[archiver\.extensions\.ledger\] SUMMARY: archiver run ")


def lines(result: CrawlResult) -> list[str]:
    return result.stderr.splitlines()


def loud(result: CrawlResult) -> list[str]:
    """The log lines a cron job's reader must see: warnings, errors and the summary."""
    return [line for line in lines(result)
            if re.search(r"\] (WARNING|ERROR|CRITICAL|SUMMARY): ", line)]


def assert_cron_grade(result: CrawlResult) -> None:
    """No traceback, and the one-line summary is the last line of the log."""
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert SUMMARY_LINE.search(lines(result)[-1]), lines(result)[-3:]


def runs(db: Path) -> list[sqlite3.Row]:
    with closing(connect(db)) as conn:
        return conn.execute("SELECT * FROM crawl_runs ORDER BY run_id").fetchall()


def stored_ids(db: Path) -> set[int]:
    with closing(connect(db)) as conn:
        return {row[0] for row in conn.execute("SELECT article_id FROM articles")}


def failed_ids(db: Path, run_id: int) -> set[int]:
    by_path = {path: post_id for post_id, path in PATHS.items()}
    with closing(connect(db)) as conn:
        urls = [row[0] for row in conn.execute("SELECT url FROM failures WHERE run_id = ?",
                                               [run_id])]
    return {by_path[path] for url in urls
            if (path := "/" + url.split("/", 3)[-1]) in by_path}


# --- the write lock ---------------------------------------------------------------------------

class Analyst:
    """Another connection holding the archive's write lock (`BEGIN IMMEDIATE`)."""

    def __init__(self, db: Path) -> None:
        self.conn = sqlite3.connect(db, isolation_level=None, timeout=30,
                                    check_same_thread=False)
        self.held_at: float | None = None

    def take(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")
        self.held_at = time.monotonic()

    def release(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")
        self.conn.close()


@contextmanager
def lock_when(server: MirrorServer, analyst: Analyst, moment: str, after: int) -> Iterator[None]:
    """Hold the lock for HOLD seconds from `moment` of the crawl (the mirror logs a request
    once it has answered it): once `after` articles have been read (middle), or once every
    article has been and only the (slow) sitemaps, the backfill's last pages, are still on
    their way (end)."""
    stop = threading.Event()

    def due() -> bool:
        paths = {r.path for r in server.requests}
        if moment == "end":
            return SITEMAPS[0] in paths and {PATHS[i] for i in truth()} <= paths
        return sum(1 for r in server.requests if r.path in PATHS.values()) >= after

    def watch() -> None:
        while not stop.is_set():
            if due():
                if moment == "end":
                    stop.wait(0.3)  # the last articles' threads are written
                analyst.take()
                stop.wait(HOLD)
                analyst.release()
                return
            time.sleep(0.005)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield
    finally:
        stop.set()
        watcher.join(timeout=HOLD + 5)


@pytest.mark.slow
def test_a_write_lock_held_at_any_moment_loses_no_thread(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    # Slow articles give the backfill a middle; slow sitemaps, an end the lock can meet.
    slow_articles = {path: {"kind": "slow", "seconds": 0.15} for path in PATHS.values()}
    # The posts sitemap is the run's last request (the term and user sitemaps are not read);
    # its 2 s leave the lock, taken 0.3 s after the index, a wide margin on a loaded machine
    # before the run's last writes.
    slow_sitemaps = {path: {"kind": "slow", "seconds": 0.5 if path == SITEMAPS[0] else 2.0}
                     for path in SITEMAPS}
    settings = guarded({"ARCHIVER_BUSY_TIMEOUT": BUSY, "CONCURRENT_REQUESTS_PER_DOMAIN": "2"})
    seen = set()
    for number, moment in enumerate(MOMENTS, start=1):
        db = tmp_path / f"lock-{number}" / "archive.db"
        db.parent.mkdir()
        open_database(str(db)).close()
        after = rng.randint(2, 9)
        context = f"run {number}: lock at the {moment}" + (
            f" (after {after} articles)" if moment == "middle" else "")
        slow = slow_sitemaps if moment == "end" else slow_articles
        with serve(DAY1, faults=FaultPlan.from_config(slow)) as server:
            analyst = Analyst(db)
            if moment == "start":
                analyst.take()  # held from before the run until it has given up
                try:
                    first = run_crawl(server.base_url, db, settings=settings)
                finally:
                    analyst.release()
                assert server.requests == [], context
            else:
                with lock_when(server, analyst, moment, after):
                    first = run_crawl(server.base_url, db, settings=settings)
                assert analyst.held_at is not None, f"{context}: the lock was never taken"
            after_first = stored_ids(db)
            pending = Journal(str(db)).entries()
            server.set_faults(None)
            # No audit: what the first run lost must come back as failures, not by chance.
            heal = run_crawl(server.base_url, db, settings={**settings,
                                                            "ARCHIVER_AUDIT_PER_RUN": "0"})
        assert_cron_grade(first)
        assert_cron_grade(heal)
        assert heal.returncode == 0, (context, heal.stderr[-3000:])
        assert integrity(db) == "ok", context
        assert archive_problems(db, server.base_url) == [], context

        ledger = runs(db)
        # The ledger is closed every time: no run left running (or found killed).
        assert [r["status"] for r in ledger if r["status"] in ("running", "killed")] == [], (
            context, [tuple(r) for r in ledger])
        assert ledger[-1]["status"] == "ok", context
        first_run = ledger[0]
        # The exit code says what happened, as the ledger does.
        assert first.returncode == EXIT_CODES[first_run["status"]], (
            context, first.returncode, tuple(first_run), first.stderr[-3000:])
        if moment == "start":
            assert first.returncode == 4 and first_run["status"] == "failed", context
            assert first_run["finish_reason"].startswith("archive unwritable"), context
            errors = [line for line in loud(first) if "] ERROR: " in line]
            assert len(errors) == 1 and "archive unwritable" in errors[0], (context, errors)
        # Every thread the first run did not store has a failure row filed under that run
        # (written then, or kept in <db>.pending and folded in by the next run).
        lost = set(truth()) - after_first
        if moment != "start":
            assert lost <= failed_ids(db, first_run["run_id"]), (context, lost)
            assert (first.returncode == 0) == (not lost and first_run["errors"] == 0), context
            # One line for each thread lost, never a traceback.
            not_stored = [line for line in lines(first) if "not stored" in line]
            assert len(not_stored) == sum(
                1 for i in lost if any(PATHS[i] in line for line in not_stored)), context
        if moment == "end":
            # The lock met the run's last writes: the ledger row waited in <db>.pending.
            assert any(e["kind"] == "finish" for e in pending), (context, pending)
        seen.add((moment, first.returncode))
    # The moments met every outcome: refused at the start, threads lost in the middle.
    assert ("start", 4) in seen and ("middle", 1) in seen, seen


# --- the disk full ------------------------------------------------------------------------------

@contextmanager
def small_disk(folder: Path, size: str) -> Iterator[Path]:
    folder.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a {size} tmpfs here (needs root): {done.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.mark.slow
def test_a_full_disk_fails_the_run_in_one_line_and_the_next_run_heals(tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk", "3m") as disk:
        db = disk / "archive.db"
        open_database(str(db)).close()
        # Leave the run's pending-writes reserve and room for a few threads, then fill.
        free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
        (disk / "filler").write_bytes(b"\0" * (free - 256 * 1024 - 160 * 1024))
        # The raw pages go elsewhere: on this disk they would take the room left for threads,
        # and the run would store none (their own full disk is CaptureMiddleware.give_up's).
        settings = guarded({"ARCHIVER_WARC_DIR": str(tmp_path / "warc")})
        with serve(DAY1) as server:
            full = run_crawl(server.base_url, db, settings=settings)
            assert integrity(db) == "ok"
            after_full = stored_ids(db)
            subprocess.run(["mount", "-o", "remount,size=64m", str(disk)], check=True)
            healed = run_crawl(server.base_url, db, settings=settings)
        assert_cron_grade(full)
        assert full.returncode == 4, full.stderr[-3000:]
        errors = [line for line in loud(full) if "] ERROR: " in line]
        assert len(errors) == 1 and "archive unwritable" in errors[0], errors
        assert "disk is full" in errors[0], errors
        assert 0 < len(after_full) < len(truth()), after_full

        assert_cron_grade(healed)
        assert healed.returncode == 0, healed.stderr[-3000:]
        assert integrity(db) == "ok"
        assert archive_problems(db, server.base_url) == []
        first, last = runs(db)[0], runs(db)[-1]
        assert (first["status"], first["finish_reason"]) == ("failed", "archive unwritable")
        assert first["finished_at"] is not None and last["status"] == "ok"
        assert set(truth()) - after_full <= failed_ids(db, first["run_id"])
        with closing(connect(db)) as conn:
            assert conn.execute("SELECT count(*) FROM failures WHERE resolved_at IS NULL"
                                ).fetchone()[0] == 0


@pytest.mark.slow
def test_a_full_disk_under_the_raw_pages_keeps_every_thread_and_says_so(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    with small_disk(tmp_path / "warc", "1m") as warc:
        # Room for the warcinfo and a few answers' records (about 6 KiB each), then full.
        free = os.statvfs(warc).f_bavail * os.statvfs(warc).f_frsize
        (warc / "filler").write_bytes(b"\0" * (free - 32 * 1024))
        settings = guarded({"ARCHIVER_WARC_DIR": str(warc)})
        with serve(DAY1) as server:
            full = run_crawl(server.base_url, db, settings=settings)
            answers = len(server.requests)
            [cut] = sorted(warc.glob("*.warc.gz"))
            found = scan(cut)
            with closing(connect(db)) as conn:
                pointers = conn.execute("SELECT url, warc_file, \"offset\", length FROM "
                                        "captures WHERE run_id = 1 ORDER BY capture_id").fetchall()
            # The pointers kept name whole records of their URL, among those the file holds.
            assert 0 < len(pointers) < answers
            assert {(u, o) for u, _, o, _ in pointers} <= {(a.url, a.offset)
                                                          for a in found.answers}
            for url, name, offset, length in pointers:
                assert name == cut.name
                with open(warc / name, "rb") as stream:
                    assert whole_member(stream, offset, length)
                    assert read_at(stream, offset).rec_headers.get_header(
                        "WARC-Target-URI") == url
            (warc / "filler").unlink()
            server.clear_log()
            healed = run_crawl(server.base_url, db, "mode=backfill", settings=settings)
            healed_answers = len(server.requests)
            healed_files = sorted(warc.glob("*.warc.gz"))
            healed_scan = scan(healed_files[-1])
            rebuilt = tmp_path / "rebuilt.db"
            replayed = subprocess.run([str(Path(sys.executable).with_name("ldv-archiver")),
                                       "reparse", str(cut), "--db", str(rebuilt)],
                                      capture_output=True, text=True, timeout=300, check=False)
    # The threads were all archived: only their raw pages stopped, and the run says so.
    assert_cron_grade(full)
    assert full.returncode == 1, full.stderr[-3000:]
    assert archive_problems(db, server.base_url) == []
    warnings = [line for line in loud(full) if "] WARNING: " in line
                and "Disabled archiver.extensions.snapshot" not in line]
    assert len(warnings) == 1 and "raw pages not kept from here on" in warnings[0], warnings
    assert "No space left on device" in warnings[0]
    assert "; raw pages not all kept: [Errno 28] No space left on device" in lines(full)[-1]
    first = runs(db)[0]
    assert first["status"] == "partial" and "No space left" in first["warc_error"]

    assert_cron_grade(healed)
    assert healed.returncode == 0, healed.stderr[-3000:]
    assert runs(db)[-1]["warc_error"] is None
    assert [f.name.split("-")[1] for f in healed_files] == ["run00001", "run00002"]
    assert healed_scan.truncated_at is None and len(healed_scan.answers) == healed_answers
    # The broken file still replays: what it kept is stored, the pages it lost are failures.
    assert replayed.returncode == 1, replayed.stderr[-3000:]
    assert "Traceback" not in replayed.stderr
    with closing(connect(rebuilt)) as conn:
        stored = {row[0] for row in conn.execute("SELECT article_id FROM articles")}
    with closing(connect(db)) as conn:
        kept = {row[0] for row in conn.execute("SELECT DISTINCT article_id FROM captures "
                                               "WHERE run_id = 1 AND article_id IS NOT NULL")}
    assert kept <= stored < set(truth())


# --- a dead site ---------------------------------------------------------------------------------

@contextmanager
def silent_host() -> Iterator[str]:
    """A host that accepts every connection and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=2)
        for conn in held:
            conn.close()
        listener.close()


def assert_dead_site_run(result: CrawlResult, db: Path, seconds: float) -> None:
    assert_cron_grade(result)
    assert result.returncode == 4, result.stderr[-3000:]
    assert seconds < 60, f"{seconds:.0f} s to find the site dead"
    errors = [line for line in loud(result) if "] ERROR: " in line]
    assert len(errors) == 1 and "site unreachable" in errors[0], errors
    [run] = runs(db)
    assert (run["status"], run["finish_reason"]) == ("failed", "site unreachable")
    assert run["finished_at"] is not None


def test_a_refused_connection_fails_the_run_in_one_line(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    started = time.monotonic()
    result = run_crawl(f"http://127.0.0.1:{free_port()}", db, exports=tmp_path / "exports",
                       settings=guarded({"LOG_LEVEL": "WARNING"}))
    assert_dead_site_run(result, db, time.monotonic() - started)
    # Quiet: the one line saying why, and the summary.
    assert len(lines(result)) == 2, lines(result)
    assert "connection refused" in lines(result)[0]


@pytest.mark.slow
def test_a_host_that_never_answers_fails_the_run_within_a_minute(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    # The project's own timeout and retries (30 s, 3), not the tests' quick ones.
    settings = guarded({"DOWNLOAD_TIMEOUT": "30", "RETRY_TIMES": "3"})
    with silent_host() as base_url:
        started = time.monotonic()
        result = run_crawl(base_url, db, exports=tmp_path / "exports", settings=settings)
        seconds = time.monotonic() - started
    assert_dead_site_run(result, db, seconds)
    assert "timed out" in next(line for line in loud(result) if "ERROR" in line)


def test_a_host_name_not_found_stops_the_run_without_a_traceback() -> None:
    """DNS failing (no name server to ask in the tests): the robots.txt failure is refused as
    an IgnoreRequest, which Scrapy's robots.txt middleware logs without a traceback."""
    crawler = get_crawler(settings_dict={"DOWNLOAD_TIMEOUT": 30, "RETRY_TIMES": 3})
    guard = SiteReachable.from_crawler(crawler)
    robots = Request("http://no-such-host.invalid/robots.txt")
    guard.process_request(robots)
    assert (robots.meta["download_timeout"], robots.meta["max_retry_times"]) == (15.0, 2)
    with pytest.raises(SiteUnreachable, match=r"site unreachable: .*host name not found"):
        guard.process_exception(robots, CannotResolveHostError("no-such-host.invalid"))
    with pytest.raises(SiteUnreachable):  # and every request after it, at once
        guard.process_request(Request("http://no-such-host.invalid/"))


def test_a_site_that_answered_once_is_not_dead() -> None:
    guard = SiteReachable.from_crawler(get_crawler())
    home = Request("http://127.0.0.1:8000/")
    guard.process_response(home, object())  # type: ignore[arg-type]
    assert guard.process_exception(home, CannotResolveHostError("x")) is None
    assert guard.process_request(Request("http://127.0.0.1:8000/a-1.html")) is None


def test_a_site_that_answers_only_its_robots_txt_is_dead_at_its_first_page() -> None:
    guard = SiteReachable.from_crawler(get_crawler())
    guard.process_response(Request("http://127.0.0.1:8000/robots.txt"),
                           object())  # type: ignore[arg-type]
    home = Request("http://127.0.0.1:8000/")
    with pytest.raises(SiteUnreachable, match="connection refused"):
        guard.process_exception(home, DownloadConnectionRefusedError())


# --- quiet output ---------------------------------------------------------------------------

def test_the_summary_is_the_last_line_and_quiet_mode_prints_only_it(
        tmp_path: Path, mirror: MirrorServer) -> None:
    db = tmp_path / "archive.db"
    loud_run = run_crawl(mirror.base_url, db, exports=tmp_path / "exports", settings=guarded())
    assert_cron_grade(loud_run)
    assert loud_run.returncode == 0
    assert "Dumping Scrapy stats" in loud_run.stderr
    assert "Remote control" not in loud_run.stderr  # no listener on a localhost port

    quiet = run_crawl(mirror.base_url, db, exports=tmp_path / "exports",
                      settings=guarded({"LOG_LEVEL": "WARNING"}))
    assert quiet.returncode == 0, quiet.stderr[-2000:]
    [line] = lines(quiet)
    assert SUMMARY_LINE.search(line) and " ok (finished)" in line


def test_a_partial_run_exits_1(tmp_path: Path) -> None:
    path = PATHS[54150]
    faults = FaultPlan.from_config({path: {"kind": "status", "status": 404}})
    with serve(DAY1, faults=faults) as server:
        result = run_crawl(server.base_url, tmp_path / "archive.db",
                           f"urls={server.base_url}{path}", exports=tmp_path / "exports",
                           settings=guarded({"LOG_LEVEL": "WARNING"}))
    assert_cron_grade(result)
    assert result.returncode == 1, result.stderr[-2000:]
    assert [line.split("] ", 1)[1].split(":", 1)[0] for line in lines(result)] == [
        "ERROR", "SUMMARY"], lines(result)
    assert " partial (finished)" in lines(result)[-1]


# --- the pieces, without a crawl ------------------------------------------------------------

def test_statuses_and_exit_codes() -> None:
    assert [run_status(r, e) for r, e in [("finished", 0), ("finished", 2),
                                          ("site unreachable", 0), ("archive unwritable", 3),
                                          ("shutdown", 0)]] == [
        "ok", "partial", "failed", "failed", "aborted"]
    assert EXIT_CODES == {"ok": 0, "partial": 1, "failed": 4, "aborted": 4}


def test_an_immediate_transaction_waits_for_the_lock_and_says_busy(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    store = Store(open_database(str(db), busy_timeout=0.3))
    analyst = Analyst(db)
    analyst.take()
    started = time.monotonic()
    with pytest.raises(sqlite3.OperationalError) as refused, immediate(store.db):
        pass
    assert time.monotonic() - started >= 0.25  # the busy timeout applied
    assert is_busy(refused.value) and not is_unwritable(refused.value)
    analyst.release()
    with immediate(store.db):
        store.db.execute("INSERT INTO crawl_runs (started_at, mode, status) VALUES "
                         "('t', 'x', 'running')")
    assert store.db["crawl_runs"].count == 1


def test_the_journal_keeps_entries_in_its_reserve_and_folds_once(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    journal = Journal(str(db))
    journal.reserve()
    assert journal.path.stat().st_size >= 256 * 1024 and journal.entries() == []
    store = Store(open_database(str(db)))
    run = store.begin_run("backfill", "http://127.0.0.1:8000", "t0")
    assert journal.append(
        {"kind": "failure", "run_id": run, "url": "http://127.0.0.1:8000/a-1.html",
         "reason": "not stored: database is locked", "http_status": None, "attempts": 1,
         "failed_at": "t1"},
        {"kind": "finish", "run_id": run, "finished_at": "t2", "status": "partial",
         "finish_reason": "finished", "errors": 1})
    assert journal.append({"kind": "run", "started_at": "t3", "finished_at": "t3",
                           "mode": "auto", "status": "failed",
                           "finish_reason": "archive unwritable: database is locked"})
    size = journal.path.stat().st_size
    with journal.path.open("ab") as handle:
        handle.write(b'{"kind": "fail')  # torn by a crash: skipped
    entries = journal.entries()
    assert [e["kind"] for e in entries] == ["failure", "finish", "run"]
    assert store.recover(entries) == 3
    assert store.recover(entries) == 0  # folding twice changes nothing
    rows = [(r["run_id"], r["status"], r["finish_reason"]) for r in store.db["crawl_runs"].rows]
    assert rows == [(run, "partial", "finished"),
                    (run + 1, "failed", "archive unwritable: database is locked")]
    assert [f["reason"] for f in store.db["failures"].rows] == ["not stored: database is locked"]
    journal.clear()
    assert journal.entries() == [] and journal.path.stat().st_size >= size
