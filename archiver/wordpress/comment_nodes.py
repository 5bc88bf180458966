"""Where an article page's own comments are: the elements of its comment list, in page order."""

# Comments are anchored on WordPress's own ids (`comment-N`, `li-comment-N`, `div-comment-N`)
# and structure rather than on one theme's classes; comments.py reads each one.

from __future__ import annotations

import re
from collections.abc import Iterator

from archiver.wordpress.query import by_id, xpath
from archiver.wordpress.shared import Element, class_tokens, is_foreign, is_foreign_block, node_id

# Going by attribute nodes is several times faster than a predicate on every element.
_COMMENTS_ID = xpath("/descendant::*/@id[. = 'comments']/..")
_BLOCK_COMMENTS = xpath(
    "/descendant::*/@class"
    "[contains(concat(' ', normalize-space(.), ' '), ' wp-block-comments ')]/..")
# Every id `node_id` reads holds this (one test per id is cheaper than three).
_WORDPRESS_IDS = xpath("descendant::*/@id[contains(., 'comment-')]/..")
# Without ids: walkers always class a comment's item `comment` (`li`; `div` with style=div;
# `article` in html5 themes that drop the `li`; `dt` in `dl` lists).
_CLASSED_ITEMS = xpath("descendant::*[self::li or self::article or self::div or self::dt]"
                       "[@class and contains(@class, 'comment')]")
_COMMENT_TAGS = frozenset({"li", "div", "article", "section", "dt"})
_LISTS = frozenset({"ol", "ul", "dl"})
# The ping walker prints "Pingback:" / "Trackback:" first, in every language WordPress has:
# a ping whose classes were renamed is still no comment.
_FIRST_TEXT = xpath("(descendant::text()[normalize-space()])[1]")  # in C: no element proxies
_PING_TEXT = re.compile(r"\s*(?:pingback|trackback)\s*:", re.IGNORECASE)


def find_comment_nodes(page: Element) -> list[Element]:
    """Scopes, narrowest first: `#comments`, `.wp-block-comments`, the whole page.

    In each scope: WordPress ids first, then (themes that print none) `.comment` items.
    Pings are left out by their class (`is_foreign`) or, classes renamed, their text.
    """
    for scope in _scopes(page):
        for strategy in (_nodes_by_wordpress_id, _nodes_by_comment_class):
            nodes = [node for node in strategy(scope) if not _is_ping(node)]
            if nodes:
                return nodes
    return []


def find_ping_ids(page: Element) -> frozenset[int]:
    """The ids of the pingbacks and trackbacks the page's comment list shows: WordPress's
    "N comments" heading counts them with the comments."""
    for scope in _scopes(page):
        ids = {number for element in _WORDPRESS_IDS(scope)
               if element.tag in _COMMENT_TAGS and (number := node_id(element)) is not None
               and (_PING_TOKENS & class_tokens(element) or _is_ping(element))}
        if ids:
            return frozenset(ids)
    return frozenset()


_PING_TOKENS = frozenset({"pingback", "trackback"})


def _is_ping(node: Element) -> bool:
    found = _FIRST_TEXT(node)
    return bool(found) and _PING_TEXT.match(found[0]) is not None


def _scopes(page: Element) -> Iterator[Element]:
    first_comments = by_id(page, "comments")
    if first_comments is not None:
        yield first_comments
        # The page is only scanned for a repeated `#comments` when the first holds none.
        yield from (scope for scope in _COMMENTS_ID(page) if scope is not first_comments)
    yield from _BLOCK_COMMENTS(page)
    yield page


def _nodes_by_wordpress_id(scope: Element) -> list[Element]:
    """Blocks with id `comment-N` / `li-comment-N` / `div-comment-N`, outermost per N.

    xhtml themes nest `div#comment-N` in `li#li-comment-N`, the html5 walker nests
    `article#div-comment-N` in `li#comment-N`: both are one comment. Nothing foreign
    (`is_foreign`) counts.
    """
    chain = (scope, *scope.iterancestors())
    if any(is_foreign_block(item) for item in chain):
        return []
    # Per element up to the scope: whether it or one above is foreign, and the comment
    # numbers of it and those above. Siblings share their parent's: each is looked at once.
    above: dict[Element, tuple[bool, set[int | None]]] = {
        scope: (False, {node_id(item) for item in chain})}

    def context(element: Element) -> tuple[bool, set[int | None]]:
        if element not in above:
            foreign, numbers = context(element.getparent())
            above[element] = (foreign or is_foreign_block(element), numbers | {node_id(element)})
        return above[element]

    found = []
    for element in _WORDPRESS_IDS(scope):
        number = node_id(element)
        if number is None or element.tag not in _COMMENT_TAGS:
            continue
        foreign, numbers = context(element.getparent())
        if not foreign and number not in numbers and not is_foreign_block(element):
            found.append(element)
    return found


def _nodes_by_comment_class(scope: Element) -> list[Element]:
    """Themes without ids: `.comment` items (walkers always add the class), outermost per
    comment: an `article.comment` inside an `li.comment` is that comment, not a reply (a
    reply is inside a list of its own)."""
    found: set[Element] = set()
    nodes = []
    for element in _CLASSED_ITEMS(scope):
        if "comment" not in class_tokens(element) or is_foreign(element):
            continue
        if element.tag != "li" and not _in_list_item(element, found):
            continue
        found.add(element)
        nodes.append(element)
    return nodes


def _in_list_item(element: Element, found: set[Element]) -> bool:
    """Whether a list (or `.children`) is met going up before any comment found so far."""
    for ancestor in element.iterancestors():
        if ancestor in found:
            return False
        if ancestor.tag in _LISTS or "children" in class_tokens(ancestor):
            return True
    return bool(element.tag != "div")  # a loose `div.comment` outside any list is not trusted
