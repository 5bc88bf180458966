"""Table tests for HTML → text: paragraphs, breaks, entities, embeds, Cloudflare e-mails."""

from __future__ import annotations

from typing import Any

import lxml.html
import pytest

from archiver.wordpress.cfemail import decode_cfemail
from archiver.wordpress.text import (
    decode_cloudflare_emails,
    element_inline_text,
    element_text,
    html_to_paragraphs,
    html_to_text,
    inline_text,
    inner_html,
)

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("html", "text"),
    [
        pytest.param("<p>One.</p>\n<p>Two.</p>", "One.\n\nTwo.", id="paragraphs"),
        pytest.param("<p>Line one<br />\nLine two</p>", "Line one\nLine two", id="br"),
        pytest.param("<p>a<br>b<br/>c</p>", "a\nb\nc", id="br-forms"),
        pytest.param("<p>a<br /><br />b</p>", "a\n\nb", id="double-br-ends-paragraph"),
        pytest.param("<p>It&#8217;s &#8220;fine&#8221; &#8211; &amp; &pound;3 &#8230;</p>",
                     "It\u2019s \u201cfine\u201d \u2013 & \u00a33 \u2026", id="entities"),
        pytest.param("<p>raw \u2019 \u201c \u2014 kept</p>", "raw \u2019 \u201c \u2014 kept",
                     id="raw-utf8"),
        pytest.param("<p>Poppie&#039;s mum</p>", "Poppie's mum", id="esc-html-apostrophe"),
        pytest.param("<p>round.\u2019&nbsp;Civil</p>", f"round.\u2019{NBSP}Civil", id="nbsp-kept"),
        pytest.param("<p>sharpens&nbsp; another</p>", f"sharpens{NBSP} another",
                     id="nbsp-then-space-kept"),
        pytest.param("<p>two  spaces</p>", "two  spaces", id="inner-double-space-kept"),
        pytest.param("<p>  padded \n</p>", "padded", id="paragraph-edges-stripped"),
        pytest.param("<p>I <b>was</b> <i>very</i> <a href='x'>clear</a></p>",
                     "I was very clear", id="inline-tags-dropped"),
        pytest.param("<p>source\nnewline</p>", "source newline", id="source-newline-is-space"),
        pytest.param("<blockquote><p>Quoted one.</p>\n<p>Quoted two.</p></blockquote><p>Mine.</p>",
                     "Quoted one.\n\nQuoted two.\n\nMine.", id="blockquote-paragraphs"),
        pytest.param("<p>Steve Way</p>\n<blockquote><p>quoted<br />\nline</p></blockquote>",
                     "Steve Way\n\nquoted\nline", id="blockquote-with-br"),
        pytest.param("<ul><li>one</li><li>two</li></ul><ol><li>three</li></ol>",
                     "one\n\ntwo\n\nthree", id="list-items"),
        pytest.param(
            '<blockquote class="twitter-tweet"><p lang="en" dir="ltr">Tweet text pic.twitter.com/x'
            '</p>\n&mdash; BBC Question Time (@bbcquestiontime) '
            '<a href="https://twitter.com/x">April 27, 2017</a></blockquote>\n'
            '<script async src="https://platform.twitter.com/widgets.js"></script>',
            "Tweet text pic.twitter.com/x\n\u2014 BBC Question Time (@bbcquestiontime) "
            "April 27, 2017",
            id="embedded-tweet-one-paragraph",
        ),
        pytest.param("<p>a</p><script>var x = '<p>no</p>';</script><style>p{}</style><p>b</p>",
                     "a\n\nb", id="script-style-dropped"),
        pytest.param("<p>a</p><!-- note --><p>b<!-- inline -->c</p>", "a\n\nbc",
                     id="html-comments-dropped"),
        pytest.param("<p>Hi <img class='emoji' alt='\U0001f600' src='x.svg'> "
                     "<img src='photo.jpg' alt='a photo'></p>",
                     "Hi \U0001f600", id="emoji-alt-kept-other-images-dropped"),
        pytest.param("<p>&nbsp;</p><p>real</p><p> </p>", "real", id="empty-paragraphs-dropped"),
        pytest.param("text before<p>para</p>text after", "text before\n\npara\n\ntext after",
                     id="loose-text-is-a-paragraph"),
        pytest.param("", "", id="empty"),
    ],
)
def test_html_to_text(html: str, text: str) -> None:
    assert html_to_text(html) == text


def test_html_to_text_is_paragraphs_joined_by_one_blank_line() -> None:
    html = "<p>a<br />b</p><blockquote><p>c</p></blockquote><ul><li>d</li></ul>"
    assert html_to_paragraphs(html) == ["a\nb", "c", "d"]
    assert html_to_text(html) == "\n\n".join(html_to_paragraphs(html))


@pytest.mark.parametrize(
    ("encoded", "decoded"),
    [
        # From the mirror: comment 565082 (69228) and its Recent Comments snippet, which
        # Cloudflare encoded with another key; the caption-competition address (21739).
        ("9dcff8f4f9dde9f5f8fcf6f8ee", "Reid@theakes"),
        ("94c6f1fdf0d4e0fcf1f5fff1e7", "Reid@theakes"),
        ("ceb8a1a7adab8ea2a7acaaaba3b8a1a7adabe0a1bca9", "voice@libdemvoice.org"),
        ("35435a5c565075595c57515058435a5c56501b5a4752", "voice@libdemvoice.org"),
    ],
)
def test_decode_cfemail(encoded: str, decoded: str) -> None:
    assert decode_cfemail(encoded) == decoded


@pytest.mark.parametrize("bad", ["", "zz", "9", "41ff"])
def test_decode_cfemail_rejects_what_is_not_cloudflare(bad: str) -> None:
    # "41ff" is valid hex but 0xff ^ 0x41 = 0xbe is not UTF-8 on its own.
    with pytest.raises(ValueError):
        decode_cfemail(bad)


@pytest.mark.parametrize(
    ("html", "text"),
    [
        pytest.param(
            'Mary <a href="/cdn-cgi/l/email-protection#9dcff8f4f9dde9f5f8fcf6f8ee" '
            'class="__cf_email__" data-cfemail="9dcff8f4f9dde9f5f8fcf6f8ee">[email&#160;protected]'
            "</a> Thanks",
            "Mary Reid@theakes Thanks",
            id="anchor-form",
        ),
        pytest.param(
            '<a href="/x">Mary <span class="__cf_email__" '
            'data-cfemail="94c6f1fdf0d4e0fcf1f5fff1e7">[email&#160;protected]</span> Thanks</a>',
            "Mary Reid@theakes Thanks",
            id="span-inside-link-form",
        ),
        pytest.param(
            '<p>at <a class="__cf_email__" data-cfemail="zz">[email&#160;protected]</a>.</p>',
            f"at [email{NBSP}protected].",
            id="undecodable-left-alone",
        ),
    ],
)
def test_cloudflare_emails_decoded_in_text(html: str, text: str) -> None:
    assert html_to_text(html) == text


def test_decode_cloudflare_emails_returns_html_without_the_placeholders() -> None:
    html = ('<p>Email <a href="/cdn-cgi/l/email-protection#ceb8" class="__cf_email__" '
            'data-cfemail="ceb8a1a7adab8ea2a7acaaaba3b8a1a7adabe0a1bca9">[email&#160;protected]'
            "</a>, or <b>not</b>.</p>")
    assert decode_cloudflare_emails(html) == (
        "<p>Email voice@libdemvoice.org, or <b>not</b>.</p>")


@pytest.mark.parametrize(
    ("html", "text"),
    [
        (" Poppie&#039;s  mum ", "Poppie's mum"),
        ("<cite class='fn'><a href='x'>Reader 21</a></cite>", "Reader 21"),
        ("2nd Dec &#039;21 - 10:13am", "2nd Dec '21 - 10:13am"),
        ("\nJanuary 1, 2010 at\n 10:00 am", "January 1, 2010 at 10:00 am"),
    ],
)
def test_inline_text(html: str, text: str) -> None:
    assert inline_text(html) == text


def _element(html: str) -> Any:
    return lxml.html.document_fromstring(f"<html><body><div id='x'>{html}</div></body></html>"
                                         ).get_element_by_id("x")


@pytest.mark.parametrize("html", [
    "<p>One.</p>\n<p>Two <b>bold</b>.</p>",
    "loose <i>text</i><blockquote><p>quoted<br>\nline</p></blockquote>tail",
    '<blockquote class="twitter-tweet"><p>Tweet</p>&mdash; Name</blockquote>',
    "<p>a</p><script>x()</script><!-- note --><p>b&nbsp; c</p>",
])
def test_element_text_reads_the_tree_as_html_to_text_reads_the_markup(html: str) -> None:
    element = _element(html)
    assert element_text(element) == html_to_text(inner_html(element))
    assert element_inline_text(element) == inline_text(inner_html(element))


def test_element_text_decodes_cloudflare_emails_without_changing_the_page() -> None:
    element = _element('<p>Mail <a class="__cf_email__" data-cfemail="94c6f1fdf0d4e0fcf1f5fff1e7">'
                       "[email&#160;protected]</a> now</p>")
    before = lxml.html.tostring(element)
    assert element_text(element) == "Mail Reid@theakes now"
    assert lxml.html.tostring(element) == before


def test_skipped_subtrees_leave_their_tails() -> None:
    element = _element('<a href="/u">Jo <span class="badge">Editor</span> Grimond</a>')
    link = element[0]
    assert element_inline_text(link, skip=lambda e: e.get("class") == "badge") == "Jo Grimond"
    assert element_inline_text(link) == "Jo Editor Grimond"
