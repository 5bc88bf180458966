"""The spider's reads of the archive: what it knows, for deciding what to fetch this run."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlite_utils import Database

from archiver.db.queries import comments_by_id, one_row
from archiver.ids import in_sqlite_range


@dataclass(frozen=True)
class ArticleState:
    """What the archive knows of an article, for deciding whether to fetch it again."""

    article_id: int
    url: str
    published_at_utc: str | None
    comment_count_listed: int | None
    last_verified_at: str | None


class ArchiveReader:
    """Read-only questions about the archive; one instance per open database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def unresolved_failure_urls(self, *, reason_prefix: str = "") -> list[str]:
        """URLs with a failure not yet resolved (only those whose reason starts so, if given)."""
        if not reason_prefix:
            return [row["url"] for row in self.db.query(
                "SELECT DISTINCT url FROM failures WHERE resolved_at IS NULL ORDER BY url")]
        return [row["url"] for row in self.db.query(
            "SELECT DISTINCT url FROM failures WHERE resolved_at IS NULL "
            "AND substr(reason, 1, ?) = ? ORDER BY url", [len(reason_prefix), reason_prefix])]

    def backfill_finished(self) -> bool:
        """Whether a backfill run ever reached its end (some pages may still have failed)."""
        return one_row(self.db, "SELECT 1 AS done FROM crawl_runs WHERE mode = 'backfill' AND "
                         "finish_reason = 'finished' LIMIT 1") is not None

    def article_state(self, article_id: int) -> ArticleState | None:
        row = one_row(self.db,
            "SELECT article_id, url, published_at_utc, comment_count_listed, last_verified_at "
            "FROM articles WHERE article_id = ?", article_id)
        return ArticleState(**row) if row else None

    def validators(self, url: str) -> tuple[str | None, str | None]:
        row = one_row(self.db, "SELECT etag, last_modified FROM http_validators WHERE url = ?", url)
        return (row["etag"], row["last_modified"]) if row else (None, None)

    def article_ids_by_url(self) -> dict[str, int]:
        """Every stored article's post id by its URL, for links that carry no id."""
        return {row["url"]: row["article_id"]
                for row in self.db.query("SELECT url, article_id FROM articles")}

    def article_count(self) -> int:
        return self.db["articles"].count

    def least_recently_verified(self, limit: int) -> list[tuple[int, str]]:
        """Articles for the audit sweep: never-verified first, then the oldest check."""
        return [(row["article_id"], row["url"]) for row in self.db.query(
            "SELECT article_id, url FROM articles ORDER BY last_verified_at IS NOT NULL, "
            "last_verified_at, article_id LIMIT ?", [limit])]

    def articles_published_since(self, since_utc: str, until_utc: str) -> list[tuple[int, str]]:
        """Articles published in [since, until]: the active window, which ends about now, so
        an article dated in the future (2099) is not active on every run until then."""
        return [(row["article_id"], row["url"]) for row in self.db.query(
            "SELECT article_id, url FROM articles WHERE published_at_utc >= ? "
            "AND published_at_utc <= ? ORDER BY published_at_utc DESC", [since_utc, until_utc])]

    def unknown_comment_ids(self, comment_ids: Iterable[int]) -> set[int]:
        """Of these ids, those the archive has no comment for; an id beyond SQLite's range
        (which no page can make storable) is none of them."""
        wanted = {i for i in comment_ids if in_sqlite_range(i)}
        return wanted - comments_by_id(self.db, sorted(wanted)).keys()

    def last_rest_root(self) -> str | None:
        """The REST root the last run that read through REST found, if the latest run did."""
        row = one_row(self.db, "SELECT source, rest_root FROM crawl_runs WHERE status IN "
                      "('ok', 'partial') ORDER BY run_id DESC LIMIT 1")
        return row["rest_root"] if row and row["source"] == "rest" else None

    def last_run_started(self) -> str | None:
        """When the latest run that ended ok or partial started (UTC ISO)."""
        row = one_row(self.db, "SELECT started_at FROM crawl_runs WHERE status IN "
                      "('ok', 'partial') ORDER BY run_id DESC LIMIT 1")
        return row["started_at"] if row else None

    def live_comment_count(self) -> int:
        row = one_row(self.db, "SELECT count(*) AS n FROM comments WHERE removed_at IS NULL")
        return int(row["n"]) if row else 0

    def live_comment_ids(self) -> dict[int, set[int]]:
        """Stored comments not removed, by article: what the site should still list."""
        found: dict[int, set[int]] = {}
        for row in self.db.query("SELECT article_id, comment_id FROM comments "
                                 "WHERE removed_at IS NULL"):
            found.setdefault(row["article_id"], set()).add(row["comment_id"])
        return found

    def audit_by_comments(self, articles: int, comments: int) -> list[int]:
        """Least recently verified articles, at most `articles` and (after the first) no more
        than `comments` stored comments between them: one REST page re-reads them all."""
        chosen: list[int] = []
        total = 0
        for row in self.db.query(
                "SELECT a.article_id, (SELECT count(*) FROM comments c WHERE c.article_id = "
                "a.article_id AND c.removed_at IS NULL) AS n FROM articles a ORDER BY "
                "a.last_verified_at IS NOT NULL, a.last_verified_at, a.article_id LIMIT ?",
                [articles]):
            if chosen and total + row["n"] > comments:
                break
            chosen.append(row["article_id"])
            total += row["n"]
        return chosen

    def rest_probed_since(self, since_utc: str) -> bool:
        """Whether a run that started since then looked for the REST API."""
        return one_row(self.db, "SELECT 1 AS probed FROM crawl_runs WHERE rest_probed = 1 "
                       "AND started_at >= ? LIMIT 1", since_utc) is not None
