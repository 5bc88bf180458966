"""Generic WordPress article terms: the post's category and tag names."""

from __future__ import annotations

from collections.abc import Iterable

from archiver.wordpress.query import css, has_mark, has_rel, xpath
from archiver.wordpress.shared import Element, class_tokens, clean
from archiver.wordpress.text import element_inline_text


def find_categories(scope: Element) -> tuple[str, ...]:
    """The post's category names, each once, in page order."""
    return tuple(_dedupe(_category_links(scope)))


def find_tags(scope: Element) -> tuple[str, ...]:
    """The post's tag names (not its categories), each once, in page order."""
    return tuple(_dedupe(_tag_links(scope)))


_CATEGORY_LINKS = (xpath(f"descendant::a[{has_rel('category')}]"),
                   css(".taxonomy-category a"), css(".cat-links a"))
_TAG_LINKS = xpath(f"descendant::a[{has_rel('tag')}]")


def _category_links(scope: Element) -> list[str]:
    """`rel="category tag"` links, else block themes' `.taxonomy-category`, else `.cat-links`."""
    for query in _CATEGORY_LINKS:
        names = [name for item in query(scope) if (name := clean(element_inline_text(item)))]
        if names:
            return names
    return []


def _tag_links(scope: Element) -> list[str]:
    """`rel="tag"` links that are not category links (block themes mark both rel=tag)."""
    names = []
    lists_near = has_mark(_CLASSES_AROUND(scope), _CATEGORY_LISTS)
    for item in _TAG_LINKS(scope):
        rel = (item.get("rel") or "").split()
        if "category" in rel or (lists_near and _in_category_list(item)):
            continue
        name = clean(element_inline_text(item))
        if name:
            names.append(name)
    return names


_CATEGORY_LISTS = frozenset({"taxonomy-category", "cat-links"})
# The classes of the post, its ancestors and its descendants in one string: when no category
# list class is in it, no link needs its ancestors looked at.
_CLASSES_AROUND = xpath(
    "concat(str:concat(ancestor-or-self::*/@class), ' ', str:concat(descendant::*/@class))")


def _in_category_list(link: Element) -> bool:
    return any(class_tokens(ancestor) & _CATEGORY_LISTS for ancestor in link.iterancestors())


def _dedupe(items: Iterable[str]) -> list[str]:
    """Each item once, first occurrence kept, order kept."""
    return list(dict.fromkeys(items))
