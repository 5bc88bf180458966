"""Real HTTP against the offline mirror server and each kind of injected fault."""

from __future__ import annotations

import html
import http.client
import json
import re
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

import pytest

from testing.faults import Fault, FaultPlan
from testing.mirror import MirrorServer, serve

REPO = Path(__file__).resolve().parents[1]
SITE = REPO / "tests" / "fixtures" / "ldv" / "site"
SITE_NEXT = REPO / "tests" / "fixtures" / "ldv" / "site-next"
PLACEHOLDER = "http://127.0.0.1:8000"
FIXED = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
SEED = (
    "/a-warning-from-the-labour-party-the-difference-between-leadership-and-management-47108.html"
)
NEW_ON_DAY2 = "/alistair-carmichael-in-blistering-form-on-any-questions-71214.html"


@dataclass(frozen=True)
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes


def fetch(
    server: MirrorServer,
    path: str,
    *,
    method: str = "GET",
    headers: Mapping[str, str] | None = None,
    timeout: float = 5.0,
) -> Reply:
    """One request on a fresh connection; http.client never follows redirects."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    try:
        conn.request(method, path, headers=dict(headers or {}))
        resp = conn.getresponse()
        return Reply(resp.status, resp.headers, resp.read())
    finally:
        conn.close()


@pytest.fixture
def mirror() -> Iterator[MirrorServer]:
    with serve(SITE, last_modified=FIXED) as server:
        yield server


@pytest.fixture
def faulty() -> Iterator[MirrorServer]:
    """A server whose fault plan each test sets with `set_faults`."""
    with serve(SITE, faults=FaultPlan({}), last_modified=FIXED) as server:
        yield server


def plan(config: Mapping[str, Mapping[str, object]]) -> FaultPlan:
    return FaultPlan.from_config(config)


# -- static serving ------------------------------------------------------------------------


def test_binds_loopback_with_free_port(mirror: MirrorServer) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", mirror.base_url)
    assert mirror.port != 0


def test_placeholder_rewritten_to_own_origin(mirror: MirrorServer) -> None:
    reply = fetch(mirror, "/")
    assert reply.status == 200
    assert reply.headers["Content-Type"] == "text/html; charset=UTF-8"
    assert PLACEHOLDER.encode() not in reply.body
    assert f'href="{mirror.base_url}/feed/"'.encode() in reply.body


def test_robots_rewritten(mirror: MirrorServer) -> None:
    reply = fetch(mirror, "/robots.txt")
    assert reply.headers["Content-Type"] == "text/plain; charset=UTF-8"
    assert f"Sitemap: {mirror.base_url}/wp-sitemap.xml".encode() in reply.body


@pytest.mark.parametrize(
    ("path", "content_type", "marker"),
    [
        ("/category/news/", "text/html; charset=UTF-8", b"<html"),
        ("/page/2/", "text/html; charset=UTF-8", b"<html"),
        ("/feed/", "application/rss+xml; charset=UTF-8", b"<rss"),
        ("/comments/feed/", "application/rss+xml; charset=UTF-8", b"<rss"),
        ("/wp-sitemap.xml", "application/xml; charset=UTF-8", b"<sitemapindex"),
        ("/comment-policy/", "text/html; charset=UTF-8", b"<html"),
        ("/cdn-cgi/l/email-protection/", "text/html; charset=UTF-8", b"<html"),
        (SEED, "text/html; charset=UTF-8", b"comment-400290"),
    ],
)
def test_index_mapping_and_content_types(
    mirror: MirrorServer, path: str, content_type: str, marker: bytes
) -> None:
    reply = fetch(mirror, path)
    assert reply.status == 200
    assert reply.headers["Content-Type"] == content_type
    assert marker in reply.body
    assert int(reply.headers["Content-Length"]) == len(reply.body)


@pytest.mark.parametrize(
    ("path", "location"),
    [("/feed", "/feed/"), ("/page/2", "/page/2/"), ("/category/news?x=1", "/category/news/?x=1")],
)
def test_directory_without_slash_redirects(mirror: MirrorServer, path: str, location: str) -> None:
    reply = fetch(mirror, path)
    assert reply.status == 301
    assert reply.headers["Location"] == mirror.base_url + location


@pytest.mark.parametrize(
    "path",
    [
        SEED + "/feed",
        SEED + "/",
        "/wp-content/themes/ldv/images/ldmember.png",
        "/cdn-cgi/scripts/5c5dd728/cloudflare-static/email-decode.min.js",
        "/wp-comments-post.php",
        "/wp-admin/",
        "/page/9/",
        "/no-such-post-1.html",
        "/site.json",
        "/../README.md",
        "/%2e%2e/README.md",
        "/feed/../../README.md",
        "/feed/index.xml/",
    ],
)
def test_everything_else_is_404(mirror: MirrorServer, path: str) -> None:
    assert fetch(mirror, path).status == 404


def test_post_is_405_and_logged(mirror: MirrorServer) -> None:
    reply = fetch(mirror, "/wp-comments-post.php", method="POST", headers={"Content-Length": "0"})
    assert reply.status == 405
    assert reply.headers["Allow"] == "GET, HEAD"
    assert [(r.method, r.status) for r in mirror.requests] == [("POST", 405)]


def test_head_has_headers_without_body(mirror: MirrorServer) -> None:
    get = fetch(mirror, "/feed/")
    head = fetch(mirror, "/feed/", method="HEAD")
    assert head.status == 200
    assert head.body == b""
    for name in ("Content-Type", "Content-Length", "ETag", "Last-Modified"):
        assert head.headers[name] == get.headers[name]


# -- conditional requests ------------------------------------------------------------------


def test_validators_are_fixed_date_and_strong_etag(mirror: MirrorServer) -> None:
    reply = fetch(mirror, SEED)
    assert reply.headers["Last-Modified"] == format_datetime(FIXED, usegmt=True)
    assert re.fullmatch(r'"[0-9a-f]{32}"', reply.headers["ETag"])
    assert fetch(mirror, SEED).headers["ETag"] == reply.headers["ETag"]


def test_if_none_match_gives_304(mirror: MirrorServer) -> None:
    etag = fetch(mirror, SEED).headers["ETag"]
    reply = fetch(mirror, SEED, headers={"If-None-Match": f'"other", {etag}'})
    assert reply.status == 304
    assert reply.body == b""
    assert reply.headers["ETag"] == etag
    assert fetch(mirror, SEED, headers={"If-None-Match": '"other"'}).status == 200


def test_if_modified_since_gives_304(mirror: MirrorServer) -> None:
    same = format_datetime(FIXED, usegmt=True)
    earlier = format_datetime(datetime(2024, 4, 30, tzinfo=UTC), usegmt=True)
    assert fetch(mirror, "/", headers={"If-Modified-Since": same}).status == 304
    assert fetch(mirror, "/", headers={"If-Modified-Since": earlier}).status == 200
    assert fetch(mirror, "/", headers={"If-Modified-Since": "not a date"}).status == 200


def test_if_none_match_wins_over_if_modified_since(mirror: MirrorServer) -> None:
    same = format_datetime(FIXED, usegmt=True)
    headers = {"If-None-Match": '"stale"', "If-Modified-Since": same}
    assert fetch(mirror, "/", headers=headers).status == 200


def test_last_modified_is_file_mtime_without_fixed_date() -> None:
    with serve(SITE) as server:
        reply = fetch(server, "/robots.txt")
    mtime = (SITE / "robots.txt").stat().st_mtime
    assert reply.headers["Last-Modified"] == format_datetime(
        datetime.fromtimestamp(int(mtime), UTC), usegmt=True
    )


# -- day 1 / day 2 and the request log -----------------------------------------------------


def test_set_root_switches_site_on_same_port(mirror: MirrorServer) -> None:
    port = mirror.port
    day1_home = fetch(mirror, "/")
    assert fetch(mirror, NEW_ON_DAY2).status == 404
    mirror.set_root(SITE_NEXT)
    assert mirror.port == port
    assert mirror.root == SITE_NEXT.resolve()
    day2_home = fetch(mirror, "/", headers={"If-None-Match": day1_home.headers["ETag"]})
    assert day2_home.status == 200
    assert NEW_ON_DAY2.encode() in day2_home.body
    new_post = fetch(mirror, NEW_ON_DAY2)
    assert new_post.status == 200
    assert PLACEHOLDER.encode() not in new_post.body


def test_request_log_records_what_was_asked(mirror: MirrorServer) -> None:
    fetch(mirror, "/robots.txt", headers={"User-Agent": "ldv-archiver/0.1"})
    fetch(mirror, "/feed", headers={"User-Agent": "ldv-archiver/0.1"})
    fetch(mirror, "/?s=x", method="HEAD", headers={"If-None-Match": '"abc"'})
    log = mirror.requests
    assert [(r.method, r.path, r.status) for r in log] == [
        ("GET", "/robots.txt", 200),
        ("GET", "/feed", 301),
        ("HEAD", "/?s=x", 200),
    ]
    assert log[0].headers["User-Agent"] == "ldv-archiver/0.1"
    assert log[2].headers["If-None-Match"] == '"abc"'
    assert all(r.fault is None for r in log)
    mirror.clear_log()
    assert mirror.requests == []


def test_request_log_is_complete_under_concurrency(mirror: MirrorServer) -> None:
    paths = [f"/page/{n % 2 + 1}/" for n in range(12)]
    threads = [threading.Thread(target=fetch, args=(mirror, path)) for path in paths]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(mirror.requests) == 12
    assert {r.status for r in mirror.requests} == {200, 404}


# -- faults --------------------------------------------------------------------------------


def test_status_fault_recovers_after_n_tries(faulty: MirrorServer) -> None:
    faults = plan({"/feed/": {"kind": "status", "status": 503, "times": 2}})
    faulty.set_faults(faults)
    assert [fetch(faulty, "/feed/").status for _ in range(3)] == [503, 503, 200]
    assert faults.tries("/feed/") == 3
    assert [r.fault for r in faulty.requests] == ["status", "status", None]
    assert fetch(faulty, "/").status == 200


def test_status_fault_on_glob_counts_each_path(faulty: MirrorServer) -> None:
    faulty.set_faults(plan({"/*.html": {"kind": "status", "times": 1}}))
    assert fetch(faulty, SEED).status == 500
    assert fetch(faulty, NEW_ON_DAY2.replace("71214", "1")).status == 500
    assert fetch(faulty, SEED).status == 200
    assert fetch(faulty, "/feed/").status == 200


def test_rate_limit_sends_retry_after(faulty: MirrorServer) -> None:
    faulty.set_faults(plan({"/": {"kind": "rate_limit", "retry_after": 7, "times": 1}}))
    limited = fetch(faulty, "/")
    assert limited.status == 429
    assert limited.headers["Retry-After"] == "7"
    assert fetch(faulty, "/").status == 200


def test_slow_outlasts_a_client_timeout_then_recovers(faulty: MirrorServer) -> None:
    faulty.set_faults(plan({"/": {"kind": "slow", "seconds": 0.3, "times": 1}}))
    with pytest.raises(TimeoutError):
        fetch(faulty, "/", timeout=0.05)
    assert fetch(faulty, "/", timeout=0.25).status == 200


def test_slow_answers_normally_when_waited_for(faulty: MirrorServer) -> None:
    faulty.set_faults(plan({"/robots.txt": {"kind": "slow", "seconds": 0.05}}))
    reply = fetch(faulty, "/robots.txt")
    assert reply.status == 200
    assert b"Disallow: /wp-admin/" in reply.body
    assert faulty.requests[0].fault == "slow"


def test_reset_drops_connection_then_recovers(faulty: MirrorServer) -> None:
    faulty.set_faults(plan({"/feed/": {"kind": "reset", "times": 1}}))
    # RemoteDisconnected is a ConnectionResetError too, if the RST arrives as a plain EOF.
    with pytest.raises(ConnectionResetError):
        fetch(faulty, "/feed/")
    assert fetch(faulty, "/feed/").status == 200
    assert [(r.status, r.fault) for r in faulty.requests] == [(None, "reset"), (200, None)]


def test_truncate_promises_more_than_it_sends(faulty: MirrorServer) -> None:
    faulty.set_faults(plan({SEED: {"kind": "truncate", "keep_bytes": 100, "times": 1}}))
    conn = http.client.HTTPConnection("127.0.0.1", faulty.port, timeout=5)
    try:
        conn.request("GET", SEED)
        resp = conn.getresponse()
        assert resp.status == 200
        with pytest.raises(http.client.IncompleteRead) as err:
            resp.read()
    finally:
        conn.close()
    assert len(err.value.partial) == 100
    full = fetch(faulty, SEED)
    assert int(resp.headers["Content-Length"]) == len(full.body) > 100


@pytest.mark.parametrize(
    ("declare", "content_type"),
    [(True, "text/html; charset=windows-1252"), (False, "text/html")],
)
def test_encoding_serves_cp1252_bytes(
    faulty: MirrorServer, declare: bool, content_type: str
) -> None:
    faulty.set_faults(plan({SEED: {"kind": "encoding", "declare": declare, "times": 1}}))
    encoded = fetch(faulty, SEED)
    normal = fetch(faulty, SEED)
    assert encoded.headers["Content-Type"] == content_type
    # The page still claims UTF-8 in its own markup: header and bytes disagree on purpose.
    assert b'<meta charset="UTF-8" />' in encoded.body
    with pytest.raises(UnicodeDecodeError):
        encoded.body.decode("utf-8")
    # Characters cp1252 lacks (here the Welsh w-circumflex) become character references.
    assert b"&#373;" in encoded.body
    assert html.unescape(encoded.body.decode("cp1252")) == html.unescape(normal.body.decode())


def test_huge_pads_to_size(faulty: MirrorServer) -> None:
    faulty.set_faults(plan({"/": {"kind": "huge", "megabytes": 1}}))
    reply = fetch(faulty, "/")
    assert len(reply.body) == 1024 * 1024
    assert reply.body.rstrip().endswith(b"</html>")
    assert Fault(kind="huge").megabytes == 20


def test_garbage_bytes_are_deterministic_non_html(faulty: MirrorServer) -> None:
    faulty.set_faults(plan({SEED: {"kind": "garbage", "size": 512, "seed": 3}}))
    first, second = fetch(faulty, SEED), fetch(faulty, SEED)
    assert first.headers["Content-Type"] == "text/html; charset=UTF-8"
    assert len(first.body) == 512
    assert first.body == second.body
    assert b"<html" not in first.body
    with pytest.raises(UnicodeDecodeError):
        first.body.decode("utf-8")


def test_garbage_markup_cuts_the_page(faulty: MirrorServer) -> None:
    normal = fetch(faulty, SEED)
    faulty.set_faults(plan({SEED: {"kind": "garbage", "style": "markup"}}))
    broken = fetch(faulty, SEED)
    assert broken.body[:1000] == normal.body[:1000]
    assert len(broken.body) < len(normal.body)
    assert b"</html>" not in broken.body


def test_redirect_loop_bounces_between_two_paths(faulty: MirrorServer) -> None:
    faulty.set_faults(plan({"/loop-a.html": {"kind": "redirect_loop", "to": "/loop-b.html"}}))
    path, seen = "/loop-a.html", []
    for _ in range(4):
        reply = fetch(faulty, path)
        assert reply.status == 301
        path = reply.headers["Location"].removeprefix(faulty.base_url)
        seen.append(path)
    assert seen == ["/loop-b.html", "/loop-a.html", "/loop-b.html", "/loop-a.html"]


def test_redirect_loop_defaults_to_slash_toggle(faulty: MirrorServer) -> None:
    faulty.set_faults(plan({"/feed/": {"kind": "redirect_loop", "times": 1}}))
    assert fetch(faulty, "/feed/").headers["Location"] == faulty.base_url + "/feed"
    assert fetch(faulty, "/feed").headers["Location"] == faulty.base_url + "/feed/"
    assert fetch(faulty, "/feed/").status == 200


def test_redirect_to_other_domain_and_placeholder(faulty: MirrorServer) -> None:
    faulty.set_faults(
        plan(
            {
                SEED: {"kind": "redirect", "to": "https://www.libdemvoice.org" + SEED},
                "/old/": {"kind": "redirect", "to": PLACEHOLDER + "/feed/", "status": 302},
            }
        )
    )
    away = fetch(faulty, SEED)
    assert (away.status, away.headers["Location"]) == (301, "https://www.libdemvoice.org" + SEED)
    home = fetch(faulty, "/old/")
    assert (home.status, home.headers["Location"]) == (302, faulty.base_url + "/feed/")


def test_replace_serves_literal_content(faulty: MirrorServer) -> None:
    body = f'<html><body><a href="{PLACEHOLDER}/feed/">no comments here</a></body></html>'
    faulty.set_faults(
        plan(
            {
                SEED: {"kind": "replace", "body": body},
                "/extra.html": {
                    "kind": "replace",
                    "body": "<p>new</p>",
                    "content_type": "text/html; charset=UTF-8",
                },
            }
        )
    )
    reply = fetch(faulty, SEED)
    assert reply.status == 200
    assert reply.headers["Content-Type"] == "text/html; charset=UTF-8"
    assert reply.body == body.replace(PLACEHOLDER, faulty.base_url).encode()
    again = fetch(faulty, SEED, headers={"If-None-Match": reply.headers["ETag"]})
    assert again.status == 304
    assert fetch(faulty, "/extra.html").body == b"<p>new</p>"


def test_faults_from_cli_style_json(tmp_path: Path) -> None:
    config = {"/feed/": {"kind": "status", "status": 503, "times": 1}}
    (tmp_path / "faults.json").write_text(json.dumps(config), encoding="utf-8")
    with serve(SITE, faults=FaultPlan.from_file(tmp_path / "faults.json")) as server:
        assert [fetch(server, "/feed/").status for _ in range(2)] == [503, 200]


# -- fault plans ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"kind": "explode"}, "unknown fault kind"),
        ({"kind": "status", "sec": 1}, "unknown parameter"),
        ({"kind": "status", "times": "2"}, "wrong type"),
        ({"kind": "slow", "seconds": True}, "wrong type"),
        ({"kind": "redirect"}, "needs `to`"),
        ({"kind": "replace"}, "needs `body`"),
        ({"kind": "garbage", "style": "noise"}, "style"),
        ({"kind": "reset", "times": -1}, "times"),
        ({"kind": "encoding", "charset": "klingon"}, "unknown charset"),
    ],
)
def test_bad_fault_entries_are_rejected(entry: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FaultPlan.from_config({"/x": entry})


def test_redirect_loop_needs_exact_path() -> None:
    with pytest.raises(ValueError, match="exact path"):
        FaultPlan.from_config({"/*.html": {"kind": "redirect_loop"}})


def test_exact_key_beats_glob_and_globs_keep_order() -> None:
    faults = plan(
        {
            "/tag/*": {"kind": "slow"},
            "/tag/bbc/": {"kind": "reset"},
            "/tag/b*": {"kind": "huge"},
        }
    )
    assert [
        None if (f := faults.match(p)) is None else f.kind
        for p in ("/tag/bbc/", "/tag/bbd/", "/feed/")
    ] == ["reset", "slow", None]


def test_try_counter_is_thread_safe() -> None:
    faults = plan({"/": {"kind": "status", "times": 50}})
    hits: list[Fault | None] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(25):
            fault = faults.take("/")
            with lock:
                hits.append(fault)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert faults.tries("/") == 200
    assert sum(hit is not None for hit in hits) == 50
    faults.reset()
    assert faults.tries("/") == 0


# -- command line --------------------------------------------------------------------------


def test_cli_serves_until_killed(tmp_path: Path) -> None:
    faults = tmp_path / "faults.json"
    faults.write_text(json.dumps({"/feed/": {"kind": "rate_limit", "times": 1}}), encoding="utf-8")
    command = [sys.executable, "-m", "testing.mirror", str(SITE), "--port", "0"]
    with subprocess.Popen(
        [*command, "--faults", str(faults)], cwd=REPO, stdout=subprocess.PIPE, text=True
    ) as proc:
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            match = re.fullmatch(
                rf"serving {re.escape(str(SITE))} at (http://127\.0\.0\.1:(\d+))\n", line
            )
            assert match, line
            conn = http.client.HTTPConnection("127.0.0.1", int(match.group(2)), timeout=5)
            try:
                statuses = []
                for _ in range(2):
                    conn.request("GET", "/feed/")
                    resp = conn.getresponse()
                    body = resp.read()
                    statuses.append(resp.status)
            finally:
                conn.close()
            assert statuses == [429, 200]
            assert f"{match.group(1)}/feed/".encode() in body
        finally:
            proc.terminate()
            proc.wait(timeout=5)
