"""Diagnostic extension: where does a crawl's memory grow? (bench only, never in real runs)

`scrapy crawl ldv -s EXTENSIONS='{"bench.memtrace.MemTrace": 1000}' -s BENCH_MEMTRACE=out.txt`
starts tracemalloc, snapshots after BENCH_MEMTRACE_FIRST items and at the end, and writes the
allocation sites that grew most between the two, with RSS at both points.
"""

from __future__ import annotations

import tracemalloc
from pathlib import Path
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from bench.statsdump import current_rss_kb


class MemTrace:
    def __init__(self, path: Path, first: int) -> None:
        self.path = path
        self.first = first
        self.items = 0
        self.start: tracemalloc.Snapshot | None = None
        self.start_rss = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> MemTrace:
        path = crawler.settings.get("BENCH_MEMTRACE")
        if not path:
            raise NotConfigured("BENCH_MEMTRACE is not set")
        extension = cls(Path(path), crawler.settings.getint("BENCH_MEMTRACE_FIRST", 1000))
        tracemalloc.start(crawler.settings.getint("BENCH_MEMTRACE_FRAMES", 4))
        crawler.signals.connect(extension.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def item_scraped(self, item: Any) -> None:
        self.items += 1
        if self.items == self.first:
            self.start = tracemalloc.take_snapshot()
            self.start_rss = current_rss_kb()

    def spider_closed(self, spider: Spider) -> None:
        end = tracemalloc.take_snapshot()
        lines = [f"items {self.items}; RSS {self.start_rss} kB after {self.first}, "
                 f"{current_rss_kb()} kB at the end; traced now "
                 f"{tracemalloc.get_traced_memory()[0] // 1024} kB"]
        if self.start is not None:
            for stat in end.compare_to(self.start, "traceback")[:15]:
                lines.append(f"\n{stat.size_diff / 1024:+.0f} kB in {stat.count_diff:+d} blocks")
                lines += [f"    {frame}" for frame in stat.traceback.format()[-8:]]
        self.path.write_text("\n".join(lines) + "\n", encoding="utf-8")
