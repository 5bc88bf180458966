"""`ldv-archiver reparse`: an archive built or brought up to date from WARC files alone.

Each captured run is crawled again by the same spider with the same arguments and settings
(from its files' warcinfo), every request answered from the WARC files by ReplayMiddleware
instead of the network, so the spider's navigation, the page functions, the pipelines
(normalise, dedupe, store) and the ledger are the ones a live run uses, and each captured run
becomes one run of the archive's ledger.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sqlite3
import sys
import tempfile
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from scrapy import Spider
from scrapy.crawler import AsyncCrawlerProcess, Crawler
from scrapy.settings import Settings
from scrapy.spiderloader import get_spider_loader
from scrapy.utils.project import get_project_settings
from sqlite_utils import Database

from archiver.commands.crawl import Command as CrawlCommand
from archiver.dates import to_utc_iso
from archiver.extensions.ledger import (
    EXIT_BAD_SETTING,
    EXIT_BUSY,
    EXIT_FAILED,
    SUMMARY,
    RunLedger,
)
from archiver.extensions.ledger import logger as ledger_logger
from archiver.extensions.run_lock import ArchiveBusy, RunLock
from archiver.preflight import ConfigError, check_settings
from archiver.warc.diff import thread_changes
from archiver.warc.reading import first_info, scan, warc_files

logger = logging.getLogger(__name__)

# A replay sends nothing over the network: no politeness to keep, only the CPU to use.
REPLAY_SETTINGS = {
    "DOWNLOAD_DELAY": "0", "AUTOTHROTTLE_ENABLED": "False", "CONCURRENT_REQUESTS": "32",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "32", "ARCHIVER_WARC_DIR": "",
    "ARCHIVER_EXPORTS_DIR": "", "LOG_LEVEL": "WARNING",
    # Robots.txt was obeyed when the pages were fetched; its answer is replayed all the same.
}


@dataclass
class CapturedRun:
    """One live run's WARC files, in the order they were written."""

    run: int
    spider: str
    arguments: dict[str, str]
    settings: dict[str, str]
    began: datetime | None
    # The live run's crawl_runs.started_at (empty in files from before it was recorded).
    started_at: str = ""
    files: list[Path] = field(default_factory=list)


def captured_runs(inputs: Sequence[str]) -> list[CapturedRun]:
    """The runs the files hold, each with its files in order; a run's files share a name but
    for their sequence number (archiver.warc.writer.file_name), so runs keep the order they
    ran in. An empty file (a run stopped the moment it made it) holds nothing: skipped."""
    runs: dict[str, CapturedRun] = {}
    for path in warc_files(inputs):
        if path.stat().st_size == 0:
            print(f"skipped {path}: empty (its run stopped before writing it)", file=sys.stderr)
            continue
        info = first_info(path)
        if info.run is None:
            raise ValueError(f"{path}: no archiver warcinfo record (not a WARC file this "
                             "archiver wrote)")
        key = path.name.rsplit("-", 1)[0]
        if key not in runs:
            runs[key] = CapturedRun(info.run, info.spider, info.arguments, info.settings, None,
                                    info.started_at)
        run = runs[key]
        run.files.append(path)
        began = datetime.fromisoformat(info.began) if info.began else None
        if began is not None and (run.began is None or began < run.began):
            run.began = began
    for run in runs.values():
        run.files.sort(key=lambda path: path.name)
    return sorted(runs.values(), key=lambda r: (r.files[0].name, r.run))


def newest_moment(db: Path) -> datetime | None:
    """The latest moment the archive has a page from (a capture, a thread seen), or None
    for a new archive or a file that is not one (the preflight then says what is wrong)."""
    if not db.is_file():
        return None
    found = []
    # Read-only by URI: this look must not create, migrate or checkpoint anything.
    with closing(sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)) as conn:
        for query in ("SELECT max(captured_at) FROM captures",
                      "SELECT max(last_seen_at) FROM articles"):
            with contextlib.suppress(sqlite3.Error):  # an archive from before that table
                found.append(conn.execute(query).fetchone()[0])
    return max((datetime.fromisoformat(value) for value in found if value), default=None)


def ended(run: CapturedRun) -> datetime | None:
    """When the run's last captured answer was fetched (its last file read through)."""
    answers = scan(run.files[-1]).answers
    return datetime.fromisoformat(answers[-1].date) if answers else run.began


def ends_after(run: CapturedRun, moment: datetime) -> bool:
    if run.began is not None and run.began > moment:
        return True  # most runs: no need to read their files through
    end = ended(run)
    return end is not None and end > moment


def newer_runs(runs: list[CapturedRun], db: Path) -> list[CapturedRun]:
    """The captured runs that end after everything `db` already holds, with one line for
    the rest: replayed over a newer state, an older capture would look like edits and
    removals, and move `last_seen_at` back. A run the archive holds only part of (its
    writes failed, or it was restored from a copy made mid-run) is replayed whole: its
    answers the archive holds find their threads as they are."""
    newest = newest_moment(db)
    if newest is None:
        return runs
    newer = [run for run in runs if ends_after(run, newest)]
    older = [run for run in runs if run not in newer]
    if older:
        print(f"skipped captured runs {', '.join(str(run.run) for run in older)}: {db} already "
              f"holds pages up to {newest.isoformat()} (re-parse them into a new --db, or use "
              "--dry-run to see what a parser change alters)", file=sys.stderr)
    return newer


def run_settings(run: CapturedRun, db: Path, base: Settings,
                 overrides: dict[str, str]) -> Settings:
    """The settings a captured run is replayed with: its own (warcinfo), the replay's, the
    operator's `-s`, at the command line's priority, as `scrapy crawl -s` would give them."""
    settings = base.copy()
    # Files from before the live start was recorded: their first capture is the nearest.
    started = run.started_at or (to_utc_iso(run.began) if run.began else "")
    settings.setdict({**run.settings, **REPLAY_SETTINGS, **overrides, "ARCHIVER_DB": str(db),
                      "ARCHIVER_REPLAY_STARTED_AT": started}, priority="cmdline")
    # A list, not a comma-joined string: a file's path may itself hold a comma.
    settings.set("ARCHIVER_WARC_REPLAY", [str(p.resolve()) for p in run.files],
                 priority="cmdline")
    return settings


def project_settings(overrides: dict[str, str]) -> Settings:
    # Outside a checkout there is no scrapy.cfg; the installed settings module stands in.
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "archiver.settings")
    settings = get_project_settings()
    settings.setdict({"LOG_LEVEL": REPLAY_SETTINGS["LOG_LEVEL"], **overrides},
                     priority="cmdline")
    return settings


def replay(runs: list[CapturedRun], db: Path, overrides: dict[str, str] | None = None) -> int:
    """Each run in turn into `db`, all in this one process (a year of hourly runs would
    otherwise pay Scrapy's start-up thousands of times); stops at the first that fails
    (exit 2 or more). The exit code is the worst run's: 1 when a run was partial (a page it
    asked for not captured)."""
    overrides = overrides or {}
    base = project_settings(overrides)
    process = AsyncCrawlerProcess(base)
    loader = get_spider_loader(base)
    codes: list[int] = []

    def start(index: int) -> None:
        try:
            begin(index)
        except Exception as exc:  # raised in an asyncio callback, it would only be logged
            logger.error("the re-parse of captured run %d could not start", runs[index].run,
                         exc_info=exc)
            codes.append(EXIT_FAILED)
        if codes and codes[-1] >= 2 and index + 1 < len(runs):
            print(f"error: captured runs after run {runs[index].run} were not re-parsed",
                  file=sys.stderr)

    def begin(index: int) -> None:
        run = runs[index]
        names = ", ".join(p.name for p in run.files)
        print(f"re-parsing captured run {run.run} ({run.spider}): {names}", file=sys.stderr)
        code = None
        try:
            spidercls = loader.load(run.spider)
        except KeyError:
            print(f"error: captured run {run.run} was made by spider {run.spider!r}, which "
                  "this archiver does not have", file=sys.stderr)
            code = EXIT_BAD_SETTING
        if code is None:
            settings = run_settings(run, db, base, overrides)
            arguments = {name: value for name, value in run.arguments.items() if value}
            code = preflight(settings, spidercls, arguments)
        if code is not None:
            codes.append(code)
            return
        crawler = Crawler(spidercls, settings)
        task = process.crawl(crawler, **arguments)
        task.add_done_callback(lambda done: finished(index, crawler, done))

    def finished(index: int, crawler: Crawler, task: asyncio.Task[None]) -> None:
        try:
            code = outcome_code(crawler, task)
        except Exception as exc:  # raised in an asyncio callback, it would only be logged
            logger.error("the outcome of captured run %d is unknown", runs[index].run,
                         exc_info=exc)
            code = EXIT_FAILED
        codes.append(code)
        if code >= 2:
            print(f"error: the re-parse of captured run {runs[index].run} failed (exit "
                  f"{code}); later runs were not re-parsed", file=sys.stderr)
        elif index + 1 < len(runs):
            # Begun from this callback, so the process's join() still has a crawl to wait
            # for when it next looks.
            start(index + 1)

    start(0)
    if len(codes) < len(runs) and (not codes or codes[-1] < 2):
        process.start()
    return max(codes, default=0)


def preflight(settings: Settings, spidercls: type[Spider], arguments: dict[str, str]) -> int | None:
    """As `crawl` checks before any request: a bad setting or a busy archive is one line."""
    effective = settings.copy()
    spidercls.update_settings(effective)
    try:
        check_settings(effective, arguments, getattr(spidercls, "arguments", ()))
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_SETTING
    lock = RunLock(effective.get("ARCHIVER_DB"))
    try:
        lock.acquire()
    except ArchiveBusy as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BUSY
    lock.release()
    return None


def outcome_code(crawler: Crawler, task: asyncio.Task[None]) -> int:
    """The run's exit code as `crawl` gives it, after the run's one-line summary."""
    if not task.cancelled() and (error := task.exception()) is not None:
        return CrawlCommand.not_started(error)
    ledger = None
    with contextlib.suppress(RuntimeError):  # the crawler never built its extensions
        ledger = crawler.get_extension(RunLedger)
    if ledger is None or ledger.outcome is None:
        logger.error("the crawl did not run")
        return EXIT_FAILED
    ledger_logger.log(SUMMARY, ledger.outcome.summary)
    return ledger.outcome.exit_code


def dry_run(runs: list[CapturedRun], db: Path, overrides: dict[str, str]) -> int:
    """Re-parse into a scratch archive and report, per thread, how it differs from `db`."""
    with tempfile.TemporaryDirectory(prefix="reparse-") as scratch:
        rebuilt = Path(scratch) / "archive.db"
        code = replay(runs, rebuilt, overrides)
        if code >= 2:
            return code
        # Read-only by URI: not even a checkpoint of its WAL may touch the archive.
        current = (Database(sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True))
                   if db.is_file() else Database(memory=True))
        with closing(current.conn), closing(sqlite3.connect(rebuilt)) as scratch_conn:
            changes = thread_changes(current, Database(scratch_conn))
        for change in changes:
            if change:
                print(change.line())
        changed = sum(1 for c in changes if c)
        print(f"{len(changes)} threads re-parsed: {changed} would change, "
              f"{len(changes) - changed} unchanged ({db} not written)")
    return code


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="ldv-archiver reparse",
        description="Build an archive, or bring one up to date, from WARC files alone: each "
                    "captured run read again, in the order the runs ran, with no network.")
    parser.add_argument("inputs", nargs="+", metavar="WARC",
                        help="WARC files, or folders of them (e.g. <db>.warc)")
    parser.add_argument("--db", required=True, help="the archive to build or update")
    parser.add_argument("--dry-run", action="store_true",
                        help="write nothing; report per thread what would change")
    parser.add_argument("-s", dest="settings", action="append", default=[],
                        metavar="NAME=VALUE", help="a setting, as for crawl (e.g. LOG_LEVEL=INFO)")
    args = parser.parse_args(argv)
    overrides = {}
    for given in args.settings:
        name, sep, value = given.partition("=")
        if not sep or not name:
            parser.error(f"-s {given}: expected NAME=VALUE")
        overrides[name] = value
    db = Path(args.db)
    missing = [name for name in args.inputs if not Path(name).exists()]
    if missing:
        parser.error(f"{missing[0]} does not exist")
    try:
        runs = captured_runs(args.inputs)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not runs:
        print("error: no WARC files (*.warc.gz) in " + ", ".join(args.inputs), file=sys.stderr)
        return 2
    if args.dry_run:
        return dry_run(runs, db, overrides)
    if db.exists() and not db.is_file():
        parser.error(f"--db {db} is not a file")
    runs = newer_runs(runs, db)
    if not runs:
        print(f"nothing to re-parse: {db} is up to date with these files", file=sys.stderr)
        return 0
    db.parent.mkdir(parents=True, exist_ok=True)
    return replay(runs, db, overrides)
