"""The project's exceptions: page functions raise these for missing structure."""

from __future__ import annotations


class ArchiverError(Exception):
    """Base class for the archiver's own errors."""


class PageStructureError(ArchiverError):
    """A page lacks the structure a page function needs (e.g. it is not an article at all)."""


class NotAnArticle(PageStructureError):
    """A page with no post id: a WordPress home, archive or other page, not an article."""
