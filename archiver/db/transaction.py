"""Write transactions that take the write lock up front, and what a failed write means."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from sqlite_utils import Database

# SQLite's primary result codes (the low byte of an extended code).
_BUSY = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}
# The archive cannot take writes at all: nothing later in the run would be stored either.
_UNWRITABLE = {sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_READONLY,
               sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_NOTADB,
               sqlite3.SQLITE_PERM, sqlite3.SQLITE_NOMEM}


@contextmanager
def immediate(db: Database) -> Iterator[Database]:
    """A write transaction that takes the write lock first (`BEGIN IMMEDIATE`).

    sqlite-utils' `atomic()` begins a deferred transaction; a write that reads first then
    has to upgrade a read lock, which SQLite refuses at once (SQLITE_BUSY) while another
    connection holds the write lock: the busy timeout never applies. Taking the lock at
    `BEGIN` makes the write wait up to the busy timeout instead. Inside an open transaction
    this is a savepoint, as `atomic()` is.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.rollback()
        raise
    try:
        db.conn.execute("COMMIT")
    except BaseException:
        db.rollback()
        raise


def _code(error: sqlite3.Error) -> int | None:
    code = getattr(error, "sqlite_errorcode", None)
    return None if code is None else int(code) & 0xFF


def is_busy(error: BaseException) -> bool:
    """Another connection held the lock past the busy timeout: a later write may succeed."""
    if not isinstance(error, sqlite3.Error):
        return False
    code = _code(error)
    if code is not None:
        return code in _BUSY
    text = str(error).lower()
    return "locked" in text or "busy" in text


def is_unwritable(error: BaseException) -> bool:
    """The archive takes no writes (disk full, I/O error, read-only, damaged): stop the run."""
    if not isinstance(error, sqlite3.Error) or is_busy(error):
        return False
    code = _code(error)
    if code is not None:
        return code in _UNWRITABLE
    text = str(error).lower()
    return any(word in text for word in ("disk is full", "disk i/o", "readonly", "read-only",
                                         "malformed", "unable to open"))


def write_problem(error: BaseException) -> str:
    """A failed write in a few words, for a log line."""
    return str(error).strip() or type(error).__name__
