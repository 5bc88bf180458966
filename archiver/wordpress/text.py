"""Site-independent HTML to plain text: paragraphs, line breaks, entities, Cloudflare e-mails."""

from __future__ import annotations

import copy
import re
from html import escape

import lxml.html
from lxml import etree

from archiver.wordpress.cfemail import replace_cloudflare_emails
from archiver.wordpress.shared import Element, Predicate
from archiver.wordpress.text_reader import ASCII_SPACE, HoldsEmail, read_paragraphs

_ASCII_SPACE_RUN = re.compile(f"[{ASCII_SPACE}]+")
# What `lxml.html.tostring` takes out of the markup it writes.
_META_CONTENT_TYPE = re.compile(r'<meta http-equiv="Content-Type"[^>]*>')


def decode_cloudflare_emails(html: str) -> str:
    """Return `html` with each Cloudflare-obfuscated e-mail element replaced by its text.

    Both forms are handled: `<a class="__cf_email__" data-cfemail="HEX">[email protected]</a>`
    and, inside a link, `<span class="__cf_email__" data-cfemail="HEX">…</span>`.
    """
    body = _parse_fragment(html)
    replace_cloudflare_emails(body)
    return inner_html(body)


def html_to_paragraphs(html: str) -> list[str]:
    """The paragraphs of an HTML fragment as plain text, in order.

    A paragraph is a `<p>`, a list item, a paragraph inside a `<blockquote>`, an embedded
    tweet, or text standing directly in any other block. `<br>` becomes "\\n" and a run of
    two or more breaks ends the paragraph. Entities are decoded, inline tags dropped,
    Cloudflare e-mails decoded. Only ASCII whitespace at the ends of each line is stripped:
    NBSP and double spaces inside the text are kept.
    """
    return element_paragraphs(_parse_fragment(html))


def element_paragraphs(element: Element, *, skip: Predicate | None = None) -> list[str]:
    """The paragraphs of what is inside an element of a parsed page (as `html_to_paragraphs`).

    Reads the tree in place, so a page's parts need no serialising and reparsing; `skip`
    leaves out the subtrees it accepts (their tails stay: they are the parent's text). The
    element is never changed: one holding a Cloudflare e-mail is copied before decoding.
    """
    try:
        return read_paragraphs(element, skip, watch_emails=True)
    except HoldsEmail:
        twin = copy.deepcopy(element)
        replace_cloudflare_emails(twin)
        return read_paragraphs(twin, skip, watch_emails=False)


def html_to_text(html: str) -> str:
    """Plain text of an HTML fragment: its paragraphs joined by exactly one blank line."""
    return "\n\n".join(html_to_paragraphs(html))


def element_text(element: Element, *, skip: Predicate | None = None) -> str:
    """Plain text of what is inside an element: `html_to_text` without the round trip."""
    return "\n\n".join(element_paragraphs(element, skip=skip))


def inline_text(html: str) -> str:
    """Text of a short inline fragment (a name, a date, a title) on one line, spaces collapsed."""
    return _one_line(html_to_paragraphs(html))


def element_inline_text(element: Element, *, skip: Predicate | None = None) -> str:
    """What is inside an element on one line, spaces collapsed: `inline_text` in place."""
    return _one_line(element_paragraphs(element, skip=skip))


def element_inline_text_in_place(element: Element, *, skip: Predicate | None = None) -> str | None:
    """`element_inline_text` where the tree can be read as it is; None for an element holding
    a Cloudflare e-mail, decoded in a copy (whose elements a `skip` by identity never accepts)."""
    try:
        return _one_line(read_paragraphs(element, skip, watch_emails=True))
    except HoldsEmail:
        return None


def _one_line(paragraphs: list[str]) -> str:
    text = " ".join(paragraphs).replace("\n", " ")
    if "  " in text or "\t" in text or "\r" in text or "\f" in text or "\v" in text:
        text = _ASCII_SPACE_RUN.sub(" ", text)  # else every run is one space already
    return text.strip()


def _parse_fragment(html: str) -> Element:
    """Parse a fragment into a `<body>` element (entities decoded by the parser)."""
    document = lxml.html.document_fromstring(f"<html><body>{html}</body></html>")
    return document.body


def inner_html(element: Element) -> str:
    """The markup inside an lxml element (its text and children), without its own tags."""
    # As `lxml.html.tostring` of each child, which drops `<meta http-equiv="Content-Type">`
    # tags, but with one search for them: a child's markup ends where a match would.
    children = "".join([etree.tostring(child, method="html", encoding="unicode")
                        for child in element])
    if "<meta" in children:
        children = _META_CONTENT_TYPE.sub("", children)
    text = element.text
    return escape(text, quote=False) + children if text else children
