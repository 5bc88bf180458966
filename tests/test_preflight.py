"""A bad setting or a busy archive stops `scrapy crawl` before any request, with one line."""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlite_utils
from scrapy.settings import Settings

from archiver import settings as project_settings
from archiver.extensions.run_lock import RunLock
from archiver.preflight import ConfigError, check_settings
from spiders.ldv import LdvSpider
from testing.faults import FaultPlan
from testing.mirror import MirrorServer, serve
from tests.conftest import DAY1, run_crawl
from tests.fault_matrix import (
    PATHS,
    ROOT,
    Row,
    crawl_command,
    crawl_env,
    guarded,
    record_row,
)


@pytest.fixture(scope="module")
def quiet_mirror() -> Iterator[MirrorServer]:
    with serve(DAY1) as server:
        yield server


# (docs label, -a arguments, -s settings; "{tmp}" is the test's folder)
REFUSALS = [
    ("unknown mode", ["mode=fast"], {}),
    ("misspelt argument", ["mdoe=backfill"], {}),
    ("malformed base URL", [], {"ARCHIVER_BASE_URL": "htp:/www.libdemvoice.org"}),
    ("base URL with a path", [], {"ARCHIVER_BASE_URL": "https://www.libdemvoice.org/blog/"}),
    ("base URL with a bad port", [], {"ARCHIVER_BASE_URL": "http://127.0.0.1:99999"}),
    ("archive in a folder that does not exist", [], {"ARCHIVER_DB": "{tmp}/missing/a.db"}),
    ("archive path that is a folder", [], {"ARCHIVER_DB": "{tmp}"}),
    ("archive file that is not SQLite", [], {"ARCHIVER_DB": "{tmp}/notes.db"}),
    ("non-numeric day count", [], {"ARCHIVER_ACTIVE_DAYS": "fortnight"}),
    ("non-numeric busy timeout", [], {"ARCHIVER_BUSY_TIMEOUT": "long"}),
]


@pytest.mark.parametrize(("label", "args", "settings"), REFUSALS,
                         ids=[label for label, _, _ in REFUSALS])
def test_a_bad_setting_stops_the_run_before_any_request(
        label: str, args: list[str], settings: dict[str, str], tmp_path: Path,
        quiet_mirror: MirrorServer) -> None:
    notes = tmp_path / "notes.db"
    notes.write_text("shopping list\n", encoding="utf-8")
    values = {key: value.replace("{tmp}", str(tmp_path)) for key, value in settings.items()}
    base_url = values.pop("ARCHIVER_BASE_URL", quiet_mirror.base_url)
    db = Path(values.pop("ARCHIVER_DB", str(tmp_path / "archive.db")))
    before = sorted(p.name for p in tmp_path.iterdir())
    quiet_mirror.clear_log()

    result = run_crawl(base_url, db, *args, settings=guarded(values))

    lines = result.stderr.splitlines()
    assert result.returncode == 2, result.stderr[-2000:]
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    assert quiet_mirror.requests == []
    assert sorted(p.name for p in tmp_path.iterdir()) == before, "a file was created"
    assert notes.read_text(encoding="utf-8") == "shopping list\n"
    record_row(Row("preflight", REFUSALS.index((label, args, settings)), f"bad setting: {label}",
                   "`scrapy crawl ldv` " + " ".join([*(f"-a {a}" for a in args),
                                                     *(f"-s {k}=…" for k in settings)]),
                   f"exit {result.returncode}, one line: `{plain_line(lines[0], tmp_path)}`; "
                   "no request sent, no file created"))


def plain_line(line: str, tmp_path: Path) -> str:
    return re.sub(r"pid \d+", "pid N", line.replace(str(tmp_path), "…"))


def test_a_held_lock_stops_the_second_run(tmp_path: Path, quiet_mirror: MirrorServer) -> None:
    db = tmp_path / "archive.db"
    lock = RunLock(str(db))
    lock.acquire()
    try:
        quiet_mirror.clear_log()
        result = run_crawl(quiet_mirror.base_url, db, settings=guarded())
    finally:
        lock.release()
    lines = result.stderr.splitlines()
    assert result.returncode == 3
    assert len(lines) == 1 and lines[0].startswith("error: ") and "in use" in lines[0]
    assert quiet_mirror.requests == []
    assert not db.exists()


def test_a_second_crawl_while_one_runs_exits_3_and_writes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    slow = {path: {"kind": "slow", "seconds": 0.5} for path in PATHS.values()}
    with serve(DAY1, faults=FaultPlan.from_config(slow)) as server:
        first = subprocess.Popen(
            # HTML only: the REST probe's own fetch of "/" would start the wait too early, and
            # the first run's later sitemap robots.txt would look like the second run's.
            crawl_command(server.base_url, db, settings=guarded(
                {"CONCURRENT_REQUESTS_PER_DOMAIN": "1", "ARCHIVER_SOURCE": "html"})),
            env=crawl_env(), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            text=True)
        try:
            deadline = time.monotonic() + 30
            while not any(r.path in slow for r in server.requests):
                assert time.monotonic() < deadline and first.poll() is None
                time.sleep(0.05)
            before = len(server.requests)
            second = run_crawl(server.base_url, db, "mode=backfill", settings=guarded())
            during = [r for r in server.requests[before:] if r.path not in slow]
        finally:
            _, first_err = first.communicate(timeout=120)
    lines = second.stderr.splitlines()
    assert second.returncode == 3, second.stderr[-2000:]
    assert len(lines) == 1 and lines[0].startswith("error: archive ") and "in use" in lines[0]
    assert first.returncode == 0, first_err[-2000:]
    # The first run's requests go on; the second sent none of its own (no robots.txt, no /).
    # robots.txt: the first run asks twice (the robots middleware, then for the sitemap), and
    # the second, which would make it three, never.
    assert not [r.path for r in during if r.path == "/"]
    assert [r.path for r in server.requests].count("/robots.txt") == 2
    runs = list(sqlite_utils.Database(db)["crawl_runs"].rows)
    assert [(r["run_id"], r["status"]) for r in runs] == [(1, "ok")]
    record_row(Row("preflight", 50, "a second crawl while one runs", "same ARCHIVER_DB",
                   f"exit {second.returncode}, one line: `{plain_line(lines[0], tmp_path)}`; "
                   "no request, nothing written; the first run finishes normally"))


# --- the checks themselves, without a crawl ------------------------------------------------

def settings(**values: object) -> Settings:
    base = Settings()
    base.setmodule(project_settings)
    LdvSpider.update_settings(base)  # as `scrapy crawl ldv` checks them: its profile applied
    base.setdict(values, priority="cmdline")
    return base


@pytest.mark.parametrize("base_url", [
    "https://www.libdemvoice.org", "https://www.libdemvoice.org/", "http://127.0.0.1:8000",
    "http://[::1]:8000", "http://localhost",
])
def test_site_roots_are_accepted(base_url: str, tmp_path: Path) -> None:
    check_settings(settings(ARCHIVER_BASE_URL=base_url, ARCHIVER_DB=str(tmp_path / "a.db")),
                   {})


@pytest.mark.parametrize(("values", "args", "message"), [
    ({"ARCHIVER_BASE_URL": "www.libdemvoice.org"}, {}, "not a site root"),
    ({"ARCHIVER_BASE_URL": "https://user:pw@www.libdemvoice.org"}, {}, "host name"),
    ({"ARCHIVER_BASE_URL": "https://www.libdemvoice.org/?p=1"}, {}, "without a path"),
    ({"ARCHIVER_BASE_URL": "https://www.libdemvoice.org/#top"}, {}, "without a path"),
    ({"ARCHIVER_ALIAS_HOSTS": ["https://libdemvoice.org/"]}, {}, "bare host name"),
    ({}, {"urls": "x", "mod": "y"}, "-a mod="),
    ({"ARCHIVER_AUDIT_PER_RUN": "-1"}, {}, "must not be negative"),
    ({"ARCHIVER_AUDIT_CYCLE_RUNS": "0"}, {}, "at least 1"),
    ({"ARCHIVER_AUDIT_CYCLE_RUNS": "1.5"}, {}, "must be a whole number"),
    ({"ARCHIVER_BUSY_TIMEOUT": "-5"}, {}, "must not be negative"),
    ({"ARCHIVER_EXPORTS_DIR": "exports", "ARCHIVER_EXPORTS_KEEP": "0"}, {}, "at least 1"),
])
def test_bad_values_are_refused_with_a_reason(values: dict[str, object], args: dict[str, str],
                                              message: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=message.replace("?", r"\?")) as refused:
        check_settings(settings(**{"ARCHIVER_DB": str(tmp_path / "a.db"), **values}), args)
    assert "\n" not in str(refused.value)
