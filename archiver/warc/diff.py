"""What a re-parse would change, thread by thread: comments found or lost, and which fields."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlite_utils import Database

# What a reader sees of a comment; bookkeeping (when seen, by which run) is left out.
FIELDS = {"authors": ("author", "author_url"), "times": ("posted_at", "posted_at_utc"),
          "bodies": ("content_hash",), "parents": ("parent_id",)}
_COLUMNS = ("comment_id", "article_id", *(c for cols in FIELDS.values() for c in cols))


@dataclass
class ThreadChange:
    article_id: int
    url: str
    found: list[int] = field(default_factory=list)
    lost: list[int] = field(default_factory=list)
    changed: dict[str, list[int]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.found or self.lost or self.changed)

    def line(self) -> str:
        parts = [f"{len(self.found)} found", f"{len(self.lost)} lost"]
        parts += [f"{what} {len(ids)}" for what, ids in self.changed.items()]
        detail = "; ".join(
            [f"found {ids_text(self.found)}"] * bool(self.found)
            + [f"lost {ids_text(self.lost)}"] * bool(self.lost)
            + [f"{what} {ids_text(ids)}" for what, ids in self.changed.items()])
        return f"article {self.article_id} {self.url}: {', '.join(parts)} ({detail})"


def ids_text(ids: list[int]) -> str:
    return ",".join(str(i) for i in ids[:10]) + (f" and {len(ids) - 10} more"
                                                 if len(ids) > 10 else "")


def standing(db: Database, article_ids: list[int]) -> dict[int, dict[int, tuple[object, ...]]]:
    """Per article, its comments that stand (not removed), as a reader sees them."""
    found: dict[int, dict[int, tuple[object, ...]]] = {a: {} for a in article_ids}
    if "comments" not in db.table_names():
        return found
    marks = ",".join("?" * len(article_ids))
    for row in db.execute(f"SELECT {', '.join(_COLUMNS)} FROM comments "
                          f"WHERE removed_at IS NULL AND article_id IN ({marks})",
                          article_ids).fetchall():
        found[row[1]][row[0]] = tuple(row[2:])
    return found


def thread_changes(current: Database, reparsed: Database) -> list[ThreadChange]:
    """Every thread the re-parse read, compared with the archive as it stands."""
    articles = [(r[0], r[1]) for r in reparsed.execute(
        "SELECT article_id, url FROM articles ORDER BY article_id").fetchall()]
    ids = [a for a, _ in articles]
    before, after = standing(current, ids), standing(reparsed, ids)
    changes = []
    for article_id, url in articles:
        old, new = before[article_id], after[article_id]
        change = ThreadChange(article_id, url, found=sorted(new.keys() - old.keys()),
                              lost=sorted(old.keys() - new.keys()))
        offset = 0
        for what, columns in FIELDS.items():
            width = len(columns)
            differ = sorted(c for c in old.keys() & new.keys()
                            if old[c][offset:offset + width] != new[c][offset:offset + width])
            if differ:
                change.changed[what] = differ
            offset += width
        changes.append(change)
    return changes
