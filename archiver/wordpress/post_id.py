"""Generic WordPress post id: which post a page is."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from urllib.parse import parse_qs, urlsplit

from parsel import Selector

from archiver.ids import parse_id
from archiver.wordpress.comment_pages import article_path
from archiver.wordpress.query import css, first_result, xpath
from archiver.wordpress.shared import POST_ELEMENT_ID, first

# `%postname%-%post_id%.html` permalinks end in the post id; a site's own URL rules (which
# paths are its articles) build on this pattern.
PERMALINK_POST_ID = r"-(?P<post_id>\d+)\.html"
_URL_POST_ID = re.compile(rf"{PERMALINK_POST_ID}?$")  # `.htm` too


def find_post_id(selector: Selector, url: str) -> int | None:
    """The page's WordPress post id: the first the strategies below find, in order."""
    return first(strategy(selector, url) for strategy in _POST_ID_STRATEGIES)


# Post id strategies, in order. `postid-N` and the comment form are specific to single-post
# pages; `#post-N` also appears on listings, so it only counts around full content.
_BODY_CLASS = css("body::attr(class)")
# Straight to the page's own <body>, when it follows a head with no stray <body> in it (one in
# a <noscript> lands there): then no <body> comes before it.
_OWN_BODY_CLASS = xpath("/html[*[1][self::head][not(descendant::body)]]/*[2][self::body]/@class")
_COMMENT_POST_ID = css("input[name='comment_post_ID']::attr(value)")
_POST_ELEMENTS = css("[id^='post-']")
_FULL_CONTENT = css(".entry-content, .wp-block-post-content")


def _post_id_body_class(selector: Selector, url: str) -> int | None:
    """`<body class="… single postid-N …">`."""
    classes = first_result(_OWN_BODY_CLASS, selector.root)
    if classes is None:
        classes = first_result(_BODY_CLASS, selector.root)
    for token in (classes or "").split():
        if token.startswith("postid-") and token[7:].isdigit():
            return parse_id(token[7:])
    return None


def _post_id_comment_form(selector: Selector, url: str) -> int | None:
    """The comment form's hidden `comment_post_ID` input."""
    value = first_result(_COMMENT_POST_ID, selector.root)
    return parse_id(value.strip()) if value and value.strip().isdigit() else None


def _post_id_post_element(selector: Selector, url: str) -> int | None:
    """`article#post-N` / `div#post-N` holding the full `.entry-content` (not a teaser)."""
    for element in _POST_ELEMENTS(selector.root):
        match = POST_ELEMENT_ID.match(element.get("id", ""))
        if match and _FULL_CONTENT(element):
            return parse_id(match[1])
    return None


def _post_id_url(selector: Selector, url: str) -> int | None:
    """The URL (`url_post_id`)."""
    return url_post_id(url)


def url_post_id(url: str) -> int | None:
    """The post id in the URL: `…-N.html` permalinks (or their comment pages), or `?p=N`."""
    parts = urlsplit(url)
    match = _URL_POST_ID.search(article_path(parts.path))
    if match:
        return parse_id(match[1])
    p = parse_qs(parts.query).get("p", [""])[0]
    return parse_id(p) if p.isdigit() else None


_POST_ID_STRATEGIES: Sequence[Callable[[Selector, str], int | None]] = (
    _post_id_body_class, _post_id_comment_form, _post_id_post_element, _post_id_url)

