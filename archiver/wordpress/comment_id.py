"""Which comment it is: its WordPress comment id, from its ids and links."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from urllib.parse import parse_qs, urlsplit

from archiver.ids import parse_id
from archiver.wordpress.comment_header import Header
from archiver.wordpress.comment_parts import css_classes
from archiver.wordpress.shared import COMMENT_ANCHOR, Element, first, node_id


# Comment id strategies, in order.
def _id_from_node_ids(header: Header) -> int | None:
    """The node's own id, else an inner `comment-N` / `div-comment-N` id."""
    number = node_id(header.node)
    if number is not None:
        return number
    return first(node_id(element)
                 for element in header.visible(range(1, len(header.own.elements))))


def _id_from_permalink(header: Header) -> int | None:
    """The header's permalink, `…#comment-N`."""
    for link in header.with_tag("a"):
        match = COMMENT_ANCHOR.search((link.get("href") or "").strip())
        if match:
            return parse_id(match[1])
    return None


def _id_from_reply_link(header: Header) -> int | None:
    """The reply link, `a.comment-reply-link` / `.reply a` / `a[data-commentid]`:
    `data-commentid="N"` or `?replytocom=N`."""
    for link in header.with_tag("a"):
        value = link.get("data-commentid")
        if value is None and "comment-reply-link" not in css_classes(link) and not _in_reply(
                link, header.node):
            continue
        if value and value.strip().isdigit():
            return parse_id(value.strip())
        query = parse_qs(urlsplit(link.get("href", "")).query)
        replyto = query.get("replytocom", [""])[0]
        if replyto.isdigit():
            return parse_id(replyto)
    return None


def _in_reply(link: Element, node: Element) -> bool:
    """Inside a `.reply` element of the comment (the comment's own element included)."""
    for ancestor in link.iterancestors():
        if "reply" in css_classes(ancestor):
            return True
        if ancestor is node:
            return False
    return False


ID_STRATEGIES: Sequence[Callable[[Header], int | None]] = (
    _id_from_node_ids, _id_from_permalink, _id_from_reply_link)
