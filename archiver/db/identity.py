"""Whether a file is an archive: its stamp, or the signs of one made before archives were stamped.

An archive carries `PRAGMA application_id` = APPLICATION_ID and `PRAGMA user_version` = its
schema version, and an `archive_meta` row with a UUID (`archive_id`) made when it was created.
Two ways to look, neither writing anything: `inspect_file` reads the file itself (its header,
its size, its schema through an immutable connection: no journal, no `-wal`/`-shm` created) and
is for a process that has no connection to it yet, the crawl's preflight: closing any handle on
a file drops every POSIX lock the process holds on it, SQLite's too. `inspect_connection` asks an
open connection, and is what a writer does before its first write.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

# "LDVA": written into every archive's header, where SQLite keeps an application's file type.
APPLICATION_ID = 0x4C445641
# The tables and migration set that mark an archive made before the stamp existed.
EARLIER_ARCHIVE_TABLES = frozenset({"crawl_runs", "articles", "comments"})
MIGRATION_SET = "archiver"
MIGRATIONS_TABLE = "_sqlite_migrations"
META_TABLE = "archive_meta"

_SQLITE_MAGIC = b"SQLite format 3\x00"
_HEADER = 100


class FileKind(Enum):
    NEW = "new"  # absent, empty, or an SQLite file with nothing in it: becomes an archive
    ARCHIVE = "archive"  # stamped
    EARLIER_ARCHIVE = "earlier archive"  # made before the stamp: adopted and stamped


class NotAnArchive(Exception):
    """The file is not an archive the archiver may write; `reason` completes "<path> …"."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path} {reason}")
        self.path = path
        self.reason = reason


def inspect_file(path: str, *, schema_version: int) -> FileKind:
    """What `path` is, or NotAnArchive (one line) if the archiver must not open it.

    Only where this process has no connection to `path` (see the module's docstring).
    """
    file = Path(path)
    if not file.exists() or file.stat().st_size == 0:
        return FileKind.NEW
    with file.open("rb") as handle:
        header = handle.read(_HEADER)
    if not header.startswith(_SQLITE_MAGIC):
        raise NotAnArchive(path, "is not an SQLite database")
    if len(header) < _HEADER:
        raise NotAnArchive(path, f"is a damaged SQLite database (cut short: {len(header)} "
                                 "bytes, not even a whole header)")
    size = file.stat().st_size
    wal, shm = Path(f"{path}-wal"), Path(f"{path}-shm")
    live_wal = wal.exists() and wal.stat().st_size > 0
    page_size = _page_size(header)
    if page_size is None:
        raise NotAnArchive(path, "is not an SQLite database (its header is not SQLite's)")
    if not live_wal:
        # With no log beside it the file is the whole database: it must hold whole pages, as
        # many as its header counts (valid when the change counter matches, as SQLite's own).
        pages = int.from_bytes(header[28:32], "big")
        counted = header[24:28] == header[92:96] and pages > 0
        if size < page_size or size % page_size or (counted and size < pages * page_size):
            expected = f"{pages * page_size} bytes" if counted else "whole pages"
            raise NotAnArchive(path, f"is a damaged SQLite database (cut short: {size} bytes, "
                                     f"its header says {expected})")
    if int.from_bytes(header[68:72], "big") == APPLICATION_ID:
        # Stamped in the file itself (a stamp still in the log is read through SQLite below).
        return _archive(path, int.from_bytes(header[60:64], "big"), schema_version)
    # Immutable while nothing uses the file (no -wal, no -shm): it takes no locks and creates
    # no files. Read-only through the log otherwise (a killed or running writer's).
    mode = "mode=ro" if wal.exists() or shm.exists() else "immutable=1"
    try:
        with closing(sqlite3.connect(f"{file.resolve().as_uri()}?{mode}", uri=True, timeout=5,
                                     isolation_level=None)) as conn:
            facts = _facts(conn)
    except sqlite3.Error as exc:
        raise NotAnArchive(path, f"is a damaged SQLite database ({exc})") from None
    return _classify(path, facts, schema_version)


def inspect_connection(conn: sqlite3.Connection, path: str, *,
                       schema_version: int) -> FileKind:
    """What the database `conn` has open is (reads only), or NotAnArchive."""
    try:
        facts = _facts(conn)
    except sqlite3.DatabaseError as exc:
        if "not a database" in str(exc):
            raise NotAnArchive(path, "is not an SQLite database") from None
        raise NotAnArchive(path, f"is a damaged SQLite database ({exc})") from None
    return _classify(path, facts, schema_version)


@dataclass(frozen=True)
class _Facts:
    application_id: int
    user_version: int
    tables: frozenset[str]
    # Schema objects (tables, indexes, views, triggers) besides the migrations table's.
    others: int
    our_migrations: int
    other_migrations: int


def _classify(path: str, facts: _Facts, schema_version: int) -> FileKind:
    if facts.application_id == APPLICATION_ID:
        return _archive(path, facts.user_version, schema_version)
    if facts.application_id:
        raise NotAnArchive(path, f"is another application's SQLite database (application_id "
                                 f"{facts.application_id:#x}), not an archive; name a new file "
                                 "or an archive")
    if facts.our_migrations and facts.tables >= EARLIER_ARCHIVE_TABLES:
        return FileKind.EARLIER_ARCHIVE
    if not facts.others and not facts.user_version and not facts.other_migrations:
        # Nothing in it yet (or only the migrations table of a first run killed at once).
        return FileKind.NEW
    shown = sorted(facts.tables)
    listed = ", ".join(shown[:5]) + (f" and {len(shown) - 5} more" if len(shown) > 5 else "")
    raise NotAnArchive(path, f"is another application's SQLite database (tables: "
                             f"{listed or 'none'}; no archive stamp), not an archive; name a "
                             "new file or an archive")


def _archive(path: str, user_version: int, schema_version: int) -> FileKind:
    if user_version > schema_version:
        raise NotAnArchive(path, f"is an archive of a newer version of the archiver (schema "
                                 f"{user_version}; this one knows {schema_version})")
    return FileKind.ARCHIVE


def _page_size(header: bytes) -> int | None:
    raw = int.from_bytes(header[16:18], "big")
    size = 65536 if raw == 1 else raw
    # File format versions 1 (rollback journal) or 2 (WAL); payload fractions fixed at 64/32/32.
    if (size < 512 or size > 65536 or size & (size - 1) or header[18] not in (1, 2)
            or header[19] not in (1, 2) or header[21:24] != b"\x40\x20\x20"):
        return None
    return size


def _facts(conn: sqlite3.Connection) -> _Facts:
    application_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
    user_version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    schema = conn.execute("SELECT type, name, tbl_name FROM sqlite_master").fetchall()
    tables = frozenset(str(name) for kind, name, _ in schema if kind == "table")
    ours = other = 0
    if MIGRATIONS_TABLE in tables:
        try:
            for is_ours, count in conn.execute(
                    "SELECT migration_set = ?, count(*) FROM _sqlite_migrations "
                    "GROUP BY migration_set = ?", [MIGRATION_SET, MIGRATION_SET]):
                ours, other = (int(count), other) if is_ours else (ours, int(count))
        except sqlite3.OperationalError:  # someone else's table of that name
            other = 1
    return _Facts(application_id, user_version, tables,
                  sum(1 for _, _, table in schema if table != MIGRATIONS_TABLE), ours, other)
