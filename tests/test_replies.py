"""Who answered whom: each kind of evidence, ambiguity, the store's edges, and a real crawl."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlite_utils

from archiver.db.connection import open_database
from archiver.db.store import Store
from archiver.items import Article, Comment, Thread
from archiver.replies import Edge, Said, infer_edges
from testing.mirror import MirrorServer
from tests.conftest import MIRROR, run_crawl, truth

TRUTH = json.loads((MIRROR / "reply_truth.json").read_text(encoding="utf-8"))
EXPLICIT = ("at_mention", "salutation", "pasted_header", "quote")
LONDON = ZoneInfo("Europe/London")


def said(comment_id: int, author: str, body: str, minute: int = 0, **more: Any) -> Said:
    return Said(comment_id, author, body, datetime(2015, 9, 4, 10, minute), **more)


def pairs(edges: list[Edge]) -> set[tuple[int, int | None]]:
    return {(edge.comment_id, edge.parent_comment_id) for edge in edges}


# --- the hand-checked truth -----------------------------------------------------------------

def bundled_threads() -> dict[int, tuple[str, list[Said]]]:
    """Every bundled thread with every comment either day showed (day 2's text when both)."""
    threads: dict[int, tuple[str, dict[int, dict[str, Any]]]] = {}
    for day in ("day1", "day2"):
        for post_id, thread in truth(day).items():
            article = "\n\n".join(thread["body_paragraphs"])  # type: ignore[arg-type]
            comments = threads.setdefault(post_id, (article, {}))[1]
            for comment in thread["comments"]:  # type: ignore[attr-defined]
                comments[comment["comment_id"]] = comment
    return {post_id: (article, [
        Said(c["comment_id"], c["author"], "\n\n".join(c["body_paragraphs"]),
             datetime.fromisoformat(c["posted_local"]))
        for c in sorted(comments.values(), key=lambda c: (c["posted_local"], c["comment_id"]))])
        for post_id, (article, comments) in threads.items()}


def test_truth_decides_every_bundled_comment() -> None:
    decided = {entry["comment_id"] for entry in TRUTH["edges"]}
    bundled = {s.comment_id for _, thread in bundled_threads().values() for s in thread}
    assert decided == bundled
    for entry in TRUTH["edges"]:
        parent = entry["parent_comment_id"]
        assert parent is None or parent < entry["comment_id"]


def test_precision_and_recall_on_the_hand_checked_edges(capsys: pytest.CaptureFixture[str]) -> None:
    answers = {entry["comment_id"]: entry["parent_comment_id"] for entry in TRUTH["edges"]}
    kinds = {entry["comment_id"]: entry["kind"] for entry in TRUTH["edges"]}
    wanted = {(entry["comment_id"], entry["parent_comment_id"]) for entry in TRUTH["edges"]
              if entry["kind"] in EXPLICIT}
    implicit = {(entry["comment_id"], entry["parent_comment_id"]) for entry in TRUTH["edges"]
                if entry["kind"] == "implicit"}
    edges = [edge for article, thread in bundled_threads().values()
             for edge in infer_edges(thread, article)]
    decided = [edge for edge in edges if not edge.ambiguous]
    correct = [edge for edge in decided if answers[edge.comment_id] == edge.parent_comment_id]
    # An ambiguous edge names no parent: it is neither right nor wrong for precision, and
    # finds nothing for recall.
    precision = len(correct) / len(decided)
    recall = len(pairs(correct) & wanted) / len(wanted)
    with capsys.disabled():
        print(f"\nreply inference on {len(wanted)} hand-checked edges: "
              f"precision {precision:.3f} ({len(correct)}/{len(decided)}), "
              f"recall {recall:.3f} ({len(pairs(correct) & wanted)}/{len(wanted)}), "
              f"{len(edges) - len(decided)} ambiguous; the truth's kind of evidence on "
              f"{sum(kinds[e.comment_id] == e.kind for e in correct)}/{len(correct)}; "
              f"{len(pairs(correct) & implicit)}/{len(implicit)} implicit replies found")
    assert precision >= 0.95
    assert recall >= 0.8


# --- each kind of evidence ------------------------------------------------------------------

def test_at_mention_with_or_without_a_space_names_the_latest_comment() -> None:
    thread = [said(1, "Steve Way", "Labour seem set on a third poor leader.", 1),
              said(2, "Dave Orbison", "@Steve Way you criticise Corbyn.", 2),
              said(3, "Steve Way", "@ Dave Orbison I was talking about leading.", 3)]
    edges = infer_edges(thread)
    assert pairs(edges) == {(2, 1), (3, 2)}
    assert {(e.kind, e.evidence) for e in edges} == {("at_mention", "@Steve Way"),
                                                     ("at_mention", "@ Dave Orbison")}
    assert all(0 < e.confidence <= 1 for e in edges)


def test_mention_of_someone_who_never_commented_or_comments_later_is_no_edge() -> None:
    thread = [said(1, "Ann", "First.", 1),
              said(2, "Bob", "@Simon Shaw you have surpassed yourself. @LibDems", 2),
              said(3, "Simon Shaw", "Answering nobody.", 3)]
    assert infer_edges(thread) == []


def test_self_mention_is_no_edge() -> None:
    thread = [said(1, "Simon Shaw", "Figures.", 1),
              said(2, "expats", "He wrote to me: @expats I don't think it needs statistics", 2)]
    assert infer_edges(thread) == []
    assert infer_edges([said(1, "expats", "One."), said(2, "expats", "@expats again")]) == []


def test_two_earlier_commenters_with_the_name_are_ambiguous_not_guessed() -> None:
    thread = [said(1, "Simon Shaw", "Three MPs.", 1), said(2, "SIMON BANKS", "Cooper.", 2),
              said(3, "Ann", "@Simon which of you is right?", 3)]
    [edge] = infer_edges(thread)
    assert (edge.parent_comment_id, edge.ambiguous, edge.candidates) == (None, True, (1, 2))
    # Naming the person in full settles it.
    thread[2] = said(3, "Ann", "@Simon Banks which of you is right?", 3)
    assert pairs(infer_edges(thread)) == {(3, 2)}


def test_a_whole_name_that_is_also_anothers_first_name_is_ambiguous() -> None:
    thread = [said(1, "Steve", "Please tell us.", 1), said(2, "Steve Way", "Labour.", 2),
              said(3, "Ann", "@Steve you are both wrong", 3),
              said(4, "Bob", "@Steve Way right", 4)]
    edges = {e.comment_id: e for e in infer_edges(thread)}
    assert (edges[3].ambiguous, edges[3].candidates) == (True, (1, 2))
    assert edges[4].parent_comment_id == 2


def test_first_name_then_another_surname_is_someone_else() -> None:
    thread = [said(1, "John Tilley", "Was it 2?", 1),
              said(2, "Ann", "John Dixon:\nI do not think you are objective.", 2),
              said(3, "Bob", "Tim did well.\n\nJohn, it was 1.", 3)]
    assert pairs(infer_edges(thread)) == {(3, 1)}


def test_salutations_with_and_without_lead_in_words() -> None:
    thread = [said(1, "jenny", "Why does Norman Lamb keep talking about religion?", 1),
              said(2, "Reader 85", "Yes, Jenny. Beginning to get the feeling.", 2),
              said(3, "Silvio", "Councillor Otten tells it like it is.", 3),
              said(4, "Reader 89", "Silvio,\nJoe Otten's stronghold is Tory.", 4),
              said(5, "Reader 91", "theakes,\nNobody called theakes commented.", 5)]
    edges = infer_edges(thread)
    assert pairs(edges) == {(2, 1), (4, 3)}
    assert {e.kind for e in edges} == {"salutation"}


def test_names_that_are_ordinary_words_need_an_at_sign_or_an_address() -> None:
    thread = [said(1, "Mark", "First.", 1), said(2, "Will", "Second.", 2),
              said(3, "Yes", "Third.", 3),
              said(4, "Ann", "Mark my words, this will end badly.\nWill this ever end?\n"
                             "Yes, that is right.\nwill, mark and yes are words.", 4),
              said(5, "Bob", "@Mark quite.", 5), said(6, "Cy", "Will, you are right.", 6),
              said(7, "A Social Liberal", "Tim did well.", 7),
              said(8, "Di", "A social liberal would never say that.", 8),
              said(9, "Ed", "A Social Liberal is right.", 9)]
    assert pairs(infer_edges(thread)) == {(5, 1), (6, 2), (9, 7)}


def test_pasted_header_resolves_by_author_and_minute() -> None:
    thread = [said(1, "Steve Way", "Barrack room lawyers.", 35),
              said(2, "Steve Way", "Later.", 40),
              said(3, "Richard Underhill", "Steve Way 4th Sep \u201915 \u2013 10:35am\nEd "
                                           "Miliband will campaign.", 50)]
    [edge] = infer_edges(thread)
    assert (edge.parent_comment_id, edge.kind) == (1, "pasted_header")
    assert edge.evidence == "Steve Way 4th Sep \u201915 \u2013 10:35am"


def test_pasted_header_of_a_comment_not_in_the_thread_points_nowhere() -> None:
    # Simon Shaw's 2:37pm comment is not here; his 10:58am one is not it.
    thread = [said(1, "Simon Shaw", "The answer is 3.", 58),
              said(2, "expats", "Simon Shaw 4th Sep \u201915 \u2013 2:37pm \u2026\u2026.@expats\n"
                                "Then why use them?", 59)]
    assert infer_edges(thread) == []


def test_pasted_time_alone_needs_exactly_one_comment_at_that_minute() -> None:
    body = "4th Sep '15 - 10:20am ........\nAs James points out."
    one = [said(1, "Ann", "A.", 20), said(2, "Bob", "B.", 21), said(3, "Cy", body, 30)]
    assert pairs(infer_edges(one)) == {(3, 1)}
    two = [said(1, "Ann", "A.", 20), said(2, "Bob", "B.", 20), said(3, "Cy", body, 30)]
    [edge] = infer_edges(two)
    assert (edge.ambiguous, edge.candidates, edge.kind) == (True, (1, 2), "pasted_header")


def test_quoted_passage_points_at_the_comment_that_first_said_it() -> None:
    thread = [said(1, "expats", "15.5% of Labour MPs \u201cendorsed\u201d Corbyn, so only 10%.", 1),
              said(2, "Ann", "As expats says, 15.5% of Labour MPs endorsed Corbyn.", 2),
              said(3, "Reader 90", "\u201c15.5% of Labour MPs \u201cendorsed\u201d Corbyn\u201d\n"
                                   "Well, there were more candidates.", 3)]
    edges = infer_edges(thread)
    assert (3, 1) in pairs(edges)
    assert [e.kind for e in edges if e.comment_id == 3] == ["quote"]


def test_quotes_of_the_article_or_of_oneself_or_too_short_are_no_edge() -> None:
    article = "Even compare it to Tony Blair, he began his parliamentary career early."
    thread = [said(1, "Steve", "\u201cSo the true comparison is how many MPs supported "
                               "Tim.\u201d", 1),
              said(2, "Ann", "\u201cthe best speeches\u201d, really?", 2),
              said(3, "John", "\u201cEven compare it to Tony Blair, he began his career\u201d", 3),
              said(4, "Steve", "He said \u201cSo the true comparison is how many MPs "
                               "supported Tim.\u201d", 4)]
    assert infer_edges(thread, article) == []


def test_copied_paragraph_without_quote_marks_is_a_quote() -> None:
    words = "Corbyn does have a bit of charisma and he does strike a chord with those"
    thread = [said(1, "Steve Way", f"{words} who deserted Labour.", 1),
              said(2, "Matthew", f"{words}.\n\nWhy do you suppose he does expect that?", 2)]
    [edge] = infer_edges(thread)
    assert (edge.parent_comment_id, edge.kind) == (1, "quote")


def test_agreeing_evidence_is_one_edge_with_more_confidence() -> None:
    thread = [said(1, "James Gane", "According to Wikipedia only one of our MPs endorsed.", 1),
              said(2, "Peter", "@James Gane", 2),
              said(3, "Peter", "@James Gane \u201cAccording to Wikipedia only one of our "
                               "MPs endorsed.\u201d", 3)]
    edges = {e.comment_id: e for e in infer_edges(thread)}
    assert edges[3].parent_comment_id == 1
    assert edges[3].confidence > edges[2].confidence


def test_mention_picks_the_comment_the_reply_takes_up() -> None:
    thread = [said(1, "Poppie's mum", "Cameron on savings credit.", 1),
              said(2, "Poppie's mum", "Release the David Kelly post mortem results too.", 2),
              said(3, "Poppie's mum", "Wee Danny Alexander thinks.", 3),
              said(4, "Reader 59", "@Poppie\u2019s Mum\nYes. The Kelly results were released.", 4),
              said(5, "Reader 60", "@poppie's MUM ok", 5)]
    assert pairs(infer_edges(thread)) == {(4, 2), (5, 3)}


def test_a_comment_with_the_sites_own_parent_is_not_inferred_but_can_be_answered() -> None:
    thread = [said(1, "Ann", "A point.", 1),
              said(2, "Bob", "@Ann yes", 2, parent_id=1),
              said(3, "Cy", "@Bob no", 3)]
    assert pairs(infer_edges(thread)) == {(3, 2)}


def test_hostile_bodies_are_read_as_text_quickly() -> None:
    hostile = ("<script>alert('@Ann')</script><a href=\"javascript:alert(1)\">@Ann</a>\x00"
               "\u202e@Ann\u202c " + "@" * 200_000 + "\u201c" * 50_000 + '"' * 50_000
               + "Ann, " * 20_000 + "4th Sep '15 - 10:01am " * 5_000)
    thread = [said(1, "Ann", "A point.", 1), said(2, "<b>Eve</b>", hostile, 2),
              said(3, "Bob", hostile, 3)]
    started = time.monotonic()
    edges = infer_edges(thread)
    assert time.monotonic() - started < 5
    assert {(e.comment_id, e.parent_comment_id) for e in edges} >= {(2, 1)}
    assert all(len(e.evidence) <= 200 for e in edges)


# --- the store ------------------------------------------------------------------------------

ARTICLE = Article(article_id=7, url="http://127.0.0.1:8000/post-7.html", title="Post",
                  author="Ann", published_raw=None, published_datetime=None, categories=(),
                  tags=(), body="Text.", comment_count_declared=3)


def comment(comment_id: int, author: str, body: str, minute: int) -> Comment:
    return Comment(comment_id=comment_id, author=author, author_url=None,
                   posted_raw=f"4th Sep '15 - 9:{minute:02d}am", posted_datetime=None,
                   body=body, body_html=f"<p>{body}</p>", position=comment_id,
                   is_post_author=False,
                   posted_at=datetime(2015, 9, 4, 9, minute, tzinfo=LONDON))


THREAD = Thread(article=ARTICLE, source_urls=(ARTICLE.url,), comments=(
    comment(1, "Caron Lindsay", "Corbyn was brilliant.", 4),
    comment(2, "Richard", "Caron Lindsay 4th Sep \u201915 \u2013 9:04am Please support us.", 28),
    comment(3, "Cy", "@Caron Lindsay @Nobody quite.", 30)))


def edge_rows(store: Store) -> list[dict[str, Any]]:
    return list(store.db.query("SELECT * FROM reply_edges ORDER BY comment_id"))


def test_edges_are_stored_with_the_thread_and_not_again() -> None:
    store = Store(open_database(":memory:"))
    run = store.begin_run("backfill", "x", "t0")
    store.write_thread(THREAD, run, "t1")
    rows = edge_rows(store)
    assert [(r["article_id"], r["comment_id"], r["parent_comment_id"], r["kind"],
             r["ambiguous"], r["candidates"], r["evidence"], r["run_id"]) for r in rows] == [
        (7, 2, 1, "pasted_header", 0, None, "Caron Lindsay 4th Sep \u201915 \u2013 9:04am", run),
        (7, 3, 1, "at_mention", 0, None, "@Caron Lindsay", run)]
    again = store.begin_run("incremental", "x", "t2")
    store.write_thread(THREAD, again, "t3")
    assert edge_rows(store) == rows


def test_edges_follow_edits_and_removed_comments_keep_theirs() -> None:
    store = Store(open_database(":memory:"))
    run = store.begin_run("backfill", "x", "t0")
    store.write_thread(THREAD, run, "t1")
    kept = edge_rows(store)[0]
    edited = replace(THREAD, comments=(
        THREAD.comments[0], THREAD.comments[1],
        replace(THREAD.comments[2], body="Caron, quite.", body_html="<p>Caron, quite.</p>")))
    store.write_thread(edited, store.begin_run("incremental", "x", "t2"), "t3")
    rows = edge_rows(store)
    assert rows[0] == kept  # unchanged evidence keeps its row and the run that found it
    assert [(r["comment_id"], r["kind"], r["evidence"]) for r in rows[1:]] == [
        (3, "salutation", "Caron,")]
    # Comment 2 removed from the site: a tombstone, and its edge stays as history.
    removed = replace(edited, article=replace(ARTICLE, comment_count_declared=2),
                      comments=(edited.comments[0], edited.comments[2]))
    store.write_thread(removed, store.begin_run("incremental", "x", "t4"), "t5")
    assert store.db.table("comments").get(2)["removed_at"] == "t5"
    assert edge_rows(store) == rows


def test_an_archive_from_before_reply_edges_gets_them_when_migrated(tmp_path: Path) -> None:
    from archiver.db.schema import migrations

    path = tmp_path / "old.db"
    store = Store(open_database(str(path)))
    store.write_thread(THREAD, store.begin_run("backfill", "x", "t0"), "t1")
    store.db.execute("DELETE FROM reply_edges")
    store.db.execute("DELETE FROM _sqlite_migrations WHERE name = 'm008_reply_edges'")
    store.db.execute("DROP TABLE reply_edges")
    store.db.conn.commit()
    migrations.apply(store.db)
    assert [(r["comment_id"], r["parent_comment_id"], r["run_id"])
            for r in edge_rows(store)] == [(2, 1, None), (3, 1, None)]


# --- a real crawl ---------------------------------------------------------------------------

def test_crawl_fills_reply_edges_and_a_recrawl_adds_none(tmp_path: Path,
                                                         mirror: MirrorServer) -> None:
    db_path = tmp_path / "archive.db"
    first = run_crawl(mirror.base_url, db_path)
    assert first.returncode == 0, first.stderr[-2000:]
    db = sqlite_utils.Database(db_path)
    rows = list(db.query("SELECT * FROM reply_edges ORDER BY edge_id"))
    answers = {entry["comment_id"]: entry["parent_comment_id"] for entry in TRUTH["edges"]}
    stored = [(r["comment_id"], r["parent_comment_id"]) for r in rows if not r["ambiguous"]]
    right = [pair for pair in stored if answers[pair[0]] == pair[1]]
    assert len(right) / len(stored) >= 0.95
    # The seed thread's pasted headers, mentions and quotes, read from the crawled HTML.
    assert {(400280, 400261), (400291, 400290), (400263, 400262), (400276, 400273),
            (565082, 565081), (134869, 134866)} <= set(stored)
    assert {r["run_id"] for r in rows} == {1}
    again = run_crawl(mirror.base_url, db_path, "mode=backfill")
    assert again.returncode == 0, again.stderr[-2000:]
    assert db.table("crawl_runs").get(2)["pages_parsed"] == 12
    assert list(db.query("SELECT * FROM reply_edges ORDER BY edge_id")) == rows
