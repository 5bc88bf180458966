"""`scrapy crawl` with the archiver's preflight (bad settings or a busy archive stop it early)
and its exit code: the run's outcome, after the run's one-line summary as the log's last line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.spiderloader import get_spider_loader

from archiver.extensions.ledger import (
    EXIT_BAD_SETTING,
    EXIT_BUSY,
    EXIT_FAILED,
    SUMMARY,
    RunLedger,
    RunNotStarted,
)
from archiver.extensions.ledger import logger as ledger_logger
from archiver.extensions.run_lock import ArchiveBusy, RunLock
from archiver.preflight import ConfigError, check_settings

logger = logging.getLogger(__name__)


class Command(ScrapyCrawl):
    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        # Here, not in run(): Scrapy starts logging (and its banner) between the two, and a
        # refusal must be the one line on stderr.
        super().process_options(args, opts)
        assert self.settings is not None
        if len(args) != 1:
            return  # Scrapy's run() explains the usage
        try:
            spidercls = get_spider_loader(self.settings).load(args[0])
        except KeyError:
            return  # Scrapy's run() names the unknown spider
        # The settings as the spider will see them: its profile's defaults under `-s`.
        effective = self.settings.copy()
        spidercls.update_settings(effective)
        try:
            check_settings(effective, dict(opts.spargs), getattr(spidercls, "arguments", ()))
        except ConfigError as exc:
            print(f"error: {exc}", file=sys.stderr)
            raise SystemExit(EXIT_BAD_SETTING) from None
        # The run ledger takes the lock for the crawl itself; asking here first makes a busy
        # archive one line and exit 3 instead of a failed crawl.
        lock = RunLock(effective.get("ARCHIVER_DB"))
        try:
            lock.acquire()
        except ArchiveBusy as exc:
            print(f"error: {exc}", file=sys.stderr)
            raise SystemExit(EXIT_BUSY) from None
        lock.release()

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            super().run(args, opts)  # Scrapy explains the usage
            return
        assert self.crawler_process is not None
        crawler = self._create_crawler(args[0])
        crawl = self.crawler_process.crawl(crawler, **opts.spargs)
        refused: list[BaseException] = []

        def take_error(task: asyncio.Future[None]) -> None:
            # Taken here, so asyncio does not print it as a traceback: a crawl that could not
            # start (the archive busy or unwritable at its open) is one line, then the exit.
            if not task.cancelled() and (error := task.exception()) is not None:
                refused.append(error)

        if isinstance(crawl, asyncio.Future):
            crawl.add_done_callback(take_error)
        self.crawler_process.start()
        if refused:
            self.exitcode = self.not_started(refused[0])
            return
        ledger = None
        with contextlib.suppress(RuntimeError):  # the crawler never built its extensions
            ledger = crawler.get_extension(RunLedger)
        outcome = None if ledger is None else ledger.outcome
        if outcome is None:
            # The crawl broke before the ledger could close a run (Scrapy logged why).
            logger.error("the crawl did not run")
            self.exitcode = EXIT_FAILED
            return
        # Last, after Scrapy's stats dump: the one line a cron job's log needs.
        ledger_logger.log(SUMMARY, outcome.summary)
        self.exitcode = outcome.exit_code

    @staticmethod
    def not_started(error: BaseException) -> int:
        if isinstance(error, ArchiveBusy):
            # Another run took the lock between the check above and the ledger.
            logger.error("%s", error)
            return EXIT_BUSY
        if isinstance(error, RunNotStarted):
            ledger_logger.log(SUMMARY, str(error))
            return EXIT_FAILED
        logger.error("the crawl could not start", exc_info=error)
        return EXIT_FAILED
