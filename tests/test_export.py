"""Snapshots: deterministic JSONL, atomic publication, pruning, kill safety and loading back."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from archiver.db.connection import open_database
from archiver.db.schema import SCHEMA_VERSION
from archiver.export import jsonl as export
from archiver.export.jsonl import MANIFEST, TABLES, write_snapshot
from archiver.export.publish import latest_name, snapshot_names
from archiver.export.to_sqlite import SnapshotError, build_database
from tests.archive_factory import (
    EDITED_COMMENT,
    REMOVED_COMMENT,
    SCRIPT_COMMENT,
    build_archive,
)

ROOT = Path(__file__).resolve().parent.parent
T0 = datetime(2024, 6, 1, 12, 0, 0, tzinfo=UTC)
FILES = {"crawl_runs.jsonl", "articles.jsonl", "comments.jsonl", "comment_versions.jsonl",
         "comment_events.jsonl", "reply_edges.jsonl"}


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built once; tests only read it."""
    return build_archive(tmp_path_factory.mktemp("archive") / "archive.db")


def db_rows(db: Path, table: str, pk: str) -> list[dict[str, Any]]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in conn.execute(f"SELECT * FROM {table} ORDER BY {pk}")]
    finally:
        conn.close()


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def manifest_of(snapshot: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((snapshot / MANIFEST).read_text(encoding="utf-8"))
    return data


def test_snapshot_holds_six_jsonl_files_and_a_manifest(archive: Path, tmp_path: Path) -> None:
    snapshot = write_snapshot(str(archive), str(tmp_path), run_id=2, keep=5, now=T0)
    assert snapshot == tmp_path / "20240601T120000Z"
    assert {p.name for p in snapshot.iterdir()} == FILES | {MANIFEST}
    manifest = manifest_of(snapshot)
    assert manifest["schema_version"] == SCHEMA_VERSION
    assert manifest["run_id"] == 2
    assert manifest["created_at"] == "2024-06-01T12:00:00Z"
    assert manifest["gzip"] is False
    # The ledger and comment events travel; migrations, FTS and crawler bookkeeping do not.
    assert set(manifest["files"]) == FILES


def test_manifest_counts_and_hashes_match_the_database(archive: Path, tmp_path: Path) -> None:
    snapshot = write_snapshot(str(archive), str(tmp_path), run_id=None, keep=5, now=T0)
    files = manifest_of(snapshot)["files"]
    for table in TABLES:
        entry = files[table.file_stem]
        data = (snapshot / table.file_stem).read_bytes()
        assert entry["rows"] == len(db_rows(archive, table.name, table.primary_key))
        assert entry["rows"] == data.count(b"\n")
        assert entry["bytes"] == len(data)
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        assert entry["primary_key"] == table.primary_key
    # 86 comments on day 1, three more on day 2 (the removed one stays), one script comment.
    assert files["comments.jsonl"]["rows"] == 90
    assert files["comment_versions.jsonl"]["rows"] == 1


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_each_line_is_the_row_as_compact_json_in_key_order(
        archive: Path, tmp_path: Path, table: export.ExportTable) -> None:
    snapshot = write_snapshot(str(archive), str(tmp_path), run_id=None, keep=5, now=T0)
    expected = []
    for row in db_rows(archive, table.name, table.primary_key):
        for column in table.json_columns:
            if row[column] is not None:  # an edge that is not ambiguous has no candidates
                row[column] = json.loads(row[column])
        expected.append(json.dumps(row, ensure_ascii=False, separators=(",", ":")))
    lines = (snapshot / table.file_stem).read_text(encoding="utf-8").split("\n")
    assert lines[-1] == ""
    assert lines[:-1] == expected


def test_categories_and_tags_are_arrays_and_times_iso(archive: Path, tmp_path: Path) -> None:
    snapshot = write_snapshot(str(archive), str(tmp_path), run_id=None, keep=5, now=T0)
    articles = read_jsonl(snapshot / "articles.jsonl")
    seed = next(a for a in articles if a["article_id"] == 47108)
    assert seed["categories"] == ["Op-eds"]
    assert seed["tags"] == ["jeremy corbyn", "labour leadership election", "special advisers"]
    assert seed["published_at"] == "2015-09-04T08:30:00+01:00"
    assert seed["published_at_utc"] == "2015-09-04T07:30:00Z"
    comments = {c["comment_id"]: c for c in read_jsonl(snapshot / "comments.jsonl")}
    assert comments[REMOVED_COMMENT]["removed_at"] == "2024-05-02T09:00:00Z"
    assert comments[EDITED_COMMENT]["edit_count"] == 1
    assert "<script>alert(1)</script>" in comments[SCRIPT_COMMENT]["body_html"]
    ids = list(comments)
    assert ids == sorted(ids)


def test_two_snapshots_of_an_unchanged_archive_are_identical(archive: Path, tmp_path: Path) -> None:
    first = write_snapshot(str(archive), str(tmp_path), run_id=1, keep=5, now=T0)
    second = write_snapshot(str(archive), str(tmp_path), run_id=1, keep=5,
                            now=T0 + timedelta(hours=1))
    for name in FILES:
        assert (first / name).read_bytes() == (second / name).read_bytes()
    one, two = manifest_of(first), manifest_of(second)
    assert one.pop("created_at") != two.pop("created_at")
    assert one == two


def test_gzip_snapshots_are_deterministic_and_hold_the_same_lines(
        archive: Path, tmp_path: Path) -> None:
    plain = write_snapshot(str(archive), str(tmp_path / "plain"), run_id=None, keep=5, now=T0)
    first = write_snapshot(str(archive), str(tmp_path / "gz"), run_id=None, keep=5, now=T0,
                           gzip=True)
    second = write_snapshot(str(archive), str(tmp_path / "gz"), run_id=None, keep=5,
                            now=T0 + timedelta(days=1), gzip=True)
    manifest = manifest_of(first)
    assert manifest["gzip"] is True
    for name in FILES:
        zipped = (first / f"{name}.gz").read_bytes()
        assert zipped == (second / f"{name}.gz").read_bytes()
        assert gzip.decompress(zipped) == (plain / name).read_bytes()
        assert manifest["files"][f"{name}.gz"]["sha256"] == hashlib.sha256(zipped).hexdigest()


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_each_file_loads_with_the_sqlite_utils_cli(
        archive: Path, tmp_path: Path, table: export.ExportTable) -> None:
    snapshot = write_snapshot(str(archive), str(tmp_path / "exports"), run_id=None, keep=5,
                              now=T0)
    target = tmp_path / "snap.db"
    cli = Path(sys.executable).parent / "sqlite-utils"
    subprocess.run([str(cli), "insert", str(target), table.name,
                    str(snapshot / table.file_stem), "--nl", "--pk", table.primary_key],
                   check=True, capture_output=True, timeout=60)
    # sqlite-utils stores arrays as JSON text, exactly as the store does.
    assert db_rows(target, table.name, table.primary_key) == db_rows(
        archive, table.name, table.primary_key)


def test_keep_prunes_the_oldest_and_latest_points_at_the_newest(
        archive: Path, tmp_path: Path) -> None:
    made = [write_snapshot(str(archive), str(tmp_path), run_id=i, keep=2,
                           now=T0 + timedelta(minutes=i)).name for i in range(4)]
    assert snapshot_names(tmp_path) == made[2:]
    assert os.readlink(tmp_path / "latest") == made[3]
    assert (tmp_path / "LATEST").read_text(encoding="utf-8") == f"{made[3]}\n"
    assert manifest_of(tmp_path / "latest")["run_id"] == 3
    assert {p.name for p in tmp_path.iterdir()} == {"LATEST", "latest", *made[2:]}


def test_snapshots_within_one_second_get_distinct_names(archive: Path, tmp_path: Path) -> None:
    names = [write_snapshot(str(archive), str(tmp_path), run_id=None, keep=5, now=T0).name
             for _ in range(3)]
    assert names == ["20240601T120000Z", "20240601T120000Z-01", "20240601T120000Z-02"]
    assert latest_name(tmp_path) == names[-1]


def test_bad_arguments_are_refused(archive: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="keep"):
        write_snapshot(str(archive), str(tmp_path), run_id=None, keep=0)
    with pytest.raises(ValueError, match="timezone"):
        write_snapshot(str(archive), str(tmp_path), run_id=None, keep=1,
                       now=datetime(2024, 1, 1))
    with pytest.raises(export.ExportError, match="no archive"):
        write_snapshot(str(tmp_path / "missing.db"), str(tmp_path), run_id=None, keep=1)
    assert not (tmp_path / "missing.db").exists()
    assert snapshot_names(tmp_path) == []
    assert [p.name for p in tmp_path.iterdir()] == []


def _export_in_subprocess(db: Path, exports: Path, pause: float) -> subprocess.Popen[bytes]:
    code = ("import sys; from testing.hooks import pause_exports; "
            f"pause_exports({pause}); from archiver.export.jsonl import write_snapshot; "
            "write_snapshot(sys.argv[1], sys.argv[2], run_id=99, keep=5)")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", code, str(db), str(exports)], env=env,
                            cwd=ROOT)


def _wait_for(condition: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.01)


@pytest.mark.parametrize("files_written", [1, 2, 3])
def test_a_killed_export_leaves_the_previous_snapshot_current(
        archive: Path, tmp_path: Path, files_written: int) -> None:
    good = write_snapshot(str(archive), str(tmp_path), run_id=1, keep=5, now=T0)
    process = _export_in_subprocess(archive, tmp_path, pause=0.5)
    try:
        def staged() -> list[Path]:
            return [p for p in tmp_path.iterdir() if p.name.startswith(".tmp-") and p.is_dir()]

        # The hook sleeps half a second after each file: ample time to kill before the manifest.
        _wait_for(lambda: len(staged()) == 1
                  and len(list(staged()[0].iterdir())) >= files_written)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == -signal.SIGKILL
    assert snapshot_names(tmp_path) == [good.name]
    assert latest_name(tmp_path) == good.name
    assert os.readlink(tmp_path / "latest") == good.name
    # Whatever the dead export left is hidden and has no manifest.
    for path in tmp_path.iterdir():
        if path.is_dir() and not path.is_symlink() and path != good:
            assert path.name.startswith(".tmp-")
            assert not (path / MANIFEST).exists()
    # The next export clears the debris and moves on.
    after = write_snapshot(str(archive), str(tmp_path), run_id=2, keep=5,
                           now=T0 + timedelta(hours=1))
    assert {p.name for p in tmp_path.iterdir()} == {"LATEST", "latest", good.name, after.name}
    assert latest_name(tmp_path) == after.name


def test_kills_at_moments_across_a_whole_export_never_publish_a_partial_snapshot(
        archive: Path, tmp_path: Path) -> None:
    write_snapshot(str(archive), str(tmp_path), run_id=1, keep=50, now=T0)
    started = time.monotonic()
    _export_in_subprocess(archive, tmp_path, pause=0.05).wait(timeout=30)
    duration = time.monotonic() - started
    caught_mid_write = 0
    for step in range(1, 10):
        process = _export_in_subprocess(archive, tmp_path, pause=0.05)
        time.sleep(duration * step / 10)
        process.kill()
        process.wait(timeout=10)
        debris = [p for p in tmp_path.iterdir() if p.name.startswith(".tmp-")]
        caught_mid_write += bool(debris)
        for path in debris:  # so the next kill is judged on its own leftovers
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
        for name in snapshot_names(tmp_path):
            for file_name, entry in manifest_of(tmp_path / name)["files"].items():
                data = (tmp_path / name / file_name).read_bytes()
                assert hashlib.sha256(data).hexdigest() == entry["sha256"]
        current = latest_name(tmp_path)
        assert current is not None
        assert (tmp_path / current / MANIFEST).is_file()
    # Spread over the run, some kills must land while files are being written.
    assert caught_mid_write > 0


def test_cli_writes_a_snapshot_with_the_given_options(archive: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        [str(Path(sys.executable).with_name("ldv-archiver")), "export", "--db", str(archive),
         "--exports-dir", str(tmp_path), "--keep", "1", "--gzip", "--run-id", "7"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
        timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    snapshot = Path(done.stdout.strip())
    assert snapshot.parent == tmp_path
    manifest = manifest_of(snapshot)
    assert (manifest["run_id"], manifest["gzip"]) == (7, True)
    assert set(manifest["files"]) == {f"{name}.gz" for name in FILES}


def test_cli_reports_a_missing_archive_in_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = export.main(["--db", str(tmp_path / "none.db"), "--exports-dir", str(tmp_path / "x")])
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith("export failed: no archive at ")
    assert err.count("\n") == 1


def test_export_streams_in_flat_memory(tmp_path: Path) -> None:
    db_path = tmp_path / "big.db"
    open_database(str(db_path)).close()
    conn = sqlite3.connect(db_path)
    body = "Comment text with “quotes”, £ and — dashes. " * 40  # about 1.8 kB
    now = "2024-05-01T09:00:00Z"
    with conn:
        conn.execute("INSERT INTO articles (article_id, url, first_seen_at, last_seen_at) "
                     "VALUES (1, 'https://example.org/a-1.html', ?, ?)", [now, now])
        conn.executemany(
            "INSERT INTO comments (comment_id, article_id, author, body, body_html, "
            "first_seen_at, last_seen_at) VALUES (?, 1, ?, ?, ?, ?, ?)",
            ((i, f"Author {i % 97}", body, f"<p>{body}</p>", now, now)
             for i in range(1, 20_001)))
    conn.close()
    # Speed is the benchmark's business (bench/run.py); this checks the export streams.
    tracemalloc.start()
    try:
        snapshot = write_snapshot(str(db_path), str(tmp_path / "memory"), run_id=None, keep=1)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    written = (snapshot / "comments.jsonl").stat().st_size
    assert written > 70_000_000
    assert peak < 16_000_000, f"peak {peak:,} bytes for {written:,} bytes written"


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_snapshot_db_rebuilds_the_archive_tables_with_search(
        archive: Path, tmp_path: Path, compress: bool) -> None:
    write_snapshot(str(archive), str(tmp_path / "exports"), run_id=None, keep=1, now=T0,
                   gzip=compress)
    out = build_database(tmp_path / "exports" / "latest", tmp_path / "site" / "archive.db")
    for table in TABLES:
        assert db_rows(out, table.name, table.primary_key) == db_rows(
            archive, table.name, table.primary_key)
    conn = sqlite3.connect(out)
    try:
        found = conn.execute("SELECT rowid FROM comments_fts WHERE comments_fts MATCH 'Bexley'")
        assert [row[0] for row in found] == [REMOVED_COMMENT]
    finally:
        conn.close()
    assert [p.name for p in (tmp_path / "site").iterdir()] == ["archive.db"]


def test_snapshot_db_refuses_bad_input(archive: Path, tmp_path: Path) -> None:
    snapshot = write_snapshot(str(archive), str(tmp_path / "exports"), run_id=None, keep=1,
                              now=T0)
    out = tmp_path / "archive.db"
    with pytest.raises(SnapshotError, match="not a complete snapshot"):
        build_database(tmp_path / "exports", out)
    tampered = tmp_path / "tampered"
    shutil.copytree(snapshot, tampered)
    with (tampered / "comments.jsonl").open("ab") as handle:
        handle.write(b'{"comment_id":1}\n')
    with pytest.raises(SnapshotError, match="sha256"):
        build_database(tampered, out)
    assert not out.exists()
    out.write_bytes(b"")
    with pytest.raises(SnapshotError, match="--replace"):
        build_database(snapshot, out)
    assert build_database(snapshot, out, replace=True) == out
    assert out.stat().st_size > 0
