"""Load a JSONL snapshot into a Datasette-ready SQLite file with the archive's own schema."""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import sqlite3
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from sqlite_utils import Database

from archiver.db.connection import stamp
from archiver.db.schema import migrations
from archiver.db.search import index_pending_search
from archiver.export.jsonl import MANIFEST, TABLES, ExportTable


class SnapshotError(Exception):
    """The snapshot is incomplete or does not match its manifest."""


def build_database(snapshot_dir: str | Path, out_path: str | Path, *,
                   replace: bool = False) -> Path:
    """Write `out_path` (via a temporary name) holding the snapshot's rows, FTS included."""
    snapshot = Path(snapshot_dir).resolve()
    if not (snapshot / MANIFEST).is_file():
        raise SnapshotError(f"{snapshot} has no {MANIFEST}, so it is not a complete snapshot")
    manifest = json.loads((snapshot / MANIFEST).read_text(encoding="utf-8"))
    files = {entry["table"]: (name, entry) for name, entry in manifest["files"].items()}
    out = Path(out_path)
    if out.exists() and not replace:
        raise SnapshotError(f"{out} exists; pass --replace to overwrite it")
    out.parent.mkdir(parents=True, exist_ok=True)
    temp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    temp.unlink(missing_ok=True)
    try:
        db = Database(temp)
        try:
            # The archive's migrations, so tables, indexes and search triggers match archive.db
            # and the same metadata.yml serves both.
            migrations.apply(db)
            stamp(db)
            for table in TABLES:
                if table.name not in files and not table.in_every_snapshot:
                    continue  # a snapshot written before it held this table
                if table.name not in files:
                    raise SnapshotError(f"the manifest lists no file for {table.name}")
                name, entry = files[table.name]
                _check_hash(snapshot / name, entry["sha256"])
                rows = _load(db, table, snapshot / name)
                if rows != entry["rows"]:
                    raise SnapshotError(
                        f"{name} has {rows} rows, the manifest says {entry['rows']}")
            index_pending_search(db)
        finally:
            db.close()
        os.replace(temp, out)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return out


def _check_hash(path: Path, expected: str) -> None:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    if digest.hexdigest() != expected:
        raise SnapshotError(f"{path.name} does not match the sha256 in the manifest")


def _open(path: Path) -> IO[str]:
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8", newline="\n")
    return open(path, encoding="utf-8", newline="\n")


def _load(db: Database, table: ExportTable, path: Path) -> int:
    count = 0

    def rows() -> Iterator[dict[str, Any]]:
        nonlocal count
        with _open(path) as lines:
            for line in lines:
                row = json.loads(line)
                for column in table.json_columns:
                    if row.get(column) is not None:
                        # Back to the text the store writes, so both databases hold equal values.
                        row[column] = json.dumps(row[column], ensure_ascii=False)
                count += 1
                yield row

    with db.atomic():
        # A snapshot holds the archive's declared columns; one written before that rule may
        # carry an analyst's column too, which is added rather than refused.
        db.table(table.name).insert_all(rows(), batch_size=500, alter=True)
    return count


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="ldv-archiver snapshot-db",
        description="Turn a snapshot directory into a SQLite database for Datasette. Name it "
                    "archive.db: Datasette names a database after its file, and "
                    "datasette/metadata.yml describes the database called 'archive'.")
    parser.add_argument("snapshot", help="snapshot directory, e.g. exports/latest")
    parser.add_argument("out", help="database to write, e.g. snapshot/archive.db")
    parser.add_argument("--replace", action="store_true", help="overwrite an existing file")
    args = parser.parse_args(argv)
    try:
        out = build_database(args.snapshot, args.out, replace=args.replace)
    except (SnapshotError, OSError, ValueError, sqlite3.Error) as exc:
        print(f"snapshot_db failed: {exc}", file=sys.stderr)
        return 1
    print(out)
    return 0

