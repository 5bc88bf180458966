"""URL rules for Liberal Democrat Voice: which URLs are articles, and their one canonical form."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

# LDV permalinks end in "-<post id>.html"; anything after ".html/" is an attachment or feed.
_ARTICLE_PATH = re.compile(r"^/(?P<slug>[^/]+)-(?P<post_id>\d+)\.html$")


@dataclass(frozen=True)
class SiteUrls:
    """The site's base URL and the other hosts that serve the same site."""

    base_url: str
    alias_hosts: frozenset[str]

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).netloc.lower()

    def on_site(self, url: str) -> bool:
        parts = urlsplit(url)
        # Aliases are named by host alone: any scheme or port of theirs is the same site.
        return parts.netloc.lower() == self.host or (parts.hostname or "") in self.alias_hosts

    def rebase(self, url: str) -> str:
        """The same path on the base URL's scheme and host, without the fragment."""
        parts = urlsplit(url)
        base = urlsplit(self.base_url)
        path = parts.path or "/"
        return urlunsplit((base.scheme, base.netloc, path, parts.query, ""))

    def article(self, url: str) -> tuple[int, str] | None:
        """(post id, canonical URL) when the URL is an article page of this site, else None."""
        if not self.on_site(url):
            return None
        path = urlsplit(url).path
        match = _ARTICLE_PATH.match(path)
        if match is None:
            return None
        return int(match["post_id"]), self.rebase(f"{self.base_url}{path}")
