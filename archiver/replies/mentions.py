"""`@Name` and `@ Name`: a reply naming an earlier commenter with an at sign."""

from __future__ import annotations

import re

from archiver.replies.evidence import CONFIDENCE, Clue, snippet
from archiver.replies.names import Roster

# Not after a word or a dot: "Mary Reid@theakes" pastes the start of Mary Reid's comment,
# and "name@example.org" is an address; neither names anyone.
_AT = re.compile(r"(?<![\w@.])@[ \t\u00a0]?(?=[^\W_])")
# A body of a thousand at signs names no more than this many people.
_MOST_MENTIONS = 30


def mention_clues(body: str, own: str, roster: Roster) -> list[Clue]:
    """One clue per @-mention of an earlier commenter other than the writer."""
    clues: list[Clue] = []
    for count, at in enumerate(_AT.finditer(body)):
        if count == _MOST_MENTIONS:
            break
        match = roster.match_at(body, at.end())
        if match is None:
            continue  # someone who has not commented (yet), or a handle elsewhere
        people = tuple(person for person in match.people if person != own)
        if not people:
            continue  # the writer's own name, as in a pasted comment that addressed them
        confidence = CONFIDENCE["at_mention_first_name" if match.first_name_only
                                else "at_mention"]
        clues.append(Clue("at_mention", confidence, snippet(body[at.start():match.end]),
                          people=people))
    return clues
