"""Site-independent URL helpers."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def without_fragment(url: str) -> str:
    """`url` without its `#fragment` (the page a browser would fetch for it)."""
    return urlunsplit(urlsplit(url)._replace(fragment=""))
