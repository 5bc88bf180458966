"""Which of a person's earlier comments a reply answers: the latest, unless it talks of another."""

from __future__ import annotations

import math
from collections.abc import Sequence

# Words that carry no topic (two-letter words never count).
_STOP = frozenset([
    "about", "after", "again", "all", "also", "and", "any", "are", "because", "been", "before",
    "being", "but", "can", "could", "did", "does", "doing", "for", "from", "get", "got", "had",
    "has", "have", "having", "her", "here", "him", "his", "how", "its", "just", "let", "like",
    "make", "may", "more", "most", "much", "not", "now", "off", "one", "only", "other", "our",
    "out", "over", "own", "really", "same", "say", "see", "she", "should", "some", "such", "than",
    "that", "the", "their", "them", "then", "there", "these", "they", "this", "those", "too",
    "two", "very", "was", "way", "were", "what", "when", "where", "which", "while", "who", "why",
    "will", "with", "would", "yet", "you", "your", "yours", "think", "thing", "things", "people",
    # Counting words: "three times" and "three MPs" share no topic.
    "three", "four", "five", "six", "seven", "eight", "nine", "ten", "first", "second", "third",
])
# Another comment wins over the latest only when the reply plainly takes up its words.
_MARGIN, _FLOOR = 1.5, 1.0


def topic_words(words: list[str]) -> frozenset[str]:
    return frozenset(word for word in words if len(word) > 2) - _STOP


class Topics:
    """The thread's comments' words, turned into topics only when a choice needs them."""

    def __init__(self) -> None:
        self._words: list[list[str]] = []
        self._topics: dict[int, frozenset[str]] = {}
        self._frequency: dict[str, int] = {}
        self._counted = 0  # comments whose topics are in _frequency, from the first

    def add(self, words: list[str]) -> None:
        """The next comment's words, in thread order."""
        self._words.append(words)

    def choose(self, reply: int, candidates: Sequence[int], names: frozenset[str]) -> int:
        """The comment the reply (a thread position) answers among one person's earlier
        `candidates` (positions, oldest first).

        The latest is the default, as a reader would assume; a comment whose rarer words the
        reply shares clearly more often (by inverse document frequency among the comments
        before it) wins. Commenters' names are left out: addressing someone is no topic.
        """
        latest = candidates[-1]
        if len(candidates) == 1:
            return latest
        self._count_until(reply)
        said = self._of(reply) - names

        def score(position: int) -> float:
            return sum(math.log((reply + 1) / self._frequency.get(word, 1))
                       for word in said & self._of(position))

        best = max(candidates[:-1], key=score)
        return best if score(best) > _MARGIN * score(latest) + _FLOOR else latest

    def _of(self, position: int) -> frozenset[str]:
        if position not in self._topics:
            self._topics[position] = topic_words(self._words[position])
        return self._topics[position]

    def _count_until(self, reply: int) -> None:
        for position in range(self._counted, reply):
            for word in self._of(position):
                self._frequency[word] = self._frequency.get(word, 0) + 1
        self._counted = max(self._counted, reply)
