"""Quoted passages: words of an earlier comment repeated in a reply, in quote marks or not."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

_TOKEN = re.compile(r"[^\W_]+")
_QUOTED = re.compile(r"\u201c([^\u201d]{1,3000})\u201d|\"([^\"]{1,3000})\"")
_ELISION = re.compile(r"\.{3,}|\u2026")
# A passage in quote marks counts from five words; copied without them, from ten (eight
# words in a row, three times over), as shorter runs of ordinary prose recur by chance.
QUOTED_WORDS = 5
COPIED_GRAM = 8
COPIED_GRAMS = 3
ARTICLE = -1  # the article's own text: quoting it answers no comment


@dataclass(frozen=True)
class Passage:
    """A passage of a reply found earlier: where first (an index into the thread, or ARTICLE)."""

    source: int
    text: str
    quoted: bool


def tokens(text: str) -> list[str]:
    """The text's words, folded; `spans` finds where they stand when evidence is quoted."""
    return _TOKEN.findall(text.casefold())


def spans(text: str) -> list[tuple[int, int]]:
    folded = text.casefold()
    if len(folded) != len(text):  # a letter that folds to two ("ß"): fold word by word
        return [m.span() for m in _TOKEN.finditer(text)
                for _ in _TOKEN.findall(m.group().casefold())]
    return [m.span() for m in _TOKEN.finditer(folded)]


def _grams(words: list[str]) -> zip[tuple[str, ...]]:
    """Every run of COPIED_GRAM words, made by zip rather than by slicing."""
    return zip(*(words[shift:] for shift in range(COPIED_GRAM)), strict=False)


def _joined(words: list[str]) -> str:
    return f" {' '.join(words)} "


@dataclass
class PassageIndex:
    """The article and the comments so far as word runs, each with where it first appeared."""

    _first: dict[tuple[str, ...], int] = field(default_factory=dict)
    _texts: list[tuple[int, str]] = field(default_factory=list)

    def add(self, source: int, words: list[str]) -> None:
        self._texts.append((source, _joined(words)))
        if source == ARTICLE:
            return  # a copied run of it is checked against its text (passages), rarely needed
        for gram in _grams(words):
            self._first.setdefault(gram, source)

    def passages(self, body: str, words: list[str]) -> list[Passage]:
        """Sources of the reply's quoted and copied passages (`words`: its tokens), each once."""
        found: dict[int, Passage] = {}
        for quoted in _QUOTED.finditer(body):
            source = self._quoted_source(quoted.group())
            if source is not None:
                found.setdefault(source, Passage(source, quoted.group(), True))
        runs = self._runs(words)
        where = spans(body) if runs else []
        for source, (first, last) in runs.items():
            if self._in_article(words[first:last + 1]):
                continue
            # Folding may split a word differently than the page shows it: then the words.
            text = (body[where[first][0]:where[last][1]] if len(where) == len(words)
                    else " ".join(words[first:last + 1]))
            found.setdefault(source, Passage(source, text, False))
        return list(found.values())

    def _in_article(self, words: list[str]) -> bool:
        return any(source == ARTICLE and _joined(words) in text for source, text in self._texts)

    def _quoted_source(self, quoted: str) -> int | None:
        """The first text holding a piece of the quote ("…" marks a cut) of five words or more."""
        for piece in _ELISION.split(quoted):
            words = tokens(piece)
            if len(words) < QUOTED_WORDS:
                continue
            needle = _joined(words)
            for source, text in self._texts:
                if needle in text:
                    return source
        return None

    def _runs(self, words: list[str]) -> dict[int, tuple[int, int]]:
        """Earlier texts the reply copies a run of words from: its first and last word."""
        hits: Counter[int] = Counter()
        runs: dict[int, tuple[int, int]] = {}
        for i, gram in enumerate(_grams(words)):
            source = self._first.get(gram)
            if source is None:
                continue
            hits[source] += 1
            runs[source] = (runs.get(source, (i, 0))[0], i + COPIED_GRAM - 1)
        return {source: runs[source] for source, count in hits.items()
                if count >= COPIED_GRAMS}
