"""Comments of any theme's pages: hand-made walker markup, real theme pages, renamed classes.

Every fixture page is read twice more with its classes renamed (every class token made
meaningless, ids and tags kept) and with its classes removed: the theme-free strategies
must then give the same authors, times and bodies.
"""

from __future__ import annotations

import html as html_entities
import itertools
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import lxml.html
import pytest
from parsel import Selector

from archiver.date_words import relative_age, wall_time
from archiver.dates import DateParseError, to_utc_iso
from archiver.items import Comment
from archiver.pipelines.normalise import comment_time, normalise_body, normalise_name
from archiver.wordpress import parse_comment_count_heading, parse_comments, parse_count_text
from archiver.wordpress.comment_nodes import find_ping_ids
from archiver.wordpress.shared import is_foreign

FIXTURES = Path(__file__).resolve().parent / "fixtures"
HANDMADE = sorted((FIXTURES / "themes-handmade").glob("*.html"))
# Real pages of WordPress 6.1.9's default themes, with their comments from its database.
THEMES = sorted((FIXTURES / "themes").glob("*.html"))
# Pages whose replies are known by their `depth-N` classes alone: gone with the classes.
DEPTH_ONLY = frozenset({"dl-list", "spanish-depth"})


def rename_classes(html: str, *, remove: bool = False) -> str:
    """`html` with every class token replaced by a meaningless one (the same token for the
    same class, so the page keeps its shape), or every class attribute removed."""
    root = lxml.html.document_fromstring(html)
    names: dict[str, str] = {}
    counter = itertools.count(1)
    for element in root.iter():
        value = element.get("class") if isinstance(element.tag, str) else None
        if value is None:
            continue
        if remove:
            del element.attrib["class"]
            continue
        element.set("class", " ".join(
            names.setdefault(token, f"k{next(counter)}") for token in value.split()))
    return lxml.html.tostring(root, encoding="unicode", doctype="<!DOCTYPE html>")


def read_page(html: str, url: str) -> tuple[list[Comment], int | None]:
    selector = Selector(text=html)
    return parse_comments(selector, url), parse_comment_count_heading(selector)


def observed(comment: Comment, zone: ZoneInfo) -> dict[str, Any]:
    try:
        utc: str | None = to_utc_iso(comment_time(comment, None, zone))
    except DateParseError:
        utc = None
    return {"id": comment.comment_id, "author": normalise_name(comment.author),
            "utc": utc, "text": normalise_body(comment.body), "parent": comment.parent_id}


def expected_of(path: Path) -> dict[str, Any]:
    return json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))


def _check(path: Path, html: str, *, classes: bool) -> None:
    expected = expected_of(path)
    zone = ZoneInfo(expected["timezone"])
    comments, count = read_page(html, f"https://blog.example.org/{path.stem}/")
    got = [observed(comment, zone) for comment in comments]
    want = [{key: item.get(key) for key in ("id", "author", "utc", "text", "parent")}
            for item in expected["comments"]]
    if not classes and path.stem in DEPTH_ONLY:
        for item in (*got, *want):
            item.pop("parent")
    assert got == want
    for comment, item in zip(comments, expected["comments"], strict=True):
        if "author_url" in item:
            assert comment.author_url == item["author_url"]
        if "raw" in item:
            assert " ".join(comment.posted_raw.split()) == item["raw"]
    if classes:
        assert count == expected["count"]


@pytest.mark.parametrize("path", HANDMADE, ids=[path.stem for path in HANDMADE])
def test_handmade_page(path: Path) -> None:
    _check(path, path.read_text(encoding="utf-8"), classes=True)


@pytest.mark.parametrize("remove", [False, True], ids=["renamed", "removed"])
@pytest.mark.parametrize("path", HANDMADE, ids=[path.stem for path in HANDMADE])
def test_handmade_page_without_its_classes(path: Path, remove: bool) -> None:
    _check(path, rename_classes(path.read_text(encoding="utf-8"), remove=remove), classes=False)


# The database holds what the commenter typed; the page shows it through `wptexturize` (curly
# quotes, dashes, ellipses) and `wpautop` (paragraphs, line breaks): compared with those folded.
_TEXTURIZED = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
                             "\u2032": "'", "\u2033": '"', "\u2013": "-", "\u2014": "-",
                             "\u2026": "...", "\u00a0": " ", "\u00d7": "x"})


def _untexturized(text: str) -> str:
    folded = html_entities.unescape(text).translate(_TEXTURIZED)
    return " ".join(folded.replace("---", "-").replace("--", "-").split())


@pytest.mark.parametrize("mode", ["as-is", "renamed", "removed"])
@pytest.mark.parametrize("path", THEMES, ids=[path.stem for path in THEMES])
def test_real_theme_page(path: Path, mode: str) -> None:
    expected = expected_of(path)
    zone = ZoneInfo(expected["options"]["timezone_string"])  # Europe/London
    html = path.read_text(encoding="utf-8")
    if mode != "as-is":
        html = rename_classes(html, remove=mode == "removed")
    comments, count = read_page(html, expected["url"])
    # Threaded pages show replies under their parents, the database lists by date: by id.
    got = sorted((observed(comment, zone) for comment in comments), key=lambda item: item["id"])
    flat = expected["options"]["thread_comments"] == 0  # a flat page shows no parents
    want = sorted(({"id": item["id"], "author": item["author"],
                    "utc": item["date_gmt"].replace(" ", "T") + "Z", "text": item["text"],
                    "parent": None if flat else item["parent"] or None}
                   for item in expected["comments"]), key=lambda item: item["id"])
    for item in (*got, *want):
        item["text"] = _untexturized(item["text"])
    assert got == want
    if mode == "as-is":
        assert count == expected["post"]["approved_comments_in_thread"]


def test_rename_keeps_ids_and_tags() -> None:
    html = '<html><body class="a b"><div id="comment-1" class="comment a">x</div></body></html>'
    renamed = lxml.html.document_fromstring(rename_classes(html))
    assert renamed.body.get("class") == "k1 k2"
    assert renamed.get_element_by_id("comment-1").get("class") == "k3 k1"


# --- pieces ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "wall"), [
    ("March 5, 2021 at 3:04 pm", "2021-03-05T15:04:00"),
    ("5. März 2021 um 15:04 Uhr", "2021-03-05T15:04:00"),
    ("5 mars 2021 à 15 h 04", "2021-03-05T15:04:00"),
    ("5 de marzo de 2021 a las 15:04", "2021-03-05T15:04:00"),
    ("2021-03-05 15:04", "2021-03-05T15:04:00"),
    ("5 maart 2021 om 15:04", "2021-03-05T15:04:00"),
    ("5 marzo 2021 alle 15:04", "2021-03-05T15:04:00"),
    ("Friday, March 5, 2021 at 3:04 pm", "2021-03-05T15:04:00"),
    ("05.03.2021 um 15:04", "2021-03-05T15:04:00"),
    ("Mar 5, 2021 @ 12:04 am", "2021-03-05T00:04:00"),
])
def test_dates_in_the_common_formats_and_languages(text: str, wall: str) -> None:
    found = wall_time(text)
    assert found is not None and found.isoformat() == wall


@pytest.mark.parametrize("text", ["March 5, 2021", "Ann March 5, 2021 at 3:04 pm", "2 weeks ago",
                                  "Reply", "5 Smarch 2021 at 3:04 pm"])
def test_not_dates(text: str) -> None:
    assert wall_time(text) is None


def test_impossible_dates_are_errors() -> None:
    with pytest.raises(ValueError):
        wall_time("31. Februar 2021 um 10:00")


@pytest.mark.parametrize(("text", "days"), [
    ("2 weeks ago", 14), ("vor 3 Tagen", 3), ("il y a 2 jours", 2), ("hace 1 mes", 30),
    ("3 dagen geleden", 3), ("2 giorni fa", 2), ("a year ago", 365)])
def test_relative_dates(text: str, days: int) -> None:
    age = relative_age(text)
    assert age is not None and age.days == days


@pytest.mark.parametrize(("text", "count"), [
    ("12 Comments", 12), ("One Response to “Hello”", 1), ("This Post Has 80 Comments", 80),
    ("12 Kommentare", 12), ("5 comentarios", 5), ("12 commentaires", 12),
    ("One thought on “Hello”", 1), ("2 thoughts on “Hello”", 2), ("12 Reacties", 12),
    ("Ein Gedanke zu „Hallo“", 1), ("Une réflexion sur « Bonjour »", 1),
    ("2 commenti su “Ciao”", 2), ("Leave a Reply", None)])
def test_count_headings(text: str, count: int | None) -> None:
    assert parse_count_text(text) == count


def test_a_body_class_starting_with_widget_is_no_widget() -> None:
    page = lxml.html.document_fromstring(
        '<html class="widgets-x"><body class="widget-page"><main class="widgetized">'
        '<div id="x">text</div></main><aside class="widget"><p id="y">w</p></aside>'
        '</body></html>')
    assert not is_foreign(page.get_element_by_id("x"))
    assert is_foreign(page.get_element_by_id("y"))


def test_the_pings_a_comment_list_shows_are_counted_by_class_or_by_their_text() -> None:
    page = ('<html><body><div id="comments"><ol class="commentlist">'
            '<li id="comment-1" class="comment"><p>A comment.</p></li>'
            '<li id="comment-2" class="pingback"><p>Pingback: <a href="x">Elsewhere</a></p></li>'
            '<li id="li-comment-3" class="k9"><p>Trackback: <a href="y">Another</a></p></li>'
            '</ol></div><ul><li id="comment-4" class="pingback">Pingback: a widget</li></ul>'
            '</body></html>')
    root = lxml.html.document_fromstring(page)
    assert find_ping_ids(root) == {2, 3}
    assert find_ping_ids(lxml.html.document_fromstring("<html><body><p>x</p></body></html>")) \
        == frozenset()
