"""Any WordPress blog: the generic spider, with the default profile and `-s ARCHIVER_BASE_URL`."""

from __future__ import annotations

from archiver.wordpress.spider import WordPressSpider


class GenericWordPressSpider(WordPressSpider):
    """`scrapy crawl wordpress -s ARCHIVER_BASE_URL=https://any.blog`: no site quirks, times in
    `ARCHIVER_TIMEZONE` (UTC unless set)."""

    name = "wordpress"
