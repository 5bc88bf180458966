"""The README's front door: a saved article page of each theme WordPress ships, read whole."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse

from archiver.wordpress import read_article_page

THEMES = Path(__file__).resolve().parent / "fixtures" / "themes"


@pytest.mark.parametrize("page", sorted(p.stem for p in THEMES.glob("*.html")))
def test_a_saved_page_gives_its_article_and_comments_with_parents(page: str) -> None:
    """Expected: WordPress's database when the page was saved (scripts/save-theme-pages.py)."""
    expected = json.loads((THEMES / f"{page}.json").read_text())
    url = expected["url"] + (f"comment-page-{expected['comment_page']}/"
                             if expected["comment_page"] else "")
    read = read_article_page(HtmlResponse(url, body=(THEMES / f"{page}.html").read_bytes()))
    assert read.article.article_id == expected["post"]["id"]
    # The JSON is in time order, a threaded page in tree order: compared by id.
    want = {c["id"]: c for c in expected["comments"]}
    got = {c.comment_id: c for c in read.comments}
    assert sorted(got) == sorted(want) and len(read.comments) == len(want)
    flat = not expected["options"]["thread_comments"]
    assert {i: c.parent_id for i, c in got.items()} == {
        i: None if flat else (c["parent"] or None) for i, c in want.items()}
    assert {i: c.author for i, c in got.items()} == {i: c["author"] for i, c in want.items()}
