"""Lookups both the writer and the reader make."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database


def one_row(db: Database, sql: str, *params: Any) -> dict[str, Any] | None:
    rows = list(db.query(sql, list(params)))
    return rows[0] if rows else None


def comments_by_id(db: Database, comment_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Stored comment rows by id, asked for in chunks under SQLite's variable limit."""
    found: dict[int, dict[str, Any]] = {}
    for chunk in range(0, len(comment_ids), 500):
        ids = comment_ids[chunk:chunk + 500]
        marks = ",".join("?" * len(ids))
        for row in db.query(f"SELECT * FROM comments WHERE comment_id IN ({marks})", ids):
            found[row["comment_id"]] = row
    return found
