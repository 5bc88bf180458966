"""A comment's header (its own elements outside the body), read in place by the strategies."""

from __future__ import annotations

from collections.abc import Iterable

from archiver.wordpress.comment_parts import OwnElements, copy_without
from archiver.wordpress.shared import Element, Predicate
from archiver.wordpress.text import element_inline_text, element_inline_text_in_place


class Header:
    """A comment's own elements outside its body: where name, date and id are looked for."""

    def __init__(self, own: OwnElements, body: list[int]) -> None:
        self.own = own
        self.node = own.node
        self._shown = [True] * len(own.elements)
        for index in body:
            end = own.end(index)
            self._shown[index:end] = [False] * (end - index)
        self._left_out = {reply for _, reply in own.nested}
        self._left_out.update(own.elements[index] for index in body)

    def with_class(self, token: str) -> list[Element]:
        found = self.own.with_class(token)
        return self.visible(found) if found else []

    def with_tag(self, tag: str) -> list[Element]:
        found = self.own.with_tag(tag)
        return self.visible(found) if found else []

    def visible(self, indices: Iterable[int]) -> list[Element]:
        """Those of the comment's own elements (by index) outside its body."""
        return [self.own.elements[index] for index in indices if self._shown[index]]

    def leaves_out(self, element: Element) -> bool:
        """The body (or one of its blocks) or a nested reply: a subtree left out."""
        return element in self._left_out

    def holds(self, element: Element) -> bool:
        """Not inside the body or a nested reply (`element` being in the comment)."""
        for item in (element, *element.iterancestors()):
            if item in self._left_out:
                return False
            if item is self.node:
                return True
        return True

    def first_with_text(self, found: Iterable[Element]) -> Element | None:
        for element in found:
            if self._has_text(element):
                return element
        return None

    def _has_text(self, element: Element) -> bool:
        """Anything but whitespace in its text outside left-out parts (their tails count)."""
        if _solid(element.text):
            return True
        for child in element:
            if isinstance(child.tag, str) and child not in self._left_out and self._has_text(child):
                return True
            if _solid(child.tail):
                return True
        return False

    def inline_text(self, element: Element, noise: Predicate | None = None) -> str:
        """What is inside `element` on one line, without left-out parts or `noise`."""
        def skip(item: Element) -> bool:
            return item in self._left_out or (noise is not None and noise(item))
        text = element_inline_text_in_place(element, skip=skip)
        if text is None:  # an e-mail: decoded in a copy, with what `skip` accepts taken out
            return element_inline_text(copy_without(element, skip))
        return text


def _solid(text: str | None) -> bool:
    return text is not None and text != "" and not text.isspace()
