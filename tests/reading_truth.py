"""What the reading pages should show, from the truth files and the hand-checked reply edges."""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter
from contextlib import closing
from pathlib import Path
from typing import Any

from tests.archive_factory import (
    REMOVED_COMMENT,
    SCRIPT_ARTICLE,
    SCRIPT_COMMENT,
    load_truth,
)

REPLY_TRUTH = Path(__file__).resolve().parent / "fixtures" / "ldv" / "reply_truth.json"
# Comment 400479 opens "Steve Way…", who had written two comments by then; its hand-checked
# note says it takes up both, so it stands in for an ambiguous name.
AMBIGUOUS_REPLY = 400479
AMBIGUOUS_CANDIDATES = (400261, 400272)
# The hostile comment's website, as a compromised page could give it.
HOSTILE_URL = "javascript:alert(3)"
# Times from the truth files, written out by hand (09:45 in September is BST, December GMT).
HUMAN_TIMES = {400254: "Fri 4 Sep 2015, 09:45 BST", 400494: "Mon 7 Sep 2015, 15:13 BST"}
HUMAN_TIME = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) [0-9]{1,2} [A-Z][a-z]{2} [0-9]{4}, "
                        r"[0-2][0-9]:[0-5][0-9] (BST|GMT)$")


def truth_thread(article_id: int) -> dict[str, Any]:
    return next(t for t in load_truth("day2") if t["post_id"] == article_id)


def reply_truth(article_id: int) -> dict[int, int]:
    """Reply → parent for the edges the text shows (implicit ones are judgement, not evidence)."""
    edges = json.loads(REPLY_TRUTH.read_text(encoding="utf-8"))["edges"]
    return {e["comment_id"]: e["parent_comment_id"] for e in edges
            if e["post_id"] == article_id and e["parent_comment_id"] and e["kind"] != "implicit"}


def reply_kinds(article_id: int) -> dict[int, str]:
    edges = json.loads(REPLY_TRUTH.read_text(encoding="utf-8"))["edges"]
    return {e["comment_id"]: e["kind"] for e in edges
            if e["post_id"] == article_id and e["parent_comment_id"] and e["kind"] != "implicit"}


def install_truth_edges(db: Path, article_id: int) -> dict[int, int]:
    """Replace the thread's inferred edges with the hand-checked ones plus one ambiguous name.

    The pages are tested against edges known to be right, whatever the inference finds.
    """
    truth = reply_truth(article_id)
    kinds = reply_kinds(article_id)
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("DELETE FROM reply_edges WHERE article_id = ?", [article_id])
        conn.executemany(
            "INSERT INTO reply_edges (article_id, comment_id, parent_comment_id, kind, "
            "confidence, ambiguous, candidates, evidence, run_id) "
            "VALUES (?, ?, ?, ?, 1.0, 0, NULL, 'hand-checked', NULL)",
            [(article_id, reply, parent, kinds[reply])
             for reply, parent in truth.items() if reply != AMBIGUOUS_REPLY])
        conn.execute(
            "INSERT INTO reply_edges (article_id, comment_id, parent_comment_id, kind, "
            "confidence, ambiguous, candidates, evidence, run_id) "
            "VALUES (?, ?, NULL, 'salutation', 0.5, 1, ?, 'Steve Way', NULL)",
            [article_id, AMBIGUOUS_REPLY, json.dumps(list(AMBIGUOUS_CANDIDATES))])
    return {r: p for r, p in truth.items() if r != AMBIGUOUS_REPLY}


def make_hostile(db: Path) -> None:
    """Give the script comment a javascript: website, as a hostile page might."""
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("UPDATE comments SET author_url = ? WHERE comment_id = ?",
                     [HOSTILE_URL, SCRIPT_COMMENT])


def live_truth_comments() -> list[dict[str, Any]]:
    """Every comment the site still shows on day 2, with the script comment (2019-06-01)."""
    comments = [dict(c, post_id=t["post_id"]) for t in load_truth("day2") for c in t["comments"]]
    assert REMOVED_COMMENT not in {c["comment_id"] for c in comments}
    comments.append({"comment_id": SCRIPT_COMMENT, "post_id": SCRIPT_ARTICLE, "author": "Mallory",
                     "posted_local": "2019-06-01T12:00:00", "body_paragraphs": []})
    return comments


def comments_per_month() -> dict[str, int]:
    return dict(Counter(c["posted_local"][:7] for c in live_truth_comments()))


def top_commenters(limit: int) -> list[tuple[str, int]]:
    counts = Counter(c["author"] for c in live_truth_comments())
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]


def thread_lengths() -> dict[int, int]:
    lengths = Counter(c["post_id"] for c in live_truth_comments())
    return {t["post_id"]: lengths.get(t["post_id"], 0) for t in load_truth("day2")}


def corbyn_comments() -> set[int]:
    """Comments whose text has the word Corbyn (FTS's porter tokenizer finds the word alone)."""
    word = re.compile(r"(?<![A-Za-z])corbyn(?![A-Za-z])", re.IGNORECASE)
    return {c["comment_id"] for c in live_truth_comments()
            if word.search("\n".join(c["body_paragraphs"]))}
