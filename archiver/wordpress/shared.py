"""Small helpers and types shared by the generic WordPress page functions."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from archiver.ids import parse_id

# lxml ships no type information; its elements are plain `Any` to mypy.
Element = Any
Predicate = Callable[[Element], bool]
T = TypeVar("T")
S = TypeVar("S")

_NODE_ID = re.compile(r"^(?:li-|div-)?comment-(\d+)$")
POST_ELEMENT_ID = re.compile(r"^post-(\d+)$")
# A comment's permalink, `<article URL>#comment-N`.
COMMENT_ANCHOR = re.compile(r"#comment-(\d+)$")

# Containers a comment of the article's own list is never inside.
_FOREIGN_IDS = frozenset({"respond", "recentcomments", "trackbacks", "pings", "commentform"})
_FOREIGN_CLASS_TOKENS = frozenset({"trackbacklist", "pinglist", "comment-respond"})
NOT_COMMENT_CLASS_TOKENS = frozenset({"pingback", "trackback"})
_FOREIGN_TOKENS = NOT_COMMENT_CLASS_TOKENS | _FOREIGN_CLASS_TOKENS
_PAGE_WRAPPERS = frozenset({"html", "body", "main"})


def first(results: Iterable[T | None]) -> T | None:
    """The first result that is not None; pass a generator so later strategies never run."""
    for found in results:
        if found is not None:
            return found
    return None


def first_found(strategies: Iterable[Callable[[S], T | None]], subject: S) -> T | None:
    """The first strategy's answer about `subject` that is not None; later ones never run.
    (`first` over a generator, without making one: this runs several times per comment.)"""
    for strategy in strategies:
        found = strategy(subject)
        if found is not None:
            return found
    return None


def node_id(element: Element) -> int | None:
    match = _NODE_ID.match(element.get("id") or "")
    return parse_id(match[1]) if match else None


def class_tokens(element: Element) -> set[str]:
    return set((element.get("class") or "").split())


def is_foreign(element: Element) -> bool:
    """Pingbacks, trackbacks, and anything inside the form, a widget or a trackback list."""
    return any(is_foreign_block(item) for item in (element, *element.iterancestors()))


def is_foreign_block(element: Element) -> bool:
    """The element itself is a pingback, trackback, the form, a widget or a trackback list.

    The page's wrappers (`html`, `body`, `main`) are never foreign: themes and plugins put
    page-level classes there (`widgets-enabled`, `widget-area-left`), and one such class
    must not make a whole page's comments a widget's.
    """
    if element.tag in _PAGE_WRAPPERS:
        return False
    if element.get("id") in _FOREIGN_IDS or element.tag == "form":
        return True
    value = element.get("class")
    # Every foreign token holds one of these: most classes are ruled out by a few searches.
    hinted = value and ("back" in value or "pinglist" in value or "comment-respond" in value
                        or "widget" in value)
    return bool(hinted) and any(
        token in _FOREIGN_TOKENS or token.startswith("widget") for token in value.split())


def clean(text: str | None) -> str | None:
    """Strip; empty becomes None."""
    if text is None:
        return None
    stripped = text.strip()
    return stripped or None
