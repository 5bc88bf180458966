"""Which comment a reply answers: WordPress's parent comment id, None at the top level."""

# Strategies, in order, per comment:
# 1. Nesting: the nearest enclosing comment (`ol.children` / `ul.children` / `div.children`
#    inside the parent's item), or a list placed right beside a comment (`li#comment-1` then
#    `ul.children`, or a `dl` list's `dd` after its `dt`).
# 2. A link in the reply's own header to another comment: "in reply to" `#comment-M`,
#    `?replytocom=M`, `data-commentid="M"`. A comment's own reply link carries its OWN id,
#    so a link to itself says nothing; the parent is older, so its id is smaller.
# 3. `depth-N` classes with flat placement: the nearest earlier comment of depth N-1.

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import parse_qs, urlsplit

from archiver.ids import parse_id
from archiver.wordpress.comment_header import Header
from archiver.wordpress.shared import COMMENT_ANCHOR, Element

_DEPTH = re.compile(r"(?:^|\s)depth-([0-9]{1,3})(?:\s|$)")
_CONTAINERS = frozenset({"ol", "ul", "div", "dd", "dl"})


def parent_ids(nodes: Sequence[Element], ids: Sequence[int | None],
               headers: Sequence[Header]) -> list[int | None]:
    """Each comment's parent id, in the order of `nodes`."""
    position = {node: index for index, node in enumerate(nodes)}
    # Comments in one list share what encloses them: each list is walked up from once.
    by_list: dict[Element, int | None] = {}
    parents: list[int | None] = []
    for index, node in enumerate(nodes):
        container = node.getparent()
        if container not in by_list:
            by_list[container] = _enclosing(container, position)
        enclosing = by_list[container]
        if enclosing is not None:
            parents.append(ids[enclosing])
            continue
        linked = _linked_parent(headers[index], ids[index], set(ids[:index]))
        parents.append(linked if linked is not None else _by_depth(nodes, ids, index))
    return parents


def _enclosing(container: Element, position: dict[Element, int]) -> int | None:
    """The nearest comment holding `container` (a comment's parent element), or the comment
    right before a list holding it."""
    if container is None:
        return None
    for ancestor in (container, *container.iterancestors()):
        if ancestor in position:
            return position[ancestor]
        if ancestor.tag in _CONTAINERS:
            previous = ancestor.getprevious()
            while previous is not None and not isinstance(previous.tag, str):
                previous = previous.getprevious()  # comments between them
            if previous is not None and previous in position:
                return position[previous]
        if ancestor.tag == "body":
            break
    return None


def _linked_parent(header: Header, own: int | None, earlier: set[int | None]) -> int | None:
    """An id in the header's links that is another, older comment's."""
    for link in header.with_tag("a"):
        for number in _link_ids(link):
            if number != own and (number in earlier or (own is not None and number < own)):
                return number
    return None


def _link_ids(link: Element) -> list[int]:
    found: list[int] = []
    value = link.get("data-commentid")
    href = link.get("href") or ""
    if value is None and "comment" not in href:  # most links: no comment id to read
        return found
    value = (value or "").strip()
    if value.isdigit():
        found.append(parse_id(value))
    href = href.strip()
    if "replytocom" in href:
        replyto = parse_qs(urlsplit(href).query).get("replytocom", [""])[0]
        if replyto.isdigit():
            found.append(parse_id(replyto))
    anchor = COMMENT_ANCHOR.search(href)
    if anchor:
        found.append(parse_id(anchor[1]))
    return found


def _by_depth(nodes: Sequence[Element], ids: Sequence[int | None], index: int) -> int | None:
    depth = _depth(nodes[index])
    if depth is None or depth <= 1:
        return None
    for earlier in range(index - 1, -1, -1):
        above = _depth(nodes[earlier])
        if above == depth - 1:
            return ids[earlier]
        if above is not None and above < depth - 1:
            return None  # a gap: the parent is not on this page
    return None


def _depth(node: Element) -> int | None:
    match = _DEPTH.search(node.get("class") or "")
    return int(match[1]) if match else None
