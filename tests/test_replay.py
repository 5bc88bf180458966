"""Replay: a WACZ of real crawls' WARC files, served by pywb, read back in headless Chromium."""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import zipfile
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import sync_playwright
from warcio.archiveiterator import ArchiveIterator

from archiver.cli import main as cli
from testing.mirror import serve
from testing.replay import PYWB_BIN, serve_wacz
from tests.archive_factory import SEED_ARTICLE, SEED_COMMENTS, load_truth
from tests.conftest import DAY1, DAY2, run_crawl
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Captured:
    db: Path
    warc_dir: Path
    # The mirror's root, as the archive's URLs carry it; nothing answers there any more.
    base_url: str


def truth_url(base_url: str, url: str) -> str:
    """A truth file's URL (the real site's) as the mirror served it."""
    return base_url + urlsplit(url).path


@pytest.fixture(scope="module")
def captured(tmp_path_factory: pytest.TempPathFactory) -> Captured:
    """Day 1, then day 2 with a full audit, crawled with capture on; the mirror then stops."""
    folder = tmp_path_factory.mktemp("captured")
    db, warc_dir = folder / "archive.db", folder / "warc"
    with serve(DAY1) as server:
        for root, audit in ((DAY1, "0"), (DAY2, "50")):
            server.set_root(root)
            result = run_crawl(server.base_url, db, settings={
                "ARCHIVER_AUDIT_PER_RUN": audit, "ARCHIVER_WARC_DIR": str(warc_dir)})
            assert result.returncode == 0, result.stderr[-3000:]
        base_url = server.base_url
    return Captured(db, warc_dir, base_url)


@pytest.fixture(scope="module")
def revisited(tmp_path_factory: pytest.TempPathFactory) -> Captured:
    """Day 1, day 2 with a full audit, then day 2 again with every thread asked for with its
    validators: each thread's latest capture is a 304, a revisit of day 2's page."""
    folder = tmp_path_factory.mktemp("revisited")
    db, warc_dir = folder / "archive.db", folder / "warc"
    with serve(DAY1) as server:
        for root, settings in ((DAY1, {"ARCHIVER_AUDIT_PER_RUN": "0"}),
                               (DAY2, {"ARCHIVER_AUDIT_PER_RUN": "50"}),
                               (DAY2, {"ARCHIVER_AUDIT_PER_RUN": "0",
                                       "ARCHIVER_ACTIVE_DAYS": "4200"})):
            # Each run's captures in seconds of their own: pywb's timestamps have no fraction.
            time.sleep(1.1)
            server.set_root(root)
            result = run_crawl(server.base_url, db, settings={
                **settings, "ARCHIVER_WARC_DIR": str(warc_dir)})
            assert result.returncode == 0, result.stderr[-3000:]
        base_url = server.base_url
    assert captures(db, "SELECT run_id, status, record_type FROM captures WHERE article_id = ? "
                        "ORDER BY captured_at DESC LIMIT 1", SEED_ARTICLE) == [
        (3, 304, "revisit")]
    return Captured(db, warc_dir, base_url)


def make_wacz(captured: Captured, output: Path, *run: str) -> Path:
    code = cli(["wacz", "--db", str(captured.db), "--warc-dir", str(captured.warc_dir),
                *run, "-o", str(output)])
    assert code == 0
    return output


def listed(wacz: Path) -> list[dict[str, str]]:
    with zipfile.ZipFile(wacz) as package:
        lines = package.read("pages/pages.jsonl").decode("utf-8").splitlines()
    return [page for page in map(json.loads, lines) if "format" not in page]


def warcs_in(wacz: Path) -> set[str]:
    with zipfile.ZipFile(wacz) as package:
        return {Path(name).name for name in package.namelist() if name.startswith("archive/")}


def captures(db: Path, sql: str, *args: object) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute(sql, args).fetchall()


def validate(wacz: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "wacz", "validate", "-f", str(wacz)],
                          capture_output=True, text=True, check=False, timeout=120)


def test_wacz_of_a_run_is_valid_and_lists_its_article_pages(
        captured: Captured, tmp_path: Path) -> None:
    wacz = make_wacz(captured, tmp_path / "run1.wacz", "--run", "1")
    checked = validate(wacz)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "the passed WACZ is valid" in checked.stdout
    # The run's pointers name its files; the WACZ holds those and no other run's.
    assert warcs_in(wacz) == {name for (name,) in captures(
        captured.db, "SELECT DISTINCT warc_file FROM captures WHERE run_id = 1")}
    expected = {truth_url(captured.base_url, t["url"]): t["title"] for t in load_truth("day1")}
    pages = listed(wacz)
    assert {page["url"]: page["title"] for page in pages} == expected
    assert len(pages) == len(expected)


def test_wacz_of_the_archive_lists_every_captured_article_page(
        captured: Captured, tmp_path: Path) -> None:
    wacz = make_wacz(captured, tmp_path / "all.wacz")
    assert validate(wacz).returncode == 0
    assert warcs_in(wacz) == {path.name for path in captured.warc_dir.glob("*.warc.gz")}
    # Every 200 answer to an article's own page, in either run (a 304 is a revisit, no page).
    expected = sorted(captures(captured.db, """
        SELECT c.url, substr(c.captured_at, 1, 19) FROM captures c
        JOIN articles a ON a.article_id = c.article_id AND a.url = c.url
        WHERE c.status = 200 AND c.record_type = 'response'"""))
    assert len({run for (run,) in captures(captured.db, "SELECT run_id FROM captures")}) == 2
    assert sorted((page["url"], page["ts"][:19]) for page in listed(wacz)) == expected


def test_wacz_leaves_out_a_record_a_killed_run_cut_short(
        captured: Captured, tmp_path: Path) -> None:
    # Run 1's files, the last one ending in half of a record, as a kill -9 mid-write leaves it.
    warc_dir = tmp_path / "warc"
    warc_dir.mkdir()
    names = [name for (name,) in captures(
        captured.db, "SELECT DISTINCT warc_file FROM captures WHERE run_id = 1 ORDER BY 1")]
    for name in names:
        shutil.copy(captured.warc_dir / name, warc_dir / name)
    ((offset, length),) = captures(captured.db, """
        SELECT "offset", length FROM captures WHERE run_id = 1 AND article_id = ?
        AND status = 200""", SEED_ARTICLE)
    with open(captured.warc_dir / names[-1], "rb") as source:
        source.seek(offset)
        half = source.read(length // 2)
    with open(warc_dir / names[-1], "ab") as target:
        target.write(half)
    wacz = tmp_path / "cut.wacz"
    code = cli(["wacz", "--db", str(captured.db), "--warc-dir", str(warc_dir), "--run", "1",
                "-o", str(wacz)])
    assert code == 0
    assert validate(wacz).returncode == 0
    with zipfile.ZipFile(wacz) as package:
        kept = package.read(f"archive/{names[-1]}")
    assert kept == (captured.warc_dir / names[-1]).read_bytes()
    assert len(listed(wacz)) == len(load_truth("day1"))


def test_wacz_refuses_a_run_that_captured_nothing(captured: Captured, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    code = cli(["wacz", "--db", str(captured.db), "--warc-dir", str(captured.warc_dir),
                "--run", "7", "-o", str(tmp_path / "none.wacz")])
    assert code == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        f"error: no WARC files of run 7 in {captured.warc_dir}"]
    assert not (tmp_path / "none.wacz").exists()


def need_browser_and_pywb() -> None:
    for needed, how in ((CHROMIUM, "install Debian's chromium package"),
                        (PYWB_BIN / "wayback", "run scripts/pywb-venv.sh")):
        if not needed.exists():
            if os.environ.get("CI"):
                pytest.fail(f"{needed} is missing; {how}")
            pytest.skip(f"{needed} is missing; {how}")


def check_replayed_thread(wacz: Path, folder: Path, url: str, seed: dict[str, Any],
                          expected: list[str], timestamp: str = "") -> None:
    """Chromium opens `url` in pywb's replay of `wacz` (as of `timestamp`, else its latest
    capture) and finds the thread's comments in order, its title and first paragraph, and
    nothing fetched from anywhere but the replay."""
    folder.mkdir()
    with serve_wacz(wacz, folder) as replay, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.set_default_timeout(20_000)
            elsewhere: list[str] = []
            page.on("request", lambda request: None if request.url.startswith(
                replay.base_url) else elsewhere.append(request.url))
            page.goto(replay.replay_url(url, timestamp))
            # pywb's frame around the replayed page, as a reader sees it.
            replayed = page.frame_locator("#replay_iframe")
            comments = replayed.locator("li.comment[id^='comment-']")
            comments.first.wait_for()
            assert comments.count() == len(expected)
            assert [comments.nth(i).get_attribute("id") for i in range(len(expected))] == expected
            assert replayed.locator("h1, h2").filter(has_text=seed["title"]).count() >= 1
            assert seed["body_paragraphs"][0] in replayed.locator("body").inner_text()
            # Every byte came from the replay: nothing asked of the (stopped) mirror.
            assert elsewhere == []
        finally:
            browser.close()


def seed_on_day2() -> tuple[dict[str, Any], list[str]]:
    """The seed thread as day 2 shows it (day 1's comments, a typo in its body mended)."""
    seed = next(t for t in load_truth("day2") if t["post_id"] == SEED_ARTICLE)
    expected = [f"comment-{c['comment_id']}" for c in seed["comments"]]
    assert len(expected) == SEED_COMMENTS
    return seed, expected


def check_latest_seed_thread(captured: Captured, tmp_path: Path) -> None:
    """The whole archive's WACZ, opened at the seed thread's newest capture: day 2's page."""
    need_browser_and_pywb()
    wacz = make_wacz(captured, tmp_path / "all.wacz")
    seed, expected = seed_on_day2()
    check_replayed_thread(wacz, tmp_path / "pywb", truth_url(captured.base_url, seed["url"]),
                          seed, expected)


@pytest.mark.browser
def test_chromium_shows_the_seed_thread_from_pywb_replay(
        captured: Captured, tmp_path: Path) -> None:
    check_latest_seed_thread(captured, tmp_path)


@pytest.mark.browser
def test_chromium_shows_the_page_a_304_revisit_refers_to(
        revisited: Captured, tmp_path: Path) -> None:
    need_browser_and_pywb()
    ((name, offset),) = captures(revisited.db, """
        SELECT warc_file, "offset" FROM captures WHERE run_id = 3 AND article_id = ?""",
        SEED_ARTICLE)
    with open(revisited.warc_dir / name, "rb") as stream:
        stream.seek(offset)
        revisit = next(iter(ArchiveIterator(stream))).rec_headers
    assert revisit.get_header("WARC-Type") == "revisit"
    # The whole archive's WACZ, which holds run 2's page (day 2's) the revisit names.
    wacz = make_wacz(revisited, tmp_path / "all.wacz")
    seed, expected = seed_on_day2()
    refers_to = revisit.get_header("WARC-Refers-To-Date")
    assert refers_to is not None
    timestamp = re.sub(r"\D", "", refers_to)[:14]
    check_replayed_thread(wacz, tmp_path / "pywb", truth_url(revisited.base_url, seed["url"]),
                          seed, expected, timestamp)


def index_lines(wacz: Path) -> list[dict[str, str]]:
    """The WACZ's replay index (ZipNum: gzip blocks of CDXJ lines), each line's JSON."""
    with zipfile.ZipFile(wacz) as package:
        text = gzip.decompress(package.read("indexes/index.cdx.gz")).decode("utf-8")
    return [json.loads(line.split(" ", 2)[2]) for line in text.splitlines()]


def test_the_wacz_index_leaves_out_304_revisits_that_the_warc_files_keep(
        revisited: Captured, tmp_path: Path) -> None:
    wacz = make_wacz(revisited, tmp_path / "all.wacz")
    assert validate(wacz).returncode == 0
    kept = [json.loads(line.split(" ", 2)[2]) for index in revisited.warc_dir.glob("*.cdxj")
            for line in index.read_text(encoding="utf-8").splitlines()]
    replayed = index_lines(wacz)
    revisits = [line for line in kept if line.get("mime") == "warc/revisit"]
    assert len(revisits) == len(captures(
        revisited.db, "SELECT 1 FROM captures WHERE record_type = 'revisit'")) > 0
    assert not [line for line in replayed if line.get("mime") == "warc/revisit"]
    # Every other record the WARC files' CDXJ names, the WACZ's index names too.
    assert sorted((line["filename"], line["offset"]) for line in replayed) == sorted(
        (line["filename"], line["offset"]) for line in kept if line.get("mime") != "warc/revisit")


@pytest.mark.browser
def test_chromium_shows_a_thread_whose_latest_capture_is_a_304(
        revisited: Captured, tmp_path: Path) -> None:
    # pywb 2.10 replays a 304 revisit as an empty 304; the WACZ's index leaves it out, so the
    # latest capture replayed is the page it confirmed.
    check_latest_seed_thread(revisited, tmp_path)


def test_wacz_refuses_a_file_that_is_not_an_archive(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    notes = tmp_path / "notes.db"
    notes.write_text("not a database\n", encoding="utf-8")
    (tmp_path / "notes.db.warc").mkdir()
    code = cli(["wacz", "--db", str(notes), "-o", str(tmp_path / "notes.wacz")])
    assert code == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        f"error: {notes} is not an SQLite database"]
    assert notes.read_text(encoding="utf-8") == "not a database\n"
