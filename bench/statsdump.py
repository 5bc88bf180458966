"""A Scrapy extension for the benchmark: writes the crawl's stats to BENCH_STATS_FILE as JSON.

Enabled only by bench/run.py (`-s EXTENSIONS={"bench.statsdump.StatsDump": 1000}`), so both
spiders report requests, pages, comments and the engine's own elapsed time the same way.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet import task


class StatsDump:
    def __init__(self, crawler: Crawler, path: str) -> None:
        self.crawler = crawler
        self.path = Path(path)
        self.opened = 0.0
        self.cpu = 0.0
        self.max_queued = 0
        # (seconds since the spider opened, RSS kB, responses so far, CPU seconds so far),
        # every ~2 s: does memory level off, does throughput hold up as the archive grows?
        self.timeline: list[tuple[float, int, int, float]] = []
        self.sampler = task.LoopingCall(self.sample)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StatsDump:
        path = crawler.settings.get("BENCH_STATS_FILE")
        if not path:
            raise NotConfigured("BENCH_STATS_FILE is not set")
        extension = cls(crawler, path)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider: Spider) -> None:
        self.opened = time.monotonic()
        self.cpu = time.process_time()
        self.sampler.start(0.25)

    def sample(self) -> None:
        """Track how many requests wait in the scheduler (memory that grows with the site)."""
        scheduler = self.crawler.engine.scheduler if self.crawler.engine else None
        if scheduler is not None:
            self.max_queued = max(self.max_queued, len(scheduler))  # type: ignore[arg-type]
        elapsed = time.monotonic() - self.opened
        if not self.timeline or elapsed - self.timeline[-1][0] >= 2:
            assert self.crawler.stats is not None
            responses = self.crawler.stats.get_value("response_received_count", 0)
            self.timeline.append((round(elapsed, 1), current_rss_kb(), int(responses),
                                  round(time.process_time() - self.cpu, 2)))

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.sampler.running:
            self.sampler.stop()
        assert self.crawler.stats is not None
        stats: dict[str, Any] = {key: value if isinstance(value, int | float | str) else str(value)
                                 for key, value in self.crawler.stats.get_stats().items()}
        stats["bench/seconds"] = time.monotonic() - self.opened
        # CPU of the whole process (all threads) while the spider ran: no start-up imports.
        stats["bench/cpu_s"] = time.process_time() - self.cpu
        stats["bench/finish_reason"] = reason
        stats["bench/peak_rss_kb"] = peak_rss_kb()
        stats["bench/max_queued_requests"] = self.max_queued
        stats["bench/timeline"] = self.timeline
        self.path.write_text(json.dumps(stats, indent=1, sort_keys=True), encoding="utf-8")


def peak_rss_kb() -> int:
    """This process's peak resident set (VmHWM) since its exec.

    Not getrusage's ru_maxrss: a child started with vfork/posix_spawn inherits its parent's
    high-water mark there, so a large benchmark runner would inflate every crawl's figure.
    """
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


def current_rss_kb() -> int:
    """This process's resident set now (VmRSS)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")
