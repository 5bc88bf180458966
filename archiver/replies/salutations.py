"""A line that opens with an earlier commenter's name: "Steve Way…", "Silvio,", "Yes, Jenny."."""

from __future__ import annotations

import re

from archiver.replies.evidence import CONFIDENCE, Clue, snippet
from archiver.replies.headers import header_follows
from archiver.replies.names import Roster, same_apostrophes

# Words a greeting may start with before the name. A name that is one of them ("Yes",
# "Well") is read as the word, the way a reader would.
_LEAD_IN = re.compile(
    r"(?:(?:yes|no|well|thanks|thank you|cheers|hi|hello|dear|sorry|agreed|indeed|ah|oh|ok|"
    r"okay|so)\b[ \t\u00a0]*[,!.]?[ \t\u00a0]+)?", re.IGNORECASE)
# What may follow a name used to address someone; a one-word name needs it, or "Mark my
# words" would answer Mark.
_ADDRESS_MARK = re.compile(r"[ \t\u00a0]*(?:[,:;!.\u2026\u2013\u2014@-]|$)")
_MOST_LINES = 200


def salutation_clues(body: str, own: str, roster: Roster) -> list[Clue]:
    """One clue per line opening with an earlier commenter's name (the writer's own aside)."""
    clues: list[Clue] = []
    for line in body.splitlines()[:_MOST_LINES]:
        stripped = line.lstrip()
        start = _LEAD_IN.match(stripped)
        position = start.end() if start else 0
        if not stripped[position:position + 1].isupper() and not _exact_spelling(
                stripped, position, roster):
            continue
        match = roster.match_at(stripped, position)
        if match is None:
            continue
        people = tuple(person for person in match.people if person != own)
        if not people or header_follows(stripped, match.end):
            continue  # the writer's own name, or a pasted header's (headers.py reads those)
        marked = _ADDRESS_MARK.match(stripped, match.end) is not None
        # Unmarked, only a name written as displayed: "A social liberal would…" is prose,
        # not "A Social Liberal" addressed; a one-word name is too often a word.
        if not marked and (match.single_word or not _as_displayed(stripped, position, match.end,
                                                                  people, roster)):
            continue
        if not marked:
            kind = "salutation_unpunctuated"
        elif match.first_name_only:
            kind = "salutation_first_name"
        else:
            kind = "salutation"
        clues.append(Clue("salutation", CONFIDENCE[kind],
                          snippet(stripped[:match.end + 1]), people=people))
    return clues


def _exact_spelling(line: str, position: int, roster: Roster) -> bool:
    """A lower-case name written as its owner writes it ("theakes,")."""
    match = roster.match_at(line, position)
    return match is not None and _as_displayed(line, position, match.end, match.people, roster)


def _as_displayed(line: str, start: int, end: int, people: tuple[str, ...],
                  roster: Roster) -> bool:
    written = same_apostrophes(line[start:end])
    return any(written == same_apostrophes(roster.spelled(person)) for person in people)
