"""Clues to edges: resolve names to comments, merge agreeing evidence, keep ambiguity explicit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from archiver.replies.choice import Topics
from archiver.replies.evidence import CONFIDENCE, Clue, Edge, Said, snippet
from archiver.replies.headers import pasted_headers
from archiver.replies.mentions import mention_clues
from archiver.replies.names import Roster, name_key
from archiver.replies.quotes import ARTICLE, PassageIndex, tokens
from archiver.replies.salutations import salutation_clues

# The answered comment was picked among the person's several: a little less sure.
_PICKED = 0.9
_MOST_CONFIDENT = 0.99
# Evidence sits near a reply's start; a hostile or pasted megabyte is read no further.
READ_CHARS = 20_000


def infer_edges(thread: Sequence[Said], article_text: str = "") -> list[Edge]:
    """Reply edges of a thread given oldest first; each points only to an earlier comment."""
    roster = Roster()
    index = PassageIndex()
    index.add(ARTICLE, tokens(article_text[:READ_CHARS * 5]))
    topics = Topics()
    earlier: list[Said] = []
    edges: list[Edge] = []
    for said in thread:
        if len(said.body) > READ_CHARS:
            said = replace(said, body=said.body[:READ_CHARS])
        words = tokens(said.body)
        topics.add(words)
        if said.parent_id is None and earlier:
            clues = _clues(said, words, earlier, roster, index)
            edges += _resolve(said, len(earlier), clues, roster, topics)
        roster.add(said.author, said.comment_id, len(earlier))
        index.add(len(earlier), words)
        earlier.append(said)
    return edges


def _clues(said: Said, words: list[str], earlier: list[Said], roster: Roster,
           index: PassageIndex) -> list[Clue]:
    own = name_key(said.author)
    clues = mention_clues(said.body, own, roster)
    clues += salutation_clues(said.body, own, roster)
    for header in pasted_headers(said.body):
        at_minute = [c for c in earlier if c.posted_local == header.when
                     and name_key(c.author) != own]
        if header.person is not None:
            # A name that disagrees with the minute's author names nobody we have.
            at_minute = [c for c in at_minute if _names(header.person, c.author)]
            kind = "pasted_header"
        else:
            kind = "pasted_header_time_only"
        if at_minute:
            clues.append(Clue("pasted_header", CONFIDENCE[kind], header.text,
                              comment_ids=tuple(c.comment_id for c in at_minute)))
    for passage in index.passages(said.body, words):
        if passage.source == ARTICLE:
            continue
        source = earlier[passage.source]
        if name_key(source.author) != own:  # a writer repeating themselves answers no one
            clues.append(Clue("quote", CONFIDENCE["quote"], snippet(passage.text),
                              comment_ids=(source.comment_id,)))
    return clues


def _names(person: str, author: str) -> bool:
    """A pasted header's name is the author's, perhaps after words like "Reply to"."""
    key = name_key(author)
    return person == key or person.endswith(" " + key)


def _resolve(said: Said, position: int, clues: list[Clue], roster: Roster,
             topics: Topics) -> list[Edge]:
    # Comments pointed at directly (a header, a quote) settle which of a person's comments.
    direct = {comment_id for clue in clues if len(clue.comment_ids) == 1
              for comment_id in clue.comment_ids}
    found: dict[int, list[Clue]] = {}
    ambiguous: list[tuple[Clue, tuple[int, ...]]] = []
    for clue in clues:
        targets = list(clue.comment_ids)
        for person in clue.people:
            theirs = roster.comments_of(person)
            named = [comment_id for comment_id, _ in theirs if comment_id in direct]
            if named:
                targets.append(named[-1])
                continue
            chosen = topics.choose(position, [at for _, at in theirs], roster.name_words())
            targets.append(next(comment_id for comment_id, at in theirs if at == chosen))
            if len(theirs) > 1:
                clue = replace(clue, confidence=clue.confidence * _PICKED)
        if len(targets) == 1:
            found.setdefault(targets[0], []).append(clue)
        else:
            ambiguous.append((clue, tuple(sorted(set(targets)))))
    edges = [_merged(said.comment_id, parent, agreeing) for parent, agreeing in found.items()]
    seen: set[tuple[int, ...]] = set()
    for clue, candidates in ambiguous:
        # Other evidence in the same reply already settled it, or it was recorded once.
        if found.keys() & set(candidates) or candidates in seen:
            continue
        seen.add(candidates)
        edges.append(Edge(said.comment_id, None, clue.kind, round(clue.confidence, 3),
                          clue.evidence, candidates))
    return edges


def _merged(comment_id: int, parent: int, agreeing: list[Clue]) -> Edge:
    """One edge per answered comment; independent kinds of evidence that agree add up."""
    strongest = max(agreeing, key=lambda clue: clue.confidence)
    doubt = 1.0
    for kind in {clue.kind for clue in agreeing}:
        doubt *= 1 - max(clue.confidence for clue in agreeing if clue.kind == kind)
    return Edge(comment_id, parent, strongest.kind, round(min(1 - doubt, _MOST_CONFIDENT), 3),
                strongest.evidence)
