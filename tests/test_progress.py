"""Progress: the line's text and ETA (a fake clock), the bar's redraws, a real crawl's log lines,
and the preflight's refusal of a bad ARCHIVER_PROGRESS."""

from __future__ import annotations

import io
import logging
import re
from pathlib import Path

import pytest
import sqlite_utils
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from archiver.extensions.progress import (
    Bar,
    Progress,
    ProgressMeter,
    duration,
    parse_mode,
)
from archiver.items import Article, Comment, Thread
from archiver.preflight import ConfigError, check_settings
from testing.mirror import MirrorServer
from tests.conftest import run_crawl
from tests.fault_matrix import guarded
from tests.test_preflight import settings as preflight_settings


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def meter(window: float = 600.0) -> tuple[ProgressMeter, FakeClock]:
    clock = FakeClock()
    return ProgressMeter(clock=clock, window=window), clock


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "0s"), (45.4, "45s"), (60, "1m00s"), (725, "12m05s"), (4080, "1h08m"),
    (96_000, "26h40m"), (-3, "0s"),
])
def test_durations_are_coarse_like_an_estimate(seconds: float, text: str) -> None:
    assert duration(seconds) == text


def test_the_line_has_counts_share_rate_and_eta() -> None:
    progress, clock = meter()
    for _ in range(120):
        clock.advance(1.25)  # 0.8 articles a second
        progress.article_done(comments=37)
    progress.comments += 72  # 4,512 in all
    line = progress.line(articles_expected=3400)
    # 3,280 to go at 0.8/s: 4,100 s.
    assert line == "articles 120/3,400 (3.5%) · comments 4,512 · 0.8/s · ETA 1h08m"


def test_an_unknown_total_shows_counts_and_rate_but_no_eta() -> None:
    progress, clock = meter()
    for _ in range(10):
        clock.advance(2)
        progress.article_done(comments=3)
    line = progress.line()
    assert line == "articles 10 · comments 30 · 0.5/s"
    assert progress.eta(None) is None


def test_a_comments_total_and_failures_are_shown_when_known() -> None:
    progress, clock = meter()
    clock.advance(10)
    progress.article_done(comments=5)
    progress.page_failed()
    progress.page_failed()
    line = progress.line(articles_expected=None, comments_expected=2000)
    assert line == "articles 1 · comments 5/2,000 · 0.1/s · 2 failed"


def test_a_slow_crawl_gives_a_per_minute_rate() -> None:
    progress, clock = meter()
    clock.advance(30)
    progress.article_done()
    assert "· 2.0/min" in progress.line()


def test_past_the_total_the_share_stops_at_100_and_there_is_no_eta() -> None:
    progress, clock = meter()
    for _ in range(5):
        clock.advance(1)
        progress.article_done()
    assert progress.line(articles_expected=4) == "articles 5/4 (100.0%) · comments 0 · 1.0/s"


def test_a_total_raised_during_the_run_is_used_at_once() -> None:
    progress, clock = meter()
    for _ in range(10):
        clock.advance(1)
        progress.article_done()
    assert progress.eta(20) == pytest.approx(10)
    assert progress.eta(110) == pytest.approx(100)


def test_the_rate_is_over_the_window_so_an_early_stretch_passes_out_of_it() -> None:
    progress, clock = meter(window=600)
    # Ten minutes of listing pages with no article done, then one article a second.
    clock.advance(600)
    for _ in range(1200):
        clock.advance(1)
        progress.article_done()
    assert progress.rate() == pytest.approx(1.0)  # an overall average would say 0.67
    assert progress.eta(2400) == pytest.approx(1200)


def test_a_stall_brings_the_rate_down_until_no_eta_is_given() -> None:
    progress, clock = meter(window=600)
    for _ in range(100):
        clock.advance(1)
        progress.article_done()
    clock.advance(300)  # backed off: nothing for five minutes
    assert progress.rate() == pytest.approx(0.25, abs=0.01)
    clock.advance(600)  # the window holds no article now
    assert progress.rate() == 0
    assert progress.eta(1000) is None
    assert progress.line(articles_expected=1000).endswith("· 0.0/s")


def test_the_bar_redraws_in_place_and_ends_its_line() -> None:
    stream = io.StringIO()
    bar = Bar(stream)
    first, second = "articles 1 · comments 10 · 1.0/s", "articles 2 · comments 9"
    bar.draw(first)
    bar.draw(second)  # shorter: the rest of the old text is blanked
    bar.finish("articles 3 · comments 30 · 1.0/s")
    out = stream.getvalue()
    assert out.endswith("articles 3 · comments 30 · 1.0/s\n")
    assert "\n" not in out[:-1]
    assert out.split("\r")[2] == second + " " * (len(first) - len(second))
    assert bar.shown == 0


def test_a_log_record_clears_the_bar_first() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(message)s"))
    log = logging.getLogger("tests.progress.bar")
    log.propagate = False
    log.addHandler(handler)
    bar = Bar(stream)
    bar.handlers = [handler]
    handler.addFilter(bar.filter)
    try:
        bar.draw("articles 7")
        log.warning("a warning")
        assert stream.getvalue() == "\rarticles 7" + "\r" + " " * 10 + "\r" + "a warning\n"
        assert bar.shown == 0
    finally:
        bar.detach()
        log.removeHandler(handler)
    assert handler.filters == []


def thread(comments: int) -> Thread:
    article = Article(1, "http://x/a-1.html", "A", None, None, None, (), (), "", None)
    return Thread(article, tuple(
        Comment(i, "r", None, "", None, "", "", i, False) for i in range(1, comments + 1)),
        (article.url,))


def test_the_extension_is_off_logs_off_a_terminal_and_counts_threads() -> None:
    with pytest.raises(NotConfigured):
        Progress(get_crawler(settings_dict={"ARCHIVER_PROGRESS": "off"}))
    crawler = get_crawler(settings_dict={"ARCHIVER_PROGRESS": "auto"})
    progress = Progress(crawler, stream=io.StringIO())  # not a terminal
    assert progress.mode == "log" and progress.bar is None
    progress.item_scraped(thread(4), None, None)  # type: ignore[arg-type]
    progress.item_scraped({"not": "a thread"}, None, None)  # type: ignore[arg-type]
    progress.thread_unchanged(2, "http://x/b-2.html")
    assert (progress.meter.articles, progress.meter.comments) == (2, 4)
    assert Progress(get_crawler(settings_dict={"ARCHIVER_PROGRESS": "BAR"}),
                    stream=io.StringIO()).mode == "bar"


def test_only_the_four_modes_parse() -> None:
    assert [parse_mode(m) for m in ("auto", "bar", " Log ", "off")] == ["auto", "bar", "log",
                                                                        "off"]
    with pytest.raises(ValueError):
        parse_mode("bogus")


@pytest.mark.parametrize(("values", "message"), [
    ({"ARCHIVER_PROGRESS": "bogus"}, "ARCHIVER_PROGRESS='bogus' is unknown; use one of auto"),
    ({"ARCHIVER_PROGRESS_INTERVAL": "often"}, "must be a number of seconds"),
    ({"ARCHIVER_PROGRESS_INTERVAL": "0"}, "must be more than 0"),
])
def test_bad_progress_settings_are_refused(values: dict[str, str], message: str,
                                           tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        check_settings(preflight_settings(ARCHIVER_DB=str(tmp_path / "a.db"), **values), {})


def test_a_bogus_progress_mode_stops_the_crawl_with_exit_2(tmp_path: Path,
                                                           mirror: MirrorServer) -> None:
    mirror.clear_log()
    result = run_crawl(mirror.base_url, tmp_path / "archive.db",
                       settings=guarded({"ARCHIVER_PROGRESS": "bogus"}))
    lines = result.stderr.splitlines()
    assert result.returncode == 2, result.stderr[-2000:]
    assert lines == ["error: ARCHIVER_PROGRESS='bogus' is unknown; use one of auto, bar, log, "
                     "off"]
    assert mirror.requests == []
    assert not (tmp_path / "archive.db").exists()


PROGRESS_LINE = re.compile(r"\[archiver\.progress\] INFO: articles ([\d,]+)(?:/[\d,]+)? ")


def test_a_crawl_logs_progress_lines_up_to_the_articles_archived(
        tmp_path: Path, mirror: MirrorServer) -> None:
    db = tmp_path / "archive.db"
    result = run_crawl(mirror.base_url, db, settings=guarded(
        {"ARCHIVER_PROGRESS": "log", "ARCHIVER_PROGRESS_INTERVAL": "0.2"}))
    assert result.returncode == 0, result.stderr[-3000:]
    counts = [int(m.group(1).replace(",", "")) for m in PROGRESS_LINE.finditer(result.stderr)]
    archived = sqlite_utils.Database(db).execute("SELECT count(*) FROM articles").fetchone()[0]
    assert archived > 0
    assert counts, result.stderr[-3000:]
    assert counts == sorted(counts)
    assert counts[-1] == archived
    # Log mode writes whole log lines only (no bar), and the summary stays the last line.
    assert "\r" not in result.stderr
    assert "SUMMARY: archiver run 1 ok" in result.stderr.splitlines()[-1]
