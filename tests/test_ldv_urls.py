"""Which URLs are LDV articles, and the one canonical form each takes."""

from __future__ import annotations

import pytest

from archiver.site import SiteUrls
from spiders.ldv import LDV

SITE = SiteUrls("https://www.libdemvoice.org",
                frozenset({"libdemvoice.org", "www.libdemvoice.org", "ldv.org.uk"}),
                LDV.article_path)
CANONICAL = "https://www.libdemvoice.org/a-warning-47108.html"


@pytest.mark.parametrize("url", [
    "https://www.libdemvoice.org/a-warning-47108.html",
    "http://www.libdemvoice.org/a-warning-47108.html",
    "https://libdemvoice.org/a-warning-47108.html#comments",
    "http://ldv.org.uk/a-warning-47108.html#comment-400254",
    "https://www.libdemvoice.org:443/a-warning-47108.html",
])
def test_aliases_become_one_article(url: str) -> None:
    assert SITE.article(url) == (47108, CANONICAL)


@pytest.mark.parametrize("url", [
    "https://www.libdemvoice.org/a-warning-47108.html/feed",
    "https://www.libdemvoice.org/a-warning-47108.html/attachment-photo",
    "https://www.libdemvoice.org/a-warning-47108.html/comment-page-2/",
    "https://www.libdemvoice.org/category/op-eds/",
    "https://www.libdemvoice.org/",
    "https://example.org/a-warning-47108.html",
    "https://www.libdemvoice.org.evil.example/a-warning-47108.html",
])
def test_other_pages_are_not_articles(url: str) -> None:
    assert SITE.article(url) is None


def test_off_site_hosts_are_not_on_site() -> None:
    assert SITE.on_site("http://ldv.org.uk/page/2/")
    assert not SITE.on_site("https://gravatar.com/avatar/x")
    assert not SITE.on_site("https://notlibdemvoice.org/")
