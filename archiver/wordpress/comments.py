"""Generic WordPress comment extraction: an article page's own comment list, in page order."""

# Themes differ, so each field is read by small strategy functions tried in a stated order;
# the first that finds something wins (comment_body.py, comment_author.py, comment_date.py,
# comment_id.py). Comments are found as comment_nodes.py finds them and read from WordPress's
# own ids (`#comment-N` permalinks) and structure rather than from one theme's classes. The
# strategies look at a comment's parts as comment_parts.py and comment_header.py prepare
# them, without selectors or copies (speed).

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from urllib.parse import urljoin

from parsel import Selector

from archiver.items import Comment
from archiver.wordpress.comment_author import NAME_STRATEGIES, author_and_url
from archiver.wordpress.comment_body import BODY_STRATEGIES, body_html_and_text
from archiver.wordpress.comment_date import DATE_STRATEGIES
from archiver.wordpress.comment_header import Header
from archiver.wordpress.comment_id import ID_STRATEGIES
from archiver.wordpress.comment_nodes import find_comment_nodes
from archiver.wordpress.comment_parent import parent_ids
from archiver.wordpress.comment_parts import OwnElements
from archiver.wordpress.query import css_union
from archiver.wordpress.shared import Element, first_found


@dataclass(frozen=True)
class CommentHints:
    """Theme extras layered on the generic comment strategies (see spiders/ldv.py).

    ``name_noise``: CSS selectors for elements inside a comment header's name element that
    are not part of the name (badges repeating it). ``post_author_markers``: CSS selectors
    that, present in a comment's header, mark the post author's own comment.
    """

    name_noise: tuple[str, ...] = ()
    post_author_markers: tuple[str, ...] = ()


GENERIC_HINTS = CommentHints()


def parse_comments(selector: Selector, article_url: str, *,
                   hints: CommentHints = GENERIC_HINTS) -> list[Comment]:
    """Reader comments of the article's own comment list, in page order.

    Page: a WordPress article page, e.g. https://www.libdemvoice.org/<slug>-47108.html.
    Shape: `#comments` (or a block theme's `.wp-block-comments`) holding an `ol/ul` of
    `li#comment-N` (html5 walker, block theme) or `li#li-comment-N > div#comment-N`
    (xhtml themes), `article.comment`, `dl` lists. Never the Recent Comments widget,
    pingbacks/trackbacks or the form. A comment lacking a name, date or body still counts,
    with empty strings for those. `parent_id` is the comment a reply answers
    (comment_parent.py), None at the top level.
    """
    nodes = find_comment_nodes(selector.root)
    read = [_parse_comment(node, position, article_url, hints)
            for position, node in enumerate(nodes, start=1)]
    comments = [comment for comment, _ in read]
    parents = parent_ids(nodes, [comment.comment_id for comment in comments],
                         [header for _, header in read])
    # Most comments are at the top level: only replies are copied.
    return [comment if parent is None else replace(comment, parent_id=parent)
            for comment, parent in zip(comments, parents, strict=True)]


def _parse_comment(node: Element, position: int, article_url: str,
                   hints: CommentHints) -> tuple[Comment, Header]:
    own = OwnElements(node)
    body = first_found(BODY_STRATEGIES, own)
    header = Header(own, body.elements if body else [])
    name = first_found(NAME_STRATEGIES, header)
    author, author_url = (("", None) if name is None
                          else author_and_url(header, name, hints.name_noise))
    posted = first_found(DATE_STRATEGIES, header)
    posted_raw, posted_datetime = posted if posted is not None else ("", None)
    comment_id = first_found(ID_STRATEGIES, header)
    body_html, body_text = body_html_and_text(own, body)
    return Comment(
        comment_id=comment_id,
        author=author,
        author_url=_absolute(article_url, author_url) if author_url else None,
        posted_raw=posted_raw,
        posted_datetime=posted_datetime,
        body=body_text,
        body_html=body_html,
        position=position,
        is_post_author=_is_post_author(header, hints),
    ), header


@lru_cache(maxsize=1024)
def _absolute(page_url: str, url: str) -> str:
    """`urljoin`, done once per commenter of a thread (most comment more than once)."""
    return urljoin(page_url, url)


def _is_post_author(header: Header, hints: CommentHints) -> bool:
    """WordPress's `bypostauthor` class, else a theme's post-author marker (hints)."""
    value = header.node.get("class") or ""
    if "bypostauthor" in value and "bypostauthor" in value.split():  # `class_tokens`'s split
        return True
    markers = hints.post_author_markers
    if not markers or not header.own.could_match(markers):
        return False
    return any(header.holds(found) for found in css_union(markers)(header.node))
