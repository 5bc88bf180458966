"""Theme-free name and date strategies: what is left when a theme's classes say nothing.

These read a comment's header by tags, attributes WordPress always prints (`rel="external
ugc"` on a commenter's link, `#comment-N` permalinks, `itemprop`) and words (comment_words.py),
never by class, so a theme that renamed or dropped every class still gives its names and
dates. They run after the class-based strategies, on the few comments those miss.
"""

from __future__ import annotations

from collections.abc import Iterator
from zoneinfo import ZoneInfo

from archiver.date_words import relative_age
from archiver.dates import DateParseError, parse_comment_date
from archiver.wordpress.comment_header import Header
from archiver.wordpress.comment_words import byline, comment_by, is_chrome, is_says
from archiver.wordpress.shared import Element

_UTC = ZoneInfo("UTC")  # only whether a text reads as a date is asked, not when
_UNREAD_TAGS = frozenset({"img", "svg", "time", "script", "style", "noscript", "button", "input"})
_MAX_NAME = 100  # longer text first in a header is a sentence, not a name


def reads_as_date(text: str) -> bool:
    """A comment date in a format dates.py reads, or a relative one ("2 weeks ago")."""
    try:
        parse_comment_date(text, zone=_UTC)
    except DateParseError:
        return relative_age(text) is not None
    return True


def date_in(text: str) -> str | None:
    """The longest run of words in `text` that reads as a date ("… on March 5, 2021 at
    3:04 pm" → "March 5, 2021 at 3:04 pm"); texts of up to 16 words are looked at."""
    words = text.split()
    if not words or len(words) > 16 or not any(char.isdigit() for char in text):
        return None
    for start in range(len(words)):
        for end in range(len(words), start, -1):
            candidate = " ".join(words[start:end])
            if reads_as_date(candidate):
                return candidate
    return None


def header_texts(header: Header) -> Iterator[tuple[Element, str, bool]]:
    """The header's text pieces in reading order: (owner, text, is the owner's own `.text`),
    without the body, replies, images, `<time>`, permalinks and reply links."""
    def walk(element: Element) -> Iterator[tuple[Element, str, bool]]:
        if element.text and not element.text.isspace():
            yield element, element.text.strip(), True
        for child in element:
            if isinstance(child.tag, str) and not _unread(header, child):
                yield from walk(child)
            if child.tail and not child.tail.isspace():
                yield element, child.tail.strip(), False
    yield from walk(header.node)
    following = header.node.getnext() if header.node.tag == "dt" else None
    if following is not None and following.tag == "dd":  # a `dl` list's body and byline
        yield from walk(following)


def _unread(header: Header, element: Element) -> bool:
    if header.leaves_out(element) or element.tag in _UNREAD_TAGS:
        return True
    if element.tag != "a":
        return False
    href = element.get("href") or ""
    return "#comment-" in href or "replytocom" in href or element.get("data-commentid") is not None


# Name strategies, theme-free, in order (after comment_author.py's class-based ones).
def name_itemprop(header: Header) -> Element | None:
    """schema.org microdata (Genesis): `[itemprop=name]`."""
    return header.first_with_text(element for element in header.visible(
        range(1, len(header.own.elements))) if element.get("itemprop") == "name")


def name_external_link(header: Header) -> Element | None:
    """The commenter's website link: WordPress gives it `rel="external nofollow ugc"`."""
    return header.first_with_text(
        link for link in header.with_tag("a")
        if {"external", "ugc"} & set((link.get("rel") or "").split()))


def name_before_says(header: Header) -> Element | str | None:
    """"Ann says:": the element before a "says:" element, else the text before "says"."""
    for owner, text, own_text in header_texts(header):
        if is_says(text) and own_text:
            previous = owner.getprevious()
            while previous is not None and previous.tag in _UNREAD_TAGS:
                previous = previous.getprevious()
            if previous is not None and header.first_with_text([previous]) is not None:
                return previous
        elif not is_chrome(text) and _name_says(text):
            return _name_says(text)
    return None


def _name_says(text: str) -> str | None:
    words = text.rstrip(":").split()
    if len(words) > 1 and is_says(words[-1]) and len(text) <= _MAX_NAME:
        return " ".join(words[:-1])
    return None


def name_comment_by(header: Header) -> str | None:
    """"Comment by Ann on March 5, 2021": Kubrick-like themes."""
    for element in header.visible(range(len(header.own.elements))):
        found = comment_by(header.inline_text(element)) if len(element) < 8 else None
        if found is not None and reads_as_date(found[1]):
            return found[0]
    return None


def name_byline(header: Header) -> str | None:
    """A byline after the body: "— Ann, March 5, 2021 at 3:04 pm", "Posted by Ann on …"."""
    for index in header.own.with_tag("p"):
        found = byline(header.inline_text(header.own.elements[index]))
        if found is not None and header.visible([index]) and reads_as_date(found[1]):
            return found[0]
    return None


def name_first_text(header: Header) -> Element | str | None:
    """A bare name: the header's first text that is no date and nothing WordPress prints."""
    for owner, text, own_text in header_texts(header):
        if is_chrome(text) or not any(char.isalnum() for char in text):
            continue
        if len(text) > _MAX_NAME or reads_as_date(text):
            return None
        return owner if own_text and owner is not header.node and len(owner) == 0 else text
    return None


# Date strategies, theme-free, in order (after comment_date.py's).
def date_in_text(header: Header) -> tuple[str, None] | None:
    """A date anywhere in the header's text ("Comment by Ann on March 5, 2021 at 3:04 pm",
    a byline, a bare "5. März 2021 um 15:04 Uhr")."""
    for _, text, _ in header_texts(header):
        found = date_in(text)
        if found is not None:
            return found, None
    return None
