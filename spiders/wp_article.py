"""Generic WordPress article extraction: a single post's own fields."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from parsel import Selector
from scrapy.http import TextResponse

from archiver.errors import PageStructureError
from archiver.items import Article
from archiver.text import element_inline_text
from spiders.wp_article_body import article_body
from spiders.wp_comment_count import parse_comment_count_heading
from spiders.wp_post_id import find_post_id
from spiders.wp_query import (
    by_id,
    css,
    first_result,
    has_class,
    has_mark,
    has_rel,
    head_first,
    xpath,
)
from spiders.wp_shared import Element, class_tokens, clean, first


def parse_article(response: TextResponse, *, author: str | None = None,
                  published_raw: str | None = None) -> Article:
    """The article's own fields, read with generic WordPress strategies.

    Page: a single post, e.g. https://www.libdemvoice.org/<slug>-47108.html. Shape:
    `body.postid-N`, `article#post-N` (or `div#post-N`) with `.entry-title`, a byline,
    `.entry-content`, `rel="category tag"` and `rel="tag"` links; block themes use
    `.wp-block-post-title`, `.wp-block-post-content`, `.taxonomy-category`.
    `author` and `published_raw` are what a site's own strategies found (LDV's byline):
    they come first, and the generic strategies run for what they left None.
    Raises PageStructureError when the page has no post id (not an article page).
    """
    selector = response.selector
    post_id = find_post_id(selector, response.url)
    if post_id is None:
        raise PageStructureError(f"{response.url}: no WordPress post id; not an article page")
    scope = _article_scope(selector.root, post_id)
    if published_raw is None:
        published_raw = first(strategy(scope) for strategy in _PUBLISHED_RAW_STRATEGIES)
    if author is None:
        author = first(strategy(selector, scope) for strategy in _ARTICLE_AUTHOR_STRATEGIES)
    title = first(strategy(selector, scope) for strategy in _TITLE_STRATEGIES) or ""
    body = article_body(scope)
    if not title and not body:
        # The id can come from the URL alone; junk served there must not become an article.
        raise PageStructureError(f"{response.url}: no title and no text; not an article page")
    return Article(
        article_id=post_id,
        url=first(strategy(selector) for strategy in _CANONICAL_STRATEGIES) or response.url,
        title=title,
        author=author,
        published_raw=published_raw,
        published_datetime=first(strategy(selector, scope)
                                  for strategy in _PUBLISHED_DATETIME_STRATEGIES),
        categories=tuple(_dedupe(_category_links(scope))),
        tags=tuple(_dedupe(_tag_links(scope))),
        body=body,
        comment_count_declared=parse_comment_count_heading(selector),
    )


# `.post-N` with the name as a variable: one compiled query serves every article.
_POST_CLASS = xpath("descendant-or-self::*[@class and contains(concat(' ', "
                    "normalize-space(@class), ' '), concat(' ', $name, ' '))][1]")
_MAIN_REGIONS = (css("main"), css("[role='main']"), css("#content"))


def _article_scope(page: Element, post_id: int) -> Element:
    """The post's own element (`#post-N`, `.post-N`), else the main content region, else the
    page."""
    name = f"post-{post_id}"
    own = by_id(page, name)
    if own is None:
        own = first_result(_POST_CLASS, page, name=name)
    if own is not None:
        return own
    for query in _MAIN_REGIONS:
        region = first_result(query, page)
        if region is not None:
            return region
    return page


_CANONICAL_LINK = head_first("link[rel='canonical']::attr(href)")
_OG_URL = head_first("meta[property='og:url']::attr(content)")


def _canonical_link(selector: Selector) -> str | None:
    return clean(_CANONICAL_LINK.find(selector.root))


def _og_url(selector: Selector) -> str | None:
    return clean(_OG_URL.find(selector.root))


_CANONICAL_STRATEGIES: Sequence[Callable[[Selector], str | None]] = (_canonical_link, _og_url)

_H1_ENTRY_TITLE = xpath(f"descendant-or-self::h1[{has_class('entry-title')}][1]")
_ENTRY_TITLE = xpath(f"descendant-or-self::*[{has_class('entry-title')}][1]")
_BLOCK_TITLE = xpath(f"descendant-or-self::*[{has_class('wp-block-post-title')}][1]")
_OG_TITLE = head_first("meta[property='og:title']::attr(content)")
_POST_HEADINGS = css("h1, h2")
_TITLE_TEXTS = css("title::text")
_SITE_NAME = head_first("meta[property='og:site_name']::attr(content)")


def _title_entry_title(selector: Selector, scope: Element) -> str | None:
    """`.entry-title` in the post (an `h1` on single pages), else on the page."""
    found = first_result(_H1_ENTRY_TITLE, scope)
    if found is None:
        found = first_result(_ENTRY_TITLE, scope)
    if found is None:
        found = first_result(_H1_ENTRY_TITLE, selector.root)
    return clean(element_inline_text(found)) if found is not None else None


def _title_block_theme(selector: Selector, scope: Element) -> str | None:
    found = first_result(_BLOCK_TITLE, scope)
    if found is None:
        found = first_result(_BLOCK_TITLE, selector.root)
    return clean(element_inline_text(found)) if found is not None else None


def _title_og(selector: Selector, scope: Element) -> str | None:
    return clean(_OG_TITLE.find(selector.root))


def _title_post_heading(selector: Selector, scope: Element) -> str | None:
    """Old themes (Kubrick): the first `h1`/`h2` inside the post element `#post-N`."""
    if (scope.get("id") or "").startswith("post-"):
        found = first_result(_POST_HEADINGS, scope)
        if found is not None:
            return clean(element_inline_text(found))
    return None


def _title_document(selector: Selector, scope: Element) -> str | None:
    """`<title>` minus the site name: the og:site_name part when known, else the last part."""
    # The element's own text: html_to_text skips <title> as page chrome.
    title = clean(" ".join(_TITLE_TEXTS(selector.root)))
    if title is None:
        return None
    site = clean(_SITE_NAME.find(selector.root))
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


_TITLE_STRATEGIES: Sequence[Callable[[Selector, Element], str | None]] = (
    _title_entry_title, _title_block_theme, _title_og, _title_post_heading, _title_document)

_AUTHOR_LINKS = xpath(f"descendant::a[{has_rel('author')}]")
_AUTHOR_NAMES = css(".author.vcard .fn, .author.vcard, .byline .author, "
                    ".wp-block-post-author-name, .wp-block-post-author__name")
_AUTHOR_META = head_first("meta[name='author']::attr(content)")


def _author_rel_author(selector: Selector, scope: Element) -> str | None:
    """The byline's `a[rel~=author]` in the post."""
    return _first_text(_AUTHOR_LINKS(scope))


def _author_vcard(selector: Selector, scope: Element) -> str | None:
    """`.byline .author`, `.author.vcard`, block themes' `.wp-block-post-author-name`."""
    return _first_text(_AUTHOR_NAMES(scope))


def _author_meta(selector: Selector, scope: Element) -> str | None:
    return clean(_AUTHOR_META.find(selector.root))


_ARTICLE_AUTHOR_STRATEGIES: Sequence[Callable[[Selector, Element], str | None]] = (
    _author_rel_author, _author_vcard, _author_meta)

_TIME_ELEMENTS = css("time.published, time.entry-date, .wp-block-post-date time")
# Each `time` query is a union of three scans of the post; a post without a `time` (LDV's
# 2013-2019 bylines, Twenty Ten) needs none.
_HAS_TIME = xpath("boolean(descendant-or-self::time)")
_DATE_ELEMENTS = css(".entry-date, .posted-on")


def _published_time_text(scope: Element) -> str | None:
    """Visible text of the post's `<time class="entry-date|published">` or block post date."""
    return _first_text(_TIME_ELEMENTS(scope)) if _HAS_TIME(scope) else None


def _published_entry_date(scope: Element) -> str | None:
    """Text of an `.entry-date` that is not a `<time>` (Twenty Ten's `span.entry-date`)."""
    return _first_text(_DATE_ELEMENTS(scope))


_PUBLISHED_RAW_STRATEGIES: Sequence[Callable[[Element], str | None]] = (
    _published_time_text, _published_entry_date)

_TIME_DATETIMES = css("time.published::attr(datetime), time.entry-date::attr(datetime), "
                      ".wp-block-post-date time::attr(datetime)")
_PUBLISHED_META = head_first("meta[property='article:published_time']::attr(content)")


def _published_time_datetime(selector: Selector, scope: Element) -> str | None:
    return clean(first_result(_TIME_DATETIMES, scope)) if _HAS_TIME(scope) else None


def _published_meta(selector: Selector, scope: Element) -> str | None:
    return clean(_PUBLISHED_META.find(selector.root))


_PUBLISHED_DATETIME_STRATEGIES: Sequence[Callable[[Selector, Element], str | None]] = (
    _published_time_datetime, _published_meta)

_CATEGORY_LINKS = (xpath(f"descendant::a[{has_rel('category')}]"),
                   css(".taxonomy-category a"), css(".cat-links a"))
_TAG_LINKS = xpath(f"descendant::a[{has_rel('tag')}]")


def _category_links(scope: Element) -> list[str]:
    """`rel="category tag"` links, else block themes' `.taxonomy-category`, else `.cat-links`."""
    for query in _CATEGORY_LINKS:
        names = [name for item in query(scope) if (name := clean(element_inline_text(item)))]
        if names:
            return names
    return []


def _tag_links(scope: Element) -> list[str]:
    """`rel="tag"` links that are not category links (block themes mark both rel=tag)."""
    names = []
    lists_near = has_mark(_CLASSES_AROUND(scope), _CATEGORY_LISTS)
    for item in _TAG_LINKS(scope):
        rel = (item.get("rel") or "").split()
        if "category" in rel or (lists_near and _in_category_list(item)):
            continue
        name = clean(element_inline_text(item))
        if name:
            names.append(name)
    return names


_CATEGORY_LISTS = frozenset({"taxonomy-category", "cat-links"})
# The classes of the post, its ancestors and its descendants in one string: when no category
# list class is in it, no link needs its ancestors looked at.
_CLASSES_AROUND = xpath(
    "concat(str:concat(ancestor-or-self::*/@class), ' ', str:concat(descendant::*/@class))")


def _in_category_list(link: Element) -> bool:
    return any(class_tokens(ancestor) & _CATEGORY_LISTS for ancestor in link.iterancestors())


def _first_text(elements: Iterable[Element]) -> str | None:
    """The first non-empty one-line text of `elements`."""
    for element in elements:
        text = clean(element_inline_text(element))
        if text:
            return text
    return None


def _dedupe(items: Iterable[str]) -> list[str]:
    """Each item once, first occurrence kept, order kept."""
    return list(dict.fromkeys(items))
