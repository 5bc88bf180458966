"""Generic WordPress article body: the post's content as text, without the theme's furniture."""

from __future__ import annotations

import copy

from archiver.wordpress.query import first_result, has_class, has_mark, xpath
from archiver.wordpress.shared import Element
from archiver.wordpress.text import element_text

_BODY_CONTAINERS = tuple(xpath(f"descendant-or-self::*[{has_class(name)}][1]")
                         for name in ("entry-content", "wp-block-post-content", "post-content",
                                      "entry"))
# Not the article: the author bio box, share buttons, related posts, a comments block, code.
_NOISE_CLASSES = ("author-bio", "author-info", "sharedaddy", "jp-relatedposts",
                  "wp-block-comments")
_BODY_NOISE = xpath(
    "descendant::*[self::script or self::style or @id = 'comments' or (@class and ("
    + " or ".join(f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"
                  for name in _NOISE_CLASSES)
    + "))]")
# Cheap tests that rule the noise out: the tags, the id, the classes in one string.
_NOISE_TAGS_OR_ID = xpath(
    "boolean(descendant::script | descendant::style) or descendant::*/@id = 'comments'")
_CLASSES_WITHIN = xpath("str:concat(descendant::*/@class)")


def article_body(scope: Element) -> str:
    """Text of `.entry-content` (block themes `.wp-block-post-content`, old themes `.entry`)
    minus the author bio box and other non-article furniture."""
    for query in _BODY_CONTAINERS:
        found = first_result(query, scope)
        if found is not None:
            return element_text(_without_noise(found))
    return ""


def _without_noise(found: Element) -> Element:
    """`found`, or when it may hold furniture a copy with the furniture taken out."""
    if not _NOISE_TAGS_OR_ID(found) and not has_mark(_CLASSES_WITHIN(found), _NOISE_CLASSES):
        return found
    # Taken out, not skipped while reading: the text either side of it joins up, so a line
    # break after it collapses into the space before it, as in the page without it.
    cleaned = copy.deepcopy(found)
    for item in _BODY_NOISE(cleaned):
        if item.getparent() is not None:
            item.drop_tree()
    return cleaned


