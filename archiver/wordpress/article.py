"""Generic WordPress article extraction: a single post's own fields."""

# The byline (author, dates) is read by article_byline.py, the categories and tags by
# article_terms.py, the body by article_body.py; here the post is found and titled.

from __future__ import annotations

from collections.abc import Callable, Sequence

from parsel import Selector
from scrapy.http import TextResponse

from archiver.errors import NotAnArticle, PageStructureError
from archiver.items import Article
from archiver.wordpress.article_body import article_body
from archiver.wordpress.article_byline import (
    find_author,
    find_published_datetime,
    find_published_raw,
)
from archiver.wordpress.article_terms import find_categories, find_tags
from archiver.wordpress.comment_count import parse_comment_count_heading
from archiver.wordpress.post_id import find_post_id
from archiver.wordpress.query import by_id, css, first_result, has_class, head_first, xpath
from archiver.wordpress.shared import Element, clean, first
from archiver.wordpress.text import element_inline_text


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
        raise NotAnArticle(f"{response.url}: no WordPress post id; not an article page")
    scope = _article_scope(selector.root, post_id)
    if published_raw is None:
        published_raw = find_published_raw(scope)
    if author is None:
        author = find_author(selector, scope)
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
        published_datetime=find_published_datetime(selector, scope),
        categories=find_categories(scope),
        tags=find_tags(scope),
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
