"""The archive's schema, declared as sqlite-utils migrations applied before the first write."""

from __future__ import annotations

import uuid
from functools import cache

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from archiver.db.identity import (
    META_TABLE,
    MIGRATION_SET,
)
from archiver.db.replies import write_reply_edges
from archiver.db.search import SEARCHED, column_lists

__all__ = ["SCHEMA_VERSION", "declared_columns", "migrations"]

migrations = Migrations(MIGRATION_SET)


@migrations()
def m001_core(db: Database) -> None:
    db.table("crawl_runs").create(
        {
            "run_id": int,
            "started_at": str,
            "finished_at": str,
            "mode": str,
            "status": str,
            "finish_reason": str,
            "requests": int,
            "pages_parsed": int,
            "articles_new": int,
            "articles_updated": int,
            "comments_new": int,
            "comments_edited": int,
            "comments_removed": int,
            "comments_restored": int,
            "count_mismatches": int,
            "date_warnings": int,
            "errors": int,
            "base_url": str,
        },
        pk="run_id",
        not_null={"started_at", "mode", "status"},
    )
    db.table("articles").create(
        {
            "article_id": int,
            "url": str,
            "title": str,
            "author": str,
            "published_at": str,
            "published_at_utc": str,
            "published_raw": str,
            "categories": str,
            "tags": str,
            "body": str,
            "comment_count_declared": int,
            "comment_count_extracted": int,
            "comment_count_listed": int,
            "first_seen_at": str,
            "last_seen_at": str,
            "last_verified_at": str,
            "first_run_id": int,
            "last_run_id": int,
        },
        pk="article_id",
        not_null={"url", "first_seen_at", "last_seen_at"},
        foreign_keys=[
            ("first_run_id", "crawl_runs", "run_id"),
            ("last_run_id", "crawl_runs", "run_id"),
        ],
    )
    db.table("articles").create_index(["published_at_utc"])
    db.table("articles").create_index(["last_verified_at"])
    db.table("comments").create(
        {
            "comment_id": int,
            "article_id": int,
            "author": str,
            "author_url": str,
            "posted_at": str,
            "posted_at_utc": str,
            "posted_raw": str,
            "body": str,
            "body_html": str,
            "content_hash": str,
            "position": int,
            "is_post_author": int,
            "has_wordpress_id": int,
            "first_seen_at": str,
            "last_seen_at": str,
            "edited_at": str,
            "edit_count": int,
            "removed_at": str,
            "first_run_id": int,
            "last_run_id": int,
        },
        pk="comment_id",
        not_null={"article_id", "author", "body", "first_seen_at", "last_seen_at"},
        defaults={"edit_count": 0, "is_post_author": 0, "has_wordpress_id": 1},
        foreign_keys=[
            ("article_id", "articles", "article_id"),
            ("first_run_id", "crawl_runs", "run_id"),
            ("last_run_id", "crawl_runs", "run_id"),
        ],
    )
    db.table("comments").create_index(["article_id", "position"])
    db.table("comments").create_index(["author"])
    db.table("comments").create_index(["posted_at_utc"])
    db.table("comment_versions").create(
        {
            "version_id": int,
            "comment_id": int,
            "body": str,
            "body_html": str,
            "content_hash": str,
            "first_seen_at": str,
            "last_seen_at": str,
            "replaced_at": str,
            "replaced_in_run_id": int,
        },
        pk="version_id",
        not_null={"comment_id", "content_hash"},
        foreign_keys=[
            ("comment_id", "comments", "comment_id"),
            ("replaced_in_run_id", "crawl_runs", "run_id"),
        ],
    )
    db.table("comment_versions").create_index(["comment_id"])
    db.table("comment_events").create(
        {
            "event_id": int,
            "comment_id": int,
            "article_id": int,
            "run_id": int,
            "event": str,
            "at": str,
        },
        pk="event_id",
        not_null={"comment_id", "event", "at"},
        foreign_keys=[
            ("comment_id", "comments", "comment_id"),
            ("article_id", "articles", "article_id"),
            ("run_id", "crawl_runs", "run_id"),
        ],
    )
    db.table("comment_events").create_index(["comment_id"])
    db.table("failures").create(
        {
            "failure_id": int,
            "run_id": int,
            "url": str,
            "reason": str,
            "http_status": int,
            "attempts": int,
            "failed_at": str,
            "resolved_at": str,
            "resolved_in_run_id": int,
        },
        pk="failure_id",
        not_null={"url", "reason", "failed_at"},
        foreign_keys=[
            ("run_id", "crawl_runs", "run_id"),
            ("resolved_in_run_id", "crawl_runs", "run_id"),
        ],
    )
    db.table("failures").create_index(["url"])
    db.table("http_validators").create(
        {"url": str, "etag": str, "last_modified": str, "checked_at": str},
        pk="url",
    )


@migrations()
def m002_search(db: Database) -> None:
    # Triggers keep the FTS tables in step with every write, so search never lags the data.
    db.table("comments").enable_fts(["author", "body"], create_triggers=True, tokenize="porter")
    db.table("articles").enable_fts(["title", "body"], create_triggers=True, tokenize="porter")


@migrations()
def m003_search_in_batches(db: Database) -> None:
    # Indexing a thread's rows in its own transaction made FTS5 write a new segment per
    # thread: two thirds of the time storing a thread took. New rows now wait in
    # <table>_search_pending until index_pending_search() adds them in one go (every few
    # seconds of a crawl and when a run ends). Edits and deletes of indexed rows still
    # update the index at once; a waiting row is indexed with whatever it holds by then.
    # sqlite-utils' update triggers re-indexed a row on any UPDATE, and every re-read
    # rewrites bookkeeping columns (last_seen_at, last_verified_at): only a changed indexed
    # value needs it.
    for table, columns in SEARCHED.items():
        listed, old, new, changed = column_lists(columns)
        pending = f"{table}_search_pending"
        db.executescript(f"""
            CREATE TABLE "{pending}" (row_id INTEGER PRIMARY KEY);
            DROP TRIGGER "{table}_ai";
            CREATE TRIGGER "{table}_ai" AFTER INSERT ON "{table}" BEGIN
              INSERT OR IGNORE INTO "{pending}" (row_id) VALUES (new.rowid);
            END;
            DROP TRIGGER "{table}_au";
            CREATE TRIGGER "{table}_au" AFTER UPDATE OF {listed} ON "{table}"
            WHEN ({changed}) AND old.rowid NOT IN (SELECT row_id FROM "{pending}") BEGIN
              INSERT INTO "{table}_fts" ("{table}_fts", rowid, {listed})
                VALUES('delete', old.rowid, {old});
              INSERT INTO "{table}_fts" (rowid, {listed}) VALUES (new.rowid, {new});
            END;
            DROP TRIGGER "{table}_ad";
            CREATE TRIGGER "{table}_ad" AFTER DELETE ON "{table}" BEGIN
              INSERT INTO "{table}_fts" ("{table}_fts", rowid, {listed})
                SELECT 'delete', old.rowid, {old}
                WHERE old.rowid NOT IN (SELECT row_id FROM "{pending}");
              DELETE FROM "{pending}" WHERE row_id = old.rowid;
            END;
        """)


@migrations()
def m004_archive_meta(db: Database) -> None:
    # The archive's own id, made once: snapshots name it, so pruning never touches another
    # archive's. An archive from before this migration gets its id when it is adopted.
    db.table(META_TABLE).create({"key": str, "value": str}, pk="key", not_null={"value"})
    db.table(META_TABLE).insert({"key": "archive_id", "value": str(uuid.uuid4())})


@migrations()
def m005_run_page_counts(db: Database) -> None:
    # Teasers and comments skipped for an id SQLite cannot hold, and pages read only after
    # their deepest markup was flattened: each a number the ledger shows per run.
    db.table("crawl_runs").add_column("ids_out_of_range", int)
    db.table("crawl_runs").add_column("pages_flattened", int)


@migrations()
def m006_sources_and_replies(db: Database) -> None:
    # Replies as WordPress records them, and where each row was read (rest or html): the two
    # sources render the same comment's HTML differently, so the store compares text across
    # them (Store._write_comments).
    db.table("comments").add_column("parent_id", int)
    db.table("comments").add_column("source", str, not_null_default="html")
    db.table("comments").create_index(["parent_id"])
    db.table("articles").add_column("source", str, not_null_default="html")
    # The run's source, the zone the site declared (its REST index) and the REST root found,
    # which the next run asks first instead of discovering it again.
    db.table("crawl_runs").add_column("source", str)
    db.table("crawl_runs").add_column("site_timezone", str)
    db.table("crawl_runs").add_column("rest_root", str)
    db.table("crawl_runs").add_column("source_disagreements", int)
    # 1 when the run looked for the REST API: a site without one is asked once a day, not hourly.
    db.table("crawl_runs").add_column("rest_probed", int)
    # Auto mode reads a few threads both ways each run; what each comparison found.
    db.table("source_checks").create(
        {
            "check_id": int,
            "run_id": int,
            "article_id": int,
            "rest_count": int,
            "html_count": int,
            "only_rest": str,
            "only_html": str,
            "agrees": int,
            "checked_at": str,
        },
        pk="check_id",
        not_null={"article_id", "agrees", "checked_at"},
        foreign_keys=[("run_id", "crawl_runs", "run_id")],
    )


@migrations()
def m007_captures(db: Database) -> None:
    # Where each answer's bytes are kept: a record in a WARC file (its name inside the WARC
    # folder, the record's offset and length), written only once the record is on disk.
    db.table("captures").create(
        {
            "capture_id": int,
            "run_id": int,
            "article_id": int,
            "url": str,
            "status": int,
            "record_type": str,
            "warc_file": str,
            "offset": int,
            "length": int,
            "captured_at": str,
        },
        pk="capture_id",
        not_null={"run_id", "url", "status", "record_type", "warc_file", "offset", "length",
                  "captured_at"},
        foreign_keys=[("run_id", "crawl_runs", "run_id")],
    )
    db.table("captures").create_index(["article_id", "run_id"])
    db.table("captures").create_index(["warc_file", "offset"], unique=True)


@migrations()
def m008_reply_edges(db: Database) -> None:
    # Who answered whom where the site keeps no parents: edges inferred from the text
    # (archiver.replies), rewritten with their thread. comments.parent_id stays WordPress's own.
    db.table("reply_edges").create(
        {
            "edge_id": int,
            "article_id": int,
            "comment_id": int,
            "parent_comment_id": int,
            "kind": str,
            "confidence": float,
            "ambiguous": int,
            "candidates": str,
            "evidence": str,
            "run_id": int,
        },
        pk="edge_id",
        not_null={"article_id", "comment_id", "kind", "confidence", "ambiguous"},
        defaults={"ambiguous": 0},
        foreign_keys=[
            ("article_id", "articles", "article_id"),
            ("comment_id", "comments", "comment_id"),
            ("parent_comment_id", "comments", "comment_id"),
            ("run_id", "crawl_runs", "run_id"),
        ],
    )
    for column in ("article_id", "comment_id", "parent_comment_id"):
        db.table("reply_edges").create_index([column])
    # An archive from before this table gets its threads' edges now, not at their next read.
    for row in db.query("SELECT DISTINCT article_id FROM comments"):
        write_reply_edges(db, row["article_id"], None)


@migrations()
def m009_reading_tables(db: Database) -> None:
    # What an analyst counts: a removed comment keeps its row (a tombstone), so facets and
    # tallies over `comments` would include text the site no longer shows.
    db.execute("CREATE VIEW live_comments AS SELECT * FROM comments WHERE removed_at IS NULL")
    # Categories and tags one row each, so they facet and join without json_each. Triggers
    # keep them in step with articles.categories/tags, so every writer (the store, a
    # snapshot loaded back) fills them and the JSON columns stay the source.
    for table, column in (("article_categories", "category"), ("article_tags", "tag")):
        source = "categories" if column == "category" else "tags"
        db.table(table).create(
            {"article_id": int, column: str}, pk=("article_id", column),
            foreign_keys=[("article_id", "articles", "article_id")])
        db.table(table).create_index([column])
        fill = (f'INSERT INTO "{table}" (article_id, {column}) '
                f"SELECT DISTINCT new.article_id, value FROM json_each("
                f"CASE WHEN json_valid(new.{source}) THEN new.{source} END) "
                f"WHERE value IS NOT NULL;")
        db.executescript(f"""
            CREATE TRIGGER "{table}_ai" AFTER INSERT ON articles BEGIN {fill} END;
            CREATE TRIGGER "{table}_au" AFTER UPDATE OF {source} ON articles
            WHEN old.{source} IS NOT new.{source} BEGIN
              DELETE FROM "{table}" WHERE article_id = old.article_id;
              {fill}
            END;
            CREATE TRIGGER "{table}_ad" AFTER DELETE ON articles BEGIN
              DELETE FROM "{table}" WHERE article_id = old.article_id;
            END;
            INSERT INTO "{table}" (article_id, {column})
              SELECT DISTINCT a.article_id, j.value FROM articles a, json_each(
                CASE WHEN json_valid(a.{source}) THEN a.{source} END) j
              WHERE j.value IS NOT NULL;
        """)


@migrations()
def m010_captures_by_url(db: Database) -> None:
    # A 304's revisit record names the latest earlier response of its URL (WARC-Refers-To-
    # Date), looked up by URL among every run's captures.
    db.table("captures").create_index(["url", "captured_at"])


@migrations()
def m011_runs_warc_error(db: Database) -> None:
    # A run whose WARC files could not be written (a full disk) says so in the ledger.
    db.table("crawl_runs").add_column("warc_error", str)


@cache
def declared_columns(table: str) -> tuple[str, ...]:
    """The columns the migrations give `table`, in order: an analyst's own never count."""
    db = Database(memory=True)
    migrations.apply(db)
    columns = tuple(column.name for column in db.table(table).columns)
    db.close()
    if not columns:
        raise KeyError(f"the archive has no table {table}")
    return columns


# Snapshots record it: one step per migration, so it can never lag the schema.
SCHEMA_VERSION = len(migrations.pending(Database(memory=True)))
