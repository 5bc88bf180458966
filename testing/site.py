"""One mirror directory as a site: its `site.json`, URL-to-file lookup and HTTP validators."""

from __future__ import annotations

import email.utils
import hashlib
import json
import mimetypes
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

_DEFAULT_INDEX = ("index.html", "index.xml")
_DEFAULT_TYPES = {
    ".html": "text/html; charset=UTF-8",
    ".xml": "application/xml; charset=UTF-8",
    ".txt": "text/plain; charset=UTF-8",
}


HTML = "text/html; charset=UTF-8"

@dataclass(frozen=True)
class SiteConfig:
    """How to serve one mirror directory, read from its `site.json` (all keys optional)."""

    root: Path
    placeholder: str | None
    index_names: tuple[str, ...]
    # (key, type), longest key first so `feed/index.xml` beats `.xml`.
    content_types: tuple[tuple[str, str], ...]

    @classmethod
    def load(cls, root: Path) -> SiteConfig:
        """Read `root/site.json` if present; a bare directory is served with defaults."""
        root = root.resolve(strict=True)
        if not root.is_dir():
            raise NotADirectoryError(f"mirror root is not a directory: {root}")
        meta: dict[str, Any] = {}
        if (root / "site.json").is_file():
            meta = json.loads((root / "site.json").read_text(encoding="utf-8"))
        types = dict(meta.get("content_types") or _DEFAULT_TYPES)
        return cls(
            root=root,
            placeholder=meta.get("base_placeholder"),
            index_names=tuple(meta.get("directory_index") or _DEFAULT_INDEX),
            content_types=tuple(sorted(types.items(), key=lambda kv: -len(kv[0]))),
        )

    def content_type(self, rel: str) -> str:
        """Content type for a root-relative file path; extension keys and path-suffix keys."""
        for key, value in self.content_types:
            if key.startswith("."):
                if rel.endswith(key):
                    return value
            elif rel == key or rel.endswith("/" + key):
                return value
        guessed, _ = mimetypes.guess_type(rel)
        return guessed or "application/octet-stream"



@dataclass(frozen=True)
class Found:
    """A file to serve, or a redirect to the slash form of a directory path."""

    file: Path | None = None
    redirect: str | None = None


def locate(site: SiteConfig, url_path: str) -> Found | None:
    """Map a decoded URL path to a file under the root the way WordPress URLs behave, or None."""
    if not url_path.startswith("/") or "\x00" in url_path or "\\" in url_path:
        return None
    segments = url_path.split("/")[1:]
    trailing = segments[-1] == ""
    inner = segments[:-1] if trailing else segments
    # Empty, `.` and `..` segments could name a file twice or escape the root; none is real.
    if any(seg in ("", ".", "..") for seg in inner):
        return None
    target = site.root.joinpath(*inner)
    try:
        target = target.resolve()
        is_file, is_dir = target.is_file(), target.is_dir()
    except OSError:
        # A name longer than the file system allows (a 2,000-character slug) names no file.
        return None
    if not target.is_relative_to(site.root) or target == site.root / "site.json":
        return None
    if trailing:
        if not is_dir:
            return None
        for name in site.index_names:
            if (target / name).is_file():
                return Found(file=target / name)
        return None
    if is_file:
        return Found(file=target)
    if is_dir:
        return Found(redirect=url_path + "/")
    return None


def split_target(target: str) -> tuple[str, str]:
    """Path and query of a request target; `//x` is a path here, not a network location."""
    if target.startswith(("http://", "https://")):
        parts = urlsplit(target)
        return parts.path or "/", parts.query
    path, _, query = target.partition("?")
    return path.partition("#")[0], query


def is_text(content_type: str) -> bool:
    """Whether a response body is text, so the base placeholder in it must be rewritten."""
    base = content_type.split(";", 1)[0].strip().lower()
    return base.startswith("text/") or base.endswith(("xml", "json", "javascript"))


def etag_for(body: bytes) -> str:
    """A strong validator for exactly these bytes."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def not_modified(inm: str | None, ims: str | None, etag: str, mtime: float | None) -> bool:
    """RFC 9110 conditional GET: If-None-Match decides when present, else If-Modified-Since."""
    if inm is not None:
        tags = [tag.strip().removeprefix("W/") for tag in inm.split(",")]
        return "*" in tags or etag in tags
    if ims is None or mtime is None:
        return False
    try:
        since = email.utils.parsedate_to_datetime(ims)
    except (TypeError, ValueError):
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return int(mtime) <= since.timestamp()


def content_type_for(site: SiteConfig, url_path: str) -> str:
    """The type the file behind `url_path` is served as (HTML when there is none)."""
    found = locate(site, url_path)
    if found is None or found.file is None:
        return HTML
    return site.content_type(found.file.relative_to(site.root).as_posix())


def rewrite(site: SiteConfig, base_url: str, body: bytes, content_type: str) -> bytes:
    """A text body with the saved pages' placeholder origin replaced by the server's."""
    if site.placeholder is None or not is_text(content_type):
        return body
    return body.replace(site.placeholder.encode(), base_url.encode())


def rewrite_text(site: SiteConfig, base_url: str, text: str) -> str:
    if site.placeholder is None:
        return text
    return text.replace(site.placeholder, base_url)
