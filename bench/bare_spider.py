"""The benchmark's baseline: a bare Scrapy spider over the same links as `ldv`, no pipelines.

It walks the listings (home, then `<link rel="next">`), fetches each teaser's article, then
reads robots.txt and the sitemaps as a backfill does, and pulls each comment's id, author, date
and text out of the comment list with parsel. Nothing is normalised or stored; it only counts.
Run by bench/run.py as
`scrapy runspider bench/bare_spider.py -a base_url=http://127.0.0.1:PORT -s ...`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import scrapy
from parsel import Selector
from scrapy.http import Response, TextResponse
from scrapy.settings import BaseSettings
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

# One selector per markup era: classic `li#li-comment-N`, voice2013/voice2020 `li#comment-N`;
# pingbacks (`li.pingback`) are not comments.
COMMENTS = ("#comments li[id^='comment-']:not(.pingback), "
            "#comments li[id^='li-comment-']:not(.pingback)")


class BareSpider(scrapy.Spider):
    name = "bare"

    def __init__(self, base_url: str = "http://127.0.0.1:8000", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        settings.set("ITEM_PIPELINES", {}, priority="spider")  # no pipelines: that is the point

    async def start(self) -> Any:
        yield scrapy.Request(f"{self.base_url}/", callback=self.parse_listing)

    def parse_listing(self, response: Response) -> Iterator[scrapy.Request]:
        self.crawler.stats.inc_value("bare/listing_pages")
        for href in response.css("article[id^='post-'] .entry-title a::attr(href)").getall():
            yield response.follow(href, callback=self.parse_article)
        next_page = response.css("head link[rel='next']::attr(href)").get()
        if next_page:
            yield response.follow(next_page, callback=self.parse_listing)
        else:
            yield scrapy.Request(f"{self.base_url}/robots.txt", callback=self.parse_robots)

    def parse_robots(self, response: Response) -> Iterator[scrapy.Request]:
        for url in sitemap_urls_from_robots(response.text, base_url=response.url):
            yield scrapy.Request(url, callback=self.parse_sitemap)

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        sitemap = Sitemap(response.body)
        for entry in sitemap:
            if sitemap.type == "sitemapindex":
                yield scrapy.Request(entry["loc"], callback=self.parse_sitemap)
            elif entry["loc"].endswith(".html"):
                yield scrapy.Request(entry["loc"], callback=self.parse_article)

    def parse_article(self, response: Response) -> None:
        assert isinstance(response, TextResponse)
        comments = parse_comment_list(response.selector)
        self.crawler.stats.inc_value("bare/pages_parsed")
        self.crawler.stats.inc_value("bare/comments", len(comments))


def parse_comment_list(selector: Selector) -> list[dict[str, str | None]]:
    """Id, author, date and text of each comment, straight from the markup (all three eras)."""
    return [
        {
            "id": node.attrib["id"].rsplit("-", 1)[1],
            "author": " ".join(node.css(".fn ::text, span.comment-author ::text").getall()),
            "date": node.css("time::attr(datetime), .comment-meta a::text, "
                             ".comment-date a::text, .comment-metadata a::text").get(),
            "text": " ".join(node.css("div.comment-body ::text, .comment-text ::text, "
                                      ".comment-content ::text").getall()),
        }
        for node in selector.css(COMMENTS)
    ]
