"""One saved article page in, its article and comments out: the page functions' front door."""

from __future__ import annotations

from dataclasses import dataclass

from scrapy.http import TextResponse

from archiver.items import Article, Comment
from archiver.wordpress.article import parse_article
from archiver.wordpress.comments import parse_comments
from archiver.wordpress.whole_page import read_whole


@dataclass(frozen=True)
class ArticlePage:
    article: Article
    comments: tuple[Comment, ...]


def read_article_page(response: TextResponse) -> ArticlePage:
    """The article and the comments of one WordPress article page, with any theme.

    `response`: the page as fetched or saved, e.g.
    ``HtmlResponse(url, body=Path("page.html").read_bytes())`` (the URL matters: links and
    post ids are read against it). Comments come in page order with their WordPress ids,
    authors, raw and machine-readable times, bodies and `parent_id` (from nesting or reply
    links; None at top level or on a flat theme). Times are not yet normalised: the crawl's
    normalise pipeline does that with the site's zone. Raises PageStructureError when the
    page is not an article (no post id, or neither title nor text).
    """
    page = read_whole(response).response
    article = parse_article(page)
    return ArticlePage(article, tuple(parse_comments(page.selector, page.url)))
