"""Extension: the run lock and the run ledger (`crawl_runs`), the run's outcome (its status,
exit code and one-line summary), and stopping a run that cannot go on."""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider
from scrapy.settings import BaseSettings
from scrapy.utils.defer import deferred_from_coro

from archiver import signals as archiver_signals
from archiver.dates import run_clock, to_utc_iso, utc_now
from archiver.db.connection import open_database
from archiver.db.journal import Journal
from archiver.db.store import Store
from archiver.db.transaction import is_busy, write_problem
from archiver.extensions.run_lock import RunLock
from archiver.middlewares.fetch_time import LAST_FETCHED_AT, moment_of

logger = logging.getLogger(__name__)

# The summary's log level: above WARNING, so `-s LOG_LEVEL=WARNING` (quiet, for cron) still
# shows it, and named for what it is rather than as a warning.
SUMMARY = logging.WARNING + 5
logging.addLevelName(SUMMARY, "SUMMARY")

# Why a run stopped as a whole (its finish_reason; its status is then `failed`).
SITE_UNREACHABLE = "site unreachable"
ARCHIVE_UNWRITABLE = "archive unwritable"
_FAILED_REASONS = (SITE_UNREACHABLE, ARCHIVE_UNWRITABLE)

# The exit codes of a crawl (README "Exit codes"): by the run's status, and the refusals.
EXIT_OK, EXIT_PARTIAL, EXIT_BAD_SETTING, EXIT_BUSY, EXIT_FAILED = 0, 1, 2, 3, 4
EXIT_CODES = {"ok": EXIT_OK, "partial": EXIT_PARTIAL, "failed": EXIT_FAILED,
              "aborted": EXIT_FAILED}

# The run's crawl_runs.started_at, for the warcinfo of its WARC files.
RUN_STARTED_AT = "archiver/run_started_at"

# crawl_runs column -> Scrapy stat that feeds it.
LEDGER_STATS = {
    "requests": "downloader/request_count",
    "pages_parsed": "archiver/pages_parsed",
    "articles_new": "archiver/articles_new",
    "articles_updated": "archiver/articles_updated",
    "comments_new": "archiver/comments_new",
    "comments_edited": "archiver/comments_edited",
    "comments_removed": "archiver/comments_removed",
    "comments_restored": "archiver/comments_restored",
    "count_mismatches": "archiver/count_mismatches",
    "date_warnings": "archiver/date_warnings",
    "errors": "archiver/failures",
    "ids_out_of_range": "archiver/ids_out_of_range",
    "pages_flattened": "archiver/pages_flattened",
    "source_disagreements": "archiver/source_disagreements",
    "rest_probed": "archiver/rest_probed",
}
# crawl_runs text column -> the stat the spider sets (archiver.wordpress.rest_walk).
LEDGER_TEXT_STATS = {
    "source": "archiver/source",
    "site_timezone": "archiver/site_timezone",
    "rest_root": "archiver/rest_root",
    "warc_error": "archiver/warc_failed",
}


def run_status(reason: str, errors: int, raw_pages_lost: bool = False) -> str:
    """ok, partial (finished, some pages failed or not all of their raw pages kept), failed
    (the site or the archive could not be used at all) or aborted (stopped early: a signal,
    a CLOSESPIDER_* limit)."""
    if reason == "finished":
        return "partial" if errors or raw_pages_lost else "ok"
    return "failed" if reason.startswith(_FAILED_REASONS) else "aborted"


@dataclass(frozen=True)
class Outcome:
    """How the run ended, for the crawl command: its exit code and its last log line."""

    status: str
    exit_code: int
    summary: str


def open_writer(settings: BaseSettings) -> Store:
    """A writer connection to the crawl's archive (each component that writes has its own)."""
    return Store(open_database(settings.get("ARCHIVER_DB"),
                               busy_timeout=settings.getfloat("ARCHIVER_BUSY_TIMEOUT")))


def run_started(crawler: Crawler) -> datetime:
    """The run's one clock for what it plans (active window, REST's modified_after, when to
    look for an API again): its ledger start, set when RunLedger is built, so a re-parse
    that starts at the live run's start decides each of them as the live run did."""
    value = crawler.stats.get_value(RUN_STARTED_AT) if crawler.stats is not None else None
    if value:
        return datetime.fromisoformat(value)
    return run_clock(crawler.settings.get("ARCHIVER_REPLAY_STARTED_AT"))


def current_run_id(crawler: Crawler) -> int:
    """The run the ledger opened, which every row written this crawl belongs to."""
    ledger = crawler.get_extension(RunLedger)
    assert ledger is not None and ledger.run_id is not None, "RunLedger must be enabled"
    return ledger.run_id


class RunNotStarted(Exception):
    """The archive could not even be opened for this run; the message is the run's summary
    (its one line of explanation is logged already)."""


class RunLedger:
    """Holds the run lock for the whole crawl and keeps the run's row in `crawl_runs`.

    The lock is taken when the crawler is built, before any request; the schema is applied
    under it, and what earlier runs could not write (`<db>.pending`, archiver.db.journal) is
    folded into the archive. The row is opened when the spider opens and closed, with the
    counts, once the close reason is known; then `run_finished` tells the snapshot it may read.
    Every write waits up to ARCHIVER_BUSY_TIMEOUT for the write lock; a row that still cannot
    be written goes to the journal, and the next run writes it. `outcome` is the run's end,
    which the crawl command turns into the exit code and the last line of the log.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        # A re-parsed run is dated by its capture: it begins when the live run did.
        self.started = to_utc_iso(run_clock(settings.get("ARCHIVER_REPLAY_STARTED_AT")))
        assert crawler.stats is not None
        crawler.stats.set_value(RUN_STARTED_AT, self.started)
        self.lock = RunLock(settings.get("ARCHIVER_DB"))
        self.lock.acquire()
        # Space for what this run may fail to write, taken before the archive takes any more.
        self.journal = Journal(settings.get("ARCHIVER_DB"))
        self.journal.reserve()
        try:
            self.store = open_writer(settings)
        except sqlite3.Error as exc:
            self.lock.release()
            mode = getattr(crawler.spider, "requested_mode", "crawl")
            raise RunNotStarted(self.not_started(exc, mode, utc_now())) from None
        except BaseException:
            self.lock.release()
            raise
        self.run_id: int | None = None
        # Why the run is stopping as a whole, once something decided it must (see stop()).
        self.stopping: str | None = None
        self.outcome: Outcome | None = None
        self.start_error: sqlite3.Error | None = None
        try:
            folded = self.store.recover(self.journal.entries())
        except sqlite3.Error as exc:
            self.start_error = exc  # reported when the spider opens, which stops the run
        else:
            if folded:
                logger.info("folded %d pending writes from %s into the archive", folded,
                            self.journal.path)
            self.clear_journal()
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.source_checked, signal=archiver_signals.source_checked)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunLedger:
        return cls(crawler)

    def clear_journal(self) -> None:
        try:
            self.journal.clear()
        except OSError as exc:
            # Folding the same entries again next time changes nothing (Store.recover).
            logger.info("could not clear %s: %s", self.journal.path, exc)

    def stop(self, reason: str, message: str) -> None:
        """Stop the whole run (the site answers nothing, the archive takes no writes): one
        line saying why, then the spider closes with `reason`. Only the first call counts."""
        if self.stopping is not None:
            return
        self.stopping = reason
        logger.error("%s; stopping the run", message)
        engine = self.crawler.engine
        if engine is not None and engine.spider is not None:
            closing = deferred_from_coro(engine.close_spider_async(reason=reason))
            closing.addErrback(lambda failure: logger.debug("closing: %s", failure.value))

    def spider_opened(self, spider: Spider) -> None:
        plan = getattr(spider, "plan", None)
        mode = plan.mode if plan is not None else "crawl"
        base_url = self.crawler.settings.get("ARCHIVER_BASE_URL")
        now = self.started
        if self.start_error is None:
            try:
                self.run_id = self.store.begin_run(mode, base_url, now)
            except sqlite3.Error as exc:
                self.start_error = exc
        if self.start_error is not None:
            self.stopping = ARCHIVE_UNWRITABLE
            self.outcome = Outcome("failed", EXIT_FAILED,
                                   self.not_started(self.start_error, mode, now))
            raise CloseSpider(ARCHIVE_UNWRITABLE)
        assert self.crawler.stats is not None
        self.crawler.stats.set_value("archiver/run_id", self.run_id)

    def not_started(self, error: sqlite3.Error, mode: str, now: str) -> str:
        """The archive took not even this run's row: one line, and the run kept in the
        journal (the next run writes its row, `failed`); returns the run's summary."""
        problem = write_problem(error)
        kept = self.journal.append({
            "kind": "run", "started_at": now, "finished_at": utc_now(), "mode": mode,
            "status": "failed", "finish_reason": f"{ARCHIVE_UNWRITABLE}: {problem}",
            "base_url": self.crawler.settings.get("ARCHIVER_BASE_URL")})
        logger.error("archive unwritable: %s%s; this run did not start (%s)", problem,
                     self.waited(error), f"it is recorded in {self.journal.path.name}"
                     if kept else "nothing could record it")
        return f"archiver run failed before it began ({ARCHIVE_UNWRITABLE}: {problem})"

    def waited(self, error: BaseException) -> str:
        """For a lock held past the busy timeout: how long the write waited."""
        if not is_busy(error):
            return ""
        seconds = self.crawler.settings.getfloat("ARCHIVER_BUSY_TIMEOUT")
        return f" (after waiting {seconds:g} s for another connection's write lock)"

    def source_checked(self, article_id: int, rest_ids: frozenset[int],
                       html_ids: frozenset[int], html_count: int,
                       fetched_at: str | None = None) -> None:
        if self.run_id is None:
            return
        assert self.crawler.stats is not None
        try:
            # Dated as the threads are: by the page's capture, live and re-parsed alike.
            self.store.record_source_check(self.run_id, article_id, rest_ids, html_ids,
                                           html_count, moment_of(fetched_at, self.crawler.stats))
        except sqlite3.Error as exc:
            logger.warning("source check of article %d not recorded: %s", article_id,
                           write_problem(exc))

    def spider_closed(self, spider: Spider, reason: str) -> None:
        try:
            if self.run_id is not None:
                self.crawler.signals.send_catch_log(archiver_signals.run_closing, reason=reason)
                self.close_run(reason)
        finally:
            self.store.db.close()
            self.lock.release()

    def close_run(self, reason: str) -> None:
        assert self.run_id is not None and self.crawler.stats is not None
        stats = self.crawler.stats
        counts: dict[str, Any] = {column: int(stats.get_value(stat, 0))
                                  for column, stat in LEDGER_STATS.items()}
        counts.update({column: stats.get_value(stat)
                       for column, stat in LEDGER_TEXT_STATS.items()})
        status = run_status(reason, counts["errors"], counts["warc_error"] is not None)
        now = utc_now()
        if self.crawler.settings.getlist("ARCHIVER_WARC_REPLAY"):
            # A re-parse is dated by the capture: the run ended with its last answer.
            now = stats.get_value(LAST_FETCHED_AT) or self.started
        try:
            self.store.finish_run(self.run_id, status, reason, now, counts)
        except sqlite3.Error as exc:
            self.keep_finish(status, reason, now, counts, exc)
        summary = (
            "archiver run {} {} ({}): {} requests, {} pages, articles {} new {} updated, "
            "comments {} new {} edited {} removed {} restored, {} count mismatches, "
            "{} date warnings, {} failures").format(
            self.run_id, status, reason, counts["requests"], counts["pages_parsed"],
            counts["articles_new"], counts["articles_updated"], counts["comments_new"],
            counts["comments_edited"], counts["comments_removed"], counts["comments_restored"],
            counts["count_mismatches"], counts["date_warnings"], counts["errors"])
        if counts["warc_error"] is not None:
            summary += f"; raw pages not all kept: {counts['warc_error']}"
        self.outcome = Outcome(status, EXIT_CODES[status], summary)
        stats.set_value("archiver/exit_code", self.outcome.exit_code)
        self.crawler.signals.send_catch_log(archiver_signals.run_finished, run_id=self.run_id,
                                            status=status, reason=reason)

    def keep_finish(self, status: str, reason: str, now: str, counts: dict[str, Any],
                    error: sqlite3.Error) -> None:
        """The run's closing could not be written: the journal keeps it for the next run."""
        kept = self.journal.append({"kind": "finish", "run_id": self.run_id,
                                    "finished_at": now, "status": status,
                                    "finish_reason": reason, **counts})
        # When the run is already stopping for this, its one line has been logged.
        level = logging.INFO if self.stopping else logging.WARNING
        where = (f"kept in {self.journal.path.name}; the next run writes it" if kept
                 else "the next run marks it killed")
        logger.log(level, "run %d not closed in the archive: %s%s; %s", self.run_id,
                   write_problem(error), self.waited(error), where)
