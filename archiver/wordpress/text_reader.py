"""The tree walk under the HTML-to-text functions: an element's paragraphs, read in place."""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml import etree

from archiver.wordpress.shared import Element, Predicate

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
ASCII_SPACE = " \t\n\r\f\v"
_HAS_CFEMAIL = etree.XPath("boolean(.//*[@data-cfemail])")  # for subtrees a read passes over
_HAS_CFEMAIL_HERE = etree.XPath("boolean(descendant-or-self::*[@data-cfemail])")

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


class HoldsEmail(Exception):
    """What a read watching for Cloudflare e-mails raises on finding one."""


def read_paragraphs(element: Element, skip: Predicate | None, *, watch_emails: bool) -> list[str]:
    """The paragraphs inside `element`; with `watch_emails`, HoldsEmail if it holds one.

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
                        raise HoldsEmail
                elif watch_emails and child.get("data-cfemail") is not None:
                    raise HoldsEmail
                else:
                    kind = _KINDS.get(tag)
                    if kind is None:
                        kind = _kind_of_other(tag)
                    if kind >= _LINE_BREAK:  # nothing inside is read
                        if watch_emails and len(child) and _HAS_CFEMAIL(child):
                            raise HoldsEmail
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
        line = line.strip(ASCII_SPACE)
        if line.strip():
            done.append(line)
        return
    lines.append(line)
    chunk: list[str] = []
    for raw in lines:
        stripped = raw.strip(ASCII_SPACE)
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
