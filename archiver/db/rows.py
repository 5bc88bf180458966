"""Rows and statements for storing a thread: what each table holds, built once."""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from archiver.dates import to_local_iso, to_utc_iso
from archiver.items import Comment, Thread


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


ARTICLE_FIELDS = ("url", "title", "author", "published_at", "published_at_utc", "published_raw",
                  "categories", "tags", "body", "comment_count_declared")


def article_row(thread: Thread) -> dict[str, Any]:
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
        "source": thread.source,
    }


def comment_row(comment: Comment, article_id: int) -> dict[str, Any]:
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
        "parent_id": comment.parent_id,
        "source": comment.source,
    }


def proves_absence(thread: Thread) -> bool:
    """Whether a stored comment missing from this page may be taken as removed.

    Not when the page shows no comments and no heading saying there are none (comments
    closed, a theme change, a broken page), nor when it shows fewer than its own heading
    (which counts the pingbacks and trackbacks it shows too).
    """
    declared = thread.article.comment_count_declared
    if not thread.comments:
        return declared == 0 or (declared is not None and declared == thread.pings_shown > 0)
    return declared is None or len(thread.comments) + thread.pings_shown >= declared


# Columns a re-read refreshes from the page; body changes go through Store.replace_body.
REFRESHED = ("author", "author_url", "posted_at", "posted_at_utc", "posted_raw", "position",
              "is_post_author", "parent_id", "source")
REFRESH_SQL = (
    "UPDATE comments SET " + ", ".join(f"{column} = ?" for column in REFRESHED)
    + ", removed_at = NULL, last_seen_at = ?, last_run_id = ? WHERE comment_id = ?"
)


# The per-thread writes run as plain statements: sqlite-utils' insert, update and upsert
# re-read the table's schema on every call, a third of the time storing a thread took.
@functools.cache
def insert_sql(table: str, columns: tuple[str, ...]) -> str:
    names = ", ".join(f'"{column}"' for column in columns)
    return f'INSERT INTO "{table}" ({names}) VALUES ({", ".join("?" * len(columns))})'


@functools.cache
def update_sql(table: str, columns: tuple[str, ...], pk: str) -> str:
    assignments = ", ".join(f'"{column}" = ?' for column in columns)
    return f'UPDATE "{table}" SET {assignments} WHERE "{pk}" = ?'


UPSERT_VALIDATORS = (
    "INSERT INTO http_validators (url, etag, last_modified, checked_at) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (url) DO UPDATE SET etag = excluded.etag, "
    "last_modified = excluded.last_modified, checked_at = excluded.checked_at"
)


