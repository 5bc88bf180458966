"""An archive knows it is one (issue 11, points 5, 6, 9 and 10).

Another application's SQLite file, garbage and truncated files are refused before any request
and left byte for byte as they were; an archive from before the stamp is adopted and stamped;
an analyst's own columns, views and tables never reach a snapshot or break a restore; each
archive has its own exports folder and pruning keeps to its own snapshots; a misspelt
`ARCHIVER_*` setting stops the run with the name it was meant to be.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from scrapy.settings import Settings
from sqlite_utils import Database

from archiver import settings as project_settings
from archiver.db.connection import archive_id, check_file, open_database
from archiver.db.identity import APPLICATION_ID, FileKind, NotAnArchive
from archiver.db.schema import SCHEMA_VERSION, declared_columns, migrations
from archiver.export import jsonl as export
from archiver.export.jsonl import MANIFEST, write_snapshot
from archiver.export.publish import exports_dir_for, latest_name, snapshot_names
from archiver.export.to_sqlite import build_database
from archiver.preflight import ConfigError, check_settings
from spiders.ldv import LdvSpider
from testing.mirror import MirrorServer, serve
from tests.archive_factory import build_archive
from tests.conftest import DAY1, FAST, ROOT, run_crawl
from tests.fault_matrix import PATHS, guarded

T0 = datetime(2024, 6, 1, 12, 0, 0, tzinfo=UTC)
SEED_PATH = PATHS[47108]
OTHER_PATH = PATHS[62123]
CONSOLE = Path(sys.executable).with_name("ldv-archiver")


@pytest.fixture(scope="module")
def quiet_mirror() -> Iterator[MirrorServer]:
    with serve(DAY1) as server:
        yield server


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A realistic archive (day 1 and day 2 through the store), closed; tests copy it."""
    return build_archive(tmp_path_factory.mktemp("built") / "archive.db")


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def pragma(db: Path, name: str) -> int:
    with closing(sqlite3.connect(db)) as conn:
        return int(conn.execute(f"PRAGMA {name}").fetchone()[0])


def stored_id(db: Path) -> str | None:
    with closing(sqlite3.connect(db)) as conn:
        return archive_id(conn)


def manifest_of(snapshot: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((snapshot / MANIFEST).read_text(encoding="utf-8"))
    return data


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# --- files that are not archives -------------------------------------------------------------

def notes_app(path: Path) -> None:
    """Another application's database: a notes app in rollback-journal mode."""
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
        conn.execute("INSERT INTO notes (text) VALUES ('buy milk')")


def forum_app(path: Path) -> None:
    """Another application's database with its own `comments` table, in WAL mode."""
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA journal_mode = wal")
        with conn:
            conn.execute("CREATE TABLE comments (comment_id INTEGER PRIMARY KEY, author TEXT, "
                         "body TEXT)")
            conn.execute("INSERT INTO comments VALUES (1, 'Ann', 'First!')")
            conn.execute("CREATE TABLE articles (article_id INTEGER PRIMARY KEY, title TEXT)")


def stamped_app(path: Path) -> None:
    """An application that stamps its files (0x0f055112 is Fossil's application_id)."""
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("PRAGMA application_id = 252006674")
        conn.execute("CREATE TABLE blob (rid INTEGER PRIMARY KEY, content BLOB)")


def garbage(path: Path) -> None:
    path.write_bytes(bytes(range(256)) * 64)


def garbage_after_magic(path: Path) -> None:
    path.write_bytes(b"SQLite format 3\x00" + hashlib.sha512(b"noise").digest() * 100)


def header_only(path: Path) -> None:
    path.write_bytes(b"SQLite format 3\x00\x10\x00")


FOREIGN = [
    ("another app's database", notes_app, "is another application's SQLite database"),
    ("another app's database with its own comments table", forum_app,
     "is another application's SQLite database (tables: articles, comments;"),
    ("another app's stamped database", stamped_app, "application_id 0xf055112"),
    ("garbage", garbage, "is not an SQLite database"),
    ("garbage after the SQLite magic", garbage_after_magic, "is not an SQLite database"),
    ("a file cut short inside the header", header_only, "is a damaged SQLite database"),
]


def truncated_half(built: Path, path: Path) -> None:
    data = built.read_bytes()
    path.write_bytes(data[:len(data) // 2 // 4096 * 4096])


def truncated_mid_page(built: Path, path: Path) -> None:
    data = built.read_bytes()
    path.write_bytes(data[:len(data) - 1000])


TRUNCATED = [("archive cut short at a page", truncated_half),
             ("archive cut short mid-page", truncated_mid_page)]


def assert_refused_untouched(result_code: int, stderr: str, db: Path, before_sha: str,
                             before_files: list[str], folder: Path, server: MirrorServer,
                             expected: str) -> None:
    lines = stderr.splitlines()
    assert result_code == 2, stderr[-2000:]
    assert len(lines) == 1 and lines[0].startswith(f"error: ARCHIVER_DB={str(db)!r} "), lines
    assert expected in lines[0], lines[0]
    assert "Traceback" not in stderr
    assert server.requests == []
    assert sha(db) == before_sha, "the file was changed"
    assert listing(folder) == before_files, "a file was created (journal, -wal, -shm, lock)"


@pytest.mark.parametrize(("label", "make", "expected"), FOREIGN, ids=[f[0] for f in FOREIGN])
def test_a_file_that_is_not_an_archive_is_refused_and_left_as_it_was(
        label: str, make: Any, expected: str, tmp_path: Path,
        quiet_mirror: MirrorServer) -> None:
    db = tmp_path / "other.db"
    make(db)
    before_sha, before_files = sha(db), listing(tmp_path)
    quiet_mirror.clear_log()

    result = run_crawl(quiet_mirror.base_url, db, settings=guarded())

    assert_refused_untouched(result.returncode, result.stderr, db, before_sha, before_files,
                             tmp_path, quiet_mirror, expected)


@pytest.mark.parametrize(("label", "cut"), TRUNCATED, ids=[t[0] for t in TRUNCATED])
def test_a_truncated_archive_is_refused_in_one_line(
        label: str, cut: Any, built: Path, tmp_path: Path, quiet_mirror: MirrorServer) -> None:
    db = tmp_path / "archive.db"
    cut(built, db)
    before_sha, before_files = sha(db), listing(tmp_path)
    quiet_mirror.clear_log()

    result = run_crawl(quiet_mirror.base_url, db, settings=guarded())

    assert_refused_untouched(result.returncode, result.stderr, db, before_sha, before_files,
                             tmp_path, quiet_mirror, "is a damaged SQLite database (cut short")


def test_export_refuses_another_apps_database_and_leaves_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "forum.db"
    forum_app(db)
    before_sha, before_files = sha(db), listing(tmp_path)
    assert export.main(["--db", str(db), "--exports-dir", str(tmp_path / "x")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("export failed: ") and "another application's" in err
    assert err.count("\n") == 1
    assert sha(db) == before_sha
    assert listing(tmp_path) == before_files


@pytest.mark.parametrize(("make", "expected"), [
    (notes_app, "is another application's SQLite database"),
    (forum_app, "is another application's SQLite database"),
    (garbage, "is not an SQLite database"),
    (garbage_after_magic, "is not an SQLite database"),
], ids=["notes app", "forum app", "garbage", "garbage after the magic"])
def test_open_database_refuses_before_writing(make: Any, expected: str, tmp_path: Path) -> None:
    db = tmp_path / "other.db"
    make(db)
    before = sha(db)
    with pytest.raises(NotAnArchive, match=expected.replace("(", r"\(")):
        open_database(str(db))
    assert sha(db) == before and listing(tmp_path) == ["other.db"]


def test_open_database_refuses_a_truncated_archive(built: Path, tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    truncated_half(built, db)
    before = sha(db)
    with pytest.raises(NotAnArchive, match="damaged"):
        open_database(str(db))
    assert sha(db) == before


# --- what is accepted ----------------------------------------------------------------------------

def earlier_archive(path: Path) -> None:
    """An archive as this project made it before the stamp: m001-m003 in WAL, no stamp, no id."""
    db = Database(path)
    db.enable_wal()
    migrations.apply(db, stop_before="m004_archive_meta")
    db.execute("INSERT INTO crawl_runs (run_id, started_at, finished_at, mode, status) "
               "VALUES (1, '2024-05-01T09:00:00Z', '2024-05-01T09:01:00Z', 'full', 'ok')")
    db.conn.commit()
    db.close()


def test_an_archive_from_before_the_stamp_is_adopted_and_stamped(
        tmp_path: Path, quiet_mirror: MirrorServer) -> None:
    db = tmp_path / "archive.db"
    earlier_archive(db)
    assert (pragma(db, "application_id"), pragma(db, "user_version")) == (0, 0)
    assert check_file(str(db)) is FileKind.EARLIER_ARCHIVE

    result = run_crawl(quiet_mirror.base_url, db, f"urls={quiet_mirror.base_url}{SEED_PATH}",
                       settings=guarded())

    assert result.returncode == 0, result.stderr[-3000:]
    assert pragma(db, "application_id") == APPLICATION_ID
    assert pragma(db, "user_version") == SCHEMA_VERSION
    assert stored_id(db) is not None
    assert check_file(str(db)) is FileKind.ARCHIVE
    rows = Database(db)
    assert [r["run_id"] for r in rows["crawl_runs"].rows] == [1, 2]  # its history kept
    assert rows["articles"].count == 1


def test_a_new_archive_is_stamped_with_an_id_that_stays(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    open_database(str(db)).close()
    first = stored_id(db)
    assert first is not None and len(first) == 36
    assert pragma(db, "application_id") == APPLICATION_ID
    assert pragma(db, "user_version") == SCHEMA_VERSION
    open_database(str(db)).close()
    assert stored_id(db) == first


@pytest.mark.parametrize("kind", ["absent", "empty file", "empty SQLite file"])
def test_nothing_yet_becomes_an_archive(kind: str, tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    if kind == "empty file":
        db.write_bytes(b"")
    elif kind == "empty SQLite file":
        with closing(sqlite3.connect(db)) as conn:
            conn.execute("VACUUM")
    assert check_file(str(db)) is FileKind.NEW


def test_an_archive_of_a_newer_version_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    open_database(str(db)).close()
    with closing(sqlite3.connect(db)) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(NotAnArchive, match="newer version"):
        check_file(str(db))


def test_a_running_archive_with_a_live_log_is_read_through_it(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    writer = open_database(str(db))
    try:
        # Stamped in the log, not yet in the file's own header: a second process (a second
        # crawl's preflight) still recognises it.
        assert Path(f"{db}-wal").stat().st_size > 0
        with open(db, "rb") as handle:
            assert int.from_bytes(handle.read(100)[68:72], "big") != APPLICATION_ID
        code = ("import sys; from archiver.db.connection import check_file; "
                "print(check_file(sys.argv[1]).name)")
        done = subprocess.run([sys.executable, "-c", code, str(db)], capture_output=True,
                              text=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
                              timeout=60, check=True)
        assert done.stdout.strip() == "ARCHIVE"
        # The writer's connection still works: the check took none of its locks away.
        writer.execute("INSERT INTO http_validators (url) VALUES ('x')")
        writer.conn.commit()
    finally:
        writer.close()
    assert listing(tmp_path) == ["archive.db"]


def test_export_upgrades_an_archive_from_before_the_stamp(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    earlier_archive(db)
    assert export.main(["--db", str(db), "--keep", "1"]) == 0
    manifest = manifest_of(Path(f"{db}.exports") / "latest")
    assert manifest["archive_id"] == stored_id(db)
    assert pragma(db, "application_id") == APPLICATION_ID


# --- an analyst's own columns, views and tables ------------------------------------------------

def test_an_analysts_column_and_view_stay_out_of_the_snapshot_and_the_restore_works(
        tmp_path: Path, quiet_mirror: MirrorServer) -> None:
    db, exports = tmp_path / "archive.db", tmp_path / "exports"
    urls = f"urls={quiet_mirror.base_url}{SEED_PATH}"
    first = run_crawl(quiet_mirror.base_url, db, urls, settings=guarded())
    assert first.returncode == 0, first.stderr[-3000:]
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("ALTER TABLE comments ADD COLUMN analyst_note TEXT")
        conn.execute("UPDATE comments SET analyst_note = 'check this' WHERE position = 1")
        conn.execute("CREATE VIEW analyst_flagged AS SELECT comment_id, author, analyst_note "
                     "FROM comments WHERE analyst_note IS NOT NULL")
        conn.execute("CREATE TABLE analyst_codes (comment_id INTEGER, code TEXT)")

    # The next crawl stores into the table with the analyst's column, then snapshots it.
    second = run_crawl(quiet_mirror.base_url, db, f"{urls},{quiet_mirror.base_url}{OTHER_PATH}",
                       exports=exports, settings=guarded())
    assert second.returncode == 0, second.stderr[-3000:]

    snapshot = exports / "latest"
    entry = manifest_of(snapshot)["files"]["comments.jsonl"]
    assert entry["columns"] == list(declared_columns("comments"))
    lines = read_jsonl(snapshot / "comments.jsonl")
    assert lines and all(list(line) == list(declared_columns("comments")) for line in lines)
    assert {p.name for p in snapshot.iterdir()} == {
        "crawl_runs.jsonl", "articles.jsonl", "comments.jsonl", "comment_versions.jsonl",
        "comment_events.jsonl", "reply_edges.jsonl", MANIFEST}
    # The analyst's work is still in the archive.
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("SELECT count(*) FROM analyst_flagged").fetchone()[0] == 1

    out = tmp_path / "site" / "archive.db"
    done = subprocess.run([str(CONSOLE), "snapshot-db", str(snapshot), str(out)], cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    columns = ", ".join(declared_columns("comments"))
    with closing(sqlite3.connect(db)) as a, closing(sqlite3.connect(out)) as b:
        query = f"SELECT {columns} FROM comments ORDER BY comment_id"
        assert b.execute(query).fetchall() == a.execute(query).fetchall()
        assert "analyst_note" not in [r[1] for r in b.execute("PRAGMA table_info(comments)")]


def test_a_snapshot_written_with_an_analysts_column_still_restores(
        built: Path, tmp_path: Path) -> None:
    snapshot = write_snapshot(str(built), str(tmp_path / "exports"), run_id=None, keep=1, now=T0)
    # As a snapshot from before the fix: every comment line carries the analyst's column.
    path = snapshot / "comments.jsonl"
    lines = [{**line, "analyst_note": "n"} for line in read_jsonl(path)]
    path.write_text("".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines),
                    encoding="utf-8")
    manifest = manifest_of(snapshot)
    manifest["files"]["comments.jsonl"]["sha256"] = sha(path)
    (snapshot / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")

    out = build_database(snapshot, tmp_path / "restored.db")

    with closing(sqlite3.connect(out)) as conn:
        assert conn.execute("SELECT count(*) FROM comments WHERE analyst_note = 'n'"
                            ).fetchone()[0] == len(lines)


# --- exports per archive ------------------------------------------------------------------------

def crawl_here(folder: Path, base_url: str, db: str, *args: str,
               settings: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`ldv-archiver crawl ldv` run in `folder` with ARCHIVER_EXPORTS_DIR left at its default."""
    command = [str(CONSOLE), "crawl", "ldv"]
    for key, value in {**FAST, **guarded(), "ARCHIVER_BASE_URL": base_url, "ARCHIVER_DB": db,
                       **(settings or {})}.items():
        command += ["-s", f"{key}={value}"]
    for arg in args:
        command += ["-a", arg]
    return subprocess.run(command, cwd=folder, env={**os.environ, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=120, check=False)


def test_two_archives_in_one_folder_keep_their_own_snapshots(
        tmp_path: Path, quiet_mirror: MirrorServer) -> None:
    one = f"urls={quiet_mirror.base_url}{SEED_PATH}"
    real = crawl_here(tmp_path, quiet_mirror.base_url, "real.db")
    assert real.returncode == 0, real.stderr[-3000:]
    real_exports = tmp_path / "real.db.exports"
    good = latest_name(real_exports)
    assert good is not None and snapshot_names(real_exports) == [good]
    good_bytes = {p.name: p.read_bytes() for p in (real_exports / good).iterdir()}

    # Runs against another database from the same folder: its snapshots go beside it.
    for _ in range(3):
        other = crawl_here(tmp_path, quiet_mirror.base_url, "scratch.db", one,
                           settings={"ARCHIVER_EXPORTS_KEEP": "2"})
        assert other.returncode == 0, other.stderr[-3000:]
    scratch_exports = tmp_path / "scratch.db.exports"
    assert len(snapshot_names(scratch_exports)) == 2  # its own pruning worked

    assert not (tmp_path / "exports").exists()
    assert snapshot_names(real_exports) == [good]
    assert latest_name(real_exports) == good
    assert (real_exports / "LATEST").read_text(encoding="utf-8") == f"{good}\n"
    assert {p.name: p.read_bytes() for p in (real_exports / good).iterdir()} == good_bytes

    # Each manifest names its archive: the path and the id stored in it.
    real_manifest = manifest_of(real_exports / good)
    assert real_manifest["archive_path"] == str(tmp_path / "real.db")
    assert real_manifest["archive_id"] == stored_id(tmp_path / "real.db")
    assert real_manifest["files"]["comments.jsonl"]["rows"] > 0
    scratch_manifest = manifest_of(scratch_exports / "latest")
    assert scratch_manifest["archive_path"] == str(tmp_path / "scratch.db")
    assert scratch_manifest["archive_id"] == stored_id(tmp_path / "scratch.db")
    assert scratch_manifest["archive_id"] != real_manifest["archive_id"]


def test_pruning_in_a_shared_folder_keeps_to_its_own_archive(built: Path,
                                                             tmp_path: Path) -> None:
    real, scratch = tmp_path / "real.db", tmp_path / "scratch.db"
    shutil.copy(built, real)
    open_database(str(scratch)).close()
    shared = tmp_path / "exports"
    # A snapshot from before manifests named their archive: nobody's to prune.
    old = write_snapshot(str(real), str(shared), run_id=None, keep=5, now=T0)
    manifest = manifest_of(old)
    del manifest["archive_id"], manifest["archive_path"]
    (old / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    kept = write_snapshot(str(real), str(shared), run_id=1, keep=1,
                          now=T0 + timedelta(minutes=1)).name
    made = [write_snapshot(str(scratch), str(shared), run_id=i, keep=1,
                           now=T0 + timedelta(minutes=2 + i)).name for i in range(5)]
    assert snapshot_names(shared) == [old.name, kept, made[-1]]
    assert latest_name(shared) == made[-1]
    again = write_snapshot(str(real), str(shared), run_id=2, keep=1,
                           now=T0 + timedelta(hours=1)).name
    assert snapshot_names(shared) == [old.name, made[-1], again]


def test_the_exports_folder_defaults_to_the_archive_and_an_explicit_one_wins() -> None:
    assert exports_dir_for("/srv/ldv/archive.db", None) == "/srv/ldv/archive.db.exports"
    assert exports_dir_for("archive.db", None) == "archive.db.exports"
    assert exports_dir_for("archive.db", "exports") == "exports"
    assert exports_dir_for("archive.db", "") == ""
    assert project_settings.ARCHIVER_EXPORTS_DIR is None


# --- misspelt settings ----------------------------------------------------------------------

def test_a_misspelt_setting_stops_the_run_with_the_name_it_meant(
        tmp_path: Path, quiet_mirror: MirrorServer) -> None:
    db = tmp_path / "archive.db"
    quiet_mirror.clear_log()

    result = run_crawl(quiet_mirror.base_url, db, settings=guarded({"ARCHIVER_ACTIV_DAYS": "3"}))

    lines = result.stderr.splitlines()
    assert result.returncode == 2, result.stderr[-2000:]
    assert lines == ["error: ARCHIVER_ACTIV_DAYS is not a setting of the archiver; "
                     "did you mean ARCHIVER_ACTIVE_DAYS?"]
    assert quiet_mirror.requests == []
    assert listing(tmp_path) == []


def settings(**values: object) -> Settings:
    base = Settings()
    base.setmodule(project_settings)
    LdvSpider.update_settings(base)
    base.setdict(values, priority="cmdline")
    return base


@pytest.mark.parametrize(("name", "message"), [
    ("ARCHIVER_EXPORT_KEEP", "did you mean ARCHIVER_EXPORTS_KEEP?"),
    ("ARCHIVER_BUSYTIMEOUT", "did you mean ARCHIVER_BUSY_TIMEOUT?"),
    ("archiver_active_days", "did you mean ARCHIVER_ACTIVE_DAYS?"),
    ("ARCHIVER_COLOUR", "the README lists every setting"),
])
def test_unknown_archiver_names_are_refused(name: str, message: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as refused:
        check_settings(settings(**{"ARCHIVER_DB": str(tmp_path / "a.db"), name: "1"}), {})
    assert str(refused.value) == f"{name} is not a setting of the archiver; {message}"


def test_every_defined_name_and_other_projects_names_pass(tmp_path: Path) -> None:
    defined = {name: getattr(project_settings, name) for name in vars(project_settings)
               if name.startswith("ARCHIVER_")}
    check_settings(settings(**{**defined, "ARCHIVER_DB": str(tmp_path / "a.db"),
                               "ARCHIVER_BASE_URL": "https://www.libdemvoice.org",
                               "ARCHIVERS": "x", "MY_ARCHIVER_NOTE": "y"}), {})
