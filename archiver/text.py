"""Site-independent HTML to plain text: paragraphs, line breaks, entities, Cloudflare e-mails."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from html import escape
from typing import Any

import lxml.html
from lxml import etree

# lxml ships no type information; its elements are plain `Any` to mypy.
Element = Any
Skip = Callable[[Element], bool]

# Each of these starts and ends a paragraph (text directly inside one is a paragraph of its own).
_BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "caption", "dd", "details", "dialog", "div",
    "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4",
    "h5", "h6", "header", "hgroup", "hr", "li", "main", "nav", "ol", "p", "pre", "section",
    "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
})
# Never text: scripts (e.g. the Twitter widget loader after an embedded tweet), media, forms.
_SKIP_TAGS = frozenset({
    "audio", "button", "canvas", "embed", "head", "iframe", "input", "link", "math", "meta",
    "noscript", "object", "script", "select", "style", "svg", "template", "textarea", "title",
    "video",
})
# Embeds whose inner paragraphs are one quoted unit: the tweet text and its
# "— Name (@handle) date" line stay one paragraph, joined by a line break.
_KEEP_TOGETHER_CLASSES = frozenset({"twitter-tweet", "twitter-video"})
# WordPress turns emoji and smilies into images; their alt text is the character itself.
_EMOJI_IMAGE_CLASSES = frozenset({"emoji", "wp-smiley"})
# Source newlines (and the indentation around them) are formatting, i.e. one space in HTML.
_SOURCE_NEWLINE = re.compile(r"[ \t\f\r]*[\r\n][ \t\f\r\n]*")
_ASCII_SPACE = " \t\n\r\f\v"
_ASCII_SPACE_RUN = re.compile(f"[{_ASCII_SPACE}]+")
_HAS_CFEMAIL = etree.XPath("boolean(.//*[@data-cfemail])")


def decode_cfemail(encoded: str) -> str:
    """Decode a Cloudflare `data-cfemail` value: byte 0 is the key, each next byte XOR key.

    Raises ValueError when the value is not hex or not UTF-8 once decoded.
    """
    data = bytes.fromhex(encoded)
    if not data:
        raise ValueError("empty data-cfemail value")
    key = data[0]
    return bytes(byte ^ key for byte in data[1:]).decode("utf-8")


def decode_cloudflare_emails(html: str) -> str:
    """Return `html` with each Cloudflare-obfuscated e-mail element replaced by its text.

    Both forms are handled: `<a class="__cf_email__" data-cfemail="HEX">[email protected]</a>`
    and, inside a link, `<span class="__cf_email__" data-cfemail="HEX">…</span>`.
    """
    body = _parse_fragment(html)
    _replace_cloudflare_emails(body)
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


def element_paragraphs(element: Element, *, skip: Skip | None = None) -> list[str]:
    """The paragraphs of what is inside an element of a parsed page (as `html_to_paragraphs`).

    Reads the tree in place, so a page's parts need no serialising and reparsing; `skip`
    leaves out the subtrees it accepts (their tails stay: they are the parent's text). The
    element is never changed: one holding a Cloudflare e-mail is copied before decoding.
    """
    if len(element) and _HAS_CFEMAIL(element):
        element = copy.deepcopy(element)
        _replace_cloudflare_emails(element)
    out = _Paragraphs()
    out.add_text(_source_text(element.text))
    for child in element:
        _walk(child, out, keep_together=False, skip=skip)
    out.end_paragraph()
    return out.done


def html_to_text(html: str) -> str:
    """Plain text of an HTML fragment: its paragraphs joined by exactly one blank line."""
    return "\n\n".join(html_to_paragraphs(html))


def element_text(element: Element, *, skip: Skip | None = None) -> str:
    """Plain text of what is inside an element: `html_to_text` without the round trip."""
    return "\n\n".join(element_paragraphs(element, skip=skip))


def inline_text(html: str) -> str:
    """Text of a short inline fragment (a name, a date, a title) on one line, spaces collapsed."""
    return _one_line(html_to_paragraphs(html))


def element_inline_text(element: Element, *, skip: Skip | None = None) -> str:
    """What is inside an element on one line, spaces collapsed: `inline_text` in place."""
    return _one_line(element_paragraphs(element, skip=skip))


def _one_line(paragraphs: list[str]) -> str:
    text = " ".join(paragraphs).replace("\n", " ")
    return _ASCII_SPACE_RUN.sub(" ", text).strip()


class _Paragraphs:
    """Collects lines of the paragraph being read and the paragraphs finished so far."""

    def __init__(self) -> None:
        self.done: list[str] = []
        self.lines: list[str] = [""]

    def add_text(self, text: str) -> None:
        self.lines[-1] += text

    def line_break(self) -> None:
        self.lines.append("")

    def soft_break(self) -> None:
        """A block boundary inside a kept-together embed: a line break unless one is open."""
        if self.lines[-1].strip():
            self.lines.append("")

    def end_paragraph(self) -> None:
        if len(self.lines) == 1:  # most block boundaries: no line break inside
            line = self.lines[0].strip(_ASCII_SPACE)
            if line.strip():
                self.done.append(line)
            self.lines = [""]
            return
        chunk: list[str] = []
        for raw in self.lines:
            line = raw.strip(_ASCII_SPACE)
            if line.strip():
                chunk.append(line)
            elif chunk:  # an empty line (two breaks in a row) ends the paragraph
                self.done.append("\n".join(chunk))
                chunk = []
        if chunk:
            self.done.append("\n".join(chunk))
        self.lines = [""]


def _walk(element: Element, out: _Paragraphs, *, keep_together: bool,
          skip: Skip | None) -> None:
    tag = element.tag
    # Comments and processing instructions have a function as tag.
    if isinstance(tag, str) and (skip is None or not skip(element)):
        _walk_element(element, tag.lower(), out, keep_together=keep_together, skip=skip)
    out.add_text(_source_text(element.tail))


def _walk_element(element: Element, tag: str, out: _Paragraphs, *, keep_together: bool,
                  skip: Skip | None) -> None:
    if tag in _SKIP_TAGS:
        return
    if tag == "br":
        out.line_break()
        return
    if tag == "img":
        if _EMOJI_IMAGE_CLASSES & set((element.get("class") or "").split()):
            out.add_text(element.get("alt") or "")
        return
    block = tag in _BLOCK_TAGS
    starts_unit = block and not keep_together and bool(
        _KEEP_TOGETHER_CLASSES & set((element.get("class") or "").split()))
    inner_together = keep_together or starts_unit
    if block:
        _block_boundary(out, keep_together=keep_together)
    out.add_text(_source_text(element.text, preformatted=tag == "pre"))
    for child in element:
        _walk(child, out, keep_together=inner_together, skip=skip)
    if block:
        _block_boundary(out, keep_together=keep_together)


def _block_boundary(out: _Paragraphs, *, keep_together: bool) -> None:
    """A block starts or ends: a new paragraph, or inside a kept-together embed a new line."""
    if keep_together:
        out.soft_break()
    else:
        out.end_paragraph()


def _source_text(text: str | None, *, preformatted: bool = False) -> str:
    if not text:
        return ""
    if preformatted or ("\n" not in text and "\r" not in text):
        return text
    return _SOURCE_NEWLINE.sub(" ", text)


def _parse_fragment(html: str) -> Element:
    """Parse a fragment into a `<body>` element (entities decoded by the parser)."""
    document = lxml.html.document_fromstring(f"<html><body>{html}</body></html>")
    return document.body


def _replace_cloudflare_emails(root: Element) -> None:
    for element in root.xpath(".//*[@data-cfemail]"):
        try:
            text = decode_cfemail(element.get("data-cfemail"))
        except ValueError:
            continue  # not Cloudflare's encoding after all: leave the placeholder text
        _replace_with_text(element, text)


def _replace_with_text(element: Element, text: str) -> None:
    parent = element.getparent()
    if parent is None:
        return
    joined = text + (element.tail or "")
    previous = element.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + joined
    else:
        parent.text = (parent.text or "") + joined
    parent.remove(element)


def inner_html(element: Element) -> str:
    """The markup inside an lxml element (its text and children), without its own tags."""
    parts = [escape(element.text, quote=False)] if element.text else []
    parts += [lxml.html.tostring(child, encoding="unicode", with_tail=True) for child in element]
    return "".join(parts)
