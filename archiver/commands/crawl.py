"""`scrapy crawl` with the archiver's preflight: bad settings or a busy archive stop it early."""

from __future__ import annotations

import argparse
import sys

from scrapy.commands.crawl import Command as ScrapyCrawl

from archiver.preflight import ArchiveBusy, ConfigError, RunLock, check_settings


class Command(ScrapyCrawl):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        try:
            check_settings(self.settings, dict(opts.spargs))
        except ConfigError as exc:
            print(f"error: {exc}", file=sys.stderr)
            self.exitcode = 2
            return
        lock = RunLock(self.settings.get("ARCHIVER_DB"))
        try:
            lock.acquire()
        except ArchiveBusy as exc:
            print(f"error: {exc}", file=sys.stderr)
            self.exitcode = 3
            return
        try:
            super().run(args, opts)
        finally:
            lock.release()
