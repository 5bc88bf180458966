"""The archive's writer: whole threads per transaction with history, the run ledger, failures."""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

from sqlite_utils import Database

from archiver.db.queries import comments_by_id, one_row
from archiver.db.recovery import recover
from archiver.db.replies import write_reply_edges
from archiver.db.rows import (
    ARTICLE_FIELDS,
    REFRESH_SQL,
    REFRESHED,
    UPSERT_VALIDATORS,
    ThreadChanges,
    article_row,
    comment_row,
    insert_sql,
    proves_absence,
    update_sql,
)
from archiver.db.search import index_pending_search
from archiver.db.transaction import immediate
from archiver.items import Thread

logger = logging.getLogger(__name__)

# crawl_runs columns a run's closing entry may set (see Store.recover).

class Store:
    """The archive's writes; one instance per open database (the spider reads via ArchiveReader)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # --- runs -------------------------------------------------------------------------------

    def begin_run(self, mode: str, base_url: str, now: str) -> int:
        with immediate(self.db):
            # Only one run holds the lock, so any run still marked running was killed.
            self.db.execute(
                "UPDATE crawl_runs SET status = 'killed', finish_reason = 'process ended early' "
                "WHERE status = 'running'"
            )
            table = self.db.table("crawl_runs")
            table.insert({"started_at": now, "mode": mode, "status": "running",
                          "base_url": base_url})
            run_id = int(table.last_pk)  # type: ignore[arg-type]
        self.index_pending_search_if_free()  # what a killed run left waiting
        return run_id

    def finish_run(self, run_id: int, status: str, finish_reason: str, now: str,
                   counts: dict[str, Any]) -> None:
        with immediate(self.db):
            self.db.table("crawl_runs").update(
                run_id,
                {"finished_at": now, "status": status, "finish_reason": finish_reason, **counts},
            )
        self.index_pending_search_if_free()

    def record_source_check(self, run_id: int, article_id: int, rest_ids: frozenset[int],
                            html_ids: frozenset[int], html_count: int, now: str) -> None:
        """One thread read both ways; a disagreement is kept as found, never resolved."""
        with immediate(self.db):
            self.db.table("source_checks").insert({
                "run_id": run_id, "article_id": article_id, "rest_count": len(rest_ids),
                "html_count": html_count,
                "only_rest": json.dumps(sorted(rest_ids - html_ids)),
                "only_html": json.dumps(sorted(html_ids - rest_ids)),
                "agrees": int(rest_ids == html_ids and html_count == len(rest_ids)),
                "checked_at": now})

    def recover(self, entries: Sequence[dict[str, Any]]) -> int:
        """Fold what earlier runs could not write into the archive (archiver.db.recovery)."""
        return recover(self.db, entries)

    def index_pending_search(self) -> int:
        """Make the rows written since the last call searchable (see archiver.db.schema.m003)."""
        return index_pending_search(self.db)

    def index_pending_search_if_free(self) -> None:
        """As index_pending_search; rows still waiting when the archive takes no writes wait
        for the next call (a later batch, or the next run's start)."""
        try:
            self.index_pending_search()
        except sqlite3.Error as exc:
            logger.info("search index not updated now (%s); the rows wait for the next batch",
                        exc)

    # --- threads ----------------------------------------------------------------------------

    def write_thread(self, thread: Thread, run_id: int, now: str) -> ThreadChanges:
        """Store an article and all its comments in one transaction, keeping history."""
        changes = ThreadChanges()
        with immediate(self.db):
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
            # With the thread, so a reader never sees edges of comments not yet stored.
            write_reply_edges(self.db, thread.article.article_id, run_id)
        return changes

    def _write_article(self, thread: Thread, run_id: int, now: str,
                       changes: ThreadChanges) -> None:
        row = article_row(thread)
        existing = one_row(self.db, "SELECT * FROM articles WHERE article_id = ?",
                           row["article_id"])
        if existing is None:
            changes.article_new = True
            self._insert("articles", [{**row, "first_seen_at": now, "last_seen_at": now,
                                       "first_run_id": run_id, "last_run_id": run_id}])
            return
        if any(existing[key] != row[key] for key in ARTICLE_FIELDS):
            changes.article_updated = True
        updated = {**row, "last_seen_at": now, "last_run_id": run_id}
        self.db.execute(update_sql("articles", tuple(updated), "article_id"),
                        [*updated.values(), row["article_id"]])

    def _write_validators(self, thread: Thread, now: str) -> None:
        rows = [(url, etag, modified, now)
                for url, etag, modified in thread.validators if etag or modified]
        if rows:
            self.db.conn.executemany(UPSERT_VALIDATORS, rows)

    def mark_unchanged(self, article_id: int, url: str, run_id: int, now: str) -> None:
        """A 304 for the article page: everything stored is still current."""
        with immediate(self.db):
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
        rows = [comment_row(comment, article_id) for comment in thread.comments]
        stored = comments_by_id(self.db, [row["comment_id"] for row in rows])
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
            if existing["content_hash"] != row["content_hash"] and not same_text_elsewhere(
                    existing, row):
                changes.comments_edited += 1
                self._replace_body(existing, row, run_id, now)
            if existing["removed_at"] is not None:
                changes.comments_restored += 1
                self._event(comment_id, article_id, run_id, "restored", now)
            refreshed.append([row[column] for column in REFRESHED] + [now, run_id, comment_id])
        if new_rows:
            self._insert("comments", new_rows)
        if refreshed:
            # One statement for every comment seen again: most re-reads change nothing else.
            self.db.conn.executemany(REFRESH_SQL, refreshed)
        changes.foreign_ids = tuple(foreign)
        return seen

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
        self.db.conn.executemany(insert_sql(table, tuple(rows[0])),
                                 [tuple(row.values()) for row in rows])

    # --- failures ---------------------------------------------------------------------------

    def record_failure(self, run_id: int, url: str, reason: str, http_status: int | None,
                       attempts: int, now: str) -> None:
        self.record_failures([(run_id, url, reason, http_status, attempts)], now)

    def record_failures(self, failures: Iterable[tuple[int, str, str, int | None, int]],
                        now: str) -> None:
        """(run_id, url, reason, http_status, attempts) rows, in one transaction."""
        with immediate(self.db):
            self.db.conn.executemany(
                "INSERT INTO failures (run_id, url, reason, http_status, attempts, failed_at) "
                "VALUES (?, ?, ?, ?, ?, ?)", [(*failure, now) for failure in failures])

    def resolve_failures(self, urls: Iterable[str], run_id: int, now: str) -> int:
        # Most pages read never failed: asking first spares them the write lock.
        open_urls = [url for url in dict.fromkeys(urls) if self.db.conn.execute(
            "SELECT 1 FROM failures WHERE url = ? AND resolved_at IS NULL LIMIT 1", [url]
        ).fetchall()]
        if not open_urls:
            return 0
        resolved = 0
        with immediate(self.db):
            for url in open_urls:
                cursor = self.db.execute(
                    "UPDATE failures SET resolved_at = ?, resolved_in_run_id = ? "
                    "WHERE url = ? AND resolved_at IS NULL",
                    [now, run_id, url],
                )
                resolved += cursor.rowcount
        return resolved


def same_text_elsewhere(existing: dict[str, Any], row: dict[str, Any]) -> bool:
    """The same words read from the other source: REST's rendered HTML and a theme's differ in
    markup for one unedited comment, so across sources only the text can show an edit."""
    return bool(existing["source"] != row["source"] and existing["body"] == row["body"])
