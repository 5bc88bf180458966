"""Folding what earlier runs could not write (archiver.db.journal) into the archive."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlite_utils import Database

from archiver.db.queries import one_row
from archiver.db.rows import update_sql
from archiver.db.schema import declared_columns
from archiver.db.transaction import immediate

# A finish entry holds the run's closing row as the ledger would have written it: every
# ledger column it names is folded, so a column the ledger gains is never dropped here.
_NOT_FOLDED = ("run_id", "started_at", "mode", "base_url")


def recover(db: Database, entries: Sequence[dict[str, Any]]) -> int:
    """Fold what earlier runs could not write (archiver.db.journal) into the archive, and
    mark any run still marked running as killed; how many entries were new.

    Entries: `run` (a run that could not even open its row), `finish` (a run's closing),
    `failure` (a page not archived). Folding the same entries twice changes nothing.
    """
    folded = 0
    with immediate(db):
        for entry in entries:
            kind = entry.get("kind")
            if kind == "run":
                folded += _fold_run(db, entry)
            elif kind == "finish":
                folded += _fold_finish(db, entry)
            elif kind == "failure":
                folded += _fold_failure(db, entry)
        db.execute(
            "UPDATE crawl_runs SET status = 'killed', finish_reason = 'process ended early' "
            "WHERE status = 'running'"
        )
    return folded


def _fold_run(db: Database, entry: dict[str, Any]) -> int:
    row = {key: entry.get(key) for key in ("started_at", "finished_at", "mode", "status",
                                            "finish_reason", "base_url")}
    if one_row(db, "SELECT 1 AS known FROM crawl_runs WHERE started_at = ? AND "
               "finish_reason IS ?", row["started_at"], row["finish_reason"]):
        return 0
    db.table("crawl_runs").insert(row)
    return 1


def _fold_finish(db: Database, entry: dict[str, Any]) -> int:
    values = {key: entry[key] for key in declared_columns("crawl_runs")
              if key in entry and key not in _NOT_FOLDED}
    run = one_row(db, "SELECT status FROM crawl_runs WHERE run_id = ?",
                  entry.get("run_id"))
    if not values or run is None or run["status"] != "running":
        return 0  # closed already (this entry was folded before)
    db.execute(update_sql("crawl_runs", tuple(values), "run_id"),
                    [*values.values(), entry.get("run_id")])
    return 1


def _fold_failure(db: Database, entry: dict[str, Any]) -> int:
    run_id = entry.get("run_id")
    if run_id is not None and not one_row(
            db, "SELECT 1 AS known FROM crawl_runs WHERE run_id = ?", run_id):
        run_id = None
    if one_row(db, "SELECT 1 AS known FROM failures WHERE url = ? AND failed_at = ? "
               "AND run_id IS ?", entry.get("url"), entry.get("failed_at"), run_id):
        return 0
    db.table("failures").insert({
        "run_id": run_id, "url": entry.get("url"), "reason": entry.get("reason"),
        "http_status": entry.get("http_status"), "attempts": entry.get("attempts"),
        "failed_at": entry.get("failed_at")})
    return 1
