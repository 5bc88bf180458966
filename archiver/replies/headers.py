"""Pasted comment headers ("Simon Shaw 4th Sep '15 - 2:37pm"): another comment's name and minute."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from archiver.replies.names import name_key

_MONTHS = {month: number for number, month in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
# The header formats a reader copies: LDV's PHP `jS M 'y - g:ia` (texturized on paste:
# curly apostrophe, en dash) and WordPress's default "September 4, 2015 at 2:37 pm".
_FORMATS = (
    re.compile(r"(?P<day>\d{1,2})(?:st|nd|rd|th)[ \t\u00a0]+(?P<month>[A-Za-z]{3})[a-z]{0,6}"
               r"[ \t\u00a0]+['\u2019\u2018](?P<year>\d{2})[ \t\u00a0]*[-\u2013\u2014][ \t\u00a0]*"
               r"(?P<hour>\d{1,2}):(?P<minute>\d{2})[ \t\u00a0]*(?P<half>[ap]m)", re.IGNORECASE),
    re.compile(r"(?P<month>[A-Za-z]{3})[a-z]{0,6}[ \t\u00a0]+(?P<day>\d{1,2}),[ \t\u00a0]+"
               r"(?P<year>\d{4})[ \t\u00a0]+at[ \t\u00a0]+(?P<hour>\d{1,2}):(?P<minute>\d{2})"
               r"[ \t\u00a0]*(?P<half>[ap]m)", re.IGNORECASE),
)
# A header's name is short; longer text before a date is prose that mentions a time.
_NAME_BEFORE = re.compile(
    r"^[ \t\u00a0]*(?P<name>[^\W\d_][\w'\u2019\u2018 .\-\u00a0]{0,58}?)?[ \t\u00a0]*$")
_MOST_LINES = 200


@dataclass(frozen=True)
class Header:
    """A pasted header: who (a name key, or None when only the time was pasted) and when."""

    person: str | None
    when: datetime
    text: str


def pasted_headers(body: str) -> list[Header]:
    headers: list[Header] = []
    if ":" not in body:
        return headers  # every header format has the minute after a colon
    for line in body.splitlines()[:_MOST_LINES]:
        if ":" not in line:
            continue
        for pattern in _FORMATS:
            found = pattern.search(line)
            if found is None:
                continue
            before = _NAME_BEFORE.match(line[:found.start()])
            when = _when(found)
            if before is None or when is None:
                continue
            name = before.group("name")
            headers.append(Header(name_key(name) if name else None, when,
                                  line[:found.end()].strip()))
            break
    return headers


def header_follows(line: str, position: int) -> bool:
    """Whether a pasted header's date starts at `position` (after spaces)."""
    rest = line[position:position + 80].lstrip(" \t\u00a0")
    return any(pattern.match(rest) for pattern in _FORMATS)


def _when(found: re.Match[str]) -> datetime | None:
    month = _MONTHS.get(found["month"][:3].lower())
    year = int(found["year"])
    hour = int(found["hour"]) % 12 + (12 if found["half"].lower() == "pm" else 0)
    if month is None:
        return None
    try:
        return datetime(year + 2000 if year < 100 else year, month, int(found["day"]), hour,
                        int(found["minute"]))
    except ValueError:
        return None  # "31st Feb": a typo, not a minute to look for
