"""Reads and writes of the SQLite archive: whole threads per transaction, history kept."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlite_utils import Database

from archiver.items import Comment, Thread
from archiver.schema import index_pending_search
from archiver.ukdates import to_local_iso, to_utc_iso


def utc_now() -> str:
    return to_utc_iso(datetime.now(UTC))


def content_hash(body: str, body_html: str) -> str:
    return hashlib.sha256(f"{body}\x00{body_html}".encode()).hexdigest()


@dataclass
class ThreadChanges:
    """What storing one thread changed; the run ledger adds these up."""

    article_new: bool = False
    article_updated: bool = False
    comments_new: int = 0
    comments_edited: int = 0
    comments_removed: int = 0
    comments_restored: int = 0
    comments_seen: int = 0
    foreign_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class ArticleState:
    """What the archive knows of an article, for deciding whether to fetch it again."""

    article_id: int
    url: str
    published_at_utc: str | None
    comment_count_listed: int | None
    last_verified_at: str | None


ARTICLE_FIELDS = ("url", "title", "author", "published_at", "published_at_utc", "published_raw",
                  "categories", "tags", "body", "comment_count_declared")


def _article_row(thread: Thread) -> dict[str, Any]:
    article = thread.article
    published = article.published_at
    return {
        "article_id": article.article_id,
        "url": article.url,
        "title": article.title,
        "author": article.author,
        "published_at": to_local_iso(published) if published else None,
        "published_at_utc": to_utc_iso(published) if published else None,
        "published_raw": article.published_raw,
        "categories": json.dumps(list(article.categories), ensure_ascii=False),
        "tags": json.dumps(list(article.tags), ensure_ascii=False),
        "body": article.body,
        "comment_count_declared": article.comment_count_declared,
        "comment_count_extracted": len(thread.comments),
    }


def _comment_row(comment: Comment, article_id: int) -> dict[str, Any]:
    posted = comment.posted_at
    return {
        "comment_id": comment.comment_id,
        "article_id": article_id,
        "author": comment.author,
        "author_url": comment.author_url,
        "posted_at": to_local_iso(posted) if posted else None,
        "posted_at_utc": to_utc_iso(posted) if posted else None,
        "posted_raw": comment.posted_raw,
        "body": comment.body,
        "body_html": comment.body_html,
        "content_hash": content_hash(comment.body, comment.body_html),
        "position": comment.position,
        "is_post_author": int(comment.is_post_author),
    }


def proves_absence(thread: Thread) -> bool:
    """Whether a stored comment missing from this page may be taken as removed.

    Not when the page shows no comments and no heading saying there are none (comments
    closed, a theme change, a broken page), nor when it shows fewer than its own heading.
    """
    declared = thread.article.comment_count_declared
    if not thread.comments:
        return declared == 0
    return declared is None or len(thread.comments) >= declared


# Columns a re-read refreshes from the page; body changes go through _replace_body.
_REFRESHED = ("author", "author_url", "posted_at", "posted_at_utc", "posted_raw", "position",
              "is_post_author")
_REFRESH_SQL = (
    "UPDATE comments SET " + ", ".join(f"{column} = ?" for column in _REFRESHED)
    + ", removed_at = NULL, last_seen_at = ?, last_run_id = ? WHERE comment_id = ?"
)


# The per-thread writes run as plain statements: sqlite-utils' insert, update and upsert
# re-read the table's schema on every call, a third of the time storing a thread took.
@functools.cache
def _insert_sql(table: str, columns: tuple[str, ...]) -> str:
    names = ", ".join(f'"{column}"' for column in columns)
    return f'INSERT INTO "{table}" ({names}) VALUES ({", ".join("?" * len(columns))})'


@functools.cache
def _update_sql(table: str, columns: tuple[str, ...], pk: str) -> str:
    assignments = ", ".join(f'"{column}" = ?' for column in columns)
    return f'UPDATE "{table}" SET {assignments} WHERE "{pk}" = ?'


_UPSERT_VALIDATORS = (
    "INSERT INTO http_validators (url, etag, last_modified, checked_at) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (url) DO UPDATE SET etag = excluded.etag, "
    "last_modified = excluded.last_modified, checked_at = excluded.checked_at"
)


class Store:
    """The archive's write and read operations; one instance per open database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # --- runs -------------------------------------------------------------------------------

    def begin_run(self, mode: str, base_url: str, now: str) -> int:
        self.index_pending_search()  # what a killed run left waiting
        with self.db.atomic():
            # Only one run holds the lock, so any run still marked running was killed.
            self.db.execute(
                "UPDATE crawl_runs SET status = 'killed', finish_reason = 'process ended early' "
                "WHERE status = 'running'"
            )
            table = self.db.table("crawl_runs")
            table.insert({"started_at": now, "mode": mode, "status": "running",
                          "base_url": base_url})
            return int(table.last_pk)  # type: ignore[arg-type]

    def finish_run(self, run_id: int, status: str, finish_reason: str, now: str,
                   counts: dict[str, int]) -> None:
        with self.db.atomic():
            self.db.table("crawl_runs").update(
                run_id,
                {"finished_at": now, "status": status, "finish_reason": finish_reason, **counts},
            )
        self.index_pending_search()

    def index_pending_search(self) -> int:
        """Make the rows written since the last call searchable (see schema.m003)."""
        return index_pending_search(self.db)

    # --- threads ----------------------------------------------------------------------------

    def write_thread(self, thread: Thread, run_id: int, now: str) -> ThreadChanges:
        """Store an article and all its comments in one transaction, keeping history."""
        changes = ThreadChanges()
        with self.db.atomic():
            self._write_article(thread, run_id, now, changes)
            seen = self._write_comments(thread, run_id, now, changes)
            self._write_validators(thread, now)
            if thread.listed_count is not None:
                self.db.execute(
                    "UPDATE articles SET comment_count_listed = ? WHERE article_id = ?",
                    [thread.listed_count, thread.article.article_id],
                )
            if thread.complete:
                if proves_absence(thread):
                    self._tombstone_missing(thread.article.article_id, seen, run_id, now,
                                            changes)
                self.db.execute(
                    "UPDATE articles SET last_verified_at = ? WHERE article_id = ?",
                    [now, thread.article.article_id],
                )
        return changes

    def _write_article(self, thread: Thread, run_id: int, now: str,
                       changes: ThreadChanges) -> None:
        row = _article_row(thread)
        existing = self._one("SELECT * FROM articles WHERE article_id = ?", row["article_id"])
        if existing is None:
            changes.article_new = True
            self._insert("articles", [{**row, "first_seen_at": now, "last_seen_at": now,
                                       "first_run_id": run_id, "last_run_id": run_id}])
            return
        if any(existing[key] != row[key] for key in ARTICLE_FIELDS):
            changes.article_updated = True
        updated = {**row, "last_seen_at": now, "last_run_id": run_id}
        self.db.execute(_update_sql("articles", tuple(updated), "article_id"),
                        [*updated.values(), row["article_id"]])

    def _write_validators(self, thread: Thread, now: str) -> None:
        rows = [(url, etag, modified, now)
                for url, etag, modified in thread.validators if etag or modified]
        if rows:
            self.db.conn.executemany(_UPSERT_VALIDATORS, rows)

    def mark_unchanged(self, article_id: int, url: str, run_id: int, now: str) -> None:
        """A 304 for the article page: everything stored is still current."""
        with self.db.atomic():
            self.db.execute(
                "UPDATE articles SET last_verified_at = ?, last_seen_at = ?, last_run_id = ? "
                "WHERE article_id = ?", [now, now, run_id, article_id])
            self.db.execute(
                "UPDATE comments SET last_seen_at = ?, last_run_id = ? "
                "WHERE article_id = ? AND removed_at IS NULL", [now, run_id, article_id])
            self.db.execute("UPDATE http_validators SET checked_at = ? WHERE url = ?", [now, url])

    def _write_comments(self, thread: Thread, run_id: int, now: str,
                        changes: ThreadChanges) -> set[int]:
        article_id = thread.article.article_id
        rows = [_comment_row(comment, article_id) for comment in thread.comments]
        stored = self._comments_by_id([row["comment_id"] for row in rows])
        seen: set[int] = set()
        foreign: list[int] = []
        new_rows: list[dict[str, Any]] = []
        refreshed: list[list[Any]] = []
        for comment, row in zip(thread.comments, rows, strict=True):
            comment_id = row["comment_id"]
            existing = stored.get(comment_id)
            if existing is not None and existing["article_id"] != article_id:
                # A WordPress id is unique site-wide; another article claiming it is bad input.
                foreign.append(comment_id)
                continue
            seen.add(comment_id)
            changes.comments_seen += 1
            if existing is None:
                changes.comments_new += 1
                new_rows.append({**row, "has_wordpress_id": int(comment.comment_id is not None
                                                                and comment_id > 0),
                                 "first_seen_at": now, "last_seen_at": now,
                                 "first_run_id": run_id, "last_run_id": run_id})
                continue
            if existing["content_hash"] != row["content_hash"]:
                changes.comments_edited += 1
                self._replace_body(existing, row, run_id, now)
            if existing["removed_at"] is not None:
                changes.comments_restored += 1
                self._event(comment_id, article_id, run_id, "restored", now)
            refreshed.append([row[column] for column in _REFRESHED] + [now, run_id, comment_id])
        if new_rows:
            self._insert("comments", new_rows)
        if refreshed:
            # One statement for every comment seen again: most re-reads change nothing else.
            self.db.conn.executemany(_REFRESH_SQL, refreshed)
        changes.foreign_ids = tuple(foreign)
        return seen

    def _comments_by_id(self, comment_ids: list[int]) -> dict[int, dict[str, Any]]:
        found: dict[int, dict[str, Any]] = {}
        for chunk in range(0, len(comment_ids), 500):
            ids = comment_ids[chunk:chunk + 500]
            marks = ",".join("?" * len(ids))
            for row in self.db.query(
                    f"SELECT * FROM comments WHERE comment_id IN ({marks})", ids):
                found[row["comment_id"]] = row
        return found

    def _replace_body(self, existing: dict[str, Any], row: dict[str, Any], run_id: int,
                      now: str) -> None:
        self._keep_old_version(existing, run_id, now)
        self.db.execute(
            "UPDATE comments SET body = ?, body_html = ?, content_hash = ?, edited_at = ?, "
            "edit_count = coalesce(edit_count, 0) + 1 WHERE comment_id = ?",
            [row["body"], row["body_html"], row["content_hash"], now, existing["comment_id"]])

    def _keep_old_version(self, existing: dict[str, Any], run_id: int, now: str) -> None:
        self.db.table("comment_versions").insert({
            "comment_id": existing["comment_id"],
            "body": existing["body"],
            "body_html": existing["body_html"],
            "content_hash": existing["content_hash"],
            "first_seen_at": existing["edited_at"] or existing["first_seen_at"],
            "last_seen_at": existing["last_seen_at"],
            "replaced_at": now,
            "replaced_in_run_id": run_id,
        })
        self._event(existing["comment_id"], existing["article_id"], run_id, "edited", now)

    def _tombstone_missing(self, article_id: int, seen: set[int], run_id: int, now: str,
                           changes: ThreadChanges) -> None:
        present = [
            row["comment_id"]
            for row in self.db.query(
                "SELECT comment_id FROM comments WHERE article_id = ? AND removed_at IS NULL",
                [article_id],
            )
        ]
        for comment_id in present:
            if comment_id in seen:
                continue
            changes.comments_removed += 1
            self.db.execute(
                "UPDATE comments SET removed_at = ?, last_run_id = ? WHERE comment_id = ?",
                [now, run_id, comment_id],
            )
            self._event(comment_id, article_id, run_id, "removed", now)

    def _event(self, comment_id: int, article_id: int, run_id: int, event: str, now: str) -> None:
        self.db.table("comment_events").insert({"comment_id": comment_id, "article_id": article_id,
                                                "run_id": run_id, "event": event, "at": now})

    def _insert(self, table: str, rows: Sequence[dict[str, Any]]) -> None:
        """Rows with the same keys, in one statement."""
        self.db.conn.executemany(_insert_sql(table, tuple(rows[0])),
                                 [tuple(row.values()) for row in rows])

    def _one(self, sql: str, *params: Any) -> dict[str, Any] | None:
        rows = list(self.db.query(sql, list(params)))
        return rows[0] if rows else None

    # --- failures ---------------------------------------------------------------------------

    def record_failure(self, run_id: int, url: str, reason: str, http_status: int | None,
                       attempts: int, now: str) -> None:
        with self.db.atomic():
            self.db.table("failures").insert({
                "run_id": run_id, "url": url, "reason": reason, "http_status": http_status,
                "attempts": attempts, "failed_at": now,
            })

    def resolve_failures(self, urls: Iterable[str], run_id: int, now: str) -> int:
        resolved = 0
        with self.db.atomic():
            for url in urls:
                cursor = self.db.execute(
                    "UPDATE failures SET resolved_at = ?, resolved_in_run_id = ? "
                    "WHERE url = ? AND resolved_at IS NULL",
                    [now, run_id, url],
                )
                resolved += cursor.rowcount
        return resolved

    def unresolved_failure_urls(self) -> list[str]:
        return [row["url"] for row in self.db.query(
            "SELECT DISTINCT url FROM failures WHERE resolved_at IS NULL ORDER BY url")]

    # --- incremental state (read by the spider to decide what to fetch) -------------------

    def backfill_finished(self) -> bool:
        """Whether a backfill run ever reached its end (some pages may still have failed)."""
        return self._one("SELECT 1 AS done FROM crawl_runs WHERE mode = 'backfill' AND "
                         "finish_reason = 'finished' LIMIT 1") is not None

    def article_state(self, article_id: int) -> ArticleState | None:
        row = self._one(
            "SELECT article_id, url, published_at_utc, comment_count_listed, last_verified_at "
            "FROM articles WHERE article_id = ?", article_id)
        return ArticleState(**row) if row else None

    def validators(self, url: str) -> tuple[str | None, str | None]:
        row = self._one("SELECT etag, last_modified FROM http_validators WHERE url = ?", url)
        return (row["etag"], row["last_modified"]) if row else (None, None)

    def article_count(self) -> int:
        return self.db["articles"].count

    def least_recently_verified(self, limit: int) -> list[tuple[int, str]]:
        """Articles for the audit sweep: never-verified first, then the oldest check."""
        return [(row["article_id"], row["url"]) for row in self.db.query(
            "SELECT article_id, url FROM articles ORDER BY last_verified_at IS NOT NULL, "
            "last_verified_at, article_id LIMIT ?", [limit])]

    def articles_published_since(self, since_utc: str) -> list[tuple[int, str]]:
        return [(row["article_id"], row["url"]) for row in self.db.query(
            "SELECT article_id, url FROM articles WHERE published_at_utc >= ? "
            "ORDER BY published_at_utc DESC", [since_utc])]

    def unknown_comment_ids(self, comment_ids: Iterable[int]) -> set[int]:
        wanted = set(comment_ids)
        return wanted - self._comments_by_id(sorted(wanted)).keys()
