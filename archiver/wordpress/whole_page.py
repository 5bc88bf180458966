"""A page is read whole or not at all: libxml2's depth limit, and a bound on one page's tree.

libxml2 stops building the tree when elements nest 2,048 deep (its limit even with
`huge_tree`, which parsel already sets), and throws the rest of the page away without an
exception: a comment holding ~2,050 nested `<b>` would cost every comment after it. When that
happened the rightmost path of the tree (root, its last child, that one's last child, ...) is
the stack of elements that were open, 2,048 long, so it is seen in a few steps. Such a page is
read again with its markup flattened below `FLATTEN_DEPTH` levels (the tags go, their text
stays); if even that is cut, the page is refused.

A million tiny `<p>` (8 MB, within DOWNLOAD_MAXSIZE) make a tree of ~290 MB, and reading them
as one comment's body takes ~180 MB more: a crawl of that page peaked at ~570 MB. A page with
more than `MAX_PAGE_TAGS` tags is refused before it is parsed: that crawl then peaks near
100 MB, and one of a page just under the bound near 160 MB.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from scrapy.http import TextResponse

from archiver.errors import PageStructureError
from archiver.wordpress.shared import Element

# libxml2's HTML parser halts at this many open elements (XML_PARSE_HUGE; 256 without).
PARSER_DEPTH_LIMIT = 2048
# A page libxml2 could not read whole is read again with nothing nested deeper than this.
FLATTEN_DEPTH = 512
# '<' characters (start and end tags, roughly two an element) one page may hold: the largest
# real thread pages have a few tens of thousands.
MAX_PAGE_TAGS = 300_000


class PageNotWhole(PageStructureError):
    """A page that cannot be parsed whole; the message says why (it is filed as a failure)."""


@dataclass(frozen=True)
class WholePage:
    """The response to read (the one given, or its flattened copy) and how many tags the
    flattening dropped (0: the page as served)."""

    response: TextResponse
    dropped_tags: int = 0


def read_whole(response: TextResponse) -> WholePage:
    """The page, parsed whole (its `selector` is built); raises PageNotWhole when it cannot be."""
    tags = response.body.count(b"<")
    if tags > MAX_PAGE_TAGS:
        raise PageNotWhole(f"page holds {tags:,} tags, more than the {MAX_PAGE_TAGS:,} one page "
                           "may (a bound on the memory one parse takes); not parsed")
    if not cut_at_depth_limit(response.selector.root):
        return WholePage(response)
    text, dropped = flatten_nesting(response.text, FLATTEN_DEPTH)
    flat = response.replace(body=text.encode("utf-8"), encoding="utf-8")
    assert isinstance(flat, TextResponse)
    if cut_at_depth_limit(flat.selector.root):
        raise PageNotWhole(f"markup nested deeper than the HTML parser's limit "
                           f"({PARSER_DEPTH_LIMIT} levels), even flattened; not parsed whole")
    return WholePage(flat, dropped)


def cut_at_depth_limit(root: Element) -> bool:
    """Whether libxml2 stopped building this tree at its depth limit."""
    depth = 1
    element = root
    while len(element):
        element = element[-1]
        depth += 1
    return depth >= PARSER_DEPTH_LIMIT


# Comments, the raw-text elements' bodies (skipped whole), tags; anything else is text.
_TOKEN = re.compile(
    r"""<!--.*?(?:-->|\Z)|<!.*?(?:>|\Z)|<\?.*?(?:>|\Z)"""
    r"""|<(?P<end>/?)(?P<name>[a-zA-Z][^\s/>]*)(?P<rest>(?:[^>"']|"[^"]*"|'[^']*')*)>""",
    re.DOTALL,
)
_RAW_TEXT = frozenset({"script", "style", "textarea", "title", "xmp", "iframe", "noembed",
                       "noframes", "plaintext"})
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                   "param", "source", "track", "wbr", "keygen", "basefont", "bgsound", "frame",
                   "isindex"})
# Start tags that close an open element of the same name (the parser's implied end tags).
_CLOSES_SAME = frozenset({"p", "li", "dt", "dd", "option", "tr", "td", "th"})


def flatten_nesting(text: str, limit: int) -> tuple[str, int]:
    """`text` with every element that would open deeper than `limit` left out (its start and
    end tags; its text and children stay), and how many tags went.

    The depth is an approximation of the parser's (end tags close what they match, void and
    self-closed elements never open, `<p>`, `<li>` and a few more close their own kind), good
    enough to bring a page that ran into the parser's limit far below it.
    """
    out: list[str] = []
    stack: list[str] = []
    dropped: dict[str, int] = {}
    removed = 0
    at = 0
    position = 0
    while (match := _TOKEN.search(text, position)) is not None:
        position = match.end()
        name = match["name"]
        if name is None:
            continue
        name = name.lower()
        if match["end"]:
            if dropped.get(name):
                dropped[name] -= 1
            else:
                if name in stack:
                    del stack[len(stack) - 1 - stack[::-1].index(name):]
                continue
        else:
            if name in _RAW_TEXT:
                # Their content is text to the parser, `<` and all: skip to their end tag.
                close = re.compile(rf"</{re.escape(name)}[\s/>]", re.IGNORECASE)
                found = close.search(text, position)
                position = found.start() if found else len(text)
            if name in _VOID or match["rest"].rstrip().endswith("/"):
                continue
            if name in _CLOSES_SAME and stack and stack[-1] == name:
                stack.pop()
            if len(stack) < limit:
                stack.append(name)
                continue
            dropped[name] = dropped.get(name, 0) + 1
        out.append(text[at:match.start()])
        at = match.end()
        removed += 1
    out.append(text[at:])
    return "".join(out), removed
