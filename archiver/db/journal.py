"""`<db>.pending`: what a run could not write into the archive, kept for the next run.

When a write fails for good (the write lock held past the busy timeout, the disk full, an I/O
error), the database may take nothing at all, not even the failure row saying so. The entry
goes here instead: one JSON object a line, written and fsynced before the run goes on, and
folded into the archive (`failures`, `crawl_runs`) by the next run's ledger at its start.

The file keeps space reserved (`RESERVE` bytes, allocated up front, NUL-filled): an entry
overwrites the NULs after the last one, so it needs no new disk blocks and is still written
when the disk is full. The text ends at the first NUL.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

RESERVE = 256 * 1024


class Journal:
    """The pending-writes file beside one archive (only the run holding the lock writes it)."""

    def __init__(self, db_path: str) -> None:
        self.path = Path(f"{db_path}.pending")

    def reserve(self) -> None:
        """Allocate the reserve, keeping what the file holds (best effort: a full disk is the
        case the reserve is for, and then the last reserve stays in place)."""
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            logger.debug("cannot open %s: %s", self.path, exc)
            return
        try:
            os.posix_fallocate(fd, 0, max(RESERVE, self._end(fd) + RESERVE // 2))
            os.fsync(fd)
        except OSError as exc:
            logger.debug("cannot reserve space in %s: %s", self.path, exc)
        finally:
            os.close(fd)

    def append(self, *entries: dict[str, Any]) -> bool:
        """Write entries durably (one write, one fsync); False if even that failed."""
        data = b"".join((json.dumps(entry, sort_keys=True) + "\n").encode("utf-8")
                        for entry in entries)
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            logger.error("cannot keep a pending write in %s: %s", self.path, exc)
            return False
        try:
            os.pwrite(fd, data, self._end(fd))
            os.fsync(fd)
            return True
        except OSError as exc:
            logger.error("cannot keep a pending write in %s: %s", self.path, exc)
            return False
        finally:
            os.close(fd)

    def entries(self) -> list[dict[str, Any]]:
        """Every whole entry, oldest first (a line torn by a crash is skipped)."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return []
        text = data.split(b"\0", 1)[0].decode("utf-8", errors="replace")
        found = []
        for line in text.splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict):
                found.append(entry)
        return found

    def clear(self) -> None:
        """Forget every entry (the archive holds them now), keeping the reserve allocated."""
        try:
            fd = os.open(self.path, os.O_RDWR)
        except FileNotFoundError:
            return
        try:
            end = self._end(fd)
            if end:
                os.pwrite(fd, b"\0" * end, 0)
                os.fsync(fd)
        finally:
            os.close(fd)

    @staticmethod
    def _end(fd: int) -> int:
        """Where the text ends: the first NUL, or the end of the file."""
        size = os.fstat(fd).st_size
        data = os.pread(fd, size, 0) if size else b""
        nul = data.find(b"\0")
        return len(data) if nul < 0 else nul
