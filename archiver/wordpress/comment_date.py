"""When a comment was posted, as its header shows it: the text and any `datetime`."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from archiver.wordpress.comment_header import Header
from archiver.wordpress.comment_parts import badge_or_class_in
from archiver.wordpress.comment_plain import date_in_text
from archiver.wordpress.shared import Element

# Date strategies, in order, over the header: (text as shown, `<time datetime>` or None).
Posted = tuple[str, str | None]


def _date_time_element(header: Header) -> Posted | None:
    """html5 walker and block themes: `<time datetime="…">text</time>`."""
    for time in header.with_tag("time"):
        raw = header.inline_text(time)
        stamp = time.get("datetime")
        if raw or stamp:
            return raw, stamp.strip() if stamp else None
    return None


def _date_permalink(header: Header) -> Posted | None:
    """The comment's permalink `<a href="…#comment-N">date</a>` (all walkers)."""
    for link in header.with_tag("a"):
        if "#comment-" in (link.get("href") or "") and (raw := header.inline_text(link)):
            return raw, None
    return None


def _date_container(header: Header) -> Posted | None:
    """A date container without a link: `.comment-date`, `.comment-metadata`, `.comment-meta`."""
    for token in ("comment-date", "wp-block-comment-date", "comment-metadata",
                  "commentmetadata", "comment-meta"):
        for found in header.with_class(token):
            raw = header.inline_text(found, _is_date_noise)
            if raw:
                return raw, None
    return None


def _is_date_noise(element: Element) -> bool:
    """html5 `footer.comment-meta` holds the name too; edit and reply links are no date."""
    if element.tag in ("cite", "img"):
        return True
    return badge_or_class_in(element, _DATE_NOISE_CLASSES)


_DATE_NOISE_CLASSES = frozenset({"comment-edit-link", "edit-link", "reply", "comment-reply-link",
                                 "comment-author", "vcard", "fn", "says"})


# A relative date ("2 weeks ago") is kept as shown, without a `datetime`: normalise leaves it
# unread (see date_words.relative_age for resolving it against the fetch time).
DATE_STRATEGIES: Sequence[Callable[[Header], Posted | None]] = (
    _date_time_element, _date_permalink, _date_container, date_in_text)
