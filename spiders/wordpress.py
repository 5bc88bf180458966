"""Page functions for any WordPress site: article pages, their comment lists, listings.

Everything here is pure (a selector or response in, items out). Themes differ, so each field
is read by small strategy functions tried in a stated order; the first that finds something
wins. Comments are anchored on WordPress's own ids (`comment-N`, `li-comment-N`,
`div-comment-N`, `#comment-N` permalinks) and structure rather than on one theme's classes.
Site quirks (LDV's byline, badges) live in the site's own module on top of this one.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import parse_qs, urljoin, urlsplit, urlunsplit

from parsel import Selector
from scrapy.http import TextResponse

from archiver.errors import PageStructureError
from archiver.items import Article, Comment
from archiver.text import html_to_text, inline_text, inner_html

# lxml ships no type information; its elements are plain `Any` to mypy.
Element = Any
T = TypeVar("T")

_NODE_ID = re.compile(r"^(?:li-|div-)?comment-(\d+)$")
_PERMALINK_ID = re.compile(r"#comment-(\d+)$")
_POST_ELEMENT_ID = re.compile(r"^post-(\d+)$")
_COMMENT_PAGE = re.compile(r"/comment-page-(\d+)/?$")
_COUNT_WORDS = {"no": 0, "zero": 0, "one": 1}
# "38 Comments", "One Comment", "No Comments", "3 Responses to “X”", "2 thoughts on “X”".
_COUNT_TEXT = re.compile(
    r"^\s*(?P<n>\d[\d,.\u00a0\u202f]*|no|zero|one)\s+"
    r"(?:comments?|responses?|thoughts?|replies|reply|reactions?)\b",
    re.IGNORECASE,
)
# "Comments (38)"
_COUNT_TEXT_PARENS = re.compile(r"^\s*(?:comments?|responses?)\s*\((?P<n>\d+)\)", re.IGNORECASE)
_LEAVE_A_COMMENT = re.compile(r"^\s*leave\s+a\s+(?:comment|reply)\b", re.IGNORECASE)

# Containers a comment of the article's own list is never inside.
_FOREIGN_IDS = frozenset({"respond", "recentcomments", "trackbacks", "pings", "commentform"})
_FOREIGN_CLASS_TOKENS = frozenset({"trackbacklist", "pinglist", "comment-respond"})
_NOT_COMMENT_CLASS_TOKENS = frozenset({"pingback", "trackback"})
_LOOSE_BODY_TAGS = ("p", "blockquote", "ul", "ol", "pre", "table", "figure", "dl",
                    "h1", "h2", "h3", "h4", "h5", "h6")
_COMMENT_NAV = (
    ".comment-navigation", ".comments-navigation", ".comment-nav", "#comment-nav-above",
    "#comment-nav-below", ".comments-pagination", ".comment-pagination",
    ".wp-block-comments-pagination", "#comments .navigation", "#comments .pagination",
)


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


@dataclass(frozen=True)
class Teaser:
    """One post as listed on a home, category, tag, author or date archive page.

    ``comment_count`` is the teaser's own "N Comments" link; WordPress counts pingbacks and
    trackbacks in it, so it can exceed the article's count heading.
    """

    url: str
    post_id: int | None
    comment_count: int | None


@dataclass(frozen=True)
class Listing:
    """A listing page: its teasers in page order and the next (older) page, if any."""

    url: str
    teasers: tuple[Teaser, ...]
    next_url: str | None


def _first(results: Iterable[T | None]) -> T | None:
    """The first result that is not None; pass a generator so later strategies never run."""
    for found in results:
        if found is not None:
            return found
    return None


# --- comments ------------------------------------------------------------------------------


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
        number = _node_id(element)
        if number is None or _is_foreign(element):
            continue
        if any(_node_id(ancestor) == number for ancestor in element.iterancestors()):
            continue
        found.append(element)
    return found


def _nodes_by_comment_class(scope: Element) -> list[Element]:
    """Themes without ids: `li.comment` items of a comment list (walkers always add it)."""
    return [element for element in scope.xpath(".//li")
            if "comment" in _classes(element) and not _is_foreign(element)]


def _node_id(element: Element) -> int | None:
    match = _NODE_ID.match(element.get("id") or "")
    return int(match[1]) if match else None


def _classes(element: Element) -> set[str]:
    return set((element.get("class") or "").split())


def _is_foreign(element: Element) -> bool:
    """Pingbacks, trackbacks, and anything inside the form, a widget or a trackback list."""
    for item in (element, *element.iterancestors()):
        classes = _classes(item)
        if classes & _NOT_COMMENT_CLASS_TOKENS or classes & _FOREIGN_CLASS_TOKENS:
            return True
        if item.get("id") in _FOREIGN_IDS or item.tag == "form":
            return True
        if any(token.startswith("widget") for token in classes):
            return True
    return False


@dataclass
class _CommentParts:
    """One comment split in two private copies: its body, and the rest (the header)."""

    header: Selector
    body_html: str


def _parse_comment(node: Element, position: int, article_url: str,
                   hints: CommentHints) -> Comment:
    parts = _split_comment(node)
    name = _first(strategy(parts.header) for strategy in _NAME_STRATEGIES)
    author, author_url = ("", None) if name is None else _name_and_url(name, hints)
    posted = _first(strategy(parts.header) for strategy in _DATE_STRATEGIES)
    posted_raw, posted_datetime = posted if posted is not None else ("", None)
    comment_id = _first(strategy(node, parts.header) for strategy in _ID_STRATEGIES)
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
    body = _first(strategy(own_selector) for strategy in _BODY_STRATEGIES)
    if body is None:
        return _CommentParts(header=own_selector, body_html="")
    html, elements = body
    for element in elements:
        element.drop_tree()
    return _CommentParts(header=own_selector, body_html=html)


def _is_nested_reply(element: Element) -> bool:
    """A reply inside a comment: a `.children` list, or a comment `li` (by id or class)."""
    classes = _classes(element)
    if "children" in classes and element.tag in ("ol", "ul", "div"):
        return True
    return element.tag == "li" and (
        _node_id(element) is not None or bool(classes & {"comment", *_NOT_COMMENT_CLASS_TOKENS}))


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
        classes = _classes(ancestor)
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
    cleaned = _without(name, (
        ".says", ".screen-reader-text", "img", "svg", "time", ".comment-meta",
        ".commentmetadata", ".comment-metadata", ".comment-date", "[class*='badge']",
        *hints.name_noise))
    author = inline_text(inner_html(cleaned.root))
    href = cleaned.attrib.get("href") if cleaned.root.tag == "a" else cleaned.css(
        "a::attr(href)").get()
    return author, (href.strip() or None) if href else None


def _without(found: Selector, noise: Sequence[str]) -> Selector:
    """A private copy of `found` with the descendants matching `noise` taken out."""
    element = copy.deepcopy(found.root)
    element.tail = None
    copied = Selector(root=element, type="html")
    for item in copied.css(", ".join(noise)):
        if item.root is not element and item.root.getparent() is not None:
            item.root.drop_tree()
    return copied


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
            cleaned = _without(found, (
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
    number = _node_id(node)
    if number is not None:
        return number
    for element in header.root.iterdescendants():
        if isinstance(element.tag, str) and (inner := _node_id(element)) is not None:
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
    if "bypostauthor" in _classes(node):
        return True
    return any(header.css(css) for css in hints.post_author_markers)


# --- count heading -------------------------------------------------------------------------


def parse_comment_count_heading(selector: Selector) -> int | None:
    """The number in the article's comment count heading, or None when there is none.

    Page: a WordPress article page. Shapes: `h3#comments-title` "13 Comments" (xhtml
    themes), `h2.comments-title` "38 Comments" / "One Comment" (html5 themes),
    `h2.wp-block-comments-title` "2 responses to “X”" (block themes), Kubrick's
    `h3#comments` "3 Responses to “X”". "No Comments" is 0; no heading at all is None.
    """
    for strategy in (_heading_by_class, _heading_in_comments, _heading_is_comments):
        for text in strategy(selector):
            count = parse_count_text(text)
            if count is not None:
                return count
    return None


def _heading_by_class(selector: Selector) -> list[str]:
    """Title classes the walkers' themes use: `#comments-title`, `.comments-title`, …"""
    found = selector.css("#comments-title, .comments-title, .wp-block-comments-title")
    return [inline_text(item.get()) for item in found]


def _heading_in_comments(selector: Selector) -> list[str]:
    """Any heading inside `#comments` / `.wp-block-comments` (not the form's "Leave a Reply")."""
    found = selector.css("#comments h2, #comments h3, #comments h4, .wp-block-comments h2, "
                         ".wp-block-comments h3")
    return [inline_text(item.get()) for item in found if not _is_foreign(item.root)]


def _heading_is_comments(selector: Selector) -> list[str]:
    """Kubrick: the heading itself is `h3#comments`, the list its sibling."""
    return [inline_text(item.get()) for item in selector.css("h2#comments, h3#comments")]


def parse_count_text(text: str) -> int | None:
    """"38 Comments" → 38, "One Response to “X”" → 1, "No Comments" → 0, else None."""
    match = _COUNT_TEXT.match(text) or _COUNT_TEXT_PARENS.match(text)
    if match is None:
        return None
    number = match["n"].lower()
    if number in _COUNT_WORDS:
        return _COUNT_WORDS[number]
    digits = re.sub(r"\D", "", number)
    return int(digits) if digits else None


# --- comment pages -------------------------------------------------------------------------


def comment_page_links(selector: Selector, page_url: str) -> list[str]:
    """Every other comment page of this article linked from this one, absolute, in page order.

    Page: an article page or one of its comment pages (`<url>/comment-page-N/`,
    `?cpage=N`). Whichever end WordPress shows first (oldest or newest), fetching every
    link found here and on the pages it leads to reaches all pages. Strategies, in order:
    links whose URL is a comment page of the same article; else any link in a comment
    navigation block (`.comment-navigation`, `.wp-block-comments-pagination`, …).
    """
    for strategy in (_comment_pages_by_url, _comment_pages_in_nav):
        links = strategy(selector, page_url)
        if links:
            return links
    return []


# Only a link whose href names a comment page can lead to one, unless this page is a comment
# page itself ("", "?x" and "#x" keep its path or query); `%` lets encoded query keys through.
_MAY_NAME_COMMENT_PAGE = ("//a[contains(@href, 'comment-page-') or contains(@href, 'cpage')"
                          " or contains(@href, '%')]")
# Every selector in _COMMENT_NAV needs one of these: a cheap test before the union, which costs
# a dozen scans of the whole page.
_COMMENT_NAV_HINT = (
    "boolean(//*[contains(@class, 'comment')"
    " and (contains(@class, 'nav') or contains(@class, 'pagination'))]"
    " | //*[starts-with(@id, 'comment-nav')]"
    " | //*[@id = 'comments']"
    "//*[contains(@class, 'navigation') or contains(@class, 'pagination')])")


def _comment_pages_by_url(selector: Selector, page_url: str) -> list[str]:
    here = _without_fragment(page_url)
    article = _article_of_comment_page(page_url)
    found: list[str] = []
    links = (selector.css("a[href]") if _is_comment_page(here)
             else selector.xpath(_MAY_NAME_COMMENT_PAGE))
    for link in links:
        url = _without_fragment(urljoin(page_url, link.attrib["href"]))
        # The URL test first: it is cheap, and rules out almost every link on a page.
        if not _is_comment_page(url) or _article_of_comment_page(url) != article:
            continue
        # Permalinks and links in comment text say nothing about this page's navigation.
        if _is_foreign(link.root) or _inside_comment(link.root):
            continue
        if url != here and url not in found:
            found.append(url)
    return found


def _comment_pages_in_nav(selector: Selector, page_url: str) -> list[str]:
    here = _without_fragment(page_url)
    found: list[str] = []
    if selector.xpath(_COMMENT_NAV_HINT).get() != "1":  # parsel gives a boolean as "1"/"0"
        return found
    for href in selector.css(", ".join(f"{nav} a::attr(href)" for nav in _COMMENT_NAV)).getall():
        url = _without_fragment(urljoin(page_url, href.strip()))
        if url != here and url not in found:
            found.append(url)
    return found


def next_comment_page(selector: Selector, page_url: str) -> str | None:
    """The "Newer Comments" page (WordPress's "next"), or None.

    Strategies, in order, inside comment navigation: `a[rel=next]`; `.nav-next a`,
    `a.next.page-numbers`, `.wp-block-comments-pagination-next`; link text "Newer Comments".
    """
    return _comment_nav_link(selector, page_url, rel="next",
                             css=(".nav-next a", "a.next", "a.wp-block-comments-pagination-next"),
                             text=re.compile(r"newer\s+comments", re.IGNORECASE))


def previous_comment_page(selector: Selector, page_url: str) -> str | None:
    """The "Older Comments" page (WordPress's "previous"), or None; mirror of next."""
    return _comment_nav_link(
        selector, page_url, rel="prev",
        css=(".nav-previous a", "a.prev", "a.wp-block-comments-pagination-previous"),
        text=re.compile(r"older\s+comments", re.IGNORECASE))


def _comment_nav_link(selector: Selector, page_url: str, *, rel: str, css: Sequence[str],
                      text: re.Pattern[str]) -> str | None:
    navs = selector.css(", ".join(_COMMENT_NAV))

    def by_rel() -> str | None:
        return navs.xpath(f".//a[contains(concat(' ', normalize-space(@rel), ' '), ' {rel} ')]"
                          "/@href").get()

    def by_class() -> str | None:
        return navs.css(", ".join(f"{item}::attr(href)" for item in css)).get()

    def by_text() -> str | None:
        for link in navs.css("a[href]"):
            if text.search(inline_text(link.get())):
                return str(link.attrib["href"])
        return None

    href = _first(strategy() for strategy in (by_rel, by_class, by_text))
    return _without_fragment(urljoin(page_url, href.strip())) if href else None


def _inside_comment(element: Element) -> bool:
    return any(_node_id(a) is not None or (a.tag == "li" and "comment" in _classes(a))
               for a in element.iterancestors())


def _in_comment_nav(element: Element) -> bool:
    return any(_classes(a) & {"comment-navigation", "comments-pagination",
                              "wp-block-comments-pagination"}
               for a in element.iterancestors())


def _without_fragment(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(fragment=""))


def _is_comment_page(url: str) -> bool:
    parts = urlsplit(url)
    return bool(_COMMENT_PAGE.search(parts.path) or "cpage" in parse_qs(parts.query))


def _article_of_comment_page(url: str) -> tuple[str, str, str]:
    """(host, path, query) of the article a comment page belongs to."""
    parts = urlsplit(url)
    path = _COMMENT_PAGE.sub("", parts.path).rstrip("/")
    query = "&".join(sorted(f"{k}={v}" for k, values in parse_qs(parts.query).items()
                            if k != "cpage" for v in values))
    return parts.netloc, path, query


# --- article -------------------------------------------------------------------------------


def parse_article(response: TextResponse) -> Article:
    """The article's own fields, read with generic WordPress strategies.

    Page: a single post, e.g. https://www.libdemvoice.org/<slug>-47108.html. Shape:
    `body.postid-N`, `article#post-N` (or `div#post-N`) with `.entry-title`, a byline,
    `.entry-content`, `rel="category tag"` and `rel="tag"` links; block themes use
    `.wp-block-post-title`, `.wp-block-post-content`, `.taxonomy-category`.
    Raises PageStructureError when the page has no post id (not an article page).
    """
    selector = response.selector
    post_id = _first(strategy(selector, response.url) for strategy in _POST_ID_STRATEGIES)
    if post_id is None:
        raise PageStructureError(f"{response.url}: no WordPress post id; not an article page")
    scope = _article_scope(selector, post_id)
    published = _first(strategy(scope) for strategy in _PUBLISHED_RAW_STRATEGIES)
    title = _first(strategy(selector, scope) for strategy in _TITLE_STRATEGIES) or ""
    body = _article_body(scope)
    if not title and not body:
        # The id can come from the URL alone; junk served there must not become an article.
        raise PageStructureError(f"{response.url}: no title and no text; not an article page")
    return Article(
        article_id=post_id,
        url=_first(strategy(selector) for strategy in _CANONICAL_STRATEGIES) or response.url,
        title=title,
        author=_first(strategy(selector, scope) for strategy in _ARTICLE_AUTHOR_STRATEGIES),
        published_raw=published,
        published_datetime=_first(strategy(selector, scope)
                                  for strategy in _PUBLISHED_DATETIME_STRATEGIES),
        categories=tuple(_dedupe(_category_links(scope))),
        tags=tuple(_dedupe(_tag_links(scope))),
        body=body,
        comment_count_declared=parse_comment_count_heading(selector),
    )


# Post id strategies, in order. `postid-N` and the comment form are specific to single-post
# pages; `#post-N` also appears on listings, so it only counts around full content.
def _post_id_body_class(selector: Selector, url: str) -> int | None:
    """`<body class="… single postid-N …">`."""
    for token in (selector.css("body::attr(class)").get() or "").split():
        if token.startswith("postid-") and token[7:].isdigit():
            return int(token[7:])
    return None


def _post_id_comment_form(selector: Selector, url: str) -> int | None:
    """The comment form's hidden `comment_post_ID` input."""
    value = selector.css("input[name='comment_post_ID']::attr(value)").get()
    return int(value) if value and value.strip().isdigit() else None


def _post_id_post_element(selector: Selector, url: str) -> int | None:
    """`article#post-N` / `div#post-N` holding the full `.entry-content` (not a teaser)."""
    for element in selector.css("[id^='post-']"):
        match = _POST_ELEMENT_ID.match(element.attrib.get("id", ""))
        if match and element.css(".entry-content, .wp-block-post-content"):
            return int(match[1])
    return None


def _post_id_url(selector: Selector, url: str) -> int | None:
    """The URL: `…-N.html` permalinks, or `?p=N`."""
    parts = urlsplit(url)
    match = re.search(r"-(\d+)\.html?$", _COMMENT_PAGE.sub("", parts.path).rstrip("/"))
    if match:
        return int(match[1])
    p = parse_qs(parts.query).get("p", [""])[0]
    return int(p) if p.isdigit() else None


_POST_ID_STRATEGIES: Sequence[Callable[[Selector, str], int | None]] = (
    _post_id_body_class, _post_id_comment_form, _post_id_post_element, _post_id_url)


def _article_scope(selector: Selector, post_id: int) -> Selector:
    """The post's own element, else the main content region, else the page."""
    # `#post-N` and `.post-N` as XPath with a variable: parsel keeps every distinct query
    # compiled (up to 2,048), and one query per article would fill that cache for nothing.
    own = (selector.xpath("descendant-or-self::*[@id = $name]", name=f"post-{post_id}")
           or selector.xpath("descendant-or-self::*[@class and contains(concat(' ', "
                             "normalize-space(@class), ' '), concat(' ', $name, ' '))]",
                             name=f"post-{post_id}"))
    if own:
        return own[0]
    for css in ("main", "[role='main']", "#content"):
        found = selector.css(css)
        if found:
            return found[0]
    return selector


def _canonical_link(selector: Selector) -> str | None:
    return _clean(selector.css("link[rel='canonical']::attr(href)").get())


def _og_url(selector: Selector) -> str | None:
    return _clean(selector.css("meta[property='og:url']::attr(content)").get())


_CANONICAL_STRATEGIES: Sequence[Callable[[Selector], str | None]] = (_canonical_link, _og_url)


def _title_entry_title(selector: Selector, scope: Selector) -> str | None:
    """`.entry-title` in the post (an `h1` on single pages), else on the page."""
    found = scope.css("h1.entry-title") or scope.css(".entry-title") or selector.css(
        "h1.entry-title")
    return _clean(inline_text(found[0].get())) if found else None


def _title_block_theme(selector: Selector, scope: Selector) -> str | None:
    found = scope.css(".wp-block-post-title") or selector.css(".wp-block-post-title")
    return _clean(inline_text(found[0].get())) if found else None


def _title_og(selector: Selector, scope: Selector) -> str | None:
    return _clean(selector.css("meta[property='og:title']::attr(content)").get())


def _title_post_heading(selector: Selector, scope: Selector) -> str | None:
    """Old themes (Kubrick): the first `h1`/`h2` inside the post element `#post-N`."""
    if scope.attrib.get("id", "").startswith("post-"):
        found = scope.css("h1, h2")
        if found:
            return _clean(inline_text(found[0].get()))
    return None


def _title_document(selector: Selector, scope: Selector) -> str | None:
    """`<title>` minus the site name: the og:site_name part when known, else the last part."""
    title = _clean(inline_text(selector.css("title").get() or ""))
    if title is None:
        return None
    site = _clean(selector.css("meta[property='og:site_name']::attr(content)").get())
    for separator in (" | ", " \u2013 ", " \u2014 ", " - ", " \u00bb ", " :: "):
        parts = title.split(separator)
        if len(parts) < 2:
            continue
        if site is None:
            return separator.join(parts[:-1]).strip()
        if parts[-1].strip() == site:
            return separator.join(parts[:-1]).strip()
        if parts[0].strip() == site:
            return separator.join(parts[1:]).strip()
    return title


_TITLE_STRATEGIES: Sequence[Callable[[Selector, Selector], str | None]] = (
    _title_entry_title, _title_block_theme, _title_og, _title_post_heading, _title_document)


def _author_rel_author(selector: Selector, scope: Selector) -> str | None:
    """The byline's `a[rel~=author]` in the post."""
    for link in scope.xpath(".//a[contains(concat(' ', normalize-space(@rel), ' '), ' author ')]"):
        name = _clean(inline_text(link.get()))
        if name:
            return name
    return None


def _author_vcard(selector: Selector, scope: Selector) -> str | None:
    """`.byline .author`, `.author.vcard`, block themes' `.wp-block-post-author-name`."""
    for item in scope.css(".author.vcard .fn, .author.vcard, .byline .author, "
                          ".wp-block-post-author-name, .wp-block-post-author__name"):
        name = _clean(inline_text(item.get()))
        if name:
            return name
    return None


def _author_meta(selector: Selector, scope: Selector) -> str | None:
    return _clean(selector.css("meta[name='author']::attr(content)").get())


_ARTICLE_AUTHOR_STRATEGIES: Sequence[Callable[[Selector, Selector], str | None]] = (
    _author_rel_author, _author_vcard, _author_meta)


def _published_time_text(scope: Selector) -> str | None:
    """Visible text of the post's `<time class="entry-date|published">` or block post date."""
    for item in scope.css("time.published, time.entry-date, .wp-block-post-date time"):
        text = _clean(inline_text(item.get()))
        if text:
            return text
    return None


def _published_entry_date(scope: Selector) -> str | None:
    """Text of an `.entry-date` that is not a `<time>` (Twenty Ten's `span.entry-date`)."""
    for item in scope.css(".entry-date, .posted-on"):
        text = _clean(inline_text(item.get()))
        if text:
            return text
    return None


_PUBLISHED_RAW_STRATEGIES: Sequence[Callable[[Selector], str | None]] = (
    _published_time_text, _published_entry_date)


def _published_time_datetime(selector: Selector, scope: Selector) -> str | None:
    return _clean(scope.css("time.published::attr(datetime), time.entry-date::attr(datetime), "
                            ".wp-block-post-date time::attr(datetime)").get())


def _published_meta(selector: Selector, scope: Selector) -> str | None:
    return _clean(selector.css("meta[property='article:published_time']::attr(content)").get())


_PUBLISHED_DATETIME_STRATEGIES: Sequence[Callable[[Selector, Selector], str | None]] = (
    _published_time_datetime, _published_meta)


def _category_links(scope: Selector) -> list[str]:
    """`rel="category tag"` links, else block themes' `.taxonomy-category`, else `.cat-links`."""
    for found in (
        scope.xpath(".//a[contains(concat(' ', normalize-space(@rel), ' '), ' category ')]"),
        scope.css(".taxonomy-category a"),
        scope.css(".cat-links a"),
    ):
        names = [name for item in found if (name := _clean(inline_text(item.get())))]
        if names:
            return names
    return []


def _tag_links(scope: Selector) -> list[str]:
    """`rel="tag"` links that are not category links (block themes mark both rel=tag)."""
    names = []
    for item in scope.xpath(".//a[contains(concat(' ', normalize-space(@rel), ' '), ' tag ')]"):
        rel = (item.attrib.get("rel") or "").split()
        in_categories = any(_classes(a) & {"taxonomy-category", "cat-links"}
                            for a in item.root.iterancestors())
        if "category" in rel or in_categories:
            continue
        name = _clean(inline_text(item.get()))
        if name:
            names.append(name)
    return names


def _article_body(scope: Selector) -> str:
    """Text of `.entry-content` (block themes `.wp-block-post-content`, old themes `.entry`)
    minus the author bio box and other non-article furniture."""
    for css in (".entry-content", ".wp-block-post-content", ".post-content", ".entry"):
        found = scope.css(css)
        if found:
            cleaned = _without(found[0], (
                ".author-bio", ".author-info", ".sharedaddy", ".jp-relatedposts",
                ".wp-block-comments", "#comments", "script", "style"))
            return html_to_text(inner_html(cleaned.root))
    return ""


# --- listings ------------------------------------------------------------------------------


def parse_listing(selector: Selector, page_url: str) -> Listing:
    """Teasers and the next (older) page of a listing.

    Page: home `/`, `/page/N/`, `/category/<slug>/`, `/tag/<slug>/`, `/author/<slug>/`.
    Shape: `article#post-N` (block themes: `li.wp-block-post.post-N`) with an
    `.entry-title a` and a comments link "N Comments" / "One Comment" / "Leave a comment";
    `<link rel="next">` or an "Older posts" `a[rel=next]`.
    """
    nodes = _first(strategy(selector) for strategy in _TEASER_STRATEGIES) or []
    teasers = []
    for post_id, node in nodes:
        url = _teaser_url(node)
        if url is None:
            continue
        absolute = urljoin(page_url, url)
        teasers.append(Teaser(url=absolute,
                              post_id=post_id if post_id is not None
                              else _post_id_url(selector, absolute),
                              comment_count=_teaser_count(node)))
    next_url = _first(strategy(selector) for strategy in _NEXT_LISTING_STRATEGIES)
    return Listing(url=page_url, teasers=tuple(teasers),
                   next_url=urljoin(page_url, next_url) if next_url else None)


def _teasers_by_post_id(selector: Selector) -> list[tuple[int | None, Selector]] | None:
    """`article#post-N` / `div#post-N`, outside widgets."""
    found: list[tuple[int | None, Selector]] = []
    for node in selector.css("[id^='post-']"):
        match = _POST_ELEMENT_ID.match(node.attrib.get("id", ""))
        nested = any(_POST_ELEMENT_ID.match(a.get("id") or "") for a in node.root.iterancestors())
        if match and not nested and not _is_foreign(node.root):
            found.append((int(match[1]), node))
    return found or None


def _teasers_by_post_class(selector: Selector) -> list[tuple[int | None, Selector]] | None:
    """Block themes and id-less themes: `.type-post` / `.wp-block-post` with class `post-N`."""
    found = []
    for node in selector.css(".type-post, .wp-block-post"):
        if _is_foreign(node.root):
            continue
        ids = [int(token[5:]) for token in _classes(node.root)
               if token.startswith("post-") and token[5:].isdigit()]
        found.append((ids[0] if ids else None, node))
    return found or None


_TEASER_STRATEGIES: Sequence[Callable[[Selector], list[tuple[int | None, Selector]] | None]] = (
    _teasers_by_post_id, _teasers_by_post_class)


def _teaser_url(node: Selector) -> str | None:
    for css in (".entry-title a::attr(href)", ".wp-block-post-title a::attr(href)",
                "a[rel~='bookmark']::attr(href)"):
        href = _clean(node.css(css).get())
        if href:
            return href
    return None


def _teaser_count(node: Selector) -> int | None:
    """The comments link: `.comments-link a`, else a link to `#comments` / `#respond`."""
    for css in (".comments-link a", "a[href$='#comments']", "a[href$='#respond']"):
        for link in node.css(css):
            text = inline_text(link.get())
            if _LEAVE_A_COMMENT.match(text):
                return 0
            count = parse_count_text(text)
            if count is not None:
                return count
    return None


def _next_link_element(selector: Selector) -> str | None:
    """`<link rel="next">` in the head."""
    return _clean(selector.css("head link[rel='next']::attr(href)").get())


def _next_rel_anchor(selector: Selector) -> str | None:
    """An `a[rel~=next]` outside comment navigation ("Older posts")."""
    for link in selector.xpath("//a[contains(concat(' ', normalize-space(@rel), ' '), ' next ')]"):
        if not _in_comment_nav(link.root) and not _is_foreign(link.root):
            return _clean(link.attrib.get("href"))
    return None


def _next_by_label(selector: Selector) -> str | None:
    """Pagination classes and labels: `a.next.page-numbers`, "Older posts", "Older Entries"."""
    href = selector.css("a.next.page-numbers::attr(href), "
                        "a.wp-block-query-pagination-next::attr(href)").get()
    if href:
        return _clean(href)
    label = re.compile(r"older\s+(?:posts|entries)|next\s+page", re.IGNORECASE)
    for link in selector.css("a[href]"):
        if label.search(inline_text(link.get())) and not _in_comment_nav(link.root):
            return _clean(link.attrib.get("href"))
    return None


_NEXT_LISTING_STRATEGIES: Sequence[Callable[[Selector], str | None]] = (
    _next_link_element, _next_rel_anchor, _next_by_label)


# --- small helpers -------------------------------------------------------------------------


def _clean(text: str | None) -> str | None:
    """Strip; empty becomes None."""
    if text is None:
        return None
    stripped = text.strip()
    return stripped or None


def _dedupe(items: Iterable[str]) -> list[str]:
    """Each item once, first occurrence kept, order kept."""
    return list(dict.fromkeys(items))
