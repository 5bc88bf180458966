"""The run lock: one crawl per archive at a time, held in a file beside it."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO


class ArchiveBusy(Exception):
    """Another run holds the archive."""


class RunLock:
    """An exclusive lock beside the archive; the kernel drops it if the process dies."""

    def __init__(self, db_path: str) -> None:
        self.path = Path(f"{db_path}.lock")
        self.handle: IO[str] | None = None

    def acquire(self) -> None:
        handle = self.path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise ArchiveBusy(
                f"archive {self.path.with_suffix('')} is in use by a running crawl "
                f"(pid {holder}); not starting") from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self.handle = handle

    def release(self) -> None:
        if self.handle is not None:
            fcntl.flock(self.handle, fcntl.LOCK_UN)
            self.handle.close()
            self.handle = None
