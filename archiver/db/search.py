"""Full-text search: which columns are indexed, and indexing the rows that wait for it."""

from __future__ import annotations

from sqlite_utils import Database

from archiver.db.transaction import immediate

# Full-text search: table -> indexed columns.
SEARCHED = {"comments": ("author", "body"), "articles": ("title", "body")}


def index_pending_search(db: Database) -> int:
    """Add the rows waiting for search to the FTS indexes, in one transaction; how many."""
    waiting = " UNION ALL ".join(f'SELECT 1 FROM "{table}_search_pending"' for table in SEARCHED)
    if not db.conn.execute(f"SELECT EXISTS ({waiting})").fetchall()[0][0]:
        return 0  # nothing waits: no need for the write lock
    indexed = 0
    with immediate(db):
        for table, columns in SEARCHED.items():
            listed = column_lists(columns)[0]
            values = ", ".join(f'source."{column}"' for column in columns)
            pending = f"{table}_search_pending"
            indexed += db.execute(
                f'INSERT INTO "{table}_fts" (rowid, {listed}) SELECT source.rowid, {values} '
                f'FROM "{pending}" JOIN "{table}" AS source ON source.rowid = "{pending}".row_id'
            ).rowcount
            db.execute(f'DELETE FROM "{pending}"')
    return indexed


def column_lists(columns: tuple[str, ...]) -> tuple[str, str, str, str]:
    """For a trigger: the columns, their old and new values, and "any of them changed"."""
    listed = ", ".join(f'"{column}"' for column in columns)
    old = ", ".join(f'old."{column}"' for column in columns)
    new = ", ".join(f'new."{column}"' for column in columns)
    changed = " OR ".join(f'old."{column}" IS NOT new."{column}"' for column in columns)
    return listed, old, new, changed
