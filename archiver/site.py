"""A site's profile (what the engine must know of one blog) and its URL rules."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from parsel import Selector
from scrapy.http import TextResponse

from archiver.ids import parse_id
from archiver.items import Article, Comment
from archiver.wordpress import parse_article, parse_comments
from archiver.wordpress.post_id import PERMALINK_POST_ID

# `%postname%-%post_id%.html` permalinks, in any folder; anything after ".html/" is an
# attachment or a feed.
WORDPRESS_ARTICLE_PATH = re.compile(rf"^/(?:[^/]+/)*(?P<slug>[^/]+){PERMALINK_POST_ID}$")


def _generic_article(response: TextResponse) -> Article:
    return parse_article(response)


def _generic_comments(selector: Selector, article_url: str) -> list[Comment]:
    return parse_comments(selector, article_url)


# Paths WordPress serves that are never a single post.
_NOT_ARTICLE = re.compile(
    r"^/(?:wp-[a-z-]+|category|tag|author|feed|comments|search|page)(?:/|$)|/feed/?$"
    r"|/page/\d+/?$|^/\d{4}(?:/\d{2}){0,2}/?$|\.(?:xml|txt|jpe?g|png|gif|pdf|zip)$", re.I)


@dataclass(frozen=True)
class SiteProfile:
    """One site's defaults and quirks; a site module declares one and the engine reads it.

    `base_url`, `alias_hosts` and `timezone` are the defaults of `ARCHIVER_BASE_URL`,
    `ARCHIVER_ALIAS_HOSTS` and `ARCHIVER_TIMEZONE`, which `-s` overrides.
    """

    name: str
    base_url: str = ""
    alias_hosts: tuple[str, ...] = ()
    # The zone the site prints its times in (an IANA name).
    timezone: str = "UTC"
    # Which paths are articles; the `post_id` group is the WordPress post id.
    article_path: re.Pattern[str] = WORDPRESS_ARTICLE_PATH
    # Page functions: the generic WordPress ones, or the site's own layered on them.
    parse_article: Callable[[TextResponse], Article] = _generic_article
    parse_comments: Callable[[Selector, str], list[Comment]] = _generic_comments
    # Whether a listed post whose URL matches no `article_path` is still an article, by its
    # teaser's `post-N` id: true for the generic profile, whose site may use any permalinks.
    ids_from_listings: bool = False

    def settings(self) -> dict[str, Any]:
        """The profile as Scrapy settings, which WordPressSpider.update_settings applies."""
        return {"ARCHIVER_BASE_URL": self.base_url, "ARCHIVER_ALIAS_HOSTS": list(self.alias_hosts),
                "ARCHIVER_TIMEZONE": self.timezone}


@dataclass(frozen=True)
class SiteUrls:
    """The site's base URL, the other hosts that serve the same site, and its article rule."""

    base_url: str
    alias_hosts: frozenset[str]
    article_path: re.Pattern[str] = WORDPRESS_ARTICLE_PATH

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).netloc.lower()

    def on_site(self, url: str) -> bool:
        parts = urlsplit(url)
        # Aliases are named by host alone: any scheme or port of theirs is the same site.
        return parts.netloc.lower() == self.host or (parts.hostname or "") in self.alias_hosts

    def rebase(self, url: str) -> str:
        """The same path on the base URL's scheme and host, without the fragment."""
        parts = urlsplit(url)
        base = urlsplit(self.base_url)
        path = parts.path or "/"
        return urlunsplit((base.scheme, base.netloc, path, parts.query, ""))

    def may_be_article(self, url: str) -> bool:
        """Not one of WordPress's own non-post paths (archives, feeds, admin, files)."""
        return _NOT_ARTICLE.search(urlsplit(url).path) is None

    def article(self, url: str) -> tuple[int, str] | None:
        """(post id, canonical URL) when the URL is an article page of this site, else None."""
        if not self.on_site(url):
            return None
        path = urlsplit(url).path
        match = self.article_path.match(path)
        if match is None:
            return None
        return parse_id(match["post_id"]), self.rebase(f"{self.base_url}{path}")
