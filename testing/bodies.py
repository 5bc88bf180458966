"""The bodies a faulty page is served with: re-encoded, padded, or turned to junk."""

from __future__ import annotations

import random

from testing.faults import Fault


def reencode(body: bytes, charset: str = "windows-1252") -> bytes:
    """Re-encode a UTF-8 page; characters the charset lacks become numeric character references.

    The references keep the text recoverable, so only the header/bytes mismatch is under test.
    Any `<meta charset="UTF-8">` in the page is left alone: with `declare` the header names the
    real charset and overrides it (HTTP wins); without, the page's own claim is simply wrong.
    """
    return body.decode("utf-8").encode(charset, errors="xmlcharrefreplace")


def pad(body: bytes, megabytes: float) -> bytes:
    """Pad a page to `megabytes` MiB with an HTML comment before `</body>` (or at the end)."""
    target = int(megabytes * 1024 * 1024)
    room = target - len(body) - len(b"<!--  -->")
    if room <= 0:
        return body
    filler = b"<!-- " + (b"padding " * (room // 8 + 1))[:room] + b" -->"
    at = body.rfind(b"</body>")
    return body + filler if at < 0 else body[:at] + filler + body[at:]


def garbage(fault: Fault, original: bytes) -> bytes:
    """Deterministic junk: random bytes, or the page cut mid-stream then unbalanced tags."""
    rng = random.Random(fault.seed)
    if fault.style == "bytes":
        return rng.randbytes(fault.size)
    # Cutting at an arbitrary byte may split a UTF-8 sequence, which is part of the point.
    cut = original[: len(original) // 2]
    return cut + b'<li id="comment-<div class=<p>&#1114112;</ol></b></html' + rng.randbytes(64)
