"""What the inference reads (one comment as said) and what it finds (an edge and its evidence)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

Kind = Literal["at_mention", "salutation", "pasted_header", "quote"]

# How far each kind of evidence is trusted before the answered comment is picked; the
# resolver lowers it when a person wrote several earlier comments and one had to be chosen.
CONFIDENCE: dict[str, float] = {
    "pasted_header": 0.95,  # name and minute agree with exactly one comment
    "pasted_header_time_only": 0.8,
    "quote": 0.9,
    "at_mention": 0.9,
    "at_mention_first_name": 0.75,
    "salutation": 0.85,
    "salutation_first_name": 0.7,
    "salutation_unpunctuated": 0.6,
}

# Evidence kept on the edge is for a reader to check, not a copy of the comment.
EVIDENCE_CHARS = 200


@dataclass(frozen=True)
class Said:
    """One comment as the inference sees it, in thread order (oldest first)."""

    comment_id: int
    author: str
    body: str
    posted_local: datetime | None = None  # the site's wall time, as headers quote it
    parent_id: int | None = None  # the site's own parent: such a comment needs no inference


@dataclass(frozen=True)
class Clue:
    """Evidence in one comment pointing at a person, a minute or a passage, not yet resolved."""

    kind: Kind
    confidence: float
    evidence: str
    # Earlier comments it may point at, most likely first; more than one person is ambiguous.
    comment_ids: tuple[int, ...] = ()
    people: tuple[str, ...] = ()  # normalised names when it named people, not comments


@dataclass(frozen=True)
class Edge:
    """A reply's link to the comment it answers; parent None (with candidates) when ambiguous."""

    comment_id: int
    parent_comment_id: int | None
    kind: Kind
    confidence: float
    evidence: str
    candidates: tuple[int, ...] = ()

    @property
    def ambiguous(self) -> bool:
        return self.parent_comment_id is None


def snippet(text: str) -> str:
    """Evidence as stored: one line, bounded."""
    flat = " ".join(text.split())
    return flat if len(flat) <= EVIDENCE_CHARS else flat[: EVIDENCE_CHARS - 1] + "…"
