"""Extension: a run's progress, as a bar on a terminal or a periodic line in the log.

Counts come from the run itself: `item_scraped` (a `Thread`: one article, its comments),
`thread_unchanged` (a stored article the server says is current: handled too) and
`page_failed`. Totals come from Scrapy's stats, which the spider may set or raise at any time:
`archiver/articles_expected` and `archiver/comments_expected`; absent, a total is unknown and
the line shows counts and rate, no percentage and no ETA.

ARCHIVER_PROGRESS: `auto` (a bar when stderr is a terminal, else log lines), `bar`, `log`,
`off`. Log lines are INFO on the `archiver.progress` logger every ARCHIVER_PROGRESS_INTERVAL
seconds, and one at the end, so `-s LOG_LEVEL=WARNING` (cron's quiet mode) hides them all.
"""

from __future__ import annotations

import logging
import shutil
import sys
import time
from collections import deque
from collections.abc import Callable
from typing import Any, TextIO

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from archiver import signals as archiver_signals
from archiver.items import Thread

logger = logging.getLogger("archiver.progress")

MODES = ("auto", "bar", "log", "off")
ARTICLES_EXPECTED = "archiver/articles_expected"
COMMENTS_EXPECTED = "archiver/comments_expected"

# The rate (and so the ETA) is over a moving window of the last ten minutes, not the run's
# overall average: a polite crawl's pace changes for long stretches (AutoThrottle, a 429's
# Retry-After doubling the pause, listing and sitemap pages first with no article done), and
# an average since the start would carry an early stretch into the ETA for hours. Ten minutes
# is hundreds of articles at a polite rate, enough to smooth one slow page out.
RATE_WINDOW_SECONDS = 600.0
# The bar is redrawn this often (and at most this often on items), whatever the log interval.
BAR_SECONDS = 1.0
BAR_MIN_REDRAW = 0.25


def parse_mode(value: object) -> str:
    """The ARCHIVER_PROGRESS value as one of MODES; ValueError for anything else."""
    mode = str(value).strip().lower()
    if mode not in MODES:
        raise ValueError(value)
    return mode


def count(n: int) -> str:
    return f"{n:,}"


def duration(seconds: float) -> str:
    """An ETA, coarse as an estimate is: 45s, 12m05s, 1h08m, 26h40m."""
    whole = max(0, round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


def rate_text(per_second: float) -> str:
    # Below 0.1/s (a heavily backed-off crawl) a per-minute figure still says something.
    if per_second >= 0.1 or per_second == 0:
        return f"{per_second:.1f}/s"
    return f"{per_second * 60:.1f}/min"


class ProgressMeter:
    """Counts and the windowed rate of articles done; `line()` is the text shown or logged.

    `clock` is monotonic seconds (a fake in the tests)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic,
                 window: float = RATE_WINDOW_SECONDS) -> None:
        self.clock = clock
        self.window = window
        self.articles = 0
        self.comments = 0
        self.failures = 0
        # (time, articles done): the oldest kept is the last one at or before the window's start.
        self.samples: deque[tuple[float, int]] = deque([(clock(), 0)])

    def article_done(self, comments: int = 0) -> None:
        self.articles += 1
        self.comments += comments
        self.samples.append((self.clock(), self.articles))
        self.trim(self.samples[-1][0])

    def page_failed(self) -> None:
        self.failures += 1

    def trim(self, now: float) -> None:
        while len(self.samples) > 1 and self.samples[1][0] <= now - self.window:
            self.samples.popleft()

    def rate(self) -> float:
        """Articles per second over the window, up to now (a stall brings it down)."""
        now = self.clock()
        self.trim(now)
        since, done = self.samples[0]
        elapsed = now - since
        return (self.articles - done) / elapsed if elapsed > 0 else 0.0

    def eta(self, expected: int | None) -> float | None:
        """Seconds to the expected total at the current rate; None when it cannot be told."""
        if expected is None or self.articles >= expected:
            return None
        rate = self.rate()
        return (expected - self.articles) / rate if rate > 0 else None

    def line(self, articles_expected: int | None = None,
             comments_expected: int | None = None) -> str:
        if articles_expected is not None:
            share = min(100.0, 100.0 * self.articles / articles_expected) \
                if articles_expected > 0 else 100.0
            articles = f"articles {count(self.articles)}/{count(articles_expected)} ({share:.1f}%)"
        else:
            articles = f"articles {count(self.articles)}"
        comments = f"comments {count(self.comments)}"
        if comments_expected is not None:
            comments += f"/{count(comments_expected)}"
        parts = [articles, comments, rate_text(self.rate())]
        eta = self.eta(articles_expected)
        if eta is not None:
            parts.append(f"ETA {duration(eta)}")
        if self.failures:
            parts.append(f"{count(self.failures)} failed")
        return " · ".join(parts)


def expected(stats: Any, key: str) -> int | None:
    value = stats.get_value(key) if stats is not None else None
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


class Bar:
    """One line on a terminal, redrawn in place with \\r; a log record on the same stream first
    clears it (`filter`, installed on that stream's log handlers) and the next tick redraws."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.shown = 0  # characters on screen now (0: the cursor is at the start of a line)
        self.handlers: list[logging.Handler] = []

    def attach(self) -> None:
        for handler in logging.getLogger().handlers:
            if getattr(handler, "stream", None) is self.stream:
                # Last, so it runs only for records the other filters let through.
                handler.addFilter(self.filter)
                self.handlers.append(handler)

    def detach(self) -> None:
        for handler in self.handlers:
            handler.removeFilter(self.filter)
        self.handlers = []

    def filter(self, record: logging.LogRecord) -> bool:
        self.clear()
        return True

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r" + " " * self.shown + "\r")
            self.stream.flush()
            self.shown = 0

    def draw(self, text: str) -> None:
        # Kept to the terminal's width: a wrapped line cannot be redrawn with \r.
        width = shutil.get_terminal_size().columns - 1
        text = text[:width] if width > 0 else text
        pad = " " * max(0, self.shown - len(text))
        self.stream.write("\r" + text + pad)
        self.stream.flush()
        self.shown = len(text)

    def finish(self, text: str) -> None:
        self.draw(text)
        self.stream.write("\n")
        self.stream.flush()
        self.shown = 0


class Progress:
    def __init__(self, crawler: Crawler, stream: TextIO | None = None) -> None:
        settings = crawler.settings
        try:
            mode = parse_mode(settings.get("ARCHIVER_PROGRESS", "auto"))
        except ValueError:
            # The crawl command's preflight refuses it first; a crawler built otherwise runs
            # without progress rather than failing.
            raise NotConfigured("ARCHIVER_PROGRESS is not one of auto, bar, log, off") from None
        if mode == "off":
            raise NotConfigured("ARCHIVER_PROGRESS=off")
        self.crawler = crawler
        self.stream = stream if stream is not None else sys.stderr
        if mode == "auto":
            isatty = getattr(self.stream, "isatty", None)
            mode = "bar" if isatty is not None and isatty() else "log"
        self.mode = mode
        self.interval = settings.getfloat("ARCHIVER_PROGRESS_INTERVAL", 60.0)
        self.meter = ProgressMeter()
        self.bar = Bar(self.stream) if mode == "bar" else None
        self.last_draw = float("-inf")
        self.loop: task.LoopingCall | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(self.thread_unchanged, signal=archiver_signals.thread_unchanged)
        crawler.signals.connect(self.page_failed, signal=archiver_signals.page_failed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Progress:
        return cls(crawler)

    def line(self) -> str:
        stats = self.crawler.stats
        return self.meter.line(expected(stats, ARTICLES_EXPECTED),
                               expected(stats, COMMENTS_EXPECTED))

    def spider_opened(self, spider: Spider) -> None:
        self.meter = ProgressMeter()  # the rate counts from the spider's start
        if self.bar is not None:
            self.bar.attach()
        self.loop = task.LoopingCall(self.tick)
        self.loop.start(BAR_SECONDS if self.bar is not None else self.interval, now=False)

    def tick(self) -> None:
        if self.bar is not None:
            self.redraw()
        else:
            logger.info("%s", self.line())

    def redraw(self) -> None:
        assert self.bar is not None
        self.last_draw = self.meter.clock()
        self.bar.draw(self.line())

    def item_scraped(self, item: Any, response: Any, spider: Spider) -> None:
        if not isinstance(item, Thread):
            return
        self.meter.article_done(len(item.comments))
        if self.bar is not None and self.meter.clock() - self.last_draw >= BAR_MIN_REDRAW:
            self.redraw()

    def thread_unchanged(self, article_id: int, url: str) -> None:
        # A 304: the article is handled this run (verified as stored), with no comment read.
        self.meter.article_done(0)

    def page_failed(self, failure: Any, **kwargs: Any) -> None:
        self.meter.page_failed()

    def spider_closed(self, spider: Spider) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        self.loop = None
        if self.bar is not None:
            # The final counts, and the line ended: the summary never lands mid-line.
            self.bar.finish(self.line())
            self.bar.detach()
        else:
            logger.info("%s", self.line())
