"""A thread's inferred reply edges, rewritten with the thread so they follow its comments."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from archiver.replies import Edge, Said, infer_edges

_COLUMNS = ("comment_id", "parent_comment_id", "kind", "confidence", "ambiguous", "candidates",
            "evidence")
# Removed comments stay in: their edges are history, and later replies may answer them.
_THREAD = ("SELECT comment_id, author, posted_at, body, parent_id FROM comments "
           "WHERE article_id = ? ORDER BY posted_at_utc IS NULL, posted_at_utc, position, "
           "comment_id")


def write_reply_edges(db: Database, article_id: int, run_id: int | None) -> int:
    """Bring the article's edges in line with its comments; return how many rows changed.

    Edges already stored as inferred keep their row (and the run that found them), so
    storing an unchanged thread again writes nothing.
    """
    thread = [Said(row["comment_id"], row["author"], row["body"] or "",
                   _wall_time(row["posted_at"]), row["parent_id"])
              for row in db.query(_THREAD, [article_id])]
    article = db.execute("SELECT body FROM articles WHERE article_id = ?",
                         [article_id]).fetchone()
    wanted = {_key(edge) for edge in infer_edges(thread, (article[0] or "") if article else "")}
    stored = {tuple(row[1:]): row[0] for row in db.execute(
        f"SELECT edge_id, {', '.join(_COLUMNS)} FROM reply_edges WHERE article_id = ?",
        [article_id]).fetchall()}
    stale = [(edge_id,) for key, edge_id in stored.items() if key not in wanted]
    new = [(article_id, *key, run_id) for key in sorted(wanted - stored.keys(), key=str)]
    db.conn.executemany("DELETE FROM reply_edges WHERE edge_id = ?", stale)
    db.conn.executemany(
        f"INSERT INTO reply_edges (article_id, {', '.join(_COLUMNS)}, run_id) "
        f"VALUES ({', '.join('?' * (len(_COLUMNS) + 2))})", new)
    return len(stale) + len(new)


def _key(edge: Edge) -> tuple[Any, ...]:
    return (edge.comment_id, edge.parent_comment_id, edge.kind, edge.confidence,
            int(edge.ambiguous), json.dumps(list(edge.candidates)) if edge.ambiguous else None,
            edge.evidence)


def _wall_time(posted_at: str | None) -> datetime | None:
    """The site's wall time, which pasted headers quote, from the stored local time."""
    if not posted_at:
        return None
    return datetime.fromisoformat(posted_at).replace(tzinfo=None, second=0, microsecond=0)
