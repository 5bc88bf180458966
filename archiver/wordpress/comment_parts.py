"""A comment's own elements (nested replies left out), listed once for the strategies."""

# The strategies run on every comment of every page, so the page's tree is never copied,
# queried with selectors, or serialised and reparsed for them: the comment's elements are
# listed once with their tags and classes, the strategies look them up, and text is read
# from the tree with the body and nested replies skipped (comment_header.py).

from __future__ import annotations

import copy
import re
from functools import cache

import cssselect
from lxml import etree

from archiver.wordpress.shared import NOT_COMMENT_CLASS_TOKENS, Element, Predicate, node_id

_LOOSE_BODY_TAGS = frozenset({"p", "blockquote", "ul", "ol", "pre", "table", "figure", "dl",
                             "h1", "h2", "h3", "h4", "h5", "h6"})
# Sectioning a comment's header or footer (html5 walker, Genesis): never its body's blocks.
_HEADER_TAGS = frozenset({"footer", "header"})
_NESTED_REPLY_TAGS = frozenset({"li", "ol", "ul", "div"})
_COMMENT_ITEM_CLASSES = frozenset({"comment", *NOT_COMMENT_CLASS_TOKENS})
_HEADER_PART_CLASSES = frozenset({"comment-author", "comment-meta", "commentmetadata",
                                  "comment-metadata", "reply", "comment-awaiting-moderation"})
# A CSS class selector splits the attribute on XPath whitespace (space, tab, CR, LF) only,
# `class_tokens` on any: rules written as selectors keep the first, the others the second.
_CSS_SPACE = re.compile("[ \t\r\n]+")


class OwnElements:
    """A comment's elements in document order, from the comment itself, nested replies left
    out; with each one's tag and class attribute."""

    def __init__(self, node: Element) -> None:
        self.node = node
        # lxml lists the subtree in C; the few comments holding a reply have it taken out after.
        self.elements: list[Element] = list(node.iter(etree.Element))
        if node.tag == "dt":  # a `dl` list: the name and date in `dt`, the body in its `dd`
            following = node.getnext()
            if following is not None and following.tag == "dd":
                self.elements.extend(following.iter(etree.Element))
        self.tags: list[str] = [element.tag for element in self.elements]
        self.classes: list[str | None] = [element.get("class") for element in self.elements]
        self.nested: list[tuple[int, Element]] = []  # each reply left out, with its parent
        self._all_classes = " ".join(filter(None, self.classes))
        self._ends: dict[int, int] = {}  # `end` of the indices asked about
        # A reply is an `li` or a `.children` list: without either there is none to take out.
        if "children" in self._all_classes or "li" in self.tags[1:]:
            self._leave_out_nested()

    def _leave_out_nested(self) -> None:
        """Takes each reply nested in the comment out of the lists, with its subtree."""
        index = 1
        while index < len(self.elements):
            element = self.elements[index]
            if self.tags[index] in _NESTED_REPLY_TAGS and _is_nested_reply(
                    element, self.classes[index]):
                parent = self.elements.index(element.getparent(), 0, index)
                self.nested.append((parent, element))
                past = index + _subtree_size(element)
                del self.elements[index:past], self.tags[index:past], self.classes[index:past]
            else:
                index += 1
        self._all_classes = " ".join(filter(None, self.classes))

    def end(self, index: int) -> int:
        """The index just past the subtree of the element at `index`."""
        if index not in self._ends:
            element = self.elements[index]
            size = _subtree_size(element)
            if self.nested:
                size -= sum(_subtree_size(reply) for _, reply in self.nested
                            if any(above is element for above in reply.iterancestors()))
            self._ends[index] = index + size
        return self._ends[index]

    def with_class(self, token: str) -> list[int]:
        if token not in self._all_classes:  # most lookups find nothing: say so at C speed
            return []
        return [index for index, value in enumerate(self.classes)
                if value and token in value and token in css_split(value)]

    def with_tag(self, tag: str) -> list[int]:
        if tag not in self.tags:
            return []
        return [index for index, name in enumerate(self.tags) if name == tag]

    def loose_blocks(self) -> list[int]:
        """Paragraph-like blocks standing in the comment: not inside a header part (its
        author, meta, reply link or moderation note) or inside another block."""
        blocks, blocked_until = [], 0
        for index in range(1, len(self.elements)):
            if index < blocked_until:
                continue
            tag, value = self.tags[index], self.classes[index]
            if tag in _LOOSE_BODY_TAGS:
                blocks.append(index)
            if (tag in _LOOSE_BODY_TAGS or tag in _HEADER_TAGS
                    or not _HEADER_PART_CLASSES.isdisjoint((value or "").split())):
                blocked_until = self.end(index)
        return blocks

    def could_match(self, selectors: tuple[str, ...]) -> bool:
        """False when each selector needs a class none of these elements has: most comments
        are ruled out without running a theme's selectors over them."""
        return any(all(self.with_class(name) for name in needed)
                   for needed in _subject_classes(selectors))

    def holds_nested(self, index: int) -> bool:
        return bool(self.nested) and any(
            index <= parent < self.end(index) for parent, _ in self.nested)

    def is_nested(self, element: Element) -> bool:
        return any(element is reply for _, reply in self.nested)


def might_select(selectors: tuple[str, ...], element: Element) -> bool:
    """False when each selector needs a class that nothing in `element` (itself included) has:
    a look at a few class attributes instead of running the selectors."""
    classes = " ".join([value for item in element.iter(etree.Element)
                        if (value := item.get("class"))])
    return any(all(name in classes for name in needed) for needed in _subject_classes(selectors))


@cache
def _subject_classes(selectors: tuple[str, ...]) -> list[frozenset[str]]:
    """Per selector, the classes of the element it selects (right of any combinator)."""
    found = []
    for selector in cssselect.parse(", ".join(selectors)):
        tree = selector.parsed_tree
        if isinstance(tree, cssselect.parser.CombinedSelector):
            tree = tree.subselector
        names = set()
        while not isinstance(tree, cssselect.parser.Element):
            if isinstance(tree, cssselect.parser.Class):
                names.add(tree.class_name)
            tree = tree.selector  # past `[attr]`, `#id`, `:not(…)`… of the same element
        found.append(frozenset(names))
    return found


def _is_nested_reply(element: Element, value: str | None) -> bool:
    """A reply inside a comment: a `.children` list, or a comment `li` (by id or class)."""
    classes = (value or "").split()
    if element.tag == "li":
        return node_id(element) is not None or not _COMMENT_ITEM_CLASSES.isdisjoint(classes)
    return "children" in classes and element.tag in ("ol", "ul", "div")


def _subtree_size(element: Element) -> int:
    return len(list(element.iter(etree.Element)))


def css_classes(element: Element) -> list[str]:
    return css_split(element.get("class") or "")


def css_split(value: str) -> list[str]:
    """A class attribute's tokens as CSS selectors see them."""
    if value.isascii() and value.isprintable():  # no whitespace but the space: str.split agrees
        return value.split()
    return _CSS_SPACE.split(value)


def badge_or_class_in(element: Element, classes: frozenset[str]) -> bool:
    """Whether a class of `element` names a badge or is one of `classes` (as CSS sees them)."""
    value = element.get("class")
    return bool(value) and ("badge" in value or not classes.isdisjoint(css_split(value)))


def copy_without(element: Element, leave_out: Predicate) -> Element:
    """A private copy of `element` with the descendants `leave_out` accepts taken out."""
    copied = copy.deepcopy(element)
    for original, twin in list(zip(element.iterdescendants(), copied.iterdescendants(),
                                   strict=True)):
        if isinstance(original.tag, str) and leave_out(original):
            twin.drop_tree()
    return copied
