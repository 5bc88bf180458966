"""Generic WordPress comment count: the article's count heading and "N Comments" text."""

from __future__ import annotations

import re

from parsel import Selector

from archiver.text import inline_text
from spiders.wp_shared import is_foreign

_COUNT_WORDS = {"no": 0, "zero": 0, "one": 1}
# "38 Comments", "One Comment", "No Comments", "3 Responses to “X”", "2 thoughts on “X”".
_COUNT_TEXT = re.compile(
    r"^\s*(?P<n>\d[\d,.\u00a0\u202f]*|no|zero|one)\s+"
    r"(?:comments?|responses?|thoughts?|replies|reply|reactions?)\b",
    re.IGNORECASE,
)
# "Comments (38)"
_COUNT_TEXT_PARENS = re.compile(r"^\s*(?:comments?|responses?)\s*\((?P<n>\d+)\)", re.IGNORECASE)


def parse_comment_count_heading(selector: Selector) -> int | None:
    """The number in the article's comment count heading, or None when there is none.

    Page: a WordPress article page. Shapes: `h3#comments-title` "13 Comments" (xhtml
    themes), `h2.comments-title` "38 Comments" / "One Comment" (html5 themes),
    `h2.wp-block-comments-title` "2 responses to “X”" (block themes), Kubrick's
    `h3#comments` "3 Responses to “X”". "No Comments" is 0; no heading at all is None.
    """
    for strategy in (_heading_by_class, _heading_in_comments, _heading_is_comments):
        for text in strategy(selector):
            count = parse_count_text(text)
            if count is not None:
                return count
    return None


def _heading_by_class(selector: Selector) -> list[str]:
    """Title classes the walkers' themes use: `#comments-title`, `.comments-title`, …"""
    found = selector.css("#comments-title, .comments-title, .wp-block-comments-title")
    return [inline_text(item.get()) for item in found]


def _heading_in_comments(selector: Selector) -> list[str]:
    """Any heading inside `#comments` / `.wp-block-comments` (not the form's "Leave a Reply")."""
    found = selector.css("#comments h2, #comments h3, #comments h4, .wp-block-comments h2, "
                         ".wp-block-comments h3")
    return [inline_text(item.get()) for item in found if not is_foreign(item.root)]


def _heading_is_comments(selector: Selector) -> list[str]:
    """Kubrick: the heading itself is `h3#comments`, the list its sibling."""
    return [inline_text(item.get()) for item in selector.css("h2#comments, h3#comments")]


def parse_count_text(text: str) -> int | None:
    """"38 Comments" → 38, "One Response to “X”" → 1, "No Comments" → 0, else None."""
    match = _COUNT_TEXT.match(text) or _COUNT_TEXT_PARENS.match(text)
    if match is None:
        return None
    number = match["n"].lower()
    if number in _COUNT_WORDS:
        return _COUNT_WORDS[number]
    digits = re.sub(r"\D", "", number)
    return int(digits) if digits else None
