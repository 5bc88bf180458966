"""Site-independent HTML to plain text: paragraphs, line breaks, entities, Cloudflare e-mails."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
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
# The same for text where no space comes before a newline (nearly all): starting with a
# literal, it is searched for at C speed instead of tried at every character.
_BARE_NEWLINE = re.compile(r"\n[ \t\f\n]*")
_ASCII_SPACE = " \t\n\r\f\v"
_ASCII_SPACE_RUN = re.compile(f"[{_ASCII_SPACE}]+")
# What `lxml.html.tostring` takes out of the markup it writes.
_META_CONTENT_TYPE = re.compile(r'<meta http-equiv="Content-Type"[^>]*>')
_HAS_CFEMAIL = etree.XPath("boolean(.//*[@data-cfemail])")  # for subtrees a read passes over
_HAS_CFEMAIL_HERE = etree.XPath("boolean(descendant-or-self::*[@data-cfemail])")


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
    try:
        return _read(element, skip, watch_emails=True)
    except _HoldsEmail:
        twin = copy.deepcopy(element)
        _replace_cloudflare_emails(twin)
        return _read(twin, skip, watch_emails=False)


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


def element_inline_text_in_place(element: Element, *, skip: Skip | None = None) -> str | None:
    """`element_inline_text` where the tree can be read as it is; None for an element holding
    a Cloudflare e-mail, decoded in a copy (whose elements a `skip` by identity never accepts)."""
    try:
        return _one_line(_read(element, skip, watch_emails=True))
    except _HoldsEmail:
        return None


def _one_line(paragraphs: list[str]) -> str:
    text = " ".join(paragraphs).replace("\n", " ")
    if "  " in text or "\t" in text or "\r" in text or "\f" in text or "\v" in text:
        text = _ASCII_SPACE_RUN.sub(" ", text)  # else every run is one space already
    return text.strip()


# What the reader does with an element, by tag (any other tag is inline: only its text counts).
_INLINE, _BLOCK, _PREFORMATTED, _LINE_BREAK, _IMAGE, _NOT_TEXT = range(6)
_KINDS = {
    **{tag: _INLINE for tag in ("a", "abbr", "b", "cite", "code", "em", "i", "small", "span",
                                "strong", "sub", "sup", "time", "u")},
    **{tag: _BLOCK for tag in _BLOCK_TAGS},
    **{tag: _NOT_TEXT for tag in _SKIP_TAGS},
    "pre": _PREFORMATTED, "br": _LINE_BREAK, "img": _IMAGE,
}


def _kind_of_other(tag: str) -> int:
    """The kind of a tag not in `_KINDS` as written (it may be in upper case)."""
    return _KINDS.get(tag.lower(), _INLINE)


class _HoldsEmail(Exception):
    """What a read watching for Cloudflare e-mails raises on finding one."""


def _read(element: Element, skip: Skip | None, *, watch_emails: bool) -> list[str]:
    """The paragraphs inside `element`; with `watch_emails`, _HoldsEmail if it holds one.

    A loop over a stack rather than a recursive walk: this runs on every text of every page,
    and a call per element was most of its time. Paragraphs are `done`; the one being read is
    its finished `lines` and the `line` being added to.

    An e-mail anywhere below, even in a part left out, means the copy is read instead (as a
    search before every read used to decide): the elements read are looked at on the way,
    the subtrees passed over with one query each.
    """
    done: list[str] = []
    line = _source_text(element.text)
    if not len(element):  # names, dates, links: their text is all there is
        _end_paragraph(done, [], line)
        return done
    lines: list[str] = []
    together = False  # inside an embed whose paragraphs are one
    stack: list[tuple[Iterator[Element], Element, int, bool]] = []
    children = iter(element)
    while True:
        for child in children:
            tag = child.tag
            if tag.__class__ is str:  # not a comment or processing instruction
                if skip is not None and skip(child):
                    if watch_emails and _HAS_CFEMAIL_HERE(child):
                        raise _HoldsEmail
                elif watch_emails and child.get("data-cfemail") is not None:
                    raise _HoldsEmail
                else:
                    kind = _KINDS.get(tag)
                    if kind is None:
                        kind = _kind_of_other(tag)
                    if kind >= _LINE_BREAK:  # nothing inside is read
                        if watch_emails and len(child) and _HAS_CFEMAIL(child):
                            raise _HoldsEmail
                        if kind == _LINE_BREAK:
                            lines.append(line)
                            line = ""
                        elif kind == _IMAGE and _is_emoji(child):
                            line += child.get("alt") or ""
                    else:
                        if kind != _INLINE:
                            line = _block_boundary(done, lines, line, together)
                        text = child.text
                        if text:
                            line += text if kind == _PREFORMATTED else _source_text(text)
                        if len(child):
                            stack.append((children, child, kind, together))
                            together = together or (kind != _INLINE and _starts_unit(child))
                            children = iter(child)
                            break  # into the child; it ends when its children run out
                        if kind != _INLINE:
                            line = _block_boundary(done, lines, line, together)
            tail = child.tail
            if tail:
                line += _source_text(tail)
        else:  # the children ran out: the element holding them ends
            if not stack:
                break
            children, child, kind, together = stack.pop()
            if kind != _INLINE:
                line = _block_boundary(done, lines, line, together)
            tail = child.tail
            if tail:
                line += _source_text(tail)
    _end_paragraph(done, lines, line)
    return done


def _is_emoji(image: Element) -> bool:
    return not _EMOJI_IMAGE_CLASSES.isdisjoint((image.get("class") or "").split())


def _starts_unit(block: Element) -> bool:
    return not _KEEP_TOGETHER_CLASSES.isdisjoint((block.get("class") or "").split())


def _block_boundary(done: list[str], lines: list[str], line: str, together: bool) -> str:
    """A block starts or ends: a new paragraph, or inside a kept-together embed a new line
    unless one is open. Returns the line now being read."""
    if not together:
        _end_paragraph(done, lines, line)
        return ""
    if line.strip():
        lines.append(line)
        return ""
    return line


def _end_paragraph(done: list[str], lines: list[str], line: str) -> None:
    """The paragraph's lines, stripped of ASCII spaces, become paragraphs: an empty line
    (two breaks in a row) ends one. `lines` is emptied for the next."""
    if not lines:  # most block boundaries: no line break inside
        line = line.strip(_ASCII_SPACE)
        if line.strip():
            done.append(line)
        return
    lines.append(line)
    chunk: list[str] = []
    for raw in lines:
        stripped = raw.strip(_ASCII_SPACE)
        if stripped.strip():
            chunk.append(stripped)
        elif chunk:
            done.append("\n".join(chunk))
            chunk = []
    if chunk:
        done.append("\n".join(chunk))
    lines.clear()


def _source_text(text: str | None) -> str:
    if not text:
        return ""
    if "\n" not in text:
        return text if "\r" not in text else _SOURCE_NEWLINE.sub(" ", text)
    if "\r" in text or " \n" in text or "\t\n" in text or "\f\n" in text:
        return _SOURCE_NEWLINE.sub(" ", text)
    return _BARE_NEWLINE.sub(" ", text)


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
    # As `lxml.html.tostring` of each child, which drops `<meta http-equiv="Content-Type">`
    # tags, but with one search for them: a child's markup ends where a match would.
    children = "".join([etree.tostring(child, method="html", encoding="unicode")
                        for child in element])
    if "<meta" in children:
        children = _META_CONTENT_TYPE.sub("", children)
    text = element.text
    return escape(text, quote=False) + children if text else children
