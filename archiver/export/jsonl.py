"""Deterministic JSONL snapshots of the archive, published whole beside a `latest` pointer."""

from __future__ import annotations

import argparse
import gzip as gzip_module
import hashlib
import json
import os
import shutil
import sqlite3
import sys
import tempfile
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from archiver.dates import to_utc_iso
from archiver.db.connection import NotAnArchive, archive_id, check_connection, open_database
from archiver.db.schema import SCHEMA_VERSION, declared_columns
from archiver.export.publish import MANIFEST as MANIFEST
from archiver.export.publish import (
    TEMP_PREFIX,
    exports_dir_for,
    fsync_directory,
    point_latest,
    prune,
    publish,
    remove_abandoned,
    write_file,
)

FORMAT_VERSION = 1
_BATCH = 1000


@dataclass(frozen=True)
class ExportTable:
    name: str
    primary_key: str
    # Columns the store keeps as JSON text; they are exported as real arrays.
    json_columns: tuple[str, ...] = ()
    # False for a table snapshots gained later: an older snapshot without it still loads.
    in_every_snapshot: bool = True

    @property
    def file_stem(self) -> str:
        return f"{self.name}.jsonl"


# The archive's content and its history: the run ledger (which first_run_id and last_run_id
# point into), the comment events and the inferred reply edges. Migrations, FTS shadow
# tables, rows derived by triggers (article_categories, article_tags) and crawler
# bookkeeping stay behind. The ledger comes first, so a database loaded in this order never
# points at a missing run.
TABLES = (
    ExportTable("crawl_runs", "run_id", in_every_snapshot=False),
    ExportTable("articles", "article_id", ("categories", "tags")),
    ExportTable("comments", "comment_id"),
    ExportTable("comment_versions", "version_id"),
    ExportTable("comment_events", "event_id", in_every_snapshot=False),
    ExportTable("reply_edges", "edge_id", ("candidates",), in_every_snapshot=False),
)


class ExportError(Exception):
    """The database cannot be exported (missing, or not an archive)."""


class _HashingSink:
    """A binary sink that hashes and counts exactly the bytes that reach the file."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.sha256 = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.sha256.update(data)
        self.size += len(data)
        return self.raw.write(data)

    def flush(self) -> None:
        self.raw.flush()


def write_snapshot(db_path: str, exports_dir: str, *, run_id: int | None, keep: int,
                   gzip: bool = False, now: datetime | None = None) -> Path:
    """Write a snapshot directory, point `latest` at it, keep the newest `keep`; return it."""
    if keep < 1:
        raise ValueError(f"keep must be at least 1, got {keep}")
    created = now or datetime.now(UTC)
    if created.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    root = Path(exports_dir)
    root.mkdir(parents=True, exist_ok=True)
    remove_abandoned(root)
    # Hidden and without a manifest until renamed, so no reader mistakes it for a snapshot.
    staging = Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-", dir=root))
    try:
        os.chmod(staging, 0o755)
        files, archive = _write_tables(db_path, staging, gzip)
        # Which archive it is a snapshot of: pruning keeps to this archive's own snapshots.
        manifest = {"format": "ldv-archiver-snapshot", "format_version": FORMAT_VERSION,
                    "schema_version": SCHEMA_VERSION, "run_id": run_id,
                    "archive_id": archive, "archive_path": str(Path(db_path).resolve()),
                    "created_at": to_utc_iso(created), "gzip": gzip, "files": files}
        write_file(staging / MANIFEST, _stable_json(manifest))
        fsync_directory(staging)
        snapshot = publish(staging, root, created.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ"))
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    point_latest(root, snapshot.name)
    prune(root, keep, archive)
    return snapshot


def _write_tables(db_path: str, directory: Path,
                  compress: bool) -> tuple[dict[str, dict[str, Any]], str]:
    """The files written, and the id of the archive they came from."""
    if not Path(db_path).is_file():
        raise ExportError(f"no archive at {db_path}")
    uri = Path(db_path).resolve().as_uri() + "?mode=ro"
    with closing(sqlite3.connect(uri, uri=True, timeout=30, isolation_level=None)) as conn:
        try:
            check_connection(conn, db_path)
        except NotAnArchive as exc:
            raise ExportError(str(exc)) from None
        # One read transaction: all the files show the archive at the same instant.
        conn.execute("BEGIN")
        archive = archive_id(conn)
        if archive is None:
            raise ExportError(f"{db_path} has no archive id (an archive from before they were "
                              "stamped, not yet opened by a crawl); `ldv-archiver export` or "
                              "the next crawl upgrades it")
        files = {}
        for table in TABLES:
            name, entry = _write_table(conn, table, directory, compress)
            files[name] = entry
        conn.execute("COMMIT")
    return files, archive


def _write_table(conn: sqlite3.Connection, table: ExportTable, directory: Path,
                 compress: bool) -> tuple[str, dict[str, Any]]:
    conn.text_factory = str
    present = {row[1] for row in conn.execute(f"PRAGMA table_info({_quote(table.name)})")}
    if not present:
        raise ExportError(f"the database has no {table.name} table; is it an archive?")
    # The archive's declared columns: one an analyst added stays in the archive, out of the
    # snapshot, so every snapshot loads back into the archive's schema.
    columns = list(declared_columns(table.name))
    missing = [column for column in columns if column not in present]
    if missing:
        raise ExportError(f"{table.name} has no column {missing[0]}; is it an archive?")
    # SQLite builds each line itself (about twice as fast as json.dumps per row); its output
    # matches json.dumps(ensure_ascii=False, separators=(",", ":")) for text, integers and null.
    fields = ", ".join(
        "'{}', {}".format(c.replace("'", "''"),
                          f"json({_quote(c)})" if c in table.json_columns else _quote(c))
        for c in columns)
    # Bytes straight from SQLite: no decode and re-encode of every body.
    conn.text_factory = bytes
    cursor = conn.execute(f"SELECT json_object({fields}) FROM {_quote(table.name)} "
                          f"ORDER BY {_quote(table.primary_key)}")
    name = table.file_stem + (".gz" if compress else "")
    rows = 0
    with open(directory / name, "wb") as raw:
        sink = _HashingSink(raw)
        # mtime=0 and no file name in the header keep gzip output byte-identical between runs.
        zipped = (gzip_module.GzipFile(filename="", mode="wb", fileobj=sink, mtime=0,
                                       compresslevel=6) if compress else None)
        while batch := cursor.fetchmany(_BATCH):
            write_batch(zipped or sink, batch)
            rows += len(batch)
        if zipped is not None:
            zipped.close()
        raw.flush()
        os.fsync(raw.fileno())
    return name, {"table": table.name, "primary_key": table.primary_key, "columns": columns,
                  "rows": rows, "bytes": sink.size, "sha256": sink.sha256.hexdigest()}


def write_batch(out: gzip_module.GzipFile | _HashingSink, batch: list[tuple[bytes]]) -> None:
    """One batch of JSON lines (a seam the crash tests slow down to kill an export mid-write)."""
    out.write(b"\n".join([row[0] for row in batch]) + b"\n")


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _stable_json(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode()


def _project_defaults() -> dict[str, Any]:
    # Imported here: library callers (the store pipeline) pass values and skip the lookup.
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    return {"db": settings.get("ARCHIVER_DB", "archive.db"),
            # None: the archive's own folder, <db>.exports, once --db is known.
            "exports_dir": settings.get("ARCHIVER_EXPORTS_DIR"),
            "keep": settings.getint("ARCHIVER_EXPORTS_KEEP", 5),
            "gzip": settings.getbool("ARCHIVER_EXPORTS_GZIP", False)}


def main(argv: Sequence[str] | None = None) -> int:
    defaults = _project_defaults()
    parser = argparse.ArgumentParser(
        prog="ldv-archiver export",
        description="Write a JSONL snapshot of the archive and point `latest` at it.")
    parser.add_argument("--db", default=defaults["db"], help="archive (ARCHIVER_DB)")
    parser.add_argument("--exports-dir", default=defaults["exports_dir"],
                        help="where snapshots go (ARCHIVER_EXPORTS_DIR; by default "
                             "<db>.exports beside the archive)")
    parser.add_argument("--keep", type=int, default=defaults["keep"],
                        help="snapshots to keep (ARCHIVER_EXPORTS_KEEP)")
    parser.add_argument("--gzip", action=argparse.BooleanOptionalAction,
                        default=defaults["gzip"], help="write .jsonl.gz (ARCHIVER_EXPORTS_GZIP)")
    parser.add_argument("--run-id", type=int, default=None,
                        help="crawl run to record in the manifest")
    args = parser.parse_args(argv)
    exports_dir = exports_dir_for(args.db, args.exports_dir)
    if not exports_dir:
        parser.error("ARCHIVER_EXPORTS_DIR is empty (snapshots disabled); pass --exports-dir")
    if args.keep < 1:
        parser.error("--keep must be at least 1")
    try:
        if Path(args.db).is_file() and Path(args.db).stat().st_size:
            # Applies what an archive from an earlier version lacks (its stamp and id); for a
            # current archive it reads and writes nothing. Refuses a file that is no archive.
            open_database(args.db).close()
        snapshot = write_snapshot(args.db, exports_dir, run_id=args.run_id, keep=args.keep,
                                  gzip=args.gzip)
    except (ExportError, NotAnArchive, OSError, sqlite3.Error, ValueError) as exc:
        print(f"export failed: {exc}", file=sys.stderr)
        return 1
    print(snapshot)
    return 0

