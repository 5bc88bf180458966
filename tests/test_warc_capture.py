"""Raw pages: every exchange of a real crawl kept as WARC records, indexed and pointed to."""

from __future__ import annotations

import errno
import gzip
import json
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlite_utils
from scrapy.http import Request, Response
from scrapy.utils.test import get_crawler
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders

from archiver.dates import to_utc_iso
from archiver.middlewares.fetch_time import FETCHED_AT, LAST_FETCHED_AT
from archiver.warc.capture import CaptureMiddleware
from archiver.warc.reading import read_at, whole_member
from archiver.warc.records import NOT_MODIFIED_PROFILE
from testing.mirror import MirrorServer, serve
from tests.conftest import DAY1, run_crawl

SEED = "a-warning-from-the-labour-party-the-difference-between-leadership-and-management-47108.html"
SEED_ID = 47108
WARCIO = [sys.executable, "-m", "warcio.cli"]


def records(path: Path) -> list[tuple[str, str, int, int]]:
    """(type, URL, offset, length) of every record in the file, in order."""
    found = []
    with open(path, "rb") as stream:
        iterator = ArchiveIterator(stream)
        for record in iterator:
            kind, url = record.rec_type, record.rec_headers.get_header("WARC-Target-URI")
            iterator.read_to_end(record)
            found.append((kind, url, iterator.get_record_offset(), iterator.get_record_length()))
    return found


def warcs(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.warc.gz"))


def headers_of(path: Path, kind: str) -> dict[str, StatusAndHeaders]:
    """The WARC headers of each `kind` record in the file, by URL (the last one of a URL)."""
    found = {}
    with open(path, "rb") as stream:
        for record in ArchiveIterator(stream):
            if record.rec_type == kind:
                found[record.rec_headers.get_header("WARC-Target-URI")] = record.rec_headers
    return found


def recrawl(server: MirrorServer, db: Path, **settings: str) -> set[str]:
    """Another run that asks for every thread with its validators (4,200 days back reaches
    them all); the URLs the server answered 304."""
    server.clear_log()
    again = run_crawl(server.base_url, db, settings={
        "ARCHIVER_AUDIT_PER_RUN": "0", "ARCHIVER_ACTIVE_DAYS": "4200", **settings})
    assert again.returncode == 0, again.stderr[-2000:]
    return {f"{server.base_url}{r.path}" for r in server.requests if r.status == 304}


def warcio_check(path: Path) -> None:
    check = subprocess.run([*WARCIO, "check", "-v", str(path)], capture_output=True,
                           text=True, check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "fail" not in check.stdout


@pytest.fixture
def captured(tmp_path: Path, mirror: MirrorServer) -> tuple[MirrorServer, Path]:
    db = tmp_path / "archive.db"
    result = run_crawl(mirror.base_url, db)
    assert result.returncode == 0, result.stderr[-2000:]
    return mirror, db


def test_capture_is_on_by_default_beside_the_archive(
        captured: tuple[MirrorServer, Path]) -> None:
    server, db = captured
    folder = db.with_name("archive.db.warc")
    files = warcs(folder)
    assert [f.name.split("-")[1] for f in files] == ["run00001"]
    assert (folder / f"{files[0].name}.cdxj").is_file()
    kinds = [r[0] for r in records(files[0])]
    assert kinds[0] == "warcinfo"
    # One response and one request per exchange the server saw, nothing else.
    assert Counter(kinds) == {"warcinfo": 1, "response": len(server.requests),
                              "request": len(server.requests)}


def test_warcio_check_and_index_accept_every_file(captured: tuple[MirrorServer, Path]) -> None:
    _, db = captured
    for path in warcs(db.with_name("archive.db.warc")):
        check = subprocess.run([*WARCIO, "check", "-v", str(path)], capture_output=True,
                               text=True, check=False)
        assert check.returncode == 0, check.stdout + check.stderr
        assert "digest pass" in check.stdout and "fail" not in check.stdout
        index = subprocess.run([*WARCIO, "index", str(path)], capture_output=True, text=True,
                               check=False)
        assert index.returncode == 0, index.stderr
        assert len(index.stdout.splitlines()) == len(records(path))


def test_the_seed_page_is_kept_byte_for_byte(captured: tuple[MirrorServer, Path]) -> None:
    server, db = captured
    path = warcs(db.with_name("archive.db.warc"))[0]
    url = f"{server.base_url}/{SEED}"
    with open(path, "rb") as stream:
        for record in ArchiveIterator(stream):
            if record.rec_type == "response" and record.rec_headers.get_header(
                    "WARC-Target-URI") == url:
                http = record.http_headers
                body = record.content_stream().read()
                break
        else:
            pytest.fail(f"no response record for {url}")
    # The saved page as the mirror serves it: its placeholder origin rewritten to the server's.
    meta = json.loads((DAY1 / "site.json").read_text(encoding="utf-8"))
    saved = (DAY1 / SEED).read_bytes().replace(meta["base_placeholder"].encode(),
                                              server.base_url.encode())
    assert body == saved
    assert http.get_statuscode() == "200"
    assert http.get_header("Content-Type") == "text/html; charset=UTF-8"
    assert http.get_header("Content-Length") == str(len(saved))


def test_pointers_and_cdxj_lead_to_their_records(captured: tuple[MirrorServer, Path]) -> None:
    server, db = captured
    folder = db.with_name("archive.db.warc")
    rows = list(sqlite_utils.Database(db).query("SELECT * FROM captures ORDER BY capture_id"))
    assert len(rows) == len(server.requests)
    assert {r["run_id"] for r in rows} == {1}
    seed = [r for r in rows if r["article_id"] == SEED_ID]
    assert [r["url"] for r in seed] == [f"{server.base_url}/{SEED}"]
    for row in rows:
        with open(folder / row["warc_file"], "rb") as stream:
            assert whole_member(stream, row["offset"], row["length"])
            record = read_at(stream, row["offset"])
            assert record.rec_type == row["record_type"] == "response"
            assert record.rec_headers.get_header("WARC-Target-URI") == row["url"]
            assert int(record.http_headers.get_statuscode()) == row["status"]
    for index in folder.glob("*.cdxj"):
        lines = index.read_text(encoding="utf-8").splitlines()
        assert len(lines) == len(rows)
        for line in lines:
            fields = json.loads(line.split(" ", 2)[2])
            with open(folder / fields["filename"], "rb") as stream:
                record = read_at(stream, int(fields["offset"]))
                assert record.rec_headers.get_header("WARC-Target-URI") == fields["url"]
                assert int(fields["length"]) == next(
                    r[3] for r in records(folder / fields["filename"])
                    if r[2] == int(fields["offset"]))


def test_a_304_is_kept_as_a_revisit_record(captured: tuple[MirrorServer, Path]) -> None:
    server, db = captured
    not_modified = recrawl(server, db)
    assert len(not_modified) == 7
    first, path = warcs(db.with_name("archive.db.warc"))
    assert "-run00002-" in path.name
    revisits = {}
    with open(path, "rb") as stream:
        for record in ArchiveIterator(stream):
            if record.rec_type == "revisit":
                revisits[record.rec_headers.get_header("WARC-Target-URI")] = record
    assert set(revisits) == not_modified
    # Each names run 1's response of its URL, by the exact WARC-Date and record id.
    originals = headers_of(first, "response")
    for url, record in revisits.items():
        assert record.rec_headers.get_header("WARC-Profile") == NOT_MODIFIED_PROFILE
        assert record.http_headers.get_statuscode() == "304"
        assert record.rec_headers.get_header("WARC-Refers-To-Target-URI") == url
        assert record.rec_headers.get_header("WARC-Refers-To-Date") == \
            originals[url].get_header("WARC-Date")
        assert record.rec_headers.get_header("WARC-Refers-To") == \
            originals[url].get_header("WARC-Record-ID")
    warcio_check(path)
    rows = sqlite_utils.Database(db).query(
        "SELECT url FROM captures WHERE run_id = 2 AND record_type = 'revisit'")
    assert {r["url"] for r in rows} == not_modified


def test_a_revisit_of_a_page_kept_in_another_folder_names_its_date(
        tmp_path: Path, mirror: MirrorServer) -> None:
    db, elsewhere = tmp_path / "archive.db", tmp_path / "earlier"
    first = run_crawl(mirror.base_url, db, settings={"ARCHIVER_WARC_DIR": str(elsewhere)})
    assert first.returncode == 0, first.stderr[-2000:]
    not_modified = recrawl(mirror, db)
    (path,) = warcs(db.with_name("archive.db.warc"))
    revisits = headers_of(path, "revisit")
    assert set(revisits) == not_modified and len(not_modified) == 7
    # The record's file is not in this run's folder: its date comes from captures.captured_at,
    # the same instant as the record's WARC-Date; its id is not claimed.
    originals = headers_of(warcs(elsewhere)[0], "response")
    for url, headers in revisits.items():
        assert headers.get_header("WARC-Refers-To-Date") == originals[url].get_header(
            "WARC-Date")
        assert headers.get_header("WARC-Refers-To") is None
    warcio_check(path)


def test_a_revisit_of_a_page_never_captured_names_no_date(
        tmp_path: Path, mirror: MirrorServer) -> None:
    db = tmp_path / "archive.db"
    first = run_crawl(mirror.base_url, db, settings={"ARCHIVER_WARC_DIR": ""})
    assert first.returncode == 0, first.stderr[-2000:]
    not_modified = recrawl(mirror, db)
    (path,) = warcs(db.with_name("archive.db.warc"))
    revisits = headers_of(path, "revisit")
    assert set(revisits) == not_modified and len(not_modified) == 7
    for url, headers in revisits.items():
        assert headers.get_header("WARC-Refers-To-Target-URI") == url
        assert headers.get_header("WARC-Refers-To-Date") is None
        assert headers.get_header("WARC-Refers-To") is None
    warcio_check(path)


def test_files_rotate_by_size_each_starting_with_warcinfo(tmp_path: Path,
                                                          mirror: MirrorServer) -> None:
    db = tmp_path / "archive.db"
    result = run_crawl(mirror.base_url, db, settings={"ARCHIVER_WARC_MAX_BYTES": "20000"})
    assert result.returncode == 0, result.stderr[-2000:]
    files = warcs(db.with_name("archive.db.warc"))
    assert len(files) > 3
    assert [f.name.rsplit("-", 1)[1] for f in files] == [
        f"{n:03d}.warc.gz" for n in range(1, len(files) + 1)]
    answers = 0
    for path in files:
        kinds = [r[0] for r in records(path)]
        # An answer and its request always share a file.
        assert kinds[0] == "warcinfo" and kinds[1:] == ["response", "request"] * (
            len(kinds) // 2)
        answers += kinds.count("response")
        gzip.decompress(path.read_bytes())  # every member whole
    assert answers == len(mirror.requests)


def test_capture_goes_where_asked_or_nowhere(tmp_path: Path) -> None:
    with serve(DAY1) as server:
        elsewhere = tmp_path / "raw"
        elsewhere.mkdir()
        first = run_crawl(server.base_url, tmp_path / "a.db",
                          settings={"ARCHIVER_WARC_DIR": str(elsewhere)})
        assert first.returncode == 0, first.stderr[-2000:]
        assert len(warcs(elsewhere)) == 1
        assert not (tmp_path / "a.db.warc").exists()
        off = run_crawl(server.base_url, tmp_path / "b.db", settings={"ARCHIVER_WARC_DIR": ""})
        assert off.returncode == 0, off.stderr[-2000:]
        assert not (tmp_path / "b.db.warc").exists()
        assert sqlite_utils.Database(tmp_path / "b.db")["captures"].count == 0


@pytest.mark.parametrize(("settings", "message"), [
    ({"ARCHIVER_WARC_MAX_BYTES": "lots"}, "error: ARCHIVER_WARC_MAX_BYTES='lots' must be a "
                                          "whole number of bytes"),
    ({"ARCHIVER_WARC_MAX_BYTES": "0"}, "error: ARCHIVER_WARC_MAX_BYTES=0 must be at least 1 "
                                       "(bytes a file holds before the next begins), e.g. "
                                       "104857600"),
    ({"ARCHIVER_WARC_DIRS": "x"}, "error: ARCHIVER_WARC_DIRS is not a setting of the archiver; "
                                  "did you mean ARCHIVER_WARC_DIR?"),
])
def test_bad_capture_settings_stop_the_run_before_any_request(
        tmp_path: Path, mirror: MirrorServer, settings: dict[str, str], message: str) -> None:
    result = run_crawl(mirror.base_url, tmp_path / "archive.db", settings=settings)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [message]
    assert mirror.requests == []


def test_a_warc_dir_that_is_a_file_is_refused(tmp_path: Path, mirror: MirrorServer) -> None:
    (tmp_path / "archive.db.warc").write_text("not a folder")
    result = run_crawl(mirror.base_url, tmp_path / "archive.db")
    assert result.returncode == 2
    assert result.stderr.strip() == (f"error: ARCHIVER_WARC_DIR="
                                     f"'{tmp_path / 'archive.db.warc'}' is a file, not a folder")
    assert mirror.requests == []


def test_answers_after_the_disk_refused_the_files_are_dated_by_their_arrival(
        tmp_path: Path) -> None:
    crawler = get_crawler(settings_dict={"ARCHIVER_DB": str(tmp_path / "archive.db")})
    assert crawler.stats is not None
    capture = CaptureMiddleware(crawler, tmp_path / "warc", 1 << 20)
    full = OSError(errno.ENOSPC, "No space left on device")
    capture.give_up(full)
    capture.give_up(OSError(errno.EIO, "Input/output error"))  # its first cause is kept
    assert crawler.stats.get_value("archiver/warc_failed") == str(full)
    before = to_utc_iso(datetime.now(UTC))
    request = Request("http://127.0.0.1:9/a-post-1.html")
    response = Response(request.url, request=request)
    assert capture.process_response(request, response) is response
    # Not the last captured answer's moment: the thread this answer makes is dated by it.
    assert request.meta[FETCHED_AT] >= before
    assert crawler.stats.get_value(LAST_FETCHED_AT) == request.meta[FETCHED_AT]
    assert not (tmp_path / "warc").exists()
    capture.spider_closed(None)  # type: ignore[arg-type]
