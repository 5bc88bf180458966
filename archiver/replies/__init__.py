"""Who answered whom in a flat thread: reply edges inferred from what the comments say."""

from __future__ import annotations

from archiver.replies.evidence import Edge, Kind, Said
from archiver.replies.resolver import infer_edges

__all__ = ["Edge", "Kind", "Said", "infer_edges"]
