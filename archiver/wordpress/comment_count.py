"""Generic WordPress comment count: the article's count heading and "N Comments" text."""

from __future__ import annotations

import re

from parsel import Selector

from archiver.ids import in_sqlite_range, parse_id
from archiver.wordpress.query import by_id, css, first_in_page, has_class, xpath
from archiver.wordpress.shared import Element, first, is_foreign
from archiver.wordpress.text import element_inline_text

# Number words of the common languages: English, German, French, Spanish, Dutch, Italian,
# Portuguese ("One Response", "Ein Gedanke zu …", "Une réflexion sur …", "Eén reactie").
_COUNT_WORDS = {
    **dict.fromkeys(("no", "zero", "keine", "kein", "aucun", "aucune", "ningún", "ninguno",
                     "geen", "nessun", "nessuno", "nenhum"), 0),
    **dict.fromkeys(("one", "ein", "eine", "einen", "un", "une", "uno", "una", "een", "één", "eén",
                     "um"), 1),
}
_NUMBER = "|".join(sorted(_COUNT_WORDS, key=len, reverse=True))
# What the heading counts, in those languages (WordPress's and its default themes' strings).
_NOUNS = ("comments?|responses?|thoughts?|replies|reply|reactions?|kommentare?|kommentaren|"
          "antworten|antwort|gedanken?|reaktionen|commentaires?|réponses?|réflexions?|"
          "comentarios?|respuestas?|pensamientos?|reacties|reactie|gedachten?|commenti|commento|"
          "risposte|risposta|pensieri|pensiero|comentários?|respostas?")
# "38 Comments", "One Comment", "No Comments", "3 Responses to “X”", "2 thoughts on “X”",
# "This Post Has 80 Comments", "12 Kommentare", "5 comentarios", "12 Reacties".
_COUNT_TEXT = re.compile(
    r"^\s*(?:this\s+(?:post|entry|article|page)\s+has\s+|dieser\s+beitrag\s+hat\s+|"
    r"cet\s+article\s+a\s+|este\s+(?:post|artículo)\s+tiene\s+|dit\s+bericht\s+heeft\s+)?"
    rf"(?P<n>\d[\d,.\u00a0\u202f]*|{_NUMBER})\s+(?:{_NOUNS})\b",
    re.IGNORECASE,
)
# "Comments (38)"
_COUNT_TEXT_PARENS = re.compile(rf"^\s*(?:{_NOUNS})\s*\((?P<n>\d+)\)", re.IGNORECASE)


def parse_comment_count_heading(selector: Selector) -> int | None:
    """The number in the article's comment count heading, or None when there is none.

    Page: a WordPress article page. Shapes: `h3#comments-title` "13 Comments" (xhtml
    themes), `h2.comments-title` "38 Comments" / "One Comment" (html5 themes),
    `h2.wp-block-comments-title` "2 responses to “X”" (block themes), Kubrick's
    `h3#comments` "3 Responses to “X”". "No Comments" is 0; no heading at all is None.
    """
    page = selector.root
    return first(strategy(page) for strategy in
                 (_count_by_class, _count_in_comments, _count_is_comments))


_TITLE = (f"@id = 'comments-title' or (contains(@class, 'comments-title') and "
          f"({has_class('comments-title')} or {has_class('wp-block-comments-title')}))")
_TITLES = xpath(f"/descendant::*[{_TITLE}]")
# Themes put the title atop `#comments`: the element itself or one of its children.
_FIRST_TITLE = first_in_page(_TITLE, "comments-title", near="self::* | *")
# `#comments h2, #comments h3, #comments h4, .wp-block-comments h2, .wp-block-comments h3`,
# from the few headings up rather than from every element down.
_IN_BLOCK = f"ancestor::*[@id = 'comments' or {has_class('wp-block-comments')}]"
_HEADINGS_IN_COMMENTS = xpath(f"/descendant::h2[{_IN_BLOCK}] | /descendant::h3[{_IN_BLOCK}]"
                              " | /descendant::h4[ancestor::*[@id = 'comments']]")
_HEADINGS_IS_COMMENTS = css("h2#comments, h3#comments")


def _count_by_class(page: Element) -> int | None:
    """Title classes the walkers' themes use: `#comments-title`, `.comments-title`, …"""
    # The first title is the heading on every theme we know; the rest only when it is not.
    title = _FIRST_TITLE.find(page, by_id(page, "comments"))
    if title is None:
        return None
    count = _count_of(title)
    if count is not None:
        return count
    return first(_count_of(item) for item in _TITLES(page)[1:])


def _count_in_comments(page: Element) -> int | None:
    """Any heading inside `#comments` / `.wp-block-comments` (not the form's "Leave a Reply")."""
    return first(_count_of(item) for item in _HEADINGS_IN_COMMENTS(page) if not is_foreign(item))


def _count_is_comments(page: Element) -> int | None:
    """Kubrick: the heading itself is `h3#comments`, the list its sibling."""
    return first(_count_of(item) for item in _HEADINGS_IS_COMMENTS(page))


def _count_of(heading: Element) -> int | None:
    return parse_count_text(element_inline_text(heading))


def parse_count_text(text: str) -> int | None:
    """"38 Comments" → 38, "One Response to “X”" → 1, "No Comments" → 0, else None."""
    match = _COUNT_TEXT.match(text) or _COUNT_TEXT_PARENS.match(text)
    if match is None:
        return None
    number = match["n"].lower()
    if number in _COUNT_WORDS:
        return _COUNT_WORDS[number]
    digits = re.sub(r"\D", "", number)
    if not digits:
        return None
    # A count no archive column can hold is not a count anyone wrote: unreadable.
    count = parse_id(digits)
    return count if in_sqlite_range(count) else None
