"""`scrapy crawl` with the archiver's preflight: bad settings or a busy archive stop it early."""

from __future__ import annotations

import argparse
import sys

from scrapy.commands.crawl import Command as ScrapyCrawl

from archiver.preflight import ArchiveBusy, ConfigError, RunLock, check_settings


class Command(ScrapyCrawl):
    lock: RunLock | None = None

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        # Here, not in run(): Scrapy starts logging (and its banner) between the two, and a
        # refusal must be the one line on stderr.
        super().process_options(args, opts)
        assert self.settings is not None
        try:
            check_settings(self.settings, dict(opts.spargs))
        except ConfigError as exc:
            print(f"error: {exc}", file=sys.stderr)
            raise SystemExit(2) from None
        lock = RunLock(self.settings.get("ARCHIVER_DB"))
        try:
            lock.acquire()
        except ArchiveBusy as exc:
            print(f"error: {exc}", file=sys.stderr)
            raise SystemExit(3) from None
        self.lock = lock

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        try:
            super().run(args, opts)
        finally:
            if self.lock is not None:
                self.lock.release()
