"""Commenters' names as a reply writes them: normalised, and found at a point in the text."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Names are written with whatever apostrophe the keyboard or WordPress's texturizer gave.
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'", "\u02bc": "'"})
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_RAW_WORD = re.compile(r"[^\W_]+(?:['\u2019\u2018`\u00b4\u02bc][^\W_]+)*")
# Between the words of one name: spaces on one line, a hyphen, or an initial's full stop.
_GAP = re.compile(r"[ \t\u00a0]{1,3}|-|\.[ \t\u00a0]?")
_LONGEST_NAME_WORDS = 6
_WINDOW = 120  # no display name is longer; the rest of a hostile body is never scanned here


def fold(text: str) -> str:
    """Text compared caselessly, with one kind of apostrophe."""
    return unicodedata.normalize("NFKC", text).translate(_APOSTROPHES).casefold()


def same_apostrophes(text: str) -> str:
    return text.translate(_APOSTROPHES)


def name_key(name: str) -> str:
    """A display name as compared: its words, folded (a curly or straight apostrophe, any case)."""
    return " ".join(_WORD.findall(fold(name)))


@dataclass(frozen=True)
class NameMatch:
    """Earlier commenters whose name starts at a point of the text."""

    people: tuple[str, ...]  # name keys; more than one is an ambiguous first name
    end: int  # where the matched words end in the text
    first_name_only: bool
    single_word: bool  # a one-word match is more often an ordinary word


class Roster:
    """The people who commented before a reply and their comments, oldest first."""

    def __init__(self) -> None:
        self._comments: dict[str, list[tuple[int, int]]] = {}  # (comment id, thread position)
        self._starts: set[str] = set()  # first words of every name, to skip other lines fast
        self._by_first: dict[str, set[str]] = {}
        self._spelling: dict[str, str] = {}

    def add(self, author: str, comment_id: int, position: int) -> None:
        key = name_key(author)
        if not key:
            return
        self._comments.setdefault(key, []).append((comment_id, position))
        self._spelling.setdefault(key, author.strip())
        words = key.split()
        self._starts.add(words[0])
        if len(words) > 1:
            self._by_first.setdefault(words[0], set()).add(key)

    def comments_of(self, person: str) -> list[tuple[int, int]]:
        """The person's comments so far: (comment id, position in the thread), oldest first."""
        return self._comments.get(person, [])

    def name_words(self) -> frozenset[str]:
        return frozenset(word for person in self._comments for word in person.split())

    def spelled(self, person: str) -> str:
        """The name as the person's first comment displayed it."""
        return self._spelling.get(person, person)

    def match_at(self, text: str, start: int) -> NameMatch | None:
        """The longest earlier commenter's name beginning at `start`, else a first name.

        A first name followed by another capitalised word is someone else's full name
        ("John Dixon" when only John Tilley commented), so it matches nobody.
        """
        opening = _RAW_WORD.match(text, start, start + _WINDOW)
        if opening is None or fold(opening.group()) not in self._starts:
            return None
        words = _words_at(text, start)
        for count in range(len(words), 0, -1):
            key = " ".join(word for word, _ in words[:count])
            if key in self._comments:
                # "Steve" is one commenter's whole name and another's first name ("Steve
                # Way"): either may be meant.
                people = {key} | self._by_first.get(key, set()) if count == 1 else {key}
                return NameMatch(tuple(sorted(people)), words[count - 1][1], False, count == 1)
        if not words:
            return None
        first, end = words[0]
        namesakes = self._by_first.get(first)
        if not namesakes or _capitalised_word_follows(text, end):
            return None
        return NameMatch(tuple(sorted(namesakes)), end, True, True)


def _words_at(text: str, start: int) -> list[tuple[str, int]]:
    """Up to six folded words from `start` joined as a name's words are, with where each ends."""
    words: list[tuple[str, int]] = []
    position = start
    limit = start + _WINDOW
    while len(words) < _LONGEST_NAME_WORDS:
        match = _RAW_WORD.match(text, position, limit)
        if match is None:
            break
        words.append((fold(match.group()), match.end()))
        gap = _GAP.match(text, match.end(), limit)
        if gap is None:
            break
        position = gap.end()
    return words


def _capitalised_word_follows(text: str, end: int) -> bool:
    rest = text[end:end + 3]
    return bool(re.match(r"[ \t\u00a0]+[^\W\d_]", rest)) and rest.lstrip(" \t\u00a0")[:1].isupper()
