"""Small helpers and types shared by the generic WordPress page functions."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from parsel import Selector

# lxml ships no type information; its elements are plain `Any` to mypy.
Element = Any
T = TypeVar("T")

_NODE_ID = re.compile(r"^(?:li-|div-)?comment-(\d+)$")
POST_ELEMENT_ID = re.compile(r"^post-(\d+)$")
COMMENT_PAGE = re.compile(r"/comment-page-(\d+)/?$")

# Containers a comment of the article's own list is never inside.
_FOREIGN_IDS = frozenset({"respond", "recentcomments", "trackbacks", "pings", "commentform"})
_FOREIGN_CLASS_TOKENS = frozenset({"trackbacklist", "pinglist", "comment-respond"})
NOT_COMMENT_CLASS_TOKENS = frozenset({"pingback", "trackback"})


def first(results: Iterable[T | None]) -> T | None:
    """The first result that is not None; pass a generator so later strategies never run."""
    for found in results:
        if found is not None:
            return found
    return None


def node_id(element: Element) -> int | None:
    match = _NODE_ID.match(element.get("id") or "")
    return int(match[1]) if match else None


def class_tokens(element: Element) -> set[str]:
    return set((element.get("class") or "").split())


def is_foreign(element: Element) -> bool:
    """Pingbacks, trackbacks, and anything inside the form, a widget or a trackback list."""
    for item in (element, *element.iterancestors()):
        classes = class_tokens(item)
        if classes & NOT_COMMENT_CLASS_TOKENS or classes & _FOREIGN_CLASS_TOKENS:
            return True
        if item.get("id") in _FOREIGN_IDS or item.tag == "form":
            return True
        if any(token.startswith("widget") for token in classes):
            return True
    return False


def without(found: Selector, noise: Sequence[str]) -> Selector:
    """A private copy of `found` with the descendants matching `noise` taken out."""
    element = copy.deepcopy(found.root)
    element.tail = None
    copied = Selector(root=element, type="html")
    for item in copied.css(", ".join(noise)):
        if item.root is not element and item.root.getparent() is not None:
            item.root.drop_tree()
    return copied


def clean(text: str | None) -> str | None:
    """Strip; empty becomes None."""
    if text is None:
        return None
    stripped = text.strip()
    return stripped or None
