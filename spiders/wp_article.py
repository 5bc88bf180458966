"""Generic WordPress article extraction: a single post's own fields."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from urllib.parse import parse_qs, urlsplit

from parsel import Selector
from scrapy.http import TextResponse

from archiver.errors import PageStructureError
from archiver.items import Article
from archiver.text import html_to_text, inline_text, inner_html
from spiders.wp_comment_count import parse_comment_count_heading
from spiders.wp_shared import COMMENT_PAGE, POST_ELEMENT_ID, class_tokens, clean, first, without


def parse_article(response: TextResponse) -> Article:
    """The article's own fields, read with generic WordPress strategies.

    Page: a single post, e.g. https://www.libdemvoice.org/<slug>-47108.html. Shape:
    `body.postid-N`, `article#post-N` (or `div#post-N`) with `.entry-title`, a byline,
    `.entry-content`, `rel="category tag"` and `rel="tag"` links; block themes use
    `.wp-block-post-title`, `.wp-block-post-content`, `.taxonomy-category`.
    Raises PageStructureError when the page has no post id (not an article page).
    """
    selector = response.selector
    post_id = first(strategy(selector, response.url) for strategy in _POST_ID_STRATEGIES)
    if post_id is None:
        raise PageStructureError(f"{response.url}: no WordPress post id; not an article page")
    scope = _article_scope(selector, post_id)
    published = first(strategy(scope) for strategy in _PUBLISHED_RAW_STRATEGIES)
    title = first(strategy(selector, scope) for strategy in _TITLE_STRATEGIES) or ""
    body = _article_body(scope)
    if not title and not body:
        # The id can come from the URL alone; junk served there must not become an article.
        raise PageStructureError(f"{response.url}: no title and no text; not an article page")
    return Article(
        article_id=post_id,
        url=first(strategy(selector) for strategy in _CANONICAL_STRATEGIES) or response.url,
        title=title,
        author=first(strategy(selector, scope) for strategy in _ARTICLE_AUTHOR_STRATEGIES),
        published_raw=published,
        published_datetime=first(strategy(selector, scope)
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
        match = POST_ELEMENT_ID.match(element.attrib.get("id", ""))
        if match and element.css(".entry-content, .wp-block-post-content"):
            return int(match[1])
    return None


def post_id_url(selector: Selector, url: str) -> int | None:
    """The URL: `…-N.html` permalinks, or `?p=N`."""
    parts = urlsplit(url)
    match = re.search(r"-(\d+)\.html?$", COMMENT_PAGE.sub("", parts.path).rstrip("/"))
    if match:
        return int(match[1])
    p = parse_qs(parts.query).get("p", [""])[0]
    return int(p) if p.isdigit() else None


_POST_ID_STRATEGIES: Sequence[Callable[[Selector, str], int | None]] = (
    _post_id_body_class, _post_id_comment_form, _post_id_post_element, post_id_url)


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
    return clean(selector.css("link[rel='canonical']::attr(href)").get())


def _og_url(selector: Selector) -> str | None:
    return clean(selector.css("meta[property='og:url']::attr(content)").get())


_CANONICAL_STRATEGIES: Sequence[Callable[[Selector], str | None]] = (_canonical_link, _og_url)


def _title_entry_title(selector: Selector, scope: Selector) -> str | None:
    """`.entry-title` in the post (an `h1` on single pages), else on the page."""
    found = scope.css("h1.entry-title") or scope.css(".entry-title") or selector.css(
        "h1.entry-title")
    return clean(inline_text(found[0].get())) if found else None


def _title_block_theme(selector: Selector, scope: Selector) -> str | None:
    found = scope.css(".wp-block-post-title") or selector.css(".wp-block-post-title")
    return clean(inline_text(found[0].get())) if found else None


def _title_og(selector: Selector, scope: Selector) -> str | None:
    return clean(selector.css("meta[property='og:title']::attr(content)").get())


def _title_post_heading(selector: Selector, scope: Selector) -> str | None:
    """Old themes (Kubrick): the first `h1`/`h2` inside the post element `#post-N`."""
    if scope.attrib.get("id", "").startswith("post-"):
        found = scope.css("h1, h2")
        if found:
            return clean(inline_text(found[0].get()))
    return None


def _title_document(selector: Selector, scope: Selector) -> str | None:
    """`<title>` minus the site name: the og:site_name part when known, else the last part."""
    # The element's own text: html_to_text skips <title> as page chrome.
    title = clean(" ".join(selector.css("title::text").getall()))
    if title is None:
        return None
    site = clean(selector.css("meta[property='og:site_name']::attr(content)").get())
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
        name = clean(inline_text(link.get()))
        if name:
            return name
    return None


def _author_vcard(selector: Selector, scope: Selector) -> str | None:
    """`.byline .author`, `.author.vcard`, block themes' `.wp-block-post-author-name`."""
    for item in scope.css(".author.vcard .fn, .author.vcard, .byline .author, "
                          ".wp-block-post-author-name, .wp-block-post-author__name"):
        name = clean(inline_text(item.get()))
        if name:
            return name
    return None


def _author_meta(selector: Selector, scope: Selector) -> str | None:
    return clean(selector.css("meta[name='author']::attr(content)").get())


_ARTICLE_AUTHOR_STRATEGIES: Sequence[Callable[[Selector, Selector], str | None]] = (
    _author_rel_author, _author_vcard, _author_meta)


def _published_time_text(scope: Selector) -> str | None:
    """Visible text of the post's `<time class="entry-date|published">` or block post date."""
    for item in scope.css("time.published, time.entry-date, .wp-block-post-date time"):
        text = clean(inline_text(item.get()))
        if text:
            return text
    return None


def _published_entry_date(scope: Selector) -> str | None:
    """Text of an `.entry-date` that is not a `<time>` (Twenty Ten's `span.entry-date`)."""
    for item in scope.css(".entry-date, .posted-on"):
        text = clean(inline_text(item.get()))
        if text:
            return text
    return None


_PUBLISHED_RAW_STRATEGIES: Sequence[Callable[[Selector], str | None]] = (
    _published_time_text, _published_entry_date)


def _published_time_datetime(selector: Selector, scope: Selector) -> str | None:
    return clean(scope.css("time.published::attr(datetime), time.entry-date::attr(datetime), "
                            ".wp-block-post-date time::attr(datetime)").get())


def _published_meta(selector: Selector, scope: Selector) -> str | None:
    return clean(selector.css("meta[property='article:published_time']::attr(content)").get())


_PUBLISHED_DATETIME_STRATEGIES: Sequence[Callable[[Selector, Selector], str | None]] = (
    _published_time_datetime, _published_meta)


def _category_links(scope: Selector) -> list[str]:
    """`rel="category tag"` links, else block themes' `.taxonomy-category`, else `.cat-links`."""
    for found in (
        scope.xpath(".//a[contains(concat(' ', normalize-space(@rel), ' '), ' category ')]"),
        scope.css(".taxonomy-category a"),
        scope.css(".cat-links a"),
    ):
        names = [name for item in found if (name := clean(inline_text(item.get())))]
        if names:
            return names
    return []


def _tag_links(scope: Selector) -> list[str]:
    """`rel="tag"` links that are not category links (block themes mark both rel=tag)."""
    names = []
    for item in scope.xpath(".//a[contains(concat(' ', normalize-space(@rel), ' '), ' tag ')]"):
        rel = (item.attrib.get("rel") or "").split()
        in_categories = any(class_tokens(a) & {"taxonomy-category", "cat-links"}
                            for a in item.root.iterancestors())
        if "category" in rel or in_categories:
            continue
        name = clean(inline_text(item.get()))
        if name:
            names.append(name)
    return names


def _article_body(scope: Selector) -> str:
    """Text of `.entry-content` (block themes `.wp-block-post-content`, old themes `.entry`)
    minus the author bio box and other non-article furniture."""
    for css in (".entry-content", ".wp-block-post-content", ".post-content", ".entry"):
        found = scope.css(css)
        if found:
            cleaned = without(found[0], (
                ".author-bio", ".author-info", ".sharedaddy", ".jp-relatedposts",
                ".wp-block-comments", "#comments", "script", "style"))
            return html_to_text(inner_html(cleaned.root))
    return ""


def _dedupe(items: Iterable[str]) -> list[str]:
    """Each item once, first occurrence kept, order kept."""
    return list(dict.fromkeys(items))
