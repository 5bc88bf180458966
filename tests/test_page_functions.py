"""Page functions against the saved LDV pages (truth files, goldens, named traps) and variants.

Text is compared exactly: `Comment.body` / `Article.body` must equal the truth's paragraphs
joined by "\\n\\n", with no whitespace normalisation (the truth keeps NBSPs and entities'
real characters, and so does archiver.text).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from scrapy.http import HtmlResponse

from archiver import wordpress
from archiver.errors import PageStructureError
from archiver.items import Comment
from spiders.ldv import chrome_leaks, parse_ldv_article, parse_ldv_comments
from tests.pages import DAYS, load_page, load_truth, truth_ids
from tests.update_goldens import build_golden, golden_pages, golden_path, render

CASES = [pytest.param(day, post_id, id=f"{day}-{post_id}")
         for day in DAYS for post_id in truth_ids(day)]
SEED = "a-warning-from-the-labour-party-the-difference-between-leadership-and-management-47108.html"
CLASSIC_17772 = "the-ldv-sunday-caption-competition-the-mines-a-large-one-edition-17772.html"
QT_69228 = "wendy-chamberlain-on-qt-tonight-69228.html"


def thread(day: str, post_id: int) -> tuple[dict[str, Any], list[Comment]]:
    truth = load_truth(day, post_id)
    response = load_page(truth["mirror_path"], site=DAYS[day])
    return truth, parse_ldv_comments(response.selector, response.url)


def comments_of(path: str, *, site: str = "site") -> list[Comment]:
    response = load_page(path, site=site)
    return parse_ldv_comments(response.selector, response.url)


def _ordinal(day: int) -> str:
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def php_comment_date(local: str) -> str:
    """The truth's wall time written as LDV prints comment dates, PHP `jS M 'y - g:ia`."""
    at = datetime.fromisoformat(local)
    return (f"{_ordinal(at.day)} {at:%b} '{at:%y} - {at.hour % 12 or 12}:{at:%M}"
            f"{'am' if at.hour < 12 else 'pm'}")


def php_article_date(local: str) -> str:
    """The truth's wall time written as LDV bylines print it, PHP `D jS F Y - g:i a`."""
    at = datetime.fromisoformat(local)
    return (f"{at:%a} {_ordinal(at.day)} {at:%B} {at:%Y} - {at.hour % 12 or 12}:{at:%M} "
            f"{'am' if at.hour < 12 else 'pm'}")


# --- every article against its truth -------------------------------------------------------


@pytest.mark.parametrize(("day", "post_id"), CASES)
def test_article_fields_match_truth(day: str, post_id: int) -> None:
    truth = load_truth(day, post_id)
    article = parse_ldv_article(load_page(truth["mirror_path"], site=DAYS[day]))
    assert article.article_id == truth["post_id"]
    assert article.url.endswith(truth["mirror_path"])
    assert article.title == truth["title"]
    assert article.author == truth["author"]
    assert list(article.categories) == truth["category"]
    assert list(article.tags) == truth["tags"]
    assert article.body == "\n\n".join(truth["body_paragraphs"])
    assert article.published_raw == php_article_date(truth["published_local"])
    assert article.published_datetime is not None
    assert article.published_datetime.startswith(truth["published_local"])
    # No heading at all when a thread has no comments.
    assert article.comment_count_declared == (truth["comment_count"] or None)


@pytest.mark.parametrize(("day", "post_id"), CASES)
def test_comments_match_truth(day: str, post_id: int) -> None:
    truth, comments = thread(day, post_id)
    expected = truth["comments"]
    assert [c.comment_id for c in comments] == [c["comment_id"] for c in expected]
    assert [c.position for c in comments] == list(range(1, len(expected) + 1))
    for comment, want in zip(comments, expected, strict=True):
        assert comment.author == want["author"], comment.comment_id
        assert comment.author_url == want["author_url"], comment.comment_id
        assert comment.is_post_author is want["is_post_author"], comment.comment_id
        assert comment.body == "\n\n".join(want["body_paragraphs"]), comment.comment_id
        # The header as shown; dates are parsed elsewhere (archiver.dates).
        assert comment.posted_raw == php_comment_date(want["posted_local"]), comment.comment_id
        if comment.posted_datetime is not None:
            assert comment.posted_datetime.startswith(want["posted_local"])
        assert comment.body_html.startswith("<p>")


@pytest.mark.parametrize(("day", "post_id"), CASES)
def test_generic_wordpress_functions_agree_with_ldv_ones(day: str, post_id: int) -> None:
    truth = load_truth(day, post_id)
    response = load_page(truth["mirror_path"], site=DAYS[day])
    assert wordpress.parse_comments(response.selector, response.url) == parse_ldv_comments(
        response.selector, response.url)
    generic = wordpress.parse_article(response)
    assert generic.article_id == post_id
    assert generic.title == truth["title"]
    assert generic.body == "\n\n".join(truth["body_paragraphs"])


@pytest.mark.parametrize(("day", "post_id"), CASES)
def test_count_heading_matches_extracted_comments(day: str, post_id: int) -> None:
    truth, comments = thread(day, post_id)
    response = load_page(truth["mirror_path"], site=DAYS[day])
    heading = wordpress.parse_comment_count_heading(response.selector)
    assert (heading or 0) == len(comments) == truth["comment_count"]


# --- goldens -------------------------------------------------------------------------------


@pytest.mark.parametrize("post_id", list(golden_pages()))
def test_golden(post_id: int, request: pytest.FixtureRequest) -> None:
    actual = render(build_golden(post_id))
    path = golden_path(post_id)
    if request.config.getoption("--update-goldens", default=False):
        path.write_text(actual, encoding="utf-8")
        return
    assert path.exists(), f"no golden for {post_id}: run python -m tests.update_goldens"
    assert json.loads(actual) == json.loads(path.read_text(encoding="utf-8"))
    assert actual == path.read_text(encoding="utf-8")


# --- named traps ---------------------------------------------------------------------------


def test_seed_thread_has_38_comments_first_and_last() -> None:
    comments = comments_of(SEED)
    assert len(comments) == 38
    first, last = comments[0], comments[-1]
    assert (first.comment_id, first.author, first.posted_raw) == (
        400254, "Ed Shepherd", "4th Sep '15 - 9:45am")
    assert first.body == (
        "The most sensible article that I have read on the Labour leadership debate.")
    assert (last.comment_id, last.author, last.posted_raw) == (
        400494, "Dave Orbison", "7th Sep '15 - 3:13pm")
    assert wordpress.parse_comment_count_heading(load_page(SEED).selector) == 38


def test_editor_badge_does_not_double_the_name_and_is_not_post_author() -> None:
    by_id = {c.comment_id: c for c in comments_of(SEED)}
    caron = by_id[400290]
    assert caron.author == "Caron Lindsay"
    assert caron.is_post_author is False
    john = by_id[400269]
    assert john.author == "John Dixon"
    assert john.author_url == "https://example.org/john-dixon"
    assert john.is_post_author is True
    assert [c.comment_id for c in by_id.values() if c.is_post_author] == [400269]


def test_post_author_badge_in_html5_era() -> None:
    mary = {c.comment_id: c for c in comments_of(QT_69228)}[565081]
    assert (mary.author, mary.is_post_author) == ("Mary Reid", True)
    assert mary.posted_datetime == "2021-12-02T10:13:00+00:00"


def test_quoted_timestamps_stay_in_the_body() -> None:
    reply = {c.comment_id: c for c in comments_of(SEED)}[400291]
    assert reply.author == "Richard Underhill"
    assert reply.posted_raw == "4th Sep '15 - 9:28pm"
    assert reply.body.startswith("Caron Lindsay 4th Sep \u201915 \u2013 9:04pm")


@pytest.mark.parametrize(("day", "post_id"), CASES)
def test_no_sidebar_form_or_pingback_text_leaks(day: str, post_id: int) -> None:
    truth, comments = thread(day, post_id)
    response = load_page(truth["mirror_path"], site=DAYS[day])
    article = parse_ldv_article(response)
    for comment in comments:
        assert chrome_leaks(comment.author + "\n" + comment.body) == (), comment.comment_id
    assert chrome_leaks(article.body) == ()
    # Recent Comments entries for other posts never become comments of this one.
    foreign_ids = {int(href.rsplit("#comment-", 1)[1])
                   for href in response.css("#recentcomments a::attr(href)").getall()
                   if "#comment-" in href and truth["mirror_path"] not in href}
    assert foreign_ids.isdisjoint({c.comment_id for c in comments})
    pingback_ids = {p["comment_id"] for p in truth["pingbacks"]}
    assert pingback_ids.isdisjoint({c.comment_id for c in comments})


def test_trackback_on_17772_is_not_a_comment() -> None:
    comments = comments_of(CLASSIC_17772)
    assert len(comments) == 13
    assert 94090 not in {c.comment_id for c in comments}
    assert not any("Caption competition winner" in c.author + c.body for c in comments)
    assert wordpress.parse_comment_count_heading(load_page(CLASSIC_17772).selector) == 13


def test_zero_comment_article_22478() -> None:
    response = load_page("vince-cable-i-could-bring-down-the-government-22478.html")
    assert parse_ldv_comments(response.selector, response.url) == []
    assert wordpress.parse_comment_count_heading(response.selector) is None
    assert parse_ldv_article(response).comment_count_declared is None


def test_cloudflare_comment_69228_decodes_and_keeps_html() -> None:
    barry = {c.comment_id: c for c in comments_of(QT_69228)}[565082]
    assert barry.body.startswith("Mary Reid@theakes Thanks for putting the record straight")
    assert 'data-cfemail="9dcff8f4f9dde9f5f8fcf6f8ee"' in barry.body_html
    assert "__cf_email__" in barry.body_html


@pytest.mark.parametrize("path", [
    "ldv-sunday-caption-competition-downing-street-csr-special-edition-21739.html",
    "ldv-caption-competition-knowing-me-nick-clegg-knowing-you-steve-coogan-edition-30956.html",
])
def test_cloudflare_in_article_body(path: str) -> None:
    body = parse_ldv_article(load_page(path)).body
    assert body.endswith("please email us at voice@libdemvoice.org.")
    assert "protected]" not in body


def test_embedded_tweets_are_one_paragraph_each() -> None:
    body = parse_ldv_article(load_page("watch-jo-swinson-on-question-time-54102.html")).body
    tweet = ("pic.twitter.com/GUQkMg2d2f\n"
             "\u2014 BBC Question Time (@bbcquestiontime) April 27, 2017")
    assert tweet in body
    assert "widgets.js" not in body


def test_author_bio_excluded_from_body() -> None:
    body = parse_ldv_article(load_page(QT_69228)).body
    assert "contributing editor" not in body


def test_day2_edit_and_removal() -> None:
    edited = {c.comment_id: c for c in comments_of(SEED, site="site-next")}[400256]
    assert edited.body == (
        "Perhaps a better perspective on what is going on in the Labour Party \u2014")
    day2 = comments_of(QT_69228, site="site-next")
    assert 565084 not in {c.comment_id for c in day2}
    assert [c.position for c in day2] == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("path", ["", "page/2/", "category/news/", "tag/question-time/",
                                  "author/thevoice/"])
def test_listing_pages_are_not_articles(path: str) -> None:
    with pytest.raises(PageStructureError):
        parse_ldv_article(load_page(path))


# --- listings ------------------------------------------------------------------------------


def test_home_listing_day1() -> None:
    response = load_page("")
    listing = wordpress.parse_listing(response.selector, response.url)
    assert len(listing.teasers) == 10
    assert listing.teasers[0].post_id == 69228
    assert listing.next_url == "http://127.0.0.1:8000/page/2/"
    older = load_page("page/2/")
    last = wordpress.parse_listing(older.selector, older.url)
    assert [t.post_id for t in last.teasers] == [17772, 1637]
    assert last.next_url is None


@pytest.mark.parametrize(("day", "path"), [("day1", ""), ("day1", "page/2/"), ("day2", ""),
                                           ("day2", "page/2/"), ("day1", "category/news/")])
def test_teaser_counts_include_pingbacks(day: str, path: str) -> None:
    response = load_page(path, site=DAYS[day])
    listing = wordpress.parse_listing(response.selector, response.url)
    assert listing.teasers
    for teaser in listing.teasers:
        assert teaser.post_id is not None
        truth = load_truth(day, teaser.post_id)
        assert teaser.url.endswith(truth["mirror_path"])
        assert teaser.comment_count == truth["comment_count"] + len(truth["pingbacks"])


def test_day2_home_starts_with_the_new_article() -> None:
    response = load_page("", site="site-next")
    listing = wordpress.parse_listing(response.selector, response.url)
    assert listing.teasers[0].post_id == 71214
    assert listing.teasers[0].comment_count == 1


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("38 Comments", 38),
        ("One Comment", 1),
        ("No Comments", 0),
        ("One Response", 1),
        ("3 Responses to \u201cKubrick era\u201d", 3),
        ("2 thoughts on \u201cHello\u201d", 2),
        ("1,204 comments", 1204),
        ("Comments (7)", 7),
        ("Leave a comment", None),
        ("Post a Comment", None),
        ("Recent Comments", None),
        ("One Trackback", None),
        ("", None),
    ],
)
def test_parse_count_text(text: str, count: int | None) -> None:
    assert wordpress.parse_count_text(text) == count


# --- theme variants (tests/fixtures/variants) ----------------------------------------------


def variant(name: str) -> tuple[HtmlResponse, list[Comment]]:
    response = load_page(name, site="variants")
    return response, wordpress.parse_comments(response.selector, response.url)


def test_block_theme() -> None:
    response, comments = variant("block-theme-501.html")
    article = wordpress.parse_article(response)
    assert (article.article_id, article.title, article.author) == (
        501, "Hello block themes", "Jane Example")
    assert (article.published_raw, article.published_datetime) == (
        "1 May 2023", "2023-05-01T09:30:00+01:00")
    assert article.categories == ("News", "Meta")
    assert article.tags == ("blocks", "themes")
    assert article.comment_count_declared == 3
    assert [(c.comment_id, c.author, c.author_url, c.is_post_author) for c in comments] == [
        (11, "Alice", "https://alice.example/", False),
        (12, "Jane Example", None, True),
        (13, "Bob", None, False),
    ]
    # The nested reply is its own comment, not part of its parent's body.
    assert comments[0].body == "Nice post & a fine theme."
    assert comments[2].body == "First line\nsecond line\n\nSecond paragraph."
    assert comments[0].posted_datetime == "2023-05-01T10:00:00+01:00"


def test_block_theme_listing() -> None:
    response = load_page("block-theme-listing.html", site="variants")
    listing = wordpress.parse_listing(response.selector, response.url)
    assert [(t.post_id, t.url.rsplit("/", 1)[1], t.comment_count) for t in listing.teasers] == [
        (501, "block-theme-501.html", 3), (500, "quiet-post-500.html", 0),
        (499, "closed-post-499.html", None)]
    assert listing.next_url == "http://127.0.0.1:8000/page/2/"


def test_comment_oddities_are_kept_with_empty_fields() -> None:
    response, comments = variant("comment-oddities-601.html")
    by_id = {c.comment_id: c for c in comments}
    assert list(by_id) == [21, 22, 23, 24, 26]  # 25 is an inline pingback
    assert (by_id[21].posted_raw, by_id[21].posted_datetime) == (
        "the day before yesterday, ish", None)
    # No date in the header: a date quoted in the body must not stand in for it.
    assert (by_id[22].author, by_id[22].posted_raw, by_id[22].posted_datetime) == (
        "No Date", "", None)
    assert by_id[22].body == (
        "As Garbage Date wrote at 4th Sep \u201915 \u2013 9:04pm: that evening.")
    assert (by_id[23].author, by_id[23].author_url) == ("", None)
    assert (by_id[24].body, by_id[24].body_html, by_id[24].posted_datetime) == ("", "", "bogus")
    assert by_id[26].posted_raw == "2 June 2023 at 09:00"
    assert by_id[26].body == "Great \U0001f600 \u00a35\u00a0well spent\n\npoint one\n\npoint two"
    assert wordpress.parse_comment_count_heading(response.selector) == 5


def test_core_xhtml_walker() -> None:
    response, comments = variant("xhtml-walker-701.html")
    [comment] = comments
    assert (comment.comment_id, comment.author, comment.author_url) == (
        71, "Mr WordPress", "http://wordpress.org/")
    assert comment.posted_raw == "January 1, 2010 at 10:00 am"
    assert comment.body == (
        "Hi, this is a comment.\nTo delete a comment, just log in.\n\nSecond paragraph.")
    assert wordpress.parse_comment_count_heading(response.selector) == 1
    article = wordpress.parse_article(response)
    assert (article.title, article.author, article.published_raw) == (
        "Core xhtml walker", "admin", "January 1, 2010")
    assert (article.categories, article.tags) == (("Uncategorized",), ("walkers",))


def test_kubrick_theme() -> None:
    response, comments = variant("kubrick-801.html")
    assert [(c.comment_id, c.author, c.posted_raw, c.body) for c in comments] == [
        (81, "Old Timer", "January 1st, 2008 at 10:00 am", "Hi, this is a comment."),
        (82, "Anon", "January 2nd, 2008 at 11:15 pm", "I remember Kubrick.\n\nQuoted."),
    ]
    assert wordpress.parse_comment_count_heading(response.selector) == 2
    article = wordpress.parse_article(response)
    assert (article.article_id, article.title) == (801, "Kubrick era")


def test_missing_comment_ids() -> None:
    _, comments = variant("missing-ids-901.html")
    assert [(c.comment_id, c.author, c.position) for c in comments] == [
        (31, "Permalink Only", 1), (32, "Reply Link Only", 2), (None, "No Id At All", 3)]
    assert comments[2].posted_raw == "3 March 2020 at 16:00"


def test_heading_that_disagrees_with_its_list_is_reported_as_is() -> None:
    response, comments = variant("heading-mismatch-1001.html")
    assert wordpress.parse_comment_count_heading(response.selector) == 5
    assert len(comments) == 3
    assert wordpress.parse_article(response).comment_count_declared == 5


def test_no_comments_block() -> None:
    response, comments = variant("no-comments-block-1101.html")
    assert comments == []  # not the widget's li#comment-6
    assert wordpress.parse_comment_count_heading(response.selector) is None
    assert wordpress.comment_page_links(response.selector, response.url) == []


def test_comment_pagination_newest_first() -> None:
    response, comments = variant("comment-pagination-1201.html")
    base = "http://127.0.0.1:8000/comment-pagination-1201.html"
    assert [c.comment_id for c in comments] == [55]
    # Not the comment's own permalink (page 3, this page) or the link in its text.
    assert wordpress.comment_page_links(response.selector, response.url) == [
        f"{base}/comment-page-2/", f"{base}/comment-page-1/"]
    assert wordpress.previous_comment_page(response.selector, response.url) == (
        f"{base}/comment-page-2/")
    assert wordpress.next_comment_page(response.selector, response.url) is None


def test_comment_pagination_oldest_first_with_cpage() -> None:
    response, _ = variant("comment-pagination-first-1301.html")
    page2 = "http://127.0.0.1:8000/comment-pagination-first-1301.html?cpage=2"
    assert wordpress.comment_page_links(response.selector, response.url) == [page2]
    assert wordpress.next_comment_page(response.selector, response.url) == page2
    assert wordpress.previous_comment_page(response.selector, response.url) is None


def test_ldv_articles_have_no_comment_pages() -> None:
    response = load_page(SEED)
    assert wordpress.comment_page_links(response.selector, response.url) == []
    assert wordpress.next_comment_page(response.selector, response.url) is None


def test_not_an_article_raises() -> None:
    with pytest.raises(PageStructureError):
        wordpress.parse_article(load_page("comment-policy/"))


def test_document_title_is_the_last_fallback_for_a_title() -> None:
    """A theme with no entry title, og:title or post heading still yields the <title>."""
    from parsel import Selector

    from archiver.wordpress.article import _title_document

    page = Selector(text="<html><head><title>Tea &amp; cake | Liberal Democrat Voice</title>"
                         "<meta property='og:site_name' content='Liberal Democrat Voice'>"
                         "</head><body></body></html>")
    assert _title_document(page, page) == "Tea & cake"
