"""Generic WordPress comment extraction: an article page's own comment list, in page order."""

# Themes differ, so each field is read by small strategy functions tried in a stated order;
# the first that finds something wins. Comments are anchored on WordPress's own ids
# (`comment-N`, `li-comment-N`, `div-comment-N`, `#comment-N` permalinks) and structure rather
# than on one theme's classes.

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qs, urljoin, urlsplit

from parsel import Selector

from archiver.items import Comment
from archiver.text import html_to_text, inline_text, inner_html
from spiders.wp_shared import (
    NOT_COMMENT_CLASS_TOKENS,
    Element,
    class_tokens,
    first,
    is_foreign,
    node_id,
    without,
)

_PERMALINK_ID = re.compile(r"#comment-(\d+)$")
_LOOSE_BODY_TAGS = ("p", "blockquote", "ul", "ol", "pre", "table", "figure", "dl",
                    "h1", "h2", "h3", "h4", "h5", "h6")


@dataclass(frozen=True)
class CommentHints:
    """Theme extras layered on the generic comment strategies (see spiders/ldv_pages.py).

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
    (xhtml themes). Never the Recent Comments widget, pingbacks/trackbacks or the form.
    A comment lacking a name, date or body still counts, with empty strings for those.
    """
    nodes = _find_comment_nodes(selector)
    return [_parse_comment(node, position, article_url, hints)
            for position, node in enumerate(nodes, start=1)]


def _find_comment_nodes(selector: Selector) -> list[Element]:
    """Scopes, narrowest first: `#comments`, `.wp-block-comments`, the whole page.

    In each scope: WordPress ids first, then (themes that print none) `li.comment` items.
    """
    scopes = [*selector.css("#comments"), *selector.css(".wp-block-comments"), selector]
    for scope in scopes:
        for strategy in (_nodes_by_wordpress_id, _nodes_by_comment_class):
            nodes = strategy(scope.root)
            if nodes:
                return nodes
    return []


def _nodes_by_wordpress_id(scope: Element) -> list[Element]:
    """Blocks with id `comment-N` / `li-comment-N` / `div-comment-N`, outermost per N.

    xhtml themes nest `div#comment-N` in `li#li-comment-N`, the html5 walker nests
    `article#div-comment-N` in `li#comment-N`: both are one comment.
    """
    found = []
    for element in scope.xpath(
            ".//*[self::li or self::div or self::article or self::section]"
            "[starts-with(@id, 'comment-') or starts-with(@id, 'li-comment-')"
            " or starts-with(@id, 'div-comment-')]"):
        number = node_id(element)
        if number is None or is_foreign(element):
            continue
        if any(node_id(ancestor) == number for ancestor in element.iterancestors()):
            continue
        found.append(element)
    return found


def _nodes_by_comment_class(scope: Element) -> list[Element]:
    """Themes without ids: `li.comment` items of a comment list (walkers always add it)."""
    return [element for element in scope.xpath(".//li")
            if "comment" in class_tokens(element) and not is_foreign(element)]


@dataclass
class _CommentParts:
    """One comment split in two private copies: its body, and the rest (the header)."""

    header: Selector
    body_html: str


def _parse_comment(node: Element, position: int, article_url: str,
                   hints: CommentHints) -> Comment:
    parts = _split_comment(node)
    name = first(strategy(parts.header) for strategy in _NAME_STRATEGIES)
    author, author_url = ("", None) if name is None else _name_and_url(name, hints)
    posted = first(strategy(parts.header) for strategy in _DATE_STRATEGIES)
    posted_raw, posted_datetime = posted if posted is not None else ("", None)
    comment_id = first(strategy(node, parts.header) for strategy in _ID_STRATEGIES)
    return Comment(
        comment_id=comment_id,
        author=author,
        author_url=urljoin(article_url, author_url) if author_url else None,
        posted_raw=posted_raw,
        posted_datetime=posted_datetime,
        body=html_to_text(parts.body_html),
        body_html=parts.body_html,
        position=position,
        is_post_author=_is_post_author(node, parts.header, hints),
    )


def _split_comment(node: Element) -> _CommentParts:
    """Copy the comment without its nested replies, then take its body out of the copy."""
    own = copy.deepcopy(node)
    own.tail = None
    for nested in [e for e in own.iterdescendants() if _is_nested_reply(e)]:
        if nested.getparent() is not None:
            nested.drop_tree()
    own_selector = Selector(root=own, type="html")
    body = first(strategy(own_selector) for strategy in _BODY_STRATEGIES)
    if body is None:
        return _CommentParts(header=own_selector, body_html="")
    html, elements = body
    for element in elements:
        element.drop_tree()
    return _CommentParts(header=own_selector, body_html=html)


def _is_nested_reply(element: Element) -> bool:
    """A reply inside a comment: a `.children` list, or a comment `li` (by id or class)."""
    classes = class_tokens(element)
    if "children" in classes and element.tag in ("ol", "ul", "div"):
        return True
    return element.tag == "li" and (
        node_id(element) is not None or bool(classes & {"comment", *NOT_COMMENT_CLASS_TOKENS}))


# Body strategies, in order. Each returns (inner HTML, elements to take out of the header).
_Body = tuple[str, list[Element]]


def _body_content_container(own: Selector) -> _Body | None:
    """html5 walker `.comment-content`, block theme `.wp-block-comment-content`, `.comment-text`."""
    for css in (".comment-content", ".wp-block-comment-content", ".comment-text"):
        found = own.css(css)
        if found:
            return inner_html(found[0].root), [found[0].root]
    return None


def _body_leaf_comment_body(own: Selector) -> _Body | None:
    """xhtml themes (Twenty Ten style): a `.comment-body` holding only the text.

    In the core xhtml and html5 walkers `.comment-body` wraps the header too; skip it then.
    """
    for found in own.css(".comment-body"):
        if not found.css(".comment-author, .comment-meta, .commentmetadata, .comment-metadata, "
                         ".fn, .comment-date, .wp-block-comment-author-name"):
            return inner_html(found.root), [found.root]
    return None


def _body_loose_blocks(own: Selector) -> _Body | None:
    """Core xhtml walker and Kubrick: paragraphs directly in the comment, after the header."""
    blocks = [element for element in own.root.iterdescendants()
              if element.tag in _LOOSE_BODY_TAGS and not _inside_header_or_block(element, own.root)]
    if not blocks:
        return None
    html = "".join(_outer_html(element) for element in blocks)
    return html, blocks


def _inside_header_or_block(element: Element, root: Element) -> bool:
    for ancestor in element.iterancestors():
        if ancestor is root:
            return False
        if ancestor.tag in _LOOSE_BODY_TAGS or ancestor.tag == "footer":
            return True
        classes = class_tokens(ancestor)
        if classes & {"comment-author", "comment-meta", "commentmetadata", "comment-metadata",
                      "reply", "comment-awaiting-moderation"}:
            return True
    return False


def _outer_html(element: Element) -> str:
    return str(Selector(root=element, type="html").get())  # parsel leaves the tail out


_BODY_STRATEGIES: Sequence[Callable[[Selector], _Body | None]] = (
    _body_content_container, _body_leaf_comment_body, _body_loose_blocks)


# Name strategies, in order, over the header only (so a quoted name in a body never counts).
def _name_fn(header: Selector) -> Selector | None:
    """hCard `.fn` (xhtml `cite.fn`, html5 `b.fn`)."""
    return _first_with_text(header.css(".fn"))


def _name_block_theme(header: Selector) -> Selector | None:
    """Block themes: `.wp-block-comment-author-name`."""
    return _first_with_text(header.css(".wp-block-comment-author-name"))


def _name_comment_author(header: Selector) -> Selector | None:
    """`.comment-author` itself holding the name (LDV's `span.comment-author`)."""
    return _first_with_text(header.css(".comment-author"))


def _name_cite(header: Selector) -> Selector | None:
    """Kubrick-era themes: a bare `<cite>` before "Says:"."""
    return _first_with_text(header.css("cite"))


def _name_url_link(header: Selector) -> Selector | None:
    """Last resort: the commenter's website link, `a.url`."""
    return _first_with_text(header.css("a.url"))


_NAME_STRATEGIES: Sequence[Callable[[Selector], Selector | None]] = (
    _name_fn, _name_block_theme, _name_comment_author, _name_cite, _name_url_link)


def _first_with_text(found: Iterable[Selector]) -> Selector | None:
    for item in found:
        if "".join(item.css("::text").getall()).strip():
            return item
    return None


def _name_and_url(name: Selector, hints: CommentHints) -> tuple[str, str | None]:
    """The name's text without what is not the name, and its link (the commenter's site)."""
    cleaned = without(name, (
        ".says", ".screen-reader-text", "img", "svg", "time", ".comment-meta",
        ".commentmetadata", ".comment-metadata", ".comment-date", "[class*='badge']",
        *hints.name_noise))
    author = inline_text(inner_html(cleaned.root))
    href = cleaned.attrib.get("href") if cleaned.root.tag == "a" else cleaned.css(
        "a::attr(href)").get()
    return author, (href.strip() or None) if href else None


# Date strategies, in order, over the header: (text as shown, `<time datetime>` or None).
_Posted = tuple[str, str | None]


def _date_time_element(header: Selector) -> _Posted | None:
    """html5 walker and block themes: `<time datetime="…">text</time>`."""
    for time in header.css("time"):
        raw = inline_text(time.get())
        stamp = time.attrib.get("datetime")
        if raw or stamp:
            return raw, stamp.strip() if stamp else None
    return None


def _date_permalink(header: Selector) -> _Posted | None:
    """The comment's permalink `<a href="…#comment-N">date</a>` (all walkers)."""
    for link in header.css("a[href*='#comment-']"):
        raw = inline_text(link.get())
        if raw:
            return raw, None
    return None


def _date_container(header: Selector) -> _Posted | None:
    """A date container without a link: `.comment-date`, `.comment-metadata`, `.comment-meta`."""
    for css in (".comment-date", ".wp-block-comment-date", ".comment-metadata",
                ".commentmetadata", ".comment-meta"):
        for found in header.css(css):
            # html5 `footer.comment-meta` holds the name too; edit and reply links are no date.
            cleaned = without(found, (
                ".comment-edit-link", ".edit-link", ".reply", ".comment-reply-link",
                ".comment-author", ".vcard", ".fn", ".says", "cite", "img", "[class*='badge']"))
            raw = inline_text(inner_html(cleaned.root))
            if raw:
                return raw, None
    return None


_DATE_STRATEGIES: Sequence[Callable[[Selector], _Posted | None]] = (
    _date_time_element, _date_permalink, _date_container)


# Comment id strategies, in order.
def _id_from_node_ids(node: Element, header: Selector) -> int | None:
    """The node's own id, else an inner `comment-N` / `div-comment-N` id."""
    number = node_id(node)
    if number is not None:
        return number
    for element in header.root.iterdescendants():
        if isinstance(element.tag, str) and (inner := node_id(element)) is not None:
            return inner
    return None


def _id_from_permalink(node: Element, header: Selector) -> int | None:
    """The header's permalink, `…#comment-N`."""
    for href in header.css("a::attr(href)").getall():
        match = _PERMALINK_ID.search(href.strip())
        if match:
            return int(match[1])
    return None


def _id_from_reply_link(node: Element, header: Selector) -> int | None:
    """The reply link: `data-commentid="N"` or `?replytocom=N`."""
    for link in header.css("a.comment-reply-link, .reply a, a[data-commentid]"):
        value = link.attrib.get("data-commentid")
        if value and value.strip().isdigit():
            return int(value)
        query = parse_qs(urlsplit(link.attrib.get("href", "")).query)
        replyto = query.get("replytocom", [""])[0]
        if replyto.isdigit():
            return int(replyto)
    return None


_ID_STRATEGIES: Sequence[Callable[[Element, Selector], int | None]] = (
    _id_from_node_ids, _id_from_permalink, _id_from_reply_link)


def _is_post_author(node: Element, header: Selector, hints: CommentHints) -> bool:
    """WordPress's `bypostauthor` class, else a theme's post-author marker (hints)."""
    if "bypostauthor" in class_tokens(node):
        return True
    return any(header.css(css) for css in hints.post_author_markers)
