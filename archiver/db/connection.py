"""Opening the archive: a writer (schema applied, file stamped) or a reader; what a file is."""

from __future__ import annotations

import sqlite3

from sqlite_utils import Database

from archiver.db.identity import (
    APPLICATION_ID,
    FileKind,
    NotAnArchive,
    inspect_connection,
    inspect_file,
)
from archiver.db.schema import SCHEMA_VERSION, migrations

__all__ = ["FileKind", "NotAnArchive", "archive_id", "check_connection", "check_file",
           "open_database", "open_reader", "stamp"]


def check_file(path: str) -> FileKind:
    """What `path` is (new, an archive, one from before the stamp); NotAnArchive if neither.

    Reads the file itself: only for a process with no connection to it yet (the preflight).
    """
    return inspect_file(path, schema_version=SCHEMA_VERSION)


def check_connection(conn: sqlite3.Connection, path: str) -> FileKind:
    """As check_file, asking an open connection (reads only)."""
    return inspect_connection(conn, path, schema_version=SCHEMA_VERSION)


def archive_id(conn: sqlite3.Connection) -> str | None:
    """The archive's UUID (None for a database without one)."""
    try:
        row = conn.execute("SELECT value FROM archive_meta WHERE key = 'archive_id'").fetchone()
    except sqlite3.OperationalError as exc:
        if "no such table" not in str(exc):
            raise
        return None
    return str(row[0]) if row else None


def open_reader(path: str, *, busy_timeout: float = 30.0) -> Database:
    """Open an archive whose schema a writer has applied, for reading only."""
    db = Database(path)
    db.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
    db.execute("PRAGMA query_only = ON")
    return db


def open_database(path: str, *, busy_timeout: float = 30.0) -> Database:
    """Open (creating if needed) the archive in WAL mode with the schema applied and stamped.

    Raises NotAnArchive, before anything is written, for a file that is not an archive.
    """
    db = Database(path)
    db.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
    if path != ":memory:":
        # Through the connection, never the file: closing a handle on the file would drop the
        # locks this process's other connections hold on it.
        try:
            check_connection(db.conn, path)
        except NotAnArchive:
            db.close()
            raise
    db.execute("PRAGMA foreign_keys = ON")
    if path != ":memory:":
        db.enable_wal()
        # In WAL mode NORMAL never corrupts and survives a killed process; only a power cut
        # can undo the last commits, which the next run fetches again.
        db.execute("PRAGMA synchronous = NORMAL")
    migrations.apply(db)
    stamp(db)
    return db


def stamp(db: Database) -> None:
    """Mark the file as an archive at this schema version (an archive from before, too)."""
    for pragma, value in (("application_id", APPLICATION_ID), ("user_version", SCHEMA_VERSION)):
        if db.execute(f"PRAGMA {pragma}").fetchone()[0] != value:
            db.execute(f"PRAGMA {pragma} = {int(value)}")
