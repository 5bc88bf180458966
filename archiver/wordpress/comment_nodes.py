"""Where an article page's own comments are: the elements of its comment list, in page order."""

# Comments are anchored on WordPress's own ids (`comment-N`, `li-comment-N`, `div-comment-N`)
# and structure rather than on one theme's classes; comments.py reads each one.

from __future__ import annotations

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
_LIST_ITEMS = xpath("descendant::li")


def find_comment_nodes(page: Element) -> list[Element]:
    """Scopes, narrowest first: `#comments`, `.wp-block-comments`, the whole page.

    In each scope: WordPress ids first, then (themes that print none) `li.comment` items.
    """
    for scope in _scopes(page):
        for strategy in (_nodes_by_wordpress_id, _nodes_by_comment_class):
            nodes = strategy(scope)
            if nodes:
                return nodes
    return []


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
        if number is None or element.tag not in ("li", "div", "article", "section"):
            continue
        foreign, numbers = context(element.getparent())
        if not foreign and number not in numbers and not is_foreign_block(element):
            found.append(element)
    return found


def _nodes_by_comment_class(scope: Element) -> list[Element]:
    """Themes without ids: `li.comment` items of a comment list (walkers always add it)."""
    return [element for element in _LIST_ITEMS(scope)
            if "comment" in class_tokens(element) and not is_foreign(element)]
