"""Where a comment's body is among its own elements, and the body as stored (HTML, text)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from lxml import etree

from archiver.wordpress.comment_parts import OwnElements, copy_without
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
    """Core xhtml walker and Kubrick: paragraphs directly in the comment, after the header."""
    blocks = own.loose_blocks()
    return Body(blocks, container=False) if blocks else None


BODY_STRATEGIES: Sequence[Callable[[OwnElements], Body | None]] = (
    _body_content_container, _body_leaf_comment_body, _body_loose_blocks)
