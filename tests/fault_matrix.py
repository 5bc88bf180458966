"""The fault matrix shared by the fault, crash, reader and preflight tests, and its docs table.

`python -m tests.fault_matrix --write-docs` runs those tests and writes docs/faults.md from
what they observed; nothing in the table is written by hand.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from contextlib import closing
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from archiver.db.search import SEARCHED

ROOT = Path(__file__).resolve().parent.parent
MIRROR = ROOT / "tests" / "fixtures" / "ldv"
DAY1 = MIRROR / "site"
PLACEHOLDER = "http://127.0.0.1:8000"
DOCS = ROOT / "docs" / "faults.md"
# Where the tests append their observed rows when the docs are being regenerated.
DOCS_ROWS_ENV = "LDV_FAULT_DOCS_ROWS"
# Crawl settings of the matrix: retries enough for "recovers after N tries"; a timeout and a
# back-off cap short enough for a quick run (Retry-After is honoured up to the cap).
RETRIES = {"RETRY_TIMES": "3", "DOWNLOAD_TIMEOUT": "2", "ARCHIVER_MAX_BACKOFF": "0.1"}
TEST_FILES = ("tests/test_faults.py", "tests/test_crash.py", "tests/test_readers.py",
              "tests/test_preflight.py")

logger = logging.getLogger(__name__)


# --- the mirror's articles -------------------------------------------------------------------

def _index() -> dict[int, str]:
    index = json.loads((MIRROR / "truth" / "index.json").read_text(encoding="utf-8"))
    return {int(t["post_id"]): str(t["mirror_path"]) for t in index["threads"]}


PATHS: dict[int, str] = _index()


def page(post_id: int) -> str:
    """An article page of the day-1 mirror, as stored (links still on the placeholder)."""
    return (DAY1 / PATHS[post_id].lstrip("/")).read_text(encoding="utf-8")


def truth(day: str = "day1") -> dict[int, dict[str, Any]]:
    return {int(p.stem): json.loads(p.read_text(encoding="utf-8"))
            for p in sorted((MIRROR / "truth" / day).glob("*.json"))}


# --- crawl settings: the real middlewares plus the network guard and store hooks ---------------

def guarded(settings: Mapping[str, str] | None = None, *, hooks: bool = False) -> dict[str, str]:
    """`-s` settings that add LoopbackOnly (and StoreHooks) to the project's own components."""
    from archiver import settings as project

    middlewares = {**project.DOWNLOADER_MIDDLEWARES, "testing.hooks.LoopbackOnly": 10_000}
    merged = {"DOWNLOADER_MIDDLEWARES": json.dumps(middlewares),
              # Real alias hosts are real domains; the tests' aliases cannot resolve.
              "ARCHIVER_ALIAS_HOSTS": "ldv-alias.invalid"}
    if hooks:
        merged["EXTENSIONS"] = json.dumps({"testing.hooks.StoreHooks": 0})
    return {**merged, **(settings or {})}


def crawl_command(base_url: str, db: Path, *args: str,
                  settings: Mapping[str, str] | None = None) -> list[str]:
    """The `scrapy crawl ldv` command line `tests.conftest.run_crawl` runs, for Popen."""
    from tests.conftest import FAST

    merged = {**FAST, "ARCHIVER_BASE_URL": base_url, "ARCHIVER_DB": str(db),
              "ARCHIVER_EXPORTS_DIR": "", **(settings or {})}
    command = [sys.executable, "-m", "scrapy", "crawl", "ldv"]
    for key, value in merged.items():
        command += ["-s", f"{key}={value}"]
    for arg in args:
        command += ["-a", arg]
    return command


def crawl_env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), **extra}


# --- comparing an archive with the truth ------------------------------------------------------

def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def connect(db_path: Path) -> sqlite3.Connection:
    """A read-only connection (it never creates the file, never writes)."""
    conn = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    conn.row_factory = sqlite3.Row
    return conn


def integrity(db_path: Path) -> str:
    with connect(db_path) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


def thread_problems(conn: sqlite3.Connection, post_id: int, want: Mapping[str, Any],
                    base_url: str) -> list[str]:
    """How the stored thread `post_id` differs from its truth; [] when it matches."""
    article = conn.execute("SELECT * FROM articles WHERE article_id = ?", [post_id]).fetchone()
    if article is None:
        return [f"{post_id}: article missing"]
    problems = []
    checks = {
        "title": (article["title"], want["title"]),
        "author": (article["author"], want["author"]),
        "published": ((article["published_at"] or "")[:19], want["published_local"]),
        "categories": (json.loads(article["categories"]), want["category"]),
        "tags": (json.loads(article["tags"]), want["tags"]),
        "body": (squash(article["body"]), squash(" ".join(want["body_paragraphs"]))),
        # The path: an archive made on another day's mirror port has another origin.
        "url": (urlsplit(article["url"]).path, urlsplit(base_url + want["mirror_path"]).path),
    }
    problems += [f"{post_id}: {name} {got!r} != {exp!r}"
                 for name, (got, exp) in checks.items() if got != exp]
    stored = conn.execute("SELECT * FROM comments WHERE article_id = ? AND removed_at IS NULL "
                          "ORDER BY position", [post_id]).fetchall()
    got_ids = [row["comment_id"] for row in stored]
    want_ids = [c["comment_id"] for c in want["comments"]]
    lost = sorted(set(want_ids) - set(got_ids))
    extra = sorted(set(got_ids) - set(want_ids))
    if lost:
        problems.append(f"{post_id}: lost comments {lost}")
    if extra:
        problems.append(f"{post_id}: comments not in the truth {extra}")
    if len(got_ids) != len(set(got_ids)) or (len(stored) != len(want_ids) and not extra):
        problems.append(f"{post_id}: {len(stored)} comments stored, {len(want_ids)} wanted")
    if not lost and not extra and got_ids != want_ids:
        problems.append(f"{post_id}: comments out of order")
    by_id = {row["comment_id"]: row for row in stored}
    for wanted in want["comments"]:
        row = by_id.get(wanted["comment_id"])
        if row is None:
            continue
        for name, got, exp in (
                ("author", row["author"], wanted["author"]),
                ("author_url", row["author_url"], wanted["author_url"]),
                ("posted", (row["posted_at"] or "")[:19], wanted["posted_local"]),
                ("post author", bool(row["is_post_author"]), wanted["is_post_author"]),
                ("body", squash(row["body"]), squash(" ".join(wanted["body_paragraphs"])))):
            if got != exp:
                problems.append(f"{post_id}/{wanted['comment_id']}: {name} {got!r} != {exp!r}")
    return problems


def archive_problems(db_path: Path, base_url: str, day: str = "day1") -> list[str]:
    """Every difference between the archive's live threads and the truth: lost, duplicated,
    extra or altered comments and articles."""
    wanted = truth(day)
    with connect(db_path) as conn:
        problems = []
        stored_ids = {row[0] for row in conn.execute("SELECT article_id FROM articles")}
        problems += [f"{i}: article not in the truth" for i in sorted(stored_ids - set(wanted))]
        for post_id, want in wanted.items():
            problems += thread_problems(conn, post_id, want, base_url)
        orphans = conn.execute("SELECT count(*) FROM comments WHERE article_id NOT IN "
                               "(SELECT article_id FROM articles)").fetchone()[0]
        if orphans:
            problems.append(f"{orphans} comments without their article")
    return problems + search_problems(db_path)


def search_problems(db_path: Path) -> list[str]:
    """Rows missing from, or stale in, the full-text indexes: FTS5's own check of each index
    against its table (a command, so not on the read-only connection)."""
    problems = []
    with closing(sqlite3.connect(db_path, timeout=30)) as conn:
        for table in SEARCHED:
            try:
                conn.execute(f"INSERT INTO {table}_fts ({table}_fts, rank) "
                             "VALUES ('integrity-check', 1)")
            except sqlite3.DatabaseError as exc:
                problems.append(f"{table}_fts does not match {table}: {exc}")
    return problems


# --- the fault cases ------------------------------------------------------------------------

@dataclass(frozen=True)
class Case:
    """One fault: where it is injected, and what the archiver must make of it.

    outcome: "recovers" (retried, then the whole thread is stored, no failure left),
    "fails" (a failure row whose reason matches `reason`; nothing half-stored; the next
    fault-free run heals it), "stored" (read correctly despite the fault), "kept" (a
    content fault: everything stored is kept, as `check` in the tests describes).
    """

    name: str
    scenario: str
    fault: str
    where: str
    rules: Callable[[], dict[str, dict[str, Any]]]
    outcome: str
    post_id: int | None = None
    reason: str | None = None
    tries: int | None = None
    url_path: str | None = None

    @property
    def path(self) -> str:
        if self.url_path is not None:
            return self.url_path
        assert self.post_id is not None
        return PATHS[self.post_id]


def _on(post_id: int, **rule: Any) -> Callable[[], dict[str, dict[str, Any]]]:
    return lambda: {PATHS[post_id]: dict(rule)}


def _replaced(post_id: int, change: Callable[[str], str]) -> Callable[[], dict[str, Any]]:
    return lambda: {PATHS[post_id]: {"kind": "replace", "body": change(page(post_id))}}


def without_comments_block(html: str) -> str:
    """A voice2013 article with its count heading and comment list gone (form kept)."""
    start = html.index('<h2 class="comments-title">')
    end = html.index("</ul>", html.index('<ul class="comment-list">')) + len("</ul>")
    return html[:start] + html[end:]


def comment_items(html: str) -> tuple[str, list[str], str]:
    """(before, the `<li id="comment-N">` items, after) of a voice2013 flat comment list."""
    start = html.index(">", html.index('<ul class="comment-list">')) + 1
    end = html.index("</ul>", start)
    parts = re.split(r'(?=<li id="comment-)', html[start:end])
    return html[:start] + parts[0], [p for p in parts[1:] if p.strip()], html[end:]


def comment_pages(post_id: int, first: int) -> tuple[str, str]:
    """The article split after `first` comments into an oldest-first page 1 (at the post
    URL) and `comment-page-2/`, linked both ways as WordPress does."""
    html = page(post_id)
    before, items, after = comment_items(html)
    url = PLACEHOLDER + PATHS[post_id]
    older = f'<nav class="comment-navigation"><a href="{url}#comments">« Older Comments</a></nav>'
    newer = (f'<nav class="comment-navigation"><a href="{url}/comment-page-2/#comments">'
             "Newer Comments »</a></nav>")
    page1 = before + "".join(items[:first]) + "</ul>" + newer + after.removeprefix("</ul>")
    page2 = before + "".join(items[first:]) + "</ul>" + older + after.removeprefix("</ul>")
    return page1, page2


def multipage_rules(post_id: int, *, page2: Mapping[str, Any] | None) -> dict[str, Any]:
    page1, second = comment_pages(post_id, 2)
    return {PATHS[post_id]: {"kind": "replace", "body": page1},
            f"{PATHS[post_id]}/comment-page-2/": dict(page2 or {"kind": "replace",
                                                                 "body": second})}


IMPOSSIBLE_HEADER_DATES = ("31st Feb '17 - 9:45am", "3rd May '17 - 29:99pm")
IMPOSSIBLE_DATETIMES = ("9999-12-31T23:59:59-14:00", "2021-02-30T10:13:00+00:00")


def impossible_header_dates(html: str) -> str:
    for old, new in zip(("3rd May '17 - 8:13pm", "3rd May '17 - 8:33pm"),
                        IMPOSSIBLE_HEADER_DATES, strict=True):
        html = html.replace(f">{old}<", f">{new}<", 1)
    return html


def impossible_datetimes(html: str) -> str:
    for old, new in zip(("2021-12-02T10:07:00+00:00", "2021-12-02T10:13:00+00:00"),
                        IMPOSSIBLE_DATETIMES, strict=True):
        html = html.replace(f'datetime="{old}"', f'datetime="{new}"', 1)
    return html


def borrowed_comment(html: str) -> str:
    """62123 with 47108's first comment (id 400254) appended to its list."""
    _, items, _ = comment_items(page(47108))
    end = html.index("</ul>", html.index('<ul class="comment-list">'))
    return html[:end] + items[0] + html[end:]


HOSTILE_AUTHOR = "Robert'); DROP TABLE comments;--"
HOSTILE_BODY = "1' OR '1'='1 <script>alert(1)</script> ?; -- %s"


def hostile_comment(html: str) -> str:
    """30956 (classic markup) with a fifth comment whose author and text are SQL and script."""
    item = ('<li class="comment even thread-even depth-1" id="li-comment-999001">'
            '<div id="comment-999001"><div class="comment-author vcard">'
            f'<cite class="fn">{HOSTILE_AUTHOR}</cite>'
            '<span class="comment-meta commentmetadata"><a href="#comment-999001">'
            "1st Jan '13 - 9:00am</a></span></div><div class=\"comment-body\">"
            f"<p>{HOSTILE_BODY.replace('<', '&lt;').replace('>', '&gt;')}</p></div></div></li>")
    html = html.replace('<h3 id="comments-title">4 Comments', '<h3 id="comments-title">5 Comments')
    end = html.index("</ol>", html.index('<ol class="commentlist">'))
    return html[:end] + item + html[end:]


OFF_SITE_LINKS = (
    '<article id="post-999" class="post-999 post type-post"><h2 class="entry-title">'
    '<a href="http://example.invalid/evil-post-999.html">Off-site post</a></h2>'
    '<a href="http://example.invalid/evil-post-999.html#comments">3 Comments</a></article>'
    '<article id="post-998" class="post-998 post type-post"><h2 class="entry-title">'
    '<a href="http://127.0.0.2:9/other-post-998.html">Another loopback host</a></h2></article>'
    '<a href="http://127.0.0.1:8000/wp-admin/edit.php">Dashboard</a>'
)


def home_with_off_site_links() -> dict[str, Any]:
    html = (DAY1 / "index.html").read_text(encoding="utf-8")
    at = html.index("</body>")
    return {"/": {"kind": "replace", "body": html[:at] + OFF_SITE_LINKS + html[at:]}}


def sitemap_with_forbidden_entries() -> dict[str, Any]:
    xml = (DAY1 / "wp-sitemap.xml").read_text(encoding="utf-8")
    extra = ("<sitemap><loc>http://127.0.0.1:8000/wp-admin/secret-sitemap.xml</loc></sitemap>"
             "<sitemap><loc>http://example.invalid/wp-sitemap.xml</loc></sitemap>")
    at = xml.index("</sitemapindex>")
    return {"/wp-sitemap.xml": {"kind": "replace", "body": xml[:at] + extra + xml[at:],
                                "content_type": "application/xml; charset=UTF-8"}}


FIRST_RUN = "first-run"
RE_READ = "re-read"

CASES: tuple[Case, ...] = (
    # An empty archive meets a faulty site on its first (backfill) run.
    Case("http-500-recovers", FIRST_RUN, "HTTP 500 twice, then the page", "article 47108",
         _on(47108, kind="status", status=500, times=2), "recovers", 47108, tries=3),
    Case("http-503-retry-after-recovers", FIRST_RUN,
         "HTTP 503 with `Retry-After: 1` twice, then the page", "article 54150",
         _on(54150, kind="status", status=503, retry_after=1, times=2), "recovers", 54150,
         tries=3),
    Case("http-429-recovers", FIRST_RUN, "HTTP 429 with `Retry-After: 1` once, then the page",
         "article 62123", _on(62123, kind="rate_limit", retry_after=1, times=1), "recovers",
         62123, tries=2),
    Case("http-500-persists", FIRST_RUN, "HTTP 500 on every try", "article 50637",
         _on(50637, kind="status", status=500), "fails", 50637, reason=r"^HTTP 500$"),
    Case("slower-than-timeout", FIRST_RUN, "answer slower than DOWNLOAD_TIMEOUT",
         "article 21739", _on(21739, kind="slow", seconds=3), "fails", 21739,
         reason=r"^timed out"),
    Case("connection-reset", FIRST_RUN, "connection reset (TCP RST), no response",
         "article 54102", _on(54102, kind="reset"), "fails", 54102,
         reason=r"^connection lost"),
    Case("body-cut-short", FIRST_RUN, "body cut short (less than its Content-Length)",
         "article 69228", _on(69228, kind="truncate"), "fails", 69228,
         reason=r"^body cut short"),
    Case("cp1252-declared", FIRST_RUN, "page in cp1252, header `charset=windows-1252`",
         "article 46523", _on(46523, kind="encoding", charset="windows-1252"), "stored",
         46523),
    Case("cp1252-undeclared", FIRST_RUN,
         "page in cp1252, no charset header (its meta tag says UTF-8)", "article 1637",
         _on(1637, kind="encoding", charset="windows-1252", declare=False), "stored", 1637),
    Case("huge-page", FIRST_RUN, "20 MB page (DOWNLOAD_MAXSIZE is 8 MiB)", "article 30956",
         _on(30956, kind="huge", megabytes=20), "fails", 30956,
         reason=r"^response larger than DOWNLOAD_MAXSIZE \(20971520 > 8388608 bytes\)"),
    Case("garbage-bytes", FIRST_RUN, "4 KB of random bytes as text/html", "article 22478",
         _on(22478, kind="garbage", style="bytes"), "fails", 22478,
         reason=r"not an article|no article|PageStructureError"),
    Case("garbage-markup", FIRST_RUN, "half the page, then broken tags and random bytes",
         "article 17772", _on(17772, kind="garbage", style="markup"), "fails", 17772,
         reason=r"^page cut short or garbled"),
    Case("listing-page-500", FIRST_RUN, "HTTP 500 on every try of a listing page",
         "listing /page/2/", lambda: {"/page/2/": {"kind": "status", "status": 500}},
         "fails", None, reason=r"^HTTP 500$", url_path="/page/2/"),
    # An archive holding day 1 re-reads every thread (backfill) from a faulty site.
    Case("multi-page-thread-page-2-fails", RE_READ,
         "a thread split over two comment pages; page 2 answers HTTP 500", "article 46523",
         lambda: multipage_rules(46523, page2={"kind": "status", "status": 500}), "fails",
         46523, reason=r"^HTTP 500 \(at .*/comment-page-2/\)$"),
    Case("no-comments-block", RE_READ, "article served with no comments block at all",
         "article 47108", _replaced(47108, without_comments_block), "kept", 47108),
    Case("impossible-header-dates", RE_READ,
         "comment dates `31st Feb '17`, `29:99pm` in the header text", "article 54150",
         _replaced(54150, impossible_header_dates), "kept", 54150),
    Case("impossible-datetimes", RE_READ,
         "`<time datetime>` of year 9999 at -14:00 (overflows) and 30 February",
         "article 69228", _replaced(69228, impossible_datetimes), "kept", 69228),
    Case("comment-id-on-two-articles", RE_READ,
         "a comment id (400254, on 47108) also on another article", "article 62123",
         _replaced(62123, borrowed_comment), "fails", 62123,
         reason=r"^comment id 400254 already belongs to another article"),
    Case("redirect-loop", RE_READ, "redirect loop (A → A/ → A)", "article 50637",
         _on(50637, kind="redirect_loop"), "fails", 50637, reason=r"^redirect loop"),
    Case("redirect-off-site", RE_READ, "HTTP 301 to http://example.invalid/", "article 54102",
         _on(54102, kind="redirect", to="http://example.invalid/stolen-54102.html"),
         "fails", 54102, reason=r"redirect to http://example\.invalid/.*another site"),
    Case("redirect-on-site", RE_READ, "HTTP 301 to the same article under another URL",
         "article 22478",
         lambda: {PATHS[22478]: {"kind": "redirect", "times": 1,
                                 "to": PATHS[22478] + "?moved=1"}},
         "recovers", 22478, tries=2),
    Case("http-429-persists", RE_READ, "HTTP 429 with `Retry-After: 1` on every try",
         "article 21739", _on(21739, kind="rate_limit", retry_after=1), "fails", 21739,
         reason=r"^HTTP 429 \(Retry-After: 1\)$"),
    Case("cp1252-labelled-utf8", RE_READ, "cp1252 bytes under a header saying UTF-8",
         "article 17772", _on(17772, kind="encoding", charset="windows-1252", label="UTF-8"),
         "stored", 17772),
    Case("utf8-labelled-latin1", RE_READ, "UTF-8 bytes under a header saying ISO-8859-1",
         "article 1637", _on(1637, kind="encoding", charset="utf-8", label="ISO-8859-1"),
         "stored", 1637),
    Case("hostile-text", RE_READ, "a comment whose author and text are SQL and a script",
         "article 30956", _replaced(30956, hostile_comment), "kept", 30956),
    Case("links-off-site", RE_READ,
         "home page teasers linking to example.invalid and 127.0.0.2, a link into /wp-admin/",
         "home page /", home_with_off_site_links, "kept", None, url_path="/"),
    Case("sitemap-forbidden-entries", RE_READ,
         "sitemap index listing a robots.txt-disallowed /wp-admin/ sitemap and an off-site one",
         "/wp-sitemap.xml", sitemap_with_forbidden_entries, "kept", None,
         url_path="/wp-sitemap.xml"),
)


def plan(scenario: str) -> dict[str, dict[str, Any]]:
    """The fault-plan config (see testing.faults) for every case of a scenario."""
    config: dict[str, dict[str, Any]] = {}
    for case in CASES:
        if case.scenario == scenario:
            rules = case.rules()
            assert not set(rules) & set(config), f"{case.name} reuses a faulty path"
            config.update(rules)
    return config


# --- the docs table -------------------------------------------------------------------------

@dataclass(frozen=True)
class Row:
    """One observed line of docs/faults.md."""

    section: str
    order: int
    fault: str
    where: str
    did: str
    recorded: str = ""
    next_run: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


SECTIONS = {
    "first-run": "Faults on a first (backfill) run of an empty archive",
    "re-read": "Faults while re-reading an archive (day 1 already stored)",
    "bounds": "Bounds and security",
    "preflight": "Bad settings and the run lock",
    "crash": "Killed with SIGKILL",
    "readers": "Readers during writes",
}


def record_row(row: Row) -> None:
    """Append a row for the docs when they are being regenerated (otherwise do nothing)."""
    target = os.environ.get(DOCS_ROWS_ENV)
    if target:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(asdict(row), ensure_ascii=False) + "\n")


def render(rows: list[Row]) -> str:
    lines = [
        "# Faults the archiver is tested against",
        "",
        "Generated by `python -m tests.fault_matrix --write-docs` from what the tests in",
        f"{', '.join(f'`{t}`' for t in TEST_FILES)} observed; do not edit by hand.",
        "Every crawl runs against the bundled mirror on 127.0.0.1 with its fault plan",
        "(`testing/faults.py`) and " + ", ".join(f"{k} {v}" for k, v in RETRIES.items())
        + " (Retry-After is honoured up to that cap);",
        "a network guard in the tests refuses any request for another host, and none was",
        "attempted. Counts that depend on timing (attempts after a dropped keep-alive",
        "connection, reads during a crawl) vary from one generation to the next.",
        "",
    ]
    order = list(SECTIONS)
    for section in order:
        chosen = sorted((r for r in rows if r.section == section), key=lambda r: r.order)
        if not chosen:
            continue
        lines += [f"## {SECTIONS[section]}", ""]
        lines += ["| fault | where | what the archiver did | `failures` row "
                  "(reason · status · attempts) | next fault-free run |",
                  "|---|---|---|---|---|"]
        for row in chosen:
            cells = [row.fault, row.where, row.did, row.recorded or "—", row.next_run or "—"]
            lines.append("| " + " | ".join(c.replace("|", "\\|").replace("\n", " ")
                                           for c in cells) + " |")
        lines.append("")
    return "\n".join(lines)


def write_docs(target: Path = DOCS) -> int:
    with tempfile.TemporaryDirectory() as folder:
        rows_file = Path(folder) / "rows.jsonl"
        rows_file.touch()
        env = {**os.environ, DOCS_ROWS_ENV: str(rows_file), "PYTHONPATH": str(ROOT)}
        # The docs check is the one test that reads the file being written.
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                               *TEST_FILES, "--deselect",
                               "tests/test_faults.py::test_fault_docs_list_every_case"],
                              cwd=ROOT, env=env, check=False)
        rows = [Row(**json.loads(line)) for line in
                rows_file.read_text(encoding="utf-8").splitlines() if line.strip()]
    if done.returncode != 0:
        print("tests failed; docs/faults.md left as it was", file=sys.stderr)
        return done.returncode
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render(rows), encoding="utf-8")
    print(f"wrote {target} ({len(rows)} rows)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fault_matrix",
                                     description="Regenerate docs/faults.md from the tests.")
    parser.add_argument("--write-docs", action="store_true",
                        help="run the fault, crash, reader and preflight tests; write the table")
    parser.add_argument("--output", type=Path, default=DOCS)
    args = parser.parse_args(argv)
    if not args.write_docs:
        parser.print_help()
        return 0
    return write_docs(args.output)


if __name__ == "__main__":
    sys.exit(main())
