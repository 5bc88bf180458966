"""The fault matrix: real crawls of a misbehaving mirror, then fault-free runs that heal them."""

from __future__ import annotations

import ast
import re
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from archiver.db.connection import open_database
from archiver.db.store import Store
from archiver.extensions.ledger import EXIT_CODES
from archiver.failures import FAILURE_URL_META, Refused, describe, failure_url
from archiver.items import Article, Comment, Thread
from archiver.middlewares.cut_short import html_is_whole
from archiver.middlewares.encoding import actual_encoding
from archiver.middlewares.redirect_guard import RedirectGuard
from testing.faults import FaultPlan
from testing.hooks import FAIL_ARTICLE_ENV, LoopbackOnly
from testing.mirror import LoggedRequest, MirrorServer, serve
from tests.conftest import CrawlResult, run_crawl
from tests.fault_matrix import (
    CASES,
    DAY1,
    DOCS,
    FIRST_RUN,
    HOSTILE_AUTHOR,
    HOSTILE_BODY,
    IMPOSSIBLE_DATETIMES,
    IMPOSSIBLE_HEADER_DATES,
    PATHS,
    RE_READ,
    RETRIES,
    ROOT,
    Case,
    Row,
    archive_problems,
    connect,
    crawl_command,
    crawl_env,
    guarded,
    integrity,
    multipage_rules,
    plan,
    record_row,
    thread_problems,
    truth,
)


@dataclass
class Run:
    """One crawl of a scenario, with the mirror's log of it and the archive just after it."""

    result: CrawlResult
    log: list[LoggedRequest]
    run_id: int
    snapshot: Path

    def tries(self, path: str) -> int:
        return sum(1 for r in self.log if r.path.split("?")[0] == path)


@dataclass
class Scenario:
    base_url: str
    db: Path
    runs: dict[str, Run] = field(default_factory=dict)


def crawl(server: MirrorServer, db: Path, name: str, scenario: Scenario, *args: str,
          settings: dict[str, str] | None = None) -> Run:
    server.clear_log()
    result = run_crawl(server.base_url, db, *args, settings=guarded({**RETRIES,
                                                                     **(settings or {})}))
    snapshot = db.with_name(f"after-{name}.db")
    with sqlite3.connect(db) as source, sqlite3.connect(snapshot) as copy:
        source.backup(copy)
        run_id, status = source.execute(
            "SELECT run_id, status FROM crawl_runs ORDER BY run_id DESC LIMIT 1").fetchone()
    # The run finished (ok, or partial when a fault cost pages), and its exit code says which.
    assert status in ("ok", "partial"), result.stderr[-3000:]
    assert result.returncode == EXIT_CODES[status], result.stderr[-3000:]
    run = Run(result, server.requests, run_id, snapshot)
    scenario.runs[name] = run
    return run


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    """An empty archive's first run meets every first-run fault; then a fault-free run."""
    db = tmp_path_factory.mktemp("first-run") / "archive.db"
    with serve(DAY1, faults=FaultPlan.from_config(plan(FIRST_RUN))) as server:
        scenario = Scenario(server.base_url, db)
        crawl(server, db, "faulty", scenario)
        server.set_faults(None)
        # No audit: a healed page must come back through the retry of failures (or as new).
        crawl(server, db, "heal", scenario, settings={"ARCHIVER_AUDIT_PER_RUN": "0"})
        yield scenario


@pytest.fixture(scope="module")
def re_read(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    """An archive holding day 1 re-reads every thread from a faulty site, then heals."""
    db = tmp_path_factory.mktemp("re-read") / "archive.db"
    with serve(DAY1) as server:
        scenario = Scenario(server.base_url, db)
        crawl(server, db, "baseline", scenario)
        server.set_faults(FaultPlan.from_config(plan(RE_READ)))
        crawl(server, db, "faulty", scenario, "mode=backfill")
        # The healed site keeps the split thread, now with both pages answering.
        server.set_faults(FaultPlan.from_config(multipage_rules(46523, page2=None)))
        # First heal: no audit, so only the retry of unresolved failures re-reads old threads.
        crawl(server, db, "heal", scenario, settings={"ARCHIVER_AUDIT_PER_RUN": "0"})
        # Then a scheduled run with the audit sweep, which re-reads every thread.
        crawl(server, db, "audit", scenario)
        yield scenario


def scenario_for(case: Case, request: pytest.FixtureRequest) -> Scenario:
    fixture = "first_run" if case.scenario == FIRST_RUN else "re_read"
    scenario: Scenario = request.getfixturevalue(fixture)
    return scenario


# --- observing one case ---------------------------------------------------------------------

def failure_rows(db: Path, url: str, run_id: int) -> list[sqlite3.Row]:
    with connect(db) as conn:
        return conn.execute("SELECT * FROM failures WHERE url = ? AND run_id = ? "
                            "ORDER BY failure_id", [url, run_id]).fetchall()


def live_comments(db: Path, post_id: int) -> int:
    with connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM comments WHERE article_id = ? AND "
                                "removed_at IS NULL", [post_id]).fetchone()[0])


def problems_in(db: Path, base_url: str, post_id: int) -> list[str]:
    with connect(db) as conn:
        return thread_problems(conn, post_id, truth()[post_id], base_url)


def plain(text: str, base_url: str) -> str:
    return text.replace(base_url, "")


def recorded(row: sqlite3.Row, base_url: str) -> str:
    status = row["http_status"] if row["http_status"] is not None else "—"
    return f"{plain(row['reason'], base_url)} · {status} · {row['attempts']}"


def check_recovers(case: Case, scenario: Scenario) -> Row:
    faulty = scenario.runs["faulty"]
    url = scenario.base_url + case.path
    assert faulty.tries(case.path) == case.tries, faulty.log
    assert failure_rows(faulty.snapshot, url, faulty.run_id) == []
    if case.post_id is not None:
        assert problems_in(faulty.snapshot, scenario.base_url, case.post_id) == []
    comments = live_comments(faulty.snapshot, case.post_id) if case.post_id else 0
    if case.rules()[case.path]["kind"] == "redirect":
        did = (f"followed it on the site ({faulty.tries(case.path)} requests); thread stored "
               f"whole under its canonical URL ({comments} comments)")
    else:
        did = (f"retried; answered on try {faulty.tries(case.path)}; thread stored whole "
               f"({comments} comments)")
    return Row(case.scenario, 0, case.fault, case.where, did)


def check_fails(case: Case, scenario: Scenario) -> Row:
    faulty = scenario.runs["faulty"]
    url = scenario.base_url + case.path
    rows = failure_rows(faulty.snapshot, url, faulty.run_id)
    assert rows, f"{case.name}: no failure recorded for {url}"
    row = rows[-1]
    assert case.reason is not None
    assert re.search(case.reason, plain(row["reason"], scenario.base_url)), row["reason"]
    assert row["resolved_at"] is None
    if case.post_id is None:
        did = f"gave up after {row['attempts']} attempt(s); the run went on"
    elif case.scenario == FIRST_RUN:
        with connect(faulty.snapshot) as conn:
            stored = conn.execute("SELECT count(*) FROM articles WHERE article_id = ?",
                                  [case.post_id]).fetchone()[0]
        assert stored == 0, f"{case.name}: a failed article was stored"
        did = f"gave up after {row['attempts']} attempt(s); nothing of the thread stored"
    else:
        # The copy stored before is untouched: nothing lost, nothing marked removed.
        before = live_comments(scenario.runs["baseline"].snapshot, case.post_id)
        assert live_comments(faulty.snapshot, case.post_id) == before
        if case.name != "comment-id-on-two-articles":
            assert problems_in(faulty.snapshot, scenario.base_url, case.post_id) == []
        did = (f"gave up after {row['attempts']} attempt(s); the stored thread kept "
               f"({before} comments, none marked removed)")
        if case.name == "comment-id-on-two-articles":
            did = ("stored the thread without that comment, which stays on 47108; "
                   "the clash is recorded")
    return Row(case.scenario, 0, case.fault, case.where, did, recorded(row, scenario.base_url),
               healed(case, scenario, url))


def healed(case: Case, scenario: Scenario, url: str) -> str:
    heal = scenario.runs["heal"]
    with connect(heal.snapshot) as conn:
        open_rows = conn.execute("SELECT count(*) FROM failures WHERE url = ? AND "
                                 "resolved_at IS NULL", [url]).fetchone()[0]
        resolved_by = conn.execute("SELECT max(resolved_in_run_id) FROM failures WHERE "
                                   "url = ?", [url]).fetchone()[0]
    assert open_rows == 0, f"{case.name}: failure still open after a fault-free run"
    assert resolved_by == heal.run_id
    if case.post_id is not None:
        assert problems_in(heal.snapshot, scenario.base_url, case.post_id) == []
    how = "re-read and stored whole" if case.post_id else "read"
    return f"{how}; failure resolved"


def check_stored(case: Case, scenario: Scenario) -> Row:
    faulty = scenario.runs["faulty"]
    assert case.post_id is not None
    assert problems_in(faulty.snapshot, scenario.base_url, case.post_id) == []
    assert failure_rows(faulty.snapshot, scenario.base_url + case.path, faulty.run_id) == []
    assert "reading them as" in faulty.result.stderr
    with connect(faulty.snapshot) as conn:
        bad = conn.execute("SELECT count(*) FROM comments WHERE article_id = ? AND "
                           "(body LIKE '%' || char(65533) || '%' OR body LIKE '%â€%')",
                           [case.post_id]).fetchone()[0]
    assert bad == 0
    return Row(case.scenario, 0, case.fault, case.where,
               "re-decoded from the bytes' real charset; thread stored equal to the truth "
               f"({live_comments(faulty.snapshot, case.post_id)} comments, no U+FFFD)")


# Content faults: each returns what the archiver did, asserting it on the way.
def kept_no_comments_block(case: Case, scenario: Scenario) -> str:
    faulty = scenario.runs["faulty"]
    assert live_comments(faulty.snapshot, 47108) == 38
    with connect(faulty.snapshot) as conn:
        run = conn.execute("SELECT * FROM crawl_runs WHERE run_id = ?",
                           [faulty.run_id]).fetchone()
        events = conn.execute("SELECT count(*) FROM comment_events WHERE article_id = 47108 "
                              "AND run_id = ?", [faulty.run_id]).fetchone()[0]
    assert run["comments_removed"] == 0 and events == 0
    return "stored the article; its 38 comments kept, none marked removed"


def kept_dates(case: Case, scenario: Scenario, post_id: int, raw: tuple[str, ...],
               datetimes: bool) -> str:
    faulty = scenario.runs["faulty"]
    with connect(faulty.snapshot) as conn:
        rows = conn.execute("SELECT * FROM comments WHERE article_id = ? ORDER BY position",
                            [post_id]).fetchall()
        warnings = conn.execute("SELECT date_warnings FROM crawl_runs WHERE run_id = ?",
                                [faulty.run_id]).fetchone()[0]
    wanted = [c["comment_id"] for c in truth()[post_id]["comments"]]
    assert [r["comment_id"] for r in rows] == wanted
    assert all(r["removed_at"] is None for r in rows)
    if datetimes:
        # The header text is still readable, so the time falls back to it.
        assert problems_in(faulty.snapshot, scenario.base_url, post_id) == []
        return (f"kept all {len(rows)} comments; unusable `datetime` values fell back to the "
                f"header text, so times stay right ({warnings} date warnings in the run)")
    unreadable = [r for r in rows if r["posted_raw"] in raw]
    assert len(unreadable) == len(raw)
    assert all(r["posted_at"] is None and r["posted_at_utc"] is None for r in unreadable)
    assert warnings >= len(raw)
    return (f"kept all {len(rows)} comments; the {len(raw)} unreadable dates stored as text "
            f"(`posted_raw`) with `posted_at` null; counted as date warnings")


def kept_hostile(case: Case, scenario: Scenario) -> str:
    faulty = scenario.runs["faulty"]
    with connect(faulty.snapshot) as conn:
        row = conn.execute("SELECT * FROM comments WHERE comment_id = 999001").fetchone()
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        hits = conn.execute("SELECT count(*) FROM comments_fts WHERE comments_fts MATCH ?",
                            ['"DROP TABLE"']).fetchone()[0]
    assert row["author"] == HOSTILE_AUTHOR
    assert row["body"] == HOSTILE_BODY
    assert {"comments", "articles", "failures"} <= tables and hits == 1
    return "stored author and text verbatim (all SQL is parameterised); no table touched"


def kept_off_site(case: Case, scenario: Scenario) -> str:
    faulty = scenario.runs["faulty"]
    assert not any("/wp-admin/" in r.path for r in faulty.log)
    assert "netguard:" not in faulty.result.stderr
    with connect(faulty.snapshot) as conn:
        foreign = conn.execute("SELECT count(*) FROM articles WHERE article_id IN (998, 999) "
                               "OR url NOT LIKE ?", [scenario.base_url + "/%"]).fetchone()[0]
    assert foreign == 0
    return ("followed none of them: no request left 127.0.0.1's mirror, none reached "
            "/wp-admin/, nothing stored from them")


def kept_sitemap(case: Case, scenario: Scenario) -> tuple[str, str]:
    faulty = scenario.runs["faulty"]
    assert not any("/wp-admin/" in r.path for r in faulty.log)
    assert "netguard:" not in faulty.result.stderr
    url = scenario.base_url + "/wp-admin/secret-sitemap.xml"
    rows = failure_rows(faulty.snapshot, url, faulty.run_id)
    assert rows and "robots.txt" in rows[0]["reason"]
    return ("requested neither: robots.txt forbids the one, the other is off the site; "
            "the mirror's log has no /wp-admin/ request", recorded(rows[0], scenario.base_url)
            + " (stays open: a disallowed URL is never fetched)")


def check_kept(case: Case, scenario: Scenario) -> Row:
    recorded_text = ""
    did: str
    if case.name == "no-comments-block":
        did = kept_no_comments_block(case, scenario)
    elif case.name == "impossible-header-dates":
        did = kept_dates(case, scenario, 54150, IMPOSSIBLE_HEADER_DATES, datetimes=False)
    elif case.name == "impossible-datetimes":
        did = kept_dates(case, scenario, 69228, IMPOSSIBLE_DATETIMES, datetimes=True)
    elif case.name == "hostile-text":
        did = kept_hostile(case, scenario)
    elif case.name == "links-off-site":
        did = kept_off_site(case, scenario)
    elif case.name == "sitemap-forbidden-entries":
        did, recorded_text = kept_sitemap(case, scenario)
    else:
        raise AssertionError(f"no check for {case.name}")
    next_run = "re-read by the audit; equal to the truth again"
    if case.post_id is not None:
        assert problems_in(scenario.runs["audit"].snapshot, scenario.base_url,
                           case.post_id) == []
    else:
        next_run = ""
    return Row(case.scenario, 0, case.fault, case.where, did, recorded_text, next_run)


CHECKS: dict[str, Callable[[Case, Scenario], Row]] = {
    "recovers": check_recovers, "fails": check_fails, "stored": check_stored,
    "kept": check_kept,
}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_fault(case: Case, request: pytest.FixtureRequest) -> None:
    scenario = scenario_for(case, request)
    row = CHECKS[case.outcome](case, scenario)
    record_row(Row(row.section, CASES.index(case), row.fault, row.where, row.did,
                   row.recorded, row.next_run))


# --- whole runs -----------------------------------------------------------------------------

def ledger(db: Path, run_id: int) -> dict[str, Any]:
    with connect(db) as conn:
        return dict(conn.execute("SELECT * FROM crawl_runs WHERE run_id = ?",
                                 [run_id]).fetchone())


@pytest.mark.parametrize("fixture", ["first_run", "re_read"])
def test_a_faulty_run_completes_and_counts_its_failures(fixture: str,
                                                        request: pytest.FixtureRequest) -> None:
    scenario: Scenario = request.getfixturevalue(fixture)
    faulty = scenario.runs["faulty"]
    run = ledger(faulty.snapshot, faulty.run_id)
    assert (run["status"], run["finish_reason"]) == ("partial", "finished")
    with connect(faulty.snapshot) as conn:
        failures = conn.execute("SELECT count(*) FROM failures WHERE run_id = ?",
                                [faulty.run_id]).fetchone()[0]
        removed = conn.execute("SELECT count(*) FROM comments WHERE removed_at IS NOT NULL "
                               "AND article_id != 22478").fetchone()[0]
    assert run["errors"] == failures > 0
    assert removed == 0, "a bad page marked comments removed"
    assert f"{failures} failures" in faulty.result.stderr
    assert integrity(faulty.snapshot) == "ok"
    assert "netguard:" not in faulty.result.stderr
    assert "Traceback" not in faulty.result.stderr


@pytest.mark.parametrize("fixture", ["first_run", "re_read"])
def test_healthy_threads_match_the_truth_despite_the_faults(
        fixture: str, request: pytest.FixtureRequest) -> None:
    scenario: Scenario = request.getfixturevalue(fixture)
    faulty = scenario.runs["faulty"]
    touched = {c.post_id for c in CASES if c.scenario == scenario_name(fixture)
               and c.outcome in ("fails", "kept")}
    with connect(faulty.snapshot) as conn:
        for post_id, want in truth().items():
            if post_id not in touched:
                assert thread_problems(conn, post_id, want, scenario.base_url) == []


def scenario_name(fixture: str) -> str:
    return FIRST_RUN if fixture == "first_run" else RE_READ


@pytest.mark.parametrize("fixture", ["first_run", "re_read"])
def test_a_fault_free_run_heals_everything(fixture: str, request: pytest.FixtureRequest) -> None:
    scenario: Scenario = request.getfixturevalue(fixture)
    final = scenario.runs["audit" if fixture == "re_read" else "heal"]
    assert archive_problems(final.snapshot, scenario.base_url) == []
    assert integrity(final.snapshot) == "ok"
    with connect(final.snapshot) as conn:
        still_open = [r["url"] for r in conn.execute(
            "SELECT url FROM failures WHERE resolved_at IS NULL")]
        duplicates = conn.execute("SELECT count(*) FROM (SELECT article_id, author, posted_raw, "
                                  "body FROM comments WHERE removed_at IS NULL GROUP BY 1, 2, 3, "
                                  "4 HAVING count(*) > 1)").fetchone()[0]
    # Only a URL robots.txt forbids stays open: the archiver never fetches it.
    assert [u for u in still_open if "/wp-admin/" not in u] == []
    assert duplicates == 0
    heal = scenario.runs["heal"]
    assert ledger(heal.snapshot, heal.run_id)["status"] == "ok"


def test_the_heal_run_retries_only_what_failed(re_read: Scenario) -> None:
    """With no audit, an incremental run re-reads old threads only because they failed."""
    heal = re_read.runs["heal"]
    fetched = {r.path for r in heal.log if r.path.endswith(".html")}
    failed = {PATHS[c.post_id] for c in CASES if c.scenario == RE_READ and c.outcome == "fails"
              and c.post_id is not None}
    assert fetched == failed
    assert "archiver/fetch_reason/failed before" in heal.result.stderr


def test_a_failure_on_an_active_thread_is_resolved_by_a_304(tmp_path: Path) -> None:
    """Active threads are re-read conditionally; `304 Not Modified` also clears a failure."""
    db = tmp_path / "archive.db"
    active = {"ARCHIVER_ACTIVE_DAYS": "100000", "ARCHIVER_AUDIT_PER_RUN": "0"}
    with serve(DAY1) as server:
        scenario = Scenario(server.base_url, db)
        crawl(server, db, "baseline", scenario, settings=active)
        server.set_faults(FaultPlan.from_config({PATHS[50637]: {"kind": "status",
                                                                "status": 503}}))
        failed = crawl(server, db, "faulty", scenario, settings=active)
        server.set_faults(None)
        heal = crawl(server, db, "heal", scenario, settings=active)
    url = server.base_url + PATHS[50637]
    assert len(failure_rows(failed.snapshot, url, failed.run_id)) == 1
    assert [r.status for r in heal.log if r.path == PATHS[50637]] == [304]
    with connect(heal.snapshot) as conn:
        row = conn.execute("SELECT * FROM failures WHERE url = ?", [url]).fetchone()
    assert row["resolved_in_run_id"] == heal.run_id
    first = failure_rows(failed.snapshot, url, failed.run_id)[0]
    record_row(Row("re-read", 100, "HTTP 503 on an active thread (re-read conditionally)",
                   "article 50637",
                   f"gave up after {first['attempts']} attempt(s); the stored thread kept",
                   recorded(first, server.base_url),
                   "`304 Not Modified`; failure resolved without re-parsing"))


# --- bounds and security --------------------------------------------------------------------

def test_robots_txt_disallow_is_obeyed_and_no_request_leaves_the_site(re_read: Scenario) -> None:
    for name, run in re_read.runs.items():
        assert not [r.path for r in run.log if r.path.startswith("/wp-admin/")], name
        assert "netguard:" not in run.result.stderr, name
        assert "robotstxt/request_count" in run.result.stderr
    record_row(Row("bounds", 1, "links, redirects and sitemap entries to example.invalid, "
                   "127.0.0.2 and /wp-admin/", "home page, article 54102, /wp-sitemap.xml",
                   "no request for another host was attempted (a guard in the tests refuses "
                   "and logs any); no request for /wp-admin/ reached the mirror"))


def test_the_network_guard_refuses_every_host_but_127_0_0_1() -> None:
    """The guard every crawl in these tests runs with (see `guarded`)."""
    guard = LoopbackOnly()
    guard.process_request(Request("http://127.0.0.1:8000/x-1.html"))
    for url in ("http://example.invalid/", "http://127.0.0.2:9/x-1.html",
                "https://www.libdemvoice.org/x-1.html", "http://[::1]/"):
        with pytest.raises(IgnoreRequest, match="netguard"):
            guard.process_request(Request(url))


def test_huge_responses_are_capped_by_download_maxsize(first_run: Scenario) -> None:
    faulty = first_run.runs["faulty"]
    assert "'downloader/response_bytes'" in faulty.result.stderr
    received = int(re.search(r"'downloader/response_bytes': (\d+)",
                             faulty.result.stderr)[1])  # type: ignore[index]
    assert received < 8 * 1024 * 1024
    record_row(Row("bounds", 2, "a 20 MB page", "article 30956",
                   f"cancelled at the Content-Length check: the whole run received {received} "
                   "bytes (DOWNLOAD_MAXSIZE 8 MiB)", "", ""))


SQL_CALLS = {"execute", "executescript", "executemany", "query"}
# Statements built with interpolation, and why each is safe: only placeholders or an int.
SAFE_INTERPOLATION = {
    ("archiver/db/queries.py", "comments_by_id"),   # "?,?,…" placeholders only
    ("archiver/db/connection.py", "open_database"), # PRAGMA busy_timeout = int(...)
    ("archiver/db/connection.py", "open_reader"),   # PRAGMA busy_timeout = int(...)
    ("archiver/db/connection.py", "stamp"),         # PRAGMA application_id/user_version = int
    ("archiver/db/schema.py", "m003_search_in_batches"),         # fixed table/column names
    ("archiver/db/search.py", "index_pending_search"),           # fixed table/column names
    ("archiver/export/jsonl.py", "_write_table"),   # identifiers quoted by _quote
    ("archiver/db/replies.py", "write_reply_edges"),  # fixed column names, "?" placeholders
    ("archiver/db/schema.py", "m009_reading_tables"),  # fixed table/column names
    ("archiver/warc/diff.py", "standing"),          # fixed column names, "?,?,…" placeholders
}


def interpolated_sql() -> list[tuple[str, str, int]]:
    """(file, function, line) of every SQL call whose statement is built by interpolation."""
    found = []
    for path in sorted([*ROOT.glob("archiver/**/*.py"), *ROOT.glob("spiders/**/*.py")]):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for func in ast.walk(tree):
            if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(func):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                        and node.func.attr in SQL_CALLS and node.args
                        and _built(node.args[0])):
                    found.append((path.relative_to(ROOT).as_posix(), func.name, node.lineno))
    return found


def _built(arg: ast.expr) -> bool:
    return (isinstance(arg, ast.JoinedStr) and any(isinstance(v, ast.FormattedValue)
                                                   for v in arg.values)) or (
        isinstance(arg, ast.BinOp) and isinstance(arg.op, ast.Mod | ast.Add)) or (
        isinstance(arg, ast.Call) and isinstance(arg.func, ast.Attribute)
        and arg.func.attr == "format")


def test_all_sql_is_parameterised() -> None:
    found = interpolated_sql()
    unsafe = [(file, func, line) for file, func, line in found
              if (file, func) not in SAFE_INTERPOLATION]
    assert unsafe == [], "SQL built by string interpolation; use ? placeholders"
    assert {(file, func) for file, func, _ in found} == SAFE_INTERPOLATION, "stale allow-list"
    record_row(Row("bounds", 3, "SQL injection", "every SQL call in archiver/ and spiders/",
                   "values always go through `?` placeholders (checked on the source); a "
                   "comment whose author and body are SQL is stored verbatim", "", ""))


def test_fault_docs_list_every_case() -> None:
    """docs/faults.md is regenerated from these tests; a new case must show up there."""
    text = DOCS.read_text(encoding="utf-8")
    missing = [c.fault for c in CASES if c.fault.replace("|", "\\|") not in text]
    assert missing == [], "run `python -m tests.fault_matrix --write-docs`"


# --- the pieces, without a crawl ------------------------------------------------------------

# Curly quotes, a dash, a pound sign and an apostrophe: all in cp1252, all multi-byte UTF-8.
PAGE = ("<html><head><meta charset='utf-8'></head><body><p>\u201cQuoted\u201d \u2014 "
        "\u00a35 \u2019tis</p></body></html>")


@pytest.mark.parametrize(("body", "claimed", "actual"), [
    (PAGE.encode("utf-8"), "utf-8", None),
    (PAGE.encode("cp1252"), "utf-8", "cp1252"),
    (PAGE.encode("utf-8"), "cp1252", "utf-8"),
    (PAGE.encode("utf-8"), "iso-8859-1", "utf-8"),
    (PAGE.encode("cp1252"), "cp1252", None),
    (b"<html>plain ASCII</html>", "utf-8", None),
    (b"<html>plain ASCII</html>", "cp1252", None),
    # A UTF-8 page with a little damage is still UTF-8: re-reading it would garble the rest.
    (PAGE.encode("utf-8") * 3 + b"\x92", "utf-8", None),
    # Bytes no charset explains are left to fail as a page.
    (b"\x81\x8d\x8f\x90\x9d" * 20, "utf-8", None),
])
def test_actual_encoding(body: bytes, claimed: str, actual: str | None) -> None:
    assert actual_encoding(body, claimed) == actual


@pytest.mark.parametrize(("body", "whole"), [
    (b"<!DOCTYPE html><html><body>x</body></html>\n", True),
    (b"<html><body>x</body></html>\n<!-- Page cached by WP Super Cache -->\n", True),
    (b"<HTML><BODY>x</BODY></HTML >", True),
    (b"<!DOCTYPE html><html><body><ol><li>half a thread", False),
    (b"<html><body>x</body></html><li id=\"comment-", False),
    (b"\x8b\x00random bytes", True),  # no HTML document at all: the page functions refuse it
])
def test_html_is_whole(body: bytes, whole: bool) -> None:
    assert html_is_whole(body) is whole


def redirect(status: int, location: str, url: str = "http://127.0.0.1:8000/a-1.html",
             chain: tuple[str, ...] = ()) -> tuple[Request, HtmlResponse]:
    request = Request(url, meta={"redirect_urls": list(chain)} if chain else {})
    response = HtmlResponse(url, status=status, headers={"Location": location}, body=b"",
                            request=request)
    return request, response


@pytest.mark.parametrize(("location", "chain", "refused"), [
    ("/a-1.html?moved=1", (), None),
    ("http://127.0.0.1:8000/b-2.html", (), None),
    ("http://example.invalid/a-1.html", (), "another site"),
    ("http://127.0.0.2:8000/a-1.html", (), "another site"),
    ("http://127.0.0.1:9999/a-1.html", (), "another site"),
    ("http://ldv-alias.invalid:8000/a-1.html", (), "an alias of this site"),
    ("/a-1.html#comments", (), "redirect loop"),
    ("/a-1.html/", ("http://127.0.0.1:8000/a-1.html/",), "redirect loop"),
])
def test_redirect_guard(location: str, chain: tuple[str, ...], refused: str | None) -> None:
    crawler = get_crawler(settings_dict={"ARCHIVER_BASE_URL": "http://127.0.0.1:8000",
                                         "ARCHIVER_ALIAS_HOSTS": ["ldv-alias.invalid"]})
    guard = RedirectGuard.from_crawler(crawler)
    request, response = redirect(301, location, chain=chain)
    if refused is None:
        assert guard.process_response(request, response) is response
    else:
        with pytest.raises(Refused, match=refused) as error:
            guard.process_response(request, response)
        assert describe(error.value)[1] == 301


def test_redirect_guard_refuses_a_page_already_asked_for() -> None:
    crawler = get_crawler(settings_dict={"ARCHIVER_BASE_URL": "http://127.0.0.1:8000"})
    guard = RedirectGuard.from_crawler(crawler)
    guard.request_scheduled(Request("http://127.0.0.1:8000/b-2.html#comments"))
    request, response = redirect(302, "/b-2.html")
    with pytest.raises(Refused, match="already asked for"):
        guard.process_response(request, response)


def test_a_redirect_to_a_thread_already_read_is_recorded(tmp_path: Path) -> None:
    """Scrapy's duplicate filter would drop the redirected request, and the thread, silently."""
    db = tmp_path / "archive.db"
    moved = {PATHS[47108]: {"kind": "redirect", "to": PATHS[54150]}}
    with serve(DAY1, faults=FaultPlan.from_config(moved)) as server:
        scenario = Scenario(server.base_url, db)
        run = crawl(server, db, "faulty", scenario)
        server.set_faults(None)
        heal = crawl(server, db, "heal", scenario)
    url = server.base_url + PATHS[47108]
    rows = failure_rows(run.snapshot, url, run.run_id)
    assert len(rows) == 1 and "already asked for" in rows[0]["reason"]
    assert archive_problems(heal.snapshot, server.base_url) == []
    record_row(Row(FIRST_RUN, 50, "HTTP 301 to another article this run also reads",
                   "article 47108 → 54150", "refused to read 54150 twice; 47108 not stored",
                   recorded(rows[0], server.base_url), "re-read and stored whole; failure "
                   "resolved"))


def test_a_thread_the_store_cannot_write_is_recorded_and_retried(tmp_path: Path) -> None:
    """An error in a pipeline loses the thread for this run only: it is a failure row."""
    db = tmp_path / "archive.db"
    with serve(DAY1) as server:
        command = crawl_command(server.base_url, db,
                                settings=guarded(RETRIES, hooks=True))
        failing = subprocess.run(command, cwd=ROOT, env=crawl_env(**{FAIL_ARTICLE_ENV: "47108"}),
                                 capture_output=True, text=True, timeout=120, check=False)
        assert failing.returncode == EXIT_CODES["partial"], failing.stderr[-2000:]
        with connect(db) as conn:
            rows = conn.execute("SELECT * FROM failures").fetchall()
            run = conn.execute("SELECT * FROM crawl_runs").fetchone()
        heal = run_crawl(server.base_url, db, settings=guarded(RETRIES))
    assert heal.returncode == 0
    assert [r["url"] for r in rows] == [server.base_url + PATHS[47108]]
    assert rows[0]["reason"] == "not stored: OperationalError: database is locked"
    assert (run["status"], run["errors"]) == ("partial", 1)
    assert archive_problems(db, server.base_url) == []
    record_row(Row(FIRST_RUN, 60, "the store fails on one thread (database locked)",
                   "article 47108", "rolled the thread's transaction back; the run went on",
                   recorded(rows[0], server.base_url), "re-read and stored whole; failure "
                   "resolved"))


def test_failures_are_filed_under_the_url_the_spider_asked_for() -> None:
    article = "http://127.0.0.1:8000/a-1.html"
    page2 = Request(f"{article}/comment-page-2/", meta={FAILURE_URL_META: article})
    assert failure_url(page2) == article
    moved = Request("http://127.0.0.1:8000/b-2.html", meta={"redirect_urls": [article]})
    assert failure_url(moved) == article


@pytest.mark.parametrize(("shown", "heading", "removed"), [
    (2, 3, 0),      # the page shows fewer comments than its own heading: proves nothing
    (0, None, 0),   # no comments and no heading: comments closed, or a broken theme
    (2, None, 1),   # a list without a heading: what it lacks is gone
    (2, 2, 1),      # heading and list agree: the third comment was removed
    (0, 0, 3),      # "No Comments": every one was removed
])
def test_only_a_page_that_proves_absence_marks_comments_removed(
        shown: int, heading: int | None, removed: int) -> None:
    store = Store(open_database(":memory:"))
    run = store.begin_run("backfill", "http://127.0.0.1:8000", "t0")
    comments = tuple(Comment(i, f"Reader {i}", None, "1st Jan '20 - 9:00am", None, f"Text {i}.",
                             f"<p>Text {i}.</p>", i, False) for i in (1, 2, 3))
    article = Article(1, "http://127.0.0.1:8000/a-1.html", "A", "Ann", None, None, (), (),
                      "Body.", 3)
    store.write_thread(Thread(article, comments, (article.url,)), run, "t1")
    later = Thread(replace(article, comment_count_declared=heading), comments[:shown],
                   (article.url,))
    assert store.write_thread(later, run, "t2").comments_removed == removed
    assert store.db["comments"].count == 3
