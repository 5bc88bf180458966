"""Any WordPress blog: the generic spider, with the default profile and `-s ARCHIVER_BASE_URL`."""

from __future__ import annotations

from archiver.site import SiteProfile
from archiver.wordpress.spider import WordPressSpider


class GenericWordPressSpider(WordPressSpider):
    """`scrapy crawl wordpress -s ARCHIVER_BASE_URL=https://any.blog`: no site quirks, times in
    `ARCHIVER_TIMEZONE` (UTC unless set)."""

    name = "wordpress"
    # Any permalink structure: a listed post is an article by its teaser's id.
    # Its zone is the site's own (REST index, else page offsets) unless -s names one.
    profile = SiteProfile(name="wordpress", ids_from_listings=True, timezone="")
