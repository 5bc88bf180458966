"""Where a comment's body is among its own elements, and the body as stored (HTML, text)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from lxml import etree

from archiver.wordpress.comment_parts import OwnElements, copy_without
from archiver.wordpress.comment_plain import reads_as_date
from archiver.wordpress.comment_words import byline, is_action, is_moderation_note, is_says
from archiver.wordpress.shared import Element
from archiver.wordpress.text import element_text, html_to_text, inner_html


@dataclass(frozen=True)
class Body:
    """Where a comment's body is: the inside of one element, or blocks standing loose."""

    elements: list[int]  # indices into the comment's own elements
    container: bool


def body_html_and_text(own: OwnElements, body: Body | None) -> tuple[str, str]:
    """The body as stored: a container's inner HTML, else the blocks' outer HTML without
    their tails; and its text. A reply nested in the body is left out of both."""
    if body is None:
        return "", ""
    parts = [copy_without(own.elements[index], own.is_nested) if own.holds_nested(index)
             else own.elements[index] for index in body.elements]
    if body.container:
        return inner_html(parts[0]), element_text(parts[0])
    html = "".join(etree.tostring(part, method="html", encoding="unicode", with_tail=False)
                   for part in parts)
    return html, html_to_text(html)


# Body strategies, in order, over the comment's own elements. The comment itself is never
# its own body (its header would be empty).
def _body_content_container(own: OwnElements) -> Body | None:
    """html5 walker `.comment-content`, block theme `.wp-block-comment-content`, `.comment-text`."""
    for token in ("comment-content", "wp-block-comment-content", "comment-text"):
        for index in own.with_class(token):
            if index:
                return Body([index], container=True)
    return None


def _body_leaf_comment_body(own: OwnElements) -> Body | None:
    """xhtml themes (Twenty Ten style): a `.comment-body` holding only the text.

    In the core xhtml and html5 walkers `.comment-body` wraps the header too; skip it then.
    """
    candidates = own.with_class("comment-body")
    header_parts = [inner for token in (
        "comment-author", "comment-meta", "commentmetadata", "comment-metadata", "fn",
        "comment-date", "wp-block-comment-author-name") for inner in own.with_class(token)
    ] if candidates else []
    for index in candidates:
        if index and not any(index <= inner < own.end(index) for inner in header_parts):
            return Body([index], container=True)
    return None


def _body_loose_blocks(own: OwnElements) -> Body | None:
    """Core xhtml walker and Kubrick: paragraphs directly in the comment, after the header.

    A theme whose classes say nothing may print its meta in paragraphs too (a "Reply" `p`,
    a byline after the body): such blocks at either end are the header's, not the body's.
    """
    blocks = own.loose_blocks()
    while blocks and _is_meta_block(own.elements[blocks[-1]]):
        blocks.pop()
    while blocks and _is_meta_block(own.elements[blocks[0]]):
        blocks.pop(0)
    return Body(blocks, container=False) if blocks else None


_MAX_META = 300  # characters: longer is somebody's text


def _is_meta_block(block: Element) -> bool:
    """A block holding the comment's time or reply link, or only words WordPress prints, a
    date, or a byline ("— Ann, March 5, 2021 at 3:04 pm")."""
    for element in block.iter("time", "a"):
        if element.tag == "time" or element.get("data-commentid") is not None or (
                "replytocom" in (element.get("href") or "")):
            return True
    text = " ".join("".join(block.itertext()).split())
    if len(text) > _MAX_META:
        return False
    if not text:
        return False
    if is_says(text) or is_moderation_note(text) or reads_as_date(text):
        return True
    if is_action(text) and any(True for _ in block.iter("a")):  # "Reply", "Edit" links
        return True
    found = byline(text)
    return found is not None and reads_as_date(found[1])


BODY_STRATEGIES: Sequence[Callable[[OwnElements], Body | None]] = (
    _body_content_container, _body_leaf_comment_body, _body_loose_blocks)
