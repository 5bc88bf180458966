"""`scrapy crawl` with the archiver's preflight: bad settings or a busy archive stop it early."""

from __future__ import annotations

import argparse
import sys

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.spiderloader import get_spider_loader

from archiver.extensions.ledger import ArchiveBusy, RunLock
from archiver.preflight import ConfigError, check_settings


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
            raise SystemExit(2) from None
        # The run ledger takes the lock for the crawl itself; asking here first makes a busy
        # archive one line and exit 3 instead of a failed crawl.
        lock = RunLock(effective.get("ARCHIVER_DB"))
        try:
            lock.acquire()
        except ArchiveBusy as exc:
            print(f"error: {exc}", file=sys.stderr)
            raise SystemExit(3) from None
        lock.release()
